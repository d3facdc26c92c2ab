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
    char prefix[MSG_MAX], old[MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_msg, sizeof old);
    if (old[0])
        snprintf(last_msg, sizeof last_msg, "%s: %s", prefix, old);
    else
        snprintf(last_msg, sizeof last_msg, "%s: %s", prefix, strerror(-code));
    return code;
}
