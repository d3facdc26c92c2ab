/*
 * test_car.c — CAR v1 files (car.c) and streams through them
 * (carstream.c): the writer gives @ipld/car's bytes (vectors/car.json),
 * the reader reads them back and refuses what is not a whole, honest CAR
 * (a block that does not hash to its CID, every truncation, a huge
 * length, a header without roots or of another version, trailing bytes,
 * an oversized block) in time linear in the size; a stream written by
 * js's libraries imports, and export then import gives the same state.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The CAR of a car.json case, written by us. */
static void write_case(cer_buf *out, const cJSON *c)
{
    const cJSON *roots = tu_get(c, "roots"), *blocks = tu_get(c, "blocks"), *r, *b;
    cer_cid rs[4];
    size_t n = 0;

    cJSON_ArrayForEach(r, roots) ck_assert_int_eq(cer_cid_parse(&rs[n++], r->valuestring), 0);
    ck_assert_int_eq(cer_car_put_header(out, rs, n), 0);
    cJSON_ArrayForEach(b, blocks) {
        cer_cid cid;
        size_t len;
        uint8_t *data = tu_unhex(tu_str(b, "hex"), &len);
        ck_assert_int_eq(cer_cid_parse(&cid, tu_str(b, "cid")), 0);
        ck_assert_int_eq(cer_car_put_block(out, &cid, data, len), 0);
        free(data);
    }
}

START_TEST(test_js_bytes)
{
    cJSON *v = tu_load_json("car.json");
    const cJSON *c;

    cJSON_ArrayForEach(c, tu_get(v, "cases")) {
        cer_buf car = CER_BUF_INIT;
        cer_car r;
        size_t i = 0;
        const cJSON *b;

        write_case(&car, c);
        tu_assert_hex(car.data, car.len, tu_str(c, "car_hex"));
        ck_assert_msg(cer_car_read(&r, car.data, car.len) == 0, "%s: %s", tu_str(c, "name"), cer_errmsg());
        ck_assert_uint_eq(r.nroots, (size_t)cJSON_GetArraySize(tu_get(c, "roots")));
        ck_assert_uint_eq(r.nblocks, (size_t)cJSON_GetArraySize(tu_get(c, "blocks")));
        cJSON_ArrayForEach(b, tu_get(c, "blocks")) {
            char s[CER_CID_STR_MAX];
            cer_cid_to_string(s, sizeof s, &r.blocks[i].cid);
            ck_assert_str_eq(s, tu_str(b, "cid"));
            ck_assert_ptr_eq(cer_car_get(&r, &r.blocks[i].cid), &r.blocks[i]);
            i++;
        }
        cer_car_free(&r);
        cer_buf_free(&car);
    }
    cJSON_Delete(v);
}
END_TEST

/* The "update" case of car.json: root the update, four blocks. */
static uint8_t *update_car(size_t *len)
{
    cJSON *v = tu_load_json("car.json");
    uint8_t *car = tu_unhex(tu_str(cJSON_GetArrayItem(tu_get(v, "cases"), 1), "car_hex"), len);

    cJSON_Delete(v);
    return car;
}

static void expect_refused(const uint8_t *car, size_t len, int err, const char *why)
{
    cer_car r;
    int rc = cer_car_read(&r, car, len);

    ck_assert_msg(rc < 0, "accepted: %s", why);
    if (err)
        ck_assert_msg(rc == err, "%s: %d (%s)", why, rc, cer_errmsg());
    ck_assert_ptr_null(r.blocks);
    ck_assert_int_eq(cer_car_each(car, len, NULL, NULL) < 0, 1);
}

/* A CAR: header hex, then raw bytes appended. */
static cer_buf with_header(const char *hdr_hex, const uint8_t *rest, size_t n)
{
    cer_buf b = CER_BUF_INIT;
    size_t hl;
    uint8_t *h = tu_unhex(hdr_hex, &hl), v[CER_VARINT_MAX];

    ck_assert_int_eq(cer_buf_append(&b, v, cer_varint_put(v, hl)), 0);
    ck_assert_int_eq(cer_buf_append(&b, h, hl), 0);
    if (n)
        ck_assert_int_eq(cer_buf_append(&b, rest, n), 0);
    free(h);
    return b;
}

