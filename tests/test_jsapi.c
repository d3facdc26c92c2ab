/*
 * test_jsapi.c — js-ceramic's HTTP API JSON (jsapi.c) against what the
 * real js-ceramic 2.44 daemon and @ceramicnetwork/http-client 2.36 said
 * (vectors/js-api/, gen/js-api.mjs): the blocks js stored go into a store,
 * our state is built from them (cer_state_load_checked, the anchors
 * trusted at the times js gave them: they are js's in-memory anchors), and
 * every response body we render must equal js's byte for byte: stream
 * states before and after anchors (with next, anchorProof, timestamps),
 * CommitID loads, content, commits, multiquery, pins, anchor requests,
 * chains, errors. Every request body the client sent must parse into the
 * blocks js stored, under the CIDs js computed. Then the parser's refusals.
 */
#include "testutil.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static cJSON *ex_file, *blk_file;
static cer_store *store;

/* ---- the recording ---- */

static const cJSON *exchanges(void)
{
    return tu_get(ex_file, "exchanges");
}

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;

    ck_assert_msg(cer_json_parse(&j, text, strlen(text), 0) == 0, "%s", cer_errmsg());
    return j;
}

static void load_vectors(void)
{
    const cJSON *b;

    ex_file = tu_load_json("js-api/exchanges.json");
    blk_file = tu_load_json("js-api/blocks.json");
    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    cJSON_ArrayForEach(b, tu_get(blk_file, "blocks")) {
        cer_cid cid;
        size_t n = strlen(b->valuestring);
        uint8_t *raw = malloc(n + 1);
        int len = cer_base_decode(raw, n + 1, CER_BASE64, b->valuestring, n);

        ck_assert_int_ge(len, 0);
        ck_assert_int_eq(cer_cid_parse(&cid, b->string), 0);
        ck_assert_msg(cer_store_put(store, &cid, raw, (size_t)len) == 0, "%s: %s", b->string, cer_errmsg());
        free(raw);
    }
}

static void free_vectors(void)
{
    cJSON_Delete(ex_file);
    cJSON_Delete(blk_file);
    cer_store_close(store);
}

/* js's in-memory anchors prove nothing to another process: this checker
 * trusts each proof at the time js gave it (the anchor entry's timestamp
 * in any recorded state whose anchorProof has that txHash). */
static int js_anchor_time(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    char tx[CER_CID_STR_MAX];
    const cJSON *x;

    (void)arg;
    cer_cid_to_string(tx, sizeof tx, &proof->tx_hash);
    cJSON_ArrayForEach(x, exchanges()) {
        cJSON *r = cJSON_Parse(tu_str(x, "response"));
        const cJSON *st = cJSON_GetObjectItem(r, "state"), *e;
        const char *h = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "anchorProof"), "txHash"));
        bool found = h && strcmp(h, tx) == 0;

        if (found)
            cJSON_ArrayForEach(e, cJSON_GetObjectItem(st, "log"))
                if (cJSON_GetObjectItem(e, "type")->valueint == CER_COMMIT_ANCHOR)
                    *timestamp = (int64_t)cJSON_GetObjectItem(e, "timestamp")->valuedouble;
        cJSON_Delete(r);
        if (found)
            return CER_CHECK_VERIFIED;
    }
    return CER_CHECK_UNVERIFIED_FINAL;
}
static const cer_anchor_checker js_anchors = {js_anchor_time, NULL};

/* ---- the streams as js held them, in the order of the exchanges ---- */

#define STREAMS_MAX 16
static struct {
    cer_streamref id;
    cer_cid tip;
    int status;         /* the anchor status js's node kept (PENDING ...) */
} tips[STREAMS_MAX];
static size_t ntips;

static size_t tip_slot(const cer_streamref *id)
{
    for (size_t i = 0; i < ntips; i++)
        if (cer_streamref_same_stream(&tips[i].id, id))
            return i;
    ck_assert_uint_lt(ntips, STREAMS_MAX);
    tips[ntips].id = *id;
    tips[ntips].id.is_commit = false;
    tips[ntips].id.commit = id->genesis;
    tips[ntips].tip = id->genesis;
    return ntips++;
}

/* Our state of id at commit (the stream's tip as js last showed it when
 * commit is NULL), with js's timestamps for a CommitID load. */
static cer_state *our_state(const cer_streamref *id, const cer_cid *commit)
{
    size_t slot = tip_slot(id);
    cer_state *full = NULL, *at = NULL;

    ck_assert_msg(cer_state_load_checked(&full, store, &tips[slot].id, &tips[slot].tip, &js_anchors) == 0, "%s",
                  cer_errmsg());
    if (full->anchor_status == CER_ANCHOR_NOT_REQUESTED)
        full->anchor_status = tips[slot].status;
    if (!commit)
        return full;
    ck_assert_msg(cer_state_load_checked(&at, store, &tips[slot].id, commit, &js_anchors) == 0, "%s", cer_errmsg());
    cer_jsapi_copy_times(at, full);
    cer_state_free(full);
    return at;
}

