/*
 * test_casd.c — the anchor service (core/casd.c) over real sockets, on the
 * in-memory chain: supported_chains, JSON and CAR requests (a real
 * signed TileDocument genesis and update), batches, the COMPLETED answer
 * whose witness CAR holds the anchor commit, the proof and the tree path,
 * REPLACED, the long poll's deadline, bad requests, each with its 4xx, and
 * the request journal across a restart (torn and stray lines skipped).
 */
#include "testutil.h"
#include "casauth.h"
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

static void cas_start_opts(cas *c, cer_casd_opts *o)
{
    ck_assert_msg(cer_casd_open(&c->d, o) == 0, "%s", cer_errmsg());
    c->port = cer_casd_port(c->d);
    ck_assert_str_eq(cer_casd_chain(c->d), "inmemory:12345");
    ck_assert_int_eq(pthread_create(&c->thread, NULL, run_cas, c), 0);
}

static void cas_start_in(cas *c, double poll_wait, size_t max_requests, const char *state)
{
    cer_casd_opts o = {.listen = "127.0.0.1:0", .poll_wait = poll_wait, .max_requests = max_requests,
                       .state = state, .anchor = {.chain = "inmemory", .interval = -1}};

    cas_start_opts(c, &o);
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

/* A request: method, path, content type, body, an Authorization value
 * (NULL: none); returns the whole answer. */
static char *call_auth(cas *c, const char *method, const char *path, const char *ctype, const void *body, size_t n,
                       const char *authz)
{
    char head[4096];
    cer_buf b = CER_BUF_INIT;
    char *r;

    snprintf(head, sizeof head,
             "%s %s HTTP/1.1\r\nHost: t\r\n%s%s%s%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n", method,
             path, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
             authz ? "Authorization: " : "", authz ? authz : "", authz ? "\r\n" : "", n);
    ck_assert_int_eq(cer_buf_append(&b, head, strlen(head)), 0);
    if (n)
        ck_assert_int_eq(cer_buf_append(&b, body, n), 0);
    r = tu_xfer(c->port, b.data, b.len);
    cer_buf_free(&b);
    return r;
}

static char *call(cas *c, const char *method, const char *path, const char *ctype, const void *body, size_t n)
{
    return call_auth(c, method, path, ctype, body, n, NULL);
}

static cJSON *json_of(const char *answer)
{
    cJSON *j = NULL;
    const char *b = tu_http_body(answer);
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
    ck_assert_int_eq(tu_http_status(r), 200);
    ck_assert_str_eq(tu_http_body(r), "{\"supportedChains\":[\"inmemory:12345\"]}");
    free(r);

    /* d1 by CAR (as js-ceramic 2.44 posts it), d2 by JSON (as ceramicfs's client) */
    doc_make(&d1, "casd-a");
    doc_make(&d2, "casd-b");
    request_car(&car, &d1, true, NULL);
    r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", car.data, car.len);
    ck_assert_msg(tu_http_status(r) == 201, "%s", r);
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
    ck_assert_int_eq(tu_http_status(r), 200);
    free(r);
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d2.u));
    cer_streamref_to_string(sid, sizeof sid, &d2.id);
    snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\",\"timestamp\":\"x\"}", sid, tip);
    r = call(&c, "POST", "/api/v0/requests", "application/json; charset=utf-8", body, strlen(body));
    ck_assert_msg(tu_http_status(r) == 201, "%s", r);
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
        ck_assert_int_eq(tu_http_status(r), 200);
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
        ck_assert_int_eq(tu_http_status(r), 201);
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
            ck_assert_int_eq(tu_http_status(r), k ? 503 : 201);
            if (k)
                ck_assert_str_eq(tu_http_body(r), "{\"error\":\"too many requests waiting; try later\"}");
            free(r);
        }
        doc_free(&e);
        doc_free(&f);
    }
    r = call(&c, "GET", path, NULL, NULL, 0);
    ck_assert_int_eq(tu_http_status(r), 404);
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
    ck_assert_int_eq(tu_http_status(r), 201);
    free(r);
    /* nothing anchors it: the parked poll answers PENDING at its deadline */
    snprintf(path, sizeof path, "/api/v0/requests/%s", tip);
    r = call(&c, "GET", path, NULL, NULL, 0);
    ck_assert_int_eq(tu_http_status(r), 200);
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
        ck_assert_msg(tu_http_status(r) == cases[i].status, "case %zu: %s", i, r);
        ck_assert_msg(strstr(tu_http_body(r), cases[i].why), "case %zu: %s", i, r);
        free(r);
    }
    /* CARs: without the genesis; claiming another stream; a block that does not hash to its CID */
    request_car(&car, &d, false, NULL);
    r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", car.data, car.len);
    ck_assert_int_eq(tu_http_status(r), 400);
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
        ck_assert_int_eq(tu_http_status(r), 400);
        ck_assert_ptr_nonnull(strstr(r, "the tip is not a commit of that stream"));
        free(r);
        /* flip a byte of the last block */
        both.data[both.len - 1] ^= 1;
        r = call(&c, "POST", "/api/v0/requests", "application/vnd.ipld.car", both.data, both.len);
        ck_assert_int_eq(tu_http_status(r), 400);
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
    st = tu_http_status(r);
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
    ck_assert_msg(tu_http_status(r) == 200, "%s", r);
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

