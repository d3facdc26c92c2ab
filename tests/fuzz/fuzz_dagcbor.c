/*
 * fuzz_dagcbor.c — libFuzzer target: the DAG-CBOR decoder must reject or
 * accept any input without crashing, and whatever it accepts must survive
 * a round trip through the encoder (dag-json mode) and the decoder again.
 */
#include "ceramic.h"

#include <assert.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cJSON *a = NULL, *b = NULL;
    cer_buf enc = CER_BUF_INIT;

    if (cer_dagcbor_decode(&a, data, len) < 0)
        return 0;
    if (cer_dagcbor_encode(&enc, a, CER_DAGJSON) == 0) {
        int rc = cer_dagcbor_decode(&b, enc.data, enc.len);
        assert(rc == 0);
        assert(cJSON_Compare(a, b, 1));
        /* canonical bytes are a fixed point */
        cer_buf again = CER_BUF_INIT;
        assert(cer_dagcbor_encode(&again, b, CER_DAGJSON) == 0);
        assert(again.len == enc.len && memcmp(again.data, enc.data, enc.len) == 0);
        cer_buf_free(&again);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    cer_buf_free(&enc);
    return 0;
}
