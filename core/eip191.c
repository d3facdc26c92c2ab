/*
 * eip191.c — personal_sign: how an Ethereum account signs a text (a SIWE
 * message) and how @didtools/pkh-ethereum 0.1.0 checks it, through
 * ethers 5.8 verifyMessage: hashMessage (keccak-256 of the EIP-191 prefix,
 * the message's length in UTF-8 bytes and the message), splitSignature
 * and elliptic's recoverPubKey. The curve work is libsecp256k1's
 * (ecdsa.c), which refuses r or s outside 1..n-1 where elliptic would
 * compute something from them; no wallet makes such signatures.
 */
#include "eip191.h"
#include "ecdsa.h"
#include "error.h"
#include "keccak.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* keccak256("\x19Ethereum Signed Message:\n" + decimal byte length + msg). */
static int digest(uint8_t out[32], const uint8_t *msg, size_t len)
{
    static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
    char head[sizeof prefix + 24];
    int n = snprintf(head, sizeof head, "%s%zu", prefix, len);
    uint8_t *buf = malloc((size_t)n + len);

    if (!buf)
        return cer_err(-ENOMEM, "personal_sign: out of memory");
    memcpy(buf, head, (size_t)n);
    memcpy(buf + n, msg, len);
    cer_keccak256(out, buf, (size_t)n + len);
    free(buf);
    return 0;
}

/* The address of an uncompressed key: the last 20 bytes of keccak-256
 * of x || y, lower-case hex. */
static void address_of(char out[CER_ETH_ADDRESS_MAX], const uint8_t pub[65])
{
    uint8_t h[32];

    cer_keccak256(h, pub + 1, 64);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", h[12 + i]);
}

int cer_eip191_recover(char address[CER_ETH_ADDRESS_MAX], const uint8_t *msg, size_t len, const uint8_t *sig,
                       size_t siglen)
{
    uint8_t hash[32], rs[64], pub[65];
    int v, rc;

    address[0] = '\0';
    if (siglen != 64 && siglen != 65)
        return cer_err(-EKEYREJECTED, "personal_sign signature of %zu bytes, expected 65 (or 64)", siglen);
    memcpy(rs, sig, 64);
    if (siglen == 64) {  /* EIP-2098: y parity in the top bit of s */
        v = 27 + (rs[32] >> 7);
        rs[32] &= 0x7f;
    } else {
        v = sig[64];
        if (v == 0 || v == 1)
            v += 27;
        else if (v < 27)
            return cer_err(-EKEYREJECTED, "personal_sign signature: invalid v byte %d", v);
    }
    if ((rc = digest(hash, msg, len)) < 0 || (rc = cer_k1_recover(pub, rs, 1 - v % 2, hash)) < 0)
        return rc;
    address_of(address, pub);
    return 0;
}

int cer_eip191_sign(uint8_t sig[65], const uint8_t *msg, size_t len, const uint8_t secret[32])
{
    uint8_t hash[32];
    int rec, rc;

    if ((rc = digest(hash, msg, len)) < 0 || (rc = cer_k1_sign_recoverable(sig, &rec, hash, secret)) < 0)
        return rc;
    sig[64] = (uint8_t)(27 + rec);
    return 0;
}

void cer_eth_checksum(char a[CER_ETH_ADDRESS_MAX])
{
    uint8_t h[32];

    for (int i = 2; i < 42; i++)
        a[i] = (char)tolower((unsigned char)a[i]);
    cer_keccak256(h, (const uint8_t *)a + 2, 40);
    for (int i = 0; i < 40; i++)
        if (isalpha((unsigned char)a[2 + i]) && ((h[i / 2] >> (i % 2 ? 0 : 4)) & 0xf) >= 8)
            a[2 + i] = (char)toupper((unsigned char)a[2 + i]);
}

int cer_eth_address(char address[CER_ETH_ADDRESS_MAX], const uint8_t secret[32])
{
    uint8_t pub[65];
    int rc;

    if ((rc = cer_k1_pubkey_uncompressed(pub, secret)) < 0)
        return rc;
    address_of(address, pub);
    cer_eth_checksum(address);
    return 0;
}
