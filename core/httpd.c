/*
 * httpd.c — the HTTP server (httpd.h) over libmicrohttpd in its external
 * epoll mode: cer_httpd_run polls libmicrohttpd's epoll descriptor and a
 * self-pipe (wake and stop from other threads or signal handlers), runs
 * libmicrohttpd, and resumes parked requests when woken or at their
 * deadline. libmicrohttpd parses HTTP and enforces the per-address limit
 * and the idle timeout; this file counts connections (503 past max_conns),
 * refuses a chunked body (501), bounds the body, collects the request for
 * the handler, and parks (suspends) the requests that wait.
 *
 * Past max_conns a connection is answered 503 as before libmicrohttpd:
 * libmicrohttpd is told to take OVER_CONNS more than max_conns, each
 * connection is counted as it opens (on_conn), and one opened past
 * max_conns is answered 503 as soon as its head is in (only the access
 * handler can answer). Past max_conns + OVER_CONNS at once, new
 * connections wait in the listen queue.
 *
 * An idle connection is closed unanswered, also one in the middle of a
 * request head (the server before libmicrohttpd answered that one 408):
 * libmicrohttpd 0.9.75 lets a response be queued only from the access
 * handler, which it calls once the head is complete, and at its timeout
 * it closes the connection itself, calling nothing that could answer
 * (the completion callback comes after the socket is shut down, and only
 * for requests the handler saw). A 408 would mean writing to its socket
 * behind its back.
 */
#include "httpd.h"
#include "buf.h"
#include "clock.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Connections libmicrohttpd takes past max_conns, to answer them 503. */
#define OVER_CONNS 8

/* One request, from its request line (on_uri) to its end (on_done). */
typedef struct hreq {
    struct hreq *next;          /* in the parked list */
    struct MHD_Connection *conn;
    char *target, *path;        /* owned (one allocation): as sent; up to '?' */
    char peer[INET_ADDRSTRLEN];
    cer_buf body;
    bool head_seen;             /* the handler's first call (the head) is behind */
    bool refused;               /* answered before its body was read (413) */
    bool parked;                /* suspended, in h->parked */
    bool again;                 /* parked once: the handler saw it */
    bool final;                 /* resumed at its deadline */
    int64_t parked_at, deadline;
} hreq;

struct cer_httpd {
    struct MHD_Daemon *mhd;
    cer_httpd_opts o;
    cer_http_handler fn;
    void *arg;
    int port, epfd;
    int pipe_r, pipe_w;
    volatile sig_atomic_t stopped;
    char why[256];              /* libmicrohttpd's last message while starting */
    hreq *parked;               /* the parked requests, nparked of them */
    unsigned nparked;
    unsigned nreqs;             /* requests begun and not over */
    unsigned nconns;            /* connections open */
};

/* A connection opened past max_conns (its socket context). */
static char over_limit;

int cer_http_error(cer_http_resp *resp, int status, const char *fmt, ...)
{
    char msg[512], *text = NULL;
    cJSON *j = cJSON_CreateObject();
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cer_buf_free(&resp->body);
    resp->status = status;
    resp->content_type = NULL;
    if (!j || !cJSON_AddStringToObject(j, "error", msg)) {
        cJSON_Delete(j);
        return cer_err(-ENOMEM, "httpd: out of memory");
    }
    rc = cer_json_print(&text, j, 0);
    cJSON_Delete(j);
    if (rc == 0)
        rc = cer_buf_append(&resp->body, text, strlen(text));
    free(text);
    return rc;
}

