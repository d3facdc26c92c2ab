/*
 * mount.h — what the pieces of the mount (mount.c, docs.c, fsops.c,
 * drafts.c, notify.c, uring.c) ask of each other:
 * the inode kinds and entries, the documents (opaque: docs.c's), the
 * drafts' format, the notifier, and the mount itself (cfs_fs).
 *
 * The layout (fs/README.md has it with the reasons):
 *
 *   MOUNT/.status, MOUNT/.errors          generated, read-only
 *   MOUNT/<alias or StreamID>/            one directory per document
 *       content.json                      the document (rw; commit points)
 *       .log .anchors                     JSON Lines, direct_io
 *       .meta.json .streamid              generated, read-only
 *       .history/<n>-<cid>.json           content at each commit (EROFS)
 *       .conflicts/<n>-<cid>.json         content at each lost branch's tip
 *                                         (EROFS; only once a branch was lost)
 *       anything else                     scratch: a plain local file in
 *                                         STATE/scratch/<key>/, never published
 *
 * A save refused or not committed yet stays content.json's bytes (the
 * draft) and is kept in STATE/drafts/<key> (drafts.c) until a save commits
 * or content.json is removed; a passing refusal is tried again by the
 * notifier thread's timer (cfs_docs_tick).
 *
 * Locks: docs.c takes a document's lock, then the table lock (a save
 * takes it under its document's lock: a genesis, rename, rmdir), and
 * never the other way round; the scratch directories' lock and
 * fs->nlock (the notifier queue) are leaves: nothing is taken under
 * them. Every function below takes what it needs and returns with none
 * held; no file but docs.c locks a document. None is held while calling
 * fuse_lowlevel_notify_* (only the notifier thread calls those, with no
 * lock held). A document's lock is held across a commit (local disk I/O
 * only, bounded).
 */
#ifndef CFS_MOUNT_H
#define CFS_MOUNT_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "ceramic.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

/* Inode kinds. */
enum {
    K_ROOT = 1,
    K_STATUS,     /* MOUNT/.status */
    K_ERRORS,     /* MOUNT/.errors */
    K_DOC,        /* a document directory (under its alias or StreamID) */
    K_DOCID,      /* the same document reached by StreamID while it has an alias */
    K_CONTENT,    /* content.json */
    K_LOG,        /* .log */
    K_ANCHORS,    /* .anchors */
    K_META,       /* .meta.json */
    K_SID,        /* .streamid */
    K_HISTDIR,    /* .history */
    K_HIST,       /* .history/<n>-<cid>.json */
    K_SCRATCH,    /* a scratch file or symlink */
    K_CONFDIR,    /* .conflicts */
    K_CONF,       /* .conflicts/<n>-<cid>.json */
};

/* A document's content.json is at most CER_BLOCK_MAX (256,000) bytes, and
 * a bigger one is refused (EFBIG) as soon as a write or a truncation makes
 * it so: every commit is one block of at most that size (js-ceramic drops
 * bigger records, IPFS_MAX_RECORD_SIZE, far under what bitswap moves), and
 * a genesis holds the whole content, which as DAG-CBOR is about the size
 * of its JSON text. A commit whose block is still too big is refused with
 * EFBIG at the commit point. */
#define CFS_CONTENT_MAX CER_BLOCK_MAX
/* A save refused for a passing cause (a full disk, a store error) is
 * tried again after this, doubling each time up to CFS_RETRY_MAX_MS. */
#define CFS_RETRY_MS 5000
#define CFS_RETRY_MAX_MS 300000
/* An emptied content.json that nothing was written to since is refused
 * (EINVAL, .errors) after this long by the timer (a shell's > writes at
 * once; a slow writer's bytes still commit when they come). */
#define CFS_EMPTY_WAIT_MS 60000
/* The key of a pending document's scratch and draft: this and its name. */
#define CFS_PENDING_PREFIX "pending-"

/* How long content.json stays absent after unlink or rename away. */
#define CFS_ABSENT_MS 5000
/* Entry and attribute timeouts (seconds): scratch files and the root's
 * files; and what changes only through this mount or with a tip, which
 * the notifier invalidates (document directories, content.json). */
#define CFS_TIMEOUT 1.0
#define CFS_DOC_TIMEOUT 30.0

/* Scratch files' inode numbers have this bit set (the backing file's
 * number), documents' have it clear (a hash: cfs_ino). */
#define CFS_SCRATCH_BIT (1ull << 63)

/* A document: a stream, or a pending one made by mkdir. Its fields and
 * its lock are docs.c's; other files ask docs.c (each call locks what it
 * needs). Documents live as long as the mount. */
typedef struct cfs_doc cfs_doc;
typedef struct cfs_uring cfs_uring;
typedef struct cfs_note cfs_note;

