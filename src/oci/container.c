/* SPDX-License-Identifier: Apache-2.0 */
/* A container's verdict: find its image (containers-storage) or judge its rootfs by content;
 * then bind the verdict to what will actually run: the rootfs mount's layers and the
 * container's own read-write layer. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "container.h"
#include "fingerprint/layer.h"

#define STATE_MAX (1u << 20)
#define CONFIG_MAX (4u << 20)
#define CONTAINERS_JSON_MAX (64u << 20)
#define MOUNTINFO_MAX (16u << 20)

static bool is_safe_id(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= 256 && strcmp(id, ".") != 0 && strcmp(id, "..") != 0 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static bool is_hex_id(const char *s)
{
	return s && strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}

int oci_state_parse(const char *buf, size_t len, char **ret_id, char **ret_bundle,
		    struct error *err)
{
	json_error_t jerr;
	json_t *j = len <= STATE_MAX ? json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *bundle = json_string_value(json_object_get(j, "bundle"));
	int r = 0;

	if (!json_is_object(j))
		r = error_set(err, -EBADMSG, "the OCI state on stdin is not a JSON object");
	else if (!id || !is_safe_id(id))
		r = error_set(err, -EBADMSG, "the OCI state has no valid container id");
	else if (!bundle || bundle[0] != '/' || strlen(bundle) >= PATH_MAX)
		r = error_set(err, -EBADMSG, "the OCI state has no absolute bundle path");
	else if (!(*ret_id = strdup(id)) || !(*ret_bundle = strdup(bundle)))
		r = -ENOMEM;
	json_decref(j);
	return r;
}

/* The rootfs path of the bundle's config.json, absolute. */
static int bundle_rootfs(const char *bundle, char **ret, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/config.json", bundle), *buf = NULL;
	json_error_t jerr;
	const char *root;
	size_t len;
	json_t *j;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, CONFIG_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "cannot read %s: %s", path, strerror(-r));
	j = json_loadb(buf, len, 0, &jerr);
	root = json_string_value(json_object_get(json_object_get(j, "root"), "path"));
	if (!root || !*root) {
		json_decref(j);
		return error_set(err, -EBADMSG, "%s has no root.path", path);
	}
	*ret = root[0] == '/' ? strdup(root) : strdup_printf("%s/%s", bundle, root);
	json_decref(j);
	return *ret ? 0 : -ENOMEM;
}

/* podman keeps a bundle in STORAGE/overlay-containers/ID/userdata. */
static char *storage_root_from_bundle(const char *bundle, const char *id)
{
	_cleanup_free_ char *suffix = strdup_printf("/overlay-containers/%s/userdata", id);
	size_t n = strlen(bundle), m = suffix ? strlen(suffix) : 0;

	if (!suffix || n <= m || strcmp(bundle + n - m, suffix) != 0)
		return NULL;
	return strndup(bundle, n - m);
}

/* Look the container up in ROOT/overlay-containers/containers.json. -ENOENT if it is not
 * there (or there is no such file). */
static int find_container(const char *root, const char *id, char **ret_image, char **ret_layer,
			  struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/overlay-containers/containers.json", root);
	_cleanup_free_ char *buf = NULL;
	json_t *j, *c;
	size_t len, i;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, CONTAINERS_JSON_MAX, &buf, &len);
	if (r < 0)
		return r == -ENOENT ? r : error_set(err, r, "%s: %s", path, strerror(-r));
	j = json_loadb(buf, len, 0, NULL);
	if (!json_is_array(j)) {
		json_decref(j);
		return error_set(err, -EBADMSG, "%s is not a JSON array", path);
	}
	r = -ENOENT;
	json_array_foreach(j, i, c) {
		const char *cid = json_string_value(json_object_get(c, "id"));
		const char *image = json_string_value(json_object_get(c, "image"));
		const char *layer = json_string_value(json_object_get(c, "layer"));

		if (!cid || strcmp(cid, id) != 0)
			continue;
		if (!is_hex_id(image) || !is_hex_id(layer))
			r = error_set(err, -EBADMSG, "%s: container %.12s has a malformed image or layer",
				      path, id);
		else if (!(*ret_image = strdup(image)) || !(*ret_layer = strdup(layer)))
			r = -ENOMEM;
		else
			r = 0;
		break;
	}
	json_decref(j);
	return r;
}

