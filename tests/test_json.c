/*
 * test_json.c — tests of core/json.c: cer_json_parse, cer_json_print,
 * cer_json_equal and the exact-integer helpers.
 *
 * Expected texts come from JavaScript itself: tests/vectors/json-print.json
 * (JSON.stringify of every js-cases.json text and of extra samples, the
 * Number::toString of ~5000 doubles, JSON.parse of tricky literals, the
 * UTF-8 of strings with lone surrogates; written by
 * tests/vectors/gen/json-print.mjs) and the "dag" and "genesis" cases of
 * tests/vectors/js-cases.json. Vector files are read with cer_json_parse
 * itself (cJSON's parser cannot hold U+0000). Repeated keys are also
 * tried with keys crafted to collide under the parser's old hash, the
 * work bounded by counting the map's probes.
 */
#include "testutil.h"
#include "buf.h"
#include "json.h"
#include "strmap.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static cJSON *parse_f(const char *text, unsigned flags)
{
    cJSON *j = NULL;
    int rc = cer_json_parse(&j, text, strlen(text), flags);

    ck_assert_msg(rc == 0, "parse %s: %d %s", text, rc, cer_errmsg());
    ck_assert_ptr_nonnull(j);
    return j;
}

static cJSON *parse(const char *text)
{
    return parse_f(text, 0);
}

static char *print_f(const cJSON *j, unsigned flags)
{
    char *s = NULL;
    int rc = cer_json_print(&s, j, flags);

    ck_assert_msg(rc == 0, "print: %d %s", rc, cer_errmsg());
    ck_assert_ptr_nonnull(s);
    return s;
}

/* parse, print compactly, compare with want (NULL: the text itself). */
static void assert_reprint(const char *text, unsigned flags, const char *want)
{
    cJSON *j = parse_f(text, flags);
    char *s = print_f(j, 0);

    ck_assert_msg(strcmp(s, want ? want : text) == 0, "%s\n  printed %s\n  want    %s", text, s,
                  want ? want : text);
    free(s);
    cJSON_Delete(j);
}

/* The text must fail to parse with code, and the message contain msg. */
static void assert_parse_fails_n(const char *text, size_t len, unsigned flags, int code, const char *msg)
{
    cJSON *j = (cJSON *)1;
    int rc;

    cer_errclear();
    rc = cer_json_parse(&j, text, len, flags);
    ck_assert_msg(rc == code, "parse of %.*s: got %d (%s), want %d", (int)len, text, rc,
                  cer_errmsg(), code);
    ck_assert_ptr_null(j);
    ck_assert_msg(strncmp(cer_errmsg(), "json: ", 6) == 0, "message %s", cer_errmsg());
    if (msg)
        ck_assert_msg(strstr(cer_errmsg(), msg) != NULL, "parse of %.*s: message \"%s\" lacks \"%s\"",
                      (int)len, text, cer_errmsg(), msg);
}

static void assert_parse_fails(const char *text, int code, const char *msg)
{
    assert_parse_fails_n(text, strlen(text), 0, code, msg);
}

static uint64_t bits_of(double d)
{
    uint64_t b;

    memcpy(&b, &d, sizeof b);
    return b;
}

static double double_of(uint64_t b)
{
    double d;

    memcpy(&d, &b, sizeof d);
    return d;
}

static cJSON *load_vectors(const char *name)
{
    size_t len;
    uint8_t *data = tu_load_file(name, &len);
    cJSON *j = NULL;
    int rc = cer_json_parse(&j, (const char *)data, len, 0);

    ck_assert_msg(rc == 0, "%s: %s", name, cer_errmsg());
    free(data);
    return j;
}

static const char *str_or_null(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (cJSON_IsNull(v))
        return NULL;
    ck_assert_msg(cJSON_IsString(v), "vector field %s is not a string", key);
    return v->valuestring;
}

/* The UTF-8 of a string as the parser stores it, 00 for its C0 80. */
static char *string_hex(const char *s)
{
    size_t n = strlen(s), o = 0;
    uint8_t *b = malloc(n + 1);
    char *h;

    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++) {
        if ((uint8_t)s[i] == 0xc0 && (uint8_t)s[i + 1] == 0x80) {
            b[o++] = 0;
            i++;
        } else {
            b[o++] = (uint8_t)s[i];
        }
    }
    h = tu_hex(b, o);
    free(b);
    return h;
}

/* Checks cJSON's list invariants: child->prev is the last item, prev/next
 * consistent, the last next NULL; recursively. */
static void assert_links(const cJSON *j)
{
    const cJSON *c, *last = NULL;

    if (!cJSON_IsArray(j) && !cJSON_IsObject(j))
        return;
    for (c = j->child; c; c = c->next) {
        if (last)
            ck_assert_ptr_eq(c->prev, last);
        assert_links(c);
        last = c;
    }
    if (j->child)
        ck_assert_ptr_eq(j->child->prev, last);
}

/* ------------------------------------------------------------------ */
/* Parsing: values, whitespace, API                                     */
/* ------------------------------------------------------------------ */

