/*
 * multibase.c — the string encodings Ceramic uses: base16 (hex), base32 lower (CIDs),
 * base36 lower (StreamIDs), base58btc (did:key, CIDv0), base64 and
 * base64url without padding (JWS, dag-json bytes, pubsub). RFC 4648 bases
 * are bit-packed; base36 and base58 are big-endian base conversions where
 * each leading zero byte is one leading zero digit (multiformats "baseX").
 * Decoders are strict: unknown characters and non-zero trailing bits are
 * errors, as in the multiformats JS decoders.
 */
#include "multibase.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char B16[] = "0123456789abcdef";
static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char B36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64U[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Inputs above this size are refused by the quadratic base conversions. */
#define BASEX_MAX 4096

static const char *alphabet(cer_base base, unsigned *bits)
{
    switch (base) {
    case CER_BASE16: *bits = 4; return B16;
    case CER_BASE32: *bits = 5; return B32;
    case CER_BASE36: *bits = 0; return B36;
    case CER_BASE58BTC: *bits = 0; return B58;
    case CER_BASE64: *bits = 6; return B64;
    case CER_BASE64URL: *bits = 6; return B64U;
    }
    return NULL;
}

size_t cer_base_encoded_max(cer_base base, size_t len)
{
    switch (base) {
    case CER_BASE16: return len * 2 + 1;
    case CER_BASE32: return (len * 8 + 4) / 5 + 1;
    case CER_BASE64:
    case CER_BASE64URL: return (len * 8 + 5) / 6 + 1;
    default: return len * 2 + 2;  /* base36 and base58 need < 1.55 chars per byte */
    }
}

static int rfc4648_encode(char *out, size_t cap, const char *abc, unsigned bits,
                          const uint8_t *data, size_t len)
{
    size_t n = 0;
    unsigned acc = 0, nbits = 0, mask = (1u << bits) - 1;

    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        nbits += 8;
        while (nbits >= bits) {
            nbits -= bits;
            if (n + 1 >= cap)
                return cer_err(-ENOSPC, "base encode: output buffer too small");
            out[n++] = abc[(acc >> nbits) & mask];
        }
        acc &= (1u << nbits) - 1;
    }
    if (nbits) {
        if (n + 1 >= cap)
            return cer_err(-ENOSPC, "base encode: output buffer too small");
        out[n++] = abc[(acc << (bits - nbits)) & mask];
    }
    out[n] = '\0';
    return (int)n;
}

/* The value of character c in alphabet abc, or -1: arithmetic for the
 * RFC 4648 alphabets (these decoders run on every block a node loads),
 * a search for anything else. Hex is read in either case. */
static int digit_value(const char *abc, unsigned char c)
{
    if (abc == B16) {
        if (c >= '0' && c <= '9')
            return c - '0';
        c |= 0x20;
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }
    if (abc == B32) {
        if (c >= 'a' && c <= 'z')
            return c - 'a';
        return c >= '2' && c <= '7' ? c - '2' + 26 : -1;
    }
    if (abc == B64 || abc == B64U) {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == abc[62])
            return 62;
        return c == abc[63] ? 63 : -1;
    }
    {
        const char *p = c ? strchr(abc, c) : NULL;
        return p ? (int)(p - abc) : -1;
    }
}

static int rfc4648_decode(uint8_t *out, size_t cap, const char *abc, unsigned bits,
                          const char *s, size_t slen)
{
    size_t n = 0;
    unsigned acc = 0, nbits = 0;

    if (bits == 6)  /* base64 variants: accept (and ignore) trailing padding */
        while (slen && s[slen - 1] == '=')
            slen--;
    for (size_t i = 0; i < slen; i++) {
        int v = digit_value(abc, (unsigned char)s[i]);
        if (v < 0)
            return cer_err(-EINVAL, "base decode: invalid character '%c' at %zu", s[i], i);
        acc = (acc << bits) | (unsigned)v;
        nbits += bits;
        if (nbits >= 8) {
            nbits -= 8;
            if (n >= cap)
                return cer_err(-ENOSPC, "base decode: output buffer too small");
            out[n++] = (uint8_t)(acc >> nbits);
            acc &= (1u << nbits) - 1;
        }
    }
    if (nbits >= bits || acc != 0)
        return cer_err(-EINVAL, "base decode: unexpected end of data");
    return (int)n;
}

/* One base conversion pass: divide the big-endian limbs by pow = radix^k
 * and append the remainder's k digits, least significant first. Inlined
 * with constants, so that the divisions become multiplications. */
static inline __attribute__((always_inline)) size_t basex_pass(uint32_t *limbs, size_t *nl, uint8_t *digits,
                                                               uint32_t radix, unsigned k, uint32_t pow)
{
    uint64_t rem = 0;
    size_t top = 0;
    uint32_t r;

    for (size_t i = 0; i < *nl; i++) {
        uint64_t cur = rem << 32 | limbs[i];
        limbs[i] = (uint32_t)(cur / pow);
        rem = cur % pow;
    }
    while (top < *nl && limbs[top] == 0)
        top++;
    if (top > 0) {  /* drop the leading zero limbs (memmove with top == 0 trips valgrind's fortify check) */
        for (size_t i = top; i < *nl; i++)
            limbs[i - top] = limbs[i];
        *nl -= top;
    }
    r = (uint32_t)rem;
    for (unsigned j = 0; j < k; j++) {
        digits[j] = (uint8_t)(r % radix);
        r /= radix;
    }
    return k;
}

