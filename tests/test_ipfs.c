/*
 * test_ipfs.c — the IPFS RPC client without a daemon: its reply parsers
 * (error, Key, ID, Pins, pubsub NDJSON lines and the line splitter), and
 * the client against a fake daemon (the HTTP server of fakehttp.c) for
 * CID checks, daemon error messages, refused connections and the
 * fault-injection loop (every HTTP call failing in turn gives a
 * clean error, and the IPFS-backed store stays usable).
 */
#include "testutil.h"
#include "clock.h"
#include "fakehttp.h"
#include "ipfs.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsers ---- */

#define S(x) (const uint8_t *)(x), strlen(x)
#define L(x) (x), strlen(x)

START_TEST(parse_error_message)
{
    char msg[64];

    ck_assert_int_eq(cer_ipfs_parse_error(msg, sizeof msg,
                                          S("{\"Message\":\"Failed to get block: request timed out\",\"Code\":0,"
                                            "\"Type\":\"error\"}")),
                     0);
    ck_assert_str_eq(msg, "Failed to get block: request timed out");
    ck_assert_int_eq(cer_ipfs_parse_error(msg, 8, S("{\"Message\":\"a\\nlong message\"}")), 0);
    ck_assert_str_eq(msg, "a?long ");
    ck_assert_int_lt(cer_ipfs_parse_error(msg, sizeof msg, S("<html>")), 0);
    ck_assert_int_lt(cer_ipfs_parse_error(msg, sizeof msg, S("{\"Code\":1}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_error(msg, sizeof msg, S("[\"Message\"]")), 0);
}
END_TEST

START_TEST(parse_key_any_base)
{
    cer_cid a, b, want;
    size_t size = 0;

    ck_assert_int_eq(cer_cid_parse(&want, "bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q"), 0);
    ck_assert_int_eq(
        cer_ipfs_parse_key(&a, &size, S("{\"Key\":\"bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q\","
                                        "\"Size\":18}")),
        0);
    ck_assert(cer_cid_equal(&a, &want));
    ck_assert_uint_eq(size, 18);
    /* js-ipfs answers block/stat in base58btc */
    char z[CER_CID_STR_MAX + 1], body[400];
    z[0] = 'z';
    ck_assert_int_gt(cer_multibase_encode(z, sizeof z, CER_BASE58BTC, (uint8_t[]){0}, 0), -1);
    uint8_t bin[CER_CID_BYTES_MAX];
    int n = cer_cid_to_bytes(bin, sizeof bin, &want);
    ck_assert_int_gt(cer_multibase_encode(z, sizeof z, CER_BASE58BTC, bin, (size_t)n), 0);
    snprintf(body, sizeof body, "{\"Key\":\"%s\",\"Size\":18}", z);
    ck_assert_int_eq(cer_ipfs_parse_key(&b, NULL, S(body)), 0);
    ck_assert(cer_cid_equal(&b, &want));
    ck_assert_int_lt(cer_ipfs_parse_key(&a, &size, S("{\"Key\":\"nope\",\"Size\":1}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_key(&a, &size, S("{\"Key\":\"bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q\","
                                                      "\"Size\":-1}")),
                     0);
    ck_assert_int_lt(cer_ipfs_parse_key(&a, NULL, S("{\"Size\":1}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_key(&a, NULL, S("{\"Key\":1}")), 0);
}
END_TEST

START_TEST(parse_strings)
{
    char id[64];

    ck_assert_int_eq(cer_ipfs_parse_string(id, sizeof id, S("{\"ID\":\"12D3KooWabc\",\"Addresses\":[]}"), "ID"), 0);
    ck_assert_str_eq(id, "12D3KooWabc");
    ck_assert_int_eq(cer_ipfs_parse_string(id, 4, S("{\"ID\":\"12D3KooWabc\"}"), "ID"), -ENOSPC);
    ck_assert_int_lt(cer_ipfs_parse_string(id, sizeof id, S("{\"ID\":null}"), "ID"), 0);
    ck_assert_int_lt(cer_ipfs_parse_string(id, sizeof id, S("{\"ID\":\"a\",\"ID\":\"b\"}"), "ID"), 0);
}
END_TEST

/* The /pubsub/sub streams of two js-ipfs 0.66 daemons in a pubsub
 * self-test (tests/vectors/captures/pubsub/): msg.bin published
 * on /test/topic, then one message from each node on /test/x. */
START_TEST(captured_sub_lines)
{
    static const struct {
        const char *file, *topic_arg, *data[2];
    } caps[] = {
        {"captures/pubsub/sub-selftest.txt", "uL3Rlc3QvdG9waWM", {NULL, NULL}},
        {"captures/pubsub/x-node1.txt", "uL3Rlc3QveA", {"from-node1", "from-node2"}},
        {"captures/pubsub/x-node2.txt", "uL3Rlc3QveA", {"from-node1", "from-node2"}},
    };
    size_t msglen;
    uint8_t *msg = tu_load_file("captures/pubsub/msg.bin", &msglen);

    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
        size_t len, k = 0;
        char *all = (char *)tu_load_file(caps[c].file, &len), *line = all, *end = all + len;

        while (line < end) {
            char *nl = memchr(line, '\n', (size_t)(end - line));
            size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
            uint8_t *scratch = NULL;
            cer_ipfs_msg m;
            int rc = cer_ipfs_parse_sub_line(&m, &scratch, caps[c].topic_arg, line, n);

            ck_assert_msg(rc == 0 || rc == 1, "%s: %.*s", caps[c].file, (int)n, line);
            if (rc == 0) {
                const char *want = caps[c].data[k] ? caps[c].data[k] : (const char *)msg;
                size_t wlen = caps[c].data[k] ? strlen(want) : msglen;

                ck_assert_uint_lt(k, 2);
                ck_assert_uint_eq(m.len, wlen);
                ck_assert_int_eq(memcmp(m.data, want, wlen), 0);
                ck_assert_str_eq(m.from, k == 0 ? "12D3KooWDkBFkWAjXHjHDWfJrvjq4r9fPNjioemowarvv8y62AWd"
                                                : "12D3KooWPFGtR7jsKs8DumYfX8eapDH8yxfWeA92HwJyjo57DYXv");
                ck_assert_uint_eq(m.seqno_len, 8);
                k++;
            }
            free(scratch);
            line += n + (nl != NULL);
        }
        ck_assert_uint_eq(k, caps[c].data[0] ? 2 : 1);
        free(all);
    }
    free(msg);
}
END_TEST

START_TEST(parse_sub_lines)
{
    static const char line[] =
        "{\"from\":\"12D3KooWDkBF\",\"data\":\"uaGVsbG8gcHVic3Vi\",\"seqno\":\"umDT_W0I-gk8\","
        "\"topicIDs\":[\"uL3Rlc3QvdG9waWM\"],\"key\":\"uCAESIDpc\",\"signature\":\"uuaB5\"}";
    cer_ipfs_msg m;
    uint8_t *scratch;

    ck_assert_int_eq(cer_ipfs_parse_sub_line(&m, &scratch, "uL3Rlc3QvdG9waWM", "{}", 2), 1);
    ck_assert_ptr_null(scratch);
    ck_assert_int_eq(cer_ipfs_parse_sub_line(&m, &scratch, "uL3Rlc3QvdG9waWM", line, strlen(line)), 0);
    ck_assert_str_eq(m.from, "12D3KooWDkBF");
    ck_assert_uint_eq(m.len, 12);
    ck_assert_int_eq(memcmp(m.data, "hello pubsub", 12), 0);
    ck_assert_uint_eq(m.seqno_len, 8);
    free(scratch);
    /* another topic, bad base, bad from, not an object */
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, "uL2NlcmFtaWMvaW5tZW1vcnk", line, strlen(line)), 0);
    ck_assert_ptr_null(scratch);
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, NULL, L("{\"data\":\"maGVsbG8\"}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, NULL, L("{\"data\":\"u!!!\"}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, NULL, L("{\"from\":\"0OIl\",\"data\":\"uaGk\"}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, NULL, L("[1]")), 0);
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, NULL, L("{\"data\":5}")), 0);
    ck_assert_int_lt(cer_ipfs_parse_sub_line(&m, &scratch, NULL, L("{\"data\":\"uaGk\",\"seqno\":\"u" 
                                                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}")),
                     0);
}
END_TEST

typedef struct lines {
    char got[8][64];
    int n, big;
} lines;

static int on_line(void *arg, const char *line, size_t len, int err)
{
    lines *l = arg;

    if (!line) {
        ck_assert_int_eq(err, -EFBIG);
        l->big++;
        return 0;
    }
    ck_assert_uint_eq(strlen(line), len);
    ck_assert_int_lt(l->n, 8);
    snprintf(l->got[l->n++], 64, "%s", line);
    return 0;
}

START_TEST(ndjson_split)
{
    static const char in[] = "{}\n{\"a\":1}\r\n\n{\"b\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"c\":3}\n{\"d\"";
    cer_ndjson p = {.max = 20};
    lines l = {0};

    /* one byte at a time: boundaries everywhere */
    for (size_t i = 0; i < strlen(in); i++)
        ck_assert_int_eq(cer_ndjson_feed(&p, (const uint8_t *)in + i, 1, on_line, &l), 0);
    ck_assert_int_eq(l.n, 3);
    ck_assert_str_eq(l.got[0], "{}");
    ck_assert_str_eq(l.got[1], "{\"a\":1}");
    ck_assert_str_eq(l.got[2], "{\"c\":3}");
    ck_assert_int_eq(l.big, 1);
    cer_ndjson_free(&p);
    /* all at once gives the same */
    memset(&l, 0, sizeof l);
    p.max = 20;
    ck_assert_int_eq(cer_ndjson_feed(&p, (const uint8_t *)in, strlen(in), on_line, &l), 0);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(l.big, 1);
    cer_ndjson_free(&p);
}
END_TEST

/* ---- a fake daemon: fakehttp.c answering with a canned reply ---- */

typedef struct fake {
    fakehttp http;
    pthread_mutex_t lock;       /* guards status, reply and hold */
    pthread_cond_t go;          /* hold was cleared */
    bool hold;                  /* requests wait (a daemon that lags) */
    int status;
    cer_buf reply;
    char last_path[512];        /* copied from http after each call */
} fake;

static void fake_reply(fake *f, int status, const void *body, size_t len)
{
    pthread_mutex_lock(&f->lock);
    f->status = status;
    f->reply.len = 0;
    cer_buf_append(&f->reply, body, len);
    pthread_mutex_unlock(&f->lock);
}

static int canned(void *arg, const fakehttp_req *req, cer_buf *reply)
{
    fake *f = arg;
    int status;

    pthread_mutex_lock(&f->lock);
    while (f->hold)
        pthread_cond_wait(&f->go, &f->lock);
    snprintf(f->last_path, sizeof f->last_path, "%s", req->path);
    status = f->status;
    cer_buf_append(reply, f->reply.data, f->reply.len);
    pthread_mutex_unlock(&f->lock);
    return status;
}

static void fake_start(fake *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->go, NULL);
    f->status = 200;
    fakehttp_start(&f->http, canned, f);
}

static void fake_stop(fake *f)
{
    fakehttp_stop(&f->http);
    cer_buf_free(&f->reply);
    pthread_cond_destroy(&f->go);
    pthread_mutex_destroy(&f->lock);
}

static void fake_hold(fake *f, bool hold)
{
    pthread_mutex_lock(&f->lock);
    f->hold = hold;
    pthread_cond_broadcast(&f->go);
    pthread_mutex_unlock(&f->lock);
}

static cer_ipfs *fake_client(fake *f)
{
    char url[64];
    cer_ipfs_opts o = {.url = url, .timeout_ms = 3000, .block_timeout_ms = 1000};
    cer_ipfs *c;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/", f->http.port);
    ck_assert_int_eq(cer_ipfs_open(&c, &o), 0);
    return c;
}

/* A dag-cbor block and its CID. */
static void make_block(cer_buf *b, cer_cid *cid, const char *json)
{
    cJSON *j = NULL;

    ck_assert_int_eq(cer_json_parse(&j, json, strlen(json), 0), 0);
    ck_assert_int_eq(cer_dagcbor_encode(b, j, 0), 0);
    ck_assert_int_eq(cer_cid_of_block(cid, CER_CODEC_DAG_CBOR, b->data, b->len), 0);
    cJSON_Delete(j);
}

static void key_reply(fake *f, const cer_cid *cid, size_t size)
{
    char s[CER_CID_STR_MAX], body[300];

    cer_cid_to_string(s, sizeof s, cid);
    snprintf(body, sizeof body, "{\"Key\":\"%s\",\"Size\":%zu}", s, size);
    fake_reply(f, 200, body, strlen(body));
}

START_TEST(client_against_fake)
{
    fake f;
    cer_ipfs *c;
    cer_buf b = CER_BUF_INIT, got = CER_BUF_INIT;
    cer_cid cid, v0;
    char id[128];

    fake_start(&f);
    c = fake_client(&f);
    ck_assert_str_eq(cer_ipfs_url(c) + strlen(cer_ipfs_url(c)) - 7, "/api/v0");
    fake_reply(&f, 200, S("{\"ID\":\"12D3KooWfake\",\"Addresses\":[]}"));
    ck_assert_int_eq(cer_ipfs_id(c, id, sizeof id), 0);
    ck_assert_str_eq(id, "12D3KooWfake");
    ck_assert_str_eq(f.http.last_path, "/api/v0/id");

    make_block(&b, &cid, "{\"hello\":\"world\"}");
    key_reply(&f, &cid, b.len);
    ck_assert_int_eq(cer_ipfs_block_put(c, &cid, b.data, b.len), 0);
    ck_assert_str_eq(f.http.last_path, "/api/v0/block/put?format=dag-cbor&mhtype=sha2-256");
    /* a daemon that ignored the codec parameter answers with a dag-pb CIDv0 */
    ck_assert_int_eq(cer_cid_parse(&v0, "QmbRaCGwfXQ7yznAV6xDu9Vn9wpErSk3VMmno7P4Yiw9SK"), 0);
    key_reply(&f, &v0, b.len);
    ck_assert_int_eq(cer_ipfs_block_put(c, &cid, b.data, b.len), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "expected"));

    /* block/get: the bytes are checked; timeout= is always sent */
    fake_reply(&f, 200, b.data, b.len);
    ck_assert_int_eq(cer_ipfs_block_get(c, &cid, &got, 0), 0);
    ck_assert_uint_eq(got.len, b.len);
    ck_assert_ptr_nonnull(strstr(f.http.last_path, "&timeout=1000ms"));
    fake_reply(&f, 200, S("other bytes"));
    ck_assert_int_eq(cer_ipfs_block_get(c, &cid, &got, 0), -EBADMSG);
    ck_assert_uint_eq(got.len, 0);

    /* the daemon's message comes through */
    fake_reply(&f, 500, S("{\"Message\":\"Failed to get block: request timed out\",\"Code\":0,\"Type\":\"error\"}"));
    ck_assert_int_eq(cer_ipfs_block_get(c, &cid, &got, 0), -ETIMEDOUT);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "request timed out"));
    fake_reply(&f, 500, S("{\"Message\":\"boom\",\"Code\":0,\"Type\":\"error\"}"));
    ck_assert_int_eq(cer_ipfs_pub(c, "/ceramic/x", S("{}")), -EIO);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "boom"));
    ck_assert_str_eq(f.http.last_path, "/api/v0/pubsub/pub?arg=uL2NlcmFtaWMveA");
    fake_reply(&f, 405, S("Method Not Allowed"));
    ck_assert_int_eq(cer_ipfs_version(c, id, sizeof id), -ENOTSUP);
    /* an oversize JSON reply */
    {
        cer_buf big = CER_BUF_INIT;
        for (int i = 0; i < CER_IPFS_REPLY_MAX / 8 + 2; i++)
            cer_buf_append(&big, "xxxxxxxx", 8);
        fake_reply(&f, 200, big.data, big.len);
        ck_assert_int_eq(cer_ipfs_id(c, id, sizeof id), -EFBIG);
        cer_buf_free(&big);
    }
    cer_ipfs_close(c);
    fake_stop(&f);
    cer_buf_free(&b);
    cer_buf_free(&got);
}
END_TEST

