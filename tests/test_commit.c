/*
 * test_commit.c — TileDocument genesis/update commits, anchor commits and
 * proofs, byte for byte against the real js libraries (js-vectors.json)
 * and the worked example and N1–N4 of tests/vectors/README.md.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DID "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"
static const char *SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void seed_key(cer_key *key)
{
    size_t n;
    uint8_t *seed = tu_unhex(SEED, &n);

    ck_assert_int_eq(cer_key_from_seed(key, seed), 0);
    free(seed);
}

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_ptr_nonnull(j);
    return j;
}

static void assert_cid(const cer_cid *cid, const char *want)
{
    char s[CER_CID_STR_MAX];

    ck_assert_int_ge(cer_cid_to_string(s, sizeof s, cid), 0);
    ck_assert_str_eq(s, want);
}

static void assert_streamid(const cer_cid *genesis, const char *want)
{
    cer_streamref r = {.type = CER_STREAM_TILE, .genesis = *genesis};
    char s[CER_STREAMID_STR_MAX];

    ck_assert_int_ge(cer_streamref_to_string(s, sizeof s, &r), 0);
    ck_assert_str_eq(s, want);
}

START_TEST(js_signed_genesis)
{
    cJSON *v = tu_load_json("js-vectors.json"), *hdr = json("{\"controllers\":[\"" DID "\"],\"family\":\"test\"}");
    cJSON *content = json("{\"hello\":\"world\"}");
    cer_key key;
    cer_commit_blocks c;

    seed_key(&key);
    ck_assert_int_eq(cer_tile_genesis(&c, &key, hdr, content), 0);
    ck_assert(c.is_signed);
    tu_assert_hex(c.payload.bytes.data, c.payload.bytes.len, tu_str(v, "signed/genesis/payload_block_hex"));
    assert_cid(&c.payload.cid, tu_str(v, "signed/genesis/payload_cid"));
    tu_assert_hex(c.envelope.bytes.data, c.envelope.bytes.len, tu_str(v, "signed/genesis/dag_jose_block_hex"));
    assert_cid(cer_commit_cid(&c), tu_str(v, "signed/genesis/dag_jose_cid"));
    assert_streamid(cer_commit_cid(&c), tu_str(v, "signed/stream_id"));
    cer_commit_blocks_free(&c);
    cJSON_Delete(hdr);
    cJSON_Delete(content);
    cJSON_Delete(v);
}
END_TEST

START_TEST(js_unsigned_genesis)
{
    cJSON *v = tu_load_json("js-vectors.json"), *hdr = json("{\"controllers\":[\"" DID "\"],\"family\":\"test\"}");
    cer_commit_blocks c;

    ck_assert_int_eq(cer_tile_genesis(&c, NULL, hdr, NULL), 0);
    ck_assert(!c.is_signed);
    ck_assert_uint_eq(c.envelope.bytes.len, 0);
    tu_assert_hex(c.payload.bytes.data, c.payload.bytes.len,
                  tu_str(v, "unsigned_deterministic_genesis_no_data/block_hex"));
    assert_cid(cer_commit_cid(&c), tu_str(v, "unsigned_deterministic_genesis_no_data/cid"));
    assert_streamid(cer_commit_cid(&c), tu_str(v, "unsigned_deterministic_genesis_no_data/stream_id"));
    cer_commit_blocks_free(&c);
    cJSON_Delete(hdr);
    cJSON_Delete(v);
}
END_TEST

START_TEST(js_update)
{
    cJSON *v = tu_load_json("js-vectors.json");
    cJSON *patch = json("[{\"op\":\"replace\",\"path\":\"/hello\",\"value\":\"there\"}]");
    cer_key key;
    cer_cid g;
    cer_commit_blocks c;

    seed_key(&key);
    ck_assert_int_eq(cer_cid_parse(&g, tu_str(v, "signed/genesis/dag_jose_cid")), 0);
    ck_assert_int_eq(cer_tile_update(&c, &key, &g, &g, NULL, patch), 0);
    tu_assert_hex(c.payload.bytes.data, c.payload.bytes.len, tu_str(v, "signed/update/payload_block_hex"));
    tu_assert_hex(c.envelope.bytes.data, c.envelope.bytes.len, tu_str(v, "signed/update/dag_jose_block_hex"));
    assert_cid(cer_commit_cid(&c), tu_str(v, "signed/update/dag_jose_cid"));
    cer_commit_blocks_free(&c);
    cJSON_Delete(patch);
    cJSON_Delete(v);
}
END_TEST

/* The third commit of js-vectors.json's stream, made by a Node script
 * with the real libraries and pushed to js-ceramic
 * (captures/update3.json): {hello: there -> again} after the update. */
