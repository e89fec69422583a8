/*
 * notify.c: the sd_notify(3) datagram protocol, without libsystemd. The
 * service manager names an AF_UNIX datagram socket in $NOTIFY_SOCKET:
 * a file system path ("/run/systemd/notify") or, when the name begins
 * with '@', a name in the abstract namespace (the '@' stands for the
 * leading NUL byte of the address). One datagram carries newline-separated
 * "KEY=VALUE" assignments: READY=1, STOPPING=1, RELOADING=1, STATUS=....
 * It keeps no state and opens one socket per message: the daemon sends a
 * handful in its life. It does not unset $NOTIFY_SOCKET (a child started
 * later is not told about it: the daemon starts none).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

enum seam_err
notify_send(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    size_t n;
    if (name == NULL || name[0] == '\0')
        return SEAM_OK;
    n = strlen(name);
    if ((name[0] != '/' && name[0] != '@') || n >= sizeof(sa.sun_path) || n < 2)
        return SEAM_EINVAL;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends the name */
    else
        len++; /* a path's address includes its terminating NUL */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return SEAM_EIO;
    size_t want = strlen(state);
    ssize_t sent;
    do
        sent = sendto(fd, state, want, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    while (sent < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    errno = saved;
    return sent == (ssize_t)want ? SEAM_OK : SEAM_EIO;
}
