/*
 * test_store.c — the block store: the front end's checks (CID and size,
 * both ways) over both backends (memory and flatfs), the flatfs layout,
 * crash leftovers, concurrent puts, NOSYNC, and fault injection at every
 * system call of a put (each failure is a clean error that leaves no temp
 * file and no partial block).
 */
#include "testutil.h"

#include "flatfs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MEM = 0, DIR_STORE = 1 };

/* The per-test scratch directory (made by setup, removed by teardown). */
static char tmpdir[64];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/cer-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    tu_rm_tree(tmpdir);
}

/* tmpdir/<sub> as a new string; caller frees. */
static char *sub(const char *name)
{
    char *p = malloc(strlen(tmpdir) + strlen(name) + 2);

    ck_assert_ptr_nonnull(p);
    sprintf(p, "%s/%s", tmpdir, name);
    return p;
}

static cer_store *open_store(int kind, unsigned flags)
{
    cer_store *s = NULL;

    if (kind == MEM) {
        ck_assert_int_eq(cer_store_open_mem(&s), 0);
    } else {
        char *dir = sub("blocks");
        ck_assert_int_eq(cer_store_open_dir(&s, dir, flags), 0);
        free(dir);
    }
    ck_assert_ptr_nonnull(s);
    return s;
}

/* A test block: len bytes derived from seed, with its raw CID. */
typedef struct tblock {
    cer_cid cid;
    size_t len;
    uint8_t *data;
} tblock;

static tblock make_block(unsigned seed, size_t len)
{
    tblock b = {.len = len, .data = malloc(len ? len : 1)};

    ck_assert_ptr_nonnull(b.data);
    for (size_t i = 0; i < len; i++)
        b.data[i] = (uint8_t)((seed * 2654435761u + i * 40503u) >> 7);
    if (len >= 4)
        memcpy(b.data, &seed, sizeof seed);
    ck_assert_int_eq(cer_cid_of_block(&b.cid, CER_CODEC_RAW, b.data, len), 0);
    return b;
}

static void assert_block(cer_store *s, const tblock *b)
{
    cer_buf out = CER_BUF_INIT;

    ck_assert_int_eq(cer_store_get(s, &b->cid, &out), 0);
    ck_assert_uint_eq(out.len, b->len);
    ck_assert(b->len == 0 || memcmp(out.data, b->data, b->len) == 0);
    cer_buf_free(&out);
}

static void cid_str(char out[CER_CID_STR_MAX], const cer_cid *cid)
{
    ck_assert_int_gt(cer_cid_to_string(out, CER_CID_STR_MAX, cid), 3);
}

/* tmpdir/blocks/<next-to-last-2>/<cid>.data; caller frees. */
static char *block_path(const cer_cid *cid)
{
    char name[CER_CID_STR_MAX], *p = malloc(strlen(tmpdir) + CER_CID_STR_MAX + 32);
    size_t n;

    ck_assert_ptr_nonnull(p);
    cid_str(name, cid);
    n = strlen(name);
    sprintf(p, "%s/blocks/%.2s/%s.data", tmpdir, name + n - 3, name);
    return p;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Files under tmpdir whose name starts with ".tmp-". */
static int ntemps;
static int count_temp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (strncmp(path + ftw->base, ".tmp-", 5) == 0)
        ntemps++;
    return 0;
}

static int temp_files(void)
{
    ntemps = 0;
    nftw(tmpdir, count_temp, 16, FTW_PHYS);
    return ntemps;
}

/* ---- both backends ---- */

START_TEST(round_trip)
{
    cer_store *s = open_store(_i, 0);
    tblock a = make_block(1, 300), empty = make_block(2, 0);

    ck_assert_int_eq(cer_store_has(s, &a.cid), 0);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(cer_store_has(s, &a.cid), 1);
    assert_block(s, &a);
    ck_assert_int_eq(cer_store_put(s, &empty.cid, empty.data, 0), 0);
    assert_block(s, &empty);
    cer_store_close(s);
    free(a.data);
    free(empty.data);
}
END_TEST

START_TEST(idempotent_put)
{
    cer_store *s = open_store(_i, 0);
    tblock a = make_block(3, 1000);

    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    assert_block(s, &a);
    ck_assert_int_eq(temp_files(), 0);
    cer_store_close(s);
    free(a.data);
}
END_TEST

static int count_cid(const cer_cid *cid, void *arg)
{
    (void)cid;
    ++*(int *)arg;
    return 0;
}

static int stop_at_two(const cer_cid *cid, void *arg)
{
    (void)cid;
    return ++*(int *)arg == 2 ? 7 : 0;
}

