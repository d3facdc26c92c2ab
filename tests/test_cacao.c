/*
 * test_cacao.c — CACAO capabilities and did:pkh controllers against
 * tests/vectors/js-cacao.json (made by gen/cacao.mjs with the libraries of
 * the js-ceramic 2.44 tree): Date.parse, the SIWE/SIWS text rebuilt byte
 * for byte, personal_sign recovery and signing, and every commit case
 * loaded through cer_state_load with js-ceramic's verdict (at the current
 * time, or at the block time of a verified anchor on it).
 */
#include "testutil.h"

#include "buf.h"
#include "cacao.h"
#include "eip191.h"
#include "error.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *vec;

static void load_vectors(void)
{
    vec = tu_load_json("js-cacao.json");
}

static void free_vectors(void)
{
    cJSON_Delete(vec);
}

static const cJSON *named(const char *list, const char *name)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, tu_get(vec, list))
        if (strcmp(tu_str(it, "name"), name) == 0)
            return it;
    ck_abort_msg("no %s '%s' in js-cacao.json", list, name);
    return NULL;
}

/* The block cid from the vectors' block map; caller frees. */
static uint8_t *block(const char *cid, size_t *len)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(tu_get(vec, "blocks"), cid);

    ck_assert_msg(cJSON_IsString(b), "no block %s", cid);
    return tu_unhex(b->valuestring, len);
}

/* A memory store holding every block of the vectors. */
static cer_store *store_all(void)
{
    const cJSON *it;
    cer_store *s;

    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    cJSON_ArrayForEach(it, tu_get(vec, "blocks")) {
        cer_cid cid;
        size_t n;
        uint8_t *b = tu_unhex(it->valuestring, &n);
        ck_assert_int_eq(cer_cid_parse(&cid, it->string), 0);
        ck_assert_msg(cer_store_put(s, &cid, b, n) == 0, "%s", cer_errmsg());
        free(b);
    }
    return s;
}

static cer_cacao decode_named(const char *name)
{
    cer_cacao c;
    size_t n;
    uint8_t *b = block(tu_str(named("cacaos", name), "cid"), &n);

    ck_assert_msg(cer_cacao_decode(&c, b, n) == 0, "%s: %s", name, cer_errmsg());
    free(b);
    return c;
}

/* ---- Date.parse ---- */

START_TEST(dates)
{
    const cJSON *it;
    int n = 0;

    cJSON_ArrayForEach(it, tu_get(vec, "dates")) {
        const char *s = cJSON_GetArrayItem(it, 0)->valuestring;
        const cJSON *want = cJSON_GetArrayItem(it, 1);
        int64_t ms = 0;
        int rc = cer_js_date_parse(&ms, s);
        if (cJSON_IsNull(want)) {
            ck_assert_msg(rc == -EINVAL, "'%s' parsed as %lld; js says NaN", s, (long long)ms);
        } else {
            ck_assert_msg(rc == 0, "'%s': %s", s, cer_errmsg());
            ck_assert_msg(ms == (int64_t)want->valuedouble, "'%s': %lld, js %.0f", s, (long long)ms,
                          want->valuedouble);
        }
        n++;
    }
    ck_assert_int_ge(n, 20);
}
END_TEST

/* ---- the signed text ---- */

/* The cases whose payload is what was signed (the others were edited after). */
START_TEST(messages)
{
    const cJSON *it;
    int n = 0;

    cJSON_ArrayForEach(it, tu_get(vec, "cacaos")) {
        const char *name = tu_str(it, "name");
        cer_cacao c;
        cer_buf m = CER_BUF_INIT;
        bool legacy = strncmp(name, "legacy", 6) == 0, sol = strncmp(name, "sol", 3) == 0;
        if (strcmp(name, "wrong-chain") == 0 || strcmp(name, "tampered") == 0)
            continue;
        c = decode_named(name);
        ck_assert_msg(cer_cacao_message(&m, c.p, sol ? "Solana" : "Ethereum", legacy) == 0, "%s: %s", name,
                      cer_errmsg());
        ck_assert_msg(m.len == strlen(tu_str(it, "signed_message")) &&
                          memcmp(m.data, tu_str(it, "signed_message"), m.len) == 0,
                      "%s: rebuilt\n%.*s\njs signed\n%s", name, (int)m.len, (char *)m.data,
                      tu_str(it, "signed_message"));
        cer_buf_free(&m);
        cer_cacao_free(&c);
        n++;
    }
    ck_assert_int_ge(n, 25);
}
END_TEST

