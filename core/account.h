/*
 * account.h — the Ethereum account (did:pkh) a node writes as through a
 * CACAO session (API in ceramic.h: cer_node_set_account; internal).
 */
#ifndef CER_ACCOUNT_H
#define CER_ACCOUNT_H

#include "ceramic.h"

typedef struct cer_account cer_account;

/* The account kept in dir (its "account" file); *out NULL when there is
 * none. Reads no secret: the key file is read when a session is made. */
int cer_account_open(cer_account **out, const char *dir);
void cer_account_close(cer_account *a);
/* The did:pkh the account writes as (borrowed). */
const char *cer_account_did(const cer_account *a);
/* The session key to sign with at now_ms for stream (a StreamID; NULL:
 * a new stream) of model (NULL: none) (a copy; wipe it after use). Ours:
 * the kept one, or a new one when less than a quarter of its lifetime is
 * left or its CACAO is not in store (then the key file is read, the CACAO
 * put in store, the session file replaced). A wallet's (given): the kept
 * one, -EKEYEXPIRED past its exp, and 1 (once) in its last quarter, when
 * the user should import a new one. -EACCES when the resources do not
 * cover the stream. Thread-safe. */
int cer_account_key(cer_account *a, cer_store *store, cer_key *out, int64_t now_ms, const char *stream,
                    const char *model);
/* Keep o as dir's account and make its first session at now_ms (or
 * check and keep the wallet's session of o); *out the account. o NULL removes the account (and its session): *out NULL. */
int cer_account_setup(cer_account **out, const char *dir, cer_store *store, const cer_account_opts *o,
                      int64_t now_ms, bool sync);
/* Add the account's fields to o (cer_node_account). */
int cer_account_describe(cer_account *a, cJSON *o);

#endif
