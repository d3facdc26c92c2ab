/*
 * test_registry.c — tests of core/registry.c: records (tip, pin, alias)
 * across reopen, alias rules, state caches, the journal of unpublished
 * commits (torn last line, compaction), what open does with damaged files,
 * concurrent writers, a large registry, and a writer killed with SIGKILL
 * at random moments.
 */
#include "testutil.h"
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/cer-registry-XXXXXX");

    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void rm_tmpdir(char *d)
{
    tu_rm_tree(d);
    free(d);
}

/* The registry directory inside a test's temporary directory. */
static char *sub(const char *base, const char *name)
{
    size_t n = strlen(base) + strlen(name) + 2;
    char *p = malloc(n);

    ck_assert_ptr_nonnull(p);
    snprintf(p, n, "%s/%s", base, name);
    return p;
}

static cer_registry *open_reg(const char *dir, unsigned flags)
{
    cer_registry *r = NULL;
    int rc = cer_registry_open(&r, dir, flags);

    ck_assert_msg(rc == 0, "open %s: %d %s", dir, rc, cer_errmsg());
    ck_assert_ptr_nonnull(r);
    return r;
}

/* Stream n: a tile whose genesis is the CID of "genesis-<n>". */
static cer_streamref ref_of(int n)
{
    char text[32];
    cer_streamref ref;

    memset(&ref, 0, sizeof ref);
    ref.type = CER_STREAM_TILE;
    snprintf(text, sizeof text, "genesis-%d", n);
    ck_assert_int_eq(cer_cid_of_block(&ref.genesis, CER_CODEC_DAG_CBOR, (const uint8_t *)text, strlen(text)), 0);
    return ref;
}

/* Commit k of stream n. */
static cer_cid tip_of(int n, int k)
{
    char text[48];
    cer_cid cid;

    snprintf(text, sizeof text, "tip-%d-%d", n, k);
    ck_assert_int_eq(cer_cid_of_block(&cid, CER_CODEC_DAG_JOSE, (const uint8_t *)text, strlen(text)), 0);
    return cid;
}

static cer_stream_info info_of(int n, int k, bool pinned, const char *alias)
{
    cer_stream_info info;

    memset(&info, 0, sizeof info);
    info.id = ref_of(n);
    info.tip = tip_of(n, k);
    info.pinned = pinned;
    snprintf(info.alias, sizeof info.alias, "%s", alias ? alias : "");
    return info;
}

static void put_ok(cer_registry *r, const cer_stream_info *info)
{
    int rc = cer_registry_put(r, info);

    ck_assert_msg(rc == 0, "put: %d %s", rc, cer_errmsg());
}

static void assert_info(cer_registry *r, int n, int k, bool pinned, const char *alias)
{
    cer_streamref id = ref_of(n);
    cer_cid tip = tip_of(n, k);
    cer_stream_info got;
    int rc = cer_registry_get(r, &id, &got);

    ck_assert_msg(rc == 0, "get %d: %d %s", n, rc, cer_errmsg());
    ck_assert(cer_streamref_same_stream(&got.id, &id));
    ck_assert(!got.id.is_commit);
    ck_assert_msg(cer_cid_equal(&got.tip, &tip), "stream %d: tip is not commit %d", n, k);
    ck_assert_int_eq(got.pinned, pinned);
    ck_assert_str_eq(got.alias, alias ? alias : "");
}

static void assert_absent(cer_registry *r, int n)
{
    cer_streamref id = ref_of(n);
    cer_stream_info got;

    ck_assert_int_eq(cer_registry_get(r, &id, &got), -ENOENT);
}

static void path_of(char *out, size_t cap, const char *dir, const cer_streamref *id, const char *ext)
{
    char key[CER_STREAMID_STR_MAX];

    ck_assert_int_gt(cer_streamref_to_string(key, sizeof key, id), 0);
    snprintf(out, cap, "%s/%s%s", dir, key, ext);
}

static void write_text(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static bool exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* Number of directory entries whose name starts with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static int count_cb(const cer_stream_info *info, void *arg)
{
    (void)info;
    ++*(int *)arg;
    return 0;
}

static int count_records(cer_registry *r)
{
    int n = 0;

    ck_assert_int_eq(cer_registry_list(r, count_cb, &n), 0);
    ck_assert_int_eq((size_t)n, cer_registry_count(r));
    return n;
}

static size_t nwarnings(cer_registry *r)
{
    size_t n;

    cer_registry_warnings(r, &n);
    return n;
}

/* Does some warning contain needle? */
static bool has_warning(cer_registry *r, const char *needle)
{
    size_t n;
    const char *const *w = cer_registry_warnings(r, &n);

    for (size_t i = 0; i < n; i++)
        if (strstr(w[i], needle))
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

START_TEST(test_roundtrip)
{
    char *base = make_tmpdir(), *dir = sub(base, "streams"), path[4096];
    cer_registry *r = open_reg(dir, 0);
    cer_stream_info info = info_of(3, 7, true, NULL);
    cer_streamref id;
    cJSON *rec = NULL;
    char *text;

    ck_assert_int_eq(count_records(r), 0);
    ck_assert_int_eq(nwarnings(r), 0);
    assert_absent(r, 1);
    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 0), .pinned = true, .alias = "notes"});
    put_ok(r, &(cer_stream_info){.id = ref_of(2), .tip = tip_of(2, 0), .pinned = false});
    /* a CommitID names its stream */
    info.id.is_commit = true;
    info.id.commit = tip_of(3, 7);
    put_ok(r, &info);
    assert_info(r, 1, 0, true, "notes");
    assert_info(r, 2, 0, false, NULL);
    assert_info(r, 3, 7, true, NULL);
    ck_assert_int_eq(count_records(r), 3);
    /* replace: new tip, unpinned */
    put_ok(r, &(cer_stream_info){.id = ref_of(2), .tip = tip_of(2, 1), .pinned = true, .alias = "two"});
    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 5), .pinned = false, .alias = "notes"});
    ck_assert_int_eq(count_records(r), 3);
    cer_registry_close(r);

    /* a second registry on the same directory is refused while one is open */
    r = open_reg(dir, 0);
    {
        cer_registry *r2 = (cer_registry *)1;
        ck_assert_int_eq(cer_registry_open(&r2, dir, 0), -EBUSY);
        ck_assert_ptr_null(r2);
    }
    ck_assert_int_eq(nwarnings(r), 0);
    ck_assert_int_eq(count_records(r), 3);
    assert_info(r, 1, 5, false, "notes");
    assert_info(r, 2, 1, true, "two");
    assert_info(r, 3, 7, true, NULL);
    ck_assert_int_eq(cer_registry_find_alias(r, "two", &id), 0);
    {
        cer_streamref want = ref_of(2);
        ck_assert(cer_streamref_same_stream(&id, &want));
    }

    /* the record file is the documented JSON */
    id = ref_of(1);
    path_of(path, sizeof path, dir, &id, ".json");
    text = read_text(path);
    ck_assert_int_eq(cer_json_parse(&rec, text, strlen(text), 0), 0);
    ck_assert_int_eq(cJSON_GetArraySize(rec), 5);
    {
        char key[CER_STREAMID_STR_MAX], tip[CER_CID_STR_MAX];
        cer_cid t = tip_of(1, 5);
        cer_streamref_to_string(key, sizeof key, &id);
        cer_cid_to_string(tip, sizeof tip, &t);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(rec, "streamId")->valuestring, key);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(rec, "tip")->valuestring, tip);
        ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rec, "pinned")));
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(rec, "alias")->valuestring, "notes");
        ck_assert(cJSON_GetObjectItemCaseSensitive(rec, "updated")->valuedouble > 1.6e12);
    }
    cJSON_Delete(rec);
    free(text);
    id = ref_of(3);
    path_of(path, sizeof path, dir, &id, ".json");
    text = read_text(path);
    ck_assert_ptr_nonnull(strstr(text, "\"alias\":null"));
    free(text);

    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

