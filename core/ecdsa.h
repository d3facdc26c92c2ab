/*
 * ecdsa.h — ECDSA over secp256k1 (libsecp256k1) and P-256 (OpenSSL) for
 * did:key and JWS: point checks, public keys, signing and verification
 * with the rules js-ceramic's libraries apply (internal).
 *
 * Signatures are the JWS form: r || s, 32 bytes each, big-endian; hashes
 * the 32-byte SHA-256 of the signing input. type is CER_KEY_SECP256K1 or
 * CER_KEY_P256.
 */
#ifndef CER_ECDSA_H
#define CER_ECDSA_H

#include "ceramic.h"

/* 0 when pk (len bytes) is a point of the curve in a form key-did-resolver
 * resolves, -EINVAL otherwise. */
int cer_ec_pubkey_check(cer_keytype type, const uint8_t *pk, size_t len);
/* The compressed public key of a secret scalar; -EINVAL when the scalar
 * is 0 or not below the curve order. */
int cer_ec_pubkey_from_secret(cer_keytype type, uint8_t pk[33], const uint8_t secret[32]);
/* Sign hash with secret (secp256k1: RFC 6979, low S; P-256: random k). */
int cer_ec_sign(cer_keytype type, uint8_t sig[64], const uint8_t hash[32], const uint8_t secret[32]);
/* 0 when sig (len bytes) is a valid signature of hash by pk,
 * -EKEYREJECTED when not. */
int cer_ec_verify(const cer_pubkey *pk, const uint8_t *sig, size_t len, const uint8_t hash[32]);
/* ES256K-R: 0 when the key recovered from sig (64 bytes: recovery ids 0
 * and 1 are tried; 65 bytes: the last is the id, 0..3) and hash is pk
 * (secp256k1), -EKEYREJECTED when not. */
int cer_ec_recover_verify(const cer_pubkey *pk, const uint8_t *sig, size_t len, const uint8_t hash[32]);
/* secp256k1 public key recovery (uncompressed, 04 || x || y) from sig
 * (r || s) and recovery id rec (0..3); -EKEYREJECTED when none recovers. */
int cer_k1_recover(uint8_t pub[65], const uint8_t sig[64], int rec, const uint8_t hash[32]);
/* The uncompressed public key of a secp256k1 secret. */
int cer_k1_pubkey_uncompressed(uint8_t pub[65], const uint8_t secret[32]);
/* A recoverable secp256k1 signature of hash (RFC 6979, low S): r || s
 * and its recovery id. */
int cer_k1_sign_recoverable(uint8_t sig[64], int *rec, const uint8_t hash[32], const uint8_t secret[32]);

#endif
