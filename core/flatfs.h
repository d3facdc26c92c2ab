/*
 * flatfs.h — the embedded directory block store (API: cer_store_open_dir in
 * ceramic.h) and its fault-injection seam.
 *
 * Layout, as IPFS flatfs "next-to-last/2": dir/<shard>/<cid>.data, where
 * <cid> is the CID's string (cer_cid_to_string) and <shard> the two
 * characters before its last one. Temp files are dir/<shard>/.tmp-<hex>;
 * readers never look at them and cer_store_open_dir removes strays.
 *
 * The fault hooks exist for tests: every system call of the kinds below goes
 * through a per-store wrapper that can be told to fail the Nth call. The
 * counters are per store (atomics), so tests in parallel do not interfere,
 * and an unarmed store pays one relaxed atomic increment per call.
 */
#ifndef CER_FLATFS_H
#define CER_FLATFS_H

#include "ceramic.h"

/* The system calls a flatfs store makes, by kind. */
enum {
    CER_FLATFS_OP_MKDIR = 0,  /* mkdir of a shard directory */
    CER_FLATFS_OP_OPEN,       /* open of a temp file (O_CREAT|O_EXCL) */
    CER_FLATFS_OP_WRITE,      /* write(2) into a temp file */
    CER_FLATFS_OP_FSYNC,      /* fsync of a temp file or a directory */
    CER_FLATFS_OP_RENAME,     /* rename of a temp file into place */
    CER_FLATFS_OP_READ,       /* read(2) of a block file */
    CER_FLATFS_NOPS
};

/* Fault kinds of cer_flatfs_fail_at (besides a positive errno). */
#define CER_FLATFS_SHORT (-1)  /* a WRITE or READ transfers 1 byte only */

/* Arm a fault: the nth (1-based) call of kind op made from now on by store s
 * (which must come from cer_store_open_dir) fails once with errno err (EIO,
 * ENOSPC, EINTR, ...), or with CER_FLATFS_SHORT transfers a single byte.
 * nth <= 0 disarms. One armed fault per kind. */
void cer_flatfs_fail_at(cer_store *s, int op, long nth, int err);
/* How many calls of kind op s has made since it was opened. */
long cer_flatfs_op_count(cer_store *s, int op);

/* Hand every block put from now on to log (with arg) instead of syncing
 * it: a put then writes the block's file without fsync (of the file or its
 * directories) and returns log's result; log must make the block durable
 * before anything that refers to it is (the node's registry log:
 * cer_registry_log_block). Call before the store is shared. */
typedef int (*cer_flatfs_log_fn)(void *arg, const cer_cid *cid, const uint8_t *data, size_t len);
void cer_flatfs_set_log(cer_store *s, cer_flatfs_log_fn log, void *arg);

#endif