START_TEST(test_refused)
{
    size_t len;
    uint8_t *car = update_car(&len), *bad = malloc(len + 16);
    cer_cid root;
    uint64_t hl;
    int hn = cer_varint_get(&hl, car, len);

    /* every truncation is a clear error, except at a section's end (a CAR
     * has no terminator: that is a CAR of fewer blocks, whose import then
     * misses the rest) */
    size_t ends = 0;
    for (size_t n = 0; n < len; n++) {
        cer_car r;
        if (cer_car_read(&r, car, n) < 0) {
            expect_refused(car, n, 0, "a truncated CAR");
            continue;
        }
        ck_assert(r.nblocks ? r.blocks[r.nblocks - 1].data + r.blocks[r.nblocks - 1].len == car + n
                            : n == (size_t)hn + hl);
        ends++;
        cer_car_free(&r);
    }
    ck_assert_uint_eq(ends, 4);
    ck_assert_int_eq(cer_car_root(&root, car, len), 0);
    /* a byte of a block changed: it no longer hashes to its CID */
    memcpy(bad, car, len);
    bad[len - 1] ^= 1;
    expect_refused(bad, len, -EBADMSG, "a block whose bytes do not match its CID");
    /* trailing bytes: a zero section, half a section, a whole CAR again */
    memcpy(bad, car, len);
    bad[len] = 0;
    expect_refused(bad, len + 1, -EINVAL, "a zero-length section");
    bad[len] = 0x05, bad[len + 1] = 0x01;
    expect_refused(bad, len + 2, -EINVAL, "half a section after the last");
    /* a huge section length (2^63 - 1), at the first section */
    memcpy(bad, car, (size_t)hn + hl);
    memcpy(bad + hn + hl, "\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
    expect_refused(bad, (size_t)hn + hl + 9, -EFBIG, "a huge section length");
    /* a huge header length */
    expect_refused((const uint8_t *)"\xff\xff\xff\xff\x0f\xa2", 6, -EINVAL, "a huge header length");
    free(bad);
    free(car);
    /* headers: {version: 1}; {roots: [], version: 1}; version 2; an extra
     * field; roots not links; not a map */
    static const char *headers[] = {
        "a1 67 76657273696f6e 01",
        "a2 65 726f6f7473 80 67 76657273696f6e 01",
        "a2 65 726f6f7473 81 d82a 5825 0001711220 " "00000000000000000000000000000000 00000000000000000000000000000000"
        " 67 76657273696f6e 02",
        "a3 61 78 01 65 726f6f7473 81 d82a 5825 0001711220 " "00000000000000000000000000000000 00000000000000000000000000000000"
        " 67 76657273696f6e 01",
        "a2 65 726f6f7473 81 01 67 76657273696f6e 01",
        "82 01 02",
    };
    static const int errs[] = {-EINVAL, -EINVAL, -ENOTSUP, -EINVAL, -EINVAL, -EINVAL};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        cer_buf b = with_header(headers[i], NULL, 0);
        expect_refused(b.data, b.len, errs[i], headers[i]);
        cer_buf_free(&b);
    }
}
END_TEST

/* A raw block's CID. */
static cer_cid raw_cid(const uint8_t *data, size_t n)
{
    cer_cid c;

    ck_assert_int_eq(cer_cid_of_block(&c, CER_CODEC_RAW, data, n), 0);
    return c;
}

START_TEST(test_sizes_and_repeats)
{
    size_t n = CER_BLOCK_MAX + 1;
    uint8_t *big = calloc(1, n);
    cer_cid c = raw_cid(big, n), small = raw_cid(big, 10);
    cer_buf car = CER_BUF_INIT;
    cer_car r;

    /* a block over the limit, its CID right */
    ck_assert_int_eq(cer_car_put_header(&car, &c, 1), 0);
    ck_assert_int_eq(cer_car_put_block(&car, &c, big, n), 0);
    expect_refused(car.data, car.len, -EFBIG, "a block over CER_BLOCK_MAX");
    car.len = 0;
    /* one at the limit is fine; a repeated block is kept once */
    c = raw_cid(big, n - 1);
    ck_assert_int_eq(cer_car_put_header(&car, &c, 1), 0);
    ck_assert_int_eq(cer_car_put_block(&car, &c, big, n - 1), 0);
    ck_assert_int_eq(cer_car_put_block(&car, &small, big, 10), 0);
    ck_assert_int_eq(cer_car_put_block(&car, &c, big, n - 1), 0);
    ck_assert_msg(cer_car_read(&r, car.data, car.len) == 0, "%s", cer_errmsg());
    ck_assert_uint_eq(r.nblocks, 2);
    ck_assert_uint_eq(cer_car_get(&r, &c)->len, n - 1);
    ck_assert_uint_eq(cer_car_get(&r, &small)->len, 10);
    ck_assert_ptr_null(cer_car_get(&r, &(cer_cid){0}));
    cer_car_free(&r);
    ck_assert_int_eq(cer_car_each(car.data, car.len, NULL, NULL), 2);
    cer_buf_free(&car);
    free(big);
}
END_TEST

/* CPU seconds (the thread's own, so a busy machine's preemption does not
 * count) to read a CAR of n distinct 8-byte raw blocks (best of 3). */
