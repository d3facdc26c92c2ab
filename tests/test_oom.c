/*
 * test_oom.c — malloc fault injection: for each of the core's main
 * operations (decode a block, verify a commit, JSON -> DAG-CBOR, create and
 * sign commits, load a stream from the store, apply a commit, node update,
 * create and learn of a remote fork (the lost branch kept), a pubsub
 * message from a peer, js-ceramic's API bodies of a state and a create
 * request)
 * fail the Nth allocation for N = 1, 2, ... until the operation runs
 * without an injected failure, and assert each time a clean -ENOMEM, the
 * inputs unchanged, nothing leaked, and for the node a store and registry
 * that still verify after reopening.
 *
 * How: this program is linked with -Wl,--wrap=malloc,calloc,realloc,free,
 * strdup,strndup,cbor_load (see the Makefile), so every such call in
 * libceramic's objects (and here) goes to the __wrap_ functions below;
 * cJSON is routed to them with cJSON_InitHooks. libcbor has no allocator
 * hook in this build (CBOR_CUSTOM_ALLOC 0), so its one allocating entry
 * point the core uses, cbor_load, counts as one allocation. Under ASan
 * (make asan) the wrap still holds: __real_malloc is then ASan's malloc,
 * and LeakSanitizer checks the whole run at exit besides the live-set
 * check here.
 *
 * Only the calling thread is armed (thread-local counter), so allocations
 * of other threads never shift N. Only the Nth allocation fails (later
 * ones succeed), which also catches code that ignores a NULL and goes on.
 * Every allocation made while armed is recorded; after the operation and
 * its teardown the record must be empty (a leak names its N).
 */
#include "testutil.h"

#include <cbor.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the allocator wrap ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
cbor_item_t *__real_cbor_load(cbor_data source, size_t source_size, struct cbor_load_result *result);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
cbor_item_t *__wrap_cbor_load(cbor_data source, size_t source_size, struct cbor_load_result *result);

static _Thread_local long fail_at;   /* 0: not armed */
static _Thread_local long calls;
static _Thread_local bool fired;
static long absorbed;  /* runs that succeeded although their allocation failed */

/* Pointers allocated while armed and not yet freed (open addressing). */
#define LIVE_SLOTS (1u << 18)
#define TOMB ((void *)1)
static void *live[LIVE_SLOTS];
static atomic_size_t nlive;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(const void *p)
{
    return ((uintptr_t)p >> 4) * 2654435761u & (LIVE_SLOTS - 1);
}

static void live_add(void *p)
{
    if (!p || !fail_at)
        return;
    pthread_mutex_lock(&live_lock);
    for (size_t i = slot_of(p), k = 0; k < LIVE_SLOTS; i = (i + 1) & (LIVE_SLOTS - 1), k++)
        if (!live[i] || live[i] == TOMB) {
            live[i] = p;
            nlive++;
            break;
        }
    pthread_mutex_unlock(&live_lock);
}

static void live_del(void *p)
{
    if (!p || !atomic_load(&nlive))
        return;
    pthread_mutex_lock(&live_lock);
    for (size_t i = slot_of(p), k = 0; k < LIVE_SLOTS && live[i]; i = (i + 1) & (LIVE_SLOTS - 1), k++)
        if (live[i] == p) {
            live[i] = TOMB;
            nlive--;
            break;
        }
    pthread_mutex_unlock(&live_lock);
}

static void live_reset(void)
{
    pthread_mutex_lock(&live_lock);
    memset(live, 0, sizeof live);
    nlive = 0;
    pthread_mutex_unlock(&live_lock);
}

