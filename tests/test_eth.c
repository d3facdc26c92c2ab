/*
 * test_eth.c — Ethereum over JSON-RPC (eth.c): the strict parsers of its
 * replies, the anchor transaction's input in both forms as js-ceramic
 * reads them, and a call against the fake HTTP server of fakehttp.c. The
 * whole anchoring on a fake chain and on a real one is test_anchor.c's.
 */
#include "testutil.h"
#include "eth.h"
#include "fakehttp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *json(const char *s)
{
    cJSON *j;

    ck_assert_int_eq(cer_json_parse(&j, s, strlen(s), 0), 0);
    return j;
}

START_TEST(rpc_replies)
{
    cJSON *r;
    uint64_t q;
    uint8_t d[4];
#define P(s, id) cer_rpc_parse_reply(&r, s, strlen(s), id)
    ck_assert_int_eq(P("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"0x539\"}", 3), 0);
    ck_assert_int_eq(cer_eth_quantity(&q, r), 0);
    ck_assert_uint_eq(q, 1337);
    cJSON_Delete(r);
    ck_assert_int_eq(P("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}", 3), 0);
    ck_assert(cJSON_IsNull(r));
    cJSON_Delete(r);
    ck_assert_int_eq(P("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":1}", 3), -EPROTO);
    ck_assert_int_eq(P("{\"jsonrpc\":\"1.0\",\"id\":3,\"result\":1}", 3), -EPROTO);
    ck_assert_int_eq(P("{\"jsonrpc\":\"2.0\",\"id\":3}", 3), -EPROTO);
    ck_assert_int_eq(P("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32000,\"message\":\"boom\"}}", 3), -EREMOTEIO);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "boom"));
    ck_assert_int_lt(P("not json", 3), 0);
    ck_assert_int_lt(P("[1]", 3), 0);
#undef P
    {
        const char *bad[] = {"\"0x\"", "\"0x01\"", "\"539\"", "\"0x12345678901234567\"", "\"0xg\"", "5"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            cJSON *v = json(bad[i]);
            ck_assert_int_lt(cer_eth_quantity(&q, v), 0);
            cJSON_Delete(v);
        }
        r = json("\"0x0\"");
        ck_assert_int_eq(cer_eth_quantity(&q, r), 0);
        ck_assert_uint_eq(q, 0);
        cJSON_Delete(r);
        r = json("\"0xa1b2c3\"");
        ck_assert_int_eq(cer_eth_data(d, sizeof d, 3, r), 3);
        ck_assert_int_eq(cer_eth_data(d, sizeof d, 4, r), -EPROTO);
        cJSON_Delete(r);
        r = json("\"0xa1b\"");
        ck_assert_int_eq(cer_eth_data(d, sizeof d, 0, r), -EPROTO);
        cJSON_Delete(r);
    }
}
END_TEST

/* v1: selector 0x97ad09eb + the root's sha2-256 digest (any case); v0:
 * 0x0f || the root CID's bytes, read as js does (drop /^0x0?/ and one more
 * character). */
