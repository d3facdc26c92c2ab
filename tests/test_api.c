/*
 * test_api.c — the served HTTP API (api.c) over raw HTTP: the requests
 * @ceramicnetwork/http-client sent to the real js-ceramic 2.44
 * (vectors/js-api/exchanges.json) replayed against a fresh node must get
 * js's answers byte for byte (creates, an update, loads by StreamID and
 * CommitID, commits, content, the errors); forged, stale, malformed and
 * oversize requests are refused and change nothing; listeners (the
 * mount's) hear of commits applied through the API; opts.anchor and
 * opts.publish false request no anchor and journal nothing to publish;
 * a DIDSession's commit is taken with its CACAO (cacaoBlock), and only
 * with the CACAO its header names and that allows it.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static cer_node *node;
static cer_api *api;
static cJSON *ex_file;
static int port, heard;
static unsigned heard_flags;

static void on_change(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    (void)arg, (void)id, (void)tip;
    __atomic_store_n(&heard_flags, flags, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&heard, 1, __ATOMIC_SEQ_CST);
}

static void setup(void)
{
    cer_node_opts o = {.store_flags = CER_STORE_NOSYNC};
    cer_api_opts ao = {.listen = "127.0.0.1:0"};

    snprintf(dir, sizeof dir, "/tmp/cfs-api-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    o.state_dir = dir;
    ck_assert_msg(cer_node_open(&node, &o) == 0, "open: %s", cer_errmsg());
    ck_assert_int_eq(cer_node_listen(node, on_change, NULL), 0);
    ck_assert_msg(cer_api_start(&api, node, &ao) == 0, "api: %s", cer_errmsg());
    port = cer_api_port(api);
    ex_file = tu_load_json("js-api/exchanges.json");
    heard = 0;
}

static void teardown(void)
{
    cer_api_stop(api);
    cer_node_close(node);
    cJSON_Delete(ex_file);
    tu_rm_tree(dir);
}

/* The recorded exchange with this label (the last one when several). */
static const cJSON *exchange(const char *label)
{
    const cJSON *x, *found = NULL;

    cJSON_ArrayForEach(x, cJSON_GetObjectItem(ex_file, "exchanges"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "label")), label) == 0)
            found = x;
    ck_assert_msg(found != NULL, "no exchange %s", label);
    return found;
}

static const char *field(const cJSON *x, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(x, name));
    return s ? s : "";
}

/* One request (auth: an Authorization value, or NULL); the raw answer (caller frees). */
static char *request_auth(const char *method, const char *url, const char *body, size_t len, const char *auth)
{
    size_t hn = strlen(url) + (auth ? strlen(auth) : 0) + 256;
    char *head = malloc(hn), *raw, *out;
    int n = snprintf(head, hn,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%s"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, url, auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "", len);

    raw = malloc((size_t)n + len);
    memcpy(raw, head, (size_t)n);
    if (len)
        memcpy(raw + n, body, len);
    out = tu_xfer(port, raw, (size_t)n + len);
    free(head);
    free(raw);
    ck_assert_ptr_nonnull(out);
    return out;
}

static char *request(const char *method, const char *url, const char *body, size_t len)
{
    return request_auth(method, url, body, len, NULL);
}

/* Send exchange label's request; its status and body must be js's. */
static void replay(const char *label)
{
    const cJSON *x = exchange(label);
    const char *body = field(x, "body");
    int want = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "status"));
    char *got = request(field(x, "method"), field(x, "url"), body, strlen(body));

    ck_assert_msg(tu_http_status(got) == want, "%s: status %d, want %d: %s", label, tu_http_status(got), want,
                  tu_http_body(got));
    ck_assert_msg(strcmp(tu_http_body(got), field(x, "response")) == 0, "%s:\n got %s\nwant %s", label,
                  tu_http_body(got), field(x, "response"));
    ck_assert_msg(strstr(got, field(x, "responseType")) != NULL, "%s: content type: %s", label, got);
    free(got);
}

