/*
 * test_account.c — writing as an Ethereum account (did:pkh): the account
 * and session files, the CACAO made for a session (fields as
 * pkh-ethereum's createCACAO writes them, verified by cacao.c), commits
 * signed under it that verify through the state loader, renewal before
 * expiry, a key file that changed hands, and a node writing as the
 * account (create, update, log, reopen).
 */
#include "testutil.h"

#include "account.h"
#include "cacao.h"
#include "clock.h"
#include "error.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], keyfile[96];
static cer_store *store;
static const int64_t T0 = 1767182400000;  /* 2025-12-31T12:00:00Z */

static void write_key(const char *text, mode_t mode)
{
    FILE *f = fopen(keyfile, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(keyfile, mode);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_account.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(keyfile, sizeof keyfile, "%s/eth.key", dir);
    ck_assert_int_eq(cer_store_open_mem(&store), 0);
}

static void teardown(void)
{
    cer_store_close(store);
    tu_rm_tree(dir);
}

/* The secret of eth-1: sha256("ceramicfs-cacao-eth-1"). */
static const char *eth1_text(void)
{
    static char text[80];
    cJSON *v = tu_load_json("js-cacao.json");

    snprintf(text, sizeof text, "0x%s\n", tu_str(cJSON_GetArrayItem(tu_get(v, "accounts"), 0), "secret_hex"));
    cJSON_Delete(v);
    return text;
}

static const char *eth1_address(void)
{
    static char addr[64];
    cJSON *v = tu_load_json("js-cacao.json");

    snprintf(addr, sizeof addr, "%s", tu_str(cJSON_GetArrayItem(tu_get(v, "accounts"), 0), "address"));
    cJSON_Delete(v);
    return addr;
}

static cer_account *make(int64_t lifetime, const char *const *res, size_t nres)
{
    cer_account_opts o = {keyfile, "5", lifetime, res, nres};
    cer_account *a = NULL;

    ck_assert_msg(cer_account_setup(&a, dir, store, &o, T0, false) == 0, "%s", cer_errmsg());
    ck_assert_ptr_nonnull(a);
    return a;
}

static cer_cacao cacao_of(const cer_key *k)
{
    cer_buf b = CER_BUF_INIT;
    cer_cacao c;

    ck_assert_int_eq(cer_store_get(store, &k->cap, &b), 0);
    ck_assert_msg(cer_cacao_decode(&c, b.data, b.len) == 0, "%s", cer_errmsg());
    cer_buf_free(&b);
    return c;
}

static const char *p_str(const cer_cacao *c, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->p, k);

    ck_assert_msg(cJSON_IsString(v), "p.%s", k);
    return v->valuestring;
}

START_TEST(session_cacao)
{
    static const char *const res[] = {"ceramic://*", "ceramic://*?model=kh4q0ozorrgaq2mezktnrmdwleo1d"};
    char want[128];
    cer_account *a;
    cer_cacao c;
    cer_key k;
    struct stat st;
    char path[128];

    write_key(eth1_text(), 0600);
    a = make(3600, res, 2);
    snprintf(want, sizeof want, "did:pkh:eip155:5:%s", eth1_address());
    ck_assert_str_eq(cer_account_did(a), want);
    ck_assert_int_eq(cer_account_key(a, store, &k, T0 + 1000, NULL, NULL), 0);
    ck_assert(k.has_cap && k.type == CER_KEY_ED25519);
    ck_assert_str_eq(k.parent, want);
    c = cacao_of(&k);
    /* createCACAO's fields */
    ck_assert_str_eq(c.iss, want);
    ck_assert_str_eq(c.aud, k.did);
    ck_assert_str_eq(p_str(&c, "domain"), "ceramicfs");
    ck_assert_str_eq(p_str(&c, "version"), "1");
    ck_assert_str_eq(p_str(&c, "statement"), "Give this application access to some of your data on Ceramic");
    ck_assert_str_eq(p_str(&c, "iat"), "2025-12-31T12:00:00.000Z");
    ck_assert_str_eq(p_str(&c, "exp"), "2025-12-31T13:00:00.000Z");
    ck_assert_uint_eq(strlen(p_str(&c, "nonce")), 10);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c.p, "resources")), 2);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(c.root, "h"), "t")->valuestring, "eip4361");
    ck_assert_str_eq(cJSON_GetObjectItem(c.s, "t")->valuestring, "eip191");
    /* it verifies in its window (with js's 24 h phase-out), not after */
    ck_assert_int_eq(cer_cacao_verify(&c, T0), 0);
    ck_assert_int_eq(cer_cacao_verify(&c, T0 + 3600000 + 86400000 + 300000), 0);
    ck_assert_int_eq(cer_cacao_verify(&c, T0 + 3600000 + 86400000 + 300001), -EKEYREJECTED);
    cer_cacao_free(&c);
    /* the files: 0600, the session's secret only in the session file */
    snprintf(path, sizeof path, "%s/session", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/account", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    cer_key_wipe(&k);
    cer_account_close(a);
}
END_TEST

