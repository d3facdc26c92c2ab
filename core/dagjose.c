/*
 * dagjose.c — DAG-JOSE (codec 0x85) blocks holding a JWS over a CID, and
 * JWS signing/verification with did:key identities: EdDSA (libsodium),
 * ES256K, ES256K-R and ES256 (ecdsa.c), each only with its key type.
 *
 * On the wire a JWS is the DAG-CBOR map
 *   {payload: bytes, signatures: [{header?: map, protected: bytes, signature: bytes}]}
 * where payload is the binary CID of the signed commit and protected is
 * the raw protected-header JSON. The signing input is the JWS one:
 *   b64u(protected) "." b64u(payload)
 * (core/README.md, "Blocks"; https://ipld.io/specs/codecs/dag-jose/spec/).
 * JWE envelopes are not supported.
 */
#include "dagjose.h"
#include "buf.h"
#include "cid.h"
#include "dagcbor.h"
#include "ecdsa.h"
#include "error.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Every algorithm's signature is 64 bytes (ES256K-R's 65 are verified,
 * never made). */
#define SIG_BYTES 64

void cer_jws_free(cer_jws *jws)
{
    for (size_t i = 0; i < jws->nsigs; i++) {
        free(jws->sigs[i].protected_hdr);
        free(jws->sigs[i].header_cbor);
        free(jws->sigs[i].signature);
    }
    free(jws->sigs);
    free(jws->payload);
    memset(jws, 0, sizeof *jws);
}

/* Copy the bytes of a dag-json {"/": {"bytes": ...}} value into a new buffer. */
static int dup_bytes(uint8_t **out, size_t *len, const cJSON *v, const char *what)
{
    const cJSON *slash = cJSON_GetObjectItemCaseSensitive(v, "/");
    const cJSON *b = slash ? cJSON_GetObjectItemCaseSensitive(slash, "bytes") : NULL;
    size_t cap;
    int n;

    if (!cJSON_IsString(b))
        return cer_err(-EINVAL, "dag-jose: %s is not a byte string", what);
    cap = strlen(b->valuestring) * 3 / 4 + 3;
    if (!(*out = malloc(cap)))
        return cer_err(-ENOMEM, "dag-jose: out of memory");
    n = cer_base_decode(*out, cap, CER_BASE64, b->valuestring, strlen(b->valuestring));
    if (n < 0) {
        free(*out);
        *out = NULL;
        return cer_err_wrap(n, "dag-jose: %s", what);
    }
    *len = (size_t)n;
    return 0;
}

static int decode_sig(cer_jws_sig *sig, const cJSON *m)
{
    const cJSON *it;
    int rc;

    if (!cJSON_IsObject(m))
        return cer_err(-EINVAL, "dag-jose: signature entry is not a map");
    cJSON_ArrayForEach(it, m) {
        if (strcmp(it->string, "protected") == 0) {
            rc = dup_bytes(&sig->protected_hdr, &sig->protected_len, it, "protected");
        } else if (strcmp(it->string, "signature") == 0) {
            rc = dup_bytes(&sig->signature, &sig->signature_len, it, "signature");
        } else if (strcmp(it->string, "header") == 0) {
            cer_buf b = CER_BUF_INIT;
            if (!cJSON_IsObject(it) || cJSON_GetObjectItemCaseSensitive(it, "/"))
                return cer_err(-EINVAL, "dag-jose: unprotected header is not a map");
            rc = cer_dagcbor_encode(&b, it, CER_DAGJSON);
            sig->header_cbor = b.data;
            sig->header_len = b.len;
        } else {
            return cer_err(-EINVAL, "dag-jose: unexpected key '%.32s' in signature", it->string);
        }
        if (rc < 0)
            return rc;
    }
    if (!sig->protected_hdr)
        return cer_err(-EINVAL, "dag-jose: signature without protected header");
    if (!sig->signature)
        return cer_err(-EINVAL, "dag-jose: signature entry without signature");
    return 0;
}

