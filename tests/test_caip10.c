/*
 * test_caip10.c — Caip10Link (core/caip10.c through cer_state_load):
 * js-ceramic 2.44's own commits and its handler's verdict on each
 * (tests/vectors/js-caip10.json, from gen/caip10.mjs): accepted updates
 * give js's content (the linked DID) and metadata, rejected ones fail to
 * load; an ERC-1271 proof, which is refused as unverified; a proof
 * against the last anchor's time.
 */
#include "testutil.h"
#include "caip10.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put_block(cer_store *store, const cJSON *b, cer_cid *cid)
{
    size_t len;
    uint8_t *bytes = tu_unhex(tu_str(b, "hex"), &len);

    ck_assert_int_eq(cer_cid_parse(cid, tu_str(b, "cid")), 0);
    ck_assert_int_eq(cer_store_put(store, cid, bytes, len), 0);
    free(bytes);
}

/* Load the stream at tip and compare with js's verdict js. */
static void check_load(cer_store *store, const cer_streamref *id, const cer_cid *tip, const cJSON *js,
                       const char *what)
{
    cer_state *st = NULL;
    int rc = cer_state_load(&st, store, id, tip);

    if (!cJSON_IsTrue(tu_get(js, "ok"))) {
        ck_assert_msg(rc < 0, "%s: js rejects it (%s), loaded", what, tu_str(js, "error"));
        /* the state stops before the rejected commit */
        ck_assert(!st || !cer_cid_equal(cer_state_tip(st), tip));
        cer_state_free(st);
        return;
    }
    ck_assert_msg(rc == 0, "%s: js accepts it, load failed: %s", what, cer_errmsg());
    ck_assert_msg(cer_json_equal(st->content, tu_get(js, "content")), "%s: content", what);
    ck_assert_msg(cer_json_equal(st->metadata, tu_get(js, "metadata")), "%s: metadata", what);
    cer_state_free(st);
}

START_TEST(js_links)
{
    cJSON *v = tu_load_json("js-caip10.json");
    const cJSON *s, *u;
    cer_store *store;
    int accepted = 0, rejected = 0;

    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    cJSON_ArrayForEach(s, tu_get(v, "streams")) {
        cer_streamref id;
        cer_cid g, c;

        ck_assert_int_eq(cer_streamref_parse(&id, tu_str(s, "stream_id")), 0);
        ck_assert_int_eq(id.type, CER_STREAM_CAIP10_LINK);
        put_block(store, tu_get(s, "genesis"), &g);
        check_load(store, &id, &g, tu_get(s, "genesis/js"), tu_str(s, "name"));
        cJSON_ArrayForEach(u, tu_get(s, "updates")) {
            put_block(store, u, &c);
            check_load(store, &id, &c, tu_get(u, "js"), tu_str(u, "what"));
            if (cJSON_IsTrue(tu_get(u, "js/ok")))
                accepted++;
            else
                rejected++;
        }
    }
    ck_assert_int_eq(accepted, 8);
    ck_assert_int_eq(rejected, 5);
    cer_store_close(store);
    cJSON_Delete(v);
}
END_TEST

/* A commit of v's first stream whose proof is the first update's with
 * key set to value; returns its CID after putting it in store. */
static cer_cid altered(cer_store *store, const cJSON *v, const char *key, cJSON *value)
{
    const cJSON *u = tu_get(v, "streams/0/updates/0");
    size_t len;
    uint8_t *bytes = tu_unhex(tu_str(u, "hex"), &len);
    cer_buf out = CER_BUF_INIT;
    cJSON *commit = NULL;
    cer_cid cid;

    ck_assert_int_eq(cer_dagcbor_decode(&commit, bytes, len), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(commit, "data"), key, value);
    ck_assert_int_eq(cer_dagcbor_encode(&out, commit, CER_DAGJSON), 0);
    ck_assert_int_eq(cer_cid_of_block(&cid, 0x71, out.data, out.len), 0);
    ck_assert_int_eq(cer_store_put(store, &cid, out.data, out.len), 0);
    cer_buf_free(&out);
    cJSON_Delete(commit);
    free(bytes);
    return cid;
}

START_TEST(refused_proofs)
{
    cJSON *v = tu_load_json("js-caip10.json");
    const cJSON *s = tu_get(v, "streams/0");
    cer_store *store;
    cer_streamref id;
    cer_state *st = NULL;
    cer_cid g, c;

    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(s, "stream_id")), 0);
    put_block(store, tu_get(s, "genesis"), &g);
    /* the untouched proof loads: the re-encoding is faithful */
    c = altered(store, v, "version", cJSON_CreateNumber(2));
    ck_assert_msg(cer_state_load(&st, store, &id, &c) == 0, "%s", cer_errmsg());
    ck_assert_str_eq(st->content->valuestring, tu_str(s, "updates/0/js/content"));
    cer_state_free(st);
    /* a contract account's proof needs the chain: refused, not trusted */
    c = altered(store, v, "type", cJSON_CreateString("erc1271"));
    ck_assert_int_eq(cer_state_load(&st, store, &id, &c), -ENOTSUP);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "ERC-1271"));
    ck_assert(cer_cid_equal(cer_state_tip(st), &g));  /* the genesis stands */
    cer_state_free(st);
    /* another chain's proof is not verified here */
    c = altered(store, v, "account", cJSON_CreateString("cosmos:cosmoshub-3:cosmos1abc"));
    ck_assert_int_eq(cer_state_load(&st, store, &id, &c), -ENOTSUP);
    cer_state_free(st);
    /* not a signature */
    c = altered(store, v, "signature", cJSON_CreateString("0x1234"));
    ck_assert_int_eq(cer_state_load(&st, store, &id, &c), -EKEYREJECTED);
    cer_state_free(st);
    c = altered(store, v, "account", cJSON_CreateString("no account"));
    ck_assert_int_eq(cer_state_load(&st, store, &id, &c), -EINVAL);
    cer_state_free(st);
    cer_store_close(store);
    cJSON_Delete(v);
}
END_TEST

