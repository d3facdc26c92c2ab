/*
 * test_model.c — Model and ModelInstanceDocument commits (model.c), byte
 * for byte against what js-ceramic 2.44's stream-model and
 * stream-model-instance made for the same keys, contents and unique bytes
 * (tests/vectors/js-models.json, from gen/models.mjs), each stream then
 * loaded by cer_state_load; and the checks made before writing.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void key_of(cer_key *key, const cJSON *v)
{
    size_t n;
    uint8_t *seed = tu_unhex(tu_str(v, "seed_hex"), &n);

    ck_assert_uint_eq(n, 32);
    ck_assert_int_eq(cer_key_from_seed(key, seed), 0);
    ck_assert_str_eq(key->did, tu_str(v, "did"));
    free(seed);
}

static void assert_cid(const cer_cid *cid, const char *want)
{
    char s[CER_CID_STR_MAX];

    ck_assert_int_ge(cer_cid_to_string(s, sizeof s, cid), 0);
    ck_assert_str_eq(s, want);
}

/* c holds the blocks the vector b (commit_cid, commit_hex, payload_*) names;
 * store them in st. */
static void assert_blocks(cer_store *st, const cer_commit_blocks *c, const cJSON *b)
{
    ck_assert_int_eq(c->is_signed, cJSON_IsTrue(tu_get(b, "signed")));
    assert_cid(cer_commit_cid(c), tu_str(b, "commit_cid"));
    if (c->is_signed) {
        tu_assert_hex(c->envelope.bytes.data, c->envelope.bytes.len, tu_str(b, "commit_hex"));
        tu_assert_hex(c->payload.bytes.data, c->payload.bytes.len, tu_str(b, "payload_hex"));
        assert_cid(&c->payload.cid, tu_str(b, "payload_cid"));
    } else {
        tu_assert_hex(c->payload.bytes.data, c->payload.bytes.len, tu_str(b, "commit_hex"));
    }
    ck_assert_int_eq(cer_store_put_commit(st, c), 0);
}

static cer_state *load(cer_store *store, uint64_t type, const cer_cid *genesis, const cer_cid *tip, const char *sid)
{
    cer_streamref id = {.type = type, .genesis = *genesis};
    char s[CER_STREAMID_STR_MAX];
    cer_state *st = NULL;

    ck_assert_int_ge(cer_streamref_to_string(s, sizeof s, &id), 0);
    ck_assert_str_eq(s, sid);
    ck_assert_msg(cer_state_load(&st, store, &id, tip) == 0, "%s: %s", sid, cer_errmsg());
    return st;
}

START_TEST(js_models)
{
    cJSON *v = tu_load_json("js-models.json");
    const cJSON *m;
    cer_store *store;
    int n = 0;

    ck_assert_str_eq(tu_str(v, "meta_model"), CER_META_MODEL);
    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    cJSON_ArrayForEach(m, tu_get(v, "models")) {
        const cJSON *def = tu_get(m, "definition");
        cer_commit_blocks c;
        cer_state *st;
        cer_key key;

        key_of(&key, m);
        ck_assert_msg(cer_model_genesis(&c, &key, def) == 0, "%s: %s", tu_str(m, "name"), cer_errmsg());
        assert_blocks(store, &c, m);
        st = load(store, CER_STREAM_MODEL, cer_commit_cid(&c), cer_commit_cid(&c), tu_str(m, "stream_id"));
        ck_assert(cer_json_equal(st->content, def));
        cer_state_free(st);
        cer_commit_blocks_free(&c);
        n++;
    }
    ck_assert_int_eq(n, 3);
    cer_store_close(store);
    cJSON_Delete(v);
}
END_TEST

