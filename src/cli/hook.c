/* SPDX-License-Identifier: Apache-2.0 */
/* imprint hook: the OCI runtime hook (createRuntime or prestart) that verifies a container's
 * stored image before the container starts. Fails closed: in enforce mode anything that
 * cannot be checked refuses the container. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "cli.h"
#include "verify/audit.h"
#include "daemon/client.h"
#include "container/container.h"

static void help(void)
{
	printf("Usage: imprint hook [OPTIONS] < STATE\n\n"
	       "An OCI runtime hook for the createRuntime (or prestart) stage: reads the container\n"
	       "state JSON on stdin, finds the image the container is created from, and verifies\n"
	       "it as stored against the host's signed policies (docs/verify.md). On refusal it\n"
	       "prints one line saying which image, which file and why, and exits 1; the runtime\n"
	       "then does not start the container. Install with hooks.d/imprint.json (podman,\n"
	       "CRI-O: docs/engines.md).\n\n"
	       "Options:\n"
	       CHECK_OPTIONS_HELP
	       "                       (default " AUDIT_LOG_DEFAULT ")\n"
	       "  --storage-root DIR   containers-storage root (default: from the bundle path,\n"
	       "                       then " DEFAULT_STORAGE_ROOT ")\n"
	       "  --threads N          hashing threads (default: number of CPUs)\n"
	       "  --socket PATH        ask imprintd there first (default " IMPRINTD_SOCKET ")\n"
	       "  --paranoid           never ask imprintd: re-hash every layer here\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 allowed (or monitor mode), 1 refused.\n");
}

int container_decide(const struct container_request *rq, const struct check_options *co,
		     char **ret_line)
{
	_cleanup_(store_freep) struct store *store = NULL;
	struct fingerprint_options fo;
	struct container_options cto = { .storage_root = rq->storage_root, .fingerprint = &fo };
	struct verify_result res;
	_cleanup_free_ char *line = NULL;
	struct error err = { 0 }, ask_err = { 0 };
	int64_t start = clock_monotonic_us();
	bool answered = false;
	int r;

	fingerprint_options_default(&fo);
	fo.threads = rq->threads;
	verify_result_init(&res, rq->id ? rq->id : "container");
	if (rq->setup_error) {
		verify_refuse(&res, "error", NULL, "%s", rq->setup_error);
	} else if (!co->paranoid && imprintd_ask(co->socket_path, rq->id, rq->bundle,
						 rq->storage_root, co->verify.mode, rq->pid, NULL,
						 &res, &ask_err) >= 0) {
		answered = true; /* the same checks, with imprintd's verified-layer cache */
	} else if ((r = store_load(&co->store, &store, &err)) < 0) {
		verify_refuse(&res, "policy-store", NULL, "%s",
			      err.message[0] ? err.message : strerror(-r));
	} else {
		verify_container(store, rq->id, rq->bundle, &cto, &co->verify, &res);
	}
	if (!answered)
		verify_finish(&res, &co->verify);
	res.elapsed_us = clock_monotonic_us() - start;
	line = audit_decision(co->audit_log, rq->event, rq->id, &res);
	if (ret_line)
		*ret_line = TAKE_PTR(line);
	r = res.allowed ? EXIT_OK : EXIT_NEGATIVE;
	verify_result_release(&res);
	return r;
}

int verb_hook(int argc, char **argv)
{
	static const struct option options[] = {
		{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "stage", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "paranoid", no_argument, NULL, OPT_PARANOID },
		{ "help", no_argument, NULL, 'h' },
		CHECK_LONG_OPTIONS,
		{ 0 },
	};
	_cleanup_free_ char *buf = NULL, *id = NULL, *bundle = NULL;
	struct cli c = { .verb = "hook" };
	const char *storage_root = NULL;
	struct check_options co;
	struct error err = { 0 }, conf_err = { 0 };
	_cleanup_(conf_freep) struct conf *conf = NULL;
	unsigned threads = 0;
	size_t len;
	int opt, r;

	(void)conf_load(conf_path_from_args(argc, argv), &conf, &conf_err); /* refuses below */
	check_options_init(&co, AUDIT_LOG_DEFAULT, conf);
	storage_root = co.storage_root;
	threads = co.threads;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			help();
			return EXIT_OK;
		} else if (opt == OPT_STORAGE_ROOT) {
			storage_root = optarg;
		} else if (opt == OPT_THREADS) {
			threads = (unsigned)strtoul(optarg, NULL, 10);
		} else if (opt == OPT_SOCKET) {
			co.socket_path = optarg;
		} else if (opt == OPT_PARANOID) {
			co.paranoid = true;
		} else if (opt == 's') {
			; /* the stage is for people reading hooks.d; the check is the same */
		} else if ((r = check_options_parse(&co, &c, opt, optarg)) <= 0) {
			if (r == 0)
				cli_usage(&c, "invalid option");
			/* A hook with bad arguments must not let a container start. */
			return EXIT_NEGATIVE;
		}
	}
	if (optind != argc) {
		cli_usage(&c, "no arguments expected; the state JSON comes on stdin");
		return EXIT_NEGATIVE;
	}
	r = read_stream(STDIN_FILENO, 1u << 20, &buf, &len);
	if (r < 0)
		error_set(&err, r, "cannot read the OCI state on stdin: %s", strerror(-r));
	else
		r = oci_state_parse(buf, len, &id, &bundle, &err);
	return container_decide(&(struct container_request){
					.event = "hook", .id = id, .bundle = bundle,
					.storage_root = storage_root, .threads = threads,
					.pid = r >= 0 ? oci_state_pid(buf, len) : 0,
					.setup_error = conf_err.message[0] ? conf_err.message
						       : r < 0 ? err.message : NULL },
				&co, NULL);
}