/* True when this call is the one to fail. */
static bool fail_now(void)
{
    if (!fail_at || ++calls != fail_at)
        return false;
    fired = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    void *p = fail_now() ? NULL : __real_malloc(n);

    live_add(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = fail_now() ? NULL : __real_calloc(n, size);

    live_add(p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    void *q;

    if (fail_now())
        return NULL;
    if (!(q = __real_realloc(p, n)))
        return NULL;
    live_del(p);
    live_add(q);
    return q;
}

void __wrap_free(void *p)
{
    live_del(p);
    __real_free(p);
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = __wrap_malloc(len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *__wrap_strdup(const char *s)
{
    return __wrap_strndup(s, strlen(s));
}

cbor_item_t *__wrap_cbor_load(cbor_data source, size_t source_size, struct cbor_load_result *result)
{
    if (fail_now()) {
        *result = (struct cbor_load_result){.error = {.position = 0, .code = CBOR_ERR_MEMERROR}};
        return NULL;
    }
    return __real_cbor_load(source, source_size, result);
}

static void arm(long n)
{
    calls = 0;
    fired = false;
    fail_at = n;
}

/* Disarm; true when the Nth allocation was failed. */
static bool disarm(void)
{
    fail_at = 0;
    return fired;
}

/* Run one(n) for n = 1, 2, ... until it runs with no injected failure; one
 * returns whether its failure fired. After each run nothing allocated
 * while armed may still be live. Returns the number of runs. */
static long oom_loop(const char *what, bool (*one)(long n))
{
    long n;

    absorbed = 0;
    for (n = 1; n < 100000; n++) {
        bool f;

        live_reset();
        f = one(n);
        ck_assert_msg(atomic_load(&nlive) == 0, "%s: N=%ld leaks %zu allocations", what, n,
                      (size_t)atomic_load(&nlive));
        if (!f)
            break;
    }
    ck_assert_msg(n > 1 && n < 100000, "%s: %s", what, n > 1 ? "never ran without a failure" : "no allocation seen");
    printf("oom %s: %ld allocations failed one at a time (%ld absorbed: the result still right)\n", what,
           n - 1, absorbed);
    return n;
}

/* An operation's result: 0, or -ENOMEM exactly when a failure fired. */
#define assert_clean(what, n, rc, f)                                                              \
    do {                                                                                          \
        absorbed += (rc) == 0 && (f);                                                             \
        ck_assert_msg((rc) == 0 || ((rc) == -ENOMEM && (f)), "%s: N=%ld returned %d (%s)%s", what, \
                      (n), (rc), cer_errmsg(), (f) ? "" : " without an injected failure");       \
    } while (0)

/* ---- fixtures (built unarmed) ---- */

static cer_key key;
static cJSON *content0, *content1, *patch1, *content2, *patch2;
static cer_commit_blocks gen, up1, up2;
static cer_streamref sid;
/* "deep" has more members than the parser checks for repeats by a scan:
 * the string map's allocations fail too */
#define DEEP "\"deep\":{\"x\":[null,true],\"a\":0,\"b\":1,\"c\":2,\"d\":3,\"e\":4,\"f\":5,\"g\":6,\"h\":7,\"i\":8}"
static const char *content_text = "{\"title\":\"notes\",\"n\":1.5,\"tags\":[\"a\",\"b\"]," DEEP "}";

static cJSON *J(const char *text)
{
    cJSON *j = NULL;

    ck_assert_int_eq(cer_json_parse(&j, text, strlen(text), 0), 0);
    return j;
}

static void fixtures(void)
{
    uint8_t seed[32];

    cJSON_InitHooks(&(cJSON_Hooks){__wrap_malloc, __wrap_free});
    memset(seed, 7, sizeof seed);
    ck_assert_int_eq(cer_key_from_seed(&key, seed), 0);
    content0 = J(content_text);
    patch1 = J("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2},{\"op\":\"add\",\"path\":\"/tags/-\",\"value\":\"c\"}]");
    content1 = J("{\"title\":\"notes\",\"n\":2,\"tags\":[\"a\",\"b\",\"c\"]," DEEP "}");
    patch2 = J("[{\"op\":\"remove\",\"path\":\"/deep\"}]");
    content2 = J("{\"title\":\"notes\",\"n\":2,\"tags\":[\"a\",\"b\",\"c\"]}");
    ck_assert_int_eq(cer_tile_genesis(&gen, &key, NULL, content0), 0);
    sid = (cer_streamref){.type = CER_STREAM_TILE, .genesis = *cer_commit_cid(&gen)};
    sid.commit = sid.genesis;
    ck_assert_int_eq(cer_tile_update(&up1, &key, &sid.genesis, cer_commit_cid(&gen), NULL, patch1), 0);
    ck_assert_int_eq(cer_tile_update(&up2, &key, &sid.genesis, cer_commit_cid(&up1), NULL, patch2), 0);
}

static void unfixtures(void)
{
    cer_commit_blocks_free(&gen);
    cer_commit_blocks_free(&up1);
    cer_commit_blocks_free(&up2);
    cJSON_Delete(content0);
    cJSON_Delete(content1);
    cJSON_Delete(patch1);
    cJSON_Delete(content2);
    cJSON_Delete(patch2);
    cer_key_wipe(&key);
}

static bool buf_eq(const cer_buf *b, const uint8_t *data, size_t len)
{
    return b->len == len && memcmp(b->data, data, len) == 0;
}

/* ---- pure operations ---- */

static bool decode_one(long n)
{
    cJSON *j = NULL;
    cer_jws jws = {0};
    int rc;
    bool f;

    arm(n);
    rc = cer_dagcbor_decode(&j, gen.payload.bytes.data, gen.payload.bytes.len);
    if (rc == 0)
        rc = cer_dagjose_decode(&jws, gen.envelope.bytes.data, gen.envelope.bytes.len);
    f = disarm();
    assert_clean("decode", n, rc, f);
    if (rc == 0) {
        ck_assert(cer_json_equal(cJSON_GetObjectItemCaseSensitive(j, "data"), content0));
        ck_assert(jws.has_link && cer_cid_equal(&jws.link, &gen.payload.cid));
    }
    cJSON_Delete(j);
    cer_jws_free(&jws);
    return f;
}

static bool verify_one(long n)
{
    cer_jws jws = {0};
    char kid[256] = "", want[256];
    int rc;
    bool f;

    ck_assert_int_gt(cer_key_kid(want, sizeof want, &key), 0);
    arm(n);
    rc = cer_dagjose_decode(&jws, up1.envelope.bytes.data, up1.envelope.bytes.len);
    if (rc == 0)
        rc = cer_jws_verify(&jws, 0, kid, sizeof kid);
    f = disarm();
    assert_clean("verify", n, rc, f);
    if (rc == 0)
        ck_assert_str_eq(kid, want);
    cer_jws_free(&jws);
    return f;
}

static bool json_cbor_one(long n)
{
    cJSON *j = NULL;
    cer_buf out = {0}, want = {0};
    int rc;
    bool f;

    /* the genesis payload's data, encoded alone */
    ck_assert_int_eq(cer_dagcbor_encode(&want, content0, 0), 0);
    arm(n);
    rc = cer_json_parse(&j, content_text, strlen(content_text), 0);
    if (rc == 0)
        rc = cer_dagcbor_encode(&out, j, 0);
    f = disarm();
    assert_clean("json->dagcbor", n, rc, f);
    if (rc == 0)
        ck_assert(buf_eq(&out, want.data, want.len));
    cJSON_Delete(j);
    cer_buf_free(&out);
    cer_buf_free(&want);
    return f;
}

static bool sign_one(long n)
{
    cer_commit_blocks g = {0}, u = {0};
    int rc;
    bool f;

    arm(n);
    rc = cer_tile_genesis(&g, &key, NULL, content0);
    if (rc == 0)
        rc = cer_tile_update(&u, &key, &sid.genesis, cer_commit_cid(&gen), NULL, patch1);
    f = disarm();
    assert_clean("create+sign", n, rc, f);
    if (rc == 0) {
        ck_assert(buf_eq(&g.envelope.bytes, gen.envelope.bytes.data, gen.envelope.bytes.len));
        ck_assert(buf_eq(&u.payload.bytes, up1.payload.bytes.data, up1.payload.bytes.len));
        ck_assert(buf_eq(&u.envelope.bytes, up1.envelope.bytes.data, up1.envelope.bytes.len));
    }
    cer_commit_blocks_free(&g);
    cer_commit_blocks_free(&u);
    return f;
}

/* A RESPONSE as a peer sends it: parse a message from the network. */
static bool msg_one(long n)
{
    char text[1024], ids[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX];
    cer_msg m = {0};
    int rc;
    bool f;

    ck_assert_int_gt(cer_streamref_to_string(ids, sizeof ids, &sid), 0);
    ck_assert_int_gt(cer_cid_to_string(cid, sizeof cid, cer_commit_cid(&up1)), 0);
    snprintf(text, sizeof text, "{\"typ\":2,\"id\":\"q1\",\"tips\":{\"%s\":\"%s\"}}", ids, cid);
    arm(n);
    rc = cer_msg_parse(&m, (const uint8_t *)text, strlen(text));
    f = disarm();
    assert_clean("pubsub message", n, rc, f);
    if (rc == 0) {
        ck_assert_uint_eq(m.ntips, 1);
        ck_assert(cer_cid_equal(&m.tips[0].tip, cer_commit_cid(&up1)));
        cer_msg_free(&m);
    }
    return f;
}

/* A patch with enough lookups in one object and one array that both get
 * an index, which then grows (new members, inserted elements). */
static cJSON *patch_doc, *patch_big, *patch_want;

static void patch_fixtures(void)
{
    char text[4096];
    size_t len = 0;

    patch_doc = J("{\"o\":{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
                  "\"k8\":8,\"k9\":9,\"ka\":10,\"kb\":11,\"kc\":12,\"kd\":13,\"ke\":14,\"kf\":15},"
                  "\"a\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}");
    len += (size_t)snprintf(text + len, sizeof text - len, "[");
    for (int i = 0; i < 24; i++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "{\"op\":\"replace\",\"path\":\"/o/kf\",\"value\":%d},"
                                "{\"op\":\"add\",\"path\":\"/o/n%d\",\"value\":[%d]},"
                                "{\"op\":\"add\",\"path\":\"/a/%d\",\"value\":{\"i\":%d}},",
                                i, i, i, i % 8, i);
    snprintf(text + len, sizeof text - len,
             "{\"op\":\"remove\",\"path\":\"/o/k3\"},{\"op\":\"remove\",\"path\":\"/a/5\"},"
             "{\"op\":\"move\",\"from\":\"/o/k4\",\"path\":\"/o/z\"},"
             "{\"op\":\"move\",\"from\":\"/a/0\",\"path\":\"/a/-\"},"
             "{\"op\":\"copy\",\"from\":\"/o\",\"path\":\"/c\"},"
             "{\"op\":\"test\",\"path\":\"/c/n3\",\"value\":[3]}]");
    patch_big = J(text);
    ck_assert_int_eq(cer_patch_apply(&patch_want, patch_doc, patch_big), 0);
}

static bool patch_one(long n)
{
    cJSON *out = NULL;
    int rc;
    bool f;

    arm(n);
    rc = cer_patch_apply(&out, patch_doc, patch_big);
    f = disarm();
    assert_clean("patch (indexed)", n, rc, f);
    if (rc == 0)
        ck_assert(cer_json_equal(out, patch_want));
    else
        ck_assert_ptr_null(out);
    cJSON_Delete(out);
    return f;
}

START_TEST(pure_operations)
{
    fixtures();
    oom_loop("decode", decode_one);
    oom_loop("verify", verify_one);
    oom_loop("json->dagcbor", json_cbor_one);
    oom_loop("create+sign", sign_one);
    oom_loop("pubsub message", msg_one);
    patch_fixtures();
    oom_loop("patch (indexed)", patch_one);
    cJSON_Delete(patch_doc);
    cJSON_Delete(patch_big);
    cJSON_Delete(patch_want);
    unfixtures();
}
END_TEST

/* ---- the state: load and apply ---- */

static cer_store *store_with(int ncommits)
{
    cer_store *s;
    const cer_commit_blocks *c[] = {&gen, &up1, &up2};

    ck_assert_int_eq(cer_store_open_mem(&s), 0);
    for (int i = 0; i < ncommits; i++)
        ck_assert_int_eq(cer_store_put_commit(s, c[i]), 0);
    return s;
}

static bool load_one(long n)
{
    cer_store *s = store_with(3);
    cer_state *st = NULL;
    int rc;
    bool f;

    arm(n);
    rc = cer_state_load(&st, s, &sid, cer_commit_cid(&up2));
    f = disarm();
    assert_clean("load", n, rc, f);
    if (rc == 0) {
        ck_assert_uint_eq(st->log_len, 3);
        ck_assert(cer_cid_equal(cer_state_tip(st), cer_commit_cid(&up2)));
        ck_assert(cer_json_equal(st->content, content2));
    } else {  /* no memory is no verdict on a commit: no shortened state */
        ck_assert_msg(st == NULL, "load: N=%ld gave a state of %zu commits", n, st->log_len);
    }
    cer_state_free(st);
    cer_store_close(s);
    return f;
}

static bool apply_one(long n)
{
    cer_store *s = store_with(3);
    cer_state *st = NULL;
    int rc;
    bool f;

    ck_assert_int_eq(cer_state_load(&st, s, &sid, cer_commit_cid(&up1)), 0);
    arm(n);
    rc = cer_state_apply(st, s, cer_commit_cid(&up2));
    f = disarm();
    assert_clean("apply", n, rc, f);
    if (rc == 0) {
        ck_assert_uint_eq(st->log_len, 3);
        ck_assert(cer_cid_equal(cer_state_tip(st), cer_commit_cid(&up2)));
        ck_assert(cer_json_equal(st->content, content2));
    } else {  /* unchanged */
        ck_assert_uint_eq(st->log_len, 2);
        ck_assert(cer_cid_equal(cer_state_tip(st), cer_commit_cid(&up1)));
        ck_assert(cer_json_equal(st->content, content1));
    }
    /* and it still applies */
    if (rc < 0)
        ck_assert_int_eq(cer_state_apply(st, s, cer_commit_cid(&up2)), 0);
    cer_state_free(st);
    cer_store_close(s);
    return f;
}

/* ---- js-ceramic's HTTP API: a state's bodies, a create request ---- */

static bool api_render_one(long n)
{
    cer_store *s = store_with(3);
    cer_state *st = NULL;
    char *want1 = NULL, *want2 = NULL, *got1 = NULL, *got2 = NULL;
    int rc;
    bool f;

    ck_assert_int_eq(cer_state_load(&st, s, &sid, cer_commit_cid(&up2)), 0);
    ck_assert_int_eq(cer_jsapi_stream_body(&want1, st, CER_JSAPI_DOCID), 0);
    ck_assert_int_eq(cer_jsapi_commits_body(&want2, s, st), 0);
    arm(n);
    rc = cer_jsapi_stream_body(&got1, st, CER_JSAPI_DOCID);
    if (rc == 0)
        rc = cer_jsapi_commits_body(&got2, s, st);
    f = disarm();
    assert_clean("api state and commits", n, rc, f);
    if (rc == 0) {
        ck_assert_str_eq(got1, want1);
        ck_assert_str_eq(got2, want2);
    } else {
        ck_assert_ptr_null(got2);
    }
    free(want1);
    free(want2);
    free(got1);
    free(got2);
    cer_state_free(st);
    cer_store_close(s);
    return f;
}

/* gen in StreamUtils.serializeCommit's form, in a create body */
static char *api_body(void)
{
    const cer_jws_sig *sg = &gen.jws.sigs[0];
    char p[128], pr[512], sig[128], link[CER_CID_STR_MAX], *lb, *body;
    size_t lbcap = cer_base_encoded_max(CER_BASE64, gen.payload.bytes.len);

    ck_assert(gen.is_signed);
    ck_assert_int_ge(cer_base_encode(p, sizeof p, CER_BASE64URL, gen.jws.payload, gen.jws.payload_len), 0);
    ck_assert_int_ge(cer_base_encode(pr, sizeof pr, CER_BASE64URL, sg->protected_hdr, sg->protected_len), 0);
    ck_assert_int_ge(cer_base_encode(sig, sizeof sig, CER_BASE64URL, sg->signature, sg->signature_len), 0);
    ck_assert_int_ge(cer_cid_to_string(link, sizeof link, &gen.payload.cid), 0);
    lb = malloc(lbcap);
    ck_assert_int_ge(cer_base_encode(lb, lbcap, CER_BASE64, gen.payload.bytes.data, gen.payload.bytes.len), 0);
    body = malloc(strlen(lb) + 2048);
    sprintf(body,
            "{\"type\":0,\"genesis\":{\"jws\":{\"payload\":\"%s\",\"signatures\":[{\"protected\":\"%s\","
            "\"signature\":\"%s\"}],\"link\":\"%s\"},\"linkedBlock\":\"%s\"},\"opts\":{\"anchor\":false}}",
            p, pr, sig, link, lb);
    free(lb);
    return body;
}

static char *api_req;

static bool api_parse_one(long n)
{
    cer_jsapi_request rq;
    int rc;
    bool f;

    arm(n);
    rc = cer_jsapi_parse_create(&rq, api_req, strlen(api_req));
    f = disarm();
    assert_clean("api create request", n, rc, f);
    if (rc == 0) {
        ck_assert(cer_cid_equal(cer_commit_cid(&rq.commit), cer_commit_cid(&gen)));
        ck_assert_int_eq(rq.opts.anchor, 0);
        cer_jsapi_request_free(&rq);
    } else {
        ck_assert_ptr_null(rq.commit.payload.bytes.data);
    }
    return f;
}

START_TEST(state_operations)
{
    fixtures();
    oom_loop("load", load_one);
    oom_loop("apply", apply_one);
    oom_loop("api state and commits", api_render_one);
    api_req = api_body();
    oom_loop("api create request", api_parse_one);
    free(api_req);
    unfixtures();
}
END_TEST

/* ---- the node: update, with the store and registry re-verified ---- */

static char dir[64];
static cer_streamref nid;
static cer_cid ntip;

/* The update runs durable (fsync'd blocks, records, directories), as the
 * mount does; create and learn skip fsync to keep the loop short. */
static bool durable;

static cer_node *open_node(void)
{
    cer_node *node;
    cer_node_opts o = {.state_dir = dir, .key = &key, .store_flags = durable ? 0 : CER_STORE_NOSYNC};

    ck_assert_msg(cer_node_open(&node, &o) == 0, "open: %s", cer_errmsg());
    return node;
}

static void bad_block(const cer_cid *cid, int err, void *arg)
{
    char s[CER_CID_STR_MAX];

    (void)arg;
    cer_cid_to_string(s, sizeof s, cid);
    fprintf(stderr, "bad block %s: %d\n", s, err);
}

/* The node's stream is at want, its log verifies, every block checks. */
static void assert_node(cer_node *node, const cer_cid *want, const cJSON *content, long n)
{
    cer_state *st;

    ck_assert_msg(cer_node_state(node, &st, &nid) == 0, "N=%ld state: %s", n, cer_errmsg());
    ck_assert_msg(cer_cid_equal(cer_state_tip(st), want), "N=%ld: tip moved", n);
    ck_assert(cer_json_equal(st->content, content));
    cer_state_free(st);
    ck_assert_msg(cer_node_verify(node, &nid) == 0, "N=%ld verify: %s", n, cer_errmsg());
    ck_assert_int_eq(cer_node_verify_blocks(node, bad_block, NULL), 0);
}

/* A fresh state directory holding one stream at content0 (unarmed). */
static void fresh_node_dir(void)
{
    cer_node *node;
    cer_state *st;

    snprintf(dir, sizeof dir, "/tmp/cfs-oom-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    node = open_node();
    ck_assert_int_eq(cer_node_create(node, &nid, NULL, content0, CER_CREATE_DETERMINISTIC), 0);
    ck_assert_int_eq(cer_node_state(node, &st, &nid), 0);
    ntip = *cer_state_tip(st);
    cer_state_free(st);
    cer_node_close(node);
}

static void remove_node_dir(void)
{
    tu_rm_tree(dir);
}

static int find_unpublished(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    (void)id;
    if (cer_cid_equal(tip, arg))
        *(cer_cid *)arg = (cer_cid){0};  /* found: cleared */
    return 0;
}

static bool update_one(long n)
{
    cer_node *node;
    cer_state *st;
    cer_cid tip;
    int rc;
    bool f;

    fresh_node_dir();
    node = open_node();
    arm(n);
    rc = cer_node_update(node, &nid, content1);
    f = disarm();
    assert_clean("node update", n, rc, f);
    ck_assert_int_eq(cer_node_state(node, &st, &nid), 0);
    tip = *cer_state_tip(st);
    cer_state_free(st);
    ck_assert_msg(rc < 0 ? cer_cid_equal(&tip, &ntip) : !cer_cid_equal(&tip, &ntip),
                  "node update: N=%ld returned %d but the tip %s", n, rc, rc < 0 ? "moved" : "did not move");
    assert_node(node, &tip, rc < 0 ? content0 : content1, n);
    cer_node_close(node);
    node = open_node();  /* the same after reopening */
    assert_node(node, &tip, rc < 0 ? content0 : content1, n);
    if (rc == 0) {  /* an acknowledged commit is journaled for publishing */
        cer_cid t = tip;
        ck_assert_int_eq(cer_node_unpublished(node, find_unpublished, &t), 0);
        ck_assert_msg(t.digest_len == 0, "node update: N=%ld: the new tip is not journaled", n);
    }
    cer_node_close(node);
    remove_node_dir();
    return f;
}

static bool create_one(long n)
{
    cer_node *node;
    cer_streamref id;
    cer_state *st;
    int rc;
    bool f;

    fresh_node_dir();
    node = open_node();
    arm(n);
    rc = cer_node_create(node, &id, NULL, content2, CER_CREATE_DETERMINISTIC);
    f = disarm();
    assert_clean("node create", n, rc, f);
    if (rc == 0) {
        ck_assert_int_eq(cer_node_state(node, &st, &id), 0);
        ck_assert(cer_json_equal(st->content, content2));
        cer_state_free(st);
    }
    ck_assert_int_eq(cer_node_verify_blocks(node, bad_block, NULL), 0);
    cer_node_close(node);
    node = open_node();
    if (rc == 0)
        ck_assert_msg(cer_node_verify(node, &id) == 0, "N=%ld verify: %s", n, cer_errmsg());
    ck_assert_int_eq(cer_node_verify_blocks(node, bad_block, NULL), 0);
    cer_node_close(node);
    remove_node_dir();
    return f;
}

/* A remote branch of two commits against a local fork of one: the remote
 * wins (longer log), so this runs the fork resolution. */
static bool learn_one(long n)
{
    cer_node *node;
    cJSON *local = J("{\"title\":\"local\"}");
    cer_state *st;
    cer_cid before, tip;
    int rc;
    bool f;

    fresh_node_dir();
    ck_assert(cer_cid_equal(&nid.genesis, &sid.genesis));  /* deterministic: the fixtures' genesis */
    node = open_node();
    ck_assert_int_eq(cer_node_update(node, &nid, local), 0);
    ck_assert_int_eq(cer_node_state(node, &st, &nid), 0);
    before = *cer_state_tip(st);
    cer_state_free(st);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &up1), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &up2), 0);
    arm(n);
    rc = cer_node_learn_tip(node, &nid, cer_commit_cid(&up2));
    f = disarm();
    ck_assert_msg(rc == 1 || (rc == -ENOMEM && f), "node learn: N=%ld returned %d (%s)", n, rc, cer_errmsg());
    absorbed += rc == 1 && f;
    tip = rc == 1 ? *cer_commit_cid(&up2) : before;
    assert_node(node, &tip, rc == 1 ? content2 : local, n);
    cer_node_close(node);
    node = open_node();
    assert_node(node, &tip, rc == 1 ? content2 : local, n);
    if (rc == 1) {  /* the branch it took the place of is kept */
        cer_lost_branch *lost;
        size_t count;
        ck_assert_int_eq(cer_node_lost_branches(node, &nid, &lost, &count), 0);
        ck_assert_msg(count == 1 && cer_cid_equal(&lost[0].tip, &before) && cer_json_equal(lost[0].content, local),
                      "node learn: N=%ld: the lost branch is not kept", n);
        cer_lost_branches_free(lost, count);
    }
    cer_node_close(node);
    remove_node_dir();
    cJSON_Delete(local);
    return f;
}

START_TEST(node_operations)
{
    fixtures();
    durable = true;
    oom_loop("node update", update_one);
    durable = false;
    oom_loop("node create", create_one);
    oom_loop("node learn (fork)", learn_one);
    unfixtures();
}
END_TEST

static Suite *oom_suite(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("oom");

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, pure_operations);
    tcase_add_test(tc, state_operations);
    tcase_add_test(tc, node_operations);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(oom_suite)
