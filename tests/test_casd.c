/*
 * test_casd.c — the HTTP server (core/httpd.c) over real sockets: answers,
 * keep-alive and pipelining, parked requests (wake, deadline), and every
 * refusal (400/408/413/431/501/503); and the anchor service (core/casd.c)
 * on the in-memory chain: supported_chains, JSON and CAR requests (a real
 * signed TileDocument genesis and update), batches, the COMPLETED answer
 * whose witness CAR holds the anchor commit, the proof and the tree path,
 * REPLACED, the long poll's deadline, bad requests, each with its 4xx, and
 * the request journal across a restart (torn and stray lines skipped).
 */
#include "testutil.h"
#include "anchor.h"
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

/* ---- a raw client: send bytes, read until the server closes ---- */

static int dial(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;  /* the server may close early (413, 431) */
        p = (const char *)p + w, n -= (size_t)w;
    }
}

/* Everything the server sends until it closes (caller frees). */
static char *read_all(int fd)
{
    cer_buf b = CER_BUF_INIT;
    char tmp[4096];
    ssize_t r;

    while ((r = recv(fd, tmp, sizeof tmp, 0)) > 0)
        ck_assert_int_eq(cer_buf_append(&b, tmp, (size_t)r), 0);
    close(fd);
    if (!b.data)
        return strdup("");
    return (char *)b.data;
}

static char *xfer(int port, const void *raw, size_t n)
{
    int fd = dial(port);
    send_all(fd, raw, n);
    return read_all(fd);
}

static char *xfer_s(int port, const char *raw)
{
    return xfer(port, raw, strlen(raw));
}

/* The status code of the first answer in text. */
static int status_of(const char *text)
{
    int s = 0;
    return sscanf(text, "HTTP/1.1 %d", &s) == 1 ? s : -1;
}

static const char *body_of(const char *text)
{
    const char *b = strstr(text, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* ---- the HTTP server with a test handler ---- */

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

    if (strcmp(req->target, "/park") == 0) {
        __atomic_add_fetch(&s->calls, 1, __ATOMIC_SEQ_CST);
        if (!s->ready && !req->final) {
            resp->wait_ms = 10000;
            return CER_HTTPD_WAIT;
        }
        snprintf(line, sizeof line, "parked final=%d", req->final);
    } else if (strcmp(req->target, "/short") == 0) {
        if (!req->final) {
            resp->wait_ms = 100;
            return CER_HTTPD_WAIT;
        }
        snprintf(line, sizeof line, "deadline final=%d", req->final);
    } else if (strcmp(req->target, "/fail") == 0) {
        return cer_err(-EIO, "handler failed on purpose");
    } else {
        snprintf(line, sizeof line, "%s %s [%s] %zu:%.*s", req->method, req->target, req->content_type,
                 req->body_len, (int)req->body_len, (const char *)req->body);
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
    ck_assert_int_eq(cer_httpd_open(&s->h, o, echo, s), 0);
    ck_assert_int_gt(cer_httpd_port(s->h), 0);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, run_srv, s), 0);
}

static void srv_stop(srv *s)
{
    cer_httpd_stop(s->h);
    pthread_join(s->thread, NULL);
    cer_httpd_close(s->h);
}

