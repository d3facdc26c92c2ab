/*
 * fileio.h — small crash-safe file helpers shared by the modules that keep
 * files (key files, the stream registry, the event log).
 */
#ifndef CER_FILEIO_H
#define CER_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* Prefix of the temporary files cer_file_replace leaves after a crash
 * (".tmp-<name>-XXXXXX"), so that a directory's owner can sweep them. */
#define CER_TMP_PREFIX ".tmp-"

/* write(2) all of p, retrying on EINTR and short writes: 0 or -errno. */
int cer_write_all(int fd, const void *p, size_t n);
/* Replace the file at path with data, crash-safely: a temporary file
 * beside it (mode), written in full, fsync'd, renamed over path, and the
 * directory fsync'd, so a crash leaves the old file or the new one, never
 * a torn one. Without sync both fsyncs are skipped (caches, tests).
 * Returns 0 or a negative errno with a message naming path. */
int cer_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync);
/* Read the regular file fd into out (replacing its contents, NUL after
 * them). A file over max bytes is -EFBIG, or, with tail, only its last
 * max bytes are read and *skipped (may be NULL) says how many were not.
 * A file that shrinks under the read gives what is there. Errors name
 * what (a file name). 0 or -errno. */
int cer_read_fd(int fd, const char *what, size_t max, bool tail, cer_buf *out, size_t *skipped);

#endif