/* GET a URL: the body (caller frees), status in *status. */
static char *get(const char *url, int *status)
{
    char *got = request("GET", url, "", 0), *b = strdup(tu_http_body(got));

    *status = tu_http_status(got);
    free(got);
    return b;
}

/* A copy of an exchange's body with the first occurrence of key's string
 * value changed in its middle (a forged signature). */
static char *forge(const char *label, const char *key)
{
    char *b = strdup(field(exchange(label), "body")), *p = strstr(b, key);

    ck_assert_ptr_nonnull(p);
    p += strlen(key) + 3;  /* past "key":" */
    p += 10;
    *p = *p == 'A' ? 'B' : 'A';
    return b;
}

static void expect_error(const char *method, const char *url, const char *body, size_t len, int status,
                         const char *words)
{
    char *got = request(method, url, body, len);

    ck_assert_msg(tu_http_status(got) == status, "%s %s: status %d: %s", method, url, tu_http_status(got),
                  tu_http_body(got));
    ck_assert_msg(strncmp(tu_http_body(got), "{\"error\":\"", 10) == 0, "not js's error shape: %s", tu_http_body(got));
    ck_assert_msg(strstr(tu_http_body(got), words), "%s: %s", words, tu_http_body(got));
    free(got);
}

#define STREAM "kjzl6cwe1jw1464zxjwvrx0k9ua43otc5480b4luz3shsw4l0y4zkgmzgr9mm0u"

START_TEST(test_replay_js)
{
    static const char *const labels[] = {
        "healthcheck", "healthcheck-noipfs", "chains", "create-schema", "create", "update-1", "load", "commits",
        "content", "load-commit-genesis", "load-commit-1", "deterministic", "commits-det", "load-det",
        "err-bad-streamid", "err-commits-missing", "err-legacy-pins", "err-admin-noauth", "err-no-route"};
    /* refusals in our words (V8's JSON.parse messages, the node's reasons) */
    static const char *const refused[][2] = {{"err-bad-json", "json"},
                                             {"err-genesis-unsigned-data", "should always be signed"},
                                             {"err-genesis-bad-block", "Not a valid DagJWS"}};

    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
        replay(labels[i]);
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        const cJSON *x = exchange(refused[i][0]);
        const char *b = field(x, "body");
        expect_error(field(x, "method"), field(x, "url"), b, strlen(b), 500, refused[i][1]);
    }
    /* the three writes were heard by the node's listeners (the mount's) */
    ck_assert_int_ge(__atomic_load_n(&heard, __ATOMIC_SEQ_CST), 4);
}
END_TEST

/* A forged genesis or commit is refused and changes nothing. */
/* The payload CID of the recorded genesis (its jws.link). */
static void genesis_link(cer_cid *out)
{
    const char *body = field(exchange("create"), "body");
    cJSON *j = NULL;
    const cJSON *jws;

    ck_assert_int_eq(cer_json_parse(&j, body, strlen(body), 0), 0);
    jws = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "genesis"), "jws");
    ck_assert_int_eq(cer_cid_parse(out, cJSON_GetStringValue(cJSON_GetObjectItem(jws, "link"))), 0);
    cJSON_Delete(j);
}

