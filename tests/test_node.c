/*
 * test_node.c — the embedded node through its public API: create, update
 * (one commit per real change, none for an empty diff), a save in one call
 * (cer_node_save: commit, no change, rebase, conflict, bad content), state, pins and
 * aliases across reopen, refusing updates by a non-controller and to a
 * read-only stream type (a Model), learning remote tips (fast-forward and
 * forks), corrupted blocks and records on disk, a second node on the same
 * directory, a read-only open (CER_STORE_RDONLY), a journal entry a
 * crash left outside the log, a lost branch kept readable, forged and
 * unverified anchors (which never win, on any network) and the node's own
 * anchors across restarts, concurrent writers and readers, and the
 * loads in flight (.status "loads", the progress hook, long loads logged).
 */
#include "testutil.h"
#include "dagcbor.h"
#include "loads.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cfs-node-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    tu_rm_tree(dir);
}

static cJSON *json(const char *text)
{
    cJSON *j = NULL;

    ck_assert_int_eq(cer_json_parse(&j, text, strlen(text), 0), 0);
    return j;
}

static cer_node *open_node(const cer_key *key)
{
    cer_node *node;
    cer_node_opts o = {.state_dir = dir, .key = key, .store_flags = CER_STORE_NOSYNC};
    int rc = cer_node_open(&node, &o);

    ck_assert_msg(rc == 0, "open: %s", cer_errmsg());
    return node;
}

static void seed_key(cer_key *key, uint8_t fill)
{
    uint8_t seed[32];

    memset(seed, fill, sizeof seed);
    ck_assert_int_eq(cer_key_from_seed(key, seed), 0);
}

static void assert_content(cer_node *node, const cer_streamref *id, const char *want, size_t log_len)
{
    cer_state *st;
    cJSON *w = json(want);

    ck_assert_int_eq(cer_node_state(node, &st, id), 0);
    ck_assert_msg(cer_json_equal(st->content, w), "content differs");
    ck_assert_uint_eq(st->log_len, log_len);
    cer_state_free(st);
    cJSON_Delete(w);
}

START_TEST(create_update_reopen)
{
    cer_node *node = open_node(NULL);
    cJSON *c0 = json("{\"title\":\"notes\",\"items\":[]}"), *c1 = json("{\"title\":\"notes\",\"items\":[1]}");
    cer_streamref id, id2;
    cer_state *st;
    char did[CER_DID_MAX];

    snprintf(did, sizeof did, "%s", cer_node_did(node));
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    assert_content(node, &id, "{\"title\":\"notes\",\"items\":[]}", 1);
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);  /* no change: no commit */
    assert_content(node, &id, "{\"title\":\"notes\",\"items\":[1]}", 2);
    ck_assert_int_eq(cer_node_alias(node, &id, "notes"), 0);
    cer_node_close(node);

    /* the key, the stream, its alias and state survive a reopen */
    node = open_node(NULL);
    ck_assert_str_eq(cer_node_did(node), did);
    ck_assert_int_eq(cer_node_resolve(node, &id2, "notes"), 0);
    ck_assert(cer_streamref_same_stream(&id, &id2));
    assert_content(node, &id2, "{\"title\":\"notes\",\"items\":[1]}", 2);
    ck_assert_int_eq(cer_node_state(node, &st, &id2), 0);
    ck_assert_int_eq(st->log[1].type, CER_COMMIT_SIGNED);
    ck_assert_str_eq(st->log[1].author, did);
    cer_state_free(st);
    ck_assert_int_eq(cer_node_verify(node, &id2), 0);
    cer_node_close(node);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
}
END_TEST

/* A whole file's bytes (caller frees). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert_ptr_nonnull(s = malloc((size_t)n + 1));
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

static void spill(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* A power loss after an update returned: only the write-ahead log is
 * sure to be on disk, so undo the update's block and record writes and
 * reopen: the log puts them back. */
START_TEST(power_loss_replayed)
{
    cer_node_opts o = {.state_dir = dir};
    cJSON *c0 = json("{\"v\":0}"), *c1 = json("{\"v\":1}");
    char sid[CER_STREAMID_STR_MAX], rec[1024], wal[1024], blk[1024], tip[CER_CID_STR_MAX];
    char *old, *now;
    size_t oldlen, nowlen, n;
    cer_streamref id;
    cer_node *node;
    cJSON *r = NULL;
    struct stat st;
    pid_t pid;
    int status;

    ck_assert_int_eq(cer_node_open(&node, &o), 0);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    cer_node_close(node);
    cer_streamref_to_string(sid, sizeof sid, &id);
    snprintf(rec, sizeof rec, "%s/streams/%s.json", dir, sid);
    snprintf(wal, sizeof wal, "%s/streams/wal.jsonl", dir);
    old = slurp(rec, &oldlen);

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {   /* update, then die without closing */
        if (cer_node_open(&node, &o) != 0 || cer_node_update(node, &id, c1) != 0)
            _exit(3);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(stat(wal, &st), 0);
    ck_assert_int_gt(st.st_size, 0);

    now = slurp(rec, &nowlen);
    ck_assert_int_eq(cer_json_parse(&r, now, nowlen, 0), 0);
    snprintf(tip, sizeof tip, "%s", tu_str(r, "tip"));
    n = strlen(tip);
    snprintf(blk, sizeof blk, "%s/blocks/%.2s/%s.data", dir, tip + n - 3, tip);
    ck_assert_int_eq(unlink(blk), 0);
    spill(rec, old, oldlen);

    ck_assert_int_eq(cer_node_open(&node, &o), 0);
    ck_assert_int_eq(access(blk, F_OK), 0);
    assert_content(node, &id, "{\"v\":1}", 2);
    ck_assert_int_eq(cer_node_verify(node, &id), 0);
    cer_node_close(node);
    ck_assert_int_eq(stat(wal, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    cJSON_Delete(r);
    free(old);
    free(now);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
}
END_TEST

START_TEST(not_controller_refused)
{
    cer_key a, b;
    cer_node *node;
    cer_streamref id;
    cJSON *c0 = json("{\"a\":1}"), *c1 = json("{\"a\":2}");

    cer_streamref unknown;
    cer_cid tip;

    seed_key(&a, 1);
    seed_key(&b, 2);
    node = open_node(&a);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    ck_assert_int_eq(cer_node_controls(node, &id, &tip), 1);
    ck_assert(cer_cid_equal(&tip, &id.genesis));
    cer_node_close(node);
    node = open_node(&b);
    ck_assert_int_eq(cer_node_controls(node, &id, NULL), 0);   /* loads it: a's stream */
    unknown = id;
    unknown.genesis.digest[5] ^= 1;                            /* no such stream */
    ck_assert_int_lt(cer_node_controls(node, &unknown, NULL), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c1), -EPERM);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "not the controller"));
    assert_content(node, &id, "{\"a\":1}", 1);
    cer_node_close(node);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
}
END_TEST

/* cer_node_save(node, id, text, base) with text a NUL-terminated string. */
static int save(cer_node *node, const cer_streamref *id, const char *text, const cer_cid *base, cer_save_result *r)
{
    return cer_node_save(node, id, text, strlen(text), base, r);
}

static cer_cid tip_of(cer_node *node, const cer_streamref *id)
{
    cer_stream_info info;

    ck_assert_int_eq(cer_node_info(node, id, &info), 0);
    return info.tip;
}

/* A save is one call: parse, check, diff against the base, commit; a
 * genesis with no stream yet; no commit for the same content; the bytes
 * need not end in a NUL. */