START_TEST(test_alias_rules)
{
    static const char *good[] = {"notes", "a", "A-b_c.d", "0", "x..", "a.b.c",
                                 "1234567890123456789012345678901234567890123456789012345678901234"};
    static const char *bad[] = {"", ".", "..", ".hidden", "a/b", "a b", "caf\xc3\xa9", "a\nb", "a:b",
                                "12345678901234567890123456789012345678901234567890123456789012345",
                                "kjzl6cwe1jw14bby9bskcoa2apd3ylmz8eymh62ivwf6kekelv8o8hqf4i9fne0"};
    char sid[CER_STREAMID_STR_MAX];
    cer_streamref ref = ref_of(9);

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(cer_registry_alias_check(good[i]) == 0, "%s: %s", good[i], cer_errmsg());
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cer_errclear();
        ck_assert_msg(cer_registry_alias_check(bad[i]) == -EINVAL, "%s accepted", bad[i]);
        ck_assert_msg(strncmp(cer_errmsg(), "registry: ", 10) == 0, "%s", cer_errmsg());
    }
    ck_assert_int_eq(cer_registry_alias_check(NULL), -EINVAL);
    cer_streamref_to_string(sid, sizeof sid, &ref);
    ck_assert_int_eq(cer_registry_alias_check(sid), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "StreamID"));
}
END_TEST

