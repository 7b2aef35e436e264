/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's request loop and its client.
 *
 * Who owns what: the loop owns the listening socket, the layer cache (and so the fanotify fd)
 * and one connection at a time; requests are answered in order, each with a freshly loaded
 * policy store, so a policy change applies to the next request. The client (the hook, the
 * runtime wrapper) owns its connection and gives up after IMPRINTD_TIMEOUT_MS, verifying by
 * itself then. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/fs.h"
#include "imprintd.h"
#include "layer_cache.h"
#include "oci/container.h"

#define REQUEST_MAX (64u * 1024)
#define ANSWER_MAX (4u * 1024 * 1024)

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int socket_address(const char *path, struct sockaddr_un *sa, struct error *err)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa->sun_path))
		return error_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static bool peer_is_trusted(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       (cred.uid == 0 || cred.uid == geteuid());
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno ?: -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static json_t *answer_verify(const struct imprintd_options *o, struct layer_cache *cache,
			     json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *bundle = json_string_value(json_object_get(req, "bundle"));
	const char *root = json_string_value(json_object_get(req, "storageRoot"));
	const char *mode = json_string_value(json_object_get(req, "mode"));
	_cleanup_(store_freep) struct store *store = NULL;
	struct fingerprint_options fo;
	struct container_options co = { .storage_root = root, .fingerprint = &fo };
	struct verify_options vo = o->verify;
	struct verify_result res;
	struct error err = { 0 };
	json_t *j;
	int r;

	fingerprint_options_default(&fo);
	fo.threads = o->threads;
	fo.cache = &(struct fingerprint_cache){ .read_dir = layer_cache_read_dir,
						.lookup = layer_cache_lookup,
						.store = layer_cache_store,
						.userdata = cache };
	vo.mode = mode && strcmp(mode, "monitor") == 0 ? VERIFY_MONITOR : VERIFY_ENFORCE;
	verify_result_init(&res, id);
	if (!id || !bundle || bundle[0] != '/')
		verify_refuse(&res, "error", NULL, "imprintd: malformed request");
	else if ((r = store_load(&o->store, &store, &err)) < 0)
		verify_refuse(&res, "policy-store", NULL, "%s",
			      err.message[0] ? err.message : strerror(-r));
	else
		verify_container(store, id, bundle, &co, &vo, &res);
	verify_finish(&res, &vo);
	j = verify_result_json(&res);
	verify_result_release(&res);
	return j;
}

static json_t *answer_status(struct layer_cache *cache)
{
	struct layer_cache_stats st;

	layer_cache_drain(cache);
	layer_cache_stats(cache, &st);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "layers", (json_int_t)st.layers, "hits",
			 (json_int_t)st.hits, "misses", (json_int_t)st.misses, "invalidations",
			 (json_int_t)st.invalidations, "events", (json_int_t)st.events, "imageHits",
			 (json_int_t)st.image_hits);
}

static void serve_one(const struct imprintd_options *o, struct layer_cache *cache, int fd)
{
	_cleanup_free_ char *buf = NULL, *text = NULL;
	const char *op;
	json_t *req = NULL, *answer = NULL;
	size_t len;

	set_timeout(fd, IMPRINTD_TIMEOUT_MS);
	if (!peer_is_trusted(fd) || read_stream(fd, REQUEST_MAX, &buf, &len) < 0)
		return;
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	op = json_string_value(json_object_get(req, "op"));
	if (op && strcmp(op, "verify") == 0)
		answer = answer_verify(o, cache, req);
	else if (op && strcmp(op, "status") == 0)
		answer = answer_status(cache);
	else
		answer = json_pack("{s:s}", "error", "unknown request");
	text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	if (text)
		send_all(fd, text, strlen(text));
	json_decref(answer);
	json_decref(req);
}

static int listen_on(const char *path, struct error *err)
{
	_cleanup_free_ char *dir = path_parent(path);
	struct sockaddr_un sa;
	int fd, r = socket_address(path, &sa, err);

	if (r < 0)
		return r;
	if (dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, -errno, "cannot create %s: %m", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, -errno, "socket: %m");
	unlink(path); /* a stale socket from a previous run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 64) < 0) {
		r = error_set(err, -errno, "cannot listen on %s: %m", path);
		close(fd);
		return r;
	}
	return fd;
}

int imprintd_run(const struct imprintd_options *o, struct error *err)
{
	_cleanup_(layer_cache_freep) struct layer_cache *cache = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	_cleanup_close_ int lfd = -1;
	int r = layer_cache_new(&cache, err);

	if (r < 0)
		return r;
	lfd = listen_on(o->socket_path, err);
	if (lfd < 0)
		return lfd;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "imprintd: listening on %s; layer watcher: fanotify filesystem marks\n",
		o->socket_path);
	while (!stopping) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
				       { .fd = layer_cache_fd(cache), .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = error_set(err, -errno, "poll: %m");
			break;
		}
		if (p[1].revents)
			layer_cache_drain(cache);
		if (p[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				serve_one(o, cache, fd);
				close(fd);
			}
		}
	}
	unlink(o->socket_path);
	return r;
}

/* Connect, send the request, read the whole answer. */
static int exchange(const char *socket_path, json_t *req, json_t **ret, struct error *err)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT), *buf = NULL;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	size_t len;
	int r;

	if (!text || fd < 0)
		return -ENOMEM;
	r = socket_address(socket_path, &sa, err);
	if (r < 0)
		return r;
	set_timeout(fd, IMPRINTD_TIMEOUT_MS);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return error_set(err, -errno, "imprintd at %s: %m", socket_path);
	if (!peer_is_trusted(fd))
		return error_set(err, -EPERM, "imprintd at %s is not run by root", socket_path);
	r = send_all(fd, text, strlen(text));
	if (r >= 0 && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
	if (r >= 0)
		r = read_stream(fd, ANSWER_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "imprintd at %s: %s", socket_path, strerror(-r));
	*ret = json_loadb(buf, len, 0, NULL);
	return *ret ? 0 : error_set(err, -EBADMSG, "imprintd at %s: malformed answer", socket_path);
}

int imprintd_ask(const char *socket_path, const char *id, const char *bundle,
		 const char *storage_root, enum verify_mode mode, struct verify_result *res,
		 struct error *err)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:s?,s:s}", "op", "verify", "id", id, "bundle",
				bundle, "storageRoot", storage_root, "mode",
				mode == VERIFY_MONITOR ? "monitor" : "enforce");
	json_t *answer = NULL;
	int r = req ? exchange(socket_path, req, &answer, err) : -ENOMEM;

	json_decref(req);
	if (r >= 0 && verify_result_from_json(answer, res) < 0)
		r = error_set(err, -EBADMSG, "imprintd at %s: malformed verdict", socket_path);
	json_decref(answer);
	return r;
}

int imprintd_status(const char *socket_path, char **ret, struct error *err)
{
	json_t *req = json_pack("{s:s}", "op", "status"), *answer = NULL;
	int r = req ? exchange(socket_path, req, &answer, err) : -ENOMEM;

	json_decref(req);
	if (r >= 0) {
		*ret = json_dumps(answer, JSON_INDENT(2));
		r = *ret ? 0 : -ENOMEM;
	}
	json_decref(answer);
	return r;
}
