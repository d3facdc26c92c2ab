/*
 * carstream.c — streams in and out of a node as CAR files (API in
 * ceramic.h: cer_node_export_car, cer_node_import_car).
 *
 * Which blocks a stream needs is what the state loader reads to verify
 * it, so both directions run the loader over a store of our own that sees
 * every block it asks for:
 *   - export loads the stream from the node's store and writes each block
 *     read (commits, payloads through the JWS link, anchor proofs, the
 *     Merkle nodes from proof.root down anchor.path, and whatever later
 *     verification reads: CACAO blocks named by a JWS header's 'cap', a
 *     3ID document) once, the tip as the last root, after the tips of the
 *     3ID documents its did:3 signers name and of a document's Model
 *     (imported first);
 *   - import loads each root from the CAR's blocks (then the node's), and
 *     only the blocks that load of the valid part of the log read go into
 *     the node's store: a CAR cannot plant blocks nothing needs (ipfs dag
 *     import keeps every block; a node keeping what it serves should not).
 *     The tip reached is then learned through cer_node_learn_tip, as a tip
 *     from the network is, so merging, chain checks of anchors, the
 *     registry and listeners are the node's own.
 */
#include "ceramic.h"
#include "error.h"
#include "loads.h"
#include "state.h"
#include "strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store that reads from the CAR (when one is given), then from under,
 * and remembers every block read, once each, in order. */
typedef struct seen_store {
    cer_store base;
    cer_store *under;
    const cer_car *car;
    cer_strmap seen;            /* CID string -> its entry */
    cer_cid *cids;              /* in the order first read */
    char **keys;
    size_t n, cap;
    int err;                    /* out of memory while recording */
} seen_store;

static int seen_record(seen_store *s, const cer_cid *cid)
{
    char key[CER_CID_STR_MAX];
    char *k;

    if (cer_cid_to_string(key, sizeof key, cid) < 0 || cer_strmap_get(&s->seen, key))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 32;
        cer_cid *c = realloc(s->cids, cap * sizeof *c);
        char **ks = c ? realloc(s->keys, cap * sizeof *ks) : NULL;
        if (c)
            s->cids = c;
        if (!ks)
            return -ENOMEM;
        s->keys = ks;
        s->cap = cap;
    }
    if (!(k = strdup(key)) || cer_strmap_put(&s->seen, k, k) < 0) {
        free(k);
        return -ENOMEM;
    }
    s->keys[s->n] = k;
    s->cids[s->n++] = *cid;
    return 0;
}

static int seen_get(cer_store *st, const cer_cid *cid, cer_buf *out)
{
    seen_store *s = (seen_store *)st;
    const cer_car_block *b = s->car ? cer_car_get(s->car, cid) : NULL;
    int rc;

    if (b) {
        out->len = 0;
        rc = cer_buf_append(out, b->data, b->len);
    } else {
        rc = s->under->ops->get(s->under, cid, out);
    }
    if (rc == 0 && seen_record(s, cid) < 0)
        s->err = -ENOMEM;
    return rc;
}

static int seen_has(cer_store *st, const cer_cid *cid)
{
    seen_store *s = (seen_store *)st;

    return s->car && cer_car_get(s->car, cid) ? 1 : s->under->ops->has(s->under, cid);
}

static int seen_put(cer_store *st, const cer_cid *cid, const uint8_t *data, size_t len)
{
    (void)st, (void)cid, (void)data, (void)len;
    return cer_err(-EROFS, "car: the loader does not write");
}

static void seen_close(cer_store *st)
{
    (void)st;
}

static const cer_store_ops seen_ops = {.put = seen_put, .get = seen_get, .has = seen_has, .close = seen_close};

static void seen_init(seen_store *s, cer_store *under, const cer_car *car)
{
    memset(s, 0, sizeof *s);
    s->base.ops = &seen_ops;
    s->under = under;
    s->car = car;
}

/* Forget what was read (a new load starts). */
static void seen_reset(seen_store *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->cids);
    cer_strmap_free(&s->seen);
    seen_init(s, s->under, s->car);
}

/* ---- export ---- */

#define DEPS_MAX 8  /* 3ID documents one stream's signers name */

/* A stream another depends on, loaded at tip through s so that its
 * blocks are exported, tip added to roots (*n of them): a CAR's roots
 * are imported in order, so the importing node knows it first. */
static int export_dep(cer_node *node, seen_store *s, const cer_streamref *id, const cer_cid *tip, cer_cid *roots,
                      size_t *n)
{
    cer_state *d;
    int rc = cer_node_load_unchecked(node, &d, &s->base, id, tip);

    if (rc < 0)
        return rc;
    cer_state_free(d);
    roots[(*n)++] = *tip;
    return 0;
}

/* The 3ID documents of the stream's did:3 signers (st's authors), each
 * loaded at the node's tip through s so that its blocks are exported,
 * their tips in roots (*n of them): a CAR's roots are imported in order,
 * so a node that imports it knows each 3ID document before the stream. */
