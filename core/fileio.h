/*
 * fileio.h — small crash-safe file helpers (fileio.c) shared by the
 * modules that keep files (key files, the stream registry, the event
 * log) and by the mount's drafts: cer_write_all, cer_file_replace and
 * CER_TMP_PREFIX, declared in ceramic.h; cer_read_fd, internal.
 */
#ifndef CER_FILEIO_H
#define CER_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "ceramic.h"

/* Read the regular file fd into out (replacing its contents, NUL after
 * them). A file over max bytes is -EFBIG, or, with tail, only its last
 * max bytes are read and *skipped (may be NULL) says how many were not.
 * A file that shrinks under the read gives what is there. Errors name
 * what (a file name). 0 or -errno. */
int cer_read_fd(int fd, const char *what, size_t max, bool tail, cer_buf *out, size_t *skipped);

#endif
