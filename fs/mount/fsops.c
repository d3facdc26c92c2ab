/*
 * fsops.c — the FUSE low-level operations of the mount: they map requests
 * onto documents (docs.c) and scratch files, and hold no protocol logic.
 *
 * Scratch files (every name in a document directory that is not one of
 * its reserved names) are plain files in STATE/scratch/<key>/, served
 * like libfuse's passthrough_hp: an O_PATH descriptor per inode, inode
 * numbers from the backing file with the top bit set (document inodes
 * have it clear), freed when the kernel forgets them.
 *
 * errno choices (fs/README.md has the reasons): EINVAL a save that is not a JSON object;
 * ESTALE an edit that cannot be rebased on a moved tip; EACCES writes to
 * generated files and to documents this key does not control; EROFS
 * anything under .history and .conflicts (and everything with -o ro); EXDEV content.json
 * across documents; never ENOTCONN.
 */
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define INO_STATUS 2
#define INO_ERRORS 3

/* An open file. */
typedef struct fh {
    int kind;
    cfs_doc *doc;
    int fd;                 /* scratch */
    bool writable;          /* content.json opened for writing */
    bool wrote;             /* this handle wrote (or truncated) */
    char *buf;              /* generated files: the rendering at open */
    size_t len;
} fh;

/* A directory listing, taken at opendir. */
typedef struct dirent_snap {
    char *name;
    uint64_t ino;
    mode_t type;
} dirent_snap;

typedef struct dh {
    cfs_ent *ent;           /* the directory */
    bool filled;            /* the listing is taken at the first readdir */
    dirent_snap *ents;
    size_t n, cap;
} dh;

static cfs_fs *FS(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

/* Requests by kind, for .status: a workload's cost in round trips to the
 * daemon (bench_fs reads it). Those on .status and .errors are not
 * counted: reading .status must not change what it reads. */
static void count_request(fuse_req_t req, int kind, fuse_ino_t ino)
{
    if (ino != INO_STATUS && ino != INO_ERRORS)
        atomic_fetch_add_explicit(&FS(req)->requests[kind], 1, memory_order_relaxed);
}

static void proc_path(char out[64], int fd)
{
    snprintf(out, 64, "/proc/self/fd/%d", fd);
}

static bool is_doc_dir(const cfs_ent *e)
{
    return e && (e->kind == K_DOC || e->kind == K_DOCID);
}

/* .history and .conflicts: read-only directories of generated files. */
static bool is_ro_dir(const cfs_ent *e)
{
    return e && (e->kind == K_HISTDIR || e->kind == K_CONFDIR);
}

static bool is_dir_kind(int kind)
{
    return kind == K_ROOT || kind == K_DOC || kind == K_DOCID || kind == K_HISTDIR || kind == K_CONFDIR;
}

/* ---- the no-open mode: writers known by process instead of by handle ---- */

/* The process (thread group) of the request: FUSE names the calling
 * thread, and a process's threads write and close through one file
 * table. The thread's own id when /proc does not say. Most writers are
 * single-threaded, so first ask whether the thread leads its group:
 * pidfd_open takes only a group leader's id, and costs a fraction of
 * generating /proc/TID/status (which the save path paid three times). */
static pid_t req_tgid(fuse_req_t req)
{
    pid_t tid = fuse_req_ctx(req)->pid;
    char path[64], buf[512], *p;
    ssize_t n;
    long v;
    int fd;

    if (tid <= 0)
        return 0;
#ifdef SYS_pidfd_open
    if ((fd = (int)syscall(SYS_pidfd_open, tid, 0)) >= 0) {
        close(fd);
        return tid;
    }
#endif
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return tid;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return tid;
    buf[n] = '\0';
    if (!(p = strstr(buf, "\nTgid:")) || (v = strtol(p + 6, NULL, 10)) <= 0)
        return tid;
    return (pid_t)v;
}

/* ---- attributes ---- */

/* The size of a generated file, and a digest of its bytes for the
 * sub-millisecond part of its mtime: a change that keeps the size still
 * moves mtime, and in the no-open mode (these files then stay in the page
 * cache) the kernel drops cached pages when size or mtime moves. */
static int gen_size(cfs_fs *fs, cfs_ent *e, off_t *size, long *digest)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = cfs_render(fs, e, &buf, &len);

    if (rc == 0) {
        *size = (off_t)len;
        *digest = (long)(cer_hash(buf, len) % 1000000);
    }
    free(buf);
    return rc;
}

