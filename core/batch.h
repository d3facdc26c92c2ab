/*
 * batch.h — anchor batches (batch.c), made the same way by the node's
 * anchor service (anchorer.c) and by `ceramicfs cas serve` (casd.c):
 * the due tips taken from the owner's queue, sorted as CIP-69 leaves,
 * their Merkle tree, its root recorded on the chain (in-memory or
 * Ethereum), the proof, one anchor commit per tip; the retry back-off of
 * a failed tip; and the thread that runs a batch every interval.
 */
#ifndef CER_BATCH_H
#define CER_BATCH_H

#include "ceramic.h"
#include "http.h"
#include "merkle.h"

/* The defaults of cer_anchor_opts' zero members: interval 60 s, timeout
 * 10 s, confirm_timeout 60 s, max_attempts 3. */
void cer_anchor_opts_defaults(cer_anchor_opts *o);

/* The chain id anchors made with opts get: "eip155:<eth_chainId>" (asked
 * through opts->eth_rpc over http, the caller's client) or the in-memory
 * chain's. */
int cer_anchor_chain_id(const cer_anchor_opts *opts, cer_http_client *http, char *out, size_t cap);

/* The thread of an anchor service: step(arg) every interval seconds, and
 * on cer_batcher_flush, one step at a time. It also holds the HTTP client
 * the service's calls share. */
typedef struct cer_batcher cer_batcher;

/* interval <= 0: no thread, steps only through cer_batcher_flush. */
int cer_batcher_start(cer_batcher **out, double interval, int (*step)(void *arg), void *arg);
/* Run a step now on the calling thread (after the one running, if any);
 * returns what step returned. */
int cer_batcher_flush(cer_batcher *b);
cer_http_client *cer_batcher_http(cer_batcher *b);
/* Stop the thread (a running step sees cer_batch_anchor's wait end with
 * -ECANCELED) and free. */
void cer_batcher_stop(cer_batcher *b);

/* A tip in a batch. */
typedef struct cer_batch_leaf {
    cer_streamref id;
    cer_cid tip;
    char controller[256];               /* CIP-69 sort keys: the first controller */
    char sid[CER_STREAMID_STR_MAX];     /* and the StreamID */
    char path[CER_MERKLE_PATH_MAX];     /* set by cer_batch_anchor */
    size_t slot;                        /* the owner's: where it is queued */
} cer_batch_leaf;

/* The due tips of the owner's queue of n entries (at most
 * CER_MERKLE_LEAVES_MAX; *out caller frees): take(arg, i, now, leaf) is
 * asked for each entry and, when entry i is due at now (PENDING, past its
 * back-off), marks it PROCESSING, fills leaf (slot is set to i) and
 * returns true. Call with the owner's queue lock held. */
size_t cer_batch_take(cer_batch_leaf **out, size_t n, bool (*take)(void *arg, size_t i, int64_t now, cer_batch_leaf *l),
                      void *arg);

/* One batch's tree and chain step: sort l[0..n) in the anchor service's
 * leaf order, build the tree of their tips in store, record its root on
 * opts' chain (eth: a transaction through opts->eth_rpc, its receipt
 * awaited, cancelled when b stops; else an in-memory proof), put the
 * proof block. Fills *proof, *proof_cid and every l[i].path. */
int cer_batch_anchor(cer_batcher *b, cer_store *store, const cer_anchor_opts *opts, cer_batch_leaf *l, size_t n,
                     cer_anchor_proof *proof, cer_cid *proof_cid);
/* The anchor commit {id, prev: tip, proof, path} of leaf l, put to store. */
int cer_batch_commit(cer_store *store, const cer_cid *proof_cid, const cer_batch_leaf *l, cer_cid *commit);

/* After failed attempt number attempts (from 1) of a tip: true when it
 * was the last (opts->max_attempts), else false with *delay the seconds
 * before the next: interval * 2^(attempts-1) (interval at least 1 s, the
 * power at most 2^10). */
bool cer_batch_retry(const cer_anchor_opts *opts, unsigned attempts, double *delay);

#endif
