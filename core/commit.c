/*
 * commit.c — TileDocument genesis and update commits, anchor commits and
 * anchor proofs, built byte for byte as js-ceramic builds them.
 *
 * A signed commit is two blocks: the DAG-CBOR payload and the DAG-JOSE
 * envelope whose JWS signs the payload's CID; the envelope's CID names
 * the commit. Map keys are written in DAG-CBOR canonical order (length,
 * then bytes): id < data < path < prev < proof < header. User content and
 * patches are plain JSON (an object with a "/" key is just a map); only
 * the commit's own links are tag-42 CIDs.
 */
#include "ceramic.h"
#include "buf.h"
#include "commit.h"
#include "dagcbor.h"
#include "error.h"
#include "jsonpatch.h"

#include <sodium.h>
#include <string.h>

void cer_commit_blocks_free(cer_commit_blocks *c)
{
    cer_buf_free(&c->payload.bytes);
    cer_buf_free(&c->envelope.bytes);
    cer_jws_free(&c->jws);
    memset(c, 0, sizeof *c);
}

const cer_cid *cer_commit_cid(const cer_commit_blocks *c)
{
    return c->is_signed ? &c->envelope.cid : &c->payload.cid;
}

int cer_tile_unique(char out[17])
{
    uint8_t r[12];

    if (sodium_init() < 0)
        return cer_err(-EIO, "libsodium failed to initialise");
    randombytes_buf(r, sizeof r);
    return cer_base_encode(out, 17, CER_BASE64, r, sizeof r) < 0 ? -EINVAL : 0;
}

static bool is_string_array(const cJSON *a, int min, int max)
{
    const cJSON *it;
    int n = cJSON_GetArraySize(a);

    if (!cJSON_IsArray(a) || n < min || n > max)
        return false;
    cJSON_ArrayForEach(it, a)
        if (!cJSON_IsString(it))
            return false;
    return true;
}

/* Validate a TileDocument header object (see cer_tile_genesis); genesis:
 * the genesis header, else an update's. */
static int tile_header_check(const cJSON *header, bool genesis)
{
    const cJSON *it;

    if (!cJSON_IsObject(header))
        return cer_err(-EINVAL, "header: not a JSON object");
    cJSON_ArrayForEach(it, header) {
        const char *k = it->string;
        if (strcmp(k, "controllers") == 0) {
            if (!is_string_array(it, 1, 1) || !it->child->valuestring[0])
                return cer_err(-EINVAL, "header: controllers must hold exactly one non-empty DID");
            if (strncmp(it->child->valuestring, "did:", 4) != 0)
                return cer_err(-EINVAL, "header: controller '%.80s' is not a DID", it->child->valuestring);
        } else if (strcmp(k, "family") == 0) {
            if (!cJSON_IsString(it))
                return cer_err(-EINVAL, "header: family must be a string");
        } else if (strcmp(k, "schema") == 0) {
            cer_streamref ref;
            if (!cJSON_IsString(it) || cer_streamref_parse(&ref, it->valuestring) < 0 || !ref.is_commit)
                return cer_err(-EINVAL, "header: schema must be a CommitID string");
        } else if (strcmp(k, "tags") == 0) {
            if (!is_string_array(it, 0, 1 << 16))
                return cer_err(-EINVAL, "header: tags must be an array of strings");
        } else if (genesis && strcmp(k, "unique") == 0) {
            if (!cJSON_IsString(it))
                return cer_err(-EINVAL, "header: unique must be a string");
        } else if (genesis && strcmp(k, "forbidControllerChange") == 0) {
            if (!cJSON_IsTrue(it))
                return cer_err(-EINVAL, "header: forbidControllerChange is only written as true");
        } else if (!genesis && (strcmp(k, "unique") == 0 || strcmp(k, "forbidControllerChange") == 0)) {
            return cer_err(-EINVAL, "header: '%s' cannot change after genesis", k);
        } else {
            return cer_err(-EINVAL, "header: unknown field '%.64s'", k);
        }
    }
    return 0;
}

/* Hash the payload block, then sign and encode the envelope. */
int cer_commit_seal(cer_commit_blocks *out, const cer_key *key)
{
    int rc;

    cer_cid_of_block(&out->payload.cid, CER_CODEC_DAG_CBOR, out->payload.bytes.data, out->payload.bytes.len);
    if (out->payload.bytes.len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "commit: block of %zu bytes is over the %d byte limit",
                       out->payload.bytes.len, CER_BLOCK_MAX);
    if (!key)
        return 0;
    out->is_signed = true;
    /* a did:key envelope is ~280 bytes: one allocation instead of a few */
    if ((rc = cer_buf_reserve(&out->envelope.bytes, 320)) < 0)
        return rc;
    if ((rc = cer_jws_sign(&out->jws, key, &out->payload.cid)) < 0)
        return rc;
    if ((rc = cer_dagjose_encode(&out->envelope.bytes, &out->jws)) < 0)
        return rc;
    cer_cid_of_block(&out->envelope.cid, CER_CODEC_DAG_JOSE, out->envelope.bytes.data,
                     out->envelope.bytes.len);
    return 0;
}