/* What js's state in a response says: its stream's tip and anchor status. */
static void learn(const cJSON *state, const char *sid)
{
    cer_streamref id;
    const cJSON *log = cJSON_GetObjectItem(state, "log");
    const char *status = tu_str(state, "anchorStatus");
    size_t slot;

    ck_assert_int_eq(cer_streamref_parse(&id, sid), 0);
    slot = tip_slot(&id);
    ck_assert_int_eq(cer_cid_parse(&tips[slot].tip, tu_str(cJSON_GetArrayItem(log, cJSON_GetArraySize(log) - 1), "cid")), 0);
    tips[slot].status = strcmp(status, "PENDING") == 0      ? CER_ANCHOR_PENDING
                        : strcmp(status, "PROCESSING") == 0 ? CER_ANCHOR_PROCESSING
                                                            : CER_ANCHOR_NOT_REQUESTED;
}

/* The StreamID or CommitID of a /api/v0/streams/<id>... or /commits/<id> URL. */
static void url_ref(cer_streamref *out, const char *url, const char *prefix)
{
    char buf[512];
    size_t n;

    ck_assert_msg(strncmp(url, prefix, strlen(prefix)) == 0, "%s", url);
    url += strlen(prefix);
    n = strcspn(url, "/?");
    ck_assert_uint_lt(n, sizeof buf);
    memcpy(buf, url, n);
    buf[n] = '\0';
    ck_assert_msg(cer_streamref_parse(out, buf) == 0, "%s: %s", buf, cer_errmsg());
}

static bool label_is(const cJSON *x, const char *label)
{
    return strcmp(tu_str(x, "label"), label) == 0;
}

static void assert_body(const char *ours, const cJSON *x)
{
    ck_assert_msg(strcmp(ours, tu_str(x, "response")) == 0, "%s %s (%s):\n ours %s\n js   %s", tu_str(x, "method"),
                  tu_str(x, "url"), tu_str(x, "label"), ours, tu_str(x, "response"));
}

/* multiquery: js's loads, from the streams as js held them */
static int mq_load(void *arg, cer_state **out, const cer_streamref *ref, const cer_jsapi_query *q)
{
    (void)arg;
    if (ref->is_commit) {
        *out = our_state(ref, &ref->commit);
    } else if (q->has_at_time) {
        cer_state *full = our_state(ref, NULL);
        cer_cid at;
        cer_jsapi_commit_at_time(&at, full, q->at_time);
        cer_state_free(full);
        *out = our_state(ref, &at);
    } else {
        *out = our_state(ref, NULL);
    }
    return 0;
}

/* ---- responses ---- */

/* Every state, content, commits, multiquery, pins, anchor and chains
 * response, rendered from our own state and compared byte for byte. */
START_TEST(js_responses)
{
    const cJSON *x;
    size_t states = 0, others = 0;

    load_vectors();
    ntips = 0;
    cJSON_ArrayForEach(x, exchanges()) {
        const char *url = tu_str(x, "url"), *method = tu_str(x, "method");
        cJSON *r;
        char *ours = NULL;
        cer_streamref id;

        if (label_is(x, "healthcheck") || label_is(x, "healthcheck-noipfs")) {
            ck_assert_str_eq(tu_str(x, "response"), CER_JSAPI_ALIVE);
            ck_assert_str_eq(tu_str(x, "responseType"), CER_JSAPI_TEXT_TYPE);
            continue;
        }
        if (cJSON_GetObjectItem(x, "status")->valueint != 200 || strstr(url, "/admin/getCode"))
            continue;
        ck_assert_str_eq(tu_str(x, "responseType"), CER_JSAPI_JSON_TYPE);
        r = parse(tu_str(x, "response"));
        if (cJSON_GetObjectItem(r, "state")) {
            const cJSON *st = cJSON_GetObjectItem(r, "state");
            cer_state *ours_st;
            bool commit_load;

            /* what js's node holds: the stream and its anchor status */
            if (strcmp(method, "GET") == 0)
                url_ref(&id, url, "/api/v0/streams/");
            else
                ck_assert_int_eq(cer_streamref_parse(&id, tu_str(r, "streamId")), 0);
            commit_load = id.is_commit;
            if (!commit_load)
                learn(st, tu_str(r, "streamId"));
            ours_st = our_state(&id, commit_load ? &id.commit : NULL);
            ck_assert_int_eq(cer_jsapi_stream_body(&ours, ours_st, strcmp(url, "/api/v0/commits") == 0 ? CER_JSAPI_DOCID : 0),
                             0);
            cer_state_free(ours_st);
            states++;
        } else if (strstr(url, "/content")) {
            cer_state *s;
            url_ref(&id, url, "/api/v0/streams/");
            s = our_state(&id, NULL);
            ck_assert_int_eq(cer_jsapi_content_body(&ours, s), 0);
            cer_state_free(s);
        } else if (strncmp(url, "/api/v0/commits/", 16) == 0) {
            cer_state *s;
            url_ref(&id, url, "/api/v0/commits/");
            s = our_state(&id, NULL);
            ck_assert_msg(cer_jsapi_commits_body(&ours, store, s) == 0, "%s", cer_errmsg());
            cer_state_free(s);
        } else if (label_is(x, "multiquery")) {
            cer_jsapi_multiquery mq;
            const char *body = tu_str(x, "body");
            ck_assert_msg(cer_jsapi_parse_multiquery(&mq, body, strlen(body)) == 0, "%s", cer_errmsg());
            ck_assert_int_eq(mq.nqueries, 4);
            ck_assert_int_eq(mq.timeout_ms, 5000);
            ck_assert_msg(cer_jsapi_multiquery_body(&ours, &mq, mq_load, NULL) == 0, "%s", cer_errmsg());
            cer_jsapi_multiquery_free(&mq);
        } else if (cJSON_GetObjectItem(r, "pinnedStreamIds")) {
            const cJSON *p;
            cer_streamref ids[STREAMS_MAX], t;
            size_t n = 0;
            cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "pinnedStreamIds"))
                ck_assert_int_eq(cer_streamref_parse(&ids[n++], p->valuestring), 0);
            /* given in reverse: the body sorts them as js lists them */
            for (size_t i = 0; i < n / 2; i++)
                t = ids[i], ids[i] = ids[n - 1 - i], ids[n - 1 - i] = t;
            ck_assert_int_eq(cer_jsapi_pins_body(&ours, ids, n), 0);
        } else if (cJSON_GetObjectItem(r, "isPinned")) {
            url_ref(&id, url, "/api/v0/admin/pins/");
            ck_assert_int_eq(cer_jsapi_pin_body(&ours, &id, strcmp(method, "POST") == 0), 0);
        } else if (cJSON_GetObjectItem(r, "anchorStatus")) {
            url_ref(&id, url, "/api/v0//streams/");
            ck_assert_int_eq(cer_jsapi_anchor_body(&ours, &id, CER_ANCHOR_PENDING), 0);
        } else if (cJSON_GetObjectItem(r, "supportedChains")) {
            const char *chains[] = {"inmemory:12345"};
            ck_assert_int_eq(cer_jsapi_chains_body(&ours, chains, 1), 0);
        } else {
            ck_abort_msg("an exchange this test does not know: %s %s", method, url);
        }
        if (!cJSON_GetObjectItem(r, "state"))
            others++;
        assert_body(ours, x);
        free(ours);
        cJSON_Delete(r);
    }
    /* the recording has them all: before and after anchors, with next, CommitIDs */
    ck_assert_uint_ge(states, 20);
    ck_assert_uint_ge(others, 11);
    free_vectors();
}
END_TEST

