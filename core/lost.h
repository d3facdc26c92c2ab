/*
 * lost.h — the branches a stream lost to conflict resolution (API in
 * ceramic.h: cer_node_lost_branches), kept so that nothing a user saved
 * disappears when another branch wins.
 *
 * Internal to core/ (the node is its user). Per stream, the registry's
 * <streamid>.lost.json holds
 *   {"streamId": "k...", "lost": [{"n": 1, "tip": "<cid>", "replacedBy": "<cid>",
 *     "time": <ms>, "dropped": <commits>, "content": <content at tip>}, ...]}
 * oldest first, at most CER_LOST_MAX entries and about LOST_BYTES_MAX of
 * content (older entries go first; the newest always stays); n counts up
 * and is never reused.
 */
#ifndef CER_LOST_H
#define CER_LOST_H

#include "ceramic.h"
#include "registry.h"

/* Compare the state a stream had (old) with the one replacing it (now):
 * when old's tip is not in now's log and what now drops holds a data
 * commit, record the lost branch durably (before now is installed, so a
 * crash never loses it) and return 1 with its number in *n and the
 * commits dropped in *dropped; 0 when nothing the user saved is lost
 * (a fast-forward, or only an anchor commit replaced); a negative errno
 * when it cannot be recorded (then now must not be installed). */
int cer_lost_record(cer_registry *r, const cer_state *old, const cer_state *now, int64_t time_ms, unsigned *n,
                    size_t *dropped);
/* The stream's lost branches, oldest first (none: *out NULL, *count 0). */
int cer_lost_list(cer_registry *r, const cer_streamref *id, cer_lost_branch **out, size_t *count);

#endif