START_TEST(save_commits_once)
{
    cer_node *node = open_node(NULL);
    cer_save_result r;
    cer_streamref id;
    cer_cid g, t1;
    const char text[] = "{\"a\":1,\"b\":2}GARBAGE";

    ck_assert_int_eq(cer_node_save(node, NULL, text, 13, NULL, &r), 0);  /* a genesis */
    ck_assert_int_eq(r.status, CER_SAVE_COMMITTED);
    id = r.id;
    g = r.tip;
    ck_assert(cer_cid_equal(&g, &id.genesis));
    assert_content(node, &id, "{\"a\":1,\"b\":2}", 1);
    /* no change (other bytes, the same value): no commit */
    ck_assert_int_eq(save(node, &id, " {\"b\":2, \"a\":1}\n", &g, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_UNCHANGED);
    ck_assert(cer_cid_equal(&r.tip, &g));
    ck_assert_int_eq(r.err, 0);
    assert_content(node, &id, "{\"a\":1,\"b\":2}", 1);
    /* a plain commit on its base */
    ck_assert_int_eq(save(node, &id, "{\"a\":1,\"b\":3}", &g, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_COMMITTED);
    t1 = tip_of(node, &id);
    ck_assert(cer_cid_equal(&r.tip, &t1));
    ck_assert(!cer_cid_equal(&t1, &g));
    assert_content(node, &id, "{\"a\":1,\"b\":3}", 2);
    /* no base: onto the tip as it is */
    ck_assert_int_eq(save(node, &id, "{\"a\":2,\"b\":3}", NULL, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_COMMITTED);
    assert_content(node, &id, "{\"a\":2,\"b\":3}", 3);
    /* the state's key order is the patch's, as a walk of the log (and
     * js) has it, not the order the user wrote */
    ck_assert_int_eq(save(node, &id, "{\"z\":1,\"a\":2,\"b\":3}", NULL, &r), 0);
    {
        cer_state *st, *walked;
        char *out = NULL, *out2 = NULL;
        ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
        ck_assert_int_eq(cer_state_load(&walked, cer_node_store(node), &id, &r.tip), 0);
        ck_assert_int_eq(cer_json_print(&out, st->content, 0), 0);
        ck_assert_int_eq(cer_json_print(&out2, walked->content, 0), 0);
        ck_assert_str_eq(out, "{\"a\":2,\"b\":3,\"z\":1}");
        ck_assert_str_eq(out, out2);
        free(out);
        free(out2);
        cer_state_free(walked);
        cer_state_free(st);
    }
    /* big integers stay exact (dag-json) */
    ck_assert_int_eq(save(node, &id, "{\"n\":18446744073709551615}", NULL, &r), 0);
    {
        cer_state *st;
        char *out = NULL;
        ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
        ck_assert_int_eq(cer_json_print(&out, st->content, 0), 0);
        ck_assert_str_eq(out, "{\"n\":18446744073709551615}");
        free(out);
        cer_state_free(st);
    }
    cer_node_close(node);
}
END_TEST

/* The tip moved under the edit: the edit's patch goes onto the new tip
 * (REBASED, the content is not the one given); when the tip's content is
 * the base's (it moved away and back) the content given is committed as
 * it is; when the tip has the edit already, nothing is committed. */
START_TEST(save_rebases_onto_moved_tip)
{
    cer_node *node = open_node(NULL);
    cJSON *remote = json("{\"a\":1,\"b\":20,\"c\":3}"), *back = json("{\"a\":10,\"b\":20,\"c\":3}"),
          *away = json("{\"away\":true}");
    cer_save_result r;
    cer_streamref id;
    cer_cid base, t;

    ck_assert_int_eq(save(node, NULL, "{\"a\":1,\"b\":2,\"c\":3}", NULL, &r), 0);
    id = r.id;
    base = r.tip;
    ck_assert_int_eq(cer_node_update(node, &id, remote), 0);  /* another writer: b */
    ck_assert_int_eq(save(node, &id, "{\"a\":10,\"b\":2,\"c\":3}", &base, &r), 0);  /* this edit: a */
    ck_assert_int_eq(r.status, CER_SAVE_REBASED);
    t = tip_of(node, &id);
    ck_assert(cer_cid_equal(&r.tip, &t));
    assert_content(node, &id, "{\"a\":10,\"b\":20,\"c\":3}", 3);
    /* the tip has the edit already: nothing to commit, still not the bytes given */
    ck_assert_int_eq(save(node, &id, "{\"a\":10,\"b\":2,\"c\":3}", &base, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_REBASED);
    ck_assert(cer_cid_equal(&r.tip, &t));
    assert_content(node, &id, "{\"a\":10,\"b\":20,\"c\":3}", 3);
    /* away and back: the base's content is the tip's, no rebase */
    base = t;
    ck_assert_int_eq(cer_node_update(node, &id, away), 0);
    ck_assert_int_eq(cer_node_update(node, &id, back), 0);
    ck_assert_int_eq(save(node, &id, "{\"a\":10,\"b\":20,\"c\":3,\"d\":4}", &base, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_COMMITTED);
    assert_content(node, &id, "{\"a\":10,\"b\":20,\"c\":3,\"d\":4}", 6);
    cer_node_close(node);
    cJSON_Delete(remote);
    cJSON_Delete(back);
    cJSON_Delete(away);
}
END_TEST

/* An edit that does not apply to the moved tip is refused with -ESTALE
 * and a reason (what the mount shows as "conflict"), and nothing changes:
 * no commit, no lost branch. A base that is not this stream's, refused. */
START_TEST(save_conflict_refused)
{
    cer_node *node = open_node(NULL);
    cJSON *remote = json("{\"b\":2}");
    cer_save_result r;
    cer_streamref id, other;
    cer_lost_branch *lost;
    cer_cid base, t;
    size_t n;

    ck_assert_int_eq(save(node, NULL, "{\"a\":1,\"b\":2}", NULL, &r), 0);
    id = r.id;
    base = r.tip;
    ck_assert_int_eq(cer_node_update(node, &id, remote), 0);  /* a is gone */
    t = tip_of(node, &id);
    ck_assert_int_eq(save(node, &id, "{\"a\":5,\"b\":2}", &base, &r), -ESTALE);
    ck_assert_int_eq(r.status, CER_SAVE_REFUSED);
    ck_assert_int_eq(r.err, -ESTALE);
    ck_assert_msg(strstr(r.reason, "changed since it was opened and this edit does not apply"), "%s", r.reason);
    ck_assert_str_eq(r.reason, cer_errmsg());
    base = tip_of(node, &id);
    ck_assert(cer_cid_equal(&base, &t));
    assert_content(node, &id, "{\"b\":2}", 2);
    ck_assert_int_eq(cer_node_lost_branches(node, &id, &lost, &n), 0);
    ck_assert_uint_eq(n, 0);
    /* the same edit on the tip it now knows commits */
    ck_assert_int_eq(save(node, &id, "{\"a\":5,\"b\":2}", &t, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_COMMITTED);
    /* a base from another stream */
    ck_assert_int_eq(save(node, NULL, "{\"other\":1}", NULL, &r), 0);
    other = r.id;
    ck_assert_int_lt(save(node, &id, "{\"a\":6}", &other.genesis, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_REFUSED);
    assert_content(node, &id, "{\"a\":5,\"b\":2}", 3);
    cer_node_close(node);
    cJSON_Delete(remote);
}
END_TEST

/* What is not one JSON object, or is over a block, is refused before the
 * node is touched; so is a save by another key. */
START_TEST(save_refuses_bad_content)
{
    static const char *const bad[] = {"", "  \n", "{\"a\":", "[1,2]", "\"text\"", "{\"a\":1}{}", "{\"a\":1e999}"};
    cer_key a, b;
    cer_node *node;
    cer_save_result r;
    cer_streamref id;
    cer_cid g;
    char *big;
    size_t n = CER_BLOCK_MAX + 1;

    seed_key(&a, 1);
    seed_key(&b, 2);
    node = open_node(&a);
    ck_assert_int_eq(save(node, NULL, "{\"a\":1}", NULL, &r), 0);
    id = r.id;
    g = r.tip;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(save(node, &id, bad[i], &g, &r), -EINVAL);
        ck_assert_int_eq(r.status, CER_SAVE_REFUSED);
        ck_assert_int_eq(r.err, -EINVAL);
        ck_assert_msg(strncmp(r.reason, "not valid JSON: ", 16) == 0 ||
                          strcmp(r.reason, "a document's content must be a JSON object") == 0,
                      "%s: %s", bad[i], r.reason);
        ck_assert_int_eq(save(node, NULL, bad[i], NULL, &r), -EINVAL);  /* no genesis either */
    }
    ck_assert_int_eq(cer_node_save(node, &id, NULL, 1, &g, &r), -EINVAL);
    /* over a block: refused by its size, before parsing */
    ck_assert_ptr_nonnull(big = malloc(n));
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    ck_assert_int_eq(cer_node_save(node, &id, big, n, &g, &r), -EFBIG);
    ck_assert_int_eq(r.err, -EFBIG);
    /* within the size, but its commit is over a block */
    n = CER_BLOCK_MAX;
    memset(big, 'x', n);
    memcpy(big, "{\"s\":\"", 6);
    memcpy(big + n - 2, "\"}", 2);
    ck_assert_int_eq(cer_node_save(node, &id, big, n, &g, &r), -EFBIG);
    ck_assert_int_eq(r.status, CER_SAVE_REFUSED);
    free(big);
    assert_content(node, &id, "{\"a\":1}", 1);
    cer_node_close(node);
    /* another key: -EPERM, nothing written */
    node = open_node(&b);
    ck_assert_int_eq(save(node, &id, "{\"a\":2}", &g, &r), -EPERM);
    ck_assert_ptr_nonnull(strstr(r.reason, "not the controller"));
    assert_content(node, &id, "{\"a\":1}", 1);
    cer_node_close(node);
}
END_TEST

START_TEST(deterministic_create_is_idempotent)
{
    cer_node *node = open_node(NULL);
    cJSON *hdr = json("{\"family\":\"f\",\"tags\":[\"t\"]}");
    cer_streamref a, b;

    ck_assert_int_eq(cer_node_create(node, &a, hdr, NULL, CER_CREATE_DETERMINISTIC), 0);
    ck_assert_int_eq(cer_node_create(node, &b, hdr, NULL, CER_CREATE_DETERMINISTIC), 0);
    ck_assert(cer_streamref_same_stream(&a, &b));
    ck_assert_int_eq(cer_node_create(node, &b, hdr, NULL, 0), 0);  /* random unique: another stream */
    ck_assert(!cer_streamref_same_stream(&a, &b));
    cer_node_close(node);
    cJSON_Delete(hdr);
}
END_TEST

/* A second node with the same key makes commits; the first learns them. */
START_TEST(learn_remote_tips)
{
    cer_key k;
    cer_node *node;
    cer_store *remote;
    cer_streamref id;
    cer_state *st;
    cer_commit_blocks c1, c2;
    cJSON *c0 = json("{\"n\":0}");
    cJSON *p1 = json("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":1}]");
    cJSON *p2 = json("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2}]");

    seed_key(&k, 3);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    remote = cer_node_store(node);  /* remote commits arrive as blocks in our store */
    ck_assert_int_eq(cer_tile_update(&c1, &k, &id.genesis, &id.genesis, NULL, p1), 0);
    ck_assert_int_eq(cer_tile_update(&c2, &k, &id.genesis, cer_commit_cid(&c1), NULL, p2), 0);
    ck_assert_int_eq(cer_store_put_commit(remote, &c1), 0);
    ck_assert_int_eq(cer_store_put_commit(remote, &c2), 0);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, cer_commit_cid(&c2)), 1);
    assert_content(node, &id, "{\"n\":2}", 3);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, cer_commit_cid(&c1)), 0);  /* already in the log */
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert(cer_cid_equal(cer_state_tip(st), cer_commit_cid(&c2)));
    cer_state_free(st);
    cer_node_close(node);
    cer_commit_blocks_free(&c1);
    cer_commit_blocks_free(&c2);
    cJSON_Delete(c0);
    cJSON_Delete(p1);
    cJSON_Delete(p2);
}
END_TEST

typedef struct seen_t {
    int calls, local;
    cer_cid last;
} seen_t;

static void on_change(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    seen_t *s = arg;

    (void)id;
    s->calls++;
    s->local += (flags & CER_CHANGE_LOCAL) != 0;
    s->last = *tip;
}

START_TEST(listeners_tip_time_update_if)
{
    cer_key k;
    cer_node *node;
    cer_streamref id;
    cer_stream_info info, again;
    cer_commit_blocks c1;
    cer_state *st;
    seen_t seen = {0};
    cJSON *c0 = json("{\"n\":0}"), *c1j = json("{\"n\":1}"), *c2j = json("{\"n\":2}");
    cJSON *p3 = json("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":3}]");
    cer_cid base;

    seed_key(&k, 4);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_listen(node, on_change, &seen), 0);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.local, 1);
    ck_assert(cer_cid_equal(&seen.last, &id.genesis));
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    ck_assert_int_gt(info.tip_time_ms, 1700000000000LL);

    /* an alias change keeps the tip time; an empty update makes no call */
    usleep(5000);
    ck_assert_int_eq(cer_node_alias(node, &id, "doc"), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c0), 0);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(cer_node_info(node, &id, &again), 0);
    ck_assert_int_eq(again.tip_time_ms, info.tip_time_ms);

    /* update_if: on the right base it commits, on a stale one -ESTALE */
    base = id.genesis;
    ck_assert_int_eq(cer_node_update_if(node, &id, &base, c1j), 0);
    ck_assert_int_eq(seen.calls, 2);
    ck_assert_int_eq(cer_node_info(node, &id, &again), 0);
    ck_assert_int_gt(again.tip_time_ms, info.tip_time_ms);
    ck_assert(cer_cid_equal(&again.tip, &seen.last));
    ck_assert_int_eq(cer_node_update_if(node, &id, &base, c2j), -ESTALE);
    ck_assert_int_eq(seen.calls, 2);
    assert_content(node, &id, "{\"n\":1}", 2);

    /* a learned tip calls with flags 0, and the tip time survives reopen */
    ck_assert_int_eq(cer_tile_update(&c1, &k, &id.genesis, &seen.last, NULL, p3), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &c1), 0);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, cer_commit_cid(&c1)), 1);
    ck_assert_int_eq(seen.calls, 3);
    ck_assert_int_eq(seen.local, 2);
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    cer_node_close(node);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_info(node, &id, &again), 0);
    ck_assert_int_eq(again.tip_time_ms, info.tip_time_ms);
    ck_assert_str_eq(again.alias, "doc");
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert(cer_cid_equal(cer_state_tip(st), cer_commit_cid(&c1)));
    cer_state_free(st);
    cer_node_close(node);
    cer_commit_blocks_free(&c1);
    cJSON_Delete(c0);
    cJSON_Delete(c1j);
    cJSON_Delete(c2j);
    cJSON_Delete(p3);
}
END_TEST

