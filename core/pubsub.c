/*
 * pubsub.c — the messages Ceramic nodes exchange on the network's pubsub
 * topic (core/README.md, "Pubsub"; js-ceramic's pubsub-message.ts): UPDATE {typ:0, stream, tip, model?},
 * QUERY {typ:1, stream, id}, RESPONSE {typ:2, id, tips}, KEEPALIVE
 * {typ:3, ts, ver, ipfsVer}. Payloads are compact JSON. Parsing is strict
 * about what it uses (exact typ, required fields present and valid
 * StreamIDs/CIDs) and ignores unknown extra keys, as js-ceramic does; the
 * legacy "doc" key is read when "stream" is absent.
 *
 * One ceramicfs extension: UPDATE may carry "inlineBlocks" (ceramic.h,
 * CER_MSG_INLINE_MAX), the tip commit's blocks as multibase base64url
 * strings, so a ceramicfs receiver needs no bitswap round trip. js-ceramic
 * drops the key unread. When present it must be well formed (1 or 2
 * non-empty "u" strings, within the bound) or the message is rejected;
 * what the bytes are is the receiver's business (sync.c hashes them).
 */
#include "pubsub.h"
#include "buf.h"
#include "cid.h"
#include "dagcbor.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cer_msg_free(cer_msg *msg)
{
    free(msg->tips);
    for (size_t i = 0; i < CER_MSG_INLINE_BLOCKS; i++)
        cer_buf_free(&msg->inline_blocks[i]);
    memset(msg, 0, sizeof *msg);
}

static const cJSON *field(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int get_stream(cer_streamref *out, const cJSON *o, const char *key, bool legacy_doc)
{
    const cJSON *v = field(o, key);
    int rc;

    if (!v && legacy_doc)
        v = field(o, "doc");
    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "pubsub: missing or non-string '%s'", key);
    if ((rc = cer_streamref_parse(out, v->valuestring)) < 0)
        return cer_err_wrap(rc, "pubsub: '%s'", key);
    if (out->is_commit)
        return cer_err(-EINVAL, "pubsub: '%s' is a CommitID, not a StreamID", key);
    return 0;
}

static int get_cid(cer_cid *out, const cJSON *v, const char *what)
{
    int rc;

    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "pubsub: missing or non-string '%s'", what);
    if ((rc = cer_cid_parse(out, v->valuestring)) < 0)
        return cer_err_wrap(rc, "pubsub: '%s'", what);
    return 0;
}

static int get_id(char *out, const cJSON *o)
{
    const cJSON *v = field(o, "id");
    size_t n;

    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "pubsub: missing or non-string 'id'");
    n = strlen(v->valuestring);
    if (n == 0 || n > CER_QUERY_ID_LEN + 1 ||
        strspn(v->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
        return cer_err(-EINVAL, "pubsub: 'id' is not a query id");
    memcpy(out, v->valuestring, n + 1);
    return 0;
}

static int get_tips(cer_msg *msg, const cJSON *o)
{
    const cJSON *tips = field(o, "tips"), *it;
    int n = cJSON_GetArraySize(tips), rc;

    if (!cJSON_IsObject(tips))
        return cer_err(-EINVAL, "pubsub: RESPONSE 'tips' must be an object");
    if (n > CER_MSG_TIPS_MAX)
        return cer_err(-EFBIG, "pubsub: RESPONSE with %d tips (limit %d)", n, CER_MSG_TIPS_MAX);
    if (n && !(msg->tips = calloc((size_t)n, sizeof *msg->tips)))
        return cer_err(-ENOMEM, "pubsub: out of memory");
    cJSON_ArrayForEach(it, tips) {
        cer_tip_entry *e = &msg->tips[msg->ntips];
        if ((rc = cer_streamref_parse(&e->stream, it->string)) < 0)
            return cer_err_wrap(rc, "pubsub: RESPONSE key");
        if (e->stream.is_commit)
            return cer_err(-EINVAL, "pubsub: RESPONSE key is a CommitID");
        if ((rc = get_cid(&e->tip, it, "tips value")) < 0)
            return rc;
        msg->ntips++;
    }
    return 0;
}

static int get_inline(cer_msg *msg, const cJSON *o)
{
    const cJSON *v = field(o, "inlineBlocks"), *it;
    size_t total = 0;
    int n = cJSON_GetArraySize(v);

    if (!v)
        return 0;
    if (!cJSON_IsArray(v) || n < 1 || n > CER_MSG_INLINE_BLOCKS)
        return cer_err(-EINVAL, "pubsub: UPDATE 'inlineBlocks' must be an array of 1 to %d strings",
                       CER_MSG_INLINE_BLOCKS);
    cJSON_ArrayForEach(it, v) {
        cer_buf *b = &msg->inline_blocks[msg->ninline];
        size_t room = CER_MSG_INLINE_MAX + 1 - total;  /* one byte more tells "over" */
        int len;
        if (!cJSON_IsString(it) || it->valuestring[0] != CER_BASE64URL)
            return cer_err(-EINVAL, "pubsub: UPDATE 'inlineBlocks' entry is not a base64url multibase string");
        if (strlen(it->valuestring) - 1 > cer_base_encoded_max(CER_BASE64URL, room))
            return cer_err(-EFBIG, "pubsub: UPDATE 'inlineBlocks' over %d bytes", CER_MSG_INLINE_MAX);
        if (cer_buf_reserve(b, room) < 0)
            return cer_err(-ENOMEM, "pubsub: out of memory");
        msg->ninline++;  /* b is the message's now, freed with it */
        if ((len = cer_multibase_decode(b->data, room, it->valuestring)) == -ENOSPC ||
            (len > 0 && total + (size_t)len > CER_MSG_INLINE_MAX))
            return cer_err(-EFBIG, "pubsub: UPDATE 'inlineBlocks' over %d bytes", CER_MSG_INLINE_MAX);
        if (len <= 0)
            return len < 0 ? cer_err_wrap(len, "pubsub: UPDATE 'inlineBlocks' entry")
                           : cer_err(-EINVAL, "pubsub: UPDATE 'inlineBlocks' entry is empty");
        b->len = (size_t)len;
        b->data[b->len] = '\0';  /* room: len < room <= the reserve */
        total += (size_t)len;
    }
    return 0;
}

static int get_keepalive(cer_msg *msg, const cJSON *o)
{
    const cJSON *ts = field(o, "ts"), *ver = field(o, "ver"), *ipfs = field(o, "ipfsVer");

    if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble) || ts->valuedouble < 0 ||
        ts->valuedouble > 9007199254740991.0 || floor(ts->valuedouble) != ts->valuedouble)
        return cer_err(-EINVAL, "pubsub: KEEPALIVE 'ts' must be a millisecond timestamp");
    msg->ts = (int64_t)ts->valuedouble;
    if (ver && (!cJSON_IsString(ver) || strlen(ver->valuestring) >= sizeof msg->ver))
        return cer_err(-EINVAL, "pubsub: KEEPALIVE 'ver' must be a short string");
    if (ipfs && (!cJSON_IsString(ipfs) || strlen(ipfs->valuestring) >= sizeof msg->ipfs_ver))
        return cer_err(-EINVAL, "pubsub: KEEPALIVE 'ipfsVer' must be a short string");
    if (ver)
        strcpy(msg->ver, ver->valuestring);
    if (ipfs)
        strcpy(msg->ipfs_ver, ipfs->valuestring);
    return 0;
}

