/*
 * didkey.h — signing keys, did:key identifiers and key files (API in
 * ceramic.h).
 *
 * did:key = "did:key:z" + base58btc(varint multicodec || public key):
 * 0xed ed25519 (32 bytes, js-did's key-did-provider-ed25519), 0xe7
 * secp256k1 (@didtools/key-secp256k1) and 0x1200 P-256
 * (@didtools/key-webcrypto), those two with the compressed point; its kid
 * repeats the method-specific id as the fragment. A key file holds the
 * 32-byte secret as 64 hex digits (after "secp256k1:" or "p256:" for
 * those types) and a newline, mode 0600.
 */
#ifndef CER_DIDKEY_H
#define CER_DIDKEY_H

#include "ceramic.h"

/* cer_did_pubkey refuses longer strings (-EINVAL). Room for a kid of any
 * key type js-did resolves, so that those get -ENOTSUP, not -EINVAL. */
#define CER_DID_INPUT_MAX 512

#endif
