/*
 * sdnotify.h — the service manager's readiness protocol (sd_notify(3)),
 * written out so that ceramicfs needs no libsystemd: one datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET, and whether stderr is the
 * journal.
 */
#ifndef CFS_SDNOTIFY_H
#define CFS_SDNOTIFY_H

#include <stdbool.h>

/* Send state (e.g. "READY=1", "STOPPING=1", "STATUS=...", several lines
 * separated by '\n') to $NOTIFY_SOCKET. 0 when sent, or when the variable
 * is not set (no service manager asked); -errno otherwise: -EAFNOSUPPORT
 * for an address that is neither a path nor '@' abstract, -ENAMETOOLONG. */
int cfs_sd_notify(const char *state);
/* Whether stderr is connected to the journal ($JOURNAL_STREAM names its
 * device and inode): then messages go to syslog only, not twice. */
bool cfs_sd_stderr_is_journal(void);

#endif
