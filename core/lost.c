/*
 * lost.c — the branches a stream lost to conflict resolution: recorded by
 * the node when a merge replaces its tip and drops commits from its log,
 * listed for the mount's .conflicts/ (see lost.h for the file's shape and
 * bounds). The file is read as outside input: strict shape, linear time.
 */
#include "lost.h"
#include "error.h"
#include "json.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Content kept for a stream's lost branches, beyond the newest one. */
#define LOST_BYTES_MAX (64 * 1024 * 1024)

void cer_lost_branches_free(cer_lost_branch *b, size_t count)
{
    for (size_t i = 0; b && i < count; i++)
        cJSON_Delete(b[i].content);
    free(b);
}

/* A whole number in [min, 2^53) from member name of o. */
static int get_count(double *out, const cJSON *o, const char *name, double min)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > CER_JSON_SAFE_INT_MAX ||
        v->valuedouble != floor(v->valuedouble))
        return cer_err(-EBADMSG, "lost branches: \"%s\" is not a whole number", name);
    *out = v->valuedouble;
    return 0;
}

static int get_cid(cer_cid *out, const cJSON *o, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

    if (!s || cer_cid_parse(out, s) < 0)
        return cer_err(-EBADMSG, "lost branches: \"%s\" is not a CID", name);
    return 0;
}

/* One entry of the file; its n must be above prev_n. content is borrowed. */
static int entry_parse(cer_lost_branch *b, const cJSON *e, unsigned prev_n)
{
    double n, time, dropped;
    int rc;

    memset(b, 0, sizeof *b);
    if (!cJSON_IsObject(e))
        return cer_err(-EBADMSG, "lost branches: an entry is not an object");
    if ((rc = get_count(&n, e, "n", 1)) < 0 || (rc = get_count(&time, e, "time", 0)) < 0 ||
        (rc = get_count(&dropped, e, "dropped", 1)) < 0 || (rc = get_cid(&b->tip, e, "tip")) < 0 ||
        (rc = get_cid(&b->replaced_by, e, "replacedBy")) < 0)
        return rc;
    if (n <= prev_n || n > UINT_MAX)
        return cer_err(-EBADMSG, "lost branches: entry numbers out of order");
    if (!cJSON_GetObjectItemCaseSensitive(e, "content"))
        return cer_err(-EBADMSG, "lost branches: an entry has no content");
    b->n = (unsigned)n;
    b->time_ms = (int64_t)time;
    b->dropped = (size_t)dropped;
    return 0;
}

/* The file of id checked (entries in order, within bounds), or a new
 * empty one; *lost is its array. Caller frees *out. */
static int load(cer_registry *r, const cer_streamref *id, cJSON **out, cJSON **lost)
{
    char sid[CER_STREAMID_STR_MAX];
    cer_streamref norm = *id;
    cer_lost_branch b;
    unsigned prev = 0;
    const char *have;
    cJSON *f = NULL;
    int rc, n = 0;

    *out = *lost = NULL;
    norm.is_commit = false;
    if ((rc = cer_streamref_to_string(sid, sizeof sid, &norm)) < 0)
        return rc;
    rc = cer_registry_load_lost(r, id, &f);
    if (rc == -ENOENT) {
        cer_errclear();  /* none yet: no error */
        f = cJSON_CreateObject();
        if (!f || !cJSON_AddStringToObject(f, "streamId", sid) || !cJSON_AddArrayToObject(f, "lost")) {
            cJSON_Delete(f);
            return cer_err(-ENOMEM, "lost branches: out of memory");
        }
        rc = 0;
    }
    if (rc < 0)
        return rc;
    have = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "streamId"));
    *lost = cJSON_GetObjectItemCaseSensitive(f, "lost");
    if (!have || strcmp(have, sid) != 0 || !cJSON_IsArray(*lost))
        rc = cer_err(-EBADMSG, "lost branches of %s: not {\"streamId\": this stream, \"lost\": [...]}", sid);
    for (const cJSON *e = *lost ? (*lost)->child : NULL; rc == 0 && e; e = e->next, prev = b.n)
        if ((rc = entry_parse(&b, e, prev)) == 0 && ++n > CER_LOST_MAX)
            rc = cer_err(-EBADMSG, "lost branches: more than %d", CER_LOST_MAX);
    if (rc < 0) {
        cJSON_Delete(f);
        *lost = NULL;
        return cer_err_wrap(rc, "stream %s", sid);
    }
    *out = f;
    return 0;
}

