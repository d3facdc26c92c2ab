/*
 * mount.h — the pieces of the mount (fs/mount.c, fs/docs.c, fs/fsops.c,
 * fs/drafts.c, fs/notify.c, fs/uring.c) and what they share: the inode table, the documents with
 * their working copies, and the notifier queue.
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
 * Locks, in the order they are taken: one doc->lock, then fs->lock (the
 * tables; a save takes it under its document's lock: commit_genesis,
 * rename, rmdir), so a walk over the documents that locks them does not
 * hold fs->lock (docs.c docs_head); fs->slock (scratch directories) and fs->nlock (the notifier
 * queue) are leaves: nothing is taken under them. None is held while
 * calling fuse_lowlevel_notify_* (only the notifier thread calls those,
 * with no lock held). doc->lock is held across a commit (local disk I/O
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

typedef struct cfs_doc cfs_doc;
typedef struct cfs_uring cfs_uring;

/* One inode the kernel knows. Document roles are permanent; scratch
 * entries are freed when the kernel forgets them. */
typedef struct cfs_ent {
    struct cfs_ent *next;       /* hash chain */
    uint64_t ino;
    int kind;
    cfs_doc *doc;               /* every kind below the root's files */
    size_t hist;                /* K_HIST: log index; K_CONF: lost branch number */
    cer_cid hist_cid;           /* K_HIST: commit; K_CONF: the lost tip */
    int fd;                     /* K_SCRATCH: O_PATH descriptor */
    uint64_t parent;            /* K_SCRATCH: the directory and name it was */
    char *name;                 /* last looked up by (owned): see sweep */
    struct cfs_ent *sprev, *snext;  /* fs->scratch list: entries with an fd */
    dev_t bdev;                 /* K_SCRATCH: the backing file */
    ino_t bino;
    uint64_t nlookup;           /* K_SCRATCH, and transient entries */
    bool transient;             /* freed when the kernel forgets it: scratch
                                   files, and a scratch file renamed onto
                                   content.json (then kind K_CONTENT) */
} cfs_ent;

/* A document (a stream, or a pending one made by mkdir). */
struct cfs_doc {
    struct cfs_doc *next;
    struct cfs_doc *next_id;    /* chain in fs->by_id (streams only) */
    struct cfs_doc *next_name;  /* chain in fs->by_name */
    pthread_mutex_t lock;       /* guards everything below */
    uint64_t base;              /* inode seed: H(StreamID), or H(pending name) */
    bool pending;               /* mkdir'd; the first valid save makes the genesis */
    bool removed;               /* rmdir'd (unpinned): no longer listed */
    cer_streamref id;           /* when !pending */
    char sid[CER_STREAMID_STR_MAX];  /* its string ("" when pending) */
    char name[CER_STREAMID_STR_MAX];  /* the directory's name: alias, or the StreamID */
    char scratch_key[CER_STREAMID_STR_MAX + 16];  /* STATE/scratch/<key> (fs->slock) */
    int64_t made_ms;            /* pending: when mkdir'd */

    /* the working copy W (fs/README.md, "Commit points"): what content.json shows while the
     * user's bytes are newer than, or equal to, the tip's content */
    bool have_w;
    uint8_t *w;                 /* W: w_len bytes (w_cap allocated), owned */
    size_t w_len, w_cap;
    bool dirty;                 /* W differs from what was committed */
    bool written;               /* bytes written since the last truncation */
    bool base_set;
    cer_cid base_tip;           /* the tip W was made from (rebase) */
    uint64_t w_gen;             /* bumped on every change of the visible bytes */
    uint64_t failed_gen;        /* w_gen of the last rejected save (0: none) */
    int writers;                /* open write handles */
    /* the no-open mode (no handles): the processes (thread group ids)
     * that wrote or truncated W since the last commit; a flush from one of
     * them is a writer's close. wanon: written by page writeback, whose
     * process is unknown (mmap), or more writers than wpids holds: any
     * flush commits */
    pid_t wpids[8];
    int nwpids;
    bool wanon;
    int64_t absent_until_ms;    /* content.json absent until then (0: present) */
    int64_t w_mtime_ms;         /* last local write */

    /* the rendering of the tip, cached */
    bool have_render;
    cer_cid render_tip;
    char *render;
    size_t render_len;

    bool wr_known;              /* cached cfs_doc_writable, for wr_tip */
    bool wr;
    cer_cid wr_tip;
    bool keep_w;                /* what the last open of content.json showed */
    uint64_t keep_gen;
    cer_cid keep_tip;

    char state[16];             /* "clean", "dirty", "invalid", "conflict", "pending" */
    char last_error[512];

    /* the draft on disk (drafts.c) and the retries of a passing refusal */
    char draft_key[CER_STREAMID_STR_MAX + 16];  /* STATE/drafts/<key> ("": none) */
    uint64_t draft_gen;         /* w_gen of the bytes it holds */
    int failed_err;             /* -errno of the last refusal of W */
    bool retry;                 /* that refusal was for a passing cause */
    unsigned retries;
    int64_t retry_at_ms;
    bool too_big;               /* a write or truncation past CFS_CONTENT_MAX was refused */
};

