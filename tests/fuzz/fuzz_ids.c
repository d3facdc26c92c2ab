/*
 * fuzz_ids.c — libFuzzer target: every identifier parser (varint,
 * multibase, CID, StreamID/CommitID, did:key) on the input as bytes and as
 * a string; whatever parses must print and parse back to the same value
 * (but for CIDv0 commits, see as_string).
 */
#include "ceramic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void as_string(const char *s)
{
    cer_cid cid, cid2;
    cer_streamref ref, ref2;
    uint8_t buf[4096];
    cer_pubkey pk;
    char out[4096];

    if (cer_cid_parse(&cid, s) == 0) {
        assert(cer_cid_to_string(out, sizeof out, &cid) > 0);
        assert(cer_cid_parse(&cid2, out) == 0 && cer_cid_equal(&cid, &cid2));
    }
    if (cer_streamref_parse(&ref, s) == 0) {
        assert(cer_streamref_to_string(out, sizeof out, &ref) > 0);
        /* a legacy '?commit=Qm...' (CIDv0) commit is written as the bare
         * multihash, as js-ceramic writes it, and no reader (js's nor
         * ours) decodes that back: the one case with no round trip
         * (tests/vectors/protocol-ids.json; crash-6078...) */
        if (ref.is_commit && ref.commit.version == 0)
            return;
        assert(cer_streamref_parse(&ref2, out) == 0);
        assert(ref2.type == ref.type && ref2.is_commit == ref.is_commit);
        assert(cer_cid_equal(&ref2.genesis, &ref.genesis));
    }
    (void)cer_multibase_decode(buf, sizeof buf, s);
    if (cer_did_pubkey(&pk, s) == 0) {
        assert(cer_did_from_pubkey(out, sizeof out, &pk) > 0);
        assert(strncmp(out, s, strlen(out)) == 0);
    }
}

static void as_bytes(const uint8_t *data, size_t len)
{
    cer_cid cid;
    cer_streamref ref;
    uint64_t v;
    uint8_t out[4096];
    int n;

    if ((n = cer_cid_from_bytes(&cid, data, len)) > 0) {
        int m = cer_cid_to_bytes(out, sizeof out, &cid);
        assert(m == n && memcmp(out, data, (size_t)n) == 0);
    }
    if (cer_streamref_from_bytes(&ref, data, len) == 0) {
        n = cer_streamref_to_bytes(out, sizeof out, &ref);
        assert(n > 0);
    }
    if ((n = cer_varint_get(&v, data, len)) > 0) {
        uint8_t b[CER_VARINT_MAX];
        assert(cer_varint_put(b, v) == (size_t)n && memcmp(b, data, (size_t)n) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *s;

    as_bytes(data, len);
    if (len > 8192)
        return 0;
    s = malloc(len + 1);
    if (!s)
        return 0;
    memcpy(s, data, len);
    s[len] = 0;
    as_string(s);
    free(s);
    return 0;
}
