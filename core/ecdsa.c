/*
 * ecdsa.c — ECDSA over secp256k1 (libsecp256k1, with its recovery module)
 * and P-256 (OpenSSL) for did:key keys and their JWS (ES256K, ES256K-R,
 * ES256). No curve arithmetic here: the libraries do all of it.
 *
 * What js-ceramic 2.x accepts (key-did-resolver 3.0.0, did-jwt 7.4.7 and
 * @noble/curves 1.9.7, the versions of its package tree), rule by rule:
 *
 *  - secp256k1 did:key: key-did-resolver passes the bytes through as
 *    publicKeyBase58; did-jwt hands them to noble's Point.fromHex, which
 *    takes 33 bytes 02/03 || x or 65 bytes 04 || x || y, a point of the
 *    curve with coordinates below p, nothing else.
 *  - P-256 did:key: key-did-resolver (secp256r1.ts, nist-weierstrauss)
 *    takes 64 raw bytes x || y, 65 bytes 04 || x || y or 33 bytes
 *    02/03 || x (decompressed without a check), and did-jwt's
 *    extractPublicKeyBytes rebuilds the point with noble's assertValidity:
 *    coordinates below p, on the curve.
 *  - ES256K (verifyES256K): exactly 64 bytes r || s; noble's
 *    Signature.fromCompact refuses r or s outside 1..n-1; the signature is
 *    then normalizeS()'d, so a high-S signature verifies as its low-S twin.
 *  - ES256K-R (verifyRecoverableES256K): 65 bytes r || s || recovery id
 *    (0..3, noble's recoverPublicKey), or 64 bytes with ids 0 and 1 tried;
 *    no low-S rule; the recovered key must be the DID's key (compressed
 *    or uncompressed, as the DID holds it).
 *  - ES256 (verifyES256): exactly 64 bytes, r and s in 1..n-1, and
 *    p256.verify with noble's P-256 default lowS: false, so high S is
 *    accepted as it is.
 *  - The hash is SHA-256 of the signing input, used whole (32 bytes, the
 *    size of both curves' order).
 *
 * Signing follows js-did's providers: @didtools/key-secp256k1 signs with
 * did-jwt's ES256KSigner (noble: RFC 6979, low S), which libsecp256k1's
 * default nonce function reproduces byte for byte; @didtools/key-webcrypto
 * signs P-256 with WebCrypto (random k, S not normalised), as OpenSSL does.
 */
#include "ecdsa.h"
#include "error.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>
#include <string.h>

/* ---- secp256k1 ---- */

static secp256k1_context *k1_ctx;
static pthread_once_t k1_once = PTHREAD_ONCE_INIT;

/* One context for the process, read-only once made (libsecp256k1 allows
 * concurrent use of a const context). Blinded with random bytes. */
static void k1_init(void)
{
    uint8_t seed[32];

    k1_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (k1_ctx && sodium_init() >= 0) {
        randombytes_buf(seed, sizeof seed);
        if (!secp256k1_context_randomize(k1_ctx, seed)) {
            secp256k1_context_destroy(k1_ctx);
            k1_ctx = NULL;
        }
        sodium_memzero(seed, sizeof seed);
    }
}

static const secp256k1_context *k1(void)
{
    pthread_once(&k1_once, k1_init);
    return k1_ctx;
}

static int k1_parse(secp256k1_pubkey *out, const uint8_t *pk, size_t len)
{
    if (!k1())
        return cer_err(-ENOMEM, "secp256k1: cannot make a context");
    /* libsecp256k1 also parses the "hybrid" 06/07 form; noble does not */
    if (!((len == 33 && (pk[0] == 0x02 || pk[0] == 0x03)) || (len == 65 && pk[0] == 0x04)))
        return cer_err(-EINVAL, "secp256k1 key of %zu bytes: expected 33 (02/03 ...) or 65 (04 ...)", len);
    if (!secp256k1_ec_pubkey_parse(k1(), out, pk, len))
        return cer_err(-EINVAL, "secp256k1 key is not a point of the curve");
    return 0;
}

static int k1_verify(const cer_pubkey *pk, const uint8_t *sig, size_t len, const uint8_t hash[32])
{
    secp256k1_ecdsa_signature s;
    secp256k1_pubkey p;
    int rc;

    if (len != 64)
        return cer_err(-EKEYREJECTED, "ES256K signature of %zu bytes, expected 64", len);
    if ((rc = k1_parse(&p, pk->bytes, pk->len)) < 0)
        return rc;
    /* parse_compact refuses r or s >= n; verify refuses r or s = 0 */
    if (!secp256k1_ecdsa_signature_parse_compact(k1(), &s, sig))
        return cer_err(-EKEYREJECTED, "ES256K signature: r or s not below the curve order");
    secp256k1_ecdsa_signature_normalize(k1(), &s, &s);  /* did-jwt: normalizeS() */
    if (!secp256k1_ecdsa_verify(k1(), &s, hash, &p))
        return cer_err(-EKEYREJECTED, "ES256K signature does not verify");
    return 0;
}

