/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "dsse.h"
#include "policy.h"

static bool is_string(json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static bool is_digest(json_t *v)
{
	struct digest d;

	return json_is_string(v) && digest_parse(json_string_value(v), &d) == 0;
}

static const char *const enforce_names[_POLICY_ENFORCE_MAX] = { "off", "monitor", "enforce" };

const char *policy_enforce_to_string(enum policy_enforce e)
{
	return e < _POLICY_ENFORCE_MAX ? enforce_names[e] : "off";
}

int policy_enforce_from_string(const char *s, enum policy_enforce *ret)
{
	for (size_t i = 0; s && i < _POLICY_ENFORCE_MAX; i++)
		if (strcmp(s, enforce_names[i]) == 0) {
			*ret = (enum policy_enforce)i;
			return 0;
		}
	return -EINVAL;
}

/* The enforcement object's booleans: their JSON key and their `--enforcement` word. */
static const struct {
	const char *key, *word;
} enforcement_flags[] = {
	{ "treeAware", "tree-aware" },
	{ "rawSockets", "raw-sockets" },
	{ "loaderAsProgram", "loader-as-program" },
};

static const char *enforcement_flag(const char *s, bool word)
{
	for (size_t i = 0; i < ARRAY_SIZE(enforcement_flags); i++)
		if (strcmp(s, word ? enforcement_flags[i].word : enforcement_flags[i].key) == 0)
			return enforcement_flags[i].key;
	return NULL;
}

/* Optional: {"exec": MODE, "network": MODE, "files": MODE, "treeAware": bool, "rawSockets":
 * bool, "loaderAsProgram": bool}, every field optional. */
static int validate_enforcement(json_t *e)
{
	enum policy_enforce m;
	const char *key;
	json_t *v;

	if (!e)
		return 0;
	if (!json_is_object(e))
		return -EBADMSG;
	json_object_foreach(e, key, v) {
		if (enforcement_flag(key, false)) {
			if (!json_is_boolean(v))
				return -EBADMSG;
		} else if (strcmp(key, "exec") && strcmp(key, "network") && strcmp(key, "files")) {
			return -EBADMSG;
		} else if (policy_enforce_from_string(json_string_value(v), &m) < 0) {
			return -EBADMSG;
		}
	}
	return 0;
}

void policy_entry_enforcement(json_t *entry, struct policy_enforcement *ret)
{
	json_t *e = json_object_get(entry, "enforcement");

	*ret = (struct policy_enforcement){ 0 };
	policy_enforce_from_string(json_string_value(json_object_get(e, "exec")), &ret->exec);
	policy_enforce_from_string(json_string_value(json_object_get(e, "network")),
				   &ret->network);
	policy_enforce_from_string(json_string_value(json_object_get(e, "files")), &ret->files);
	ret->tree_aware = json_is_true(json_object_get(e, "treeAware"));
	ret->raw_sockets = json_is_true(json_object_get(e, "rawSockets"));
	ret->loader_as_program = json_is_true(json_object_get(e, "loaderAsProgram"));
}

int policy_enforcement_parse(const char *spec, json_t **ret, struct error *err)
{
	_cleanup_free_ char *copy = strdup(spec);
	json_t *e = json_object();
	char *item, *save = NULL;
	enum policy_enforce m;

	if (!copy || !e) {
		json_decref(e);
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (enforcement_flag(item, true)) {
			json_object_set_new(e, enforcement_flag(item, true), json_true());
			continue;
		}
		if (eq)
			*eq = '\0';
		if (!eq || (strcmp(item, "exec") && strcmp(item, "network") && strcmp(item, "files")) ||
		    policy_enforce_from_string(eq + 1, &m) < 0) {
			json_decref(e);
			return error_set(err, -EINVAL, "enforcement wants exec=MODE,network=MODE,"
					 "files=MODE,tree-aware,raw-sockets,loader-as-program (MODE "
					 "off, monitor or enforce), not '%s'", spec);
		}
		json_object_set_new(e, item, json_string(eq + 1));
	}
	*ret = e;
	return 0;
}

int policy_set_enforcement(json_t *p, const char *cd, json_t *enforcement, struct error *err)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(p, "images"), i, v)
		if (is_string(json_object_get(v, "configDigest"), cd)) {
			json_object_set_new(v, "enforcement", enforcement);
			return policy_validate(p, err);
		}
	json_decref(enforcement);
	return error_set(err, -ENOENT, "no image pinned by %s", cd);
}