int cer_dagjose_decode(cer_jws *out, const uint8_t *block, size_t len)
{
    cJSON *root = NULL;
    const cJSON *it, *sigs = NULL, *payload = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cer_dagcbor_decode(&root, block, len)) < 0)
        return cer_err_wrap(rc, "dag-jose");
    if (!cJSON_IsObject(root) || cJSON_GetObjectItemCaseSensitive(root, "/")) {
        rc = cer_err(-EINVAL, "dag-jose: block is not a map");
        goto out;
    }
    cJSON_ArrayForEach(it, root) {
        if (strcmp(it->string, "payload") == 0)
            payload = it;
        else if (strcmp(it->string, "signatures") == 0)
            sigs = it;
        else if (strcmp(it->string, "ciphertext") == 0 || strcmp(it->string, "recipients") == 0)
            { rc = cer_err(-ENOTSUP, "dag-jose: JWE (encrypted) blocks are not supported"); goto out; }
        else
            { rc = cer_err(-EINVAL, "dag-jose: unexpected key '%.32s'", it->string); goto out; }
    }
    if (!payload || !sigs) {
        rc = cer_err(-EINVAL, "dag-jose: missing %s", payload ? "signatures" : "payload");
        goto out;
    }
    if ((rc = dup_bytes(&out->payload, &out->payload_len, payload, "payload")) < 0)
        goto out;
    if (cer_cid_from_bytes(&out->link, out->payload, out->payload_len) == (int)out->payload_len)
        out->has_link = true;
    cer_errclear();
    if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) < 1) {
        rc = cer_err(-EINVAL, "dag-jose: signatures must be a non-empty array");
        goto out;
    }
    out->sigs = calloc((size_t)cJSON_GetArraySize(sigs), sizeof *out->sigs);
    if (!out->sigs) {
        rc = cer_err(-ENOMEM, "dag-jose: out of memory");
        goto out;
    }
    cJSON_ArrayForEach(it, sigs) {
        rc = decode_sig(&out->sigs[out->nsigs++], it);
        if (rc < 0)
            goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc < 0)
        cer_jws_free(out);
    return rc;
}

int cer_dagjose_encode(cer_buf *out, const cer_jws *jws)
{
    cer_cbor_w w = CER_CBOR_W_INIT(out);

    if (jws->nsigs == 0)
        return cer_err(-EINVAL, "dag-jose: no signatures");
    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "payload");
    cer_cbor_w_bytes(&w, jws->payload, jws->payload_len);
    cer_cbor_w_text(&w, "signatures");
    cer_cbor_w_array(&w, jws->nsigs);
    for (size_t i = 0; i < jws->nsigs; i++) {
        const cer_jws_sig *s = &jws->sigs[i];
        cer_cbor_w_map(&w, s->header_cbor ? 3 : 2);
        if (s->header_cbor) {
            cer_cbor_w_text(&w, "header");
            if (w.err == 0)
                w.err = cer_buf_append(out, s->header_cbor, s->header_len);
        }
        cer_cbor_w_text(&w, "protected");
        cer_cbor_w_bytes(&w, s->protected_hdr, s->protected_len);
        cer_cbor_w_text(&w, "signature");
        cer_cbor_w_bytes(&w, s->signature, s->signature_len);
    }
    return w.err;
}

int cer_jws_protected_header(cer_buf *out, const char *alg, const char *kid, const char *cap)
{
    cJSON *o = NULL;
    char *s = NULL;
    int rc;

    /* JSON.stringify of js-did's key-sorted {alg, cap?, kid}. A did:key
     * kid and an ipfs:// cap are plain ASCII with nothing to escape, so
     * they are written directly (the common case, on every commit);
     * anything else goes through the printer. alg is one of ours. */
    static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:#.-_/";
    if (strspn(kid, plain) == strlen(kid) && (!cap || strspn(cap, plain) == strlen(cap))) {
        if ((rc = cer_buf_puts(out, "{\"alg\":\"")) == 0 && (rc = cer_buf_puts(out, alg)) == 0 &&
            (!cap || ((rc = cer_buf_puts(out, "\",\"cap\":\"")) == 0 && (rc = cer_buf_puts(out, cap)) == 0)) &&
            (rc = cer_buf_puts(out, "\",\"kid\":\"")) == 0 && (rc = cer_buf_puts(out, kid)) == 0)
            rc = cer_buf_puts(out, "\"}");
        return rc;
    }
    if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "alg", alg) ||
        (cap && !cJSON_AddStringToObject(o, "cap", cap)) || !cJSON_AddStringToObject(o, "kid", kid)) {
        rc = cer_err(-ENOMEM, "jws: out of memory");
        goto out;
    }
    if ((rc = cer_json_print(&s, o, 0)) == 0)
        rc = cer_buf_puts(out, s);
out:
    free(s);
    cJSON_Delete(o);
    return rc;
}

