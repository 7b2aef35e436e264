/* SPDX-License-Identifier: Apache-2.0 */
/* imprint-runc, the small front: an engine calls its runtime four or more times per container
 * (create, start, state, delete...), and only `create` and `run` need imprint. Every other
 * command goes straight to the real runc from here, a program that links nothing but libc
 * (loading imprint's libraries costs milliseconds per call); `create`, `run` and the wrapper's
 * own help are handed, with the arguments exactly as given, to `imprint` next to this program
 * (as imprint-runc: src/cli/runtime.c). A bad configuration is the full wrapper's to judge for
 * create and run; for the other commands it is a warning, as there. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/macro.h"
#include "conf.h"
#include "runc_args.h"

#define ARGS_MAX 4096

/* `imprint` in this program's directory; -ELOOP if that is this program itself (a copy put
 * in its place would exec itself forever). */
static int full_wrapper(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	struct stat self, full;
	char *slash;

	if (n <= 0)
		return -errno;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + sizeof("/imprint") > len)
		return -ENAMETOOLONG;
	memcpy(slash, "/imprint", sizeof("/imprint"));
	if (stat("/proc/self/exe", &self) < 0 || stat(buf, &full) < 0)
		return -errno;
	if (self.st_dev == full.st_dev && self.st_ino == full.st_ino)
		return -ELOOP;
	return 0;
}

/* create, run, or the wrapper's help (given: the arguments before conf took its own). */
static bool needs_imprint(const struct runc_call *rc, int argc, char **given)
{
	if (argc == 2 && strcmp(given[1], "--imprint-help") == 0)
		return true;
	return rc->command && (strcmp(rc->command, "create") == 0 || strcmp(rc->command, "run") == 0);
}

int main(int argc, char **argv)
{
	_cleanup_(conf_freep) struct conf *conf = NULL;
	char *given[ARGS_MAX + 1], path[PATH_MAX];
	struct error err = { 0 };
	struct runc_call rc;
	const char *runc;
	int n_given;

	if (argc > ARGS_MAX) {
		fprintf(stderr, "imprint-runc: more than %d arguments\n", ARGS_MAX);
		return 2;
	}
	memcpy(given, argv, (size_t)(argc + 1) * sizeof(char *));
	n_given = argc;
	argc = conf_runtime_args(argc, argv, &conf, &err);
	runc_call_parse(argc, argv, &rc);
	if (needs_imprint(&rc, n_given, given)) {
		int r = full_wrapper(path, sizeof(path));

		if (r < 0) {
			fprintf(stderr, "imprint-runc: no imprint beside it (%s): %s\n", path,
				strerror(-r));
			return 2;
		}
		given[0] = (char *)"imprint-runc";
		execv(path, given);
		fprintf(stderr, "imprint-runc: cannot run %s: %m\n", path);
		return 2; /* refused: nothing was verified */
	}
	runc = runc_find(conf_get(conf, "runtime"));
	if (!runc) {
		fprintf(stderr, "imprint-runc: no runc found (set runtime in %s)\n", CONF_FILE_DEFAULT);
		return 127;
	}
	return runc_exec(runc, argv, &rc, err.message);
}