static int validate_image(json_t *img, size_t i, struct error *err)
{
	static const char *const keys[] = { "name", "manifestDigest", "configDigest", "rootDigest",
					    "layers", "mode", "enforcement" };
	json_t *layers = json_object_get(img, "layers"), *l, *v;
	const char *key;
	size_t k;

	if (!json_is_object(img))
		return error_set(err, -EBADMSG, "images[%zu] is not an object", i);
	json_object_foreach(img, key, v) {
		size_t n = 0;

		while (n < ARRAY_SIZE(keys) && strcmp(keys[n], key))
			n++;
		if (n == ARRAY_SIZE(keys))
			return error_set(err, -EBADMSG, "images[%zu]: unknown field '%s'", i, key);
	}
	/* An image is pinned by digest, never by a name alone. */
	if (!is_digest(json_object_get(img, "manifestDigest")) &&
	    !is_digest(json_object_get(img, "configDigest")))
		return error_set(err, -EBADMSG, "images[%zu]: needs manifestDigest or configDigest", i);
	for (k = 0; k < 2; k++) {
		v = json_object_get(img, k ? "configDigest" : "manifestDigest");
		if (v && !json_is_null(v) && !is_digest(v))
			return error_set(err, -EBADMSG, "images[%zu]: malformed digest", i);
	}
	if (!is_digest(json_object_get(img, "rootDigest")))
		return error_set(err, -EBADMSG, "images[%zu]: needs rootDigest", i);
	if (json_object_get(img, "name") && !json_is_string(json_object_get(img, "name")))
		return error_set(err, -EBADMSG, "images[%zu]: name is not a string", i);
	if (!is_string(json_object_get(img, "mode"), "enforce") &&
	    !is_string(json_object_get(img, "mode"), "monitor"))
		return error_set(err, -EBADMSG, "images[%zu]: mode is not enforce or monitor", i);
	if (!json_is_array(layers) || json_array_size(layers) > IMAGE_LAYERS_MAX)
		return error_set(err, -EBADMSG, "images[%zu]: layers is not an array", i);
	if (validate_enforcement(json_object_get(img, "enforcement")) < 0)
		return error_set(err, -EBADMSG, "images[%zu]: enforcement must be an object of "
				 "exec, network and files (off, monitor or enforce), treeAware, "
				 "rawSockets and loaderAsProgram (booleans)", i);
	json_array_foreach(layers, k, l)
		if (!is_digest(json_object_get(l, "tableDigest")) ||
		    (json_object_get(l, "diffID") && !json_is_null(json_object_get(l, "diffID")) &&
		     !is_digest(json_object_get(l, "diffID"))))
			return error_set(err, -EBADMSG, "images[%zu].layers[%zu] is malformed", i, k);
	return 0;
}