START_TEST(httpd_answers)
{
    cer_httpd_opts o = {.max_body = 64, .max_header = 512};
    srv s;
    char *r;
    int port;

    srv_start(&s, &o);
    port = cer_httpd_port(s.h);
    r = xfer_s(port, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/plain\r\n"));
    ck_assert_ptr_nonnull(strstr(r, "Connection: close\r\n"));
    ck_assert_str_eq(body_of(r), "GET /a?b=1 [] 0:");
    free(r);
    /* a body, then a second request on the same connection (pipelined), HTTP/1.0 closes */
    r = xfer_s(port, "POST /p HTTP/1.1\r\nContent-Type: application/json\r\ncontent-length:  5 \r\n\r\nhello"
                     "GET /q HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_ptr_nonnull(strstr(r, "Connection: keep-alive\r\n"));
    ck_assert_ptr_nonnull(strstr(r, "POST /p [application/json] 5:hello"));
    ck_assert_ptr_nonnull(strstr(r, "GET /q [] 0:"));
    free(r);
    /* Expect: 100-continue is answered before the body */
    r = xfer_s(port, "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    ck_assert_int_eq(status_of(r), 100);
    ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 200 OK"));
    free(r);
    /* a handler error is a 500 with its message */
    r = xfer_s(port, "GET /fail HTTP/1.1\r\n\r\n");
    ck_assert_int_eq(status_of(r), 500);
    ck_assert_str_eq(body_of(r), "{\"error\":\"handler failed on purpose\"}");
    free(r);
    srv_stop(&s);
}
END_TEST

START_TEST(httpd_refuses)
{
    static const struct {
        const char *raw;
        int status;
        const char *why;
    } cases[] = {
        {"garbage\r\n\r\n", 400, "malformed request line"},
        {"GET  HTTP/1.1\r\n\r\n", 400, "malformed request line"},
        {"GET nopath HTTP/1.1\r\n\r\n", 400, "malformed request line"},
        {"GET / HTTP/2.0\r\n\r\n", 400, "not HTTP/1.0 or HTTP/1.1"},
        {"G(T / HTTP/1.1\r\n\r\n", 400, "malformed method"},
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "malformed header line"},
        {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "malformed header name"},
        {"POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400, "bad Content-Length"},
        {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length"},
        {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "conflicting"},
        {"POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 413, "over the limit of 64"},
        {"POST / HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n", 400, "bad Content-Length"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "Transfer-Encoding"},
        {"GET / HTTP/1.1\r\nExpect: magic\r\n\r\n", 400, "unsupported Expect"},
    };
    cer_httpd_opts o = {.max_body = 64, .max_header = 512, .idle_timeout_ms = 300};
    char big[2048], *r;
    srv s;
    int port;

    srv_start(&s, &o);
    port = cer_httpd_port(s.h);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = xfer_s(port, cases[i].raw);
        ck_assert_msg(status_of(r) == cases[i].status, "case %zu: %s", i, r);
        ck_assert_msg(strstr(body_of(r), cases[i].why), "case %zu: %s", i, r);
        ck_assert_ptr_nonnull(strstr(r, "Connection: close\r\n"));
        free(r);
    }
    /* a NUL byte in the head */
    r = xfer(port, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", sizeof "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n" - 1);
    ck_assert_int_eq(status_of(r), 400);
    ck_assert_ptr_nonnull(strstr(r, "NUL byte"));
    free(r);
    /* headers over max_header, with or without their end */
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    r = xfer(port, big, sizeof big);
    ck_assert_int_eq(status_of(r), 431);
    free(r);
    /* a request that never completes: 408 after the idle timeout; an idle
     * connection is just closed */
    r = xfer_s(port, "GET / HTTP/1.1\r\n");
    ck_assert_int_eq(status_of(r), 408);
    free(r);
    r = xfer_s(port, "");
    ck_assert_str_eq(r, "");
    free(r);
    srv_stop(&s);
}
END_TEST

START_TEST(httpd_max_conns)
{
    cer_httpd_opts o = {.max_conns = 2};
    srv s;
    int a, b;
    char *r;

    srv_start(&s, &o);
    a = dial(cer_httpd_port(s.h));
    b = dial(cer_httpd_port(s.h));
    send_all(a, "GET /1 HTTP/1.1\r\n\r\n", 19);  /* a and b are taken (a answered, kept alive) */
    {
        char tmp[512];
        ck_assert_int_gt(recv(a, tmp, sizeof tmp, 0), 0);
    }
    r = xfer_s(cer_httpd_port(s.h), "GET /3 HTTP/1.1\r\n\r\n");
    ck_assert_int_eq(status_of(r), 503);
    ck_assert_str_eq(body_of(r), "{\"error\":\"too many connections\"}");
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
    fd = dial(cer_httpd_port(s.h));
    send_all(fd, "GET /park HTTP/1.1\r\nConnection: close\r\n\r\n", 41);
    while (__atomic_load_n(&s.calls, __ATOMIC_SEQ_CST) < 1)
        usleep(1000);
    /* parked: a wake calls the handler again, which now answers */
    s.ready = 1;
    cer_httpd_wake(s.h);
    r = read_all(fd);
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_str_eq(body_of(r), "parked final=0");
    ck_assert_int_eq(s.calls, 2);
    free(r);
    /* a request nobody wakes is answered at its deadline with final set */
    r = xfer_s(cer_httpd_port(s.h), "GET /short HTTP/1.1\r\n\r\n");
    ck_assert_str_eq(body_of(r), "deadline final=1");
    free(r);
    srv_stop(&s);
}
END_TEST

/* ---- the anchor service ---- */

typedef struct cas {
    cer_casd *d;
    pthread_t thread;
    int port;
} cas;

static void *run_cas(void *arg)
{
    cas *c = arg;
    cer_casd_run(c->d, NULL);
    return NULL;
}

static void cas_start_in(cas *c, double poll_wait, size_t max_requests, const char *state)
{
    cer_casd_opts o = {.listen = "127.0.0.1:0", .poll_wait = poll_wait, .max_requests = max_requests,
                       .state = state, .anchor = {.chain = "inmemory", .interval = -1}};

    ck_assert_int_eq(cer_casd_open(&c->d, &o), 0);
    c->port = cer_casd_port(c->d);
    ck_assert_str_eq(cer_casd_chain(c->d), "inmemory:12345");
    ck_assert_int_eq(pthread_create(&c->thread, NULL, run_cas, c), 0);
}

static void cas_start(cas *c, double poll_wait, size_t max_requests)
{
    cas_start_in(c, poll_wait, max_requests, NULL);
}

static void cas_stop(cas *c)
{
    cer_casd_stop(c->d);
    pthread_join(c->thread, NULL);
    cer_casd_close(c->d);
}

/* A request: method, path, content type, body; returns the whole answer. */
static char *call(cas *c, const char *method, const char *path, const char *ctype, const void *body, size_t n)
{
    char head[512];
    cer_buf b = CER_BUF_INIT;
    char *r;

    snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: t\r\n%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
             method, path, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "", n);
    ck_assert_int_eq(cer_buf_append(&b, head, strlen(head)), 0);
    if (n)
        ck_assert_int_eq(cer_buf_append(&b, body, n), 0);
    r = xfer(c->port, b.data, b.len);
    cer_buf_free(&b);
    return r;
}

static cJSON *json_of(const char *answer)
{
    cJSON *j = NULL;
    const char *b = body_of(answer);
    ck_assert_msg(cer_json_parse(&j, b, strlen(b), 0) == 0, "not JSON: %s", answer);
    return j;
}

static const char *sget(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A CAR: header {roots:[root], version:1}, then the blocks. */
static void car_begin(cer_buf *car, const cer_cid *root)
{
    cJSON *h = cJSON_CreateObject(), *roots = cJSON_AddArrayToObject(h, "roots");
    cer_buf hb = CER_BUF_INIT;
    uint8_t v[CER_VARINT_MAX];

    cJSON_AddItemToArray(roots, cer_json_link_new(root));
    cJSON_AddNumberToObject(h, "version", 1);
    ck_assert_int_eq(cer_dagcbor_encode(&hb, h, CER_DAGJSON), 0);
    ck_assert_int_eq(cer_buf_append(car, v, cer_varint_put(v, hb.len)), 0);
    ck_assert_int_eq(cer_buf_append(car, hb.data, hb.len), 0);
    cer_buf_free(&hb);
    cJSON_Delete(h);
}

static void car_put(cer_buf *car, const cer_block *b)
{
    uint8_t v[CER_VARINT_MAX], cb[CER_CID_BYTES_MAX];
    int cl = cer_cid_to_bytes(cb, sizeof cb, &b->cid);

    ck_assert_int_gt(cl, 0);
    ck_assert_int_eq(cer_buf_append(car, v, cer_varint_put(v, (uint64_t)cl + b->bytes.len)), 0);
    ck_assert_int_eq(cer_buf_append(car, cb, (size_t)cl), 0);
    ck_assert_int_eq(cer_buf_append(car, b->bytes.data, b->bytes.len), 0);
}

/* The request root block {timestamp, streamId, tip}. */
static void root_block(cer_block *out, const cer_streamref *id, const cer_cid *tip)
{
    uint8_t sb[CER_STREAMID_BYTES_MAX];
    int n = cer_streamref_to_bytes(sb, sizeof sb, id);
    cJSON *r = cJSON_CreateObject();

    ck_assert_int_gt(n, 0);
    cJSON_AddStringToObject(r, "timestamp", "2026-11-25T00:00:00.000Z");
    cJSON_AddItemToObject(r, "streamId", cer_json_bytes_new(sb, (size_t)n));
    cJSON_AddItemToObject(r, "tip", cer_json_link_new(tip));
    memset(out, 0, sizeof *out);
    ck_assert_int_eq(cer_dagcbor_encode(&out->bytes, r, CER_DAGJSON), 0);
    ck_assert_int_eq(cer_cid_of_block(&out->cid, CER_CODEC_DAG_CBOR, out->bytes.data, out->bytes.len), 0);
    cJSON_Delete(r);
}

typedef struct doc {
    cer_key key;
    cer_commit_blocks g, u;
    cer_streamref id;
} doc;

static void doc_make(doc *d, const char *family)
{
    cJSON *h = cJSON_CreateObject(), *c = cJSON_CreateObject(), *p = NULL;
    const char *patch = "[{\"op\":\"add\",\"path\":\"/n\",\"value\":2}]";

    ck_assert_int_eq(cer_key_generate(&d->key), 0);
    cJSON_AddStringToObject(h, "family", family);
    cJSON_AddNumberToObject(c, "n", 1);
    ck_assert_int_eq(cer_tile_genesis(&d->g, &d->key, h, c), 0);
    memset(&d->id, 0, sizeof d->id);
    d->id.type = CER_STREAM_TILE;
    d->id.genesis = *cer_commit_cid(&d->g);
    ck_assert_int_eq(cer_json_parse(&p, patch, strlen(patch), 0), 0);
    ck_assert_int_eq(cer_tile_update(&d->u, &d->key, &d->id.genesis, &d->id.genesis, NULL, p), 0);
    cJSON_Delete(p);
    cJSON_Delete(h);
    cJSON_Delete(c);
}

static void doc_free(doc *d)
{
    cer_commit_blocks_free(&d->g);
    cer_commit_blocks_free(&d->u);
}

/* js-ceramic's request CAR for (d, tip = update): root, genesis + payload, tip + payload. */
static void request_car(cer_buf *car, const doc *d, bool with_genesis, const cer_streamref *claimed)
{
    cer_block root;

    root_block(&root, claimed ? claimed : &d->id, cer_commit_cid(&d->u));
    car_begin(car, &root.cid);
    car_put(car, &root);
    if (with_genesis) {
        car_put(car, &d->g.envelope);
        car_put(car, &d->g.payload);
    }
    car_put(car, &d->u.envelope);
    car_put(car, &d->u.payload);
    cer_buf_free(&root.bytes);
}

typedef struct witness_ctx {
    int n;
    cer_cid cids[8];
    cJSON *commit;
} witness_ctx;

static int on_block(const cer_cid *cid, const uint8_t *data, size_t n, void *arg)
{
    witness_ctx *w = arg;

    ck_assert_int_eq(cer_cid_check_block(cid, data, n), 0);
    if (w->n == 0)
        ck_assert_int_eq(cer_dagcbor_decode(&w->commit, data, n), 0);
    if (w->n < 8)
        w->cids[w->n] = *cid;
    w->n++;
    return 0;
}

START_TEST(cas_json_and_car_requests)
{
    cas c;
    doc d1, d2;
    cer_buf car = CER_BUF_INIT;
    char path[256], tip[CER_CID_STR_MAX], sid[CER_STREAMID_STR_MAX], body[1024], *r;
    cJSON *j;

    cas_start(&c, 0, 0);
    r = call(&c, "GET", "/api/v0/service-info/supported_chains", NULL, NULL, 0);
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_str_eq(body_of(r), "{\"supportedChains\":[\"inmemory:12345\"]}");
    free(r);

    /* d1 by CAR (as js-ceramic 2.44 posts it), d2 by JSON (as ceramicfs's client) */
    doc_make(&d1, "casd-a");
    doc_make(&d2, "casd-b");
    request_car(&car, &d1, true, NULL);
    r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", car.data, car.len);
    ck_assert_msg(status_of(r) == 201, "%s", r);
    j = json_of(r);
    ck_assert_str_eq(sget(j, "status"), "PENDING");
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d1.u));
    cer_streamref_to_string(sid, sizeof sid, &d1.id);
    ck_assert_str_eq(sget(j, "cid"), tip);
    ck_assert_str_eq(sget(j, "streamId"), sid);
    ck_assert_int_eq((int)strlen(sget(j, "id")), 36);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "createdAt")));
    cJSON_Delete(j);
    free(r);
    /* the same request again: 200, the same request */
    r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", car.data, car.len);
    ck_assert_int_eq(status_of(r), 200);
    free(r);
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d2.u));
    cer_streamref_to_string(sid, sizeof sid, &d2.id);
    snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\",\"timestamp\":\"x\"}", sid, tip);
    r = call(&c, "POST", "/api/v0/requests", "application/json; charset=utf-8", body, strlen(body));
    ck_assert_msg(status_of(r) == 201, "%s", r);
    free(r);
    snprintf(path, sizeof path, "/api/v0/requests/%s", tip);
    r = call(&c, "GET", path, NULL, NULL, 0);
    j = json_of(r);
    ck_assert_str_eq(sget(j, "status"), "PENDING");
    cJSON_Delete(j);
    free(r);

    /* one batch anchors both: one tree of two leaves, one proof */
    ck_assert_int_eq(cer_casd_flush(c.d), 2);
    ck_assert_int_eq(cer_casd_flush(c.d), 0);
    for (int k = 0; k < 2; k++) {
        doc *d = k ? &d2 : &d1;
        witness_ctx w = {0};
        cer_anchor_commit ac;
        cer_cid want;
        uint8_t *wb;
        size_t wl;
        int n;

        cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d->u));
        snprintf(path, sizeof path, "/api/v0/requests/%s/", tip);  /* a trailing slash is fine */
        r = call(&c, "GET", path, NULL, NULL, 0);
        ck_assert_int_eq(status_of(r), 200);
        j = json_of(r);
        ck_assert_str_eq(sget(j, "status"), "COMPLETED");
        ck_assert_str_eq(sget(j, "message"), "CID successfully anchored.");
        ck_assert_int_eq(cer_cid_parse(&want, sget(cJSON_GetObjectItem(j, "anchorCommit"), "cid")), 0);
        wl = strlen(sget(j, "witnessCar"));
        wb = malloc(wl);
        n = cer_base_decode(wb, wl, CER_BASE64, sget(j, "witnessCar"), wl);
        ck_assert_int_gt(n, 0);
        /* the witness: anchor commit, proof, root node (path of one turn) */
        ck_assert_int_eq(cer_car_each(wb, (size_t)n, on_block, &w), 3);
        ck_assert(cer_cid_equal(&w.cids[0], &want));
        ck_assert_int_eq(cer_anchor_commit_decode(&ac, w.commit), 0);
        ck_assert(cer_cid_equal(&ac.prev, cer_commit_cid(&d->u)));
        ck_assert(cer_cid_equal(&ac.id, &d->id.genesis));
        ck_assert(cer_cid_equal(&ac.proof, &w.cids[1]));
        ck_assert(strcmp(ac.path, "0") == 0 || strcmp(ac.path, "1") == 0);
        cJSON_Delete(w.commit);
        free(wb);
        cJSON_Delete(j);
        free(r);
    }
    cer_buf_free(&car);
    doc_free(&d1);
    doc_free(&d2);
    cas_stop(&c);
}
END_TEST

