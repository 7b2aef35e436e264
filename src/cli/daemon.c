/* SPDX-License-Identifier: Apache-2.0 */
/* imprint daemon (installed as imprintd): run the verifier with its verified-layer cache, or
 * ask a running one for its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "daemon/events_db.h"
#include "daemon/imprintd.h"
#include "daemon/metrics.h"

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
	       "  --events-db PATH     record decisions in this SQLite database ('' for none;\n"
	       "                       default " EVENTS_DB_DEFAULT ", docs/events.md)\n"
	       "  --events-max-rows N  keep at most N events (default %d; 0: unlimited)\n"
	       "  --events-max-age DAYS  drop events older than this (default %d; 0: unlimited)\n"
	       "  --metrics-socket PATH  serve Prometheus metrics (GET /metrics) on this unix\n"
	       "                       socket ('' for none; default " METRICS_SOCKET_NAME " in the\n"
	       "                       directory of --socket)\n"
	       "  --metrics-port PORT  also serve them on 127.0.0.1:PORT (default: off)\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 stopped by SIGTERM/SIGINT (or --status answered), 2 error.\n",
	       EVENTS_MAX_ROWS_DEFAULT, EVENTS_MAX_AGE_DEFAULT_S / 86400);
}

enum { OPT_EVENTS_DB = 0x200, OPT_EVENTS_MAX_ROWS, OPT_EVENTS_MAX_AGE, OPT_METRICS_SOCKET,
       OPT_METRICS_PORT };

/* A number from 0 to max; 0 means "unlimited" for the limits, which we store as -1. */
static int parse_limit(const char *arg, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int verb_daemon(int argc, char **argv)
{
	static const struct option options[] = {
		{ "status", no_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "events-db", required_argument, NULL, OPT_EVENTS_DB },
		{ "events-max-rows", required_argument, NULL, OPT_EVENTS_MAX_ROWS },
		{ "events-max-age", required_argument, NULL, OPT_EVENTS_MAX_AGE },
		{ "metrics-socket", required_argument, NULL, OPT_METRICS_SOCKET },
		{ "metrics-port", required_argument, NULL, OPT_METRICS_PORT },
		CHECK_LONG_OPTIONS,
		{ 0 },
	};
	struct cli c = { .verb = "daemon" };
	struct imprintd_options o = { 0 };
	struct check_options co;
	struct error err = { 0 };
	bool status = false;
	long long v;
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
		} else if (opt == OPT_EVENTS_DB) {
			o.events_db = optarg;
		} else if (opt == OPT_METRICS_SOCKET) {
			o.metrics_socket = optarg;
		} else if (opt == OPT_EVENTS_MAX_ROWS) {
			if (parse_limit(optarg, 1LL << 40, &v) < 0)
				return cli_usage(&c, "--events-max-rows wants a number, not '%s'", optarg);
			o.events_max_rows = v ? v : -1;
		} else if (opt == OPT_EVENTS_MAX_AGE) {
			if (parse_limit(optarg, 100000, &v) < 0)
				return cli_usage(&c, "--events-max-age wants a number of days, not '%s'",
						 optarg);
			o.events_max_age_s = v ? v * 86400 : -1;
		} else if (opt == OPT_METRICS_PORT) {
			if (parse_limit(optarg, 65535, &v) < 0)
				return cli_usage(&c, "--metrics-port wants a port number, not '%s'", optarg);
			o.metrics_port = (int)v;
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
