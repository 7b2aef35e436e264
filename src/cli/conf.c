/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration file, its drop-ins, the environment and imprint-runc's runtime arguments,
 * merged into one list of checked values, lowest precedence first (conf.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "conf.h"

enum conf_type {
	CONF_PATH,
	CONF_BOOL,
	CONF_MODE,
	CONF_NUMBER,
	CONF_TYPE_MAX,
};

struct conf_key {
	const char *name;
	enum conf_type type;
	bool empty_ok;      /* an empty value means "none"; otherwise it is refused */
	bool repeatable;    /* every line counts (imprintd's storage roots) */
	long long min, max; /* CONF_NUMBER */
};

/* Every key some entry point uses; docs/cli.md and data/imprint.conf say which uses which. */
static const struct conf_key conf_keys[] = {
	/* the decision: verify, hook, imprint-runc, imprintd */
	{ "mode", CONF_MODE },
	{ "policy-dir", CONF_PATH },
	{ "keys-dir", CONF_PATH },
	{ "state-dir", CONF_PATH },
	{ "fingerprint-dir", CONF_PATH },
	{ "audit-log", CONF_PATH, .empty_ok = true },
	{ "storage-root", CONF_PATH, .repeatable = true },
	{ "threads", CONF_NUMBER, .max = 64 },
	/* imprintd and those who reach it */
	{ "socket", CONF_PATH },
	{ "paranoid", CONF_BOOL },
	/* imprint-runc */
	{ "runtime", CONF_PATH },
	/* imprintd (events-db also: imprint events) */
	{ "events-db", CONF_PATH, .empty_ok = true },
	{ "events-max-rows", CONF_NUMBER, .max = 1LL << 40 },
	{ "events-max-age", CONF_NUMBER, .max = 100000 },
	{ "metrics-socket", CONF_PATH, .empty_ok = true },
	{ "metrics-port", CONF_NUMBER, .max = 65535 },
	{ "protect", CONF_BOOL },
	{ "pin-dir", CONF_PATH },
	{ "protect-state-dir", CONF_PATH },
	{ "behavior-dir", CONF_PATH, .empty_ok = true },
	{ "decision-timeout", CONF_NUMBER, .min = 1, .max = 60000 },
	{ "drift", CONF_BOOL },
};

enum conf_source {
	CONF_FROM_FILE,
	CONF_FROM_ENV,
	CONF_FROM_ARG,
	CONF_FROM_MAX,
};

struct conf_value {
	const struct conf_key *key;
	char *value;
	enum conf_source source;
};

/* File lines, one variable per key, and imprint-runc's arguments. */
#define CONF_VALUES_MAX (CONF_LINES_MAX * 2)

struct conf {
	struct conf_value values[CONF_VALUES_MAX]; /* in precedence order */
	size_t n, n_lines;
};

static const struct conf_key *key_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(conf_keys); i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

static int check_number(const struct conf_key *k, const char *value, struct error *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno || !isdigit((unsigned char)value[0]) || *end || v < k->min || v > k->max)
		return error_set(err, -EINVAL, "%s wants a number from %lld to %lld, not '%.100s'",
				 k->name, k->min, k->max, value);
	return 0;
}

/* Check value for k; *ret is the value as it is kept (a bool is "yes" or "no"). */
static int value_check(const struct conf_key *k, const char *value, const char **ret,
		       struct error *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	*ret = value;
	if (!*value && !k->empty_ok)
		return error_set(err, -EINVAL, "%s wants a value", k->name);
	switch (k->type) {
	case CONF_BOOL:
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (strcmp(value, yes[i]) == 0) {
				*ret = "yes";
				return 0;
			}
			if (strcmp(value, no[i]) == 0) {
				*ret = "no";
				return 0;
			}
		}
		return error_set(err, -EINVAL, "%s must be yes or no, not '%.100s'", k->name,
				 value);
	case CONF_MODE:
		if (strcmp(value, "enforce") != 0 && strcmp(value, "monitor") != 0)
			return error_set(err, -EINVAL,
					 "%s must be enforce or monitor, not '%.100s'", k->name,
					 value);
		return 0;
	case CONF_NUMBER:
		return check_number(k, value, err);
	default:
		return 0;
	}
}

static int conf_add(struct conf *c, const struct conf_key *k, const char *value,
		    enum conf_source source, struct error *err)
{
	const char *kept;
	int r = value_check(k, value, &kept, err);

	if (r < 0)
		return r;
	if (c->n == CONF_VALUES_MAX)
		return error_set(err, -E2BIG, "more than %d settings", CONF_VALUES_MAX);
	c->values[c->n].value = strdup(kept);
	if (!c->values[c->n].value)
		return error_set(err, -ENOMEM, "out of memory");
	c->values[c->n].key = k;
	c->values[c->n++].source = source;
	return 0;
}