START_TEST(test_parse_scalars)
{
    cJSON *j;

    j = parse("null");
    ck_assert(cJSON_IsNull(j));
    cJSON_Delete(j);
    j = parse("true");
    ck_assert(cJSON_IsTrue(j));
    cJSON_Delete(j);
    j = parse("false");
    ck_assert(cJSON_IsFalse(j));
    cJSON_Delete(j);
    j = parse("-12.5e1");
    ck_assert(cJSON_IsNumber(j));
    ck_assert(j->valuedouble == -125.0);
    cJSON_Delete(j);
    j = parse("\"x\"");
    ck_assert_str_eq(j->valuestring, "x");
    cJSON_Delete(j);
    j = parse("\"\"");
    ck_assert_str_eq(j->valuestring, "");
    cJSON_Delete(j);
    j = parse("{}");
    ck_assert(cJSON_IsObject(j) && j->child == NULL);
    cJSON_Delete(j);
    j = parse("[]");
    ck_assert(cJSON_IsArray(j) && j->child == NULL);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_parse_structure)
{
    cJSON *j = parse("{\"a\":[1,{\"b\":null},\"c\"],\"d\":{},\"e\":true}");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "a");

    ck_assert_int_eq(cJSON_GetArraySize(j), 3);
    ck_assert_int_eq(cJSON_GetArraySize(a), 3);
    ck_assert(cJSON_GetArrayItem(a, 0)->valuedouble == 1);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, 1), "b")));
    ck_assert_str_eq(cJSON_GetArrayItem(a, 2)->valuestring, "c");
    ck_assert_str_eq(j->child->string, "a");
    ck_assert_str_eq(j->child->next->string, "d");
    ck_assert_str_eq(j->child->next->next->string, "e");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "e")));
    assert_links(j);
    /* cJSON's own list functions work on what we built */
    ck_assert(cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(j, "a"), cJSON_CreateNumber(4)));
    ck_assert_int_eq(cJSON_GetArraySize(a), 4);
    ck_assert(cJSON_GetArrayItem(a, 3)->valuedouble == 4);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(j, "a"), 3);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "d");
    assert_links(j);
    {
        cJSON *dup = cJSON_Duplicate(j, 1);
        char *s = print_f(dup, 0);

        ck_assert_str_eq(s, "{\"a\":[1,{\"b\":null},\"c\"],\"e\":true}");
        free(s);
        cJSON_Delete(dup);
    }
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_parse_whitespace)
{
    cJSON *j = parse(" \t\r\n[ 1 ,\n\t2 ]\r\n ");

    ck_assert_int_eq(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    j = parse("{ \"a\" : 1 }");
    cJSON_Delete(j);
    /* only space, tab, CR and LF are JSON whitespace */
    assert_parse_fails("\v1", -EINVAL, "unexpected byte 0x0B");
    assert_parse_fails("\f1", -EINVAL, "unexpected byte 0x0C");
    assert_parse_fails("1\v", -EINVAL, NULL);
    assert_parse_fails("\xc2\xa0" "1", -EINVAL, "unexpected character U+00A0");
    assert_parse_fails("\xe2\x80\xa8" "1", -EINVAL, "U+2028");
    assert_parse_fails("\xef\xbb\xbf" "1", -EINVAL, "U+FEFF");  /* BOM: JSON.parse rejects it */
}
END_TEST

START_TEST(test_parse_api)
{
    const char buf[] = "[1,2]xyz";
    cJSON *j = NULL;

    /* text need not be NUL-terminated */
    ck_assert_int_eq(cer_json_parse(&j, buf, 5, 0), 0);
    ck_assert_int_eq(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    ck_assert_int_eq(cer_json_parse(&j, buf, 6, 0), -EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(cer_json_parse(NULL, "1", 1, 0), -EINVAL);
    ck_assert_int_eq(cer_json_parse(&j, NULL, 1, 0), -EINVAL);
    ck_assert_int_eq(cer_json_parse(&j, NULL, 0, 0), -EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(cer_json_parse(&j, "1", 1, 0x100), -EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(cer_json_parse(&j, "1", 1, CER_JSON_PRETTY), 0);  /* ignored */
    cJSON_Delete(j);
    /* embedded NUL bytes are part of the text (and never valid JSON) */
    assert_parse_fails_n("1\0", 2, 0, -EINVAL, "unexpected byte 0x00");
    assert_parse_fails_n("\"a\0b\"", 5, 0, -EINVAL, "control character U+0000");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed input                                                      */
/* ------------------------------------------------------------------ */

START_TEST(test_parse_malformed)
{
    static const struct {
        const char *text;
        const char *msg;
    } bad[] = {
        {"", "no value (empty input) at line 1 column 1"},
        {" \n ", "no value (empty input) at line 2 column 2"},
        {"{", "unexpected end of input, expected a string key"},
        {"}", "unexpected '}', expected a value"},
        {"[", "unexpected end of input, expected a value"},
        {"]", "unexpected ']'"},
        {"[1,]", "trailing comma before ']' at line 1 column 4"},
        {"[1,\n ]", "trailing comma before ']' at line 2 column 2"},
        {"{\"a\":1,}", "trailing comma before '}'"},
        {"[1 2]", "expected ',' or ']' in array"},
        {"[1:2]", "expected ',' or ']' in array"},
        {"{\"a\" 1}", "expected ':' after object key"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}' in object"},
        {"{\"a\":1]", "expected ',' or '}' in object"},
        {"[1}", "expected ',' or ']' in array"},
        {"{a:1}", "unexpected 'a', expected a string key"},
        {"{'a':1}", "unexpected '''"},
        {"{1:1}", "expected a string key"},
        {"{null:1}", "expected a string key"},
        {"'a'", "unexpected '''"},
        {"01", "leading zero in number"},
        {"-01", "leading zero in number"},
        {"00", "leading zero"},
        {"[0123]", "leading zero"},
        {"+1", "unexpected '+'"},
        {".5", "unexpected '.'"},
        {"-.5", "expected a digit after '-'"},
        {"1.", "unexpected end of input, expected a digit after '.'"},
        {"1.e5", "unexpected 'e', expected a digit after '.'"},
        {"1e", "expected a digit in the exponent"},
        {"1e+", "expected a digit in the exponent"},
        {"1e-", "expected a digit in the exponent"},
        {"1E+x", "unexpected 'x', expected a digit in the exponent"},
        {"1ee5", "expected a digit in the exponent"},
        {"-", "unexpected end of input, expected a digit after '-'"},
        {"--1", "expected a digit after '-'"},
        {"- 1", "expected a digit after '-'"},
        {"0x10", "unexpected 'x', expected the end of input"},
        {"1.5.2", "unexpected '.'"},
        {"1 2", "expected the end of input after the value"},
        {"{}{}", "expected the end of input"},
        {"[]]", "expected the end of input"},
        {"NaN", "unexpected 'N'"},
        {"nan", "unexpected 'a'"},
        {"Infinity", "unexpected 'I'"},
        {"-Infinity", "expected a digit after '-'"},
        {"[NaN]", "unexpected 'N'"},
        {"nul", "unexpected end of input"},
        {"tru", "unexpected end of input"},
        {"fals", "unexpected end of input"},
        {"nulL", "unexpected 'L'"},
        {"True", "unexpected 'T'"},
        {"truefalse", "expected the end of input"},
        {"undefined", "unexpected 'u'"},
        {"// c\n1", "unexpected '/'"},
        {"/* c */ 1", "unexpected '/'"},
        {"1 // c", "unexpected '/'"},
        {"[1, /* c */ 2]", "unexpected '/'"},
        {"# c\n1", "unexpected '#'"},
        {",", "unexpected ','"},
        {":", "unexpected ':'"},
        {"[,1]", "unexpected ','"},
        {"[1,,2]", "unexpected ','"},
        {"{,}", "unexpected ','"},
        {"{\"a\"}", "expected ':'"},
        {"{\"a\":}", "unexpected '}', expected a value"},
        {"{\"a\"::1}", "unexpected ':'"},
        {"\"abc", "unterminated string at line 1 column 1"},
        {"[\"abc]", "unterminated string at line 1 column 2"},
        {"\"\\", "unterminated string"},
        {"\"\\\"", "unterminated string"},
        {"\"\\x\"", "invalid escape '\\x'"},
        {"\"\\'\"", "invalid escape '\\''"},
        {"\"\\a\"", "invalid escape '\\a'"},
        {"\"\\0\"", "invalid escape '\\0'"},
        {"\"\\U0041\"", "invalid escape '\\U'"},
        {"\"\\u12\"", "invalid \\u escape"},
        {"\"\\u12", "unexpected end of input in \\u escape"},
        {"\"\\u12G4\"", "invalid \\u escape \"\\u12G4\""},
        {"\"\\u-123\"", "invalid \\u escape"},
        {"\"\\u 123\"", "invalid \\u escape"},
        {"\"\\ud800\\u12\"", "invalid \\u escape"},
        {"\"\\\n\"", "invalid escape (byte 0x0A after '\\')"},
        {"\"\t\"", "control character U+0009 in string (write it as \\u0009)"},
        {"\"a\nb\"", "control character U+000A in string (write it as \\u000a) at line 1 column 3"},
        {"\"\x01\"", "control character U+0001"},
        {"\"\x1f\"", "control character U+001F"},
        {"1e400", "number 1e400 is out of range (JSON.parse gives Infinity)"},
        {"-1e400", "gives -Infinity"},
        {"[1e999]", "out of range"},
        {"1.8e308", "out of range"},
        {"1e1000000000000000000000000", "out of range"},
        {"\xc3\xa9", "unexpected character U+00E9, expected a value"},
        {"[\xf0\x9f\x98\x80]", "unexpected character U+1F600"},
        {"\x7f", "unexpected byte 0x7F"},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_parse_fails(bad[i].text, -EINVAL, bad[i].msg);
        assert_parse_fails_n(bad[i].text, strlen(bad[i].text), CER_JSON_EXACT_INTS, -EINVAL, NULL);
    }
}
END_TEST

START_TEST(test_parse_bad_utf8)
{
    static const struct {
        const char *text;
        const char *msg;
    } bad[] = {
        {"\"\x80\"", "invalid UTF-8 (byte 0x80) at byte offset 1, line 1 column 2"},
        {"\"\xbf\"", "byte 0xBF"},
        {"\"\xc0\x80\"", "byte 0xC0"},          /* overlong U+0000: never accepted as input */
        {"\"\xc1\xbf\"", "byte 0xC1"},          /* overlong */
        {"\"\xe0\x80\x80\"", "byte 0xE0"},      /* overlong */
        {"\"\xe0\x9f\xbf\"", "byte 0xE0"},      /* overlong U+07FF */
        {"\"\xf0\x8f\xbf\xbf\"", "byte 0xF0"},  /* overlong U+FFFF */
        {"\"\xed\xa0\x80\"", "byte 0xED"},      /* U+D800 (CESU / WTF-8) */
        {"\"\xed\xbf\xbf\"", "byte 0xED"},      /* U+DFFF */
        {"\"\xf4\x90\x80\x80\"", "byte 0xF4"},  /* U+110000 */
        {"\"\xf5\x80\x80\x80\"", "byte 0xF5"},
        {"\"\xf8\x88\x80\x80\x80\"", "byte 0xF8"},
        {"\"\xfe\"", "byte 0xFE"},
        {"\"\xff\"", "byte 0xFF"},
        {"\"\xc3\"", "byte 0xC3"},              /* truncated */
        {"\"\xe2\x82\"", "byte 0xE2"},
        {"\"\xf0\x9f\x98\"", "byte 0xF0"},
        {"\"\xc3\x28\"", "byte 0xC3"},          /* bad continuation */
        {"\"\xe2\x28\xa1\"", "byte 0xE2"},
        {"\"\xe2\x82\x28\"", "byte 0xE2"},
        {"\"\xf0\x28\x8c\xbc\"", "byte 0xF0"},
        {"[1,\n \"ok\", \"\xe9t\xe9\"]", "byte offset 12, line 2 column 9"},
        {"\xff" "1", "byte offset 0, line 1 column 1"},
        {"1\xff", "byte offset 1"},
        {"{\"\xff\":1}", "byte offset 2"},
        {"[\"\xc3\xa9\",\"\xc3\"]", "byte offset 7, line 1 column 7"},
        {"\"\xc3", "byte 0xC3"},                /* truncated at the very end */
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_parse_fails(bad[i].text, -EINVAL, bad[i].msg);
}
END_TEST

/* Every proper prefix of a valid document that starts with '{' or '[' is
 * invalid (and must fail cleanly: the sanitizers watch). */
static void assert_truncations_fail(const char *doc, size_t len, unsigned flags)
{
    char *copy = malloc(len ? len : 1);

    ck_assert_ptr_nonnull(copy);
    for (size_t n = 0; n < len; n++) {
        cJSON *j = (cJSON *)1;
        int rc;

        memcpy(copy, doc, n);  /* a buffer of exactly n bytes: no reading past it */
        rc = cer_json_parse(&j, copy, n, flags);
        ck_assert_msg(rc == -EINVAL, "prefix %zu of %.60s: rc %d", n, doc, rc);
        ck_assert_ptr_null(j);
    }
    free(copy);
}

START_TEST(test_parse_truncations)
{
    static const char *docs[] = {
        "{\"a\":[1,-2.5e-3,true,false,null,\"s\\n\\u00e9\\ud83d\\ude00\"],\"b\":{\"c\":{}},\"d\":[[]],"
        "\"\xe6\x97\xa5\xf0\x9f\x98\x80\":\"\xc3\xa9\",\"e\":-0,\"f\":18446744073709551615}",
        "[\"\\u0000\",{\"k\":[0.5,1E+2]}]",
    };
    cJSON *cases = load_vectors("js-cases.json");
    const cJSON *c;
    size_t n = 0;

    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *j = parse_f(docs[i], CER_JSON_EXACT_INTS);

        cJSON_Delete(j);
        assert_truncations_fail(docs[i], strlen(docs[i]), 0);
        assert_truncations_fail(docs[i], strlen(docs[i]), CER_JSON_EXACT_INTS);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases")) {
        const char *text = NULL;

        if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "content_json")))
            text = cJSON_GetObjectItemCaseSensitive(c, "content_json")->valuestring;
        else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "patch_json")))
            text = cJSON_GetObjectItemCaseSensitive(c, "patch_json")->valuestring;
        if (!text || strlen(text) > 4000)
            continue;
        assert_truncations_fail(text, strlen(text), 0);
        n++;
    }
    ck_assert_uint_ge(n, 20);
    cJSON_Delete(cases);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Nesting                                                              */
/* ------------------------------------------------------------------ */

static char *nested_text(size_t depth, const char *open, const char *inner, const char *close)
{
    size_t ol = strlen(open), il = strlen(inner), cl = strlen(close);
    char *s = malloc(depth * (ol + cl) + il + 1), *p = s;

    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < depth; i++, p += ol)
        memcpy(p, open, ol);
    memcpy(p, inner, il);
    p += il;
    for (size_t i = 0; i < depth; i++, p += cl)
        memcpy(p, close, cl);
    *p = '\0';
    return s;
}

