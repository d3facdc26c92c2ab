/*
 * node.c — the embedded Ceramic node: a block store, a registry of
 * streams, a signing key, and the verified state of every stream it
 * touches, behind the cer_node_* API that the filesystem and the CLI use.
 *
 * Locking. node->lock guards the table of open streams only. Each stream
 * has two locks: `write` serialises everything that changes the stream
 * (create, update, learning a tip) and is held across that work's disk
 * I/O, so it only ever makes another writer of the same stream wait;
 * `lock` guards the state pointer and is held just long enough to copy or
 * swap it, never across I/O, so readers never wait on a disk.
 *
 * Durability. One fdatasync per update (shared by updates made at the
 * same time), of the registry's write-ahead log (registry.h). The store writes an update's blocks without syncing
 * them and appends each to the log (cer_flatfs_set_log); stream_commit
 * then records the new tip and its journal entry with one registry call:
 * the record file written unsynced, one log line appended and
 * fdatasync'd, which makes the blocks' lines before it durable too. A
 * crash before that sync leaves the old tip (or, at worst, the new
 * unacknowledged tip with its blocks) and maybe some unreferenced blocks;
 * after it, the new tip: the next open puts the log's blocks back through
 * the store (CID-checked) and moves records the crash lost to their
 * logged tips. So a save that returned survives a crash or a power loss,
 * and no tip is recorded before its blocks are durable. A checkpoint
 * (syncfs) empties the log when it grows, and at open and close. The
 * state cache is written after and is only trusted when its tip matches
 * the record.
 *
 * Anchor checks. Every state build runs node_check (state.h's
 * cer_anchor_checker) on each anchor commit: the network's chains, the
 * anchors this node made (own-anchors in the state directory), the chain
 * RPC when there is one (cer_node_set_anchor_check). The verdict decides
 * whether the commit applies and whether it counts, and is kept in the
 * log entry and the cache; a cache with eip155 anchors left unverified is
 * rebuilt at the stream's first load once an RPC is configured.
 */
#include "ceramic.h"
#include "account.h"
#include "anchorverify.h"
#include "buf.h"
#include "clock.h"
#include "error.h"
#include "eth.h"
#include "eventlog.h"
#include "fileio.h"
#include "flatfs.h"
#include "json.h"
#include "loads.h"
#include "lost.h"
#include "registry.h"
#include "schemacache.h"
#include "state.h"
#include "strmap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct stream {
    char key[CER_STREAMID_STR_MAX];
    cer_streamref id;
    pthread_mutex_t write;  /* serialises changes; held across their I/O */
    pthread_mutex_t lock;   /* guards st; never held across I/O */
    cer_state *st;          /* NULL until loaded, and again once evicted */
    unsigned uncached;      /* commits since the state cache was written (under write) */
    struct stream *lru_prev, *lru_next;  /* the resident list (node->lock) */
    bool resident;          /* on it (node->lock) */
} stream;

typedef struct listener {
    cer_node_listener fn;
    void *arg;
} listener;

typedef struct section {
    char name[32];
    int (*fn)(cJSON **out, void *arg);
    void *arg;
} section;

typedef struct counter {
    struct counter *next;
    int64_t n;
    char name[];
} counter;

typedef struct event {
    int64_t time_ms;
    char *line;             /* the JSON line, owned */
} event;

struct cer_node {
    char *dir;
    bool rdonly;            /* CER_STORE_RDONLY: no key made, no cache written */
    cer_key key;
    cer_account *acct;      /* the did:pkh it writes as, or NULL: its key's did:key */
    cer_store *store;
    cer_registry *reg;
    pthread_mutex_t lock;   /* guards streams, listeners, sections */
    cer_strmap streams;     /* key -> stream, owned */
    listener listeners[CER_NODE_LISTENERS_MAX];
    size_t nlisteners;
    section sections[CER_NODE_LISTENERS_MAX];
    size_t nsections;
    pthread_rwlock_t cblock; /* read-held while listeners or sections run; written to remove one */

    pthread_mutex_t elock;  /* guards the fields below; never held across I/O or hooks */
    event events[CER_NODE_EVENTS_MAX];
    size_t ev_next, ev_count;
    counter *counters;
    void (*hook)(void *arg, const char *kind, const char *line);
    void *hook_arg;
    cer_evlog *evlog;       /* STATE/events, when kept (cer_node_events_keep) */
    char network[16];       /* cer_node_opts.network */
    bool nosync;            /* CER_STORE_NOSYNC */
    cer_strmap own;         /* anchors this node made (own_anchor), under elock */
    char own_chain[64];     /* the chain of its own anchor service, "" none */
    char eth_rpc[512];      /* anchor checks: the chain's RPC URL, "" when off */
    cer_http_client *chain_http; /* owned: the checks' client, opened with the first RPC URL */
    cer_node_fetch_fn fetch;  /* loads a stream from the network (cer_node_set_fetch) */
    void *fetch_arg;
    int fetch_busy;         /* calls of fetch in flight */
    pthread_cond_t fetch_idle;
    double check_timeout;   /* seconds per call */
    int64_t chain_down_ms;  /* the chain was unreachable: not asked before this */
    struct {                /* proofs the chain verified lately (a batch shares one) */
        char chain_id[64];
        cer_cid root, tx;
        int64_t timestamp;
    } verified[4];
    unsigned verified_next;
    cer_loads loads;        /* state loads in flight (.status "loads") */
    /* states loaded by a read or a load, most recently used first (under
     * lock); past max_resident the least recently used one nobody is
     * writing is dropped (its cache file written first) */
    stream *lru_head, *lru_tail;
    size_t nresident, max_resident;
};

static int own_load(cer_node *node);
static void own_free(cer_node *node);
static int node_network(cer_node *node, const char *network);

const char *cer_node_did(const cer_node *node)
{
    return node->acct ? cer_account_did(node->acct) : node->key.did;
}

/* The key to sign commits with for sid (a StreamID; NULL: a new
 * stream) of model (NULL: none) (a copy: wipe it): the account's session
 * key (renewed when due; a wallet's due to expire is announced), or the
 * node's key. */
static int writer_key(cer_node *node, cer_key *out, const char *sid, const char *model)
{
    int rc;

    if (!node->acct) {
        *out = node->key;
        return 0;
    }
    rc = cer_account_key(node->acct, node->store, out, cer_clock_ms(CLOCK_REALTIME), sid, model);
    if (rc == 1)
        cer_node_event(node, "account", NULL, "the wallet session of %s expires soon and cannot be renewed here: "
                                              "import a new one (ceramicfs account --session FILE)",
                       cer_account_did(node->acct));
    return rc < 0 ? rc : 0;
}

int cer_node_sign_jws(cer_node *node, char **out, const uint8_t *payload, size_t len)
{
    cer_jws jws;
    int rc;

    *out = NULL;
    if ((rc = cer_jws_sign_bytes(&jws, &node->key, payload, len)) < 0)
        return rc;
    rc = cer_jws_compact(out, &jws, 0);
    cer_jws_free(&jws);
    return rc;
}

cer_store *cer_node_store(cer_node *node)
{
    return node->store;
}

/* ---- opening ---- */