/* A genesis and an update signed by the session load and verify, signed
 * by the session key under the CACAO, controlled by the did:pkh. */
START_TEST(commits_verify)
{
    cer_commit_blocks g, u;
    cer_account *a;
    cer_key k;
    cer_streamref id = {.type = CER_STREAM_TILE};
    cer_state *st = NULL;
    cJSON *content = NULL, *patch = NULL;

    write_key(eth1_text(), 0600);
    a = make(0, NULL, 0);  /* 7 days, every stream */
    ck_assert_int_eq(cer_account_key(a, store, &k, cer_clock_ms(CLOCK_REALTIME), NULL, NULL), 0);
    ck_assert_int_eq(cer_json_parse(&content, "{\"a\":1}", 7, 0), 0);
    const char *ptext = "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2}]";
    ck_assert_int_eq(cer_json_parse(&patch, ptext, strlen(ptext), 0), 0);
    ck_assert_int_eq(cer_tile_genesis(&g, &k, NULL, content), 0);
    ck_assert_int_eq(cer_store_put_commit(store, &g), 0);
    id.genesis = *cer_commit_cid(&g);
    ck_assert_int_eq(cer_tile_update(&u, &k, &id.genesis, &id.genesis, NULL, patch), 0);
    ck_assert_int_eq(cer_store_put_commit(store, &u), 0);
    ck_assert_msg(cer_state_load(&st, store, &id, cer_commit_cid(&u)) == 0, "%s", cer_errmsg());
    ck_assert_uint_eq(st->log_len, 2);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(st->metadata, "controllers"), 0)->valuestring,
                     cer_account_did(a));
    ck_assert_str_eq(st->log[1].author, k.did);
    ck_assert(st->log[1].has_cap && cer_cid_equal(&st->log[1].cap, &k.cap));
    cer_state_free(st);
    cer_commit_blocks_free(&g);
    cer_commit_blocks_free(&u);
    cJSON_Delete(content);
    cJSON_Delete(patch);
    cer_key_wipe(&k);
    cer_account_close(a);
}
END_TEST

/* Kept across opens; renewed once less than a quarter of the lifetime is
 * left; a key file that now holds another key makes no session. */
START_TEST(renewal)
{
    cer_account *a, *b;
    cer_key k1, k2, k3;

    write_key(eth1_text(), 0600);
    a = make(4000, NULL, 0);
    ck_assert_int_eq(cer_account_key(a, store, &k1, T0, NULL, NULL), 0);
    cer_account_close(a);
    ck_assert_int_eq(cer_account_open(&b, dir), 0);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(cer_account_key(b, store, &k2, T0 + 2999 * 1000, NULL, NULL), 0);  /* 1001 s of 4000 left */
    ck_assert_str_eq(k1.did, k2.did);
    ck_assert(cer_cid_equal(&k1.cap, &k2.cap));
    ck_assert_int_eq(cer_account_key(b, store, &k3, T0 + 3000 * 1000, NULL, NULL), 0);  /* a quarter left: renewed */
    ck_assert_str_ne(k1.did, k3.did);
    ck_assert(!cer_cid_equal(&k1.cap, &k3.cap));
    /* another key in the file: no new session, and why */
    write_key("0x0101010101010101010101010101010101010101010101010101010101010101\n", 0600);
    ck_assert_int_eq(cer_account_key(b, store, &k2, T0 + 6000 * 1000, NULL, NULL), -EPERM);  /* k3's turn ends */
    ck_assert(strstr(cer_errmsg(), "now holds the key of"));
    cer_account_close(b);
}
END_TEST

