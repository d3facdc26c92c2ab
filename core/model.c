/*
 * model.c — Model and ModelInstanceDocument (MID) commits, built byte for
 * byte as js-ceramic 2.44 builds them (@ceramicnetwork/stream-model and
 * stream-model-instance 1.21.0), and the checks js makes before it writes
 * them:
 *
 *   Model genesis   signed {data: definition, header: {sep: "model",
 *                   model: <meta-model StreamID bytes>, controllers: [did]}}
 *                   (Model._makeGenesis, after Model.create's
 *                   assertVersionValid and assertComplete; the checks of
 *                   the Model handler that need no JSON Schema engine are
 *                   made too, so a node never writes what js rejects)
 *   MID genesis     list: signed {data: content, header: {sep, model,
 *                   unique: 12 random bytes, controllers}};
 *                   single: the deterministic, unsigned {data: null,
 *                   header: {sep, model, controllers}}
 *                   (ModelInstanceDocument._makeGenesis / .single)
 *   MID update      signed {id: genesis, data: JSON Patch, prev} with no
 *                   header at all (#replace and #patch; the MID handler
 *                   refuses any header)
 *
 * Keys are written in DAG-CBOR canonical order (length, then bytes):
 * data < header; sep < model < unique < controllers; id < data < prev.
 * tests/vectors/js-models.json holds the commits js made for fixed keys,
 * contents and unique bytes; test_model rebuilds every one.
 *
 * JSON Schema: js validates a Model's schema against the draft 2020-12
 * meta-schema (Ajv, strict) and every MID content against its Model's
 * schema: model_schema_hook and cer_mid_content_check, with jsonschema.c;
 * and every MID's document relations: cer_mid_relations_check.
 */
#include "ceramic.h"
#include "commit.h"
#include "dagcbor.h"
#include "error.h"
#include "jsonpatch.h"
#include "strmap.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* ------------------------------------------------------------------ */
/* Model definitions                                                    */
/* ------------------------------------------------------------------ */

