/*
 * test_multibase.c — base32/36/58btc/64/64url: RFC 4648 §10 vectors, the
 * multibase spec's "yes mani !" vectors with leading zeros (checked against
 * multiformats 13), Bitcoin's base58 vectors, round trips, and strict
 * rejection of bad characters and non-zero trailing bits.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Encode data (no prefix) and compare with want, then decode want back. */
static void assert_codec(cer_base base, const uint8_t *data, size_t len, const char *want)
{
    char s[512];
    uint8_t b[512];
    int n;

    n = cer_base_encode(s, sizeof s, base, data, len);
    ck_assert_msg(n == (int)strlen(want), "base %c: length %d, want %zu ('%s')", (char)base, n,
                  strlen(want), want);
    ck_assert_str_eq(s, want);
    n = cer_base_decode(b, sizeof b, base, want, strlen(want));
    ck_assert_int_eq(n, (int)len);
    if (len)
        ck_assert_mem_eq(b, data, len);
}

static void assert_str(cer_base base, const char *text, const char *want)
{
    assert_codec(base, (const uint8_t *)text, strlen(text), want);
}

static void expect_decode_fail(cer_base base, const char *s, int want)
{
    uint8_t b[512];
    int rc = cer_base_decode(b, sizeof b, base, s, strlen(s));

    ck_assert_msg(rc == want, "base %c '%s': got %d, want %d", (char)base, s, rc, want);
}

START_TEST(test_rfc4648)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const b64[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    static const char *const b32[] = {"", "my", "mzxq", "mzxw6", "mzxw6yq", "mzxw6ytb",
                                      "mzxw6ytboi"};

    for (size_t i = 0; i < 7; i++) {
        assert_str(CER_BASE64, in[i], b64[i]);
        assert_str(CER_BASE64URL, in[i], b64[i]);
        assert_str(CER_BASE32, in[i], b32[i]);
    }
    /* the two alphabets differ in the last two characters */
    assert_codec(CER_BASE64, (const uint8_t *)"\xfb\xff", 2, "+/8");
    assert_codec(CER_BASE64URL, (const uint8_t *)"\xfb\xff", 2, "-_8");
    assert_codec(CER_BASE32, (const uint8_t *)"\xfb\xff", 2, "7p7q");
}
END_TEST

/* Padding: accepted on base64 variants, not on base32. */
START_TEST(test_padding)
{
    uint8_t b[16];

    ck_assert_int_eq(cer_base_decode(b, sizeof b, CER_BASE64, "Zg==", 4), 1);
    ck_assert_int_eq(cer_base_decode(b, sizeof b, CER_BASE64URL, "Zm8=", 4), 2);
    ck_assert_int_eq(cer_base_decode(b, sizeof b, CER_BASE64, "Zm9vYmFy", 8), 6);
    expect_decode_fail(CER_BASE32, "my======", -EINVAL);
}
END_TEST

START_TEST(test_multibase_spec)
{
    static const struct {
        const char *data;
        size_t len;
        const char *b32, *b36, *b58, *b64;
    } v[] = {
        {"yes mani !", 10, "bpfsxgidnmfxgsibb", "k2lcpzo5yikidynfl", "z7paNL19xttacUY",
         "meWVzIG1hbmkgIQ"},
        {"\0yes mani !", 11, "bab4wk4zanvqw42jaee", "k02lcpzo5yikidynfl", "z17paNL19xttacUY",
         "mAHllcyBtYW5pICE"},
        {"\0\0yes mani !", 12, "baaahszltebwwc3tjeaqq", "k002lcpzo5yikidynfl", "z117paNL19xttacUY",
         "mAAB5ZXMgbWFuaSAh"},
        {"\0", 1, "baa", "k0", "z1", "mAA"},
        {"\0\0", 2, "baaaa", "k00", "z11", "mAAA"},
        {"\xff", 1, "b74", "k73", "z5Q", "m/w"},
        {"\xfb\xff", 2, "b7p7q", "k1drz", "zLBG", "m+/8"},
        {"", 0, "b", "k", "z", "m"},
    };
    char s[128];
    uint8_t b[128];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const uint8_t *d = (const uint8_t *)v[i].data;
        const char *want[] = {v[i].b32, v[i].b36, v[i].b58, v[i].b64};
        const cer_base bases[] = {CER_BASE32, CER_BASE36, CER_BASE58BTC, CER_BASE64};

        for (size_t k = 0; k < 4; k++) {
            ck_assert_int_eq(cer_multibase_encode(s, sizeof s, bases[k], d, v[i].len),
                             (int)strlen(want[k]));
            ck_assert_str_eq(s, want[k]);
            ck_assert_int_eq(cer_multibase_decode(b, sizeof b, want[k]), (int)v[i].len);
            if (v[i].len)
                ck_assert_mem_eq(b, d, v[i].len);
        }
    }
}
END_TEST

