/*
 * batch.c — anchor batches (batch.h), one way for both anchor services:
 * the node's (anchorer.c) and `cas serve` (casd.c). Each owner keeps its
 * queue and decides what a finished batch means for it; the taking of due
 * tips, the leaf order, the tree, the chain step, the anchor commits, the
 * back-off and the thread are here.
 *
 * The chain step for one root: on Ethereum a transaction through eth.c;
 * else js-ceramic's in-memory service: a random eth-tx CID with txType
 * f(bytes32), the block number and time as core <= 2.20 recorded them.
 *
 * Threads. b->lock guards stop and the wait; b->run serialises the steps
 * (the thread's and cer_batcher_flush's).
 */
#include "batch.h"
#include "anchorverify.h"
#include "clock.h"
#include "error.h"
#include "eth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cer_anchor_opts_defaults(cer_anchor_opts *o)
{
    if (o->interval == 0)
        o->interval = 60;
    if (o->timeout <= 0)
        o->timeout = 10;
    if (o->confirm_timeout <= 0)
        o->confirm_timeout = 60;
    if (o->max_attempts == 0)
        o->max_attempts = 3;
}

static bool on_eth(const cer_anchor_opts *o)
{
    return o->chain && strcmp(o->chain, "eth") == 0;
}

int cer_anchor_chain_id(const cer_anchor_opts *opts, cer_http_client *http, char *out, size_t cap)
{
    cer_eth eth = {http, opts->eth_rpc, opts->timeout > 0 ? opts->timeout : 10, 0};
    uint64_t chain;
    int rc;

    if (!on_eth(opts))
        return snprintf(out, cap, "%s", CER_INMEMORY_CHAIN) < (int)cap ? 0 : -ENOSPC;
    if (!eth.url)
        return cer_err(-EINVAL, "anchor: chain eth needs an Ethereum RPC URL");
    if ((rc = cer_eth_chain_id(&eth, &chain)) < 0)
        return rc;
    return snprintf(out, cap, "eip155:%llu", (unsigned long long)chain) < (int)cap ? 0 : -ENOSPC;
}

/* ---- the thread ---- */

struct cer_batcher {
    int (*step)(void *arg);
    void *arg;
    double interval;
    cer_http_client *http;
    pthread_mutex_t lock;       /* guards stop */
    pthread_cond_t wake;
    bool stop;
    pthread_mutex_t run;        /* one step at a time */
    pthread_t thread;
    bool has_thread;
};

