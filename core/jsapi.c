/*
 * jsapi.c — the JSON of js-ceramic 2.44's HTTP API (API in ceramic.h):
 * stream states as StreamUtils.serializeState writes them, the response
 * bodies of the daemon's endpoints, and the request bodies
 * @ceramicnetwork/http-client 2.x sends (StreamUtils.serializeCommit's
 * commits, write options, multiqueries), decoded into blocks. No HTTP:
 * the server is a thin layer over these strings.
 *
 * Byte equality with js comes from key order: js prints objects in the
 * order their keys were made (integer-like keys first, which
 * cer_json_print does), so every object here is built in the order js
 * builds it:
 *   - a state: type, content, metadata, signature, anchorStatus, log (the
 *     genesis state of stream-tile-handler), then anchorProof (the first
 *     anchor adds it), next (a data commit after it), doctype
 *     (serializeState); a log entry cid, type, timestamp
 *     (StreamUtils.commitDataToLogEntry, applyAnchorCommit);
 *   - content and metadata in the order the state keeps them: DAG-CBOR
 *     map order from the blocks, then JSON Patch and {...old, ...header}
 *     (state.c), as js;
 *   - an anchor proof and a commit in DAG-CBOR map order (js decodes the
 *     blocks), a JWS in dag-jose 4.0's decode order.
 * Recorded from the real daemon in tests/vectors/js-api/ (test_jsapi).
 *
 * Request bodies are checked in time linear in their size: one JSON
 * parse, base64 decodes, one DAG-CBOR encode and hash per block.
 */
#include "buf.h"
#include "cid.h"
#include "dagcbor.h"
#include "error.h"
#include "json.h"
#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int nomem(void)
{
    return cer_err(-ENOMEM, "jsapi: out of memory");
}

/* Add item to obj under key; item may be NULL (out of memory). */
static bool add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return false;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static cJSON *cid_json(const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) < 0 ? NULL : cJSON_CreateString(s);
}

static cJSON *ref_json(const cer_streamref *ref)
{
    char s[CER_STREAMID_STR_MAX];

    return cer_streamref_to_string(s, sizeof s, ref) < 0 ? NULL : cJSON_CreateString(s);
}

static cer_streamref stream_of(const cer_state *st)
{
    cer_streamref id = {st->id.type, st->id.genesis, false, st->id.genesis};

    return id;
}

/* bytes as a base64 (pad false, as uint8arrays writes 'base64') or
 * base64url string */
