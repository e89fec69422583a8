/*
 * notify.h: tells the service manager how the daemon is doing, through
 * the datagram protocol of sd_notify(3): one message of "KEY=VALUE" lines
 * to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract
 * name when it begins with '@'). Without $NOTIFY_SOCKET (not started by
 * systemd, or by a unit of another Type) every call does nothing.
 * libsystemd is not needed for this.
 */
#ifndef SEAM_NOTIFY_H
#define SEAM_NOTIFY_H

#include "common.h"

/*
 * Sends state (e.g. "READY=1\nSTATUS=serving on 127.0.0.1:8480") to the
 * socket of $NOTIFY_SOCKET. Returns SEAM_OK when it was sent or when
 * there is no $NOTIFY_SOCKET, SEAM_EINVAL when $NOTIFY_SOCKET is not a
 * socket name this protocol knows (relative, or longer than a socket
 * address holds), SEAM_EIO when the message could not be sent (errno
 * tells why). Writes nothing else; thread-safe (one socket per call).
 */
enum seam_err notify_send(const char *state) SEAM_WUR;

#endif