START_TEST(test_forged)
{
    char *b, *before, *after;
    cer_cid link;
    int st;

    b = forge("create", "\"signature");
    expect_error("POST", "/api/v0/streams", b, strlen(b), 500, "signature");
    free(b);
    /* nothing of it was stored, not even its payload (jws.link), which
     * the genuine genesis stores */
    genesis_link(&link);
    ck_assert_int_eq(cer_store_has(cer_node_store(node), &link), 0);
    free(get("/api/v0/streams/" STREAM, &st));
    ck_assert_int_eq(st, 500);  /* no such stream */
    ck_assert_int_eq(heard, 0);

    replay("create");
    ck_assert_int_eq(cer_store_has(cer_node_store(node), &link), 1);
    before = get("/api/v0/streams/" STREAM, &st);
    ck_assert_int_eq(st, 200);
    b = forge("update-1", "\"signature");
    expect_error("POST", "/api/v0/commits", b, strlen(b), 500, "signature");
    free(b);
    /* a commit of another stream's signer passed for this one: its
     * linkedBlock no longer hashes to jws.link */
    b = forge("update-1", "\"linkedBlock");
    expect_error("POST", "/api/v0/commits", b, strlen(b), 500, "");
    free(b);
    /* a commit on a tip this node never had */
    b = strdup(field(exchange("err-stale-commit"), "body"));
    expect_error("POST", "/api/v0/commits", b, strlen(b), 500, "");
    free(b);
    after = get("/api/v0/streams/" STREAM, &st);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    ck_assert_int_eq(heard, 1);
    replay("update-1");  /* the genuine one still applies */
}
END_TEST

START_TEST(test_malformed)
{
    size_t n = CER_JSAPI_BODY_MAX + 1000, big = 3 * CER_JSAPI_BODY_MAX;
    char *b = malloc(big), *got, path[3000];

    /* js's limit: the parser's words; far over it, the server's 413 at once */
    memset(b, ' ', big);
    b[0] = '{';
    b[n - 1] = '}';
    expect_error("POST", "/api/v0/streams", b, n, 500, "request entity too large");
    got = request("POST", "/api/v0/streams", b, big);
    ck_assert_int_eq(tu_http_status(got), 413);
    free(got);
    free(b);
    expect_error("POST", "/api/v0/commits", "[1,", 3, 500, "json");
    expect_error("POST", "/api/v0/multiqueries", "{\"queries\":5}", 13, 500, "");
    expect_error("GET", "/api/v0/streams/kjzl6cwe1jw14xxxx", "", 0, 500, "");
    expect_error("GET", "/api/v0/commits/k", "", 0, 500, "");
    expect_error("GET", "/api/v0/streams/" STREAM "?atTime=x", "", 0, 500, "atTime");
    /* an unknown stream: not found, nothing made up */
    expect_error("GET", "/api/v0/streams/" STREAM, "", 0, 500, "not found");
    memset(path, 'k', sizeof path);
    memcpy(path, "/api/v0/streams/", 16);
    path[sizeof path - 1] = '\0';
    expect_error("GET", path, "", 0, 414, "too long");
    expect_error("POST", "/api/v0/admin/pins/" STREAM, "{}", 2, 401, "authorization");
    expect_error("POST", "/api/v0/collection", "{}", 2, 500, "not supported");
    got = request("PUT", "/api/v0/streams", "", 0);
    ck_assert_int_eq(tu_http_status(got), 404);
    ck_assert_ptr_nonnull(strstr(got, "Cannot PUT /api/v0/streams"));
    free(got);
    ck_assert_int_eq(heard, 0);
}
END_TEST

/* A multiquery of a stream and a CommitID; what a mount save (a node
 * update) makes is what the next read shows. */
START_TEST(test_multiquery_and_node_writes)
{
    char q[1024], *load, *got;
    cJSON *j = NULL, *want = NULL;
    int st;

    replay("create");
    replay("update-1");
    load = get("/api/v0/streams/" STREAM, &st);
    ck_assert_int_eq(st, 200);
    snprintf(q, sizeof q, "{\"queries\":[{\"streamId\":\"%s\"},{\"streamId\":\"%s\"}]}", STREAM,
             "k2t6wyfsu4pfyf3e5hpbngu42ekvhwafvsd4pnopl10fvlzv2p0tlgjd64uwlh");
    got = request("POST", "/api/v0/multiqueries", q, strlen(q));
    ck_assert_msg(tu_http_status(got) == 200, "%s", got);
    ck_assert_int_eq(cer_json_parse(&j, tu_http_body(got), strlen(tu_http_body(got)), 0), 0);
    ck_assert_int_eq(cer_json_parse(&want, load, strlen(load), 0), 0);
    ck_assert_int_eq(cJSON_GetArraySize(j), 1);
    ck_assert(cer_json_equal(cJSON_GetObjectItem(j, STREAM), cJSON_GetObjectItem(want, "state")));
    cJSON_Delete(j);
    cJSON_Delete(want);
    free(got);
    free(load);
}
END_TEST

