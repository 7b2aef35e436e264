/* SPDX-License-Identifier: Apache-2.0 */
/* containers-storage:NAME|ID: podman/CRI-O overlay storage, read-only.
 *
 * The metadata (overlay-images/images.json, overlay-layers/layers.json) is only a map: an
 * attacker with write access to the host can edit it. The manifest and config bytes are hashed
 * here, and the layer directories are checked by content against a fingerprint, never trusted
 * because the map says so. IDs from the map are checked to be plain hex before they become
 * paths. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "image.h"

#define STORAGE_JSON_MAX (64u * 1024 * 1024)

static json_t *read_json_array(int dirfd, const char *path, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	json_t *j;
	size_t len;
	int r = read_file_at(dirfd, path, STORAGE_JSON_MAX, &buf, &len);

	if (r < 0) {
		error_set(err, r, "storage: cannot read %s: %s", path, strerror(-r));
		return NULL;
	}
	j = json_loadb(buf, len, 0, &jerr);
	if (!json_is_array(j)) {
		json_decref(j);
		error_set(err, -EBADMSG, "storage: %s is not a JSON array (line %d: %s)", path,
			  jerr.line, j ? "wrong type" : jerr.text);
		return NULL;
	}
	return j;
}

static int find_image(json_t *images, const char *want, json_t **ret, struct error *err)
{
	const char *id_want = strncmp(want, "sha256:", 7) == 0 ? want + 7 : want;
	json_t *img, *found = NULL;
	size_t i, n_found = 0;

	json_array_foreach(images, i, img) {
		const char *id = json_string_value(json_object_get(img, "id"));
		json_t *names = json_object_get(img, "names"), *nm;
		size_t k;
		bool match = false;

		if (!id)
			continue;
		if (strlen(id_want) >= 3 && strncmp(id, id_want, strlen(id_want)) == 0)
			match = true;
		json_array_foreach(names, k, nm)
			if (json_string_value(nm) && image_name_matches(json_string_value(nm), want))
				match = true;
		if (match) {
			found = img;
			n_found++;
		}
	}
	if (!found)
		return error_set(err, -ENOENT, "storage: no image '%s'", want);
	if (n_found > 1)
		return error_set(err, -EINVAL, "storage: '%s' matches %zu images", want, n_found);
	*ret = found;
	return 0;
}

/* containers/storage names a big-data file after its key, base64-encoded with a '=' prefix
 * when the key has characters outside [.0-9a-z]. */
static char *bigdata_path(const char *image_id, const char *key)
{
	unsigned char enc[256];
	size_t n = strlen(key);

	if (strspn(key, ".0123456789abcdefghijklmnopqrstuvwxyz") == n)
		return strdup_printf("overlay-images/%s/%s", image_id, key);
	if (n > 180)
		return NULL;
	EVP_EncodeBlock(enc, (const unsigned char *)key, (int)n);
	return strdup_printf("overlay-images/%s/=%s", image_id, enc);
}

static int read_bigdata(struct image *img, const char *id, const char *key, char **ret,
			size_t *ret_len, struct digest *ret_digest, struct error *err)
{
	_cleanup_free_ char *path = bigdata_path(id, key);
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file_at(img->dirfd, path, BLOB_JSON_MAX, ret, ret_len);
	if (r < 0)
		return error_set(err, r, "storage: image %.12s: cannot read %s (%s): %s", id, key,
				 path, strerror(-r));
	return sha256_buffer(*ret, *ret_len, ret_digest);
}

/* Is d among the digests images.json gives the image ("digest", "digests")? An entry that
 * names none (very old stores) cannot be checked this way. */
static bool digest_known(json_t *entry, const struct digest *d)
{
	json_t *list = json_object_get(entry, "digests"), *v;
	const char *one = json_string_value(json_object_get(entry, "digest"));
	char ds[DIGEST_STRING_MAX];
	size_t i;

	digest_format(d, ds);
	if (!one && json_array_size(list) == 0)
		return true;
	if (one && strcmp(one, ds) == 0)
		return true;
	json_array_foreach(list, i, v)
		if (json_string_value(v) && strcmp(json_string_value(v), ds) == 0)
			return true;
	return false;
}

static int read_manifest(struct image *img, const char *id, json_t *entry,
			 const struct image_options *opts, json_t **ret, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct platform want = { 0 };
	json_t *doc, *desc;
	struct digest d;
	size_t len;
	int r;

	r = read_bigdata(img, id, "manifest", &buf, &len, &d, err);
	if (r < 0)
		return r;
	doc = json_parse_blob(buf, len, "stored manifest", err);
	if (!doc)
		return -EBADMSG;
	if (media_type_is_index(json_string_value(json_object_get(doc, "mediaType")))) {
		/* A multi-platform pull keeps the list as "manifest" and each instance as
		 * "manifest-<digest>". */
		char key[DIGEST_STRING_MAX + 16], ds[DIGEST_STRING_MAX];
		int64_t size;

		r = opts->platform ? platform_parse(opts->platform, &want) : platform_host(&want);
		if (r >= 0)
			r = index_select(doc, NULL, &want, &desc, err);
		if (r >= 0)
			r = descriptor_parse(desc, "stored manifest list", &d, &size, NULL, err);
		platform_release(&want);
		json_decref(doc);
		if (r < 0)
			return r;
		snprintf(key, sizeof(key), "manifest-%s", digest_format(&d, ds));
		struct digest got;
		free(TAKE_PTR(buf));
		r = read_bigdata(img, id, key, &buf, &len, &got, err);
		if (r < 0)
			return r;
		if (!digest_equal(&got, &d))
			return error_set(err, -EBADMSG, "storage: image %.12s: %s does not match its digest",
					 id, key);
		doc = json_parse_blob(buf, len, "stored manifest", err);
		if (!doc)
			return -EBADMSG;
	}
	/* The map names the manifest by digest: bytes that no longer match are tampering. */
	if (!digest_known(entry, &d)) {
		char ds[DIGEST_STRING_MAX];

		json_decref(doc);
		return error_set(err, -EBADMSG,
				 "storage: image %.12s: stored manifest is %s, which images.json does "
				 "not name", id, digest_format(&d, ds));
	}
	img->has_manifest = true;
	img->manifest_digest = d;
	img->manifest_media_type = strdup(json_string_value(json_object_get(doc, "mediaType"))
						  ?: "application/vnd.oci.image.manifest.v1+json");
	*ret = doc;
	return 0;
}

