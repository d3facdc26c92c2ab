/*
 * test_did3.c — did:3 (3ID v1) controllers against tests/vectors/js-did3.json
 * (gen/did3.mjs: a 3ID document anchored twice with a key rotation
 * between, documents signed as the 3ID at its versions, and
 * js-ceramic's verdict for each, through the real 3id-did-resolver): every
 * case loaded through cer_state_load_checked, with a checker whose anchors
 * are verified at their blockTimestamp and whose latest state of the 3ID
 * document is its full log; then the refusals js has no vectors for,
 * and a node that fetches a 3ID document it lacks (cer_node_set_fetch).
 */
#include "testutil.h"

#include "did3.h"
#include "error.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cJSON *vec;
static cer_store *store;

static int verified_at_block_time(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    (void)arg;
    *timestamp = proof->block_timestamp;
    return CER_CHECK_VERIFIED;
}

static int latest_3id(void *arg, const cer_streamref *id, cer_state **out);
static cer_anchor_checker chk = {verified_at_block_time, NULL, latest_3id};
static bool know_latest = true;

/* The node's latest state of the 3ID document: its whole log. */
static int latest_3id(void *arg, const cer_streamref *id, cer_state **out)
{
    cer_cid tip;

    (void)arg;
    *out = NULL;
    if (!know_latest)
        return -ENOENT;
    ck_assert_int_eq(cer_cid_parse(&tip, tu_str(vec, "three_id/anchor2")), 0);
    return cer_state_load_checked(out, store, id, &tip, &chk);
}

static void setup(void)
{
    const cJSON *it;

    vec = tu_load_json("js-did3.json");
    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    cJSON_ArrayForEach(it, tu_get(vec, "blocks")) {
        cer_cid cid;
        size_t n;
        uint8_t *b = tu_unhex(it->valuestring, &n);
        ck_assert_int_eq(cer_cid_parse(&cid, it->string), 0);
        ck_assert_msg(cer_store_put(store, &cid, b, n) == 0, "%s", cer_errmsg());
        free(b);
    }
    know_latest = true;
}

static void teardown(void)
{
    cer_store_close(store);
    cJSON_Delete(vec);
}

/* An anchor commit on prev at time ts (path "": root = prev), stored. */
static cer_cid anchor_on(const cer_cid *genesis, const cer_cid *prev, int64_t ts)
{
    cer_anchor_proof p = {.chain_id = "eip155:1337", .root = *prev, .has_block_timestamp = true,
                          .block_timestamp = ts, .tx_hash = {1, CER_CODEC_ETH_TX, CER_MH_KECCAK_256, 32, {9}}};
    cer_anchor_commit ac = {.has_id = true, .id = *genesis, .prev = *prev};
    cer_block pb, ab;
    cer_cid cid;

    ck_assert_int_eq(cer_anchor_proof_encode(&pb, &p), 0);
    ck_assert_int_eq(cer_store_put(store, &pb.cid, pb.bytes.data, pb.bytes.len), 0);
    ac.proof = pb.cid;
    ck_assert_int_eq(cer_anchor_commit_encode(&ab, &ac), 0);
    ck_assert_int_eq(cer_store_put(store, &ab.cid, ab.bytes.data, ab.bytes.len), 0);
    cid = ab.cid;
    cer_buf_free(&pb.bytes);
    cer_buf_free(&ab.bytes);
    return cid;
}

/* Load the case's document (with an anchor at its "at"): 0 or the error. */
static int load_case(const cJSON *c, cer_state **st)
{
    const cJSON *at = tu_get(c, "at");
    cer_streamref id;
    cer_cid tip;

    *st = NULL;
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(c, "stream_id")), 0);
    tip = id.genesis;
    if (!cJSON_IsNull(at))
        tip = anchor_on(&id.genesis, &id.genesis, (int64_t)at->valuedouble);
    cer_errclear();
    return cer_state_load_checked(st, store, &id, &tip, &chk);
}

START_TEST(js_verdicts)
{
    const cJSON *it;
    int n = 0, valid = 0;

    cJSON_ArrayForEach(it, tu_get(vec, "commits")) {
        const char *name = tu_str(it, "name");
        cer_state *st;
        int rc = load_case(it, &st);
        if (cJSON_IsTrue(tu_get(it, "valid"))) {
            ck_assert_msg(rc == 0, "%s: js accepts, we refuse: %s", name, cer_errmsg());
            ck_assert_str_eq(st->log[0].author, tu_str(vec, "three_id/did"));
            valid++;
        } else {
            ck_assert_msg(rc < 0, "%s: js refuses (%s), we accept", name, tu_str(it, "error"));
            ck_assert_ptr_null(st);
        }
        cer_state_free(st);
        n++;
    }
    ck_assert_int_ge(n, 13);
    ck_assert_int_ge(valid, 5);
}
END_TEST

