/*
 * sync.c — the Ceramic pubsub protocol (core/README.md, "Pubsub") for one node over
 * an IPFS daemon's HTTP RPC: UPDATE for our commits, QUERY/RESPONSE to
 * load streams from the network and to answer others, KEEPALIVE.
 *
 * Threads (core/README.md, "Threads and locks"): the subscription thread reads the daemon's NDJSON
 * stream, drops what it must (own messages, oversize, malformed, over the
 * rate, queue full, the oldest of more than QUEUED_PER_STREAM_MAX messages
 * queued for one stream: each a "pubsub" event and a counter), hands RESPONSEs
 * to waiting queries, answers QUERYs itself (a registry look-up and one
 * publish: an answer never waits behind a drain or a long load, or the
 * asking peer's query times out and it takes the genesis for the stream)
 * and queues the rest. The worker thread handles the queue (learn tips),
 * drains the node's journal of unpublished commits (push blocks to IPFS,
 * publish UPDATE with the commit's blocks inline when small, mark
 * published; oldest first, one UPDATE for a run of commits of one stream,
 * stopping at the first failure and retrying with backoff) and sends
 * KEEPALIVEs. Inline blocks that arrive are hashed, and only those the
 * tip names are kept (take_inline); the rest comes from IPFS as before.
 * The node listener only flags the journal as dirty and signals the
 * worker: it never blocks on I/O.
 * cer_sync_load runs on the caller's thread.
 *
 * Lock order: s->lock is never held across I/O or a node call.
 */
#include "ceramic.h"
#include "buf.h"
#include "clock.h"
#include "dagjose.h"
#include "error.h"
#include "ipfs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define QUERY_TIPS_MAX 16
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 15000
#define QUEUED_PER_STREAM_MAX 4 /* tip messages (UPDATE, RESPONSE) queued per stream */

typedef struct item {
    struct item *next;
    cer_msg msg;
} item;

typedef struct query {
    struct query *next;
    char id[CER_QUERY_ID_LEN + 2];
    cer_streamref stream;
    cer_cid tips[QUERY_TIPS_MAX];
    size_t ntips;
} query;

struct cer_sync {
    cer_node *node;
    cer_ipfs *ipfs;
    char topic[256];
    char network[32];
    long query_timeout_ms, query_quiet_ms, keepalive_ms;
    size_t queue_max;
    int rate_per_s;
    pthread_t sub_thr, work_thr;
    bool sub_started, work_started, listening, section;

    atomic_int stop;
    volatile int stop_flag;     /* the same, for cer_ipfs_sub */
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t work;        /* the worker has something to do, or stop */
    pthread_cond_t changed;     /* ready, refused, retry, query answers, stop */
    char peer[128];
    char ipfs_ver[64];
    bool ready;
    int refused;                /* the last subscription attempt could not reach the daemon:
                                 * its errno (ECONNREFUSED, EHOSTUNREACH); else 0 */
    bool retry;                 /* subscribe again now, not after the backoff */
    item *head, *tail;
    size_t qlen;
    query *queries;
    bool journal_dirty;
    long long drain_at, drain_backoff;
    long long last_pub;
    long long win_start;
    int win_count;
    int64_t n_in, n_out, n_dropped;
    char last_error[256];
};

static void set_error(cer_sync *s, const char *msg)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->last_error, sizeof s->last_error, "%s", msg);
    pthread_mutex_unlock(&s->lock);
}

/* A dropped or rejected message: event, counters. */
static void drop(cer_sync *s, const cer_streamref *id, const char *counter, const char *reason)
{
    pthread_mutex_lock(&s->lock);
    s->n_dropped++;
    pthread_mutex_unlock(&s->lock);
    cer_node_count(s->node, "pubsub_dropped", 1);
    cer_node_count(s->node, counter, 1);
    cer_node_event(s->node, "pubsub", id, "%s", reason);
}

/* ---- topics ---- */

int cer_sync_topic(char *out, size_t cap, const char *network, const char *topic)
{
    static const char *fixed[] = {"mainnet", "testnet-clay", "dev-unstable"};
    uint32_t r;
    int n;

    if (!network)
        network = "inmemory";
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(network, fixed[i]) == 0) {
            if (topic)
                return cer_err(-EINVAL, "sync: a pubsub topic can only be set for inmemory or local");
            n = snprintf(out, cap, "/ceramic/%s", network);
            return n >= 0 && (size_t)n < cap ? 0 : cer_err(-ENOSPC, "sync: topic buffer too small");
        }
    if (strcmp(network, "inmemory") != 0 && strcmp(network, "local") != 0)
        return cer_err(-EINVAL, "sync: unknown network '%s' (inmemory, local, dev-unstable, testnet-clay, mainnet)",
                       network);
    if (topic) {
        if (!topic[0] || strlen(topic) > 200)
            return cer_err(-EINVAL, "sync: pubsub topic must be 1..200 bytes");
        n = snprintf(out, cap, "%s", topic);
    } else {
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            return cer_err(-EIO, "sync: no randomness for the topic");
        n = snprintf(out, cap, "/ceramic/%s-%u", network, r);
    }
    return n >= 0 && (size_t)n < cap ? 0 : cer_err(-ENOSPC, "sync: topic buffer too small");
}

