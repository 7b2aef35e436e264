/* SPDX-License-Identifier: Apache-2.0 */
/* The one configuration of every entry point (imprint hook, imprint-runc, imprintd and the
 * verbs verify, status and events; docs/cli.md, "Configuration").
 *
 * Sources, lowest precedence first: the built-in defaults (the entry point's own), the file
 * /etc/imprint/imprint.conf, the drop-ins /etc/imprint/imprint.conf.d/NAME.conf in bytewise order
 * of their names, the environment (IMPRINT_KEY for key "key", '-' as '_'), and last what the
 * entry point takes on its command line. The keys form one flat namespace: a key means the
 * same to every entry point that uses it, an entry point ignores the keys only others use, and
 * a key nobody knows is an error that names the file and line. A file line is "key = value",
 * blank, or a comment starting with '#'.
 *
 * Ownership: a struct conf owns its strings; what conf_get() returns lives as long as it. It
 * is not shared between threads. The module only reports (struct error), never prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"
#include "basic/macro.h"

#define CONF_FILE_DEFAULT "/etc/imprint/imprint.conf"
#define CONF_FILE_MAX (64u * 1024)  /* bytes per file */
#define CONF_DROPINS_MAX 64         /* *.conf files in FILE.d */
#define CONF_LINES_MAX 256          /* key = value lines in the file and its drop-ins together */
#define CONF_RUNTIME_PREFIX "--imprint-"

struct conf;

/* Read the configuration: path, or when path is NULL $IMPRINT_CONFIG, or when that is unset
 * the default file. "" reads no file. A missing default file or drop-in directory is fine; a
 * missing file named explicitly is an error. Then the environment. On failure *ret is NULL and
 * err says "FILE:LINE: what" (or names the variable). */
int conf_load(const char *path, struct conf **ret, struct error *err);

/* The value of --config FILE or --config=FILE in argv (the last one, before "--"), or NULL:
 * the file must be known before the other options are parsed. */
const char *conf_path_from_args(int argc, char **argv);

/* The value of key (the highest-precedence source that sets it), or NULL if unset. c may be
 * NULL (nothing is set). Values are checked when read: a bool is "yes" or "no" from here on, a
 * number is decimal and within the key's range. */
const char *conf_get(const struct conf *c, const char *key);
/* Every value of a repeatable key (storage-root) from the highest-precedence source that sets
 * it: all the files' lines, or the one environment variable or argument. Returns how many,
 * at most max are stored. */
size_t conf_get_all(const struct conf *c, const char *key, const char **ret, size_t max);
bool conf_get_bool(const struct conf *c, const char *key, bool unset);
long long conf_get_number(const struct conf *c, const char *key, long long unset);

/* Set key from a command line (highest precedence so far); checked as a file line is. where
 * names the argument in messages. */
int conf_set(struct conf *c, const char *key, const char *value, const char *where,
	     struct error *err);

/* imprint-runc's runtime arguments (Docker's runtimeArgs come before runc's own options):
 * the leading arguments "--imprint-KEY=VALUE" and "--imprint-config=FILE", up to the first
 * argument that does not start with "--imprint-", are removed from argv (argv[new argc] is
 * NULL) and applied over the file and the environment. Returns the new argc. *ret is the
 * configuration (the environment only if the file could not be read; NULL only when out of
 * memory); a bad file, an unknown key or a bad value is reported in err, and the other
 * arguments are applied still: the caller decides whether that refuses. */
int conf_runtime_args(int argc, char **argv, struct conf **ret, struct error *err);

struct conf *conf_free(struct conf *c);
DEFINE_FREEP(struct conf, conf_free)