START_TEST(js_mids)
{
    cJSON *v = tu_load_json("js-models.json");
    const cJSON *m, *u;
    cer_store *store;
    int n = 0, nu = 0;

    ck_assert_int_eq(cer_store_open_mem(&store), 0);
    cJSON_ArrayForEach(m, tu_get(v, "mids")) {
        const cJSON *content = tu_get(m, "content"), *uniq = tu_get(m, "unique_hex");
        cer_commit_blocks c;
        cer_streamref model;
        cer_cid genesis, prev;
        cer_state *st;
        cJSON *cur;
        uint8_t *unique = NULL;
        size_t ulen = 0;
        cer_key key;

        key_of(&key, m);
        ck_assert_int_eq(cer_streamref_parse(&model, tu_str(m, "model")), 0);
        if (cJSON_IsString(uniq)) {
            unique = tu_unhex(uniq->valuestring, &ulen);
            ck_assert_uint_eq(ulen, CER_MID_UNIQUE_LEN);
        }
        /* single: the deterministic genesis, made without a key */
        ck_assert_msg(cer_mid_genesis(&c, unique ? &key : NULL, unique ? NULL : key.did, &model, unique,
                                      cJSON_IsNull(content) ? NULL : content) == 0,
                      "%s: %s", tu_str(m, "name"), cer_errmsg());
        assert_blocks(store, &c, tu_get(m, "genesis"));
        genesis = prev = *cer_commit_cid(&c);
        cer_commit_blocks_free(&c);
        cur = cJSON_IsNull(content) ? cJSON_CreateObject() : cJSON_Duplicate(content, 1);
        cJSON_ArrayForEach(u, tu_get(m, "updates")) {
            cJSON *patch = NULL;

            assert_cid(&prev, tu_str(u, "prev"));
            /* #replace's patch is fast-json-patch's compare of the contents */
            ck_assert_int_eq(cer_patch_diff(&patch, cur, tu_get(u, "content")), 0);
            ck_assert(cer_json_equal(patch, tu_get(u, "patch")));
            ck_assert_int_eq(cer_mid_content_check(NULL, tu_get(u, "content")), 0);
            ck_assert_int_eq(cer_mid_update(&c, &key, &genesis, &prev, patch), 0);
            assert_blocks(store, &c, u);
            prev = *cer_commit_cid(&c);
            cer_commit_blocks_free(&c);
            cJSON_Delete(patch);
            cJSON_Delete(cur);
            cur = cJSON_Duplicate(tu_get(u, "content"), 1);
            nu++;
        }
        st = load(store, CER_STREAM_MID, &genesis, &prev, tu_str(m, "stream_id"));
        ck_assert_uint_eq(st->log_len, (size_t)cJSON_GetArraySize(tu_get(m, "updates")) + 1);
        ck_assert(cer_json_equal(st->content, cur));  /* single, before an update: {} */
        cer_state_free(st);
        cJSON_Delete(cur);
        free(unique);
        n++;
    }
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(nu, 5);
    cer_store_close(store);
    cJSON_Delete(v);
}
END_TEST

static cJSON *json(const char *text)
{
    cJSON *j = NULL;

    ck_assert_msg(cer_json_parse(&j, text, strlen(text), 0) == 0, "%s", text);
    return j;
}

#define SCHEMA "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"a\":{\"type\":\"string\"}}}"
#define V2 "\"version\":\"2.0\",\"name\":\"M\",\"interface\":false,\"implements\":[]"

START_TEST(model_checks)
{
    static const struct {
        const char *def;
        int rc;
    } cases[] = {
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", 0},
        {"{\"version\":\"1.0\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"single\"}}", 0},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"set\",\"fields\":[\"a\"]}}", 0},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"extra\":1}", -EINVAL},
        {"{\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{\"version\":\"2.1\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -ENOTSUP},
        {"{\"version\":\"3.0\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -ENOTSUP},
        {"{\"version\":\"2\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{\"version\":\"1.1\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        /* 2.0 needs interface and implements */
        {"{\"version\":\"2.0\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{\"version\":\"1.0\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"set\",\"fields\":[]}}", -EINVAL},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\",\"x\":1}}", -EINVAL},
        {"{\"version\":\"2.0\",\"name\":1,\"interface\":false,\"implements\":[],\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{" V2 ",\"schema\":{\"type\":\"array\"},\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        /* a nested object schema that allows more properties */
        {"{" V2 ",\"schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"o\":"
         "{\"type\":\"object\"}}},\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{" V2 ",\"schema\":{\"type\":\"object\",\"additionalProperties\":false,\"$defs\":{\"x\":[{\"type\":"
         "\"object\",\"additionalProperties\":true}]}},\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"views\":{\"a\":{\"type\":"
         "\"documentAccount\"}}}", -EINVAL},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"views\":{\"v\":{\"type\":"
         "\"documentAccount\"}}}", 0},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"views\":{\"v\":{\"type\":"
         "\"nope\"}}}", -EINVAL},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"relations\":{\"a\":{\"type\":"
         "\"document\",\"model\":null}}}", 0},
        {"{\"version\":\"1.0\",\"name\":\"M\",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},"
         "\"relations\":{\"a\":{\"type\":\"document\",\"model\":null}}}", -EINVAL},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"relations\":{\"a\":{\"type\":"
         "\"document\",\"model\":\"kjzl6hvfrbw6cba44vyk4emazcou559gak88lb8gfmg7c446bvq8u0cwfu5853n\"}}}", 0},
        {"{" V2 ",\"schema\":" SCHEMA ",\"accountRelation\":{\"type\":\"list\"},\"relations\":{\"a\":{\"type\":"
         "\"document\",\"model\":\"not a stream\"}}}", -EINVAL},
        /* an interface needs a property or a view */
        {"{\"version\":\"2.0\",\"name\":\"M\",\"interface\":true,\"implements\":[],\"schema\":{\"type\":\"object\","
         "\"additionalProperties\":false},\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"{\"version\":\"2.0\",\"name\":\"M\",\"interface\":false,\"implements\":[\"x\"],\"schema\":" SCHEMA
         ",\"accountRelation\":{\"type\":\"list\"}}", -EINVAL},
        {"[]", -EINVAL},
    };
    cer_key key;

    ck_assert_int_eq(cer_key_generate(&key), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *def = json(cases[i].def);
        cer_commit_blocks c;
        int rc = cer_model_genesis(&c, &key, def);

        ck_assert_msg(rc == cases[i].rc, "case %zu: %d (%s), want %d", i, rc, cer_errmsg(), cases[i].rc);
        ck_assert_int_eq(cer_model_check(def), rc);
        if (rc == 0)
            cer_commit_blocks_free(&c);
        else
            ck_assert_uint_eq(c.payload.bytes.len, 0);
        cJSON_Delete(def);
    }
}
END_TEST

