/*
 * fuzz_casd.c — libFuzzer target: what the anchor service reads from its
 * clients, through its HTTP handler (no sockets). The first byte picks the
 * request: 0 POST a CAR body, 1 POST a JSON body, 2 GET the rest as the
 * target, 3 POST with the rest split into content type and body. Every
 * answer is a known status with a JSON body; accepted requests are
 * anchored (in-memory chain) every 32 of them, so batches see fuzzed
 * requests too. With bit 2 of the first byte set, the first line is the
 * Authorization header, and the service is one with an allowlist (every
 * request DID-signed, casauth.h).
 */
#include "ceramic.h"
#include "casd.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static cer_casd *d, *da;  /* open; with an allowlist */
static int accepted;

/* The allowed DID: the did:key of the seed 00 01 02 ... 1f (the seed
 * corpus has requests it signed). */
static void open_both(void)
{
    static char did[CER_DID_MAX];
    static const char *allow[1] = {did};
    uint8_t seed[32];
    cer_key k;
    cer_casd_opts o = {.listen = "127.0.0.1:0", .max_requests = 256, .anchor = {.chain = "inmemory", .interval = -1}};

    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    if (cer_key_from_seed(&k, seed) < 0)
        abort();
    memcpy(did, k.did, sizeof did);
    if (cer_casd_open(&d, &o) < 0)
        abort();
    o.allow = allow, o.nallow = 1;
    if (cer_casd_open(&da, &o) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_http_req req = {.method = "POST", .target = "/api/v0/requests", .content_type = "", .peer = "127.0.0.1"};
    cer_http_resp resp = {.status = 200};
    char *text, *rest, *target = NULL;
    size_t rlen;
    cJSON *j = NULL;
    int rc;

    if (!d)
        open_both();
    if (len < 1 || !(text = malloc(len)))
        return 0;
    memcpy(text, data + 1, len - 1);
    text[len - 1] = '\0';
    rest = text, rlen = len - 1;
    if (data[0] & 4) {  /* signed: the first line is the Authorization header */
        char *nl = memchr(text, '\n', rlen);
        if (!nl) {
            free(text);
            return 0;
        }
        *nl = '\0';
        req.authorization = text;
        rest = nl + 1, rlen -= (size_t)(rest - text);
    }
    req.body = (const uint8_t *)rest;
    req.body_len = rlen;
    switch (data[0] % 4) {
    case 0: req.content_type = "application/vnd.ipld.car"; break;
    case 1: req.content_type = "application/json"; break;
    case 2:
        if (!(target = malloc(rlen + 2)))
            break;
        target[0] = '/';
        memcpy(target + 1, rest, rlen + 1);  /* rest is NUL-terminated */
        req.method = "GET", req.target = target, req.body_len = 0;
        break;
    default: {
        char *nl = memchr(rest, '\n', rlen);
        if (nl) {
            *nl = '\0';
            req.content_type = rest;
            req.body = (const uint8_t *)nl + 1;
            req.body_len = rlen - (size_t)(nl + 1 - rest);
        }
    }
    }
    rc = cer_casd_handle(data[0] & 4 ? da : d, &req, &resp);
    assert(rc == 0 || rc == CER_HTTPD_WAIT || rc < 0);
    if (rc == 0) {
        int s = resp.status;
        assert(s == 200 || s == 201 || s == 400 || s == 401 || s == 403 || s == 404 || s == 405 || s == 415 ||
               s == 503);
        assert(resp.body.len > 0 && cer_json_parse(&j, (const char *)resp.body.data, resp.body.len, 0) == 0);
        cJSON_Delete(j);
        if (s == 201 && ++accepted % 32 == 0)
            (void)cer_casd_flush(data[0] & 4 ? da : d);
    }
    cer_buf_free(&resp.body);
    free(target);
    free(text);
    return 0;
}