/* Bitcoin Core's base58_encode_decode.json. */
START_TEST(test_base58_bitcoin)
{
    static const char *const v[][2] = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"636363", "aPEr"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"572e4794", "3EFU7m"},
        {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
        {"10c8511e", "Rt5zm"},
        {"00000000000000000000", "1111111111"},
    };

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t len;
        uint8_t *d = tu_unhex(v[i][0], &len);
        assert_codec(CER_BASE58BTC, d, len, v[i][1]);
        free(d);
    }
}
END_TEST

/* Deterministic pseudo-random data, every length up to 300, every base. */
START_TEST(test_round_trip)
{
    static const cer_base bases[] = {CER_BASE32, CER_BASE36, CER_BASE58BTC, CER_BASE64,
                                     CER_BASE64URL};
    uint8_t data[300], back[300];
    char s[1024];
    uint32_t x = 12345;

    for (size_t len = 0; len <= sizeof data; len++) {
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            data[i] = (uint8_t)(x >> 16);
        }
        if (len > 2 && len % 7 == 0)
            data[0] = data[1] = 0;  /* leading zeros now and then */
        for (size_t k = 0; k < 5; k++) {
            size_t max = cer_base_encoded_max(bases[k], len);
            int n = cer_base_encode(s, max, bases[k], data, len);
            ck_assert_msg(n >= 0 && (size_t)n < max, "base %c len %zu: %d", (char)bases[k], len, n);
            ck_assert_int_eq(cer_base_decode(back, sizeof back, bases[k], s, (size_t)n), (int)len);
            if (len)
                ck_assert_mem_eq(back, data, len);
        }
    }
}
END_TEST

START_TEST(test_bad_characters)
{
    expect_decode_fail(CER_BASE32, "MY", -EINVAL);     /* upper case */
    expect_decode_fail(CER_BASE32, "m1", -EINVAL);
    expect_decode_fail(CER_BASE32, "m y", -EINVAL);
    expect_decode_fail(CER_BASE36, "A", -EINVAL);
    expect_decode_fail(CER_BASE36, "2lcpzo5yikidy-fl", -EINVAL);
    expect_decode_fail(CER_BASE58BTC, "0", -EINVAL);
    expect_decode_fail(CER_BASE58BTC, "O", -EINVAL);
    expect_decode_fail(CER_BASE58BTC, "I", -EINVAL);
    expect_decode_fail(CER_BASE58BTC, "l", -EINVAL);
    expect_decode_fail(CER_BASE58BTC, "7paNL19xttacUY ", -EINVAL);
    expect_decode_fail(CER_BASE64, "-_8", -EINVAL);
    expect_decode_fail(CER_BASE64URL, "+/8", -EINVAL);
    expect_decode_fail(CER_BASE64, "Zm=9", -EINVAL);
    expect_decode_fail(CER_BASE64, "Zm\n9v", -EINVAL);
    {
        uint8_t b[8];
        ck_assert_int_eq(cer_base_decode(b, sizeof b, CER_BASE58BTC, "2g\0", 3), -EINVAL);
    }
}
END_TEST

