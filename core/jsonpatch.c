/*
 * jsonpatch.c — JSON Patch (RFC 6902) over JSON Pointer (RFC 6901): apply a
 * patch to a copy of a document (cer_patch_apply), and compute the patch
 * between two documents exactly as fast-json-patch 3.1.1's compare() does
 * (cer_patch_diff), since js-ceramic writes TileDocument updates with it.
 *
 * Documents are plain JSON. Objects are maps: a value with a repeated key
 * is refused (-EINVAL) rather than guessed at, and no operation here ever
 * creates one. Numbers must be finite, and nesting is limited to
 * CER_DAGCBOR_DEPTH_MAX containers (a scalar has depth 0, [] depth 1);
 * deeper input or a result that would be deeper fails with -EFBIG. That
 * limit also bounds every recursion in this file.
 *
 * Applying follows RFC 6902 strictly. The whole patch is validated first:
 * an array of objects without repeated members (so A.13's two "op"s fail),
 * "op" one of the six, "path" and for move/copy "from" valid pointers,
 * "value" present for add/replace/test, move not into its own child. Then
 * the operations run in order on a deep copy; a missing target, a bad or
 * out-of-range index, '-' anywhere but the last token of an add, or a
 * failed test is an error. Where the RFC leaves room we do what
 * fast-json-patch's applyPatch does:
 *   - "remove" of the root ("") leaves null; add/replace/move/copy to the
 *     root replace the whole document;
 *   - "add" to an existing member replaces it in place, keeping key order,
 *     and a new member goes last (JavaScript object semantics);
 *   - "move" to its own location is a no-op (its source must exist);
 *   - a "__proto__" token, or "prototype" right after "constructor", in a
 *     path or from is refused, as fast-json-patch does by default
 *     (banPrototypeModifications), so js-ceramic rejects such commits too.
 * (js-ceramic itself calls applyPatch without validation, which lets some
 * malformed patches through; we reject those, as RFC 6902 asks.)
 *
 * Cost: a patch's author is whoever writes to the stream, and every node
 * that loads it applies it, so lookups must not be made slow on purpose.
 * A container that one application looks up often gets an index (object
 * members in a keyed hash, array elements in order; see "Finding
 * members"), which makes applying O(patch + document) in expected time
 * (plus the sort that checks the document's keys, O(n log n)), with two
 * exceptions. "copy" walks and makes as many values as it copies, and
 * "move" to a deeper place walks the moved value (to check the depth
 * limit): together they may walk ALLOWANCE(document + patch) values in
 * one application, twice as many plus 2^20, beyond which the patch fails
 * with -EFBIG (thirty copies of an array into itself, 1.2 KB, would make
 * 2^30 values; fast-json-patch runs out of memory on such a patch too).
 * And an insertion or removal in the middle of an indexed array moves up
 * to half its element pointers (memmove). Diffing is O(n log n) (sorted
 * views). cer_patch_visits() counts the steps, so
 * tests can bound them.
 *
 * Diffing reproduces _generate() of fast-json-patch's src/duplex.ts:
 *   - at a pair of containers of the same kind (object/object or
 *     array/array) it walks the OLD keys from the last to the first (array
 *     indices as keys; object keys in JavaScript Object.keys() order, which
 *     lists canonical integer keys below 2^32-1 first in numeric order,
 *     then the other keys in insertion order):
 *       - key also in the new value: recurse if both values are containers
 *         of the same kind; otherwise emit "replace" with the new value
 *         unless both are equal scalars (same type and value; numbers by
 *         value, so 1 and 1.0 are equal);
 *       - key gone: emit "remove";
 *   - then, unless nothing was removed and both have as many keys, it emits
 *     "add" for each NEW key missing from the old value, in the new
 *     value's Object.keys() order (for arrays: the indices past the old
 *     length, ascending);
 *   - operations are {"op","path","value"} with paths escaped ~ -> ~0,
 *     / -> ~1, values deep copies of the new values.
 * compare() misbehaves at the root when the two sides are not containers
 * of the same kind (it walks string characters as keys, returns [] for
 * 1 vs 2 and for {} vs [], emits one replace of "" per old key and then
 * adds, or throws for null). There we emit [] when the two are equal and
 * otherwise the single operation {"op":"replace","path":"","value":to}, so
 * that applying the diff always yields `to`. A diff whose path would go
 * through __proto__ or constructor/prototype is refused (-EINVAL): no
 * js-ceramic node could apply it.
 */
#include "jsonpatch.h"
#include "buf.h"
#include "error.h"
#include "strmap.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX CER_DAGCBOR_DEPTH_MAX

/* This thread's count of the steps that lookups take (cer_patch_visits):
 * members walked or indexed, pointers moved, members put in a view,
 * steps of a binary search, keys a diff visits. */
static _Thread_local uint64_t visits;

uint64_t cer_patch_visits(void)
{
    return visits;
}

/* ------------------------------------------------------------------ */
/* Object views                                                         */
/* ------------------------------------------------------------------ */

/* The members of an object as arrays: sorted by key (for lookup) and,
 * when asked for, in JavaScript's Object.keys() order. */
typedef struct view {
    size_t n;
    const cJSON **sorted;
    const cJSON **order;
} view;

static int cmp_key(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;

    return strcmp(x->string, y->string);
}

/* True when key is an ECMAScript array index (canonical decimal below
 * 2^32 - 1); Object.keys() lists those keys first, in numeric order. */
static bool is_js_index(const char *key)
{
    size_t len = strlen(key);

    if (len == 0 || len > 10 || (key[0] == '0' && len > 1))
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] < '0' || key[i] > '9')
            return false;
    return len < 10 || strcmp(key, "4294967294") <= 0;
}

/* Canonical decimals sort numerically by length, then bytewise. */
static int cmp_js_index(const void *a, const void *b)
{
    const char *x = (*(const cJSON *const *)a)->string;
    const char *y = (*(const cJSON *const *)b)->string;
    size_t lx = strlen(x), ly = strlen(y);

    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x, y);
}

