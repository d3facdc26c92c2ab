/*
 * fuzz_dagcbor.c — libFuzzer target: the DAG-CBOR decoder must reject or
 * accept any input without crashing, and whatever it accepts must survive
 * a round trip through the encoder and the decoder again (crash-b906...:
 * keys holding U+0000 were sorted by their in-memory length, not the
 * wire's, so the encoding was not canonical). As plain maps, bytes and
 * links are two and one levels of JSON objects, so a value the decoder
 * accepts near the depth limit may be too deep to encode that way
 * (crash-44c8...); it must then encode in dag-json mode.
 */
#include "ceramic.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cJSON *a = NULL, *b = NULL;
    cer_buf enc = CER_BUF_INIT, again = CER_BUF_INIT;

    int rc;

    if (cer_dagcbor_decode(&a, data, len) < 0)
        return 0;
    /* as plain maps (links and bytes stay their dag-json maps), encoding
     * works unless those maps go past the depth limit, decodes to the same
     * value, and is a fixed point */
    rc = cer_dagcbor_encode(&enc, a, 0);
    if (rc == -EFBIG) {
        enc.len = 0;
        rc = cer_dagcbor_encode(&enc, a, CER_DAGJSON);
        assert(rc != -EFBIG);
        goto out;
    }
    assert(rc == 0);
    assert(cer_dagcbor_decode(&b, enc.data, enc.len) == 0);
    assert(cer_json_equal(a, b));
    assert(cer_dagcbor_encode(&again, b, 0) == 0);
    assert(again.len == enc.len && memcmp(again.data, enc.data, enc.len) == 0);
    cJSON_Delete(b);
    b = NULL;
    /* in dag-json mode, when it encodes (a map whose first key is "/" may
     * not: dag-json reserves it), it decodes to the same value */
    enc.len = 0;
    if (cer_dagcbor_encode(&enc, a, CER_DAGJSON) == 0) {
        assert(cer_dagcbor_decode(&b, enc.data, enc.len) == 0);
        assert(cer_json_equal(a, b));
    }
out:
    cJSON_Delete(a);
    cJSON_Delete(b);
    cer_buf_free(&enc);
    cer_buf_free(&again);
    return 0;
}
