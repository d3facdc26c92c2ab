/*
 * schemacache.c — compiled JSON Schemas of immutable documents, kept for
 * reuse (see schemacache.h). A fixed table under one mutex: lookups are
 * CER_SCHEMA_CACHE_MAX string compares, nothing compiles under the lock.
 * A schema in use is never dropped; one never admitted (the table full
 * of schemas in use) goes to a spill list, freed by its release.
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
    cJSON *extra;         /* what the caller keeps with the schema, or NULL */
    unsigned refs;
    uint64_t used;        /* clock of the last get/add */
    struct entry *next;   /* spill list only */
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[CER_SCHEMA_CACHE_MAX];
static entry *spill;      /* not admitted (the table full of schemas in use):
                             their callers' alone, freed by their release */
static uint64_t clock_now;

static void entry_free(entry *e)
{
    free(e->key);
    cer_schema_free(e->s);
    cJSON_Delete(e->extra);
}

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
        entry_free(best);
        memset(best, 0, sizeof *best);
    }
    return best;
}

int cer_schema_cache_add(const cer_schema **out, const char *key, unsigned mode, const cJSON *schema,
                         const cJSON *extra)
{
    entry n = {.mode = mode, .refs = 1}, *e;
    int rc;

    *out = NULL;
    if ((rc = cer_schema_new(&n.s, schema, mode)) < 0)
        return rc;
    if (!(n.key = strdup(key)) || (extra && !(n.extra = cJSON_Duplicate(extra, true)))) {
        entry_free(&n);
        return cer_err(-ENOMEM, "schema cache: out of memory");
    }
    pthread_mutex_lock(&lock);
    if ((e = free_slot())) {
        n.used = ++clock_now;
        *e = n;
    } else if ((e = malloc(sizeof *e))) {
        free(n.key);
        n.key = NULL;  /* found by its schema only */
        *e = n;
        e->next = spill;
        spill = e;
    }
    pthread_mutex_unlock(&lock);
    if (!e) {
        entry_free(&n);
        return cer_err(-ENOMEM, "schema cache: out of memory");
    }
    *out = n.s;
    return 0;
}

/* The entry of s, in the table or the spill list (its link in *link).
 * Under lock. */
static entry *entry_of(const cer_schema *s, entry ***link)
{
    *link = NULL;
    for (size_t i = 0; i < CER_SCHEMA_CACHE_MAX; i++)
        if (table[i].key && table[i].s == s)
            return &table[i];
    for (*link = &spill; **link; *link = &(**link)->next)
        if ((**link)->s == s)
            return **link;
    return NULL;
}

const cJSON *cer_schema_cache_extra(const cer_schema *s)
{
    entry **link, *e;
    const cJSON *extra;

    pthread_mutex_lock(&lock);
    e = entry_of(s, &link);
    extra = e ? e->extra : NULL;
    pthread_mutex_unlock(&lock);
    return extra;
}

void cer_schema_cache_release(const cer_schema *s)
{
    entry **link, *e, *gone = NULL;

    if (!s)
        return;
    pthread_mutex_lock(&lock);
    if ((e = entry_of(s, &link)) && --e->refs == 0 && link) {
        *link = e->next;
        gone = e;
    }
    pthread_mutex_unlock(&lock);
    if (gone) {
        entry_free(gone);
        free(gone);
    }
}

int cer_schema_cache_validate(const char *key, unsigned mode, const cJSON *schema, const cJSON *instance)
{
    const cer_schema *s;
    int rc;

    if (cer_schema_cache_get(&s, key, mode) < 0 && (rc = cer_schema_cache_add(&s, key, mode, schema, NULL)) < 0)
        return rc;
    rc = cer_schema_validate(s, instance, NULL, NULL);
    cer_schema_cache_release(s);
    return rc;
}