int cer_k1_recover(uint8_t pub[65], const uint8_t sig[64], int rec, const uint8_t hash[32])
{
    secp256k1_ecdsa_recoverable_signature s;
    secp256k1_pubkey q;
    size_t n = 65;

    if (!k1())
        return cer_err(-ENOMEM, "secp256k1: cannot make a context");
    /* parse_compact refuses r or s >= n and ids above 3; recover refuses
     * r or s = 0 and an r that is no point's x; any S is taken */
    if (rec < 0 || rec > 3 || !secp256k1_ecdsa_recoverable_signature_parse_compact(k1(), &s, sig, rec) ||
        !secp256k1_ecdsa_recover(k1(), &q, &s, hash))
        return cer_err(-EKEYREJECTED, "secp256k1: no key recovers from this signature");
    secp256k1_ec_pubkey_serialize(k1(), pub, &n, &q, SECP256K1_EC_UNCOMPRESSED);
    return 0;
}

int cer_k1_pubkey_uncompressed(uint8_t pub[65], const uint8_t secret[32])
{
    secp256k1_pubkey p;
    size_t n = 65;

    if (!k1())
        return cer_err(-ENOMEM, "secp256k1: cannot make a context");
    if (!secp256k1_ec_seckey_verify(k1(), secret) || !secp256k1_ec_pubkey_create(k1(), &p, secret))
        return cer_err(-EINVAL, "secp256k1 secret is 0 or not below the curve order");
    secp256k1_ec_pubkey_serialize(k1(), pub, &n, &p, SECP256K1_EC_UNCOMPRESSED);
    return 0;
}

int cer_k1_sign_recoverable(uint8_t sig[64], int *rec, const uint8_t hash[32], const uint8_t secret[32])
{
    secp256k1_ecdsa_recoverable_signature s;

    if (!k1())
        return cer_err(-ENOMEM, "secp256k1: cannot make a context");
    /* RFC 6979, low S: what ethers' SigningKey#signDigest gives */
    if (!secp256k1_ecdsa_sign_recoverable(k1(), &s, hash, secret, NULL, NULL))
        return cer_err(-EINVAL, "secp256k1: cannot sign with this secret");
    secp256k1_ecdsa_recoverable_signature_serialize_compact(k1(), sig, rec, &s);
    return 0;
}

/* Whether the key recovered with recovery id rec is pk. */
static bool k1_recovers(const cer_pubkey *pk, const uint8_t sig[64], int rec, const uint8_t hash[32])
{
    secp256k1_pubkey q;
    uint8_t full[65], out[65];
    size_t n = pk->len;

    if (cer_k1_recover(full, sig, rec, hash) < 0 || !secp256k1_ec_pubkey_parse(k1(), &q, full, 65))
        return false;
    secp256k1_ec_pubkey_serialize(k1(), out, &n, &q,
                                  pk->len == 33 ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
    return n == pk->len && memcmp(out, pk->bytes, n) == 0;
}

int cer_ec_recover_verify(const cer_pubkey *pk, const uint8_t *sig, size_t len, const uint8_t hash[32])
{
    secp256k1_pubkey p;
    int rc;

    if (pk->type != CER_KEY_SECP256K1)
        return cer_err(-EKEYREJECTED, "ES256K-R needs a secp256k1 key");
    if ((rc = k1_parse(&p, pk->bytes, pk->len)) < 0)
        return rc;
    if (len == 65) {
        if (sig[64] > 3)
            return cer_err(-EKEYREJECTED, "ES256K-R recovery id %u, expected 0..3", sig[64]);
        if (k1_recovers(pk, sig, sig[64], hash))
            return 0;
    } else if (len == 64) {
        if (k1_recovers(pk, sig, 0, hash) || k1_recovers(pk, sig, 1, hash))
            return 0;
    } else {
        return cer_err(-EKEYREJECTED, "ES256K-R signature of %zu bytes, expected 64 or 65", len);
    }
    return cer_err(-EKEYREJECTED, "ES256K-R signature does not recover the signer's key");
}

/* ---- P-256 ---- */

/* The SEC1 encoding OpenSSL reads: a raw 64-byte x || y gets its 04. */
static int p256_octets(uint8_t out[65], size_t *outlen, const uint8_t *pk, size_t len)
{
    if (len == 64) {
        out[0] = 0x04;
        memcpy(out + 1, pk, 64);
        *outlen = 65;
        return 0;
    }
    /* OpenSSL also reads 06/07 (hybrid) and a lone 00; key-did-resolver does not */
    if (!((len == 33 && (pk[0] == 0x02 || pk[0] == 0x03)) || (len == 65 && pk[0] == 0x04)))
        return cer_err(-EINVAL, "P-256 key of %zu bytes: expected 33 (02/03 ...), 65 (04 ...) or 64 (x y)",
                       len);
    memcpy(out, pk, len);
    *outlen = len;
    return 0;
}

static int p256_point_check(const uint8_t *oct, size_t len)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *p = g ? EC_POINT_new(g) : NULL;
    int rc = 0;

    if (!p)
        rc = cer_err(-ENOMEM, "P-256: out of memory");
    /* oct2point refuses coordinates >= p and points off the curve */
    else if (EC_POINT_oct2point(g, p, oct, len, NULL) != 1 || EC_POINT_is_on_curve(g, p, NULL) != 1)
        rc = cer_err(-EINVAL, "P-256 key is not a point of the curve");
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return rc;
}

