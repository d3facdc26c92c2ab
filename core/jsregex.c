/*
 * jsregex.c — ECMA-262 regular expressions, parsed with JavaScript's
 * grammar and matched by PCRE2 (see jsregex.h).
 *
 * The parser reads the pattern as code points and writes an equivalent
 * PCRE2 pattern that is pure ASCII: every literal that is not an ASCII
 * letter or digit is written as \x{...}, so no PCRE2 metacharacter or
 * extension can slip through from the source. What JavaScript means
 * differently from PCRE2 is spelled out: `.`, `\s`, `\S`, `$` (compiled
 * with PCRE2_DOLLAR_ENDONLY), unset backreferences
 * (PCRE2_MATCH_UNSET_BACKREF), `[]` and `[^]`.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "jsregex.h"
#include "buf.h"
#include "error.h"
#include "strmap.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Backtracking budget of one test: a base plus an allowance per subject
 * byte, so work stays linear in the subject (a long string that a simple
 * pattern walks once fits; a pattern that backtracks exponentially is cut
 * off, where JavaScript would hang), and the memory of PCRE2's
 * backtracking frames. */
#define MATCH_LIMIT_BASE 1000000u
#define MATCH_LIMIT_PER_BYTE 64u
#define HEAP_LIMIT_KB (256u * 1024u)
/* Nesting of groups and classes in a pattern (bounds the parser's stack). */
#define NEST_MAX 256
/* PCRE2's largest quantifier bound. */
#define REPEAT_MAX 65535u

struct cer_jsregex {
    pcre2_code *code;
    pcre2_match_context *mctx;
};

/* JavaScript's WhiteSpace and LineTerminator code points, as PCRE2 class
 * items: \s in a pattern with or without the u flag. */
static const char WS_ITEMS[] =
    "\\x{9}-\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
    "\\x{202f}\\x{205f}\\x{3000}\\x{feff}";

typedef struct rparser {
    uint32_t *cp;           /* the pattern, decoded */
    size_t n, i;
    bool u;
    bool fold_ascii;        /* i without u: letters match both ASCII cases only */
    unsigned ngroups;       /* capturing groups in the whole pattern */
    char **names;           /* their names (NULL for unnamed), in order */
    unsigned nnames;
    unsigned depth;
    cer_buf out;
    int err;
} rparser;

static int fail(rparser *p, const char *what)
{
    if (!p->err)
        p->err = cer_err(-EINVAL, "Invalid regular expression: %s", what);
    return p->err;
}

static int put(rparser *p, const char *s)
{
    if (!p->err && cer_buf_puts(&p->out, s) < 0)
        p->err = cer_err(-ENOMEM, "regex: out of memory");
    return p->err;
}

static int put_cp(rparser *p, uint32_t c)
{
    char tmp[16];

    if (p->fold_ascii && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        snprintf(tmp, sizeof tmp, "[%c%c]", (char)(c | 0x20), (char)(c & ~0x20u));
        return put(p, tmp);
    }
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        tmp[0] = (char)c;
        tmp[1] = 0;
    } else {
        snprintf(tmp, sizeof tmp, "\\x{%x}", (unsigned)c);
    }
    return put(p, tmp);
}

/* A code point inside a class: always \x{...} or alphanumeric, never folded. */
static int put_class_cp(rparser *p, uint32_t c)
{
    bool f = p->fold_ascii;
    int rc;

    p->fold_ascii = false;
    rc = put_cp(p, c);
    p->fold_ascii = f;
    return rc;
}

static bool at_end(const rparser *p) { return p->i >= p->n; }
static uint32_t peek(const rparser *p) { return p->i < p->n ? p->cp[p->i] : 0; }
static uint32_t peek_at(const rparser *p, size_t k) { return p->i + k < p->n ? p->cp[p->i + k] : 0; }

static bool is_syntax_char(uint32_t c)
{
    return c < 128 && c && strchr("^$\\.*+?()[]{}|/", (int)c) != NULL;
}