/* a schema nested past the block limit is refused, not walked */
START_TEST(model_deep_schema)
{
    cJSON *def = json("{" V2 ",\"accountRelation\":{\"type\":\"list\"}}"), *s = cJSON_CreateObject();

    cJSON_AddItemToObject(def, "schema", s);
    cJSON_AddStringToObject(s, "type", "object");
    cJSON_AddFalseToObject(s, "additionalProperties");
    for (int i = 0; i < 1000; i++) {
        cJSON *child = cJSON_CreateObject();
        cJSON_AddItemToObject(s, "x", child);
        s = child;
    }
    ck_assert_int_eq(cer_model_check(def), -EFBIG);
    cJSON_Delete(def);
}
END_TEST

START_TEST(mid_checks)
{
    cJSON *content = json("{\"a\":\"b\"}"), *empty = json("[]"), *big;
    cer_streamref model, tile;
    uint8_t unique[CER_MID_UNIQUE_LEN] = {0};
    cer_commit_blocks c;
    cer_key key;
    cer_cid cid;
    char *s;

    ck_assert_int_eq(cer_key_generate(&key), 0);
    ck_assert_int_eq(cer_streamref_parse(&model, "kjzl6hvfrbw6cba44vyk4emazcou559gak88lb8gfmg7c446bvq8u0cwfu5853n"), 0);
    ck_assert_int_eq(model.type, CER_STREAM_MODEL);
    tile = model;
    tile.type = CER_STREAM_TILE;
    ck_assert_int_eq(cer_mid_genesis(&c, &key, NULL, &tile, unique, content), -EINVAL);
    /* deterministic: no content; with unique: signed, so a key */
    ck_assert_int_eq(cer_mid_genesis(&c, &key, NULL, &model, NULL, content), -EINVAL);
    ck_assert_int_eq(cer_mid_genesis(&c, NULL, key.did, &model, unique, content), -EINVAL);
    ck_assert_int_eq(cer_mid_genesis(&c, NULL, NULL, &model, NULL, NULL), -EINVAL);
    ck_assert_int_eq(cer_mid_genesis(&c, NULL, "alice", &model, NULL, NULL), -EINVAL);
    ck_assert_int_eq(cer_mid_genesis(&c, &key, NULL, &model, unique, content), 0);
    ck_assert(c.is_signed);
    cid = *cer_commit_cid(&c);
    cer_commit_blocks_free(&c);
    ck_assert_int_eq(cer_mid_unique(unique), 0);
    /* the update must be signed and a patch */
    ck_assert_int_eq(cer_mid_update(&c, NULL, &cid, &cid, empty), -EINVAL);
    ck_assert_int_eq(cer_mid_update(&c, &key, &cid, &cid, content), -EINVAL);
    ck_assert_int_eq(cer_mid_update(&c, &key, &cid, &cid, empty), 0);
    ck_assert(c.is_signed);
    cer_commit_blocks_free(&c);
    /* loading refuses a commit that leaves a MID's content no object */
    {
        cJSON *to_number = json("[{\"op\":\"replace\",\"path\":\"\",\"value\":5}]");
        cer_streamref id = {.type = CER_STREAM_MID};
        cer_state *st = NULL;
        cer_store *store;

        ck_assert_int_eq(cer_store_open_mem(&store), 0);
        ck_assert_int_eq(cer_mid_genesis(&c, &key, NULL, &model, unique, content), 0);
        ck_assert_int_eq(cer_store_put_commit(store, &c), 0);
        id.genesis = cid = *cer_commit_cid(&c);
        cer_commit_blocks_free(&c);
        ck_assert_int_eq(cer_mid_update(&c, &key, &cid, &cid, to_number), 0);
        ck_assert_int_eq(cer_store_put_commit(store, &c), 0);
        ck_assert_int_eq(cer_state_load(&st, store, &id, cer_commit_cid(&c)), -EINVAL);
        ck_assert_ptr_nonnull(strstr(cer_errmsg(), "must be a JSON object"));
        ck_assert_uint_eq(st->log_len, 1);
        cer_state_free(st);
        cer_commit_blocks_free(&c);
        cer_store_close(store);
        cJSON_Delete(to_number);
    }
    /* js's size limit: the JSON text of the content */
    ck_assert_int_eq(cer_mid_content_check(NULL, content), 0);
    ck_assert_int_eq(cer_mid_content_check(NULL, cJSON_GetObjectItem(content, "a")), -EINVAL);
    s = malloc(CER_MID_CONTENT_MAX);
    memset(s, 'x', CER_MID_CONTENT_MAX - 1);
    s[CER_MID_CONTENT_MAX - 9] = 0;  /* {"s":"..."} is 8 bytes more: exactly the limit */
    big = cJSON_CreateObject();
    cJSON_AddStringToObject(big, "s", s);
    ck_assert_int_eq(cer_mid_content_check(NULL, big), 0);
    cJSON_AddStringToObject(big, "t", "");
    ck_assert_int_eq(cer_mid_content_check(NULL, big), -EFBIG);
    free(s);
    cJSON_Delete(big);
    cJSON_Delete(empty);
    cJSON_Delete(content);
}
END_TEST

