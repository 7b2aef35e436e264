/* SPDX-License-Identifier: Apache-2.0 */
/* imprint events: query imprintd's events database (docs/events.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "cli.h"
#include "daemon/events_db.h"
#include "policy/policy.h"

static void help(void)
{
	printf("Usage: imprint events [OPTIONS]\n\n"
	       "Show the decisions, alerts and lost-event records imprintd keeps in its events\n"
	       "database (SQLite), oldest first: a table, or with --json one JSON object a line\n"
	       "(id, time, kind, container, image, code, verdict, detail). An alert's detail is\n"
	       "the Falco-shaped alert object; a decision's is the audit log record.\n\n"
	       "Options:\n"
	       "  --since WHEN         only events at or after WHEN: a duration back from now\n"
	       "                       (90s, 15m, 2h, 7d) or a time (2026-11-23T18:00:00Z, 2026-11-23)\n"
	       "  --until WHEN         only events at or before WHEN (same forms)\n"
	       "  --container ID       one container: its full id or a prefix (4 characters or more)\n"
	       "  --kind KIND          decision, alert or lost\n"
	       "  --limit N            only the newest N matching events\n"
	       "  --json               JSON lines instead of a table\n"
	       "  --db PATH            the database (default: events-db in the configuration,\n"
	       "                       else " EVENTS_DB_DEFAULT ")\n"
	       "  --config FILE        the configuration (default " CONF_FILE_DEFAULT ")\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 success (also when nothing matches), 2 error (bad usage; a missing,\n"
	       "unreadable or corrupt database).\n");
}

enum { OPT_SINCE = 0x200, OPT_UNTIL, OPT_CONTAINER, OPT_KIND, OPT_LIMIT, OPT_DB };

/* A duration back from now ("90s", "15m", "2h", "7d", "90") or a UTC time. */
static int parse_when(const char *s, int64_t *ret)
{
	size_t n = strlen(s);
	int64_t secs;

	if (n > 1 && s[n - 1] == 'd' && s[0] >= '0' && s[0] <= '9') {
		char *end;
		double days = strtod(s, &end);

		if (end != s + n - 1 || days <= 0 || days > 100000)
			return -EINVAL;
		*ret = clock_realtime_us() - (int64_t)(days * 86400e6);
		return 0;
	}
	if (strchr(s, '-')) {
		_cleanup_free_ char *full = n == 10 ? strdup_printf("%sT00:00:00Z", s) : NULL;

		if (time_parse_rfc3339(full ? full : s, &secs) < 0)
			return -EINVAL;
		*ret = secs * 1000000;
		return 0;
	}
	secs = parse_duration(s); /* milliseconds */
	if (secs <= 0)
		return -EINVAL;
	*ret = clock_realtime_us() - secs * 1000;
	return 0;
}

/* "2026-11-23T19:40:01.123456Z" */
static void format_time(int64_t us, char buf[static 40])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	int64_t frac = us % 1000000;

	if (frac < 0) {
		frac += 1000000;
		t--;
	}
	gmtime_r(&t, &tm);
	strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), 16, ".%06lldZ", (long long)frac);
}

struct printer {
	bool json;
	size_t rows;
};

static void print_header(void)
{
	printf("%-20s  %-8s  %-12s  %-12s  %-24s  %s\n", "TIME", "KIND", "CONTAINER", "VERDICT",
	       "CODE", "IMAGE");
}

static int print_row(const struct event *e, void *userdata)
{
	struct printer *p = userdata;
	char when[40];

	format_time(e->time_us, when);
	if (p->json) {
		json_t *detail = e->detail ? json_loads(e->detail, JSON_DECODE_ANY, NULL) : NULL;
		json_t *j;
		char *text;

		if (e->detail && !detail) /* not JSON (an older writer, a hand edit): as text */
			detail = json_string(e->detail);
		j = json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:o?}", "id", (json_int_t)e->id,
			      "time", when, "kind", event_kind_to_string(e->kind), "container",
			      e->container, "image", e->image, "code", e->code, "verdict",
			      e->verdict, "detail", detail);
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!text)
			return -ENOMEM;
		printf("%s\n", text);
		free(text);
	} else {
		if (p->rows == 0)
			print_header();
		when[19] = '\0'; /* seconds are enough for people */
		printf("%-20s  %-8s  %-12.12s  %-12s  %-24s  %s\n", when,
		       event_kind_to_string(e->kind), e->container ? e->container : "-",
		       e->verdict ? e->verdict : "-", e->code ? e->code : "-",
		       e->image ? e->image : "-");
	}
	p->rows++;
	return 0;
}

int verb_events(int argc, char **argv)
{
	static const struct option options[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "db", required_argument, NULL, OPT_DB },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(events_db_freep) struct events_db *db = NULL;
	_cleanup_(conf_freep) struct conf *conf = NULL;
	struct events_db_options o = { .path = EVENTS_DB_DEFAULT };
	struct events_query q = { .kind = -1 };
	struct printer p = { 0 };
	struct cli c = { .verb = "events" };
	struct error err = { 0 }, conf_err = { 0 };
	enum event_kind kind;
	char *end;
	int opt, r;

	(void)conf_load(conf_path_from_args(argc, argv), &conf, &conf_err);
	if (conf_get(conf, "events-db") && *conf_get(conf, "events-db"))
		o.path = conf_get(conf, "events-db");
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			return EXIT_OK;
		case OPT_SINCE:
			if (parse_when(optarg, &q.since_us) < 0)
				return cli_usage(&c, "--since wants a duration (15m, 2h, 7d) or a time "
						     "(2026-11-23T18:00:00Z), not '%s'", optarg);
			break;
		case OPT_UNTIL:
			if (parse_when(optarg, &q.until_us) < 0)
				return cli_usage(&c, "--until wants a duration (15m, 2h, 7d) or a time "
						     "(2026-11-23T18:00:00Z), not '%s'", optarg);
			break;
		case OPT_CONTAINER:
			if (strlen(optarg) < 4 || strlen(optarg) > EVENTS_FIELD_MAX)
				return cli_usage(&c, "--container wants an id or a prefix of at least "
						     "4 characters");
			q.container = optarg;
			break;
		case OPT_KIND:
			if (event_kind_from_string(optarg, &kind) < 0)
				return cli_usage(&c, "--kind must be decision, alert or lost, not '%s'",
						 optarg);
			q.kind = (int)kind;
			break;
		case OPT_LIMIT:
			errno = 0;
			q.limit = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || q.limit <= 0)
				return cli_usage(&c, "--limit wants a positive number, not '%s'", optarg);
			break;
		case OPT_JSON:
			c.json = p.json = true;
			break;
		case OPT_DB:
			o.path = optarg;
			break;
		case OPT_CONFIG:
			break; /* read above */
		default:
			return cli_usage(&c, "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage(&c, "no arguments expected");
	if (conf_err.message[0])
		return cli_error(&c, "%s", conf_err.message);
	r = events_db_open(&o, true, &db, &err);
	if (r >= 0)
		r = events_db_query(db, &q, print_row, &p, &err);
	if (r < 0)
		return cli_error_from(&c, r, &err);
	if (p.rows == 0 && !p.json)
		print_header(); /* nothing matched: say so by the empty table */
	return fflush(stdout) == 0 ? EXIT_OK : cli_error(&c, "cannot write the output: %m");
}