/* "M.m" with both parts decimal (MODEL_VERSION_REGEXP /^[0-9]+\.[0-9]+$/). */
static int parse_version(const char *s, long *major, long *minor)
{
    const char *p = s;
    long v[2] = {0, 0};

    for (int i = 0; i < 2; i++) {
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++)
            v[i] = v[i] > 100000 ? 100000 : v[i] * 10 + (*p - '0');
        if (i == 0 && *p++ != '.')
            return -1;
    }
    if (*p)
        return -1;
    *major = v[0];
    *minor = v[1];
    return 0;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* An object whose keys are among those named (with the fields the caller
 * requires: codeco's strict()). */
static bool has_only(const cJSON *o, const char *const *keys, size_t n)
{
    const cJSON *it;

    if (!cJSON_IsObject(o))
        return false;
    cJSON_ArrayForEach(it, o)
        if (!in_list(it->string, keys, n))
            return false;
    return true;
}

static bool is_type(const cJSON *o, const char *type)
{
    const cJSON *t = get(o, "type");

    return cJSON_IsString(t) && strcmp(t->valuestring, type) == 0;
}

/* codecs' streamIdString: a StreamID (not a CommitID) in its string form. */
static bool is_streamid_string(const cJSON *v)
{
    cer_streamref ref;

    return cJSON_IsString(v) && v->valuestring[0] == 'k' && cer_streamref_parse(&ref, v->valuestring) == 0 &&
           !ref.is_commit;
}

static int bad(const char *field, const char *want)
{
    return cer_err(-EINVAL, "Model definition: '%s' must be %s", field, want);
}

/* accountRelation: {type: list|single} (1.0); also none and
 * {type: set, fields: [string]} (2.0). */
static int check_account_relation(const cJSON *rel, bool v2)
{
    static const char *const type_only[] = {"type"}, *const set_keys[] = {"type", "fields"};
    const cJSON *it;

    if (has_only(rel, type_only, 1) && (is_type(rel, "list") || is_type(rel, "single") || (v2 && is_type(rel, "none"))))
        return 0;
    if (v2 && has_only(rel, set_keys, 2) && is_type(rel, "set") && cJSON_IsArray(get(rel, "fields"))) {
        cJSON_ArrayForEach(it, get(rel, "fields"))
            if (!cJSON_IsString(it))
                return bad("accountRelation.fields", "an array of strings");
        return 0;
    }
    return bad("accountRelation", v2 ? "{type: list|single|none} or {type: set, fields}" : "{type: list|single}");
}

/* relations: {name: {type: account} | {type: document, model: StreamID
 * (2.0: or null)}}. */
static int check_relations(const cJSON *rels, bool v2)
{
    static const char *const type_only[] = {"type"}, *const doc_keys[] = {"type", "model"};
    const cJSON *it;

    if (!cJSON_IsObject(rels))
        return bad("relations", "an object");
    cJSON_ArrayForEach(it, rels) {
        const cJSON *m = get(it, "model");
        if (has_only(it, type_only, 1) && is_type(it, "account"))
            continue;
        if (has_only(it, doc_keys, 2) && is_type(it, "document") && m &&
            (is_streamid_string(m) || (v2 && cJSON_IsNull(m))))
            continue;
        return cer_err(-EINVAL, "Model definition: relation '%.100s' must be {type: account} or "
                       "{type: document, model: StreamID}", it->string);
    }
    return 0;
}

/* views: {name: {type: documentAccount|documentVersion} |
 * {type: relationDocument|relationFrom|relationCountFrom, model, property}},
 * none of them a property of the schema (views-utils.ts). */
/* The views themselves; names: the schema's properties. */
static int check_view_list(const cJSON *views, const cer_strmap *names, bool v2)
{
    static const char *const type_only[] = {"type"}, *const rel_keys[] = {"type", "model", "property"};
    const cJSON *it;

    cJSON_ArrayForEach(it, views) {
        const cJSON *m = get(it, "model");
        bool ok = has_only(it, type_only, 1) && (is_type(it, "documentAccount") || is_type(it, "documentVersion"));
        if (!ok && has_only(it, rel_keys, 3) && cJSON_IsString(get(it, "property")) && m)
            ok = is_type(it, "relationDocument") ? is_streamid_string(m) || (v2 && cJSON_IsNull(m))
                                                 : (is_type(it, "relationFrom") || is_type(it, "relationCountFrom")) &&
                                                       is_streamid_string(m);
        if (!ok)
            return cer_err(-EINVAL, "Model definition: view '%.100s' is not a supported view definition", it->string);
        if (cer_strmap_get(names, it->string))
            return cer_err(-EINVAL, "view definition used with a property also present in schema ('%.100s')",
                           it->string);
    }
    return 0;
}

static int check_views(const cJSON *views, const cJSON *schema, bool v2)
{
    const cJSON *it, *props = get(schema, "properties");
    cer_strmap names = CER_STRMAP_INIT;  /* the schema's properties: one lookup per view */
    int rc;

    if (!cJSON_IsObject(views))
        return bad("views", "an object");
    if (cJSON_IsObject(props) && cer_strmap_reserve(&names, (size_t)cJSON_GetArraySize(props)) < 0)
        return cer_err(-ENOMEM, "Model definition: out of memory");
    for (it = cJSON_IsObject(props) ? props->child : NULL; it; it = it->next)
        cer_strmap_put(&names, it->string, (void *)it);
    rc = check_view_list(views, &names, v2);
    cer_strmap_free(&names);
    return rc;
}

/* Every object of the schema, at any depth, that says type "object" must
 * say additionalProperties: false (schema-utils.ts's recursiveMap). Nested
 * at most CER_DAGCBOR_DEPTH_MAX deep, as a block can be. */
static int check_closed_objects(const cJSON *s, unsigned depth)
{
    const cJSON *it;
    int rc;

    if (depth > CER_DAGCBOR_DEPTH_MAX)
        return cer_err(-EFBIG, "Model definition: schema nested deeper than %d", CER_DAGCBOR_DEPTH_MAX);
    if (cJSON_IsObject(s) && is_type(s, "object") && !cJSON_IsFalse(get(s, "additionalProperties")))
        return cer_err(-EINVAL, "All objects in schema need to have additional properties disabled");
    for (it = (cJSON_IsObject(s) || cJSON_IsArray(s)) ? s->child : NULL; it; it = it->next)
        if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && (rc = check_closed_objects(it, depth + 1)) < 0)
            return rc;
    return 0;
}

