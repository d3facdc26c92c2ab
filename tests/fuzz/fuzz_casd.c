/*
 * fuzz_casd.c — libFuzzer target: what the anchor service reads from its
 * clients, through its HTTP handler (no sockets). The first byte picks the
 * request: 0 POST a CAR body, 1 POST a JSON body, 2 GET the rest as the
 * target, 3 POST with the rest split into content type and body. Every
 * answer is a known status with a JSON body; accepted requests are
 * anchored (in-memory chain) every 32 of them, so batches see fuzzed
 * requests too.
 */
#include "ceramic.h"
#include "casd.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static cer_casd *d;
static int accepted;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_http_req req = {.method = "POST", .target = "/api/v0/requests", .content_type = ""};
    cer_http_resp resp = {.status = 200};
    char *text, *target = NULL;
    cJSON *j = NULL;
    int rc;

    if (!d) {
        cer_casd_opts o = {.listen = "127.0.0.1:0", .max_requests = 256,
                           .anchor = {.chain = "inmemory", .interval = -1}};
        if (cer_casd_open(&d, &o) < 0)
            abort();
    }
    if (len < 1 || !(text = malloc(len)))
        return 0;
    memcpy(text, data + 1, len - 1);
    text[len - 1] = '\0';
    req.body = (const uint8_t *)text;
    req.body_len = len - 1;
    switch (data[0] % 4) {
    case 0: req.content_type = "application/vnd.ipld.car"; break;
    case 1: req.content_type = "application/json"; break;
    case 2:
        if (!(target = malloc(len + 2)))
            break;
        target[0] = '/';
        memcpy(target + 1, text, len);  /* text is NUL-terminated */
        req.method = "GET", req.target = target, req.body_len = 0;
        break;
    default: {
        char *nl = memchr(text, '\n', len - 1);
        if (nl) {
            *nl = '\0';
            req.content_type = text;
            req.body = (const uint8_t *)nl + 1;
            req.body_len = len - 1 - (size_t)(nl + 1 - text);
        }
    }
    }
    rc = cer_casd_handle(d, &req, &resp);
    assert(rc == 0 || rc == CER_HTTPD_WAIT || rc < 0);
    if (rc == 0) {
        int s = resp.status;
        assert(s == 200 || s == 201 || s == 400 || s == 404 || s == 405 || s == 415 || s == 503);
        assert(resp.body.len > 0 && cer_json_parse(&j, (const char *)resp.body.data, resp.body.len, 0) == 0);
        cJSON_Delete(j);
        if (s == 201 && ++accepted % 32 == 0)
            (void)cer_casd_flush(d);
    }
    cer_buf_free(&resp.body);
    free(target);
    free(text);
    return 0;
}
