/*
 * test_cid.c — CID bytes and strings: known answers from js-ceramic's
 * tests and js-vectors.json, block hashing, and malformed input.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define V1_GENESIS "bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a"
#define V1_GENESIS_HEX "0185011220 54b36d564eadf2dc3fa62b5e34f05066ae8affd81eb965249639f0a755d1b3bc"
#define ETH_TX "bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova"
#define ETH_TX_HEX "0193011b20 1831e1e40bab31d00f1a6741d590d0ee6219357728b412dc89eef4397cf37baa"

static void expect_parse_fail(const char *s, int want)
{
    cer_cid c;
    int rc = cer_cid_parse(&c, s);

    ck_assert_msg(rc == want, "cid '%.80s': got %d (%s), want %d", s, rc, cer_errmsg(), want);
}

static void assert_round_trip(const char *s, const char *hex, uint64_t version, uint64_t codec,
                              uint64_t mh)
{
    cer_cid c, d;
    uint8_t b[CER_CID_BYTES_MAX];
    char str[CER_CID_STR_MAX];
    int n;

    ck_assert_msg(cer_cid_parse(&c, s) == 0, "%s: %s", s, cer_errmsg());
    ck_assert_uint_eq(c.version, version);
    ck_assert_uint_eq(c.codec, codec);
    ck_assert_uint_eq(c.mh_code, mh);
    n = cer_cid_to_bytes(b, sizeof b, &c);
    ck_assert_int_gt(n, 0);
    tu_assert_hex(b, (size_t)n, hex);
    ck_assert_int_eq(cer_cid_from_bytes(&d, b, (size_t)n), n);
    ck_assert(cer_cid_equal(&c, &d));
    ck_assert_int_eq(cer_cid_to_string(str, sizeof str, &c), (int)strlen(s));
    ck_assert_str_eq(str, s);
}

START_TEST(test_known_answers)
{
    assert_round_trip(V1_GENESIS, V1_GENESIS_HEX, 1, CER_CODEC_DAG_JOSE, CER_MH_SHA2_256);
    assert_round_trip(ETH_TX, ETH_TX_HEX, 1, CER_CODEC_ETH_TX, CER_MH_KECCAK_256);
    assert_round_trip("QmU3HeDEfpLysxm7tPXp5e9pAdgmY8pnjEv8Eyi6yCLeU3",
                      "1220 54b36d564eadf2dc3fa62b5e34f05066ae8affd81eb965249639f0a755d1b3bc", 0,
                      CER_CODEC_DAG_PB, CER_MH_SHA2_256);
    assert_round_trip("bafyxccyabfug233emvwc25rr", "01 71 71 0b 00 09 686d6f64656c2d7631", 1,
                      CER_CODEC_DAG_CBOR, 0x71);
}
END_TEST

/* Other multibases of the same CID parse to the same value (strings
 * computed with multiformats 13 CID.toString(base)). */
START_TEST(test_other_bases)
{
    cer_cid a, b;

    ck_assert_int_eq(cer_cid_parse(&a, ETH_TX), 0);
    ck_assert_int_eq(cer_cid_parse(&b, "z44VCrqQH51Zct5xGn12R7YPVfRGYuvjdmgXgSATkTmFyBSyVYd"), 0);
    ck_assert(cer_cid_equal(&a, &b));
    ck_assert_int_eq(cer_cid_parse(&b, "kjtgsaatgbkq3r2ppfkssqeabnvzh0igivzt02awi9hkk8qle145jf7oq"), 0);
    ck_assert(cer_cid_equal(&a, &b));
}
END_TEST

START_TEST(test_of_block)
{
    cJSON *js = tu_load_json("js-vectors.json");
    size_t len;
    uint8_t *block = tu_unhex(tu_str(js, "unsigned_genesis/block_hex"), &len);
    cer_cid c, want;
    char s[CER_CID_STR_MAX];

    ck_assert_int_eq(cer_cid_of_block(&c, CER_CODEC_DAG_CBOR, block, len), 0);
    ck_assert_int_eq(cer_cid_parse(&want, tu_str(js, "unsigned_genesis/cid")), 0);
    ck_assert(cer_cid_equal(&c, &want));
    ck_assert_int_gt(cer_cid_to_string(s, sizeof s, &c), 0);
    ck_assert_str_eq(s, tu_str(js, "unsigned_genesis/cid"));
    ck_assert_int_eq(cer_cid_check_block(&c, block, len), 0);
    block[0] ^= 1;
    ck_assert_int_eq(cer_cid_check_block(&c, block, len), -EBADMSG);
    free(block);
    cJSON_Delete(js);
}
END_TEST