int cer_lost_list(cer_registry *r, const cer_streamref *id, cer_lost_branch **out, size_t *count)
{
    cJSON *f, *lost;
    size_t n = 0;
    int rc;

    *out = NULL;
    *count = 0;
    if ((rc = load(r, id, &f, &lost)) < 0)
        return rc;
    if (cJSON_GetArraySize(lost) > 0 && !(*out = calloc((size_t)cJSON_GetArraySize(lost), sizeof **out))) {
        cJSON_Delete(f);
        return cer_err(-ENOMEM, "lost branches: out of memory");
    }
    for (cJSON *e = lost->child; e; e = e->next, n++) {
        entry_parse(&(*out)[n], e, n ? (*out)[n - 1].n : 0);  /* checked by load */
        (*out)[n].content = cJSON_DetachItemFromObjectCaseSensitive(e, "content");
    }
    *count = n;
    cJSON_Delete(f);
    return 0;
}

static bool add_cid(cJSON *o, const char *name, const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) >= 0 && cJSON_AddStringToObject(o, name, s);
}

/* The bytes of an entry's content as the file holds it (an estimate of
 * what it costs: printed compact). */
static size_t content_bytes(const cJSON *e)
{
    char *text = NULL;
    size_t n = 0;

    if (cer_json_print(&text, cJSON_GetObjectItemCaseSensitive(e, "content"), 0) == 0)
        n = strlen(text);
    free(text);
    return n;
}

/* Drop the oldest entries beyond CER_LOST_MAX and LOST_BYTES_MAX; the
 * newest (the last) always stays. */
static void trim(cJSON *lost)
{
    size_t bytes = 0;
    int n = cJSON_GetArraySize(lost), keep = 0;

    for (cJSON *e = lost->child ? lost->child->prev : NULL; e && keep < n; e = e == lost->child ? NULL : e->prev) {
        bytes += content_bytes(e);
        if (keep > 0 && (keep == CER_LOST_MAX || bytes > LOST_BYTES_MAX))
            break;
        keep++;
    }
    while (n-- > keep)
        cJSON_DeleteItemFromArray(lost, 0);
}

int cer_lost_record(cer_registry *r, const cer_state *old, const cer_state *now, int64_t time_ms, unsigned *n,
                    size_t *dropped)
{
    size_t shared = 0;
    bool data = false, ok;
    cJSON *f = NULL, *lost, *e, *last, *content;
    unsigned prev = 0;
    int rc;

    while (shared < old->log_len && shared < now->log_len &&
           cer_cid_equal(&old->log[shared].cid, &now->log[shared].cid))
        shared++;
    for (size_t i = shared; i < old->log_len; i++)
        data |= old->log[i].type == CER_COMMIT_SIGNED;
    if (shared == old->log_len || !data)
        return 0;  /* a fast-forward, or only an anchor commit replaced */
    if ((rc = load(r, &old->id, &f, &lost)) < 0)
        return rc;
    for (const cJSON *k = lost->child; k; k = k->next) {
        cer_cid t;
        /* kept already: a merge that failed after recording it, retried */
        if (get_cid(&t, k, "tip") == 0 && cer_cid_equal(&t, cer_state_tip(old))) {
            *n = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(k, "n"));
            *dropped = old->log_len - shared;
            cJSON_Delete(f);
            return 1;
        }
    }
    if ((last = lost->child ? lost->child->prev : NULL))
        prev = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(last, "n"));
    if (prev == UINT_MAX) {
        cJSON_Delete(f);
        return cer_err(-EOVERFLOW, "lost branches: numbers used up");
    }
    e = cJSON_CreateObject();
    content = old->content ? cJSON_Duplicate(old->content, 1) : cJSON_CreateNull();
    ok = e && content && cJSON_AddNumberToObject(e, "n", prev + 1.0) && add_cid(e, "tip", cer_state_tip(old)) &&
         add_cid(e, "replacedBy", cer_state_tip(now)) && cJSON_AddNumberToObject(e, "time", (double)time_ms) &&
         cJSON_AddNumberToObject(e, "dropped", (double)(old->log_len - shared)) &&
         cJSON_AddItemToObject(e, "content", content);
    if (ok)
        content = NULL;  /* e's now */
    if (!ok || !cJSON_AddItemToArray(lost, e)) {
        cJSON_Delete(content);
        cJSON_Delete(e);
        cJSON_Delete(f);
        return cer_err(-ENOMEM, "lost branches: out of memory");
    }
    trim(lost);
    rc = cer_registry_save_lost(r, &old->id, f);
    cJSON_Delete(f);
    if (rc < 0)
        return rc;
    *n = prev + 1;
    *dropped = old->log_len - shared;
    return 1;
}