/* The number is cut into 32-bit limbs and divided by the largest power of
 * the radix that fits a limb, so one pass over the limbs yields several
 * digits (6 for base36, 5 for base58): StreamIDs are encoded on every
 * registry lookup. */
static int basex_encode(char *out, size_t cap, const char *abc, unsigned radix,
                        const uint8_t *data, size_t len)
{
    uint32_t limbs[(BASEX_MAX + 3) / 4];
    uint8_t digits[BASEX_MAX * 2];
    size_t zeros = 0, nl = 0, nd = 0, n = 0;
    unsigned k = 0;
    uint64_t pow = 1;

    if (len > BASEX_MAX)
        return cer_err(-EFBIG, "base encode: input over %d bytes", BASEX_MAX);
    while (zeros < len && data[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < len; i++) {  /* big-endian limbs, the first one partial */
        if ((len - i) % 4 == 0 || i == zeros)
            limbs[nl++] = 0;
        limbs[nl - 1] = limbs[nl - 1] << 8 | data[i];
    }
    while (pow * radix <= UINT32_MAX) {
        pow *= radix;
        k++;
    }
    while (nl > 0) {
        if (radix == 36)
            nd += basex_pass(limbs, &nl, digits + nd, 36, 6, 2176782336u);
        else if (radix == 58)
            nd += basex_pass(limbs, &nl, digits + nd, 58, 5, 656356768u);
        else
            nd += basex_pass(limbs, &nl, digits + nd, radix, k, (uint32_t)pow);
    }
    while (nd > 0 && digits[nd - 1] == 0)
        nd--;
    if (zeros + nd + 1 > cap)
        return cer_err(-ENOSPC, "base encode: output buffer too small");
    for (size_t i = 0; i < zeros; i++)
        out[n++] = abc[0];
    while (nd > 0)
        out[n++] = abc[digits[--nd]];
    out[n] = '\0';
    return (int)n;
}

static int basex_decode(uint8_t *out, size_t cap, const char *abc, unsigned radix,
                        const char *s, size_t slen)
{
    size_t zeros = 0, size, high, n;
    uint8_t *bytes;

    if (slen > BASEX_MAX)
        return cer_err(-EFBIG, "base decode: input over %d characters", BASEX_MAX);
    while (zeros < slen && s[zeros] == abc[0])
        zeros++;
    size = slen - zeros + 1;  /* log(256)/log(radix) >= 1 byte per char */
    bytes = calloc(size, 1);
    if (!bytes)
        return cer_err(-ENOMEM, "base decode: out of memory");
    high = size;
    for (size_t i = zeros; i < slen; i++) {
        const char *p = s[i] ? strchr(abc, s[i]) : NULL;
        unsigned carry;
        size_t j = size;
        if (!p) {
            free(bytes);
            return cer_err(-EINVAL, "base decode: invalid character '%c' at %zu", s[i], i);
        }
        carry = (unsigned)(p - abc);
        while (j > 0 && (j > high || carry)) {
            j--;
            carry += radix * bytes[j];
            bytes[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        high = j;
    }
    while (high < size && bytes[high] == 0)
        high++;
    n = zeros + (size - high);
    if (n > cap) {
        free(bytes);
        return cer_err(-ENOSPC, "base decode: output buffer too small");
    }
    memset(out, 0, zeros);
    memcpy(out + zeros, bytes + high, size - high);
    free(bytes);
    return (int)n;
}

int cer_base_encode(char *out, size_t cap, cer_base base, const uint8_t *data, size_t len)
{
    unsigned bits;
    const char *abc = alphabet(base, &bits);

    if (!abc)
        return cer_err(-ENOTSUP, "multibase: unsupported base '%c'", (char)base);
    if (cap == 0)
        return cer_err(-ENOSPC, "base encode: output buffer too small");
    if (bits)
        return rfc4648_encode(out, cap, abc, bits, data, len);
    return basex_encode(out, cap, abc, (unsigned)strlen(abc), data, len);
}

int cer_base_decode(uint8_t *out, size_t cap, cer_base base, const char *s, size_t slen)
{
    unsigned bits;
    const char *abc = alphabet(base, &bits);

    if (!abc)
        return cer_err(-ENOTSUP, "multibase: unsupported base '%c'", (char)base);
    if (bits)
        return rfc4648_decode(out, cap, abc, bits, s, slen);
    return basex_decode(out, cap, abc, (unsigned)strlen(abc), s, slen);
}

int cer_multibase_encode(char *out, size_t cap, cer_base base, const uint8_t *data, size_t len)
{
    int rc;

    if (cap < 2)
        return cer_err(-ENOSPC, "base encode: output buffer too small");
    rc = cer_base_encode(out + 1, cap - 1, base, data, len);
    if (rc < 0)
        return rc;
    out[0] = (char)base;
    return rc + 1;
}

int cer_multibase_decode(uint8_t *out, size_t cap, const char *s)
{
    if (!s[0])
        return cer_err(-EINVAL, "multibase: empty string");
    switch (s[0]) {
    case CER_BASE16:
    case CER_BASE32:
    case CER_BASE36:
    case CER_BASE58BTC:
    case CER_BASE64:
    case CER_BASE64URL:
        return cer_base_decode(out, cap, (cer_base)s[0], s + 1, strlen(s + 1));
    default:
        return cer_err(-ENOTSUP, "multibase: unsupported prefix '%c'", s[0]);
    }
}
