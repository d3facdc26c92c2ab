/*
 * httpd.h — a small HTTP/1.1 server for core's own services (the anchor
 * service daemon, casd.c): one thread, poll(), non-blocking sockets,
 * bounded request line, headers and body, timeouts, keep-alive, and
 * parked requests (long polls) that a handler answers later. Internal to
 * core/ (and its tests).
 *
 * What it accepts: "METHOD SP /target SP HTTP/1.0|1.1", headers with a
 * Content-Length body (Transfer-Encoding is refused with 501),
 * "Expect: 100-continue" (answered), pipelined requests one at a time.
 * What it refuses, each with a JSON body {"error": "..."} and the
 * connection closed: 400 malformed request line or header (or two
 * Authorization headers), 408 a request
 * not complete within the idle timeout, 413 a body over max_body, 431
 * headers over max_header, 501 Transfer-Encoding, 503 over max_conns.
 */
#ifndef CER_HTTPD_H
#define CER_HTTPD_H

#include "ceramic.h"

/* A request as the handler sees it (borrowed for the call). */
typedef struct cer_http_req {
    const char *method;         /* "GET", "POST", ... */
    const char *target;         /* "/path?query" as sent */
    const char *content_type;   /* "" when absent */
    const char *authorization;  /* the Authorization header's value; NULL when absent */
    const char *peer;           /* the client's IPv4 address, dotted */
    const uint8_t *body;        /* body_len bytes (NUL-terminated) */
    size_t body_len;
    bool final;                 /* a parked request's last call: it must be answered now */
    bool again;                 /* a parked request called again (the handler saw it before) */
    int waited_ms;              /* how long it has been parked (0 on the first call) */
} cer_http_req;

/* The handler's answer: status, content type (a static string; NULL is
 * application/json) and body (owned by the server, freed after sending). */
typedef struct cer_http_resp {
    int status;
    const char *content_type;
    cer_buf body;
    int wait_ms;                /* with CER_HTTPD_WAIT: how long to park */
} cer_http_resp;

/* Handler return values: 0 answered (resp filled); CER_HTTPD_WAIT: not
 * yet, park the request for up to resp->wait_ms (the handler is called
 * again after each cer_httpd_wake and once more with req->final at the
 * deadline); a negative errno: 500 with cer_errmsg(). */
#define CER_HTTPD_WAIT 1
typedef int (*cer_http_handler)(void *arg, const cer_http_req *req, cer_http_resp *resp);

typedef struct cer_httpd_opts {
    const char *listen;         /* "HOST:PORT" (IPv4 literal or "localhost";
                                   PORT 0 picks a free port); default 127.0.0.1:0 */
    size_t max_header;          /* request line + headers; default 16 KiB */
    size_t max_body;            /* default 1 MiB */
    int max_conns;              /* default 64 */
    int max_parked;             /* parked requests at most; default and at most
                                   max_conns / 2: past it a request that would
                                   park is answered at once (req->final) */
    int idle_timeout_ms;        /* a request must arrive within this; default 10000 */
} cer_httpd_opts;

typedef struct cer_httpd cer_httpd;

/* Bind and listen (the socket is ready when this returns). */
int cer_httpd_open(cer_httpd **out, const cer_httpd_opts *opts, cer_http_handler fn, void *arg);
/* The port it listens on; whether the address is loopback (127.0.0.0/8). */
int cer_httpd_port(const cer_httpd *h);
bool cer_httpd_loopback(const cer_httpd *h);
/* Serve on the calling thread until cer_httpd_stop (or *stop, checked at
 * least once a second, may be NULL). Returns 0, or a negative errno when
 * poll fails. */
int cer_httpd_run(cer_httpd *h, const volatile int *stop);
/* Thread-safe, async-signal-safe: call the handlers of parked requests
 * again / make cer_httpd_run return. */
void cer_httpd_wake(cer_httpd *h);
void cer_httpd_stop(cer_httpd *h);
/* Close every connection and the socket, free (not while run is running). */
void cer_httpd_close(cer_httpd *h);
/* Append {"error": msg} (JSON-escaped) to b. */
int cer_http_error_body(cer_buf *b, const char *msg);

#endif
