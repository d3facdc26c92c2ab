/*
 * state.c — a stream's state from its verified log: the commit reader, the
 * per-type rules for genesis and data commits (a small table, see
 * "Genesis and data commits of any type"), anchor commits, the log walk,
 * incremental apply, conflict resolution between forks, and the state's
 * JSON form for caches.
 *
 * The rules follow js-ceramic (core 2.41 … HEAD):
 *   - packages/stream-tile-handler/src/tile-document-handler.ts
 *     (TileDocument: genesis, signed commits, controller rules),
 *   - packages/stream-model-handler/src/model-handler.ts (Model: a signed
 *     genesis, then anchors only),
 *   - packages/stream-model-instance-handler/src/
 *     model-instance-document-handler.ts (ModelInstanceDocument),
 *   - packages/stream-caip10-link-handler/src/caip10-link-handler.ts
 *     (Caip10Link: caip10.c),
 *   - packages/stream-handler-common/src/anchor-commit-utils.ts and
 *     packages/core/src/stream-loading/anchor-timestamp-extractor.ts
 *     (anchor commits, Merkle path, timestamps),
 *   - packages/core/src/stream-loading/state-manipulator.ts and
 *     log-syncer.ts (log walk, conflict resolution).
 * Capabilities (CACAO, did:pkh controllers): cacao.c decides, at the time
 * of the first verified anchor after the commit (now when none), as
 * packages/common/src/utils/signature_utils.ts and dids' verifyJWS do.
 * did:3 signers: did3.c resolves the kid to the 3ID document's keys at its
 * version (through the store, and the checker's latest hook for later
 * versions), checked at the same time.
 * Unlike js, a cer_state has no "next": content and metadata are always
 * those after the tip (js's `next ?? current`), which is what every check
 * in js reads; a TileDocument keeps js's own content and metadata (those
 * at its last verified anchor) beside them while data commits follow it
 * (anchored_content, anchored_metadata). Model and MID metadata hold StreamIDs as 'k...' strings and
 * MID unique as base64, as js's serializeState prints them.
 *
 * Model and MID commits are written by model.c; the checks made here on
 * load are those below.
 *
 * Anchor validity beyond the Merkle path (the network's chains, the
 * transaction, the block time) is the caller's cer_anchor_checker (the
 * node's, see cer_node_set_anchor_check); without one every anchor is
 * unverified. Only verified anchors count: their block time is the only
 * time there is, and conflict resolution weighs nothing else.
 *
 * Not checked (yet): schema
 * validation of content against header.schema (TileDocument) or against
 * the Model (MID content is NOT validated against its model, nor are the
 * model's relations, account relation or immutable fields; the Model's
 * own JSON Schema is not checked either), DID methods other than did:key,
 * did:pkh and did:3 (-ENOTSUP), Caip10Link proofs other than eip155
 * EOA signatures (caip10.c, -ENOTSUP) and unknown stream types (-ENOTSUP).
 */
#include "state.h"
#include "buf.h"
#include "cacao.h"
#include "caip10.h"
#include "clock.h"
#include "dagjose.h"
#include "did3.h"
#include "cid.h"
#include "clock.h"
#include "error.h"
#include "json.h"
#include "schemacache.h"

#include <cbor.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static const char *cid_str(char out[CER_CID_STR_MAX], const cer_cid *cid)
{
    if (cer_cid_to_string(out, CER_CID_STR_MAX, cid) < 0)
        snprintf(out, CER_CID_STR_MAX, "(unprintable CID)");
    return out;
}

static cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* JavaScript truthiness of a JSON value (absent counts as undefined). */
static bool js_truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return false;
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    return true;
}

/* The first controller of a header or metadata object, or NULL. */
static const char *first_controller(const cJSON *meta)
{
    const cJSON *c = get(meta, "controllers");

    if (!cJSON_IsArray(c) || !cJSON_IsString(c->child))
        return NULL;
    return c->child->valuestring;
}

/* ------------------------------------------------------------------ */
/* A set of CIDs (open addressing), for loop detection and log lookups   */
/* ------------------------------------------------------------------ */

typedef struct cid_set {
    size_t cap, count;  /* cap is a power of two */
    cer_cid *slots;
    bool *used;
} cid_set;

/* Where cid's probe starts in a table of cap slots. */
static size_t home(const cer_cid *cid, size_t cap)
{
    return (size_t)cer_cid_hash(cid) & (cap - 1);
}

static void set_free(cid_set *s)
{
    free(s->slots);
    free(s->used);
    memset(s, 0, sizeof *s);
}

static int set_resize(cid_set *s, size_t cap)
{
    cid_set n = {cap, 0, calloc(cap, sizeof *n.slots), calloc(cap, sizeof *n.used)};

    if (!n.slots || !n.used) {
        set_free(&n);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->used[i])
            continue;
        size_t k = home(&s->slots[i], cap);
        while (n.used[k])
            k = (k + 1) & (cap - 1);
        n.slots[k] = s->slots[i];
        n.used[k] = true;
        n.count++;
    }
    set_free(s);
    *s = n;
    return 0;
}

static bool set_has(const cid_set *s, const cer_cid *cid)
{
    if (!s->cap)
        return false;
    for (size_t k = home(cid, s->cap); s->used[k]; k = (k + 1) & (s->cap - 1))
        if (cer_cid_equal(&s->slots[k], cid))
            return true;
    return false;
}

/* Adds cid; 1 if it was already there, 0 if added, negative on error. */
static int set_add(cid_set *s, const cer_cid *cid)
{
    size_t k;
    int rc;

    if (set_has(s, cid))
        return 1;
    if ((s->count + 1) * 2 > s->cap && (rc = set_resize(s, s->cap ? s->cap * 2 : 64)) < 0)
        return rc;
    for (k = home(cid, s->cap); s->used[k]; k = (k + 1) & (s->cap - 1))
        ;
    s->slots[k] = *cid;
    s->used[k] = true;
    s->count++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The commit reader                                                    */
/* ------------------------------------------------------------------ */

/* The decoder gives links and plain {"/": "<cid>"} maps the same dag-json
 * form, so the commit's own link fields are checked on the raw bytes: the
 * value of each key present (map) or of item index (array, index >= 0)
 * must be a CBOR tag 42. The block has already passed the strict decoder. */
static int raw_links_ok(const cer_buf *block, const char *const *keys, size_t nkeys, long index)
{
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(block->data, block->len, &res);
    int rc = 0;

    if (!item)
        return res.error.code == CBOR_ERR_MEMERROR ? cer_err(-ENOMEM, "block: out of memory")
                                                   : cer_err(-EINVAL, "block is not CBOR");
    if (index >= 0) {
        if (!cbor_isa_array(item) || (size_t)index >= cbor_array_size(item) ||
            !cbor_isa_tag(cbor_array_handle(item)[index]) ||
            cbor_tag_value(cbor_array_handle(item)[index]) != 42)
            rc = cer_err(-EINVAL, "Merkle node item %ld is not a link", index);
        goto out;
    }
    if (!cbor_isa_map(item)) {
        rc = cer_err(-EINVAL, "not a map");
        goto out;
    }
    for (size_t i = 0; i < cbor_map_size(item); i++) {
        const struct cbor_pair *p = &cbor_map_handle(item)[i];
        if (!cbor_isa_string(p->key) || !cbor_string_is_definite(p->key))
            continue;
        for (size_t k = 0; k < nkeys; k++) {
            if (cbor_string_length(p->key) != strlen(keys[k]) ||
                memcmp(cbor_string_handle(p->key), keys[k], strlen(keys[k])) != 0)
                continue;
            if (!cbor_isa_tag(p->value) || cbor_tag_value(p->value) != 42) {
                rc = cer_err(-EINVAL, "'%s' is not a link (CBOR tag 42)", keys[k]);
                goto out;
            }
        }
    }
out:
    cbor_decref(&item);
    return rc;
}

/* Fetch a dag-cbor block and decode it. */
static int get_dagcbor(cJSON **out, cer_buf *raw, cer_store *store, const cer_cid *cid, const char *what)
{
    char name[CER_CID_STR_MAX];
    int rc;

    *out = NULL;
    if (cid->codec != CER_CODEC_DAG_CBOR)
        return cer_err(-EINVAL, "%s %s is not dag-cbor (codec 0x%llx)", what, cid_str(name, cid),
                       (unsigned long long)cid->codec);
    if ((rc = cer_store_get(store, cid, raw)) < 0)
        return cer_err_wrap(rc, "%s", what);
    if ((rc = cer_dagcbor_decode(out, raw->data, raw->len)) < 0)
        return cer_err_wrap(rc, "%s %s", what, cid_str(name, cid));
    return 0;
}

static int read_link_field(cer_cid *out, bool *has, const cJSON *payload, const char *key)
{
    const cJSON *v = get(payload, key);

    *has = false;
    if (!v)
        return 0;
    if (cer_json_get_link(out, v) < 0)
        return cer_err(-EINVAL, "'%s' is not a link", key);
    *has = true;
    return 0;
}

static int read_proof(cer_commit *c, cer_store *store)
{
    static const char *const proof_links[] = {"root", "txHash"};
    cer_buf raw = CER_BUF_INIT;
    cJSON *d = NULL;
    int rc;

    if (c->is_signed)
        return cer_err(-EINVAL, "a signed commit cannot be an anchor commit");
    if (!cJSON_IsString(get(c->payload, "path")))
        return cer_err(-EINVAL, "anchor commit has no string 'path'");
    if ((rc = cer_anchor_commit_decode(&c->anchor, c->payload)) < 0)
        return rc;
    if ((rc = get_dagcbor(&d, &raw, store, &c->anchor.proof, "anchor proof")) < 0)
        goto out;
    if ((rc = raw_links_ok(&raw, proof_links, 2, -1)) < 0) {
        rc = cer_err_wrap(rc, "anchor proof");
        goto out;
    }
    rc = cer_anchor_proof_decode(&c->proof, d);
out:
    cJSON_Delete(d);
    cer_buf_free(&raw);
    return rc;
}

/* The CACAO a signed commit names in its header's 'cap'; whether its kid
 * is a did:3 key. */
static int read_cap(cer_commit *c, cer_store *store)
{
    char cap[CER_CID_STR_MAX + 16], ex[CER_EXCERPT_MAX], kid[512];
    cer_cacao cacao;
    int64_t ms;
    int rc;

    c->did3 = cer_jws_header(&c->jws, 0, "kid", kid, sizeof kid) == 1 && strncmp(kid, "did:3:", 6) == 0;
    cer_errclear();
    if ((rc = cer_jws_header(&c->jws, 0, "cap", cap, sizeof cap)) <= 0)
        return rc;
    if (strncmp(cap, "ipfs://", 7) != 0 || cer_cid_parse(&c->cap, cap + 7) < 0)
        return cer_err(-EINVAL, "capability '%s' is not ipfs://<CID>", cer_excerpt(ex, cap));
    if (c->cap.codec != CER_CODEC_DAG_CBOR)
        return cer_err(-EINVAL, "capability %s is not dag-cbor", cer_excerpt(ex, cap));
    if ((rc = cer_store_get(store, &c->cap, &c->cap_block)) < 0)
        return cer_err_wrap(rc, "capability %s", cer_excerpt(ex, cap));
    c->has_cap = true;
    /* js's log entry shows when it expires: floor(Date.parse(p.exp) / 1000) */
    if (cer_cacao_decode(&cacao, c->cap_block.data, c->cap_block.len) == 0) {
        const char *exp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cacao.p, "exp"));
        if (exp && cer_js_date_parse(&ms, exp) == 0 && ms >= 1000)
            c->cap_exp = ms / 1000;
        cer_cacao_free(&cacao);
    }
    cer_errclear();
    return 0;
}