/* The errors js answered, in its shape and with its statuses. */
START_TEST(js_errors)
{
    const cJSON *x;
    size_t n = 0;

    load_vectors();
    cJSON_ArrayForEach(x, exchanges()) {
        int status = cJSON_GetObjectItem(x, "status")->valueint;
        cJSON *r;
        char *ours = NULL;

        if (status == 200 || status == 404)
            continue;
        r = parse(tu_str(x, "response"));
        ck_assert_str_eq(tu_str(x, "responseType"), CER_JSAPI_JSON_TYPE);
        ck_assert_int_eq(cer_jsapi_error_body(&ours, tu_str(r, "error")), 0);
        assert_body(ours, x);
        /* whatever a handler throws (bad JSON, oversize, bad StreamIDs
         * included) is a 500; the legacy pins a 400; no admin auth 401 */
        ck_assert_int_eq(status, label_is(x, "err-legacy-pins")    ? CER_JSAPI_STATUS_UNSUPPORTED
                                 : label_is(x, "err-admin-noauth") ? CER_JSAPI_STATUS_UNAUTHORIZED
                                                                   : CER_JSAPI_STATUS_FAILED);
        free(ours);
        cJSON_Delete(r);
        n++;
    }
    ck_assert_uint_ge(n, 9);
    free_vectors();
}
END_TEST

/* ---- requests ---- */

static void assert_block(const cer_block *b)
{
    cer_buf js = CER_BUF_INIT;

    ck_assert_msg(cer_store_get(store, &b->cid, &js) == 0, "not a block js stored: %s", cer_errmsg());
    ck_assert_uint_eq(js.len, b->bytes.len);
    ck_assert(memcmp(js.data, b->bytes.data, js.len) == 0);
    cer_buf_free(&js);
}

/* Every create and apply body the client sent parses into the blocks js
 * stored, the commit under the CID js put in the log. */
