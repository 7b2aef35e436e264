/* SPDX-License-Identifier: Apache-2.0 */
/* runc's command line (runc_args.h). */
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "runc_args.h"

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

/* "--name=value" or "--name value": the option's name (in buf) and value. */
static const char *option_value(int argc, char **argv, int *i, char *buf, size_t len,
				const char **ret_name)
{
	const char *a = argv[*i], *eq = strchr(a, '=');

	if (eq && (size_t)(eq - a) < len) {
		memcpy(buf, a, (size_t)(eq - a));
		buf[eq - a] = '\0';
		*ret_name = buf;
		return eq + 1;
	}
	*ret_name = a;
	return takes_value(a) && *i + 1 < argc ? argv[++*i] : NULL;
}

void runc_call_parse(int argc, char **argv, struct runc_call *rc)
{
	*rc = (struct runc_call){ 0 };
	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *opt, *value;

		if (argv[i][0] != '-') {
			if (!rc->command)
				rc->command = argv[i];
			else if (!rc->id)
				rc->id = argv[i];
			continue;
		}
		value = option_value(argc, argv, &i, name, sizeof(name), &opt);
		if (!value)
			continue;
		if (strcmp(opt, "--bundle") == 0 || strcmp(opt, "-b") == 0)
			rc->bundle = value;
		else if (strcmp(opt, "--log") == 0 && !rc->command)
			rc->log = value;
		else if (strcmp(opt, "--root") == 0 && !rc->command)
			rc->root = value;
	}
}

int runc_exec(const char *runc, char **argv, const struct runc_call *rc, const char *conf_error)
{
	if (conf_error && *conf_error)
		fprintf(stderr, "imprint-runc: warning: %s (ignored for %s)\n", conf_error,
			rc->command ? rc->command : "runc");
	argv[0] = (char *)"runc";
	execv(runc, argv);
	fprintf(stderr, "imprint-runc: cannot run %s: %m\n", runc);
	return 127;
}

const char *runc_find(const char *configured)
{
	char self[PATH_MAX], other[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	if (configured && *configured)
		return configured;
	for (size_t i = 0; i < ARRAY_SIZE(runc_candidates); i++)
		if (access(runc_candidates[i], X_OK) == 0 && realpath(runc_candidates[i], other) &&
		    strcmp(other, self) != 0)
			return runc_candidates[i];
	return NULL;
}