static int ent_attr(cfs_fs *fs, cfs_ent *e, struct stat *st, double *timeout)
{
    off_t size = 0;
    long digest = 0;
    int rc;

    *timeout = CFS_TIMEOUT;
    memset(st, 0, sizeof *st);
    switch (e->kind) {
    case K_ROOT:
        st->st_ino = 1;
        st->st_mode = S_IFDIR | (fs->ro ? 0555 : 0755);
        st->st_nlink = 2;
        st->st_uid = fs->uid;
        st->st_gid = fs->gid;
        st->st_mtim.tv_sec = fs->mount_ms / 1000;
        st->st_ctim = st->st_atim = st->st_mtim;
        return 0;
    case K_STATUS:
    case K_ERRORS:
        if ((rc = gen_size(fs, e, &size, &digest)) < 0)
            return rc;
        st->st_ino = e->ino;
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_uid = fs->uid;
        st->st_gid = fs->gid;
        st->st_size = size;
        st->st_blocks = (size + 511) / 512;
        st->st_mtim.tv_sec = cfs_now_ms() / 1000;
        st->st_mtim.tv_nsec = digest;
        st->st_ctim = st->st_atim = st->st_mtim;
        *timeout = 0;
        return 0;
    case K_SCRATCH:
        if (fstatat(e->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        st->st_ino = e->ino;
        return 0;
    case K_LOG:
    case K_ANCHORS:
    case K_META:
    case K_SID:
    case K_HIST:
    case K_CONF:
        if ((rc = gen_size(fs, e, &size, &digest)) < 0)
            return rc;
        /* .streamid and the .history and .conflicts files never change;
         * .log, .anchors and .meta.json change with the tip: no attribute
         * timeout for them (the notifier's invalidation comes after the
         * save's close has returned, and a reader right after it must see
         * the new size) */
        *timeout = e->kind == K_LOG || e->kind == K_ANCHORS || e->kind == K_META ? 0 : CFS_DOC_TIMEOUT;
        break;
    default:
        break;
    }
    /* what only changes through this mount or with a tip (and is then
     * invalidated by the notifier) is cached long: most stats never reach
     * the daemon */
    if (e->kind == K_DOC || e->kind == K_DOCID || e->kind == K_CONTENT || is_ro_dir(e))
        *timeout = CFS_DOC_TIMEOUT;
    if ((rc = cfs_doc_stat(fs, e->doc, e->kind, e->ino, st)) < 0)
        return rc;
    if (e->kind != K_CONTENT && !S_ISDIR(st->st_mode)) {
        st->st_size = size;
        st->st_blocks = (size + 511) / 512;
        st->st_mtim.tv_nsec += digest;
    }
    return 0;
}

static void reply_entry(fuse_req_t req, cfs_ent *e)
{
    struct fuse_entry_param ep;
    double t;
    int rc = ent_attr(FS(req), e, &ep.attr, &t);

    if (rc < 0) {
        if (e->transient)
            cfs_ent_forget(FS(req), e->ino, 1);
        fuse_reply_err(req, -rc);
        return;
    }
    ep.ino = e->ino;
    ep.generation = 1;
    ep.attr_timeout = t;
    /* a document's generated names stay as long as it does (rmdir and
     * rename go through the kernel, which drops them itself) */
    ep.entry_timeout = e->kind == K_SCRATCH || e->kind == K_STATUS || e->kind == K_ERRORS
                           ? (t > CFS_TIMEOUT ? t : CFS_TIMEOUT)
                           : CFS_DOC_TIMEOUT;
    fuse_reply_entry(req, &ep);
}

/* ---- scratch entries ---- */

/* The entry for scratch file name of doc, in directory parent (fd: an
 * O_PATH descriptor of it, taken over), with one lookup counted: the
 * caller replies with it, or forgets it. */
static cfs_ent *scratch_ent(cfs_fs *fs, cfs_doc *doc, uint64_t parent, const char *name, int fd)
{
    struct stat sb;
    cfs_ent *e, *have;

    if (fstatat(fd, "", &sb, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 || !(e = calloc(1, sizeof *e))) {
        close(fd);
        return NULL;
    }
    e->ino = CFS_SCRATCH_BIT | (uint64_t)sb.st_ino;
    e->kind = K_SCRATCH;
    e->doc = doc;
    e->fd = fd;
    e->transient = true;
    if ((have = cfs_ent_add(fs, e)) != e) {
        /* known already (the descriptor we hold keeps the number ours) */
        close(fd);
        free(e);
    }
    cfs_ent_moved(fs, have->ino, doc, parent, name);
    return have;
}

/* After EMFILE: whether to try again. The kernel forgets the scratch
 * files it was asked to drop, and releases closed files, a little later:
 * ask it now, and give it up to 0.2 s in all (*tries counts). */
static bool fds_wait(cfs_fs *fs, int err, int *tries)
{
    if (err != EMFILE || ++*tries > 100)
        return false;
    cfs_scratch_sweep(fs);
    usleep(2000);
    return true;
}

static int scratch_lookup(cfs_fs *fs, cfs_doc *doc, uint64_t parent, const char *name, cfs_ent **out)
{
    int dfd, fd = -EMFILE, tries = 0;

    *out = NULL;
    for (bool first = true; fd == -EMFILE && (first || fds_wait(fs, EMFILE, &tries)); first = false) {
        if ((dfd = cfs_doc_scratch(fs, doc, false)) < 0) {
            fd = dfd;
            continue;
        }
        fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        fd = fd < 0 ? -errno : fd;
        close(dfd);
    }
    if (fd < 0)
        return fd;
    if (!(*out = scratch_ent(fs, doc, parent, name, fd)))
        return -EIO;
    return 0;
}

/* unlinkat(name, flags) in doc's scratch directory. */
static int scratch_at(cfs_fs *fs, cfs_doc *doc, const char *name, int flags)
{
    int dfd = cfs_doc_scratch(fs, doc, false), rc;

    if (dfd < 0)
        return dfd;
    rc = unlinkat(dfd, name, flags) < 0 ? -errno : 0;
    close(dfd);
    return rc;
}

/* renameat2 of a scratch file, within a document or to another one
 * (directory inode newparent); its entry follows. */
static int scratch_rename(cfs_fs *fs, cfs_doc *from, const char *name, cfs_doc *to, uint64_t newparent,
                          const char *newname, unsigned flags)
{
    struct stat sb;
    int fd = cfs_doc_scratch(fs, from, false), tfd = fd, rc;

    if (fd < 0)
        return fd;
    if (to != from && (tfd = cfs_doc_scratch(fs, to, true)) < 0) {
        close(fd);
        return tfd;
    }
    rc = renameat2(fd, name, tfd, newname, flags) < 0 ? -errno : 0;
    if (rc == 0 && fstatat(tfd, newname, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        cfs_ent_moved(fs, CFS_SCRATCH_BIT | (uint64_t)sb.st_ino, to, newparent, newname);
    if (tfd != fd)
        close(tfd);
    close(fd);
    return rc;
}

/* ---- lookup, forget, getattr ---- */

/* .history names: the position in the log, zero-padded to HIST_DIGITS so
 * that they sort in log order and keep their names as the log grows
 * (longer logs take more digits), a dash, the commit's CID, ".json":
 * 000000-bagcq....json. The unpadded names of earlier versions
 * (0-bagcq....json) still resolve. */
#define HIST_DIGITS 6

static int parse_hist(const char *name, size_t *n, cer_cid *cid)
{
    char buf[CER_CID_STR_MAX + 32], *dash;
    size_t len = strlen(name);

    if (len < 8 || len >= sizeof buf || strcmp(name + len - 5, ".json") != 0)
        return -ENOENT;
    memcpy(buf, name, len - 5);
    buf[len - 5] = '\0';
    if (!(dash = strchr(buf, '-')) || dash == buf)
        return -ENOENT;
    *dash = '\0';
    if (strspn(buf, "0123456789") != (size_t)(dash - buf) || dash - buf > 19)
        return -ENOENT;
    *n = (size_t)strtoull(buf, NULL, 10);
    return cer_cid_parse(cid, dash + 1) < 0 ? -ENOENT : 0;
}

static int lookup_hist(cfs_fs *fs, cfs_doc *doc, const char *name, cfs_ent **out)
{
    cer_streamref id;
    cer_state *st = NULL;
    cer_cid cid;
    size_t n;
    int rc;

    if ((rc = parse_hist(name, &n, &cid)) < 0 || !cfs_doc_stream(fs, doc, &id))
        return -ENOENT;
    if (cer_node_state(fs->node, &st, &id) < 0)
        return -EIO;
    rc = n < st->log_len && cer_cid_equal(&st->log[n].cid, &cid) ? 0 : -ENOENT;
    cer_state_free(st);
    if (rc == 0 && !(*out = cfs_doc_ent(fs, doc, K_HIST, n, &cid)))
        rc = -ENOMEM;
    return rc;
}

static int lookup_conf(cfs_fs *fs, cfs_doc *doc, const char *name, cfs_ent **out)
{
    cer_streamref id;
    cer_lost_branch *lost;
    size_t n, count;
    cer_cid tip;
    int rc;

    if ((rc = parse_hist(name, &n, &tip)) < 0 || !cfs_doc_stream(fs, doc, &id))
        return -ENOENT;
    if (cer_node_lost_branches(fs->node, &id, &lost, &count) < 0)
        return -EIO;
    rc = -ENOENT;
    for (size_t i = 0; i < count && rc < 0; i++)
        if (lost[i].n == n && cer_cid_equal(&lost[i].tip, &tip))
            rc = 0;
    cer_lost_branches_free(lost, count);
    if (rc == 0 && !(*out = cfs_doc_ent(fs, doc, K_CONF, n, &tip)))
        rc = -ENOMEM;
    return rc;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent), *e = NULL;
    int rc = 0, kind;

    count_request(req, CFS_RQ_LOOKUP, parent == 1 && (strcmp(name, ".status") == 0 || strcmp(name, ".errors") == 0) ? INO_STATUS : 0);
    if (!p) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (p->kind == K_ROOT) {
        if (strcmp(name, ".status") == 0 || strcmp(name, ".errors") == 0) {
            e = cfs_ent_get(fs, name[1] == 's' ? INO_STATUS : INO_ERRORS);
        } else {
            bool by_id;
            cfs_doc *d = cfs_doc_lookup(fs, name, &by_id, &rc);
            if (d && !(e = cfs_doc_ent(fs, d, by_id ? K_DOCID : K_DOC, 0, NULL)))
                rc = -ENOMEM;
        }
    } else if (is_doc_dir(p)) {
        cfs_doc *d = p->doc;
        cer_streamref id;
        if ((kind = cfs_reserved(name))) {
            if (kind != K_CONTENT && !cfs_doc_stream(fs, d, &id))
                rc = -ENOENT;
            else if (kind == K_CONFDIR && (rc = cfs_doc_conflicts(fs, d)) <= 0)
                rc = rc < 0 ? rc : -ENOENT;  /* shown once a branch was lost */
            else if (!(e = cfs_doc_ent(fs, d, kind, 0, NULL)))
                rc = -ENOMEM;
        } else {
            rc = scratch_lookup(fs, d, parent, name, &e);
        }
    } else if (p->kind == K_HISTDIR) {
        rc = lookup_hist(fs, p->doc, name, &e);
    } else if (p->kind == K_CONFDIR) {
        rc = lookup_conf(fs, p->doc, name, &e);
    } else {
        rc = -ENOTDIR;
    }
    if (rc < 0 || !e)
        fuse_reply_err(req, rc < 0 ? -rc : ENOENT);
    else
        reply_entry(req, e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    count_request(req, CFS_RQ_FORGET, ino);
    cfs_ent_forget(FS(req), ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    count_request(req, CFS_RQ_BATCH_FORGET, 0);
    for (size_t i = 0; i < count; i++)
        cfs_ent_forget(FS(req), forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    cfs_ent *e = cfs_ent_get(FS(req), ino);
    struct stat st;
    double t;
    int rc;

    count_request(req, CFS_RQ_GETATTR, ino);
    (void)fi;
    if (!e) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if ((rc = ent_attr(FS(req), e, &st, &t)) < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_attr(req, &st, t);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
    cfs_fs *fs = FS(req);
    cfs_ent *e = cfs_ent_get(fs, ino);
    char path[64];
    int rc = 0;

    count_request(req, CFS_RQ_SETATTR, ino);
    if (!e) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    switch (e->kind) {
    case K_SCRATCH:
        proc_path(path, e->fd);
        if ((to_set & FUSE_SET_ATTR_MODE) && chmod(path, attr->st_mode & 07777) < 0)
            rc = -errno;
        if (!rc && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
            fchownat(e->fd, "", to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1,
                     to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            rc = -errno;
        if (!rc && (to_set & FUSE_SET_ATTR_SIZE)) {
            if (fi && fi->fh ? ftruncate(((fh *)(uintptr_t)fi->fh)->fd, attr->st_size) < 0
                             : truncate(path, attr->st_size) < 0)
                rc = -errno;
        }
        if (!rc && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
            struct timespec tv[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
            if (to_set & FUSE_SET_ATTR_ATIME_NOW)
                tv[0].tv_nsec = UTIME_NOW;
            else if (to_set & FUSE_SET_ATTR_ATIME)
                tv[0] = attr->st_atim;
            if (to_set & FUSE_SET_ATTR_MTIME_NOW)
                tv[1].tv_nsec = UTIME_NOW;
            else if (to_set & FUSE_SET_ATTR_MTIME)
                tv[1] = attr->st_mtim;
            struct stat sb;
            if (fstatat(e->fd, "", &sb, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(sb.st_mode) &&
                utimensat(AT_FDCWD, path, tv, 0) < 0)
                rc = -errno;
        }
        break;
    case K_CONTENT:
        if (to_set & FUSE_SET_ATTR_SIZE) {
            /* no_open: O_TRUNC and ftruncate arrive here without a handle */
            bool by_handle = fi && fi->fh;
            pid_t pid = fs->no_open && !by_handle ? req_tgid(req) : CFS_BY_HANDLE;
            rc = attr->st_size < 0 ? -EINVAL : cfs_content_truncate(fs, e->doc, (size_t)attr->st_size, pid);
            if (rc == 0 && by_handle)
                ((fh *)(uintptr_t)fi->fh)->wrote = true;
        }
        /* mode, owner and times: accepted and ignored (vim, rsync, touch) */
        break;
    case K_HIST:
    case K_HISTDIR:
    case K_CONF:
    case K_CONFDIR:
        rc = -EROFS;
        break;
    case K_LOG:
    case K_ANCHORS:
    case K_META:
    case K_SID:
    case K_STATUS:
    case K_ERRORS:
        rc = (to_set & FUSE_SET_ATTR_SIZE) || (to_set & FUSE_SET_ATTR_MODE) ? -EACCES : 0;
        break;
    default:
        break;  /* directories: chmod/utimens accepted and ignored (tar, rsync -a) */
    }
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    op_getattr(req, ino, fi);
}

/* ---- directories ---- */

static int snap_add(dh *d, const char *name, uint64_t ino, mode_t type)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        dirent_snap *p = realloc(d->ents, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        d->ents = p;
        d->cap = cap;
    }
    if (!(d->ents[d->n].name = strdup(name)))
        return -ENOMEM;
    d->ents[d->n].ino = ino;
    d->ents[d->n].type = type;
    d->n++;
    return 0;
}

static int snap_doc(const char *name, uint64_t ino, void *arg)
{
    return snap_add(arg, name, ino, S_IFDIR);
}

static void dh_free(dh *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->ents[i].name);
    free(d->ents);
    free(d);
}

static int list_doc(cfs_fs *fs, cfs_doc *doc, dh *d)
{
    static const struct {
        const char *name, *role;
    } gen[] = {{".log", "log"}, {".anchors", "anchors"}, {".meta.json", "meta"}, {".streamid", "streamid"}};
    cer_streamref id;
    int rc = 0, fd;
    DIR *dir;
    struct dirent *de;

    if (cfs_content_present(fs, doc) &&
        (rc = snap_add(d, "content.json", cfs_doc_ino(fs, doc, "content"), S_IFREG)) < 0)
        return rc;
    if (cfs_doc_stream(fs, doc, &id)) {
        for (size_t i = 0; i < sizeof gen / sizeof gen[0] && rc == 0; i++)
            rc = snap_add(d, gen[i].name, cfs_doc_ino(fs, doc, gen[i].role), S_IFREG);
        if (rc == 0)
            rc = snap_add(d, ".history", cfs_doc_ino(fs, doc, "history"), S_IFDIR);
        if (rc == 0 && cfs_doc_conflicts(fs, doc) > 0)
            rc = snap_add(d, ".conflicts", cfs_doc_ino(fs, doc, "conflicts"), S_IFDIR);
    }
    if (rc < 0)
        return rc;
    if ((fd = cfs_doc_scratch(fs, doc, false)) < 0 || !(dir = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return 0;  /* no scratch files */
    }
    while ((de = readdir(dir)) && rc == 0) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || cfs_reserved(de->d_name))
            continue;
        rc = snap_add(d, de->d_name, CFS_SCRATCH_BIT | de->d_ino, (mode_t)DTTOIF(de->d_type));
    }
    closedir(dir);
    return rc;
}

static int list_hist(cfs_fs *fs, cfs_doc *doc, dh *d)
{
    cer_streamref id;
    cer_state *st = NULL;
    char name[CER_CID_STR_MAX + 32], cid[CER_CID_STR_MAX];
    int rc = 0;

    if (!cfs_doc_stream(fs, doc, &id))
        return -ENOENT;
    if (cer_node_state(fs->node, &st, &id) < 0)
        return -EIO;
    for (size_t i = 0; i < st->log_len && rc == 0; i++) {
        cer_cid_to_string(cid, sizeof cid, &st->log[i].cid);
        snprintf(name, sizeof name, "%0*zu-%s.json", HIST_DIGITS, i, cid);
        snprintf(cid, sizeof cid, "history:%s", name + strcspn(name, "-") + 1);
        cid[strlen(cid) - 5] = '\0';
        rc = snap_add(d, name, cfs_doc_ino(fs, doc, cid), S_IFREG);
    }
    cer_state_free(st);
    return rc;
}

static int list_conf(cfs_fs *fs, cfs_doc *doc, dh *d)
{
    char name[CER_CID_STR_MAX + 32], cid[CER_CID_STR_MAX], role[48];
    cer_streamref id;
    cer_lost_branch *lost;
    size_t count;
    int rc = 0;

    if (!cfs_doc_stream(fs, doc, &id))
        return -ENOENT;
    if (cer_node_lost_branches(fs->node, &id, &lost, &count) < 0)
        return -EIO;
    for (size_t i = 0; i < count && rc == 0; i++) {
        cer_cid_to_string(cid, sizeof cid, &lost[i].tip);
        snprintf(name, sizeof name, "%u-%s.json", lost[i].n, cid);
        snprintf(role, sizeof role, "conflict:%u", lost[i].n);
        rc = snap_add(d, name, cfs_doc_ino(fs, doc, role), S_IFREG);
    }
    cer_lost_branches_free(lost, count);
    return rc;
}

/* Fill d with the listing of e (at the first readdir, so that an opendir
 * answered from the kernel's readdir cache costs nothing). */
static int snapshot(cfs_fs *fs, cfs_ent *e, dh *d)
{
    int rc;

    if ((rc = snap_add(d, ".", e->ino, S_IFDIR)) < 0 || (rc = snap_add(d, "..", 1, S_IFDIR)) < 0)
        return rc;
    switch (e->kind) {
    case K_ROOT:
        if ((rc = snap_add(d, ".status", INO_STATUS, S_IFREG)) == 0 &&
            (rc = snap_add(d, ".errors", INO_ERRORS, S_IFREG)) == 0)
            rc = cfs_docs_list(fs, snap_doc, d);
        return rc;
    case K_DOC:
    case K_DOCID: return list_doc(fs, e->doc, d);
    case K_HISTDIR: return list_hist(fs, e->doc, d);
    case K_CONFDIR: return list_conf(fs, e->doc, d);
    default: return -ENOTDIR;
    }
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    cfs_fs *fs = FS(req);
    cfs_ent *e = cfs_ent_get(fs, ino);
    dh *d;

    count_request(req, CFS_RQ_OPENDIR, ino);
    if (!e || !is_dir_kind(e->kind)) {
        fuse_reply_err(req, e ? ENOTDIR : ENOENT);
        return;
    }
    if (!(d = calloc(1, sizeof *d))) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    d->ent = e;
    fi->fh = (uintptr_t)d;
    /* listings are kept in the kernel's readdir cache: the root's is
     * dropped by the notifier whenever it changes (mkdir, rmdir, rename, a
     * new stream), a document's when its tip moves (the notifier
     * invalidates the directory), and the kernel drops a directory's by
     * itself on every create, unlink and rename through the mount (scratch
     * files) */
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    dh *d = (dh *)(uintptr_t)fi->fh;
    char *buf, *p;
    size_t left = size;
    int rc;

    count_request(req, CFS_RQ_READDIR, ino);
    (void)ino;
    if (!d->filled) {
        if ((rc = snapshot(FS(req), d->ent, d)) < 0) {
            fuse_reply_err(req, -rc);
            return;
        }
        d->filled = true;
    }
    if (!(buf = p = malloc(size))) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    for (size_t i = (size_t)off; i < d->n; i++) {
        struct stat st = {.st_ino = d->ents[i].ino, .st_mode = d->ents[i].type};
        size_t n = fuse_add_direntry(req, p, left, d->ents[i].name, &st, (off_t)(i + 1));
        if (n > left)
            break;
        p += n;
        left -= n;
    }
    fuse_reply_buf(req, buf, size - left);
    free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_request(req, CFS_RQ_RELEASEDIR, ino);
    (void)ino;
    dh_free((dh *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent), *e;
    cfs_doc *d;
    int rc;

    count_request(req, CFS_RQ_MKDIR, parent);
    (void)mode;
    if (!p || fs->ro) {
        fuse_reply_err(req, !p ? ENOENT : EROFS);
        return;
    }
    if (is_ro_dir(p) || p->kind == K_HIST || p->kind == K_CONF) {
        fuse_reply_err(req, EROFS);
        return;
    }
    if (p->kind != K_ROOT) {
        cer_streamref id;
        cer_node_event(fs->node, "mkdir", p->doc && cfs_doc_stream(fs, p->doc, &id) ? &id : NULL,
                       "mkdir %s: directories inside a document are not supported", name);
        fuse_reply_err(req, EPERM);
        return;
    }
    if ((rc = cfs_doc_mkdir(fs, name, &d)) < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    cfs_notify_inode(fs, FUSE_ROOT_ID, true);
    if (!(e = cfs_doc_ent(fs, d, K_DOC, 0, NULL))) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    reply_entry(req, e);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent);
    int rc;

    count_request(req, CFS_RQ_RMDIR, parent);
    if (!p) {
        rc = -ENOENT;
    } else if (fs->ro) {
        rc = -EROFS;
    } else if (p->kind == K_ROOT) {
        if ((rc = cfs_doc_rmdir(fs, name)) == 0)
            cfs_notify_inode(fs, FUSE_ROOT_ID, true);
    } else if (is_doc_dir(p)) {
        rc = cfs_reserved(name) == K_HISTDIR || cfs_reserved(name) == K_CONFDIR ? -EACCES
             : cfs_reserved(name)                                              ? -ENOTDIR
                                                                               : -ENOENT;
        if (!cfs_reserved(name))
            rc = scratch_at(fs, p->doc, name, AT_REMOVEDIR);
    } else {
        rc = is_ro_dir(p) ? -EROFS : -ENOTDIR;
    }
    fuse_reply_err(req, -rc);
}

/* ---- names in a document directory ---- */

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent);
    int rc = 0, kind;

    count_request(req, CFS_RQ_UNLINK, parent);
    if (!p) {
        rc = -ENOENT;
    } else if (is_ro_dir(p)) {
        rc = -EROFS;
    } else if (p->kind == K_ROOT) {
        rc = strcmp(name, ".status") == 0 || strcmp(name, ".errors") == 0 ? -EACCES : -EISDIR;
    } else if (!is_doc_dir(p)) {
        rc = -ENOTDIR;
    } else if (fs->ro) {
        rc = -EROFS;
    } else if ((kind = cfs_reserved(name)) == K_CONTENT) {
        rc = cfs_content_unlink(fs, p->doc);
    } else if (kind) {
        rc = kind == K_HISTDIR || kind == K_CONFDIR ? -EISDIR : -EACCES;
    } else {
        rc = scratch_at(fs, p->doc, name, 0);
    }
    fuse_reply_err(req, -rc);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent), *e;
    int rc;

    count_request(req, CFS_RQ_SYMLINK, parent);
    if (!p || !is_doc_dir(p) || cfs_reserved(name) || fs->ro) {
        fuse_reply_err(req, !p ? ENOENT : fs->ro ? EROFS : is_ro_dir(p) ? EROFS : EACCES);
        return;
    }
    if ((rc = cfs_doc_scratch(fs, p->doc, true)) >= 0) {
        int dfd = rc;
        rc = symlinkat(link, dfd, name) < 0 ? -errno : 0;
        close(dfd);
    }
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    if ((rc = scratch_lookup(fs, p->doc, parent, name, &e)) < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    reply_entry(req, e);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
    cfs_ent *e = cfs_ent_get(FS(req), ino);
    char buf[4097];
    ssize_t n;

    count_request(req, CFS_RQ_READLINK, ino);
    if (!e || e->kind != K_SCRATCH) {
        fuse_reply_err(req, e ? EINVAL : ENOENT);
        return;
    }
    if ((n = readlinkat(e->fd, "", buf, sizeof buf - 1)) < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    buf[n] = '\0';
    fuse_reply_readlink(req, buf);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
    count_request(req, CFS_RQ_LINK, ino);
    (void)ino;
    (void)newparent;
    (void)newname;
    fuse_reply_err(req, EPERM);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
    count_request(req, CFS_RQ_MKNOD, parent);
    (void)parent;
    (void)name;
    (void)mode;
    (void)rdev;
    fuse_reply_err(req, EPERM);
}

/* rename(X -> content.json) in one document: commit X's bytes (commit
 * point 3 of fs/README.md); X goes away only when the commit succeeded. */
static int rename_onto_content(cfs_fs *fs, cfs_doc *d, const char *name, unsigned flags)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct stat sb;
    int dfd = cfs_doc_scratch(fs, d, false), rc;

    if (dfd < 0)
        return dfd;
    if ((rc = cfs_file_read(dfd, name, CFS_CONTENT_MAX, &bytes, &len)) == 0 &&
        (rc = fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0) == 0 &&
        (rc = cfs_content_commit_file(fs, d, bytes, len, flags & RENAME_NOREPLACE)) == 0) {
        rc = unlinkat(dfd, name, 0) < 0 ? -errno : 0;
        /* the kernel now names the scratch file's inode content.json: let
         * that inode stand for content.json until the kernel forgets it */
        if (rc == 0)
            cfs_ent_became_content(fs, CFS_SCRATCH_BIT | (uint64_t)sb.st_ino, d);
    }
    close(dfd);
    free(bytes);
    return rc;
}

typedef struct away {
    cfs_fs *fs;
    cfs_doc *doc;
    const char *name;
    unsigned flags;
} away;

/* content.json's bytes become scratch file a->name. */
static int put_away(void *arg, const char *data, size_t len)
{
    away *a = arg;
    int dfd = cfs_doc_scratch(a->fs, a->doc, true), fd, rc;

    if (dfd < 0)
        return dfd;
    fd = openat(dfd, a->name,
                O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (a->flags & RENAME_NOREPLACE ? O_EXCL : O_TRUNC), 0644);
    rc = fd < 0 ? -errno : 0;
    close(dfd);
    if (fd < 0)
        return rc;
    rc = cer_write_all(fd, data, len);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent), *np = cfs_ent_get(fs, newparent);
    int rc = 0, k1, k2;

    count_request(req, CFS_RQ_RENAME, parent);
    if (!p || !np) {
        rc = -ENOENT;
    } else if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
        rc = -EINVAL;
    } else if (flags & RENAME_EXCHANGE) {
        rc = -EINVAL;
    } else if (is_ro_dir(p) || is_ro_dir(np)) {
        rc = -EROFS;
    } else if (fs->ro) {
        rc = -EROFS;
    } else if (p->kind == K_ROOT && np->kind == K_ROOT) {
        if (strcmp(name, ".status") == 0 || strcmp(name, ".errors") == 0 || newname[0] == '.')
            rc = -EACCES;
        else if ((rc = cfs_doc_rename(fs, name, newname, flags)) == 0)
            cfs_notify_inode(fs, FUSE_ROOT_ID, true);
    } else if (!is_doc_dir(p) || !is_doc_dir(np)) {
        rc = p->kind == K_ROOT || np->kind == K_ROOT ? -EXDEV : -ENOTDIR;
    } else {
        k1 = cfs_reserved(name);
        k2 = cfs_reserved(newname);
        if (p->doc != np->doc) {
            rc = k1 == K_CONTENT || k2 == K_CONTENT ? -EXDEV : k1 || k2 ? -EACCES : 0;
            if (rc == 0)
                rc = scratch_rename(fs, p->doc, name, np->doc, newparent, newname, flags);
        } else if (k1 == K_CONTENT && k2 == K_CONTENT) {
            rc = 0;
        } else if ((k1 && k1 != K_CONTENT) || (k2 && k2 != K_CONTENT)) {
            rc = -EACCES;
        } else if (k2 == K_CONTENT) {
            rc = rename_onto_content(fs, p->doc, name, flags);
        } else if (k1 == K_CONTENT) {
            /* its bytes become a scratch file; content.json is absent for
             * a while, then shows the tip again */
            away a = {fs, p->doc, newname, flags};
            rc = cfs_content_move_out(fs, p->doc, put_away, &a);
        } else {
            rc = scratch_rename(fs, p->doc, name, p->doc, newparent, newname, flags);
        }
        if (rc == 0 && (k1 == K_CONTENT || k2 == K_CONTENT)) {
            cfs_notify_entry(fs, newparent, newname);
            cfs_notify_entry(fs, parent, name);
        }
    }
    fuse_reply_err(req, -rc);
}

/* ---- files ---- */

static fh *fh_new(int kind, cfs_doc *doc)
{
    fh *h = calloc(1, sizeof *h);

    if (h) {
        h->kind = kind;
        h->doc = doc;
        h->fd = -1;
    }
    return h;
}

/* The handle of a request. In the no-open mode (the default; not with -o
 * open) the kernel sends no OPEN (and no RELEASE), so requests arrive with
 * fh 0 (except for files made by CREATE): a handle is made up for the
 * request from the inode (a scratch file opened, a generated file
 * rendered) and dropped by handle_done. Such a handle cannot know how the
 * file was opened: content.json's writers are then known by process
 * (docs.c notes them at WRITE and truncation, cfs_content_flush). */
static fh *handle(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, fh *tmp)
{
    cfs_ent *e;
    char path[64];
    int tries = 0;

    if (fi && fi->fh)
        return (fh *)(uintptr_t)fi->fh;
    memset(tmp, 0, sizeof *tmp);
    tmp->fd = -1;
    if (!(e = cfs_ent_get(FS(req), ino)))
        return NULL;
    tmp->kind = e->kind;
    tmp->doc = e->doc;
    tmp->writable = fi && (fi->flags & O_ACCMODE) != O_RDONLY;
    tmp->wrote = true;
    if (e->kind == K_SCRATCH) {
        proc_path(path, e->fd);
        do {
            tmp->fd = open(path, O_RDWR | O_CLOEXEC);
            if (tmp->fd < 0 && errno != EMFILE)
                tmp->fd = open(path, O_RDONLY | O_CLOEXEC);
        } while (tmp->fd < 0 && fds_wait(FS(req), errno, &tries));
        return tmp->fd < 0 ? NULL : tmp;
    }
    if (e->kind != K_CONTENT && cfs_render(FS(req), e, &tmp->buf, &tmp->len) < 0)
        return NULL;
    return tmp;
}

static void handle_done(fh *h, fh *tmp)
{
    if (h != tmp)
        return;
    if (tmp->fd >= 0)
        close(tmp->fd);
    free(tmp->buf);
}

static int open_content(cfs_fs *fs, cfs_ent *e, struct fuse_file_info *fi, bool created)
{
    bool write = (fi->flags & O_ACCMODE) != O_RDONLY, trunc = write && (fi->flags & O_TRUNC), keep = false;
    fh *h;
    int rc;

    if (!(h = fh_new(K_CONTENT, e->doc)))
        return -ENOMEM;
    if ((rc = cfs_content_open(fs, e->doc, write, trunc, created, &keep)) < 0) {
        free(h);
        return rc;
    }
    h->writable = write;
    h->wrote = created || trunc;
    fi->noflush = !write;  /* a reader's close is never a commit point: no FLUSH trip */
    fi->keep_cache = keep;
    fi->fh = (uintptr_t)h;
    return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    cfs_fs *fs = FS(req);
    cfs_ent *e = cfs_ent_get(fs, ino);
    bool write = (fi->flags & O_ACCMODE) != O_RDONLY;
    char path[64];
    fh *h;
    int rc, tries = 0;

    count_request(req, CFS_RQ_OPEN, ino);
    if (!e) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (fs->no_open && !is_dir_kind(e->kind)) {
        fuse_reply_err(req, ENOSYS);  /* from now on the kernel opens files itself */
        return;
    }
    switch (e->kind) {
    case K_CONTENT:
        if ((rc = open_content(fs, e, fi, false)) < 0) {
            fuse_reply_err(req, -rc);
            return;
        }
        break;
    case K_SCRATCH:
        if (!(h = fh_new(K_SCRATCH, e->doc))) {
            fuse_reply_err(req, ENOMEM);
            return;
        }
        proc_path(path, e->fd);
        while ((h->fd = open(path, (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC)) < 0 && fds_wait(fs, errno, &tries))
            ;
        if (h->fd < 0) {
            fuse_reply_err(req, errno);
            free(h);
            return;
        }
        fi->fh = (uintptr_t)h;
        break;
    case K_ROOT:
    case K_DOC:
    case K_DOCID:
    case K_HISTDIR:
    case K_CONFDIR:
        fuse_reply_err(req, EISDIR);
        return;
    default:
        if (write) {
            fuse_reply_err(req, e->kind == K_HIST || e->kind == K_CONF ? EROFS : EACCES);
            return;
        }
        if (!(h = fh_new(e->kind, e->doc))) {
            fuse_reply_err(req, ENOMEM);
            return;
        }
        if ((rc = cfs_render(fs, e, &h->buf, &h->len)) < 0) {
            free(h);
            fuse_reply_err(req, -rc);
            return;
        }
        fi->fh = (uintptr_t)h;
        /* rendered per open: never clipped by a stale size (the growing
         * ones), no page cache to keep in step; nothing to flush */
        fi->direct_io = 1;
        fi->noflush = 1;
        break;
    }
    fuse_reply_open(req, fi);
}

/* Give up the handle made for a CREATE that will never be released: its
 * reply failed, or the no-open mode (the kernel then sends no RELEASE for
 * it either; the creator of content.json, pid, is known by process like
 * any writer; 0: none). */
static void create_unhandle(cfs_fs *fs, struct fuse_file_info *fi, pid_t pid)
{
    fh *h = (fh *)(uintptr_t)fi->fh;

    fi->fh = 0;
    if (!h)
        return;
    if (h->kind == K_SCRATCH) {
        close(h->fd);
    } else if (h->kind == K_CONTENT) {
        cfs_content_unhandle(fs, h->doc, h->writable, pid);
    }
    free(h->buf);
    free(h);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
    cfs_fs *fs = FS(req);
    cfs_ent *p = cfs_ent_get(fs, parent), *e;
    struct fuse_entry_param ep;
    int kind, fd, rc;
    double t;
    fh *h;

    count_request(req, CFS_RQ_CREATE, parent);
    if (!p) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (is_ro_dir(p) || fs->ro) {
        fuse_reply_err(req, EROFS);
        return;
    }
    if (!is_doc_dir(p)) {
        fuse_reply_err(req, p->kind == K_ROOT ? EACCES : ENOTDIR);
        return;
    }
    kind = cfs_reserved(name);
    if (kind == K_CONTENT) {
        rc = (fi->flags & O_EXCL) && cfs_content_present(fs, p->doc) ? -EEXIST : 0;
        if (rc == 0 && !(e = cfs_doc_ent(fs, p->doc, K_CONTENT, 0, NULL)))
            rc = -ENOMEM;
        if (rc == 0)
            rc = open_content(fs, e, fi, true);
        if (rc < 0) {
            fuse_reply_err(req, -rc);
            return;
        }
    } else if (kind) {
        fuse_reply_err(req, EACCES);
        return;
    } else {
        int dfd = cfs_doc_scratch(fs, p->doc, true);
        fd = dfd < 0 ? dfd : openat(dfd, name, (fi->flags | O_CREAT) & ~O_NOFOLLOW, mode);
        if (fd < 0 && dfd >= 0)
            fd = -errno;
        if (dfd >= 0)
            close(dfd);
        if (fd < 0) {
            fuse_reply_err(req, -fd);
            return;
        }
        if ((rc = scratch_lookup(fs, p->doc, parent, name, &e)) < 0 || !(h = fh_new(K_SCRATCH, p->doc))) {
            close(fd);
            fuse_reply_err(req, rc < 0 ? -rc : ENOMEM);
            return;
        }
        h->fd = fd;
        fi->fh = (uintptr_t)h;
    }
    if (fs->no_open)
        create_unhandle(fs, fi, req_tgid(req));
    if ((rc = ent_attr(fs, e, &ep.attr, &t)) < 0) {
        if (e->transient)
            cfs_ent_forget(fs, e->ino, 1);
        create_unhandle(fs, fi, 0);
        fuse_reply_err(req, -rc);
        return;
    }
    ep.ino = e->ino;
    ep.generation = 1;
    ep.attr_timeout = t;
    ep.entry_timeout = CFS_TIMEOUT;
    fuse_reply_create(req, &ep, fi);
}

static void op_read_h(fuse_req_t req, fh *h, size_t size, off_t off);

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    fh tmp, *h = handle(req, ino, fi, &tmp);

    count_request(req, CFS_RQ_READ, ino);
    if (!h)
        fuse_reply_err(req, EIO);
    else
        op_read_h(req, h, size, off);
    if (h)
        handle_done(h, &tmp);
}

static void op_read_h(fuse_req_t req, fh *h, size_t size, off_t off)
{
    size_t len = 0;
    char *copy = NULL;
    int rc = 0;

    if (h->kind == K_SCRATCH) {
        char *buf = malloc(size ? size : 1);
        ssize_t n;
        if (!buf) {
            fuse_reply_err(req, ENOMEM);
            return;
        }
        n = pread(h->fd, buf, size, off);
        if (n < 0)
            fuse_reply_err(req, errno);
        else
            fuse_reply_buf(req, buf, (size_t)n);
        free(buf);
        return;
    }
    if (h->kind == K_CONTENT) {
        if ((rc = cfs_content_read(FS(req), h->doc, size, off, &copy, &len)) < 0)
            fuse_reply_err(req, -rc);
        else
            fuse_reply_buf(req, copy, len);
        free(copy);
        return;
    }
    if ((size_t)off >= h->len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    /* reply from a copy: once the reader has its bytes it may close the
     * file, and the handle's buffer go, while this thread is still
     * returning from the reply (AddressSanitizer checks the iovec after
     * the write) */
    len = h->len - (size_t)off < size ? h->len - (size_t)off : size;
    if (!(copy = malloc(len))) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    memcpy(copy, h->buf + off, len);
    fuse_reply_buf(req, copy, len);
    free(copy);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    fh tmp, *h = handle(req, ino, fi, &tmp);
    pid_t pid = 0;
    int rc;

    count_request(req, CFS_RQ_WRITE, ino);
    if (!h) {
        fuse_reply_err(req, EIO);
        return;
    }
    if (h == &tmp && h->kind == K_CONTENT) {
        /* no_open: a WRITE says it was opened for writing, and by whom */
        pid = fi->writepage ? 0 : req_tgid(req);
        h->writable = true;
    }
    if (h->kind == K_SCRATCH) {
        ssize_t n = pwrite(h->fd, buf, size, off);
        if (n < 0)
            fuse_reply_err(req, errno);
        else
            fuse_reply_write(req, (size_t)n);
        handle_done(h, &tmp);
        return;
    }
    if (h->kind != K_CONTENT || !h->writable) {
        /* no_open: generated files were opened for writing unchecked */
        fuse_reply_err(req, h != &tmp ? EBADF : h->kind == K_HIST || h->kind == K_CONF ? EROFS : EACCES);
        handle_done(h, &tmp);
        return;
    }
    rc = cfs_content_write(FS(req), h->doc, buf, size, off, fi->flags & O_APPEND, h != &tmp,
                           h == &tmp ? pid : CFS_BY_HANDLE);
    if (rc == 0)
        h->wrote = true;
    handle_done(h, &tmp);
    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_write(req, size);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    fh *h = (fh *)(uintptr_t)fi->fh;
    cfs_ent *e;
    int rc = 0;

    count_request(req, CFS_RQ_FLUSH, ino);
    if (!h) {
        /* no_open: a close without a handle commits when the closing
         * process is one that wrote since the last commit (the process
         * stands for the handle); scratch data is in its file already */
        e = cfs_ent_get(FS(req), ino);
        if (e && e->kind == K_CONTENT)
            rc = cfs_content_flush(FS(req), e->doc, false, req_tgid(req));
    } else if (h->kind == K_SCRATCH) {
        int fd = dup(h->fd);
        rc = fd < 0 || close(fd) < 0 ? -errno : 0;
    } else if (h->kind == K_CONTENT && h->writable) {
        rc = cfs_content_flush(FS(req), h->doc, h->wrote, CFS_BY_HANDLE);
    }
    /* a reader's close never commits */
    fuse_reply_err(req, -rc);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
    fh tmp, *h = handle(req, ino, fi, &tmp);
    int rc = 0;

    count_request(req, CFS_RQ_FSYNC, ino);
    if (!h) {
        fuse_reply_err(req, EIO);
        return;
    }
    if (h->kind == K_SCRATCH) {
        rc = (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? -errno : 0;
    } else if (h->kind == K_CONTENT) {
        /* any handle, even read-only: `sync FILE` is "commit now" */
        rc = cfs_content_fsync(FS(req), h->doc);
    }
    handle_done(h, &tmp);
    fuse_reply_err(req, -rc);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    fh *h = (fh *)(uintptr_t)fi->fh;

    count_request(req, CFS_RQ_RELEASE, ino);
    (void)ino;
    if (!h) {
        fuse_reply_err(req, 0);  /* no_open */
        return;
    }
    if (h->kind == K_SCRATCH)
        close(h->fd);
    else if (h->kind == K_CONTENT && h->writable)
        cfs_content_release(FS(req), h->doc, h->wrote);  /* last chance (mmap, a close that never flushed) */
    free(h->buf);
    free(h);
    fuse_reply_err(req, 0);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
    fh tmp, *h = handle(req, ino, fi, &tmp);
    int rc = EOPNOTSUPP;

    count_request(req, CFS_RQ_FALLOCATE, ino);
    if (h && h->kind == K_SCRATCH)
        rc = fallocate(h->fd, mode, off, len) < 0 ? errno : 0;
    if (h)
        handle_done(h, &tmp);
    fuse_reply_err(req, rc);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs sv;

    count_request(req, CFS_RQ_STATFS, ino);
    (void)ino;
    if (statvfs(FS(req)->state_dir, &sv) < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    sv.f_namemax = 255;
    fuse_reply_statfs(req, &sv);
}

/* ---- xattrs ---- */

static void reply_xattr(fuse_req_t req, const char *data, size_t len, size_t size)
{
    if (size == 0)
        fuse_reply_xattr(req, len);
    else if (len > size)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, data, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    cfs_fs *fs = FS(req);
    cfs_ent *e = cfs_ent_get(fs, ino);
    char *val = NULL;
    size_t len = 0;
    int rc;

    count_request(req, CFS_RQ_GETXATTR, ino);
    if (!e || !e->doc || e->kind == K_SCRATCH || strncmp(name, "user.ceramic.", 13) != 0) {
        fuse_reply_err(req, e ? ENODATA : ENOENT);  /* security.capability & co: none */
        return;
    }
    rc = cfs_doc_xattr(fs, e->doc, name, &val, &len);
    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        reply_xattr(req, val, len, size);
    free(val);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    cfs_fs *fs = FS(req);
    cfs_ent *e = cfs_ent_get(fs, ino);
    char buf[512];
    size_t len = 0;

    count_request(req, CFS_RQ_LISTXATTR, ino);
    if (!e) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (e->doc && e->kind != K_SCRATCH)
        len = cfs_doc_xattr_list(fs, e->doc, buf, sizeof buf);
    reply_xattr(req, buf, len, size);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags)
{
    count_request(req, CFS_RQ_SETXATTR, ino);
    (void)ino;
    (void)name;
    (void)value;
    (void)size;
    (void)flags;
    /* ceramic's own are read-only: "not supported", which cp -a, mv and
     * rsync -X pass over quietly when they copy them from one document to
     * another; ACLs and the rest are not supported either (vim, sed and
     * emacs save normally without them) */
    fuse_reply_err(req, EOPNOTSUPP);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    count_request(req, CFS_RQ_REMOVEXATTR, ino);
    (void)ino;
    fuse_reply_err(req, strncmp(name, "user.ceramic.", 13) == 0 ? EACCES : ENODATA);
}

/* ---- session ---- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
    cfs_fs *fs = userdata;

    /* a kernel without the no-open mode gets file handles */
    if (fs->no_open && (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT))
        conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
    else
        fs->no_open = false;
    /* write-through (every write and close reaches us: commit points and
     * their errors mean something) */
    conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
    /* reads in the order they are asked, each finished before the caller's
     * read returns: no readahead still in flight when the file's release
     * frees its handle (ASan caught one with asynchronous reads) */
    conn->want &= ~(unsigned)FUSE_CAP_ASYNC_READ;
    /* truncation inside open; with no_open there is no OPEN, and the
     * kernel then truncates by SETATTR only when this is off */
    if ((conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) && !fs->no_open)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    else
        conn->want &= ~(unsigned)FUSE_CAP_ATOMIC_O_TRUNC;
    if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
        conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
    /* the kernel keeps POSIX ACLs (none here: getxattr says ENODATA,
     * setxattr EOPNOTSUPP) in its inode cache: ls -l asks for two per
     * file, each once per inode instead of a round trip every time (the
     * mount has default_permissions already, which this would imply) */
    if (conn->capable & FUSE_CAP_POSIX_ACL)
        conn->want |= FUSE_CAP_POSIX_ACL;
}

static void op_destroy(void *userdata)
{
    cfs_docs_unmount(userdata);
}

const struct fuse_lowlevel_ops cfs_ops = {
    .init = op_init,
    .destroy = op_destroy,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .create = op_create,
    .fallocate = op_fallocate,
};
