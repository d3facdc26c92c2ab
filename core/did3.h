/*
 * did3.h — did:3 (3ID v1) signers resolved through the node's own streams,
 * as @ceramicnetwork/3id-did-resolver 2.32 resolves them (internal).
 */
#ifndef CER_DID3_H
#define CER_DID3_H

#include "ceramic.h"
#include "state.h"

#define CER_DID3_KEYS_MAX 16

/* What a did:3 kid resolves to. */
typedef struct cer_did3 {
    char did[CER_DID_MAX];                 /* did:3:<StreamID>: the DID document's id */
    cer_pubkey keys[CER_DID3_KEYS_MAX];    /* the secp256k1 keys of publicKeys */
    size_t nkeys;
    int64_t updated;      /* s: time of the version's last anchor (or of its genesis), 0: none */
    int64_t next_update;  /* s: the first anchor time after it in the latest version, 0: none */
} cer_did3;

/* Resolve kid "did:3:<StreamID>?version-id=<CID or 0>#<name>": the 3ID
 * TileDocument's state at that commit from store (its anchors through
 * chk; no version-id: the latest), its publicKeys' secp256k1 keys
 * (multicodec 0xe7; x25519 ones are no signing keys), and the times
 * dids' verifyJWS checks a signature's time against, from chk->latest's
 * state of the document (none known: no later version). -ENOTSUP for a
 * legacy v0 3ID (did:3:<CID>, which needs the 3Box service) and for
 * versionTime; -EINVAL for a kid that is no did:3 URL; -ELOOP when a
 * 3ID document's own signer is a did:3 (resolution does not nest). */
int cer_did3_resolve(cer_did3 *out, const char *kid, cer_store *store, const cer_anchor_checker *chk);

/* dids 4.0.4 verifyJWS's time checks of a did:3 signature made at at
 * (seconds; 0: not anchored): a version that a later anchored one
 * replaced signs only until 24 h after the replacement, and never before
 * its own anchor. */
int cer_did3_check_time(const cer_did3 *d, int64_t at);

#endif