START_TEST(js_requests)
{
    const cJSON *x;
    size_t creates = 0, applies = 0, unsigned_ = 0;

    load_vectors();
    cJSON_ArrayForEach(x, exchanges()) {
        const char *url = tu_str(x, "url"), *body;
        bool create = strcmp(url, "/api/v0/streams") == 0, apply = strcmp(url, "/api/v0/commits") == 0;
        cer_jsapi_request rq;
        cJSON *r, *log;
        char cid[CER_CID_STR_MAX];
        int rc;

        if (strcmp(tu_str(x, "method"), "POST") != 0 || !(create || apply) || !cJSON_IsString(cJSON_GetObjectItem(x, "body")))
            continue;
        body = tu_str(x, "body");
        rc = create ? cer_jsapi_parse_create(&rq, body, strlen(body)) : cer_jsapi_parse_apply(&rq, body, strlen(body));
        if (cJSON_GetObjectItem(x, "status")->valueint != 200) {
            /* well-formed commits js refused by its rules (stale, unsigned
             * content) parse: the node refuses them, not the parser */
            if (label_is(x, "err-stale-commit") || label_is(x, "err-genesis-unsigned-data"))
                ck_assert_msg(rc == 0, "%s: %s", tu_str(x, "label"), cer_errmsg());
            else
                ck_assert_int_lt(rc, 0);
            if (rc == 0)
                cer_jsapi_request_free(&rq);
            continue;
        }
        ck_assert_msg(rc == 0, "%s: %s", tu_str(x, "label"), cer_errmsg());
        r = parse(tu_str(x, "response"));
        log = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "state"), "log");
        cer_cid_to_string(cid, sizeof cid, cer_commit_cid(&rq.commit));
        ck_assert_str_eq(cid, tu_str(cJSON_GetArrayItem(log, cJSON_GetArraySize(log) - 1), "cid"));
        assert_block(&rq.commit.payload);
        if (rq.commit.is_signed) {
            assert_block(&rq.commit.envelope);
            ck_assert(rq.commit.jws.has_link);
            ck_assert_int_eq(cer_jws_verify(&rq.commit.jws, 0, NULL, 0), 0);
        } else {
            unsigned_++;
        }
        ck_assert_int_eq(rq.cacao.len, 0);
        if (create) {
            ck_assert_int_eq(rq.type, CER_STREAM_TILE);
            creates++;
        } else {
            char sid[CER_STREAMID_STR_MAX];
            cer_streamref_to_string(sid, sizeof sid, &rq.id);
            ck_assert_str_eq(sid, tu_str(r, "streamId"));
            applies++;
        }
        /* the options as sent: {anchor, publish, sync: 0} */
        ck_assert_int_ge(rq.opts.anchor, 0);
        ck_assert_int_eq(rq.opts.publish, 1);
        ck_assert_int_eq(rq.opts.sync, 0);
        ck_assert_int_eq(rq.opts.pin, -1);
        cer_jsapi_request_free(&rq);
        cJSON_Delete(r);
    }
    ck_assert_uint_ge(creates, 4);
    ck_assert_uint_ge(applies, 3);
    ck_assert_uint_eq(unsigned_, 1);
    free_vectors();
}
END_TEST

static const char *recorded_body(const char *label)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, exchanges()) if (label_is(x, label) && cJSON_IsString(cJSON_GetObjectItem(x, "body")))
        return tu_str(x, "body");
    ck_abort_msg("no body recorded for %s", label);
    return NULL;
}

static void assert_refused(int want, const char *body, const char *msg, bool apply)
{
    cer_jsapi_request rq;
    int rc = apply ? cer_jsapi_parse_apply(&rq, body, strlen(body)) : cer_jsapi_parse_create(&rq, body, strlen(body));

    ck_assert_msg(rc == want, "%.200s: %d (%s), not %d", body, rc, cer_errmsg(), want);
    ck_assert_msg(strstr(cer_errmsg(), msg), "%.200s: '%s' lacks '%s'", body, cer_errmsg(), msg);
    ck_assert_ptr_null(rq.commit.payload.bytes.data);
    ck_assert_ptr_null(rq.commit.envelope.bytes.data);
}

/* A body with one member of the recorded create body replaced by text
 * (JSON) at the slash path "jws/payload" etc. of its genesis. */
static char *mutate(const char *body, const char *path, const char *text)
{
    cJSON *j = parse(body), *at = cJSON_GetObjectItem(j, "genesis"), *v = text ? parse(text) : NULL;
    char buf[64], *key, *out = NULL;

    snprintf(buf, sizeof buf, "%s", path);
    key = strtok(buf, "/");
    for (char *next; (next = strtok(NULL, "/")); key = next)
        at = cJSON_GetObjectItem(at, key);
    if (v)
        cJSON_ReplaceItemInObject(at, key, v);
    else
        cJSON_DeleteItemFromObject(at, key);
    ck_assert_int_eq(cer_json_print(&out, j, 0), 0);
    cJSON_Delete(j);
    return out;
}

