/*
 * json.c — JSON text read and written the way JavaScript does it, so that
 * what ceramicfs prints and hashes matches js-ceramic byte for byte.
 *
 * cJSON's own parser and printer are not used: they cannot hold U+0000,
 * keep duplicate keys, reject lone surrogates, print numbers with %.17g and
 * have no exact 64-bit integers. The conventions for the cJSON values made
 * here are described in json.h.
 *
 * Parser (cer_json_parse): RFC 8259 exactly, which is also the grammar of
 * JSON.parse — one value with only space, tab, CR and LF around it; no
 * comments, trailing commas, leading zeros, '+', NaN or Infinity; no
 * unescaped control characters in strings; escapes \" \\ \/ \b \f \n \r \t
 * and \uXXXX. The whole input must be valid UTF-8 (no BOM). Escaped
 * surrogate pairs combine; a lone escaped surrogate becomes U+FFFD, which
 * is what JavaScript's UTF-8 encoders (TextEncoder, Buffer, cborg) write
 * for it. Numbers are what JSON.parse gives (strtod, correctly rounded),
 * except that a literal that overflows to +-Infinity is an error, since it
 * could never be stored. With CER_JSON_EXACT_INTS a literal without
 * fraction and exponent outside +-(2^53-1) becomes an exact cJSON_Raw
 * integer (json.h), as @ipld/dag-json reads it as a BigInt; beyond 64 bits
 * it is an error. Every error names its line and column (in characters).
 * The parser recurses once per open container, at most
 * CER_DAGCBOR_DEPTH_MAX deep, and builds every array and object in linear
 * time (members are linked to a tail pointer; repeated keys are found in
 * the shared string map, whose keyed hash no choice of keys can defeat,
 * once an object has more than a few members).
 *
 * Printer (cer_json_print): JSON.stringify(v) or, with CER_JSON_PRETTY,
 * JSON.stringify(v, null, 2). Object members come in JavaScript property
 * order: keys that are array indices ("0".."4294967294" in canonical form)
 * first in ascending numeric order, then the others in cJSON order. Numbers
 * are written as Number::toString (cer_json_number_text); NaN and the
 * infinities as null. Strings escape what JSON.stringify escapes: '"', '\\',
 * \b \f \n \r \t, other controls as \u00xx (C0 80 as \u0000), nothing else.
 * (Well-formed JSON.stringify also escapes lone surrogates as \udXXX; our
 * strings cannot hold one, as the parser makes them U+FFFD and the printer
 * refuses surrogate code points as invalid UTF-8.)
 */
#include "json.h"
#include "buf.h"
#include "error.h"
#include "strmap.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX CER_DAGCBOR_DEPTH_MAX
#define TYPE(item) ((item)->type & 0xff)

/* Objects with more members than this find repeated keys with a map. */
#define SMALL_OBJECT 8

/* ------------------------------------------------------------------ */
/* UTF-8                                                                */
/* ------------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at p[0..len), or 0 if the bytes
 * there are not one (overlong forms, surrogates and code points above
 * U+10FFFF are invalid). */
size_t cer_utf8_seq(const uint8_t *p, size_t len)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (len < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* The code point of the valid sequence of n bytes at p. */
static uint32_t utf8_decode(const uint8_t *p, size_t n)
{
    static const uint8_t lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t cp = p[0] & lead_mask[n];

    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3f);
    return cp;
}

/* Appends code point cp (not a surrogate, at most U+10FFFF) as UTF-8, with
 * U+0000 as C0 80. */
static int utf8_put(cer_buf *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;

    if (cp == 0) {
        u[0] = 0xc0;
        u[1] = 0x80;
        n = 2;
    } else if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | cp >> 6);
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | cp >> 12);
        u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | cp >> 18);
        u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return cer_buf_append(b, u, n);
}

/* ------------------------------------------------------------------ */
/* Numbers as text (ECMAScript Number::toString)                        */
/* ------------------------------------------------------------------ */

/* A decimal d1 d2 ... dk x 10^(exp10 - k + 1), as in "%.*e". */
typedef struct decimal {
    char digits[20];
    int k;
    int exp10;   /* exponent of the first digit */
} decimal;

/* The value the decimal reads back as. The text has no decimal point, so
 * strtod's locale does not matter. */
static double decimal_value(const decimal *dec)
{
    char s[64];

    snprintf(s, sizeof s, "%.*se%d", dec->k, dec->digits, dec->exp10 - dec->k + 1);
    return strtod(s, NULL);
}

/* The nearest k-digit decimal to d > 0 (glibc's printf rounds exactly,
 * ties to even). */
static void decimal_nearest(decimal *dec, double d, int k)
{
    char s[64], *e;
    int n = 0;

    snprintf(s, sizeof s, "%.*e", k - 1, d);
    e = strchr(s, 'e');
    for (const char *p = s; p < e; p++)
        if (*p >= '0' && *p <= '9')
            dec->digits[n++] = *p;
    dec->k = n;
    dec->exp10 = (int)strtol(e + 1, NULL, 10);
}

/* The next k-digit decimal up (dir > 0) or down (dir < 0). */
static void decimal_step(decimal *dec, int dir)
{
    int i = dec->k - 1;

    if (dir > 0) {
        while (i >= 0 && dec->digits[i] == '9')
            dec->digits[i--] = '0';
        if (i >= 0) {
            dec->digits[i]++;
        } else {  /* 99..9 -> 100..0 */
            dec->digits[0] = '1';
            dec->exp10++;
        }
    } else {
        while (i >= 0 && dec->digits[i] == '0')
            dec->digits[i--] = '9';
        dec->digits[i]--;  /* the first digit is never 0 */
        if (dec->digits[0] == '0') {  /* 10..0 -> 99..9 */
            memmove(dec->digits, dec->digits + 1, (size_t)dec->k - 1);
            dec->digits[dec->k - 1] = '9';
            dec->exp10--;
        }
    }
}

