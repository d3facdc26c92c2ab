/*
 * test_varint.c — multiformats unsigned varints: known encodings, the
 * 7-bit boundaries, and refusal of truncated, non-minimal and over-long
 * input.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>

static void assert_put(uint64_t v, const char *hex)
{
    uint8_t b[CER_VARINT_MAX];
    size_t n = cer_varint_put(b, v);
    uint64_t back = ~v;

    tu_assert_hex(b, n, hex);
    ck_assert_int_eq(cer_varint_get(&back, b, n), (int)n);
    ck_assert_uint_eq(back, v);
}

static void expect_get_fail(const char *hex)
{
    size_t len;
    uint8_t *b = tu_unhex(hex, &len);
    uint64_t v;

    ck_assert_msg(cer_varint_get(&v, b, len) == -EINVAL, "'%s' accepted", hex);
    free(b);
}

START_TEST(test_known)
{
    assert_put(0, "00");
    assert_put(1, "01");
    assert_put(127, "7f");
    assert_put(128, "80 01");
    assert_put(255, "ff 01");
    assert_put(300, "ac 02");
    assert_put(16383, "ff 7f");
    assert_put(16384, "80 80 01");
    assert_put(0xce, "ce 01");      /* streamid */
    assert_put(0xed, "ed 01");      /* ed25519-pub */
    assert_put(0x85, "85 01");      /* dag-jose */
    assert_put(0x1200, "80 24");    /* p256-pub */
    assert_put(INT64_MAX, "ff ff ff ff ff ff ff ff 7f");
}
END_TEST

START_TEST(test_boundaries)
{
    for (unsigned k = 1; k <= 8; k++) {
        uint64_t edge = (uint64_t)1 << (7 * k);
        uint8_t b[CER_VARINT_MAX];
        uint64_t v;

        ck_assert_uint_eq(cer_varint_put(b, edge - 1), k);
        ck_assert_int_eq(cer_varint_get(&v, b, k), (int)k);
        ck_assert_uint_eq(v, edge - 1);
        ck_assert_uint_eq(cer_varint_put(b, edge), k + 1);
        ck_assert_int_eq(cer_varint_get(&v, b, k + 1), (int)k + 1);
        ck_assert_uint_eq(v, edge);
        /* every truncation of the longer one fails */
        for (unsigned i = 0; i <= k; i++)
            ck_assert_int_eq(cer_varint_get(&v, b, i), -EINVAL);
    }
}
END_TEST

START_TEST(test_reads_one)
{
    static const uint8_t b[] = {0xac, 0x02, 0xff, 0x01};
    uint64_t v;

    ck_assert_int_eq(cer_varint_get(&v, b, sizeof b), 2);
    ck_assert_uint_eq(v, 300);
}
END_TEST

START_TEST(test_refused)
{
    expect_get_fail("");
    expect_get_fail("80");
    expect_get_fail("ff ff");
    /* non-minimal */
    expect_get_fail("80 00");
    expect_get_fail("81 00");
    expect_get_fail("ff 80 00");
    expect_get_fail("ce 81 00");
    expect_get_fail("80 80 80 80 80 80 80 80 00");
    /* over 9 bytes / 63 bits */
    expect_get_fail("ff ff ff ff ff ff ff ff ff");
    expect_get_fail("ff ff ff ff ff ff ff ff ff 01");
    expect_get_fail("80 80 80 80 80 80 80 80 80 01");
}
END_TEST

static Suite *varint_suite(void)
{
    Suite *s = suite_create("varint");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_known);
    tcase_add_test(tc, test_boundaries);
    tcase_add_test(tc, test_reads_one);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(varint_suite)