/* The refusals: js's own bad requests, then forged and malformed ones. */
START_TEST(js_refusals)
{
    const char *good = NULL;
    char *big, *b;
    size_t n = CER_JSAPI_BODY_MAX + 1;

    load_vectors();
    good = recorded_body("create");
    assert_refused(-EINVAL, recorded_body("err-bad-json"), "request body", false);
    assert_refused(-EINVAL, recorded_body("err-commits-missing"), "streamId and commit are required in order to apply commit",
                   true);
    assert_refused(-EINVAL, recorded_body("err-genesis-bad-block"), "Not a valid DagJWS", false);
    /* over the body limit: refused before it is read */
    big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    big[0] = '{';
    big[n - 1] = '}';
    assert_refused(-EFBIG, big, "request entity too large", false);
    free(big);
    /* forged or broken genesis parts */
    b = mutate(good, "jws/link", "\"bafyreih3el7kouhepziddqkx7xsqxeiovfv5az6mnuidwnmsmu37ls7pq4\"");
    assert_refused(-EINVAL, b, "jws.link is not the CID in jws.payload", false);
    free(b);
    b = mutate(good, "linkedBlock", "\"oA\"");
    assert_refused(-EINVAL, b, "linkedBlock is not the block of jws.link", false);
    free(b);
    b = mutate(good, "linkedBlock", "\"o!A\"");
    assert_refused(-EINVAL, b, "linkedBlock: malformed base64", false);
    free(b);
    b = mutate(good, "linkedBlock", NULL);
    assert_refused(-EINVAL, b, "linkedBlock: not a string", false);
    free(b);
    b = mutate(good, "jws/payload", "\"AXESIA\"");
    assert_refused(-EINVAL, b, "Not a valid DagJWS", false);
    free(b);
    b = mutate(good, "jws/payload", "\"AYUBEiAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw\"");
    assert_refused(-EINVAL, b, "not a DAG-CBOR CID", false);
    free(b);
    b = mutate(good, "jws/signatures", "[]");
    assert_refused(-EINVAL, b, "jws needs payload and signatures", false);
    free(b);
    b = mutate(good, "jws/signatures", "[{\"signature\":\"AA\"}]");
    assert_refused(-EINVAL, b, "without a protected header", false);
    free(b);
    b = mutate(good, "jws/signatures", "[{\"signature\":\"A=A\",\"protected\":\"e30\"}]");
    assert_refused(-EINVAL, b, "malformed base64url", false);
    free(b);
    b = mutate(good, "jws/signatures", "[{\"signature\":\"AA\",\"protected\":\"e30\"}]");
    /* a forged signature over the real payload: well-formed, so it
     * parses (js checks no signature here either); it does not verify,
     * which is the node's to refuse */
    {
        cer_jsapi_request rq;
        ck_assert_msg(cer_jsapi_parse_create(&rq, b, strlen(b)) == 0, "%s", cer_errmsg());
        ck_assert_int_lt(cer_jws_verify(&rq.commit.jws, 0, NULL, 0), 0);
        cer_jsapi_request_free(&rq);
    }
    free(b);
    /* the body itself */
    assert_refused(-EINVAL, "[]", "not a JSON object", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"header\":{}}} x", "request body", false);
    assert_refused(-EINVAL, "{\"type\":\"0\",\"genesis\":{}}", "type: not a stream type", false);
    assert_refused(-EINVAL, "{\"type\":77,\"genesis\":{}}", "type: not a stream type", false);
    assert_refused(-EINVAL, "{\"type\":0.5,\"genesis\":{}}", "type: not a stream type", false);
    assert_refused(-EINVAL, "{\"type\":0}", "genesis: missing", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":7}", "genesis: not an object", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"payload\":\"x\",\"signatures\":[]}}", "a bare JWS", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"header\":{}},\"opts\":{\"anchor\":\"false\"}}",
                   "opts.anchor: not a boolean", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"header\":{}},\"opts\":{\"sync\":9}}", "opts.sync", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"header\":{\"a\":1,\"a\":2}}}", "request body", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"prev\":\"notacid\"}}", "'prev' is not a CID string", false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"header\":{\"model\":\"!!\"}}}", "header.model: malformed base64",
                   false);
    assert_refused(-EINVAL, "{\"type\":0,\"genesis\":{\"header\":{}},\"x\":\"\xff\"}", "request body", false);
    assert_refused(-EINVAL, "{\"streamId\":\"kbad\",\"commit\":{\"header\":{}}}", "streamId: 'kbad' is not a StreamID",
                   true);
    assert_refused(-EINVAL,
                   "{\"streamId\":\"k3y52l7qbv1frylozts6ho7b9qzn1cgjpf5qdkgrzcearlc95f4svve5p1jks15a8\",\"commit\":{\"header\":{}}}",
                   "a CommitID", true);
    /* deep nesting in a commit: refused, not a stack overflow */
    {
        size_t depth = 100000, len = 0;
        char *deep = malloc(depth * 2 + 64);
        len += (size_t)sprintf(deep, "{\"type\":0,\"genesis\":{\"data\":");
        memset(deep + len, '[', depth);
        len += depth;
        memset(deep + len, ']', depth);
        len += depth;
        strcpy(deep + len, "}}");
        assert_refused(-EFBIG, deep, "", false);
        free(deep);
    }
    free_vectors();
}
END_TEST

/* An unsigned commit with a StreamID in header.model (a Model/MID
 * genesis as serializeCommit sends it) is stored with the model as bytes,
 * and its anchor-commit links as links. */
