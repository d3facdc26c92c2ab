/*
 * eth.c — Ethereum over JSON-RPC (eth.h): calls through http.c, replies
 * parsed strictly and bounded, and the anchor transaction as CIP-110 and
 * js-ceramic's ethereum anchor validator define it (core/README.md,
 * "Anchors"): v1 calls anchorDagCbor(bytes32 root) on the anchor
 * contract, v0 raw carries 0x0f || the root CID's bytes as its data.
 */
#include "eth.h"
#include "buf.h"
#include "clock.h"
#include "error.h"
#include "json.h"
#include "keccak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* CIP-110 anchor contract; anchorDagCbor(bytes32) */
#define ANCHOR_CONTRACT "0x231055a0852d67c7107ad0d0dfeab60278fe6adc"

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

void cer_eth_tx_cid(cer_cid *out, const uint8_t hash[32])
{
    memset(out, 0, sizeof *out);
    out->version = 1;
    out->codec = CER_CODEC_ETH_TX;
    out->mh_code = CER_MH_KECCAK_256;
    out->digest_len = 32;
    memcpy(out->digest, hash, 32);
}

/* ---- parsers of replies (no I/O) ---- */

int cer_rpc_parse_reply(cJSON **result, const char *text, size_t len, double id)
{
    cJSON *j = NULL, *r;
    const cJSON *e, *m;
    int rc;

    *result = NULL;
    if (len > CER_ETH_REPLY_MAX)
        return cer_err(-EFBIG, "JSON-RPC reply of %zu bytes", len);
    if ((rc = cer_json_parse(&j, text, len, 0)) < 0)
        return cer_err_wrap(rc, "JSON-RPC reply");
    if (!cJSON_IsObject(j) || !cJSON_IsString(get(j, "jsonrpc")) ||
        strcmp(get(j, "jsonrpc")->valuestring, "2.0") != 0 || !cJSON_IsNumber(get(j, "id")) ||
        get(j, "id")->valuedouble != id) {
        rc = cer_err(-EPROTO, "JSON-RPC reply: not a 2.0 reply to request %.0f", id);
    } else if ((e = get(j, "error"))) {
        m = get(e, "message");
        rc = cer_err(-EREMOTEIO, "JSON-RPC error: %.200s", cJSON_IsString(m) ? m->valuestring : "(no message)");
    } else if (!(r = cJSON_DetachItemFromObjectCaseSensitive(j, "result"))) {
        rc = cer_err(-EPROTO, "JSON-RPC reply has neither result nor error");
    } else {
        *result = r;
        rc = 0;
    }
    cJSON_Delete(j);
    return rc;
}

int cer_eth_quantity(uint64_t *out, const cJSON *v)
{
    char even[18];
    uint8_t b[8];
    const char *s;
    size_t n;
    int len;

    if (!cJSON_IsString(v) || strncmp(v->valuestring, "0x", 2) != 0)
        return cer_err(-EPROTO, "JSON-RPC: a quantity is not a 0x string");
    s = v->valuestring + 2;
    n = strlen(s);
    if (n == 0 || n > 16 || (n > 1 && s[0] == '0'))
        return cer_err(-EPROTO, "JSON-RPC: bad quantity");
    /* base16 works on whole bytes: an odd count gets a leading zero */
    snprintf(even, sizeof even, "%s%s", n % 2 ? "0" : "", s);
    if ((len = cer_base_decode(b, sizeof b, CER_BASE16, even, strlen(even))) < 0)
        return cer_err(-EPROTO, "JSON-RPC: bad quantity");
    *out = 0;
    for (int i = 0; i < len; i++)
        *out = (*out << 8) | b[i];
    return 0;
}

int cer_eth_data(uint8_t *out, size_t cap, size_t want, const cJSON *v)
{
    const char *s;
    size_t n;
    int len;

    if (!cJSON_IsString(v) || strncmp(v->valuestring, "0x", 2) != 0)
        return cer_err(-EPROTO, "JSON-RPC: data is not a 0x string");
    s = v->valuestring + 2;
    n = strlen(s);
    if (n % 2 || n / 2 > cap || (want && n / 2 != want))
        return cer_err(-EPROTO, "JSON-RPC: data of %zu hex digits", n);
    if ((len = cer_base_decode(out, cap, CER_BASE16, s, n)) < 0)
        return cer_err(-EPROTO, "JSON-RPC: data is not hex");
    return len;
}