START_TEST(refusals)
{
    cer_account_opts o = {keyfile, NULL, 0, NULL, 0};
    static const char *const bad_res[] = {"ceramic://*\n- https://evil"};
    cer_account *a = NULL;

    write_key(eth1_text(), 0644);
    ck_assert_int_eq(cer_account_setup(&a, dir, store, &o, T0, false), -EPERM);  /* readable by others */
    write_key(eth1_text(), 0600);
    o.chain = "eip155:1";
    ck_assert_int_eq(cer_account_setup(&a, dir, store, &o, T0, false), -EINVAL);
    o.chain = NULL;
    o.lifetime_s = 10;
    ck_assert_int_eq(cer_account_setup(&a, dir, store, &o, T0, false), -EINVAL);
    o.lifetime_s = 0;
    o.resources = bad_res;
    o.nresources = 1;
    ck_assert_int_eq(cer_account_setup(&a, dir, store, &o, T0, false), -EINVAL);
    write_key("7a8f6e3c1c1f9b8e2d55d7a0b1d9e43f2f3c8a1e5d6b7c4a9e0f1d2c3b4a5968\n", 0600);  /* ed25519 */
    o.resources = NULL;
    o.nresources = 0;
    ck_assert_int_eq(cer_account_setup(&a, dir, store, &o, T0, false), -EINVAL);
    ck_assert(strstr(cer_errmsg(), "no Ethereum key"));
    ck_assert_ptr_null(a);
    /* nothing was kept */
    ck_assert_int_eq(cer_account_open(&a, dir), 0);
    ck_assert_ptr_null(a);
}
END_TEST

/* A wallet's session (js-session.json "expired": did-session made it at
 * 2026-01-15T12:00Z for one hour): used as given, announced once in its
 * last quarter, refused past its exp (never renewed), kept across opens
 * with its CACAO block, which goes back into a store that lost it. */