START_TEST(refused_and_bad_url)
{
    cer_ipfs_opts o = {.url = "http://127.0.0.1:1", .timeout_ms = 2000};
    cer_ipfs *c;
    char id[64];

    ck_assert_int_eq(cer_ipfs_open(&c, &o), 0);
    ck_assert_int_eq(cer_ipfs_id(c, id, sizeof id), -ECONNREFUSED);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "ipfs: id"));
    cer_ipfs_close(c);
    o.url = "ftp://x";
    ck_assert_int_eq(cer_ipfs_open(&c, &o), -EINVAL);
    o.url = "http://x";
    o.codec_param = "codec";
    ck_assert_int_eq(cer_ipfs_open(&c, &o), -EINVAL);
}
END_TEST

/* Every HTTP call of a sequence fails in turn: a clean -EIO each time, the
 * others succeed, and an IPFS-backed store never loses a put. */
START_TEST(fault_injection_loop)
{
    fake f;
    cer_buf b = CER_BUF_INIT, got = CER_BUF_INIT;
    cer_cid cid;
    char id[64];

    fake_start(&f);
    make_block(&b, &cid, "{\"fault\":1}");
    for (long n = 1; n <= 4; n++) {
        cer_ipfs *c = fake_client(&f);
        int rc[4], failed = 0;

        cer_ipfs_fail_at(c, n);
        fake_reply(&f, 200, S("{\"ID\":\"12D3KooWfake\",\"Version\":\"0.18.1\"}"));
        rc[0] = cer_ipfs_id(c, id, sizeof id);
        rc[1] = cer_ipfs_version(c, id, sizeof id);
        key_reply(&f, &cid, b.len);
        rc[2] = cer_ipfs_block_put(c, &cid, b.data, b.len);
        fake_reply(&f, 200, b.data, b.len);
        rc[3] = cer_ipfs_block_get(c, &cid, &got, 0);
        for (int i = 0; i < 4; i++) {
            if (i == n - 1) {
                ck_assert_int_eq(rc[i], -EIO);
                failed++;
            } else {
                ck_assert_int_eq(rc[i], 0);
            }
        }
        ck_assert_int_eq(failed, 1);
        ck_assert_int_eq(cer_ipfs_call_count(c), 4);
        cer_ipfs_close(c);
    }
    /* the store: a failed write-through keeps the block locally; a failed
     * fetch is a clean error and a later one works */
    for (long n = 1; n <= 2; n++) {
        cer_store *local, *st;
        cer_ipfs *c = fake_client(&f);
        cer_store_ipfs_stats stats;

        ck_assert_int_eq(cer_store_open_mem(&local), 0);
        ck_assert_int_eq(cer_store_open_ipfs(&st, local, c), 0);
        ck_assert_ptr_eq(cer_store_ipfs(st), c);
        cer_ipfs_fail_at(c, n);
        key_reply(&f, &cid, b.len);
        ck_assert_int_eq(cer_store_put(st, &cid, b.data, b.len), 0);
        ck_assert_int_eq(cer_store_has(st, &cid), 1);
        ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
        cer_store_ipfs_stats_get(st, &stats);
        ck_assert_int_eq(stats.queued, 0);
        ck_assert_int_eq(stats.write_failed, n == 1);
        ck_assert_int_eq(stats.written, n != 1);
        cer_store_close(st);

        ck_assert_int_eq(cer_store_open_mem(&local), 0);
        c = fake_client(&f);
        ck_assert_int_eq(cer_store_open_ipfs(&st, local, c), 0);
        cer_ipfs_fail_at(c, 1);
        fake_reply(&f, 200, b.data, b.len);
        ck_assert_int_eq(cer_store_get(st, &cid, &got), -EIO);
        ck_assert_ptr_nonnull(strstr(cer_errmsg(), "injected"));
        ck_assert_int_eq(cer_store_has(st, &cid), 0);
        ck_assert_int_eq(cer_store_get(st, &cid, &got), 0);  /* fetched, checked, kept */
        ck_assert_int_eq(cer_store_has(st, &cid), 1);
        fake_reply(&f, 500, S("{\"Message\":\"daemon gone\"}"));
        ck_assert_int_eq(cer_store_get(st, &cid, &got), 0);  /* now local */
        cer_store_close(st);
    }
    fake_stop(&f);
    cer_buf_free(&b);
    cer_buf_free(&got);
}
END_TEST

