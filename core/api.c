/*
 * api.c — js-ceramic 2.44's HTTP API (@ceramicnetwork/cli's
 * ceramic-daemon.ts) served from a node, so that apps written against
 * js-ceramic (@ceramicnetwork/http-client) run against ceramicfs. The
 * routing and the node calls live here; the bodies are jsapi.c's, the
 * HTTP is httpd.c's (its limits, loopback by default). Nothing a client
 * sends is trusted: a commit is stored and then applied as a tip from the
 * network is, verified by the node; what fails changes no stream.
 */
#include "cacao.h"
#include "casauth.h"
#include "clock.h"
#include "dagjose.h"
#include "error.h"
#include "httpd.h"
#include "state.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_PREFIX "/api/v0/"
#define PATH_MAX_LEN 2048           /* longer paths are refused */
#define SEGS_MAX 6
/* js's admin codes: a few, each good once within a minute */
#define CODES_MAX 50
#define CODE_TTL_MS (60 * 1000)
#define ADMINS_MAX 16
#define PINS_PATH "/api/v0/admin/pins"
#define HEALTHCHECK_TRIES 3         /* js's HEALTHCHECK_RETRIES */

struct cer_api {
    cer_node *node;
    cer_sync *sync;             /* borrowed; may be NULL */
    cer_anchorer *anchorer;     /* borrowed; may be NULL */
    cer_httpd *http;
    pthread_t thread;
    bool running;
    /* the admin API's state, touched only on the server thread */
    char admins[ADMINS_MAX][CER_DID_MAX];
    size_t nadmins;
    struct {
        char code[37];
        int64_t ms;             /* when it was given; 0: free */
    } codes[CODES_MAX];
};

/* ---- answers ---- */

static int answer(cer_http_resp *resp, int status, char *json)
{
    if (!json)
        return -ENOMEM;
    resp->status = status;
    resp->content_type = CER_JSAPI_JSON_TYPE;
    resp->body = (cer_buf){0};
    if (cer_buf_append(&resp->body, json, strlen(json)) < 0) {
        free(json);
        return -ENOMEM;
    }
    free(json);
    return 0;
}

/* js's {error} with status; the message is formatted */
static int fail(cer_http_resp *resp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(cer_http_resp *resp, int status, const char *fmt, ...)
{
    char msg[1024], *json = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cer_jsapi_error_body(&json, msg) < 0)
        return -ENOMEM;
    return answer(resp, status, json);
}

/* an error as js's 500: its reason (js's words where jsapi.c and the
 * node have them), else what failed */
static int fail_rc(cer_http_resp *resp, int rc, const char *what)
{
    const char *m = cer_errmsg();

    if (rc == -ENOMEM)
        return rc;
    if (*m)
        return fail(resp, CER_JSAPI_STATUS_FAILED, "%s", m);
    return fail(resp, CER_JSAPI_STATUS_FAILED, "%s: %s", what, strerror(-rc));
}

/* express's 404 page */
static int no_route(cer_http_resp *resp, const char *method, const char *path)
{
    static const char head[] = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                               "<title>Error</title>\n</head>\n<body>\n<pre>Cannot ";
    static const char tail[] = "</pre>\n</body>\n</html>\n";

    resp->status = 404;
    resp->content_type = CER_JSAPI_TEXT_TYPE;
    resp->body = (cer_buf){0};
    if (cer_buf_append(&resp->body, head, sizeof head - 1) < 0 ||
        cer_buf_append(&resp->body, method, strlen(method)) < 0 || cer_buf_append(&resp->body, " ", 1) < 0)
        return -ENOMEM;
    /* the path is echoed HTML-escaped, as express does */
    for (const char *p = path; *p; p++) {
        const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : *p == '"' ? "&quot;" : NULL;
        if (cer_buf_append(&resp->body, e ? e : p, e ? strlen(e) : 1) < 0)
            return -ENOMEM;
    }
    return cer_buf_append(&resp->body, tail, sizeof tail - 1) < 0 ? -ENOMEM : 0;
}

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool is_method(const cer_http_req *req, const char *m)
{
    return is(req->method, m);
}