START_TEST(js_third_update)
{
    cJSON *v = tu_load_json("js-vectors.json"), *u3 = tu_load_json("captures/update3.json");
    cJSON *from = json("{\"hello\":\"there\"}"), *to = json("{\"hello\":\"again\"}"), *patch = NULL;
    cer_key key;
    cer_cid g, prev;
    cer_commit_blocks c;

    seed_key(&key);
    ck_assert_int_eq(cer_cid_parse(&g, tu_str(v, "signed/genesis/dag_jose_cid")), 0);
    ck_assert_int_eq(cer_cid_parse(&prev, tu_str(v, "signed/update/dag_jose_cid")), 0);
    assert_streamid(&g, tu_str(u3, "stream_id"));
    ck_assert_int_eq(cer_patch_diff(&patch, from, to), 0);
    ck_assert_int_eq(cer_tile_update(&c, &key, &g, &prev, NULL, patch), 0);
    tu_assert_hex(c.payload.bytes.data, c.payload.bytes.len, tu_str(u3, "payload_block_hex"));
    tu_assert_hex(c.envelope.bytes.data, c.envelope.bytes.len, tu_str(u3, "dag_jose_block_hex"));
    assert_cid(cer_commit_cid(&c), tu_str(u3, "cid"));
    cer_commit_blocks_free(&c);
    cer_key_wipe(&key);
    cJSON_Delete(patch);
    cJSON_Delete(from);
    cJSON_Delete(to);
    cJSON_Delete(u3);
    cJSON_Delete(v);
}
END_TEST

/* base64url (no padding) of bytes, for the JWS parts js prints */
static void assert_b64u(const uint8_t *p, size_t n, const char *want)
{
    char s[512];

    ck_assert_int_ge(cer_base_encode(s, sizeof s, CER_BASE64URL, p, n), 0);
    ck_assert_str_eq(s, want);
}

static void assert_ref(const cer_cid *genesis, const cer_cid *commit, const char *want)
{
    cer_streamref r = {.type = CER_STREAM_TILE, .genesis = *genesis, .is_commit = true, .commit = *commit};
    char s[CER_STREAMID_STR_MAX];

    ck_assert_int_ge(cer_streamref_to_string(s, sizeof s, &r), 0);
    ck_assert_str_eq(s, want);
}

/* One captured js-ceramic client run: the commit's CID, envelope (JWS
 * parts) and payload block (linkedBlock, bytes as an index->byte object) */
static void assert_captured_commit(const cJSON *commit, const cer_commit_blocks *c)
{
    const cJSON *jws = tu_get(commit, "value/jws"), *lb = tu_get(commit, "value/linkedBlock"), *b;
    size_t i = 0;

    assert_cid(cer_commit_cid(c), tu_str(commit, "cid"));
    assert_cid(&c->payload.cid, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tu_get(jws, "link"), "/")));
    assert_b64u(c->jws.payload, c->jws.payload_len, tu_str(jws, "payload"));
    assert_b64u(c->jws.sigs[0].protected_hdr, c->jws.sigs[0].protected_len, tu_str(jws, "signatures/0/protected"));
    assert_b64u(c->jws.sigs[0].signature, c->jws.sigs[0].signature_len, tu_str(jws, "signatures/0/signature"));
    ck_assert_int_eq(cJSON_GetArraySize(lb), (int)c->payload.bytes.len);
    cJSON_ArrayForEach(b, lb) {
        char idx[16];
        snprintf(idx, sizeof idx, "%zu", i);
        ck_assert_str_eq(b->string, idx);
        ck_assert_int_eq(b->valueint, c->payload.bytes.data[i]);
        i++;
    }
}