START_TEST(test_alias_unique)
{
    char *base = make_tmpdir(), *dir = sub(base, "s");
    cer_registry *r = open_reg(dir, 0);
    cer_stream_info info;
    cer_streamref id, want;

    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 0), .pinned = true, .alias = "notes"});
    /* another stream cannot take it, and nothing of it is stored */
    cer_errclear();
    info = info_of(2, 0, true, "notes");
    ck_assert_int_eq(cer_registry_put(r, &info), -EEXIST);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "notes"));
    assert_absent(r, 2);
    /* an invalid alias is refused */
    info = info_of(2, 0, true, ".notes");
    ck_assert_int_eq(cer_registry_put(r, &info), -EINVAL);
    memset(info.alias, 'a', sizeof info.alias);  /* not terminated */
    ck_assert_int_eq(cer_registry_put(r, &info), -EINVAL);
    assert_absent(r, 2);
    put_ok(r, &(cer_stream_info){.id = ref_of(2), .tip = tip_of(2, 0), .alias = "other"});
    /* taking a held alias does not disturb the stream's own record */
    info = info_of(2, 1, true, "notes");
    ck_assert_int_eq(cer_registry_put(r, &info), -EEXIST);
    assert_info(r, 2, 0, false, "other");

    ck_assert_int_eq(cer_registry_find_alias(r, "notes", &id), 0);
    want = ref_of(1);
    ck_assert(cer_streamref_same_stream(&id, &want));
    ck_assert_int_eq(cer_registry_find_alias(r, "nope", &id), -ENOENT);
    ck_assert_int_eq(cer_registry_find_alias(r, "Notes", &id), -ENOENT);  /* case matters */

    /* rename stream 1's alias: the old one is free for stream 2 */
    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 0), .pinned = true, .alias = "renamed"});
    ck_assert_int_eq(cer_registry_find_alias(r, "notes", &id), -ENOENT);
    put_ok(r, &(cer_stream_info){.id = ref_of(2), .tip = tip_of(2, 0), .alias = "notes"});
    ck_assert_int_eq(cer_registry_find_alias(r, "other", &id), -ENOENT);
    /* clearing an alias frees it */
    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 0), .pinned = true});
    ck_assert_int_eq(cer_registry_find_alias(r, "renamed", &id), -ENOENT);
    cer_registry_close(r);

    r = open_reg(dir, 0);
    assert_info(r, 1, 0, true, NULL);
    assert_info(r, 2, 0, false, "notes");
    ck_assert_int_eq(cer_registry_find_alias(r, "notes", &id), 0);
    want = ref_of(2);
    ck_assert(cer_streamref_same_stream(&id, &want));
    info = info_of(3, 0, true, "notes");
    ck_assert_int_eq(cer_registry_put(r, &info), -EEXIST);
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* Records damaged on disk are skipped with a warning; the rest load. */
START_TEST(test_bad_records)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), path[4096], *text;
    cer_registry *r = open_reg(dir, 0);
    cer_streamref id;
    const char *const *w;
    size_t n;

    for (int i = 0; i < 8; i++) {
        put_ok(r, &(cer_stream_info){.id = ref_of(i), .tip = tip_of(i, 0), .pinned = true});
        if (i == 7)
            put_ok(r, &(cer_stream_info){.id = ref_of(i), .tip = tip_of(i, 0), .alias = "dup"});
    }
    cer_registry_close(r);

    /* 0: truncated */
    id = ref_of(0);
    path_of(path, sizeof path, dir, &id, ".json");
    ck_assert_int_eq(truncate(path, 20), 0);
    /* 1: not JSON */
    id = ref_of(1);
    path_of(path, sizeof path, dir, &id, ".json");
    write_text(path, "\x01\xff garbage", "w");
    /* 2: another stream's record under this name */
    {
        char other[4096];
        cer_streamref o = ref_of(3);
        id = ref_of(2);
        path_of(path, sizeof path, dir, &id, ".json");
        path_of(other, sizeof other, dir, &o, ".json");
        text = read_text(other);
        write_text(path, text, "w");
        free(text);
    }
    /* 4: a tip that is no CID, 5: pinned a string, 6: empty file */
    {
        char key[CER_STREAMID_STR_MAX], buf[1024];
        id = ref_of(4);
        cer_streamref_to_string(key, sizeof key, &id);
        path_of(path, sizeof path, dir, &id, ".json");
        snprintf(buf, sizeof buf,
                 "{\"streamId\":\"%s\",\"tip\":\"bnotacid\",\"pinned\":true,\"alias\":null,\"updated\":1}", key);
        write_text(path, buf, "w");
        id = ref_of(5);
        cer_streamref_to_string(key, sizeof key, &id);
        path_of(path, sizeof path, dir, &id, ".json");
        text = read_text(path);
        /* keep the record valid JSON but make "pinned" a string */
        {
            char *p = strstr(text, "\"pinned\":true");
            ck_assert_ptr_nonnull(p);
            snprintf(buf, sizeof buf, "%.*s\"pinned\":\"yes\"%s", (int)(p - text), text,
                     p + strlen("\"pinned\":true"));
        }
        write_text(path, buf, "w");
        free(text);
        id = ref_of(6);
        path_of(path, sizeof path, dir, &id, ".json");
        write_text(path, "", "w");
    }
    /* not a StreamID at all, a stray temporary file, an unrelated file */
    snprintf(path, sizeof path, "%s/hello.json", dir);
    write_text(path, "{}", "w");
    snprintf(path, sizeof path, "%s/.tmp-whatever.json-Ab12Cd", dir);
    write_text(path, "{\"half", "w");
    snprintf(path, sizeof path, "%s/README", dir);
    write_text(path, "left alone\n", "w");

    r = open_reg(dir, 0);
    w = cer_registry_warnings(r, &n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strncmp(w[i], "registry: ", 10) == 0, "%s", w[i]);
    ck_assert_msg(n == 7, "%zu warnings", n);
    ck_assert_ptr_null(w[n]);
    ck_assert(has_warning(r, "does not match the file name"));
    ck_assert(has_warning(r, "\"tip\""));
    ck_assert(has_warning(r, "\"pinned\""));
    ck_assert(has_warning(r, "hello.json"));
    ck_assert_int_eq(count_records(r), 2);
    assert_info(r, 3, 0, true, NULL);
    assert_info(r, 7, 0, false, "dup");
    for (int i = 0; i < 7; i++)
        if (i != 3)
            assert_absent(r, i);
    ck_assert_int_eq(count_prefix(dir, ".tmp-"), 0);
    snprintf(path, sizeof path, "%s/README", dir);
    ck_assert(exists(path));
    /* a skipped stream can be written again */
    put_ok(r, &(cer_stream_info){.id = ref_of(0), .tip = tip_of(0, 1)});
    cer_registry_close(r);

    r = open_reg(dir, 0);
    assert_info(r, 0, 1, false, NULL);
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* Two records claiming one alias (a hand edit): the first by name keeps it. */
START_TEST(test_duplicate_alias_on_disk)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), path[4096], buf[2048], key[CER_STREAMID_STR_MAX];
    cer_registry *r = open_reg(dir, 0);
    cer_streamref id = ref_of(2), a = ref_of(1), first;
    char ka[CER_STREAMID_STR_MAX], *text, *p;

    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 0), .alias = "same"});
    put_ok(r, &(cer_stream_info){.id = ref_of(2), .tip = tip_of(2, 0), .alias = "other"});
    cer_registry_close(r);
    path_of(path, sizeof path, dir, &id, ".json");
    text = read_text(path);
    p = strstr(text, "\"other\"");
    ck_assert_ptr_nonnull(p);
    snprintf(buf, sizeof buf, "%.*s\"same\"%s", (int)(p - text), text, p + strlen("\"other\""));
    write_text(path, buf, "w");
    free(text);

    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 1);
    ck_assert(has_warning(r, "\"same\""));
    ck_assert_int_eq(count_records(r), 2);
    cer_streamref_to_string(key, sizeof key, &id);
    cer_streamref_to_string(ka, sizeof ka, &a);
    first = strcmp(ka, key) < 0 ? a : id;
    ck_assert_int_eq(cer_registry_find_alias(r, "same", &id), 0);
    ck_assert(cer_streamref_same_stream(&id, &first));
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Caches                                                               */
/* ------------------------------------------------------------------ */

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;
    int rc = cer_json_parse(&j, text, strlen(text), CER_JSON_EXACT_INTS);

    ck_assert_msg(rc == 0, "%s: %s", text, cer_errmsg());
    return j;
}

static void cache_roundtrip(cer_registry *r, const cer_streamref *id, const cJSON *v, bool same_order)
{
    cJSON *got = NULL;
    char *a = NULL, *b = NULL;
    int rc;

    ck_assert_int_eq(cer_registry_save_cache(r, id, v), 0);
    rc = cer_registry_load_cache(r, id, &got);
    ck_assert_msg(rc == 0, "load: %d %s", rc, cer_errmsg());
    ck_assert(cer_json_equal(got, v));
    if (same_order) {
        ck_assert_int_eq(cer_json_print(&a, v, 0), 0);
        ck_assert_int_eq(cer_json_print(&b, got, 0), 0);
        ck_assert_str_eq(a, b);
    }
    free(a);
    free(b);
    cJSON_Delete(got);
}

