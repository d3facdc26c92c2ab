/*
 * json.h — JSON text as JavaScript reads and writes it (JSON.parse,
 * JSON.stringify, @ipld/dag-json), over cJSON values.
 *
 * Internal to core/. The public entry points are cer_json_parse,
 * cer_json_print and cer_json_equal in ceramic.h; this header adds helpers
 * other modules (the DAG-CBOR codec, the CLI) need to follow the same
 * conventions.
 *
 * Project-wide conventions for cJSON values (every module keeps them):
 *
 *   - Strings (values and object keys) are UTF-8, except that U+0000 is
 *     stored as the two bytes C0 80 ("modified UTF-8", as in Java/JNI),
 *     because cJSON strings are NUL-terminated. C0 80 is never valid UTF-8,
 *     so it is unambiguous. cer_json_parse turns \u0000 into C0 80 and
 *     cer_json_print writes C0 80 as \u0000; the DAG-CBOR codec maps
 *     C0 80 <-> 00 when it writes and reads CBOR text. No other invalid
 *     UTF-8 is allowed (the printer refuses it).
 *   - Numbers are doubles (valuedouble; valueint is not used). -0 is kept
 *     as -0.0. NaN and the infinities never come out of the parser.
 *   - An integer that is outside +-(2^53-1) and must stay exact (dag-json
 *     reads such literals as BigInt) is a cJSON_Raw item whose valuestring
 *     is its canonical decimal literal: ^-?[1-9][0-9]*$, within
 *     [-2^64, 2^64-1]. Only cer_json_parse with CER_JSON_EXACT_INTS and the
 *     DAG-CBOR decoder make them (see cer_json_int_new / cer_json_int_get).
 *   - Objects are maps: a repeated key is refused (-EINVAL) rather than
 *     resolved. JSON.parse would keep the last value, @ipld/dag-json
 *     rejects the text; we refuse to drop data silently.
 *   - Nesting is limited to CER_DAGCBOR_DEPTH_MAX containers (a scalar has
 *     depth 0, [] depth 1), as in every other module.
 */
#ifndef CER_JSON_H
#define CER_JSON_H

#include "ceramic.h"

/* The largest integer a double holds exactly with all its neighbours:
 * Number.MAX_SAFE_INTEGER. */
#define CER_JSON_SAFE_INT_MAX 9007199254740991.0

/* The length of the valid UTF-8 sequence at p (1 for ASCII), or 0 when
 * the bytes there (at most len) are not one. */
size_t cer_utf8_seq(const uint8_t *p, size_t len);

/* Room for any cer_json_number_text result, NUL included. */
#define CER_JSON_NUMBER_MAX 32

/* ECMAScript Number::toString(d) into out: the shortest digits that read
 * back as d, "123456789012345680000" below 1e21, "1e+21" and "1.5e-7"
 * beyond, "0.000001" at 1e-6; -0 gives "0", NaN "NaN", infinities
 * "Infinity"/"-Infinity" (cer_json_print writes null for those, as
 * JSON.stringify does). Returns the length. Independent of the locale. */
size_t cer_json_number_text(char out[CER_JSON_NUMBER_MAX], double d);

/* An exact integer in the project convention: value = negative ? -1 - n : n
 * (the CBOR major type 0/1 argument), so every value in [-2^64, 2^64-1]
 * has exactly one form. cer_json_int_new makes a cJSON_Number when the
 * value is within +-(2^53-1) and a cJSON_Raw otherwise; NULL when out of
 * memory. */
cJSON *cer_json_int_new(bool negative, uint64_t n);
/* The inverse for a cJSON_Raw item: checks that its text is a canonical
 * decimal literal within [-2^64, 2^64-1] and splits it as above. Returns 0
 * or -EINVAL (also for anything that is not a cJSON_Raw). */
int cer_json_int_get(bool *negative, uint64_t *n, const cJSON *raw);

#endif
