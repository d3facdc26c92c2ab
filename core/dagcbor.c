/*
 * dagcbor.c — canonical DAG-CBOR, byte-identical to what @ipld/dag-cbor
 * (on cborg) writes for js-ceramic, and a strict decoder into cJSON in the
 * dag-json convention (links {"/": cid}, bytes {"/": {"bytes": base64}}).
 *
 * libcbor is used at its lowest level only. The encoder writes every head
 * with the cbor_encode_* functions (always the shortest form) and does the
 * canonical part itself: map keys sorted by UTF-8 length, then bytewise;
 * numbers mapped as JS numbers are. The decoder tokenises with
 * cbor_stream_decode (one token per call, no allocation) and checks each
 * token against the DAG-CBOR rules before adding it to the tree, because
 * cbor_load silently accepts non-canonical input and builds a second tree.
 *
 * Where JS defines the behaviour we match it (cborg lib/encode.js,
 * lib/3string.js, lib/decode.js; @ipld/dag-cbor src/index.js):
 *   - -0 is written as the integer 0 (Number.isSafeInteger(-0) holds and
 *     -0 >= 0, so cborg emits uint 0).
 *   - Integers beyond +-(2^53-1) decode exactly, as cJSON_Raw items holding
 *     the decimal literal (JS gives a BigInt), and the encoder writes such
 *     Raw items back as exact integers (dag-json reads them that way).
 *     CIDs are always computed over
 *     the raw block bytes, never over a re-encoding, so nothing is lost
 *     where it matters. Negative integers go down to -2^64.
 *   - Invalid UTF-8 in a text string is not an error: cborg replaces it
 *     with U+FFFD, and so do we, the same way: text of up to 64 bytes with
 *     cborg's own loop (one U+FFFD per bad lead byte), longer text as
 *     Node's Buffer#toString / TextDecoder (one per maximal invalid
 *     subsequence, WHATWG). Valid text is decoded unchanged either way.
 *     The encoder writes string bytes as they are.
 *   - undefined (f7) decodes as null (coerceUndefinedToNull); the encoder
 *     has no undefined to write.
 *   - Duplicate map keys are rejected, compared after decoding, as the
 *     DAG-CBOR spec and @ipld/dag-cbor >= 9 do (7.x, in js-ceramic 2.x,
 *     still let the last one win).
 * cJSON strings are NUL-terminated, so U+0000 is held in them as the two
 * bytes C0 80 (the project-wide convention, see ceramic.h): the decoder
 * turns 00 into C0 80, the encoder turns C0 80 back into 00.
 */
#include "dagcbor.h"
#include "buf.h"
#include "error.h"
#include "json.h"

#include <cbor.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740991.0  /* 2^53 - 1 */

enum { MAJ_UINT, MAJ_NEGINT, MAJ_BYTES, MAJ_TEXT, MAJ_ARRAY, MAJ_MAP, MAJ_TAG };

#define CID_TAG 42

/* Canonical order of map keys (RFC 7049 §3.9 as cborg implements it):
 * shorter UTF-8 first, then bytewise. */
/* One byte of a key as it is on the wire: C0 80 (U+0000 in our strings)
 * is the single byte 00. */
static unsigned wire_byte(const char *s, size_t n, size_t *i)
{
    unsigned c = (uint8_t)s[(*i)++];

    if (c == 0xc0 && *i < n && (uint8_t)s[*i] == 0x80) {
        (*i)++;
        return 0;
    }
    return c;
}

static size_t wire_len(const char *s, size_t n)
{
    size_t len = 0;

    for (size_t i = 0; i < n; len++)
        wire_byte(s, n, &i);
    return len;
}

/* Canonical key order, on the keys' wire bytes: length first, then
 * bytewise. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0, wa, wb;

    if (!memchr(a, 0xc0, alen) && !memchr(b, 0xc0, blen)) {
        if (alen != blen)
            return alen < blen ? -1 : 1;
        return memcmp(a, b, alen);
    }
    wa = wire_len(a, alen);
    wb = wire_len(b, blen);
    if (wa != wb)
        return wa < wb ? -1 : 1;
    while (i < alen && j < blen) {
        unsigned x = wire_byte(a, alen, &i), y = wire_byte(b, blen, &j);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* dag-json forms                                                       */
/* ------------------------------------------------------------------ */

/* The only member of v if v is an object with exactly one member named
 * name, else NULL. */
static const cJSON *sole_member(const cJSON *v, const char *name)
{
    if (!cJSON_IsObject(v) || !v->child || v->child->next || !v->child->string)
        return NULL;
    return strcmp(v->child->string, name) == 0 ? v->child : NULL;
}

