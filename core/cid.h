/*
 * cid.h — content identifiers (API in ceramic.h).
 */
#ifndef CER_CID_H
#define CER_CID_H

#include "ceramic.h"

/* sha2-256 of data (libsodium). */
void cer_sha256(uint8_t out[32], const uint8_t *data, size_t len);

/* The table hash of cid (cer_hash: keyed, per process); equal CIDs hash
 * alike. */
uint64_t cer_cid_hash(const cer_cid *cid);

#endif
