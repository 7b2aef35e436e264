/* SPDX-License-Identifier: Apache-2.0 */
/* The imprint command line: a table of verbs (main.c), one file per verb, and the helpers they
 * share. Verbs return the process exit code. */
#pragma once

#include <sys/types.h>

#include <stdbool.h>
#include <stdio.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "conf.h"
#include "fingerprint/fingerprint.h"
#include "image/image.h"
#include "policy/store.h"
#include "verify/verify.h"

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
	OPT_POLICY_DIR,
	OPT_KEYS_DIR,
	OPT_STATE_DIR,
	OPT_FINGERPRINT_DIR,
	OPT_MODE,
	OPT_AUDIT_LOG,
	OPT_SOCKET,
	OPT_PARANOID,
	OPT_CONFIG,
};

#define SOURCE_LONG_OPTIONS                                                         \
	{ "platform", required_argument, NULL, OPT_PLATFORM },                      \
	{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },              \
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },                        \
	{ "no-default-excludes", no_argument, NULL, OPT_NO_DEFAULT_EXCLUDES },      \
	{ "threads", required_argument, NULL, OPT_THREADS }

#define SOURCE_OPTIONS_HELP                                                                 \
	"  --platform OS/ARCH[/VARIANT]  choose from a multi-platform index (default: host)\n" \
	"  --storage-root DIR   containers-storage root (default " DEFAULT_STORAGE_ROOT "),\n" \
	"                       Docker's data root (default " DEFAULT_DOCKER_ROOT "), or\n"      \
	"                       containerd's root (default " DEFAULT_CONTAINERD_ROOT ")\n"       \
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

/* Options of the verbs that decide (verify, hook, runtime, daemon): where the host store is,
 * the mode, the audit log. Defaults come from the configuration (conf.h: imprint.conf, its
 * drop-ins, IMPRINT_* variables); --config FILE names another file. */
struct check_options {
	struct store_options store;
	struct verify_options verify;
	const char *audit_log; /* NULL: no audit file */
	const char *socket_path; /* imprintd's socket (hook, wrapper) */
	bool paranoid;           /* never ask imprintd: verify everything here */
	const char *storage_root; /* NULL: from the bundle path (hook, wrapper), the default */
	unsigned threads;         /* hashing threads; 0: one per CPU */
};

#define CHECK_LONG_OPTIONS                                                      \
	{ "config", required_argument, NULL, OPT_CONFIG },                      \
	{ "policy-dir", required_argument, NULL, OPT_POLICY_DIR },              \
	{ "keys-dir", required_argument, NULL, OPT_KEYS_DIR },                  \
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },                \
	{ "fingerprint-dir", required_argument, NULL, OPT_FINGERPRINT_DIR },    \
	{ "mode", required_argument, NULL, OPT_MODE },                          \
	{ "audit-log", required_argument, NULL, OPT_AUDIT_LOG }

#define CHECK_OPTIONS_HELP                                                                   \
	"  --config FILE        the configuration file, then FILE.d/*.conf (default\n"      \
	"                       " CONF_FILE_DEFAULT "; '' for none; docs/cli.md);\n"        \
	"                       IMPRINT_* variables override it, options override both\n"   \
	"  --policy-dir DIR     signed policies (default " STORE_POLICY_DIR ")\n"             \
	"  --keys-dir DIR       trusted public keys (default " STORE_KEYS_DIR ")\n"           \
	"  --state-dir DIR      anti-rollback state (default " STORE_STATE_DIR ")\n"          \
	"  --fingerprint-dir DIR  fingerprint files that name changed files\n"                \
	"                       (default " STORE_FINGERPRINT_DIR ")\n"                        \
	"  --mode enforce|monitor  monitor: report a refusal, allow anyway (default enforce)\n" \
	"  --audit-log FILE     append each decision as a JSON line ('' for none)\n"

/* The defaults, then conf (the configuration files and IMPRINT_* variables: conf_load(); NULL
 * for none); the command line comes after, through check_options_parse(). audit_default: the
 * audit file when no source names one. The strings point into conf, which must outlive o. */
void check_options_init(struct check_options *o, const char *audit_default,
			const struct conf *conf);
/* Like source_options_parse() for CHECK_LONG_OPTIONS. */
int check_options_parse(struct check_options *o, const struct cli *c, int opt, const char *arg);
/* Print a verdict: one line (stdout if allowed, stderr if refused) or the JSON form. */
void print_verdict(const struct cli *c, const struct verify_result *res);

/* A container to decide on (the hook's state, the wrapper's runc arguments). */
struct container_request {
	const char *event;        /* "hook" or "runtime": the audit record's event */
	const char *id, *bundle;
	const char *storage_root; /* containers-storage root, NULL: from the bundle */
	unsigned threads;
	pid_t pid;                /* the container's init, once created (0: not yet) */
	const char *setup_error;  /* set: refuse at once (a bad state document, say) */
};

/* Decide for a container (hook and runtime wrapper): ask imprintd (which also protects it when
 * pid is set and its entry asks for it) or verify here, write the audit record, print a
 * refusal on stderr. Returns 0 to go on, 1 to refuse; *ret_line (if not NULL) receives the
 * refusal line. */
int container_decide(const struct container_request *rq, const struct check_options *co,
		     char **ret_line);

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
int verb_verify(int argc, char **argv);
int verb_hook(int argc, char **argv);
int verb_runtime(int argc, char **argv);
int verb_daemon(int argc, char **argv);
int verb_watch(int argc, char **argv);
int verb_events(int argc, char **argv);
/* imprint learn with the sensor (learn_live.c): run command (or watch container for
 * duration_ms) and return what was learned. EXIT_OK, or the exit code after reporting. */
struct behavior;
int learn_live(const struct cli *c, const char *image, const char *container,
	       int64_t duration_ms, const char *storage_root, bool verbose, char *const *command,
	       struct behavior **ret);
/* "30s", "5m", "1h", "90" (seconds) -> milliseconds; -1 if malformed. */
int64_t parse_duration(const char *s);
int verb_learn(int argc, char **argv);
int verb_behavior_diff(int argc, char **argv);
int verb_protect(int argc, char **argv);
int verb_status(int argc, char **argv);
/* imprint fingerprint show FILE: verb_fingerprint() hands its arguments from "show" on. */
int behavior_show_main(int argc, char **argv);
