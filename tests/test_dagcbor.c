/*
 * test_dagcbor.c — DAG-CBOR encoder, decoder and streaming writer.
 *
 * Byte-exact against blocks the JavaScript libraries wrote (js-vectors.json,
 * the captured blocks) and the named vectors N1–N5 and V5
 * (protocol-blocks.json); then canonical ordering, integer/float/length
 * boundaries, UTF-8 handling, and malformed input that must fail cleanly.
 */
#include "testutil.h"

#include "dagcbor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* helpers                                                              */
/* ------------------------------------------------------------------ */

/* Encode v; returns the lower-case hex of the block (caller frees). */
static char *enc_hex(const cJSON *v, unsigned flags)
{
    cer_buf b = CER_BUF_INIT;
    int rc = cer_dagcbor_encode(&b, v, flags);
    char *h;

    ck_assert_msg(rc == 0, "encode failed (%d): %s", rc, cer_errmsg());
    h = tu_hex(b.data, b.len);
    cer_buf_free(&b);
    return h;
}

static void assert_enc(const cJSON *v, unsigned flags, const char *hex)
{
    char *h = enc_hex(v, flags);
    size_t n;
    uint8_t *w = tu_unhex(hex, &n);
    char *e = tu_hex(w, n);

    ck_assert_str_eq(h, e);
    free(h);
    free(e);
    free(w);
}

/* Decode hex, which must succeed; caller frees. */
static cJSON *dec_hex(const char *hex)
{
    size_t n;
    uint8_t *b = tu_unhex(hex, &n);
    cJSON *v = NULL;
    int rc = cer_dagcbor_decode(&v, b, n);

    ck_assert_msg(rc == 0, "decode of %s failed (%d): %s", hex, rc, cer_errmsg());
    ck_assert_ptr_nonnull(v);
    free(b);
    return v;
}

/* Decode hex, which must fail with rc and leave *out NULL. */
static void assert_dec_fails(const char *hex, int want)
{
    size_t n;
    uint8_t *b = tu_unhex(hex, &n);
    cJSON *v = (cJSON *)&v;  /* must be reset to NULL */
    int rc = cer_dagcbor_decode(&v, b, n);

    ck_assert_msg(rc == want, "decode of %.80s: got %d, want %d (%s)", hex, rc, want,
                  cer_errmsg());
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(cer_errmsg(), "dagcbor") != NULL, "message: %s", cer_errmsg());
    free(b);
}

/* The message of decoding hex, which must fail with -EINVAL. */
static void assert_dec_msg(const char *hex, const char *part)
{
    assert_dec_fails(hex, -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), part) != NULL, "message '%s' lacks '%s'", cer_errmsg(),
                  part);
}

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);

    ck_assert_msg(v != NULL, "bad test JSON %s", json);
    return v;
}

/* The full check of one known block: JSON (dag-json forms) encodes to
 * exactly hex, hex decodes to the same JSON, and the block has the CID. */
static void check_block(const char *name, const cJSON *json, const char *hex, uint64_t codec,
                        const char *cid)
{
    size_t n;
    uint8_t *block = tu_unhex(hex, &n);
    cJSON *back = NULL;
    cer_cid c;
    char s[CER_CID_STR_MAX];
    char *h = enc_hex(json, CER_DAGJSON);
    char *want = tu_hex(block, n);

    ck_assert_msg(strcmp(h, want) == 0, "%s: encoded\n%s\nwant\n%s", name, h, want);
    ck_assert_msg(cer_dagcbor_decode(&back, block, n) == 0, "%s: %s", name, cer_errmsg());
    ck_assert_msg(cJSON_Compare(back, json, 1), "%s: decoded %s", name,
                  cJSON_PrintUnformatted(back));
    if (cid) {
        ck_assert_int_eq(cer_cid_of_block(&c, codec, block, n), 0);
        ck_assert_int_gt(cer_cid_to_string(s, sizeof s, &c), 0);
        ck_assert_msg(strcmp(s, cid) == 0, "%s: CID %s, want %s", name, s, cid);
    }
    cJSON_Delete(back);
    free(h);
    free(want);
    free(block);
}

/* A copy of v where every {"bytes_hex": "..."} (the JS vectors' way of
 * showing a byte string) becomes the dag-json bytes form. */
static cJSON *bytes_hex_to_dagjson(const cJSON *v)
{
    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(v, "bytes_hex");
    cJSON *out;

    if (cJSON_IsObject(v) && bh && cJSON_GetArraySize(v) == 1) {
        size_t n;
        uint8_t *b = tu_unhex(bh->valuestring, &n);
        out = cer_json_bytes_new(b, n);
        free(b);
        ck_assert_ptr_nonnull(out);
        return out;
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return cJSON_Duplicate(v, 1);
    out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const cJSON *c = v->child; c; c = c->next) {
        cJSON *d = bytes_hex_to_dagjson(c);
        if (cJSON_IsObject(v))
            cJSON_AddItemToObject(out, c->string, d);
        else
            cJSON_AddItemToArray(out, d);
    }
    return out;
}

/* The query id of a QUERY message: b64u of the sha2-256 multihash. */
static void check_query_id(const char *hex, const char *want)
{
    size_t n;
    uint8_t *b = tu_unhex(hex, &n);
    cer_cid c;
    uint8_t mh[34];
    char id[64];

    cer_cid_of_block(&c, CER_CODEC_DAG_CBOR, b, n);
    mh[0] = 0x12;
    mh[1] = 0x20;
    memcpy(mh + 2, c.digest, 32);
    ck_assert_int_gt(cer_base_encode(id, sizeof id, CER_BASE64URL, mh, sizeof mh), 0);
    ck_assert_str_eq(id, want);
    free(b);
}

