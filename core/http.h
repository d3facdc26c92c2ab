/*
 * http.h — the HTTP client every outside call goes through (http.c, over
 * libcurl): the IPFS RPC (ipfs.c), Ethereum JSON-RPC (eth.c) and the CAS
 * client (cas.c). The server side is httpd.h.
 */
#ifndef CER_HTTP_H
#define CER_HTTP_H

#include "ceramic.h"

/* A client: a small pool of libcurl handles, so keep-alive connections
 * are reused across calls and threads. Thread-safe. */
typedef struct cer_http_client cer_http_client;

int cer_http_client_open(cer_http_client **out);
void cer_http_client_close(cer_http_client *c);

/* One request. Zero-initialise and set what you need. */
typedef struct cer_http_call {
    const char *what;           /* error message prefix ("ipfs: block/get"); NULL: method and URL */
    const char *url;            /* http:// or https:// only */
    bool post;                  /* POST (with the body below, maybe empty); else GET */
    const char *content_type;   /* the body's media type; NULL: body as the one multipart
                                   form-data part "file" (what the IPFS RPC takes) */
    const void *body;
    size_t body_len;
    const char *authorization;  /* Authorization header value, or NULL */
    long timeout_ms;            /* the whole call; 0: none (a stream that lasts) */
    long connect_timeout_ms;    /* 0: timeout_ms */
    size_t max;                 /* largest reply body kept (-EFBIG past it) */
    /* A stream: the reply's bytes go to on_data as they come, with the
     * reply's HTTP status, instead of into the reply buffer; false from it
     * ends the call (-ECANCELED). stop (may be NULL) ends it too, checked
     * about every second. */
    bool (*on_data)(void *arg, long status, const uint8_t *p, size_t n);
    void *arg;
    const volatile int *stop;
} cer_http_call;

/* Make the call (c may be NULL: a handle just for it). 0 when a reply
 * came, whatever its status (*status; its body in *reply, replaced;
 * reply is NULL for a stream only);
 * else -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH (name not resolved),
 * -EFBIG (reply over call->max), -ECANCELED (on_data or stop ended it),
 * -ENOMEM, -EIO (any other failure), with the reason in cer_errmsg(). */
int cer_http_perform(cer_http_client *c, const cer_http_call *call, cer_buf *reply, long *status);

#endif