static int hexval(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

static bool is_surrogate(uint32_t c) { return c >= 0xd800 && c <= 0xdfff; }

/* ------------------------------------------------------------------ */
/* Decoding and the group pre-scan                                      */
/* ------------------------------------------------------------------ */

/* UTF-8 (with C0 80 as U+0000) to code points; -EINVAL if not UTF-8. */
static int decode(rparser *p, const char *src, size_t len)
{
    const uint8_t *s = (const uint8_t *)src;
    size_t i = 0;

    p->cp = malloc((len + 1) * sizeof *p->cp);
    if (!p->cp)
        return cer_err(-ENOMEM, "regex: out of memory");
    while (i < len) {
        uint8_t b = s[i];
        uint32_t c;
        size_t k;

        if (b < 0x80) {
            c = b, k = 1;
        } else if (b == 0xc0 && i + 1 < len && s[i + 1] == 0x80) {
            c = 0, k = 2;
        } else {
            if (b >= 0xc2 && b <= 0xdf)
                c = b & 0x1fu, k = 2;
            else if (b >= 0xe0 && b <= 0xef)
                c = b & 0x0fu, k = 3;
            else if (b >= 0xf0 && b <= 0xf4)
                c = b & 0x07u, k = 4;
            else
                return cer_err(-EINVAL, "regex: pattern is not UTF-8");
            if (i + k > len)
                return cer_err(-EINVAL, "regex: pattern is not UTF-8");
            for (size_t j = 1; j < k; j++) {
                if ((s[i + j] & 0xc0) != 0x80)
                    return cer_err(-EINVAL, "regex: pattern is not UTF-8");
                c = c << 6 | (s[i + j] & 0x3fu);
            }
            if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)) || is_surrogate(c))
                return cer_err(-EINVAL, "regex: pattern is not UTF-8");
        }
        p->cp[p->n++] = c;
        i += k;
    }
    return 0;
}

static bool id_start(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}

static bool id_part(uint32_t c) { return id_start(c) || (c >= '0' && c <= '9'); }

/* A group name at p->cp[*i] up to '>': its length, or 0 if not one. */
static size_t name_len(const rparser *p, size_t i)
{
    size_t k = 0;

    while (i + k < p->n && p->cp[i + k] != '>') {
        if (!(k ? id_part(p->cp[i + k]) : id_start(p->cp[i + k])))
            return 0;
        k++;
    }
    return i + k < p->n ? k : 0;
}

static char *name_str(const rparser *p, size_t i, size_t k)
{
    cer_buf b = CER_BUF_INIT;

    for (size_t j = 0; j < k; j++) {
        uint32_t c = p->cp[i + j];
        char tmp[5];
        size_t m;

        if (c < 0x80)
            tmp[0] = (char)c, m = 1;
        else if (c < 0x800)
            tmp[0] = (char)(0xc0 | c >> 6), tmp[1] = (char)(0x80 | (c & 0x3f)), m = 2;
        else if (c < 0x10000)
            tmp[0] = (char)(0xe0 | c >> 12), tmp[1] = (char)(0x80 | (c >> 6 & 0x3f)),
            tmp[2] = (char)(0x80 | (c & 0x3f)), m = 3;
        else
            tmp[0] = (char)(0xf0 | c >> 18), tmp[1] = (char)(0x80 | (c >> 12 & 0x3f)),
            tmp[2] = (char)(0x80 | (c >> 6 & 0x3f)), tmp[3] = (char)(0x80 | (c & 0x3f)), m = 4;
        if (cer_buf_append(&b, tmp, m) < 0) {
            cer_buf_free(&b);
            return NULL;
        }
    }
    if (!b.data)
        return strdup("");
    return (char *)cer_buf_detach(&b);
}

/* V8 (Node 20) refuses a group name used twice. */
static int no_duplicate_names(const rparser *p)
{
    cer_strmap seen = CER_STRMAP_INIT;
    int rc = 0;

    for (unsigned g = 0; g < p->ngroups && !rc; g++) {
        if (!p->names[g])
            continue;
        if (cer_strmap_get(&seen, p->names[g]))
            rc = cer_err(-EINVAL, "Invalid regular expression: Duplicate capture group name");
        else if (cer_strmap_put(&seen, p->names[g], p->names[g]) < 0)
            rc = cer_err(-ENOMEM, "regex: out of memory");
    }
    cer_strmap_free(&seen);
    return rc;
}

/* Counts the capturing groups and collects their names, as V8 does
 * before parsing (a backreference may come before its group). */
static int prescan(rparser *p)
{
    bool in_class = false;

    p->names = calloc(p->n + 1, sizeof *p->names);
    if (!p->names)
        return cer_err(-ENOMEM, "regex: out of memory");
    for (size_t i = 0; i < p->n; i++) {
        uint32_t c = p->cp[i];

        if (c == '\\') {
            i++;
        } else if (in_class) {
            in_class = c != ']';
        } else if (c == '[') {
            in_class = true;
        } else if (c == '(') {
            if (i + 1 < p->n && p->cp[i + 1] == '?') {
                size_t k;

                if (i + 2 >= p->n || p->cp[i + 2] != '<' || i + 3 >= p->n ||
                    p->cp[i + 3] == '=' || p->cp[i + 3] == '!')
                    continue;
                k = name_len(p, i + 3);
                if (!k)
                    continue;  /* the parser reports it */
                p->names[p->ngroups] = name_str(p, i + 3, k);
                if (!p->names[p->ngroups])
                    return cer_err(-ENOMEM, "regex: out of memory");
                p->nnames++;
            }
            p->ngroups++;
        }
    }
    return no_duplicate_names(p);
}

