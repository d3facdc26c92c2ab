/*
 * commit.h — building and reading Ceramic commits (API in ceramic.h).
 */
#ifndef CER_COMMIT_H
#define CER_COMMIT_H

#include "ceramic.h"

/* Validate a TileDocument genesis header object (see cer_tile_genesis). */
int cer_tile_header_check(const cJSON *header, bool genesis);

#endif
