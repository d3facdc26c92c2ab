/*
 * flatfs.c — the embedded block store: one file per block, as IPFS flatfs
 * lays them out (dir/<next-to-last-2>/<cid>.data).
 *
 * A put writes a unique temp file in the shard directory, fsyncs it, renames
 * it over the final name and fsyncs the directory (and the top directory
 * when the shard was just made), so after a crash a block is either whole or
 * absent; the temp file is removed on every failure. With a log
 * (cer_flatfs_set_log: the node's registry log) a put syncs nothing and
 * hands the block to the log instead, which makes it durable. Blocks are content
 * addressed, so an existing file means the put is done, and two threads
 * putting the same block race harmlessly: rename is atomic and both write
 * the same bytes. The store keeps no mutable state besides the per-store
 * fault-injection counters (atomics); everything else is the file system's.
 *
 * This backend only moves bytes; store.c checks sizes and CIDs both ways.
 */
#include "flatfs.h"
#include "buf.h"
#include "error.h"
#include "store.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PREFIX ".tmp-"
#define TMP_NAME_MAX 32
#define TMP_REL_MAX (3 + TMP_NAME_MAX)
#define TMP_TRIES 8
/* get reads at most this much: one byte over the limit is enough for the
 * front end to report -EFBIG without reading a huge file. */
#define READ_LIMIT ((size_t)CER_BLOCK_MAX + 1)
#define READ_CHUNK 65536

typedef struct flat_store {
    cer_store base;
    char *dir;                              /* as given, for messages */
    int dfd;                                /* the top directory */
    bool nosync;
    bool rdonly;                            /* CER_STORE_RDONLY */
    cer_flatfs_log_fn log;                  /* cer_flatfs_set_log: puts are durable by it */
    void *log_arg;
    atomic_long count[CER_FLATFS_NOPS];    /* calls made, per kind */
    atomic_long arm[CER_FLATFS_NOPS];      /* countdown to the armed fault */
    atomic_int fault_err[CER_FLATFS_NOPS];  /* what the armed fault does */
} flat_store;

/* A block's names: the shard directory, the file in it, and both joined. */
typedef struct block_name {
    char cid[CER_CID_STR_MAX];
    char shard[3];
    char file[CER_CID_STR_MAX + 8];
    char rel[CER_CID_STR_MAX + 12];
} block_name;

static const cer_store_ops flat_ops;

/* ---- fault injection and the system-call wrappers ---- */

/* Counts one call of kind op; returns 0, or the fault to inject now. */
static int fault(flat_store *f, int op)
{
    atomic_fetch_add_explicit(&f->count[op], 1, memory_order_relaxed);
    if (atomic_load_explicit(&f->arm[op], memory_order_relaxed) <= 0)
        return 0;
    if (atomic_fetch_sub(&f->arm[op], 1) != 1)
        return 0;
    return atomic_load(&f->fault_err[op]);
}

void cer_flatfs_fail_at(cer_store *s, int op, long nth, int err)
{
    flat_store *f = (flat_store *)s;

    if (!s || s->ops != &flat_ops || op < 0 || op >= CER_FLATFS_NOPS)
        return;
    atomic_store(&f->arm[op], 0);
    atomic_store(&f->fault_err[op], err);
    atomic_store(&f->arm[op], nth > 0 ? nth : 0);
}

long cer_flatfs_op_count(cer_store *s, int op)
{
    flat_store *f = (flat_store *)s;

    if (!s || s->ops != &flat_ops || op < 0 || op >= CER_FLATFS_NOPS)
        return -EINVAL;
    return atomic_load(&f->count[op]);
}

/* Sets errno and returns -1 when an errno fault fires; 0 to go ahead. */
static int injected(int e)
{
    if (e > 0) {
        errno = e;
        return -1;
    }
    return 0;
}

static int sys_mkdirat(flat_store *f, int dfd, const char *name, mode_t mode)
{
    if (injected(fault(f, CER_FLATFS_OP_MKDIR)) < 0)
        return -1;
    return mkdirat(dfd, name, mode);
}