START_TEST(test_parse_depth)
{
    char *s;
    cJSON *j;

    s = nested_text(CER_DAGCBOR_DEPTH_MAX, "[", "1", "]");
    j = parse(s);
    free(s);
    cJSON_Delete(j);
    s = nested_text(CER_DAGCBOR_DEPTH_MAX, "[", "", "]");
    j = parse(s);
    free(s);
    cJSON_Delete(j);
    s = nested_text(CER_DAGCBOR_DEPTH_MAX + 1, "[", "", "]");
    assert_parse_fails(s, -EFBIG, "nesting deeper than 128 at line 1 column 129");
    free(s);
    s = nested_text(CER_DAGCBOR_DEPTH_MAX, "{\"a\":", "{}", "}");
    assert_parse_fails(s, -EFBIG, "nesting deeper than 128");
    free(s);
    s = nested_text(CER_DAGCBOR_DEPTH_MAX - 1, "{\"a\":", "{}", "}");
    j = parse(s);
    free(s);
    cJSON_Delete(j);
    s = nested_text(CER_DAGCBOR_DEPTH_MAX / 2 - 1, "[{\"k\":", "[[]]", "}]");
    j = parse(s);
    free(s);
    cJSON_Delete(j);
    s = nested_text(CER_DAGCBOR_DEPTH_MAX / 2, "[{\"k\":", "[]", "}]");
    assert_parse_fails(s, -EFBIG, NULL);
    free(s);
    /* 100000 levels: refused at level 129, without deep recursion */
    s = nested_text(100000, "[", "", "]");
    assert_parse_fails(s, -EFBIG, NULL);
    free(s);
    s = nested_text(100000, "[", "", "");
    assert_parse_fails(s, -EFBIG, NULL);
    free(s);
    s = nested_text(100000, "{\"a\":", "1", "}");
    assert_parse_fails(s, -EFBIG, NULL);
    free(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

static void assert_number_text(double d, const char *want)
{
    char s[CER_JSON_NUMBER_MAX];
    cJSON *n = cJSON_CreateNumber(d);
    char *p = print_f(n, 0);
    size_t len = cer_json_number_text(s, d);

    ck_assert_uint_eq(len, strlen(s));
    if (isfinite(d))
        ck_assert_msg(strcmp(s, want) == 0, "%.17g: got %s want %s", d, s, want);
    ck_assert_msg(strcmp(p, isfinite(d) ? want : "null") == 0, "%.17g printed %s want %s", d, p, want);
    free(p);
    cJSON_Delete(n);
}

START_TEST(test_number_format_table)
{
    assert_number_text(0, "0");
    assert_number_text(-0.0, "0");
    assert_number_text(1, "1");
    assert_number_text(-1, "-1");
    assert_number_text(0.1, "0.1");
    assert_number_text(-0.1, "-0.1");
    assert_number_text(0.5, "0.5");
    assert_number_text(1.5, "1.5");
    assert_number_text(1e21, "1e+21");
    assert_number_text(-1e21, "-1e+21");
    assert_number_text(1e20, "100000000000000000000");
    assert_number_text(1e-7, "1e-7");
    assert_number_text(1.5e-7, "1.5e-7");
    assert_number_text(123456789012345680000.0, "123456789012345680000");
    assert_number_text(5e-324, "5e-324");
    assert_number_text(-5e-324, "-5e-324");
    assert_number_text(1.7976931348623157e308, "1.7976931348623157e+308");
    assert_number_text(9007199254740991.0, "9007199254740991");
    assert_number_text(-1765150000123.0, "-1765150000123");
    assert_number_text(9007199254740992.0, "9007199254740992");
    assert_number_text(9007199254740993.0, "9007199254740992");
    assert_number_text(18446744073709551616.0, "18446744073709552000");
    assert_number_text(0.000001, "0.000001");
    assert_number_text(1e-6, "0.000001");
    assert_number_text(1.2345e-6, "0.0000012345");
    assert_number_text(9.99e-7, "9.99e-7");
    assert_number_text(100, "100");
    assert_number_text(1e2, "100");
    assert_number_text(123.456, "123.456");
    assert_number_text(0.1 + 0.2, "0.30000000000000004");
    assert_number_text(1.0 / 3, "0.3333333333333333");
    assert_number_text(2.0 / 3, "0.6666666666666666");
    assert_number_text(1e300, "1e+300");
    assert_number_text(1e-300, "1e-300");
    assert_number_text(2.5e-3, "0.0025");
    assert_number_text(4294967296.5, "4294967296.5");
    assert_number_text(1e15, "1000000000000000");
    assert_number_text(1e16, "10000000000000000");
    assert_number_text(123e-20, "1.23e-18");
    assert_number_text(2.2250738585072014e-308, "2.2250738585072014e-308");
    assert_number_text(2.225073858507201e-308, "2.225073858507201e-308");
    assert_number_text(0x1p-1022, "2.2250738585072014e-308");
    assert_number_text(0x1p-1074, "5e-324");
    assert_number_text(0x1p1023, "8.98846567431158e+307");
    assert_number_text(NAN, "NaN");
    assert_number_text(INFINITY, "Infinity");
    assert_number_text(-INFINITY, "-Infinity");
}
END_TEST

/* Number::toString of every double in json-print.json, and each reads
 * back to the same bits. */
START_TEST(test_number_format_vectors)
{
    cJSON *v = load_vectors("json-print.json");
    const cJSON *e;
    size_t n = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "numbers")) {
        const char *bits = cJSON_GetArrayItem(e, 0)->valuestring;
        const char *want = cJSON_GetArrayItem(e, 1)->valuestring;
        double d = double_of(strtoull(bits, NULL, 16)), back;
        char s[CER_JSON_NUMBER_MAX];
        cJSON *j;

        cer_json_number_text(s, d);
        ck_assert_msg(strcmp(s, want) == 0, "%s: got %s, JavaScript %s", bits, s, want);
        j = parse(s);
        back = j->valuedouble;
        ck_assert_msg(bits_of(back) == bits_of(d) || (d == 0 && back == 0), "%s does not read back", s);
        cJSON_Delete(j);
        n++;
    }
    ck_assert_uint_gt(n, 4000);
    cJSON_Delete(v);
}
END_TEST

/* JSON.parse of tricky literals (rounding, subnormals, long digit strings,
 * huge exponents); an Infinity result must be refused. */
START_TEST(test_number_parse_vectors)
{
    cJSON *v = load_vectors("json-print.json");
    const cJSON *e;
    size_t n = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "parse_numbers")) {
        const char *lit = cJSON_GetArrayItem(e, 0)->valuestring;
        const cJSON *bits = cJSON_GetArrayItem(e, 1);

        if (cJSON_IsNull(bits)) {
            assert_parse_fails(lit, -EINVAL, "out of range");
        } else {
            cJSON *j = parse(lit);

            ck_assert_msg(cJSON_IsNumber(j), "%s", lit);
            ck_assert_msg(bits_of(j->valuedouble) == strtoull(bits->valuestring, NULL, 16),
                          "%s: got %016llx, JavaScript %s", lit,
                          (unsigned long long)bits_of(j->valuedouble), bits->valuestring);
            cJSON_Delete(j);
        }
        n++;
    }
    ck_assert_uint_ge(n, 50);
    cJSON_Delete(v);
}
END_TEST

START_TEST(test_number_parse_minus_zero)
{
    static const char *zeros[] = {"-0", "-0.0", "-0e0", "-0E+5", "-0.000e-99", "-1e-400"};

    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++) {
        for (unsigned flags = 0; flags <= CER_JSON_EXACT_INTS; flags++) {
            cJSON *j = parse_f(zeros[i], flags);

            ck_assert(cJSON_IsNumber(j));
            ck_assert(j->valuedouble == 0 && signbit(j->valuedouble));
            cJSON_Delete(j);
        }
    }
    assert_reprint("[-0,-0.0,0,0.0]", 0, "[0,0,0,0]");
}
END_TEST