/* mkdir -p, mode 0700 for what it creates. */
static int make_dir(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n >= sizeof tmp)
        return cer_err(-ENAMETOOLONG, "node: state directory path too long");
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return cer_err(-errno, "node: cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return cer_err(-errno, "node: cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

static int path_join(char **out, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;

    if (!(*out = malloc(n)))
        return cer_err(-ENOMEM, "node: out of memory");
    snprintf(*out, n, "%s/%s", dir, name);
    return 0;
}

/* Creating and updating start here on a node opened read-only (the
 * store and the registry refuse every other change themselves). */
static int refuse_rdonly(const cer_node *node)
{
    return cer_err(-EROFS, "node: %s is open read-only", node->dir);
}

/* The node key: given, or dir/key, created on first use (read-only: none
 * when there is no key file; nothing is signed then). */
static int node_key(cer_node *node, const cer_key *given)
{
    char *path = NULL;
    int rc;

    if (given) {
        node->key = *given;
        return 0;
    }
    if ((rc = path_join(&path, node->dir, "key")) < 0)
        return rc;
    if (access(path, F_OK) == 0)
        rc = cer_key_load_file(&node->key, path);
    else if (node->rdonly)
        rc = 0;
    else if ((rc = cer_key_generate(&node->key)) == 0)
        rc = cer_key_save_file(&node->key, path);
    free(path);
    return rc;
}

static int put_logged(void *store, const cer_cid *cid, const uint8_t *data, size_t len)
{
    return cer_store_put(store, cid, data, len);
}

static int log_put(void *reg, const cer_cid *cid, const uint8_t *data, size_t len)
{
    return cer_registry_log_block(reg, cid, data, len);
}

/* The registry's log makes the store's puts durable (Durability, above):
 * the blocks it holds from before a crash go back into the store first. */
static int log_blocks(cer_node *node, const char *blocks)
{
    int rc = cer_registry_log_blocks_of(node->reg, blocks, put_logged, node->store);

    if (rc == 0 && !node->rdonly && !node->nosync)
        cer_flatfs_set_log(node->store, log_put, node->reg);
    return rc;
}

int cer_node_open(cer_node **out, const cer_node_opts *opts)
{
    cer_node *node;
    char *blocks = NULL, *streams = NULL;
    const char *const *warnings;
    size_t nwarn;
    int rc;

    *out = NULL;
    if (!opts || !opts->state_dir || !opts->state_dir[0])
        return cer_err(-EINVAL, "node: no state directory");
    if ((rc = cer_network_accepts_chain(opts->network, "")) < 0)
        return cer_err(rc, "node: %s", cer_errmsg());
    if (!(node = calloc(1, sizeof *node)) || !(node->dir = strdup(opts->state_dir))) {
        free(node);
        return cer_err(-ENOMEM, "node: out of memory");
    }
    node->nosync = opts->store_flags & CER_STORE_NOSYNC;
    pthread_mutex_init(&node->lock, NULL);
    node->max_resident = CER_NODE_RESIDENT_DEFAULT;
    pthread_mutex_init(&node->elock, NULL);
    pthread_cond_init(&node->fetch_idle, NULL);
    pthread_rwlock_init(&node->cblock, NULL);
    cer_loads_init(&node->loads);
    node->rdonly = opts->store_flags & CER_STORE_RDONLY;
    /* The registry first: its lock keeps every other process out. Only
     * then is the key made on first use (two first commands would each
     * write their own) and may the store sweep temp files (until the lock
     * is ours, they may be another process's puts in flight). */
    if ((!node->rdonly && (rc = make_dir(node->dir)) < 0) || (rc = path_join(&blocks, node->dir, "blocks")) < 0 ||
        (rc = path_join(&streams, node->dir, "streams")) < 0 ||
        (rc = cer_registry_open(&node->reg, streams, opts->store_flags)) < 0 ||
        (rc = node_key(node, opts->key)) < 0 || (rc = cer_account_open(&node->acct, node->dir)) < 0 ||
        (rc = cer_store_open_dir(&node->store, blocks, opts->store_flags)) < 0 ||
        (rc = log_blocks(node, blocks)) < 0 ||
        (rc = node_network(node, opts->network)) < 0 || (rc = own_load(node)) < 0)
        goto out;
    warnings = cer_registry_warnings(node->reg, &nwarn);
    for (size_t i = 0; i < nwarn; i++)
        cer_node_event(node, "registry", NULL, "%s", warnings[i]);
    *out = node;
    node = NULL;
out:
    free(blocks);
    free(streams);
    cer_node_close(node);
    return rc;
}

const char *const *cer_node_warnings(const cer_node *node, size_t *count)
{
    return cer_registry_warnings(node->reg, count);
}

static void save_cache(cer_node *node, const cer_state *st);

void cer_node_close(cer_node *node)
{
    size_t pos = 0;
    stream *s;

    if (!node)
        return;
    while ((s = cer_strmap_next(&node->streams, &pos))) {
        if (s->st && s->uncached)
            save_cache(node, s->st);
        cer_state_free(s->st);
        pthread_mutex_destroy(&s->write);
        pthread_mutex_destroy(&s->lock);
        free(s);
    }
    cer_strmap_free(&node->streams);
    own_free(node);
    cer_store_close(node->store);
    cer_registry_close(node->reg);  /* releases the lock: last */
    cer_key_wipe(&node->key);
    cer_account_close(node->acct);
    for (size_t i = 0; i < CER_NODE_EVENTS_MAX; i++)
        free(node->events[i].line);
    cer_evlog_close(node->evlog);
    cer_http_client_close(node->chain_http);
    for (counter *c = node->counters, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_mutex_destroy(&node->elock);
    pthread_cond_destroy(&node->fetch_idle);
    cer_loads_destroy(&node->loads);
    pthread_rwlock_destroy(&node->cblock);
    pthread_mutex_destroy(&node->lock);
    free(node->dir);
    free(node);
}

/* ---- the table of open streams ---- */

static int stream_key(char out[CER_STREAMID_STR_MAX], const cer_streamref *id)
{
    cer_streamref sid = *id;

    sid.is_commit = false;
    return cer_streamref_to_string(out, CER_STREAMID_STR_MAX, &sid);
}

/* The entry for id, created (unloaded) if needed. Entries live as long as
 * the node. */
static int stream_entry(cer_node *node, stream **out, const cer_streamref *id)
{
    char key[CER_STREAMID_STR_MAX];
    stream *s;
    int rc;

    if ((rc = stream_key(key, id)) < 0)
        return rc;
    pthread_mutex_lock(&node->lock);
    if (!(s = cer_strmap_get(&node->streams, key)) && (s = calloc(1, sizeof *s))) {
        memcpy(s->key, key, sizeof key);
        if (cer_strmap_put(&node->streams, s->key, s) < 0) {
            free(s);
            s = NULL;
        } else {
            s->id = *id;
            s->id.is_commit = false;
            pthread_mutex_init(&s->write, NULL);
            pthread_mutex_init(&s->lock, NULL);
        }
    }
    pthread_mutex_unlock(&node->lock);
    *out = s;
    return s ? 0 : cer_err(-ENOMEM, "node: out of memory");
}

/* ---- residency: an LRU bound on the states held in memory ---- */

static void lru_unlink(cer_node *node, stream *s)
{
    if (s->lru_prev)
        s->lru_prev->lru_next = s->lru_next;
    else
        node->lru_head = s->lru_next;
    if (s->lru_next)
        s->lru_next->lru_prev = s->lru_prev;
    else
        node->lru_tail = s->lru_prev;
    s->lru_prev = s->lru_next = NULL;
    s->resident = false;
    node->nresident--;
}

/* s (its state loaded, s->write held) was used: first on the list. */
static void resident_touch(cer_node *node, stream *s)
{
    pthread_mutex_lock(&node->lock);
    if (s->resident)
        lru_unlink(node, s);
    s->lru_next = node->lru_head;
    if (node->lru_head)
        node->lru_head->lru_prev = s;
    else
        node->lru_tail = s;
    node->lru_head = s;
    s->resident = true;
    node->nresident++;
    pthread_mutex_unlock(&node->lock);
}

/* Drop the least recently used states past the bound, skipping those in
 * use (their writer lock held: trylock only, so any lock may be held by
 * the caller except a stream's s->lock). A dropped state is loaded again
 * from its cache file on the next use. */
static void resident_trim(cer_node *node)
{
    for (;;) {
        stream *v;
        pthread_mutex_lock(&node->lock);
        for (v = node->lru_tail; v && node->nresident > node->max_resident; v = v->lru_prev)
            if (pthread_mutex_trylock(&v->write) == 0)
                break;
        if (!v || node->nresident <= node->max_resident) {
            pthread_mutex_unlock(&node->lock);
            return;
        }
        lru_unlink(node, v);
        pthread_mutex_unlock(&node->lock);
        if (v->st && v->uncached) {
            save_cache(node, v->st);
            v->uncached = 0;
        }
        pthread_mutex_lock(&v->lock);
        cer_state_free(v->st);
        v->st = NULL;
        pthread_mutex_unlock(&v->lock);
        pthread_mutex_unlock(&v->write);
    }
}

void cer_node_set_max_resident(cer_node *node, size_t n)
{
    pthread_mutex_lock(&node->lock);
    node->max_resident = n ? n : 1;
    pthread_mutex_unlock(&node->lock);
    resident_trim(node);
}

size_t cer_node_resident(cer_node *node)
{
    size_t n;

    pthread_mutex_lock(&node->lock);
    n = node->nresident;
    pthread_mutex_unlock(&node->lock);
    return n;
}

/* ---- anchor checks (cer_node_set_anchor_check) ---- */

#define CHAIN_DOWN_MS 30000
#define OWN_ANCHORS "own-anchors"

/* One anchor this node made: "chainId root txHash" -> its time. */
typedef struct own_anchor {
    int64_t timestamp;
    char key[];
} own_anchor;

static int own_key(char *out, size_t cap, const cer_anchor_proof *p)
{
    char root[CER_CID_STR_MAX], tx[CER_CID_STR_MAX];

    if (cer_cid_to_string(root, sizeof root, &p->root) < 0 || cer_cid_to_string(tx, sizeof tx, &p->tx_hash) < 0)
        return -EINVAL;
    return snprintf(out, cap, "%s %s %s", p->chain_id, root, tx) < (int)cap ? 0 : -ENAMETOOLONG;
}

/* Add key -> timestamp to the own anchors; under elock (or at open). */
static int own_put(cer_node *node, const char *key, int64_t timestamp)
{
    size_t n = strlen(key);
    own_anchor *o = cer_strmap_get(&node->own, key);

    if (o)
        return 0;
    if (!(o = malloc(sizeof *o + n + 1)))
        return cer_err(-ENOMEM, "node: out of memory");
    o->timestamp = timestamp;
    memcpy(o->key, key, n + 1);
    if (cer_strmap_put(&node->own, o->key, o) < 0) {
        free(o);
        return cer_err(-ENOMEM, "node: out of memory");
    }
    return 0;
}

/* Read state_dir/own-anchors: one "chainId root txHash time" per line; a
 * line that does not parse (a torn last line after a crash) is skipped. */
static int own_load(cer_node *node)
{
    char *path = NULL, line[512];
    FILE *f;
    int rc;

    if ((rc = path_join(&path, node->dir, OWN_ANCHORS)) < 0)
        return rc;
    f = fopen(path, "r");
    rc = f ? 0 : errno;
    free(path);
    if (!f)
        return rc == ENOENT ? 0 : cer_err(-rc, "node: %s: %s", OWN_ANCHORS, strerror(rc));
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *sp = strrchr(line, ' '), *end;
        long long ts;
        if (!sp || !strchr(line, '\n'))
            continue;
        errno = 0;
        ts = strtoll(sp + 1, &end, 10);
        if (errno || *end != '\n' || ts <= 0)
            continue;
        *sp = '\0';
        rc = own_put(node, line, ts);
    }
    fclose(f);
    return rc;
}

static void own_free(cer_node *node)
{
    size_t pos = 0;
    own_anchor *o;

    while ((o = cer_strmap_next(&node->own, &pos)))
        free(o);
    cer_strmap_free(&node->own);
}

int cer_node_own_anchor(cer_node *node, const cer_anchor_proof *proof)
{
    char key[400], line[440], *path = NULL;
    int fd, rc;

    if (!proof->has_block_timestamp || proof->block_timestamp <= 0)
        return cer_err(-EINVAL, "node: an own anchor needs its block time");
    if ((rc = own_key(key, sizeof key, proof)) < 0)
        return cer_err(rc, "node: own anchor: bad proof");
    snprintf(line, sizeof line, "%s %lld\n", key, (long long)proof->block_timestamp);
    if ((rc = path_join(&path, node->dir, OWN_ANCHORS)) < 0)
        return rc;
    pthread_mutex_lock(&node->elock);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
        rc = cer_err(-errno, "node: %s: %s", path, strerror(errno));
    } else {
        if ((rc = cer_write_all(fd, line, strlen(line))) == 0 && !node->nosync && fsync(fd) < 0)
            rc = -errno;
        close(fd);
        if (rc < 0)
            rc = cer_err(rc, "node: %s: %s", path, strerror(-rc));
    }
    if (rc == 0)
        rc = own_put(node, key, proof->block_timestamp);
    pthread_mutex_unlock(&node->elock);
    free(path);
    return rc;
}

/* The node's network: the one it is opened with, kept in state_dir/network,
 * so that a command opened without one (ceramicfs show, anchor, ...) judges
 * anchors as the mount on that directory does; else the kept one, else
 * inmemory. */
static int node_network(cer_node *node, const char *network)
{
    char *path = NULL, kept[sizeof node->network] = "";
    FILE *f;
    int rc;

    if ((rc = path_join(&path, node->dir, "network")) < 0)
        return rc;
    if ((f = fopen(path, "r"))) {
        if (!fgets(kept, sizeof kept, f))
            kept[0] = '\0';
        kept[strcspn(kept, "\n")] = '\0';
        fclose(f);
        if (cer_network_accepts_chain(kept, "") < 0)
            kept[0] = '\0';  /* damaged: as if not kept */
        cer_errclear();
    }
    snprintf(node->network, sizeof node->network, "%s", network ? network : kept[0] ? kept : "inmemory");
    if (network && strcmp(network, kept) != 0 && !node->rdonly) {  /* read only: used, not kept */
        char line[sizeof node->network + 1];
        snprintf(line, sizeof line, "%s\n", network);
        rc = cer_file_replace(path, line, strlen(line), 0600, !node->nosync);
    }
    free(path);
    return rc;
}

const char *cer_node_network(const cer_node *node)
{
    return node->network;
}

/* One state build's checks: which stream, and whether one was rejected;
 * the load watched (checker to check_end). */
typedef struct check_ctx {
    cer_node *node;
    const cer_streamref *id;
    int rejected;
    cer_anchor_checker chk;
    cer_load load;
} check_ctx;

#define NVERIFIED (sizeof ((cer_node *)0)->verified / sizeof ((cer_node *)0)->verified[0])

/* A proof verified lately (same chain id, root, transaction and, when the
 * proof has one, block time): its block time in *timestamp. Under elock. */
static bool verified_lately(cer_node *node, const cer_anchor_proof *proof, int64_t *timestamp)
{
    for (size_t i = 0; i < NVERIFIED; i++)
        if (node->verified[i].timestamp && strcmp(node->verified[i].chain_id, proof->chain_id) == 0 &&
            cer_cid_equal(&node->verified[i].root, &proof->root) &&
            cer_cid_equal(&node->verified[i].tx, &proof->tx_hash) &&
            (!proof->has_block_timestamp || proof->block_timestamp == node->verified[i].timestamp)) {
            *timestamp = node->verified[i].timestamp;
            return true;
        }
    return false;
}

static void remember_verified(cer_node *node, const cer_anchor_proof *proof, int64_t timestamp)
{
    pthread_mutex_lock(&node->elock);
    memcpy(node->verified[node->verified_next].chain_id, proof->chain_id, sizeof proof->chain_id);
    node->verified[node->verified_next].root = proof->root;
    node->verified[node->verified_next].tx = proof->tx_hash;
    node->verified[node->verified_next].timestamp = timestamp;
    node->verified_next = (node->verified_next + 1) % NVERIFIED;
    pthread_mutex_unlock(&node->elock);
}

/* An anchor this node made: its time (the proof must say the same). Under elock. */
static bool own_made(cer_node *node, const cer_anchor_proof *proof, int64_t *timestamp)
{
    char key[400];
    own_anchor *o;

    if (own_key(key, sizeof key, proof) < 0 || !(o = cer_strmap_get(&node->own, key)))
        return false;
    if (proof->has_block_timestamp && proof->block_timestamp != o->timestamp)
        return false;
    *timestamp = o->timestamp;
    return true;
}

/* Whether the node's network takes anchors on this chain; under elock. */
static bool chain_accepted(cer_node *node, const char *chain_id)
{
    if (cer_network_accepts_chain(node->network, chain_id) == 1)
        return true;
    /* local: also the chain of the node's own anchor service (the RPC's
     * eip155 chain when it anchors on eth: the check pins the id) */
    return strcmp(node->network, "local") == 0 && node->own_chain[0] &&
           (strcmp(node->own_chain, chain_id) == 0 ||
            (strcmp(node->own_chain, "eip155:*") == 0 && strncmp(chain_id, "eip155:", 7) == 0));
}

