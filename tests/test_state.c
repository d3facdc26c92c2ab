/*
 * test_state.c — stream state: loading logs built with the commit builders
 * (and by hand, for what the builders refuse to make) from a memory store,
 * every rejection rule, anchors and Merkle paths, incremental apply,
 * conflict resolution, the node's own-commit copy, the state's JSON form,
 * and real js-ceramic blocks from tests/vectors/js-cases.json.
 */
#include "testutil.h"

#include "buf.h"
#include "clock.h"
#include "dagcbor.h"
#include "dagjose.h"
#include "error.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static cer_key key_n(int n)
{
    uint8_t seed[32];
    cer_key k;

    memset(seed, n, sizeof seed);
    ck_assert_int_eq(cer_key_from_seed(&k, seed), 0);
    return k;
}

static cJSON *J(const char *text)
{
    cJSON *j = NULL;

    ck_assert_msg(cer_json_parse(&j, text, strlen(text), 0) == 0, "bad JSON %s: %s", text, cer_errmsg());
    return j;
}

static cer_store *mem(void)
{
    cer_store *s;

    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    return s;
}

static void put_block(cer_store *s, const cer_block *b)
{
    ck_assert_msg(cer_store_put(s, &b->cid, b->bytes.data, b->bytes.len) == 0, "%s", cer_errmsg());
}

/* A signed genesis (header JSON or NULL, content JSON or NULL); returns the StreamID. */
static cer_streamref genesis(cer_store *s, const cer_key *k, const char *header, const char *content)
{
    cer_commit_blocks cb;
    cJSON *h = header ? J(header) : NULL, *c = content ? J(content) : NULL;
    cer_streamref id = {.type = CER_STREAM_TILE};

    ck_assert_msg(cer_tile_genesis(&cb, k, h, c) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_store_put_commit(s, &cb), 0);
    id.genesis = *cer_commit_cid(&cb);
    id.commit = id.genesis;
    cer_commit_blocks_free(&cb);
    cJSON_Delete(h);
    cJSON_Delete(c);
    return id;
}

static cer_cid update_id(cer_store *s, const cer_key *k, const cer_cid *id, const cer_cid *prev, const char *header,
                         const char *patch)
{
    cer_commit_blocks cb;
    cJSON *h = header ? J(header) : NULL, *p = J(patch);
    cer_cid cid;

    ck_assert_msg(cer_tile_update(&cb, k, id, prev, h, p) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_store_put_commit(s, &cb), 0);
    cid = *cer_commit_cid(&cb);
    cer_commit_blocks_free(&cb);
    cJSON_Delete(h);
    cJSON_Delete(p);
    return cid;
}

static cer_cid update(cer_store *s, const cer_key *k, const cer_streamref *id, const cer_cid *prev,
                      const char *header, const char *patch)
{
    return update_id(s, k, &id->genesis, prev, header, patch);
}

static cer_cid fake_tx(int n)
{
    cer_cid c = {1, CER_CODEC_ETH_TX, CER_MH_KECCAK_256, 32, {0}};

    memset(c.digest, n, 32);
    return c;
}

/* A proof with root and (ts > 0) blockTimestamp, and an anchor commit on prev. */
static cer_cid anchor_on(cer_store *s, const cer_streamref *id, const cer_cid *prev, const cer_cid *root,
                         const char *path, int64_t ts)
{
    cer_anchor_proof p = {.chain_id = "eip155:1337", .root = *root, .tx_hash = fake_tx((int)ts)};
    cer_anchor_commit ac = {.has_id = true, .id = id->genesis, .prev = *prev};
    cer_block pb, ab;
    cer_cid cid;

    if (ts > 0) {
        p.has_block_timestamp = p.has_block_number = true;
        p.block_timestamp = ts;
        p.block_number = ts / 10;
    }
    ck_assert_int_eq(cer_anchor_proof_encode(&pb, &p), 0);
    put_block(s, &pb);
    ac.proof = pb.cid;
    snprintf(ac.path, sizeof ac.path, "%s", path);
    ck_assert_int_eq(cer_anchor_commit_encode(&ab, &ac), 0);
    put_block(s, &ab);
    cid = ab.cid;
    cer_buf_free(&pb.bytes);
    cer_buf_free(&ab.bytes);
    return cid;
}

/* A checker that says every proof is verified at its blockTimestamp (what
 * a chain that confirms it would say), at TRUST_TIME when it has none. */
#define TRUST_TIME 1600000000
static int trust_proof(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    (void)arg;
    *timestamp = proof->has_block_timestamp ? proof->block_timestamp : TRUST_TIME;
    return CER_CHECK_VERIFIED;
}
static const cer_anchor_checker trust = {trust_proof, NULL};

/* A Merkle node [l, r] stored as dag-cbor. */
static cer_cid node(cer_store *s, const cer_cid *l, const cer_cid *r)
{
    cer_buf b = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&b);
    cer_cid cid;

    cer_cbor_w_array(&w, 2);
    cer_cbor_w_link(&w, l);
    cer_cbor_w_link(&w, r);
    ck_assert_int_eq(w.err, 0);
    cer_cid_of_block(&cid, CER_CODEC_DAG_CBOR, b.data, b.len);
    ck_assert_int_eq(cer_store_put(s, &cid, b.data, b.len), 0);
    cer_buf_free(&b);
    return cid;
}

/* Sign a hand-written payload; store payload (through the backend when
 * raw is set, bypassing the front end's checks) and envelope. */
static cer_cid seal_payload(cer_store *s, const cer_key *k, const cer_buf *payload, bool raw)
{
    cer_cid pcid, ecid;
    cer_jws jws;
    cer_buf env = CER_BUF_INIT;

    cer_cid_of_block(&pcid, CER_CODEC_DAG_CBOR, payload->data, payload->len);
    if (raw)
        ck_assert_int_eq(s->ops->put(s, &pcid, payload->data, payload->len), 0);
    else
        ck_assert_int_eq(cer_store_put(s, &pcid, payload->data, payload->len), 0);
    ck_assert_int_eq(cer_jws_sign(&jws, k, &pcid), 0);
    ck_assert_int_eq(cer_dagjose_encode(&env, &jws), 0);
    cer_cid_of_block(&ecid, CER_CODEC_DAG_JOSE, env.data, env.len);
    ck_assert_int_eq(cer_store_put(s, &ecid, env.data, env.len), 0);
    cer_jws_free(&jws);
    cer_buf_free(&env);
    return ecid;
}

static void assert_content(const cer_state *st, const char *want)
{
    cJSON *w = J(want);
    char *got = NULL;

    cer_json_print(&got, st->content, 0);
    ck_assert_msg(cer_json_equal(st->content, w), "content %s, want %s", got, want);
    free(got);
    cJSON_Delete(w);
}

static char *state_text(const cer_state *st)
{
    cJSON *j = NULL;
    char *t = NULL;

    ck_assert_msg(cer_state_to_json(&j, st) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_json_print(&t, j, 0), 0);
    cJSON_Delete(j);
    return t;
}

static void assert_msg_has(const char *needle)
{
    ck_assert_msg(strstr(cer_errmsg(), needle) != NULL, "message '%s' lacks '%s'", cer_errmsg(), needle);
}

/* ---- the node's own-commit copy ---- */

/* cer_state_copy_append: the new state has a copy of the new content (st's
 * is neither copied nor changed) and of st's metadata; it shares st's log
 * array when that has room past st's end (log_len not a power of two) and
 * copies it otherwise; the appended entry never shows in st. */
START_TEST(copy_append)
{
    cer_store *s = mem();
    cer_key k = key_n(2);
    cer_streamref id = genesis(s, &k, "{\"tags\":[\"t\"]}", "{\"a\":1}");
    cJSON *content = J("{\"c\":3}");
    cer_cid c[3];

    c[0] = id.genesis;
    c[1] = update(s, &k, &id, &c[0], NULL, "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]");
    c[2] = update(s, &k, &id, &c[1], NULL, "[{\"op\":\"remove\",\"path\":\"/a\"}]");
    for (size_t n = 2; n <= 3; n++) {
        cer_state *st = NULL, *ns = NULL;

        ck_assert_msg(cer_state_load(&st, s, &id, &c[n - 1]) == 0, "%s", cer_errmsg());
        ck_assert_uint_eq(st->log_len, n);
        ck_assert_int_eq(cer_state_copy_append(&ns, st, content), 0);
        assert_content(ns, "{\"c\":3}");
        ck_assert_ptr_ne(ns->content, content);
        assert_content(st, n == 2 ? "{\"a\":1,\"b\":2}" : "{\"b\":2}");
        ck_assert_ptr_ne(ns->metadata, st->metadata);
        ck_assert(cJSON_Compare(ns->metadata, st->metadata, 1));
        ck_assert_int_eq(ns->log == st->log, n == 3);
        ck_assert_uint_eq(ns->log_len, n);
        ck_assert(cer_cid_equal(cer_state_tip(ns), &c[n - 1]));
        ns->log[ns->log_len++] = (cer_log_entry){.cid = c[0], .type = CER_COMMIT_SIGNED};
        ck_assert_uint_eq(st->log_len, n);
        ck_assert(cer_cid_equal(cer_state_tip(st), &c[n - 1]));
        if (n == 2) {   /* a failed commit: st stays */
            cer_state_free_shared(ns, st);
            cer_state_free(st);
        } else {        /* installed: ns replaces st */
            cer_state_free_shared(st, ns);
            cer_state_free(ns);
        }
    }
    cJSON_Delete(content);
    cer_store_close(s);
}
END_TEST

/* ---- loading ---- */

