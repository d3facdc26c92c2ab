/*
 * clisync.h — the network options every ceramicfs command that syncs
 * accepts (--ipfs URL, --network NAME, --pubsub-topic TOPIC,
 * --query-timeout MS), the small glue that starts libceramic's sync for a
 * node, and the `sync` command (clisync.c). No protocol logic lives here.
 */
#ifndef CFS_CLISYNC_H
#define CFS_CLISYNC_H

#include "ceramic.h"

typedef struct cfs_net_opts {
    const char *ipfs;           /* API URL; NULL: no network */
    const char *network;        /* NULL: inmemory */
    const char *topic;          /* --pubsub-topic */
    int query_timeout_ms;       /* 0: the library default (3000) */
    int query_quiet_ms;         /* 0: the library default (300) */
} cfs_net_opts;

/* Take the network options out of argv (argv[0] is kept; both "--opt V"
 * and "--opt=V" forms), compacting argv and *argc, so the caller's own
 * option parser never sees them. Returns 0, or EXIT_USAGE after printing
 * why. */
int cfs_net_extract(cfs_net_opts *o, int *argc, char **argv);
/* A number of milliseconds (0 to an hour) into *out: 0, or EXIT_USAGE
 * after printing why (naming what). */
int cfs_parse_ms(int *out, const char *s, const char *what);
/* With o->ipfs set: put node's store behind IPFS and start the sync
 * (*out; NULL and 0 when o->ipfs is NULL). Returns 0 or an exit status
 * after printing why. */
int cfs_net_start(cer_sync **out, cer_node *node, const cfs_net_opts *o);
/* With sync non-NULL: load id from the network (QUERY/RESPONSE). Returns 0
 * or an exit status after printing why. */
int cfs_net_load(cer_sync *sync, const cer_streamref *id, const cfs_net_opts *o);

int cfs_cmd_sync(int argc, char **argv);

#endif