/* {"/": "<cid>"}: the CID string, or NULL. */
static const char *link_form(const cJSON *v)
{
    const cJSON *s = sole_member(v, "/");

    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* {"/": {"bytes": "<base64>"}}: the base64 string, or NULL. */
static const char *bytes_form(const cJSON *v)
{
    const cJSON *b = sole_member(sole_member(v, "/"), "bytes");

    return cJSON_IsString(b) ? b->valuestring : NULL;
}

cJSON *cer_json_link_new(const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];
    cJSON *o;

    if (cer_cid_to_string(s, sizeof s, cid) < 0)
        return NULL;
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "/", s)) {
        cJSON_Delete(o);
        cer_err(-ENOMEM, "dagcbor: out of memory");
        return NULL;
    }
    return o;
}

int cer_json_get_link(cer_cid *out, const cJSON *value)
{
    const char *s = link_form(value);

    if (!s)
        return cer_err(-EINVAL, "dagcbor: value is not a link {\"/\": \"<cid>\"}");
    return cer_cid_parse(out, s);
}

cJSON *cer_json_bytes_new(const uint8_t *data, size_t len)
{
    size_t cap = cer_base_encoded_max(CER_BASE64, len);
    char *s = malloc(cap);
    cJSON *o = NULL, *inner;

    if (!s || cer_base_encode(s, cap, CER_BASE64, data, len) < 0)
        goto fail;
    o = cJSON_CreateObject();
    inner = o ? cJSON_AddObjectToObject(o, "/") : NULL;
    if (!inner || !cJSON_AddStringToObject(inner, "bytes", s))
        goto fail;
    free(s);
    return o;
fail:
    free(s);
    cJSON_Delete(o);
    cer_err(-ENOMEM, "dagcbor: out of memory");
    return NULL;
}

int cer_json_get_bytes(uint8_t *out, size_t cap, const cJSON *value)
{
    const char *s = bytes_form(value);
    int n;

    if (!s)
        return cer_err(-EINVAL, "dagcbor: value is not bytes {\"/\": {\"bytes\": \"<base64>\"}}");
    n = cer_base_decode(out, cap, CER_BASE64, s, strlen(s));
    return n < 0 ? cer_err_wrap(n, "dagcbor: bytes") : n;
}

/* ------------------------------------------------------------------ */
/* Streaming writer                                                     */
/* ------------------------------------------------------------------ */

static void w_put(cer_cbor_w *w, const void *p, size_t n)
{
    int rc;

    if (w->err)
        return;
    if ((rc = cer_buf_append(w->out, p, n)) < 0)
        w->err = rc;
}

/* A head of major type major with argument v, in its shortest form. */
static void w_head(cer_cbor_w *w, int major, uint64_t v)
{
    unsigned char h[9];
    size_t n = 0;

    switch (major) {
    case MAJ_UINT: n = cbor_encode_uint(v, h, sizeof h); break;
    case MAJ_NEGINT: n = cbor_encode_negint(v, h, sizeof h); break;
    case MAJ_BYTES: n = cbor_encode_bytestring_start((size_t)v, h, sizeof h); break;
    case MAJ_TEXT: n = cbor_encode_string_start((size_t)v, h, sizeof h); break;
    case MAJ_ARRAY: n = cbor_encode_array_start((size_t)v, h, sizeof h); break;
    case MAJ_MAP: n = cbor_encode_map_start((size_t)v, h, sizeof h); break;
    case MAJ_TAG: n = cbor_encode_tag(v, h, sizeof h); break;
    }
    w_put(w, h, n);
}

void cer_cbor_w_map(cer_cbor_w *w, size_t n)
{
    w_head(w, MAJ_MAP, n);
}

void cer_cbor_w_array(cer_cbor_w *w, size_t n)
{
    w_head(w, MAJ_ARRAY, n);
}

void cer_cbor_w_textn(cer_cbor_w *w, const char *s, size_t n)
{
    const char *p = s, *end = s + n, *nul;
    size_t count = 0;

    /* U+0000 is held as C0 80 in our strings: write it as the byte 00 */
    for (const char *q = s; (q = memchr(q, 0xc0, (size_t)(end - q))) && q + 1 < end; q++)
        count += (uint8_t)q[1] == 0x80;
    w_head(w, MAJ_TEXT, n - count);
    while (count && (nul = memchr(p, 0xc0, (size_t)(end - p)))) {
        if (nul + 1 < end && (uint8_t)nul[1] == 0x80) {
            w_put(w, p, (size_t)(nul - p));
            w_put(w, "", 1);
            p = nul + 2;
            count--;
        } else {
            w_put(w, p, (size_t)(nul - p) + 1);
            p = nul + 1;
        }
    }
    w_put(w, p, (size_t)(end - p));
}

void cer_cbor_w_text(cer_cbor_w *w, const char *s)
{
    if (!s) {
        if (!w->err)
            w->err = cer_err(-EINVAL, "dagcbor: NULL string");
        return;
    }
    cer_cbor_w_textn(w, s, strlen(s));
}

void cer_cbor_w_bytes(cer_cbor_w *w, const uint8_t *p, size_t n)
{
    w_head(w, MAJ_BYTES, n);
    w_put(w, p, n);
}

