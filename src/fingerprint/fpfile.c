/* SPDX-License-Identifier: Apache-2.0 */
/* The fingerprint file (docs/formats.md): written with a fixed key order, one entry per line;
 * read back with every field checked and every digest recomputed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "basic/fs.h"
#include "fingerprint.h"

#define FPFILE_MAX (1024u * 1024 * 1024)

static json_t *digest_json(bool has, const struct digest *d)
{
	char buf[DIGEST_STRING_MAX];

	return has ? json_string(digest_format(d, buf)) : json_null();
}

static bool utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static json_t *entry_to_json(const struct entry *e)
{
	json_t *o = json_object();
	char mode[8], hex[DIGEST_HEX_LEN + 1];

	snprintf(mode, sizeof(mode), "%04o", e->mode);
	json_object_set_new(o, "path", json_string(e->path));
	json_object_set_new(o, "type", json_string(entry_type_to_string(e->type)));
	json_object_set_new(o, "mode", json_string(mode));
	json_object_set_new(o, "uid", json_integer(e->uid));
	json_object_set_new(o, "gid", json_integer(e->gid));
	if (e->type == ENTRY_FILE) {
		json_object_set_new(o, "size", json_integer((json_int_t)e->size));
		json_object_set_new(o, "sha256", json_string(digest_format_hex(&e->sha256, hex)));
	}
	if (e->type == ENTRY_SYMLINK)
		json_object_set_new(o, "target", json_string(e->target));
	if (e->type == ENTRY_CHAR || e->type == ENTRY_BLOCK) {
		json_object_set_new(o, "major", json_integer(e->major));
		json_object_set_new(o, "minor", json_integer(e->minor));
	}
	if (e->n_xattrs) {
		json_t *x = json_object();

		for (size_t i = 0; i < e->n_xattrs; i++) {
			char *v = malloc(2 * e->xattrs[i].len + 1);

			if (!v)
				continue;
			hex_encode(e->xattrs[i].value, e->xattrs[i].len, v);
			json_object_set_new(x, e->xattrs[i].name, json_string(v));
			free(v);
		}
		json_object_set_new(o, "xattrs", x);
	}
	if (e->opaque)
		json_object_set_new(o, "opaque", json_true());
	return o;
}

static int write_entries(const struct table *t, const char *indent, FILE *f)
{
	fputs("[", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct entry *e = &t->entries[i];
		json_t *o;
		char *s;

		/* JSON strings are UTF-8: a name that is not cannot be written faithfully. */
		if (!utf8_ok(e->path) || (e->target && !utf8_ok(e->target)))
			return -EILSEQ;
		o = entry_to_json(e);
		s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if (!s)
			return -ENOMEM;
		fprintf(f, "%s\n%s  %s", i ? "," : "", indent, s);
		free(s);
	}
	if (t->n)
		fprintf(f, "\n%s", indent);
	fputs("]", f);
	return 0;
}

static void write_json(const char *key, json_t *v, FILE *f)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

	fprintf(f, "  \"%s\": %s,\n", key, s ? s : "null");
	free(s);
	json_decref(v);
}