int cer_tile_genesis(cer_commit_blocks *out, const cer_key *key, const cJSON *header,
                     const cJSON *content)
{
    cJSON *hdr = NULL;
    bool has_data = content && !cJSON_IsNull(content);
    cer_cbor_w w;
    int rc;

    memset(out, 0, sizeof *out);
    w = (cer_cbor_w)CER_CBOR_W_INIT(&out->payload.bytes);
    hdr = header ? cJSON_Duplicate(header, 1) : cJSON_CreateObject();
    if (!hdr)
        return cer_err(-ENOMEM, "genesis: out of memory");
    if (!cJSON_GetObjectItemCaseSensitive(hdr, "controllers")) {
        cJSON *c = cJSON_CreateArray();
        if (!key) {
            rc = cer_err(-EINVAL, "genesis: no controllers and no key to default to");
            cJSON_Delete(c);
            goto out;
        }
        if (!c || !cJSON_AddItemToArray(c, cJSON_CreateString(key->has_cap ? key->parent : key->did)) ||
            !cJSON_AddItemToObject(hdr, "controllers", c)) {
            cJSON_Delete(c);
            rc = cer_err(-ENOMEM, "genesis: out of memory");
            goto out;
        }
    }
    if ((rc = tile_header_check(hdr, true)) < 0)
        goto out;
    if (has_data && !key) {
        rc = cer_err(-EINVAL, "genesis: a genesis with content must be signed");
        goto out;
    }
    cer_cbor_w_map(&w, has_data ? 2 : 1);
    if (has_data) {
        cer_cbor_w_text(&w, "data");
        cer_cbor_w_json(&w, content, 0);
    }
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_json(&w, hdr, 0);
    if ((rc = w.err) < 0)
        goto out;
    rc = cer_commit_seal(out, has_data ? key : NULL);
out:
    cJSON_Delete(hdr);
    if (rc < 0)
        cer_commit_blocks_free(out);
    return rc;
}

int cer_tile_update(cer_commit_blocks *out, const cer_key *key, const cer_cid *genesis,
                    const cer_cid *prev, const cJSON *header, const cJSON *patch)
{
    cer_cbor_w w;
    cJSON *empty = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    w = (cer_cbor_w)CER_CBOR_W_INIT(&out->payload.bytes);
    if (!key)
        return cer_err(-EINVAL, "update: a TileDocument update must be signed");
    if ((rc = cer_patch_check(patch)) < 0)
        return cer_err_wrap(rc, "update");
    if (!header && !(header = empty = cJSON_CreateObject()))
        return cer_err(-ENOMEM, "update: out of memory");
    if ((rc = tile_header_check(header, false)) < 0)
        goto out;
    cer_cbor_w_map(&w, 4);
    cer_cbor_w_text(&w, "id");
    cer_cbor_w_link(&w, genesis);
    cer_cbor_w_text(&w, "data");
    cer_cbor_w_json(&w, patch, 0);
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_link(&w, prev);
    cer_cbor_w_text(&w, "header");
    cer_cbor_w_json(&w, header, 0);
    if ((rc = w.err) < 0)
        goto out;
    rc = cer_commit_seal(out, key);
out:
    cJSON_Delete(empty);
    if (rc < 0)
        cer_commit_blocks_free(out);
    return rc;
}

/* ---- anchors ---- */

int cer_anchor_commit_encode(cer_block *out, const cer_anchor_commit *ac)
{
    cer_cbor_w w;

    memset(out, 0, sizeof *out);
    w = (cer_cbor_w)CER_CBOR_W_INIT(&out->bytes);
    cer_cbor_w_map(&w, ac->has_id ? 4 : 3);
    if (ac->has_id) {
        cer_cbor_w_text(&w, "id");
        cer_cbor_w_link(&w, &ac->id);
    }
    cer_cbor_w_text(&w, "path");
    cer_cbor_w_text(&w, ac->path);
    cer_cbor_w_text(&w, "prev");
    cer_cbor_w_link(&w, &ac->prev);
    cer_cbor_w_text(&w, "proof");
    cer_cbor_w_link(&w, &ac->proof);
    if (w.err < 0) {
        cer_buf_free(&out->bytes);
        return w.err;
    }
    cer_cid_of_block(&out->cid, CER_CODEC_DAG_CBOR, out->bytes.data, out->bytes.len);
    return 0;
}

static int get_link(cer_cid *out, const cJSON *obj, const char *key, const char *what)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!v)
        return cer_err(-EINVAL, "%s: missing '%s'", what, key);
    if (cer_json_get_link(out, v) < 0)
        return cer_err(-EINVAL, "%s: '%s' is not a link", what, key);
    return 0;
}

