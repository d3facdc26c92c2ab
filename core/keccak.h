/*
 * keccak.h — Keccak-f[1600] sponge: keccak-256 (Ethereum's hash: transaction
 * hashes, the eth-tx CID multihash 0x1b, function selectors) and, from the
 * same permutation, SHA3-256 (FIPS 202), which tests use as a second
 * reference. Internal to core/.
 */
#ifndef CER_KECCAK_H
#define CER_KECCAK_H

#include <stddef.h>
#include <stdint.h>

/* Keccak-256 as Ethereum uses it (original padding 0x01). */
void cer_keccak256(uint8_t out[32], const uint8_t *data, size_t len);
/* FIPS 202 SHA3-256 (padding 0x06). */
void cer_sha3_256(uint8_t out[32], const uint8_t *data, size_t len);

#endif