void cer_cbor_w_link(cer_cbor_w *w, const cer_cid *cid)
{
    uint8_t b[1 + CER_CID_BYTES_MAX];
    int n;

    if (w->err)
        return;
    b[0] = 0x00;  /* the multibase identity prefix, kept for history */
    if ((n = cer_cid_to_bytes(b + 1, sizeof b - 1, cid)) < 0) {
        w->err = n;
        return;
    }
    w_head(w, MAJ_TAG, CID_TAG);
    cer_cbor_w_bytes(w, b, (size_t)n + 1);
}

void cer_cbor_w_uint(cer_cbor_w *w, uint64_t v)
{
    w_head(w, MAJ_UINT, v);
}

void cer_cbor_w_int(cer_cbor_w *w, int64_t v)
{
    if (v >= 0)
        w_head(w, MAJ_UINT, (uint64_t)v);
    else
        w_head(w, MAJ_NEGINT, (uint64_t)(-(v + 1)));  /* -1 - n, no overflow at INT64_MIN */
}

void cer_cbor_w_number(cer_cbor_w *w, double v)
{
    unsigned char h[9];

    if (w->err)
        return;
    if (isnan(v) || isinf(v)) {
        w->err = cer_err(-EINVAL, "dagcbor: %s cannot be encoded", isnan(v) ? "NaN" : "Infinity");
        return;
    }
    if (v >= -MAX_SAFE_INT && v <= MAX_SAFE_INT && v == (double)(int64_t)v) {
        cer_cbor_w_int(w, (int64_t)v);  /* -0 becomes 0, as in cborg */
        return;
    }
    w_put(w, h, cbor_encode_double(v, h, sizeof h));
}

/* An exact integer held as a cJSON_Raw literal (see json.h). */
static void w_raw_int(cer_cbor_w *w, const cJSON *raw)
{
    bool neg;
    uint64_t n;
    int rc;

    if (w->err)
        return;
    if ((rc = cer_json_int_get(&neg, &n, raw)) < 0)
        w->err = cer_err_wrap(rc, "dagcbor");
    else
        w_head(w, neg ? MAJ_NEGINT : MAJ_UINT, n);
}

void cer_cbor_w_bool(cer_cbor_w *w, bool v)
{
    unsigned char h[1];

    w_put(w, h, cbor_encode_bool(v, h, sizeof h));
}

void cer_cbor_w_null(cer_cbor_w *w)
{
    unsigned char h[1];

    w_put(w, h, cbor_encode_null(h, sizeof h));
}

static void w_value(cer_cbor_w *w, const cJSON *v, unsigned flags, unsigned depth);

/* Whether an object is a dag-json link or bytes form, as @ipld/dag-json
 * reads it: only when "/" is the first key and its value is a string (a
 * link) or a map whose only key is "bytes" with a string value; then the
 * object must have no other key. Any other object with a "/" key
 * ({"a":1,"/":"x"}, {"/":1}) is an ordinary map. */
static bool dagjson_special(const cJSON *v)
{
    const cJSON *first = v->child, *inner;

    if (!first || !first->string || strcmp(first->string, "/") != 0)
        return false;
    if (cJSON_IsString(first))
        return true;
    inner = first->child;
    return cJSON_IsObject(first) && inner && !inner->next && inner->string &&
           strcmp(inner->string, "bytes") == 0 && cJSON_IsString(inner);
}

/* {"/": ...} under CER_DAGJSON: a link or bytes, nothing else. */
static void w_dagjson(cer_cbor_w *w, const cJSON *v)
{
    const char *s;
    cer_cid cid;
    uint8_t *p;
    size_t cap;
    int n;

    if ((s = link_form(v))) {
        if ((n = cer_cid_parse(&cid, s)) < 0)
            w->err = cer_err_wrap(n, "dagcbor: link");
        else
            cer_cbor_w_link(w, &cid);
    } else if ((s = bytes_form(v))) {
        cap = strlen(s) / 4 * 3 + 3;
        if (!(p = malloc(cap))) {
            w->err = cer_err(-ENOMEM, "dagcbor: out of memory");
            return;
        }
        if ((n = cer_base_decode(p, cap, CER_BASE64, s, strlen(s))) < 0)
            w->err = cer_err_wrap(n, "dagcbor: dag-json bytes");
        else
            cer_cbor_w_bytes(w, p, (size_t)n);
        free(p);
    } else {
        w->err = cer_err(-EINVAL, "dagcbor: an object with a \"/\" key must be a link "
                                  "{\"/\": \"<cid>\"} or bytes {\"/\": {\"bytes\": \"<base64>\"}}");
    }
}

typedef struct key_ent {
    const char *s;
    size_t len;
    const cJSON *v;
} key_ent;

static int key_ent_cmp(const void *a, const void *b)
{
    const key_ent *x = a, *y = b;

    return key_cmp(x->s, x->len, y->s, y->len);
}

