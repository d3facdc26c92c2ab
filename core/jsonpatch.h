/*
 * jsonpatch.h — JSON Patch (RFC 6902) over JSON Pointer (RFC 6901).
 *
 * Internal to core/. The module backs the public cer_patch_apply, which
 * applies a TileDocument update's `data` to the stream content, and
 * cer_patch_diff, which computes that `data` for an edit exactly as
 * js-ceramic does with fast-json-patch 3.1.1's compare(). The rules of
 * both are described at the top of jsonpatch.c.
 */
#ifndef CER_JSONPATCH_H
#define CER_JSONPATCH_H

#include "ceramic.h"

/* Validate every operation of patch (an array; each op one of the six,
 * with the members it needs and well-formed pointers) without applying
 * it; cer_errmsg() names the operation as cer_patch_apply does. */
int cer_patch_check(const cJSON *patch);

/* Members stepped over, indexed or moved by this thread's patch
 * applications so far: the work their lookups did, for tests to bound. */
uint64_t cer_patch_visits(void);

#endif
