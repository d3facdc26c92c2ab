/*
 * eip191.h — Ethereum's personal_sign (EIP-191 version 0x45) over a
 * message: the digest, the signer's address recovered from a signature
 * as ethers 5 (verifyMessage) recovers it, signing as a wallet does, and
 * addresses in EIP-55 mixed case (internal).
 */
#ifndef CER_EIP191_H
#define CER_EIP191_H

#include <stddef.h>
#include <stdint.h>

/* "0x" + 40 hex digits + NUL */
#define CER_ETH_ADDRESS_MAX 43

/* The lower-case address that signed msg with sig: 65 bytes r || s || v
 * (v 27/28, or 0/1; any other v >= 27 by its parity, as ethers'
 * splitSignature) or 64 bytes (EIP-2098: the parity in s's top bit).
 * -EKEYREJECTED with a reason when sig is no such signature. */
int cer_eip191_recover(char address[CER_ETH_ADDRESS_MAX], const uint8_t *msg, size_t len, const uint8_t *sig,
                       size_t siglen);
/* Sign msg with secret: 65 bytes r || s || v, v 27 or 28, low S. */
int cer_eip191_sign(uint8_t sig[65], const uint8_t *msg, size_t len, const uint8_t secret[32]);
/* The EIP-55 address of secret; -EINVAL when it is no secp256k1 secret. */
int cer_eth_address(char address[CER_ETH_ADDRESS_MAX], const uint8_t secret[32]);
/* Rewrite "0x" + 40 hex digits (any case) in EIP-55 mixed case. */
void cer_eth_checksum(char address[CER_ETH_ADDRESS_MAX]);

#endif
