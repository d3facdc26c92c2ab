/*
 * jsregex.h — JavaScript (ECMA-262) regular expressions on PCRE2, for JSON
 * Schema's `pattern`, `patternProperties` and the regex-based formats.
 *
 * Internal to core/. A pattern is parsed with ECMA-262's grammar (with the
 * u flag as Ajv compiles patterns, or Annex B's looser one without it, as
 * `new RegExp(str)` reads a "regex" format string), refused where
 * JavaScript throws a SyntaxError, and translated into PCRE2 syntax with
 * JavaScript's meanings: `.` excludes the four line terminators, `\s` is
 * JavaScript's white space set, `$` is the end of input only, a
 * backreference to a group that did not take part matches the empty
 * string. Subjects are strings in the project's convention (U+0000 as
 * C0 80). Matching is bounded (a match limit): a pattern that would
 * backtrack beyond it fails with -EFBIG instead of running for ever.
 *
 * Known differences from V8: a lookbehind must have a bounded length
 * (PCRE2 10.42), a quantifier bound is at most 65535, and a lone surrogate
 * in a pattern matches nothing (strings here never hold one).
 */
#ifndef CER_JSREGEX_H
#define CER_JSREGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cer_jsregex cer_jsregex;

#define CER_JSRE_UNICODE 0x1   /* the u flag (Ajv's unicodeRegExp) */
#define CER_JSRE_ICASE   0x2   /* the i flag */
#define CER_JSRE_SYNTAX  0x4   /* only check the syntax: *out stays NULL */

/* Compile src[0..len) (project strings: U+0000 as C0 80). 0, or -EINVAL
 * with a message like V8's when JavaScript would throw, -ENOMEM. Caller
 * frees *out with cer_jsregex_free. */
int cer_jsregex_new(cer_jsregex **out, const char *src, size_t len, unsigned flags);
void cer_jsregex_free(cer_jsregex *re);

/* RegExp.prototype.test on s[0..len): 1 match, 0 none, -EFBIG when the
 * match limit was reached, -ENOMEM. Thread-safe. */
int cer_jsregex_test(const cer_jsregex *re, const char *s, size_t len);

#endif