START_TEST(genesis_only)
{
    cer_store *s = mem();
    cer_key k = key_n(1);
    cer_streamref id = genesis(s, &k, "{\"family\":\"f\"}", "{\"a\":1}");
    cer_streamref uid = genesis(s, NULL, "{\"controllers\":[\"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd\"],\"tags\":[\"x\"]}", NULL);
    cer_state *st = NULL;

    ck_assert_msg(cer_state_load(&st, s, &id, &id.genesis) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"a\":1}");
    ck_assert_str_eq(cJSON_GetObjectItem(st->metadata, "family")->valuestring, "f");
    ck_assert_int_eq(st->signature, CER_SIG_SIGNED);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    ck_assert_uint_eq(st->log_len, 1);
    ck_assert_int_eq(st->log[0].type, CER_COMMIT_GENESIS);
    ck_assert_str_eq(st->log[0].author, k.did);
    ck_assert(cer_cid_equal(cer_state_tip(st), &id.genesis));
    ck_assert_str_eq(cer_anchor_status_name(st->anchor_status), "NOT_REQUESTED");
    ck_assert_ptr_null(cer_anchor_status_name(6));
    cer_state_free(st);

    ck_assert_msg(cer_state_load(&st, s, &uid, &uid.genesis) == 0, "%s", cer_errmsg());
    assert_content(st, "{}");
    ck_assert_int_eq(st->signature, CER_SIG_GENESIS);
    ck_assert_str_eq(st->log[0].author, "");
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(three_updates)
{
    cer_store *s = mem();
    cer_key k = key_n(2);
    cer_streamref id = genesis(s, &k, NULL, "{\"a\":1}");
    cer_cid c[4];
    cer_state *st = NULL;

    c[0] = id.genesis;
    c[1] = update(s, &k, &id, &c[0], NULL, "[{\"op\":\"add\",\"path\":\"/b\",\"value\":[1]}]");
    c[2] = update(s, &k, &id, &c[1], "{\"tags\":[\"t\"]}", "[{\"op\":\"add\",\"path\":\"/b/-\",\"value\":2}]");
    c[3] = update(s, &k, &id, &c[2], NULL, "[{\"op\":\"remove\",\"path\":\"/a\"}]");
    ck_assert_msg(cer_state_load(&st, s, &id, &c[3]) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"b\":[1,2]}");
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(st->metadata, "tags"), 0)->valuestring, "t");
    ck_assert_uint_eq(st->log_len, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert(cer_cid_equal(&st->log[i].cid, &c[i]));
        ck_assert_int_eq(st->log[i].type, i ? CER_COMMIT_SIGNED : CER_COMMIT_GENESIS);
        ck_assert_str_eq(st->log[i].author, k.did);
        ck_assert_int_eq(st->log[i].timestamp, 0);
    }
    cer_state_free(st);
    /* loading an earlier tip gives the earlier state */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &c[1]), 0);
    assert_content(st, "{\"a\":1,\"b\":[1]}");
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(controller_change)
{
    cer_store *s = mem();
    cer_key k1 = key_n(3), k2 = key_n(4);
    cer_streamref id = genesis(s, &k1, NULL, "{}");
    char hdr[256];
    cer_cid u1, u2, u3;
    cer_state *st = NULL;

    snprintf(hdr, sizeof hdr, "{\"controllers\":[\"%s\"]}", k2.did);
    u1 = update(s, &k1, &id, &id.genesis, hdr, "[]");
    u2 = update(s, &k2, &id, &u1, NULL, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":1}]");
    ck_assert_msg(cer_state_load(&st, s, &id, &u2) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"x\":1}");
    ck_assert_str_eq(st->log[1].author, k1.did);
    ck_assert_str_eq(st->log[2].author, k2.did);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(st->metadata, "controllers"), 0)->valuestring, k2.did);
    cer_state_free(st);
    /* the old controller can no longer write */
    u3 = update(s, &k1, &id, &u2, NULL, "[]");
    ck_assert_int_eq(cer_state_load(&st, s, &id, &u3), -EKEYREJECTED);
    assert_msg_has("not the controller");
    ck_assert_uint_eq(st->log_len, 3);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(forbid_controller_change)
{
    cer_store *s = mem();
    cer_key k1 = key_n(5), k2 = key_n(6);
    cer_streamref id = genesis(s, &k1, "{\"forbidControllerChange\":true}", "{}");
    char hdr[256];
    cer_cid u1, u2;
    cer_state *st = NULL;

    snprintf(hdr, sizeof hdr, "{\"controllers\":[\"%s\"]}", k1.did);
    u1 = update(s, &k1, &id, &id.genesis, hdr, "[]");  /* same controller: allowed */
    snprintf(hdr, sizeof hdr, "{\"controllers\":[\"%s\"]}", k2.did);
    u2 = update(s, &k1, &id, &u1, hdr, "[]");
    ck_assert_int_eq(cer_state_load(&st, s, &id, &u2), -EINVAL);
    assert_msg_has("forbidControllerChange");
    ck_assert_uint_eq(st->log_len, 2);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(non_controller)
{
    cer_store *s = mem();
    cer_key k1 = key_n(7), k2 = key_n(8);
    cer_streamref id = genesis(s, &k1, NULL, "{\"n\":0}");
    cer_cid u1 = update(s, &k1, &id, &id.genesis, NULL, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":1}]");
    cer_cid u2 = update(s, &k2, &id, &u1, NULL, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2}]");
    cer_cid u3 = update(s, &k1, &id, &u2, NULL, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":3}]");
    char name[CER_CID_STR_MAX];
    cer_state *st = NULL;

    ck_assert_int_eq(cer_state_load(&st, s, &id, &u3), -EKEYREJECTED);
    cer_cid_to_string(name, sizeof name, &u2);
    assert_msg_has(name);
    assert_msg_has(k2.did);
    assert_msg_has(k1.did);
    ck_assert_uint_eq(st->log_len, 2);
    assert_content(st, "{\"n\":1}");
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(forged_signature)
{
    cer_store *s = mem();
    cer_key k1 = key_n(9), k2 = key_n(10);
    cer_streamref id = genesis(s, &k1, NULL, "{}");
    cer_commit_blocks cb;
    cJSON *patch = J("[]");
    cer_buf env = CER_BUF_INIT, hdr = CER_BUF_INIT;
    cer_jws other;
    cer_cid cid;
    cer_state *st = NULL;
    char kid[CER_KID_MAX];

    ck_assert_int_eq(cer_tile_update(&cb, &k1, &id.genesis, &id.genesis, NULL, patch), 0);
    ck_assert_int_eq(cer_store_put_commit(s, &cb), 0);
    /* (a) a flipped signature byte, stored under the envelope's new CID */
    cb.jws.sigs[0].signature[5] ^= 1;
    ck_assert_int_eq(cer_dagjose_encode(&env, &cb.jws), 0);
    cer_cid_of_block(&cid, CER_CODEC_DAG_JOSE, env.data, env.len);
    ck_assert_int_eq(cer_store_put(s, &cid, env.data, env.len), 0);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &cid), -EKEYREJECTED);
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);
    /* (b) k2's signature under the controller's kid */
    ck_assert_int_eq(cer_jws_sign(&other, &k2, &cb.payload.cid), 0);
    cer_key_kid(kid, sizeof kid, &k1);
    ck_assert_int_eq(cer_jws_protected_header(&hdr, "EdDSA", kid, NULL), 0);
    free(other.sigs[0].protected_hdr);
    other.sigs[0].protected_hdr = cer_buf_detach(&hdr);
    other.sigs[0].protected_len = strlen((char *)other.sigs[0].protected_hdr);
    env.len = 0;
    ck_assert_int_eq(cer_dagjose_encode(&env, &other), 0);
    cer_cid_of_block(&cid, CER_CODEC_DAG_JOSE, env.data, env.len);
    ck_assert_int_eq(cer_store_put(s, &cid, env.data, env.len), 0);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &cid), -EKEYREJECTED);
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);
    cer_jws_free(&other);
    cer_buf_free(&env);
    cer_commit_blocks_free(&cb);
    cJSON_Delete(patch);
    cer_store_close(s);
}
END_TEST

START_TEST(foreign_prev_and_id)
{
    cer_store *s = mem();
    cer_key k = key_n(11);
    cer_streamref a = genesis(s, &k, NULL, "{\"s\":\"a\"}"), b = genesis(s, &k, NULL, "{\"s\":\"b\"}");
    cer_cid a1 = update(s, &k, &a, &a.genesis, NULL, "[]");
    cer_cid bad_prev = update(s, &k, &a, &b.genesis, NULL, "[]");  /* id a, prev in stream b */
    cer_cid bad_id = update_id(s, &k, &b.genesis, &a1, NULL, "[]"); /* prev in a, id b */
    cer_cid after = update(s, &k, &a, &bad_id, NULL, "[]");
    cer_state *st = NULL;

    ck_assert_int_eq(cer_state_load(&st, s, &a, &bad_prev), -EINVAL);
    assert_msg_has("not at this stream's genesis");
    ck_assert_uint_eq(st->log_len, 1);  /* the tip is rejected: genesis alone */
    assert_content(st, "{\"s\":\"a\"}");
    cer_state_free(st);

    ck_assert_int_eq(cer_state_load(&st, s, &a, &after), -EINVAL);
    assert_msg_has("is not this stream's genesis");
    ck_assert_uint_eq(st->log_len, 2);
    ck_assert(cer_cid_equal(cer_state_tip(st), &a1));
    cer_state_free(st);

    /* a StreamID whose genesis is not a genesis */
    {
        cer_streamref x = a;
        x.genesis = a1;
        ck_assert_int_eq(cer_state_load(&st, s, &x, &a1), -EINVAL);
        ck_assert_ptr_null(st);
    }
    cer_store_close(s);
}
END_TEST

START_TEST(oversized_and_corrupt_blocks)
{
    cer_store *s = mem();
    cer_key k = key_n(12);
    cer_streamref id = genesis(s, &k, NULL, "{}");
    cer_buf p = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    char *big = malloc(CER_BLOCK_MAX + 1);
    cer_cid tip, u1;
    cer_state *st = NULL;
    static const uint8_t junk[] = "not the block";

    /* {id, data: [{op:add, path:/big, value:<256001 bytes>}], prev, header: {}} */
    memset(big, 'x', CER_BLOCK_MAX);
    big[CER_BLOCK_MAX] = '\0';
    cer_cbor_w_map(&w, 4);
    cer_cbor_w_text(&w, "id");
    cer_cbor_w_link(&w, &id.genesis);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_array(&w, 1);
    cer_cbor_w_map(&w, 3);
    cer_cbor_w_text(&w, "op");
    cer_cbor_w_text(&w, "add");
    cer_cbor_w_text(&w, "path");
    cer_cbor_w_text(&w, "/big");
    cer_cbor_w_text(&w, "value");
    cer_cbor_w_text(&w, big);
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_link(&w, &id.genesis);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_map(&w, 0);
    ck_assert_int_eq(w.err, 0);
    ck_assert_uint_gt(p.len, CER_BLOCK_MAX);
    tip = seal_payload(s, &k, &p, true);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &tip), -EFBIG);
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);

    /* bytes that do not match the CID */
    u1 = update(s, &k, &id, &id.genesis, NULL, "[]");
    {
        cer_store *s2 = mem();
        cer_streamref id2 = genesis(s2, &k, NULL, "{}");
        ck_assert(cer_cid_equal(&id2.genesis, &id.genesis));
        ck_assert_int_eq(s2->ops->put(s2, &u1, junk, sizeof junk), 0);
        ck_assert_int_eq(cer_state_load(&st, s2, &id, &u1), -EBADMSG);
        ck_assert_uint_eq(st->log_len, 1);
        cer_state_free(st);
        /* a corrupted genesis: nothing is valid */
        cer_store_close(s2);
        s2 = mem();
        ck_assert_int_eq(s2->ops->put(s2, &id.genesis, junk, sizeof junk), 0);
        ck_assert_int_eq(cer_state_load(&st, s2, &id, &id.genesis), -EBADMSG);
        ck_assert_ptr_null(st);
        cer_store_close(s2);
    }
    /* a missing block */
    {
        cer_cid missing = u1;
        missing.digest[0] ^= 1;
        ck_assert_int_eq(cer_state_load(&st, s, &id, &missing), -ENOENT);
        ck_assert_uint_eq(st->log_len, 1);
        cer_state_free(st);
    }
    free(big);
    cer_buf_free(&p);
    cer_store_close(s);
}
END_TEST

