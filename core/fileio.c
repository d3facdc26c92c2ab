/*
 * fileio.c — crash-safe replacement of small files (temp + fsync + rename
 * + directory fsync), the write-all and read-all loops, for the key file,
 * the stream registry and the event log. (The block store has its own, with fault injection: flatfs.c.)
 */
#include "fileio.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cer_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sys_err(int e, const char *path, const char *what)
{
    return cer_err(-e, "%s: %s: %s", path, what, strerror(e));
}

int cer_read_fd(int fd, const char *what, size_t max, bool tail, cer_buf *out, size_t *skipped)
{
    struct stat st;
    size_t size, start = 0;
    int rc;

    out->len = 0;
    if (skipped)
        *skipped = 0;
    if (fstat(fd, &st) < 0)
        return sys_err(errno, what, "cannot stat");
    if (!S_ISREG(st.st_mode))
        return cer_err(-EINVAL, "%s: not a regular file", what);
    size = (size_t)st.st_size;
    if ((uint64_t)st.st_size > max) {
        if (!tail)
            return cer_err(-EFBIG, "%s: %lld bytes is over the %zu byte limit", what, (long long)st.st_size, max);
        start = size - max;
        size = max;
    }
    if ((rc = cer_buf_reserve(out, size + 1)) < 0)
        return rc;
    while (out->len < size) {
        ssize_t n = pread(fd, out->data + out->len, size - out->len, (off_t)(start + out->len));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sys_err(errno, what, "cannot read");
        if (n == 0)
            break;  /* shrank under us: take what is there */
        out->len += (size_t)n;
    }
    out->data[out->len] = '\0';
    if (skipped)
        *skipped = start;
    return 0;
}

/* fsync the directory holding path, so a rename into it is durable. It
 * allocates nothing: it runs after the rename, where running out of memory
 * would report a failure for a file that is already replaced. */
static int sync_parent(const char *path, const char *slash)
{
    char dir[PATH_MAX];
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    int fd, rc = 0;

    if (n >= sizeof dir)
        return cer_err(-ENAMETOOLONG, "%s: directory name too long", path);
    memcpy(dir, !slash ? "." : path, n);
    dir[n] = '\0';
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = sys_err(errno, dir, "cannot open the directory");
    } else {
        /* some file systems cannot sync directories; that is no error */
        if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
            rc = sys_err(errno, dir, "cannot sync the directory");
        close(fd);
    }
    return rc;
}

int cer_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t cap = strlen(path) + sizeof CER_TMP_PREFIX "-XXXXXX";
    char *tmp = malloc(cap);
    int fd = -1, rc;
    bool renamed = false;

    if (!tmp)
        return cer_err(-ENOMEM, "%s: out of memory", path);
    snprintf(tmp, cap, "%.*s" CER_TMP_PREFIX "%s-XXXXXX", (int)(base - path), path, base);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        rc = sys_err(errno, path, "cannot create a temporary file beside it");
        free(tmp);  /* the template may now name someone else's file: never unlink it */
        return rc;
    }
    if (fchmod(fd, mode) < 0) {
        rc = sys_err(errno, tmp, "cannot set the mode");
        goto out;
    }
    if ((rc = cer_write_all(fd, data, len)) < 0) {
        rc = sys_err(-rc, tmp, "cannot write");
        goto out;
    }
    if (sync && fsync(fd) < 0) {
        rc = sys_err(errno, tmp, "cannot sync");
        goto out;
    }
    rc = close(fd);
    fd = -1;
    if (rc < 0) {
        rc = sys_err(errno, tmp, "cannot close");
        goto out;
    }
    if (rename(tmp, path) < 0) {
        rc = sys_err(errno, path, "cannot rename the temporary file onto it");
        goto out;
    }
    renamed = true;
    rc = sync ? sync_parent(path, slash) : 0;
out:
    if (fd >= 0)
        close(fd);
    if (!renamed)
        unlink(tmp);
    free(tmp);
    return rc;
}