static cJSON *b64_json(cer_base base, const uint8_t *p, size_t n)
{
    size_t cap = cer_base_encoded_max(base, n);
    char *s = malloc(cap);
    cJSON *j = NULL;

    if (s && cer_base_encode(s, cap, base, p, n) >= 0)
        j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* Print v (taken) compactly into *out. */
static int finish(char **out, cJSON *v, bool ok)
{
    int rc;

    *out = NULL;
    if (!ok || !v) {
        cJSON_Delete(v);
        return nomem();
    }
    rc = cer_json_print(out, v, 0);
    cJSON_Delete(v);
    return rc;
}

/* ------------------------------------------------------------------ */
/* States                                                               */
/* ------------------------------------------------------------------ */

/* The proof block's members in DAG-CBOR order: root, txHash, txType,
 * chainId, blockNumber, blockTimestamp. */
static cJSON *proof_json(const cer_anchor_proof *p)
{
    cJSON *j = cJSON_CreateObject();
    bool ok = j && add(j, "root", cid_json(&p->root)) && add(j, "txHash", cid_json(&p->tx_hash));

    if (ok && p->tx_type[0])
        ok = add(j, "txType", cJSON_CreateString(p->tx_type));
    ok = ok && add(j, "chainId", cJSON_CreateString(p->chain_id));
    if (ok && p->has_block_number)
        ok = add(j, "blockNumber", cJSON_CreateNumber((double)p->block_number));
    if (ok && p->has_block_timestamp)
        ok = add(j, "blockTimestamp", cJSON_CreateNumber((double)p->block_timestamp));
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static cJSON *log_json(const cer_state *st)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < st->log_len; i++) {
        const cer_log_entry *e = &st->log[i];
        cJSON *o = cJSON_CreateObject();
        bool ok = o && add(o, "cid", cid_json(&e->cid)) && add(o, "type", cJSON_CreateNumber(e->type));

        if (ok && e->expiration_time)
            ok = add(o, "expirationTime", cJSON_CreateNumber((double)e->expiration_time));
        if (ok && e->timestamp > 0)
            ok = add(o, "timestamp", cJSON_CreateNumber((double)e->timestamp));
        if (!ok || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

int cer_jsapi_state(cJSON **out, const cer_state *st)
{
    const char *doctype = cer_stream_type_name(st->id.type);
    bool next = st->anchored_content && st->anchored_metadata;
    cJSON *j, *n;
    bool ok;

    *out = NULL;
    if (!doctype || st->log_len == 0)
        return cer_err(-EINVAL, "jsapi: a state of stream type %llu with %zu commits cannot be shown",
                       (unsigned long long)st->id.type, st->log_len);
    j = cJSON_CreateObject();
    ok = j && add(j, "type", cJSON_CreateNumber((double)st->id.type)) &&
         add(j, "content", cJSON_Duplicate(next ? st->anchored_content : st->content, 1)) &&
         add(j, "metadata", cJSON_Duplicate(next ? st->anchored_metadata : st->metadata, 1)) &&
         add(j, "signature", cJSON_CreateNumber(st->signature)) &&
         add(j, "anchorStatus", cJSON_CreateString(cer_anchor_status_name(st->anchor_status))) &&
         add(j, "log", log_json(st));
    if (ok && st->has_proof)
        ok = add(j, "anchorProof", proof_json(&st->proof));
    if (ok && next)
        ok = add(j, "next", n = cJSON_CreateObject()) && add(n, "content", cJSON_Duplicate(st->content, 1)) &&
             add(n, "metadata", cJSON_Duplicate(st->metadata, 1));
    if (!(ok && add(j, "doctype", cJSON_CreateString(doctype)))) {
        cJSON_Delete(j);
        return nomem();
    }
    *out = j;
    return 0;
}

int cer_jsapi_stream_body(char **out, const cer_state *st, unsigned flags)
{
    cer_streamref id = stream_of(st);
    cJSON *j, *s = NULL;
    int rc;
    bool ok;

    *out = NULL;
    if ((rc = cer_jsapi_state(&s, st)) < 0)
        return rc;
    j = cJSON_CreateObject();
    ok = j && add(j, "streamId", ref_json(&id)) && (!(flags & CER_JSAPI_DOCID) || add(j, "docId", ref_json(&id)));
    if (!ok)
        cJSON_Delete(s);
    return finish(out, j, ok && add(j, "state", s));  /* add takes s either way */
}

int cer_jsapi_content_body(char **out, const cer_state *st)
{
    return finish(out, cJSON_Duplicate(st->content, 1), true);
}

/* ------------------------------------------------------------------ */
/* Commits as serializeCommit shows them                                */
/* ------------------------------------------------------------------ */

/* A decoded DAG-CBOR value as JSON.stringify shows js's decoding of it:
 * links {"/": cid} (CID#toJSON), bytes a Uint8Array's {"0": b0, ...}; in
 * place. */
static int js_values(cJSON *v, unsigned depth)
{
    const cJSON *slash = cJSON_IsObject(v) && v->child && !v->child->next ? get(v, "/") : NULL;
    const cJSON *b = cJSON_IsObject(slash) ? get(slash, "bytes") : NULL;

    if (depth > CER_DAGCBOR_DEPTH_MAX)
        return cer_err(-EFBIG, "jsapi: nested too deep");
    if (cJSON_IsString(b)) {
        size_t cap = strlen(b->valuestring);
        uint8_t *raw = malloc(cap + 1);
        int n = raw ? cer_base_decode(raw, cap + 1, CER_BASE64, b->valuestring, cap) : nomem();
        char key[24];

        cJSON_DeleteItemFromObjectCaseSensitive(v, "/");
        for (int i = 0; i < n; i++) {
            snprintf(key, sizeof key, "%d", i);
            if (!add(v, key, cJSON_CreateNumber(raw[i])))
                n = nomem();
        }
        free(raw);
        return n < 0 ? n : 0;
    }
    if (slash)
        return 0;  /* a link: {"/": "<cid>"} already */
    for (cJSON *c = v->child; c && (cJSON_IsObject(v) || cJSON_IsArray(v)); c = c->next) {
        int rc = js_values(c, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A link member of a commit map as its CID string (serializeCommit). */
static int link_to_string(cJSON *map, const char *key)
{
    cJSON *v = get(map, key);
    cer_cid cid;

    if (!v || cer_json_get_link(&cid, v) < 0)
        return 0;
    return cJSON_ReplaceItemInObjectCaseSensitive(map, key, cid_json(&cid)) ? 0 : nomem();
}

static int unsigned_value(cJSON **out, const uint8_t *block, size_t len)
{
    cJSON *v = NULL, *model;
    uint8_t raw[CER_STREAMID_BYTES_MAX];
    int rc, n;

    if ((rc = cer_dagcbor_decode(&v, block, len)) < 0)
        return rc;
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(v);
        return cer_err(-EINVAL, "jsapi: a commit that is not a map");
    }
    /* header.model (a StreamID's bytes) as base64 */
    model = get(get(v, "header"), "model");
    if (model && (n = cer_json_get_bytes(raw, sizeof raw, model)) >= 0 &&
        !cJSON_ReplaceItemInObjectCaseSensitive(get(v, "header"), "model", b64_json(CER_BASE64, raw, (size_t)n)))
        rc = nomem();
    if (rc < 0 || (rc = link_to_string(v, "id")) < 0 || (rc = link_to_string(v, "prev")) < 0 ||
        (rc = link_to_string(v, "proof")) < 0 || (rc = js_values(v, 0)) < 0) {
        cJSON_Delete(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* {jws: {payload, signatures: [{signature, header?, protected}], link},
 * linkedBlock} */
static int signed_value(cJSON **out, cer_store *store, const uint8_t *block, size_t len)
{
    cer_jws jws = {0};
    cer_buf payload = CER_BUF_INIT;
    cJSON *v = NULL, *j = NULL, *sigs = NULL, *hdr;
    int rc;
    bool ok;

    if ((rc = cer_dagjose_decode(&jws, block, len)) < 0)
        return rc;
    if (!jws.has_link) {
        cer_jws_free(&jws);
        return cer_err(-EINVAL, "jsapi: a signed commit whose payload is not a CID");
    }
    if ((rc = cer_store_get(store, &jws.link, &payload)) < 0)
        goto out;
    v = cJSON_CreateObject();
    ok = v && add(v, "jws", j = cJSON_CreateObject()) &&
         add(j, "payload", b64_json(CER_BASE64URL, jws.payload, jws.payload_len)) &&
         add(j, "signatures", sigs = cJSON_CreateArray());
    for (size_t i = 0; ok && i < jws.nsigs; i++) {
        const cer_jws_sig *s = &jws.sigs[i];
        cJSON *o = cJSON_CreateObject();

        ok = o && cJSON_AddItemToArray(sigs, o) &&
             add(o, "signature", b64_json(CER_BASE64URL, s->signature, s->signature_len));
        if (ok && s->header_cbor) {
            hdr = NULL;
            if ((rc = cer_dagcbor_decode(&hdr, s->header_cbor, s->header_len)) < 0 ||
                (rc = js_values(hdr, 0)) < 0) {
                cJSON_Delete(hdr);
                ok = false;
                break;
            }
            ok = add(o, "header", hdr);
        }
        if (ok && s->protected_len)
            ok = add(o, "protected", b64_json(CER_BASE64URL, s->protected_hdr, s->protected_len));
    }
    ok = ok && add(j, "link", cid_json(&jws.link)) &&
         add(v, "linkedBlock", b64_json(CER_BASE64, payload.data, payload.len));
    if (!ok) {
        cJSON_Delete(v);
        rc = rc < 0 ? rc : nomem();
        goto out;
    }
    *out = v;
out:
    cer_buf_free(&payload);
    cer_jws_free(&jws);
    return rc;
}

int cer_jsapi_commits_body(char **out, cer_store *store, const cer_state *st)
{
    cer_streamref id = stream_of(st);
    cer_buf block = CER_BUF_INIT;
    cJSON *j = cJSON_CreateObject(), *a = NULL;
    bool ok = j && add(j, "streamId", ref_json(&id)) && add(j, "docId", ref_json(&id)) &&
              add(j, "commits", a = cJSON_CreateArray());
    int rc = 0;

    *out = NULL;
    for (size_t i = 0; ok && i < st->log_len; i++) {
        const cer_cid *cid = &st->log[i].cid;
        cJSON *o = cJSON_CreateObject(), *v = NULL;

        if (!o || !cJSON_AddItemToArray(a, o) || !add(o, "cid", cid_json(cid))) {
            cJSON_Delete(o && !o->prev ? o : NULL);
            ok = false;
            break;
        }
        if ((rc = cer_store_get(store, cid, &block)) < 0 ||
            (rc = cid->codec == CER_CODEC_DAG_JOSE ? signed_value(&v, store, block.data, block.len)
                                                   : unsigned_value(&v, block.data, block.len)) < 0) {
            char s[CER_CID_STR_MAX];
            cer_cid_to_string(s, sizeof s, cid);
            rc = cer_err_wrap(rc, "commit %s", s);
            break;
        }
        ok = add(o, "value", v);
    }
    cer_buf_free(&block);
    if (rc < 0) {
        cJSON_Delete(j);
        return rc;
    }
    return finish(out, j, ok);
}

/* ------------------------------------------------------------------ */
/* Small bodies                                                         */
/* ------------------------------------------------------------------ */

int cer_jsapi_error_body(char **out, const char *message)
{
    cJSON *j = cJSON_CreateObject();

    return finish(out, j, j && add(j, "error", cJSON_CreateString(message ? message : "")));
}

static int str_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static cJSON *strings_json(const char *const *s, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++) {
        cJSON *v = cJSON_CreateString(s[i]);
        if (!v || !cJSON_AddItemToArray(a, v)) {
            cJSON_Delete(v);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* Sorted, as js lists them (its state store's keys). */
int cer_jsapi_pins_body(char **out, const cer_streamref *ids, size_t n)
{
    char *buf = malloc(n * CER_STREAMID_STR_MAX + 1), **s = calloc(n + 1, sizeof *s);
    cJSON *j = NULL;
    bool ok = buf && s;

    for (size_t i = 0; ok && i < n; i++) {
        s[i] = buf + i * CER_STREAMID_STR_MAX;
        ok = cer_streamref_to_string(s[i], CER_STREAMID_STR_MAX, &ids[i]) >= 0;
    }
    if (ok) {
        qsort(s, n, sizeof *s, str_order);
        ok = (j = cJSON_CreateObject()) && add(j, "pinnedStreamIds", strings_json((const char *const *)s, n)) &&
             add(j, "pinnedDocIds", strings_json((const char *const *)s, n));
    }
    free(buf);
    free(s);
    return finish(out, j, ok);
}

int cer_jsapi_pin_body(char **out, const cer_streamref *id, bool pinned)
{
    cJSON *j = cJSON_CreateObject();

    return finish(out, j, j && add(j, "streamId", ref_json(id)) && add(j, "docId", ref_json(id)) &&
                              add(j, "isPinned", cJSON_CreateBool(pinned)));
}

int cer_jsapi_anchor_body(char **out, const cer_streamref *id, int anchor_status)
{
    cJSON *j = cJSON_CreateObject();

    return finish(out, j, j && add(j, "streamId", ref_json(id)) &&
                              add(j, "anchorStatus", cJSON_CreateNumber(anchor_status)));
}

int cer_jsapi_chains_body(char **out, const char *const *chains, size_t n)
{
    cJSON *j = cJSON_CreateObject();

    return finish(out, j, j && add(j, "supportedChains", strings_json(chains, n)));
}

/* ------------------------------------------------------------------ */
/* Request bodies                                                       */
/* ------------------------------------------------------------------ */

static int parse_body(cJSON **out, const char *body, size_t len)
{
    int rc;

    *out = NULL;
    if (len > CER_JSAPI_BODY_MAX)
        return cer_err(-EFBIG, "request entity too large (%zu bytes; at most %d)", len, CER_JSAPI_BODY_MAX);
    if ((rc = cer_json_parse(out, body, len, 0)) < 0)
        return cer_err_wrap(rc, "request body");
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return cer_err(-EINVAL, "request body: not a JSON object");
    }
    return 0;
}

/* base64 (either alphabet, padding allowed, as uint8arrays and Buffer
 * read it) of v into a new buffer of at most max bytes. */
static int b64_field(cer_buf *out, const cJSON *v, cer_base base, size_t max, const char *what)
{
    size_t n;
    int got;

    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "%s: not a string", what);
    n = strlen(v->valuestring);
    if (n / 4 * 3 > max + 3)
        return cer_err(-EFBIG, "%s: over %zu bytes", what, max);
    if (cer_buf_reserve(out, n / 4 * 3 + 3) < 0)
        return nomem();
    got = cer_base_decode(out->data, out->cap, base, v->valuestring, n);
    if (got < 0)
        return cer_err(-EINVAL, "%s: malformed %s", what, base == CER_BASE64 ? "base64" : "base64url");
    if ((size_t)got > max)
        return cer_err(-EFBIG, "%s: over %zu bytes", what, max);
    out->len = (size_t)got;
    return 0;
}

/* A base64url field into a new malloc'd buffer (caller frees). */
static int b64u_dup(uint8_t **out, size_t *len, const cJSON *v, const char *what)
{
    cer_buf b = CER_BUF_INIT;
    int rc = b64_field(&b, v, CER_BASE64URL, CER_BLOCK_MAX, what);

    if (rc < 0) {
        cer_buf_free(&b);
        return rc;
    }
    *len = b.len;
    *out = b.len ? cer_buf_detach(&b) : calloc(1, 1);
    cer_buf_free(&b);
    return *out ? 0 : nomem();
}

/* jws.signatures[i] (dag-jose's encodeSignature): signature and protected
 * base64url, header an object (DAG-CBOR of it). */
static int jws_sig(cer_jws_sig *s, const cJSON *o)
{
    const cJSON *hdr = get(o, "header");
    cer_buf h = CER_BUF_INIT;
    int rc;

    if (!cJSON_IsObject(o))
        return cer_err(-EINVAL, "jws.signatures: an item is not an object");
    if (!get(o, "protected"))
        return cer_err(-EINVAL, "jws.signatures: a signature without a protected header");
    if ((rc = b64u_dup(&s->signature, &s->signature_len, get(o, "signature"), "jws.signatures[].signature")) < 0 ||
        (rc = b64u_dup(&s->protected_hdr, &s->protected_len, get(o, "protected"), "jws.signatures[].protected")) < 0)
        return rc;
    if (hdr) {
        if (!cJSON_IsObject(hdr))
            return cer_err(-EINVAL, "jws.signatures[].header: not an object");
        if ((rc = cer_dagcbor_encode(&h, hdr, 0)) < 0) {
            cer_buf_free(&h);
            return cer_err_wrap(rc, "jws.signatures[].header");
        }
        s->header_len = h.len;
        s->header_cbor = cer_buf_detach(&h);
        cer_buf_free(&h);
    }
    return 0;
}

/* {jws: {payload, signatures, link}, linkedBlock, cacaoBlock?} */
static int signed_commit(cer_commit_blocks *c, cer_buf *cacao, const cJSON *v)
{
    const cJSON *jws = get(v, "jws"), *sigs = get(jws, "signatures"), *link = get(jws, "link");
    cer_cid want;
    cer_jws check = {0};
    int n, rc;

    c->is_signed = true;
    if (!cJSON_IsObject(jws) || !cJSON_IsString(get(jws, "payload")) || !cJSON_IsArray(sigs) ||
        !cJSON_GetArraySize(sigs))
        return cer_err(-EINVAL, "commit: jws needs payload and signatures");
    if ((rc = b64u_dup(&c->jws.payload, &c->jws.payload_len, get(jws, "payload"), "jws.payload")) < 0)
        return rc;
    n = cer_cid_from_bytes(&c->jws.link, c->jws.payload, c->jws.payload_len);
    if (n < 0 || (size_t)n != c->jws.payload_len)
        return cer_err(-EINVAL, "Not a valid DagJWS (its payload is not a CID)");
    c->jws.has_link = true;
    if (c->jws.link.codec != CER_CODEC_DAG_CBOR)
        return cer_err(-EINVAL, "commit: the JWS payload is not a DAG-CBOR CID");
    if (link && (!cJSON_IsString(link) || cer_cid_parse(&want, link->valuestring) < 0 ||
                 !cer_cid_equal(&want, &c->jws.link)))
        return cer_err(-EINVAL, "commit: jws.link is not the CID in jws.payload");
    if (!(c->jws.sigs = calloc((size_t)cJSON_GetArraySize(sigs), sizeof *c->jws.sigs)))
        return nomem();
    for (const cJSON *s = sigs->child; s; s = s->next)
        if ((rc = jws_sig(&c->jws.sigs[c->jws.nsigs++], s)) < 0)
            return rc;
    /* the envelope as js's dag-jose encodes it, read back as the node reads it */
    if ((rc = cer_dagjose_encode(&c->envelope.bytes, &c->jws)) < 0)
        return rc;
    if (c->envelope.bytes.len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "commit: the JWS is over %d bytes", CER_BLOCK_MAX);
    if ((rc = cer_dagjose_decode(&check, c->envelope.bytes.data, c->envelope.bytes.len)) < 0)
        return cer_err_wrap(rc, "commit: jws");
    cer_jws_free(&check);
    if ((rc = cer_cid_of_block(&c->envelope.cid, CER_CODEC_DAG_JOSE, c->envelope.bytes.data,
                               c->envelope.bytes.len)) < 0)
        return rc;
    /* the payload */
    c->payload.cid = c->jws.link;
    if ((rc = b64_field(&c->payload.bytes, get(v, "linkedBlock"), CER_BASE64, CER_BLOCK_MAX, "linkedBlock")) < 0)
        return rc;
    if (cer_cid_check_block(&c->payload.cid, c->payload.bytes.data, c->payload.bytes.len) < 0)
        return cer_err(-EINVAL, "commit: linkedBlock is not the block of jws.link");
    {
        cJSON *d = NULL;
        rc = cer_dagcbor_decode(&d, c->payload.bytes.data, c->payload.bytes.len);
        cJSON_Delete(d);
        if (rc < 0)
            return cer_err_wrap(rc, "commit: linkedBlock is not DAG-CBOR");
    }
    if (get(v, "cacaoBlock") &&
        (rc = b64_field(cacao, get(v, "cacaoBlock"), CER_BASE64, CER_BLOCK_MAX, "cacaoBlock")) < 0)
        return rc;
    return 0;
}

/* Keys in DAG-CBOR order: length, then bytes. */
static int key_order(const void *a, const void *b)
{
    const char *x = (*(const cJSON *const *)a)->string, *y = (*(const cJSON *const *)b)->string;
    size_t lx = strlen(x), ly = strlen(y);

    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* A map's members sorted (a new array, caller frees). */
static int sorted_members(const cJSON ***out, size_t *n, const cJSON *map)
{
    size_t k = 0;

    *n = (size_t)cJSON_GetArraySize(map);
    if (!(*out = malloc((*n ? *n : 1) * sizeof **out)))
        return nomem();
    for (const cJSON *m = map->child; m; m = m->next)
        (*out)[k++] = m;
    qsort(*out, *n, sizeof **out, key_order);
    for (size_t i = 1; i < *n; i++)
        if (strcmp((*out)[i - 1]->string, (*out)[i]->string) == 0) {
            int rc = cer_err(-EINVAL, "commit: key '%.64s' twice", (*out)[i]->string);
            free(*out);
            *out = NULL;
            return rc;
        }
    return 0;
}

/* header: model (base64 of a StreamID's bytes) as bytes, the rest plain. */
static void write_header(cer_cbor_w *w, const cJSON *header)
{
    const cJSON **m = NULL;
    size_t n;
    int rc;

    if (!cJSON_IsObject(header) || !get(header, "model")) {
        cer_cbor_w_json(w, header, 0);
        return;
    }
    if ((rc = sorted_members(&m, &n, header)) < 0) {
        w->err = rc;
        return;
    }
    cer_cbor_w_map(w, n);
    for (size_t i = 0; i < n && !w->err; i++) {
        cer_cbor_w_text(w, m[i]->string);
        if (strcmp(m[i]->string, "model") == 0) {
            cer_buf b = CER_BUF_INIT;
            if ((rc = b64_field(&b, m[i], CER_BASE64, CER_STREAMID_BYTES_MAX, "header.model")) < 0)
                w->err = rc;
            else
                cer_cbor_w_bytes(w, b.data, b.len);
            cer_buf_free(&b);
        } else {
            w->depth++;
            cer_cbor_w_json(w, m[i], 0);
            w->depth--;
        }
    }
    free(m);
}

/* An unsigned commit as deserializeCommit and the Dispatcher store it:
 * the map with id, prev and proof CID strings as links and header.model
 * as bytes; every other value plain JSON. */
static int unsigned_commit(cer_commit_blocks *c, const cJSON *v)
{
    cer_cbor_w w = CER_CBOR_W_INIT(&c->payload.bytes);
    const cJSON **m = NULL;
    size_t n;
    int rc;

    if ((rc = sorted_members(&m, &n, v)) < 0)
        return rc;
    cer_cbor_w_map(&w, n);
    for (size_t i = 0; i < n && !w.err; i++) {
        const char *k = m[i]->string;
        cer_cid cid;

        cer_cbor_w_text(&w, k);
        if (strcmp(k, "id") == 0 || strcmp(k, "prev") == 0 || strcmp(k, "proof") == 0) {
            if (!cJSON_IsString(m[i]) || cer_cid_parse(&cid, m[i]->valuestring) < 0)
                w.err = cer_err(-EINVAL, "commit: '%s' is not a CID string", k);
            else
                cer_cbor_w_link(&w, &cid);
        } else if (strcmp(k, "header") == 0) {
            w.depth++;
            write_header(&w, m[i]);
            w.depth--;
        } else {
            w.depth++;
            cer_cbor_w_json(&w, m[i], 0);
            w.depth--;
        }
    }
    free(m);
    if (w.err < 0)
        return cer_err_wrap(w.err, "commit");
    if (c->payload.bytes.len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "commit: over %d bytes as DAG-CBOR", CER_BLOCK_MAX);
    return cer_cid_of_block(&c->payload.cid, CER_CODEC_DAG_CBOR, c->payload.bytes.data, c->payload.bytes.len);
}

/* A commit in serializeCommit's form into blocks; on failure c and cacao
 * are emptied. */
static int parse_commit(cer_commit_blocks *c, cer_buf *cacao, const cJSON *v, const char *what)
{
    int rc;

    memset(c, 0, sizeof *c);
    if (!cJSON_IsObject(v))
        rc = cer_err(-EINVAL, "not an object");
    else if (get(v, "jws"))
        rc = signed_commit(c, cacao, v);
    else if (get(v, "payload") && get(v, "signatures"))
        rc = cer_err(-EINVAL, "a bare JWS: a signed commit comes as {jws, linkedBlock}");
    else
        rc = unsigned_commit(c, v);
    if (rc < 0) {
        cer_commit_blocks_free(c);
        cer_buf_free(cacao);
        return cer_err_wrap(rc, "%s", what);
    }
    return 0;
}

static int opt_bool(int *out, const cJSON *opts, const char *key)
{
    const cJSON *v = get(opts, key);

    *out = -1;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v))
        return cer_err(-EINVAL, "opts.%s: not a boolean", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

static int parse_opts(cer_jsapi_opts *o, const cJSON *opts)
{
    const cJSON *sync = get(opts, "sync"), *t = get(opts, "syncTimeoutSeconds");
    int rc;

    o->anchor = o->publish = o->pin = o->sync = -1;
    o->sync_timeout_s = -1;
    if (!opts || cJSON_IsNull(opts))
        return 0;
    if (!cJSON_IsObject(opts))
        return cer_err(-EINVAL, "opts: not an object");
    if ((rc = opt_bool(&o->anchor, opts, "anchor")) < 0 || (rc = opt_bool(&o->publish, opts, "publish")) < 0 ||
        (rc = opt_bool(&o->pin, opts, "pin")) < 0)
        return rc;
    if (cJSON_IsBool(sync))
        o->sync = cJSON_IsTrue(sync) ? 1 : 0;  /* upconvertLegacySyncOption */
    else if (cJSON_IsNumber(sync) && (sync->valuedouble == 0 || sync->valuedouble == 1 ||
                                      sync->valuedouble == 2 || sync->valuedouble == 3))
        o->sync = (int)sync->valuedouble;
    else if (sync && !cJSON_IsNull(sync))
        return cer_err(-EINVAL, "opts.sync: not a SyncOptions value (0 to 3)");
    if (t && !cJSON_IsNull(t)) {
        if (!cJSON_IsNumber(t) || !(t->valuedouble >= 0 && t->valuedouble <= 86400 * 365))
            return cer_err(-EINVAL, "opts.syncTimeoutSeconds: not a number of seconds");
        o->sync_timeout_s = (int64_t)t->valuedouble;
    }
    return 0;
}

void cer_jsapi_request_free(cer_jsapi_request *r)
{
    cer_commit_blocks_free(&r->commit);
    cer_buf_free(&r->cacao);
    memset(r, 0, sizeof *r);
}

int cer_jsapi_parse_create(cer_jsapi_request *out, const char *body, size_t len)
{
    const cJSON *type;
    cJSON *j = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = parse_body(&j, body, len)) < 0)
        return rc;
    type = get(j, "type");
    if (!cJSON_IsNumber(type) || !(type->valuedouble >= 0 && type->valuedouble <= 1e6) ||
        type->valuedouble != (double)(uint64_t)type->valuedouble ||
        !cer_stream_type_name((uint64_t)type->valuedouble))
        rc = cer_err(-EINVAL, "type: not a stream type number");
    else if (!get(j, "genesis"))
        rc = cer_err(-EINVAL, "genesis: missing");
    else if ((rc = parse_opts(&out->opts, get(j, "opts"))) >= 0)
        rc = parse_commit(&out->commit, &out->cacao, get(j, "genesis"), "genesis");
    if (rc >= 0)
        out->type = (uint64_t)type->valuedouble;
    cJSON_Delete(j);
    if (rc < 0)
        cer_jsapi_request_free(out);
    return rc < 0 ? rc : 0;
}

/* A StreamID or CommitID string of a body field. */
static int ref_field(cer_streamref *out, const cJSON *v, const char *what)
{
    char ex[CER_EXCERPT_MAX];

    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "%s: not a string", what);
    if (cer_streamref_parse(out, v->valuestring) < 0)
        return cer_err(-EINVAL, "%s: '%s' is not a StreamID", what, cer_excerpt(ex, v->valuestring));
    return 0;
}

int cer_jsapi_parse_apply(cer_jsapi_request *out, const char *body, size_t len)
{
    const cJSON *id, *commit, *opts;
    cJSON *j = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = parse_body(&j, body, len)) < 0)
        return rc;
    id = get(j, "streamId") ? get(j, "streamId") : get(j, "docId");
    commit = get(j, "commit");
    opts = get(j, "opts") ? get(j, "opts") : get(j, "docOpts");
    if (!cJSON_IsString(id) || !id->valuestring[0] || !commit)
        rc = cer_err(-EINVAL, "streamId and commit are required in order to apply commit");
    else if ((rc = ref_field(&out->id, id, "streamId")) >= 0 && out->id.is_commit)
        rc = cer_err(-EINVAL, "streamId: a CommitID, not a StreamID");
    if (rc >= 0 && (rc = parse_opts(&out->opts, opts)) >= 0)
        rc = parse_commit(&out->commit, &out->cacao, commit, "commit");
    cJSON_Delete(j);
    if (rc < 0)
        cer_jsapi_request_free(out);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* Multiqueries                                                         */
/* ------------------------------------------------------------------ */

static void query_free(cer_jsapi_query *q)
{
    for (size_t i = 0; i < q->npaths; i++)
        free(q->paths[i]);
    free(q->paths);
    cer_commit_blocks_free(&q->genesis);
    memset(q, 0, sizeof *q);
}

void cer_jsapi_multiquery_free(cer_jsapi_multiquery *mq)
{
    for (size_t i = 0; i < mq->nqueries; i++)
        query_free(&mq->queries[i]);
    free(mq->queries);
    memset(mq, 0, sizeof *mq);
}

/* atTime and opts.atTime (which wins, as in core's _loadLinkedStreams) */
static int at_time(cer_jsapi_query *q, const cJSON *o)
{
    const cJSON *t = get(get(o, "opts"), "atTime");

    if (!t || cJSON_IsNull(t) || (cJSON_IsNumber(t) && t->valuedouble == 0))
        t = get(o, "atTime");
    if (!t || cJSON_IsNull(t) || (cJSON_IsNumber(t) && t->valuedouble == 0))
        return 0;
    if (!cJSON_IsNumber(t) || !(t->valuedouble > 0 && t->valuedouble < 9007199254740992.0))
        return cer_err(-EINVAL, "atTime: not a positive number");
    q->has_at_time = true;
    q->at_time = (int64_t)t->valuedouble;
    return 0;
}

static int parse_query(cer_jsapi_query *q, const cJSON *o)
{
    const cJSON *paths = get(o, "paths");
    int rc;

    if (!cJSON_IsObject(o))
        return cer_err(-EINVAL, "not an object");
    if ((rc = ref_field(&q->ref, get(o, "streamId") ? get(o, "streamId") : get(o, "docId"), "streamId")) < 0 ||
        (rc = at_time(q, o)) < 0)
        return rc;
    if (get(o, "genesis") && !cJSON_IsNull(get(o, "genesis"))) {
        cer_buf cacao = CER_BUF_INIT;
        if ((rc = parse_commit(&q->genesis, &cacao, get(o, "genesis"), "genesis")) < 0)
            return rc;
        cer_buf_free(&cacao);
        q->has_genesis = true;
    }
    if (!paths || cJSON_IsNull(paths))
        return 0;
    if (!cJSON_IsArray(paths))
        return cer_err(-EINVAL, "paths: not an array");
    if (!(q->paths = calloc((size_t)cJSON_GetArraySize(paths) + 1, sizeof *q->paths)))
        return nomem();
    for (const cJSON *p = paths->child; p; p = p->next) {
        if (!cJSON_IsString(p))
            return cer_err(-EINVAL, "paths: an item is not a string");
        if (!(q->paths[q->npaths++] = strdup(p->valuestring)))
            return nomem();
    }
    return 0;
}

int cer_jsapi_parse_multiquery(cer_jsapi_multiquery *out, const char *body, size_t len)
{
    const cJSON *queries, *timeout;
    cJSON *j = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    out->timeout_ms = CER_JSAPI_TIMEOUT_MS;
    if ((rc = parse_body(&j, body, len)) < 0)
        return rc;
    queries = get(j, "queries");
    timeout = get(j, "timeout");
    if (!cJSON_IsArray(queries))
        rc = cer_err(-EINVAL, "queries: not an array");
    else if (timeout && !cJSON_IsNull(timeout) &&
             (!cJSON_IsNumber(timeout) || !(timeout->valuedouble >= 0 && timeout->valuedouble <= 3600e3)))
        rc = cer_err(-EINVAL, "timeout: not a number of milliseconds");
    else if (!(out->queries = calloc((size_t)cJSON_GetArraySize(queries) + 1, sizeof *out->queries)))
        rc = nomem();
    if (rc >= 0 && cJSON_IsNumber(timeout))
        out->timeout_ms = (int64_t)timeout->valuedouble;
    for (const cJSON *q = rc >= 0 ? queries->child : NULL; q; q = q->next)
        if ((rc = parse_query(&out->queries[out->nqueries++], q)) < 0) {
            rc = cer_err_wrap(rc, "queries[%zu]", out->nqueries - 1);
            break;
        }
    cJSON_Delete(j);
    if (rc < 0)
        cer_jsapi_multiquery_free(out);
    return rc < 0 ? rc : 0;
}

/* The paths of a query as core's PathTrie: one node per distinct prefix,
 * children in the order first seen. Segments point into a copy of the
 * paths (seg), which the trie owns. */
typedef struct trie_node {
    const char *key;
    size_t first, last, next;   /* first and last child, next sibling; 0: none (0 is the root) */
} trie_node;

typedef struct trie {
    trie_node *n;
    size_t len;
    cer_strmap kids;            /* "<parent index>/<key>" -> node index + 1 */
    char **names;               /* those map keys, owned */
    char *seg;
} trie;

static void trie_free(trie *t)
{
    for (size_t i = 1; i < t->len; i++)
        free(t->names[i]);
    free(t->names);
    free(t->n);
    free(t->seg);
    cer_strmap_free(&t->kids);
}

static int trie_build(trie *t, const cer_jsapi_query *q)
{
    size_t total = 1, at = 0;

    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < q->npaths; i++)
        total += strlen(q->paths[i]) + 1;
    /* at most one node per segment, and a segment takes at least its '/' or end */
    if (!(t->n = calloc(total + 1, sizeof *t->n)) || !(t->names = calloc(total + 1, sizeof *t->names)) ||
        !(t->seg = malloc(total)))
        return nomem();
    t->len = 1;
    for (size_t i = 0; i < q->npaths; i++) {
        char *p = t->seg + at, *save = NULL;
        size_t cur = 0;

        strcpy(p, q->paths[i][0] == '/' ? q->paths[i] + 1 : q->paths[i]);
        at += strlen(p) + 1;
        /* path.split('/'): every segment, empty ones included */
        for (char *s = p;; s = save + 1) {
            char name[32];
            size_t idx;
            char *key;

            save = strchr(s, '/');
            if (save)
                *save = '\0';
            snprintf(name, sizeof name, "%zu/", cur);
            if (!(key = malloc(strlen(name) + strlen(s) + 1)))
                return nomem();
            strcpy(key, name);
            strcat(key, s);
            idx = (size_t)(uintptr_t)cer_strmap_get(&t->kids, key);
            if (idx) {
                free(key);
                cur = idx - 1;
            } else {
                idx = t->len++;
                t->n[idx].key = s;
                t->names[idx] = key;
                if (cer_strmap_put(&t->kids, key, (void *)(uintptr_t)(idx + 1)) < 0)
                    return nomem();
                *(t->n[cur].first ? &t->n[t->n[cur].last].next : &t->n[cur].first) = idx;
                t->n[cur].last = idx;
                cur = idx;
            }
            if (!save)
                break;
        }
    }
    return 0;
}

/* The answer object and its keys (for a key's second state). */
typedef struct answer {
    cJSON *obj;
    cer_strmap keys;            /* key -> its cJSON member (key borrowed from it) */
} answer;

static int answer_put(answer *a, const char *key, const cer_state *st)
{
    cJSON *v = NULL, *old = cer_strmap_get(&a->keys, key);
    int rc;

    if ((rc = cer_jsapi_state(&v, st)) < 0)
        return rc;
    if (cer_strmap_reserve(&a->keys, 1) < 0 || (old && !(v->string = strdup(old->string)))) {
        cJSON_Delete(v);
        return nomem();
    }
    if (old) {  /* {...acc, ...res}: the first place, the later value */
        cer_strmap_del(&a->keys, old->string);  /* its key goes with old */
        cJSON_ReplaceItemViaPointer(a->obj, old, v);
    } else if (!cJSON_AddItemToObject(a->obj, key, v)) {
        cJSON_Delete(v);
        return nomem();
    }
    return cer_strmap_put(&a->keys, v->string, v);  /* cannot fail after the reserve */
}

/* The members of a stream's content that path segments name: an
 * object's keys, or an array's indexes (js reads content[key] either
 * way). Many segments under one node are looked up through an index built
 * once, so that a long list of paths costs no more than its length. */
typedef struct members {
    const cJSON *content;
    cer_strmap keys;            /* object: key -> member */
    const cJSON **items;        /* array: its items */
    size_t nitems;
} members;

static int members_index(members *m, const cJSON *content)
{
    memset(m, 0, sizeof *m);
    m->content = content;
    if (cJSON_IsObject(content)) {
        if (cer_strmap_reserve(&m->keys, (size_t)cJSON_GetArraySize(content)) < 0)
            return nomem();
        for (const cJSON *c = content->child; c; c = c->next)
            if (!cer_strmap_get(&m->keys, c->string))  /* the first of a repeated key, as GetObjectItem */
                cer_strmap_put(&m->keys, c->string, (void *)c);
    } else if (cJSON_IsArray(content)) {
        if (!(m->items = malloc(((size_t)cJSON_GetArraySize(content) + 1) * sizeof *m->items)))
            return nomem();
        for (const cJSON *c = content->child; c; c = c->next)
            m->items[m->nitems++] = c;
    }
    return 0;
}

static void members_free(members *m)
{
    cer_strmap_free(&m->keys);
    free(m->items);
}

static const cJSON *member(const members *m, const char *key)
{
    size_t i;

    if (cJSON_IsObject(m->content))
        return cer_strmap_get(&m->keys, key);
    if (!cJSON_IsArray(m->content) || key[0] < '0' || key[0] > '9' || (key[0] == '0' && key[1]) || strlen(key) > 9)
        return NULL;
    i = (size_t)strtoul(key, NULL, 10);
    return i < m->nitems ? m->items[i] : NULL;
}

/* One query: the stream, then depth first what its paths lead to. */
static int walk(answer *a, const cer_jsapi_query *q, const trie *t, cer_jsapi_load_fn load, void *arg)
{
    /* every trie node is pushed at most once: its parent is walked once */
    size_t *stack_node = malloc(t->len * sizeof *stack_node);
    cer_streamref *stack_ref = malloc(t->len * sizeof *stack_ref);
    size_t sp = 0;
    int rc = 0;

    if (!stack_node || !stack_ref) {
        free(stack_node);
        free(stack_ref);
        return nomem();
    }
    stack_node[sp] = 0;
    stack_ref[sp++] = q->ref;
    while (sp && rc >= 0) {
        size_t node = stack_node[--sp], kids = 0;
        cer_streamref ref = stack_ref[sp];
        char key[CER_STREAMID_STR_MAX];
        cer_state *st = NULL;
        members m = {0};

        if (load(arg, &st, &ref, q) < 0 || !st) {
            cer_state_free(st);
            continue;  /* left out, as js leaves out what fails */
        }
        if (q->has_at_time) {
            cer_streamref at = {st->id.type, st->id.genesis, true, *cer_state_tip(st)};
            ref = at;
        }
        if ((rc = cer_streamref_to_string(key, sizeof key, &ref)) >= 0)
            rc = answer_put(a, key, st);
        /* the children that name a StreamID, pushed, then reversed in
         * place so that they are walked in order */
        if (rc >= 0 && t->n[node].first)
            rc = members_index(&m, st->content);
        for (size_t c = t->n[node].first; rc >= 0 && c; c = t->n[c].next) {
            const cJSON *v = member(&m, t->n[c].key);
            cer_streamref next;

            if (cJSON_IsString(v) && cer_streamref_parse(&next, v->valuestring) == 0 && !next.is_commit) {
                stack_node[sp] = c;
                stack_ref[sp++] = next;
                kids++;
            }
        }
        for (size_t i = 0; i < kids / 2; i++) {
            size_t x = sp - kids + i, y = sp - 1 - i, tn = stack_node[x];
            cer_streamref tr = stack_ref[x];
            stack_node[x] = stack_node[y], stack_ref[x] = stack_ref[y];
            stack_node[y] = tn, stack_ref[y] = tr;
        }
        members_free(&m);
        cer_errclear();
        cer_state_free(st);
    }
    free(stack_node);
    free(stack_ref);
    return rc < 0 ? rc : 0;
}

int cer_jsapi_multiquery_body(char **out, const cer_jsapi_multiquery *mq, cer_jsapi_load_fn load, void *arg)
{
    answer a = {cJSON_CreateObject(), CER_STRMAP_INIT};
    int rc = a.obj ? 0 : nomem();

    *out = NULL;
    for (size_t i = 0; rc >= 0 && i < mq->nqueries; i++) {
        trie t;
        if ((rc = trie_build(&t, &mq->queries[i])) >= 0)
            rc = walk(&a, &mq->queries[i], &t, load, arg);
        trie_free(&t);
    }
    cer_strmap_free(&a.keys);
    if (rc < 0) {
        cJSON_Delete(a.obj);
        return rc;
    }
    return finish(out, a.obj, true);
}

/* ------------------------------------------------------------------ */
/* Readings of a state                                                  */
/* ------------------------------------------------------------------ */

void cer_jsapi_commit_at_time(cer_cid *out, const cer_state *st, int64_t t)
{
    *out = st->log[0].cid;
    for (size_t i = 0; i < st->log_len; i++) {
        if (st->log[i].type != CER_COMMIT_ANCHOR)
            continue;
        if (st->log[i].timestamp > t || st->log[i].timestamp <= 0)
            break;
        *out = st->log[i].cid;
    }
}

void cer_jsapi_copy_times(cer_state *at, const cer_state *full)
{
    for (size_t i = 0; i < at->log_len && i < full->log_len; i++) {
        if (!cer_cid_equal(&at->log[i].cid, &full->log[i].cid))
            break;
        if (!at->log[i].timestamp)
            at->log[i].timestamp = full->log[i].timestamp;
    }
}
