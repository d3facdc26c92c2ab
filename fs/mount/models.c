/*
 * models.c — the Models' folders: MOUNT/.models/<name>-<StreamID>/, one
 * per Model the node has, listing the ModelInstanceDocuments (MIDs) of
 * that Model it pins (the same document directories as in the root, by
 * alias or StreamID) and the documents mkdir'd there, pending until their
 * first valid save makes the MID (cer_node_save_mid, from docs.c).
 *
 * A folder's name is the Model's name (at most 64 bytes; bytes outside
 * [A-Za-z0-9._-] as '_', a leading '.' too), '-' and its StreamID: it is
 * what a user recognises, unique (names are not: the StreamID is), and
 * stable (a Model never changes after its genesis). Which Model a MID
 * belongs to never changes either (its genesis names it): both are
 * cached here, by StreamID, for the mount's life.
 */
#include "mount.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 16384  /* chains stay short up to ~100,000 MIDs */

/* A cached answer: a Model's folder name, or a MID's Model (StreamID),
 * under a StreamID (both strings in text: one allocation of their size). */
typedef struct mentry {
    struct mentry *next;
    const char *val;
    char key[];
} mentry;

struct cfs_models {
    pthread_mutex_t lock;       /* guards buckets; a leaf */
    mentry *buckets[BUCKETS];
};

int cfs_models_init(cfs_fs *fs)
{
    if (!(fs->models = calloc(1, sizeof *fs->models)))
        return -ENOMEM;
    pthread_mutex_init(&fs->models->lock, NULL);
    return 0;
}

void cfs_models_fini(cfs_fs *fs)
{
    if (!fs->models)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        for (mentry *e = fs->models->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    pthread_mutex_destroy(&fs->models->lock);
    free(fs->models);
    fs->models = NULL;
}

static bool cache_get(cfs_fs *fs, const char *key, char out[CFS_FOLDER_MAX])
{
    size_t b = (size_t)(cer_hash(key, strlen(key)) % BUCKETS);
    bool found = false;

    pthread_mutex_lock(&fs->models->lock);
    for (mentry *e = fs->models->buckets[b]; e && !found; e = e->next)
        if (strcmp(e->key, key) == 0) {
            snprintf(out, CFS_FOLDER_MAX, "%s", e->val);
            found = true;
        }
    pthread_mutex_unlock(&fs->models->lock);
    return found;
}

/* Best effort: an answer not cached is asked again next time. */
static void cache_put(cfs_fs *fs, const char *key, const char *val)
{
    size_t b = (size_t)(cer_hash(key, strlen(key)) % BUCKETS), klen = strlen(key) + 1, vlen = strlen(val) + 1;
    mentry *e = malloc(sizeof *e + klen + vlen);

    if (!e)
        return;
    memcpy(e->key, key, klen);
    memcpy(e->key + klen, val, vlen);
    e->val = e->key + klen;
    pthread_mutex_lock(&fs->models->lock);
    e->next = fs->models->buckets[b];
    fs->models->buckets[b] = e;
    pthread_mutex_unlock(&fs->models->lock);
}

int cfs_model_folder(cfs_fs *fs, const cer_streamref *id, char *out)
{
    char sid[CER_STREAMID_STR_MAX], name[65];
    const cJSON *n;
    cer_state *st = NULL;
    size_t i = 0;
    int rc;

    if (id->type != CER_STREAM_MODEL || cer_streamref_to_string(sid, sizeof sid, id) < 0)
        return -ENOENT;
    if (cache_get(fs, sid, out))
        return 0;
    if ((rc = cer_node_state(fs->node, &st, id)) < 0)
        return rc == -ENOENT ? rc : -EIO;
    n = cJSON_GetObjectItemCaseSensitive(st->content, "name");
    for (const char *p = cJSON_IsString(n) ? n->valuestring : ""; *p && i < sizeof name - 1; p++, i++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                  *p == '_' || (*p == '.' && i > 0);
        name[i] = ok ? *p : '_';
    }
    name[i] = '\0';
    cer_state_free(st);
    snprintf(out, CFS_FOLDER_MAX, "%s-%s", i ? name : "model", sid);
    cache_put(fs, sid, out);
    return 0;
}

/* The StreamID of MID id's Model, as a string (out: CFS_FOLDER_MAX). */
static int mid_model(cfs_fs *fs, const cer_streamref *id, char *out)
{
    char sid[CER_STREAMID_STR_MAX];
    cer_streamref model;
    int rc;

    if (id->type != CER_STREAM_MID || cer_streamref_to_string(sid, sizeof sid, id) < 0)
        return -ENOENT;
    if (cache_get(fs, sid, out))
        return 0;
    if ((rc = cer_node_mid_model(fs->node, id, &model)) < 0 ||
        (rc = cer_streamref_to_string(out, CFS_FOLDER_MAX, &model)) < 0)
        return rc;
    cache_put(fs, sid, out);
    return 0;
}

/* The node's streams of one type (and for MIDs only those it pins), taken
 * first: fn then runs with no registry lock held. */
typedef struct idlist {
    int type;
    cer_streamref *ids;
    char (*names)[sizeof ((cer_stream_info *)0)->alias];  /* alias, "" when none */
    size_t n, cap;
} idlist;

static int collect(const cer_stream_info *info, void *arg)
{
    idlist *l = arg;

    if ((int)info->id.type != l->type || (l->type == CER_STREAM_MID && !info->pinned))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        cer_streamref *ids = realloc(l->ids, cap * sizeof *ids);
        char(*names)[sizeof info->alias];

        if (!ids)
            return -ENOMEM;
        l->ids = ids;
        if (!(names = realloc(l->names, cap * sizeof *names)))
            return -ENOMEM;
        l->names = names;
        l->cap = cap;
    }
    l->ids[l->n] = info->id;
    memcpy(l->names[l->n], info->alias, sizeof l->names[l->n]);
    l->n++;
    return 0;
}