/* Anchored: a proof older than the last anchor's time is refused, one at
 * or after it accepted (the handler's anchorTimestampFromState branch). */
START_TEST(anchored_time)
{
    cJSON *v = tu_load_json("js-caip10.json");
    const cJSON *s = tu_get(v, "streams/0"), *u = tu_get(s, "updates/1");
    cJSON *commit = NULL, *content, *meta;
    cer_store *store;
    cer_streamref id;
    cer_state *st = NULL;
    cer_cid g, c;
    uint8_t *bytes;
    size_t len;

    ck_assert_str_eq(tu_str(u, "what"), "relink DID2 later");  /* timestamp T + 100 */
    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(s, "stream_id")), 0);
    put_block(store, tu_get(s, "genesis"), &g);
    put_block(store, tu_get(s, "updates/0"), &c);
    ck_assert_int_eq(cer_state_load(&st, store, &id, &c), 0);
    bytes = tu_unhex(tu_str(u, "hex"), &len);
    ck_assert_int_eq(cer_dagcbor_decode(&commit, bytes, len), 0);
    st->anchor_status = CER_ANCHOR_ANCHORED;
    st->log[st->log_len - 1].timestamp = 1700000101;
    ck_assert_int_eq(cer_caip10_update(&content, &meta, st, cJSON_GetObjectItem(commit, "data")), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "too old"));
    ck_assert_ptr_null(content);
    st->log[st->log_len - 1].timestamp = 1700000100;
    ck_assert_int_eq(cer_caip10_update(&content, &meta, st, cJSON_GetObjectItem(commit, "data")), 0);
    ck_assert(cer_json_equal(content, tu_get(u, "js/content")));
    ck_assert(cer_json_equal(meta, tu_get(u, "js/metadata")));
    cJSON_Delete(content);
    cJSON_Delete(meta);
    cJSON_Delete(commit);
    free(bytes);
    cer_state_free(st);
    cer_store_close(store);
    cJSON_Delete(v);
}
END_TEST

/* The CID string of a dag-json link {"/": cid} at key of o. */
static const char *link_str(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tu_get(o, key), "/"));

    ck_assert_ptr_nonnull(s);
    return s;
}

/* Made here for js's key: the genesis and the link proofs of js's first
 * stream, byte for byte (RFC 6979 signatures, as ethers makes them). */
START_TEST(made_as_js)
{
    static const char *const same[] = {"link DID1", "relink DID2 later", "clear"};
    cJSON *v = tu_load_json("js-caip10.json");
    const cJSON *s = tu_get(v, "streams/0"), *u;
    size_t n, made = 0;
    uint8_t *secret = tu_unhex(tu_str(v, "keys/0/secret") + 2, &n);
    cer_buf b = CER_BUF_INIT;
    cer_cid cid;
    char cs[CER_CID_STR_MAX];

    ck_assert_uint_eq(n, 32);
    ck_assert_int_eq(cer_caip10_make_genesis(&b, &cid, secret, 1), 0);
    cer_cid_to_string(cs, sizeof cs, &cid);
    ck_assert_str_eq(cs, tu_str(s, "genesis/cid"));
    cJSON_ArrayForEach(u, tu_get(s, "updates")) {
        size_t len;
        uint8_t *bytes;
        cJSON *commit = NULL;
        const char *msg, *did, *end;
        char didbuf[256] = "";
        cer_cid id, prev;

        for (n = 0; n < sizeof same / sizeof same[0] && strcmp(same[n], tu_str(u, "what")) != 0; n++)
            ;
        if (n == sizeof same / sizeof same[0])
            continue;
        bytes = tu_unhex(tu_str(u, "hex"), &len);
        ck_assert_int_eq(cer_dagcbor_decode(&commit, bytes, len), 0);
        ck_assert_int_eq(cer_cid_parse(&id, link_str(commit, "id")), 0);
        ck_assert_int_eq(cer_cid_parse(&prev, link_str(commit, "prev")), 0);
        msg = tu_str(commit, "data/message");
        did = strstr(msg, "\n\n") + 2;
        end = strstr(did, " \nTimestamp: ");
        ck_assert_ptr_nonnull(end);
        memcpy(didbuf, did, (size_t)(end - did));
        ck_assert_int_eq(cer_caip10_make_link(&b, &cid, &id, &prev, secret, 1, didbuf,
                                              (int64_t)cJSON_GetNumberValue(tu_get(commit, "data/timestamp"))),
                         0);
        ck_assert_uint_eq(b.len, len);
        ck_assert_msg(memcmp(b.data, bytes, len) == 0, "%s: not js's bytes", tu_str(u, "what"));
        made++;
        cJSON_Delete(commit);
        free(bytes);
    }
    ck_assert_uint_eq(made, 3);
    /* not a DID: refused */
    ck_assert_int_eq(cer_caip10_make_link(&b, &cid, &cid, &cid, secret, 1, "did:key:a b", 1), -EINVAL);
    cer_buf_free(&b);
    free(secret);
    cJSON_Delete(v);
}
END_TEST

static Suite *caip10_suite(void)
{
    Suite *s = suite_create("caip10");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, js_links);
    tcase_add_test(tc, refused_proofs);
    tcase_add_test(tc, anchored_time);
    tcase_add_test(tc, made_as_js);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(caip10_suite)