/* An object as a map, keys in canonical order. */
static void w_object(cer_cbor_w *w, const cJSON *v, unsigned flags, unsigned depth)
{
    key_ent *ents;
    size_t n = 0, i = 0;

    for (const cJSON *c = v->child; c; c = c->next)
        n++;
    if (n == 0) {
        cer_cbor_w_map(w, 0);
        return;
    }
    if (!(ents = malloc(n * sizeof *ents))) {
        w->err = cer_err(-ENOMEM, "dagcbor: out of memory");
        return;
    }
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (!c->string) {
            w->err = cer_err(-EINVAL, "dagcbor: object member without a key");
            goto out;
        }
        ents[i] = (key_ent){c->string, strlen(c->string), c};
    }
    qsort(ents, n, sizeof *ents, key_ent_cmp);
    for (i = 1; i < n; i++) {
        if (key_ent_cmp(&ents[i - 1], &ents[i]) == 0) {
            w->err = cer_err(-EINVAL, "dagcbor: duplicate key \"%.64s\"", ents[i].s);
            goto out;
        }
    }
    cer_cbor_w_map(w, n);
    for (i = 0; i < n && !w->err; i++) {
        cer_cbor_w_textn(w, ents[i].s, ents[i].len);
        w_value(w, ents[i].v, flags, depth + 1);
    }
out:
    free(ents);
}

/* v, which has depth maps/arrays open around it. */
static void w_value(cer_cbor_w *w, const cJSON *v, unsigned flags, unsigned depth)
{
    if (w->err)
        return;
    if (!v) {
        w->err = cer_err(-EINVAL, "dagcbor: NULL value");
        return;
    }
    if (cJSON_IsObject(v) && (flags & CER_DAGJSON) && dagjson_special(v)) {
        w_dagjson(w, v);  /* a link or bytes: not a map */
        return;
    }
    if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && depth >= CER_DAGCBOR_DEPTH_MAX) {
        w->err = cer_err(-EFBIG, "dagcbor: nesting deeper than %d", CER_DAGCBOR_DEPTH_MAX);
        return;
    }
    if (cJSON_IsNull(v)) {
        cer_cbor_w_null(w);
    } else if (cJSON_IsBool(v)) {
        cer_cbor_w_bool(w, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        cer_cbor_w_number(w, v->valuedouble);
    } else if (cJSON_IsString(v)) {
        cer_cbor_w_text(w, v->valuestring);
    } else if (cJSON_IsRaw(v)) {
        w_raw_int(w, v);
    } else if (cJSON_IsArray(v)) {
        size_t n = 0;
        for (const cJSON *c = v->child; c; c = c->next)
            n++;
        cer_cbor_w_array(w, n);
        for (const cJSON *c = v->child; c && !w->err; c = c->next)
            w_value(w, c, flags, depth + 1);
    } else if (cJSON_IsObject(v)) {
        w_object(w, v, flags, depth);
    } else {
        w->err = cer_err(-EINVAL, "dagcbor: JSON value of type %d cannot be encoded", v->type);
    }
}

void cer_cbor_w_json(cer_cbor_w *w, const cJSON *v, unsigned flags)
{
    if (w->err)
        return;
    if (flags & ~(unsigned)CER_DAGJSON) {
        w->err = cer_err(-EINVAL, "dagcbor: unknown flags 0x%x", flags);
        return;
    }
    w_value(w, v, flags, w->depth);
}

int cer_dagcbor_encode(cer_buf *out, const cJSON *value, unsigned flags)
{
    cer_cbor_w w = CER_CBOR_W_INIT(out);
    size_t start = out->len;

    cer_cbor_w_json(&w, value, flags);
    if (w.err && out->data) {
        out->len = start;  /* leave out as it was */
        out->data[start] = '\0';
    }
    return w.err;
}

/* ------------------------------------------------------------------ */
/* Decoder: libcbor tokens                                              */
/* ------------------------------------------------------------------ */

/* One token, as a libcbor streaming callback reported it. */
enum tok_kind {
    T_NONE, T_UINT, T_NEGINT, T_BYTES, T_TEXT, T_ARRAY, T_MAP, T_TAG,
    T_FLOAT, T_BOOL, T_NULL, T_UNDEF, T_INDEF, T_BREAK,
};

typedef struct tok {
    enum tok_kind kind;
    uint64_t u;         /* integer argument, string length, count or tag number */
    double f;           /* T_FLOAT */
    bool b;             /* T_BOOL */
    const uint8_t *p;   /* T_BYTES, T_TEXT: the content (in the input) */
} tok;

static void tok_set(void *ctx, enum tok_kind kind, uint64_t u)
{
    tok *t = ctx;

    t->kind = kind;
    t->u = u;
}

