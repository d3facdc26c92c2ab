/*
 * loads.h — the node's table of state loads in flight: a load that runs
 * long enough is listed (.status "loads") with the commits it fetched and
 * verified, and reported to the node's progress hook (the CLI's progress
 * line) while it goes on and once when it ends.
 *
 * Internal to core/. A load is watched by a cer_load on the loader's
 * stack: cer_load_begin hooks it into the checker the state walk takes
 * (cer_anchor_checker.progress), cer_load_end ends it.
 */
#ifndef CER_LOADS_H
#define CER_LOADS_H

#include "ceramic.h"
#include "state.h"

#include <pthread.h>

#define CER_LOADS_MAX 8         /* listed at once; more are not listed */
#define CER_LOAD_LONG_MS 2000   /* a load that took this long is logged */

typedef struct cer_loads {
    pthread_mutex_t lock;       /* guards the fields below; never held across I/O or the hook */
    struct {
        bool used;
        cer_load_progress p;
    } rows[CER_LOADS_MAX];
    int after_ms;               /* loads are shown once they ran this long */
    void (*fn)(void *arg, const cer_load_progress *p);
    void *arg;
} cer_loads;

/* One load being watched. */
typedef struct cer_load {
    cer_loads *t;
    cer_load_progress p;
    int64_t start_ms, verify_ms; /* monotonic: the load began, its verifying began */
    int row;                     /* its row in t, -1 none */
    bool shown;
} cer_load;

void cer_loads_init(cer_loads *t);
void cer_loads_destroy(cer_loads *t);
/* See cer_node_on_load. */
void cer_loads_hook(cer_loads *t, int after_ms, void (*fn)(void *arg, const cer_load_progress *p), void *arg);
/* The loads listed now: [{"streamId", "phase": "fetching"|"verifying",
 * "fetched", "verified", "total" (once known), "ms", "rate"}]. */
int cer_loads_json(cJSON **out, cer_loads *t);

/* Watch a load of id in t: chk (which the walk then takes) gets the
 * progress hook. End it with cer_load_end: the load's time in ms when it
 * was shown, else 0. */
void cer_load_begin(cer_load *l, cer_loads *t, const cer_streamref *id, cer_anchor_checker *chk);
int64_t cer_load_end(cer_load *l);

/* cer_state_load from store (no anchor checked; the 3ID documents of
 * did:3 signers as the node has them, or fetches them), watched in
 * node's table (a long one is logged as a "load" event). */
int cer_node_load_unchecked(cer_node *node, cer_state **st, cer_store *store, const cer_streamref *id,
                            const cer_cid *tip);

#endif
