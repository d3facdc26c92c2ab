/*
 * anchorverify.h — anchor proof verification (anchorverify.c; its API,
 * cer_anchor_verify and cer_network_accepts_chain, is in ceramic.h) and
 * the chain id of in-memory anchors.
 */
#ifndef CER_ANCHORVERIFY_H
#define CER_ANCHORVERIFY_H

#include "ceramic.h"
#include "http.h"

/* The chain of js-ceramic's in-memory anchor service (and of ours): it
 * proves nothing to another process. */
#define CER_INMEMORY_CHAIN "inmemory:12345"

/* cer_anchor_verify over the caller's HTTP client (http.c), so that its
 * calls reuse the owner's connections; http NULL: a connection per call. */
int cer_anchor_verify_on(cer_http_client *http, const cer_anchor_opts *opts, const cer_anchor_proof *proof,
                         int64_t *timestamp, char *why, size_t why_cap);

#endif
