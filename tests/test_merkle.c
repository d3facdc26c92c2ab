/*
 * test_merkle.c — CIP-69 Merkle trees against tests/vectors/merkle.json
 * (made by js-ceramic's own @ceramicnetwork/anchor-utils): the root, every
 * node block byte for byte, every leaf path, paths by index, the anchor
 * service's leaf order; and path parsing.
 */
#include "testutil.h"
#include "merkle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int count_block(const cer_cid *cid, void *arg)
{
    (void)cid;
    (*(size_t *)arg)++;
    return 0;
}

START_TEST(trees_match_js)
{
    cJSON *v = tu_load_json("merkle.json"), *t;
    size_t ntrees = 0;

    cJSON_ArrayForEach(t, tu_get(v, "trees")) {
        size_t n = (size_t)tu_get(t, "n")->valuedouble, nblocks = 0, want_blocks = 0;
        cer_cid *leaves = calloc(n, sizeof *leaves), root, want;
        char(*paths)[CER_MERKLE_PATH_MAX] = calloc(n, sizeof *paths);
        char p[CER_MERKLE_PATH_MAX];
        cer_store *store;
        cer_buf got = CER_BUF_INIT;
        const cJSON *it;
        size_t i = 0;

        cJSON_ArrayForEach(it, tu_get(t, "leaves")) ck_assert_int_eq(cer_cid_parse(&leaves[i++], it->valuestring), 0);
        ck_assert_int_eq(cer_store_open_mem(&store), 0);
        ck_assert_int_eq(cer_merkle_build(&root, paths, store, leaves, n, cJSON_IsTrue(tu_get(t, "metadata"))), 0);
        ck_assert_int_eq(cer_cid_parse(&want, tu_str(t, "root")), 0);
        ck_assert(cer_cid_equal(&root, &want));
        i = 0;
        cJSON_ArrayForEach(it, tu_get(t, "paths")) {
            ck_assert_str_eq(paths[i], it->valuestring);
            ck_assert_int_eq(cer_merkle_path_of(p, i, n), 0);
            ck_assert_str_eq(p, it->valuestring);
            i++;
        }
        ck_assert_uint_eq(i, n);
        cJSON_ArrayForEach(it, tu_get(t, "blocks")) {
            cer_cid c;
            char *hex;
            ck_assert_int_eq(cer_cid_parse(&c, it->string), 0);
            ck_assert_int_eq(cer_store_get(store, &c, &got), 0);
            hex = tu_hex(got.data, got.len);
            ck_assert_str_eq(hex, it->valuestring);
            free(hex);
            want_blocks++;
        }
        ck_assert_int_eq(cer_store_each(store, count_block, &nblocks), 0);
        ck_assert_uint_eq(nblocks, want_blocks);
        /* without a store and without paths, the same root */
        ck_assert_int_eq(cer_merkle_build(&want, NULL, NULL, leaves, n, cJSON_IsTrue(tu_get(t, "metadata"))), 0);
        ck_assert(cer_cid_equal(&root, &want));
        cer_buf_free(&got);
        cer_store_close(store);
        free(paths);
        free(leaves);
        ntrees++;
    }
    ck_assert_uint_ge(ntrees, 10);
    cJSON_Delete(v);
}
END_TEST

START_TEST(leaf_order_matches_js)
{
    cJSON *v = tu_load_json("merkle.json");
    const cJSON *in = tu_get(v, "leaf_order/input"), *sorted = tu_get(v, "leaf_order/sorted"), *it;
    int n = cJSON_GetArraySize(in), prev = -1;

    ck_assert_int_eq(cJSON_GetArraySize(sorted), n);
    /* every adjacent pair of the js order compares "before" in C */
    cJSON_ArrayForEach(it, sorted) {
        int k = (int)it->valuedouble;
        if (prev >= 0) {
            const cJSON *a = cJSON_GetArrayItem(in, prev), *b = cJSON_GetArrayItem(in, k);
            ck_assert_int_lt(cer_merkle_leaf_cmp(tu_str(a, "controller"), tu_str(a, "stream"),
                                                 tu_str(b, "controller"), tu_str(b, "stream")), 0);
            ck_assert_int_gt(cer_merkle_leaf_cmp(tu_str(b, "controller"), tu_str(b, "stream"),
                                                 tu_str(a, "controller"), tu_str(a, "stream")), 0);
        }
        prev = k;
    }
    ck_assert_int_eq(cer_merkle_locale_cmp("abc", "abc"), 0);
    ck_assert_int_lt(cer_merkle_locale_cmp("ab", "abc"), 0);
    cJSON_Delete(v);
}
END_TEST

START_TEST(path_parse)
{
    uint8_t t[4];

    ck_assert_int_eq(cer_merkle_path_parse(t, 4, ""), 0);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "0/1/1"), 3);
    ck_assert(t[0] == 0 && t[1] == 1 && t[2] == 1);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "1"), 1);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "0/1/1/0/1"), -EFBIG);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "0/"), -EINVAL);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "/0"), -EINVAL);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "2"), -EINVAL);
    ck_assert_int_eq(cer_merkle_path_parse(t, 4, "01"), -EINVAL);
    ck_assert_int_eq(cer_merkle_build(NULL, NULL, NULL, NULL, 0, false), -EINVAL);
}
END_TEST

static Suite *merkle_suite(void)
{
    Suite *s = suite_create("merkle");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, trees_match_js);
    tcase_add_test(tc, leaf_order_matches_js);
    tcase_add_test(tc, path_parse);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(merkle_suite)