/* A put returns before its block is written through (by the writer
 * thread, in put order). A commit's blocks are pushed again before its
 * UPDATE: that push costs nothing for a block just written through, a
 * real block/put after a failed write-through, and fails cleanly for a
 * block not held. */
/* A put never waits on the daemon: while it holds every request, puts
 * return, the writer's queue shows the backlog, and a put that finds the
 * queue full (4096) still succeeds, its block not queued. Released, the
 * writer catches up, and a block queued many times is written once. */
START_TEST(put_does_not_wait)
{
    fake f;
    cer_buf b = CER_BUF_INIT;
    cer_cid cid;
    cer_store *local, *st;
    cer_store_ipfs_stats stats;
    const int n = 4100;

    fake_start(&f);
    make_block(&b, &cid, "{\"lag\":1}");
    key_reply(&f, &cid, b.len);
    ck_assert_int_eq(cer_store_open_mem(&local), 0);
    ck_assert_int_eq(cer_store_open_ipfs(&st, local, fake_client(&f)), 0);
    fake_hold(&f, true);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(cer_store_put(st, &cid, b.data, b.len), 0);
    ck_assert_int_eq(cer_store_has(st, &cid), 1);
    ck_assert_int_eq(cer_store_ipfs_settle(st, 50), -ETIMEDOUT);
    cer_store_ipfs_stats_get(st, &stats);
    ck_assert_int_eq(stats.written, 0);
    ck_assert_int_ge(stats.queued, 4096);
    ck_assert_int_le(stats.queued, 4097);  /* and one the writer holds */
    ck_assert_int_eq(stats.queued + stats.skipped, n);
    ck_assert_int_gt(stats.oldest_at_ms, 0);  /* when the oldest was put */
    ck_assert_int_le(stats.oldest_at_ms, cer_clock_ms(CLOCK_REALTIME) - 50);
    fake_hold(&f, false);
    ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
    cer_store_ipfs_stats_get(st, &stats);
    ck_assert_int_eq(stats.written, 1);
    ck_assert_int_eq(stats.write_failed, 0);
    ck_assert_int_eq(stats.queued, 0);
    ck_assert_int_eq(f.http.requests, 1);
    cer_store_close(st);
    fake_stop(&f);
    cer_buf_free(&b);
}
END_TEST

