/*
 * streamid.h — StreamIDs and CommitIDs (API in ceramic.h).
 *
 * Binary form: uvarint(0xce) || uvarint(type) || genesis CID
 *              [|| 0x00 (genesis commit) | commit CID]
 * String form: multibase base36 lower case ('k...'), optionally written as
 * 'ceramic://k...' or '/ceramic/k...' with a legacy '?commit=<cid>|0'.
 *
 * Differences from js-ceramic, all on the strict side: varints must be
 * minimal, bytes after the commit CID are an error (JS ignores them), a
 * CIDv0 must hold a sha2-256 digest, and parse rejects any text around the
 * id that JS's unanchored regular expression would skip.
 */
#ifndef CER_STREAMID_H
#define CER_STREAMID_H

#include "ceramic.h"

/* cer_streamref_parse refuses longer strings with -EFBIG. The longest
 * well-formed string (two CIDs with 64-byte digests, a '/ceramic/' prefix
 * and a '?commit=' CID) is far below this. */
#define CER_STREAMREF_INPUT_MAX 1024

#endif