static int read_commit(cer_commit *c, cer_store *store)
{
    static const char *const links[] = {"id", "prev", "proof"};
    cer_buf raw = CER_BUF_INIT;
    int rc;

    if (c->cid.codec == CER_CODEC_DAG_JOSE) {
        if ((rc = cer_store_get(store, &c->cid, &raw)) < 0)
            goto out;
        if ((rc = cer_dagjose_decode(&c->jws, raw.data, raw.len)) < 0)
            goto out;
        if (!c->jws.has_link) {
            rc = cer_err(-EINVAL, "JWS payload is not a CID");
            goto out;
        }
        if (c->jws.nsigs != 1) {
            rc = cer_err(-EINVAL, "JWS has %zu signatures, expected 1", c->jws.nsigs);
            goto out;
        }
        c->is_signed = true;
        c->payload_cid = c->jws.link;
        if ((rc = read_cap(c, store)) < 0)
            goto out;
    } else if (c->cid.codec == CER_CODEC_DAG_CBOR) {
        c->payload_cid = c->cid;
    } else {
        rc = cer_err(-ENOTSUP, "codec 0x%llx is not a commit codec (dag-cbor or dag-jose)",
                     (unsigned long long)c->cid.codec);
        goto out;
    }
    if ((rc = get_dagcbor(&c->payload, &raw, store, &c->payload_cid, "payload")) < 0)
        goto out;
    if (!cJSON_IsObject(c->payload)) {
        rc = cer_err(-EINVAL, "payload is not a map");
        goto out;
    }
    if ((rc = raw_links_ok(&raw, links, 3, -1)) < 0 ||
        (rc = read_link_field(&c->prev, &c->has_prev, c->payload, "prev")) < 0 ||
        (rc = read_link_field(&c->id, &c->has_id, c->payload, "id")) < 0)
        goto out;
    if (get(c->payload, "proof")) {
        c->type = CER_COMMIT_ANCHOR;
        rc = read_proof(c, store);
    } else {
        c->type = c->has_prev ? CER_COMMIT_SIGNED : CER_COMMIT_GENESIS;
    }
out:
    cer_buf_free(&raw);
    return rc;
}

int cer_commit_read(cer_commit *out, cer_store *store, const cer_cid *cid)
{
    char name[CER_CID_STR_MAX];
    int rc;

    memset(out, 0, sizeof *out);
    out->cid = *cid;
    cer_errclear();
    if ((rc = read_commit(out, store)) < 0) {
        cer_commit_free(out);
        return cer_err_wrap(rc, "state: commit %s", cid_str(name, cid));
    }
    return 0;
}

