/*
 * ipfsstore.c — the IPFS-backed block store: a store backend that layers
 * an IPFS daemon (ipfs.c) under a local store (the embedded flatfs or the
 * memory store). Writes go to the local store (the truth, durable) and
 * return; a writer thread then writes them through to IPFS, oldest first,
 * so peers can fetch them over bitswap: a save never waits on the
 * network. Reads come from local, else from IPFS (re-hashed in ipfs.c,
 * again by the store front end) and are then kept locally. The front end
 * in store.c checks every block, so this file only moves bytes.
 *
 * The writer's queue holds CIDs only (the bytes are read back from local)
 * and is bounded (QUEUE_MAX): when IPFS lags that far, a put still
 * succeeds and its block is not queued (counted as skipped). Nothing is
 * lost by that: the sync layer pushes a commit's blocks (cer_store_push,
 * on its own thread) before it announces the commit, from the node's
 * journal, which is durable. That push is free for a block the writer
 * has written (the last RECENT_MAX writes), and waits for the writer when
 * it is writing that very block, so a commit costs its block/puts once.
 *
 * Offline first: a failed write-through is counted, and the writer
 * pauses, PAUSE_MS after the first failure and twice as long after each
 * next one up to PAUSE_MAX_MS, so a dead daemon costs one connection
 * attempt a second, not one per block. At close the writer finishes its
 * queue while the daemon answers, for up to CLOSE_MS, and stops at the
 * first failure: the commits among what is left are still in the node's
 * journal (a commit leaves it only once its blocks were pushed), so the
 * next start pushes them.
 *
 * A block is written once: the writer skips a block written lately and
 * waits for a push that is writing it (PUSH_MAX pushes are tracked; past
 * that a block may go twice, which costs a request, never a block).
 */
#include "store.h"
#include "cid.h"
#include "clock.h"
#include "error.h"
#include "ipfs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAUSE_MS 1000
#define PAUSE_MAX_MS 60000
#define RECENT_MAX 1024
#define RECENT_SLOTS (2 * RECENT_MAX) /* the index of recent: a power of two, half full */
#define QUEUE_MAX 4096
#define CLOSE_MS 5000           /* how long close lets the writer finish its queue */
#define PUSH_MAX 8              /* pushes in flight the writer knows of */

typedef struct queued {
    cer_cid cid;
    long long at;               /* ms, wall clock: when it was put */
} queued;

typedef struct ipfs_store {
    cer_store base;
    cer_store *local;
    cer_ipfs *ipfs;
    atomic_llong fetched, fetch_failed, written, write_failed, skipped;
    pthread_t writer;
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t wake;        /* a block queued, the pause over, or stop */
    pthread_cond_t wrote;       /* the writer finished a block */
    bool stop;
    long long stop_at;          /* ms, monotonic: the writer gives up its queue */
    long long pause_until;      /* ms, monotonic */
    long long pause_ms;         /* the next pause; 0 after a success */
    queued *queue;              /* a ring of QUEUE_MAX */
    size_t qhead, qlen;
    bool busy;                  /* the writer is writing cur */
    cer_cid cur;
    cer_cid pushing[PUSH_MAX];  /* blocks cer_store_push is writing */
    bool push_busy[PUSH_MAX];
    cer_cid recent[RECENT_MAX]; /* the last blocks written through, a ring */
    size_t nrecent;             /* entries so far; the next slot is nrecent % RECENT_MAX */
    uint16_t recent_at[RECENT_SLOTS]; /* open addressing by cer_cid_hash: 1 + a slot of recent, 0 empty */
} ipfs_store;

static const cer_store_ops ipfs_ops;

/* recent's index: where cid is (recent_at[i] != 0), else the empty slot
 * where it would go. Call with s->lock held. */
