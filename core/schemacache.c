/*
 * schemacache.c — compiled JSON Schemas of immutable documents, kept for
 * reuse (see schemacache.h). A fixed table under one mutex: lookups are
 * CER_SCHEMA_CACHE_MAX string compares, nothing compiles under the lock.
 * A schema in use is never dropped; one never admitted (the table full
 * of schemas in use) is its caller's alone, freed by its release.
 */
#include "schemacache.h"
#include "error.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;            /* NULL: a free slot */
    unsigned mode;
    cer_schema *s;
    unsigned refs;
    uint64_t used;        /* clock of the last get/add */
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[CER_SCHEMA_CACHE_MAX];
static uint64_t clock_now;

int cer_schema_cache_get(const cer_schema **out, const char *key, unsigned mode)
{
    int rc = -ENOENT;

    *out = NULL;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CER_SCHEMA_CACHE_MAX; i++) {
        entry *e = &table[i];
        if (e->key && e->mode == mode && strcmp(e->key, key) == 0) {
            e->refs++;
            e->used = ++clock_now;
            *out = e->s;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* The slot for a new entry: a free one, else the least recently used
 * one not in use (its schema freed), else NULL. Under lock. */
static entry *free_slot(void)
{
    entry *best = NULL;

    for (size_t i = 0; i < CER_SCHEMA_CACHE_MAX; i++) {
        entry *e = &table[i];
        if (!e->key)
            return e;
        if (e->refs == 0 && (!best || e->used < best->used))
            best = e;
    }
    if (best) {
        free(best->key);
        cer_schema_free(best->s);
        memset(best, 0, sizeof *best);
    }
    return best;
}

int cer_schema_cache_add(const cer_schema **out, const char *key, unsigned mode, const cJSON *schema)
{
    cer_schema *s = NULL;
    char *k;
    entry *e;
    int rc;

    *out = NULL;
    if ((rc = cer_schema_new(&s, schema, mode)) < 0)
        return rc;
    if (!(k = strdup(key))) {
        cer_schema_free(s);
        return cer_err(-ENOMEM, "schema cache: out of memory");
    }
    pthread_mutex_lock(&lock);
    if ((e = free_slot())) {
        *e = (entry){k, mode, s, 1, ++clock_now};
        k = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(k);  /* not admitted: s is the caller's alone, freed by its release */
    *out = s;
    return 0;
}

void cer_schema_cache_release(const cer_schema *s)
{
    bool cached = false;

    if (!s)
        return;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CER_SCHEMA_CACHE_MAX && !cached; i++)
        if (table[i].key && table[i].s == s) {
            table[i].refs--;
            cached = true;
        }
    pthread_mutex_unlock(&lock);
    if (!cached)
        cer_schema_free((cer_schema *)s);
}

int cer_schema_cache_validate(const char *key, unsigned mode, const cJSON *schema, const cJSON *instance)
{
    const cer_schema *s;
    int rc;

    if (cer_schema_cache_get(&s, key, mode) < 0 && (rc = cer_schema_cache_add(&s, key, mode, schema)) < 0)
        return rc;
    rc = cer_schema_validate(s, instance, NULL, NULL);
    cer_schema_cache_release(s);
    return rc;
}
