/*
 * httpd.c — a small HTTP/1.1 server (httpd.h): one thread runs poll() over
 * the listening socket, a self-pipe (wake/stop from other threads) and the
 * connections. Each connection reads one request (head, then a
 * Content-Length body), calls the handler, writes the answer, then reads
 * the next request or closes. Every limit is checked before memory grows.
 */
#include "httpd.h"
#include "clock.h"
#include "error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { READING, PARKED, WRITING };

typedef struct conn {
    int fd;
    int state;
    cer_buf in;                 /* bytes read, not yet consumed */
    size_t head_len;            /* READING: length of the head once complete, else 0 */
    size_t body_len;            /* Content-Length of the request being read */
    bool sent_continue;
    bool keep_alive;            /* of the current request */
    bool close_after;           /* close once the answer is written */
    int64_t parked_at;          /* PARKED: since when */
    int64_t deadline;           /* READING: request complete; PARKED: final call;
                                   WRITING: the client reads on (else closed) */
    int idle_ms;                /* the server's idle timeout */
    char method[16];
    char *target;               /* owned, current request */
    char ctype[128];
    char *auth;                 /* owned: the Authorization header, NULL without */
    char peer[INET_ADDRSTRLEN]; /* the client's IPv4 address */
    cer_buf out;                /* WRITING: the answer */
    size_t out_off;
} conn;

struct cer_httpd {
    int lfd, port;
    bool loopback;              /* bound to 127.0.0.0/8 */
    int pipe_r, pipe_w;
    volatile int stopped;
    cer_httpd_opts o;
    cer_http_handler fn;
    void *arg;
    conn *c;                    /* max_conns slots, fd -1 when free */
};

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