START_TEST(test_number_long_literals)
{
    size_t len = 100000;
    char *s = malloc(len + 32);
    cJSON *j;

    ck_assert_ptr_nonnull(s);
    /* 0.000...0001 with 100000 zeros, times 1e100002 */
    memcpy(s, "0.", 2);
    memset(s + 2, '0', len);
    strcpy(s + 2 + len, "1e100002");
    j = parse(s);
    ck_assert(j->valuedouble == 10);
    cJSON_Delete(j);
    /* 1 followed by 100000 zeros: Infinity */
    s[0] = '1';
    memset(s + 1, '0', len);
    s[len + 1] = '\0';
    assert_parse_fails(s, -EINVAL, "out of range");
    /* with an exponent that brings it back */
    strcpy(s + len + 1, "e-99999");
    j = parse(s);
    ck_assert(j->valuedouble == 10);
    cJSON_Delete(j);
    free(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Exact integers                                                       */
/* ------------------------------------------------------------------ */

static void assert_exact(const char *text, int type, const char *raw)
{
    cJSON *j = parse_f(text, CER_JSON_EXACT_INTS);

    ck_assert_msg((j->type & 0xff) == type, "%s: type %d", text, j->type);
    if (raw)
        ck_assert_str_eq(j->valuestring, raw);
    cJSON_Delete(j);
}

START_TEST(test_exact_ints)
{
    cJSON *j;

    assert_exact("9007199254740991", cJSON_Number, NULL);
    assert_exact("-9007199254740991", cJSON_Number, NULL);
    assert_exact("0", cJSON_Number, NULL);
    assert_exact("9007199254740992", cJSON_Raw, "9007199254740992");
    assert_exact("-9007199254740992", cJSON_Raw, "-9007199254740992");
    assert_exact("9007199254740993", cJSON_Raw, "9007199254740993");
    assert_exact("10000000000000000", cJSON_Raw, "10000000000000000");
    assert_exact("18446744073709551615", cJSON_Raw, "18446744073709551615");
    assert_exact("-18446744073709551616", cJSON_Raw, "-18446744073709551616");
    assert_exact("-18446744073709551615", cJSON_Raw, "-18446744073709551615");
    /* a fraction or an exponent makes a double, however large */
    assert_exact("9007199254740993.0", cJSON_Number, NULL);
    assert_exact("9007199254740993e0", cJSON_Number, NULL);
    assert_exact("1e20", cJSON_Number, NULL);
    assert_exact("18446744073709551616.0", cJSON_Number, NULL);
    assert_exact("1.5", cJSON_Number, NULL);
    assert_parse_fails_n("18446744073709551616", 20, CER_JSON_EXACT_INTS, -EINVAL,
                         "integer 18446744073709551616 out of 64-bit range at line 1 column 1");
    assert_parse_fails_n("-18446744073709551617", 21, CER_JSON_EXACT_INTS, -EINVAL, "out of 64-bit range");
    assert_parse_fails_n("{\"n\":100000000000000000000}", 27, CER_JSON_EXACT_INTS, -EINVAL,
                         "integer 100000000000000000000 out of 64-bit range at line 1 column 6");
    assert_parse_fails_n("[99999999999999999999]", 22, CER_JSON_EXACT_INTS, -EINVAL, "out of 64-bit");
    /* without the flag these are doubles, as JSON.parse reads them */
    j = parse("18446744073709551616");
    ck_assert(j->valuedouble == 18446744073709551616.0);
    cJSON_Delete(j);
    j = parse("9007199254740993");
    ck_assert(cJSON_IsNumber(j) && j->valuedouble == 9007199254740992.0);
    cJSON_Delete(j);
    /* a raw integer prints verbatim */
    assert_reprint("{\"n\":9007199254740993,\"m\":[-18446744073709551616,18446744073709551615,1]}",
                   CER_JSON_EXACT_INTS, NULL);
    assert_reprint("{\"n\":9007199254740993}", 0, "{\"n\":9007199254740992}");
}
END_TEST

static void assert_int_roundtrip(bool neg, uint64_t n, int type, const char *text)
{
    cJSON *j = cer_json_int_new(neg, n);
    bool neg2;
    uint64_t n2;

    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(j->type & 0xff, type);
    if (type == cJSON_Raw) {
        ck_assert_str_eq(j->valuestring, text);
        ck_assert_int_eq(cer_json_int_get(&neg2, &n2, j), 0);
        ck_assert(neg2 == neg);
        ck_assert(n2 == n);
    } else {
        char *s = print_f(j, 0);

        ck_assert_str_eq(s, text);
        free(s);
        ck_assert_int_eq(cer_json_int_get(&neg2, &n2, j), -EINVAL);
    }
    cJSON_Delete(j);
}

START_TEST(test_int_helpers)
{
    static const char *bad[] = {"", "-", "01", "-0", "0", "+1", "1a", " 1", "1 ", "1.0", "1e3",
                                "18446744073709551616", "-18446744073709551617",
                                "99999999999999999999", "123456789012345678901234"};
    bool neg;
    uint64_t n;
    cJSON *j;

    assert_int_roundtrip(false, 0, cJSON_Number, "0");
    assert_int_roundtrip(true, 0, cJSON_Number, "-1");
    assert_int_roundtrip(false, 9007199254740991ULL, cJSON_Number, "9007199254740991");
    assert_int_roundtrip(true, 9007199254740990ULL, cJSON_Number, "-9007199254740991");
    assert_int_roundtrip(false, 9007199254740992ULL, cJSON_Raw, "9007199254740992");
    assert_int_roundtrip(true, 9007199254740991ULL, cJSON_Raw, "-9007199254740992");
    assert_int_roundtrip(false, 9007199254740993ULL, cJSON_Raw, "9007199254740993");
    assert_int_roundtrip(false, 10000000000000000000ULL, cJSON_Raw, "10000000000000000000");
    assert_int_roundtrip(false, UINT64_MAX, cJSON_Raw, "18446744073709551615");
    assert_int_roundtrip(true, UINT64_MAX - 1, cJSON_Raw, "-18446744073709551615");
    assert_int_roundtrip(true, UINT64_MAX, cJSON_Raw, "-18446744073709551616");

    j = parse_f("[9007199254740993,-18446744073709551616,18446744073709551615]", CER_JSON_EXACT_INTS);
    ck_assert_int_eq(cer_json_int_get(&neg, &n, cJSON_GetArrayItem(j, 0)), 0);
    ck_assert(!neg && n == 9007199254740993ULL);
    ck_assert_int_eq(cer_json_int_get(&neg, &n, cJSON_GetArrayItem(j, 1)), 0);
    ck_assert(neg && n == UINT64_MAX);
    ck_assert_int_eq(cer_json_int_get(&neg, &n, cJSON_GetArrayItem(j, 2)), 0);
    ck_assert(!neg && n == UINT64_MAX);
    cJSON_Delete(j);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = cJSON_CreateRaw(bad[i]);
        ck_assert_msg(cer_json_int_get(&neg, &n, j) == -EINVAL, "accepted raw \"%s\"", bad[i]);
        cJSON_Delete(j);
    }
    j = cJSON_CreateString("9007199254740993");
    ck_assert_int_eq(cer_json_int_get(&neg, &n, j), -EINVAL);
    cJSON_Delete(j);
    ck_assert_int_eq(cer_json_int_get(&neg, &n, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Strings                                                              */
/* ------------------------------------------------------------------ */

static void assert_string_hex(const char *text, const char *hex)
{
    cJSON *j = parse(text);
    char *h;

    ck_assert_msg(cJSON_IsString(j), "%s", text);
    h = tu_hex((const uint8_t *)j->valuestring, strlen(j->valuestring));
    ck_assert_msg(strcmp(h, hex) == 0, "%s: got %s want %s", text, h, hex);
    free(h);
    cJSON_Delete(j);
}

START_TEST(test_string_escapes)
{
    assert_string_hex("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "225c2f080c0a0d09");
    assert_string_hex("\"\\u0041\\u00e9\\u00E9\\u65e5\"", "41c3a9c3a9e697a5");
    assert_string_hex("\"\\u0000\"", "c080");
    assert_string_hex("\"a\\u0000b\\u0000\"", "61c08062c080");
    assert_string_hex("\"\\u0001\\u001f\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
                      "011f7fc280dfbfe0a080efbfbf");
    assert_string_hex("\"\\ud83d\\ude00\\uD83D\\uDE00\\udbff\\udfff\\ud800\\udc00\"",
                      "f09f9880f09f9880f48fbfbff0908080");
    assert_string_hex("\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf\x7f\"", "f09f9880f48fbfbfefbfbf7f");
    assert_string_hex("\"\xe2\x80\xa8\xe2\x80\xa9\"", "e280a8e280a9");
    /* printing: JSON.stringify escapes only these */
    assert_reprint("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001F\\u007f\\u00e9\\u2028\"", 0,
                   "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\x7f\xc3\xa9\xe2\x80\xa8\"");
    assert_reprint("\"</script>\"", 0, NULL);
    assert_reprint("{\"\\u0000\":\"\\u0000\",\"a\\u0000\":1,\"a\":2}", 0, NULL);
}
END_TEST

/* Lone surrogates and U+0000: the bytes JavaScript's UTF-8 encoders write
 * for the string JSON.parse returns (json-print.json "strings"). */
START_TEST(test_string_vectors)
{
    cJSON *v = load_vectors("json-print.json");
    const cJSON *e;
    size_t n = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "strings")) {
        const char *text = str_or_null(e, "text"), *want = str_or_null(e, "utf8_hex");
        cJSON *j = parse(text);
        char *h = string_hex(j->valuestring);

        ck_assert_msg(strcmp(h, want) == 0, "%s: got %s, JavaScript %s", text, h, want);
        free(h);
        cJSON_Delete(j);
        n++;
    }
    ck_assert_uint_ge(n, 10);
    cJSON_Delete(v);
}
END_TEST

START_TEST(test_string_lone_surrogates)
{
    assert_string_hex("\"\\ud800\"", "efbfbd");
    assert_string_hex("\"\\udfff\"", "efbfbd");
    assert_string_hex("\"\\ud800\\ud800\"", "efbfbdefbfbd");
    assert_string_hex("\"\\ud800x\"", "efbfbd78");
    assert_string_hex("\"\\ud800\\\\udc00\"", "efbfbd5c7564633030");  /* \\ is not an escape start */
    assert_string_hex("\"\\ud800\\n\"", "efbfbd0a");
    assert_string_hex("\"\\ud800\\u0000\"", "efbfbdc080");
    assert_string_hex("\"\\udc00\\ud800\"", "efbfbdefbfbd");
    /* they print as U+FFFD itself (JSON.stringify of the JS string would
     * escape the lone surrogate; our strings never hold one) */
    assert_reprint("[\"\\ud800\",\"\\udead\"]", 0, "[\"\xef\xbf\xbd\",\"\xef\xbf\xbd\"]");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Repeated keys                                                        */
/* ------------------------------------------------------------------ */

START_TEST(test_duplicate_keys)
{
    char *s;
    size_t len;

    assert_parse_fails("{\"a\":1,\"a\":2}", -EINVAL, "duplicate key \"a\" at line 1 column 8");
    assert_parse_fails("{\"a\":1,\"a\":1}", -EINVAL, "duplicate key \"a\"");
    assert_parse_fails("{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}", -EINVAL,
                       "duplicate key \"a\" at line 4 column 3");
    assert_parse_fails("{\"\\u0061\":1,\"a\":2}", -EINVAL, "duplicate key \"a\"");
    assert_parse_fails("{\"\xc3\xa9\":1,\"\\u00e9\":2}", -EINVAL, "duplicate key \"\xc3\xa9\"");
    assert_parse_fails("{\"\":1,\"\":2}", -EINVAL, "duplicate key \"\"");
    assert_parse_fails("{\"\\u0000\\\"\\n\":1,\"\\u0000\\\"\\n\":2}", -EINVAL,
                       "duplicate key \"\\u0000\\\"\\u000a\"");
    assert_parse_fails("[{\"x\":{\"a\":1,\"b\":{\"a\":1},\"a\":{}}}]", -EINVAL,
                       "duplicate key \"a\" at line 1 column 26");
    assert_parse_fails("{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}", -EINVAL, "duplicate key");
    assert_parse_fails("{\"\\ud800\":1,\"\\udc00\":2}", -EINVAL, "duplicate key");  /* both U+FFFD */
    /* not repeats: different bytes */
    assert_reprint("{\"a\":1,\"A\":2,\"a\\u0000\":3,\"\\u0000a\":4,\"a \":5,\"b\":{\"a\":6}}", 0, NULL);
    /* a long key is shortened in the message */
    {
        const char *k = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";  /* 52 */
        char text[256];

        snprintf(text, sizeof text, "{\"%s%s\":1,\"%s%s\":2}", k, k, k, k);
        assert_parse_fails(text, -EINVAL, "aaaa...\" at line 1 column 111");
    }

    /* large objects (hash set): repeats anywhere are found */
    for (size_t dup_at = 0; dup_at < 3000; dup_at += 997) {
        cer_buf b = CER_BUF_INIT;
        cJSON *j = NULL;
        char key[32];

        cer_buf_append(&b, "{", 1);
        for (int i = 0; i < 3000; i++) {
            snprintf(key, sizeof key, "%s\"k%d\":%d", i ? "," : "", i, i);
            cer_buf_append(&b, key, strlen(key));
        }
        cer_buf_append(&b, "}", 1);
        ck_assert_int_eq(cer_json_parse(&j, (const char *)b.data, b.len, 0), 0);
        ck_assert_int_eq(cJSON_GetArraySize(j), 3000);
        cJSON_Delete(j);
        b.len--;  /* reopen the object */
        snprintf(key, sizeof key, ",\"k%zu\":0}", dup_at);
        cer_buf_append(&b, key, strlen(key));
        snprintf(key, sizeof key, "duplicate key \"k%zu\"", dup_at);
        assert_parse_fails_n((const char *)b.data, b.len, 0, -EINVAL, key);
        cer_buf_free(&b);
    }
    /* and at every position of small-to-medium objects */
    for (int n = 1; n < 40; n++) {
        for (int d = 0; d < n; d++) {
            cer_buf b = CER_BUF_INIT;
            char key[32];

            cer_buf_append(&b, "{", 1);
            for (int i = 0; i < n; i++) {
                snprintf(key, sizeof key, "\"%d\":0,", i);
                cer_buf_append(&b, key, strlen(key));
            }
            snprintf(key, sizeof key, "\"%d\":1}", d);
            cer_buf_append(&b, key, strlen(key));
            assert_parse_fails_n((const char *)b.data, b.len, 0, -EINVAL, "duplicate key");
            cer_buf_free(&b);
        }
    }
    s = (char *)tu_load_file("js-cases.json", &len);  /* large real object: no false repeats */
    {
        cJSON *j = NULL;

        ck_assert_int_eq(cer_json_parse(&j, s, len, 0), 0);
        cJSON_Delete(j);
    }
    free(s);
}
END_TEST

/* Keys crafted so that the parser's old unkeyed hash (FNV-1a) put them all
 * in one bucket (the issue's 40,000 keys: 2.4 s, ~n^2/2 probes): repeats
 * are now looked up in the shared map, whose probes are counted. */
#define OLD_BASIS 0xcbf29ce484222325ull
#define CRAFTED 40000

START_TEST(test_duplicate_keys_crafted)
{
    cer_buf b = CER_BUF_INIT;
    cJSON *j = NULL;
    size_t len;
    char *k = tu_fnv_colliding_keys(CRAFTED, OLD_BASIS, 17, &len), msg[64];
    uint64_t low = tu_fnv1a(OLD_BASIS, k) & 0x1ffff, at;

    ck_assert_int_eq(cer_buf_append(&b, "{", 1), 0);
    for (size_t i = 0; i < CRAFTED; i++) {
        ck_assert_uint_eq(tu_fnv1a(OLD_BASIS, k + i * (len + 1)) & 0x1ffff, low);
        ck_assert_int_eq(cer_buf_append(&b, i ? ",\"" : "\"", i ? 2 : 1), 0);
        ck_assert_int_eq(cer_buf_append(&b, k + i * (len + 1), len), 0);
        ck_assert_int_eq(cer_buf_append(&b, "\":0", 3), 0);
    }
    ck_assert_int_eq(cer_buf_append(&b, "}", 1), 0);
    at = cer_strmap_probes();
    ck_assert_int_eq(cer_json_parse(&j, (const char *)b.data, b.len, 0), 0);
    ck_assert_uint_lt(cer_strmap_probes() - at, 6 * CRAFTED);  /* ~5.5 n; FNV-1a: 8e8 */
    ck_assert_int_eq(cJSON_GetArraySize(j), CRAFTED);
    cJSON_Delete(j);
    /* a repeat among them is still found, as cheaply */
    b.data[--b.len] = '\0';
    ck_assert_int_eq(cer_buf_append(&b, ",\"", 2), 0);
    ck_assert_int_eq(cer_buf_append(&b, k + 12345 * (len + 1), len), 0);
    ck_assert_int_eq(cer_buf_append(&b, "\":1}", 4), 0);
    snprintf(msg, sizeof msg, "duplicate key \"%s\"", k + 12345 * (len + 1));
    at = cer_strmap_probes();
    assert_parse_fails_n((const char *)b.data, b.len, 0, -EINVAL, msg);
    ck_assert_uint_lt(cer_strmap_probes() - at, 6 * CRAFTED);
    cer_buf_free(&b);
    free(k);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Error positions                                                      */
/* ------------------------------------------------------------------ */

START_TEST(test_error_positions)
{
    assert_parse_fails("[1,\n2,\n x]", -EINVAL, "unexpected 'x', expected a value at line 3 column 2");
    assert_parse_fails("[\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\", x]", -EINVAL, "at line 1 column 9");
    assert_parse_fails("\r\n\r\n  @", -EINVAL, "unexpected '@', expected a value at line 3 column 3");
    assert_parse_fails("{\"a\":\n\"\\q\"}", -EINVAL, "invalid escape '\\q' in string at line 2 column 2");
    assert_parse_fails("{\"a\":[1,2,\n\n3.]}", -EINVAL, "expected a digit after '.' at line 3 column 3");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

/* Every entry of json-print.json: our compact and pretty output equal
 * JSON.stringify(JSON.parse(text)) and JSON.stringify(..., null, 2), and
 * what we print parses back to an equal value. */
START_TEST(test_print_vectors)
{
    cJSON *v = load_vectors("json-print.json"), *cases = load_vectors("js-cases.json");
    const cJSON *e;
    size_t n = 0, pretty = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "print")) {
        const char *name = str_or_null(e, "name"), *text = str_or_null(e, "text");
        const char *compact = str_or_null(e, "compact"), *want_pretty = str_or_null(e, "pretty");
        cJSON *j, *back;
        char *s;

        if (!text) {  /* "<case name>/<field>" of js-cases.json */
            const char *slash = strrchr(name, '/');
            const cJSON *c;

            cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases")) {
                const char *cn = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;

                if (strlen(cn) == (size_t)(slash - name) && strncmp(cn, name, strlen(cn)) == 0)
                    text = str_or_null(c, slash + 1);
            }
            ck_assert_msg(text != NULL, "%s not in js-cases.json", name);
        }
        j = parse(text);
        s = print_f(j, 0);
        ck_assert_msg(strcmp(s, compact ? compact : text) == 0, "%s:\n  ours %s\n  js   %s", name, s,
                      compact ? compact : text);
        back = parse(s);
        ck_assert_msg(cer_json_equal(j, back), "%s: printed text reads back differently", name);
        cJSON_Delete(back);
        free(s);
        if (want_pretty) {
            s = print_f(j, CER_JSON_PRETTY);
            ck_assert_msg(strcmp(s, want_pretty) == 0, "%s pretty:\n%s\n  js:\n%s", name, s, want_pretty);
            back = parse(s);
            ck_assert(cer_json_equal(j, back));
            cJSON_Delete(back);
            free(s);
            pretty++;
        }
        cJSON_Delete(j);
        n++;
    }
    ck_assert_uint_ge(n, 70);
    ck_assert_uint_ge(pretty, 69);
    cJSON_Delete(v);
    cJSON_Delete(cases);
}
END_TEST

static void assert_pretty(const char *text, const char *want)
{
    cJSON *j = parse(text);
    char *s = print_f(j, CER_JSON_PRETTY);

    ck_assert_msg(strcmp(s, want) == 0, "%s pretty:\n%s\nwant:\n%s", text, s, want);
    free(s);
    cJSON_Delete(j);
}

START_TEST(test_print_pretty)
{
    assert_pretty("1", "1");
    assert_pretty("\"s\"", "\"s\"");
    assert_pretty("{}", "{}");
    assert_pretty("[]", "[]");
    assert_pretty("[1]", "[\n  1\n]");
    assert_pretty("{\"a\":{}}", "{\n  \"a\": {}\n}");
    assert_pretty("{\"a\":[],\"b\":[1,[2,{\"c\":null}]]}",
                  "{\n  \"a\": [],\n  \"b\": [\n    1,\n    [\n      2,\n      {\n        \"c\": null\n"
                  "      }\n    ]\n  ]\n}");
    assert_pretty("{\"b\":1,\"0\":2}", "{\n  \"0\": 2,\n  \"b\": 1\n}");
}
END_TEST

START_TEST(test_print_key_order)
{
    /* array-index keys first, ascending; then the rest as inserted */
    assert_reprint("{\"b\":1,\"10\":2,\"2\":3,\"0\":4,\"4294967294\":5,\"4294967295\":6,\"01\":7,\"-1\":8,"
                   "\"1.5\":9,\"a\":10}",
                   0,
                   "{\"0\":4,\"2\":3,\"10\":2,\"4294967294\":5,\"b\":1,\"4294967295\":6,\"01\":7,\"-1\":8,"
                   "\"1.5\":9,\"a\":10}");
    assert_reprint("{\"1\":1,\"2\":2,\"a\":3}", 0, NULL);
    assert_reprint("{\"2\":1,\"1\":2}", 0, "{\"1\":2,\"2\":1}");
    assert_reprint("{\"a\":1,\"1\":2}", 0, "{\"1\":2,\"a\":1}");
    assert_reprint("[{\"z\":{\"9\":1,\"1\":2}}]", 0, "[{\"z\":{\"1\":2,\"9\":1}}]");
    assert_reprint("{\"\":1,\"0\":2,\" 1\":3,\"1 \":4,\"00\":5,\"12345678901\":6}", 0,
                   "{\"0\":2,\"\":1,\" 1\":3,\"1 \":4,\"00\":5,\"12345678901\":6}");
}
END_TEST

START_TEST(test_print_errors)
{
    cJSON *j = cJSON_CreateArray(), *x;
    char *s = (char *)1;

    /* cJSON_Invalid */
    x = cJSON_CreateNull();
    x->type = cJSON_Invalid;
    cJSON_AddItemToArray(j, x);
    ck_assert_int_eq(cer_json_print(&s, j, 0), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "type 0x0"));
    cJSON_Delete(j);

    /* invalid UTF-8 in a value or a key */
    x = cJSON_CreateString("a\xff");
    ck_assert_int_eq(cer_json_print(&s, x, 0), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "not valid UTF-8 (byte 0xFF at offset 1)"));
    cJSON_Delete(x);
    static const char *bad_utf8[] = {"\xc0", "\xc0\x81", "\xc1\x80", "\xed\xa0\x80", "\xe2\x82",
                                     "\xf4\x90\x80\x80", "\x80", "\xc3\xa9\xc3"};
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        x = cJSON_CreateString(bad_utf8[i]);
        ck_assert_int_eq(cer_json_print(&s, x, 0), -EINVAL);
        cJSON_Delete(x);
    }
    j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "\xe9", cJSON_CreateNull());
    ck_assert_int_eq(cer_json_print(&s, j, CER_JSON_PRETTY), -EINVAL);
    cJSON_Delete(j);

    /* string and raw items without text, a member without a key */
    x = cJSON_CreateString("x");
    cJSON_free(x->valuestring);
    x->valuestring = NULL;
    ck_assert_int_eq(cer_json_print(&s, x, 0), -EINVAL);
    cJSON_Delete(x);
    x = cJSON_CreateRaw("");
    ck_assert_int_eq(cer_json_print(&s, x, 0), -EINVAL);
    cJSON_Delete(x);
    j = cJSON_CreateObject();
    x = cJSON_CreateNull();
    cJSON_AddItemToObject(j, "k", x);
    cJSON_free(x->string);
    x->string = NULL;
    ck_assert_int_eq(cer_json_print(&s, j, 0), -EINVAL);
    cJSON_Delete(j);

    /* API misuse */
    x = cJSON_CreateNull();
    ck_assert_int_eq(cer_json_print(NULL, x, 0), -EINVAL);
    ck_assert_int_eq(cer_json_print(&s, NULL, 0), -EINVAL);
    ck_assert_int_eq(cer_json_print(&s, x, 0x80), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(cer_json_print(&s, x, CER_JSON_EXACT_INTS), 0);  /* ignored */
    ck_assert_str_eq(s, "null");
    free(s);
    cJSON_Delete(x);
}
END_TEST

