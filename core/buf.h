/*
 * buf.h — growable byte buffers (cer_buf, declared in ceramic.h).
 *
 * Internal helpers beyond the public append/free. Every append can fail
 * with -ENOMEM; on failure the buffer keeps its previous contents.
 */
#ifndef CER_BUF_H
#define CER_BUF_H

#include "ceramic.h"

/* Make room for at least extra more bytes (plus the NUL terminator). */
int cer_buf_reserve(cer_buf *b, size_t extra);
int cer_buf_putc(cer_buf *b, uint8_t c);
int cer_buf_puts(cer_buf *b, const char *s);
/* Take ownership of the contents (NUL-terminated; NULL if empty) and reset b. */
uint8_t *cer_buf_detach(cer_buf *b);

#endif