/* every block is listed once; a non-zero return stops the walk */
START_TEST(lists_blocks)
{
    cer_store *s = open_store(_i, 0);
    tblock b[5];
    int n = 0;

    ck_assert_int_eq(cer_store_each(s, count_cid, &n), 0);
    ck_assert_int_eq(n, 0);
    for (int k = 0; k < 5; k++) {
        b[k] = make_block(40 + k, 100 + (size_t)k);
        ck_assert_int_eq(cer_store_put(s, &b[k].cid, b[k].data, b[k].len), 0);
        ck_assert_int_eq(cer_store_put(s, &b[k].cid, b[k].data, b[k].len), 0);
    }
    ck_assert_int_eq(cer_store_each(s, count_cid, &n), 0);
    ck_assert_int_eq(n, 5);
    n = 0;
    ck_assert_int_eq(cer_store_each(s, stop_at_two, &n), 7);
    ck_assert_int_eq(n, 2);
    cer_store_close(s);
    for (int k = 0; k < 5; k++)
        free(b[k].data);
}
END_TEST

START_TEST(absent_is_enoent)
{
    cer_store *s = open_store(_i, 0);
    tblock a = make_block(4, 50);
    cer_buf out = CER_BUF_INIT;
    char name[CER_CID_STR_MAX];

    cid_str(name, &a.cid);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), -ENOENT);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), name));
    ck_assert_int_eq(cer_store_has(s, &a.cid), 0);
    cer_buf_free(&out);
    cer_store_close(s);
    free(a.data);
}
END_TEST

START_TEST(refuses_wrong_bytes)
{
    cer_store *s = open_store(_i, 0);
    tblock a = make_block(5, 64);

    a.data[10] ^= 1;
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), -EBADMSG);
    ck_assert_int_eq(cer_store_has(s, &a.cid), 0);
    ck_assert_int_eq(temp_files(), 0);
    cer_store_close(s);
    free(a.data);
}
END_TEST

START_TEST(refuses_oversized)
{
    cer_store *s = open_store(_i, 0);
    tblock max = make_block(6, CER_BLOCK_MAX), over = make_block(7, CER_BLOCK_MAX + 1);

    ck_assert_int_eq(cer_store_put(s, &over.cid, over.data, over.len), -EFBIG);
    ck_assert_int_eq(cer_store_has(s, &over.cid), 0);
    ck_assert_int_eq(cer_store_put(s, &max.cid, max.data, max.len), 0);
    assert_block(s, &max);
    cer_store_close(s);
    free(max.data);
    free(over.data);
}
END_TEST

START_TEST(commit_blocks)
{
    cer_store *s = open_store(_i, 0);
    cJSON *hdr = cJSON_Parse("{\"family\":\"t\",\"unique\":\"u\"}"), *content = cJSON_Parse("{\"a\":1}");
    cer_commit_blocks c;
    cer_key key;
    uint8_t seed[32] = {1};
    cer_buf out = CER_BUF_INIT;

    ck_assert_int_eq(cer_key_from_seed(&key, seed), 0);
    ck_assert_int_eq(cer_tile_genesis(&c, &key, hdr, content), 0);
    ck_assert_int_eq(cer_store_put_commit(s, &c), 0);
    ck_assert_int_eq(cer_store_get(s, &c.payload.cid, &out), 0);
    ck_assert_uint_eq(out.len, c.payload.bytes.len);
    ck_assert_int_eq(cer_store_get(s, cer_commit_cid(&c), &out), 0);
    ck_assert_uint_eq(out.len, c.envelope.bytes.len);
    ck_assert_int_eq(memcmp(out.data, c.envelope.bytes.data, out.len), 0);
    cer_buf_free(&out);
    cer_commit_blocks_free(&c);
    cJSON_Delete(hdr);
    cJSON_Delete(content);
    cer_store_close(s);
}
END_TEST

/* ---- concurrency ---- */

#define NTHREADS 8
#define NSHARED 40
#define NOWN 20

typedef struct worker {
    cer_store *s;
    unsigned id;
    int rc;
    char msg[256];
} worker;