const char *cer_http_header(const cer_http_req *req, const char *name)
{
    return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

const char *cer_http_arg(const cer_http_req *req, const char *name)
{
    return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

/* libmicrohttpd's own messages while it starts (why it cannot listen),
 * kept for the error; later ones (about each bad request) are dropped:
 * a client must not be able to fill the log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    cer_httpd *h = cls;
    size_t n;

    if (h->mhd)
        return;
    vsnprintf(h->why, sizeof h->why, fmt, ap);
    n = strlen(h->why);
    while (n && (h->why[n - 1] == '\n' || h->why[n - 1] == '\r' || h->why[n - 1] == '.'))
        h->why[--n] = '\0';
}

/* Send resp (its body taken) on c; close the connection after it when
 * told. */
static enum MHD_Result send_resp(struct MHD_Connection *c, cer_http_resp *resp, bool close)
{
    size_t len = resp->body.len;
    uint8_t *data = cer_buf_detach(&resp->body);
    struct MHD_Response *m;
    enum MHD_Result ok;

    m = data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!m) {
        free(data);
        return MHD_NO;
    }
    if (MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE,
                                resp->content_type ? resp->content_type : "application/json") != MHD_YES ||
        (close && MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
        MHD_destroy_response(m);
        return MHD_NO;
    }
    ok = MHD_queue_response(c, (unsigned)resp->status, m);
    MHD_destroy_response(m);
    return ok;
}

/* Refuse q from its head: {"error": msg}, the body unread, the
 * connection closed after (out of memory: closed at once). */
static enum MHD_Result refuse(hreq *q, int status, const char *msg)
{
    cer_http_resp resp = {0};

    q->refused = true;
    if (cer_http_error(&resp, status, "%s", msg) < 0) {
        cer_buf_free(&resp.body);
        return MHD_NO;
    }
    return send_resp(q->conn, &resp, true);
}

/* The request line is in: a request starts (NULL on no memory: the
 * access handler then closes the connection). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    cer_httpd *h = cls;
    size_t n = strlen(uri), p = strcspn(uri, "?");
    hreq *q = calloc(1, sizeof *q);

    if (!q || !(q->target = malloc(2 * n + 2))) {
        free(q);
        return NULL;
    }
    h->nreqs++;
    memcpy(q->target, uri, n + 1);
    q->path = q->target + n + 1;
    memcpy(q->path, uri, p);
    q->path[p] = '\0';
    q->conn = c;
    return q;
}

/* A connection opens or closes: counted; one opened past max_conns is
 * marked, to be answered 503. */
static void on_conn(void *cls, struct MHD_Connection *c, void **sctx, enum MHD_ConnectionNotificationCode what)
{
    cer_httpd *h = cls;

    (void)c;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        if (++h->nconns > h->o.max_conns)
            *sctx = &over_limit;
    } else if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
        h->nconns--;
    }
}

static void unpark(cer_httpd *h, hreq *q)
{
    for (hreq **pp = &h->parked; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            h->nparked--;
            break;
        }
    q->next = NULL;
    q->parked = false;
}

/* The request is over (answered, or its connection closed). */
static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode why)
{
    cer_httpd *h = cls;
    hreq *q = *ctx;

    (void)c, (void)why;
    if (!q)
        return;
    h->nreqs--;
    if (q->parked)
        unpark(h, q);
    cer_buf_free(&q->body);
    free(q->target);
    free(q);
    *ctx = NULL;
}

/* What one pass over the request's headers found. */
typedef struct head_scan {
    int authorization, content_length;  /* how many of each */
    const char *bad;                     /* why the head is refused; NULL: fine */
} head_scan;

/* A header name is an RFC 9110 token. */
static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *s)))
            return false;
    return true;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    head_scan *hs = cls;

    (void)kind;
    if (!is_token(key))
        hs->bad = "malformed header name";
    else if (strcasecmp(key, MHD_HTTP_HEADER_EXPECT) == 0 && (!value || strcasecmp(value, "100-continue") != 0))
        hs->bad = "unsupported Expect";
    hs->authorization += strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0;
    hs->content_length += strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0;
    return hs->bad ? MHD_NO : MHD_YES;
}

/* The head is in: refuse what is malformed or ambiguous (as the server
 * before libmicrohttpd did: header names that are not tokens, an Expect
 * other than 100-continue, two Authorization or Content-Length headers),
 * a chunked body, and a body over the limit, before the body is read.
 * (A NUL byte in a header value, which the old server refused, cannot be
 * seen: libmicrohttpd ends the value there.) */
static enum MHD_Result on_head(cer_httpd *h, hreq *q)
{
    const char *cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr_in *sa = ci ? (const struct sockaddr_in *)ci->client_addr : NULL;
    head_scan hs = {0};

    q->head_seen = true;
    if (!sa || sa->sin_family != AF_INET || !inet_ntop(AF_INET, &sa->sin_addr, q->peer, sizeof q->peer))
        snprintf(q->peer, sizeof q->peer, "?");
    ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context == &over_limit)
        return refuse(q, 503, "too many connections");
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, scan_header, &hs);
    if (hs.bad)
        return refuse(q, 400, hs.bad);
    if (hs.authorization > 1)
        return refuse(q, 400, "more than one Authorization header");
    if (hs.content_length > 1)
        return refuse(q, 400, "more than one Content-Length header");
    if (MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return refuse(q, 501, "Transfer-Encoding is not supported: send a Content-Length body");
    /* libmicrohttpd refused a Content-Length that is not a number */
    if (cl && strtoull(cl, NULL, 10) > h->o.max_body) {
        char m[96];
        snprintf(m, sizeof m, "body of %.20s bytes is over the limit of %zu", cl, h->o.max_body);
        return refuse(q, 413, m);
    }
    return MHD_YES;
}

/* A chunk of the body (Content-Length was checked against max_body;
 * chunked bodies are refused): kept. */
static enum MHD_Result on_body(cer_httpd *h, hreq *q, const char *data, size_t *len)
{
    size_t n = *len;

