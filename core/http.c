/*
 * http.c — the HTTP client (http.h): libcurl easy handles kept in a small
 * pool per client, so keep-alive connections are reused across calls and
 * threads (a stream keeps its handle for its lifetime). Every call has a
 * total and a connect timeout unless it is a stream, every reply body a
 * size bound; curl's failures become negative errnos.
 */
#include "http.h"
#include "buf.h"
#include "error.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 4

struct cer_http_client {
    pthread_mutex_t lock;       /* guards the pool */
    CURL *pool[POOL_MAX];
    int npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int init(void)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return cer_err(-EIO, "http: libcurl init failed: %s", curl_easy_strerror(curl_init_rc));
    return 0;
}

int cer_http_client_open(cer_http_client **out)
{
    cer_http_client *c;
    int rc;

    *out = NULL;
    if ((rc = init()) < 0)
        return rc;
    if (!(c = calloc(1, sizeof *c)))
        return cer_err(-ENOMEM, "http: out of memory");
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return 0;
}

void cer_http_client_close(cer_http_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static CURL *take_handle(cer_http_client *c)
{
    CURL *h = NULL;

    if (c) {
        pthread_mutex_lock(&c->lock);
        if (c->npool > 0)
            h = c->pool[--c->npool];
        pthread_mutex_unlock(&c->lock);
    }
    if (h)
        curl_easy_reset(h);  /* keeps the connection cache */
    else
        h = curl_easy_init();
    return h;
}

static void give_handle(cer_http_client *c, CURL *h)
{
    if (c) {
        pthread_mutex_lock(&c->lock);
        if (c->npool < POOL_MAX) {
            c->pool[c->npool++] = h;
            h = NULL;
        }
        pthread_mutex_unlock(&c->lock);
    }
    if (h)
        curl_easy_cleanup(h);
}

/* Where the reply goes: the buffer (bounded) or the stream's function. */
typedef struct sink {
    const cer_http_call *call;
    CURL *h;
    cer_buf *out;
    long status;
    bool over, ended;
} sink;

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    sink *k = arg;
    size_t n = size * nmemb;

    if (k->call->on_data) {
        if (k->status == 0)
            curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &k->status);
        if (!k->call->on_data(k->call->arg, k->status, (const uint8_t *)p, n)) {
            k->ended = true;
            return 0;
        }
        return n;
    }
    if (k->out->len + n > k->call->max) {
        k->over = true;
        return 0;  /* makes curl fail the transfer */
    }
    return cer_buf_append(k->out, p, n) == 0 ? n : 0;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    sink *k = arg;

    (void)a, (void)b, (void)c, (void)d;
    if (*k->call->stop) {
        k->ended = true;
        return 1;
    }
    return 0;
}

static int curl_errno(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
    case CURLE_OUT_OF_MEMORY: return -ENOMEM;
    default: return -EIO;
    }
}

/* Append "name: value" to *hdr (unchanged on failure). */
static bool add_header(struct curl_slist **hdr, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    struct curl_slist *h = NULL;

    if (line) {
        snprintf(line, n, "%s: %s", name, value);
        h = curl_slist_append(*hdr, line);
        free(line);
    }
    if (h)
        *hdr = h;
    return h != NULL;
}

/* The body of a POST on h, its headers added to *hdr; false when out of
 * memory. */
static bool set_body(CURL *h, const cer_http_call *call, struct curl_slist **hdr, curl_mime **mime)
{
    /* no "Expect: 100-continue" round trip (a 1 s stall on some servers) */
    struct curl_slist *e = curl_slist_append(*hdr, "Expect:");
    curl_mimepart *part;

    if (!e)
        return false;
    *hdr = e;
    if (call->content_type && !add_header(hdr, "Content-Type", call->content_type))
        return false;
    if (!call->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    } else if (call->content_type) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
    } else {
        if (!(*mime = curl_mime_init(h)) || !(part = curl_mime_addpart(*mime)) ||
            curl_mime_name(part, "file") != CURLE_OK || curl_mime_filename(part, "blob") != CURLE_OK ||
            curl_mime_type(part, "application/octet-stream") != CURLE_OK ||
            curl_mime_data(part, call->body, call->body_len) != CURLE_OK)
            return false;
        curl_easy_setopt(h, CURLOPT_MIMEPOST, *mime);
    }
    return true;
}

int cer_http_perform(cer_http_client *c, const cer_http_call *call, cer_buf *reply, long *status)
{
    sink k = {call, NULL, reply, 0, false, false};
    long connect = call->connect_timeout_ms ? call->connect_timeout_ms : call->timeout_ms;
    char err[CURL_ERROR_SIZE] = "", what[160];
    struct curl_slist *hdr = NULL;
    curl_mime *mime = NULL;
    CURLcode cc;
    int rc;

    *status = 0;
    if (reply)
        reply->len = 0;
    if (call->what)
        snprintf(what, sizeof what, "%s", call->what);
    else
        snprintf(what, sizeof what, "%s %.140s", call->post ? "POST" : "GET", call->url);
    if ((rc = init()) < 0)
        return rc;
    if (!(k.h = take_handle(c)))
        return cer_err(-ENOMEM, "%s: cannot make a curl handle", what);
    curl_easy_setopt(k.h, CURLOPT_URL, call->url);
    curl_easy_setopt(k.h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k.h, CURLOPT_TIMEOUT_MS, call->timeout_ms);
    curl_easy_setopt(k.h, CURLOPT_CONNECTTIMEOUT_MS, connect);
    curl_easy_setopt(k.h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k.h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(k.h, CURLOPT_ERRORBUFFER, err);
    if (call->timeout_ms == 0)
        curl_easy_setopt(k.h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (call->stop) {
        curl_easy_setopt(k.h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(k.h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(k.h, CURLOPT_XFERINFODATA, &k);
    }
    if (call->authorization && !add_header(&hdr, "Authorization", call->authorization)) {
        rc = cer_err(-ENOMEM, "%s: out of memory", what);
        goto out;
    }
    if (call->post && !set_body(k.h, call, &hdr, &mime)) {
        rc = cer_err(-ENOMEM, "%s: out of memory", what);
        goto out;
    }
    if (hdr)
        curl_easy_setopt(k.h, CURLOPT_HTTPHEADER, hdr);
    cc = curl_easy_perform(k.h);
    if (k.ended)
        rc = cer_err(-ECANCELED, "%s: ended", what);
    else if (k.over)
        rc = cer_err(-EFBIG, "%s: reply over %zu bytes", what, call->max);
    else if (cc != CURLE_OK)
        rc = cer_err(curl_errno(cc), "%s: %s", what, err[0] ? err : curl_easy_strerror(cc));
    else
        rc = 0;
    curl_easy_getinfo(k.h, CURLINFO_RESPONSE_CODE, status);
out:
    curl_easy_setopt(k.h, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(k.h, CURLOPT_HTTPHEADER, NULL);
    curl_mime_free(mime);
    curl_slist_free_all(hdr);
    give_handle(c, k.h);
    return rc;
}