/* A Model's schema. js: the codec's ObjectSchema (an object with type
 * "object" that Ajv's validateSchema accepts), the handler's
 * validateSchema (Ajv 2020 compiles it: strict mode, the draft 2020-12
 * meta-schema), then additionalProperties false everywhere. */
static int model_schema_hook(const cJSON *schema)
{
    cer_schema *s = NULL;
    int rc;

    if (!cJSON_IsObject(schema) || !is_type(schema, "object"))
        return cer_err(-EINVAL, "Model definition: 'schema' is not a JSON schema of type: object");
    if ((rc = cer_schema_new(&s, schema, CER_SCHEMA_MODEL)) < 0)
        return cer_err_wrap(rc, "Model definition: 'schema'");
    cer_schema_free(s);
    return check_closed_objects(schema, 2);  /* the definition and its schema */
}

int cer_model_check(const cJSON *def)
{
    static const char *const keys[] = {"version", "name", "description", "schema", "accountRelation",
                                       "relations", "views", "interface", "implements"};
    const cJSON *it, *version = get(def, "version"), *desc = get(def, "description");
    const cJSON *rels = get(def, "relations"), *views = get(def, "views"), *impl = get(def, "implements");
    long major, minor;
    bool v2;
    int rc;

    if (!cJSON_IsObject(def))
        return cer_err(-EINVAL, "Model definition: not a JSON object");
    cJSON_ArrayForEach(it, def)
        if (!in_list(it->string, keys, sizeof keys / sizeof *keys))
            return cer_err(-EINVAL, "Unexpected key '%.100s' found in content for Model Stream", it->string);
    /* Model.assertVersionValid(content, 'minor') against Model.VERSION 2.0 */
    if (!version || cJSON_IsNull(version))
        return cer_err(-EINVAL, "Missing version for model");
    if (!cJSON_IsString(version) || parse_version(version->valuestring, &major, &minor) < 0)
        return cer_err(-EINVAL, "Unsupported version format: %.40s", cJSON_IsString(version) ? version->valuestring : "");
    if (major > 2 || (major == 2 && minor > 0))
        return cer_err(-ENOTSUP, "Unsupported version %s for model, the maximum version supported is "
                       CER_MODEL_VERSION, version->valuestring);
    /* Model.assertComplete: the codec ModelDefinition (V1 | V2) */
    if (strcmp(version->valuestring, "1.0") != 0 && strcmp(version->valuestring, "2.0") != 0)
        return bad("version", "\"1.0\" or \"2.0\"");
    v2 = version->valuestring[0] == '2';
    if (!cJSON_IsString(get(def, "name")))
        return bad("name", "a string");
    if (desc && !cJSON_IsString(desc))
        return bad("description", "a string");
    if ((rc = model_schema_hook(get(def, "schema"))) < 0 ||
        (rc = check_account_relation(get(def, "accountRelation"), v2)) < 0 ||
        (rels && (rc = check_relations(rels, v2)) < 0) ||
        (views && (rc = check_views(views, get(def, "schema"), v2)) < 0))
        return rc;
    if (v2) {
        if (!cJSON_IsBool(get(def, "interface")))
            return bad("interface", "true or false");
        if (!cJSON_IsArray(impl))
            return bad("implements", "an array of StreamIDs");
        cJSON_ArrayForEach(it, impl)
            if (!is_streamid_string(it))
                return bad("implements", "an array of StreamIDs");
        /* interfaces-utils.ts validateInterface */
        if (cJSON_IsTrue(get(def, "interface")) && !cJSON_GetArraySize(get(get(def, "schema"), "properties")) &&
            !cJSON_GetArraySize(views))
            return cer_err(-EINVAL, "Invalid interface: a least one propery or view must be present");
    } else if (get(def, "interface") || impl) {
        return cer_err(-EINVAL, "Model definition: 'interface' and 'implements' need version 2.0");
    }
    return 0;
}

