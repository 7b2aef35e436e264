/* SPDX-License-Identifier: Apache-2.0 */
/* Judging a fingerprint against the store. The order of checks is the order of the reasons:
 * the store itself, revocation, whether the image is known, then its layers and content. A
 * changed file is named only from a fingerprint file whose root digest is the signed one, so
 * the names come from signed data too. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "fingerprint/diff.h"
#include "verify.h"

static bool json_digest(json_t *v, struct digest *ret)
{
	return json_is_string(v) && digest_parse(json_string_value(v), ret) == 0;
}

static void check_store(const struct store *s, struct verify_result *res)
{
	const char *why;

	if (store_is_sound(s, &why))
		return;
	for (size_t i = 0; i < s->n_rejected; i++)
		if (!s->rejected[i].superseded)
			verify_refuse(res, "policy-store", NULL, "policy file %s rejected: %s",
				      s->rejected[i].file, s->rejected[i].reason);
	if (s->n_policies == 0)
		verify_refuse(res, "policy-store", NULL, "no valid policy in the store");
}

/* Name the files that differ, from the fingerprint file of the signed root digest. Returns
 * false if there is no such file. */
struct name_ctx {
	struct verify_result *res;
};

static int name_one(const struct diff_item *item, void *userdata)
{
	struct verify_result *res = ((struct name_ctx *)userdata)->res;
	char fields[128] = "";
	size_t len = 0;

	switch (item->kind) {
	case DIFF_ADDED:
		verify_refuse(res, "file", item->path, "%s: not in the image", item->path);
		break;
	case DIFF_REMOVED:
		verify_refuse(res, "file", item->path, "%s: missing", item->path);
		break;
	default:
		for (unsigned f = 1; f < _DIFF_FIELD_MAX; f <<= 1)
			if ((item->fields & f) && len < sizeof(fields))
				len += (size_t)snprintf(fields + len, sizeof(fields) - len, "%s%s",
							len ? ", " : "", diff_field_to_string(f));
		verify_refuse(res, "file", item->path, "%s: %s changed", item->path, fields);
	}
	return 0;
}

static bool name_files(const struct fingerprint *fp, const struct digest *signed_root,
		       const struct verify_options *o, struct verify_result *res)
{
	_cleanup_(fingerprint_freep) struct fingerprint *good = NULL;
	_cleanup_free_ char *path = NULL;
	struct name_ctx ctx = { res };
	char hex[DIGEST_HEX_LEN + 1];
	struct error err = { 0 };

	if (o->fingerprint_file)
		path = strdup(o->fingerprint_file);
	else if (o->fingerprint_dir)
		path = strdup_printf("%s/%s.json", o->fingerprint_dir,
				     digest_format_hex(signed_root, hex));
	if (!path || access(path, F_OK) < 0)
		return false;
	/* fingerprint_read() checks the file's entries against its own root digest. */
	if (fingerprint_read(path, &good, &err) < 0 || !digest_equal(&good->root_digest, signed_root))
		return false;
	table_diff(&good->root, &fp->root, name_one, &ctx);
	return true;
}

/* The stored layers must be the signed ones, in order: by diffID and table, or by table
 * alone when they were read by content from a mount (no diffIDs). */
static void check_layers(json_t *entry, const struct fingerprint *fp, struct verify_result *res)
{
	json_t *layers = json_object_get(entry, "layers"), *l;
	size_t i;

	if (json_array_size(layers) != fp->n_layers) {
		verify_refuse(res, "layers", NULL, "the image has %zu layers, the policy pins %zu",
			      fp->n_layers, json_array_size(layers));
		return;
	}
	json_array_foreach(layers, i, l) {
		const struct fingerprint_layer *fl = &fp->layers[i];
		struct digest diff_id, table;
		char buf[DIGEST_STRING_MAX];

		if (fl->has_diff_id && json_digest(json_object_get(l, "diffID"), &diff_id) &&
		    !digest_equal(&diff_id, &fl->diff_id))
			verify_refuse(res, "layers", NULL, "layer %zu: diffID is not the signed %s", i,
				      digest_format(&diff_id, buf));
		else if (json_digest(json_object_get(l, "tableDigest"), &table) &&
			 !digest_equal(&table, &fl->table_digest))
			verify_refuse(res, "layers", NULL,
				      "layer %zu (%s): stored content differs from the signed table",
				      i, fl->has_diff_id ? digest_format(&fl->diff_id, buf) : "?");
	}
}

/* Content judged without identity takes the name and image ID of the entry it matched. */
static void take_entry_identity(json_t *entry, struct verify_result *res)
{
	const char *name = json_string_value(json_object_get(entry, "name"));
	const char *config = json_string_value(json_object_get(entry, "configDigest"));
	struct digest d;

	if (config && digest_parse(config, &d) == 0)
		digest_format_hex(&d, res->image_id);
	free(res->image);
	res->image = strdup(name ?: config ?: "?");
}

/* How many of fp's layer tables an entry pins at the same position; -1 if it pins another
 * number of layers. */
static int layers_in_common(json_t *entry, const struct fingerprint *fp)
{
	json_t *layers = json_object_get(entry, "layers"), *l;
	struct digest table;
	int n = 0;
	size_t i;

	if (json_array_size(layers) != fp->n_layers)
		return -1;
	json_array_foreach(layers, i, l)
		if (json_digest(json_object_get(l, "tableDigest"), &table) &&
		    digest_equal(&table, &fp->layers[i].table_digest))
			n++;
	return n;
}