static int export_3ids(cer_node *node, seen_store *s, const cer_state *st, cer_cid *roots, size_t *n)
{
    cer_streamref ids[DEPS_MAX];
    cer_stream_info info;
    int rc;

    *n = 0;
    for (size_t i = 0; i < st->log_len; i++) {
        const char *a = st->log[i].author;
        cer_streamref id;
        bool known = false;
        if (strncmp(a, "did:3:", 6) != 0 || cer_streamref_parse(&id, a + 6) < 0)
            continue;
        for (size_t j = 0; j < *n && !known; j++)
            known = cer_streamref_same_stream(&ids[j], &id);
        if (known)
            continue;
        if (*n == DEPS_MAX)
            return cer_err(-E2BIG, "export: signed as more than %d 3IDs", DEPS_MAX);
        ids[*n] = id;
        if ((rc = cer_node_info(node, &id, &info)) < 0 || (rc = export_dep(node, s, &info.id, &info.tip, roots, n)) < 0)
            return cer_err_wrap(rc, "export: the 3ID document of %s", a);
    }
    return 0;
}

/* A ModelInstanceDocument's Model, loaded through s so that its blocks
 * are exported, its tip (the genesis when the node has not recorded it)
 * in roots[*n]: an importing node knows the Model before it checks the
 * document against it. */
static int export_model(cer_node *node, seen_store *s, const cer_state *st, cer_cid *roots, size_t *n)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(st->metadata, "model");
    cer_stream_info info;
    cer_streamref ref;
    int rc;

    if (st->id.type != CER_STREAM_MID || !cJSON_IsString(m) || cer_streamref_parse(&ref, m->valuestring) < 0)
        return 0;
    if ((rc = cer_node_info(node, &ref, &info)) == -ENOENT) {
        cer_errclear();
        info.id = ref;
        info.tip = ref.genesis;
    } else if (rc < 0) {
        return rc;
    }
    if ((rc = export_dep(node, s, &info.id, &info.tip, roots, n)) < 0)
        return cer_err_wrap(rc, "export: its Model %.100s", m->valuestring);
    return 0;
}

int cer_node_export_car(cer_node *node, const cer_streamref *id, cer_buf *out)
{
    char sid[CER_STREAMID_STR_MAX];
    cer_stream_info info;
    cer_state *st = NULL;
    cer_cid roots[DEPS_MAX + 2];
    size_t nroots = 0;
    seen_store s;
    int rc;

    cer_streamref_to_string(sid, sizeof sid, id);
    if ((rc = cer_node_info(node, id, &info)) < 0)
        return rc == -ENOENT ? cer_err(rc, "export: no stream %s here", sid) : rc;
    seen_init(&s, cer_node_store(node), NULL);
    /* the blocks that verify it are those its verification reads */
    if ((rc = cer_node_load_unchecked(node, &st, &s.base, &info.id, &info.tip)) < 0) {
        rc = cer_err_wrap(rc, "export: %s does not verify", sid);
        goto out;
    }
    if ((rc = export_3ids(node, &s, st, roots, &nroots)) < 0 || (rc = export_model(node, &s, st, roots, &nroots)) < 0)
        goto out;
    roots[nroots++] = info.tip;
    if ((rc = s.err) < 0 || (rc = cer_car_put_header(out, roots, nroots)) < 0)
        goto out;
    /* CACAO blocks (a JWS protected header's 'cap': ipfs://<CID>) and the
     * 3ID documents' versions come in here with no change once the
     * verification that needs them reads them through its store; one it
     * gets another way (a cache) must be added here. */
    for (size_t i = 0; i < s.n; i++)
        if ((rc = cer_car_put_stored(out, cer_node_store(node), &s.cids[i])) < 0)
            goto out;
out:
    if (rc == -ENOMEM)
        rc = cer_err(rc, "export: out of memory");
    cer_state_free(st);
    seen_reset(&s);
    return rc;
}

/* ---- import ---- */

/* The stream type of a genesis: a header 'model' makes it a Model (when
 * it is the meta-model, an UNLOADABLE StreamID) or a ModelInstanceDocument;
 * an unsigned one of family "caip10-..." whose controller is an account
 * ("address@chain", no DID: no tile could be updated) a Caip10Link;
 * anything else is a TileDocument. */
static uint64_t genesis_type(const cer_commit *g)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(g->payload, "header");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "model");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(h, "family");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(h, "controllers");
    uint8_t b[CER_STREAMID_BYTES_MAX];
    cer_streamref ref;
    int n;

    if (!m && !g->is_signed && cJSON_IsString(f) && strncmp(f->valuestring, "caip10-", 7) == 0 &&
        cJSON_IsArray(c) && cJSON_IsString(c->child) && strchr(c->child->valuestring, '@'))
        return CER_STREAM_CAIP10_LINK;
    if (!m)
        return CER_STREAM_TILE;
    if ((n = cer_json_get_bytes(b, sizeof b, m)) < 0 || cer_streamref_from_bytes(&ref, b, (size_t)n) < 0)
        return CER_STREAM_MID;  /* its load says why the model is bad */
    return ref.type == CER_STREAM_UNLOADABLE ? CER_STREAM_MODEL : CER_STREAM_MID;
}