/* What a js-ceramic 2.44 / 3.4 client created and updated over HTTP
 * (the four client runs in captures/clients/):
 * a signed genesis with a random unique, then {hello: world -> there}.
 * The same seed, header and edit here give the same commits byte for
 * byte: CIDs, JWS, payload blocks, StreamID and CommitIDs. */
START_TEST(js_client_runs)
{
    static const char *const files[] = {"captures/clients/ceramic2-client.json", "captures/clients/ceramic3-client.json",
                                        "captures/clients/final-client.json", "captures/clients/final-client2.json"};
    cer_key key;

    seed_key(&key);
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        cJSON *v = tu_load_json(files[f]), *patch = NULL;
        const cJSON *commits = tu_get(v, "commits"), *ids = tu_get(v, "loaded/allCommitIds");
        cer_commit_blocks g, u;

        ck_assert_str_eq(tu_str(v, "did"), key.did);
        ck_assert_int_eq(cer_tile_genesis(&g, &key, tu_get(v, "afterCreate/metadata"), tu_get(v, "afterCreate/content")),
                         0);
        assert_cid(cer_commit_cid(&g), tu_str(v, "afterCreate/log/0/cid"));
        assert_streamid(cer_commit_cid(&g), tu_str(v, "streamId"));
        assert_ref(cer_commit_cid(&g), cer_commit_cid(&g), tu_str(v, "genesisCommitId"));
        assert_captured_commit(cJSON_GetArrayItem(commits, 0), &g);

        ck_assert_int_eq(cer_patch_diff(&patch, tu_get(v, "afterCreate/content"), tu_get(v, "afterUpdate/content")), 0);
        ck_assert_int_eq(cer_tile_update(&u, &key, cer_commit_cid(&g), cer_commit_cid(&g), NULL, patch), 0);
        assert_cid(cer_commit_cid(&u), tu_str(v, "afterUpdate/log/1/cid"));
        assert_cid(cer_commit_cid(&u), tu_str(v, "loaded/tip"));
        assert_ref(cer_commit_cid(&g), cer_commit_cid(&u), tu_str(v, "afterUpdate/commitId"));
        assert_captured_commit(cJSON_GetArrayItem(commits, 1), &u);
        ck_assert_int_eq(cJSON_GetArraySize(commits), 2);
        ck_assert_str_eq(cJSON_GetArrayItem(ids, 0)->valuestring, tu_str(v, "genesisCommitId"));
        ck_assert_str_eq(cJSON_GetArrayItem(ids, 1)->valuestring, tu_str(v, "afterUpdate/commitId"));

        cer_commit_blocks_free(&g);
        cer_commit_blocks_free(&u);
        cJSON_Delete(patch);
        cJSON_Delete(v);
    }
    cer_key_wipe(&key);
}
END_TEST

