/*
 * notify.c — the notifier thread: the only caller of
 * fuse_lowlevel_notify_inval_*, draining a coalescing queue with no lock
 * held (notifying from a request handler, or under a lock a handler takes,
 * deadlocks against the kernel). It also handles "a stream's tip moved" from
 * the node's listener: the listener may run on a thread that holds a
 * document lock, so it only queues, and the work happens here.
 */
#include "mount.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N_INODE = 0, N_ENTRY = 1, N_TIP = 2 };

/* A queued kernel notification. */
struct cfs_note {
    struct cfs_note *next;
    int kind;                   /* N_* */
    uint64_t ino;               /* inval_inode: inode; inval_entry: parent */
    off_t off;                  /* inval_inode: -1 attributes only, 0 data too */
    char name[CER_STREAMID_STR_MAX];  /* inval_entry */
    cer_streamref id;           /* tip moved */
};

/* How often the timer looks for saves to try again. */
#define TICK_MS 1000

static bool same(const cfs_note *a, const cfs_note *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case N_INODE: return a->ino == b->ino;
    case N_ENTRY: return a->ino == b->ino && strcmp(a->name, b->name) == 0;
    default: return cer_streamref_same_stream(&a->id, &b->id);
    }
}

/* Entry invalidations go first (after those queued already): they are
 * cheap, and they are how the daemon gets the kernel to forget scratch
 * files and close their descriptors (docs.c), which must not wait behind
 * the work of many moved tips. */
static void push(cfs_fs *fs, const cfs_note *n)
{
    cfs_note *c, **at;

    pthread_mutex_lock(&fs->nlock);
    for (c = n->kind == N_ENTRY ? fs->nhead : fs->nentries ? fs->nentries->next : fs->nhead; c; c = c->next) {
        if (n->kind == N_ENTRY && c->kind != N_ENTRY) {
            c = NULL;
            break;
        }
        if (same(c, n)) {
            if (n->kind == N_INODE && n->off == 0)
                c->off = 0;  /* data too wins over attributes only */
            break;
        }
    }
    if (!c && !fs->nstop && (c = malloc(sizeof *c))) {
        *c = *n;
        if (n->kind == N_ENTRY)
            at = fs->nentries ? &fs->nentries->next : &fs->nhead;
        else
            at = fs->ntail ? &fs->ntail->next : &fs->nhead;
        c->next = *at;
        *at = c;
        if (!c->next)
            fs->ntail = c;
        if (n->kind == N_ENTRY)
            fs->nentries = c;
        pthread_cond_signal(&fs->ncond);
    }
    pthread_mutex_unlock(&fs->nlock);
}

void cfs_notify_inode(cfs_fs *fs, uint64_t ino, bool data)
{
    cfs_note n = {.kind = N_INODE, .ino = ino, .off = data ? 0 : -1};

    push(fs, &n);
}

void cfs_notify_entry(cfs_fs *fs, uint64_t parent, const char *name)
{
    cfs_note n = {.kind = N_ENTRY, .ino = parent};

    if (strlen(name) >= sizeof n.name)
        return;
    strcpy(n.name, name);
    push(fs, &n);
}

void cfs_notify_tip(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    cfs_note n = {.kind = N_TIP, .id = *id};

    (void)tip;
    (void)flags;
    push(arg, &n);
}

/* A tip moved: drop what depended on the old one, then invalidate. */
static void tip_moved(cfs_fs *fs, const cer_streamref *id)
{
    cfs_doc *doc = cfs_doc_find(fs, id);
    bool data_changed;

    if (!doc) {
        /* the kernel has never seen it; a new stream may be listed now */
        cfs_notify_inode(fs, FUSE_ROOT_ID, true);
        return;
    }
    data_changed = cfs_doc_tip_moved(fs, doc);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "content"), data_changed);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "dir"), true);  /* its listing too */
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, CFS_ROLE_MDOC), true);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "history"), true);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "conflicts"), true);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "meta"), true);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "log"), true);
    cfs_notify_inode(fs, cfs_doc_ino(fs, doc, "anchors"), true);
}

static void *run(void *arg)
{
    cfs_fs *fs = arg;
    cfs_note *n;
    int64_t tick = cfs_now_ms() + TICK_MS;

    for (;;) {
        pthread_mutex_lock(&fs->nlock);
        while (!fs->nhead && !fs->nstop && cfs_now_ms() < tick) {
            struct timespec ts = {(time_t)(tick / 1000), (long)(tick % 1000) * 1000000};
            pthread_cond_timedwait(&fs->ncond, &fs->nlock, &ts);
        }
        if (!fs->nhead && fs->nstop) {
            pthread_mutex_unlock(&fs->nlock);
            return NULL;
        }
        if (cfs_now_ms() >= tick) {
            /* the timer: saves to try again (no lock held) */
            pthread_mutex_unlock(&fs->nlock);
            cfs_docs_tick(fs);
            tick = cfs_now_ms() + TICK_MS;
            continue;
        }
        n = fs->nhead;
        fs->nhead = n->next;
        if (!fs->nhead)
            fs->ntail = NULL;
        if (fs->nentries == n)
            fs->nentries = NULL;
        pthread_mutex_unlock(&fs->nlock);
        /* -ENOENT only says the kernel holds nothing to drop */
        switch (n->kind) {
        case N_INODE:
            if (fs->se)
                (void)fuse_lowlevel_notify_inval_inode(fs->se, n->ino, n->off, 0);
            break;
        case N_ENTRY:
            if (fs->se)
                (void)fuse_lowlevel_notify_inval_entry(fs->se, n->ino, n->name, strlen(n->name));
            break;
        default:
            tip_moved(fs, &n->id);
            break;
        }
        free(n);
    }
}

int cfs_notify_start(cfs_fs *fs)
{
    int rc = pthread_create(&fs->nthread, NULL, run, fs);

    if (rc != 0)
        return -rc;
    fs->nstarted = true;
    return 0;
}

void cfs_notify_stop(cfs_fs *fs)
{
    pthread_mutex_lock(&fs->nlock);
    fs->nstop = true;  /* nothing is queued from now on */
    pthread_cond_signal(&fs->ncond);
    pthread_mutex_unlock(&fs->nlock);
    if (fs->nstarted)
        pthread_join(fs->nthread, NULL);  /* it drains the queue first */
    fs->nstarted = false;
    /* what was queued before the thread started */
    for (cfs_note *n = fs->nhead, *next; n; n = next) {
        next = n->next;
        free(n);
    }
    fs->nhead = fs->ntail = fs->nentries = NULL;
}
