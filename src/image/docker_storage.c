/* SPDX-License-Identifier: Apache-2.0 */
/* docker-storage:NAME|ID: Docker's overlay2 store (data-root, default /var/lib/docker), read
 * in place and read-only, like containers-storage:.
 *
 *   image/overlay2/repositories.json               name -> image ID (a map)
 *   image/overlay2/imagedb/content/sha256/<ID>     the config; its SHA-256 is the ID
 *   image/overlay2/layerdb/sha256/<chainID>/cache-id   -> overlay2/<cache-id>/diff
 *   image/overlay2/layerdb/sha256/<chainID>/diff   the diffID (a map, checked against the config)
 *
 * Chain IDs: the first is diffID 1, each next is sha256("<previous chainID> <diffID>"). Docker
 * keeps no manifest for a loaded or pulled image's content: the identity is the config digest
 * (the image ID) and the diffIDs, as for docker-archive:, and a layer's digest is its diffID.
 * Every file here is only a map; the config bytes are hashed, and the layer directories are
 * checked by content against the signed per-layer tables. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "image.h"

#define REPOSITORIES_MAX (16u * 1024 * 1024)
#define SMALL_FILE_MAX 256

/* Scan repositories.json ({"Repositories": {REPO: {REPO:TAG: "sha256:ID"}}}) for the image a
 * name means (want_name), or for the name an image ID has (want_id). The first matching
 * reference in sorted order wins, so the answer does not depend on the file's order. */
static int scan_repositories(int dirfd, const char *want_name, const char *want_id,
			     char **ret_id, char **ret_name, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_t *j, *tags, *v;
	const char *repo, *ref, *best = NULL, *best_id = NULL;
	size_t len;
	int r = read_file_at(dirfd, "image/overlay2/repositories.json", REPOSITORIES_MAX, &buf,
			     &len);

	if (r < 0)
		return error_set(err, r, "docker-storage: cannot read "
				 "image/overlay2/repositories.json: %s", strerror(-r));
	j = json_loadb(buf, len, 0, NULL);
	json_object_foreach(json_object_get(j, "Repositories"), repo, tags) {
		json_object_foreach(tags, ref, v) {
			const char *id = json_string_value(v);

			if (!id || strchr(ref, '@') || strncmp(id, "sha256:", 7) != 0 ||
			    (want_name && !image_name_matches(ref, want_name)) ||
			    (want_id && strcmp(id + 7, want_id) != 0))
				continue;
			if (!best || strcmp(ref, best) < 0) {
				best = ref;
				best_id = id + 7;
			}
		}
	}
	if (!best)
		r = error_set(err, -ENOENT, "docker-storage: no image '%s'",
			      want_name ? want_name : want_id);
	else if (!digest_is_hex(best_id))
		r = error_set(err, -EBADMSG, "docker-storage: '%s' maps to a malformed ID", best);
	else if ((ret_id && !(*ret_id = strdup(best_id))) || !(*ret_name = strdup(best)))
		r = -ENOMEM;
	json_decref(j);
	return r;
}

/* An ID or an ID prefix of at least 3 hex digits, as `docker` accepts; -ENOENT if none. */
static int id_from_prefix(int dirfd, const char *want, char **ret_id, struct error *err)
{
	const char *hex = strncmp(want, "sha256:", 7) == 0 ? want + 7 : want;
	size_t n = strlen(hex), found = 0;
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	DIR *d;

	if (n < 3 || n > DIGEST_HEX_LEN || strspn(hex, "0123456789abcdef") != n)
		return -ENOENT;
	fd = openat_beneath(dirfd, "image/overlay2/imagedb/content/sha256", O_RDONLY | O_DIRECTORY);
	if (fd < 0 || !(d = fdopendir(fd)))
		return -ENOENT;
	TAKE_FD(fd);
	while ((de = readdir(d)))
		if (digest_is_hex(de->d_name) && strncmp(de->d_name, hex, n) == 0 &&
		    found++ == 0 && !(*ret_id = strdup(de->d_name)))
			found = SIZE_MAX;
	closedir(d);
	if (found == SIZE_MAX)
		return -ENOMEM;
	if (found > 1) {
		free(*ret_id);
		*ret_id = NULL;
		return error_set(err, -EINVAL, "docker-storage: '%s' matches %zu images", want, found);
	}
	return found ? 0 : -ENOENT;
}

/* A one-line map file (cache-id, diff). */
static int read_record(int dirfd, const char *path, char **ret, struct error *err)
{
	int r = read_line_at(dirfd, path, SMALL_FILE_MAX, ret);

	return r < 0 ? error_set(err, r, "docker-storage: cannot read %s: %s", path, strerror(-r))
		     : 0;
}

