/*
 * test_jsonschema.c — tests of core/jsonschema.c and core/jsregex.c: the
 * official JSON-Schema-Test-Suite (draft 2020-12 and draft-07, copied in
 * tests/vectors/jsonschema/ with its license), js-ceramic's strict-mode
 * refusals, error paths and messages, ECMAScript pattern semantics, and
 * the bounds (nesting, cost, backtracking).
 *
 * The suite runs as Ajv's own test run does ({strict: false}). Where the
 * verdict asserted differs from the suite's "valid", the case is listed in
 * verdicts-<draft>.tsv with its reason (see tests/vectors/jsonschema/
 * README.md): the rows marked ajv* are Ajv 8.20's verdicts (what
 * js-ceramic does), remote-ref the refused remote references, not-ajv:*
 * the cases where this validator and Ajv differ. Every row must match a
 * case and every case's verdict is asserted: nothing is skipped silently.
 */
#include "testutil.h"
#include "jsregex.h"
#include "strmap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;

    ck_assert_msg(cer_json_parse(&j, text, strlen(text), 0) == 0, "bad test JSON: %s", text);
    return j;
}

/* "valid", "invalid" or "compile-error" for schema text and instance text. */
static int verdict(const char *schema, unsigned mode, const char *instance)
{
    cJSON *s = parse(schema), *i = parse(instance);
    cer_schema *c = NULL;
    int rc = cer_schema_new(&c, s, mode);

    if (rc == 0) {
        rc = cer_schema_validate(c, i, NULL, NULL);
        cer_schema_free(c);
    } else {
        rc = rc == -EINVAL ? 1 : rc;  /* 1: did not compile */
    }
    cJSON_Delete(s);
    cJSON_Delete(i);
    return rc;
}

#define VALID 0
#define INVALID (-EINVAL)
#define NOCOMPILE 1

/* ------------------------------------------------------------------ */
/* The JSON-Schema-Test-Suite                                           */
/* ------------------------------------------------------------------ */

typedef struct row {
    char *key;       /* file \t group \t test */
    char *verdict;
    char *tag;
    bool used;
} row;

typedef struct table {
    row *rows;
    size_t n;
    cer_strmap map;
} table;

static void table_load(table *t, const char *name)
{
    size_t len;
    char *text = (char *)tu_load_file(name, &len), *line, *save = NULL;

    memset(t, 0, sizeof *t);
    t->rows = calloc(len / 8 + 1, sizeof *t->rows);
    ck_assert_ptr_nonnull(t->rows);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        char *p = line;
        row *r = &t->rows[t->n++];

        for (int k = 0; k < 5; k++) {
            f[k] = p;
            p = k < 4 ? strchr(p, '\t') : NULL;
            ck_assert_msg(k == 4 || p, "%s: bad row %s", name, line);
            if (p)
                *p++ = 0;
        }
        ck_assert_int_ge(asprintf(&r->key, "%s\t%s\t%s", f[0], f[1], f[2]), 0);
        r->verdict = strdup(f[3]);
        r->tag = strdup(f[4]);
        ck_assert_msg(!cer_strmap_get(&t->map, r->key), "%s: row twice: %s", name, r->key);
        ck_assert_int_eq(cer_strmap_put(&t->map, r->key, r), 0);
    }
    free(text);
}

static void table_free(table *t)
{
    for (size_t k = 0; k < t->n; k++) {
        free(t->rows[k].key);
        free(t->rows[k].verdict);
        free(t->rows[k].tag);
    }
    free(t->rows);
    cer_strmap_free(&t->map);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .json files under dir (relative names, sorted); caller frees. */
static size_t list_files(const char *base, const char *rel, char ***out, size_t n)
{
    char *path;
    DIR *d;
    struct dirent *e;

    ck_assert_int_ge(asprintf(&path, "%s/%s", base, rel), 0);
    d = opendir(path);
    ck_assert_msg(d != NULL, "cannot open %s", path);
    while ((e = readdir(d))) {
        char *sub, *full;
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        ck_assert_int_ge(asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name), 0);
        ck_assert_int_ge(asprintf(&full, "%s/%s", base, sub), 0);
        ck_assert_int_eq(stat(full, &st), 0);
        free(full);
        if (S_ISDIR(st.st_mode)) {
            n = list_files(base, sub, out, n);
            free(sub);
        } else if (strlen(sub) > 5 && strcmp(sub + strlen(sub) - 5, ".json") == 0) {
            *out = realloc(*out, (n + 1) * sizeof **out);
            (*out)[n++] = sub;
        } else {
            free(sub);
        }
    }
    closedir(d);
    free(path);
    return n;
}