static const cJSON *named(const char *name)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, tu_get(vec, "commits"))
        if (strcmp(tu_str(it, "name"), name) == 0)
            return it;
    ck_abort_msg("no case %s", name);
    return NULL;
}

START_TEST(reasons)
{
    static const struct {
        const char *name, *says;
    } cases[] = {
        {"v1-after-phase-out", "revoked version"},
        {"v1-unanchored", "revoked version"},
        {"v2-before-its-version", "before the version"},
        {"v1-key-at-v2", "invalid signature"},
        {"other-did", "not the controller"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cer_state *st;
        ck_assert(load_case(named(cases[i].name), &st) < 0);
        ck_assert_msg(strstr(cer_errmsg(), cases[i].says), "%s: %s", cases[i].name, cer_errmsg());
    }
}
END_TEST

/* Without the latest state the kid's version stands alone (no later
 * version is known); without a version-id there is nothing to resolve. */
START_TEST(latest_unknown)
{
    cer_state *st;

    know_latest = false;
    ck_assert_int_eq(load_case(named("v1-unanchored"), &st), 0);
    cer_state_free(st);
    ck_assert_int_eq(load_case(named("latest-no-version"), &st), -ENOENT);
    ck_assert(strstr(cer_errmsg(), "not known here"));
}
END_TEST

START_TEST(kid_forms)
{
    cer_did3 d;
    char kid[512];

    /* legacy v0: did:3:<CID> */
    ck_assert_int_eq(cer_did3_resolve(&d, "did:3:bafyreia4bzcobxpaqqnizu6ec4aqzkpokwjtocjsz2c4xi536w56z45ssq#k", store,
                                      &chk),
                     -ENOTSUP);
    ck_assert(strstr(cer_errmsg(), "legacy (v0) 3ID"));
    ck_assert_int_eq(cer_did3_resolve(&d, "did:3:notastream#k", store, &chk), -EINVAL);
    ck_assert_int_eq(cer_did3_resolve(&d, "did:key:z6Mk#k", store, &chk), -EINVAL);
    snprintf(kid, sizeof kid, "%s?versionTime=2025-01-01T00:00:00Z#k", tu_str(vec, "three_id/did"));
    ck_assert_int_eq(cer_did3_resolve(&d, kid, store, &chk), -ENOTSUP);
    snprintf(kid, sizeof kid, "%s?version-id=nope#k", tu_str(vec, "three_id/did"));
    ck_assert_int_eq(cer_did3_resolve(&d, kid, store, &chk), -EINVAL);
    /* versionId is read like version-id; the anchor-1 version has key 1 and
     * was replaced at t2 */
    snprintf(kid, sizeof kid, "%s?versionId=%s#k", tu_str(vec, "three_id/did"), tu_str(vec, "three_id/anchor1"));
    ck_assert_msg(cer_did3_resolve(&d, kid, store, &chk) == 0, "%s", cer_errmsg());
    ck_assert_uint_eq(d.nkeys, 1);
    ck_assert_int_eq(d.updated, (int64_t)tu_get(vec, "three_id/t1")->valuedouble);
    ck_assert_int_eq(d.next_update, (int64_t)tu_get(vec, "three_id/t2")->valuedouble);
}
END_TEST

/* A node's fetch: the 3ID document from "the network" (the vectors'
 * blocks, tip anchor2), or a failure. */
static int fetches;
static int fetch_3id_doc(void *arg, const cer_streamref *id)
{
    cer_cid tip;

    fetches++;
    ck_assert_int_eq(cer_cid_parse(&tip, tu_str(vec, "three_id/anchor2")), 0);
    return cer_node_learn_tip(arg, id, &tip) < 0 ? -EIO : 0;
}

static int fetch_fails(void *arg, const cer_streamref *id)
{
    (void)arg;
    (void)id;
    fetches++;
    return cer_err(-ETIMEDOUT, "sync: no answer to QUERY");
}

static cer_node *node_with_blocks(char *dir)
{
    /* local: its anchors are on eip155:1337 */
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC, .network = "local"};
    cer_node *node;
    const cJSON *it;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_msg(cer_node_open(&node, &o) == 0, "%s", cer_errmsg());
    cJSON_ArrayForEach(it, tu_get(vec, "blocks")) {
        cer_cid cid;
        size_t n;
        uint8_t *b = tu_unhex(it->valuestring, &n);
        ck_assert_int_eq(cer_cid_parse(&cid, it->string), 0);
        ck_assert_int_eq(cer_store_put(cer_node_store(node), &cid, b, n), 0);
        free(b);
    }
    return node;
}