static void cb_uint8(void *c, uint8_t v) { tok_set(c, T_UINT, v); }
static void cb_uint16(void *c, uint16_t v) { tok_set(c, T_UINT, v); }
static void cb_uint32(void *c, uint32_t v) { tok_set(c, T_UINT, v); }
static void cb_uint64(void *c, uint64_t v) { tok_set(c, T_UINT, v); }
static void cb_neg8(void *c, uint8_t v) { tok_set(c, T_NEGINT, v); }
static void cb_neg16(void *c, uint16_t v) { tok_set(c, T_NEGINT, v); }
static void cb_neg32(void *c, uint32_t v) { tok_set(c, T_NEGINT, v); }
static void cb_neg64(void *c, uint64_t v) { tok_set(c, T_NEGINT, v); }
static void cb_array(void *c, size_t n) { tok_set(c, T_ARRAY, n); }
static void cb_map(void *c, size_t n) { tok_set(c, T_MAP, n); }
static void cb_tag(void *c, uint64_t v) { tok_set(c, T_TAG, v); }
static void cb_null(void *c) { tok_set(c, T_NULL, 0); }
static void cb_undef(void *c) { tok_set(c, T_UNDEF, 0); }
static void cb_indef(void *c) { tok_set(c, T_INDEF, 0); }
static void cb_break(void *c) { tok_set(c, T_BREAK, 0); }

static void cb_bytes(void *c, cbor_data p, size_t n)
{
    tok_set(c, T_BYTES, n);
    ((tok *)c)->p = p;
}

static void cb_text(void *c, cbor_data p, size_t n)
{
    tok_set(c, T_TEXT, n);
    ((tok *)c)->p = p;
}

/* Half and single floats arrive as float: both widen to double exactly
 * (libcbor 0.8 decodes binary16, subnormals, infinities and NaN correctly
 * into a float), so no decoding of our own is needed. */
static void cb_float(void *c, float v)
{
    tok_set(c, T_FLOAT, 0);
    ((tok *)c)->f = v;
}

static void cb_double(void *c, double v)
{
    tok_set(c, T_FLOAT, 0);
    ((tok *)c)->f = v;
}

static void cb_bool(void *c, bool v)
{
    tok_set(c, T_BOOL, 0);
    ((tok *)c)->b = v;
}

static const struct cbor_callbacks tok_callbacks = {
    .uint8 = cb_uint8,
    .uint16 = cb_uint16,
    .uint32 = cb_uint32,
    .uint64 = cb_uint64,
    .negint8 = cb_neg8,
    .negint16 = cb_neg16,
    .negint32 = cb_neg32,
    .negint64 = cb_neg64,
    .byte_string_start = cb_indef,
    .byte_string = cb_bytes,
    .string = cb_text,
    .string_start = cb_indef,
    .indef_array_start = cb_indef,
    .array_start = cb_array,
    .indef_map_start = cb_indef,
    .map_start = cb_map,
    .tag = cb_tag,
    .float2 = cb_float,
    .float4 = cb_float,
    .float8 = cb_double,
    .undefined = cb_undef,
    .null = cb_null,
    .boolean = cb_bool,
    .indef_break = cb_break,
};

static const char *tok_name(enum tok_kind k)
{
    switch (k) {
    case T_UINT: return "integer";
    case T_NEGINT: return "negative integer";
    case T_BYTES: return "byte string";
    case T_TEXT: return "text string";
    case T_ARRAY: return "array";
    case T_MAP: return "map";
    case T_TAG: return "tag";
    default: return "item";
    }
}

/* Size of the shortest head for argument v. */
static size_t head_size(uint64_t v)
{
    return v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffff ? 5 : 9;
}

/* ------------------------------------------------------------------ */
/* Decoder: building the tree                                           */
/* ------------------------------------------------------------------ */

/* An open array or map. */
typedef struct frame {
    cJSON *node;
    uint64_t left;    /* items (array) or entries (map) still to come */
    size_t off;       /* byte offset of its head, for messages */
    bool is_map;
    bool have_key;    /* map: key read, its value comes next */
    bool unsorted;    /* map: keys so far not strictly in canonical order */
    cJSON *last;      /* map: the last member added */
    cer_buf key;      /* map: the pending key, decoded (reused per depth) */
} frame;

typedef struct dec {
    const uint8_t *data;
    size_t len;
    size_t pos;                              /* next byte to read */
    frame stack[CER_DAGCBOR_DEPTH_MAX];
    size_t depth;                            /* open containers */
    size_t used;                             /* frames whose key buffers to free */
    cJSON *root;
    bool done;                               /* the root item is complete */
    bool want_link;                          /* tag 42 read; its bytes come next */
    size_t tag_off;
    cer_buf text;                            /* scratch for decoded text */
} dec;

static const uint8_t FFFD[3] = {0xef, 0xbf, 0xbd};  /* U+FFFD in UTF-8 */

#define CONT(c) (((c) & 0xc0) == 0x80)

/* cborg's own loop for text of at most 64 bytes: the lead byte alone gives
 * the length (> 0xef: 4, > 0xdf: 3, > 0xbf: 2); a sequence that is cut
 * short, has a bad continuation, is overlong, a surrogate or beyond
 * U+10FFFF becomes one U+FFFD for its lead byte, and decoding goes on at
 * the next byte. Writes at o, returns the end. */