START_TEST(non_canonical_genesis)
{
    cer_store *s = mem();
    cer_key k = key_n(13);
    cer_buf p = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    static const uint8_t one_f64[] = {0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
    cer_streamref id = {.type = CER_STREAM_TILE};
    cer_cid pcid;
    cer_commit c;
    cer_state *st = NULL;

    /* "header" before "data" (canonical is data first), and 1.0 as a float64 */
    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_map(&w, 1);
    cer_cbor_w_text(&w, "controllers");
    cer_cbor_w_array(&w, 1);
    cer_cbor_w_text(&w, k.did);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_map(&w, 1);
    cer_cbor_w_text(&w, "a");
    ck_assert_int_eq(w.err, 0);
    ck_assert_int_eq(cer_buf_append(&p, one_f64, sizeof one_f64), 0);
    cer_cid_of_block(&pcid, CER_CODEC_DAG_CBOR, p.data, p.len);
    id.genesis = seal_payload(s, &k, &p, false);
    ck_assert_msg(cer_state_load(&st, s, &id, &id.genesis) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"a\":1}");
    ck_assert(cer_cid_equal(&st->log[0].cid, &id.genesis));
    cer_state_free(st);
    ck_assert_int_eq(cer_commit_read(&c, s, &id.genesis), 0);
    ck_assert(cer_cid_equal(&c.payload_cid, &pcid));  /* the raw bytes' CID, never re-encoded */
    ck_assert_int_eq(c.type, CER_COMMIT_GENESIS);
    cer_commit_free(&c);
    cer_buf_free(&p);
    cer_store_close(s);
}
END_TEST

START_TEST(bad_commits)
{
    cer_store *s = mem();
    cer_key k = key_n(14);
    cer_streamref id = genesis(s, &k, NULL, "{\"a\":1}");
    cer_cid u1 = update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"remove\",\"path\":\"/nope\"}]");
    cer_buf p = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    cer_streamref uid = {.type = CER_STREAM_TILE};
    cer_state *st = NULL;
    cer_commit c;
    cer_cid raw = {1, CER_CODEC_RAW, CER_MH_SHA2_256, 32, {0}};

    ck_assert_int_eq(cer_state_load(&st, s, &id, &u1), -EINVAL);
    assert_msg_has("patch does not apply");
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);

    /* unsigned genesis with data */
    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_map(&w, 0);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_map(&w, 1);
    cer_cbor_w_text(&w, "controllers");
    cer_cbor_w_array(&w, 1);
    cer_cbor_w_text(&w, k.did);
    ck_assert_int_eq(w.err, 0);
    cer_cid_of_block(&uid.genesis, CER_CODEC_DAG_CBOR, p.data, p.len);
    ck_assert_int_eq(cer_store_put(s, &uid.genesis, p.data, p.len), 0);
    ck_assert_int_eq(cer_state_load(&st, s, &uid, &uid.genesis), -EINVAL);
    assert_msg_has("should always be signed");
    ck_assert_ptr_null(st);

    /* other codecs and stream types */
    ck_assert_int_eq(cer_commit_read(&c, s, &raw), -ENOTSUP);
    uid = id;
    uid.type = CER_STREAM_CAIP10_LINK;
    ck_assert_int_eq(cer_state_load(&st, s, &uid, &uid.genesis), -EINVAL);  /* test_caip10.c */
    assert_msg_has("Caip10Link genesis is not signed");
    ck_assert_ptr_null(st);
    uid.type = 77;
    ck_assert_int_eq(cer_state_load(&st, s, &uid, &uid.genesis), -ENOTSUP);
    assert_msg_has("77");
    /* applying a genesis on top */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), 0);
    ck_assert_int_eq(cer_state_apply(st, s, &id.genesis), -EINVAL);
    cer_state_free(st);
    cer_buf_free(&p);
    cer_store_close(s);
}
END_TEST

/* A prev that is a plain {"/": "<cid>"} map, not a CBOR link. */
START_TEST(fake_link)
{
    cer_store *s = mem();
    cer_key k = key_n(15);
    cer_streamref id = genesis(s, &k, NULL, "{}");
    char g[CER_CID_STR_MAX];
    cer_buf p = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    cer_cid tip;
    cer_state *st = NULL;

    cer_cid_to_string(g, sizeof g, &id.genesis);
    cer_cbor_w_map(&w, 4);
    cer_cbor_w_text(&w, "id");
    cer_cbor_w_link(&w, &id.genesis);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_array(&w, 0);
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_map(&w, 1);
    cer_cbor_w_text(&w, "/");
    cer_cbor_w_text(&w, g);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_map(&w, 0);
    ck_assert_int_eq(w.err, 0);
    tip = seal_payload(s, &k, &p, false);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &tip), -EINVAL);
    assert_msg_has("not a link");
    cer_state_free(st);
    cer_buf_free(&p);
    cer_store_close(s);
}
END_TEST

/* ---- anchors ---- */

START_TEST(anchors)
{
    cer_store *s = mem();
    cer_key k = key_n(16);
    cer_streamref id = genesis(s, &k, NULL, "{}");
    cer_cid u1 = update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"add\",\"path\":\"/v\",\"value\":1}]");
    cer_cid a1 = anchor_on(s, &id, &u1, &u1, "", 1000);
    cer_cid u2 = update(s, &k, &id, &a1, NULL, "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":2}]");
    cer_cid x = fake_tx(1), y = fake_tx(2), z = fake_tx(3);
    cer_cid n0 = node(s, &x, &u2), n1 = node(s, &y, &z), root = node(s, &n0, &n1);
    cer_cid a2 = anchor_on(s, &id, &u2, &root, "0/1", 2000);
    cer_cid bad = anchor_on(s, &id, &u2, &root, "1/0", 2000);
    cer_cid bad2 = anchor_on(s, &id, &u2, &root, "0/1/0", 2000);
    cer_state *st = NULL;

    ck_assert_msg(cer_state_load_checked(&st, s, &id, &a2, &trust) == 0, "%s", cer_errmsg());
    ck_assert_uint_eq(st->log_len, 5);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_ANCHORED);
    ck_assert(st->has_proof);
    ck_assert(cer_cid_equal(&st->proof.root, &root));
    ck_assert_int_eq(st->proof.block_timestamp, 2000);
    ck_assert_int_eq(st->log[0].timestamp, 1000);
    ck_assert_int_eq(st->log[1].timestamp, 1000);
    ck_assert_int_eq(st->log[2].timestamp, 1000);
    ck_assert_int_eq(st->log[2].type, CER_COMMIT_ANCHOR);
    ck_assert_int_eq(st->log[3].timestamp, 2000);
    ck_assert_int_eq(st->log[4].timestamp, 2000);
    assert_content(st, "{\"v\":2}");
    cer_state_free(st);

    /* without a checker the anchors are only unverified: no time, not ANCHORED */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &a2), 0);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    for (size_t i = 0; i < st->log_len; i++)
        ck_assert_int_eq(st->log[i].timestamp, 0);
    ck_assert_int_eq(st->log[2].check, CER_CHECK_UNVERIFIED);
    assert_content(st, "{\"v\":2}");
    cer_state_free(st);

    /* after a signed commit the status goes back, the proof stays */
    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &u2, &trust), 0);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    ck_assert(st->has_proof);
    ck_assert_int_eq(st->log[3].timestamp, 0);
    cer_state_free(st);

    ck_assert_int_eq(cer_state_load(&st, s, &id, &bad), -EINVAL);
    assert_msg_has("not to prev");
    ck_assert_uint_eq(st->log_len, 4);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &bad2), -EINVAL);
    ck_assert_uint_eq(st->log_len, 4);
    cer_state_free(st);
    /* path "" with a root that is not prev */
    bad = anchor_on(s, &id, &u2, &u1, "", 5);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &bad), -EINVAL);
    ck_assert_uint_eq(st->log_len, 4);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(anchor_missing_proof)
{
    cer_store *s = mem();
    cer_key k = key_n(17);
    cer_streamref id = genesis(s, &k, NULL, "{}");
    cer_anchor_commit ac = {.has_id = true, .id = id.genesis, .prev = id.genesis, .path = ""};
    cer_block ab;
    cer_state *st = NULL;

    ac.proof = fake_tx(9);
    ac.proof.codec = CER_CODEC_DAG_CBOR;
    ac.proof.mh_code = CER_MH_SHA2_256;
    ck_assert_int_eq(cer_anchor_commit_encode(&ab, &ac), 0);
    put_block(s, &ab);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &ab.cid), -ENOENT);
    assert_msg_has("anchor proof");
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);
    cer_buf_free(&ab.bytes);
    cer_store_close(s);
}
END_TEST

