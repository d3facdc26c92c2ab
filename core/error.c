/*
 * error.c — per-thread last-error message (see error.h).
 */
#include "error.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_MAX 512

static _Thread_local char last_msg[MSG_MAX];

const char *cer_errmsg(void)
{
    return last_msg;
}

void cer_errclear(void)
{
    last_msg[0] = '\0';
}

int cer_err(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    return code;
}

int cer_err_wrap(int code, const char *fmt, ...)
{
    char old[MSG_MAX];
    const char *reason;
    size_t n;
    va_list ap;

    memcpy(old, last_msg, sizeof old);
    reason = old[0] ? old : strerror(-code);
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    n = strlen(last_msg);
    if (n + 3 < sizeof last_msg) {  /* ": " and the reason, cut to fit */
        size_t r = strlen(reason), room = sizeof last_msg - n - 3;
        if (r > room)
            r = room;
        memcpy(last_msg + n, ": ", 2);
        memcpy(last_msg + n + 2, reason, r);
        last_msg[n + 2 + r] = '\0';
    }
    return code;
}

const char *cer_excerpt(char out[CER_EXCERPT_MAX], const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, o = 0;

    /* whole characters, so a name keeps its letters (é, ü, 日本) */
    while (p[i] && o < 64) {
        size_t n = cer_utf8_seq(p + i, strnlen(s + i, 4));
        uint32_t c = n == 2 ? (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f)
                   : n == 3 ? (uint32_t)(p[i] & 0x0f) << 12 | (uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f)
                            : 0;
        if (n > 64 - o)
            break;
        /* controls (C0, DEL, C1) and the bidirectional overrides, which
         * would make a message read other than it is, as '?' */
        if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) || (n == 2 && c < 0xa0) ||
            (n == 3 && ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)))) {
            out[o++] = '?';
            i += n ? n : 1;
            continue;
        }
        memcpy(out + o, p + i, n);
        o += n;
        i += n;
    }
    if (p[i])
        memcpy(out + o, "...", 4);
    else
        out[o] = '\0';
    return out;
}
