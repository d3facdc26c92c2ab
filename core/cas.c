/*
 * cas.c — the Ceramic Anchor Service client (cas.h): the request CAR as
 * js-ceramic core 2.46+ posts it, the JSON request of older services,
 * DID-signed requests (casauth.h), and strict, bounded parsing of every
 * answer. Calls go through http.c. Which tips to ask for and what to do
 * with the answers is the anchorer's (anchorer.c).
 */
#include "cas.h"
#include "buf.h"
#include "casauth.h"
#include "dagcbor.h"
#include "error.h"
#include "json.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* ---- replies ---- */

void cer_cas_reply_free(cer_cas_reply *r)
{
    if (r) {
        free(r->witness_car);
        r->witness_car = NULL;
    }
}

int cer_cas_parse_reply(cer_cas_reply *out, const char *text, size_t len)
{
    static const struct {
        const char *name;
        int status;
    } names[] = {{"PENDING", CER_ANCHOR_PENDING},       {"READY", CER_ANCHOR_PENDING},
                 {"PROCESSING", CER_ANCHOR_PROCESSING}, {"COMPLETED", CER_ANCHOR_ANCHORED},
                 {"FAILED", CER_ANCHOR_FAILED},         {"REPLACED", CER_ANCHOR_REPLACED}};
    cJSON *j = NULL;
    const cJSON *st, *ac, *w, *m;
    size_t i;
    int rc, n;

    memset(out, 0, sizeof *out);
    if (len > CER_CAS_REPLY_MAX)
        return cer_err(-EFBIG, "CAS reply of %zu bytes", len);
    if ((rc = cer_json_parse(&j, text, len, 0)) < 0)
        return cer_err_wrap(rc, "CAS reply");
    if (!cJSON_IsObject(j)) {
        rc = cer_err(-EPROTO, "CAS reply is not an object");
        goto out;
    }
    if (cJSON_IsString(get(j, "error"))) {
        rc = cer_err(-EREMOTEIO, "CAS: %.200s", get(j, "error")->valuestring);
        goto out;
    }
    st = get(j, "status");
    for (i = 0; cJSON_IsString(st) && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(st->valuestring, names[i].name) == 0)
            break;
    if (!cJSON_IsString(st) || i == sizeof names / sizeof names[0]) {
        rc = cer_err(-EPROTO, "CAS reply: no known status");
        goto out;
    }
    out->status = names[i].status;
    if (!cJSON_IsString(get(j, "cid")) || cer_cid_parse(&out->cid, get(j, "cid")->valuestring) < 0) {
        rc = cer_err(-EPROTO, "CAS reply: no valid 'cid'");
        goto out;
    }
    if ((m = get(j, "message")) && cJSON_IsString(m))
        snprintf(out->message, sizeof out->message, "%s", m->valuestring);
    if (out->status == CER_ANCHOR_ANCHORED) {
        ac = get(get(j, "anchorCommit"), "cid");
        if (!cJSON_IsString(ac) || cer_cid_parse(&out->anchor_commit, ac->valuestring) < 0) {
            rc = cer_err(-EPROTO, "CAS reply: COMPLETED without a valid anchorCommit.cid");
            goto out;
        }
        out->has_anchor_commit = true;
        if ((w = get(j, "witnessCar")) && !cJSON_IsNull(w)) {
            size_t wl = cJSON_IsString(w) ? strlen(w->valuestring) : 0;
            if (!cJSON_IsString(w) || !(out->witness_car = malloc(wl * 3 / 4 + 4))) {
                rc = cer_err(cJSON_IsString(w) ? -ENOMEM : -EPROTO, "CAS reply: bad witnessCar");
                goto out;
            }
            if ((n = cer_base_decode(out->witness_car, wl * 3 / 4 + 4, CER_BASE64, w->valuestring, wl)) < 0) {
                rc = cer_err(-EPROTO, "CAS reply: witnessCar is not base64");
                goto out;
            }
            out->witness_len = (size_t)n;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        cer_cas_reply_free(out);
    cJSON_Delete(j);
    return rc;
}

/* ---- the request body: a CAR, as js-ceramic core 2.46+ posts it ---- */

/* The blocks of a request CAR so far (a block goes in once). */
typedef struct car_w {
    cer_buf *car;
    cer_store *store;
    cer_cid in[5];
    size_t n;
} car_w;

/* Block cid from the store into the CAR, unless it is in already. */
static int car_put(car_w *w, const cer_cid *cid)
{
    int rc;

    for (size_t i = 0; i < w->n; i++)
        if (cer_cid_equal(&w->in[i], cid))
            return 0;
    if (w->n == sizeof w->in / sizeof w->in[0])
        return cer_err(-E2BIG, "too many blocks");
    if ((rc = cer_car_put_stored(w->car, w->store, cid)) == 0)
        w->in[w->n++] = *cid;
    return rc;
}

/* The payload block of a signed (dag-jose) commit into the CAR. */
static int car_put_payload(car_w *w, const cer_cid *commit)
{
    cer_commit c;
    int rc;

    if (commit->codec != CER_CODEC_DAG_JOSE)
        return 0;
    if ((rc = cer_commit_read(&c, w->store, commit)) < 0)
        return rc;
    rc = car_put(w, &c.payload_cid);
    cer_commit_free(&c);
    return rc;
}

int cer_cas_request_car(cer_buf *car, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                        const char *timestamp)
{
    uint8_t sid[CER_STREAMID_BYTES_MAX];
    cer_buf root = CER_BUF_INIT;
    cer_cbor_w r = CER_CBOR_W_INIT(&root);
    car_w w = {car, store, {{0}}, 0};
    cer_cid root_cid;
    int n, rc;

    if ((n = cer_streamref_to_bytes(sid, sizeof sid, id)) < 0)
        return n;
    cer_cbor_w_map(&r, 3);  /* keys in canonical order: length, then bytes */
    cer_cbor_w_text(&r, "tip");
    cer_cbor_w_link(&r, tip);
    cer_cbor_w_text(&r, "streamId");
    cer_cbor_w_bytes(&r, sid, (size_t)n);
    cer_cbor_w_text(&r, "timestamp");
    cer_cbor_w_text(&r, timestamp);
    if ((rc = r.err) < 0 || (rc = cer_cid_of_block(&root_cid, CER_CODEC_DAG_CBOR, root.data, root.len)) < 0)
        goto out;
    /* js's order: root, genesis, tip, then the payloads of the signed ones */
    if ((rc = cer_car_put_header(car, &root_cid, 1)) < 0 ||
        (rc = cer_car_put_block(car, &root_cid, root.data, root.len)) < 0 ||
        (rc = car_put(&w, &id->genesis)) < 0 || (rc = car_put(&w, tip)) < 0 ||
        (rc = car_put_payload(&w, &id->genesis)) < 0)
        goto out;
    rc = car_put_payload(&w, tip);
out:
    cer_buf_free(&root);
    return rc < 0 ? cer_err_wrap(rc, "CAS request CAR") : 0;
}

/* ---- calls ---- */

/* A call to the service (GET without ctype, else POST), signed when
 * c->sign is set, as js-ceramic's DID anchor auth signs it (casauth.h). */
static int call(cer_cas *c, const char *url, const char *ctype, const void *body, size_t len, cer_buf *reply,
                long *status)
{
    char *payload = NULL, *jws = NULL, *authz = NULL;
    int rc = 0;

    if (c->sign) {
        if ((rc = cer_casauth_payload(&payload, url, ctype, body, len)) < 0 ||
            (rc = c->sign(c->sign_arg, &jws, (const uint8_t *)payload, strlen(payload))) < 0)
            goto out;
        if (!(authz = malloc(strlen(jws) + 8))) {
            rc = cer_err(-ENOMEM, "CAS: out of memory");
            goto out;
        }
        sprintf(authz, "Bearer %s", jws);
    }
    rc = cer_http_perform(c->http,
                          &(cer_http_call){.url = url, .post = ctype != NULL, .content_type = ctype, .body = body,
                                           .body_len = len, .authorization = authz,
                                           .timeout_ms = (long)(c->timeout * 1000), .max = CER_CAS_REPLY_MAX},
                          reply, status);
out:
    free(payload);
    free(jws);
    free(authz);
    return rc;
}

/* The answer to a call for tip: parsed, and about tip. */
static int answer(int rc, const char *url, long status, const cer_buf *reply, const cer_cid *tip,
                  cer_cas_reply *out)
{
    char t[CER_CID_STR_MAX] = "?";

    memset(out, 0, sizeof *out);
    /* these come with {"error": why}, which the parser reports */
    if (rc == 0 && (status < 200 || status >= 300) && status != 400 && status != 401 && status != 403 &&
        status != 404 && status != 429)
        rc = cer_err(-EREMOTEIO, "CAS %s: HTTP status %ld", url, status);
    if (rc == 0)
        rc = cer_cas_parse_reply(out, reply->data ? (const char *)reply->data : "", reply->len);
    if (rc < 0)
        return rc;
    if (!cer_cid_equal(&out->cid, tip)) {
        cer_cas_reply_free(out);
        cer_cid_to_string(t, sizeof t, tip);
        return cer_err(-EPROTO, "CAS answered for another commit than %s", t);
    }
    return 0;
}

int cer_cas_request(cer_cas *c, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                    cer_cas_reply *out)
{
    char url[1024], sid[CER_STREAMID_STR_MAX], t[CER_CID_STR_MAX], when[32];
    char json[CER_STREAMID_STR_MAX + CER_CID_STR_MAX + 128];
    cer_buf car = CER_BUF_INIT, reply = CER_BUF_INIT;
    long status = 0;
    int rc = 0;

    memset(out, 0, sizeof *out);
    snprintf(url, sizeof url, "%s/api/v0/requests", c->url);
    if (!c->json) {
        iso_now(when);
        if ((rc = cer_cas_request_car(&car, store, id, tip, when)) == 0)
            rc = call(c, url, "application/vnd.ipld.car", car.data, car.len, &reply, &status);
        cer_buf_free(&car);
        if (rc < 0 || (status != 400 && status != 415))
            goto out;
    }
    if ((rc = cer_streamref_to_string(sid, sizeof sid, id)) < 0 || (rc = cer_cid_to_string(t, sizeof t, tip)) < 0)
        goto out;
    iso_now(when);
    snprintf(json, sizeof json, "{\"streamId\":\"%s\",\"cid\":\"%s\",\"timestamp\":\"%s\"}", sid, t, when);
    rc = call(c, url, "application/json", json, strlen(json), &reply, &status);
    if (rc == 0 && !c->json && status >= 200 && status < 300)
        c->json = true;
out:
    rc = answer(rc, url, status, &reply, tip, out);
    cer_buf_free(&reply);
    return rc;
}

int cer_cas_poll(cer_cas *c, const cer_cid *tip, cer_cas_reply *out)
{
    char url[1024], t[CER_CID_STR_MAX];
    cer_buf reply = CER_BUF_INIT;
    long status = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cer_cid_to_string(t, sizeof t, tip)) < 0)
        return rc;
    snprintf(url, sizeof url, "%s/api/v0/requests/%s", c->url, t);
    rc = call(c, url, NULL, NULL, 0, &reply, &status);
    rc = answer(rc, url, status, &reply, tip, out);
    cer_buf_free(&reply);
    return rc;
}