/* The worked example (a)–(c) of tests/vectors/README.md, JS-verified. */
START_TEST(protocol_worked_example)
{
    cJSON *ha = json("{\"controllers\":[\"" DID "\"],\"family\":\"example\"}");
    cJSON *hb = json("{\"unique\":\"AAECAwQFBgcICQoL\"}");  /* controllers defaulted from the key */
    cJSON *content = json("{\"hello\":\"world\"}");
    cJSON *patch = json("[{\"op\":\"add\",\"path\":\"/foo\",\"value\":\"bar\"}]");
    cer_key key;
    cer_commit_blocks a, b, c;

    seed_key(&key);
    ck_assert_int_eq(cer_tile_genesis(&a, &key, ha, NULL), 0);
    ck_assert_uint_eq(a.payload.bytes.len, 95);
    assert_cid(cer_commit_cid(&a), "bafyreiar55pr6y3ow53g6c5fdxu5evsf6cb2dhirdw3772dl65tyocjc7a");
    assert_streamid(cer_commit_cid(&a), "k2t6wyfsu4pfx4u0h1z53z130eewgie65v3gq1qzng93hom50zbrol2cw8odmg");

    ck_assert_int_eq(cer_tile_genesis(&b, &key, hb, content), 0);
    ck_assert_uint_eq(b.payload.bytes.len, 122);
    ck_assert_uint_eq(b.envelope.bytes.len, 277);
    assert_cid(&b.payload.cid, "bafyreic6r4ou37w3mpue55dxzwvp5rpa3ogzrjneqf7vbav4uvhqcbw4c4");
    assert_cid(cer_commit_cid(&b), "bagcqceraldpf5rsjb3kfkjc6qh73vfy56t4fmqffmlb2xozz6fzxn4jhs2ba");
    assert_streamid(cer_commit_cid(&b), "kjzl6cwe1jw147hmchz761yq1o2u6iqhombshw19n8j3a68en0vwbbp9nbtgbcy");

    ck_assert_int_eq(cer_tile_update(&c, &key, cer_commit_cid(&b), cer_commit_cid(&b), NULL, patch), 0);
    ck_assert_uint_eq(c.payload.bytes.len, 135);
    assert_cid(&c.payload.cid, "bafyreial5vkrdve27keioyo6wly5v7pwkfuleg52lmouh6vyvx6skix77e");
    assert_cid(cer_commit_cid(&c), "bagcqcerarfwll5cty27gz4igr7wbl2ukdt2ij7hfblex2tzsxcii6vowuusq");
    {
        cer_streamref r = {.type = 0, .genesis = *cer_commit_cid(&b), .is_commit = true,
                           .commit = *cer_commit_cid(&c)};
        char s[CER_STREAMID_STR_MAX];
        cer_streamref_to_string(s, sizeof s, &r);
        ck_assert_str_eq(s, "k1dpgaqe3i64kjqm002aa4pmr6s30mc5iba4uazsqa0m51tt3ghuypklgu7x8ur1q3uzzwhzz2vn3f8"
                            "244xs0x89jpc1tl9brn9gms51k3si649x6arndu9lx");
    }
    cer_commit_blocks_free(&a);
    cer_commit_blocks_free(&b);
    cer_commit_blocks_free(&c);
    cJSON_Delete(ha);
    cJSON_Delete(hb);
    cJSON_Delete(content);
    cJSON_Delete(patch);
}
END_TEST

/* Appendix A N4: in-memory style proof and anchor commit on update (c). */
static const char *N4_PROOF =
    "a4 64 72 6f 6f 74 d8 2a 58 26 00 01 85 01 12 20 89 6c b5 f4 53 c6 be 6c f1 06 8f ec 15 ea 8a 1c f4 84 fc e5"
    "0a c9 7d 4f 32 b8 90 8f 55 d6 a5 25 66 74 78 48 61 73 68 d8 2a 58 26 00 01 93 01 1b 20 18 31 e1 e4 0b ab 31"
    "d0 0f 1a 67 41 d5 90 d0 ee 62 19 35 77 28 b4 12 dc 89 ee f4 39 7c f3 7b aa 66 74 78 54 79 70 65 6a 66 28 62"
    "79 74 65 73 33 32 29 67 63 68 61 69 6e 49 64 6e 69 6e 6d 65 6d 6f 72 79 3a 31 32 33 34 35";
