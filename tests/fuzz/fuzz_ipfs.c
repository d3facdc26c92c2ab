/*
 * fuzz_ipfs.c — libFuzzer target: the IPFS RPC reply parsers (error, Key,
 * string members, Pins) on arbitrary bytes, and the pubsub NDJSON stream:
 * the input is split at an input-chosen point and fed to the line splitter
 * in two pieces, every line parsed as a pubsub/sub message and, when that
 * succeeds, its payload as a Ceramic message. Invariants: splitting never
 * changes the lines seen; parsed messages respect their bounds.
 */
#include "ceramic.h"
#include "ipfs.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

typedef struct seen {
    unsigned long hash;
    size_t lines, big;
} seen;

static int on_line(void *arg, const char *line, size_t len, int err)
{
    seen *s = arg;
    cer_ipfs_msg m;
    uint8_t *scratch = NULL;
    cer_msg cm;

    if (!line) {
        assert(err < 0);
        s->big++;
        return 0;
    }
    assert(len > 0 && len <= 4096 && strlen(line) <= len);
    s->lines++;
    for (size_t i = 0; i < len; i++)
        s->hash = s->hash * 31 + (unsigned char)line[i];
    if (cer_ipfs_parse_sub_line(&m, &scratch, "uL3Q", line, len) == 0) {
        assert(m.seqno_len <= sizeof m.seqno && strlen(m.from) < sizeof m.from);
        if (cer_msg_parse(&cm, m.data, m.len) == 0)
            cer_msg_free(&cm);
    }
    free(scratch);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char out[128];
    cer_cid cid;
    size_t size, cut;
    cer_ndjson p1 = {.max = 4096}, p2 = {.max = 4096};
    seen a = {0}, b = {0};

    (void)cer_ipfs_parse_error(out, sizeof out, data, len);
    (void)cer_ipfs_parse_key(&cid, &size, data, len);
    (void)cer_ipfs_parse_string(out, sizeof out, data, len, "ID");

    cut = len ? data[0] % (len + 1) : 0;
    cer_ndjson_feed(&p1, data, len, on_line, &a);
    cer_ndjson_feed(&p2, data, cut, on_line, &b);
    cer_ndjson_feed(&p2, data + cut, len - cut, on_line, &b);
    assert(a.lines == b.lines && a.hash == b.hash && a.big == b.big);
    cer_ndjson_free(&p1);
    cer_ndjson_free(&p2);
    return 0;
}
