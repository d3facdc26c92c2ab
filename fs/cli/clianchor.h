/*
 * clianchor.h — the `ceramicfs anchor` command and the anchoring options
 * every command that runs a node (anchor now, the mount later) takes:
 *   --anchor local|none  --anchor-service URL  --chain inmemory|eth
 *   --eth-rpc URL  --eth-from ADDRESS  --eth-raw  --anchor-interval S
 *   --anchor-timeout S  --anchor-auth did|none
 */
#ifndef CFS_CLIANCHOR_H
#define CFS_CLIANCHOR_H

#include "ceramic.h"

#include <getopt.h>

/* getopt_long entries for the options above (values 0x100..0x108). */
#define CFS_ANCHOR_OPTIONS                                                                         \
    {"anchor", required_argument, NULL, 0x100}, {"anchor-service", required_argument, NULL, 0x101}, \
        {"chain", required_argument, NULL, 0x102}, {"eth-rpc", required_argument, NULL, 0x103},      \
        {"eth-from", required_argument, NULL, 0x104}, {"anchor-interval", required_argument, NULL, 0x105}, \
        {"eth-raw", no_argument, NULL, 0x106}, {"anchor-timeout", required_argument, NULL, 0x107}, \
        {"anchor-auth", required_argument, NULL, 0x108}
#define CFS_ANCHOR_NOPTIONS 9

/* Apply one parsed option c (with its argument) to o: 0 when it was an
 * anchoring option, 1 when it is not one, -1 for a bad value (after
 * printing why). Strings point into argv. */
int cfs_anchor_opt(cer_anchor_opts *o, int c, const char *arg);

/* anchor [STREAM|ALIAS...] [--wait S] [--verify] [--state DIR] [--key FILE] [anchoring options] */
int cfs_cmd_anchor(int argc, char **argv);

#endif
