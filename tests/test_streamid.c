/*
 * test_streamid.c — StreamID/CommitID bytes and strings against the
 * named vectors V1–V6 (tests/vectors/README.md), the js-ceramic edge cases (protocol-ids.json), the
 * JS library output (js-vectors.json) and malformed input.
 */
#include "testutil.h"
#include "streamid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse s, which must succeed. */
static cer_streamref parse_ok(const char *s)
{
    cer_streamref r;
    int rc = cer_streamref_parse(&r, s);

    ck_assert_msg(rc == 0, "parse '%s': %d %s", s, rc, cer_errmsg());
    return r;
}

static cer_cid cid_ok(const char *s)
{
    cer_cid c;

    ck_assert_msg(cer_cid_parse(&c, s) == 0, "cid '%s': %s", s, cer_errmsg());
    return c;
}

static void assert_string(const cer_streamref *r, const char *want)
{
    char s[CER_STREAMID_STR_MAX];
    int n = cer_streamref_to_string(s, sizeof s, r);

    ck_assert_msg(n > 0, "to_string: %s", cer_errmsg());
    ck_assert_int_eq(n, (int)strlen(want));
    ck_assert_str_eq(s, want);
}

static void assert_bytes(const cer_streamref *r, const char *hex)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    int n = cer_streamref_to_bytes(b, sizeof b, r);

    ck_assert_msg(n > 0, "to_bytes: %s", cer_errmsg());
    tu_assert_hex(b, (size_t)n, hex);
}

static int from_hex(cer_streamref *out, const char *hex)
{
    size_t len;
    uint8_t *b = tu_unhex(hex, &len);
    int rc = cer_streamref_from_bytes(out, b, len);

    free(b);
    return rc;
}

static void expect_parse_fail(const char *s, int want, const char *msg_part)
{
    cer_streamref r;
    int rc = cer_streamref_parse(&r, s);

    ck_assert_msg(rc == want, "parse '%.80s': got %d (%s), want %d", s, rc, cer_errmsg(), want);
    if (msg_part)
        ck_assert_msg(strstr(cer_errmsg(), msg_part) != NULL, "parse '%.80s': message '%s' lacks '%s'",
                      s, cer_errmsg(), msg_part);
}

static void expect_bytes_fail(const uint8_t *b, size_t len, const char *msg_part)
{
    cer_streamref r;
    int rc = cer_streamref_from_bytes(&r, b, len);

    ck_assert_msg(rc == -EINVAL, "from_bytes (%zu bytes): got %d, want -EINVAL", len, rc);
    if (msg_part)
        ck_assert_msg(strstr(cer_errmsg(), msg_part) != NULL, "message '%s' lacks '%s'",
                      cer_errmsg(), msg_part);
}

/* Check one streamref against its expected fields, string and bytes. */
static void check_ref(const cer_streamref *r, uint64_t type, const char *genesis, const char *commit)
{
    cer_cid g = cid_ok(genesis);

    ck_assert_uint_eq(r->type, type);
    ck_assert(cer_cid_equal(&r->genesis, &g));
    ck_assert(r->is_commit == (commit != NULL));
    if (commit) {
        cer_cid c = cid_ok(commit);
        ck_assert(cer_cid_equal(&r->commit, &c));
    }
}

START_TEST(test_type_names)
{
    ck_assert_str_eq(cer_stream_type_name(0), "tile");
    ck_assert_str_eq(cer_stream_type_name(1), "caip10-link");
    ck_assert_str_eq(cer_stream_type_name(2), "model");
    ck_assert_str_eq(cer_stream_type_name(3), "MID");
    ck_assert_str_eq(cer_stream_type_name(4), "UNLOADABLE");
    ck_assert_str_eq(cer_stream_type_name(5), "EventID");
    ck_assert_ptr_null(cer_stream_type_name(6));
    ck_assert_ptr_null(cer_stream_type_name(UINT64_MAX));
}
END_TEST

