/*
 * strmap.h — a hash map from strings to pointers: the node's open streams,
 * the registry's records by StreamID and by alias, the members of a JSON
 * object being parsed.
 *
 * Keys are hashed with cer_hash (keyed SipHash, ceramic.h), so no choice
 * of keys makes a lookup slower than chance would. Open addressing with
 * linear probing, at most half full; a removal
 * shifts the entries after it back, so there are no tombstones. The map
 * borrows each key: it must stay valid and unchanged while its entry is
 * in the map (keys usually live in the value they map to). Not locked:
 * callers hold their own lock. Internal to core/.
 */
#ifndef CER_STRMAP_H
#define CER_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cer_strmap_slot {
    uint64_t hash;
    const char *key;        /* NULL: empty */
    void *value;
} cer_strmap_slot;

typedef struct cer_strmap {
    cer_strmap_slot *slots; /* owned; NULL until the first reserve */
    size_t cap;             /* 0 or a power of two */
    size_t count;
} cer_strmap;

#define CER_STRMAP_INIT {NULL, 0, 0}

/* Frees the table (not the keys or values); the map is empty after. */
void cer_strmap_free(cer_strmap *m);

/* The value of key, or NULL. */
void *cer_strmap_get(const cer_strmap *m, const char *key);

/* Room for more entries: the next `more` puts of new keys cannot fail.
 * 0, or -ENOMEM with the map unchanged. */
int cer_strmap_reserve(cer_strmap *m, size_t more);

/* Maps key to value (replacing the value of an equal key); key borrowed.
 * 0, or -ENOMEM with the map unchanged (never after a reserve). */
int cer_strmap_put(cer_strmap *m, const char *key, void *value);

/* Removes key; its value, or NULL when it was not there. */
void *cer_strmap_del(cer_strmap *m, const char *key);

/* Iteration: start with *pos = 0; each call returns the next value and
 * advances *pos, NULL at the end. The map must not change meanwhile. */
void *cer_strmap_next(const cer_strmap *m, size_t *pos);

/* The slots this thread's map operations examined so far (lookups, puts,
 * removals, rehashing): the map's work, counted, for tests. */
uint64_t cer_strmap_probes(void);

#endif
