/*
 * varint.c — multiformats unsigned varints: LEB128, at most 9 bytes
 * (63 bits), minimal encoding required on read, as the multiformats
 * unsigned-varint spec says. Used by CIDs, multihashes and StreamIDs.
 */
#include "varint.h"
#include "error.h"

size_t cer_varint_put(uint8_t out[CER_VARINT_MAX], uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

int cer_varint_get(uint64_t *out, const uint8_t *p, size_t len)
{
    uint64_t v = 0;

    for (size_t i = 0; i < 9; i++) {
        if (i >= len)
            return cer_err(-EINVAL, "varint: truncated after %zu bytes", i);
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (p[i] == 0 && i > 0)
                return cer_err(-EINVAL, "varint: not minimally encoded");
            *out = v;
            return (int)i + 1;
        }
    }
    return cer_err(-EINVAL, "varint: longer than 9 bytes");
}