/* An EVP_PKEY of the P-256 public point oct (and of secret when not NULL). */
static int p256_pkey(EVP_PKEY **out, const uint8_t *oct, size_t len, const BIGNUM *secret)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int rc = -ENOMEM;

    *out = NULL;
    if (!b || !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, oct, len) ||
        (secret && !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, secret)) ||
        !(params = OSSL_PARAM_BLD_to_param(b)) || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)))
        goto out;
    rc = -EINVAL;
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, secret ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    rc = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    if (rc < 0)
        return cer_err(rc, "P-256: cannot make the key (%s)", rc == -ENOMEM ? "out of memory" : "OpenSSL");
    return 0;
}

/* Whether 1 <= x < n for the P-256 group order n. */
static bool p256_in_order(const BIGNUM *x)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    bool ok = g && !BN_is_zero(x) && !BN_is_negative(x) && BN_cmp(x, EC_GROUP_get0_order(g)) < 0;

    EC_GROUP_free(g);
    return ok;
}

static int p256_verify(const cer_pubkey *pk, const uint8_t *sig, size_t len, const uint8_t hash[32])
{
    uint8_t oct[65], *der = NULL;
    size_t octlen;
    BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = NULL;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int rc, derlen;

    if (len != 64)
        return cer_err(-EKEYREJECTED, "ES256 signature of %zu bytes, expected 64", len);
    if ((rc = p256_octets(oct, &octlen, pk->bytes, pk->len)) < 0 || (rc = p256_point_check(oct, octlen)) < 0)
        return rc;
    if (!(r = BN_bin2bn(sig, 32, NULL)) || !(s = BN_bin2bn(sig + 32, 32, NULL))) {
        rc = cer_err(-ENOMEM, "P-256: out of memory");
        goto out;
    }
    /* noble's Signature.fromCompact: 1 <= r, s < n; no low-S rule */
    if (!p256_in_order(r) || !p256_in_order(s)) {
        rc = cer_err(-EKEYREJECTED, "ES256 signature: r or s not in 1..n-1");
        goto out;
    }
    if (!(es = ECDSA_SIG_new()) || !ECDSA_SIG_set0(es, r, s)) {
        rc = cer_err(-ENOMEM, "P-256: out of memory");
        goto out;
    }
    r = s = NULL;  /* es owns them */
    if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0) {
        rc = cer_err(-ENOMEM, "P-256: out of memory");
        goto out;
    }
    if ((rc = p256_pkey(&key, oct, octlen, NULL)) < 0)
        goto out;
    if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) || EVP_PKEY_verify_init(ctx) != 1) {
        rc = cer_err(-ENOMEM, "P-256: cannot verify (OpenSSL)");
        goto out;
    }
    rc = EVP_PKEY_verify(ctx, der, (size_t)derlen, hash, 32) == 1
             ? 0
             : cer_err(-EKEYREJECTED, "ES256 signature does not verify");
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    return rc;
}

/* The secret scalar as a BIGNUM checked to be in 1..n-1, and its
 * compressed public point. */