    *len = 0;
    if (q->refused)
        return MHD_YES;
    if (n > h->o.max_body - q->body.len)
        return MHD_NO;  /* cannot happen; never past the limit */
    return cer_buf_append(&q->body, data, n) < 0 ? MHD_NO : MHD_YES;
}

/* The request is complete (or a parked one resumed): call the handler;
 * answer, or park the request. */
static enum MHD_Result dispatch(cer_httpd *h, hreq *q, const char *method)
{
    int64_t now = cer_clock_ms(CLOCK_MONOTONIC);
    bool final = q->final || (!q->again && h->nparked >= h->o.max_parked);
    const char *ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *query = strchr(q->target, '?');
    cer_http_req req = {.method = method,
                        .target = q->target,
                        .path = q->path,
                        .query = query ? query + 1 : "",
                        .content_type = ct ? ct : "",
                        .authorization = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
                                                                     MHD_HTTP_HEADER_AUTHORIZATION),
                        .peer = q->peer,
                        .body = q->body.data ? q->body.data : (const uint8_t *)"",
                        .body_len = q->body.len,
                        .final = final,
                        .again = q->again,
                        .waited_ms = q->again ? (int)(now - q->parked_at) : 0,
                        .conn = q->conn};
    cer_http_resp resp = {.status = 200};
    int rc = h->fn(h->arg, &req, &resp);

    if (rc == CER_HTTPD_WAIT && !final) {
        cer_buf_free(&resp.body);
        if (!q->again) {
            q->again = true;
            q->parked_at = now;
            q->deadline = now + (resp.wait_ms > 0 ? resp.wait_ms : 0);
        }
        q->parked = true;
        q->next = h->parked;
        h->parked = q;
        h->nparked++;
        MHD_suspend_connection(q->conn);
        return MHD_YES;
    }
    if (rc < 0 || rc == CER_HTTPD_WAIT) {
        if (cer_http_error(&resp, 500, "%s", rc < 0 ? cer_errmsg() : "handler did not answer") < 0) {
            cer_buf_free(&resp.body);
            return MHD_NO;
        }
    }
    return send_resp(q->conn, &resp, false);
}

/* libmicrohttpd's access handler: the head (first call), the body in
 * chunks, then once more at its end (and after each resume). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *len, void **ctx)
{
    cer_httpd *h = cls;
    hreq *q = *ctx;

    (void)c, (void)url, (void)version;
    if (!q)
        return MHD_NO;
    if (!q->head_seen)
        return on_head(h, q);
    if (*len)
        return on_body(h, q, data, len);
    if (q->refused)
        return MHD_YES;
    return dispatch(h, q, method);
}

static int parse_listen(struct sockaddr_in *sa, const char *s)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    char *end;
    long port;

    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return cer_err(-EINVAL, "httpd: listen address '%.80s' is not HOST:PORT", s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
        return cer_err(-EINVAL, "httpd: bad port in '%.80s'", s);
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return cer_err(-EINVAL, "httpd: '%.64s' is not an IPv4 address", host);
    return 0;
}

/* The options with their defaults filled in. */
static void defaults(cer_httpd_opts *o)
{
    if (!o->listen)
        o->listen = "127.0.0.1:0";
    if (!o->max_conns)
        o->max_conns = 64;
    if (!o->max_per_ip)
        o->max_per_ip = 32;
    if (o->max_per_ip > o->max_conns)
        o->max_per_ip = o->max_conns;
    if (!o->timeout_s)
        o->timeout_s = 10;
    if (!o->max_header)
        o->max_header = 16 * 1024;
    if (o->max_header < 4096)
        o->max_header = 4096;  /* libmicrohttpd's buffers live in the same memory */
    if (!o->max_body)
        o->max_body = 1024 * 1024;
    if (!o->max_parked || o->max_parked > o->max_per_ip / 2)
        o->max_parked = o->max_per_ip / 2;
}

