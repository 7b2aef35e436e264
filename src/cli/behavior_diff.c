/* SPDX-License-Identifier: Apache-2.0 */
/* imprint behavior-diff: what one behavioral fingerprint does that another does not, and the
 * reverse (docs/behavior.md). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fingerprint/behavior.h"

static void help(void)
{
	printf("Usage: imprint behavior-diff [OPTIONS] A B\n\n"
	       "Compare two behavioral fingerprints (ours or RAD's; '-' reads stdin), container by\n"
	       "container (matched by name) and place by place in the process tree. A place is the\n"
	       "path of process names from the root, each process named by the comms of its\n"
	       "programs: entrypoint/setup.sh/date.\n\n"
	       "Output, one line per difference:\n"
	       "  + CONTAINER PLACE: WHAT VALUE   B does it, A does not\n"
	       "  - CONTAINER PLACE: WHAT VALUE   A does it, B does not\n"
	       "WHAT is program (comm: args), file, connection (address:port), listen (port),\n"
	       "identity (uid:gid), or container (a container only one side has; VALUE is its\n"
	       "image name).\n\n"
	       "Options:\n"
	       "  --json               print {\"equal\", \"added\", \"removed\"}, each difference as\n"
	       "                       {\"container\", \"where\", \"what\", \"value\"}\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 no differences, 1 differences, 2 error.\n");
}

struct output {
	bool json;
	json_t *added, *removed;
};

static int on_item(const struct bdiff_item *item, void *userdata)
{
	struct output *o = userdata;
	const char *what = bdiff_what_to_string(item->what);

	if (o->json) {
		json_t *x = json_pack("{s:s,s:s,s:s,s:s}", "container", item->container, "where",
				      item->where, "what", what, "value", item->value);

		if (!x || json_array_append_new(item->kind == BDIFF_ADDED ? o->added : o->removed,
						x) < 0)
			return -ENOMEM;
	} else if (item->what == BDIFF_CONTAINER) {
		printf("%c container %s (%s)\n", item->kind == BDIFF_ADDED ? '+' : '-',
		       item->container, item->value);
	} else {
		printf("%c %s %s: %s %s\n", item->kind == BDIFF_ADDED ? '+' : '-', item->container,
		       item->where, what, item->value);
	}
	return 0;
}

int verb_behavior_diff(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(behavior_freep) struct behavior *a = NULL;
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	struct cli c = { .verb = "behavior-diff" };
	struct output out = { 0 };
	struct error err = { 0 };
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			return EXIT_OK;
		case OPT_JSON:
			c.json = true;
			break;
		default:
			return cli_usage(&c, "invalid option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage(&c, "want two arguments, A and B");
	r = behavior_read(argv[optind], &a, &err);
	if (r >= 0)
		r = behavior_read(argv[optind + 1], &b, &err);
	if (r < 0)
		return cli_error_from(&c, r, &err);
	out.json = c.json;
	out.added = json_array();
	out.removed = json_array();
	r = out.added && out.removed ? behavior_diff(a, b, on_item, &out) : -ENOMEM;
	if (r >= 0 && c.json) {
		json_t *o = json_pack("{s:b,s:O,s:O}", "equal", r == 0, "added", out.added,
				      "removed", out.removed);
		char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(o);
	}
	json_decref(out.added);
	json_decref(out.removed);
	if (r < 0)
		return cli_error(&c, "%s", strerror(-r));
	return r == 0 ? EXIT_OK : EXIT_NEGATIVE;
}