static const char *N4_ANCHOR =
    "a4 62 69 64 d8 2a 58 26 00 01 85 01 12 20 58 de 5e c6 49 0e d4 55 24 5e 81 ff ba 97 1d f4 f8 56 40 a5 62 c3"
    "ab bb 39 f1 73 76 f1 27 96 82 64 70 61 74 68 60 64 70 72 65 76 d8 2a 58 26 00 01 85 01 12 20 89 6c b5 f4 53"
    "c6 be 6c f1 06 8f ec 15 ea 8a 1c f4 84 fc e5 0a c9 7d 4f 32 b8 90 8f 55 d6 a5 25 65 70 72 6f 6f 66 d8 2a 58"
    "25 00 01 71 12 20 f2 04 89 e0 57 82 6b f6 15 33 85 3f 99 6a 61 51 40 9f 20 eb 84 e0 18 cf f4 44 1c aa 1d 38"
    "cb 32";

START_TEST(anchor_proof_and_commit)
{
    cer_anchor_proof p = {0}, p2;
    cer_anchor_commit ac = {0}, ac2;
    cer_block pb, ab;
    cJSON *d;

    strcpy(p.chain_id, "inmemory:12345");
    strcpy(p.tx_type, "f(bytes32)");
    ck_assert_int_eq(cer_cid_parse(&p.root, "bagcqcerarfwll5cty27gz4igr7wbl2ukdt2ij7hfblex2tzsxcii6vowuusq"), 0);
    ck_assert_int_eq(cer_cid_parse(&p.tx_hash, "bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova"), 0);
    ck_assert_int_eq(cer_anchor_proof_encode(&pb, &p), 0);
    tu_assert_hex(pb.bytes.data, pb.bytes.len, N4_PROOF);
    assert_cid(&pb.cid, "bafyreihsase6av4cnp3bkm4fh6mwuykricpsb24e4amm75cedsvb2oglgi");

    ac.has_id = true;
    ck_assert_int_eq(cer_cid_parse(&ac.id, "bagcqceraldpf5rsjb3kfkjc6qh73vfy56t4fmqffmlb2xozz6fzxn4jhs2ba"), 0);
    ac.prev = p.root;
    ac.proof = pb.cid;
    ck_assert_int_eq(cer_anchor_commit_encode(&ab, &ac), 0);
    tu_assert_hex(ab.bytes.data, ab.bytes.len, N4_ANCHOR);
    assert_cid(&ab.cid, "bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4");

    /* and back */
    ck_assert_int_eq(cer_dagcbor_decode(&d, pb.bytes.data, pb.bytes.len), 0);
    ck_assert_int_eq(cer_anchor_proof_decode(&p2, d), 0);
    ck_assert_str_eq(p2.chain_id, "inmemory:12345");
    ck_assert_str_eq(p2.tx_type, "f(bytes32)");
    ck_assert(cer_cid_equal(&p2.root, &p.root) && cer_cid_equal(&p2.tx_hash, &p.tx_hash));
    ck_assert(!p2.has_block_number && !p2.has_block_timestamp);
    cJSON_Delete(d);
    ck_assert_int_eq(cer_dagcbor_decode(&d, ab.bytes.data, ab.bytes.len), 0);
    ck_assert_int_eq(cer_anchor_commit_decode(&ac2, d), 0);
    ck_assert(ac2.has_id && cer_cid_equal(&ac2.prev, &ac.prev) && cer_cid_equal(&ac2.proof, &pb.cid));
    ck_assert_str_eq(ac2.path, "");
    cJSON_Delete(d);
    cer_buf_free(&pb.bytes);
    cer_buf_free(&ab.bytes);
}
END_TEST