START_TEST(incremental_apply)
{
    cer_store *s = mem();
    cer_key k = key_n(18), k2 = key_n(19);
    cer_streamref id = genesis(s, &k, NULL, "{\"n\":[]}");
    cer_cid c[6];
    cer_state *full = NULL, *inc = NULL;
    char *a, *b;

    c[0] = id.genesis;
    for (int i = 1; i < 4; i++) {
        char patch[128];
        snprintf(patch, sizeof patch, "[{\"op\":\"add\",\"path\":\"/n/-\",\"value\":%d}]", i);
        c[i] = update(s, &k, &id, &c[i - 1], NULL, patch);
    }
    c[4] = anchor_on(s, &id, &c[3], &c[3], "", 777);
    c[5] = update(s, &k, &id, &c[4], NULL, "[{\"op\":\"add\",\"path\":\"/m\",\"value\":true}]");
    ck_assert_int_eq(cer_state_load(&full, s, &id, &c[5]), 0);
    ck_assert_int_eq(cer_state_load(&inc, s, &id, &c[0]), 0);
    for (int i = 1; i < 6; i++)
        ck_assert_msg(cer_state_apply(inc, s, &c[i]) == 0, "%s", cer_errmsg());
    a = state_text(full);
    b = state_text(inc);
    ck_assert_str_eq(a, b);
    free(b);
    /* a failing apply leaves the state as it was */
    {
        cer_cid wrong_prev = update(s, &k, &id, &c[3], NULL, "[]");
        cer_cid wrong_key = update(s, &k2, &id, &c[5], NULL, "[]");
        ck_assert_int_eq(cer_state_apply(inc, s, &wrong_prev), -EINVAL);
        ck_assert_int_eq(cer_state_apply(inc, s, &wrong_key), -EKEYREJECTED);
        b = state_text(inc);
        ck_assert_str_eq(a, b);
        free(b);
    }
    /* copies and states read back from JSON grow like loaded ones */
    {
        cer_state *cp = NULL, *back = NULL;
        cJSON *j = NULL;
        cer_cid more[8];
        ck_assert_int_eq(cer_state_load(&cp, s, &id, &c[2]), 0);
        cer_state_free(inc);
        ck_assert_int_eq(cer_state_copy(&inc, cp), 0);
        ck_assert_int_eq(cer_state_to_json(&j, cp), 0);
        ck_assert_int_eq(cer_state_from_json(&back, j), 0);
        for (int i = 3; i < 6; i++) {
            ck_assert_int_eq(cer_state_apply(inc, s, &c[i]), 0);
            ck_assert_int_eq(cer_state_apply(back, s, &c[i]), 0);
        }
        more[0] = c[5];
        for (int i = 1; i < 8; i++) {
            more[i] = update(s, &k, &id, &more[i - 1], NULL, "[]");
            ck_assert_int_eq(cer_state_apply(inc, s, &more[i]), 0);
            ck_assert_int_eq(cer_state_apply(back, s, &more[i]), 0);
        }
        ck_assert_uint_eq(inc->log_len, 13);
        b = state_text(inc);
        free(a);
        a = state_text(back);
        ck_assert_str_eq(a, b);
        free(b);
        cJSON_Delete(j);
        cer_state_free(cp);
        cer_state_free(back);
    }
    free(a);
    cer_state_free(full);
    cer_state_free(inc);
    cer_store_close(s);
}
END_TEST

/* ---- conflict resolution ---- */

typedef struct fork {
    cer_store *s;
    cer_key k;
    cer_streamref id;
    cer_cid base;
} fork_t;

static fork_t fork_new(void)
{
    fork_t f;

    f.s = mem();
    f.k = key_n(20);
    f.id = genesis(f.s, &f.k, NULL, "{}");
    f.base = update(f.s, &f.k, &f.id, &f.id.genesis, NULL, "[{\"op\":\"add\",\"path\":\"/base\",\"value\":1}]");
    return f;
}

static cer_cid fork_step(fork_t *f, const cer_cid *prev, const char *tag, int n)
{
    char patch[128];

    snprintf(patch, sizeof patch, "[{\"op\":\"add\",\"path\":\"/%s\",\"value\":%d}]", tag, n);
    return update(f->s, &f->k, &f->id, prev, NULL, patch);
}

/* Load local_tip, merge other_tip; returns the merge result and checks the resulting tip. */
static int merge_from(fork_t *f, const cer_cid *local_tip, const cer_cid *other_tip)
{
    cer_state *st = NULL;
    int rc;

    ck_assert_int_eq(cer_state_load_checked(&st, f->s, &f->id, local_tip, &trust), 0);
    rc = cer_state_merge_checked(&st, f->s, other_tip, &trust);
    ck_assert_msg(rc >= 0, "%s", cer_errmsg());
    ck_assert(cer_cid_equal(cer_state_tip(st), rc == 1 ? other_tip : local_tip));
    cer_state_free(st);
    return rc;
}

START_TEST(merge_anchored_wins)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 1), a2 = fork_step(&f, &a1, "a", 2);
    cer_cid b1 = fork_step(&f, &f.base, "b", 1), b2 = anchor_on(f.s, &f.id, &b1, &b1, "", 50);

    ck_assert_int_eq(merge_from(&f, &a2, &b2), 1);
    ck_assert_int_eq(merge_from(&f, &b2, &a2), 0);
    cer_store_close(f.s);
}
END_TEST

START_TEST(merge_earlier_anchor_wins)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 1), a2 = anchor_on(f.s, &f.id, &a1, &a1, "", 200);
    cer_cid b1 = fork_step(&f, &f.base, "b", 1), b2 = fork_step(&f, &b1, "b", 2);
    cer_cid b3 = anchor_on(f.s, &f.id, &b2, &b2, "", 100);
    cer_cid a3 = fork_step(&f, &a2, "a", 3);  /* commits after the first anchor do not count */

    ck_assert_int_eq(merge_from(&f, &a3, &b3), 1);
    ck_assert_int_eq(merge_from(&f, &b3, &a3), 0);
    /* equal timestamps: the longer tail up to its first anchor */
    {
        cer_cid b4 = anchor_on(f.s, &f.id, &b2, &b2, "", 200);
        ck_assert_int_eq(merge_from(&f, &a3, &b4), 1);
        ck_assert_int_eq(merge_from(&f, &b4, &a3), 0);
    }
    cer_store_close(f.s);
}
END_TEST

/* A chain on which even block times are verified, odd ones cannot be
 * verified (another node's in-memory anchor), and 0 is "verified" with no
 * time (which must not count either). */
static int even_verified(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    (void)arg;
    if (proof->has_block_timestamp && proof->block_timestamp % 2)
        return CER_CHECK_UNVERIFIED_FINAL;
    *timestamp = proof->has_block_timestamp ? proof->block_timestamp : 0;
    return CER_CHECK_VERIFIED;
}

static int merge_even(fork_t *f, const cer_cid *local_tip, const cer_cid *other_tip)
{
    cer_anchor_checker chk = {even_verified, NULL};
    cer_state *st = NULL;
    int rc;

    ck_assert_int_eq(cer_state_load_checked(&st, f->s, &f->id, local_tip, &chk), 0);
    rc = cer_state_merge_checked(&st, f->s, other_tip, &chk);
    ck_assert_msg(rc >= 0, "%s", cer_errmsg());
    ck_assert(cer_cid_equal(cer_state_tip(st), rc == 1 ? other_tip : local_tip));
    cer_state_free(st);
    return rc;
}

/* Conflict resolution on verified facts only (the forged-anchor attack
 * and its variants): an unverified anchor, or one with no time, is no
 * anchor; a shorter branch replaces our commits only with a verified
 * earlier anchor. */
START_TEST(merge_only_verified_facts)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 1), a2 = fork_step(&f, &a1, "a", 2), a3 = fork_step(&f, &a2, "a", 3);
    cer_cid b1 = fork_step(&f, &f.base, "b", 1);
    cer_cid b_unverified = anchor_on(f.s, &f.id, &b1, &b1, "", 1);  /* the earliest time, unverified */
    cer_cid b_notime = anchor_on(f.s, &f.id, &b1, &b1, "", 0);
    cer_cid b_verified = anchor_on(f.s, &f.id, &b1, &b1, "", 100);
    cer_cid forged = anchor_on(f.s, &f.id, &f.base, &f.base, "", 1);  /* over the shared commit */
    cer_cid a_verified = anchor_on(f.s, &f.id, &a1, &a1, "", 200);
    cer_cid a4 = fork_step(&f, &a_verified, "a", 4), a5 = fork_step(&f, &a4, "a", 5);
    cer_cid b2 = fork_step(&f, &b1, "b", 2), b_same = anchor_on(f.s, &f.id, &b2, &b2, "", 200);
    cer_state *st = NULL;

    /* unverified or timeless anchors do not make a shorter branch win */
    ck_assert_int_eq(merge_even(&f, &a3, &b_unverified), 0);
    ck_assert_int_eq(merge_even(&f, &a3, &b_notime), 0);
    ck_assert_int_eq(merge_even(&f, &a3, &forged), 0);
    /* nor does a chain of them, however long: unverified anchors weigh nothing */
    {
        cer_cid c = f.base;
        for (int i = 0; i < 5; i++)
            c = anchor_on(f.s, &f.id, &c, &c, "", 2 * i + 1);
        ck_assert_int_eq(merge_even(&f, &a3, &c), 0);
        ck_assert_int_eq(merge_even(&f, &a1, &c), 0);
        ck_assert_int_eq(merge_even(&f, &c, &a1), 1);
        /* after a real commit of the other branch, they do not tip a tie */
        c = anchor_on(f.s, &f.id, &b1, &b1, "", 3);
        c = anchor_on(f.s, &f.id, &c, &c, "", 5);
        ck_assert_int_eq(merge_even(&f, &a1, &c), merge_even(&f, &a1, &b1));
    }
    /* and do not keep a shorter branch against a longer signed one */
    ck_assert_int_eq(merge_even(&f, &b_unverified, &a3), 1);
    ck_assert_int_eq(merge_even(&f, &forged, &a3), 1);
    /* a verified anchor does win, shorter or not */
    ck_assert_int_eq(merge_even(&f, &a3, &b_verified), 1);
    ck_assert_int_eq(merge_even(&f, &b_verified, &a3), 0);
    /* an unverified earlier time is never earlier than a verified one */
    ck_assert_int_eq(merge_even(&f, &a_verified, &b_unverified), 0);
    /* the earlier verified anchor wins over a longer branch */
    ck_assert_int_eq(merge_even(&f, &a5, &b_verified), 1);
    /* the same verified time: a branch shorter than ours does not replace
     * it, even when js would take it for its longer part before the anchor */
    ck_assert_int_eq(merge_even(&f, &a5, &b_same), 0);
    /* the timeless "verified" anchor is kept as unverified */
    ck_assert_int_eq(cer_state_load_checked(&st, f.s, &f.id, &b_notime, &(cer_anchor_checker){even_verified, NULL}),
                     0);
    ck_assert_int_eq(st->log[st->log_len - 1].check, CER_CHECK_UNVERIFIED);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    cer_state_free(st);
    cer_store_close(f.s);
}
END_TEST

/* ---- anchors checked on a (fake) chain ---- */

