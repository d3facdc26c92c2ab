/*
 * dagcbor.h — canonical DAG-CBOR (public API in ceramic.h) and the internal
 * streaming writer that other core modules use to build blocks.
 *
 * Commit builders and DAG-JOSE write maps whose values mix links and byte
 * strings with plain user JSON, which neither a pure cJSON tree nor the
 * dag-json convention can express safely (user content may itself contain
 * a "/" key). The writer lets them emit such blocks item by item:
 *
 *     cer_cbor_w w = CER_CBOR_W_INIT(&buf);
 *     cer_cbor_w_map(&w, 2);                  -- keys in canonical order:
 *     cer_cbor_w_text(&w, "id");              --   by length, then bytewise
 *     cer_cbor_w_link(&w, &genesis);
 *     cer_cbor_w_text(&w, "data");
 *     cer_cbor_w_json(&w, content, 0);        -- user JSON, canonicalised
 *     if (w.err) ...                          -- the first error, negative errno
 *
 * The first error sticks and turns every later call into a no-op, so a
 * builder checks w.err once at the end. The writer does not count items:
 * the caller writes exactly the number of entries it announced, keys in
 * canonical order. After an error out holds a partial item; discard it.
 */
#ifndef CER_DAGCBOR_H
#define CER_DAGCBOR_H

#include "ceramic.h"

typedef struct cer_cbor_w {
    cer_buf *out;    /* appended to */
    int err;         /* 0, or the first error (negative errno; cer_errmsg() says why) */
    unsigned depth;  /* maps/arrays the caller has open around the value it
                        writes next with cer_cbor_w_json, so that the depth
                        limit holds for the whole block (the decoder checks
                        it there); 0 by default */
} cer_cbor_w;
#define CER_CBOR_W_INIT(buf) {(buf), 0, 0}

/* Heads of definite-length containers: a map of n entries (the caller then
 * writes n key/value pairs) or an array of n items. */
void cer_cbor_w_map(cer_cbor_w *w, size_t n);
void cer_cbor_w_array(cer_cbor_w *w, size_t n);
/* Text string (major 3): the bytes as given, no UTF-8 check (JS strings are
 * always encodable). */
void cer_cbor_w_text(cer_cbor_w *w, const char *s);
void cer_cbor_w_textn(cer_cbor_w *w, const char *s, size_t n);
/* Byte string (major 2). */
void cer_cbor_w_bytes(cer_cbor_w *w, const uint8_t *p, size_t n);
/* A link: tag 42 over a byte string of 0x00 followed by the CID bytes. */
void cer_cbor_w_link(cer_cbor_w *w, const cer_cid *cid);
/* Integers, shortest form (major 0 or 1). */
void cer_cbor_w_uint(cer_cbor_w *w, uint64_t v);
void cer_cbor_w_int(cer_cbor_w *w, int64_t v);
/* A JS number as @ipld/dag-cbor writes it: integral and within
 * +-(2^53-1) as an integer (-0 as 0), anything else as float64; NaN and
 * infinities fail with -EINVAL. */
void cer_cbor_w_number(cer_cbor_w *w, double v);
void cer_cbor_w_bool(cer_cbor_w *w, bool v);
void cer_cbor_w_null(cer_cbor_w *w);
/* Any JSON value, canonical, with the rules and flags of cer_dagcbor_encode
 * (CER_DAGJSON: dag-json links and bytes). Duplicate keys -EINVAL; more
 * than CER_DAGCBOR_DEPTH_MAX maps/arrays open at once (w->depth included)
 * -EFBIG. */
void cer_cbor_w_json(cer_cbor_w *w, const cJSON *v, unsigned flags);

#endif
