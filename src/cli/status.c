/* SPDX-License-Identifier: Apache-2.0 */
/* imprint status: what a running imprintd has loaded and protects (docs/daemon.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon/client.h"

#define EXIT_NOT_RUNNING 3

static void help(void)
{
	printf("Usage: imprint status [--json] [--socket PATH]\n\n"
	       "Ask imprintd what it has loaded (policies and their serials), which enforcement\n"
	       "layers are active (fanotify exec, BPF exec kill, cgroup network, BPF-LSM) and which\n"
	       "containers it protects, in which mode (docs/daemon.md).\n\n"
	       "Options:\n"
	       "  --socket PATH        imprintd's socket (default " IMPRINTD_SOCKET ")\n"
	       "  --json               the status document as JSON\n"
	       "  --config FILE        the configuration (default " CONF_FILE_DEFAULT ")\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 imprintd answered, 2 error, 3 imprintd is not running.\n");
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "-";
}

static void print_text(json_t *st)
{
	json_t *prot = json_object_get(st, "protection"), *layers = json_object_get(prot, "layers");
	json_t *v;
	size_t i;

	printf("imprintd pid %lld; layer cache: %lld layers, %lld hits, %lld misses\n",
	       (long long)json_integer_value(json_object_get(st, "pid")),
	       (long long)json_integer_value(json_object_get(st, "layers")),
	       (long long)json_integer_value(json_object_get(st, "hits")),
	       (long long)json_integer_value(json_object_get(st, "misses")));
	printf("policies:\n");
	json_array_foreach(json_object_get(st, "policies"), i, v)
		printf("  %s serial %lld (%s, %lld images)\n", str(v, "name"),
		       (long long)json_integer_value(json_object_get(v, "serial")), str(v, "file"),
		       (long long)json_integer_value(json_object_get(v, "images")));
	json_array_foreach(json_object_get(st, "rejectedPolicies"), i, v)
		printf("  rejected %s: %s\n", str(v, "file"), str(v, "reason"));
	if (!json_is_object(prot)) {
		printf("runtime protection: off\n");
		return;
	}
	printf("enforcement layers: fanotify exec %s, bpf exec kill %s (%s), bpf mmap kill %s "
	       "(%s), cgroup net %s, BPF-LSM %s (%s)\n",
	       json_is_true(json_object_get(layers, "fanotifyExec")) ? "active" : "idle",
	       str(layers, "bpfExec"), str(layers, "bpfExecHook"), str(layers, "bpfMmap"),
	       str(layers, "bpfMmapHook"),
	       json_is_true(json_object_get(layers, "cgroupNet")) ? "active" : "idle",
	       json_is_true(json_object_get(layers, "bpfLsm")) ? "yes" : "no",
	       str(layers, "bpfLsmDetail"));
	printf("containers:\n");
	json_array_foreach(json_object_get(prot, "containers"), i, v)
		printf("  %.12s %-9s exec %s, network %s, files %s%s  %s\n", str(v, "id"),
		       str(v, "state"), str(v, "exec"), str(v, "network"), str(v, "files"),
		       json_is_true(json_object_get(v, "treeAware")) ? ", tree-aware" : "",
		       str(v, "imageName"));
}

int verb_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(conf_freep) struct conf *conf = NULL;
	struct cli c = { .verb = "status" };
	const char *socket_path;
	struct error err = { 0 }, conf_err = { 0 };
	json_t *st = NULL;
	int opt, r;

	(void)conf_load(conf_path_from_args(argc, argv), &conf, &conf_err);
	socket_path = conf_get(conf, "socket") ?: IMPRINTD_SOCKET;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			help();
			return EXIT_OK;
		} else if (opt == OPT_SOCKET) {
			socket_path = optarg;
		} else if (opt == OPT_CONFIG) {
			; /* read above */
		} else if (opt == OPT_JSON) {
			c.json = true;
		} else {
			return cli_usage(&c, "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage(&c, "no arguments expected");
	if (conf_err.message[0])
		return cli_error(&c, "%s", conf_err.message);
	r = imprintd_status(socket_path, &st, &err);
	if (r < 0) {
		cli_error_from(&c, r, &err);
		return r == -ENOENT || r == -ECONNREFUSED ? EXIT_NOT_RUNNING : EXIT_ERROR;
	}
	if (c.json) {
		char *text = json_dumps(st, JSON_INDENT(2));

		printf("%s\n", text ? text : "{}");
		free(text);
	} else {
		print_text(st);
	}
	json_decref(st);
	return EXIT_OK;
}
