/* SPDX-License-Identifier: Apache-2.0 */
/* imprint daemon (installed as imprintd): run the verifier with its verified-layer cache, or
 * ask a running one for its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"

#include "cli.h"
#include "daemon/events_db.h"
#include "daemon/imprintd.h"
#include "daemon/metrics.h"
#include "daemon/protector.h"
#include "enforce/guard.h"

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
	       "  --config FILE        the configuration: key = value, the keys are these long\n"
	       "                       options (default " CONF_FILE_DEFAULT " and its\n"
	       "                       drop-ins in " CONF_FILE_DEFAULT ".d/, '' for none;\n"
	       "                       docs/cli.md); IMPRINT_KEY variables override it, the\n"
	       "                       command line overrides both\n"
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
       OPT_METRICS_PORT, OPT_PROTECT, OPT_NO_PROTECT, OPT_PIN_DIR, OPT_PROTECT_STATE_DIR,
       OPT_BEHAVIOR_DIR, OPT_DECISION_TIMEOUT, OPT_DRIFT, OPT_NO_DRIFT };

#define STORAGE_ROOTS_MAX 8
/* Read by imprintd before imprint.conf existed; said once at start, never read. */
#define OLD_CONFIG "/etc/imprint/imprintd.conf"

/* What verb_daemon() gathers from the configuration and the command line. The strings point
 * into the configuration or argv. */
struct daemon_args {
	struct imprintd_options o;
	const char *roots[STORAGE_ROOTS_MAX];
	struct check_options co;
	bool status, cmdline_roots;
};

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

/* The daemon's numeric options: 1, or -1 after reporting a usage error. */
static int daemon_number(struct daemon_args *d, const struct cli *c, int opt, const char *arg)
{
	static const struct {
		int opt;
		const char *name;
		long long min, max;
	} limits[] = {
		{ OPT_EVENTS_MAX_ROWS, "events-max-rows", 0, 1LL << 40 },
		{ OPT_EVENTS_MAX_AGE, "events-max-age", 0, 100000 },
		{ OPT_METRICS_PORT, "metrics-port", 0, 65535 },
		{ OPT_DECISION_TIMEOUT, "decision-timeout", 1, 60000 },
	};
	struct imprintd_options *o = &d->o;
	long long v = 0;

	for (size_t i = 0; i < ARRAY_SIZE(limits); i++)
		if (limits[i].opt == opt &&
		    (parse_limit(arg, limits[i].max, &v) < 0 || v < limits[i].min)) {
			cli_usage(c, "--%s wants a number from %lld to %lld, not '%s'",
				  limits[i].name, limits[i].min, limits[i].max, arg);
			return -1;
		}
	if (opt == OPT_EVENTS_MAX_ROWS)
		o->events_max_rows = v ? v : -1;
	else if (opt == OPT_EVENTS_MAX_AGE)
		o->events_max_age_s = v ? v * 86400 : -1;
	else if (opt == OPT_METRICS_PORT)
		o->metrics_port = (int)v;
	else
		o->decision_timeout_ms = (int)v;
	return 1;
}

/* One of the daemon's own options, from the command line or the configuration: 1 if it was
 * one, 0 if not, -1 after reporting a usage error. */
static int daemon_option(struct daemon_args *d, const struct cli *c, int opt, const char *arg)
{
	struct imprintd_options *o = &d->o;

	switch (opt) {
	case OPT_EVENTS_DB:
		o->events_db = arg;
		return 1;
	case OPT_METRICS_SOCKET:
		o->metrics_socket = arg;
		return 1;
	case OPT_EVENTS_MAX_ROWS:
	case OPT_EVENTS_MAX_AGE:
	case OPT_METRICS_PORT:
	case OPT_DECISION_TIMEOUT:
		return daemon_number(d, c, opt, arg);
	case OPT_PROTECT:
	case OPT_NO_PROTECT:
		o->protect = opt == OPT_PROTECT;
		return 1;
	case OPT_DRIFT:
	case OPT_NO_DRIFT:
		o->drift = opt == OPT_DRIFT;
		return 1;
	case OPT_STORAGE_ROOT:
		if (o->n_storage_roots == STORAGE_ROOTS_MAX) {
			cli_usage(c, "at most %d storage roots", STORAGE_ROOTS_MAX);
			return -1;
		}
		d->roots[o->n_storage_roots++] = arg;
		return 1;
	case OPT_PIN_DIR:
		o->pin_dir = arg;
		return 1;
	case OPT_PROTECT_STATE_DIR:
		o->protect_state_dir = arg;
		return 1;
	case OPT_BEHAVIOR_DIR:
		o->behavior_dir = arg;
		return 1;
	case OPT_THREADS:
		o->threads = (unsigned)strtoul(arg, NULL, 10);
		return 1;
	case OPT_SOCKET:
		d->co.socket_path = arg;
		return 1;
	default:
		return 0;
	}
}

