/*
 * car.c — CAR v1 files (the format of `ipfs dag export`/`import`, of
 * @ipld/car, of the anchor service's request bodies and witness CARs):
 * a strict reader that checks the whole file before anyone uses a block,
 * and the writer. API in ceramic.h.
 *
 * The reader is linear in the file's size: one pass over the sections
 * (each block hashed once), and an index of the blocks by CID in a table
 * keyed with cer_hash (keyed SipHash), so no choice of CIDs makes lookups
 * slow.
 */
#include "ceramic.h"
#include "cid.h"
#include "dagcbor.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The largest section: a CID and a block. */
#define SECTION_MAX ((uint64_t)CER_CID_BYTES_MAX + CER_BLOCK_MAX)

typedef struct car_index {
    size_t cap;                 /* a power of two, at least twice the blocks */
    size_t *slot;               /* 0: empty, else block index + 1 */
} car_index;

/* The slot of cid in ix: where it is, or the empty one where it goes. */
static size_t *index_find(const car_index *ix, const cer_car_block *blocks, const cer_cid *cid)
{
    size_t i = (size_t)cer_cid_hash(cid) & (ix->cap - 1);

    while (ix->slot[i] && !cer_cid_equal(&blocks[ix->slot[i] - 1].cid, cid))
        i = (i + 1) & (ix->cap - 1);
    return &ix->slot[i];
}

/* The header: a map of exactly roots (links, at least one) and version 1. */
static int read_header(cer_car *out, const uint8_t *p, size_t len)
{
    cJSON *h = NULL;
    const cJSON *roots, *version, *r;
    int rc, n;

    if ((rc = cer_dagcbor_decode(&h, p, len)) < 0)
        return cer_err_wrap(rc, "CAR: the header is not DAG-CBOR");
    version = cJSON_GetObjectItemCaseSensitive(h, "version");
    roots = cJSON_GetObjectItemCaseSensitive(h, "roots");
    if (!cJSON_IsObject(h) || !cJSON_IsNumber(version)) {
        rc = cer_err(-EINVAL, "CAR: the header has no version");
    } else if (version->valuedouble != 1) {
        rc = cer_err(-ENOTSUP, "CAR: version %g (only CAR v1 is read)", version->valuedouble);
    } else if (!cJSON_IsArray(roots) || !(n = cJSON_GetArraySize(roots))) {
        rc = cer_err(-EINVAL, "CAR: the header has no roots");
    } else if (cJSON_GetArraySize(h) != 2) {
        rc = cer_err(-EINVAL, "CAR: the header has fields other than roots and version");
    } else if (!(out->roots = calloc((size_t)n, sizeof *out->roots))) {
        rc = cer_err(-ENOMEM, "CAR: out of memory");
    } else {
        rc = 0;
        cJSON_ArrayForEach(r, roots) {
            if (cer_json_get_link(&out->roots[out->nroots++], r) < 0) {
                rc = cer_err(-EINVAL, "CAR: root %zu is not a CID", out->nroots);
                break;
            }
        }
    }
    cJSON_Delete(h);
    return rc;
}

/* Append a block (unless it is there already) to out's list. */
static int add_block(cer_car *out, size_t *cap, const cer_car_block *b)
{
    if (out->nblocks == *cap) {
        size_t ncap = *cap ? 2 * *cap : 64;
        cer_car_block *nb = realloc(out->blocks, ncap * sizeof *nb);
        if (!nb)
            return cer_err(-ENOMEM, "CAR: out of memory");
        out->blocks = nb;
        *cap = ncap;
    }
    out->blocks[out->nblocks++] = *b;
    return 0;
}

/* Build the index; drops the later copies of a repeated block. */
static int build_index(cer_car *out)
{
    car_index *ix = calloc(1, sizeof *ix);
    size_t kept = 0;

    if (!ix)
        return cer_err(-ENOMEM, "CAR: out of memory");
    for (ix->cap = 16; ix->cap < 2 * out->nblocks; ix->cap *= 2)
        ;
    if (!(ix->slot = calloc(ix->cap, sizeof *ix->slot))) {
        free(ix);
        return cer_err(-ENOMEM, "CAR: out of memory");
    }
    out->index = ix;
    for (size_t i = 0; i < out->nblocks; i++) {
        size_t *s = index_find(ix, out->blocks, &out->blocks[i].cid);
        if (*s)
            continue;  /* a repeat: the first copy stays (same bytes: same hash) */
        out->blocks[kept] = out->blocks[i];
        *s = ++kept;
    }
    out->nblocks = kept;
    return 0;
}

