/* SPDX-License-Identifier: Apache-2.0 */
/* imprint runtime (the full imprint-runc, which the small front src/cli/runc_front.c hands
 * what it cannot do alone): an OCI runtime wrapper for engines without hooks.d (Docker,
 * containerd, plain runc: docs/engines.md). One decision per container: with imprintd
 * running, `create` goes through it (runc_create.h); without imprintd, or when it does not
 * answer (or paranoid, or `run`), the bundle is verified here before runc runs. Every other
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
#include "runc_args.h"
#include "runc_create.h"
#include "verify/audit.h"

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
		       "refused or not protected, the container is deleted. If imprintd does not\n"
		       "answer, or without it (or paranoid, or 'run'), the bundle is verified here\n"
		       "before runc creates the container. Every other command goes straight to\n"
		       "the real runc with the same arguments.\n\n"
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
		struct front_settings rs;
		_cleanup_free_ char *bundle = NULL, *line = NULL;
		char setup[PATH_MAX + 128] = "";
		int r;

		check_options_init(&co, AUDIT_LOG_DEFAULT, conf);
		front_settings_init(&rs, conf);
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
		argv[0] = (char *)"runc";
		if (!setup[0] && runc_create_asks_imprintd(&rc, &rs)) {
			r = runc_create_via_imprintd(runc, argv, &rc, bundle, &rs);
			if (r != RUNC_CREATE_UNANSWERED)
				return r;
			co.paranoid = true; /* imprintd did not answer: verify here */
		}
		r = container_decide(&(struct container_request){
					     .event = "runtime", .id = rc.id, .bundle = bundle,
					     .storage_root = co.storage_root, .threads = co.threads,
					     .setup_error = setup[0] ? setup : NULL },
				     &co, &line);
		if (r == EXIT_NEGATIVE) { /* refused: say so where the engine reads it */
			runc_log_refusal(rc.log, line);
			return r;
		}
		if (r != EXIT_OK)
			return r;
		return runc_exec(runc, argv, &rc, NULL);
	}
	return runc_exec(runc, argv, &rc, conf_err.message);
}
