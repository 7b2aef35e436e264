/* SPDX-License-Identifier: Apache-2.0 */
/* docker-archive:FILE[:REF]: the `docker save` / `podman save` format, read in place. The
 * archive has no image manifest: manifest.json maps a tag to a config file and layer tars. The
 * config's digest (the image ID) is computed from its bytes; each layer is checked against the
 * config's diffIDs when it is read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "image.h"

/* "@N", or a RepoTags entry, also without a "localhost/" or "docker.io/library/" prefix. */
static bool entry_matches(json_t *entry, size_t index, const char *ref)
{
	json_t *tags = json_object_get(entry, "RepoTags"), *t;
	size_t i;

	if (ref[0] == '@') {
		char *end;
		unsigned long n = strtoul(ref + 1, &end, 10);

		return ref[1] && !*end && n == index;
	}
	json_array_foreach(tags, i, t) {
		const char *s = json_string_value(t);
		static const char *const prefixes[] = { "", "localhost/", "docker.io/library/",
							"docker.io/" };

		for (size_t k = 0; s && k < ARRAY_SIZE(prefixes); k++) {
			size_t n = strlen(prefixes[k]);

			if (strncmp(s, prefixes[k], n) == 0 && strcmp(s + n, ref) == 0)
				return true;
		}
	}
	return false;
}

/* The digest a member's name promises: "blobs/sha256/<hex>" or "<hex>.json". */
static bool name_digest(const char *path, struct digest *ret)
{
	const char *slash = strrchr(path, '/');
	char name[DIGEST_HEX_LEN + 8];
	int n;

	/* Work on a bounded copy of the last component. */
	n = snprintf(name, sizeof(name), "%s", slash ? slash + 1 : path);
	if (n == DIGEST_HEX_LEN + 5 && strcmp(name + DIGEST_HEX_LEN, ".json") == 0) {
		name[DIGEST_HEX_LEN] = '\0';
		return digest_parse_hex(name, ret) == 0;
	}
	if (n == DIGEST_HEX_LEN && strstr(path, "blobs/sha256/"))
		return digest_parse_hex(name, ret) == 0;
	return false;
}

static int read_config(struct image *img, const char *path, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct digest promised;
	bool has_promise = name_digest(path, &promised);
	struct blob *b;
	json_t *config;
	size_t len;
	int r;

	r = blob_open_member(img->location, path, has_promise ? &promised : NULL, -1, path, &b,
			     err);
	if (r < 0)
		return r;
	r = blob_read_all(b, BLOB_JSON_MAX, &buf, &len, err);
	if (r >= 0) {
		img->has_config = true;
		img->config_digest = *blob_digest(b);
	}
	blob_free(b);
	if (r < 0)
		return r;
	config = json_parse_blob(buf, len, path, err);
	if (!config)
		return -EBADMSG;
	r = config_apply(img, config, err);
	json_decref(config);
	return r;
}

int docker_archive_open(struct image *img, const struct image_options *opts _unused_,
			struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_t *manifest, *entry = NULL, *e, *layers, *l;
	const char *config;
	size_t len, i;
	int r;

	r = archive_read_member(img->location, "manifest.json", BLOB_JSON_MAX, &buf, &len, err);
	if (r < 0)
		return error_prefix(err, r, "%s", img->location);
	manifest = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(manifest) || json_array_size(manifest) == 0) {
		json_decref(manifest);
		return error_set(err, -EBADMSG, "%s: manifest.json is not a non-empty JSON array",
				 img->location);
	}
	json_array_foreach(manifest, i, e) {
		if (!img->ref ? json_array_size(manifest) == 1 : entry_matches(e, i, img->ref))
			entry = e;
	}
	if (!entry) {
		r = img->ref ? error_set(err, -ENOENT, "%s: no image '%s' in the archive",
					 img->location, img->ref)
			     : error_set(err, -EINVAL,
					 "%s: the archive holds %zu images; name one with :TAG or :@N",
					 img->location, json_array_size(manifest));
		goto out;
	}
	if (json_string_value(json_array_get(json_object_get(entry, "RepoTags"), 0)))
		img->name = strdup(json_string_value(json_array_get(json_object_get(entry, "RepoTags"), 0)));
	config = json_string_value(json_object_get(entry, "Config"));
	layers = json_object_get(entry, "Layers");
	if (!config || !json_is_array(layers)) {
		r = error_set(err, -EBADMSG, "%s: manifest.json entry has no Config or Layers",
			      img->location);
		goto out;
	}
	if (json_array_size(layers) > IMAGE_LAYERS_MAX) {
		r = error_set(err, -E2BIG, "%s: %zu layers (limit %d)", img->location,
			      json_array_size(layers), IMAGE_LAYERS_MAX);
		goto out;
	}
	img->layers = calloc(json_array_size(layers) + 1, sizeof(*img->layers));
	if (!img->layers) {
		r = -ENOMEM;
		goto out;
	}
	img->n_layers = json_array_size(layers);
	json_array_foreach(layers, i, l) {
		struct image_layer *layer = &img->layers[i];
		const char *path = json_string_value(l);

		if (!path) {
			r = error_set(err, -EBADMSG, "%s: layer %zu has no path", img->location, i);
			goto out;
		}
		layer->location = strdup(path);
		layer->media_type = strdup("application/vnd.docker.image.rootfs.diff.tar");
		if (!layer->location || !layer->media_type) {
			r = -ENOMEM;
			goto out;
		}
		layer->has_digest = name_digest(path, &layer->digest);
		r = archive_member_size(img->location, path, &layer->size, err);
		if (r < 0)
			goto out;
	}
	r = read_config(img, config, err);
	if (r < 0)
		goto out;
	/* A layer tar's digest is its diffID unless the archive named it otherwise. */
	for (i = 0; i < img->n_layers; i++)
		if (!img->layers[i].has_digest)
			img->layers[i].digest = img->layers[i].diff_id;
out:
	json_decref(manifest);
	return r;
}