START_TEST(test_cache)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), path[4096];
    cer_registry *r = open_reg(dir, 0);
    cer_streamref id = ref_of(1), orphan = ref_of(2);
    cJSON *v, *got = (cJSON *)1;

    put_ok(r, &(cer_stream_info){.id = ref_of(1), .tip = tip_of(1, 0)});
    ck_assert_int_eq(cer_registry_load_cache(r, &id, &got), -ENOENT);
    ck_assert_ptr_null(got);

    /* member order kept, raw exact integers stay raw, U+0000 survives */
    v = parse("{\"zeta\":1,\"alpha\":{\"b\":[1,2.5,-0,null,true,\"x\\u0000y\"],\"a\":{}},"
              "\"big\":18446744073709551615,\"neg\":-9007199254740993,\"s\":\"\\u00e9\\ud83d\\ude00\"}");
    ck_assert(cJSON_IsRaw(cJSON_GetObjectItemCaseSensitive(v, "big")));
    cache_roundtrip(r, &id, v, true);
    cJSON_Delete(v);
    /* an integral double beyond 2^53 stays a double (and a raw stays raw) */
    v = parse("{\"z\":1,\"raw\":12345678901234567890}");
    cJSON_AddItemToObject(v, "dbl", cJSON_CreateNumber(12345678901234567890.0));
    cJSON_AddItemToObject(v, "dbl2", cJSON_CreateNumber(1e20));
    cache_roundtrip(r, &id, v, false);
    cJSON_Delete(v);
    /* any JSON value */
    v = parse("[\"state\",3]");
    cache_roundtrip(r, &id, v, true);
    cJSON_Delete(v);
    ck_assert_int_eq(count_prefix(dir, ".tmp-"), 0);

    /* a corrupted cache is reported absent and deleted */
    path_of(path, sizeof path, dir, &id, ".state.json");
    write_text(path, "{\"content\":{\"a\":", "w");
    cer_errclear();
    ck_assert_int_eq(cer_registry_load_cache(r, &id, &got), -ENOENT);
    ck_assert_ptr_null(got);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "unreadable"));
    ck_assert(!exists(path));
    ck_assert_int_eq(cer_registry_load_cache(r, &id, &got), -ENOENT);
    /* not UTF-8 */
    write_text(path, "\"\xff\"", "w");
    ck_assert_int_eq(cer_registry_load_cache(r, &id, &got), -ENOENT);
    ck_assert(!exists(path));

    /* a cache with no record is deleted at open */
    v = parse("{\"a\":1}");
    ck_assert_int_eq(cer_registry_save_cache(r, &id, v), 0);
    ck_assert_int_eq(cer_registry_save_cache(r, &orphan, v), 0);
    cer_registry_close(r);
    r = open_reg(dir, 0);
    ck_assert_int_eq(cer_registry_load_cache(r, &orphan, &got), -ENOENT);
    ck_assert_int_eq(cer_registry_load_cache(r, &id, &got), 0);
    ck_assert(cer_json_equal(got, v));
    cJSON_Delete(got);
    cJSON_Delete(v);
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Journal                                                              */
/* ------------------------------------------------------------------ */

typedef struct jlist {
    int n;
    cer_streamref ids[64];
    cer_cid tips[64];
} jlist;

static int jlist_cb(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    jlist *l = arg;

    ck_assert_int_lt(l->n, 64);
    l->ids[l->n] = *id;
    l->tips[l->n++] = *tip;
    return 0;
}

/* The pending entries must be exactly (stream, commit) pairs, in order. */
static void assert_pending(cer_registry *r, const int (*want)[2], int n)
{
    jlist l = {0};

    ck_assert_int_eq(cer_registry_journal_list(r, jlist_cb, &l), 0);
    ck_assert_int_eq(l.n, n);
    ck_assert_int_eq(cer_registry_journal_count(r), (size_t)n);
    for (int i = 0; i < n; i++) {
        cer_streamref id = ref_of(want[i][0]);
        cer_cid tip = tip_of(want[i][0], want[i][1]);
        ck_assert_msg(cer_streamref_same_stream(&l.ids[i], &id) && cer_cid_equal(&l.tips[i], &tip),
                      "entry %d is not (%d, %d)", i, want[i][0], want[i][1]);
    }
}

static void jadd(cer_registry *r, int n, int k)
{
    cer_streamref id = ref_of(n);
    cer_cid tip = tip_of(n, k);
    int rc = cer_registry_journal_add(r, &id, &tip);

    ck_assert_msg(rc == 0, "journal add: %d %s", rc, cer_errmsg());
}

static int jdone(cer_registry *r, int n, int k)
{
    cer_streamref id = ref_of(n);
    cer_cid tip = tip_of(n, k);

    return cer_registry_journal_done(r, &id, &tip);
}

static int stop_cb(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    (void)id;
    (void)tip;
    ++*(int *)arg;
    return 42;
}