START_TEST(test_print_special_numbers)
{
    cJSON *j = cJSON_CreateArray();
    char *s;

    cJSON_AddItemToArray(j, cJSON_CreateNumber(NAN));
    cJSON_AddItemToArray(j, cJSON_CreateNumber(INFINITY));
    cJSON_AddItemToArray(j, cJSON_CreateNumber(-INFINITY));
    cJSON_AddItemToArray(j, cJSON_CreateNumber(-0.0));
    cJSON_AddItemToArray(j, cJSON_CreateRaw("123456789012345678901"));  /* verbatim */
    s = print_f(j, 0);
    ck_assert_str_eq(s, "[null,null,null,0,123456789012345678901]");
    free(s);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_print_depth)
{
    cJSON *root = cJSON_CreateArray(), *cur = root;
    char *s = NULL;

    for (int i = 1; i < CER_DAGCBOR_DEPTH_MAX; i++) {
        cJSON *a = cJSON_CreateArray();

        cJSON_AddItemToArray(cur, a);
        cur = a;
    }
    ck_assert_int_eq(cer_json_print(&s, root, 0), 0);
    ck_assert_uint_eq(strlen(s), 2 * CER_DAGCBOR_DEPTH_MAX);
    free(s);
    cJSON_AddItemToArray(cur, cJSON_CreateObject());
    ck_assert_int_eq(cer_json_print(&s, root, CER_JSON_PRETTY), -EFBIG);
    ck_assert_ptr_null(s);
    cJSON_Delete(root);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The js-cases.json vectors                                            */
/* ------------------------------------------------------------------ */

/* "dag" cases: dag_json parses with CER_JSON_EXACT_INTS unless it fails
 * for a reason of this layer (a repeated key, an integer beyond 64 bits).
 * The other failures (bad CIDs, "/" with siblings) are the DAG-CBOR
 * layer's: the text itself is fine. The canonical text prints back to
 * itself and equals the input as a value. */
START_TEST(test_js_dag_cases)
{
    static const struct {
        const char *name;
        const char *msg;
    } ours[] = {
        {"dag/dup-keys", "duplicate key \"a\""},
        {"dag/int-over-uint64", "out of 64-bit range"},
    };
    cJSON *cases = load_vectors("js-cases.json");
    const cJSON *c;
    size_t n = 0, failed = 0;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases")) {
        const char *name = str_or_null(c, "name"), *text, *canon, *msg = NULL;
        bool ok;
        cJSON *j = NULL, *k;
        char *s;

        if (strcmp(str_or_null(c, "kind"), "dag") != 0)
            continue;
        n++;
        text = str_or_null(c, "dag_json");
        ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ok"));
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
            if (strcmp(name, ours[i].name) == 0)
                msg = ours[i].msg;
        if (msg) {
            ck_assert_msg(!ok, "%s", name);
            assert_parse_fails_n(text, strlen(text), CER_JSON_EXACT_INTS, -EINVAL, msg);
            failed++;
            continue;
        }
        ck_assert_msg(cer_json_parse(&j, text, strlen(text), CER_JSON_EXACT_INTS) == 0, "%s: %s", name,
                      cer_errmsg());
        assert_links(j);
        if (ok) {
            canon = str_or_null(cJSON_GetObjectItemCaseSensitive(c, "expect"), "dag_json_canonical");
            k = parse_f(canon, CER_JSON_EXACT_INTS);
            ck_assert_msg(cer_json_equal(j, k), "%s: input and canonical differ as values", name);
            s = print_f(k, 0);
            ck_assert_msg(strcmp(s, canon) == 0, "%s:\n  ours %s\n  js   %s", name, s, canon);
            free(s);
            cJSON_Delete(k);
        }
        cJSON_Delete(j);
    }
    ck_assert_uint_eq(n, 20);
    ck_assert_uint_eq(failed, 2);
    cJSON_Delete(cases);
}
END_TEST