int cer_httpd_open(cer_httpd **out, const cer_httpd_opts *opts, cer_http_handler fn, void *arg)
{
    cer_httpd *h = calloc(1, sizeof *h);
    const union MHD_DaemonInfo *di;
    struct sockaddr_in sa;
    unsigned per_ip;
    int p[2], rc;

    *out = NULL;
    if (!h)
        return cer_err(-ENOMEM, "httpd: out of memory");
    h->o = opts ? *opts : (cer_httpd_opts){0};
    defaults(&h->o);
    h->fn = fn, h->arg = arg;
    h->pipe_r = h->pipe_w = -1;
    if ((rc = parse_listen(&sa, h->o.listen)) < 0)
        goto fail;
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        rc = cer_err(-errno, "httpd: pipe: %s", strerror(errno));
        goto fail;
    }
    h->pipe_r = p[0], h->pipe_w = p[1];
    /* a per-address limit no tighter than max_conns leaves the connections
     * past max_conns to be answered 503 */
    per_ip = h->o.max_per_ip < h->o.max_conns ? h->o.max_per_ip : h->o.max_conns + OVER_CONNS;
    h->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_CONNECTION_LIMIT, h->o.max_conns + OVER_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
        MHD_OPTION_CONNECTION_TIMEOUT, h->o.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->o.max_header,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_done, h, MHD_OPTION_END);
    if (!h->mhd) {
        rc = cer_err(-EADDRNOTAVAIL, "httpd: cannot listen on %s: %s", h->o.listen,
                     h->why[0] ? h->why : "libmicrohttpd did not start");
        goto fail;
    }
    if (!(di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT))) {
        rc = cer_err(-EIO, "httpd: no port");
        goto fail;
    }
    h->port = di->port;
    if (!(di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD))) {
        rc = cer_err(-EIO, "httpd: no epoll descriptor");
        goto fail;
    }
    h->epfd = di->epoll_fd;
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        char line[256];
        snprintf(line, sizeof line, "WARNING: %s listens on %.*s:%d, open to other hosts: put TLS in front of it",
                 h->o.name ? h->o.name : "the HTTP server", (int)(strrchr(h->o.listen, ':') - h->o.listen),
                 h->o.listen, h->port);
        if (h->o.log)
            h->o.log(h->o.log_arg, line);
        else
            fprintf(stderr, "%s\n", line);
    }
    *out = h;
    return 0;
fail:
    cer_httpd_close(h);
    return rc;
}

int cer_httpd_port(const cer_httpd *h)
{
    return h->port;
}

int cer_httpd_loopback(const char *listen)
{
    struct sockaddr_in sa;
    int rc = parse_listen(&sa, listen);

    return rc < 0 ? rc : (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
}

void cer_httpd_wake(cer_httpd *h)
{
    ssize_t r = write(h->pipe_w, "w", 1);
    (void)r;  /* a full pipe already wakes the loop */
}

void cer_httpd_stop(cer_httpd *h)
{
    h->stopped = 1;
    cer_httpd_wake(h);
}

/* Resume the parked requests that are due (all when woken); the handler
 * is called again for each in the next MHD_run. */
static void resume_due(cer_httpd *h, bool woken, int64_t now)
{
    hreq **pp = &h->parked;

    while (*pp) {
        hreq *q = *pp;
        if (!woken && now < q->deadline) {
            pp = &q->next;
            continue;
        }
        *pp = q->next;
        h->nparked--;
        q->next = NULL;
        q->parked = false;
        q->final = now >= q->deadline;
        MHD_resume_connection(q->conn);
    }
}

int cer_httpd_run(cer_httpd *h, const volatile int *stop)
{
    while (!h->stopped && !(stop && *stop)) {
        int64_t now = cer_clock_ms(CLOCK_MONOTONIC), wait = 1000;
        MHD_UNSIGNED_LONG_LONG mt;
        struct pollfd pf[2] = {{.fd = h->epfd, .events = POLLIN}, {.fd = h->pipe_r, .events = POLLIN}};
        bool woken = false;

        if (MHD_get_timeout(h->mhd, &mt) == MHD_YES && (int64_t)mt < wait)
            wait = (int64_t)mt;
        for (const hreq *q = h->parked; q; q = q->next)
            if (q->deadline - now < wait)
                wait = q->deadline > now ? q->deadline - now : 0;
        if (poll(pf, 2, (int)wait) < 0 && errno != EINTR)
            return cer_err(-errno, "httpd: poll: %s", strerror(errno));
        if (pf[1].revents & POLLIN) {
            char b[64];
            while (read(h->pipe_r, b, sizeof b) > 0)
                ;
            woken = true;
        }
        resume_due(h, woken, cer_clock_ms(CLOCK_MONOTONIC));
        MHD_run(h->mhd);
    }
    return 0;
}

void cer_httpd_close(cer_httpd *h)
{
    if (!h)
        return;
    if (h->mhd) {
        /* parked requests are answered (final), and the answers of all
         * requests under way given a second to go out, before it stops */
        int64_t end = cer_clock_ms(CLOCK_MONOTONIC) + 1000;
        resume_due(h, true, INT64_MAX);
        do {
            struct pollfd pf = {.fd = h->epfd, .events = POLLIN};
            MHD_run(h->mhd);
            if (h->nreqs)
                poll(&pf, 1, 50);
        } while (h->nreqs && cer_clock_ms(CLOCK_MONOTONIC) < end);
        MHD_stop_daemon(h->mhd);
    }
    if (h->pipe_r >= 0)
        close(h->pipe_r);
    if (h->pipe_w >= 0)
        close(h->pipe_w);
    free(h);
}