static uint8_t *utf8_short(uint8_t *o, const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = p[i];
        size_t len = c > 0xef ? 4 : c > 0xdf ? 3 : c > 0xbf ? 2 : 1;
        const uint8_t *q = p + i;
        uint32_t cp;
        bool ok = false;

        if (i + len <= n) {
            switch (len) {
            case 1:
                ok = c < 0x80;
                break;
            case 2:
                cp = (uint32_t)(c & 0x1f) << 6 | (q[1] & 0x3f);
                ok = CONT(q[1]) && cp > 0x7f;
                break;
            case 3:
                cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(q[1] & 0x3f) << 6 | (q[2] & 0x3f);
                ok = CONT(q[1]) && CONT(q[2]) && cp > 0x7ff && (cp < 0xd800 || cp > 0xdfff);
                break;
            default:
                cp = (uint32_t)(c & 0x0f) << 18 | (uint32_t)(q[1] & 0x3f) << 12 |
                     (uint32_t)(q[2] & 0x3f) << 6 | (q[3] & 0x3f);
                ok = CONT(q[1]) && CONT(q[2]) && CONT(q[3]) && cp > 0xffff && cp < 0x110000;
                break;
            }
        }
        if (ok) {
            memcpy(o, q, len), o += len, i += len;
        } else {
            memcpy(o, FFFD, 3), o += 3, i++;
        }
    }
    return o;
}

/* The WHATWG UTF-8 decoder (TextDecoder, and Node's Buffer#toString),
 * which cborg uses for longer text: each maximal invalid subsequence
 * becomes one U+FFFD. Writes at o, returns the end. */
static uint8_t *utf8_whatwg(uint8_t *o, const uint8_t *p, size_t n)
{
    size_t i = 0, start = 0, need = 0, seen = 0;
    uint8_t lo = 0x80, hi = 0xbf;

    while (i < n) {
        uint8_t c = p[i];

        if (need == 0) {
            start = i++;
            lo = 0x80, hi = 0xbf;
            if (c < 0x80) {
                *o++ = c;
            } else if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                lo = c == 0xe0 ? 0xa0 : 0x80;
                hi = c == 0xed ? 0x9f : 0xbf;
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                lo = c == 0xf0 ? 0x90 : 0x80;
                hi = c == 0xf4 ? 0x8f : 0xbf;
            } else {
                memcpy(o, FFFD, 3), o += 3;
            }
            continue;
        }
        if (c < lo || c > hi) {  /* the sequence so far is one U+FFFD; reread c */
            memcpy(o, FFFD, 3), o += 3;
            need = seen = 0;
            continue;
        }
        lo = 0x80, hi = 0xbf;  /* only the second byte has narrower bounds */
        i++;
        if (++seen == need) {
            memcpy(o, p + start, i - start), o += i - start;
            need = seen = 0;
        }
    }
    if (need)
        memcpy(o, FFFD, 3), o += 3;
    return o;
}

/* Rewrite each 00 byte of b as C0 80 (U+0000 in our strings). */
static int nul_to_c080(cer_buf *b)
{
    size_t nuls = 0, j;
    int rc;

    for (size_t i = 0; i < b->len; i++)
        nuls += b->data[i] == 0;
    if ((rc = cer_buf_reserve(b, nuls)) < 0)
        return rc;
    j = b->len + nuls;
    b->data[j] = '\0';
    for (size_t i = b->len; i-- > 0;) {
        if (b->data[i] == 0) {
            b->data[--j] = 0x80;
            b->data[--j] = 0xc0;
        } else {
            b->data[--j] = b->data[i];
        }
    }
    b->len += nuls;
    return 0;
}

/* Decode text into b, NUL-terminated, as cborg before 4.5.3 does (js-ceramic
 * 2.x runs cborg 1.x; cborg 4.5.3 and later use TextDecoder for all
 * lengths). Valid UTF-8 comes out unchanged; invalid UTF-8 is never an
 * error, it is replaced (see the two functions above). */
static int utf8_decode(cer_buf *b, const uint8_t *p, size_t n, size_t off)
{
    uint8_t *end;
    int rc;

    (void)off;
    b->len = 0;
    if ((rc = cer_buf_reserve(b, 3 * n)) < 0)
        return rc;
    end = n <= 64 ? utf8_short(b->data, p, n) : utf8_whatwg(b->data, p, n);
    b->len = (size_t)(end - b->data);
    b->data[b->len] = '\0';
    if (memchr(b->data, 0, b->len))
        return nul_to_c080(b);
    return 0;
}