/* Content read from a mount that no entry pins: which pinned image is it closest to? The
 * entry with the most layers in common (same count), then the fewest differing files, among
 * those whose fingerprint file can name them. Its files are named, its name becomes the
 * image's: "refused NAME: /bin/sh: content changed". */
static void name_nearest(const struct store *s, const struct fingerprint *fp,
			 const struct verify_options *o, struct verify_result *res)
{
	json_t *best = NULL;
	size_t best_diffs = SIZE_MAX;
	int best_common = -1;
	struct digest root;

	for (size_t p = 0; p < s->n_policies; p++) {
		json_t *v;
		size_t k;

		json_array_foreach(json_object_get(s->policies[p].doc, "images"), k, v) {
			struct verify_result probe;
			int common = layers_in_common(v, fp);
			size_t diffs;

			if (common < best_common || common < 0 ||
			    !json_digest(json_object_get(v, "rootDigest"), &root))
				continue;
			verify_result_init(&probe, NULL);
			diffs = name_files(fp, &root, o, &probe) ? probe.n_reasons + probe.n_more
								 : SIZE_MAX;
			verify_result_release(&probe);
			if (diffs != SIZE_MAX && (common > best_common || diffs < best_diffs)) {
				best = v;
				best_common = common;
				best_diffs = diffs;
			}
		}
	}
	if (!best)
		return;
	json_digest(json_object_get(best, "rootDigest"), &root);
	take_entry_identity(best, res);
	name_files(fp, &root, o, res);
}

void verify_fingerprint(const struct store *s, const struct fingerprint *fp,
			const struct verify_options *o, struct verify_result *res)
{
	struct store_match m;
	struct digest root;
	char buf[DIGEST_STRING_MAX];
	bool by_identity = fp->has_manifest || fp->has_config;

	res->has_manifest = fp->has_manifest;
	res->manifest = fp->manifest_digest;
	res->has_config = fp->has_config;
	res->config = fp->config_digest;
	res->has_root = true;
	res->root = fp->root_digest;
	if (fp->has_config)
		digest_format_hex(&fp->config_digest, res->image_id);
	check_store(s, res);
	store_match(s, fp->has_manifest ? &fp->manifest_digest : NULL,
		    fp->has_config ? &fp->config_digest : NULL, &fp->root_digest, &m);
	if (m.revoked) {
		verify_refuse(res, "revoked", NULL, "revoked by policy '%s'%s%s", m.revoked_by,
			      m.revoke_reason ? ": " : "", m.revoke_reason ? m.revoke_reason : "");
		return;
	}
	if (!m.entry) {
		if (o->content_layers)
			name_nearest(s, fp, o, res);
		if (m.default_deny || s->n_policies == 0)
			verify_refuse(res, "unknown-image", NULL, "no policy allows %s %s",
				      by_identity ? "image" : "root digest",
				      digest_format(by_identity ? (fp->has_config ? &fp->config_digest
									     : &fp->manifest_digest)
								: &fp->root_digest,
						    buf));
		return;
	}
	res->policy = strdup(m.policy);
	res->policy_serial = m.serial;
	res->entry_monitor = !m.enforce;
	if (!json_digest(json_object_get(m.entry, "rootDigest"), &root)) {
		verify_refuse(res, "error", NULL, "policy entry without rootDigest");
		return;
	}
	if (by_identity || o->content_layers)
		check_layers(m.entry, fp, res);
	if (!by_identity && o->content_layers) /* only the entry knows what it is */
		take_entry_identity(m.entry, res);
	if (digest_equal(&root, &fp->root_digest))
		return;
	if (!name_files(fp, &root, o, res))
		verify_refuse(res, "content", NULL,
			      "content differs from the signed fingerprint (root %s); a fingerprint "
			      "file in %s would name the files",
			      digest_format(&root, buf),
			      o->fingerprint_dir ? o->fingerprint_dir : "--fingerprint-dir");
}

void verify_finish(struct verify_result *res, const struct verify_options *o)
{
	res->mode = o->mode == VERIFY_MONITOR || res->entry_monitor ? VERIFY_MONITOR
								    : VERIFY_ENFORCE;
	res->allowed = !res->refused || res->mode == VERIFY_MONITOR;
}

void verify_source(const struct store *s, const char *source, const struct image_options *io,
		   const struct fingerprint_options *fo, const struct verify_options *o,
		   struct verify_result *res, struct image **ret_img, struct fingerprint **ret_fp)
{
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	struct fingerprint_options opts = *fo;
	struct error err = { 0 };
	int r;

	if (ret_fp)
		*ret_fp = NULL;
	if (ret_img)
		*ret_img = NULL;
	opts.keep_layer_tables = false;
	r = image_open(source, io, &img, &err);
	if (r >= 0)
		r = fingerprint_image(img, &opts, &fp, &err);
	if (r < 0) {
		check_store(s, res);
		verify_refuse(res, "integrity", NULL, "%s", err.message[0] ? err.message
								 : strerror(-r));
		return;
	}
	if (img->name) {
		free(res->image);
		res->image = strdup(img->name);
	}
	verify_fingerprint(s, fp, o, res);
	if (ret_fp)
		*ret_fp = TAKE_PTR(fp);
	if (ret_img)
		*ret_img = TAKE_PTR(img);
}