/* ------------------------------------------------------------------ */
/* real blocks                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_js_vectors)
{
    cJSON *root = tu_load_json("js-vectors.json");
    static const char *const payloads[] = {"signed/genesis", "signed/update"};
    char path[128];

    check_block("unsigned genesis", tu_get(root, "unsigned_genesis/json"),
                tu_str(root, "unsigned_genesis/block_hex"), CER_CODEC_DAG_CBOR,
                tu_str(root, "unsigned_genesis/cid"));
    check_block("deterministic genesis",
                tu_get(root, "unsigned_deterministic_genesis_no_data/json"),
                tu_str(root, "unsigned_deterministic_genesis_no_data/block_hex"),
                CER_CODEC_DAG_CBOR, tu_str(root, "unsigned_deterministic_genesis_no_data/cid"));
    for (size_t i = 0; i < 2; i++) {
        const char *p = payloads[i];
        cJSON *jose;

        snprintf(path, sizeof path, "%s/payload_json", p);
        const cJSON *pj = tu_get(root, path);
        snprintf(path, sizeof path, "%s/payload_block_hex", p);
        const char *ph = tu_str(root, path);
        snprintf(path, sizeof path, "%s/payload_cid", p);
        check_block(p, pj, ph, CER_CODEC_DAG_CBOR, tu_str(root, path));

        snprintf(path, sizeof path, "%s/dag_jose_as_cbor_json", p);
        jose = bytes_hex_to_dagjson(tu_get(root, path));
        snprintf(path, sizeof path, "%s/dag_jose_block_hex", p);
        ph = tu_str(root, path);
        snprintf(path, sizeof path, "%s/dag_jose_cid", p);
        check_block(p, jose, ph, CER_CODEC_DAG_JOSE, tu_str(root, path));
        cJSON_Delete(jose);
    }
    check_block("query message", tu_get(root, "unsigned_genesis/query_message/json"),
                tu_str(root, "unsigned_genesis/query_message/dag_cbor_hex"), 0, NULL);
    check_query_id(tu_str(root, "unsigned_genesis/query_message/dag_cbor_hex"),
                   tu_str(root, "unsigned_genesis/query_message/id"));
    cJSON_Delete(root);
}
END_TEST

START_TEST(test_protocol_blocks)
{
    cJSON *root = tu_load_json("protocol-blocks.json");
    const cJSON *b;
    int count = 0;

    cJSON_ArrayForEach(b, tu_get(root, "blocks"))
    {
        const cJSON *qid = cJSON_GetObjectItemCaseSensitive(b, "query_id");

        check_block(tu_str(b, "name"), tu_get(b, "json"), tu_str(b, "hex"),
                    (uint64_t)tu_get(b, "codec")->valuedouble, tu_str(b, "cid"));
        if (qid)
            check_query_id(tu_str(b, "hex"), qid->valuestring);
        count++;
    }
    ck_assert_int_eq(count, 8);
    cJSON_Delete(root);
}
END_TEST

static const char *const captured[] = {
    "bafyreib2xwx7xhduh36aeuagz3d4jkutdg5ybzby6rv2kprlpobje6ikeu",
    "bafyreidptv3jxcfpdpxwthjwjtaq4za44auqqnpe4j3rd7rgl5rrltwwca",
    "bafyreidxszmnd7svhpznyz73fzktzxvboujpn4tvsibqwl2ekzls4pmpte",
    "bafyreifdavcf5iz7abjcjh3azmkfkuhshnn45ul6q6uqjlwqdtndj4s6be",
    "bafyreifmtvtmzohdv4kx7ykjw527mtn7uld62kfxwkm7vj7x6h3y5xtgwu",
    "bafyreih3el7kouhepziddqkx7xsqxeiovfv5az6mnuidwnmsmu37ls7pq4",
    "bagcqcera226zrhqacgyoj5rfmzhxl2jren3br7g5gzheb5ffod5oeitc2k2q",
    "bagcqcera442bxop66rtomkneextefk5axxz37dt5zyqaxnql6omhioxixsca",
    "bagcqcerad6vg7guvsiy55vy3ykfqicmggd6gyrxjy576zxfh2cr5o7oyh7zq",
    "bagcqceramlbrtwej2gaci2a37iji5m7s5a3qm6grz3ixrasiclndalbertpq",
    "bagcqcerapz6bmu32u7o7b7mmsw7jbcw4rajhx267xhub4uyudgwvwijeprua",
};

/* Raw blocks from a live js-ceramic: decode, match their CID, and encode
 * back to the same bytes (JS wrote them canonically). */
START_TEST(test_captured_blocks)
{
    for (size_t i = 0; i < sizeof captured / sizeof captured[0]; i++) {
        char name[128];
        size_t n;
        uint8_t *block;
        cJSON *v = NULL;
        cer_cid cid;
        cer_buf again = CER_BUF_INIT;

        snprintf(name, sizeof name, "captures/blocks/%s.bin", captured[i]);
        block = tu_load_file(name, &n);
        ck_assert_int_eq(cer_cid_parse(&cid, captured[i]), 0);
        ck_assert_msg(cer_dagcbor_decode(&v, block, n) == 0, "%s: %s", name, cer_errmsg());
        ck_assert_int_eq(cer_cid_check_block(&cid, block, n), 0);
        ck_assert_int_eq(cer_dagcbor_encode(&again, v, CER_DAGJSON), 0);
        ck_assert_uint_eq(again.len, n);
        ck_assert_mem_eq(again.data, block, n);
        cer_buf_free(&again);
        cJSON_Delete(v);
        free(block);
    }
}
END_TEST

static void check_captured_hex(const char *hex, const char *cid_str, cJSON **out)
{
    size_t n;
    uint8_t *block = tu_unhex(hex, &n);
    cer_cid cid;

    ck_assert_int_eq(cer_cid_parse(&cid, cid_str), 0);
    ck_assert_int_eq(cer_cid_check_block(&cid, block, n), 0);
    ck_assert_msg(cer_dagcbor_decode(out, block, n) == 0, "%s: %s", cid_str, cer_errmsg());
    free(block);
}

START_TEST(test_captured_commits)
{
    cJSON *root = tu_load_json("captures/commit-blocks.json");
    const cJSON *e;
    int count = 0;

    cJSON_ArrayForEach(e, root)
    {
        const cJSON *dag_get = cJSON_GetObjectItemCaseSensitive(e, "dag_get");
        const cJSON *pcid = cJSON_GetObjectItemCaseSensitive(e, "payload_cid");
        cJSON *v = NULL;

        check_captured_hex(tu_str(e, "block_hex"), e->string, &v);
        if (cJSON_IsObject(dag_get))
            ck_assert_msg(cJSON_Compare(v, dag_get, 1), "%s differs from dag/get", e->string);
        cJSON_Delete(v);
        if (cJSON_IsString(pcid)) {
            const cJSON *data = cJSON_GetObjectItemCaseSensitive(e, "dag_get_payload_data_path");

            check_captured_hex(tu_str(e, "payload_block_hex"), pcid->valuestring, &v);
            ck_assert(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(v, "data"), data, 1));
            cJSON_Delete(v);
        }
        count++;
    }
    ck_assert_int_eq(count, 6);
    cJSON_Delete(root);
}
END_TEST

