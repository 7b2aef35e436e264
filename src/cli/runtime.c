/* SPDX-License-Identifier: Apache-2.0 */
/* imprint runtime (installed as imprint-runc): an OCI runtime wrapper for engines without
 * hooks.d (Docker --add-runtime, containerd, plain use). `create` and `run` verify the bundle
 * first; every subcommand then execs the real runc with the same arguments — except an
 * allowed `create`, which runs it as a child and then hands the created container (its init
 * waits for `start`) to imprintd for run-time protection, with the same verification again:
 * a rootfs changed between the two checks is deleted, never started. Configuration comes
 * from the environment (IMPRINT_*), since engines pass runc's arguments only. */
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
#include "enforce/target.h"
#include "policy/policy.h"
#include "verify/audit.h"

static const char *const runc_candidates[] = { "/usr/sbin/runc", "/usr/bin/runc",
					       "/usr/local/sbin/runc", "/usr/local/bin/runc" };

/* runc's options that take a value, global and of create/run. */
static bool takes_value(const char *opt)
{
	static const char *const names[] = { "--root", "--log", "--log-format", "--criu",
					     "--rootless", "--bundle", "-b", "--console-socket",
					     "--pid-file", "--preserve-fds" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(opt, names[i]) == 0)
			return true;
	return false;
}

/* The real runc: $IMPRINT_RUNTIME, or the first runc installed that is not us. */
static const char *real_runc(void)
{
	const char *v = getenv("IMPRINT_RUNTIME");
	char self[PATH_MAX], other[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	if (v && *v)
		return v;
	for (size_t i = 0; i < ARRAY_SIZE(runc_candidates); i++)
		if (access(runc_candidates[i], X_OK) == 0 && realpath(runc_candidates[i], other) &&
		    strcmp(other, self) != 0)
			return runc_candidates[i];
	return NULL;
}

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

struct runc_call {
	const char *command, *bundle, *id, *log, *root;
};

static void parse_runc_args(int argc, char **argv, struct runc_call *rc)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		_cleanup_free_ char *name = a[0] == '-' && eq ? strndup(a, (size_t)(eq - a)) : NULL;
		const char *value = NULL;

		if (a[0] == '-') {
			const char *opt = name ? name : a;

			if (name)
				value = eq + 1;
			else if (takes_value(a) && i + 1 < argc)
				value = argv[++i];
			if (value && (strcmp(opt, "--bundle") == 0 || strcmp(opt, "-b") == 0))
				rc->bundle = value;
			if (value && strcmp(opt, "--log") == 0 && !rc->command)
				rc->log = value;
			if (value && strcmp(opt, "--root") == 0 && !rc->command)
				rc->root = value;
		} else if (!rc->command) {
			rc->command = a;
		} else if (!rc->id) {
			rc->id = a;
		}
	}
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
 * then, so the entrypoint never runs unprotected). 0: armed, or not queued at all (its entry
 * asks for no enforcement); -1: it failed or took too long. */
static int wait_protected(const char *socket_path, const char *id)
{
	_cleanup_free_ char *state = protection_state(socket_path, id);

	if (!state)
		return 0;
	for (int waited = 0; waited < PROTECT_WAIT_MS; waited += 20) {
		if (strcmp(state, "protected") == 0)
			return 0;
		if (strcmp(state, "failed") == 0)
			return -1;
		usleep(20 * 1000);
		free(state);
		state = protection_state(socket_path, id);
		if (!state)
			return -1; /* dropped: it failed */
	}
	return -1;
}

/* After runc created the container: ask imprintd again, now with its init's pid, so that it
 * protects it as the policy entry says (docs/daemon.md). No imprintd: nothing to do (the
 * first check decided). Refused now (the rootfs changed since the first check): the
 * container is deleted and the create fails. */
