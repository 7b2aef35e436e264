/* SPDX-License-Identifier: Apache-2.0 */
/* imprint daemon (installed as imprintd): run the verifier with its verified-layer cache, or
 * ask a running one for its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"

#include "cli.h"
#include "daemon/events_db.h"
#include "daemon/imprintd.h"
#include "daemon/metrics.h"
#include "daemon/protector.h"
#include "enforce/guard.h"

#define CONFIG_DEFAULT "/etc/imprint/imprintd.conf"
#define CONFIG_MAX (64u * 1024)
#define CONFIG_ARGS_MAX 64

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
	       "  --config FILE        key = value options (default " CONFIG_DEFAULT ", read if\n"
	       "                       it exists; '' for none; docs/daemon.md); the command line\n"
	       "                       overrides it\n"
	       "  --no-protect         verification only: no runtime protection\n"
	       "  --pin-dir DIR        bpffs directory of the pinned layers (default\n"
	       "                       " GUARD_PIN_DIR ")\n"
	       "  --protect-state-dir DIR  the protected containers' records, for restarts\n"
	       "                       (default " PROTECTOR_STATE_DIR ")\n"
	       "  --behavior-dir DIR   behavioral fingerprints (network rules, tree-aware mode;\n"
	       "                       default: none)\n"
	       "  --decision-timeout MS  fanotify watchdog (default 1000)\n"
	       "  --drift, --no-drift  run the eBPF sensor and report running containers that\n"
	       "                       drift from their image's fingerprint in --behavior-dir,\n"
	       "                       as `imprint watch` does (default: --no-drift)\n"
	       "  --storage-root DIR   containers-storage root where drift detection finds a\n"
	       "                       container's image (repeatable; default\n"
	       "                       " DEFAULT_STORAGE_ROOT ")\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 stopped by SIGTERM/SIGINT (or --status answered), 2 error.\n",
	       EVENTS_MAX_ROWS_DEFAULT, EVENTS_MAX_AGE_DEFAULT_S / 86400);
}

enum { OPT_EVENTS_DB = 0x200, OPT_EVENTS_MAX_ROWS, OPT_EVENTS_MAX_AGE, OPT_METRICS_SOCKET,
       OPT_METRICS_PORT, OPT_CONFIG, OPT_PROTECT, OPT_NO_PROTECT, OPT_PIN_DIR,
       OPT_PROTECT_STATE_DIR, OPT_BEHAVIOR_DIR, OPT_DECISION_TIMEOUT, OPT_DRIFT, OPT_NO_DRIFT };

#define STORAGE_ROOTS_MAX 8

/* The config file's arguments: an array of CONFIG_ARGS_MAX, NULL after the last. */
static void config_args_freep(char ***p)
{
	if (*p)
		for (size_t i = 0; i < CONFIG_ARGS_MAX && (*p)[i]; i++)
			free((*p)[i]);
	free(*p);
}

/* The config file as "--key=value" arguments put before the command line's, so that getopt
 * applies both and the command line wins. "protect = no" is --no-protect, "drift = yes"
 * --drift. Lines: "# comment",
 * blank, or "key = value". *ret_args and the strings in it are the caller's. */