/* Layer chain from the top layer down through "parent", returned base first. */
static int layer_chain(struct image *img, const char *top, struct error *err)
{
	json_t *layers = read_json_array(img->dirfd, "overlay-layers/layers.json", err), *l;
	const char *chain[IMAGE_LAYERS_MAX + 1];
	const char *id = top;
	size_t n = 0, i;
	int r = 0;

	if (!layers)
		return -EBADMSG;
	while (id) {
		json_t *found = NULL;

		if (!digest_is_hex(id)) {
			r = error_set(err, -EBADMSG, "storage: malformed layer id '%.80s'", id);
			goto out;
		}
		if (n == IMAGE_LAYERS_MAX) {
			r = error_set(err, -ELOOP, "storage: layer chain longer than %d (a loop?)",
				      IMAGE_LAYERS_MAX);
			goto out;
		}
		json_array_foreach(layers, i, l)
			if (json_string_value(json_object_get(l, "id")) &&
			    strcmp(json_string_value(json_object_get(l, "id")), id) == 0)
				found = l;
		if (!found) {
			r = error_set(err, -ENOENT, "storage: layer %.12s is not in layers.json", id);
			goto out;
		}
		chain[n++] = id;
		id = json_string_value(json_object_get(found, "parent"));
	}
	if (n != img->n_layers) {
		r = error_set(err, -EBADMSG, "storage: image has %zu stored layers but its manifest %zu",
			      n, img->n_layers);
		goto out;
	}
	for (i = 0; i < n; i++) {
		img->layers[i].location = strdup_printf("overlay/%s/diff", chain[n - 1 - i]);
		if (!img->layers[i].location) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	json_decref(layers);
	return r;
}

int storage_open(struct image *img, const struct image_options *opts, struct error *err)
{
	const char *root = opts->storage_root ? opts->storage_root : DEFAULT_STORAGE_ROOT;
	_cleanup_free_ char *buf = NULL, *config_key = NULL;
	json_t *images = NULL, *entry = NULL, *manifest = NULL, *config = NULL;
	const char *id, *top;
	struct digest d, config_digest;
	int64_t size;
	size_t len;
	int r;

	img->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->dirfd < 0)
		return error_set(err, -errno, "storage root %s: %m", root);
	images = read_json_array(img->dirfd, "overlay-images/images.json", err);
	if (!images)
		return -EBADMSG;
	r = find_image(images, img->location, &entry, err);
	if (r < 0)
		goto out;
	id = json_string_value(json_object_get(entry, "id"));
	top = json_string_value(json_object_get(entry, "layer"));
	if (!digest_is_hex(id) || (top && !digest_is_hex(top))) {
		r = error_set(err, -EBADMSG, "storage: image '%s' has a malformed id or layer",
			      img->location);
		goto out;
	}
	if (json_string_value(json_array_get(json_object_get(entry, "names"), 0)))
		img->name = strdup(json_string_value(json_array_get(json_object_get(entry, "names"), 0)));
	r = read_manifest(img, id, entry, opts, &manifest, err);
	if (r < 0)
		goto out;
	r = manifest_parse(img, manifest, &d, &size, err);
	if (r < 0)
		goto out;
	config_key = strdup_printf("sha256:%s", id);
	r = config_key ? read_bigdata(img, id, config_key, &buf, &len, &config_digest, err)
		       : -ENOMEM;
	if (r < 0)
		goto out;
	if (!digest_equal(&config_digest, &d)) {
		char a[DIGEST_STRING_MAX], b[DIGEST_STRING_MAX];

		r = error_set(err, -EBADMSG,
			      "storage: image %.12s: stored config is %s, manifest names %s", id,
			      digest_format(&config_digest, a), digest_format(&d, b));
		goto out;
	}
	config = json_parse_blob(buf, len, "stored config", err);
	if (!config) {
		r = -EBADMSG;
		goto out;
	}
	img->has_config = true;
	img->config_digest = config_digest;
	r = config_apply(img, config, err);
	if (r < 0)
		goto out;
	r = top ? layer_chain(img, top, err) : 0;
	if (r >= 0 && !top && img->n_layers)
		r = error_set(err, -EBADMSG, "storage: image %.12s has no top layer", id);
out:
	json_decref(config);
	json_decref(manifest);
	json_decref(images);
	return r;
}
