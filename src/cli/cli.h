/* SPDX-License-Identifier: Apache-2.0 */
/* The imprint command line: a table of verbs (main.c), one file per verb, and the helpers they
 * share. Verbs return the process exit code. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "fingerprint/fingerprint.h"
#include "image/image.h"

enum {
	EXIT_OK = 0,
	EXIT_NEGATIVE = 1, /* a clean "no": differences found, image refused */
	EXIT_ERROR = 2,
};

struct cli {
	const char *verb;
	bool json;
};

/* Report an error the user must see: one line on stderr ("imprint: VERB: message"), and with
 * --json also {"error": "..."} on stdout. Returns EXIT_ERROR. */
int cli_error(const struct cli *c, const char *fmt, ...) _printf_(2, 3);
/* The same with the message from a struct error, or strerror(-r) if it has none. */
int cli_error_from(const struct cli *c, int r, const struct error *err);
/* Usage error: the message and a pointer to --help. */
int cli_usage(const struct cli *c, const char *fmt, ...) _printf_(2, 3);

/* Options every verb that reads a source accepts. */
struct source_options {
	struct image_options image;
	char **excludes; /* NULL-terminated; defaults unless --no-default-excludes */
	size_t n_excludes;
	bool no_default_excludes;
	unsigned threads;
};

enum {
	OPT_PLATFORM = 0x100,
	OPT_STORAGE_ROOT,
	OPT_EXCLUDE,
	OPT_NO_DEFAULT_EXCLUDES,
	OPT_THREADS,
	OPT_JSON,
	OPT_WITH_LAYERS,
};

#define SOURCE_LONG_OPTIONS                                                         \
	{ "platform", required_argument, NULL, OPT_PLATFORM },                      \
	{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },              \
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },                        \
	{ "no-default-excludes", no_argument, NULL, OPT_NO_DEFAULT_EXCLUDES },      \
	{ "threads", required_argument, NULL, OPT_THREADS }

#define SOURCE_OPTIONS_HELP                                                                 \
	"  --platform OS/ARCH[/VARIANT]  choose from a multi-platform index (default: host)\n" \
	"  --storage-root DIR   containers-storage root (default " DEFAULT_STORAGE_ROOT ")\n"  \
	"  --exclude PATH       leave PATH and what is below it out (repeatable)\n"           \
	"  --no-default-excludes  record /proc, /sys, /dev, /etc/hosts... too\n"              \
	"  --threads N          hashing threads (default: number of CPUs)\n"

/* Handle one of SOURCE_LONG_OPTIONS: 1 if it was one, 0 if not, -1 after reporting a usage
 * error. */
int source_options_parse(struct source_options *o, const struct cli *c, int opt,
			 const char *arg);

void source_options_init(struct source_options *o);
int source_options_add_exclude(struct source_options *o, const char *path);
/* Apply the defaults once options are parsed. */
int source_options_finish(struct source_options *o);
void source_options_release(struct source_options *o);

/* True if arg names an image source (a known transport prefix) rather than a file. */
bool is_image_source(const char *arg);

/* Fingerprint a source, or read a fingerprint file. */
int load_fingerprint(const char *arg, const struct source_options *o, struct fingerprint **ret,
		     struct error *err);

int verb_inspect(int argc, char **argv);
int verb_fingerprint(int argc, char **argv);
int verb_diff(int argc, char **argv);
int verb_keygen(int argc, char **argv);
int verb_policy(int argc, char **argv);
