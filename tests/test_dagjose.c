/*
 * test_dagjose.c — DAG-JOSE envelopes and JWS against the vectors of the
 * real js libraries (tests/vectors/js-vectors.json for EdDSA; js-keys.json
 * for ES256K, ES256K-R and ES256 with js's accept/refuse verdicts), plus
 * tampering and malformed envelopes.
 */
#include "testutil.h"
#include "dagjose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char *KID = "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"
                         "#z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd";

static void seed_key(cer_key *key)
{
    size_t n;
    uint8_t *seed = tu_unhex(SEED, &n);

    ck_assert_int_eq(cer_key_from_seed(key, seed), 0);
    free(seed);
}

static uint8_t *vec_block(const cJSON *v, const char *path, size_t *n)
{
    return tu_unhex(tu_str(v, path), n);
}

static void check_envelope(const char *which)
{
    cJSON *v = tu_load_json("js-vectors.json");
    char kid[CER_KID_MAX], *compact = NULL;
    const cJSON *c = tu_get(v, which);
    size_t n;
    uint8_t *block = vec_block(c, "dag_jose_block_hex", &n);
    cer_jws jws;
    cer_buf re = CER_BUF_INIT;
    cer_cid cid;
    char s[CER_CID_STR_MAX];

    ck_assert_int_eq(cer_dagjose_decode(&jws, block, n), 0);
    ck_assert(jws.has_link);
    cer_cid_to_string(s, sizeof s, &jws.link);
    ck_assert_str_eq(s, tu_str(c, "payload_cid"));
    ck_assert_uint_eq(jws.nsigs, 1);
    ck_assert_uint_eq(jws.sigs[0].protected_len, strlen(tu_str(c, "jws/protected_json")));
    ck_assert(memcmp(jws.sigs[0].protected_hdr, tu_str(c, "jws/protected_json"), jws.sigs[0].protected_len) == 0);
    tu_assert_hex(jws.sigs[0].signature, jws.sigs[0].signature_len, tu_str(c, "jws/signature_hex"));
    ck_assert_int_eq(cer_jws_verify(&jws, 0, kid, sizeof kid), 0);
    ck_assert_str_eq(kid, KID);
    ck_assert_int_eq(cer_jws_compact(&compact, &jws, 0), 0);
    ck_assert_str_eq(compact, tu_str(c, "jws/compact"));
    /* re-encoding gives the same bytes, hence the same CID */
    ck_assert_int_eq(cer_dagjose_encode(&re, &jws), 0);
    tu_assert_hex(re.data, re.len, tu_str(c, "dag_jose_block_hex"));
    cer_cid_of_block(&cid, CER_CODEC_DAG_JOSE, re.data, re.len);
    cer_cid_to_string(s, sizeof s, &cid);
    ck_assert_str_eq(s, tu_str(c, "dag_jose_cid"));
    free(compact);
    cer_buf_free(&re);
    cer_jws_free(&jws);
    free(block);
    cJSON_Delete(v);
}

START_TEST(js_genesis_envelope)
{
    check_envelope("signed/genesis");
}
END_TEST

START_TEST(js_update_envelope)
{
    check_envelope("signed/update");
}
END_TEST

/* Signing is deterministic (pure Ed25519): our envelope for the same payload
 * CID must be the js envelope byte for byte. */
static void check_sign(const char *payload_cid, const char *sig_b64u, const char *env_cid)
{
    cer_key key;
    cer_cid cid;
    cer_jws jws;
    cer_buf env = CER_BUF_INIT;
    char s[CER_CID_STR_MAX], *compact;

    seed_key(&key);
    ck_assert_int_eq(cer_cid_parse(&cid, payload_cid), 0);
    ck_assert_int_eq(cer_jws_sign(&jws, &key, &cid), 0);
    ck_assert_int_eq(cer_jws_compact(&compact, &jws, 0), 0);
    ck_assert_str_eq(strrchr(compact, '.') + 1, sig_b64u);
    ck_assert_int_eq(cer_dagjose_encode(&env, &jws), 0);
    cer_cid_of_block(&cid, CER_CODEC_DAG_JOSE, env.data, env.len);
    cer_cid_to_string(s, sizeof s, &cid);
    ck_assert_str_eq(s, env_cid);
    ck_assert_int_eq(cer_jws_verify(&jws, 0, NULL, 0), 0);
    free(compact);
    cer_buf_free(&env);
    cer_jws_free(&jws);
}