START_TEST(given_session)
{
    static const int64_t NOW = 1768478400000;  /* 2026-01-15T12:00:00Z */
    cJSON *v = tu_load_json("js-session.json"), *e = NULL, *it;
    char path[128], cap[CER_CID_STR_MAX];
    cer_account_opts o = {0};
    cer_account *a = NULL, *b = NULL, *c = NULL;
    cer_store *fresh;
    cer_key k;
    FILE *f;

    cJSON_ArrayForEach(it, tu_get(v, "sessions"))
        if (strcmp(tu_str(it, "name"), "expired") == 0)
            e = it;
    ck_assert_ptr_nonnull(e);
    snprintf(path, sizeof path, "%s/w.session", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(tu_str(e, "serialized"), f);
    fclose(f);
    chmod(path, 0600);
    o.session_file = path;
    ck_assert_int_eq(cer_account_setup(&a, dir, store, &o, NOW, false), 0);
    ck_assert_str_eq(cer_account_did(a), tu_str(tu_get(v, "account"), "did"));
    ck_assert_int_eq(cer_account_key(a, store, &k, NOW + 1000, NULL, NULL), 0);
    ck_assert_str_eq(k.did, tu_str(e, "aud"));
    cer_cid_to_string(cap, sizeof cap, &k.cap);
    ck_assert_str_eq(cap, tu_str(e, "cacao_cid"));
    ck_assert_int_eq(cer_account_key(a, store, &k, NOW + 46 * 60000, NULL, NULL), 1);  /* 14 min left */
    ck_assert_int_eq(cer_account_key(a, store, &k, NOW + 47 * 60000, NULL, NULL), 0);  /* said once */
    ck_assert_str_eq(k.did, tu_str(e, "aud"));                                          /* not renewed */
    ck_assert_int_eq(cer_account_key(a, store, &k, NOW + 3600000, NULL, NULL), -EKEYEXPIRED);
    ck_assert(strstr(cer_errmsg(), "cannot renew a CACAO a wallet signed"));
    /* reopened, on a store without the CACAO */
    ck_assert_int_eq(cer_account_open(&b, dir), 0);
    ck_assert_int_eq(cer_store_open_mem(&fresh), 0);
    ck_assert_int_eq(cer_account_key(b, fresh, &k, NOW + 1000, NULL, NULL), 0);
    ck_assert_int_eq(cer_store_has(fresh, &k.cap), 1);
    ck_assert_int_eq(cer_account_key(b, fresh, &k, NOW + 3600000, NULL, NULL), -EKEYEXPIRED);
    /* import refused once expired; the account stays */
    ck_assert_int_eq(cer_account_setup(&c, dir, store, &o, NOW + 3600000, false), -EKEYEXPIRED);
    ck_assert_ptr_null(c);
    cer_store_close(fresh);
    cer_account_close(b);
    cer_account_close(a);
    cJSON_Delete(v);
}
END_TEST

/* A node writing as the account: create and update, its DID, reopen. */
START_TEST(node_writes_as_account)
{
    char state[96];
    cer_node_opts no = {0};
    cer_account_opts o = {keyfile, NULL, 0, NULL, 0};
    cer_node *node;
    cer_streamref id, model, mid;
    cer_save_result r;
    cer_state *st = NULL;
    cJSON *c1 = NULL, *c2 = NULL, *acct = NULL, *def = NULL;

    write_key(eth1_text(), 0600);
    snprintf(state, sizeof state, "%s/node", dir);
    no.state_dir = state;
    no.store_flags = CER_STORE_NOSYNC;
    ck_assert_int_eq(cer_node_open(&node, &no), 0);
    ck_assert(strncmp(cer_node_did(node), "did:key:", 8) == 0);
    ck_assert_msg(cer_node_set_account(node, &o) == 0, "%s", cer_errmsg());
    ck_assert(strncmp(cer_node_did(node), "did:pkh:eip155:1:0x", 19) == 0);
    ck_assert_int_eq(cer_json_parse(&c1, "{\"n\":1}", 7, 0), 0);
    ck_assert_int_eq(cer_json_parse(&c2, "{\"n\":2}", 7, 0), 0);
    ck_assert_msg(cer_node_create(node, &id, NULL, c1, 0) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_update(node, &id, c2), 0);
    ck_assert_int_eq(cer_node_controls(node, &id, NULL), 1);
    /* a MID made as the account is the account's, signed by its session */
    ck_assert_int_eq(cer_json_parse(&def,
                                    "{\"version\":\"1.0\",\"name\":\"N\",\"accountRelation\":{\"type\":\"list\"},"
                                    "\"schema\":{\"type\":\"object\",\"additionalProperties\":false}}",
                                    118, 0),
                     0);
    ck_assert_msg(cer_node_create_model(node, &model, def) == 0, "%s", cer_errmsg());
    ck_assert_msg(cer_node_save_mid(node, &model, "{}", 2, &r) == 0, "%s", r.reason);
    mid = r.id;
    ck_assert_int_eq(cer_node_controls(node, &mid, NULL), 1);
    ck_assert_int_eq(cer_node_save(node, &mid, "{}", 2, NULL, &r), 0);
    ck_assert_int_eq(cer_node_account(node, &acct), 0);
    cer_node_close(node);
    /* reopened: the same account and session; the log verifies from the blocks */
    ck_assert_int_eq(cer_node_open(&node, &no), 0);
    ck_assert(strncmp(cer_node_did(node), "did:pkh:eip155:1:0x", 19) == 0);
    ck_assert_int_eq(cer_node_verify(node, &id), 0);
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_uint_eq(st->log_len, 2);
    ck_assert_str_eq(st->log[1].author, cJSON_GetObjectItem(acct, "session")->valuestring);
    ck_assert(st->log[0].has_cap && st->log[1].has_cap);
    cer_state_free(st);
    ck_assert_msg(cer_node_verify(node, &mid) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &st, &mid), 0);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(st->metadata, "controllers"), 0)->valuestring,
                     cer_node_did(node));
    ck_assert(st->log[0].has_cap);
    cer_state_free(st);
    /* back to the did:key: the account's document is no longer ours */
    ck_assert_int_eq(cer_node_set_account(node, NULL), 0);
    ck_assert(strncmp(cer_node_did(node), "did:key:", 8) == 0);
    ck_assert_int_eq(cer_node_controls(node, &id, NULL), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c1), -EPERM);
    cer_node_close(node);
    cJSON_Delete(c1);
    cJSON_Delete(c2);
    cJSON_Delete(acct);
    cJSON_Delete(def);
}
END_TEST

static Suite *account_suite(void)
{
    Suite *s = suite_create("account");
    TCase *tc = tcase_create("account");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, session_cacao);
    tcase_add_test(tc, commits_verify);
    tcase_add_test(tc, renewal);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, given_session);
    tcase_add_test(tc, node_writes_as_account);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(account_suite)