START_TEST(test_journal)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), path[4096];
    cer_registry *r = open_reg(dir, 0);
    struct stat st;
    int calls = 0;

    assert_pending(r, NULL, 0);
    jadd(r, 1, 0);
    jadd(r, 2, 0);
    jadd(r, 1, 1);
    jadd(r, 1, 0);  /* again: no-op */
    jadd(r, 3, 0);
    assert_pending(r, (const int[][2]){{1, 0}, {2, 0}, {1, 1}, {3, 0}}, 4);
    ck_assert_int_eq(jdone(r, 2, 0), 0);
    ck_assert_int_eq(jdone(r, 2, 0), -ENOENT);
    ck_assert_int_eq(jdone(r, 9, 0), -ENOENT);
    {
        /* the right tip under another stream is not that entry */
        cer_streamref other = ref_of(4);
        cer_cid tip = tip_of(1, 1);
        ck_assert_int_eq(cer_registry_journal_done(r, &other, &tip), -ENOENT);
    }
    {
        /* a commit's CID names one stream: the same tip under another is refused */
        cer_streamref other = ref_of(4);
        cer_cid tip = tip_of(1, 1);
        ck_assert_int_eq(cer_registry_journal_add(r, &other, &tip), -EEXIST);
        ck_assert_ptr_nonnull(strstr(cer_errmsg(), "pending for another stream"));
    }
    assert_pending(r, (const int[][2]){{1, 0}, {1, 1}, {3, 0}}, 3);
    ck_assert_int_eq(cer_registry_journal_list(r, stop_cb, &calls), 42);
    ck_assert_int_eq(calls, 1);
    cer_registry_close(r);

    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 0);
    assert_pending(r, (const int[][2]){{1, 0}, {1, 1}, {3, 0}}, 3);
    ck_assert_int_eq(jdone(r, 1, 0), 0);
    cer_registry_close(r);

    /* a crash mid-append: half a line at the end */
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    write_text(path, "{\"stream\":\"kjzl6cwe1jw14", "a");
    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 1);
    ck_assert(has_warning(r, "incomplete last line"));
    assert_pending(r, (const int[][2]){{1, 1}, {3, 0}}, 2);
    {
        struct stat now;
        ck_assert_int_eq(stat(path, &now), 0);
        ck_assert_int_eq(now.st_size, st.st_size);  /* cut back */
    }
    jadd(r, 4, 0);
    cer_registry_close(r);

    /* a damaged complete line is skipped, the rest replays; so is a line
     * naming a pending tip under another stream */
    {
        char cid[CER_CID_STR_MAX], key[CER_STREAMID_STR_MAX], line[CER_CID_STR_MAX + CER_STREAMID_STR_MAX + 32];
        cer_cid t = tip_of(3, 0);
        cer_streamref other = ref_of(5);
        cer_cid_to_string(cid, sizeof cid, &t);
        cer_streamref_to_string(key, sizeof key, &other);
        snprintf(line, sizeof line, "{\"stream\":\"%s\",\"tip\":\"%s\"}\n", key, cid);
        write_text(path, line, "a");
    }
    write_text(path, "{\"stream\":42,\"tip\":\"x\"}\nnot json\n[]\n{\"done\":\"bafy\"}\n", "a");
    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 5);
    ck_assert(has_warning(r, "pending for another stream"));
    ck_assert(has_warning(r, "journal.jsonl line"));
    assert_pending(r, (const int[][2]){{1, 1}, {3, 0}, {4, 0}}, 3);
    /* the short {"done": cid} form (no "stream") settles an entry too */
    {
        char cid[CER_CID_STR_MAX], line[256];
        cer_cid t = tip_of(3, 0);
        cer_cid_to_string(cid, sizeof cid, &t);
        snprintf(line, sizeof line, "{\"done\":\"%s\"}\n", cid);
        cer_registry_close(r);
        write_text(path, line, "a");
        r = open_reg(dir, 0);
        assert_pending(r, (const int[][2]){{1, 1}, {4, 0}}, 2);
    }
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

static int count_lines(const char *path)
{
    char *text = read_text(path);
    int n = 0;

    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

START_TEST(test_journal_compaction)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), path[4096];
    cer_registry *r = open_reg(dir, CER_STORE_NOSYNC);
    const int total = CER_REGISTRY_COMPACT_DONE + 60;
    int want[10][2], lines;

    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    for (int i = 0; i < total; i++)
        jadd(r, i % 7, i);
    /* leave every 111th entry pending; the rest is published */
    for (int i = 0; i < total; i++)
        if (i % 111 != 5)
            ck_assert_int_eq(jdone(r, i % 7, i), 0);
    ck_assert_int_eq(cer_registry_journal_count(r), 10);
    for (int i = 0, k = 0; i < total; i++)
        if (i % 111 == 5) {
            want[k][0] = i % 7;
            want[k++][1] = i;
        }
    assert_pending(r, (const int(*)[2])want, 10);
    /* compacted once the done lines passed the limit: far fewer lines */
    lines = count_lines(path);
    ck_assert_msg(lines < 2 * total - CER_REGISTRY_COMPACT_DONE, "%d lines", lines);
    cer_registry_close(r);
    r = open_reg(dir, CER_STORE_NOSYNC);
    ck_assert_int_eq(nwarnings(r), 0);
    assert_pending(r, (const int(*)[2])want, 10);
    cer_registry_close(r);
    ck_assert_int_eq(count_prefix(dir, ".tmp-"), 0);

    /* an oversized journal left by an older run is compacted at open */
    {
        char line[1024], key[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX];
        FILE *f = fopen(path, "a");
        cer_streamref id = ref_of(0);
        ck_assert_ptr_nonnull(f);
        cer_streamref_to_string(key, sizeof key, &id);
        for (int i = 0; i < CER_REGISTRY_COMPACT_DONE + 1; i++) {
            cer_cid t = tip_of(0, 100000 + i);
            cer_cid_to_string(cid, sizeof cid, &t);
            snprintf(line, sizeof line, "{\"stream\":\"%s\",\"tip\":\"%s\"}\n{\"done\":\"%s\"}\n", key, cid,
                     cid);
            fputs(line, f);
        }
        fclose(f);
    }
    r = open_reg(dir, CER_STORE_NOSYNC);
    ck_assert_int_eq(count_lines(path), 10);
    assert_pending(r, (const int(*)[2])want, 10);
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The write-ahead log: what a power loss can leave                    */
/* ------------------------------------------------------------------ */

static void commit_ok(cer_registry *r, int n, int k, bool journal)
{
    cer_stream_info info = info_of(n, k, true, NULL);
    int rc = cer_registry_commit(r, &info, journal);

    ck_assert_msg(rc == 0, "commit: %d %s", rc, cer_errmsg());
}