START_TEST(input_forms)
{
    cer_cid root, other;
    uint8_t raw[CER_CID_BYTES_MAX];
    char in[2 * (CER_CID_BYTES_MAX + 4) + 3], *h;
    int n;

    ck_assert_int_eq(cer_cid_of_block(&root, CER_CODEC_DAG_CBOR, (const uint8_t *)"\x80", 1), 0);
    ck_assert_int_eq(cer_cid_of_block(&other, CER_CODEC_DAG_CBOR, (const uint8_t *)"\xa0", 1), 0);
    h = tu_hex(root.digest, 32);
    snprintf(in, sizeof in, "0x97ad09eb%s", h);
    free(h);
    ck_assert(cer_eth_input_carries(in, &root, CER_ETH_V1_TX_TYPE));
    ck_assert(!cer_eth_input_carries(in, &other, CER_ETH_V1_TX_TYPE));
    for (char *p = in + 2; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    ck_assert(cer_eth_input_carries(in, &root, CER_ETH_V1_TX_TYPE));
    ck_assert(!cer_eth_input_carries(in, &root, ""));  /* not a v0 input */
    n = cer_cid_to_bytes(raw, sizeof raw, &root);
    h = tu_hex(raw, (size_t)n);
    snprintf(in, sizeof in, "0x0f%s", h);
    ck_assert(cer_eth_input_carries(in, &root, ""));
    ck_assert(!cer_eth_input_carries(in, &other, ""));
    ck_assert(!cer_eth_input_carries(in, &root, CER_ETH_V1_TX_TYPE));
    snprintf(in, sizeof in, "0xf%s", h);
    ck_assert(cer_eth_input_carries(in, &root, ""));
    snprintf(in, sizeof in, "0x0f%sz", h);
    ck_assert(!cer_eth_input_carries(in, &root, ""));
    ck_assert(!cer_eth_input_carries("0x", &root, ""));
    ck_assert(!cer_eth_input_carries("0x0", &root, ""));
    ck_assert(!cer_eth_input_carries("junk", &root, ""));
    free(h);
}
END_TEST

/* ---- calls ---- */

typedef struct rpc_fake {
    int status;                 /* the HTTP status to answer */
    double id_shift;            /* answer for another request id */
    int calls;
} rpc_fake;

static int rpc_handler(void *arg, const fakehttp_req *r, cer_buf *reply)
{
    rpc_fake *f = arg;
    cJSON *q = json(r->body);
    char out[256];

    f->calls++;
    ck_assert_str_eq(r->method, "POST");
    ck_assert_str_eq(r->content_type, "application/json");
    ck_assert_str_eq(cJSON_GetObjectItem(q, "jsonrpc")->valuestring, "2.0");
    ck_assert_str_eq(cJSON_GetObjectItem(q, "method")->valuestring, "eth_chainId");
    snprintf(out, sizeof out, "{\"jsonrpc\":\"2.0\",\"id\":%.0f,\"result\":\"0x539\"}",
             cJSON_GetObjectItem(q, "id")->valuedouble + f->id_shift);
    cJSON_Delete(q);
    ck_assert_int_eq(cer_buf_puts(reply, out), 0);
    return f->status;
}

START_TEST(calls)
{
    rpc_fake f = {.status = 200};
    fakehttp srv;
    char url[64];
    cer_http_client *http;
    cer_eth e = {NULL, url, 2, 0};
    uint64_t chain = 0;

    fakehttp_start(&srv, rpc_handler, &f);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
    ck_assert_int_eq(cer_http_client_open(&http), 0);
    ck_assert_msg(cer_eth_chain_id(&e, &chain) == 0, "%s", cer_errmsg());
    ck_assert_uint_eq(chain, 1337);
    e.http = http;  /* through a pool: the same answers */
    ck_assert_int_eq(cer_eth_chain_id(&e, &chain), 0);
    ck_assert_int_eq(e.id, 2);
    f.id_shift = 1;  /* an answer to another request */
    ck_assert_int_eq(cer_eth_chain_id(&e, &chain), -EPROTO);
    f.id_shift = 0;
    f.status = 500;
    ck_assert_int_eq(cer_eth_chain_id(&e, &chain), -EREMOTEIO);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "eth_chainId: HTTP status 500"));
    ck_assert_int_eq(f.calls, 4);
    fakehttp_stop(&srv);
    /* nothing listens there any more */
    ck_assert_int_eq(cer_eth_chain_id(&e, &chain), -ECONNREFUSED);
    cer_http_client_close(http);
}
END_TEST

static Suite *eth_suite(void)
{
    Suite *s = suite_create("eth");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, rpc_replies);
    tcase_add_test(tc, input_forms);
    tcase_add_test(tc, calls);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(eth_suite)
