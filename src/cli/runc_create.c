/* SPDX-License-Identifier: Apache-2.0 */
/* `create` through imprintd (runc_create.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "daemon/client.h"
#include "runc_create.h"
#include "verify/audit.h"

#define RUNC_ROOT_DEFAULT "/run/runc" /* runc's --root for root */
#define PROTECT_WAIT_MS 30000

bool runc_create_asks_imprintd(const struct runc_call *rc, const struct front_settings *s)
{
	return rc->command && strcmp(rc->command, "create") == 0 && !s->paranoid &&
	       access(s->socket_path, F_OK) == 0;
}

void runc_log_refusal(const char *log, const char *refusal)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *msg = strdup_printf("imprint: %s", refusal ? refusal : "refused");
	json_t *j;
	char now[32];

	if (!log)
		return;
	time_format_rfc3339((int64_t)time(NULL), now);
	j = json_pack("{s:s,s:s,s:s}", "level", "error", "msg", msg ? msg : "imprint: refused",
		      "time", now);
	line = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && line)
		(void)!write(fd, line, strlen(line)), (void)!write(fd, "\n", 1);
}

/* Run the real runc with argv as a child: its exit status (128 + N for signal N). */
static int run_runc(const char *runc, char **argv)
{
	int status;
	pid_t child = fork();

	if (child < 0)
		return 127;
	if (child == 0) {
		execv(runc, argv);
		fprintf(stderr, "imprint-runc: cannot run %s: %m\n", runc);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void delete_container(const char *runc, const char *root, const char *id)
{
	char *del[] = { (char *)"runc", (char *)"--root", (char *)root, (char *)"delete",
			(char *)"--force", (char *)id, NULL };

	run_runc(runc, del);
}

/* The init's pid of the container runc just created (runc's ROOT/ID/state.json); 0 if it
 * cannot be read. */
static pid_t created_pid(const char *abs_root, const char *id)
{
	_cleanup_free_ char *path = abs_root ? strdup_printf("%s/%s/state.json", abs_root, id)
					     : NULL;
	_cleanup_free_ char *buf = NULL;
	json_int_t pid = 0;
	size_t len;

	if (path && !strchr(id, '/') && read_file(path, 4u << 20, &buf, &len) >= 0) {
		json_t *j = json_loadb(buf, len, 0, NULL);

		pid = json_integer_value(json_object_get(j, "init_process_pid"));
		json_decref(j);
	}
	return pid > 0 && pid <= INT32_MAX ? (pid_t)pid : 0;
}

/* The container's protection state in imprintd's status: "protected", "waiting", "failed",
 * or NULL when imprintd does not list it (never queued, or dropped after failing). */
static char *protection_state(const char *socket_path, const char *id)
{
	json_t *st = NULL, *c;
	char *state = NULL;
	size_t i;

	if (imprintd_status(socket_path, &st, &(struct error){ 0 }) < 0)
		return NULL;
	json_array_foreach(json_object_get(json_object_get(st, "protection"), "containers"), i, c)
		if (json_is_string(json_object_get(c, "id")) &&
		    strcmp(json_string_value(json_object_get(c, "id")), id) == 0 &&
		    json_is_string(json_object_get(c, "state")))
			state = strdup(json_string_value(json_object_get(c, "state")));
	json_decref(st);
	return state;
}

/* Wait until imprintd has armed the container it queued (the init waits for `start` until
 * then, so the entrypoint never runs unprotected). 0: armed; -1: it failed (or was dropped)
 * or took too long. Polled often at first: arming takes milliseconds. */
static int wait_protected(const char *socket_path, const char *id)
{
	for (int waited = 0; waited < PROTECT_WAIT_MS;) {
		_cleanup_free_ char *state = protection_state(socket_path, id);
		int step = waited < 200 ? 5 : 20;

		if (!state || strcmp(state, "failed") == 0)
			return -1;
		if (strcmp(state, "protected") == 0)
			return 0;
		usleep((useconds_t)step * 1000);
		waited += step;
	}
	return -1;
}

/* Ask imprintd about the created container: 0 with res filled, 1 if imprintd also queued it
 * for protection, RUNC_CREATE_UNANSWERED if it could not be asked. */
static int ask(const struct runc_call *rc, const char *bundle, const char *abs_root,
	       const struct front_settings *s, struct verify_result *res)
{
	pid_t pid = created_pid(abs_root, rc->id);
	struct error err = { 0 };
	int r;

	if (pid == 0) {
		/* not protectable, so refused (never fails open) */
		verify_refuse(res, "error", NULL,
			      "runc's state of the container it just created (%.800s/%.200s/"
			      "state.json) cannot be read, so it cannot be protected",
			      abs_root ? abs_root : "?", rc->id);
		res->mode = s->mode;
		res->allowed = s->mode == VERIFY_MONITOR;
		return 0;
	}
	r = imprintd_ask(s->socket_path, rc->id, bundle, s->storage_root, s->mode, pid, abs_root,
			 res, &err);
	if (r < 0) {
		fprintf(stderr, "imprint-runc: %s; verifying here\n", err.message);
		return RUNC_CREATE_UNANSWERED;
	}
	return r;
}

int runc_create_via_imprintd(const char *runc, char **argv, const struct runc_call *rc,
			     const char *bundle, const struct front_settings *s)
{
	const char *root = rc->root ? rc->root : RUNC_ROOT_DEFAULT;
	_cleanup_free_ char *abs_root = NULL, *line = NULL;
	int64_t start;
	struct verify_result res;
	int r = run_runc(runc, argv);

	if (r != 0)
		return r; /* runc said why on its own */
	start = clock_monotonic_us();
	abs_root = realpath(root, NULL); /* runc creates it on its first container */
	verify_result_init(&res, rc->id);
	r = ask(rc, bundle, abs_root, s, &res);
	if (r == RUNC_CREATE_UNANSWERED) {
		verify_result_release(&res);
		delete_container(runc, abs_root ? abs_root : root, rc->id);
		return r;
	}
	if (r == 1 && res.allowed && wait_protected(s->socket_path, rc->id) < 0 &&
	    s->mode != VERIFY_MONITOR) {
		verify_refuse(&res, "error", NULL,
			      "imprintd could not protect container %.200s (its log says why)",
			      rc->id);
		res.allowed = false;
	}
	res.elapsed_us = clock_monotonic_us() - start;
	line = audit_decision(s->audit_log, "runtime", rc->id, &res);
	r = res.allowed ? 0 : 1;
	if (!res.allowed) {
		runc_log_refusal(rc->log, line);
		delete_container(runc, abs_root ? abs_root : root, rc->id);
	}
	verify_result_release(&res);
	return r;
}
