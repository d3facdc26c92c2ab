/*
 * anchorverify.c — is an anchor proof true, and does the node's network
 * take its chain (core/README.md, "Anchors"): the chains each network
 * accepts (js-ceramic's SUPPORTED_CHAINS_BY_NETWORK), and the check of an
 * eip155 proof against its chain through Ethereum JSON-RPC (eth.c): the
 * transaction exists, carries the proof's root, and its block's time.
 * Knows nothing of the node: the node's anchor checks (node.c,
 * cer_node_set_anchor_check) call it, and so does `ceramicfs anchor
 * --verify`.
 */
#include "anchorverify.h"
#include "error.h"
#include "eth.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_why(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;

    if (!why || !cap)
        return;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

int cer_network_accepts_chain(const char *network, const char *chain_id)
{
    /* js-ceramic core 2.46, src/initialization/anchoring.ts */
    static const struct {
        const char *network;
        const char *chains[3];
    } table[] = {
        {"mainnet", {"eip155:1"}},
        {"testnet-clay", {"eip155:3", "eip155:4", "eip155:100"}},
        {"dev-unstable", {"eip155:3", "eip155:4", "eip155:5"}},
        {"local", {"eip155:1337"}},
        {"inmemory", {CER_INMEMORY_CHAIN}},
    };

    if (!network)
        network = "inmemory";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].network, network) != 0)
            continue;
        for (size_t k = 0; k < 3 && table[i].chains[k]; k++)
            if (chain_id && strcmp(table[i].chains[k], chain_id) == 0)
                return 1;
        return 0;
    }
    return cer_err(-EINVAL, "network '%s' is not inmemory, local, dev-unstable, testnet-clay or mainnet", network);
}

int cer_anchor_verify(const cer_anchor_opts *opts, const cer_anchor_proof *proof, int64_t *timestamp,
                      char *why, size_t why_cap)
{
    return cer_anchor_verify_on(NULL, opts, proof, timestamp, why, why_cap);
}

int cer_anchor_verify_on(cer_http_client *http, const cer_anchor_opts *opts, const cer_anchor_proof *proof,
                         int64_t *timestamp, char *why, size_t why_cap)
{
    cer_eth eth = {http, opts ? opts->eth_rpc : NULL, opts && opts->timeout > 0 ? opts->timeout : 10, 0};
    char params[160], hash_hex[67], *end;
    cJSON *tx = NULL, *blk = NULL;
    uint64_t chain, ts;
    unsigned long long want_chain;
    int rc;

    *timestamp = 0;
    if (strncmp(proof->chain_id, "inmemory:", 9) == 0) {
        set_why(why, why_cap, "unverified: in-memory anchors have no chain to check");
        return 0;
    }
    if (strncmp(proof->chain_id, "eip155:", 7) != 0) {
        set_why(why, why_cap, "unverified: chain %s is not supported", proof->chain_id);
        return 0;
    }
    errno = 0;
    want_chain = strtoull(proof->chain_id + 7, &end, 10);
    if (errno || *end || end == proof->chain_id + 7) {
        rc = cer_err(-EINVAL, "anchor proof: bad chainId %s", proof->chain_id);
        goto rejected;
    }
    if (proof->tx_hash.codec != CER_CODEC_ETH_TX || proof->tx_hash.mh_code != CER_MH_KECCAK_256 ||
        proof->tx_hash.digest_len != 32) {
        rc = cer_err(-EINVAL, "anchor proof: txHash is not an eth-tx keccak-256 CID");
        goto rejected;
    }
    if (!eth.url) {
        set_why(why, why_cap, "unverified: no Ethereum RPC configured");
        return 0;
    }
    if ((rc = cer_eth_chain_id(&eth, &chain)) < 0) {
        set_why(why, why_cap, "unverified: chain unreachable: %s", cer_errmsg());
        return 0;
    }
    if (chain != want_chain) {
        rc = cer_err(-EINVAL, "anchor proof is for %s but the RPC serves eip155:%llu", proof->chain_id,
                     (unsigned long long)chain);
        goto rejected;
    }
    cer_eth_hex(hash_hex, proof->tx_hash.digest, 32);
    snprintf(params, sizeof params, "[\"%s\"]", hash_hex);
    if ((rc = cer_eth_call(&eth, "eth_getTransactionByHash", params, &tx)) < 0) {
        set_why(why, why_cap, "unverified: chain unreachable: %s", cer_errmsg());
        return 0;
    }
    if (cJSON_IsNull(tx)) {
        rc = cer_err(-ENOENT, "anchor proof: transaction %s is not on %s", hash_hex, proof->chain_id);
        goto rejected;
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(tx, "input")) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(tx, "blockHash")) ||
        strlen(cJSON_GetObjectItemCaseSensitive(tx, "blockHash")->valuestring) != 66) {
        rc = cer_err(-EPROTO, "anchor proof: transaction %s is not mined or malformed", hash_hex);
        goto rejected;
    }
    if (!cer_eth_input_carries(cJSON_GetObjectItemCaseSensitive(tx, "input")->valuestring, &proof->root, proof->tx_type)) {
        char r[CER_CID_STR_MAX] = "?";
        cer_cid_to_string(r, sizeof r, &proof->root);
        rc = cer_err(-EBADMSG, "anchor proof: transaction %s does not carry the root %s", hash_hex, r);
        goto rejected;
    }
    snprintf(params, sizeof params, "[\"%s\",false]", cJSON_GetObjectItemCaseSensitive(tx, "blockHash")->valuestring);
    if ((rc = cer_eth_call(&eth, "eth_getBlockByHash", params, &blk)) < 0) {
        set_why(why, why_cap, "unverified: chain unreachable: %s", cer_errmsg());
        rc = 0;
        goto out;
    }
    if ((rc = cer_eth_quantity(&ts, cJSON_GetObjectItemCaseSensitive(blk, "timestamp"))) < 0 || ts > INT64_MAX / 2) {
        rc = cer_err(-EPROTO, "anchor proof: the block of %s has no timestamp", hash_hex);
        goto rejected;
    }
    if (proof->has_block_timestamp && proof->block_timestamp != (int64_t)ts) {
        rc = cer_err(-EBADMSG, "anchor proof: blockTimestamp %lld, but the block says %llu",
                     (long long)proof->block_timestamp, (unsigned long long)ts);
        goto rejected;
    }
    *timestamp = (int64_t)ts;
    set_why(why, why_cap, "verified: %s on %s at %llu", hash_hex, proof->chain_id, (unsigned long long)ts);
    rc = 1;
    goto out;
rejected:
    set_why(why, why_cap, "rejected: %s", cer_errmsg());
out:
    cJSON_Delete(tx);
    cJSON_Delete(blk);
    return rc;
}