/* ---- StreamIDs ---- */

/* Parse a StreamID or CommitID path segment as js's StreamID.fromString
 * does; an error answer otherwise (1 returned: answered). */
static int parse_ref(cer_http_resp *resp, cer_streamref *out, const char *s)
{
    if (s[0] != 'k')
        return fail(resp, CER_JSAPI_STATUS_FAILED,
                    "Unable to decode multibase string \"%.*s\", base36 decoder only supports inputs prefixed with k",
                    CER_STREAMID_STR_MAX, s) < 0 ? -ENOMEM : 1;
    if (strlen(s) >= CER_STREAMID_STR_MAX || cer_streamref_parse(out, s) < 0)
        return fail(resp, CER_JSAPI_STATUS_FAILED, "Invalid StreamID \"%.*s\"", 100, s) < 0 ? -ENOMEM : 1;
    return 0;
}

static void ref_string(char out[CER_STREAMID_STR_MAX], const cer_streamref *id)
{
    if (cer_streamref_to_string(out, CER_STREAMID_STR_MAX, id) < 0)
        strcpy(out, "?");
}

/* ---- loading ---- */

/* The current state of a stream, from the network when the node has none
 * (or when always is set and a sync runs). */
static int current(cer_api *a, cer_state **out, const cer_streamref *ref, bool always)
{
    cer_streamref id = *ref;
    int rc;

    id.is_commit = false;
    id.commit = (cer_cid){0};
    rc = cer_node_state(a->node, out, &id);
    if (a->sync && (rc == -ENOENT || (rc == 0 && always))) {
        if (rc == 0) {
            cer_state_free(*out);
            *out = NULL;
        }
        (void)cer_sync_load(a->sync, &id, 0);
        rc = cer_node_state(a->node, out, &id);
    }
    if (rc == -ENOENT) {
        char s[CER_STREAMID_STR_MAX];
        ref_string(s, &id);
        cer_err(rc, "Stream %s not found on this node", s);
    }
    return rc;
}

/* The state at a commit of full's log (a CommitID load), with full's anchor times. */
static int at_commit(cer_api *a, cer_state **out, const cer_state *full, const cer_cid *commit)
{
    char c[CER_CID_STR_MAX];
    int rc;

    *out = NULL;
    if (!cer_state_in_log(full, commit)) {
        cer_cid_to_string(c, sizeof c, commit);
        return cer_err(-ENOENT, "Commit %s is not in the log of this stream", c);
    }
    if ((rc = cer_state_load(out, cer_node_store(a->node), &full->id, commit)) < 0 && *out) {
        cer_state_free(*out);
        *out = NULL;
    }
    if (rc < 0)
        return rc;
    cer_jsapi_copy_times(*out, full);
    return 0;
}

/* A StreamID's current state, a CommitID's state, or (has_at) the state at time t. */
static int load_ref(cer_api *a, cer_state **out, const cer_streamref *ref, bool sync_always, bool has_at,
                    int64_t t)
{
    cer_state *full = NULL;
    cer_cid c;
    int rc;

    *out = NULL;
    if ((rc = current(a, &full, ref, sync_always)) < 0)
        return rc;
    if (!ref->is_commit && !has_at) {
        *out = full;
        return 0;
    }
    if (ref->is_commit)
        c = ref->commit;
    else
        cer_jsapi_commit_at_time(&c, full, t);
    rc = at_commit(a, out, full, &c);
    cer_state_free(full);
    return rc;
}

/* Store a client's commit: a forged signature is refused before anything
 * is stored (whether the signer may write, under its capability if any,
 * is the node's check, after). */
static int store_commit(cer_api *a, const cer_commit_blocks *c)
{
    int rc;

    for (size_t i = 0; c->is_signed && i < c->jws.nsigs; i++)
        if ((rc = cer_jws_verify_signature(&c->jws, i, NULL, 0)) < 0)
            return cer_err_wrap(rc, "Invalid signature");
    return cer_store_put_commit(cer_node_store(a->node), c);
}