/* The other order gives other bytes (so the legacy pass is a real second try). */
START_TEST(message_orders_differ)
{
    cer_cacao c = decode_named("legacy");
    cer_buf a = CER_BUF_INIT, b = CER_BUF_INIT;

    ck_assert_int_eq(cer_cacao_message(&a, c.p, "Ethereum", false), 0);
    ck_assert_int_eq(cer_cacao_message(&b, c.p, "Ethereum", true), 0);
    ck_assert(a.len == b.len && memcmp(a.data, b.data, a.len) != 0);
    cer_buf_free(&a);
    cer_buf_free(&b);
    cer_cacao_free(&c);
}
END_TEST

/* ---- personal_sign ---- */

START_TEST(eip191_sign_and_recover)
{
    const cJSON *acct = named("accounts", "eth-1"), *cc = named("cacaos", "good");
    const char *msg = tu_str(cc, "signed_message");
    cer_cacao c = decode_named("good");
    uint8_t secret[32], sig[65];
    char addr[CER_ETH_ADDRESS_MAX], hexsig[2 + 130 + 1];
    size_t n;
    uint8_t *sec = tu_unhex(tu_str(acct, "secret_hex"), &n);

    memcpy(secret, sec, 32);
    free(sec);
    /* the address, EIP-55 as ethers' Wallet#address */
    ck_assert_int_eq(cer_eth_address(addr, secret), 0);
    ck_assert_str_eq(addr, tu_str(acct, "address"));
    /* RFC 6979: the same bytes as ethers' Wallet#signMessage */
    ck_assert_int_eq(cer_eip191_sign(sig, (const uint8_t *)msg, strlen(msg), secret), 0);
    snprintf(hexsig, sizeof hexsig, "0x");
    for (int i = 0; i < 65; i++)
        snprintf(hexsig + 2 + 2 * i, 3, "%02x", sig[i]);
    ck_assert_str_eq(hexsig, cJSON_GetObjectItem(c.s, "s")->valuestring);
    ck_assert_int_eq(cer_eip191_recover(addr, (const uint8_t *)msg, strlen(msg), sig, 65), 0);
    ck_assert_str_eq(addr, tu_str(acct, "address_lower"));
    /* one changed byte of the message: another address */
    ck_assert_int_eq(cer_eip191_recover(addr, (const uint8_t *)msg, strlen(msg) - 1, sig, 65), 0);
    ck_assert_str_ne(addr, tu_str(acct, "address_lower"));
    sig[64] = 5;
    ck_assert_int_eq(cer_eip191_recover(addr, (const uint8_t *)msg, strlen(msg), sig, 65), -EKEYREJECTED);
    ck_assert_int_eq(cer_eip191_recover(addr, (const uint8_t *)msg, strlen(msg), sig, 63), -EKEYREJECTED);
    strcpy(addr, "0xb8c6a922dfdecc5a896175a5c775d79527891e84");
    cer_eth_checksum(addr);
    ck_assert_str_eq(addr, tu_str(acct, "address"));
    cer_cacao_free(&c);
}
END_TEST

/* A signature found good is remembered by the CACAO's CID: the second
 * verification recovers nothing, the time window is still checked each
 * time, and a forged CACAO (another signature, or the same signature over
 * another audience) is another CID, checked and refused, every time. */