static void view_free(view *v)
{
    free(v->sorted);
    memset(v, 0, sizeof *v);
}

/* Build the view of obj, whose members all have keys. */
static int view_init(view *v, const cJSON *obj, bool js_order)
{
    const cJSON *c;
    size_t n = 0, i = 0, nidx = 0;

    memset(v, 0, sizeof *v);
    for (c = obj->child; c; c = c->next)
        n++;
    if (n == 0)
        return 0;
    v->sorted = malloc((js_order ? 2 : 1) * n * sizeof *v->sorted);
    if (!v->sorted)
        return cer_err(-ENOMEM, "json: out of memory (%zu members)", n);
    v->n = n;
    visits += n;
    for (c = obj->child; c; c = c->next)
        v->sorted[i++] = c;
    qsort(v->sorted, n, sizeof *v->sorted, cmp_key);
    if (!js_order)
        return 0;
    v->order = v->sorted + n;
    for (c = obj->child; c; c = c->next)
        if (is_js_index(c->string))
            v->order[nidx++] = c;
    i = nidx;
    for (c = obj->child; c; c = c->next)
        if (!is_js_index(c->string))
            v->order[i++] = c;
    qsort(v->order, nidx, sizeof *v->order, cmp_js_index);
    return 0;
}

static const cJSON *view_find(const view *v, const char *key)
{
    size_t lo = 0, hi = v->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, v->sorted[mid]->string);

        visits++;
        if (c == 0)
            return v->sorted[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Checking and comparing values                                        */
/* ------------------------------------------------------------------ */

static bool is_container(const cJSON *v)
{
    return cJSON_IsArray(v) || cJSON_IsObject(v);
}

/* Every member of obj has a key, and no key repeats. */
static int check_keys(const cJSON *obj)
{
    view v;
    int rc;

    for (const cJSON *c = obj->child; c; c = c->next)
        if (!c->string)
            return cer_err(-EINVAL, "json: object member without a key");
    rc = view_init(&v, obj, false);
    for (size_t i = 1; rc == 0 && i < v.n; i++)
        if (strcmp(v.sorted[i - 1]->string, v.sorted[i]->string) == 0)
            rc = cer_err(-EINVAL, "json: duplicate key \"%s\"", v.sorted[i]->string);
    view_free(&v);
    return rc;
}

/* A canonical decimal integer literal, as exact big integers are held. */
static bool is_int_literal(const char *s)
{
    if (!s)
        return false;
    s += *s == '-';
    if (s[0] < '1' || s[0] > '9')
        return false;
    while (*++s)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Check that v is plain JSON holding at most room nested containers:
 * known item types, finite numbers, keyed unique members. Returns the
 * depth (0 for a scalar) or a negative errno. */
static int json_check(const cJSON *v, int room)
{
    int depth = 0, rc;

    if (cJSON_IsNumber(v))
        return isfinite(v->valuedouble) ? 0 : cer_err(-EINVAL, "json: number is not finite");
    if (cJSON_IsString(v))
        return v->valuestring ? 0 : cer_err(-EINVAL, "json: string item without a value");
    if (cJSON_IsBool(v) || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsRaw(v))  /* an exact big integer (see ceramic.h): a scalar */
        return is_int_literal(v->valuestring) ? 0 : cer_err(-EINVAL, "json: raw item is not an integer");
    if (!is_container(v))
        return cer_err(-EINVAL, "json: unsupported cJSON item type 0x%x", (unsigned)v->type & 0xff);
    if (room <= 0)
        return cer_err(-EFBIG, "json: nested deeper than %d levels", DEPTH_MAX);
    for (const cJSON *c = v->child; c; c = c->next) {
        rc = json_check(c, room - 1);
        if (rc < 0)
            return rc;
        if (rc > depth)
            depth = rc;
    }
    if (cJSON_IsObject(v) && (rc = check_keys(v)) < 0)
        return rc;
    return depth + 1;
}

static int json_equal(const cJSON *a, const cJSON *b);

static int array_equal(const cJSON *a, const cJSON *b)
{
    const cJSON *x = a->child, *y = b->child;
    int rc;

    for (; x && y; x = x->next, y = y->next)
        if ((rc = json_equal(x, y)) != 1)
            return rc;
    return x == NULL && y == NULL;
}

/* Objects as maps: the same keys with equal values, in any order. */
static int object_equal(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;
    view vb;
    int rc;

    /* as many members: counted in step, so a big a costs no more than b */
    for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
        ;
    if (x || y)
        return 0;
    if ((rc = view_init(&vb, b, false)) < 0)
        return rc;
    rc = 1;
    for (x = a->child; rc == 1 && x; x = x->next) {
        y = view_find(&vb, x->string);
        rc = y ? json_equal(x, y) : 0;
    }
    view_free(&vb);
    return rc;
}

/* Deep equality of checked values, numbers by value: 1, 0, or -ENOMEM. */
static int json_equal(const cJSON *a, const cJSON *b)
{
    int type = a->type & 0xff;

    if (type != (b->type & 0xff))
        return 0;
    switch (type) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
    case cJSON_Raw:
        return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array:
        return array_equal(a, b);
    case cJSON_Object:
        return object_equal(a, b);
    default:
        return 1;  /* true, false, null */
    }
}

/* ------------------------------------------------------------------ */
/* JSON Pointer                                                         */
/* ------------------------------------------------------------------ */

/* A parsed pointer: n unescaped reference tokens. */
typedef struct ptr {
    size_t n;
    char **tok;
} ptr;

/* "" shows as "" in messages, so an error about the root reads well. */
static const char *disp(const char *pointer)
{
    return *pointer ? pointer : "\"\"";
}

/* Syntax of RFC 6901: "" or '/'-prefixed tokens, '~' only as ~0 or ~1. */
static int ptr_syntax(const char *s)
{
    if (*s && *s != '/')
        return cer_err(-EINVAL, "bad pointer: must be empty or start with '/'");
    for (; *s; s++)
        if (*s == '~' && s[1] != '0' && s[1] != '1')
            return cer_err(-EINVAL, "bad pointer: '~' not followed by '0' or '1'");
    return 0;
}

static bool token_is(const char *t, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(t, word, len) == 0;
}

/* fast-json-patch refuses (by default) a "__proto__" token and a
 * "prototype" right after "constructor". Neither word has an escape, so
 * the escaped tokens of a valid pointer can be compared directly. */
static bool ptr_banned(const char *s)
{
    const char *prev = NULL;
    size_t prevlen = 0;

    while (*s == '/') {
        const char *t = s + 1;
        size_t len = strcspn(t, "/");

        if (token_is(t, len, "__proto__") ||
            (prev && token_is(t, len, "prototype") && token_is(prev, prevlen, "constructor")))
            return true;
        prev = t;
        prevlen = len;
        s = t + len;
    }
    return false;
}

static int ptr_check(const char *s)
{
    int rc = ptr_syntax(s);

    if (rc == 0 && ptr_banned(s))
        rc = cer_err(-EINVAL, "pointer goes through __proto__ or constructor/prototype, "
                              "which fast-json-patch refuses");
    return rc;
}

static void ptr_free(ptr *p)
{
    free(p->tok);
    p->tok = NULL;
    p->n = 0;
}

/* Split and unescape s (checked already); one allocation holds all. */
static int ptr_parse(ptr *p, const char *s)
{
    size_t len = strlen(s), n = 0;
    char *w;

    memset(p, 0, sizeof *p);
    for (const char *q = s; *q; q++)
        n += *q == '/';
    if (n == 0)
        return 0;
    p->tok = malloc(n * sizeof *p->tok + len + 1);
    if (!p->tok)
        return cer_err(-ENOMEM, "pointer: out of memory");
    w = (char *)(p->tok + n);
    while (*s == '/') {
        p->tok[p->n++] = w;
        for (s++; *s && *s != '/'; s++) {
            if (*s == '~')
                *w++ = *++s == '0' ? '~' : '/';
            else
                *w++ = *s;
        }
        *w++ = '\0';
    }
    return 0;
}

/* An array index token for an array of count elements: decimal digits
 * without a leading zero, below count (or equal to it, or '-', when end
 * is allowed: the position after the last element, for add). */
static int index_parse(size_t *out, const char *tok, size_t count, bool end)
{
    size_t i = 0;
    bool overflow = false;

    if (strcmp(tok, "-") == 0) {
        if (!end)
            return cer_err(-EINVAL, "'-' (past the end of the array) is not allowed here");
        *out = count;
        return 0;
    }
    if (!*tok)
        return cer_err(-EINVAL, "empty array index");
    if (tok[0] == '0' && tok[1])
        return cer_err(-EINVAL, "array index \"%s\" has a leading zero", tok);
    for (const char *p = tok; *p; p++) {
        if (*p < '0' || *p > '9')
            return cer_err(-EINVAL, "bad array index \"%s\"", tok);
        if (i > (SIZE_MAX - 9) / 10)
            overflow = true;
        else
            i = i * 10 + (size_t)(*p - '0');
    }
    if (overflow || i > count || (i == count && !end))
        return cer_err(-EINVAL, "array index %s out of range (array has %zu elements)", tok, count);
    *out = i;
    return 0;
}

static size_t array_size(const cJSON *a)
{
    return (size_t)cJSON_GetArraySize(a);
}

/* ------------------------------------------------------------------ */
/* Finding members: by walking, or through an index                     */
/* ------------------------------------------------------------------ */

/* cJSON keeps members and elements in linked lists, so a lookup walks.
 * Within one application, a container whose lookups have walked more
 * than INDEX_AFTER steps gets an index: an object its members by name (a
 * cer_strmap: keyed hash, so no choice of names slows it), an array its
 * elements in order. The edits below keep each index current, so no
 * container is indexed twice, a lookup in an indexed container costs
 * O(1) expected, and a patch's lookups cost O(patch + document) in all.
 * An insertion or removal in an indexed array moves the pointers on its
 * shorter side (memmove; the index keeps room at both ends), so at either
 * end it is O(1) amortized, but in the middle of an array of n it moves
 * up to n/2 pointers: m such operations cost up to m*n/2 pointer moves
 * (7,000 inserts in the middle of 20,000 elements: 0.04 s, against 1.3 s
 * for the list walks they took before).
 *
 * A container of the working copy keeps its state in valueint, which
 * cJSON leaves unused in arrays and objects: >= 0, the steps walked in it
 * so far; < 0, the slot of its index (-1 - slot). A slot counts only when
 * its index names the container as owner (cJSON_Duplicate copies
 * valueint, so a copy may carry its source's slot); a subtree drops its
 * indexes before it is freed, so no owner outlives its container. The
 * result's valueints are zeroed before it is returned.
 *
 * Building with -DINDEX_AFTER=-1 indexes every container at its first
 * lookup, so that the tests run every operation on indexes. */
#ifndef INDEX_AFTER
#define INDEX_AFTER 64
#endif

typedef struct cindex {
    const cJSON *owner;
    cer_strmap names;  /* object: member name (the member's string) -> member */
    cJSON **base;      /* array: the elements are base[off .. off + n) */
    size_t off, n, cap;
} cindex;

/* One application: the indexes, by slot (a freed slot is NULL), and how
 * many more values copies and deeper moves may walk. */
typedef struct patcher {
    cindex **idx;
    size_t nidx, cap, live;
    size_t allowance;
} patcher;

/* Values the copies and deeper moves of one application may walk, for n
 * values in the document and the patch: twice as many, plus 2^20. */
#define ALLOWANCE(n) (2 * (n) + ((size_t)1 << 20))

/* Charge n values walked by a copy or a deeper move. */
static int spend(patcher *pa, size_t n)
{
    visits += n;
    if (n > pa->allowance)
        return cer_err(-EFBIG, "the patch copies or moves deeper more than twice the values of "
                               "the document and the patch, plus %zu", ALLOWANCE(0));
    pa->allowance -= n;
    return 0;
}

static cindex *index_of(const patcher *pa, const cJSON *c)
{
    size_t slot;

    if (c->valueint >= 0)
        return NULL;
    slot = (size_t)(-1 - (long long)c->valueint);
    return slot < pa->nidx && pa->idx[slot] && pa->idx[slot]->owner == c ? pa->idx[slot] : NULL;
}

/* Count steps walked in container c, which has no index. */
static void charge(cJSON *c, size_t steps)
{
    size_t sofar = c->valueint > 0 ? (size_t)c->valueint : 0;

    visits += steps;
    c->valueint = steps >= (size_t)INT_MAX - sofar ? INT_MAX : (int)(sofar + steps);
}

static void index_free(cindex *x)
{
    if (x) {
        cer_strmap_free(&x->names);
        free(x->base);
        free(x);
    }
}

/* Give array index x room for n more elements at each end, holding the
 * n elements of the list from first, or when first is NULL its own. */
static int items_room(cindex *x, const cJSON *first, size_t n)
{
    size_t cap = n < SIZE_MAX / 4 / sizeof *x->base ? 2 * n + 16 : 0, off = (cap - n) / 2;
    cJSON **base = cap ? malloc(cap * sizeof *base) : NULL;

    if (!base)
        return cer_err(-ENOMEM, "patch: out of memory");
    if (first)
        for (size_t i = 0; i < n; i++, first = first->next)
            base[off + i] = (cJSON *)first;
    else if (n)
        memcpy(base + off, x->base + x->off, n * sizeof *base);
    free(x->base);
    x->base = base;
    x->off = off;
    x->n = n;
    x->cap = cap;
    visits += n;
    return 0;
}

/* Index container c, which has no index yet. */
static int index_build(patcher *pa, cJSON *c, cindex **out)
{
    cindex *x;
    cJSON *m;
    size_t n = 0;
    int rc = 0;

    if (pa->nidx == pa->cap) {
        size_t cap = pa->cap ? 2 * pa->cap : 8;
        cindex **idx = cap < INT_MAX ? realloc(pa->idx, cap * sizeof *idx) : NULL;

        if (!idx)
            return cer_err(-ENOMEM, "patch: out of memory");
        pa->idx = idx;
        pa->cap = cap;
    }
    for (m = c->child; m; m = m->next)
        n++;
    if (!(x = calloc(1, sizeof *x)))
        return cer_err(-ENOMEM, "patch: out of memory");
    x->owner = c;
    if (cJSON_IsArray(c)) {
        rc = items_room(x, c->child, n);
    } else {
        rc = cer_strmap_reserve(&x->names, n);
        for (m = c->child; rc == 0 && m; m = m->next)
            rc = cer_strmap_put(&x->names, m->string, m);
    }
    if (rc < 0) {
        index_free(x);
        return rc;
    }
    visits += n;
    pa->idx[pa->nidx] = x;
    c->valueint = -1 - (int)pa->nidx++;
    pa->live++;
    *out = x;
    return 0;
}

/* *out: the index of container c, built now if lookups have walked c
 * enough, or NULL. */
static int indexed(patcher *pa, cJSON *c, cindex **out)
{
    *out = index_of(pa, c);
    if (*out || c->valueint <= INDEX_AFTER)
        return 0;
    return index_build(pa, c, out);
}

/* Drop the indexes in v, which leaves the document. */
static void unindex(patcher *pa, cJSON *v)
{
    cindex *x;

    if (!pa->live || !is_container(v))
        return;
    if ((x = index_of(pa, v))) {
        pa->idx[-1 - (long long)v->valueint] = NULL;
        index_free(x);
        pa->live--;
    }
    for (cJSON *c = v->child; c; c = c->next)
        unindex(pa, c);
}

/* Free v (owned), which is not or no longer in the document. */
static void discard(patcher *pa, cJSON *v)
{
    unindex(pa, v);
    cJSON_Delete(v);
}

static void patcher_free(patcher *pa)
{
    for (size_t i = 0; i < pa->nidx; i++)
        index_free(pa->idx[i]);
    free(pa->idx);
    memset(pa, 0, sizeof *pa);
}

/* Zero the valueints the lookups used in the containers of v. */
static void clear_marks(cJSON *v)
{
    if (!is_container(v))
        return;
    v->valueint = 0;
    for (cJSON *c = v->child; c; c = c->next)
        clear_marks(c);
}

/* The member of c that tok names: *child and, in an array, its position
 * *pos. With end (add) a missing member is no error (*child NULL), and
 * in an array '-' or the length is the position after the last element.
 * -EINVAL with the reason set when there is none; -ENOMEM. */
static int locate(patcher *pa, cJSON *c, const char *tok, bool end, cJSON **child, size_t *pos)
{
    cindex *x;
    cJSON *m;
    size_t i = 0, n = 0;
    int rc;

    *child = NULL;
    *pos = 0;
    if (!is_container(c))
        return cer_err(-EINVAL, "path not found");
    if ((rc = indexed(pa, c, &x)) < 0)
        return rc;
    if (cJSON_IsObject(c)) {
        if (x) {
            m = cer_strmap_get(&x->names, tok);
        } else {
            for (m = c->child; m && strcmp(m->string, tok) != 0; m = m->next)
                i++;
            charge(c, i + 1);
        }
        *child = m;
        return m || end ? 0 : cer_err(-EINVAL, "path not found");
    }
    if (x) {
        n = x->n;
    } else {
        for (m = c->child; m; m = m->next)
            n++;
        charge(c, n);
    }
    if ((rc = index_parse(&i, tok, n, end)) < 0)
        return rc;
    *pos = i;
    if (i == n)
        return 0;
    if (x) {
        *child = x->base[x->off + i];
    } else {
        for (m = c->child, n = 0; n < i; n++)
            m = m->next;
        charge(c, i);
        *child = m;
    }
    return 0;
}

/* *out: the value at tokens [0, n) below root; -EINVAL with the reason
 * set when there is none; -ENOMEM. */
static int ptr_walk(patcher *pa, cJSON *root, char *const *tok, size_t n, cJSON **out)
{
    size_t pos;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++)
        rc = locate(pa, root, tok[i], false, &root, &pos);
    *out = rc == 0 ? root : NULL;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Editing the document                                                 */
/* ------------------------------------------------------------------ */

/* Forget item's member name (it becomes an array element or a root). */
static void drop_key(cJSON *item)
{
    if (item->string && !(item->type & cJSON_StringIsConst))
        cJSON_free(item->string);
    item->string = NULL;
    item->type &= ~cJSON_StringIsConst;
}

/* Name item key, as cJSON_AddItemToObject would. */
static int set_key(cJSON *item, const char *key)
{
    size_t n = strlen(key) + 1;
    char *copy = cJSON_malloc(n);

    if (!copy)
        return cer_err(-ENOMEM, "patch: out of memory");
    memcpy(copy, key, n);
    drop_key(item);
    item->string = copy;
    return 0;
}

/* A deep copy without a member name; NULL when out of memory. */
static cJSON *dup_value(const cJSON *v)
{
    cJSON *c = cJSON_Duplicate(v, 1);

    if (c)
        drop_key(c);
    return c;
}

/* Containers nested in the checked value v (0 for a scalar); *count
 * grows by the values in v. */
static int depth_of(const cJSON *v, size_t *count)
{
    int depth = 0, d;

    ++*count;
    if (!is_container(v))
        return 0;
    for (const cJSON *c = v->child; c; c = c->next)
        if ((d = depth_of(c, count)) > depth)
            depth = d;
    return depth + 1;
}

/* A value depth containers deep will sit n tokens below the root. */
static int check_room(int depth, size_t n)
{
    if (depth > 0 && (n >= DEPTH_MAX || depth > DEPTH_MAX - (int)n))
        return cer_err(-EFBIG, "result would nest deeper than %d levels", DEPTH_MAX);
    return 0;
}

/* Insert item before after, the element at position i of array (NULL:
 * at the end). Not cJSON_InsertItemInArray: Debian's cJSON
 * 1.7.15-1+deb12u* refuses every position but the first and the end. The
 * child list keeps cJSON's shape: child->prev is the last element, the
 * last element's next is NULL. */
static int array_insert(patcher *pa, cJSON *array, size_t i, cJSON *after, cJSON *item)
{
    cindex *x = index_of(pa, array);

    bool front = x && i < x->n / 2;  /* move the elements before i, else those from i */
    int rc;

    if (x) {
        if ((front ? x->off == 0 : x->off + x->n == x->cap) && (rc = items_room(x, NULL, x->n)) < 0)
            return rc;
        if (front) {
            x->off--;
            memmove(x->base + x->off, x->base + x->off + 1, i * sizeof *x->base);
        } else {
            memmove(x->base + x->off + i + 1, x->base + x->off + i, (x->n - i) * sizeof *x->base);
        }
        visits += front ? i : x->n - i;
        x->base[x->off + i] = item;
        x->n++;
    }
    if (!after) {
        cJSON_AddItemToArray(array, item);
        return 0;
    }
    item->next = after;
    item->prev = after->prev;
    if (after == array->child)
        array->child = item;
    else
        after->prev->next = item;
    after->prev = item;
    return 0;
}

/* Link value (owned, named) as the last member of obj. */
static int object_append(patcher *pa, cJSON *obj, cJSON *value)
{
    cindex *x = index_of(pa, obj);
    int rc;

    if (x && (rc = cer_strmap_put(&x->names, value->string, value)) < 0)
        return rc;
    cJSON_AddItemToArray(obj, value);  /* links it, key kept */
    return 0;
}

/* Put value (owned; named as old, in an object) in the place of old, the
 * member of parent at position pos, and free old. */
static void swap_member(patcher *pa, cJSON *parent, cJSON *old, cJSON *value, size_t pos)
{
    cindex *x = index_of(pa, parent);

    if (x && cJSON_IsObject(parent))
        (void)cer_strmap_put(&x->names, value->string, value);  /* the name is there: no allocation */
    else if (x)
        x->base[x->off + pos] = value;
    unindex(pa, old);
    cJSON_ReplaceItemViaPointer(parent, old, value);  /* frees old */
}

/* Unlink child, the member of parent at position pos, and return it. */
static cJSON *detach(patcher *pa, cJSON *parent, cJSON *child, size_t pos)
{
    cindex *x = index_of(pa, parent);

    if (x && cJSON_IsObject(parent)) {
        cer_strmap_del(&x->names, child->string);
    } else if (x && pos < x->n / 2) {  /* move the shorter side */
        memmove(x->base + x->off + 1, x->base + x->off, pos * sizeof *x->base);
        x->off++;
        x->n--;
        visits += pos;
    } else if (x) {
        x->n--;
        memmove(x->base + x->off + pos, x->base + x->off + pos + 1, (x->n - pos) * sizeof *x->base);
        visits += x->n - pos;
    }
    return cJSON_DetachItemViaPointer(parent, child);
}

/* Put value (owned) under tok in container parent: RFC 6902 add. */
static int put_child(patcher *pa, cJSON *parent, const char *tok, cJSON *value)
{
    cJSON *old;
    size_t i;
    int rc;

    if ((rc = locate(pa, parent, tok, true, &old, &i)) < 0)
        goto fail;
    if (cJSON_IsArray(parent)) {
        drop_key(value);
        if ((rc = array_insert(pa, parent, i, old, value)) < 0)
            goto fail;
        return 0;
    }
    if ((rc = set_key(value, tok)) < 0)
        goto fail;
    if (old)
        swap_member(pa, parent, old, value, i);
    else if ((rc = object_append(pa, parent, value)) < 0)
        goto fail;
    return 0;
fail:
    discard(pa, value);
    return rc;
}

/* Replace the existing child tok of parent with value (owned). */
static int replace_child(patcher *pa, cJSON *parent, const char *tok, cJSON *value)
{
    cJSON *old;
    size_t i;
    int rc;

    if ((rc = locate(pa, parent, tok, false, &old, &i)) < 0)
        goto fail;
    if (cJSON_IsObject(parent)) {
        if ((rc = set_key(value, tok)) < 0)
            goto fail;
    } else {
        drop_key(value);
    }
    swap_member(pa, parent, old, value, i);
    return 0;
fail:
    discard(pa, value);
    return rc;
}

/* RFC 6902 add (replace false) or replace (true) of value (owned, depth
 * containers deep) at path: the two differ only in what they do to the
 * parent's child. */
static int doc_put(patcher *pa, cJSON **doc, const ptr *path, cJSON *value, int depth, bool replace)
{
    cJSON *parent = NULL;
    int rc = 0;

    if (path->n && (rc = ptr_walk(pa, *doc, path->tok, path->n - 1, &parent)) < 0)
        goto fail;
    if ((rc = check_room(depth, path->n)) < 0)
        goto fail;
    if (path->n == 0) {
        drop_key(value);
        discard(pa, *doc);
        *doc = value;
        return 0;
    }
    if (replace)
        return replace_child(pa, parent, path->tok[path->n - 1], value);
    return put_child(pa, parent, path->tok[path->n - 1], value);
fail:
    discard(pa, value);
    return rc;
}

/* RFC 6902 remove at path; *removed gets the detached value. Removing the
 * root leaves null, as in fast-json-patch. */
static int doc_remove(patcher *pa, cJSON **doc, const ptr *path, cJSON **removed)
{
    cJSON *parent, *child, *null;
    size_t pos;
    int rc;

    if (path->n == 0) {
        if (!(null = cJSON_CreateNull()))
            return cer_err(-ENOMEM, "patch: out of memory");
        *removed = *doc;
        *doc = null;
        return 0;
    }
    if ((rc = ptr_walk(pa, *doc, path->tok, path->n - 1, &parent)) < 0 ||
        (rc = locate(pa, parent, path->tok[path->n - 1], false, &child, &pos)) < 0)
        return rc;
    *removed = detach(pa, parent, child, pos);
    return 0;
}

/* RFC 6902 move: remove at from, add the value at path. */
static int doc_move(patcher *pa, cJSON **doc, const ptr *from, const char *from_s,
                    const ptr *path, const char *path_s)
{
    cJSON *value = NULL;
    size_t n = 0;
    int rc, depth = 0;

    if (strcmp(from_s, path_s) == 0) {
        if ((rc = ptr_walk(pa, *doc, from->tok, from->n, &value)) < 0)
            return cer_err_wrap(rc, "from %s", disp(from_s));
        return 0;
    }
    if ((rc = doc_remove(pa, doc, from, &value)) < 0)
        return cer_err_wrap(rc, "from %s", disp(from_s));
    /* It fitted at from, so it fits at any place no deeper. */
    if (path->n > from->n) {
        depth = depth_of(value, &n);
        if ((rc = spend(pa, n)) < 0) {
            discard(pa, value);
            return rc;
        }
    }
    return doc_put(pa, doc, path, value, depth, false);
}

/* RFC 6902 copy: add a deep copy of the value at from at path. */
static int doc_copy(patcher *pa, cJSON **doc, const ptr *from, const char *from_s, const ptr *path)
{
    cJSON *src, *value;
    size_t n = 0;
    int rc, depth;

    if ((rc = ptr_walk(pa, *doc, from->tok, from->n, &src)) < 0)
        return cer_err_wrap(rc, "from %s", disp(from_s));
    depth = depth_of(src, &n);
    if ((rc = spend(pa, n)) < 0)
        return rc;
    if (!(value = dup_value(src)))
        return cer_err(-ENOMEM, "patch: out of memory");
    return doc_put(pa, doc, path, value, depth, false);
}

/* RFC 6902 test: the value at path deep-equals value. */
static int doc_test(patcher *pa, cJSON *doc, const ptr *path, const cJSON *value)
{
    cJSON *target;
    int rc;

    if ((rc = ptr_walk(pa, doc, path->tok, path->n, &target)) < 0)
        return rc;
    if ((rc = json_equal(target, value)) < 0)
        return rc;
    return rc ? 0 : cer_err(-EINVAL, "test failed: value differs");
}

/* ------------------------------------------------------------------ */
/* Operations                                                           */
/* ------------------------------------------------------------------ */

enum { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"add", "remove", "replace", "move", "copy", "test"};

/* One validated operation; strings and value borrowed from the patch. */
typedef struct op {
    size_t index;
    int kind;           /* OP_*, -1 until known */
    const char *name;   /* the "op" string, "?" when absent */
    const char *path;   /* "?" when absent */
    const char *from;   /* move, copy */
    const cJSON *value; /* add, replace, test */
    int depth;          /* containers nested in value */
} op;

/* "patch op <i> (<op> <path>): <reason>" */
static int op_fail(const op *o, int code, const char *fmt, ...) CER_PRINTF(3, 4);
static int op_fail(const op *o, int code, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cer_err(code, "patch op %zu (%s %s): %s", o->index, o->name, disp(o->path), why);
}

/* Prefix the current reason with the operation. */
static int op_wrap(const op *o, int code)
{
    return cer_err_wrap(code, "patch op %zu (%s %s)", o->index, o->name, disp(o->path));
}

static bool is_proper_prefix(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);

    return strncmp(prefix, path, n) == 0 && path[n] == '/';
}

