/*
 * sdnotify.c — sd_notify(3) by hand: a datagram to $NOTIFY_SOCKET (a path,
 * or '@' for the abstract namespace), and the $JOURNAL_STREAM check.
 */
#include "sdnotify.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int cfs_sd_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n;
    socklen_t len;
    ssize_t sent;
    int fd, err;

    if (!path || !path[0])
        return 0;
    if (path[0] != '/' && path[0] != '@')
        return -EAFNOSUPPORT;  /* e.g. vsock: (virtual machines), not ours */
    n = strlen(path);
    if (n >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, n);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';  /* abstract: the name is not NUL-terminated */
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    err = errno;
    close(fd);
    if (sent < 0)
        return -err;
    return sent == (ssize_t)strlen(state) ? 0 : -EMSGSIZE;
}

bool cfs_sd_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    uintmax_t dev, ino;
    char end;
    struct stat sb;

    if (!js || sscanf(js, "%ju:%ju%c", &dev, &ino, &end) != 2)
        return false;
    if (fstat(STDERR_FILENO, &sb) < 0)
        return false;
    return (uintmax_t)sb.st_dev == dev && (uintmax_t)sb.st_ino == ino;
}