const char *cer_model_account_relation(const cJSON *def)
{
    const cJSON *t = get(get(def, "accountRelation"), "type");

    return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* ------------------------------------------------------------------ */
/* Commits                                                              */
/* ------------------------------------------------------------------ */

/* The genesis header {sep: "model", model: bytes, unique?: bytes,
 * controllers: [controller]} (canonical order). */
static void write_header(cer_cbor_w *w, const cer_streamref *model, const uint8_t *unique, const char *controller)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    int n = cer_streamref_to_bytes(b, sizeof b, model);

    if (n < 0) {
        w->err = w->err ? w->err : cer_err(-EINVAL, "genesis: the model's StreamID does not encode");
        return;
    }
    cer_cbor_w_map(w, unique ? 4 : 3);
    cer_cbor_w_text(w, "sep");
    cer_cbor_w_text(w, "model");
    cer_cbor_w_text(w, "model");
    cer_cbor_w_bytes(w, b, (size_t)n);
    if (unique) {
        cer_cbor_w_text(w, "unique");
        cer_cbor_w_bytes(w, unique, CER_MID_UNIQUE_LEN);
    }
    cer_cbor_w_text(w, "controllers");
    cer_cbor_w_array(w, 1);
    cer_cbor_w_text(w, controller);
}

/* {data: content (NULL: null), header}, sealed (signed with key if not NULL). */
static int genesis(cer_commit_blocks *out, const cer_key *key, const cer_streamref *model, const uint8_t *unique,
                   const char *controller, const cJSON *content)
{
    cer_cbor_w w;
    int rc;

    memset(out, 0, sizeof *out);
    if (!controller || strncmp(controller, "did:", 4) != 0)
        return cer_err(-EINVAL, "genesis: the controller must be a DID");
    w = (cer_cbor_w)CER_CBOR_W_INIT(&out->payload.bytes);
    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "data");
    if (content)
        cer_cbor_w_json(&w, content, 0);
    else
        cer_cbor_w_null(&w);
    cer_cbor_w_text(&w, "header");
    write_header(&w, model, unique, controller);
    if ((rc = w.err) == 0)
        rc = cer_commit_seal(out, key);
    if (rc < 0)
        cer_commit_blocks_free(out);
    return rc;
}

int cer_model_genesis(cer_commit_blocks *out, const cer_key *key, const cJSON *def)
{
    cer_streamref meta;
    int rc;

    memset(out, 0, sizeof *out);
    if (!key)
        return cer_err(-EINVAL, "Model genesis: a Model genesis must be signed");
    if ((rc = cer_model_check(def)) < 0)
        return rc;
    if (cer_streamref_parse(&meta, CER_META_MODEL) < 0)
        return cer_err(-EINVAL, "Model genesis: bad meta-model id");
    return genesis(out, key, &meta, NULL, key->did, def);
}

int cer_mid_unique(uint8_t out[CER_MID_UNIQUE_LEN])
{
    if (sodium_init() < 0)
        return cer_err(-EIO, "libsodium failed to initialise");
    randombytes_buf(out, CER_MID_UNIQUE_LEN);
    return 0;
}