static int mq_load(void *arg, cer_state **out, const cer_streamref *ref, const cer_jsapi_query *q)
{
    cer_api *a = arg;
    cer_streamref id = *ref;
    cer_stream_info info;

    id.is_commit = false;
    id.commit = (cer_cid){0};
    /* a stream new here, created from the genesis the client sent */
    if (q->has_genesis && cer_node_info(a->node, &id, &info) == -ENOENT &&
        cer_cid_equal(cer_commit_cid(&q->genesis), &id.genesis) && store_commit(a, &q->genesis) == 0)
        (void)cer_node_learn_tip(a->node, &id, &id.genesis);
    return load_ref(a, out, ref, false, q->has_at_time, q->at_time);
}

/* ---- the routes ---- */

static int send_state(cer_http_resp *resp, const cer_state *st, unsigned flags)
{
    char *json = NULL;
    int rc = cer_jsapi_stream_body(&json, st, flags);

    return rc < 0 ? rc : answer(resp, 200, json);
}

/* GET /api/v0/streams/:id[/content] */
static int get_stream(cer_api *a, const cer_http_req *req, cer_http_resp *resp, const char *sid, bool content)
{
    cer_streamref ref;
    cer_state *st = NULL;
    const char *sync = cer_http_arg(req, "sync"), *at = cer_http_arg(req, "atTime");
    char *json = NULL, *end;
    long long t = 0;
    int rc;

    if ((rc = parse_ref(resp, &ref, sid)) != 0)
        return rc < 0 ? rc : 0;
    if (at) {
        errno = 0;
        t = strtoll(at, &end, 10);
        if (!*at || *end || errno || t < 0)
            return fail(resp, CER_JSAPI_STATUS_FAILED, "Invalid atTime \"%.*s\"", 40, at);
    }
    if ((rc = load_ref(a, &st, &ref, sync && strcmp(sync, "1") == 0, at != NULL, t)) < 0)
        return fail_rc(resp, rc, "Cannot load the stream");
    if (content)
        rc = cer_jsapi_content_body(&json, st) < 0 ? -ENOMEM : answer(resp, 200, json);
    else
        rc = send_state(resp, st, 0);
    cer_state_free(st);
    return rc;
}

/* GET /api/v0/commits/:id */
static int get_commits(cer_api *a, cer_http_resp *resp, const char *sid)
{
    cer_streamref ref;
    cer_state *st = NULL;
    char *json = NULL;
    int rc;

    if ((rc = parse_ref(resp, &ref, sid)) != 0)
        return rc < 0 ? rc : 0;
    if ((rc = current(a, &st, &ref, false)) < 0)
        return fail_rc(resp, rc, "Cannot load the stream");
    rc = cer_jsapi_commits_body(&json, cer_node_store(a->node), st);
    cer_state_free(st);
    return rc < 0 ? fail_rc(resp, rc, "Cannot read the commits") : answer(resp, 200, json);
}

/* The CACAO a session key signed r's commit under (cacaoBlock, as
 * StreamUtils.serializeCommit sends it), stored with the commit as js's
 * dispatcher stores it: only the block the commit's header names, and
 * only a CACAO. Whether it lets the signer write is the node's check when
 * it applies the commit (state.c), as for a commit from the network. */
static int store_cacao(cer_api *a, const cer_jsapi_request *r)
{
    char cap[CER_CID_STR_MAX + 8];
    cer_cacao cacao;
    cer_cid cid;
    int rc;

    if (!r->commit.is_signed || cer_jws_header(&r->commit.jws, 0, "cap", cap, sizeof cap) != 1)
        return cer_err(-EINVAL, "cacaoBlock: the commit names no capability (no cap in its JWS header)");
    if (strncmp(cap, "ipfs://", 7) != 0 || cer_cid_parse(&cid, cap + 7) < 0 || cid.codec != CER_CODEC_DAG_CBOR)
        return cer_err(-EINVAL, "cacaoBlock: the commit's cap is not an ipfs:// DAG-CBOR CID");
    if (cer_cid_check_block(&cid, r->cacao.data, r->cacao.len) < 0)
        return cer_err(-EINVAL, "cacaoBlock: not the block of the commit's capability %s", cap + 7);
    if ((rc = cer_cacao_decode(&cacao, r->cacao.data, r->cacao.len)) < 0)
        return cer_err_wrap(rc, "cacaoBlock");
    cer_cacao_free(&cacao);
    return cer_store_put(cer_node_store(a->node), &cid, r->cacao.data, r->cacao.len);
}