/* Validate the members of operation item (the index-th) into o. */
static int op_parse(op *o, const cJSON *item, size_t index)
{
    const cJSON *jop, *jpath, *jfrom;
    int rc;

    memset(o, 0, sizeof *o);
    o->index = index;
    o->kind = -1;
    o->name = o->path = "?";
    if (!cJSON_IsObject(item))
        return cer_err(-EINVAL, "patch op %zu: not an object", index);
    if ((rc = check_keys(item)) < 0)  /* e.g. two "op" members */
        return cer_err_wrap(rc, "patch op %zu", index);
    jop = cJSON_GetObjectItemCaseSensitive(item, "op");
    jpath = cJSON_GetObjectItemCaseSensitive(item, "path");
    if (cJSON_IsString(jop))
        o->name = jop->valuestring;
    if (cJSON_IsString(jpath))
        o->path = jpath->valuestring;
    if (!cJSON_IsString(jop))
        return op_fail(o, -EINVAL, "missing or non-string \"op\"");
    for (int k = 0; k < OP_COUNT; k++)
        if (strcmp(o->name, op_names[k]) == 0)
            o->kind = k;
    if (o->kind < 0)
        return op_fail(o, -EINVAL, "unknown op");
    if (!cJSON_IsString(jpath))
        return op_fail(o, -EINVAL, "missing or non-string \"path\"");
    if ((rc = ptr_check(o->path)) < 0)
        return op_wrap(o, rc);
    if (o->kind == OP_ADD || o->kind == OP_REPLACE || o->kind == OP_TEST) {
        o->value = cJSON_GetObjectItemCaseSensitive(item, "value");
        if (!o->value)
            return op_fail(o, -EINVAL, "missing \"value\"");
        if ((rc = json_check(o->value, DEPTH_MAX)) < 0)
            return op_wrap(o, cer_err_wrap(rc, "value"));
        o->depth = rc;
    }
    if (o->kind == OP_MOVE || o->kind == OP_COPY) {
        jfrom = cJSON_GetObjectItemCaseSensitive(item, "from");
        if (!cJSON_IsString(jfrom))
            return op_fail(o, -EINVAL, "missing or non-string \"from\"");
        o->from = jfrom->valuestring;
        if ((rc = ptr_check(o->from)) < 0)
            return op_wrap(o, cer_err_wrap(rc, "from %s", disp(o->from)));
    }
    if (o->kind == OP_MOVE && is_proper_prefix(o->from, o->path))
        return op_fail(o, -EINVAL, "cannot move %s into its own child", disp(o->from));
    return 0;
}