int cer_msg_parse(cer_msg *out, const uint8_t *data, size_t len)
{
    cJSON *o = NULL;
    const cJSON *typ;
    int rc;

    memset(out, 0, sizeof *out);
    if (len > CER_MSG_MAX)
        return cer_err(-EFBIG, "pubsub: message of %zu bytes (limit %d)", len, CER_MSG_MAX);
    if (memchr(data, 0, len))
        return cer_err(-EINVAL, "pubsub: message contains a NUL byte");
    if ((rc = cer_json_parse(&o, (const char *)data, len, 0)) < 0) {
        rc = cer_err_wrap(rc, "pubsub");
        goto out;
    }
    if (!cJSON_IsObject(o)) {
        rc = cer_err(-EINVAL, "pubsub: message is not a JSON object");
        goto out;
    }
    typ = field(o, "typ");
    if (!cJSON_IsNumber(typ) || typ->valuedouble < 0 || typ->valuedouble > 3 ||
        typ->valuedouble != (double)typ->valueint) {
        rc = cer_err(-EINVAL, "pubsub: 'typ' must be 0, 1, 2 or 3");
        goto out;
    }
    out->typ = typ->valueint;
    switch (out->typ) {
    case CER_MSG_UPDATE:
        if ((rc = get_stream(&out->stream, o, "stream", true)) < 0 ||
            (rc = get_cid(&out->tip, field(o, "tip"), "tip")) < 0)
            goto out;
        if (field(o, "model") && !cJSON_IsNull(field(o, "model"))) {
            if ((rc = get_stream(&out->model, o, "model", false)) < 0)
                goto out;
            out->has_model = true;
        }
        if (get_inline(out, o) < 0) {
            /* the extension's fault never costs the tip: drop its blocks */
            snprintf(out->inline_error, sizeof out->inline_error, "%s", cer_errmsg());
            for (size_t i = 0; i < out->ninline; i++)
                cer_buf_free(&out->inline_blocks[i]);
            out->ninline = 0;
            cer_errclear();
        }
        break;
    case CER_MSG_QUERY:
        if ((rc = get_id(out->id, o)) < 0 || (rc = get_stream(&out->stream, o, "stream", true)) < 0)
            goto out;
        break;
    case CER_MSG_RESPONSE:
        if ((rc = get_id(out->id, o)) < 0 || (rc = get_tips(out, o)) < 0)
            goto out;
        break;
    default:
        if ((rc = get_keepalive(out, o)) < 0)
            goto out;
        break;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    if (rc < 0)
        cer_msg_free(out);
    return rc;
}

static bool add_ref(cJSON *o, const char *key, const cer_streamref *ref)
{
    char s[CER_STREAMID_STR_MAX];

    return cer_streamref_to_string(s, sizeof s, ref) >= 0 && cJSON_AddStringToObject(o, key, s);
}

static bool add_cid(cJSON *o, const char *key, const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) >= 0 && cJSON_AddStringToObject(o, key, s);
}

