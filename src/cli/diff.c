/* SPDX-License-Identifier: Apache-2.0 */
/* imprint diff: what differs between two images or fingerprint files, like diff(1). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fingerprint/diff.h"

static void help(void)
{
	printf("Usage: imprint diff [OPTIONS] A B\n\n"
	       "Compare two images, file by file. A and B are image sources or fingerprint files\n"
	       "(written by 'imprint fingerprint -o'). When one side is a file, the source side\n"
	       "uses the file's exclusions.\n\n"
	       "Output, one line per difference:\n"
	       "  + PATH             only in B\n"
	       "  - PATH             only in A\n"
	       "  ~ PATH FIELDS      in both, FIELDS differ (type, mode, owner, size, content,\n"
	       "                     target, device, xattrs)\n\n"
	       "Options:\n"
	       "  --json               print {\"equal\", \"added\", \"removed\", \"changed\"}\n"
	       SOURCE_OPTIONS_HELP
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 no differences, 1 differences, 2 error.\n");
}

struct diff_output {
	bool json;
	json_t *added, *removed, *changed;
};

static int on_item(const struct diff_item *item, void *userdata)
{
	struct diff_output *o = userdata;
	json_t *fields = json_array();
	char names[128] = "";
	size_t len = 0;

	for (unsigned f = 1; f < _DIFF_FIELD_MAX; f <<= 1) {
		if (!(item->fields & f))
			continue;
		json_array_append_new(fields, json_string(diff_field_to_string(f)));
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? "," : "",
					diff_field_to_string(f));
	}
	if (o->json) {
		if (item->kind == DIFF_ADDED)
			json_array_append_new(o->added, json_string(item->path));
		else if (item->kind == DIFF_REMOVED)
			json_array_append_new(o->removed, json_string(item->path));
		else
			json_array_append_new(o->changed, json_pack("{s:s,s:O}", "path", item->path,
								    "fields", fields));
	} else {
		printf("%c %s%s%s\n", "+-~"[item->kind], item->path, len ? "  " : "", names);
	}
	json_decref(fields);
	return 0;
}

int verb_diff(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		SOURCE_LONG_OPTIONS,
		{ 0 },
	};
	struct cli c = { .verb = "diff" };
	struct fingerprint *fp[2] = { NULL, NULL };
	struct diff_output out = { 0 };
	struct source_options so;
	struct error err = { 0 };
	bool from_file = false;
	int opt, r = 0, n;

	source_options_init(&so);
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			source_options_release(&so);
			return EXIT_OK;
		case OPT_JSON:
			c.json = true;
			break;
		default:
			if (source_options_parse(&so, &c, opt, optarg) <= 0) {
				source_options_release(&so);
				return cli_usage(&c, "invalid option");
			}
		}
	}
	if (optind + 2 != argc) {
		source_options_release(&so);
		return cli_usage(&c, "want two arguments, A and B");
	}
	/* Files first: a source compared with a file uses the file's exclusions, unless the
	 * user chose exclusions. */
	for (int k = 0; k < 2 && r >= 0; k++)
		if (!is_image_source(argv[optind + k]))
			r = fingerprint_read(argv[optind + k], &fp[k], &err);
	if (!so.n_excludes && !so.no_default_excludes)
		for (int k = 0; k < 2 && r >= 0 && !from_file; k++)
			for (size_t i = 0; fp[k] && i < fp[k]->n_excludes && r >= 0; i++) {
				r = source_options_add_exclude(&so, fp[k]->excludes[i]);
				from_file = true;
			}
	if (r >= 0 && !from_file)
		r = source_options_finish(&so);
	for (int k = 0; k < 2 && r >= 0; k++)
		if (!fp[k])
			r = load_fingerprint(argv[optind + k], &so, &fp[k], &err);
	source_options_release(&so);
	if (r < 0) {
		fingerprint_free(fp[0]);
		fingerprint_free(fp[1]);
		return cli_error_from(&c, r, &err);
	}
	out.json = c.json;
	out.added = json_array();
	out.removed = json_array();
	out.changed = json_array();
	n = table_diff(&fp[0]->root, &fp[1]->root, on_item, &out);
	if (c.json) {
		json_t *o = json_pack("{s:b,s:O,s:O,s:O}", "equal", n == 0, "added", out.added,
				      "removed", out.removed, "changed", out.changed);
		char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(o);
	}
	json_decref(out.added);
	json_decref(out.removed);
	json_decref(out.changed);
	fingerprint_free(fp[0]);
	fingerprint_free(fp[1]);
	return n == 0 ? EXIT_OK : EXIT_NEGATIVE;
}