int policy_validate(json_t *p, struct error *err)
{
	static const char *const keys[] = { "apiVersion", "kind", "name", "serial", "created",
					    "expires", "defaultAction", "images", "revocations" };
	json_t *images = json_object_get(p, "images"), *revs = json_object_get(p, "revocations");
	json_t *serial = json_object_get(p, "serial"), *v;
	const char *key, *name = json_string_value(json_object_get(p, "name"));
	int64_t t;
	size_t i;
	int r;

	if (!json_is_object(p) || !is_string(json_object_get(p, "apiVersion"), POLICY_API_VERSION) ||
	    !is_string(json_object_get(p, "kind"), POLICY_KIND))
		return error_set(err, -EBADMSG, "not an imprint policy (apiVersion %s, kind %s)",
				 POLICY_API_VERSION, POLICY_KIND);
	json_object_foreach(p, key, v) {
		size_t n = 0;

		while (n < ARRAY_SIZE(keys) && strcmp(keys[n], key))
			n++;
		if (n == ARRAY_SIZE(keys))
			return error_set(err, -EBADMSG, "unknown field '%s'", key);
	}
	if (!name || !*name || strlen(name) > 128 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name))
		return error_set(err, -EBADMSG, "name must be 1-128 of [A-Za-z0-9._-]");
	if (!json_is_integer(serial) || json_integer_value(serial) < 1)
		return error_set(err, -EBADMSG, "serial must be a positive integer");
	if (!json_is_string(json_object_get(p, "created")) ||
	    time_parse_rfc3339(json_string_value(json_object_get(p, "created")), &t) < 0)
		return error_set(err, -EBADMSG, "created must be an RFC 3339 UTC time");
	v = json_object_get(p, "expires");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) || time_parse_rfc3339(json_string_value(v), &t) < 0))
		return error_set(err, -EBADMSG, "expires must be null or an RFC 3339 UTC time");
	if (!is_string(json_object_get(p, "defaultAction"), "deny") &&
	    !is_string(json_object_get(p, "defaultAction"), "allow"))
		return error_set(err, -EBADMSG, "defaultAction must be deny or allow");
	if (!json_is_array(images) || json_array_size(images) > POLICY_IMAGES_MAX)
		return error_set(err, -EBADMSG, "images is not an array");
	json_array_foreach(images, i, v) {
		r = validate_image(v, i, err);
		if (r < 0)
			return r;
	}
	if (!json_is_array(revs) || json_array_size(revs) > POLICY_IMAGES_MAX)
		return error_set(err, -EBADMSG, "revocations is not an array");
	json_array_foreach(revs, i, v)
		if (!is_digest(json_object_get(v, "digest")) ||
		    (json_object_get(v, "reason") && !json_is_string(json_object_get(v, "reason"))))
			return error_set(err, -EBADMSG, "revocations[%zu] is malformed", i);
	return 0;
}

int policy_new(const char *name, const char *expires, const char *default_action,
	       json_t **ret, struct error *err)
{
	char now[32];
	json_t *p;
	int r;

	time_format_rfc3339((int64_t)time(NULL), now);
	p = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s?,s:s,s:[],s:[]}", "apiVersion", POLICY_API_VERSION,
		      "kind", POLICY_KIND, "name", name, "serial", 1, "created", now, "expires",
		      expires, "defaultAction", default_action, "images", "revocations");
	if (!p)
		return -ENOMEM;
	if (!expires)
		json_object_set_new(p, "expires", json_null());
	r = policy_validate(p, err);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* Every change gets a new serial and creation time. */
static void bump(json_t *p)
{
	char now[32];

	time_format_rfc3339((int64_t)time(NULL), now);
	json_object_set_new(p, "serial",
			    json_integer(json_integer_value(json_object_get(p, "serial")) + 1));
	json_object_set_new(p, "created", json_string(now));
}

static json_t *digest_or_null(bool has, const struct digest *d)
{
	char buf[DIGEST_STRING_MAX];

	return has ? json_string(digest_format(d, buf)) : json_null();
}

int policy_add_image(json_t *p, const struct fingerprint *fp, const char *name,
		     const char *mode, struct error *err)
{
	json_t *images = json_object_get(p, "images"), *layers = json_array(), *entry, *v;
	char cd[DIGEST_STRING_MAX];
	size_t i;

	if (!fp->has_config)
		return error_set(err, -EINVAL, "an image without a config digest (a dir: source?) "
					       "cannot be pinned");
	for (i = 0; i < fp->n_layers; i++)
		json_array_append_new(
			layers, json_pack("{s:o,s:o}", "diffID",
					  digest_or_null(fp->layers[i].has_diff_id, &fp->layers[i].diff_id),
					  "tableDigest", digest_or_null(true, &fp->layers[i].table_digest)));
	entry = json_pack("{s:s?,s:o,s:o,s:o,s:o,s:s}", "name", name, "manifestDigest",
			  digest_or_null(fp->has_manifest, &fp->manifest_digest), "configDigest",
			  digest_or_null(true, &fp->config_digest), "rootDigest",
			  digest_or_null(true, &fp->root_digest), "layers", layers, "mode", mode);
	if (!entry)
		return -ENOMEM;
	if (!name)
		json_object_del(entry, "name");
	digest_format(&fp->config_digest, cd);
	json_array_foreach(images, i, v)
		if (is_string(json_object_get(v, "configDigest"), cd)) {
			json_array_remove(images, i);
			break;
		}
	json_array_append_new(images, entry);
	bump(p);
	return policy_validate(p, err);
}

