/*
 * merkle.c — CIP-69 anchor Merkle trees (see merkle.h for the shape).
 * Nodes are encoded straight to canonical dag-cbor bytes: an array of 2 or
 * 3 items, each a tag-42 link (0x00 prefix + CID bytes) or null.
 */
#include "merkle.h"
#include "buf.h"
#include "error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    cer_store *store;
    const cer_cid *leaves;
    char (*paths)[CER_MERKLE_PATH_MAX];
    char prefix[CER_MERKLE_PATH_MAX];
    bool has_meta;
    cer_cid meta;
} builder;

static int put_link(cer_buf *b, const cer_cid *cid)
{
    uint8_t raw[CER_CID_BYTES_MAX];
    int n = cer_cid_to_bytes(raw, sizeof raw, cid), rc;
    uint8_t head[4] = {0xd8, 0x2a, 0x58, (uint8_t)(n + 1)};

    if (n < 0)
        return n;
    if (n + 1 > 255)
        return cer_err(-EINVAL, "merkle: CID too long");
    if ((rc = cer_buf_append(b, head, 4)) < 0 || (rc = cer_buf_append(b, "\0", 1)) < 0)
        return rc;
    return cer_buf_append(b, raw, (size_t)n);
}

/* Encode and store [left, right|null(, meta)]. */
static int put_node(builder *bl, cer_cid *out, const cer_cid *left, const cer_cid *right, bool root)
{
    cer_buf b = CER_BUF_INIT;
    bool meta = root && bl->has_meta;
    uint8_t head = meta ? 0x83 : 0x82;
    int rc;

    if ((rc = cer_buf_append(&b, &head, 1)) < 0 || (rc = put_link(&b, left)) < 0)
        goto out;
    if ((rc = right ? put_link(&b, right) : cer_buf_append(&b, "\xf6", 1)) < 0)
        goto out;
    if (meta && (rc = put_link(&b, &bl->meta)) < 0)
        goto out;
    if ((rc = cer_cid_of_block(out, CER_CODEC_DAG_CBOR, b.data, b.len)) < 0)
        goto out;
    if (bl->store)
        rc = cer_store_put(bl->store, out, b.data, b.len);
out:
    cer_buf_free(&b);
    return rc;
}

static void set_path(builder *bl, size_t leaf, size_t depth)
{
    if (!bl->paths)
        return;
    memcpy(bl->paths[leaf], bl->prefix, depth ? 2 * depth - 1 : 0);
    bl->paths[leaf][depth ? 2 * depth - 1 : 0] = '\0';
}

/* Build leaves [lo, hi) at depth; *out is the subtree's CID. */
static int build(builder *bl, cer_cid *out, size_t lo, size_t hi, size_t depth)
{
    size_t mid = lo + (hi - lo) / 2;
    cer_cid l, r;
    int rc;

    if (hi - lo == 1 && depth > 0) {
        *out = bl->leaves[lo];
        set_path(bl, lo, depth);
        return 0;
    }
    if (2 * depth + 2 > CER_MERKLE_PATH_MAX)
        return cer_err(-EFBIG, "merkle: tree too deep");
    if (depth)
        bl->prefix[2 * depth - 1] = '/';
    if (hi - lo == 1) {  /* one leaf for the whole tree */
        bl->prefix[0] = '0';
        set_path(bl, lo, 1);
        return put_node(bl, out, &bl->leaves[lo], NULL, true);
    }
    bl->prefix[2 * depth] = '0';
    if ((rc = build(bl, &l, lo, mid, depth + 1)) < 0)
        return rc;
    if (depth)
        bl->prefix[2 * depth - 1] = '/';
    bl->prefix[2 * depth] = '1';
    if ((rc = build(bl, &r, mid, hi, depth + 1)) < 0)
        return rc;
    return put_node(bl, out, &l, &r, depth == 0);
}