static size_t recent_find(const ipfs_store *s, const cer_cid *cid)
{
    size_t i = (size_t)cer_cid_hash(cid) & (RECENT_SLOTS - 1);

    while (s->recent_at[i] && !cer_cid_equal(&s->recent[s->recent_at[i] - 1], cid))
        i = (i + 1) & (RECENT_SLOTS - 1);
    return i;
}

/* Call with s->lock held. */
static bool recently_written(const ipfs_store *s, const cer_cid *cid)
{
    return s->recent_at[recent_find(s, cid)] != 0;
}

/* Drops index slot i, moving later entries of its probe run back so every
 * entry stays reachable from its home slot (linear probing's deletion). */
static void recent_unindex(ipfs_store *s, size_t i)
{
    size_t j = i;

    s->recent_at[i] = 0;
    for (;;) {
        size_t home;

        j = (j + 1) & (RECENT_SLOTS - 1);
        if (!s->recent_at[j])
            return;
        home = (size_t)cer_cid_hash(&s->recent[s->recent_at[j] - 1]) & (RECENT_SLOTS - 1);
        /* the entry at j may fill i unless its home lies cyclically in (i, j] */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            s->recent_at[i] = s->recent_at[j];
            s->recent_at[j] = 0;
            i = j;
        }
    }
}

/* cid written through: remembered, the oldest of RECENT_MAX forgotten (a
 * block written again keeps its first place). Call with s->lock held. */
static void recent_add(ipfs_store *s, const cer_cid *cid)
{
    size_t slot = s->nrecent % RECENT_MAX;

    if (recently_written(s, cid))
        return;
    if (s->nrecent >= RECENT_MAX)
        recent_unindex(s, recent_find(s, &s->recent[slot]));
    s->recent[slot] = *cid;
    s->recent_at[recent_find(s, cid)] = (uint16_t)(slot + 1);
    s->nrecent++;
}

/* The push slot writing cid, or -1. Call with s->lock held. */
static int push_slot(const ipfs_store *s, const cer_cid *cid)
{
    for (int i = 0; i < PUSH_MAX; i++)
        if (s->push_busy[i] && cer_cid_equal(&s->pushing[i], cid))
            return i;
    return -1;
}