static int reject(check_ctx *cx, int rc, const char *why)
{
    char msg[384];

    snprintf(msg, sizeof msg, "%s", cer_errmsg());
    cx->rejected++;
    cer_node_count(cx->node, "anchor_rejected", 1);
    cer_node_event(cx->node, "anchor", cx->id, "anchor %s", why);
    return cer_err(rc, "%s", msg);
}

/* The node's cer_anchor_checker (see cer_node_set_anchor_check). */
static int node_check(void *arg, const cer_anchor_proof *proof, int64_t *timestamp)
{
    check_ctx *cx = arg;
    cer_node *node = cx->node;
    char url[sizeof node->eth_rpc], why[384], network[sizeof node->network];
    cer_anchor_opts o = {.eth_rpc = url};
    cer_http_client *http;
    bool down, known, accepted, own;
    int rc;

    pthread_mutex_lock(&node->elock);
    memcpy(url, node->eth_rpc, sizeof url);
    http = node->chain_http;
    memcpy(network, node->network, sizeof network);
    o.timeout = node->check_timeout;
    down = node->chain_down_ms > cer_clock_ms(CLOCK_REALTIME);
    own = own_made(node, proof, timestamp);
    known = own || verified_lately(node, proof, timestamp);
    accepted = own || chain_accepted(node, proof->chain_id);
    pthread_mutex_unlock(&node->elock);
    if (!accepted) {
        snprintf(why, sizeof why, "rejected: chain %s is not accepted on network %s", proof->chain_id, network);
        return reject(cx, cer_err(-EINVAL, "anchor on chain %s: not accepted on network %s", proof->chain_id,
                                  network), why);
    }
    if (known) {
        cer_node_count(node, "anchor_verified", 1);
        return CER_CHECK_VERIFIED;
    }
    if (strncmp(proof->chain_id, "eip155:", 7) == 0 && down) {
        cer_node_count(node, "anchor_unverified", 1);
        return CER_CHECK_UNVERIFIED;
    }
    rc = cer_anchor_verify_on(http, url[0] ? &o : NULL, proof, timestamp, why, sizeof why);
    if (rc > 0 && *timestamp > 0) {
        remember_verified(node, proof, *timestamp);
        cer_node_count(node, "anchor_verified", 1);
        return CER_CHECK_VERIFIED;
    }
    if (rc < 0)
        return reject(cx, rc, why);
    cer_errclear();
    *timestamp = 0;
    cer_node_count(node, "anchor_unverified", 1);
    if (strncmp(proof->chain_id, "eip155:", 7) != 0)
        return CER_CHECK_UNVERIFIED_FINAL;  /* another node's in-memory anchor: as js, not an error */
    if (!url[0])
        return CER_CHECK_UNVERIFIED;  /* no RPC: checked once there is one */
    /* an eip155 anchor left unverified with an RPC configured: unreachable */
    pthread_mutex_lock(&node->elock);
    node->chain_down_ms = cer_clock_ms(CLOCK_REALTIME) + CHAIN_DOWN_MS;
    pthread_mutex_unlock(&node->elock);
    cer_node_event(node, "anchor", cx->id, "anchor %s", why);
    return CER_CHECK_UNVERIFIED;
}

/* The node's ERC-1271 check (cer_anchor_checker.erc1271): on its
 * --eth-rpc, when that is the chain the account names. */
static int node_erc1271(void *arg, const char *chain_ref, const char *contract, const uint8_t *msg, size_t msglen,
                        const uint8_t *sig, size_t siglen)
{
    check_ctx *cx = arg;
    char url[sizeof cx->node->eth_rpc], want[24];
    cer_eth e = {.url = url};
    uint64_t chain;
    int rc;

    pthread_mutex_lock(&cx->node->elock);
    memcpy(url, cx->node->eth_rpc, sizeof url);
    e.timeout = cx->node->check_timeout;
    pthread_mutex_unlock(&cx->node->elock);
    if (!url[0])
        return cer_err(-ENOTSUP, "link proof by the ERC-1271 contract account %.140s: unverified (it needs a "
                       "call to chain eip155:%s: --eth-rpc)", contract, chain_ref);
    if ((rc = cer_eth_chain_id(&e, &chain)) < 0)
        return cer_err_wrap(rc, "ERC-1271 check");
    snprintf(want, sizeof want, "%llu", (unsigned long long)chain);
    if (strcmp(want, chain_ref) != 0)
        return cer_err(-ENOTSUP, "link proof by the ERC-1271 contract account %.140s: unverified (on chain "
                       "eip155:%s, the RPC serves eip155:%s)", contract, chain_ref, want);
    return cer_eth_erc1271(&e, contract, msg, msglen, sig, siglen);
}

static bool checks_on(cer_node *node)
{
    bool on;

    pthread_mutex_lock(&node->elock);
    on = node->eth_rpc[0] != '\0';
    pthread_mutex_unlock(&node->elock);
    return on;
}

static const cer_anchor_checker *checker(cer_node *node, check_ctx *cx, const cer_streamref *id);
static void check_end(check_ctx *cx);

void cer_node_set_fetch(cer_node *node, cer_node_fetch_fn fn, void *arg)
{
    pthread_mutex_lock(&node->elock);
    while (node->fetch_busy)  /* the fetch's owner may go once this returns */
        pthread_cond_wait(&node->fetch_idle, &node->elock);
    node->fetch = fn;
    node->fetch_arg = arg;
    pthread_mutex_unlock(&node->elock);
}

/* A 3ID document the node does not have, loaded from the network
 * (cer_node_set_fetch) for a did:3 signer: only one whose genesis is
 * controlled by a did:key (a v1 3ID), and never from inside such a
 * load (a 3ID document signed by a did:3 would chain loads). */
static int fetch_3id(cer_node *node, const cer_streamref *id)
{
    static __thread int fetching;
    char sid[CER_STREAMID_STR_MAX], ex[CER_EXCERPT_MAX];
    const cJSON *hdr, *ctl;
    cer_node_fetch_fn fn;
    cer_commit g;
    void *arg;
    int rc;

    cer_streamref_to_string(sid, sizeof sid, id);
    if (fetching)
        return cer_err(-ELOOP, "3ID document %s: its own load needs another 3ID document (chains of did:3 are "
                               "not resolved)", sid);
    pthread_mutex_lock(&node->elock);
    if ((fn = node->fetch))
        node->fetch_busy++;
    arg = node->fetch_arg;
    pthread_mutex_unlock(&node->elock);
    if (!fn)
        return cer_err(-ENOENT, "3ID document %s is not on this node (with --ipfs it is fetched)", sid);
    if ((rc = cer_commit_read(&g, node->store, &id->genesis)) < 0) {
        rc = cer_err_wrap(rc, "3ID document %s cannot be fetched", sid);
    } else {
        hdr = cJSON_GetObjectItemCaseSensitive(g.payload, "header");
        ctl = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(hdr, "controllers"), 0);
        if (!cJSON_IsString(ctl) || strncmp(ctl->valuestring, "did:key:", 8) != 0)
            rc = cer_err(-ELOOP, "3ID document %s is controlled by %s, not by a did:key: not resolved", sid,
                         cJSON_IsString(ctl) ? cer_excerpt(ex, ctl->valuestring) : "nothing");
        cer_commit_free(&g);
    }
    if (rc == 0) {
        fetching = 1;
        rc = fn(arg, id);
        fetching = 0;
        if (rc < 0)
            rc = cer_err_wrap(rc, "3ID document %s cannot be fetched", sid);
    }
    pthread_mutex_lock(&node->elock);
    if (--node->fetch_busy == 0)
        pthread_cond_broadcast(&node->fetch_idle);
    pthread_mutex_unlock(&node->elock);
    return rc;
}

/* The checker's way to the latest state of another stream (the 3ID
 * document of a did:3 signer, a MID's Model): loaded from the store at
 * the tip the registry holds (a 3ID document fetched first when the node
 * has none, a Model it has not recorded at its genesis), with the
 * node's anchor checks, and no stream lock taken (a load holds its own
 * stream's; waiting on another's could deadlock two loads that name each
 * other). -ENOENT when the node has no tip and cannot fetch one. */
static int node_latest(void *arg, const cer_streamref *id, cer_state **out)
{
    check_ctx *cx = arg, inner;
    cer_stream_info info;
    int rc;

    *out = NULL;
    if (cer_streamref_same_stream(id, cx->id))
        return cer_err(-ELOOP, "a stream cannot be its own signer's 3ID document");
    if ((rc = cer_registry_get(cx->node->reg, id, &info)) == -ENOENT && id->type == CER_STREAM_MODEL) {
        /* a Model's content is its genesis's: loaded from there (the
         * store fetches the block when it reads through IPFS) */
        info.tip = id->genesis;
        rc = 0;
    } else if (rc == -ENOENT && (rc = fetch_3id(cx->node, id)) == 0) {
        rc = cer_registry_get(cx->node->reg, id, &info);
    }
    if (rc < 0)
        return rc;
    rc = cer_state_load_checked(out, cx->node->store, id, &info.tip, checker(cx->node, &inner, id));
    check_end(&inner);
    if (rc < 0) {
        cer_state_free(*out);  /* a rejected tip: the valid part is no "latest" to trust */
        *out = NULL;
    }
    return rc;
}

/* The checker for a state build of id: every anchor commit goes through
 * it, did:3 signers' documents come from node_latest, and its progress
 * goes to the table of loads. End with check_end. */
static const cer_anchor_checker *checker(cer_node *node, check_ctx *cx, const cer_streamref *id)
{
    *cx = (check_ctx){node, id, 0, {node_check, cx, node_latest}};
    cx->chk.erc1271 = node_erc1271;
    cer_load_begin(&cx->load, &node->loads, id, &cx->chk);
    return &cx->chk;
}

/* The load is over: a long one is logged. */
static void load_end(cer_node *node, cer_load *l)
{
    int64_t ms = cer_load_end(l);

    if (ms >= CER_LOAD_LONG_MS)
        cer_node_event(node, "load", &l->p.id, "loaded %zu commits in %.1f s", l->p.verified, (double)ms / 1000);
}

static void check_end(check_ctx *cx)
{
    load_end(cx->node, &cx->load);
}

int cer_node_load_unchecked(cer_node *node, cer_state **st, cer_store *store, const cer_streamref *id,
                            const cer_cid *tip)
{
    /* no anchor checked; a did:3 signer's 3ID document as a checked load
     * finds it (node_latest) */
    check_ctx cx = {node, id, 0, {NULL, &cx, node_latest, NULL, NULL}, {0}};
    int rc;

    cer_load_begin(&cx.load, &node->loads, id, &cx.chk);
    rc = cer_state_load_checked(st, store, id, tip, &cx.chk);
    check_end(&cx);
    return rc;
}

void cer_node_on_load(cer_node *node, int after_ms, void (*fn)(void *arg, const cer_load_progress *p), void *arg)
{
    cer_loads_hook(&node->loads, after_ms, fn, arg);
}

int cer_node_set_anchor_check(cer_node *node, const struct cer_anchor_opts *opts)
{
    const char *url = opts ? opts->eth_rpc : NULL;
    const char *chain = "";
    int rc = 0;

    if (url && strlen(url) >= sizeof node->eth_rpc)
        return cer_err(-ENAMETOOLONG, "node: Ethereum RPC URL too long");
    /* the chain of the node's own built-in service (a CAS's is its own) */
    if (opts && (!opts->mode || strcmp(opts->mode, "local") == 0) && !opts->service_url)
        chain = opts->chain && strcmp(opts->chain, "eth") == 0 ? "eip155:*" : CER_INMEMORY_CHAIN;
    pthread_mutex_lock(&node->elock);
    /* one client for the node's life: a check in flight may be using it */
    if (url && *url && !node->chain_http && (rc = cer_http_client_open(&node->chain_http)) < 0) {
        pthread_mutex_unlock(&node->elock);
        return rc;
    }
    snprintf(node->eth_rpc, sizeof node->eth_rpc, "%s", url ? url : "");
    snprintf(node->own_chain, sizeof node->own_chain, "%s", chain);
    node->check_timeout = opts && opts->timeout > 0 ? opts->timeout : 10;
    node->chain_down_ms = 0;
    memset(node->verified, 0, sizeof node->verified);
    pthread_mutex_unlock(&node->elock);
    return 0;
}

/* Whether a state must be rebuilt to check its anchors: one the chain
 * could verify now (eip155, an RPC configured) was left unverified. */
