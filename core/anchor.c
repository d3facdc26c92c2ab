/*
 * anchor.c — anchoring: the request queue and its poller thread, the
 * built-in anchor service (CIP-69 tree, proof block, one anchor commit per
 * stream) on the in-memory "chain" or on Ethereum through JSON-RPC, the
 * Ceramic Anchor Service (CAS) client, the chains each network accepts
 * (js-ceramic's SUPPORTED_CHAINS_BY_NETWORK), and the verification of
 * anchor proofs against their chain (core/README.md, "Anchors"; the node runs both on
 * every anchor commit it applies, see cer_node_set_anchor_check). The
 * built-in service records each proof it makes with the node
 * (cer_node_own_anchor): the node's own anchors are verified by that.
 *
 * Threads. a->lock guards the queue and the figures of the status
 * section; it is never held across I/O or calls
 * into the node. a->run serialises whole steps (the poller thread and
 * cer_anchorer_flush), so one batch runs at a time.
 *
 * Every network call has a timeout (opts.timeout, connect included);
 * every reply is parsed strictly (anchor.h) and bounded in size.
 */
#include "anchor.h"
#include "buf.h"
#include "casauth.h"
#include "clock.h"
#include "dagcbor.h"
#include "error.h"
#include "keccak.h"
#include "merkle.h"
#include "state.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INMEMORY_CHAIN "inmemory:12345"
#define V1_TX_TYPE "f(bytes32)"
/* CIP-110 anchor contract; anchorDagCbor(bytes32) */
#define ANCHOR_CONTRACT "0x231055a0852d67c7107ad0d0dfeab60278fe6adc"

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
    bool cas_json;              /* the CAS takes JSON requests only (under lock) */

    pthread_mutex_t lock;       /* guards the fields below */
    pthread_cond_t wake;
    bool stop;
    entry *q;
    size_t nq, capq;
    bool applying;              /* a local batch is applying anchor commit `own` */
    cer_cid own;
    int64_t n_anchored, n_failed;
    cJSON *last_batch;          /* owned */
    char last_error[256];
    int64_t last_error_ms;

    pthread_mutex_t run;        /* one step at a time */
    pthread_t thread;
    bool has_thread;
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

void cer_eth_tx_cid(cer_cid *out, const uint8_t hash[32])
{
    memset(out, 0, sizeof *out);
    out->version = 1;
    out->codec = CER_CODEC_ETH_TX;
    out->mh_code = CER_MH_KECCAK_256;
    out->digest_len = 32;
    memcpy(out->digest, hash, 32);
}

/* ------------------------------------------------------------------ */
/* HTTP (libcurl)                                                       */
/* ------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    cer_buf *b = arg;

    if (b->len + size * n > CER_ANCHOR_REPLY_MAX || cer_buf_append(b, p, size * n) < 0)
        return 0;  /* makes curl fail the transfer */
    return size * n;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A body to POST: its media type and bytes. */
typedef struct body {
    const char *type;
    const void *data;
    size_t len;
} body;

/* Append "name: value" to *hdr (unchanged on -ENOMEM). */
static int add_header(struct curl_slist **hdr, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    struct curl_slist *h = NULL;

    if (line) {
        snprintf(line, n, "%s: %s", name, value);
        h = curl_slist_append(*hdr, line);
        free(line);
    }
    if (!h)
        return cer_err(-ENOMEM, "anchor: out of memory");
    *hdr = h;
    return 0;
}

/* method "GET" or "POST" (with b); authz an Authorization header value
 * or NULL; *status the HTTP status. */
static int http(cer_buf *out, long *status, const char *method, const char *url, const body *b, const char *authz,
                double timeout)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct curl_slist *hdr = NULL;
    CURL *c;
    CURLcode cc;
    char err[CURL_ERROR_SIZE] = "";

    pthread_once(&once, curl_init_once);
    out->len = 0;
    *status = 0;
    if (!(c = curl_easy_init()))
        return cer_err(-ENOMEM, "anchor: curl_easy_init failed");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if ((authz && add_header(&hdr, "Authorization", authz) < 0) ||
        (strcmp(method, "POST") == 0 && add_header(&hdr, "Content-Type", b->type) < 0)) {
        curl_slist_free_all(hdr);
        curl_easy_cleanup(c);
        return -ENOMEM;
    }
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, b->data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
    }
    if (hdr)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    cc = curl_easy_perform(c);
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        return cer_err(cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH, "%s %s: %s", method, url,
                       err[0] ? err : curl_easy_strerror(cc));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Parsers of outside replies (anchor.h)                                */