START_TEST(sign_matches_js)
{
    cJSON *v = tu_load_json("js-vectors.json");

    check_sign(tu_str(v, "signed/genesis/payload_cid"), tu_str(v, "signed/genesis/jws/signature_b64url"),
               tu_str(v, "signed/genesis/dag_jose_cid"));
    check_sign(tu_str(v, "signed/update/payload_cid"), tu_str(v, "signed/update/jws/signature_b64url"),
               tu_str(v, "signed/update/dag_jose_cid"));
    cJSON_Delete(v);
    /* the worked example (b) and (c) (tests/vectors/README.md) */
    check_sign("bafyreic6r4ou37w3mpue55dxzwvp5rpa3ogzrjneqf7vbav4uvhqcbw4c4",
               "y2_6Ctemce6GvfrAv4EczFdKXyDPmc5vBy1oNAYtXNVTPL-sCoTFWUcAhJdZA-bPSQVZeAkchUNmMkNfNMu0Dw",
               "bagcqceraldpf5rsjb3kfkjc6qh73vfy56t4fmqffmlb2xozz6fzxn4jhs2ba");
    check_sign("bafyreial5vkrdve27keioyo6wly5v7pwkfuleg52lmouh6vyvx6skix77e",
               "bM6kez49dTwpFgvTxQWfSYz-mB6kFYBGR1KVpSqaZe_Bdtm706mQ9c4Gm5pX5ESS0_SO2xpvXYMZkfHW_Y8nBw",
               "bagcqcerarfwll5cty27gz4igr7wbl2ukdt2ij7hfblex2tzsxcii6vowuusq");
}
END_TEST

START_TEST(protected_header_bytes)
{
    cer_buf b = CER_BUF_INIT;
    cJSON *v = tu_load_json("js-vectors.json");

    ck_assert_int_eq(cer_jws_protected_header(&b, "EdDSA", KID, NULL), 0);
    ck_assert_str_eq((char *)b.data, tu_str(v, "signed/genesis/jws/protected_json"));
    cer_buf_free(&b);
    cJSON_Delete(v);
}
END_TEST

/* Decode the js genesis envelope, apply a mutation, expect verification (or
 * decoding) to fail with want. */
static int verify_mutated(void (*mutate)(cer_jws *))
{
    cJSON *v = tu_load_json("js-vectors.json");
    size_t n;
    uint8_t *block = vec_block(v, "signed/genesis/dag_jose_block_hex", &n);
    cer_jws jws;
    int rc;

    ck_assert_int_eq(cer_dagjose_decode(&jws, block, n), 0);
    mutate(&jws);
    rc = cer_jws_verify(&jws, 0, NULL, 0);
    cer_jws_free(&jws);
    free(block);
    cJSON_Delete(v);
    return rc;
}

static void flip_sig(cer_jws *j) { j->sigs[0].signature[10] ^= 1; }
static void flip_payload(cer_jws *j) { j->payload[j->payload_len - 1] ^= 1; }
static void short_sig(cer_jws *j) { j->sigs[0].signature_len = 63; }

static void set_protected(cer_jws *j, const char *json)
{
    free(j->sigs[0].protected_hdr);
    j->sigs[0].protected_hdr = (uint8_t *)strdup(json);
    j->sigs[0].protected_len = strlen(json);
}
static void other_kid(cer_jws *j)
{
    set_protected(j, "{\"alg\":\"EdDSA\",\"kid\":\"did:key:z6MktvqCyLxTsXUH1tUZncNdVeEZ7hNh7npPRbUU27GTrYb8"
                     "#z6MktvqCyLxTsXUH1tUZncNdVeEZ7hNh7npPRbUU27GTrYb8\"}");
}
static void es256k(cer_jws *j)
{
    set_protected(j, "{\"alg\":\"ES256K\",\"kid\":\"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd\"}");
}
static void es384(cer_jws *j)
{
    set_protected(j, "{\"alg\":\"ES384\",\"kid\":\"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd\"}");
}
static void not_json(cer_jws *j) { set_protected(j, "{\"alg\":"); }
static void no_kid(cer_jws *j) { set_protected(j, "{\"alg\":\"EdDSA\"}"); }
static void bad_fragment(cer_jws *j)
{
    set_protected(j, "{\"alg\":\"EdDSA\",\"kid\":\"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"
                     "#z6MktvqCyLxTsXUH1tUZncNdVeEZ7hNh7npPRbUU27GTrYb8\"}");
}
static void cacao(cer_jws *j)
{
    set_protected(j, "{\"alg\":\"EdDSA\",\"cap\":\"ipfs://bafy\",\"kid\":\"did:key:"
                     "z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd#z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd\"}");
}

/* ---- secp256k1 and P-256 (tests/vectors/js-keys.json, gen/keys.mjs) ---- */

static int verify_compact(const char *compact, char *kid, size_t cap)
{
    cer_jws jws;
    int rc = cer_jws_from_compact(&jws, compact, strlen(compact));

    if (rc == 0) {
        rc = cer_jws_verify(&jws, 0, kid, cap);
        cer_jws_free(&jws);
    }
    return rc;
}