/* Store a commit's blocks (and its CACAO) and apply it as a tip learned
 * from the network (so the node verifies it), as the node's own:
 * published and anchored unless the app's opts say false (js's defaults
 * are true). 1 moved, 0 not, a negative errno when refused. */
static int apply(cer_api *a, const cer_streamref *id, const cer_jsapi_request *r)
{
    unsigned flags = (r->opts.publish == 0 ? CER_APPLY_NO_PUBLISH : 0) | (r->opts.anchor == 0 ? CER_APPLY_NO_ANCHOR : 0);
    int rc;

    if (r->cacao.len && (rc = store_cacao(a, r)) < 0)
        return rc;
    if ((rc = store_commit(a, &r->commit)) < 0)
        return rc;
    return cer_node_apply_own_opts(a->node, id, cer_commit_cid(&r->commit), flags);
}

/* POST /api/v0/streams */
static int create(cer_api *a, const cer_http_req *req, cer_http_resp *resp)
{
    cer_jsapi_request r;
    cer_streamref id = {0};
    cer_state *st = NULL;
    int rc;

    if ((rc = cer_jsapi_parse_create(&r, (const char *)req->body, req->body_len)) < 0)
        return fail_rc(resp, rc, "Invalid request");
    id.type = r.type;
    id.genesis = *cer_commit_cid(&r.commit);
    if (r.type != CER_STREAM_TILE && r.type != CER_STREAM_MODEL && r.type != CER_STREAM_MID)
        rc = cer_err(-ENOTSUP, "Stream type %llu is not supported by this node", (unsigned long long)r.type);
    else
        rc = apply(a, &id, &r);
    if (rc >= 0 && r.opts.pin != 0)
        rc = cer_node_pin(a->node, &id, true);
    if (rc >= 0)
        rc = cer_node_state(a->node, &st, &id);
    cer_jsapi_request_free(&r);
    if (rc < 0)
        return fail_rc(resp, rc, "Cannot create the stream");
    rc = send_state(resp, st, 0);
    cer_state_free(st);
    return rc;
}

/* POST /api/v0/commits */
static int apply_commit(cer_api *a, const cer_http_req *req, cer_http_resp *resp)
{
    cer_jsapi_request r;
    cer_streamref id;
    cer_state *st = NULL;
    char sid[CER_STREAMID_STR_MAX], c[CER_CID_STR_MAX], tip[CER_CID_STR_MAX];
    int rc;

    if ((rc = cer_jsapi_parse_apply(&r, (const char *)req->body, req->body_len)) < 0)
        return fail_rc(resp, rc, "Invalid request");
    id = r.id;
    id.is_commit = false;
    id.commit = (cer_cid){0};
    /* opts.sync SYNC_ALWAYS: the network's tip first, as js loads it */
    if ((rc = current(a, &st, &id, r.opts.sync == 1)) >= 0) {
        cer_state_free(st);
        st = NULL;
        rc = apply(a, &id, &r);
    }
    if (rc >= 0)
        rc = cer_node_state(a->node, &st, &id);
    if (rc >= 0 && !cer_state_in_log(st, cer_commit_cid(&r.commit))) {
        /* js's words for a commit that lost to the tip */
        ref_string(sid, &id);
        cer_cid_to_string(c, sizeof c, cer_commit_cid(&r.commit));
        cer_cid_to_string(tip, sizeof tip, cer_state_tip(st));
        rc = fail(resp, CER_JSAPI_STATUS_FAILED,
                  "Commit to stream %s rejected because it builds on stale state. Calling 'sync()' on the "
                  "stream handle will synchronize the stream state in the client with that on the Ceramic "
                  "node.  Rejected commit CID: %s. Current tip: %s",
                  sid, c, tip);
        cer_state_free(st);
        cer_jsapi_request_free(&r);
        return rc;
    }
    cer_jsapi_request_free(&r);
    if (rc < 0)
        return fail_rc(resp, rc, "Cannot apply the commit");
    rc = send_state(resp, st, CER_JSAPI_DOCID);
    cer_state_free(st);
    return rc;
}

