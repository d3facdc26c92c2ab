/*
 * commit.h — what the commit builders share (API in ceramic.h): the last
 * step of every signed or unsigned commit, used by commit.c (TileDocument)
 * and model.c (Model, ModelInstanceDocument).
 */
#ifndef CER_COMMIT_H
#define CER_COMMIT_H

#include "ceramic.h"

/* out->payload.bytes holds a commit's DAG-CBOR payload: hash it (over
 * CER_BLOCK_MAX is -EFBIG), then with key (NULL: an unsigned commit) sign
 * its CID and encode the DAG-JOSE envelope. On failure out still owns what
 * it holds: the caller frees it with cer_commit_blocks_free. */
int cer_commit_seal(cer_commit_blocks *out, const cer_key *key);

#endif