static bool needs_check(cer_node *node, const cer_state *st)
{
    bool on = checks_on(node);

    for (size_t i = 0; on && i < st->log_len; i++)
        if (st->log[i].type == CER_COMMIT_ANCHOR && st->log[i].check == CER_CHECK_UNVERIFIED)
            return true;
    return false;
}

/* The state cached on disk, if it is for the recorded tip. */
static cer_state *cached_state(cer_node *node, const cer_streamref *id, const cer_cid *tip)
{
    cJSON *j = NULL;
    cer_state *st = NULL;

    if (cer_registry_load_cache(node->reg, id, &j) == 0 && cer_state_from_json(&st, j) == 0 &&
        !cer_cid_equal(cer_state_tip(st), tip)) {
        cer_state_free(st);
        st = NULL;
    }
    cJSON_Delete(j);
    cer_errclear();
    return st;
}

#define CACHE_EVERY 32

static void save_cache(cer_node *node, const cer_state *st)
{
    cJSON *j = NULL;

    /* a cache: failure to write it costs a re-walk later, nothing more */
    if (!node->rdonly && cer_state_to_json(&j, st) == 0)
        (void)cer_registry_save_cache(node->reg, &st->id, j);
    cJSON_Delete(j);
}

static int stream_commit(cer_node *node, stream *s, cer_state *st, bool journal);

/* Make st (taken) the stream's state, freeing the one it replaces; readers
 * copy under s->lock, writers hold s->write. */
static void install_state(stream *s, cer_state *st)
{
    cer_state *old;

    pthread_mutex_lock(&s->lock);
    old = s->st;
    s->st = st;
    pthread_mutex_unlock(&s->lock);
    cer_state_free_shared(old, st);  /* st may have its log array (own_commit_state) */
}

/* Take s's journal entry for tip out (it will not be published), with an
 * event of kind saying why. */
static void unjournal(cer_node *node, stream *s, const cer_cid *tip, const char *kind, const char *why)
{
    char name[CER_CID_STR_MAX];

    cer_cid_to_string(name, sizeof name, tip);
    if (cer_registry_journal_done(node->reg, &s->id, tip) == 0)
        cer_node_event(node, kind, &s->id, "%s %s", name, why);
}

/* Journal entries of one stream whose commit has left its log. */
typedef struct gone_ctx {
    const cer_streamref *id;
    const cer_state *st;
    cer_cid gone[16];
    size_t n;
} gone_ctx;

static int find_gone(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    gone_ctx *g = arg;

    if (id->type != g->id->type || !cer_cid_equal(&id->genesis, &g->id->genesis) || cer_state_in_log(g->st, tip))
        return 0;
    g->gone[g->n++] = *tip;
    return g->n == sizeof g->gone / sizeof g->gone[0];  /* full: the rest next time */
}

/* After a stream went back (a rejected anchor), its own commits past the
 * new tip are not published any more: nobody would accept them. */
static void unjournal_gone(cer_node *node, stream *s, const cer_state *st)
{
    gone_ctx g = {.id = &s->id, .st = st};

    cer_registry_journal_list(node->reg, find_gone, &g);
    for (size_t i = 0; i < g.n; i++)
        unjournal(node, s, &g.gone[i], "anchor", "is no longer in the log: not published");
    cer_errclear();
}

/* s's state old (s->write held) is about to be replaced by now: when
 * that drops a branch with data, keep it (cer_lost_record) and say so. A
 * negative errno when it cannot be kept: then now must not be installed. */
static int keep_lost(cer_node *node, stream *s, const cer_state *old, const cer_state *now)
{
    char was[CER_CID_STR_MAX], by[CER_CID_STR_MAX];
    size_t dropped;
    unsigned n;
    int rc;

    if (!old)
        return 0;
    rc = cer_lost_record(node->reg, old, now, cer_clock_ms(CLOCK_REALTIME), &n, &dropped);
    if (rc == 0)
        return 0;
    cer_cid_to_string(was, sizeof was, cer_state_tip(old));
    cer_cid_to_string(by, sizeof by, cer_state_tip(now));
    if (rc < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", cer_errmsg());
        cer_node_event(node, "conflict", &s->id, "tip %s stays: the branch %s would replace it cannot be taken, "
                       "since the branch it drops cannot be kept: %s", was, by, why);
        return cer_err(rc, "%s", why);
    }
    cer_node_event(node, "conflict", &s->id, "the branch ending at %s (%zu commit%s) lost to %s, which won the "
                   "conflict resolution: its content is kept as .conflicts/%u-%s.json in the document", was, dropped,
                   dropped == 1 ? "" : "s", by, n, was);
    return 0;
}

/* Build s's state at tip from the blocks, anchors checked, and install it
 * (s->write held). A stored anchor the chain now rejects takes the stream
 * back to the commit before it: the event says why, *moved is set (tell
 * the listeners once s->write is released), and the commits made on top
 * of it are kept as a lost branch (old: the state at tip as it was had,
 * when known). */
static int rebuild(cer_node *node, stream *s, const cer_cid *tip, const cer_state *old, bool *moved)
{
    cer_state *st = NULL, *unchecked = NULL;
    check_ctx cx;
    int rc = cer_state_load_checked(&st, node->store, &s->id, tip, checker(node, &cx, &s->id));

    check_end(&cx);
    *moved = false;
    if (rc < 0 && cx.rejected && st) {
        char was[CER_CID_STR_MAX], now[CER_CID_STR_MAX];
        cer_cid_to_string(was, sizeof was, tip);
        cer_cid_to_string(now, sizeof now, cer_state_tip(st));
        cer_node_event(node, "anchor", &s->id, "tip %s dropped (a rejected anchor), back to %s", was, now);
        cer_errclear();
        /* commits made on top of the rejected anchor are kept; the anchor
         * goes even when they cannot be (the event says so) */
        if (!old && cer_state_load(&unchecked, node->store, &s->id, tip) == 0)
            old = unchecked;
        (void)keep_lost(node, s, old, st);
        cer_state_free(unchecked);
        cer_errclear();
        if ((rc = stream_commit(node, s, st, false)) < 0) {
            cer_state_free(st);
            return rc;
        }
        save_cache(node, st);
        unjournal_gone(node, s, st);
        *moved = true;
        return 0;
    }
    if (rc < 0) {
        /* the recorded tip no longer verifies: keep nothing half-right */
        cer_state_free(st);
        return cer_err_wrap(rc, "node: stream %s", s->key);
    }
    save_cache(node, st);
    install_state(s, st);
    return 0;
}

/* Make sure s->st is loaded; call with s->write held. (A stream loaded for
 * the first time has no listener that saw its old tip: nothing to tell.) */
static int stream_load(cer_node *node, stream *s)
{
    cer_stream_info info;
    cer_state *st;
    bool moved;
    int rc;

    if (s->st) {
        resident_touch(node, s);
        return 0;
    }
    if ((rc = cer_registry_get(node->reg, &s->id, &info)) < 0)
        return rc == -ENOENT ? cer_err(-ENOENT, "node: no stream %s here", s->key) : rc;
    if ((st = cached_state(node, &s->id, &info.tip)) && needs_check(node, st)) {
        rc = rebuild(node, s, &info.tip, st, &moved);  /* its anchors checked */
        cer_state_free(st);
    } else if (!st) {
        rc = rebuild(node, s, &info.tip, NULL, &moved);
    } else {
        pthread_mutex_lock(&s->lock);
        s->st = st;
        pthread_mutex_unlock(&s->lock);
    }
    if (rc == 0 && s->st) {
        resident_touch(node, s);
        resident_trim(node);
    }
    return rc;
}

/* Install a new state and its durable record; call with s->write held. */
static int stream_commit(cer_node *node, stream *s, cer_state *st, bool journal)
{
    cer_stream_info info = {0};
    int rc = cer_registry_get(node->reg, &s->id, &info);

    if (rc == -ENOENT) {
        info.id = s->id;
        info.pinned = true;
        rc = 0;
    }
    if (rc < 0)
        return rc;
    /* a new tip: the registry stamps it now, unless all it adds is an
     * anchor commit (the content did not change: editors must not see a
     * phantom modification when an anchor arrives: mtime moves when the
     * tip does, and an anchor changes no byte of content.json) */
    if (!cer_cid_equal(&info.tip, cer_state_tip(st)) &&
        !(st->log_len >= 2 && st->log[st->log_len - 1].type == CER_COMMIT_ANCHOR &&
          cer_cid_equal(&st->log[st->log_len - 2].cid, &info.tip)))
        info.tip_time_ms = 0;
    info.tip = *cer_state_tip(st);
    if ((rc = cer_registry_commit(node->reg, &info, journal)) < 0)
        return rc;
    /* The cache saves a re-walk of the log at the next open; writing it is
     * O(log length), so a busy stream writes it every CACHE_EVERY commits,
     * or every eighth of its log when that is more (a bounded cost per
     * commit), and at close (a stale cache is never trusted: its tip must
     * match). */
    if (++s->uncached >= (st->log_len / 8 > CACHE_EVERY ? st->log_len / 8 : CACHE_EVERY) ||
        st->log_len <= CACHE_EVERY) {
        save_cache(node, st);
        s->uncached = 0;
    }
    install_state(s, st);
    return 0;
}

/* Tell the listeners that id's tip is now tip; no lock held. */
static void notify(cer_node *node, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    listener ls[CER_NODE_LISTENERS_MAX];
    size_t n;

    pthread_rwlock_rdlock(&node->cblock);
    pthread_mutex_lock(&node->lock);
    n = node->nlisteners;
    memcpy(ls, node->listeners, n * sizeof *ls);
    pthread_mutex_unlock(&node->lock);
    for (size_t i = 0; i < n; i++)
        ls[i].fn(ls[i].arg, id, tip, flags);
    pthread_rwlock_unlock(&node->cblock);
}

/* ---- create, update ---- */

/* The state of a new stream id from its genesis, checked as a load is
 * (a TileDocument's schema included). */
static int load_new(cer_node *node, cer_state **out, const cer_streamref *id)
{
    check_ctx cx;
    int rc = cer_state_load_checked(out, node->store, id, &id->genesis, checker(node, &cx, id));

    check_end(&cx);
    return rc;
}

/* Make stream out (type, genesis cb) from its genesis: store the blocks,
 * build and record its state, pin it; a deterministic stream the node
 * already has is left as it is (0). */
static int create_stream(cer_node *node, cer_streamref *out, uint64_t type, const cer_commit_blocks *cb)
{
    cer_state *st = NULL;
    stream *s = NULL;
    bool created = false;
    int rc;

    if ((rc = cer_store_put_commit(node->store, cb)) < 0)
        return rc;
    out->type = type;
    out->genesis = *cer_commit_cid(cb);
    if ((rc = stream_entry(node, &s, out)) < 0)
        return rc;
    pthread_mutex_lock(&s->write);
    if (s->st || cer_registry_get(node->reg, out, &(cer_stream_info){0}) == 0) {
        rc = 0;  /* a deterministic stream we already have */
    } else if ((rc = load_new(node, &st, out)) == 0) {
        rc = stream_commit(node, s, st, true);
        st = rc == 0 ? NULL : st;
        created = rc == 0;
    }
    pthread_mutex_unlock(&s->write);
    if (created)
        notify(node, out, &out->genesis, CER_CHANGE_LOCAL);
    cer_state_free(st);
    return rc;
}

int cer_node_set_account(cer_node *node, const cer_account_opts *o)
{
    cer_account *a = NULL;
    int rc;

    if (node->rdonly)
        return refuse_rdonly(node);
    if ((rc = cer_account_setup(&a, node->dir, node->store, o, cer_clock_ms(CLOCK_REALTIME), !node->nosync)) < 0)
        return rc;
    cer_account_close(node->acct);
    node->acct = a;
    return 0;
}

int cer_node_account(cer_node *node, cJSON **out)
{
    cJSON *o = cJSON_CreateObject();
    int rc = 0;

    if (!o || !cJSON_AddStringToObject(o, "key", node->key.did))
        rc = cer_err(-ENOMEM, "node: out of memory");
    else if (node->acct)
        rc = cer_account_describe(node->acct, o);
    else if (!cJSON_AddStringToObject(o, "did", node->key.did))
        rc = cer_err(-ENOMEM, "node: out of memory");
    if (rc < 0) {
        cJSON_Delete(o);
        o = NULL;
    }
    *out = o;
    return rc;
}


