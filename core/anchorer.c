/*
 * anchorer.c — the node's anchor service (cer_anchorer_*): the queue of
 * tips waiting for an anchor, fed by the node's change listener. Each step
 * (the batcher's thread every interval, or cer_anchorer_flush) either
 * makes one batch with the built-in service (batch.c: tree, chain, anchor
 * commits, applied to the node) or posts and polls the queued tips at a
 * Ceramic Anchor Service (cas.c) and applies the anchor commits it
 * returns. The built-in service records each proof it makes with the node
 * (cer_node_own_anchor): the node's own anchors are verified by that.
 * A client of the node's public API only (ceramic.h); the node checks
 * every anchor commit it applies itself (node.c, anchorverify.c).
 *
 * Threads. a->lock guards the queue and the figures of the status
 * section; it is never held across I/O or calls into the node. The
 * batcher runs one step at a time; a->client is used only in steps.
 */
#include "batch.h"
#include "buf.h"
#include "cas.h"
#include "clock.h"
#include "error.h"
#include "state.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct entry {
    cer_streamref id;
    cer_cid tip;
    int status;                 /* PENDING or PROCESSING */
    unsigned attempts;
    int64_t next_ms;            /* not before (retry backoff) */
    bool requested;             /* CAS: the request was posted */
} entry;

struct cer_anchorer {
    cer_node *node;
    cer_anchor_opts o;
    char *mode, *service_url, *chain, *eth_rpc, *eth_from;
    bool cas, active, listening, sectioned, checking;
    cer_cas client;             /* with a service URL */
    cer_batcher *batcher;

    pthread_mutex_t lock;       /* guards the fields below */
    entry *q;
    size_t nq, capq;
    bool applying;              /* a local batch is applying anchor commit `own` */
    cer_cid own;
    int64_t n_anchored, n_failed;
    cJSON *last_batch;          /* owned */
    char last_error[256];
    int64_t last_error_ms;
};

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static const char *cid_str(char out[CER_CID_STR_MAX], const cer_cid *cid)
{
    if (cer_cid_to_string(out, CER_CID_STR_MAX, cid) < 0)
        snprintf(out, CER_CID_STR_MAX, "?");
    return out;
}

/* ------------------------------------------------------------------ */
/* The queue                                                            */
/* ------------------------------------------------------------------ */

static entry *find(cer_anchorer *a, const cer_streamref *id)
{
    for (size_t i = 0; i < a->nq; i++)
        if (cer_streamref_same_stream(&a->q[i].id, id))
            return &a->q[i];
    return NULL;
}

/* Queue (id, tip) as PENDING; a queued older tip of id is replaced. */
static int enqueue(cer_anchorer *a, const cer_streamref *id, const cer_cid *tip)
{
    entry *e;
    int rc = 0;

    pthread_mutex_lock(&a->lock);
    if (!(e = find(a, id))) {
        if (a->nq == a->capq) {
            size_t cap = a->capq ? 2 * a->capq : 16;
            entry *q = realloc(a->q, cap * sizeof *q);
            if (!q) {
                rc = cer_err(-ENOMEM, "anchor: out of memory");
                goto out;
            }
            a->q = q, a->capq = cap;
        }
        e = &a->q[a->nq++];
    }
    memset(e, 0, sizeof *e);
    e->id = *id;
    e->id.is_commit = false;
    e->tip = *tip;
    e->status = CER_ANCHOR_PENDING;
out:
    pthread_mutex_unlock(&a->lock);
    if (rc == 0)
        (void)cer_node_set_anchor_status(a->node, id, tip, CER_ANCHOR_PENDING);
    cer_errclear();
    return rc;
}

/* Drop the entry for (id, tip) if it is still that tip. */
static void dequeue(cer_anchorer *a, const cer_streamref *id, const cer_cid *tip)
{
    entry *e;

    pthread_mutex_lock(&a->lock);
    if ((e = find(a, id)) && cer_cid_equal(&e->tip, tip))
        *e = a->q[--a->nq];
    pthread_mutex_unlock(&a->lock);
}