/* A multiquery with the genesis of a stream the node lacks creates it, as
 * js does; with a forged one, the stream is left out and nothing stored. */
START_TEST(test_multiquery_genesis)
{
    const char *create = field(exchange("create"), "body");
    cJSON *c = NULL, *q, *g;
    char *body, *got;
    cer_cid link;

    ck_assert_int_eq(cer_json_parse(&c, create, strlen(create), 0), 0);
    g = cJSON_GetObjectItem(c, "genesis");
    q = cJSON_CreateObject();
    cJSON_AddItemToObject(q, "queries", cJSON_CreateArray());
    cJSON *one = cJSON_CreateObject();
    cJSON_AddStringToObject(one, "streamId", STREAM);
    cJSON_AddItemReferenceToObject(one, "genesis", g);
    cJSON_AddItemToArray(cJSON_GetObjectItem(q, "queries"), one);
    /* forged: its signature changed */
    cJSON *sig = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "jws"),
                                                                             "signatures"), 0), "signature");
    char *orig = strdup(sig->valuestring);
    sig->valuestring[5] = sig->valuestring[5] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(cer_json_print(&body, q, 0), 0);
    got = request("POST", "/api/v0/multiqueries", body, strlen(body));
    ck_assert_int_eq(tu_http_status(got), 200);
    ck_assert_str_eq(tu_http_body(got), "{}");
    genesis_link(&link);
    ck_assert_int_eq(cer_store_has(cer_node_store(node), &link), 0);
    free(got);
    free(body);
    strcpy(sig->valuestring, orig);
    free(orig);
    ck_assert_int_eq(cer_json_print(&body, q, 0), 0);
    got = request("POST", "/api/v0/multiqueries", body, strlen(body));
    ck_assert_int_eq(tu_http_status(got), 200);
    ck_assert_msg(strstr(tu_http_body(got), "{\"" STREAM "\":{\"type\":0,"), "%s", tu_http_body(got));
    ck_assert_int_eq(heard, 1);
    free(got);
    free(body);
    cJSON_Delete(q);
    cJSON_Delete(c);
}
END_TEST