int cer_http_error_body(cer_buf *b, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    char *text = NULL;
    int rc;

    if (!j || !cJSON_AddStringToObject(j, "error", msg)) {
        cJSON_Delete(j);
        return cer_err(-ENOMEM, "httpd: out of memory");
    }
    rc = cer_json_print(&text, j, 0);
    cJSON_Delete(j);
    if (rc < 0)
        return rc;
    rc = cer_buf_append(b, text, strlen(text));
    free(text);
    return rc;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
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

int cer_httpd_open(cer_httpd **out, const cer_httpd_opts *opts, cer_http_handler fn, void *arg)
{
    cer_httpd *h = calloc(1, sizeof *h);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1, p[2], rc;

    *out = NULL;
    if (!h)
        return cer_err(-ENOMEM, "httpd: out of memory");
    h->o = opts ? *opts : (cer_httpd_opts){0};
    if (!h->o.listen)
        h->o.listen = "127.0.0.1:0";
    if (!h->o.max_header)
        h->o.max_header = 16 * 1024;
    if (!h->o.max_body)
        h->o.max_body = 1024 * 1024;
    if (h->o.max_conns <= 0)
        h->o.max_conns = 64;
    if (h->o.idle_timeout_ms <= 0)
        h->o.idle_timeout_ms = 10000;
    if (h->o.max_parked <= 0 || h->o.max_parked > h->o.max_conns / 2)
        h->o.max_parked = h->o.max_conns / 2;
    h->fn = fn, h->arg = arg;
    h->lfd = h->pipe_r = h->pipe_w = -1;
    if ((rc = parse_listen(&sa, h->o.listen)) < 0)
        goto fail;
    if (!(h->c = calloc((size_t)h->o.max_conns, sizeof *h->c))) {
        rc = cer_err(-ENOMEM, "httpd: out of memory");
        goto fail;
    }
    for (int i = 0; i < h->o.max_conns; i++)
        h->c[i].fd = -1;
    if (pipe(p) < 0) {
        rc = cer_err(-errno, "httpd: pipe: %s", strerror(errno));
        goto fail;
    }
    h->pipe_r = p[0], h->pipe_w = p[1];
    set_nonblock(h->pipe_r);
    set_nonblock(h->pipe_w);
    if ((h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        rc = cer_err(-errno, "httpd: socket: %s", strerror(errno));
        goto fail;
    }
    setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(h->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(h->lfd, 64) < 0 ||
        set_nonblock(h->lfd) < 0) {
        rc = cer_err(-errno, "httpd: cannot listen on %s: %s", h->o.listen, strerror(errno));
        goto fail;
    }
    if (getsockname(h->lfd, (struct sockaddr *)&sa, &sl) < 0) {
        rc = cer_err(-errno, "httpd: getsockname: %s", strerror(errno));
        goto fail;
    }
    h->port = ntohs(sa.sin_port);
    h->loopback = (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
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

bool cer_httpd_loopback(const cer_httpd *h)
{
    return h->loopback;
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

static void conn_reset_request(conn *c)
{
    free(c->target);
    free(c->auth);
    c->target = c->auth = NULL;
    c->head_len = c->body_len = 0;
    c->sent_continue = false;
    c->method[0] = c->ctype[0] = '\0';
}

static void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    conn_reset_request(c);
    cer_buf_free(&c->in);
    cer_buf_free(&c->out);
    c->out_off = 0;
}

void cer_httpd_close(cer_httpd *h)
{
    if (!h)
        return;
    for (int i = 0; h->c && i < h->o.max_conns; i++)
        conn_close(&h->c[i]);
    free(h->c);
    if (h->lfd >= 0)
        close(h->lfd);
    if (h->pipe_r >= 0)
        close(h->pipe_r);
    if (h->pipe_w >= 0)
        close(h->pipe_w);
    free(h);
}

/* Queue the answer: status line, headers, body (taken from body). */
static void respond(conn *c, int status, const char *ctype, cer_buf *body)
{
    char head[256];
    int n;

    cer_buf_free(&c->out);
    c->out_off = 0;
    n = snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n", status,
                 reason(status), ctype ? ctype : "application/json", body ? body->len : 0,
                 c->close_after || !c->keep_alive ? "close" : "keep-alive");
    if (cer_buf_append(&c->out, head, (size_t)n) < 0 ||
        (body && body->len && cer_buf_append(&c->out, body->data, body->len) < 0)) {
        cer_buf_free(&c->out);
        c->close_after = true;  /* out of memory: drop the connection */
    }
    if (body)
        cer_buf_free(body);
    c->state = WRITING;
    c->deadline = cer_clock_ms(CLOCK_MONOTONIC) + c->idle_ms;
}

/* Answer with {"error": msg} and close after it. */
static void fail(conn *c, int status, const char *msg)
{
    cer_buf b = CER_BUF_INIT;

    c->close_after = true;
    cer_http_error_body(&b, msg);
    respond(c, status, NULL, &b);
}

static bool token_char(int ch)
{
    return ch > 32 && ch < 127 && !strchr("()<>@,;:\\\"/[]?={}", ch);
}

/* Parse the head in c->in[0..head_len): method, target, version, headers.
 * Returns 0, or answers the error itself and returns -1. */
static int parse_head(cer_httpd *h, conn *c)
{
    char *p = (char *)c->in.data, *end = p + c->head_len - 2, *line, *eol, *sp1, *sp2;
    bool have_len = false, http10;

    for (char *q = p; q < end; q++)
        if (*q == '\0') {
            fail(c, 400, "NUL byte in the request head");
            return -1;
        }
    eol = strstr(p, "\r\n");
    sp1 = memchr(p, ' ', (size_t)(eol - p));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == p || (size_t)(sp1 - p) >= sizeof c->method || sp2 == sp1 + 1 || sp1[1] != '/') {
        fail(c, 400, "malformed request line");
        return -1;
    }
    for (char *q = p; q < sp1; q++)
        if (!token_char((unsigned char)*q)) {
            fail(c, 400, "malformed method");
            return -1;
        }
    for (char *q = sp1 + 1; q < sp2; q++)
        if ((unsigned char)*q <= 32 || (unsigned char)*q >= 127) {
            fail(c, 400, "malformed request target");
            return -1;
        }
    if ((size_t)(eol - sp2 - 1) != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0)) {
        fail(c, 400, "not HTTP/1.0 or HTTP/1.1");
        return -1;
    }
    http10 = memcmp(sp2 + 1, "HTTP/1.0", 8) == 0;
    memcpy(c->method, p, (size_t)(sp1 - p));
    c->method[sp1 - p] = '\0';
    if (!(c->target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1)))) {
        fail(c, 500, "out of memory");
        return -1;
    }
    c->keep_alive = !http10;
    for (line = eol + 2; line < end; line = eol + 2) {
        char *colon, *v, *ve;

        eol = strstr(line, "\r\n");
        colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon || colon == line) {
            fail(c, 400, "malformed header line");
            return -1;
        }
        for (char *q = line; q < colon; q++)
            if (!token_char((unsigned char)*q)) {
                fail(c, 400, "malformed header name");
                return -1;
            }
        for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
            ;
        for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
            ;
        size_t nl = (size_t)(colon - line), vl = (size_t)(ve - v);
