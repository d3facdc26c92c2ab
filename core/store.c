/*
 * store.c — the block store front end and the in-memory backend.
 *
 * The front end (cer_store_*) is where blocks are checked: a put must hash
 * to its CID and fit CER_BLOCK_MAX, and every get recomputes the CID over
 * the bytes read, so a corrupted file or a lying backend is caught at the
 * boundary and never reaches a decoder. Backends (this file's memory store,
 * flatfs.c's directory store, later IPFS) only move bytes.
 */
#include "store.h"
#include "buf.h"
#include "cid.h"
#include "error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int check_size(size_t len)
{
    if (len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "store: block of %zu bytes is over the %d byte limit", len, CER_BLOCK_MAX);
    return 0;
}

int cer_store_put(cer_store *s, const cer_cid *cid, const uint8_t *data, size_t len)
{
    int rc;

    if ((rc = check_size(len)) < 0)
        return rc;
    if ((rc = cer_cid_check_block(cid, data, len)) < 0)
        return cer_err_wrap(rc, "store: refusing block");
    return s->ops->put(s, cid, data, len);
}

int cer_store_get(cer_store *s, const cer_cid *cid, cer_buf *out)
{
    char name[CER_CID_STR_MAX];
    int rc;

    out->len = 0;
    if ((rc = s->ops->get(s, cid, out)) < 0)
        return rc;
    if (cer_cid_to_string(name, sizeof name, cid) < 0)
        name[0] = '\0';
    if (out->len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "store: block %s of %zu bytes is over the %d byte limit", name, out->len,
                       CER_BLOCK_MAX);
    if ((rc = cer_cid_check_block(cid, out->data, out->len)) < 0)
        return cer_err_wrap(rc, "store: block %s is corrupted", name);
    return 0;
}

int cer_store_has(cer_store *s, const cer_cid *cid)
{
    return s->ops->has(s, cid);
}

int cer_store_each(cer_store *s, int (*fn)(const cer_cid *cid, void *arg), void *arg)
{
    if (!s->ops->each)
        return cer_err(-ENOTSUP, "store: this store cannot list its blocks");
    return s->ops->each(s, fn, arg);
}

void cer_store_close(cer_store *s)
{
    if (s)
        s->ops->close(s);
}

/* The blocks of a commit we built ourselves were hashed as they were made
 * (cer_tile_*), so their CIDs are not computed a second time here. */
int cer_store_put_commit(cer_store *s, const cer_commit_blocks *c)
{
    cer_block v[2] = {c->payload, c->envelope};
    size_t n = c->is_signed ? 2 : 1;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++)
        rc = check_size(v[i].bytes.len);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s->ops->put(s, &v[i].cid, v[i].bytes.data, v[i].bytes.len);
    return rc;
}

/* ---- the memory backend: a hash table of blocks, guarded by a mutex ---- */

typedef struct mem_block {
    struct mem_block *next;
    cer_cid cid;
    size_t len;
    uint8_t data[];
} mem_block;

typedef struct mem_store {
    cer_store base;
    pthread_mutex_t lock;
    size_t nbuckets, count;
    mem_block **buckets;
} mem_store;

static size_t bucket_of(const mem_store *m, const cer_cid *cid)
{
    return (size_t)(cer_cid_hash(cid) % m->nbuckets);
}

static mem_block *mem_find(const mem_store *m, const cer_cid *cid)
{
    for (mem_block *b = m->buckets[bucket_of(m, cid)]; b; b = b->next)
        if (cer_cid_equal(&b->cid, cid))
            return b;
    return NULL;
}

static int mem_grow(mem_store *m)
{
    size_t n = m->nbuckets * 2;
    mem_block **nb = calloc(n, sizeof *nb), **old = m->buckets;
    size_t oldn = m->nbuckets;

    if (!nb)
        return cer_err(-ENOMEM, "store: out of memory");
    m->buckets = nb;
    m->nbuckets = n;
    for (size_t i = 0; i < oldn; i++)
        for (mem_block *b = old[i], *next; b; b = next) {
            size_t k = bucket_of(m, &b->cid);
            next = b->next;
            b->next = nb[k];
            nb[k] = b;
        }
    free(old);
    return 0;
}

static int mem_put(cer_store *s, const cer_cid *cid, const uint8_t *data, size_t len)
{
    mem_store *m = (mem_store *)s;
    mem_block *b;
    size_t k;
    int rc = 0;

    pthread_mutex_lock(&m->lock);
    if (mem_find(m, cid))
        goto out;
    if (m->count >= m->nbuckets && (rc = mem_grow(m)) < 0)
        goto out;
    if (!(b = malloc(sizeof *b + len))) {
        rc = cer_err(-ENOMEM, "store: out of memory");
        goto out;
    }
    b->cid = *cid;
    b->len = len;
    memcpy(b->data, data, len);
    k = bucket_of(m, cid);
    b->next = m->buckets[k];
    m->buckets[k] = b;
    m->count++;
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int mem_get(cer_store *s, const cer_cid *cid, cer_buf *out)
{
    mem_store *m = (mem_store *)s;
    mem_block *b;
    int rc;

    pthread_mutex_lock(&m->lock);
    b = mem_find(m, cid);
    rc = b ? cer_buf_append(out, b->data, b->len) : -ENOENT;
    pthread_mutex_unlock(&m->lock);
    if (rc == -ENOENT) {
        char name[CER_CID_STR_MAX];
        cer_cid_to_string(name, sizeof name, cid);
        return cer_err(-ENOENT, "store: no block %s", name);
    }
    return rc;
}

static int mem_has(cer_store *s, const cer_cid *cid)
{
    mem_store *m = (mem_store *)s;
    int found;

    pthread_mutex_lock(&m->lock);
    found = mem_find(m, cid) != NULL;
    pthread_mutex_unlock(&m->lock);
    return found;
}

static void mem_close(cer_store *s)
{
    mem_store *m = (mem_store *)s;

    for (size_t i = 0; i < m->nbuckets; i++)
        for (mem_block *b = m->buckets[i], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    free(m->buckets);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int mem_each(cer_store *s, int (*fn)(const cer_cid *cid, void *arg), void *arg)
{
    mem_store *m = (mem_store *)s;
    cer_cid *cids;
    size_t n = 0;
    int rc = 0;

    /* copy the CIDs, so fn may use the store */
    pthread_mutex_lock(&m->lock);
    cids = malloc((m->count ? m->count : 1) * sizeof *cids);
    for (size_t i = 0; cids && i < m->nbuckets; i++)
        for (mem_block *b = m->buckets[i]; b; b = b->next)
            cids[n++] = b->cid;
    pthread_mutex_unlock(&m->lock);
    if (!cids)
        return cer_err(-ENOMEM, "store: out of memory");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(&cids[i], arg);
    free(cids);
    return rc;
}

static const cer_store_ops mem_ops = {mem_put, mem_get, mem_has, mem_close, mem_each};

int cer_store_open_mem(cer_store **out)
{
    mem_store *m = calloc(1, sizeof *m);

    *out = NULL;
    if (!m || !(m->buckets = calloc(64, sizeof *m->buckets))) {
        free(m);
        return cer_err(-ENOMEM, "store: out of memory");
    }
    m->nbuckets = 64;
    m->base.ops = &mem_ops;
    pthread_mutex_init(&m->lock, NULL);
    *out = &m->base;
    return 0;
}
