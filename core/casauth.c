/*
 * casauth.c — DID-signed CAS requests (casauth.h): the body digest, the
 * payload a client signs, and the check of an Authorization header.
 */
#include "casauth.h"
#include "cid.h"
#include "error.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CAR_CTYPE "application/vnd.ipld.car"

void cer_uuid4(char out[37])
{
    uint8_t u[16];
    char hex[33];

    randombytes_buf(u, sizeof u);
    u[6] = (u[6] & 0x0f) | 0x40, u[8] = (u[8] & 0x3f) | 0x80;
    sodium_bin2hex(hex, sizeof hex, u, sizeof u);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void sha256_hex(char *out, size_t cap, const void *data, size_t len)
{
    uint8_t h[32];
    char hex[65];

    cer_sha256(h, data, len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, cap, "0x%s", hex);
}

int cer_casauth_digest(char *out, size_t cap, const char *ctype, const uint8_t *body, size_t len)
{
    cJSON *j = NULL;
    char *text = NULL;
    cer_cid root;
    int rc;

    if (cap < 67)
        return cer_err(-ENOSPC, "casauth: digest buffer too small");
    out[0] = '\0';
    if (len == 0)
        return 0;
    /* js: contentType.includes(...) */
    if (strstr(ctype, CAR_CTYPE)) {
        if ((rc = cer_car_root(&root, body, len)) < 0)
            return rc;
        return cer_cid_to_string(out, cap, &root) < 0 ? cer_err(-EINVAL, "casauth: CAR root") : 0;
    }
    if (!strstr(ctype, "application/json")) {
        sha256_hex(out, cap, body, len);
        return 0;
    }
    if ((rc = cer_json_parse(&j, (const char *)body, len, 0)) < 0)
        return cer_err_wrap(rc, "casauth: JSON body");
    if ((rc = cer_json_print(&text, j, 0)) == 0)
        sha256_hex(out, cap, text, strlen(text));
    free(text);
    cJSON_Delete(j);
    return rc;
}

int cer_casauth_payload(char **out, const char *url, const char *ctype, const uint8_t *body, size_t len)
{
    char digest[CER_CASAUTH_DIGEST_MAX], nonce[37];
    cJSON *j = NULL;
    int rc;

    *out = NULL;
    if ((rc = cer_casauth_digest(digest, sizeof digest, ctype ? ctype : "", body, len)) < 0)
        return rc;
    cer_uuid4(nonce);
    if (!(j = cJSON_CreateObject()) || (digest[0] && !cJSON_AddStringToObject(j, "digest", digest)) ||
        !cJSON_AddStringToObject(j, "nonce", nonce) || !cJSON_AddStringToObject(j, "url", url))
        rc = cer_err(-ENOMEM, "casauth: out of memory");
    else
        rc = cer_json_print(out, j, 0);
    cJSON_Delete(j);
    return rc;
}

/* A string member of at most cap - 1 bytes into out; "" when absent and
 * optional. */
static int member(char *out, size_t cap, const cJSON *o, const char *k, bool optional)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    out[0] = '\0';
    if (!v && optional)
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= cap)
        return cer_err(-EACCES, "the signed payload's %s is not a string of 1..%zu bytes", k, cap - 1);
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

int cer_casauth_verify(cer_casauth *out, const char *authorization)
{
    char kid[CER_KID_MAX], *hash;
    cer_jws jws = {0};
    cJSON *p = NULL;
    size_t n;
    int rc;

    memset(out, 0, sizeof *out);
    if (!authorization)
        return cer_err(-EACCES, "no Authorization header");
    n = strnlen(authorization, CER_CASAUTH_HEADER_MAX + 1);
    if (n > CER_CASAUTH_HEADER_MAX)
        return cer_err(-EACCES, "the Authorization header is over %d bytes", CER_CASAUTH_HEADER_MAX);
    if (n < 7 || strncasecmp(authorization, "Bearer ", 7) != 0)
        return cer_err(-EACCES, "the Authorization header is not \"Bearer <JWS>\"");
    if ((rc = cer_jws_from_compact(&jws, authorization + 7, n - 7)) < 0 ||
        (rc = cer_jws_verify(&jws, 0, kid, sizeof kid)) < 0) {
        rc = cer_err_wrap(-EACCES, "bad JWS");
        goto out;
    }
    if ((hash = strchr(kid, '#')))
        *hash = '\0';
    if (strlen(kid) >= sizeof out->did) {
        rc = cer_err(-EACCES, "the signer's DID is too long");
        goto out;
    }
    memcpy(out->did, kid, strlen(kid) + 1);
    if (cer_json_parse(&p, (const char *)jws.payload, jws.payload_len, 0) < 0 || !cJSON_IsObject(p)) {
        rc = cer_err(-EACCES, "the signed payload is not a JSON object");
        goto out;
    }
    if ((rc = member(out->url, sizeof out->url, p, "url", false)) < 0 ||
        (rc = member(out->nonce, sizeof out->nonce, p, "nonce", false)) < 0 ||
        (rc = member(out->digest, sizeof out->digest, p, "digest", true)) < 0)
        goto out;
    rc = 0;
out:
    cJSON_Delete(p);
    cer_jws_free(&jws);
    return rc;
}

const char *cer_casauth_url_path(const char *url)
{
    const char *p;

    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else
        return NULL;
    p += strcspn(p, "/?#");
    if (p == url || p[-1] == '/')  /* no host */
        return NULL;
    return *p == '/' ? p : *p == '\0' ? "/" : NULL;
}