/* V1-V6, the vectors.txt decodes and the §3.6 ids. */
START_TEST(test_protocol_vectors)
{
    cJSON *root = tu_load_json("protocol-ids.json");
    const cJSON *v, *refs = tu_get(root, "streamrefs");

    ck_assert_int_ge(cJSON_GetArraySize(refs), 11);
    cJSON_ArrayForEach(v, refs) {
        const cJSON *commit = cJSON_GetObjectItemCaseSensitive(v, "commit");
        const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(v, "aliases"), *a;
        const char *str = tu_str(v, "string"), *hex = tu_str(v, "hex");
        cer_streamref r = parse_ok(str), rb, base;

        check_ref(&r, (uint64_t)tu_get(v, "type")->valuedouble, tu_str(v, "genesis"),
                  commit ? commit->valuestring : NULL);
        assert_string(&r, str);
        assert_bytes(&r, hex);
        ck_assert_int_eq(from_hex(&rb, hex), 0);
        assert_string(&rb, str);
        ck_assert(cer_streamref_same_stream(&r, &rb));
        cJSON_ArrayForEach(a, aliases) {
            cer_streamref ra = parse_ok(a->valuestring);
            assert_string(&ra, str);
        }
        base = r;
        base.is_commit = false;
        ck_assert(cer_streamref_same_stream(&r, &base));
    }
    cJSON_Delete(root);
}
END_TEST

/* V6: the identity multihash wrapped as the digest of a 0x71 multihash. */
START_TEST(test_meta_model_quirk)
{
    cer_streamref r = parse_ok("kh4q0ozorrgaq2mezktnrmdwleo1d");

    ck_assert_uint_eq(r.type, CER_STREAM_UNLOADABLE);
    ck_assert_str_eq(cer_stream_type_name(r.type), "UNLOADABLE");
    ck_assert_uint_eq(r.genesis.version, 1);
    ck_assert_uint_eq(r.genesis.codec, CER_CODEC_DAG_CBOR);
    ck_assert_uint_eq(r.genesis.mh_code, 0x71);
    tu_assert_hex(r.genesis.digest, r.genesis.digest_len, "00 09 68 6d 6f 64 65 6c 2d 76 31");
    assert_bytes(&r, "ce 01 04 01 71 71 0b 00 09 68 6d 6f 64 65 6c 2d 76 31");
}
END_TEST

/* Every StreamID and CommitID the JS libraries wrote in js-vectors.json. */
START_TEST(test_js_vectors)
{
    static const char *const unsigned_sets[] = {"unsigned_genesis",
                                                "unsigned_deterministic_genesis_no_data"};
    cJSON *root = tu_load_json("js-vectors.json");
    char path[128];

    for (size_t i = 0; i < 2; i++) {
        const cJSON *set = tu_get(root, unsigned_sets[i]);
        const char *sid = tu_str(set, "stream_id"), *gcid = tu_str(set, "genesis_commit_id");
        const cJSON *hex = cJSON_GetObjectItemCaseSensitive(set, "stream_id_hex");
        cer_streamref s = parse_ok(sid), c = parse_ok(gcid);

        check_ref(&s, 0, tu_str(set, "cid"), NULL);
        check_ref(&c, 0, tu_str(set, "cid"), tu_str(set, "cid"));
        assert_string(&s, sid);
        assert_string(&c, gcid);
        ck_assert(cer_streamref_same_stream(&s, &c));
        if (hex) {
            assert_bytes(&s, hex->valuestring);
            snprintf(path, sizeof path, "%s00", hex->valuestring);
            assert_bytes(&c, path);
        }
    }
    {
        const cJSON *sg = tu_get(root, "signed");
        const char *g = tu_str(sg, "genesis/dag_jose_cid"), *u = tu_str(sg, "update/dag_jose_cid");
        cer_streamref s = parse_ok(tu_str(sg, "stream_id"));
        cer_streamref c0 = parse_ok(tu_str(sg, "genesis/commit_id"));
        cer_streamref c1 = parse_ok(tu_str(sg, "update/commit_id"));
        cer_streamref p;

        check_ref(&s, 0, g, NULL);
        check_ref(&c0, 0, g, g);
        check_ref(&c1, 0, g, u);
        assert_string(&s, tu_str(sg, "stream_id"));
        assert_string(&c0, tu_str(sg, "genesis/commit_id"));
        assert_string(&c1, tu_str(sg, "update/commit_id"));
        assert_bytes(&s, tu_str(sg, "stream_id_hex"));
        assert_bytes(&c1, tu_str(sg, "update/commit_id_hex"));
        ck_assert_int_eq(from_hex(&p, tu_str(sg, "update/commit_id_hex")), 0);
        assert_string(&p, tu_str(sg, "update/commit_id"));
        ck_assert(cer_streamref_same_stream(&s, &c0) && cer_streamref_same_stream(&s, &c1));
        /* the pubsub messages name the same stream */
        p = parse_ok(tu_str(sg, "pubsub/query/stream"));
        ck_assert(cer_streamref_same_stream(&s, &p) && !p.is_commit);
    }
    cJSON_Delete(root);
}
END_TEST