START_TEST(test_from_bytes_leaves_rest)
{
    size_t len;
    uint8_t *b = tu_unhex(V1_GENESIS_HEX " 00 ff", &len);
    cer_cid c;

    ck_assert_int_eq(cer_cid_from_bytes(&c, b, len), 37);
    for (size_t i = 0; i < 37; i++)
        ck_assert_int_eq(cer_cid_from_bytes(&c, b, i), -EINVAL);
    free(b);
}
END_TEST

START_TEST(test_bad_strings)
{
    char s[2048];
    uint8_t b[200];
    size_t len;
    uint8_t *cid;

    expect_parse_fail("", -EINVAL);
    expect_parse_fail("b", -EINVAL);
    expect_parse_fail("Q", -EINVAL);
    expect_parse_fail("QmU3HeDEfpLysxm7tPXp5e9pAdgmY8pnjEv8Eyi6yCLeU", -EINVAL);
    expect_parse_fail("QmU3HeDEfpLysxm7tPXp5e9pAdgmY8pnjEv8Eyi6yCLeU0", -EINVAL);
    expect_parse_fail("zQmU3HeDEfpLysxm7tPXp5e9pAdgmY8pnjEv8Eyi6yCLeU3", -EINVAL);
    expect_parse_fail("BAGCQCERAKSZW2VSOVXZNYP5GFNPDJ4CQM2XIV76YD24WKJEWHHYKOVORWO6A", -ENOTSUP);
    expect_parse_fail("bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6", -EINVAL);
    expect_parse_fail("bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6b", -EINVAL);
    expect_parse_fail("bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a1", -EINVAL);
    /* trailing bytes after a valid CID */
    cid = tu_unhex(V1_GENESIS_HEX " 00", &len);
    ck_assert_int_gt(cer_multibase_encode(s, sizeof s, CER_BASE32, cid, len), 0);
    expect_parse_fail(s, -EINVAL);
    free(cid);
    /* version 2; sha2-256 with a 31-byte digest; a digest over 64 bytes */
    memset(b, 7, sizeof b);
    memcpy(b, "\x02\x71\x12\x20", 4);
    ck_assert_int_gt(cer_multibase_encode(s, sizeof s, CER_BASE32, b, 36), 0);
    expect_parse_fail(s, -EINVAL);
    memcpy(b, "\x01\x71\x12\x1f", 4);
    ck_assert_int_gt(cer_multibase_encode(s, sizeof s, CER_BASE32, b, 35), 0);
    expect_parse_fail(s, -EINVAL);
    memcpy(b, "\x01\x71\x00\x41", 4);
    ck_assert_int_gt(cer_multibase_encode(s, sizeof s, CER_BASE32, b, 69), 0);
    expect_parse_fail(s, -EINVAL);
    /* a string longer than any CID is malformed input, not -ENOSPC */
    memset(s, 'a', 1000);
    s[0] = 'b';
    s[1000] = '\0';
    expect_parse_fail(s, -EINVAL);
    s[0] = 'z';
    expect_parse_fail(s, -EINVAL);
}
END_TEST

START_TEST(test_output_space)
{
    cer_cid c;
    uint8_t b[CER_CID_BYTES_MAX];
    char s[CER_CID_STR_MAX];

    ck_assert_int_eq(cer_cid_parse(&c, V1_GENESIS), 0);
    ck_assert_int_eq(cer_cid_to_bytes(b, 36, &c), -ENOSPC);
    ck_assert_int_eq(cer_cid_to_bytes(b, 37, &c), 37);
    ck_assert_int_eq(cer_cid_to_string(s, 61, &c), -ENOSPC);
    ck_assert_int_eq(cer_cid_to_string(s, 62, &c), 61);
    c.version = 2;
    ck_assert_int_eq(cer_cid_to_bytes(b, sizeof b, &c), -EINVAL);
}
END_TEST

static Suite *cid_suite(void)
{
    Suite *s = suite_create("cid");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_known_answers);
    tcase_add_test(tc, test_other_bases);
    tcase_add_test(tc, test_of_block);
    tcase_add_test(tc, test_from_bytes_leaves_rest);
    tcase_add_test(tc, test_bad_strings);
    tcase_add_test(tc, test_output_space);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(cid_suite)