int cer_node_create(cer_node *node, cer_streamref *out, const cJSON *header, const cJSON *content,
                    unsigned flags)
{
    cer_commit_blocks cb = {0};
    cJSON *hdr = header ? cJSON_Duplicate(header, 1) : cJSON_CreateObject();
    cer_key key;
    char unique[17];
    int rc;

    memset(out, 0, sizeof *out);
    if (node->rdonly) {
        cJSON_Delete(hdr);
        return refuse_rdonly(node);
    }
    if (!hdr)
        return cer_err(-ENOMEM, "node: out of memory");
    if (!cJSON_IsObject(hdr)) {
        rc = cer_err(-EINVAL, "create: header must be a JSON object");
        goto out;
    }
    if (!(flags & CER_CREATE_DETERMINISTIC) && !cJSON_GetObjectItemCaseSensitive(hdr, "unique")) {
        if ((rc = cer_tile_unique(unique)) < 0)
            goto out;
        if (!cJSON_AddStringToObject(hdr, "unique", unique)) {
            rc = cer_err(-ENOMEM, "node: out of memory");
            goto out;
        }
    }
    if ((rc = writer_key(node, &key, NULL, NULL)) < 0)
        goto out;
    rc = cer_tile_genesis(&cb, &key, hdr, content);
    cer_key_wipe(&key);
    if (rc == 0)
        rc = create_stream(node, out, CER_STREAM_TILE, &cb);
out:
    cer_commit_blocks_free(&cb);
    cJSON_Delete(hdr);
    return rc;
}

int cer_node_create_model(cer_node *node, cer_streamref *out, const cJSON *def)
{
    cer_commit_blocks cb = {0};
    int rc;

    memset(out, 0, sizeof *out);
    if (node->rdonly)
        return refuse_rdonly(node);
    if ((rc = cer_model_genesis(&cb, &node->key, def)) == 0)
        rc = create_stream(node, out, CER_STREAM_MODEL, &cb);
    cer_commit_blocks_free(&cb);
    return rc;
}

/* The state of Model model, which the node must have (caller frees): the
 * definition a MID's checks read. An interface Model (2.0) has no
 * documents (js's _validateModel). */
static int model_state(cer_node *node, cer_state **out, const cer_streamref *model)
{
    char sid[CER_STREAMID_STR_MAX];
    const cJSON *def;
    int rc;

    *out = NULL;
    cer_streamref_to_string(sid, sizeof sid, model);
    if (model->type != CER_STREAM_MODEL || model->is_commit)
        return cer_err(-EINVAL, "%s is not the StreamID of a Model", sid);
    if ((rc = cer_node_state(node, out, model)) < 0)
        return rc == -ENOENT ? cer_err(-ENOENT, "the Model %s is not on this node", sid) : rc;
    def = (*out)->content;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(def, "interface"))) {
        cer_state_free(*out);
        *out = NULL;
        return cer_err(-EINVAL, "ModelInstanceDocument Streams cannot be created on interface Models (%s)", sid);
    }
    return 0;
}

static int update(cer_node *node, const cer_streamref *id, const cer_cid *base, bool rebase_ok,
                  const cJSON *content, int *status, cer_cid *tip);

/* The failures of this thread's last refusal by a Model's schema, as
 * Ajv's errors name them (cer_save_result's detail; cleared by each save). */
static _Thread_local char schema_detail[sizeof ((cer_save_result *)0)->detail];

static void describe_failures(const cer_schema_error *errors, size_t n)
{
    size_t len = 0;

    schema_detail[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof schema_detail; i++) {
        int w = snprintf(schema_detail + len, sizeof schema_detail - len, "%sinstancePath %s, keyword %s",
                         i ? "; " : "", errors[i].instance_path[0] ? errors[i].instance_path : "\"\"",
                         errors[i].keyword);
        len = w < 0 ? sizeof schema_detail : len + (size_t)w;
    }
}

/* A stream's genesis payload for a relation check (cer_mid_genesis_fn):
 * from the store, or the stream loaded first (from the network) as js
 * loads a related document before it writes. */
static int node_genesis(void *arg, const cer_streamref *id, cJSON **payload)
{
    cer_node *node = arg;
    cer_state *st = NULL;
    cer_commit c;
    int rc;

    *payload = NULL;
    if ((rc = cer_commit_read(&c, node->store, &id->genesis)) == -ENOENT) {
        if ((rc = cer_node_state(node, &st, id)) < 0)
            return rc;
        cer_state_free(st);
        rc = cer_commit_read(&c, node->store, &id->genesis);
    }
    if (rc < 0)
        return rc;
    *payload = c.payload;
    c.payload = NULL;
    cer_commit_free(&c);
    return 0;
}

/* A MID's new content as js checks it before it writes: its size, the
 * Model's schema, its relations (cer_mid_check); the schema's failures
 * noted for the save's detail. */
static int mid_check(cer_node *node, const cer_streamref *model, const cer_state *mst, const cJSON *content)
{
    cer_mid_genesis_fn g = {node_genesis, node};
    char sid[CER_STREAMID_STR_MAX];
    cer_schema_error *errors = NULL;
    size_t n = 0;
    int rc;

    cer_streamref_to_string(sid, sizeof sid, model);
    if ((rc = cer_mid_check(sid, mst->content, content, NULL, node->store, &g, &errors, &n)) == -EINVAL && n)
        describe_failures(errors, n);
    cer_schema_errors_free(errors, n);
    return rc;
}

int cer_node_create_mid(cer_node *node, cer_streamref *out, const cer_streamref *model, const cJSON *content)
{
    cer_commit_blocks cb = {0};
    cer_state *mst = NULL;
    uint8_t unique[CER_MID_UNIQUE_LEN];
    char msid[CER_STREAMID_STR_MAX];
    const char *rel;
    cer_key key;
    cer_cid tip;
    int status;
    int rc;

    memset(out, 0, sizeof *out);
    if (node->rdonly)
        return refuse_rdonly(node);
    if ((rc = model_state(node, &mst, model)) < 0)
        return rc;
    rel = cer_model_account_relation(mst->content);
    if (content && (rc = mid_check(node, model, mst, content)) < 0)
        goto out;  /* refused before anything is made */
    if (rel && strcmp(rel, "list") == 0) {
        if (!content)
            rc = cer_err(-EINVAL, "create: a document of a list model needs content");
        else if ((rc = cer_mid_unique(unique)) == 0 &&
                 (cer_streamref_to_string(msid, sizeof msid, model), rc = writer_key(node, &key, NULL, msid)) == 0) {
            /* signed as the writer (an account's session key) for its DID */
            rc = cer_mid_genesis(&cb, &key, cer_node_did(node), model, unique, content);
            cer_key_wipe(&key);
            if (rc == 0)
                rc = create_stream(node, out, CER_STREAM_MID, &cb);
        }
    } else if (rel && strcmp(rel, "single") == 0) {
        /* ModelInstanceDocument.single, then #replace with the content */
        if ((rc = cer_mid_genesis(&cb, NULL, cer_node_did(node), model, NULL, NULL)) == 0 &&
            (rc = create_stream(node, out, CER_STREAM_MID, &cb)) == 0 && content)
            rc = update(node, out, NULL, false, content, &status, &tip);
    } else {
        rc = cer_err(-ENOTSUP, "create: documents of a model with accountRelation '%s' are not supported",
                     rel ? rel : "?");
    }
out:
    cer_state_free(mst);
    cer_commit_blocks_free(&cb);
    return rc;
}

int cer_node_mid_target(cer_node *node, const cer_streamref *model, cer_streamref *single)
{
    cer_commit_blocks cb = {0};
    cer_state *mst = NULL;
    const char *rel;
    int rc;

    if ((rc = model_state(node, &mst, model)) < 0)
        return rc;
    rel = cer_model_account_relation(mst->content);
    if (rel && strcmp(rel, "list") == 0) {
        rc = 0;
    } else if (rel && strcmp(rel, "single") == 0) {
        /* the genesis cer_node_create_mid makes for single, not stored */
        if ((rc = cer_mid_genesis(&cb, NULL, cer_node_did(node), model, NULL, NULL)) == 0) {
            memset(single, 0, sizeof *single);
            single->type = CER_STREAM_MID;
            single->genesis = *cer_commit_cid(&cb);
            rc = 1;
        }
    } else {
        rc = cer_err(-ENOTSUP, "documents of a model with accountRelation '%s' are not supported", rel ? rel : "?");
    }
    cer_commit_blocks_free(&cb);
    cer_state_free(mst);
    return rc;
}

int cer_node_mid_model(cer_node *node, const cer_streamref *id, cer_streamref *model)
{
    uint8_t b[CER_STREAMID_BYTES_MAX];
    const cJSON *header;
    cer_commit c;
    int rc, n;

    if (id->type != CER_STREAM_MID)
        return cer_err(-EINVAL, "not a ModelInstanceDocument");
    if ((rc = cer_commit_read(&c, node->store, &id->genesis)) < 0)
        return rc;
    header = cJSON_GetObjectItemCaseSensitive(c.payload, "header");
    if ((n = cer_json_get_bytes(b, sizeof b, cJSON_GetObjectItemCaseSensitive(header, "model"))) < 0 ||
        cer_streamref_from_bytes(model, b, (size_t)n) < 0 || model->is_commit || model->type != CER_STREAM_MODEL)
        rc = cer_err(-EINVAL, "the genesis names no Model");
    cer_commit_free(&c);
    return rc;
}

/* A TileDocument's new content against the schema its metadata names,
 * as js's tile handler will check it. */
static int tile_schema(cer_node *node, const cer_state *st, const cJSON *content)
{
    check_ctx cx;
    int rc = cer_tile_schema_check(node->store, st->metadata, content, checker(node, &cx, &st->id));

    check_end(&cx);
    return rc;
}

/* A new content's commit on stream s: a TileDocument's or a MID's, after
 * the checks js makes before it writes (a MID's against its Model). */
static int update_commit(cer_node *node, const cer_state *st, const cer_key *key, const cJSON *patch,
                         const cJSON *content, cer_commit_blocks *cb)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(st->metadata, "model");
    cer_streamref model;
    cer_state *mst = NULL;
    int rc;

    if (st->id.type == CER_STREAM_TILE)
        return (rc = tile_schema(node, st, content)) < 0 ? rc
               : cer_tile_update(cb, key, &st->id.genesis, cer_state_tip(st), NULL, patch);
    if (!cJSON_IsString(m) || cer_streamref_parse(&model, m->valuestring) < 0)
        return cer_err(-EINVAL, "update: the document names no model");
    if ((rc = model_state(node, &mst, &model)) == 0 && (rc = mid_check(node, &model, mst, content)) == 0)
        rc = cer_mid_update(cb, key, &st->id.genesis, cer_state_tip(st), patch);
    cer_state_free(mst);
    return rc;
}

/* The state after our own signed commit: content is the new content (the
 * commit's patch applied to the old one, key order included), metadata
 * unchanged. Our own signature needs no re-verification. */
static int own_commit_state(cer_state **out, const cer_state *st, const cer_commit_blocks *cb,
                            const cJSON *content, const cer_key *key)
{
    cer_state *ns = NULL;
    cer_log_entry *e;
    int rc;

    /* ns may share st's log array: see cer_state_copy_append */
    if ((rc = cer_state_copy_append(&ns, st, content)) < 0)
        return rc;
    e = &ns->log[ns->log_len++];
    memset(e, 0, sizeof *e);
    e->cid = *cer_commit_cid(cb);
    e->type = CER_COMMIT_SIGNED;
    snprintf(e->author, sizeof e->author, "%s", key->did);
    e->has_cap = key->has_cap;
    e->cap = key->cap;
    ns->signature = CER_SIG_SIGNED;
    ns->anchor_status = CER_ANCHOR_NOT_REQUESTED;
    *out = ns;
    return 0;
}

static const char *controller(const cer_state *st)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(st->metadata, "controllers");

    return cJSON_IsArray(c) && cJSON_IsString(c->child) ? c->child->valuestring : "";
}

/* The content to commit for an edit of base's content when the tip has
 * moved on from base (s->write held): the edit's patch (base's content ->
 * content) applied to the tip's content, in *out (caller frees); *out
 * NULL when base's content is the tip's (the tip only added anchors), so
 * content itself is the new content. */