static int hook_calls;
static char hook_last[512];

static void on_event(void *arg, const char *kind, const char *line)
{
    (void)arg;
    (void)kind;
    hook_calls++;
    snprintf(hook_last, sizeof hook_last, "%s", line);
}

static int section_fn(cJSON **out, void *arg)
{
    *out = cJSON_CreateString(arg);
    return 0;
}

START_TEST(events_counters_status)
{
    cer_node *node = open_node(NULL);
    cer_streamref id;
    cJSON *c0 = json("{}"), *status, *parsed;
    char *text;
    size_t len, lines = 0;

    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    ck_assert_int_eq(cer_node_events(node, &text, &len), 0);
    ck_assert_uint_eq(len, 0);
    free(text);
    cer_node_on_event(node, on_event, NULL);
    for (int i = 0; i < CER_NODE_EVENTS_MAX + 10; i++)
        cer_node_event(node, "save", i % 2 ? &id : NULL, "bad \"json\" %d", i);
    cer_node_count(node, "dropped", 3);
    ck_assert_int_eq(hook_calls, CER_NODE_EVENTS_MAX + 10);
    ck_assert_ptr_nonnull(strstr(hook_last, "bad \\\"json\\\" 265"));
    ck_assert_int_eq(cer_node_events(node, &text, &len), 0);
    ck_assert_uint_eq(strlen(text), len);
    /* the ring keeps the newest, oldest first, each line a JSON object */
    for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
        ck_assert_int_eq(cer_json_parse(&parsed, p, (size_t)(nl - p), 0), 0);
        ck_assert_str_eq(cJSON_GetObjectItem(parsed, "kind")->valuestring, "save");
        if (lines == 0)
            ck_assert_str_eq(cJSON_GetObjectItem(parsed, "message")->valuestring, "bad \"json\" 10");
        cJSON_Delete(parsed);
    }
    ck_assert_uint_eq(lines, CER_NODE_EVENTS_MAX);
    free(text);
    ck_assert_int_eq(cer_node_status_section(node, "ipfs", section_fn, "offline"), 0);
    ck_assert_int_eq(cer_node_status(node, &status), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(status, "did")->valuestring, cer_node_did(node));
    ck_assert_int_eq(cJSON_GetObjectItem(status, "streams")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(status, "pinned")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(status, "unpublished")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(status, "counters"), "save")->valueint,
                     CER_NODE_EVENTS_MAX + 10);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(status, "counters"), "dropped")->valueint, 3);
    ck_assert_str_eq(cJSON_GetObjectItem(status, "ipfs")->valuestring, "offline");
    cJSON_Delete(status);
    cer_node_close(node);
    cJSON_Delete(c0);
}
END_TEST

/* Events kept across opens (STATE/events): loaded older than the open's
 * own, bounded, garbage lines skipped; a message cut inside a UTF-8
 * character keeps the rest, and names keep their letters. */
START_TEST(events_kept_across_opens)
{
    cer_node *node = open_node(NULL);
    char *text, path[512], name[] = "caf\xc3\xa9", cut[8];
    size_t len, lines = 0;
    FILE *f;

    ck_assert_int_eq(cer_node_events_keep(node, true), 0);
    for (int i = 0; i < 2 * CER_NODE_EVENTS_MAX + 5; i++)
        cer_node_event(node, "save", NULL, "event %d", i);
    cer_node_event(node, "mkdir", NULL, "mkdir %s", name);
    snprintf(cut, sizeof cut, "x%.4s", name);  /* "xcaf" and the first byte of the é */
    cer_node_event(node, "mkdir", NULL, "%s", cut);
    cer_node_close(node);
    /* a torn or foreign line in the file is passed over */
    snprintf(path, sizeof path, "%s/events", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "a"));
    fputs("not json\n{\"message\":\"torn", f);
    fclose(f);

    node = open_node(NULL);
    cer_node_event(node, "other", NULL, "after the open");
    ck_assert_int_eq(cer_node_events_keep(node, false), 0);
    ck_assert_int_eq(cer_node_events(node, &text, &len), 0);
    for (char *p = text; (p = strchr(p, '\n')); p++)
        lines++;
    ck_assert_uint_eq(lines, CER_NODE_EVENTS_MAX);
    ck_assert_ptr_nonnull(strstr(text, "\"mkdir caf\xc3\xa9\""));
    ck_assert_ptr_nonnull(strstr(text, "\"xcaf?\""));
    ck_assert_ptr_null(strstr(text, "torn"));
    /* the open's own event is the newest */
    ck_assert_ptr_nonnull(strstr(text + len - 60, "after the open"));
    free(text);
    cer_node_close(node);
}
END_TEST