/* What @ceramicnetwork/streamid 5.6.0 did with the edge cases. */
START_TEST(test_js_edge_cases)
{
    cJSON *root = tu_load_json("protocol-ids.json");
    const cJSON *js = tu_get(root, "js_streamid_5_6_0"), *v;

    cJSON_ArrayForEach(v, tu_get(js, "accepted")) {
        const cJSON *in_hex = cJSON_GetObjectItemCaseSensitive(v, "input_hex");
        const cJSON *commit = cJSON_GetObjectItemCaseSensitive(v, "commit");
        cer_streamref r;

        if (in_hex)
            ck_assert_msg(from_hex(&r, in_hex->valuestring) == 0, "%s: %s", tu_str(v, "note"),
                          cer_errmsg());
        else
            r = parse_ok(tu_str(v, "input_string"));
        check_ref(&r, (uint64_t)tu_get(v, "type")->valuedouble, tu_str(v, "genesis"),
                  commit ? commit->valuestring : NULL);
        assert_bytes(&r, tu_str(v, "out_hex"));
        assert_string(&r, tu_str(v, "string"));
    }
    cJSON_ArrayForEach(v, tu_get(js, "rejected_hex")) {
        cer_streamref r;
        ck_assert_msg(from_hex(&r, tu_str(v, "hex")) == -EINVAL, "%s", tu_str(v, "note"));
    }
    cJSON_ArrayForEach(v, tu_get(js, "rejected_strings"))
        expect_parse_fail(tu_str(v, "string"), -EINVAL, NULL);
    cJSON_ArrayForEach(v, tu_get(js, "js_accepts_we_reject")) {
        const cJSON *hex = cJSON_GetObjectItemCaseSensitive(v, "hex");
        cer_streamref r;
        if (hex)
            ck_assert_msg(from_hex(&r, hex->valuestring) == -EINVAL, "%s", tu_str(v, "note"));
        else
            expect_parse_fail(tu_str(v, "string"), -EINVAL, NULL);
    }
    cJSON_Delete(root);
}
END_TEST

/* A CIDv0 genesis is read from 00 70 12 20 <digest> and written, as JS
 * writes it, as the bare multihash, which does not parse back. */
START_TEST(test_cidv0_genesis)
{
    cer_streamref r;
    uint8_t b[CER_STREAMID_BYTES_MAX];
    int n;

    ck_assert_int_eq(from_hex(&r, "ce0100 0070 1220 54b36d564eadf2dc3fa62b5e34f05066ae8affd81eb9652"
                                  "49639f0a755d1b3bc"), 0);
    ck_assert_uint_eq(r.genesis.version, 0);
    ck_assert_uint_eq(r.genesis.codec, CER_CODEC_DAG_PB);
    n = cer_streamref_to_bytes(b, sizeof b, &r);
    ck_assert_int_eq(n, 37);
    ck_assert_int_eq(cer_streamref_from_bytes(&r, b, (size_t)n), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "unknown version 18"));
}
END_TEST