static void *put_many(void *arg)
{
    worker *w = arg;

    for (unsigned k = 0; k < NSHARED + NOWN && w->rc == 0; k++) {
        unsigned seed = k < NSHARED ? 1000 + k : 2000 + w->id * 100 + k;
        tblock b = {.len = 200 + seed % 300};
        cer_buf out = CER_BUF_INIT;

        b.data = malloc(b.len);
        for (size_t i = 0; i < b.len; i++)
            b.data[i] = (uint8_t)(seed + i * 7);
        if ((w->rc = cer_cid_of_block(&b.cid, CER_CODEC_RAW, b.data, b.len)) == 0 &&
            (w->rc = cer_store_put(w->s, &b.cid, b.data, b.len)) == 0 &&
            (w->rc = cer_store_get(w->s, &b.cid, &out)) == 0 &&
            (out.len != b.len || memcmp(out.data, b.data, b.len) != 0))
            w->rc = -EIO;
        if (w->rc)
            snprintf(w->msg, sizeof w->msg, "%s", cer_errmsg());
        cer_buf_free(&out);
        free(b.data);
    }
    return NULL;
}

START_TEST(concurrent_puts)
{
    cer_store *s = open_store(_i, CER_STORE_NOSYNC);
    pthread_t t[NTHREADS];
    worker w[NTHREADS];

    for (unsigned k = 0; k < NTHREADS; k++) {
        w[k] = (worker){.s = s, .id = k};
        ck_assert_int_eq(pthread_create(&t[k], NULL, put_many, &w[k]), 0);
    }
    for (unsigned k = 0; k < NTHREADS; k++)
        ck_assert_int_eq(pthread_join(t[k], NULL), 0);
    for (unsigned k = 0; k < NTHREADS; k++)
        ck_assert_msg(w[k].rc == 0, "thread %u: %d %s", k, w[k].rc, w[k].msg);
    ck_assert_int_eq(temp_files(), 0);
    cer_store_close(s);
}
END_TEST

/* ---- flatfs on disk ---- */

START_TEST(layout)
{
    char *top = sub("a/b/blocks"), *file, name[CER_CID_STR_MAX];
    cer_store *s;
    tblock a = make_block(8, 123);
    struct stat st;
    size_t n;

    umask(022);
    ck_assert_int_eq(cer_store_open_dir(&s, top, 0), 0);
    ck_assert_int_eq(stat(top, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    cid_str(name, &a.cid);
    ck_assert_int_eq(name[0], 'b');
    n = strlen(name);
    file = malloc(strlen(top) + n + 16);
    sprintf(file, "%s/%.2s/%s.data", top, name + n - 3, name);
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    ck_assert_int_eq(st.st_size, 123);
    cer_store_close(s);
    /* a reopened store finds it */
    ck_assert_int_eq(cer_store_open_dir(&s, top, 0), 0);
    assert_block(s, &a);
    cer_store_close(s);
    free(file);
    free(top);
    free(a.data);
}
END_TEST

START_TEST(corrupted_file)
{
    cer_store *s = open_store(DIR_STORE, 0);
    tblock a = make_block(9, 400);
    char *path = block_path(&a.cid), name[CER_CID_STR_MAX];
    cer_buf out = CER_BUF_INIT;

    cid_str(name, &a.cid);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    a.data[200] ^= 0x40;
    write_file(path, a.data, a.len);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), name));
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "corrupted"));
    /* has only looks for the file; a put of the right bytes repairs it */
    ck_assert_int_eq(cer_store_has(s, &a.cid), 1);
    a.data[200] ^= 0x40;
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), 0);
    ck_assert_mem_eq(out.data, a.data, a.len);
    cer_buf_free(&out);
    cer_store_close(s);
    free(path);
    free(a.data);
}
END_TEST

START_TEST(truncated_file)
{
    cer_store *s = open_store(DIR_STORE, 0);
    tblock a = make_block(10, 400);
    char *path = block_path(&a.cid), name[CER_CID_STR_MAX];
    cer_buf out = CER_BUF_INIT;

    cid_str(name, &a.cid);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(truncate(path, 399), 0);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), name));
    ck_assert_int_eq(truncate(path, 0), 0);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), -EBADMSG);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), 0);
    ck_assert_uint_eq(out.len, a.len);
    cer_buf_free(&out);
    cer_store_close(s);
    free(path);
    free(a.data);
}
END_TEST

START_TEST(oversized_file)
{
    cer_store *s = open_store(DIR_STORE, 0);
    tblock a = make_block(11, 400), big = make_block(12, 4 * CER_BLOCK_MAX);
    char *path = block_path(&a.cid);
    cer_buf out = CER_BUF_INIT;
    long reads;

    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    write_file(path, big.data, big.len);
    reads = cer_flatfs_op_count(s, CER_FLATFS_OP_READ);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), -EFBIG);
    /* bounded: one read of CER_BLOCK_MAX + 1 bytes, not the whole file */
    ck_assert_uint_eq(out.len, CER_BLOCK_MAX + 1);
    ck_assert_int_le(cer_flatfs_op_count(s, CER_FLATFS_OP_READ) - reads, 2);
    cer_buf_free(&out);
    cer_store_close(s);
    free(path);
    free(a.data);
    free(big.data);
}
END_TEST