void cer_eth_hex(char *out, const uint8_t *p, size_t n)
{
    out[0] = '0', out[1] = 'x';
    (void)cer_base_encode(out + 2, 2 * n + 1, CER_BASE16, p, n);
}

/* ---- calls ---- */

int cer_eth_call(cer_eth *e, const char *method, const char *params, cJSON **result)
{
    cer_buf reply = CER_BUF_INIT;
    size_t n = strlen(method) + strlen(params) + 80;
    char *text = malloc(n);
    long status;
    int rc;

    *result = NULL;
    e->id += 1;
    if (!text)
        return cer_err(-ENOMEM, "eth: out of memory");
    snprintf(text, n, "{\"jsonrpc\":\"2.0\",\"id\":%.0f,\"method\":\"%s\",\"params\":%s}", e->id, method, params);
    rc = cer_http_perform(e->http,
                          &(cer_http_call){.url = e->url, .post = true, .content_type = "application/json",
                                           .body = text, .body_len = strlen(text),
                                           .timeout_ms = (long)(e->timeout * 1000), .max = CER_ETH_REPLY_MAX},
                          &reply, &status);
    free(text);
    if (rc == 0 && status != 200)
        rc = cer_err(-EREMOTEIO, "%s: HTTP status %ld", method, status);
    if (rc == 0)
        rc = cer_rpc_parse_reply(result, reply.data ? (const char *)reply.data : "", reply.len, e->id);
    cer_buf_free(&reply);
    return rc < 0 ? cer_err_wrap(rc, "%s", method) : 0;
}

int cer_eth_chain_id(cer_eth *e, uint64_t *chain)
{
    cJSON *r;
    int rc = cer_eth_call(e, "eth_chainId", "[]", &r);

    if (rc == 0)
        rc = cer_eth_quantity(chain, r);
    cJSON_Delete(r);
    return rc;
}

/* ---- ERC-1271 ---- */

/* A 32-byte ABI word holding v, big-endian, as hex at out. */
static char *abi_word(char *out, size_t v)
{
    sprintf(out, "%064zx", v);
    return out + 64;
}

/* The ABI tail of a bytes value: its length, then p padded to 32 bytes. */
static char *abi_bytes(char *out, const uint8_t *p, size_t n)
{
    out = abi_word(out, n);
    for (size_t i = 0; i < (n + 31) / 32 * 32; i++)
        out += sprintf(out, "%02x", i < n ? p[i] : 0);
    return out;
}

int cer_eth_erc1271(cer_eth *e, const char *contract, const uint8_t *msg, size_t msglen, const uint8_t *sig,
                    size_t siglen)
{
    size_t mpad = (msglen + 31) / 32 * 32, spad = (siglen + 31) / 32 * 32;
    size_t hexlen = 2 * (4 + 32 * 4 + mpad + spad);
    char *params = malloc(hexlen + 200), *p;
    const char *v;
    cJSON *r = NULL;
    int rc;

    if (!params)
        return cer_err(-ENOMEM, "eth: out of memory");
    if (strlen(contract) != 42 || strncmp(contract, "0x", 2) != 0 ||
        strspn(contract + 2, "0123456789abcdefABCDEF") != 40) {
        free(params);
        return cer_err(-EINVAL, "ERC-1271: '%.60s' is not a contract address", contract);
    }
    p = params + sprintf(params, "[{\"to\":\"%s\",\"data\":\"0x%08x", contract, CER_ERC1271_MAGIC);
    p = abi_word(p, 64);                      /* offset of the message */
    p = abi_word(p, 64 + 32 + mpad);          /* offset of the signature */
    p = abi_bytes(p, msg, msglen);
    p = abi_bytes(p, sig, siglen);
    strcpy(p, "\"},\"latest\"]");
    rc = cer_eth_call(e, "eth_call", params, &r);
    free(params);
    if (rc == -EREMOTEIO && strstr(cer_errmsg(), "revert")) {
        cer_errclear();
        return 0;  /* the contract refused */
    }
    if (rc < 0)
        return cer_err_wrap(rc, "ERC-1271 isValidSignature on %s", contract);
    /* a bytes4 return value: the first word of what comes back, its
     * first 4 bytes (ethers' decoding) */
    v = cJSON_IsString(r) ? r->valuestring : "";
    rc = strncmp(v, "0x", 2) == 0 && strlen(v) >= 66 && strspn(v + 2, "0123456789abcdefABCDEF") == strlen(v + 2) &&
         strncasecmp(v + 2, "20c13b0b", 8) == 0;
    cJSON_Delete(r);
    return rc;
}

