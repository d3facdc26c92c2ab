/*
 * schemacache.h — compiled JSON Schemas of immutable documents, kept for
 * reuse across loads and saves: a Model's schema under its StreamID (a
 * Model's content never changes after its genesis), a TileDocument schema
 * under its CommitID (a document's content at a commit never changes), as
 * js-ceramic's SchemaValidation caches schemas by CommitID.
 *
 * Internal to core/. Process-wide (the keys name content, whichever node
 * loaded it), at most CER_SCHEMA_CACHE_MAX entries, the least recently
 * used unreferenced one dropped first. Thread-safe.
 */
#ifndef CER_SCHEMACACHE_H
#define CER_SCHEMACACHE_H

#include "ceramic.h"

#define CER_SCHEMA_CACHE_MAX 32

/* The schema cached under key (the mode is part of the key), referenced
 * in *out until cer_schema_cache_release; -ENOENT when none. */
int cer_schema_cache_get(const cer_schema **out, const char *key, unsigned mode);
/* Compile schema (cer_schema_new) and cache it under key, with a copy of
 * extra (NULL: none; a Model's relations); *out as cer_schema_cache_get
 * gives it. Errors as cer_schema_new's. */
int cer_schema_cache_add(const cer_schema **out, const char *key, unsigned mode, const cJSON *schema,
                         const cJSON *extra);
/* The extra kept with s (NULL: none), valid while s is referenced. */
const cJSON *cer_schema_cache_extra(const cer_schema *s);
/* Drop the reference get or add gave (NULL: nothing). */
void cer_schema_cache_release(const cer_schema *s);
/* Validate instance (cer_schema_validate) against the schema cached
 * under key, compiling schema and caching it when none is. */
int cer_schema_cache_validate(const char *key, unsigned mode, const cJSON *schema, const cJSON *instance);

#endif
