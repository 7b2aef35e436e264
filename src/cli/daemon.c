/* SPDX-License-Identifier: Apache-2.0 */
/* imprint daemon (installed as imprintd): run the verifier with its verified-layer cache, or
 * ask a running one for its status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "daemon/imprintd.h"

static void help(void)
{
	printf("Usage: imprintd [OPTIONS]\n"
	       "       imprint daemon [OPTIONS]\n"
	       "       imprint daemon --status [--socket PATH]\n\n"
	       "Run the verifier in the foreground: the hook and imprint-runc ask it over a unix\n"
	       "socket before they verify by themselves. It verifies each stored layer once, keeps\n"
	       "the result in memory only, and a fanotify filesystem mark drops a layer from the\n"
	       "cache on any change below it (docs/verify.md). Needs root (CAP_SYS_ADMIN).\n\n"
	       "Options:\n"
	       "  --socket PATH        listen here (default " IMPRINTD_SOCKET ")\n"
	       "  --status             print a running daemon's cache figures (JSON) and exit\n"
	       "  --policy-dir, --keys-dir, --state-dir, --fingerprint-dir DIR  as for verify\n"
	       "  --threads N          hashing threads (default: number of CPUs)\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 stopped by SIGTERM/SIGINT (or --status answered), 2 error.\n");
}

int verb_daemon(int argc, char **argv)
{
	static const struct option options[] = {
		{ "status", no_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		CHECK_LONG_OPTIONS,
		{ 0 },
	};
	struct cli c = { .verb = "daemon" };
	struct imprintd_options o = { 0 };
	struct check_options co;
	struct error err = { 0 };
	bool status = false;
	int opt, r;

	check_options_init(&co, NULL);
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			help();
			return EXIT_OK;
		} else if (opt == 'S') {
			status = true;
		} else if (opt == OPT_THREADS) {
			o.threads = (unsigned)strtoul(optarg, NULL, 10);
		} else if (opt == OPT_SOCKET) {
			co.socket_path = optarg;
		} else if ((r = check_options_parse(&co, &c, opt, optarg)) <= 0) {
			return r == 0 ? cli_usage(&c, "invalid option") : EXIT_ERROR;
		}
	}
	if (optind != argc)
		return cli_usage(&c, "no arguments expected");
	if (status) {
		_cleanup_free_ char *text = NULL;

		r = imprintd_status(co.socket_path, &text, &err);
		if (r < 0)
			return cli_error_from(&c, r, &err);
		printf("%s\n", text);
		return EXIT_OK;
	}
	o.socket_path = co.socket_path;
	o.store = co.store;
	o.verify = co.verify;
	r = imprintd_run(&o, &err);
	return r < 0 ? cli_error_from(&c, r, &err) : EXIT_OK;
}