/* One block/put of a locally held block; no lock held. */
static int write_through(ipfs_store *s, const cer_cid *cid)
{
    cer_buf b = CER_BUF_INIT;
    int rc = cer_store_get(s->local, cid, &b);

    if (rc < 0)
        return rc;
    rc = cer_ipfs_block_put(s->ipfs, cid, b.data, b.len);
    cer_buf_free(&b);
    pthread_mutex_lock(&s->lock);
    if (rc < 0) {
        long long p = s->pause_ms;
        s->pause_ms = p < PAUSE_MS ? PAUSE_MS : p > PAUSE_MAX_MS / 2 ? PAUSE_MAX_MS : 2 * p;
        s->pause_until = cer_clock_ms(CLOCK_MONOTONIC) + s->pause_ms;
        atomic_fetch_add(&s->write_failed, 1);
    } else {
        s->pause_ms = 0;
        recent_add(s, cid);
        atomic_fetch_add(&s->written, 1);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void *writer_main(void *arg)
{
    ipfs_store *s = arg;
    struct timespec ts;

    cer_ipfs_background_thread();
    pthread_mutex_lock(&s->lock);
    for (;;) {
        long long now = cer_clock_ms(CLOCK_MONOTONIC);
        if (s->stop && now >= s->stop_at)
            break;  /* what is left is the journal's (commits), or lost to IPFS (others) */
        if (s->qlen == 0 || now < s->pause_until) {
            if (s->stop)
                break;  /* done, or the daemon failed */
            if (s->qlen == 0) {
                pthread_cond_wait(&s->wake, &s->lock);
            } else {
                cer_clock_deadline(&ts, CLOCK_MONOTONIC, s->pause_until - now);
                pthread_cond_timedwait(&s->wake, &s->lock, &ts);
            }
            continue;
        }
        s->cur = s->queue[s->qhead].cid;
        s->qhead = (s->qhead + 1) % QUEUE_MAX;
        s->qlen--;
        while (push_slot(s, &s->cur) >= 0)
            pthread_cond_wait(&s->wrote, &s->lock);
        if ((s->busy = !recently_written(s, &s->cur))) {
            pthread_mutex_unlock(&s->lock);
            (void)write_through(s, &s->cur);  /* counted; the sync layer pushes commits again */
            cer_errclear();
            pthread_mutex_lock(&s->lock);
            s->busy = false;
        }
        pthread_cond_broadcast(&s->wrote);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void enqueue(ipfs_store *s, const cer_cid *cid)
{
    pthread_mutex_lock(&s->lock);
    if (s->qlen == QUEUE_MAX) {
        atomic_fetch_add(&s->skipped, 1);
    } else {
        s->queue[(s->qhead + s->qlen) % QUEUE_MAX] = (queued){*cid, cer_clock_ms(CLOCK_REALTIME)};
        s->qlen++;
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
}

static int ipfs_put(cer_store *st, const cer_cid *cid, const uint8_t *data, size_t len)
{
    ipfs_store *s = (ipfs_store *)st;
    int rc;

    if ((rc = s->local->ops->put(s->local, cid, data, len)) < 0)
        return rc;
    enqueue(s, cid);
    return 0;
}

static int ipfs_get(cer_store *st, const cer_cid *cid, cer_buf *out)
{
    ipfs_store *s = (ipfs_store *)st;
    size_t start = out->len;
    cer_buf b = CER_BUF_INIT;
    int rc = s->local->ops->get(s->local, cid, out);
    bool damaged = rc == 0;

    /* a damaged local copy is fetched again, and the put below replaces it */
    if (rc == 0 && cer_cid_check_block(cid, out->data + start, out->len - start) == 0)
        return 0;
    if (rc < 0 && rc != -ENOENT)
        return rc;
    out->len = start;
    if ((rc = cer_ipfs_block_get(s->ipfs, cid, &b, 0)) < 0) {
        atomic_fetch_add(&s->fetch_failed, 1);
        cer_buf_free(&b);
        if (damaged)
            return cer_err_wrap(-EBADMSG, "store: the copy here is corrupted, and IPFS");
        return rc == -ETIMEDOUT ? cer_err_wrap(-ENOENT, "store: not here, and IPFS") : rc;
    }
    atomic_fetch_add(&s->fetched, 1);
    /* keep it (checked by ipfs.c); a failure to cache costs a refetch */
    (void)s->local->ops->put(s->local, cid, b.data, b.len);
    rc = cer_buf_append(out, b.data, b.len);
    cer_buf_free(&b);
    return rc;
}

static int ipfs_has(cer_store *st, const cer_cid *cid)
{
    ipfs_store *s = (ipfs_store *)st;

    return s->local->ops->has(s->local, cid);
}

static int ipfs_each(cer_store *st, int (*fn)(const cer_cid *cid, void *arg), void *arg)
{
    ipfs_store *s = (ipfs_store *)st;

    return cer_store_each(s->local, fn, arg);
}

static void ipfs_close(cer_store *st)
{
    ipfs_store *s = (ipfs_store *)st;

    pthread_mutex_lock(&s->lock);
    s->stop = true;
    s->stop_at = cer_clock_ms(CLOCK_MONOTONIC) + CLOSE_MS;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer, NULL);
    cer_store_close(s->local);
    cer_ipfs_close(s->ipfs);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->wrote);
    pthread_mutex_destroy(&s->lock);
    free(s->queue);
    free(s);
}

static const cer_store_ops ipfs_ops = {ipfs_put, ipfs_get, ipfs_has, ipfs_close, ipfs_each};

int cer_store_open_ipfs(cer_store **out, cer_store *local, cer_ipfs *ipfs)
{
    ipfs_store *s;
    pthread_condattr_t ca;

    *out = NULL;
    if (!local || !ipfs)
        return cer_err(-EINVAL, "store: IPFS store needs a local store and a client");
    if (!(s = calloc(1, sizeof *s)) || !(s->queue = malloc(QUEUE_MAX * sizeof *s->queue))) {
        free(s);
        return cer_err(-ENOMEM, "store: out of memory");
    }
    s->base.ops = &ipfs_ops;
    s->local = local;
    s->ipfs = ipfs;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->wrote, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_cond_destroy(&s->wrote);
        pthread_mutex_destroy(&s->lock);
        free(s->queue);
        free(s);
        return cer_err(-EAGAIN, "store: cannot start the IPFS writer thread");
    }
    *out = &s->base;
    return 0;
}

cer_ipfs *cer_store_ipfs(cer_store *st)
{
    return st && st->ops == &ipfs_ops ? ((ipfs_store *)st)->ipfs : NULL;
}

int cer_store_put_local(cer_store *st, const cer_cid *cid, const uint8_t *data, size_t len)
{
    return cer_store_put(st && st->ops == &ipfs_ops ? ((ipfs_store *)st)->local : st, cid, data, len);
}

int cer_store_push(cer_store *st, const cer_cid *cid)
{
    ipfs_store *s = (ipfs_store *)st;
    int slot = -1, rc;

    if (!st || st->ops != &ipfs_ops)
        return cer_err(-ENOTSUP, "store: not an IPFS-backed store");
    pthread_mutex_lock(&s->lock);
    while ((s->busy && cer_cid_equal(&s->cur, cid)) || push_slot(s, cid) >= 0)
        pthread_cond_wait(&s->wrote, &s->lock);
    if (recently_written(s, cid)) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    for (int i = 0; i < PUSH_MAX && slot < 0; i++)
        if (!s->push_busy[i])
            slot = i;
    if (slot >= 0) {
        s->pushing[slot] = *cid;
        s->push_busy[slot] = true;
    }
    pthread_mutex_unlock(&s->lock);
    rc = write_through(s, cid);
    if (slot >= 0) {
        pthread_mutex_lock(&s->lock);
        s->push_busy[slot] = false;
        pthread_cond_broadcast(&s->wrote);
        pthread_mutex_unlock(&s->lock);
    }
    return rc;
}

int cer_store_ipfs_settle(cer_store *st, int timeout_ms)
{
    ipfs_store *s = (ipfs_store *)st;
    struct timespec ts;
    size_t left;

    if (!st || st->ops != &ipfs_ops)
        return 0;
    cer_clock_deadline(&ts, CLOCK_MONOTONIC, timeout_ms);
    pthread_mutex_lock(&s->lock);
    while ((s->qlen > 0 || s->busy) && pthread_cond_timedwait(&s->wrote, &s->lock, &ts) == 0)
        ;
    left = s->qlen + s->busy;
    pthread_mutex_unlock(&s->lock);
    return left ? cer_err(-ETIMEDOUT, "store: %zu blocks still to write through to IPFS", left) : 0;
}

void cer_store_ipfs_stats_get(cer_store *st, cer_store_ipfs_stats *out)
{
    memset(out, 0, sizeof *out);
    if (st && st->ops == &ipfs_ops) {
        ipfs_store *s = (ipfs_store *)st;
        out->fetched = atomic_load(&s->fetched);
        out->fetch_failed = atomic_load(&s->fetch_failed);
        out->written = atomic_load(&s->written);
        out->write_failed = atomic_load(&s->write_failed);
        out->skipped = atomic_load(&s->skipped);
        pthread_mutex_lock(&s->lock);
        out->queued = (int64_t)(s->qlen + s->busy);
        if (s->qlen)
            out->oldest_at_ms = s->queue[s->qhead].at;
        pthread_mutex_unlock(&s->lock);
    }
}
