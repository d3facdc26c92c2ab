/*
 * error.h — the per-thread "last error" message behind cer_errmsg().
 *
 * Internal to core/. A failing function records why with cer_err() and
 * returns the negative errno it was given, so the idiom is
 *     return cer_err(-EINVAL, "varint: truncated after %zu bytes", n);
 */
#ifndef CER_ERROR_H
#define CER_ERROR_H

#include "ceramic.h"

#include <errno.h>

#if defined(__GNUC__)
#define CER_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CER_PRINTF(a, b)
#endif

/* Record a formatted message for this thread and return code. */
int cer_err(int code, const char *fmt, ...) CER_PRINTF(2, 3);
/* Prefix the current message with "<prefix>: " and return code; use when
 * passing an error up with context. */
int cer_err_wrap(int code, const char *fmt, ...) CER_PRINTF(2, 3);

/* Room for a cer_excerpt result. */
#define CER_EXCERPT_MAX 72

/* A printable excerpt of untrusted input for an error message: at most 64
 * bytes of whole UTF-8 characters, controls, bidirectional overrides and
 * bytes that are not UTF-8 as '?', "..." when cut. Returns out. */
const char *cer_excerpt(char out[CER_EXCERPT_MAX], const char *s);

#endif