/* Layer i's directory through the layerdb: chain ID -> cache-id -> overlay2/<cache-id>/diff. */
static int locate_layer(struct image *img, size_t i, struct digest *chain, struct error *err)
{
	_cleanup_free_ char *dir = NULL, *cache_id = NULL, *diff = NULL, *path = NULL;
	char hex[DIGEST_HEX_LEN + 1], ds[DIGEST_STRING_MAX], prev[DIGEST_STRING_MAX];
	struct digest d;
	int r;

	if (i == 0) {
		*chain = img->layers[0].diff_id;
	} else {
		_cleanup_free_ char *s = strdup_printf("%s %s", digest_format(chain, prev),
						       digest_format(&img->layers[i].diff_id, ds));

		if (!s)
			return -ENOMEM;
		sha256_buffer(s, strlen(s), chain);
	}
	dir = strdup_printf("image/overlay2/layerdb/sha256/%s", digest_format_hex(chain, hex));
	path = dir ? strdup_printf("%s/diff", dir) : NULL;
	if (!path)
		return -ENOMEM;
	r = read_record(img->dirfd, path, &diff, err);
	if (r < 0)
		return r;
	if (digest_parse(diff, &d) < 0 || !digest_equal(&d, &img->layers[i].diff_id))
		return error_set(err, -EBADMSG, "docker-storage: %s does not hold layer %zu's diffID",
				 path, i);
	free(path);
	path = strdup_printf("%s/cache-id", dir);
	if (!path)
		return -ENOMEM;
	r = read_record(img->dirfd, path, &cache_id, err);
	if (r < 0)
		return r;
	if (!digest_is_hex(cache_id))
		return error_set(err, -EBADMSG, "docker-storage: %s is malformed", path);
	img->layers[i].location = strdup_printf("overlay2/%s/diff", cache_id);
	return img->layers[i].location ? 0 : -ENOMEM;
}

static int read_config(struct image *img, const char *id, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("image/overlay2/imagedb/content/sha256/%s", id);
	_cleanup_free_ char *buf = NULL;
	struct digest want, got;
	json_t *config;
	size_t len, n;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file_at(img->dirfd, path, BLOB_JSON_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "docker-storage: image %.12s: cannot read its config %s: %s",
				 id, path, strerror(-r));
	digest_parse_hex(id, &want);
	sha256_buffer(buf, len, &got);
	if (!digest_equal(&want, &got))
		return error_set(err, -EBADMSG, "docker-storage: image %.12s: the stored config "
				 "does not hash to the image ID", id);
	img->has_config = true;
	img->config_digest = got;
	config = json_parse_blob(buf, len, "stored config", err);
	if (!config)
		return -EBADMSG;
	n = json_array_size(json_object_get(json_object_get(config, "rootfs"), "diff_ids"));
	if (n > IMAGE_LAYERS_MAX)
		r = error_set(err, -E2BIG, "docker-storage: %zu layers (limit %d)", n,
			      IMAGE_LAYERS_MAX);
	else if (!(img->layers = calloc(n + 1, sizeof(*img->layers))))
		r = -ENOMEM;
	else
		img->n_layers = n, r = config_apply(img, config, err);
	json_decref(config);
	return r;
}

int docker_storage_open(struct image *img, const struct image_options *opts, struct error *err)
{
	const char *root = opts->storage_root ? opts->storage_root : DEFAULT_DOCKER_ROOT;
	_cleanup_free_ char *id = NULL;
	struct digest chain;
	int r;

	img->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->dirfd < 0)
		return error_set(err, -errno, "docker data root %s: %m", root);
	r = id_from_prefix(img->dirfd, img->location, &id, err);
	if (r >= 0) /* the name is only for people: an image may have none */
		(void)scan_repositories(img->dirfd, NULL, id, NULL, &img->name,
					&(struct error){ 0 });
	else if (r == -ENOENT)
		r = scan_repositories(img->dirfd, img->location, NULL, &id, &img->name, err);
	if (r < 0)
		return r;
	r = read_config(img, id, err);
	for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
		struct image_layer *l = &img->layers[i];

		l->has_digest = true;
		l->digest = l->diff_id;
		l->size = -1;
		l->media_type = strdup("application/vnd.docker.image.rootfs.diff.tar");
		r = l->media_type ? locate_layer(img, i, &chain, err) : -ENOMEM;
	}
	return r;
}