START_TEST(good_signature_remembered)
{
    static const char *const res[] = {"ceramic://*"};
    const int64_t t0 = 1767182400000LL;  /* 2025-12-31T12:00:00Z */
    uint8_t secret[32] = {1};
    cer_buf b = CER_BUF_INIT, f = CER_BUF_INIT;
    cer_cid cid;
    cer_cacao c, forged;
    cJSON *j = NULL, *s;
    uint64_t n;
    char *sig, was;

    ck_assert_int_eq(cer_cacao_make_siwe(&b, &cid, secret, "1", "test", "did:key:z6MkAudience", t0, 3600, res, 1), 0);
    ck_assert_int_eq(cer_cacao_decode(&c, b.data, b.len), 0);
    ck_assert(cer_cid_equal(&c.cid, &cid));
    n = cer_cacao_signature_checks();
    ck_assert_msg(cer_cacao_verify(&c, t0) == 0, "%s", cer_errmsg());
    ck_assert_uint_eq(cer_cacao_signature_checks(), n + 1);
    ck_assert_int_eq(cer_cacao_verify(&c, t0 + 1000), 0);
    ck_assert_uint_eq(cer_cacao_signature_checks(), n + 1);
    ck_assert_int_eq(cer_cacao_verify(&c, t0 + 3600000 + 86400000 + 300001), -EKEYREJECTED);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "expired"));
    ck_assert_uint_eq(cer_cacao_signature_checks(), n + 1);
    /* one hex digit of the signature changed */
    ck_assert_int_eq(cer_dagcbor_decode(&j, b.data, b.len), 0);
    s = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "s"), "s");
    sig = s->valuestring;
    was = sig[10];
    sig[10] = was == '0' ? '1' : '0';
    ck_assert_int_eq(cer_dagcbor_encode(&f, j, 0), 0);
    ck_assert_int_eq(cer_cacao_decode(&forged, f.data, f.len), 0);
    ck_assert(!cer_cid_equal(&forged.cid, &cid));
    for (int k = 1; k <= 2; k++) {
        ck_assert_int_eq(cer_cacao_verify(&forged, t0), -EKEYREJECTED);
        ck_assert_uint_eq(cer_cacao_signature_checks(), n + 1 + k);
    }
    cer_cacao_free(&forged);
    /* the good signature, another audience */
    sig[10] = was;
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "p"), "aud", cJSON_CreateString("did:key:z6MkAttacker"));
    f.len = 0;
    ck_assert_int_eq(cer_dagcbor_encode(&f, j, 0), 0);
    ck_assert_int_eq(cer_cacao_decode(&forged, f.data, f.len), 0);
    ck_assert_int_eq(cer_cacao_verify(&forged, t0), -EKEYREJECTED);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "does not belong to the issuer"));
    ck_assert_uint_eq(cer_cacao_signature_checks(), n + 4);
    ck_assert_int_eq(cer_cacao_verify(&c, t0), 0);  /* still known */
    ck_assert_uint_eq(cer_cacao_signature_checks(), n + 4);
    cer_cacao_free(&forged);
    cer_cacao_free(&c);
    cJSON_Delete(j);
    cer_buf_free(&b);
    cer_buf_free(&f);
}
END_TEST

/* ---- commits, through the state loader ---- */

static int64_t trust_at;
static int trust(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    (void)arg, (void)proof;
    *timestamp = trust_at;
    return CER_CHECK_VERIFIED;
}

/* An anchor commit on prev (path "": the root is prev), stored. */
static cer_cid anchor_on(cer_store *s, const cer_cid *genesis, const cer_cid *prev)
{
    cer_anchor_proof p = {.chain_id = "eip155:1337", .root = *prev,
                          .tx_hash = {1, CER_CODEC_ETH_TX, CER_MH_KECCAK_256, 32, {7}}};
    cer_anchor_commit ac = {.has_id = true, .id = *genesis, .prev = *prev};
    cer_block pb, ab;
    cer_cid cid;

    ck_assert_int_eq(cer_anchor_proof_encode(&pb, &p), 0);
    ck_assert_int_eq(cer_store_put(s, &pb.cid, pb.bytes.data, pb.bytes.len), 0);
    ac.proof = pb.cid;
    ck_assert_int_eq(cer_anchor_commit_encode(&ab, &ac), 0);
    ck_assert_int_eq(cer_store_put(s, &ab.cid, ab.bytes.data, ab.bytes.len), 0);
    cid = ab.cid;
    cer_buf_free(&pb.bytes);
    cer_buf_free(&ab.bytes);
    return cid;
}