static int sys_open_excl(flat_store *f, int dfd, const char *name)
{
    if (injected(fault(f, CER_FLATFS_OP_OPEN)) < 0)
        return -1;
    return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

static ssize_t sys_write(flat_store *f, int fd, const void *p, size_t n)
{
    int e = fault(f, CER_FLATFS_OP_WRITE);

    if (e == CER_FLATFS_SHORT && n > 1)
        n = 1;
    else if (injected(e) < 0)
        return -1;
    return write(fd, p, n);
}

static ssize_t sys_read(flat_store *f, int fd, void *p, size_t n)
{
    int e = fault(f, CER_FLATFS_OP_READ);

    if (e == CER_FLATFS_SHORT && n > 1)
        n = 1;
    else if (injected(e) < 0)
        return -1;
    return read(fd, p, n);
}

static int sys_fsync(flat_store *f, int fd)
{
    if (f->nosync)
        return 0;
    if (injected(fault(f, CER_FLATFS_OP_FSYNC)) < 0)
        return -1;
    return fsync(fd);
}

static int sys_rename(flat_store *f, const char *from, const char *to)
{
    if (injected(fault(f, CER_FLATFS_OP_RENAME)) < 0)
        return -1;
    return renameat(f->dfd, from, f->dfd, to);
}

/* Records "flatfs: <what> <dir>/<rel>: <strerror>" and returns -e. */
static int fs_err(const flat_store *f, int e, const char *what, const char *rel)
{
    return cer_err(-e, "flatfs: %s %s/%s: %s", what, f->dir, rel, strerror(e));
}

/* ---- names ---- */

static int block_name_of(block_name *bn, const cer_cid *cid)
{
    int n = cer_cid_to_string(bn->cid, sizeof bn->cid, cid);

    if (n < 0)
        return cer_err_wrap(n, "flatfs: unnamed block");
    if (n < 4)
        return cer_err(-EINVAL, "flatfs: CID string '%s' too short to shard", bn->cid);
    memcpy(bn->shard, bn->cid + n - 3, 2);
    bn->shard[2] = '\0';
    snprintf(bn->file, sizeof bn->file, "%s.data", bn->cid);
    snprintf(bn->rel, sizeof bn->rel, "%s/%s", bn->shard, bn->file);
    return 0;
}

static bool is_temp_name(const char *name)
{
    return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
}

static void temp_name(char out[TMP_NAME_MAX])
{
    uint8_t r[8];

    randombytes_buf(r, sizeof r);
    memcpy(out, TMP_PREFIX, strlen(TMP_PREFIX));
    sodium_bin2hex(out + strlen(TMP_PREFIX), TMP_NAME_MAX - strlen(TMP_PREFIX), r, sizeof r);
}

/* ---- put ---- */

/* 1 when the block's file exists, 0 when not, negative errno on failure. */
static int block_exists(const flat_store *f, const block_name *bn)
{
    struct stat st;

    if (fstatat(f->dfd, bn->rel, &st, 0) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    return fs_err(f, errno, "stat", bn->rel);
}

/* Makes the block's shard directory; *created tells whether it was new. */
static int make_shard(flat_store *f, const block_name *bn, bool *created)
{
    if (sys_mkdirat(f, f->dfd, bn->shard, 0755) == 0)
        *created = true;
    else if (errno != EEXIST)
        return fs_err(f, errno, "mkdir", bn->shard);
    return 0;
}

/* Creates a new temp file "<shard>/.tmp-<hex>" (its path goes to tmp),
 * making the shard directory when it is missing (*created then set). */
static int open_temp(flat_store *f, const block_name *bn, char tmp[TMP_REL_MAX], int *fd, bool *created)
{
    char name[TMP_NAME_MAX];
    int rc, tries = 0;

    for (;;) {
        temp_name(name);
        snprintf(tmp, TMP_REL_MAX, "%s/%s", bn->shard, name);
        if ((*fd = sys_open_excl(f, f->dfd, tmp)) >= 0)
            return 0;
        if (errno == ENOENT && !*created) {
            if ((rc = make_shard(f, bn, created)) < 0)
                break;
        } else if (errno != EEXIST) {
            rc = cer_err(-errno, "flatfs: create temp file %s/%s for %s: %s", f->dir, tmp, bn->cid,
                         strerror(errno));
            break;
        } else if (++tries == TMP_TRIES) {
            rc = cer_err(-EEXIST, "flatfs: no unique temp file name in %s/%s", f->dir, bn->shard);
            break;
        }
    }
    tmp[0] = '\0';
    return rc;
}

/* Writes all of data to fd, through EINTR and short writes. */
static int write_all(flat_store *f, int fd, const uint8_t *data, size_t len, const char *what)
{
    while (len > 0) {
        ssize_t n = sys_write(f, fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cer_err(-errno, "flatfs: write %s/%s: %s", f->dir, what, strerror(errno));
        if (n == 0)
            return cer_err(-EIO, "flatfs: write %s/%s: no progress", f->dir, what);
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Fills the temp file, makes it durable (unless the log does) and closes
 * it (*fd becomes -1). */
static int finish_temp(flat_store *f, int *fd, const char *tmp, const uint8_t *data, size_t len)
{
    int rc, cfd = *fd;

    *fd = -1;
    if ((rc = write_all(f, cfd, data, len, tmp)) < 0)
        goto out;
    if (!f->log && sys_fsync(f, cfd) < 0)
        rc = fs_err(f, errno, "fsync", tmp);
out:
    if (close(cfd) < 0 && rc == 0)
        rc = fs_err(f, errno, "close", tmp);
    return rc;
}

/* After the rename: make the new directory entries durable. */
static int sync_dirs(flat_store *f, const block_name *bn, bool created)
{
    int shfd, rc = 0;

    if (f->nosync || f->log)
        return 0;
    if ((shfd = openat(f->dfd, bn->shard, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fs_err(f, errno, "open directory", bn->shard);
    if (sys_fsync(f, shfd) < 0)
        rc = fs_err(f, errno, "fsync directory", bn->shard);
    else if (created && sys_fsync(f, f->dfd) < 0)
        rc = cer_err(-errno, "flatfs: fsync directory %s: %s", f->dir, strerror(errno));
    close(shfd);
    return rc;
}

/* 1 when the block's file holds exactly data, 0 when it is missing or
 * damaged (a put then writes it anew: that is how a damaged block heals,
 * when the IPFS-backed store fetches it again), or a negative errno. */
static int block_intact(flat_store *f, const block_name *bn, const uint8_t *data, size_t len)
{
    uint8_t chunk[4096];
    struct stat st;
    size_t off = 0;
    ssize_t n = 0;
    int fd, rc = 1;

    if ((fd = openat(f->dfd, bn->rel, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? 0 : fs_err(f, errno, "open", bn->rel);
    if (fstat(fd, &st) < 0)
        rc = fs_err(f, errno, "stat", bn->rel);
    else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != len)
        rc = 0;
    while (rc == 1 && off < len) {
        size_t want = len - off < sizeof chunk ? len - off : sizeof chunk;
        if ((n = sys_read(f, fd, chunk, want)) < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = fs_err(f, errno, "read", bn->rel);
        else if (n == 0 || memcmp(chunk, data + off, (size_t)n) != 0)
            rc = 0;
        else
            off += (size_t)n;
    }
    close(fd);
    return rc;
}

static int flat_put(cer_store *s, const cer_cid *cid, const uint8_t *data, size_t len)
{
    flat_store *f = (flat_store *)s;
    block_name bn;
    char tmp[TMP_REL_MAX] = "";
    int fd = -1, rc;
    bool created = false;

    if (f->rdonly)
        return cer_err(-EROFS, "flatfs: %s is open read-only", f->dir);

    if ((rc = block_name_of(&bn, cid)) < 0)
        return rc;
    /* logged even when there: the file may not be durable yet */
    if ((rc = block_intact(f, &bn, data, len)) != 0)
        return rc < 0 ? rc : f->log ? f->log(f->log_arg, cid, data, len) : 0;
    if ((rc = open_temp(f, &bn, tmp, &fd, &created)) < 0)
        goto out;
    if ((rc = finish_temp(f, &fd, tmp, data, len)) < 0)
        goto out;
    if (sys_rename(f, tmp, bn.rel) < 0) {
        rc = fs_err(f, errno, "rename temp file to", bn.rel);
        goto out;
    }
    tmp[0] = '\0';
    if ((rc = sync_dirs(f, &bn, created)) == 0 && f->log)
        rc = f->log(f->log_arg, cid, data, len);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlinkat(f->dfd, tmp, 0);
    return rc;
}

/* ---- get, has ---- */

/* Reads fd to EOF into out, at most READ_LIMIT bytes, sized by hint. */
static int read_bounded(flat_store *f, int fd, size_t hint, cer_buf *out, const char *rel)
{
    size_t total = 0;
    int rc;

    if (hint > READ_LIMIT)
        hint = READ_LIMIT;
    while (total < READ_LIMIT) {
        size_t room = READ_LIMIT - total, want = hint > total ? hint - total : READ_CHUNK;
        ssize_t n;

        if (want > room)
            want = room;
        if ((rc = cer_buf_reserve(out, want)) < 0)
            return rc;
        n = sys_read(f, fd, out->data + out->len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fs_err(f, errno, "read", rel);
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->data[out->len] = '\0';
        total += (size_t)n;
    }
    return 0;
}

static int flat_get(cer_store *s, const cer_cid *cid, cer_buf *out)
{
    flat_store *f = (flat_store *)s;
    block_name bn;
    struct stat st;
    int fd, rc;

    if ((rc = block_name_of(&bn, cid)) < 0)
        return rc;
    if ((fd = openat(f->dfd, bn.rel, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return cer_err(-ENOENT, "flatfs: no block %s (%s/%s)", bn.cid, f->dir, bn.rel);
        return fs_err(f, errno, "open", bn.rel);
    }
    if (fstat(fd, &st) < 0) {
        rc = fs_err(f, errno, "stat", bn.rel);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cer_err(-EIO, "flatfs: %s/%s is not a regular file", f->dir, bn.rel);
        goto out;
    }
    rc = read_bounded(f, fd, (size_t)st.st_size, out, bn.rel);
out:
    close(fd);
    return rc;
}

static int flat_has(cer_store *s, const cer_cid *cid)
{
    flat_store *f = (flat_store *)s;
    block_name bn;
    int rc;

    if ((rc = block_name_of(&bn, cid)) < 0)
        return rc;
    return block_exists(f, &bn);
}

static void flat_close(cer_store *s)
{
    flat_store *f = (flat_store *)s;

    close(f->dfd);
    free(f->dir);
    free(f);
}

/* Call fn(shard dir fd, file name, arg) for every file in every shard
 * directory (two-character names) under dfd, until fn returns non-zero.
 * Directories that cannot be read are skipped. */
static int walk_shards(flat_store *fs, int (*fn)(int sfd, const char *name, void *arg), void *arg)
{
    int dfd = fs->dfd, fd = dup(dfd), rc = 0;
    DIR *top;
    struct dirent *e;

    if (fd < 0 || !(top = fdopendir(fd))) {
        rc = fs_err(fs, errno, "cannot list", ".");
        if (fd >= 0)
            close(fd);
        return rc;
    }
    rewinddir(top);
    while (rc == 0 && (e = readdir(top))) {
        int sfd;
        DIR *d;
        struct dirent *f;

        if (strlen(e->d_name) != 2 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((sfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            continue;
        if (!(d = fdopendir(sfd))) {
            close(sfd);
            continue;
        }
        while (rc == 0 && (f = readdir(d)))
            if (f->d_name[0] != '.' || is_temp_name(f->d_name))
                rc = fn(dirfd(d), f->d_name, arg);
        closedir(d);
    }
    closedir(top);
    return rc;
}

typedef struct each_ctx {
    int (*fn)(const cer_cid *cid, void *arg);
    void *arg;
} each_ctx;

/* A block file "<cid>.data"; other names (temp files, strays) are skipped. */
static int each_block(int sfd, const char *name, void *arg)
{
    each_ctx *ec = arg;
    char cidstr[CER_CID_STR_MAX];
    size_t n = strlen(name);
    cer_cid cid;

    (void)sfd;
    if (n <= 5 || n - 5 >= sizeof cidstr || strcmp(name + n - 5, ".data") != 0)
        return 0;
    memcpy(cidstr, name, n - 5);
    cidstr[n - 5] = '\0';
    if (cer_cid_parse(&cid, cidstr) < 0) {
        cer_errclear();
        return 0;
    }
    return ec->fn(&cid, ec->arg);
}

static int flat_each(cer_store *s, int (*fn)(const cer_cid *cid, void *arg), void *arg)
{
    each_ctx ec = {fn, arg};

    return walk_shards((flat_store *)s, each_block, &ec);
}

static const cer_store_ops flat_ops = {flat_put, flat_get, flat_has, flat_close, flat_each};

/* ---- open ---- */

/* fsyncs the directory that holds path (best effort: used at open only). */
static void sync_parent(const char *path)
{
    char *copy = strdup(path), *slash;
    int fd;

    if (!copy)
        return;
    slash = strrchr(copy, '/');
    if (!slash)
        strcpy(copy, ".");
    else if (slash == copy)
        slash[1] = '\0';
    else
        *slash = '\0';
    if ((fd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* mkdir -p with mode 0700 for the directories it makes. */
static int mkdir_p(const char *dir, bool nosync)
{
    size_t len = strlen(dir);
    char *p = malloc(len + 1);
    int rc = 0;

    if (!p)
        return cer_err(-ENOMEM, "flatfs: out of memory");
    memcpy(p, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        if (p[i - 1] == '/')
            continue;
        p[i] = '\0';
        if (mkdir(p, 0700) == 0) {
            if (!nosync)
                sync_parent(p);
        } else if (errno != EEXIST) {
            rc = cer_err(-errno, "flatfs: mkdir %s: %s", p, strerror(errno));
            goto out;
        }
        p[i] = dir[i];
    }
out:
    free(p);
    return rc;
}

/* Removes a stray temp file (a crash between create and rename). */
static int sweep_one(int sfd, const char *name, void *arg)
{
    (void)arg;
    if (is_temp_name(name))
        unlinkat(sfd, name, 0);
    return 0;
}

/* Best effort: what cannot be read or removed stays (readers ignore it). */
static void sweep_temps(flat_store *f)
{
    (void)walk_shards(f, sweep_one, NULL);
    cer_errclear();
}

int cer_store_open_dir(cer_store **out, const char *dir, unsigned flags)
{
    flat_store *f;
    int rc;

    *out = NULL;
    if (!dir || !*dir)
        return cer_err(-EINVAL, "flatfs: empty directory name");
    if (flags & ~(unsigned)(CER_STORE_NOSYNC | CER_STORE_RDONLY))
        return cer_err(-EINVAL, "flatfs: unknown flags 0x%x", flags);
    if (sodium_init() < 0)
        return cer_err(-EIO, "flatfs: libsodium failed to initialise");
    if (!(flags & CER_STORE_RDONLY) && (rc = mkdir_p(dir, flags & CER_STORE_NOSYNC)) < 0)
        return rc;
    if (!(f = calloc(1, sizeof *f)) || !(f->dir = strdup(dir))) {
        free(f);
        return cer_err(-ENOMEM, "flatfs: out of memory");
    }
    if ((f->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = cer_err(-errno, "flatfs: open directory %s: %s", dir, strerror(errno));
        free(f->dir);
        free(f);
        return rc;
    }
    f->base.ops = &flat_ops;
    f->nosync = flags & CER_STORE_NOSYNC;
    f->rdonly = flags & CER_STORE_RDONLY;
    if (!f->rdonly)
        sweep_temps(f);
    *out = &f->base;
    return 0;
}

void cer_flatfs_set_log(cer_store *s, cer_flatfs_log_fn log, void *arg)
{
    flat_store *f = (flat_store *)s;

    f->log = log;
    f->log_arg = arg;
}
