/*
 * test_didkey.c — keys, did:key/kid strings against the worked example
 * (tests/vectors/README.md),
 * js-vectors.json (ed25519) and js-keys.json (secp256k1, P-256: keys and
 * which DID forms js resolves), malformed DIDs, and key files.
 */
#include "testutil.h"
#include "didkey.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void expect_did_fail(const char *did, int want, const char *msg_part)
{
    cer_pubkey pk;
    int rc = cer_did_pubkey(&pk, did);

    ck_assert_msg(rc == want, "'%.80s': got %d (%s), want %d", did, rc, cer_errmsg(), want);
    if (msg_part)
        ck_assert_msg(strstr(cer_errmsg(), msg_part) != NULL, "'%.80s': message '%s' lacks '%s'",
                      did, cer_errmsg(), msg_part);
}

static void seed_from_hex(uint8_t seed[32], const char *hex)
{
    size_t len;
    uint8_t *b = tu_unhex(hex, &len);

    ck_assert_uint_eq(len, 32);
    memcpy(seed, b, 32);
    free(b);
}

START_TEST(test_lifted_pubkey_did)
{
    cJSON *root = tu_load_json("protocol-ids.json");
    const cJSON *v = tu_get(root, "didkey/lifted");
    size_t len;
    uint8_t *pk = tu_unhex(tu_str(v, "pubkey"), &len);
    cer_pubkey in = {CER_KEY_ED25519, 32, {0}}, back;
    char did[CER_DID_MAX];

    ck_assert_uint_eq(len, 32);
    memcpy(in.bytes, pk, 32);
    ck_assert_int_eq(cer_did_from_pubkey(did, sizeof did, &in), 56);
    ck_assert_str_eq(did, tu_str(v, "did"));
    ck_assert_int_eq(cer_did_pubkey(&back, did), 0);
    ck_assert_int_eq(back.type, CER_KEY_ED25519);
    ck_assert_uint_eq(back.len, 32);
    ck_assert_mem_eq(back.bytes, pk, 32);
    free(pk);
    cJSON_Delete(root);
}
END_TEST

START_TEST(test_seed_vector)
{
    cJSON *root = tu_load_json("protocol-ids.json");
    cJSON *js = tu_load_json("js-vectors.json");
    const cJSON *v = tu_get(root, "didkey/seed");
    uint8_t seed[32];
    cer_pubkey pk;
    char kid[CER_KID_MAX];
    cer_key key;

    seed_from_hex(seed, tu_str(v, "seed"));
    ck_assert_int_eq(cer_key_from_seed(&key, seed), 0);
    ck_assert_mem_eq(key.seed, seed, 32);
    ck_assert_int_eq(key.type, CER_KEY_ED25519);
    ck_assert_uint_eq(key.pub.len, 32);
    tu_assert_hex(key.pub.bytes, 32, tu_str(v, "pubkey"));
    ck_assert_mem_eq(key.sk, seed, 32);
    ck_assert_mem_eq(key.sk + 32, key.pub.bytes, 32);
    ck_assert_str_eq(key.did, tu_str(v, "did"));
    ck_assert_int_eq(cer_key_kid(kid, sizeof kid, &key), (int)strlen(tu_str(v, "kid")));
    ck_assert_str_eq(kid, tu_str(v, "kid"));
    /* the JS libraries agree */
    seed_from_hex(seed, tu_str(js, "seed_hex"));
    ck_assert_int_eq(cer_key_from_seed(&key, seed), 0);
    ck_assert_str_eq(key.did, tu_str(js, "did"));
    ck_assert_int_eq(cer_key_kid(kid, sizeof kid, &key), 105);
    ck_assert_str_eq(kid, tu_str(js, "signed/verified_kids/0"));
    /* did and kid both give back the key */
    ck_assert_int_eq(cer_did_pubkey(&pk, key.did), 0);
    ck_assert_mem_eq(pk.bytes, key.pub.bytes, 32);
    memset(&pk, 0, sizeof pk);
    ck_assert_int_eq(cer_did_pubkey(&pk, kid), 0);
    ck_assert_mem_eq(pk.bytes, key.pub.bytes, 32);
    cer_key_wipe(&key);
    cJSON_Delete(js);
    cJSON_Delete(root);
}
END_TEST

