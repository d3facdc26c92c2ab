/*
 * docs.c — the mount's documents: which directory names a stream, the
 * inode numbers of its files, its working copy and the commit points that
 * turn a complete save into one signed commit (cer_node_save;
 * fs/README.md), what its draft holds, and the generated files (.log,
 * .anchors, .meta.json, .streamid, the .history and .conflicts files,
 * .status, .errors). A document owns its lock: this file alone takes it,
 * in calls that each do one thing (fsops.c asks, it never locks). No
 * FUSE calls here except queueing notifications.
 */
#include "mount.h"
#include "uring.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PENDING_PREFIX CFS_PENDING_PREFIX

/* A document (a stream, or a pending one made by mkdir). Its lock is
 * taken here only: every function below that is not static takes it (or
 * is documented as called with it held). */
struct cfs_doc {
    struct cfs_doc *next;
    struct cfs_doc *next_id;    /* chain in fs->t->by_id (streams only) */
    struct cfs_doc *next_name;  /* chain in fs->t->by_name */
    pthread_mutex_t lock;       /* guards everything below */
    uint64_t base;              /* inode seed: H(StreamID), or H(pending name) */
    bool pending;               /* mkdir'd; the first valid save makes the genesis */
    bool has_model;             /* mkdir'd in a Model's folder (models.c): a document */
    cer_streamref model;        /* of this Model (both set at mkdir, never changed) */
    bool removed;               /* rmdir'd (unpinned): no longer listed */
    cer_streamref id;           /* when !pending */
    char sid[CER_STREAMID_STR_MAX];  /* its string ("" when pending) */
    char name[CER_STREAMID_STR_MAX];  /* the directory's name: alias, or the StreamID */
    char *scratch_key;          /* STATE/scratch/<key> (fs->t->slock), owned */
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

    bool wr_known;              /* cached writable, for wr_tip */
    bool wr;
    cer_cid wr_tip;
    bool keep_w;                /* what the last open of content.json showed */
    uint64_t keep_gen;
    cer_cid keep_tip;

    char state[16];             /* "clean", "dirty", "invalid", "conflict", "pending" */
    char *last_error;           /* why the last save was refused (NULL: none), owned */

    /* the draft on disk (drafts.c) and the retries of a passing refusal */
    char *draft_key;            /* STATE/drafts/<key> (NULL: none), owned */
    uint64_t draft_gen;         /* w_gen of the bytes it holds */
    int failed_err;             /* -errno of the last refusal of W */
    bool retry;                 /* that refusal was for a passing cause */
    unsigned retries;
    int64_t retry_at_ms;
    bool too_big;               /* a write or truncation past CFS_CONTENT_MAX was refused */
};

/* The mount's documents, its inode table and its scratch directories
 * (fs->t): docs.c's alone. */
struct cfs_table {
    pthread_mutex_t lock;       /* guards docs and the inode table (after a doc->lock) */
    cfs_doc *docs;              /* every document, newest first (prepend only) */
    cfs_doc *by_id[4096];       /* streams by hash of their StreamID string */
    cfs_doc *by_name[4096];     /* every document by hash of its name */
    cfs_ent **ents;
    size_t nbuckets, nents;
    char refused[512];          /* the last rename refused, and when (one line */
    int64_t refused_ms;         /* in .errors for mv's two tries) */
    /* entries holding a descriptor (scratch files), oldest first: past
     * fs->scratch_max the kernel is asked to forget the oldest */
    cfs_ent *scratch_head, *scratch_tail;
    size_t nscratch, sweep_at;
    char *scratch_dir;          /* STATE/scratch */
    int scratch_fd;             /* that directory, O_DIRECTORY (-1: none, -o ro) */
    pthread_mutex_t slock;      /* guards docs' scratch_key and the renames of
                                   their directories; a leaf */
    atomic_bool tick_wanted;    /* a save may wait for the timer (cfs_docs_tick) */
};

/* The names of the request kinds (CFS_RQ_*), as the kernel's opcodes. */
static const char *const rq_names[CFS_REQUEST_KINDS] = {
    "LOOKUP", "FORGET", "BATCH_FORGET", "GETATTR", "SETATTR", "READLINK", "MKNOD", "MKDIR",
    "UNLINK", "RMDIR", "SYMLINK", "RENAME", "LINK", "OPEN", "READ", "WRITE", "FLUSH",
    "RELEASE", "FSYNC", "OPENDIR", "READDIR", "RELEASEDIR", "STATFS", "SETXATTR", "GETXATTR",
    "LISTXATTR", "REMOVEXATTR", "CREATE", "FALLOCATE",
};

int64_t cfs_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- inode numbers: a hash of (identity, role), stable across mounts ---- */

static uint64_t hash64(const void *a, size_t alen, const void *b, size_t blen)
{
    crypto_generichash_state st;
    uint8_t out[8];
    uint64_t h = 0;

    crypto_generichash_init(&st, NULL, 0, sizeof out);
    crypto_generichash_update(&st, a, alen);
    crypto_generichash_update(&st, (const uint8_t *)"\0", 1);
    crypto_generichash_update(&st, b, blen);
    crypto_generichash_final(&st, out, sizeof out);
    for (int i = 0; i < 8; i++)
        h = h << 8 | out[i];
    return h;
}

/* Document inodes have the top bit clear (scratch files have it set) and
 * are never 0 or 1 (the root). */
uint64_t cfs_ino(uint64_t base, const char *role)
{
    uint8_t b[8];
    uint64_t h;

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(base >> (56 - 8 * i));
    h = hash64(b, sizeof b, role, strlen(role)) & ~(1ull << 63);
    return h < 16 ? h + 16 : h;
}

static uint64_t doc_base(const char *what, const char *key)
{
    return hash64(what, strlen(what), key, strlen(key));
}

uint64_t cfs_stream_ino(const cer_streamref *id, const char *role)
{
    char sid[CER_STREAMID_STR_MAX];
    cer_streamref norm = *id;

    norm.is_commit = false;
    cer_streamref_to_string(sid, sizeof sid, &norm);
    return cfs_ino(doc_base("stream", sid), role);
}

static const char *role_name(int kind)
{
    switch (kind) {
    case K_DOC: return "dir";
    case K_DOCID: return "dir-by-id";
    case K_MDOC: return CFS_ROLE_MDOC;
    case K_CONTENT: return "content";
    case K_LOG: return "log";
    case K_ANCHORS: return "anchors";
    case K_META: return "meta";
    case K_SID: return "streamid";
    case K_HISTDIR: return "history";
    case K_CONFDIR: return "conflicts";
    case K_MODEL: return CFS_ROLE_MODEL;
    default: return "?";
    }
}

/* ---- the inode table (fs->t->lock held) ---- */

static cfs_ent **ent_slot(cfs_fs *fs, uint64_t ino)
{
    return &fs->t->ents[cer_hash(&ino, sizeof ino) & (fs->t->nbuckets - 1)];
}

static int ent_grow(cfs_fs *fs)
{
    size_t n = fs->t->nbuckets * 2;
    cfs_ent **nb = calloc(n, sizeof *nb), **old = fs->t->ents;
    size_t oldn = fs->t->nbuckets;

    if (!nb)
        return -ENOMEM;
    fs->t->ents = nb;
    fs->t->nbuckets = n;
    for (size_t i = 0; i < oldn; i++) {
        for (cfs_ent *e = old[i], *next; e; e = next) {
            next = e->next;
            cfs_ent **slot = ent_slot(fs, e->ino);
            e->next = *slot;
            *slot = e;
        }
    }
    free(old);
    return 0;
}

static cfs_ent *ent_find_locked(cfs_fs *fs, uint64_t ino)
{
    for (cfs_ent *e = *ent_slot(fs, ino); e; e = e->next)
        if (e->ino == ino)
            return e;
    return NULL;
}

static void ent_insert_locked(cfs_fs *fs, cfs_ent *e)
{
    cfs_ent **slot;

    if (fs->t->nents >= fs->t->nbuckets * 2)
        (void)ent_grow(fs);  /* a longer chain if it fails, nothing worse */
    slot = ent_slot(fs, e->ino);
    e->next = *slot;
    *slot = e;
    fs->t->nents++;
}

cfs_ent *cfs_ent_get(cfs_fs *fs, uint64_t ino)
{
    cfs_ent *e;

    pthread_mutex_lock(&fs->t->lock);
    e = ent_find_locked(fs, ino);
    pthread_mutex_unlock(&fs->t->lock);
    return e;
}

/* ---- entries holding a descriptor ----
 *
 * A scratch file's entry keeps an O_PATH descriptor of it (so that it
 * stays the same file through renames and after an unlink while open)
 * until the kernel forgets it; the kernel forgets when it drops the name
 * from its cache, which may be never. So past fs->scratch_max such
 * entries the names of the oldest are invalidated: the kernel forgets
 * those not in use, and their descriptors close. */

static void scratch_link(cfs_fs *fs, cfs_ent *e)
{
    e->snext = NULL;
    e->sprev = fs->t->scratch_tail;
    *(e->sprev ? &e->sprev->snext : &fs->t->scratch_head) = e;
    fs->t->scratch_tail = e;
}

static void scratch_unlink(cfs_fs *fs, cfs_ent *e)
{
    *(e->sprev ? &e->sprev->snext : &fs->t->scratch_head) = e->snext;
    *(e->snext ? &e->snext->sprev : &fs->t->scratch_tail) = e->sprev;
}

/* How many more entries before the next sweep: the kernel forgets a
 * sweep's names a little later, and files in use stay; so a sweep comes
 * every quarter of scratch_max new entries while past it (then two
 * notifications a lookup at most). */
#define SWEEP_GAP(fs) ((fs)->scratch_max / 4 + 1)

/* fs->t->lock held: ask the kernel to drop the oldest names (queued: the
 * notifier sends them); those it keeps go to the end of the list. */
static void sweep_locked(cfs_fs *fs)
{
    size_t n = fs->scratch_max / 2 + 1;

    for (cfs_ent *e; n-- && (e = fs->t->scratch_head);) {
        if (e->name)
            cfs_notify_entry(fs, e->parent, e->name);
        scratch_unlink(fs, e);
        scratch_link(fs, e);
    }
    fs->t->sweep_at = fs->t->nscratch + SWEEP_GAP(fs);
}

void cfs_scratch_sweep(cfs_fs *fs)
{
    pthread_mutex_lock(&fs->t->lock);
    sweep_locked(fs);
    pthread_mutex_unlock(&fs->t->lock);
}

static void ent_free(cfs_ent *e)
{
    if (e->fd >= 0)
        close(e->fd);
    free(e->name);
    free(e);
}

cfs_ent *cfs_ent_add(cfs_fs *fs, cfs_ent *e)
{
    cfs_ent *have;

    pthread_mutex_lock(&fs->t->lock);
    if (!(have = ent_find_locked(fs, e->ino))) {
        ent_insert_locked(fs, e);
        have = e;
        if (e->fd >= 0) {
            scratch_link(fs, e);
            fs->t->nscratch++;
            if (fs->scratch_max && fs->t->nscratch > fs->scratch_max && fs->t->nscratch >= fs->t->sweep_at)
                sweep_locked(fs);
        }
    }
    if (have->transient)
        have->nlookup++;
    pthread_mutex_unlock(&fs->t->lock);
    return have;
}