START_TEST(cas_replaced_and_full)
{
    cas c;
    doc d;
    char body[1024], tip[CER_CID_STR_MAX], sid[CER_STREAMID_STR_MAX], path[256], *r;
    cJSON *j;

    cas_start(&c, 0, 2);
    doc_make(&d, "casd-r");
    cer_streamref_to_string(sid, sizeof sid, &d.id);
    /* the genesis, then the update of the same stream: the first is REPLACED */
    for (int k = 0; k < 2; k++) {
        cer_cid_to_string(tip, sizeof tip, k ? cer_commit_cid(&d.u) : cer_commit_cid(&d.g));
        snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\"}", sid, tip);
        r = call(&c, "POST", "/api/v0/requests", "application/json", body, strlen(body));
        ck_assert_int_eq(status_of(r), 201);
        free(r);
    }
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d.g));
    snprintf(path, sizeof path, "/api/v0/requests/%s", tip);
    r = call(&c, "GET", path, NULL, NULL, 0);
    j = json_of(r);
    ck_assert_str_eq(sget(j, "status"), "REPLACED");
    cJSON_Delete(j);
    free(r);
    /* the table holds 2: the REPLACED one makes room, a PENDING one does not */
    {
        doc e, f;
        doc_make(&e, "casd-e");
        doc_make(&f, "casd-f");
        for (int k = 0; k < 2; k++) {
            doc *x = k ? &f : &e;
            cer_streamref_to_string(sid, sizeof sid, &x->id);
            cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&x->g));
            snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\"}", sid, tip);
            r = call(&c, "POST", "/api/v0/requests", "application/json", body, strlen(body));
            ck_assert_int_eq(status_of(r), k ? 503 : 201);
            if (k)
                ck_assert_str_eq(body_of(r), "{\"error\":\"too many requests waiting; try later\"}");
            free(r);
        }
        doc_free(&e);
        doc_free(&f);
    }
    r = call(&c, "GET", path, NULL, NULL, 0);
    ck_assert_int_eq(status_of(r), 404);
    free(r);
    doc_free(&d);
    cas_stop(&c);
}
END_TEST

