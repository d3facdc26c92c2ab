/*
 * fuzz_anchor_replies.c — libFuzzer target: what anchoring reads from
 * outside. The first byte picks the parser: 0 an Ethereum JSON-RPC reply
 * (and its quantity / data fields), 1 a CAS reply (and its witness CAR),
 * 2 a CAR alone, 3 a Merkle path string (parsed turns must rebuild the
 * same string, and every path of a tree of that many leaves must parse).
 */
#include "ceramic.h"
#include "cas.h"
#include "eth.h"
#include "merkle.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static int count(const cer_cid *cid, const uint8_t *d, size_t n, void *arg)
{
    (void)cid, (void)d, (void)n;
    (*(int *)arg)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *text;
    cJSON *r = NULL;
    cer_cas_reply c;
    uint64_t q;
    uint8_t buf[64], turns[64];
    int n, blocks = 0;

    if (len < 1)
        return 0;
    if (!(text = malloc(len)))
        return 0;
    memcpy(text, data + 1, len - 1);
    text[len - 1] = '\0';
    switch (data[0] % 4) {
    case 0:
        if (cer_rpc_parse_reply(&r, text, len - 1, 1) == 0) {
            assert(r);
            (void)cer_eth_quantity(&q, r);
            (void)cer_eth_data(buf, sizeof buf, 0, r);
            if (cJSON_IsObject(r)) {
                (void)cer_eth_quantity(&q, cJSON_GetObjectItem(r, "status"));
                (void)cer_eth_data(buf, sizeof buf, 32, cJSON_GetObjectItem(r, "hash"));
            }
            cJSON_Delete(r);
        }
        break;
    case 1:
        if (cer_cas_parse_reply(&c, text, len - 1) == 0) {
            assert(c.status >= CER_ANCHOR_PENDING && c.status <= CER_ANCHOR_REPLACED);
            assert(c.status != CER_ANCHOR_ANCHORED || c.has_anchor_commit);
            if (c.witness_car)
                (void)cer_car_each(c.witness_car, c.witness_len, NULL, NULL);
            cer_cas_reply_free(&c);
        }
        break;
    case 2:
        n = cer_car_each(data + 1, len - 1, count, &blocks);
        assert(n < 0 || n == blocks);
        break;
    default:
        n = cer_merkle_path_parse(turns, sizeof turns, text);
        if (n > 0) {
            char again[2 * sizeof turns + 1];
            size_t k = 0;
            for (int i = 0; i < n; i++) {
                if (i)
                    again[k++] = '/';
                again[k++] = (char)('0' + turns[i]);
            }
            again[k] = '\0';
            assert(strcmp(again, text) == 0);
        }
        if (len > 2) {
            size_t leaves = 1 + (data[1] | (size_t)data[2] << 8), idx = (data[len - 1] * 257u) % leaves;
            char p[CER_MERKLE_PATH_MAX];
            assert(cer_merkle_path_of(p, idx, leaves) == 0);
            assert(cer_merkle_path_parse(turns, sizeof turns, p) > 0);
        }
        break;
    }
    free(text);
    return 0;
}