/* ------------------------------------------------------------------ */
/* The grammar                                                          */
/* ------------------------------------------------------------------ */

static int disjunction(rparser *p);

/* Reads DecimalDigits at p->i; false if none. Saturates. */
static bool digits(rparser *p, uint64_t *v)
{
    size_t start = p->i;

    *v = 0;
    while (!at_end(p) && peek(p) >= '0' && peek(p) <= '9') {
        if (*v < (1ull << 53))
            *v = *v * 10 + (peek(p) - '0');
        p->i++;
    }
    return p->i > start;
}

/* A {n}, {n,} or {n,m} at p->i (which is '{'): true and the bounds, with
 * p->i after it; false (p->i unchanged) when it is not one. */
static bool brace_quantifier(rparser *p, uint64_t *lo, uint64_t *hi, bool *open)
{
    size_t save = p->i;

    p->i++;
    *open = false;
    if (!digits(p, lo))
        goto no;
    *hi = *lo;
    if (peek(p) == ',') {
        p->i++;
        if (!digits(p, hi))
            *open = true;
    }
    if (peek(p) != '}')
        goto no;
    p->i++;
    return true;
no:
    p->i = save;
    return false;
}

static int quantifier(rparser *p, bool quantifiable)
{
    uint32_t c = peek(p);
    uint64_t lo, hi;
    bool open;
    char tmp[48];

    if (at_end(p))
        return 0;
    if (c == '*' || c == '+' || c == '?') {
        p->i++;
        tmp[0] = (char)c, tmp[1] = 0;
    } else if (c == '{') {
        if (!brace_quantifier(p, &lo, &hi, &open)) {
            if (p->u)
                return fail(p, "Incomplete quantifier");
            return 0;  /* a literal '{' (Annex B) */
        }
        if (!open && lo > hi)
            return fail(p, "numbers out of order in {} quantifier");
        if (lo > REPEAT_MAX || (!open && hi > REPEAT_MAX))
            return fail(p, "quantifier bound over 65535 (not supported)");
        if (open)
            snprintf(tmp, sizeof tmp, "{%u,}", (unsigned)lo);
        else
            snprintf(tmp, sizeof tmp, "{%u,%u}", (unsigned)lo, (unsigned)hi);
    } else {
        return 0;
    }
    if (!quantifiable)
        return fail(p, "Nothing to repeat");
    if (peek(p) == '?') {
        p->i++;
        strcat(tmp, "?");
    }
    return put(p, tmp);
}

static const struct { const char *js, *pcre; } GC_NAMES[] = {
    {"Letter", "L"}, {"Cased_Letter", "LC"}, {"Uppercase_Letter", "Lu"}, {"Lowercase_Letter", "Ll"},
    {"Titlecase_Letter", "Lt"}, {"Modifier_Letter", "Lm"}, {"Other_Letter", "Lo"}, {"Mark", "M"},
    {"Combining_Mark", "M"}, {"Nonspacing_Mark", "Mn"}, {"Spacing_Mark", "Mc"}, {"Enclosing_Mark", "Me"},
    {"Number", "N"}, {"Decimal_Number", "Nd"}, {"digit", "Nd"}, {"Letter_Number", "Nl"},
    {"Other_Number", "No"}, {"Punctuation", "P"}, {"punct", "P"}, {"Connector_Punctuation", "Pc"},
    {"Dash_Punctuation", "Pd"}, {"Open_Punctuation", "Ps"}, {"Close_Punctuation", "Pe"},
    {"Initial_Punctuation", "Pi"}, {"Final_Punctuation", "Pf"}, {"Other_Punctuation", "Po"},
    {"Symbol", "S"}, {"Math_Symbol", "Sm"}, {"Currency_Symbol", "Sc"}, {"Modifier_Symbol", "Sk"},
    {"Other_Symbol", "So"}, {"Separator", "Z"}, {"Space_Separator", "Zs"}, {"Line_Separator", "Zl"},
    {"Paragraph_Separator", "Zp"}, {"Other", "C"}, {"Control", "Cc"}, {"cntrl", "Cc"}, {"Format", "Cf"},
    {"Surrogate", "Cs"}, {"Private_Use", "Co"}, {"Unassigned", "Cn"},
};

/* \p{...} / \P{...} (u flag) at p->i (after the letter): writes the PCRE2
 * property escape. */