/* ---- the anchor transaction ---- */

/* The transaction input carrying root: v1 anchorDagCbor(bytes32) or v0 raw
 * (0x0f || CID bytes); out holds "0x" + hex. */
static int tx_input(char *out, size_t cap, const cer_cid *root, bool raw)
{
    uint8_t b[4 + CER_CID_BYTES_MAX];
    size_t n;

    if (raw) {
        int cl = cer_cid_to_bytes(b + 1, sizeof b - 1, root);
        if (cl < 0)
            return cl;
        b[0] = 0x0f;
        n = (size_t)cl + 1;
    } else {
        uint8_t sel[32];
        if (root->version != 1 || root->codec != CER_CODEC_DAG_CBOR || root->mh_code != CER_MH_SHA2_256 ||
            root->digest_len != 32)
            return cer_err(-EINVAL, "anchor: a v1 root must be a dag-cbor sha2-256 CID");
        cer_keccak256(sel, (const uint8_t *)"anchorDagCbor(bytes32)", 22);
        memcpy(b, sel, 4);
        memcpy(b + 4, root->digest, 32);
        n = 36;
    }
    if (cap < 2 * n + 3)
        return cer_err(-ENOSPC, "anchor: tx input too long");
    cer_eth_hex(out, b, n);
    return 0;
}