void cfs_ent_moved(cfs_fs *fs, uint64_t ino, cfs_doc *doc, uint64_t parent, const char *name)
{
    char *copy = strdup(name);
    cfs_ent *e;

    pthread_mutex_lock(&fs->t->lock);
    if ((e = ent_find_locked(fs, ino)) && e->kind == K_SCRATCH) {
        e->doc = doc;
        e->parent = parent;
        if (copy) {
            free(e->name);
            e->name = copy;
            copy = NULL;
        }
    }
    pthread_mutex_unlock(&fs->t->lock);
    free(copy);
}

void cfs_ent_became_content(cfs_fs *fs, uint64_t ino, cfs_doc *doc)
{
    cfs_ent *e;

    pthread_mutex_lock(&fs->t->lock);
    if ((e = ent_find_locked(fs, ino)) && e->kind == K_SCRATCH) {
        e->kind = K_CONTENT;
        e->doc = doc;
    }
    pthread_mutex_unlock(&fs->t->lock);
}

void cfs_ent_forget(cfs_fs *fs, uint64_t ino, uint64_t n)
{
    cfs_ent *e, **pp;

    pthread_mutex_lock(&fs->t->lock);
    for (pp = ent_slot(fs, ino); (e = *pp); pp = &e->next)
        if (e->ino == ino)
            break;
    if (e && e->transient) {
        e->nlookup = e->nlookup > n ? e->nlookup - n : 0;
        if (e->nlookup == 0) {
            *pp = e->next;
            fs->t->nents--;
            if (e->fd >= 0) {
                scratch_unlink(fs, e);
                fs->t->nscratch--;
                if (fs->t->sweep_at > fs->t->nscratch + SWEEP_GAP(fs))
                    fs->t->sweep_at = fs->t->nscratch + SWEEP_GAP(fs);
            }
        } else {
            e = NULL;
        }
    } else {
        e = NULL;
    }
    pthread_mutex_unlock(&fs->t->lock);
    if (e)
        ent_free(e);
}

cfs_ent *cfs_doc_ent(cfs_fs *fs, cfs_doc *doc, int kind, size_t hist, const cer_cid *hist_cid)
{
    char role[CER_CID_STR_MAX + 32];
    uint64_t ino;
    cfs_ent *e;

    if (kind == K_HIST) {
        char cid[CER_CID_STR_MAX];
        if (cer_cid_to_string(cid, sizeof cid, hist_cid) < 0)
            return NULL;
        snprintf(role, sizeof role, "history:%s", cid);
    } else if (kind == K_CONF) {
        snprintf(role, sizeof role, "conflict:%zu", hist);
    } else {
        snprintf(role, sizeof role, "%s", role_name(kind));
    }
    ino = cfs_ino(doc->base, role);
    pthread_mutex_lock(&fs->t->lock);
    for (int salt = 0; (e = ent_find_locked(fs, ino)); salt++) {
        if (e->doc == doc && e->kind == kind &&
            ((kind != K_HIST && kind != K_CONF) || cer_cid_equal(&e->hist_cid, hist_cid)) &&
            (kind != K_CONF || e->hist == hist))
            goto out;
        /* a 63-bit collision: resolve it deterministically */
        char salted[sizeof role + 16];
        snprintf(salted, sizeof salted, "%s#%d", role, salt);
        ino = cfs_ino(doc->base, salted);
    }
    if ((e = calloc(1, sizeof *e))) {
        e->ino = ino;
        e->kind = kind;
        e->doc = doc;
        e->hist = hist;
        if (hist_cid)
            e->hist_cid = *hist_cid;
        e->fd = -1;
        ent_insert_locked(fs, e);
    }
out:
    pthread_mutex_unlock(&fs->t->lock);
    return e;
}

/* ---- drafts on disk (drafts.c writes them; doc->lock held) ---- */

#define KEY_MAX (2 * CER_STREAMID_STR_MAX + 16)

/* Replace the string *field owns by a copy of s (NULL: none). 0 or
 * -ENOMEM (then *field is as it was). */
static int set_str(char **field, const char *s)
{
    char *c = NULL;

    if (s && !(c = strdup(s)))
        return -ENOMEM;
    free(*field);
    *field = c;
    return 0;
}

/* doc's last refusal, "" when none */
static const char *last_error(const cfs_doc *doc)
{
    return doc->last_error ? doc->last_error : "";
}

/* The key of a pending document's scratch directory and draft:
 * pending-<name>, or for a document of a Model pending-<name>@<its
 * StreamID> ('@' is in no alias). */
static void pending_key(char *out, size_t cap, const char *name, const cfs_doc *doc)
{
    char sid[CER_STREAMID_STR_MAX] = "";

    if (doc->has_model)
        cer_streamref_to_string(sid, sizeof sid, &doc->model);
    snprintf(out, cap, PENDING_PREFIX "%s%s%s", name, sid[0] ? "@" : "", sid);
}

/* The name and Model (model->type 0: none) a pending key names; -EINVAL
 * when it names none. */
static int pending_key_parse(const char *key, char name[CER_STREAMID_STR_MAX], cer_streamref *model)
{
    const char *at;
    size_t n;

    memset(model, 0, sizeof *model);
    if (strncmp(key, PENDING_PREFIX, strlen(PENDING_PREFIX)) != 0)
        return -EINVAL;
    key += strlen(PENDING_PREFIX);
    n = (at = strchr(key, '@')) ? (size_t)(at - key) : strlen(key);
    if (n >= CER_STREAMID_STR_MAX)
        return -EINVAL;
    memcpy(name, key, n);
    name[n] = '\0';
    if (cer_node_alias_check(name) < 0)
        return -EINVAL;
    if (at && (cer_streamref_parse(model, at + 1) < 0 || model->is_commit || model->type != CER_STREAM_MODEL))
        return -EINVAL;
    return 0;
}

/* The key doc's draft goes under now: its StreamID, or its pending key. */
static void draft_key(const cfs_doc *doc, char out[KEY_MAX])
{
    if (doc->pending)
        pending_key(out, KEY_MAX, doc->name, doc);
    else
        snprintf(out, KEY_MAX, "%s", doc->sid);
}

/* Keep doc's W, state and reason as its draft, durably. 0 or -errno
 * (-ENOSPC on a full disk: the draft is then in memory only). */
static int draft_save(cfs_fs *fs, cfs_doc *doc)
{
    char key[KEY_MAX];
    cfs_draft d = {doc->state, doc->base_set ? &doc->base_tip : NULL, last_error(doc), doc->w, doc->w_len};
    int rc;

    draft_key(doc, key);
    if ((rc = cfs_draft_put(fs, key, &d)) < 0)
        return rc;
    /* a pending document renamed since its last draft: one file only */
    if (doc->draft_key && strcmp(doc->draft_key, key) != 0)
        (void)cfs_draft_drop(fs, doc->draft_key);
    if ((rc = set_str(&doc->draft_key, key)) < 0)
        return rc;
    doc->draft_gen = doc->w_gen;
    return 0;
}

/* Remove doc's draft from disk, if it has one there. */
static void draft_remove(cfs_fs *fs, cfs_doc *doc)
{
    if (doc->draft_key && cfs_draft_drop(fs, doc->draft_key) == 0) {
        (void)set_str(&doc->draft_key, NULL);
        doc->draft_gen = 0;
    }
}

/* A pending document was renamed: its draft follows. */
static int draft_rekey(cfs_fs *fs, cfs_doc *doc)
{
    char key[KEY_MAX];
    int rc;

    if (!doc->draft_key)
        return 0;
    draft_key(doc, key);
    if (strcmp(key, doc->draft_key) == 0)
        return 0;
    if ((rc = cfs_draft_move(fs, doc->draft_key, key)) == 0)
        rc = set_str(&doc->draft_key, key);
    return rc;
}

/* ---- documents ---- */

/* A document's scratch files live in STATE/scratch/<doc->scratch_key>/,
 * opened for each use and never kept open (a mount touches any number of
 * documents; descriptors are few). A stream's directory is made with its
 * first scratch file; a pending document's at mkdir (it is what keeps the
 * document across a remount). fs->t->slock guards the keys and the renames
 * of these directories, so a name and its directory always agree. */
