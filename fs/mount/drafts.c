/*
 * drafts.c — drafts kept on disk: the bytes of a save that was refused or
 * is not committed yet, with why, in STATE/drafts/<key> (the StreamID, or
 * pending-<name> for a document made by mkdir), written crash-safely
 * (cer_file_replace: temporary file, fsync, rename, directory fsync)
 * before the refusal reaches the user, and read back at the next mount.
 * This file knows the format and the disk; docs.c decides what a draft
 * holds and when it goes (a save commits, or the user removes
 * content.json).
 *
 * A file is a header of four lines, a blank line, then the bytes:
 *
 *   ceramicfs draft 1
 *   state invalid|conflict|pending|dirty
 *   base <the tip the edit was made from, or ->
 *   error <why it was not committed, one line>
 *
 * STATE/drafts/.reserve holds room for two drafts of the largest size, and
 * is given up when the disk is full, so that the drafts a full disk
 * refuses still reach the disk; it is made again when space comes back.
 */
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "ceramicfs draft 1\n"
#define HEAD_MAX 2048
#define OLD_TMP_SUFFIX ".tmp"  /* the temporary files of earlier versions */
#define RESERVE ".reserve"
#define RESERVE_TMP ".reserve.tmp"
#define RESERVE_SIZE (2 * (CFS_CONTENT_MAX + HEAD_MAX))

