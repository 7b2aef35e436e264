/* SPDX-License-Identifier: Apache-2.0 */
/* imprint watch: alert when running containers drift from their image's behavioral
 * fingerprint (docs/sensor.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "sensor/watch.h"

#define ROOTS_MAX 8

static void help(void)
{
	printf("Usage: imprint watch --fingerprints DIR [OPTIONS]\n\n"
	       "Watch every running container with the eBPF sensor. A container whose image has\n"
	       "a behavioral fingerprint in DIR (FILE.json, matched by the image digest in it) is\n"
	       "compared with it live: a program not in the tree or at another place in it, run by\n"
	       "another uid/gid, a file the process at that place did not open when learned, a\n"
	       "connection to an address or port no process of the container used, a new listening\n"
	       "port. One JSON line per drift on stdout, in Falco's output shape (time, rule,\n"
	       "priority, output, output_fields). Events the sensor lost are one alert per\n"
	       "container at most every 10 s, with the count. A container without a fingerprint is\n"
	       "reported once.\n\n"
	       "Options:\n"
	       "  --fingerprints DIR   behavioral fingerprints (imprint learn -o DIR/NAME.json)\n"
	       "  --storage-root DIR   containers-storage root to find a container's image\n"
	       "                       (repeatable; default " DEFAULT_STORAGE_ROOT ")\n"
	       "  --duration SECONDS   stop after this long (default: until SIGINT/SIGTERM)\n"
	       "  -v, --verbose        say which hooks are active\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 stopped, 2 error (no sensor, unreadable fingerprints).\n");
}

enum { OPT_FINGERPRINTS = 0x200, OPT_DURATION };

int verb_watch(int argc, char **argv)
{
	static const struct option options[] = {
		{ "fingerprints", required_argument, NULL, OPT_FINGERPRINTS },
		{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *roots[ROOTS_MAX];
	struct watch_options o = { .storage_roots = roots, .out = stdout };
	struct cli c = { .verb = "watch" };
	struct error err = { 0 };
	char *end;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "hv", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			return EXIT_OK;
		case 'v':
			o.verbose = true;
			break;
		case OPT_FINGERPRINTS:
			o.fingerprint_dir = optarg;
			break;
		case OPT_STORAGE_ROOT:
			if (o.n_storage_roots == ROOTS_MAX)
				return cli_usage(&c, "at most %d --storage-root", ROOTS_MAX);
			roots[o.n_storage_roots++] = optarg;
			break;
		case OPT_DURATION:
			o.duration_ms = (int64_t)(strtod(optarg, &end) * 1000);
			if (end == optarg || *end || o.duration_ms <= 0)
				return cli_usage(&c, "--duration wants a positive number of seconds");
			break;
		default:
			return cli_usage(&c, "invalid option");
		}
	}
	if (optind != argc || !o.fingerprint_dir)
		return cli_usage(&c, "want --fingerprints DIR and no arguments");
	if (o.n_storage_roots == 0)
		roots[o.n_storage_roots++] = DEFAULT_STORAGE_ROOT;
	r = watch_run(&o, &err);
	return r < 0 ? cli_error_from(&c, r, &err) : EXIT_OK;
}