/* ---- publishing ---- */

static int publish(cer_sync *s, const cer_msg *m)
{
    char *text = NULL;
    int rc;

    if ((rc = cer_msg_encode(&text, m)) < 0)
        return rc;
    rc = cer_ipfs_pub(s->ipfs, s->topic, (const uint8_t *)text, strlen(text));
    free(text);
    pthread_mutex_lock(&s->lock);
    if (rc == 0) {
        s->n_out++;
        s->last_pub = cer_clock_ms(CLOCK_MONOTONIC);
    } else {
        snprintf(s->last_error, sizeof s->last_error, "%s", cer_errmsg());
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        cer_node_count(s->node, "pubsub_out", 1);
    return rc;
}

/* The blocks of commit tip from the local store: the commit block and,
 * for a DAG-JOSE envelope, the payload it links (cids[1], b[1]); *cap is
 * the CACAO its header names, if any (has_cap). Returns how many (1 or 2)
 * or a negative errno. */
static int commit_blocks(cer_store *st, const cer_cid *tip, cer_cid cids[2], cer_buf b[2], cer_cid *cap,
                         bool *has_cap)
{
    char c[CER_CID_STR_MAX + 8];
    cer_jws jws = {0};
    int rc, n = 1;

    *has_cap = false;
    cids[0] = *tip;
    if ((rc = cer_store_get(st, tip, &b[0])) < 0)
        return rc;
    if (tip->codec != CER_CODEC_DAG_JOSE)
        return 1;
    if ((rc = cer_dagjose_decode(&jws, b[0].data, b[0].len)) == 0 && jws.has_link) {
        cids[1] = jws.link;
        rc = cer_store_get(st, &jws.link, &b[1]);
        n = 2;
        *has_cap = cer_jws_header(&jws, 0, "cap", c, sizeof c) == 1 && strncmp(c, "ipfs://", 7) == 0 &&
                   cer_cid_parse(cap, c + 7) == 0;
    }
    cer_jws_free(&jws);
    return rc < 0 ? rc : n;
}

/* Push commit tip's blocks to IPFS so peers can fetch them, and the CACAO
 * a session key signed it under (nothing to push when the node's store is
 * not IPFS-backed; free when the store's writer has just written them).
 * Returns how many blocks it left in b (0 when they could not be read
 * from a store that is not IPFS-backed) or a negative errno. */
static int push_commit(cer_sync *s, const cer_cid *tip, cer_buf b[2])
{
    cer_store *st = cer_node_store(s->node);
    cer_cid cids[2], cap;
    bool has_cap;
    int n = commit_blocks(st, tip, cids, b, &cap, &has_cap), rc = n < 0 && cer_store_ipfs(st) ? n : 0;

    for (int i = 0; i < n && rc == 0 && cer_store_ipfs(st); i++)
        rc = cer_store_push(st, &cids[i]);
    if (rc == 0 && has_cap && cer_store_ipfs(st))
        rc = cer_store_push(st, &cap);
    return rc < 0 ? rc : n > 0 ? n : 0;
}

/* Get an UPDATE for tip ready: push the commit's blocks, and carry them
 * inline in m when together they are at most CER_MSG_INLINE_MAX bytes, so
 * a ceramicfs peer needs no bitswap round trip (the blocks move into m). */
static int prepare_update(cer_sync *s, cer_msg *m)
{
    cer_buf b[2] = {CER_BUF_INIT, CER_BUF_INIT};
    int n = push_commit(s, &m->tip, b), rc = n < 0 ? n : 0;

    if (n > 0 && b[0].len + (n > 1 ? b[1].len : 0) <= CER_MSG_INLINE_MAX) {
        for (int i = 0; i < n; i++) {
            m->inline_blocks[i] = b[i];
            b[i] = (cer_buf)CER_BUF_INIT;
        }
        m->ninline = (size_t)n;
    }
    cer_buf_free(&b[0]);
    cer_buf_free(&b[1]);
    return rc;
}

typedef struct jentry {
    cer_streamref id;
    cer_cid tip;
} jentry;

typedef struct jlist {
    jentry *v;
    size_t n, cap;
} jlist;

static int collect(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    jlist *l = arg;

    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 16;
        jentry *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return cer_err(-ENOMEM, "sync: out of memory");
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n++] = (jentry){*id, *tip};
    return 0;
}

/* Publish every unpublished commit, oldest first; stop at the first
 * failure. A run of entries of one stream (saves in a burst) is one
 * UPDATE, for the newest, sent once the whole run's blocks are pushed
 * and then the run is marked published. Within a run the blocks go
 * newest first: a peer that asked for the stream meanwhile got the tip
 * (QUERYs are answered at once) and walks back from it, so the tip and
 * the commits just behind it are the ones it needs first. */