START_TEST(anchor_decode_rejects)
{
    static const char *bad_commits[] = {
        "[]",
        "{\"prev\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"}}",
        "{\"prev\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\","
        "\"proof\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"}}",
        "{\"prev\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},"
        "\"proof\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},\"path\":\"0/x\"}",
        "{\"prev\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},"
        "\"proof\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},\"data\":1}",
    };
    static const char *bad_proofs[] = {
        "{}",
        "{\"chainId\":\"eip155:1\",\"root\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"}}",
        "{\"chainId\":\"nocolon\",\"root\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},"
        "\"txHash\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"}}",
        "{\"chainId\":7,\"root\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},"
        "\"txHash\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"}}",
        "{\"chainId\":\"eip155:1\",\"root\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},"
        "\"txHash\":{\"/\":\"bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4\"},\"blockNumber\":-1}",
    };
    cer_anchor_commit ac;
    cer_anchor_proof p;

    for (size_t i = 0; i < sizeof bad_commits / sizeof *bad_commits; i++) {
        cJSON *j = json(bad_commits[i]);
        ck_assert_msg(cer_anchor_commit_decode(&ac, j) < 0, "accepted commit %zu", i);
        cJSON_Delete(j);
    }
    for (size_t i = 0; i < sizeof bad_proofs / sizeof *bad_proofs; i++) {
        cJSON *j = json(bad_proofs[i]);
        ck_assert_msg(cer_anchor_proof_decode(&p, j) < 0, "accepted proof %zu", i);
        cJSON_Delete(j);
    }
}
END_TEST

static int genesis_rc(const char *hdr_json, const char *content_json, bool with_key)
{
    cer_key key;
    cJSON *hdr = hdr_json ? json(hdr_json) : NULL, *content = content_json ? json(content_json) : NULL;
    cer_commit_blocks c;
    int rc;

    seed_key(&key);
    rc = cer_tile_genesis(&c, with_key ? &key : NULL, hdr, content);
    if (rc == 0)
        cer_commit_blocks_free(&c);
    cJSON_Delete(hdr);
    cJSON_Delete(content);
    return rc;
}