static int put_meta(builder *bl, size_t n)
{
    cer_buf b = CER_BUF_INIT;
    cJSON *m = cJSON_CreateObject();
    int rc;

    if (!m || !cJSON_AddNumberToObject(m, "numEntries", (double)n)) {
        cJSON_Delete(m);
        return cer_err(-ENOMEM, "merkle: out of memory");
    }
    if ((rc = cer_dagcbor_encode(&b, m, 0)) == 0 &&
        (rc = cer_cid_of_block(&bl->meta, CER_CODEC_DAG_CBOR, b.data, b.len)) == 0 && bl->store)
        rc = cer_store_put(bl->store, &bl->meta, b.data, b.len);
    cJSON_Delete(m);
    cer_buf_free(&b);
    return rc;
}

int cer_merkle_build(cer_cid *root, char (*paths)[CER_MERKLE_PATH_MAX], cer_store *store,
                     const cer_cid *leaves, size_t n, bool metadata)
{
    builder bl = {.store = store, .leaves = leaves, .paths = paths, .has_meta = metadata};
    int rc;

    if (n == 0)
        return cer_err(-EINVAL, "merkle: no leaves");
    if (n > CER_MERKLE_LEAVES_MAX)
        return cer_err(-EFBIG, "merkle: %zu leaves, at most %u", n, CER_MERKLE_LEAVES_MAX);
    if (metadata && (rc = put_meta(&bl, n)) < 0)
        return rc;
    return build(&bl, root, 0, n, 0);
}

int cer_merkle_path_of(char out[CER_MERKLE_PATH_MAX], size_t index, size_t n)
{
    size_t len = 0;

    if (index >= n || n > CER_MERKLE_LEAVES_MAX)
        return cer_err(-EINVAL, "merkle: no leaf %zu in a tree of %zu", index, n);
    if (n == 1) {
        strcpy(out, "0");
        return 0;
    }
    while (n > 1) {
        size_t mid = n / 2;
        if (len)
            out[len++] = '/';
        if (index < mid) {
            out[len++] = '0';
            n = mid;
        } else {
            out[len++] = '1';
            index -= mid;
            n -= mid;
        }
    }
    out[len] = '\0';
    return 0;
}

int cer_merkle_path_parse(uint8_t *turns, size_t cap, const char *path)
{
    size_t n = 0;

    for (const char *p = path; *p;) {
        if ((p[0] != '0' && p[0] != '1') || (p[1] != '\0' && (p[1] != '/' || p[2] == '\0')))
            return cer_err(-EINVAL, "anchor path is not a Merkle path");
        if (n >= cap)
            return cer_err(-EFBIG, "anchor path longer than %zu turns", cap);
        turns[n++] = (uint8_t)(p[0] - '0');
        p += p[1] ? 2 : 1;
    }
    return (int)n;
}

/* Primary weight: punctuation, then digits, then letters without case. */
static int weight(unsigned char c)
{
    if (isdigit(c))
        return 0x100 + c;
    if (isalpha(c))
        return 0x200 + tolower(c);
    return c;
}

int cer_merkle_locale_cmp(const char *a, const char *b)
{
    size_t i;

    for (i = 0; a[i] && b[i]; i++)
        if (weight((unsigned char)a[i]) != weight((unsigned char)b[i]))
            return weight((unsigned char)a[i]) < weight((unsigned char)b[i]) ? -1 : 1;
    if (a[i] || b[i])
        return a[i] ? 1 : -1;
    /* same letters: the first difference in case decides, lower first */
    for (i = 0; a[i]; i++)
        if (a[i] != b[i])
            return islower((unsigned char)a[i]) ? -1 : 1;
    return 0;
}

int cer_merkle_leaf_cmp(const char *controller_a, const char *stream_a, const char *controller_b,
                        const char *stream_b)
{
    if (strcmp(controller_a, controller_b) != 0)
        return cer_merkle_locale_cmp(controller_a, controller_b);
    return cer_merkle_locale_cmp(stream_a, stream_b);
}
