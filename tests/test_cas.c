/*
 * test_cas.c — the Ceramic Anchor Service client (cas.c): the request CAR
 * byte for byte as js-ceramic builds it, and the strict parser of the
 * service's replies. Requests and polls against a fake service, with
 * their effect on a node, are test_anchor.c's (cas_client); the service
 * side is test_casd.c's.
 */
#include "testutil.h"
#include "cas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The CAR of an anchor request, byte for byte as js-ceramic core 2.46.0's
 * AnchorRequestCarBuilder builds it (tests/vectors/cas-request.json, from
 * gen/cas-request.mjs on the signed commits of js-vectors.json). */
START_TEST(request_car_vectors)
{
    cJSON *want = tu_load_json("cas-request.json"), *js = tu_load_json("js-vectors.json"), *c;
    const char *commits[] = {"signed/genesis", "signed/update"};
    cer_store *store;
    cer_streamref id;
    int n = 0;

    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    for (size_t i = 0; i < 2; i++) {
        static const char *const parts[][2] = {{"dag_jose_cid", "dag_jose_block_hex"}, {"payload_cid", "payload_block_hex"}};
        for (size_t k = 0; k < 2; k++) {
            char path[64];
            cer_cid cid;
            size_t len;
            uint8_t *b;
            snprintf(path, sizeof path, "%s/%s", commits[i], parts[k][0]);
            ck_assert_int_eq(cer_cid_parse(&cid, tu_str(js, path)), 0);
            snprintf(path, sizeof path, "%s/%s", commits[i], parts[k][1]);
            b = tu_unhex(tu_str(js, path), &len);
            ck_assert_int_eq(cer_store_put(store, &cid, b, len), 0);
            free(b);
        }
    }
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(want, "stream_id")), 0);
    cJSON_ArrayForEach(c, tu_get(want, "cases"))
    {
        cer_buf car = CER_BUF_INIT;
        cer_cid tip;
        char *hex;

        ck_assert_int_eq(cer_cid_parse(&tip, tu_str(c, "tip")), 0);
        ck_assert_msg(cer_cas_request_car(&car, store, &id, &tip, tu_str(want, "timestamp")) == 0, "%s", cer_errmsg());
        hex = tu_hex(car.data, car.len);
        ck_assert_str_eq(hex, tu_str(c, "car_hex"));
        ck_assert_int_eq(cer_car_each(car.data, car.len, NULL, NULL), strcmp(tu_str(c, "name"), "genesis") ? 5 : 3);
        free(hex);
        cer_buf_free(&car);
        n++;
    }
    ck_assert_int_eq(n, 2);
    /* a tip whose block is missing: an error, not a partial request */
    {
        cer_buf car = CER_BUF_INIT;
        cer_cid missing;
        ck_assert_int_eq(cer_cid_parse(&missing, "bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q"), 0);
        ck_assert_int_lt(cer_cas_request_car(&car, store, &id, &missing, "t"), 0);
        ck_assert_ptr_nonnull(strstr(cer_errmsg(), "CAS request CAR"));
        cer_buf_free(&car);
    }
    cer_store_close(store);
    cJSON_Delete(want);
    cJSON_Delete(js);
}
END_TEST

START_TEST(replies)
{
    cer_cas_reply c;

#define C(s) cer_cas_parse_reply(&c, s, strlen(s))
    ck_assert_int_eq(C("{\"error\":\"Request not found\"}"), -EREMOTEIO);
    ck_assert_int_eq(C("{\"status\":\"PENDING\"}"), -EPROTO);
    ck_assert_int_eq(C("{\"status\":\"WHAT\",\"cid\":\"bafyreibhampjih2ijabxclc4qv5jdaamrgkfg4mnjwwjyocam7xa6t3iuq\"}"), -EPROTO);
    ck_assert_int_eq(C("{\"status\":\"READY\",\"cid\":\"bafyreibhampjih2ijabxclc4qv5jdaamrgkfg4mnjwwjyocam7xa6t3iuq\"}"), 0);
    ck_assert_int_eq(c.status, CER_ANCHOR_PENDING);
    cer_cas_reply_free(&c);
    ck_assert_int_eq(C("{\"status\":\"COMPLETED\",\"cid\":\"bafyreibhampjih2ijabxclc4qv5jdaamrgkfg4mnjwwjyocam7xa6t3iuq\"}"), -EPROTO);
    ck_assert_int_eq(C("{\"status\":\"COMPLETED\",\"cid\":\"bafyreibhampjih2ijabxclc4qv5jdaamrgkfg4mnjwwjyocam7xa6t3iuq\","
                       "\"anchorCommit\":{\"cid\":\"bafyreibhampjih2ijabxclc4qv5jdaamrgkfg4mnjwwjyocam7xa6t3iuq\"},"
                       "\"witnessCar\":\"!!\"}"), -EPROTO);
#undef C
    /* CAR: truncated and junk */
    ck_assert_int_lt(cer_car_each((const uint8_t *)"\x05\xa1", 2, NULL, NULL), 0);
    ck_assert_int_lt(cer_car_each((const uint8_t *)"", 0, NULL, NULL), 0);
}
END_TEST


static Suite *cas_suite(void)
{
    Suite *s = suite_create("cas");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, request_car_vectors);
    tcase_add_test(tc, replies);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(cas_suite)