START_TEST(push_skips_what_was_written)
{
    fake f;
    cer_buf b = CER_BUF_INIT, b2 = CER_BUF_INIT;
    cer_cid cid, cid2;
    cer_store *local, *st;
    cer_ipfs *c;
    long calls;

    fake_start(&f);
    make_block(&b, &cid, "{\"push\":1}");
    make_block(&b2, &cid2, "{\"push\":2}");
    c = fake_client(&f);
    ck_assert_int_eq(cer_store_open_mem(&local), 0);
    ck_assert_int_eq(cer_store_open_ipfs(&st, local, c), 0);
    key_reply(&f, &cid, b.len);
    ck_assert_int_eq(cer_store_put(st, &cid, b.data, b.len), 0);
    ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
    calls = cer_ipfs_call_count(c);
    ck_assert_int_eq(f.http.requests, 1);
    ck_assert_int_eq(cer_store_push(st, &cid), 0);
    ck_assert_int_eq(cer_ipfs_call_count(c), calls);  /* written a moment ago */
    /* the write-through of cid2 fails: the push puts it for real */
    cer_ipfs_fail_at(c, 1);
    ck_assert_int_eq(cer_store_put(st, &cid2, b2.data, b2.len), 0);
    ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
    ck_assert_int_eq(f.http.requests, 1);
    key_reply(&f, &cid2, b2.len);
    ck_assert_int_eq(cer_store_push(st, &cid2), 0);
    ck_assert_int_eq(f.http.requests, 2);
    ck_assert_ptr_nonnull(strstr(f.http.last_path, "block/put"));
    ck_assert_int_eq(cer_store_push(st, &cid2), 0);  /* now it was written */
    ck_assert_int_eq(f.http.requests, 2);
    cer_store_close(st);
    /* a commit's two blocks go to the daemon one after the other: both
     * requests arrive (the fake names one block, so the other counts as
     * failed, and the writer pauses before the next), both blocks are
     * local, and only the failed one is pushed again */
    {
        cer_commit_blocks cb = {.is_signed = true};
        cer_store_ipfs_stats stats;
        make_block(&cb.payload.bytes, &cb.payload.cid, "{\"pair\":\"payload\"}");
        make_block(&cb.envelope.bytes, &cb.envelope.cid, "{\"pair\":\"envelope\"}");
        c = fake_client(&f);
        ck_assert_int_eq(cer_store_open_mem(&local), 0);
        ck_assert_int_eq(cer_store_open_ipfs(&st, local, c), 0);
        key_reply(&f, &cb.envelope.cid, cb.envelope.bytes.len);
        ck_assert_int_eq(cer_store_put_commit(st, &cb), 0);
        ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
        ck_assert_int_eq(f.http.requests, 4);
        cer_store_ipfs_stats_get(st, &stats);
        ck_assert_int_eq(stats.written, 1);
        ck_assert_int_eq(stats.write_failed, 1);
        ck_assert_int_eq(cer_store_has(st, &cb.payload.cid), 1);
        ck_assert_int_eq(cer_store_has(st, &cb.envelope.cid), 1);
        ck_assert_int_eq(cer_store_push(st, &cb.envelope.cid), 0);
        ck_assert_int_eq(f.http.requests, 4);
        key_reply(&f, &cb.payload.cid, cb.payload.bytes.len);
        ck_assert_int_eq(cer_store_push(st, &cb.payload.cid), 0);
        ck_assert_int_eq(f.http.requests, 5);
        cer_store_close(st);
        cer_buf_free(&cb.payload.bytes);
        cer_buf_free(&cb.envelope.bytes);
    }
    /* a block the store does not hold is not pushed */
    ck_assert_int_eq(cer_store_open_mem(&local), 0);
    ck_assert_int_eq(cer_store_open_ipfs(&st, local, fake_client(&f)), 0);
    ck_assert_int_eq(cer_store_push(st, &cid), -ENOENT);
    ck_assert_int_eq(f.http.requests, 5);
    cer_store_close(st);
    fake_stop(&f);
    cer_buf_free(&b);
    cer_buf_free(&b2);
}
END_TEST