/* The fake chain knows anchor_on's transactions by their first digest
 * byte (= ts & 0xff): 7 is on chain (block time 7000), 8 contradicts its
 * proof, 9 cannot be asked; anything else has no chain. */
static int fake_chain(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    int *asked = arg;

    (*asked)++;
    switch (proof->tx_hash.digest[0]) {
    case 7: *timestamp = 7000; return CER_CHECK_VERIFIED;
    case 8: return cer_err(-EBADMSG, "anchor proof: transaction does not carry the root");
    case 9: return CER_CHECK_UNVERIFIED;
    default: return CER_CHECK_UNVERIFIED_FINAL;
    }
}

START_TEST(anchor_chain_check)
{
    cer_store *s = mem();
    cer_key k = key_n(18);
    cer_streamref id = genesis(s, &k, NULL, "{}");
    cer_cid u1 = update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"add\",\"path\":\"/v\",\"value\":1}]");
    cer_cid good = anchor_on(s, &id, &u1, &u1, "", 7), bad = anchor_on(s, &id, &u1, &u1, "", 8);
    cer_cid down = anchor_on(s, &id, &u1, &u1, "", 9), mem_ = anchor_on(s, &id, &u1, &u1, "", 10);
    cer_cid after_bad = update(s, &k, &id, &bad, NULL, "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":2}]");
    int asked = 0;
    cer_anchor_checker chk = {fake_chain, &asked};
    cer_state *st = NULL;
    static const struct {
        int ts;
        int check;
        int64_t time;
    } applied[] = {{7, CER_CHECK_VERIFIED, 7000}, {9, CER_CHECK_UNVERIFIED, 0}, {10, CER_CHECK_UNVERIFIED_FINAL, 0}};

    /* confirmed, unverifiable now, no chain: applied, the check recorded;
     * a verified anchor's time is its block's, an unverified one has none
     * and does not make the state ANCHORED */
    for (size_t i = 0; i < sizeof applied / sizeof applied[0]; i++) {
        cer_cid a = applied[i].ts == 7 ? good : applied[i].ts == 9 ? down : mem_;
        ck_assert_msg(cer_state_load_checked(&st, s, &id, &a, &chk) == 0, "%s", cer_errmsg());
        ck_assert(cer_cid_equal(cer_state_tip(st), &a));
        ck_assert_int_eq(st->anchor_status,
                         applied[i].time ? CER_ANCHOR_ANCHORED : CER_ANCHOR_NOT_REQUESTED);
        ck_assert_str_eq(cer_anchor_check_name(st->log[2].check), applied[i].time ? "verified" : "unverified");
        ck_assert_int_eq(st->log[2].check, applied[i].check);
        ck_assert_int_eq(st->log[2].timestamp, applied[i].time);
        ck_assert_int_eq(st->log[1].timestamp, applied[i].time);
        ck_assert_int_eq(st->log[1].check, CER_CHECK_NONE);
        {   /* the cache keeps the check: a final one is not checked again */
            cJSON *j = NULL;
            cer_state *back = NULL;
            ck_assert_int_eq(cer_state_to_json(&j, st), 0);
            ck_assert_msg(cer_state_from_json(&back, j) == 0, "%s", cer_errmsg());
            ck_assert_int_eq(back->log[2].check, applied[i].check);
            cer_state_free(back);
            cJSON_Delete(j);
        }
        cer_state_free(st);
    }
    ck_assert_int_eq(asked, 3);
    /* without a checker: unverified, the proof's time is not taken */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &good), 0);
    ck_assert_int_eq(st->log[2].check, CER_CHECK_UNVERIFIED);
    ck_assert_int_eq(st->log[2].timestamp, 0);
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    cer_state_free(st);

    /* contradicted: not applied, nor anything built on it; the status
     * stays what it was before the anchor */
    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &bad, &chk), -EBADMSG);
    assert_msg_has("anchor rejected");
    assert_msg_has("does not carry the root");
    ck_assert(cer_cid_equal(cer_state_tip(st), &u1));
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    ck_assert(!st->has_proof);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &after_bad, &chk), -EBADMSG);
    ck_assert(cer_cid_equal(cer_state_tip(st), &u1));
    cer_state_free(st);
    /* learned on top of u1: the fast-forward is refused, the state stays */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &u1), 0);
    ck_assert_int_eq(cer_state_merge_checked(&st, s, &bad, &chk), -EBADMSG);
    ck_assert(cer_cid_equal(cer_state_tip(st), &u1));
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_NOT_REQUESTED);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

/* A fork whose anchored branch would win, but its anchor is rejected by
 * the chain: the other branch stays. */
START_TEST(merge_rejected_anchor_loses)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 1), a2 = fork_step(&f, &a1, "a", 2);
    cer_cid b1 = fork_step(&f, &f.base, "b", 1), b2 = anchor_on(f.s, &f.id, &b1, &b1, "", 8);
    int asked = 0;
    cer_anchor_checker chk = {fake_chain, &asked};
    cer_state *st = NULL;

    ck_assert_int_eq(merge_from(&f, &a2, &b2), 1);  /* verified, the anchored branch wins */
    ck_assert_int_eq(cer_state_load(&st, f.s, &f.id, &a2), 0);
    ck_assert_int_eq(cer_state_merge_checked(&st, f.s, &b2, &chk), -EBADMSG);  /* reported */
    ck_assert(cer_cid_equal(cer_state_tip(st), &a2));
    ck_assert_int_eq(asked, 1);
    cer_state_free(st);
    cer_store_close(f.s);
}
END_TEST

START_TEST(merge_longer_wins)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 1);
    cer_cid b1 = fork_step(&f, &f.base, "b", 1), b2 = fork_step(&f, &b1, "b", 2);
    cer_state *st = NULL;

    ck_assert_int_eq(merge_from(&f, &a1, &b2), 1);
    ck_assert_int_eq(merge_from(&f, &b2, &a1), 0);
    /* the winner's state is the other branch's */
    ck_assert_int_eq(cer_state_load(&st, f.s, &f.id, &a1), 0);
    ck_assert_int_eq(cer_state_merge(&st, f.s, &b2), 1);
    assert_content(st, "{\"base\":1,\"b\":2}");
    ck_assert_uint_eq(st->log_len, 4);
    cer_state_free(st);
    cer_store_close(f.s);
}
END_TEST

static int bytewise(const cer_cid *a, const cer_cid *b)
{
    uint8_t x[CER_CID_BYTES_MAX], y[CER_CID_BYTES_MAX];
    int nx = cer_cid_to_bytes(x, sizeof x, a), ny = cer_cid_to_bytes(y, sizeof y, b);
    int c = memcmp(x, y, (size_t)(nx < ny ? nx : ny));

    return c ? c : nx - ny;
}

START_TEST(js_compare)
{
    cer_cid a = {1, CER_CODEC_DAG_JOSE, CER_MH_SHA2_256, 32, {0}}, b = a;

    a.digest[0] = 9;
    b.digest[0] = 10;
    ck_assert_int_lt(bytewise(&a, &b), 0);
    ck_assert_int_gt(cer_cid_js_compare(&a, &b), 0);  /* "...,9,..." > "...,10,..." */
    a.digest[0] = 1;
    ck_assert_int_lt(cer_cid_js_compare(&a, &b), 0);  /* "1," < "10" (',' < '0') */
    ck_assert_int_eq(cer_cid_js_compare(&b, &b), 0);
    a.digest[0] = 100;
    b.digest[0] = 99;
    ck_assert_int_lt(cer_cid_js_compare(&a, &b), 0);
}
END_TEST

START_TEST(merge_tie_string_quirk)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 0), b1;
    int n;

    /* find a sibling whose order differs bytewise and as JS strings */
    for (n = 1; n < 1000; n++) {
        b1 = fork_step(&f, &f.base, "b", n);
        if ((bytewise(&a1, &b1) < 0) != (cer_cid_js_compare(&a1, &b1) < 0))
            break;
    }
    ck_assert_int_lt(n, 1000);
    /* the tail whose tip's string is smaller wins, from either side */
    if (cer_cid_js_compare(&b1, &a1) < 0) {
        ck_assert_int_eq(merge_from(&f, &a1, &b1), 1);
        ck_assert_int_eq(merge_from(&f, &b1, &a1), 0);
    } else {
        ck_assert_int_eq(merge_from(&f, &a1, &b1), 0);
        ck_assert_int_eq(merge_from(&f, &b1, &a1), 1);
    }
    cer_store_close(f.s);
}
END_TEST

START_TEST(merge_fast_forward)
{
    fork_t f = fork_new();
    cer_cid a1 = fork_step(&f, &f.base, "a", 1), a2 = fork_step(&f, &a1, "a", 2);
    cer_cid bad = update(f.s, &f.k, &f.id, &a2, NULL, "[{\"op\":\"remove\",\"path\":\"/zzz\"}]");
    cer_cid after_bad = fork_step(&f, &bad, "c", 1);
    cer_streamref other = genesis(f.s, &f.k, NULL, "{\"other\":1}");
    cer_cid foreign = fork_step(&f, &other.genesis, "x", 1);
    cer_state *st = NULL;

    ck_assert_int_eq(cer_state_load(&st, f.s, &f.id, &f.base), 0);
    ck_assert_int_eq(cer_state_merge(&st, f.s, &a2), 1);
    ck_assert(cer_cid_equal(cer_state_tip(st), &a2));
    ck_assert_int_eq(cer_state_merge(&st, f.s, &a1), 0);  /* already in the log */
    ck_assert_int_eq(cer_state_merge(&st, f.s, &bad), -EINVAL);
    ck_assert(cer_cid_equal(cer_state_tip(st), &a2));
    ck_assert_int_eq(cer_state_merge(&st, f.s, &foreign), -EINVAL);
    assert_msg_has("not to this stream");
    cer_state_free(st);
    /* a fast-forward keeps the valid prefix */
    ck_assert_int_eq(cer_state_load(&st, f.s, &f.id, &f.base), 0);
    ck_assert_int_eq(cer_state_merge(&st, f.s, &after_bad), 1);
    ck_assert(cer_cid_equal(cer_state_tip(st), &a2));
    cer_state_free(st);
    cer_store_close(f.s);
}
END_TEST

/* js's content and metadata (anchored_content/anchored_metadata): the
 * genesis' until a verified anchor follows a data commit, then the
 * content at that anchor while more data commits follow it; an unverified
 * anchor moves nothing; a cache keeps them; a copy_append (the node's own
 * commit) starts them from the state it extends. */
static bool json_is(const cJSON *v, const char *text)
{
    cJSON *want = J(text);
    bool eq = cer_json_equal(v, want);

    cJSON_Delete(want);
    return eq;
}