/* ------------------------------------------------------------------ */
/* canonical form                                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_key_order)
{
    cJSON *v;

    /* equal length bytewise; "é" is 2 bytes, so after every 1-byte key */
    v = parse("{\"\\u00e9\":5,\"z\":4,\"aa\":3,\"b\":1,\"a\":2}");
    assert_enc(v, 0, "a5 6161 02 6162 01 617a 04 626161 03 62c3a9 05");
    cJSON_Delete(v);
    v = parse("{\"\\u00e9\":1,\"z\":2}");
    assert_enc(v, 0, "a2 617a 02 62c3a9 01");
    cJSON_Delete(v);
    /* a 3-byte key sorts after 2-byte ASCII and before 4-byte ASCII */
    v = parse("{\"abcd\":3,\"\\u65e5\":1,\"ab\":2}");
    assert_enc(v, 0, "a3 626162 02 63e697a5 01 6461626364 03");
    cJSON_Delete(v);
    /* the keys of Ceramic's commits, in canonical (length, then byte) order */
    v = parse("{\"signatures\":0,\"payload\":0,\"header\":0,\"proof\":0,\"prev\":0,\"path\":0,"
              "\"data\":0,\"id\":0,\"signature\":0,\"protected\":0}");
    assert_enc(v, 0, "aa 626964 00 6464617461 00 6470617468 00 6470726576 00 6570726f6f66 00"
                     " 66686561646572 00 677061796c6f6164 00 6970726f746563746564 00"
                     " 697369676e6174757265 00 6a7369676e617475726573 00");
    cJSON_Delete(v);
    /* the empty key sorts first */
    v = parse("{\"a\":1,\"\":0}");
    assert_enc(v, 0, "a2 60 00 6161 01");
    cJSON_Delete(v);
}
END_TEST

START_TEST(test_duplicate_keys_encode)
{
    cJSON *v = cJSON_CreateObject();
    cer_buf b = CER_BUF_INIT;

    cJSON_AddNumberToObject(v, "b", 1);
    cJSON_AddNumberToObject(v, "a", 2);
    cJSON_AddNumberToObject(v, "b", 3);  /* cJSON allows it, CBOR maps do not */
    ck_assert_int_eq(cer_dagcbor_encode(&b, v, 0), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "duplicate"));
    ck_assert_uint_eq(b.len, 0);
    cJSON_Delete(v);
    cer_buf_free(&b);
}
END_TEST

START_TEST(test_decode_any_key_order)
{
    cJSON *v = dec_hex("a2 6162 01 6161 02");

    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(v, "a")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(v, "b")->valueint, 1);
    assert_enc(v, 0, "a2 6161 02 6162 01");
    cJSON_Delete(v);
    /* longer key first */
    v = dec_hex("a2 626161 01 6162 02");
    assert_enc(v, 0, "a2 6162 02 626161 01");
    cJSON_Delete(v);
}
END_TEST

struct num_case {
    double v;
    const char *hex;
};

START_TEST(test_numbers)
{
    static const struct num_case cases[] = {
        {0, "00"},
        {23, "17"},
        {24, "1818"},
        {255, "18ff"},
        {256, "190100"},
        {65535, "19ffff"},
        {65536, "1a00010000"},
        {4294967295.0, "1affffffff"},
        {4294967296.0, "1b0000000100000000"},
        {-1, "20"},
        {-24, "37"},
        {-25, "3818"},
        {-256, "38ff"},
        {-257, "390100"},
        {-65537, "3a00010000"},
        {-4294967297.0, "3b0000000100000000"},
        {9007199254740991.0, "1b001fffffffffffff"},
        {-9007199254740991.0, "3b001ffffffffffffe"},
        {9007199254740992.0, "fb4340000000000000"},
        {-9007199254740992.0, "fbc340000000000000"},
        {1.5, "fb3ff8000000000000"},
        {-1.5, "fbbff8000000000000"},
        {0.1, "fb3fb999999999999a"},
        {1e300, "fb7e37e43c8800759c"},
        {1e21, "fb444b1ae4d6e2ef50"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = cJSON_CreateNumber(cases[i].v), *back;

        assert_enc(v, 0, cases[i].hex);
        back = dec_hex(cases[i].hex);
        ck_assert(cJSON_IsNumber(back));
        ck_assert_msg(back->valuedouble == cases[i].v, "%s decoded to %.17g", cases[i].hex,
                      back->valuedouble);
        cJSON_Delete(back);
        cJSON_Delete(v);
    }
}
END_TEST

START_TEST(test_negative_zero)
{
    /* cborg: Number.isSafeInteger(-0) && -0 >= 0, so uint 0 */
    cJSON *v = cJSON_CreateNumber(-0.0);

    assert_enc(v, 0, "00");
    cJSON_Delete(v);
    /* a float -0 on the wire decodes (leniently) to -0 */
    v = dec_hex("fb8000000000000000");
    ck_assert(v->valuedouble == 0 && signbit(v->valuedouble));
    assert_enc(v, 0, "00");
    cJSON_Delete(v);
}
END_TEST

START_TEST(test_big_integers)
{
    cJSON *v;

    static const struct {
        const char *hex, *lit;
    } exact[] = {
        {"1bffffffffffffffff", "18446744073709551615"},
        {"3bffffffffffffffff", "-18446744073709551616"},  /* the most negative CBOR int */
        {"1b0020000000000000", "9007199254740992"},       /* 2^53 */
        {"1b0020000000000001", "9007199254740993"},
        {"3b001fffffffffffff", "-9007199254740992"},
        {"3b004c0078ba627e0a", "-21392616753102347"},
    };

    /* within +-(2^53-1): plain numbers */
    v = dec_hex("1b001fffffffffffff");
    ck_assert(cJSON_IsNumber(v) && v->valuedouble == 9007199254740991.0);
    cJSON_Delete(v);
    v = dec_hex("3b001ffffffffffffe");
    ck_assert(cJSON_IsNumber(v) && v->valuedouble == -9007199254740991.0);
    cJSON_Delete(v);
    /* beyond: exact decimal literals (cJSON_Raw), written back exactly */
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        v = dec_hex(exact[i].hex);
        ck_assert_msg(cJSON_IsRaw(v), "%s not raw", exact[i].hex);
        ck_assert_str_eq(v->valuestring, exact[i].lit);
        assert_enc(v, 0, exact[i].hex);
        cJSON_Delete(v);
    }
}
END_TEST