START_TEST(test_generate_round_trip)
{
    cer_key a, b, c;
    cer_pubkey pk;
    char kid[CER_KID_MAX];

    ck_assert_int_eq(cer_key_generate(&a), 0);
    ck_assert_int_eq(cer_key_generate(&b), 0);
    ck_assert(memcmp(a.seed, b.seed, 32) != 0);
    ck_assert_int_eq((int)strlen(a.did), 56);
    ck_assert(strncmp(a.did, "did:key:z6Mk", 12) == 0);
    ck_assert_int_eq(cer_did_pubkey(&pk, a.did), 0);
    ck_assert_mem_eq(pk.bytes, a.pub.bytes, 32);
    ck_assert_int_gt(cer_key_kid(kid, sizeof kid, &a), 0);
    ck_assert_int_eq(cer_did_pubkey(&pk, kid), 0);
    ck_assert_mem_eq(pk.bytes, a.pub.bytes, 32);
    /* the same seed gives the same key, also when read from the key itself */
    ck_assert_int_eq(cer_key_from_seed(&c, a.seed), 0);
    ck_assert_mem_eq(&c, &a, sizeof c);
    ck_assert_int_eq(cer_key_from_seed(&a, a.seed), 0);
    ck_assert_mem_eq(&c, &a, sizeof c);
    cer_key_wipe(&a);
    for (size_t i = 0; i < sizeof a; i++)
        ck_assert_uint_eq(((uint8_t *)&a)[i], 0);
    cer_key_wipe(NULL);
    cer_key_wipe(&b);
    cer_key_wipe(&c);
}
END_TEST

START_TEST(test_output_space)
{
    cer_key key, empty;
    uint8_t seed[32] = {0};
    char buf[CER_KID_MAX];

    ck_assert_int_eq(cer_key_from_seed(&key, seed), 0);
    ck_assert_int_eq(cer_did_from_pubkey(buf, 56, &key.pub), -ENOSPC);
    ck_assert_int_eq(cer_did_from_pubkey(buf, 57, &key.pub), 56);
    ck_assert_int_eq(cer_key_kid(buf, 105, &key), -ENOSPC);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(cer_key_kid(buf, 106, &key), 105);
    memset(&empty, 0, sizeof empty);
    ck_assert_int_eq(cer_key_kid(buf, sizeof buf, &empty), -EINVAL);
    ck_assert_int_eq(cer_key_from_seed(NULL, seed), -EINVAL);
    ck_assert_int_eq(cer_key_generate(NULL), -EINVAL);
    ck_assert_int_eq(cer_did_pubkey(&key.pub, NULL), -EINVAL);
}
END_TEST

START_TEST(test_ecdsa_key_types)
{
    cJSON *root = tu_load_json("protocol-ids.json");
    const cJSON *v;
    cer_pubkey pk;
    char kid[256], back[CER_DID_MAX];

    /* the W3C CCG secp256k1 and P-256 vectors (compressed keys) resolve */
    cJSON_ArrayForEach(v, tu_get(root, "didkey/unsupported")) {
        const char *did = tu_str(v, "did");
        ck_assert_msg(cer_did_pubkey(&pk, did) == 0, "%s: %s", did, cer_errmsg());
        ck_assert_int_eq(pk.type, strcmp(tu_str(v, "key_type"), "P-256") == 0 ? CER_KEY_P256 : CER_KEY_SECP256K1);
        ck_assert_uint_eq(pk.len, 33);
        snprintf(kid, sizeof kid, "%s#%s", did, did + 8);
        ck_assert_int_eq(cer_did_pubkey(&pk, kid), 0);
        ck_assert_int_eq(cer_did_from_pubkey(back, sizeof back, &pk), (int)strlen(did));
        ck_assert_str_eq(back, did);
    }
    /* P-384 and P-521, which js-did resolves, from the key-did-resolver docs */
    expect_did_fail("did:key:z82LkvCwHNreneWpsgPEbV3gu1C6NFJEBg4srfJ5gdxEsMGRJUz2sG9FE42shbn2xkZJh54",
                    -ENOTSUP, "P-384");
    expect_did_fail("did:key:z2J9gcGhudjgwsDLv4qJVM6DysnsjWRS6ggtCsSYpV9TGxd9WGoE1EkPxdvPcqEs7eLsQA9"
                    "85AGXPuqttPP7WJ5Qdiz27U3t", -ENOTSUP, "P-521");
    cJSON_Delete(root);
}
END_TEST

