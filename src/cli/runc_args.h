/* SPDX-License-Identifier: Apache-2.0 */
/* runc's command line as imprint-runc sees it (shared by the full wrapper, src/cli/runtime.c,
 * and the small front, src/cli/runc_front.c): which command, bundle, container id, log file
 * and state root, and where the real runc is. libc only: the front links nothing else. */
#pragma once

struct runc_call {
	const char *command, *bundle, *id, *log, *root; /* borrowed from argv; NULL if absent */
};

/* Find the command, the bundle (--bundle/-b), the id, and the global --log and --root. */
void runc_call_parse(int argc, char **argv, struct runc_call *ret);

/* The real runc: configured (the `runtime` key) if set, else the first runc installed on the
 * usual paths that is not this program. NULL if there is none. */
const char *runc_find(const char *configured);

/* Exec runc with argv (argv[0] becomes "runc"); after a configuration problem (conf_error, or
 * NULL) that does not concern this command, say so first. Returns only on failure: 127. */
int runc_exec(const char *runc, char **argv, const struct runc_call *rc, const char *conf_error);