START_TEST(genesis_validation)
{
    ck_assert_int_eq(genesis_rc(NULL, "{\"a\":1}", true), 0);
    ck_assert_int_eq(genesis_rc("{\"controllers\":[\"" DID "\"]}", "{\"a\":1}", false), -EINVAL);
    ck_assert_int_eq(genesis_rc(NULL, NULL, false), -EINVAL);  /* no controller at all */
    ck_assert_int_eq(genesis_rc("{\"controllers\":[\"" DID "\",\"" DID "\"]}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"controllers\":[]}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"controllers\":[\"\"]}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"controllers\":[\"bob\"]}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"family\":1}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"tags\":[1]}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"schema\":\"notacommitid\"}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"schema\":\"kjzl6cwe1jw147hmchz761yq1o2u6iqhombshw19n8j3a68en0vwbbp9nbtgbcy\"}",
                                NULL, true), -EINVAL);  /* a StreamID, not a CommitID */
    ck_assert_int_eq(genesis_rc("{\"schema\":\"k3y52l7qbv1frxwipl4hp7e6jlu4f6u8upm2xv0irmedfkm5cnutmezzi3u7mytj4\"}",
                                NULL, true), 0);
    ck_assert_int_eq(genesis_rc("{\"forbidControllerChange\":false}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("{\"forbidControllerChange\":true}", NULL, true), 0);
    ck_assert_int_eq(genesis_rc("{\"color\":\"red\"}", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc("[]", NULL, true), -EINVAL);
    ck_assert_int_eq(genesis_rc(NULL, "{\"x\":1e400}", true), -EINVAL);  /* cJSON reads inf */
    ck_assert_str_ne(cer_errmsg(), "");
}
END_TEST

START_TEST(update_validation)
{
    cer_key key;
    cer_cid g;
    cer_commit_blocks c;
    cJSON *ok = json("[]"), *notarray = json("{}"), *badop = json("[{\"op\":1,\"path\":\"/a\"}]");
    cJSON *hdr_unique = json("{\"unique\":\"x\"}"), *hdr_ctrl = json("{\"controllers\":[\"" DID "\"]}");

    seed_key(&key);
    ck_assert_int_eq(cer_cid_parse(&g, "bagcqceraldpf5rsjb3kfkjc6qh73vfy56t4fmqffmlb2xozz6fzxn4jhs2ba"), 0);
    ck_assert_int_eq(cer_tile_update(&c, NULL, &g, &g, NULL, ok), -EINVAL);
    ck_assert_int_eq(cer_tile_update(&c, &key, &g, &g, NULL, notarray), -EINVAL);
    ck_assert_int_eq(cer_tile_update(&c, &key, &g, &g, NULL, badop), -EINVAL);
    /* every operation must be one RFC 6902 can apply: the op's name, its
     * members, its pointers */
    {
        static const char *const bad[] = {
            "[{\"op\":\"bogus\",\"path\":\"/a\"}]",
            "[{\"op\":\"add\",\"path\":\"/a\"}]",
            "[{\"op\":\"move\",\"path\":\"/a\"}]",
            "[{\"op\":\"remove\",\"path\":\"a\"}]",
            "[{\"op\":\"copy\",\"path\":\"/a\",\"from\":\"/b~2\"}]",
            "[{\"op\":\"remove\",\"path\":\"/a\"},7]",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            cJSON *p = json(bad[i]);
            ck_assert_msg(cer_tile_update(&c, &key, &g, &g, NULL, p) == -EINVAL, "accepted %s", bad[i]);
            ck_assert_msg(strncmp(cer_errmsg(), "update: patch op ", 17) == 0, "%s", cer_errmsg());
            cJSON_Delete(p);
        }
    }
    ck_assert_int_eq(cer_tile_update(&c, &key, &g, &g, hdr_unique, ok), -EINVAL);
    ck_assert_int_eq(cer_tile_update(&c, &key, &g, &g, hdr_ctrl, ok), 0);
    cer_commit_blocks_free(&c);
    cJSON_Delete(ok);
    cJSON_Delete(notarray);
    cJSON_Delete(badop);
    cJSON_Delete(hdr_unique);
    cJSON_Delete(hdr_ctrl);
}
END_TEST

START_TEST(unique_is_random_base64)
{
    char a[17], b[17];
    uint8_t raw[16];

    ck_assert_int_eq(cer_tile_unique(a), 0);
    ck_assert_int_eq(cer_tile_unique(b), 0);
    ck_assert_uint_eq(strlen(a), 16);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(cer_base_decode(raw, sizeof raw, CER_BASE64, a, 16), 12);
}
END_TEST

START_TEST(oversize_content_rejected)
{
    cer_key key;
    cer_commit_blocks c;
    char *big = malloc(CER_BLOCK_MAX + 100);
    cJSON *content = cJSON_CreateObject();

    memset(big, 'x', CER_BLOCK_MAX + 99);
    big[CER_BLOCK_MAX + 99] = 0;
    cJSON_AddStringToObject(content, "big", big);
    seed_key(&key);
    ck_assert_int_eq(cer_tile_genesis(&c, &key, NULL, content), -EFBIG);
    free(big);
    cJSON_Delete(content);
}
END_TEST

static Suite *commit_suite(void)
{
    Suite *s = suite_create("commit");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, js_signed_genesis);
    tcase_add_test(tc, js_unsigned_genesis);
    tcase_add_test(tc, js_update);
    tcase_add_test(tc, js_client_runs);
    tcase_add_test(tc, js_third_update);
    tcase_add_test(tc, protocol_worked_example);
    tcase_add_test(tc, anchor_proof_and_commit);
    tcase_add_test(tc, anchor_decode_rejects);
    tcase_add_test(tc, genesis_validation);
    tcase_add_test(tc, update_validation);
    tcase_add_test(tc, unique_is_random_base64);
    tcase_add_test(tc, oversize_content_rejected);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(commit_suite)
