/*
 * jsonschema.c — JSON Schema validation as js-ceramic 2.x does it with
 * Ajv 8.20.0 and ajv-formats 2.1.1 (see cer_schema_new in ceramic.h).
 *
 * A schema is compiled once into a graph of nodes (struct snode), one per
 * schema object or boolean reached from the root through keywords and
 * references, then instances are checked against it by an interpreter.
 * Compilation follows Ajv's order of business: the root `$schema` picks
 * the meta-schema and the schema must validate against it; every `$id`
 * and anchor is indexed as json-schema-traverse walks the schema; then
 * the nodes reachable from the root are compiled, and only those get
 * Ajv's strict-mode checks (an unreferenced `$defs` entry is never
 * compiled, as in Ajv). A reference that leaves the schema (and the
 * meta-schemas) is refused: nothing is fetched.
 *
 * Evaluation keeps Ajv's semantics, including where Ajv departs from the
 * specification: evaluated properties and items are tracked as Ajv's
 * generated code tracks them (see "Evaluated properties and items"),
 * multipleOf is Ajv's parseInt test, Object.prototype's names count as
 * present properties, format checks are ajv-formats' "full" ones, string
 * lengths count code points. Known differences from Ajv 8.20 (its
 * $dynamicRef, its stack overflows): tests/vectors/jsonschema/README.md.
 * Time is bounded: each evaluation of a node on an instance value costs
 * one unit of a budget proportional to schema size x instance size, the
 * nesting of evaluations is bounded, and regular expressions have a match
 * limit (jsregex.c); past a bound, validation fails with -EFBIG.
 */
#include "ceramic.h"
#include "buf.h"
#include "error.h"
#include "json.h"
#include "jsregex.h"
#include "strmap.h"
#include "jsonschema_meta.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of a schema's JSON, and of evaluations (schema x instance). */
#define SCHEMA_DEPTH_MAX 256
#define EVAL_DEPTH_MAX 1024
/* Errors kept for the caller (later ones only count). */
#define ERRORS_MAX 64

/* JSON types as bits. */
enum {
    T_NULL = 1, T_BOOLEAN = 2, T_OBJECT = 4, T_ARRAY = 8, T_NUMBER = 16, T_INTEGER = 32, T_STRING = 64,
};
static const char *const TYPE_NAMES[] = {"null", "boolean", "object", "array", "number", "integer", "string"};

enum fmt {
    F_NONE, F_DATE, F_TIME, F_DATE_TIME, F_DURATION, F_URI, F_URI_REFERENCE, F_URI_TEMPLATE, F_URL,
    F_EMAIL, F_HOSTNAME, F_IPV4, F_IPV6, F_REGEX, F_UUID, F_JSON_POINTER, F_JSON_POINTER_URI_FRAGMENT,
    F_RELATIVE_JSON_POINTER, F_BYTE, F_INT32, F_INT64, F_FLOAT, F_DOUBLE, F_PASSWORD, F_BINARY,
    F_COUNT
};

typedef struct resource resource;
typedef struct snode snode;

/* A schema resource: the root, or an object with `$id`. */
struct resource {
    char *base;              /* its absolute (or root-relative "") URI */
    cer_strmap dyn;          /* $dynamicAnchor name -> const cJSON * */
    resource *next;          /* all resources of a schema, for freeing */
};

typedef struct named { const char *key; snode *s; } named;
typedef struct patprop { const char *src; cer_jsregex *re; snode *s; } patprop;
typedef struct depreq { const char *key; const cJSON *names; const char *kw; } depreq;

struct snode {
    const cJSON *json;
    resource *res;
    const char *base;        /* base URI in effect here */
    bool is_bool, bool_val;
    bool empty;              /* {}: always valid, no keywords */
    bool no_rules;           /* only keywords without code (title, $defs...): Ajv's alwaysValidSchema */
    unsigned types;          /* from type (+ nullable); 0: none */
    snode *ref, *dynref, *not_, *if_, *then_, *else_;
    const char *dyn_name;    /* $dynamicRef's anchor, when it may be dynamic */
    named *props; size_t nprops; cer_strmap propmap;
    patprop *pats; size_t npats;
    snode *addprops, *propnames, *uneval_props, *uneval_items;
    const cJSON *required;
    depreq *depreq; size_t ndepreq;
    named *depsch; size_t ndepsch, ndepsch2020;  /* dependentSchemas first, then dependencies' schemas */
    snode **prefix; size_t nprefix;
    snode *items;            /* items past the prefix (2020 items, draft-07 object items) */
    snode *additional_items; /* draft-07 additionalItems after an items array */
    snode *contains;
    bool has_contains_limits; double min_contains; bool has_max_contains; double max_contains;
    snode **all_of, **any_of, **one_of; size_t nall, nany, none;
    const cJSON *enum_, *const_;
    bool has_min, has_max, has_xmin, has_xmax, has_mult;
    double min, max, xmin, xmax, mult;
    bool has_minlen, has_maxlen, has_minitems, has_maxitems, has_minprops, has_maxprops;
    double minlen, maxlen, minitems, maxitems, minprops, maxprops;
    bool unique;
    cer_jsregex *pattern; const char *pattern_src;
    enum fmt format; const char *format_name;
    const char *fmt_limit[4];   /* formatMaximum, formatMinimum, formatExclusiveMaximum, formatExclusiveMinimum */
    bool compiled;
    uint8_t ctx_checked[16];    /* strict type contexts already checked (128 bits) */
};

/* What a location in a registry is: a schema value and its base. */
typedef struct loc {
    const cJSON *json;
    resource *res;
} loc;

/* A pointer -> value hash table (snodes and locations by cJSON address). */
typedef struct pslot { const void *key; void *value; } pslot;
typedef struct ptrmap { pslot *slots; size_t cap, count; } ptrmap;

struct cer_schema {
    unsigned mode;
    bool draft7, strict_types, strict_schema;
    cJSON *doc;              /* own copy of the schema (or the meta documents) */
    cJSON **docs; size_t ndocs;
    snode *root;
    ptrmap nodes;            /* cJSON * -> snode * */
    ptrmap where;            /* cJSON * -> resource * (from the index walk) */
    cer_strmap ids;          /* URI (with #anchor) -> loc * */
    loc **locs; size_t nlocs, caplocs;
    resource *resources;
    char **strings; size_t nstrings, capstrings;  /* owned strings (bases, keys) */
    size_t nnodes;
    const cer_schema *meta;  /* the dialect's meta-schema registry (refs may point there) */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static int oom(void) { return cer_err(-ENOMEM, "schema: out of memory"); }

static uint64_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static void *ptrmap_get(const ptrmap *m, const void *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].key)
            return NULL;
        if (m->slots[i].key == key)
            return m->slots[i].value;
    }
}

static int ptrmap_put(ptrmap *m, const void *key, void *value)
{
    if ((m->count + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        pslot *ns = calloc(ncap, sizeof *ns);

        if (!ns)
            return oom();
        for (size_t k = 0; k < m->cap; k++) {
            if (!m->slots[k].key)
                continue;
            for (size_t i = ptr_hash(m->slots[k].key) & (ncap - 1);; i = (i + 1) & (ncap - 1)) {
                if (!ns[i].key) {
                    ns[i] = m->slots[k];
                    break;
                }
            }
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].key) {
            m->slots[i].key = key;
            m->slots[i].value = value;
            m->count++;
            return 0;
        }
        if (m->slots[i].key == key) {
            m->slots[i].value = value;
            return 0;
        }
    }
}

/* A string the schema owns (freed with it). NULL when out of memory. */
static char *keep(cer_schema *s, char *str)
{
    if (!str)
        return NULL;
    if (s->nstrings == s->capstrings) {
        size_t ncap = s->capstrings * 2 + 16;
        char **g = realloc(s->strings, ncap * sizeof *g);

        if (!g) {
            free(str);
            return NULL;
        }
        s->strings = g;
        s->capstrings = ncap;
    }
    s->strings[s->nstrings++] = str;
    return str;
}

static bool is_obj(const cJSON *j) { return j && cJSON_IsObject(j); }
static bool is_schema(const cJSON *j) { return j && (cJSON_IsObject(j) || cJSON_IsBool(j)); }
static bool is_int(double d) { return isfinite(d) && floor(d) == d; }

static unsigned type_of(const cJSON *v)
{
    switch (v->type & 0xff) {
    case cJSON_NULL: return T_NULL;
    case cJSON_False: case cJSON_True: return T_BOOLEAN;
    case cJSON_Object: return T_OBJECT;
    case cJSON_Array: return T_ARRAY;
    case cJSON_Number: return is_int(v->valuedouble) ? (T_NUMBER | T_INTEGER) : T_NUMBER;
    case cJSON_String: return T_STRING;
    default: return 0;  /* a raw big integer: a BigInt in JavaScript, no JSON type */
    }
}

static size_t count_children(const cJSON *j)
{
    size_t n = 0;

    for (const cJSON *c = j ? j->child : NULL; c; c = c->next)
        n++;
    return n;
}

/* Unicode code points in a project string (U+0000 is C0 80): Ajv's
 * ucs2length counts a surrogate pair once, so this is the same number. */
static size_t ucs2length(const char *s)
{
    size_t n = 0;

    for (const uint8_t *p = (const uint8_t *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

/* ------------------------------------------------------------------ */
/* URIs (RFC 3986 reference resolution, what fast-uri's resolve does for  */
/* the ids and refs a schema holds)                                      */
/* ------------------------------------------------------------------ */

typedef struct uri {
    const char *scheme; size_t scheme_n;
    const char *auth; size_t auth_n; bool has_auth;
    const char *path; size_t path_n;
    const char *query; size_t query_n; bool has_query;
    const char *frag; size_t frag_n; bool has_frag;
} uri;

static void uri_parse(uri *u, const char *s)
{
    const char *p = s, *e;

    memset(u, 0, sizeof *u);
    for (e = p; *e && *e != ':' && *e != '/' && *e != '?' && *e != '#'; e++)
        ;
    if (*e == ':' && e > p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
        u->scheme = p;
        u->scheme_n = (size_t)(e - p);
        p = e + 1;
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        for (e = p; *e && *e != '/' && *e != '?' && *e != '#'; e++)
            ;
        u->has_auth = true;
        u->auth = p;
        u->auth_n = (size_t)(e - p);
        p = e;
    }
    for (e = p; *e && *e != '?' && *e != '#'; e++)
        ;
    u->path = p;
    u->path_n = (size_t)(e - p);
    p = e;
    if (*p == '?') {
        for (e = ++p; *e && *e != '#'; e++)
            ;
        u->has_query = true;
        u->query = p;
        u->query_n = (size_t)(e - p);
        p = e;
    }
    if (*p == '#') {
        u->has_frag = true;
        u->frag = p + 1;
        u->frag_n = strlen(p + 1);
    }
}

/* RFC 3986 5.2.4 remove_dot_segments, in place on a NUL-terminated path. */
static void remove_dots(char *path)
{
    char *in = path, *out = path;

    while (*in) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0) {
            in += 2;
        } else if (strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            in[1] = 0;
        } else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            in += 3;
            if (!*in) {
                *--in = '/';
            }
            while (out > path && *--out != '/')
                ;
            *out = 0;
        } else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            *in = 0;
        } else {
            do {
                *out++ = *in++;
            } while (*in && *in != '/');
        }
    }
    *out = 0;
}

/* resolve(base, ref), with Ajv's normalizeId (no trailing "#" or "#/").
 * Caller frees. */
static char *uri_resolve(const char *base, const char *ref)
{
    uri b, r;
    cer_buf out = CER_BUF_INIT, path = CER_BUF_INIT;
    const char *q = NULL, *f = NULL;
    size_t qn = 0, fn = 0;
    bool hq = false, hf;
    char *res;
    size_t n;

    uri_parse(&b, base);
    uri_parse(&r, ref);
    hf = r.has_frag, f = r.frag, fn = r.frag_n;
    if (r.scheme) {
        cer_buf_append(&out, r.scheme, r.scheme_n);
        cer_buf_puts(&out, ":");
        if (r.has_auth) {
            cer_buf_puts(&out, "//");
            cer_buf_append(&out, r.auth, r.auth_n);
        }
        cer_buf_append(&path, r.path, r.path_n);
        hq = r.has_query, q = r.query, qn = r.query_n;
    } else {
        if (b.scheme) {
            cer_buf_append(&out, b.scheme, b.scheme_n);
            cer_buf_puts(&out, ":");
        }
        if (r.has_auth) {
            cer_buf_puts(&out, "//");
            cer_buf_append(&out, r.auth, r.auth_n);
            cer_buf_append(&path, r.path, r.path_n);
            hq = r.has_query, q = r.query, qn = r.query_n;
        } else {
            if (b.has_auth) {
                cer_buf_puts(&out, "//");
                cer_buf_append(&out, b.auth, b.auth_n);
            }
            if (r.path_n == 0) {
                cer_buf_append(&path, b.path, b.path_n);
                if (r.has_query)
                    hq = true, q = r.query, qn = r.query_n;
                else
                    hq = b.has_query, q = b.query, qn = b.query_n;
            } else {
                if (r.path[0] == '/') {
                    cer_buf_append(&path, r.path, r.path_n);
                } else {
                    const char *slash = NULL;

                    if (b.has_auth && b.path_n == 0) {
                        cer_buf_puts(&path, "/");
                    } else {
                        for (size_t k = 0; k < b.path_n; k++)
                            if (b.path[k] == '/')
                                slash = b.path + k;
                        if (slash)
                            cer_buf_append(&path, b.path, (size_t)(slash - b.path) + 1);
                    }
                    cer_buf_append(&path, r.path, r.path_n);
                }
                hq = r.has_query, q = r.query, qn = r.query_n;
            }
        }
    }
    if (path.data) {
        if (out.len || path.data[0] == '/')
            remove_dots((char *)path.data);
        cer_buf_puts(&out, (const char *)path.data);
    }
    if (hq) {
        cer_buf_puts(&out, "?");
        cer_buf_append(&out, q, qn);
    }
    if (hf) {
        cer_buf_puts(&out, "#");
        cer_buf_append(&out, f, fn);
    }
    cer_buf_free(&path);
    res = out.data ? (char *)cer_buf_detach(&out) : strdup("");
    if (!res)
        return NULL;
    /* normalizeId: "#" or "#/" at the end goes */
    n = strlen(res);
    if (n && res[n - 1] == '#')
        res[n - 1] = 0;
    else if (n >= 2 && res[n - 2] == '#' && res[n - 1] == '/')
        res[n - 2] = 0;
    return res;
}

/* ------------------------------------------------------------------ */
/* The index walk (json-schema-traverse with allKeys, as Ajv's           */
/* getSchemaRefs does): resources, $id and anchors                       */
/* ------------------------------------------------------------------ */

static bool in_list(const char *k, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(k, *list) == 0)
            return true;
    return false;
}

static const char *const TRAVERSE_ARRAY[] = {"items", "allOf", "anyOf", "oneOf", NULL};
static const char *const TRAVERSE_PROPS[] = {"$defs", "definitions", "properties", "patternProperties",
                                             "dependencies", NULL};
