/*
 * casd.c — ceramicfs as a Ceramic Anchor Service (CAS): the HTTP API that
 * js-ceramic's anchor client speaks (core/README.md, "Anchor service"), served by httpd.c,
 * and a batch thread that anchors the requested tips as the node's
 * anchor service does (batch.c: CIP-69 tree, chain step, one anchor
 * commit per request).
 *
 *   GET  /api/v0/service-info/supported_chains  {"supportedChains":[chain]}
 *   POST /api/v0/requests   body: CAR (application/vnd.ipld.car, core
 *        2.31+: root {timestamp, streamId: bytes, tip: CID} + the genesis,
 *        the tip and their payloads) or JSON {streamId, cid[, timestamp]};
 *        answers the request (201; 200 when the tip was already requested)
 *   GET  /api/v0/requests/<tip CID>  the request: {id, status, streamId,
 *        cid, message, createdAt, updatedAt[, anchorCommit:{cid},
 *        witnessCar]}; with poll_wait the answer waits (long poll) while
 *        the request is PENDING or PROCESSING
 * Errors are {"error": "..."} with a 4xx status (5xx for our own faults).
 *
 * Who may ask. With an allowlist (opts.allow) every request must carry
 * the DID-signed Authorization of casauth.h, by an allowed DID, naming
 * this request's path and body digest, with a nonce not seen in the last
 * hour (401 otherwise, 403 for a DID not allowed); without one the service
 * refuses to listen anywhere but loopback. Each requester (its DID, else
 * "ip:<address>") has at most max_pending unfinished requests (429), a
 * PENDING request older than pending_ttl fails as expired, and httpd.c
 * answers a long poll at once when half its connections are parked.
 *
 * A newer tip of a stream replaces its PENDING request (REPLACED). Each
 * batch takes the due PENDING requests (PROCESSING), builds one tree in a
 * memory store, records the root on the chain, writes the proof and the
 * anchor commits, puts every block of the batch to the IPFS daemon (when
 * one is set) and keeps per request a witness CAR (root: the anchor
 * commit; blocks: the anchor commit, the proof, the tree nodes on its
 * path), so a client needs nothing else to apply the anchor. A failed
 * batch puts its requests back as PENDING after interval * 2^(attempt-1)
 * seconds (cer_batch_retry), FAILED after max_attempts. Requests live in memory (bounded:
 * max_requests; the oldest finished one makes room) and, with a state
 * directory, in its journal requests.jsonl: one line per change, synced
 * before the answer; read back (the newest line of a tip wins, PROCESSING
 * is PENDING again) and compacted at start.
 *
 * Threads: d->lock guards the request table; it is never held across I/O
 * (journal lines are made under it and written after it, under d->jlock).
 * The batcher (batch.c) runs one batch at a time (its thread's and
 * cer_casd_flush's).
 */
#include "batch.h"
#include "casauth.h"
#include "casd.h"
#include "clock.h"
#include "error.h"
#include "fileio.h"
#include "merkle.h"
#include "strmap.h"

#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAR_CTYPE "application/vnd.ipld.car"
#define REQ_BLOCKS_MAX 16
#define CONTROLLER_MAX 256
#define JOURNAL_LINE_MAX (256 * 1024)
#define JOURNAL_MAX (512L * 1024 * 1024)
#define REQUESTER_MAX (CER_DID_MAX + 8)
/* Nonces of signed requests are remembered this long, at most NONCES_MAX
 * of them (past that the oldest is forgotten first). */
#define NONCE_TTL_MS (3600 * 1000)
#define NONCES_MAX 65536

enum { PENDING, PROCESSING, COMPLETED, FAILED, REPLACED };
static const char *const status_names[] = {"PENDING", "PROCESSING", "COMPLETED", "FAILED", "REPLACED"};

typedef struct req {
    char id[37];
    cer_streamref stream;
    char sid[CER_STREAMID_STR_MAX];
    cer_cid tip;
    char controller[CONTROLLER_MAX];
    char requester[REQUESTER_MAX]; /* the DID that signed it, or "ip:<address>" */
    int status;
    unsigned attempts;
    int64_t next_ms, created_ms, updated_ms;
    char message[200];
    cer_cid anchor_commit;
    uint8_t *witness;           /* owned: the witness CAR of a COMPLETED request */
    size_t wlen;
} req;

/* A nonce seen: "<did> <nonce>" and when. */
typedef struct seen {
    char *key;                  /* owned; the key of its d->nonces entry */
    int64_t at;
} seen;

struct cer_casd {
    cer_casd_opts o;
    char *listen, *ipfs_url, *chain_opt, *eth_rpc, *eth_from;  /* owned copies */
    char **allow;               /* owned: the DIDs allowed, o.nallow of them */
    char chain[64];
    cer_httpd *http;
    cer_ipfs *ipfs;             /* NULL without opts.ipfs */
    char *journal;              /* owned: <state>/requests.jsonl, NULL without a state dir */
    int jfd;                    /* the journal, O_APPEND; -1 without */
    pthread_mutex_t jlock;      /* one append at a time */

    pthread_mutex_t lock;       /* guards the fields below */
    req *r;
    size_t nr, capr;
    int64_t n_batches, n_anchored, n_failed, n_expired, n_refused;
    int64_t expire_at;          /* no PENDING request expires before (expire()) */
    seen *ring;                 /* NONCES_MAX slots: the nonces in the order seen */
    size_t ring_head, ring_n;
    cer_strmap nonces;          /* key -> its seen */

    cer_batcher *batcher;
};