START_TEST(commits)
{
    cer_store *s = store_all();
    const cJSON *it;
    int n = 0, valid = 0;

    cJSON_ArrayForEach(it, tu_get(vec, "commits")) {
        const char *name = tu_str(it, "name");
        bool want = cJSON_IsTrue(tu_get(it, "valid")), genesis = strcmp(tu_str(it, "kind"), "genesis") == 0;
        const cJSON *at = tu_get(it, "at");
        cer_anchor_checker chk = {trust, NULL};
        cer_streamref id;
        cer_cid tip;
        cer_state *st = NULL;
        int rc;

        ck_assert_int_eq(cer_streamref_parse(&id, tu_str(it, "stream_id")), 0);
        ck_assert_int_eq(cer_cid_parse(&tip, tu_str(it, "envelope_cid")), 0);
        if (!cJSON_IsNull(at)) {  /* anchored at that time */
            trust_at = (int64_t)at->valuedouble;
            tip = anchor_on(s, &id.genesis, &tip);
        }
        cer_errclear();
        rc = cer_state_load_checked(&st, s, &id, &tip, cJSON_IsNull(at) ? NULL : &chk);
        if (want) {
            ck_assert_msg(rc == 0, "%s: js accepts, we refuse: %s", name, cer_errmsg());
            ck_assert(cer_cid_equal(cer_state_tip(st), &tip));
            const cer_log_entry *e = &st->log[st->log_len - 1 - !cJSON_IsNull(at)];
            ck_assert_str_eq(e->author, tu_str(named("sessions", tu_str(it, "session")), "did"));
            ck_assert(e->has_cap == !cJSON_IsNull(tu_get(it, "cacao_cid")));
            if (e->has_cap) {
                cer_cid cap;
                ck_assert_int_eq(cer_cid_parse(&cap, tu_str(it, "cacao_cid")), 0);
                ck_assert(cer_cid_equal(&e->cap, &cap));
            }
            valid++;
        } else {
            ck_assert_msg(rc < 0, "%s: js refuses (%s), we accept", name, tu_str(it, "error"));
            /* a genesis loads nothing; an update leaves the stream at its prev */
            if (genesis) {
                ck_assert_ptr_null(st);
            } else {
                cer_cid prev;
                ck_assert_int_eq(cer_cid_parse(&prev, tu_str(it, "prev")), 0);
                ck_assert(st && cer_cid_equal(cer_state_tip(st), &prev));
            }
            /* the reason names the capability, the signature or the controller */
            ck_assert_msg(strstr(cer_errmsg(), "capabilit") || strstr(cer_errmsg(), "CACAO") ||
                              strstr(cer_errmsg(), "signature") || strstr(cer_errmsg(), "controller"),
                          "%s: %s", name, cer_errmsg());
        }
        cer_state_free(st);
        n++;
    }
    ck_assert_int_ge(n, 45);
    ck_assert_int_ge(valid, 20);
    cer_store_close(s);
}
END_TEST

/* The capability of each commit, and when it expires, survive the
 * state's JSON form (caches). */
#define EXP_GOOD 4102358400
START_TEST(state_json_keeps_capability)
{
    const cJSON *c = named("commits", "update-tile");
    cer_store *s = store_all();
    cer_streamref id;
    cer_cid tip;
    cer_state *st = NULL, *back = NULL;
    cJSON *j = NULL;

    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(c, "stream_id")), 0);
    ck_assert_int_eq(cer_cid_parse(&tip, tu_str(c, "envelope_cid")), 0);
    ck_assert_int_eq(cer_state_load(&st, s, &id, &tip), 0);
    ck_assert_int_eq(cer_state_to_json(&j, st), 0);
    ck_assert_int_eq(cer_state_from_json(&back, j), 0);
    ck_assert_uint_eq(back->log_len, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert(back->log[i].has_cap && cer_cid_equal(&back->log[i].cap, &st->log[i].cap));
        ck_assert_str_eq(back->log[i].author, st->log[i].author);
        /* js's expirationTime: the CACAO's exp (2099-12-31T00:00:00.000Z) in seconds */
        ck_assert_int_eq(st->log[i].expiration_time, EXP_GOOD);
        ck_assert_int_eq(back->log[i].expiration_time, EXP_GOOD);
    }
    cJSON_Delete(j);
    cer_state_free(st);
    cer_state_free(back);
    cer_store_close(s);
}
END_TEST