/* A damaged local copy is fetched again from IPFS and the put of the
 * fetched bytes replaces it; with IPFS failing, the error says corrupted. */
START_TEST(damaged_copy_fetched_again)
{
    char dir[] = "/tmp/cfs-ipfs-heal.XXXXXX", name[CER_CID_STR_MAX], path[4200];
    cer_buf b = CER_BUF_INIT, out = CER_BUF_INIT, bad;
    cer_store *local, *st;
    cer_cid cid;
    fake f;
    FILE *fp;
    size_t n;

    fake_start(&f);
    make_block(&b, &cid, "{\"heal\":\"me\"}");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_store_open_dir(&local, dir, CER_STORE_NOSYNC), 0);
    ck_assert_int_eq(cer_store_open_ipfs(&st, local, fake_client(&f)), 0);
    key_reply(&f, &cid, b.len);
    ck_assert_int_eq(cer_store_put(st, &cid, b.data, b.len), 0);
    ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
    /* flip a byte of the file flatfs wrote (shard: the CID's 3rd and 2nd last characters) */
    n = (size_t)cer_cid_to_string(name, sizeof name, &cid);
    snprintf(path, sizeof path, "%s/%.2s/%s.data", dir, name + n - 3, name);
    bad = (cer_buf)CER_BUF_INIT;
    cer_buf_append(&bad, b.data, b.len);
    bad.data[1] ^= 0x20;
    ck_assert_ptr_nonnull(fp = fopen(path, "wb"));
    ck_assert_uint_eq(fwrite(bad.data, 1, bad.len, fp), bad.len);
    fclose(fp);
    /* IPFS fails: corrupted, not "not here" */
    fake_reply(&f, 500, "{\"Message\":\"no\",\"Code\":0}", 24);
    ck_assert_int_eq(cer_store_get(st, &cid, &out), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "corrupted"));
    /* IPFS has it: fetched, and the local copy healed */
    fake_reply(&f, 200, b.data, b.len);
    ck_assert_int_eq(cer_store_get(st, &cid, &out), 0);
    ck_assert_mem_eq(out.data, b.data, b.len);
    ck_assert_ptr_nonnull(strstr(f.last_path, "block/get"));
    ck_assert_int_eq(cer_store_get(local, &cid, &out), 0);
    ck_assert_mem_eq(out.data, b.data, b.len);
    cer_store_close(st);
    fake_stop(&f);
    tu_rm_tree(dir);
    cer_buf_free(&b);
    cer_buf_free(&bad);
    cer_buf_free(&out);
}
END_TEST