int policy_remove_image(json_t *p, const char *digest, struct error *err)
{
	json_t *images = json_object_get(p, "images");
	int n = 0;

	for (size_t i = json_array_size(images); i-- > 0;) {
		json_t *v = json_array_get(images, i);

		if (is_string(json_object_get(v, "manifestDigest"), digest) ||
		    is_string(json_object_get(v, "configDigest"), digest)) {
			json_array_remove(images, i);
			n++;
		}
	}
	if (n)
		bump(p);
	return n;
}

int policy_revoke(json_t *p, const char *digest, const char *reason, struct error *err)
{
	struct digest d;
	json_t *rev;

	if (digest_parse(digest, &d) < 0)
		return error_set(err, -EINVAL, "'%s' is not a sha256 digest", digest);
	rev = json_pack("{s:s}", "digest", digest);
	if (!rev || (reason && json_object_set_new(rev, "reason", json_string(reason)) < 0)) {
		json_decref(rev);
		return -ENOMEM;
	}
	json_array_append_new(json_object_get(p, "revocations"), rev);
	bump(p);
	return policy_validate(p, err);
}

int policy_read(const char *path, json_t **ret, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	json_t *p;
	size_t len;
	int r = read_file(path, POLICY_MAX, &buf, &len);

	if (r < 0)
		return error_set(err, r, "%s: %s", path, strerror(-r));
	p = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!p)
		return error_set(err, -EBADMSG, "%s: malformed JSON at line %d: %s", path, jerr.line,
				 jerr.text);
	r = policy_validate(p, err);
	if (r < 0) {
		json_decref(p);
		return error_prefix(err, r, "%s", path);
	}
	*ret = p;
	return 0;
}

int policy_write(json_t *p, const char *path, struct error *err)
{
	_cleanup_free_ char *s = json_dumps(p, JSON_INDENT(2));
	_cleanup_free_ char *text = s ? strdup_printf("%s\n", s) : NULL;

	int r;

	if (!text)
		return -ENOMEM;
	r = write_file_atomic(path, text, strlen(text), 0644);
	return r < 0 ? error_set(err, r, "cannot write %s: %s", path, strerror(-r)) : 0;
}

int policy_sign(json_t *p, const struct key *key, char **ret, struct error *err)
{
	_cleanup_free_ char *payload = NULL;
	int r = policy_validate(p, err);

	if (r < 0)
		return r;
	if (!key->private_key)
		return error_set(err, -EINVAL, "signing needs a private key");
	payload = json_dumps(p, JSON_COMPACT);
	if (!payload)
		return -ENOMEM;
	r = dsse_sign(POLICY_PAYLOAD_TYPE, payload, strlen(payload), key, ret);
	return r < 0 ? error_set(err, r, "cannot sign: %s", strerror(-r)) : 0;
}

int policy_open_signed(const char *path, struct key *const *trusted, size_t n_trusted,
		       int64_t now, json_t **ret, const struct key **ret_signer,
		       struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ uint8_t *payload = NULL;
	const char *expires;
	json_error_t jerr;
	size_t len, plen;
	int64_t t;
	json_t *p;
	int r = read_file(path, DSSE_ENVELOPE_MAX, &buf, &len);

	if (r < 0)
		return error_set(err, r, "%s: %s", path, strerror(-r));
	r = dsse_verify(buf, len, POLICY_PAYLOAD_TYPE, trusted, n_trusted, &payload, &plen,
			ret_signer, err);
	if (r < 0)
		return error_prefix(err, r, "%s", path);
	p = json_loadb((const char *)payload, plen, JSON_REJECT_DUPLICATES, &jerr);
	if (!p)
		return error_set(err, -EBADMSG, "%s: signed payload is not JSON: %s", path, jerr.text);
	r = policy_validate(p, err);
	if (r < 0) {
		json_decref(p);
		return error_prefix(err, r, "%s", path);
	}
	expires = json_string_value(json_object_get(p, "expires"));
	if (expires && time_parse_rfc3339(expires, &t) == 0 && t <= now) {
		r = error_set(err, -EKEYEXPIRED, "%s: policy '%s' expired at %s", path,
			      json_string_value(json_object_get(p, "name")), expires);
		json_decref(p);
		return r;
	}
	*ret = p;
	return 0;
}
