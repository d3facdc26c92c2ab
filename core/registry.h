/*
 * registry.h — the node's crash-safe record of the streams it knows.
 *
 * Internal to core/ (the node is its user). A registry lives in one
 * directory (the node passes state_dir/streams) and keeps, per stream:
 *
 *   <streamid>.json        the record {"streamId","tip","pinned","alias","updated"}
 *                          ("updated": tip_time_ms, when the tip was first had),
 *                          written temp + rename without fsync: the log below
 *                          makes it durable;
 *   <streamid>.state.json  a cache of the stream's derived state (opaque JSON),
 *                          written temp + rename without fsync: after a crash it
 *                          may be stale or unreadable, never authoritative;
 *   <streamid>.lost.json   the branches the stream lost to conflict resolution
 *                          (opaque JSON, the node's lost.c), written like a
 *                          record; never deleted here;
 *   journal.jsonl          commits made here but not yet published, as JSON
 *                          Lines {"stream","tip"} and {"done","stream"}, each
 *                          appended with O_APPEND; fdatasync'd, except an entry
 *                          added with its record (cer_registry_commit), which
 *                          the log makes durable;
 *   wal.jsonl              the write-ahead log: one line per record change since
 *                          the last checkpoint, the record with "prev" (the tip
 *                          it replaced, null for a new record) and "journal"
 *                          (the change also added its tip's journal entry),
 *                          appended and fdatasync'd: the ONE sync of a change.
 *
 * A checkpoint (syncfs of the directory's file system: every record and
 * journal line written before it is durable) empties the log when it passes
 * CER_REGISTRY_LOG_MAX bytes, before the journal is compacted, and at open
 * and close. Open replays the log's lines in order: a record moves to the
 * line's when it has none or its tip is the line's "prev" (the lines of one
 * stream chain, so whatever record version a crash left on disk, replay
 * ends at the last logged one, replaying again changes nothing, and a tip
 * recorded after the line is never moved back), and a journal entry the
 * journal file lost is restored unless the journal marked it done.
 *
 * Temporary files are named ".tmp-*" and removed at open. One process at a
 * time: open takes an exclusive flock on the directory (-EBUSY otherwise).
 *
 * Everything read from the directory is treated as outside input: a record
 * that does not parse or validate is skipped, a complete journal line that
 * does not is skipped, and each is reported in the open warnings; a torn
 * last journal line (a crash mid-append) is cut off (and reported too). A
 * cache that does not parse is deleted and reported as absent.
 *
 * Threads: every function may be called from any thread. The records and
 * the alias index sit behind one mutex that is never held across file I/O,
 * so readers (get, find_alias, list) never wait on a disk; record writers
 * (put, commit) and checkpoints are serialised by a second mutex held
 * across their writes, which keeps the log's order equal to the in-memory
 * order. A change syncs the log after releasing it, under a third mutex,
 * so changes made at the same time share one fdatasync (group commit); its
 * journal entry is listed only once its line is durable. After a failed
 * log sync every change is refused (-EIO) until the registry is reopened.
 * The journal has its own mutex, held across its appends (taken after the
 * writers' mutex, never before). Cache files take
 * no lock. Callbacks (list, journal_list) run on a snapshot
 * with no lock held, so they may call back into the registry.
 *
 * Stream identifiers: a CommitID passed anywhere names its stream (the
 * commit part is ignored).
 */
#ifndef CER_REGISTRY_H
#define CER_REGISTRY_H

#include "ceramic.h"

typedef struct cer_registry cer_registry;

/* The journal is rewritten with only its pending entries once it holds
 * more than this many "done" lines. */
#define CER_REGISTRY_COMPACT_DONE 1000
/* The log is emptied by a checkpoint once it holds more bytes than this
 * (a record line is ~400 bytes, a block line 4/3 of the block). */
#define CER_REGISTRY_LOG_MAX (1024 * 1024)
/* At most this many open warnings are kept (the last says how many more). */
#define CER_REGISTRY_WARNINGS_MAX 100
/* How long open waits for another process to let go of the directory. */
#define CER_REGISTRY_LOCK_WAIT_MS 5000

/* Open (creating dir if needed, not its parents) and load every record and
 * the journal. flags: CER_STORE_NOSYNC skips every fsync (tests,
 * benchmarks; not crash-safe); CER_STORE_RDONLY changes nothing on disk
 * (every change is -EROFS) and shares dir with other read-only opens.
 * -EBUSY when another registry has dir open (a read-only one: another
 * that writes). */
int cer_registry_open(cer_registry **out, const char *dir, unsigned flags);
void cer_registry_close(cer_registry *r);

/* What open skipped or repaired, one message each ("registry: <file>: <why>"),
 * oldest first; borrowed, valid until close, never changes after open. */
