/*
 * test_httpd.c — the HTTP server (core/httpd.c, over libmicrohttpd) on real
 * sockets: what the handler sees (method, target, path, query, headers,
 * body, Expect: 100-continue, keep-alive and pipelining), parked requests
 * (wake, deadline, the cap), and its limits: a body over max_body is
 * refused with 413 before it is read, a chunked body with 501, malformed
 * requests get 400 (header names that are not tokens and an unknown
 * Expect among them), a head over max_header 431, a slow client is cut off
 * at the idle timeout (unanswered: libmicrohttpd cannot send the old 408),
 * a connection past max_per_ip from one address is closed unanswered while
 * other addresses are served, one past max_conns is answered 503; any
 * address but loopback is logged as a WARNING.
 */
#include "testutil.h"
#include "clock.h"
#include "error.h"
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct srv {
    cer_httpd *h;
    pthread_t thread;
    volatile int calls;          /* handler calls for /park */
    volatile int ready;          /* /park answers once set */
} srv;

static int echo(void *arg, const cer_http_req *req, cer_http_resp *resp)
{
    srv *s = arg;
    char line[512];

    if (strcmp(req->path, "/park") == 0) {
        __atomic_add_fetch(&s->calls, 1, __ATOMIC_SEQ_CST);
        if (!s->ready && !req->final) {
            resp->wait_ms = 10000;
            return CER_HTTPD_WAIT;
        }
        snprintf(line, sizeof line, "parked final=%d again=%d", req->final, req->again);
    } else if (strcmp(req->path, "/short") == 0) {
        if (!req->final) {
            resp->wait_ms = 100;
            return CER_HTTPD_WAIT;
        }
        snprintf(line, sizeof line, "deadline final=%d waited=%d", req->final, req->waited_ms >= 100);
    } else if (strcmp(req->path, "/who") == 0) {
        const char *x = cer_http_header(req, "x-thing");
        snprintf(line, sizeof line, "%s %s %s", req->peer, req->authorization ? req->authorization : "-",
                 x ? x : "-");
    } else if (strcmp(req->path, "/fail") == 0) {
        return cer_err(-EIO, "handler failed on purpose");
    } else if (strcmp(req->path, "/teapot") == 0) {
        return cer_http_error(resp, 418, "short and \"stout\"");
    } else {
        const char *b = cer_http_arg(req, "b");
        snprintf(line, sizeof line, "%s %s %s ?%s b=%s [%s] %zu:%.*s", req->method, req->target, req->path,
                 req->query, b ? b : "-", req->content_type, req->body_len, (int)req->body_len,
                 (const char *)req->body);
    }
    resp->content_type = "text/plain";
    return cer_buf_append(&resp->body, line, strlen(line));
}

static void *run_srv(void *arg)
{
    srv *s = arg;
    cer_httpd_run(s->h, NULL);
    return NULL;
}

static void srv_start(srv *s, const cer_httpd_opts *o)
{
    memset(s, 0, sizeof *s);
    ck_assert_msg(cer_httpd_open(&s->h, o, echo, s) == 0, "%s", cer_errmsg());
    ck_assert_int_gt(cer_httpd_port(s->h), 0);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, run_srv, s), 0);
}

static void srv_stop(srv *s)
{
    cer_httpd_stop(s->h);
    pthread_join(s->thread, NULL);
    cer_httpd_close(s->h);
}

