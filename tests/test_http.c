/*
 * test_http.c — the HTTP client (http.c) against the fake server of
 * fakehttp.c: GET and POST with their headers and bodies (typed, and the
 * IPFS RPC's multipart file), any status given back, the reply bound,
 * refused connections, timeouts, streams ended by their reader or by a
 * stop flag, and a pooled client reused across calls and threads.
 */
#include "testutil.h"
#include "clock.h"
#include "fakehttp.h"
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct seen {
    char method[8], path[128], ctype[128], authz[128], body[256];
    bool expect;                /* an "Expect:" header came */
    size_t body_len;
    int status;                 /* to answer */
    size_t reply_len;           /* bytes of 'x' to answer, else "ok" */
    int delay_ms;
} seen;

static int handler(void *arg, const fakehttp_req *r, cer_buf *reply)
{
    seen *s = arg;
    const char *a = strcasestr(r->head, "\r\nAuthorization: ");

    snprintf(s->method, sizeof s->method, "%s", r->method);
    snprintf(s->path, sizeof s->path, "%s", r->path);
    snprintf(s->ctype, sizeof s->ctype, "%s", r->content_type);
    snprintf(s->authz, sizeof s->authz, "%.*s", a ? (int)strcspn(a + 17, "\r") : 0, a ? a + 17 : "");
    s->expect = strcasestr(r->head, "\r\nExpect:") != NULL;
    snprintf(s->body, sizeof s->body, "%.*s", (int)r->body_len, r->body);
    s->body_len = r->body_len;
    if (s->delay_ms)
        usleep((useconds_t)s->delay_ms * 1000);
    for (size_t i = 0; i < s->reply_len; i++)
        ck_assert_int_eq(cer_buf_append(reply, "x", 1), 0);
    if (!s->reply_len)
        ck_assert_int_eq(cer_buf_puts(reply, "ok"), 0);
    return s->status;
}

static fakehttp srv;
static seen s;
static char url[96];

static void start(void)
{
    memset(&s, 0, sizeof s);
    s.status = 200;
    fakehttp_start(&srv, handler, &s);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/a/b?c=d", srv.port);
}

START_TEST(requests)
{
    cer_http_client *c;
    cer_buf reply = CER_BUF_INIT;
    long status;

    start();
    ck_assert_int_eq(cer_http_client_open(&c), 0);
    /* GET */
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.url = url, .timeout_ms = 10000, .max = 100}, &reply, &status),
                     0);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(s.method, "GET");
    ck_assert_str_eq(s.path, "/a/b?c=d");
    ck_assert_str_eq(s.authz, "");
    ck_assert_uint_eq(reply.len, 2);
    ck_assert_int_eq(memcmp(reply.data, "ok", 2), 0);
    /* POST with a type and an Authorization; no Expect round trip */
    ck_assert_int_eq(cer_http_perform(c,
                                      &(cer_http_call){.url = url, .post = true, .content_type = "application/json",
                                                       .body = "{\"a\":1}", .body_len = 7,
                                                       .authorization = "Bearer x.y.z", .timeout_ms = 10000,
                                                       .max = 100},
                                      &reply, &status),
                     0);
    ck_assert_str_eq(s.method, "POST");
    ck_assert_str_eq(s.ctype, "application/json");
    ck_assert_str_eq(s.authz, "Bearer x.y.z");
    ck_assert_str_eq(s.body, "{\"a\":1}");
    ck_assert(!s.expect);
    /* POST without a type: the body is the one multipart part "file" */
    ck_assert_int_eq(cer_http_perform(c,
                                      &(cer_http_call){.url = url, .post = true, .body = "\x01\x02zz", .body_len = 4,
                                                       .timeout_ms = 10000, .max = 100},
                                      &reply, &status),
                     0);
    ck_assert_str_eq(s.ctype, "multipart/form-data");
    ck_assert_ptr_nonnull(strstr(s.body, "name=\"file\""));
    ck_assert_ptr_nonnull(memmem(s.body, s.body_len, "\x01\x02zz", 4));
    /* POST without a body */
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.url = url, .post = true, .timeout_ms = 10000, .max = 100},
                                      &reply, &status),
                     0);
    ck_assert_str_eq(s.method, "POST");
    ck_assert_uint_eq(s.body_len, 0);
    /* any status is an answer: the caller judges it */
    s.status = 404;
    ck_assert_int_eq(cer_http_perform(NULL, &(cer_http_call){.url = url, .timeout_ms = 10000, .max = 100}, &reply,
                                      &status),
                     0);
    ck_assert_int_eq(status, 404);
    ck_assert_uint_eq(reply.len, 2);
    /* a reply over the bound */
    s.status = 200;
    s.reply_len = 101;
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.url = url, .timeout_ms = 10000, .max = 100}, &reply, &status),
                     -EFBIG);
    s.reply_len = 100;
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.what = "test: get", .url = url, .timeout_ms = 10000,
                                                          .max = 100},
                                      &reply, &status),
                     0);
    ck_assert_uint_eq(reply.len, 100);
    /* too slow */
    s.delay_ms = 1500;
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.what = "test: slow", .url = url, .timeout_ms = 300,
                                                          .max = 100},
                                      &reply, &status),
                     -ETIMEDOUT);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "test: slow: "));
    s.delay_ms = 0;
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.url = "ftp://127.0.0.1/", .timeout_ms = 10000, .max = 100},
                                      &reply, &status),
                     -EIO);
    fakehttp_stop(&srv);
    ck_assert_int_eq(cer_http_perform(c, &(cer_http_call){.url = url, .timeout_ms = 10000, .max = 100}, &reply, &status),
                     -ECONNREFUSED);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "GET http://127.0.0.1:"));
    cer_buf_free(&reply);
    cer_http_client_close(c);
}
END_TEST