static const char *const TRAVERSE_SKIP[] = {
    "default", "enum", "const", "required", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum",
    "multipleOf", "maxLength", "minLength", "pattern", "format", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", NULL};

static resource *new_resource(cer_schema *s, const char *base)
{
    resource *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->base = strdup(base);
    if (!r->base) {
        free(r);
        return NULL;
    }
    r->next = s->resources;
    s->resources = r;
    return r;
}

static int add_loc(cer_schema *s, const char *key, const cJSON *json, resource *res)
{
    loc *l;
    char *k;

    if (cer_strmap_get(&s->ids, key)) {
        loc *old = cer_strmap_get(&s->ids, key);

        if (old->json == json)
            return 0;
        if (cer_json_equal(old->json, json))
            return 0;
        return cer_err(-EINVAL, "schema: reference \"%s\" resolves to more than one schema", key);
    }
    l = calloc(1, sizeof *l);
    k = keep(s, strdup(key));
    if (!l || !k) {
        free(l);
        return oom();
    }
    if (s->nlocs == s->caplocs) {
        size_t ncap = s->caplocs * 2 + 16;
        loc **g = realloc(s->locs, ncap * sizeof *g);

        if (!g) {
            free(l);
            return oom();
        }
        s->locs = g;
        s->caplocs = ncap;
    }
    s->locs[s->nlocs++] = l;
    l->json = json;
    l->res = res;
    return cer_strmap_put(&s->ids, k, l) < 0 ? oom() : 0;
}

static bool anchor_ok(const char *a)
{
    if (!((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') || *a == '_'))
        return false;
    for (a++; *a; a++)
        if (!((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') || (*a >= '0' && *a <= '9') ||
              *a == '-' || *a == '.' || *a == '_'))
            return false;
    return true;
}

static int add_anchor(cer_schema *s, resource *res, const cJSON *obj, const char *name, bool dynamic)
{
    char *key;
    int rc;

    if (!anchor_ok(name))
        return cer_err(-EINVAL, "schema: invalid anchor \"%s\"", name);
    if (asprintf(&key, "%s#%s", res->base, name) < 0)
        return oom();
    rc = add_loc(s, key, obj, res);
    free(key);
    if (!rc && dynamic && !cer_strmap_get(&res->dyn, name)) {
        const char *k = keep(s, strdup(name));

        if (!k || cer_strmap_put(&res->dyn, k, (void *)obj) < 0)
            rc = oom();
    }
    return rc;
}

static int index_walk(cer_schema *s, const cJSON *j, resource *res, unsigned depth, bool root)
{
    const cJSON *id, *a;
    int rc;

    if (!is_obj(j))
        return 0;
    if (depth > SCHEMA_DEPTH_MAX)
        return cer_err(-EFBIG, "schema: nested deeper than %d", SCHEMA_DEPTH_MAX);
    id = cJSON_GetObjectItemCaseSensitive(j, "$id");
    if (!root && cJSON_IsString(id)) {
        char *abs = uri_resolve(res->base, id->valuestring);

        if (!abs)
            return oom();
        if (strchr(abs, '#')) {
            /* a plain-name fragment (draft-07's "$id": "#foo"): a location, no new base */
            rc = add_loc(s, abs, j, res);
            free(abs);
            if (rc)
                return rc;
            goto indexed;
        }
        res = new_resource(s, abs);
        free(abs);
        if (!res)
            return oom();
        if ((rc = add_loc(s, res->base, j, res)))
            return rc;
    }
indexed:
    if (ptrmap_put(&s->where, j, res) < 0)
        return oom();
    a = cJSON_GetObjectItemCaseSensitive(j, "$anchor");
    if (cJSON_IsString(a) && (rc = add_anchor(s, res, j, a->valuestring, false)))
        return rc;
    a = cJSON_GetObjectItemCaseSensitive(j, "$dynamicAnchor");
    if (!s->draft7 && cJSON_IsString(a) && (rc = add_anchor(s, res, j, a->valuestring, true)))
        return rc;
    a = cJSON_GetObjectItemCaseSensitive(j, "$recursiveAnchor");
    if (!s->draft7 && cJSON_IsTrue(a) && !cer_strmap_get(&res->dyn, "")) {
        if (cer_strmap_put(&res->dyn, "", (void *)j) < 0)
            return oom();
    }
    for (const cJSON *k = j->child; k; k = k->next) {
        if (cJSON_IsArray(k)) {
            if (in_list(k->string, TRAVERSE_ARRAY))
                for (const cJSON *e = k->child; e; e = e->next)
                    if ((rc = index_walk(s, e, res, depth + 1, false)))
                        return rc;
        } else if (in_list(k->string, TRAVERSE_PROPS)) {
            if (is_obj(k))
                for (const cJSON *e = k->child; e; e = e->next)
                    if ((rc = index_walk(s, e, res, depth + 1, false)))
                        return rc;
        } else if (!in_list(k->string, TRAVERSE_SKIP)) {
            if ((rc = index_walk(s, k, res, depth + 1, false)))
                return rc;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reference resolution                                                 */
/* ------------------------------------------------------------------ */

/* Undo one JSON Pointer token's escapes and the URI fragment's percent
 * encoding. Caller frees. */
static char *pointer_token(const char *t, size_t n)
{
    char *out = malloc(n + 1);
    size_t j = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '%' && i + 2 < n && isxdigit((unsigned char)t[i + 1]) &&
            isxdigit((unsigned char)t[i + 2])) {
            char h[3] = {t[i + 1], t[i + 2], 0};

            out[j++] = (char)strtol(h, NULL, 16);
            i += 2;
        } else {
            out[j++] = t[i];
        }
    }
    out[j] = 0;
    /* ~1 -> /, ~0 -> ~ */
    {
        size_t r = 0, w = 0;

        while (out[r]) {
            if (out[r] == '~' && out[r + 1] == '1')
                out[w++] = '/', r += 2;
            else if (out[r] == '~' && out[r + 1] == '0')
                out[w++] = '~', r += 2;
            else
                out[w++] = out[r++];
        }
        out[w] = 0;
    }
    return out;
}

static const cJSON *child_of(const cJSON *j, const char *tok)
{
    if (cJSON_IsObject(j))
        return cJSON_GetObjectItemCaseSensitive(j, tok);
    if (cJSON_IsArray(j)) {
        char *end;
        long i;

        if (!*tok || (tok[0] == '0' && tok[1]) || tok[0] == '-')
            return NULL;
        i = strtol(tok, &end, 10);
        if (*end || i < 0)
            return NULL;
        return cJSON_GetArrayItem(j, (int)i);
    }
    return NULL;
}

/* Finds full (an absolute ref) in registry s: 1 found (*out), 0 not. */
static int lookup(const cer_schema *s, const char *full, loc *out)
{
    const char *hash = strchr(full, '#');
    const loc *l;

    if (!hash || hash[1] != '/') {
        l = cer_strmap_get(&s->ids, full);
        if (!l)
            return 0;
        *out = *l;
        return 1;
    }
    {
        char *uri_part = strndup(full, (size_t)(hash - full));
        const char *p = hash + 1;
        const cJSON *j;
        resource *res;

        if (!uri_part)
            return oom();
        l = cer_strmap_get(&s->ids, uri_part);
        free(uri_part);
        if (!l)
            return 0;
        j = l->json;
        res = l->res;
        while (*p == '/') {
            const char *e = strchr(p + 1, '/');
            size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
            char *tok = pointer_token(p + 1, n);
            resource *r2;

            if (!tok)
                return oom();
            j = child_of(j, tok);
            free(tok);
            if (!j)
                return 0;
            r2 = ptrmap_get(&s->where, j);
            if (r2)
                res = r2;
            p += n + 1;
        }
        out->json = j;
        out->res = res;
        return 1;
    }
}

/* ------------------------------------------------------------------ */
/* Compilation                                                          */
/* ------------------------------------------------------------------ */

static int compile_node(cer_schema *s, const cJSON *j, resource *res, snode **out, unsigned depth);

static bool known_keyword(const cer_schema *s, const char *k)
{
    static const char *const BOTH[] = {
        "$schema", "$id", "$defs", "$vocabulary", "$comment", "definitions", "id", "$ref", "type",
        "nullable", "const", "enum", "multipleOf", "maximum", "minimum", "exclusiveMaximum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxProperties", "minProperties",
        "required", "maxItems", "minItems", "uniqueItems", "not", "anyOf", "oneOf", "allOf", "if",
        "then", "else", "propertyNames", "additionalProperties", "dependencies", "properties",
        "patternProperties", "contains", "format", "title", "description", "default", "deprecated",
        "readOnly", "writeOnly", "examples", "contentMediaType", "contentEncoding", "contentSchema",
        "formatMaximum", "formatMinimum", "formatExclusiveMaximum", "formatExclusiveMinimum", "items",
        NULL};
    static const char *const D7[] = {"additionalItems", NULL};
    static const char *const D2020[] = {
        "$dynamicAnchor", "$dynamicRef", "$recursiveAnchor", "$recursiveRef", "prefixItems",
        "dependentRequired", "dependentSchemas", "maxContains", "minContains", "unevaluatedProperties",
        "unevaluatedItems", NULL};

    return in_list(k, BOTH) || in_list(k, s->draft7 ? D7 : D2020);
}

/* Ajv's strict mode refusing a schema: "strict mode: <what>" [(<option>)]. */
static int strict_fail(const char *msg, const char *option)
{
    return cer_err(-EINVAL, "schema: strict mode: %s%s%s%s", msg, option ? " (" : "", option ? option : "",
                   option ? ")" : "");
}

static const struct { const char *name; enum fmt f; } FORMATS[] = {
    {"date", F_DATE}, {"time", F_TIME}, {"date-time", F_DATE_TIME}, {"duration", F_DURATION},
    {"uri", F_URI}, {"uri-reference", F_URI_REFERENCE}, {"uri-template", F_URI_TEMPLATE},
    {"url", F_URL}, {"email", F_EMAIL}, {"hostname", F_HOSTNAME}, {"ipv4", F_IPV4}, {"ipv6", F_IPV6},
    {"regex", F_REGEX}, {"uuid", F_UUID}, {"json-pointer", F_JSON_POINTER},
    {"json-pointer-uri-fragment", F_JSON_POINTER_URI_FRAGMENT},
    {"relative-json-pointer", F_RELATIVE_JSON_POINTER}, {"byte", F_BYTE}, {"int32", F_INT32},
    {"int64", F_INT64}, {"float", F_FLOAT}, {"double", F_DOUBLE}, {"password", F_PASSWORD},
    {"binary", F_BINARY},
};

static int get_types(const cJSON *t, unsigned *out)
{
    *out = 0;
    if (!t)
        return 0;
    if (cJSON_IsString(t)) {
        for (unsigned k = 0; k < 7; k++)
            if (strcmp(t->valuestring, TYPE_NAMES[k]) == 0)
                *out |= 1u << k;
        if (!*out)
            return cer_err(-EINVAL, "schema: type must be JSONType or JSONType[]: %s", t->valuestring);
        return 0;
    }
    if (cJSON_IsArray(t)) {
        for (const cJSON *e = t->child; e; e = e->next) {
            unsigned one;

            if (!cJSON_IsString(e) || get_types(e, &one))
                return cer_err(-EINVAL, "schema: type must be JSONType or JSONType[]");
            *out |= one;
        }
        return 0;
    }
    return cer_err(-EINVAL, "schema: type value must be [\"string\",\"array\"]");
}

static int sub(cer_schema *s, snode *n, const cJSON *j, snode **out, unsigned depth)
{
    return compile_node(s, j, n->res, out, depth + 1);
}

static int sub_array(cer_schema *s, snode *n, const cJSON *arr, snode ***out, size_t *cnt, unsigned depth)
{
    size_t k = 0;
    int rc;

    *cnt = count_children(arr);
    *out = calloc(*cnt ? *cnt : 1, sizeof **out);
    if (!*out)
        return oom();
    for (const cJSON *e = arr->child; e; e = e->next, k++)
        if ((rc = sub(s, n, e, &(*out)[k], depth)))
            return rc;
    return 0;
}

static int sub_map(cer_schema *s, snode *n, const cJSON *obj, named **out, size_t *cnt, unsigned depth)
{
    size_t k = 0;
    int rc;

    *cnt = count_children(obj);
    *out = calloc(*cnt ? *cnt : 1, sizeof **out);
    if (!*out)
        return oom();
    for (const cJSON *e = obj->child; e; e = e->next, k++) {
        (*out)[k].key = e->string;
        if ((rc = sub(s, n, e, &(*out)[k].s, depth)))
            return rc;
    }
    return 0;
}

static bool num(const cJSON *j, const char *k, double *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, k);

    if (!cJSON_IsNumber(x))
        return false;
    *v = x->valuedouble;
    return true;
}

/* The regex of a pattern keyword (u flag), as Ajv compiles it. */
static int compile_pattern(const char *src, cer_jsregex **out)
{
    int rc = cer_jsregex_new(out, src, strlen(src), CER_JSRE_UNICODE);

    if (rc == -EINVAL)
        return cer_err_wrap(rc, "schema: pattern \"%s\"", src);
    return rc;
}

static int resolve_into(cer_schema *s, snode *n, const char *ref, loc *out, const cer_schema **owner)
{
    char *full = uri_resolve(n->base, ref);
    int found;

    if (!full)
        return oom();
    *owner = s;
    found = lookup(s, full, out);
    if (found == 0 && s->meta) {
        *owner = s->meta;
        found = lookup(s->meta, full, out);
    }
    if (found == 0) {
        int rc = cer_err(-EINVAL, "schema: can't resolve reference %s from id %s", ref,
                         *n->base ? n->base : "#");
        free(full);
        return rc;
    }
    free(full);
    return found < 0 ? found : 0;
}

static int compile_ref(cer_schema *s, snode *n, const char *ref, snode **out, unsigned depth)
{
    loc l;
    const cer_schema *owner = s;
    int rc = resolve_into(s, n, ref, &l, &owner);

    if (rc)
        return rc;
    if (!is_schema(l.json))
        return cer_err(-EINVAL, "schema: reference %s is not a schema", ref);
    if (owner != s) {
        /* into the meta-schemas: their compiled nodes */
        *out = ptrmap_get(&owner->nodes, l.json);
        if (!*out)
            return cer_err(-EINVAL, "schema: can't resolve reference %s", ref);
        return 0;
    }
    return compile_node(s, l.json, l.res, out, depth + 1);
}

static int compile_keywords(cer_schema *s, snode *n, unsigned depth)
{
    const cJSON *j = n->json, *v;
    int rc;
    bool strict = s->strict_schema;
    double d;

    if (strict)
        for (const cJSON *k = j->child; k; k = k->next)
            if (!known_keyword(s, k->string))
                return cer_err(-EINVAL, "schema: strict mode: unknown keyword: \"%s\"", k->string);
    if (cJSON_GetObjectItemCaseSensitive(j, "id"))
        return cer_err(-EINVAL, "schema: NOT SUPPORTED: keyword \"id\", use \"$id\" for schema ID");

    /* type and nullable */
    if ((rc = get_types(cJSON_GetObjectItemCaseSensitive(j, "type"), &n->types)))
        return rc;
    v = cJSON_GetObjectItemCaseSensitive(j, "nullable");
    if (v) {
        if (!cJSON_IsBool(v))
            return cer_err(-EINVAL, "schema: nullable value must be [\"boolean\"]");
        if (n->types & T_NULL) {
            if (cJSON_IsFalse(v))
                return cer_err(-EINVAL, "schema: type: null contradicts nullable: false");
        } else if (!n->types) {
            return cer_err(-EINVAL, "schema: \"nullable\" cannot be used without \"type\"");
        } else if (cJSON_IsTrue(v)) {
            n->types |= T_NULL;
        }
    }

    /* references */
    v = cJSON_GetObjectItemCaseSensitive(j, "$ref");
    if (cJSON_IsString(v) && (rc = compile_ref(s, n, v->valuestring, &n->ref, depth)))
        return rc;
    if (!s->draft7) {
        const char *dref = NULL;

        v = cJSON_GetObjectItemCaseSensitive(j, "$dynamicRef");
        if (cJSON_IsString(v))
            dref = v->valuestring;
        v = cJSON_GetObjectItemCaseSensitive(j, "$recursiveRef");
        if (!dref && cJSON_IsString(v))
            dref = v->valuestring;
        v = cJSON_GetObjectItemCaseSensitive(j, "$recursiveAnchor");
        if (v && !cJSON_IsBool(v))
            return cer_err(-EINVAL, "schema: $recursiveAnchor value must be \"boolean\"");
        if (cJSON_IsFalse(v) && strict)
            return strict_fail("$recursiveAnchor: false is ignored", NULL);
        if (dref) {
            if (dref[0] != '#')
                return cer_err(-EINVAL, "schema: \"$dynamicRef\" only supports hash fragment reference");
            if ((rc = compile_ref(s, n, dref, &n->dynref, depth)))
                return rc;
            if (cJSON_GetObjectItemCaseSensitive(j, "$recursiveRef") &&
                !cJSON_GetObjectItemCaseSensitive(j, "$dynamicRef"))
                n->dyn_name = "";
            else if (dref[1] && dref[1] != '/')
                n->dyn_name = dref + 1;
        }
    }

    /* applicators */
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "allOf")) && (rc = sub_array(s, n, v, &n->all_of, &n->nall, depth)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "anyOf")) && (rc = sub_array(s, n, v, &n->any_of, &n->nany, depth)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "oneOf")) && (rc = sub_array(s, n, v, &n->one_of, &n->none, depth)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "not")) && (rc = sub(s, n, v, &n->not_, depth)))
        return rc;
    {
        const cJSON *ji = cJSON_GetObjectItemCaseSensitive(j, "if");
        const cJSON *jt = cJSON_GetObjectItemCaseSensitive(j, "then");
        const cJSON *je = cJSON_GetObjectItemCaseSensitive(j, "else");

        if (ji && !jt && !je && strict)
            return strict_fail("\"if\" without \"then\" and \"else\" is ignored", NULL);
        if (!ji && jt && strict)
            return strict_fail("\"then\" without \"if\" is ignored", NULL);
        if (!ji && je && strict)
            return strict_fail("\"else\" without \"if\" is ignored", NULL);
        if (ji && (jt || je)) {
            if ((rc = sub(s, n, ji, &n->if_, depth)))
                return rc;
            if (jt && (rc = sub(s, n, jt, &n->then_, depth)))
                return rc;
            if (je && (rc = sub(s, n, je, &n->else_, depth)))
                return rc;
        }
    }

    /* objects */
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "properties"))) {
        if ((rc = sub_map(s, n, v, &n->props, &n->nprops, depth)))
            return rc;
        if (cer_strmap_reserve(&n->propmap, n->nprops) < 0)
            return oom();
        /* Ajv's allSchemaProperties leaves "__proto__" out: never applied */
        for (size_t k = 0; k < n->nprops; k++)
            if (strcmp(n->props[k].key, "__proto__") != 0)
                cer_strmap_put(&n->propmap, n->props[k].key, &n->props[k]);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "patternProperties"))) {
        size_t k = 0;

        n->npats = count_children(v);
        n->pats = calloc(n->npats ? n->npats : 1, sizeof *n->pats);
        if (!n->pats)
            return oom();
        for (const cJSON *e = v->child; e; e = e->next, k++) {
            n->pats[k].src = e->string;
            if ((rc = compile_pattern(e->string, &n->pats[k].re)) || (rc = sub(s, n, e, &n->pats[k].s, depth)))
                return rc;
            /* Ajv's allowMatchingProperties (off): a property matching a pattern */
            if (strict && n->props) {
                cer_jsregex *legacy;

                if (cer_jsregex_new(&legacy, e->string, strlen(e->string), 0) == 0) {
                    for (size_t p = 0; p < n->nprops; p++) {
                        int m = cer_jsregex_test(legacy, n->props[p].key, strlen(n->props[p].key));

                        if (m != 0) {
                            cer_jsregex_free(legacy);
                            if (m < 0)
                                return m;
                            return cer_err(-EINVAL,
                                           "schema: strict mode: property %s matches pattern %s (use allowMatchingProperties)",
                                           n->props[p].key, e->string);
                        }
                    }
                    cer_jsregex_free(legacy);
                }
            }
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "additionalProperties")) && (rc = sub(s, n, v, &n->addprops, depth)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "propertyNames")) && (rc = sub(s, n, v, &n->propnames, depth)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "required")) && cJSON_IsArray(v) && v->child)
        n->required = v;
    if (!s->draft7) {
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "dependentRequired")) && cJSON_IsObject(v)) {
            size_t k = 0;

            n->ndepreq = count_children(v);
            n->depreq = calloc(n->ndepreq ? n->ndepreq : 1, sizeof *n->depreq);
            if (!n->depreq)
                return oom();
            for (const cJSON *e = v->child; e; e = e->next, k++)
                n->depreq[k].key = e->string, n->depreq[k].names = e, n->depreq[k].kw = "dependentRequired";
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "dependentSchemas")) &&
            (rc = sub_map(s, n, v, &n->depsch, &n->ndepsch, depth)))
            return rc;
        n->ndepsch2020 = n->ndepsch;
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "unevaluatedProperties")) &&
            (rc = sub(s, n, v, &n->uneval_props, depth)))
            return rc;
        if ((v = cJSON_GetObjectItemCaseSensitive(j, "unevaluatedItems")) &&
            (rc = sub(s, n, v, &n->uneval_items, depth)))
            return rc;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "dependencies")) && cJSON_IsObject(v)) {
        /* both forms: an array of names, or a schema */
        size_t nreq = 0, nsch = 0;

        for (const cJSON *e = v->child; e; e = e->next)
            cJSON_IsArray(e) ? nreq++ : nsch++;
        if (nreq) {
            depreq *g = realloc(n->depreq, (n->ndepreq + nreq) * sizeof *g);

            if (!g)
                return oom();
            n->depreq = g;
            for (const cJSON *e = v->child; e; e = e->next)
                if (cJSON_IsArray(e))
                    n->depreq[n->ndepreq].key = e->string, n->depreq[n->ndepreq].kw = "dependencies",
                    n->depreq[n->ndepreq++].names = e;
        }
        if (nsch) {
            named *g = realloc(n->depsch, (n->ndepsch + nsch) * sizeof *g);

            if (!g)
                return oom();
            n->depsch = g;
            for (const cJSON *e = v->child; e; e = e->next) {
                if (cJSON_IsArray(e))
                    continue;
                n->depsch[n->ndepsch].key = e->string;
                if ((rc = sub(s, n, e, &n->depsch[n->ndepsch++].s, depth)))
                    return rc;
            }
        }
    }
    if (num(j, "minProperties", &d))
        n->has_minprops = true, n->minprops = d;
    if (num(j, "maxProperties", &d))
        n->has_maxprops = true, n->maxprops = d;

    /* arrays */
    v = cJSON_GetObjectItemCaseSensitive(j, "items");
    if (s->draft7) {
        const cJSON *ai = cJSON_GetObjectItemCaseSensitive(j, "additionalItems");

        if (cJSON_IsArray(v)) {
            if ((rc = sub_array(s, n, v, &n->prefix, &n->nprefix, depth)))
                return rc;
            if (ai && (rc = sub(s, n, ai, &n->additional_items, depth)))
                return rc;
        } else {
            if (v && (rc = sub(s, n, v, &n->items, depth)))
                return rc;
            if (ai && strict)
                return strict_fail("\"additionalItems\" is ignored when \"items\" is not an array of schemas", NULL);
        }
    } else {
        const cJSON *pi = cJSON_GetObjectItemCaseSensitive(j, "prefixItems");

        if (pi && (rc = sub_array(s, n, pi, &n->prefix, &n->nprefix, depth)))
            return rc;
        if (v && (rc = sub(s, n, v, &n->items, depth)))
            return rc;
    }
    {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "contains");
        double mn = 1, mx = 0;
        bool has_mn = !s->draft7 && num(j, "minContains", &mn);
        bool has_mx = !s->draft7 && num(j, "maxContains", &mx);

        if (!c && (has_mn || has_mx) && strict)
            return strict_fail(has_mx ? "\"maxContains\" without \"contains\" is ignored"
                                         : "\"minContains\" without \"contains\" is ignored", NULL);
        if (c) {
            if (!has_mn)
                mn = 1;
            if (!has_mx && mn == 0) {
                if (strict)
                    return strict_fail("\"minContains\" == 0 without \"maxContains\": \"contains\" keyword ignored", NULL);
            } else {
                if (has_mx && mn > mx && strict)
                    return strict_fail("\"minContains\" > \"maxContains\" is always invalid", NULL);
                if ((rc = sub(s, n, c, &n->contains, depth)))
                    return rc;
                n->min_contains = mn;
                n->has_max_contains = has_mx;
                n->max_contains = mx;
            }
        }
    }
    if (num(j, "minItems", &d))
        n->has_minitems = true, n->minitems = d;
    if (num(j, "maxItems", &d))
        n->has_maxitems = true, n->maxitems = d;
    n->unique = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "uniqueItems"));

    /* any type */
    v = cJSON_GetObjectItemCaseSensitive(j, "enum");
    if (v) {
        if (cJSON_IsArray(v) && !v->child)
            return cer_err(-EINVAL, "schema: enum must have non-empty array");
        n->enum_ = v;
    }
    n->const_ = cJSON_GetObjectItemCaseSensitive(j, "const");

    /* numbers */
    n->has_min = num(j, "minimum", &n->min);
    n->has_max = num(j, "maximum", &n->max);
    n->has_xmin = num(j, "exclusiveMinimum", &n->xmin);
    n->has_xmax = num(j, "exclusiveMaximum", &n->xmax);
    n->has_mult = num(j, "multipleOf", &n->mult);

    /* strings */
    if (num(j, "minLength", &d))
        n->has_minlen = true, n->minlen = d;
    if (num(j, "maxLength", &d))
        n->has_maxlen = true, n->maxlen = d;
    v = cJSON_GetObjectItemCaseSensitive(j, "pattern");
    if (cJSON_IsString(v)) {
        n->pattern_src = v->valuestring;
        if ((rc = compile_pattern(v->valuestring, &n->pattern)))
            return rc;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "format");
    if (cJSON_IsString(v)) {
        n->format_name = v->valuestring;
        for (size_t k = 0; k < sizeof FORMATS / sizeof *FORMATS; k++)
            if (strcmp(FORMATS[k].name, v->valuestring) == 0)
                n->format = FORMATS[k].f;
        if (n->format == F_NONE && s->strict_schema)
            return cer_err(-EINVAL, "schema: unknown format \"%s\" ignored in schema", v->valuestring);
    }
    {
        static const char *const LIM[4] = {"formatMaximum", "formatMinimum", "formatExclusiveMaximum",
                                           "formatExclusiveMinimum"};

        for (int k = 0; k < 4; k++) {
            v = cJSON_GetObjectItemCaseSensitive(j, LIM[k]);
            if (!v)
                continue;
            if (!cJSON_IsString(v))
                return cer_err(-EINVAL, "schema: %s value must be \"string\"", LIM[k]);
            if (!cJSON_GetObjectItemCaseSensitive(j, "format"))
                return cer_err(-EINVAL, "schema: parent schema must have dependencies of %s: format", LIM[k]);
            if (n->format == F_NONE || n->format == F_PASSWORD || n->format == F_BINARY)
                continue;
            if (n->format != F_DATE && n->format != F_TIME && n->format != F_DATE_TIME)
                return cer_err(-EINVAL, "schema: \"%s\": format \"%s\" does not define \"compare\" function",
                               LIM[k], n->format_name);
            n->fmt_limit[k] = v->valuestring;
        }
    }
    return 0;
}