static void *loop(void *arg)
{
    cer_batcher *b = arg;

    pthread_mutex_lock(&b->lock);
    while (!b->stop) {
        struct timespec ts;
        cer_clock_deadline(&ts, CLOCK_REALTIME, (int64_t)(b->interval * 1000));
        pthread_cond_timedwait(&b->wake, &b->lock, &ts);  /* woken early only to stop */
        if (b->stop)
            break;
        pthread_mutex_unlock(&b->lock);
        (void)cer_batcher_flush(b);
        cer_errclear();
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

int cer_batcher_start(cer_batcher **out, double interval, int (*step)(void *arg), void *arg)
{
    cer_batcher *b = calloc(1, sizeof *b);
    int rc;

    *out = NULL;
    if (!b)
        return cer_err(-ENOMEM, "anchor: out of memory");
    if ((rc = cer_http_client_open(&b->http)) < 0) {
        free(b);
        return rc;
    }
    b->step = step, b->arg = arg, b->interval = interval;
    pthread_mutex_init(&b->lock, NULL);
    pthread_mutex_init(&b->run, NULL);
    pthread_cond_init(&b->wake, NULL);
    if (interval > 0) {
        if ((rc = pthread_create(&b->thread, NULL, loop, b)) != 0) {
            cer_batcher_stop(b);
            return cer_err(-rc, "anchor: cannot start the batch thread");
        }
        b->has_thread = true;
    }
    *out = b;
    return 0;
}

int cer_batcher_flush(cer_batcher *b)
{
    int rc;

    pthread_mutex_lock(&b->run);
    rc = b->step(b->arg);
    pthread_mutex_unlock(&b->run);
    return rc;
}

cer_http_client *cer_batcher_http(cer_batcher *b)
{
    return b->http;
}

static bool stopping(void *arg)
{
    cer_batcher *b = arg;
    bool stop;

    pthread_mutex_lock(&b->lock);
    stop = b->stop;
    pthread_mutex_unlock(&b->lock);
    return stop;
}

void cer_batcher_stop(cer_batcher *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_cond_broadcast(&b->wake);
    pthread_mutex_unlock(&b->lock);
    if (b->has_thread)
        pthread_join(b->thread, NULL);
    cer_http_client_close(b->http);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->run);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* ---- a batch ---- */

size_t cer_batch_take(cer_batch_leaf **out, size_t n, bool (*take)(void *arg, size_t i, int64_t now, cer_batch_leaf *l),
                      void *arg)
{
    int64_t now = cer_clock_ms(CLOCK_REALTIME);
    cer_batch_leaf *l = n ? calloc(n, sizeof *l) : NULL;
    size_t k = 0;

    for (size_t i = 0; l && i < n && k < CER_MERKLE_LEAVES_MAX; i++)
        if (take(arg, i, now, &l[k])) {
            l[k].slot = i;
            k++;
        }
    *out = l;
    return k;
}

static int leaf_cmp(const void *x, const void *y)
{
    const cer_batch_leaf *a = x, *b = y;

    return cer_merkle_leaf_cmp(a->controller, a->sid, b->controller, b->sid);
}

/* The chain step for one root (see the top of this file). */
static int anchor_root(cer_batcher *b, const cer_anchor_opts *o, const cer_cid *root, cer_anchor_proof *proof)
{
    uint8_t h[32];
    cer_cid r0 = *root;  /* root may point into *proof */

    if (on_eth(o)) {
        cer_eth eth = {b->http, o->eth_rpc, o->timeout, 0};
        if (!o->eth_rpc)
            return cer_err(-EINVAL, "anchor: chain eth needs an Ethereum RPC URL");
        return cer_eth_anchor(&eth, o->eth_from, o->eth_raw, root, o->confirm_timeout, proof, stopping, b);
    }
    randombytes_buf(h, sizeof h);
    memset(proof, 0, sizeof *proof);
    proof->root = r0;
    snprintf(proof->chain_id, sizeof proof->chain_id, "%s", CER_INMEMORY_CHAIN);
    cer_eth_tx_cid(&proof->tx_hash, h);
    snprintf(proof->tx_type, sizeof proof->tx_type, "%s", CER_ETH_V1_TX_TYPE);
    proof->has_block_number = proof->has_block_timestamp = true;
    proof->block_timestamp = proof->block_number = cer_clock_ms(CLOCK_REALTIME) / 1000;
    return 0;
}

int cer_batch_anchor(cer_batcher *b, cer_store *store, const cer_anchor_opts *opts, cer_batch_leaf *l, size_t n,
                     cer_anchor_proof *proof, cer_cid *proof_cid)
{
    cer_anchor_opts o = *opts;
    cer_cid *leaves = calloc(n ? n : 1, sizeof *leaves);
    char(*paths)[CER_MERKLE_PATH_MAX] = calloc(n ? n : 1, sizeof *paths);
    cer_block pb = {0};
    int rc;

    cer_anchor_opts_defaults(&o);
    memset(proof, 0, sizeof *proof);
    if (!leaves || !paths) {
        rc = cer_err(-ENOMEM, "anchor: out of memory");
        goto out;
    }
    qsort(l, n, sizeof *l, leaf_cmp);
    for (size_t i = 0; i < n; i++)
        leaves[i] = l[i].tip;
    if ((rc = cer_merkle_build(&proof->root, paths, store, leaves, n, true)) < 0 ||
        (rc = anchor_root(b, &o, &proof->root, proof)) < 0 || (rc = cer_anchor_proof_encode(&pb, proof)) < 0 ||
        (rc = cer_store_put(store, &pb.cid, pb.bytes.data, pb.bytes.len)) < 0)
        goto out;
    *proof_cid = pb.cid;
    for (size_t i = 0; i < n; i++)
        memcpy(l[i].path, paths[i], sizeof l[i].path);
out:
    cer_buf_free(&pb.bytes);
    free(paths);
    free(leaves);
    return rc;
}

int cer_batch_commit(cer_store *store, const cer_cid *proof_cid, const cer_batch_leaf *l, cer_cid *commit)
{
    cer_anchor_commit ac = {.has_id = true, .id = l->id.genesis, .prev = l->tip, .proof = *proof_cid};
    cer_block cb = {0};
    int rc;

    snprintf(ac.path, sizeof ac.path, "%s", l->path);
    if ((rc = cer_anchor_commit_encode(&cb, &ac)) == 0 &&
        (rc = cer_store_put(store, &cb.cid, cb.bytes.data, cb.bytes.len)) == 0)
        *commit = cb.cid;
    cer_buf_free(&cb.bytes);
    return rc;
}

bool cer_batch_retry(const cer_anchor_opts *opts, unsigned attempts, double *delay)
{
    unsigned shift = attempts > 0 ? attempts - 1 : 0;

    *delay = 0;
    if (attempts >= opts->max_attempts)
        return true;
    *delay = (opts->interval > 1 ? opts->interval : 1) * (double)(1u << (shift < 10 ? shift : 10));
    return false;
}
