/*
 * ipfsstore.c — the IPFS-backed block store: a store backend that layers
 * an IPFS daemon (ipfs.c) under a local store (the embedded flatfs or the
 * memory store). Writes go to local first (the truth, durable), then
 * through to IPFS so peers can fetch them over bitswap; reads come from
 * local, else from IPFS (re-hashed in ipfs.c, again by the store front
 * end) and are then kept locally. The front end in store.c checks every
 * block, so this file only moves bytes.
 *
 * Offline first: a failed write-through never fails a put. It is counted,
 * and write-through pauses, PAUSE_MS after the first failure and twice as
 * long after each next one up to PAUSE_MAX_MS, so a dead daemon costs one
 * connection attempt a second, not one per block, and a daemon that
 * accepts and never answers holds a save for its timeout once in a while,
 * not at every save; the sync layer pushes a commit's blocks again
 * (cer_store_push, not paused) before it announces the commit.
 * That push is skipped for a block this store has just written through
 * (the last RECENT_MAX successes), so a commit costs its block/puts once.
 * A commit's blocks are written through side by side (put_many: one more
 * thread per block), since each block/put waits on the daemon's disk.
 */
#include "store.h"
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
#define RECENT_MAX 64
#define PUT_MANY_MAX 4

typedef struct ipfs_store {
    cer_store base;
    cer_store *local;
    cer_ipfs *ipfs;
    atomic_llong pause_until;   /* ms, monotonic */
    atomic_llong pause_ms;      /* the next pause; 0 after a success */
    atomic_llong fetched, fetch_failed, written, write_failed;
    pthread_mutex_t lock;       /* guards recent, nrecent */
    cer_cid recent[RECENT_MAX]; /* the last blocks written through, a ring */
    size_t nrecent;             /* writes so far; the next slot is nrecent % RECENT_MAX */
} ipfs_store;

static const cer_store_ops ipfs_ops;

static bool recently_written(ipfs_store *s, const cer_cid *cid)
{
    bool found = false;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < RECENT_MAX && i < s->nrecent && !found; i++)
        found = cer_cid_equal(&s->recent[i], cid);
    pthread_mutex_unlock(&s->lock);
    return found;
}

static int write_through(ipfs_store *s, const cer_cid *cid, const uint8_t *data, size_t len, bool force)
{
    int rc;

    if (!force && cer_clock_ms(CLOCK_MONOTONIC) < atomic_load(&s->pause_until))
        return -EAGAIN;
    if ((rc = cer_ipfs_block_put(s->ipfs, cid, data, len)) < 0) {
        long long p = atomic_load(&s->pause_ms);
        p = p < PAUSE_MS ? PAUSE_MS : p > PAUSE_MAX_MS / 2 ? PAUSE_MAX_MS : 2 * p;
        atomic_store(&s->pause_ms, p);
        atomic_fetch_add(&s->write_failed, 1);
        atomic_store(&s->pause_until, cer_clock_ms(CLOCK_MONOTONIC) + p);
        return rc;
    }
    atomic_store(&s->pause_ms, 0);
    atomic_fetch_add(&s->written, 1);
    pthread_mutex_lock(&s->lock);
    s->recent[s->nrecent++ % RECENT_MAX] = *cid;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int ipfs_put(cer_store *st, const cer_cid *cid, const uint8_t *data, size_t len)
{
    ipfs_store *s = (ipfs_store *)st;
    int rc;

    if ((rc = s->local->ops->put(s->local, cid, data, len)) < 0)
        return rc;
    (void)write_through(s, cid, data, len, false);
    cer_errclear();
    return 0;
}

typedef struct put_job {
    ipfs_store *s;
    const cer_block *b;
} put_job;

static void *put_main(void *arg)
{
    put_job *j = arg;

    (void)write_through(j->s, &j->b->cid, j->b->bytes.data, j->b->bytes.len, true);
    return NULL;
}

static int ipfs_put_many(cer_store *st, const cer_block *blocks, size_t n)
{
    ipfs_store *s = (ipfs_store *)st;
    pthread_t tid[PUT_MANY_MAX];
    put_job job[PUT_MANY_MAX];
    bool started[PUT_MANY_MAX] = {false};
    int rc;

    for (size_t i = 0; i < n; i++)
        if ((rc = s->local->ops->put(s->local, &blocks[i].cid, blocks[i].bytes.data, blocks[i].bytes.len)) < 0)
            return rc;
    if (cer_clock_ms(CLOCK_MONOTONIC) < atomic_load(&s->pause_until))
        return 0;  /* the daemon failed a moment ago; the sync layer pushes later */
    /* block 0 on this thread, up to PUT_MANY_MAX - 1 more beside it, the
     * rest (or any whose thread cannot start) after */
    for (size_t i = 1; i < n && i < PUT_MANY_MAX; i++) {
        job[i] = (put_job){s, &blocks[i]};
        started[i] = pthread_create(&tid[i], NULL, put_main, &job[i]) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (i >= PUT_MANY_MAX || !started[i])
            (void)write_through(s, &blocks[i].cid, blocks[i].bytes.data, blocks[i].bytes.len, true);
    for (size_t i = 1; i < n && i < PUT_MANY_MAX; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
    cer_errclear();
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

    cer_store_close(s->local);
    cer_ipfs_close(s->ipfs);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const cer_store_ops ipfs_ops = {ipfs_put, ipfs_get, ipfs_has, ipfs_close, ipfs_each, ipfs_put_many};

int cer_store_open_ipfs(cer_store **out, cer_store *local, cer_ipfs *ipfs)
{
    ipfs_store *s;

    *out = NULL;
    if (!local || !ipfs)
        return cer_err(-EINVAL, "store: IPFS store needs a local store and a client");
    if (!(s = calloc(1, sizeof *s)))
        return cer_err(-ENOMEM, "store: out of memory");
    s->base.ops = &ipfs_ops;
    s->local = local;
    s->ipfs = ipfs;
    pthread_mutex_init(&s->lock, NULL);
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
    cer_buf b = CER_BUF_INIT;
    int rc;

    if (!st || st->ops != &ipfs_ops)
        return cer_err(-ENOTSUP, "store: not an IPFS-backed store");
    if (recently_written(s, cid))
        return 0;
    if ((rc = cer_store_get(s->local, cid, &b)) == 0)
        rc = write_through(s, cid, b.data, b.len, true);
    cer_buf_free(&b);
    return rc;
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
    }
}
