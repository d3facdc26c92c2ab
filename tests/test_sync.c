/*
 * test_sync.c — the sync layer without a daemon: network topics, and a
 * sync whose daemon is unreachable (offline first): it opens, reports the
 * failure in its status section, keeps local commits in the journal, fails
 * a network load cleanly and in bounded time, and closes without leaks
 * (threads joined, listener and status section removed).
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

START_TEST(topics)
{
    char t[256];

    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "mainnet", NULL), 0);
    ck_assert_str_eq(t, "/ceramic/mainnet");
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "testnet-clay", NULL), 0);
    ck_assert_str_eq(t, "/ceramic/testnet-clay");
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "dev-unstable", NULL), 0);
    ck_assert_str_eq(t, "/ceramic/dev-unstable");
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "mainnet", "/x"), -EINVAL);
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "inmemory", "/ceramic/inmemory-interop"), 0);
    ck_assert_str_eq(t, "/ceramic/inmemory-interop");
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "local", NULL), 0);
    ck_assert_int_eq(strncmp(t, "/ceramic/local-", 15), 0);
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, NULL, NULL), 0);
    ck_assert_int_eq(strncmp(t, "/ceramic/inmemory-", 18), 0);
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "elp", NULL), -EINVAL);
    ck_assert_int_eq(cer_sync_topic(t, sizeof t, "local", ""), -EINVAL);
    ck_assert_int_eq(cer_sync_topic(t, 8, "mainnet", NULL), -ENOSPC);
}
END_TEST

static int count(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    (void)id, (void)tip;
    ++*(int *)arg;
    return 0;
}

START_TEST(offline_daemon)
{
    char dir[] = "/tmp/cer-sync-XXXXXX", cmd[64];
    cer_node_opts no = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    cer_sync_opts so = {.ipfs = {.url = "http://127.0.0.1:1", .timeout_ms = 500}, .pubsub_topic = "/t",
                        .query_timeout_ms = 300};
    cer_node *node;
    cer_sync *s;
    cer_streamref id, other;
    cJSON *st = NULL, *c = NULL;
    struct timespec t0, t1;
    int n = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_node_open(&node, &no), 0);
    ck_assert_int_eq(cer_node_attach_ipfs(node, &so.ipfs), 0);
    ck_assert_int_eq(cer_node_attach_ipfs(node, &so.ipfs), -EEXIST);
    ck_assert_int_eq(cer_sync_open(&s, node, &so), 0);
    /* a save works offline and waits in the journal */
    ck_assert_int_eq(cer_json_parse(&c, "{\"a\":1}", 7, 0), 0);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c, 0), 0);
    ck_assert_int_eq(cer_sync_wait_ready(s, 300), -ETIMEDOUT);
    ck_assert_int_eq(cer_sync_flush(s, 300), -ETIMEDOUT);
    ck_assert_int_eq(cer_node_unpublished(node, count, &n), 0);
    ck_assert_int_eq(n, 1);
    /* status: not connected, the reason kept */
    ck_assert_int_eq(cer_node_status(node, &st), 0);
    {
        const cJSON *ip = cJSON_GetObjectItemCaseSensitive(st, "ipfs");
        ck_assert_ptr_nonnull(ip);
        ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(ip, "connected")));
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ip, "topic")->valuestring, "/t");
        ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ip, "last_error")));
    }
    cJSON_Delete(st);
    /* a network load of an unknown stream fails cleanly, in bounded time */
    other = id;
    other.genesis.digest[0] ^= 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_lt(cer_sync_load(s, &other, 300), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 10);
    /* the stream we have is still ours */
    ck_assert_int_eq(cer_sync_load(s, &id, 300), 0);
    cer_sync_close(s);
    /* closed: the section is gone, changes no longer reach the sync */
    ck_assert_int_eq(cer_node_status(node, &st), 0);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(st, "ipfs"));
    cJSON_Delete(st);
    cJSON_Delete(c);
    ck_assert_int_eq(cer_json_parse(&c, "{\"a\":2}", 7, 0), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c), 0);
    cJSON_Delete(c);
    cer_node_close(node);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *sync_suite(void)
{
    Suite *s = suite_create("sync");
    TCase *t = tcase_create("sync");

    tcase_set_timeout(t, 60);
    tcase_add_test(t, topics);
    tcase_add_test(t, offline_daemon);
    suite_add_tcase(s, t);
    return s;
}

CER_TEST_MAIN(sync_suite)
