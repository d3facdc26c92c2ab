/*
 * dagjose.h — DAG-JOSE envelopes and JWS (API in ceramic.h).
 */
#ifndef CER_DAGJOSE_H
#define CER_DAGJOSE_H

#include "ceramic.h"

/* The exact protected header js-did writes for a did:key signer:
 * {"alg":"<alg>","kid":"<kid>"}. Appends to out. */
int cer_jws_protected_header(cer_buf *out, const char *alg, const char *kid);

#endif