START_TEST(unsigned_commit_forms)
{
    const char *model = "kh4q0ozorrgaq2mezktnrmdwleo1d";  /* the meta-model */
    uint8_t raw[CER_STREAMID_BYTES_MAX];
    char b64[128], body[512];
    cer_streamref m;
    cer_jsapi_request rq;
    cer_buf want = CER_BUF_INIT;
    cJSON *v;
    int n;

    ck_assert_int_eq(cer_streamref_parse(&m, model), 0);
    n = cer_streamref_to_bytes(raw, sizeof raw, &m);
    ck_assert_int_gt(n, 0);
    ck_assert_int_ge(cer_base_encode(b64, sizeof b64, CER_BASE64, raw, (size_t)n), 0);
    snprintf(body, sizeof body,
             "{\"type\":3,\"genesis\":{\"header\":{\"controllers\":[\"did:key:z6Mk\"],\"model\":\"%s\",\"sep\":\"model\"}}}",
             b64);
    ck_assert_msg(cer_jsapi_parse_create(&rq, body, strlen(body)) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(rq.type, CER_STREAM_MID);
    ck_assert(!rq.commit.is_signed);
    ck_assert_int_eq(cer_dagcbor_decode(&v, rq.commit.payload.bytes.data, rq.commit.payload.bytes.len), 0);
    ck_assert_int_eq(cer_json_get_bytes(raw, sizeof raw, cJSON_GetObjectItem(cJSON_GetObjectItem(v, "header"), "model")), n);
    ck_assert_int_eq(cer_dagcbor_encode(&want, v, CER_DAGJSON), 0);
    ck_assert_uint_eq(want.len, rq.commit.payload.bytes.len);
    ck_assert(memcmp(want.data, rq.commit.payload.bytes.data, want.len) == 0);
    cer_buf_free(&want);
    cJSON_Delete(v);
    cer_jsapi_request_free(&rq);
    /* an anchor commit: id, prev, proof as links, path as text; the bytes
     * are those of cer_anchor_commit_encode */
    {
        const char *g = "bagcqcera4k6xlc2og67bmna7vhttnq754lb2jpdvt4qp7oesdjz27v4ztswq";
        const char *p = "bafyreih3el7kouhepziddqkx7xsqxeiovfv5az6mnuidwnmsmu37ls7pq4";
        cer_anchor_commit ac = {.has_id = true};
        cer_block b;

        snprintf(body, sizeof body,
                 "{\"streamId\":\"kjzl6cwe1jw14axbsdiwuys0t3vxdkbrrfzrs6uxnoie06sabov28cofc12cxwt\","
                 "\"commit\":{\"proof\":\"%s\",\"path\":\"0/1\",\"prev\":\"%s\",\"id\":\"%s\"}}",
                 p, g, g);
        ck_assert_msg(cer_jsapi_parse_apply(&rq, body, strlen(body)) == 0, "%s", cer_errmsg());
        ck_assert_int_eq(cer_cid_parse(&ac.id, g), 0);
        ac.prev = ac.id;
        ck_assert_int_eq(cer_cid_parse(&ac.proof, p), 0);
        strcpy(ac.path, "0/1");
        ck_assert_int_eq(cer_anchor_commit_encode(&b, &ac), 0);
        ck_assert(cer_cid_equal(&b.cid, cer_commit_cid(&rq.commit)));
        ck_assert_int_eq(rq.opts.anchor, -1);
        ck_assert_int_eq(rq.opts.sync, -1);
        cer_buf_free(&b.bytes);
        cer_jsapi_request_free(&rq);
    }
    /* legacy docId / docOpts with a boolean sync */
    snprintf(body, sizeof body,
             "{\"docId\":\"kjzl6cwe1jw14axbsdiwuys0t3vxdkbrrfzrs6uxnoie06sabov28cofc12cxwt\","
             "\"commit\":{\"header\":{}},\"docOpts\":{\"sync\":true,\"syncTimeoutSeconds\":3,\"pin\":false}}");
    ck_assert_msg(cer_jsapi_parse_apply(&rq, body, strlen(body)) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(rq.opts.sync, 1);
    ck_assert_int_eq(rq.opts.sync_timeout_s, 3);
    ck_assert_int_eq(rq.opts.pin, 0);
    cer_jsapi_request_free(&rq);
}
END_TEST

/* ---- multiqueries ---- */

/* A loader over fixed states: the stream named by the content of
 * another, and a count of loads. */
typedef struct fake {
    cer_state *a, *b;
    int loads;
} fake;

static int fake_load(void *arg, cer_state **out, const cer_streamref *ref, const cer_jsapi_query *q)
{
    fake *f = arg;

    (void)q;
    f->loads++;
    if (cer_streamref_same_stream(ref, &f->a->id))
        return cer_state_copy(out, f->a);
    if (cer_streamref_same_stream(ref, &f->b->id))
        return cer_state_copy(out, f->b);
    return -ENOENT;
}

/* Parse and answer a query of A with n paths link/p<i>, B's content
 * holding n keys p<i> (one of them A's StreamID): the best of 3 CPU times (the
 * thread's own: a busy machine's preemption does not count). */
static double walk_time(fake *f, const char *sa, size_t n)
{
    char *big = malloc(n * 16 + 256), *out = NULL;
    size_t len = (size_t)sprintf(big, "{\"queries\":[{\"streamId\":\"%s\",\"paths\":[", sa);
    cJSON *content = cJSON_CreateObject(), *saved = f->b->content;
    cer_jsapi_multiquery mq;
    double best = 1e9;

    for (size_t i = 0; i < n; i++) {
        char k[32];
        snprintf(k, sizeof k, "p%zu", i);
        cJSON_AddStringToObject(content, k, i == n / 2 ? sa : "x");
        len += (size_t)sprintf(big + len, "%s\"link/p%zu\"", i ? "," : "", i);
    }
    strcpy(big + len, "]}]}");
    f->b->content = content;
    for (int r = 0; r < 3; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        f->loads = 0;
        ck_assert_msg(cer_jsapi_parse_multiquery(&mq, big, strlen(big)) == 0, "%s", cer_errmsg());
        ck_assert_uint_eq(mq.queries[0].npaths, n);
        ck_assert_int_eq(cer_jsapi_multiquery_body(&out, &mq, fake_load, f), 0);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
        ck_assert_int_eq(f->loads, 3);  /* A, B, and A again from B's p<n/2> */
        free(out);
        cer_jsapi_multiquery_free(&mq);
        if ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 < best)
            best = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    }
    f->b->content = saved;
    cJSON_Delete(content);
    free(big);
    return best;
}

START_TEST(multiquery_walk)
{
    cer_store *s;
    cer_key k;
    uint8_t seed[32] = {7};
    cer_commit_blocks ga, gb;
    fake f = {0};
    cJSON *ha = parse("{\"controllers\":[\"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd\"]}");
    cJSON *ca = NULL, *cb = parse("{\"x\":1}"), *res;
    cer_streamref ia, ib;
    cer_jsapi_multiquery mq;
    char sa[CER_STREAMID_STR_MAX], sb[CER_STREAMID_STR_MAX], body[4096], *out = NULL;

    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    ck_assert_int_eq(cer_key_from_seed(&k, seed), 0);
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(ha, "controllers"), 0, cJSON_CreateString(k.did));
    ck_assert_int_eq(cer_tile_genesis(&gb, &k, ha, cb), 0);
    ck_assert_int_eq(cer_store_put_commit(s, &gb), 0);
    ib = (cer_streamref){0, *cer_commit_cid(&gb), false, *cer_commit_cid(&gb)};
    cer_streamref_to_string(sb, sizeof sb, &ib);
    snprintf(body, sizeof body, "{\"link\":\"%s\",\"arr\":[\"%s\"],\"no\":\"%s?commit=0\",\"n\":5}", sb, sb, sb);
    ca = parse(body);
    ck_assert_int_eq(cer_tile_genesis(&ga, &k, ha, ca), 0);
    ck_assert_int_eq(cer_store_put_commit(s, &ga), 0);
    ia = (cer_streamref){0, *cer_commit_cid(&ga), false, *cer_commit_cid(&ga)};
    cer_streamref_to_string(sa, sizeof sa, &ia);
    ck_assert_int_eq(cer_state_load(&f.a, s, &ia, &ia.genesis), 0);
    ck_assert_int_eq(cer_state_load(&f.b, s, &ib, &ib.genesis), 0);

    /* paths: a key, an array index, a CommitID (not followed), a
     * number, a missing key, a repeated prefix; B asked again later */
    snprintf(body, sizeof body,
             "{\"queries\":[{\"streamId\":\"%s\",\"paths\":[\"/link\",\"arr/0\",\"/no\",\"n\",\"gone/x\",\"link/deeper\"]},"
             "{\"streamId\":\"%s\"},{\"streamId\":\"%s\"}]}",
             sa, "kjzl6cwe1jw14axbsdiwuys0t3vxdkbrrfzrs6uxnoie06sabov28cofc12cxwt", sb);
    ck_assert_msg(cer_jsapi_parse_multiquery(&mq, body, strlen(body)) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(mq.timeout_ms, CER_JSAPI_TIMEOUT_MS);
    ck_assert_msg(cer_jsapi_multiquery_body(&out, &mq, fake_load, &f) == 0, "%s", cer_errmsg());
    /* A, B (through link; its child "deeper" finds no StreamID; "arr"
     * is no StreamID, so arr/0 is not followed, as in js), nothing for the
     * stream that fails; B again keeps its place */
    res = parse(out);
    ck_assert_int_eq(cJSON_GetArraySize(res), 2);
    ck_assert_str_eq(res->child->string, sa);
    ck_assert_str_eq(res->child->next->string, sb);
    ck_assert_int_eq(f.loads, 4);  /* A, link->B, the missing one, B */
    cJSON_Delete(res);
    free(out);
    cer_jsapi_multiquery_free(&mq);

    /* a query's genesis (js creates the stream from it when missing) */
    snprintf(body, sizeof body, "{\"queries\":[{\"streamId\":\"%s\",\"genesis\":{\"header\":{\"family\":\"x\"}}}]}", sb);
    ck_assert_msg(cer_jsapi_parse_multiquery(&mq, body, strlen(body)) == 0, "%s", cer_errmsg());
    ck_assert(mq.queries[0].has_genesis && !mq.queries[0].genesis.is_signed && mq.queries[0].genesis.payload.bytes.len);
    cer_jsapi_multiquery_free(&mq);
    snprintf(body, sizeof body, "{\"queries\":[{\"streamId\":\"%s\",\"genesis\":{\"jws\":{}}}]}", sb);
    ck_assert_int_eq(cer_jsapi_parse_multiquery(&mq, body, strlen(body)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cer_errmsg(), "queries[0]: genesis"));

    /* many paths under one stream, whose content has as many keys:
     * linear (8 times the paths, about 8 times the time, far from 64) */
    {
        double t1 = walk_time(&f, sa, 5000), t8 = walk_time(&f, sa, 40000);
        ck_assert_msg(t8 < 20 * t1 + 0.05, "5000 paths %.4fs, 40000 paths %.4fs", t1, t8);
    }
    /* refusals */
    {
        static const char *const bad[] = {
            "{}", "{\"queries\":{}}", "{\"queries\":[1]}", "{\"queries\":[{}]}",
            "{\"queries\":[{\"streamId\":\"kbad\"}]}", "{\"queries\":[],\"timeout\":\"5\"}",
            "{\"queries\":[{\"streamId\":\"kjzl6cwe1jw14axbsdiwuys0t3vxdkbrrfzrs6uxnoie06sabov28cofc12cxwt\",\"paths\":\"/a\"}]}",
            "{\"queries\":[{\"streamId\":\"kjzl6cwe1jw14axbsdiwuys0t3vxdkbrrfzrs6uxnoie06sabov28cofc12cxwt\",\"paths\":[1]}]}",
            "{\"queries\":[{\"streamId\":\"kjzl6cwe1jw14axbsdiwuys0t3vxdkbrrfzrs6uxnoie06sabov28cofc12cxwt\",\"atTime\":-1}]}",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            ck_assert_msg(cer_jsapi_parse_multiquery(&mq, bad[i], strlen(bad[i])) == -EINVAL, "took %s", bad[i]);
            ck_assert_ptr_null(mq.queries);
        }
    }
    cer_state_free(f.a);
    cer_state_free(f.b);
    cer_commit_blocks_free(&ga);
    cer_commit_blocks_free(&gb);
    cJSON_Delete(ha);
    cJSON_Delete(ca);
    cJSON_Delete(cb);
    cer_store_close(s);
}
END_TEST

/* ---- the node's own states ---- */

static char *node_body(cer_node *node, const cer_streamref *id)
{
    cer_state *st = NULL;
    char *out = NULL;

    ck_assert_msg(cer_node_state(node, &st, id) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_jsapi_stream_body(&out, st, 0), 0);
    cer_state_free(st);
    return out;
}

/* A stream this node writes shows as js would show it: its genesis
 * content until an anchor, the updates as next; the same after the node
 * is reopened, and the same as a fresh walk of its log. */
START_TEST(node_states)
{
    char dir[] = "/tmp/test_jsapi.XXXXXX";
    uint8_t seed[32] = {9};
    cer_key k;
    cer_node *node;
    cer_node_opts o = {.state_dir = dir, .key = &k, .store_flags = CER_STORE_NOSYNC};
    cer_streamref id;
    cer_state *walked = NULL;
    cer_cid tip;
    cJSON *h = parse("{\"family\":\"api\"}"), *c0 = parse("{\"a\":1}"), *c1 = parse("{\"a\":1,\"b\":2}"),
          *c2 = parse("{\"a\":1,\"b\":2,\"c\":[3]}"), *j;
    char *b1, *b2, *b3;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_key_from_seed(&k, seed), 0);
    ck_assert_msg(cer_node_open(&node, &o) == 0, "%s", cer_errmsg());
    ck_assert_msg(cer_node_create(node, &id, h, c0, 0) == 0, "%s", cer_errmsg());
    b1 = node_body(node, &id);
    ck_assert_ptr_null(strstr(b1, "\"next\""));
    free(b1);
    ck_assert_int_eq(cer_node_update(node, &id, c1), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c2), 0);
    b1 = node_body(node, &id);
    j = parse(b1);
    ck_assert(cer_json_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "state"), "content"), c0));
    ck_assert(cer_json_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "state"), "next"), "content"), c2));
    cJSON_Delete(j);
    ck_assert_int_eq(cer_node_controls(node, &id, &tip), 1);
    ck_assert_int_eq(cer_state_load(&walked, cer_node_store(node), &id, &tip), 0);
    ck_assert_int_eq(cer_jsapi_stream_body(&b2, walked, 0), 0);
    ck_assert_str_eq(b1, b2);
    cer_state_free(walked);
    cer_node_close(node);
    ck_assert_msg(cer_node_open(&node, &o) == 0, "%s", cer_errmsg());
    b3 = node_body(node, &id);
    ck_assert_str_eq(b1, b3);
    cer_node_close(node);
    free(b1);
    free(b2);
    free(b3);
    cJSON_Delete(h);
    cJSON_Delete(c0);
    cJSON_Delete(c1);
    cJSON_Delete(c2);
    tu_rm_tree(dir);
}
END_TEST

static Suite *jsapi_suite(void)
{
    Suite *s = suite_create("jsapi");
    TCase *tc = tcase_create("jsapi");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, js_responses);
    tcase_add_test(tc, js_errors);
    tcase_add_test(tc, js_requests);
    tcase_add_test(tc, js_refusals);
    tcase_add_test(tc, unsigned_commit_forms);
    tcase_add_test(tc, multiquery_walk);
    tcase_add_test(tc, node_states);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(jsapi_suite)