static void conf_clear(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->values[i].value);
	c->n = c->n_lines = 0;
}

struct conf *conf_free(struct conf *c)
{
	if (c) {
		conf_clear(c);
		free(c);
	}
	return NULL;
}

/* One line of a file, changed in place. */
static int parse_line(struct conf *c, char *line, struct error *err)
{
	char *key = line + strspn(line, " \t\r"), *eq = strchr(key, '='), *val, *end;
	const struct conf_key *k;

	if (!*key || *key == '#')
		return 0;
	if (!eq || eq == key)
		return error_set(err, -EINVAL, "want key = value");
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	k = key_find(key);
	if (!k)
		return error_set(err, -EINVAL, "unknown key '%.100s'", key);
	if (++c->n_lines > CONF_LINES_MAX)
		return error_set(err, -E2BIG, "more than %d settings", CONF_LINES_MAX);
	val = eq + 1 + strspn(eq + 1, " \t");
	for (end = val + strlen(val); end > val && strchr(" \t\r", end[-1]); end--)
		;
	*end = '\0';
	return conf_add(c, k, val, CONF_FROM_FILE, err);
}

static int read_one(struct conf *c, const char *path, bool explicit, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *next;
	unsigned lineno = 1;
	size_t len;
	int r = read_file(path, CONF_FILE_MAX, &buf, &len);

	if (r == -ENOENT && !explicit)
		return 0;
	if (r == -EFBIG)
		return error_set(err, r, "%s: larger than %u bytes", path, CONF_FILE_MAX);
	if (r == -EBADF)
		return error_set(err, r, "%s: not a regular file", path);
	if (r < 0)
		return error_set(err, r, "%s: %s", path, strerror(-r));
	if (memchr(buf, '\0', len))
		return error_set(err, -EINVAL, "%s: not a text file", path);
	for (line = buf; line; line = next, lineno++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r = parse_line(c, line, err);
		if (r < 0)
			return error_prefix(err, r, "%s:%u", path, lineno);
	}
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

/* The names of dir's drop-ins, sorted; *ret_n of them in names. */
static int list_dropins(const char *dir, char **names, size_t *ret_n, struct error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : error_set(err, -errno, "%s: %m", dir);
	while (r == 0 && (de = readdir(d))) {
		if (!is_dropin(de->d_name))
			continue;
		if (n == CONF_DROPINS_MAX)
			r = error_set(err, -E2BIG, "%s: more than %d files", dir, CONF_DROPINS_MAX);
		else if (!(names[n++] = strdup(de->d_name)))
			r = error_set(err, -ENOMEM, "out of memory");
	}
	closedir(d);
	qsort(names, n, sizeof(char *), compare_names);
	*ret_n = n;
	return r;
}

/* path, then path.d/NAME.conf in bytewise order of NAME. */
static int read_files(struct conf *c, const char *path, bool explicit, struct error *err)
{
	_cleanup_free_ char *dir = strdup_printf("%s.d", path);
	char *names[CONF_DROPINS_MAX];
	size_t n = 0;
	int r;

	if (!dir)
		return error_set(err, -ENOMEM, "out of memory");
	r = read_one(c, path, explicit, err);
	if (r >= 0)
		r = list_dropins(dir, names, &n, err);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *file = strdup_printf("%s/%s", dir, names[i]);

		if (r >= 0)
			r = file ? read_one(c, file, true, err)
				 : error_set(err, -ENOMEM, "out of memory");
		free(names[i]);
	}
	return r;
}

/* "policy-dir" -> "IMPRINT_POLICY_DIR" */
static void env_name(const char *key, char name[static 64])
{
	size_t n = strlen("IMPRINT_");

	memcpy(name, "IMPRINT_", n);
	for (; *key && n < 63; key++)
		name[n++] = *key == '-' ? '_' : (char)toupper((unsigned char)*key);
	name[n] = '\0';
}

/* IMPRINT_KEY for every key. An empty variable is unset unless the key can be empty, as
 * these variables always were. keep_going: skip a bad one (err says which) and go on. */
static int read_env(struct conf *c, bool keep_going, struct error *err)
{
	int r, ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(conf_keys); i++) {
		struct error e = { 0 };
		char name[64];
		const char *v;

		env_name(conf_keys[i].name, name);
		v = getenv(name);
		if (!v || (!*v && !conf_keys[i].empty_ok))
			continue;
		r = conf_add(c, &conf_keys[i], v, CONF_FROM_ENV, &e);
		if (r < 0) {
			ret = error_prefix(&e, r, "%s", name);
			error_set(err, r, "%s", e.message);
			if (!keep_going)
				return r;
		}
	}
	return ret;
}

