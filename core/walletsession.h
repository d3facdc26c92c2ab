/*
 * walletsession.h — a CACAO session made by a wallet, read from the
 * files a user has (internal; used by account.c).
 */
#ifndef CER_WALLETSESSION_H
#define CER_WALLETSESSION_H

#include "ceramic.h"

/* Either session_file, a serialized DIDSession (did-session 2.x:
 * base64url JSON {sessionKeySeed, cacao}; mode 0600 like a key file), or
 * cacao_file (the CACAO's DAG-CBOR block, or its JSON {h, p, s}) with
 * key_file (a key file: the session key). block gets the CACAO's block
 * (appended), key the session key (wipe it). Decoding only: nothing is
 * verified. */
int cer_wallet_session_read(cer_buf *block, cer_key *key, const char *session_file, const char *cacao_file,
                            const char *key_file);

#endif
