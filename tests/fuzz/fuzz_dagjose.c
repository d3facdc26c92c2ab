/*
 * fuzz_dagjose.c — libFuzzer target: DAG-JOSE decoding, signature checks
 * and re-encoding of any accepted envelope.
 */
#include "ceramic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_jws jws;
    cer_buf enc = CER_BUF_INIT;
    char kid[CER_KID_MAX], *compact = NULL;

    if (cer_dagjose_decode(&jws, data, len) < 0)
        return 0;
    for (size_t i = 0; i < jws.nsigs; i++) {
        (void)cer_jws_verify(&jws, i, kid, sizeof kid);
        if (cer_jws_compact(&compact, &jws, i) == 0)
            free(compact);
    }
    assert(cer_dagjose_encode(&enc, &jws) == 0);
    cer_buf_free(&enc);
    cer_jws_free(&jws);
    return 0;
}