static void logf_(cer_casd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(cer_casd *d, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!d->o.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    d->o.log(d->o.log_arg, line);
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int journal_line(cer_buf *lines, const struct req *r);

/* ------------------------------------------------------------------ */
/* The request table (d->lock held)                                     */
/* ------------------------------------------------------------------ */

static req *find_tip(cer_casd *d, const cer_cid *tip)
{
    for (size_t i = 0; i < d->nr; i++)
        if (cer_cid_equal(&d->r[i].tip, tip))
            return &d->r[i];
    return NULL;
}

static bool finished(const req *r)
{
    return r->status == COMPLETED || r->status == FAILED || r->status == REPLACED;
}

/* PENDING requests made over pending_ttl ago fail as expired; their
 * journal lines go to lines. Bounded: the table is scanned only from
 * d->expire_at on, when the first of them can expire. */
static void expire(cer_casd *d, cer_buf *lines, int64_t now)
{
    int64_t ttl = (int64_t)(d->o.pending_ttl * 1000), next = INT64_MAX;

    if (now < d->expire_at)
        return;
    for (size_t i = 0; i < d->nr; i++) {
        req *r = &d->r[i];
        int64_t at = r->created_ms + ttl;
        if (r->status == PROCESSING && at <= now)
            at = now + 1000;  /* PENDING again if its batch fails: look again then */
        if (r->status == PROCESSING || (r->status == PENDING && now < at)) {
            next = at < next ? at : next;
            continue;
        }
        if (r->status != PENDING)
            continue;
        r->status = FAILED;
        r->updated_ms = now;
        snprintf(r->message, sizeof r->message, "Request expired: not anchored within %g s", d->o.pending_ttl);
        d->n_expired++;
        if (d->jfd >= 0)
            journal_line(lines, r);
    }
    d->expire_at = next;
}

/* How many unfinished requests who has, leaving out the PENDING one of
 * stream that a new request for it replaces. */
static size_t waiting_from(const cer_casd *d, const char *who, const cer_streamref *stream)
{
    size_t n = 0;

    for (size_t i = 0; i < d->nr; i++) {
        const req *r = &d->r[i];
        if (!finished(r) && strcmp(r->requester, who) == 0 &&
            !(r->status == PENDING && cer_streamref_same_stream(&r->stream, stream)))
            n++;
    }
    return n;
}

/* A new slot, always the last one: grow, or drop the oldest finished
 * request at the limit; NULL when every request is still waiting. */
static req *slot(cer_casd *d)
{
    if (d->nr >= d->o.max_requests) {
        size_t old = d->nr;
        for (size_t i = 0; i < d->nr; i++)
            if (finished(&d->r[i]) && (old == d->nr || d->r[i].updated_ms < d->r[old].updated_ms))
                old = i;
        if (old == d->nr)
            return NULL;
        free(d->r[old].witness);
        d->r[old] = d->r[--d->nr];
    }
    if (d->nr == d->capr) {
        size_t cap = d->capr ? 2 * d->capr : 64;
        req *n = realloc(d->r, cap * sizeof *n);
        if (!n)
            return NULL;
        d->r = n, d->capr = cap;
    }
    memset(&d->r[d->nr], 0, sizeof d->r[d->nr]);
    return &d->r[d->nr++];
}

/* ------------------------------------------------------------------ */
/* Reading a request                                                    */
/* ------------------------------------------------------------------ */

typedef struct incoming {
    cer_streamref stream;
    cer_cid tip;
    char controller[CONTROLLER_MAX];
} incoming;

/* The dag-cbor payload of a commit block of the request's CAR (a signed
 * commit's payload is its link); caller frees *out. */
static int commit_payload(cJSON **out, const cer_car *car, const cer_cid *cid, const char *what)
{
    const cer_car_block *b = cer_car_get(car, cid);

    *out = NULL;
    if (!b)
        return cer_err(-EINVAL, "the CAR lacks the %s block", what);
    if (cid->codec == CER_CODEC_DAG_JOSE) {
        cer_jws jws = {0};
        cer_cid payload;
        int rc = cer_dagjose_decode(&jws, b->data, b->len);
        bool linked = rc == 0 && jws.has_link;

        payload = jws.link;
        cer_jws_free(&jws);
        if (!linked)
            return cer_err(-EINVAL, "the %s is not a signed commit", what);
        if (!(b = cer_car_get(car, &payload)))
            return cer_err(-EINVAL, "the CAR lacks the %s's payload block", what);
    } else if (cid->codec != CER_CODEC_DAG_CBOR) {
        return cer_err(-EINVAL, "the %s is neither dag-cbor nor dag-jose", what);
    }
    if (cer_dagcbor_decode(out, b->data, b->len) < 0 || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return cer_err(-EINVAL, "the %s is not a dag-cbor map", what);
    }
    return 0;
}

/* A core 2.31+ request CAR (read once): root {timestamp, streamId, tip}
 * + the blocks. */
static int read_car(incoming *in, const uint8_t *body, size_t len)
{
    cer_car car = {0};
    cJSON *root = NULL, *g = NULL, *t = NULL;
    const cer_car_block *rb;
    cer_cid id;
    uint8_t sb[CER_STREAMID_BYTES_MAX];
    const cJSON *c;
    int rc, n;

    if ((rc = cer_car_read(&car, body, len)) < 0)
        return rc;
    if (car.nroots != 1) {
        rc = cer_err(-EINVAL, "CAR: the header must have exactly one root");
        goto out;
    }
    if (car.nblocks > REQ_BLOCKS_MAX) {
        rc = cer_err(-EINVAL, "the CAR has %zu blocks; a request has at most %d", car.nblocks, REQ_BLOCKS_MAX);
        goto out;
    }
    if (car.roots[0].codec != CER_CODEC_DAG_CBOR || !(rb = cer_car_get(&car, &car.roots[0])) ||
        cer_dagcbor_decode(&root, rb->data, rb->len) < 0 || !cJSON_IsObject(root)) {
        rc = cer_err(-EINVAL, "the CAR's root is not a dag-cbor block in the CAR");
        goto out;
    }
    if (!cJSON_IsString(get(root, "timestamp")) || strlen(get(root, "timestamp")->valuestring) > 64) {
        rc = cer_err(-EINVAL, "the request has no timestamp string");
        goto out;
    }
    if ((n = cer_json_get_bytes(sb, sizeof sb, get(root, "streamId"))) < 0 ||
        cer_streamref_from_bytes(&in->stream, sb, (size_t)n) < 0 || in->stream.is_commit) {
        rc = cer_err(-EINVAL, "the request's streamId is not StreamID bytes");
        goto out;
    }
    if (cer_json_get_link(&in->tip, get(root, "tip")) < 0) {
        rc = cer_err(-EINVAL, "the request's tip is not a CID");
        goto out;
    }
    if ((rc = commit_payload(&g, &car, &in->stream.genesis, "genesis")) < 0)
        goto out;
    c = get(get(g, "header"), "controllers");
    if (!cJSON_IsArray(c) || !cJSON_IsString(c->child) || strlen(c->child->valuestring) >= CONTROLLER_MAX) {
        rc = cer_err(-EINVAL, "the genesis has no controller");
        goto out;
    }
    snprintf(in->controller, sizeof in->controller, "%s", c->child->valuestring);
    if (!cer_cid_equal(&in->tip, &in->stream.genesis)) {
        if ((rc = commit_payload(&t, &car, &in->tip, "tip")) < 0)
            goto out;
        if (cer_json_get_link(&id, get(t, "id")) < 0 || !cer_cid_equal(&id, &in->stream.genesis)) {
            rc = cer_err(-EINVAL, "the tip is not a commit of that stream");
            goto out;
        }
    }
    rc = 0;
out:
    cJSON_Delete(root);
    cJSON_Delete(g);
    cJSON_Delete(t);
    cer_car_free(&car);
    return rc;
}

/* A JSON request {streamId, cid[, docId, timestamp]}. */
static int read_json(incoming *in, const uint8_t *body, size_t len)
{
    cJSON *j = NULL;
    const cJSON *s, *c;
    int rc;

    if ((rc = cer_json_parse(&j, (const char *)body, len, 0)) < 0)
        return cer_err_wrap(rc, "request body");
    s = get(j, "streamId");
    c = get(j, "cid");
    if (!cJSON_IsObject(j) || !cJSON_IsString(s) || !cJSON_IsString(c))
        rc = cer_err(-EINVAL, "the request needs streamId and cid strings");
    else if (cer_streamref_parse(&in->stream, s->valuestring) < 0 || in->stream.is_commit)
        rc = cer_err(-EINVAL, "streamId is not a StreamID");
    else if (cer_cid_parse(&in->tip, c->valuestring) < 0)
        rc = cer_err(-EINVAL, "cid is not a CID");
    else
        rc = 0;
    cJSON_Delete(j);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Answers                                                              */
/* ------------------------------------------------------------------ */

/* The JSON of a request (d->lock held). */
static int req_json(cer_buf *out, const req *r)
{
    cJSON *j = cJSON_CreateObject(), *ac;
    char cid[CER_CID_STR_MAX], *text = NULL, *w = NULL;
    int rc = -ENOMEM;

    if (!j || cer_cid_to_string(cid, sizeof cid, &r->tip) < 0)
        goto out;
    cJSON_AddStringToObject(j, "id", r->id);
    cJSON_AddStringToObject(j, "status", status_names[r->status]);
    cJSON_AddStringToObject(j, "streamId", r->sid);
    cJSON_AddStringToObject(j, "cid", cid);
    cJSON_AddStringToObject(j, "message", r->message);
    cJSON_AddNumberToObject(j, "createdAt", (double)r->created_ms);
    cJSON_AddNumberToObject(j, "updatedAt", (double)r->updated_ms);
    if (r->status == COMPLETED) {
        size_t wl = cer_base_encoded_max(CER_BASE64, r->wlen);
        if (cer_cid_to_string(cid, sizeof cid, &r->anchor_commit) < 0 || !(ac = cJSON_AddObjectToObject(j, "anchorCommit")) ||
            !cJSON_AddStringToObject(ac, "cid", cid) || !(w = malloc(wl)) ||
            cer_base_encode(w, wl, CER_BASE64, r->witness, r->wlen) < 0 || !cJSON_AddStringToObject(j, "witnessCar", w))
            goto out;
    }
    if ((rc = cer_json_print(&text, j, 0)) == 0)
        rc = cer_buf_append(out, text, strlen(text));
out:
    free(text);
    free(w);
    cJSON_Delete(j);
    return rc < 0 ? cer_err(rc, "casd: cannot write the request's JSON") : 0;
}

/* ------------------------------------------------------------------ */
/* The journal: one JSON line per request change (state dir only)       */
/* ------------------------------------------------------------------ */

/* The journal line of r (d->lock held): its answer plus what a restart
 * needs (controller, attempts); appended to *lines. */
static int journal_line(cer_buf *lines, const req *r)
{
    cer_buf b = CER_BUF_INIT;
    cJSON *j = NULL;
    char *text = NULL;
    int rc;

    if ((rc = req_json(&b, r)) < 0)
        goto out;
    if ((rc = cer_json_parse(&j, (const char *)b.data, b.len, 0)) < 0)
        goto out;
    if (!cJSON_AddStringToObject(j, "controller", r->controller) ||
        !cJSON_AddStringToObject(j, "requester", r->requester) ||
        !cJSON_AddNumberToObject(j, "attempts", r->attempts) || !cJSON_AddNumberToObject(j, "notBefore", (double)r->next_ms)) {
        rc = cer_err(-ENOMEM, "casd: out of memory");
        goto out;
    }
    if ((rc = cer_json_print(&text, j, 0)) == 0 && (rc = cer_buf_append(lines, text, strlen(text))) == 0)
        rc = cer_buf_append(lines, "\n", 1);
out:
    free(text);
    cJSON_Delete(j);
    cer_buf_free(&b);
    return rc;
}

/* Append lines (made under d->lock, written after it) and sync them. */
static int journal_write(cer_casd *d, cer_buf *lines)
{
    int rc = 0;

    if (d->jfd >= 0 && lines->len) {
        pthread_mutex_lock(&d->jlock);
        if ((rc = cer_write_all(d->jfd, lines->data, lines->len)) == 0 && fdatasync(d->jfd) < 0)
            rc = -errno;
        pthread_mutex_unlock(&d->jlock);
        if (rc < 0) {
            rc = cer_err(rc, "casd: cannot write %s: %s", d->journal, strerror(-rc));
            logf_(d, "%s", cer_errmsg());
        }
    }
    cer_buf_free(lines);
    return rc;
}

/* One journal line back into a request (the newest line of a tip wins). */
static int journal_read_line(cer_casd *d, const char *line, size_t len)
{
    static const char *const names[] = {"PENDING", "PROCESSING", "COMPLETED", "FAILED", "REPLACED"};
    cJSON *j = NULL;
    req n = {0}, *r;
    const cJSON *v;
    int rc = -EINVAL, status = -1;

    if (len > JOURNAL_LINE_MAX || cer_json_parse(&j, line, len, 0) < 0 || !cJSON_IsObject(j))
        goto out;
    v = get(j, "status");
    for (int i = 0; cJSON_IsString(v) && i < 5; i++)
        if (strcmp(v->valuestring, names[i]) == 0)
            status = i;
    if (status < 0 || !cJSON_IsString(get(j, "id")) || strlen(get(j, "id")->valuestring) >= sizeof n.id ||
        !cJSON_IsString(get(j, "streamId")) || cer_streamref_parse(&n.stream, get(j, "streamId")->valuestring) < 0 ||
        n.stream.is_commit || !cJSON_IsString(get(j, "cid")) || cer_cid_parse(&n.tip, get(j, "cid")->valuestring) < 0 ||
        !cJSON_IsString(get(j, "controller")) || strlen(get(j, "controller")->valuestring) >= sizeof n.controller ||
        !cJSON_IsString(get(j, "message")) || !cJSON_IsNumber(get(j, "createdAt")) ||
        !cJSON_IsNumber(get(j, "updatedAt")) || !cJSON_IsNumber(get(j, "attempts")) ||
        !cJSON_IsNumber(get(j, "notBefore")))
        goto out;
    snprintf(n.id, sizeof n.id, "%s", get(j, "id")->valuestring);
    cer_streamref_to_string(n.sid, sizeof n.sid, &n.stream);
    snprintf(n.controller, sizeof n.controller, "%s", get(j, "controller")->valuestring);
    v = get(j, "requester");  /* absent from journals before it */
    if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof n.requester)
        snprintf(n.requester, sizeof n.requester, "%s", v->valuestring);
    snprintf(n.message, sizeof n.message, "%s", get(j, "message")->valuestring);
    n.created_ms = (int64_t)get(j, "createdAt")->valuedouble;
    n.updated_ms = (int64_t)get(j, "updatedAt")->valuedouble;
    n.next_ms = (int64_t)get(j, "notBefore")->valuedouble;
    n.attempts = (unsigned)get(j, "attempts")->valuedouble;
    n.status = status;
    if (status == PROCESSING) {  /* the batch did not finish: again */
        n.status = PENDING;
        snprintf(n.message, sizeof n.message, "Request is pending (again after a restart).");
    }
    if (status == COMPLETED) {
        const cJSON *w = get(j, "witnessCar");
        size_t wl = cJSON_IsString(w) ? strlen(w->valuestring) : 0;
        int k;
        if (!cJSON_IsString(get(get(j, "anchorCommit"), "cid")) ||
            cer_cid_parse(&n.anchor_commit, get(get(j, "anchorCommit"), "cid")->valuestring) < 0 || !wl ||
            !(n.witness = malloc(wl)))
            goto out;
        if ((k = cer_base_decode(n.witness, wl, CER_BASE64, w->valuestring, wl)) <= 0 ||
            cer_car_each(n.witness, (size_t)k, NULL, NULL) < 0)
            goto out;
        n.wlen = (size_t)k;
    }
    if ((r = find_tip(d, &n.tip))) {
        free(r->witness);
        *r = n;
    } else if ((r = slot(d))) {
        *r = n;
    } else {
        rc = cer_err(-ENOSPC, "casd: more waiting requests in the journal than max_requests");
        goto out;
    }
    n.witness = NULL;
    rc = 0;
out:
    free(n.witness);
    cJSON_Delete(j);
    return rc;
}

/* Read the journal (bad lines skipped and counted: a torn last line is
 * what a crash leaves), write it back compacted, open it for appends. */
static int journal_open(cer_casd *d, const char *dir)
{
    cer_buf all = CER_BUF_INIT, lines = CER_BUF_INIT;
    size_t n = strlen(dir) + 32, bad = 0, good = 0;
    char buf[65536];
    ssize_t r;
    int fd, rc = 0;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cer_err(-errno, "casd: cannot create %s: %s", dir, strerror(errno));
    if (!(d->journal = malloc(n)))
        return cer_err(-ENOMEM, "casd: out of memory");
    snprintf(d->journal, n, "%s/requests.jsonl", dir);
    if ((fd = open(d->journal, O_RDONLY | O_CLOEXEC)) >= 0) {
        while ((r = read(fd, buf, sizeof buf)) > 0)
            if (all.len + (size_t)r > JOURNAL_MAX || cer_buf_append(&all, buf, (size_t)r) < 0) {
                r = -1;
                errno = EFBIG;
                break;
            }
        close(fd);
        if (r < 0)
            return cer_err(-errno, "casd: cannot read %s: %s", d->journal, strerror(errno));
    } else if (errno != ENOENT) {
        return cer_err(-errno, "casd: cannot open %s: %s", d->journal, strerror(errno));
    }
    for (size_t off = 0; off < all.len;) {
        const char *p = (const char *)all.data + off, *e = memchr(p, '\n', all.len - off);
        size_t len = e ? (size_t)(e - p) : all.len - off;
        if (len && journal_read_line(d, p, len) == 0)
            good++;
        else if (len)
            bad++;
        cer_errclear();
        off += len + 1;
    }
    cer_buf_free(&all);
    for (size_t i = 0; i < d->nr && rc == 0; i++)
        rc = journal_line(&lines, &d->r[i]);
    if (rc == 0)
        rc = cer_file_replace(d->journal, lines.data ? lines.data : (const uint8_t *)"", lines.len, 0600, true);
    cer_buf_free(&lines);
    if (rc < 0)
        return rc;
    if ((d->jfd = open(d->journal, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
        return cer_err(-errno, "casd: cannot open %s: %s", d->journal, strerror(errno));
    if (good || bad)
        logf_(d, "%zu request(s) from %s%s", d->nr, d->journal, bad ? " (some lines unreadable, skipped)" : "");
    return 0;
}

static const char *sid_of(const incoming *in, char sid[CER_STREAMID_STR_MAX])
{
    if (cer_streamref_to_string(sid, CER_STREAMID_STR_MAX, &in->stream) < 0)
        snprintf(sid, CER_STREAMID_STR_MAX, "?");
    return sid;
}

static int create_request(cer_casd *d, const cer_http_req *hq, const char *who, cer_http_resp *resp)
{
    char rid[37], sid[CER_STREAMID_STR_MAX];
    cer_buf lines = CER_BUF_INIT;
    incoming in = {0};
    bool car = strncasecmp(hq->content_type, CAR_CTYPE, sizeof CAR_CTYPE - 1) == 0;
    req *r;
    int rc;

    if (!car && strncasecmp(hq->content_type, "application/json", 16) != 0)
        return cer_http_error(resp, 415, "a request is a CAR (" CAR_CTYPE ") or JSON (application/json)");
    if (hq->body_len == 0)
        return cer_http_error(resp, 400, "empty request body");
    rc = car ? read_car(&in, hq->body, hq->body_len) : read_json(&in, hq->body, hq->body_len);
    if (rc < 0)
        return cer_http_error(resp, 400, "invalid anchor request: %s", cer_errmsg());
    pthread_mutex_lock(&d->lock);
    expire(d, &lines, cer_clock_ms(CLOCK_REALTIME));
    if ((r = find_tip(d, &in.tip))) {
        rc = cer_streamref_same_stream(&r->stream, &in.stream)
                 ? req_json(&resp->body, r)
                 : cer_http_error(resp, 400, "that tip was requested for another stream");
        pthread_mutex_unlock(&d->lock);
        journal_write(d, &lines);
        return rc;
    }
    if (waiting_from(d, who, &in.stream) >= d->o.max_pending) {
        pthread_mutex_unlock(&d->lock);
        journal_write(d, &lines);
        logf_(d, "refused a request of %s for %s: %zu waiting already", who, sid_of(&in, sid), d->o.max_pending);
        return cer_http_error(resp, 429, "too many requests of yours waiting; try later");
    }
    if (!(r = slot(d))) {
        pthread_mutex_unlock(&d->lock);
        journal_write(d, &lines);
        return cer_http_error(resp, 503, "too many requests waiting; try later");
    }
    /* a newer tip replaces the stream's waiting request (r is the last slot) */
    for (size_t i = 0; i + 1 < d->nr; i++)
        if (d->r[i].status == PENDING && cer_streamref_same_stream(&d->r[i].stream, &in.stream)) {
            d->r[i].status = REPLACED;
            d->r[i].updated_ms = cer_clock_ms(CLOCK_REALTIME);
            snprintf(d->r[i].message, sizeof d->r[i].message, "Request replaced by a newer tip");
            if (d->jfd >= 0)
                journal_line(&lines, &d->r[i]);
        }
    cer_uuid4(r->id);
    r->stream = in.stream;
    cer_streamref_to_string(r->sid, sizeof r->sid, &in.stream);
    r->tip = in.tip;
    snprintf(r->controller, sizeof r->controller, "%s", in.controller);
    snprintf(r->requester, sizeof r->requester, "%s", who);
    r->status = PENDING;
    r->created_ms = r->updated_ms = r->next_ms = cer_clock_ms(CLOCK_REALTIME);
    if (r->created_ms + (int64_t)(d->o.pending_ttl * 1000) < d->expire_at)
        d->expire_at = r->created_ms + (int64_t)(d->o.pending_ttl * 1000);
    snprintf(r->message, sizeof r->message, "Request is pending.");
    resp->status = 201;
    rc = req_json(&resp->body, r);
    if (rc == 0 && d->jfd >= 0)
        rc = journal_line(&lines, r);
    snprintf(rid, sizeof rid, "%s", r->id);
    pthread_mutex_unlock(&d->lock);
    logf_(d, "request %s for %s (%s) from %s", rid, sid_of(&in, sid), car ? "CAR" : "JSON", who);
    if (rc == 0 && journal_write(d, &lines) < 0) {
        /* not recorded: say so rather than promise an anchor a restart forgets */
        return cer_http_error(resp, 503, "cannot record the request; try later");
    }
    cer_buf_free(&lines);
    return rc;
}

static int show_request(cer_casd *d, const cer_http_req *hq, const char *cid_s, cer_http_resp *resp)
{
    cer_cid tip;
    req *r;
    int rc, status;

    if (strlen(cid_s) >= CER_CID_STR_MAX || cer_cid_parse(&tip, cid_s) < 0)
        return cer_http_error(resp, 400, "not a CID");
    pthread_mutex_lock(&d->lock);
    if (!(r = find_tip(d, &tip))) {
        pthread_mutex_unlock(&d->lock);
        return cer_http_error(resp, 404, "Request not found");
    }
    if (!finished(r) && d->o.poll_wait > 0 && !hq->final) {
        pthread_mutex_unlock(&d->lock);
        resp->wait_ms = (int)(d->o.poll_wait * 1000);
        return CER_HTTPD_WAIT;
    }
    rc = req_json(&resp->body, r);
    status = r->status;
    pthread_mutex_unlock(&d->lock);
    if (hq->waited_ms)
        logf_(d, "poll of %s answered %s after %.1f s", cid_s, status_names[status], hq->waited_ms / 1000.0);
    return rc;
}

/* Whether key (borrowed) was seen; if not, remember it (d->lock held). */
static int nonce_seen(cer_casd *d, const char *key, int64_t now)
{
    seen *e;

    if (cer_strmap_get(&d->nonces, key))
        return 1;
    while (d->ring_n && (d->ring_n == NONCES_MAX || now - d->ring[d->ring_head].at > NONCE_TTL_MS)) {
        e = &d->ring[d->ring_head];
        cer_strmap_del(&d->nonces, e->key);
        free(e->key);
        e->key = NULL;
        d->ring_head = (d->ring_head + 1) % NONCES_MAX;
        d->ring_n--;
    }
    e = &d->ring[(d->ring_head + d->ring_n) % NONCES_MAX];
    if (!(e->key = strdup(key)) || cer_strmap_put(&d->nonces, e->key, e) < 0) {
        free(e->key);
        e->key = NULL;
        return cer_err(-ENOMEM, "casd: out of memory");
    }
    e->at = now;
    d->ring_n++;
    return 0;
}

/* Refuse a request: {"error": "Unauthorized: why"} with status; returns
 * 1 (answered), or -ENOMEM. */
static int refuse(cer_casd *d, const cer_http_req *hq, cer_http_resp *resp, int status, const char *why)
{
    pthread_mutex_lock(&d->lock);
    d->n_refused++;
    pthread_mutex_unlock(&d->lock);
    logf_(d, "refused %s %.80s from %s: %s", hq->method, hq->target, hq->peer ? hq->peer : "?", why);
    return cer_http_error(resp, status, "Unauthorized: %s", why) < 0 ? -ENOMEM : 1;
}

/* Who asks. With an allowlist: the DID whose signature (casauth.h) binds
 * this request: its path, its body (digest) and a nonce not seen before;
 * else the request is refused (401; 403 for a DID not allowed) and 1
 * returned. Without: "ip:<address>". */
static int requester(cer_casd *d, const cer_http_req *hq, cer_http_resp *resp, char who[REQUESTER_MAX])
{
    char digest[CER_CASAUTH_DIGEST_MAX], key[CER_DID_MAX + CER_CASAUTH_NONCE_MAX + 1];
    const char *path;
    cer_casauth a;
    size_t i;
    int rc;

    if (!d->o.nallow) {
        snprintf(who, REQUESTER_MAX, "ip:%s", hq->peer ? hq->peer : "?");
        return 0;
    }
    if (cer_casauth_verify(&a, hq->authorization) < 0)
        return refuse(d, hq, resp, 401, cer_errmsg());
    for (i = 0; i < d->o.nallow && strcmp(d->allow[i], a.did) != 0; i++)
        ;
    if (i == d->o.nallow) {
        char m[CER_DID_MAX + 64];
        snprintf(m, sizeof m, "%s is not allowed here", a.did);
        return refuse(d, hq, resp, 403, m);
    }
    if (!(path = cer_casauth_url_path(a.url)) || strcmp(path, hq->target) != 0)
        return refuse(d, hq, resp, 401, "the signed url is not this request's");
    if (hq->body_len && (cer_casauth_digest(digest, sizeof digest, hq->content_type, hq->body, hq->body_len) < 0 ||
                         strcmp(digest, a.digest) != 0))
        return refuse(d, hq, resp, 401, "the signed digest is not this body's");
    snprintf(key, sizeof key, "%s %s", a.did, a.nonce);
    pthread_mutex_lock(&d->lock);
    rc = nonce_seen(d, key, cer_clock_ms(CLOCK_MONOTONIC));
    pthread_mutex_unlock(&d->lock);
    if (rc < 0)
        return rc;
    if (rc)
        return refuse(d, hq, resp, 401, "the nonce was used before (a replay)");
    snprintf(who, REQUESTER_MAX, "%s", a.did);
    return 0;
}

static int handle(void *arg, const cer_http_req *hq, cer_http_resp *resp)
{
    static const char reqs[] = "/api/v0/requests";
    cer_casd *d = arg;
    char path[1024], who[REQUESTER_MAX] = "";
    size_t n = strcspn(hq->target, "?#");
    bool is_get = strcmp(hq->method, "GET") == 0, is_post = strcmp(hq->method, "POST") == 0;
    int rc;

    /* a parked poll was let in on its first call */
    if (!hq->again && (rc = requester(d, hq, resp, who)) != 0)
        return rc < 0 ? rc : 0;
    if (n >= sizeof path)
        return cer_http_error(resp, 404, "not found");
    memcpy(path, hq->target, n);
    path[n] = '\0';
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    if (strcmp(path, "/api/v0/service-info/supported_chains") == 0) {
        char body[128];
        if (!is_get)
            return cer_http_error(resp, 405, "use GET");
        snprintf(body, sizeof body, "{\"supportedChains\":[\"%s\"]}", d->chain);
        return cer_buf_append(&resp->body, body, strlen(body));
    }
    if (strcmp(path, reqs) == 0) {
        if (!is_post)
            return cer_http_error(resp, 405, "use POST");
        return create_request(d, hq, who, resp);
    }
    if (strncmp(path, reqs, sizeof reqs - 1) == 0 && path[sizeof reqs - 1] == '/' &&
        !strchr(path + sizeof reqs, '/')) {
        if (!is_get)
            return cer_http_error(resp, 405, "use GET");
        return show_request(d, hq, path + sizeof reqs, resp);
    }
    return cer_http_error(resp, 404, "not found");
}

int cer_casd_handle(cer_casd *d, const cer_http_req *hq, cer_http_resp *resp)
{
    return handle(d, hq, resp);
}

/* ------------------------------------------------------------------ */
/* Batches                                                              */
/* ------------------------------------------------------------------ */

/* What a batch made for one of its leaves. */
typedef struct made {
    cer_cid commit;
    cer_buf witness;
} made;

/* The witness CAR of one anchor commit: root = the commit; blocks = the
 * commit, the proof, and the tree nodes from the root down its path. */
static int witness(cer_buf *car, cer_store *s, const cer_cid *commit, const cer_cid *proof, const cer_cid *root,
                   const char *path)
{
    uint8_t turns[CER_MERKLE_PATH_MAX];
    cer_buf b = CER_BUF_INIT;
    cer_cid cur = *root;
    int nt = cer_merkle_path_parse(turns, sizeof turns, path), rc;

    if (nt < 0)
        return nt;
    if ((rc = cer_car_put_header(car, commit, 1)) < 0 || (rc = cer_car_put_stored(car, s, commit)) < 0 ||
        (rc = cer_car_put_stored(car, s, proof)) < 0)
        goto out;
    for (int i = 0; i < nt; i++) {
        cJSON *node = NULL;
        if ((rc = cer_car_put_stored(car, s, &cur)) < 0 || (rc = cer_store_get(s, &cur, &b)) < 0 ||
            (rc = cer_dagcbor_decode(&node, b.data, b.len)) < 0)
            goto out;
        rc = cer_json_get_link(&cur, cJSON_GetArrayItem(node, turns[i]));
        cJSON_Delete(node);
        if (rc < 0)
            goto out;
    }
    rc = 0;
out:
    cer_buf_free(&b);
    return rc;
}

typedef struct push_ctx {
    cer_casd *d;
    cer_store *s;
    int failed;
} push_ctx;

static int push_one(const cer_cid *cid, void *arg)
{
    push_ctx *p = arg;
    cer_buf b = CER_BUF_INIT;

    if (cer_store_get(p->s, cid, &b) < 0 || cer_ipfs_block_put(p->d->ipfs, cid, b.data, b.len) < 0)
        p->failed++;
    cer_buf_free(&b);
    return 0;
}

/* Request i as a leaf when it is due (cer_batch_take, d->lock held). */
static bool take(void *arg, size_t i, int64_t now, cer_batch_leaf *l)
{
    req *r = &((cer_casd *)arg)->r[i];

    if (r->status != PENDING || r->next_ms > now)
        return false;
    r->status = PROCESSING;
    r->updated_ms = now;
    snprintf(r->message, sizeof r->message, "Request is processing.");
    l->id = r->stream;
    l->tip = r->tip;
    memcpy(l->controller, r->controller, sizeof l->controller);
    memcpy(l->sid, r->sid, sizeof l->sid);
    return true;
}

/* Take the due PENDING requests as PROCESSING; *out caller frees. */
static size_t take_due(cer_casd *d, cer_batch_leaf **out, cer_buf *lines)
{
    size_t n;

    pthread_mutex_lock(&d->lock);
    expire(d, lines, cer_clock_ms(CLOCK_REALTIME));
    n = cer_batch_take(out, d->nr, take, d);
    pthread_mutex_unlock(&d->lock);
    return n;
}

static int batch(void *arg)
{
    cer_casd *d = arg;
    cer_buf lines = CER_BUF_INIT;
    cer_store *s = NULL;
    cer_batch_leaf *l = NULL;
    made *m = NULL;
    cer_cid proof_cid;
    char reason[200], txs[CER_CID_STR_MAX] = "";
    cer_anchor_proof proof;
    size_t n = take_due(d, &l, &lines);
    int rc = 0;

    if (n == 0) {
        journal_write(d, &lines);  /* expired ones */
        goto out;
    }
    if ((rc = cer_store_open_mem(&s)) < 0)
        goto fail;
    if (!(m = calloc(n, sizeof *m))) {
        rc = cer_err(-ENOMEM, "casd: out of memory");
        goto fail;
    }
    if ((rc = cer_batch_anchor(d->batcher, s, &d->o.anchor, l, n, &proof, &proof_cid)) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if ((rc = cer_batch_commit(s, &proof_cid, &l[i], &m[i].commit)) < 0 ||
            (rc = witness(&m[i].witness, s, &m[i].commit, &proof_cid, &proof.root, l[i].path)) < 0)
            goto fail;
    if (d->ipfs) {
        push_ctx p = {d, s, 0};
        cer_store_each(s, push_one, &p);
        if (p.failed)
            logf_(d, "%d blocks of the batch did not reach IPFS at %s (the witness CARs carry them)", p.failed,
                  d->ipfs_url);
    }
    cer_cid_to_string(txs, sizeof txs, &proof.tx_hash);
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < n; i++) {
        req *r = find_tip(d, &l[i].tip);
        if (!r || r->status != PROCESSING)
            continue;
        r->status = COMPLETED;
        r->updated_ms = cer_clock_ms(CLOCK_REALTIME);
        r->anchor_commit = m[i].commit;
        free(r->witness);
        r->witness = m[i].witness.data, r->wlen = m[i].witness.len;
        m[i].witness = (cer_buf)CER_BUF_INIT;
        snprintf(r->message, sizeof r->message, "CID successfully anchored.");
        if (d->jfd >= 0)
            journal_line(&lines, r);
    }
    d->n_batches++;
    d->n_anchored += (int64_t)n;
    pthread_mutex_unlock(&d->lock);
    journal_write(d, &lines);
    logf_(d, "anchored %zu request(s) on %s: tx %s, block %lld", n, proof.chain_id, txs,
          (long long)proof.block_number);
    rc = (int)n;
    goto out;
fail:
    snprintf(reason, sizeof reason, "%s", cer_errmsg());
    logf_(d, "batch of %zu failed: %s", n, reason);
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < n; i++) {
        req *r = find_tip(d, &l[i].tip);
        double back;
        if (!r || r->status != PROCESSING)
            continue;
        r->attempts++;
        r->updated_ms = cer_clock_ms(CLOCK_REALTIME);
        if (cer_batch_retry(&d->o.anchor, r->attempts, &back)) {
            r->status = FAILED;
            d->n_failed++;
            snprintf(r->message, sizeof r->message, "Anchoring failed after %u attempts: %.150s", r->attempts, reason);
        } else {
            r->status = PENDING;
            r->next_ms = r->updated_ms + (int64_t)(back * 1000);
            snprintf(r->message, sizeof r->message, "Retrying (attempt %u failed: %.150s)", r->attempts, reason);
        }
        if (d->jfd >= 0)
            journal_line(&lines, r);
    }
    pthread_mutex_unlock(&d->lock);
    journal_write(d, &lines);
    cer_err(rc, "%s", reason);
out:
    for (size_t i = 0; m && i < n; i++)
        cer_buf_free(&m[i].witness);
    free(m);
    cer_store_close(s);
    cer_buf_free(&lines);
    free(l);
    if (n && d->http)
        cer_httpd_wake(d->http);
    return rc;
}

int cer_casd_flush(cer_casd *d)
{
    return cer_batcher_flush(d->batcher);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                           */
/* ------------------------------------------------------------------ */

static int dup_opt(char **out, const char *s)
{
    *out = NULL;
    if (s && !(*out = strdup(s)))
        return cer_err(-ENOMEM, "casd: out of memory");
    return 0;
}

/* Own copies of the allowed DIDs, each a did:key we can verify. */
static int copy_allow(cer_casd *d)
{
    cer_pubkey pk;
    int rc;

    if (!d->o.nallow)
        return 0;
    if (!(d->allow = calloc(d->o.nallow, sizeof *d->allow)))
        return cer_err(-ENOMEM, "casd: out of memory");
    for (size_t i = 0; i < d->o.nallow; i++) {
        const char *did = d->o.allow[i];
        if (strlen(did) >= CER_DID_MAX || strchr(did, '#') || (rc = cer_did_pubkey(&pk, did)) < 0)
            return cer_err(-EINVAL, "casd: '%.100s' is not a did:key (the DIDs it can verify)", did);
        if ((rc = dup_opt(&d->allow[i], did)) < 0)
            return rc;
    }
    if (!(d->ring = calloc(NONCES_MAX, sizeof *d->ring)))
        return cer_err(-ENOMEM, "casd: out of memory");
    d->o.allow = (const char *const *)d->allow;
    return 0;
}

int cer_casd_open(cer_casd **out, const cer_casd_opts *opts)
{
    cer_casd *d = calloc(1, sizeof *d);
    cer_httpd_opts ho;
    int rc;

    *out = NULL;
    if (!d)
        return cer_err(-ENOMEM, "casd: out of memory");
    d->o = *opts;
    d->jfd = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->jlock, NULL);
    if ((rc = dup_opt(&d->listen, d->o.listen ? d->o.listen : "127.0.0.1:8081")) < 0 ||
        (rc = dup_opt(&d->ipfs_url, d->o.ipfs)) < 0 ||
        (rc = dup_opt(&d->chain_opt, d->o.anchor.chain ? d->o.anchor.chain : "inmemory")) < 0 ||
        (rc = dup_opt(&d->eth_rpc, d->o.anchor.eth_rpc)) < 0 || (rc = dup_opt(&d->eth_from, d->o.anchor.eth_from)) < 0)
        goto fail;
    d->o.listen = d->listen, d->o.ipfs = d->ipfs_url;
    d->o.anchor.chain = d->chain_opt, d->o.anchor.eth_rpc = d->eth_rpc, d->o.anchor.eth_from = d->eth_from;
    d->o.anchor.service_url = NULL, d->o.anchor.mode = NULL;
    cer_anchor_opts_defaults(&d->o.anchor);
    if (d->o.max_requests == 0)
        d->o.max_requests = 10000;
    if (d->o.max_pending == 0)
        d->o.max_pending = 1000;
    if (d->o.pending_ttl == 0)
        d->o.pending_ttl = 86400;
    if (d->o.pending_ttl < 0) {
        rc = cer_err(-EINVAL, "casd: pending_ttl must be positive");
        goto fail;
    }
    if ((rc = copy_allow(d)) < 0)
        goto fail;
    if (d->o.poll_wait < 0 || d->o.poll_wait > 3600) {
        rc = cer_err(-EINVAL, "casd: poll_wait must be 0..3600 seconds");
        goto fail;
    }
    if (strcmp(d->chain_opt, "inmemory") != 0 && strcmp(d->chain_opt, "eth") != 0) {
        rc = cer_err(-EINVAL, "casd: chain '%s' is not inmemory or eth", d->chain_opt);
        goto fail;
    }
    if (opts->state && (rc = journal_open(d, opts->state)) < 0)
        goto fail;
    d->o.state = NULL;
    if (d->ipfs_url) {
        cer_ipfs_opts io = {.url = d->ipfs_url, .timeout_ms = (int)(d->o.anchor.timeout * 1000)};
        if ((rc = cer_ipfs_open(&d->ipfs, &io)) < 0)
            goto fail;
    }
    ho = (cer_httpd_opts){.listen = d->listen,
                          .max_body = d->o.max_body,
                          .max_conns = d->o.max_conns,
                          .max_per_ip = d->o.max_per_ip,
                          .timeout_s = d->o.conn_timeout,
                          .name = "the anchor service",
                          .log = d->o.log,
                          .log_arg = d->o.log_arg};
    if (!d->o.nallow && (rc = cer_httpd_loopback(d->listen)) <= 0) {
        if (rc == 0)
            rc = cer_err(-EPERM,
                         "casd: %s is not a loopback address: without an allowlist of DIDs the anchor service "
                         "serves loopback only (127.0.0.0/8)",
                         d->listen);
        goto fail;
    }
    if ((rc = cer_httpd_open(&d->http, &ho, handle, d)) < 0)
        goto fail;
    if ((rc = cer_batcher_start(&d->batcher, d->o.anchor.interval, batch, d)) < 0)
        goto fail;
    /* asked through the batcher's HTTP client, as every chain call is (a
     * step does not read d->chain; the server answers from cer_casd_run on) */
    if ((rc = cer_anchor_chain_id(&d->o.anchor, cer_batcher_http(d->batcher), d->chain, sizeof d->chain)) < 0) {
        rc = cer_err_wrap(rc, "casd: the chain");
        goto fail;
    }
    logf_(d, "anchor service on %.*s:%d, chain %s, batches every %g s%s%s, %s",
          (int)(strrchr(d->listen, ':') - d->listen), d->listen, cer_httpd_port(d->http), d->chain,
          d->o.anchor.interval, d->ipfs_url ? ", blocks to " : "", d->ipfs_url ? d->ipfs_url : "",
          d->o.nallow ? "DID-signed requests only" : "no authentication (loopback)");
    *out = d;
    return 0;
fail:
    cer_casd_close(d);
    return rc;
}

int cer_casd_port(const cer_casd *d)
{
    return cer_httpd_port(d->http);
}

const char *cer_casd_chain(const cer_casd *d)
{
    return d->chain;
}

int cer_casd_run(cer_casd *d, const volatile int *stop)
{
    return cer_httpd_run(d->http, stop);
}

void cer_casd_stop(cer_casd *d)
{
    cer_httpd_stop(d->http);
}

int cer_casd_status(cer_casd *d, cJSON **out)
{
    int64_t counts[5] = {0};
    cJSON *j = cJSON_CreateObject();

    *out = NULL;
    if (!j)
        return cer_err(-ENOMEM, "casd: out of memory");
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->nr; i++)
        counts[d->r[i].status]++;
    for (int i = 0; i < 5; i++)
        cJSON_AddNumberToObject(j, status_names[i], (double)counts[i]);
    cJSON_AddNumberToObject(j, "batches", (double)d->n_batches);
    cJSON_AddNumberToObject(j, "anchored", (double)d->n_anchored);
    cJSON_AddNumberToObject(j, "failed", (double)d->n_failed);
    cJSON_AddNumberToObject(j, "expired", (double)d->n_expired);
    cJSON_AddNumberToObject(j, "refused", (double)d->n_refused);
    pthread_mutex_unlock(&d->lock);
    cJSON_AddStringToObject(j, "chain", d->chain);
    *out = j;
    return 0;
}

void cer_casd_close(cer_casd *d)
{
    if (!d)
        return;
    cer_batcher_stop(d->batcher);
    cer_httpd_close(d->http);
    if (d->ipfs)
        cer_ipfs_close(d->ipfs);
    for (size_t i = 0; i < d->nr; i++)
        free(d->r[i].witness);
    free(d->r);
    for (size_t i = 0; d->allow && i < d->o.nallow; i++)
        free(d->allow[i]);
    free(d->allow);
    for (size_t i = 0; d->ring && i < NONCES_MAX; i++)
        free(d->ring[i].key);
    free(d->ring);
    cer_strmap_free(&d->nonces);
    if (d->jfd >= 0)
        close(d->jfd);
    free(d->journal);
    free(d->listen);
    free(d->ipfs_url);
    free(d->chain_opt);
    free(d->eth_rpc);
    free(d->eth_from);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->jlock);
    free(d);
}