START_TEST(corrupted_block_reported)
{
    cer_node *node = open_node(NULL);
    cer_streamref id;
    cJSON *c0 = json("{\"x\":1}");
    char name[CER_CID_STR_MAX], path[512];
    size_t n;
    FILE *f;

    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    cer_node_close(node);
    cer_cid_to_string(name, sizeof name, &id.genesis);
    n = strlen(name);
    snprintf(path, sizeof path, "%s/blocks/%c%c/%s.data", dir, name[n - 3], name[n - 2], name);
    f = fopen(path, "r+b");
    ck_assert_msg(f != NULL, "no block file %s", path);
    fputc('X', f);
    fclose(f);
    node = open_node(NULL);
    ck_assert_int_eq(cer_node_verify(node, &id), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), name));
    cer_node_close(node);
    cJSON_Delete(c0);
}
END_TEST

/* A second node on the same state directory (another command while a
 * mount runs) waits for the first and gives up with -EBUSY without
 * touching anything: it must not sweep the first one's temp files (its
 * puts in flight) nor make a key. Once the first is closed, a stray temp
 * file (a crash leftover) is swept. */
START_TEST(second_open_touches_nothing)
{
    cer_node *a = open_node(NULL), *b = NULL;
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    char shard[512], tmp[600], key[600];
    FILE *f;

    snprintf(shard, sizeof shard, "%s/blocks/aa", dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp-0123456789abcdef", shard);
    snprintf(key, sizeof key, "%s/key", dir);
    ck_assert_int_eq(mkdir(shard, 0755), 0);
    ck_assert_ptr_nonnull(f = fopen(tmp, "w"));  /* a put in flight in a */
    fclose(f);
    ck_assert_int_eq(unlink(key), 0);            /* as before a's first key */
    ck_assert_int_eq(cer_node_open(&b, &o), -EBUSY);
    ck_assert_ptr_null(b);
    ck_assert_msg(access(tmp, F_OK) == 0, "the other node's temp file was swept");
    ck_assert_msg(access(key, F_OK) < 0, "a key was made without the lock");
    cer_node_close(a);
    b = open_node(NULL);
    ck_assert_msg(access(tmp, F_OK) < 0, "a stray temp file was kept");
    ck_assert_int_eq(access(key, F_OK), 0);
    cer_node_close(b);
}
END_TEST

/* CER_STORE_RDONLY: a missing node is -ENOENT and nothing is made; on a
 * node, two readers share it, reading works,
 * changes are -EROFS, and no file appears or changes (no key, no cache,
 * no temp sweep, the journal's torn line kept). */
static int count_one(const cer_stream_info *info, void *arg)
{
    (void)info;
    ++*(int *)arg;
    return 0;
}

static char *tree_listing(void)
{
    char cmd[256], *out = malloc(65536);
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof cmd, "cd %s && find . -exec stat -c '%%n %%s %%Y' {} + | sort", dir);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(p = popen(cmd, "r"));
    n = fread(out, 1, 65535, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

START_TEST(read_only_open)
{
    cer_node_opts ro = {.state_dir = dir, .store_flags = CER_STORE_RDONLY};
    cer_node *node, *r1 = NULL, *r2 = NULL;
    cer_streamref id, other;
    cer_state *st = NULL;
    cJSON *c = json("{\"a\":1}");
    char missing[128], key[128], tmp[256], *before, *after;
    int n = 0;
    FILE *f;

    snprintf(missing, sizeof missing, "%s/none", dir);
    ro.state_dir = missing;
    ck_assert_int_eq(cer_node_open(&r1, &ro), -ENOENT);
    ck_assert_int_eq(access(missing, F_OK), -1);
    ro.state_dir = dir;

    node = open_node(NULL);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c, 0), 0);
    cer_node_close(node);
    snprintf(key, sizeof key, "%s/key", dir);
    ck_assert_int_eq(unlink(key), 0);
    snprintf(tmp, sizeof tmp, "%s/streams/.tmp-stray", dir);
    ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
    fclose(f);
    snprintf(tmp, sizeof tmp, "%s/streams/journal.jsonl", dir);
    ck_assert_ptr_nonnull(f = fopen(tmp, "a"));
    fputs("{\"torn", f);
    fclose(f);
    before = tree_listing();

    ck_assert_msg(cer_node_open(&r1, &ro) == 0, "open: %s", cer_errmsg());
    ck_assert_msg(cer_node_open(&r2, &ro) == 0, "second reader: %s", cer_errmsg());
    ck_assert_int_eq(cer_node_list(r1, count_one, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(cer_node_state(r1, &st, &id), 0);
    cer_state_free(st);
    ck_assert_int_eq(cer_node_create(r1, &other, NULL, c, 0), -EROFS);
    ck_assert_int_eq(cer_node_update(r1, &id, c), -EROFS);
    ck_assert_int_eq(cer_node_pin(r1, &id, false), -EROFS);
    cer_node_close(r2);
    cer_node_close(r1);
    after = tree_listing();
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    cJSON_Delete(c);
}
END_TEST

/* A stream record damaged on disk: the stream is not known until it is
 * repaired, and open says so (warnings, a "registry" event); the file and
 * the blocks stay. */
START_TEST(damaged_record_reported)
{
    cer_node *node = open_node(NULL);
    cer_streamref id;
    cer_state *st;
    cJSON *c0 = json("{\"x\":1}");
    char sid[CER_STREAMID_STR_MAX], path[512], *events = NULL;
    const char *const *w;
    size_t n, len;

    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    cer_node_close(node);
    cer_streamref_to_string(sid, sizeof sid, &id);
    snprintf(path, sizeof path, "%s/streams/%s.json", dir, sid);
    ck_assert_int_eq(truncate(path, 20), 0);
    node = open_node(NULL);
    w = cer_node_warnings(node, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_nonnull(strstr(w[0], sid));
    ck_assert_ptr_null(w[1]);
    ck_assert_int_eq(cer_node_events(node, &events, &len), 0);
    ck_assert_ptr_nonnull(strstr(events, "\"kind\":\"registry\""));
    ck_assert_ptr_nonnull(strstr(events, sid));
    free(events);
    ck_assert_int_eq(cer_node_state(node, &st, &id), -ENOENT);
    ck_assert_int_eq(access(path, F_OK), 0);
    cer_node_close(node);
    cJSON_Delete(c0);
}
END_TEST

/* A stream of a read-only type (a Model, learned from the network) loads
 * and shows; an update is refused with a reason, nothing is made. */
START_TEST(read_only_types_refused)
{
    cer_key k;
    cer_node *node;
    cer_streamref meta, id = {.type = CER_STREAM_MODEL};
    cer_buf p = CER_BUF_INIT, env = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    uint8_t mb[CER_STREAMID_BYTES_MAX];
    cJSON *def = json("{\"version\":\"2.0\",\"name\":\"Post\",\"accountRelation\":{\"type\":\"list\"},"
                      "\"schema\":{\"type\":\"object\"}}"),
          *c1 = json("{\"name\":\"changed\"}");
    cer_cid pcid;
    cer_jws jws;
    int n;

    seed_key(&k, 9);
    node = open_node(&k);
    /* {data: def, header: {sep: "model", model: <meta-model StreamID>, controllers: [did]}}, signed */
    ck_assert_int_eq(cer_streamref_parse(&meta, "kh4q0ozorrgaq2mezktnrmdwleo1d"), 0);
    ck_assert_int_gt(n = cer_streamref_to_bytes(mb, sizeof mb, &meta), 0);
    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_json(&w, def, 0);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_map(&w, 3);
    cer_cbor_w_text(&w, "sep");
    cer_cbor_w_text(&w, "model");
    cer_cbor_w_text(&w, "model");
    cer_cbor_w_bytes(&w, mb, (size_t)n);
    cer_cbor_w_text(&w, "controllers");
    cer_cbor_w_array(&w, 1);
    cer_cbor_w_text(&w, k.did);
    ck_assert_int_eq(w.err, 0);
    cer_cid_of_block(&pcid, CER_CODEC_DAG_CBOR, p.data, p.len);
    ck_assert_int_eq(cer_store_put(cer_node_store(node), &pcid, p.data, p.len), 0);
    ck_assert_int_eq(cer_jws_sign(&jws, &k, &pcid), 0);
    ck_assert_int_eq(cer_dagjose_encode(&env, &jws), 0);
    cer_cid_of_block(&id.genesis, CER_CODEC_DAG_JOSE, env.data, env.len);
    ck_assert_int_eq(cer_store_put(cer_node_store(node), &id.genesis, env.data, env.len), 0);
    id.commit = id.genesis;

    ck_assert_msg(cer_node_learn_tip(node, &id, &id.genesis) == 1, "%s", cer_errmsg());
    assert_content(node, &id, "{\"version\":\"2.0\",\"name\":\"Post\",\"accountRelation\":{\"type\":\"list\"},"
                              "\"schema\":{\"type\":\"object\"}}", 1);
    ck_assert_int_eq(cer_node_controls(node, &id, NULL), 0);  /* its controller, but not a tile */
    ck_assert_int_eq(cer_node_update(node, &id, c1), -ENOTSUP);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "not a TileDocument"));
    assert_content(node, &id, "{\"version\":\"2.0\",\"name\":\"Post\",\"accountRelation\":{\"type\":\"list\"},"
                              "\"schema\":{\"type\":\"object\"}}", 1);
    ck_assert_int_eq(cer_node_verify(node, &id), 0);
    cer_node_close(node);
    cer_jws_free(&jws);
    cer_buf_free(&env);
    cer_buf_free(&p);
    cJSON_Delete(def);
    cJSON_Delete(c1);
}
END_TEST

/* A MID made by a save (the mount's first save in a Model's folder): list
 * a signed genesis holding the content, refused content makes nothing;
 * single this key's one document, whose StreamID cer_node_mid_target
 * knows before it is made; the Model read back from the genesis; a MID
 * of this key is one cer_node_controls lets it write. */
START_TEST(save_makes_mids)
{
    static const char *const schema =
        "\"schema\":{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
        "\"additionalProperties\":false,\"properties\":{\"t\":{\"type\":\"string\"}},\"required\":[\"t\"]}";
    char text[512];
    cer_node *node = open_node(NULL);
    cer_streamref list, single, id, want, model;
    cer_stream_info info;
    cer_save_result r;
    cJSON *def;

    snprintf(text, sizeof text, "{\"version\":\"1.0\",\"name\":\"L\",\"accountRelation\":{\"type\":\"list\"},%s}", schema);
    ck_assert_int_eq(cer_node_create_model(node, &list, def = json(text)), 0);
    cJSON_Delete(def);
    snprintf(text, sizeof text, "{\"version\":\"1.0\",\"name\":\"S\",\"accountRelation\":{\"type\":\"single\"},%s}", schema);
    ck_assert_int_eq(cer_node_create_model(node, &single, def = json(text)), 0);
    cJSON_Delete(def);

    ck_assert_int_eq(cer_node_mid_target(node, &list, &want), 0);
    ck_assert_int_eq(cer_node_save_mid(node, &list, "{\"t\":1}", 7, &r), -EINVAL);
    ck_assert_int_eq(r.status, CER_SAVE_REFUSED);
    ck_assert_str_eq(r.reason, "Validation Error: data/t must be string");
    ck_assert_str_eq(r.detail, "instancePath /t, keyword type");
    ck_assert_int_eq(cer_node_save_mid(node, &list, "{\"u\":1}", 7, &r), -EINVAL);
    ck_assert_str_eq(r.detail, "instancePath \"\", keyword required; instancePath \"\", keyword additionalProperties");
    ck_assert_int_eq(cer_node_save_mid(node, &list, "[1]", 3, &r), -EINVAL);
    ck_assert_str_eq(r.detail, "");  /* not the schema's refusal */
    ck_assert_int_eq(cer_node_save_mid(node, NULL, "{\"t\":\"a\"}", 9, &r), -EINVAL);
    ck_assert_int_eq(cer_node_save_mid(node, &list, "{\"t\":\"a\"}", 9, &r), 0);
    ck_assert_int_eq(r.status, CER_SAVE_COMMITTED);
    ck_assert_int_eq(r.id.type, CER_STREAM_MID);
    ck_assert(cer_cid_equal(&r.tip, &r.id.genesis));
    assert_content(node, &r.id, "{\"t\":\"a\"}", 1);
    ck_assert_int_eq(cer_node_mid_model(node, &r.id, &model), 0);
    ck_assert(cer_streamref_same_stream(&model, &list));
    ck_assert_int_eq(cer_node_controls(node, &r.id, NULL), 1);
    ck_assert_int_eq(cer_node_mid_model(node, &list, &model), -EINVAL);  /* a Model is no MID */

    ck_assert_int_eq(cer_node_mid_target(node, &single, &want), 1);
    ck_assert_int_eq(cer_node_info(node, &want, &info), -ENOENT);  /* not made yet */
    ck_assert_int_eq(cer_node_save_mid(node, &single, "{\"t\":\"me\"}", 10, &r), 0);
    ck_assert(cer_streamref_same_stream(&r.id, &want));
    id = r.id;
    assert_content(node, &id, "{\"t\":\"me\"}", 2);  /* the deterministic genesis, then the content */
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    ck_assert(cer_cid_equal(&info.tip, &r.tip));
    ck_assert_int_eq(cer_node_mid_model(node, &id, &model), 0);
    ck_assert(cer_streamref_same_stream(&model, &single));

    ck_assert_int_eq(cer_node_mid_target(node, &id, &want), -EINVAL);  /* not a Model */
    cer_node_close(node);
}
END_TEST

static int collect_tip(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    cer_cid *tips = arg;

    (void)id;
    for (int i = 0; i < 4; i++)
        if (!tips[i].version) {
            tips[i] = *tip;
            return 0;
        }
    return 1;
}

/* A crash between the journal append and the record write leaves a
 * journal entry for a commit that is not in the log: it is not published
 * (it would fork the user's next update on the network) and leaves the
 * journal, with an event. */
START_TEST(journal_entry_not_in_log_dropped)
{
    cer_node *node = open_node(NULL);
    cJSON *c0 = json("{\"n\":0}"), *c1 = json("{\"n\":1}"), *patch = json("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":9}]");
    cer_commit_blocks cb;
    cer_streamref id;
    cer_stream_info info;
    cer_cid tips[4];
    char sid[CER_STREAMID_STR_MAX], orphan[CER_CID_STR_MAX], path[512], *events = NULL;
    size_t len;
    cer_key key;
    FILE *f;

    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    /* the crash: the commit's blocks and its journal line, no record */
    ck_assert_int_eq(cer_key_load_file(&key, strcat(strcpy(path, dir), "/key")), 0);
    ck_assert_int_eq(cer_tile_update(&cb, &key, &id.genesis, &info.tip, NULL, patch), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
    cer_node_close(node);
    cer_streamref_to_string(sid, sizeof sid, &id);
    cer_cid_to_string(orphan, sizeof orphan, cer_commit_cid(&cb));
    snprintf(path, sizeof path, "%s/streams/journal.jsonl", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "a"));
    fprintf(f, "{\"stream\":\"%s\",\"tip\":\"%s\"}\n", sid, orphan);
    fclose(f);

    node = open_node(NULL);
    memset(tips, 0, sizeof tips);
    ck_assert_int_eq(cer_node_unpublished(node, collect_tip, tips), 0);
    ck_assert_msg(tips[0].version && tips[1].version && !tips[2].version, "want the genesis and the update");
    ck_assert(cer_cid_equal(&tips[1], &info.tip));
    ck_assert_int_eq(cer_node_published(node, &id, cer_commit_cid(&cb)), -ENOENT);  /* dropped */
    ck_assert_int_eq(cer_node_events(node, &events, &len), 0);
    ck_assert_ptr_nonnull(strstr(events, orphan));
    free(events);
    assert_content(node, &id, "{\"n\":1}", 2);
    cer_node_close(node);
    cer_key_wipe(&key);
    cer_commit_blocks_free(&cb);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
    cJSON_Delete(patch);
}
END_TEST

