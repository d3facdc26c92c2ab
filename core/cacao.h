/*
 * cacao.h — CACAO capabilities (chain-agnostic object capabilities): a
 * blockchain account (did:pkh) signs a Sign-In-With-X message that
 * delegates to a session did:key, which then signs commits with
 * 'cap: "ipfs://<CACAO CID>"' in its JWS header (internal).
 */
#ifndef CER_CACAO_H
#define CER_CACAO_H

#include "ceramic.h"

/* A decoded CACAO block {h, p, s}; the strings point into root. */
typedef struct cer_cacao {
    cJSON *root;
    const cJSON *p;          /* the payload map */
    const char *iss, *aud;   /* p.iss, p.aud */
    const cJSON *s;          /* the signature map, NULL when unsigned */
    cer_cid cid;             /* the block's: what cer_cacao_verify remembers it by */
} cer_cacao;

/* Decode a CACAO block (dag-cbor): a map with a payload map 'p' whose
 * iss, aud, domain and version are strings; -EINVAL otherwise. Free with
 * cer_cacao_free. */
int cer_cacao_decode(cer_cacao *out, const uint8_t *block, size_t len);
void cer_cacao_free(cer_cacao *c);

/* The text the signer of payload p signed, as @didtools/cacao 2.1.0
 * rebuilds it (SiwxMessage.fromCacao(p).toMessage(chain)): chain is
 * "Ethereum" or "Solana"; legacy is the field order of CACAOs issued
 * up to 2022-09-20 (Chain ID after Request ID). Appends to out. */
int cer_cacao_message(cer_buf *out, const cJSON *p, const char *chain, bool legacy);

/* The checks @didtools/cacao and its verifiers (pkh-ethereum 0.1.0
 * eip191, pkh-solana 0.1.1 solana:ed25519) make at time at_ms: signed,
 * iat and nbf not after at + 5 min, exp + 24 h (js-ceramic's revocation
 * phase-out) + 5 min not before at, and the signature by p.iss's account.
 * -EKEYREJECTED (or -ENOTSUP for other signature types) with a reason.
 * A signature found good is remembered by the block's CID (the last few
 * hundred, for every thread), so the commits of one session cost one
 * recovery; the time window is checked on every call. */
int cer_cacao_verify(const cer_cacao *c, int64_t at_ms);
/* How many CACAO signatures this process checked for real (tests). */
uint64_t cer_cacao_signature_checks(void);

/* A use of a CACAO by a signed commit. */
typedef struct cer_cacao_use {
    const char *controller;   /* the stream's controller */
    const char *signer;       /* the DID of the JWS kid */
    const char *stream;       /* the StreamID js's handler names ('k...') */
    const char *payload;      /* the commit payload's CID (base32) */
    const char *model;        /* a Model's or MID's model StreamID, else NULL */
    int64_t at_ms;            /* the commit's anchor time, else now */
} cer_cacao_use;

/* 0 when the commit's signer may sign for the controller under this
 * CACAO, as js-ceramic 2.x decides (SignatureUtils.verifyCommitSignature
 * and dids 4.0.4 verifyJWS): the resources hold "ceramic://" followed
 * by '*', <stream>, <stream>?payload=<payload> or '*' ?model=<model>; then either the signer is the controller
 * (the CACAO itself is not checked), or p.iss is the controller, p.aud
 * the signer and cer_cacao_verify passes at use->at_ms. Else a negative
 * errno and a reason naming what failed. The JWS signature is the
 * caller's. */
int cer_cacao_authorize(const cer_cacao *c, const cer_cacao_use *use);

/* A SIWE CACAO as pkh-ethereum 0.1.0's createCACAO makes it: the
 * account of the secp256k1 secret on EIP-155 chain delegates to aud
 * (a session did:key) for the resources (strings) from now_ms for
 * lifetime_s seconds, domain as given, statement and version as js's, a
 * random 10-character nonce, iss with the EIP-55 address, signed with
 * personal_sign. block gets the DAG-CBOR block, cid its CID. */
int cer_cacao_make_siwe(cer_buf *block, cer_cid *cid, const uint8_t secret[32], const char *chain,
                        const char *domain, const char *aud, int64_t now_ms, int64_t lifetime_s,
                        const char *const *resources, size_t nresources);
/* ms since the epoch as Date#toISOString writes it (2025-01-01T00:00:00.000Z). */
#define CER_JS_DATE_MAX 64
void cer_js_date_iso(char out[CER_JS_DATE_MAX], int64_t ms);

/* JavaScript's Date.parse for the ISO 8601 forms ECMAScript defines (and
 * V8's lower-case t/z, a space for T, +hhmm offsets): milliseconds since
 * the epoch; a time with no offset is UTC here (js: the node's zone).
 * -EINVAL for anything else (V8 tries more formats; a CACAO time that
 * needs them is refused). */
int cer_js_date_parse(int64_t *ms, const char *s);

#endif