static void note_error(cer_anchorer *a, const char *msg)
{
    pthread_mutex_lock(&a->lock);
    snprintf(a->last_error, sizeof a->last_error, "%s", msg);
    a->last_error_ms = cer_clock_ms(CLOCK_REALTIME);
    pthread_mutex_unlock(&a->lock);
}

/* One failed attempt for (id, tip): retry later, or FAILED for good. */
static void attempt_failed(cer_anchorer *a, const cer_streamref *id, const cer_cid *tip, const char *reason)
{
    entry *e;
    unsigned n = 0;
    bool final = false;
    double delay = 0;

    pthread_mutex_lock(&a->lock);
    if ((e = find(a, id)) && cer_cid_equal(&e->tip, tip)) {
        n = ++e->attempts;
        if ((final = cer_batch_retry(&a->o, n, &delay))) {
            *e = a->q[--a->nq];
            a->n_failed++;
        } else {
            e->status = CER_ANCHOR_PENDING;
            e->next_ms = cer_clock_ms(CLOCK_REALTIME) + (int64_t)(delay * 1000);
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (!n)
        return;  /* replaced by a newer tip meanwhile */
    (void)cer_node_set_anchor_status(a->node, id, tip, final ? CER_ANCHOR_FAILED : CER_ANCHOR_PENDING);
    cer_errclear();
    if (final)
        cer_node_event(a->node, "anchor", id, "anchor FAILED after %u attempts: %s", n, reason);
    else
        cer_node_event(a->node, "anchor", id, "anchor attempt %u of %u failed: %s; retrying in %.0f s", n,
                       a->o.max_attempts, reason, delay);
}

/* ------------------------------------------------------------------ */
/* The built-in service: one batch                                      */
/* ------------------------------------------------------------------ */

/* Queue entry i as a leaf when it is due (cer_batch_take, a->lock held). */
static bool take(void *arg, size_t i, int64_t now, cer_batch_leaf *l)
{
    entry *e = &((cer_anchorer *)arg)->q[i];

    if (e->status != CER_ANCHOR_PENDING || e->next_ms > now)
        return false;
    e->status = CER_ANCHOR_PROCESSING;
    l->id = e->id;
    l->tip = e->tip;
    return true;
}

/* Take the due PENDING entries as PROCESSING; *out caller frees. */
static size_t take_due(cer_anchorer *a, cer_batch_leaf **out)
{
    size_t n;

    pthread_mutex_lock(&a->lock);
    n = cer_batch_take(out, a->nq, take, a);
    pthread_mutex_unlock(&a->lock);
    return n;
}

static void record_batch(cer_anchorer *a, size_t n, const cer_anchor_proof *p, int anchored)
{
    char root[CER_CID_STR_MAX], tx[CER_CID_STR_MAX], when[32];
    cJSON *b = cJSON_CreateObject();

    iso_now(when);
    if (b) {
        cJSON_AddStringToObject(b, "time", when);
        cJSON_AddNumberToObject(b, "size", (double)n);
        cJSON_AddNumberToObject(b, "anchored", anchored);
        cJSON_AddStringToObject(b, "chainId", p->chain_id);
        cJSON_AddStringToObject(b, "root", cid_str(root, &p->root));
        cJSON_AddStringToObject(b, "txHash", cid_str(tx, &p->tx_hash));
    }
    pthread_mutex_lock(&a->lock);
    cJSON_Delete(a->last_batch);
    a->last_batch = b;
    a->n_anchored += anchored;
    pthread_mutex_unlock(&a->lock);
}

/* Keep the leaves whose stream still has that tip, with their sort keys. */
static size_t prepare(cer_anchorer *a, cer_batch_leaf *l, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        cer_state *st = NULL;
        const cJSON *c;
        bool ok = cer_node_state(a->node, &st, &l[i].id) == 0 && cer_cid_equal(cer_state_tip(st), &l[i].tip) &&
                  cer_node_set_anchor_status(a->node, &l[i].id, &l[i].tip, CER_ANCHOR_PROCESSING) == 0;

        if (ok) {
            c = cJSON_GetObjectItemCaseSensitive(st->metadata, "controllers");
            snprintf(l[i].controller, sizeof l[i].controller, "%s",
                     cJSON_IsArray(c) && cJSON_IsString(c->child) ? c->child->valuestring : "");
            ok = cer_streamref_to_string(l[i].sid, sizeof l[i].sid, &l[i].id) > 0;
        }
        cer_state_free(st);
        cer_errclear();
        if (!ok) {
            dequeue(a, &l[i].id, &l[i].tip);  /* replaced or gone: its newer tip is queued */
            continue;
        }
        l[k++] = l[i];
    }
    return k;
}

/* Apply an anchor commit this batch made (no need to check it again). */
static int apply_own(cer_anchorer *a, const cer_streamref *id, const cer_cid *commit)
{
    int rc;

    pthread_mutex_lock(&a->lock);
    a->applying = true;
    a->own = *commit;
    pthread_mutex_unlock(&a->lock);
    rc = cer_node_apply_own(a->node, id, commit);
    pthread_mutex_lock(&a->lock);
    a->applying = false;
    pthread_mutex_unlock(&a->lock);
    return rc;
}

static int local_batch(cer_anchorer *a)
{
    cer_store *store = cer_node_store(a->node);
    cer_batch_leaf *l = NULL;
    cer_anchor_proof proof;
    cer_cid proof_cid;
    char reason[256];
    size_t n = take_due(a, &l);
    int rc = 0, anchored = 0;

    if (n == 0 || (n = prepare(a, l, n)) == 0)
        goto out;
    /* the proof is remembered before any commit uses it: this node's
     * anchors count here */
    if ((rc = cer_batch_anchor(a->batcher, store, &a->o, l, n, &proof, &proof_cid)) < 0 ||
        (rc = cer_node_own_anchor(a->node, &proof)) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        cer_stream_info info;
        cer_cid commit;
        int r;

        /* a tip that moved meanwhile is not anchored here: the anchored
         * branch would win over the newer commit (conflict resolution,
         * core/README.md) */
        if (cer_node_info(a->node, &l[i].id, &info) < 0 || !cer_cid_equal(&info.tip, &l[i].tip)) {
            dequeue(a, &l[i].id, &l[i].tip);
            continue;
        }
        if ((r = cer_batch_commit(store, &proof_cid, &l[i], &commit)) == 0)
            r = apply_own(a, &l[i].id, &commit);
        if (r < 0) {
            snprintf(reason, sizeof reason, "%s", cer_errmsg());
            attempt_failed(a, &l[i].id, &l[i].tip, reason);
            continue;
        }
        dequeue(a, &l[i].id, &l[i].tip);
        anchored++;
    }
    record_batch(a, n, &proof, anchored);
    cer_node_count(a->node, "anchored", anchored);
    rc = anchored;
    goto out;
fail:
    snprintf(reason, sizeof reason, "%s", cer_errmsg());
    note_error(a, reason);
    for (size_t i = 0; i < n; i++)
        attempt_failed(a, &l[i].id, &l[i].tip, reason);
    cer_err(rc, "%s", reason);
out:
    free(l);
    return rc;
}

/* ------------------------------------------------------------------ */
/* With a Ceramic Anchor Service                                        */
/* ------------------------------------------------------------------ */

static int sign(void *node, char **jws, const uint8_t *payload, size_t len)
{
    return cer_node_sign_jws(node, jws, payload, len);
}

static int put_block(const cer_cid *cid, const uint8_t *data, size_t n, void *arg)
{
    return cer_store_put(arg, cid, data, n);
}

/* Whether id's tip is the anchor commit ac, verified here. */
static bool anchor_counts(cer_anchorer *a, const cer_streamref *id, const cer_cid *ac)
{
    cer_state *st = NULL;
    bool ok = cer_node_state(a->node, &st, id) == 0 && cer_cid_equal(cer_state_tip(st), ac) &&
              cer_log_entry_anchored(&st->log[st->log_len - 1]);

    cer_state_free(st);
    cer_errclear();
    return ok;
}

/* One request or poll for one queued tip; returns 1 when anchored. */
static int cas_step(cer_anchorer *a, const cer_batch_leaf *l, bool requested)
{
    char tip[CER_CID_STR_MAX];
    cer_cas_reply r;
    bool json = a->client.json;
    int rc;

    cid_str(tip, &l->tip);
    if (requested)
        rc = cer_cas_poll(&a->client, &l->tip, &r);
    else
        rc = cer_cas_request(&a->client, cer_node_store(a->node), &l->id, &l->tip, &r);
    if (a->client.json && !json)
        cer_node_event(a->node, "anchor", NULL, "the CAS at %s refused a CAR request and took JSON: JSON from now on",
                       a->service_url);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&a->lock);
    {
        entry *e = find(a, &l->id);
        if (e && cer_cid_equal(&e->tip, &l->tip))
            e->requested = true;
    }
    pthread_mutex_unlock(&a->lock);
    switch (r.status) {
    case CER_ANCHOR_PENDING:
    case CER_ANCHOR_PROCESSING:
        (void)cer_node_set_anchor_status(a->node, &l->id, &l->tip, r.status);
        rc = 0;
        break;
    case CER_ANCHOR_FAILED:
        rc = cer_err(-EREMOTEIO, "CAS: request FAILED: %s", r.message);
        break;
    case CER_ANCHOR_REPLACED:
        (void)cer_node_set_anchor_status(a->node, &l->id, &l->tip, CER_ANCHOR_REPLACED);
        dequeue(a, &l->id, &l->tip);
        rc = 0;
        break;
    default: /* COMPLETED */
        if (r.witness_car && (rc = cer_car_each(r.witness_car, r.witness_len, put_block, cer_node_store(a->node))) < 0)
            goto out;
        if ((rc = cer_store_has(cer_node_store(a->node), &r.anchor_commit)) != 1) {
            rc = cer_err(-ENOENT, "CAS: the anchor commit is not in the witness CAR (and there is no IPFS here)");
            goto out;
        }
        if ((rc = cer_node_learn_tip(a->node, &l->id, &r.anchor_commit)) < 0)
            goto out;
        dequeue(a, &l->id, &l->tip);
        rc = 1;
        if (!anchor_counts(a, &l->id, &r.anchor_commit)) {
            /* on a chain this node cannot verify (another process's
             * in-memory chain, eip155 without an RPC): kept, not counted,
             * and asking again would change nothing */
            (void)cer_node_set_anchor_status(a->node, &l->id, &r.anchor_commit, CER_ANCHOR_FAILED);
            pthread_mutex_lock(&a->lock);
            a->n_failed++;
            pthread_mutex_unlock(&a->lock);
            cer_node_event(a->node, "anchor", &l->id, "the CAS anchored %s, but its anchor is unverified here: not counted",
                           tip);
            rc = 0;
        }
    }
out:
    cer_cas_reply_free(&r);
    return rc;
}

