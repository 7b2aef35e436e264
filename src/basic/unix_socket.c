/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fs.h"
#include "unix_socket.h"

static int address(const char *path, struct sockaddr_un *sa, struct error *err)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa->sun_path))
		return error_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int unix_socket_listen(const char *path, int backlog, struct error *err)
{
	_cleanup_free_ char *dir = path_parent(path);
	struct sockaddr_un sa;
	int fd, r = address(path, &sa, err);

	if (r < 0)
		return r;
	if (dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, -errno, "cannot create %s: %m", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, -errno, "socket: %m");
	unlink(path); /* a stale socket from a previous run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, backlog) < 0) {
		r = error_set(err, -errno, "cannot listen on %s: %m", path);
		close(fd);
		return r;
	}
	return fd;
}

int unix_socket_connect(const char *path, int timeout_ms, struct error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	int r;

	if (fd < 0)
		return error_set(err, -errno, "socket: %m");
	r = address(path, &sa, err);
	if (r < 0)
		return r;
	socket_set_timeout(fd, timeout_ms);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return error_set(err, -errno, "%m");
	if (!socket_peer_is_trusted(fd))
		return error_set(err, -EPERM, "not served by root");
	return TAKE_FD(fd);
}

void socket_set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool socket_peer_is_trusted(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       (cred.uid == 0 || cred.uid == geteuid());
}