#define IS(name) (nl == sizeof name - 1 && strncasecmp(line, name, nl) == 0)
#define VAL(s) (vl == sizeof s - 1 && strncasecmp(v, s, vl) == 0)
        if (IS("content-length")) {
            uint64_t n = 0;
            if (vl == 0 || vl > 12) {
                fail(c, 400, "bad Content-Length");
                return -1;
            }
            for (size_t i = 0; i < vl; i++) {
                if (!isdigit((unsigned char)v[i])) {
                    fail(c, 400, "bad Content-Length");
                    return -1;
                }
                n = n * 10 + (uint64_t)(v[i] - '0');
            }
            if (have_len && n != c->body_len) {
                fail(c, 400, "conflicting Content-Length headers");
                return -1;
            }
            if (n > h->o.max_body) {
                char m[96];
                snprintf(m, sizeof m, "body of %llu bytes is over the limit of %zu", (unsigned long long)n,
                         h->o.max_body);
                fail(c, 413, m);
                return -1;
            }
            c->body_len = (size_t)n;
            have_len = true;
        } else if (IS("transfer-encoding")) {
            fail(c, 501, "Transfer-Encoding is not supported: send a Content-Length body");
            return -1;
        } else if (IS("connection")) {
            if (VAL("close"))
                c->keep_alive = false;
            else if (VAL("keep-alive"))
                c->keep_alive = true;
        } else if (IS("authorization")) {
            if (c->auth || !(c->auth = strndup(v, vl))) {
                fail(c, c->auth ? 400 : 500, c->auth ? "more than one Authorization header" : "out of memory");
                return -1;
            }
        } else if (IS("content-type")) {
            snprintf(c->ctype, sizeof c->ctype, "%.*s", (int)(vl < sizeof c->ctype ? vl : sizeof c->ctype - 1), v);
        } else if (IS("expect")) {
            if (!VAL("100-continue")) {
                fail(c, 400, "unsupported Expect");
                return -1;
            }
            if (!c->sent_continue) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                ssize_t w = send(c->fd, cont, sizeof cont - 1, MSG_NOSIGNAL);
                (void)w;  /* the client sends the body anyway after a while */
                c->sent_continue = true;
            }
        }
#undef IS
#undef VAL
    }
    return 0;
}

static int parked(const cer_httpd *h)
{
    int n = 0;

    for (int i = 0; i < h->o.max_conns; i++)
        n += h->c[i].fd >= 0 && h->c[i].state == PARKED;
    return n;
}

/* Call the handler for c's complete request; answer or park. A request
 * that finds max_parked connections parked is final from the start: it
 * is answered now, so long polls never hold every connection. */
