/* SPDX-License-Identifier: Apache-2.0 */
/* imprint-runc, the small front: an engine calls its runtime four or more times per container
 * (create, start, state, delete...), and only `create` and `run` need imprint. Every other
 * command goes straight to the real runc from here, a program that links only libc and
 * jansson (loading imprint's libraries costs milliseconds per call). `create` with imprintd
 * running is done here too (runc_create.h): imprintd answers from its cache. What needs
 * imprint itself is handed, with the arguments exactly as given, to `imprint` next to this
 * program (as imprint-runc: src/cli/runtime.c): `run`, `create` without imprintd or when it
 * does not answer (then with --imprint-paranoid=yes: verified before runc creates anything),
 * a bad configuration (the full wrapper refuses create and run; for the other commands it is a
 * warning, as there), and the wrapper's own help. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "conf.h"
#include "front.h"
#include "runc_args.h"
#include "runc_create.h"

#define ARGS_MAX 4096

/* create, run, or the wrapper's help (given: the arguments before conf took its own). */
static bool needs_imprint(const struct runc_call *rc, int argc, char **given)
{
	if (argc == 2 && strcmp(given[1], "--imprint-help") == 0)
		return true;
	return rc->command && (strcmp(rc->command, "create") == 0 || strcmp(rc->command, "run") == 0);
}

/* Exec the full wrapper with the arguments as given; paranoid: with --imprint-paranoid=yes
 * first (imprintd did not answer: the full wrapper verifies before runc creates anything). */
static int exec_full(char **given, int n_given, bool paranoid)
{
	char *args[ARGS_MAX + 2];
	int n = 0;

	args[n++] = (char *)"imprint-runc";
	if (paranoid)
		args[n++] = (char *)CONF_RUNTIME_PREFIX "paranoid=yes";
	for (int i = 1; i < n_given; i++)
		args[n++] = given[i];
	args[n] = NULL;
	return front_exec_imprint("imprint-runc", args); /* refused: nothing was verified */
}

#define NOT_HERE (-2)

/* `create` through imprintd, here (runc_create.h); RUNC_CREATE_UNANSWERED if imprintd was
 * asked and did not answer; NOT_HERE (nothing done) when the full wrapper is to do it. */
static int create_here(char **argv, const struct runc_call *rc, const struct conf *conf)
{
	struct front_settings rs;
	_cleanup_free_ char *bundle = NULL;
	char cwd[PATH_MAX];
	const char *runc;

	front_settings_init(&rs, conf);
	if (!rc->id || !runc_create_asks_imprintd(rc, &rs))
		return NOT_HERE;
	if (rc->bundle)
		bundle = realpath(rc->bundle, NULL);
	else if (getcwd(cwd, sizeof(cwd)))
		bundle = realpath(cwd, NULL);
	runc = runc_find(conf_get(conf, "runtime"));
	if (!bundle || !runc)
		return NOT_HERE; /* the full wrapper says why */
	argv[0] = (char *)"runc";
	return runc_create_via_imprintd(runc, argv, rc, bundle, &rs);
}

int main(int argc, char **argv)
{
	_cleanup_(conf_freep) struct conf *conf = NULL;
	char *given[ARGS_MAX + 1];
	struct error err = { 0 };
	struct runc_call rc;
	const char *runc;
	int n_given, r;

	if (argc > ARGS_MAX) {
		fprintf(stderr, "imprint-runc: more than %d arguments\n", ARGS_MAX);
		return 2;
	}
	memcpy(given, argv, (size_t)(argc + 1) * sizeof(char *));
	n_given = argc;
	argc = conf_runtime_args(argc, argv, &conf, &err);
	runc_call_parse(argc, argv, &rc);
	if (needs_imprint(&rc, n_given, given)) {
		/* create through imprintd here, unless a bad configuration must refuse it */
		r = err.message[0] || strcmp(rc.command ? rc.command : "", "create") != 0
			    ? NOT_HERE : create_here(argv, &rc, conf);
		if (r == NOT_HERE)
			return exec_full(given, n_given, false);
		if (r == RUNC_CREATE_UNANSWERED)
			return exec_full(given, n_given, true);
		return r;
	}
	runc = runc_find(conf_get(conf, "runtime"));
	if (!runc) {
		fprintf(stderr, "imprint-runc: no runc found (set runtime in %s)\n", CONF_FILE_DEFAULT);
		return 127;
	}
	return runc_exec(runc, argv, &rc, err.message);
}