/* Every JWS of js-keys.json verifies exactly when js-ceramic's verifyJWS
 * accepted it: good, high S, ES256K-R; forged, flipped, out-of-range,
 * wrong-length, DER, alg/key type mismatches and bad DID forms refused. */
static void check_js_verdicts(const cJSON *list)
{
    const cJSON *c;
    char kid[CER_KID_MAX];
    int n = 0;

    cJSON_ArrayForEach(c, list) {
        bool valid = cJSON_IsTrue(cJSON_GetObjectItem(c, "valid"));
        int rc = verify_compact(tu_str(c, "compact"), kid, sizeof kid);

        ck_assert_msg((rc == 0) == valid, "%s: got %d (%s), js says %s %s", tu_str(c, "name"), rc,
                      cer_errmsg(), valid ? "valid" : "invalid",
                      valid ? "" : cJSON_GetObjectItem(c, "error")->valuestring);
        if (valid) {
            const char *compact = tu_str(c, "compact");
            ck_assert_ptr_nonnull(strstr(compact, "."));
        } else {
            ck_assert_int_lt(rc, 0);
            ck_assert_str_ne(cer_errmsg(), "");
        }
        n++;
    }
    ck_assert_int_gt(n, 10);
}

START_TEST(js_keys_jws_verdicts)
{
    cJSON *v = tu_load_json("js-keys.json");

    check_js_verdicts(tu_get(v, "jws"));
    check_js_verdicts(tu_get(v, "dids"));
    cJSON_Delete(v);
}
END_TEST

/* The geneses js signed with a secp256k1 and a P-256 did:key: the
 * envelopes decode and verify, and the same key makes the same DID; the
 * secp256k1 signature (RFC 6979) is byte for byte js's, the P-256 one
 * (random k) verifies. */
START_TEST(js_keys_genesis)
{
    cJSON *v = tu_load_json("js-keys.json");
    const cJSON *c;

    cJSON_ArrayForEach(c, tu_get(v, "genesis")) {
        size_t n;
        uint8_t *env = tu_unhex(tu_str(c, "envelope_hex"), &n), *secret;
        char kid[CER_KID_MAX], cid[CER_CID_STR_MAX], *compact = NULL;
        cer_jws jws, mine;
        cer_keytype type;
        cer_key key;

        ck_assert_int_eq(cer_dagjose_decode(&jws, env, n), 0);
        ck_assert(jws.has_link);
        ck_assert_int_gt(cer_cid_to_string(cid, sizeof cid, &jws.link), 0);
        ck_assert_str_eq(cid, tu_str(c, "payload_cid"));
        ck_assert_msg(cer_jws_verify(&jws, 0, kid, sizeof kid) == 0, "%s", cer_errmsg());
        ck_assert_str_eq(kid, tu_str(c, "kid"));

        ck_assert_int_eq(cer_keytype_parse(&type, tu_str(c, "key_type")), 0);
        secret = tu_unhex(tu_str(c, "secret_hex"), &n);
        ck_assert_int_eq(cer_key_from_secret(&key, type, secret), 0);
        ck_assert_str_eq(key.did, tu_str(c, "did"));
        ck_assert_int_eq(cer_jws_sign(&mine, &key, &jws.link), 0);
        ck_assert_int_eq(cer_jws_compact(&compact, &mine, 0), 0);
        if (type == CER_KEY_SECP256K1) {
            ck_assert_str_eq(compact, tu_str(c, "jws_compact"));
        } else {
            ck_assert_mem_eq(mine.sigs[0].protected_hdr, tu_str(c, "protected_json"), mine.sigs[0].protected_len);
            ck_assert_int_eq(cer_jws_verify(&mine, 0, NULL, 0), 0);
        }
        free(compact);
        cer_jws_free(&mine);
        cer_key_wipe(&key);
        free(secret);
        cer_jws_free(&jws);
        free(env);
    }
    cJSON_Delete(v);
}
END_TEST

/* Signatures made here verify here, for each key type, and no key's
 * signature passes under another key's kid or algorithm. */
