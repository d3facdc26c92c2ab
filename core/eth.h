/*
 * eth.h — Ethereum over JSON-RPC (eth.c): the calls, the strict parsers
 * of their replies (also for tests and tests/fuzz/fuzz_anchor_replies.c),
 * and the anchor transaction: building it, sending it, reading it back.
 */
#ifndef CER_ETH_H
#define CER_ETH_H

#include "ceramic.h"
#include "http.h"

/* Replies larger than this are refused unparsed. */
#define CER_ETH_REPLY_MAX (4 * 1024 * 1024)

/* The txType of a v1 anchor transaction (anchorDagCbor(bytes32)); a v0
 * raw one has none. */
#define CER_ETH_V1_TX_TYPE "f(bytes32)"

/* A JSON-RPC 2.0 reply {"jsonrpc":"2.0","id":id,"result":...} or
 * {...,"error":{"code","message"}}: *result is the result (caller frees;
 * may be JSON null); an error reply is -EREMOTEIO with its message. */
int cer_rpc_parse_reply(cJSON **result, const char *text, size_t len, double id);

/* "0x..." quantity (1..16 hex digits, no leading zeros but "0x0"). */
int cer_eth_quantity(uint64_t *out, const cJSON *v);
/* "0x..." data of exactly want bytes (want 0: any length up to cap);
 * returns the length. */
int cer_eth_data(uint8_t *out, size_t cap, size_t want, const cJSON *v);
/* "0x" + hex of p[0..n) into out (room for 2n + 3). */
void cer_eth_hex(char *out, const uint8_t *p, size_t n);

/* One JSON-RPC endpoint and the id of its last request. */
typedef struct cer_eth {
    cer_http_client *http;      /* may be NULL (a connection per call) */
    const char *url;
    double timeout;             /* seconds per call */
    double id;
} cer_eth;

/* Call method with params (JSON text); *result caller frees. A reply other
 * than HTTP 200 is -EREMOTEIO. */
int cer_eth_call(cer_eth *e, const char *method, const char *params, cJSON **result);
/* eth_chainId. */
int cer_eth_chain_id(cer_eth *e, uint64_t *chain);

/* The legacy ERC-1271 check js-ceramic's blockchain-utils-validation
 * makes for a contract account's link proof: eth_call at the latest
 * block of isValidSignature(bytes message, bytes signature) on contract
 * (0x + 40 hex digits), the message the proof's UTF-8 bytes. 1 when it
 * returns the magic value 0x20c13b0b, 0 when it returns something else
 * (or reverts), negative when the chain does not answer. */
#define CER_ERC1271_MAGIC 0x20c13b0bu
int cer_eth_erc1271(cer_eth *e, const char *contract, const uint8_t *msg, size_t msglen, const uint8_t *sig,
                    size_t siglen);
/* Record root on the chain: a transaction from `from` (NULL: the first
 * of eth_accounts) calling anchorDagCbor(bytes32 root) on the CIP-110
 * contract, or with raw the v0 form (data 0x0f || root CID, to itself);
 * its receipt awaited up to confirm_timeout seconds (stop_fn, may be
 * NULL, is asked while waiting: -ECANCELED). Fills *proof: root, chainId
 * eip155:<id>, txHash, txType, block number and time. */
int cer_eth_anchor(cer_eth *e, const char *from, bool raw, const cer_cid *root, double confirm_timeout,
                   cer_anchor_proof *proof, bool (*stop_fn)(void *), void *arg);
/* Whether a transaction input (hex text) carries root in the form tx_type
 * names (CER_ETH_V1_TX_TYPE, else v0 raw as js-ceramic reads it). */
bool cer_eth_input_carries(const char *input, const cer_cid *root, const char *tx_type);

#endif
