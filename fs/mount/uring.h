/*
 * uring.h — FUSE over io_uring (Linux 6.14 and later, with the fuse module's
 * enable_uring parameter on): requests reach a thread on the CPU that made
 * them, through per-CPU rings, instead of any thread reading /dev/fuse.
 * See uring.c.
 */
#ifndef CFS_URING_H
#define CFS_URING_H

#include "mount.h"

/* Put the transport under the session: call after fuse_session_mount.
 * From then on the session reads and writes /dev/fuse through it; when the
 * kernel offers FUSE_OVER_IO_URING at INIT, the rings start by themselves.
 * Returns 0, or a negative errno (the session is left as it was). */
int cfs_uring_attach(cfs_fs *fs);

/* Stop the ring threads (after the session loop has returned): no request
 * comes through a ring after this. The session still writes through the
 * transport (notifications, until the notifier stops). NULL is a no-op. */
void cfs_uring_stop(cfs_uring *u);

/* Free everything, after fuse_session_destroy. NULL is a no-op. */
void cfs_uring_free(cfs_uring *u);

/* How requests arrive: "io_uring" once one came through a ring, else
 * "/dev/fuse". */
const char *cfs_uring_transport(const cfs_uring *u);

#endif