/* POST /api/v0/multiqueries */
static int multiquery(cer_api *a, const cer_http_req *req, cer_http_resp *resp)
{
    cer_jsapi_multiquery mq;
    char *json = NULL;
    int rc;

    if ((rc = cer_jsapi_parse_multiquery(&mq, (const char *)req->body, req->body_len)) < 0)
        return fail_rc(resp, rc, "Invalid request");
    rc = cer_jsapi_multiquery_body(&json, &mq, mq_load, a);
    cer_jsapi_multiquery_free(&mq);
    return rc < 0 ? fail_rc(resp, rc, "Multiquery failed") : answer(resp, 200, json);
}

/* POST /api/v0/streams/:id/anchor */
static int anchor(cer_api *a, cer_http_resp *resp, const char *sid)
{
    cer_streamref ref;
    cer_state *st = NULL;
    char *json = NULL;
    int rc;

    if ((rc = parse_ref(resp, &ref, sid)) != 0)
        return rc < 0 ? rc : 0;
    if (!a->anchorer)
        return fail(resp, CER_JSAPI_STATUS_FAILED, "Anchoring is turned off on this node");
    ref.is_commit = false;
    if ((rc = cer_anchorer_request(a->anchorer, &ref)) < 0 || (rc = cer_node_state(a->node, &st, &ref)) < 0)
        return fail_rc(resp, rc, "Cannot request an anchor");
    rc = cer_jsapi_anchor_body(&json, &ref, st->anchor_status);
    cer_state_free(st);
    return rc < 0 ? rc : answer(resp, 200, json);
}

/* GET /api/v0/node/chains: the chains this node's network accepts */
static int chains(cer_api *a, cer_http_resp *resp)
{
    static const char *const all[] = {"eip155:1", "eip155:3", "eip155:4", "eip155:5",
                                      "eip155:100", "eip155:1337", "inmemory:12345"};
    const char *ok[sizeof all / sizeof *all];
    size_t n = 0;
    char *json = NULL;

    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (cer_network_accepts_chain(cer_node_network(a->node), all[i]) == 1)
            ok[n++] = all[i];
    return cer_jsapi_chains_body(&json, ok, n) < 0 ? -ENOMEM : answer(resp, 200, json);
}

static int text(cer_http_resp *resp, int status, const char *s)
{
    resp->status = status;
    resp->content_type = CER_JSAPI_TEXT_TYPE;
    resp->body = (cer_buf){0};
    return cer_buf_append(&resp->body, s, strlen(s)) < 0 ? -ENOMEM : 0;
}

/* GET /api/v0/node/healthcheck: as js's, alive when the node's IPFS
 * answers (ipfs.isOnline: its id, up to three tries; one when it timed
 * out, since the server answers nobody meanwhile), unless checkIpfs is
 * false; a node without IPFS (its store local) is alive. */
static int healthcheck(cer_api *a, const cer_http_req *req, cer_http_resp *resp)
{
    cer_ipfs *ipfs = cer_store_ipfs(cer_node_store(a->node));
    const char *check = cer_http_arg(req, "checkIpfs");
    char id[256];
    int rc = 0;

    if (!ipfs || (check && strcmp(check, "false") == 0))
        return text(resp, 200, CER_JSAPI_ALIVE);
    for (int i = 0; i < HEALTHCHECK_TRIES && rc != -ETIMEDOUT; i++)
        if ((rc = cer_ipfs_id(ipfs, id, sizeof id)) >= 0)
            return text(resp, 200, CER_JSAPI_ALIVE);
    cer_errclear();
    return text(resp, 503, CER_JSAPI_NO_IPFS);
}