/* The exact integers the dag cases rely on. */
START_TEST(test_js_dag_numbers)
{
    cJSON *j = parse_f("{\"a\":1,\"b\":-1,\"c\":1.5,\"d\":1.0,\"e\":1e2,\"f\":-0,\"g\":-0.0,\"h\":0.1,\"i\":1e300,"
                       "\"n\":9007199254740993,\"u\":18446744073709551615,\"m\":-18446744073709551616}",
                       CER_JSON_EXACT_INTS);
    char *s = print_f(j, 0);

    ck_assert_str_eq(s, "{\"a\":1,\"b\":-1,\"c\":1.5,\"d\":1,\"e\":100,\"f\":0,\"g\":0,\"h\":0.1,\"i\":1e+300,"
                        "\"n\":9007199254740993,\"u\":18446744073709551615,\"m\":-18446744073709551616}");
    ck_assert(signbit(cJSON_GetObjectItemCaseSensitive(j, "f")->valuedouble));
    ck_assert(cJSON_IsRaw(cJSON_GetObjectItemCaseSensitive(j, "n")));
    free(s);
    cJSON_Delete(j);
}
END_TEST

/* "genesis" (and "update") cases: each *_json text parses without flags
 * to a value equal to the JSON.stringify-normalised value beside it, and
 * prints back (compact) exactly as JSON.stringify does; json-print.json
 * holds those outputs and test_print_vectors compares them all. */
