/*
 * browse_floor.c — the floor bench_browse.sh measures the mount against: a
 * minimal libfuse3 low-level daemon that serves a copy of a directory tree
 * from memory, read-only, asking the kernel for what ceramicfs's mount asks
 * for: the same mount options (default_permissions), no OPEN (the kernel
 * opens files itself), write-through, in-order reads, POSIX ACLs kept by the
 * kernel, readdir (not readdirplus) with the kernel's readdir cache, the
 * same entry and attribute timeouts (entries 30 s; attributes 1 s for the
 * root, none for the files that change with a document's tip: .log,
 * .anchors, .meta.json; 30 s for the rest), xattrs none (getxattr
 * ENODATA, listxattr empty), FLUSH answered (the mount needs it, so the
 * kernel sends one at every close to both), and the same threads
 * (libfuse's multi-threaded loop, 16 at most). Any daemon that serves the
 * tree pays at least this much per request; what the mount pays above it
 * is its own.
 *
 *   usage: browse_floor TREE MOUNTPOINT   (in the foreground until unmounted)
 *
 * Built by the Makefile's bench rules; not run on its own by bench-run.
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define ROOT_TIMEOUT 1.0
#define TIMEOUT 30.0

/* One file, directory or symlink; its inode number is its index + 1. */
typedef struct {
    char *name;
    size_t parent;       /* index */
    mode_t mode;
    char *data;          /* a file's bytes, a symlink's target */
    size_t size;
    size_t first, next;  /* a directory's first child, the next sibling (0: none) */
    size_t nchild;
} node;

static node *nodes;
static size_t nnodes, cap;
static size_t *table, tmask;  /* (parent, name) -> index + 1, open addressing */
static uid_t uid;
static gid_t gid;

static void *xrealloc(void *p, size_t n)
{
    if (!(p = realloc(p, n))) {
        fprintf(stderr, "browse_floor: out of memory\n");
        exit(1);
    }
    return p;
}

static size_t hash(size_t parent, const char *name)
{
    size_t h = 1469598103934665603u ^ parent;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211u;
    return h;
}

static size_t add(size_t parent, const char *name, mode_t mode)
{
    if (nnodes == cap)
        nodes = xrealloc(nodes, (cap = cap ? cap * 2 : 1024) * sizeof *nodes);
    nodes[nnodes] = (node){.name = strdup(name), .parent = parent, .mode = mode};
    if (nnodes && parent != nnodes) {  /* a child: at the head of its parent's list */
        nodes[nnodes].next = nodes[parent].first;
        nodes[parent].first = nnodes;
        nodes[parent].nchild++;
    }
    return nnodes++;
}

static void load(size_t dir, int dfd)
{
    DIR *d = fdopendir(dfd);
    struct dirent *de;

    if (!d) {
        perror("browse_floor: fdopendir");
        exit(1);
    }
    while ((de = readdir(d))) {
        struct stat st;
        size_t i;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            perror(de->d_name);
            exit(1);
        }
        i = add(dir, de->d_name, st.st_mode);
        if (S_ISDIR(st.st_mode)) {
            int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY);
            if (fd < 0) {
                perror(de->d_name);
                exit(1);
            }
            load(i, fd);
        } else if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t n = readlinkat(dirfd(d), de->d_name, buf, sizeof buf);
            if (n < 0) {
                perror(de->d_name);
                exit(1);
            }
            nodes[i].data = xrealloc(NULL, (size_t)n + 1);
            memcpy(nodes[i].data, buf, (size_t)n);
            nodes[i].data[n] = 0;
            nodes[i].size = (size_t)n;
        } else if (S_ISREG(st.st_mode)) {
            int fd = openat(dirfd(d), de->d_name, O_RDONLY);
            ssize_t n = 0;
            nodes[i].data = xrealloc(NULL, (size_t)st.st_size + 1);
            if (fd < 0 || (n = read(fd, nodes[i].data, (size_t)st.st_size)) != st.st_size) {
                perror(de->d_name);
                exit(1);
            }
            close(fd);
            nodes[i].size = (size_t)n;
        }
    }
    closedir(d);
}

static void index_all(void)
{
    for (tmask = 1; tmask < nnodes * 2; tmask <<= 1)
        ;
    table = calloc(tmask, sizeof *table);
    tmask--;
    for (size_t i = 1; i < nnodes; i++) {
        size_t h = hash(nodes[i].parent, nodes[i].name) & tmask;
        while (table[h])
            h = (h + 1) & tmask;
        table[h] = i + 1;
    }
}

static node *get(fuse_ino_t ino)
{
    return ino >= 1 && ino <= nnodes ? &nodes[ino - 1] : NULL;
}

/* The attribute timeout of node i, as the mount's. */
static double attr_timeout(size_t i)
{
    const char *n = nodes[i].name;

    if (i == 0)
        return ROOT_TIMEOUT;
    return strcmp(n, ".log") == 0 || strcmp(n, ".anchors") == 0 || strcmp(n, ".meta.json") == 0 ? 0 : TIMEOUT;
}

