/* SPDX-License-Identifier: Apache-2.0 */
/* imprint learn: behavioral fingerprints (docs/behavior.md): options, writing the result, and the
 * --merge mode (the union of several fingerprints, RAD's or ours); learning with the sensor is
 * learn_live.c. Also `imprint fingerprint show FILE`, which verb_fingerprint() hands over. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "cli.h"
#include "fingerprint/behavior.h"

enum {
	OPT_IMAGE = 0x200,
	OPT_CONTAINER,
	OPT_DURATION,
	OPT_MERGE,
	OPT_PROCESSES,
};

static void learn_help(void)
{
	printf("Usage: imprint learn --image REF --out FILE [--json] -- COMMAND...\n"
	       "       imprint learn --container ID --duration TIME --out FILE [--json]\n"
	       "       imprint learn --merge [--out FILE] [--json] FILE...\n\n"
	       "Learn the behavioral fingerprint of an image (docs/behavior.md): the process tree\n"
	       "of its containers (programs with comm and args, uid, gid), the files each process\n"
	       "opens, the connections it makes and the ports it listens on. The file is RAD\n"
	       "Security's fingerprint format plus our extensions, canonical: the same behavior\n"
	       "gives the same bytes.\n\n"
	       "Modes:\n"
	       "  --image REF -- COMMAND   run COMMAND (podman run ...) and learn what the container\n"
	       "                       it starts does, until COMMAND exits; REF names the image\n"
	       "  --container ID --duration TIME  learn an already running container for TIME\n"
	       "                       (30s, 5m, 1h)\n"
	       "  --merge FILE...      the union of fingerprint files (several runs or replicas;\n"
	       "                       RAD's files too): one FILE gives its canonical form\n\n"
	       "Options:\n"
	       "  -o, --out FILE       write the fingerprint to FILE (replaced atomically) and print\n"
	       "                       a summary; '-' or no --out: the fingerprint to stdout\n"
	       "  --json               print the summary as JSON\n"
	       "  --storage-root DIR   containers-storage root holding REF, for imageDigest\n"
	       "  -v, --verbose        say which sensor hooks are active\n"
	       "  -h, --help           this help\n\n"
	       "Needs root: the sensor is eBPF (docs/sensor.md). Host processes are never\n"
	       "recorded; processes started with podman exec go to RAD's \"exec\" entry; lost\n"
	       "events mark the fingerprint incomplete, and what a process whose exec was lost\n"
	       "did is left out (it has no known place in the tree).\n"
	       "Exit codes: 0 success, 2 error.\n");
}

/* Nodes and processes (folded nodes counted count times) of a tree. */
static void tree_size(const struct bprocess *p, uint64_t *nodes, uint64_t *processes)
{
	uint64_t sub = 0, n = 0;

	for (size_t i = 0; i < p->n_children; i++)
		tree_size(&p->children[i], &n, &sub);
	*nodes += n + 1;
	*processes += (sub + 1) * (p->count ?: 1);
}

static int write_behavior(const struct cli *c, const struct behavior *b, const char *out)
{
	_cleanup_free_ char *buf = NULL;
	uint64_t nodes = 0, processes = 0;
	struct stat st;
	size_t len = 0;
	FILE *f;
	int r;

	if (!out || strcmp(out, "-") == 0) {
		r = behavior_write(b, stdout);
		if (r >= 0 && fflush(stdout) != 0)
			r = -EIO;
		return r < 0 ? cli_error(c, "cannot write the fingerprint: %s", strerror(-r))
			     : EXIT_OK;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return cli_error(c, "%m");
	r = behavior_write(b, f);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	/* /dev/null, a pipe: write to it; a regular file is replaced atomically. */
	if (r >= 0 && stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
		f = fopen(out, "we");
		r = f && fwrite(buf, 1, len, f) == len ? 0 : -errno ?: -EIO;
		if (f && fclose(f) != 0 && r >= 0)
			r = -errno;
	} else if (r >= 0) {
		r = write_file_atomic(out, buf, len, 0644);
	}
	if (r < 0)
		return cli_error(c, "cannot write %s: %s", out, strerror(-r));
	for (size_t i = 0; i < b->n_containers; i++) {
		tree_size(&b->containers[i].entrypoint, &nodes, &processes);
		if (b->containers[i].exec)
			tree_size(b->containers[i].exec, &nodes, &processes);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:b}", "output", out, "bytes",
				      (json_int_t)len, "containers", (json_int_t)b->n_containers,
				      "nodes", (json_int_t)nodes, "processes", (json_int_t)processes,
				      "complete", b->complete);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(o);
	} else {
		printf("%s: %zu container%s, %llu nodes, %llu processes%s\n", out, b->n_containers,
		       b->n_containers == 1 ? "" : "s", (unsigned long long)nodes,
		       (unsigned long long)processes, b->complete ? "" : ", INCOMPLETE");
	}
	return EXIT_OK;
}

