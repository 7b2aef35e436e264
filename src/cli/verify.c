/* SPDX-License-Identifier: Apache-2.0 */
/* imprint verify: is this image, as stored, allowed by the host's policies? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/clock.h"
#include "cli.h"
#include "verify/audit.h"

static void help(void)
{
	printf("Usage: imprint verify [OPTIONS] SOURCE\n\n"
	       "Check an image as it is stored against the signed policies of the host store:\n"
	       "identity (manifest -> config -> layer diffIDs), then content (every layer's table\n"
	       "and every file against the signed fingerprint). Prints the verdict and its\n"
	       "reasons; the changed files are named when --fingerprint-dir (or --fingerprint)\n"
	       "holds the image's fingerprint file.\n\n"
	       "Options:\n"
	       "  --json               print the verdict as JSON (docs/verify.md)\n"
	       "  --fingerprint FILE   the image's fingerprint file, to name changed files\n"
	       CHECK_OPTIONS_HELP
	       SOURCE_OPTIONS_HELP
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 allowed (or monitor mode), 1 refused, 2 error (bad usage, no\n"
	       "readable key or policy directory).\n");
}

enum { OPT_FINGERPRINT = 0x200 };

int verb_verify(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "fingerprint", required_argument, NULL, OPT_FINGERPRINT },
		{ "help", no_argument, NULL, 'h' },
		SOURCE_LONG_OPTIONS,
		CHECK_LONG_OPTIONS,
		{ 0 },
	};
	_cleanup_(store_freep) struct store *store = NULL;
	_cleanup_(conf_freep) struct conf *conf = NULL;
	struct cli c = { .verb = "verify" };
	struct verify_result res;
	struct check_options co;
	struct source_options so;
	struct error err = { 0 }, conf_err = { 0 };
	int64_t start = clock_monotonic_us();
	int opt, r;

	source_options_init(&so);
	(void)conf_load(conf_path_from_args(argc, argv), &conf, &conf_err);
	check_options_init(&co, NULL, conf);
	so.image.storage_root = co.storage_root;
	so.threads = co.threads;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			help();
			source_options_release(&so);
			return EXIT_OK;
		} else if (opt == OPT_JSON) {
			c.json = true;
		} else if (opt == OPT_FINGERPRINT) {
			co.verify.fingerprint_file = optarg;
		} else if ((r = check_options_parse(&co, &c, opt, optarg)) != 0 ||
			   (r = source_options_parse(&so, &c, opt, optarg)) != 0) {
			if (r < 0) {
				source_options_release(&so);
				return EXIT_ERROR;
			}
		} else {
			source_options_release(&so);
			return cli_usage(&c, "invalid option");
		}
	}
	if (optind + 1 != argc) {
		source_options_release(&so);
		return cli_usage(&c, "want one image SOURCE");
	}
	if (conf_err.message[0]) {
		source_options_release(&so);
		return cli_error(&c, "%s", conf_err.message);
	}
	r = source_options_finish(&so);
	if (r >= 0)
		r = store_load(&co.store, &store, &err);
	if (r < 0) {
		source_options_release(&so);
		return cli_error_from(&c, r, &err);
	}
	verify_result_init(&res, argv[optind]);
	verify_source(store, argv[optind], &so.image,
		      &(struct fingerprint_options){ .excludes = so.excludes,
						     .n_excludes = so.n_excludes,
						     .threads = so.threads },
		      &co.verify, &res, NULL, NULL);
	verify_finish(&res, &co.verify);
	res.elapsed_us = clock_monotonic_us() - start;
	if (co.audit_log && *co.audit_log)
		audit_record(co.audit_log, "verify", NULL, &res);
	print_verdict(&c, &res);
	r = res.allowed ? EXIT_OK : EXIT_NEGATIVE;
	verify_result_release(&res);
	source_options_release(&so);
	return r;
}