int cer_anchor_commit_decode(cer_anchor_commit *out, const cJSON *d)
{
    const cJSON *path, *it;
    int rc;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(d))
        return cer_err(-EINVAL, "anchor commit: not a map");
    cJSON_ArrayForEach(it, d)
        if (strcmp(it->string, "id") && strcmp(it->string, "prev") && strcmp(it->string, "proof") &&
            strcmp(it->string, "path"))
            return cer_err(-EINVAL, "anchor commit: unexpected field '%.32s'", it->string);
    if ((rc = get_link(&out->prev, d, "prev", "anchor commit")) < 0 ||
        (rc = get_link(&out->proof, d, "proof", "anchor commit")) < 0)
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(d, "id")) {
        if ((rc = get_link(&out->id, d, "id", "anchor commit")) < 0)
            return rc;
        out->has_id = true;
    }
    path = cJSON_GetObjectItemCaseSensitive(d, "path");
    if (path) {
        if (!cJSON_IsString(path))
            return cer_err(-EINVAL, "anchor commit: path must be a string");
        if (strlen(path->valuestring) >= sizeof out->path)
            return cer_err(-EFBIG, "anchor commit: path too long");
        for (const char *p = path->valuestring; *p; p++)
            if (*p != '0' && *p != '1' && *p != '/')
                return cer_err(-EINVAL, "anchor commit: path '%.64s' is not a Merkle path", path->valuestring);
        strcpy(out->path, path->valuestring);
    }
    return 0;
}

int cer_anchor_proof_encode(cer_block *out, const cer_anchor_proof *p)
{
    cer_cbor_w w;
    size_t n = 3 + (p->tx_type[0] != 0) + p->has_block_number + p->has_block_timestamp;

    memset(out, 0, sizeof *out);
    w = (cer_cbor_w)CER_CBOR_W_INIT(&out->bytes);
    /* canonical order: root(4) txHash(6) txType(6) chainId(7) blockNumber(11) blockTimestamp(14) */
    cer_cbor_w_map(&w, n);
    cer_cbor_w_text(&w, "root");
    cer_cbor_w_link(&w, &p->root);
    cer_cbor_w_text(&w, "txHash");
    cer_cbor_w_link(&w, &p->tx_hash);
    if (p->tx_type[0]) {
        cer_cbor_w_text(&w, "txType");
        cer_cbor_w_text(&w, p->tx_type);
    }
    cer_cbor_w_text(&w, "chainId");
    cer_cbor_w_text(&w, p->chain_id);
    if (p->has_block_number) {
        cer_cbor_w_text(&w, "blockNumber");
        cer_cbor_w_int(&w, p->block_number);
    }
    if (p->has_block_timestamp) {
        cer_cbor_w_text(&w, "blockTimestamp");
        cer_cbor_w_int(&w, p->block_timestamp);
    }
    if (w.err < 0) {
        cer_buf_free(&out->bytes);
        return w.err;
    }
    cer_cid_of_block(&out->cid, CER_CODEC_DAG_CBOR, out->bytes.data, out->bytes.len);
    return 0;
}

static int get_text(char *out, size_t cap, const cJSON *obj, const char *key, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!v)
        return required ? cer_err(-EINVAL, "anchor proof: missing '%s'", key) : 0;
    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "anchor proof: '%s' must be a string", key);
    if (strlen(v->valuestring) >= cap)
        return cer_err(-EFBIG, "anchor proof: '%s' too long", key);
    strcpy(out, v->valuestring);
    return 0;
}

static int get_int(int64_t *out, bool *has, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble || v->valuedouble < 0)
        return cer_err(-EINVAL, "anchor proof: '%s' must be a non-negative integer", key);
    *out = (int64_t)v->valuedouble;
    *has = true;
    return 0;
}

int cer_anchor_proof_decode(cer_anchor_proof *out, const cJSON *d)
{
    int rc;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(d))
        return cer_err(-EINVAL, "anchor proof: not a map");
    if ((rc = get_text(out->chain_id, sizeof out->chain_id, d, "chainId", true)) < 0 ||
        (rc = get_text(out->tx_type, sizeof out->tx_type, d, "txType", false)) < 0 ||
        (rc = get_link(&out->root, d, "root", "anchor proof")) < 0 ||
        (rc = get_link(&out->tx_hash, d, "txHash", "anchor proof")) < 0 ||
        (rc = get_int(&out->block_number, &out->has_block_number, d, "blockNumber")) < 0 ||
        (rc = get_int(&out->block_timestamp, &out->has_block_timestamp, d, "blockTimestamp")) < 0)
        return rc;
    if (!strchr(out->chain_id, ':'))
        return cer_err(-EINVAL, "anchor proof: chainId '%.64s' is not a CAIP-2 id", out->chain_id);
    return 0;
}