START_TEST(cas_long_poll_deadline)
{
    cas c;
    doc d;
    char body[1024], tip[CER_CID_STR_MAX], sid[CER_STREAMID_STR_MAX], path[256], *r;
    cJSON *j;

    cas_start(&c, 0.2, 0);
    doc_make(&d, "casd-p");
    cer_streamref_to_string(sid, sizeof sid, &d.id);
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d.g));
    snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\"}", sid, tip);
    r = call(&c, "POST", "/api/v0/requests", "application/json", body, strlen(body));
    ck_assert_int_eq(status_of(r), 201);
    free(r);
    /* nothing anchors it: the parked poll answers PENDING at its deadline */
    snprintf(path, sizeof path, "/api/v0/requests/%s", tip);
    r = call(&c, "GET", path, NULL, NULL, 0);
    ck_assert_int_eq(status_of(r), 200);
    j = json_of(r);
    ck_assert_str_eq(sget(j, "status"), "PENDING");
    cJSON_Delete(j);
    free(r);
    ck_assert_int_eq(cer_casd_flush(c.d), 1);
    r = call(&c, "GET", path, NULL, NULL, 0);
    j = json_of(r);
    ck_assert_str_eq(sget(j, "status"), "COMPLETED");
    cJSON_Delete(j);
    free(r);
    doc_free(&d);
    cas_stop(&c);
}
END_TEST