/* A stream this node writes (as the mount does) is read through the API. */
START_TEST(test_node_write_seen)
{
    cer_streamref id;
    char sid[CER_STREAMID_STR_MAX], url[512], *body;
    cJSON *c = NULL;
    int st;

    ck_assert_int_eq(cer_json_parse(&c, "{\"a\":1}", 7, 0), 0);
    ck_assert_int_eq(cer_node_create(node, &id, NULL, c, 0), 0);
    cJSON_Delete(c);
    ck_assert_int_eq(cer_json_parse(&c, "{\"a\":2}", 7, 0), 0);
    ck_assert_int_eq(cer_node_update(node, &id, c), 0);
    cJSON_Delete(c);
    cer_streamref_to_string(sid, sizeof sid, &id);
    snprintf(url, sizeof url, "/api/v0/streams/%s/content", sid);
    body = get(url, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(body, "{\"a\":2}");
    free(body);
}
END_TEST

/* An exchange's body with its opts replaced (caller frees). */
static char *with_opts(const char *label, const char *opts)
{
    const char *body = field(exchange(label), "body");
    cJSON *j = NULL, *o = NULL;
    char *out = NULL;

    ck_assert_int_eq(cer_json_parse(&j, body, strlen(body), 0), 0);
    ck_assert_int_eq(cer_json_parse(&o, opts, strlen(opts), 0), 0);
    ck_assert(cJSON_ReplaceItemInObject(j, "opts", o));
    ck_assert_int_eq(cer_json_print(&out, j, 0), 0);
    cJSON_Delete(j);
    return out;
}

static int count_one(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    (void)id, (void)tip;
    ++*(int *)arg;
    return 0;
}

static int unpublished(void)
{
    int n = 0;

    ck_assert_int_ge(cer_node_unpublished(node, count_one, &n), 0);
    return n;
}

/* js's opts.anchor and opts.publish false: no anchor requested, nothing
 * journaled for the sync to publish; their default (true): both. */
START_TEST(test_write_opts)
{
    cer_anchor_opts ao = {.mode = "local", .interval = -1};
    cer_anchorer *anch;
    char *b, *got;

    ck_assert_msg(cer_anchorer_start(&anch, node, &ao) == 0, "anchorer: %s", cer_errmsg());
    b = with_opts("create", "{\"anchor\":false,\"publish\":false,\"sync\":0,\"syncTimeoutSeconds\":0}");
    got = request("POST", "/api/v0/streams", b, strlen(b));
    ck_assert_msg(tu_http_status(got) == 200, "%s", got);
    ck_assert_msg(strstr(tu_http_body(got), "\"anchorStatus\":\"NOT_REQUESTED\""), "%s", got);
    free(got);
    free(b);
    ck_assert_uint_eq(__atomic_load_n(&heard_flags, __ATOMIC_SEQ_CST), CER_CHANGE_LOCAL | CER_CHANGE_NO_ANCHOR);
    ck_assert_uint_eq(cer_anchorer_pending(anch), 0);
    ck_assert_int_eq(unpublished(), 0);
    /* the update with opts absent: js's defaults, anchored and published */
    b = with_opts("update-1", "{}");
    got = request("POST", "/api/v0/commits", b, strlen(b));
    ck_assert_msg(tu_http_status(got) == 200, "%s", got);
    free(got);
    free(b);
    ck_assert_uint_eq(__atomic_load_n(&heard_flags, __ATOMIC_SEQ_CST), CER_CHANGE_LOCAL);
    ck_assert_uint_eq(cer_anchorer_pending(anch), 1);
    ck_assert_int_eq(unpublished(), 1);
    cer_anchorer_stop(anch);
}
END_TEST

/* ---- CACAO-signed commits (a DIDSession's), from js-cacao.json ---- */

static const cJSON *cacao_commit(const cJSON *vec, const char *name)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItem(vec, "commits"))
        if (strcmp(tu_str(c, "name"), name) == 0)
            return c;
    ck_abort_msg("no commit %s", name);
    return NULL;
}

/* base64 of the vectors' block cid (caller frees) */
static char *b64_block(const cJSON *vec, const char *cid)
{
    size_t n;
    uint8_t *b = tu_unhex(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(vec, "blocks"), cid)), &n);
    char *out = malloc(2 * n + 8);

    ck_assert_int_ge(cer_base_encode(out, 2 * n + 8, CER_BASE64, b, n), 0);
    free(b);
    return out;
}

/* POST /api/v0/streams of genesis commit name as the client sends it
 * (StreamUtils.serializeCommit), with the CACAO block cacao_cid as
 * cacaoBlock (NULL: none). */
