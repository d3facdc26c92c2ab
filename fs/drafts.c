/*
 * drafts.c — drafts kept on disk: the bytes of a save that was refused or
 * is not committed yet, with why, in STATE/drafts/<key> (the StreamID, or
 * pending-<name> for a document made by mkdir), written crash-safely
 * (temporary file, fsync, rename, directory fsync) before the refusal
 * reaches the user, and read back at the next mount. A draft goes when a
 * save commits or the user removes content.json.
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
#define TMP_SUFFIX ".tmp"
#define RESERVE ".reserve"
#define RESERVE_SIZE (2 * (CFS_CONTENT_MAX + HEAD_MAX))

/* Make the reserve unless it is there; quiet when there is no room. */
static void reserve_make(cfs_fs *fs)
{
    struct stat sb;
    int fd;

    if (fs->drafts_fd < 0 || fs->ro || fstatat(fs->drafts_fd, RESERVE, &sb, 0) == 0)
        return;
    if ((fd = openat(fs->drafts_fd, RESERVE TMP_SUFFIX, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return;  /* another thread makes it */
    if (posix_fallocate(fd, 0, RESERVE_SIZE) == 0 && fsync(fd) == 0 &&
        renameat(fs->drafts_fd, RESERVE TMP_SUFFIX, fs->drafts_fd, RESERVE) == 0) {
        close(fd);
        return;
    }
    close(fd);
    unlinkat(fs->drafts_fd, RESERVE TMP_SUFFIX, 0);
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
        unlinkat(fs->drafts_fd, RESERVE TMP_SUFFIX, 0);  /* cut by a crash */
    reserve_make(fs);
    return 0;
}

void cfs_drafts_close(cfs_fs *fs)
{
    if (fs->drafts_fd >= 0)
        close(fs->drafts_fd);
    fs->drafts_fd = -1;
}

/* The key doc's draft goes under now. */
static void draft_key(const cfs_doc *doc, char out[sizeof doc->draft_key])
{
    snprintf(out, sizeof doc->draft_key, "%s%s", doc->pending ? CFS_PENDING_PREFIX : "",
             doc->pending ? doc->name : doc->sid);
}

static int write_all(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p = (const char *)p + w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write doc's draft as key: temporary file, fsync, rename, directory
 * fsync. 0 or -errno. */
static int draft_write(cfs_fs *fs, cfs_doc *doc, const char *key)
{
    char tmp[sizeof doc->draft_key + sizeof TMP_SUFFIX], head[HEAD_MAX], base[CER_CID_STR_MAX] = "-";
    int fd, rc, n;

    if (doc->base_set && cer_cid_to_string(base, sizeof base, &doc->base_tip) < 0)
        snprintf(base, sizeof base, "-");
    n = snprintf(head, sizeof head, MAGIC "state %s\nbase %s\nerror ", doc->state, base);
    for (const char *e = doc->last_error; *e && n < HEAD_MAX - 2; e++)
        head[n++] = *e == '\n' || *e == '\r' ? ' ' : *e;  /* a reason is one line */
    head[n++] = '\n';
    head[n++] = '\n';
    snprintf(tmp, sizeof tmp, "%s" TMP_SUFFIX, key);
    if ((fd = openat(fs->drafts_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        return -errno;
    if ((rc = write_all(fd, head, (size_t)n)) == 0 && (rc = write_all(fd, doc->w, doc->w_len)) == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(fs->drafts_fd, tmp, fs->drafts_fd, key) < 0)
        rc = -errno;
    if (rc == 0 && fsync(fs->drafts_fd) < 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(fs->drafts_fd, tmp, 0);
    return rc;
}

int cfs_draft_save(cfs_fs *fs, cfs_doc *doc)
{
    char key[sizeof doc->draft_key];
    int rc;

    if (fs->drafts_fd < 0)
        return -EROFS;
    draft_key(doc, key);
    rc = draft_write(fs, doc, key);
    if ((rc == -ENOSPC || rc == -EDQUOT) && unlinkat(fs->drafts_fd, RESERVE, 0) == 0) {
        /* the disk is full: the reserve makes room for this draft */
        (void)fsync(fs->drafts_fd);
        rc = draft_write(fs, doc, key);
    }
    if (rc < 0)
        return rc;
    /* a pending document renamed since its last draft: one file only */
    if (doc->draft_key[0] && strcmp(doc->draft_key, key) != 0)
        unlinkat(fs->drafts_fd, doc->draft_key, 0);
    memcpy(doc->draft_key, key, sizeof key);
    doc->draft_gen = doc->w_gen;
    return 0;
}

void cfs_draft_remove(cfs_fs *fs, cfs_doc *doc)
{
    if (!doc->draft_key[0] || fs->drafts_fd < 0)
        return;
    if (unlinkat(fs->drafts_fd, doc->draft_key, 0) == 0 || errno == ENOENT) {
        (void)fsync(fs->drafts_fd);
        doc->draft_key[0] = '\0';
        doc->draft_gen = 0;
        reserve_make(fs);  /* given up for a full disk: space came back */
    }
}

int cfs_draft_rekey(cfs_fs *fs, cfs_doc *doc)
{
    char key[sizeof doc->draft_key];

    if (!doc->draft_key[0] || fs->drafts_fd < 0)
        return 0;
    draft_key(doc, key);
    if (strcmp(key, doc->draft_key) == 0)
        return 0;
    if (renameat(fs->drafts_fd, doc->draft_key, fs->drafts_fd, key) < 0)
        return -errno;
    memcpy(doc->draft_key, key, sizeof key);
    return fsync(fs->drafts_fd) < 0 ? -errno : 0;
}

/* Parse a draft file's bytes (len of them) into doc; -EINVAL when it is
 * not one. doc->lock held. */
static int draft_parse(cfs_fs *fs, cfs_doc *doc, const char *key, const char *data, size_t len)
{
    const char *p = data, *end = data + len, *nl;
    char state[sizeof doc->state], base[CER_CID_STR_MAX], error[sizeof doc->last_error];
    const char *field[3] = {"state ", "base ", "error "};
    char *out[3] = {state, base, error};
    size_t cap[3] = {sizeof state, sizeof base, sizeof error};
    cer_cid tip;
    int rc;

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
    doc->base_set = false;
    if (!doc->pending && strcmp(base, "-") != 0) {
        if (cer_cid_parse(&tip, base) < 0)
            return -EINVAL;
        /* the tip the edit was made from, for a rebase (when this node
         * still has it; else the save goes onto the tip as it is) */
        doc->base_tip = tip;
        doc->base_set = cer_store_has(cer_node_store(fs->node), &tip) == 1;
    }
    if ((rc = cfs_doc_set_draft(fs, doc, (const uint8_t *)p, (size_t)(end - p))) < 0)
        return rc;
    snprintf(doc->state, sizeof doc->state, "%s", state);
    snprintf(doc->last_error, sizeof doc->last_error, "%s", error);
    snprintf(doc->draft_key, sizeof doc->draft_key, "%s", key);
    doc->draft_gen = doc->w_gen;
    /* refused bytes wait for new ones; a save not committed yet is tried
     * again at the first tick */
    doc->failed_gen = doc->w_gen;
    doc->retry = strcmp(state, "pending") == 0 || strcmp(state, "dirty") == 0;
    doc->failed_err = doc->retry ? -EIO : strcmp(state, "conflict") == 0 ? -ESTALE : -EINVAL;
    doc->retry_at_ms = 0;
    if (doc->retry)
        atomic_store(&fs->tick_wanted, true);
    return 0;
}

/* Read all of the regular file key (at most CFS_CONTENT_MAX + HEAD_MAX). */
static int read_draft(cfs_fs *fs, const char *key, char **out, size_t *len)
{
    int fd = openat(fs->drafts_fd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    size_t got = 0;
    char *buf;

    *out = NULL;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > CFS_CONTENT_MAX + HEAD_MAX) {
        close(fd);
        return -EINVAL;
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

int cfs_drafts_load(cfs_fs *fs)
{
    int dfd = fs->drafts_fd >= 0 ? dup(fs->drafts_fd) : -1;
    DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;

    if (!dir) {
        if (dfd >= 0)
            close(dfd);
        return fs->drafts_fd < 0 ? 0 : -errno;
    }
    rewinddir(dir);
    while ((de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        char *data = NULL;
        size_t len = 0;
        cfs_doc *doc;
        int err = 0;

        if (de->d_name[0] == '.')
            continue;
        if (n > strlen(TMP_SUFFIX) && strcmp(de->d_name + n - strlen(TMP_SUFFIX), TMP_SUFFIX) == 0) {
            if (!fs->ro)
                unlinkat(fs->drafts_fd, de->d_name, 0);  /* a save cut by a crash: the old draft stands */
            continue;
        }
        if (!(doc = cfs_doc_by_key(fs, de->d_name, &err))) {
            cer_node_event(fs->node, "draft", NULL, "the draft %.100s is kept but names no document here: %s",
                           de->d_name, strerror(-err));
            continue;
        }
        if ((err = read_draft(fs, de->d_name, &data, &len)) == 0) {
            pthread_mutex_lock(&doc->lock);
            if ((err = draft_parse(fs, doc, de->d_name, data, len)) == 0)
                cer_node_event(fs->node, "draft", doc->pending ? NULL : &doc->id,
                               "%s/content.json: the draft saved before this mount is shown (state %s): %s",
                               doc->name, doc->state, doc->last_error);
            pthread_mutex_unlock(&doc->lock);
        }
        if (err < 0)
            cer_node_event(fs->node, "draft", NULL, "the draft %.100s cannot be read back (%s); it is left as it is",
                           de->d_name, strerror(-err));
        free(data);
    }
    closedir(dir);
    return 0;
}
