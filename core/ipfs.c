/*
 * ipfs.c — the IPFS HTTP RPC client (kubo-compatible /api/v0 as kubo and
 * js-ipfs 0.66 serve it; core/README.md, "IPFS RPC", has the parameters
 * that work with both) and the parsers of its replies.
 *
 * Transport: http.c's client (a pool of keep-alive connections shared
 * across calls and threads; a subscription holds one for its lifetime).
 * Every call is a POST with a total timeout; block/get also passes
 * timeout= because a daemon waits forever for a block nobody has. Nothing
 * from the daemon is trusted: replies are size-bounded, parsed strictly,
 * CIDs compared with the ones we computed and blocks re-hashed on arrival.
 */
#include "ipfs.h"
#include "buf.h"
#include "error.h"
#include "http.h"
#include "json.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MSGBUF 256

struct cer_ipfs {
    char *base;                 /* ".../api/v0" */
    long timeout_ms, block_timeout_ms;
    char codec_param[16];
    cer_http_client *http;
    atomic_long calls;
    atomic_long fail_at;        /* call number to fail, 0 = none */
};

/* ---- parsers (no I/O) ---- */

static int parse_object(cJSON **out, const uint8_t *body, size_t len, const char *what)
{
    int rc;

    *out = NULL;
    if (len > CER_IPFS_REPLY_MAX)
        return cer_err(-EFBIG, "ipfs: %s reply of %zu bytes is too large", what, len);
    if ((rc = cer_json_parse(out, (const char *)body, len, 0)) < 0)
        return cer_err_wrap(rc, "ipfs: %s reply is not JSON", what);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return cer_err(-EINVAL, "ipfs: %s reply is not a JSON object", what);
    }
    return 0;
}

static void printable(char *out, size_t cap, const char *s)
{
    size_t i;

    if (cap == 0)
        return;
    for (i = 0; i + 1 < cap && s[i]; i++)
        out[i] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
    out[i] = '\0';
}

int cer_ipfs_parse_error(char *out, size_t cap, const uint8_t *body, size_t len)
{
    cJSON *o;
    const cJSON *m;
    int rc;

    if (cap)
        out[0] = '\0';
    if ((rc = parse_object(&o, body, len, "error")) < 0)
        return rc;
    m = cJSON_GetObjectItemCaseSensitive(o, "Message");
    if (!cJSON_IsString(m))
        m = cJSON_GetObjectItemCaseSensitive(o, "message");  /* js-ipfs' hapi 500 replies */
    if (cJSON_IsString(m))
        printable(out, cap, m->valuestring);
    else
        rc = cer_err(-EINVAL, "ipfs: error reply without a Message");
    cJSON_Delete(o);
    return rc;
}

int cer_ipfs_parse_key(cer_cid *out, size_t *size, const uint8_t *body, size_t len)
{
    cJSON *o;
    const cJSON *k, *sz;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = parse_object(&o, body, len, "block")) < 0)
        return rc;
    k = cJSON_GetObjectItemCaseSensitive(o, "Key");
    sz = cJSON_GetObjectItemCaseSensitive(o, "Size");
    if (!cJSON_IsString(k))
        rc = cer_err(-EINVAL, "ipfs: reply without a Key");
    else if ((rc = cer_cid_parse(out, k->valuestring)) < 0)
        rc = cer_err_wrap(rc, "ipfs: reply Key");
    else if (size) {
        if (!cJSON_IsNumber(sz) || sz->valuedouble < 0 || sz->valuedouble > 1e15 ||
            sz->valuedouble != (double)(size_t)sz->valuedouble)
            rc = cer_err(-EINVAL, "ipfs: reply without a valid Size");
        else
            *size = (size_t)sz->valuedouble;
    }
    cJSON_Delete(o);
    return rc;
}