START_TEST(not_a_regular_file)
{
    cer_store *s = open_store(DIR_STORE, 0);
    tblock a = make_block(13, 40);
    char *path = block_path(&a.cid), *slash;
    cer_buf out = CER_BUF_INIT;

    slash = strrchr(path, '/');
    *slash = '\0';
    ck_assert_int_eq(mkdir(path, 0755), 0);
    *slash = '/';
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(cer_store_get(s, &a.cid, &out), -EIO);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "not a regular file"));
    cer_buf_free(&out);
    cer_store_close(s);
    free(path);
    free(a.data);
}
END_TEST

START_TEST(stray_temps_removed)
{
    char *top = sub("blocks"), path[256];
    cer_store *s;
    tblock a = make_block(14, 40);
    struct stat st;

    ck_assert_int_eq(cer_store_open_dir(&s, top, CER_STORE_NOSYNC), 0);
    cer_store_close(s);
    snprintf(path, sizeof path, "%s/xy", top);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/xy/.tmp-0123456789abcdef", top);
    write_file(path, (const uint8_t *)"partial", 7);
    snprintf(path, sizeof path, "%s/xy/.tmp-x", top);
    write_file(path, (const uint8_t *)"", 0);
    snprintf(path, sizeof path, "%s/xy/keep.data", top);
    write_file(path, (const uint8_t *)"k", 1);
    ck_assert_int_eq(temp_files(), 2);
    ck_assert_int_eq(cer_store_open_dir(&s, top, CER_STORE_NOSYNC), 0);
    ck_assert_int_eq(temp_files(), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    assert_block(s, &a);
    cer_store_close(s);
    free(top);
    free(a.data);
}
END_TEST

START_TEST(open_errors)
{
    char *top = sub("blocks"), *file = sub("file");
    cer_store *s = (cer_store *)1;

    ck_assert_int_eq(cer_store_open_dir(&s, top, 0x80), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(cer_store_open_dir(&s, "", 0), -EINVAL);
    write_file(file, (const uint8_t *)"x", 1);
    ck_assert_int_eq(cer_store_open_dir(&s, file, 0), -ENOTDIR);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), file));
    ck_assert_ptr_null(s);
    ck_assert_int_eq(cer_flatfs_op_count(NULL, 0), -EINVAL);
    free(top);
    free(file);
}
END_TEST

START_TEST(nosync)
{
    cer_store *s = open_store(DIR_STORE, CER_STORE_NOSYNC);
    tblock a = make_block(15, 100);

    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(cer_flatfs_op_count(s, CER_FLATFS_OP_FSYNC), 0);
    ck_assert_int_eq(cer_flatfs_op_count(s, CER_FLATFS_OP_RENAME), 1);
    assert_block(s, &a);
    cer_store_close(s);
    /* with sync: the file, its new shard and the top directory */
    s = open_store(DIR_STORE, 0);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(cer_flatfs_op_count(s, CER_FLATFS_OP_FSYNC), 0);  /* already there */
    free(a.data);
    a = make_block(16, 100);
    ck_assert_int_eq(cer_store_put(s, &a.cid, a.data, a.len), 0);
    ck_assert_int_eq(cer_flatfs_op_count(s, CER_FLATFS_OP_FSYNC), 3);
    cer_store_close(s);
    free(a.data);
}
END_TEST

/* ---- fault injection ---- */

/* After a failed put: no temp file, and the block is absent or whole. */
static void assert_clean_after_failure(cer_store *s, const tblock *b)
{
    cer_buf out = CER_BUF_INIT;
    int rc;

    ck_assert_int_eq(temp_files(), 0);
    rc = cer_store_get(s, &b->cid, &out);
    ck_assert_msg(rc == -ENOENT || rc == 0, "get after failed put: %d %s", rc, cer_errmsg());
    if (rc == 0)
        ck_assert(out.len == b->len && memcmp(out.data, b->data, b->len) == 0);
    cer_buf_free(&out);
}

/* Makes the nth call of kind op fail with EIO in a put into a fresh store
 * (new shard: mkdir, open, writes, 3 fsyncs, rename). Returns 1 when the
 * fault fired (the put failed cleanly), 0 when the put made fewer calls. */