/* The StreamID of the log that root ends: its 'id', else down 'prev'. */
static int stream_of(cer_streamref *id, cer_store *store, const cer_cid *root)
{
    cer_cid cur = *root;
    cer_commit c;
    int rc;

    for (long steps = 0;; steps++) {
        if (steps > CER_STATE_LOG_MAX)
            return cer_err(-EFBIG, "import: a log longer than %d commits", CER_STATE_LOG_MAX);
        if ((rc = cer_commit_read(&c, store, &cur)) < 0)
            return rc;
        if (c.type == CER_COMMIT_GENESIS || c.has_id || !c.has_prev)
            break;
        cur = c.prev;
        cer_commit_free(&c);
    }
    memset(id, 0, sizeof *id);
    id->genesis = c.type == CER_COMMIT_GENESIS ? c.cid : c.id;
    cer_commit_free(&c);
    if ((rc = cer_commit_read(&c, store, &id->genesis)) < 0)
        return rc;
    if (c.type != CER_COMMIT_GENESIS) {
        char a[CER_CID_STR_MAX], b[CER_CID_STR_MAX];
        cer_cid_to_string(a, sizeof a, root);
        cer_cid_to_string(b, sizeof b, &id->genesis);
        rc = cer_err(-EINVAL, "import: the 'id' of %s, %s, is not a genesis commit", a, b);
    }
    id->type = genesis_type(&c);
    cer_commit_free(&c);
    return rc;
}

/* Put the blocks s read into the node's store. */
static int keep_blocks(cer_node *node, const seen_store *s)
{
    int rc = 0;

    for (size_t i = 0; i < s->n && rc == 0; i++) {
        const cer_car_block *cb = cer_car_get(s->car, &s->cids[i]);
        if (cb)
            rc = cer_store_put(cer_node_store(node), &cb->cid, cb->data, cb->len);
    }
    return rc;
}

/* Import the stream ending at r->root. */
static int import_root(cer_node *node, const cer_car *car, cer_car_result *r)
{
    seen_store s;
    cer_state *st = NULL;
    cer_stream_info info;
    char why[sizeof r->why];
    int rc, verdict;

    seen_init(&s, cer_node_store(node), car);
    if ((rc = stream_of(&r->id, &s.base, &r->root)) < 0)
        goto out;
    /* the verdict on the log, from the CAR's blocks */
    verdict = cer_node_load_unchecked(node, &st, &s.base, &r->id, &r->root);
    snprintf(why, sizeof why, "%s", verdict < 0 ? cer_errmsg() : "");
    if (!st) {
        rc = verdict;
        goto out;
    }
    /* keep the blocks of the valid part only: what that load read when the
     * whole log is valid, else what loading the valid part reads */
    r->tip = *cer_state_tip(st);
    cer_state_free(st);
    st = NULL;
    if (verdict < 0 || !cer_cid_equal(&r->tip, &r->root)) {
        seen_reset(&s);
        if ((rc = cer_node_load_unchecked(node, &st, &s.base, &r->id, &r->tip)) < 0)
            goto out;
    }
    if ((rc = s.err) < 0 || (rc = keep_blocks(node, &s)) < 0)
        goto out;
    /* and learn that tip as a tip from the network */
    if ((rc = cer_node_learn_tip(node, &r->id, &r->tip)) < 0)
        goto out;
    if ((rc = cer_node_info(node, &r->id, &info)) < 0)
        goto out;
    r->loaded = true;
    r->tip = info.tip;
    rc = verdict;
    if (rc < 0)
        cer_err(rc, "%s", why);
out:
    if (rc < 0)
        snprintf(r->why, sizeof r->why, "%s", cer_errmsg());
    r->err = rc < 0 ? rc : 0;
    cer_state_free(st);
    seen_reset(&s);
    return rc;
}

int cer_node_import_car(cer_node *node, const uint8_t *data, size_t len,
                        void (*fn)(void *arg, const cer_car_result *r), void *arg)
{
    cer_car car;
    int rc, bad = 0;

    if ((rc = cer_car_read(&car, data, len)) < 0)
        return rc;
    for (size_t i = 0; i < car.nroots; i++) {
        cer_car_result r = {.root = car.roots[i]};
        if (import_root(node, &car, &r) < 0)
            bad++;
        if (fn)
            fn(arg, &r);
        cer_errclear();
    }
    cer_car_free(&car);
    return bad;
}