/* Leftover bits must be fewer than one character's and all zero. */
START_TEST(test_trailing_bits)
{
    expect_decode_fail(CER_BASE32, "m", -EINVAL);
    expect_decode_fail(CER_BASE32, "mz", -EINVAL);      /* 'my' is 'f' */
    expect_decode_fail(CER_BASE32, "mzx", -EINVAL);
    expect_decode_fail(CER_BASE32, "mzxr", -EINVAL);    /* 'mzxq' is 'fo' */
    expect_decode_fail(CER_BASE32, "mzxw6y", -EINVAL);
    expect_decode_fail(CER_BASE64, "Z", -EINVAL);
    expect_decode_fail(CER_BASE64, "Zh", -EINVAL);      /* 'Zg' is 'f' */
    expect_decode_fail(CER_BASE64, "Zm9", -EINVAL);     /* 'Zm8' is 'fo' */
    expect_decode_fail(CER_BASE64URL, "Zm9vY", -EINVAL);
}
END_TEST

START_TEST(test_multibase_prefixes)
{
    uint8_t b[16];
    char s[16];

    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, ""), -EINVAL);
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "f00ff"), 2);        /* base16 */
    ck_assert_uint_eq(b[1], 0xff);
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "fABcd"), 2);        /* hex in either case */
    ck_assert_uint_eq(b[0], 0xab);
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "f0"), -EINVAL);      /* odd length */
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "f0g"), -EINVAL);
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "K73"), -ENOTSUP);    /* base36upper */
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "BMY"), -ENOTSUP);    /* base32upper */
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "Qm"), -ENOTSUP);
    ck_assert_int_eq(cer_multibase_decode(b, sizeof b, "u_w"), 1);
    ck_assert_uint_eq(b[0], 0xff);
    ck_assert_int_eq(cer_multibase_encode(s, sizeof s, CER_BASE16, b, 1), 3);
    ck_assert_str_eq(s, "fff");
    ck_assert_int_eq(cer_multibase_encode(s, sizeof s, (cer_base)'F', b, 1), -ENOTSUP);
}
END_TEST

START_TEST(test_limits)
{
    static const uint8_t d[] = "yes mani !";
    uint8_t b[16];
    char s[32], *big;

    /* output space: the NUL counts when encoding */
    ck_assert_int_eq(cer_base_encode(s, 17, CER_BASE32, d, 10), 16);
    ck_assert_int_eq(cer_base_encode(s, 16, CER_BASE32, d, 10), -ENOSPC);
    ck_assert_int_eq(cer_base_encode(s, 15, CER_BASE58BTC, d, 10), 14);
    ck_assert_int_eq(cer_base_encode(s, 14, CER_BASE58BTC, d, 10), -ENOSPC);
    ck_assert_int_eq(cer_base_encode(s, 0, CER_BASE64, d, 10), -ENOSPC);
    ck_assert_int_eq(cer_multibase_encode(s, 1, CER_BASE64, d, 10), -ENOSPC);
    ck_assert_int_eq(cer_base_decode(b, 9, CER_BASE58BTC, "7paNL19xttacUY", 14), -ENOSPC);
    ck_assert_int_eq(cer_base_decode(b, 9, CER_BASE64, "eWVzIG1hbmkgIQ", 14), -ENOSPC);
    /* the quadratic bases refuse huge input */
    big = malloc(5000);
    ck_assert_ptr_nonnull(big);
    memset(big, '2', 5000);
    ck_assert_int_eq(cer_base_decode(b, sizeof b, CER_BASE58BTC, big, 5000), -EFBIG);
    ck_assert_int_eq(cer_base_encode(big, 5000, CER_BASE36, (const uint8_t *)big, 4097), -EFBIG);
    free(big);
}
END_TEST

static Suite *multibase_suite(void)
{
    Suite *s = suite_create("multibase");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_rfc4648);
    tcase_add_test(tc, test_padding);
    tcase_add_test(tc, test_multibase_spec);
    tcase_add_test(tc, test_base58_bitcoin);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_bad_characters);
    tcase_add_test(tc, test_trailing_bits);
    tcase_add_test(tc, test_multibase_prefixes);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(multibase_suite)
