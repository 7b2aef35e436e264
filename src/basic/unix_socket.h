/* SPDX-License-Identifier: Apache-2.0 */
/* The unix stream sockets imprint serves and asks on (imprintd's requests, its metrics): one
 * way to listen, to connect, to bound a connection's waits, and to check who is at the other
 * end. libc only. */
#pragma once

#include <stdbool.h>

#include "error.h"

/* Listen on path (its directory created 0700 if missing, a stale socket replaced, the socket
 * made 0600). Returns the fd (SOCK_CLOEXEC) or a negative errno with err set. */
int unix_socket_listen(const char *path, int backlog, struct error *err);

/* Connect to path with send and receive timeouts of timeout_ms; the peer must be root or this
 * process's own uid (-EPERM otherwise). Returns the fd, or a negative errno with err saying why
 * (without the path: the caller names what it asked). */
int unix_socket_connect(const char *path, int timeout_ms, struct error *err);

/* Every later send and receive on fd gives up after ms (EAGAIN). */
void socket_set_timeout(int fd, int ms);

/* The process at the other end runs as root or as this process's own uid. */
bool socket_peer_is_trusted(int fd);