static int rebase(cer_node *node, stream *s, const cer_cid *base, const cJSON *content, cJSON **out)
{
    cer_state *bst = NULL;
    cJSON *patch = NULL;
    char why[256];
    int rc;

    *out = NULL;
    /* the stream's log is checked already; this reads base's content */
    if ((rc = cer_state_load(&bst, node->store, &s->id, base)) < 0 || !cer_cid_equal(cer_state_tip(bst), base)) {
        rc = cer_err_wrap(rc < 0 ? rc : -EIO, "rebase failed: the content at the edit's base");
        goto out;
    }
    if (cer_json_equal(bst->content, s->st->content))
        goto out;
    if ((rc = cer_patch_diff(&patch, bst->content, content)) < 0) {
        rc = cer_err_wrap(rc, "rebase failed");
        goto out;
    }
    if ((rc = cer_patch_apply(out, s->st->content, patch)) < 0) {
        snprintf(why, sizeof why, "%s", cer_errmsg());
        rc = cer_err(rc == -ENOMEM ? rc : -ESTALE,
                     "the document changed since it was opened and this edit does not apply to the new "
                     "version (%s)",
                     why);
    }
out:
    cJSON_Delete(patch);
    cer_state_free(bst);
    return rc;
}

/* Update to content when the tip is base (any tip when base is NULL; a
 * moved tip is -ESTALE, or with rebase_ok the edit is rebased onto it);
 * *status is what happened (CER_SAVE_*), *tip the tip after. */
static int update(cer_node *node, const cer_streamref *id, const cer_cid *base, bool rebase_ok,
                  const cJSON *content, int *status, cer_cid *tip)
{
    cer_commit_blocks cb = {0};
    cer_state *ns = NULL;
    cJSON *patch = NULL, *rebased = NULL, *applied = NULL;
    const cJSON *model;
    bool moved = false;
    cer_key key;
    stream *s;
    int rc;

    *status = CER_SAVE_REFUSED;
    if (node->rdonly)
        return refuse_rdonly(node);
    if (!content)
        return cer_err(-EINVAL, "update: no content");
    if ((rc = stream_entry(node, &s, id)) < 0)
        return rc;
    pthread_mutex_lock(&s->write);
    if ((rc = stream_load(node, s)) < 0)
        goto out;
    /* s->st only changes under s->write, which we hold: read it directly */
    if (base && !rebase_ok && !cer_cid_equal(base, cer_state_tip(s->st))) {
        rc = cer_err(-ESTALE, "update: the tip of %s moved since the content was read", s->key);
        goto out;
    }
    if (s->st->id.type != CER_STREAM_TILE && s->st->id.type != CER_STREAM_MID) {
        rc = cer_err(-ENOTSUP, "update: stream %s is not a TileDocument or a ModelInstanceDocument (read-only)",
                     s->key);
        goto out;
    }
    if (strcmp(controller(s->st), cer_node_did(node)) != 0) {
        rc = cer_err(-EPERM, "update: this node writes as %s, which is not the controller %s of %s",
                     cer_node_did(node), controller(s->st), s->key);
        goto out;
    }
    if (base && !cer_cid_equal(base, cer_state_tip(s->st))) {
        if ((rc = rebase(node, s, base, content, &rebased)) < 0)
            goto out;
        content = rebased ? rebased : content;
    }
    if ((rc = cer_patch_diff(&patch, s->st->content, content)) < 0)
        goto out;
    *tip = *cer_state_tip(s->st);
    if (cJSON_GetArraySize(patch) == 0) {
        *status = rebased ? CER_SAVE_REBASED : CER_SAVE_UNCHANGED;
        goto out;  /* nothing changed: no commit */
    }
    model = s->st->id.type == CER_STREAM_MID ? cJSON_GetObjectItemCaseSensitive(s->st->metadata, "model") : NULL;
    if ((rc = writer_key(node, &key, s->key, cJSON_IsString(model) ? model->valuestring : NULL)) < 0)
        goto out;
    /* the new state's content is the patch applied, as every node that
     * walks the log computes it (js too): a key the edit adds comes last
     * whatever the order the user wrote, so the state does not change
     * its key order at the next open */
    if ((rc = cer_patch_apply(&applied, s->st->content, patch)) < 0 ||
        (rc = update_commit(node, s->st, &key, patch, content, &cb)) < 0 ||
        (rc = cer_store_put_commit(node->store, &cb)) < 0 ||
        (rc = own_commit_state(&ns, s->st, &cb, applied, &key)) < 0) {
        cer_key_wipe(&key);
        goto out;
    }
    cer_key_wipe(&key);
    if ((rc = stream_commit(node, s, ns, true)) == 0) {
        ns = NULL;
        moved = true;
        *tip = *cer_commit_cid(&cb);
        *status = rebased ? CER_SAVE_REBASED : CER_SAVE_COMMITTED;
    }
out:
    cer_state_free_shared(ns, s->st);  /* a failed commit: s->st keeps its log */
    pthread_mutex_unlock(&s->write);
    cJSON_Delete(patch);
    cJSON_Delete(applied);
    cJSON_Delete(rebased);
    cer_commit_blocks_free(&cb);
    if (moved)
        notify(node, id, tip, CER_CHANGE_LOCAL);
    return rc;
}

int cer_node_update(cer_node *node, const cer_streamref *id, const cJSON *content)
{
    cer_cid tip;
    int status;

    return update(node, id, NULL, false, content, &status, &tip);
}

int cer_node_update_if(cer_node *node, const cer_streamref *id, const cer_cid *base,
                       const cJSON *content)
{
    cer_cid tip;
    int status;

    if (!base)
        return cer_err(-EINVAL, "update: no base tip");
    return update(node, id, base, false, content, &status, &tip);
}

/* A new MID of model with content value: its tip after (for single, the
 * update that set the content). */
static int save_new_mid(cer_node *node, const cer_streamref *model, const cJSON *value, cer_save_result *out)
{
    cer_stream_info info;
    int rc;

    if ((rc = cer_node_create_mid(node, &out->id, model, value)) == 0 &&
        (rc = cer_node_info(node, &out->id, &info)) == 0) {
        out->tip = info.tip;
        out->status = CER_SAVE_COMMITTED;
    }
    return rc;
}

/* A save (cer_node_save; model: cer_node_save_mid's first save of a new
 * document of it). */
static int save(cer_node *node, const cer_streamref *id, const cer_streamref *model, const char *json, size_t len,
                const cer_cid *base_tip, cer_save_result *out)
{
    cJSON *value = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    schema_detail[0] = '\0';
    if (id) {
        out->id = *id;
        out->id.is_commit = false;
    }
    if (!json && len)
        rc = cer_err(-EINVAL, "save: no content");
    else if (len > CER_BLOCK_MAX)
        rc = cer_err(-EFBIG, "the content is over the %d byte limit of a document", CER_BLOCK_MAX);
    else if ((rc = cer_json_parse(&value, json ? json : "", len, CER_JSON_EXACT_INTS)) < 0)
        rc = cer_err_wrap(rc == -ENOMEM ? rc : -EINVAL, "not valid JSON");
    else if (!cJSON_IsObject(value))
        rc = cer_err(-EINVAL, "a document's content must be a JSON object");
    else if (id)
        rc = update(node, &out->id, base_tip, true, value, &out->status, &out->tip);
    else if (model)
        rc = save_new_mid(node, model, value, out);
    else if ((rc = cer_node_create(node, &out->id, NULL, value, 0)) == 0)
        out->tip = out->id.genesis, out->status = CER_SAVE_COMMITTED;
    else
        rc = cer_err_wrap(rc, rc == -EINVAL || rc == -EFBIG ? "the genesis commit is refused"
                                                             : "the genesis commit failed");
    cJSON_Delete(value);
    if (rc < 0) {
        out->status = CER_SAVE_REFUSED;
        out->err = rc;
        snprintf(out->reason, sizeof out->reason, "%s", cer_errmsg());
        if (rc == -EINVAL)
            memcpy(out->detail, schema_detail, sizeof out->detail);
    }
    return rc;
}

int cer_node_save(cer_node *node, const cer_streamref *id, const char *json, size_t len,
                  const cer_cid *base_tip, cer_save_result *out)
{
    return save(node, id, NULL, json, len, base_tip, out);
}

int cer_node_save_mid(cer_node *node, const cer_streamref *model, const char *json, size_t len,
                      cer_save_result *out)
{
    if (!model) {
        memset(out, 0, sizeof *out);
        out->err = cer_err(-EINVAL, "save: no model");
        snprintf(out->reason, sizeof out->reason, "%s", cer_errmsg());
        return out->err;
    }
    return save(node, NULL, model, json, len, NULL, out);
}

/* ---- reading ---- */

/* fn(state, arg) under s->lock, on id's state, loading it first if need
 * be; fn must not block. Returns fn's result or a negative errno. */