static int cas_round(cer_anchorer *a)
{
    cer_batch_leaf *l = NULL;
    size_t n;
    int anchored = 0, rc = 0;
    char reason[256];

    /* requests are posted once, then polled: take every due entry */
    n = take_due(a, &l);
    n = n ? prepare(a, l, n) : 0;
    for (size_t i = 0; i < n; i++) {
        bool requested;
        int r;

        pthread_mutex_lock(&a->lock);
        {
            entry *e = find(a, &l[i].id);
            requested = e && e->requested;
            if (e && e->status == CER_ANCHOR_PROCESSING)
                e->status = CER_ANCHOR_PENDING;  /* due again at the next round */
        }
        pthread_mutex_unlock(&a->lock);
        if ((r = cas_step(a, &l[i], requested)) < 0) {
            snprintf(reason, sizeof reason, "%s", cer_errmsg());
            note_error(a, reason);
            attempt_failed(a, &l[i].id, &l[i].tip, reason);
            rc = r;
        } else {
            anchored += r;
        }
    }
    free(l);
    if (anchored) {
        pthread_mutex_lock(&a->lock);
        a->n_anchored += anchored;
        pthread_mutex_unlock(&a->lock);
        cer_node_count(a->node, "anchored", anchored);
    }
    if (!anchored && rc < 0)
        cer_err(rc, "%s", reason);  /* the last failure's (attempt_failed cleared it) */
    return anchored ? anchored : rc;
}