/* The registered vectors re-read from bytes and strings built here. */
START_TEST(test_round_trip_built)
{
    static const uint64_t types[] = {0, 1, 2, 3, 4, 5, 127, 128, 300, 16384, INT64_MAX};
    cer_streamref r = {0}, p;
    char s[CER_STREAMID_STR_MAX];
    uint8_t b[CER_STREAMID_BYTES_MAX];

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        uint8_t block[2] = {(uint8_t)i, 0x42};
        r.type = types[i];
        cer_cid_of_block(&r.genesis, i % 2 ? CER_CODEC_DAG_JOSE : CER_CODEC_DAG_CBOR, block, 2);
        cer_cid_of_block(&r.commit, CER_CODEC_DAG_CBOR, block, 1);
        for (int k = 0; k < 3; k++) {
            int n;
            r.is_commit = k > 0;
            if (k == 2)
                r.commit = r.genesis;
            ck_assert_int_gt(cer_streamref_to_string(s, sizeof s, &r), 0);
            p = parse_ok(s);
            ck_assert_uint_eq(p.type, r.type);
            ck_assert(cer_cid_equal(&p.genesis, &r.genesis));
            ck_assert(p.is_commit == r.is_commit);
            if (r.is_commit)
                ck_assert(cer_cid_equal(&p.commit, &r.commit));
            n = cer_streamref_to_bytes(b, sizeof b, &r);
            ck_assert_int_gt(n, 0);
            if (k == 2)
                ck_assert_uint_eq(b[n - 1], 0);
            ck_assert_int_eq(cer_streamref_from_bytes(&p, b, (size_t)n), 0);
            ck_assert(cer_streamref_same_stream(&p, &r));
        }
    }
}
END_TEST

/* Every proper prefix of a StreamID's bytes is refused; for a CommitID the
 * one prefix that ends at the genesis CID is its StreamID. */
START_TEST(test_truncations)
{
    cJSON *root = tu_load_json("protocol-ids.json");
    const cJSON *v;
    char s[CER_STREAMID_STR_MAX];

    cJSON_ArrayForEach(v, tu_get(root, "streamrefs")) {
        size_t len, base_len;
        uint8_t *b = tu_unhex(tu_str(v, "hex"), &len);
        uint8_t base[CER_STREAMID_BYTES_MAX];
        cer_streamref full, r;

        ck_assert_int_eq(cer_streamref_from_bytes(&full, b, len), 0);
        full.is_commit = false;
        base_len = (size_t)cer_streamref_to_bytes(base, sizeof base, &full);
        for (size_t i = 0; i < len; i++) {
            int rc = cer_streamref_from_bytes(&r, b, i);
            if (i == base_len) {
                ck_assert_int_eq(rc, 0);
                ck_assert(!r.is_commit);
                continue;
            }
            ck_assert_msg(rc == -EINVAL, "%s: prefix of %zu bytes accepted", tu_str(v, "name"), i);
            if (i > 0) {
                ck_assert_int_gt(cer_multibase_encode(s, sizeof s, CER_BASE36, b, i), 0);
                expect_parse_fail(s, -EINVAL, NULL);
            }
        }
        free(b);
    }
    cJSON_Delete(root);
}
END_TEST