START_TEST(sign_verify_each_type)
{
    static const cer_keytype types[] = {CER_KEY_ED25519, CER_KEY_SECP256K1, CER_KEY_P256};
    static const uint8_t payload[] = "ceramicfs";
    cer_key keys[3];
    cer_jws jws[3];

    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(cer_key_generate_type(&keys[i], types[i]), 0);
        ck_assert_int_eq(keys[i].type, types[i]);
        ck_assert_int_eq(cer_jws_sign_bytes(&jws[i], &keys[i], payload, sizeof payload), 0);
        ck_assert_uint_eq(jws[i].sigs[0].signature_len, 64);
        ck_assert_msg(cer_jws_verify(&jws[i], 0, NULL, 0) == 0, "%s", cer_errmsg());
    }
    /* the signature of key i under the protected header of key j */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            uint8_t *save = jws[i].sigs[0].signature;
            if (i == j)
                continue;
            jws[i].sigs[0].signature = jws[j].sigs[0].signature;
            ck_assert_int_eq(cer_jws_verify(&jws[i], 0, NULL, 0), -EKEYREJECTED);
            jws[i].sigs[0].signature = save;
        }
    }
    for (int i = 0; i < 3; i++) {
        cer_jws_free(&jws[i]);
        cer_key_wipe(&keys[i]);
    }
}
END_TEST

START_TEST(tampered_signatures_rejected)
{
    ck_assert_int_eq(verify_mutated(flip_sig), -EKEYREJECTED);
    ck_assert_int_eq(verify_mutated(flip_payload), -EKEYREJECTED);
    ck_assert_int_eq(verify_mutated(short_sig), -EKEYREJECTED);
    ck_assert_int_eq(verify_mutated(other_kid), -EKEYREJECTED);
    /* an ed25519 key does not verify as ES256K (the alg must fit the key) */
    ck_assert_int_eq(verify_mutated(es256k), -EKEYREJECTED);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "does not fit the ed25519 key"));
    ck_assert_int_eq(verify_mutated(es384), -ENOTSUP);
    ck_assert_int_eq(verify_mutated(cacao), -ENOTSUP);
    ck_assert_int_eq(verify_mutated(not_json), -EINVAL);
    ck_assert_int_eq(verify_mutated(no_kid), -EINVAL);
    ck_assert_int_lt(verify_mutated(bad_fragment), 0);
    ck_assert_str_ne(cer_errmsg(), "");
}
END_TEST

static int decode_hex(const char *hex)
{
    size_t n;
    uint8_t *b = tu_unhex(hex, &n);
    cer_jws jws;
    int rc = cer_dagjose_decode(&jws, b, n);

    if (rc == 0)
        cer_jws_free(&jws);
    free(b);
    return rc;
}

START_TEST(malformed_envelopes)
{
    /* {} */
    ck_assert_int_eq(decode_hex("a0"), -EINVAL);
    /* {payload: h'01'} no signatures */
    ck_assert_int_eq(decode_hex("a1 67 7061796c6f6164 41 01"), -EINVAL);
    /* {payload: h'01', signatures: []} */
    ck_assert_int_eq(decode_hex("a2 67 7061796c6f6164 41 01 6a 7369676e617475726573 80"), -EINVAL);
    /* signatures: [1] */
    ck_assert_int_eq(decode_hex("a2 67 7061796c6f6164 41 01 6a 7369676e617475726573 81 01"), -EINVAL);
    /* payload is text, not bytes */
    ck_assert_int_eq(decode_hex("a2 67 7061796c6f6164 61 01 6a 7369676e617475726573 80"), -EINVAL);
    /* signature without protected */
    ck_assert_int_eq(decode_hex("a2 67 7061796c6f6164 41 01 6a 7369676e617475726573 81 a1 69 7369676e6174757265 41 00"),
                     -EINVAL);
    /* JWE */
    ck_assert_int_eq(decode_hex("a1 6a 63697068657274657874 41 00"), -ENOTSUP);
    /* an array, not a map */
    ck_assert_int_eq(decode_hex("80"), -EINVAL);
}
END_TEST

START_TEST(truncations_fail_cleanly)
{
    cJSON *v = tu_load_json("js-vectors.json");
    size_t n;
    uint8_t *block = vec_block(v, "signed/update/dag_jose_block_hex", &n);
    cer_jws jws;

    for (size_t i = 0; i < n; i++) {
        uint8_t *copy = malloc(i ? i : 1);
        memcpy(copy, block, i);
        ck_assert_int_lt(cer_dagjose_decode(&jws, copy, i), 0);
        free(copy);
    }
    free(block);
    cJSON_Delete(v);
}
END_TEST

static Suite *dagjose_suite(void)
{
    Suite *s = suite_create("dagjose");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, js_genesis_envelope);
    tcase_add_test(tc, js_update_envelope);
    tcase_add_test(tc, sign_matches_js);
    tcase_add_test(tc, protected_header_bytes);
    tcase_add_test(tc, tampered_signatures_rejected);
    tcase_add_test(tc, js_keys_jws_verdicts);
    tcase_add_test(tc, js_keys_genesis);
    tcase_add_test(tc, sign_verify_each_type);
    tcase_add_test(tc, malformed_envelopes);
    tcase_add_test(tc, truncations_fail_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(dagjose_suite)