/* Run the validated operation o on *doc. */
static int op_apply(patcher *pa, cJSON **doc, const op *o)
{
    ptr path, from = {0, NULL};
    cJSON *v = NULL;
    int rc;

    if ((rc = ptr_parse(&path, o->path)) < 0)
        goto out;
    if (o->from && (rc = ptr_parse(&from, o->from)) < 0)
        goto out;
    switch (o->kind) {
    case OP_ADD:
    case OP_REPLACE:
        if (!(v = dup_value(o->value))) {
            rc = cer_err(-ENOMEM, "patch: out of memory");
            break;
        }
        rc = doc_put(pa, doc, &path, v, o->depth, o->kind == OP_REPLACE);
        break;
    case OP_REMOVE:
        if ((rc = doc_remove(pa, doc, &path, &v)) == 0)
            discard(pa, v);
        break;
    case OP_MOVE:
        rc = doc_move(pa, doc, &from, o->from, &path, o->path);
        break;
    case OP_COPY:
        rc = doc_copy(pa, doc, &from, o->from, &path);
        break;
    default:
        rc = doc_test(pa, *doc, &path, o->value);
        break;
    }
out:
    ptr_free(&path);
    ptr_free(&from);
    return rc < 0 ? op_wrap(o, rc) : 0;
}