static int learn_case(cer_node *node, const char *name)
{
    cer_streamref id;

    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(named(name), "stream_id")), 0);
    cer_errclear();
    return cer_node_learn_tip(node, &id, &id.genesis);
}

/* The CAR of a document signed as a 3ID: the 3ID document's tip is its
 * first root, and a node that has neither imports both. */
static void exported_3id_first(cer_node *node)
{
    char d[] = "/tmp/cfs-did3-XXXXXX", root[CER_CID_STR_MAX];
    cer_node_opts o = {.state_dir = d, .store_flags = CER_STORE_NOSYNC, .network = "local"};
    cer_buf car = CER_BUF_INIT;
    cer_streamref id;
    cer_node *fresh;
    cer_car c;

    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(named("latest-no-version"), "stream_id")), 0);
    ck_assert_msg(cer_node_export_car(node, &id, &car) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_car_read(&c, car.data, car.len), 0);
    ck_assert_uint_eq(c.nroots, 2);
    cer_cid_to_string(root, sizeof root, &c.roots[0]);
    ck_assert_str_eq(root, tu_str(vec, "three_id/anchor2"));
    cer_car_free(&c);
    ck_assert_ptr_nonnull(mkdtemp(d));
    ck_assert_int_eq(cer_node_open(&fresh, &o), 0);
    ck_assert_msg(cer_node_import_car(fresh, car.data, car.len, NULL, NULL) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_controls(fresh, &id, NULL), 0);  /* loaded (not ours) */
    cer_node_close(fresh);
    tu_rm_tree(d);
    cer_buf_free(&car);
}

/* A document signed as a 3ID whose document the node does not have: with
 * no way to the network the kid's version alone (none: refused); with
 * one, the 3ID document is fetched once, then known; a fetch that fails
 * refuses the commit and says why. */
START_TEST(node_fetches_3id)
{
    char d1[] = "/tmp/cfs-did3-XXXXXX", d2[] = "/tmp/cfs-did3-XXXXXX";
    cer_node *node = node_with_blocks(d1), *other = node_with_blocks(d2);
    cer_streamref three;

    fetches = 0;
    ck_assert_int_lt(learn_case(node, "latest-no-version"), 0);
    ck_assert_msg(strstr(cer_errmsg(), "not known here"), "%s", cer_errmsg());
    cer_node_set_fetch(node, fetch_3id_doc, node);
    ck_assert_msg(learn_case(node, "latest-no-version") == 1, "%s", cer_errmsg());
    ck_assert_int_eq(fetches, 1);
    ck_assert_int_eq(cer_streamref_parse(&three, tu_str(vec, "three_id/stream_id")), 0);
    ck_assert_int_eq(cer_node_controls(node, &three, NULL) >= 0, 1);  /* the node has it now */
    ck_assert_msg(learn_case(node, "v2-now") == 1, "%s", cer_errmsg());
    ck_assert_int_eq(fetches, 1);
    exported_3id_first(node);
    cer_node_set_fetch(other, fetch_fails, NULL);
    ck_assert_int_lt(learn_case(other, "v2-now"), 0);
    ck_assert_msg(strstr(cer_errmsg(), "cannot be fetched: sync: no answer"), "%s", cer_errmsg());
    ck_assert_int_eq(fetches, 2);
    cer_node_close(node);
    cer_node_close(other);
    tu_rm_tree(d1);
    tu_rm_tree(d2);
}
END_TEST

static Suite *did3_suite(void)
{
    Suite *s = suite_create("did3");
    TCase *tc = tcase_create("did3");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, js_verdicts);
    tcase_add_test(tc, reasons);
    tcase_add_test(tc, latest_unknown);
    tcase_add_test(tc, kid_forms);
    tcase_add_test(tc, node_fetches_3id);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(did3_suite)