/* A queued kernel notification. */
typedef struct cfs_note {
    struct cfs_note *next;
    int kind;                   /* 0: inval_inode, 1: inval_entry, 2: tip moved */
    uint64_t ino;               /* inval_inode: inode; inval_entry: parent */
    off_t off;                  /* inval_inode: -1 attributes only, 0 data too */
    char name[CER_STREAMID_STR_MAX];  /* inval_entry */
    cer_streamref id;           /* tip moved */
} cfs_note;

#define CFS_REQUEST_KINDS 32

typedef struct cfs_fs {
    cer_node *node;
    cer_sync *sync;             /* NULL without --ipfs */
    cer_anchorer *anchorer;     /* NULL with --anchor none */
    int query_timeout_ms;       /* lookups of unknown StreamIDs (0: default) */
    struct fuse_session *se;
    char *state_dir;
    char *scratch_dir;          /* STATE/scratch */
    int drafts_fd;              /* STATE/drafts (-1: none, -o ro) */
    int scratch_fd;             /* that directory, O_DIRECTORY */
    pthread_mutex_t slock;      /* guards docs' scratch_key and the renames of
                                   their directories; no lock is taken under it */
    bool ro;
    bool debug;
    bool no_open;               /* the kernel's no-open mode (default; -o open
                                   turns it off): see fsops.c handle() */
    bool no_uring;              /* -o no_uring: stay on /dev/fuse */
    cfs_uring *uring;           /* the transport under the session (uring.c) */
    uid_t uid;
    gid_t gid;
    int64_t mount_ms;

    pthread_mutex_t lock;       /* guards docs and the inode table */
    cfs_doc *docs;
    cfs_doc *by_id[4096];       /* streams by hash of their StreamID string */
    cfs_doc *by_name[4096];     /* every document by hash of its name */
    cfs_ent **ents;
    size_t nbuckets, nents;
    char refused[512];          /* the last rename refused, and when (one line */
    int64_t refused_ms;         /* in .errors for mv's two tries) */
    /* entries holding a descriptor (scratch files), oldest first: past
     * scratch_max the kernel is asked to forget the oldest (docs.c) */
    cfs_ent *scratch_head, *scratch_tail;
    size_t nscratch, scratch_max, sweep_at;

    atomic_uint_fast64_t requests[CFS_REQUEST_KINDS]; /* by kind since the mount (fsops.c) */
    atomic_bool tick_wanted;    /* a save may wait for the timer (cfs_docs_tick) */

    pthread_mutex_t nlock;      /* guards the notifier queue */
    pthread_cond_t ncond;
    cfs_note *nhead, *ntail;
    cfs_note *nentries;         /* the last of the entry notes, which go first */
    bool nstop;
    pthread_t nthread;
    bool nstarted;
} cfs_fs;

/* ---- fs/fsops.c ---- */

/* Adds {"LOOKUP": n, ...} to o: the requests the kernel sent since the
 * mount, by kind (those sent at least once). -ENOMEM or 0. */
int cfs_requests_json(cfs_fs *fs, cJSON *o);

/* ---- fs/docs.c: documents, working copies, commit points, rendering ---- */

int cfs_init(cfs_fs *fs);
void cfs_fini(cfs_fs *fs);
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
/* Ask the kernel now to forget the oldest scratch files (out of descriptors). */
void cfs_scratch_sweep(cfs_fs *fs);
/* The kernel forgot n lookups of ino: transient entries go at zero. */
void cfs_ent_forget(cfs_fs *fs, uint64_t ino, uint64_t n);
/* The entry of role kind of doc, created on first use. */
cfs_ent *cfs_doc_ent(cfs_fs *fs, cfs_doc *doc, int kind, size_t hist, const cer_cid *hist_cid);
/* The document named name in the root (alias, StreamID or pending name),
 * loading it from the node on first use; NULL with -errno in *err. */
cfs_doc *cfs_doc_lookup(cfs_fs *fs, const char *name, bool *by_id, int *err);
/* The document of stream id if this mount has one (no loading). */
cfs_doc *cfs_doc_find(cfs_fs *fs, const cer_streamref *id);
/* mkdir NAME in the root: a pending document, or adopt a StreamID. */
int cfs_doc_mkdir(cfs_fs *fs, const char *name, cfs_doc **out);
int cfs_doc_rmdir(cfs_fs *fs, const char *name);
int cfs_doc_rename(cfs_fs *fs, const char *from, const char *to, unsigned flags);
/* doc's scratch directory, opened for this use (the caller closes it): the
 * descriptor, or -errno (-ENOENT: no scratch files yet, unless create,
 * which makes the directory). */
int cfs_doc_scratch(cfs_fs *fs, cfs_doc *doc, bool create);
/* Names to list in the root: fn(name, ino) for every listed document. */
int cfs_docs_list(cfs_fs *fs, int (*fn)(const char *name, uint64_t ino, void *arg), void *arg);