/* b64u(protected) "." b64u(payload) */
static int signing_input(cer_buf *out, const cer_jws *jws, const cer_jws_sig *s)
{
    size_t cap = cer_base_encoded_max(CER_BASE64URL, s->protected_len) +
                 cer_base_encoded_max(CER_BASE64URL, jws->payload_len) + 1;
    int rc, n;

    if ((rc = cer_buf_reserve(out, cap)) < 0)
        return rc;
    n = cer_base_encode((char *)out->data, out->cap, CER_BASE64URL, s->protected_hdr, s->protected_len);
    if (n < 0)
        return n;
    out->data[n++] = '.';
    rc = cer_base_encode((char *)out->data + n, out->cap - (size_t)n, CER_BASE64URL, jws->payload,
                         jws->payload_len);
    if (rc < 0)
        return rc;
    out->len = (size_t)(n + rc);
    return 0;
}

/* The algorithm js-did's provider of each key type signs with. */
static const char *const sign_alg[] = {
    [CER_KEY_ED25519] = "EdDSA",    /* key-did-provider-ed25519 */
    [CER_KEY_SECP256K1] = "ES256K", /* @didtools/key-secp256k1 */
    [CER_KEY_P256] = "ES256",       /* @didtools/key-webcrypto */
};

/* The signature of input by key: 64 bytes for every key type. */
static int sign_input(uint8_t sig[64], const cer_key *key, const cer_buf *input)
{
    uint8_t hash[32];

    if (key->type == CER_KEY_ED25519) {
        crypto_sign_detached(sig, NULL, input->data, input->len, key->sk);
        return 0;
    }
    cer_sha256(hash, input->data, input->len);
    return cer_ec_sign(key->type, sig, hash, key->seed);
}

int cer_jws_sign_bytes(cer_jws *out, const cer_key *key, const uint8_t *payload, size_t len)
{
    char kid[CER_KID_MAX], cap[CER_CID_STR_MAX + 8];
    cer_buf hdr = CER_BUF_INIT, input = CER_BUF_INIT;
    int rc;

    memset(out, 0, sizeof *out);
    if ((unsigned)key->type >= sizeof sign_alg / sizeof *sign_alg)
        return cer_err(-EINVAL, "jws: unknown key type %d", (int)key->type);
    if (key->has_cap) {
        snprintf(cap, sizeof cap, "ipfs://");
        if ((rc = cer_cid_to_string(cap + 7, sizeof cap - 7, &key->cap)) < 0)
            return rc;
    }
    if ((rc = cer_key_kid(kid, sizeof kid, key)) < 0 ||
        (rc = cer_jws_protected_header(&hdr, sign_alg[key->type], kid, key->has_cap ? cap : NULL)) < 0)
        goto out;
    out->payload = malloc(len ? len : 1);
    out->sigs = calloc(1, sizeof *out->sigs);
    if (!out->payload || !out->sigs || !(out->sigs[0].signature = malloc(SIG_BYTES))) {
        rc = cer_err(-ENOMEM, "jws: out of memory");
        goto out;
    }
    memcpy(out->payload, payload, len);
    out->payload_len = len;
    out->nsigs = 1;
    out->sigs[0].protected_len = hdr.len;
    out->sigs[0].protected_hdr = cer_buf_detach(&hdr);
    out->sigs[0].signature_len = SIG_BYTES;
    if ((rc = signing_input(&input, out, &out->sigs[0])) < 0 ||
        (rc = sign_input(out->sigs[0].signature, key, &input)) < 0)
        goto out;
    rc = 0;
out:
    cer_buf_free(&hdr);
    cer_buf_free(&input);
    if (rc < 0)
        cer_jws_free(out);
    return rc;
}

int cer_jws_sign(cer_jws *out, const cer_key *key, const cer_cid *payload)
{
    uint8_t cidb[CER_CID_BYTES_MAX];
    int n, rc;

    memset(out, 0, sizeof *out);
    if ((n = cer_cid_to_bytes(cidb, sizeof cidb, payload)) < 0)
        return n;
    if ((rc = cer_jws_sign_bytes(out, key, cidb, (size_t)n)) < 0)
        return rc;
    out->has_link = true;
    out->link = *payload;
    return 0;
}

/* One base64url part of a compact JWS into a new buffer. */
static int compact_part(uint8_t **out, size_t *len, const char *s, size_t n, const char *what)
{
    int k;

    if (!(*out = malloc(n ? n : 1)))
        return cer_err(-ENOMEM, "jws: out of memory");
    if ((k = cer_base_decode(*out, n ? n : 1, CER_BASE64URL, s, n)) < 0)
        return cer_err(-EINVAL, "jws: the %s is not base64url", what);
    *len = (size_t)k;
    return 0;
}

