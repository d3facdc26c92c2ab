/*
 * fuzz_jsapi.c — libFuzzer target: the request bodies of js-ceramic's HTTP
 * API (jsapi.c). The first byte picks the parser (create, apply,
 * multiquery); the rest is the body. A parser must accept or refuse any
 * bytes without crashing, leave nothing behind when it refuses, and what
 * it accepts must be whole: every block hashes to its CID, a signed
 * commit's envelope decodes and links its payload, every query has a
 * StreamID, its paths and its genesis' block.
 */
#include "ceramic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check_request(const cer_jsapi_request *r)
{
    const cer_commit_blocks *c = &r->commit;
    cer_jws jws;

    assert(cer_cid_check_block(&c->payload.cid, c->payload.bytes.data, c->payload.bytes.len) == 0);
    assert(c->payload.bytes.len <= CER_BLOCK_MAX);
    if (!c->is_signed) {
        assert(c->envelope.bytes.len == 0);
        return;
    }
    assert(cer_cid_check_block(&c->envelope.cid, c->envelope.bytes.data, c->envelope.bytes.len) == 0);
    assert(cer_dagjose_decode(&jws, c->envelope.bytes.data, c->envelope.bytes.len) == 0);
    assert(jws.has_link && cer_cid_equal(&jws.link, &c->payload.cid));
    cer_jws_free(&jws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_jsapi_request r;
    cer_jsapi_multiquery mq;
    const char *body = (const char *)data + 1;
    int rc;

    if (len == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
    case 1:
        rc = data[0] % 3 ? cer_jsapi_parse_apply(&r, body, len - 1) : cer_jsapi_parse_create(&r, body, len - 1);
        if (rc < 0) {
            assert(!r.commit.payload.bytes.data && !r.commit.envelope.bytes.data && !r.cacao.data);
            return 0;
        }
        check_request(&r);
        cer_jsapi_request_free(&r);
        break;
    default:
        if (cer_jsapi_parse_multiquery(&mq, body, len - 1) < 0) {
            assert(!mq.queries && mq.nqueries == 0);
            return 0;
        }
        for (size_t i = 0; i < mq.nqueries; i++) {
            const cer_jsapi_query *q = &mq.queries[i];
            for (size_t p = 0; p < q->npaths; p++)
                assert(q->paths[p]);
            if (q->has_genesis)
                assert(cer_cid_check_block(&q->genesis.payload.cid, q->genesis.payload.bytes.data,
                                           q->genesis.payload.bytes.len) == 0);
        }
        cer_jsapi_multiquery_free(&mq);
        break;
    }
    return 0;
}
