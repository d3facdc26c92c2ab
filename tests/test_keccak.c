/*
 * test_keccak.c — keccak-256 known answers (Ethereum's empty hash, "abc",
 * an ERC-20 selector) and SHA3-256 from the same permutation against
 * FIPS 202 values (computed with Python's hashlib) at every length around
 * the 136-byte rate boundary.
 */
#include "testutil.h"
#include "keccak.h"

#include <stdlib.h>
#include <string.h>

START_TEST(keccak_known_answers)
{
    uint8_t d[32];

    cer_keccak256(d, (const uint8_t *)"", 0);
    tu_assert_hex(d, 32, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    cer_keccak256(d, (const uint8_t *)"abc", 3);
    tu_assert_hex(d, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    /* the ERC-20 selector every Ethereum tool knows: a9059cbb */
    cer_keccak256(d, (const uint8_t *)"transfer(address,uint256)", 25);
    tu_assert_hex(d, 4, "a9059cbb");
}
END_TEST

START_TEST(sha3_boundaries)
{
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {0, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"},
        {1, "5d53469f20fef4f8eab52b88044ede69c77a6a68a60728609fc4a65ff531e7d0"},
        {135, "fded8fd9d6551c601eeb3b7c6bc5e5cfd8aad1d015b7e9aaa9c9b9475231d5e2"},
        {136, "cf3ccff92480a29160c2d38317c430e14749bfee1788106957dfe73f8c4930e5"},
        {137, "ce9d7dc90913ee5d92745019479a5352c6d6279bef18ed07dc0a83ee8084daca"},
        {271, "0153fcdb6825d836b10835ccb3999dc1d8b68492f77e7e38afa31f8e244bd7af"},
        {272, "b7ccd55b6c2c3fa144c9e0624059294975a348b02f321abe289701d3012f7794"},
        {1000, "48e66a01861d0eadaacdb7a6ae7db6b9ac79242ecced4154a9fbb33c4e3cc571"},
    };
    uint8_t buf[1000], d[32];

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i % 251);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        cer_sha3_256(d, buf, v[i].n);
        tu_assert_hex(d, 32, v[i].hex);
    }
}
END_TEST

static Suite *keccak_suite(void)
{
    Suite *s = suite_create("keccak");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, keccak_known_answers);
    tcase_add_test(tc, sha3_boundaries);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(keccak_suite)