START_TEST(cas_bad_requests)
{
    cas c;
    doc d, other;
    cer_buf car = CER_BUF_INIT;
    char body[1024], sid[CER_STREAMID_STR_MAX], tip[CER_CID_STR_MAX], *r;
    typedef struct bad {
        const char *method, *path, *ctype;
        const void *body;
        size_t len;
        int status;
        const char *why;
    } bad;
    bad cases[16];
    size_t n = 0;
    cer_streamref commit_id;

    cas_start(&c, 0, 0);
    doc_make(&d, "casd-bad");
    doc_make(&other, "casd-other");
#define CASE(m, p, ct, b, l, st, w) cases[n++] = (bad){m, p, ct, b, l, st, w}
    CASE("GET", "/api/v0/requests/not-a-cid", NULL, NULL, 0, 400, "not a CID");
    CASE("GET", "/api/v0/requests/bafyreih3el7kouhepziddqkx7xsqxeiovfv5az6mnuidwnmsmu37ls7pq4", NULL, NULL, 0, 404,
         "Request not found");
    CASE("GET", "/api/v0/requests", NULL, NULL, 0, 405, "use POST");
    CASE("POST", "/api/v0/requests/x", "application/json", "{}", 2, 405, "use GET");
    CASE("POST", "/api/v0/service-info/supported_chains", "application/json", "{}", 2, 405, "use GET");
    CASE("GET", "/api/v0/nothing", NULL, NULL, 0, 404, "not found");
    CASE("POST", "/api/v0/requests", "text/plain", "x", 1, 415, "a request is a CAR");
    CASE("POST", "/api/v0/requests", "application/json", "", 0, 400, "empty request body");
    CASE("POST", "/api/v0/requests", "application/json", "{\"streamId\":1", 13, 400, "invalid anchor request");
    CASE("POST", "/api/v0/requests", "application/json", "{\"streamId\":\"kx\",\"cid\":\"bafy\"}", 30, 400,
         "streamId is not a StreamID");
    CASE("POST", "/api/v0/requests", "application/vnd.ipld.car", "\x05garbage", 8, 400, "invalid anchor request: CAR");
    /* a CommitID where the StreamID goes */
    commit_id = d.id;
    commit_id.is_commit = true;
    commit_id.commit = *cer_commit_cid(&d.u);
    cer_streamref_to_string(sid, sizeof sid, &commit_id);
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d.u));
    snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\"}", sid, tip);
    CASE("POST", "/api/v0/requests", "application/json", body, strlen(body), 400, "streamId is not a StreamID");
    for (size_t i = 0; i < n; i++) {
        r = call(&c, cases[i].method, cases[i].path, cases[i].ctype, cases[i].body, cases[i].len);
        ck_assert_msg(status_of(r) == cases[i].status, "case %zu: %s", i, r);
        ck_assert_msg(strstr(body_of(r), cases[i].why), "case %zu: %s", i, r);
        free(r);
    }
    /* CARs: without the genesis; claiming another stream; a block that does not hash to its CID */
    request_car(&car, &d, false, NULL);
    r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", car.data, car.len);
    ck_assert_int_eq(status_of(r), 400);
    ck_assert_ptr_nonnull(strstr(r, "the CAR lacks the genesis block"));
    free(r);
    car.len = 0;
    {
        cer_buf both = CER_BUF_INIT;
        cer_block root;
        root_block(&root, &other.id, cer_commit_cid(&d.u));
        car_begin(&both, &root.cid);
        car_put(&both, &root);
        car_put(&both, &other.g.envelope);
        car_put(&both, &other.g.payload);
        car_put(&both, &d.u.envelope);
        car_put(&both, &d.u.payload);
        r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", both.data, both.len);
        ck_assert_int_eq(status_of(r), 400);
        ck_assert_ptr_nonnull(strstr(r, "the tip is not a commit of that stream"));
        free(r);
        /* flip a byte of the last block */
        both.data[both.len - 1] ^= 1;
        r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", both.data, both.len);
        ck_assert_int_eq(status_of(r), 400);
        free(r);
        cer_buf_free(&both);
        cer_buf_free(&root.bytes);
    }
    /* nothing was queued by any of these */
    ck_assert_int_eq(cer_casd_flush(c.d), 0);
    cer_buf_free(&car);
    doc_free(&d);
    doc_free(&other);
    cas_stop(&c);
}
END_TEST

