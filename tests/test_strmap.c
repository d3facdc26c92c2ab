/*
 * test_strmap.c — the string map: puts, replacements, removals in every
 * order against a plain array as the reference (removal shifts entries
 * back, so runs that wrap around the table's end are exercised),
 * iteration, and the work (probes, counted) on keys crafted to collide
 * under the old unkeyed hash.
 */
#include "testutil.h"
#include "strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS 2000

static char keys[NKEYS][16];
static int present[NKEYS];

static void check_all(const cer_strmap *m)
{
    size_t n = 0, pos = 0;
    int seen[NKEYS] = {0};
    void *v;

    for (int i = 0; i < NKEYS; i++) {
        void *want = present[i] ? keys[i] : NULL;
        ck_assert_ptr_eq(cer_strmap_get(m, keys[i]), want);
        n += present[i] != 0;
    }
    ck_assert_uint_eq(m->count, n);
    while ((v = cer_strmap_next(m, &pos))) {
        int k = (int)(((char(*)[16])v) - keys);
        ck_assert(k >= 0 && k < NKEYS && present[k] && !seen[k]);
        seen[k] = 1;
        n--;
    }
    ck_assert_uint_eq(n, 0);
}

START_TEST(test_random)
{
    cer_strmap m = CER_STRMAP_INIT;
    unsigned seed = 7;

    for (int i = 0; i < NKEYS; i++)
        snprintf(keys[i], sizeof keys[i], "k%d", i);
    memset(present, 0, sizeof present);
    ck_assert_ptr_null(cer_strmap_get(&m, "k1"));
    ck_assert_ptr_null(cer_strmap_del(&m, "k1"));
    for (int round = 0; round < 20000; round++) {
        int k;
        seed = seed * 1103515245u + 12345u;
        k = (int)((seed >> 8) % (round < 10000 ? 300u : NKEYS));  /* dense, then sparse */
        if ((seed >> 4) & 1) {
            ck_assert_int_eq(cer_strmap_put(&m, keys[k], keys[k]), 0);
            present[k] = 1;
        } else {
            void *want = present[k] ? keys[k] : NULL;
            ck_assert_ptr_eq(cer_strmap_del(&m, keys[k]), want);
            present[k] = 0;
        }
        if (round % 997 == 0)
            check_all(&m);
        ck_assert(m.cap == 0 || m.count * 2 <= m.cap);
    }
    check_all(&m);
    cer_strmap_free(&m);
    ck_assert_ptr_null(m.slots);
    ck_assert_uint_eq(m.count, 0);
}
END_TEST

START_TEST(test_replace_and_reserve)
{
    cer_strmap m = CER_STRMAP_INIT;
    char a[] = "same", b[] = "same";
    int x, y;
    cer_strmap_slot *before;

    ck_assert_int_eq(cer_strmap_put(&m, a, &x), 0);
    ck_assert_int_eq(cer_strmap_put(&m, b, &y), 0);    /* an equal key: replaced */
    ck_assert_uint_eq(m.count, 1);
    ck_assert_ptr_eq(cer_strmap_get(&m, "same"), &y);
    ck_assert_int_eq(cer_strmap_reserve(&m, 100), 0);
    before = m.slots;
    for (int i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof keys[i], "r%d", i);
        ck_assert_int_eq(cer_strmap_put(&m, keys[i], keys[i]), 0);
    }
    ck_assert_ptr_eq(m.slots, before);                 /* no growth after a reserve */
    ck_assert_uint_eq(m.count, 101);
    ck_assert_int_eq(cer_strmap_reserve(&m, SIZE_MAX / 2), -ENOMEM);
    ck_assert_ptr_eq(cer_strmap_get(&m, "r99"), keys[99]);
    ck_assert_ptr_eq(cer_strmap_del(&m, "same"), &y);
    ck_assert_ptr_null(cer_strmap_get(&m, "same"));
    ck_assert_ptr_null(cer_strmap_get(&m, ""));
    cer_strmap_free(&m);
}
END_TEST

/* Keys crafted so that the map's old unkeyed hash (FNV-1a) put them all in
 * one bucket of any table up to 2^17 slots: each put then probed the whole
 * run, ~n^2/2 probes in all. Under the keyed hash they cost what any keys
 * cost: a bounded number of probes each, counted (not timed). */
#define OLD_BASIS 1469598103934665603ull
#define CRAFTED 40000

START_TEST(test_crafted_keys)
{
    cer_strmap m = CER_STRMAP_INIT;
    size_t len;
    char *k = tu_fnv_colliding_keys(CRAFTED, OLD_BASIS, 17, &len);
    uint64_t low = tu_fnv1a(OLD_BASIS, k) & 0x1ffff, at;

    for (size_t i = 0; i < CRAFTED; i++)
        ck_assert_uint_eq(tu_fnv1a(OLD_BASIS, k + i * (len + 1)) & 0x1ffff, low);
    at = cer_strmap_probes();
    for (size_t i = 0; i < CRAFTED; i++)
        ck_assert_int_eq(cer_strmap_put(&m, k + i * (len + 1), k + i * (len + 1)), 0);
    ck_assert_uint_eq(m.count, CRAFTED);
    ck_assert_uint_lt(cer_strmap_probes() - at, 5 * CRAFTED);  /* ~3.7 n with rehashing; FNV-1a: 8e8 */
    at = cer_strmap_probes();
    for (size_t i = 0; i < CRAFTED; i++)
        ck_assert_ptr_eq(cer_strmap_get(&m, k + i * (len + 1)), k + i * (len + 1));
    ck_assert_uint_lt(cer_strmap_probes() - at, 2 * CRAFTED);  /* ~1.2 n */
    at = cer_strmap_probes();
    for (size_t i = 0; i < CRAFTED; i++)
        ck_assert_ptr_eq(cer_strmap_del(&m, k + i * (len + 1)), k + i * (len + 1));
    ck_assert_uint_lt(cer_strmap_probes() - at, 3 * CRAFTED);  /* ~1.4 n */
    ck_assert_uint_eq(m.count, 0);
    cer_strmap_free(&m);
    free(k);
}
END_TEST

static Suite *strmap_suite(void)
{
    Suite *s = suite_create("strmap");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_random);
    tcase_add_test(tc, test_replace_and_reserve);
    tcase_add_test(tc, test_crafted_keys);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(strmap_suite)