const char *const *cer_registry_warnings(const cer_registry *r, size_t *count);

/* 0 when alias is a valid alias: 1..64 characters of [A-Za-z0-9._-], not
 * starting with '.', and not itself a StreamID; -EINVAL with a reason. */
int cer_registry_alias_check(const char *alias);

/* The record of stream id (alias "" when it has none); -ENOENT. */
int cer_registry_get(cer_registry *r, const cer_streamref *id, cer_stream_info *out);
/* Create or replace the record of info->id; durable when it returns 0.
 * info->tip_time_ms <= 0 means now.
 * info->alias "" means none; an alias another stream holds is -EEXIST, an
 * invalid one -EINVAL. On failure the old record (file and memory) stays. */
int cer_registry_put(cer_registry *r, const cer_stream_info *info);
/* cer_registry_put that, when journal, also adds the journal entry of
 * info->tip (as cer_registry_journal_add), both durable with one sync.
 * -EEXIST also when the tip is pending for another stream. */
int cer_registry_commit(cer_registry *r, const cer_stream_info *info, bool journal);
/* Blocks in the log. A block store that writes its blocks without
 * syncing them (cer_flatfs_set_log) logs each put block here: the line is
 * appended without a sync, and made durable by the next record change's
 * (or a checkpoint's), which all come after it in the log. -EFBIG over
 * CER_BLOCK_MAX. */
int cer_registry_log_block(cer_registry *r, const cer_cid *cid, const uint8_t *data, size_t len);
/* Name the block store the log serves: its blocks found in the log at open
 * go back in through put (which checks them against their CIDs: a block
 * that does not match is dropped), the log is emptied (until then, close
 * leaves it for the next open), and from now on a checkpoint syncs dir's
 * file system too. A read-only registry replays nothing. Call once, from
 * the opening thread, before the store is shared. */
int cer_registry_log_blocks_of(cer_registry *r, const char *dir,
                               int (*put)(void *arg, const cer_cid *cid, const uint8_t *data, size_t len),
                               void *arg);
/* The stream holding alias; -ENOENT. */
int cer_registry_find_alias(cer_registry *r, const char *alias, cer_streamref *out);
/* Number of records. */
size_t cer_registry_count(cer_registry *r);
/* Call fn for every record (a snapshot, in no set order); stops when fn
 * returns non-zero and returns that. */
int cer_registry_list(cer_registry *r, int (*fn)(const cer_stream_info *info, void *arg), void *arg);

/* Store a cache of stream id's derived state (any JSON value): written to a
 * temporary file and renamed over the old cache, not fsync'd. Values come
 * back equal by cer_json_equal; member order is kept except when the value
 * holds an integral double beyond +-(2^53-1) (then members come back sorted
 * bytewise, the only way to keep it a double beside exact raw integers).
 * The cache may be older than the record after a crash: callers check that
 * the cached state's tip is the record's tip. A cache with no record is
 * deleted at the next open. */
int cer_registry_save_cache(cer_registry *r, const cer_streamref *id, const cJSON *state);
/* Load it (caller frees): -ENOENT when absent, or when unreadable, in which
 * case the file is deleted and cer_errmsg() says why. */
int cer_registry_load_cache(cer_registry *r, const cer_streamref *id, cJSON **out);

/* Store the stream's lost branches (any JSON value, read back as the cache
 * is): durable when it returns 0, like a record. */
int cer_registry_save_lost(cer_registry *r, const cer_streamref *id, const cJSON *lost);
/* Load them (caller frees): -ENOENT when there is no file, -EBADMSG when
 * it cannot be read or parsed (the file is left as it is). */
int cer_registry_load_lost(cer_registry *r, const cer_streamref *id, cJSON **out);

/* Journal a commit made locally (tip of stream id) that is not yet
 * published; durable when it returns 0; adding a pending entry again is a
 * no-op. */
int cer_registry_journal_add(cer_registry *r, const cer_streamref *id, const cer_cid *tip);
/* Call fn for every pending entry, oldest first (a snapshot); stops when
 * fn returns non-zero and returns that. */
int cer_registry_journal_list(cer_registry *r,
                              int (*fn)(const cer_streamref *id, const cer_cid *tip, void *arg),
                              void *arg);
/* Number of pending entries. */
size_t cer_registry_journal_count(cer_registry *r);
/* When the oldest pending entry was added (or replayed, for one from
 * before this open), wall clock in ms since the epoch; 0 when none is
 * pending. A time, not an age, so that .status reads the same twice. */
long long cer_registry_journal_oldest_ms(cer_registry *r);
/* Mark a pending entry published; durable when it returns 0; -ENOENT when
 * no such entry is pending. */
int cer_registry_journal_done(cer_registry *r, const cer_streamref *id, const cer_cid *tip);

#endif