/* POST a JSON request for (stream, tip); the status code. */
static int post_json(cas *c, const cer_streamref *id, const cer_cid *tip)
{
    char body[1024], sid[CER_STREAMID_STR_MAX], t[CER_CID_STR_MAX], *r;
    int st;

    cer_streamref_to_string(sid, sizeof sid, id);
    cer_cid_to_string(t, sizeof t, tip);
    snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\"}", sid, t);
    r = call(c, "POST", "/api/v0/requests", "application/json", body, strlen(body));
    st = status_of(r);
    free(r);
    return st;
}

/* GET a request: its JSON (caller frees). */
static cJSON *get_req(cas *c, const cer_cid *tip)
{
    char path[256], t[CER_CID_STR_MAX], *r;
    cJSON *j;

    cer_cid_to_string(t, sizeof t, tip);
    snprintf(path, sizeof path, "/api/v0/requests/%s", t);
    r = call(c, "GET", path, NULL, NULL, 0);
    ck_assert_msg(status_of(r) == 200, "%s", r);
    j = json_of(r);
    free(r);
    return j;
}

static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    int n = 0;

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f))
        n += !needle || strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

START_TEST(cas_journal_restart)
{
    char dir[] = "/tmp/test_casd.XXXXXX", journal[128], ac[CER_CID_STR_MAX], w[4096];
    cas c;
    doc a, b, x;
    cJSON *j;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(journal, sizeof journal, "%s/requests.jsonl", dir);
    doc_make(&a, "casd-ja");
    doc_make(&b, "casd-jb");
    doc_make(&x, "casd-jx");
    cas_start_in(&c, 0, 0, dir);
    ck_assert_int_eq(post_json(&c, &a.id, cer_commit_cid(&a.g)), 201);
    ck_assert_int_eq(post_json(&c, &b.id, cer_commit_cid(&b.g)), 201);
    ck_assert_int_eq(cer_casd_flush(c.d), 2);
    ck_assert_int_eq(post_json(&c, &x.id, cer_commit_cid(&x.g)), 201);  /* stays PENDING */
    j = get_req(&c, cer_commit_cid(&a.g));
    snprintf(ac, sizeof ac, "%s", sget(cJSON_GetObjectItem(j, "anchorCommit"), "cid"));
    snprintf(w, sizeof w, "%s", sget(j, "witnessCar"));
    cJSON_Delete(j);
    cas_stop(&c);
    ck_assert_int_eq(count_lines(journal, NULL), 5);  /* 3 created, 2 completed */
    /* what a crash and a stray write leave */
    ck_assert_ptr_nonnull(f = fopen(journal, "a"));
    fputs("not json\n{\"status\":\"COMPLETED\",\"id\":\"x\"}\n{\"status\":\"COMPL", f);
    fclose(f);

    cas_start_in(&c, 0, 0, dir);
    ck_assert_int_eq(count_lines(journal, NULL), 3);  /* compacted: one line per request */
    ck_assert_int_eq(count_lines(journal, "not json"), 0);
    j = get_req(&c, cer_commit_cid(&a.g));
    ck_assert_str_eq(sget(j, "status"), "COMPLETED");
    ck_assert_str_eq(sget(cJSON_GetObjectItem(j, "anchorCommit"), "cid"), ac);
    ck_assert_str_eq(sget(j, "witnessCar"), w);
    cJSON_Delete(j);
    j = get_req(&c, cer_commit_cid(&x.g));
    ck_assert_str_eq(sget(j, "status"), "PENDING");
    cJSON_Delete(j);
    /* the same tip again is the same request, not a new one */
    ck_assert_int_eq(post_json(&c, &x.id, cer_commit_cid(&x.g)), 200);
    ck_assert_int_eq(cer_casd_flush(c.d), 1);
    j = get_req(&c, cer_commit_cid(&x.g));
    ck_assert_str_eq(sget(j, "status"), "COMPLETED");
    cJSON_Delete(j);
    cas_stop(&c);
    ck_assert_int_eq(count_lines(journal, "COMPLETED"), 3);

    /* a journal that cannot be created is an error at open */
    {
        cer_casd *d = NULL;
        char bad[160];
        cer_casd_opts o = {.listen = "127.0.0.1:0", .state = bad, .anchor = {.interval = -1}};
        snprintf(bad, sizeof bad, "%s/requests.jsonl/sub", dir);
        ck_assert_int_lt(cer_casd_open(&d, &o), 0);
        ck_assert_ptr_null(d);
    }
    unlink(journal);
    rmdir(dir);
    doc_free(&a);
    doc_free(&b);
    doc_free(&x);
}
END_TEST

static Suite *casd_suite(void)
{
    Suite *s = suite_create("casd");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, httpd_answers);
    tcase_add_test(tc, httpd_refuses);
    tcase_add_test(tc, httpd_max_conns);
    tcase_add_test(tc, httpd_parked);
    tcase_add_test(tc, cas_json_and_car_requests);
    tcase_add_test(tc, cas_replaced_and_full);
    tcase_add_test(tc, cas_long_poll_deadline);
    tcase_add_test(tc, cas_bad_requests);
    tcase_add_test(tc, cas_journal_restart);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(casd_suite)