static int property_escape(rparser *p, bool neg)
{
    static const struct { const char *js, *pcre; } prefixes[] = {
        {"General_Category=", ""}, {"gc=", ""}, {"Script_Extensions=", "scx:"},
        {"scx=", "scx:"}, {"Script=", "sc:"}, {"sc=", "sc:"},
    };
    cer_buf name = CER_BUF_INIT;
    const char *v;
    size_t k;
    int rc = 0;

    if (peek(p) != '{')
        return fail(p, "Invalid property name");
    p->i++;
    while (!at_end(p) && peek(p) != '}') {
        uint32_t c = peek(p);

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '=') || cer_buf_putc(&name, (uint8_t)c) < 0) {
            cer_buf_free(&name);
            return fail(p, "Invalid property name");
        }
        p->i++;
    }
    if (at_end(p) || !name.data) {
        cer_buf_free(&name);
        return fail(p, "Invalid property name");
    }
    p->i++;
    v = (const char *)name.data;
    put(p, neg ? "\\P{" : "\\p{");
    for (k = 0; k < sizeof prefixes / sizeof *prefixes; k++) {
        size_t l = strlen(prefixes[k].js);

        if (strncmp(v, prefixes[k].js, l) == 0) {
            put(p, prefixes[k].pcre);
            v += l;
            break;
        }
    }
    if (strchr(v, '=') || !*v)
        rc = fail(p, "Invalid property name");
    /* General_Category long names and aliases: PCRE2 10.42 knows the
     * short ones (JavaScript's names are case-sensitive; PCRE2's loose) */
    if (k == sizeof prefixes / sizeof *prefixes || !*prefixes[k].pcre)
        for (size_t g = 0; g < sizeof GC_NAMES / sizeof *GC_NAMES; g++)
            if (strcmp(v, GC_NAMES[g].js) == 0) {
                v = GC_NAMES[g].pcre;
                break;
            }
    put(p, v);
    put(p, "}");
    cer_buf_free(&name);
    return rc ? rc : p->err;
}

