/*
 * strmap.c — hashing for the project's in-memory tables: the keyed hash
 * (cer_hash, SipHash-2-4 under a random per-process key) and the string
 * map on it (see strmap.h): linear probing, removal by backward shift.
 */
#include "strmap.h"
#include "error.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static uint8_t hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

/* Slots examined by this thread's map operations (cer_strmap_probes). */
static _Thread_local uint64_t probes;

static void hash_init(void)
{
    int rc = sodium_init();

    (void)rc;  /* randombytes_buf works without it too */
    randombytes_buf(hash_key, sizeof hash_key);
}

uint64_t cer_hash(const void *data, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    uint64_t h = 0;

    pthread_once(&hash_once, hash_init);
    crypto_shorthash(out, data, len, hash_key);
    for (int i = 0; i < 8; i++)
        h = h << 8 | out[i];
    return h;
}

uint64_t cer_strmap_probes(void)
{
    return probes;
}

static uint64_t hash_of(const char *s)
{
    return cer_hash(s, strlen(s));
}

/* The slot holding key, or the empty slot where it would go; m->cap > 0. */
static size_t find(const cer_strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;

    for (probes++; m->slots[i].key && (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0); probes++)
        i = (i + 1) & mask;
    return i;
}

void cer_strmap_free(cer_strmap *m)
{
    free(m->slots);
    *m = (cer_strmap)CER_STRMAP_INIT;
}

void *cer_strmap_get(const cer_strmap *m, const char *key)
{
    return m->cap ? m->slots[find(m, key, hash_of(key))].value : NULL;
}

int cer_strmap_reserve(cer_strmap *m, size_t more)
{
    size_t cap = m->cap ? m->cap : 16;
    cer_strmap_slot *slots;

    if (more > SIZE_MAX / 4 - m->count)
        return cer_err(-ENOMEM, "strmap: %zu entries are too many", more);
    while (cap < 2 * (m->count + more))
        cap *= 2;
    if (cap == m->cap)
        return 0;
    if (!(slots = calloc(cap, sizeof *slots)))
        return cer_err(-ENOMEM, "strmap: out of memory");
    for (size_t i = 0; i < m->cap; i++) {
        size_t j = (size_t)m->slots[i].hash & (cap - 1);

        if (!m->slots[i].key)
            continue;
        for (probes++; slots[j].key; probes++)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int cer_strmap_put(cer_strmap *m, const char *key, void *value)
{
    uint64_t h = hash_of(key);
    size_t i = 0, cap = m->cap;
    int rc;

    if (cap) {
        i = find(m, key, h);
        if (m->slots[i].key) {
            m->slots[i].key = key;
            m->slots[i].value = value;
            return 0;
        }
    }
    if ((rc = cer_strmap_reserve(m, 1)) < 0)
        return rc;
    if (m->cap != cap)
        i = find(m, key, h);
    m->slots[i] = (cer_strmap_slot){h, key, value};
    m->count++;
    return 0;
}

void *cer_strmap_del(cer_strmap *m, const char *key)
{
    size_t mask = m->cap - 1, i, j;
    void *value;

    if (!m->cap)
        return NULL;
    i = find(m, key, hash_of(key));
    if (!m->slots[i].key)
        return NULL;
    value = m->slots[i].value;
    /* shift back each later entry of the run whose home is not in (i, j] */
    for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = (size_t)m->slots[j].hash & mask;

        probes++;
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i] = (cer_strmap_slot){0, NULL, NULL};
    m->count--;
    return value;
}

void *cer_strmap_next(const cer_strmap *m, size_t *pos)
{
    for (; *pos < m->cap; (*pos)++)
        if (m->slots[*pos].key)
            return m->slots[(*pos)++].value;
    return NULL;
}