int cer_car_read(cer_car *out, const uint8_t *car, size_t len)
{
    uint64_t hl;
    size_t off, cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cer_varint_get(&hl, car, len)) < 0)
        return cer_err(-EINVAL, "CAR: %s", len ? "bad header length" : "empty file");
    off = (size_t)rc;
    if (hl == 0 || hl > CER_CAR_HEADER_MAX)
        return cer_err(-EINVAL, "CAR: header length %llu (1 to %d)", (unsigned long long)hl, CER_CAR_HEADER_MAX);
    if (hl > len - off)
        return cer_err(-EINVAL, "CAR: truncated header (%llu bytes, %zu in the file)", (unsigned long long)hl,
                       len - off);
    if ((rc = read_header(out, car + off, (size_t)hl)) < 0)
        goto fail;
    off += (size_t)hl;
    while (off < len) {
        cer_car_block b;
        uint64_t sl;
        int cl;

        if ((rc = cer_varint_get(&sl, car + off, len - off)) < 0) {
            rc = cer_err(-EINVAL, "CAR: bad section length at byte %zu", off);
            goto fail;
        }
        if (sl == 0 || sl > SECTION_MAX) {
            rc = cer_err(sl ? -EFBIG : -EINVAL, "CAR: section of %llu bytes at byte %zu (blocks are at most %d)",
                         (unsigned long long)sl, off, CER_BLOCK_MAX);
            goto fail;
        }
        if (sl > len - off - (size_t)rc) {
            rc = cer_err(-EINVAL, "CAR: truncated: the section at byte %zu needs %llu bytes, %zu are left", off,
                         (unsigned long long)sl, len - off - (size_t)rc);
            goto fail;
        }
        off += (size_t)rc;
        if ((cl = cer_cid_from_bytes(&b.cid, car + off, (size_t)sl)) < 0) {
            rc = cer_err_wrap(cl, "CAR: the section at byte %zu has no CID", off);
            goto fail;
        }
        b.data = car + off + cl;
        b.len = (size_t)sl - (size_t)cl;
        if (b.len > CER_BLOCK_MAX) {
            rc = cer_err(-EFBIG, "CAR: block of %zu bytes at byte %zu (at most %d)", b.len, off, CER_BLOCK_MAX);
            goto fail;
        }
        if ((rc = cer_cid_check_block(&b.cid, b.data, b.len)) < 0) {
            char s[CER_CID_STR_MAX];
            cer_cid_to_string(s, sizeof s, &b.cid);
            rc = cer_err_wrap(rc, "CAR: block %s at byte %zu", s, off);
            goto fail;
        }
        if ((rc = add_block(out, &cap, &b)) < 0)
            goto fail;
        off += (size_t)sl;
    }
    if ((rc = build_index(out)) < 0)
        goto fail;
    return 0;
fail:
    cer_car_free(out);
    return rc;
}

void cer_car_free(cer_car *c)
{
    car_index *ix = c->index;

    if (ix)
        free(ix->slot);
    free(ix);
    free(c->roots);
    free(c->blocks);
    memset(c, 0, sizeof *c);
}

const cer_car_block *cer_car_get(const cer_car *c, const cer_cid *cid)
{
    const car_index *ix = c->index;
    size_t *s;

    if (!ix)
        return NULL;
    s = index_find(ix, c->blocks, cid);
    return *s ? &c->blocks[*s - 1] : NULL;
}

int cer_car_put_header(cer_buf *out, const cer_cid *roots, size_t nroots)
{
    uint8_t v[CER_VARINT_MAX];
    cer_buf h = CER_BUF_INIT;
    cer_cbor_w w = CER_CBOR_W_INIT(&h);
    int rc;

    cer_cbor_w_map(&w, 2);  /* canonical key order: "roots" before "version" */
    cer_cbor_w_text(&w, "roots");
    cer_cbor_w_array(&w, nroots);
    for (size_t i = 0; i < nroots; i++)
        cer_cbor_w_link(&w, &roots[i]);
    cer_cbor_w_text(&w, "version");
    cer_cbor_w_uint(&w, 1);
    if ((rc = w.err) == 0 && (rc = cer_buf_append(out, v, cer_varint_put(v, h.len))) == 0)
        rc = cer_buf_append(out, h.data, h.len);
    cer_buf_free(&h);
    return rc < 0 ? cer_err_wrap(rc, "CAR header") : 0;
}

int cer_car_put_block(cer_buf *out, const cer_cid *cid, const uint8_t *data, size_t len)
{
    uint8_t cb[CER_CID_BYTES_MAX], v[CER_VARINT_MAX];
    int cl = cer_cid_to_bytes(cb, sizeof cb, cid), rc;

    if (cl < 0)
        return cl;
    if ((rc = cer_buf_append(out, v, cer_varint_put(v, (uint64_t)cl + len))) < 0 ||
        (rc = cer_buf_append(out, cb, (size_t)cl)) < 0 || (rc = cer_buf_append(out, data, len)) < 0)
        return rc;
    return 0;
}

int cer_car_put_stored(cer_buf *out, cer_store *store, const cer_cid *cid)
{
    cer_buf b = CER_BUF_INIT;
    int rc;

    if ((rc = cer_store_get(store, cid, &b)) == 0)
        rc = cer_car_put_block(out, cid, b.data, b.len);
    cer_buf_free(&b);
    return rc;
}

int cer_car_root(cer_cid *root, const uint8_t *car, size_t len)
{
    cer_car c;
    int rc;

    if ((rc = cer_car_read(&c, car, len)) < 0)
        return rc;
    if (c.nroots != 1)
        rc = cer_err(-EINVAL, "CAR: the header must have exactly one root");
    else
        *root = c.roots[0];
    cer_car_free(&c);
    return rc;
}

int cer_car_each(const uint8_t *car, size_t len,
                 int (*fn)(const cer_cid *cid, const uint8_t *data, size_t n, void *arg), void *arg)
{
    cer_car c;
    int rc;

    if ((rc = cer_car_read(&c, car, len)) < 0)
        return rc;
    rc = c.nblocks > (size_t)INT32_MAX ? cer_err(-EFBIG, "CAR: too many blocks") : (int)c.nblocks;
    for (size_t i = 0; rc >= 0 && fn && i < c.nblocks; i++) {
        int r = fn(&c.blocks[i].cid, c.blocks[i].data, c.blocks[i].len, arg);
        if (r < 0)
            rc = r;
    }
    cer_car_free(&c);
    return rc;
}
