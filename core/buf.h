/*
 * buf.h — growable byte buffers (cer_buf, declared in ceramic.h), and
 * JSON Pointers built in them.
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
/* Cut b back to len bytes, a length it had before (NUL kept after them). */
void cer_buf_truncate(cer_buf *b, size_t len);
/* JSON Pointer (RFC 6901) building: append "/" and key with '~' written
 * "~0" and '/' written "~1" (or the decimal index i). On failure b is as
 * it was. cer_buf_truncate to the previous length pops the step. */
int cer_buf_ptr_push(cer_buf *b, const char *key);
int cer_buf_ptr_push_index(cer_buf *b, size_t i);

#endif