START_TEST(anchored_content)
{
    cer_store *s = mem();
    cer_key k = key_n(22);
    cer_streamref id = genesis(s, &k, "{\"family\":\"f\"}", "{\"v\":0}");
    cer_cid u1 = update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":1}]");
    cer_cid u2 = update(s, &k, &id, &u1, "{\"tags\":[\"t\"]}", "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":2}]");
    cer_cid a1 = anchor_on(s, &id, &u2, &u2, "", 1650000000);
    cer_cid u3 = update(s, &k, &id, &a1, NULL, "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":3}]");
    cer_state *st = NULL, *back = NULL, *ns = NULL;
    cJSON *j = NULL;
    char *t1, *t2;

    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), 0);
    ck_assert_ptr_null(st->anchored_content);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &u2), 0);
    ck_assert(json_is(st->anchored_content, "{\"v\":0}"));
    ck_assert_ptr_null(cJSON_GetObjectItem(st->anchored_metadata, "tags"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(st->metadata, "tags"));
    cer_state_free(st);
    /* unverified anchor: nothing moves */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &a1), 0);
    ck_assert(json_is(st->anchored_content, "{\"v\":0}"));
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &a1, &trust), 0);
    ck_assert_ptr_null(st->anchored_content);
    ck_assert_ptr_null(st->anchored_metadata);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &u3, &trust), 0);
    ck_assert(json_is(st->anchored_content, "{\"v\":2}"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(st->anchored_metadata, "tags"));
    /* the cache keeps them */
    t1 = state_text(st);
    ck_assert_int_eq(cer_json_parse(&j, t1, strlen(t1), CER_JSON_EXACT_INTS), 0);
    ck_assert_msg(cer_state_from_json(&back, j) == 0, "%s", cer_errmsg());
    t2 = state_text(back);
    ck_assert_str_eq(t1, t2);
    free(t2);
    cer_state_free(back);
    /* ... and one that has them where no data commit follows an anchor is refused */
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "log"), 4), "type", cJSON_CreateNumber(2));
    ck_assert_int_lt(cer_state_from_json(&back, j), 0);
    cJSON_Delete(j);
    free(t1);
    /* copy_append: the new state's anchored pair is the old one's */
    {
        cJSON *c4 = J("{\"v\":4}");
        ck_assert_int_eq(cer_state_copy_append(&ns, st, c4), 0);
        cJSON_Delete(c4);
    }
    ck_assert(json_is(ns->anchored_content, "{\"v\":2}"));
    cer_state_free_shared(ns, st);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &a1, &trust), 0);
    {
        cJSON *c4 = J("{\"v\":4}");
        ck_assert_int_eq(cer_state_copy_append(&ns, st, c4), 0);
        cJSON_Delete(c4);
    }
    ck_assert(json_is(ns->anchored_content, "{\"v\":2}"));
    ck_assert_ptr_null(st->anchored_content);
    cer_state_free_shared(ns, st);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

/* ---- progress ---- */

typedef struct progress_log {
    size_t calls, fetched, verified, total;
    bool backwards;
} progress_log;

static void on_progress(void *arg, size_t fetched, size_t verified, size_t total)
{
    progress_log *p = arg;

    p->backwards |= fetched < p->fetched || verified < p->verified;
    p->calls++;
    p->fetched = fetched;
    p->verified = verified;
    p->total = total;
}

START_TEST(load_progress)
{
    enum { N = 300 };
    cer_store *s = mem();
    cer_key k = key_n(4);
    cer_streamref id = genesis(s, &k, NULL, "{\"n\":0}");
    cer_cid tip = id.genesis, mid = id.genesis;
    progress_log p = {0};
    cer_anchor_checker chk = {.progress = on_progress, .progress_arg = &p};
    cer_state *st = NULL;
    int64_t t0 = cer_clock_ms(CLOCK_MONOTONIC), ms;
    char patch[64];

    for (int i = 1; i < N; i++) {
        snprintf(patch, sizeof patch, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":%d}]", i);
        tip = update(s, &k, &id, &tip, NULL, patch);
        if (i == N / 2)
            mid = tip;
    }
    t0 = cer_clock_ms(CLOCK_MONOTONIC);
    ck_assert_msg(cer_state_load_checked(&st, s, &id, &tip, &chk) == 0, "%s", cer_errmsg());
    ms = cer_clock_ms(CLOCK_MONOTONIC) - t0;
    ck_assert_uint_eq(st->log_len, N);
    /* the counts reach the log's length; the hook runs at each phase's end
     * and at most every CER_PROGRESS_MS between */
    ck_assert_uint_eq(p.fetched, N);
    ck_assert_uint_eq(p.verified, N);
    ck_assert_uint_eq(p.total, N);
    ck_assert(!p.backwards);
    ck_assert_uint_ge(p.calls, 2);
    ck_assert_uint_le(p.calls, 2 + (size_t)(ms / CER_PROGRESS_MS));
    cer_state_free(st);
    /* a merge reports the commits it fetches and applies */
    ck_assert_int_eq(cer_state_load(&st, s, &id, &mid), 0);
    p = (progress_log){0};
    ck_assert_int_eq(cer_state_merge_checked(&st, s, &tip, &chk), 1);
    ck_assert_uint_eq(st->log_len, N);
    ck_assert_uint_eq(p.fetched, N - 1 - N / 2);
    ck_assert_uint_eq(p.verified, p.fetched);
    ck_assert_uint_eq(p.total, p.fetched);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

/* ---- JSON ---- */

START_TEST(state_json)
{
    cer_store *s = mem();
    cer_key k = key_n(21);
    cer_streamref id = genesis(s, &k, "{\"family\":\"fam\"}", "{\"big\":1}");
    cer_cid u1 = update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"add\",\"path\":\"/z\",\"value\":\"\\u0000\"}]");
    cer_cid a1 = anchor_on(s, &id, &u1, &u1, "", 1650000000);
    cer_state *st = NULL, *back = NULL;
    cJSON *j = NULL, *p = NULL;
    char *text, *text2;
    size_t len;

    ck_assert_int_eq(cer_state_load_checked(&st, s, &id, &a1, &trust), 0);
    ck_assert_int_eq(st->log[2].check, CER_CHECK_VERIFIED);
    text = state_text(st);
    ck_assert_ptr_nonnull(strstr(text, "\"check\":\"verified\""));
    ck_assert_ptr_nonnull(strstr(text, "\"anchorStatus\":\"ANCHORED\""));
    ck_assert_ptr_nonnull(strstr(text, "\"doctype\":\"tile\""));
    ck_assert_ptr_nonnull(strstr(text, "\"timestamp\":1650000000"));
    ck_assert_ptr_nonnull(strstr(text, "\"author\":\"did:key:"));
    len = strlen(text);
    ck_assert_int_eq(cer_json_parse(&j, text, len, CER_JSON_EXACT_INTS), 0);
    ck_assert_msg(cer_state_from_json(&back, j) == 0, "%s", cer_errmsg());
    text2 = state_text(back);
    ck_assert_str_eq(text, text2);
    free(text2);
    cer_state_free(back);
    cJSON_Delete(j);
    /* an old cache: the words from before "unverified" was the only one,
     * and times it took from unchecked proofs; it loads, its anchor
     * unverified, timeless and not ANCHORED. Its data commit then follows
     * no verified anchor, so the state needs the content before it
     * ("anchored"): without it the cache is refused (the node walks the
     * log again), with it it loads. */
    {
        static const char *const old[] = {"unchecked", "uncheckable", NULL};
        for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
            cJSON *e2, *anchored;
            j = NULL;
            ck_assert_int_eq(cer_json_parse(&j, text, len, CER_JSON_EXACT_INTS), 0);
            e2 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "log"), 2);
            if (old[i])
                cJSON_ReplaceItemInObject(e2, "check", cJSON_CreateString(old[i]));
            else
                cJSON_DeleteItemFromObject(e2, "check");
            ck_assert_int_eq(cer_state_from_json(&back, j), -EINVAL);
            assert_msg_has("\"anchored\" missing");
            anchored = cJSON_AddObjectToObject(j, "anchored");
            cJSON_AddItemToObject(anchored, "content", J("{\"big\":1}"));
            cJSON_AddItemToObject(anchored, "metadata", cJSON_Duplicate(cJSON_GetObjectItem(j, "metadata"), 1));
            ck_assert_msg(cer_state_from_json(&back, j) == 0, "%s: %s", old[i] ? old[i] : "none", cer_errmsg());
            ck_assert_str_eq(back->anchored_content->child->string, "big");
            ck_assert_int_eq(back->log[2].check, CER_CHECK_UNVERIFIED);
            for (size_t e = 0; e < back->log_len; e++)
                ck_assert_int_eq(back->log[e].timestamp, 0);
            ck_assert_int_eq(back->anchor_status, CER_ANCHOR_NOT_REQUESTED);
            cer_state_free(back);
            cJSON_Delete(j);
        }
    }

    /* cut short anywhere: never a state */
    for (size_t n = 0; n < len; n++) {
        j = NULL;
        back = NULL;
        if (cer_json_parse(&j, text, n, CER_JSON_EXACT_INTS) == 0)
            ck_assert_int_lt(cer_state_from_json(&back, j), 0);
        ck_assert_ptr_null(back);
        cJSON_Delete(j);
    }
    /* strict fields */
    {
        static const char *const mutations[] = {
            "{\"x\":1}", "{\"type\":1}", "{\"doctype\":\"MID\"}", "{\"signature\":3}",
            "{\"anchorStatus\":\"DONE\"}", "{\"log\":[]}", "{\"streamId\":\"kzzz\"}", "{\"metadata\":[]}",
            "{\"log\":[{\"cid\":\"bafy\",\"type\":0}]}", "{\"anchorProof\":{\"chainId\":\"x\"}}",
        };
        ck_assert_int_eq(cer_json_parse(&p, text, len, CER_JSON_EXACT_INTS), 0);
        for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
            cJSON *m = J(mutations[i]), *copy = cJSON_Duplicate(p, 1);
            cJSON *it = m->child;
            if (cJSON_GetObjectItem(copy, it->string))
                cJSON_ReplaceItemInObjectCaseSensitive(copy, it->string, cJSON_Duplicate(it, 1));
            else
                cJSON_AddItemToObject(copy, it->string, cJSON_Duplicate(it, 1));
            ck_assert_msg(cer_state_from_json(&back, copy) == -EINVAL, "accepted %s", mutations[i]);
            cJSON_Delete(copy);
            cJSON_Delete(m);
        }
        cJSON_DeleteItemFromObject(p, "anchorProof");
        ck_assert_int_eq(cer_state_from_json(&back, p), -EINVAL);
        cJSON_Delete(p);
    }
    free(text);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