/* A signed commit of key k on prev (replacing /n with value), its blocks
 * put in node's store as a remote commit's arrive; its CID in *out. */
static void remote_commit(cer_node *node, const cer_key *k, const cer_streamref *id, const cer_cid *prev, int value,
                          cer_cid *out)
{
    char text[80];
    cer_commit_blocks cb;
    cJSON *patch;

    snprintf(text, sizeof text, "[{\"op\":\"add\",\"path\":\"/n\",\"value\":%d}]", value);
    patch = json(text);
    ck_assert_int_eq(cer_tile_update(&cb, k, &id->genesis, prev, NULL, patch), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
    *out = *cer_commit_cid(&cb);
    cer_commit_blocks_free(&cb);
    cJSON_Delete(patch);
}

/* This node saves once; the same key wrote three commits elsewhere from
 * the same tip: the longer branch wins (js-ceramic's rule), and the saved
 * content stays readable as a lost branch, reported, across a reopen. A
 * shorter branch changes nothing; the list is bounded; a damaged file of
 * them refuses a merge that would lose another branch. */
START_TEST(lost_branch_kept)
{
    cer_key k;
    cer_node *node;
    cer_streamref id;
    cer_stream_info info;
    cer_lost_branch *lost;
    size_t n;
    cer_cid mine, r1, r2, r3, x, base;
    cJSON *c0 = json("{\"n\":0}"), *c1 = json("{\"mine\":1}"), *want;
    char cid[CER_CID_STR_MAX], sid[CER_STREAMID_STR_MAX], path[512], *events = NULL;
    FILE *f;

    seed_key(&k, 5);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    ck_assert_int_eq(cer_node_lost_branches(node, &id, &lost, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(lost);
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    mine = info.tip;
    remote_commit(node, &k, &id, &id.genesis, 1, &r1);
    remote_commit(node, &k, &id, &r1, 2, &r2);
    remote_commit(node, &k, &id, &r2, 3, &r3);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, &r3), 1);
    assert_content(node, &id, "{\"n\":3}", 4);
    /* a shorter branch loses: nothing recorded */
    remote_commit(node, &k, &id, &r1, 9, &x);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, &x), 0);
    ck_assert_int_eq(cer_node_events(node, &events, &n), 0);
    cer_cid_to_string(cid, sizeof cid, &mine);
    ck_assert_ptr_nonnull(strstr(events, "\"kind\":\"conflict\""));
    ck_assert_ptr_nonnull(strstr(events, cid));
    ck_assert_ptr_null(strstr(strstr(events, cid) + 1, "\"kind\":\"conflict\""));  /* only one */
    free(events);
    cer_node_close(node);

    node = open_node(&k);
    ck_assert_ptr_nonnull(cer_node_warnings(node, &n));
    ck_assert_uint_eq(n, 0);  /* the file of lost branches is no stream record */
    ck_assert_int_eq(cer_node_lost_branches(node, &id, &lost, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(lost[0].n, 1);
    ck_assert(cer_cid_equal(&lost[0].tip, &mine));
    ck_assert(cer_cid_equal(&lost[0].replaced_by, &r3));
    ck_assert_uint_eq(lost[0].dropped, 1);
    ck_assert(lost[0].time_ms > 0);
    ck_assert(cer_json_equal(lost[0].content, c1));
    cer_lost_branches_free(lost, n);
    /* the store still has the lost branch's blocks */
    ck_assert_int_eq(cer_store_has(cer_node_store(node), &mine), 1);

    /* bounded: the oldest go, numbers are never reused */
    for (int i = 0; i < CER_LOST_MAX + 1; i++) {
        char text[32];
        ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
        base = info.tip;
        snprintf(text, sizeof text, "{\"loop\":%d}", i);
        want = json(text);
        ck_assert_int_eq(cer_node_update(node, &id, want), 0);
        cJSON_Delete(want);
        remote_commit(node, &k, &id, &base, 100 + i, &r1);
        remote_commit(node, &k, &id, &r1, 200 + i, &r2);
        ck_assert_int_eq(cer_node_learn_tip(node, &id, &r2), 1);
    }
    ck_assert_int_eq(cer_node_lost_branches(node, &id, &lost, &n), 0);
    ck_assert_uint_eq(n, CER_LOST_MAX);
    ck_assert_uint_eq(lost[0].n, 3);
    ck_assert_uint_eq(lost[n - 1].n, CER_LOST_MAX + 2);
    want = json("{\"loop\":16}");
    ck_assert(cer_json_equal(lost[n - 1].content, want));
    cJSON_Delete(want);
    cer_lost_branches_free(lost, n);

    /* a damaged file: reported, left alone, and no branch is lost unkept */
    cer_streamref_to_string(sid, sizeof sid, &id);
    snprintf(path, sizeof path, "%s/streams/%s.lost.json", dir, sid);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("{\"streamId\":\"", f);
    fputs(sid, f);
    fputs("\",\"lost\":[{\"n\":1}]}", f);
    fclose(f);
    ck_assert_int_eq(cer_node_lost_branches(node, &id, &lost, &n), -EBADMSG);
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    base = info.tip;
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    mine = info.tip;
    remote_commit(node, &k, &id, &base, 1, &r1);
    remote_commit(node, &k, &id, &r1, 2, &r2);
    ck_assert_int_lt(cer_node_learn_tip(node, &id, &r2), 0);
    ck_assert_int_eq(cer_node_info(node, &id, &info), 0);
    ck_assert(cer_cid_equal(&info.tip, &mine));
    cer_node_close(node);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
}
END_TEST

typedef struct worker {
    cer_node *node;
    cer_streamref id;
    int n;
} worker;

static void *writer(void *arg)
{
    worker *w = arg;
    char text[64];

    for (int i = 1; i <= w->n; i++) {
        cJSON *c;
        snprintf(text, sizeof text, "{\"i\":%d}", i);
        cer_json_parse(&c, text, strlen(text), 0);
        if (cer_node_update(w->node, &w->id, c) != 0)
            return (void *)1;
        cJSON_Delete(c);
    }
    return NULL;
}

static void *reader(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < 200; i++) {
        cer_state *st;
        if (cer_node_state(w->node, &st, &w->id) != 0)
            return (void *)1;
        cer_state_free(st);
    }
    return NULL;
}

