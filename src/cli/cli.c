/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "cli.h"
#include "front.h"

static int report(const struct cli *c, const char *msg)
{
	fprintf(stderr, "imprint: %s: %s\n", c->verb, msg);
	if (c->json) {
		json_t *o = json_pack("{s:s}", "error", msg);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	}
	return EXIT_ERROR;
}

int cli_error(const struct cli *c, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return report(c, msg);
}

int cli_error_from(const struct cli *c, int r, const struct error *err)
{
	return report(c, err && err->message[0] ? err->message : strerror(-r));
}

int cli_usage(const struct cli *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "imprint: %s: %s\nTry 'imprint %s --help'.\n", c->verb, msg, c->verb);
	return EXIT_ERROR;
}

int source_options_parse(struct source_options *o, const struct cli *c, int opt,
			 const char *arg)
{
	char *end;
	unsigned long n;

	switch (opt) {
	case OPT_PLATFORM:
		o->image.platform = arg;
		return 1;
	case OPT_STORAGE_ROOT:
		o->image.storage_root = arg;
		return 1;
	case OPT_EXCLUDE:
		if (source_options_add_exclude(o, arg) < 0) {
			cli_usage(c, "--exclude wants an absolute path without '..', not '%s'", arg);
			return -1;
		}
		return 1;
	case OPT_NO_DEFAULT_EXCLUDES:
		o->no_default_excludes = true;
		return 1;
	case OPT_THREADS:
		n = strtoul(arg, &end, 10);
		if (*end || !*arg || n > 64) {
			cli_usage(c, "--threads wants a number from 0 to 64, not '%s'", arg);
			return -1;
		}
		o->threads = (unsigned)n;
		return 1;
	default:
		return 0;
	}
}

void source_options_init(struct source_options *o)
{
	*o = (struct source_options){ 0 };
}

int source_options_add_exclude(struct source_options *o, const char *path)
{
	char **p;
	char *norm;

	if (path[0] != '/' || path_from_member(path + 1, &norm) < 0)
		return -EINVAL;
	p = realloc(o->excludes, (o->n_excludes + 2) * sizeof(char *));
	if (!p) {
		free(norm);
		return -ENOMEM;
	}
	o->excludes = p;
	o->excludes[o->n_excludes++] = norm;
	o->excludes[o->n_excludes] = NULL;
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int source_options_finish(struct source_options *o)
{
	int r;

	for (size_t i = 0; !o->no_default_excludes && fingerprint_default_excludes[i]; i++) {
		r = source_options_add_exclude(o, fingerprint_default_excludes[i]);
		if (r < 0)
			return r;
	}
	if (o->n_excludes)
		qsort(o->excludes, o->n_excludes, sizeof(char *), compare_strings);
	return 0;
}

void source_options_release(struct source_options *o)
{
	for (size_t i = 0; i < o->n_excludes; i++)
		free(o->excludes[i]);
	free(o->excludes);
	*o = (struct source_options){ 0 };
}

bool is_image_source(const char *arg)
{
	static const char *const prefixes[] = { "oci:", "oci-archive:", "docker-archive:",
						"containers-storage:", "dir:" };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(arg, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int load_fingerprint(const char *arg, const struct source_options *o, struct fingerprint **ret,
		     struct error *err)
{
	struct fingerprint_options fo = { .excludes = o->excludes,
					  .n_excludes = o->n_excludes,
					  .threads = o->threads };

	if (!is_image_source(arg))
		return fingerprint_read(arg, ret, err);
	return fingerprint_source(arg, &o->image, &fo, ret, err);
}

void check_options_init(struct check_options *o, const char *audit_default,
			const struct conf *conf)
{
	struct front_settings fs; /* the keys the small fronts read too: one mapping */

	front_settings_init(&fs, conf);
	*o = (struct check_options){ .socket_path = fs.socket_path, .paranoid = fs.paranoid,
				     .storage_root = fs.storage_root };
	store_options_init(&o->store);
	o->store.policy_dir = conf_get(conf, "policy-dir") ?: o->store.policy_dir;
	o->store.keys_dir = conf_get(conf, "keys-dir") ?: o->store.keys_dir;
	o->store.state_dir = conf_get(conf, "state-dir") ?: o->store.state_dir;
	o->verify.fingerprint_dir = conf_get(conf, "fingerprint-dir") ?: STORE_FINGERPRINT_DIR;
	o->verify.mode = fs.mode;
	/* the default differs per verb (verify: none), so not the fronts' */
	o->audit_log = conf_get(conf, "audit-log") ?: audit_default;
	o->threads = (unsigned)conf_get_number(conf, "threads", 0);
}

int check_options_parse(struct check_options *o, const struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_POLICY_DIR:
		o->store.policy_dir = arg;
		return 1;
	case OPT_KEYS_DIR:
		o->store.keys_dir = arg;
		return 1;
	case OPT_STATE_DIR:
		o->store.state_dir = arg;
		return 1;
	case OPT_FINGERPRINT_DIR:
		o->verify.fingerprint_dir = arg;
		return 1;
	case OPT_AUDIT_LOG:
		o->audit_log = arg;
		return 1;
	case OPT_CONFIG:
		return 1; /* read before the options: conf_path_from_args() */
	case OPT_MODE:
		if (strcmp(arg, "enforce") == 0)
			o->verify.mode = VERIFY_ENFORCE;
		else if (strcmp(arg, "monitor") == 0)
			o->verify.mode = VERIFY_MONITOR;
		else {
			cli_usage(c, "--mode must be enforce or monitor, not '%s'", arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

void print_verdict(const struct cli *c, const struct verify_result *res)
{
	if (c->json) {
		json_t *j = verify_result_json(res);
		_cleanup_free_ char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

		printf("%s\n", s ? s : "null");
		json_decref(j);
		return;
	}
	_cleanup_free_ char *line = verify_result_line(res);

	fprintf(res->refused ? stderr : stdout, "imprint: %s\n", line ? line : "out of memory");
	for (size_t i = 0; res->refused && res->n_reasons > 1 && i < res->n_reasons; i++)
		fprintf(stderr, "imprint:   %s\n", res->reasons[i].message);
	if (res->n_more)
		fprintf(stderr, "imprint:   ... %zu more\n", res->n_more);
}