int cer_jws_from_compact(cer_jws *out, const char *s, size_t len)
{
    const char *d1 = memchr(s, '.', len), *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s)) : NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - s)))
        return cer_err(-EINVAL, "jws: not a compact JWS (three base64url parts)");
    if (!(out->sigs = calloc(1, sizeof *out->sigs))) {
        rc = cer_err(-ENOMEM, "jws: out of memory");
        goto out;
    }
    out->nsigs = 1;
    if ((rc = compact_part(&out->sigs[0].protected_hdr, &out->sigs[0].protected_len, s, (size_t)(d1 - s),
                           "protected header")) < 0 ||
        (rc = compact_part(&out->payload, &out->payload_len, d1 + 1, (size_t)(d2 - d1 - 1), "payload")) < 0 ||
        (rc = compact_part(&out->sigs[0].signature, &out->sigs[0].signature_len, d2 + 1,
                           len - (size_t)(d2 + 1 - s), "signature")) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        cer_jws_free(out);
    return rc;
}

/* The JWS algorithms did-jwt 7.4.7 verifies (VerifierAlgorithm.ts), each
 * with the key type it may be used with. did-jwt itself tries whichever
 * verifier alg names against every key of the DID document; a key of
 * another curve then fails to parse or to verify, except by contrived
 * keys that parse on both curves, so the pairing is enforced here. */
enum { V_EDDSA, V_ECDSA, V_RECOVER };  /* libsodium; ecdsa.c verify; ecdsa.c recover */
static const struct {
    const char *alg;
    cer_keytype type;
    int verifier;
} algs[] = {
    {"EdDSA", CER_KEY_ED25519, V_EDDSA},
    {"Ed25519", CER_KEY_ED25519, V_EDDSA},       /* did-jwt: kept "for backwards compatibility" */
    {"ES256K", CER_KEY_SECP256K1, V_ECDSA},
    {"ES256K-R", CER_KEY_SECP256K1, V_RECOVER},  /* did-jwt: non-standard, kept too */
    {"ES256", CER_KEY_P256, V_ECDSA},
};

/* Verify the signature sig over input by pk with the verifier of alg. */
static int verify_alg(int verifier, const cer_pubkey *pk, const cer_buf *input, const uint8_t *sig,
                      size_t len)
{
    uint8_t hash[32];

    if (verifier == V_EDDSA) {
        if (len != crypto_sign_BYTES)
            return cer_err(-EKEYREJECTED, "EdDSA signature of %zu bytes, expected 64", len);
        if (crypto_sign_verify_detached(sig, input->data, input->len, pk->bytes) != 0)
            return cer_err(-EKEYREJECTED, "EdDSA signature does not verify");
        return 0;
    }
    cer_sha256(hash, input->data, input->len);
    return verifier == V_RECOVER ? cer_ec_recover_verify(pk, sig, len, hash) : cer_ec_verify(pk, sig, len, hash);
}

/* cer_jws_verify; with allow_cap a 'cap' header is left to the caller;
 * with keys (nkeys of them) the signature must be by one of those whose
 * type fits alg, as did-jwt tries every key of a DID document, and kid
 * is not resolved (the caller resolved it to keys). */