START_TEST(test_bad_bytes)
{
    /* V1 with modifications */
    static const char v1[] = "ce0100 0185011220 54b36d564eadf2dc3fa62b5e34f05066ae8affd81eb965249639f0a755d1b3bc";
    static const char cid[] = "0185011220 54b36d564eadf2dc3fa62b5e34f05066ae8affd81eb965249639f0a755d1b3bc";
    char hex[512];
    size_t len;
    uint8_t *b;
    cer_streamref r;

    expect_bytes_fail((const uint8_t *)"", 0, "no bytes");
    /* wrong codecs: 0xcf, 0x4e (ce 00 is not minimal either), raw CID bytes */
    snprintf(hex, sizeof hex, "cf01 00 %s", cid);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, "is not streamid");
    free(b);
    snprintf(hex, sizeof hex, "4e 00 %s", cid);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, "is not streamid");
    free(b);
    b = tu_unhex(cid, &len);
    expect_bytes_fail(b, len, "is not streamid");
    free(b);
    /* non-minimal codec varint */
    snprintf(hex, sizeof hex, "ce81 00 00 %s", cid);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, NULL);
    free(b);
    /* unknown CID version 2 */
    snprintf(hex, sizeof hex, "ce0100 02%s", cid + 2);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, "unknown version 2");
    free(b);
    /* trailing bytes after a commit CID, and after 00 */
    snprintf(hex, sizeof hex, "%s %s 00", v1, cid);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, "1 trailing bytes");
    free(b);
    snprintf(hex, sizeof hex, "%s 00 00", v1);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, NULL);
    free(b);
    snprintf(hex, sizeof hex, "%s 01", v1);
    b = tu_unhex(hex, &len);
    expect_bytes_fail(b, len, "commit CID");
    free(b);
    /* a digest over 64 bytes */
    b = calloc(100000, 1);
    memcpy(b, "\xce\x01\x00\x01\x71\x00\x41", 7);
    expect_bytes_fail(b, 7 + 65, "too long");
    /* huge input: a valid CommitID followed by zeros */
    snprintf(hex, sizeof hex, "%s %s", v1, cid);
    {
        uint8_t *ok = tu_unhex(hex, &len);
        memcpy(b, ok, len);
        free(ok);
    }
    expect_bytes_fail(b, 100000, "trailing");
    free(b);
    ck_assert_int_eq(cer_streamref_from_bytes(NULL, (const uint8_t *)"", 0), -EINVAL);
    ck_assert_int_eq(cer_streamref_from_bytes(&r, NULL, 3), -EINVAL);
}
END_TEST