static int put_with_fault(int op, long nth, const tblock *b)
{
    cer_store *s = open_store(DIR_STORE, 0);
    int rc, fired;

    cer_flatfs_fail_at(s, op, nth, EIO);
    rc = cer_store_put(s, &b->cid, b->data, b->len);
    fired = cer_flatfs_op_count(s, op) >= nth;
    if (fired) {
        ck_assert_msg(rc == -EIO, "op %d #%ld: put gave %d", op, nth, rc);
        ck_assert_msg(strncmp(cer_errmsg(), "flatfs: ", 8) == 0 && strstr(cer_errmsg(), tmpdir),
                      "message: %s", cer_errmsg());
    } else {
        ck_assert_int_eq(rc, 0);
    }
    assert_clean_after_failure(s, b);
    /* the store still works: a retry succeeds */
    cer_flatfs_fail_at(s, op, 0, 0);
    ck_assert_int_eq(cer_store_put(s, &b->cid, b->data, b->len), 0);
    assert_block(s, b);
    cer_store_close(s);
    teardown();
    setup();
    return fired;
}

START_TEST(fault_loop)
{
    static const int ops[] = {CER_FLATFS_OP_MKDIR, CER_FLATFS_OP_OPEN, CER_FLATFS_OP_WRITE,
                              CER_FLATFS_OP_FSYNC, CER_FLATFS_OP_RENAME};
    tblock b = make_block(17, 5000);
    int total = 0;

    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        long n = 1;
        while (put_with_fault(ops[k], n, &b))
            n++;
        ck_assert_msg(n > 1, "op %d never called", ops[k]);
        total += (int)(n - 1);
    }
    /* mkdir, open (ENOENT, then again after the mkdir), write, 3 fsyncs, rename */
    ck_assert_int_eq(total, 1 + 2 + 1 + 3 + 1);
    free(b.data);
}
END_TEST

START_TEST(short_and_interrupted_io)
{
    cer_store *s = open_store(DIR_STORE, CER_STORE_NOSYNC);
    tblock b = make_block(18, 3000), c = make_block(19, 3000);
    cer_buf out = CER_BUF_INIT;

    cer_flatfs_fail_at(s, CER_FLATFS_OP_WRITE, 1, CER_FLATFS_SHORT);
    ck_assert_int_eq(cer_store_put(s, &b.cid, b.data, b.len), 0);
    ck_assert_int_eq(cer_flatfs_op_count(s, CER_FLATFS_OP_WRITE), 2);
    cer_flatfs_fail_at(s, CER_FLATFS_OP_WRITE, 1, EINTR);
    ck_assert_int_eq(cer_store_put(s, &c.cid, c.data, c.len), 0);
    ck_assert_int_eq(cer_flatfs_op_count(s, CER_FLATFS_OP_WRITE), 4);
    assert_block(s, &b);
    assert_block(s, &c);
    cer_flatfs_fail_at(s, CER_FLATFS_OP_READ, 1, CER_FLATFS_SHORT);
    assert_block(s, &b);
    cer_flatfs_fail_at(s, CER_FLATFS_OP_READ, 1, EINTR);
    assert_block(s, &b);
    cer_flatfs_fail_at(s, CER_FLATFS_OP_READ, 1, EIO);
    ck_assert_int_eq(cer_store_get(s, &b.cid, &out), -EIO);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "read"));
    assert_block(s, &b);
    cer_buf_free(&out);
    cer_store_close(s);
    free(b.data);
    free(c.data);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *both = tcase_create("both backends"), *disk = tcase_create("flatfs"),
          *faults = tcase_create("faults");

    tcase_add_checked_fixture(both, setup, teardown);
    tcase_add_loop_test(both, round_trip, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, idempotent_put, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, lists_blocks, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, absent_is_enoent, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, refuses_wrong_bytes, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, refuses_oversized, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, commit_blocks, MEM, DIR_STORE + 1);
    tcase_add_loop_test(both, concurrent_puts, MEM, DIR_STORE + 1);
    suite_add_tcase(s, both);

    tcase_add_checked_fixture(disk, setup, teardown);
    tcase_add_test(disk, layout);
    tcase_add_test(disk, corrupted_file);
    tcase_add_test(disk, truncated_file);
    tcase_add_test(disk, oversized_file);
    tcase_add_test(disk, not_a_regular_file);
    tcase_add_test(disk, stray_temps_removed);
    tcase_add_test(disk, open_errors);
    tcase_add_test(disk, nosync);
    suite_add_tcase(s, disk);

    tcase_add_checked_fixture(faults, setup, teardown);
    tcase_add_test(faults, fault_loop);
    tcase_add_test(faults, short_and_interrupted_io);
    tcase_set_timeout(faults, 60);
    suite_add_tcase(s, faults);
    return s;
}

CER_TEST_MAIN(store_suite)