bool cer_eth_input_carries(const char *input, const cer_cid *root, const char *tx_type)
{
    uint8_t b[4 + CER_CID_BYTES_MAX];
    const char *h;
    cer_cid got;
    int n;

    if (strcmp(tx_type, CER_ETH_V1_TX_TYPE) == 0) {
        char want[2 * 36 + 3];
        return tx_input(want, sizeof want, root, false) == 0 && strcasecmp(input, want) == 0;
    }
    /* v0 as js reads it: drop /^0x0?/, then one more character */
    if (strncmp(input, "0x", 2) != 0)
        return false;
    h = input + 2;
    if (*h == '0')
        h++;
    if (!*h)
        return false;
    h++;
    if ((n = cer_base_decode(b, sizeof b, CER_BASE16, h, strlen(h))) < 0) {
        cer_errclear();
        return false;
    }
    return cer_cid_from_bytes(&got, b, (size_t)n) == n && cer_cid_equal(&got, root);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int cer_eth_anchor(cer_eth *e, const char *from_opt, bool raw, const cer_cid *root, double confirm_timeout,
                   cer_anchor_proof *proof, bool (*stop_fn)(void *), void *arg)
{
    char input[2 * (4 + CER_CID_BYTES_MAX) + 3], from[64], params[1024], hash_hex[67];
    uint8_t hash[32];
    uint64_t chain, status, block_no, ts;
    cJSON *r = NULL, *blk = NULL;
    int64_t deadline;
    int rc;

    if ((rc = cer_eth_chain_id(e, &chain)) < 0)
        return rc;
    if (from_opt) {
        snprintf(from, sizeof from, "%s", from_opt);
    } else {
        if ((rc = cer_eth_call(e, "eth_accounts", "[]", &r)) < 0)
            return rc;
        if (!cJSON_IsArray(r) || !cJSON_IsString(cJSON_GetArrayItem(r, 0)) ||
            strlen(cJSON_GetArrayItem(r, 0)->valuestring) != 42) {
            cJSON_Delete(r);
            return cer_err(-EPROTO, "eth_accounts: no unlocked account");
        }
        snprintf(from, sizeof from, "%s", cJSON_GetArrayItem(r, 0)->valuestring);
        cJSON_Delete(r);
        r = NULL;
    }
    {
        uint8_t addr[20];
        if (strlen(from) != 42 || strncmp(from, "0x", 2) != 0 ||
            cer_base_decode(addr, sizeof addr, CER_BASE16, from + 2, 40) != 20)
            return cer_err(-EINVAL, "eth: account %.64s is not an address", from);
    }
    if ((rc = tx_input(input, sizeof input, root, raw)) < 0)
        return rc;
    snprintf(params, sizeof params, "[{\"from\":\"%s\",\"to\":\"%s\",\"data\":\"%s\",\"gas\":\"0x30d40\"}]", from,
             raw ? from : ANCHOR_CONTRACT, input);
    if ((rc = cer_eth_call(e, "eth_sendTransaction", params, &r)) < 0)
        return rc;
    rc = cer_eth_data(hash, 32, 32, r);
    cJSON_Delete(r);
    r = NULL;
    if (rc < 0)
        return cer_err_wrap(rc, "eth_sendTransaction");
    cer_eth_hex(hash_hex, hash, 32);
    snprintf(params, sizeof params, "[\"%s\"]", hash_hex);
    deadline = cer_clock_ms(CLOCK_REALTIME) + (int64_t)(confirm_timeout * 1000);
    for (;;) {
        if ((rc = cer_eth_call(e, "eth_getTransactionReceipt", params, &r)) < 0)
            return rc;
        if (!cJSON_IsNull(r))
            break;
        cJSON_Delete(r);
        r = NULL;
        if (cer_clock_ms(CLOCK_REALTIME) > deadline)
            return cer_err(-ETIMEDOUT, "eth: no receipt for %s within %.0f s", hash_hex, confirm_timeout);
        if (stop_fn && stop_fn(arg))
            return cer_err(-ECANCELED, "eth: stopped while waiting for the receipt of %s", hash_hex);
        sleep_ms(200);
    }
    if ((rc = cer_eth_quantity(&status, get(r, "status"))) < 0 ||
        (rc = cer_eth_quantity(&block_no, get(r, "blockNumber"))) < 0 || !cJSON_IsString(get(r, "blockHash")) ||
        strlen(get(r, "blockHash")->valuestring) != 66) {
        rc = cer_err(rc < 0 ? rc : -EPROTO, "eth: bad receipt for %s", hash_hex);
        goto out;
    }
    if (status != 1) {
        rc = cer_err(-ECANCELED, "eth: transaction %s reverted (status %llu)", hash_hex, (unsigned long long)status);
        goto out;
    }
    snprintf(params, sizeof params, "[\"%s\",false]", get(r, "blockHash")->valuestring);
    if ((rc = cer_eth_call(e, "eth_getBlockByHash", params, &blk)) < 0)
        goto out;
    if ((rc = cer_eth_quantity(&ts, get(blk, "timestamp"))) < 0 || ts > INT64_MAX / 2 || block_no > INT64_MAX / 2) {
        rc = cer_err(rc < 0 ? rc : -EPROTO, "eth: bad block for %s", hash_hex);
        goto out;
    }
    {
        cer_cid r0 = *root;  /* root may point into *proof */
        memset(proof, 0, sizeof *proof);
        proof->root = r0;
    }
    snprintf(proof->chain_id, sizeof proof->chain_id, "eip155:%llu", (unsigned long long)chain);
    cer_eth_tx_cid(&proof->tx_hash, hash);
    snprintf(proof->tx_type, sizeof proof->tx_type, "%s", raw ? "" : CER_ETH_V1_TX_TYPE);
    proof->has_block_number = proof->has_block_timestamp = true;
    proof->block_number = (int64_t)block_no;
    proof->block_timestamp = (int64_t)ts;
out:
    cJSON_Delete(r);
    cJSON_Delete(blk);
    return rc;
}