/* ---- the admin API (pins) ---- */

/* GET /api/v0/admin/getCode: a fresh code (the oldest one goes when full) */
static int get_code(cer_api *a, cer_http_resp *resp)
{
    size_t slot = 0;
    cJSON *j;
    char *json = NULL;

    for (size_t i = 0; i < CODES_MAX; i++)
        if (a->codes[i].ms < a->codes[slot].ms)
            slot = i;
    cer_uuid4(a->codes[slot].code);
    a->codes[slot].ms = cer_clock_ms(CLOCK_MONOTONIC);
    if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "code", a->codes[slot].code) ||
        cer_json_print(&json, j, 0) < 0) {
        cJSON_Delete(j);
        return -ENOMEM;
    }
    cJSON_Delete(j);
    return answer(resp, 200, json);
}

/* Take a code: 0, or the reason it is refused (js's words). */
static const char *take_code(cer_api *a, const char *code)
{
    int64_t now = cer_clock_ms(CLOCK_MONOTONIC);

    for (size_t i = 0; i < CODES_MAX; i++) {
        if (!a->codes[i].ms || strcmp(a->codes[i].code, code) != 0)
            continue;
        bool fresh = now - a->codes[i].ms <= CODE_TTL_MS;
        a->codes[i].ms = 0;
        return fresh ? NULL : "Unauthorized access: expired admin code - admin codes are only valid for 60 seconds";
    }
    return "Unauthorized access: invalid/already used admin code";
}

/* js's admin authorization: "Basic <compact JWS>" of {code, requestPath}
 * by an admin DID, the code one this server gave and not used yet. 0 when
 * authorized; 1 when answered (refused). */
static int authorize(cer_api *a, const cer_http_req *req, cer_http_resp *resp)
{
    const char *h = req->authorization, *why;
    char kid[CER_KID_MAX];
    cer_jws jws = {0};
    cJSON *p = NULL;
    const char *code, *path;
    size_t n;
    int rc = 1;

    if (!h)
        return fail(resp, CER_JSAPI_STATUS_UNAUTHORIZED, "Missing authorization header") < 0 ? -ENOMEM : 1;
    n = strnlen(h, CER_CASAUTH_HEADER_MAX + 1);
    if (n <= 6 || n > CER_CASAUTH_HEADER_MAX || strncmp(h, "Basic ", 6) != 0)
        return fail(resp, 400, "Invalid authorization header format. It needs to be 'Authorization: Basic <JWS BLOCK>'") < 0
                   ? -ENOMEM
                   : 1;
    if (cer_jws_from_compact(&jws, h + 6, n - 6) < 0 || cer_jws_verify(&jws, 0, kid, sizeof kid) < 0 ||
        cer_json_parse(&p, (const char *)jws.payload, jws.payload_len, 0) < 0 || !cJSON_IsObject(p)) {
        if (fail(resp, CER_JSAPI_STATUS_UNAUTHORIZED, "Error while processing the authorization header %s",
                 cer_errmsg()) < 0)
            rc = -ENOMEM;
        goto out;
    }
    code = cJSON_GetStringValue(cJSON_GetObjectItem(p, "code"));
    path = cJSON_GetStringValue(cJSON_GetObjectItem(p, "requestPath"));
    if (!path || strcmp(path, PINS_PATH) != 0)
        why = "The jws block contains a request path that doesn't match the request (" PINS_PATH ")";
    else if (!code)
        why = "Admin code is missing from the the jws block";
    else
        why = take_code(a, code);
    /* the kid is the DID and a fragment: the DID whole, not a prefix (js's startsWith) */
    for (size_t i = 0, l; i < a->nadmins && !why; i++)
        if (strncmp(kid, a->admins[i], l = strlen(a->admins[i])) == 0 && (kid[l] == '#' || !kid[l])) {
            rc = 0;
            goto out;
        }
    if (why)
        rc = fail(resp, CER_JSAPI_STATUS_UNAUTHORIZED, "%s", why);
    else
        rc = fail(resp, CER_JSAPI_STATUS_UNAUTHORIZED,
                  "Unauthorized access: DID '%s' does not have admin access permission to this node", kid);
    rc = rc < 0 ? -ENOMEM : 1;
out:
    cJSON_Delete(p);
    cer_jws_free(&jws);
    return rc;
}