static int verify(const cer_jws *jws, size_t i, char *kid_out, size_t cap, bool allow_cap, const cer_pubkey *keys,
                  size_t nkeys)
{
    const cer_jws_sig *s;
    cJSON *hdr = NULL;
    const cJSON *alg, *kid;
    cer_pubkey pk;
    cer_buf input = CER_BUF_INIT;
    size_t a, tried = 0;
    int rc;

    if (i >= jws->nsigs)
        return cer_err(-EINVAL, "jws: no signature %zu", i);
    s = &jws->sigs[i];
    if ((rc = cer_json_parse(&hdr, (const char *)s->protected_hdr, s->protected_len, 0)) < 0) {
        rc = cer_err_wrap(rc, "jws: protected header");
        goto out;
    }
    if (!cJSON_IsObject(hdr)) {
        rc = cer_err(-EINVAL, "jws: protected header is not a JSON object");
        goto out;
    }
    alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    kid = cJSON_GetObjectItemCaseSensitive(hdr, "kid");
    if (!cJSON_IsString(alg) || !cJSON_IsString(kid)) {
        rc = cer_err(-EINVAL, "jws: protected header needs string 'alg' and 'kid'");
        goto out;
    }
    for (a = 0; a < sizeof algs / sizeof *algs && strcmp(alg->valuestring, algs[a].alg) != 0; a++)
        ;
    if (a == sizeof algs / sizeof *algs) {
        rc = cer_err(-ENOTSUP, "jws: algorithm '%.32s' is not supported (EdDSA, ES256K, ES256K-R, ES256)",
                     alg->valuestring);
        goto out;
    }
    if (!allow_cap && cJSON_GetObjectItemCaseSensitive(hdr, "cap")) {
        rc = cer_err(-ENOTSUP, "jws: CACAO capabilities ('cap') are not supported");
        goto out;
    }
    if (!keys) {
        if ((rc = cer_did_pubkey(&pk, kid->valuestring)) < 0) {
            rc = cer_err_wrap(rc, "jws: kid");
            goto out;
        }
        if (pk.type != algs[a].type) {
            rc = cer_err(-EKEYREJECTED, "jws: algorithm %s does not fit the %s key of %.128s", algs[a].alg,
                         cer_keytype_name(pk.type), kid->valuestring);
            goto out;
        }
        keys = &pk;
        nkeys = 1;
    }
    if ((rc = signing_input(&input, jws, s)) < 0)
        goto out;
    rc = cer_err(-EKEYREJECTED, "no %s key", cer_keytype_name(algs[a].type));
    for (size_t k = 0; k < nkeys && rc < 0; k++)
        if (keys[k].type == algs[a].type && ++tried)
            rc = verify_alg(algs[a].verifier, &keys[k], &input, s->signature, s->signature_len);
    if (rc < 0) {
        rc = cer_err_wrap(rc, "jws: invalid signature by %.128s", kid->valuestring);
        goto out;
    }
    if (kid_out && snprintf(kid_out, cap, "%s", kid->valuestring) >= (int)cap) {
        rc = cer_err(-ENOSPC, "jws: kid buffer too small");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(hdr);
    cer_buf_free(&input);
    return rc;
}

int cer_jws_verify(const cer_jws *jws, size_t i, char *kid_out, size_t cap)
{
    return verify(jws, i, kid_out, cap, false, NULL, 0);
}

int cer_jws_verify_signature(const cer_jws *jws, size_t i, char *kid_out, size_t cap)
{
    return verify(jws, i, kid_out, cap, true, NULL, 0);
}

int cer_jws_verify_keys(const cer_jws *jws, size_t i, const cer_pubkey *keys, size_t nkeys, char *kid_out,
                        size_t cap)
{
    return verify(jws, i, kid_out, cap, true, keys, nkeys);
}

int cer_jws_header(const cer_jws *jws, size_t i, const char *name, char *out, size_t cap)
{
    const cer_jws_sig *s;
    cJSON *hdr = NULL;
    const cJSON *v;
    int rc;

    out[0] = '\0';
    if (i >= jws->nsigs)
        return cer_err(-EINVAL, "jws: no signature %zu", i);
    s = &jws->sigs[i];
    if ((rc = cer_json_parse(&hdr, (const char *)s->protected_hdr, s->protected_len, 0)) < 0)
        return cer_err_wrap(rc, "jws: protected header");
    v = cJSON_GetObjectItemCaseSensitive(hdr, name);
    if (!v)
        rc = 0;
    else if (!cJSON_IsString(v) || snprintf(out, cap, "%s", v->valuestring) >= (int)cap)
        rc = cer_err(-EINVAL, "jws: '%s' is not a string of up to %zu bytes", name, cap - 1);
    else
        rc = 1;
    cJSON_Delete(hdr);
    return rc;
}

int cer_jws_compact(char **out, const cer_jws *jws, size_t i)
{
    const cer_jws_sig *s;
    cer_buf b = CER_BUF_INIT;
    size_t cap;
    int rc, n;

    *out = NULL;
    if (i >= jws->nsigs)
        return cer_err(-EINVAL, "jws: no signature %zu", i);
    s = &jws->sigs[i];
    if ((rc = signing_input(&b, jws, s)) < 0)
        goto out;
    cap = cer_base_encoded_max(CER_BASE64URL, s->signature_len) + 1;
    if ((rc = cer_buf_reserve(&b, cap)) < 0)
        goto out;
    b.data[b.len++] = '.';
    n = cer_base_encode((char *)b.data + b.len, b.cap - b.len, CER_BASE64URL, s->signature, s->signature_len);
    if ((rc = n) < 0)
        goto out;
    b.len += (size_t)n;
    *out = (char *)cer_buf_detach(&b);
    rc = 0;
out:
    cer_buf_free(&b);
    return rc;
}