static off_t file_size(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* Open dir in a child that commits stream 1 at 1 and a new stream 2 at 0,
 * both journaled, and ends without closing (the log is not emptied). */
static void commit_and_die(const char *dir)
{
    pid_t pid = fork();
    int status;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cer_registry *r = NULL;
        cer_stream_info a = info_of(1, 1, true, NULL), b = info_of(2, 0, true, NULL);
        if (cer_registry_open(&r, dir, 0) != 0 || cer_registry_commit(r, &a, true) != 0 ||
            cer_registry_commit(r, &b, true) != 0)
            _exit(3);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_log)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), wal[4096], jpath[4096], rec1[4096], rec2[4096];
    cer_streamref id1 = ref_of(1), id2 = ref_of(2);
    char *old1, *logged, *torn;
    cer_registry *r = open_reg(dir, 0);
    off_t jsize;

    snprintf(wal, sizeof wal, "%s/wal.jsonl", dir);
    snprintf(jpath, sizeof jpath, "%s/journal.jsonl", dir);
    path_of(rec1, sizeof rec1, dir, &id1, ".json");
    path_of(rec2, sizeof rec2, dir, &id2, ".json");
    commit_ok(r, 1, 0, false);
    ck_assert_int_gt(file_size(wal), 0);   /* the change is in the log */
    cer_registry_close(r);
    ck_assert_int_eq(file_size(wal), 0);   /* emptied by the checkpoint at close */
    old1 = read_text(rec1);
    jsize = file_size(jpath);

    /* a power loss after the log line, before the record and journal
     * writes reached the disk: replay puts them back */
    commit_and_die(dir);
    logged = read_text(wal);
    write_text(rec1, old1, "w");
    ck_assert_int_eq(unlink(rec2), 0);
    ck_assert_int_eq(truncate(jpath, jsize), 0);
    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 0);
    assert_info(r, 1, 1, true, NULL);
    assert_info(r, 2, 0, true, NULL);
    assert_pending(r, (const int[][2]){{1, 1}, {2, 0}}, 2);
    ck_assert_int_eq(file_size(wal), 0);   /* replayed, then emptied */
    cer_registry_close(r);
    r = open_reg(dir, CER_STORE_RDONLY);   /* the files themselves were restored */
    assert_info(r, 1, 1, true, NULL);
    assert_info(r, 2, 0, true, NULL);
    assert_pending(r, (const int[][2]){{1, 1}, {2, 0}}, 2);
    cer_registry_close(r);

    /* replay is idempotent: the same log again (its emptying lost) changes
     * nothing, and an entry published since is not made pending again */
    r = open_reg(dir, 0);
    ck_assert_int_eq(jdone(r, 1, 1), 0);
    cer_registry_close(r);
    write_text(wal, logged, "w");
    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 0);
    assert_info(r, 1, 1, true, NULL);
    assert_info(r, 2, 0, true, NULL);
    assert_pending(r, (const int[][2]){{2, 0}}, 1);
    cer_registry_close(r);

    /* a read-only open applies the log in memory and leaves it */
    write_text(rec1, old1, "w");
    write_text(wal, logged, "w");
    r = open_reg(dir, CER_STORE_RDONLY);
    assert_info(r, 1, 1, true, NULL);
    {
        char *now = read_text(rec1);
        ck_assert_str_eq(now, old1);
        free(now);
    }
    cer_registry_close(r);
    ck_assert_int_eq(file_size(wal), (off_t)strlen(logged));

    /* a torn last line (a crash while appending it) is cut off: its change
     * was never acknowledged */
    torn = strdup(logged);
    ck_assert_ptr_nonnull(torn);
    torn[strlen(torn) - 10] = '\0';   /* the second line loses its end */
    write_text(rec1, old1, "w");
    ck_assert_int_eq(unlink(rec2), 0);
    write_text(wal, torn, "w");
    r = open_reg(dir, 0);
    ck_assert(has_warning(r, "incomplete last line"));
    assert_info(r, 1, 1, true, NULL);
    assert_absent(r, 2);
    cer_registry_close(r);

    /* a tip recorded after the logged one (its record durable, its line
     * gone with a checkpoint) is never moved back by the replay */
    {
        char key[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX], text[1024];
        cer_cid t7 = tip_of(1, 7);
        cer_streamref_to_string(key, sizeof key, &id1);
        cer_cid_to_string(cid, sizeof cid, &t7);
        snprintf(text, sizeof text, "{\"streamId\":\"%s\",\"tip\":\"%s\",\"pinned\":true,\"alias\":null,\"updated\":1}\n",
                 key, cid);
        write_text(rec1, text, "w");
        write_text(wal, logged, "w");
        r = open_reg(dir, 0);
        ck_assert_int_eq(nwarnings(r), 0);
        assert_info(r, 1, 7, true, NULL);
        assert_info(r, 2, 0, true, NULL);
        cer_registry_close(r);
    }

    /* a bad complete line is skipped with a warning, the rest replayed */
    write_text(rec1, old1, "w");
    write_text(wal, "{\"streamId\":\"nope\"}\n", "w");
    write_text(wal, logged, "a");
    r = open_reg(dir, 0);
    ck_assert(has_warning(r, "wal.jsonl line 1: skipped"));
    assert_info(r, 1, 1, true, NULL);
    cer_registry_close(r);

    free(torn);
    free(logged);
    free(old1);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* What the log's blocks go back through at open. */
typedef struct put_seen {
    int n;
    cer_cid cids[4];
    size_t lens[4];
} put_seen;

static int put_cb(void *arg, const cer_cid *cid, const uint8_t *data, size_t len)
{
    put_seen *p = arg;

    (void)data;
    ck_assert_int_lt(p->n, 4);
    p->cids[p->n] = *cid;
    p->lens[p->n++] = len;
    return p->n == 2 ? -EBADMSG : 0;   /* the second is refused (not its CID) */
}

START_TEST(test_log_blocks)
{
    char *base = make_tmpdir(), *dir = sub(base, "s"), wal[4096];
    cer_cid a = tip_of(5, 0), b = tip_of(5, 1);
    cer_registry *r;
    put_seen seen = {0};
    pid_t pid;
    int status;

    snprintf(wal, sizeof wal, "%s/wal.jsonl", dir);
    r = open_reg(dir, 0);
    ck_assert_int_eq(cer_registry_log_blocks_of(r, NULL, put_cb, &seen), 0);   /* none */
    ck_assert_int_eq(seen.n, 0);
    ck_assert_int_eq(cer_registry_log_block(r, &a, (const uint8_t *)"x", CER_BLOCK_MAX + 1), -EFBIG);
    cer_registry_close(r);

    /* a child logs two blocks and a record, and dies */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cer_stream_info info = info_of(5, 1, true, NULL);
        r = NULL;
        int code = 0;
        if (cer_registry_open(&r, dir, 0) != 0 || cer_registry_log_block(r, &a, (const uint8_t *)"first", 5) != 0 ||
            cer_registry_log_block(r, &b, (const uint8_t *)"\0\1\2", 3) != 0 || cer_registry_commit(r, &info, true) != 0)
            code = 3;
        free(dir);  /* the registry is left open: the child dies with it */
        free(base);
        _exit(code);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child ended with %d", WEXITSTATUS(status));

    /* until the store has them, the log stays (a close does not empty it) */
    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 0);
    assert_info(r, 5, 1, true, NULL);
    cer_registry_close(r);
    ck_assert_int_gt(file_size(wal), 0);

    r = open_reg(dir, 0);
    ck_assert_int_eq(cer_registry_log_blocks_of(r, dir, put_cb, &seen), 0);
    ck_assert_int_eq(seen.n, 2);
    ck_assert(cer_cid_equal(&seen.cids[0], &a) && seen.lens[0] == 5);
    ck_assert(cer_cid_equal(&seen.cids[1], &b) && seen.lens[1] == 3);
    ck_assert_int_eq(file_size(wal), 0);   /* in the store: emptied */
    cer_registry_close(r);

    /* a checkpoint empties the log once it passes its bound */
    {
        static uint8_t big[CER_BLOCK_MAX];
        r = open_reg(dir, CER_STORE_NOSYNC);
        for (int i = 0; i < 8; i++) {
            cer_cid c = tip_of(6, i);
            ck_assert_int_eq(cer_registry_log_block(r, &c, big, sizeof big), 0);
            ck_assert_int_le(file_size(wal), CER_REGISTRY_LOG_MAX + 2 * CER_BLOCK_MAX);
        }
        ck_assert_int_lt(file_size(wal), 8 * CER_BLOCK_MAX);
        cer_registry_close(r);
    }

    /* a block line that does not decode is skipped with a warning */
    write_text(wal, "{\"cid\":\"bafy\",\"block\":\"!!\"}\n", "w");
    r = open_reg(dir, 0);
    ck_assert(has_warning(r, "wal.jsonl line 1: skipped"));
    seen.n = 0;
    ck_assert_int_eq(cer_registry_log_blocks_of(r, dir, put_cb, &seen), 0);
    ck_assert_int_eq(seen.n, 0);
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads, size, crashes                                               */
/* ------------------------------------------------------------------ */