int cfs_doc_scratch(cfs_fs *fs, cfs_doc *doc, bool create)
{
    int fd;

    if (fs->t->scratch_fd < 0)  /* a read-only mount of a state directory without one */
        return -ENOENT;
    pthread_mutex_lock(&fs->t->slock);
    fd = openat(fs->t->scratch_fd, doc->scratch_key, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create && !fs->ro &&
        (mkdirat(fs->t->scratch_fd, doc->scratch_key, 0700) == 0 || errno == EEXIST))
        fd = openat(fs->t->scratch_fd, doc->scratch_key, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = -errno;
    pthread_mutex_unlock(&fs->t->slock);
    return fd;
}

/* Move doc's scratch directory to key. -ENOENT when it has none: then the
 * key changes all the same unless must_exist. */
static int scratch_move(cfs_fs *fs, cfs_doc *doc, const char *key, bool must_exist)
{
    int rc = 0;

    pthread_mutex_lock(&fs->t->slock);
    if (renameat(fs->t->scratch_fd, doc->scratch_key, fs->t->scratch_fd, key) < 0)
        rc = -errno;
    if (rc == 0 || (rc == -ENOENT && !must_exist))
        rc = set_str(&doc->scratch_key, key) < 0 ? -ENOMEM : rc;
    pthread_mutex_unlock(&fs->t->slock);
    return rc;
}

static void scratch_remove(cfs_fs *fs, cfs_doc *doc)
{
    pthread_mutex_lock(&fs->t->slock);
    unlinkat(fs->t->scratch_fd, doc->scratch_key, AT_REMOVEDIR);
    pthread_mutex_unlock(&fs->t->slock);
}

static cfs_doc *doc_new(void)
{
    cfs_doc *d = calloc(1, sizeof *d);

    if (!d)
        return NULL;
    pthread_mutex_init(&d->lock, NULL);
    snprintf(d->state, sizeof d->state, "clean");
    return d;
}

static void doc_free(cfs_doc *d)
{
    free(d->w);
    free(d->render);
    free(d->scratch_key);
    free(d->draft_key);
    free(d->last_error);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* The bucket of a StreamID string in fs->t->by_id, or of a name in
 * fs->t->by_name (both 4096 long); keyed, so no set of names fills one. */
static size_t name_bucket(const char *s)
{
    return (size_t)(cer_hash(s, strlen(s)) % (sizeof ((cfs_table *)0)->by_id / sizeof ((cfs_table *)0)->by_id[0]));
}

/* fs->t->lock held; doc->name set, doc in no name chain yet. */
static void index_name(cfs_fs *fs, cfs_doc *doc)
{
    size_t b = name_bucket(doc->name);

    doc->next_name = fs->t->by_name[b];
    fs->t->by_name[b] = doc;
}

/* fs->t->lock held: doc is named name from now on, in its chain too. */
static void rename_doc(cfs_fs *fs, cfs_doc *doc, const char *name)
{
    for (cfs_doc **p = &fs->t->by_name[name_bucket(doc->name)]; *p; p = &(*p)->next_name)
        if (*p == doc) {
            *p = doc->next_name;
            break;
        }
    snprintf(doc->name, sizeof doc->name, "%s", name);
    index_name(fs, doc);
}

/* fs->t->lock held; doc->sid set. */
static void index_id(cfs_fs *fs, cfs_doc *doc)
{
    size_t b = name_bucket(doc->sid);

    doc->next_id = fs->t->by_id[b];
    fs->t->by_id[b] = doc;
}

/* A document for stream id, named name; fs->t->lock held. */
static cfs_doc *doc_for_stream(cfs_fs *fs, const cer_streamref *id, const char *name, int *err)
{
    cfs_doc *d = doc_new();

    if (!d) {
        *err = -ENOMEM;
        return NULL;
    }
    d->id = *id;
    d->id.is_commit = false;
    if (cer_streamref_to_string(d->sid, sizeof d->sid, &d->id) < 0) {
        doc_free(d);
        *err = -EINVAL;
        return NULL;
    }
    snprintf(d->name, sizeof d->name, "%s", name);
    if (set_str(&d->scratch_key, d->sid) < 0) {
        doc_free(d);
        *err = -ENOMEM;
        return NULL;
    }
    d->base = doc_base("stream", d->sid);
    d->next = fs->t->docs;
    fs->t->docs = d;
    index_id(fs, d);
    index_name(fs, d);
    return d;
}

/* A pending document named name (of Model model->type != 0); fs->t->lock held. */
static cfs_doc *pending_doc(cfs_fs *fs, const char *name, const cer_streamref *model, int64_t made_ms, int *err)
{
    cfs_doc *d = doc_new();
    char seed[128];

    if (!d) {
        *err = -ENOMEM;
        return NULL;
    }
    d->pending = true;
    d->made_ms = made_ms;
    if ((d->has_model = model && model->type != 0))
        d->model = *model;
    snprintf(d->name, sizeof d->name, "%s", name);
    {
        char key[KEY_MAX];

        pending_key(key, sizeof key, name, d);
        if (set_str(&d->scratch_key, key) < 0) {
            doc_free(d);
            *err = -ENOMEM;
            return NULL;
        }
    }
    snprintf(seed, sizeof seed, "%s@%lld", name, (long long)made_ms);
    d->base = doc_base("pending", seed);
    snprintf(d->state, sizeof d->state, "pending");
    if (mkdirat(fs->t->scratch_fd, d->scratch_key, 0700) < 0 && errno != EEXIST) {
        *err = -errno;
        doc_free(d);
        return NULL;
    }
    d->next = fs->t->docs;
    fs->t->docs = d;
    index_name(fs, d);
    return d;
}

static cfs_doc *find_name_locked(cfs_fs *fs, const char *name)
{
    for (cfs_doc *d = fs->t->by_name[name_bucket(name)]; d; d = d->next_name)
        if (!d->removed && strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static cfs_doc *find_id_locked(cfs_fs *fs, const cer_streamref *id)
{
    char sid[CER_STREAMID_STR_MAX];
    cer_streamref norm = *id;

    norm.is_commit = false;
    if (cer_streamref_to_string(sid, sizeof sid, &norm) < 0)
        return NULL;
    for (cfs_doc *d = fs->t->by_id[name_bucket(sid)]; d; d = d->next_id)
        if (strcmp(d->sid, sid) == 0)
            return d;
    return NULL;
}

cfs_doc *cfs_doc_find(cfs_fs *fs, const cer_streamref *id)
{
    cfs_doc *d;

    pthread_mutex_lock(&fs->t->lock);
    d = find_id_locked(fs, id);
    pthread_mutex_unlock(&fs->t->lock);
    return d;
}

cfs_doc *cfs_doc_lookup(cfs_fs *fs, const char *name, bool *by_id, int *err)
{
    cer_stream_info info;
    cer_streamref id;
    cfs_doc *d;
    bool is_sid;

    *by_id = false;
    *err = 0;
    if (name[0] == '.' || strlen(name) >= sizeof d->name) {
        *err = -ENOENT;
        return NULL;
    }
    pthread_mutex_lock(&fs->t->lock);
    d = find_name_locked(fs, name);
    pthread_mutex_unlock(&fs->t->lock);
    if (d)
        return d;
    /* not open yet: ask the node (registry only, no disk I/O) */
    if (cer_node_resolve(fs->node, &id, name) < 0) {
        *err = -ENOENT;
        return NULL;
    }
    is_sid = cer_streamref_parse(&(cer_streamref){0}, name) == 0;
    if (cer_node_info(fs->node, &id, &info) < 0) {
        /* not here: any StreamID is reachable, so ask the network (bounded
         * by the query timeout) */
        if (!is_sid || !fs->sync || cer_sync_load(fs->sync, &id, fs->query_timeout_ms) < 0 ||
            cer_node_info(fs->node, &id, &info) < 0) {
            if (is_sid && fs->sync)
                cer_node_event(fs->node, "load", &id, "%s: %s", name, cer_errmsg());
            *err = -ENOENT;
            return NULL;
        }
    }
    /* a stream whose StreamID is asked for while it has an alias: the same
     * document, under a second directory inode */
    pthread_mutex_lock(&fs->t->lock);
    d = find_id_locked(fs, &id);
    if (d && d->removed && info.pinned)
        d->removed = false;
    if (!d)
        d = doc_for_stream(fs, &id, info.alias[0] ? info.alias : name, err);
    pthread_mutex_unlock(&fs->t->lock);
    if (d && is_sid && strcmp(d->name, name) != 0)
        *by_id = true;
    if (d && !is_sid && strcmp(d->name, name) != 0) {
        *err = -ENOENT;  /* an alias that moved meanwhile */
        return NULL;
    }
    return d;
}

static cfs_doc *doc_by_key(cfs_fs *fs, const char *key, int *err)
{
    char name[CER_STREAMID_STR_MAX];
    cer_streamref model;
    cfs_doc *d = NULL;
    bool by_id;

    *err = 0;
    if (strncmp(key, PENDING_PREFIX, strlen(PENDING_PREFIX)) == 0) {
        if (pending_key_parse(key, name, &model) < 0) {
            *err = -EINVAL;
            return NULL;
        }
        pthread_mutex_lock(&fs->t->lock);
        if (!(d = find_name_locked(fs, name)))
            d = pending_doc(fs, name, &model, cfs_now_ms(), err);
        else if (!d->pending)
            d = NULL, *err = -EEXIST;  /* the name went to a stream meanwhile */
        pthread_mutex_unlock(&fs->t->lock);
        return d;
    }
    if (cer_streamref_parse(&(cer_streamref){0}, key) < 0) {
        *err = -EINVAL;
        return NULL;
    }
    return cfs_doc_lookup(fs, key, &by_id, err);
}

typedef struct list_ctx {
    cfs_fs *fs;
    int (*fn)(const char *name, uint64_t ino, void *arg);
    void *arg;
} list_ctx;

static int list_stream(const cer_stream_info *info, void *arg)
{
    list_ctx *c = arg;
    char sid[CER_STREAMID_STR_MAX];
    cfs_doc *d;
    uint64_t base;

    if (!info->pinned || cer_streamref_to_string(sid, sizeof sid, &info->id) < 0)
        return 0;
    pthread_mutex_lock(&c->fs->t->lock);
    d = find_id_locked(c->fs, &info->id);
    base = d ? d->base : doc_base("stream", sid);
    pthread_mutex_unlock(&c->fs->t->lock);
    return c->fn(info->alias[0] ? info->alias : sid, cfs_ino(base, "dir"), c->arg);
}

int cfs_docs_list(cfs_fs *fs, int (*fn)(const char *name, uint64_t ino, void *arg), void *arg)
{
    list_ctx c = {fs, fn, arg};
    int rc;

    if ((rc = cer_node_list(fs->node, list_stream, &c)) != 0)
        return rc;
    /* pending documents: made by mkdir, not saved yet */
    return cfs_docs_pending(fs, NULL, fn, arg);
}

int cfs_doc_mkdir(cfs_fs *fs, const char *name, cfs_doc **out)
{
    cer_streamref id;
    cer_stream_info info;
    cfs_doc *d = NULL;
    bool by_id;
    int err = 0;

    *out = NULL;
    if (cer_streamref_parse(&id, name) == 0) {
        /* adopt a stream this node has: pin it and list it */
        if (id.is_commit)
            return -EINVAL;
        if (cer_node_info(fs->node, &id, &info) < 0)
            return -ENOENT;
        if (info.pinned && !info.alias[0])
            return -EEXIST;
        if (cer_node_pin(fs->node, &id, true) < 0 || (info.alias[0] && cer_node_alias(fs->node, &id, NULL) < 0))
            return -EIO;
        pthread_mutex_lock(&fs->t->lock);
        if ((d = find_id_locked(fs, &id))) {
            d->removed = false;
            rename_doc(fs, d, name);
        }
        pthread_mutex_unlock(&fs->t->lock);
        *out = cfs_doc_lookup(fs, name, &by_id, &err);
        return err;
    }
    if (cer_node_alias_check(name) < 0) {
        cer_node_event(fs->node, "mkdir", NULL, "mkdir %.80s: %s", name, cer_errmsg());
        return -EINVAL;
    }
    if (cer_node_resolve(fs->node, &id, name) == 0)
        return -EEXIST;
    pthread_mutex_lock(&fs->t->lock);
    if (find_name_locked(fs, name))
        err = -EEXIST;
    else
        d = pending_doc(fs, name, NULL, cfs_now_ms(), &err);
    pthread_mutex_unlock(&fs->t->lock);
    if (err == 0)
        *out = d;
    return err;
}

int cfs_doc_mkdir_mid(cfs_fs *fs, const char *name, const cer_streamref *model, bool single, cfs_doc **out)
{
    cer_streamref id;
    cfs_doc *d = NULL;
    int err = 0;

    *out = NULL;
    if (cer_node_alias_check(name) < 0) {
        cer_node_event(fs->node, "mkdir", NULL, "mkdir %.80s: %s", name, cer_errmsg());
        return -EINVAL;
    }
    if (cer_node_resolve(fs->node, &id, name) == 0)
        return -EEXIST;
    pthread_mutex_lock(&fs->t->lock);
    if (find_name_locked(fs, name))
        err = -EEXIST;
    /* a single model's one document of this key: one pending at a time */
    for (cfs_doc *o = fs->t->docs; single && o && !err; o = o->next)
        if (o->pending && !o->removed && o->has_model && cer_streamref_same_stream(&o->model, model))
            err = -EEXIST;
    if (!err)
        d = pending_doc(fs, name, model, cfs_now_ms(), &err);
    pthread_mutex_unlock(&fs->t->lock);
    if (err == 0)
        *out = d;
    return err;
}

bool cfs_doc_model(cfs_fs *fs, cfs_doc *doc, cer_streamref *model)
{
    bool has;

    pthread_mutex_lock(&fs->t->lock);
    if ((has = doc->pending && doc->has_model))
        *model = doc->model;
    pthread_mutex_unlock(&fs->t->lock);
    return has;
}

int cfs_docs_pending(cfs_fs *fs, const cer_streamref *model, int (*fn)(const char *name, uint64_t ino, void *arg),
                     void *arg)
{
    char (*names)[CER_STREAMID_STR_MAX] = NULL;
    uint64_t *inos = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    /* a snapshot: fn runs with no lock held */
    pthread_mutex_lock(&fs->t->lock);
    for (cfs_doc *d = fs->t->docs; d; d = d->next)
        cap += d->pending && !d->removed;
    if (cap && (!(names = malloc(cap * sizeof *names)) || !(inos = malloc(cap * sizeof *inos))))
        rc = -ENOMEM;
    for (cfs_doc *d = fs->t->docs; d && rc == 0 && n < cap; d = d->next) {
        if (d->pending && !d->removed &&
            (!model || (d->has_model && cer_streamref_same_stream(&d->model, model)))) {
            memcpy(names[n], d->name, sizeof names[n]);
            inos[n++] = cfs_ino(d->base, model ? CFS_ROLE_MDOC : "dir");
        }
    }
    pthread_mutex_unlock(&fs->t->lock);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(names[i], inos[i], arg);
    free(names);
    free(inos);
    return rc;
}

/* Whether a document directory holds no scratch files (when it cannot
 * tell, out of descriptors say, it says no). */
static bool scratch_empty(cfs_fs *fs, cfs_doc *d)
{
    int fd = cfs_doc_scratch(fs, d, false);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    bool empty = true;

    if (!dir) {
        if (fd >= 0)
            close(fd);
        return fd == -ENOENT;
    }
    while (empty && (de = readdir(dir)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = false;
    closedir(dir);
    return empty;
}

int cfs_doc_rmdir(cfs_fs *fs, const char *name)
{
    cfs_doc *d;
    bool by_id;
    int err, rc = 0;

    if (!(d = cfs_doc_lookup(fs, name, &by_id, &err)))
        return err;
    pthread_mutex_lock(&d->lock);
    if ((d->have_w && d->dirty) || !scratch_empty(fs, d)) {
        rc = -ENOTEMPTY;
    } else if (!d->pending && (cer_node_pin(fs->node, &d->id, false) < 0 || cer_node_alias(fs->node, &d->id, NULL) < 0)) {
        rc = -EIO;
    }
    if (rc == 0) {
        scratch_remove(fs, d);
        pthread_mutex_lock(&fs->t->lock);
        d->removed = true;
        if (!d->pending)
            rename_doc(fs, d, d->sid);
        pthread_mutex_unlock(&fs->t->lock);
        d->absent_until_ms = 0;  /* by StreamID it shows the tip at once */
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

/* Why a rename of a document directory is refused, for .errors. */
static int rename_refused(cfs_fs *fs, const char *from, const char *to, int rc, const char *why)
{
    char msg[sizeof fs->t->refused];
    int64_t now = cfs_now_ms();
    bool again;

    snprintf(msg, sizeof msg, "mv %.80s %.80s: %s", from, to, why ? why : strerror(-rc));
    /* mv tries renameat2(RENAME_NOREPLACE), then rename(): one line */
    pthread_mutex_lock(&fs->t->lock);
    again = now - fs->t->refused_ms < 1000 && strcmp(fs->t->refused, msg) == 0;
    memcpy(fs->t->refused, msg, sizeof msg);
    fs->t->refused_ms = now;
    pthread_mutex_unlock(&fs->t->lock);
    if (!again)
        cer_node_event(fs->node, "rename", NULL, "%s", msg);
    return rc;
}

int cfs_doc_rename(cfs_fs *fs, const char *from, const char *to, unsigned flags)
{
    cer_streamref id;
    cfs_doc *d;
    bool by_id, to_sid;
    int err, rc = 0;

    if (flags & RENAME_EXCHANGE)
        return rename_refused(fs, from, to, -EINVAL, "exchanging two documents is not supported");
    if (!(d = cfs_doc_lookup(fs, from, &by_id, &err)))
        return err;
    if (by_id)
        return rename_refused(fs, from, to, -EINVAL, "the document has an alias: rename the alias instead");
    if (strcmp(from, to) == 0)
        return 0;
    to_sid = cer_streamref_parse(&id, to) == 0;
    if (to_sid && (d->pending || !cer_streamref_same_stream(&id, &d->id)))
        return rename_refused(fs, from, to, -EINVAL, "a document can only be renamed to its own StreamID");
    if (!to_sid && cer_node_alias_check(to) < 0)
        return rename_refused(fs, from, to, -EINVAL, cer_errmsg());
    pthread_mutex_lock(&fs->t->lock);
    if (find_name_locked(fs, to))
        rc = flags & RENAME_NOREPLACE ? -EEXIST : -ENOTEMPTY;
    pthread_mutex_unlock(&fs->t->lock);
    if (rc == 0 && !to_sid && cer_node_resolve(fs->node, &id, to) == 0)
        rc = -EEXIST;
    if (rc < 0)
        return rename_refused(fs, from, to, rc, "another document has that name");
    pthread_mutex_lock(&d->lock);
    if (d->pending) {
        char key[KEY_MAX];
        pending_key(key, sizeof key, to, d);
        rc = scratch_move(fs, d, key, true);
    } else if ((rc = cer_node_alias(fs->node, &d->id, to_sid ? NULL : to)) < 0) {
        rc = rc == -EEXIST ? -EEXIST : -EIO;
    } else if (d->removed && cer_node_pin(fs->node, &d->id, true) < 0) {
        rc = -EIO;  /* mv MOUNT/<StreamID> MOUNT/name adopts an unlisted stream */
    }
    if (rc == 0) {
        pthread_mutex_lock(&fs->t->lock);
        rename_doc(fs, d, to);
        d->removed = false;
        pthread_mutex_unlock(&fs->t->lock);
        /* a pending document's draft is kept under its name */
        if (d->pending && (err = draft_rekey(fs, d)) < 0)
            cer_node_event(fs->node, "rename", NULL, "mv %.80s %.80s: its draft stays under the old name: %s", from,
                           to, strerror(-err));
    } else {
        rename_refused(fs, from, to, rc, rc == -EIO ? cer_errmsg() : NULL);
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

/* ---- working copy and rendering (doc->lock held) ---- */

static int render_tip(cfs_fs *fs, cfs_doc *doc)
{
    cer_stream_info info;
    cer_state *st = NULL;
    char *text = NULL;
    int rc;

    if ((rc = cer_node_info(fs->node, &doc->id, &info)) < 0)
        return -ENOENT;
    if (doc->have_render && cer_cid_equal(&doc->render_tip, &info.tip))
        return 0;
    if ((rc = cer_node_state(fs->node, &st, &doc->id)) < 0) {
        cer_node_event(fs->node, "load", &doc->id, "%s", cer_errmsg());
        return -EIO;
    }
    if (st->content)
        rc = cer_json_print(&text, st->content, CER_JSON_PRETTY);
    else
        rc = (text = strdup("null")) ? 0 : -ENOMEM;
    if (rc == 0 && st->content && strlen(text) >= CFS_CONTENT_MAX) {
        /* pretty-printed it would be over the limit, and so no longer
         * writable: compact, as its commit counts it */
        free(text);
        text = NULL;
        rc = cer_json_print(&text, st->content, 0);
    }
    if (rc == 0) {
        size_t n = strlen(text);
        char *r = realloc(text, n + 2);
        if (!r) {
            rc = -ENOMEM;
        } else {
            r[n] = '\n';
            r[n + 1] = '\0';
            free(doc->render);
            doc->render = r;
            doc->render_len = n + 1;
            doc->render_tip = *cer_state_tip(st);
            doc->have_render = true;
            text = NULL;
        }
    }
    free(text);
    cer_state_free(st);
    return rc < 0 ? -EIO : 0;
}

static int w_reserve(cfs_doc *doc, size_t cap)
{
    uint8_t *p;
    size_t n;

    if (cap > CFS_CONTENT_MAX)
        return -EFBIG;
    if (cap <= doc->w_cap && doc->w)
        return 0;
    n = doc->w_cap ? doc->w_cap : 4096;
    while (n < cap)
        n *= 2;
    if (!(p = realloc(doc->w, n)))
        return -ENOMEM;
    doc->w = p;
    doc->w_cap = n;
    return 0;
}

/* A clean W made at an older tip gives way to the new tip's rendering. */
static void w_settle(cfs_fs *fs, cfs_doc *doc)
{
    cer_stream_info info;
    cer_state *st = NULL;
    cJSON *w = NULL;

    if (!doc->have_w || doc->dirty || doc->pending || !doc->base_set)
        return;
    if (cer_node_info(fs->node, &doc->id, &info) < 0 || cer_cid_equal(&info.tip, &doc->base_tip))
        return;
    /* a tip that only adds an anchor keeps the content: the user's bytes
     * (a clean W: what base_tip holds) stay, no re-render under an open
     * editor */
    if (cer_node_state(fs->node, &st, &doc->id) == 0 &&
        cer_json_parse(&w, (const char *)doc->w, doc->w_len, CER_JSON_EXACT_INTS) == 0 &&
        cer_json_equal(st->content, w)) {
        doc->base_tip = *cer_state_tip(st);
    } else {
        doc->have_w = false;
        doc->w_len = 0;
        doc->w_gen++;
    }
    cJSON_Delete(w);
    cer_state_free(st);
}

static bool content_present(cfs_doc *doc)
{
    if (doc->have_w)
        return true;
    if (doc->pending)
        return false;
    return doc->absent_until_ms == 0 || cfs_now_ms() >= doc->absent_until_ms;
}

static int visible(cfs_fs *fs, cfs_doc *doc, const char **data, size_t *len)
{
    int rc;

    w_settle(fs, doc);
    if (doc->have_w) {
        *data = doc->w_len ? (const char *)doc->w : "";
        *len = doc->w_len;
        return 0;
    }
    if (!content_present(doc))
        return -ENOENT;
    doc->absent_until_ms = 0;
    if ((rc = render_tip(fs, doc)) < 0)
        return rc;
    *data = doc->render;
    *len = doc->render_len;
    return 0;
}

static int load_w(cfs_fs *fs, cfs_doc *doc)
{
    cer_stream_info info;
    const char *data;
    size_t len;
    int rc;

    w_settle(fs, doc);
    if (doc->have_w)
        return 0;
    /* the base of the edit: the tip W is a rendering of, or for a
     * content.json made anew the tip it replaces */
    doc->base_set = false;
    if (doc->pending) {
        len = 0;
        data = "";
    } else if (!content_present(doc)) {
        if (cer_node_info(fs->node, &doc->id, &info) < 0)
            return -EIO;
        doc->base_tip = info.tip;
        doc->base_set = true;
        len = 0;
        data = "";
    } else if ((rc = visible(fs, doc, &data, &len)) < 0) {
        return rc;
    } else {
        doc->base_tip = doc->render_tip;  /* not W: it would be have_w */
        doc->base_set = true;
    }
    doc->w_len = 0;
    if ((rc = w_reserve(doc, len)) < 0)
        return rc;
    memcpy(doc->w, data, len);
    doc->w_len = len;
    doc->have_w = true;
    doc->absent_until_ms = 0;
    doc->w_gen++;
    return 0;
}

static void w_changed(cfs_doc *doc)
{
    doc->dirty = true;
    doc->w_gen++;
    doc->w_mtime_ms = cfs_now_ms();
    snprintf(doc->state, sizeof doc->state, "dirty");
}

static int truncate_w(cfs_fs *fs, cfs_doc *doc, size_t size)
{
    int rc;

    if ((rc = w_reserve(doc, size)) < 0)
        return rc;
    doc->too_big = false;
    if (size > doc->w_len)
        memset(doc->w + doc->w_len, 0, size - doc->w_len);
    doc->w_len = size;
    doc->have_w = true;
    if (size == 0) {
        doc->written = false;
        atomic_store(&fs->t->tick_wanted, true);  /* refused if nothing comes */
    }
    w_changed(doc);
    return 0;
}

static int write_w(cfs_fs *fs, cfs_doc *doc, size_t off, const void *data, size_t len)
{
    int rc;

    (void)fs;
    if (off > CFS_CONTENT_MAX || len > CFS_CONTENT_MAX - off) {
        doc->too_big = true;  /* the save is refused at its commit point too */
        return -EFBIG;
    }
    if ((rc = w_reserve(doc, off + len)) < 0)
        return rc;
    if (off > doc->w_len)
        memset(doc->w + doc->w_len, 0, off - doc->w_len);
    memcpy(doc->w + off, data, len);
    if (off + len > doc->w_len)
        doc->w_len = off + len;
    doc->have_w = true;
    doc->written = true;
    w_changed(doc);
    return 0;
}

static int set_draft(cfs_fs *fs, cfs_doc *doc, const uint8_t *data, size_t len)
{
    int rc;

    (void)fs;
    doc->w_len = 0;
    if ((rc = w_reserve(doc, len)) < 0)
        return rc;
    if (len)
        memcpy(doc->w, data, len);
    doc->w_len = len;
    doc->have_w = true;
    doc->written = true;
    w_changed(doc);
    return 0;
}

static void drop_w(cfs_fs *fs, cfs_doc *doc)
{
    draft_remove(fs, doc);
    doc->retry = false;
    doc->retries = 0;
    doc->too_big = false;
    doc->have_w = false;
    doc->dirty = false;
    doc->written = false;
    doc->nwpids = 0;
    doc->wanon = false;
    doc->w_len = 0;
    doc->w_gen++;
    doc->failed_gen = 0;
    doc->failed_err = 0;
    doc->absent_until_ms = cfs_now_ms() + CFS_ABSENT_MS;
    snprintf(doc->state, sizeof doc->state, doc->pending ? "pending" : "clean");
    (void)set_str(&doc->last_error, NULL);
}

/* ---- commit points ---- */

static int reject(cfs_fs *fs, cfs_doc *doc, int err, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int reject(cfs_fs *fs, cfs_doc *doc, int err, const char *state, const char *fmt, ...)
{
    char why[512];
    bool same;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    same = strcmp(why, last_error(doc)) == 0;
    if (!same)
        (void)set_str(&doc->last_error, why);  /* out of memory: the event log has it */
    snprintf(doc->state, sizeof doc->state, "%s", state);
    /* a retry that fails as the last try did says nothing new */
    if (!doc->retry || !same)
        cer_node_event(fs->node, "save", doc->pending ? NULL : &doc->id, "%s/content.json: %s", doc->name, why);
    return err;
}

/* Whether a refusal is for a passing cause (a full disk, the store failing,
 * a timeout), so the same bytes are tried again, or for the bytes
 * themselves, which wait for new ones. */
static bool passing(int err)
{
    return err != -EINVAL && err != -EFBIG && err != -EACCES && err != -ESTALE && err != -EROFS;
}

/* A refusal for a passing cause: its errno as the user gets it. */
static int passing_err(int rc)
{
    return rc == -ENOSPC || rc == -EDQUOT || rc == -ENOMEM || rc == -ETIMEDOUT ? rc : -EIO;
}

#define RETRY_NOTE "; the save is kept and tried again"
#define STR(x) #x
#define XSTR(x) STR(x)
#define BLOCK_NOTE " (a commit is one block of at most " XSTR(CER_BLOCK_MAX) " bytes)"

/* A pending document's first save made its genesis: it is stream id now. */
static void genesis_made(cfs_fs *fs, cfs_doc *doc, const cer_streamref *id)
{
    char sid[CER_STREAMID_STR_MAX];
    uint64_t old_dir, old_base;
    int rc;

    if (cer_node_alias(fs->node, id, doc->name) < 0)
        cer_node_event(fs->node, "mkdir", id, "alias %s: %s", doc->name, cer_errmsg());
    cer_streamref_to_string(sid, sizeof sid, id);
    /* its scratch files move with it; an empty directory just goes */
    scratch_remove(fs, doc);
    if ((rc = scratch_move(fs, doc, sid, false)) < 0 && rc != -ENOENT)
        cer_node_event(fs->node, "mkdir", id, "moving scratch files: %s", strerror(-rc));
    pthread_mutex_lock(&fs->t->lock);
    doc->id = *id;
    memcpy(doc->sid, sid, sizeof sid);
    doc->pending = false;
    index_id(fs, doc);
    /* from now on its inode numbers derive from the StreamID (stable
     * across remounts); the kernel's current ones stay valid until it
     * drops them, which these invalidations hasten */
    old_dir = cfs_ino(doc->base, "dir");
    old_base = doc->base;
    doc->base = doc_base("stream", sid);
    pthread_mutex_unlock(&fs->t->lock);
    cfs_notify_entry(fs, FUSE_ROOT_ID, doc->name);
    cfs_notify_entry(fs, old_dir, "content.json");
    cfs_notify_inode(fs, FUSE_ROOT_ID, true);  /* its listed inode changed */
    if (doc->has_model) {
        cfs_notify_entry(fs, cfs_stream_ino(&doc->model, CFS_ROLE_MODEL), doc->name);
        cfs_notify_entry(fs, cfs_ino(old_base, CFS_ROLE_MDOC), "content.json");
    }
}

/* A save the node refused (cer_node_save's errno and reason): what the
 * user gets, the state and the reason recorded. */
static int refused(cfs_fs *fs, cfs_doc *doc, int rc, const char *how, const char *why)
{
    switch (rc) {
    case -EPERM:
        return reject(fs, doc, -EACCES, "invalid", "not saved: %s", why);
    case -ESTALE:
        return reject(fs, doc, rc, "conflict", "not saved (%s): %s; the draft is kept in content.json", how, why);
    case -EINVAL:
    case -EFBIG:
        return reject(fs, doc, rc, "invalid", "not saved (%s): %s%s", how, why, rc == -EFBIG ? BLOCK_NOTE : "");
    default:
        return reject(fs, doc, passing_err(rc), "pending", "not saved yet (%s): %s" RETRY_NOTE, how, why);
    }
}

static int commit_bytes(cfs_fs *fs, cfs_doc *doc, const uint8_t *data, size_t len, const char *how)
{
    cer_save_result r;
    size_t blank = 0;

    if (fs->ro)
        return -EROFS;
    while (blank < len && data[blank] && strchr(" \t\r\n", data[blank]))  /* data is not NUL-terminated */
        blank++;
    if (blank == len)
        return reject(fs, doc, -EINVAL, "invalid",
                      "not saved (%s): content.json is empty (truncated, and nothing written since); write the "
                      "document, or rm content.json to drop the draft",
                      how);
    /* the node parses, diffs against the base, rebases onto a moved tip,
     * commits (or for a pending document makes the genesis) */
    if ((doc->pending && doc->has_model
             ? cer_node_save_mid(fs->node, &doc->model, (const char *)data, len, &r)
             : cer_node_save(fs->node, doc->pending ? NULL : &doc->id, (const char *)data, len,
                             doc->base_set ? &doc->base_tip : NULL, &r)) < 0) {
        /* a schema's refusal: js's message, then what failed where */
        char why[sizeof r.reason + sizeof r.detail + 4];
        snprintf(why, sizeof why, r.detail[0] ? "%s (%s)" : "%s", r.reason, r.detail);
        return refused(fs, doc, r.err, how, why);
    }
    if (doc->pending)
        genesis_made(fs, doc, &r.id);
    if (r.status == CER_SAVE_REBASED) {
        /* the committed content is not the user's bytes: show the tip */
        doc->have_w = false;
        doc->w_len = 0;
        doc->w_gen++;
    }
    doc->dirty = false;
    doc->nwpids = 0;
    doc->wanon = false;
    doc->failed_gen = 0;
    (void)set_str(&doc->last_error, NULL);
    snprintf(doc->state, sizeof doc->state, "clean");
    doc->base_tip = r.tip;
    doc->base_set = true;
    return 0;
}

static int commit(cfs_fs *fs, cfs_doc *doc, const char *how)
{
    int rc, e;

    if (!doc->have_w || !doc->dirty)
        return 0;
    if (doc->failed_gen == doc->w_gen && !doc->retry)
        return doc->failed_err;  /* the same bytes were refused already: refuse again, quietly */
    if (doc->too_big)
        rc = reject(fs, doc, -EFBIG, "invalid",
                    "not saved (%s): content.json is over the %d byte limit of a document", how, CFS_CONTENT_MAX);
    else
        rc = commit_bytes(fs, doc, doc->w, doc->w_len, how);
    if (rc == 0) {
        if (doc->draft_key)
            draft_remove(fs, doc);
        doc->retry = false;
        doc->retries = 0;
        return 0;
    }
    doc->failed_gen = doc->w_gen;
    doc->failed_err = rc;
    doc->retry = passing(rc);
    if (doc->retry) {
        int64_t wait = (int64_t)CFS_RETRY_MS << (doc->retries < 6 ? doc->retries : 6);
        doc->retry_at_ms = cfs_now_ms() + (wait < CFS_RETRY_MAX_MS ? wait : CFS_RETRY_MAX_MS);
        doc->retries++;
        atomic_store(&fs->t->tick_wanted, true);
    }
    /* the draft is on disk before the refusal reaches the user */
    if (doc->have_w && (doc->draft_gen != doc->w_gen || !doc->draft_key) && (e = draft_save(fs, doc)) < 0 &&
        e != -EROFS && doc->retries <= 1)
        cer_node_event(fs->node, "save", doc->pending ? NULL : &doc->id,
                       "%s/content.json: the draft cannot be kept in the state directory (%s): it is in memory "
                       "only until the unmount",
                       doc->name, strerror(-e));
    return rc;
}

static bool writable(cfs_fs *fs, cfs_doc *doc)
{
    cer_stream_info info;
    cer_cid tip;
    int rc;

    if (fs->ro)
        return false;
    if (doc->pending)
        return true;
    /* the controller changes only with a commit: cache it per tip */
    if (cer_node_info(fs->node, &doc->id, &info) < 0)
        return false;
    if (doc->wr_known && cer_cid_equal(&doc->wr_tip, &info.tip))
        return doc->wr;
    if ((rc = cer_node_controls(fs->node, &doc->id, &tip)) < 0)
        return false;
    doc->wr_known = true;
    doc->wr_tip = tip;
    doc->wr = rc == 1;
    return doc->wr;
}

/* ---- content.json: what fsops.c asks (each takes doc->lock) ---- */

/* writer wrote or truncated W (mount.h: a process, 0 unknown, or
 * CFS_BY_HANDLE: nothing to note). */
static void wpid_add(cfs_doc *d, pid_t writer)
{
    if (writer == CFS_BY_HANDLE)
        return;
    if (writer <= 0 || d->nwpids == (int)(sizeof d->wpids / sizeof d->wpids[0])) {
        d->wanon = true;
        return;
    }
    for (int i = 0; i < d->nwpids; i++)
        if (d->wpids[i] == writer)
            return;
    d->wpids[d->nwpids++] = writer;
}

static bool wpid_has(const cfs_doc *d, pid_t pid)
{
    for (int i = 0; i < d->nwpids; i++)
        if (d->wpids[i] == pid)
            return true;
    return false;
}

bool cfs_content_present(cfs_fs *fs, cfs_doc *doc)
{
    bool present;

    (void)fs;
    pthread_mutex_lock(&doc->lock);
    present = content_present(doc);
    pthread_mutex_unlock(&doc->lock);
    return present;
}

bool cfs_content_dirty(cfs_fs *fs, cfs_doc *doc)
{
    bool dirty;

    (void)fs;
    pthread_mutex_lock(&doc->lock);
    dirty = doc->dirty && doc->have_w;
    pthread_mutex_unlock(&doc->lock);
    return dirty;
}

int cfs_content_open(cfs_fs *fs, cfs_doc *d, bool write, bool trunc, bool created, bool *keep_cache)
{
    const char *data;
    size_t len;
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (write && fs->ro) {
        rc = -EROFS;
    } else if (write && !writable(fs, d)) {
        rc = -EACCES;
    } else if (!created && !content_present(d)) {
        rc = -ENOENT;
    } else if (created || (write && trunc)) {
        if ((rc = load_w(fs, d)) == 0)
            rc = truncate_w(fs, d, 0);
        d->absent_until_ms = 0;
    } else if (write) {
        rc = load_w(fs, d);
    } else {
        rc = visible(fs, d, &data, &len);
    }
    if (rc == 0) {
        d->writers += write;
        /* keep the page cache when the bytes are the ones last opened */
        *keep_cache = d->have_w ? (d->keep_w && d->keep_gen == d->w_gen)
                                : (!d->keep_w && d->have_render && cer_cid_equal(&d->keep_tip, &d->render_tip));
        d->keep_w = d->have_w;
        d->keep_gen = d->w_gen;
        if (d->have_render)
            d->keep_tip = d->render_tip;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int cfs_content_read(cfs_fs *fs, cfs_doc *doc, size_t size, off_t off, char **out, size_t *len)
{
    const char *data = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    *len = 0;
    pthread_mutex_lock(&doc->lock);
    if ((rc = visible(fs, doc, &data, &n)) == 0 && off >= 0 && (size_t)off < n) {
        n = n - (size_t)off < size ? n - (size_t)off : size;
        if (!(*out = malloc(n ? n : 1)))
            rc = -ENOMEM;
        else
            memcpy(*out, data + off, n), *len = n;
    }
    pthread_mutex_unlock(&doc->lock);
    return rc;
}

int cfs_content_write(cfs_fs *fs, cfs_doc *doc, const void *data, size_t len, off_t off, bool append, bool checked,
                      pid_t writer)
{
    int rc;

    pthread_mutex_lock(&doc->lock);
    if (append)
        off = (off_t)doc->w_len;
    if (!checked && (fs->ro || !writable(fs, doc)))
        rc = fs->ro ? -EROFS : -EACCES;
    else
        rc = off < 0 ? -EINVAL : write_w(fs, doc, (size_t)off, data, len);
    if (rc == 0)
        wpid_add(doc, writer);
    pthread_mutex_unlock(&doc->lock);
    return rc;
}

int cfs_content_truncate(cfs_fs *fs, cfs_doc *doc, size_t size, pid_t writer)
{
    int rc;

    pthread_mutex_lock(&doc->lock);
    if (fs->ro)
        rc = -EROFS;
    else if (!writable(fs, doc))
        rc = -EACCES;
    else if ((rc = load_w(fs, doc)) == 0)
        rc = truncate_w(fs, doc, size);
    if (rc == 0)
        wpid_add(doc, writer);
    pthread_mutex_unlock(&doc->lock);
    return rc;
}

int cfs_content_flush(cfs_fs *fs, cfs_doc *d, bool wrote, pid_t closer)
{
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (!d->dirty || !d->have_w)
        rc = 0;
    else if (closer != CFS_BY_HANDLE && !d->wanon && !wpid_has(d, closer))
        rc = 0;  /* a reader, or a process that did not write */
    else if (d->w_len == 0 && !d->written)
        rc = 0;  /* truncated, nothing written yet (bash's dup2 close): wait */
    else if (closer == CFS_BY_HANDLE && !wrote && d->writers > 1)
        rc = 0;  /* another handle is writing: its close commits */
    else
        rc = commit(fs, d, "close");
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int cfs_content_fsync(cfs_fs *fs, cfs_doc *doc)
{
    int rc;

    pthread_mutex_lock(&doc->lock);
    rc = commit(fs, doc, "fsync");
    pthread_mutex_unlock(&doc->lock);
    return rc;
}

void cfs_content_release(cfs_fs *fs, cfs_doc *d, bool wrote)
{
    pthread_mutex_lock(&d->lock);
    d->writers--;
    /* last chance (data written through mmap, a close that never
     * flushed): its error can only go to .errors */
    if (wrote && d->dirty && d->have_w && d->w_len > 0 && d->failed_gen != d->w_gen)
        (void)commit(fs, d, "release");
    pthread_mutex_unlock(&d->lock);
}

void cfs_content_unhandle(cfs_fs *fs, cfs_doc *doc, bool writer, pid_t creator)
{
    (void)fs;
    pthread_mutex_lock(&doc->lock);
    doc->writers -= writer;
    if (creator > 0)
        wpid_add(doc, creator);
    pthread_mutex_unlock(&doc->lock);
}

int cfs_content_unlink(cfs_fs *fs, cfs_doc *d)
{
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (!content_present(d))
        rc = -ENOENT;
    else if (!writable(fs, d))
        rc = -EACCES;
    else
        drop_w(fs, d);  /* the draft goes; the stream stays */
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int cfs_content_commit_file(cfs_fs *fs, cfs_doc *d, const uint8_t *data, size_t len, bool noreplace)
{
    int rc;

    pthread_mutex_lock(&d->lock);
    if (noreplace && content_present(d))
        rc = -EEXIST;
    else if (!writable(fs, d))
        rc = -EACCES;
    else if ((rc = commit_bytes(fs, d, data, len, "rename")) == 0) {
        /* the committed bytes are what content.json shows now */
        drop_w(fs, d);
        d->absent_until_ms = 0;
        rc = write_w(fs, d, 0, data, len);
        d->dirty = false;
        d->written = false;
        snprintf(d->state, sizeof d->state, "clean");
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int cfs_content_move_out(cfs_fs *fs, cfs_doc *d, int (*put)(void *arg, const char *data, size_t len), void *arg)
{
    const char *data;
    size_t len;
    int rc;

    pthread_mutex_lock(&d->lock);
    if (!writable(fs, d))
        rc = -EACCES;
    else if ((rc = visible(fs, d, &data, &len)) == 0 && (rc = put(arg, data, len)) == 0)
        drop_w(fs, d);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

bool cfs_doc_tip_moved(cfs_fs *fs, cfs_doc *doc)
{
    const char *data;
    size_t len;
    uint64_t gen;
    bool changed;

    pthread_mutex_lock(&doc->lock);
    gen = doc->w_gen;
    (void)visible(fs, doc, &data, &len);  /* settles a clean W */
    changed = doc->w_gen != gen || !doc->have_w;
    pthread_mutex_unlock(&doc->lock);
    return changed;
}

uint64_t cfs_doc_ino(cfs_fs *fs, cfs_doc *doc, const char *role)
{
    uint64_t base;

    pthread_mutex_lock(&fs->t->lock);  /* a genesis changes it */
    base = doc->base;
    pthread_mutex_unlock(&fs->t->lock);
    return cfs_ino(base, role);
}

bool cfs_doc_stream(cfs_fs *fs, cfs_doc *doc, cer_streamref *id)
{
    bool stream;

    pthread_mutex_lock(&fs->t->lock);
    if ((stream = !doc->pending))
        *id = doc->id;
    pthread_mutex_unlock(&fs->t->lock);
    return stream;
}

/* ---- the timer and the unmount ---- */

/* The newest document, to walk the list from without fs->t->lock: documents
 * are only ever put in front (under fs->t->lock) and live as long as fs, so
 * each one's next never changes. The lock order is doc->lock, then
 * fs->t->lock: a walk that takes documents' locks must not hold fs->t->lock. */
static cfs_doc *docs_head(cfs_fs *fs)
{
    cfs_doc *d;

    pthread_mutex_lock(&fs->t->lock);
    d = fs->t->docs;
    pthread_mutex_unlock(&fs->t->lock);
    return d;
}

/* 1: due now; 2: not yet; 0: nothing to do. */
static int tick_due(cfs_doc *d, int64_t now)
{
    if (!d->have_w || !d->dirty)
        return 0;
    if (d->retry)
        return now >= d->retry_at_ms ? 1 : 2;
    /* emptied, nothing written since, not refused yet, and no handle open */
    if (d->w_len == 0 && !d->written && d->failed_gen != d->w_gen)
        return d->writers == 0 && now - d->w_mtime_ms >= CFS_EMPTY_WAIT_MS ? 1 : 2;
    return 0;
}

void cfs_docs_tick(cfs_fs *fs)
{
    bool later = false;

    /* only when something may wait: no scan of every document each second */
    if (fs->ro || !atomic_exchange(&fs->t->tick_wanted, false))
        return;
    for (cfs_doc *d = docs_head(fs); d; d = d->next) {
        int due;
        if (pthread_mutex_trylock(&d->lock) != 0) {
            later = true;  /* busy: the next tick */
            continue;
        }
        if ((due = tick_due(d, cfs_now_ms())) == 1)
            (void)commit(fs, d, "retry");
        later |= due == 2 || d->retry;
        pthread_mutex_unlock(&d->lock);
    }
    if (later)
        atomic_store(&fs->t->tick_wanted, true);
}

void cfs_docs_unmount(cfs_fs *fs)
{
    size_t kept = 0;

    if (fs->ro)
        return;
    for (cfs_doc *d = docs_head(fs); d; d = d->next) {
        bool saved;
        pthread_mutex_lock(&d->lock);
        if (d->have_w && d->dirty && (d->failed_gen != d->w_gen || d->retry))
            (void)commit(fs, d, "unmount");  /* a refusal saves the draft */
        if (d->have_w && d->dirty) {
            if (!d->draft_key || d->draft_gen != d->w_gen)
                (void)draft_save(fs, d);
            saved = d->draft_key && d->draft_gen == d->w_gen;
            kept++;
            syslog(LOG_WARNING, "%s/content.json keeps a draft (%s%s%s)%s", d->name, d->state,
                   d->last_error ? ": " : "", last_error(d), saved ? "" : "; LOST: the state directory refused it");
        }
        pthread_mutex_unlock(&d->lock);
    }
    if (kept)
        syslog(LOG_WARNING, "%zu document%s a draft in %s/drafts, shown again at the next mount", kept,
               kept == 1 ? " keeps" : "s keep", fs->state_dir);
}

/* ---- attributes ---- */

static int64_t doc_mtime(cfs_fs *fs, cfs_doc *doc)
{
    cer_stream_info info;

    if (doc->pending)
        return doc->made_ms;
    if (cer_node_info(fs->node, &doc->id, &info) == 0)
        return info.tip_time_ms;
    return fs->mount_ms;
}

int cfs_reserved(const char *name)
{
    static const struct {
        const char *name;
        int kind;
    } r[] = {{"content.json", K_CONTENT}, {".log", K_LOG},       {".anchors", K_ANCHORS},
             {".meta.json", K_META},      {".streamid", K_SID}, {".history", K_HISTDIR},
             {".conflicts", K_CONFDIR}};

    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (strcmp(name, r[i].name) == 0)
            return r[i].kind;
    return 0;
}

int cfs_doc_stat(cfs_fs *fs, cfs_doc *doc, int kind, uint64_t ino, struct stat *st)
{
    int64_t ms;

    pthread_mutex_lock(&doc->lock);
    if (kind == K_CONTENT && !content_present(doc)) {
        pthread_mutex_unlock(&doc->lock);
        return -ENOENT;
    }
    ms = doc_mtime(fs, doc);

    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_mtim.tv_sec = ms / 1000;
    st->st_mtim.tv_nsec = (ms % 1000) * 1000000;
    st->st_atim = st->st_ctim = st->st_mtim;
    st->st_blksize = 4096;
    switch (kind) {
    case K_DOC:
    case K_DOCID:
    case K_MDOC:
        st->st_mode = S_IFDIR | (fs->ro ? 0555 : 0755);
        st->st_nlink = doc->pending ? 2 : 3;
        break;
    case K_HISTDIR:
    case K_CONFDIR:
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
        break;
    case K_CONTENT: {
        const char *data;
        size_t len = 0;
        st->st_mode = S_IFREG | (writable(fs, doc) ? 0644 : 0444);
        st->st_nlink = 1;
        if (visible(fs, doc, &data, &len) == 0)
            st->st_size = (off_t)len;
        if (doc->dirty && doc->w_mtime_ms) {
            st->st_mtim.tv_sec = doc->w_mtime_ms / 1000;
            st->st_mtim.tv_nsec = (doc->w_mtime_ms % 1000) * 1000000;
            st->st_ctim = st->st_mtim;
        }
        break;
    }
    default:
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        break;
    }
    st->st_blocks = (st->st_size + 511) / 512;
    pthread_mutex_unlock(&doc->lock);
    return 0;
}

/* ---- generated files ---- */

static int print_json(char **out, size_t *len, cJSON *j, unsigned flags)
{
    char *text = NULL;
    int rc = j ? cer_json_print(&text, j, flags) : -ENOMEM;
    size_t n;
    char *r;

    cJSON_Delete(j);
    if (rc < 0)
        return -ENOMEM;
    n = strlen(text);
    if (!(r = realloc(text, n + 2))) {
        free(text);
        return -ENOMEM;
    }
    r[n] = '\n';
    r[n + 1] = '\0';
    *out = r;
    *len = n + 1;
    return 0;
}

static bool add_cid(cJSON *o, const char *name, const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) >= 0 && cJSON_AddStringToObject(o, name, s);
}

static int render_log(cfs_fs *fs, const cer_state *st, bool anchors_only, char **out, size_t *len)
{
    cer_buf b = CER_BUF_INIT;
    int rc = 0;

    for (size_t i = 0; i < st->log_len && rc == 0; i++) {
        const cer_log_entry *e = &st->log[i];
        cJSON *o = NULL, *line;
        char *text = NULL;

        if (anchors_only && e->type != CER_COMMIT_ANCHOR)
            continue;
        if ((rc = cer_node_commit_describe(fs->node, &e->cid, &o)) < 0)
            break;
        if (anchors_only) {
            line = cJSON_CreateObject();
            /* only a verified anchor anchors anything */
            if (!line ||
                !cJSON_AddStringToObject(line, "status", e->check == CER_CHECK_VERIFIED ? "ANCHORED" : "UNVERIFIED")) {
                cJSON_Delete(line);
                cJSON_Delete(o);
                rc = -ENOMEM;
                break;
            }
            for (cJSON *m = o->child; m; m = m->next) {
                const char *k = strcmp(m->string, "prev") == 0  ? "commit"
                                : strcmp(m->string, "cid") == 0 ? "anchorCommit"
                                : strcmp(m->string, "type") == 0 ? NULL
                                                                 : m->string;
                if (k)
                    cJSON_AddItemToObject(line, k, cJSON_Duplicate(m, 1));
            }
            if (e->timestamp)
                cJSON_AddNumberToObject(line, "time", (double)e->timestamp);
            cJSON_AddStringToObject(line, "verification", cer_anchor_check_name(e->check));
            const char *chain = cJSON_GetStringValue(cJSON_GetObjectItem(o, "chainId"));
            if (chain && strncmp(chain, "inmemory:", 9) == 0 && e->check != CER_CHECK_VERIFIED)
                cJSON_AddStringToObject(line, "note", "in-memory anchor: no chain, not verifiable by another node");
            cJSON_Delete(o);
            o = line;
        } else {
            if (e->author[0])
                cJSON_AddStringToObject(o, "author", e->author);
            char cap[CER_CID_STR_MAX];
            if (e->has_cap && cer_cid_to_string(cap, sizeof cap, &e->cap) >= 0)
                cJSON_AddStringToObject(o, "capability", cap);
            if (e->timestamp)
                cJSON_AddNumberToObject(o, "time", (double)e->timestamp);
        }
        if ((rc = cer_json_print(&text, o, 0)) == 0 && (rc = cer_buf_append(&b, text, strlen(text))) == 0)
            rc = cer_buf_append(&b, "\n", 1);
        free(text);
        cJSON_Delete(o);
    }
    if (rc == 0 && anchors_only && st->anchor_status != CER_ANCHOR_ANCHORED &&
        st->anchor_status != CER_ANCHOR_NOT_REQUESTED) {
        cJSON *o = cJSON_CreateObject();
        char *text = NULL;
        if (o && add_cid(o, "commit", cer_state_tip(st)) &&
            cJSON_AddStringToObject(o, "status", cer_anchor_status_name(st->anchor_status)) &&
            cer_json_print(&text, o, 0) == 0) {
            cer_buf_append(&b, text, strlen(text));
            cer_buf_append(&b, "\n", 1);
        }
        free(text);
        cJSON_Delete(o);
    }
    if (rc == 0)
        rc = cer_buf_append(&b, "", 1);
    if (rc < 0) {
        cer_buf_free(&b);
        return -EIO;
    }
    *len = b.len - 1;
    *out = (char *)b.data;  /* ownership passes to the caller */
    return 0;
}

static int render_meta(cfs_fs *fs, cfs_doc *doc, const cer_state *st, char **out, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    cer_stream_info info;
    bool ok;

    ok = o && cJSON_AddStringToObject(o, "streamId", doc->sid) &&
         cJSON_AddStringToObject(o, "type", cer_stream_type_name(st->id.type)) &&
         cJSON_AddItemToObject(o, "header", cJSON_Duplicate(st->metadata, 1)) && add_cid(o, "tip", cer_state_tip(st)) &&
         cJSON_AddNumberToObject(o, "logLength", (double)st->log_len) &&
         cJSON_AddStringToObject(o, "anchorStatus", cer_anchor_status_name(st->anchor_status)) &&
         cJSON_AddStringToObject(o, "state", doc->state);
    if (ok && st->has_proof) {
        cJSON *p = cJSON_AddObjectToObject(o, "anchorProof");
        ok = p && cJSON_AddStringToObject(p, "chainId", st->proof.chain_id) && add_cid(p, "root", &st->proof.root) &&
             add_cid(p, "txHash", &st->proof.tx_hash);
    }
    if (ok && cer_node_info(fs->node, &doc->id, &info) == 0)
        ok = cJSON_AddBoolToObject(o, "pinned", info.pinned) &&
             (info.alias[0] ? cJSON_AddStringToObject(o, "alias", info.alias) : cJSON_AddNullToObject(o, "alias"));
    if (ok && doc->last_error)
        ok = cJSON_AddStringToObject(o, "lastError", doc->last_error) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return -ENOMEM;
    }
    return print_json(out, len, o, CER_JSON_PRETTY);
}

static int render_history(cfs_fs *fs, cfs_doc *doc, const cer_cid *cid, char **out, size_t *len)
{
    cer_state *st = NULL;
    int rc = cer_state_load(&st, cer_node_store(fs->node), &doc->id, cid);

    if (rc < 0) {
        cer_state_free(st);
        return -EIO;
    }
    rc = print_json(out, len, st->content ? cJSON_Duplicate(st->content, 1) : cJSON_CreateNull(), CER_JSON_PRETTY);
    cer_state_free(st);
    return rc;
}

int cfs_doc_conflicts(cfs_fs *fs, cfs_doc *doc)
{
    cer_lost_branch *lost;
    size_t n;

    if (doc->pending)
        return 0;
    if (cer_node_lost_branches(fs->node, &doc->id, &lost, &n) < 0)
        return -EIO;
    cer_lost_branches_free(lost, n);
    return (int)n;
}

/* .conflicts/<n>-<tip>.json: the content at lost branch n's tip. */
static int render_conflict(cfs_fs *fs, cfs_doc *doc, size_t n, const cer_cid *tip, char **out, size_t *len)
{
    cer_lost_branch *lost;
    size_t count;
    int rc = -ENOENT;

    if (cer_node_lost_branches(fs->node, &doc->id, &lost, &count) < 0)
        return -EIO;
    for (size_t i = 0; i < count && rc == -ENOENT; i++)
        if (lost[i].n == n && cer_cid_equal(&lost[i].tip, tip))
            rc = print_json(out, len, cJSON_Duplicate(lost[i].content, 1), CER_JSON_PRETTY);
    cer_lost_branches_free(lost, count);
    return rc;
}

/* {"LOOKUP": n, ...}: the requests the kernel sent since the mount, by
 * kind (those sent at least once). */
static int requests_json(cfs_fs *fs, cJSON *o)
{
    for (int k = 0; k < CFS_REQUEST_KINDS; k++) {
        uint_fast64_t n = atomic_load_explicit(&fs->requests[k], memory_order_relaxed);
        if (n && !cJSON_AddNumberToObject(o, rq_names[k], (double)n))
            return -ENOMEM;
    }
    return 0;
}

static int render_status(cfs_fs *fs, char **out, size_t *len)
{
    cJSON *o = NULL, *m, *r;
    size_t docs = 0, dirty = 0, invalid = 0, pending = 0;

    if (cer_node_status(fs->node, &o) < 0)
        return -ENOMEM;
    /* removed and pending are fs->t->lock's, dirty and state each document's:
     * two walks, never both locks at once (docs_head) */
    pthread_mutex_lock(&fs->t->lock);
    for (cfs_doc *d = fs->t->docs; d; d = d->next) {
        docs += !d->removed;
        pending += d->pending && !d->removed;
    }
    pthread_mutex_unlock(&fs->t->lock);
    for (cfs_doc *d = docs_head(fs); d; d = d->next) {
        pthread_mutex_lock(&d->lock);  /* a removed one is neither (rmdir refuses a dirty one) */
        dirty += d->dirty;
        invalid += strcmp(d->state, "invalid") == 0 || strcmp(d->state, "conflict") == 0;
        pthread_mutex_unlock(&d->lock);
    }
    m = cJSON_AddObjectToObject(o, "mount");
    if (!m || !cJSON_AddStringToObject(m, "state", fs->state_dir) || !cJSON_AddBoolToObject(m, "readOnly", fs->ro) ||
        !cJSON_AddNumberToObject(m, "documentsOpen", (double)docs) ||
        !cJSON_AddNumberToObject(m, "pendingDocuments", (double)pending) ||
        !cJSON_AddNumberToObject(m, "dirty", (double)dirty) || !cJSON_AddNumberToObject(m, "invalid", (double)invalid) ||
        !cJSON_AddStringToObject(m, "transport", cfs_uring_transport(fs->uring)) ||
        !(r = cJSON_AddObjectToObject(m, "requests")) || requests_json(fs, r) < 0) {
        cJSON_Delete(o);
        return -ENOMEM;
    }
    return print_json(out, len, o, CER_JSON_PRETTY);
}

int cfs_render(cfs_fs *fs, cfs_ent *e, char **out, size_t *len)
{
    cer_state *st = NULL;
    cfs_doc *doc = e->doc;
    int rc;

    *out = NULL;
    *len = 0;
    if (e->kind == K_STATUS)
        return render_status(fs, out, len);
    if (e->kind == K_ERRORS)
        return cer_node_events(fs->node, out, len) < 0 ? -ENOMEM : 0;
    if (!doc || doc->pending)
        return -ENOENT;
    if (e->kind == K_SID) {
        if (!(*out = malloc(strlen(doc->sid) + 2)))
            return -ENOMEM;
        *len = (size_t)sprintf(*out, "%s\n", doc->sid);
        return 0;
    }
    if (e->kind == K_HIST)
        return render_history(fs, doc, &e->hist_cid, out, len);
    if (e->kind == K_CONF)
        return render_conflict(fs, doc, e->hist, &e->hist_cid, out, len);
    if (cer_node_state(fs->node, &st, &doc->id) < 0)
        return -EIO;
    switch (e->kind) {
    case K_LOG: rc = render_log(fs, st, false, out, len); break;
    case K_ANCHORS: rc = render_log(fs, st, true, out, len); break;
    case K_META:
        pthread_mutex_lock(&doc->lock);
        rc = render_meta(fs, doc, st, out, len);
        pthread_mutex_unlock(&doc->lock);
        break;
    default: rc = -EINVAL; break;
    }
    cer_state_free(st);
    return rc;
}

/* ---- xattrs ---- */

static const char *const xattr_names[] = {"user.ceramic.streamid", "user.ceramic.tip",   "user.ceramic.controller",
                                       "user.ceramic.anchor",   "user.ceramic.state", "user.ceramic.error",
                                       NULL};

static int xattr_locked(cfs_fs *fs, cfs_doc *doc, const char *name, char **out, size_t *len)
{
    char buf[1024] = "";
    cer_state *st = NULL;

    *out = NULL;
    if (strcmp(name, "user.ceramic.state") == 0) {
        snprintf(buf, sizeof buf, "%s", doc->state);
    } else if (strcmp(name, "user.ceramic.error") == 0) {
        if (!doc->last_error)
            return -ENODATA;
        snprintf(buf, sizeof buf, "%s", doc->last_error);
    } else if (doc->pending) {
        return -ENODATA;
    } else if (strcmp(name, "user.ceramic.streamid") == 0) {
        snprintf(buf, sizeof buf, "%s", doc->sid);
    } else if (strncmp(name, "user.ceramic.", 13) == 0) {
        if (cer_node_state(fs->node, &st, &doc->id) < 0)
            return -EIO;
        if (strcmp(name, "user.ceramic.tip") == 0) {
            cer_cid_to_string(buf, sizeof buf, cer_state_tip(st));
        } else if (strcmp(name, "user.ceramic.controller") == 0) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(st->metadata, "controllers");
            snprintf(buf, sizeof buf, "%s", cJSON_IsArray(c) && cJSON_IsString(c->child) ? c->child->valuestring : "");
        } else if (strcmp(name, "user.ceramic.anchor") == 0) {
            snprintf(buf, sizeof buf, "%s", cer_anchor_status_name(st->anchor_status));
        } else {
            cer_state_free(st);
            return -ENODATA;
        }
        cer_state_free(st);
    } else {
        return -ENODATA;
    }
    *len = strlen(buf);
    if (!(*out = malloc(*len + 1)))
        return -ENOMEM;
    memcpy(*out, buf, *len + 1);
    return 0;
}

int cfs_doc_xattr(cfs_fs *fs, cfs_doc *doc, const char *name, char **out, size_t *len)
{
    int rc;

    pthread_mutex_lock(&doc->lock);
    rc = xattr_locked(fs, doc, name, out, len);
    pthread_mutex_unlock(&doc->lock);
    return rc;
}

size_t cfs_doc_xattr_list(cfs_fs *fs, cfs_doc *doc, char *buf, size_t cap)
{
    size_t len = 0;

    pthread_mutex_lock(&doc->lock);
    for (size_t i = 0; xattr_names[i]; i++) {
        size_t n = strlen(xattr_names[i]) + 1, vlen;
        char *v = NULL;
        if (xattr_locked(fs, doc, xattr_names[i], &v, &vlen) == 0 && len + n <= cap) {
            memcpy(buf + len, xattr_names[i], n);
            len += n;
        }
        free(v);
    }
    pthread_mutex_unlock(&doc->lock);
    return len;
}

/* ---- setup ---- */

static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n >= sizeof tmp)
        return -ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* A draft kept before this mount: its document shows it again. */
static int draft_found(cfs_fs *fs, const char *key, const cfs_draft *dr)
{
    cfs_doc *doc;
    int err = 0;

    if (!(doc = doc_by_key(fs, key, &err))) {
        cer_node_event(fs->node, "draft", NULL, "the draft %.100s is kept but names no document here: %s", key,
                       strerror(-err));
        return 0;
    }
    pthread_mutex_lock(&doc->lock);
    /* the tip the edit was made from, for a rebase (when this node still
     * has it; else the save goes onto the tip as it is) */
    doc->base_set = !doc->pending && dr->base && cer_store_has(cer_node_store(fs->node), dr->base) == 1;
    if (doc->base_set)
        doc->base_tip = *dr->base;
    if ((err = set_draft(fs, doc, dr->data, dr->len)) == 0) {
        snprintf(doc->state, sizeof doc->state, "%s", dr->state);
        (void)set_str(&doc->last_error, dr->error[0] ? dr->error : NULL);  /* out of memory: in the event below */
        (void)set_str(&doc->draft_key, key);  /* out of memory: kept on disk, saved again under key */
        doc->draft_gen = doc->w_gen;
        /* refused bytes wait for new ones; a save not committed yet is
         * tried again at the first tick */
        doc->failed_gen = doc->w_gen;
        doc->retry = strcmp(dr->state, "pending") == 0 || strcmp(dr->state, "dirty") == 0;
        doc->failed_err = doc->retry ? -EIO : strcmp(dr->state, "conflict") == 0 ? -ESTALE : -EINVAL;
        doc->retry_at_ms = 0;
        if (doc->retry)
            atomic_store(&fs->t->tick_wanted, true);
        cer_node_event(fs->node, "draft", doc->pending ? NULL : &doc->id,
                       "%s/content.json: the draft saved before this mount is shown (state %s): %s", doc->name,
                       doc->state, dr->error);
    }
    pthread_mutex_unlock(&doc->lock);
    return err;
}

/* Pending documents survive a remount as STATE/scratch/pending-<name>. */
static int load_pending(cfs_fs *fs)
{
    DIR *dir = opendir(fs->t->scratch_dir);
    struct dirent *de;
    struct stat sb;
    int err = 0;

    if (!dir)
        return -errno;
    while ((de = readdir(dir))) {
        char name[CER_STREAMID_STR_MAX];
        cer_streamref model;
        if (pending_key_parse(de->d_name, name, &model) < 0)
            continue;
        if (fstatat(dirfd(dir), de->d_name, &sb, 0) < 0 || !S_ISDIR(sb.st_mode))
            continue;
        pthread_mutex_lock(&fs->t->lock);
        if (!find_name_locked(fs, name))
            pending_doc(fs, name, &model, (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000, &err);
        pthread_mutex_unlock(&fs->t->lock);
    }
    closedir(dir);
    return 0;
}

/* The root, its generated files and .models: inodes 1 to 4. */
static int root_entries(cfs_fs *fs)
{
    static const int kinds[] = {K_ROOT, K_STATUS, K_ERRORS, K_MODELS};

    for (int i = 0; i < 4; i++) {
        cfs_ent *e = calloc(1, sizeof *e);
        if (!e)
            return -ENOMEM;
        e->ino = (uint64_t)i + 1;
        e->kind = kinds[i];
        e->fd = -1;
        cfs_ent_add(fs, e);
    }
    return 0;
}

int cfs_init(cfs_fs *fs)
{
    size_t n = strlen(fs->state_dir) + sizeof "/scratch";
    int rc;

    fs->drafts_fd = -1;
    pthread_mutex_init(&fs->nlock, NULL);
    pthread_cond_init(&fs->ncond, NULL);
    if (!(fs->t = calloc(1, sizeof *fs->t)) || cfs_models_init(fs) < 0)
        return -ENOMEM;
    fs->t->scratch_fd = -1;
    pthread_mutex_init(&fs->t->lock, NULL);
    pthread_mutex_init(&fs->t->slock, NULL);
    fs->mount_ms = cfs_now_ms();
    fs->t->nbuckets = 1024;
    if (!(fs->t->ents = calloc(fs->t->nbuckets, sizeof *fs->t->ents)) || !(fs->t->scratch_dir = malloc(n)))
        return -ENOMEM;
    if ((rc = root_entries(fs)) < 0)
        return rc;
    snprintf(fs->t->scratch_dir, n, "%s/scratch", fs->state_dir);
    if (!fs->ro && (rc = mkdir_p(fs->t->scratch_dir)) < 0)
        return rc;
    /* a read-only mount shows what is there and makes nothing: without a
     * scratch directory it has no scratch files (scratch_fd -1) */
    if ((fs->t->scratch_fd = open(fs->t->scratch_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0 && !(fs->ro && errno == ENOENT))
        return -errno;
    if (fs->t->scratch_fd >= 0 && (rc = load_pending(fs)) < 0)
        return rc;
    /* .errors says after a remount what happened before it */
    if (cer_node_events_keep(fs->node, !fs->ro) < 0)
        syslog(LOG_WARNING, "%s/events: %s: .errors is kept in memory only", fs->state_dir, cer_errmsg());
    if ((rc = cfs_drafts_open(fs)) < 0)
        return rc;
    cfs_drafts_each(fs, draft_found);
    return 0;
}

void cfs_fini(cfs_fs *fs)
{
    cfs_drafts_close(fs);
    cfs_models_fini(fs);
    pthread_cond_destroy(&fs->ncond);
    pthread_mutex_destroy(&fs->nlock);
    if (!fs->t)
        return;
    for (cfs_doc *d = fs->t->docs, *next; d; d = next) {
        next = d->next;
        doc_free(d);
    }
    fs->t->docs = NULL;
    for (size_t i = 0; fs->t->ents && i < fs->t->nbuckets; i++) {
        for (cfs_ent *e = fs->t->ents[i], *next; e; e = next) {
            next = e->next;
            ent_free(e);
        }
    }
    free(fs->t->ents);
    fs->t->ents = NULL;
    free(fs->t->scratch_dir);
    fs->t->scratch_dir = NULL;
    if (fs->t->scratch_fd >= 0)
        close(fs->t->scratch_fd);
    fs->t->scratch_fd = -1;
    pthread_mutex_destroy(&fs->t->slock);
    pthread_mutex_destroy(&fs->t->lock);
    free(fs->t);
    fs->t = NULL;
}