/* base58btc of the given bytes as "did:key:z..." */
static void make_did(char *out, size_t cap, const char *hex)
{
    size_t len;
    uint8_t *b = tu_unhex(hex, &len);

    ck_assert_int_lt(8, (int)cap);
    memcpy(out, "did:key:", 8);
    ck_assert_int_gt(cer_multibase_encode(out + 8, cap - 8, CER_BASE58BTC, b, len), 0);
    free(b);
}

START_TEST(test_malformed_dids)
{
    static const char good[] = "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd";
    static const char pk[] = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
    char s[1200], hex[200];

    expect_did_fail("", -EINVAL, "not a did:key");
    expect_did_fail("did:key:", -EINVAL, "empty key id");
    expect_did_fail("did:key:z", -EINVAL, NULL);
    expect_did_fail("did:key:#", -EINVAL, "empty key id");
    expect_did_fail("did:web:example.com", -EINVAL, "not a did:key");
    expect_did_fail("did:3:kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s", -EINVAL,
                    "not a did:key");
    expect_did_fail("DID:KEY:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd", -EINVAL, "not a did:key");
    expect_did_fail("z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd", -EINVAL, "not a did:key");
    expect_did_fail(" did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd", -EINVAL, NULL);
    /* bad base58: 0, O, I, l are not in the alphabet */
    expect_did_fail("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgv0d", -EINVAL, "key id");
    expect_did_fail("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvOd", -EINVAL, NULL);
    expect_did_fail("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd ", -EINVAL, NULL);
    expect_did_fail("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd?x=1", -EINVAL, NULL);
    /* wrong multibase */
    expect_did_fail("did:key:u7QED", -EINVAL, "base58btc");
    expect_did_fail("did:key:Z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd", -EINVAL, "base58btc");
    /* truncated / over-long keys */
    expect_did_fail("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgv", -EINVAL, NULL);
    expect_did_fail("did:key:z6Mk", -EINVAL, NULL);
    snprintf(hex, sizeof hex, "ed01 %.62s", pk);
    make_did(s, sizeof s, hex);
    expect_did_fail(s, -EINVAL, "ed25519 key of 31 bytes");
    snprintf(hex, sizeof hex, "ed01 %s 00", pk);
    make_did(s, sizeof s, hex);
    expect_did_fail(s, -EINVAL, "ed25519 key of 33 bytes");
    /* prefixes: x25519 (ec 01), non-minimal ed25519 varint, bare key, leading zero */
    snprintf(hex, sizeof hex, "ec01 %s", pk);
    make_did(s, sizeof s, hex);
    expect_did_fail(s, -EINVAL, "0xec");
    snprintf(hex, sizeof hex, "ed81 00 %s", pk);
    make_did(s, sizeof s, hex);
    expect_did_fail(s, -EINVAL, NULL);
    snprintf(hex, sizeof hex, "ed %s", pk);
    make_did(s, sizeof s, hex);
    expect_did_fail(s, -EINVAL, NULL);
    snprintf(hex, sizeof hex, "00 ed01 %s", pk);
    make_did(s, sizeof s, hex);
    expect_did_fail(s, -EINVAL, NULL);
    /* kid fragments */
    snprintf(s, sizeof s, "%s#", good);
    expect_did_fail(s, -EINVAL, "fragment");
    snprintf(s, sizeof s, "%s#key-1", good);
    expect_did_fail(s, -EINVAL, "fragment");
    snprintf(s, sizeof s, "%s#%s", good, "z6MktvqCyLxTsXUH1tUZncNdVeEZ7hNh7npPRbUU27GTrYb8");
    expect_did_fail(s, -EINVAL, "fragment");
    snprintf(s, sizeof s, "%s#%s#%s", good, good + 8, good + 8);
    expect_did_fail(s, -EINVAL, "fragment");
    snprintf(s, sizeof s, "%s#%sx", good, good + 8);
    expect_did_fail(s, -EINVAL, "fragment");
    snprintf(s, sizeof s, "%s#%.40s", good, good + 8);
    expect_did_fail(s, -EINVAL, "fragment");
    /* huge */
    memset(s, 'z', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    memcpy(s, "did:key:", 8);
    expect_did_fail(s, -EINVAL, "over 512");
}
END_TEST

static char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];

    snprintf(tmpl, sizeof tmpl, "%s/cer-didkey-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return strdup(tmpl);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static void cleanup_dir(char *dir)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

START_TEST(test_key_file_round_trip)
{
    char *dir = make_tmpdir(), path[256], text[128];
    cer_key key, back;
    struct stat st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "%s/key", dir);
    ck_assert_int_eq(cer_key_generate(&key), 0);
    ck_assert_int_eq(cer_key_save_file(&key, path), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    ck_assert_uint_eq(n, 65);
    ck_assert_uint_eq(text[64], '\n');
    {
        char *hex = tu_hex(key.seed, 32);
        ck_assert_mem_eq(text, hex, 64);
        free(hex);
    }
    ck_assert_int_eq(cer_key_load_file(&back, path), 0);
    ck_assert_mem_eq(&back, &key, sizeof key);
    /* saving again replaces the file and leaves no temporary file behind */
    ck_assert_int_eq(cer_key_generate(&key), 0);
    ck_assert_int_eq(cer_key_save_file(&key, path), 0);
    ck_assert_int_eq(cer_key_load_file(&back, path), 0);
    ck_assert_mem_eq(&back, &key, sizeof key);
    snprintf(text, sizeof text, "ls -A '%s' | grep -qv '^key$'", dir);
    ck_assert_int_ne(system(text), 0);
    cer_key_wipe(&key);
    cer_key_wipe(&back);
    cleanup_dir(dir);
}
END_TEST

START_TEST(test_key_file_seed_vector)
{
    char *dir = make_tmpdir(), path[256];
    cer_key key;

    snprintf(path, sizeof path, "%s/seed", dir);
    write_file(path, "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\n", 0600);
    ck_assert_int_eq(cer_key_load_file(&key, path), 0);
    ck_assert_str_eq(key.did, "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd");
    /* without the newline too */
    write_file(path, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0400);
    memset(&key, 0, sizeof key);
    ck_assert_int_eq(cer_key_load_file(&key, path), 0);
    ck_assert_str_eq(key.did, "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd");
    cer_key_wipe(&key);
    cleanup_dir(dir);
}
END_TEST

static void expect_load_fail(const char *path, int want, const char *msg_part)
{
    cer_key key, before;
    int rc;

    memset(&key, 0x5a, sizeof key);
    before = key;
    rc = cer_key_load_file(&key, path);
    ck_assert_msg(rc == want, "load %s: got %d (%s), want %d", path, rc, cer_errmsg(), want);
    ck_assert_msg(strstr(cer_errmsg(), msg_part) != NULL, "message '%s' lacks '%s'", cer_errmsg(),
                  msg_part);
    ck_assert_mem_eq(&key, &before, sizeof key);
}

START_TEST(test_key_file_refusals)
{
    static const char seed[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    char *dir = make_tmpdir(), path[256], text[256];
    cer_key key;

    snprintf(path, sizeof path, "%s/key", dir);
    snprintf(text, sizeof text, "%s\n", seed);
    write_file(path, text, 0644);
    expect_load_fail(path, -EPERM, "chmod 600");
    write_file(path, text, 0640);
    expect_load_fail(path, -EPERM, "chmod 600");
    write_file(path, text, 0602);
    expect_load_fail(path, -EPERM, "mode 0602");
    write_file(path, text, 0610);
    expect_load_fail(path, -EPERM, "chmod 600");
    /* corrupt contents */
    write_file(path, "", 0600);
    expect_load_fail(path, -EINVAL, "64 hex digits");
    write_file(path, "00010203\n", 0600);
    expect_load_fail(path, -EINVAL, "wrong length");
    snprintf(text, sizeof text, "%s\n\n", seed);
    write_file(path, text, 0600);
    expect_load_fail(path, -EINVAL, "longer");
    snprintf(text, sizeof text, "%s%s\n", seed, seed);
    write_file(path, text, 0600);
    expect_load_fail(path, -EINVAL, "longer");
    snprintf(text, sizeof text, "%.62sxy\n", seed);
    write_file(path, text, 0600);
    expect_load_fail(path, -EINVAL, "non-hex");
    snprintf(text, sizeof text, " %.63s\n", seed);
    write_file(path, text, 0600);
    expect_load_fail(path, -EINVAL, "non-hex");
    snprintf(text, sizeof text, "%s\r", seed);
    write_file(path, text, 0600);
    expect_load_fail(path, -EINVAL, "64 hex digits");
    /* not a file */
    expect_load_fail(dir, -EINVAL, "not a regular file");
    snprintf(path, sizeof path, "%s/missing", dir);
    expect_load_fail(path, -ENOENT, "cannot open");
    /* saving into a missing directory fails cleanly */
    snprintf(path, sizeof path, "%s/no/such/key", dir);
    ck_assert_int_eq(cer_key_from_seed(&key, (const uint8_t *)"0123456789abcdef0123456789abcdef"), 0);
    ck_assert_int_eq(cer_key_save_file(&key, path), -ENOENT);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "temporary file"));
    /* saving over a directory fails and leaves no temporary file */
    snprintf(path, sizeof path, "%s/d", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_lt(cer_key_save_file(&key, path), 0);
    snprintf(text, sizeof text, "ls -A '%s' | grep -qv '^\\(key\\|d\\)$'", dir);
    ck_assert_int_ne(system(text), 0);
    ck_assert_int_eq(cer_key_save_file(&key, ""), -EINVAL);
    ck_assert_int_eq(cer_key_load_file(&key, NULL), -EINVAL);
    cer_key_wipe(&key);
    cleanup_dir(dir);
}
END_TEST

/* A key saved with a relative path (no directory part). */
START_TEST(test_key_file_relative)
{
    char *dir = make_tmpdir(), cwd[4096];
    cer_key key, back;

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(cer_key_generate(&key), 0);
    ck_assert_int_eq(cer_key_save_file(&key, "k"), 0);
    ck_assert_int_eq(cer_key_load_file(&back, "k"), 0);
    ck_assert_mem_eq(&back, &key, sizeof key);
    ck_assert_int_eq(chdir(cwd), 0);
    cer_key_wipe(&key);
    cer_key_wipe(&back);
    cleanup_dir(dir);
}
END_TEST

/* secp256k1 and P-256 keys of tests/vectors/js-keys.json (made by
 * tests/vectors/gen/keys.mjs with noble, as js-did's providers make them):
 * the same secret gives the same compressed key, DID and kid. */
START_TEST(test_js_ecdsa_keys)
{
    cJSON *v = tu_load_json("js-keys.json");
    const cJSON *c;
    char kid[CER_KID_MAX];
    cer_pubkey pk;
    int n = 0;

    cJSON_ArrayForEach(c, tu_get(v, "keys")) {
        cer_keytype type;
        cer_key key;
        size_t len;
        uint8_t *secret = tu_unhex(tu_str(c, "secret_hex"), &len);

        ck_assert_int_eq(cer_keytype_parse(&type, tu_str(c, "type")), 0);
        ck_assert_str_eq(cer_keytype_name(type), tu_str(c, "type"));
        ck_assert_int_eq(cer_key_from_secret(&key, type, secret), 0);
        ck_assert_int_eq(key.type, type);
        ck_assert_uint_eq(key.pub.len, 33);
        tu_assert_hex(key.pub.bytes, 33, tu_str(c, "pubkey_hex"));
        ck_assert_str_eq(key.did, tu_str(c, "did"));
        ck_assert_int_eq(cer_key_kid(kid, sizeof kid, &key), (int)strlen(tu_str(c, "kid")));
        ck_assert_str_eq(kid, tu_str(c, "kid"));
        ck_assert_int_eq(cer_did_pubkey(&pk, kid), 0);
        ck_assert_int_eq(pk.type, type);
        ck_assert_mem_eq(pk.bytes, key.pub.bytes, 33);
        cer_key_wipe(&key);
        free(secret);
        n++;
    }
    ck_assert_int_eq(n, 4);
    cJSON_Delete(v);
}
END_TEST

/* The DID forms of js-keys.json: the ones js resolves parse (compressed
 * and uncompressed keys, P-256's raw x || y, and a valid point that is not
 * the signer); hybrid 06/07 keys, points off the curve, x >= p and wrong
 * lengths are refused with -EINVAL, as key-did-resolver / did-jwt refuse
 * them. */
START_TEST(test_js_did_forms)
{
    static const struct {
        const char *name;
        int rc;
    } want[] = {
        {"secp256k1/compressed", 0},          {"secp256k1/uncompressed", 0},
        {"secp256k1/raw", -EINVAL},           {"secp256k1/hybrid", -EINVAL},
        {"secp256k1/wrong-parity", 0},        {"secp256k1/not-on-curve", -EINVAL},
        {"secp256k1/x-over-p", -EINVAL},      {"secp256k1/uncompressed-off-curve", -EINVAL},
        {"p256/compressed", 0},               {"p256/uncompressed", 0},
        {"p256/raw", 0},                      {"p256/hybrid", -EINVAL},
        {"p256/uncompressed-off-curve", -EINVAL}, {"p256/not-on-curve", -EINVAL},
        {"p256/x-over-p", -EINVAL},           {"p256/short", -EINVAL},
    };
    cJSON *v = tu_load_json("js-keys.json");
    const cJSON *c;
    char back[CER_DID_MAX];
    size_t n = 0;

    cJSON_ArrayForEach(c, tu_get(v, "dids")) {
        const char *name = tu_str(c, "name"), *did = tu_str(c, "did");
        cer_pubkey pk;
        size_t i;

        for (i = 0; i < sizeof want / sizeof *want && strcmp(want[i].name, name) != 0; i++)
            ;
        ck_assert_msg(i < sizeof want / sizeof *want, "no expectation for %s", name);
        ck_assert_msg(cer_did_pubkey(&pk, did) == want[i].rc, "%s: %s", name, cer_errmsg());
        /* what js verified resolved */
        if (cJSON_IsTrue(cJSON_GetObjectItem(c, "valid")))
            ck_assert_int_eq(want[i].rc, 0);
        if (want[i].rc == 0) {
            tu_assert_hex(pk.bytes, pk.len, tu_str(c, "pubkey_hex"));
            ck_assert_int_eq(cer_did_from_pubkey(back, sizeof back, &pk), (int)strlen(did));
            ck_assert_str_eq(back, did);
        }
        n++;
    }
    ck_assert_uint_eq(n, sizeof want / sizeof *want);
    cJSON_Delete(v);
}
END_TEST

/* ECDSA secrets must be in 1..n-1; key types by name. */
START_TEST(test_ecdsa_secrets)
{
    /* the secp256k1 and P-256 group orders */
    static const char *orders[] = {
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    };
    static const cer_keytype types[] = {CER_KEY_SECP256K1, CER_KEY_P256};
    uint8_t zero[32] = {0}, one[32] = {0};
    cer_keytype t;
    cer_key key;

    one[31] = 1;
    for (int i = 0; i < 2; i++) {
        size_t n;
        uint8_t *order = tu_unhex(orders[i], &n);

        ck_assert_int_eq(cer_key_from_secret(&key, types[i], zero), -EINVAL);
        ck_assert_int_eq(cer_key_from_secret(&key, types[i], order), -EINVAL);
        order[31]--;
        ck_assert_int_eq(cer_key_from_secret(&key, types[i], order), 0);   /* n - 1 */
        ck_assert_int_eq(cer_key_from_secret(&key, types[i], one), 0);
        free(order);
    }
    ck_assert_int_eq(cer_keytype_parse(&t, "p256"), 0);
    ck_assert_int_eq(t, CER_KEY_P256);
    ck_assert_int_eq(cer_keytype_parse(&t, "P-256"), -EINVAL);
    ck_assert_int_eq(cer_keytype_parse(&t, NULL), -EINVAL);
    ck_assert_int_eq(cer_key_from_secret(&key, (cer_keytype)7, one), -EINVAL);
}
END_TEST

/* Key files of every type round-trip; the type prefix is checked. */
START_TEST(test_key_file_types)
{
    static const cer_keytype types[] = {CER_KEY_ED25519, CER_KEY_SECP256K1, CER_KEY_P256};
    static const char *prefix[] = {"", "secp256k1:", "p256:"};
    char *dir = make_tmpdir(), path[256], text[128];
    cer_key key, back;

    snprintf(path, sizeof path, "%s/key", dir);
    for (int i = 0; i < 3; i++) {
        FILE *f;
        size_t n;
        char *hex;

        ck_assert_int_eq(cer_key_generate_type(&key, types[i]), 0);
        ck_assert_int_eq(cer_key_save_file(&key, path), 0);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        hex = tu_hex(key.seed, 32);
        ck_assert_uint_eq(n, strlen(prefix[i]) + 65);
        ck_assert(strncmp(text, prefix[i], strlen(prefix[i])) == 0);
        ck_assert_mem_eq(text + strlen(prefix[i]), hex, 64);
        free(hex);
        ck_assert_int_eq(cer_key_load_file(&back, path), 0);
        ck_assert_int_eq(back.type, types[i]);
        ck_assert_str_eq(back.did, key.did);
        ck_assert_mem_eq(back.seed, key.seed, 32);
    }
    write_file(path, "ed25519:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);
    expect_load_fail(path, -EINVAL, "unknown key type");
    write_file(path, "p384:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);
    expect_load_fail(path, -EINVAL, "unknown key type");
    write_file(path, "p256:0000000000000000000000000000000000000000000000000000000000000000\n", 0600);
    expect_load_fail(path, -EINVAL, "P-256 secret");
    write_file(path, "secp256k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n", 0600);
    expect_load_fail(path, -EINVAL, "wrong length");
    write_file(path, "secp256k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n", 0600);
    expect_load_fail(path, -EINVAL, "longer");
    cer_key_wipe(&key);
    cer_key_wipe(&back);
    cleanup_dir(dir);
}
END_TEST

static Suite *didkey_suite(void)
{
    Suite *s = suite_create("didkey");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_lifted_pubkey_did);
    tcase_add_test(tc, test_seed_vector);
    tcase_add_test(tc, test_generate_round_trip);
    tcase_add_test(tc, test_output_space);
    tcase_add_test(tc, test_ecdsa_key_types);
    tcase_add_test(tc, test_malformed_dids);
    tcase_add_test(tc, test_key_file_round_trip);
    tcase_add_test(tc, test_key_file_seed_vector);
    tcase_add_test(tc, test_key_file_refusals);
    tcase_add_test(tc, test_key_file_relative);
    tcase_add_test(tc, test_js_ecdsa_keys);
    tcase_add_test(tc, test_js_did_forms);
    tcase_add_test(tc, test_ecdsa_secrets);
    tcase_add_test(tc, test_key_file_types);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(didkey_suite)