/* A node makes Models and MIDs of both account relations and updates
 * them; what it stores loads again from its blocks alone, and a second
 * node (another key) may not update them. */
START_TEST(node_create_update)
{
    char dir[] = "/tmp/test_model_XXXXXX";
    cJSON *v = tu_load_json("js-models.json");
    const cJSON *list_def = tu_get(tu_get(v, "models")->child, "definition");
    const cJSON *single_def = tu_get(tu_get(v, "models")->child->next, "definition");
    cJSON *c1 = json("{\"title\":\"one\"}"), *c2 = json("{\"title\":\"two\",\"n\":3}");
    cJSON *p1 = json("{\"name\":\"me\"}"), *p2 = json("{\"name\":\"me too\"}");
    cer_streamref lm, sm, doc, prof, again, tile, missing;
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    cer_state *st = NULL, *back = NULL;
    cer_node *node;
    cer_key other;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_node_open(&node, &o), 0);
    ck_assert_msg(cer_node_create_model(node, &lm, list_def) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(lm.type, CER_STREAM_MODEL);
    ck_assert_int_eq(cer_node_create_model(node, &sm, single_def), 0);
    /* list: a signed genesis with content, then a JSON Patch update */
    ck_assert_msg(cer_node_create_mid(node, &doc, &lm, c1) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(doc.type, CER_STREAM_MID);
    ck_assert_msg(cer_node_update(node, &doc, c2) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &st, &doc), 0);
    ck_assert_uint_eq(st->log_len, 2);
    ck_assert(cer_json_equal(st->content, c2));
    ck_assert_msg(cer_state_load(&back, cer_node_store(node), &doc, cer_state_tip(st)) == 0, "%s", cer_errmsg());
    ck_assert(cer_json_equal(back->content, c2));
    cer_state_free(back);
    cer_state_free(st);
    /* single: the same deterministic document each time, content by update */
    ck_assert_msg(cer_node_create_mid(node, &prof, &sm, p1) == 0, "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_create_mid(node, &again, &sm, p2), 0);
    ck_assert(cer_streamref_same_stream(&prof, &again));
    ck_assert_int_eq(cer_node_state(node, &st, &prof), 0);
    ck_assert_uint_eq(st->log_len, 3);
    ck_assert(cer_json_equal(st->content, p2));
    ck_assert_int_eq(st->log[0].author[0], 0);  /* the unsigned genesis */
    cer_state_free(st);
    /* refused: a model that is not one, a model the node lacks, no content */
    ck_assert_int_eq(cer_node_create(node, &tile, NULL, c1, 0), 0);
    ck_assert_int_eq(cer_node_create_mid(node, &again, &tile, c1), -EINVAL);
    missing = lm;
    missing.genesis.digest[0] ^= 1;
    ck_assert_int_eq(cer_node_create_mid(node, &again, &missing, c1), -ENOENT);
    ck_assert_int_eq(cer_node_create_mid(node, &again, &lm, NULL), -EINVAL);
    ck_assert_int_eq(cer_node_create_mid(node, &again, &lm, cJSON_GetObjectItem(c1, "title")), -EINVAL);
    ck_assert_int_eq(cer_node_create_mid(node, &again, &sm, cJSON_GetObjectItem(c1, "title")), -EINVAL);
    cer_node_close(node);
    /* the same node with another key: not the controller */
    ck_assert_int_eq(cer_key_generate(&other), 0);
    o.key = &other;
    ck_assert_int_eq(cer_node_open(&node, &o), 0);
    ck_assert_int_eq(cer_node_update(node, &doc, c1), -EPERM);
    cer_node_close(node);
    cJSON_Delete(c1);
    cJSON_Delete(c2);
    cJSON_Delete(p1);
    cJSON_Delete(p2);
    cJSON_Delete(v);
    tu_rm_tree(dir);
}
END_TEST

/* MID content is validated against its Model's schema (Ajv 2020, as
 * js): on create, on update (the state unchanged), and on load, where a
 * commit breaking the schema is rejected as js's handler rejects it; a
 * Model whose schema Ajv refuses is not made. */
START_TEST(node_schema)
{
    char dir[] = "/tmp/test_model_XXXXXX";
    cJSON *v = tu_load_json("js-models.json");
    cJSON *def = cJSON_Duplicate(tu_get(tu_get(v, "models")->child, "definition"), 1);
    cJSON *good = json("{\"title\":\"one\"}"), *bad = json("{\"title\":5}");
    cJSON *untitled = json("{\"n\":1}"), *patch = json("[{\"op\":\"replace\",\"path\":\"/title\",\"value\":[]}]");
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    cer_commit_blocks cb, mc;
    cer_streamref lm, doc, again, missing, unrec;
    cer_stream_info info;
    cer_state *st = NULL, *back = NULL;
    uint8_t unique[CER_MID_UNIQUE_LEN];
    cer_node *node;
    cer_key key;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_key_generate(&key), 0);
    o.key = &key;
    ck_assert_int_eq(cer_node_open(&node, &o), 0);
    ck_assert_msg(cer_node_create_model(node, &lm, def) == 0, "%s", cer_errmsg());
    ck_assert_msg(cer_node_create_mid(node, &doc, &lm, good) == 0, "%s", cer_errmsg());
    /* refused saves: js's message, the instance path in it */
    ck_assert_int_eq(cer_node_create_mid(node, &again, &lm, bad), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "Validation Error: data/title must be string"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_update(node, &doc, untitled), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "Validation Error: data must have required property 'title'"), "%s",
                  cer_errmsg());
    ck_assert_int_eq(cer_node_update(node, &doc, bad), -EINVAL);
    ck_assert_int_eq(cer_node_state(node, &st, &doc), 0);
    ck_assert_uint_eq(st->log_len, 1);
    ck_assert(cer_json_equal(st->content, good));
    /* a commit made elsewhere (the controller's key, no check) that
     * breaks the schema: rejected when the node learns it */
    ck_assert_int_eq(cer_mid_update(&cb, &key, &doc.genesis, cer_state_tip(st), patch), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
    ck_assert_int_lt(cer_node_learn_tip(node, &doc, cer_commit_cid(&cb)), 0);
    ck_assert_msg(strstr(cer_errmsg(), "data/title must be string"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &back, &doc), 0);
    ck_assert_uint_eq(back->log_len, 1);
    /* without the Model (a plain load) the same commit applies */
    cer_state_free(back);
    ck_assert_int_eq(cer_state_load(&back, cer_node_store(node), &doc, cer_commit_cid(&cb)), 0);
    ck_assert_uint_eq(back->log_len, 2);
    cer_state_free(back);
    cer_state_free(st);
    cer_commit_blocks_free(&cb);
    /* a genesis made elsewhere with content breaking the schema: rejected */
    ck_assert_int_eq(cer_mid_unique(unique), 0);
    ck_assert_int_eq(cer_mid_genesis(&cb, &key, NULL, &lm, unique, bad), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
    again = (cer_streamref){.type = CER_STREAM_MID, .genesis = *cer_commit_cid(&cb)};
    ck_assert_int_lt(cer_node_learn_tip(node, &again, &again.genesis), 0);
    ck_assert_msg(strstr(cer_errmsg(), "data/title must be string"), "%s", cer_errmsg());
    ck_assert_int_eq(cer_node_state(node, &back, &again), -ENOENT);
    cer_commit_blocks_free(&cb);
    /* a document whose Model the node cannot find: refused, as js refuses
     * one whose Model it cannot load (not taken unchecked) */
    missing = lm;
    missing.genesis.digest[3] ^= 1;
    ck_assert_int_eq(cer_mid_unique(unique), 0);
    ck_assert_int_eq(cer_mid_genesis(&cb, &key, NULL, &missing, unique, bad), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
    again = (cer_streamref){.type = CER_STREAM_MID, .genesis = *cer_commit_cid(&cb)};
    ck_assert_int_lt(cer_node_learn_tip(node, &again, &again.genesis), 0);
    ck_assert_msg(strstr(cer_errmsg(), "is not on this node"), "%s", cer_errmsg());
    cer_commit_blocks_free(&cb);
    /* a Model whose blocks the store has but the node never recorded (a
     * CAR's, the network's): its schema is its genesis's, and applies */
    cJSON_ReplaceItemInObject(def, "name", cJSON_CreateString("Unrecorded"));
    ck_assert_int_eq(cer_model_genesis(&mc, &key, def), 0);
    ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &mc), 0);
    unrec = (cer_streamref){.type = CER_STREAM_MODEL, .genesis = *cer_commit_cid(&mc)};
    ck_assert_int_eq(cer_node_info(node, &unrec, &info), -ENOENT);
    for (int ok = 0; ok < 2; ok++) {
        ck_assert_int_eq(cer_mid_unique(unique), 0);
        ck_assert_int_eq(cer_mid_genesis(&cb, &key, NULL, &unrec, unique, ok ? good : bad), 0);
        ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
        again = (cer_streamref){.type = CER_STREAM_MID, .genesis = *cer_commit_cid(&cb)};
        if (ok) {
            ck_assert_msg(cer_node_learn_tip(node, &again, &again.genesis) >= 0, "%s", cer_errmsg());
        } else {
            ck_assert_int_lt(cer_node_learn_tip(node, &again, &again.genesis), 0);
            ck_assert_msg(strstr(cer_errmsg(), "data/title must be string"), "%s", cer_errmsg());
        }
        cer_commit_blocks_free(&cb);
    }
    cer_commit_blocks_free(&mc);
    /* a schema Ajv's strict mode refuses: an unknown keyword */
    cJSON_AddNumberToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(def, "schema"),
                                                                    "properties"), "n"), "foo", 1);
    ck_assert_int_eq(cer_node_create_model(node, &again, def), -EINVAL);
    ck_assert_msg(strstr(cer_errmsg(), "foo"), "%s", cer_errmsg());
    cer_node_close(node);
    cJSON_Delete(good);
    cJSON_Delete(bad);
    cJSON_Delete(untitled);
    cJSON_Delete(patch);
    cJSON_Delete(def);
    cJSON_Delete(v);
    tu_rm_tree(dir);
}
END_TEST