int cer_ipfs_parse_string(char *out, size_t cap, const uint8_t *body, size_t len, const char *member)
{
    cJSON *o;
    const cJSON *v;
    int rc;

    if (cap)
        out[0] = '\0';
    if ((rc = parse_object(&o, body, len, member)) < 0)
        return rc;
    v = cJSON_GetObjectItemCaseSensitive(o, member);
    if (!cJSON_IsString(v))
        rc = cer_err(-EINVAL, "ipfs: reply without a string %s", member);
    else if (strlen(v->valuestring) >= cap)
        rc = cer_err(-ENOSPC, "ipfs: %s of %zu bytes is too long", member, strlen(v->valuestring));
    else
        memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    cJSON_Delete(o);
    return rc;
}

/* Decode a multibase 'u' string into a new buffer. */
static int unmb64u(uint8_t **out, size_t *len, const char *s, size_t max)
{
    size_t n = strlen(s);
    uint8_t *b;
    int rc;

    *out = NULL;
    if (n == 0 || s[0] != 'u')
        return cer_err(-EINVAL, "ipfs: field is not multibase base64url ('u')");
    if ((n - 1) / 4 * 3 + 3 > max + 3)
        return cer_err(-EFBIG, "ipfs: field of %zu characters is too long", n);
    if (!(b = malloc((n - 1) / 4 * 3 + 4)))
        return cer_err(-ENOMEM, "ipfs: out of memory");
    if ((rc = cer_base_decode(b, (n - 1) / 4 * 3 + 3, CER_BASE64URL, s + 1, n - 1)) < 0) {
        free(b);
        return cer_err_wrap(rc, "ipfs: bad base64url");
    }
    *out = b;
    *len = (size_t)rc;
    return 0;
}

int cer_ipfs_parse_sub_line(cer_ipfs_msg *out, uint8_t **scratch, const char *topic_arg, const char *line,
                            size_t len)
{
    cJSON *o;
    const cJSON *data, *from, *seq, *topics, *t;
    uint8_t *seqb = NULL;
    size_t seqlen = 0;
    int rc;

    memset(out, 0, sizeof *out);
    *scratch = NULL;
    if (len > CER_IPFS_LINE_MAX)
        return cer_err(-EFBIG, "ipfs: pubsub line of %zu bytes is over the limit", len);
    if ((rc = cer_json_parse(&o, line, len, 0)) < 0)
        return cer_err_wrap(rc, "ipfs: pubsub line is not JSON");
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return cer_err(-EINVAL, "ipfs: pubsub line is not a JSON object");
    }
    data = cJSON_GetObjectItemCaseSensitive(o, "data");
    from = cJSON_GetObjectItemCaseSensitive(o, "from");
    seq = cJSON_GetObjectItemCaseSensitive(o, "seqno");
    topics = cJSON_GetObjectItemCaseSensitive(o, "topicIDs");
    if (!data) {
        rc = 1;  /* the "{}" that opens the stream */
        goto out;
    }
    if (!cJSON_IsString(data)) {
        rc = cer_err(-EINVAL, "ipfs: pubsub 'data' is not a string");
        goto out;
    }
    if (from && (!cJSON_IsString(from) || strlen(from->valuestring) >= sizeof out->from ||
                 strspn(from->valuestring, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz") !=
                     strlen(from->valuestring))) {
        rc = cer_err(-EINVAL, "ipfs: pubsub 'from' is not a peer ID");
        goto out;
    }
    if (seq && (!cJSON_IsString(seq) || (rc = unmb64u(&seqb, &seqlen, seq->valuestring, 64)) < 0 ||
                seqlen > sizeof out->seqno)) {
        rc = cer_err(-EINVAL, "ipfs: pubsub 'seqno' is not a multibase sequence number");
        goto out;
    }
    if (topic_arg) {
        bool found = false;
        if (!cJSON_IsArray(topics)) {
            rc = cer_err(-EINVAL, "ipfs: pubsub message without topicIDs");
            goto out;
        }
        cJSON_ArrayForEach(t, topics) found |= cJSON_IsString(t) && strcmp(t->valuestring, topic_arg) == 0;
        if (!found) {
            rc = cer_err(-EINVAL, "ipfs: pubsub message for another topic");
            goto out;
        }
    }
    if ((rc = unmb64u(scratch, &out->len, data->valuestring, CER_IPFS_LINE_MAX)) < 0)
        goto out;
    out->data = *scratch;
    if (from)
        memcpy(out->from, from->valuestring, strlen(from->valuestring) + 1);
    if (seqb) {
        memcpy(out->seqno, seqb, seqlen);
        out->seqno_len = seqlen;
    }
out:
    free(seqb);
    cJSON_Delete(o);
    return rc;
}