/* ---- anchors: what counts, on which network ---- */

static cer_node *open_node_on(const cer_key *key, const char *network)
{
    cer_node *node;
    cer_node_opts o = {.state_dir = dir, .key = key, .network = network, .store_flags = CER_STORE_NOSYNC};

    ck_assert_msg(cer_node_open(&node, &o) == 0, "open: %s", cer_errmsg());
    return node;
}

static void put(cer_store *s, const cer_block *b)
{
    ck_assert_int_eq(cer_store_put(s, &b->cid, b->bytes.data, b->bytes.len), 0);
}

/* What a peer with no key can publish: a Merkle node [prev, junk], a
 * proof on chain_id over it (block time 1, earlier than anything) and an
 * anchor commit {id, prev, proof, path "0"}. Returns the anchor commit. */
static cer_cid forge_anchor(cer_store *s, const cer_streamref *id, const cer_cid *prev, const char *chain_id)
{
    cer_buf b = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&b);
    uint8_t h[32] = {0x42};
    cer_anchor_proof p = {.has_block_timestamp = true, .block_timestamp = 1};
    cer_anchor_commit ac = {.has_id = true, .id = id->genesis, .prev = *prev, .path = "0"};
    cer_block pb, ab;
    cer_cid junk, cid;

    cer_eth_tx_cid(&junk, h);
    cer_cbor_w_array(&w, 2);
    cer_cbor_w_link(&w, prev);
    cer_cbor_w_link(&w, &junk);
    ck_assert_int_eq(w.err, 0);
    cer_cid_of_block(&p.root, CER_CODEC_DAG_CBOR, b.data, b.len);
    ck_assert_int_eq(cer_store_put(s, &p.root, b.data, b.len), 0);
    snprintf(p.chain_id, sizeof p.chain_id, "%s", chain_id);
    h[1] = (uint8_t)strlen(chain_id);
    cer_eth_tx_cid(&p.tx_hash, h);
    ck_assert_int_eq(cer_anchor_proof_encode(&pb, &p), 0);
    put(s, &pb);
    ac.proof = pb.cid;
    ck_assert_int_eq(cer_anchor_commit_encode(&ab, &ac), 0);
    put(s, &ab);
    cid = ab.cid;
    cer_buf_free(&b);
    cer_buf_free(&pb.bytes);
    cer_buf_free(&ab.bytes);
    return cid;
}

static int count_events(cer_node *node, const char *needle)
{
    char *text, *p;
    size_t len;
    int n = 0;

    ck_assert_int_eq(cer_node_events(node, &text, &len), 0);
    for (p = text; (p = strstr(p, needle)); p++)
        n++;
    free(text);
    return n;
}

/* The forged-anchor attack: a peer with no key anchors the genesis on some
 * chain and announces it. Whatever the chain, the signed saves stay: a
 * chain the network does not accept is an invalid commit (an error, an
 * event, a counter); an accepted one nobody here can verify is kept out of
 * the log's weight and the longer signed log stays. */
START_TEST(forged_anchor_never_wins)
{
    static const struct {
        const char *network, *rpc, *chain;
        int learn;             /* learn_tip's result */
        const char *counter;   /* the counter it moves */
    } cases[] = {
        {NULL, NULL, "inmemory:12345", 0, "anchor_unverified"},
        {NULL, NULL, "inmemory:other", -EINVAL, "anchor_rejected"},
        {NULL, NULL, "eip155:1", -EINVAL, "anchor_rejected"},
        {NULL, NULL, "bip122:000000000019d6689c085ae165831e93", -EINVAL, "anchor_rejected"},
        {"mainnet", NULL, "eip155:1", 0, "anchor_unverified"},
        {"mainnet", NULL, "inmemory:12345", -EINVAL, "anchor_rejected"},
        {"testnet-clay", NULL, "eip155:100", 0, "anchor_unverified"},
        {"local", NULL, "eip155:1", -EINVAL, "anchor_rejected"},
        /* with a chain RPC (down here): unverified, or not accepted at all */
        {"local", "http://127.0.0.1:1", "eip155:1337", 0, "anchor_unverified"},
        {"local", "http://127.0.0.1:1", "bip122:000000000019d6689c085ae165831e93", -EINVAL, "anchor_rejected"},
        {NULL, "http://127.0.0.1:1", "eip155:1", -EINVAL, "anchor_rejected"},
    };
    cer_key k;
    cJSON *c[3] = {json("{\"v\":0}"), json("{\"v\":1}"), json("{\"v\":2}")};

    seed_key(&k, 11);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cer_node *node = open_node_on(&k, cases[i].network);
        cer_anchor_opts ao = {.mode = "none", .eth_rpc = cases[i].rpc, .timeout = 1};
        cer_streamref id;
        cer_stream_info before, after;
        cer_state *st;
        cer_cid forged;
        int rc;

        ck_assert_int_eq(cer_node_set_anchor_check(node, &ao), 0);
        ck_assert_int_eq(cer_node_create(node, &id, NULL, c[0], 0), 0);
        ck_assert_int_eq(cer_node_update(node, &id, c[1]), 0);
        ck_assert_int_eq(cer_node_update(node, &id, c[2]), 0);
        ck_assert_int_eq(cer_node_info(node, &id, &before), 0);
        forged = forge_anchor(cer_node_store(node), &id, &id.genesis, cases[i].chain);
        rc = cer_node_learn_tip(node, &id, &forged);
        ck_assert_msg(rc == cases[i].learn, "%s on %s: %d (%s)", cases[i].chain,
                      cases[i].network ? cases[i].network : "inmemory", rc, cer_errmsg());
        if (rc < 0) {
            ck_assert_ptr_nonnull(strstr(cer_errmsg(), "not accepted on network"));
            ck_assert_int_eq(count_events(node, "\"kind\":\"anchor\""), 1);
        }
        ck_assert_int_eq(cer_node_counter(node, cases[i].counter), 1);
        /* the signed saves stay, whatever happened */
        ck_assert_int_eq(cer_node_info(node, &id, &after), 0);
        ck_assert(cer_cid_equal(&before.tip, &after.tip));
        assert_content(node, &id, "{\"v\":2}", 3);
        ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
        ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
        cer_state_free(st);
        cer_node_close(node);
        /* opened without a network: the one the directory was used with */
        node = open_node(&k);
        ck_assert_str_eq(cer_node_network(node), cases[i].network ? cases[i].network : "inmemory");
        assert_content(node, &id, "{\"v\":2}", 3);
        cer_node_close(node);
        tu_rm_tree(dir);
        ck_assert_int_eq(mkdir(dir, 0700), 0);
    }
    for (int i = 0; i < 3; i++)
        cJSON_Delete(c[i]);
}
END_TEST