/* The blocks written lately are the last 1,024: of 1,100 blocks pushed in
 * turn, each of the last 1,024 is not put again, and each of the first
 * 76 (forgotten, oldest first) is, once, which forgets the oldest kept. */
START_TEST(recent_forgets_the_oldest)
{
    enum { N = 1100, KEPT = 1024 };
    fake f;
    cer_buf b[N];
    cer_cid cid[N];
    cer_store *local, *st;
    char json[32];
    long req;

    fake_start(&f);
    ck_assert_int_eq(cer_store_open_mem(&local), 0);
    ck_assert_int_eq(cer_store_open_ipfs(&st, local, fake_client(&f)), 0);
    for (int i = 0; i < N; i++) {
        b[i] = (cer_buf)CER_BUF_INIT;
        snprintf(json, sizeof json, "{\"recent\":%d}", i);
        make_block(&b[i], &cid[i], json);
        ck_assert_int_eq(cer_store_put_local(st, &cid[i], b[i].data, b[i].len), 0);
        key_reply(&f, &cid[i], b[i].len);
        ck_assert_int_eq(cer_store_push(st, &cid[i]), 0);
    }
    req = f.http.requests;
    ck_assert_int_eq(req, N);
    for (int i = N - KEPT; i < N; i++)
        ck_assert_int_eq(cer_store_push(st, &cid[i]), 0);
    ck_assert_int_eq(f.http.requests, req);
    /* each forgotten block pushed again is one block/put (and a second
     * push of it none), and evicts the oldest kept: 76 to 151 */
    for (int i = 0; i < N - KEPT; i++) {
        key_reply(&f, &cid[i], b[i].len);
        ck_assert_int_eq(cer_store_push(st, &cid[i]), 0);
        ck_assert_int_eq(cer_store_push(st, &cid[i]), 0);
    }
    ck_assert_int_eq(f.http.requests, req + (N - KEPT));
    for (int i = 0; i < N - KEPT; i++)
        ck_assert_int_eq(cer_store_push(st, &cid[i]), 0);
    ck_assert_int_eq(f.http.requests, req + (N - KEPT));
    ck_assert_int_eq(cer_store_push(st, &cid[2 * (N - KEPT)]), 0);  /* kept */
    ck_assert_int_eq(f.http.requests, req + (N - KEPT));
    key_reply(&f, &cid[2 * (N - KEPT) - 1], b[2 * (N - KEPT) - 1].len);
    ck_assert_int_eq(cer_store_push(st, &cid[2 * (N - KEPT) - 1]), 0);  /* evicted */
    ck_assert_int_eq(f.http.requests, req + (N - KEPT) + 1);
    cer_store_close(st);
    fake_stop(&f);
    for (int i = 0; i < N; i++)
        cer_buf_free(&b[i]);
}
END_TEST