#define NTHREADS 8
#define PER_THREAD 40

typedef struct worker {
    cer_registry *r;
    int no;
    int alias_rc;
    int fails;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < PER_THREAD; i++) {
        int n = w->no * 1000 + i;
        char alias[32];
        cer_stream_info info;
        cer_streamref id = ref_of(n);
        cer_cid tip = tip_of(n, 1);

        snprintf(alias, sizeof alias, "t%d-%d", w->no, i);
        info = info_of(n, 0, i % 2 == 0, alias);
        if (cer_registry_put(w->r, &info) != 0)
            w->fails++;
        /* every thread wants "shared" for its first stream */
        if (i == 0) {
            info = info_of(n, 0, true, "shared");
            w->alias_rc = cer_registry_put(w->r, &info);
        }
        info = info_of(n, 1, true, i == 0 && w->alias_rc == 0 ? "shared" : alias);
        if (cer_registry_put(w->r, &info) != 0 || cer_registry_journal_add(w->r, &id, &tip) != 0)
            w->fails++;
        if (i % 3 == 0 && cer_registry_journal_done(w->r, &id, &tip) != 0)
            w->fails++;
    }
    return NULL;
}

START_TEST(test_threads)
{
    char *base = make_tmpdir(), *dir = sub(base, "s");
    cer_registry *r = open_reg(dir, 0);
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    int winners = 0;
    size_t pending;

    for (int t = 0; t < NTHREADS; t++) {
        w[t] = (worker){r, t, 0, 0};
        ck_assert_int_eq(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
        ck_assert_int_eq(w[t].fails, 0);
        ck_assert_msg(w[t].alias_rc == 0 || w[t].alias_rc == -EEXIST, "%d", w[t].alias_rc);
        winners += w[t].alias_rc == 0;
    }
    ck_assert_int_eq(winners, 1);
    ck_assert_int_eq(count_records(r), NTHREADS * PER_THREAD);
    pending = cer_registry_journal_count(r);
    ck_assert_int_eq(pending, (size_t)(NTHREADS * (PER_THREAD - (PER_THREAD + 2) / 3)));
    cer_registry_close(r);

    r = open_reg(dir, 0);
    ck_assert_int_eq(nwarnings(r), 0);
    ck_assert_int_eq(count_records(r), NTHREADS * PER_THREAD);
    ck_assert_int_eq(cer_registry_journal_count(r), pending);
    for (int t = 0; t < NTHREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            char alias[32];
            snprintf(alias, sizeof alias, "t%d-%d", t, i);
            assert_info(r, t * 1000 + i, 1, true, i == 0 && w[t].alias_rc == 0 ? "shared" : alias);
        }
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(test_many)
{
    char *base = make_tmpdir(), *dir = sub(base, "s");
    cer_registry *r = open_reg(dir, CER_STORE_NOSYNC);
    const int n = 10000;
    struct timespec t0;
    double secs;

    for (int i = 0; i < n; i++) {
        put_ok(r, &(cer_stream_info){.id = ref_of(i), .tip = tip_of(i, 0), .pinned = i % 3 == 0});
        if (i % 10 == 0)
            put_ok(r, &(cer_stream_info){.id = ref_of(i), .tip = tip_of(i, 1), .pinned = true});
    }
    cer_registry_close(r);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = open_reg(dir, CER_STORE_NOSYNC);
    secs = seconds_since(&t0);
    fprintf(stderr, "test_registry: opened %d records in %.3f s\n", n, secs);
    ck_assert_msg(secs < 60, "open took %.1f s", secs);
    ck_assert_int_eq(nwarnings(r), 0);
    ck_assert_int_eq(count_records(r), n);
    for (int i = 0; i < n; i += 97)
        assert_info(r, i, i % 10 == 0 ? 1 : 0, i % 10 == 0 || i % 3 == 0, NULL);
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

#define CRASH_STREAMS 12
#define CRASH_PER_ROUND 100000

/* Publishes an entry from inside journal_list (which holds no lock). */
/* Group commit: threads committing their own streams at once share the
 * log's syncs; every change and journal entry is there, in order, after a
 * reopen. */
typedef struct gc_arg {
    cer_registry *r;
    int n, rc;
} gc_arg;

#define GC_THREADS 6
#define GC_COMMITS 40

static void *gc_writer(void *arg)
{
    gc_arg *a = arg;

    for (int k = 0; k < GC_COMMITS && a->rc == 0; k++) {
        cer_stream_info info = info_of(a->n, k, true, NULL);
        a->rc = cer_registry_commit(a->r, &info, true);
    }
    return NULL;
}

START_TEST(test_group_commit)
{
    char *base = make_tmpdir(), *dir = sub(base, "s");
    cer_registry *r = open_reg(dir, 0);
    pthread_t t[GC_THREADS];
    gc_arg a[GC_THREADS];

    for (int i = 0; i < GC_THREADS; i++) {
        a[i] = (gc_arg){r, 100 + i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, gc_writer, &a[i]), 0);
    }
    for (int i = 0; i < GC_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(a[i].rc == 0, "writer %d: %d", i, a[i].rc);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < GC_THREADS; i++)
            assert_info(r, 100 + i, GC_COMMITS - 1, true, NULL);
        ck_assert_int_eq(cer_registry_journal_count(r), GC_THREADS * GC_COMMITS);
        cer_registry_close(r);
        r = open_reg(dir, 0);
        ck_assert_int_eq(nwarnings(r), 0);
    }
    cer_registry_close(r);
    free(dir);
    rm_tmpdir(base);
}
END_TEST

static int settle_cb(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    return cer_registry_journal_done(arg, id, tip) == 0 ? 0 : 1;
}

/* The child: rewrites records forever (round's commits start at k0), with
 * journal entries and caches in between. Never returns. */
static void crash_child(const char *dir, int k0)
{
    cer_registry *r = NULL;
    cJSON *state = cJSON_CreateObject();

    if (cer_registry_open(&r, dir, 0) != 0)
        _exit(3);
    if (cer_registry_journal_list(r, settle_cb, r) != 0 || cer_registry_journal_count(r) != 0)
        _exit(6);
    for (int k = k0;; k++)
        for (int n = 0; n < CRASH_STREAMS; n++) {
            if (k - k0 >= CRASH_PER_ROUND)
                _exit(0);
            char alias[16];
            cer_stream_info info = info_of(n, k, k % 2 == 0, NULL);
            cer_streamref id = ref_of(n);
            snprintf(alias, sizeof alias, "s%d-%d", n, k % 3);
            memcpy(info.alias, alias, strlen(alias) + 1);
            if (cer_registry_put(r, &info) != 0)
                _exit(4);
            if (cer_registry_journal_add(r, &id, &info.tip) != 0 ||
                cer_registry_journal_done(r, &id, &info.tip) != 0)
                _exit(5);
            cer_registry_save_cache(r, &id, state);
        }
}

typedef struct crash_check {
    int k0, kmax;                /* this round's commits */
    int last[CRASH_STREAMS];     /* each stream's commit after the last round, or -1 */
    int seen;
} crash_check;

/* Which commit of stream n is tip: the one it had, or one of this round's
 * (searched upwards: the child gets through only a few per round). */
static int which_commit(const crash_check *c, int n, const cer_cid *tip)
{
    cer_cid t;

    if (c->last[n] >= 0) {
        t = tip_of(n, c->last[n]);
        if (cer_cid_equal(&t, tip))
            return c->last[n];
    }
    for (int k = c->k0; k < c->kmax; k++) {
        t = tip_of(n, k);
        if (cer_cid_equal(&t, tip))
            return k;
    }
    return -1;
}

static int crash_check_cb(const cer_stream_info *info, void *arg)
{
    crash_check *c = arg;
    char alias[16];
    int n = -1, k;

    for (int i = 0; i < CRASH_STREAMS && n < 0; i++) {
        cer_streamref id = ref_of(i);
        if (cer_streamref_same_stream(&id, &info->id))
            n = i;
    }
    ck_assert_msg(n >= 0, "a record of a stream the child never wrote");
    k = which_commit(c, n, &info->tip);
    ck_assert_msg(k >= 0, "stream %d: a tip the child never wrote", n);
    ck_assert_int_eq(info->pinned, k % 2 == 0);
    snprintf(alias, sizeof alias, "s%d-%d", n, k % 3);
    ck_assert_str_eq(info->alias, alias);
    c->last[n] = k;
    c->seen++;
    return 0;
}

START_TEST(test_crash)
{
    char *base = make_tmpdir(), *dir = sub(base, "s");
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    const int rounds = 6, per_round = CRASH_PER_ROUND;
    crash_check c;

    fprintf(stderr, "test_registry: crash seed %u\n", seed);
    srand(seed);
    for (int n = 0; n < CRASH_STREAMS; n++)
        c.last[n] = -1;
    for (int round = 0; round < rounds; round++) {
        cer_registry *r;
        pid_t pid;
        int status;
        size_t nw;
        const char *const *w;

        c.k0 = round * per_round;
        c.kmax = c.k0 + per_round;
        c.seen = 0;
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            crash_child(dir, c.k0);
        usleep((useconds_t)(20000 + rand() % 300000));
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child ended on its own: %d",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);

        r = open_reg(dir, 0);
        w = cer_registry_warnings(r, &nw);
        for (size_t i = 0; i < nw; i++)
            ck_assert_msg(strstr(w[i], "incomplete last line"), "round %d: %s", round, w[i]);
        ck_assert_int_eq(cer_registry_list(r, crash_check_cb, &c), 0);
        ck_assert_int_le(c.seen, CRASH_STREAMS);
        /* at most the entry being written when killed is pending */
        ck_assert_int_le(cer_registry_journal_count(r), 1);
        ck_assert_int_eq(count_prefix(dir, ".tmp-"), 0);
        cer_registry_close(r);
    }
    free(dir);
    rm_tmpdir(base);
}
END_TEST

Suite *registry_suite(void);
Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *rec = tcase_create("records");
    TCase *cache = tcase_create("cache");
    TCase *journal = tcase_create("journal");
    TCase *stress = tcase_create("stress");
    tcase_set_timeout(rec, 60);

    tcase_add_test(rec, test_roundtrip);
    tcase_add_test(rec, test_alias_rules);
    tcase_add_test(rec, test_alias_unique);
    tcase_add_test(rec, test_bad_records);
    tcase_add_test(rec, test_duplicate_alias_on_disk);
    suite_add_tcase(s, rec);

    tcase_add_test(cache, test_cache);
    suite_add_tcase(s, cache);

    tcase_add_test(journal, test_journal);
    tcase_add_test(journal, test_journal_compaction);
    tcase_add_test(journal, test_log);
    tcase_add_test(journal, test_log_blocks);
    tcase_set_timeout(journal, 120);
    suite_add_tcase(s, journal);

    tcase_add_test(stress, test_threads);
    tcase_add_test(stress, test_many);
    tcase_add_test(stress, test_crash);
    tcase_add_test(stress, test_group_commit);
    tcase_set_timeout(stress, 600);
    suite_add_tcase(s, stress);
    return s;
}

CER_TEST_MAIN(registry_suite)