static int drain(cer_sync *s)
{
    jlist l = {0};
    int rc = cer_node_unpublished(s->node, collect, &l);
    size_t end;

    for (size_t run = 0; rc == 0 && run < l.n; run = end + 1) {
        cer_msg m = {.typ = CER_MSG_UPDATE, .stream = l.v[run].id};
        for (end = run; end + 1 < l.n && cer_streamref_same_stream(&l.v[end].id, &l.v[end + 1].id); end++)
            ;
        m.tip = l.v[end].tip;
        if ((rc = prepare_update(s, &m)) < 0)
            cer_err_wrap(rc, "sync: publishing UPDATE");
        for (size_t i = end; rc == 0 && i-- > run;) {
            cer_buf b[2] = {CER_BUF_INIT, CER_BUF_INIT};
            int n = push_commit(s, &l.v[i].tip, b);
            rc = n < 0 ? cer_err_wrap(n, "sync: pushing a commit") : 0;
            cer_buf_free(&b[0]);
            cer_buf_free(&b[1]);
        }
        if (rc == 0 && (rc = publish(s, &m)) < 0)
            cer_err_wrap(rc, "sync: publishing UPDATE");
        cer_msg_free(&m);
        for (size_t i = run; i <= end && rc == 0; i++)
            if ((rc = cer_node_published(s->node, &l.v[i].id, &l.v[i].tip)) == -ENOENT)
                rc = 0;  /* marked by another drain meanwhile */
    }
    if (rc < 0)
        set_error(s, cer_errmsg());
    free(l.v);
    return rc;
}

static void on_change(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    cer_sync *s = arg;

    (void)id, (void)tip;
    if (!(flags & CER_CHANGE_LOCAL))
        return;
    pthread_mutex_lock(&s->lock);
    s->journal_dirty = true;
    s->drain_at = 0;  /* a user action: retry now even when backing off */
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
}

/* ---- incoming ---- */

static bool node_has(cer_sync *s, const cer_streamref *id)
{
    cer_stream_info info;

    return cer_node_info(s->node, id, &info) == 0;
}

static int learn(cer_sync *s, const cer_streamref *id, const cer_cid *tip, const char *what)
{
    char name[CER_CID_STR_MAX];
    int rc = cer_node_learn_tip(s->node, id, tip);

    if (rc == 1) {
        cer_node_count(s->node, "pubsub_learned", 1);
    } else if (rc == 0) {
        /* valid but moved nothing: a tip known already (a replay) or a
         * branch that lost; counted, not an error (peers re-announce) */
        cer_node_count(s->node, "pubsub_stale", 1);
    } else {
        cer_cid_to_string(name, sizeof name, tip);
        cer_node_count(s->node, "pubsub_rejected", 1);
        cer_node_event(s->node, "pubsub", id, "%s tip %s rejected: %s", what, name, cer_errmsg());
        set_error(s, cer_errmsg());
    }
    return rc;
}

/* Counts and logs inline blocks of an UPDATE that were not used (why),
 * kept of them were. */
static void inline_rejected(cer_sync *s, const cer_msg *m, const char *why, size_t kept)
{
    char name[CER_CID_STR_MAX];

    cer_cid_to_string(name, sizeof name, &m->tip);
    cer_node_count(s->node, "pubsub_inline_rejected", 1);
    cer_node_event(s->node, "pubsub", &m->stream, "UPDATE tip %s: inline blocks %s (%s)%s", name,
                   kept ? "partly used" : "not used", why, kept ? "" : "; fetching from IPFS");
}

/* The inline blocks of an UPDATE, never trusted: each one's CID is
 * recomputed over its bytes and only the blocks the tip references are
 * kept (the tip commit itself; for a DAG-JOSE tip, the payload its envelope
 * links), put in the local store, their CIDs in kept[] (*nkept). Anything
 * else (a forged or unrelated block, a missing payload) is counted and
 * logged and left to the normal path: learn() then fetches from IPFS
 * whatever is still missing and verifies everything. */
static void take_inline(cer_sync *s, const cer_msg *m, cer_cid kept[2], size_t *nkept)
{
    cer_store *st = cer_node_store(s->node);
    const cer_buf *b = m->inline_blocks, *commit = NULL, *payload = NULL;
    cer_jws jws = {0};
    char err[256];
    const char *why = NULL;
    int rc = 0;

    *nkept = 0;
    for (size_t i = 0; i < m->ninline && !commit; i++)
        if (cer_cid_check_block(&m->tip, b[i].data, b[i].len) == 0)
            commit = &b[i];
    if (!commit) {
        why = "no block hashes to the tip";
    } else if (m->tip.codec == CER_CODEC_DAG_JOSE) {
        if (cer_dagjose_decode(&jws, commit->data, commit->len) < 0 || !jws.has_link)
            why = "the tip is not a DAG-JOSE envelope with a link";
        for (size_t i = 0; i < m->ninline && !why && !payload; i++)
            if (&b[i] != commit && cer_cid_check_block(&jws.link, b[i].data, b[i].len) == 0)
                payload = &b[i];
        if (!why && !payload)
            why = "no block hashes to the envelope's payload link";
    }
    if (!why && m->ninline > (payload ? 2u : 1u))
        why = "a block the tip does not reference";
    /* payload first, and an envelope only with its payload: a store
     * holding the envelope holds its payload too */
    if (payload && (rc = cer_store_has(st, &jws.link)) == 0 &&
        (rc = cer_store_put_local(st, &jws.link, payload->data, payload->len)) == 0)
        kept[(*nkept)++] = jws.link;
    if (commit && (payload || m->tip.codec != CER_CODEC_DAG_JOSE) && rc >= 0 &&
        (rc = cer_store_has(st, &m->tip)) == 0 &&
        (rc = cer_store_put_local(st, &m->tip, commit->data, commit->len)) == 0)
        kept[(*nkept)++] = m->tip;
    cer_jws_free(&jws);
    if (*nkept)
        cer_node_count(s->node, "pubsub_inline_kept", (int64_t)*nkept);
    if (rc < 0) {
        snprintf(err, sizeof err, "%s", cer_errmsg());
        why = err;
    }
    if (why)
        inline_rejected(s, m, why, *nkept);
}