static void run_suite(const char *draft, unsigned mode, const char *verdicts, size_t expect_cases,
                      size_t expect_not_ajv)
{
    table t;
    char **files = NULL, *dir;
    size_t nfiles, cases = 0, listed = 0, not_ajv = 0, failures = 0;

    table_load(&t, verdicts);
    ck_assert_int_ge(asprintf(&dir, "%s/jsonschema/%s", tu_data_dir(), draft), 0);
    nfiles = list_files(dir, "", &files, 0);
    qsort(files, nfiles, sizeof *files, name_cmp);
    for (size_t f = 0; f < nfiles; f++) {
        char *vname;
        cJSON *groups;
        const cJSON *g;

        ck_assert_int_ge(asprintf(&vname, "jsonschema/%s/%s", draft, files[f]), 0);
        groups = tu_load_json(vname);
        cJSON_ArrayForEach(g, groups) {
            const char *gd = cJSON_GetObjectItem(g, "description")->valuestring;
            cer_schema *s = NULL;
            int crc = cer_schema_new(&s, cJSON_GetObjectItem(g, "schema"), mode);
            const cJSON *tc;

            ck_assert_msg(crc == 0 || crc == -EINVAL, "%s: %s: compile error %d: %s", files[f], gd, crc,
                          cer_errmsg());
            cJSON_ArrayForEach(tc, cJSON_GetObjectItem(g, "tests")) {
                const char *td = cJSON_GetObjectItem(tc, "description")->valuestring;
                const char *want = cJSON_IsTrue(cJSON_GetObjectItem(tc, "valid")) ? "valid" : "invalid";
                const char *got;
                char *key;
                row *r;

                cases++;
                if (crc) {
                    got = "compile-error";
                } else {
                    int vrc = cer_schema_validate(s, cJSON_GetObjectItem(tc, "data"), NULL, NULL);

                    got = vrc == 0 ? "valid" : vrc == -EINVAL ? "invalid" : "error";
                }
                ck_assert_int_ge(asprintf(&key, "%s\t%s\t%s", files[f], gd, td), 0);
                r = cer_strmap_get(&t.map, key);
                if (r) {
                    ck_assert_msg(!r->used, "case listed twice: %s", key);
                    r->used = true;
                    want = r->verdict;
                    listed++;
                    if (strncmp(r->tag, "not-ajv", 7) == 0)
                        not_ajv++;
                }
                if (strcmp(got, want) != 0) {
                    fprintf(stderr, "FAIL %s: %s: %s / %s: got %s, want %s%s%s\n", draft, files[f], gd, td, got,
                            want, crc ? " -- " : "", crc ? cer_errmsg() : "");
                    failures++;
                }
                free(key);
            }
            cer_schema_free(s);
        }
        cJSON_Delete(groups);
        free(vname);
        free(files[f]);
    }
    for (size_t k = 0; k < t.n; k++)
        if (!t.rows[k].used) {
            fprintf(stderr, "FAIL %s: listed case not in the suite: %s\n", verdicts, t.rows[k].key);
            failures++;
        }
    printf("%s: %zu cases, %zu with a listed verdict, %zu where we differ from Ajv (not-ajv)\n", draft,
           cases, listed, not_ajv);
    ck_assert_int_eq(failures, 0);
    ck_assert_uint_eq(listed, t.n);
    /* the suite copy and the lists are what this test was written for */
    ck_assert_uint_eq(cases, expect_cases);
    ck_assert_uint_eq(not_ajv, expect_not_ajv);
    free(files);
    free(dir);
    table_free(&t);
}

START_TEST(test_suite_2020)
{
    run_suite("draft2020-12", CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE, "jsonschema/verdicts-2020-12.tsv", 2076, 27);
}
END_TEST

