/*
 * fuzz_anchor.c — libFuzzer target: anchor commits and proofs decoded from
 * arbitrary DAG-CBOR; accepted values must re-encode to blocks that decode
 * to the same values.
 */
#include "ceramic.h"

#include <assert.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cJSON *d = NULL, *d2 = NULL;
    cer_anchor_commit ac, ac2;
    cer_anchor_proof p, p2;
    cer_block b;

    if (cer_dagcbor_decode(&d, data, len) < 0)
        return 0;
    if (cer_anchor_commit_decode(&ac, d) == 0 && cer_anchor_commit_encode(&b, &ac) == 0) {
        assert(cer_dagcbor_decode(&d2, b.bytes.data, b.bytes.len) == 0);
        assert(cer_anchor_commit_decode(&ac2, d2) == 0);
        assert(cer_cid_equal(&ac.prev, &ac2.prev) && strcmp(ac.path, ac2.path) == 0);
        cJSON_Delete(d2);
        d2 = NULL;
        cer_buf_free(&b.bytes);
    }
    if (cer_anchor_proof_decode(&p, d) == 0 && cer_anchor_proof_encode(&b, &p) == 0) {
        assert(cer_dagcbor_decode(&d2, b.bytes.data, b.bytes.len) == 0);
        assert(cer_anchor_proof_decode(&p2, d2) == 0);
        assert(cer_cid_equal(&p.root, &p2.root) && strcmp(p.chain_id, p2.chain_id) == 0);
        cer_buf_free(&b.bytes);
    }
    cJSON_Delete(d);
    cJSON_Delete(d2);
    return 0;
}