static double read_time(size_t n)
{
    cer_buf car = CER_BUF_INIT;
    double best = 1e9;
    cer_cid c;

    for (size_t i = 0; i < n; i++) {
        uint64_t v = i;
        c = raw_cid((uint8_t *)&v, sizeof v);
        if (i == 0)
            ck_assert_int_eq(cer_car_put_header(&car, &c, 1), 0);
        ck_assert_int_eq(cer_car_put_block(&car, &c, (uint8_t *)&v, sizeof v), 0);
    }
    for (int k = 0; k < 3; k++) {
        struct timespec a, b;
        cer_car r;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        ck_assert_int_eq(cer_car_read(&r, car.data, car.len), 0);
        ck_assert_uint_eq(r.nblocks, n);
        for (size_t i = 0; i < n; i++)
            ck_assert_ptr_nonnull(cer_car_get(&r, &r.blocks[i].cid));
        cer_car_free(&r);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        double t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        best = t < best ? t : best;
    }
    cer_buf_free(&car);
    return best;
}

START_TEST(test_linear)
{
    double t1 = read_time(20000), t8 = read_time(160000);

    /* 8 times the blocks: about 8 times the time, far from 64 */
    ck_assert_msg(t8 < 20 * t1 + 0.05, "20000 blocks %.4fs, 160000 blocks %.4fs", t1, t8);
}
END_TEST

static cer_node *open_node(char *dir)
{
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    cer_node *node;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_msg(cer_node_open(&node, &o) == 0, "open: %s", cer_errmsg());
    return node;
}

static void count_result(void *arg, const cer_car_result *r)
{
    int *n = arg;

    ck_assert_msg(r->err == 0 && r->loaded, "%s", r->why);
    (*n)++;
}

static void keep_result(void *arg, const cer_car_result *r)
{
    *(cer_car_result *)arg = *r;
}

START_TEST(test_streams)
{
    char d1[] = "/tmp/test_car.XXXXXX", d2[] = "/tmp/test_car.XXXXXX";
    cer_node *a = open_node(d1), *b = open_node(d2);
    cJSON *v = tu_load_json("car.json");
    size_t len;
    uint8_t *car = update_car(&len);
    cer_buf out = CER_BUF_INIT;
    cer_streamref id;
    cer_state *sa = NULL, *sb = NULL;
    int n = 0;

    /* js's stream, through a CAR js's library wrote */
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(v, "stream_id")), 0);
    ck_assert_msg(cer_node_import_car(a, car, len, count_result, &n) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(cer_node_state(a, &sa, &id), 0);
    ck_assert_uint_eq(sa->log_len, 2);
    /* out and into another node: the same state */
    ck_assert_msg(cer_node_export_car(a, &id, &out) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_import_car(b, out.data, out.len, count_result, &n), 0);
    ck_assert_int_eq(cer_node_state(b, &sb, &id), 0);
    ck_assert(cer_json_equal(sa->content, sb->content));
    ck_assert(cer_cid_equal(cer_state_tip(sa), cer_state_tip(sb)));
    /* the export holds the four blocks, each once */
    ck_assert_int_eq(cer_car_each(out.data, out.len, NULL, NULL), 4);
    ck_assert_int_eq(cer_node_verify(b, &id), 0);
    /* two roots, two results (here the same stream: its tip and genesis) */
    cer_buf_free(&out);
    write_case(&out, cJSON_GetArrayItem(tu_get(v, "cases"), 2));
    ck_assert_int_eq(cer_node_import_car(b, out.data, out.len, count_result, &n), 0);
    ck_assert_int_eq(n, 4);
    /* a root the CAR lacks: refused, named, nothing loaded */
    {
        cer_cid g = raw_cid((const uint8_t *)"x", 1);
        cer_car_result r = {0};
        cer_buf_free(&out);
        ck_assert_int_eq(cer_car_put_header(&out, &g, 1), 0);
        ck_assert_int_eq(cer_node_import_car(b, out.data, out.len, keep_result, &r), 1);
        ck_assert(!r.loaded && r.err < 0 && r.why[0]);
    }
    /* malformed: a negative errno, nothing heard */
    ck_assert_int_lt(cer_node_import_car(b, out.data, out.len - 1, count_result, &n), 0);
    ck_assert_int_eq(n, 4);
    cer_state_free(sa);
    cer_state_free(sb);
    cer_buf_free(&out);
    free(car);
    cJSON_Delete(v);
    cer_node_close(a);
    cer_node_close(b);
    tu_rm_tree(d1);
    tu_rm_tree(d2);
}
END_TEST

static Suite *car_suite(void)
{
    Suite *s = suite_create("car");
    TCase *tc = tcase_create("car");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_js_bytes);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_sizes_and_repeats);
    tcase_add_test(tc, test_linear);
    tcase_add_test(tc, test_streams);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(car_suite)
