/*
 * didkey.h — ed25519 keys, did:key identifiers and key files (API in
 * ceramic.h).
 *
 * did:key = "did:key:z" + base58btc(0xed 0x01 || 32-byte public key), the
 * form js-did's key-did-provider-ed25519 writes; its kid repeats the
 * method-specific id as the fragment. A key file holds the 32-byte seed as
 * 64 hex digits and a newline, mode 0600.
 */
#ifndef CER_DIDKEY_H
#define CER_DIDKEY_H

#include "ceramic.h"

/* cer_did_pubkey refuses longer strings (-EINVAL). Room for a kid of any
 * key type js-did resolves, so that those get -ENOTSUP, not -EINVAL. */
#define CER_DID_INPUT_MAX 512

#endif