typedef struct stream {
    size_t got;
    long status;
    bool stop_at_first;
} stream;

static bool on_data(void *arg, long status, const uint8_t *p, size_t n)
{
    stream *st = arg;

    (void)p;
    st->status = status;
    st->got += n;
    return !st->stop_at_first;
}

START_TEST(streams)
{
    stream st = {0};
    volatile int stop = 0;
    long status;
    int64_t t0;

    start();
    s.reply_len = 5000;
    ck_assert_int_eq(cer_http_perform(NULL, &(cer_http_call){.url = url, .post = true, .on_data = on_data, .arg = &st},
                                      NULL, &status),
                     0);
    ck_assert_uint_eq(st.got, 5000);
    ck_assert_int_eq(st.status, 200);
    /* the reader ends it */
    st = (stream){.stop_at_first = true};
    ck_assert_int_eq(cer_http_perform(NULL, &(cer_http_call){.url = url, .post = true, .on_data = on_data, .arg = &st},
                                      NULL, &status),
                     -ECANCELED);
    ck_assert_uint_gt(st.got, 0);
    /* the stop flag ends it, long before the server answers */
    st = (stream){0};
    stop = 1;
    s.delay_ms = 3000;
    t0 = cer_clock_ms(CLOCK_MONOTONIC);
    ck_assert_int_eq(cer_http_perform(NULL,
                                      &(cer_http_call){.url = url, .post = true, .on_data = on_data, .arg = &st,
                                                       .stop = &stop},
                                      NULL, &status),
                     -ECANCELED);
    ck_assert_int_lt(cer_clock_ms(CLOCK_MONOTONIC) - t0, 2500);
    ck_assert_uint_eq(st.got, 0);
    fakehttp_stop(&srv);
}
END_TEST

static void *caller(void *arg)
{
    cer_buf reply = CER_BUF_INIT;
    long status;

    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(cer_http_perform(arg, &(cer_http_call){.url = url, .timeout_ms = 5000, .max = 100}, &reply,
                                          &status),
                         0);
        ck_assert_int_eq(status, 200);
    }
    cer_buf_free(&reply);
    return NULL;
}

/* One client, four threads, eighty calls: the pool hands each call a
 * handle of its own. */
START_TEST(pool_threads)
{
    cer_http_client *c;
    pthread_t t[4];

    start();
    ck_assert_int_eq(cer_http_client_open(&c), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, caller, c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(srv.requests, 80);
    cer_http_client_close(c);
    fakehttp_stop(&srv);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *su = suite_create("http");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, requests);
    tcase_add_test(tc, streams);
    tcase_add_test(tc, pool_threads);
    suite_add_tcase(su, tc);
    return su;
}

CER_TEST_MAIN(http_suite)