int cer_patch_check(const cJSON *patch)
{
    const cJSON *item;
    size_t i = 0;
    op o;
    int rc;

    if (!cJSON_IsArray(patch))
        return cer_err(-EINVAL, "patch: not an array");
    cJSON_ArrayForEach(item, patch)
        if ((rc = op_parse(&o, item, i++)) < 0)
            return rc;
    return 0;
}

int cer_patch_apply(cJSON **out, const cJSON *doc, const cJSON *patch)
{
    const cJSON *item;
    cJSON *work = NULL;
    patcher pa = {0};
    size_t i = 0;
    op o;
    int rc;

    if (!out || !doc || !patch)
        return cer_err(-EINVAL, "patch: NULL argument");
    *out = NULL;
    if (!cJSON_IsArray(patch))
        return cer_err(-EINVAL, "patch: not an array");
    if ((rc = json_check(doc, DEPTH_MAX)) < 0)
        return cer_err_wrap(rc, "patch: document");
    if ((rc = cer_patch_check(patch)) < 0)
        return rc;
    if (!(work = dup_value(doc)))
        return cer_err(-ENOMEM, "patch: out of memory");
    depth_of(doc, &pa.allowance);  /* counts the values */
    depth_of(patch, &pa.allowance);
    pa.allowance = ALLOWANCE(pa.allowance);
    rc = 0;
    i = 0;
    cJSON_ArrayForEach(item, patch) {
        if ((rc = op_parse(&o, item, i++)) < 0 || (rc = op_apply(&pa, &work, &o)) < 0)
            goto out;
    }
    clear_marks(work);
    *out = work;
    work = NULL;
out:
    patcher_free(&pa);
    cJSON_Delete(work);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Diff (fast-json-patch compare)                                       */
/* ------------------------------------------------------------------ */

typedef struct differ {
    cJSON *patch;  /* the operations so far */
    cer_buf path;  /* escaped pointer of the current position */
} differ;

static const char *cur_path(const differ *d)
{
    return d->path.data ? (const char *)d->path.data : "";
}

/* Append {"op": name, "path": <current>, "value": copy of value?}. */
static int emit(differ *d, const char *name, const cJSON *value)
{
    const char *path = cur_path(d);
    cJSON *o, *v = NULL;

    if (ptr_banned(path))
        return cer_err(-EINVAL, "diff: %s %s goes through __proto__ or constructor/prototype, "
                                "which fast-json-patch refuses to apply", name, path);
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "op", name) || !cJSON_AddStringToObject(o, "path", path))
        goto nomem;
    if (value) {
        if (!(v = dup_value(value)) || !cJSON_AddItemToObject(o, "value", v))
            goto nomem;
        v = NULL;  /* owned by o */
    }
    if (!cJSON_AddItemToArray(d->patch, o))
        goto nomem;
    return 0;
