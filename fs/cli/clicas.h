/*
 * clicas.h — `ceramicfs cas serve`: ceramicfs as the anchor service (CAS)
 * of a Ceramic network (see cer_casd in ceramic.h).
 */
#ifndef CFS_CLICAS_H
#define CFS_CLICAS_H

#include "ceramic.h"

/* cas serve [--listen HOST:PORT] [--ipfs URL] [--state DIR] [chain options] [--poll-wait S] */
int cfs_cmd_cas(int argc, char **argv);

#endif