/* A 2.0 Model definition of accountRelation list: one string property
 * per name in props ("a,b"), relations as given (NULL: none),
 * implements the StreamIDs given (NULL: none), an interface or not. */
static cJSON *rel_model(const char *name, const char *props, const char *relations, const char *impl, bool iface)
{
    char text[4096], pr[1024] = "";
    size_t n = 0;

    for (const char *p = props; *p; ) {
        size_t len = strcspn(p, ",");
        n += (size_t)snprintf(pr + n, sizeof pr - n, "%s\"%.*s\":{\"type\":\"string\"}", n ? "," : "", (int)len, p);
        p += len + (p[len] == ',');
    }
    snprintf(text, sizeof text,
             "{\"version\":\"2.0\",\"name\":\"%s\",\"interface\":%s,\"implements\":[%s],"
             "\"accountRelation\":{\"type\":\"list\"},\"schema\":{\"$schema\":"
             "\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\",\"properties\":{%s},"
             "\"additionalProperties\":false}%s%s}",
             name, iface ? "true" : "false", impl ? impl : "", pr, relations ? ",\"relations\":" : "",
             relations ? relations : "");
    return json(text);
}

static void sid_of(char out[CER_STREAMID_STR_MAX], const cer_streamref *ref)
{
    ck_assert_int_gt(cer_streamref_to_string(out, CER_STREAMID_STR_MAX, ref), 0);
}