/* A block a push is writing is not written again by the writer: the
 * daemon holds the push's request, the same block is put (queued), the
 * writer takes it and waits for the push; released, one block/put. */
typedef struct push_arg {
    cer_store *st;
    cer_cid cid;
    int rc;
} push_arg;

static void *push_thread(void *arg)
{
    push_arg *a = arg;

    a->rc = cer_store_push(a->st, &a->cid);
    return NULL;
}

START_TEST(push_and_writer_write_once)
{
    fake f;
    cer_buf b = CER_BUF_INIT;
    cer_store *local, *st;
    cer_store_ipfs_stats stats;
    push_arg pa;
    pthread_t t;

    fake_start(&f);
    make_block(&b, &pa.cid, "{\"once\":1}");
    key_reply(&f, &pa.cid, b.len);
    ck_assert_int_eq(cer_store_open_mem(&local), 0);
    ck_assert_int_eq(cer_store_open_ipfs(&st, local, fake_client(&f)), 0);
    ck_assert_int_eq(cer_store_put_local(st, &pa.cid, b.data, b.len), 0);
    pa.st = st;
    fake_hold(&f, true);
    ck_assert_int_eq(pthread_create(&t, NULL, push_thread, &pa), 0);
    usleep(100 * 1000);  /* the push's request is held */
    ck_assert_int_eq(cer_store_put(st, &pa.cid, b.data, b.len), 0);
    usleep(100 * 1000);  /* the writer has taken it */
    fake_hold(&f, false);
    pthread_join(t, NULL);
    ck_assert_int_eq(pa.rc, 0);
    ck_assert_int_eq(cer_store_ipfs_settle(st, 5000), 0);
    cer_store_ipfs_stats_get(st, &stats);
    ck_assert_int_eq(stats.written, 1);
    ck_assert_int_eq(f.http.requests, 1);
    cer_store_close(st);
    fake_stop(&f);
    cer_buf_free(&b);
}
END_TEST

static Suite *ipfs_suite(void)
{
    Suite *s = suite_create("ipfs");
    TCase *t = tcase_create("parsers");

    tcase_add_test(t, parse_error_message);
    tcase_add_test(t, parse_key_any_base);
    tcase_add_test(t, parse_strings);
    tcase_add_test(t, parse_sub_lines);
    tcase_add_test(t, captured_sub_lines);
    tcase_add_test(t, ndjson_split);
    suite_add_tcase(s, t);
    t = tcase_create("client");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, client_against_fake);
    tcase_add_test(t, refused_and_bad_url);
    tcase_add_test(t, fault_injection_loop);
    tcase_add_test(t, damaged_copy_fetched_again);
    tcase_add_test(t, push_skips_what_was_written);
    tcase_add_test(t, recent_forgets_the_oldest);
    tcase_add_test(t, put_does_not_wait);
    tcase_add_test(t, push_and_writer_write_once);
    suite_add_tcase(s, t);
    return s;
}

CER_TEST_MAIN(ipfs_suite)