static int config_args(const char *path, bool explicit, char ***ret_args, int *ret_n,
		       struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	char **args = calloc(CONFIG_ARGS_MAX, sizeof(char *));
	char *line, *save = NULL;
	size_t len;
	int n = 0, lineno = 0, r;

	if (!args)
		return -ENOMEM;
	*ret_args = args;
	*ret_n = 0;
	r = read_file(path, CONFIG_MAX, &buf, &len);
	if (r == -ENOENT && !explicit)
		return 0;
	if (r < 0)
		return error_set(err, r, "%s: %s", path, strerror(-r));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *key = line + strspn(line, " \t"), *eq = strchr(key, '='), *val, *end;

		lineno++;
		if (!*key || *key == '#')
			continue;
		if (!eq || n == CONFIG_ARGS_MAX)
			return error_set(err, -EINVAL, "%s: line %d: want key = value", path,
					 lineno);
		for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		val = eq + 1 + strspn(eq + 1, " \t");
		for (end = val + strlen(val); end > val && strchr(" \t\r", end[-1]); end--)
			;
		*end = '\0';
		if (strcmp(key, "protect") == 0 || strcmp(key, "drift") == 0)
			args[n] = strdup_printf("--%s%s", strcmp(val, "no") == 0 ? "no-" : "", key);
		else
			args[n] = strdup_printf("--%s=%s", key, val);
		if (!args[n++])
			return -ENOMEM;
	}
	*ret_n = n;
	return 0;
}

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
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "protect", no_argument, NULL, OPT_PROTECT },
		{ "no-protect", no_argument, NULL, OPT_NO_PROTECT },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "protect-state-dir", required_argument, NULL, OPT_PROTECT_STATE_DIR },
		{ "behavior-dir", required_argument, NULL, OPT_BEHAVIOR_DIR },
		{ "decision-timeout", required_argument, NULL, OPT_DECISION_TIMEOUT },
		{ "drift", no_argument, NULL, OPT_DRIFT },
		{ "no-drift", no_argument, NULL, OPT_NO_DRIFT },
		{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },
		CHECK_LONG_OPTIONS,
		{ 0 },
	};
	struct cli c = { .verb = "daemon" };
	const char *roots[STORAGE_ROOTS_MAX];
	struct imprintd_options o = { .protect = true, .storage_roots = roots };
	struct check_options co;
	struct error err = { 0 };
	const char *config = getenv("IMPRINT_CONFIG") ?: CONFIG_DEFAULT;
	bool status = false, explicit = getenv("IMPRINT_CONFIG") != NULL;
	/* Both live until verb_daemon() returns: the options point into them. */
	_cleanup_(config_args_freep) char **cargs = NULL;
	_cleanup_free_ char **all = NULL;
	int n_cargs = 0, n_all;
	long long v;
	int opt, r;

	check_options_init(&co, NULL);
	/* --config first (it decides which file the other options start from). */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[i + 1];
			explicit = true;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config = argv[i] + 9;
			explicit = true;
		}
	}
	if (*config) {
		r = config_args(config, explicit, &cargs, &n_cargs, &err);
		if (r < 0)
			return cli_error_from(&c, -EINVAL, &err);
	}
	all = calloc((size_t)(argc + n_cargs + 1), sizeof(char *));
	if (!all)
		return EXIT_ERROR;
	all[0] = argv[0];
	for (int i = 0; i < n_cargs; i++)
		all[1 + i] = cargs[i];
	for (int i = 1; i < argc; i++)
		all[n_cargs + i] = argv[i];
	n_all = argc + n_cargs;
	argc = n_all;
	argv = all;
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
		} else if (opt == OPT_CONFIG) {
			; /* read above */
		} else if (opt == OPT_PROTECT || opt == OPT_NO_PROTECT) {
			o.protect = opt == OPT_PROTECT;
		} else if (opt == OPT_DRIFT || opt == OPT_NO_DRIFT) {
			o.drift = opt == OPT_DRIFT;
		} else if (opt == OPT_STORAGE_ROOT) {
			if (o.n_storage_roots == STORAGE_ROOTS_MAX)
				return cli_usage(&c, "at most %d --storage-root", STORAGE_ROOTS_MAX);
			roots[o.n_storage_roots++] = optarg;
		} else if (opt == OPT_PIN_DIR) {
			o.pin_dir = optarg;
		} else if (opt == OPT_PROTECT_STATE_DIR) {
			o.protect_state_dir = optarg;
		} else if (opt == OPT_BEHAVIOR_DIR) {
			o.behavior_dir = optarg;
		} else if (opt == OPT_DECISION_TIMEOUT) {
			if (parse_limit(optarg, 60000, &v) < 0 || v < 1)
				return cli_usage(&c, "--decision-timeout wants 1 to 60000 ms");
			o.decision_timeout_ms = (int)v;
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
		json_t *answer = NULL;
		char *text;

		r = imprintd_status(co.socket_path, &answer, &err);
		if (r < 0)
			return cli_error_from(&c, r, &err);
		text = json_dumps(answer, JSON_INDENT(2));
		json_decref(answer);
		printf("%s\n", text ? text : "{}");
		free(text);
		return EXIT_OK;
	}
	o.pin_dir = o.pin_dir ?: getenv("IMPRINT_PIN_DIR");
	o.socket_path = co.socket_path;
	o.store = co.store;
	o.verify = co.verify;
	r = imprintd_run(&o, &err);
	return r < 0 ? cli_error_from(&c, r, &err) : EXIT_OK;
}