/* One inode the kernel knows (the table is docs.c's, under its lock).
 * Document roles are permanent; scratch entries are freed when the kernel
 * forgets them. */
typedef struct cfs_ent {
    uint64_t ino;
    int kind;
    cfs_doc *doc;               /* every kind below the root's files */
    size_t hist;                /* K_HIST: log index; K_CONF: lost branch number */
    cer_cid hist_cid;           /* K_HIST: commit; K_CONF: the lost tip */
    int fd;                     /* K_SCRATCH: O_PATH descriptor */
    bool transient;             /* freed when the kernel forgets it: scratch
                                   files, and a scratch file renamed onto
                                   content.json (then kind K_CONTENT) */
    /* docs.c's */
    struct cfs_ent *next;       /* hash chain */
    uint64_t parent;            /* K_SCRATCH: the directory and name it was */
    char *name;                 /* last looked up by (owned): see sweep */
    struct cfs_ent *sprev, *snext;  /* fs->scratch list: entries with an fd */
    uint64_t nlookup;           /* K_SCRATCH, and transient entries */
} cfs_ent;

/* Requests by kind, counted by fsops.c for .status (names as the
 * kernel's opcodes: docs.c). */
enum {
    CFS_RQ_LOOKUP, CFS_RQ_FORGET, CFS_RQ_BATCH_FORGET, CFS_RQ_GETATTR, CFS_RQ_SETATTR, CFS_RQ_READLINK,
    CFS_RQ_MKNOD, CFS_RQ_MKDIR, CFS_RQ_UNLINK, CFS_RQ_RMDIR, CFS_RQ_SYMLINK, CFS_RQ_RENAME, CFS_RQ_LINK,
    CFS_RQ_OPEN, CFS_RQ_READ, CFS_RQ_WRITE, CFS_RQ_FLUSH, CFS_RQ_RELEASE, CFS_RQ_FSYNC, CFS_RQ_OPENDIR,
    CFS_RQ_READDIR, CFS_RQ_RELEASEDIR, CFS_RQ_STATFS, CFS_RQ_SETXATTR, CFS_RQ_GETXATTR, CFS_RQ_LISTXATTR,
    CFS_RQ_REMOVEXATTR, CFS_RQ_CREATE, CFS_RQ_FALLOCATE, CFS_REQUEST_KINDS
};

typedef struct cfs_table cfs_table;

/* The mount. */
typedef struct cfs_fs {
    cer_node *node;
    cer_sync *sync;             /* NULL without --ipfs */
    cer_anchorer *anchorer;     /* NULL with --anchor none */
    int query_timeout_ms;       /* lookups of unknown StreamIDs (0: default) */
    struct fuse_session *se;
    char *state_dir;
    bool ro;
    bool debug;
    bool no_open;               /* the kernel's no-open mode (default; -o open
                                   turns it off): see fsops.c handle() */
    bool no_uring;              /* -o no_uring: stay on /dev/fuse */
    cfs_uring *uring;           /* the transport under the session (uring.c) */
    uid_t uid;
    gid_t gid;
    int64_t mount_ms;
    size_t scratch_max;         /* scratch files the kernel may hold (docs.c sweeps past it) */

    cfs_table *t;               /* documents, inodes, scratch directories: docs.c's */
    int drafts_fd;              /* STATE/drafts (-1: none, -o ro): drafts.c's */
    atomic_uint_fast64_t requests[CFS_REQUEST_KINDS]; /* by kind since the mount (fsops.c) */

    /* notify.c's queue */
    pthread_mutex_t nlock;      /* guards the notifier queue */
    pthread_cond_t ncond;
    cfs_note *nhead, *ntail;
    cfs_note *nentries;         /* the last of the entry notes, which go first */
    bool nstop;
    pthread_t nthread;
    bool nstarted;
} cfs_fs;

/* ---- docs.c: the inode table ---- */

/* Set up the tables, the scratch directory, the root's entries and the
 * drafts (cfs_fini frees them). */
int cfs_init(cfs_fs *fs);
void cfs_fini(cfs_fs *fs);
/* The inode number of role of a document whose identity hashes to base. */
uint64_t cfs_ino(uint64_t base, const char *role);
/* The inode entry (borrowed; entries of documents live as long as fs). */
cfs_ent *cfs_ent_get(cfs_fs *fs, uint64_t ino);
/* Insert e unless an entry with its inode number exists: returns the one
 * in the table (e, or the existing one: then the caller frees e), with
 * one more lookup counted when it is transient (under the table's lock,
 * so a concurrent forget cannot free it first). */
cfs_ent *cfs_ent_add(cfs_fs *fs, cfs_ent *e);
/* Scratch file ino is now name in directory parent of doc (looked up,
 * or renamed there). */