/* Four hex digits at p->i; -1 if not. */
static long hex4(const rparser *p, size_t at)
{
    long v = 0;

    for (size_t k = 0; k < 4; k++) {
        int h = at + k < p->n ? hexval(p->cp[at + k]) : -1;

        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* The code point of a \u escape at p->i (after the 'u'); -1 when it is
 * not one (the caller decides what that means). A surrogate pair written
 * as two escapes is one code point; a lone surrogate is returned as is. */
static long unicode_escape(rparser *p)
{
    long v;

    if (p->u && peek(p) == '{') {
        size_t j = p->i + 1;

        v = 0;
        if (j >= p->n || hexval(p->cp[j]) < 0)
            return -1;
        while (j < p->n && hexval(p->cp[j]) >= 0) {
            v = v * 16 + hexval(p->cp[j++]);
            if (v > 0x10ffff)
                return -1;
        }
        if (j >= p->n || p->cp[j] != '}')
            return -1;
        p->i = j + 1;
        return v;
    }
    v = hex4(p, p->i);
    if (v < 0)
        return -1;
    p->i += 4;
    if (v >= 0xd800 && v <= 0xdbff && peek(p) == '\\' && peek_at(p, 1) == 'u') {
        long lo = hex4(p, p->i + 2);

        if (lo >= 0xdc00 && lo <= 0xdfff) {
            p->i += 6;
            return 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
        }
    }
    return v;
}

/* Legacy octal escape (Annex B) at p->i: up to three octal digits, at
 * most 0377. */
static uint32_t legacy_octal(rparser *p)
{
    uint32_t v = 0;

    for (int k = 0; k < 3 && peek(p) >= '0' && peek(p) <= '7' && !at_end(p); k++) {
        uint32_t nv = v * 8 + (peek(p) - '0');

        if (nv > 0377)
            break;
        v = nv;
        p->i++;
    }
    return v;
}

/* The kinds of one class atom or atom escape. */
enum { ESC_CHAR, ESC_SET, ESC_WS, ESC_NWS, ESC_NONE };

typedef struct esc {
    int kind;
    uint32_t c;          /* ESC_CHAR */
    char set[96];        /* ESC_SET: a PCRE2 class item (\d, \p{..}) */
} esc;

/* A CharacterEscape or CharacterClassEscape after a backslash (p->i is on
 * the letter), shared by atoms and classes. in_class: `\b` is backspace,
 * `\-` is allowed with u. Returns 0 with *e filled, or an error. */
static int char_escape(rparser *p, esc *e, bool in_class)
{
    uint32_t c = peek(p);
    long v;

    e->kind = ESC_CHAR;
    if (at_end(p))
        return fail(p, "\\ at end of pattern");
    p->i++;
    switch (c) {
    case 'd': case 'D': case 'w': case 'W':
        e->kind = ESC_SET;
        snprintf(e->set, sizeof e->set, "\\%c", (char)c);
        return 0;
    case 's':
        e->kind = ESC_WS;
        return 0;
    case 'S':
        e->kind = ESC_NWS;
        return 0;
    case 'p': case 'P':
        if (!p->u)
            break;
        {
            cer_buf save = p->out;
            int rc;

            /* write the escape into a scratch buffer */
            p->out = (cer_buf)CER_BUF_INIT;
            rc = property_escape(p, c == 'P');
            if (!rc && p->out.len < sizeof e->set)
                memcpy(e->set, p->out.data, p->out.len + 1);
            else if (!rc)
                rc = fail(p, "Invalid property name");
            cer_buf_free(&p->out);
            p->out = save;
            e->kind = ESC_SET;
            return rc;
        }
    case 'f': e->c = 0x0c; return 0;
    case 'n': e->c = 0x0a; return 0;
    case 'r': e->c = 0x0d; return 0;
    case 't': e->c = 0x09; return 0;
    case 'v': e->c = 0x0b; return 0;
    case 'b':
        if (in_class) {
            e->c = 0x08;
            return 0;
        }
        break;
    case '-':
        if (in_class) {
            e->c = '-';
            return 0;
        }
        break;
    case 'c': {
        uint32_t l = peek(p);

        if ((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z') ||
            (!p->u && in_class && ((l >= '0' && l <= '9') || l == '_'))) {
            p->i++;
            e->c = l % 32;
            return 0;
        }
        if (p->u)
            return fail(p, "Invalid unicode escape");
        p->i--;  /* Annex B: the backslash is literal, 'c' comes next */
        e->c = '\\';
        return 0;
    }
    case '0':
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            e->c = 0;
            return 0;
        }
        if (p->u)
            return fail(p, "Invalid decimal escape");
        p->i--;
        e->c = legacy_octal(p);
        return 0;
    case 'x':
        if (hexval(peek(p)) >= 0 && hexval(peek_at(p, 1)) >= 0) {
            e->c = (uint32_t)(hexval(peek(p)) * 16 + hexval(peek_at(p, 1)));
            p->i += 2;
            return 0;
        }
        if (p->u)
            return fail(p, "Invalid escape");
        e->c = 'x';
        return 0;
    case 'u':
        v = unicode_escape(p);
        if (v >= 0) {
            e->c = (uint32_t)v;
            return 0;
        }
        if (p->u)
            return fail(p, "Invalid Unicode escape");
        e->c = 'u';
        return 0;
    default:
        break;
    }
    if (c >= '1' && c <= '9') {
        /* in a class (and outside one, when no group has the number) */
        if (p->u)
            return fail(p, in_class ? "Invalid class escape" : "Invalid escape");
        p->i--;
        if (c >= '8') {
            p->i++;
            e->c = c;
            return 0;
        }
        e->c = legacy_octal(p);
        return 0;
    }
    if (is_syntax_char(c)) {
        e->c = c;
        return 0;
    }
    if (p->u)
        return fail(p, in_class ? "Invalid class escape" : "Invalid escape");
    if (c == 'k' && p->nnames && !in_class)
        return fail(p, "Invalid named reference");
    e->c = c;  /* Annex B identity escape */
    return 0;
}

/* Writes a single code point as a pattern atom. */
static int put_atom_cp(rparser *p, uint32_t c)
{
    if (is_surrogate(c))
        return put(p, "(?:(?!))");  /* no string here holds a lone surrogate */
    return put_cp(p, c);
}

/* ---- character classes ---- */

typedef struct citem {
    int kind;            /* ESC_CHAR (a range lo..hi), ESC_SET, ESC_WS, ESC_NWS */
    uint32_t lo, hi;
    char set[96];
} citem;

static int class_atom(rparser *p, citem *it)
{
    uint32_t c = peek(p);

    it->kind = ESC_CHAR;
    if (c == '\\') {
        esc e;
        int rc;

        p->i++;
        if (peek(p) == 'k' && p->u)
            return fail(p, "Invalid class escape");
        rc = char_escape(p, &e, true);
        if (rc)
            return rc;
        it->kind = e.kind;
        it->lo = it->hi = e.c;
        memcpy(it->set, e.set, sizeof it->set);
        return 0;
    }
    p->i++;
    it->lo = it->hi = c;
    return 0;
}

static int put_class_items(rparser *p, const citem *items, size_t n, bool with_ws)
{
    for (size_t k = 0; k < n && !p->err; k++) {
        const citem *it = &items[k];

        if (it->kind == ESC_SET) {
            put(p, it->set);
        } else if (it->kind == ESC_WS) {
            if (with_ws)
                put(p, WS_ITEMS);
        } else if (it->kind == ESC_CHAR) {
            uint32_t lo = it->lo, hi = it->hi;

            /* leave out the surrogates: no string here holds one */
            if (lo >= 0xd800 && hi <= 0xdfff)
                continue;
            if (lo < 0xd800 && hi >= 0xd800) {
                if (hi > 0xdfff) {
                    citem rest = *it;

                    rest.lo = 0xe000;
                    put_class_items(p, &rest, 1, with_ws);
                }
                hi = 0xd7ff;
            } else if (lo >= 0xd800 && lo <= 0xdfff) {
                lo = 0xe000;
            }
            put_class_cp(p, lo);
            if (hi != lo) {
                put(p, "-");
                put_class_cp(p, hi);
            }
            if (p->fold_ascii) {
                /* the other case of the ASCII letters in lo..hi */
                for (int up = 0; up < 2; up++) {
                    uint32_t a = up ? 'a' : 'A', z = up ? 'z' : 'Z';
                    uint32_t l2 = lo > a ? lo : a, h2 = hi < z ? hi : z;

                    if (l2 > h2)
                        continue;
                    put_class_cp(p, l2 ^ 0x20);
                    put(p, "-");
                    put_class_cp(p, h2 ^ 0x20);
                }
            }
        }
    }
    return p->err;
}

static int char_class(rparser *p)
{
    citem *items = NULL;
    size_t n = 0, cap = 0, npos = 0;
    bool neg = false, has_nws = false;
    int rc = 0;

    p->i++;  /* '[' */
    if (peek(p) == '^' && !at_end(p)) {
        neg = true;
        p->i++;
    }
    for (;;) {
        citem a, b;

        if (at_end(p)) {
            rc = fail(p, "Unterminated character class");
            goto out;
        }
        if (peek(p) == ']') {
            p->i++;
            break;
        }
        if ((rc = class_atom(p, &a)))
            goto out;
        if (peek(p) == '-' && p->i + 1 < p->n && peek_at(p, 1) != ']') {
            p->i++;
            if ((rc = class_atom(p, &b)))
                goto out;
            if (a.kind != ESC_CHAR || b.kind != ESC_CHAR) {
                if (p->u) {
                    rc = fail(p, "Invalid character class");
                    goto out;
                }
                /* Annex B: a, '-', b as three atoms */
                if (n + 3 > cap) {
                    citem *g = realloc(items, (cap = cap * 2 + 8) * sizeof *items);
                    if (!g) { rc = cer_err(-ENOMEM, "regex: out of memory"); goto out; }
                    items = g;
                }
                items[n++] = a;
                items[n].kind = ESC_CHAR, items[n].lo = items[n].hi = '-', n++;
                items[n++] = b;
                continue;
            }
            if (a.lo > b.lo) {
                rc = fail(p, "Range out of order in character class");
                goto out;
            }
            a.hi = b.lo;
        }
        if (n + 1 > cap) {
            citem *g = realloc(items, (cap = cap * 2 + 8) * sizeof *items);
            if (!g) { rc = cer_err(-ENOMEM, "regex: out of memory"); goto out; }
            items = g;
        }
        items[n++] = a;
    }
    for (size_t k = 0; k < n; k++) {
        if (items[k].kind == ESC_NWS)
            has_nws = true;
        else
            npos++;
    }
    if (!has_nws) {
        if (n == 0) {
            rc = put(p, neg ? "[\\x{0}-\\x{10ffff}]" : "(?:(?!))");
        } else {
            put(p, neg ? "[^" : "[");
            put_class_items(p, items, n, true);
            rc = put(p, "]");
        }
    } else if (!neg) {
        /* [x\S] = x or not white space */
        put(p, "(?:[^");
        put(p, WS_ITEMS);
        put(p, "]");
        if (npos) {
            put(p, "|[");
            put_class_items(p, items, n, true);
            put(p, "]");
        }
        rc = put(p, ")");
    } else {
        /* [^x\S] = white space and not x */
        put(p, "(?:");
        if (npos) {
            put(p, "(?![");
            put_class_items(p, items, n, true);
            put(p, "])");
        }
        put(p, "[");
        put(p, WS_ITEMS);
        rc = put(p, "])");
    }
out:
    free(items);
    return rc ? rc : p->err;
}

/* ---- atoms and terms ---- */

static int atom_escape(rparser *p)
{
    uint32_t c;
    esc e;
    int rc;

    p->i++;  /* '\' */
    c = peek(p);
    if (at_end(p))
        return fail(p, "\\ at end of pattern");
    if (c >= '1' && c <= '9') {
        size_t save = p->i;
        uint64_t num;
        char tmp[32];

        digits(p, &num);
        if (num <= p->ngroups) {
            snprintf(tmp, sizeof tmp, "(?:\\g{%u})", (unsigned)num);
            return put(p, tmp);
        }
        p->i = save;
    }
    if (c == 'k' && (p->u || p->nnames)) {
        size_t k;

        p->i++;
        if (peek(p) != '<' || !(k = name_len(p, p->i + 1)))
            return fail(p, "Invalid named reference");
        for (unsigned g = 0; g < p->ngroups; g++) {
            char *nm = name_str(p, p->i + 1, k);
            bool same;

            if (!nm)
                return cer_err(-ENOMEM, "regex: out of memory");
            same = p->names[g] && strcmp(p->names[g], nm) == 0;
            free(nm);
            if (same) {
                char tmp[32];

                p->i += k + 2;
                snprintf(tmp, sizeof tmp, "(?:\\g{%u})", g + 1);
                return put(p, tmp);
            }
        }
        return fail(p, "Invalid named capture referenced");
    }
    if ((rc = char_escape(p, &e, false)))
        return rc;
    switch (e.kind) {
    case ESC_SET:
        put(p, "[");
        put(p, e.set);
        return put(p, "]");
    case ESC_WS:
        put(p, "[");
        put(p, WS_ITEMS);
        return put(p, "]");
    case ESC_NWS:
        put(p, "[^");
        put(p, WS_ITEMS);
        return put(p, "]");
    default:
        return put_atom_cp(p, e.c);
    }
}

static int group(rparser *p, bool *quantifiable)
{
    *quantifiable = true;
    p->i++;  /* '(' */
    if (peek(p) == '?') {
        uint32_t c = peek_at(p, 1);

        if (c == ':' || c == '=' || c == '!') {
            put(p, c == ':' ? "(?:" : c == '=' ? "(?=" : "(?!");
            if (c != ':')
                *quantifiable = !p->u;  /* Annex B: a quantified lookahead */
            p->i += 2;
        } else if (c == '<' && (peek_at(p, 2) == '=' || peek_at(p, 2) == '!')) {
            put(p, peek_at(p, 2) == '=' ? "(?<=" : "(?<!");
            *quantifiable = false;
            p->i += 3;
        } else if (c == '<') {
            size_t k = name_len(p, p->i + 2);

            if (!k)
                return fail(p, "Invalid capture group name");
            /* PCRE2's names are narrower than JavaScript's: the group is
             * numbered, and \k<name> becomes its number */
            put(p, "(");
            p->i += 2 + k + 1;
        } else {
            return fail(p, "Invalid group");
        }
    } else {
        put(p, "(");
    }
    if (disjunction(p))
        return p->err;
    if (peek(p) != ')' || at_end(p))
        return fail(p, "Unterminated group");
    p->i++;
    return put(p, ")");
}

static int term(rparser *p)
{
    uint32_t c = peek(p);
    bool quantifiable = true;
    uint64_t lo, hi;
    bool open;

    switch (c) {
    case '^':
        p->i++;
        put(p, "^");
        quantifiable = false;
        break;
    case '$':
        p->i++;
        put(p, "$");
        quantifiable = false;
        break;
    case '\\':
        if (peek_at(p, 1) == 'b' || peek_at(p, 1) == 'B') {
            put(p, peek_at(p, 1) == 'b' ? "\\b" : "\\B");
            p->i += 2;
            quantifiable = false;
        } else if (atom_escape(p)) {
            return p->err;
        }
        break;
    case '(':
        if (++p->depth > NEST_MAX)
            return fail(p, "too deeply nested");
        if (group(p, &quantifiable))
            return p->err;
        p->depth--;
        break;
    case '[':
        if (char_class(p))
            return p->err;
        break;
    case '.':
        p->i++;
        put(p, "[^\\x{a}\\x{d}\\x{2028}\\x{2029}]");
        break;
    case '*': case '+': case '?':
        return fail(p, "Nothing to repeat");
    case '{':
        if (p->u)
            return fail(p, brace_quantifier(p, &lo, &hi, &open) ? "Nothing to repeat"
                                                                  : "Lone quantifier brackets");
        if (brace_quantifier(p, &lo, &hi, &open))
            return fail(p, "Nothing to repeat");
        p->i++;
        put_cp(p, c);
        break;
    case '}': case ']':
        if (p->u)
            return fail(p, "Lone quantifier brackets");
        p->i++;
        put_cp(p, c);
        break;
    default:
        p->i++;
        put_atom_cp(p, c);
        break;
    }
    if (p->err)
        return p->err;
    return quantifier(p, quantifiable);
}

static int disjunction(rparser *p)
{
    for (;;) {
        while (!at_end(p) && peek(p) != '|' && peek(p) != ')')
            if (term(p))
                return p->err;
        if (at_end(p) || peek(p) != '|')
            return 0;
        p->i++;
        if (put(p, "|"))
            return p->err;
    }
}

/* ------------------------------------------------------------------ */
/* Public                                                               */
/* ------------------------------------------------------------------ */

int cer_jsregex_new(cer_jsregex **out, const char *src, size_t len, unsigned flags)
{
    rparser p = {.u = (flags & CER_JSRE_UNICODE) != 0,
                 .fold_ascii = (flags & CER_JSRE_ICASE) && !(flags & CER_JSRE_UNICODE)};
    cer_jsregex *re = NULL;
    pcre2_code *code;
    int rc, ec;
    PCRE2_SIZE eo;

    *out = NULL;
    if ((rc = decode(&p, src, len)) || (rc = prescan(&p)))
        goto done;
    if (!disjunction(&p) && !at_end(&p))
        fail(&p, "Unmatched ')'");
    if ((rc = p.err) || (flags & CER_JSRE_SYNTAX))
        goto done;
    if (!p.out.data && cer_buf_puts(&p.out, "") < 0) {
        rc = cer_err(-ENOMEM, "regex: out of memory");
        goto done;
    }
    code = pcre2_compile((PCRE2_SPTR)p.out.data, p.out.len,
                         PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_UNSET_BACKREF |
                             PCRE2_NEVER_BACKSLASH_C |
                             (((flags & CER_JSRE_ICASE) && p.u) ? PCRE2_CASELESS : 0),
                         &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[120];

        pcre2_get_error_message(ec, msg, sizeof msg);
        rc = cer_err(ec == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EINVAL,
                     "regular expression not supported here: %s", (const char *)msg);
        goto done;
    }
    re = calloc(1, sizeof *re);
    if (re)
        re->mctx = pcre2_match_context_create(NULL);
    if (!re || !re->mctx) {
        pcre2_code_free(code);
        free(re);
        re = NULL;
        rc = cer_err(-ENOMEM, "regex: out of memory");
        goto done;
    }
    re->code = code;
    pcre2_set_heap_limit(re->mctx, HEAP_LIMIT_KB);
    *out = re;
done:
    free(p.cp);
    if (p.names)
        for (unsigned g = 0; g < p.ngroups; g++)
            free(p.names[g]);
    free(p.names);
    cer_buf_free(&p.out);
    return rc;
}

void cer_jsregex_free(cer_jsregex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    pcre2_match_context_free(re->mctx);
    free(re);
}

int cer_jsregex_test(const cer_jsregex *re, const char *s, size_t len)
{
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    char *copy = NULL;
    uint32_t limit;
    int rc;

    /* U+0000 is C0 80 in project strings: give PCRE2 the real NUL */
    if (memchr(s, 0xc0, len)) {
        size_t j = 0;

        copy = malloc(len ? len : 1);
        if (!copy)
            return cer_err(-ENOMEM, "regex: out of memory");
        for (size_t i = 0; i < len; i++) {
            if ((uint8_t)s[i] == 0xc0 && i + 1 < len && (uint8_t)s[i + 1] == 0x80) {
                copy[j++] = 0;
                i++;
            } else {
                copy[j++] = s[i];
            }
        }
        s = copy;
        len = j;
    }
    md = pcre2_match_data_create(1, NULL);
    mctx = pcre2_match_context_copy(re->mctx);
    if (!md || !mctx) {
        pcre2_match_data_free(md);
        pcre2_match_context_free(mctx);
        free(copy);
        return cer_err(-ENOMEM, "regex: out of memory");
    }
    limit = MATCH_LIMIT_BASE + (len > (UINT32_MAX - MATCH_LIMIT_BASE) / MATCH_LIMIT_PER_BYTE
                                    ? UINT32_MAX - MATCH_LIMIT_BASE
                                    : (uint32_t)len * MATCH_LIMIT_PER_BYTE);
    pcre2_set_match_limit(mctx, limit);
    pcre2_set_depth_limit(mctx, limit);
    rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, mctx);
    pcre2_match_context_free(mctx);
    pcre2_match_data_free(md);
    free(copy);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc == PCRE2_ERROR_NOMEMORY)
        return cer_err(-ENOMEM, "regex: out of memory");
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
        return cer_err(-EFBIG, "regex: match limit reached (the pattern backtracks too much)");
    return cer_err(-EINVAL, "regex: subject is not UTF-8");
}