/* The superblock options of the mount at mountpoint (the topmost), from mountinfo. */
static int mount_options(const char *mountpoint, char **ret_fstype, char **ret_options)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	size_t len;
	int r = read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &buf, &len);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], fstype[64], source[PATH_MAX], *sep = strstr(line, " - ");
		char *opts;

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    strcmp(mp, mountpoint) != 0 || sscanf(sep + 3, "%63s %4095s", fstype, source) != 2)
			continue;
		opts = strrchr(sep + 3, ' ');
		if (!opts)
			continue;
		free(*ret_fstype);
		free(*ret_options);
		*ret_fstype = strdup(fstype);
		*ret_options = strdup(opts + 1);
		r = *ret_fstype && *ret_options ? 0 : -ENOMEM;
	}
	return r;
}

static bool same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

/* The rootfs must be the overlay of the verified image's layers (top first) with the
 * container's layer as the upper directory. */
static void check_mount(const char *rootfs, const char *root, const struct image *img,
			const char *layer, struct verify_result *res)
{
	_cleanup_free_ char *fstype = NULL, *options = NULL, *upper = NULL;
	char real[PATH_MAX], *opt, *save = NULL, *lower = NULL, *upperdir = NULL;
	size_t n = 0;

	if (!realpath(rootfs, real) || strpbrk(real, " \t\n\\")) {
		verify_refuse(res, "integrity", NULL, "rootfs %s cannot be resolved", rootfs);
		return;
	}
	if (mount_options(real, &fstype, &options) < 0 || strcmp(fstype, "overlay") != 0) {
		verify_refuse(res, "integrity", NULL, "rootfs %s is not an overlay mount", real);
		return;
	}
	for (opt = strtok_r(options, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		if (strncmp(opt, "lowerdir=", 9) == 0)
			lower = opt + 9;
		else if (strncmp(opt, "upperdir=", 9) == 0)
			upperdir = opt + 9;
	upper = strdup_printf("%s/overlay/%s/diff", root, layer);
	if (!upperdir || !upper || !same_dir(upperdir, upper))
		verify_refuse(res, "integrity", NULL,
			      "rootfs upper directory is not the container's layer %.12s", layer);
	for (char *dir = lower ? strtok_r(lower, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save), n++) {
		_cleanup_free_ char *want = NULL;

		if (n < img->n_layers)
			want = strdup_printf("%s/%s", root, img->layers[img->n_layers - 1 - n].location);
		if (!want || !same_dir(dir, want)) {
			verify_refuse(res, "integrity", NULL,
				      "rootfs lower layer %zu (%s) is not the verified image's", n, dir);
			return;
		}
	}
	if (n != img->n_layers)
		verify_refuse(res, "integrity", NULL, "rootfs has %zu lower layers, the image %zu",
			      n, img->n_layers);
}

/* The container's read-write layer may add files, never replace or hide image files. */
static void check_shadow(const char *root, const char *layer, const struct fingerprint *fp,
			 const struct fingerprint_options *fo, struct verify_result *res)
{
	_cleanup_free_ char *path = strdup_printf("%s/overlay/%s/diff", root, layer);
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	struct walk_options wo = { .overlay = true, .excludes = fo->excludes,
				   .n_excludes = fo->n_excludes, .threads = 1 };
	struct table upper = { 0 };
	struct error err = { 0 };

	if (fd < 0 || layer_read_dir(fd, &wo, &upper, &err) < 0) {
		verify_refuse(res, "integrity", NULL, "cannot read the container layer %.12s: %s",
			      layer, err.message[0] ? err.message : strerror(errno));
		table_release(&upper);
		return;
	}
	table_exclude(&upper, fo->excludes, fo->n_excludes);
	for (size_t i = 0; i < upper.n; i++) {
		const struct entry *e = &upper.entries[i], *img = table_find(&fp->root, e->path);

		if (!img)
			continue;
		if (e->type == ENTRY_WHITEOUT)
			verify_refuse(res, "shadowed", e->path, "%s: image file deleted in the container "
				      "layer", e->path);
		else if (e->type != ENTRY_DIR || img->type != ENTRY_DIR)
			verify_refuse(res, "shadowed", e->path, "%s: image file replaced in the "
				      "container layer", e->path);
		else if (e->opaque)
			verify_refuse(res, "shadowed", e->path, "%s: image directory hidden (opaque) in "
				      "the container layer", e->path);
		else if (e->mode != img->mode || e->uid != img->uid || e->gid != img->gid)
			verify_refuse(res, "shadowed", e->path, "%s: image directory's mode or owner "
				      "changed in the container layer", e->path);
	}
	table_release(&upper);
}

/* A bundle from Docker has /.dockerenv in its rootfs, which no image holds: ignore it too. */
static void verify_rootfs(const struct store *s, const char *rootfs,
			  const struct container_options *co, const struct verify_options *o,
			  struct verify_result *res)
{
	_cleanup_free_ char *source = strdup_printf("dir:%s", rootfs);
	_cleanup_free_ char **excludes = calloc(co->fingerprint->n_excludes + 2, sizeof(char *));
	struct fingerprint_options fo = *co->fingerprint;

	free(res->image);
	res->image = strdup(rootfs);
	if (!source || !excludes) {
		verify_refuse(res, "error", NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < fo.n_excludes; i++)
		excludes[i] = fo.excludes[i];
	excludes[fo.n_excludes++] = (char *)"/.dockerenv";
	fo.excludes = excludes;
	verify_source(s, source, &(struct image_options){ 0 }, &fo, o, res, NULL, NULL);
}

void verify_container(const struct store *s, const char *id, const char *bundle,
		      const struct container_options *co, const struct verify_options *o,
		      struct verify_result *res)
{
	_cleanup_free_ char *rootfs = NULL, *derived = NULL, *image_id = NULL, *layer = NULL;
	_cleanup_free_ char *source = NULL;
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	const char *roots[3] = { co->storage_root, NULL, DEFAULT_STORAGE_ROOT };
	const char *root = NULL;
	struct error err = { 0 };
	int r = bundle_rootfs(bundle, &rootfs, &err);

	if (r < 0) {
		verify_refuse(res, "error", NULL, "%s", err.message[0] ? err.message : strerror(-r));
		return;
	}
	roots[1] = derived = storage_root_from_bundle(bundle, id);
	for (size_t i = 0; i < 3 && !root; i++) {
		if (!roots[i])
			continue;
		r = find_container(roots[i], id, &image_id, &layer, &err);
		if (r >= 0)
			root = roots[i];
		else if (r != -ENOENT) {
			verify_refuse(res, "error", NULL, "%s", err.message);
			return;
		}
		if (co->storage_root)
			break; /* a root given explicitly is the only one to look in */
	}
	if (!root) {
		verify_rootfs(s, rootfs, co, o, res);
		return;
	}
	source = strdup_printf("containers-storage:%s", image_id);
	if (!source) {
		verify_refuse(res, "error", NULL, "out of memory");
		return;
	}
	free(res->image);
	res->image = strdup_printf("image %.12s", image_id);
	verify_source(s, source, &(struct image_options){ .storage_root = root }, co->fingerprint,
		      o, res, &img, &fp);
	if (!img || !fp)
		return;
	check_mount(rootfs, root, img, layer, res);
	check_shadow(root, layer, fp, co->fingerprint, res);
}
