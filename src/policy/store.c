/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the host store: keys, then every policy file, then the anti-rollback check per
 * policy name against the serials recorded in STATE_DIR/policy-serials.json. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "key.h"
#include "policy.h"
#include "store.h"

#define SERIALS_FILE "policy-serials.json"

void store_options_init(struct store_options *o)
{
	*o = (struct store_options){ .policy_dir = STORE_POLICY_DIR,
				     .keys_dir = STORE_KEYS_DIR,
				     .state_dir = STORE_STATE_DIR,
				     .now = (int64_t)time(NULL),
				     .record = true };
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the entries of dir that do not start with '.', sorted bytewise. */
static int list_dir(const char *dir, char ***ret, size_t *ret_n, struct error *err)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	if (!d)
		return error_set(err, -errno, "cannot read %s: %m", dir);
	while ((de = readdir(d))) {
		char **grown;

		if (de->d_name[0] == '.')
			continue;
		if (n == STORE_FILES_MAX) {
			r = error_set(err, -E2BIG, "%s: more than %d files", dir, STORE_FILES_MAX);
			break;
		}
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			names = grown ? grown : names;
			r = -ENOMEM;
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), compare_names);
	*ret = names;
	*ret_n = n;
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int load_keys(const char *dir, struct key **keys, size_t *n_keys, struct error *err)
{
	char **names = NULL;
	size_t n = 0;
	int r = list_dir(dir, &names, &n, err);

	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (!has_suffix(names[i], ".pub"))
			continue;
		if (*n_keys == STORE_KEYS_MAX) {
			r = error_set(err, -E2BIG, "%s: more than %d keys", dir, STORE_KEYS_MAX);
			break;
		}
		path = strdup_printf("%s/%s", dir, names[i]);
		r = path ? key_load(path, &keys[*n_keys], err) : -ENOMEM;
		if (r >= 0)
			(*n_keys)++;
	}
	free_names(names, n);
	if (r >= 0 && *n_keys == 0)
		r = error_set(err, -ENOKEY, "no trusted key (*.pub) in %s", dir);
	return r;
}

static int add_rejected(struct store *s, const char *file, const char *reason, bool superseded)
{
	struct store_rejected *grown = realloc(s->rejected, (s->n_rejected + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->rejected = grown;
	grown[s->n_rejected] = (struct store_rejected){ .file = strdup(file),
							.reason = strdup(reason),
							.superseded = superseded };
	if (!grown[s->n_rejected].file || !grown[s->n_rejected].reason) {
		free(grown[s->n_rejected].file);
		free(grown[s->n_rejected].reason);
		return -ENOMEM;
	}
	s->n_rejected++;
	return 0;
}

/* Open one policy file; on success append it to s->policies, else to s->rejected. */
static int open_policy(struct store *s, const struct store_options *o, const char *file,
		       struct key **keys)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", o->policy_dir, file);
	const struct key *signer = NULL;
	struct error err = { 0 };
	struct store_policy *grown;
	struct stat st;
	json_t *doc;
	int r;

	if (!path)
		return -ENOMEM;
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return add_rejected(s, file, strerror(errno), false);
	if (!S_ISREG(st.st_mode))
		return add_rejected(s, file, "not a regular file", false);
	if (!has_suffix(file, ".dsse"))
		return add_rejected(s, file, "not a signed policy (policies are FILE.dsse envelopes)",
				    false);
	r = policy_open_signed(path, keys, s->n_keys, o->now, &doc, &signer, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return add_rejected(s, file, err.message, false);
	grown = realloc(s->policies, (s->n_policies + 1) * sizeof(*grown));
	if (!grown) {
		json_decref(doc);
		return -ENOMEM;
	}
	s->policies = grown;
	grown[s->n_policies] = (struct store_policy){
		.file = strdup(file),
		.name = strdup(json_string_value(json_object_get(doc, "name"))),
		.serial = json_integer_value(json_object_get(doc, "serial")),
		.doc = doc,
	};
	memcpy(grown[s->n_policies].signer, signer->id, sizeof(signer->id));
	s->n_policies++;
	return grown[s->n_policies - 1].file && grown[s->n_policies - 1].name ? 0 : -ENOMEM;
}

static int read_serials(const struct store_options *o, json_t **ret, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", o->state_dir, SERIALS_FILE);
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	const char *name;
	json_t *j, *v;
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, POLICY_MAX, &buf, &len);
	if (r == -ENOENT) {
		*ret = json_object();
		return *ret ? 0 : -ENOMEM;
	}
	if (r < 0)
		return error_set(err, r, "anti-rollback state %s: %s", path, strerror(-r));
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return error_set(err, -EBADMSG, "anti-rollback state %s is malformed", path);
	}
	json_object_foreach(j, name, v)
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			json_decref(j);
			return error_set(err, -EBADMSG, "anti-rollback state %s: bad serial for '%s'",
					 path, name);
		}
	*ret = j;
	return 0;
}

