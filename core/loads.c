/*
 * loads.c — the node's table of state loads in flight (see loads.h).
 */
#include "loads.h"
#include "clock.h"
#include "error.h"

#include <string.h>

void cer_loads_init(cer_loads *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->after_ms = CER_PROGRESS_MS;
}

void cer_loads_destroy(cer_loads *t)
{
    pthread_mutex_destroy(&t->lock);
}

void cer_loads_hook(cer_loads *t, int after_ms, void (*fn)(void *arg, const cer_load_progress *p), void *arg)
{
    pthread_mutex_lock(&t->lock);
    t->after_ms = after_ms < 0 ? CER_PROGRESS_MS : after_ms;
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_unlock(&t->lock);
}

/* Commits a second: verified since fetching ended once some are, else
 * fetched (until fetching ended). */
static double rate(const cer_load *l, int64_t now)
{
    bool verifying = l->verify_ms && l->p.verified;
    int64_t ms = verifying ? now - l->verify_ms : (l->verify_ms ? l->verify_ms : now) - l->start_ms;
    size_t n = verifying ? l->p.verified : l->p.fetched;

    return ms > 0 ? (double)n * 1000.0 / (double)ms : 0;
}

/* The walk's progress hook (cer_anchor_checker.progress). */
static void tick(void *arg, size_t fetched, size_t verified, size_t total)
{
    cer_load *l = arg;
    cer_loads *t = l->t;
    int64_t now = cer_clock_ms(CLOCK_MONOTONIC);
    void (*fn)(void *, const cer_load_progress *);
    void *fn_arg;

    if (!total)
        l->verify_ms = 0;  /* (again: a fork's branch is walked after) */
    else if (!l->verify_ms)
        l->verify_ms = now;
    l->p.fetched = fetched;
    l->p.verified = verified;
    l->p.total = total;
    l->p.elapsed_ms = now - l->start_ms;
    l->p.rate = rate(l, now);
    pthread_mutex_lock(&t->lock);
    l->shown |= l->p.elapsed_ms >= t->after_ms;
    for (int i = 0; l->shown && l->row < 0 && i < CER_LOADS_MAX; i++)
        if (!t->rows[i].used) {
            t->rows[i].used = true;
            l->row = i;
        }
    if (l->row >= 0)
        t->rows[l->row].p = l->p;
    fn = l->shown ? t->fn : NULL;
    fn_arg = t->arg;
    pthread_mutex_unlock(&t->lock);
    if (fn)
        fn(fn_arg, &l->p);
}

void cer_load_begin(cer_load *l, cer_loads *t, const cer_streamref *id, cer_anchor_checker *chk)
{
    memset(l, 0, sizeof *l);
    l->t = t;
    l->p.id = *id;
    l->row = -1;
    l->start_ms = cer_clock_ms(CLOCK_MONOTONIC);
    chk->progress = tick;
    chk->progress_arg = l;
}

int64_t cer_load_end(cer_load *l)
{
    cer_loads *t = l->t;
    void (*fn)(void *, const cer_load_progress *);
    void *fn_arg;

    if (!l->shown)
        return 0;
    pthread_mutex_lock(&t->lock);
    if (l->row >= 0)
        t->rows[l->row].used = false;
    fn = t->fn;
    fn_arg = t->arg;
    pthread_mutex_unlock(&t->lock);
    l->p.elapsed_ms = cer_clock_ms(CLOCK_MONOTONIC) - l->start_ms;
    l->p.done = true;
    if (fn)
        fn(fn_arg, &l->p);
    return l->p.elapsed_ms > 0 ? l->p.elapsed_ms : 1;
}

static cJSON *row_json(const cer_load_progress *p)
{
    char sid[CER_STREAMID_STR_MAX];
    cJSON *o = cJSON_CreateObject();

    cer_streamref_to_string(sid, sizeof sid, &p->id);
    if (o && cJSON_AddStringToObject(o, "streamId", sid) &&
        cJSON_AddStringToObject(o, "phase", p->total ? "verifying" : "fetching") &&
        cJSON_AddNumberToObject(o, "fetched", (double)p->fetched) &&
        cJSON_AddNumberToObject(o, "verified", (double)p->verified) &&
        (!p->total || cJSON_AddNumberToObject(o, "total", (double)p->total)) &&
        cJSON_AddNumberToObject(o, "ms", (double)p->elapsed_ms) &&
        cJSON_AddNumberToObject(o, "rate", (double)(int64_t)p->rate))
        return o;
    cJSON_Delete(o);
    return NULL;
}

int cer_loads_json(cJSON **out, cer_loads *t)
{
    cer_load_progress rows[CER_LOADS_MAX];
    size_t n = 0;
    cJSON *a = cJSON_CreateArray(), *o;

    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < CER_LOADS_MAX; i++)
        if (t->rows[i].used)
            rows[n++] = t->rows[i].p;
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; i < n && a; i++)
        if (!(o = row_json(&rows[i])) || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            a = NULL;
        }
    *out = a;
    return a ? 0 : cer_err(-ENOMEM, "node: out of memory");
}