/* "Bearer <JWS>" of payload signed by key. */
static char *bearer(const cer_key *key, const char *payload)
{
    cer_jws jws;
    char *compact = NULL, *h;

    ck_assert_int_eq(cer_jws_sign_bytes(&jws, key, (const uint8_t *)payload, strlen(payload)), 0);
    ck_assert_int_eq(cer_jws_compact(&compact, &jws, 0), 0);
    cer_jws_free(&jws);
    ck_assert_ptr_nonnull(h = malloc(strlen(compact) + 8));
    sprintf(h, "Bearer %s", compact);
    free(compact);
    return h;
}

/* The Authorization js-ceramic's DIDAnchorServiceAuth sends for a request. */
static char *signed_for(const cer_key *key, int port, const char *path, const char *ctype, const void *body, size_t n)
{
    char url[512], *p, *h;

    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    ck_assert_int_eq(cer_casauth_payload(&p, url, ctype, body, n), 0);
    h = bearer(key, p);
    free(p);
    return h;
}

/* The status of a call; its error contains want (NULL: no check). */
static int try_auth(cas *c, const char *method, const char *path, const char *ctype, const cer_buf *body,
                    const char *authz, const char *want)
{
    char *r = call_auth(c, method, path, ctype, body ? body->data : NULL, body ? body->len : 0, authz);
    int st = tu_http_status(r);

    if (want)
        ck_assert_msg(strstr(tu_http_body(r), want) != NULL, "want '%s' in: %s", want, r);
    free(r);
    return st;
}