static char *cacao_create_body(const cJSON *vec, const char *name, const char *cacao_cid)
{
    const cJSON *c = cacao_commit(vec, name);
    cer_store *s;
    cer_log_entry e = {.type = CER_COMMIT_GENESIS};
    cer_state st = {.log = &e, .log_len = 1};
    const cJSON *it;
    cJSON *j = NULL, *value, *body;
    char *json = NULL, *out = NULL;

    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(vec, "blocks")) {
        cer_cid cid;
        size_t n;
        uint8_t *b = tu_unhex(it->valuestring, &n);
        ck_assert_int_eq(cer_cid_parse(&cid, it->string), 0);
        ck_assert_int_eq(cer_store_put(s, &cid, b, n), 0);
        free(b);
    }
    ck_assert_int_eq(cer_streamref_parse(&st.id, tu_str(c, "stream_id")), 0);
    ck_assert_int_eq(cer_cid_parse(&e.cid, tu_str(c, "envelope_cid")), 0);
    ck_assert_msg(cer_jsapi_commits_body(&json, s, &st) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_json_parse(&j, json, strlen(json), 0), 0);
    value = cJSON_DetachItemFromObject(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "commits"), 0), "value");
    if (cacao_cid) {
        char *b = b64_block(vec, cacao_cid);
        cJSON_AddStringToObject(value, "cacaoBlock", b);
        free(b);
    }
    body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "type", (double)st.id.type);
    cJSON_AddItemToObject(body, "genesis", value);
    ck_assert_int_eq(cer_json_print(&out, body, 0), 0);
    cJSON_Delete(body);
    cJSON_Delete(j);
    free(json);
    cer_store_close(s);
    return out;
}

/* An app's DIDSession: the genesis with its CACAO is taken and the node
 * verifies the capability; another CACAO than the one the commit names,
 * no CACAO (the node has none), and a CACAO the node refuses (its
 * resources) change nothing. */
START_TEST(test_cacao_commits)
{
    cJSON *vec = tu_load_json("js-cacao.json");
    const char *good = tu_str(cacao_commit(vec, "genesis-tile"), "cacao_cid");
    const char *other = tu_str(cacao_commit(vec, "genesis-full"), "cacao_cid");
    const char *model = tu_str(cacao_commit(vec, "genesis-tile-model-resource"), "cacao_cid");
    cer_streamref id;
    cer_stream_info info;
    char *b, *got;

    b = cacao_create_body(vec, "genesis-tile", other);
    expect_error("POST", "/api/v0/streams", b, strlen(b), 500, "not the block of the commit's capability");
    free(b);
    b = cacao_create_body(vec, "genesis-tile", NULL);
    expect_error("POST", "/api/v0/streams", b, strlen(b), 500, "capability");
    free(b);
    b = cacao_create_body(vec, "genesis-tile-model-resource", model);
    expect_error("POST", "/api/v0/streams", b, strlen(b), 500, "capabilit");
    free(b);
    ck_assert_int_eq(cer_streamref_parse(&id, tu_str(cacao_commit(vec, "genesis-tile"), "stream_id")), 0);
    ck_assert_int_eq(cer_node_info(node, &id, &info), -ENOENT);
    b = cacao_create_body(vec, "genesis-tile", good);
    got = request("POST", "/api/v0/streams", b, strlen(b));
    ck_assert_msg(tu_http_status(got) == 200, "%s", got);
    ck_assert_msg(strstr(tu_http_body(got), tu_str(cacao_commit(vec, "genesis-tile"), "controller")), "%s", got);
    ck_assert_msg(strstr(tu_http_body(got), "\"expirationTime\":"), "%s", got);
    free(got);
    free(b);
    cJSON_Delete(vec);
}
END_TEST

/* "Basic <JWS>" of {code, requestPath} by key, as the client's admin API signs it */
static char *admin_auth(const cer_key *key, const char *code, const char *path)
{
    char payload[256], *compact = NULL, *out;
    cer_jws jws;
    int n = snprintf(payload, sizeof payload, "{\"code\":\"%s\",\"requestPath\":\"%s\"}", code, path);

    ck_assert_int_eq(cer_jws_sign_bytes(&jws, key, (const uint8_t *)payload, (size_t)n), 0);
    ck_assert_int_eq(cer_jws_compact(&compact, &jws, 0), 0);
    cer_jws_free(&jws);
    out = malloc(strlen(compact) + 7);
    sprintf(out, "Basic %s", compact);
    free(compact);
    return out;
}

