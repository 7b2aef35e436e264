/* SPDX-License-Identifier: Apache-2.0 */
/* imprint runtime (installed as imprint-runc): an OCI runtime wrapper for engines without
 * hooks.d (Docker, containerd, plain runc: docs/engines.md). One decision per container:
 * with imprintd running, `create` runs runc first (the init waits for `start`, nothing of the
 * image has run) and then imprintd verifies what is really mounted and arms the container's
 * protection; refused or not armed, the container is deleted. Without imprintd (or
 * --paranoid, or `run`), the bundle is verified here before runc runs. Every other
 * subcommand execs the real runc with the same arguments. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "cli.h"
#include "daemon/imprintd.h"
#include "policy/policy.h"
#include "runc_args.h"
#include "verify/audit.h"

/* containerd and Docker read a runtime's errors from --log in JSON: say why there too. */
static void log_to_runc_log(const char *log, const char *msg)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *line = NULL;
	json_t *j;
	char now[32];

	if (!log)
		return;
	time_format_rfc3339((int64_t)time(NULL), now);
	j = json_pack("{s:s,s:s,s:s}", "level", "error", "msg", msg, "time", now);
	line = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && line)
		(void)!write(fd, line, strlen(line)), (void)!write(fd, "\n", 1);
}

#define RUNC_ROOT_DEFAULT "/run/runc" /* runc's --root for root */

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

#define PROTECT_WAIT_MS 30000

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

/* The init's pid of the container runc just created (runc's ROOT/ID/state.json); 0 and why
 * if it cannot be had (then the container is refused: it could not be protected). */
static pid_t created_pid(const char *abs_root, const char *id, char *why, size_t why_len)
{
	_cleanup_free_ char *path = abs_root ? strdup_printf("%s/%s/state.json", abs_root, id)
					     : NULL;
	_cleanup_free_ char *buf = NULL;
	json_int_t pid = 0;
	size_t len;
	int r = path && !strchr(id, '/') ? read_file(path, 4u << 20, &buf, &len) : -EINVAL;

	if (r >= 0) {
		json_t *j = json_loadb(buf, len, 0, NULL);

		pid = json_integer_value(json_object_get(j, "init_process_pid"));
		json_decref(j);
	}
	if (pid <= 0 || pid > INT32_MAX) {
		snprintf(why, why_len, "runc's state of the container it just created (%.800s) "
			 "cannot be read, so it cannot be protected",
			 path ? path : id);
		return 0;
	}
	return (pid_t)pid;
}

/* `create` with imprintd running: runc creates the container first (its init waits for
 * `start`, so nothing of the image has run), then one decision is made on what is really
 * mounted, with the init's pid, so that imprintd also protects the container as its policy
 * entry says (docs/engines.md). Refused, or not armed: the container is deleted and the
 * create fails. Never fails open in enforce mode. */
static int create_then_decide(const char *runc, char **argv, const struct runc_call *rc,
			      const char *bundle, const struct check_options *co, char **ret_line)
{
	const char *root = rc->root ? rc->root : RUNC_ROOT_DEFAULT;
	_cleanup_free_ char *abs_root = NULL;
	char why[1024] = "";
	bool protecting = false;
	pid_t pid;
	int r = run_runc(runc, argv);

	if (r != 0)
		return r; /* runc said why on its own */
	abs_root = realpath(root, NULL); /* runc creates it on its first container */
	pid = created_pid(abs_root, rc->id, why, sizeof(why));
	r = container_decide(&(struct container_request){
				     .event = "runtime", .id = rc->id, .bundle = bundle,
				     .storage_root = co->storage_root, .pid = pid,
				     .runc_root = abs_root, .setup_error = why[0] ? why : NULL,
				     .ret_protecting = &protecting },
			     co, ret_line);
	if (r == EXIT_OK && protecting && wait_protected(co->socket_path, rc->id) < 0 &&
	    co->verify.mode != VERIFY_MONITOR) {
		fprintf(stderr, "imprint: imprintd could not protect container %s (its log says "
			"why); the container is deleted, not started\n", rc->id);
		free(*ret_line);
		*ret_line = strdup_printf("imprintd could not protect container %s", rc->id);
		r = EXIT_NEGATIVE;
	}
	if (r != EXIT_OK) {
		char *del[] = { (char *)"runc", (char *)"--root", abs_root ? abs_root : (char *)root,
				(char *)"delete", (char *)"--force", (char *)rc->id, NULL };

		run_runc(runc, del);
	}
	return r;
}