START_TEST(cas_auth)
{
    cer_key allowed, other;
    const char *list[1];
    cer_casd_opts o = {.listen = "127.0.0.1:0", .anchor = {.chain = "inmemory", .interval = -1}};
    cas c;
    doc d;
    cer_buf car = CER_BUF_INIT, car2 = CER_BUF_INIT;
    char path[256], tip[CER_CID_STR_MAX], payload[1024], *h, *h2;
    const char *reqs = "/api/v0/requests", *ct = "application/vnd.ipld.car";
    cJSON *st;

    ck_assert_int_eq(cer_key_generate(&allowed), 0);
    ck_assert_int_eq(cer_key_generate(&other), 0);
    list[0] = allowed.did;
    o.allow = list, o.nallow = 1;
    cas_start_opts(&c, &o);
    doc_make(&d, "casd-auth");
    request_car(&car, &d, true, NULL);
    cer_cid_to_string(tip, sizeof tip, cer_commit_cid(&d.u));
    snprintf(path, sizeof path, "%s/%s", reqs, tip);

    /* unsigned: refused, every endpoint */
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, NULL, "Unauthorized: no Authorization header"), 401);
    ck_assert_int_eq(try_auth(&c, "GET", "/api/v0/service-info/supported_chains", NULL, NULL, NULL, NULL), 401);
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, "Basic dXNlcjpwYXNz", "Bearer"), 401);
    /* signed by a DID not on the list */
    h = signed_for(&other, c.port, reqs, ct, car.data, car.len);
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "is not allowed here"), 403);
    free(h);
    /* a bad signature: the last signature character changed */
    h = signed_for(&allowed, c.port, reqs, ct, car.data, car.len);
    h[strlen(h) - 2] = h[strlen(h) - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "bad JWS"), 401);
    free(h);
    /* signed for another body (the digest is its CAR root) */
    {
        doc e;
        doc_make(&e, "casd-auth-e");
        request_car(&car2, &e, true, NULL);
        h = signed_for(&allowed, c.port, reqs, ct, car2.data, car2.len);
        ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "digest"), 401);
        free(h);
        doc_free(&e);
    }
    /* no digest for a body */
    snprintf(payload, sizeof payload, "{\"nonce\":\"n-1\",\"url\":\"http://127.0.0.1:%d%s\"}", c.port, reqs);
    h = bearer(&allowed, payload);
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "digest"), 401);
    free(h);
    /* signed for another url */
    h = signed_for(&allowed, c.port, path, ct, car.data, car.len);
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "url"), 401);
    free(h);
    /* the real thing: accepted; then the same header again is a replay */
    h = signed_for(&allowed, c.port, reqs, ct, car.data, car.len);
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "PENDING"), 201);
    ck_assert_int_eq(try_auth(&c, "POST", reqs, ct, &car, h, "replay"), 401);
    free(h);
    /* a poll, signed as js signs a GET (no digest) */
    h = signed_for(&allowed, c.port, path, NULL, NULL, 0);
    ck_assert_int_eq(try_auth(&c, "GET", path, NULL, NULL, h, "PENDING"), 200);
    h2 = signed_for(&allowed, c.port, "/api/v0/service-info/supported_chains", NULL, NULL, 0);
    ck_assert_int_eq(try_auth(&c, "GET", "/api/v0/service-info/supported_chains", NULL, NULL, h2, "inmemory"), 200);
    ck_assert_int_eq(try_auth(&c, "GET", path, NULL, NULL, h, "replay"), 401);
    free(h);
    free(h2);
    ck_assert_int_eq(cer_casd_status(c.d, &st), 0);
    ck_assert_int_eq((int)cJSON_GetObjectItem(st, "refused")->valuedouble, 10);
    ck_assert_int_eq((int)cJSON_GetObjectItem(st, "PENDING")->valuedouble, 1);
    cJSON_Delete(st);
    cer_buf_free(&car);
    cer_buf_free(&car2);
    doc_free(&d);
    cas_stop(&c);
}
END_TEST

/* The JSON body's digest is JSON.stringify of the parsed body, whatever
 * its spacing; CAR: the root CID. */
START_TEST(cas_auth_digest)
{
    char a[CER_CASAUTH_DIGEST_MAX], b[CER_CASAUTH_DIGEST_MAX];
    const char *spaced = "{ \"streamId\" : \"k\",\n \"cid\": \"b\" }", *tight = "{\"streamId\":\"k\",\"cid\":\"b\"}";

    ck_assert_int_eq(cer_casauth_digest(a, sizeof a, "application/json", (const uint8_t *)spaced, strlen(spaced)), 0);
    ck_assert_int_eq(cer_casauth_digest(b, sizeof b, "application/json; charset=utf-8", (const uint8_t *)tight,
                                        strlen(tight)), 0);
    ck_assert_str_eq(a, b);
    /* sha256("{\"streamId\":\"k\",\"cid\":\"b\"}") */
    ck_assert_int_eq(strlen(a), 66);
    ck_assert_int_eq(strncmp(a, "0x", 2), 0);
    ck_assert_int_eq(cer_casauth_digest(a, sizeof a, "application/json", (const uint8_t *)"{", 1) < 0, 1);
    ck_assert_int_eq(cer_casauth_digest(a, sizeof a, "application/json", NULL, 0), 0);
    ck_assert_str_eq(a, "");
    ck_assert_str_eq(cer_casauth_url_path("http://h:1/api/v0/requests?x=1"), "/api/v0/requests?x=1");
    ck_assert_str_eq(cer_casauth_url_path("https://h"), "/");
    ck_assert_ptr_null(cer_casauth_url_path("ftp://h/x"));
    ck_assert_ptr_null(cer_casauth_url_path("http:///x"));
}
END_TEST