static void handle(cer_sync *s, cer_msg *m)
{
    switch (m->typ) {
    case CER_MSG_UPDATE:
        if (node_has(s, &m->stream)) {
            cer_cid kept[2];
            size_t nkept = 0;
            if (m->ninline)
                take_inline(s, m, kept, &nkept);
            else if (m->inline_error[0])
                inline_rejected(s, m, m->inline_error, 0);
            /* the write-through of inline blocks after the tip moved: it is
             * for other peers' bitswap, not for this node */
            if (learn(s, &m->stream, &m->tip, "UPDATE") >= 0 && cer_store_ipfs(cer_node_store(s->node)))
                for (size_t i = 0; i < nkept; i++)
                    (void)cer_store_push(cer_node_store(s->node), &kept[i]);
        }
        break;
    case CER_MSG_RESPONSE:
        /* not for one of our queries: still news for streams we hold */
        for (size_t i = 0; i < m->ntips; i++)
            if (node_has(s, &m->tips[i].stream))
                learn(s, &m->tips[i].stream, &m->tips[i].tip, "RESPONSE");
        break;
    default:
        break;
    }
}

/* A QUERY for a stream we have: a RESPONSE naming its tip (on the
 * subscription thread: no disk I/O, one publish). */
static void answer(cer_sync *s, const cer_msg *m)
{
    cer_stream_info info;
    cer_tip_entry e;
    cer_msg r = {.typ = CER_MSG_RESPONSE, .ntips = 1, .tips = &e};

    if (cer_node_info(s->node, &m->stream, &info) < 0)
        return;  /* silent, as js-ceramic */
    memcpy(r.id, m->id, sizeof r.id);
    e.stream = info.id;
    e.tip = info.tip;
    if (publish(s, &r) == 0)
        cer_node_count(s->node, "pubsub_answered", 1);
}

