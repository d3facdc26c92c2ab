/*
 * anchorverify.h — anchor proof verification (anchorverify.c; its API,
 * cer_anchor_verify and cer_network_accepts_chain, is in ceramic.h) and
 * the chain id of in-memory anchors.
 */
#ifndef CER_ANCHORVERIFY_H
#define CER_ANCHORVERIFY_H

#include "ceramic.h"

/* The chain of js-ceramic's in-memory anchor service (and of ours): it
 * proves nothing to another process. */
#define CER_INMEMORY_CHAIN "inmemory:12345"

#endif