static void fill(size_t i, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = i + 1;
    st->st_mode = nodes[i].mode;
    st->st_nlink = S_ISDIR(nodes[i].mode) ? 2 : 1;
    st->st_uid = uid;
    st->st_gid = gid;
    st->st_size = (off_t)nodes[i].size;
    st->st_blocks = (st->st_size + 511) / 512;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
    (void)userdata;
    if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT)
        conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
    conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
    conn->want &= ~(unsigned)FUSE_CAP_ASYNC_READ;
    if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
        conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
    if (conn->capable & FUSE_CAP_POSIX_ACL)
        conn->want |= FUSE_CAP_POSIX_ACL;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fuse_entry_param ep;
    size_t h = hash(parent - 1, name) & tmask;

    for (; table[h]; h = (h + 1) & tmask) {
        size_t i = table[h] - 1;
        if (nodes[i].parent == parent - 1 && strcmp(nodes[i].name, name) == 0) {
            memset(&ep, 0, sizeof ep);
            ep.ino = i + 1;
            ep.generation = 1;
            fill(i, &ep.attr);
            ep.attr_timeout = attr_timeout(i);
            ep.entry_timeout = TIMEOUT;
            fuse_reply_entry(req, &ep);
            return;
        }
    }
    fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct stat st;

    (void)fi;
    if (!get(ino)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fill(ino - 1, &st);
    fuse_reply_attr(req, &st, attr_timeout(ino - 1));
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
    node *n = get(ino);

    if (!n || !S_ISLNK(n->mode))
        fuse_reply_err(req, n ? EINVAL : ENOENT);
    else
        fuse_reply_readlink(req, n->data);
}

/* A directory handle: its entries in order, "." and ".." first. */
typedef struct {
    size_t n, *idx;
} dh;

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    node *n = get(ino);
    dh *d;
    size_t k = 0;

    if (!n || !S_ISDIR(n->mode)) {
        fuse_reply_err(req, n ? ENOTDIR : ENOENT);
        return;
    }
    d = xrealloc(NULL, sizeof *d);
    d->idx = xrealloc(NULL, (n->nchild + 2) * sizeof *d->idx);
    d->idx[k++] = ino - 1;
    d->idx[k++] = n->parent;
    for (size_t c = n->first; c; c = nodes[c].next)
        d->idx[k++] = c;
    d->n = k;
    fi->fh = (uintptr_t)d;
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    dh *d = (dh *)(uintptr_t)fi->fh;
    char *buf = xrealloc(NULL, size), *p = buf;
    size_t left = size;

    (void)ino;
    for (size_t i = (size_t)off; i < d->n; i++) {
        size_t j = d->idx[i];
        const char *name = i == 0 ? "." : i == 1 ? ".." : nodes[j].name;
        struct stat st = {.st_ino = j + 1, .st_mode = nodes[j].mode & S_IFMT};
        size_t n = fuse_add_direntry(req, p, left, name, &st, (off_t)(i + 1));
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
    dh *d = (dh *)(uintptr_t)fi->fh;

    (void)ino;
    free(d->idx);
    free(d);
    fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    fuse_reply_err(req, ENOSYS);  /* the kernel opens files itself from now on */
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    node *n = get(ino);

    (void)fi;
    if (!n || !S_ISREG(n->mode)) {
        fuse_reply_err(req, n ? EISDIR : ENOENT);
        return;
    }
    if ((size_t)off >= n->size)
        fuse_reply_buf(req, NULL, 0);
    else
        fuse_reply_buf(req, n->data + off, n->size - (size_t)off < size ? n->size - (size_t)off : size);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs sv = {.f_bsize = 4096, .f_frsize = 4096, .f_files = nnodes, .f_namemax = 255};

    (void)ino;
    fuse_reply_statfs(req, &sv);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    (void)ino;
    (void)name;
    (void)size;
    fuse_reply_err(req, ENODATA);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    (void)ino;
    if (size == 0)
        fuse_reply_xattr(req, 0);
    else
        fuse_reply_buf(req, NULL, 0);
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .open = op_open,
    .read = op_read,
    .flush = op_flush,
    .statfs = op_statfs,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
};

int main(int argc, char **argv)
{
    char *fargv[] = {"browse_floor", "-o", "fsname=browse_floor,subtype=ceramicfs,default_permissions", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse_loop_config *cfg;
    struct fuse_session *se;
    struct stat st;
    int fd, rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: browse_floor TREE MOUNTPOINT\n");
        return 2;
    }
    uid = getuid();
    gid = getgid();
    if ((fd = open(argv[1], O_RDONLY | O_DIRECTORY)) < 0 || fstat(fd, &st) < 0) {
        perror(argv[1]);
        return 1;
    }
    add(0, "", st.st_mode);
    load(0, fd);
    index_all();
    if (!(se = fuse_session_new(&args, &ops, sizeof ops, NULL)))
        return 1;
    if (fuse_set_signal_handlers(se) == 0 && fuse_session_mount(se, argv[2]) == 0) {
        cfg = fuse_loop_cfg_create();
        fuse_loop_cfg_set_max_threads(cfg, 16);
        fuse_loop_cfg_set_idle_threads(cfg, 4);
        fuse_loop_cfg_set_clone_fd(cfg, 0);
        rc = fuse_session_loop_mt(se, cfg) == 0 ? 0 : 1;
        fuse_loop_cfg_destroy(cfg);
        fuse_session_unmount(se);
    }
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    for (size_t i = 0; i < nnodes; i++) {
        free(nodes[i].name);
        free(nodes[i].data);
    }
    free(nodes);
    free(table);
    return rc;
}