/* An anchor that only extends our tip is applied, but if nobody here can
 * verify it, it changes nothing: same content, not ANCHORED, no time. The
 * node's own in-memory anchors are verified, also after a restart with no
 * cache (own-anchors in the state directory), and by nobody else. */
START_TEST(unverified_extension_and_own_anchors)
{
    cer_key k;
    cer_node *node;
    cer_anchorer *a;
    cer_anchor_opts ao = {.interval = -1};
    cer_streamref id;
    cer_state *st;
    cer_cid forged;
    cJSON *c0 = json("{\"v\":0}"), *c1 = json("{\"v\":1}");
    char sid[CER_STREAMID_STR_MAX], path[512], cache[512];

    seed_key(&k, 12);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c0, 0), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);
    ck_assert_int_eq(cer_node_info(node, &id, &(cer_stream_info){0}), 0);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    forged = forge_anchor(cer_node_store(node), &id, cer_state_tip(st), "inmemory:12345");
    cer_state_free(st);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, &forged), 1);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert(cer_cid_equal(cer_state_tip(st), &forged));
    ck_assert_uint_eq(st->log_len, 3);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    ck_assert_int_eq(st->log[2].check, CER_CHECK_UNVERIFIED_FINAL);
    ck_assert_str_eq(cer_anchor_check_name(st->log[2].check), "unverified");
    for (size_t i = 0; i < st->log_len; i++)
        ck_assert_int_eq(st->log[i].timestamp, 0);
    cer_state_free(st);
    assert_content(node, &id, "{\"v\":1}", 3);
    ck_assert_int_eq(count_events(node, "\"kind\":\"anchor\""), 0);  /* not an error */

    /* an unverified anchor anchors nothing: the tip is anchored here, on
     * top of it (verified: our own), and again after the next save */
    ck_assert_int_eq(cer_anchorer_start(&a, node, &ao), 0);
    ck_assert_int_eq(cer_anchorer_request(a, &id), 0);
    ck_assert_int_eq(cer_anchorer_flush(a), 1);
    ck_assert_int_eq(cer_anchorer_request(a, &id), 1);  /* now it is anchored */
    ck_assert_int_eq(cer_node_update(node, &id, c0), 0);
    ck_assert_int_eq(cer_anchorer_flush(a), 1);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_uint_eq(st->log_len, 6);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_ANCHORED);
    ck_assert_int_eq(st->log[3].check, CER_CHECK_VERIFIED);
    ck_assert_int_eq(st->log[5].check, CER_CHECK_VERIFIED);
    ck_assert_int_gt(st->log[5].timestamp, 1600000000);
    ck_assert_int_gt(st->log[1].timestamp, 1600000000);
    ck_assert_int_eq(st->log[2].timestamp, 0);  /* the unverified one stays timeless */
    ck_assert_int_eq(st->log[4].timestamp, st->log[5].timestamp);
    cer_state_free(st);
    /* a tip queued here, covered by an anchor from elsewhere that is not
     * verified: anchored all the same (not dropped as "moved on") */
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);  /* queued (a local change) */
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    forged = forge_anchor(cer_node_store(node), &id, cer_state_tip(st), "inmemory:12345");
    cer_state_free(st);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, &forged), 1);
    ck_assert_int_eq(cer_anchorer_flush(a), 1);
    cer_anchorer_stop(a);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_uint_eq(st->log_len, 9);
    ck_assert(cer_cid_equal(&st->log[7].cid, &forged));
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_ANCHORED);
    ck_assert_int_eq(st->log[8].check, CER_CHECK_VERIFIED);
    cer_state_free(st);
    /* a restart without the state cache: rebuilt from the blocks, still ours */
    cer_node_close(node);
    ck_assert_int_gt(cer_streamref_to_string(sid, sizeof sid, &id), 0);
    snprintf(cache, sizeof cache, "%s/streams/%s.state.json", dir, sid);
    ck_assert_int_eq(unlink(cache), 0);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_ANCHORED);
    ck_assert_int_eq(st->log[st->log_len - 1].check, CER_CHECK_VERIFIED);
    cer_state_free(st);
    cer_node_close(node);
    /* as another node would (the same blocks, not its anchor): unverified */
    snprintf(path, sizeof path, "%s/own-anchors", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(unlink(cache), 0);
    node = open_node(&k);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_int_ne(st->anchor_status, CER_ANCHOR_ANCHORED);
    ck_assert_int_eq(st->log[st->log_len - 1].check, CER_CHECK_UNVERIFIED_FINAL);
    for (size_t i = 0; i < st->log_len; i++)
        ck_assert_int_eq(st->log[i].timestamp, 0);
    cer_state_free(st);
    cer_node_close(node);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
}
END_TEST

START_TEST(concurrent_writers_and_readers)
{
    cer_node *node = open_node(NULL);
    worker w[4];
    pthread_t t[8];
    cJSON *c0 = json("{\"i\":0}");

    for (int i = 0; i < 4; i++) {
        w[i] = (worker){node, {0}, 25};
        ck_assert_int_eq(cer_node_create(node, &w[i].id, NULL, c0, 0), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_create(&t[i], NULL, writer, &w[i]);
        pthread_create(&t[4 + i], NULL, reader, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        ck_assert_ptr_null(r);
    }
    for (int i = 0; i < 4; i++) {
        assert_content(node, &w[i].id, "{\"i\":25}", 26);
        ck_assert_int_eq(cer_node_verify(node, &w[i].id), 0);
    }
    cer_node_close(node);
    cJSON_Delete(c0);
}
END_TEST

/* A long log is verified on every core: a valid one loads whole, and one
 * with a commit signed by the wrong key in the middle stops right before
 * it, with the reason, whichever thread checked it. */
START_TEST(long_log_parallel_verification)
{
    cer_key a, b;
    cer_store *s;
    cer_commit_blocks g, c;
    cer_streamref id = {.type = CER_STREAM_TILE};
    cer_state *st = NULL;
    cer_cid prev, tips[2];
    cJSON *c0 = json("{\"n\":0}");
    char patch[96];

    seed_key(&a, 5);
    seed_key(&b, 6);
    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    ck_assert_int_eq(cer_tile_genesis(&g, &a, NULL, c0), 0);
    ck_assert_int_eq(cer_store_put_commit(s, &g), 0);
    id.genesis = prev = *cer_commit_cid(&g);
    for (int i = 1; i <= 300; i++) {
        cJSON *p;
        snprintf(patch, sizeof patch, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":%d}]", i);
        p = json(patch);
        /* commit 200 is signed by b, who is not the controller */
        ck_assert_int_eq(cer_tile_update(&c, i == 200 ? &b : &a, &id.genesis, &prev, NULL, p), 0);
        ck_assert_int_eq(cer_store_put_commit(s, &c), 0);
        prev = *cer_commit_cid(&c);
        if (i == 199)
            tips[0] = prev;
        cer_commit_blocks_free(&c);
        cJSON_Delete(p);
    }
    tips[1] = prev;
    ck_assert_int_eq(cer_state_load(&st, s, &id, &tips[0]), 0);
    ck_assert_uint_eq(st->log_len, 200);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &tips[1]), -EKEYREJECTED);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "not the controller"));
    ck_assert_uint_eq(st->log_len, 200);  /* genesis + 199 good updates */
    ck_assert(cer_cid_equal(cer_state_tip(st), &tips[0]));
    cer_state_free(st);
    cer_commit_blocks_free(&g);
    cer_store_close(s);
    cJSON_Delete(c0);
}
END_TEST

/* ---- loads in flight ---- */