/* The files merged so far: "a.json", "a.json and b.json", "a.json, b.json and c.json",
 * "a.json, b.json and 5 more". */
static void merged_names(char **files, int n, char *buf, size_t size)
{
	int shown = n <= 3 ? n : 2;
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < shown && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i == 0 ? "" : i == n - 1 ? " and " : ", ", files[i]);
	if (shown < n && len < size)
		snprintf(buf + len, size - len, " and %d more", n - shown);
}

/* Read each file and add it to the union of those before it. A file that cannot be read is
 * named with where in it the problem is; a conflict names the files: "cannot merge a.json with
 * b.json: container 'pg': the entrypoint runs as 1001:0 in one and 0:0 in the other" (one: the
 * union of the files before, named first; the other: the file that does not fit). */
static int learn_merge(const struct cli *c, char **files, int n, const char *out)
{
	_cleanup_(behavior_freep) struct behavior *all = NULL;
	struct error err = { 0 };
	char before[512];
	int r;

	r = behavior_read(files[0], &all, &err);
	for (int i = 1; i < n && r >= 0; i++) {
		_cleanup_(behavior_freep) struct behavior *b = NULL;

		r = behavior_read(files[i], &b, &err);
		if (r < 0)
			break;
		r = behavior_merge(all, b, &err);
		if (r < 0) {
			merged_names(files, i, before, sizeof(before));
			error_prefix(&err, r, "cannot merge %s with %s", before, files[i]);
		}
	}
	if (r < 0)
		return cli_error_from(c, r, &err);
	return write_behavior(c, all, out);
}

int verb_learn(int argc, char **argv)
{
	static const struct option options[] = {
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "out", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	struct cli c = { .verb = "learn" };
	const char *image = NULL, *container = NULL, *duration = NULL, *out = NULL;
	const char *storage_root = NULL;
	bool merge = false, verbose = false;
	int64_t duration_ms = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "hvo:", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			learn_help();
			return EXIT_OK;
		case 'v':
			verbose = true;
			break;
		case OPT_STORAGE_ROOT:
			storage_root = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_IMAGE:
			image = optarg;
			break;
		case OPT_CONTAINER:
			container = optarg;
			break;
		case OPT_DURATION:
			duration = optarg;
			break;
		case OPT_MERGE:
			merge = true;
			break;
		case OPT_JSON:
			c.json = true;
			break;
		default:
			return cli_usage(&c, "invalid option");
		}
	}
	if (merge + !!image + !!container != 1)
		return cli_usage(&c, "want one of --merge, --image or --container");
	if (merge) {
		if (optind >= argc)
			return cli_usage(&c, "--merge wants at least one fingerprint file");
		return learn_merge(&c, argv + optind, argc - optind, out);
	}
	if (image && optind >= argc)
		return cli_usage(&c, "--image wants a command after '--'");
	if (container && (!duration || optind < argc))
		return cli_usage(&c, "--container wants --duration and no command");
	if (duration && (duration_ms = parse_duration(duration)) < 0)
		return cli_usage(&c, "--duration wants a time like 30s, 5m or 1h");
	r = learn_live(&c, image, container, duration_ms, storage_root, verbose,
		       image ? argv + optind : NULL, &b);
	if (r != EXIT_OK)
		return r;
	return write_behavior(&c, b, out);
}

/* imprint fingerprint show */

static void show_help(void)
{
	printf("Usage: imprint fingerprint show [OPTIONS] FILE\n\n"
	       "Print a behavioral fingerprint (ours or RAD's; '-' reads stdin) as a tree: per\n"
	       "container, each process with its programs (exec), uid and gid, the files it\n"
	       "opened, the connections it made and the ports it listened on. Identical sibling\n"
	       "processes are shown once with their count (\u00d7N). docs/behavior.md.\n\n"
	       "Options:\n"
	       "  --processes          only the processes and their programs\n"
	       "  --json               print the canonical fingerprint instead\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 success, 2 error.\n");
}

int behavior_show_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	struct cli c = { .verb = "fingerprint show" };
	struct error err = { 0 };
	bool processes = false;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			show_help();
			return EXIT_OK;
		case OPT_PROCESSES:
			processes = true;
			break;
		case OPT_JSON:
			c.json = true;
			break;
		default:
			return cli_usage(&c, "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&c, "want exactly one FILE");
	r = behavior_read(argv[optind], &b, &err);
	if (r < 0)
		return cli_error_from(&c, r, &err);
	if (c.json)
		return write_behavior(&c, b, NULL);
	behavior_print_tree(b, processes, stdout);
	return fflush(stdout) == 0 ? EXIT_OK : cli_error(&c, "cannot write: %m");
}