START_TEST(test_non_finite_encode)
{
    double bad[] = {NAN, INFINITY, -INFINITY};

    for (size_t i = 0; i < 3; i++) {
        cJSON *v = cJSON_CreateArray();
        cer_buf b = CER_BUF_INIT;

        cJSON_AddItemToArray(v, cJSON_CreateNumber(1));
        cJSON_AddItemToArray(v, cJSON_CreateNumber(bad[i]));
        ck_assert_int_eq(cer_dagcbor_encode(&b, v, 0), -EINVAL);
        ck_assert_uint_eq(b.len, 0);
        cer_buf_free(&b);
        cJSON_Delete(v);
    }
}
END_TEST

START_TEST(test_float_widths)
{
    static const struct num_case cases[] = {
        {1.5, "f93e00"},
        {1.5, "fa3fc00000"},
        {-2, "f9c000"},
        {5.960464477539063e-08, "f90001"},  /* smallest half subnormal, 2^-24 */
        {65504, "f97bff"},                  /* largest half */
        {0.1f, "fa3dcccccd"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = dec_hex(cases[i].hex);

        ck_assert_msg(v->valuedouble == cases[i].v, "%s → %.17g", cases[i].hex, v->valuedouble);
        cJSON_Delete(v);
    }
    /* non-finite in any width */
    assert_dec_msg("f97e00", "NaN");
    assert_dec_msg("f97c00", "Infinity");
    assert_dec_msg("f9fc00", "Infinity");
    assert_dec_msg("fa7fc00000", "NaN");
    assert_dec_msg("fa7f800000", "Infinity");
    assert_dec_msg("fb7ff8000000000000", "NaN");
    assert_dec_msg("fb7ff0000000000000", "Infinity");
    assert_dec_msg("fbfff0000000000000", "Infinity");
}
END_TEST

START_TEST(test_simple_values)
{
    cJSON *v = dec_hex("84 f4 f5 f6 f7");

    ck_assert(cJSON_IsFalse(cJSON_GetArrayItem(v, 0)));
    ck_assert(cJSON_IsTrue(cJSON_GetArrayItem(v, 1)));
    ck_assert(cJSON_IsNull(cJSON_GetArrayItem(v, 2)));
    ck_assert(cJSON_IsNull(cJSON_GetArrayItem(v, 3)));  /* undefined reads as null */
    assert_enc(v, 0, "84 f4 f5 f6 f6");
    cJSON_Delete(v);
    v = parse("[{},[],\"\",true]");
    assert_enc(v, 0, "84 a0 80 60 f5");
    cJSON_Delete(v);
    assert_dec_msg("f0", "simple value");
    assert_dec_msg("e0", "simple value");
    assert_dec_msg("f820", "simple value");
    assert_dec_msg("f3", "simple value");
}
END_TEST

/* A head for major type major and argument n, shortest form, as hex. */
static void head_hex(char *out, int major, size_t n)
{
    int ib = major << 5;

    if (n < 24)
        sprintf(out, "%02x", ib | (int)n);
    else if (n < 256)
        sprintf(out, "%02x%02zx", ib | 24, n);
    else if (n < 65536)
        sprintf(out, "%02x%04zx", ib | 25, n);
    else
        sprintf(out, "%02x%08zx", ib | 26, n);
}

START_TEST(test_length_boundaries)
{
    static const size_t lens[] = {0, 1, 23, 24, 255, 256, 65535, 65536};

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        char *s = malloc(n + 1), head[16], *h, *bh;
        uint8_t *raw = malloc(n + 1);
        cJSON *str, *bytes, *back;
        cer_buf b = CER_BUF_INIT;
        uint8_t *got = malloc(n + 1);

        memset(s, 'x', n);
        s[n] = 0;
        for (size_t j = 0; j < n; j++)
            raw[j] = (uint8_t)j;
        str = cJSON_CreateString(s);
        bytes = cer_json_bytes_new(raw, n);

        head_hex(head, 3, n);
        h = enc_hex(str, 0);
        ck_assert_uint_eq(strlen(h), strlen(head) + 2 * n);
        ck_assert_int_eq(strncmp(h, head, strlen(head)), 0);
        ck_assert_int_eq(cer_dagcbor_encode(&b, str, 0), 0);
        ck_assert_int_eq(cer_dagcbor_decode(&back, b.data, b.len), 0);
        ck_assert_str_eq(back->valuestring, s);
        cJSON_Delete(back);
        b.len = 0;

        head_hex(head, 2, n);
        bh = enc_hex(bytes, CER_DAGJSON);
        ck_assert_uint_eq(strlen(bh), strlen(head) + 2 * n);
        ck_assert_int_eq(strncmp(bh, head, strlen(head)), 0);
        ck_assert_int_eq(cer_dagcbor_encode(&b, bytes, CER_DAGJSON), 0);
        ck_assert_int_eq(cer_dagcbor_decode(&back, b.data, b.len), 0);
        ck_assert(cJSON_Compare(back, bytes, 1));
        ck_assert_int_eq(cer_json_get_bytes(got, n + 1, back), (int)n);
        ck_assert_mem_eq(got, raw, n);
        cJSON_Delete(back);

        cer_buf_free(&b);
        cJSON_Delete(str);
        cJSON_Delete(bytes);
        free(h);
        free(bh);
        free(s);
        free(raw);
        free(got);
    }
}
END_TEST