typedef struct pins {
    cer_streamref *ids;
    size_t n, cap;
} pins;

static int add_pin(const cer_stream_info *info, void *arg)
{
    pins *p = arg;

    if (!info->pinned)
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        cer_streamref *t = realloc(p->ids, cap * sizeof *t);
        if (!t)
            return -ENOMEM;
        p->ids = t, p->cap = cap;
    }
    p->ids[p->n++] = info->id;
    return 0;
}

/* /api/v0/admin/pins[/:id]: GET lists, POST pins, DELETE unpins */
static int admin_pins(cer_api *a, const cer_http_req *req, cer_http_resp *resp, const char *sid)
{
    cer_streamref id;
    cer_stream_info info;
    pins p = {0};
    char *json = NULL;
    int rc;

    if ((rc = authorize(a, req, resp)) != 0)
        return rc < 0 ? rc : 0;
    if (sid && (rc = parse_ref(resp, &id, sid)) != 0)
        return rc < 0 ? rc : 0;
    if (sid)
        id.is_commit = false, id.commit = (cer_cid){0};
    if (is_method(req, "GET")) {
        if (sid)
            rc = cer_node_info(a->node, &id, &info) == 0 && info.pinned ? add_pin(&info, &p) : 0;
        else
            rc = cer_node_list(a->node, add_pin, &p);
        if (rc >= 0)
            rc = cer_jsapi_pins_body(&json, p.ids, p.n);
        free(p.ids);
        return rc < 0 ? fail_rc(resp, rc, "Cannot list the pins") : answer(resp, 200, json);
    }
    if (!sid)
        return no_route(resp, req->method, req->path);
    if ((rc = cer_node_pin(a->node, &id, is_method(req, "POST"))) < 0)
        return fail_rc(resp, rc, "Cannot change the pin");
    return cer_jsapi_pin_body(&json, &id, is_method(req, "POST")) < 0 ? -ENOMEM : answer(resp, 200, json);
}

/* Split path (after the prefix) at '/', runs of '/' as one, as the
 * client's double slashes reach js's routes. */
static size_t split(char *p, char *seg[SEGS_MAX + 1])
{
    size_t n = 0;

    for (char *s = strtok(p, "/"); s; s = strtok(NULL, "/")) {
        if (n == SEGS_MAX + 1)
            return n;
        seg[n++] = s;
    }
    return n;
}


