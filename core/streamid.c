/*
 * streamid.c — StreamIDs and CommitIDs: the binary layout, the base36
 * string form and the URL/legacy forms js-ceramic accepts
 * (packages/streamid: stream-ref-parsing.ts, reading-bytes.ts). See
 * streamid.h for where this is deliberately stricter than JS.
 */
#include "streamid.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

#define URL_PREFIX "ceramic://"
#define LEGACY_PREFIX "/ceramic/"
#define COMMIT_QUERY "?commit="

const char *cer_stream_type_name(uint64_t type)
{
    switch (type) {
    case CER_STREAM_TILE: return "tile";
    case CER_STREAM_CAIP10_LINK: return "caip10-link";
    case CER_STREAM_MODEL: return "model";
    case CER_STREAM_MID: return "MID";
    case CER_STREAM_UNLOADABLE: return "UNLOADABLE";
    case CER_STREAM_EVENT_ID: return "EventID";
    default: return NULL;
    }
}

bool cer_streamref_same_stream(const cer_streamref *a, const cer_streamref *b)
{
    return a->type == b->type && cer_cid_equal(&a->genesis, &b->genesis);
}

/* ---- bytes ---- */

/* Read one CID the way js-ceramic's readCid does: an explicit version varint
 * (0 or 1) and codec varint, then a multihash. So a CIDv0 is written
 * 00 70 12 20 <digest>, and a bare CIDv0 multihash (12 20 ...) reads as
 * version 18 and is refused. Returns the bytes consumed. */
static int read_cid(cer_cid *out, const uint8_t *p, size_t len, const char *what)
{
    uint64_t version, codec;
    size_t off;
    int n;

    if (len == 0)
        return cer_err(-EINVAL, "%s CID missing", what);
    if ((n = cer_varint_get(&version, p, len)) < 0)
        return cer_err_wrap(n, "%s CID version", what);
    if (version == 1) {
        if ((n = cer_cid_from_bytes(out, p, len)) < 0)
            return cer_err_wrap(n, "%s CID", what);
        return n;
    }
    if (version == CER_MH_SHA2_256)
        return cer_err(-EINVAL, "%s CID has unknown version 18 (a bare CIDv0 multihash, "
                                "which js-ceramic cannot read either)", what);
    if (version != 0)
        return cer_err(-EINVAL, "%s CID has unknown version %llu", what,
                       (unsigned long long)version);
    off = (size_t)n;
    if ((n = cer_varint_get(&codec, p + off, len - off)) < 0)
        return cer_err_wrap(n, "%s CIDv0 codec", what);
    if (codec != CER_CODEC_DAG_PB)
        return cer_err(-EINVAL, "%s CIDv0 must use dag-pb (0x70), not codec 0x%llx", what,
                       (unsigned long long)codec);
    off += (size_t)n;
    if (len - off < 2 || p[off] != CER_MH_SHA2_256 || p[off + 1] != 32)
        return cer_err(-EINVAL, "%s CIDv0 must hold a sha2-256 multihash", what);
    if ((n = cer_cid_from_bytes(out, p + off, len - off)) < 0)
        return cer_err_wrap(n, "%s CIDv0", what);
    return (int)off + n;
}

/* from_bytes without the "streamid" context on error messages. */
static int decode_bytes(cer_streamref *out, const uint8_t *p, size_t len)
{
    uint64_t codec;
    size_t off = 0;
    int n;

    memset(out, 0, sizeof *out);
    if (len == 0)
        return cer_err(-EINVAL, "no bytes");
    if ((n = cer_varint_get(&codec, p, len)) < 0)
        return cer_err_wrap(n, "multicodec");
    if (codec != CER_STREAMID_CODEC)
        return cer_err(-EINVAL, "multicodec 0x%llx is not streamid (0xce)",
                       (unsigned long long)codec);
    off += (size_t)n;
    if ((n = cer_varint_get(&out->type, p + off, len - off)) < 0)
        return cer_err_wrap(n, "stream type");
    off += (size_t)n;
    if ((n = read_cid(&out->genesis, p + off, len - off, "genesis")) < 0)
        return n;
    off += (size_t)n;
    if (off == len)
        return 0;
    out->is_commit = true;
    if (len - off == 1 && p[off] == 0) {
        out->commit = out->genesis;
        return 0;
    }
    if ((n = read_cid(&out->commit, p + off, len - off, "commit")) < 0)
        return n;
    off += (size_t)n;
    if (off != len)
        return cer_err(-EINVAL, "%zu trailing bytes after the commit CID", len - off);
    return 0;
}

int cer_streamref_from_bytes(cer_streamref *out, const uint8_t *p, size_t len)
{
    cer_streamref ref;
    int rc;

    if (!out || (!p && len))
        return cer_err(-EINVAL, "streamid: NULL argument");
    if ((rc = decode_bytes(&ref, p, len)) < 0)
        return cer_err_wrap(rc, "streamid");
    *out = ref;
    return 0;
}

/* A commit CID equal to the genesis CID is written as the single byte 0x00,
 * as js-ceramic's CommitID does. A CIDv0 is written as its bare multihash,
 * again as JS does (and, as in JS, such bytes do not parse back). */
