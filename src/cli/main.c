/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/log.h"
#include "cli.h"
#include "config.h"

static const struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
	{ "inspect", verb_inspect, "show an image's identity: manifest, config, layers" },
	{ "fingerprint", verb_fingerprint, "compute the content fingerprint of an image" },
	{ "diff", verb_diff, "compare two images or fingerprints, file by file" },
	{ "keygen", verb_keygen, "generate an Ed25519 key pair for signing policies" },
	{ "policy", verb_policy, "build, sign and check allowlist policies" },
	{ "verify", verb_verify, "is this stored image allowed by the host's policies?" },
	{ "hook", verb_hook, "OCI runtime hook: verify a container's image before it starts" },
	{ "runtime", verb_runtime, "runc wrapper (imprint-runc): verify, then run runc" },
	{ "daemon", verb_daemon, "imprintd: verify with a cache of layers watched by fanotify" },
	{ "learn", verb_learn, "learn a behavioral fingerprint; --merge several into one" },
	{ "behavior-diff", verb_behavior_diff, "compare two behavioral fingerprints" },
	{ "watch", verb_watch, "alert when running containers drift from their fingerprint" },
	{ "protect", verb_protect, "enforce: only image files run, only allowed connections" },
	{ "status", verb_status, "what imprintd has loaded, its layers and protected containers" },
	{ "events", verb_events, "query imprintd's recorded decisions and alerts" },
};

static void help(FILE *f)
{
	fprintf(f, "Usage: imprint [-v] VERB [OPTIONS] ARGS\n\n"
		   "Fingerprint container images and check them against what they should be.\n\n"
		   "Verbs:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-14s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -v, --verbose   more messages on stderr (repeat for debug)\n"
		   "  -V, --version   print the version\n"
		   "  -h, --help      this help; 'imprint VERB --help' for a verb\n\n"
		   "Image sources: oci:DIR[:REF] oci-archive:FILE[:REF] docker-archive:FILE[:REF]\n"
		   "               containers-storage:NAME|ID dir:PATH\n"
		   "Exit codes: 0 success, 1 a negative answer (differences found, image refused),\n"
		   "2 error.\n"
		   "See imprint(1).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int c, level = LOG_LEVEL_WARNING;

	/* Installed as imprint-runc, every argument is runc's. */
	if (strcmp(base, "imprint-runc") == 0)
		return verb_runtime(argc, argv);
	if (strcmp(base, "imprintd") == 0)
		return verb_daemon(argc, argv);
	/* the name hooks.d files give the small front (src/cli/hook_front.c): the same hook */
	if (strcmp(base, "imprint-hook") == 0)
		return verb_hook(argc, argv);

	while ((c = getopt_long(argc, argv, "+vVh", options, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (level < LOG_LEVEL_DEBUG)
				level++;
			break;
		case 'V':
			printf("imprint %s\n", IMPRINT_VERSION);
			return EXIT_OK;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			help(stderr);
			return EXIT_ERROR;
		}
	}
	log_set_level((enum log_level)level);
	if (optind >= argc) {
		help(stderr);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			char **vargv = argv + optind;
			int vargc = argc - optind;

			optind = 0; /* let the verb parse its own options from scratch */
			return verbs[i].run(vargc, vargv);
		}
	if (strcmp(argv[optind], "help") == 0) {
		help(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "imprint: unknown verb '%s'. Try 'imprint --help'.\n", argv[optind]);
	return EXIT_ERROR;
}