/* Call with doc->lock held. */
bool cfs_doc_content_present(cfs_doc *doc);
/* The bytes content.json shows now (borrowed until doc->lock is let go). */
int cfs_doc_visible(cfs_fs *fs, cfs_doc *doc, const char **data, size_t *len);
/* Make W exist (a copy of the visible bytes) before a write. */
int cfs_doc_load_w(cfs_fs *fs, cfs_doc *doc);
/* Set W's length (zero-filled when it grows) / write into it: both make
 * the document dirty; -EFBIG beyond CFS_CONTENT_MAX. */
int cfs_doc_truncate_w(cfs_fs *fs, cfs_doc *doc, size_t size);
int cfs_doc_write_w(cfs_fs *fs, cfs_doc *doc, size_t off, const void *data, size_t len);
/* A commit point: W saved on its base (cer_node_save). 0 (also when
 * nothing changed) or -errno (EINVAL bad JSON, ESTALE conflict, EACCES
 * not the controller, EIO); the reason is recorded (.errors, syslog, xattr). */
int cfs_doc_commit(cfs_fs *fs, cfs_doc *doc, const char *how);
/* Commit bytes from elsewhere (a scratch file renamed onto content.json). */
int cfs_doc_commit_bytes(cfs_fs *fs, cfs_doc *doc, const uint8_t *data, size_t len, const char *how);
/* Forget W (unlink of content.json or rename away): content.json is
 * absent for CFS_ABSENT_MS, then shows the tip again. */
void cfs_doc_drop_w(cfs_fs *fs, cfs_doc *doc);
/* Attributes of a document role (doc->lock held). */
void cfs_doc_attr(cfs_fs *fs, cfs_doc *doc, int kind, uint64_t ino, struct stat *st);
/* Generated files (caller frees *out): .log, .anchors, .meta.json,
 * .streamid, .history and .conflicts entries; and the root's .status and
 * .errors. */
int cfs_render(cfs_fs *fs, cfs_ent *e, char **out, size_t *len);
/* xattrs of a document role; -ENODATA when absent. *out is malloc'd. */
int cfs_doc_xattr(cfs_fs *fs, cfs_doc *doc, const char *name, char **out, size_t *len);
extern const char *const cfs_xattr_names[];
/* mtime of a document (ms). */
int64_t cfs_doc_mtime(cfs_fs *fs, cfs_doc *doc);
/* Whether name is one of a document directory's reserved names, and which. */
int cfs_reserved(const char *name);
/* How many lost branches the document's stream has (0 when none or
 * pending; -EIO when they cannot be read). */
int cfs_doc_conflicts(cfs_fs *fs, cfs_doc *doc);
/* Whether this node may write the document (its key is the controller). */
bool cfs_doc_writable(cfs_fs *fs, cfs_doc *doc);

/* The document whose scratch or draft key is key (a StreamID, or
 * pending-<name>), made or loaded on first use; NULL with -errno in *err. */
cfs_doc *cfs_doc_by_key(cfs_fs *fs, const char *key, int *err);
/* W becomes these bytes: a draft read back (doc->lock held). */
int cfs_doc_set_draft(cfs_fs *fs, cfs_doc *doc, const uint8_t *data, size_t len);
/* The timer: saves refused for a passing cause are tried again when due,
 * and a content.json emptied long ago with nothing written is refused. */
void cfs_docs_tick(cfs_fs *fs);
/* The unmount: commit what is left; every draft still held is on disk and
 * named in the log. */
void cfs_docs_unmount(cfs_fs *fs);

/* ---- fs/drafts.c: drafts kept in STATE/drafts ---- */

/* Make (unless -o ro) and open STATE/drafts. 0 or -errno. */
int cfs_drafts_open(cfs_fs *fs);
void cfs_drafts_close(cfs_fs *fs);
/* Read every draft back into its document (at the mount). */
int cfs_drafts_load(cfs_fs *fs);
/* Write doc's W, state and reason as its draft, durably (doc->lock held).
 * 0 or -errno (-ENOSPC on a full disk: the draft is then in memory only). */
int cfs_draft_save(cfs_fs *fs, cfs_doc *doc);
/* Remove doc's draft from disk, if it has one there (doc->lock held). */
void cfs_draft_remove(cfs_fs *fs, cfs_doc *doc);
/* A pending document was renamed or got its StreamID: its draft follows. */
int cfs_draft_rekey(cfs_fs *fs, cfs_doc *doc);

/* ---- fs/notify.c: the notifier thread ---- */

int cfs_notify_start(cfs_fs *fs);
void cfs_notify_stop(cfs_fs *fs);
void cfs_notify_inode(cfs_fs *fs, uint64_t ino, bool data);
void cfs_notify_entry(cfs_fs *fs, uint64_t parent, const char *name);
/* A node listener: a stream's tip moved (queued, handled on the thread). */
void cfs_notify_tip(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags);

/* ---- fs/fsops.c ---- */

extern const struct fuse_lowlevel_ops cfs_ops;

/* ---- fs/docs.c ---- */

/* CLOCK_REALTIME in milliseconds. */
int64_t cfs_now_ms(void);

#endif
