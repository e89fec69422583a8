/*
 * test_notify.c: the sd_notify datagram protocol. A message reaches a
 * socket named by a path and one in the abstract namespace ('@'), whole
 * and as sent; without $NOTIFY_SOCKET nothing is sent and nothing fails;
 * a name that is neither (relative, too long) is refused; a socket that
 * is gone is an error, not a crash.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "tap.h"

/* A datagram socket bound to name ('@': abstract), or -1. */
static int
listen_at(const char *name)
{
    struct sockaddr_un sa;
    size_t n = strlen(name);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    else
        len++;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) != 0)
        return -1;
    return fd;
}

/* The next datagram on fd (waits at most a second), NUL-terminated in buf; its length or -1. */
static ssize_t
receive(int fd, char *buf, size_t size)
{
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

int
main(void)
{
    char buf[512], *dir = tap_tmpdir(), path[256], abstract[64];
    ssize_t n;

    unsetenv("NOTIFY_SOCKET");
    ok(notify_send("READY=1") == SEAM_OK, "without NOTIFY_SOCKET: nothing to do, no error");
    setenv("NOTIFY_SOCKET", "", 1);
    ok(notify_send("READY=1") == SEAM_OK, "an empty NOTIFY_SOCKET: nothing to do");

    snprintf(path, sizeof(path), "%s/notify", dir);
    int fd = listen_at(path);
    ok(fd >= 0, "a datagram socket at %s", path);
    setenv("NOTIFY_SOCKET", path, 1);
    ok(notify_send("READY=1\nSTATUS=serving") == SEAM_OK, "sent to a path");
    n = receive(fd, buf, sizeof(buf));
    ok(n == 22 && strcmp(buf, "READY=1\nSTATUS=serving") == 0,
       "the path's socket got the message whole, two lines (%zd bytes)", n);
    close(fd);
    unlink(path);
    ok(notify_send("STOPPING=1") == SEAM_EIO, "a socket that is gone is an error");

    snprintf(abstract, sizeof(abstract), "@seam-test-notify-%ld", (long)getpid());
    fd = listen_at(abstract);
    ok(fd >= 0, "a datagram socket in the abstract namespace (%s)", abstract);
    setenv("NOTIFY_SOCKET", abstract, 1);
    ok(notify_send("STOPPING=1") == SEAM_OK, "sent to an abstract name");
    n = receive(fd, buf, sizeof(buf));
    ok(n == 10 && strcmp(buf, "STOPPING=1") == 0, "the abstract socket got it (\"%s\")", buf);
    close(fd);

    setenv("NOTIFY_SOCKET", "run/notify", 1);
    ok(notify_send("READY=1") == SEAM_EINVAL, "a relative name is refused");
    setenv("NOTIFY_SOCKET", "@", 1);
    ok(notify_send("READY=1") == SEAM_EINVAL, "a bare '@' is refused");
    char longname[200];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[0] = '/';
    longname[sizeof(longname) - 1] = '\0';
    setenv("NOTIFY_SOCKET", longname, 1);
    ok(notify_send("READY=1") == SEAM_EINVAL, "a name longer than a socket address is refused");

    rmdir(dir);
    free(dir);
    return done_testing();
}
