/*
 * fuzz_cacao.c — libFuzzer target: CACAO blocks (cacao.c) on arbitrary
 * bytes: decode, the SIWE and SIWS texts in both orders, verification at
 * a fixed time and a commit's use of it. Invariants: a decoded CACAO has
 * string iss and aud; a message is only built from one that decoded;
 * verification and authorization answer 0 or a negative errno with a
 * message; nothing leaks.
 */
#include "cacao.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_cacao c;
    cer_cacao_use use = {"did:pkh:eip155:1:0xB8C6A922dfDEcc5a896175A5C775d79527891e84",
                         "did:key:z6MkiGZDcw7kv1X9pbNx4T2vJ7LReniVwDHceXEjQmDq5k3u",
                         "kjzl6cwe1jw145as6b4bgg5chb1x3jz3llz2yfp4h07pwjw3tsrh8yzfu7h1z2f",
                         "bafyreidu4j7u4srmgzih4xv7bpsefjez4bqqqlkdqviwugodss63de7vyi", NULL, 1767182400000};
    int rc;

    if (cer_cacao_decode(&c, data, len) < 0)
        return 0;
    assert(c.iss && c.aud && c.p);
    for (int legacy = 0; legacy < 2; legacy++) {
        cer_buf m = CER_BUF_INIT;
        rc = cer_cacao_message(&m, c.p, legacy ? "Ethereum" : "Solana", legacy);
        assert(rc == 0 || rc == -EINVAL || rc == -EKEYREJECTED || rc == -ENOMEM);
        cer_buf_free(&m);
    }
    rc = cer_cacao_verify(&c, use.at_ms);
    assert(rc <= 0 && (rc == 0 || cer_errmsg()[0]));
    rc = cer_cacao_authorize(&c, &use);
    assert(rc <= 0 && (rc == 0 || cer_errmsg()[0]));
    use.model = "kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xoazdh6t0pbo2ms0z1w6xj4";
    use.signer = use.controller;
    assert(cer_cacao_authorize(&c, &use) <= 0);
    cer_cacao_free(&c);
    return 0;
}