/* Keywords Ajv knows but that have no code (not in RULES.all). */
static const char *const NO_CODE_KEYWORDS[] = {
    "$schema", "$id", "$defs", "$vocabulary", "definitions", "title", "description", "default",
    "deprecated", "readOnly", "writeOnly", "examples", "contentMediaType", "contentEncoding",
    "contentSchema", NULL};

static int compile_node(cer_schema *s, const cJSON *j, resource *res, snode **out, unsigned depth)
{
    snode *n = ptrmap_get(&s->nodes, j);
    resource *r;
    int rc;

    if (n) {
        *out = n;
        return 0;
    }
    if (depth > SCHEMA_DEPTH_MAX)
        return cer_err(-EFBIG, "schema: nested deeper than %d (or references chained that deep)", SCHEMA_DEPTH_MAX);
    if (!is_schema(j))
        return cer_err(-EINVAL, "schema: a subschema is not an object or boolean");
    n = calloc(1, sizeof *n);
    if (!n)
        return oom();
    n->json = j;
    r = ptrmap_get(&s->where, j);
    n->res = r ? r : res;
    n->base = n->res->base;
    if (ptrmap_put(&s->nodes, j, n) < 0) {
        free(n);
        return oom();
    }
    s->nnodes++;
    *out = n;
    if (cJSON_IsBool(j)) {
        n->is_bool = true;
        n->bool_val = cJSON_IsTrue(j);
        return 0;
    }
    n->empty = j->child == NULL;
    n->no_rules = true;
    for (const cJSON *k = j->child; k; k = k->next)
        if (!in_list(k->string, NO_CODE_KEYWORDS))
            n->no_rules = false;
    rc = compile_keywords(s, n, depth);
    n->compiled = true;
    return rc;
}

/* ---- strict types (Ajv's strictTypes, strictTuples, strictRequired) ---- */

/* The type each typed keyword applies to (Ajv's keyword definitions). */
static const struct { const char *kw; unsigned types; } KEYWORD_TYPES[] = {
    {"minimum", T_NUMBER}, {"maximum", T_NUMBER}, {"exclusiveMinimum", T_NUMBER},
    {"exclusiveMaximum", T_NUMBER}, {"multipleOf", T_NUMBER},
    {"minLength", T_STRING}, {"maxLength", T_STRING}, {"pattern", T_STRING},
    {"formatMaximum", T_STRING}, {"formatMinimum", T_STRING}, {"formatExclusiveMaximum", T_STRING},
    {"formatExclusiveMinimum", T_STRING}, {"format", T_NUMBER | T_STRING},
    {"minProperties", T_OBJECT}, {"maxProperties", T_OBJECT}, {"required", T_OBJECT},
    {"dependentRequired", T_OBJECT}, {"dependentSchemas", T_OBJECT}, {"dependencies", T_OBJECT},
    {"properties", T_OBJECT}, {"patternProperties", T_OBJECT}, {"additionalProperties", T_OBJECT},
    {"propertyNames", T_OBJECT}, {"unevaluatedProperties", T_OBJECT},
    {"minItems", T_ARRAY}, {"maxItems", T_ARRAY}, {"uniqueItems", T_ARRAY}, {"items", T_ARRAY},
    {"prefixItems", T_ARRAY}, {"additionalItems", T_ARRAY}, {"contains", T_ARRAY},
    {"minContains", T_ARRAY}, {"maxContains", T_ARRAY}, {"unevaluatedItems", T_ARRAY},
};

static void types_text(char *out, size_t cap, unsigned t)
{
    out[0] = 0;
    for (unsigned k = 0; k < 7; k++) {
        if (!(t & (1u << k)))
            continue;
        if (out[0])
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, TYPE_NAMES[k], cap - strlen(out) - 1);
    }
}

/* includesType(ts, t): t in ts, or t integer and ts has number. */
static bool includes_type(unsigned ts, unsigned t)
{
    return (ts & t) || (t == T_INTEGER && (ts & T_NUMBER));
}

/* Ajv's alwaysValidSchema: true, or no keyword that has code. */
static bool always_valid(const snode *n)
{
    return n->is_bool ? n->bool_val : n->no_rules;
}

/* The names every JavaScript object inherits from Object.prototype: Ajv
 * ({ownProperties: false}) tests `data[name] !== undefined`, so for it
 * these are always present, and `properties` validates their inherited
 * values (functions: no JSON type; a "__proto__" property schema is never
 * applied, Ajv's allSchemaProperties leaves it out). */
static const char *const PROTO_NAMES[] = {
    "constructor", "__defineGetter__", "__defineSetter__", "hasOwnProperty", "__lookupGetter__",
    "__lookupSetter__", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf", "__proto__",
    "toLocaleString", NULL};

static int strict_node(cer_schema *s, snode *n, unsigned ctx, bool *required_seen, cer_strmap *defined);

/* The in-place subschemas share the data and the context. */
static int strict_inplace(cer_schema *s, snode *n, unsigned ctx, cer_strmap *defined)
{
    bool dummy = false;
    int rc = 0;

    /* Ajv's order: not, anyOf, oneOf, allOf, if, then, else */
    if (n->not_)
        rc = strict_node(s, n->not_, ctx, &dummy, defined);
    for (size_t k = 0; k < n->nany && !rc; k++)
        rc = strict_node(s, n->any_of[k], ctx, &dummy, defined);
    for (size_t k = 0; k < n->none && !rc; k++)
        rc = strict_node(s, n->one_of[k], ctx, &dummy, defined);
    for (size_t k = 0; k < n->nall && !rc; k++)
        rc = strict_node(s, n->all_of[k], ctx, &dummy, defined);
    {
        snode *list[3] = {n->if_, n->then_, n->else_};

        for (size_t k = 0; k < 3 && !rc; k++)
            if (list[k])
                rc = strict_node(s, list[k], ctx, &dummy, defined);
    }
    return rc;
}

