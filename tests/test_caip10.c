/*
 * test_caip10.c — Caip10Link (core/caip10.c through cer_state_load):
 * js-ceramic 2.44's own commits and its handler's verdict on each
 * (tests/vectors/js-caip10.json, from gen/caip10.mjs): accepted updates
 * give js's content (the linked DID) and metadata, rejected ones fail to
 * load; an ERC-1271 proof, refused as unverified without a chain and,
 * with CERAMICFS_ETH_RPC (tests/anchor_test.sh), checked by a contract
 * deployed there; a proof against the last anchor's time.
 */
#include "testutil.h"
#include "caip10.h"
#include "eth.h"
#include "keccak.h"

#include <errno.h>
#include <stdio.h>
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
    ck_assert_int_eq(cer_caip10_update(&content, &meta, st, cJSON_GetObjectItem(commit, "data"), NULL), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "too old"));
    ck_assert_ptr_null(content);
    st->log[st->log_len - 1].timestamp = 1700000100;
    ck_assert_int_eq(cer_caip10_update(&content, &meta, st, cJSON_GetObjectItem(commit, "data"), NULL), 0);
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

/* ---- ERC-1271 on a real chain (CERAMICFS_ETH_RPC) ---- */

/* A contract whose isValidSignature(bytes message, bytes signature)
 * returns the legacy magic value 0x20c13b0b when the signature is the 32
 * bytes keccak256(message), else 0 (a "signature" that anyone could make,
 * but one bound to the message: what the test needs to tell a proof the
 * contract takes from a forged one). Written by hand, as this Solidity:
 *
 *   contract HashSigner {
 *       fallback(bytes calldata) external returns (bytes memory) {
 *           (bytes memory m, bytes memory s) = abi.decode(msg.data[4:], (bytes, bytes));
 *           bool ok = s.length == 32 && bytes32(s) == keccak256(m);
 *           return abi.encode(ok ? bytes4(0x20c13b0b) : bytes4(0));
 *       }
 *   }
 *
 * runtime (stack in brackets):
 *   600435 600401      p = 4 + offset(m)                  [p]
 *   8035 90 602001     len(m), p + 32                     [p+32 len]
 *   81 90 6000 37      calldatacopy(0, p + 32, len)       [len]
 *   6000 20            keccak256(mem[0..len])             [h]
 *   602435 600401      q = 4 + offset(s)                  [q h]
 *   8035 602014        len(s) == 32                       [e q h]
 *   90 60200135        the first word of s                [w e h]
 *   82 14 16           w == h && e                        [ok h]
 *   6320c13b0b 60e01b 02 600052 60206000f3   return ok ? magic << 224 : 0
 * deployed by an init code that copies it: 60LL 80 600b 6000 39 6000 f3. */
#define HASHSIGNER_RUNTIME "6004356004018035906020018190600037600020602435600401803560201490602001358214166320c13b0b60e01b0260005260206000f3"

static cJSON *rpc(cer_eth *e, const char *method, const char *params)
{
    cJSON *r = NULL;

    ck_assert_msg(cer_eth_call(e, method, params, &r) == 0, "%s: %s", method, cer_errmsg());
    return r;
}

/* Deploy the contract with the chain's first (unlocked) account; its
 * address in addr. */
static void deploy_hashsigner(cer_eth *e, char addr[43])
{
    char params[512];
    cJSON *acc = rpc(e, "eth_accounts", "[]"), *tx, *rcpt;

    ck_assert(cJSON_IsString(cJSON_GetArrayItem(acc, 0)));
    snprintf(params, sizeof params, "[{\"from\":\"%s\",\"gas\":\"0x100000\",\"data\":\"0x60%02zx80600b6000396000f3%s\"}]",
             cJSON_GetArrayItem(acc, 0)->valuestring, strlen(HASHSIGNER_RUNTIME) / 2, HASHSIGNER_RUNTIME);
    tx = rpc(e, "eth_sendTransaction", params);
    snprintf(params, sizeof params, "[\"%s\"]", tx->valuestring);
    rcpt = rpc(e, "eth_getTransactionReceipt", params);  /* instamine: mined already */
    ck_assert_str_eq(tu_str(rcpt, "status"), "0x1");
    snprintf(addr, 43, "%s", tu_str(rcpt, "contractAddress"));
    cJSON_Delete(rcpt);
    cJSON_Delete(tx);
    cJSON_Delete(acc);
}

/* Put v (dag-json convention; consumed) as a DAG-CBOR block. */
static cer_cid put_json(cer_store *store, cJSON *v)
{
    cer_buf out = CER_BUF_INIT;
    cer_cid cid;

    ck_assert_int_eq(cer_dagcbor_encode(&out, v, CER_DAGJSON), 0);
    ck_assert_int_eq(cer_cid_of_block(&cid, 0x71, out.data, out.len), 0);
    ck_assert_int_eq(cer_store_put(store, &cid, out.data, out.len), 0);
    cer_buf_free(&out);
    cJSON_Delete(v);
    return cid;
}

/* The genesis of account's link. */
static cer_streamref link_genesis(cer_store *store, const char *account, const char *chain)
{
    char text[512];
    cer_streamref id = {.type = CER_STREAM_CAIP10_LINK};
    cJSON *g;

    snprintf(text, sizeof text, "{\"header\":{\"controllers\":[\"%s\"],\"family\":\"caip10-%s\"}}", account, chain);
    ck_assert_int_eq(cer_json_parse(&g, text, strlen(text), 0), 0);
    id.genesis = put_json(store, g);
    return id;
}