static void dispatch(cer_httpd *h, conn *c, bool final)
{
    if (!final && c->state != PARKED && parked(h) >= h->o.max_parked)
        final = true;
    cer_http_req req = {.method = c->method,
                        .target = c->target,
                        .content_type = c->ctype,
                        .authorization = c->auth,
                        .peer = c->peer,
                        .body = c->in.data + c->head_len,
                        .body_len = c->body_len,
                        .final = final,
                        .again = c->state == PARKED,
                        .waited_ms = c->state == PARKED ? (int)(cer_clock_ms(CLOCK_MONOTONIC) - c->parked_at) : 0};
    cer_http_resp resp = {.status = 200};
    uint8_t saved = 0;
    int rc;

    /* the body NUL-terminated in place (the byte after it is kept) */
    if (c->in.len > c->head_len + c->body_len) {
        saved = c->in.data[c->head_len + c->body_len];
        c->in.data[c->head_len + c->body_len] = '\0';
    }
    rc = h->fn(h->arg, &req, &resp);
    if (c->in.len > c->head_len + c->body_len)
        c->in.data[c->head_len + c->body_len] = saved;
    if (rc == CER_HTTPD_WAIT && !final) {
        cer_buf_free(&resp.body);
        if (c->state != PARKED) {
            c->state = PARKED;
            c->parked_at = cer_clock_ms(CLOCK_MONOTONIC);
            c->deadline = cer_clock_ms(CLOCK_MONOTONIC) + (resp.wait_ms > 0 ? resp.wait_ms : 0);
        }
        return;
    }
    if (rc < 0 || rc == CER_HTTPD_WAIT) {
        cer_buf_free(&resp.body);
        cer_http_error_body(&resp.body, rc < 0 ? cer_errmsg() : "handler did not answer");
        resp.status = 500;
        resp.content_type = NULL;
    }
    respond(c, resp.status, resp.content_type, &resp.body);
}

/* Look for a complete request in c->in; dispatch it when there is one. */
static void advance(cer_httpd *h, conn *c)
{
    if (!c->head_len) {
        uint8_t *e = c->in.len >= 4 ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4) : NULL;
        if (!e) {
            if (c->in.len > h->o.max_header)
                fail(c, 431, "request head too large");
            return;
        }
        c->head_len = (size_t)(e - c->in.data) + 4;
        if (c->head_len > h->o.max_header) {
            fail(c, 431, "request head too large");
            return;
        }
        if (parse_head(h, c) < 0)
            return;
    }
    if (c->in.len - c->head_len < c->body_len)
        return;
    dispatch(h, c, false);
}

static void on_readable(cer_httpd *h, conn *c)
{
    uint8_t buf[16384];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0)
        return;
    if (c->in.len + (size_t)n > h->o.max_header + h->o.max_body + 4) {
        fail(c, c->head_len ? 413 : 431, "request too large");
        return;
    }
    if (cer_buf_append(&c->in, buf, (size_t)n) < 0) {
        conn_close(c);
        return;
    }
    if (c->state == READING)
        advance(h, c);
}

static void on_writable(cer_httpd *h, conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            conn_close(c);
            return;
        }
        c->out_off += (size_t)n;
        c->deadline = cer_clock_ms(CLOCK_MONOTONIC) + c->idle_ms;
    }
    if (c->close_after || !c->keep_alive) {
        conn_close(c);
        return;
    }
    /* next request: drop this one's bytes, keep what followed */
    size_t used = c->head_len + c->body_len;
    memmove(c->in.data, c->in.data + used, c->in.len - used);
    c->in.len -= used;
    conn_reset_request(c);
    cer_buf_free(&c->out);
    c->out_off = 0;
    c->state = READING;
    c->deadline = cer_clock_ms(CLOCK_MONOTONIC) + h->o.idle_timeout_ms;
    advance(h, c);
    if (c->state == WRITING)
        on_writable(h, c);
}

