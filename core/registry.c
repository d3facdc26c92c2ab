/*
 * registry.c — the node's per-stream records (tip, pin, alias), state
 * caches and the journal of unpublished commits, kept crash-safely in one
 * directory (see registry.h for the layout and the rules).
 *
 * In memory: the records in a string map (strmap.h) keyed by the canonical
 * StreamID string, the same records in a second map by alias, and the
 * pending journal entries in a list, oldest first, found by their tip in
 * a third. The maps change only after the write that makes the change
 * durable has succeeded.
 */
#include "registry.h"
#include "buf.h"
#include "clock.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "strmap.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD_EXT ".json"
#define CACHE_EXT ".state.json"
#define LOST_EXT ".lost.json"
#define JOURNAL_NAME "journal.jsonl"
#define LOG_NAME "wal.jsonl"
#define TMP_PREFIX CER_TMP_PREFIX
#define RECORD_MAX (64 * 1024)             /* a record is ~300 bytes */
#define CACHE_MAX (256 * 1024 * 1024)      /* sanity bound on a cache file */
#define LOST_FILE_MAX (256 * 1024 * 1024)  /* and on a file of lost branches */
#define ALIAS_MAX 64
#define NAME_MAX_LEN (CER_STREAMID_STR_MAX + sizeof CACHE_EXT)

typedef struct rec {
    cer_stream_info info;
    char key[];                       /* canonical StreamID string, allocated to its length */
} rec;

/* A block line of the log, replayed into the store once the node has it. */
typedef struct logged_block {
    struct logged_block *next;
    cer_cid cid;
    size_t len;
    uint8_t data[];
} logged_block;

typedef struct pending {
    struct pending *prev, *next;   /* journal order, oldest first */
    cer_streamref id;
    cer_cid tip;
    char key[CER_CID_STR_MAX];     /* the tip's string: its key in r->pend_by_tip */
    long long added_ms;            /* wall clock: when added, or when replayed at open */
    bool unsynced;                 /* in the map only, until its log line is durable */
} pending;

struct cer_registry {
    char *dir;
    int dirfd;
    bool sync;
    bool rdonly;             /* CER_STORE_RDONLY: nothing is created, changed or removed */

    pthread_mutex_t wlock;   /* serialises record writers, held across their file I/O */
    pthread_mutex_t lock;    /* guards the two maps; never held across I/O */
    cer_strmap by_id;        /* key -> rec, owned */
    cer_strmap by_alias;     /* info.alias -> rec, for records that have one */

    pthread_mutex_t jlock;   /* guards the journal fields */
    int jfd;
    off_t jsize;             /* bytes of complete lines in the file */
    size_t ndone;            /* "done" lines in the file */
    pending *pend_first, *pend_last;
    size_t npend;
    cer_strmap pend_by_tip;  /* a commit's CID names one stream: one entry per tip */
    bool jstale;             /* a journal line is only in the log: rewrite the journal at the checkpoint */
    cer_strmap done_seen;    /* during open only: the tips of the journal's "done" lines (keys owned) */

    bool opened;             /* open succeeded: close may empty the log */
    struct logged_block *blocks;  /* read from the log at open, until cer_registry_log_blocks_of */
    struct logged_block **blocks_end;  /* where the next one is linked */
    int xfd;                 /* the block store's directory, synced by checkpoints too, or -1 */
    int lfd;                 /* the write-ahead log, appended under wlock */
    off_t lsize;             /* bytes of complete lines in it */
    /* Group commit: a change appends its line under wlock and syncs the
     * log after releasing it, so one fdatasync serves every line appended
     * before it started. */
    pthread_mutex_t slock;   /* serialises log syncs and checkpoints (taken after wlock) */
    int sfd;                 /* the log again, for syncing without wlock */
    off_t synced;            /* under slock: the log is durable up to here */
    atomic_llong lend;       /* lsize, for log_sync (stored under wlock) */
    atomic_ulong lgen;       /* checkpoints so far (stored under wlock and slock) */
    atomic_int broken;       /* errno of a failed log sync: every change refused since */