static int handle(void *arg, const cer_http_req *req, cer_http_resp *resp)
{
    cer_api *a = arg;
    char path[PATH_MAX_LEN + 1], *seg[SEGS_MAX + 1];
    const char *m = req->method;
    size_t len = strlen(req->path), n;
    bool get = is(m, "GET"), post = is(m, "POST");

    cer_errclear();
    if (len > PATH_MAX_LEN || strlen(req->query) > PATH_MAX_LEN)
        return fail(resp, 414, "Request path too long");
    if (strncmp(req->path, API_PREFIX, sizeof API_PREFIX - 1) != 0)
        return no_route(resp, m, req->path);
    memcpy(path, req->path + sizeof API_PREFIX - 1, len - (sizeof API_PREFIX - 1) + 1);
    n = split(path, seg);
    if (n == 0 || n > SEGS_MAX)
        return no_route(resp, m, req->path);
    if (is(seg[0], "node") && n == 2 && get) {
        if (is(seg[1], "healthcheck"))
            return healthcheck(a, req, resp);
        if (is(seg[1], "chains"))
            return chains(a, resp);
    }
    if (is(seg[0], "streams")) {
        if (n == 1 && post)
            return create(a, req, resp);
        if (n == 2 && get)
            return get_stream(a, req, resp, seg[1], false);
        if (n == 3 && get && is(seg[2], "content"))
            return get_stream(a, req, resp, seg[1], true);
        if (n == 3 && post && is(seg[2], "anchor"))
            return anchor(a, resp, seg[1]);
    }
    if (is(seg[0], "commits")) {
        if (n == 1 && post)
            return apply_commit(a, req, resp);
        if (n == 2 && get)
            return get_commits(a, resp, seg[1]);
    }
    if (is(seg[0], "multiqueries") && n == 1 && post)
        return multiquery(a, req, resp);
    if (is(seg[0], "pins") && n <= 2)
        return fail(resp, CER_JSAPI_STATUS_UNSUPPORTED,
                    "Method not supported: pin requests have moved to the admin API /admin/pins");
    if (is(seg[0], "admin")) {
        if (n == 2 && get && is(seg[1], "getCode"))
            return get_code(a, resp);
        if (n >= 2 && is(seg[1], "pins") && n <= 3 && (get || post || is(m, "DELETE")))
            return admin_pins(a, req, resp, n == 3 ? seg[2] : NULL);
        if (!req->authorization)
            return fail(resp, CER_JSAPI_STATUS_UNAUTHORIZED, "Missing authorization header");
        return fail(resp, CER_JSAPI_STATUS_FAILED, "The admin API's %s is not served by this node (pins only)",
                    n >= 2 ? seg[1] : "root");
    }
    if (is(seg[0], "collection"))
        return fail(resp, CER_JSAPI_STATUS_FAILED,
                    "Indexed queries (ComposeDB collection) are not supported: this node indexes no models");
    return no_route(resp, m, req->path);
}

/* ---- the server ---- */

static void *serve(void *arg)
{
    cer_api *a = arg;

    (void)cer_httpd_run(a->http, NULL);
    return NULL;
}

int cer_api_start(cer_api **out, cer_node *node, const cer_api_opts *opts)
{
    cer_api_opts none = {0};
    cer_httpd_opts ho;
    cer_api *a;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &none;
    if (!(a = calloc(1, sizeof *a)))
        return -ENOMEM;
    a->node = node;
    a->sync = opts->sync;
    a->anchorer = opts->anchorer;
    /* the admin DIDs: the node's own and those given */
    snprintf(a->admins[a->nadmins++], CER_DID_MAX, "%s", cer_node_did(node));
    for (size_t i = 0; i < opts->nadmin_dids; i++) {
        if (a->nadmins == ADMINS_MAX || strlen(opts->admin_dids[i]) >= CER_DID_MAX ||
            strncmp(opts->admin_dids[i], "did:", 4) != 0) {
            free(a);
            return cer_err(-EINVAL, "admin DIDs: at most %d did:... of under %d characters", ADMINS_MAX - 1,
                           CER_DID_MAX);
        }
        snprintf(a->admins[a->nadmins++], CER_DID_MAX, "%s", opts->admin_dids[i]);
    }
    /* bodies a little over js's 1 MiB get js's 500 from the parser; far over, 413 at once */
    ho = (cer_httpd_opts){.listen = opts->listen,
                          .max_body = opts->max_body ? opts->max_body : 2 * CER_JSAPI_BODY_MAX,
                          .max_conns = opts->max_conns,
                          .max_per_ip = opts->max_per_ip,
                          .timeout_s = opts->timeout_s,
                          .name = "the Ceramic HTTP API",
                          .log = opts->log,
                          .log_arg = opts->log_arg};
    if ((rc = cer_httpd_open(&a->http, &ho, handle, a)) < 0) {
        free(a);
        return rc;
    }
    if ((rc = pthread_create(&a->thread, NULL, serve, a)) != 0) {
        cer_httpd_close(a->http);
        free(a);
        return cer_err(-rc, "cannot start the API thread");
    }
    a->running = true;
    *out = a;
    return 0;
}

int cer_api_port(const cer_api *a)
{
    return cer_httpd_port(a->http);
}

void cer_api_stop(cer_api *a)
{
    if (!a)
        return;
    if (a->running) {
        cer_httpd_stop(a->http);
        pthread_join(a->thread, NULL);
    }
    cer_httpd_close(a->http);
    free(a);
}