static void on_accept(cer_httpd *h)
{
    for (;;) {
        int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;

        if (fd < 0)
            return;
        for (i = 0; i < h->o.max_conns && h->c[i].fd >= 0; i++)
            ;
        if (i == h->o.max_conns) {
            static const char body[] = "{\"error\":\"too many connections\"}";
            char busy[256];
            int n = snprintf(busy, sizeof busy,
                             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                             sizeof body - 1, body);
            ssize_t w = send(fd, busy, (size_t)n, MSG_NOSIGNAL);
            (void)w;  /* best effort: the connection is closed either way */
            close(fd);
            continue;
        }
        memset(&h->c[i], 0, sizeof h->c[i]);
        if (getpeername(fd, (struct sockaddr *)&sa, &sl) < 0 ||
            !inet_ntop(AF_INET, &sa.sin_addr, h->c[i].peer, sizeof h->c[i].peer))
            snprintf(h->c[i].peer, sizeof h->c[i].peer, "?");
        h->c[i].fd = fd;
        h->c[i].state = READING;
        h->c[i].idle_ms = h->o.idle_timeout_ms;
        h->c[i].deadline = cer_clock_ms(CLOCK_MONOTONIC) + h->o.idle_timeout_ms;
    }
}

int cer_httpd_run(cer_httpd *h, const volatile int *stop)
{
    struct pollfd *pf = calloc((size_t)h->o.max_conns + 2, sizeof *pf);
    int *idx = calloc((size_t)h->o.max_conns + 2, sizeof *idx);
    int rc = 0;

    if (!pf || !idx) {
        free(pf);
        free(idx);
        return cer_err(-ENOMEM, "httpd: out of memory");
    }
    while (!h->stopped && !(stop && *stop)) {
        int64_t now = cer_clock_ms(CLOCK_MONOTONIC), next = now + 1000;
        nfds_t n = 0;
        bool woken = false;

        pf[n++] = (struct pollfd){.fd = h->lfd, .events = POLLIN};
        pf[n++] = (struct pollfd){.fd = h->pipe_r, .events = POLLIN};
        for (int i = 0; i < h->o.max_conns; i++) {
            conn *c = &h->c[i];
            if (c->fd < 0)
                continue;
            if (c->deadline < next)
                next = c->deadline;
            idx[n] = i;
            /* a parked request still reads, to notice a closed connection */
            pf[n++] = (struct pollfd){.fd = c->fd, .events = c->state == WRITING ? POLLOUT : POLLIN};
        }
        if (poll(pf, n, next > now ? (int)(next - now) : 0) < 0 && errno != EINTR) {
            rc = cer_err(-errno, "httpd: poll: %s", strerror(errno));
            break;
        }
        if (pf[1].revents & POLLIN) {
            char b[64];
            while (read(h->pipe_r, b, sizeof b) > 0)
                ;
            woken = true;
        }
        for (nfds_t k = 2; k < n; k++) {
            conn *c = &h->c[idx[k]];
            if (c->fd < 0 || !pf[k].revents)
                continue;
            if (pf[k].revents & POLLOUT)
                on_writable(h, c);
            else if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
                on_readable(h, c);
        }
        now = cer_clock_ms(CLOCK_MONOTONIC);
        for (int i = 0; i < h->o.max_conns; i++) {
            conn *c = &h->c[i];
            if (c->fd < 0)
                continue;
            if (c->state == PARKED && (woken || now >= c->deadline))
                dispatch(h, c, now >= c->deadline);
            else if (c->state == READING && now >= c->deadline) {
                if (c->in.len == 0)
                    conn_close(c);  /* an idle keep-alive connection */
                else
                    fail(c, 408, "request not complete in time");
            } else if (c->state == WRITING && now >= c->deadline) {
                conn_close(c);  /* the client stopped reading */
                continue;
            }
            if (c->fd >= 0 && c->state == WRITING)
                on_writable(h, c);
        }
        if (pf[0].revents & POLLIN)
            on_accept(h);
    }
    free(pf);
    free(idx);
    return rc;
}
