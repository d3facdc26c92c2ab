/*
 * cid.c — CIDs: CIDv1 <version><codec><multihash> and CIDv0 (a bare
 * sha2-256 multihash). Multihashes are kept as code + digest; only
 * sha2-256 and identity can be recomputed (keccak-256 appears in anchor
 * proofs as an Ethereum transaction hash and is parsed, never computed).
 */
#include "cid.h"
#include "error.h"
#include "sha256.h"

#include <sodium.h>
#include <string.h>

void cer_sha256(uint8_t out[32], const uint8_t *data, size_t len)
{
    cer_sha256_fast(out, data, len);
}

int cer_cid_of_block(cer_cid *out, uint64_t codec, const uint8_t *block, size_t len)
{
    memset(out, 0, sizeof *out);
    out->version = 1;
    out->codec = codec;
    out->mh_code = CER_MH_SHA2_256;
    out->digest_len = 32;
    cer_sha256(out->digest, block, len);
    return 0;
}

int cer_cid_check_block(const cer_cid *cid, const uint8_t *block, size_t len)
{
    uint8_t d[32];

    switch (cid->mh_code) {
    case CER_MH_SHA2_256:
        if (cid->digest_len != 32)
            return cer_err(-EINVAL, "cid: sha2-256 digest of %zu bytes", cid->digest_len);
        cer_sha256(d, block, len);
        if (memcmp(d, cid->digest, 32) != 0)
            return cer_err(-EBADMSG, "cid: block bytes do not hash to the CID");
        return 0;
    case CER_MH_IDENTITY:
        if (cid->digest_len != len || memcmp(cid->digest, block, len) != 0)
            return cer_err(-EBADMSG, "cid: block bytes differ from identity CID");
        return 0;
    default:
        return cer_err(-ENOTSUP, "cid: cannot verify multihash 0x%llx",
                       (unsigned long long)cid->mh_code);
    }
}

int cer_cid_to_bytes(uint8_t *out, size_t cap, const cer_cid *cid)
{
    uint8_t tmp[CER_CID_BYTES_MAX];
    size_t n = 0;

    if (cid->digest_len > CER_CID_DIGEST_MAX)
        return cer_err(-EINVAL, "cid: digest too long");
    if (cid->version == 1) {
        n += cer_varint_put(tmp + n, 1);
        n += cer_varint_put(tmp + n, cid->codec);
    } else if (cid->version != 0) {
        return cer_err(-EINVAL, "cid: unknown version %llu", (unsigned long long)cid->version);
    }
    n += cer_varint_put(tmp + n, cid->mh_code);
    n += cer_varint_put(tmp + n, cid->digest_len);
    memcpy(tmp + n, cid->digest, cid->digest_len);
    n += cid->digest_len;
    if (n > cap)
        return cer_err(-ENOSPC, "cid: output buffer too small");
    memcpy(out, tmp, n);
    return (int)n;
}

int cer_cid_from_bytes(cer_cid *out, const uint8_t *p, size_t len)
{
    size_t off = 0;
    uint64_t v, dlen;
    int n;

    memset(out, 0, sizeof *out);
    if (len >= 2 && p[0] == 0x12 && p[1] == 0x20) {
        /* CIDv0: sha2-256 multihash of a dag-pb block */
        if (len < 34)
            return cer_err(-EINVAL, "cid: truncated CIDv0");
        out->version = 0;
        out->codec = CER_CODEC_DAG_PB;
        out->mh_code = CER_MH_SHA2_256;
        out->digest_len = 32;
        memcpy(out->digest, p + 2, 32);
        return 34;
    }
    if ((n = cer_varint_get(&v, p, len)) < 0)
        return cer_err_wrap(n, "cid: version");
    off += (size_t)n;
    if (v != 1)
        return cer_err(-EINVAL, "cid: unsupported version %llu", (unsigned long long)v);
    out->version = 1;
    if ((n = cer_varint_get(&out->codec, p + off, len - off)) < 0)
        return cer_err_wrap(n, "cid: codec");
    off += (size_t)n;
    if ((n = cer_varint_get(&out->mh_code, p + off, len - off)) < 0)
        return cer_err_wrap(n, "cid: multihash code");
    off += (size_t)n;
    if ((n = cer_varint_get(&dlen, p + off, len - off)) < 0)
        return cer_err_wrap(n, "cid: digest length");
    off += (size_t)n;
    if (dlen > CER_CID_DIGEST_MAX)
        return cer_err(-EINVAL, "cid: digest of %llu bytes is too long", (unsigned long long)dlen);
    if (dlen > len - off)
        return cer_err(-EINVAL, "cid: truncated digest");
    if (out->mh_code == CER_MH_SHA2_256 && dlen != 32)
        return cer_err(-EINVAL, "cid: sha2-256 digest of %llu bytes", (unsigned long long)dlen);
    if (out->mh_code == CER_MH_KECCAK_256 && dlen != 32)
        return cer_err(-EINVAL, "cid: keccak-256 digest of %llu bytes", (unsigned long long)dlen);
    out->digest_len = (size_t)dlen;
    memcpy(out->digest, p + off, (size_t)dlen);
    return (int)(off + dlen);
}

int cer_cid_to_string(char *out, size_t cap, const cer_cid *cid)
{
    uint8_t b[CER_CID_BYTES_MAX];
    int n = cer_cid_to_bytes(b, sizeof b, cid);

    if (n < 0)
        return n;
    if (cid->version == 0)
        return cer_base_encode(out, cap, CER_BASE58BTC, b, (size_t)n);
    return cer_multibase_encode(out, cap, CER_BASE32, b, (size_t)n);
}

int cer_cid_parse(cer_cid *out, const char *s)
{
    uint8_t b[CER_CID_BYTES_MAX + 8];
    int n, used;
    size_t slen = strlen(s);

    if (slen == 46 && s[0] == 'Q' && s[1] == 'm')
        n = cer_base_decode(b, sizeof b, CER_BASE58BTC, s, slen);
    else if (slen > 1 && s[0] != 'Q')
        n = cer_multibase_decode(b, sizeof b, s);
    else
        return cer_err(-EINVAL, "cid: '%.64s' is not a CID", s);
    if (n == -ENOSPC)  /* the string's fault, not the caller's buffer */
        return cer_err(-EINVAL, "cid '%.64s': longer than any CID", s);
    if (n < 0)
        return cer_err_wrap(n, "cid '%.64s'", s);
    used = cer_cid_from_bytes(out, b, (size_t)n);
    if (used < 0)
        return cer_err_wrap(used, "cid '%.64s'", s);
    if (used != n)
        return cer_err(-EINVAL, "cid '%.64s': trailing bytes", s);
    if (out->version == 0 && s[0] != 'Q')
        return cer_err(-EINVAL, "cid '%.64s': CIDv0 must be base58btc", s);
    return 0;
}

uint64_t cer_cid_hash(const cer_cid *cid)
{
    return cer_hash(cid->digest, cid->digest_len) ^ cid->codec;
}

bool cer_cid_equal(const cer_cid *a, const cer_cid *b)
{
    return a->version == b->version && a->codec == b->codec && a->mh_code == b->mh_code &&
           a->digest_len == b->digest_len && memcmp(a->digest, b->digest, a->digest_len) == 0;
}