static int list_type(cfs_fs *fs, idlist *l, int type)
{
    memset(l, 0, sizeof *l);
    l->type = type;
    return cer_node_list(fs->node, collect, l);
}

static void idlist_free(idlist *l)
{
    free(l->ids);
    free(l->names);
}

int cfs_models_list(cfs_fs *fs, int (*fn)(const char *name, uint64_t ino, void *arg), void *arg)
{
    char folder[CFS_FOLDER_MAX];
    idlist l;
    int rc = list_type(fs, &l, CER_STREAM_MODEL);

    for (size_t i = 0; i < l.n && rc == 0; i++)
        if (cfs_model_folder(fs, &l.ids[i], folder) == 0)  /* one that does not load is left out */
            rc = fn(folder, cfs_stream_ino(&l.ids[i], CFS_ROLE_MODEL), arg);
    idlist_free(&l);
    return rc;
}

cfs_doc *cfs_model_lookup(cfs_fs *fs, const char *name, int *err)
{
    char folder[CFS_FOLDER_MAX];
    const char *dash = strrchr(name, '-');
    cer_streamref id;
    bool by_id;

    *err = -ENOENT;
    if (!dash || cer_streamref_parse(&id, dash + 1) < 0 || id.is_commit || id.type != CER_STREAM_MODEL ||
        cfs_model_folder(fs, &id, folder) < 0 || strcmp(folder, name) != 0)
        return NULL;
    return cfs_doc_lookup(fs, dash + 1, &by_id, err);
}

bool cfs_doc_of_model(cfs_fs *fs, cfs_doc *doc, cer_streamref *model)
{
    char sid[CFS_FOLDER_MAX];
    cer_streamref id;

    if (cfs_doc_model(fs, doc, model))
        return true;
    return cfs_doc_stream(fs, doc, &id) && mid_model(fs, &id, sid) == 0 && cer_streamref_parse(model, sid) == 0;
}

