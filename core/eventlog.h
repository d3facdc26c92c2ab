/*
 * eventlog.h — the node's events kept across opens: a file of JSON Lines
 * (STATE/events), appended to as events happen and cut back to the last
 * ones now and then, so .errors still says after a remount (or a crash)
 * what was refused before it.
 *
 * Internal to core/ (the node uses it; see cer_node_events_keep).
 */
#ifndef CER_EVENTLOG_H
#define CER_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cer_evlog cer_evlog;

/* The last max lines of path that are JSON objects (oldest first; each
 * and the array malloc'd, the caller frees them): *n of them, none when
 * the file does not exist. Reads at most the file's last 4 MiB; lines
 * that are not JSON objects or over 8 KiB are skipped. 0 or -errno. */
int cer_evlog_load(const char *path, size_t max, char ***lines, size_t *n);
/* Append to path from now on (created 0600 when missing); the file is cut
 * back to its last max lines now and whenever it holds 2 × max. The lines
 * it holds at open are returned as cer_evlog_load returns them (one read
 * of the file). 0 or -errno. */
int cer_evlog_open(cer_evlog **out, const char *path, size_t max, char ***lines, size_t *n);
/* Append one line (no newline in it). A failure (a full disk) loses the
 * line from the file only: the caller has it in memory. */
void cer_evlog_add(cer_evlog *l, const char *line);
void cer_evlog_close(cer_evlog *l);

#endif
