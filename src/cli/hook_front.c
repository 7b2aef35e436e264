/* SPDX-License-Identifier: Apache-2.0 */
/* imprint-hook, the small front of `imprint hook` for podman and CRI-O (hooks.d,
 * docs/engines.md): with imprintd running, it reads the OCI state, asks imprintd (which
 * answers from its cache and protects the container as its policy entry says) and reports
 * the decision as the hook does, without loading imprint's libraries. Everything else goes to
 * `imprint hook` beside it, with the same arguments and the same state on stdin: no imprintd,
 * `--paranoid`, an option or state it does not take, or a configuration error (the full hook
 * refuses then); and when imprintd does not answer, with --paranoid (verified there, by
 * itself). Options as `imprint hook --help` lists them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "container/oci_state.h"
#include "daemon/client.h"
#include "front.h"
#include "verify/audit.h"

#define ARGS_MAX 256

/* `imprint hook ARGS [--paranoid]`; state: what was read of stdin (NULL: nothing was), which
 * becomes its stdin. Returns only on failure: 1 (not verified, so refused). */
static int exec_full(int argc, char **argv, const char *state, size_t len, bool paranoid)
{
	char *args[ARGS_MAX + 4];
	int n = 0;

	if (state) {
		int fd = memfd_create("imprint-hook-state", MFD_CLOEXEC);

		if (fd < 0 || (len && write(fd, state, len) != (ssize_t)len) ||
		    lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, STDIN_FILENO) < 0) {
			fprintf(stderr, "imprint: refused: cannot hand the OCI state to imprint "
				"hook: %m\n");
			return 1;
		}
	}
	args[n++] = (char *)"imprint";
	args[n++] = (char *)"hook";
	for (int i = 1; i < argc && n < ARGS_MAX; i++)
		args[n++] = argv[i];
	if (paranoid)
		args[n++] = (char *)"--paranoid";
	args[n] = NULL;
	front_exec_imprint("imprint-hook", args);
	return 1; /* not verified: refused */
}

/* The options of `imprint hook` (src/cli/hook.c): those that choose how imprintd is asked are
 * taken here; those for verifying without it are the full hook's. 0: taken; -1: the full
 * hook's to handle (paranoid, help, a bad or unknown option). */
static int parse_options(int argc, char **argv, struct front_settings *s)
{
	enum { SOCKET = 0x100, MODE, AUDIT_LOG, STORAGE_ROOT, IGNORED, FULL };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, SOCKET },
		{ "mode", required_argument, NULL, MODE },
		{ "audit-log", required_argument, NULL, AUDIT_LOG },
		{ "storage-root", required_argument, NULL, STORAGE_ROOT },
		{ "stage", required_argument, NULL, IGNORED },
		{ "config", required_argument, NULL, IGNORED }, /* read before: conf_load */
		/* used only when the hook verifies by itself: imprintd has its own store */
		{ "policy-dir", required_argument, NULL, IGNORED },
		{ "keys-dir", required_argument, NULL, IGNORED },
		{ "state-dir", required_argument, NULL, IGNORED },
		{ "fingerprint-dir", required_argument, NULL, IGNORED },
		{ "threads", required_argument, NULL, IGNORED },
		{ "paranoid", no_argument, NULL, FULL },
		{ "help", no_argument, NULL, FULL },
		{ 0 },
	};
	int opt;

	opterr = 0; /* the full hook says what is wrong */
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == SOCKET)
			s->socket_path = optarg;
		else if (opt == MODE && strcmp(optarg, "enforce") == 0)
			s->mode = VERIFY_ENFORCE;
		else if (opt == MODE && strcmp(optarg, "monitor") == 0)
			s->mode = VERIFY_MONITOR;
		else if (opt == AUDIT_LOG)
			s->audit_log = optarg;
		else if (opt == STORAGE_ROOT)
			s->storage_root = optarg;
		else if (opt != IGNORED)
			return -1;
	}
	return optind == argc && !s->paranoid ? 0 : -1;
}

int main(int argc, char **argv)
{
	_cleanup_(conf_freep) struct conf *conf = NULL;
	_cleanup_free_ char *state = NULL, *id = NULL, *bundle = NULL, *line = NULL;
	struct error err = { 0 };
	struct front_settings s;
	struct verify_result res;
	int64_t start;
	size_t len = 0;
	int r;

	if (argc > ARGS_MAX) {
		fprintf(stderr, "imprint: refused: more than %d arguments\n", ARGS_MAX);
		return 1;
	}
	r = conf_load(conf_path_from_args(argc, argv), &conf, &err);
	front_settings_init(&s, conf);
	if (r < 0 || parse_options(argc, argv, &s) < 0 || access(s.socket_path, F_OK) < 0)
		return exec_full(argc, argv, NULL, 0, false); /* stdin untouched */
	start = clock_monotonic_us();
	if (read_stream(STDIN_FILENO, OCI_STATE_MAX, &state, &len) < 0 ||
	    oci_state_parse(state, len, &id, &bundle, &err) < 0)
		return exec_full(argc, argv, state ? state : "", len, false); /* it refuses */
	verify_result_init(&res, id);
	if (imprintd_ask(s.socket_path, id, bundle, s.storage_root, s.mode,
			 oci_state_pid(state, len), NULL, &res, &err) < 0) {
		verify_result_release(&res);
		fprintf(stderr, "imprint-hook: %s; verifying in imprint hook\n", err.message);
		return exec_full(argc, argv, state, len, true);
	}
	res.elapsed_us = clock_monotonic_us() - start;
	line = audit_decision(s.audit_log, "hook", id, &res);
	r = res.allowed ? 0 : 1;
	verify_result_release(&res);
	return r;
}