START_TEST(test_suite_draft7)
{
    run_suite("draft7", CER_SCHEMA_TILE | CER_SCHEMA_LOOSE, "jsonschema/verdicts-draft7.tsv", 1577, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* js-ceramic's options: strict mode (what Ajv refuses to compile)      */
/* ------------------------------------------------------------------ */

START_TEST(test_strict_model)
{
    const unsigned M = CER_SCHEMA_MODEL;

    /* Ajv 8.20 with js-ceramic's MID options, verdicts taken from it */
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{\"a\":{\"minLength\":1}}}", M, "{}"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":[\"string\",\"null\"]}", M, "null"), VALID);
    ck_assert_int_eq(verdict("{\"type\":[\"string\",\"number\"]}", M, "1"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"required\":[\"a\"]}", M, "{}"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"allOf\":[{\"required\":[\"a\"]}],\"properties\":{\"a\":{}}}", M, "{}"),
                     NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"required\":[\"a\"],\"allOf\":[{\"properties\":{\"a\":{}}}]}", M, "{}"),
                     INVALID);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"format\":\"foo\"}", M, "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"$anchor\":\"foo\"}", M, "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"formatMaximum\":\"2020-01-01\"}", M, "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"format\":\"date\",\"formatMaximum\":\"2020-01-01\"}", M,
                             "\"2021-01-01\""), INVALID);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"nullable\":true}", M, "null"), VALID);
    ck_assert_int_eq(verdict("{\"nullable\":true}", M, "1"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                             "\"patternProperties\":{\"^a\":{\"type\":\"string\"}}}", M, "{}"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"}]}", M, "[]"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"}],\"minItems\":1,\"items\":false}",
                             M, "[]"), INVALID);
    ck_assert_int_eq(verdict("{\"type\":\"array\",\"contains\":{\"type\":\"string\"},\"minContains\":0}", M, "[]"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"pattern\":\"\\\\-\"}", M, "\"-\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"pattern\":\"[\\\\d-z]\"}", M, "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"minLength\":1.5}", M, "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"number\",\"multipleOf\":0}", M, "1"), NOCOMPILE);
    /* Ajv reads parentSchema.properties?.[name]: Object.prototype's names */
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"required\":[\"toString\"]}", M, "{}"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{},\"required\":[\"toString\"]}", M, "{}"), VALID);
    /* unreferenced $defs are not compiled, as in Ajv */
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"$defs\":{\"b\":{\"foo\":2}}}", M, "{}"), VALID);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"#/$defs/a\"}},"
                             "\"$defs\":{\"a\":{\"minLength\":1}}}", M, "{}"), NOCOMPILE);
    /* $schema: only what this Ajv knows */
    ck_assert_int_eq(verdict("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema#\",\"type\":\"string\"}", M,
                             "\"x\""), VALID);
    ck_assert_int_eq(verdict("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"string\"}", M,
                             "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"$schema\":\"http://json-schema.org/draft-07/schema\",\"type\":\"string\"}",
                             CER_SCHEMA_TILE, "\"x\""), VALID);
}
END_TEST

START_TEST(test_strict_tile)
{
    const unsigned T = CER_SCHEMA_TILE;

    ck_assert_int_eq(verdict("{\"properties\":{\"a\":{\"minLength\":1}}}", T, "{\"a\":\"\"}"), INVALID);
    ck_assert_int_eq(verdict("{\"foo\":1}", T, "{}"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"string\",\"id\":\"foo\"}", T, "\"x\""), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"dependentRequired\":{}}", T, "1"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"items\":[{\"type\":\"string\"}]}", T, "[\"x\",1]"), VALID);
    ck_assert_int_eq(verdict("{\"type\":\"array\",\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}", T,
                             "[\"x\",1]"), INVALID);
    ck_assert_int_eq(verdict("{\"type\":\"array\",\"additionalItems\":false}", T, "[]"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{\"a\":{}},\"patternProperties\":{\"^a\":{}}}", T,
                             "{}"), NOCOMPILE);
    ck_assert_int_eq(verdict("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}", T, "1"), NOCOMPILE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* References: nothing is fetched                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_remote_ref_refused)
{
    cJSON *s = parse("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"http://example.com/x.json\"}}}");
    cer_schema *c;

    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "can't resolve reference http://example.com/x.json"));
    cJSON_Delete(s);
    /* an embedded resource with that $id is found */
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"$id\":\"http://e/x\"}},"
                             "\"$defs\":{\"b\":{\"$ref\":\"http://e/x\"}}}", CER_SCHEMA_MODEL, "{\"a\":1}"),
                     INVALID);
    /* the meta-schema is known */
    ck_assert_int_eq(verdict("{\"$ref\":\"https://json-schema.org/draft/2020-12/schema\"}", CER_SCHEMA_MODEL,
                             "{\"type\":\"strin\"}"), INVALID);
    ck_assert_int_eq(verdict("{\"$ref\":\"https://json-schema.org/draft/2020-12/schema\"}", CER_SCHEMA_MODEL,
                             "{\"type\":\"string\"}"), VALID);
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"properties\":{\"a\":{\"$dynamicRef\":\"x#foo\"}}}",
                             CER_SCHEMA_MODEL, "{}"), NOCOMPILE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Errors: instance path, keyword, message, as Ajv words them           */
/* ------------------------------------------------------------------ */