int verb_runtime(int argc, char **argv)
{
	struct runc_call rc = { 0 };
	_cleanup_(conf_freep) struct conf *conf = NULL;
	struct error conf_err = { 0 };
	const char *runc;
	char cwd[PATH_MAX];

	bool verb = strcmp(argv[0], "runtime") == 0;

	if (argc == 2 && (strcmp(argv[1], "--imprint-help") == 0 ||
			  (verb && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)))) {
		printf("Usage: imprint-runc [RUNC OPTIONS] COMMAND [ARGS]\n"
		       "       imprint runtime [RUNC OPTIONS] COMMAND [ARGS]\n\n"
		       "A runc wrapper for Docker, containerd and plain runc (docs/engines.md). With\n"
		       "imprintd running, 'create' runs runc, then imprintd verifies what is mounted\n"
		       "(from its cache) and protects the container as its policy entry says;\n"
		       "refused or not protected, the container is deleted. Without imprintd (or\n"
		       "paranoid, or 'run'), the bundle is verified here before runc runs. Every\n"
		       "other command goes straight to the real runc with the same arguments.\n\n"
		       "Configuration (docs/cli.md): " CONF_FILE_DEFAULT " and its\n"
		       "drop-ins, then IMPRINT_KEY variables, then leading --imprint-KEY=VALUE\n"
		       "arguments (Docker's runtimeArgs), which runc never sees;\n"
		       "--imprint-config=FILE reads FILE instead. Keys: runtime (the real runc),\n"
		       "mode (enforce|monitor), policy-dir, keys-dir, state-dir, fingerprint-dir,\n"
		       "audit-log ('' for none), storage-root, threads, socket (imprintd),\n"
		       "paranoid (never ask imprintd).\n");
		return EXIT_OK;
	}
	/* Docker's runtimeArgs come before runc's own: applied here, removed from argv. */
	argc = conf_runtime_args(argc, argv, &conf, &conf_err);
	runc = runc_find(conf_get(conf, "runtime"));
	if (!runc) {
		fprintf(stderr, "imprint-runc: no runc found (set runtime in %s)\n",
			CONF_FILE_DEFAULT);
		return 127;
	}
	runc_call_parse(argc, argv, &rc);
	if (rc.command && (strcmp(rc.command, "create") == 0 || strcmp(rc.command, "run") == 0)) {
		struct check_options co;
		_cleanup_free_ char *bundle = NULL, *line = NULL;
		char setup[PATH_MAX + 128] = "";
		bool after_create;
		int r;

		check_options_init(&co, AUDIT_LOG_DEFAULT, conf);
		if (!rc.bundle)
			rc.bundle = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
		bundle = realpath(rc.bundle, NULL);
		if (conf_err.message[0]) /* a bad configuration refuses */
			snprintf(setup, sizeof(setup), "%s", conf_err.message);
		else if (!rc.id)
			snprintf(setup, sizeof(setup), "runc %s without a container id", rc.command);
		else if (!bundle)
			snprintf(setup, sizeof(setup), "bundle %.4000s: %s", rc.bundle,
				 strerror(errno));
		after_create = !setup[0] && strcmp(rc.command, "create") == 0 &&
				    !co.paranoid && access(co.socket_path, F_OK) == 0;

		argv[0] = (char *)"runc";
		if (after_create)
			r = create_then_decide(runc, argv, &rc, bundle, &co, &line);
		else
			r = container_decide(&(struct container_request){
						     .event = "runtime", .id = rc.id, .bundle = bundle,
						     .storage_root = co.storage_root,
						     .threads = co.threads,
						     .setup_error = setup[0] ? setup : NULL },
					     &co, &line);
		if (r == EXIT_NEGATIVE && line) { /* refused (not runc's own failure) */
			_cleanup_free_ char *msg = strdup_printf("imprint: %s", line ? line : "refused");

			log_to_runc_log(rc.log, msg ? msg : "imprint: refused");
			return r;
		}
		if (r != EXIT_OK || after_create)
			return r; /* runc's own failure, or created and decided */
		return runc_exec(runc, argv, &rc, NULL);
	}
	return runc_exec(runc, argv, &rc, conf_err.message);
}
