/*
 * fileio.h — small crash-safe file helpers (fileio.c) shared by the
 * modules that keep files (key files, the stream registry, the event
 * log) and by the mount's drafts: cer_write_all, cer_file_replace and
 * CER_TMP_PREFIX, declared in ceramic.h.
 */
#ifndef CER_FILEIO_H
#define CER_FILEIO_H

#include "ceramic.h"

#endif