/* The k-digit decimal that reads back as d > 0 and is closest to it, if
 * there is one. It is the nearest k-digit decimal, or when that falls just
 * outside d's rounding interval (which is lopsided at powers of two) its
 * neighbour on the other side of d. */
static bool decimal_shortest_at(decimal *dec, double d, int k)
{
    double v;

    decimal_nearest(dec, d, k);
    v = decimal_value(dec);
    if (v == d)
        return true;
    decimal_step(dec, v < d ? 1 : -1);
    return decimal_value(dec) == d;
}

/* The fewest digits that read back as d > 0 (Number::toString's k, n and
 * s). Whether k digits suffice is monotonic in k, so bisect; 17 always do.
 * First 15: a decimal of k <= 15 digits that reads back as d is within
 * half an ulp of it (< 1.2e-16 relative), far inside half a unit of the
 * 15th digit (>= 5e-16), so it is d rounded to 15 digits, trailing zeros
 * dropped; when that does not read back, 16 or 17 digits are needed.
 * (Normal doubles only: a subnormal's ulp is larger.) */
static void decimal_shortest(decimal *dec, double d)
{
    int lo = 16, hi = 17;
    bool found = false;

    if (d >= DBL_MIN) {  /* normal: subnormals have fewer significant bits */
        decimal_nearest(dec, d, 15);
        found = decimal_value(dec) == d;
    } else {
        lo = 1;
    }
    while (!found && lo < hi) {
        int mid = (lo + hi) / 2;

        if (decimal_shortest_at(dec, d, mid))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (!found)
        decimal_shortest_at(dec, d, lo);
    while (dec->k > 1 && dec->digits[dec->k - 1] == '0')  /* after a carry */
        dec->k--;
}

size_t cer_json_number_text(char out[CER_JSON_NUMBER_MAX], double d)
{
    decimal dec;
    char *o = out;
    int n;

    if (isnan(d))
        return (size_t)snprintf(out, CER_JSON_NUMBER_MAX, "NaN");
    if (isinf(d))
        return (size_t)snprintf(out, CER_JSON_NUMBER_MAX, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0)
        return (size_t)snprintf(out, CER_JSON_NUMBER_MAX, "0");
    if (d < 0) {
        *o++ = '-';
        d = -d;
    }
    /* below 2^53 every integer is a double: an integral one's shortest
     * digits are its own (the common case, counts and times, without the
     * search) */
    if (d < 9007199254740992.0 && d == floor(d))
        return (size_t)(o - out) + (size_t)snprintf(o, CER_JSON_NUMBER_MAX - 1, "%lld", (long long)d);
    decimal_shortest(&dec, d);
    n = dec.exp10 + 1;  /* the spec's n: value = 0.s x 10^n */
    if (dec.k <= n && n <= 21) {
        memcpy(o, dec.digits, (size_t)dec.k);
        o += dec.k;
        memset(o, '0', (size_t)(n - dec.k));
        o += n - dec.k;
    } else if (0 < n && n <= 21) {
        memcpy(o, dec.digits, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, dec.digits + n, (size_t)(dec.k - n));
        o += dec.k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        memset(o, '0', (size_t)-n);
        o += -n;
        memcpy(o, dec.digits, (size_t)dec.k);
        o += dec.k;
    } else {
        *o++ = dec.digits[0];
        if (dec.k > 1) {
            *o++ = '.';
            memcpy(o, dec.digits + 1, (size_t)dec.k - 1);
            o += dec.k - 1;
        }
        o += snprintf(o, 8, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* ------------------------------------------------------------------ */
/* Exact integers (cJSON_Raw)                                           */
/* ------------------------------------------------------------------ */

/* Compares two digit strings without leading zeros as numbers. */
static int digits_cmp(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);

    if (alen != blen)
        return alen < blen ? -1 : 1;
    return memcmp(a, b, alen);
}

/* Digits of |value| (no sign, no leading zeros) within the 64-bit range of
 * the convention: up to 2^64-1, or 2^64 when negative. */
static bool digits_in_int64_range(const char *digits, size_t len, bool negative)
{
    return digits_cmp(digits, len, negative ? "18446744073709551616" : "18446744073709551615") <= 0;
}

static bool digits_are_safe(const char *digits, size_t len)
{
    return digits_cmp(digits, len, "9007199254740991") <= 0;
}

cJSON *cer_json_int_new(bool negative, uint64_t n)
{
    char s[24], *p = s + sizeof s;
    uint64_t mag = negative ? n + 1 : n;  /* |value|, 0 for -2^64 (wraps) */
    bool wrapped = negative && n == UINT64_MAX;

    if (mag <= (uint64_t)CER_JSON_SAFE_INT_MAX && !wrapped)
        return cJSON_CreateNumber(negative ? -(double)mag : (double)mag);
    *--p = '\0';
    if (wrapped) {
        p -= 20;
        memcpy(p, "18446744073709551616", 20);
    } else {
        do {
            *--p = (char)('0' + mag % 10);
            mag /= 10;
        } while (mag);
    }
    if (negative)
        *--p = '-';
    return cJSON_CreateRaw(p);
}

int cer_json_int_get(bool *negative, uint64_t *n, const cJSON *raw)
{
    const char *s, *d;
    size_t len;
    uint64_t v = 0;
    bool neg;

    if (!raw || TYPE(raw) != cJSON_Raw || !raw->valuestring)
        return cer_err(-EINVAL, "json: not an exact integer (cJSON_Raw)");
    s = raw->valuestring;
    neg = s[0] == '-';
    d = s + neg;
    len = strlen(d);
    if (len == 0 || d[0] < '1' || d[0] > '9' || strspn(d, "0123456789") != len)
        return cer_err(-EINVAL, "json: raw integer \"%.40s\" is not a canonical decimal", s);
    if (!digits_in_int64_range(d, len, neg))
        return cer_err(-EINVAL, "json: raw integer %.40s out of 64-bit range", s);
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (uint64_t)(d[i] - '0');  /* wraps to 0 only for 2^64 */
    *negative = neg;
    *n = neg ? v - 1 : v;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Parser                                                               */
/* ------------------------------------------------------------------ */

typedef struct parser {
    const char *text;
    const char *end;
    const char *p;       /* next unread byte */
    unsigned flags;
    unsigned depth;      /* containers open around p */
    cer_buf str;         /* the string being decoded */
} parser;

/* Line and column (both from 1, the column in characters) of at. */
static void position(const parser *ps, const char *at, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;

    for (const char *p = ps->text; p < at; p++) {
        if (*p == '\n') {
            l++;
            c = 1;
        } else if (((uint8_t)*p & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Records "json: <reason> at line L column C" and returns code. */
CER_PRINTF(4, 5)
static int perr(const parser *ps, const char *at, int code, const char *fmt, ...)
{
    char reason[384];
    size_t line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    position(ps, at, &line, &col);
    return cer_err(code, "json: %s at line %zu column %zu", reason, line, col);
}

/* An error about the byte at p: what was found there, after "what". */
static int unexpected(const parser *ps, const char *p, const char *what)
{
    uint8_t c;
    size_t n;

    if (p >= ps->end)
        return perr(ps, p, -EINVAL, "unexpected end of input%s%s", *what ? ", " : "", what);
    c = (uint8_t)*p;
    if (c >= 0x20 && c < 0x7f)
        return perr(ps, p, -EINVAL, "unexpected '%c'%s%s", c, *what ? ", " : "", what);
    if (c >= 0x80 && (n = cer_utf8_seq((const uint8_t *)p, (size_t)(ps->end - p))) > 0)
        return perr(ps, p, -EINVAL, "unexpected character U+%04X%s%s",
                    (unsigned)utf8_decode((const uint8_t *)p, n), *what ? ", " : "", what);
    return perr(ps, p, -EINVAL, "unexpected byte 0x%02X%s%s", c, *what ? ", " : "", what);
}

static int check_utf8(const parser *ps)
{
    const uint8_t *p = (const uint8_t *)ps->text, *end = (const uint8_t *)ps->end;

    while (p < end) {
        size_t n = *p < 0x80 ? 1 : cer_utf8_seq(p, (size_t)(end - p));

        if (n == 0) {
            size_t off = (size_t)(p - (const uint8_t *)ps->text), line, col;

            position(ps, (const char *)p, &line, &col);
            return cer_err(-EINVAL,
                           "json: invalid UTF-8 (byte 0x%02X) at byte offset %zu, line %zu column %zu",
                           *p, off, line, col);
        }
        p += n;
    }
    return 0;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int parse_value(parser *ps, cJSON **out);

/* Appends item to parent, whose last child is *tail (NULL when none).
 * cJSON keeps the last child in the first child's prev. */
static void link_child(cJSON *parent, cJSON **tail, cJSON *item)
{
    item->next = NULL;
    if (*tail) {
        (*tail)->next = item;
        item->prev = *tail;
    } else {
        parent->child = item;
    }
    parent->child->prev = item;
    *tail = item;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The four hex digits of the \uXXXX escape at esc, or -1 (error recorded). */
static long hex4(const parser *ps, const char *esc)
{
    long v = 0;

    for (const char *p = esc + 2; p < esc + 6; p++) {
        int h;

        if (p >= ps->end) {
            perr(ps, esc, -EINVAL, "unexpected end of input in \\u escape");
            return -1;
        }
        if ((h = hexval(*p)) < 0) {
            perr(ps, esc, -EINVAL, "invalid \\u escape \"%.*s\" (needs four hex digits)",
                 (int)(ps->end - esc < 6 ? ps->end - esc : 6), esc);
            return -1;
        }
        v = v << 4 | h;
    }
    return v;
}

/* Whether a \uXXXX escape of a low surrogate starts at p. */
static bool low_surrogate_at(const parser *ps, const char *p, long *lo)
{
    long v = 0;

    if (ps->end - p < 6 || p[0] != '\\' || p[1] != 'u')
        return false;
    for (int i = 2; i < 6; i++) {
        int h = hexval(p[i]);

        if (h < 0)
            return false;
        v = v << 4 | h;
    }
    *lo = v;
    return v >= 0xdc00 && v <= 0xdfff;
}

/* The \uXXXX escape at ps->p (at the backslash): appends its code point,
 * combining a surrogate pair and turning a lone surrogate into U+FFFD. */
static int parse_u_escape(parser *ps)
{
    const char *esc = ps->p;
    long u, lo;

    if ((u = hex4(ps, esc)) < 0)
        return -EINVAL;
    ps->p = esc + 6;
    if (u >= 0xd800 && u <= 0xdbff && low_surrogate_at(ps, ps->p, &lo)) {
        ps->p += 6;
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
    } else if (u >= 0xd800 && u <= 0xdfff) {
        u = 0xfffd;
    }
    return utf8_put(&ps->str, (uint32_t)u);
}

/* The string at ps->p (at the opening quote), decoded into ps->str. */
static int parse_string(parser *ps)
{
    const char *open = ps->p;
    int rc;

    ps->str.len = 0;
    if ((rc = cer_buf_reserve(&ps->str, 0)) < 0)
        return rc;
    ps->str.data[0] = '\0';
    ps->p++;
    for (;;) {
        const char *run = ps->p;
        char c;

        while (ps->p < ps->end && (uint8_t)*ps->p >= 0x20 && *ps->p != '"' && *ps->p != '\\')
            ps->p++;
        if (ps->p > run && (rc = cer_buf_append(&ps->str, run, (size_t)(ps->p - run))) < 0)
            return rc;
        if (ps->p >= ps->end)
            return perr(ps, open, -EINVAL, "unterminated string");
        c = *ps->p;
        if (c == '"') {
            ps->p++;
            return 0;
        }
        if (c != '\\')
            return perr(ps, ps->p, -EINVAL, "control character U+%04X in string (write it as \\u%04x)",
                        (unsigned)c, (unsigned)c);
        if (ps->end - ps->p < 2)
            return perr(ps, open, -EINVAL, "unterminated string");
        switch (ps->p[1]) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
            if ((rc = parse_u_escape(ps)) < 0)
                return rc;
            continue;
        default:
            if ((uint8_t)ps->p[1] >= 0x20 && (uint8_t)ps->p[1] < 0x7f)
                return perr(ps, ps->p, -EINVAL, "invalid escape '\\%c' in string", ps->p[1]);
            return perr(ps, ps->p, -EINVAL, "invalid escape (byte 0x%02X after '\\') in string",
                        (uint8_t)ps->p[1]);
        }
        if ((rc = cer_buf_putc(&ps->str, (uint8_t)c)) < 0)
            return rc;
        ps->p += 2;
    }
}

static int parse_string_value(parser *ps, cJSON **out)
{
    int rc = parse_string(ps);

    if (rc < 0)
        return rc;
    if (!(*out = cJSON_CreateString((const char *)ps->str.data)))
        return cer_err(-ENOMEM, "json: out of memory");
    return 0;
}

/* The literal's value as JSON.parse reads it. The literal matched the
 * grammar; it is rewritten without its decimal point (digits, then 'e' and
 * the adjusted exponent) so that strtod's locale plays no part. */
static int number_value(parser *ps, const char *lit, size_t len, const char *frac, const char *exp,
                        double *out)
{
    char small[96], *s = small;
    size_t n = 0, fraclen = 0;
    long long e = 0;
    int rc = 0;

    if (len + 32 > sizeof small && !(s = malloc(len + 32)))
        return cer_err(-ENOMEM, "json: out of memory");
    for (const char *p = lit; p < (exp ? exp : lit + len); p++) {
        if (*p == '.')
            continue;
        s[n++] = *p;
        if (frac && p > frac)
            fraclen++;
    }
    if (exp) {
        const char *p = exp + 1;
        bool neg = *p == '-';

        if (*p == '-' || *p == '+')
            p++;
        for (; p < lit + len; p++)
            if (e < 1000000000000000000LL / 10)  /* saturate: the value is 0 or infinite anyway */
                e = e * 10 + (*p - '0');
        if (neg)
            e = -e;
    }
    snprintf(s + n, 32, "e%lld", e - (long long)fraclen);
    *out = strtod(s, NULL);
    if (isinf(*out))
        rc = perr(ps, lit, -EINVAL, "number %.*s%s is out of range (JSON.parse gives %sInfinity)",
                  len > 40 ? 40 : (int)len, lit, len > 40 ? "..." : "", *lit == '-' ? "-" : "");
    if (s != small)
        free(s);
    return rc;
}

/* The number at ps->p ('-' or a digit). */
static int parse_number(parser *ps, cJSON **out)
{
    const char *lit = ps->p, *frac = NULL, *exp = NULL, *digits;
    const char *p = lit, *end = ps->end;
    double d = 0;
    int rc;

    if (*p == '-')
        p++;
    digits = p;
    if (p >= end || *p < '0' || *p > '9')
        return unexpected(ps, p, "expected a digit after '-'");
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return perr(ps, lit, -EINVAL, "leading zero in number");
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && *p == '.') {
        frac = p++;
        if (p >= end || *p < '0' || *p > '9')
            return unexpected(ps, p, "expected a digit after '.'");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        exp = p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return unexpected(ps, p, "expected a digit in the exponent");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    ps->p = p;
    if ((ps->flags & CER_JSON_EXACT_INTS) && !frac && !exp &&
        !digits_are_safe(digits, (size_t)(p - digits))) {
        char lit_s[24];

        if (!digits_in_int64_range(digits, (size_t)(p - digits), digits != lit))
            return perr(ps, lit, -EINVAL, "integer %.*s%s out of 64-bit range",
                        p - lit > 40 ? 40 : (int)(p - lit), lit, p - lit > 40 ? "..." : "");
        memcpy(lit_s, lit, (size_t)(p - lit));  /* at most 21 bytes */
        lit_s[p - lit] = '\0';
        if (!(*out = cJSON_CreateRaw(lit_s)))
            return cer_err(-ENOMEM, "json: out of memory");
        return 0;
    }
    if ((rc = number_value(ps, lit, (size_t)(p - lit), frac, exp, &d)) < 0)
        return rc;
    if (!(*out = cJSON_CreateNumber(d)))
        return cer_err(-ENOMEM, "json: out of memory");
    return 0;
}

/* true, false or null at ps->p. */
static int parse_literal(parser *ps, cJSON **out)
{
    static const struct {
        const char *word;
        int type;
    } lits[] = {{"true", cJSON_True}, {"false", cJSON_False}, {"null", cJSON_NULL}};

    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        const char *w = lits[i].word;

        if (*ps->p != w[0])
            continue;
        for (size_t j = 1; w[j]; j++)
            if (ps->p + j >= ps->end || ps->p[j] != w[j])
                return unexpected(ps, ps->p + j, "");
        ps->p += strlen(w);
        *out = lits[i].type == cJSON_True    ? cJSON_CreateTrue()
               : lits[i].type == cJSON_False ? cJSON_CreateFalse()
                                             : cJSON_CreateNull();
        if (!*out)
            return cer_err(-ENOMEM, "json: out of memory");
        return 0;
    }
    return unexpected(ps, ps->p, "");
}

/* Opens a container at ps->p, counting it against the depth limit. */
static int enter(parser *ps)
{
    if (ps->depth >= DEPTH_MAX)
        return perr(ps, ps->p, -EFBIG, "nesting deeper than %d", DEPTH_MAX);
    ps->depth++;
    ps->p++;
    skip_ws(ps);
    return 0;
}

static int parse_array(parser *ps, cJSON **out)
{
    cJSON *arr, *tail = NULL, *item;
    int rc;

    if ((rc = enter(ps)) < 0)
        return rc;
    if (!(arr = cJSON_CreateArray()))
        return cer_err(-ENOMEM, "json: out of memory");
    if (ps->p < ps->end && *ps->p == ']')
        goto done;
    for (;;) {
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']' && tail)
            rc = perr(ps, ps->p, -EINVAL, "trailing comma before ']'");
        else
            rc = parse_value(ps, &item);
        if (rc < 0)
            goto fail;
        link_child(arr, &tail, item);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']')
            break;
        rc = unexpected(ps, ps->p, "expected ',' or ']' in array");
        goto fail;
    }
done:
    ps->p++;
    ps->depth--;
    *out = arr;
    return 0;
fail:
    cJSON_Delete(arr);
    return rc;
}

/* ---- repeated keys ---- */

/* The keys of one object so far: a linear scan while it is small, then the
 * shared string map (keyed hash: no key choice makes it slow). The map
 * borrows the members' keys. */
typedef struct keyset {
    const cJSON *obj;
    size_t n;          /* members */
    cer_strmap map;    /* every member's key once n > SMALL_OBJECT */
} keyset;

static bool keyset_has(const keyset *ks, const char *key)
{
    if (ks->n > SMALL_OBJECT)
        return cer_strmap_get(&ks->map, key) != NULL;
    for (const cJSON *c = ks->obj->child; c; c = c->next)
        if (strcmp(c->string, key) == 0)
            return true;
    return false;
}

/* Records the newest member (item, already linked). */
static int keyset_add(keyset *ks, const cJSON *item)
{
    int rc = 0;

    if (++ks->n == SMALL_OBJECT + 1)
        for (const cJSON *c = ks->obj->child; c && rc == 0; c = c->next)
            rc = cer_strmap_put(&ks->map, c->string, (void *)c);
    else if (ks->n > SMALL_OBJECT)
        rc = cer_strmap_put(&ks->map, item->string, (void *)item);
    return rc;
}

/* A key for an error message: JSON-escaped, shortened. */
static void key_for_message(char *out, size_t cap, const char *key)
{
    const uint8_t *p = (const uint8_t *)key;
    size_t o = 0;

    for (; *p && o + 12 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20 || (*p == 0xc0 && p[1] == 0x80)) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", *p == 0xc0 ? 0 : *p);
            p += *p == 0xc0;
        } else {  /* whole characters (the parser made the key valid UTF-8) */
            size_t n = *p < 0x80 ? 1 : cer_utf8_seq(p, strnlen((const char *)p, 4));

            n = n ? n : 1;
            memcpy(out + o, p, n);
            o += n;
            p += n - 1;
        }
    }
    if (*p)
        memcpy(out + o, "...", 4);
    else
        out[o] = '\0';
}

/* The key at ps->p (at its quote), which must be new in ks; *key is a
 * cJSON-allocated copy. */
static int parse_key(parser *ps, const keyset *ks, char **key)
{
    const char *at = ps->p;
    int rc;

    if (ps->p >= ps->end || *ps->p != '"')
        return unexpected(ps, ps->p, "expected a string key in object");
    if ((rc = parse_string(ps)) < 0)
        return rc;
    if (keyset_has(ks, (const char *)ps->str.data)) {
        char shown[80];

        key_for_message(shown, sizeof shown, (const char *)ps->str.data);
        return perr(ps, at, -EINVAL, "duplicate key \"%s\"", shown);
    }
    if (!(*key = cJSON_malloc(ps->str.len + 1)))
        return cer_err(-ENOMEM, "json: out of memory");
    memcpy(*key, ps->str.data, ps->str.len + 1);
    return 0;
}

static int parse_object(parser *ps, cJSON **out)
{
    keyset ks = {NULL, 0, CER_STRMAP_INIT};
    cJSON *obj, *tail = NULL, *item;
    char *key = NULL;
    int rc;

    if ((rc = enter(ps)) < 0)
        return rc;
    if (!(obj = cJSON_CreateObject()))
        return cer_err(-ENOMEM, "json: out of memory");
    ks.obj = obj;
    if (ps->p < ps->end && *ps->p == '}')
        goto done;
    for (;;) {
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '}' && tail) {
            rc = perr(ps, ps->p, -EINVAL, "trailing comma before '}'");
            goto fail;
        }
        if ((rc = parse_key(ps, &ks, &key)) < 0)
            goto fail;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            rc = unexpected(ps, ps->p, "expected ':' after object key");
            goto fail;
        }
        ps->p++;
        skip_ws(ps);
        if ((rc = parse_value(ps, &item)) < 0)
            goto fail;
        item->string = key;
        key = NULL;
        link_child(obj, &tail, item);
        if ((rc = keyset_add(&ks, item)) < 0)
            goto fail;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}')
            break;
        rc = unexpected(ps, ps->p, "expected ',' or '}' in object");
        goto fail;
    }
done:
    ps->p++;
    ps->depth--;
    cer_strmap_free(&ks.map);
    *out = obj;
    return 0;
fail:
    cJSON_free(key);
    cer_strmap_free(&ks.map);
    cJSON_Delete(obj);
    return rc;
}

/* The value at ps->p (whitespace already skipped). */
static int parse_value(parser *ps, cJSON **out)
{
    if (ps->p >= ps->end)
        return unexpected(ps, ps->p, "expected a value");
    switch (*ps->p) {
    case '{':
        return parse_object(ps, out);
    case '[':
        return parse_array(ps, out);
    case '"':
        return parse_string_value(ps, out);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return parse_number(ps, out);
    case 't':
    case 'f':
    case 'n':
        return parse_literal(ps, out);
    default:
        return unexpected(ps, ps->p, "expected a value");
    }
}

int cer_json_parse(cJSON **out, const char *text, size_t len, unsigned flags)
{
    parser ps = {0};
    cJSON *v = NULL;
    int rc;

    if (!out)
        return cer_err(-EINVAL, "json: no output");
    *out = NULL;
    if (!text && len)
        return cer_err(-EINVAL, "json: no input");
    if (flags & ~(unsigned)(CER_JSON_EXACT_INTS | CER_JSON_PRETTY))
        return cer_err(-EINVAL, "json: unknown flags 0x%x", flags);
    ps.text = ps.p = text ? text : "";
    ps.end = ps.text + len;
    ps.flags = flags;
    if ((rc = check_utf8(&ps)) < 0)
        return rc;
    skip_ws(&ps);
    if (ps.p >= ps.end) {
        rc = perr(&ps, ps.p, -EINVAL, "no value (empty input)");
        goto out;
    }
    if ((rc = parse_value(&ps, &v)) < 0)
        goto out;
    skip_ws(&ps);
    if (ps.p < ps.end) {
        rc = unexpected(&ps, ps.p, "expected the end of input after the value");
        goto out;
    }
    *out = v;
    v = NULL;
out:
    cJSON_Delete(v);
    cer_buf_free(&ps.str);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Printer                                                              */
/* ------------------------------------------------------------------ */

typedef struct printer {
    cer_buf out;
    bool pretty;
    bool dagjson;  /* canonical dag-json: keys bytewise, big floats with ".0" */
} printer;

static int print_value(printer *pr, const cJSON *v, unsigned depth);

/* A string as JSON.stringify quotes it; s must be UTF-8 with C0 80 for
 * U+0000 (anything else invalid is refused). */
static int print_string(printer *pr, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s, *run;
    int rc;

    if ((rc = cer_buf_putc(&pr->out, '"')) < 0)
        return rc;
    for (;;) {
        char esc[8];
        size_t elen = 2;

        run = p;
        for (;;) {
            size_t n;

            if (*p == 0 || *p < 0x20 || *p == '"' || *p == '\\' || (*p == 0xc0 && p[1] == 0x80))
                break;
            if (*p < 0x80) {
                p++;
                continue;
            }
            if ((n = cer_utf8_seq(p, strnlen((const char *)p, 4))) == 0)
                return cer_err(-EINVAL, "json: string is not valid UTF-8 (byte 0x%02X at offset %zu)",
                               *p, (size_t)(p - (const uint8_t *)s));
            p += n;
        }
        if (p > run && (rc = cer_buf_append(&pr->out, run, (size_t)(p - run))) < 0)
            return rc;
        if (*p == 0)
            break;
        esc[0] = '\\';
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: {
            uint8_t c = *p == 0xc0 ? 0 : *p;  /* C0 80 is U+0000 */

            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            if (*p == 0xc0)
                p++;
        }
        }
        p++;
        if ((rc = cer_buf_append(&pr->out, esc, elen)) < 0)
            return rc;
    }
    return cer_buf_putc(&pr->out, '"');
}

static int print_number(printer *pr, double d)
{
    char s[CER_JSON_NUMBER_MAX];

    if (!isfinite(d))
        return cer_buf_puts(&pr->out, "null");
    cer_json_number_text(s, d);
    /* An integral number beyond +-(2^53-1) that is not Raw came from a
     * CBOR float; @ipld/dag-json marks such floats with ".0". */
    if (pr->dagjson && fabs(d) > CER_JSON_SAFE_INT_MAX && !strpbrk(s, ".e"))
        strcat(s, ".0");
    return cer_buf_puts(&pr->out, s);
}

/* Before a member (pretty): a newline and the indentation of depth. */
static int print_indent(printer *pr, unsigned depth)
{
    int rc;

    if (!pr->pretty)
        return 0;
    if ((rc = cer_buf_reserve(&pr->out, 1 + 2 * (size_t)depth)) < 0)
        return rc;
    pr->out.data[pr->out.len++] = '\n';
    memset(pr->out.data + pr->out.len, ' ', 2 * (size_t)depth);
    pr->out.len += 2 * (size_t)depth;
    pr->out.data[pr->out.len] = '\0';
    return 0;
}

static int print_array(printer *pr, const cJSON *arr, unsigned depth)
{
    int rc;

    if ((rc = cer_buf_putc(&pr->out, '[')) < 0)
        return rc;
    for (const cJSON *c = arr->child; c; c = c->next) {
        if (c != arr->child && (rc = cer_buf_putc(&pr->out, ',')) < 0)
            return rc;
        if ((rc = print_indent(pr, depth + 1)) < 0 || (rc = print_value(pr, c, depth + 1)) < 0)
            return rc;
    }
    if (arr->child && (rc = print_indent(pr, depth)) < 0)
        return rc;
    return cer_buf_putc(&pr->out, ']');
}

/* Whether key is an array index ("0".."4294967294", canonical), and which. */
static bool array_index(const char *key, uint32_t *idx)
{
    uint64_t v = 0;
    size_t i;

    if (key[0] == '0')
        return key[1] == '\0' ? (*idx = 0, true) : false;
    for (i = 0; key[i]; i++) {
        if (key[i] < '0' || key[i] > '9' || i >= 10)
            return false;
        v = v * 10 + (uint64_t)(key[i] - '0');
    }
    if (i == 0 || v > 4294967294u)
        return false;
    *idx = (uint32_t)v;
    return true;
}

typedef struct member {
    uint32_t idx;
    size_t pos;
    const cJSON *item;
} member;

static int member_cmp(const void *a, const void *b)
{
    const member *x = a, *y = b;

    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The members of obj in JavaScript property order, or NULL in *order when
 * that is cJSON's order (no index key out of place). */
static int member_order(const cJSON **order[], size_t *count, const cJSON *obj)
{
    size_t n = 0, nidx = 0, o = 0;
    bool in_order = true, seen_other = false;
    uint32_t idx, last = 0;
    member *idxs;
    const cJSON **all;

    *order = NULL;
    for (const cJSON *c = obj->child; c; c = c->next, n++) {
        if (!c->string)
            return cer_err(-EINVAL, "json: object member without a key");
        if (!array_index(c->string, &idx)) {
            seen_other = true;
            continue;
        }
        if (seen_other || (nidx > 0 && idx <= last))
            in_order = false;
        last = idx;
        nidx++;
    }
    *count = n;
    if (in_order)
        return 0;
    idxs = malloc(nidx * sizeof *idxs);
    all = malloc(n * sizeof *all);
    if (!idxs || !all) {
        free(idxs);
        free(all);
        return cer_err(-ENOMEM, "json: out of memory");
    }
    nidx = n = 0;
    for (const cJSON *c = obj->child; c; c = c->next, n++)
        if (array_index(c->string, &idx))
            idxs[nidx++] = (member){idx, n, c};
    qsort(idxs, nidx, sizeof *idxs, member_cmp);
    for (size_t i = 0; i < nidx; i++)
        all[o++] = idxs[i].item;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (!array_index(c->string, &idx))
            all[o++] = c;
    free(idxs);
    *order = all;
    return 0;
}

static int print_member(printer *pr, const cJSON *m, bool first, unsigned depth)
{
    int rc;

    if (!first && (rc = cer_buf_putc(&pr->out, ',')) < 0)
        return rc;
    if ((rc = print_indent(pr, depth + 1)) < 0 || (rc = print_string(pr, m->string)) < 0 ||
        (rc = cer_buf_puts(&pr->out, pr->pretty ? ": " : ":")) < 0)
        return rc;
    return print_value(pr, m, depth + 1);
}

/* Keys by their bytes as UTF-8 text, where U+0000 (C0 80 in our strings)
 * is the byte 00 and so sorts first. */
static int member_bytewise(const void *a, const void *b)
{
    const uint8_t *x = (const uint8_t *)(*(const cJSON *const *)a)->string;
    const uint8_t *y = (const uint8_t *)(*(const cJSON *const *)b)->string;

    for (;;) {
        unsigned cx = *x, cy = *y;
        if (cx == 0xc0 && x[1] == 0x80)
            cx = 0, x++;
        if (cy == 0xc0 && y[1] == 0x80)
            cy = 0, y++;
        if (!*x || !*y || cx != cy)
            return !*x && !*y ? 0 : !*x ? -1 : !*y ? 1 : cx < cy ? -1 : 1;
        x++;
        y++;
    }
}

/* The members of obj sorted by key bytes, as canonical dag-json has them. */
static int member_sorted(const cJSON **order[], size_t *count, const cJSON *obj)
{
    size_t n = 0;

    *order = NULL;
    for (const cJSON *c = obj->child; c; c = c->next, n++)
        if (!c->string)
            return cer_err(-EINVAL, "json: object member without a key");
    *count = n;
    if (n == 0)
        return 0;
    if (!(*order = malloc(n * sizeof **order)))
        return cer_err(-ENOMEM, "json: out of memory");
    n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        (*order)[n++] = c;
    qsort(*order, n, sizeof **order, member_bytewise);
    return 0;
}

static int print_object(printer *pr, const cJSON *obj, unsigned depth)
{
    const cJSON **order;
    size_t n = 0;
    int rc;

    rc = pr->dagjson ? member_sorted(&order, &n, obj) : member_order(&order, &n, obj);
    if (rc < 0)
        return rc;
    if ((rc = cer_buf_putc(&pr->out, '{')) < 0)
        goto out;
    if (order) {
        for (size_t i = 0; i < n; i++)
            if ((rc = print_member(pr, order[i], i == 0, depth)) < 0)
                goto out;
    } else {
        for (const cJSON *c = obj->child; c; c = c->next)
            if ((rc = print_member(pr, c, c == obj->child, depth)) < 0)
                goto out;
    }
    if (n > 0 && (rc = print_indent(pr, depth)) < 0)
        goto out;
    rc = cer_buf_putc(&pr->out, '}');
out:
    free(order);
    return rc;
}

/* v, which has depth containers open around it. */
static int print_value(printer *pr, const cJSON *v, unsigned depth)
{
    switch (TYPE(v)) {
    case cJSON_False:
        return cer_buf_puts(&pr->out, "false");
    case cJSON_True:
        return cer_buf_puts(&pr->out, "true");
    case cJSON_NULL:
        return cer_buf_puts(&pr->out, "null");
    case cJSON_Number:
        return print_number(pr, v->valuedouble);
    case cJSON_String:
        if (!v->valuestring)
            return cer_err(-EINVAL, "json: string item without a value");
        return print_string(pr, v->valuestring);
    case cJSON_Raw:
        if (!v->valuestring || !v->valuestring[0])
            return cer_err(-EINVAL, "json: raw item without text");
        return cer_buf_puts(&pr->out, v->valuestring);
    case cJSON_Array:
    case cJSON_Object:
        if (depth >= DEPTH_MAX)
            return cer_err(-EFBIG, "json: nesting deeper than %d", DEPTH_MAX);
        return TYPE(v) == cJSON_Array ? print_array(pr, v, depth) : print_object(pr, v, depth);
    default:
        return cer_err(-EINVAL, "json: cannot print an item of type 0x%x", (unsigned)TYPE(v));
    }
}

int cer_json_print(char **out, const cJSON *value, unsigned flags)
{
    printer pr = {CER_BUF_INIT, (flags & CER_JSON_PRETTY) != 0, (flags & CER_JSON_DAGJSON) != 0};
    int rc;

    if (!out)
        return cer_err(-EINVAL, "json: no output");
    *out = NULL;
    if (!value)
        return cer_err(-EINVAL, "json: no value to print");
    if (flags & ~(unsigned)(CER_JSON_PRETTY | CER_JSON_EXACT_INTS | CER_JSON_DAGJSON))
        return cer_err(-EINVAL, "json: unknown flags 0x%x", flags);
    if ((rc = print_value(&pr, value, 0)) < 0) {
        cer_buf_free(&pr.out);
        return rc;
    }
    *out = (char *)cer_buf_detach(&pr.out);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Equality                                                             */
/* ------------------------------------------------------------------ */

static int key_cmp(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Objects with n members each, compared by sorting both member lists by
 * key. false with *ok false when out of memory. */
static bool objects_equal_sorted(const cJSON *a, const cJSON *b, size_t n, bool *ok)
{
    const cJSON **x = malloc(n * sizeof *x), **y = malloc(n * sizeof *y);
    bool eq = true;
    size_t i = 0;

    *ok = x && y;
    if (*ok) {
        for (const cJSON *c = a->child, *d = b->child; c; c = c->next, d = d->next, i++) {
            x[i] = c;
            y[i] = d;
        }
        qsort(x, n, sizeof *x, key_cmp);
        qsort(y, n, sizeof *y, key_cmp);
        for (i = 0; i < n && eq; i++)
            eq = strcmp(x[i]->string, y[i]->string) == 0 && cer_json_equal(x[i], y[i]);
    }
    free(x);
    free(y);
    return *ok && eq;
}

static bool objects_equal(const cJSON *a, const cJSON *b)
{
    size_t n = 0, m = 0;
    bool ok;

    for (const cJSON *c = a->child; c; c = c->next, n++)
        if (!c->string)
            return false;
    for (const cJSON *c = b->child; c; c = c->next, m++)
        if (!c->string)
            return false;
    if (n != m)
        return false;
    if (n > SMALL_OBJECT) {
        bool eq = objects_equal_sorted(a, b, n, &ok);

        if (ok)
            return eq;
    }
    for (const cJSON *c = a->child; c; c = c->next) {
        const cJSON *d = b->child;

        while (d && strcmp(c->string, d->string) != 0)
            d = d->next;
        if (!d || !cer_json_equal(c, d))
            return false;
    }
    return true;
}

bool cer_json_equal(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;

    if (!a || !b)
        return a == b;
    if (TYPE(a) != TYPE(b))
        return false;
    switch (TYPE(a)) {
    case cJSON_False:
    case cJSON_True:
    case cJSON_NULL:
        return true;
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
    case cJSON_Raw:
        return a->valuestring && b->valuestring && strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array:
        for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
            if (!cer_json_equal(x, y))
                return false;
        return !x && !y;
    case cJSON_Object:
        return objects_equal(a, b);
    default:
        return false;
    }
}