/* The file to read: path, else $IMPRINT_CONFIG, else the default (which may be missing). */
static const char *conf_path(const char *path, bool *ret_explicit)
{
	*ret_explicit = true;
	if (!path)
		path = getenv("IMPRINT_CONFIG");
	if (!path) {
		*ret_explicit = false;
		path = CONF_FILE_DEFAULT;
	}
	return path;
}

int conf_load(const char *path, struct conf **ret, struct error *err)
{
	_cleanup_(conf_freep) struct conf *c = calloc(1, sizeof(*c));
	bool explicit;
	int r = 0;

	*ret = NULL;
	if (!c)
		return error_set(err, -ENOMEM, "out of memory");
	path = conf_path(path, &explicit);
	if (*path)
		r = read_files(c, path, explicit, err);
	if (r >= 0)
		r = read_env(c, false, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

const char *conf_path_from_args(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	return path;
}

const char *conf_get(const struct conf *c, const char *key)
{
	for (size_t i = c ? c->n : 0; i > 0; i--)
		if (strcmp(c->values[i - 1].key->name, key) == 0)
			return c->values[i - 1].value;
	return NULL;
}

size_t conf_get_all(const struct conf *c, const char *key, const char **ret, size_t max)
{
	enum conf_source top = CONF_FROM_MAX;
	size_t n = 0;

	for (size_t i = c ? c->n : 0; i > 0 && top == CONF_FROM_MAX; i--)
		if (strcmp(c->values[i - 1].key->name, key) == 0)
			top = c->values[i - 1].source;
	for (size_t i = 0; c && i < c->n; i++) {
		if (c->values[i].source != top || strcmp(c->values[i].key->name, key) != 0)
			continue;
		if (n < max)
			ret[n] = c->values[i].value;
		n++;
	}
	return n;
}

bool conf_get_bool(const struct conf *c, const char *key, bool unset)
{
	const char *v = conf_get(c, key);

	return v ? strcmp(v, "yes") == 0 : unset;
}

long long conf_get_number(const struct conf *c, const char *key, long long unset)
{
	const char *v = conf_get(c, key);

	return v ? strtoll(v, NULL, 10) : unset;
}

int conf_set(struct conf *c, const char *key, const char *value, const char *where,
	     struct error *err)
{
	const struct conf_key *k = key_find(key);
	int r;

	if (!k)
		return error_set(err, -EINVAL, "%s: unknown key '%.100s'", where, key);
	r = conf_add(c, k, value, CONF_FROM_ARG, err);
	return r < 0 ? error_prefix(err, r, "%s", where) : 0;
}

/* One "--imprint-KEY=VALUE" (config is already read). */
static int runtime_arg(struct conf *c, const char *arg, struct error *err)
{
	const char *kv = arg + strlen(CONF_RUNTIME_PREFIX), *eq = strchr(kv, '=');
	_cleanup_free_ char *key = eq ? strndup(kv, (size_t)(eq - kv)) : NULL;

	if (!eq)
		return error_set(err, -EINVAL, "%.100s: want %sKEY=VALUE", arg,
				 CONF_RUNTIME_PREFIX);
	if (!key)
		return error_set(err, -ENOMEM, "out of memory");
	if (strcmp(key, "config") == 0)
		return 0;
	return conf_set(c, key, eq + 1, arg, err);
}

int conf_runtime_args(int argc, char **argv, struct conf **ret, struct error *err)
{
	const size_t plen = strlen(CONF_RUNTIME_PREFIX);
	const char *path = NULL;
	struct conf *c;
	struct error e = { 0 };
	bool explicit;
	int end = 1, r;

	while (end < argc && strncmp(argv[end], CONF_RUNTIME_PREFIX, plen) == 0)
		end++;
	for (int i = 1; i < end; i++)
		if (strncmp(argv[i] + plen, "config=", 7) == 0)
			path = argv[i] + plen + 7;
	*ret = c = calloc(1, sizeof(*c));
	if (!c) {
		error_set(err, -ENOMEM, "out of memory");
	} else {
		path = conf_path(path, &explicit);
		if (*path && read_files(c, path, explicit, &e) < 0) {
			error_set(err, -EINVAL, "%s", e.message);
			conf_clear(c); /* nothing from a bad file */
		}
		read_env(c, true, err);
		for (int i = 1; i < end; i++) {
			e = (struct error){ 0 };
			r = runtime_arg(c, argv[i], &e);
			if (r < 0)
				error_set(err, r, "%s", e.message);
		}
	}
	memmove(argv + 1, argv + end, (size_t)(argc - end + 1) * sizeof(char *));
	return argc - (end - 1);
}