int cer_streamref_to_bytes(uint8_t *out, size_t cap, const cer_streamref *ref)
{
    uint8_t tmp[CER_STREAMID_BYTES_MAX];
    size_t n = 0;
    int m;

    if (!out || !ref)
        return cer_err(-EINVAL, "streamid: NULL argument");
    if (ref->type > INT64_MAX)
        return cer_err(-EINVAL, "streamid: stream type %llu out of range",
                       (unsigned long long)ref->type);
    n += cer_varint_put(tmp + n, CER_STREAMID_CODEC);
    n += cer_varint_put(tmp + n, ref->type);
    if ((m = cer_cid_to_bytes(tmp + n, sizeof tmp - n, &ref->genesis)) < 0)
        return cer_err_wrap(m, "streamid: genesis");
    n += (size_t)m;
    if (ref->is_commit && cer_cid_equal(&ref->commit, &ref->genesis)) {
        tmp[n++] = 0;
    } else if (ref->is_commit) {
        if ((m = cer_cid_to_bytes(tmp + n, sizeof tmp - n, &ref->commit)) < 0)
            return cer_err_wrap(m, "streamid: commit");
        n += (size_t)m;
    }
    if (n > cap)
        return cer_err(-ENOSPC, "streamid: output buffer too small (%zu < %zu bytes)", cap, n);
    memcpy(out, tmp, n);
    return (int)n;
}

/* ---- strings ---- */

int cer_streamref_to_string(char *out, size_t cap, const cer_streamref *ref)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    int n, rc;

    if (!out)
        return cer_err(-EINVAL, "streamid: NULL argument");
    if ((n = cer_streamref_to_bytes(b, sizeof b, ref)) < 0)
        return n;
    if ((rc = cer_multibase_encode(out, cap, CER_BASE36, b, (size_t)n)) < 0)
        return cer_err_wrap(rc, "streamid");
    return rc;
}

/* "'x'" for a printable character, "byte 0xNN" otherwise. */
static const char *describe_char(char out[16], char c)
{
    unsigned char u = (unsigned char)c;

    if (u >= 0x20 && u < 0x7f)
        snprintf(out, 16, "'%c'", c);
    else
        snprintf(out, 16, "byte 0x%02x", u);
    return out;
}

static bool is_base36_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

/* The 'k...' part of a string (no prefix, no query) into out. */
static int parse_base36_id(cer_streamref *out, const char *id, size_t idlen)
{
    uint8_t bytes[CER_STREAMREF_INPUT_MAX];
    int n;

    if (idlen == 0)
        return cer_err(-EINVAL, "no id");
    if (id[0] == 'K')
        return cer_err(-EINVAL, "upper-case base36 ('K' prefix) is not accepted, "
                                "use the lower-case 'k' form");
    if (id[0] != 'k')
        return cer_err(-EINVAL, "not base36 (a StreamID starts with the multibase prefix 'k')");
    if (idlen == 1)
        return cer_err(-EINVAL, "nothing after the 'k' prefix");
    for (size_t i = 1; i < idlen; i++) {
        char d[16];
        if (!is_base36_char(id[i]))
            return cer_err(-EINVAL, "%s at %zu of the id is not lower-case base36",
                           describe_char(d, id[i]), i);
    }
    if ((n = cer_base_decode(bytes, sizeof bytes, CER_BASE36, id + 1, idlen - 1)) < 0)
        return n;
    return decode_bytes(out, bytes, (size_t)n);
}

/* The value of '?commit=': "0" for the genesis commit or a CID string in one
 * of the forms js-ceramic's CID.parse takes ('b...', 'z...', 'Qm...'). */
static int parse_commit(cer_streamref *ref, const char *v)
{
    cer_cid commit;
    int rc;

    if (!v[0])
        return cer_err(-EINVAL, "'?commit=' needs a CID or 0");
    if (strcmp(v, "0") == 0) {
        commit = ref->genesis;
    } else {
        if (v[0] != 'b' && v[0] != 'z' && v[0] != 'Q')
            return cer_err(-EINVAL, "commit is neither 0 nor a CID ('b...', 'z...' or 'Qm...')");
        if ((rc = cer_cid_parse(&commit, v)) < 0)
            return cer_err_wrap(rc, "commit");
    }
    ref->is_commit = true;
    ref->commit = commit;
    return 0;
}

static int parse_string(cer_streamref *out, const char *s)
{
    const char *id = s;
    size_t idlen;
    int rc;

    if (strncmp(id, URL_PREFIX, strlen(URL_PREFIX)) == 0)
        id += strlen(URL_PREFIX);
    else if (strncmp(id, LEGACY_PREFIX, strlen(LEGACY_PREFIX)) == 0)
        id += strlen(LEGACY_PREFIX);
    idlen = strcspn(id, "?");
    if ((rc = parse_base36_id(out, id, idlen)) < 0)
        return rc;
    if (!id[idlen])
        return 0;
    if (strncmp(id + idlen, COMMIT_QUERY, strlen(COMMIT_QUERY)) != 0)
        return cer_err(-EINVAL, "unexpected text after the id (only '?commit=<cid>' "
                                "or '?commit=0' may follow)");
    return parse_commit(out, id + idlen + strlen(COMMIT_QUERY));
}

int cer_streamref_parse(cer_streamref *out, const char *s)
{
    cer_streamref ref;
    char ex[CER_EXCERPT_MAX];
    size_t slen;
    int rc;

    if (!out || !s)
        return cer_err(-EINVAL, "streamid: NULL argument");
    slen = strnlen(s, CER_STREAMREF_INPUT_MAX + 1);
    if (slen == 0)
        return cer_err(-EINVAL, "streamid: empty string");
    if (slen > CER_STREAMREF_INPUT_MAX)
        return cer_err(-EFBIG, "streamid: string over %d characters", CER_STREAMREF_INPUT_MAX);
    if ((rc = parse_string(&ref, s)) < 0)
        return cer_err_wrap(rc, "streamid '%s'", cer_excerpt(ex, s));
    *out = ref;
    return 0;
}