START_TEST(test_errors)
{
    cJSON *s = parse("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":3},"
                     "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0}},"
                     "\"a/b~c\":{\"type\":\"boolean\"}},\"required\":[\"name\",\"id\"],\"additionalProperties\":false}");
    cJSON *i = parse("{\"name\":\"abcd\",\"tags\":[1,-2,\"x\"],\"a/b~c\":1,\"extra\":true}");
    cer_schema *c;
    cer_schema_error *e = NULL;
    size_t n = 0;
    char all[2048] = "";

    /* strict mode needs id defined: compile loose for this test */
    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    ck_assert_int_eq(cer_schema_validate(c, i, &e, &n), -EINVAL);
    for (size_t k = 0; k < n; k++) {
        char line[256];

        snprintf(line, sizeof line, "%s|%s|%s\n", e[k].instance_path, e[k].keyword, e[k].message);
        strcat(all, line);
    }
    ck_assert_str_eq(all,
                     "|required|must have required property 'id'\n"
                     "/name|maxLength|must NOT have more than 3 characters\n"
                     "/tags/1|minimum|must be >= 0\n"
                     "/tags/2|type|must be integer\n"
                     "/a~1b~0c|type|must be boolean\n"
                     "|additionalProperties|must NOT have additional properties\n");
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "Validation Error: data must have required property 'id', "
                                               "data/name must NOT have more than 3 characters"));
    cer_schema_errors_free(e, n);
    /* without an errors array: the same verdict, the message only */
    ck_assert_int_eq(cer_schema_validate(c, i, NULL, NULL), -EINVAL);
    cer_schema_free(c);
    cJSON_Delete(s);
    cJSON_Delete(i);

    /* errors of a passing anyOf branch are dropped, a failing one kept */
    s = parse("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"number\"}]}");
    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    i = parse("1");
    ck_assert_int_eq(cer_schema_validate(c, i, &e, &n), 0);
    ck_assert_uint_eq(n, 0);
    cJSON_Delete(i);
    i = parse("true");
    ck_assert_int_eq(cer_schema_validate(c, i, &e, &n), -EINVAL);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(e[2].keyword, "anyOf");
    cer_schema_errors_free(e, n);
    cJSON_Delete(i);
    cer_schema_free(c);
    cJSON_Delete(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Values as JavaScript sees them                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_js_values)
{
    const unsigned L = CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE;

    /* lengths in code points (Ajv's ucs2length), U+0000 included */
    ck_assert_int_eq(verdict("{\"maxLength\":3}", L, "\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\""), VALID);
    ck_assert_int_eq(verdict("{\"maxLength\":2}", L, "\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\""), INVALID);
    ck_assert_int_eq(verdict("{\"minLength\":3}", L, "\"a\\u0000b\""), VALID);
    /* Object.prototype's names are present for Ajv */
    ck_assert_int_eq(verdict("{\"required\":[\"constructor\",\"toString\"]}", L, "{}"), VALID);
    ck_assert_int_eq(verdict("{\"properties\":{\"valueOf\":{\"type\":\"number\"}}}", L, "{}"), INVALID);
    ck_assert_int_eq(verdict("{\"properties\":{\"valueOf\":{\"type\":\"number\"}}}", L, "{\"valueOf\":1}"), VALID);
    /* equality as fast-deep-equal (Ajv's) sees JSON.parse's objects: an own
     * toString/valueOf makes it throw (the value is refused), an own
     * constructor compares with === */
    ck_assert_int_eq(verdict("{\"enum\":[{\"a\":1},{\"toString\":1}]}", L, "{\"toString\":1}"), INVALID);
    ck_assert_int_eq(verdict("{\"enum\":[1,{\"a\":1}]}", L, "{\"a\":1}"), VALID);
    ck_assert_int_eq(verdict("{\"uniqueItems\":true}", L, "[{\"constructor\":1},{\"constructor\":1}]"), INVALID);
    ck_assert_int_eq(verdict("{\"uniqueItems\":true}", L, "[{\"constructor\":{}},{\"constructor\":{}}]"), VALID);
    ck_assert_int_eq(verdict("{\"const\":{\"constructor\":{}}}", L, "{\"constructor\":{}}"), INVALID);
    ck_assert_int_eq(verdict("{\"uniqueItems\":true}", L, "[{\"valueOf\":1},{\"a\":2}]"), VALID);
    ck_assert_int_eq(verdict("{\"uniqueItems\":true}", L, "[{\"a\":2},{\"valueOf\":1}]"), INVALID);
    ck_assert_int_eq(verdict("{\"unevaluatedProperties\":false,\"patternProperties\":{\"^z\":{}}}", L,
                             "{\"constructor\":1}"), VALID);
    ck_assert_int_eq(verdict("{\"unevaluatedProperties\":false,\"properties\":{}}", L, "{\"constructor\":1}"), INVALID);
    /* multipleOf as Ajv's res !== parseInt(res) */
    ck_assert_int_eq(verdict("{\"multipleOf\":0.1}", L, "0.3"), INVALID);
    ck_assert_int_eq(verdict("{\"multipleOf\":0.5}", L, "1e308"), INVALID);
    ck_assert_int_eq(verdict("{\"multipleOf\":0.5}", L, "3.333333333333333e307"), INVALID);
    ck_assert_int_eq(verdict("{\"multipleOf\":1}", L, "1e20"), VALID);
    ck_assert_int_eq(verdict("{\"multipleOf\":1}", L, "1e21"), INVALID);
    ck_assert_int_eq(verdict("{\"multipleOf\":0.5}", L, "1.5"), VALID);
    /* formats ComposeDB schemas use, ajv-formats "full" */
    ck_assert_int_eq(verdict("{\"format\":\"date-time\"}", L, "\"2020-01-01T00:00:00Z\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"date-time\"}", L, "\"2020-01-01 00:00:00\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"date-time\"}", L, "\"2020-02-30T00:00:00Z\""), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"date\"}", L, "\"2020-02-29\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"date\"}", L, "\"2021-02-29\""), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"time\"}", L, "\"23:59:60\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"uri\"}", L, "\"https://example.com/a?b#c\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"uri\"}", L, "\"example\""), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"email\"}", L, "\"a.b@example.com\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"email\"}", L, "\"a..b@example.com\""), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"hostname\"}", L, "\"\\u212aelvin.com\""), INVALID);  /* no Unicode folding without u */
    ck_assert_int_eq(verdict("{\"format\":\"byte\"}", L, "\"!!\\nQUJD\""), VALID);              /* the m flag: any line */
    ck_assert_int_eq(verdict("{\"format\":\"byte\"}", L, "\"QUJ\""), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"int32\"}", L, "2147483648"), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"int32\"}", L, "\"x\""), VALID);
    ck_assert_int_eq(verdict("{\"format\":\"regex\"}", L, "\"a\\\\Z\""), INVALID);
    ck_assert_int_eq(verdict("{\"format\":\"regex\"}", L, "\"\\\\-\""), VALID);  /* legal without the u flag */
    ck_assert_int_eq(verdict("{\"format\":\"date\",\"formatMinimum\":\"2020-01-01\"}", L, "\"2019-12-31\""), INVALID);
}
END_TEST