START_TEST(test_bad_strings)
{
    static const char v1[] = "kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s";
    static const char g[] = "bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a";
    char s[2048];
    char *huge;
    cer_streamref r;

    expect_parse_fail("", -EINVAL, "empty");
    expect_parse_fail("k", -EINVAL, "nothing after");
    expect_parse_fail("ceramic://", -EINVAL, "no id");
    expect_parse_fail("/ceramic/", -EINVAL, "no id");
    expect_parse_fail("?commit=0", -EINVAL, "no id");
    expect_parse_fail("KJZL6CWE1JW147DVQ16ZLUOJMRAQVWDMBH61DX9E0C59I344LCRSGQFOHEXP60S", -EINVAL,
                      "upper-case");
    expect_parse_fail("Kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s", -EINVAL,
                      "upper-case");
    expect_parse_fail("kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexP60s", -EINVAL,
                      "'P' at 59");
    expect_parse_fail("kjzl6cwe1jw147dvq16zluojmraqv-dmbh61dx9e0c59i344lcrsgqfohexp60s", -EINVAL,
                      "'-'");
    expect_parse_fail("kjzl6cwe1jw147dvq16zluojmraqv\xff" "dmbh61dx9e0c59i344lcrsgqfohexp60s", -EINVAL,
                      "byte 0xff");
    expect_parse_fail("bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a", -EINVAL,
                      "prefix 'k'");
    expect_parse_fail("zjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s", -EINVAL, NULL);
    expect_parse_fail("ceramic:/kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s",
                      -EINVAL, NULL);
    expect_parse_fail("ceramic://ceramic://kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgq",
                      -EINVAL, NULL);
    expect_parse_fail("hello world", -EINVAL, NULL);

    snprintf(s, sizeof s, " %s", v1);
    expect_parse_fail(s, -EINVAL, NULL);
    snprintf(s, sizeof s, "%s ", v1);
    expect_parse_fail(s, -EINVAL, "' '");
    snprintf(s, sizeof s, "%s\n", v1);
    expect_parse_fail(s, -EINVAL, "byte 0x0a");
    snprintf(s, sizeof s, "%s?version=0", v1);
    expect_parse_fail(s, -EINVAL, "after the id");
    snprintf(s, sizeof s, "%s?", v1);
    expect_parse_fail(s, -EINVAL, "after the id");
    snprintf(s, sizeof s, "%s?commit=", v1);
    expect_parse_fail(s, -EINVAL, "needs a CID");
    snprintf(s, sizeof s, "%s?commit=00", v1);
    expect_parse_fail(s, -EINVAL, "neither 0 nor a CID");
    snprintf(s, sizeof s, "%s?commit=1", v1);
    expect_parse_fail(s, -EINVAL, "neither 0 nor a CID");
    snprintf(s, sizeof s, "%s?commit=0?commit=0", v1);
    expect_parse_fail(s, -EINVAL, NULL);
    snprintf(s, sizeof s, "%s?commit=%s&x=1", v1, g);
    expect_parse_fail(s, -EINVAL, "commit");
    snprintf(s, sizeof s, "%s?commit=%.40s", v1, g);
    expect_parse_fail(s, -EINVAL, "commit");
    snprintf(s, sizeof s, "%s?commit=bafy", v1);
    expect_parse_fail(s, -EINVAL, "commit");
    snprintf(s, sizeof s, "%s?commit=QmU3HeDEfpLysxm7tPXp5e9pAdgmY8pnjEv8Eyi6yC", v1);
    expect_parse_fail(s, -EINVAL, "commit");
    snprintf(s, sizeof s, "%s?commit=mAXESIF6PHU3", v1);
    expect_parse_fail(s, -EINVAL, "neither 0 nor a CID");
    snprintf(s, sizeof s, "%s?commit=%s", v1, v1);
    expect_parse_fail(s, -EINVAL, "neither 0 nor a CID");
    snprintf(s, sizeof s, "%s?commit=B%s", v1, g + 1);
    expect_parse_fail(s, -EINVAL, "neither 0 nor a CID");
    /* a commit string longer than any CID is malformed, not -ENOSPC */
    snprintf(s, sizeof s, "%s?commit=b", v1);
    memset(s + strlen(s), 'a', 600);
    s[strlen(v1) + 9 + 600] = '\0';
    expect_parse_fail(s, -EINVAL, "longer than any CID");

    /* length bound: over the limit -EFBIG; at the limit an ordinary parse error */
    huge = malloc(1 << 20);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'a', (1 << 20) - 1);
    huge[0] = 'k';
    huge[(1 << 20) - 1] = '\0';
    expect_parse_fail(huge, -EFBIG, "over 1024");
    huge[CER_STREAMREF_INPUT_MAX + 1] = '\0';
    expect_parse_fail(huge, -EFBIG, NULL);
    huge[CER_STREAMREF_INPUT_MAX] = '\0';
    expect_parse_fail(huge, -EINVAL, "is not streamid");
    free(huge);

    ck_assert_int_eq(cer_streamref_parse(&r, NULL), -EINVAL);
    ck_assert_int_eq(cer_streamref_parse(NULL, v1), -EINVAL);
}
END_TEST

/* A failed parse leaves *out alone and the message names the input. */
START_TEST(test_failure_leaves_output)
{
    cer_streamref r = parse_ok("kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s"), before = r;

    ck_assert_int_eq(cer_streamref_parse(&r, "kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgq"),
                     -EINVAL);
    ck_assert_mem_eq(&r, &before, sizeof r);
    ck_assert_msg(strncmp(cer_errmsg(), "streamid 'kjzl6cwe1jw147", 24) == 0, "%s", cer_errmsg());
}
END_TEST