/* ------------------------------------------------------------------ */
/* The steps                                                            */
/* ------------------------------------------------------------------ */

/* Whether st's tip is an anchor commit that counts (verified here): an
 * unverified one anchors nothing, so its tip still wants an anchor. */
static bool tip_anchored(const cer_state *st)
{
    return cer_log_entry_anchored(&st->log[st->log_len - 1]);
}

static void on_change(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    cer_anchorer *a = arg;
    cer_state *st = NULL;
    bool ours;

    if (!a->active)
        return;
    /* a tip waiting here for its anchor, covered (still in the log) by an
     * anchor from elsewhere that nobody here can verify: that tip is
     * anchored instead (else anyone could keep our saves from ever being
     * anchored); a tip a fork replaced is dropped as before */
    if (!(flags & CER_CHANGE_LOCAL)) {
        if (a->cas)
            return;  /* the CAS's own answer, when unverified here, ends FAILED (cas_step) */
        entry *e;
        cer_cid queued;
        pthread_mutex_lock(&a->lock);
        if ((ours = (e = find(a, id)) != NULL))
            queued = e->tip;
        pthread_mutex_unlock(&a->lock);
        if (ours && cer_node_state(a->node, &st, id) == 0 && cer_cid_equal(cer_state_tip(st), tip) &&
            st->log[st->log_len - 1].type == CER_COMMIT_ANCHOR && !tip_anchored(st) && cer_state_in_log(st, &queued))
            (void)enqueue(a, id, tip);
        cer_state_free(st);
        cer_errclear();
        return;
    }
    if (flags & CER_CHANGE_NO_ANCHOR)
        return;  /* an app's write that asked for no anchor */
    /* our own anchor commits come back as local changes (so the sync
     * publishes them): never anchored again */
    pthread_mutex_lock(&a->lock);
    ours = a->applying && cer_cid_equal(&a->own, tip);
    pthread_mutex_unlock(&a->lock);
    if (!ours)
        (void)enqueue(a, id, tip);
}