/* Pending requests are bounded per requester and expire. */
START_TEST(cas_pending_bounds)
{
    cer_casd_opts o = {.listen = "127.0.0.1:0", .max_pending = 2, .pending_ttl = 2,
                       .anchor = {.chain = "inmemory", .interval = -1}};
    cas c;
    doc a, b, x;
    char body[1024], sid[CER_STREAMID_STR_MAX], t[CER_CID_STR_MAX], *r;
    cJSON *j;

    cas_start_opts(&c, &o);
    doc_make(&a, "casd-ba");
    doc_make(&b, "casd-bb");
    doc_make(&x, "casd-bx");
    ck_assert_int_eq(post_json(&c, &a.id, cer_commit_cid(&a.g)), 201);
    ck_assert_int_eq(post_json(&c, &b.id, cer_commit_cid(&b.g)), 201);
    /* a third stream from the same address: refused */
    cer_streamref_to_string(sid, sizeof sid, &x.id);
    cer_cid_to_string(t, sizeof t, cer_commit_cid(&x.g));
    snprintf(body, sizeof body, "{\"streamId\":\"%s\",\"cid\":\"%s\"}", sid, t);
    r = call(&c, "POST", "/api/v0/requests", "application/json", body, strlen(body));
    ck_assert_int_eq(tu_http_status(r), 429);
    ck_assert_str_eq(tu_http_body(r), "{\"error\":\"too many requests of yours waiting; try later\"}");
    free(r);
    /* a newer tip of a waiting stream replaces its request: not one more */
    ck_assert_int_eq(post_json(&c, &a.id, cer_commit_cid(&a.u)), 201);
    usleep(2100 * 1000);  /* the ttl: long enough that the posts above fit in it on a busy machine */
    /* both waiting ones expired: room again */
    ck_assert_int_eq(post_json(&c, &x.id, cer_commit_cid(&x.g)), 201);
    j = get_req(&c, cer_commit_cid(&b.g));
    ck_assert_str_eq(sget(j, "status"), "FAILED");
    ck_assert_ptr_nonnull(strstr(sget(j, "message"), "expired"));
    cJSON_Delete(j);
    ck_assert_int_eq(cer_casd_status(c.d, &j), 0);
    ck_assert_int_eq((int)cJSON_GetObjectItem(j, "expired")->valuedouble, 2);
    cJSON_Delete(j);
    /* a batch anchors only the live one */
    ck_assert_int_eq(cer_casd_flush(c.d), 1);
    doc_free(&a);
    doc_free(&b);
    doc_free(&x);
    cas_stop(&c);
}
END_TEST

/* Without an allowlist the service listens on loopback only. */
START_TEST(cas_loopback_only)
{
    cer_key k;
    const char *list[1], *bad[1] = {"did:pkh:eip155:1:0xabc"};
    cer_casd_opts o = {.listen = "0.0.0.0:0", .anchor = {.chain = "inmemory", .interval = -1}};
    cer_casd *d = NULL;

    ck_assert_int_eq(cer_casd_open(&d, &o), -EPERM);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "loopback"));
    o.allow = bad, o.nallow = 1;
    ck_assert_int_eq(cer_casd_open(&d, &o), -EINVAL);
    ck_assert_int_eq(cer_key_generate(&k), 0);
    list[0] = k.did;
    o.allow = list;
    ck_assert_int_eq(cer_casd_open(&d, &o), 0);
    cer_casd_close(d);
    /* any 127/8 address is loopback */
    o.listen = "127.0.0.2:0", o.nallow = 0;
    ck_assert_int_eq(cer_casd_open(&d, &o), 0);
    cer_casd_close(d);
}
END_TEST

static Suite *casd_suite(void)
{
    Suite *s = suite_create("casd");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cas_json_and_car_requests);
    tcase_add_test(tc, cas_replaced_and_full);
    tcase_add_test(tc, cas_long_poll_deadline);
    tcase_add_test(tc, cas_bad_requests);
    tcase_add_test(tc, cas_journal_restart);
    tcase_add_test(tc, cas_auth);
    tcase_add_test(tc, cas_auth_digest);
    tcase_add_test(tc, cas_pending_bounds);
    tcase_add_test(tc, cas_loopback_only);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(casd_suite)