/* Make the reserve unless it is there; quiet when there is no room. */
static void reserve_make(cfs_fs *fs)
{
    struct stat sb;
    int fd;

    if (fs->drafts_fd < 0 || fs->ro || fstatat(fs->drafts_fd, RESERVE, &sb, 0) == 0)
        return;
    if ((fd = openat(fs->drafts_fd, RESERVE_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return;  /* another thread makes it */
    if (posix_fallocate(fd, 0, RESERVE_SIZE) == 0 && fsync(fd) == 0 &&
        renameat(fs->drafts_fd, RESERVE_TMP, fs->drafts_fd, RESERVE) == 0) {
        close(fd);
        return;
    }
    close(fd);
    unlinkat(fs->drafts_fd, RESERVE_TMP, 0);
}

int cfs_drafts_open(cfs_fs *fs)
{
    int sfd = open(fs->state_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC), e;

    fs->drafts_fd = -1;
    if (sfd < 0)
        return -errno;
    if (!fs->ro && mkdirat(sfd, "drafts", 0700) < 0 && errno != EEXIST) {
        e = -errno;
        close(sfd);
        return e;
    }
    fs->drafts_fd = openat(sfd, "drafts", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    e = -errno;
    close(sfd);
    if (fs->drafts_fd < 0)  /* -o ro on a state directory that has none: no drafts */
        return fs->ro && e == -ENOENT ? 0 : e;
    if (!fs->ro)
        unlinkat(fs->drafts_fd, RESERVE_TMP, 0);  /* cut by a crash */
    reserve_make(fs);
    return 0;
}

void cfs_drafts_close(cfs_fs *fs)
{
    if (fs->drafts_fd >= 0)
        close(fs->drafts_fd);
    fs->drafts_fd = -1;
}

/* Write draft d as key. 0 or -errno. */
static int draft_write(cfs_fs *fs, const char *key, const cfs_draft *d)
{
    char head[HEAD_MAX], base[CER_CID_STR_MAX] = "-", *path;
    cer_buf b = CER_BUF_INIT;
    int n, rc;

    if (d->base && cer_cid_to_string(base, sizeof base, d->base) < 0)
        snprintf(base, sizeof base, "-");
    n = snprintf(head, sizeof head, MAGIC "state %s\nbase %s\nerror ", d->state, base);
    for (const char *e = d->error; *e && n < HEAD_MAX - 2; e++)
        head[n++] = *e == '\n' || *e == '\r' ? ' ' : *e;  /* a reason is one line */
    head[n++] = '\n';
    head[n++] = '\n';
    if ((rc = cer_buf_append(&b, head, (size_t)n)) < 0 || (rc = cer_buf_append(&b, d->data, d->len)) < 0) {
        cer_buf_free(&b);
        return rc;
    }
    n = snprintf(NULL, 0, "%s/drafts/%s", fs->state_dir, key);
    if (!(path = malloc((size_t)n + 1))) {
        cer_buf_free(&b);
        return -ENOMEM;
    }
    snprintf(path, (size_t)n + 1, "%s/drafts/%s", fs->state_dir, key);
    rc = cer_file_replace(path, b.data, b.len, 0600, true);
    free(path);
    cer_buf_free(&b);
    return rc;
}

int cfs_draft_put(cfs_fs *fs, const char *key, const cfs_draft *d)
{
    int rc;

    if (fs->drafts_fd < 0)
        return -EROFS;
    rc = draft_write(fs, key, d);
    if ((rc == -ENOSPC || rc == -EDQUOT) && unlinkat(fs->drafts_fd, RESERVE, 0) == 0) {
        /* the disk is full: the reserve makes room for this draft */
        (void)fsync(fs->drafts_fd);
        rc = draft_write(fs, key, d);
    }
    return rc;
}

int cfs_draft_drop(cfs_fs *fs, const char *key)
{
    if (fs->drafts_fd < 0)
        return -EROFS;
    if (unlinkat(fs->drafts_fd, key, 0) < 0 && errno != ENOENT)
        return -errno;
    (void)fsync(fs->drafts_fd);
    reserve_make(fs);  /* given up for a full disk: space came back */
    return 0;
}

int cfs_draft_move(cfs_fs *fs, const char *from, const char *to)
{
    if (fs->drafts_fd < 0)
        return 0;
    if (renameat(fs->drafts_fd, from, fs->drafts_fd, to) < 0)
        return -errno;
    return fsync(fs->drafts_fd) < 0 ? -errno : 0;
}

/* Parse a draft file's bytes (len of them) into *d (pointing into data and
 * the buffers); -EINVAL when it is not one. */
static int draft_parse(cfs_draft *d, char state[16], cer_cid *base, char error[512], const char *data, size_t len)
{
    const char *p = data, *end = data + len, *nl;
    char basestr[CER_CID_STR_MAX];
    const char *field[3] = {"state ", "base ", "error "};
    char *out[3] = {state, basestr, error};
    size_t cap[3] = {16, sizeof basestr, 512};

    if (len < sizeof MAGIC - 1 || memcmp(p, MAGIC, sizeof MAGIC - 1) != 0)
        return -EINVAL;
    p += sizeof MAGIC - 1;
    for (int i = 0; i < 3; i++) {
        size_t flen = strlen(field[i]), n;
        if (!(nl = memchr(p, '\n', (size_t)(end - p))) || (size_t)(nl - p) < flen || memcmp(p, field[i], flen) != 0)
            return -EINVAL;
        n = (size_t)(nl - p) - flen;
        if (n >= cap[i] || memchr(p + flen, '\0', n))
            return -EINVAL;
        memcpy(out[i], p + flen, n);
        out[i][n] = '\0';
        p = nl + 1;
    }
    if (p >= end || *p != '\n')
        return -EINVAL;
    p++;
    if (strcmp(state, "invalid") != 0 && strcmp(state, "conflict") != 0 && strcmp(state, "pending") != 0 &&
        strcmp(state, "dirty") != 0)
        return -EINVAL;
    if ((size_t)(end - p) > CFS_CONTENT_MAX)
        return -EFBIG;
    d->base = NULL;
    if (strcmp(basestr, "-") != 0) {
        if (cer_cid_parse(base, basestr) < 0)
            return -EINVAL;
        d->base = base;
    }
    d->state = state;
    d->error = error;
    d->data = (const uint8_t *)p;
    d->len = (size_t)(end - p);
    return 0;
}

int cfs_file_read(int dfd, const char *name, size_t max, uint8_t **out, size_t *len)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    size_t got = 0;
    uint8_t *buf;

    *out = NULL;
    *len = 0;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
        close(fd);
        return S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
    }
    if (!(buf = malloc((size_t)sb.st_size + 1))) {
        close(fd);
        return -ENOMEM;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    *out = buf;
    *len = got;
    return 0;
}

/* A temporary file a crash left (cer_file_replace's, or an earlier
 * version's NAME.tmp). */
static bool leftover(const char *name)
{
    size_t n = strlen(name), t = strlen(OLD_TMP_SUFFIX);

    return strncmp(name, CER_TMP_PREFIX, strlen(CER_TMP_PREFIX)) == 0 ||
           (name[0] != '.' && n > t && strcmp(name + n - t, OLD_TMP_SUFFIX) == 0);
}

void cfs_drafts_each(cfs_fs *fs, int (*fn)(cfs_fs *fs, const char *key, const cfs_draft *d))
{
    int dfd = fs->drafts_fd >= 0 ? dup(fs->drafts_fd) : -1;
    DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;

    if (!dir) {
        if (fs->drafts_fd >= 0)
            cer_node_event(fs->node, "draft", NULL, "%s/drafts cannot be read (%s): its drafts are not shown",
                           fs->state_dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return;
    }
    rewinddir(dir);
    while ((de = readdir(dir))) {
        char state[16], error[512];
        cer_cid base;
        cfs_draft d;
        uint8_t *data = NULL;
        size_t len = 0;
        int err;

        if (leftover(de->d_name)) {
            if (!fs->ro)
                unlinkat(fs->drafts_fd, de->d_name, 0);  /* a save cut by a crash: the old draft stands */
            continue;
        }
        if (de->d_name[0] == '.')
            continue;
        if ((err = cfs_file_read(fs->drafts_fd, de->d_name, CFS_CONTENT_MAX + HEAD_MAX, &data, &len)) == 0 &&
            (err = draft_parse(&d, state, &base, error, (const char *)data, len)) == 0)
            err = fn(fs, de->d_name, &d);
        if (err < 0)
            cer_node_event(fs->node, "draft", NULL, "the draft %.100s cannot be read back (%s); it is left as it is",
                           de->d_name, strerror(-err));
        free(data);
    }
    closedir(dir);
}