void cfs_ent_moved(cfs_fs *fs, uint64_t ino, cfs_doc *doc, uint64_t parent, const char *name);
/* Scratch file ino was renamed onto doc's content.json: it stands for
 * content.json until the kernel forgets it. */
void cfs_ent_became_content(cfs_fs *fs, uint64_t ino, cfs_doc *doc);
/* Ask the kernel now to forget the oldest scratch files (out of descriptors). */
void cfs_scratch_sweep(cfs_fs *fs);
/* The kernel forgot n lookups of ino: transient entries go at zero. */
void cfs_ent_forget(cfs_fs *fs, uint64_t ino, uint64_t n);
/* The entry of role kind of doc, created on first use. */
cfs_ent *cfs_doc_ent(cfs_fs *fs, cfs_doc *doc, int kind, size_t hist, const cer_cid *hist_cid);

/* ---- docs.c: documents (each call takes the locks it needs) ---- */

/* The document named name in the root (alias, StreamID or pending name),
 * loading it from the node on first use; NULL with -errno in *err. */
cfs_doc *cfs_doc_lookup(cfs_fs *fs, const char *name, bool *by_id, int *err);
/* The document of stream id if this mount has one (no loading). */
cfs_doc *cfs_doc_find(cfs_fs *fs, const cer_streamref *id);
/* mkdir NAME in the root: a pending document, or adopt a StreamID. */
int cfs_doc_mkdir(cfs_fs *fs, const char *name, cfs_doc **out);
int cfs_doc_rmdir(cfs_fs *fs, const char *name);
int cfs_doc_rename(cfs_fs *fs, const char *from, const char *to, unsigned flags);
/* Names to list in the root: fn(name, ino) for every listed document. */
int cfs_docs_list(cfs_fs *fs, int (*fn)(const char *name, uint64_t ino, void *arg), void *arg);
/* The inode number of doc's role (cfs_ino with its identity). */
uint64_t cfs_doc_ino(cfs_fs *fs, cfs_doc *doc, const char *role);
/* doc's stream in *id, or false while it is pending (no genesis yet). */
bool cfs_doc_stream(cfs_fs *fs, cfs_doc *doc, cer_streamref *id);
/* doc's scratch directory, opened for this use (the caller closes it): the
 * descriptor, or -errno (-ENOENT: no scratch files yet, unless create,
 * which makes the directory). */
int cfs_doc_scratch(cfs_fs *fs, cfs_doc *doc, bool create);
/* Attributes of a document role; -ENOENT for a content.json absent now. */
int cfs_doc_stat(cfs_fs *fs, cfs_doc *doc, int kind, uint64_t ino, struct stat *st);
/* Whether name is one of a document directory's reserved names, and which. */
int cfs_reserved(const char *name);
/* How many lost branches the document's stream has (0 when none or
 * pending; -EIO when they cannot be read). */
int cfs_doc_conflicts(cfs_fs *fs, cfs_doc *doc);
/* Generated files (caller frees *out): .log, .anchors, .meta.json,
 * .streamid, .history and .conflicts entries; and the root's .status and
 * .errors. */
int cfs_render(cfs_fs *fs, cfs_ent *e, char **out, size_t *len);
/* The xattr name of a document role (-ENODATA when absent; *out is
 * malloc'd), and the list of those it has (NUL-separated, in buf). */
int cfs_doc_xattr(cfs_fs *fs, cfs_doc *doc, const char *name, char **out, size_t *len);
size_t cfs_doc_xattr_list(cfs_fs *fs, cfs_doc *doc, char *buf, size_t cap);
/* doc's tip moved: a clean working copy gives way to the new tip unless
 * its content is the same; true when content.json's bytes changed. */
bool cfs_doc_tip_moved(cfs_fs *fs, cfs_doc *doc);
/* The timer: saves refused for a passing cause are tried again when due,
 * and a content.json emptied long ago with nothing written is refused. */
void cfs_docs_tick(cfs_fs *fs);
/* The unmount: commit what is left; every draft still held is on disk and
 * named in the log. */
void cfs_docs_unmount(cfs_fs *fs);

/* ---- docs.c: content.json and its commit points (fs/README.md) ----
 *
 * Between commit points content.json is a working copy W in memory, with
 * the tip it was read from. writer: the process that wrote or truncated
 * through no handle (the no-open mode: the writers are known by process;
 * 0 unknown, page writeback), or CFS_BY_HANDLE. */
#define CFS_BY_HANDLE ((pid_t)-1)
/* Whether content.json is there (it is absent a while after unlink). */
bool cfs_content_present(cfs_fs *fs, cfs_doc *doc);
/* An open: checks (-EROFS, -EACCES, -ENOENT), W made for a writer and
 * emptied for trunc or created; *keep_cache: the bytes are the ones the
 * last open showed. A writer's handle is counted until
 * cfs_content_release (or cfs_content_unhandle). */