int cer_mid_genesis(cer_commit_blocks *out, const cer_key *key, const char *controller, const cer_streamref *model,
                    const uint8_t *unique, const cJSON *content)
{
    int rc;

    memset(out, 0, sizeof *out);
    if (model->is_commit || model->type != CER_STREAM_MODEL)
        return cer_err(-EINVAL, "MID genesis: 'model' must be the StreamID of a Model stream");
    if (!controller)
        controller = key ? key->did : NULL;
    if (!unique) {
        if (content)
            return cer_err(-EINVAL, "MID genesis: a deterministic genesis has no content");
        return genesis(out, NULL, model, NULL, controller, NULL);
    }
    if (!key)
        return cer_err(-EINVAL, "MID genesis: a genesis with unique is signed: no key");
    if (content && (rc = cer_mid_content_check(NULL, content)) < 0)
        return rc;
    return genesis(out, key, model, unique, controller, content);
}

int cer_mid_update(cer_commit_blocks *out, const cer_key *key, const cer_cid *genesis_cid, const cer_cid *prev,
                   const cJSON *patch)
{
    cer_cbor_w w;
    int rc;

    memset(out, 0, sizeof *out);
    if (!key)
        return cer_err(-EINVAL, "MID update: a data commit must be signed");
    if ((rc = cer_patch_check(patch)) < 0)
        return cer_err_wrap(rc, "MID update");
    w = (cer_cbor_w)CER_CBOR_W_INIT(&out->payload.bytes);
    cer_cbor_w_map(&w, 3);
    cer_cbor_w_text(&w, "id");
    cer_cbor_w_link(&w, genesis_cid);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_json(&w, patch, 0);
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_link(&w, prev);
    if ((rc = w.err) == 0)
        rc = cer_commit_seal(out, key);
    if (rc < 0)
        cer_commit_blocks_free(out);
    return rc;
}

/* ------------------------------------------------------------------ */
/* MID content                                                          */
/* ------------------------------------------------------------------ */

/* MID content, as js checks it (ModelInstanceDocumentHandler.
 * _validateContent, and ModelInstanceDocument's validateContentLength
 * before it writes):
 *   1. the size: object-sizeof of the content, for an object the UTF-8
 *      length of its JSON.stringify text, at most CER_MID_CONTENT_MAX;
 *   2. the Model's schema (Ajv 2020, strict, allErrors), when model_def
 *      is given: -EINVAL with js's "Validation Error: data/... must be
 *      ..." message;
 *   3. document relations: cer_mid_relations_check. */
