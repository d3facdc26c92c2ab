/*
 * dagjose.h — DAG-JOSE envelopes and JWS (API in ceramic.h).
 */
#ifndef CER_DAGJOSE_H
#define CER_DAGJOSE_H

#include "ceramic.h"

/* The exact protected header js-did writes for a did:key signer:
 * {"alg":"<alg>","kid":"<kid>"}, or {"alg":..,"cap":"<cap>","kid":..}
 * under a capability (cap not NULL). Appends to out. */
int cer_jws_protected_header(cer_buf *out, const char *alg, const char *kid, const char *cap);
/* cer_jws_verify, but a 'cap' (CACAO) header is not refused: the caller
 * checks what the capability allows (cacao.c). */
int cer_jws_verify_signature(const cer_jws *jws, size_t i, char *kid_out, size_t cap);
/* The same with the signer's keys given (kid is not resolved): the
 * signature must be by one of them whose type fits alg, as did-jwt tries
 * every key of a DID document. */
int cer_jws_verify_keys(const cer_jws *jws, size_t i, const cer_pubkey *keys, size_t nkeys, char *kid_out,
                        size_t cap);
/* The string member name ("cap", "kid") of signature i's protected
 * header, copied to out: 1 when there is one, 0 when not, -EINVAL when it
 * is no string that fits. */
int cer_jws_header(const cer_jws *jws, size_t i, const char *name, char *out, size_t cap);

#endif