/* MID content whose relation field names a document: as js 2.44's
 * handler, the field must hold the StreamID of a MID of the relation's
 * model (any with model null), or of a Model implementing it; checked on
 * create, update and on load of commits made elsewhere. */
START_TEST(node_relations)
{
    char dir[] = "/tmp/test_model_XXXXXX", a_id[CER_STREAMID_STR_MAX], i_id[CER_STREAMID_STR_MAX];
    char b_id[CER_STREAMID_STR_MAX], r_id[CER_STREAMID_STR_MAX], text[4096], rels[2048], quoted[CER_STREAMID_STR_MAX + 2];
    cer_node_opts o = {.state_dir = dir, .store_flags = CER_STORE_NOSYNC};
    cer_streamref am, bm, im, cm, rm, a1, b1, c1, r1, again, tile;
    cer_commit_blocks cb;
    cer_state *st = NULL;
    uint8_t unique[CER_MID_UNIQUE_LEN];
    cJSON *d, *c;
    cer_node *node;
    cer_key key;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cer_key_generate(&key), 0);
    o.key = &key;
    ck_assert_int_eq(cer_node_open(&node, &o), 0);
#define MODEL(ref, ...) do { d = rel_model(__VA_ARGS__); \
        ck_assert_msg(cer_node_create_model(node, &ref, d) == 0, "%s", cer_errmsg()); cJSON_Delete(d); } while (0)
