/*
 * error.c — per-thread last-error message (see error.h).
 */
#include "error.h"

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
    size_t i;

    for (i = 0; i < 64 && s[i]; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i])
        memcpy(out + i, "...", 4);
    else
        out[i] = '\0';
    return out;
}