void cer_commit_free(cer_commit *c)
{
    cer_jws_free(&c->jws);
    cer_buf_free(&c->cap_block);
    free(c->d3);
    free(c->d3_err);
    cJSON_Delete(c->payload);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ */
/* State basics                                                         */
/* ------------------------------------------------------------------ */

const char *cer_anchor_status_name(int status)
{
    static const char *const names[] = {"NOT_REQUESTED", "PENDING", "PROCESSING",
                                        "ANCHORED",      "FAILED",  "REPLACED"};

    if (status < 0 || status >= (int)(sizeof names / sizeof names[0]))
        return NULL;
    return names[status];
}

const char *cer_anchor_check_name(int check)
{
    if (check == CER_CHECK_VERIFIED)
        return "verified";
    if (check == CER_CHECK_UNVERIFIED || check == CER_CHECK_UNVERIFIED_FINAL)
        return "unverified";
    return NULL;
}

/* A log of n entries is allocated for the next power of two >= n, so
 * that log_reserve knows the capacity from the length alone. */
static cer_log_entry *log_alloc(size_t n)
{
    size_t cap = 1;

    while (cap < n)
        cap *= 2;
    return malloc(cap * sizeof(cer_log_entry));  /* filled by the caller */
}

void cer_state_free(cer_state *st)
{
    if (!st)
        return;
    cJSON_Delete(st->content);
    cJSON_Delete(st->metadata);
    cJSON_Delete(st->anchored_content);
    cJSON_Delete(st->anchored_metadata);
    free(st->log);
    free(st);
}

/* A copy of src (NULL stays NULL): false when out of memory. */
static bool dup_opt(cJSON **out, const cJSON *src)
{
    *out = src ? cJSON_Duplicate(src, 1) : NULL;
    return !src || *out;
}

int cer_state_copy(cer_state **out, const cer_state *st)
{
    cer_state *c = calloc(1, sizeof *c);

    *out = NULL;
    if (!c)
        return cer_err(-ENOMEM, "state: out of memory");
    *c = *st;
    c->content = cJSON_Duplicate(st->content, 1);
    c->metadata = cJSON_Duplicate(st->metadata, 1);
    c->log = log_alloc(st->log_len);
    c->anchored_content = c->anchored_metadata = NULL;  /* st's until copied */
    if (!dup_opt(&c->anchored_content, st->anchored_content) ||
        !dup_opt(&c->anchored_metadata, st->anchored_metadata) || !c->content || !c->metadata || !c->log) {
        c->log_len = 0;
        cer_state_free(c);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    memcpy(c->log, st->log, st->log_len * sizeof *c->log);
    *out = c;
    return 0;
}

int cer_state_copy_append(cer_state **out, const cer_state *st, const cJSON *content)
{
    size_t n = st->log_len;
    bool room = n & (n - 1);   /* not a power of two: log_alloc and log_reserve left room */
    cer_state *c = calloc(1, sizeof *c);

    *out = NULL;
    if (!c)
        return cer_err(-ENOMEM, "state: out of memory");
    *c = *st;
    c->content = cJSON_Duplicate(content, 1);
    c->metadata = cJSON_Duplicate(st->metadata, 1);
    c->log = room ? st->log : log_alloc(n + 1);
    c->anchored_content = c->anchored_metadata = NULL;
    /* the commit appended is a data commit: what came before it is what
     * js shows until the next anchor */
    if ((st->id.type == CER_STREAM_TILE &&
         (!dup_opt(&c->anchored_content, st->anchored_content ? st->anchored_content : st->content) ||
          !dup_opt(&c->anchored_metadata, st->anchored_metadata ? st->anchored_metadata : st->metadata))) ||
        !c->content || !c->metadata || !c->log) {
        if (room)
            c->log = NULL;
        c->log_len = 0;
        cer_state_free(c);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    if (!room)
        memcpy(c->log, st->log, n * sizeof *c->log);
    *out = c;
    return 0;
}

void cer_state_free_shared(cer_state *st, const cer_state *keep)
{
    if (st && keep && st->log == keep->log)
        st->log = NULL;
    cer_state_free(st);
}

const cer_cid *cer_state_tip(const cer_state *st)
{
    return &st->log[st->log_len - 1].cid;
}

/* Room for one more log entry (capacity doubles at powers of two). */
static int log_reserve(cer_state *st)
{
    size_t n = st->log_len;
    cer_log_entry *l;

    if (n & (n - 1))  /* not a power of two: there is room */
        return 0;
    if (!(l = realloc(st->log, (n ? 2 * n : 1) * sizeof *l)))
        return cer_err(-ENOMEM, "state: out of memory");
    st->log = l;
    return 0;
}

static void log_push(cer_state *st, const cer_cid *cid, int type, const char *author, int64_t ts)
{
    cer_log_entry *e = &st->log[st->log_len++];

    memset(e, 0, sizeof *e);
    e->cid = *cid;
    e->type = type;
    snprintf(e->author, sizeof e->author, "%s", author ? author : "");
    e->timestamp = ts;
}

/* ------------------------------------------------------------------ */
/* Signatures                                                           */
/* ------------------------------------------------------------------ */

/* What a signature is checked against: the controller, and for a
 * capability the StreamID and model js's handler names (for a genesis
 * StreamID.fromGenesis of the payload, not of the envelope). */
typedef struct signer_ctx {
    const char *controller;
    cer_streamref id;
    const char *model;   /* a Model's or MID's model, else NULL */
} signer_ctx;

static signer_ctx genesis_ctx(const cer_commit *c, uint64_t type, const char *controller, const char *model)
{
    signer_ctx x = {controller, {.type = type, .genesis = c->payload_cid}, model};
    return x;
}

/* The capability of c lets signer write for x->controller (cacao.c). */
static int check_cap(const cer_commit *c, const signer_ctx *x, const char *signer)
{
    char stream[CER_STREAMID_STR_MAX], payload[CER_CID_STR_MAX], cap[CER_CID_STR_MAX];
    cer_cacao cacao;
    cer_cacao_use use = {x->controller, signer, stream, payload, x->model, 0};
    int rc;

    cid_str(cap, &c->cap);
    if (cer_streamref_to_string(stream, sizeof stream, &x->id) < 0)
        return cer_err(-EINVAL, "unprintable StreamID");
    cid_str(payload, &c->payload_cid);
    use.at_ms = c->time > 0 ? c->time * 1000 : cer_clock_ms(CLOCK_REALTIME);
    if ((rc = cer_cacao_decode(&cacao, c->cap_block.data, c->cap_block.len)) < 0)
        return cer_err_wrap(rc, "capability %s", cap);
    rc = cer_cacao_authorize(&cacao, &use);
    cer_cacao_free(&cacao);
    return rc < 0 ? cer_err_wrap(rc, "capability %s", cap) : 0;
}

/* A did:3 kid's keys and times (did3.c), kept in c for check_signer;
 * a failure is kept too, and reported there. */
static void resolve_signer(cer_commit *c, cer_store *store, const cer_anchor_checker *chk)
{
    char kid[512];
    int rc;

    if (!c->did3 || c->d3 || c->d3_rc)
        return;
    if (!(c->d3 = malloc(sizeof *c->d3))) {
        c->d3_rc = -ENOMEM;
        return;
    }
    if ((rc = cer_jws_header(&c->jws, 0, "kid", kid, sizeof kid)) != 1 ||
        (rc = cer_did3_resolve(c->d3, kid, store, chk)) < 0) {
        c->d3_rc = rc < 0 ? rc : -EINVAL;
        c->d3_err = strdup(rc < 0 ? cer_errmsg() : "no kid");
        free(c->d3);
        c->d3 = NULL;
    }
}

/* A signature by a did:3 controller (dids' verifyJWS with the 3ID
 * resolver): a key of the 3ID document at the kid's version, at a time
 * that version still stood. */
static int check_did3(const cer_commit *c, const char *controller, char author[CER_DID_MAX])
{
    char kid[512];
    int rc;

    if (cer_jws_header(&c->jws, 0, "kid", kid, sizeof kid) != 1)
        return cer_err(-EINVAL, "jws: no kid");
    kid[strcspn(kid, "?#")] = '\0';
    if (!c->did3 || strcmp(kid, controller) != 0)
        return cer_err(-EKEYREJECTED, "signed by %.200s, not the controller %.200s", kid, controller);
    if (c->d3_rc)
        return cer_err(c->d3_rc, "%s", c->d3_err ? c->d3_err : "did:3: out of memory");
    if (!c->d3)
        return cer_err(-EINVAL, "did:3 signer not resolved");
    if ((rc = cer_jws_verify_keys(&c->jws, 0, c->d3->keys, c->d3->nkeys, kid, sizeof kid)) < 0 ||
        (rc = cer_did3_check_time(c->d3, c->time)) < 0)
        return rc;
    snprintf(author, CER_DID_MAX, "%s", c->d3->did);
    return 0;
}

/* Verify c's signature and that its signer writes for x->controller: the
 * controller itself, or its session key under a capability (CACAO);
 * writes the signer's DID to author. */
static int check_signer(const cer_commit *c, const signer_ctx *x, char author[CER_DID_MAX])
{
    const char *controller = x->controller;
    char kid[CER_KID_MAX + 64], signer[CER_DID_MAX];
    size_t n;
    int rc;

    if (!c->has_cap && strncmp(controller, "did:3:", 6) == 0)
        return check_did3(c, controller, author);
    if (c->did3)
        return cer_err(-EKEYREJECTED, "signed by a did:3 key, not by the controller %.200s", controller);
    if (!c->has_cap && strncmp(controller, "did:key:", 8) != 0) {
        if (strncmp(controller, "did:pkh:", 8) == 0)
            return cer_err(-EKEYREJECTED, "controller %.200s is an account: its commits are signed by a session "
                           "key under a capability, and this one has none ('cap')", controller);
        return cer_err(-ENOTSUP, "controller %.200s: only did:key, did:pkh and did:3 controllers can be verified",
                       controller);
    }
    if (c->sig_ok)  /* verified ahead, in parallel (prevalidate) */
        snprintf(kid, sizeof kid, "%s", c->sig_kid);
    else if ((rc = cer_jws_verify_signature(&c->jws, 0, kid, sizeof kid)) < 0)
        return rc;
    n = strcspn(kid, "#?");
    if (n >= CER_DID_MAX)
        return cer_err(-EKEYREJECTED, "signer %.200s: DID too long", kid);
    memcpy(signer, kid, n);
    signer[n] = '\0';
    if (c->has_cap && (rc = check_cap(c, x, signer)) < 0)
        return rc;
    if (!c->has_cap && strcmp(signer, controller) != 0)
        return cer_err(-EKEYREJECTED, "signed by %s, not the controller %.200s", signer, controller);
    memcpy(author, signer, n + 1);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Applying commits: what every stream type shares                      */
/* ------------------------------------------------------------------ */

/* What a genesis or data commit makes of the state: the new content and
 * metadata (owned until taken), the signature status and the signer. */
typedef struct change {
    cJSON *content, *metadata;
    int signature;
    char author[CER_DID_MAX];
    const cer_anchor_checker *chk;  /* the load's checker, or NULL */
} change;

/* The log entry of an applied genesis or data commit c. */
static void log_push_signed(cer_state *st, const cer_commit *c, int type, const char *author)
{
    log_push(st, &c->cid, type, author, 0);
    st->log[st->log_len - 1].has_cap = c->has_cap;
    if (c->has_cap) {
        st->log[st->log_len - 1].cap = c->cap;
        st->log[st->log_len - 1].expiration_time = c->cap_exp;
    }
}

static void change_free(change *ch)
{
    cJSON_Delete(ch->content);
    cJSON_Delete(ch->metadata);
    ch->content = ch->metadata = NULL;
}

/* The rules of one stream type: its genesis and its signed data commits
 * (anchor commits are the same for all types). Each function checks the
 * commit and fills *ch, or returns a negative errno with a message. */
typedef struct stream_rules {
    uint64_t type;
    int (*genesis)(change *ch, const cer_commit *c, const cJSON *header, const cJSON *data);
    int (*update)(change *ch, const cer_state *st, const cer_commit *c, const cJSON *header,
                  const cJSON *data);
} stream_rules;

/* A signed commit by the stream's controller (data commits of every type:
 * js verifies each against metadata.controllers[0]). */
static int signed_by_controller(const cer_state *st, const cer_commit *c, char author[CER_DID_MAX])
{
    const char *controller = first_controller(st->metadata);

    if (!c->is_signed)
        return cer_err(-EINVAL, "a %s data commit must be signed", cer_stream_type_name(st->id.type));
    signer_ctx x = {controller, st->id, NULL};

    if (!controller)
        return cer_err(-EINVAL, "stream metadata has no controller");
    x.id.is_commit = false;
    if (st->id.type == CER_STREAM_MID && cJSON_IsString(get(st->metadata, "model")))
        x.model = get(st->metadata, "model")->valuestring;
    return check_signer(c, &x, author);
}

static int check_header_controllers(const cJSON *header)
{
    const cJSON *c = get(header, "controllers");

    if (!c)
        return 0;
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 1)
        return cer_err(-EINVAL, "exactly one controller must be specified");
    if (!cJSON_IsString(c->child) || !c->child->valuestring[0])
        return cer_err(-EINVAL, "controller cannot be updated to an empty or non-string value");
    return 0;
}

/* A StreamID held as dag-json bytes in a header, as its 'k...' string
 * (js keeps a StreamID object, which serializeState prints this way). */
static int header_streamid(char out[CER_STREAMID_STR_MAX], cer_streamref *ref, const cJSON *v, const char *key)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    int n;

    if ((n = cer_json_get_bytes(b, sizeof b, v)) < 0)
        return cer_err(-EINVAL, "header '%s' is not the bytes of a StreamID", key);
    if (cer_streamref_from_bytes(ref, b, (size_t)n) < 0 || ref->is_commit)
        return cer_err(-EINVAL, "header '%s' is not a StreamID", key);
    if (cer_streamref_to_string(out, CER_STREAMID_STR_MAX, ref) < 0)
        return cer_err(-EINVAL, "header '%s': unprintable StreamID", key);
    return 0;
}

/* The base64 text of a dag-json bytes value {"/": {"bytes": b64}}, or
 * NULL when v is something else (our decoder wrote it, so it is valid). */
static const char *bytes_base64(const cJSON *v)
{
    const cJSON *slash = get(v, "/"), *b = get(slash, "bytes");

    if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1 || !cJSON_IsObject(slash) ||
        cJSON_GetArraySize(slash) != 1 || !cJSON_IsString(b))
        return NULL;
    return b->valuestring;
}

/* {"controllers": [controller]} for the metadata of a Model or MID. */
static cJSON *controllers_metadata(const char *controller)
{
    cJSON *m = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(m, "controllers");

    if (!a || !cJSON_AddItemToArray(a, cJSON_CreateString(controller)) || !a->child) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

/* ------------------------------------------------------------------ */
/* TileDocument (type 0): tile-document-handler.ts                      */
/* ------------------------------------------------------------------ */

static int tile_genesis(change *ch, const cer_commit *c, const cJSON *header, const cJSON *data)
{
    int rc;

    if (c->is_signed) {
        signer_ctx x = genesis_ctx(c, CER_STREAM_TILE, first_controller(header), NULL);
        if ((rc = check_signer(c, &x, ch->author)) < 0)
            return rc;
    } else if (data && !cJSON_IsNull(data)) {
        return cer_err(-EINVAL, "genesis commit with contents should always be signed");
    }
    ch->signature = c->is_signed ? CER_SIG_SIGNED : CER_SIG_GENESIS;
    ch->content = js_truthy(data) ? cJSON_Duplicate(data, 1) : cJSON_CreateObject();
    ch->metadata = cJSON_Duplicate(header, 1);
    return 0;
}

/* forbidControllerChange and unique never change after genesis. */
static int check_fixed_fields(const cer_state *st, const cJSON *header)
{
    static const char *const fixed[] = {"forbidControllerChange", "unique"};

    for (size_t i = 0; i < 2; i++) {
        const cJSON *now = get(st->metadata, fixed[i]), *want = get(header, fixed[i]);
        if (want && (!now || cJSON_IsObject(want) || cJSON_IsArray(want) || !cer_json_equal(now, want)))
            return cer_err(-EINVAL, "changing '%s' metadata property is not allowed", fixed[i]);
    }
    if (js_truthy(get(st->metadata, "forbidControllerChange")) && get(header, "controllers") &&
        !cer_json_equal(get(header, "controllers"), get(st->metadata, "controllers")))
        return cer_err(-EINVAL, "cannot change controllers since 'forbidControllerChange' is set");
    return 0;
}

/* {...metadata, ...header}: existing keys keep their place, new ones go last. */
static int merge_metadata(cJSON **out, const cJSON *metadata, const cJSON *header)
{
    cJSON *m = cJSON_Duplicate(metadata, 1);
    const cJSON *it;

    *out = NULL;
    if (!m)
        return cer_err(-ENOMEM, "state: out of memory");
    cJSON_ArrayForEach(it, header) {
        cJSON *v = cJSON_Duplicate(it, 1);
        bool ok = v && (get(m, it->string) ? cJSON_ReplaceItemInObjectCaseSensitive(m, it->string, v)
                                           : cJSON_AddItemToObject(m, it->string, v));
        if (!ok) {
            cJSON_Delete(v);
            cJSON_Delete(m);
            return cer_err(-ENOMEM, "state: out of memory");
        }
    }
    *out = m;
    return 0;
}

static int tile_update(change *ch, const cer_state *st, const cer_commit *c, const cJSON *header,
                       const cJSON *data)
{
    int rc;

    if (!c->is_signed)
        return cer_err(-EINVAL, "a TileDocument data commit must be signed");
    if (!cJSON_IsObject(header))
        return cer_err(-EINVAL, "data commit has no header map");
    if (!data)
        return cer_err(-EINVAL, "data commit has no 'data'");
    if ((rc = signed_by_controller(st, c, ch->author)) < 0 || (rc = check_header_controllers(header)) < 0 ||
        (rc = check_fixed_fields(st, header)) < 0)
        return rc;
    if ((rc = cer_patch_apply(&ch->content, st->content, data)) < 0)
        return cer_err_wrap(rc, "patch does not apply");
    return merge_metadata(&ch->metadata, st->metadata, header);
}

/* ------------------------------------------------------------------ */
/* Model (type 2): stream-model-handler/src/model-handler.ts            */
/* ------------------------------------------------------------------ */

/* The meta-model: the 'model' of every Model (Model.MODEL in model.ts). */
#define META_MODEL "kh4q0ozorrgaq2mezktnrmdwleo1d"

/* The parts of js's checks on a model definition that need no JSON
 * Schema: no unknown keys (assertNoExtraKeys), the required fields
 * (a shallow stand-in for the io-ts decode of assertComplete), and a
 * major version this protocol knows (assertVersionValid 'major', 2.0).
 * Not checked: the schema itself, relations, views, interfaces. */
static int check_model_definition(const cJSON *data)
{
    static const char *const keys[] = {"version", "name", "description", "schema", "accountRelation",
                                       "relations", "views", "interface", "implements", "immutableFields"};
    const cJSON *it, *version = get(data, "version"), *rel = get(data, "accountRelation");
    char *end;
    long major;

    if (!cJSON_IsObject(data))
        return cer_err(-EINVAL, "Model content is not a map");
    cJSON_ArrayForEach(it, data) {
        size_t i = 0;
        while (i < sizeof keys / sizeof *keys && strcmp(keys[i], it->string) != 0)
            i++;
        if (i == sizeof keys / sizeof *keys)
            return cer_err(-EINVAL, "unexpected key '%.100s' found in content for Model stream", it->string);
    }
    if (!cJSON_IsString(get(data, "name")) || !cJSON_IsObject(get(data, "schema")) || !cJSON_IsObject(rel) ||
        !cJSON_IsString(get(rel, "type")))
        return cer_err(-EINVAL, "Model content lacks name, schema or accountRelation.type");
    if (!cJSON_IsString(version))
        return cer_err(-EINVAL, "missing version for Model");
    major = strtol(version->valuestring, &end, 10);
    if (end == version->valuestring || *end != '.' || major < 0 || major > 2)
        return cer_err(-EINVAL, "Model version '%.20s' is not supported", version->valuestring);
    return 0;
}

static int model_genesis(change *ch, const cer_commit *c, const cJSON *header, const cJSON *data)
{
    char model[CER_STREAMID_STR_MAX];
    cer_streamref ref;
    int rc;

    if (!c->is_signed)
        return cer_err(-EINVAL, "Model genesis commit must be signed");
    signer_ctx x;

    if ((rc = header_streamid(model, &ref, get(header, "model"), "model")) < 0)
        return rc;
    x = genesis_ctx(c, CER_STREAM_MODEL, first_controller(header), model);
    if ((rc = check_signer(c, &x, ch->author)) < 0 ||
        (rc = check_model_definition(data)) < 0)
        return rc;
    if (strcmp(model, META_MODEL) != 0)
        return cer_err(-EINVAL, "invalid 'model' metadata property in Model stream: %s", model);
    /* js keeps only these two (sep and anything else in the header go) */
    ch->metadata = controllers_metadata(first_controller(header));
    if (ch->metadata && !cJSON_AddStringToObject(ch->metadata, "model", model))
        return cer_err(-ENOMEM, "state: out of memory");
    ch->content = cJSON_Duplicate(data, 1);
    ch->signature = CER_SIG_SIGNED;
    return 0;
}

/* js 2.x: a Model is final at genesis; only anchor commits may follow. */
static int model_update(change *ch, const cer_state *st, const cer_commit *c, const cJSON *header,
                        const cJSON *data)
{
    (void)ch, (void)st, (void)c, (void)header, (void)data;
    return cer_err(-EINVAL, "cannot update a finalized Model");
}

/* ------------------------------------------------------------------ */
/* ModelInstanceDocument (type 3): model-instance-document-handler.ts   */
/* ------------------------------------------------------------------ */
/*
 * Read-only: js loads the Model stream and checks
 * the content against its JSON Schema, the relations, the immutable
 * fields, the account relation (a SINGLE genesis is deterministic, with
 * no unique and no content; a SET unique must match the content) and that
 * the Model is not an interface. Of that, the content is validated
 * against the Model's schema when the loader's checker holds the Model
 * (schema_check); the rest is not done. What is checked is what the
 * commits themselves carry: the controller's signatures, that 'model' is
 * a Model's StreamID, that an unsigned genesis has no content, that data
 * commits change no metadata but shouldIndex, and the content: an object
 * within js's size limit (cer_mid_content_check).
 */

static bool valid_did_string(const char *s)
{
    return s && strncmp(s, "did:", 4) == 0;
}

static int mid_genesis(change *ch, const cer_commit *c, const cJSON *header, const cJSON *data)
{
    const cJSON *unique = get(header, "unique"), *ctx = get(header, "context");
    char model[CER_STREAMID_STR_MAX], context[CER_STREAMID_STR_MAX];
    const char *controller = first_controller(header), *unique_b64 = NULL;
    cer_streamref ref, ctx_ref;
    int rc;

    if ((rc = header_streamid(model, &ref, get(header, "model"), "model")) < 0)
        return rc;
    if (js_truthy(ctx) && (rc = header_streamid(context, &ctx_ref, ctx, "context")) < 0)
        return rc;
    if (!valid_did_string(controller))
        return cer_err(-EINVAL, "invalid DID string as the controller: %.200s", controller);
    if (ref.type != CER_STREAM_MODEL)
        return cer_err(-EINVAL, "model for ModelInstanceDocument must refer to a StreamID of a Model stream");
    if (c->is_signed) {
        signer_ctx x = genesis_ctx(c, CER_STREAM_MID, controller, model);
        if ((rc = check_signer(c, &x, ch->author)) < 0)
            return rc;
    } else if (js_truthy(data)) {
        return cer_err(-EINVAL, "ModelInstanceDocument genesis commit with content must be signed");
    }
    if (unique && !(unique_b64 = bytes_base64(unique)))
        return cer_err(-EINVAL, "header 'unique' is not a byte string");
    /* metadata: controllers, model, unique (base64, as serializeState
     * prints it), context; js leaves a genesis shouldIndex out */
    if (!(ch->metadata = controllers_metadata(controller)) ||
        !cJSON_AddStringToObject(ch->metadata, "model", model) ||
        (unique_b64 && !cJSON_AddStringToObject(ch->metadata, "unique", unique_b64)) ||
        (js_truthy(ctx) && !cJSON_AddStringToObject(ch->metadata, "context", context)))
        return cer_err(-ENOMEM, "state: out of memory");
    if (js_truthy(data) && (rc = cer_mid_content_check(NULL, data)) < 0)
        return rc;
    ch->content = js_truthy(data) ? cJSON_Duplicate(data, 1) : cJSON_CreateObject(); /* js: data || {} */
    ch->signature = CER_SIG_SIGNED; /* js says SIGNED even for a deterministic genesis */
    return 0;
}

static int mid_update(change *ch, const cer_state *st, const cer_commit *c, const cJSON *header,
                      const cJSON *data)
{
    const cJSON *it, *should_index = NULL, *old = st->content;
    cJSON *empty = NULL;
    int rc;

    if ((rc = signed_by_controller(st, c, ch->author)) < 0)
        return rc;
    if (header && !cJSON_IsNull(header) && !cJSON_IsObject(header))
        return cer_err(-EINVAL, "data commit header is not a map");
    cJSON_ArrayForEach(it, header) {
        if (strcmp(it->string, "shouldIndex") != 0)
            return cer_err(-EINVAL, "updating metadata for ModelInstanceDocument streams is not allowed "
                           "(header has '%.100s')", it->string);
        should_index = it;
    }
    if (!data)
        return cer_err(-EINVAL, "data commit has no 'data'");
    if (!old || cJSON_IsNull(old))
        old = empty = cJSON_CreateObject();
    if (!old)
        return cer_err(-ENOMEM, "state: out of memory");
    rc = cer_patch_apply(&ch->content, old, data);
    cJSON_Delete(empty);
    if (rc < 0)
        return cer_err_wrap(rc, "patch does not apply");
    if ((rc = cer_mid_content_check(NULL, ch->content)) < 0)
        return rc;
    if (should_index && !cJSON_IsNull(should_index))
        return merge_metadata(&ch->metadata, st->metadata, header);
    if (!(ch->metadata = cJSON_Duplicate(st->metadata, 1)))
        return cer_err(-ENOMEM, "state: out of memory");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Caip10Link (type 1): caip10.c                                        */
/* ------------------------------------------------------------------ */

/* An unsigned genesis (js's SignatureStatus.GENESIS) with no data. */
static int caip10_genesis(change *ch, const cer_commit *c, const cJSON *header, const cJSON *data)
{
    if (c->is_signed)
        return cer_err(-EINVAL, "a Caip10Link genesis is not signed");
    ch->signature = CER_SIG_GENESIS;
    return cer_caip10_genesis(&ch->content, &ch->metadata, header, data);
}

/* An unsigned DAG-CBOR commit whose data is a link proof. */
static int caip10_update(change *ch, const cer_state *st, const cer_commit *c, const cJSON *header,
                         const cJSON *data)
{
    (void)header;
    if (c->is_signed)
        return cer_err(-EINVAL, "a Caip10Link update is a link proof, not a signed commit");
    return cer_caip10_update(&ch->content, &ch->metadata, st, data, ch->chk);
}

/* ------------------------------------------------------------------ */
/* Genesis and data commits of any type                                 */
/* ------------------------------------------------------------------ */

static const stream_rules all_rules[] = {
    {CER_STREAM_CAIP10_LINK, caip10_genesis, caip10_update},
    {CER_STREAM_TILE, tile_genesis, tile_update},
    {CER_STREAM_MODEL, model_genesis, model_update},
    {CER_STREAM_MID, mid_genesis, mid_update},
};

static const stream_rules *rules_for(uint64_t type)
{
    for (size_t i = 0; i < sizeof all_rules / sizeof *all_rules; i++)
        if (all_rules[i].type == type)
            return &all_rules[i];
    return NULL;
}

static int unsupported_type(uint64_t type)
{
    const char *name = cer_stream_type_name(type);

    if (name)
        return cer_err(-ENOTSUP, "stream type %s (%llu) has no commit log to load", name,
                       (unsigned long long)type);
    return cer_err(-ENOTSUP, "unknown stream type %llu", (unsigned long long)type);
}

/* Schema documents naming schema documents: a bound on the nesting of
 * their loads (each its own walk on this thread's stack). */
#define SCHEMA_DEPTH_MAX 8
static _Thread_local unsigned schema_depth;

int cer_tile_schema_check(cer_store *store, const cJSON *metadata, const cJSON *content,
                          const cer_anchor_checker *chk)
{
    const cJSON *ref_s = get(metadata, "schema");
    char key[CER_STREAMID_STR_MAX + CER_CID_STR_MAX + 16];
    const cer_schema *schema = NULL;
    cer_streamref ref;
    cer_state *doc = NULL;
    int rc;

    if (!js_truthy(ref_s))
        return 0;
    if (!cJSON_IsString(ref_s) || cer_streamref_parse(&ref, ref_s->valuestring) < 0 || !ref.is_commit)
        return cer_err(-EINVAL, "Commit missing when loading schema document");
    cer_streamref_to_string(key, sizeof key, &ref);
    if (cer_schema_cache_get(&schema, key, CER_SCHEMA_TILE) < 0) {
        if (schema_depth >= SCHEMA_DEPTH_MAX)
            return cer_err(-ELOOP, "schema %.100s: schema documents nest deeper than %d", key, SCHEMA_DEPTH_MAX);
        schema_depth++;
        rc = cer_state_load_checked(&doc, store, &ref, &ref.commit, chk);
        schema_depth--;
        if (rc < 0)
            rc = cer_err_wrap(rc, "schema document %.100s", key);
        else
            rc = cer_schema_cache_add(&schema, key, CER_SCHEMA_TILE, doc->content, NULL);
        cer_state_free(doc);
        if (rc < 0)
            return rc;
    }
    rc = cer_schema_validate(schema, content, NULL, NULL);
    cer_schema_cache_release(schema);
    return rc;
}

/* A stream's genesis payload from store (cer_mid_genesis_fn): 1 when the
 * store cannot get it (not held, not fetched in time, IPFS unreachable):
 * a relation left unchecked, as a Model the loader does not hold. */
static int store_genesis(void *arg, const cer_streamref *id, cJSON **payload)
{
    cer_commit c;
    int rc = cer_commit_read(&c, arg, &id->genesis);

    *payload = NULL;
    if (rc == -ENOENT || rc == -ETIMEDOUT || rc == -ECONNREFUSED || rc == -EHOSTUNREACH || rc == -EREMOTEIO) {
        cer_errclear();
        return 1;
    }
    if (rc < 0)
        return rc;
    *payload = c.payload;
    c.payload = NULL;
    cer_commit_free(&c);
    return 0;
}

int cer_mid_check(const char *model_id, const cJSON *def, const cJSON *content, const cer_anchor_checker *chk,
                  cer_store *store, const cer_mid_genesis_fn *g, cer_schema_error **errors, size_t *nerrors)
{
    cer_mid_genesis_fn from_store = {store_genesis, store};
    const cer_schema *schema = NULL;
    cer_streamref ref;
    cer_state *model = NULL;
    int rc;

    if (!model_id || cer_streamref_parse(&ref, model_id) < 0)
        return cer_err(-EINVAL, "ModelInstanceDocument names no model");
    if ((rc = cer_mid_content_check(NULL, content)) < 0)
        return rc;
    if (cer_schema_cache_get(&schema, model_id, CER_SCHEMA_MODEL) < 0) {
        if (!def) {
            /* js loads the Model and refuses the document when it
             * cannot: a document whose Model nobody can show is not
             * taken unchecked (a load without the node's hooks checks
             * no schema at all) */
            if (!chk || !chk->latest)
                return 0;
            if ((rc = chk->latest(chk->arg, &ref, &model)) < 0)
                return rc == -ENOENT ? cer_err(rc, "its Model %.100s is not on this node (import or load it first)",
                                               model_id)
                                     : cer_err_wrap(rc, "its Model %.100s", model_id);
            def = model->content;
        }
        rc = cer_schema_cache_add(&schema, model_id, CER_SCHEMA_MODEL, get(def, "schema"), get(def, "relations"));
        cer_state_free(model);
        if (rc < 0)
            return cer_err_wrap(rc, "the Model's schema");
    }
    if ((rc = cer_schema_validate(schema, content, errors, nerrors)) == 0)
        rc = cer_mid_relations_check(cer_schema_cache_extra(schema), model_id, content, g ? g : &from_store);
    cer_schema_cache_release(schema);
    return rc;
}

/* A new state's content against its schema, when the loader's checker
 * has the hook to other streams (chk->latest: a node's loads; plain
 * loads check none): a TileDocument's against the schema its metadata
 * names (js's tile handler; a schema document the store does not hold
 * leaves the content unchecked), a MID's against its Model's. */
static int schema_check(uint64_t type, const change *ch, cer_store *store, const cer_anchor_checker *chk)
{
    int rc;

    if (!chk || !chk->latest || !ch->content)
        return 0;
    if (type == CER_STREAM_TILE) {
        rc = cer_tile_schema_check(store, ch->metadata, ch->content, chk);
        return rc == -ENOENT ? 0 : rc;
    }
    if (type != CER_STREAM_MID)
        return 0;
    return cer_mid_check(cJSON_IsString(get(ch->metadata, "model")) ? get(ch->metadata, "model")->valuestring : NULL,
                         NULL, ch->content, chk, store, NULL, NULL, NULL);
}

static int apply_genesis(cer_state **out, const cer_streamref *id, const cer_commit *c, cer_store *store,
                         const cer_anchor_checker *chk)
{
    const cJSON *header = get(c->payload, "header"), *data = get(c->payload, "data");
    const stream_rules *rules = rules_for(id->type);
    change ch = {0};
    cer_state *st = NULL;
    int rc;

    *out = NULL;
    if (c->type != CER_COMMIT_GENESIS)
        return cer_err(-EINVAL, "the stream's genesis has '%s'", c->has_prev ? "prev" : "proof");
    if (!rules)
        return unsupported_type(id->type);
    if (!cJSON_IsObject(header))
        return cer_err(-EINVAL, "genesis has no header map");
    if (!cJSON_IsArray(get(header, "controllers")) || cJSON_GetArraySize(get(header, "controllers")) != 1 ||
        !first_controller(header) || !first_controller(header)[0])
        return cer_err(-EINVAL, "exactly one controller must be specified");
    if ((rc = rules->genesis(&ch, c, header, data)) < 0 ||
        ((id->type != CER_STREAM_MID || js_truthy(data)) &&  /* MIDs: if (payload.data) */
         (rc = schema_check(id->type, &ch, store, chk)) < 0)) {
        change_free(&ch);
        return rc;
    }
    if (!ch.content || !ch.metadata || !(st = calloc(1, sizeof *st))) {
        change_free(&ch);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    st->id.type = id->type;
    st->id.genesis = id->genesis;
    st->content = ch.content;
    st->metadata = ch.metadata;
    if (log_reserve(st) < 0) {
        cer_state_free(st);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    st->signature = ch.signature;
    st->anchor_status = CER_ANCHOR_NOT_REQUESTED;
    log_push_signed(st, c, CER_COMMIT_GENESIS, ch.author);
    *out = st;
    return 0;
}

static int apply_data(cer_state *st, const cer_commit *c, cer_store *store, const cer_anchor_checker *chk)
{
    const stream_rules *rules = rules_for(st->id.type);
    change ch = {.chk = chk};
    int rc;

    if (!rules)
        return unsupported_type(st->id.type);
    if ((rc = rules->update(&ch, st, c, get(c->payload, "header"), get(c->payload, "data"))) < 0 ||
        (rc = schema_check(st->id.type, &ch, store, chk)) < 0 || (rc = log_reserve(st)) < 0) {
        change_free(&ch);
        return rc;
    }
    if (!ch.content || !ch.metadata) {
        change_free(&ch);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    if (st->id.type == CER_STREAM_TILE && !st->anchored_content) {
        st->anchored_content = st->content;  /* js's content until the next anchor */
        st->anchored_metadata = st->metadata;
    } else {
        cJSON_Delete(st->content);
        cJSON_Delete(st->metadata);
    }
    st->content = ch.content;
    st->metadata = ch.metadata;
    st->signature = CER_SIG_SIGNED;
    st->anchor_status = CER_ANCHOR_NOT_REQUESTED;
    log_push_signed(st, c, CER_COMMIT_SIGNED, ch.author);
    return 0;
}

/* Item index of a Merkle node, which must be a link; *out is that CID. */
static int merkle_child(cer_cid *out, cer_store *store, const cer_cid *node, long index)
{
    cer_buf raw = CER_BUF_INIT;
    cJSON *d = NULL;
    int rc;

    if ((rc = get_dagcbor(&d, &raw, store, node, "Merkle node")) < 0)
        goto out;
    if (!cJSON_IsArray(d) || index >= cJSON_GetArraySize(d)) {
        rc = cer_err(-EINVAL, "Merkle node has no item %ld", index);
        goto out;
    }
    if ((rc = raw_links_ok(&raw, NULL, 0, index)) < 0)
        goto out;
    rc = cer_json_get_link(out, cJSON_GetArrayItem(d, (int)index));
out:
    cJSON_Delete(d);
    cer_buf_free(&raw);
    return rc;
}

/* CIP-69: the leaf at path under proof.root must be prev (path "": root
 * == prev); js-ceramic core 2.46 anchor-timestamp-extractor.ts. */
static int check_merkle_path(cer_store *store, const cer_commit *c)
{
    const char *p = c->anchor.path;
    char want[CER_CID_STR_MAX], got[CER_CID_STR_MAX];
    cer_cid node = c->proof.root;
    int rc;

    while (*p) {
        if (p[0] != '0' && p[0] != '1')
            return cer_err(-EINVAL, "anchor path '%s' is not a Merkle path", c->anchor.path);
        if (p[1] != '\0' && (p[1] != '/' || p[2] == '\0'))
            return cer_err(-EINVAL, "anchor path '%s' is not a Merkle path", c->anchor.path);
        if ((rc = merkle_child(&node, store, &node, p[0] - '0')) < 0)
            return cer_err_wrap(rc, "anchor path '%s'", c->anchor.path);
        p += p[1] ? 2 : 1;
    }
    if (!cer_cid_equal(&node, &c->anchor.prev))
        return cer_err(-EINVAL, "proof with path '%s' leads to %s, not to prev %s", c->anchor.path,
                       cid_str(got, &node), cid_str(want, &c->anchor.prev));
    return 0;
}

bool cer_log_entry_anchored(const cer_log_entry *e)
{
    return e->type == CER_COMMIT_ANCHOR && e->check == CER_CHECK_VERIFIED;
}

bool cer_state_in_log(const cer_state *st, const cer_cid *cid)
{
    for (size_t i = st->log_len; i-- > 0;)
        if (cer_cid_equal(&st->log[i].cid, cid))
            return true;
    return false;
}

/* Only a verified anchor counts: it stamps the commits since the last
 * verified one with its block time and makes the state ANCHORED. One
 * that is not verified is kept in the log and changes nothing else
 * (neither the time nor the anchor status). */
static int apply_anchor(cer_state *st, cer_store *store, const cer_commit *c, const cer_anchor_checker *chk)
{
    int64_t ts = 0;
    int rc, check = CER_CHECK_UNVERIFIED;

    if (c->checked) {  /* by stamp_times, ahead */
        check = c->check;
        ts = c->check_ts;
    } else if ((rc = check_merkle_path(store, c)) < 0) {
        return rc;
    } else if (chk && chk->fn && (check = chk->fn(chk->arg, &c->proof, &ts)) < 0) {
        return cer_err_wrap(check, "anchor rejected");
    }
    if (check != CER_CHECK_VERIFIED || ts <= 0) {
        ts = 0;  /* a "verified" anchor with no time is not one either */
        if (check != CER_CHECK_UNVERIFIED_FINAL)
            check = CER_CHECK_UNVERIFIED;
    }
    if ((rc = log_reserve(st)) < 0)
        return rc;
    log_push(st, &c->cid, CER_COMMIT_ANCHOR, NULL, ts);
    st->log[st->log_len - 1].check = check;
    if (check == CER_CHECK_VERIFIED) {
        for (size_t i = st->log_len - 1; i-- > 0 && !cer_log_entry_anchored(&st->log[i]);)
            if (st->log[i].type != CER_COMMIT_ANCHOR)
                st->log[i].timestamp = ts;
        st->anchor_status = CER_ANCHOR_ANCHORED;
        cJSON_Delete(st->anchored_content);  /* js: content = next.content */
        cJSON_Delete(st->anchored_metadata);
        st->anchored_content = st->anchored_metadata = NULL;
    }
    st->has_proof = true;
    st->proof = c->proof;
    return 0;
}

/* Apply a non-genesis commit on top of st; st is unchanged on failure. */
static int apply_one(cer_state *st, cer_store *store, cer_commit *c, const cer_anchor_checker *chk)
{
    char name[CER_CID_STR_MAX], a[CER_CID_STR_MAX], b[CER_CID_STR_MAX];
    int rc = 0;

    cer_errclear();
    if (c->type == CER_COMMIT_GENESIS)
        rc = cer_err(-EINVAL, "a genesis commit (no 'prev') cannot follow %s", cid_str(a, cer_state_tip(st)));
    else if (!cer_cid_equal(&c->prev, cer_state_tip(st)))
        rc = cer_err(-EINVAL, "prev %s is not the tip %s", cid_str(a, &c->prev), cid_str(b, cer_state_tip(st)));
    else if (!c->has_id && c->type != CER_COMMIT_ANCHOR)
        rc = cer_err(-EINVAL, "data commit has no 'id'");
    else if (c->has_id && !cer_cid_equal(&c->id, &st->id.genesis))
        rc = cer_err(-EINVAL, "id %s is not this stream's genesis %s", cid_str(a, &c->id),
                     cid_str(b, &st->id.genesis));
    else if (c->type == CER_COMMIT_ANCHOR)
        rc = apply_anchor(st, store, c, chk);
    else {
        resolve_signer(c, store, chk);
        rc = apply_data(st, c, store, chk);
    }
    if (rc < 0)
        return cer_err_wrap(rc, "state: commit %s", cid_str(name, &c->cid));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Walking the log                                                      */
/* ------------------------------------------------------------------ */

/* Commits read while walking back are kept (up to this many, the newest)
 * so that applying them does not read and decode every block twice. */
#define WALK_KEEP_MAX 100000

typedef struct walk {
    cer_cid *cids;       /* newest first */
    cer_commit *kept;    /* kept[i] is the commit cids[i] for i < nkept */
    size_t n, cap, nkept, kept_cap;
    size_t shared;       /* with a stop log: index of the first commit found in it */
    const cer_anchor_checker *chk;  /* its progress hook, when set */
    size_t verified;     /* commits applied (the genesis included) */
    int64_t tick_ms;     /* when the hook was last called (or the walk began) */
} walk;

/* Tell chk->progress how far the walk is: when CER_PROGRESS_MS passed
 * since the last call, or always at a phase's end. No cost when unset. */
static void tick(walk *w, bool phase_end, size_t total)
{
    int64_t now;

    if (!w->chk || !w->chk->progress)
        return;
    now = cer_clock_ms(CLOCK_MONOTONIC);
    if (!phase_end && now - w->tick_ms < CER_PROGRESS_MS)
        return;
    w->tick_ms = now;
    w->chk->progress(w->chk->progress_arg, w->n, w->verified, total);
}

static void walk_free(walk *w)
{
    for (size_t i = 0; i < w->nkept; i++)
        cer_commit_free(&w->kept[i]);
    free(w->kept);
    free(w->cids);
    memset(w, 0, sizeof *w);
}

/* Record c (taking it when there is room to keep it, else freeing it). */
static int walk_push(walk *w, const cer_cid *cid, cer_commit *c)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        size_t kcap = cap < WALK_KEEP_MAX ? cap : WALK_KEEP_MAX;
        cer_cid *ids = realloc(w->cids, cap * sizeof *ids);
        cer_commit *kept = ids && kcap > w->kept_cap ? realloc(w->kept, kcap * sizeof *kept) : w->kept;
        if (ids)
            w->cids = ids;
        if (!ids || (kcap > w->kept_cap && !kept)) {
            cer_commit_free(c);
            return cer_err(-ENOMEM, "state: out of memory");
        }
        w->kept = kept;
        w->kept_cap = kcap > w->kept_cap ? kcap : w->kept_cap;
        w->cap = cap;
    }
    if (w->nkept == w->n && w->nkept < w->kept_cap)
        w->kept[w->nkept++] = *c;
    else
        cer_commit_free(c);
    w->cids[w->n++] = *cid;
    return 0;
}

/* Follow prev from tip. Without stop, down to a genesis (included, last).
 * With stop, down to the first commit in stop's log (not included;
 * w->shared is its index there); reaching a genesis first is an error. */
static int walk_back(walk *w, cer_store *store, const cer_cid *tip, const cer_state *stop,
                     const cid_set *stop_set, const cer_anchor_checker *chk)
{
    char name[CER_CID_STR_MAX], at[CER_CID_STR_MAX];
    cid_set seen = {0};
    cer_cid cur = *tip, prev;
    bool has_prev;
    int rc;

    memset(w, 0, sizeof *w);
    w->chk = chk;
    if (chk && chk->progress)
        w->tick_ms = cer_clock_ms(CLOCK_MONOTONIC);
    for (;;) {
        cer_commit c;
        if (stop && set_has(stop_set, &cur)) {
            for (w->shared = 0; !cer_cid_equal(&stop->log[w->shared].cid, &cur); w->shared++)
                ;
            rc = 0;
            break;
        }
        if ((rc = set_add(&seen, &cur)) != 0) {
            if (rc > 0)
                rc = cer_err(-EINVAL, "state: the log of %s loops at %s", cid_str(name, tip),
                             cid_str(at, &cur));
            break;
        }
        if (w->n >= CER_STATE_LOG_MAX) {
            rc = cer_err(-EFBIG, "state: the log of %s is longer than %d commits", cid_str(name, tip),
                         CER_STATE_LOG_MAX);
            break;
        }
        if ((rc = cer_commit_read(&c, store, &cur)) < 0)
            break;
        has_prev = c.has_prev;
        prev = c.prev;
        if ((rc = walk_push(w, &cur, &c)) < 0)
            break;
        tick(w, false, 0);
        if (!has_prev) {
            if (stop)
                rc = cer_err(-EINVAL, "state: commit %s leads to genesis %s, not to this stream",
                             cid_str(name, tip), cid_str(at, &cur));
            break;
        }
        cur = prev;
    }
    set_free(&seen);
    if (rc < 0)
        walk_free(w);
    else
        tick(w, true, w->n);
    return rc;
}

/* Read commit cid and apply it on top of st. */
static int read_and_apply(cer_state *st, cer_store *store, const cer_cid *cid, const cer_anchor_checker *chk);

/* Signatures are independent of each other (only which key must have
 * signed depends on the log), so a long log's signatures are checked
 * ahead on every core; applying then only compares signers. A signature
 * that fails is left unmarked and checked again in order, which reports
 * it at the right commit with its message. */
#define PARALLEL_MIN 64
#define PARALLEL_THREADS_MAX 16

typedef struct verifier {
    walk *w;
    size_t first, step;
} verifier;

static void *verify_some(void *arg)
{
    verifier *v = arg;

    for (size_t i = v->first; i < v->w->nkept; i += v->step) {
        cer_commit *c = &v->w->kept[i];
        if (c->is_signed)
            c->sig_ok = cer_jws_verify_signature(&c->jws, 0, c->sig_kid, sizeof c->sig_kid) == 0;
    }
    return NULL;
}

static void prevalidate(walk *w)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = ncpu > 1 ? (size_t)ncpu : 1, started = 0;
    pthread_t tid[PARALLEL_THREADS_MAX];
    verifier v[PARALLEL_THREADS_MAX];

    if (w->nkept < PARALLEL_MIN || nthreads < 2)
        return;
    if (nthreads > PARALLEL_THREADS_MAX)
        nthreads = PARALLEL_THREADS_MAX;
    for (size_t t = 0; t < nthreads; t++)
        v[t] = (verifier){w, t, nthreads};
    /* this thread takes share 0; a thread that cannot start leaves its
     * share to the in-order check */
    for (size_t t = 1; t < nthreads; t++)
        if (pthread_create(&tid[started], NULL, verify_some, &v[t]) == 0)
            started++;
    verify_some(&v[0]);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    cer_errclear();
}

/* js's AnchorTimestampExtractor on verified facts, for the time windows
 * of capabilities: each kept commit's time is the block time of the first
 * verified anchor after it (0: none; an anchor that will be rejected cuts
 * the log there, so the commits below it get 0 too). The anchors are
 * checked here, ahead of their turn, and apply_anchor takes the answer.
 * Only logs with a capability or a did:3 signer need this. */
static void stamp_times(walk *w, cer_store *store, const cer_anchor_checker *chk)
{
    int64_t t = 0;
    bool any = false;

    for (size_t i = 0; i < w->nkept && !any; i++)
        any = w->kept[i].has_cap || w->kept[i].did3;
    for (size_t i = 0; any && i < w->nkept; i++) {  /* newest first */
        cer_commit *c = &w->kept[i];
        int64_t ts = 0;
        int check = CER_CHECK_UNVERIFIED;
        if (c->type != CER_COMMIT_ANCHOR) {
            c->time = t;
            continue;
        }
        if (check_merkle_path(store, c) < 0 || (chk && chk->fn && (check = chk->fn(chk->arg, &c->proof, &ts)) < 0)) {
            t = 0;  /* left for apply_anchor to check again and report */
            continue;
        }
        c->checked = true;
        c->check = check;
        c->check_ts = ts;
        if (check == CER_CHECK_VERIFIED && ts > 0)
            t = ts;
    }
    cer_errclear();
}

/* Apply the walked commit i: the one kept in memory, or read again. */
static int walk_apply(cer_state *st, cer_store *store, walk *w, size_t i, const cer_anchor_checker *chk)
{
    int rc = i < w->nkept ? apply_one(st, store, &w->kept[i], chk) : read_and_apply(st, store, &w->cids[i], chk);

    if (rc == 0) {
        w->verified++;
        tick(w, w->verified == w->n, w->n);
    }
    return rc;
}

static int read_and_apply(cer_state *st, cer_store *store, const cer_cid *cid, const cer_anchor_checker *chk)
{
    cer_commit c;
    int rc;

    if ((rc = cer_commit_read(&c, store, cid)) < 0)
        return rc;
    rc = apply_one(st, store, &c, chk);
    cer_commit_free(&c);
    return rc;
}

/* The genesis alone, its capability or did:3 signer (if any) checked at
 * time (seconds, 0: now). */
static int load_genesis(cer_state **out, cer_store *store, const cer_streamref *id, int64_t time,
                        const cer_anchor_checker *chk)
{
    char name[CER_CID_STR_MAX];
    cer_commit c;
    int rc;

    *out = NULL;
    if ((rc = cer_commit_read(&c, store, &id->genesis)) < 0)
        return rc;
    c.time = time;
    resolve_signer(&c, store, chk);
    cer_errclear();
    if ((rc = apply_genesis(out, id, &c, store, chk)) < 0)
        rc = cer_err_wrap(rc, "state: commit %s", cid_str(name, &id->genesis));
    cer_commit_free(&c);
    return rc;
}

int cer_state_load(cer_state **out, cer_store *store, const cer_streamref *id, const cer_cid *tip)
{
    return cer_state_load_checked(out, store, id, tip, NULL);
}

int cer_state_load_checked(cer_state **out, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                           const cer_anchor_checker *chk)
{
    char a[CER_CID_STR_MAX], b[CER_CID_STR_MAX], g[CER_CID_STR_MAX], saved[512];
    cer_state *st = NULL;
    walk w;
    int rc, grc;

    *out = NULL;
    rc = walk_back(&w, store, tip, NULL, NULL, chk);
    if (rc == 0 && !cer_cid_equal(&w.cids[w.n - 1], &id->genesis)) {
        rc = cer_err(-EINVAL, "state: the log of %s starts at %s, not at this stream's genesis %s",
                     cid_str(a, tip), cid_str(b, &w.cids[w.n - 1]), cid_str(g, &id->genesis));
        walk_free(&w);
    }
    if (rc == -ENOMEM)
        return rc;  /* no memory is no verdict on the tip: no state at all */
    if (rc < 0 && cer_cid_equal(tip, &id->genesis))
        return rc;  /* the genesis itself failed: no second fetch of it */
    if (rc < 0) {
        /* the tip is rejected; what is left is the genesis alone (log-syncer.ts) */
        snprintf(saved, sizeof saved, "%s", cer_errmsg());
        if ((grc = load_genesis(out, store, id, 0, chk)) < 0)
            return grc;
        return cer_err(rc, "%s", saved);
    }
    prevalidate(&w);
    stamp_times(&w, store, chk);
    if ((rc = load_genesis(&st, store, id, w.n - 1 < w.nkept ? w.kept[w.n - 1].time : 0, chk)) < 0)
        goto out;
    w.verified = 1;
    for (size_t i = w.n - 1; i-- > 0;)
        if ((rc = walk_apply(st, store, &w, i, chk)) < 0)
            break;
    if (rc == -ENOMEM) {
        cer_state_free(st);  /* not a shorter valid log: no verdict */
        st = NULL;
    }
    *out = st;
out:
    walk_free(&w);
    return rc;
}

int cer_state_apply(cer_state *st, cer_store *store, const cer_cid *commit)
{
    return read_and_apply(st, store, commit, NULL);
}

/* ------------------------------------------------------------------ */
/* Conflict resolution                                                  */
/* ------------------------------------------------------------------ */

/* "1,133,1,18,32,..." as Uint8Array.prototype.toString writes it. */
static void js_bytes_string(char *out, size_t cap, const cer_cid *cid)
{
    uint8_t bytes[CER_CID_BYTES_MAX];
    int n = cer_cid_to_bytes(bytes, sizeof bytes, cid);
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, i ? ",%u" : "%u", bytes[i]);
}

int cer_cid_js_compare(const cer_cid *a, const cer_cid *b)
{
    char sa[CER_CID_BYTES_MAX * 4 + 1], sb[CER_CID_BYTES_MAX * 4 + 1];

    js_bytes_string(sa, sizeof sa, a);
    js_bytes_string(sb, sizeof sb, b);
    return strcmp(sa, sb);  /* ASCII only: UTF-16 order is byte order */
}

/* Index of the first anchor in log[0..n), or -1. */
static long first_anchor(const cer_log_entry *log, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (log[i].type == CER_COMMIT_ANCHOR)
            return (long)i;
    return -1;
}

/* Index of the first verified anchor in log[0..n), or -1. */
static long first_verified(const cer_log_entry *log, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cer_log_entry_anchored(&log[i]))
            return (long)i;
    return -1;
}

static bool weighs(const cer_log_entry *e)
{
    return e->type != CER_COMMIT_ANCHOR || e->check == CER_CHECK_VERIFIED;
}

/* What log[0..n) weighs in a conflict: its commits, not counting anchors
 * nobody here verified (anyone can make those, as many as they like). */
static size_t weight(const cer_log_entry *log, size_t n)
{
    size_t w = 0;

    for (size_t i = 0; i < n; i++)
        w += weighs(&log[i]);
    return w;
}

/* The commit that stands for a tail in the tie-break: its last one that
 * weighs (else its tip). */
static const cer_cid *last_weighing(const cer_log_entry *log, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (weighs(&log[i]))
            return &log[i].cid;
    return &log[n - 1].cid;
}

/* _pickLogToAccept(log1 = local tail, log2 = remote tail) on verified
 * facts only: true when the remote tail wins. Both tails are non-empty.
 * An anchor that is not verified is no anchor here and weighs nothing,
 * and a verified one always has its block time (apply_anchor). Without
 * unverified anchors this is js's order, except that a tail lighter than
 * ours never wins without an earlier verified anchor. */
static bool remote_wins(const cer_log_entry *l1, size_t n1, const cer_log_entry *l2, size_t n2)
{
    long a1 = first_verified(l1, n1), a2 = first_verified(l2, n2);
    bool earlier1 = a1 >= 0 && (a2 < 0 || l1[a1].timestamp < l2[a2].timestamp);
    bool earlier2 = a2 >= 0 && (a1 < 0 || l2[a2].timestamp < l1[a1].timestamp);
    size_t w1 = weight(l1, n1), w2 = weight(l2, n2), len1, len2;

    if (earlier1 || earlier2)
        return earlier2;
    /* neither has a verified anchor, or both at the same time: the longer
     * log up to it, then the CID order */
    len1 = weight(l1, a1 >= 0 ? (size_t)a1 + 1 : n1);
    len2 = weight(l2, a2 >= 0 ? (size_t)a2 + 1 : n2);
    if (len1 != len2)
        return len2 > len1 && w2 >= w1;
    return w2 >= w1 && !(cer_cid_js_compare(last_weighing(l1, n1), last_weighing(l2, n2)) < 0);
}

static int set_of_log(cid_set *s, const cer_state *st)
{
    int rc;

    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < st->log_len; i++)
        if ((rc = set_add(s, &st->log[i].cid)) < 0) {
            set_free(s);
            return rc;
        }
    return 0;
}

static int fast_forward(cer_state *st, cer_store *store, walk *w, const cer_anchor_checker *chk)
{
    int rc;

    for (size_t i = w->n; i-- > 0;)
        if ((rc = walk_apply(st, store, w, i, chk)) < 0)
            return i == w->n - 1 ? rc : 1;  /* keep the valid prefix, as js does for network tips */
    return 1;
}

static int resolve_fork(cer_state **stp, cer_store *store, const cer_cid *other_tip, size_t shared,
                        const cer_anchor_checker *chk)
{
    cer_state *st = *stp, *other = NULL;
    int rc = cer_state_load_checked(&other, store, &st->id, other_tip, chk);

    if (!other)
        return rc;
    if (other->log_len <= shared + 1 || !cer_cid_equal(&other->log[shared].cid, &st->log[shared].cid)) {
        cer_state_free(other);
        return rc < 0 ? rc : cer_err(-EINVAL, "state: the other branch does not extend the shared commit");
    }
    if (!remote_wins(st->log + shared + 1, st->log_len - shared - 1, other->log + shared + 1,
                     other->log_len - shared - 1)) {
        cer_state_free(other);
        return rc < 0 ? rc : 0;  /* its valid part lost; a rejected commit is still reported */
    }
    cer_state_free(st);
    *stp = other;
    return 1;
}

int cer_state_merge(cer_state **stp, cer_store *store, const cer_cid *other_tip)
{
    return cer_state_merge_checked(stp, store, other_tip, NULL);
}

int cer_state_merge_checked(cer_state **stp, cer_store *store, const cer_cid *other_tip,
                            const cer_anchor_checker *chk)
{
    cer_state *st = *stp;
    cid_set in_log;
    walk w;
    int rc;

    if ((rc = set_of_log(&in_log, st)) < 0)
        return rc;
    if (set_has(&in_log, other_tip)) {
        set_free(&in_log);
        return 0;
    }
    rc = walk_back(&w, store, other_tip, st, &in_log, chk);
    set_free(&in_log);
    if (rc < 0)
        return rc;
    if (w.shared == st->log_len - 1) {
        stamp_times(&w, store, chk);
        rc = fast_forward(st, store, &w, chk);
    } else {
        rc = resolve_fork(stp, store, other_tip, w.shared, chk);
    }
    walk_free(&w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* JSON form                                                            */
/* ------------------------------------------------------------------ */

static bool add_cid_string(cJSON *obj, const char *key, const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) >= 0 && cJSON_AddStringToObject(obj, key, s);
}

static cJSON *proof_to_json(const cer_anchor_proof *p)
{
    cJSON *j = cJSON_CreateObject();
    bool ok = j && cJSON_AddStringToObject(j, "chainId", p->chain_id) && add_cid_string(j, "root", &p->root) &&
              add_cid_string(j, "txHash", &p->tx_hash);

    if (ok && p->tx_type[0])
        ok = cJSON_AddStringToObject(j, "txType", p->tx_type) != NULL;
    if (ok && p->has_block_number)
        ok = cJSON_AddNumberToObject(j, "blockNumber", (double)p->block_number) != NULL;
    if (ok && p->has_block_timestamp)
        ok = cJSON_AddNumberToObject(j, "blockTimestamp", (double)p->block_timestamp) != NULL;
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* The cache's word for a check. "final" is an anchor no chain can verify
 * (another node's in-memory anchor): kept apart from "unverified" so a
 * node with an Ethereum RPC does not rebuild the state at every start to
 * check it again. */
static const char *check_word(int check)
{
    return check == CER_CHECK_UNVERIFIED_FINAL ? "final" : cer_anchor_check_name(check);
}

static cJSON *log_to_json(const cer_state *st)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < st->log_len; i++) {
        const cer_log_entry *e = &st->log[i];
        cJSON *o = cJSON_CreateObject();
        bool ok = o && cJSON_AddItemToArray(a, o) && add_cid_string(o, "cid", &e->cid) &&
                  cJSON_AddNumberToObject(o, "type", e->type);
        if (ok && e->timestamp)
            ok = cJSON_AddNumberToObject(o, "timestamp", (double)e->timestamp) != NULL;
        if (ok && e->author[0])
            ok = cJSON_AddStringToObject(o, "author", e->author) != NULL;
        if (ok && e->has_cap)
            ok = add_cid_string(o, "cap", &e->cap);
        if (ok && e->expiration_time)
            ok = cJSON_AddNumberToObject(o, "expirationTime", (double)e->expiration_time) != NULL;
        if (ok && e->check)
            ok = cJSON_AddStringToObject(o, "check", check_word(e->check)) != NULL;
        if (!ok) {
            if (o && !o->prev)  /* not attached */
                cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

int cer_state_to_json(cJSON **out, const cer_state *st)
{
    char sid[CER_STREAMID_STR_MAX];
    const char *doctype = cer_stream_type_name(st->id.type);
    cer_streamref ref = {st->id.type, st->id.genesis, false, st->id.genesis};
    cJSON *j = cJSON_CreateObject(), *v;
    bool ok;

    *out = NULL;
    if (!doctype || cer_streamref_to_string(sid, sizeof sid, &ref) < 0) {
        cJSON_Delete(j);
        return cer_err(-EINVAL, "state: stream type %llu has no name", (unsigned long long)st->id.type);
    }
    ok = j && cJSON_AddNumberToObject(j, "type", (double)st->id.type) &&
         (v = cJSON_Duplicate(st->content, 1)) && (cJSON_AddItemToObject(j, "content", v) || (cJSON_Delete(v), 0)) &&
         (v = cJSON_Duplicate(st->metadata, 1)) && (cJSON_AddItemToObject(j, "metadata", v) || (cJSON_Delete(v), 0)) &&
         cJSON_AddNumberToObject(j, "signature", st->signature) &&
         cJSON_AddStringToObject(j, "anchorStatus", cer_anchor_status_name(st->anchor_status));
    if (ok && st->anchored_content) {
        cJSON *a = cJSON_AddObjectToObject(j, "anchored");
        ok = a && (v = cJSON_Duplicate(st->anchored_content, 1)) &&
             (cJSON_AddItemToObject(a, "content", v) || (cJSON_Delete(v), 0)) &&
             (v = cJSON_Duplicate(st->anchored_metadata, 1)) &&
             (cJSON_AddItemToObject(a, "metadata", v) || (cJSON_Delete(v), 0));
    }
    if (ok && st->has_proof)
        ok = (v = proof_to_json(&st->proof)) && (cJSON_AddItemToObject(j, "anchorProof", v) || (cJSON_Delete(v), 0));
    ok = ok && (v = log_to_json(st)) && (cJSON_AddItemToObject(j, "log", v) || (cJSON_Delete(v), 0)) &&
         cJSON_AddStringToObject(j, "doctype", doctype) && cJSON_AddStringToObject(j, "streamId", sid);
    if (!ok) {
        cJSON_Delete(j);
        return cer_err(-ENOMEM, "state: out of memory");
    }
    *out = j;
    return 0;
}

/* A non-negative integer up to max, as a JSON number. */
static int json_uint(int64_t *out, const cJSON *v, double max, const char *what)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= max) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return cer_err(-EINVAL, "state JSON: %s must be an integer from 0 to %.0f", what, max);
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int json_cid(cer_cid *out, const cJSON *v, const char *what)
{
    if (!cJSON_IsString(v) || cer_cid_parse(out, v->valuestring) < 0)
        return cer_err(-EINVAL, "state JSON: %s must be a CID string", what);
    return 0;
}

static int json_text(char *out, size_t cap, const cJSON *v, const char *what)
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
        return cer_err(-EINVAL, "state JSON: %s must be a string shorter than %zu bytes", what, cap);
    strcpy(out, v->valuestring);
    return 0;
}

/* Every member of obj is one of the names in allowed (NULL-terminated). */
static int only_keys(const cJSON *obj, const char *const *allowed, const char *what)
{
    const cJSON *it;

    if (!cJSON_IsObject(obj))
        return cer_err(-EINVAL, "state JSON: %s is not an object", what);
    cJSON_ArrayForEach(it, obj) {
        const char *const *k = allowed;
        while (*k && strcmp(*k, it->string) != 0)
            k++;
        if (!*k)
            return cer_err(-EINVAL, "state JSON: unexpected field '%.64s' in %s", it->string, what);
    }
    return 0;
}

static int proof_from_json(cer_anchor_proof *p, const cJSON *j)
{
    static const char *const keys[] = {"chainId", "root", "txHash", "txType", "blockNumber",
                                       "blockTimestamp", NULL};
    int rc;

    memset(p, 0, sizeof *p);
    if ((rc = only_keys(j, keys, "anchorProof")) < 0 ||
        (rc = json_text(p->chain_id, sizeof p->chain_id, get(j, "chainId"), "anchorProof.chainId")) < 0 ||
        (rc = json_cid(&p->root, get(j, "root"), "anchorProof.root")) < 0 ||
        (rc = json_cid(&p->tx_hash, get(j, "txHash"), "anchorProof.txHash")) < 0)
        return rc;
    if (get(j, "txType") && (rc = json_text(p->tx_type, sizeof p->tx_type, get(j, "txType"), "anchorProof.txType")) < 0)
        return rc;
    if (get(j, "blockNumber")) {
        if ((rc = json_uint(&p->block_number, get(j, "blockNumber"), CER_JSON_SAFE_INT_MAX, "blockNumber")) < 0)
            return rc;
        p->has_block_number = true;
    }
    if (get(j, "blockTimestamp")) {
        if ((rc = json_uint(&p->block_timestamp, get(j, "blockTimestamp"), CER_JSON_SAFE_INT_MAX,
                            "blockTimestamp")) < 0)
            return rc;
        p->has_block_timestamp = true;
    }
    return 0;
}

static int entry_from_json(cer_log_entry *e, const cJSON *j, size_t i)
{
    static const char *const keys[] = {"cid", "type", "timestamp", "author", "cap", "expirationTime", "check", NULL};
    int64_t type = 0;
    int rc;

    memset(e, 0, sizeof *e);
    if ((rc = only_keys(j, keys, "a log entry")) < 0 || (rc = json_cid(&e->cid, get(j, "cid"), "log cid")) < 0 ||
        (rc = json_uint(&type, get(j, "type"), CER_COMMIT_ANCHOR, "log type")) < 0)
        return rc;
    e->type = (int)type;
    if ((i == 0) != (e->type == CER_COMMIT_GENESIS))
        return cer_err(-EINVAL, "state JSON: log entry %zu has type %d", i, e->type);
    if (get(j, "timestamp") && (rc = json_uint(&e->timestamp, get(j, "timestamp"), CER_JSON_SAFE_INT_MAX,
                                               "log timestamp")) < 0)
        return rc;
    if (get(j, "author") && (rc = json_text(e->author, sizeof e->author, get(j, "author"), "log author")) < 0)
        return rc;
    if (get(j, "cap") && (rc = json_cid(&e->cap, get(j, "cap"), "log cap")) < 0)
        return rc;
    e->has_cap = get(j, "cap") != NULL;
    if (get(j, "expirationTime") && (rc = json_uint(&e->expiration_time, get(j, "expirationTime"),
                                                    CER_JSON_SAFE_INT_MAX, "log expirationTime")) < 0)
        return rc;
    if (get(j, "check")) {
        /* "unchecked" and "uncheckable": caches written before "unverified"
         * was the one word for them */
        const char *name = cJSON_GetStringValue(get(j, "check"));
        if (e->type != CER_COMMIT_ANCHOR || !name)
            return cer_err(-EINVAL, "state JSON: log entry %zu has a bad check", i);
        if (strcmp(name, "verified") == 0)
            e->check = CER_CHECK_VERIFIED;
        else if (strcmp(name, "final") == 0)
            e->check = CER_CHECK_UNVERIFIED_FINAL;
        else if (strcmp(name, "unverified") == 0 || strcmp(name, "unchecked") == 0 ||
                 strcmp(name, "uncheckable") == 0)
            e->check = CER_CHECK_UNVERIFIED;
        else
            return cer_err(-EINVAL, "state JSON: log entry %zu has a bad check", i);
    } else if (e->type == CER_COMMIT_ANCHOR) {
        e->check = CER_CHECK_UNVERIFIED;  /* an old cache's unchecked anchor */
    }
    return 0;
}

static int log_from_json(cer_state *st, const cJSON *a)
{
    cid_set seen = {0};
    const cJSON *it;
    size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
    int rc = 0;

    if (!cJSON_IsArray(a) || n == 0)
        return cer_err(-EINVAL, "state JSON: log must be a non-empty array");
    if (!(st->log = log_alloc(n)))
        return cer_err(-ENOMEM, "state: out of memory");
    cJSON_ArrayForEach(it, a) {
        if ((rc = entry_from_json(&st->log[i], it, i)) < 0)
            break;
        if ((rc = set_add(&seen, &st->log[i].cid)) != 0) {
            if (rc > 0)
                rc = cer_err(-EINVAL, "state JSON: log entry %zu repeats a commit", i);
            break;
        }
        st->log_len = ++i;
    }
    set_free(&seen);
    if (rc == 0 && !cer_cid_equal(&st->log[0].cid, &st->id.genesis))
        rc = cer_err(-EINVAL, "state JSON: the log does not start at the stream's genesis");
    return rc;
}

static int status_from_json(int *out, const cJSON *v)
{
    for (int i = 0; cJSON_IsString(v) && cer_anchor_status_name(i); i++)
        if (strcmp(cer_anchor_status_name(i), v->valuestring) == 0) {
            *out = i;
            return 0;
        }
    return cer_err(-EINVAL, "state JSON: anchorStatus is not a known status name");
}

/* Times and status as apply_anchor gives them: only verified anchors
 * count (a cache written before that rule trusted proofs' times). */
static void only_verified_times(cer_state *st)
{
    int64_t ts = 0;

    for (size_t i = st->log_len; i-- > 0;) {
        cer_log_entry *e = &st->log[i];
        if (cer_log_entry_anchored(e) && e->timestamp > 0)
            ts = e->timestamp;
        else if (e->type == CER_COMMIT_ANCHOR)
            e->timestamp = 0, e->check = e->check == CER_CHECK_VERIFIED ? CER_CHECK_UNVERIFIED : e->check;
        else
            e->timestamp = ts;
    }
    if (st->anchor_status == CER_ANCHOR_ANCHORED && first_verified(st->log, st->log_len) < 0)
        st->anchor_status = CER_ANCHOR_NOT_REQUESTED;
}

/* A TileDocument with a data commit after its last verified anchor (or
 * after its genesis): what has anchored_content. */
static bool data_after_anchor(const cer_state *st)
{
    if (st->id.type != CER_STREAM_TILE)
        return false;
    for (size_t i = st->log_len; i-- > 0 && !cer_log_entry_anchored(&st->log[i]);)
        if (st->log[i].type == CER_COMMIT_SIGNED)
            return true;
    return false;
}

static int state_from_json(cer_state *st, const cJSON *j)
{
    static const char *const keys[] = {"type", "doctype", "streamId", "content", "metadata", "signature",
                                       "anchorStatus", "anchorProof", "log", "anchored", NULL};
    static const char *const akeys[] = {"content", "metadata", NULL};
    const cJSON *anchored = get(j, "anchored");
    const cJSON *doctype = get(j, "doctype"), *sid = get(j, "streamId");
    int64_t type = 0, sig = 0;
    int rc;

    if ((rc = only_keys(j, keys, "the state")) < 0 ||
        (rc = json_uint(&type, get(j, "type"), 1 << 20, "type")) < 0 ||
        (rc = json_uint(&sig, get(j, "signature"), CER_SIG_SIGNED, "signature")) < 0 ||
        (rc = status_from_json(&st->anchor_status, get(j, "anchorStatus"))) < 0)
        return rc;
    st->signature = (int)sig;
    if (!cJSON_IsString(doctype) || !cer_stream_type_name((uint64_t)type) ||
        strcmp(doctype->valuestring, cer_stream_type_name((uint64_t)type)) != 0)
        return cer_err(-EINVAL, "state JSON: doctype does not name type %lld", (long long)type);
    if (!cJSON_IsString(sid) || cer_streamref_parse(&st->id, sid->valuestring) < 0 || st->id.is_commit ||
        st->id.type != (uint64_t)type)
        return cer_err(-EINVAL, "state JSON: streamId is not a StreamID of type %lld", (long long)type);
    if (!get(j, "content") || !cJSON_IsObject(get(j, "metadata")))
        return cer_err(-EINVAL, "state JSON: content or metadata missing");
    if (get(j, "anchorProof")) {
        if ((rc = proof_from_json(&st->proof, get(j, "anchorProof"))) < 0)
            return rc;
        st->has_proof = true;
    }
    if ((rc = log_from_json(st, get(j, "log"))) < 0)
        return rc;
    only_verified_times(st);
    if (st->has_proof != (first_anchor(st->log, st->log_len) >= 0) ||
        (st->anchor_status == CER_ANCHOR_ANCHORED && !st->has_proof))
        return cer_err(-EINVAL, "state JSON: anchorProof does not match the log");
    /* a cache written before "anchored" existed lacks it: -EINVAL, and the
     * node walks the log again */
    if (!anchored != !data_after_anchor(st))
        return cer_err(-EINVAL, "state JSON: \"anchored\" %s", anchored ? "without data commits after the last "
                       "anchor" : "missing (data commits follow the last anchor)");
    if (anchored && ((rc = only_keys(anchored, akeys, "anchored")) < 0 || !get(anchored, "content") ||
                     !cJSON_IsObject(get(anchored, "metadata"))))
        return rc < 0 ? rc : cer_err(-EINVAL, "state JSON: anchored content or metadata missing");
    st->content = cJSON_Duplicate(get(j, "content"), 1);
    st->metadata = cJSON_Duplicate(get(j, "metadata"), 1);
    if (!st->content || !st->metadata || !dup_opt(&st->anchored_content, get(anchored, "content")) ||
        !dup_opt(&st->anchored_metadata, get(anchored, "metadata")))
        return cer_err(-ENOMEM, "state: out of memory");
    return 0;
}

int cer_state_from_json(cer_state **out, const cJSON *j)
{
    cer_state *st = calloc(1, sizeof *st);
    int rc;

    *out = NULL;
    if (!st)
        return cer_err(-ENOMEM, "state: out of memory");
    if ((rc = state_from_json(st, j)) < 0) {
        cer_state_free(st);
        return rc;
    }
    *out = st;
    return 0;
}
