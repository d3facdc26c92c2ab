/*
 * cas.h — the client of a Ceramic Anchor Service (cas.c), as js-ceramic
 * core 2.46's remote CAS client speaks to it (core/README.md, "Anchor
 * service"): the request body, the replies' parser (also for tests and
 * tests/fuzz/fuzz_anchor_replies.c), and the two calls. The service side
 * is casd.c.
 */
#ifndef CER_CAS_H
#define CER_CAS_H

#include "ceramic.h"
#include "http.h"

/* Replies larger than this are refused unparsed. */
#define CER_CAS_REPLY_MAX (4 * 1024 * 1024)

/* A CAS request reply. */
typedef struct cer_cas_reply {
    int status;                 /* CER_ANCHOR_* (COMPLETED is ANCHORED, READY is PENDING) */
    cer_cid cid;                /* the tip the request is for */
    bool has_anchor_commit;
    cer_cid anchor_commit;      /* COMPLETED: the anchor commit */
    uint8_t *witness_car;       /* COMPLETED: decoded witnessCar bytes or NULL; caller frees */
    size_t witness_len;
    char message[160];
} cer_cas_reply;

/* Parse a CAS reply: {id, status, streamId, cid, message, anchorCommit?,
 * witnessCar?} or {"error": "..."} (-EREMOTEIO). */
int cer_cas_parse_reply(cer_cas_reply *out, const char *text, size_t len);
void cer_cas_reply_free(cer_cas_reply *r);

/* The CARv1 body of a CAS anchor request, as js-ceramic core 2.46 posts
 * it (AnchorRequestCarBuilder; the CAS reads it with its
 * AnchorRequestCarFileReader): the root block {streamId: the StreamID's
 * bytes, tip: link, timestamp: ISO 8601 text}, then the genesis and tip
 * commits from store and the payload blocks of the signed ones, each
 * block once. No CACAO blocks (this node signs with did:key only).
 * Appends to car. */
int cer_cas_request_car(cer_buf *car, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                        const char *timestamp);

/* One anchor service. One call at a time (json changes). */
typedef struct cer_cas {
    cer_http_client *http;      /* may be NULL */
    const char *url;            /* the service's base URL, no trailing '/' */
    double timeout;             /* seconds per call */
    /* Signs each request's casauth.h payload into a JWS (*jws caller
     * frees), as cer_node_sign_jws does; NULL: requests are not signed. */
    int (*sign)(void *arg, char **jws, const uint8_t *payload, size_t len);
    void *sign_arg;
    bool json;                  /* the service refused a CAR request and took
                                   JSON: requests are JSON from then on */
} cer_cas;

/* POST /api/v0/requests for tip of id (its blocks from store): the CAR
 * body, or the JSON {streamId, cid, timestamp} of CAS versions before CAR
 * requests. A CAS that refuses the CAR (HTTP 400 or 415) is asked again
 * with JSON, and when that works c->json is set. *out is the service's
 * answer, which must be about tip (-EPROTO otherwise); {"error"} answers
 * are -EREMOTEIO. */
int cer_cas_request(cer_cas *c, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                    cer_cas_reply *out);
/* GET /api/v0/requests/<tip>: the request's state, as above. */
int cer_cas_poll(cer_cas *c, const cer_cid *tip, cer_cas_reply *out);

#endif