int fingerprint_write(const struct fingerprint *fp, FILE *f)
{
	json_t *image = json_object(), *layers = json_array(), *excludes = json_array();
	char buf[DIGEST_STRING_MAX];
	int r;

	json_object_set_new(image, "manifestDigest", digest_json(fp->has_manifest,
								   &fp->manifest_digest));
	json_object_set_new(image, "configDigest", digest_json(fp->has_config, &fp->config_digest));
	for (size_t i = 0; i < fp->n_layers; i++) {
		const struct fingerprint_layer *l = &fp->layers[i];
		json_t *o = json_object();

		json_object_set_new(o, "digest", digest_json(l->has_digest, &l->digest));
		json_object_set_new(o, "diffID", digest_json(l->has_diff_id, &l->diff_id));
		json_object_set_new(o, "tableDigest", digest_json(true, &l->table_digest));
		json_object_set_new(o, "entries", json_integer((json_int_t)l->n_entries));
		json_array_append_new(layers, o);
	}
	json_object_set_new(image, "layers", layers);
	for (size_t i = 0; i < fp->n_excludes; i++)
		json_array_append_new(excludes, json_string(fp->excludes[i]));

	fputs("{\n", f);
	fprintf(f, "  \"apiVersion\": \"%s\",\n  \"kind\": \"%s\",\n", FINGERPRINT_API_VERSION,
		FINGERPRINT_KIND);
	write_json("image", image, f);
	write_json("excludes", excludes, f);
	fprintf(f, "  \"rootDigest\": \"%s\",\n", digest_format(&fp->root_digest, buf));
	fputs("  \"entries\": ", f);
	r = write_entries(&fp->root, "  ", f);
	if (r < 0)
		return r;
	if (fp->has_layer_tables) {
		fputs(",\n  \"layers\": [", f);
		for (size_t i = 0; i < fp->n_layers; i++) {
			const struct fingerprint_layer *l = &fp->layers[i];

			fprintf(f, "%s\n    {\"diffID\": ", i ? "," : "");
			if (l->has_diff_id)
				fprintf(f, "\"%s\", ", digest_format(&l->diff_id, buf));
			else
				fputs("null, ", f);
			fprintf(f, "\"tableDigest\": \"%s\", \"entries\": ",
				digest_format(&l->table_digest, buf));
			r = write_entries(&l->table, "    ", f);
			if (r < 0)
				return r;
			fputs("}", f);
		}
		fputs("\n  ]", f);
	}
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

/* Reading */

static bool string_is(json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static int parse_digest_or_null(json_t *v, const char *what, bool *has, struct digest *d,
				struct error *err)
{
	if (json_is_null(v) || !v) {
		*has = false;
		return 0;
	}
	if (!json_is_string(v) || digest_parse(json_string_value(v), d) < 0)
		return error_set(err, -EBADMSG, "%s is not a sha256 digest", what);
	*has = true;
	return 0;
}

static int parse_uint32(json_t *o, const char *key, uint32_t *ret)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return -EBADMSG;
	*ret = (uint32_t)json_integer_value(v);
	return 0;
}

static int parse_xattrs(json_t *x, struct entry *e)
{
	const char *name;
	json_t *v;

	if (!json_is_object(x))
		return -EBADMSG;
	json_object_foreach(x, name, v) {
		_cleanup_free_ uint8_t *value = NULL;
		size_t len;

		if (!xattr_is_recorded(name) || !json_is_string(v) ||
		    strspn(json_string_value(v), "0123456789abcdef") != strlen(json_string_value(v)) ||
		    hex_decode(json_string_value(v), &value, &len) < 0 ||
		    entry_add_xattr(e, name, value, len) < 0)
			return -EBADMSG;
	}
	return 0;
}

static int entry_from_json(json_t *o, bool layer, struct table *t, struct error *err)
{
	static const char *const keys[] = { "path", "type", "mode", "uid", "gid", "size", "sha256",
					    "target", "major", "minor", "xattrs", "opaque" };
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *mode = json_string_value(json_object_get(o, "mode"));
	_cleanup_free_ char *norm = NULL;
	const char *key;
	struct entry *e;
	json_t *v;
	char *end;
	int r, ti;

	if (!json_is_object(o) || !path || path[0] != '/' || strlen(path) > ENTRY_PATH_MAX ||
	    path_from_member(path + 1, &norm) < 0 || strcmp(norm, path) != 0 ||
	    strcmp(path, "/") == 0)
		return error_set(err, -EBADMSG, "entry %zu: missing or malformed path", t->n);
	json_object_foreach(o, key, v) {
		size_t k = 0;

		while (k < ARRAY_SIZE(keys) && strcmp(keys[k], key) != 0)
			k++;
		if (k == ARRAY_SIZE(keys))
			return error_set(err, -EBADMSG, "'%s': unknown field '%s'", path, key);
	}
	ti = type ? entry_type_from_string(type) : -EINVAL;
	if (ti < 0 || (ti == ENTRY_WHITEOUT && !layer))
		return error_set(err, -EBADMSG, "'%s': invalid type", path);
	r = table_add(t, strdup(path), &e);
	if (r < 0 || !e->path)
		return error_set(err, r < 0 ? r : -ENOMEM, "'%s': too many entries", path);
	e->type = (enum entry_type)ti;
	if (!mode || strlen(mode) != 4 || strspn(mode, "01234567") != 4 ||
	    (e->mode = (uint32_t)strtoul(mode, &end, 8), *end) ||
	    parse_uint32(o, "uid", &e->uid) < 0 || parse_uint32(o, "gid", &e->gid) < 0)
		return error_set(err, -EBADMSG, "'%s': malformed mode, uid or gid", path);
	if (e->type == ENTRY_FILE) {
		json_t *size = json_object_get(o, "size");
		const char *sha = json_string_value(json_object_get(o, "sha256"));

		if (!json_is_integer(size) || json_integer_value(size) < 0 || !sha ||
		    digest_parse_hex(sha, &e->sha256) < 0)
			return error_set(err, -EBADMSG, "'%s': malformed size or sha256", path);
		e->size = (uint64_t)json_integer_value(size);
	}
	if (e->type == ENTRY_SYMLINK) {
		const char *target = json_string_value(json_object_get(o, "target"));

		if (!target || strlen(target) > ENTRY_PATH_MAX || !(e->target = strdup(target)))
			return error_set(err, -EBADMSG, "'%s': malformed target", path);
	}
	if ((e->type == ENTRY_CHAR || e->type == ENTRY_BLOCK) &&
	    (parse_uint32(o, "major", &e->major) < 0 || parse_uint32(o, "minor", &e->minor) < 0))
		return error_set(err, -EBADMSG, "'%s': malformed device numbers", path);
	if (json_object_get(o, "xattrs") && parse_xattrs(json_object_get(o, "xattrs"), e) < 0)
		return error_set(err, -EBADMSG, "'%s': malformed xattrs", path);
	if ((e->type != ENTRY_FILE &&
	     (json_object_get(o, "size") || json_object_get(o, "sha256"))) ||
	    (e->type != ENTRY_SYMLINK && json_object_get(o, "target")) ||
	    (e->type != ENTRY_CHAR && e->type != ENTRY_BLOCK &&
	     (json_object_get(o, "major") || json_object_get(o, "minor"))))
		return error_set(err, -EBADMSG, "'%s': field that a %s does not have", path, type);
	v = json_object_get(o, "opaque");
	if (v && (!json_is_true(v) || !layer || e->type != ENTRY_DIR))
		return error_set(err, -EBADMSG, "'%s': misplaced opaque flag", path);
	e->opaque = v != NULL;
	if (t->n > 1 && path_compare(t->entries[t->n - 2].path, path) >= 0)
		return error_set(err, -EBADMSG, "'%s': entries are not sorted or repeat a path",
				 path);
	return 0;
}

static int table_from_json(json_t *a, bool layer, const struct digest *expect, const char *what,
			   struct table *ret, struct error *err)
{
	struct table t = { 0 };
	struct digest got;
	json_t *o;
	size_t i;
	int r = 0;

	if (!json_is_array(a))
		return error_set(err, -EBADMSG, "%s: entries is not an array", what);
	json_array_foreach(a, i, o) {
		r = entry_from_json(o, layer, &t, err);
		if (r < 0)
			break;
	}
	if (r >= 0)
		r = table_digest(&t, &got);
	if (r >= 0 && !digest_equal(&got, expect)) {
		char a1[DIGEST_STRING_MAX], a2[DIGEST_STRING_MAX];

		r = error_set(err, -EBADMSG, "%s: digest mismatch: file says %s, entries give %s",
			      what, digest_format(expect, a1), digest_format(&got, a2));
	}
	if (r < 0) {
		table_release(&t);
		return error_prefix(err, r, "%s", what);
	}
	*ret = t;
	return 0;
}

static int parse_layers(json_t *image, json_t *tables, struct fingerprint *fp, struct error *err)
{
	json_t *layers = json_object_get(image, "layers"), *l;
	size_t i;
	int r;

	if (!json_is_array(layers) || json_array_size(layers) > IMAGE_LAYERS_MAX)
		return error_set(err, -EBADMSG, "image.layers is not an array");
	if (tables && (!json_is_array(tables) || json_array_size(tables) != json_array_size(layers)))
		return error_set(err, -EBADMSG, "layers does not match image.layers");
	fp->layers = calloc(json_array_size(layers) + 1, sizeof(*fp->layers));
	if (!fp->layers)
		return -ENOMEM;
	json_array_foreach(layers, i, l) {
		struct fingerprint_layer *fl = &fp->layers[i];
		bool has_table;
		json_t *n = json_object_get(l, "entries");

		fp->n_layers = i + 1;
		r = parse_digest_or_null(json_object_get(l, "digest"), "layer digest",
					 &fl->has_digest, &fl->digest, err);
		if (r >= 0)
			r = parse_digest_or_null(json_object_get(l, "diffID"), "layer diffID",
						 &fl->has_diff_id, &fl->diff_id, err);
		if (r >= 0)
			r = parse_digest_or_null(json_object_get(l, "tableDigest"),
						 "layer tableDigest", &has_table, &fl->table_digest,
						 err);
		if (r >= 0 && (!has_table || !json_is_integer(n) || json_integer_value(n) < 0))
			r = error_set(err, -EBADMSG, "layer %zu: missing tableDigest or entries", i);
		if (r < 0)
			return r;
		fl->n_entries = (size_t)json_integer_value(n);
		if (tables) {
			char what[48];

			snprintf(what, sizeof(what), "layer %zu table", i);
			r = table_from_json(json_object_get(json_array_get(tables, i), "entries"),
					    true, &fl->table_digest, what, &fl->table, err);
			if (r < 0)
				return r;
		}
	}
	fp->has_layer_tables = tables != NULL;
	return 0;
}

int fingerprint_parse(const char *buf, size_t len, struct fingerprint **ret, struct error *err)
{
	_cleanup_(fingerprint_freep) struct fingerprint *fp = calloc(1, sizeof(*fp));
	json_t *doc, *image, *excludes, *v;
	json_error_t jerr;
	bool has_root;
	size_t i;
	int r;

	if (!fp)
		return -ENOMEM;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return error_set(err, -EBADMSG, "malformed JSON at line %d column %d: %s",
				 jerr.line, jerr.column, jerr.text);
	if (!json_is_object(doc) || !string_is(json_object_get(doc, "apiVersion"),
					       FINGERPRINT_API_VERSION) ||
	    !string_is(json_object_get(doc, "kind"), FINGERPRINT_KIND)) {
		r = error_set(err, -EBADMSG, "not an imprint fingerprint (apiVersion %s, kind %s)",
			      FINGERPRINT_API_VERSION, FINGERPRINT_KIND);
		goto out;
	}
	image = json_object_get(doc, "image");
	excludes = json_object_get(doc, "excludes");
	r = parse_digest_or_null(json_object_get(image, "manifestDigest"), "image.manifestDigest",
				 &fp->has_manifest, &fp->manifest_digest, err);
	if (r >= 0)
		r = parse_digest_or_null(json_object_get(image, "configDigest"),
					 "image.configDigest", &fp->has_config, &fp->config_digest,
					 err);
	if (r >= 0)
		r = parse_digest_or_null(json_object_get(doc, "rootDigest"), "rootDigest",
					 &has_root, &fp->root_digest, err);
	if (r >= 0 && !has_root)
		r = error_set(err, -EBADMSG, "no rootDigest");
	if (r >= 0 && !json_is_array(excludes))
		r = error_set(err, -EBADMSG, "excludes is not an array");
	if (r < 0)
		goto out;
	fp->excludes = calloc(json_array_size(excludes) + 1, sizeof(char *));
	if (!fp->excludes) {
		r = -ENOMEM;
		goto out;
	}
	json_array_foreach(excludes, i, v) {
		if (!json_is_string(v) || !(fp->excludes[i] = strdup(json_string_value(v)))) {
			r = error_set(err, -EBADMSG, "excludes[%zu] is not a string", i);
			goto out;
		}
		fp->n_excludes = i + 1;
	}
	r = parse_layers(image, json_object_get(doc, "layers"), fp, err);
	if (r >= 0)
		r = table_from_json(json_object_get(doc, "entries"), false, &fp->root_digest,
				    "root table", &fp->root, err);
	if (r >= 0)
		*ret = TAKE_PTR(fp);
out:
	json_decref(doc);
	return r;
}

int fingerprint_read(const char *path, struct fingerprint **ret, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file(path, FPFILE_MAX, &buf, &len);

	if (r == -EFBIG)
		return error_set(err, r, "%s: larger than %u bytes", path, FPFILE_MAX);
	if (r < 0)
		return error_set(err, r, "%s: %s", path, strerror(-r));
	r = fingerprint_parse(buf, len, ret, err);
	return r < 0 ? error_prefix(err, r, "%s", path) : r;
}