START_TEST(test_container_lengths)
{
    static const size_t lens[] = {23, 24, 255, 256};

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        cJSON *a = cJSON_CreateArray(), *back;
        char head[16], *h;

        for (size_t j = 0; j < lens[i]; j++)
            cJSON_AddItemToArray(a, cJSON_CreateNull());
        head_hex(head, 4, lens[i]);
        h = enc_hex(a, 0);
        ck_assert_int_eq(strncmp(h, head, strlen(head)), 0);
        back = dec_hex(h);
        ck_assert_int_eq(cJSON_GetArraySize(back), (int)lens[i]);
        cJSON_Delete(back);
        cJSON_Delete(a);
        free(h);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* dag-json forms                                                       */
/* ------------------------------------------------------------------ */

#define CID_V1 "bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q"
#define CID_V0 "QmRAQB6YaCyidP37UdDnjFY5vQuiBrcqdyoW1CuDgwxkD4"
#define CID_V1_HEX "01711220c26abacf16237794e80a404bcc5eeb34099d7ec189bf1b8eae112d28237ba8fc"

START_TEST(test_dagjson_links_and_bytes)
{
    cJSON *v, *back;
    cer_buf b = CER_BUF_INIT;

    /* a link, and the same object without CER_DAGJSON: a plain map */
    v = parse("{\"/\":\"" CID_V1 "\"}");
    assert_enc(v, CER_DAGJSON,
               "d82a 5825 00 " CID_V1_HEX);
    {
        char *h = enc_hex(v, 0);
        ck_assert_int_eq(strncmp(h, "a1612f783b626166797265", 22), 0);
        back = dec_hex(h);  /* a plain map decodes to the same JSON */
        ck_assert(cJSON_Compare(back, v, 1));
        cJSON_Delete(back);
        free(h);
    }
    cJSON_Delete(v);

    /* CIDv0 inside tag 42 */
    v = parse("[{\"/\":\"" CID_V0 "\"}]");
    {
        char *h = enc_hex(v, CER_DAGJSON);
        ck_assert_int_eq(strncmp(h, "81d82a5823001220", 16), 0);
        back = dec_hex(h);
        ck_assert(cJSON_Compare(back, v, 1));
        cJSON_Delete(back);
        free(h);
    }
    cJSON_Delete(v);

    /* bytes, with and without padding */
    v = parse("{\"/\":{\"bytes\":\"AQI\"}}");
    assert_enc(v, CER_DAGJSON, "42 0102");
    cJSON_Delete(v);
    v = parse("{\"/\":{\"bytes\":\"AQI=\"}}");
    assert_enc(v, CER_DAGJSON, "42 0102");
    back = dec_hex("42 0102");
    {
        char *txt = cJSON_PrintUnformatted(back);
        ck_assert_str_eq(txt, "{\"/\":{\"bytes\":\"AQI\"}}");
        free(txt);
    }
    cJSON_Delete(back);
    cJSON_Delete(v);

    /* the dag-json object captured from js-ipfs (captures/obj.json) */
    v = parse("{\"hello\":\"world\",\"link\":{\"/\":\"" CID_V1 "\"},"
              "\"bytes\":{\"/\":{\"bytes\":\"AQID\"}},\"n\":1}");
    assert_enc(v, CER_DAGJSON,
               "a4 616e 01 646c696e6b d82a 5825 00 " CID_V1_HEX
               " 656279746573 43 010203 6568656c6c6f 65776f726c64");
    cJSON_Delete(v);

    /* anything else under "/" is reserved in dag-json mode */
    static const char *const bad[] = {
        "{\"/\":\"" CID_V1 "\",\"x\":1}",
        "{\"/\":\"not a cid\"}",
        "{\"/\":\"bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7\"}",
        "{\"/\":{\"bytes\":\"AQID\"},\"x\":1}",
        "{\"/\":{\"bytes\":\"A\"}}",
        "{\"/\":{\"bytes\":\"**\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = parse(bad[i]);
        /* -EINVAL, or -ENOTSUP for a CID string in a multibase we lack */
        ck_assert_msg(cer_dagcbor_encode(&b, v, CER_DAGJSON) < 0, "%s", bad[i]);
        ck_assert_uint_eq(b.len, 0);
        ck_assert_int_eq(cer_dagcbor_encode(&b, v, 0), 0);  /* fine as plain maps */
        b.len = 0;
        cJSON_Delete(v);
    }
    /* as @ipld/dag-json reads them (js-cases.json dag/slash-*): "/" makes a
     * link or bytes only as the first key with a string or {"bytes": str}
     * value; otherwise the object is an ordinary map */
    static const char *const plain[] = {
        "{\"/\":5}", "{\"y\":1,\"/\":\"not a cid\"}", "{\"/\":{\"bytes\":\"AQID\",\"x\":1}}",
        "{\"/\":{\"bytes\":5}}", "{\"/\":[]}",
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        cer_buf m = CER_BUF_INIT;
        v = parse(plain[i]);
        ck_assert_msg(cer_dagcbor_encode(&b, v, CER_DAGJSON) == 0, "%s: %s", plain[i], cer_errmsg());
        ck_assert_int_eq(cer_dagcbor_encode(&m, v, 0), 0);
        ck_assert(b.len == m.len && memcmp(b.data, m.data, b.len) == 0);
        b.len = 0;
        cer_buf_free(&m);
        cJSON_Delete(v);
    }
    cer_buf_free(&b);
}
END_TEST

START_TEST(test_json_helpers)
{
    cer_cid cid, got;
    cJSON *l, *bytes, *v;
    uint8_t raw[3] = {1, 2, 3}, out[8];

    ck_assert_int_eq(cer_cid_parse(&cid, CID_V1), 0);
    l = cer_json_link_new(&cid);
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(l, "/")->valuestring, CID_V1);
    ck_assert_int_eq(cer_json_get_link(&got, l), 0);
    ck_assert(cer_cid_equal(&cid, &got));

    bytes = cer_json_bytes_new(raw, 3);
    ck_assert_int_eq(cer_json_get_bytes(out, sizeof out, bytes), 3);
    ck_assert_mem_eq(out, raw, 3);
    ck_assert_int_eq(cer_json_get_bytes(out, 2, bytes), -ENOSPC);
    ck_assert_int_eq(cer_json_get_link(&got, bytes), -EINVAL);
    ck_assert_int_eq(cer_json_get_bytes(out, sizeof out, l), -EINVAL);

    v = parse("{\"/\":\"" CID_V1 "\",\"x\":1}");
    ck_assert_int_eq(cer_json_get_link(&got, v), -EINVAL);
    cJSON_Delete(v);
    v = parse("\"" CID_V1 "\"");
    ck_assert_int_eq(cer_json_get_link(&got, v), -EINVAL);
    cJSON_Delete(v);
    cJSON_Delete(l);
    cJSON_Delete(bytes);
}
END_TEST

/* ------------------------------------------------------------------ */
/* text                                                                 */
/* ------------------------------------------------------------------ */

#define R "\xef\xbf\xbd"  /* U+FFFD */
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A64_HEX "6161616161616161616161616161616161616161616161616161616161616161" \
                "6161616161616161616161616161616161616161616161616161616161616161"