/* ---- real js-ceramic blocks ---- */

static void put_hex(cer_store *s, const char *cid_text, const char *hex)
{
    cer_cid cid;
    size_t n;
    uint8_t *b = tu_unhex(hex, &n);

    ck_assert_int_eq(cer_cid_parse(&cid, cid_text), 0);
    ck_assert_msg(cer_store_put(s, &cid, b, n) == 0, "%s: %s", cid_text, cer_errmsg());
    free(b);
}

static bool is_str(const cJSON *o, const char *k)
{
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void put_case_blocks(cer_store *s, const cJSON *cases)
{
    const cJSON *c, *it;

    cJSON_ArrayForEach(c, cases) {
        const char *kind = tu_str(c, "kind");
        if (strcmp(kind, "genesis") == 0 || strcmp(kind, "update") == 0) {
            const cJSON *e = tu_get(c, "expect");
            put_hex(s, tu_str(e, "payload_cid"), tu_str(e, "payload_hex"));
            if (is_str(e, "envelope_hex"))
                put_hex(s, tu_str(e, "envelope_cid"), tu_str(e, "envelope_hex"));
        } else if (strcmp(kind, "anchor") == 0) {
            put_hex(s, tu_str(c, "proof/cid"), tu_str(c, "proof/hex"));
            const cJSON *tree = cJSON_GetObjectItemCaseSensitive(c, "tree");
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(tree, "nodes"))
                put_hex(s, tu_str(it, "cid"), tu_str(it, "hex"));
            cJSON_ArrayForEach(it, tu_get(c, "anchors"))
                put_hex(s, tu_str(it, "cid"), tu_str(it, "hex"));
        }
    }
}

static void load_expect(cer_store *s, const char *stream_id, const char *tip, const char *content_json,
                        const cJSON *metadata, const char *name)
{
    cer_streamref id;
    cer_cid t;
    cer_state *st = NULL;
    cJSON *want = NULL;

    ck_assert_int_eq(cer_streamref_parse(&id, stream_id), 0);
    ck_assert_int_eq(cer_cid_parse(&t, tip), 0);
    ck_assert_msg(cer_state_load(&st, s, &id, &t) == 0, "%s: %s", name, cer_errmsg());
    ck_assert_int_eq(cer_json_parse(&want, content_json, strlen(content_json), 0), 0);
    ck_assert_msg(cer_json_equal(st->content, want), "%s: content differs", name);
    if (metadata)
        ck_assert_msg(cer_json_equal(st->metadata, metadata), "%s: metadata differs", name);
    cJSON_Delete(want);
    cer_state_free(st);
}

START_TEST(js_vectors)
{
    cJSON *root = tu_load_json("js-cases.json");
    const cJSON *cases = tu_get(root, "cases"), *c, *a;
    cer_store *s = mem();
    int updates = 0, nanchors = 0;

    put_case_blocks(s, cases);
    cJSON_ArrayForEach(c, cases) {
        const char *kind = tu_str(c, "kind");
        if (strcmp(kind, "genesis") == 0) {
            const cJSON *e = tu_get(c, "expect");
            load_expect(s, tu_str(e, "stream_id"), tu_str(e, "commit_cid"),
                        is_str(c, "content_json") ? tu_str(c, "content_json") : "{}", tu_get(e, "state_metadata"),
                        tu_str(c, "name"));
        } else if (strcmp(kind, "update") == 0) {
            const cJSON *e = tu_get(c, "expect");
            load_expect(s, tu_str(e, "stream_id"), tu_str(e, "commit_cid"), tu_str(c, "new_json"),
                        tu_get(e, "state_metadata"), tu_str(c, "name"));
            updates++;
        }
    }
    /* anchors on the last commit of each stream: the whole log, Merkle paths included */
    cJSON_ArrayForEach(c, cases) {
        if (strcmp(tu_str(c, "kind"), "anchor") != 0)
            continue;
        cJSON_ArrayForEach(a, tu_get(c, "anchors")) {
            cer_streamref id;
            cer_cid tip;
            cer_state *st = NULL;
            ck_assert_int_eq(cer_streamref_parse(&id, tu_str(a, "stream_id")), 0);
            ck_assert_int_eq(cer_cid_parse(&tip, tu_str(a, "cid")), 0);
            ck_assert_msg(cer_state_load_checked(&st, s, &id, &tip, &trust) == 0, "%s %s: %s", tu_str(c, "name"),
                          tu_str(a, "stream"), cer_errmsg());
            ck_assert_int_eq(st->anchor_status, CER_ANCHOR_ANCHORED);
            ck_assert_str_eq(st->proof.chain_id, tu_str(c, "chain_id"));
            if (st->proof.has_block_timestamp)
                for (size_t i = 0; i < st->log_len; i++)
                    ck_assert_int_eq(st->log[i].timestamp, st->proof.block_timestamp);
            ck_assert_uint_ge(st->log_len, 2);
            ck_assert(cer_cid_equal(cer_state_tip(st), &tip));
            cer_state_free(st);
            nanchors++;
        }
    }
    ck_assert_int_gt(updates, 0);
    ck_assert_int_ge(nanchors, 6);
    cer_store_close(s);
    cJSON_Delete(root);
}
END_TEST

/* ---- Model and ModelInstanceDocument (read-only) ---- */

#define META_MODEL "kh4q0ozorrgaq2mezktnrmdwleo1d"
#define POST_MODEL                                                                                           \
    "{\"version\":\"2.0\",\"name\":\"Post\",\"accountRelation\":{\"type\":\"list\"},"                       \
    "\"schema\":{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"}}}}"

static void w_streamid(cer_cbor_w *w, const cer_streamref *ref)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    int n = cer_streamref_to_bytes(b, sizeof b, ref);

    ck_assert_int_gt(n, 0);
    cer_cbor_w_bytes(w, b, (size_t)n);
}

/* A Model or MID genesis {data, header: {sep: "model", model: bytes,
 * unique?: bytes, controllers: [did]}}, data JSON or NULL (null), signed
 * by k unless k is NULL; returns the StreamID of the given type. */
static cer_streamref mm_genesis(cer_store *s, uint64_t type, const cer_key *k, const char *did,
                                const cer_streamref *model, const char *unique, const char *data)
{
    cer_buf p = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    cer_streamref id = {.type = type};
    cJSON *d = data ? J(data) : NULL;

    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "data");
    if (d)
        cer_cbor_w_json(&w, d, 0);
    else
        cer_cbor_w_null(&w);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_map(&w, unique ? 4 : 3);
    cer_cbor_w_text(&w, "sep");
    cer_cbor_w_text(&w, "model");
    cer_cbor_w_text(&w, "model");
    w_streamid(&w, model);
    if (unique) {
        cer_cbor_w_text(&w, "unique");
        cer_cbor_w_bytes(&w, (const uint8_t *)unique, strlen(unique));
    }
    cer_cbor_w_text(&w, "controllers");
    cer_cbor_w_array(&w, 1);
    cer_cbor_w_text(&w, did);
    ck_assert_int_eq(w.err, 0);
    if (k) {
        id.genesis = seal_payload(s, k, &p, false);
    } else {
        cer_cid_of_block(&id.genesis, CER_CODEC_DAG_CBOR, p.data, p.len);
        ck_assert_int_eq(cer_store_put(s, &id.genesis, p.data, p.len), 0);
    }
    id.commit = id.genesis;
    cJSON_Delete(d);
    cer_buf_free(&p);
    return id;
}

static cer_streamref meta_model(void)
{
    cer_streamref m;

    ck_assert_int_eq(cer_streamref_parse(&m, META_MODEL), 0);
    return m;
}

static cer_streamref model_stream(cer_store *s, const cer_key *k, const char *def)
{
    cer_streamref m = meta_model();

    return mm_genesis(s, CER_STREAM_MODEL, k, k->did, &m, NULL, def);
}

/* A signed {id, data: patch, prev, header?} on a Model or MID. */
static cer_cid mm_update(cer_store *s, const cer_key *k, const cer_streamref *id, const cer_cid *prev,
                         const char *header, const char *patch)
{
    cer_buf p = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&p);
    cJSON *h = header ? J(header) : NULL, *d = J(patch);
    cer_cid cid;

    cer_cbor_w_map(&w, h ? 4 : 3);
    cer_cbor_w_text(&w, "id");
    cer_cbor_w_link(&w, &id->genesis);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_json(&w, d, 0);
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_link(&w, prev);
    if (h) {
        cer_cbor_w_text(&w, "header");
        cer_cbor_w_json(&w, h, 0);
    }
    ck_assert_int_eq(w.err, 0);
    cid = seal_payload(s, k, &p, false);
    cJSON_Delete(h);
    cJSON_Delete(d);
    cer_buf_free(&p);
    return cid;
}

static void assert_metadata(const cer_state *st, const char *want)
{
    cJSON *w = J(want);
    char *got = NULL;

    cer_json_print(&got, st->metadata, 0);
    ck_assert_msg(cer_json_equal(st->metadata, w), "metadata %s, want %s", got, want);
    free(got);
    cJSON_Delete(w);
}