int cfs_content_open(cfs_fs *fs, cfs_doc *doc, bool write, bool trunc, bool created, bool *keep_cache);
/* A copy of up to size bytes at off of what content.json shows (caller frees). */
int cfs_content_read(cfs_fs *fs, cfs_doc *doc, size_t size, off_t off, char **out, size_t *len);
/* Write into W (at its end with append; checked is false when the open
 * was not checked: the no-open mode) / set its length: -EFBIG beyond
 * CFS_CONTENT_MAX, -EROFS, -EACCES. */
int cfs_content_write(cfs_fs *fs, cfs_doc *doc, const void *data, size_t len, off_t off, bool append, bool checked,
                      pid_t writer);
int cfs_content_truncate(cfs_fs *fs, cfs_doc *doc, size_t size, pid_t writer);
/* A close (FLUSH): commits when the closer wrote since the last commit
 * (a handle that wrote, or is the only writer; with no handle the
 * process, closer, wrote), unless nothing was written since an
 * emptying. 0 or the commit's -errno. */
int cfs_content_flush(cfs_fs *fs, cfs_doc *doc, bool wrote, pid_t closer);
/* fsync: "commit now". */
int cfs_content_fsync(cfs_fs *fs, cfs_doc *doc);
/* A writer's handle goes (RELEASE): a last commit of what it wrote. */
void cfs_content_release(cfs_fs *fs, cfs_doc *doc, bool wrote);
/* A handle made for CREATE is given up (never released; writer: it
 * counted as one): the creator, when known (> 0), is a writer by process. */
void cfs_content_unhandle(cfs_fs *fs, cfs_doc *doc, bool writer, pid_t creator);
/* unlink content.json: the draft goes; absent for CFS_ABSENT_MS, then
 * the tip shows again. */
int cfs_content_unlink(cfs_fs *fs, cfs_doc *doc);
/* rename(X -> content.json): X's bytes committed, then shown (-EEXIST
 * with noreplace when content.json is there). */
int cfs_content_commit_file(cfs_fs *fs, cfs_doc *doc, const uint8_t *data, size_t len, bool noreplace);
/* rename(content.json -> X): put(arg, bytes) makes X; on success
 * content.json goes absent as after unlink. */
int cfs_content_move_out(cfs_fs *fs, cfs_doc *doc, int (*put)(void *arg, const char *data, size_t len), void *arg);

/* ---- drafts.c: drafts kept in STATE/drafts (the file format and its
 * durable writes; docs.c decides what they hold and when) ---- */

typedef struct cfs_draft {
    const char *state;          /* "invalid", "conflict", "pending" or "dirty" */
    const cer_cid *base;        /* the tip the edit was made from (NULL: none) */
    const char *error;          /* why it is not committed (one line) */
    const uint8_t *data;        /* the bytes */
    size_t len;
} cfs_draft;

/* Make (unless -o ro) and open STATE/drafts. 0 or -errno. */
int cfs_drafts_open(cfs_fs *fs);
void cfs_drafts_close(cfs_fs *fs);
/* Write draft key durably (temporary file, fsync, rename, directory
 * fsync; a full disk gives up the reserve for it). 0 or -errno (-EROFS:
 * no drafts directory). */
int cfs_draft_put(cfs_fs *fs, const char *key, const cfs_draft *d);
/* Remove draft key (0 also when there is none). */
int cfs_draft_drop(cfs_fs *fs, const char *key);
int cfs_draft_move(cfs_fs *fs, const char *from, const char *to);
/* fn(key, draft) for every draft on disk (borrowed for the call); those
 * that cannot be read, or that fn fails (-errno), are reported and left. */
void cfs_drafts_each(cfs_fs *fs, int (*fn)(cfs_fs *fs, const char *key, const cfs_draft *d));
/* All of regular file name in directory dfd, at most max bytes (caller
 * frees *out): -EFBIG when bigger, -EINVAL when not a regular file. */
int cfs_file_read(int dfd, const char *name, size_t max, uint8_t **out, size_t *len);

/* ---- notify.c: the notifier thread ---- */

int cfs_notify_start(cfs_fs *fs);
void cfs_notify_stop(cfs_fs *fs);
void cfs_notify_inode(cfs_fs *fs, uint64_t ino, bool data);
void cfs_notify_entry(cfs_fs *fs, uint64_t parent, const char *name);
/* A node listener: a stream's tip moved (queued, handled on the thread). */
void cfs_notify_tip(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags);

/* ---- fsops.c ---- */

extern const struct fuse_lowlevel_ops cfs_ops;

/* ---- docs.c ---- */

/* CLOCK_REALTIME in milliseconds. */
int64_t cfs_now_ms(void);

#endif
