/* SPDX-License-Identifier: Apache-2.0 */
/* The client side of imprintd's protocol (client.h). The client owns its connection and gives
 * up after IMPRINTD_TIMEOUT_MS; what it does then is the caller's choice. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/unix_socket.h"
#include "client.h"

/* Connect, send the request, read the whole answer. */
static int exchange(const char *socket_path, json_t *req, json_t **ret, struct error *err)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT), *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	if (!text)
		return -ENOMEM;
	fd = unix_socket_connect(socket_path, IMPRINTD_TIMEOUT_MS, err);
	if (fd < 0)
		return error_prefix(err, fd, "imprintd at %s", socket_path);
	r = send_all(fd, text, strlen(text));
	if (r >= 0 && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
	if (r >= 0)
		r = read_stream(fd, IMPRINTD_ANSWER_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "imprintd at %s: %s", socket_path, strerror(-r));
	*ret = json_loadb(buf, len, 0, NULL);
	return *ret ? 0 : error_set(err, -EBADMSG, "imprintd at %s: malformed answer", socket_path);
}

int imprintd_ask(const char *socket_path, const char *id, const char *bundle,
		 const char *storage_root, enum verify_mode mode, pid_t pid, const char *runc_root,
		 struct verify_result *res, struct error *err)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s?}", "op", "verify", "id", id, "bundle",
				bundle, "storageRoot", storage_root, "mode",
				mode == VERIFY_MONITOR ? "monitor" : "enforce", "runcRoot", runc_root);

	if (req && pid > 0)
		json_object_set_new(req, "pid", json_integer(pid));
	json_t *answer = NULL;
	int r = req ? exchange(socket_path, req, &answer, err) : -ENOMEM;

	json_decref(req);
	if (r >= 0 && verify_result_from_json(answer, res) < 0)
		r = error_set(err, -EBADMSG, "imprintd at %s: malformed verdict", socket_path);
	else if (r >= 0)
		r = json_is_true(json_object_get(answer, "protecting")) ? 1 : 0;
	json_decref(answer);
	return r;
}

int imprintd_status(const char *socket_path, json_t **ret, struct error *err)
{
	json_t *req = json_pack("{s:s}", "op", "status"), *answer = NULL;
	int r = req ? exchange(socket_path, req, &answer, err) : -ENOMEM;

	json_decref(req);
	if (r >= 0)
		*ret = answer;
	return r;
}