/* The daemon's own keys from the configuration (check_options_init() took the shared ones). */
static int daemon_conf(struct daemon_args *d, const struct cli *c, const struct conf *conf)
{
	static const struct {
		const char *key;
		int opt;
	} keys[] = {
		{ "events-db", OPT_EVENTS_DB },
		{ "events-max-rows", OPT_EVENTS_MAX_ROWS },
		{ "events-max-age", OPT_EVENTS_MAX_AGE },
		{ "metrics-socket", OPT_METRICS_SOCKET },
		{ "metrics-port", OPT_METRICS_PORT },
		{ "pin-dir", OPT_PIN_DIR },
		{ "protect-state-dir", OPT_PROTECT_STATE_DIR },
		{ "behavior-dir", OPT_BEHAVIOR_DIR },
		{ "decision-timeout", OPT_DECISION_TIMEOUT },
		{ "storage-root", OPT_STORAGE_ROOT },
	};
	const char *values[STORAGE_ROOTS_MAX + 1];

	d->o.protect = conf_get_bool(conf, "protect", true);
	d->o.drift = conf_get_bool(conf, "drift", false);
	d->o.threads = d->co.threads;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		size_t n = conf_get_all(conf, keys[i].key, values, ARRAY_SIZE(values));

		for (size_t j = 0; j < n && j < ARRAY_SIZE(values); j++)
			if (daemon_option(d, c, keys[i].opt, values[j]) < 0)
				return -1;
	}
	return 0;
}

static int daemon_status(const struct cli *c, const char *socket_path)
{
	struct error err = { 0 };
	json_t *answer = NULL;
	char *text;
	int r = imprintd_status(socket_path, &answer, &err);

	if (r < 0)
		return cli_error_from(c, r, &err);
	text = json_dumps(answer, JSON_INDENT(2));
	json_decref(answer);
	printf("%s\n", text ? text : "{}");
	free(text);
	return EXIT_OK;
}

static const struct option daemon_options[] = {
	{ "status", no_argument, NULL, 'S' },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "help", no_argument, NULL, 'h' },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "events-db", required_argument, NULL, OPT_EVENTS_DB },
	{ "events-max-rows", required_argument, NULL, OPT_EVENTS_MAX_ROWS },
	{ "events-max-age", required_argument, NULL, OPT_EVENTS_MAX_AGE },
	{ "metrics-socket", required_argument, NULL, OPT_METRICS_SOCKET },
	{ "metrics-port", required_argument, NULL, OPT_METRICS_PORT },
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

int verb_daemon(int argc, char **argv)
{
	_cleanup_(conf_freep) struct conf *conf = NULL;
	struct cli c = { .verb = "daemon" };
	struct daemon_args d = { 0 };
	struct error err = { 0 }, conf_err = { 0 };
	int opt, r;

	d.o.storage_roots = d.roots;
	(void)conf_load(conf_path_from_args(argc, argv), &conf, &conf_err);
	check_options_init(&d.co, NULL, conf);
	if (daemon_conf(&d, &c, conf) < 0)
		return EXIT_ERROR;
	while ((opt = getopt_long(argc, argv, "h", daemon_options, NULL)) != -1) {
		if (opt == 'h') {
			help();
			return EXIT_OK;
		} else if (opt == 'S') {
			d.status = true;
			continue;
		} else if (opt == OPT_STORAGE_ROOT && !d.cmdline_roots) {
			d.cmdline_roots = true; /* the command line's roots replace the file's */
			d.o.n_storage_roots = 0;
		}
		r = daemon_option(&d, &c, opt, optarg);
		if (r == 0)
			r = check_options_parse(&d.co, &c, opt, optarg);
		if (r <= 0)
			return r == 0 ? cli_usage(&c, "invalid option") : EXIT_ERROR;
	}
	if (optind != argc)
		return cli_usage(&c, "no arguments expected");
	if (conf_err.message[0])
		return cli_error(&c, "%s", conf_err.message);
	if (d.status)
		return daemon_status(&c, d.co.socket_path);
	if (access(OLD_CONFIG, F_OK) == 0)
		fprintf(stderr, "imprintd: %s is not read any more: move its lines to %s "
			"(docs/daemon.md)\n", OLD_CONFIG, CONF_FILE_DEFAULT);
	d.o.socket_path = d.co.socket_path;
	d.o.store = d.co.store;
	d.o.verify = d.co.verify;
	r = imprintd_run(&d.o, &err);
	return r < 0 ? cli_error_from(&c, r, &err) : EXIT_OK;
}