/* The reasons name what failed. */
START_TEST(reasons)
{
    static const struct {
        const char *name, *says;
    } cases[] = {
        {"genesis-expired", "CACAO has expired"},
        {"genesis-future-iat", "not valid yet"},
        {"genesis-wrong-aud", "not for the signer"},
        {"update-resources-other", "appropriate permissions"},
        {"genesis-tampered", "does not belong to the issuer"},
        {"genesis-other-account", "does not belong to the issuer"},
        {"genesis-controller-other", "not by the controller"},
        {"genesis-eip1271", "'eip1271' is not supported"},
        {"genesis-unsigned-cacao", "does not have a signature"},
        {"genesis-no-cap", "has none ('cap')"},
        {"genesis-jws-tampered", "signature"},
        {"genesis-sol-bad", "does not belong to the issuer"},
    };
    cer_store *s = store_all();

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const cJSON *c = named("commits", cases[i].name);
        cer_streamref id;
        cer_cid tip;
        cer_state *st = NULL;

        ck_assert_int_eq(cer_streamref_parse(&id, tu_str(c, "stream_id")), 0);
        ck_assert_int_eq(cer_cid_parse(&tip, tu_str(c, "envelope_cid")), 0);
        ck_assert(cer_state_load(&st, s, &id, &tip) < 0);
        ck_assert_msg(strstr(cer_errmsg(), cases[i].says), "%s: '%s' lacks '%s'", cases[i].name, cer_errmsg(),
                      cases[i].says);
        cer_state_free(st);
    }
    cer_store_close(s);
}
END_TEST

/* A missing CACAO block fails the commit's read, naming it. */
START_TEST(missing_cacao)
{
    const cJSON *c = named("commits", "genesis-tile");
    cer_store *s;
    cer_streamref id;
    cer_cid cid;
    cer_state *st = NULL;
    size_t n;
    uint8_t *b;

    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(c, "stream_id")), 0);
    for (int i = 0; i < 2; i++) {
        const char *k = i ? "payload_cid" : "envelope_cid";
        b = block(tu_str(c, k), &n);
        ck_assert_int_eq(cer_cid_parse(&cid, tu_str(c, k)), 0);
        ck_assert_int_eq(cer_store_put(s, &cid, b, n), 0);
        free(b);
    }
    ck_assert(cer_state_load(&st, s, &id, &id.genesis) < 0);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(cer_errmsg(), "capability") && strstr(cer_errmsg(), tu_str(c, "cacao_cid")), "%s",
                  cer_errmsg());
    cer_store_close(s);
}
END_TEST

/* Malformed blocks are refused with a reason, whatever their shape. */
START_TEST(malformed)
{
    static const char *const hex[] = {
        "a0",                                    /* {} */
        "a16170a0",                              /* {p: {}} */
        "a1617001",                              /* {p: 1} */
        "f6",                                    /* null */
        "a2617061316170a163697373613f",          /* {a: "1", p: {iss: "?"}}: no aud */
    };
    for (size_t i = 0; i < sizeof hex / sizeof *hex; i++) {
        size_t n;
        uint8_t *b = tu_unhex(hex[i], &n);
        cer_cacao c;
        ck_assert_int_eq(cer_cacao_decode(&c, b, n), -EINVAL);
        ck_assert(strstr(cer_errmsg(), "CACAO"));
        free(b);
    }
}
END_TEST

static Suite *cacao_suite(void)
{
    Suite *s = suite_create("cacao");
    TCase *tc = tcase_create("cacao");

    tcase_add_checked_fixture(tc, load_vectors, free_vectors);
    tcase_add_test(tc, dates);
    tcase_add_test(tc, messages);
    tcase_add_test(tc, message_orders_differ);
    tcase_add_test(tc, eip191_sign_and_recover);
    tcase_add_test(tc, good_signature_remembered);
    tcase_add_test(tc, commits);
    tcase_add_test(tc, state_json_keeps_capability);
    tcase_add_test(tc, reasons);
    tcase_add_test(tc, missing_cacao);
    tcase_add_test(tc, malformed);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(cacao_suite)