#define MID(ref, model, ...) do { snprintf(text, sizeof text, __VA_ARGS__); c = json(text); \
        ck_assert_msg(cer_node_create_mid(node, &ref, &model, c) == 0, "%s", cer_errmsg()); cJSON_Delete(c); } while (0)
    MODEL(am, "A", "t", NULL, NULL, false);
    MODEL(bm, "B", "t", NULL, NULL, false);
    MODEL(im, "I", "t", NULL, NULL, true);
    sid_of(a_id, &am);
    sid_of(b_id, &bm);
    sid_of(i_id, &im);
    snprintf(quoted, sizeof quoted, "\"%s\"", i_id);
    MODEL(cm, "C", "t", NULL, quoted, false);
    snprintf(rels, sizeof rels, "{\"a\":{\"type\":\"document\",\"model\":\"%s\"},\"any\":{\"type\":\"document\","
             "\"model\":null},\"i\":{\"type\":\"document\",\"model\":\"%s\"},\"who\":{\"type\":\"account\"}}",
             a_id, i_id);
    MODEL(rm, "R", "a,any,i,who", rels, NULL, false);
    sid_of(r_id, &rm);
    MID(a1, am, "{\"t\":\"a\"}");
    MID(b1, bm, "{\"t\":\"b\"}");
    MID(c1, cm, "{\"t\":\"c\"}");
    c = json("{\"t\":1}");
    ck_assert_int_eq(cer_node_create(node, &tile, NULL, c, 0), 0);
    cJSON_Delete(c);
    /* holding: the exact model, any model, a Model implementing the
     * interface, account relations and unset fields unchecked */
    {
        char a1s[CER_STREAMID_STR_MAX], b1s[CER_STREAMID_STR_MAX], c1s[CER_STREAMID_STR_MAX];
        char ts[CER_STREAMID_STR_MAX], r1s[CER_STREAMID_STR_MAX], cid[2048];
        sid_of(a1s, &a1);
        sid_of(b1s, &b1);
        sid_of(c1s, &c1);
        sid_of(ts, &tile);
        MID(r1, rm, "{\"a\":\"%s\",\"any\":\"%s\",\"i\":\"%s\",\"who\":\"not checked\"}", a1s, b1s, c1s);
        MID(again, rm, "{}");
        sid_of(r1s, &r1);
        /* refused: js's messages */
#define REFUSED(want, ...) do { snprintf(text, sizeof text, __VA_ARGS__); c = json(text); \
        ck_assert_int_eq(cer_node_create_mid(node, &again, &rm, c), -EINVAL); \
        ck_assert_msg(strstr(cer_errmsg(), want), "%s", cer_errmsg()); \
        ck_assert_int_eq(cer_node_update(node, &r1, c), -EINVAL); \
        ck_assert_msg(strstr(cer_errmsg(), want), "%s", cer_errmsg()); cJSON_Delete(c); } while (0)
        snprintf(cid, sizeof cid, "Relation on field a points to Stream %s, which belongs to Model %s, but this "
                 "Stream's Model (%s) specifies that this relation must be to a Stream in the Model %s",
                 b1s, b_id, r_id, a_id);
        REFUSED(cid, "{\"a\":\"%s\"}", b1s);
        REFUSED("Relation on field i points to Stream", "{\"i\":\"%s\"}", a1s);
        REFUSED("Error while parsing relation from field a: Invalid StreamID", "{\"a\":\"nope\"}");
        REFUSED("does not refer to a 'MID' stream, but to a tile", "{\"any\":\"%s\"}", ts);
        REFUSED("does not refer to a 'MID' stream, but to a model", "{\"any\":\"%s\"}", a_id);
        again = tile;
        again.is_commit = true;
        again.commit = tile.genesis;
        sid_of(cid, &again);
        REFUSED("Error while parsing relation from field any: Invalid StreamID", "{\"any\":\"%s\"}", cid);
        ck_assert_int_eq(cer_node_state(node, &st, &r1), 0);
        ck_assert_uint_eq(st->log_len, 1);
        /* a commit made elsewhere breaking a relation: rejected on load */
        snprintf(text, sizeof text, "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":\"%s\"}]", b1s);
        c = json(text);
        ck_assert_int_eq(cer_mid_update(&cb, &key, &r1.genesis, cer_state_tip(st), c), 0);
        ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
        ck_assert_int_lt(cer_node_learn_tip(node, &r1, cer_commit_cid(&cb)), 0);
        ck_assert_msg(strstr(cer_errmsg(), "Relation on field a points to Stream"), "%s", cer_errmsg());
        cer_commit_blocks_free(&cb);
        cJSON_Delete(c);
        cer_state_free(st);
        /* a genesis so: rejected; one naming a MID whose genesis the
         * node does not hold: left unchecked, as the Model itself */
        snprintf(text, sizeof text, "{\"a\":\"%s\"}", b1s);
        c = json(text);
        ck_assert_int_eq(cer_mid_unique(unique), 0);
        ck_assert_int_eq(cer_mid_genesis(&cb, &key, NULL, &rm, unique, c), 0);
        ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
        again = (cer_streamref){.type = CER_STREAM_MID, .genesis = *cer_commit_cid(&cb)};
        ck_assert_int_lt(cer_node_learn_tip(node, &again, &again.genesis), 0);
        ck_assert_msg(strstr(cer_errmsg(), "Relation on field a"), "%s", cer_errmsg());
        cer_commit_blocks_free(&cb);
        cJSON_Delete(c);
        again = a1;
        again.genesis.digest[3] ^= 1;  /* a MID nobody has */
        sid_of(a1s, &again);
        snprintf(text, sizeof text, "{\"a\":\"%s\"}", a1s);
        c = json(text);
        ck_assert_int_eq(cer_mid_unique(unique), 0);
        ck_assert_int_eq(cer_mid_genesis(&cb, &key, NULL, &rm, unique, c), 0);
        ck_assert_int_eq(cer_store_put_commit(cer_node_store(node), &cb), 0);
        again = (cer_streamref){.type = CER_STREAM_MID, .genesis = *cer_commit_cid(&cb)};
        ck_assert_msg(cer_node_learn_tip(node, &again, &again.genesis) >= 0, "%s", cer_errmsg());
        /* ... but this node, writing, must find it (js loads it first) */
        cJSON_AddStringToObject(c, "who", "changed");
        ck_assert_int_lt(cer_node_update(node, &again, c), 0);
        ck_assert_msg(strstr(cer_errmsg(), "relation on field a"), "%s", cer_errmsg());
        cer_commit_blocks_free(&cb);
        cJSON_Delete(c);
    }
#undef REFUSED
#undef MID
#undef MODEL
    cer_node_close(node);
    tu_rm_tree(dir);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, js_models);
    tcase_add_test(tc, js_mids);
    tcase_add_test(tc, model_checks);
    tcase_add_test(tc, model_deep_schema);
    tcase_add_test(tc, mid_checks);
    tcase_add_test(tc, node_create_update);
    tcase_add_test(tc, node_schema);
    tcase_add_test(tc, node_relations);
    suite_add_tcase(s, tc);
    return s;
}

CER_TEST_MAIN(model_suite)