/* A RESPONSE to one of our queries goes to its waiter: true if taken. */
static bool answer_query(cer_sync *s, const cer_msg *m)
{
    bool taken = false;

    pthread_mutex_lock(&s->lock);
    for (query *q = s->queries; q; q = q->next) {
        if (strcmp(q->id, m->id) != 0)
            continue;
        taken = true;
        for (size_t i = 0; i < m->ntips; i++)
            if (cer_streamref_same_stream(&m->tips[i].stream, &q->stream) && q->ntips < QUERY_TIPS_MAX) {
                bool dup = false;
                for (size_t j = 0; j < q->ntips; j++)
                    dup |= cer_cid_equal(&q->tips[j], &m->tips[i].tip);
                if (!dup)
                    q->tips[q->ntips++] = m->tips[i].tip;
            }
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    return taken;
}

/* The stream a queued message is about. */
static const cer_streamref *about_stream(const cer_msg *m)
{
    if (m->typ == CER_MSG_UPDATE)
        return &m->stream;
    return m->typ == CER_MSG_RESPONSE && m->ntips > 0 ? &m->tips[0].stream : NULL;
}

/* Each unknown tip can cost a block fetch timeout, so a flood of them
 * for one stream would hold the worker for hours and a real update behind
 * them. When QUEUED_PER_STREAM_MAX tip messages (UPDATE, RESPONSE) for m's
 * stream are queued, the oldest is taken out and returned for the caller
 * to drop: a writer's newer tips extend its older ones, so the newest are
 * worth a fetch. Call with s->lock held. */
static item *unqueue_oldest_locked(cer_sync *s, const cer_msg *m)
{
    const cer_streamref *id = about_stream(m), *o;
    item *first = NULL, *before = NULL, *prev = NULL;
    int n = 0;

    if (!id)
        return NULL;
    for (item *it = s->head; it; prev = it, it = it->next)
        if ((o = about_stream(&it->msg)) && cer_streamref_same_stream(o, id) && n++ == 0) {
            first = it;
            before = prev;
        }
    if (n < QUEUED_PER_STREAM_MAX)
        return NULL;
    if (before)
        before->next = first->next;
    else
        s->head = first->next;
    if (s->tail == first)
        s->tail = before;
    s->qlen--;
    first->next = NULL;
    return first;
}

static int on_sub(void *arg, int event, const cer_ipfs_msg *im, int err)
{
    cer_sync *s = arg;
    char why[320];
    item *it, *old;
    bool self, over_rate = false, full = false;
    long long now;
    int rc;

    if (atomic_load(&s->stop))
        return 1;
    if (event == CER_IPFS_SUB_READY) {
        pthread_mutex_lock(&s->lock);
        s->ready = true;
        s->journal_dirty = true;  /* (re)connected: publish what waited */
        s->drain_at = 0;
        pthread_cond_broadcast(&s->changed);
        pthread_cond_signal(&s->work);
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    if (event == CER_IPFS_SUB_BAD) {
        snprintf(why, sizeof why, "dropped: %s", cer_errmsg());
        drop(s, NULL, err == -EFBIG ? "pubsub_oversize" : "pubsub_malformed", why);
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    self = s->peer[0] && strcmp(im->from, s->peer) == 0;
    now = cer_clock_ms(CLOCK_MONOTONIC);
    if (!self) {
        if (now - s->win_start >= 1000) {
            s->win_start = now;
            s->win_count = 0;
        }
        over_rate = ++s->win_count > s->rate_per_s;
        s->n_in++;
    }
    pthread_mutex_unlock(&s->lock);
    if (self)
        return 0;  /* our own message, echoed by our daemon */
    cer_node_count(s->node, "pubsub_in", 1);
    if (!im->from[0])
        return drop(s, NULL, "pubsub_unsigned", "dropped: unsigned pubsub message (no 'from')"), 0;
    if (im->len > CER_MSG_MAX) {
        snprintf(why, sizeof why, "dropped: message of %zu bytes from %s is over %d", im->len, im->from,
                 CER_MSG_MAX);
        return drop(s, NULL, "pubsub_oversize", why), 0;
    }
    if (over_rate) {
        snprintf(why, sizeof why, "dropped: over %d messages/s (from %s)", s->rate_per_s, im->from);
        return drop(s, NULL, "pubsub_ratelimited", why), 0;
    }
    if (!(it = calloc(1, sizeof *it)))
        return drop(s, NULL, "pubsub_nomem", "dropped: out of memory"), 0;
    if ((rc = cer_msg_parse(&it->msg, im->data, im->len)) < 0) {
        snprintf(why, sizeof why, "dropped: malformed message from %s: %s", im->from, cer_errmsg());
        free(it);
        return drop(s, NULL, "pubsub_malformed", why), 0;
    }
    if (it->msg.ninline && !node_has(s, &it->msg.stream)) {
        /* handle() ignores it: do not hold its blocks in the queue */
        for (size_t i = 0; i < it->msg.ninline; i++)
            cer_buf_free(&it->msg.inline_blocks[i]);
        it->msg.ninline = 0;
    }
    if (it->msg.typ == CER_MSG_QUERY)
        answer(s, &it->msg);
    if (it->msg.typ == CER_MSG_KEEPALIVE || it->msg.typ == CER_MSG_QUERY ||
        (it->msg.typ == CER_MSG_RESPONSE && answer_query(s, &it->msg))) {
        cer_msg_free(&it->msg);
        free(it);
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    old = unqueue_oldest_locked(s, &it->msg);
    if (s->qlen >= s->queue_max) {
        full = true;
    } else {
        if (s->tail)
            s->tail->next = it;
        else
            s->head = it;
        s->tail = it;
        s->qlen++;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->lock);
    if (old) {
        snprintf(why, sizeof why, "dropped: an older message, over %d queued for the stream (latest from %s)",
                 QUEUED_PER_STREAM_MAX, im->from);
        drop(s, about_stream(&old->msg), "pubsub_superseded", why);
        cer_msg_free(&old->msg);
        free(old);
    }
    if (full) {
        snprintf(why, sizeof why, "dropped: queue full (%zu messages), from %s", s->queue_max, im->from);
        drop(s, it->msg.typ == CER_MSG_RESPONSE ? NULL : &it->msg.stream, "pubsub_queuefull", why);
        cer_msg_free(&it->msg);
        free(it);
    }
    return 0;
}

/* A call that failed before any daemon answered: nothing listens there. */
static bool unreachable(int rc)
{
    return rc == -ECONNREFUSED || rc == -EHOSTUNREACH;
}

/* Fetch peer ID and version once; 0 or a negative errno. */
static int identify(cer_sync *s)
{
    char peer[128], ver[64];
    int rc;

    pthread_mutex_lock(&s->lock);
    rc = s->peer[0] ? 1 : 0;
    pthread_mutex_unlock(&s->lock);
    if (rc)
        return 0;
    if ((rc = cer_ipfs_id(s->ipfs, peer, sizeof peer)) < 0)
        return rc;
    if (cer_ipfs_version(s->ipfs, ver, sizeof ver) < 0)
        snprintf(ver, sizeof ver, "unknown");
    pthread_mutex_lock(&s->lock);
    memcpy(s->peer, peer, sizeof peer);
    memcpy(s->ipfs_ver, ver, sizeof ver);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void *sub_main(void *arg)
{
    cer_sync *s = arg;
    long long backoff = BACKOFF_MIN_MS;
    struct timespec ts;
    int rc;

    while (!atomic_load(&s->stop)) {
        long long started = cer_clock_ms(CLOCK_MONOTONIC);
        if ((rc = identify(s)) == 0)
            rc = cer_ipfs_sub(s->ipfs, s->topic, on_sub, s, &s->stop_flag);
        pthread_mutex_lock(&s->lock);
        s->ready = false;
        s->refused = unreachable(rc) ? -rc : 0;
        if (rc < 0)
            snprintf(s->last_error, sizeof s->last_error, "%s", cer_errmsg());
        pthread_cond_broadcast(&s->changed);  /* lookups waiting for it fail at once when refused */
        pthread_mutex_unlock(&s->lock);
        if (atomic_load(&s->stop))
            break;
        cer_node_count(s->node, "pubsub_resubscribe", 1);
        if (cer_clock_ms(CLOCK_MONOTONIC) - started > 10000)
            backoff = BACKOFF_MIN_MS;  /* it had been working */
        pthread_mutex_lock(&s->lock);
        cer_clock_deadline(&ts, CLOCK_MONOTONIC, backoff);
        while (!atomic_load(&s->stop) && !s->retry && pthread_cond_timedwait(&s->changed, &s->lock, &ts) == 0)
            ;
        s->retry = false;
        pthread_mutex_unlock(&s->lock);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    return NULL;
}

static void keepalive(cer_sync *s)
{
    cer_msg m = {.typ = CER_MSG_KEEPALIVE};

    m.ts = cer_clock_ms(CLOCK_REALTIME);
    snprintf(m.ver, sizeof m.ver, "ceramicfs-%s", CER_VERSION);
    pthread_mutex_lock(&s->lock);
    snprintf(m.ipfs_ver, sizeof m.ipfs_ver, "%s", s->ipfs_ver[0] ? s->ipfs_ver : "unknown");
    s->last_pub = cer_clock_ms(CLOCK_MONOTONIC);  /* also on failure: try again one interval later */
    pthread_mutex_unlock(&s->lock);
    (void)publish(s, &m);
}

static void *work_main(void *arg)
{
    cer_sync *s = arg;
    struct timespec ts;

    cer_ipfs_background_thread();  /* pushes and publishes after saves */
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stop)) {
        long long now = cer_clock_ms(CLOCK_MONOTONIC), wait;
        if (s->head) {
            item *it = s->head;
            if (!(s->head = it->next))
                s->tail = NULL;
            s->qlen--;
            pthread_mutex_unlock(&s->lock);
            handle(s, &it->msg);
            cer_msg_free(&it->msg);
            free(it);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        if (s->journal_dirty && now >= s->drain_at) {
            s->journal_dirty = false;
            pthread_mutex_unlock(&s->lock);
            int rc = drain(s);
            pthread_mutex_lock(&s->lock);
            if (rc < 0) {
                s->journal_dirty = true;
                s->drain_backoff = s->drain_backoff ? s->drain_backoff * 2 : BACKOFF_MIN_MS;
                if (s->drain_backoff > BACKOFF_MAX_MS)
                    s->drain_backoff = BACKOFF_MAX_MS;
                s->drain_at = cer_clock_ms(CLOCK_MONOTONIC) + s->drain_backoff;
            } else {
                s->drain_backoff = 0;
            }
            continue;
        }
        if (s->ready && now - s->last_pub >= s->keepalive_ms) {
            pthread_mutex_unlock(&s->lock);
            keepalive(s);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        wait = s->last_pub + s->keepalive_ms - now;
        if (s->journal_dirty && s->drain_at - now < wait)
            wait = s->drain_at - now;
        if (wait < 10)
            wait = 10;
        if (wait > 1000)
            wait = 1000;
        cer_clock_deadline(&ts, CLOCK_MONOTONIC, wait);
        pthread_cond_timedwait(&s->work, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- status ---- */

/* The "ipfs" status section, registered with the node: url, peer,
 * connected, network, topic, in, out, dropped, queued, last_error. */
static int status_fn(cJSON **out, void *arg)
{
    cer_sync *s = arg;
    cer_store_ipfs_stats st;
    cJSON *o = cJSON_CreateObject();
    bool ok;

    *out = NULL;
    cer_store_ipfs_stats_get(cer_node_store(s->node), &st);
    pthread_mutex_lock(&s->lock);
    ok = o && cJSON_AddStringToObject(o, "url", cer_ipfs_url(s->ipfs)) &&
         (s->peer[0] ? cJSON_AddStringToObject(o, "peer", s->peer) : cJSON_AddNullToObject(o, "peer")) &&
         cJSON_AddBoolToObject(o, "connected", s->ready) && cJSON_AddStringToObject(o, "network", s->network) &&
         cJSON_AddStringToObject(o, "topic", s->topic) && cJSON_AddNumberToObject(o, "in", (double)s->n_in) &&
         cJSON_AddNumberToObject(o, "out", (double)s->n_out) &&
         cJSON_AddNumberToObject(o, "dropped", (double)s->n_dropped) &&
         cJSON_AddNumberToObject(o, "queued", (double)s->qlen) &&
         cJSON_AddNumberToObject(o, "blocks_fetched", (double)st.fetched) &&
         cJSON_AddNumberToObject(o, "blocks_written", (double)st.written) &&
         cJSON_AddNumberToObject(o, "blocks_write_failed", (double)st.write_failed) &&
         cJSON_AddNumberToObject(o, "blocks_queued", (double)st.queued) &&
         cJSON_AddNumberToObject(o, "blocks_queued_since_ms", (double)st.oldest_at_ms) &&
         cJSON_AddNumberToObject(o, "blocks_skipped", (double)st.skipped) &&
         (s->last_error[0] ? cJSON_AddStringToObject(o, "last_error", s->last_error)
                           : cJSON_AddNullToObject(o, "last_error"));
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        cJSON_Delete(o);
        return cer_err(-ENOMEM, "sync: out of memory");
    }
    *out = o;
    return 0;
}

/* ---- open, close ---- */

/* The node's way to the network (cer_node_set_fetch): the 3ID document
 * of a did:3 signer, loaded as cer_sync_load does. */
static int fetch(void *arg, const cer_streamref *id)
{
    int rc = cer_sync_load(arg, id, 0);

    return rc < 0 ? rc : 0;
}

int cer_sync_open(cer_sync **out, cer_node *node, const cer_sync_opts *opts)
{
    cer_sync *s;
    int rc;

    *out = NULL;
    if (!node || !opts)
        return cer_err(-EINVAL, "sync: no node or options");
    if (!(s = calloc(1, sizeof *s)))
        return cer_err(-ENOMEM, "sync: out of memory");
    s->node = node;
    pthread_mutex_init(&s->lock, NULL);
    {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->work, &ca);
        pthread_cond_init(&s->changed, &ca);
        pthread_condattr_destroy(&ca);
    }
    snprintf(s->network, sizeof s->network, "%s", opts->network ? opts->network : "inmemory");
    s->query_timeout_ms = opts->query_timeout_ms > 0 ? opts->query_timeout_ms : 3000;
    s->query_quiet_ms = opts->query_quiet_ms > 0 ? opts->query_quiet_ms : 300;
    s->keepalive_ms = opts->keepalive_ms > 0 ? opts->keepalive_ms : 30000;
    s->queue_max = opts->queue_max > 0 ? (size_t)opts->queue_max : 1024;
    s->rate_per_s = opts->rate_per_s > 0 ? opts->rate_per_s : 200;
    s->last_pub = cer_clock_ms(CLOCK_MONOTONIC) - s->keepalive_ms;  /* first KEEPALIVE right after start, as js */
    s->journal_dirty = true;
    if ((rc = cer_sync_topic(s->topic, sizeof s->topic, opts->network, opts->pubsub_topic)) < 0 ||
        (rc = cer_ipfs_open(&s->ipfs, &opts->ipfs)) < 0)
        goto fail;
    if ((rc = cer_node_listen(node, on_change, s)) < 0)
        goto fail;
    s->listening = true;
    if ((rc = cer_node_status_section(node, "ipfs", status_fn, s)) < 0)
        goto fail;
    s->section = true;
    if (pthread_create(&s->work_thr, NULL, work_main, s) != 0) {
        rc = cer_err(-EAGAIN, "sync: cannot start a thread");
        goto fail;
    }
    s->work_started = true;
    if (pthread_create(&s->sub_thr, NULL, sub_main, s) != 0) {
        rc = cer_err(-EAGAIN, "sync: cannot start a thread");
        goto fail;
    }
    s->sub_started = true;
    cer_node_set_fetch(node, fetch, s);
    *out = s;
    return 0;
fail:
    {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", cer_errmsg());
        cer_sync_close(s);
        cer_err(rc, "%s", msg);
    }
    return rc;
}

void cer_sync_close(cer_sync *s)
{
    if (!s)
        return;
    if (s->sub_started)
        cer_node_set_fetch(s->node, NULL, NULL);
    if (s->listening)
        cer_node_unlisten(s->node, on_change, s);
    if (s->section)
        cer_node_unsection(s->node, "ipfs");
    atomic_store(&s->stop, 1);
    s->stop_flag = 1;
    pthread_mutex_lock(&s->lock);
    pthread_cond_broadcast(&s->work);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    if (s->sub_started)
        pthread_join(s->sub_thr, NULL);
    if (s->work_started)
        pthread_join(s->work_thr, NULL);
    for (item *it = s->head, *next; it; it = next) {
        next = it->next;
        cer_msg_free(&it->msg);
        free(it);
    }
    cer_ipfs_close(s->ipfs);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- waiting and loading ---- */

int cer_sync_wait_ready(cer_sync *s, int timeout_ms)
{
    struct timespec ts;
    char peer[128];
    bool probed = false;
    int rc = 0, probe;

    cer_clock_deadline(&ts, CLOCK_MONOTONIC, timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->ready && !atomic_load(&s->stop) && (probed || !s->refused) && rc == 0)
            rc = pthread_cond_timedwait(&s->changed, &s->lock, &ts);
        if (s->ready || atomic_load(&s->stop) || probed || !s->refused || rc != 0)
            break;
        /* The daemon refused the subscription's last attempt: rather than
         * wait out the timeout, ask it once (a refused connection answers
         * at once). Refused again: fail now. Back: subscribe now, wait. */
        pthread_mutex_unlock(&s->lock);
        probe = cer_ipfs_id(s->ipfs, peer, sizeof peer);
        pthread_mutex_lock(&s->lock);
        if (unreachable(probe)) {
            char why[256];  /* cer_err must not format its own buffer into itself */
            snprintf(why, sizeof why, "%s", cer_errmsg());
            pthread_mutex_unlock(&s->lock);
            return cer_err(probe, "sync: the IPFS daemon does not answer: %s", why);
        }
        probed = true;
        s->retry = true;
        pthread_cond_broadcast(&s->changed);
    }
    rc = s->ready ? 0 : cer_err(-ETIMEDOUT, "sync: no subscription to %s after %d ms: %s", s->topic, timeout_ms,
                                s->last_error[0] ? s->last_error : "no answer");
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int count_one(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    (void)id, (void)tip;
    ++*(size_t *)arg;
    return 0;
}

int cer_sync_flush(cer_sync *s, int timeout_ms)
{
    long long end = cer_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
    struct timespec ts = {0, 20 * 1000000};

    for (;;) {
        size_t n = 0;
        int rc = cer_node_unpublished(s->node, count_one, &n);
        if (rc < 0)
            return rc;
        if (n == 0)
            return 0;
        if (cer_clock_ms(CLOCK_MONOTONIC) >= end)
            return cer_err(-ETIMEDOUT, "sync: %zu commits still unpublished after %d ms", n, timeout_ms);
        nanosleep(&ts, NULL);
    }
}

int cer_sync_load(cer_sync *s, const cer_streamref *id, int timeout_ms)
{
    cer_msg m = {.typ = CER_MSG_QUERY};
    query q = {0}, **pp;
    struct timespec ts;
    cer_cid tips[QUERY_TIPS_MAX];
    size_t n = 0;
    long long t0 = cer_clock_ms(CLOCK_MONOTONIC), first = timeout_ms > 0 ? timeout_ms : s->query_timeout_ms;
    int rc, moved = 0, err = 0;
    char errbuf[512] = "";

    m.stream = *id;
    m.stream.is_commit = false;
    q.stream = m.stream;
    if ((rc = cer_query_id(q.id, &m.stream)) < 0)
        return rc;
    memcpy(m.id, q.id, sizeof m.id);
    pthread_mutex_lock(&s->lock);
    q.next = s->queries;
    s->queries = &q;
    pthread_mutex_unlock(&s->lock);

    if ((rc = cer_sync_wait_ready(s, (int)first)) == 0 && (rc = publish(s, &m)) == 0) {
        /* the first answer within first ms, then while they keep coming */
        pthread_mutex_lock(&s->lock);
        cer_clock_deadline(&ts, CLOCK_MONOTONIC, first - (cer_clock_ms(CLOCK_MONOTONIC) - t0) > 0 ? first - (cer_clock_ms(CLOCK_MONOTONIC) - t0) : 0);
        while (q.ntips == 0 && !atomic_load(&s->stop) && pthread_cond_timedwait(&s->changed, &s->lock, &ts) == 0)
            ;
        while (q.ntips > 0 && q.ntips < QUERY_TIPS_MAX && !atomic_load(&s->stop)) {
            size_t seen = q.ntips;
            cer_clock_deadline(&ts, CLOCK_MONOTONIC, s->query_quiet_ms);
            while (q.ntips == seen && !atomic_load(&s->stop) &&
                   pthread_cond_timedwait(&s->changed, &s->lock, &ts) == 0)
                ;
            if (q.ntips == seen)
                break;
        }
        pthread_mutex_unlock(&s->lock);
    } else {
        snprintf(errbuf, sizeof errbuf, "%s", cer_errmsg());
    }
    pthread_mutex_lock(&s->lock);
    for (pp = &s->queries; *pp; pp = &(*pp)->next)
        if (*pp == &q) {
            *pp = q.next;
            break;
        }
    n = q.ntips;
    memcpy(tips, q.tips, n * sizeof *tips);
    pthread_mutex_unlock(&s->lock);

    for (size_t i = 0; i < n; i++) {
        int r = cer_node_learn_tip(s->node, &m.stream, &tips[i]);
        if (r == 1)
            moved = 1;
        else if (r < 0) {
            char name[CER_CID_STR_MAX];
            err = r;
            cer_cid_to_string(name, sizeof name, &tips[i]);
            cer_node_count(s->node, "pubsub_rejected", 1);
            cer_node_event(s->node, "pubsub", &m.stream, "RESPONSE tip %s rejected: %s", name, cer_errmsg());
            snprintf(errbuf, sizeof errbuf, "%s", cer_errmsg());
        }
    }
    if (node_has(s, &m.stream))
        return moved;
    /* nobody answered (or every answer failed): the genesis alone, as js
     * takes it; said in .errors, since the content shown may be far
     * behind the network's until an UPDATE or a RESPONSE brings the tip */
    if ((rc = cer_node_learn_tip(s->node, &m.stream, &m.stream.genesis)) >= 0) {
        if (rc == 1 && n == 0)
            cer_node_event(s->node, "load", &m.stream, "no peer answered the QUERY within %lld ms%s%s: "
                           "the genesis alone until a peer announces the tip", first, errbuf[0] ? ": " : "",
                           errbuf);
        return rc;
    }
    if (errbuf[0]) {
        char why[512];  /* cer_err must not format its own buffer into itself */
        snprintf(why, sizeof why, "%s", cer_errmsg());
        return cer_err(err ? err : rc, "sync: cannot load the stream: %s; genesis: %s", errbuf, why);
    }
    return cer_err_wrap(rc, "sync: no answer to QUERY and no genesis");
}