START_TEST(test_output_space)
{
    cer_streamref r = parse_ok("kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s");
    char s[CER_STREAMID_STR_MAX];
    uint8_t b[CER_STREAMID_BYTES_MAX];

    ck_assert_int_eq(cer_streamref_to_bytes(b, 39, &r), -ENOSPC);
    ck_assert_int_eq(cer_streamref_to_bytes(b, 40, &r), 40);
    ck_assert_int_eq(cer_streamref_to_string(s, 63, &r), -ENOSPC);
    ck_assert_int_eq(cer_streamref_to_string(s, 64, &r), 63);
    r.type = (uint64_t)INT64_MAX + 1;
    ck_assert_int_eq(cer_streamref_to_bytes(b, sizeof b, &r), -EINVAL);
    r.type = 0;
    r.genesis.version = 2;
    ck_assert_int_eq(cer_streamref_to_string(s, sizeof s, &r), -EINVAL);
}
END_TEST

/* The longest streamref the parser can return still fits the public
 * buffer sizes. */
START_TEST(test_max_sizes)
{
    cer_streamref r = {0}, p;
    char s[CER_STREAMID_STR_MAX];
    int n;

    r.type = INT64_MAX;
    r.genesis.version = 1;
    r.genesis.codec = INT64_MAX;
    r.genesis.mh_code = INT64_MAX;
    r.genesis.digest_len = CER_CID_DIGEST_MAX;
    memset(r.genesis.digest, 0xff, CER_CID_DIGEST_MAX);
    r.commit = r.genesis;
    r.commit.digest[0] = 0;
    r.is_commit = true;
    n = cer_streamref_to_string(s, sizeof s, &r);
    ck_assert_msg(n > 0, "%s", cer_errmsg());
    p = parse_ok(s);
    ck_assert(cer_cid_equal(&p.commit, &r.commit));
    ck_assert_int_lt(n, CER_STREAMID_STR_MAX);
}
END_TEST

START_TEST(test_same_stream)
{
    cer_streamref v1 = parse_ok("kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s");
    cer_streamref v3 = parse_ok("k1dpgaqe3i64kjqcp801r3sn7ysi5i0k7nxvs7j351s7kewfzr3l7mdxnj7szwo4kr9mn2qki5"
                                "nnj0cv836ythy1t1gya9s25cn1nexst3jxi5o3h6qprfyju");
    cer_streamref v4 = parse_ok("k2t6wyfsu4pg0t2n4j8ms3s33xsgqjhtto04mvq8w5a2v5xo48idyz38l7ydki");
    cer_streamref other_type = v1;

    other_type.type = CER_STREAM_MODEL;
    ck_assert(cer_streamref_same_stream(&v1, &v3));
    ck_assert(!cer_streamref_same_stream(&v1, &v4));
    ck_assert(!cer_streamref_same_stream(&v1, &other_type));
}
END_TEST

static Suite *streamid_suite(void)
{
    Suite *s = suite_create("streamid");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_type_names);
    tcase_add_test(tc, test_protocol_vectors);
    tcase_add_test(tc, test_meta_model_quirk);
    tcase_add_test(tc, test_js_vectors);
    tcase_add_test(tc, test_js_edge_cases);
    tcase_add_test(tc, test_cidv0_genesis);
    tcase_add_test(tc, test_round_trip_built);
    tcase_add_test(tc, test_truncations);
    tcase_add_test(tc, test_bad_bytes);
    tcase_add_test(tc, test_bad_strings);
    tcase_add_test(tc, test_failure_leaves_output);
    tcase_add_test(tc, test_output_space);
    tcase_add_test(tc, test_max_sizes);
    tcase_add_test(tc, test_same_stream);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(streamid_suite)
