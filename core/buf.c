/*
 * buf.c — growable byte buffers, and JSON Pointers (RFC 6901) built in
 * them a step at a time.
 */
#include "buf.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cer_buf_free(cer_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int cer_buf_reserve(cer_buf *b, size_t extra)
{
    size_t need, cap;
    uint8_t *p;

    if (extra > SIZE_MAX / 2 - b->len - 1)
        return cer_err(-ENOMEM, "buffer: size overflow");
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return cer_err(-ENOMEM, "buffer: out of memory (%zu bytes)", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int cer_buf_append(cer_buf *b, const void *data, size_t len)
{
    int rc = cer_buf_reserve(b, len);

    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int cer_buf_putc(cer_buf *b, uint8_t c)
{
    return cer_buf_append(b, &c, 1);
}

int cer_buf_puts(cer_buf *b, const char *s)
{
    return cer_buf_append(b, s, strlen(s));
}

uint8_t *cer_buf_detach(cer_buf *b)
{
    uint8_t *p = b->data;

    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void cer_buf_truncate(cer_buf *b, size_t len)
{
    if (b->data && len <= b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

int cer_buf_ptr_push(cer_buf *b, const char *key)
{
    size_t mark = b->len;
    int rc = cer_buf_putc(b, '/');

    for (const char *k = key; rc == 0 && *k; k++) {
        if (*k == '~')
            rc = cer_buf_puts(b, "~0");
        else if (*k == '/')
            rc = cer_buf_puts(b, "~1");
        else
            rc = cer_buf_putc(b, (uint8_t)*k);
    }
    if (rc < 0)
        cer_buf_truncate(b, mark);
    return rc;
}

int cer_buf_ptr_push_index(cer_buf *b, size_t i)
{
    char key[24];

    snprintf(key, sizeof key, "%zu", i);
    return cer_buf_ptr_push(b, key);
}