/* An update after prev linking did with an erc1271 proof for account,
 * its signature keccak256(the message of signed_did) as the contract wants. */
static cer_cid link_update(cer_store *store, const cer_streamref *id, const cer_cid *prev, const char *account,
                           const char *did, const char *signed_did)
{
    char msg[256], sigmsg[256], sig[67], g[CER_CID_STR_MAX], pv[CER_CID_STR_MAX];
    uint8_t h[32];
    cJSON *u = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(u, "data");

    snprintf(msg, sizeof msg, "Link this account to your identity\n\n%s \nTimestamp: 1700000000", did);
    snprintf(sigmsg, sizeof sigmsg, "Link this account to your identity\n\n%s \nTimestamp: 1700000000", signed_did);
    cer_keccak256(h, (const uint8_t *)sigmsg, strlen(sigmsg));
    cer_eth_hex(sig, h, 32);
    cJSON_AddNumberToObject(d, "version", 2);
    cJSON_AddStringToObject(d, "type", "erc1271");
    cJSON_AddStringToObject(d, "message", msg);
    cJSON_AddStringToObject(d, "signature", sig);
    cJSON_AddStringToObject(d, "account", account);
    cJSON_AddNumberToObject(d, "timestamp", 1700000000);
    cer_cid_to_string(g, sizeof g, &id->genesis);
    cer_cid_to_string(pv, sizeof pv, prev);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(u, "id"), "/", g);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(u, "prev"), "/", pv);
    return put_json(store, u);
}

/* A contract account's link proof is checked with an eth_call of its
 * isValidSignature on the node's --eth-rpc: the proof it takes links the
 * DID, one whose message it did not sign is refused; with no RPC, or an
 * RPC on another chain, the proof is refused as unverified (as js refuses
 * one on a chain it has no provider for). */
START_TEST(erc1271_real_chain)
{
    const char *url = getenv("CERAMICFS_ETH_RPC"), *did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    char dir[] = "/tmp/test_caip10_XXXXXX", addr[43], acct[80], other[80];
    cer_eth e = {.url = url, .timeout = 5};
    cer_anchor_opts ao = {.eth_rpc = url, .timeout = 5};
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    cer_streamref id, id1;
    cer_state *st = NULL;
    cer_cid u1, u2, w1;
    cer_node *node;
    uint8_t h[32];

    ck_assert_ptr_nonnull(url);
    /* the legacy interface's magic value is its selector */
    cer_keccak256(h, (const uint8_t *)"isValidSignature(bytes,bytes)", 29);
    ck_assert_uint_eq((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3], CER_ERC1271_MAGIC);
    deploy_hashsigner(&e, addr);
    /* the call itself: the message's keccak256 is the signature it takes */
    cer_keccak256(h, (const uint8_t *)"hello", 5);
    ck_assert_int_eq(cer_eth_erc1271(&e, addr, (const uint8_t *)"hello", 5, h, 32), 1);
    h[31] ^= 1;
    ck_assert_int_eq(cer_eth_erc1271(&e, addr, (const uint8_t *)"hello", 5, h, 32), 0);
    ck_assert_int_eq(cer_eth_erc1271(&e, "0x1234", (const uint8_t *)"hello", 5, h, 32), -EINVAL);

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_node_open(&node, &o), 0);
    snprintf(acct, sizeof acct, "%s@eip155:1337", addr);
    id = link_genesis(cer_node_store(node), acct, "eip155:1337");
    u1 = link_update(cer_node_store(node), &id, &id.genesis, acct, did, did);
    /* no RPC: refused as unverified, the genesis stands */
    ck_assert_int_lt(cer_node_learn_tip(node, &id, &u1), 0);
    ck_assert_msg(strstr(cer_errmsg(), "unverified") && strstr(cer_errmsg(), "--eth-rpc"), "%s", cer_errmsg());
    /* with the RPC: linked */
    ck_assert_int_eq(cer_node_set_anchor_check(node, &ao), 0);
    ck_assert_msg(cer_node_learn_tip(node, &id, &u1) >= 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_str_eq(st->content->valuestring, did);
    cer_state_free(st);
    /* forged: another DID in the message, the old signature */
    u2 = link_update(cer_node_store(node), &id, &u1, acct, "did:key:z6MkforgedforgedforgedforgedforgedforgedforgedAA", did);
    ck_assert_int_eq(cer_node_learn_tip(node, &id, &u2), -EKEYREJECTED);
    ck_assert_msg(strstr(cer_errmsg(), "isValidSignature"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
    ck_assert_str_eq(st->content->valuestring, did);
    cer_state_free(st);
    /* the same contract named on another chain than the RPC's */
    snprintf(other, sizeof other, "%s@eip155:1", addr);
    id1 = link_genesis(cer_node_store(node), other, "eip155:1");
    w1 = link_update(cer_node_store(node), &id1, &id1.genesis, other, did, did);
    ck_assert_int_lt(cer_node_learn_tip(node, &id1, &w1), 0);
    ck_assert_msg(strstr(cer_errmsg(), "unverified") && strstr(cer_errmsg(), "eip155:1337"), "%s", cer_errmsg());
    cer_node_close(node);
    tu_rm_tree(dir);
    fprintf(stderr, "test_caip10: erc1271_real_chain passed against %s\n", url);
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
    if (getenv("CERAMICFS_ETH_RPC"))
        tcase_add_test(tc, erc1271_real_chain);
    else
        fprintf(stderr, "##########\n## test_caip10: SKIPPED erc1271_real_chain (CERAMICFS_ETH_RPC not set);"
                        " tests/anchor_test.sh runs it against a local chain\n##########\n");
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(caip10_suite)
