/*
 * caip10.h — Caip10Link (account-link, stream type 1): its genesis and its
 * link-proof updates checked as js-ceramic 2.44's handler does (internal;
 * state.c applies them).
 */
#ifndef CER_CAIP10_H
#define CER_CAIP10_H

#include "ceramic.h"

/* The state a genesis makes: content null, metadata the header (its
 * controllers already checked by the caller); -EINVAL when it has data.
 * *content and *metadata are the caller's. */
int cer_caip10_genesis(cJSON **content, cJSON **metadata, const cJSON *header, const cJSON *data);
struct cer_anchor_checker;
/* The state after the link proof `data` on st: content the linked DID (or
 * null), metadata st's with lastUpdate the proof's timestamp. An ERC-1271
 * contract proof is checked through chk->erc1271 (chk may be NULL).
 * Refused: -EKEYREJECTED (the proof does not verify or is not the
 * controller's), -EINVAL (malformed, or older than the last anchor /
 * update), -ENOTSUP (an ERC-1271 proof with no RPC for its chain, as js
 * refuses one on a chain it has no provider for; a chain other than
 * eip155: not checked here). *content and *metadata are the caller's. */
int cer_caip10_update(cJSON **content, cJSON **metadata, const cer_state *st, const cJSON *data,
                      const struct cer_anchor_checker *chk);

#endif