nomem:
    cJSON_Delete(v);
    cJSON_Delete(o);
    return cer_err(-ENOMEM, "diff: out of memory");
}

static int diff_container(differ *d, const cJSON *a, const cJSON *b);

/* a and b both sit at the current path. */
static int diff_pair(differ *d, const cJSON *a, const cJSON *b)
{
    if (is_container(a) && is_container(b) && cJSON_IsArray(a) == cJSON_IsArray(b))
        return diff_container(d, a, b);
    if (is_container(a) || is_container(b) || json_equal(a, b) != 1)
        return emit(d, "replace", b);
    return 0;
}

/* The elements of array a; *items is NULL when there are none. */
static int list_items(const cJSON ***items, size_t *n, const cJSON *a)
{
    size_t i = 0;

    *items = NULL;
    *n = array_size(a);
    if (*n == 0)
        return 0;
    if (!(*items = malloc(*n * sizeof **items)))
        return cer_err(-ENOMEM, "diff: out of memory");
    for (const cJSON *c = a->child; c; c = c->next)
        (*items)[i++] = c;
    return 0;
}

static int diff_array(differ *d, const cJSON *a, const cJSON *b)
{
    const cJSON **av = NULL, **bv = NULL;
    size_t na, nb, t, len = d->path.len;
    int rc;

    if ((rc = list_items(&av, &na, a)) < 0 || (rc = list_items(&bv, &nb, b)) < 0)
        goto out;
    /* Old indices from the last: compare, or remove past the new end. */
    visits += na > nb ? na : nb;
    for (t = na; t-- > 0;) {
        if ((rc = cer_buf_ptr_push_index(&d->path, t)) == 0)
            rc = t < nb ? diff_pair(d, av[t], bv[t]) : emit(d, "remove", NULL);
        cer_buf_truncate(&d->path, len);
        if (rc < 0)
            goto out;
    }
    /* Then new indices past the old end, in order. */
    for (t = na; t < nb; t++) {
        if ((rc = cer_buf_ptr_push_index(&d->path, t)) == 0)
            rc = emit(d, "add", bv[t]);
        cer_buf_truncate(&d->path, len);
        if (rc < 0)
            goto out;
    }
out:
    free(av);
    free(bv);
    return rc;
}