/* One step: of the batcher's thread every interval, or cer_anchorer_flush. */
static int step(void *arg)
{
    cer_anchorer *a = arg;
    int rc = 0;

    if (a->active)
        rc = a->cas ? cas_round(a) : local_batch(a);
    if (a->checking)  /* anchors left unverified while the chain was away */
        (void)cer_node_recheck_anchors(a->node);
    return rc;
}

int cer_anchorer_flush(cer_anchorer *a)
{
    return cer_batcher_flush(a->batcher);
}

size_t cer_anchorer_pending(cer_anchorer *a)
{
    size_t n;

    pthread_mutex_lock(&a->lock);
    n = a->nq;
    pthread_mutex_unlock(&a->lock);
    return n;
}

int cer_anchorer_status(cer_anchorer *a, cJSON **out)
{
    cJSON *j = cJSON_CreateObject(), *e;
    size_t pending = 0, processing = 0;
    bool ok = j != NULL;

    *out = NULL;
    if (ok) {
        cJSON_AddStringToObject(j, "mode", a->cas ? "cas" : a->mode);
        if (a->cas) {
            cJSON_AddStringToObject(j, "service", a->service_url);
            cJSON_AddStringToObject(j, "auth", a->o.auth_did ? "did" : "none");
        } else
            cJSON_AddStringToObject(j, "chain", a->chain);
        if (a->eth_rpc)
            cJSON_AddStringToObject(j, "ethRpc", a->eth_rpc);
        cJSON_AddNumberToObject(j, "interval", a->o.interval);
    }
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->nq; i++)
        a->q[i].status == CER_ANCHOR_PROCESSING ? processing++ : pending++;
    if (ok) {
        cJSON_AddNumberToObject(j, "pending", (double)pending);
        cJSON_AddNumberToObject(j, "processing", (double)processing);
        cJSON_AddNumberToObject(j, "anchored", (double)a->n_anchored);
        cJSON_AddNumberToObject(j, "failed", (double)a->n_failed);
        /* the node's chain checks (cer_node_set_anchor_check) */
        cJSON_AddNumberToObject(j, "verified", (double)cer_node_counter(a->node, "anchor_verified"));
        cJSON_AddNumberToObject(j, "unverified", (double)cer_node_counter(a->node, "anchor_unverified"));
        cJSON_AddNumberToObject(j, "rejected", (double)cer_node_counter(a->node, "anchor_rejected"));
        cJSON_AddItemToObject(j, "lastBatch", a->last_batch ? cJSON_Duplicate(a->last_batch, 1) : cJSON_CreateNull());
        if (a->last_error[0] && (e = cJSON_CreateObject())) {
            cJSON_AddNumberToObject(e, "timeMs", (double)a->last_error_ms);
            cJSON_AddStringToObject(e, "message", a->last_error);
            cJSON_AddItemToObject(j, "lastError", e);
        } else {
            cJSON_AddItemToObject(j, "lastError", cJSON_CreateNull());
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (!ok) {
        cJSON_Delete(j);
        return cer_err(-ENOMEM, "anchor: out of memory");
    }
    *out = j;
    return 0;
}

static int status_section(cJSON **out, void *arg)
{
    return cer_anchorer_status(arg, out);
}

int cer_anchorer_request(cer_anchorer *a, const cer_streamref *id)
{
    cer_state *st = NULL;
    int rc;

    if (!a->active)
        return cer_err(-ENOTSUP, "anchor: anchoring is off (mode none)");
    if ((rc = cer_node_state(a->node, &st, id)) < 0)
        return rc;
    if (tip_anchored(st))
        rc = 1;
    else
        rc = enqueue(a, &st->id, cer_state_tip(st));
    cer_state_free(st);
    return rc;
}

typedef struct walk {
    cer_anchorer *a;
    bool all;
    int queued;
} walk;

static int queue_one(const cer_stream_info *info, void *arg)
{
    walk *w = arg;
    cer_state *st = NULL;

    if (!info->pinned && w->all)
        return 0;
    if (cer_node_state(w->a->node, &st, &info->id) == 0 && !tip_anchored(st)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(st->metadata, "controllers");
        bool mine = cJSON_IsArray(c) && cJSON_IsString(c->child) &&
                    strcmp(c->child->valuestring, cer_node_did(w->a->node)) == 0;
        bool resume = st->anchor_status == CER_ANCHOR_PENDING || st->anchor_status == CER_ANCHOR_PROCESSING;
        if ((w->all ? mine : resume) && enqueue(w->a, &st->id, cer_state_tip(st)) == 0)
            w->queued++;
    }
    cer_state_free(st);
    cer_errclear();
    return 0;
}

int cer_anchorer_request_all(cer_anchorer *a)
{
    walk w = {a, true, 0};
    int rc;

    if (!a->active)
        return cer_err(-ENOTSUP, "anchor: anchoring is off (mode none)");
    rc = cer_node_list(a->node, queue_one, &w);
    return rc < 0 ? rc : w.queued;
}

static int dup_opt(char **out, const char *s)
{
    *out = NULL;
    if (s && !(*out = strdup(s)))
        return cer_err(-ENOMEM, "anchor: out of memory");
    return 0;
}

int cer_anchorer_start(cer_anchorer **out, cer_node *node, const cer_anchor_opts *opts)
{
    cer_anchorer *a;
    int rc;

    *out = NULL;
    if (!(a = calloc(1, sizeof *a)))
        return cer_err(-ENOMEM, "anchor: out of memory");
    a->node = node;
    a->o = opts ? *opts : (cer_anchor_opts){0};
    cer_anchor_opts_defaults(&a->o);
    pthread_mutex_init(&a->lock, NULL);
    if ((rc = dup_opt(&a->mode, a->o.mode ? a->o.mode : "local")) < 0 ||
        (rc = dup_opt(&a->chain, a->o.chain ? a->o.chain : "inmemory")) < 0 ||
        (rc = dup_opt(&a->service_url, a->o.service_url)) < 0 || (rc = dup_opt(&a->eth_rpc, a->o.eth_rpc)) < 0 ||
        (rc = dup_opt(&a->eth_from, a->o.eth_from)) < 0)
        goto fail;
    a->o.mode = a->mode, a->o.chain = a->chain, a->o.service_url = a->service_url;
    a->o.eth_rpc = a->eth_rpc, a->o.eth_from = a->eth_from;
    if (strcmp(a->mode, "local") != 0 && strcmp(a->mode, "none") != 0) {
        rc = cer_err(-EINVAL, "anchor: mode '%s' is not local or none", a->mode);
        goto fail;
    }
    if (strcmp(a->chain, "inmemory") != 0 && strcmp(a->chain, "eth") != 0) {
        rc = cer_err(-EINVAL, "anchor: chain '%s' is not inmemory or eth", a->chain);
        goto fail;
    }
    if (strcmp(a->chain, "eth") == 0 && !a->eth_rpc) {
        rc = cer_err(-EINVAL, "anchor: chain eth needs an Ethereum RPC URL (--eth-rpc)");
        goto fail;
    }
    if (a->service_url) {
        size_t n = strlen(a->service_url);
        if (strncmp(a->service_url, "http://", 7) != 0 && strncmp(a->service_url, "https://", 8) != 0) {
            rc = cer_err(-EINVAL, "anchor: service URL must be http(s)");
            goto fail;
        }
        while (n > 8 && a->service_url[n - 1] == '/')
            a->service_url[--n] = '\0';
    }
    a->cas = a->service_url != NULL;
    a->client = (cer_cas){NULL, a->service_url, a->o.timeout, a->o.auth_did ? sign : NULL, node, false};
    a->active = strcmp(a->mode, "none") != 0;
    if ((rc = cer_node_set_anchor_check(node, &a->o)) < 0)
        goto fail;
    a->checking = a->eth_rpc != NULL;
    if ((rc = cer_node_listen(node, on_change, a)) < 0)
        goto fail;
    a->listening = true;
    if ((rc = cer_node_status_section(node, "anchor", status_section, a)) < 0)
        goto fail;
    a->sectioned = true;
    if (a->active) {
        walk w = {a, false, 0};
        (void)cer_node_list(node, queue_one, &w);
    }
    if ((rc = cer_batcher_start(&a->batcher, a->o.interval, step, a)) < 0)
        goto fail;
    a->client.http = cer_batcher_http(a->batcher);
    *out = a;
    return 0;
fail:
    {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", cer_errmsg());
        cer_anchorer_stop(a);
        return cer_err(rc, "%s", msg);
    }
}

void cer_anchorer_stop(cer_anchorer *a)
{
    if (!a)
        return;
    cer_batcher_stop(a->batcher);
    if (a->listening)
        (void)cer_node_unlisten(a->node, on_change, a);
    if (a->sectioned)
        (void)cer_node_unsection(a->node, "anchor");
    if (a->checking)
        (void)cer_node_set_anchor_check(a->node, NULL);
    cer_errclear();
    pthread_mutex_destroy(&a->lock);
    cJSON_Delete(a->last_batch);
    free(a->q);
    free(a->mode);
    free(a->chain);
    free(a->service_url);
    free(a->eth_rpc);
    free(a->eth_from);
    free(a);
}
