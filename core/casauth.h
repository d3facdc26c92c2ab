/*
 * casauth.h — DID-signed requests to a Ceramic Anchor Service, as
 * js-ceramic 2.x's DIDAnchorServiceAuth (core, anchor/auth) signs them and
 * the anchor service's auth middleware checks them:
 *
 *   Authorization: Bearer <protected>.<payload>.<signature>
 *
 * a compact JWS by the client's DID (EdDSA; kid "did:key:...#...") of the
 * JSON payload {url, nonce[, digest]}: url the request's full URL, nonce a
 * fresh UUID, digest (requests with a body only) the root CID of a CAR
 * body, or "0x" + the hex SHA-256 of JSON.stringify(body) for a JSON body.
 * The service side (casd.c) checks the signature here, then that url,
 * digest and nonce bind this very request and that the DID is allowed.
 */
#ifndef CER_CASAUTH_H
#define CER_CASAUTH_H

#include "ceramic.h"

#define CER_CASAUTH_HEADER_MAX 8192    /* longer Authorization values are refused */
#define CER_CASAUTH_URL_MAX 2048
#define CER_CASAUTH_NONCE_MAX 128
#define CER_CASAUTH_DIGEST_MAX CER_CID_STR_MAX

/* What a verified header says. */
typedef struct cer_casauth {
    char did[CER_DID_MAX];              /* the signer */
    char url[CER_CASAUTH_URL_MAX];
    char nonce[CER_CASAUTH_NONCE_MAX];
    char digest[CER_CASAUTH_DIGEST_MAX]; /* "" when the payload has none */
} cer_casauth;

/* The digest js puts in the payload for a body of content type ctype:
 * CAR (application/vnd.ipld.car): its root CID; JSON: "0x" + hex
 * SHA-256 of JSON.stringify(JSON.parse(body)); anything else: "0x" + hex
 * SHA-256 of the body. "" for an empty body. -EINVAL when the body is not
 * what its type says. */
int cer_casauth_digest(char *out, size_t cap, const char *ctype, const uint8_t *body, size_t len);

/* The payload JSON {digest?, nonce, url} (keys sorted, as js-did signs it)
 * for a request to url with that body, with a fresh nonce; caller frees. */
int cer_casauth_payload(char **out, const char *url, const char *ctype, const uint8_t *body, size_t len);

/* Check an Authorization value "Bearer <JWS>": the JWS verifies (EdDSA by
 * a did:key ed25519) and its payload is {url, nonce[, digest]} strings of
 * bounded length. -EACCES (reason in cer_errmsg) otherwise. Linear in the
 * header's length. */
int cer_casauth_verify(cer_casauth *out, const char *authorization);

/* The path and query of an http(s) URL (a pointer into url; "/" for none),
 * or NULL when url is not one. */
const char *cer_casauth_url_path(const char *url);

/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void cer_uuid4(char out[37]);

#endif