START_TEST(test_js_content_cases)
{
    static const char *fields[][2] = {
        {"content_json", "content"}, {"old_json", "old"}, {"new_json", "new"}, {"patch_json", "patch"}};
    cJSON *cases = load_vectors("js-cases.json");
    const cJSON *c;
    size_t n = 0;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases")) {
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, fields[f][0]);
            const cJSON *want = cJSON_GetObjectItemCaseSensitive(c, fields[f][1]);
            cJSON *j;
            char *s;

            if (!cJSON_IsString(t))
                continue;
            j = parse(t->valuestring);
            ck_assert_msg(cer_json_equal(j, want), "%s %s differs from %s", str_or_null(c, "name"),
                          fields[f][0], fields[f][1]);
            s = print_f(j, 0);
            cJSON_Delete(j);
            j = parse(s);  /* printing is stable */
            ck_assert(cer_json_equal(j, want));
            cJSON_Delete(j);
            free(s);
            n++;
        }
    }
    ck_assert_uint_ge(n, 40);
    cJSON_Delete(cases);
}
END_TEST

START_TEST(test_js_special_strings)
{
    cJSON *cases = load_vectors("js-cases.json");
    const cJSON *c, *content = NULL;
    cJSON *j;
    char *s;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases"))
        if (strcmp(str_or_null(c, "name"), "genesis/special-strings") == 0)
            content = c;
    ck_assert_ptr_nonnull(content);
    j = parse(str_or_null(content, "content_json"));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "controls")->valuestring,
                     "\xc0\x80\x01\b\t\n\f\r\x1f");
    s = print_f(cJSON_GetObjectItemCaseSensitive(j, "controls"), 0);
    ck_assert_str_eq(s, "\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\"");
    free(s);
    cJSON_Delete(j);
    cJSON_Delete(cases);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Equality                                                             */
/* ------------------------------------------------------------------ */

static void assert_equal(const char *a, const char *b, bool want)
{
    cJSON *x = parse_f(a, CER_JSON_EXACT_INTS), *y = parse_f(b, CER_JSON_EXACT_INTS);

    ck_assert_msg(cer_json_equal(x, y) == want, "%s vs %s: want %d", a, b, want);
    ck_assert_msg(cer_json_equal(y, x) == want, "%s vs %s: want %d", b, a, want);
    ck_assert(cer_json_equal(x, x));
    cJSON_Delete(x);
    cJSON_Delete(y);
}

START_TEST(test_equal)
{
    cJSON *a, *b;

    assert_equal("null", "null", true);
    assert_equal("true", "true", true);
    assert_equal("true", "false", false);
    assert_equal("null", "false", false);
    assert_equal("0", "-0", true);
    assert_equal("1", "1.0", true);
    assert_equal("100", "1e2", true);
    assert_equal("0.1", "0.10000000000000001", true);  /* the same double */
    assert_equal("1", "1.0000000000000002", false);    /* cJSON_Compare says equal */
    assert_equal("1e300", "1.0000000000000001e300", true);
    assert_equal("1e300", "1.0000000000000002e300", false);
    assert_equal("\"a\"", "\"a\"", true);
    assert_equal("\"a\"", "\"A\"", false);
    assert_equal("\"a\\u0000\"", "\"a\"", false);
    assert_equal("\"1\"", "1", false);
    assert_equal("9007199254740993", "9007199254740993", true);
    assert_equal("9007199254740993", "9007199254740992", false);
    assert_equal("9007199254740992", "9007199254740992.0", false);  /* raw vs double */
    assert_equal("[]", "{}", false);
    assert_equal("[]", "[]", true);
    assert_equal("[1,2]", "[2,1]", false);
    assert_equal("[1,2]", "[1,2,3]", false);
    assert_equal("[1,[2,{\"a\":[]}]]", "[1,[2,{\"a\":[]}]]", true);
    assert_equal("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", true);
    assert_equal("{\"a\":1,\"b\":2}", "{\"a\":1}", false);
    assert_equal("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}", false);
    assert_equal("{\"a\":1}", "{\"a\":2}", false);
    assert_equal("{\"a\":{\"x\":[1,{\"y\":-0}]}}", "{\"a\":{\"x\":[1,{\"y\":0}]}}", true);
    assert_equal("{\"a\":null}", "{}", false);

    /* large objects (sorted comparison), shuffled member order */
    {
        cer_buf x = CER_BUF_INIT, y = CER_BUF_INIT, z = CER_BUF_INIT;
        char m[48];

        for (int i = 0; i < 200; i++) {
            snprintf(m, sizeof m, "%s\"k%d\":[%d]", i ? "," : "{", i, i);
            cer_buf_puts(&x, m);
            snprintf(m, sizeof m, "%s\"k%d\":[%d]", i ? "," : "{", 199 - i, 199 - i);
            cer_buf_puts(&y, m);
            snprintf(m, sizeof m, "%s\"k%d\":[%d]", i ? "," : "{", 199 - i, i == 100 ? 0 : 199 - i);
            cer_buf_puts(&z, m);
        }
        cer_buf_puts(&x, "}");
        cer_buf_puts(&y, "}");
        cer_buf_puts(&z, "}");
        assert_equal((const char *)x.data, (const char *)y.data, true);
        assert_equal((const char *)x.data, (const char *)z.data, false);
        cer_buf_free(&x);
        cer_buf_free(&y);
        cer_buf_free(&z);
    }

    /* NULL, NaN, items without values */
    ck_assert(cer_json_equal(NULL, NULL));
    a = cJSON_CreateNumber(NAN);
    ck_assert(!cer_json_equal(a, NULL));
    ck_assert(!cer_json_equal(a, a));
    cJSON_Delete(a);
    a = cJSON_CreateRaw("5");
    b = cJSON_CreateNumber(5);
    ck_assert(!cer_json_equal(a, b));
    cJSON_Delete(a);
    cJSON_Delete(b);
    /* cJSON_Compare is approximate, the reason cer_json_equal exists */
    a = cJSON_CreateNumber(1);
    b = cJSON_CreateNumber(1.0000000000000002);
    ck_assert(cJSON_Compare(a, b, 1));
    ck_assert(!cer_json_equal(a, b));
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Round trips and size                                                 */
/* ------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dULL;
}

static void random_string(rng *r, cer_buf *b)
{
    static const uint32_t picks[] = {0, 1, 0x1f, '"', '\\', '/', 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x2028,
                                     0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff};
    int n = (int)(rng_next(r) % 8);

    cer_buf_putc(b, '"');
    for (int i = 0; i < n; i++) {
        uint64_t k = rng_next(r) % 4;
        uint32_t cp;
        char e[16];

        if (k == 0) {
            cer_buf_putc(b, (uint8_t)('a' + rng_next(r) % 26));
            continue;
        }
        cp = picks[rng_next(r) % (sizeof picks / sizeof picks[0])];
        if (k == 1 || cp < 0x20 || cp == '"' || cp == '\\') {  /* escaped */
            if (cp >= 0x10000)
                snprintf(e, sizeof e, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
                         0xdc00 + ((cp - 0x10000) & 0x3ff));
            else
                snprintf(e, sizeof e, "\\u%04X", cp);
            cer_buf_puts(b, e);
        } else {  /* raw UTF-8 */
            uint8_t u[4];
            size_t len;

            if (cp < 0x80) {
                u[0] = (uint8_t)cp;
                len = 1;
            } else if (cp < 0x800) {
                u[0] = (uint8_t)(0xc0 | cp >> 6);
                u[1] = (uint8_t)(0x80 | (cp & 0x3f));
                len = 2;
            } else if (cp < 0x10000) {
                u[0] = (uint8_t)(0xe0 | cp >> 12);
                u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
                u[2] = (uint8_t)(0x80 | (cp & 0x3f));
                len = 3;
            } else {
                u[0] = (uint8_t)(0xf0 | cp >> 18);
                u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
                u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
                u[3] = (uint8_t)(0x80 | (cp & 0x3f));
                len = 4;
            }
            cer_buf_append(b, u, len);
        }
    }
    cer_buf_putc(b, '"');
}