int cer_mid_content_check(const cJSON *model_def, const cJSON *content)
{
    cer_schema *s = NULL;
    char *text = NULL;
    size_t len;
    int rc;

    if (!cJSON_IsObject(content))
        return cer_err(-EINVAL, "MID content: a document's content must be a JSON object");
    if ((rc = cer_json_print(&text, content, 0)) < 0)
        return rc;
    len = strlen(text);
    free(text);
    if (len > CER_MID_CONTENT_MAX)
        return cer_err(-EFBIG, "Content has length of %zuB which exceeds maximum size of %dB", len,
                       CER_MID_CONTENT_MAX);
    if (!model_def)
        return 0;
    if ((rc = cer_schema_new(&s, get(model_def, "schema"), CER_SCHEMA_MODEL)) < 0)
        return cer_err_wrap(rc, "the Model's schema");
    rc = cer_schema_validate(s, content, NULL, NULL);
    cer_schema_free(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Relations                                                            */
/* ------------------------------------------------------------------ */

/* The model StreamID a MID's genesis payload names (header.model). */
static int genesis_model(char out[CER_STREAMID_STR_MAX], const cJSON *payload)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    cer_streamref ref;
    int n = cer_json_get_bytes(b, sizeof b, get(get(payload, "header"), "model"));

    if (n < 0 || cer_streamref_from_bytes(&ref, b, (size_t)n) < 0 || ref.is_commit ||
        cer_streamref_to_string(out, CER_STREAMID_STR_MAX, &ref) < 0)
        return cer_err(-EINVAL, "its genesis names no model");
    return 0;
}

/* Whether the Model found (its genesis payload) is a 2.0 Model that
 * implements the interface expected. */
static bool implements(const cJSON *model_payload, const char *expected)
{
    const cJSON *def = get(model_payload, "data"), *v = get(def, "version"), *impl = get(def, "implements"), *it;

    if (!cJSON_IsString(v) || strcmp(v->valuestring, "1.0") == 0 || !cJSON_IsArray(impl))
        return false;
    cJSON_ArrayForEach(it, impl)
        if (cJSON_IsString(it) && strcmp(it->valuestring, expected) == 0)
            return true;
    return false;
}

/* One document relation: field holds value, which must name a MID of the
 * model expected (NULL: of any model). */
static int check_relation(const char *field, const cJSON *value, const char *expected, const char *model_id,
                          const cer_mid_genesis_fn *g)
{
    char sid[CER_STREAMID_STR_MAX], found[CER_STREAMID_STR_MAX];
    const char *type;
    cer_streamref ref, found_ref;
    cJSON *payload = NULL;
    int rc;

    if (!cJSON_IsString(value) || cer_streamref_parse(&ref, value->valuestring) < 0 || ref.is_commit)
        return cer_err(-EINVAL, "Error while parsing relation from field %.100s: Invalid StreamID: %.120s", field,
                       cJSON_IsString(value) ? value->valuestring : "not a string");
    cer_streamref_to_string(sid, sizeof sid, &ref);
    if (ref.type != CER_STREAM_MID)
        return cer_err(-EINVAL, "StreamID %s does not refer to a 'MID' stream, but to a %s", sid,
                       (type = cer_stream_type_name(ref.type)) ? type : "stream of an unknown type");
    if ((rc = g->fn(g->arg, &ref, &payload)) != 0)
        return rc < 0 ? cer_err_wrap(rc, "relation on field %.100s: %s", field, sid) : 0;
    rc = genesis_model(found, payload);
    cJSON_Delete(payload);
    if (rc < 0)
        return cer_err_wrap(rc, "relation on field %.100s: %s", field, sid);
    if (!expected || strcmp(found, expected) == 0)
        return 0;
    /* another Model: one that implements the expected interface will do */
    if (cer_streamref_parse(&found_ref, found) < 0 || (rc = g->fn(g->arg, &found_ref, &payload)) < 0)
        return cer_err_wrap(rc < 0 ? rc : -EINVAL, "relation on field %.100s: the Model %s", field, found);
    if (rc == 0 && implements(payload, expected))
        rc = 1;
    cJSON_Delete(payload);
    if (rc == 1)
        return 0;
    return cer_err(-EINVAL, "Relation on field %.100s points to Stream %s, which belongs to Model %s, but this "
                   "Stream's Model (%s) specifies that this relation must be to a Stream in the Model %s",
                   field, sid, found, model_id, expected);
}

/* As ModelInstanceDocumentHandler._validateRelationsContent: for each
 * relation of type document whose field the content sets (not null),
 * the field must hold a StreamID (not a CommitID) of a MID, of the
 * relation's model unless that is null, or of a Model implementing it. */
int cer_mid_relations_check(const cJSON *relations, const char *model_id, const cJSON *content,
                            const cer_mid_genesis_fn *g)
{
    const cJSON *it;
    int rc;

    if (!cJSON_IsObject(relations))
        return 0;
    cJSON_ArrayForEach(it, relations) {
        const cJSON *value = get(content, it->string), *m = get(it, "model");
        if (!is_type(it, "document") || !value || cJSON_IsNull(value))
            continue;
        if ((rc = check_relation(it->string, value, cJSON_IsString(m) ? m->valuestring : NULL, model_id, g)) < 0)
            return rc;
    }
    return 0;
}