/* Evaluated properties as Ajv's generated code tracks them: the verdicts
 * are Ajv 8.20's ({strict: false, allErrors: true}) */
START_TEST(test_evaluated_like_ajv)
{
    const unsigned L = CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE;
    const char *ite = "{\"type\":\"object\",\"if\":{\"properties\":{\"foo\":{\"const\":\"then\"}},\"required\":[\"foo\"]},"
                      "\"then\":{\"properties\":{\"bar\":{\"type\":\"string\"}}},\"else\":{\"properties\":{\"baz\":{\"type\":\"string\"}}},"
                      "\"unevaluatedProperties\":false}";
    const char *ie = "{\"type\":\"object\",\"if\":{\"properties\":{\"foo\":{\"const\":\"then\"}},\"required\":[\"foo\"]},"
                     "\"else\":{\"properties\":{\"baz\":{\"type\":\"string\"}},\"required\":[\"baz\"]},"
                     "\"unevaluatedProperties\":false}";
    const char *ds = "{\"type\":\"object\",\"properties\":{\"owner\":{\"type\":\"number\"},\"k\":{\"type\":\"integer\"}},"
                     "\"dependentSchemas\":{\"owner\":{\"type\":\"object\",\"properties\":{\"owner\":{\"type\":\"number\"}}}},"
                     "\"unevaluatedProperties\":false}";

    ck_assert_int_eq(verdict(ite, L, "{\"foo\":\"then\"}"), VALID);
    ck_assert_int_eq(verdict(ite, L, "{\"foo\":\"else\"}"), INVALID);             /* the else clause's variable only */
    ck_assert_int_eq(verdict(ite, L, "{\"foo\":\"else\",\"baz\":\"x\"}"), INVALID);
    ck_assert_int_eq(verdict(ie, L, "{\"foo\":\"then\"}"), INVALID);              /* the else variable, never set */
    ck_assert_int_eq(verdict(ie, L, "{\"foo\":\"else\",\"baz\":\"x\"}"), VALID);
    /* a dependentSchemas entry that does not run leaves them undefined */
    ck_assert_int_eq(verdict(ds, L, "{\"k\":1}"), INVALID);
    ck_assert_int_eq(verdict(ds, L, "{\"owner\":1,\"k\":1}"), VALID);
    /* patternProperties in if: marked whether if passes or not */
    ck_assert_int_eq(verdict("{\"type\":\"object\",\"if\":{\"patternProperties\":{\"foo\":{\"const\":\"then\"}}},"
                             "\"then\":{\"properties\":{\"bar\":{}}},\"unevaluatedProperties\":false}", L, "{\"foo\":\"x\"}"),
                     VALID);
    /* contains evaluates every item for Ajv */
    ck_assert_int_eq(verdict("{\"contains\":{\"type\":\"string\"},\"unevaluatedItems\":false}", L, "[\"a\",1]"), VALID);
    ck_assert_int_eq(verdict("{\"prefixItems\":[{}],\"unevaluatedItems\":false}", L, "[1,2]"), INVALID);
    /* oneOf stops at a second passing branch */
    ck_assert_int_eq(verdict("{\"oneOf\":[true,true,true]}", L, "1"), INVALID);
    ck_assert_int_eq(verdict("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":0},{\"maximum\":0}]}", L, "1"), INVALID);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ECMAScript patterns                                                  */
/* ------------------------------------------------------------------ */

static int re(const char *pattern, unsigned flags, const char *subject)
{
    cer_jsregex *r;
    int rc = cer_jsregex_new(&r, pattern, strlen(pattern), flags);

    if (rc)
        return rc == -EINVAL ? 2 : rc;
    rc = cer_jsregex_test(r, subject, strlen(subject));
    cer_jsregex_free(r);
    return rc;
}

START_TEST(test_regex)
{
    const unsigned U = CER_JSRE_UNICODE;

    ck_assert_int_eq(re("^.$", U, "\r"), 0);                 /* . excludes the line terminators */
    ck_assert_int_eq(re("^.$", U, "\xe2\x80\xa8"), 0);
    ck_assert_int_eq(re("^.$", U, "\xc3\xa9"), 1);           /* one code point */
    ck_assert_int_eq(re("^.$", U, "\xf0\x9f\x98\x80"), 1);
    ck_assert_int_eq(re("^\\s$", U, "\xc2\xa0"), 1);         /* JavaScript's \s */
    ck_assert_int_eq(re("^\\s$", U, "\xef\xbb\xbf"), 1);
    ck_assert_int_eq(re("^\\S$", U, "\xef\xbb\xbf"), 0);
    ck_assert_int_eq(re("^[^\\S]$", U, " "), 1);
    ck_assert_int_eq(re("^[a\\S]$", U, "x"), 1);
    ck_assert_int_eq(re("^[^a\\S]$", U, " "), 1);
    ck_assert_int_eq(re("^[^a\\S]$", U, "a"), 0);
    ck_assert_int_eq(re("^\\d$", U, "\xe0\xa7\xa8"), 0);     /* ASCII digits only */
    ck_assert_int_eq(re("^\\w$", U, "\xc3\xa9"), 0);
    ck_assert_int_eq(re("a$", U, "a\n"), 0);                 /* $ is the end of input */
    ck_assert_int_eq(re("^a", U, "ba"), 0);
    ck_assert_int_eq(re("b", U, "abc"), 1);                  /* not anchored */
    ck_assert_int_eq(re("(a)|\\1b", U, "b"), 1);             /* an unset group matches empty */
    ck_assert_int_eq(re("(?<x>a)\\k<x>", U, "aa"), 1);
    ck_assert_int_eq(re("(?<=a)b", U, "ab"), 1);
    ck_assert_int_eq(re("\\u{1F600}", U, "\xf0\x9f\x98\x80"), 1);
    ck_assert_int_eq(re("\\ud83d\\ude00", U, "\xf0\x9f\x98\x80"), 1);
    ck_assert_int_eq(re("^\\p{Letter}+$", U, "\xc3\xa9t\xc3\xa9"), 1);
    ck_assert_int_eq(re("^\\p{digit}+$", U, "\xe0\xa7\xa8"), 1);
    ck_assert_int_eq(re("^[\\-a]$", U, "-"), 1);
    ck_assert_int_eq(re("^[]$", U, ""), 0);
    ck_assert_int_eq(re("^[^]$", U, "\n"), 1);
    ck_assert_int_eq(re("a\xc0\x80" "b", U, "a\xc0\x80" "b"), 1);   /* U+0000, in both */
    ck_assert_int_eq(re("^abc$", U | CER_JSRE_ICASE, "ABC"), 1);
    ck_assert_int_eq(re("^[a-z]+$", CER_JSRE_ICASE, "ABC"), 1);
    ck_assert_int_eq(re("^k$", CER_JSRE_ICASE, "\xe2\x84\xaa"), 0); /* KELVIN SIGN: no Unicode folding without u */
    /* what JavaScript refuses with the u flag */
    static const char *const bad_u[] = {"(", "a{", "\\-", "[\\d-z]", "*", "a**", "{1}", "]", "}", "\\c1",
                                        "\\k<x>", "(?<a>.)(?<a>.)", "(?i:a)", "\\p{Nope=1}", "\\01",
                                        "a{2,1}", "(?<1x>a)", "\\", "(?=a)*", "\\q", NULL};
    for (int k = 0; bad_u[k]; k++)
        ck_assert_msg(re(bad_u[k], U, "") == 2, "accepted /%s/u", bad_u[k]);
    /* and what Annex B accepts without it */
    static const char *const ok_legacy[] = {"\\-", "]", "}", "a{", "\\c1", "\\01", "(?=a)*", "\\q", "[\\d-z]", NULL};
    for (int k = 0; ok_legacy[k]; k++) {
        cer_jsregex *r = NULL;

        ck_assert_msg(cer_jsregex_new(&r, ok_legacy[k], strlen(ok_legacy[k]), CER_JSRE_SYNTAX) == 0,
                      "refused /%s/: %s", ok_legacy[k], cer_errmsg());
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bounds                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_bound_backtracking)
{
    cJSON *s = parse("{\"pattern\":\"^(a+)+$\"}");
    cJSON *i = parse("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"");
    cer_schema *c;

    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    ck_assert_int_eq(cer_schema_validate(c, i, NULL, NULL), -EFBIG);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "match limit"));
    cer_schema_free(c);
    cJSON_Delete(s);
    cJSON_Delete(i);
}
END_TEST

/* long strings that simple patterns walk once: within the limits, which
 * grow with the subject (256 KB is a whole block) */
START_TEST(test_bound_long_subjects)
{
    static const char *const schemas[] = {
        "{\"pattern\":\"^(a|b)*$\"}", "{\"pattern\":\"^(?:[a-z]+ ?)*$\"}", "{\"format\":\"uri\"}",
        "{\"format\":\"email\"}", "{\"maxLength\":300000}", NULL};
    static const char *const unit[] = {"ab", "word ", "a", "a", "\xc3\xa9"};
    static const char *const head[] = {"", "", "http://x/", "", ""};
    static const char *const tail[] = {"", "", "", "@x.com", ""};

    for (int k = 0; schemas[k]; k++) {
        cJSON *s = parse(schemas[k]);
        cer_buf b = CER_BUF_INIT;
        cer_schema *c;
        cJSON *i;

        cer_buf_append(&b, head[k], strlen(head[k]));
        while (b.len < 250000)
            cer_buf_append(&b, unit[k], strlen(unit[k]));
        cer_buf_append(&b, tail[k], strlen(tail[k]) + 1);
        i = cJSON_CreateString((const char *)b.data);
        ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
        ck_assert_msg(cer_schema_validate(c, i, NULL, NULL) == 0, "%s: %s", schemas[k], cer_errmsg());
        cer_schema_free(c);
        cJSON_Delete(s);
        cJSON_Delete(i);
        cer_buf_free(&b);
    }
}
END_TEST

/* 2^40 paths through a chain of anyOfs of two refs: the budget ends it */
START_TEST(test_bound_budget)
{
    cer_buf b = CER_BUF_INIT;
    char tmp[160];
    cJSON *s, *i;
    cer_schema *c;

    snprintf(tmp, sizeof tmp, "{\"$ref\":\"#/$defs/d0\",\"$defs\":{");
    cer_buf_append(&b, tmp, strlen(tmp));
    for (int k = 0; k < 40; k++) {
        snprintf(tmp, sizeof tmp, "%s\"d%d\":{\"anyOf\":[{\"$ref\":\"#/$defs/d%d\"},{\"$ref\":\"#/$defs/d%d\"}],\"not\":{}}",
                 k ? "," : "", k, k + 1, k + 1);
        cer_buf_append(&b, tmp, strlen(tmp));
    }
    snprintf(tmp, sizeof tmp, ",\"d40\":{\"type\":\"string\"}}}");
    cer_buf_append(&b, tmp, strlen(tmp) + 1);
    s = parse((const char *)b.data);
    i = parse("1");
    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    ck_assert_int_eq(cer_schema_validate(c, i, NULL, NULL), -EFBIG);
    cer_schema_free(c);
    cJSON_Delete(s);
    cJSON_Delete(i);
    cer_buf_free(&b);
}
END_TEST

/* a reference loop that never consumes the instance */
START_TEST(test_bound_recursion)
{
    cJSON *s = parse("{\"$defs\":{\"a\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}");
    cJSON *i = parse("1");
    cer_schema *c;

    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    ck_assert_int_eq(cer_schema_validate(c, i, NULL, NULL), -EFBIG);
    cer_schema_free(c);
    cJSON_Delete(s);
    cJSON_Delete(i);
}
END_TEST

/* a recursive schema on a deep (but legal) instance, and a big flat one:
 * linear work */
START_TEST(test_bound_big_instances)
{
    cJSON *s = parse("{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"c\":{\"$ref\":\"#/$defs/n\"},"
                     "\"v\":{\"type\":\"integer\"}},\"additionalProperties\":false}},\"$ref\":\"#/$defs/n\"}");
    cJSON *deep = cJSON_CreateObject(), *cur = deep, *arr;
    cer_schema *c;

    for (int k = 0; k < 100; k++) {
        cJSON *n = cJSON_CreateObject();

        cJSON_AddNumberToObject(cur, "v", k);
        cJSON_AddItemToObject(cur, "c", n);
        cur = n;
    }
    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    ck_assert_int_eq(cer_schema_validate(c, deep, NULL, NULL), 0);
    cJSON_AddStringToObject(cur, "v", "x");
    ck_assert_int_eq(cer_schema_validate(c, deep, NULL, NULL), -EINVAL);
    cer_schema_free(c);
    cJSON_Delete(s);
    cJSON_Delete(deep);

    s = parse("{\"type\":\"array\",\"uniqueItems\":true,\"items\":{\"type\":\"object\",\"required\":[\"k\"]}}");
    arr = cJSON_CreateArray();
    for (int k = 0; k < 50000; k++) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddNumberToObject(o, "k", k);
        cJSON_AddItemToArray(arr, o);
    }
    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE), 0);
    ck_assert_int_eq(cer_schema_validate(c, arr, NULL, NULL), 0);   /* hashed, not 50000^2 / 2 compares */
    {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddNumberToObject(o, "k", 49999);
        cJSON_AddItemToArray(arr, o);
    }
    ck_assert_int_eq(cer_schema_validate(c, arr, NULL, NULL), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "items ## 50000 and 49999 are identical"));
    cer_schema_free(c);
    cJSON_Delete(s);
    cJSON_Delete(arr);
}
END_TEST

