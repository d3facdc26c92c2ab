/*
 * test_schemacache.c — the cache of compiled schemas: a key gives back
 * the schema compiled under it (per mode), a full table drops the least
 * recently used schema not in use, and a schema in use is never dropped
 * (past the table, an add still works, its schema freed by its release).
 */
#include "testutil.h"
#include "schemacache.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static cJSON *string_schema(void)
{
    cJSON *s = cJSON_CreateObject();

    cJSON_AddStringToObject(s, "type", "string");
    return s;
}

START_TEST(get_add_validate)
{
    cJSON *schema = string_schema(), *str = cJSON_CreateString("x"), *num = cJSON_CreateNumber(1);
    const cer_schema *a, *b;

    ck_assert_int_eq(cer_schema_cache_get(&a, "t:one", CER_SCHEMA_TILE), -ENOENT);
    ck_assert_int_eq(cer_schema_cache_add(&a, "t:one", CER_SCHEMA_TILE, schema, str), 0);
    ck_assert_int_eq(cer_schema_cache_get(&b, "t:one", CER_SCHEMA_TILE), 0);
    ck_assert_ptr_eq(a, b);
    ck_assert(cer_json_equal(cer_schema_cache_extra(b), str));  /* a copy, kept with the schema */
    ck_assert_int_eq(cer_schema_cache_get(&b, "t:one", CER_SCHEMA_MODEL), -ENOENT);
    cer_schema_cache_release(a);
    cer_schema_cache_release(a);
    /* validate: compiled from the schema given only when none is cached */
    ck_assert_int_eq(cer_schema_cache_validate("t:one", CER_SCHEMA_TILE, NULL, str), 0);
    ck_assert_int_eq(cer_schema_cache_validate("t:one", CER_SCHEMA_TILE, NULL, num), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "Validation Error: data must be string"));
    ck_assert_int_eq(cer_schema_cache_validate("t:two", CER_SCHEMA_TILE, str, str), -EINVAL);  /* no schema */
    cJSON_Delete(schema);
    cJSON_Delete(str);
    cJSON_Delete(num);
}
END_TEST

START_TEST(bounded_and_in_use_kept)
{
    cJSON *schema = string_schema();
    const cer_schema *held[CER_SCHEMA_CACHE_MAX + 1], *s;
    char key[32];

    /* more keys than slots, none held: the oldest goes */
    for (int i = 0; i <= CER_SCHEMA_CACHE_MAX; i++) {
        snprintf(key, sizeof key, "b:%d", i);
        ck_assert_int_eq(cer_schema_cache_add(&s, key, CER_SCHEMA_TILE, schema, NULL), 0);
        cer_schema_cache_release(s);
    }
    ck_assert_int_eq(cer_schema_cache_get(&s, "b:0", CER_SCHEMA_TILE), -ENOENT);
    ck_assert_int_eq(cer_schema_cache_get(&s, "b:1", CER_SCHEMA_TILE), 0);
    cer_schema_cache_release(s);
    /* every slot held: a new one is not admitted, the held ones stay */
    for (int i = 0; i < CER_SCHEMA_CACHE_MAX; i++) {
        snprintf(key, sizeof key, "h:%d", i);
        ck_assert_int_eq(cer_schema_cache_add(&held[i], key, CER_SCHEMA_TILE, schema, NULL), 0);
    }
    /* ... and keeps its extra (a Model's relations) until released */
    ck_assert_int_eq(cer_schema_cache_add(&held[CER_SCHEMA_CACHE_MAX], "h:x", CER_SCHEMA_TILE, schema, schema), 0);
    ck_assert_int_eq(cer_schema_cache_get(&s, "h:x", CER_SCHEMA_TILE), -ENOENT);
    ck_assert(cer_json_equal(cer_schema_cache_extra(held[CER_SCHEMA_CACHE_MAX]), schema));
    ck_assert_ptr_null(cer_schema_cache_extra(held[0]));
    ck_assert_int_eq(cer_schema_cache_get(&s, "h:0", CER_SCHEMA_TILE), 0);
    ck_assert_ptr_eq(s, held[0]);
    cer_schema_cache_release(s);
    for (int i = 0; i <= CER_SCHEMA_CACHE_MAX; i++)
        cer_schema_cache_release(held[i]);
    cJSON_Delete(schema);
}
END_TEST

static Suite *schemacache_suite(void)
{
    Suite *s = suite_create("schemacache");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, get_add_validate);
    tcase_add_test(tc, bounded_and_in_use_kept);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(schemacache_suite)