static bool add_inline(cJSON *o, const cer_msg *msg)
{
    cJSON *a;
    char *s;
    bool ok = true;

    if (msg->ninline == 0)
        return true;
    size_t total = 0;

    for (size_t i = 0; i < msg->ninline && i < CER_MSG_INLINE_BLOCKS; i++) {
        if (msg->inline_blocks[i].len == 0)
            return false;
        total += msg->inline_blocks[i].len;
    }
    /* what every receiver would refuse is not sent */
    if (msg->ninline > CER_MSG_INLINE_BLOCKS || total > CER_MSG_INLINE_MAX ||
        !(a = cJSON_AddArrayToObject(o, "inlineBlocks")))
        return false;
    for (size_t i = 0; i < msg->ninline && ok; i++) {
        const cer_buf *b = &msg->inline_blocks[i];
        size_t cap = cer_base_encoded_max(CER_BASE64URL, b->len) + 1;
        cJSON *str;
        if (!(s = malloc(cap)))
            return false;
        ok = cer_multibase_encode(s, cap, CER_BASE64URL, b->data, b->len) > 0 && (str = cJSON_CreateString(s)) &&
             cJSON_AddItemToArray(a, str);
        free(s);
    }
    return ok;
}

static bool add_tips(cJSON *o, const cer_msg *msg)
{
    cJSON *tips = cJSON_AddObjectToObject(o, "tips");
    char s[CER_STREAMID_STR_MAX];

    if (!tips)
        return false;
    for (size_t i = 0; i < msg->ntips; i++)
        if (cer_streamref_to_string(s, sizeof s, &msg->tips[i].stream) < 0 ||
            !add_cid(tips, s, &msg->tips[i].tip))
            return false;
    return true;
}

int cer_msg_encode(char **out, const cer_msg *msg)
{
    cJSON *o = cJSON_CreateObject();
    bool ok;
    int rc;

    *out = NULL;
    if (!o || !cJSON_AddNumberToObject(o, "typ", msg->typ))
        goto fail;
    switch (msg->typ) {
    case CER_MSG_UPDATE:
        ok = add_ref(o, "stream", &msg->stream) && add_cid(o, "tip", &msg->tip) &&
             (!msg->has_model || add_ref(o, "model", &msg->model)) && add_inline(o, msg);
        break;
    case CER_MSG_QUERY:
        /* js-ceramic 2.46 builds {...{typ, stream}, id}: id comes last */
        ok = add_ref(o, "stream", &msg->stream) && cJSON_AddStringToObject(o, "id", msg->id);
        break;
    case CER_MSG_RESPONSE:
        ok = cJSON_AddStringToObject(o, "id", msg->id) && add_tips(o, msg);
        break;
    case CER_MSG_KEEPALIVE:
        ok = cJSON_AddNumberToObject(o, "ts", (double)msg->ts) && cJSON_AddStringToObject(o, "ver", msg->ver) &&
             cJSON_AddStringToObject(o, "ipfsVer", msg->ipfs_ver);
        break;
    default:
        cJSON_Delete(o);
        return cer_err(-EINVAL, "pubsub: unknown message type %d", msg->typ);
    }
    if (!ok)
        goto fail;
    rc = cer_json_print(out, o, 0);
    cJSON_Delete(o);
    return rc;
fail:
    cJSON_Delete(o);
    return cer_err(-ENOMEM, "pubsub: cannot encode message");
}

int cer_query_id(char out[CER_QUERY_ID_LEN + 1], const cer_streamref *stream)
{
    char s[CER_STREAMID_STR_MAX];
    uint8_t mh[34];
    cer_buf b = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&b);
    int rc;

    if ((rc = cer_streamref_to_string(s, sizeof s, stream)) < 0)
        return rc;
    /* dagcbor({typ: 1, stream}): keys in canonical order typ < stream */
    cer_cbor_w_map(&w, 2);
    cer_cbor_w_text(&w, "typ");
    cer_cbor_w_uint(&w, 1);
    cer_cbor_w_text(&w, "stream");
    cer_cbor_w_text(&w, s);
    if ((rc = w.err) == 0) {
        mh[0] = 0x12;
        mh[1] = 0x20;
        cer_sha256(mh + 2, b.data, b.len);
        rc = cer_base_encode(out, CER_QUERY_ID_LEN + 1, CER_BASE64URL, mh, sizeof mh);
        rc = rc < 0 ? rc : 0;
    }
    cer_buf_free(&b);
    return rc;
}

int cer_pubsub_topic_arg(char *out, size_t cap, const char *topic)
{
    return cer_multibase_encode(out, cap, CER_BASE64URL, (const uint8_t *)topic, strlen(topic));
}
