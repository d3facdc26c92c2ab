/*
 * fuzz_pubsub.c — libFuzzer target: the pubsub message parser; any message
 * it accepts must encode and parse again to the same type, with the same
 * inline blocks (UPDATE "inlineBlocks"), byte for byte; a malformed
 * "inlineBlocks" leaves none.
 */
#include "ceramic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_msg m, m2;
    char *out = NULL;

    if (cer_msg_parse(&m, data, len) < 0)
        return 0;
    assert(!m.inline_error[0] || m.ninline == 0);  /* a bad field is dropped whole */
    if (cer_msg_encode(&out, &m) == 0) {
        assert(cer_msg_parse(&m2, (const uint8_t *)out, strlen(out)) == 0);
        assert(m2.typ == m.typ);
        assert(m2.ninline == m.ninline);
        for (size_t i = 0; i < m.ninline; i++)
            assert(m2.inline_blocks[i].len == m.inline_blocks[i].len &&
                   memcmp(m2.inline_blocks[i].data, m.inline_blocks[i].data, m.inline_blocks[i].len) == 0);
        cer_msg_free(&m2);
        free(out);
    }
    cer_msg_free(&m);
    return 0;
}