START_TEST(test_bad_arguments)
{
    cJSON *s = parse("{}"), *n = parse("1");
    cer_schema *c;

    ck_assert_int_eq(cer_schema_new(&c, n, CER_SCHEMA_MODEL), -EINVAL);
    ck_assert_int_eq(cer_schema_new(&c, s, 7), -EINVAL);
    ck_assert_int_eq(cer_schema_new(&c, NULL, CER_SCHEMA_MODEL), -EINVAL);
    ck_assert_int_eq(cer_schema_new(&c, s, CER_SCHEMA_MODEL), 0);
    ck_assert_int_eq(cer_schema_validate(c, NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(cer_schema_validate(c, n, NULL, NULL), 0);
    cer_schema_free(c);
    cer_schema_free(NULL);
    cJSON_Delete(s);
    cJSON_Delete(n);
}
END_TEST

static Suite *jsonschema_suite(void)
{
    Suite *s = suite_create("jsonschema");
    TCase *suite = tcase_create("test-suite"), *js = tcase_create("js-ceramic"), *re_ = tcase_create("regex"),
          *bounds = tcase_create("bounds");

    tcase_add_test(suite, test_suite_2020);
    tcase_add_test(suite, test_suite_draft7);
    tcase_set_timeout(suite, 60);
    suite_add_tcase(s, suite);
    tcase_add_test(js, test_strict_model);
    tcase_add_test(js, test_strict_tile);
    tcase_add_test(js, test_remote_ref_refused);
    tcase_add_test(js, test_errors);
    tcase_add_test(js, test_js_values);
    tcase_add_test(js, test_evaluated_like_ajv);
    tcase_add_test(js, test_bad_arguments);
    suite_add_tcase(s, js);
    tcase_add_test(re_, test_regex);
    suite_add_tcase(s, re_);
    tcase_add_test(bounds, test_bound_backtracking);
    tcase_add_test(bounds, test_bound_long_subjects);
    tcase_add_test(bounds, test_bound_budget);
    tcase_add_test(bounds, test_bound_recursion);
    tcase_add_test(bounds, test_bound_big_instances);
    tcase_set_timeout(bounds, 60);
    suite_add_tcase(s, bounds);
    return s;
}

CER_TEST_MAIN(jsonschema_suite)