int cer_ndjson_feed(cer_ndjson *p, const uint8_t *data, size_t len, cer_ndjson_fn fn, void *arg)
{
    size_t max = p->max ? p->max : CER_IPFS_LINE_MAX;
    int rc;

    while (len > 0) {
        const uint8_t *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;

        if (p->skipping) {
            if (nl)
                p->skipping = false;
        } else if (p->line.len + n > max) {
            p->line.len = 0;
            p->skipping = !nl;
            if ((rc = fn(arg, NULL, 0, cer_err(-EFBIG, "ipfs: NDJSON line over %zu bytes dropped", max))))
                return rc;
        } else if ((rc = cer_buf_append(&p->line, data, n)) < 0) {
            p->line.len = 0;
            p->skipping = !nl;
            if ((rc = fn(arg, NULL, 0, rc)))
                return rc;
        } else if (nl) {
            size_t l = p->line.len;
            p->line.len = 0;
            while (l > 0 && (p->line.data[l - 1] == '\r' || p->line.data[l - 1] == ' '))
                l--;
            if (l > 0) {
                p->line.data[l] = '\0';
                if ((rc = fn(arg, (const char *)p->line.data, l, 0)))
                    return rc;
            }
        }
        if (!nl)
            break;
        data = nl + 1;
        len -= n + 1;
    }
    return 0;
}

void cer_ndjson_free(cer_ndjson *p)
{
    cer_buf_free(&p->line);
    p->skipping = false;
}

/* Name of a codec for block/put's format= / cid-codec= (NULL: unknown). */
static const char *codec_name(uint64_t codec)
{
    switch (codec) {
    case CER_CODEC_RAW: return "raw";
    case CER_CODEC_DAG_PB: return "dag-pb";
    case CER_CODEC_DAG_CBOR: return "dag-cbor";
    case CER_CODEC_DAG_JOSE: return "dag-jose";
    default: return NULL;
    }
}

/* ---- the client ---- */

int cer_ipfs_open(cer_ipfs **out, const cer_ipfs_opts *opts)
{
    cer_ipfs *c;
    size_t n;
    int rc;

    *out = NULL;
    if (!opts || !opts->url || (strncmp(opts->url, "http://", 7) != 0 && strncmp(opts->url, "https://", 8) != 0))
        return cer_err(-EINVAL, "ipfs: the API URL must start with http:// or https://");
    if (opts->codec_param && strcmp(opts->codec_param, "format") != 0 &&
        strcmp(opts->codec_param, "cid-codec") != 0)
        return cer_err(-EINVAL, "ipfs: codec parameter must be format or cid-codec");
    if (!(c = calloc(1, sizeof *c)))
        return cer_err(-ENOMEM, "ipfs: out of memory");
    n = strlen(opts->url);
    while (n > 0 && opts->url[n - 1] == '/')
        n--;
    if (!(c->base = malloc(n + 8))) {
        free(c);
        return cer_err(-ENOMEM, "ipfs: out of memory");
    }
    if ((rc = cer_http_client_open(&c->http)) < 0) {
        free(c->base);
        free(c);
        return rc;
    }
    memcpy(c->base, opts->url, n);
    c->base[n] = '\0';
    if (n < 7 || strcmp(c->base + n - 7, "/api/v0") != 0)
        strcat(c->base, "/api/v0");
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 10000;
    c->block_timeout_ms = opts->block_timeout_ms > 0 ? opts->block_timeout_ms : 5000;
    snprintf(c->codec_param, sizeof c->codec_param, "%s", opts->codec_param ? opts->codec_param : "format");
    *out = c;
    return 0;
}