static int strict_new_data(cer_schema *s, snode *n)
{
    cer_strmap defined = CER_STRMAP_INIT;
    bool dummy = false;
    int rc = n ? strict_node(s, n, 0, &dummy, &defined) : 0;

    cer_strmap_free(&defined);
    return rc;
}

static int strict_node(cer_schema *s, snode *n, unsigned ctx, bool *required_seen, cer_strmap *defined)
{
    const cJSON *j = n->json;
    unsigned ts = n->types;
    char buf[64], buf2[160];
    int rc;

    (void)required_seen;
    if (n->is_bool || n->empty)
        return 0;
    if (ptrmap_get(&s->nodes, n->json) != n)
        return 0;  /* a meta-schema's node: Ajv compiles those without strict checks */
    if (ctx < 128) {
        if (n->ctx_checked[ctx / 8] & (1u << (ctx % 8)))
            return 0;
        n->ctx_checked[ctx / 8] |= (uint8_t)(1u << (ctx % 8));
    }
    /* $ref alone: only the reference is compiled */
    if (n->ref) {
        bool others = false;

        for (const cJSON *k = j->child; k; k = k->next)
            if (strcmp(k->string, "$ref") != 0 && known_keyword(s, k->string) &&
                !in_list(k->string, NO_CODE_KEYWORDS))
                others = true;
        if (!others)
            return strict_new_data(s, n->ref);
    }
    if (s->strict_types) {
        /* checkContextTypes */
        if (ts) {
            if (!ctx) {
                ctx = ts;
            } else {
                unsigned nctx = 0;

                for (unsigned k = 0; k < 7; k++) {
                    unsigned t = 1u << k;

                    if ((ts & t) && !includes_type(ctx, t)) {
                        types_text(buf, sizeof buf, ctx);
                        snprintf(buf2, sizeof buf2, "type \"%s\" not allowed by context \"%s\"", TYPE_NAMES[k], buf);
                        return strict_fail(buf2, "strictTypes");
                    }
                }
                for (unsigned k = 0; k < 7; k++) {
                    unsigned t = 1u << k;

                    if (!(ctx & t))
                        continue;
                    if (includes_type(ts, t))
                        nctx |= t;
                    else if ((ts & T_INTEGER) && t == T_NUMBER)
                        nctx |= T_INTEGER;
                }
                ctx = nctx;
            }
        }
        /* checkMultipleTypes */
        if (ts && (ts & (ts - 1))) {
            unsigned rest = ts & ~(unsigned)T_NULL;

            if (!(ts & T_NULL) || (rest & (rest - 1)))
                return strict_fail("use allowUnionTypes to allow union type keyword", "strictTypes");
        }
        /* checkKeywordTypes */
        for (size_t k = 0; k < sizeof KEYWORD_TYPES / sizeof *KEYWORD_TYPES; k++) {
            unsigned kt = KEYWORD_TYPES[k].types;
            bool ok = false;

            if (!cJSON_GetObjectItemCaseSensitive(j, KEYWORD_TYPES[k].kw) || !known_keyword(s, KEYWORD_TYPES[k].kw))
                continue;
            for (unsigned b = 0; b < 7; b++) {
                unsigned t = 1u << b;

                if ((kt & t) && ((ctx & t) || (t == T_NUMBER && (ctx & T_INTEGER))))
                    ok = true;
            }
            if (!ok) {
                types_text(buf, sizeof buf, kt);
                snprintf(buf2, sizeof buf2, "missing type \"%s\" for keyword \"%s\"", buf, KEYWORD_TYPES[k].kw);
                return strict_fail(buf2, "strictTypes");
            }
        }
        /* strictTuples */
        if (n->nprefix && !s->draft7) {
            double mn, mx;
            bool full = num(j, "minItems", &mn) && mn == (double)n->nprefix &&
                        ((num(j, "maxItems", &mx) && mx == (double)n->nprefix) ||
                         cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "items")));

            if (!full)
                return strict_fail("\"prefixItems\" is a tuple, but minItems or maxItems/items are not specified or different", "strictTuples");
        }
    }
    /* in-place subschemas first (Ajv compiles them before the typed keywords) */
    if ((rc = strict_inplace(s, n, ctx, defined)))
        return rc;
    if (n->ref && (rc = strict_new_data(s, n->ref)))
        return rc;
    if (n->dynref && (rc = strict_new_data(s, n->dynref)))
        return rc;
    /* strictRequired: before this schema's properties are known to Ajv */
    if (s->strict_types && n->required) {
        for (const cJSON *r = n->required->child; r; r = r->next) {
            if (!cJSON_IsString(r))
                continue;
            /* Ajv tests parentSchema.properties?.[key]: with a properties
             * object, Object.prototype's names are "defined" there */
            if (!cer_strmap_get(&n->propmap, r->valuestring) && !cer_strmap_get(defined, r->valuestring) &&
                !(n->props && in_list(r->valuestring, PROTO_NAMES)))
                return cer_err(-EINVAL, "schema: strict mode: required property \"%s\" is not defined (strictRequired)",
                               r->valuestring);
        }
    }
    /* Ajv's definedProperties: the set the in-place subschemas of this
     * data share, replaced by a new one each time a subschema on new data
     * is compiled; the object group's order: propertyNames,
     * additionalProperties, dependencies, properties, patternProperties,
     * dependentSchemas */
    {
        cer_strmap fresh = CER_STRMAP_INIT, *cur = defined;

        if (n->propnames || (n->addprops && !always_valid(n->addprops)))
            cur = &fresh;
        for (size_t k = n->ndepsch2020; k < n->ndepsch && !rc; k++)
            rc = strict_node(s, n->depsch[k].s, ctx, required_seen, cur);
        for (size_t k = 0; k < n->nprops && !rc; k++)
            if (strcmp(n->props[k].key, "__proto__") != 0 &&
                cer_strmap_put(cur, n->props[k].key, (void *)n->props[k].key) < 0)
                rc = oom();
        for (size_t k = 0; k < n->nprops && !rc; k++) {
            if (always_valid(n->props[k].s))
                continue;
            /* a new set holding this property only */
            cer_strmap_free(&fresh);
            cur = &fresh;
            if (cer_strmap_put(cur, n->props[k].key, (void *)n->props[k].key) < 0)
                rc = oom();
        }
        for (size_t k = 0; k < n->npats && !rc; k++)
            if (!always_valid(n->pats[k].s)) {
                cer_strmap_free(&fresh);
                cur = &fresh;
            }
        for (size_t k = 0; k < n->ndepsch2020 && !rc; k++)
            rc = strict_node(s, n->depsch[k].s, ctx, required_seen, cur);
        cer_strmap_free(&fresh);
        if (rc)
            return rc;
    }
    /* subschemas on new data */
    for (size_t k = 0; k < n->nprops; k++)
        if ((rc = strict_new_data(s, n->props[k].s)))
            return rc;
    for (size_t k = 0; k < n->npats; k++)
        if ((rc = strict_new_data(s, n->pats[k].s)))
            return rc;
    for (size_t k = 0; k < n->nprefix; k++)
        if ((rc = strict_new_data(s, n->prefix[k])))
            return rc;
    {
        snode *list[6] = {n->addprops, n->uneval_props, n->uneval_items, n->items, n->additional_items, n->contains};

        for (size_t k = 0; k < 6; k++)
            if ((rc = strict_new_data(s, list[k])))
                return rc;
    }
    if (n->propnames) {
        cer_strmap d2 = CER_STRMAP_INIT;
        bool dummy = false;

        rc = strict_node(s, n->propnames, T_STRING, &dummy, &d2);
        cer_strmap_free(&d2);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Formats (ajv-formats 2.1.1, "full")                                  */
/* ------------------------------------------------------------------ */

static const char *const FORMAT_REGEX[F_COUNT] = {
    [F_DURATION] = "^P(?!$)((\\d+Y)?(\\d+M)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?|(\\d+W)?)$",
    [F_URI_REFERENCE] = "^(?:[a-z][a-z0-9+\\-.]*:)?(?:\\/?\\/(?:(?:[a-z0-9\\-._~!$&'()*+,;=:]|%[0-9a-f]{2})*@)?(?:\\[(?:(?:(?:(?:[0-9a-f]{1,4}:){6}|::(?:[0-9a-f]{1,4}:){5}|(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){4}|(?:(?:[0-9a-f]{1,4}:){0,1}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){3}|(?:(?:[0-9a-f]{1,4}:){0,2}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){2}|(?:(?:[0-9a-f]{1,4}:){0,3}[0-9a-f]{1,4})?::[0-9a-f]{1,4}:|(?:(?:[0-9a-f]{1,4}:){0,4}[0-9a-f]{1,4})?::)(?:[0-9a-f]{1,4}:[0-9a-f]{1,4}|(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?))|(?:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})?::[0-9a-f]{1,4}|(?:(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::)|[Vv][0-9a-f]+\\.[a-z0-9\\-._~!$&'()*+,;=:]+)\\]|(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)|(?:[a-z0-9\\-._~!$&'\"()*+,;=]|%[0-9a-f]{2})*)(?::\\d*)?(?:\\/(?:[a-z0-9\\-._~!$&'\"()*+,;=:@]|%[0-9a-f]{2})*)*|\\/(?:(?:[a-z0-9\\-._~!$&'\"()*+,;=:@]|%[0-9a-f]{2})+(?:\\/(?:[a-z0-9\\-._~!$&'\"()*+,;=:@]|%[0-9a-f]{2})*)*)?|(?:[a-z0-9\\-._~!$&'\"()*+,;=:@]|%[0-9a-f]{2})+(?:\\/(?:[a-z0-9\\-._~!$&'\"()*+,;=:@]|%[0-9a-f]{2})*)*)?(?:\\?(?:[a-z0-9\\-._~!$&'\"()*+,;=:@/?]|%[0-9a-f]{2})*)?(?:#(?:[a-z0-9\\-._~!$&'\"()*+,;=:@/?]|%[0-9a-f]{2})*)?$",
    [F_URI_TEMPLATE] = "^(?:(?:[^\\x00-\\x20\"'<>%\\\\^`{|}]|%[0-9a-f]{2})|\\{[+#./;?&=,!@|]?(?:[a-z0-9_]|%[0-9a-f]{2})+(?::[1-9][0-9]{0,3}|\\*)?(?:,(?:[a-z0-9_]|%[0-9a-f]{2})+(?::[1-9][0-9]{0,3}|\\*)?)*\\})*$",
    [F_URL] = "^(?:https?|ftp):\\/\\/(?:\\S+(?::\\S*)?@)?(?:(?!(?:10|127)(?:\\.\\d{1,3}){3})(?!(?:169\\.254|192\\.168)(?:\\.\\d{1,3}){2})(?!172\\.(?:1[6-9]|2\\d|3[0-1])(?:\\.\\d{1,3}){2})(?:[1-9]\\d?|1\\d\\d|2[01]\\d|22[0-3])(?:\\.(?:1?\\d{1,2}|2[0-4]\\d|25[0-5])){2}(?:\\.(?:[1-9]\\d?|1\\d\\d|2[0-4]\\d|25[0-4]))|(?:(?:[a-z0-9\\u{00a1}-\\u{ffff}]+-)*[a-z0-9\\u{00a1}-\\u{ffff}]+)(?:\\.(?:[a-z0-9\\u{00a1}-\\u{ffff}]+-)*[a-z0-9\\u{00a1}-\\u{ffff}]+)*(?:\\.(?:[a-z\\u{00a1}-\\u{ffff}]{2,})))(?::\\d{2,5})?(?:\\/[^\\s]*)?$",
    [F_EMAIL] = "^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    [F_HOSTNAME] = "^(?=.{1,253}\\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\\.?$",
    [F_IPV4] = "^(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)$",
    [F_IPV6] = "^((([0-9a-f]{1,4}:){7}([0-9a-f]{1,4}|:))|(([0-9a-f]{1,4}:){6}(:[0-9a-f]{1,4}|((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3})|:))|(([0-9a-f]{1,4}:){5}(((:[0-9a-f]{1,4}){1,2})|:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3})|:))|(([0-9a-f]{1,4}:){4}(((:[0-9a-f]{1,4}){1,3})|((:[0-9a-f]{1,4})?:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}))|:))|(([0-9a-f]{1,4}:){3}(((:[0-9a-f]{1,4}){1,4})|((:[0-9a-f]{1,4}){0,2}:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}))|:))|(([0-9a-f]{1,4}:){2}(((:[0-9a-f]{1,4}){1,5})|((:[0-9a-f]{1,4}){0,3}:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}))|:))|(([0-9a-f]{1,4}:){1}(((:[0-9a-f]{1,4}){1,6})|((:[0-9a-f]{1,4}){0,4}:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}))|:))|(:(((:[0-9a-f]{1,4}){1,7})|((:[0-9a-f]{1,4}){0,5}:((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}))|:)))$",
    [F_UUID] = "^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$",
    [F_JSON_POINTER] = "^(?:\\/(?:[^~/]|~0|~1)*)*$",
    [F_JSON_POINTER_URI_FRAGMENT] = "^#(?:\\/(?:[a-z0-9_\\-.!$&'()*+,;:=@]|%[0-9a-f]{2}|~0|~1)*)*$",
    [F_RELATIVE_JSON_POINTER] = "^(?:0|[1-9][0-9]*)(?:#|(?:\\/(?:[^~/]|~0|~1)*)*)$",
    [F_URI] = "^(?:[a-z][a-z0-9+\\-.]*:)(?:\\/?\\/(?:(?:[a-z0-9\\-._~!$&'()*+,;=:]|%[0-9a-f]{2})*@)?(?:\\[(?:(?:(?:(?:[0-9a-f]{1,4}:){6}|::(?:[0-9a-f]{1,4}:){5}|(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){4}|(?:(?:[0-9a-f]{1,4}:){0,1}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){3}|(?:(?:[0-9a-f]{1,4}:){0,2}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){2}|(?:(?:[0-9a-f]{1,4}:){0,3}[0-9a-f]{1,4})?::[0-9a-f]{1,4}:|(?:(?:[0-9a-f]{1,4}:){0,4}[0-9a-f]{1,4})?::)(?:[0-9a-f]{1,4}:[0-9a-f]{1,4}|(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?))|(?:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})?::[0-9a-f]{1,4}|(?:(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::)|[Vv][0-9a-f]+\\.[a-z0-9\\-._~!$&'()*+,;=:]+)\\]|(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)|(?:[a-z0-9\\-._~!$&'()*+,;=]|%[0-9a-f]{2})*)(?::\\d*)?(?:\\/(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*|\\/(?:(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\\/(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)?|(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\\/(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)(?:\\?(?:[a-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?(?:#(?:[a-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?$",
};
/* which of them have the i flag (all but duration and the pointers), and u */
static const unsigned FORMAT_FLAGS[F_COUNT] = {
    [F_DURATION] = 0, [F_URI_REFERENCE] = CER_JSRE_ICASE, [F_URI_TEMPLATE] = CER_JSRE_ICASE,
    [F_URL] = CER_JSRE_ICASE | CER_JSRE_UNICODE, [F_EMAIL] = CER_JSRE_ICASE, [F_HOSTNAME] = CER_JSRE_ICASE,
    [F_IPV4] = 0, [F_IPV6] = CER_JSRE_ICASE, [F_UUID] = CER_JSRE_ICASE, [F_JSON_POINTER] = 0,
    [F_JSON_POINTER_URI_FRAGMENT] = CER_JSRE_ICASE, [F_RELATIVE_JSON_POINTER] = 0, [F_URI] = CER_JSRE_ICASE,
};

static cer_jsregex *format_re[F_COUNT];
static int format_re_rc;
static pthread_once_t format_once = PTHREAD_ONCE_INIT;

static void format_init(void)
{
    for (int f = 0; f < F_COUNT && !format_re_rc; f++)
        if (FORMAT_REGEX[f])
            format_re_rc = cer_jsregex_new(&format_re[f], FORMAT_REGEX[f], strlen(FORMAT_REGEX[f]),
                                           FORMAT_FLAGS[f]);
}

static bool dig(char c) { return c >= '0' && c <= '9'; }

/* DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/ and the calendar check. */
static bool fmt_date(const char *s, size_t n)
{
    static const int DAYS[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (n != 10 || !dig(s[0]) || !dig(s[1]) || !dig(s[2]) || !dig(s[3]) || s[4] != '-' || !dig(s[5]) ||
        !dig(s[6]) || s[7] != '-' || !dig(s[8]) || !dig(s[9]))
        return false;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 &&
           d <= (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : DAYS[m]);
}

/* TIME = /^(\d\d):(\d\d):(\d\d)(\.\d+)?(z|[+-]\d\d(?::?\d\d)?)?$/i: the
 * parts as offsets (end of the fraction in *frac_end), or false. */
static bool time_parts(const char *s, size_t n, size_t *frac_end)
{
    size_t i = 8;

    if (n < 8 || !dig(s[0]) || !dig(s[1]) || s[2] != ':' || !dig(s[3]) || !dig(s[4]) || s[5] != ':' ||
        !dig(s[6]) || !dig(s[7]))
        return false;
    if (i < n && s[i] == '.' && i + 1 < n && dig(s[i + 1])) {
        i++;
        while (i < n && dig(s[i]))
            i++;
    }
    *frac_end = i;
    if (i == n)
        return true;
    if ((s[i] == 'z' || s[i] == 'Z') && i + 1 == n)
        return true;
    if (s[i] != '+' && s[i] != '-')
        return false;
    i++;
    if (i + 2 > n || !dig(s[i]) || !dig(s[i + 1]))
        return false;
    i += 2;
    if (i == n)
        return true;
    if (s[i] == ':')
        i++;
    return i + 2 == n && dig(s[i]) && dig(s[i + 1]);
}

static bool fmt_time(const char *s, size_t n)
{
    size_t fe;
    int h, m, sec;

    if (!time_parts(s, n, &fe))
        return false;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    sec = (s[6] - '0') * 10 + (s[7] - '0');
    /* (ajv-formats' time zone test compares undefined to "": always true) */
    return (h <= 23 && m <= 59 && sec <= 59) || (h == 23 && m == 59 && sec == 60);
}

/* JavaScript's \s (white space and line terminators), UTF-8 at s[0..n):
 * its length, or 0. */
static size_t js_space(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    uint32_t c;

    if (!n)
        return 0;
    if (p[0] < 0x80)
        return (p[0] >= 9 && p[0] <= 13) || p[0] == ' ' ? 1 : 0;
    if (n >= 2 && (p[0] & 0xe0) == 0xc0) {
        c = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
        return c == 0xa0 ? 2 : 0;
    }
    if (n >= 3 && (p[0] & 0xf0) == 0xe0) {
        c = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
        return c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
                       c == 0x205f || c == 0x3000 || c == 0xfeff
                   ? 3
                   : 0;
    }
    return 0;
}

/* str.split(/t|\s/i): the first two pieces and whether there are exactly
 * two. */
static size_t dt_split(const char *s, size_t n, size_t *first_end, size_t *second, size_t *second_end)
{
    size_t pieces = 1, i = 0;

    *first_end = n;
    *second = *second_end = n;
    while (i < n) {
        size_t w = (s[i] == 't' || s[i] == 'T') ? 1 : js_space(s + i, n - i);

        if (!w) {
            i++;
            continue;
        }
        if (pieces == 1) {
            *first_end = i;
            *second = i + w;
        } else if (pieces == 2) {
            *second_end = i;
        }
        pieces++;
        i += w;
    }
    return pieces;
}

static bool fmt_date_time(const char *s, size_t n)
{
    size_t fe, b, be;

    if (dt_split(s, n, &fe, &b, &be) != 2)
        return false;
    return fmt_date(s, fe) && fmt_time(s + b, be - b);
}

/* BYTE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/gm:
 * with m, any line (between JavaScript line terminators) may match. */
static bool b64c(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || dig(c) || c == '+' || c == '/';
}

static bool b64_line(const char *s, size_t n)
{
    if (n % 4)
        return false;
    for (size_t i = 0; i + 2 < n; i++)
        if (!b64c(s[i]))
            return false;
    if (n == 0)
        return true;
    if (b64c(s[n - 2]))
        return b64c(s[n - 1]) || s[n - 1] == '=';
    return s[n - 2] == '=' && s[n - 1] == '=';
}

static bool fmt_byte(const char *s, size_t n)
{
    size_t start = 0, i = 0;

    while (i <= n) {
        size_t w = 0;

        if (i < n) {
            const uint8_t *p = (const uint8_t *)s + i;

            if (p[0] == '\n' || p[0] == '\r')
                w = 1;
            else if (n - i >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
                w = 3;
        }
        if (i == n || w) {
            if (b64_line(s + start, i - start))
                return true;
            if (i == n)
                break;
            i += w;
            start = i;
        } else {
            i++;
        }
    }
    return false;
}

/* The "regex" format: no unescaped \Z, and new RegExp(str) compiles. */
static bool fmt_regex(const char *s, size_t n)
{
    cer_jsregex *re;

    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] != '\\' && s[i + 1] == '\\' && s[i + 2] == 'Z')
            return false;
    return cer_jsregex_new(&re, s, n, CER_JSRE_SYNTAX) == 0;
}

/* 1 valid, 0 invalid, <0 error. */
static int check_format(enum fmt f, const cJSON *v)
{
    const char *s;
    size_t n;
    int rc;

    if (f == F_INT32 || f == F_INT64 || f == F_FLOAT || f == F_DOUBLE) {
        double d;

        if (!cJSON_IsNumber(v))
            return 1;
        d = v->valuedouble;
        if (f == F_INT32)
            return is_int(d) && d <= 2147483647.0 && d >= -2147483648.0;
        if (f == F_INT64)
            return is_int(d);
        return 1;
    }
    if (!cJSON_IsString(v))
        return 1;
    s = v->valuestring;
    n = strlen(s);
    switch (f) {
    case F_DATE: return fmt_date(s, n);
    case F_TIME: return fmt_time(s, n);
    case F_DATE_TIME: return fmt_date_time(s, n);
    case F_BYTE: return fmt_byte(s, n);
    case F_REGEX: return fmt_regex(s, n);
    case F_PASSWORD: case F_BINARY: case F_NONE: return 1;
    default: break;
    }
    pthread_once(&format_once, format_init);
    if (format_re_rc)
        return format_re_rc;
    if (f == F_URI && !strpbrk(s, "/:"))
        return 0;
    rc = cer_jsregex_test(format_re[f], s, n);
    return rc;
}

/* ajv-formats' compare functions: <0, 0, >0, or 2 for undefined. */
static int cmp_str(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);

    if (c)
        return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static int compare_date(const char *a, size_t an, const char *b, size_t bn)
{
    if (!an || !bn)
        return 2;
    return cmp_str(a, an, b, bn);
}

static int compare_time(const char *a, size_t an, const char *b, size_t bn)
{
    size_t fa, fb;
    char ta[80], tb[80];
    size_t la, lb;

    if (!an || !bn || !time_parts(a, an, &fa) || !time_parts(b, bn, &fb))
        return 2;
    /* hours + minutes + seconds + fraction, as strings */
    la = 0;
    memcpy(ta + la, a, 2), la += 2;
    memcpy(ta + la, a + 3, 2), la += 2;
    memcpy(ta + la, a + 6, 2), la += 2;
    lb = 0;
    memcpy(tb + lb, b, 2), lb += 2;
    memcpy(tb + lb, b + 3, 2), lb += 2;
    memcpy(tb + lb, b + 6, 2), lb += 2;
    {
        int c = cmp_str(ta, la, tb, lb);
        size_t xa = fa - 8, xb = fb - 8;

        if (c)
            return c;
        return cmp_str(a + 8, xa, b + 8, xb);
    }
}

static int compare_date_time(const char *a, size_t an, const char *b, size_t bn)
{
    size_t fa, sa, ea, fb, sb, eb;
    int c;

    if (!an || !bn)
        return 2;
    dt_split(a, an, &fa, &sa, &ea);
    dt_split(b, bn, &fb, &sb, &eb);
    c = compare_date(a, fa, b, fb);
    if (c != 0)
        return c;
    if (sa >= an || sb >= bn)
        return 2;  /* compareTime(undefined, ...) */
    return compare_time(a + sa, ea - sa, b + sb, eb - sb);
}

/* ------------------------------------------------------------------ */
/* Validation                                                           */
/* ------------------------------------------------------------------ */

/* Evaluated properties and items, as Ajv's generated code tracks them
 * for unevaluatedProperties/unevaluatedItems: each schema context has a
 * compile-time state (it.props / it.items: nothing yet, a static set or
 * count, "all", or a variable of the generated code) and variables have
 * run-time values (undefined, true, a set or count). The merges below are
 * Ajv's mergeEvaluated, done at the same points in the same order, so a
 * merge compiled inside a branch that does not run leaves a variable
 * undefined exactly as it does in Ajv. Props are bitsets over the members
 * of the instance object, items a count. */
enum { K_UNDEF, K_STATIC, K_TRUE, K_NAME };
enum { V_UNDEF, V_TRUE, V_SET };

typedef struct evar {
    int v;
    uint8_t *bits;           /* props, V_SET */
    size_t n;                /* items, V_SET */
    unsigned refs;
} evar;

typedef struct evs {
    int kind;
    uint8_t *bits;           /* props, K_STATIC (owned) */
    size_t n;                /* items, K_STATIC */
    evar *var;               /* K_NAME (a reference) */
} evs;

typedef struct ann {
    evs props, items;
    size_t nmembers;         /* members of the instance object */
} ann;

typedef struct vctx {
    const cer_schema *s;
    cer_schema_error *errs;
    size_t nerrs, caperrs, dropped;
    cer_buf path;            /* instance path, JSON Pointer */
    uint64_t budget;
    unsigned depth;
    const resource **scope;  /* dynamic scope, outermost first */
    size_t nscope;
    int fatal;
} vctx;

static int fatal(vctx *c, int rc)
{
    if (!c->fatal)
        c->fatal = rc;
    return rc;
}

static void error_at(vctx *c, const char *keyword, const char *fmt, ...) CER_PRINTF(3, 4);
static void error_at(vctx *c, const char *keyword, const char *fmt, ...)
{
    cer_schema_error *e;
    va_list ap;

    if (c->fatal)
        return;
    if (c->nerrs >= ERRORS_MAX) {
        c->dropped++;
        return;
    }
    if (c->nerrs == c->caperrs) {
        size_t ncap = c->caperrs * 2 + 8;
        cer_schema_error *g = realloc(c->errs, ncap * sizeof *g);

        if (!g) {
            fatal(c, oom());
            return;
        }
        c->errs = g;
        c->caperrs = ncap;
    }
    e = &c->errs[c->nerrs];
    e->instance_path = strdup(c->path.data ? (const char *)c->path.data : "");
    e->keyword = strdup(keyword);
    va_start(ap, fmt);
    if (vasprintf(&e->message, fmt, ap) < 0)
        e->message = NULL;
    va_end(ap);
    if (!e->instance_path || !e->keyword || !e->message) {
        free(e->instance_path);
        free(e->keyword);
        free(e->message);
        fatal(c, oom());
        return;
    }
    c->nerrs++;
}

/* Drops the errors recorded since mark (a passing anyOf, an if). */
static void errors_reset(vctx *c, size_t mark)
{
    while (c->nerrs > mark) {
        c->nerrs--;
        free(c->errs[c->nerrs].instance_path);
        free(c->errs[c->nerrs].keyword);
        free(c->errs[c->nerrs].message);
    }
    if (c->nerrs < ERRORS_MAX)
        c->dropped = 0;
}

/* Step the instance path into key (or index i); path_pop(c, mark) steps out. */
static size_t path_push_key(vctx *c, const char *key)
{
    size_t mark = c->path.len;

    if (cer_buf_ptr_push(&c->path, key) < 0)
        fatal(c, oom());
    return mark;
}

static size_t path_push_index(vctx *c, size_t i)
{
    size_t mark = c->path.len;

    if (cer_buf_ptr_push_index(&c->path, i) < 0)
        fatal(c, oom());
    return mark;
}

static void path_pop(vctx *c, size_t mark)
{
    cer_buf_truncate(&c->path, mark);
}

static const char *numtext(char buf[CER_JSON_NUMBER_MAX], double d)
{
    cer_json_number_text(buf, d);
    return buf;
}

static bool validate(vctx *c, const snode *n, const cJSON *v, ann *a);

static size_t nbytes(const ann *a) { return a->nmembers / 8 + 1; }

static void ann_init(ann *a, const cJSON *v)
{
    memset(a, 0, sizeof *a);
    a->nmembers = cJSON_IsObject(v) ? count_children(v) : 0;
}

static void var_put(evar *x)
{
    if (x && --x->refs == 0) {
        free(x->bits);
        free(x);
    }
}

static void evs_clear(evs *e)
{
    free(e->bits);
    var_put(e->var);
    memset(e, 0, sizeof *e);
}

static void ann_free(ann *a)
{
    evs_clear(&a->props);
    evs_clear(&a->items);
}

static uint8_t *bits_new(vctx *c, const ann *a, const uint8_t *from)
{
    uint8_t *b = calloc(nbytes(a), 1);

    if (!b)
        fatal(c, -ENOMEM);
    else if (from)
        memcpy(b, from, nbytes(a));
    return b;
}

static evar *var_new(vctx *c)
{
    evar *x = calloc(1, sizeof *x);

    if (!x)
        fatal(c, -ENOMEM);
    else
        x->refs = 1;
    return x;
}

static void bits_or(uint8_t *to, const uint8_t *from, const ann *a)
{
    for (size_t k = 0; from && k < nbytes(a); k++)
        to[k] |= from[k];
}

/* A static value (K_STATIC or K_TRUE) as the value of a variable, so that
 * Ajv's mergeToName is the variable merge below. */
static evar static_var(const evs *s)
{
    evar x = {.v = s->kind == K_TRUE ? V_TRUE : V_SET, .bits = s->bits, .n = s->n};

    return x;
}

/* mergeNames (mergeToName: from = static_var(value)): one variable into
 * another, at run time. */
static void props_names(vctx *c, const ann *a, const evar *from, evar *to)
{
    if (to->v == V_TRUE || from->v == V_UNDEF)
        return;
    if (from->v == V_TRUE) {
        to->v = V_TRUE;
        return;
    }
    if (to->v == V_UNDEF) {
        to->v = V_SET;
        if (!to->bits && !(to->bits = bits_new(c, a, NULL)))
            return;
    }
    bits_or(to->bits, from->bits, a);
}

static void items_names(const evar *from, evar *to)
{
    if (to->v == V_TRUE || from->v == V_UNDEF)
        return;
    if (from->v == V_TRUE)
        to->v = V_TRUE;
    else if (to->v == V_UNDEF || from->n > to->n)
        to->v = V_SET, to->n = from->n;
}

/* Ajv's mergeEvaluated for one of props/items: from into to; to_name
 * (mergeValidEvaluated, oneOf, a dynamic $ref) makes the result a
 * variable; ran: whether this point of the generated code runs. The
 * caller has checked it.props !== true. */
static void merge_evs(vctx *c, const ann *a, evs *to, const evs *from, bool items, bool to_name, bool ran)
{
    evs res;

    if (to->kind == K_TRUE || from->kind == K_UNDEF || c->fatal)
        return;
    if (to->kind == K_UNDEF) {
        res = *from;
        res.bits = NULL;
        if (from->kind == K_NAME)
            from->var->refs++;
        if (from->kind == K_STATIC && !items && !(res.bits = bits_new(c, a, from->bits)))
            return;
        *to = res;
    } else if (to->kind == K_NAME) {
        if (ran) {
            evar f = from->kind == K_NAME ? *from->var : static_var(from);

            items ? items_names(&f, to->var) : props_names(c, a, &f, to->var);
        }
    } else if (from->kind == K_NAME) {
        /* to static: merged into from's variable, which to becomes */
        evar t = static_var(to);

        if (ran)
            items ? items_names(&t, from->var) : props_names(c, a, &t, from->var);
        evs_clear(to);
        to->kind = K_NAME;
        to->var = from->var;
        from->var->refs++;
    } else if (from->kind == K_TRUE) {
        evs_clear(to);
        to->kind = K_TRUE;
    } else if (items) {
        if (from->n > to->n)
            to->n = from->n;
    } else {
        bits_or(to->bits, from->bits, a);
    }
    if (to_name && to->kind != K_NAME) {
        /* resultToName: a variable, set only if this code runs */
        evar *x = var_new(c);

        if (!x)
            return;
        if (ran) {
            x->v = to->kind == K_TRUE ? V_TRUE : V_SET;
            x->n = to->n;
            if (!items && to->kind == K_STATIC && !(x->bits = bits_new(c, a, to->bits))) {
                var_put(x);
                return;
            }
        }
        evs_clear(to);
        to->kind = K_NAME;
        to->var = x;
    }
}

static void merge_ann(vctx *c, ann *to, const ann *from, bool to_name, bool ran)
{
    merge_evs(c, to, &to->props, &from->props, false, to_name, ran);
    merge_evs(c, to, &to->items, &from->items, true, to_name, ran);
}

static void set_true(evs *e)
{
    evs_clear(e);
    e->kind = K_TRUE;
}


static void static_state(vctx *c, const snode *n, const cJSON *v, ann *a, unsigned depth);

/* Applies sub to v in place. With a (the parent tracks evaluation): how
 * sub's state merges: MERGE_ALWAYS (allOf, if, a $ref: mergeEvaluated),
 * MERGE_VALID (anyOf, then/else, dependentSchemas: mergeValidEvaluated),
 * MERGE_REF (a $ref: a variable if the target's state is one). */
enum { MERGE_ALWAYS, MERGE_VALID, MERGE_REF };

static bool apply_inplace(vctx *c, const snode *sub, const cJSON *v, ann *a, int how)
{
    ann t;
    bool ok;

    if (!a)
        return validate(c, sub, v, NULL);
    ann_init(&t, v);
    ok = validate(c, sub, v, &t);
    if (how == MERGE_ALWAYS)
        merge_ann(c, a, &t, false, true);
    else if (how == MERGE_VALID)
        merge_ann(c, a, &t, true, ok);
    else {
        merge_evs(c, a, &a->props, &t.props, false, t.props.kind == K_NAME, true);
        merge_evs(c, a, &a->items, &t.items, true, t.items.kind == K_NAME, true);
    }
    ann_free(&t);
    return ok;
}

/* The same merge for a subschema whose code does not run: its
 * compile-time state, its variables undefined. */
static void merge_not_run(vctx *c, const snode *sub, const cJSON *v, ann *a, unsigned depth)
{
    ann t;

    if (!a)
        return;
    ann_init(&t, v);
    static_state(c, sub, v, &t, depth + 1);
    merge_ann(c, a, &t, true, false);
    ann_free(&t);
}

/* The object's member with this key, by a scan (small objects) or a map
 * built once per object check. */
typedef struct members {
    const cJSON *obj;
    size_t n;
    cer_strmap map;
    bool mapped;
} members;

static const cJSON *member(vctx *c, members *m, const char *key)
{
    if (m->n <= 16) {
        for (const cJSON *e = m->obj->child; e; e = e->next)
            if (strcmp(e->string, key) == 0)
                return e;
        return NULL;
    }
    if (!m->mapped) {
        if (cer_strmap_reserve(&m->map, m->n) < 0) {
            fatal(c, -ENOMEM);
            return NULL;
        }
        for (const cJSON *e = m->obj->child; e; e = e->next)
            cer_strmap_put(&m->map, e->string, (void *)e);
        m->mapped = true;
    }
    return cer_strmap_get(&m->map, key);
}

static bool present(vctx *c, members *m, const char *key)
{
    return member(c, m, key) || in_list(key, PROTO_NAMES);
}

static bool validate_object(vctx *c, const snode *n, const cJSON *v)
{
    members m = {.obj = v, .n = count_children(v), .map = CER_STRMAP_INIT};
    bool ok = true;
    size_t i;
    const cJSON *e;
    char nb[CER_JSON_NUMBER_MAX];

    if (n->has_maxprops && (double)m.n > n->maxprops) {
        error_at(c, "maxProperties", "must NOT have more than %s properties", numtext(nb, n->maxprops));
        ok = false;
    }
    if (n->has_minprops && (double)m.n < n->minprops) {
        error_at(c, "minProperties", "must NOT have fewer than %s properties", numtext(nb, n->minprops));
        ok = false;
    }
    if (n->required)
        for (const cJSON *r = n->required->child; r; r = r->next)
            if (cJSON_IsString(r) && !present(c, &m, r->valuestring)) {
                error_at(c, "required", "must have required property '%s'", r->valuestring);
                ok = false;
            }
    for (size_t k = 0; k < n->ndepreq; k++) {
        if (!present(c, &m, n->depreq[k].key) || !cJSON_IsArray(n->depreq[k].names))
            continue;
        for (const cJSON *r = n->depreq[k].names->child; r; r = r->next)
            if (cJSON_IsString(r) && !present(c, &m, r->valuestring)) {
                error_at(c, n->depreq[k].kw, "must have property %s when property %s is present", r->valuestring, n->depreq[k].key);
                ok = false;
            }
    }
    if (n->propnames) {
        for (e = v->child; e; e = e->next) {
            cJSON name = {.type = cJSON_String, .valuestring = e->string};

            if (!validate(c, n->propnames, &name, NULL)) {
                error_at(c, "propertyNames", "property name must be valid");
                ok = false;
            }
        }
    }
    for (i = 0, e = v->child; e; e = e->next, i++) {
        const named *p = n->nprops ? cer_strmap_get(&n->propmap, e->string) : NULL;
        bool matched = p != NULL;
        size_t mark;

        if (c->fatal)
            break;
        if (p) {
            mark = path_push_key(c, e->string);
            if (!validate(c, p->s, e, NULL))
                ok = false;
            path_pop(c, mark);
        }
        for (size_t k = 0; k < n->npats; k++) {
            int r = cer_jsregex_test(n->pats[k].re, e->string, strlen(e->string));

            if (r < 0) {
                fatal(c, r);
                break;
            }
            if (!r)
                continue;
            matched = true;
            mark = path_push_key(c, e->string);
            if (!validate(c, n->pats[k].s, e, NULL))
                ok = false;
            path_pop(c, mark);
        }
        if (n->addprops && !matched) {
            mark = path_push_key(c, e->string);
            if (n->addprops->is_bool && !n->addprops->bool_val) {
                path_pop(c, mark);
                error_at(c, "additionalProperties", "must NOT have additional properties");
                ok = false;
            } else {
                if (!validate(c, n->addprops, e, NULL))
                    ok = false;
                path_pop(c, mark);
            }
        }
    }
    for (size_t k = 0; k < n->nprops && !c->fatal; k++) {
        const char *key = n->props[k].key;

        if (in_list(key, PROTO_NAMES) && strcmp(key, "__proto__") != 0 && !member(c, &m, key)) {
            cJSON inherited = {.type = cJSON_Invalid};
            size_t mark = path_push_key(c, key);

            if (!validate(c, n->props[k].s, &inherited, NULL))
                ok = false;
            path_pop(c, mark);
        }
    }
    if (m.mapped)
        cer_strmap_free(&m.map);
    return ok;
}

/* Whether key is an array index for JavaScript ("0".."4294967294", no
 * leading zero): such keys come first in Object.keys, ascending. */
static bool index_key(const char *k, uint32_t *out)
{
    uint64_t v = 0;

    if (!*k || (k[0] == '0' && k[1]))
        return false;
    for (; *k; k++) {
        if (*k < '0' || *k > '9' || (v = v * 10 + (uint64_t)(*k - '0')) > 4294967294u)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

typedef struct keyed { const cJSON *m; uint32_t idx; bool is_idx; size_t pos; } keyed;

static int keyed_cmp(const void *x, const void *y)
{
    const keyed *a = x, *b = y;

    if (a->is_idx != b->is_idx)
        return a->is_idx ? -1 : 1;
    if (a->is_idx)
        return a->idx < b->idx ? -1 : a->idx > b->idx;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static const cJSON *own(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* fast-deep-equal 3.1.3, Ajv's equal, on values as JSON.parse makes them:
 * 1 equal, 0 not, -1 where it throws (an own "valueOf" or "toString" that
 * is not a function); an own "constructor" compares with === (so two
 * objects are never the same). Keys in Object.keys order, checked from the
 * last, as it does. */
static int js_equal(vctx *c, const cJSON *a, const cJSON *b, unsigned depth)
{
    int ta = a->type & 0xff, tb = b->type & 0xff;

    if (depth > EVAL_DEPTH_MAX) {
        fatal(c, cer_err(-EFBIG, "schema: values nested too deeply to compare"));
        return 0;
    }
    if ((ta == cJSON_Object || ta == cJSON_Array) && (tb == cJSON_Object || tb == cJSON_Array)) {
        const cJSON *ca = ta == cJSON_Object ? own(a, "constructor") : NULL;
        const cJSON *cb = tb == cJSON_Object ? own(b, "constructor") : NULL;

        if (ta != tb)
            return 0;  /* Array vs Object (an own constructor is never either) */
        if (ca || cb) {
            int t1, t2;

            if (!ca || !cb)
                return 0;
            t1 = ca->type & 0xff, t2 = cb->type & 0xff;
            /* ===: objects by identity, the rest by value */
            if (t1 != t2 || t1 == cJSON_Object || t1 == cJSON_Array ||
                (t1 == cJSON_Number && ca->valuedouble != cb->valuedouble) ||
                ((t1 == cJSON_String || t1 == cJSON_Raw) && strcmp(ca->valuestring, cb->valuestring) != 0))
                return 0;
        }
        if (ta == cJSON_Array) {
            size_t n = count_children(a), k = 0;
            const cJSON **xs;
            int r = 1;

            if (n != count_children(b))
                return 0;
            if (!n)
                return 1;
            if (!(xs = malloc(2 * n * sizeof *xs))) {
                fatal(c, -ENOMEM);
                return 0;
            }
            for (const cJSON *x = a->child, *y = b->child; x; x = x->next, y = y->next, k++)
                xs[2 * k] = x, xs[2 * k + 1] = y;
            for (size_t i = n; i-- > 0 && r == 1;)
                r = js_equal(c, xs[2 * i], xs[2 * i + 1], depth + 1);
            free(xs);
            return r;
        }
        if (own(a, "valueOf") || own(a, "toString"))
            return -1;
        {
            size_t n = count_children(a), k = 0;
            keyed *ks;
            int r = 1;

            if (n != count_children(b))
                return 0;
            if (!n)
                return 1;
            if (!(ks = malloc(n * sizeof *ks))) {
                fatal(c, -ENOMEM);
                return 0;
            }
            for (const cJSON *m = a->child; m; m = m->next, k++) {
                ks[k].m = m;
                ks[k].pos = k;
                ks[k].is_idx = index_key(m->string, &ks[k].idx);
            }
            qsort(ks, n, sizeof *ks, keyed_cmp);
            for (size_t i = n; i-- > 0 && r == 1;)
                if (!own(b, ks[i].m->string))
                    r = 0;
            for (size_t i = n; i-- > 0 && r == 1;)
                r = js_equal(c, ks[i].m, own(b, ks[i].m->string), depth + 1);
            free(ks);
            return r;
        }
    }
    if (ta != tb)
        return 0;
    switch (ta) {
    case cJSON_Number: return a->valuedouble == b->valuedouble;
    case cJSON_String: case cJSON_Raw: return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_True: case cJSON_False: case cJSON_NULL: return 1;
    default: return 0;
    }
}

/* Whether v holds an object with an own key JavaScript objects inherit
 * ("valueOf", "toString", "constructor"): where js_equal departs from
 * structural equality. */
static bool has_proto_keys(const cJSON *v, unsigned depth)
{
    if (depth > EVAL_DEPTH_MAX)
        return true;
    if (cJSON_IsObject(v) && (own(v, "valueOf") || own(v, "toString") || own(v, "constructor")))
        return true;
    if (cJSON_IsObject(v) || cJSON_IsArray(v))
        for (const cJSON *e = v->child; e; e = e->next)
            if (has_proto_keys(e, depth + 1))
                return true;
    return false;
}

/* A structural hash of a JSON value: equal values (cer_json_equal) hash
 * alike. */
static uint64_t json_hash(const cJSON *v)
{
    uint64_t h = (uint64_t)(v->type & 0xff) * 0x9e3779b97f4a7c15ull;

    switch (v->type & 0xff) {
    case cJSON_Number: {
        double d = v->valuedouble == 0 ? 0.0 : v->valuedouble;

        return h ^ cer_hash(&d, sizeof d);
    }
    case cJSON_String:
    case cJSON_Raw:
        return h ^ (v->valuestring ? cer_hash(v->valuestring, strlen(v->valuestring)) : 0);
    case cJSON_Array:
        for (const cJSON *e = v->child; e; e = e->next)
            h = h * 31 + json_hash(e);
        return h;
    case cJSON_Object:
        for (const cJSON *e = v->child; e; e = e->next)
            h += cer_hash(e->string, strlen(e->string)) * 7 + json_hash(e);  /* order-free */
        return h;
    default:
        return h;
    }
}

typedef struct hitem { uint64_t h; size_t i; const cJSON *v; } hitem;

static int hitem_cmp(const void *a, const void *b)
{
    const hitem *x = a, *y = b;

    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* uniqueItems: the first duplicate pair (Ajv reports items ## j and i).
 * With own valueOf/toString/constructor keys somewhere, Ajv's pairwise
 * loop (i from the end, j below it) is run as it runs, a throw counting as
 * a failure; otherwise equal values hash alike and only those are
 * compared. */
static bool unique_items(vctx *c, const cJSON *v, size_t *di, size_t *dj)
{
    size_t n = count_children(v), k = 0;
    hitem *h;
    bool uniq = true;

    if (n < 2)
        return true;
    if (has_proto_keys(v, 0)) {
        const cJSON **xs = malloc(n * sizeof *xs);

        if (!xs) {
            fatal(c, -ENOMEM);
            return true;
        }
        for (const cJSON *e = v->child; e; e = e->next, k++)
            xs[k] = e;
        for (size_t i = n; i-- > 0 && uniq && !c->fatal;)
            for (size_t j = i; j-- > 0;) {
                if (!c->budget--) {
                    fatal(c, cer_err(-EFBIG, "schema: validation too costly (schema x instance budget spent)"));
                    break;
                }
                if (js_equal(c, xs[i], xs[j], 0) != 0) {
                    *di = j, *dj = i;
                    uniq = false;
                    break;
                }
            }
        free(xs);
        return uniq;
    }
    h = malloc(n * sizeof *h);
    if (!h) {
        fatal(c, -ENOMEM);
        return true;
    }
    for (const cJSON *e = v->child; e; e = e->next, k++)
        h[k].h = json_hash(e), h[k].i = k, h[k].v = e;
    qsort(h, n, sizeof *h, hitem_cmp);
    for (size_t a = 0; a < n && uniq; a++)
        for (size_t b = a + 1; b < n && h[b].h == h[a].h; b++)
            if (cer_json_equal(h[a].v, h[b].v)) {
                *di = h[a].i < h[b].i ? h[a].i : h[b].i, *dj = h[a].i < h[b].i ? h[b].i : h[a].i;
                uniq = false;
                break;
            }
    free(h);
    return uniq;
}

static bool validate_array(vctx *c, const snode *n, const cJSON *v)
{
    size_t len = count_children(v), i;
    bool ok = true;
    const cJSON *e;
    char nb[CER_JSON_NUMBER_MAX], nb2[CER_JSON_NUMBER_MAX];

    if (n->has_maxitems && (double)len > n->maxitems) {
        error_at(c, "maxItems", "must NOT have more than %s items", numtext(nb, n->maxitems));
        ok = false;
    }
    if (n->has_minitems && (double)len < n->minitems) {
        error_at(c, "minItems", "must NOT have fewer than %s items", numtext(nb, n->minitems));
        ok = false;
    }
    for (i = 0, e = v->child; e && !c->fatal; e = e->next, i++) {
        const snode *sub;
        const char *kw = "items";
        size_t mark;

        if (i < n->nprefix)
            sub = n->prefix[i];
        else if (n->additional_items)
            sub = n->additional_items, kw = "additionalItems";
        else
            sub = n->items;
        if (!sub)
            continue;
        if (sub->is_bool && !sub->bool_val && i >= n->nprefix) {
            error_at(c, kw, "must NOT have more than %zu items", n->nprefix);
            ok = false;
            break;
        }
        mark = path_push_index(c, i);
        if (!validate(c, sub, e, NULL))
            ok = false;
        path_pop(c, mark);
    }
    if (n->contains) {
        size_t count = 0, mark = c->nerrs;

        for (i = 0, e = v->child; e && !c->fatal; e = e->next, i++) {
            size_t pm = path_push_index(c, i);

            if (validate(c, n->contains, e, NULL))
                count++;
            path_pop(c, pm);
        }
        errors_reset(c, mark);
        if (count < n->min_contains || (n->has_max_contains && (double)count > n->max_contains)) {
            if (n->has_max_contains)
                error_at(c, "contains", "must contain at least %s and no more than %s valid item(s)",
                         numtext(nb, n->min_contains), numtext(nb2, n->max_contains));
            else
                error_at(c, "contains", "must contain at least %s valid item(s)", numtext(nb, n->min_contains));
            ok = false;
        }
    }
    if (n->unique) {
        size_t di, dj;

        if (!unique_items(c, v, &di, &dj)) {
            error_at(c, "uniqueItems", "must NOT have duplicate items (items ## %zu and %zu are identical)", dj, di);
            ok = false;
        }
    }
    return ok;
}

static bool validate_string(vctx *c, const snode *n, const cJSON *v)
{
    bool ok = true;
    char nb[CER_JSON_NUMBER_MAX];

    if (n->has_maxlen || n->has_minlen) {
        size_t len = ucs2length(v->valuestring);

        if (n->has_maxlen && (double)len > n->maxlen) {
            error_at(c, "maxLength", "must NOT have more than %s characters", numtext(nb, n->maxlen));
            ok = false;
        }
        if (n->has_minlen && (double)len < n->minlen) {
            error_at(c, "minLength", "must NOT have fewer than %s characters", numtext(nb, n->minlen));
            ok = false;
        }
    }
    if (n->pattern) {
        int r = cer_jsregex_test(n->pattern, v->valuestring, strlen(v->valuestring));

        if (r < 0) {
            fatal(c, r);
            return false;
        }
        if (!r) {
            error_at(c, "pattern", "must match pattern \"%s\"", n->pattern_src);
            ok = false;
        }
    }
    {
        static const char *const LIM[4] = {"formatMaximum", "formatMinimum", "formatExclusiveMaximum",
                                           "formatExclusiveMinimum"};
        static const char *const OPS[4] = {"<=", ">=", "<", ">"};
        const char *s = v->valuestring;
        size_t sn = strlen(s);

        for (int k = 0; k < 4; k++) {
            const char *lim = n->fmt_limit[k];
            int cmp;
            bool fails;

            if (!lim)
                continue;
            if (n->format == F_DATE)
                cmp = compare_date(s, sn, lim, strlen(lim));
            else if (n->format == F_TIME)
                cmp = compare_time(s, sn, lim, strlen(lim));
            else
                cmp = compare_date_time(s, sn, lim, strlen(lim));
            if (cmp == 2)
                continue;  /* undefined compares false: passes */
            fails = k == 0 ? cmp > 0 : k == 1 ? cmp < 0 : k == 2 ? cmp >= 0 : cmp <= 0;
            if (fails) {
                error_at(c, LIM[k], "should be %s %s", OPS[k], lim);
                ok = false;
            }
        }
    }
    return ok;
}

/* Ajv: res = data / multipleOf; invalid when res !== parseInt(res), and
 * parseInt reads Number::toString's digits: so res must be an integer
 * written without an exponent (|res| < 1e21). */
static bool multiple_of(double d, double m)
{
    double q = d / m;

    return m != 0 && isfinite(q) && floor(q) == q && fabs(q) < 1e21;
}

static bool validate_number(vctx *c, const snode *n, const cJSON *v)
{
    double d = v->valuedouble;
    bool ok = true;
    char nb[CER_JSON_NUMBER_MAX];

    if (n->has_max && !(d <= n->max)) {
        error_at(c, "maximum", "must be <= %s", numtext(nb, n->max));
        ok = false;
    }
    if (n->has_min && !(d >= n->min)) {
        error_at(c, "minimum", "must be >= %s", numtext(nb, n->min));
        ok = false;
    }
    if (n->has_xmax && !(d < n->xmax)) {
        error_at(c, "exclusiveMaximum", "must be < %s", numtext(nb, n->xmax));
        ok = false;
    }
    if (n->has_xmin && !(d > n->xmin)) {
        error_at(c, "exclusiveMinimum", "must be > %s", numtext(nb, n->xmin));
        ok = false;
    }
    if (n->has_mult && !multiple_of(d, n->mult)) {
        error_at(c, "multipleOf", "must be multiple of %s", numtext(nb, n->mult));
        ok = false;
    }
    return ok;
}

/* $dynamicRef: the outermost resource in the dynamic scope with the
 * anchor, when the static target has it too (bookending); else the
 * static target. */
static const snode *dynamic_target(vctx *c, const snode *n)
{
    const cJSON *t = n->dynref->json;
    const cer_schema *owner = c->s;

    if (!n->dyn_name)
        return n->dynref;
    if (!cJSON_IsObject(t))
        return n->dynref;
    {
        const cJSON *da = cJSON_GetObjectItemCaseSensitive(t, *n->dyn_name ? "$dynamicAnchor" : "$recursiveAnchor");

        if (*n->dyn_name ? !(cJSON_IsString(da) && strcmp(da->valuestring, n->dyn_name) == 0) : !cJSON_IsTrue(da))
            return n->dynref;
    }
    for (size_t k = 0; k < c->nscope; k++) {
        const cJSON *j = cer_strmap_get(&c->scope[k]->dyn, n->dyn_name);
        const snode *sn;

        if (!j)
            continue;
        sn = ptrmap_get(&owner->nodes, j);
        if (!sn && owner->meta)
            sn = ptrmap_get(&owner->meta->nodes, j);
        if (sn)
            return sn;
    }
    return n->dynref;
}

/* The object group's evaluated-properties steps, in Ajv's order:
 * additionalProperties (all), dependencies' schemas (applied), properties
 * (static), patternProperties (a variable, marked at run time),
 * dependentSchemas (applied). ran: whether this code runs (false: only the
 * compile-time state, see static_state). Returns validity of the schemas
 * it applies. */
static bool object_steps(vctx *c, const snode *n, const cJSON *v, ann *a, bool ran, unsigned depth)
{
    members m = {.obj = v, .n = count_children(v), .map = CER_STRMAP_INIT};
    bool ok = true;

    if (a && n->addprops)
        set_true(&a->props);
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: dependencies' schemas (before properties), 1: dependentSchemas (after) */
        size_t from = pass ? 0 : n->ndepsch2020, to = pass ? n->ndepsch2020 : n->ndepsch;

        if (pass == 1 && a && a->props.kind != K_TRUE) {
            /* properties: the names, statically */
            if (n->nprops && a->props.kind != K_NAME) {
                if (a->props.kind == K_UNDEF) {
                    a->props.kind = K_STATIC;
                    a->props.bits = bits_new(c, a, NULL);
                }
            }
            if (n->nprops && a->props.bits) {
                size_t i = 0;

                for (const cJSON *e = v->child; e; e = e->next, i++)
                    if (strcmp(e->string, "__proto__") != 0 && cer_strmap_get(&n->propmap, e->string))
                        a->props.bits[i / 8] |= (uint8_t)(1u << (i % 8));
            } else if (n->nprops && a->props.kind == K_NAME && ran) {
                evar f = {.v = V_SET};
                size_t i = 0;

                if ((f.bits = bits_new(c, a, NULL))) {
                    for (const cJSON *e = v->child; e; e = e->next, i++)
                        if (strcmp(e->string, "__proto__") != 0 && cer_strmap_get(&n->propmap, e->string))
                            f.bits[i / 8] |= (uint8_t)(1u << (i % 8));
                    props_names(c, a, &f, a->props.var);
                }
                free(f.bits);
            }
            /* patternProperties */
            if (n->npats) {
                if (a->props.kind != K_NAME) {
                    evar *x = var_new(c);

                    if (!x)
                        break;
                    if (ran) {
                        x->v = V_SET;
                        x->bits = bits_new(c, a, a->props.kind == K_STATIC ? a->props.bits : NULL);
                    }
                    evs_clear(&a->props);
                    a->props.kind = K_NAME;
                    a->props.var = x;
                }
                if (ran && !c->fatal) {
                    size_t i = 0;

                    for (const cJSON *e = v->child; e && !c->fatal; e = e->next, i++) {
                        for (size_t k = 0; k < n->npats; k++) {
                            int r = cer_jsregex_test(n->pats[k].re, e->string, strlen(e->string));

                            if (r < 0) {
                                fatal(c, r);
                                break;
                            }
                            if (!r)
                                continue;
                            if (a->props.var->v == V_UNDEF) {
                                /* props[key] = true on undefined: Ajv throws */
                                error_at(c, "patternProperties", "Ajv throws here (evaluated properties undefined)");
                                ok = false;
                                break;
                            }
                            if (a->props.var->v == V_SET)
                                a->props.var->bits[i / 8] |= (uint8_t)(1u << (i % 8));
                        }
                    }
                }
            }
        }
        for (size_t k = from; k < to && !c->fatal; k++) {
            const snode *d = n->depsch[k].s;

            if (always_valid(d))
                continue;
            if (ran && present(c, &m, n->depsch[k].key)) {
                if (!apply_inplace(c, d, v, a, MERGE_VALID))
                    ok = false;
            } else {
                merge_not_run(c, d, v, a, depth);
            }
        }
    }
    if (m.mapped)
        cer_strmap_free(&m.map);
    return ok;
}

/* The array group's evaluated-items steps: prefixItems/items array
 * (a static count), items (all), contains (all, when it is not ignored and
 * not always valid). */
static void array_steps(const snode *n, ann *a, bool ran)
{
    if (!a || a->items.kind == K_TRUE)
        return;
    if (n->nprefix) {
        if (a->items.kind == K_UNDEF)
            a->items = (evs){.kind = K_STATIC, .n = n->nprefix};
        else if (a->items.kind == K_STATIC)
            a->items.n = a->items.n > n->nprefix ? a->items.n : n->nprefix;
        else if (ran)
            items_names(&(evar){.v = V_SET, .n = n->nprefix}, a->items.var);
    }
    if (n->items || (n->contains && !always_valid(n->contains) &&
                     !(n->has_max_contains && n->min_contains > n->max_contains)))
        set_true(&a->items);
}

/* A subschema's compile-time state when its code does not run (a
 * dependentSchemas entry whose property is absent, the branch of if that
 * is not taken): the same steps, every variable left undefined. */
static void static_state(vctx *c, const snode *n, const cJSON *v, ann *a, unsigned depth)
{
    if (n->is_bool || n->no_rules || c->fatal)
        return;
    if (depth > 64) {
        /* a recursion Ajv compiles as a call whose result is unknown */
        evar *x = var_new(c);

        if (x) {
            evs_clear(&a->props);
            a->props.kind = K_NAME;
            a->props.var = x;
        }
        return;
    }
    if (n->dynref || n->ref) {
        const snode *targets[2] = {n->dynref, n->ref};

        for (int k = 0; k < 2; k++) {
            ann t;

            if (!targets[k])
                continue;
            ann_init(&t, v);
            static_state(c, targets[k], v, &t, depth + 1);
            merge_evs(c, a, &a->props, &t.props, false, t.props.kind == K_NAME, false);
            merge_evs(c, a, &a->items, &t.items, true, t.items.kind == K_NAME, false);
            ann_free(&t);
        }
    }
    for (size_t k = 0; k < n->nany; k++)
        merge_not_run(c, n->any_of[k], v, a, depth);
    for (size_t k = 0; k < n->none; k++)
        if (!always_valid(n->one_of[k]))
            merge_not_run(c, n->one_of[k], v, a, depth);
    for (size_t k = 0; k < n->nall; k++) {
        ann t;

        if (always_valid(n->all_of[k]))
            continue;
        ann_init(&t, v);
        static_state(c, n->all_of[k], v, &t, depth + 1);
        merge_ann(c, a, &t, false, false);
        ann_free(&t);
    }
    if (n->if_ && ((n->then_ && !always_valid(n->then_)) || (n->else_ && !always_valid(n->else_)))) {
        ann t;

        ann_init(&t, v);
        static_state(c, n->if_, v, &t, depth + 1);
        merge_ann(c, a, &t, false, false);
        ann_free(&t);
        if (n->then_ && !always_valid(n->then_))
            merge_not_run(c, n->then_, v, a, depth);
        if (n->else_ && !always_valid(n->else_))
            merge_not_run(c, n->else_, v, a, depth);
    }
    if (cJSON_IsArray(v))
        array_steps(n, a, false);
    if (cJSON_IsObject(v))
        object_steps(c, n, v, a, false, depth);
    if (n->uneval_props)
        set_true(&a->props);
    if (n->uneval_items)
        set_true(&a->items);
}

/* unevaluatedProperties against the state it sees (then: all evaluated). */
static bool unevaluated_props(vctx *c, const snode *n, const cJSON *v, ann *a)
{
    const evs *p = &a->props;
    bool ok = true;
    size_t i = 0;

    if (p->kind == K_TRUE || (p->kind == K_NAME && p->var->v == V_TRUE))
        goto done;
    for (const cJSON *e = v->child; e && !c->fatal; e = e->next, i++) {
        bool evaluated;
        size_t mark;

        if (p->kind == K_STATIC)
            evaluated = p->bits && (p->bits[i / 8] & (1u << (i % 8)));
        else if (p->kind == K_NAME)
            /* props[key] on Ajv's object: Object.prototype's names are truthy */
            evaluated = p->var->v == V_SET &&
                        ((p->var->bits && (p->var->bits[i / 8] & (1u << (i % 8)))) || in_list(e->string, PROTO_NAMES));
        else
            evaluated = false;
        if (evaluated)
            continue;
        if (n->uneval_props->is_bool && !n->uneval_props->bool_val) {
            error_at(c, "unevaluatedProperties", "must NOT have unevaluated properties");
            ok = false;
            continue;
        }
        mark = path_push_key(c, e->string);
        if (!validate(c, n->uneval_props, e, NULL))
            ok = false;
        path_pop(c, mark);
    }
done:
    set_true(&a->props);
    return ok;
}

/* unevaluatedItems, with JavaScript's comparisons on Ajv's run-time
 * value: undefined (len > undefined is false, a loop from undefined never
 * runs), true (compares as 1), a count. */
static bool unevaluated_items(vctx *c, const snode *n, const cJSON *v, ann *a)
{
    const evs *it = &a->items;
    size_t len = count_children(v), from = 0, i = 0;
    bool ok = true, none = false;

    if (it->kind == K_TRUE)
        goto done;
    if (it->kind == K_STATIC)
        from = it->n;
    else if (it->kind == K_NAME)
        none = it->var->v == V_UNDEF, from = it->var->v == V_TRUE ? 1 : it->var->n;
    if (none)
        goto done;
    if (n->uneval_items->is_bool && !n->uneval_items->bool_val) {
        if (len > from) {
            error_at(c, "unevaluatedItems", "must NOT have more than %zu items", from);
            ok = false;
        }
        goto done;
    }
    if (always_valid(n->uneval_items))
        goto done;
    for (const cJSON *e = v->child; e && !c->fatal; e = e->next, i++) {
        size_t mark;

        if (i < from)
            continue;
        mark = path_push_index(c, i);
        if (!validate(c, n->uneval_items, e, NULL))
            ok = false;
        path_pop(c, mark);
    }
done:
    set_true(&a->items);
    return ok;
}

static bool validate_inner(vctx *c, const snode *n, const cJSON *v, ann *a, unsigned depth)
{
    unsigned t = type_of(v);
    bool ok = true;

    if (n->is_bool) {
        if (!n->bool_val)
            error_at(c, "false schema", "boolean schema is false");
        return n->bool_val;
    }
    if (n->empty)
        return true;
    /* Ajv's order: $dynamicRef, $ref, then the keywords of no type (type,
     * const, enum, not, anyOf, oneOf, allOf, if), then those of the data's
     * type, then unevaluated* */
    if (n->dynref && !apply_inplace(c, dynamic_target(c, n), v, a, MERGE_REF))
        ok = false;
    if (n->ref && !apply_inplace(c, n->ref, v, a, MERGE_REF))
        ok = false;
    if (n->types && !(t & n->types)) {
        char buf[64];

        types_text(buf, sizeof buf, n->types);
        error_at(c, "type", "must be %s", buf);
        ok = false;
    }
    if (n->const_ && js_equal(c, v, n->const_, 0) != 1) {
        error_at(c, "const", "must be equal to constant");
        ok = false;
    }
    if (n->enum_) {
        bool found = false;

        for (const cJSON *e = n->enum_->child; e && !found; e = e->next) {
            int r = js_equal(c, v, e, 0);

            if (r < 0)
                break;  /* Ajv throws: the value is refused */
            found = r == 1;
        }
        if (!found) {
            error_at(c, "enum", "must be equal to one of the allowed values");
            ok = false;
        }
    }
    if (n->not_) {
        size_t mark = c->nerrs;
        bool r = validate(c, n->not_, v, NULL);

        errors_reset(c, mark);
        if (r) {
            error_at(c, "not", "must NOT be valid");
            ok = false;
        }
    }
    if (n->nany) {
        size_t mark = c->nerrs;
        bool any = false;

        for (size_t k = 0; k < n->nany && !c->fatal; k++)
            if (apply_inplace(c, n->any_of[k], v, a, MERGE_VALID))
                any = true;
        if (any) {
            errors_reset(c, mark);
        } else {
            error_at(c, "anyOf", "must match a schema in anyOf");
            ok = false;
        }
    }
    if (n->none) {
        /* Ajv nests each branch in the previous one's else: once a second
         * branch passes, the rest do not run */
        size_t mark = c->nerrs;
        bool valid = false, stopped = false;

        for (size_t k = 0; k < n->none && !c->fatal; k++) {
            const snode *b = n->one_of[k];
            bool track = a && !always_valid(b), sv;
            ann tb;

            if (stopped) {
                if (track)
                    merge_not_run(c, b, v, a, depth);
                continue;
            }
            if (track)
                ann_init(&tb, v);
            sv = validate(c, b, v, track ? &tb : NULL);
            if (k > 0 && sv && valid) {
                valid = false;
                stopped = true;
                if (track)
                    merge_ann(c, a, &tb, true, false);
            } else {
                if (sv)
                    valid = true;
                if (track)
                    merge_ann(c, a, &tb, true, sv);
            }
            if (track)
                ann_free(&tb);
        }
        if (valid) {
            errors_reset(c, mark);
        } else {
            error_at(c, "oneOf", "must match exactly one schema in oneOf");
            ok = false;
        }
    }
    for (size_t k = 0; k < n->nall; k++) {
        if (a && always_valid(n->all_of[k]))
            continue;
        if (!apply_inplace(c, n->all_of[k], v, a, MERGE_ALWAYS))
            ok = false;
    }
    if (n->if_) {
        bool has_then = n->then_ && !always_valid(n->then_);
        bool has_else = n->else_ && !always_valid(n->else_);

        if (has_then || has_else) {
            size_t mark = c->nerrs;
            bool cond = apply_inplace(c, n->if_, v, a, MERGE_ALWAYS);

            errors_reset(c, mark);
            /* the then clause is compiled first, the else clause second */
            if (has_then) {
                if (cond) {
                    if (!apply_inplace(c, n->then_, v, a, MERGE_VALID)) {
                        error_at(c, "if", "must match \"then\" schema");
                        ok = false;
                    }
                } else {
                    merge_not_run(c, n->then_, v, a, depth);
                }
            }
            if (has_else) {
                if (!cond) {
                    if (!apply_inplace(c, n->else_, v, a, MERGE_VALID)) {
                        error_at(c, "if", "must match \"else\" schema");
                        ok = false;
                    }
                } else {
                    merge_not_run(c, n->else_, v, a, depth);
                }
            }
        }
    }
    /* by type */
    if (t & T_NUMBER) {
        if (!validate_number(c, n, v))
            ok = false;
        if ((n->format == F_INT32 || n->format == F_INT64) && check_format(n->format, v) == 0) {
            error_at(c, "format", "must match format \"%s\"", n->format_name);
            ok = false;
        }
    } else if (t == T_STRING) {
        if (!validate_string(c, n, v))
            ok = false;
        if (n->format != F_NONE) {
            int r = check_format(n->format, v);

            if (r < 0) {
                fatal(c, r);
                return false;
            }
            if (!r) {
                error_at(c, "format", "must match format \"%s\"", n->format_name);
                ok = false;
            }
        }
    } else if (t == T_OBJECT) {
        if (!validate_object(c, n, v))
            ok = false;
        if (!object_steps(c, n, v, a, true, depth))
            ok = false;
    } else if (t == T_ARRAY) {
        if (!validate_array(c, n, v))
            ok = false;
        array_steps(n, a, true);
    }
    /* unevaluated (Ajv's "post" keywords) */
    if (t == T_OBJECT && n->uneval_props && !unevaluated_props(c, n, v, a))
        ok = false;
    if (t == T_ARRAY && n->uneval_items && !unevaluated_items(c, n, v, a))
        ok = false;
    return ok && !c->fatal;
}

static bool validate(vctx *c, const snode *n, const cJSON *v, ann *a)
{
    bool pushed = false, ok;
    ann own;
    bool own_used = false;

    if (c->fatal)
        return false;
    if (!c->budget) {
        fatal(c, cer_err(-EFBIG, "schema: validation too costly (schema x instance budget spent)"));
        return false;
    }
    c->budget--;
    if (++c->depth > EVAL_DEPTH_MAX) {
        c->depth--;
        fatal(c, cer_err(-EFBIG, "schema: evaluation nested deeper than %d", EVAL_DEPTH_MAX));
        return false;
    }
    if (!c->nscope || c->scope[c->nscope - 1] != n->res) {
        c->scope[c->nscope++] = n->res;
        pushed = true;
    }
    /* unevaluated* need this node's own state even if nobody asked */
    if (!a && !n->is_bool && (n->uneval_props || n->uneval_items)) {
        ann_init(&own, v);
        a = &own;
        own_used = true;
    }
    ok = validate_inner(c, n, v, a, c->depth);
    if (own_used)
        ann_free(&own);
    if (pushed)
        c->nscope--;
    c->depth--;
    return ok;
}

/* ------------------------------------------------------------------ */
/* Compile: the public entry points                                     */
/* ------------------------------------------------------------------ */

static void node_free(snode *n)
{
    for (size_t k = 0; k < n->npats; k++)
        cer_jsregex_free(n->pats[k].re);
    cer_jsregex_free(n->pattern);
    cer_strmap_free(&n->propmap);
    free(n->props);
    free(n->pats);
    free(n->depreq);
    free(n->depsch);
    free(n->prefix);
    free(n->all_of);
    free(n->any_of);
    free(n->one_of);
    free(n);
}

void cer_schema_free(cer_schema *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->nodes.cap; k++)
        if (s->nodes.slots[k].key)
            node_free(s->nodes.slots[k].value);
    free(s->nodes.slots);
    free(s->where.slots);
    cer_strmap_free(&s->ids);
    for (size_t k = 0; k < s->nlocs; k++)
        free(s->locs[k]);
    free(s->locs);
    while (s->resources) {
        resource *r = s->resources;

        s->resources = r->next;
        cer_strmap_free(&r->dyn);
        free(r->base);
        free(r);
    }
    for (size_t k = 0; k < s->nstrings; k++)
        free(s->strings[k]);
    free(s->strings);
    for (size_t k = 0; k < s->ndocs; k++)
        cJSON_Delete(s->docs[k]);
    free(s->docs);
    free(s);
}

/* Indexes one document of a registry (its root resource, ids, anchors). */
static int add_document(cer_schema *s, cJSON *doc, resource **root_res)
{
    const cJSON *id = is_obj(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "$id") : NULL;
    char *base = uri_resolve("", cJSON_IsString(id) ? id->valuestring : "");
    resource *r;
    int rc;

    if (!base)
        return oom();
    r = new_resource(s, base);
    free(base);
    if (!r)
        return oom();
    *root_res = r;
    if ((rc = add_loc(s, r->base, doc, r)))
        return rc;
    return index_walk(s, doc, r, 0, true);
}

/* The meta-schema registries (compiled once, loose, never freed). */
static cer_schema *meta_2020, *meta_draft7;
static int meta_rc;
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

static int build_meta(cer_schema **out, bool draft7)
{
    cer_schema *s = calloc(1, sizeof *s);
    size_t ndocs = draft7 ? 1 : sizeof META_2020 / sizeof *META_2020;
    resource *rr = NULL;
    int rc = 0;

    if (!s)
        return oom();
    s->draft7 = draft7;
    s->docs = calloc(ndocs, sizeof *s->docs);
    if (!s->docs) {
        free(s);
        return oom();
    }
    for (size_t k = 0; k < ndocs && !rc; k++) {
        const char *text = draft7 ? META_DRAFT7 : META_2020[k];
        resource *r;

        rc = cer_json_parse(&s->docs[k], text, strlen(text), 0);
        if (rc)
            break;
        s->ndocs++;
        rc = add_document(s, s->docs[k], &r);
        if (k == 0)
            rr = r;
    }
    if (!rc)
        rc = compile_node(s, s->docs[0], rr, &s->root, 0);
    /* the vocabularies too, so refs to them find nodes */
    for (size_t k = 1; k < s->ndocs && !rc; k++) {
        snode *dummy;

        rc = compile_node(s, s->docs[k], ptrmap_get(&s->where, s->docs[k]), &dummy, 0);
    }
    if (rc) {
        cer_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void meta_init(void)
{
    meta_rc = build_meta(&meta_2020, false);
    if (!meta_rc)
        meta_rc = build_meta(&meta_draft7, true);
}

static void errors_text(cer_buf *b, const cer_schema_error *errs, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (k)
            cer_buf_puts(b, ", ");
        cer_buf_puts(b, "data");
        cer_buf_puts(b, errs[k].instance_path);
        cer_buf_puts(b, " ");
        cer_buf_puts(b, errs[k].message);
    }
}

static int count_values(const cJSON *v, unsigned depth, size_t *n)
{
    int rc;

    if (depth > EVAL_DEPTH_MAX)
        return cer_err(-EFBIG, "schema: instance nested deeper than %d", EVAL_DEPTH_MAX);
    (*n)++;
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (const cJSON *e = v->child; e; e = e->next)
            if ((rc = count_values(e, depth + 1, n)))
                return rc;
    return 0;
}

static int run(const cer_schema *s, const cJSON *instance, cer_schema_error **errors, size_t *nerrors)
{
    vctx c = {.s = s};
    size_t inst_nodes = 0;
    bool ok;
    int rc;

    /* the budget: schema nodes x instance values, with room */
    if ((rc = count_values(instance, 0, &inst_nodes)))
        return rc;
    c.budget = ((uint64_t)s->nnodes + 64) * ((uint64_t)inst_nodes + 64) * 8;
    c.scope = calloc(EVAL_DEPTH_MAX + 2, sizeof *c.scope);
    if (!c.scope)
        return oom();
    ok = validate(&c, s->root, instance, NULL);
    free(c.scope);
    cer_buf_free(&c.path);
    if (c.fatal) {
        cer_schema_errors_free(c.errs, c.nerrs);
        return c.fatal;
    }
    if (ok) {
        cer_schema_errors_free(c.errs, c.nerrs);
        if (errors)
            *errors = NULL;
        if (nerrors)
            *nerrors = 0;
        return 0;
    }
    {
        cer_buf b = CER_BUF_INIT;

        errors_text(&b, c.errs, c.nerrs);
        if (!c.nerrs)
            cer_buf_puts(&b, "data is invalid");
        rc = cer_err(-EINVAL, "Validation Error: %s%s", b.data ? (const char *)b.data : "",
                     c.dropped ? " (more errors not shown)" : "");
        cer_buf_free(&b);
    }
    if (errors) {
        *errors = c.errs;
        *nerrors = c.nerrs;
    } else {
        cer_schema_errors_free(c.errs, c.nerrs);
    }
    return rc;
}

int cer_schema_new(cer_schema **out, const cJSON *schema, unsigned mode)
{
    unsigned dialect = mode & 0xff;
    bool loose = (mode & CER_SCHEMA_LOOSE) != 0;
    cer_schema *s;
    const cer_schema *meta;
    resource *root_res;
    const cJSON *ms;
    int rc;

    *out = NULL;
    if (!schema || (dialect != CER_SCHEMA_MODEL && dialect != CER_SCHEMA_TILE) ||
        (mode & ~(0xffu | CER_SCHEMA_LOOSE)))
        return cer_err(-EINVAL, "schema: bad arguments");
    if (!is_schema(schema))
        return cer_err(-EINVAL, "schema: schema must be object or boolean");
    pthread_once(&meta_once, meta_init);
    if (meta_rc)
        return cer_err(meta_rc, "schema: meta-schemas failed to load");
    meta = dialect == CER_SCHEMA_TILE ? meta_draft7 : meta_2020;

    /* $schema names the meta-schema; it must be one this Ajv knows */
    ms = is_obj(schema) ? cJSON_GetObjectItemCaseSensitive(schema, "$schema") : NULL;
    if (ms) {
        char *id;
        loc l;
        int found;

        if (!cJSON_IsString(ms))
            return cer_err(-EINVAL, "schema: $schema must be a string");
        id = uri_resolve("", ms->valuestring);
        if (!id)
            return oom();
        if (strcmp(id, "http://json-schema.org/schema") == 0) {
            free(id);
            id = strdup(dialect == CER_SCHEMA_TILE ? "http://json-schema.org/draft-07/schema"
                                                   : "https://json-schema.org/draft/2020-12/schema");
            if (!id)
                return oom();
        }
        found = lookup(meta, id, &l);
        free(id);
        if (found <= 0)
            return found < 0 ? found
                             : cer_err(-EINVAL, "schema: no schema with key or ref \"%s\"", ms->valuestring);
        /* validated against that one below (a vocabulary's meta-schema is
         * a narrower check than the whole; the whole is used: the same
         * verdict for every schema Ajv accepts under it) */
    }
    {
        /* the schema must be valid against the meta-schema */
        cer_schema_error *errs = NULL;
        size_t nerrs = 0;

        rc = run(meta, schema, &errs, &nerrs);
        if (rc == -EINVAL) {
            cer_buf b = CER_BUF_INIT;

            errors_text(&b, errs, nerrs);
            rc = cer_err(-EINVAL, "schema is invalid: %s", b.data ? (const char *)b.data : "");
            cer_buf_free(&b);
        }
        cer_schema_errors_free(errs, nerrs);
        if (rc)
            return rc;
    }

    s = calloc(1, sizeof *s);
    if (!s)
        return oom();
    s->mode = mode;
    s->draft7 = dialect == CER_SCHEMA_TILE;
    s->strict_schema = !loose;
    s->strict_types = !loose && dialect == CER_SCHEMA_MODEL;
    s->meta = meta;
    s->docs = calloc(1, sizeof *s->docs);
    if (!s->docs || !(s->docs[0] = cJSON_Duplicate(schema, true))) {
        cer_schema_free(s);
        return oom();
    }
    s->ndocs = 1;
    rc = add_document(s, s->docs[0], &root_res);
    if (!rc)
        rc = compile_node(s, s->docs[0], root_res, &s->root, 0);
    if (!rc && s->strict_schema)
        rc = strict_new_data(s, s->root);
    if (rc) {
        cer_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cer_schema_validate(const cer_schema *s, const cJSON *instance, cer_schema_error **errors, size_t *nerrors)
{
    if (errors)
        *errors = NULL;
    if (nerrors)
        *nerrors = 0;
    if (!s || !instance)
        return cer_err(-EINVAL, "schema: bad arguments");
    return run(s, instance, errors, nerrors);
}

void cer_schema_errors_free(cer_schema_error *errors, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(errors[k].instance_path);
        free(errors[k].keyword);
        free(errors[k].message);
    }
    free(errors);
}