static int model_sid(cfs_fs *fs, cfs_doc *model, cer_streamref *id, char sid[CER_STREAMID_STR_MAX])
{
    if (!cfs_doc_stream(fs, model, id) || cer_streamref_to_string(sid, CER_STREAMID_STR_MAX, id) < 0)
        return -ENOENT;
    return 0;
}

int cfs_model_docs(cfs_fs *fs, cfs_doc *model, int (*fn)(const char *name, uint64_t ino, void *arg), void *arg)
{
    char sid[CER_STREAMID_STR_MAX], m[CFS_FOLDER_MAX], name[CER_STREAMID_STR_MAX];
    cer_streamref mid;
    idlist l;
    int rc;

    if ((rc = model_sid(fs, model, &mid, sid)) < 0)
        return rc;
    rc = list_type(fs, &l, CER_STREAM_MID);
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        if (mid_model(fs, &l.ids[i], m) < 0 || strcmp(m, sid) != 0)
            continue;
        if (l.names[i][0])
            snprintf(name, sizeof name, "%s", l.names[i]);
        else
            cer_streamref_to_string(name, sizeof name, &l.ids[i]);
        rc = fn(name, cfs_stream_ino(&l.ids[i], CFS_ROLE_MDOC), arg);
    }
    idlist_free(&l);
    return rc == 0 ? cfs_docs_pending(fs, &mid, fn, arg) : rc;
}

cfs_doc *cfs_model_doc_lookup(cfs_fs *fs, cfs_doc *model, const char *name, int *err)
{
    char sid[CER_STREAMID_STR_MAX];
    cer_streamref id, of;
    cfs_doc *d;
    bool by_id;

    if ((*err = model_sid(fs, model, &id, sid)) < 0)
        return NULL;
    /* by its listed name only: a second name would be a second
     * directory inode for the document in the same folder */
    if (!(d = cfs_doc_lookup(fs, name, &by_id, err)))
        return NULL;
    if (by_id || !cfs_doc_of_model(fs, d, &of) || !cer_streamref_same_stream(&of, &id)) {
        *err = -ENOENT;
        return NULL;
    }
    return d;
}

int cfs_model_mkdir(cfs_fs *fs, cfs_doc *model, const char *name, cfs_doc **out)
{
    char sid[CER_STREAMID_STR_MAX], have[CER_STREAMID_STR_MAX];
    cer_stream_info info;
    cer_streamref id, single;
    int rc;

    *out = NULL;
    if ((rc = model_sid(fs, model, &id, sid)) < 0)
        return rc;
    if ((rc = cer_node_mid_target(fs->node, &id, &single)) < 0) {
        cer_node_event(fs->node, "mkdir", &id, "mkdir %.80s: %s", name, cer_errmsg());
        return rc == -ENOENT ? -ENOENT : -EPERM;
    }
    /* single: this key has one document of the Model. Unpinned (rmdir'd),
     * mkdir keeps it again under name; kept, a second is EEXIST, as for a
     * name that is taken */
    if (rc == 1 && cer_node_info(fs->node, &single, &info) == 0 && !info.pinned) {
        cer_streamref_to_string(have, sizeof have, &single);
        if ((rc = cfs_doc_mkdir(fs, have, out)) < 0 || (rc = cfs_doc_rename(fs, have, name, RENAME_NOREPLACE)) < 0)
            return rc;
        return 0;
    }
    if (rc == 1 && cer_node_info(fs->node, &single, &info) == 0) {
        if (info.alias[0])
            snprintf(have, sizeof have, "%s", info.alias);
        else
            cer_streamref_to_string(have, sizeof have, &single);
        cer_node_event(fs->node, "mkdir", &id, "mkdir %.80s: the Model's account relation is single and this key's "
                       "document of it is %s", name, have);
        return -EEXIST;
    }
    return cfs_doc_mkdir_mid(fs, name, &id, rc == 1, out);
}
