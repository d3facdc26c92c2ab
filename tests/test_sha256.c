/*
 * test_sha256.c — the SHA-NI SHA-256 path against libsodium's on every
 * length around the block and padding boundaries, random contents, and
 * the FIPS 180-2 examples; both paths must agree bit for bit.
 */
#include "testutil.h"
#include "sha256.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(fips_examples)
{
    uint8_t d[32];
    static const char *abc448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    cer_sha256_fast(d, (const uint8_t *)"abc", 3);
    tu_assert_hex(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cer_sha256_fast(d, (const uint8_t *)abc448, strlen(abc448));
    tu_assert_hex(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    cer_sha256_fast(d, (const uint8_t *)"", 0);
    tu_assert_hex(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(agrees_with_libsodium)
{
    uint8_t *buf = malloc(4096), a[32], b[32];
    uint32_t x = 12345;

    for (size_t i = 0; i < 4096; i++) {
        x = x * 1103515245 + 12345;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t len = 0; len <= 4096; len += len < 300 ? 1 : 37) {
        cer_sha256_fast(a, buf, len);
        crypto_hash_sha256(b, buf, len);
        ck_assert_msg(memcmp(a, b, 32) == 0, "length %zu differs", len);
    }
    free(buf);
    printf("sha256: %s path\n", cer_sha256_accelerated() ? "SHA-NI" : "portable (libsodium)");
}
END_TEST

static Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, fips_examples);
    tcase_add_test(tc, agrees_with_libsodium);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(sha256_suite)