static int with_state(cer_node *node, const cer_streamref *id, int (*fn)(const cer_state *st, void *arg),
                      void *arg)
{
    stream *s;
    int rc;

    if ((rc = stream_entry(node, &s, id)) < 0)
        return rc;
    pthread_mutex_lock(&s->lock);
    while (!s->st) {
        /* not loaded yet (or dropped again since: residency): load it
         * (under the writer lock) */
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_lock(&s->write);
        rc = stream_load(node, s);
        pthread_mutex_unlock(&s->write);
        if (rc < 0)
            return rc;
        pthread_mutex_lock(&s->lock);
    }
    rc = fn(s->st, arg);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int copy_state(const cer_state *st, void *out)
{
    return cer_state_copy(out, st);
}

int cer_node_state(cer_node *node, cer_state **out, const cer_streamref *id)
{
    *out = NULL;
    return with_state(node, id, copy_state, out);
}

typedef struct controls_arg {
    const char *did;
    cer_cid *tip;
} controls_arg;

static int controls(const cer_state *st, void *arg)
{
    controls_arg *a = arg;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(st->metadata, "controllers");

    if (a->tip)
        *a->tip = *cer_state_tip(st);
    /* the types a save can update (a MID's saves are checked against its Model) */
    return (st->id.type == CER_STREAM_TILE || st->id.type == CER_STREAM_MID) && cJSON_IsArray(c) &&
           cJSON_IsString(c->child) && strcmp(c->child->valuestring, a->did) == 0;
}

int cer_node_controls(cer_node *node, const cer_streamref *id, cer_cid *tip)
{
    controls_arg a = {cer_node_did(node), tip};

    return with_state(node, id, controls, &a);
}

/* Learn tip; own: this node's commit (journaled unless CER_APPLY_NO_PUBLISH,
 * reported CER_CHANGE_LOCAL, with CER_CHANGE_NO_ANCHOR for CER_APPLY_NO_ANCHOR). */
static int learn_tip(cer_node *node, const cer_streamref *id, const cer_cid *tip, bool own, unsigned apply)
{
    bool journal = own && !(apply & CER_APPLY_NO_PUBLISH);
    unsigned change = !own ? 0 : CER_CHANGE_LOCAL | (apply & CER_APPLY_NO_ANCHOR ? CER_CHANGE_NO_ANCHOR : 0);
    check_ctx cx;
    cer_state *ns = NULL;
    cer_cid moved;
    stream *s;
    int rc;

    if ((rc = stream_entry(node, &s, id)) < 0)
        return rc;
    pthread_mutex_lock(&s->write);
    rc = stream_load(node, s);
    if (rc == -ENOENT) {
        /* a stream new to us: its whole log, verified */
        rc = cer_state_load_checked(&ns, node->store, &s->id, tip, checker(node, &cx, &s->id));
        check_end(&cx);
        if (rc == 0 && (rc = stream_commit(node, s, ns, journal)) == 0)
            rc = 1, ns = NULL;
        goto out;
    }
    if (rc < 0)
        goto out;
    if (cer_state_in_log(s->st, tip))
        goto out;  /* already have it */
    if ((rc = cer_state_copy(&ns, s->st)) < 0)
        goto out;
    rc = cer_state_merge_checked(&ns, node->store, tip, checker(node, &cx, &s->id));
    check_end(&cx);
    if (rc == 1) {
        if ((rc = keep_lost(node, s, s->st, ns)) == 0 && (rc = stream_commit(node, s, ns, journal)) == 0)
            rc = 1, ns = NULL;
    }
out:
    if (rc == 1)
        moved = *cer_state_tip(s->st);
    pthread_mutex_unlock(&s->write);
    cer_state_free(ns);
    if (rc == 1)
        notify(node, &s->id, &moved, change);
    return rc;
}

int cer_node_learn_tip(cer_node *node, const cer_streamref *id, const cer_cid *tip)
{
    return learn_tip(node, id, tip, false, 0);
}

int cer_node_apply_own(cer_node *node, const cer_streamref *id, const cer_cid *tip)
{
    return learn_tip(node, id, tip, true, 0);
}

int cer_node_apply_own_opts(cer_node *node, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    return learn_tip(node, id, tip, true, flags);
}

int cer_node_recheck_anchors(cer_node *node)
{
    stream **todo = NULL;
    size_t n = 0, cap = 0;
    int done = 0;

    if (!checks_on(node))
        return 0;
    pthread_mutex_lock(&node->elock);
    node->chain_down_ms = 0;  /* asked now, whatever the last answer */
    pthread_mutex_unlock(&node->elock);
    /* streams are freed only at close: the pointers stay good */
    pthread_mutex_lock(&node->lock);
    for (size_t pos = 0;;) {
        stream *s = cer_strmap_next(&node->streams, &pos);
        bool due;
        if (!s)
            break;
        pthread_mutex_lock(&s->lock);
        due = s->st && needs_check(node, s->st);
        pthread_mutex_unlock(&s->lock);
        if (due && n == cap) {
            stream **t = realloc(todo, (cap = cap ? 2 * cap : 16) * sizeof *t);
            if (!t)
                break;
            todo = t;
        }
        if (due)
            todo[n++] = s;
    }
    pthread_mutex_unlock(&node->lock);
    for (size_t i = 0; i < n; i++) {
        stream *s = todo[i];
        cer_cid tip, moved_to;
        bool moved = false;
        int rc = 1;

        pthread_mutex_lock(&s->write);
        if (s->st && needs_check(node, s->st)) {
            tip = *cer_state_tip(s->st);
            rc = rebuild(node, s, &tip, s->st, &moved);
            moved_to = *cer_state_tip(s->st);
        }
        pthread_mutex_unlock(&s->write);
        if (rc == 0)
            done++;
        if (moved)
            notify(node, &s->id, &moved_to, 0);
        cer_errclear();
    }
    free(todo);
    return done;
}

int cer_node_verify(cer_node *node, const cer_streamref *id)
{
    cer_stream_info info;
    cer_state *st = NULL;
    stream *s;
    int rc;

    if ((rc = cer_registry_get(node->reg, id, &info)) < 0)
        return rc;
    /* from the blocks alone, ignoring every cache (no anchor checked) */
    rc = cer_node_load_unchecked(node, &st, node->store, &info.id, &info.tip);
    if (rc == 0 && stream_entry(node, &s, id) == 0) {
        pthread_mutex_lock(&s->lock);
        if (s->st && !cer_json_equal(s->st->content, st->content))
            rc = cer_err(-EBADMSG, "verify: cached state of %s differs from its log", s->key);
        pthread_mutex_unlock(&s->lock);
    }
    cer_state_free(st);
    return rc;
}

typedef struct block_check {
    cer_node *node;
    void (*fn)(const cer_cid *cid, int err, void *arg);
    void *arg;
    int bad;
    cer_buf buf;
} block_check;

static int check_block(const cer_cid *cid, void *arg)
{
    block_check *bc = arg;
    int rc = cer_store_get(bc->node->store, cid, &bc->buf);

    if (rc < 0) {
        bc->bad++;
        if (bc->fn)
            bc->fn(cid, rc, bc->arg);
    }
    return 0;
}

int cer_node_verify_blocks(cer_node *node, void (*fn)(const cer_cid *cid, int err, void *arg), void *arg)
{
    block_check bc = {node, fn, arg, 0, CER_BUF_INIT};
    int rc = cer_store_each(node->store, check_block, &bc);

    cer_buf_free(&bc.buf);
    return rc < 0 ? rc : bc.bad;
}

/* ---- pins, aliases, listing ---- */

static int update_info(cer_node *node, const cer_streamref *id, bool set_pin, bool pinned,
                       const char *alias, bool set_alias)
{
    cer_stream_info info;
    stream *s;
    int rc;

    if ((rc = stream_entry(node, &s, id)) < 0)
        return rc;
    pthread_mutex_lock(&s->write);
    if ((rc = cer_registry_get(node->reg, &s->id, &info)) < 0) {
        if (rc == -ENOENT)
            rc = cer_err(-ENOENT, "node: no stream %s here", s->key);
        goto out;
    }
    if (set_pin)
        info.pinned = pinned;
    if (set_alias)
        snprintf(info.alias, sizeof info.alias, "%s", alias ? alias : "");
    rc = cer_registry_put(node->reg, &info);
out:
    pthread_mutex_unlock(&s->write);
    return rc;
}

int cer_node_pin(cer_node *node, const cer_streamref *id, bool pinned)
{
    return update_info(node, id, true, pinned, NULL, false);
}

int cer_node_alias(cer_node *node, const cer_streamref *id, const char *alias)
{
    if (alias && strlen(alias) >= sizeof ((cer_stream_info *)0)->alias)
        return cer_err(-EINVAL, "alias: longer than 64 characters");
    return update_info(node, id, false, false, alias, true);
}

int cer_node_resolve(cer_node *node, cer_streamref *out, const char *alias_or_id)
{
    int rc = cer_registry_find_alias(node->reg, alias_or_id, out);

    if (rc != -ENOENT)
        return rc;
    if ((rc = cer_streamref_parse(out, alias_or_id)) < 0)
        return cer_err(-ENOENT, "'%.80s' is neither an alias here nor a StreamID", alias_or_id);
    out->is_commit = false;
    return 0;
}

int cer_node_list(cer_node *node, int (*fn)(const cer_stream_info *info, void *arg), void *arg)
{
    return cer_registry_list(node->reg, fn, arg);
}

int cer_node_info(cer_node *node, const cer_streamref *id, cer_stream_info *out)
{
    return cer_registry_get(node->reg, id, out);
}

int cer_node_lost_branches(cer_node *node, const cer_streamref *id, cer_lost_branch **out, size_t *count)
{
    return cer_lost_list(node->reg, id, out, count);
}

/* ---- the journal of unpublished commits ---- */

typedef struct unpublished_ctx {
    cer_node *node;
    int (*fn)(const cer_streamref *id, const cer_cid *tip, void *arg);
    void *arg;
} unpublished_ctx;

/* An entry whose commit is not in its stream's log is not published, and
 * leaves the journal: a branch that lost, or a journal written by an older
 * node apart from the record, can leave such an entry (stream_commit now
 * makes both durable in one log line), and publishing it would put
 * a commit the node never acknowledged on the network, where it could
 * beat the user's next update in conflict resolution. (A stream that does
 * not load keeps its entries.) */
static int unpublished_one(const cer_streamref *id, const cer_cid *tip, void *arg)
{
    unpublished_ctx *u = arg;
    bool keep = true;
    stream *s;

    if (stream_entry(u->node, &s, id) == 0) {
        pthread_mutex_lock(&s->write);
        if (stream_load(u->node, s) == 0 && !(keep = cer_state_in_log(s->st, tip)))
            unjournal(u->node, s, tip, "journal",
                      "is not in the log (lost to another branch, or a crash before it was recorded): not published");
        pthread_mutex_unlock(&s->write);
        cer_errclear();
    }
    return keep ? u->fn(id, tip, u->arg) : 0;
}

int cer_node_unpublished(cer_node *node, int (*fn)(const cer_streamref *id, const cer_cid *tip, void *arg),
                         void *arg)
{
    unpublished_ctx u = {node, fn, arg};

    return cer_registry_journal_list(node->reg, unpublished_one, &u);
}

int cer_node_published(cer_node *node, const cer_streamref *id, const cer_cid *tip)
{
    return cer_registry_journal_done(node->reg, id, tip);
}

/* ---- listeners, events, counters, status ---- */

int cer_node_listen(cer_node *node, cer_node_listener fn, void *arg)
{
    int rc = 0;

    if (!fn)
        return cer_err(-EINVAL, "node: NULL listener");
    pthread_mutex_lock(&node->lock);
    if (node->nlisteners == CER_NODE_LISTENERS_MAX)
        rc = cer_err(-ENOSPC, "node: more than %d listeners", CER_NODE_LISTENERS_MAX);
    else
        node->listeners[node->nlisteners++] = (listener){fn, arg};
    pthread_mutex_unlock(&node->lock);
    return rc;
}

/* Add delta to counter name; call with elock held. */
static void count_locked(cer_node *node, const char *name, int64_t delta)
{
    counter *c;
    size_t n = strlen(name);

    for (c = node->counters; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            break;
    if (!c) {
        if (!(c = calloc(1, sizeof *c + n + 1)))
            return;  /* a lost count is better than a failed caller */
        memcpy(c->name, name, n + 1);
        c->next = node->counters;
        node->counters = c;
    }
    c->n += delta;
}

int64_t cer_node_counter(cer_node *node, const char *name)
{
    int64_t n = 0;

    pthread_mutex_lock(&node->elock);
    for (counter *c = node->counters; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            n = c->n;
    pthread_mutex_unlock(&node->elock);
    return n;
}

void cer_node_count(cer_node *node, const char *name, int64_t delta)
{
    if (!name || !name[0])
        return;
    pthread_mutex_lock(&node->elock);
    count_locked(node, name, delta);
    pthread_mutex_unlock(&node->elock);
}

static void iso_time(char out[40], int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    size_t n;

    gmtime_r(&t, &tm);
    n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%03uZ", (unsigned)(ms % 1000));
}

/* The event as a JSON line (caller frees), or NULL when out of memory. */
static char *event_line(int64_t ms, const char *kind, const cer_streamref *id, const char *msg)
{
    char when[40], sid[CER_STREAMID_STR_MAX];
    cJSON *o = cJSON_CreateObject();
    char *line = NULL;

    iso_time(when, ms);
    if (id) {
        cer_streamref norm = *id;
        norm.is_commit = false;
        if (cer_streamref_to_string(sid, sizeof sid, &norm) < 0)
            id = NULL;
    }
    if (o && cJSON_AddStringToObject(o, "time", when) && cJSON_AddStringToObject(o, "kind", kind) &&
        (id ? cJSON_AddStringToObject(o, "stream", sid) : cJSON_AddNullToObject(o, "stream")) &&
        cJSON_AddStringToObject(o, "message", msg) && cer_json_print(&line, o, 0) < 0)
        line = NULL;
    cJSON_Delete(o);
    return line;
}

/* Bytes that are not UTF-8 (a name cut by a %.Ns, a message cut to fit)
 * as '?': the printer refuses them, and the event would be lost. */
static void utf8_fix(char *s)
{
    size_t len = strlen(s);

    for (size_t i = 0; i < len;) {
        size_t n = cer_utf8_seq((const uint8_t *)s + i, len - i);
        if (n == 0) {
            s[i++] = '?';
            continue;
        }
        i += n;
    }
}

/* Put line in the ring (elock held); the old line there is freed. */
static void ring_put(cer_node *node, int64_t ms, char *line)
{
    event *e = &node->events[node->ev_next];

    free(e->line);
    e->time_ms = ms;
    e->line = line;
    node->ev_next = (node->ev_next + 1) % CER_NODE_EVENTS_MAX;
    if (node->ev_count < CER_NODE_EVENTS_MAX)
        node->ev_count++;
}

void cer_node_event(cer_node *node, const char *kind, const cer_streamref *id, const char *fmt, ...)
{
    void (*hook)(void *, const char *, const char *);
    void *hook_arg;
    char msg[1024], *line, *hook_line = NULL;
    cer_evlog *evlog;
    va_list ap;
    int64_t ms;

    if (!kind || !kind[0])
        kind = "other";
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_fix(msg);
    ms = cer_clock_ms(CLOCK_REALTIME);
    line = event_line(ms, kind, id, msg);
    pthread_mutex_lock(&node->elock);
    count_locked(node, kind, 1);
    hook = node->hook;
    hook_arg = node->hook_arg;
    evlog = node->evlog;
    if (line) {
        ring_put(node, ms, line);
        if (hook || evlog)
            hook_line = strdup(line);
    }
    pthread_mutex_unlock(&node->elock);
    if (hook_line && evlog)
        cer_evlog_add(evlog, hook_line);
    if (hook && hook_line)
        hook(hook_arg, kind, hook_line);
    free(hook_line);
}

int cer_node_events_keep(cer_node *node, bool write)
{
    char *path = NULL, **lines = NULL;
    size_t n = 0;
    cer_evlog *evlog = NULL;
    int rc;

    if ((rc = path_join(&path, node->dir, "events")) < 0)
        return rc;
    rc = write ? cer_evlog_open(&evlog, path, CER_NODE_EVENTS_MAX, &lines, &n)
               : cer_evlog_load(path, CER_NODE_EVENTS_MAX, &lines, &n);
    if (rc < 0 && write)  /* not kept from now on; still shown */
        (void)cer_evlog_load(path, CER_NODE_EVENTS_MAX, &lines, &n);
    free(path);
    pthread_mutex_lock(&node->elock);
    if (n) {
        /* the kept lines are older than any event of this open: the ring
         * becomes kept + current, the newest CER_NODE_EVENTS_MAX of them */
        char *cur[CER_NODE_EVENTS_MAX];
        int64_t cur_ms[CER_NODE_EVENTS_MAX];
        size_t ncur = node->ev_count, skip;
        for (size_t i = 0; i < ncur; i++) {
            event *e = &node->events[(node->ev_next + CER_NODE_EVENTS_MAX - ncur + i) % CER_NODE_EVENTS_MAX];
            cur[i] = e->line;
            cur_ms[i] = e->time_ms;
            e->line = NULL;
        }
        node->ev_next = node->ev_count = 0;
        skip = n + ncur > CER_NODE_EVENTS_MAX ? n + ncur - CER_NODE_EVENTS_MAX : 0;
        for (size_t i = 0; i < n; i++) {
            if (i < skip)
                free(lines[i]);
            else
                ring_put(node, 0, lines[i]);
        }
        for (size_t i = 0; i < ncur; i++)
            ring_put(node, cur_ms[i], cur[i]);
    }
    if (!node->evlog)
        node->evlog = evlog;
    else
        cer_evlog_close(evlog);
    pthread_mutex_unlock(&node->elock);
    free(lines);
    return rc;
}

void cer_node_on_event(cer_node *node, void (*fn)(void *arg, const char *kind, const char *line), void *arg)
{
    pthread_mutex_lock(&node->elock);
    node->hook = fn;
    node->hook_arg = arg;
    pthread_mutex_unlock(&node->elock);
}

int cer_node_events(cer_node *node, char **out, size_t *len)
{
    cer_buf b = CER_BUF_INIT;
    int rc = 0;

    *out = NULL;
    *len = 0;
    pthread_mutex_lock(&node->elock);
    for (size_t i = 0; i < node->ev_count && rc == 0; i++) {
        size_t k = (node->ev_next + CER_NODE_EVENTS_MAX - node->ev_count + i) % CER_NODE_EVENTS_MAX;
        if ((rc = cer_buf_puts(&b, node->events[k].line)) == 0)
            rc = cer_buf_putc(&b, '\n');
    }
    pthread_mutex_unlock(&node->elock);
    if (rc == 0)
        rc = cer_buf_putc(&b, '\0');
    if (rc < 0) {
        cer_buf_free(&b);
        return cer_err(-ENOMEM, "node: out of memory");
    }
    *len = b.len - 1;
    *out = (char *)cer_buf_detach(&b);
    return 0;
}

int cer_node_status_section(cer_node *node, const char *name, int (*fn)(cJSON **out, void *arg), void *arg)
{
    int rc = 0;

    if (!name || !fn || strlen(name) >= sizeof node->sections[0].name)
        return cer_err(-EINVAL, "node: bad status section");
    pthread_mutex_lock(&node->lock);
    if (node->nsections == CER_NODE_LISTENERS_MAX) {
        rc = cer_err(-ENOSPC, "node: more than %d status sections", CER_NODE_LISTENERS_MAX);
    } else {
        section *sec = &node->sections[node->nsections++];
        snprintf(sec->name, sizeof sec->name, "%s", name);
        sec->fn = fn;
        sec->arg = arg;
    }
    pthread_mutex_unlock(&node->lock);
    return rc;
}

static int count_pinned(const cer_stream_info *info, void *arg)
{
    *(size_t *)arg += info->pinned;
    return 0;
}

int cer_node_status(cer_node *node, cJSON **out)
{
    section secs[CER_NODE_LISTENERS_MAX];
    cJSON *o = cJSON_CreateObject(), *counters = cJSON_CreateObject(), *v;
    size_t pinned = 0, nsec;
    bool ok;

    *out = NULL;
    cer_registry_list(node->reg, count_pinned, &pinned);
    ok = o && counters && cJSON_AddStringToObject(o, "did", cer_node_did(node)) &&
         cJSON_AddNumberToObject(o, "streams", (double)cer_registry_count(node->reg)) &&
         cJSON_AddNumberToObject(o, "pinned", (double)pinned) &&
         cJSON_AddNumberToObject(o, "resident", (double)cer_node_resident(node)) &&
         cJSON_AddNumberToObject(o, "unpublished", (double)cer_registry_journal_count(node->reg)) &&
         cJSON_AddNumberToObject(o, "unpublished_since_ms", (double)cer_registry_journal_oldest_ms(node->reg));
    pthread_mutex_lock(&node->elock);
    for (counter *c = node->counters; c && ok; c = c->next)
        ok = cJSON_AddNumberToObject(counters, c->name, (double)c->n) != NULL;
    pthread_mutex_unlock(&node->elock);
    if (ok) {
        cJSON_AddItemToObject(o, "counters", counters);
        counters = NULL;
    }
    if (ok && (ok = cer_loads_json(&v, &node->loads) == 0))
        ok = cJSON_AddItemToObject(o, "loads", v) || (cJSON_Delete(v), false);
    pthread_rwlock_rdlock(&node->cblock);
    pthread_mutex_lock(&node->lock);
    nsec = node->nsections;
    memcpy(secs, node->sections, nsec * sizeof *secs);
    pthread_mutex_unlock(&node->lock);
    for (size_t i = 0; i < nsec && ok; i++) {
        v = NULL;
        if (secs[i].fn(&v, secs[i].arg) < 0 || !v)
            v = cJSON_CreateString(cer_errmsg());
        ok = v && cJSON_AddItemToObject(o, secs[i].name, v);
    }
    pthread_rwlock_unlock(&node->cblock);
    cJSON_Delete(counters);
    if (!ok) {
        cJSON_Delete(o);
        return cer_err(-ENOMEM, "node: out of memory");
    }
    *out = o;
    return 0;
}

int cer_node_alias_check(const char *alias)
{
    return cer_registry_alias_check(alias);
}

/* ---- describing a commit ---- */

static bool add_cid(cJSON *o, const char *name, const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) >= 0 && cJSON_AddStringToObject(o, name, s);
}

static bool add_copy(cJSON *o, const char *name, const cJSON *v)
{
    cJSON *c;

    if (!v)
        return true;
    return (c = cJSON_Duplicate(v, 1)) && (cJSON_AddItemToObject(o, name, c) || (cJSON_Delete(c), false));
}

int cer_node_commit_describe(cer_node *node, const cer_cid *cid, cJSON **out)
{
    static const char *const types[] = {"genesis", "signed", "anchor"};
    cer_commit c;
    cJSON *o;
    bool ok;
    int rc;

    *out = NULL;
    if ((rc = cer_commit_read(&c, node->store, cid)) < 0)
        return rc;
    o = cJSON_CreateObject();
    ok = o && add_cid(o, "cid", cid) && cJSON_AddStringToObject(o, "type", types[c.type]) &&
         (!c.has_prev || add_cid(o, "prev", &c.prev));
    if (ok && c.type == CER_COMMIT_GENESIS)
        ok = add_copy(o, "header", cJSON_GetObjectItemCaseSensitive(c.payload, "header")) &&
             add_copy(o, "data", cJSON_GetObjectItemCaseSensitive(c.payload, "data"));
    else if (ok && c.type == CER_COMMIT_SIGNED)
        ok = add_copy(o, "data", cJSON_GetObjectItemCaseSensitive(c.payload, "data"));
    else if (ok)
        ok = add_cid(o, "proof", &c.anchor.proof) && cJSON_AddStringToObject(o, "path", c.anchor.path) &&
             cJSON_AddStringToObject(o, "chainId", c.proof.chain_id) && add_cid(o, "root", &c.proof.root) &&
             add_cid(o, "txHash", &c.proof.tx_hash) &&
             (!c.proof.tx_type[0] || cJSON_AddStringToObject(o, "txType", c.proof.tx_type)) &&
             (!c.proof.has_block_timestamp ||
              cJSON_AddNumberToObject(o, "blockTimestamp", (double)c.proof.block_timestamp));
    cer_commit_free(&c);
    if (!ok) {
        cJSON_Delete(o);
        return cer_err(-ENOMEM, "node: out of memory");
    }
    *out = o;
    return 0;
}

/* ---- attaching IPFS, removing listeners and sections (the sync layer) ---- */

int cer_node_attach_ipfs(cer_node *node, const cer_ipfs_opts *opts)
{
    cer_ipfs *ipfs = NULL;
    cer_store *st = NULL;
    int rc;

    if (cer_store_ipfs(node->store))
        return cer_err(-EEXIST, "node: IPFS already attached");
    if ((rc = cer_ipfs_open(&ipfs, opts)) < 0)
        return rc;
    if ((rc = cer_store_open_ipfs(&st, node->store, ipfs)) < 0) {
        cer_ipfs_close(ipfs);
        return rc;
    }
    node->store = st;
    return 0;
}

/* ---- anchoring: per-tip anchor status and time ---- */

int cer_node_set_anchor_status(cer_node *node, const cer_streamref *id, const cer_cid *tip, int status)
{
    stream *s;
    int rc;

    if (!cer_anchor_status_name(status))
        return cer_err(-EINVAL, "node: anchor status %d unknown", status);
    if ((rc = stream_entry(node, &s, id)) < 0)
        return rc;
    pthread_mutex_lock(&s->write);
    if ((rc = stream_load(node, s)) < 0)
        goto out;
    if (!cer_cid_equal(tip, cer_state_tip(s->st))) {
        rc = cer_err(-ESTALE, "node: %s has moved on from the tip whose anchor status was set", s->key);
        goto out;
    }
    if (s->st->anchor_status == status)
        goto out;
    /* s->st only changes under s->write: the in-place change needs s->lock
     * only against readers copying it */
    pthread_mutex_lock(&s->lock);
    s->st->anchor_status = status;
    pthread_mutex_unlock(&s->lock);
    save_cache(node, s->st);
out:
    pthread_mutex_unlock(&s->write);
    return rc;
}

static int listener_is(const void *entry, const void *key)
{
    const listener *a = entry, *b = key;
    return a->fn == b->fn && a->arg == b->arg;
}

static int section_is(const void *entry, const void *key)
{
    return strcmp(((const section *)entry)->name, key) == 0;
}

/* Removes the first of the *n entries of size sz at arr that is(entry, key)
 * accepts, with cblock written (no listener or section is running) and the
 * lock held; 0, or -ENOENT (no message set) when none matches. */
static int node_remove(cer_node *node, void *arr, size_t *n, size_t sz,
                       int (*is)(const void *entry, const void *key), const void *key)
{
    int rc = -ENOENT;

    pthread_rwlock_wrlock(&node->cblock);
    pthread_mutex_lock(&node->lock);
    for (size_t i = 0; i < *n; i++) {
        char *e = (char *)arr + i * sz;
        if (is(e, key)) {
            memmove(e, e + sz, (*n - i - 1) * sz);
            (*n)--;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&node->lock);
    pthread_rwlock_unlock(&node->cblock);
    return rc;
}

int cer_node_unlisten(cer_node *node, cer_node_listener fn, void *arg)
{
    listener key = {fn, arg};

    if (node_remove(node, node->listeners, &node->nlisteners, sizeof key, listener_is, &key) < 0)
        return cer_err(-ENOENT, "node: no such listener");
    return 0;
}

int cer_node_unsection(cer_node *node, const char *name)
{
    if (node_remove(node, node->sections, &node->nsections, sizeof node->sections[0],
                    section_is, name) < 0)
        return cer_err(-ENOENT, "node: no status section %s", name);
    return 0;
}