static int write_serials(const struct store_options *o, json_t *serials, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", o->state_dir, SERIALS_FILE);
	_cleanup_free_ char *text = json_dumps(serials, JSON_SORT_KEYS | JSON_INDENT(2));
	int r;

	if (!path || !text)
		return -ENOMEM;
	if (mkdir(o->state_dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, -errno, "cannot create %s: %m", o->state_dir);
	r = write_file_atomic(path, text, strlen(text), 0600);
	return r < 0 ? error_set(err, r, "cannot record serials in %s: %s", path, strerror(-r)) : 0;
}

static void policy_release(struct store_policy *p)
{
	free(p->file);
	free(p->name);
	json_decref(p->doc);
}

/* Why policy i must be dropped (NULL: keep it): a higher serial of the same name in another
 * file (superseded), the same serial with other content (conflict), or a serial lower than
 * the one recorded (rollback). */
static char *drop_reason(const struct store *s, size_t i, json_t *serials, bool *superseded)
{
	const struct store_policy *p = &s->policies[i];
	json_int_t recorded = json_integer_value(json_object_get(serials, p->name));

	*superseded = false;
	for (size_t k = 0; k < s->n_policies; k++) {
		const struct store_policy *q = &s->policies[k];

		if (k == i || strcmp(q->name, p->name) != 0)
			continue;
		if (q->serial == p->serial && !json_equal(q->doc, p->doc))
			return strdup_printf("policy '%s' serial %lld is also in %s with different "
					     "content", p->name, (long long)p->serial, q->file);
		if (q->serial > p->serial || (q->serial == p->serial && k < i)) {
			*superseded = true;
			return strdup_printf("superseded by %s (serial %lld)", q->file,
					     (long long)q->serial);
		}
	}
	if (p->serial < recorded)
		return strdup_printf("rollback: policy '%s' serial %lld is lower than serial %lld, "
				     "already accepted", p->name, (long long)p->serial,
				     (long long)recorded);
	return NULL;
}

static int apply_rollback(struct store *s, json_t *serials, bool *changed)
{
	_cleanup_free_ bool *drop = calloc(s->n_policies + 1, sizeof(bool));
	size_t kept = 0;
	int r = 0;

	if (!drop)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_policies && r >= 0; i++) {
		bool superseded;
		_cleanup_free_ char *why = drop_reason(s, i, serials, &superseded);

		if (why)
			r = add_rejected(s, s->policies[i].file, why, superseded);
		drop[i] = why != NULL;
	}
	for (size_t i = 0; i < s->n_policies; i++) {
		struct store_policy *p = &s->policies[i];

		if (drop[i]) {
			policy_release(p);
			continue;
		}
		if (p->serial > json_integer_value(json_object_get(serials, p->name))) {
			json_object_set_new(serials, p->name, json_integer(p->serial));
			*changed = true;
		}
		s->policies[kept++] = *p;
	}
	s->n_policies = kept;
	return r;
}

int store_load(const struct store_options *o, struct store **ret, struct error *err)
{
	_cleanup_(store_freep) struct store *s = calloc(1, sizeof(*s));
	struct key *keys[STORE_KEYS_MAX] = { 0 };
	json_t *serials = NULL;
	char **files = NULL;
	size_t n_files = 0;
	bool changed = false;
	int r;

	if (!s)
		return -ENOMEM;
	r = load_keys(o->keys_dir, keys, &s->n_keys, err);
	if (r >= 0)
		r = list_dir(o->policy_dir, &files, &n_files, err);
	for (size_t i = 0; r >= 0 && i < n_files; i++)
		r = open_policy(s, o, files[i], keys);
	if (r >= 0)
		r = read_serials(o, &serials, err);
	if (r >= 0)
		r = apply_rollback(s, serials, &changed);
	if (r >= 0 && changed && o->record)
		r = write_serials(o, serials, err);
	json_decref(serials);
	free_names(files, n_files);
	for (size_t i = 0; i < s->n_keys; i++)
		key_free(keys[i]);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_policies; i++)
		policy_release(&s->policies[i]);
	free(s->policies);
	for (size_t i = 0; i < s->n_rejected; i++) {
		free(s->rejected[i].file);
		free(s->rejected[i].reason);
	}
	free(s->rejected);
	free(s);
	return NULL;
}

bool store_is_sound(const struct store *s, const char **why)
{
	for (size_t i = 0; i < s->n_rejected; i++)
		if (!s->rejected[i].superseded) {
			*why = "a policy file was rejected";
			return false;
		}
	if (s->n_policies == 0) {
		*why = "no policy accepted";
		return false;
	}
	return true;
}

static bool json_digest_is(json_t *v, const struct digest *d)
{
	char buf[DIGEST_STRING_MAX];

	return d && json_is_string(v) && strcmp(json_string_value(v), digest_format(d, buf)) == 0;
}

void store_match(const struct store *s, const struct digest *manifest,
		 const struct digest *config, const struct digest *root, struct store_match *ret)
{
	*ret = (struct store_match){ 0 };
	for (size_t i = 0; i < s->n_policies; i++) {
		json_t *doc = s->policies[i].doc, *v;
		size_t k;

		if (strcmp(json_string_value(json_object_get(doc, "defaultAction")), "deny") == 0)
			ret->default_deny = true;
		json_array_foreach(json_object_get(doc, "revocations"), k, v) {
			json_t *d = json_object_get(v, "digest");

			if (!ret->revoked && (json_digest_is(d, manifest) || json_digest_is(d, config) ||
					      json_digest_is(d, root))) {
				ret->revoked = true;
				ret->revoked_by = s->policies[i].name;
				ret->revoke_reason = json_string_value(json_object_get(v, "reason"));
			}
		}
		json_array_foreach(json_object_get(doc, "images"), k, v) {
			bool match = (manifest || config)
					     ? json_digest_is(json_object_get(v, "manifestDigest"),
							      manifest) ||
						       json_digest_is(json_object_get(v, "configDigest"),
								      config)
					     : json_digest_is(json_object_get(v, "rootDigest"), root);

			if (!match)
				continue;
			if (strcmp(json_string_value(json_object_get(v, "mode")), "enforce") == 0)
				ret->enforce = true;
			if (!ret->entry) {
				ret->entry = v;
				ret->policy = s->policies[i].name;
				ret->serial = s->policies[i].serial;
			}
		}
	}
}