static void random_value(rng *r, cer_buf *b, int depth)
{
    uint64_t k = rng_next(r) % (depth > 5 ? 6 : 9);
    char s[48];

    switch (k) {
    case 0: cer_buf_puts(b, "null"); break;
    case 1: cer_buf_puts(b, rng_next(r) & 1 ? "true" : "false"); break;
    case 2: {
        double d;

        do
            d = double_of(rng_next(r));
        while (!isfinite(d));
        snprintf(s, sizeof s, "%.17g", d);
        cer_buf_puts(b, s);
        break;
    }
    case 3:
        snprintf(s, sizeof s, "%lld", (long long)(rng_next(r) % 2000000) - 1000000);
        cer_buf_puts(b, s);
        break;
    case 4:
    case 5:
        random_string(r, b);
        break;
    case 6:
    case 7: {
        int n = (int)(rng_next(r) % 5);

        cer_buf_putc(b, '[');
        for (int i = 0; i < n; i++) {
            if (i)
                cer_buf_putc(b, ',');
            random_value(r, b, depth + 1);
        }
        cer_buf_putc(b, ']');
        break;
    }
    default: {
        int n = (int)(rng_next(r) % 12);

        cer_buf_putc(b, '{');
        for (int i = 0; i < n; i++) {
            /* distinct keys: an index or a prefixed counter, plus noise */
            if (rng_next(r) % 3 == 0)
                snprintf(s, sizeof s, "%s\"%d\":", i ? "," : "", (int)(rng_next(r) % 7) * 20 + i);
            else
                snprintf(s, sizeof s, "%s\"k%d\\u0000\\u00e9\":", i ? "," : "", i);
            cer_buf_puts(b, s);
            random_value(r, b, depth + 1);
        }
        cer_buf_putc(b, '}');
    }
    }
}

START_TEST(test_roundtrip_random)
{
    rng r = {0x9e3779b97f4a7c15ULL};

    for (int i = 0; i < 2000; i++) {
        cer_buf b = CER_BUF_INIT;
        cJSON *j = NULL, *k, *p;
        char *s, *t, *u;

        random_value(&r, &b, 0);
        ck_assert_msg(cer_json_parse(&j, (const char *)b.data, b.len, 0) == 0, "%s: %s", b.data,
                      cer_errmsg());
        assert_links(j);
        s = print_f(j, 0);
        k = parse(s);
        ck_assert_msg(cer_json_equal(j, k), "round trip of %s", b.data);
        t = print_f(k, 0);
        ck_assert_str_eq(s, t);  /* printing is a fixed point */
        u = print_f(j, CER_JSON_PRETTY);
        p = parse(u);
        ck_assert(cer_json_equal(j, p));
        free(s);
        free(t);
        free(u);
        cJSON_Delete(j);
        cJSON_Delete(k);
        cJSON_Delete(p);
        cer_buf_free(&b);
    }
}
END_TEST

/* Large arrays and objects are built in linear time (a quadratic parser
 * would take minutes here). */
START_TEST(test_large)
{
    const int n = 200000;
    cer_buf b = CER_BUF_INIT;
    cJSON *j = NULL;
    char m[32], *s;

    cer_buf_putc(&b, '[');
    for (int i = 0; i < n; i++) {
        snprintf(m, sizeof m, "%s%d", i ? "," : "", i);
        cer_buf_puts(&b, m);
    }
    cer_buf_putc(&b, ']');
    ck_assert_int_eq(cer_json_parse(&j, (const char *)b.data, b.len, 0), 0);
    ck_assert_int_eq(cJSON_GetArraySize(j), n);
    ck_assert(j->child->prev->valuedouble == n - 1);
    s = print_f(j, 0);
    ck_assert_str_eq(s, (const char *)b.data);
    free(s);
    cJSON_Delete(j);
    cer_buf_free(&b);

    cer_buf_putc(&b, '{');
    for (int i = 0; i < n; i++) {
        snprintf(m, sizeof m, "%s\"k%d\":%d", i ? "," : "", i, i);
        cer_buf_puts(&b, m);
    }
    cer_buf_putc(&b, '}');
    ck_assert_int_eq(cer_json_parse(&j, (const char *)b.data, b.len, 0), 0);
    ck_assert_int_eq(cJSON_GetArraySize(j), n);
    s = print_f(j, 0);
    ck_assert_str_eq(s, (const char *)b.data);
    {
        cJSON *k = parse(s);

        ck_assert(cer_json_equal(j, k));
        cJSON_Delete(k);
    }
    free(s);
    cJSON_Delete(j);
    cer_buf_free(&b);

    /* all keys array indices in reverse: the printer sorts them */
    cer_buf_putc(&b, '{');
    for (int i = n - 1; i >= 0; i--) {
        snprintf(m, sizeof m, "%s\"%d\":0", i != n - 1 ? "," : "", i);
        cer_buf_puts(&b, m);
    }
    cer_buf_putc(&b, '}');
    ck_assert_int_eq(cer_json_parse(&j, (const char *)b.data, b.len, 0), 0);
    s = print_f(j, 0);
    ck_assert(strncmp(s, "{\"0\":0,\"1\":0,\"2\":0,", 19) == 0);
    free(s);
    cJSON_Delete(j);
    cer_buf_free(&b);
}
END_TEST

/* CER_JSON_DAGJSON: keys sorted bytewise (at every level), integral
 * numbers beyond 2^53-1 (which only CBOR floats give) with ".0", exact
 * integers verbatim; compared with @ipld/dag-json output in js-cases.json. */
START_TEST(test_print_dagjson)
{
    static const struct {
        const char *in, *want;
        unsigned flags;
    } cases[] = {
        {"{\"z\":1,\"\u00e9\":2,\"ab\":3,\"\u65e5\":4,\"abc\":5,\"10\":6,\"9\":7}",
         "{\"10\":6,\"9\":7,\"ab\":3,\"abc\":5,\"z\":1,\"\u00e9\":2,\"\u65e5\":4}", 0},
        {"[{\"b\":[{\"d\":1,\"c\":2}],\"a\":null}]", "[{\"a\":null,\"b\":[{\"c\":2,\"d\":1}]}]", 0},
        {"{\"a\":1,\"\\u0000\":2,\"/\":3}", "{\"\\u0000\":2,\"/\":3,\"a\":1}", 0},
        {"[9007199254740992,-9007199254740992,9007199254740991,1e21,1.5,0]",
         "[9007199254740992.0,-9007199254740992.0,9007199254740991,1e+21,1.5,0]", 0},
        {"[18446744073709551615,9007199254740992]", "[18446744073709551615,9007199254740992]",
         CER_JSON_EXACT_INTS},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *j = parse_f(cases[i].in, cases[i].flags);
        char *got = print_f(j, CER_JSON_DAGJSON);
        ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s: got %s", cases[i].in, got);
        free(got);
        cJSON_Delete(j);
    }
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *parse_tc = tcase_create("parse");
    TCase *num = tcase_create("numbers");
    TCase *str = tcase_create("strings");
    TCase *prn = tcase_create("print");
    TCase *js = tcase_create("js-vectors");
    TCase *eq = tcase_create("equal");
    TCase *big = tcase_create("roundtrip-and-size");

    tcase_add_test(parse_tc, test_parse_scalars);
    tcase_add_test(parse_tc, test_parse_structure);
    tcase_add_test(parse_tc, test_parse_whitespace);
    tcase_add_test(parse_tc, test_parse_api);
    tcase_add_test(parse_tc, test_parse_malformed);
    tcase_add_test(parse_tc, test_parse_bad_utf8);
    tcase_add_test(parse_tc, test_parse_truncations);
    tcase_add_test(parse_tc, test_parse_depth);
    tcase_add_test(parse_tc, test_duplicate_keys);
    tcase_add_test(parse_tc, test_duplicate_keys_crafted);
    tcase_add_test(parse_tc, test_error_positions);
    tcase_set_timeout(parse_tc, 120);
    suite_add_tcase(s, parse_tc);

    tcase_add_test(num, test_number_format_table);
    tcase_add_test(num, test_number_format_vectors);
    tcase_add_test(num, test_number_parse_vectors);
    tcase_add_test(num, test_number_parse_minus_zero);
    tcase_add_test(num, test_number_long_literals);
    tcase_add_test(num, test_exact_ints);
    tcase_add_test(num, test_int_helpers);
    tcase_set_timeout(num, 60);
    suite_add_tcase(s, num);

    tcase_add_test(str, test_string_escapes);
    tcase_add_test(str, test_string_vectors);
    tcase_add_test(str, test_string_lone_surrogates);
    suite_add_tcase(s, str);

    tcase_add_test(prn, test_print_vectors);
    tcase_add_test(prn, test_print_pretty);
    tcase_add_test(prn, test_print_key_order);
    tcase_add_test(prn, test_print_errors);
    tcase_add_test(prn, test_print_special_numbers);
    tcase_add_test(prn, test_print_depth);
    tcase_set_timeout(prn, 60);
    suite_add_tcase(s, prn);

    tcase_add_test(js, test_js_dag_cases);
    tcase_add_test(js, test_js_dag_numbers);
    tcase_add_test(js, test_js_content_cases);
    tcase_add_test(js, test_js_special_strings);
    tcase_set_timeout(js, 60);
    suite_add_tcase(s, js);

    tcase_add_test(eq, test_equal);
    tcase_add_test(prn, test_print_dagjson);
    suite_add_tcase(s, eq);

    tcase_add_test(big, test_roundtrip_random);
    tcase_add_test(big, test_large);
    tcase_set_timeout(big, 300);
    suite_add_tcase(s, big);
    return s;
}

CER_TEST_MAIN(json_suite)