/* A connection from a given source address (127.x.y.z) to 127.0.0.1:port. */
static int dial_from(const char *src, int port)
{
    struct sockaddr_in me = {.sin_family = AF_INET}, sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    inet_pton(AF_INET, src, &me.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void send_s(int fd, const char *s)
{
    tu_send_all(fd, s, strlen(s));
}

/* One request on an open connection, its answer read (kept alive). */
static int ask(int fd, const char *path)
{
    char req[256], tmp[1024];
    ssize_t n;

    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    tu_send_all(fd, req, strlen(req));
    n = recv(fd, tmp, sizeof tmp - 1, 0);
    if (n <= 0)
        return -1;
    tmp[n] = '\0';
    return tu_http_status(tmp);
}

START_TEST(httpd_answers)
{
    cer_httpd_opts o = {.max_body = 64};
    srv s;
    char *r;
    int port;

    srv_start(&s, &o);
    port = cer_httpd_port(s.h);
    r = tu_xfer_s(port, "GET /a?b=1%202&c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_msg(tu_http_status(r) == 200, "%s", r);
    ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/plain\r\n"));
    ck_assert_str_eq(tu_http_body(r), "GET /a?b=1%202&c /a ?b=1%202&c b=1 2 [] 0:");
    free(r);
    /* a body, then a second request on the same connection (pipelined), HTTP/1.0 closes */
    r = tu_xfer_s(port, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"
                        "GET /q HTTP/1.0\r\n\r\n");
    ck_assert_msg(tu_http_status(r) == 200, "%s", r);
    ck_assert_ptr_nonnull(strstr(r, "POST /p /p ? b=- [application/json] 5:hello"));
    ck_assert_ptr_nonnull(strstr(r, "GET /q /q ? b=- [] 0:"));
    free(r);
    /* Expect: 100-continue is answered before the body */
    r = tu_xfer_s(port, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
                        "Connection: close\r\n\r\nok");
    ck_assert_int_eq(tu_http_status(r), 100);
    ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 200 OK"));
    free(r);
    /* a handler error is a 500 with its message; cer_http_error escapes */
    r = tu_xfer_s(port, "GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(tu_http_status(r), 500);
    ck_assert_ptr_nonnull(strstr(r, "Content-Type: application/json\r\n"));
    ck_assert_str_eq(tu_http_body(r), "{\"error\":\"handler failed on purpose\"}");
    free(r);
    r = tu_xfer_s(port, "GET /teapot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(tu_http_status(r), 418);
    ck_assert_str_eq(tu_http_body(r), "{\"error\":\"short and \\\"stout\\\"\"}");
    free(r);
    /* headers: the peer, Authorization, any by name */
    r = tu_xfer_s(port, "GET /who HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\nX-Thing: 7\r\n"
                        "Connection: close\r\n\r\n");
    ck_assert_str_eq(tu_http_body(r), "127.0.0.1 Bearer x.y.z 7");
    free(r);
    srv_stop(&s);
}
END_TEST

START_TEST(httpd_refuses)
{
    static const struct {
        const char *raw;
        int status;
        const char *why;        /* in the body; NULL: libmicrohttpd's own page */
    } cases[] = {
        {"GET / HTTP/1.1 x\r\nHost: x\r\n\r\n", 400, NULL},
        {"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, NULL},
        {"GET / HTTP/1.1\r\n\r\n", 400, NULL},  /* HTTP/1.1 without Host */
        {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, NULL},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12a\r\n\r\n", 400, NULL},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, NULL},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400,
         "more than one Content-Length header"},
        {"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n", 400,
         "more than one Authorization header"},
        {"GET / HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n", 400, "malformed header name"},
        {"GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 400, "unsupported Expect"},
        /* over max_body: answered from the head, the body never sent */
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n", 413, "body of 65 bytes is over the limit of 64"},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\nExpect: 100-continue\r\n\r\n", 413,
         "over the limit of 64"},
        /* a chunked body: refused from the head, small or not */
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "Transfer-Encoding"},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "40\r\n0123456789012345678901234567890123456789012345678901234567890123\r\n1\r\nx\r\n0\r\n\r\n",
         501, "Transfer-Encoding is not supported: send a Content-Length body"},
        /* no answer: not HTTP */
        {"garbage\r\n\r\n", -1, NULL},
    };
    /* an idle timeout far above the time an answer takes on a busy machine */
    cer_httpd_opts o = {.max_body = 64, .max_header = 4096, .timeout_s = 10};
    char big[8192], *r;
    srv s;
    int port;

    srv_start(&s, &o);
    port = cer_httpd_port(s.h);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = tu_dial(port);
        int64_t t0 = cer_clock_ms(CLOCK_MONOTONIC);
        tu_send_all(fd, cases[i].raw, strlen(cases[i].raw));
        r = tu_read_all(fd);
        ck_assert_msg(tu_http_status(r) == cases[i].status, "case %zu: %s", i, r);
        if (cases[i].status > 0)
            ck_assert_ptr_nonnull(strstr(r, "Connection: close\r\n"));
        if (cases[i].why) {
            ck_assert_msg(strstr(tu_http_body(r), cases[i].why), "case %zu: %s", i, r);
            ck_assert_ptr_nonnull(strstr(r, "Content-Type: application/json\r\n"));
        }
        /* answered at once, not at the idle timeout */
        ck_assert_msg(cer_clock_ms(CLOCK_MONOTONIC) - t0 < 9000, "case %zu: slow", i);
        free(r);
    }
    /* a head over max_header */
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nX: ", 28);
    memcpy(big + sizeof big - 4, "\r\n\r\n", 4);
    r = tu_xfer(port, big, sizeof big);
    ck_assert_msg(tu_http_status(r) == 431, "%s", r);
    free(r);
    srv_stop(&s);
}
END_TEST

/* A slow client is cut off at the idle timeout, unanswered, as is an idle
 * kept-alive connection; one that keeps talking is served. (The server
 * before libmicrohttpd answered an unfinished request 408: see httpd.c.) */
START_TEST(httpd_timeout)
{
    cer_httpd_opts o = {.timeout_s = 1};
    int64_t t0;
    srv s;
    char *r;
    int fd;

    srv_start(&s, &o);
    t0 = cer_clock_ms(CLOCK_MONOTONIC);
    fd = tu_dial(cer_httpd_port(s.h));
    tu_send_all(fd, "GET / HTTP/1.1\r\nHo", 18);
    r = tu_read_all(fd);
    ck_assert_str_eq(r, "");
    ck_assert_int_ge(cer_clock_ms(CLOCK_MONOTONIC) - t0, 900);
    ck_assert_int_lt(cer_clock_ms(CLOCK_MONOTONIC) - t0, 5000);
    free(r);
    fd = tu_dial(cer_httpd_port(s.h));
    ck_assert_int_eq(ask(fd, "/1"), 200);
    t0 = cer_clock_ms(CLOCK_MONOTONIC);
    r = tu_read_all(fd);
    ck_assert_str_eq(r, "");
    ck_assert_int_ge(cer_clock_ms(CLOCK_MONOTONIC) - t0, 900);
    free(r);
    /* a request a byte at a time, each within the timeout */
    fd = tu_dial(cer_httpd_port(s.h));
    {
        static const char req[] = "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        for (size_t i = 0; i + 1 < sizeof req; i += 10) {
            tu_send_all(fd, req + i, sizeof req - 1 - i < 10 ? sizeof req - 1 - i : 10);
            usleep(100 * 1000);
        }
    }
    r = tu_read_all(fd);
    ck_assert_msg(tu_http_status(r) == 200, "%s", r);
    free(r);
    srv_stop(&s);
}
END_TEST

/* Past max_per_ip from one address a new connection is closed unanswered,
 * while another address is served; past max_conns a new connection is
 * answered 503, and served again once one closes. */
START_TEST(httpd_conn_limits)
{
    cer_httpd_opts o = {.max_conns = 3, .max_per_ip = 2};
    srv s;
    int a, b, c, d, e, port;
    char *r;

    srv_start(&s, &o);
    port = cer_httpd_port(s.h);
    a = tu_dial(port);
    b = tu_dial(port);
    ck_assert_int_eq(ask(a, "/1"), 200);
    ck_assert_int_eq(ask(b, "/2"), 200);
    /* a third from 127.0.0.1: over the per-address limit */
    r = tu_xfer_s(port, "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r, "");
    free(r);
    /* another address is served, and takes the last connection */
    c = dial_from("127.0.0.2", port);
    ck_assert_int_eq(ask(c, "/4"), 200);
    /* over max_conns: 503 at once, the connection closed */
    d = dial_from("127.0.0.3", port);
    send_s(d, "GET /5 HTTP/1.1\r\nHost: x\r\n\r\n");
    r = tu_read_all(d);
    ck_assert_msg(tu_http_status(r) == 503, "%s", r);
    ck_assert_ptr_nonnull(strstr(r, "Connection: close\r\n"));
    ck_assert_str_eq(tu_http_body(r), "{\"error\":\"too many connections\"}");
    free(r);
    /* one closes: room again (its close is seen a moment later) */
    close(c);
    for (int i = 0;; i++) {
        d = dial_from("127.0.0.3", port);
        if (ask(d, "/6") == 200)
            break;
        close(d);
        ck_assert_int_lt(i, 100);
        usleep(20 * 1000);
    }
    close(d);
    close(a);
    for (int i = 0;; i++) {
        e = tu_dial(port);
        if (ask(e, "/7") == 200)
            break;
        close(e);
        ck_assert_int_lt(i, 100);
        usleep(20 * 1000);
    }
    close(e);
    close(b);
    srv_stop(&s);
}
END_TEST

/* With the per-address limit at max_conns (its default cap), a
 * connection past max_conns from the same address gets the 503 too. */
START_TEST(httpd_max_conns)
{
    cer_httpd_opts o = {.max_conns = 2};
    srv s;
    int a, b;
    char *r;

    srv_start(&s, &o);
    a = tu_dial(cer_httpd_port(s.h));
    b = tu_dial(cer_httpd_port(s.h));
    ck_assert_int_eq(ask(a, "/1"), 200);  /* a and b are taken (a answered, kept alive) */
    r = tu_xfer_s(cer_httpd_port(s.h), "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_msg(tu_http_status(r) == 503, "%s", r);
    ck_assert_str_eq(tu_http_body(r), "{\"error\":\"too many connections\"}");
    free(r);
    close(a);
    close(b);
    srv_stop(&s);
}
END_TEST

START_TEST(httpd_parked)
{
    srv s;
    int fd;
    char *r;

    srv_start(&s, NULL);
    fd = tu_dial(cer_httpd_port(s.h));
    send_s(fd, "GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    while (__atomic_load_n(&s.calls, __ATOMIC_SEQ_CST) < 1)
        usleep(1000);
    /* parked: a wake calls the handler again, which now answers */
    s.ready = 1;
    cer_httpd_wake(s.h);
    r = tu_read_all(fd);
    ck_assert_msg(tu_http_status(r) == 200, "%s", r);
    ck_assert_str_eq(tu_http_body(r), "parked final=0 again=1");
    ck_assert_int_eq(s.calls, 2);
    free(r);
    /* a request nobody wakes is answered at its deadline with final set */
    r = tu_xfer_s(cer_httpd_port(s.h), "GET /short HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_str_eq(tu_http_body(r), "deadline final=1 waited=1");
    free(r);
    srv_stop(&s);
}
END_TEST

/* Long polls never take every connection: past max_parked a request that
 * would park is answered at once (final); closing the server answers the
 * parked ones. */
START_TEST(httpd_parked_cap)
{
    cer_httpd_opts o = {.max_conns = 8, .max_per_ip = 4};
    srv s;
    int fd[2];
    char *r;

    srv_start(&s, &o);
    for (int i = 0; i < 2; i++) {
        fd[i] = tu_dial(cer_httpd_port(s.h));
        send_s(fd[i], "GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        while (__atomic_load_n(&s.calls, __ATOMIC_SEQ_CST) < i + 1)
            usleep(1000);
    }
    r = tu_xfer_s(cer_httpd_port(s.h), "GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_msg(tu_http_status(r) == 200, "%s", r);
    ck_assert_str_eq(tu_http_body(r), "parked final=1 again=0");
    free(r);
    cer_httpd_stop(s.h);
    pthread_join(s.thread, NULL);
    cer_httpd_close(s.h);
    for (int i = 0; i < 2; i++) {
        r = tu_read_all(fd[i]);
        ck_assert_str_eq(tu_http_body(r), "parked final=1 again=1");
        free(r);
    }
}
END_TEST

static void keep_line(void *arg, const char *line)
{
    cer_buf *b = arg;
    cer_buf_append(b, line, strlen(line));
    cer_buf_append(b, "\n", 1);
}

/* Loopback unless told; any other address is a WARNING; bad addresses fail. */
START_TEST(httpd_listen)
{
    cer_buf log = CER_BUF_INIT;
    cer_httpd_opts o = {.listen = "0.0.0.0:0", .name = "the test", .log = keep_line, .log_arg = &log};
    cer_httpd *h = NULL;
    char want[128];

    ck_assert_int_eq(cer_httpd_loopback("127.0.0.2:1"), 1);
    ck_assert_int_eq(cer_httpd_loopback("localhost:0"), 1);
    ck_assert_int_eq(cer_httpd_loopback("0.0.0.0:0"), 0);
    ck_assert_int_eq(cer_httpd_loopback("nowhere"), -EINVAL);
    ck_assert_int_eq(cer_httpd_open(&h, &o, echo, NULL), 0);
    snprintf(want, sizeof want, "WARNING: the test listens on 0.0.0.0:%d, open to other hosts", cer_httpd_port(h));
    ck_assert_msg(log.data && strstr((char *)log.data, want), "%s", log.data ? (char *)log.data : "(nothing)");
    cer_httpd_close(h);
    cer_buf_free(&log);
    o = (cer_httpd_opts){.log = keep_line, .log_arg = &log};
    ck_assert_int_eq(cer_httpd_open(&h, &o, echo, NULL), 0);
    ck_assert_ptr_null(log.data);
    cer_httpd_close(h);
    o.listen = "127.0.0.1:99999";
    ck_assert_int_eq(cer_httpd_open(&h, &o, echo, NULL), -EINVAL);
    ck_assert_ptr_null(h);
    cer_buf_free(&log);
}
END_TEST

static Suite *httpd_suite(void)
{
    Suite *s = suite_create("httpd");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, httpd_answers);
    tcase_add_test(tc, httpd_refuses);
    tcase_add_test(tc, httpd_timeout);
    tcase_add_test(tc, httpd_conn_limits);
    tcase_add_test(tc, httpd_max_conns);
    tcase_add_test(tc, httpd_parked);
    tcase_add_test(tc, httpd_parked_cap);
    tcase_add_test(tc, httpd_listen);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(httpd_suite)