/* ------------------------------------------------------------------ */

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

int cer_rpc_parse_reply(cJSON **result, const char *text, size_t len, double id)
{
    cJSON *j = NULL, *r;
    const cJSON *e, *m;
    int rc;

    *result = NULL;
    if (len > CER_ANCHOR_REPLY_MAX)
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

void cer_cas_reply_free(cer_cas_reply *r)
{
    if (r) {
        free(r->witness_car);
        r->witness_car = NULL;
    }
}

int cer_cas_parse_reply(cer_cas_reply *out, const char *text, size_t len)
{
    static const struct {
        const char *name;
        int status;
    } names[] = {{"PENDING", CER_ANCHOR_PENDING},       {"READY", CER_ANCHOR_PENDING},
                 {"PROCESSING", CER_ANCHOR_PROCESSING}, {"COMPLETED", CER_ANCHOR_ANCHORED},
                 {"FAILED", CER_ANCHOR_FAILED},         {"REPLACED", CER_ANCHOR_REPLACED}};
    cJSON *j = NULL;
    const cJSON *st, *ac, *w, *m;
    size_t i;
    int rc, n;

    memset(out, 0, sizeof *out);
    if (len > CER_ANCHOR_REPLY_MAX)
        return cer_err(-EFBIG, "CAS reply of %zu bytes", len);
    if ((rc = cer_json_parse(&j, text, len, 0)) < 0)
        return cer_err_wrap(rc, "CAS reply");
    if (!cJSON_IsObject(j)) {
        rc = cer_err(-EPROTO, "CAS reply is not an object");
        goto out;
    }
    if (cJSON_IsString(get(j, "error"))) {
        rc = cer_err(-EREMOTEIO, "CAS: %.200s", get(j, "error")->valuestring);
        goto out;
    }
    st = get(j, "status");
    for (i = 0; cJSON_IsString(st) && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(st->valuestring, names[i].name) == 0)
            break;
    if (!cJSON_IsString(st) || i == sizeof names / sizeof names[0]) {
        rc = cer_err(-EPROTO, "CAS reply: no known status");
        goto out;
    }
    out->status = names[i].status;
    if (!cJSON_IsString(get(j, "cid")) || cer_cid_parse(&out->cid, get(j, "cid")->valuestring) < 0) {
        rc = cer_err(-EPROTO, "CAS reply: no valid 'cid'");
        goto out;
    }
    if ((m = get(j, "message")) && cJSON_IsString(m))
        snprintf(out->message, sizeof out->message, "%s", m->valuestring);
    if (out->status == CER_ANCHOR_ANCHORED) {
        ac = get(get(j, "anchorCommit"), "cid");
        if (!cJSON_IsString(ac) || cer_cid_parse(&out->anchor_commit, ac->valuestring) < 0) {
            rc = cer_err(-EPROTO, "CAS reply: COMPLETED without a valid anchorCommit.cid");
            goto out;
        }
        out->has_anchor_commit = true;
        if ((w = get(j, "witnessCar")) && !cJSON_IsNull(w)) {
            size_t wl = cJSON_IsString(w) ? strlen(w->valuestring) : 0;
            if (!cJSON_IsString(w) || !(out->witness_car = malloc(wl * 3 / 4 + 4))) {
                rc = cer_err(cJSON_IsString(w) ? -ENOMEM : -EPROTO, "CAS reply: bad witnessCar");
                goto out;
            }
            if ((n = cer_base_decode(out->witness_car, wl * 3 / 4 + 4, CER_BASE64, w->valuestring, wl)) < 0) {
                rc = cer_err(-EPROTO, "CAS reply: witnessCar is not base64");
                goto out;
            }
            out->witness_len = (size_t)n;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        cer_cas_reply_free(out);
    cJSON_Delete(j);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Ethereum JSON-RPC                                                    */
/* ------------------------------------------------------------------ */

/* Call method with params (JSON text); *result caller frees. */
static int rpc(const cer_anchor_opts *o, const char *url, double *id, const char *method, const char *params,
               cJSON **result)
{
    cer_buf reply = CER_BUF_INIT;
    size_t n = strlen(method) + strlen(params) + 80;
    char *text = malloc(n);
    long status;
    int rc;

    *result = NULL;
    *id += 1;
    if (!text)
        return cer_err(-ENOMEM, "anchor: out of memory");
    snprintf(text, n, "{\"jsonrpc\":\"2.0\",\"id\":%.0f,\"method\":\"%s\",\"params\":%s}", *id, method, params);
    rc = http(&reply, &status, "POST", url, &(body){"application/json", text, strlen(text)}, NULL, o->timeout);
    free(text);
    if (rc == 0 && status != 200)
        rc = cer_err(-EREMOTEIO, "%s: HTTP status %ld", method, status);
    if (rc == 0)
        rc = cer_rpc_parse_reply(result, reply.data ? (const char *)reply.data : "", reply.len, *id);
    cer_buf_free(&reply);
    return rc < 0 ? cer_err_wrap(rc, "%s", method) : 0;
}

/* "0x" + hex of p[0..n) into out (room for 2n + 3). */
static void hex_of(char *out, const uint8_t *p, size_t n)
{
    out[0] = '0', out[1] = 'x';
    (void)cer_base_encode(out + 2, 2 * n + 1, CER_BASE16, p, n);
}

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
    hex_of(out, b, n);
    return 0;
}

/* Does the transaction input (hex text) carry root in the form tx_type names? */
static bool input_carries(const char *input, const cer_cid *root, const char *tx_type)
{
    uint8_t b[4 + CER_CID_BYTES_MAX];
    const char *h;
    cer_cid got;
    int n;

    if (strcmp(tx_type, V1_TX_TYPE) == 0) {
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

static int eth_chain_id(const cer_anchor_opts *o, const char *url, double *id, uint64_t *chain)
{
    cJSON *r;
    int rc = rpc(o, url, id, "eth_chainId", "[]", &r);

    if (rc == 0)
        rc = cer_eth_quantity(chain, r);
    cJSON_Delete(r);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Send root on chain; fill proof (chainId, txHash, txType, block info). */
static int eth_anchor(const cer_anchor_opts *o, const char *url, const char *from_opt, double *id,
                      const cer_cid *root, cer_anchor_proof *proof, bool (*stop_fn)(void *), void *arg)
{
    char input[2 * (4 + CER_CID_BYTES_MAX) + 3], from[64], params[1024], hash_hex[67];
    uint8_t hash[32];
    uint64_t chain, status, block_no, ts;
    cJSON *r = NULL, *blk = NULL;
    int64_t deadline;
    int rc;

    if ((rc = eth_chain_id(o, url, id, &chain)) < 0)
        return rc;
    if (from_opt) {
        snprintf(from, sizeof from, "%s", from_opt);
    } else {
        if ((rc = rpc(o, url, id, "eth_accounts", "[]", &r)) < 0)
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
    if ((rc = tx_input(input, sizeof input, root, o->eth_raw)) < 0)
        return rc;
    snprintf(params, sizeof params, "[{\"from\":\"%s\",\"to\":\"%s\",\"data\":\"%s\",\"gas\":\"0x30d40\"}]", from,
             o->eth_raw ? from : ANCHOR_CONTRACT, input);
    if ((rc = rpc(o, url, id, "eth_sendTransaction", params, &r)) < 0)
        return rc;
    rc = cer_eth_data(hash, 32, 32, r);
    cJSON_Delete(r);
    r = NULL;
    if (rc < 0)
        return cer_err_wrap(rc, "eth_sendTransaction");
    hex_of(hash_hex, hash, 32);
    snprintf(params, sizeof params, "[\"%s\"]", hash_hex);
    deadline = cer_clock_ms(CLOCK_REALTIME) + (int64_t)(o->confirm_timeout * 1000);
    for (;;) {
        if ((rc = rpc(o, url, id, "eth_getTransactionReceipt", params, &r)) < 0)
            return rc;
        if (!cJSON_IsNull(r))
            break;
        cJSON_Delete(r);
        r = NULL;
        if (cer_clock_ms(CLOCK_REALTIME) > deadline)
            return cer_err(-ETIMEDOUT, "eth: no receipt for %s within %.0f s", hash_hex, o->confirm_timeout);
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
    if ((rc = rpc(o, url, id, "eth_getBlockByHash", params, &blk)) < 0)
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
    snprintf(proof->tx_type, sizeof proof->tx_type, "%s", o->eth_raw ? "" : V1_TX_TYPE);
    proof->has_block_number = proof->has_block_timestamp = true;
    proof->block_number = (int64_t)block_no;
    proof->block_timestamp = (int64_t)ts;
out:
    cJSON_Delete(r);
    cJSON_Delete(blk);
    return rc;
}

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

static void defaults(cer_anchor_opts *o)
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

/* The built-in service's chain step for one root (anchor.h). */
int cer_anchor_root(const cer_anchor_opts *opts, const cer_cid *root, cer_anchor_proof *proof,
                    bool (*stop_fn)(void *), void *arg)
{
    cer_anchor_opts o = *opts;
    double id = 0;

    defaults(&o);
    if (o.chain && strcmp(o.chain, "eth") == 0) {
        if (!o.eth_rpc)
            return cer_err(-EINVAL, "anchor: chain eth needs an Ethereum RPC URL");
        return eth_anchor(&o, o.eth_rpc, o.eth_from, &id, root, proof, stop_fn, arg);
    }
    /* js-ceramic's in-memory service: a random eth-tx CID, txType
     * f(bytes32); block number and time as core <= 2.20 recorded them */
    uint8_t h[32];
    cer_cid r0 = *root;  /* root may point into *proof */
    randombytes_buf(h, sizeof h);
    memset(proof, 0, sizeof *proof);
    proof->root = r0;
    snprintf(proof->chain_id, sizeof proof->chain_id, "%s", INMEMORY_CHAIN);
    cer_eth_tx_cid(&proof->tx_hash, h);
    snprintf(proof->tx_type, sizeof proof->tx_type, "%s", V1_TX_TYPE);
    proof->has_block_number = proof->has_block_timestamp = true;
    proof->block_timestamp = proof->block_number = cer_clock_ms(CLOCK_REALTIME) / 1000;
    return 0;
}

int cer_anchor_chain_id(const cer_anchor_opts *opts, char *out, size_t cap)
{
    cer_anchor_opts o = *opts;
    uint64_t chain;
    double id = 0;
    int rc;

    if (!o.chain || strcmp(o.chain, "eth") != 0)
        return snprintf(out, cap, "%s", INMEMORY_CHAIN) < (int)cap ? 0 : -ENOSPC;
    if (!o.eth_rpc)
        return cer_err(-EINVAL, "anchor: chain eth needs an Ethereum RPC URL");
    defaults(&o);
    if ((rc = eth_chain_id(&o, o.eth_rpc, &id, &chain)) < 0)
        return rc;
    return snprintf(out, cap, "eip155:%llu", (unsigned long long)chain) < (int)cap ? 0 : -ENOSPC;
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
        {"inmemory", {INMEMORY_CHAIN}},
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
    cer_anchor_opts o = opts ? *opts : (cer_anchor_opts){0};
    char params[160], hash_hex[67], *end;
    cJSON *tx = NULL, *blk = NULL;
    uint64_t chain, ts;
    unsigned long long want_chain;
    double id = 0;
    int rc;

    defaults(&o);
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
    if (!o.eth_rpc) {
        set_why(why, why_cap, "unverified: no Ethereum RPC configured");
        return 0;
    }
    if ((rc = eth_chain_id(&o, o.eth_rpc, &id, &chain)) < 0) {
        set_why(why, why_cap, "unverified: chain unreachable: %s", cer_errmsg());
        return 0;
    }
    if (chain != want_chain) {
        rc = cer_err(-EINVAL, "anchor proof is for %s but the RPC serves eip155:%llu", proof->chain_id,
                     (unsigned long long)chain);
        goto rejected;
    }
    hex_of(hash_hex, proof->tx_hash.digest, 32);
    snprintf(params, sizeof params, "[\"%s\"]", hash_hex);
    if ((rc = rpc(&o, o.eth_rpc, &id, "eth_getTransactionByHash", params, &tx)) < 0) {
        set_why(why, why_cap, "unverified: chain unreachable: %s", cer_errmsg());
        return 0;
    }
    if (cJSON_IsNull(tx)) {
        rc = cer_err(-ENOENT, "anchor proof: transaction %s is not on %s", hash_hex, proof->chain_id);
        goto rejected;
    }
    if (!cJSON_IsString(get(tx, "input")) || !cJSON_IsString(get(tx, "blockHash")) ||
        strlen(get(tx, "blockHash")->valuestring) != 66) {
        rc = cer_err(-EPROTO, "anchor proof: transaction %s is not mined or malformed", hash_hex);
        goto rejected;
    }
    if (!input_carries(get(tx, "input")->valuestring, &proof->root, proof->tx_type)) {
        char r[CER_CID_STR_MAX];
        rc = cer_err(-EBADMSG, "anchor proof: transaction %s does not carry the root %s", hash_hex,
                     cid_str(r, &proof->root));
        goto rejected;
    }
    snprintf(params, sizeof params, "[\"%s\",false]", get(tx, "blockHash")->valuestring);
    if ((rc = rpc(&o, o.eth_rpc, &id, "eth_getBlockByHash", params, &blk)) < 0) {
        set_why(why, why_cap, "unverified: chain unreachable: %s", cer_errmsg());
        rc = 0;
        goto out;
    }
    if ((rc = cer_eth_quantity(&ts, get(blk, "timestamp"))) < 0 || ts > INT64_MAX / 2) {
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
        if (n >= a->o.max_attempts) {
            final = true;
            *e = a->q[--a->nq];
            a->n_failed++;
        } else {
            delay = (a->o.interval > 1 ? a->o.interval : 1) * (double)(1u << (n - 1 < 10 ? n - 1 : 10));
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

typedef struct leaf {
    cer_streamref id;
    cer_cid tip;
    char controller[CER_DID_MAX * 2];
    char sid[CER_STREAMID_STR_MAX];
} leaf;

static int leaf_cmp(const void *x, const void *y)
{
    const leaf *a = x, *b = y;

    return cer_merkle_leaf_cmp(a->controller, a->sid, b->controller, b->sid);
}

/* Take the due PENDING entries as PROCESSING; *out caller frees. */
static size_t take_due(cer_anchorer *a, leaf **out)
{
    int64_t now = cer_clock_ms(CLOCK_REALTIME);
    size_t n = 0;
    leaf *l;

    pthread_mutex_lock(&a->lock);
    l = a->nq ? calloc(a->nq, sizeof *l) : NULL;
    for (size_t i = 0; l && i < a->nq && n < CER_MERKLE_LEAVES_MAX; i++) {
        entry *e = &a->q[i];
        if (e->status != CER_ANCHOR_PENDING || e->next_ms > now)
            continue;
        e->status = CER_ANCHOR_PROCESSING;
        l[n].id = e->id;
        l[n].tip = e->tip;
        n++;
    }
    pthread_mutex_unlock(&a->lock);
    *out = l;
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
static size_t prepare(cer_anchorer *a, leaf *l, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        cer_state *st = NULL;
        const cJSON *c;
        bool ok = cer_node_state(a->node, &st, &l[i].id) == 0 && cer_cid_equal(cer_state_tip(st), &l[i].tip) &&
                  cer_node_set_anchor_status(a->node, &l[i].id, &l[i].tip, CER_ANCHOR_PROCESSING) == 0;

        if (ok) {
            c = get(st->metadata, "controllers");
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

static bool stopping(void *arg)
{
    cer_anchorer *a = arg;
    bool stop;

    pthread_mutex_lock(&a->lock);
    stop = a->stop;
    pthread_mutex_unlock(&a->lock);
    return stop;
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
    leaf *l = NULL;
    cer_cid *leaves = NULL, proof_cid;
    char(*paths)[CER_MERKLE_PATH_MAX] = NULL;
    char reason[256];
    cer_anchor_proof proof = {0};
    cer_block pb = {0};
    size_t n = take_due(a, &l);
    int rc = 0, anchored = 0;

    if (n == 0 || (n = prepare(a, l, n)) == 0)
        goto out;
    qsort(l, n, sizeof *l, leaf_cmp);
    if (!(leaves = calloc(n, sizeof *leaves)) || !(paths = calloc(n, sizeof *paths))) {
        rc = cer_err(-ENOMEM, "anchor: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        leaves[i] = l[i].tip;
    if ((rc = cer_merkle_build(&proof.root, paths, store, leaves, n, true)) < 0)
        goto fail;
    if ((rc = cer_anchor_root(&a->o, &proof.root, &proof, stopping, a)) < 0)
        goto fail;
    /* remembered before any commit uses it: this node's anchors count here */
    if ((rc = cer_anchor_proof_encode(&pb, &proof)) < 0 ||
        (rc = cer_store_put(store, &pb.cid, pb.bytes.data, pb.bytes.len)) < 0 ||
        (rc = cer_node_own_anchor(a->node, &proof)) < 0)
        goto fail;
    proof_cid = pb.cid;
    for (size_t i = 0; i < n; i++) {
        cer_anchor_commit ac = {.has_id = true, .id = l[i].id.genesis, .prev = l[i].tip, .proof = proof_cid};
        cer_stream_info info;
        cer_block cb = {0};
        int r;

        snprintf(ac.path, sizeof ac.path, "%s", paths[i]);
        /* a tip that moved meanwhile is not anchored here: the anchored
         * branch would win over the newer commit (conflict resolution,
         * core/README.md) */
        if (cer_node_info(a->node, &l[i].id, &info) < 0 || !cer_cid_equal(&info.tip, &l[i].tip)) {
            dequeue(a, &l[i].id, &l[i].tip);
            continue;
        }
        if ((r = cer_anchor_commit_encode(&cb, &ac)) == 0 &&
            (r = cer_store_put(store, &cb.cid, cb.bytes.data, cb.bytes.len)) == 0)
            r = apply_own(a, &l[i].id, &cb.cid);
        cer_buf_free(&cb.bytes);
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
    cer_buf_free(&pb.bytes);
    free(paths);
    free(leaves);
    free(l);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The CAS client                                                       */
/* ------------------------------------------------------------------ */

static int put_block(const cer_cid *cid, const uint8_t *data, size_t n, void *arg)
{
    return cer_store_put(arg, cid, data, n);
}

/* ---- the request body: a CAR, as js-ceramic core 2.46+ posts it ---- */

/* The blocks of a request CAR so far (a block goes in once). */
typedef struct car_w {
    cer_buf *car;
    cer_store *store;
    cer_cid in[5];
    size_t n;
} car_w;

/* Block cid from the store into the CAR, unless it is in already. */
static int car_put(car_w *w, const cer_cid *cid)
{
    cer_buf b = CER_BUF_INIT;
    int rc;

    for (size_t i = 0; i < w->n; i++)
        if (cer_cid_equal(&w->in[i], cid))
            return 0;
    if (w->n == sizeof w->in / sizeof w->in[0])
        return cer_err(-E2BIG, "too many blocks");
    if ((rc = cer_store_get(w->store, cid, &b)) == 0 && (rc = cer_car_put_block(w->car, cid, b.data, b.len)) == 0)
        w->in[w->n++] = *cid;
    cer_buf_free(&b);
    return rc;
}

/* The payload block of a signed (dag-jose) commit into the CAR. */
static int car_put_payload(car_w *w, const cer_cid *commit)
{
    cer_commit c;
    int rc;

    if (commit->codec != CER_CODEC_DAG_JOSE)
        return 0;
    if ((rc = cer_commit_read(&c, w->store, commit)) < 0)
        return rc;
    rc = car_put(w, &c.payload_cid);
    cer_commit_free(&c);
    return rc;
}

int cer_cas_request_car(cer_buf *car, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                        const char *timestamp)
{
    uint8_t sid[CER_STREAMID_BYTES_MAX];
    cer_buf root = CER_BUF_INIT;
    cer_cbor_w r = CER_CBOR_W_INIT(&root);
    car_w w = {car, store, {{0}}, 0};
    cer_cid root_cid;
    int n, rc;

    if ((n = cer_streamref_to_bytes(sid, sizeof sid, id)) < 0)
        return n;
    cer_cbor_w_map(&r, 3);  /* keys in canonical order: length, then bytes */
    cer_cbor_w_text(&r, "tip");
    cer_cbor_w_link(&r, tip);
    cer_cbor_w_text(&r, "streamId");
    cer_cbor_w_bytes(&r, sid, (size_t)n);
    cer_cbor_w_text(&r, "timestamp");
    cer_cbor_w_text(&r, timestamp);
    if ((rc = r.err) < 0 || (rc = cer_cid_of_block(&root_cid, CER_CODEC_DAG_CBOR, root.data, root.len)) < 0)
        goto out;
    /* js's order: root, genesis, tip, then the payloads of the signed ones */
    if ((rc = cer_car_put_header(car, &root_cid, 1)) < 0 ||
        (rc = cer_car_put_block(car, &root_cid, root.data, root.len)) < 0 ||
        (rc = car_put(&w, &id->genesis)) < 0 || (rc = car_put(&w, tip)) < 0 ||
        (rc = car_put_payload(&w, &id->genesis)) < 0)
        goto out;
    rc = car_put_payload(&w, tip);
out:
    cer_buf_free(&root);
    return rc < 0 ? cer_err_wrap(rc, "CAS request CAR") : 0;
}

/* A call to the CAS (GET without b, else POST): with auth_did signed by
 * the node's key as js-ceramic's DID anchor auth signs it (casauth.h). */
static int cas_http(cer_anchorer *a, cer_buf *reply, long *status, const char *url, const body *b)
{
    char *payload = NULL, *jws = NULL, *authz = NULL;
    int rc = 0;

    if (a->o.auth_did) {
        if ((rc = cer_casauth_payload(&payload, url, b ? b->type : NULL, b ? b->data : NULL, b ? b->len : 0)) < 0 ||
            (rc = cer_node_sign_jws(a->node, &jws, (const uint8_t *)payload, strlen(payload))) < 0)
            goto out;
        if (!(authz = malloc(strlen(jws) + 8))) {
            rc = cer_err(-ENOMEM, "anchor: out of memory");
            goto out;
        }
        sprintf(authz, "Bearer %s", jws);
    }
    rc = http(reply, status, b ? "POST" : "GET", url, b, authz, a->o.timeout);
out:
    free(payload);
    free(jws);
    free(authz);
    return rc;
}

/* POST the anchor request for l: the CAR body, or the JSON one
 * {streamId, cid, timestamp} of CAS versions before CAR requests. A CAS
 * that refuses the CAR (HTTP 400 or 415) is asked again with JSON, and
 * when that works it gets JSON from then on. */
static int cas_post(cer_anchorer *a, const leaf *l, cer_buf *reply, long *status)
{
    char url[1024], tip[CER_CID_STR_MAX], when[32], json[CER_STREAMID_STR_MAX + CER_CID_STR_MAX + 128];
    cer_buf car = CER_BUF_INIT;
    bool as_json;
    int rc = 0;

    snprintf(url, sizeof url, "%s/api/v0/requests", a->service_url);
    pthread_mutex_lock(&a->lock);
    as_json = a->cas_json;
    pthread_mutex_unlock(&a->lock);
    if (!as_json) {
        iso_now(when);
        if ((rc = cer_cas_request_car(&car, cer_node_store(a->node), &l->id, &l->tip, when)) == 0)
            rc = cas_http(a, reply, status, url, &(body){"application/vnd.ipld.car", car.data, car.len});
        cer_buf_free(&car);
        if (rc < 0 || (*status != 400 && *status != 415))
            return rc;
    }
    iso_now(when);
    snprintf(json, sizeof json, "{\"streamId\":\"%s\",\"cid\":\"%s\",\"timestamp\":\"%s\"}", l->sid,
             cid_str(tip, &l->tip), when);
    rc = cas_http(a, reply, status, url, &(body){"application/json", json, strlen(json)});
    if (rc == 0 && !as_json && *status >= 200 && *status < 300) {
        pthread_mutex_lock(&a->lock);
        a->cas_json = true;
        pthread_mutex_unlock(&a->lock);
        cer_node_event(a->node, "anchor", NULL, "the CAS at %s refused a CAR request and took JSON: JSON from now on",
                       a->service_url);
    }
    return rc;
}

/* Whether id's tip is the anchor commit ac, verified here. */
static bool anchor_counts(cer_anchorer *a, const cer_streamref *id, const cer_cid *ac)
{
    cer_state *st = NULL;
    bool ok = cer_node_state(a->node, &st, id) == 0 && cer_cid_equal(cer_state_tip(st), ac) &&
              st->log[st->log_len - 1].check == CER_CHECK_VERIFIED;

    cer_state_free(st);
    cer_errclear();
    return ok;
}

/* One request or poll for one queued tip; returns 1 when anchored. */
static int cas_step(cer_anchorer *a, const leaf *l, bool requested)
{
    char url[1024], tip[CER_CID_STR_MAX];
    cer_buf reply = CER_BUF_INIT;
    cer_cas_reply r = {0};
    long status;
    int rc;

    cid_str(tip, &l->tip);
    if (!requested) {
        snprintf(url, sizeof url, "%s/api/v0/requests", a->service_url);
        rc = cas_post(a, l, &reply, &status);
    } else {
        snprintf(url, sizeof url, "%s/api/v0/requests/%s", a->service_url, tip);
        rc = cas_http(a, &reply, &status, url, NULL);
    }
    /* these come with {"error": why}, which the parser reports */
    if (rc == 0 && (status < 200 || status >= 300) && status != 400 && status != 401 && status != 403 &&
        status != 404 && status != 429)
        rc = cer_err(-EREMOTEIO, "CAS %s: HTTP status %ld", url, status);
    if (rc == 0)
        rc = cer_cas_parse_reply(&r, reply.data ? (const char *)reply.data : "", reply.len);
    cer_buf_free(&reply);
    if (rc < 0)
        return rc;
    if (!cer_cid_equal(&r.cid, &l->tip)) {
        rc = cer_err(-EPROTO, "CAS answered for another commit than %s", tip);
        goto out;
    }
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
    leaf *l = NULL;
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
/* The poller                                                           */
/* ------------------------------------------------------------------ */

/* Whether st's tip is an anchor commit that counts (verified here): an
 * unverified one anchors nothing, so its tip still wants an anchor. */
static bool tip_anchored(const cer_state *st)
{
    const cer_log_entry *e = &st->log[st->log_len - 1];

    return e->type == CER_COMMIT_ANCHOR && e->check == CER_CHECK_VERIFIED;
}

static bool in_log(const cer_state *st, const cer_cid *cid)
{
    for (size_t i = st->log_len; i-- > 0;)
        if (cer_cid_equal(&st->log[i].cid, cid))
            return true;
    return false;
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
            st->log[st->log_len - 1].type == CER_COMMIT_ANCHOR && !tip_anchored(st) && in_log(st, &queued))
            (void)enqueue(a, id, tip);
        cer_state_free(st);
        cer_errclear();
        return;
    }
    /* our own anchor commits come back as local changes (so the sync
     * publishes them): never anchored again */
    pthread_mutex_lock(&a->lock);
    ours = a->applying && cer_cid_equal(&a->own, tip);
    pthread_mutex_unlock(&a->lock);
    if (!ours)
        (void)enqueue(a, id, tip);
}

int cer_anchorer_flush(cer_anchorer *a)
{
    int rc = 0;

    pthread_mutex_lock(&a->run);
    if (a->active)
        rc = a->cas ? cas_round(a) : local_batch(a);
    if (a->checking)  /* anchors left unverified while the chain was away */
        (void)cer_node_recheck_anchors(a->node);
    pthread_mutex_unlock(&a->run);
    return rc;
}

static void *poller(void *arg)
{
    cer_anchorer *a = arg;

    pthread_mutex_lock(&a->lock);
    while (!a->stop) {
        struct timespec ts;
        cer_clock_deadline(&ts, CLOCK_REALTIME, (int64_t)(a->o.interval * 1000));
        pthread_cond_timedwait(&a->wake, &a->lock, &ts);
        if (a->stop)
            break;
        pthread_mutex_unlock(&a->lock);
        (void)cer_anchorer_flush(a);
        cer_errclear();
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
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
        const cJSON *c = get(st->metadata, "controllers");
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
    defaults(&a->o);
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->run, NULL);
    pthread_cond_init(&a->wake, NULL);
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
    if (a->o.interval > 0) {
        if ((rc = pthread_create(&a->thread, NULL, poller, a)) != 0) {
            rc = cer_err(-rc, "anchor: cannot start the poller thread");
            goto fail;
        }
        a->has_thread = true;
    }
    *out = a;
    return 0;
fail:
    {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", cer_errmsg());
        a->has_thread = false;
        cer_anchorer_stop(a);
        return cer_err(rc, "%s", msg);
    }
}

void cer_anchorer_stop(cer_anchorer *a)
{
    if (!a)
        return;
    if (a->has_thread) {
        pthread_mutex_lock(&a->lock);
        a->stop = true;
        pthread_cond_signal(&a->wake);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
    }
    if (a->listening)
        (void)cer_node_unlisten(a->node, on_change, a);
    if (a->sectioned)
        (void)cer_node_unsection(a->node, "anchor");
    if (a->checking)
        (void)cer_node_set_anchor_check(a->node, NULL);
    cer_errclear();
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->run);
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