void cer_ipfs_background_thread(void)
{
    /* on Linux a nice value is per thread, named by its thread id */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

void cer_ipfs_close(cer_ipfs *c)
{
    if (!c)
        return;
    cer_http_client_close(c->http);
    free(c->base);
    free(c);
}

const char *cer_ipfs_url(const cer_ipfs *c)
{
    return c->base;
}

void cer_ipfs_fail_at(cer_ipfs *c, long nth)
{
    atomic_store(&c->fail_at, nth > 0 ? atomic_load(&c->calls) + nth : 0);
}

long cer_ipfs_call_count(cer_ipfs *c)
{
    return atomic_load(&c->calls);
}

/* Count a call; -EIO when it is the one to fail. */
static int count_call(cer_ipfs *c, const char *cmd)
{
    long n = atomic_fetch_add(&c->calls, 1) + 1, f = atomic_load(&c->fail_at);

    if (f > 0 && n == f) {
        atomic_store(&c->fail_at, 0);
        return cer_err(-EIO, "ipfs: %s: injected fault (HTTP call %ld)", cmd, n);
    }
    return 0;
}

/* The error of a non-200 reply, with the daemon's message when it sent one. */
static int daemon_error(const char *cmd, long status, const cer_buf *body)
{
    char msg[MSGBUF];

    if (cer_ipfs_parse_error(msg, sizeof msg, body->data, body->len) < 0) {
        char ex[CER_EXCERPT_MAX];
        cer_excerpt(ex, body->len ? (const char *)body->data : "");
        snprintf(msg, sizeof msg, "%s", ex);
    }
    if (strstr(msg, "timed out") || strstr(msg, "timeout"))
        return cer_err(-ETIMEDOUT, "ipfs: %s: HTTP %ld: %s", cmd, status, msg);
    if (status == 404 || status == 405)
        return cer_err(-ENOTSUP, "ipfs: %s: HTTP %ld: %s", cmd, status, msg);
    return cer_err(-EIO, "ipfs: %s: HTTP %ld: %s", cmd, status, msg);
}

/* POST base/cmd?query, with data (when non-NULL) as the single multipart
 * file part; the reply body goes to out (at most max bytes). */
static int call(cer_ipfs *c, const char *cmd, const char *query, const uint8_t *data, size_t dlen, cer_buf *out,
                size_t max, long timeout_ms)
{
    size_t n = strlen(c->base) + strlen(cmd) + (query ? strlen(query) : 0) + 3;
    char *url, what[64];
    long status;
    int rc;

    out->len = 0;
    if ((rc = count_call(c, cmd)) < 0)
        return rc;
    if (!(url = malloc(n)))
        return cer_err(-ENOMEM, "ipfs: out of memory");
    snprintf(url, n, "%s/%s%s%s", c->base, cmd, query ? "?" : "", query ? query : "");
    snprintf(what, sizeof what, "ipfs: %s", cmd);
    rc = cer_http_perform(c->http,
                          &(cer_http_call){.what = what, .url = url, .post = true, .body = data, .body_len = dlen,
                                           .timeout_ms = timeout_ms,
                                           .connect_timeout_ms = timeout_ms < 5000 ? timeout_ms : 5000,
                                           .max = max},
                          out, &status);
    if (rc == 0 && status != 200)
        rc = daemon_error(cmd, status, out);
    free(url);
    return rc;
}

static int get_string(cer_ipfs *c, const char *cmd, const char *member, char *out, size_t cap)
{
    cer_buf b = CER_BUF_INIT;
    int rc = call(c, cmd, NULL, NULL, 0, &b, CER_IPFS_REPLY_MAX, c->timeout_ms);

    if (rc == 0)
        rc = cer_ipfs_parse_string(out, cap, b.data, b.len, member);
    cer_buf_free(&b);
    return rc;
}

int cer_ipfs_id(cer_ipfs *c, char *out, size_t cap)
{
    return get_string(c, "id", "ID", out, cap);
}

int cer_ipfs_version(cer_ipfs *c, char *out, size_t cap)
{
    return get_string(c, "version", "Version", out, cap);
}

int cer_ipfs_block_put(cer_ipfs *c, const cer_cid *cid, const uint8_t *data, size_t len)
{
    const char *codec = codec_name(cid->codec);
    char q[96], want[CER_CID_STR_MAX], got[CER_CID_STR_MAX];
    cer_buf b = CER_BUF_INIT;
    cer_cid key;
    int rc;

    if (!codec || cid->version != 1 || cid->mh_code != CER_MH_SHA2_256)
        return cer_err(-ENOTSUP, "ipfs: block/put of a CID that is not v1 sha2-256 of a known codec");
    if (len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "ipfs: block of %zu bytes is over the %d byte limit", len, CER_BLOCK_MAX);
    snprintf(q, sizeof q, "%s=%s&mhtype=sha2-256", c->codec_param, codec);
    if ((rc = call(c, "block/put", q, data, len, &b, CER_IPFS_REPLY_MAX, c->timeout_ms)) == 0 &&
        (rc = cer_ipfs_parse_key(&key, NULL, b.data, b.len)) == 0 && !cer_cid_equal(&key, cid)) {
        cer_cid_to_string(want, sizeof want, cid);
        cer_cid_to_string(got, sizeof got, &key);
        rc = cer_err(-EBADMSG, "ipfs: block/put stored %s, expected %s (wrong codec parameter %s=?)", got, want,
                     c->codec_param);
    }
    cer_buf_free(&b);
    return rc;
}

int cer_ipfs_block_get(cer_ipfs *c, const cer_cid *cid, cer_buf *out, int timeout_ms)
{
    char name[CER_CID_STR_MAX], q[CER_CID_STR_MAX + 48];
    long t = timeout_ms > 0 ? timeout_ms : c->block_timeout_ms;
    int rc;

    out->len = 0;
    if ((rc = cer_cid_to_string(name, sizeof name, cid)) < 0)
        return rc;
    snprintf(q, sizeof q, "arg=%s&timeout=%ldms", name, t);
    /* the daemon gets t; curl a little more, so the daemon's answer wins */
    if ((rc = call(c, "block/get", q, NULL, 0, out, CER_BLOCK_MAX, t + 2000)) < 0) {
        if (rc == -EFBIG)
            rc = cer_err(-EFBIG, "ipfs: block %s is over the %d byte limit", name, CER_BLOCK_MAX);
        out->len = 0;
        return rc;
    }
    if ((rc = cer_cid_check_block(cid, out->data, out->len)) < 0) {
        out->len = 0;
        return cer_err_wrap(rc, "ipfs: block/get %s returned other bytes", name);
    }
    return 0;
}

static int topic_query(char **out, const char *topic)
{
    size_t n;

    *out = NULL;
    if (!topic || !topic[0] || strlen(topic) > 1024)
        return cer_err(-EINVAL, "ipfs: bad pubsub topic");
    n = cer_base_encoded_max(CER_BASE64URL, strlen(topic)) + 8;
    if (!(*out = malloc(n)))
        return cer_err(-ENOMEM, "ipfs: out of memory");
    memcpy(*out, "arg=", 4);
    return cer_pubsub_topic_arg(*out + 4, n - 4, topic) < 0 ? (free(*out), *out = NULL, -EINVAL) : 0;
}

int cer_ipfs_pub(cer_ipfs *c, const char *topic, const uint8_t *data, size_t len)
{
    cer_buf b = CER_BUF_INIT;
    char *q;
    int rc;

    if (len == 0 || len > CER_MSG_MAX)
        return cer_err(-EINVAL, "ipfs: pubsub/pub of %zu bytes (1..%d)", len, CER_MSG_MAX);
    if ((rc = topic_query(&q, topic)) < 0)
        return rc;
    rc = call(c, "pubsub/pub", q, data, len, &b, CER_IPFS_REPLY_MAX, c->timeout_ms);
    free(q);
    cer_buf_free(&b);
    return rc;
}

/* ---- subscriptions ---- */

typedef struct sub_ctx {
    cer_ndjson nd;
    const char *topic_arg;
    cer_ipfs_sub_fn fn;
    void *arg;
    cer_buf err;        /* start of a non-200 body */
} sub_ctx;

static int sub_line(void *arg, const char *line, size_t len, int err)
{
    sub_ctx *x = arg;
    cer_ipfs_msg m;
    uint8_t *scratch = NULL;
    int rc;

    if (!line)
        return x->fn(x->arg, CER_IPFS_SUB_BAD, NULL, err);
    rc = cer_ipfs_parse_sub_line(&m, &scratch, x->topic_arg, line, len);
    if (rc == 1)
        rc = x->fn(x->arg, CER_IPFS_SUB_READY, NULL, 0);
    else if (rc == 0)
        rc = x->fn(x->arg, CER_IPFS_SUB_MSG, &m, 0);
    else
        rc = x->fn(x->arg, CER_IPFS_SUB_BAD, NULL, rc);
    free(scratch);
    return rc;
}

/* The stream's bytes; false when fn asked to stop. */
static bool sub_data(void *arg, long status, const uint8_t *p, size_t n)
{
    sub_ctx *x = arg;

    if (status != 200) {  /* keep the start of an error body */
        if (x->err.len < 4096)
            cer_buf_append(&x->err, p, n < 4096 ? n : 4096);
        return true;
    }
    return cer_ndjson_feed(&x->nd, p, n, sub_line, x) == 0;
}

int cer_ipfs_sub(cer_ipfs *c, const char *topic, cer_ipfs_sub_fn fn, void *arg, const volatile int *stop)
{
    sub_ctx x = {.fn = fn, .arg = arg};
    char *q = NULL, *url = NULL;
    long status = 0;
    int rc;

    x.nd.max = CER_IPFS_LINE_MAX;
    if ((rc = topic_query(&q, topic)) < 0)
        return rc;
    x.topic_arg = q + 4;
    if ((rc = count_call(c, "pubsub/sub")) < 0)
        goto out;
    if (!(url = malloc(strlen(c->base) + strlen(q) + 16))) {
        rc = cer_err(-ENOMEM, "ipfs: out of memory");
        goto out;
    }
    sprintf(url, "%s/pubsub/sub?%s", c->base, q);
    rc = cer_http_perform(c->http,
                          &(cer_http_call){.what = "ipfs: pubsub/sub", .url = url, .post = true,
                                           .connect_timeout_ms = c->timeout_ms < 5000 ? c->timeout_ms : 5000,
                                           .on_data = sub_data, .arg = &x, .stop = stop},
                          NULL, &status);
    if (rc == -ECANCELED) {  /* fn or *stop ended it */
        cer_errclear();
        rc = 0;
    }
    else if (status != 200 && status != 0)
        rc = daemon_error("pubsub/sub", status, &x.err);
    else if (rc == 0)
        rc = cer_err(-ECONNRESET, "ipfs: pubsub/sub: the daemon ended the stream");
out:
    cer_ndjson_free(&x.nd);
    cer_buf_free(&x.err);
    free(url);
    free(q);
    return rc;
}