/* Expected strings are what @ipld/dag-cbor 7.0.3 (cborg 1.10.2) returned
 * for the same bytes under Node 20. */
START_TEST(test_utf8)
{
    static const struct {
        const char *hex;
        const char *want;
    } cases[] = {
        {"64 f09f9880", "\xf0\x9f\x98\x80"},  /* valid 4-byte */
        {"62 c3a9", "\xc3\xa9"},              /* valid 2-byte */
        {"63 efbfbf", "\xef\xbf\xbf"},        /* U+FFFF is valid */
        /* up to 64 bytes, cborg's loop: one U+FFFD per bad lead byte */
        {"61 ff", R},
        {"63 e28241", R R "A"},
        {"62 c080", R R},
        {"63 eda080", R R R},
        {"62 f09f", R R},
        {"64 f4908080", R R R R},
        {"65 41c3e28241", "A" R R R "A"},
        /* longer, WHATWG: one U+FFFD per maximal invalid subsequence */
        {"7843" A64_HEX "e28241", A64 R "A"},
        {"7842" A64_HEX "f09f", A64 R},
        {"7843" A64_HEX "eda080", A64 R R R},
        {"7842" A64_HEX "c080", A64 R R},
        {"7844" A64_HEX "f09f9880", A64 "\xf0\x9f\x98\x80"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = dec_hex(cases[i].hex);

        ck_assert_msg(strcmp(v->valuestring, cases[i].want) == 0, "%s", cases[i].hex);
        cJSON_Delete(v);
    }
    /* replacement applies to keys too */
    {
        cJSON *v = dec_hex("a1 61ff 01");
        ck_assert_str_eq(v->child->string, "\xef\xbf\xbd");
        cJSON_Delete(v);
    }
    /* the encoder keeps string bytes as they are */
    {
        cJSON *v = cJSON_CreateString("\xff\xfe");
        assert_enc(v, 0, "62 fffe");
        cJSON_Delete(v);
    }
    /* U+0000 is held as C0 80 in cJSON strings, and written back as 00 */
    {
        cJSON *v = dec_hex("63 610062");
        ck_assert_str_eq(v->valuestring, "a\xc0\x80" "b");
        assert_enc(v, 0, "63 610062");
        cJSON_Delete(v);
        v = dec_hex("a1 6100 01");
        ck_assert_str_eq(v->child->string, "\xc0\x80");
        assert_enc(v, 0, "a1 6100 01");
        cJSON_Delete(v);
        /* keys are ordered by their wire bytes: "\0" (C0 80 here, 00 on the
         * wire) is one byte and sorts first (fuzz crash-nul-key-order) */
        v = dec_hex("a3 6161 00 6100 01 612f 02");
        assert_enc(v, 0, "a3 6100 01 612f 02 6161 00");
        cJSON_Delete(v);
        v = cJSON_CreateString("\xc0\x80\xc0\x80x\xc0");  /* a lone C0 stays as it is */
        assert_enc(v, 0, "64 0000 78 c0");
        cJSON_Delete(v);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* malformed input                                                      */
/* ------------------------------------------------------------------ */

START_TEST(test_malformed)
{
    static const struct {
        const char *hex;
        const char *msg;
    } cases[] = {
        {"1805", "non-minimal"},
        {"1817", "non-minimal"},
        {"1900ff", "non-minimal"},
        {"1a0000ffff", "non-minimal"},
        {"1b00000000ffffffff", "non-minimal"},
        {"3817", "non-minimal"},
        {"390001", "non-minimal"},
        {"5801ff", "non-minimal"},
        {"780161", "non-minimal"},
        {"79000161", "non-minimal"},
        {"980100", "non-minimal"},
        {"b8016161 00", "non-minimal"},
        {"d9002a 4100", "non-minimal"},
        {"9f", "indefinite"},
        {"9f00ff", "indefinite"},
        {"bfff", "indefinite"},
        {"5f4100ff", "indefinite"},
        {"7f6161ff", "indefinite"},
        {"ff", "indefinite"},
        {"8100ff", "trailing"},
        {"c100", "tag 1 "},
        {"c600", "tag 6 "},
        {"d400", "tag 20 "},
        {"dc", "reserved"},
        {"c074323031332d30332d32315432303a30343a30305a", "tag 0 "},
        {"d82b 4100", "tag 43"},
        {"d82a 4101", "0x00"},
        {"d82a 40", "0x00"},
        {"d82a 6100", "not a byte string"},
        {"d82a d82a 4100", "not a byte string"},
        {"d82a 4100", "tag 42"},
        {"d82a 420001", "tag 42"},
        {"d82a 4700017112200102", "tag 42"},
        {"d82a 4400027112", "tag 42"},
        {"a10102", "not a text string"},
        {"a1 4161 02", "not a text string"},
        {"a1 d82a 4100 01", "not a text string"},
        {"a1 80 01", "not a text string"},
        {"a2 6161 01 6161 02", "duplicate"},
        {"a3 6161 01 6162 02 6161 03", "duplicate"},
        {"a3 6162 01 6161 02 6162 03", "duplicate"},
        {"81 a2 6161 01 6161 02", "duplicate"},
        {"0000", "trailing"},
        {"a0ff", "trailing"},
        {"1c", "reserved"},
        {"5c", "reserved"},
        {"9b000000010000000001 0203", "claims"},
        {"9affffffff 010203", "claims"},
        {"bb8000000000000000 0102", "claims"},
        {"b9ffff 010203", "claims"},
        {"a2 6161 01", "claims"},
        {"5bffffffffffffffff00", "truncated"},
        {"7bffffffffffffffff00", "truncated"},
        {"5a00010000 00", "truncated"},
        {"82 01", "claims"},
        {"83 0102", "claims"},
        {"d82a", "truncated"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_dec_msg(cases[i].hex, cases[i].msg);
    /* offsets are reported */
    assert_dec_msg("83 01 02 1805", "byte 3");
    assert_dec_msg("a2 6161 01 6162 f97e00", "byte 6");
    /* empty input */
    {
        cJSON *v = NULL;
        ck_assert_int_eq(cer_dagcbor_decode(&v, NULL, 0), -EINVAL);
        ck_assert_ptr_null(v);
        ck_assert_ptr_nonnull(strstr(cer_errmsg(), "empty"));
    }
}
END_TEST

/* Every proper prefix of real blocks must fail cleanly. */
START_TEST(test_truncated_prefixes)
{
    cJSON *root = tu_load_json("protocol-blocks.json");
    const cJSON *b;

    cJSON_ArrayForEach(b, tu_get(root, "blocks"))
    {
        size_t n;
        uint8_t *block = tu_unhex(tu_str(b, "hex"), &n);

        for (size_t k = 0; k < n; k++) {
            uint8_t *copy = malloc(k ? k : 1);  /* exact size, so ASan sees over-reads */
            cJSON *v = NULL;

            memcpy(copy, block, k);
            ck_assert_msg(cer_dagcbor_decode(&v, copy, k) == -EINVAL, "%s: prefix %zu decoded",
                          tu_str(b, "name"), k);
            ck_assert_ptr_null(v);
            free(copy);
        }
        free(block);
    }
    cJSON_Delete(root);
}
END_TEST

/* n nested one-item arrays around 0: 81 81 ... 00 */
static uint8_t *nested(size_t n, size_t *len)
{
    uint8_t *b = malloc(n + 1);

    memset(b, 0x81, n);
    b[n] = 0x00;
    *len = n + 1;
    return b;
}

START_TEST(test_depth)
{
    size_t len;
    uint8_t *b;
    cJSON *v = NULL, *deep;
    cer_buf out = CER_BUF_INIT;

    b = nested(100000, &len);
    ck_assert_int_eq(cer_dagcbor_decode(&v, b, len), -EFBIG);
    ck_assert_ptr_null(v);
    free(b);

    b = nested(CER_DAGCBOR_DEPTH_MAX + 1, &len);
    ck_assert_int_eq(cer_dagcbor_decode(&v, b, len), -EFBIG);
    free(b);

    b = nested(CER_DAGCBOR_DEPTH_MAX, &len);
    ck_assert_int_eq(cer_dagcbor_decode(&v, b, len), 0);
    ck_assert_int_eq(cer_dagcbor_encode(&out, v, 0), 0);  /* what we read we can write */
    ck_assert_uint_eq(out.len, len);
    ck_assert_mem_eq(out.data, b, len);
    free(b);

    /* one level more for the encoder */
    deep = cJSON_CreateArray();
    cJSON_AddItemToArray(deep, v);
    out.len = 0;
    ck_assert_int_eq(cer_dagcbor_encode(&out, deep, 0), -EFBIG);
    ck_assert_uint_eq(out.len, 0);
    cJSON_Delete(deep);

    /* maps count too; dag-json links and bytes do not */
    b = nested(CER_DAGCBOR_DEPTH_MAX - 1, &len);
    b[len - 1] = 0xa1;
    ck_assert_int_eq(cer_dagcbor_decode(&v, b, len), -EINVAL);  /* truncated map */
    free(b);
    {
        cJSON *cur, *root = cJSON_CreateArray();
        cur = root;
        for (int i = 1; i < CER_DAGCBOR_DEPTH_MAX; i++) {
            cJSON *inner = cJSON_CreateArray();
            cJSON_AddItemToArray(cur, inner);
            cur = inner;
        }
        cJSON_AddItemToArray(cur, cer_json_bytes_new((const uint8_t *)"x", 1));
        ck_assert_int_eq(cer_dagcbor_encode(&out, root, CER_DAGJSON), 0);
        ck_assert_int_eq(cer_dagcbor_decode(&v, out.data, out.len), 0);
        cJSON_Delete(v);
        out.len = 0;
        /* as plain maps, the bytes form is two more levels (crash-44c8...) */
        ck_assert_int_eq(cer_dagcbor_encode(&out, root, 0), -EFBIG);
        ck_assert_uint_eq(out.len, 0);
        cJSON_AddItemToArray(cur, cJSON_CreateObject());  /* the 129th container */
        ck_assert_int_eq(cer_dagcbor_encode(&out, root, CER_DAGJSON), -EFBIG);
        cJSON_Delete(root);
    }
    cer_buf_free(&out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* streaming writer                                                     */
/* ------------------------------------------------------------------ */

START_TEST(test_writer_anchor_commit)
{
    cJSON *root = tu_load_json("protocol-blocks.json");
    const cJSON *anchor = tu_get(root, "blocks/5");
    cer_buf buf = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&buf);
    cer_cid id, prev, proof;

    ck_assert_str_eq(tu_str(anchor, "name"), "N4 anchor commit");
    ck_assert_int_eq(cer_json_get_link(&id, tu_get(anchor, "json/id")), 0);
    ck_assert_int_eq(cer_json_get_link(&prev, tu_get(anchor, "json/prev")), 0);
    ck_assert_int_eq(cer_json_get_link(&proof, tu_get(anchor, "json/proof")), 0);
    cer_cbor_w_map(&w, 4);
    cer_cbor_w_text(&w, "id");
    cer_cbor_w_link(&w, &id);
    cer_cbor_w_text(&w, "path");
    cer_cbor_w_text(&w, "");
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_link(&w, &prev);
    cer_cbor_w_text(&w, "proof");
    cer_cbor_w_link(&w, &proof);
    ck_assert_int_eq(w.err, 0);
    tu_assert_hex(buf.data, buf.len, tu_str(anchor, "hex"));
    cer_buf_free(&buf);
    cJSON_Delete(root);
}
END_TEST

START_TEST(test_writer_mixed)
{
    cer_buf buf = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&buf);
    cer_cid cid;
    cJSON *user = parse("{\"/\":\"not a link here\",\"b\":[1,-2.5]}");

    ck_assert_int_eq(cer_cid_parse(&cid, CID_V1), 0);
    /* {n: -1, no: null, ok: true, big: 2^64-1, raw: bytes,
     *  data: <user JSON, where "/" is just a key>, link: CID} */
    cer_cbor_w_map(&w, 7);
    cer_cbor_w_text(&w, "n");
    cer_cbor_w_int(&w, -1);
    cer_cbor_w_text(&w, "no");
    cer_cbor_w_null(&w);
    cer_cbor_w_text(&w, "ok");
    cer_cbor_w_bool(&w, true);
    cer_cbor_w_text(&w, "big");
    cer_cbor_w_uint(&w, UINT64_MAX);
    cer_cbor_w_text(&w, "raw");
    cer_cbor_w_bytes(&w, (const uint8_t *)"\x01\x02", 2);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_json(&w, user, 0);
    cer_cbor_w_textn(&w, "linkXXX", 4);
    cer_cbor_w_link(&w, &cid);
    ck_assert_int_eq(w.err, 0);
    tu_assert_hex(buf.data, buf.len,
                  "a7 616e 20 626e6f f6 626f6b f5 63626967 1bffffffffffffffff 63726177 420102"
                  " 6464617461 a2 612f 6f 6e6f742061206c696e6b2068657265"
                  " 6162 82 01 fbc004000000000000"
                  " 646c696e6b d82a5825 00 " CID_V1_HEX);
    buf.len = 0;
    cer_cbor_w_int(&w, INT64_MIN);
    cer_cbor_w_number(&w, -0.0);
    cer_cbor_w_number(&w, 1e300);
    tu_assert_hex(buf.data, buf.len, "3b7fffffffffffffff 00 fb7e37e43c8800759c");
    cer_buf_free(&buf);
    cJSON_Delete(user);
}
END_TEST

START_TEST(test_writer_error_sticks)
{
    cer_buf buf = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&buf);
    cJSON *nan = cJSON_CreateNumber(NAN), *empty = cJSON_CreateArray();
    cer_cid bad;
    char msg[512];
    size_t len;

    memset(&bad, 0, sizeof bad);
    bad.version = 7;
    cer_cbor_w_array(&w, 2);
    cer_cbor_w_json(&w, nan, 0);
    ck_assert_int_eq(w.err, -EINVAL);
    len = buf.len;
    snprintf(msg, sizeof msg, "%s", cer_errmsg());
    /* every later call is a no-op and keeps the first error and message */
    cer_cbor_w_text(&w, "more");
    cer_cbor_w_link(&w, &bad);
    cer_cbor_w_json(&w, empty, 0x80);
    cer_cbor_w_uint(&w, 1);
    cer_cbor_w_map(&w, 1);
    ck_assert_int_eq(w.err, -EINVAL);
    ck_assert_uint_eq(buf.len, len);
    ck_assert_str_eq(cer_errmsg(), msg);

    /* the caller's own nesting counts towards the depth limit */
    buf.len = 0;
    w = (cer_cbor_w)CER_CBOR_W_INIT(&buf);
    w.depth = CER_DAGCBOR_DEPTH_MAX - 1;
    cer_cbor_w_json(&w, empty, 0);
    ck_assert_int_eq(w.err, 0);
    w.depth = CER_DAGCBOR_DEPTH_MAX;
    cer_cbor_w_json(&w, empty, 0);
    ck_assert_int_eq(w.err, -EFBIG);

    w = (cer_cbor_w)CER_CBOR_W_INIT(&buf);
    cer_cbor_w_link(&w, &bad);
    ck_assert_int_lt(w.err, 0);
    w = (cer_cbor_w)CER_CBOR_W_INIT(&buf);
    cer_cbor_w_json(&w, empty, 0x80);  /* unknown flag */
    ck_assert_int_eq(w.err, -EINVAL);
    w = (cer_cbor_w)CER_CBOR_W_INIT(&buf);
    cer_cbor_w_text(&w, NULL);
    ck_assert_int_eq(w.err, -EINVAL);
    cJSON_Delete(nan);
    cJSON_Delete(empty);
    cer_buf_free(&buf);
}
END_TEST

START_TEST(test_encode_errors)
{
    cer_buf b = CER_BUF_INIT;
    cJSON *raw = cJSON_CreateRaw("1.5"), *v = cJSON_Parse("{\"a\":[1,2,{\"b\":NaN}]}");

    ck_assert_int_eq(cer_buf_append(&b, "xy", 2), 0);
    ck_assert_int_eq(cer_dagcbor_encode(&b, raw, 0), -EINVAL);
    ck_assert_int_eq(cer_dagcbor_encode(&b, NULL, 0), -EINVAL);
    ck_assert_uint_eq(b.len, 2);  /* out is left as it was */
    ck_assert_str_eq((char *)b.data, "xy");
    if (v) {  /* cJSON may or may not parse NaN; when it does, it must not encode */
        ck_assert_int_eq(cer_dagcbor_encode(&b, v, 0), -EINVAL);
        ck_assert_uint_eq(b.len, 2);
        cJSON_Delete(v);
    }
    /* appends */
    v = parse("[1]");
    ck_assert_int_eq(cer_dagcbor_encode(&b, v, 0), 0);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_mem_eq(b.data, "xy\x81\x01", 4);
    cJSON_Delete(v);
    cJSON_Delete(raw);
    cer_buf_free(&b);
}
END_TEST

static Suite *dagcbor_suite(void)
{
    Suite *s = suite_create("dagcbor");
    TCase *real = tcase_create("real blocks");
    TCase *canon = tcase_create("canonical form");
    TCase *bad = tcase_create("malformed input");
    TCase *writer = tcase_create("writer");

    tcase_add_test(real, test_js_vectors);
    tcase_add_test(real, test_protocol_blocks);
    tcase_add_test(real, test_captured_blocks);
    tcase_add_test(real, test_captured_commits);
    suite_add_tcase(s, real);

    tcase_add_test(canon, test_key_order);
    tcase_add_test(canon, test_duplicate_keys_encode);
    tcase_add_test(canon, test_decode_any_key_order);
    tcase_add_test(canon, test_numbers);
    tcase_add_test(canon, test_negative_zero);
    tcase_add_test(canon, test_big_integers);
    tcase_add_test(canon, test_non_finite_encode);
    tcase_add_test(canon, test_float_widths);
    tcase_add_test(canon, test_simple_values);
    tcase_add_test(canon, test_length_boundaries);
    tcase_add_test(canon, test_container_lengths);
    tcase_add_test(canon, test_dagjson_links_and_bytes);
    tcase_add_test(canon, test_json_helpers);
    tcase_add_test(canon, test_utf8);
    suite_add_tcase(s, canon);

    tcase_add_test(bad, test_malformed);
    tcase_add_test(bad, test_truncated_prefixes);
    tcase_add_test(bad, test_depth);
    tcase_set_timeout(bad, 30);
    suite_add_tcase(s, bad);

    tcase_add_test(writer, test_writer_anchor_commit);
    tcase_add_test(writer, test_writer_mixed);
    tcase_add_test(writer, test_writer_error_sticks);
    tcase_add_test(writer, test_encode_errors);
    suite_add_tcase(s, writer);
    return s;
}

CER_TEST_MAIN(dagcbor_suite)