static int diff_object(differ *d, const cJSON *a, const cJSON *b)
{
    view va, vb;
    size_t t, len = d->path.len;
    bool deleted = false;
    int rc;

    if ((rc = view_init(&va, a, true)) < 0)
        return rc;
    if ((rc = view_init(&vb, b, true)) < 0)
        goto out;
    /* Old keys from the last: compare, or remove when gone. */
    visits += va.n;
    for (t = va.n; t-- > 0;) {
        const cJSON *ov = va.order[t], *nv = view_find(&vb, ov->string);

        if ((rc = cer_buf_ptr_push(&d->path, ov->string)) == 0)
            rc = nv ? diff_pair(d, ov, nv) : emit(d, "remove", NULL);
        deleted |= nv == NULL;
        cer_buf_truncate(&d->path, len);
        if (rc < 0)
            goto out;
    }
    if (!deleted && va.n == vb.n)
        goto out;
    /* Then new keys, in the new object's order. */
    visits += vb.n;
    for (t = 0; t < vb.n; t++) {
        const cJSON *nv = vb.order[t];

        if (view_find(&va, nv->string))
            continue;
        if ((rc = cer_buf_ptr_push(&d->path, nv->string)) == 0)
            rc = emit(d, "add", nv);
        cer_buf_truncate(&d->path, len);
        if (rc < 0)
            goto out;
    }
out:
    view_free(&va);
    view_free(&vb);
    return rc;
}