static char *fresh_code(void)
{
    int st;
    char *b = get("/api/v0/admin/getCode", &st), *code;
    cJSON *j = NULL;

    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(cer_json_parse(&j, b, strlen(b), 0), 0);
    code = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "code")));
    ck_assert_uint_eq(strlen(code), 36);
    cJSON_Delete(j);
    free(b);
    return code;
}

/* An admin call with a fresh code signed by key: its answer (caller frees). */
static char *admin(const cer_key *key, const char *method, const char *url, const char *path)
{
    char *code = fresh_code(), *auth = admin_auth(key, code, path), *got;

    got = request_auth(method, url, "{}", 2, auth);
    free(code);
    free(auth);
    return got;
}

static void expect(char *got, int status, const char *body)
{
    ck_assert_msg(tu_http_status(got) == status, "status %d: %s", tu_http_status(got), got);
    ck_assert_msg(strstr(tu_http_body(got), body), "%s in %s", body, tu_http_body(got));
    free(got);
}

/* The admin API: js's one-time codes signed by an admin DID (the node's). */
START_TEST(test_admin_pins)
{
    char keyfile[128], *code, *auth;
    cer_key key, other;
    uint8_t seed[32];
    const char *pins = "/api/v0/admin/pins", *one = "/api/v0/admin/pins/" STREAM;

    snprintf(keyfile, sizeof keyfile, "%s/key", dir);
    ck_assert_int_eq(cer_key_load_file(&key, keyfile), 0);
    memset(seed, 0x42, sizeof seed);
    ck_assert_int_eq(cer_key_from_seed(&other, seed), 0);
    replay("create");
    /* js's answers, byte for byte */
    expect(admin(&key, "DELETE", one, pins), 200, field(exchange("pin-rm"), "response"));
    expect(admin(&key, "GET", pins, pins), 200, "{\"pinnedStreamIds\":[],\"pinnedDocIds\":[]}");
    expect(admin(&key, "POST", one, pins), 200, field(exchange("pin-add"), "response"));
    expect(admin(&key, "GET", one, pins), 200, field(exchange("pin-ls-one"), "response"));
    expect(admin(&key, "GET", pins, pins), 200, "{\"pinnedStreamIds\":[\"" STREAM "\"]");
    /* refusals, and the pin stays */
    expect(request("GET", pins, "", 0), 401, "Missing authorization header");
    expect(request_auth("GET", pins, "", 0, "Bearer x"), 400, "Basic <JWS BLOCK>");
    expect(request_auth("GET", pins, "", 0, "Basic e30.e30.AA"), 401, "Error while processing");
    expect(admin(&other, "DELETE", one, pins), 401, "does not have admin access");
    expect(admin(&key, "DELETE", one, "/api/v0/streams"), 401, "request path");
    auth = admin_auth(&key, "00000000-0000-4000-8000-000000000000", pins);
    expect(request_auth("DELETE", one, "", 0, auth), 401, "invalid/already used admin code");
    free(auth);
    code = fresh_code();
    auth = admin_auth(&key, code, pins);
    expect(request_auth("GET", pins, "", 0, auth), 200, STREAM);
    expect(request_auth("DELETE", one, "", 0, auth), 401, "already used");  /* once only */
    free(auth);
    free(code);
    expect(admin(&key, "GET", one, pins), 200, field(exchange("pin-ls-one"), "response"));
    expect(admin(&key, "GET", "/api/v0/admin/nodeStatus", pins), 500, "not served");
    cer_key_wipe(&key);
    cer_key_wipe(&other);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_replay_js);
    tcase_add_test(tc, test_forged);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_multiquery_and_node_writes);
    tcase_add_test(tc, test_node_write_seen);
    tcase_add_test(tc, test_admin_pins);
    tcase_add_test(tc, test_write_opts);
    tcase_add_test(tc, test_cacao_commits);
    tcase_add_test(tc, test_multiquery_genesis);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(api_suite)