/* Attach a new value to the open container (or make it the root). */
static int attach(dec *d, cJSON *item)
{
    frame *f;
    bool ok;

    if (!item)
        return cer_err(-ENOMEM, "dagcbor: out of memory");
    if (d->depth == 0) {
        d->root = item;
        return 0;
    }
    f = &d->stack[d->depth - 1];
    if (f->is_map) {
        ok = cJSON_AddItemToObject(f->node, (const char *)f->key.data, item);
        f->have_key = false;
        f->last = item;
    } else {
        ok = cJSON_AddItemToArray(f->node, item);
    }
    if (!ok) {
        cJSON_Delete(item);
        return cer_err(-ENOMEM, "dagcbor: out of memory");
    }
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;

    return key_cmp(x, strlen(x), y, strlen(y));
}

/* A map whose keys did not arrive in canonical order: look for duplicates
 * by sorting (keys in order cannot repeat, so this is the rare path). */
static int check_duplicates(const frame *f)
{
    size_t n = 0, i = 0;
    const char **names;
    int rc = 0;

    for (const cJSON *c = f->node->child; c; c = c->next)
        n++;
    if (!(names = malloc(n * sizeof *names)))
        return cer_err(-ENOMEM, "dagcbor: out of memory");
    for (const cJSON *c = f->node->child; c; c = c->next)
        names[i++] = c->string;
    qsort(names, n, sizeof *names, name_cmp);
    for (i = 1; i < n; i++) {
        if (strcmp(names[i - 1], names[i]) == 0) {
            rc = cer_err(-EINVAL, "dagcbor: duplicate map key \"%.64s\" in the map at byte %zu",
                         names[i], f->off);
            break;
        }
    }
    free(names);
    return rc;
}

/* A value is complete: count it, and close every container it completes. */
static int complete(dec *d)
{
    int rc;

    while (d->depth > 0) {
        frame *f = &d->stack[d->depth - 1];

        if (--f->left > 0)
            return 0;
        if (f->is_map && f->unsorted && (rc = check_duplicates(f)) < 0)
            return rc;
        d->depth--;
    }
    d->done = true;
    return 0;
}

static int add_value(dec *d, cJSON *item)
{
    int rc = attach(d, item);

    return rc < 0 ? rc : complete(d);
}

/* An array or map head; end is the offset just past the head. */
static int open_container(dec *d, const tok *t, size_t off, size_t end)
{
    bool is_map = t->kind == T_MAP;
    size_t avail = d->len - end;
    frame *f;
    cJSON *node;
    int rc;

    /* every item takes at least one byte: fail before building anything */
    if (t->u > avail || (is_map && t->u > avail / 2))
        return cer_err(-EINVAL, "dagcbor: %s at byte %zu claims %llu %s, only %zu bytes follow",
                       tok_name(t->kind), off, (unsigned long long)t->u,
                       is_map ? "entries" : "items", avail);
    if (d->depth >= CER_DAGCBOR_DEPTH_MAX)
        return cer_err(-EFBIG, "dagcbor: %s at byte %zu nests deeper than %d", tok_name(t->kind),
                       off, CER_DAGCBOR_DEPTH_MAX);
    node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    if ((rc = attach(d, node)) < 0)
        return rc;
    if (t->u == 0)
        return complete(d);
    f = &d->stack[d->depth++];
    if (d->depth > d->used) {
        d->used = d->depth;
        f->key = (cer_buf)CER_BUF_INIT;
    }
    f->node = node;
    f->left = t->u;
    f->off = off;
    f->is_map = is_map;
    f->have_key = false;
    f->unsorted = false;
    f->last = NULL;
    return 0;
}

static int read_key(frame *f, const tok *t, size_t off)
{
    const char *prev;
    int rc;

    if (t->kind != T_TEXT)
        return cer_err(-EINVAL, "dagcbor: map key at byte %zu is a %s, not a text string", off,
                       tok_name(t->kind));
    if ((rc = utf8_decode(&f->key, t->p, (size_t)t->u, off)) < 0)
        return rc;
    if (f->last) {
        prev = f->last->string;
        if (key_cmp(prev, strlen(prev), (const char *)f->key.data, f->key.len) >= 0)
            f->unsorted = true;
    }
    f->have_key = true;
    return 0;
}

/* The byte string under tag 42: 0x00, then exactly one CID. */
static int read_link(dec *d, const tok *t)
{
    size_t n = (size_t)t->u;
    cer_cid cid;
    int used;

    d->want_link = false;
    if (n == 0 || t->p[0] != 0x00)
        return cer_err(-EINVAL, "dagcbor: CID under tag 42 at byte %zu must start with 0x00",
                       d->tag_off);
    if ((used = cer_cid_from_bytes(&cid, t->p + 1, n - 1)) < 0)
        return cer_err_wrap(used, "dagcbor: bad CID under tag 42 at byte %zu", d->tag_off);
    if ((size_t)used != n - 1)
        return cer_err(-EINVAL, "dagcbor: %zu bytes after the CID under tag 42 at byte %zu",
                       n - 1 - (size_t)used, d->tag_off);
    return add_value(d, cer_json_link_new(&cid));
}