/* Two containers of the same kind at the current path. */
static int diff_container(differ *d, const cJSON *a, const cJSON *b)
{
    return cJSON_IsArray(a) ? diff_array(d, a, b) : diff_object(d, a, b);
}

int cer_patch_diff(cJSON **out, const cJSON *from, const cJSON *to)
{
    differ d = {NULL, CER_BUF_INIT};
    int rc;

    if (!out || !from || !to)
        return cer_err(-EINVAL, "diff: NULL argument");
    *out = NULL;
    if ((rc = json_check(from, DEPTH_MAX)) < 0)
        return cer_err_wrap(rc, "diff: from");
    if ((rc = json_check(to, DEPTH_MAX)) < 0)
        return cer_err_wrap(rc, "diff: to");
    if (!(d.patch = cJSON_CreateArray()))
        return cer_err(-ENOMEM, "diff: out of memory");
    if (is_container(from) && is_container(to) && cJSON_IsArray(from) == cJSON_IsArray(to)) {
        rc = diff_container(&d, from, to);
    } else {
        /* Not something compare() handles: replace the root, if changed. */
        rc = json_equal(from, to);
        rc = rc == 0 ? emit(&d, "replace", to) : rc < 0 ? rc : 0;
    }
    if (rc == 0) {
        *out = d.patch;
        d.patch = NULL;
    }
    cJSON_Delete(d.patch);
    cer_buf_free(&d.path);
    return rc;
}
