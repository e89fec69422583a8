/*
 * dirlock.c: the data directory's owner lock (see dirlock.h). It knows
 * nothing of the store: it locks a file beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dirlock.h"

static char *
read_holder(int fd)
{
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

enum seam_err
dirlock_take(const char *dir, const char *who, int *fd_out, char **holder)
{
    char *path = xasprintf("%s/seam.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(path);
    if (holder)
        *holder = NULL;
    if (fd < 0)
        return SEAM_EIO;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK && holder)
            *holder = read_holder(fd);
        close(fd);
        errno = e;
        return e == EWOULDBLOCK ? SEAM_EBUSY : SEAM_EIO;
    }
    char line[160];
    int n = snprintf(line, sizeof(line), "%s pid %ld\n", who, (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        errno = e;
        return SEAM_EIO;
    }
    *fd_out = fd;
    return SEAM_OK;
}

int
dirlock_held(const char *dir, char **holder)
{
    char *path = xasprintf("%s/seam.lock", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(path);
    if (holder)
        *holder = NULL;
    if (fd < 0)
        return 0;
    int held = 0;
    /* a shared lock is refused only while someone holds the exclusive one */
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        held = errno == EWOULDBLOCK;
        if (held && holder)
            *holder = read_holder(fd);
    } else {
        flock(fd, LOCK_UN);
    }
    close(fd);
    return held;
}
