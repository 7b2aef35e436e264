/* SPDX-License-Identifier: Apache-2.0 */
/* imprint runtime (installed as imprint-runc): an OCI runtime wrapper for engines without
 * hooks.d (Docker --add-runtime, containerd, plain use). `create` and `run` verify the bundle
 * first; every subcommand then execs the real runc with the same arguments. Configuration
 * comes from the environment (IMPRINT_*), since engines pass runc's arguments only. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "cli.h"
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

struct runc_call {
	const char *command, *bundle, *id, *log;
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
		} else if (!rc->command) {
			rc->command = a;
		} else if (!rc->id) {
			rc->id = a;
		}
	}
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
		       "IMPRINT_STORAGE_ROOT.\n");
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
	}
	argv[0] = (char *)"runc";
	execv(runc, argv);
	fprintf(stderr, "imprint-runc: cannot run %s: %m\n", runc);
	return 127;
}
