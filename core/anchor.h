/*
 * anchor.h — internals of anchoring shared with tests and fuzz targets:
 * the parsers of what comes back from outside (Ethereum JSON-RPC replies,
 * CAS replies, the witness CAR), each strict and bounded.
 */
#ifndef CER_ANCHOR_H
#define CER_ANCHOR_H

#include "ceramic.h"

/* Replies larger than this are refused unparsed. */
#define CER_ANCHOR_REPLY_MAX (4 * 1024 * 1024)

/* A JSON-RPC 2.0 reply {"jsonrpc":"2.0","id":id,"result":...} or
 * {...,"error":{"code","message"}}: *result is the result (caller frees;
 * may be JSON null); an error reply is -EREMOTEIO with its message. */
int cer_rpc_parse_reply(cJSON **result, const char *text, size_t len, double id);

/* "0x..." quantity (1..16 hex digits, no leading zeros but "0x0"). */
int cer_eth_quantity(uint64_t *out, const cJSON *v);
/* "0x..." data of exactly want bytes (want 0: any length up to cap);
 * returns the length. */
int cer_eth_data(uint8_t *out, size_t cap, size_t want, const cJSON *v);

/* A CAS request reply. */
typedef struct cer_cas_reply {
    int status;                 /* CER_ANCHOR_* (COMPLETED is ANCHORED, READY is PENDING) */
    cer_cid cid;                /* the tip the request is for */
    bool has_anchor_commit;
    cer_cid anchor_commit;      /* COMPLETED: the anchor commit */
    uint8_t *witness_car;       /* COMPLETED: decoded witnessCar bytes or NULL; caller frees */
    size_t witness_len;
    char message[160];
} cer_cas_reply;

/* Parse a CAS reply: {id, status, streamId, cid, message, anchorCommit?,
 * witnessCar?} or {"error": "..."} (-EREMOTEIO). */
int cer_cas_parse_reply(cer_cas_reply *out, const char *text, size_t len);
void cer_cas_reply_free(cer_cas_reply *r);

/* The CARv1 body of a CAS anchor request, as js-ceramic core 2.46 posts
 * it (AnchorRequestCarBuilder; the CAS reads it with its
 * AnchorRequestCarFileReader): the root block {streamId: the StreamID's
 * bytes, tip: link, timestamp: ISO 8601 text}, then the genesis and tip
 * commits from store and the payload blocks of the signed ones, each
 * block once. No CACAO blocks (this node signs with did:key only).
 * Appends to car. */
int cer_cas_request_car(cer_buf *car, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                        const char *timestamp);

/* The chain step of the built-in service, for one Merkle root: with
 * opts->chain "eth", the transaction through opts->eth_rpc (v1
 * anchorDagCbor(bytes32), or v0 raw with eth_raw), its receipt awaited up
 * to confirm_timeout (stop_fn, may be NULL, is asked while waiting);
 * otherwise an in-memory proof. Fills *proof (chainId, root, txHash,
 * txType, block number and time). Used by the node's anchorer and by the
 * anchor service daemon (casd.c). */
int cer_anchor_root(const cer_anchor_opts *opts, const cer_cid *root, cer_anchor_proof *proof,
                    bool (*stop_fn)(void *), void *arg);
/* The chain id anchors made with opts get: "eip155:<eth_chainId>" (asked
 * through opts->eth_rpc) or "inmemory:12345". */
int cer_anchor_chain_id(const cer_anchor_opts *opts, char *out, size_t cap);

#endif
