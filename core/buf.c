/*
 * buf.c — growable byte buffers.
 */
#include "buf.h"
#include "error.h"

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