typedef struct load_watch {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;
    bool blocked, go;
    cer_load_progress last;
    cer_node *node;
    cer_streamref id;
    cer_cid tip;
    int rc;
} load_watch;

/* The progress hook: the first call holds the load until the test says go. */
static void on_load(void *arg, const cer_load_progress *p)
{
    load_watch *w = arg;

    pthread_mutex_lock(&w->lock);
    w->calls++;
    w->last = *p;
    if (!w->blocked) {
        w->blocked = true;
        pthread_cond_broadcast(&w->cond);
        while (!w->go)
            pthread_cond_wait(&w->cond, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
}

static void *learner(void *arg)
{
    load_watch *w = arg;

    w->rc = cer_node_learn_tip(w->node, &w->id, &w->tip);
    return NULL;
}

static cJSON *status_loads(cer_node *node, cJSON **status)
{
    cJSON *loads;

    ck_assert_int_eq(cer_node_status(node, status), 0);
    loads = cJSON_GetObjectItemCaseSensitive(*status, "loads");
    ck_assert(cJSON_IsArray(loads));
    return loads;
}

/* A long load is listed in .status while it runs (the hook holds it),
 * reported to the progress hook to its end, and logged once it took over
 * CER_LOAD_LONG_MS; a quick one is neither listed nor reported. */
START_TEST(loads_in_flight)
{
    enum { N = 150 };
    load_watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    char sid[CER_STREAMID_STR_MAX];
    cJSON *c0 = json("{\"n\":0}"), *status, *loads, *row;
    cer_cid prev;
    pthread_t t;
    cer_key k;

    seed_key(&k, 7);
    w.node = open_node(&k);
    ck_assert_int_eq(cer_node_create(w.node, &w.id, NULL, c0, 0), 0);
    cer_streamref_to_string(sid, sizeof sid, &w.id);
    prev = w.id.genesis;
    for (int i = 1; i <= N; i++) {
        remote_commit(w.node, &k, &w.id, &prev, i, &w.tip);
        prev = w.tip;
    }
    cer_node_on_load(w.node, 0, on_load, &w);
    ck_assert_int_eq(pthread_create(&t, NULL, learner, &w), 0);
    pthread_mutex_lock(&w.lock);
    while (!w.blocked)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    /* held at its first report (the end of fetching, or while fetching
     * on a slow machine): listed as the hook was told, not done */
    loads = status_loads(w.node, &status);
    ck_assert_int_eq(cJSON_GetArraySize(loads), 1);
    row = cJSON_GetArrayItem(loads, 0);
    ck_assert(!w.last.done);
    ck_assert_uint_ge(w.last.fetched, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(row, "streamId")->valuestring, sid);
    ck_assert_str_eq(cJSON_GetObjectItem(row, "phase")->valuestring, w.last.total ? "verifying" : "fetching");
    ck_assert_int_eq(cJSON_GetObjectItem(row, "fetched")->valueint, (int)w.last.fetched);
    ck_assert_int_eq(cJSON_GetObjectItem(row, "verified")->valueint, (int)w.last.verified);
    if (w.last.total)
        ck_assert_int_eq(cJSON_GetObjectItem(row, "total")->valueint, N);
    else
        ck_assert_ptr_null(cJSON_GetObjectItem(row, "total"));
    cJSON_Delete(status);
    usleep((CER_LOAD_LONG_MS + 100) * 1000);
    pthread_mutex_lock(&w.lock);
    w.go = true;
    pthread_cond_broadcast(&w.cond);
    pthread_mutex_unlock(&w.lock);
    pthread_join(t, NULL);
    ck_assert_msg(w.rc == 1, "learn: %d %s", w.rc, cer_errmsg());
    assert_content(w.node, &w.id, "{\"n\":150}", N + 1);
    /* over: reported done with every commit applied, off the list, logged */
    ck_assert(w.last.done);
    ck_assert_uint_eq(w.last.verified, N);
    ck_assert_int_ge(w.last.elapsed_ms, CER_LOAD_LONG_MS);
    ck_assert_int_ge(w.calls, 3);
    loads = status_loads(w.node, &status);
    ck_assert_int_eq(cJSON_GetArraySize(loads), 0);
    cJSON_Delete(status);
    ck_assert_int_eq(count_events(w.node, "loaded 150 commits in"), 1);
    /* a quick load (the default threshold) is not reported */
    w.calls = 0;
    cer_node_on_load(w.node, -1, on_load, &w);
    remote_commit(w.node, &k, &w.id, &prev, N + 1, &w.tip);
    ck_assert_int_eq(cer_node_learn_tip(w.node, &w.id, &w.tip), 1);
    ck_assert_int_eq(w.calls, 0);
    ck_assert_int_eq(count_events(w.node, "loaded"), 1);
    cer_node_close(w.node);
    cJSON_Delete(c0);
}
END_TEST

/* A TileDocument whose metadata names a schema (a CommitID) is checked
 * against that document's content at that commit, as js's tile handler
 * does: on create, on update (js's message with the instance path, the
 * state unchanged) and when a commit made elsewhere is learned. */
START_TEST(tile_schema)
{
    cJSON *schema = json("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}");
    cJSON *good = json("{\"a\":\"x\"}"), *bad = json("{\"a\":1}"), *none = json("{}");
    cJSON *patch = json("[{\"op\":\"replace\",\"path\":\"/a\",\"value\":3}]");
    cJSON *header = cJSON_CreateObject(), *bogus = json("{\"schema\":\"not a commit\"}");
    char ref[CER_STREAMID_STR_MAX];
    cer_streamref sdoc, sref, doc, other;
    cer_commit_blocks cb;
    cer_state *st = NULL;
    cer_node *node;
    cer_key key;

    ck_assert_int_eq(cer_key_generate(&key), 0);
    node = open_node(&key);
    ck_assert_int_eq(cer_node_create(node, &sdoc, NULL, schema, 0), 0);
    sref = sdoc;
    sref.is_commit = true;
    sref.commit = sdoc.genesis;
    ck_assert_int_gt(cer_streamref_to_string(ref, sizeof ref, &sref), 0);
    cJSON_AddStringToObject(header, "schema", ref);
    /* the schema document changes later: the commit named still counts */
    ck_assert_int_eq(cer_node_update(node, &sdoc, none), 0);
    ck_assert_msg(cer_node_create(node, &doc, header, good, 0) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_create(node, &other, header, bad, 0), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "Validation Error: data/a must be string"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_create(node, &other, bogus, good, 0), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "schema must be a CommitID string"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_update(node, &doc, bad), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "Validation Error: data/a must be string"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_update(node, &doc, none), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "Validation Error: data must have required property 'a'"), "%s",
                  cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &st, &doc), 0);
    ck_assert_uint_eq(st->log_len, 1);
    /* signed by the controller elsewhere, breaking the schema: rejected */
    ck_assert_int_eq(cer_tile_update(&cb, &key, &doc.genesis, cer_state_tip(st), NULL, patch), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
    ck_assert_int_lt(cer_node_learn_tip(node, &doc, cer_commit_cid(&cb)), 0);
    ck_assert_msg(strstr(cer_errmsg(), "data/a must be string"), "%s", cer_errmsg());
    cer_state_free(st);
    ck_assert_int_eq(cer_node_state(node, &st, &doc), 0);
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);
    cer_commit_blocks_free(&cb);
    cer_node_close(node);
    cJSON_Delete(schema);
    cJSON_Delete(good);
    cJSON_Delete(bad);
    cJSON_Delete(none);
    cJSON_Delete(patch);
    cJSON_Delete(header);
    cJSON_Delete(bogus);
}
END_TEST

static Suite *node_suite(void)
{
    Suite *s = suite_create("node");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, create_update_reopen);
    tcase_add_test(tc, power_loss_replayed);
    tcase_add_test(tc, not_controller_refused);
    tcase_add_test(tc, save_commits_once);
    tcase_add_test(tc, save_rebases_onto_moved_tip);
    tcase_add_test(tc, save_conflict_refused);
    tcase_add_test(tc, save_refuses_bad_content);
    tcase_add_test(tc, deterministic_create_is_idempotent);
    tcase_add_test(tc, learn_remote_tips);
    tcase_add_test(tc, listeners_tip_time_update_if);
    tcase_add_test(tc, events_counters_status);
    tcase_add_test(tc, events_kept_across_opens);
    tcase_add_test(tc, corrupted_block_reported);
    tcase_add_test(tc, second_open_touches_nothing);
    tcase_add_test(tc, read_only_open);
    tcase_add_test(tc, tile_schema);
    tcase_add_test(tc, damaged_record_reported);
    tcase_add_test(tc, read_only_types_refused);
    tcase_add_test(tc, save_makes_mids);
    tcase_add_test(tc, journal_entry_not_in_log_dropped);
    tcase_add_test(tc, lost_branch_kept);
    tcase_add_test(tc, forged_anchor_never_wins);
    tcase_add_test(tc, unverified_extension_and_own_anchors);
    tcase_add_test(tc, concurrent_writers_and_readers);
    tcase_add_test(tc, long_log_parallel_verification);
    tcase_add_test(tc, loads_in_flight);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(node_suite)