START_TEST(model_genesis_loads)
{
    cer_store *s = mem();
    cer_key k = key_n(40);
    cer_streamref m = model_stream(s, &k, POST_MODEL);
    cer_cid a;
    cer_state *st = NULL;
    char want[256], *text;

    ck_assert_msg(cer_state_load(&st, s, &m, &m.genesis) == 0, "%s", cer_errmsg());
    assert_content(st, POST_MODEL);
    snprintf(want, sizeof want, "{\"controllers\":[\"%s\"],\"model\":\"%s\"}", k.did, META_MODEL);
    assert_metadata(st, want);
    ck_assert_int_eq(st->signature, CER_SIG_SIGNED);
    ck_assert_uint_eq(st->log_len, 1);
    ck_assert_str_eq(st->log[0].author, k.did);
    text = state_text(st);
    ck_assert_ptr_nonnull(strstr(text, "\"doctype\":\"model\""));
    free(text);
    cer_state_free(st);
    /* anchors apply as for any stream */
    a = anchor_on(s, &m, &m.genesis, &m.genesis, "", 1700000000);
    ck_assert_msg(cer_state_load_checked(&st, s, &m, &a, &trust) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(st->anchor_status, CER_ANCHOR_ANCHORED);
    ck_assert_uint_eq(st->log_len, 2);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(model_data_commit_rejected)
{
    cer_store *s = mem();
    cer_key k = key_n(41);
    cer_streamref m = model_stream(s, &k, POST_MODEL);
    cer_cid u = mm_update(s, &k, &m, &m.genesis, NULL, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"X\"}]");
    cer_state *st = NULL;

    ck_assert_int_eq(cer_state_load(&st, s, &m, &u), -EINVAL);
    assert_msg_has("cannot update a finalized Model");
    ck_assert_uint_eq(st->log_len, 1);
    assert_content(st, POST_MODEL);
    ck_assert_int_eq(cer_state_apply(st, s, &u), -EINVAL);
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(model_genesis_rejected)
{
    cer_store *s = mem();
    cer_key k = key_n(42), k2 = key_n(43);
    cer_streamref meta = meta_model(), tile = genesis(s, &k, NULL, "{\"a\":1}"), id;
    cer_state *st = NULL;

    id = mm_genesis(s, CER_STREAM_MODEL, NULL, k.did, &meta, NULL, POST_MODEL);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EINVAL);
    assert_msg_has("must be signed");
    ck_assert_ptr_null(st);
    id = mm_genesis(s, CER_STREAM_MODEL, &k, k.did, &tile, NULL, POST_MODEL);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EINVAL);
    assert_msg_has("invalid 'model'");
    id = mm_genesis(s, CER_STREAM_MODEL, &k2, k.did, &meta, NULL, POST_MODEL);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EKEYREJECTED);
    id = mm_genesis(s, CER_STREAM_MODEL, &k, "did:pkh:eip155:1:0xabc", &meta, NULL, POST_MODEL);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EKEYREJECTED);
    assert_msg_has("has none ('cap')");
    id = mm_genesis(s, CER_STREAM_MODEL, &k, "did:web:example.com", &meta, NULL, POST_MODEL);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -ENOTSUP);
    assert_msg_has("only did:key, did:pkh and did:3");
    id = mm_genesis(s, CER_STREAM_MODEL, &k, k.did, &meta, NULL,
                    "{\"version\":\"2.0\",\"name\":\"P\",\"accountRelation\":{\"type\":\"list\"},"
                    "\"schema\":{},\"colour\":1}");
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EINVAL);
    assert_msg_has("unexpected key 'colour'");
    id = mm_genesis(s, CER_STREAM_MODEL, &k, k.did, &meta, NULL, "{\"version\":\"2.0\",\"name\":\"P\"}");
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EINVAL);
    id = mm_genesis(s, CER_STREAM_MODEL, &k, k.did, &meta, NULL,
                    "{\"version\":\"3.0\",\"name\":\"P\",\"accountRelation\":{\"type\":\"list\"},\"schema\":{}}");
    ck_assert_int_eq(cer_state_load(&st, s, &id, &id.genesis), -EINVAL);
    assert_msg_has("version");
    ck_assert_ptr_null(st);
    cer_store_close(s);
}
END_TEST

/* The MID content does not follow the Post schema (title is a number,
 * extra keys): it is not validated against the model, only loaded. */
START_TEST(mid_loads_content_not_validated_against_model)
{
    cer_store *s = mem();
    cer_key k = key_n(44);
    cer_streamref m = model_stream(s, &k, POST_MODEL);
    cer_streamref id = mm_genesis(s, CER_STREAM_MID, &k, k.did, &m, "0123456789ab", "{\"title\":7,\"x\":true}");
    cer_cid u1 = mm_update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"t\"}]");
    cer_cid u2 = mm_update(s, &k, &id, &u1, "{\"shouldIndex\":false}", "[]");
    cer_state *st = NULL;
    char ms[CER_STREAMID_STR_MAX], want[1024], *text;

    ck_assert_int_gt(cer_streamref_to_string(ms, sizeof ms, &m), 0);
    ck_assert_msg(cer_state_load(&st, s, &id, &id.genesis) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"title\":7,\"x\":true}");
    /* unique as serializeState prints it: base64 of "0123456789ab" */
    snprintf(want, sizeof want, "{\"controllers\":[\"%s\"],\"model\":\"%s\",\"unique\":\"MDEyMzQ1Njc4OWFi\"}",
             k.did, ms);
    assert_metadata(st, want);
    text = state_text(st);
    ck_assert_ptr_nonnull(strstr(text, "\"doctype\":\"MID\""));
    free(text);
    cer_state_free(st);

    ck_assert_msg(cer_state_load(&st, s, &id, &u2) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"title\":\"t\",\"x\":true}");
    snprintf(want, sizeof want,
             "{\"controllers\":[\"%s\"],\"model\":\"%s\",\"unique\":\"MDEyMzQ1Njc4OWFi\",\"shouldIndex\":false}",
             k.did, ms);
    assert_metadata(st, want);
    ck_assert_uint_eq(st->log_len, 3);
    ck_assert_int_eq(st->log[2].type, CER_COMMIT_SIGNED);
    ck_assert_str_eq(st->log[2].author, k.did);
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(mid_update_rules)
{
    cer_store *s = mem();
    cer_key k = key_n(45), k2 = key_n(46);
    cer_streamref m = model_stream(s, &k, POST_MODEL);
    cer_streamref id = mm_genesis(s, CER_STREAM_MID, &k, k.did, &m, "u", "{\"title\":\"a\"}");
    cer_cid foreign = mm_update(s, &k2, &id, &id.genesis, NULL, "[{\"op\":\"add\",\"path\":\"/b\",\"value\":1}]");
    cer_cid meta = mm_update(s, &k, &id, &id.genesis, "{\"controllers\":[\"did:key:z6Mkx\"]}", "[]");
    cer_cid bad_patch = mm_update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"remove\",\"path\":\"/nope\"}]");
    cer_state *st = NULL;

    ck_assert_int_eq(cer_state_load(&st, s, &id, &foreign), -EKEYREJECTED);
    ck_assert_uint_eq(st->log_len, 1);
    assert_content(st, "{\"title\":\"a\"}");
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &meta), -EINVAL);
    assert_msg_has("not allowed");
    ck_assert_uint_eq(st->log_len, 1);
    cer_state_free(st);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &bad_patch), -EINVAL);
    assert_msg_has("patch does not apply");
    cer_state_free(st);
    cer_store_close(s);
}
END_TEST

START_TEST(mid_deterministic_genesis)
{
    cer_store *s = mem();
    cer_key k = key_n(47);
    cer_streamref m = model_stream(s, &k, POST_MODEL), tile = genesis(s, &k, NULL, "{\"a\":1}");
    cer_streamref id = mm_genesis(s, CER_STREAM_MID, NULL, k.did, &m, NULL, NULL), bad;
    cer_cid u = mm_update(s, &k, &id, &id.genesis, NULL, "[{\"op\":\"add\",\"path\":\"/a\",\"value\":1}]");
    cer_state *st = NULL;

    ck_assert_msg(cer_state_load(&st, s, &id, &id.genesis) == 0, "%s", cer_errmsg());
    assert_content(st, "{}");  /* js 2.44's handler: payload.data || {} */
    ck_assert_int_eq(st->signature, CER_SIG_SIGNED); /* as js has it */
    ck_assert_str_eq(st->log[0].author, "");
    {   /* the cache form keeps the content */
        cJSON *j = NULL;
        cer_state *back = NULL;
        ck_assert_int_eq(cer_state_to_json(&j, st), 0);
        ck_assert_msg(cer_state_from_json(&back, j) == 0, "%s", cer_errmsg());
        ck_assert(cer_json_equal(back->content, st->content));
        ck_assert(cer_json_equal(back->metadata, st->metadata));
        cer_state_free(back);
        cJSON_Delete(j);
    }
    ck_assert_msg(cer_state_apply(st, s, &u) == 0, "%s", cer_errmsg());
    assert_content(st, "{\"a\":1}");
    cer_state_free(st);

    bad = mm_genesis(s, CER_STREAM_MID, NULL, k.did, &m, NULL, "{\"a\":1}");
    ck_assert_int_eq(cer_state_load(&st, s, &bad, &bad.genesis), -EINVAL);
    assert_msg_has("with content must be signed");
    bad = mm_genesis(s, CER_STREAM_MID, NULL, k.did, &tile, NULL, NULL);
    ck_assert_int_eq(cer_state_load(&st, s, &bad, &bad.genesis), -EINVAL);
    assert_msg_has("Model stream");
    bad = mm_genesis(s, CER_STREAM_MID, NULL, "nobody", &m, NULL, NULL);
    ck_assert_int_eq(cer_state_load(&st, s, &bad, &bad.genesis), -EINVAL);
    assert_msg_has("invalid DID");
    ck_assert_ptr_null(st);
    cer_store_close(s);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("state");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, genesis_only);
    tcase_add_test(tc, three_updates);
    tcase_add_test(tc, controller_change);
    tcase_add_test(tc, forbid_controller_change);
    tcase_add_test(tc, non_controller);
    tcase_add_test(tc, forged_signature);
    tcase_add_test(tc, foreign_prev_and_id);
    tcase_add_test(tc, oversized_and_corrupt_blocks);
    tcase_add_test(tc, non_canonical_genesis);
    tcase_add_test(tc, bad_commits);
    tcase_add_test(tc, fake_link);
    tcase_add_test(tc, anchors);
    tcase_add_test(tc, anchor_missing_proof);
    tcase_add_test(tc, incremental_apply);
    tcase_add_test(tc, copy_append);
    tcase_add_test(tc, merge_anchored_wins);
    tcase_add_test(tc, merge_earlier_anchor_wins);
    tcase_add_test(tc, anchor_chain_check);
    tcase_add_test(tc, merge_rejected_anchor_loses);
    tcase_add_test(tc, merge_longer_wins);
    tcase_add_test(tc, js_compare);
    tcase_add_test(tc, merge_tie_string_quirk);
    tcase_add_test(tc, merge_fast_forward);
    tcase_add_test(tc, load_progress);
    tcase_add_test(tc, merge_only_verified_facts);
    tcase_add_test(tc, anchored_content);
    tcase_add_test(tc, state_json);
    tcase_add_test(tc, js_vectors);
    tcase_add_test(tc, model_genesis_loads);
    tcase_add_test(tc, model_data_commit_rejected);
    tcase_add_test(tc, model_genesis_rejected);
    tcase_add_test(tc, mid_loads_content_not_validated_against_model);
    tcase_add_test(tc, mid_update_rules);
    tcase_add_test(tc, mid_deterministic_genesis);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(state_suite)