    char **warn;             /* written by open only */
    size_t nwarn, nwarn_lost;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static int oom(void)
{
    return cer_err(-ENOMEM, "registry: out of memory");
}

/* Every change starts here when the registry was opened read-only. */
static int refuse_rdonly(const cer_registry *r)
{
    return cer_err(-EROFS, "registry: %s is open read-only", r->dir);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The stream named by id (a CommitID's commit dropped) and its key. */
static int stream_key(char key[CER_STREAMID_STR_MAX], cer_streamref *norm, const cer_streamref *id)
{
    int rc;

    if (!id)
        return cer_err(-EINVAL, "registry: NULL stream");
    *norm = *id;
    norm->is_commit = false;
    memset(&norm->commit, 0, sizeof norm->commit);
    if ((rc = cer_streamref_to_string(key, CER_STREAMID_STR_MAX, norm)) < 0)
        return cer_err_wrap(rc, "registry: bad stream");
    return 0;
}

static int file_name(char *out, size_t cap, const char *key, const char *ext)
{
    if ((size_t)snprintf(out, cap, "%s%s", key, ext) >= cap)
        return cer_err(-ENAMETOOLONG, "registry: name %s%s too long", key, ext);
    return 0;
}

int cer_registry_alias_check(const char *alias)
{
    char ex[CER_EXCERPT_MAX];
    cer_streamref ref;
    size_t n;

    if (!alias || !alias[0])
        return cer_err(-EINVAL, "registry: empty alias");
    n = strnlen(alias, ALIAS_MAX + 1);
    if (n > ALIAS_MAX)
        return cer_err(-EINVAL, "registry: alias %s is over %d characters", cer_excerpt(ex, alias),
                       ALIAS_MAX);
    if (alias[0] == '.')
        return cer_err(-EINVAL, "registry: alias %s starts with '.'", cer_excerpt(ex, alias));
    for (size_t i = 0; i < n; i++) {
        char c = alias[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return cer_err(-EINVAL, "registry: alias %s has a character outside [A-Za-z0-9._-]",
                           cer_excerpt(ex, alias));
    }
    if (cer_streamref_parse(&ref, alias) == 0)
        return cer_err(-EINVAL, "registry: alias %s is a StreamID", cer_excerpt(ex, alias));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

static int sys_err(int e, const char *name, const char *what)
{
    return cer_err(-e, "registry: %s: %s: %s", name, what, strerror(e));
}

/* Replace dir/name with data crash-safely (fileio.c). */
static int write_replace(cer_registry *r, const char *name, const char *data, size_t len, bool sync)
{
    size_t cap = strlen(r->dir) + strlen(name) + 2;
    char *path;
    int rc;

    if (r->rdonly)
        return refuse_rdonly(r);
    if (!(path = malloc(cap)))
        return oom();
    snprintf(path, cap, "%s/%s", r->dir, name);
    rc = cer_file_replace(path, data, len, 0644, sync);
    free(path);
    return rc < 0 ? cer_err_wrap(rc, "registry") : 0;
}

/* Read all of the regular file fd (at most max bytes) into out. */
static int read_fd(int fd, const char *name, size_t max, cer_buf *out)
{
    int rc = cer_read_fd(fd, name, max, false, out, NULL);

    return rc < 0 ? cer_err_wrap(rc, "registry") : 0;
}

static int read_file(cer_registry *r, const char *name, size_t max, cer_buf *out)
{
    int fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int rc;

    if (fd < 0)
        return errno == ENOENT ? cer_err(-ENOENT, "registry: no file %s", name)
                               : sys_err(errno, name, "cannot open");
    rc = read_fd(fd, name, max, out);
    close(fd);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Records as JSON                                                      */
/* ------------------------------------------------------------------ */

/* The record as a JSON object (caller frees). */
static int record_obj(cJSON **out, const char *key, const cer_stream_info *info)
{
    char tip[CER_CID_STR_MAX];
    cJSON *o = NULL;
    int rc;

    *out = NULL;
    if ((rc = cer_cid_to_string(tip, sizeof tip, &info->tip)) < 0)
        return cer_err_wrap(rc, "registry: bad tip");
    if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "streamId", key) ||
        !cJSON_AddStringToObject(o, "tip", tip) || !cJSON_AddBoolToObject(o, "pinned", info->pinned) ||
        !(info->alias[0] ? cJSON_AddStringToObject(o, "alias", info->alias)
                         : cJSON_AddNullToObject(o, "alias")) ||
        !cJSON_AddNumberToObject(o, "updated", (double)info->tip_time_ms)) {
        cJSON_Delete(o);
        return oom();
    }
    *out = o;
    return 0;
}

/* o printed on one line, with a newline (caller frees); o is freed. */
static int line_text(char **out, cJSON *o)
{
    char *text = NULL;
    cer_buf b = CER_BUF_INIT;
    int rc;

    *out = NULL;
    if ((rc = cer_json_print(&text, o, 0)) == 0 && (rc = cer_buf_puts(&b, text)) == 0 &&
        (rc = cer_buf_putc(&b, '\n')) == 0)
        *out = (char *)cer_buf_detach(&b);
    cer_buf_free(&b);
    free(text);
    cJSON_Delete(o);
    return rc;
}

static int record_text(char **out, const char *key, const cer_stream_info *info)
{
    cJSON *o;
    int rc;

    *out = NULL;
    return (rc = record_obj(&o, key, info)) < 0 ? rc : line_text(out, o);
}

static int member_string(const char **out, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "\"%s\" is %s, not a string", key, v ? "of another type" : "missing");
    *out = v->valuestring;
    return 0;
}

/* Check a record against its file name's key and fill out. Unknown
 * members are ignored (a newer version may add some). */
static int record_check(cer_stream_info *out, const char *key, const cJSON *o)
{
    char canon[CER_STREAMID_STR_MAX], ex[CER_EXCERPT_MAX];
    const cJSON *pinned, *alias, *updated;
    const char *sid = NULL, *tip = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(o))
        return cer_err(-EINVAL, "not a JSON object");
    if ((rc = member_string(&sid, o, "streamId")) < 0 || (rc = member_string(&tip, o, "tip")) < 0)
        return rc;
    if ((rc = cer_streamref_parse(&out->id, sid)) < 0)
        return cer_err_wrap(rc, "\"streamId\"");
    if (out->id.is_commit || cer_streamref_to_string(canon, sizeof canon, &out->id) < 0 ||
        strcmp(canon, sid) != 0)
        return cer_err(-EINVAL, "\"streamId\" %s is not a canonical StreamID", cer_excerpt(ex, sid));
    if (strcmp(sid, key) != 0)
        return cer_err(-EINVAL, "\"streamId\" %s does not match the file name", cer_excerpt(ex, sid));
    if ((rc = cer_cid_parse(&out->tip, tip)) < 0)
        return cer_err_wrap(rc, "\"tip\"");
    pinned = cJSON_GetObjectItemCaseSensitive(o, "pinned");
    if (!cJSON_IsBool(pinned))
        return cer_err(-EINVAL, "\"pinned\" is not true or false");
    out->pinned = cJSON_IsTrue(pinned);
    alias = cJSON_GetObjectItemCaseSensitive(o, "alias");
    if (cJSON_IsString(alias)) {
        if ((rc = cer_registry_alias_check(alias->valuestring)) < 0)
            return rc;
        strcpy(out->alias, alias->valuestring);
    } else if (!cJSON_IsNull(alias)) {
        return cer_err(-EINVAL, "\"alias\" is not a string or null");
    }
    updated = cJSON_GetObjectItemCaseSensitive(o, "updated");
    if (!cJSON_IsNumber(updated) || !(updated->valuedouble >= 0) ||
        updated->valuedouble != floor(updated->valuedouble) ||
        updated->valuedouble > CER_JSON_SAFE_INT_MAX)
        return cer_err(-EINVAL, "\"updated\" is not a time in milliseconds");
    out->tip_time_ms = (int64_t)updated->valuedouble;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The maps (callers hold r->lock)                                      */
/* ------------------------------------------------------------------ */

/* A zeroed record of key (NULL: out of memory). */
static rec *rec_new(const char *key)
{
    size_t n = strlen(key) + 1;
    rec *e = calloc(1, sizeof *e + n);

    if (e)
        memcpy(e->key, key, n);
    return e;
}

static rec *find_id(cer_registry *r, const char *key)
{
    return cer_strmap_get(&r->by_id, key);
}

static rec *find_alias(cer_registry *r, const char *alias)
{
    return cer_strmap_get(&r->by_alias, alias);
}

/* Room for one more record, or for a record's new alias, in the maps:
 * link_rec and link_alias cannot fail after it. */
static int reserve_one(cer_registry *r)
{
    int rc;

    if ((rc = cer_strmap_reserve(&r->by_id, 1)) < 0 || (rc = cer_strmap_reserve(&r->by_alias, 1)) < 0)
        return rc;
    return 0;
}

static void link_alias(cer_registry *r, rec *e)
{
    if (e->info.alias[0])
        cer_strmap_put(&r->by_alias, e->info.alias, e);
}

/* Before e->info.alias changes: the map holds the string. */
static void unlink_alias(cer_registry *r, rec *e)
{
    if (e->info.alias[0])
        cer_strmap_del(&r->by_alias, e->info.alias);
}

static void link_rec(cer_registry *r, rec *e)
{
    cer_strmap_put(&r->by_id, e->key, e);
    link_alias(r, e);
}

/* ------------------------------------------------------------------ */
/* Open: warnings, records, caches                                      */
/* ------------------------------------------------------------------ */

static void warn(cer_registry *r, const char *fmt, ...) CER_PRINTF(2, 3);
static void warn(cer_registry *r, const char *fmt, ...)
{
    char msg[640], **w;
    va_list ap;

    if (r->nwarn + 1 >= CER_REGISTRY_WARNINGS_MAX) {
        r->nwarn_lost++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!(w = realloc(r->warn, (r->nwarn + 2) * sizeof *w)) || !(w[r->nwarn] = strdup(msg))) {
        if (w)
            r->warn = w;
        r->nwarn_lost++;
        return;
    }
    r->warn = w;
    r->nwarn++;
    r->warn[r->nwarn] = NULL;
}

static void warn_finish(cer_registry *r)
{
    char msg[96], **w;

    if (!r->nwarn_lost)
        return;
    snprintf(msg, sizeof msg, "registry: %zu more warnings not shown", r->nwarn_lost);
    if ((w = realloc(r->warn, (r->nwarn + 2) * sizeof *w)) != NULL) {
        r->warn = w;
        if ((w[r->nwarn] = strdup(msg)) != NULL)
            w[++r->nwarn] = NULL;
    }
}

const char *const *cer_registry_warnings(const cer_registry *r, size_t *count)
{
    static const char *const none[] = {NULL};

    *count = r->nwarn;
    return r->nwarn ? (const char *const *)r->warn : none;
}

/* Load the record file name (key + ".json"); a bad record is a warning.
 * Returns < 0 only for failures that stop the open (out of memory). */
static int load_record(cer_registry *r, const char *name, cer_buf *buf)
{
    char key[CER_STREAMID_STR_MAX];
    size_t klen = strlen(name) - strlen(RECORD_EXT);
    cJSON *o = NULL;
    rec *e = NULL, *holder;
    int rc;

    if (klen == 0 || klen >= sizeof key) {
        warn(r, "registry: %s: skipped: not named <StreamID>.json", name);
        return 0;
    }
    memcpy(key, name, klen);
    key[klen] = '\0';
    if (!(e = rec_new(key)))
        return oom();
    if ((rc = read_file(r, name, RECORD_MAX, buf)) == 0 &&
        (rc = cer_json_parse(&o, (const char *)buf->data, buf->len, 0)) == 0)
        rc = record_check(&e->info, key, o);
    if (rc == -ENOMEM)
        goto out;
    if (rc < 0) {
        warn(r, "registry: %s: skipped: %s", name, cer_errmsg());
        rc = 0;
        goto out;
    }
    if (e->info.alias[0] && (holder = find_alias(r, e->info.alias)) != NULL) {
        warn(r, "registry: %s: alias \"%s\" is already %s's; ignored", name, e->info.alias, holder->key);
        e->info.alias[0] = '\0';
    }
    if ((rc = reserve_one(r)) < 0)
        goto out;
    link_rec(r, e);
    e = NULL;
out:
    cJSON_Delete(o);
    free(e);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The directory's entry names, sorted (so that open is deterministic). */
static int list_dir(cer_registry *r, char ***out, size_t *count)
{
    char **names = NULL, **nn;
    size_t n = 0, cap = 0;
    struct dirent *d;
    DIR *dp;
    int fd = dup(r->dirfd), rc = 0;

    if (fd < 0 || !(dp = fdopendir(fd))) {
        rc = sys_err(errno, r->dir, "cannot list");
        if (fd >= 0)
            close(fd);
        return rc;
    }
    rewinddir(dp);
    while ((d = readdir(dp)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            if (!(nn = realloc(names, cap * sizeof *nn))) {
                rc = oom();
                goto out;
            }
            names = nn;
        }
        if (!(names[n] = strdup(d->d_name))) {
            rc = oom();
            goto out;
        }
        n++;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
out:
    closedir(dp);
    if (rc < 0) {
        free_names(names, n);
        return rc;
    }
    *out = names;
    *count = n;
    return 0;
}

static int journal_open(cer_registry *r);
static int log_open(cer_registry *r);
static int checkpoint(cer_registry *r);
static int journal_compact(cer_registry *r);
static int log_append(cer_registry *r, const char *line, unsigned long *gen, off_t *end);
static void free_done_seen(cer_registry *r);
static void free_blocks(cer_registry *r);

/* Records first, then the journal and the log (which may add records),
 * then caches (a cache whose stream has no record is deleted); temporary
 * files removed. Other names are left alone. */
static int load_dir(cer_registry *r)
{
    char **names = NULL, key[CER_STREAMID_STR_MAX];
    cer_buf buf = CER_BUF_INIT;
    size_t n = 0;
    int rc;

    if ((rc = list_dir(r, &names, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *name = names[i];
        if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            if (!r->rdonly && unlinkat(r->dirfd, name, 0) < 0 && errno != ENOENT)
                warn(r, "registry: %s: cannot remove a stray temporary file: %s", name, strerror(errno));
        } else if (ends_with(name, RECORD_EXT) && !ends_with(name, CACHE_EXT) && !ends_with(name, LOST_EXT)) {
            rc = load_record(r, name, &buf);
        }
    }
    if (rc == 0 && (rc = journal_open(r)) == 0 && (rc = log_open(r)) == 0 &&
        r->ndone > CER_REGISTRY_COMPACT_DONE && !r->rdonly)
        rc = journal_compact(r);   /* after log_open's checkpoint: see compact_if_due */
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t klen = strlen(names[i]) - strlen(CACHE_EXT);
        if (!ends_with(names[i], CACHE_EXT) || klen >= sizeof key)
            continue;
        memcpy(key, names[i], klen);
        key[klen] = '\0';
        if (!find_id(r, key) && !r->rdonly)
            unlinkat(r->dirfd, names[i], 0);
    }
    free_names(names, n);
    cer_buf_free(&buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The journal (callers hold r->jlock, except during open)              */
/* ------------------------------------------------------------------ */

/* The pending entry of the tip whose string is tipkey, NULL when there is
 * none or (id given) it is another stream's. */
static pending *find_pending(cer_registry *r, const cer_streamref *id, const char *tipkey)
{
    pending *p = cer_strmap_get(&r->pend_by_tip, tipkey);

    return p && (!id || cer_streamref_same_stream(&p->id, id)) ? p : NULL;
}

/* *out: a new entry for (id, tip) with room for it in the map, in no
 * list yet; the caller frees it unless it links it. tipkey: tip's string
 * (from cer_cid_to_string into a CER_CID_STR_MAX buffer), copied. */
static int new_pending(pending **out, cer_registry *r, const cer_streamref *id, const cer_cid *tip,
                       const char *tipkey)
{
    pending *p = calloc(1, sizeof *p);
    int rc;

    if (!p)
        return oom();
    if ((rc = cer_strmap_reserve(&r->pend_by_tip, 1)) < 0) {
        free(p);
        return rc;
    }
    p->id = *id;
    p->tip = *tip;
    p->added_ms = cer_clock_ms(CLOCK_REALTIME);
    memcpy(p->key, tipkey, strlen(tipkey) + 1);
    *out = p;
    return 0;
}

/* Appends p (from new_pending) to the list and the map; cannot fail. */
static void link_pending(cer_registry *r, pending *p)
{
    p->prev = r->pend_last;
    *(p->prev ? &p->prev->next : &r->pend_first) = p;
    r->pend_last = p;
    cer_strmap_put(&r->pend_by_tip, p->key, p);
    r->npend++;
}

static void drop_pending(cer_registry *r, pending *p)
{
    *(p->prev ? &p->prev->next : &r->pend_first) = p->next;
    *(p->next ? &p->next->prev : &r->pend_last) = p->prev;
    cer_strmap_del(&r->pend_by_tip, p->key);
    r->npend--;
    free(p);
}

/* One journal line: {"stream":key,"tip":cid} or {"done":cid,"stream":key},
 * from the stream's and the tip's strings. */
static int journal_line(char **out, const char *key, const char *cid, bool done)
{
    cJSON *o;

    *out = NULL;
    if (!(o = cJSON_CreateObject()) ||
        !(done ? cJSON_AddStringToObject(o, "done", cid) && cJSON_AddStringToObject(o, "stream", key)
               : cJSON_AddStringToObject(o, "stream", key) && cJSON_AddStringToObject(o, "tip", cid))) {
        cJSON_Delete(o);
        return oom();
    }
    return line_text(out, o);
}

/* Parse one complete line into a pending entry; *done tells which kind;
 * has_id false for a "done" line without "stream". */
static int journal_parse(pending *out, bool *done, bool *has_id, const char *line, size_t len)
{
    const cJSON *sv, *cv;
    cJSON *o = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cer_json_parse(&o, line, len, 0)) < 0)
        return rc;
    if (!cJSON_IsObject(o)) {
        rc = cer_err(-EINVAL, "not a JSON object");
        goto out;
    }
    sv = cJSON_GetObjectItemCaseSensitive(o, "stream");
    cv = cJSON_GetObjectItemCaseSensitive(o, "done");
    *done = cv != NULL;
    *has_id = sv != NULL;
    if (!*done)
        cv = cJSON_GetObjectItemCaseSensitive(o, "tip");
    if (!cJSON_IsString(cv) || (sv && !cJSON_IsString(sv)) || (!*done && !sv)) {
        rc = cer_err(-EINVAL, "not {\"stream\",\"tip\"} or {\"done\",\"stream\"?} with string values");
        goto out;
    }
    if ((rc = cer_cid_parse(&out->tip, cv->valuestring)) < 0) {
        rc = cer_err_wrap(rc, "bad CID");
        goto out;
    }
    if (sv && (rc = cer_streamref_parse(&out->id, sv->valuestring)) < 0) {
        rc = cer_err_wrap(rc, "bad \"stream\"");
        goto out;
    }
    if (sv && out->id.is_commit)
        rc = cer_err(-EINVAL, "\"stream\" is a CommitID");
out:
    cJSON_Delete(o);
    return rc;
}

/* Remember (during open) that the journal marked tipkey done, so that the
 * log's replay does not make it pending again. */
static int seen_done(cer_registry *r, const char *tipkey)
{
    char *k;

    if (cer_strmap_get(&r->done_seen, tipkey))
        return 0;
    if (cer_strmap_reserve(&r->done_seen, 1) < 0 || !(k = strdup(tipkey)))
        return oom();
    cer_strmap_put(&r->done_seen, k, k);
    return 0;
}

static void free_done_seen(cer_registry *r)
{
    char *k;

    for (size_t pos = 0; (k = cer_strmap_next(&r->done_seen, &pos));)
        free(k);
    cer_strmap_free(&r->done_seen);
}

static int replay_line(cer_registry *r, const char *line, size_t len, size_t lineno)
{
    char tipkey[CER_CID_STR_MAX];
    bool done = false, has_id = false;
    pending p, *e, *n;
    int rc;

    if (len == 0)
        return 0;
    if ((rc = journal_parse(&p, &done, &has_id, line, len)) < 0) {
        if (rc == -ENOMEM)
            return rc;
        warn(r, "registry: " JOURNAL_NAME " line %zu: skipped: %s", lineno, cer_errmsg());
        return 0;
    }
    if ((rc = cer_cid_to_string(tipkey, sizeof tipkey, &p.tip)) < 0)   /* a parsed CID fits */
        return rc;
    if (done) {
        r->ndone++;
        if ((e = find_pending(r, has_id ? &p.id : NULL, tipkey)))
            drop_pending(r, e);
        return seen_done(r, tipkey);
    }
    if ((e = find_pending(r, NULL, tipkey))) {
        if (!cer_streamref_same_stream(&e->id, &p.id))
            warn(r, "registry: " JOURNAL_NAME " line %zu: skipped: its tip is pending for another stream", lineno);
        return 0;
    }
    if ((rc = new_pending(&n, r, &p.id, &p.tip, tipkey)) < 0)
        return rc;
    link_pending(r, n);
    return 0;
}

/* (Re)open the line file name (the journal or the log) as *fd. */
static int lines_reopen(cer_registry *r, int *fd, const char *name)
{
    if (*fd >= 0)
        close(*fd);
    *fd = r->rdonly ? openat(r->dirfd, name, O_RDONLY | O_CLOEXEC)
                    : openat(r->dirfd, name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0 && !(r->rdonly && errno == ENOENT))  /* read-only, no file: nothing in it */
        return sys_err(errno, name, "cannot open");
    return 0;
}

static int journal_reopen(cer_registry *r)
{
    return lines_reopen(r, &r->jfd, JOURNAL_NAME);
}

/* Rewrite the journal with only the pending entries. */
static int journal_compact(cer_registry *r)
{
    cer_buf b = CER_BUF_INIT;
    char key[CER_STREAMID_STR_MAX], *line = NULL;
    int rc = 0;

    if ((rc = cer_buf_reserve(&b, 0)) < 0)
        goto out;
    for (const pending *p = r->pend_first; p; p = p->next) {
        if ((rc = cer_streamref_to_string(key, sizeof key, &p->id)) < 0 ||
            (rc = journal_line(&line, key, p->key, false)) < 0 ||
            (rc = cer_buf_puts(&b, line)) < 0)
            goto out;
        free(line);
        line = NULL;
    }
    if ((rc = write_replace(r, JOURNAL_NAME, (const char *)b.data, b.len, r->sync)) < 0)
        goto out;
    r->ndone = 0;
    r->jsize = (off_t)b.len;
    rc = journal_reopen(r);
out:
    free(line);
    cer_buf_free(&b);
    return rc;
}

/* Open the line file name as *fd and call fn on each complete line, in
 * order; a torn last line (a crash while writing it) is cut off. *size:
 * the bytes of complete lines. */
static int lines_replay(cer_registry *r, int *fd, off_t *size, const char *name,
                        int (*fn)(cer_registry *r, const char *line, size_t len, size_t lineno))
{
    cer_buf buf = CER_BUF_INIT;
    size_t start = 0, lineno = 1, good;
    int rc;

    if ((rc = lines_reopen(r, fd, name)) < 0 || (*fd >= 0 && (rc = read_fd(*fd, name, SIZE_MAX / 2, &buf)) < 0))
        goto out;
    for (size_t i = 0; i < buf.len && rc == 0; i++)
        if (buf.data[i] == '\n') {
            rc = fn(r, (const char *)buf.data + start, i - start, lineno++);
            start = i + 1;
        }
    if (rc < 0)
        goto out;
    good = start;
    if (good < buf.len && r->rdonly) {
        warn(r, "registry: %s: an incomplete last line of %zu bytes (a crash while writing it), ignored", name,
             buf.len - good);
    } else if (good < buf.len) {
        warn(r, "registry: %s: cut off an incomplete last line of %zu bytes (a crash while writing it)", name,
             buf.len - good);
        if (ftruncate(*fd, (off_t)good) < 0 || (r->sync && fsync(*fd) < 0)) {
            rc = sys_err(errno, name, "cannot truncate");
            goto out;
        }
    }
    *size = (off_t)good;
out:
    cer_buf_free(&buf);
    return rc;
}

/* Append one line to the line file name (*fd, *size bytes), durably when
 * sync; on failure the file is cut back to its previous end so that no
 * partial line stays before the next one. */
static int lines_append(cer_registry *r, int *fd, off_t *size, const char *name, const char *line, bool sync)
{
    size_t len = strlen(line);
    int rc;

    if (r->rdonly)
        return refuse_rdonly(r);
    if (*fd < 0) {
        /* a failed append could not be cut back: cut it now */
        if ((rc = lines_reopen(r, fd, name)) < 0)
            return rc;
        if (ftruncate(*fd, *size) < 0) {
            rc = sys_err(errno, name, "cannot truncate");
            close(*fd);
            *fd = -1;
            return rc;
        }
    }
    if ((rc = cer_write_all(*fd, line, len)) < 0) {
        rc = sys_err(-rc, name, "cannot append");
        goto fail;
    }
    if (sync && r->sync && fdatasync(*fd) < 0) {
        rc = sys_err(errno, name, "cannot sync");
        goto fail;
    }
    *size += (off_t)len;
    return 0;
fail:
    if (ftruncate(*fd, *size) < 0) {
        close(*fd);   /* reopened and cut by the next append */
        *fd = -1;
    }
    return rc;
}

static int journal_open(cer_registry *r)
{
    return lines_replay(r, &r->jfd, &r->jsize, JOURNAL_NAME, replay_line);
}

static int journal_append(cer_registry *r, const char *line, bool sync)
{
    return lines_append(r, &r->jfd, &r->jsize, JOURNAL_NAME, line, sync);
}

/* The strings of a journal call's stream (key, of the stream itself: norm)
 * and tip (cid). */
static int journal_args(char key[CER_STREAMID_STR_MAX], cer_streamref *norm, char cid[CER_CID_STR_MAX],
                        const cer_streamref *id, const cer_cid *tip)
{
    int rc;

    if (!tip)
        return cer_err(-EINVAL, "registry: NULL tip");
    if ((rc = stream_key(key, norm, id)) < 0)
        return rc;
    if ((rc = cer_cid_to_string(cid, CER_CID_STR_MAX, tip)) < 0)
        return cer_err_wrap(rc, "registry: journal entry");
    return 0;
}

int cer_registry_journal_add(cer_registry *r, const cer_streamref *id, const cer_cid *tip)
{
    char key[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX], *line = NULL;
    cer_streamref norm;
    const pending *e;
    pending *p = NULL;
    int rc;

    if ((rc = journal_args(key, &norm, cid, id, tip)) < 0 || (rc = journal_line(&line, key, cid, false)) < 0)
        return rc;
    pthread_mutex_lock(&r->jlock);
    if ((e = find_pending(r, NULL, cid))) {   /* there already, or another stream's */
        if (!cer_streamref_same_stream(&e->id, &norm))
            rc = cer_err(-EEXIST, "registry: commit %s is pending for another stream than %s", cid, key);
        goto out;
    }
    if ((rc = new_pending(&p, r, &norm, tip, cid)) == 0 && (rc = journal_append(r, line, true)) == 0) {
        link_pending(r, p);
        p = NULL;
    }
out:
    pthread_mutex_unlock(&r->jlock);
    free(p);
    free(line);
    return rc;
}

static void compact_if_due(cer_registry *r);

int cer_registry_journal_done(cer_registry *r, const cer_streamref *id, const cer_cid *tip)
{
    char key[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX], *line = NULL;
    cer_streamref norm;
    pending *p;
    int rc;

    if ((rc = journal_args(key, &norm, cid, id, tip)) < 0 || (rc = journal_line(&line, key, cid, true)) < 0)
        return rc;
    pthread_mutex_lock(&r->jlock);
    if (!(p = find_pending(r, &norm, cid)) || p->unsynced) {
        rc = cer_err(-ENOENT, "registry: no pending journal entry %s of %s", cid, key);
        goto out;
    }
    if ((rc = journal_append(r, line, true)) < 0)
        goto out;
    drop_pending(r, p);
    r->ndone++;
out:
    pthread_mutex_unlock(&r->jlock);
    free(line);
    /* the done line is durable; a failed compaction is retried next time */
    if (rc == 0)
        compact_if_due(r);
    return rc;
}

int cer_registry_journal_list(cer_registry *r,
                              int (*fn)(const cer_streamref *id, const cer_cid *tip, void *arg),
                              void *arg)
{
    struct { cer_streamref id; cer_cid tip; } *snap = NULL;
    size_t n;
    int rc = 0;

    pthread_mutex_lock(&r->jlock);
    n = r->npend;
    if (n && !(snap = malloc(n * sizeof *snap)))
        rc = oom();
    else if (n) {
        size_t i = 0;
        for (const pending *p = r->pend_first; p; p = p->next, i++) {
            snap[i].id = p->id;
            snap[i].tip = p->tip;
        }
    }
    pthread_mutex_unlock(&r->jlock);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(&snap[i].id, &snap[i].tip, arg);
    free(snap);
    return rc;
}

size_t cer_registry_journal_count(cer_registry *r)
{
    size_t n;

    pthread_mutex_lock(&r->jlock);
    n = r->npend;
    pthread_mutex_unlock(&r->jlock);
    return n;
}

long long cer_registry_journal_oldest_ms(cer_registry *r)
{
    long long at;

    pthread_mutex_lock(&r->jlock);
    at = r->pend_first ? r->pend_first->added_ms : 0;
    pthread_mutex_unlock(&r->jlock);
    return at;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                       */
/* ------------------------------------------------------------------ */

static int open_dir(cer_registry *r, const char *dir)
{
    if (!r->rdonly && mkdir(dir, 0700) < 0 && errno != EEXIST)
        return sys_err(errno, dir, "cannot create");
    r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->dirfd < 0)
        return sys_err(errno, dir, "cannot open");
    /* One writer at a time, and no reader while it writes: another
     * command (or a mount) may hold the lock for a moment, so wait a
     * little before giving up. A read-only open shares it with other
     * readers; flock needs no write access (a read-only file system). */
    for (int waited = 0; flock(r->dirfd, (r->rdonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0; waited += 20) {
        if (errno != EWOULDBLOCK)
            return sys_err(errno, dir, "cannot lock");
        if (waited >= CER_REGISTRY_LOCK_WAIT_MS)
            return cer_err(-EBUSY, "registry: %s is in use by another process (a mount or another "
                                   "command) and stayed busy for %d s",
                           dir, CER_REGISTRY_LOCK_WAIT_MS / 1000);
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    return 0;
}

int cer_registry_open(cer_registry **out, const char *dir, unsigned flags)
{
    cer_registry *r;
    int rc;

    *out = NULL;
    if (!dir || !dir[0])
        return cer_err(-EINVAL, "registry: no directory");
    if (!(r = calloc(1, sizeof *r)))
        return oom();
    r->dirfd = r->jfd = r->lfd = r->xfd = r->sfd = -1;
    r->sync = !(flags & CER_STORE_NOSYNC);
    r->rdonly = flags & CER_STORE_RDONLY;
    pthread_mutex_init(&r->wlock, NULL);
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->jlock, NULL);
    pthread_mutex_init(&r->slock, NULL);
    if (!(r->dir = strdup(dir))) {
        rc = oom();
        goto out;
    }
    if ((rc = open_dir(r, dir)) < 0 || (rc = load_dir(r)) < 0)
        goto out;
    warn_finish(r);
    r->opened = true;
    *out = r;
out:
    free_done_seen(r);
    if (rc < 0)
        cer_registry_close(r);
    return rc;
}

void cer_registry_close(cer_registry *r)
{
    rec *e;

    if (!r)
        return;
    /* a failed open may not have replayed the log: it stays for the next */
    if (r->opened && !r->blocks)
        (void)checkpoint(r);
    free_blocks(r);
    for (size_t pos = 0; (e = cer_strmap_next(&r->by_id, &pos));)
        free(e);
    for (size_t i = 0; i < r->nwarn; i++)
        free(r->warn[i]);
    free(r->warn);
    cer_strmap_free(&r->by_id);
    cer_strmap_free(&r->by_alias);
    while (r->pend_first)
        drop_pending(r, r->pend_first);
    cer_strmap_free(&r->pend_by_tip);
    free_done_seen(r);
    if (r->jfd >= 0)
        close(r->jfd);
    if (r->lfd >= 0)
        close(r->lfd);
    if (r->sfd >= 0)
        close(r->sfd);
    if (r->xfd >= 0)
        close(r->xfd);
    if (r->dirfd >= 0)
        close(r->dirfd);   /* releases the flock */
    pthread_mutex_destroy(&r->wlock);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->jlock);
    pthread_mutex_destroy(&r->slock);
    free(r->dir);
    free(r);
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

int cer_registry_get(cer_registry *r, const cer_streamref *id, cer_stream_info *out)
{
    char key[CER_STREAMID_STR_MAX];
    cer_streamref norm;
    rec *e;
    int rc;

    if ((rc = stream_key(key, &norm, id)) < 0)
        return rc;
    pthread_mutex_lock(&r->lock);
    if ((e = find_id(r, key)) != NULL)
        *out = e->info;
    pthread_mutex_unlock(&r->lock);
    return e ? 0 : cer_err(-ENOENT, "registry: no stream %s", key);
}

/* Check info and fill the normalised copy, its key and its record text. */
static int put_prepare(cer_stream_info *norm, char key[CER_STREAMID_STR_MAX], char **text,
                       const cer_stream_info *info)
{
    int rc;

    if (!info)
        return cer_err(-EINVAL, "registry: NULL stream info");
    *norm = *info;
    if ((rc = stream_key(key, &norm->id, &info->id)) < 0)
        return rc;
    if (!memchr(info->alias, '\0', sizeof info->alias))
        return cer_err(-EINVAL, "registry: alias not terminated");
    if (norm->alias[0] && (rc = cer_registry_alias_check(norm->alias)) < 0)
        return rc;
    if (norm->tip_time_ms <= 0)
        norm->tip_time_ms = cer_clock_ms(CLOCK_REALTIME);
    return record_text(text, key, norm);
}

/* Make norm the in-memory record of key (r->lock held, room reserved by
 * reserve_one): e is its record or NULL, in which case *fresh (made by
 * rec_new(key)) is used and set to NULL. */
static void set_rec(cer_registry *r, rec *e, rec **fresh, const cer_stream_info *norm)
{
    if (!e) {
        e = *fresh;
        *fresh = NULL;
        e->info = *norm;
        link_rec(r, e);
    } else if (strcmp(e->info.alias, norm->alias) != 0) {
        unlink_alias(r, e);
        e->info = *norm;
        link_alias(r, e);
    } else {
        e->info = *norm;
    }
}

/* ------------------------------------------------------------------ */
/* The write-ahead log (appended and emptied under wlock)               */
/* ------------------------------------------------------------------ */

/* One log line: the record with "prev", the tip it replaces (null for a
 * new record), and "journal", true when the line also adds the journal
 * entry of its tip. */
static int log_line(char **out, const char *key, const cer_stream_info *info, const cer_cid *prev, bool journal)
{
    char p[CER_CID_STR_MAX];
    cJSON *o;
    int rc;

    *out = NULL;
    if (prev && (rc = cer_cid_to_string(p, sizeof p, prev)) < 0)
        return cer_err_wrap(rc, "registry: bad tip");
    if ((rc = record_obj(&o, key, info)) < 0)
        return rc;
    if (!(prev ? cJSON_AddStringToObject(o, "prev", p) : cJSON_AddNullToObject(o, "prev")) ||
        !cJSON_AddBoolToObject(o, "journal", journal)) {
        cJSON_Delete(o);
        return oom();
    }
    return line_text(out, o);
}

/* Restore the journal entry (id, tip) of a replayed log line, unless the
 * journal has it pending or marked it done. */
static int log_journal(cer_registry *r, const cer_streamref *id, const cer_cid *tip, const char *key, size_t lineno)
{
    char cid[CER_CID_STR_MAX], *line = NULL;
    const pending *e;
    pending *p;
    int rc;

    if ((rc = cer_cid_to_string(cid, sizeof cid, tip)) < 0)
        return rc;
    if ((e = find_pending(r, NULL, cid)) || cer_strmap_get(&r->done_seen, cid)) {
        if (e && !cer_streamref_same_stream(&e->id, id))
            warn(r, "registry: " LOG_NAME " line %zu: journal entry skipped: its tip is pending for another stream",
                 lineno);
        return 0;
    }
    if ((rc = new_pending(&p, r, id, tip, cid)) < 0)
        return rc;
    if (!r->rdonly && ((rc = journal_line(&line, key, cid, false)) < 0 || (rc = journal_append(r, line, false)) < 0)) {
        free(p);
        free(line);
        return rc;
    }
    link_pending(r, p);
    free(line);
    return 0;
}

static bool same_info(const cer_stream_info *a, const cer_stream_info *b)
{
    return cer_cid_equal(&a->tip, &b->tip) && a->pinned == b->pinned && strcmp(a->alias, b->alias) == 0 &&
           a->tip_time_ms == b->tip_time_ms;
}

/* A block line {"cid","block": base64} read at open: kept for
 * cer_registry_log_blocks_of (the store checks the bytes against the CID). */
static int log_block_line(cer_registry *r, const cJSON *o)
{
    const cJSON *bv = cJSON_GetObjectItemCaseSensitive(o, "block");
    const char *cs = NULL;
    logged_block *b;
    size_t n;
    int rc;

    if ((rc = member_string(&cs, o, "cid")) < 0 || !cJSON_IsString(bv))
        return rc < 0 ? rc : cer_err(-EINVAL, "\"block\" is not a string");
    n = strlen(bv->valuestring);
    if (n > cer_base_encoded_max(CER_BASE64, CER_BLOCK_MAX))
        return cer_err(-EFBIG, "a block over %d bytes", CER_BLOCK_MAX);
    if (!(b = malloc(sizeof *b + n)))
        return oom();
    if ((rc = cer_cid_parse(&b->cid, cs)) < 0 ||
        (rc = cer_base_decode(b->data, n, CER_BASE64, bv->valuestring, n)) < 0) {
        free(b);
        return cer_err_wrap(rc, "bad \"cid\" or \"block\"");
    }
    b->len = (size_t)rc;
    b->next = NULL;
    *(r->blocks ? r->blocks_end : &r->blocks) = b;
    r->blocks_end = &b->next;
    return 0;
}

static void free_blocks(cer_registry *r)
{
    for (logged_block *b = r->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    r->blocks = NULL;
}

int cer_registry_log_block(cer_registry *r, const cer_cid *cid, const uint8_t *data, size_t len)
{
    char c[CER_CID_STR_MAX], *text = NULL;
    cer_buf b = CER_BUF_INIT;
    size_t cap = cer_base_encoded_max(CER_BASE64, len);
    int rc;

    if (r->rdonly)
        return refuse_rdonly(r);
    if (len > CER_BLOCK_MAX)
        return cer_err(-EFBIG, "registry: a block over %d bytes", CER_BLOCK_MAX);
    if ((rc = cer_cid_to_string(c, sizeof c, cid)) < 0)
        return cer_err_wrap(rc, "registry: bad block CID");
    if (!(text = malloc(cap)))
        return oom();
    if ((rc = cer_base_encode(text, cap, CER_BASE64, data, len)) >= 0 &&
        (rc = cer_buf_puts(&b, "{\"cid\":\"")) == 0 && (rc = cer_buf_puts(&b, c)) == 0 &&
        (rc = cer_buf_puts(&b, "\",\"block\":\"")) == 0 && (rc = cer_buf_puts(&b, text)) == 0 &&
        (rc = cer_buf_puts(&b, "\"}\n")) == 0) {
        pthread_mutex_lock(&r->wlock);
        rc = log_append(r, (const char *)b.data, NULL, NULL);
        if (rc == 0 && r->lsize > CER_REGISTRY_LOG_MAX && !r->blocks)
            rc = checkpoint(r);
        pthread_mutex_unlock(&r->wlock);
    }
    cer_buf_free(&b);
    free(text);
    return rc;
}

int cer_registry_log_blocks_of(cer_registry *r, const char *dir,
                               int (*put)(void *arg, const cer_cid *cid, const uint8_t *data, size_t len),
                               void *arg)
{
    int rc = 0;

    /* no lock held across put: it may be a store that logs its puts here */
    if (r->xfd < 0 && dir && (r->xfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return sys_err(errno, dir, "cannot open");
    for (logged_block *b = r->blocks; rc == 0 && b && !r->rdonly; b = b->next)
        if ((rc = put(arg, &b->cid, b->data, b->len)) == -EBADMSG || rc == -EFBIG || rc == -EINVAL)
            rc = 0;   /* not the block its line names: nothing to keep */
    if (rc < 0)
        return rc;   /* the log stays for the next open */
    pthread_mutex_lock(&r->wlock);
    free_blocks(r);
    rc = checkpoint(r);
    pthread_mutex_unlock(&r->wlock);
    return rc;
}

/* Replay one line of the log (see registry.h): the record moves to the
 * line's when it has none or its tip is the line's "prev" (so it never
 * goes back past a tip recorded since), the journal entry is restored. */
static int log_replay_line(cer_registry *r, const char *line, size_t len, size_t lineno)
{
    char name[NAME_MAX_LEN], *text = NULL;
    cer_stream_info info;
    const cJSON *pv = NULL, *jv = NULL;
    const char *sid = NULL;
    cer_cid prev;
    cJSON *o = NULL;
    rec *e, *holder, *fresh = NULL;
    int rc;

    if (len == 0)
        return 0;
    if ((rc = cer_json_parse(&o, line, len, 0)) == 0 && cJSON_GetObjectItemCaseSensitive(o, "block")) {
        rc = log_block_line(r, o);
        cJSON_Delete(o);
        if (rc < 0 && rc != -ENOMEM) {
            warn(r, "registry: " LOG_NAME " line %zu: skipped: %s", lineno, cer_errmsg());
            rc = 0;
        }
        return rc;
    }
    if (rc == 0 && (rc = member_string(&sid, o, "streamId")) == 0 &&
        (rc = record_check(&info, sid, o)) == 0) {
        pv = cJSON_GetObjectItemCaseSensitive(o, "prev");
        jv = cJSON_GetObjectItemCaseSensitive(o, "journal");
        if (!(cJSON_IsNull(pv) || (cJSON_IsString(pv) && cer_cid_parse(&prev, pv->valuestring) == 0)) ||
            !cJSON_IsBool(jv))
            rc = cer_err(-EINVAL, "\"prev\" is not a CID or null, or \"journal\" not true or false");
    }
    if (rc < 0) {
        cJSON_Delete(o);
        if (rc == -ENOMEM)
            return rc;
        warn(r, "registry: " LOG_NAME " line %zu: skipped: %s", lineno, cer_errmsg());
        return 0;
    }
    e = find_id(r, sid);
    if (e && !(cJSON_IsString(pv) && cer_cid_equal(&e->info.tip, &prev)))
        goto journal;   /* written before the crash, or moved on since */
    if (e && same_info(&e->info, &info))
        goto journal;   /* a change of tip-less fields, written before the crash */
    holder = info.alias[0] ? find_alias(r, info.alias) : NULL;
    if (holder && holder != e) {
        warn(r, "registry: " LOG_NAME " line %zu: alias \"%s\" is %s's; the line's alias ignored", lineno,
             info.alias, holder->key);
        info.alias[0] = '\0';
    }
    if (!(fresh = rec_new(sid)) || reserve_one(r) < 0) {
        rc = oom();
        goto out;
    }
    if (!r->rdonly && ((rc = file_name(name, sizeof name, sid, RECORD_EXT)) < 0 ||
                       (rc = record_text(&text, sid, &info)) < 0 ||
                       (rc = write_replace(r, name, text, strlen(text), false)) < 0))
        goto out;
    set_rec(r, e, &fresh, &info);
journal:
    if (cJSON_IsTrue(jv))
        rc = log_journal(r, &info.id, &info.tip, sid, lineno);
out:
    free(fresh);
    free(text);
    cJSON_Delete(o);
    return rc;
}

/* Replay the log and empty it (a read-only open only reads it). */
static int log_open(cer_registry *r)
{
    int rc = lines_replay(r, &r->lfd, &r->lsize, LOG_NAME, log_replay_line);

    if (rc == 0 && r->lfd >= 0 && !r->rdonly && (r->sfd = dup(r->lfd)) < 0)
        rc = sys_err(errno, LOG_NAME, "cannot open");
    atomic_store(&r->lend, (long long)r->lsize);
    /* with blocks, the checkpoint waits until they are in the store */
    return rc < 0 || r->blocks ? rc : checkpoint(r);
}

/* Make every record and journal line written so far durable, then empty
 * the log (wlock held, or during open and close). */
static int checkpoint(cer_registry *r)
{
    int rc = 0;

    if (r->rdonly || r->lfd < 0)
        return 0;
    pthread_mutex_lock(&r->jlock);
    if (r->jstale && (rc = journal_compact(r)) == 0)
        r->jstale = false;
    pthread_mutex_unlock(&r->jlock);
    if (rc < 0 || r->lsize == 0)
        return rc;
    pthread_mutex_lock(&r->slock);
    if ((rc = atomic_load(&r->broken)) != 0)
        rc = cer_err(-EIO, "registry: " LOG_NAME " was not emptied: a sync of it failed (%s)", strerror(rc));
    else if (r->sync && (syncfs(r->dirfd) < 0 || (r->xfd >= 0 && syncfs(r->xfd) < 0)))
        rc = sys_err(errno, r->dir, "cannot sync the file system");
    else if (ftruncate(r->lfd, 0) < 0 || (r->sync && fdatasync(r->lfd) < 0))
        rc = sys_err(errno, LOG_NAME, "cannot empty");
    if (rc == 0) {
        r->lsize = 0;
        r->synced = 0;
        atomic_store(&r->lend, 0);
        atomic_fetch_add(&r->lgen, 1);
    }
    pthread_mutex_unlock(&r->slock);
    return rc;
}

/* Append a line to the log (wlock held), not synced: *gen and *end say
 * what log_sync must make durable. */
static int log_append(cer_registry *r, const char *line, unsigned long *gen, off_t *end)
{
    int e = atomic_load(&r->broken), rc;

    if (e)
        return cer_err(-EIO, "registry: changes refused since a sync of " LOG_NAME " failed (%s): reopen",
                       strerror(e));
    if ((rc = lines_append(r, &r->lfd, &r->lsize, LOG_NAME, line, false)) < 0)
        return rc;
    atomic_store(&r->lend, (long long)r->lsize);
    if (gen) {
        *gen = atomic_load(&r->lgen);
        *end = r->lsize;
    }
    return 0;
}

/* Make the log durable up to end of generation gen (no lock held): one
 * fdatasync serves every line appended before it started, so changes
 * made at the same time share it. 1 when a checkpoint made the line
 * durable and emptied the log meanwhile (what is written from now on is
 * not covered by it). A failed sync may have lost lines whose changes
 * are in memory: every change after it is refused. */
static int log_sync(cer_registry *r, unsigned long gen, off_t end)
{
    int rc = 0, e;

    if (gen != atomic_load(&r->lgen))
        return 1;
    if (!r->sync)
        return 0;
    pthread_mutex_lock(&r->slock);
    if ((e = atomic_load(&r->broken)) != 0) {
        rc = cer_err(-EIO, "registry: a sync of " LOG_NAME " failed (%s): reopen", strerror(e));
    } else if (gen != atomic_load(&r->lgen)) {
        rc = 1;
    } else if (r->synced < end) {
        /* a checkpoint (which takes slock) has not emptied the log since */
        off_t target = (off_t)atomic_load(&r->lend);
        if (fdatasync(r->sfd) < 0) {
            atomic_store(&r->broken, errno);
            rc = sys_err(errno, LOG_NAME, "cannot sync");
        } else {
            r->synced = target;
        }
    }
    pthread_mutex_unlock(&r->slock);
    return rc;
}

/* Compact the journal once it holds enough "done" lines: after a
 * checkpoint, so that no log line names a journal entry whose done line
 * the compaction drops. */
static void compact_if_due(cer_registry *r)
{
    bool due;

    pthread_mutex_lock(&r->jlock);
    due = r->ndone > CER_REGISTRY_COMPACT_DONE;
    pthread_mutex_unlock(&r->jlock);
    if (!due)
        return;
    pthread_mutex_lock(&r->wlock);
    if (checkpoint(r) == 0) {
        pthread_mutex_lock(&r->jlock);
        if (r->ndone > CER_REGISTRY_COMPACT_DONE)
            journal_compact(r);
        pthread_mutex_unlock(&r->jlock);
    }
    pthread_mutex_unlock(&r->wlock);
    cer_errclear();   /* retried at the next done line */
}

int cer_registry_commit(cer_registry *r, const cer_stream_info *info, bool journal)
{
    char key[CER_STREAMID_STR_MAX], name[NAME_MAX_LEN], cid[CER_CID_STR_MAX];
    char *text = NULL, *old = NULL, *line = NULL, *jline = NULL;
    cer_stream_info norm, was = {0};
    unsigned long gen = 0;
    off_t end = 0;
    bool checkpointed = false;
    const pending *q;
    pending *p = NULL;
    rec *e, *holder, *fresh = NULL;
    int rc;

    if (r->rdonly)
        return refuse_rdonly(r);
    if ((rc = put_prepare(&norm, key, &text, info)) < 0 || (rc = file_name(name, sizeof name, key, RECORD_EXT)) < 0)
        goto done;
    if (journal && ((rc = cer_cid_to_string(cid, sizeof cid, &norm.tip)) < 0 ||
                    (rc = journal_line(&jline, key, cid, false)) < 0))
        goto done;
    if (!(fresh = rec_new(key))) {
        rc = oom();
        goto done;
    }
    /* Writers take wlock, so the map cannot change between the checks and
     * the update below; readers take only lock, which is not held during
     * the writes. The memory changes with the log line, before the line is
     * synced (after wlock is released, see log_sync), so that the next
     * line's "prev" is this one's tip; the journal entry becomes visible
     * only once the line is durable: nothing publishes a commit a crash
     * could still take back. */
    pthread_mutex_lock(&r->wlock);
    pthread_mutex_lock(&r->lock);
    e = find_id(r, key);
    holder = norm.alias[0] ? find_alias(r, norm.alias) : NULL;
    if (holder && holder != e)
        rc = cer_err(-EEXIST, "registry: alias \"%s\" is already the alias of %s", norm.alias, holder->key);
    else if ((rc = reserve_one(r)) == 0 && e)
        was = e->info;
    pthread_mutex_unlock(&r->lock);
    if (rc < 0 || (e && (rc = record_text(&old, key, &was)) < 0))
        goto out;
    if (journal) {
        pthread_mutex_lock(&r->jlock);
        if ((q = find_pending(r, NULL, cid)) && !cer_streamref_same_stream(&q->id, &norm.id))
            rc = cer_err(-EEXIST, "registry: commit %s is pending for another stream than %s", cid, key);
        else if (!q && (rc = new_pending(&p, r, &norm.id, &norm.tip, cid)) == 0) {
            p->unsynced = true;   /* in the map (no second entry), not in the list */
            cer_strmap_put(&r->pend_by_tip, p->key, p);
        }
        pthread_mutex_unlock(&r->jlock);
        if (rc < 0)
            goto out;
    }
    /* the record without fsync, then the log line that makes it (and the
     * journal entry) durable: a crash before the line leaves the record
     * at a tip whose blocks are stored, which was never acknowledged */
    if ((rc = write_replace(r, name, text, strlen(text), false)) < 0 ||
        (rc = log_line(&line, key, &norm, e ? &was.tip : NULL, p != NULL)) < 0 ||
        (rc = log_append(r, line, &gen, &end)) < 0) {
        if (old)
            (void)write_replace(r, name, old, strlen(old), false);
        else
            unlinkat(r->dirfd, name, 0);
        goto out;
    }
    pthread_mutex_lock(&r->lock);
    set_rec(r, e, &fresh, &norm);
    pthread_mutex_unlock(&r->lock);
out:
    pthread_mutex_unlock(&r->wlock);
    if (rc == 0 && (rc = log_sync(r, gen, end)) == 1) {
        checkpointed = true;
        rc = 0;
    }
    if (p) {
        pthread_mutex_lock(&r->jlock);
        if (rc == 0) {
            /* after a checkpoint emptied the log, the journal line is
             * durable only by its own sync */
            bool appended = journal_append(r, jline, checkpointed) == 0;
            p->unsynced = false;
            link_pending(r, p);
            p = NULL;
            /* the log holds it until a checkpoint rewrites the journal,
             * unless a checkpoint emptied it already: rewrite it now */
            if (!appended && (!checkpointed || journal_compact(r) < 0))
                r->jstale = true;
            cer_errclear();
        } else {
            cer_strmap_del(&r->pend_by_tip, p->key);
        }
        pthread_mutex_unlock(&r->jlock);
    }
    if (rc == 0 && end > CER_REGISTRY_LOG_MAX) {
        pthread_mutex_lock(&r->wlock);
        if (r->lsize > CER_REGISTRY_LOG_MAX && !r->blocks && checkpoint(r) < 0)
            cer_errclear();   /* durable already; retried at the next line */
        pthread_mutex_unlock(&r->wlock);
    }
done:
    free(p);
    free(fresh);
    free(text);
    free(old);
    free(line);
    free(jline);
    return rc;
}

int cer_registry_put(cer_registry *r, const cer_stream_info *info)
{
    return cer_registry_commit(r, info, false);
}

int cer_registry_find_alias(cer_registry *r, const char *alias, cer_streamref *out)
{
    char ex[CER_EXCERPT_MAX];
    rec *e;

    if (!alias)
        return cer_err(-EINVAL, "registry: NULL alias");
    pthread_mutex_lock(&r->lock);
    if ((e = find_alias(r, alias)) != NULL)
        *out = e->info.id;
    pthread_mutex_unlock(&r->lock);
    return e ? 0 : cer_err(-ENOENT, "registry: no stream has the alias %s", cer_excerpt(ex, alias));
}

size_t cer_registry_count(cer_registry *r)
{
    size_t n;

    pthread_mutex_lock(&r->lock);
    n = r->by_id.count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

int cer_registry_list(cer_registry *r, int (*fn)(const cer_stream_info *info, void *arg), void *arg)
{
    cer_stream_info *snap = NULL;
    size_t n = 0;
    rec *e;
    int rc = 0;

    pthread_mutex_lock(&r->lock);
    if (r->by_id.count && !(snap = malloc(r->by_id.count * sizeof *snap)))
        rc = oom();
    for (size_t pos = 0; snap && (e = cer_strmap_next(&r->by_id, &pos));)
        snap[n++] = e->info;
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(&snap[i], arg);
    free(snap);
    return rc;
}

/* ------------------------------------------------------------------ */
/* State caches (no lock: each file is replaced atomically by rename)   */
/* ------------------------------------------------------------------ */

/* True when v holds a double that prints as a bare integer literal beyond
 * +-(2^53-1), which CER_JSON_EXACT_INTS would read back as an exact raw
 * integer. */
static bool has_big_double(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return fabs(v->valuedouble) > CER_JSON_SAFE_INT_MAX && fabs(v->valuedouble) < 1e21;
    for (const cJSON *c = (cJSON_IsArray(v) || cJSON_IsObject(v)) ? v->child : NULL; c; c = c->next)
        if (has_big_double(c))
            return true;
    return false;
}

/* Write value as the file <stream key><ext> (durable when sync). */
static int save_json(cer_registry *r, const cer_streamref *id, const char *ext, const cJSON *value, bool sync,
                     const char *what)
{
    char key[CER_STREAMID_STR_MAX], name[NAME_MAX_LEN], *text = NULL;
    cer_streamref norm;
    int rc;

    if (!value)
        return cer_err(-EINVAL, "registry: NULL %s", what);
    if ((rc = stream_key(key, &norm, id)) < 0 || (rc = file_name(name, sizeof name, key, ext)) < 0)
        return rc;
    /* read back with CER_JSON_EXACT_INTS: raw integers stay exact, and with
     * CER_JSON_DAGJSON big doubles get ".0" and stay doubles */
    if ((rc = cer_json_print(&text, value, has_big_double(value) ? CER_JSON_DAGJSON : 0)) < 0) {
        rc = cer_err_wrap(rc, "registry: %s of %s", what, key);
        goto out;
    }
    rc = write_replace(r, name, text, strlen(text), sync);
out:
    free(text);
    return rc;
}

/* Read the file <stream key><ext> (at most max bytes) into *out; its name
 * in name. -ENOENT when absent. */
static int load_json(cer_registry *r, const cer_streamref *id, const char *ext, size_t max, cJSON **out,
                     char name[NAME_MAX_LEN])
{
    char key[CER_STREAMID_STR_MAX];
    cer_buf buf = CER_BUF_INIT;
    cer_streamref norm;
    int rc;

    *out = NULL;
    if ((rc = stream_key(key, &norm, id)) < 0 || (rc = file_name(name, NAME_MAX_LEN, key, ext)) < 0)
        return rc;
    if ((rc = read_file(r, name, max, &buf)) == 0)
        rc = cer_json_parse(out, (const char *)buf.data, buf.len, CER_JSON_EXACT_INTS);
    cer_buf_free(&buf);
    return rc;
}

int cer_registry_save_cache(cer_registry *r, const cer_streamref *id, const cJSON *state)
{
    return save_json(r, id, CACHE_EXT, state, false, "cache");
}

int cer_registry_load_cache(cer_registry *r, const cer_streamref *id, cJSON **out)
{
    char name[NAME_MAX_LEN];
    int rc = load_json(r, id, CACHE_EXT, CACHE_MAX, out, name);

    if (rc < 0 && rc != -ENOENT && rc != -ENOMEM) {
        rc = cer_err_wrap(-ENOENT, "registry: cache %s unreadable%s", name, r->rdonly ? "" : ", deleted");
        if (!r->rdonly)
            unlinkat(r->dirfd, name, 0);
    }
    return rc;
}

int cer_registry_save_lost(cer_registry *r, const cer_streamref *id, const cJSON *lost)
{
    return save_json(r, id, LOST_EXT, lost, r->sync, "lost branches");
}

int cer_registry_load_lost(cer_registry *r, const cer_streamref *id, cJSON **out)
{
    char name[NAME_MAX_LEN];
    int rc = load_json(r, id, LOST_EXT, LOST_FILE_MAX, out, name);

    /* what the user saved: never deleted, and a damaged file is an error */
    if (rc < 0 && rc != -ENOENT && rc != -ENOMEM)
        rc = cer_err_wrap(-EBADMSG, "registry: %s unreadable (left as it is)", name);
    return rc;
}