static int protect_created(const char *runc, const struct runc_call *rc, const char *bundle,
			   const struct check_options *co)
{
	const char *root = rc->root ? rc->root : RUNC_ROOT_DEFAULT;
	struct protect_target t = { .pidfd = -1, .cgroup_fd = -1 };
	_cleanup_free_ char *rootfs = NULL, *abs_root = realpath(root, NULL);
	struct verify_result res;
	struct error err = { 0 };
	pid_t pid;
	int r;

	if (!co->socket_path || access(co->socket_path, F_OK) < 0)
		return EXIT_OK; /* no imprintd */
	if (!abs_root || target_from_runc(abs_root, rc->id, &t, &rootfs, &err) < 0) {
		fprintf(stderr, "imprint-runc: container %s created, not protected: %s\n", rc->id,
			err.message[0] ? err.message : strerror(errno));
		return EXIT_OK;
	}
	pid = t.pid;
	target_release(&t);
	verify_result_init(&res, rc->id);
	r = imprintd_ask(co->socket_path, rc->id, bundle, getenv("IMPRINT_STORAGE_ROOT"),
			 co->verify.mode, pid, abs_root, &res, &err);
	if (r >= 0 && !res.allowed) {
		_cleanup_free_ char *line = verify_result_line(&res);

		fprintf(stderr, "imprint: %s; the container is deleted, not started\n",
			line ? line : "refused");
		audit_record(co->audit_log, "runtime", rc->id, &res);
	} else if (r >= 0 && wait_protected(co->socket_path, rc->id) < 0) {
		bool monitor = co->verify.mode == VERIFY_MONITOR;

		fprintf(stderr, "imprint: imprintd could not protect container %s (its log says "
			"why)%s\n", rc->id, monitor ? "; monitor mode: it starts unprotected"
						  : "; the container is deleted, not started");
		res.allowed = monitor;
	}
	if (r >= 0 && !res.allowed) {
		char *del[] = { (char *)"runc", (char *)"--root", abs_root, (char *)"delete",
				(char *)"--force", (char *)rc->id, NULL };

		run_runc(runc, del);
	}
	r = r >= 0 && !res.allowed ? EXIT_NEGATIVE : EXIT_OK;
	verify_result_release(&res);
	return r;
}

int verb_runtime(int argc, char **argv)
{
	struct runc_call rc = { 0 };
	const char *runc = real_runc();
	char cwd[PATH_MAX];

	bool verb = strcmp(argv[0], "runtime") == 0;

	if (argc == 2 && (strcmp(argv[1], "--imprint-help") == 0 ||
			  (verb && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)))) {
		printf("Usage: imprint-runc [RUNC OPTIONS] COMMAND [ARGS]\n"
		       "       imprint runtime [RUNC OPTIONS] COMMAND [ARGS]\n\n"
		       "A runc wrapper: 'create' and 'run' verify the bundle's image against the\n"
		       "host's signed policies first (docs/verify.md); then, and for every other\n"
		       "command, the real runc runs with the same arguments.\n\n"
		       "Environment: IMPRINT_RUNTIME (the real runc), IMPRINT_MODE (enforce|monitor),\n"
		       "IMPRINT_POLICY_DIR, IMPRINT_KEYS_DIR, IMPRINT_STATE_DIR,\n"
		       "IMPRINT_FINGERPRINT_DIR, IMPRINT_AUDIT_LOG ('' for none),\n"
		       "IMPRINT_STORAGE_ROOT, IMPRINT_SOCKET (imprintd), IMPRINT_PARANOID=1\n"
		       "(never ask imprintd).\n\n"
		       "After an allowed 'create', imprintd (if running) verifies the container\n"
		       "again and protects it at run time as its policy entry says.\n");
		return EXIT_OK;
	}
	if (!runc) {
		fprintf(stderr, "imprint-runc: no runc found (set IMPRINT_RUNTIME)\n");
		return 127;
	}
	parse_runc_args(argc, argv, &rc);
	if (rc.command && (strcmp(rc.command, "create") == 0 || strcmp(rc.command, "run") == 0)) {
		struct check_options co;
		_cleanup_free_ char *bundle = NULL, *line = NULL;
		char setup[PATH_MAX + 128] = "";
		int r;

		check_options_init(&co, AUDIT_LOG_DEFAULT);
		if (!rc.bundle)
			rc.bundle = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
		bundle = realpath(rc.bundle, NULL);
		if (!rc.id)
			snprintf(setup, sizeof(setup), "runc %s without a container id", rc.command);
		else if (!bundle)
			snprintf(setup, sizeof(setup), "bundle %.4000s: %s", rc.bundle,
				 strerror(errno));
		r = container_decide("runtime", rc.id, bundle, &co, getenv("IMPRINT_STORAGE_ROOT"),
				     0, setup[0] ? setup : NULL, &line);
		if (r != EXIT_OK) {
			_cleanup_free_ char *msg = strdup_printf("imprint: %s", line ? line : "refused");

			log_to_runc_log(rc.log, msg ? msg : "imprint: refused");
			return r;
		}
		if (strcmp(rc.command, "create") == 0 && rc.id && !co.paranoid) {
			argv[0] = (char *)"runc";
			r = run_runc(runc, argv);
			return r == 0 ? protect_created(runc, &rc, bundle, &co) : r;
		}
	}
	argv[0] = (char *)"runc";
	execv(runc, argv);
	fprintf(stderr, "imprint-runc: cannot run %s: %m\n", runc);
	return 127;
}
