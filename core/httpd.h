/*
 * httpd.h — the HTTP server of core's services (the anchor service,
 * casd.c), a thin layer over libmicrohttpd: one handler gets each complete
 * request (method, target, path, query, headers, a bounded body) and
 * answers with a status, a content type and a body, or parks the request
 * (a long poll) to be called again later. The caller's thread runs the
 * server (cer_httpd_run); the handler is called on it. Internal to core/
 * (and its tests).
 *
 * Limits (cer_httpd_opts, each with a default): connections in all (past
 * it a new connection is answered 503 with a JSON error) and per client
 * address (past it a new one is closed at once, unanswered); an idle
 * timeout (a connection silent that long is closed, unanswered, also in
 * the middle of a request); the request head (431 past it); the body (413
 * with a JSON error, at once when Content-Length is over it, before the
 * body is read; Transfer-Encoding is refused with 501); parked requests
 * (past max_parked a request that would park is answered at once). A
 * malformed request gets 400 (libmicrohttpd's, strict: HTTP/1.1 needs
 * Host); a header name that is not a token, an Expect other than
 * 100-continue, two Authorization or Content-Length headers a JSON 400;
 * what is not HTTP at all is closed unanswered. It listens on
 * loopback by default; any other address is logged as a WARNING.
 */
#ifndef CER_HTTPD_H
#define CER_HTTPD_H

#include "ceramic.h"

/* A request as the handler sees it (borrowed for the call). */
typedef struct cer_http_req {
    const char *method;         /* "GET", "POST", ... */
    const char *target;         /* "/path?query" as sent */
    const char *path;           /* the target up to '?' (not decoded) */
    const char *query;          /* the target after '?'; "" without */
    const char *content_type;   /* "" when absent */
    const char *authorization;  /* the Authorization header's value; NULL when absent */
    const char *peer;           /* the client's IPv4 address, dotted */
    const uint8_t *body;        /* body_len bytes (NUL-terminated) */
    size_t body_len;
    bool final;                 /* a parked request's last call: it must be answered now */
    bool again;                 /* a parked request called again (the handler saw it before) */
    int waited_ms;              /* how long it has been parked (0 on the first call) */
    void *conn;                 /* the server's connection; NULL for a request made
                                   without a server (tests, fuzz targets) */
} cer_http_req;

/* A header's value (the first of that name, case-insensitive) or a query
 * argument's (decoded); NULL when absent or without a connection. */
const char *cer_http_header(const cer_http_req *req, const char *name);
const char *cer_http_arg(const cer_http_req *req, const char *name);

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
    unsigned max_conns;         /* connections at once (past it 503); default 64 */
    unsigned max_per_ip;        /* connections from one address; default 32, at most max_conns */
    unsigned timeout_s;         /* a connection idle this long is closed; default 10 */
    size_t max_header;          /* request line and headers; default 16 KiB */
    size_t max_body;            /* default 1 MiB */
    unsigned max_parked;        /* parked requests at most; default and at most
                                   max_per_ip / 2: past it a request that would
                                   park is answered at once (req->final) */
    const char *name;           /* what serves, for the warning; default "the HTTP server" */
    void (*log)(void *arg, const char *line);  /* the WARNING; NULL: to stderr */
    void *log_arg;
} cer_httpd_opts;

typedef struct cer_httpd cer_httpd;

/* Bind and listen (the socket is ready when this returns). */
int cer_httpd_open(cer_httpd **out, const cer_httpd_opts *opts, cer_http_handler fn, void *arg);
/* The port it listens on. */
int cer_httpd_port(const cer_httpd *h);
/* Whether a listen address ("HOST:PORT", as in the options) is loopback
 * (127.0.0.0/8): 1, 0, or -EINVAL when it is not HOST:PORT. */
int cer_httpd_loopback(const char *listen);
/* Serve on the calling thread until cer_httpd_stop (or *stop, checked at
 * least once a second, may be NULL). Returns 0, or a negative errno when
 * poll fails. */
int cer_httpd_run(cer_httpd *h, const volatile int *stop);
/* Thread-safe, async-signal-safe: call the handlers of parked requests
 * again / make cer_httpd_run return. */
void cer_httpd_wake(cer_httpd *h);
void cer_httpd_stop(cer_httpd *h);
/* Answer the parked requests (final), give the answers under way up to a
 * second, close every connection and the socket, free (not while run is
 * running). */
void cer_httpd_close(cer_httpd *h);
/* Answer {"error": msg} (JSON-escaped) with status; 0 or -ENOMEM. */
int cer_http_error(cer_http_resp *resp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