/* One token of read bytes at offset off. */
static int dec_token(dec *d, const tok *t, size_t off, size_t read)
{
    frame *f = d->depth ? &d->stack[d->depth - 1] : NULL;
    size_t head = read;
    int rc;

    if (t->kind == T_BYTES || t->kind == T_TEXT)
        head = read - (size_t)t->u;
    if (t->kind >= T_UINT && t->kind <= T_TAG && head != head_size(t->u))
        return cer_err(-EINVAL, "dagcbor: non-minimal %s head at byte %zu (%zu bytes for %llu)",
                       tok_name(t->kind), off, head, (unsigned long long)t->u);
    if (t->kind == T_INDEF || t->kind == T_BREAK)
        return cer_err(-EINVAL, "dagcbor: indefinite-length item at byte %zu (0x%02x)", off,
                       d->data[off]);
    if (d->want_link && t->kind != T_BYTES)
        return cer_err(-EINVAL, "dagcbor: tag 42 at byte %zu wraps a %s, not a byte string",
                       d->tag_off, tok_name(t->kind));
    if (f && f->is_map && !f->have_key)
        return read_key(f, t, off);

    switch (t->kind) {
    case T_UINT:
    case T_NEGINT:
        return add_value(d, cer_json_int_new(t->kind == T_NEGINT, t->u));
    case T_BYTES:
        if (d->want_link)
            return read_link(d, t);
        return add_value(d, cer_json_bytes_new(t->p, (size_t)t->u));
    case T_TEXT:
        if ((rc = utf8_decode(&d->text, t->p, (size_t)t->u, off)) < 0)
            return rc;
        return add_value(d, cJSON_CreateString((const char *)d->text.data));
    case T_ARRAY:
    case T_MAP:
        return open_container(d, t, off, off + read);
    case T_TAG:
        if (t->u != CID_TAG)
            return cer_err(-EINVAL, "dagcbor: tag %llu at byte %zu (only tag 42, CID, is allowed)",
                           (unsigned long long)t->u, off);
        d->want_link = true;
        d->tag_off = off;
        return 0;
    case T_FLOAT:
        if (isnan(t->f) || isinf(t->f))
            return cer_err(-EINVAL, "dagcbor: %s at byte %zu", isnan(t->f) ? "NaN" : "Infinity",
                           off);
        return add_value(d, cJSON_CreateNumber(t->f));
    case T_BOOL:
        return add_value(d, cJSON_CreateBool(t->b));
    case T_NULL:
    case T_UNDEF:  /* read as null, as @ipld/dag-cbor does */
        return add_value(d, cJSON_CreateNull());
    default:
        return cer_err(-EINVAL, "dagcbor: undecodable item at byte %zu", off);
    }
}

/* libcbor refuses the byte outright: a reserved additional-information
 * value (28..30, or 31 where indefinite makes no sense), a simple value
 * other than false, true, null and undefined, or (libcbor 0.8 quirk) one
 * of the one-byte tags 6..20. All are invalid DAG-CBOR anyway. */
static int bad_initial_byte(uint8_t c, size_t off)
{
    if (c >= 0xc0 && c <= 0xd7)
        return cer_err(-EINVAL, "dagcbor: tag %d at byte %zu (only tag 42, CID, is allowed)",
                       c - 0xc0, off);
    if (c >= 0xe0 && c <= 0xf8)
        return cer_err(-EINVAL, "dagcbor: simple value (0x%02x) at byte %zu; only false, true, "
                                "null and undefined are allowed", c, off);
    return cer_err(-EINVAL, "dagcbor: reserved initial byte 0x%02x at byte %zu", c, off);
}

int cer_dagcbor_decode(cJSON **out, const uint8_t *data, size_t len)
{
    dec d;
    int rc = 0;

    *out = NULL;
    if (len == 0)
        return cer_err(-EINVAL, "dagcbor: empty input");
    memset(&d, 0, sizeof d);
    d.data = data;
    d.len = len;
    while (!d.done) {
        tok t = {T_NONE, 0, 0, false, NULL};
        struct cbor_decoder_result r =
            cbor_stream_decode(data + d.pos, len - d.pos, &tok_callbacks, &t);
        size_t off = d.pos;

        if (r.status == CBOR_DECODER_NEDATA) {
            rc = cer_err(-EINVAL, "dagcbor: input truncated at byte %zu", off);
            goto out;
        }
        if (r.status != CBOR_DECODER_FINISHED) {
            rc = bad_initial_byte(data[off], off);
            goto out;
        }
        d.pos += r.read;
        if ((rc = dec_token(&d, &t, off, r.read)) < 0)
            goto out;
    }
    if (d.pos != len)
        rc = cer_err(-EINVAL, "dagcbor: %zu trailing bytes at byte %zu", len - d.pos, d.pos);
out:
    for (size_t i = 0; i < d.used; i++)
        cer_buf_free(&d.stack[i].key);
    cer_buf_free(&d.text);
    if (rc < 0)
        cJSON_Delete(d.root);
    else
        *out = d.root;
    return rc;
}