static int p256_secret(BIGNUM **d, uint8_t pk[33], const uint8_t secret[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *p = g ? EC_POINT_new(g) : NULL;
    int rc = -ENOMEM;

    if (!p || !(*d = BN_secure_new()) || !BN_bin2bn(secret, 32, *d))
        goto out;
    if (BN_is_zero(*d) || BN_cmp(*d, EC_GROUP_get0_order(g)) >= 0) {
        rc = -EINVAL;
        goto out;
    }
    if (EC_POINT_mul(g, p, *d, NULL, NULL, NULL) != 1 ||
        EC_POINT_point2oct(g, p, POINT_CONVERSION_COMPRESSED, pk, 33, NULL) != 33)
        goto out;
    rc = 0;
out:
    EC_POINT_free(p);
    EC_GROUP_free(g);
    if (rc < 0) {
        BN_clear_free(*d);
        *d = NULL;
        return rc == -EINVAL ? cer_err(rc, "P-256 secret is 0 or not below the curve order")
                             : cer_err(rc, "P-256: cannot make the public key (OpenSSL)");
    }
    return 0;
}

static int p256_sign(uint8_t sig[64], const uint8_t hash[32], const uint8_t secret[32])
{
    uint8_t pk[33], der[80];
    const uint8_t *p = der;
    size_t derlen = sizeof der;
    BIGNUM *d = NULL;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    ECDSA_SIG *es = NULL;
    int rc;

    if ((rc = p256_secret(&d, pk, secret)) < 0 || (rc = p256_pkey(&key, pk, sizeof pk, d)) < 0)
        goto out;
    if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) || EVP_PKEY_sign_init(ctx) != 1 ||
        EVP_PKEY_sign(ctx, der, &derlen, hash, 32) != 1 || !(es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) ||
        BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) != 32 || BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) != 32) {
        rc = cer_err(-EIO, "P-256: signing failed (OpenSSL)");
        goto out;
    }
    rc = 0;
out:
    ECDSA_SIG_free(es);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    BN_clear_free(d);
    return rc;
}

/* ---- either curve ---- */

int cer_ec_pubkey_check(cer_keytype type, const uint8_t *pk, size_t len)
{
    secp256k1_pubkey p;
    uint8_t oct[65];
    size_t n;
    int rc;

    switch (type) {
    case CER_KEY_SECP256K1:
        return k1_parse(&p, pk, len);
    case CER_KEY_P256:
        if ((rc = p256_octets(oct, &n, pk, len)) < 0)
            return rc;
        rc = p256_point_check(oct, n);
        ERR_clear_error();  /* a refusal leaves OpenSSL's reasons queued */
        return rc;
    default:
        return cer_err(-EINVAL, "not an ECDSA key type");
    }
}

int cer_ec_pubkey_from_secret(cer_keytype type, uint8_t pk[33], const uint8_t secret[32])
{
    secp256k1_pubkey p;
    size_t n = 33;
    BIGNUM *d = NULL;
    int rc;

    switch (type) {
    case CER_KEY_SECP256K1:
        if (!k1())
            return cer_err(-ENOMEM, "secp256k1: cannot make a context");
        if (!secp256k1_ec_seckey_verify(k1(), secret) || !secp256k1_ec_pubkey_create(k1(), &p, secret))
            return cer_err(-EINVAL, "secp256k1 secret is 0 or not below the curve order");
        secp256k1_ec_pubkey_serialize(k1(), pk, &n, &p, SECP256K1_EC_COMPRESSED);
        return 0;
    case CER_KEY_P256:
        rc = p256_secret(&d, pk, secret);
        BN_clear_free(d);
        ERR_clear_error();
        return rc;
    default:
        return cer_err(-EINVAL, "not an ECDSA key type");
    }
}

int cer_ec_sign(cer_keytype type, uint8_t sig[64], const uint8_t hash[32], const uint8_t secret[32])
{
    secp256k1_ecdsa_signature s;
    int rc;

    switch (type) {
    case CER_KEY_SECP256K1:
        if (!k1())
            return cer_err(-ENOMEM, "secp256k1: cannot make a context");
        /* NULL nonce function: RFC 6979 with HMAC-SHA256; the result is low S */
        if (!secp256k1_ecdsa_sign(k1(), &s, hash, secret, NULL, NULL))
            return cer_err(-EINVAL, "secp256k1: cannot sign with this secret");
        secp256k1_ecdsa_signature_serialize_compact(k1(), sig, &s);
        return 0;
    case CER_KEY_P256:
        rc = p256_sign(sig, hash, secret);
        ERR_clear_error();
        return rc;
    default:
        return cer_err(-EINVAL, "not an ECDSA key type");
    }
}

int cer_ec_verify(const cer_pubkey *pk, const uint8_t *sig, size_t len, const uint8_t hash[32])
{
    int rc;

    switch (pk->type) {
    case CER_KEY_SECP256K1:
        return k1_verify(pk, sig, len, hash);
    case CER_KEY_P256:
        rc = p256_verify(pk, sig, len, hash);
        ERR_clear_error();
        return rc;
    default:
        return cer_err(-EINVAL, "not an ECDSA key type");
    }
}
