/* SPDX-License-Identifier: Apache-2.0 */
/* A container's verdict: find its image through the engine's map (containers-storage, Docker)
 * or judge its layers by content; then bind the verdict to what will actually run: the
 * rootfs mount's layers and the container's own read-write layer. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "container.h"
#include "docker.h"
#include "rootfs.h"

#define CONTAINERS_JSON_MAX (64u << 20)

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
		if (!digest_is_hex(image) || !digest_is_hex(layer))
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

/* Where the runtime will mount (a destination or a directory above one) the container's
 * layer may hold only directories and the empty files bind mounts go on: a symlink there
 * would move the mount elsewhere in the rootfs. Checked before the excludes apply. */
static void check_mount_paths(const struct rootfs *rf, const struct table *upper,
			      struct verify_result *res)
{
	for (size_t i = 0; i < upper->n; i++) {
		const struct entry *e = &upper->entries[i];

		if (!rootfs_on_mount_path(rf, e->path) || e->type == ENTRY_DIR ||
		    (e->type == ENTRY_FILE && e->size == 0 && rootfs_is_mountpoint(rf, e->path)))
			continue;
		verify_refuse(res, "shadowed", e->path, "%s: where the runtime mounts, the container "
			      "layer holds a %s", e->path, entry_type_to_string(e->type));
	}
}

/* Before the container first runs, its read-write layer holds only what the engine puts
 * there: directories (mountpoints, the working directory), the empty files bind mounts go
 * on, and podman's /etc/mtab -> /proc/mounts. Anything else was put there by someone else — a preload file, a library, a profile
 * script, a binary — and every process of the verified image would load or run it (issue 11,
 * class 6; docs/verify.md). */
static void check_added(const struct rootfs *rf, const struct entry *e, struct verify_result *res)
{
	if (e->type == ENTRY_DIR || e->type == ENTRY_WHITEOUT ||
	    (e->type == ENTRY_FILE && e->size == 0 && rootfs_is_mountpoint(rf, e->path)))
		return;
	/* podman makes it where the image has none, as Docker's init layer does */
	if (e->type == ENTRY_SYMLINK && strcmp(e->path, "/etc/mtab") == 0 && e->target &&
	    strcmp(e->target, "/proc/mounts") == 0)
		return;
	verify_refuse(res, "added", e->path, "%s: a %s added to the container layer before the "
		      "container ran", e->path, entry_type_to_string(e->type));
}

/* The container's read-write layer may not replace or hide image files, nor add any file the
 * engine does not put there. */
static void check_shadow(const struct rootfs *rf, const char *upper_dir,
			 const struct fingerprint *fp, const struct fingerprint_options *fo,
			 struct verify_result *res)
{
	struct table upper = { 0 };
	struct error err = { 0 };

	/* read whole: the excludes (/dev, /proc...) are where the runtime mounts */
	if (rootfs_read_layer(upper_dir, &upper, &err) < 0) {
		verify_refuse(res, "integrity", NULL, "cannot read the container layer %s: %s",
			      upper_dir, err.message);
		return;
	}
	check_mount_paths(rf, &upper, res);
	table_exclude(&upper, fo->excludes, fo->n_excludes);
	for (size_t i = 0; i < upper.n; i++) {
		const struct entry *e = &upper.entries[i], *img = table_find(&fp->root, e->path);

		if (!img)
			check_added(rf, e, res);
		else if (e->type == ENTRY_WHITEOUT)
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

/* A plain rootfs directory (a runc bundle): judged by content, as a dir: source. */
static void verify_rootfs(const struct store *s, const char *rootfs,
			  const struct container_options *co, const struct verify_options *o,
			  struct verify_result *res)
{
	_cleanup_free_ char *source = strdup_printf("dir:%s", rootfs);

	free(res->image);
	res->image = strdup(rootfs);
	if (!source) {
		verify_refuse(res, "error", NULL, "out of memory");
		return;
	}
	verify_source(s, source, &(struct image_options){ 0 }, co->fingerprint, o, res, NULL, NULL);
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The rootfs must be the overlay of exactly the directories want (top first) with upper as
 * its upper directory. */
static void check_mount(const struct rootfs *rf, char *const *want, size_t n_want,
			const char *upper, struct verify_result *res)
{
	if (!rf->overlay) {
		verify_refuse(res, "integrity", NULL, "rootfs %s is not an overlay mount", rf->path);
		return;
	}
	if (!rf->upper || !rootfs_same_dir(rf->upper, upper))
		verify_refuse(res, "integrity", NULL,
			      "rootfs upper directory is not the container's layer %s", upper);
	for (size_t i = 0; i < rf->n_lower; i++)
		if (i >= n_want || !rootfs_same_dir(rf->lower[i], want[i])) {
			verify_refuse(res, "integrity", NULL,
				      "rootfs lower layer %zu (%s) is not the verified image's", i,
				      rf->lower[i]);
			return;
		}
	if (rf->n_lower != n_want)
		verify_refuse(res, "integrity", NULL, "rootfs has %zu lower layers, the image %zu",
			      rf->n_lower, n_want);
}

/* The verified image's layer directories, top first as lowerdir= lists them, after the
 * engine's own layers (Docker's init layer). */
static char **expected_lowers(const char *root, const struct image *img, const char *extra,
			      size_t *ret_n)
{
	size_t n = img->n_layers + (extra ? 1 : 0), k = 0;
	char **want = calloc(n + 1, sizeof(char *));

	if (!want)
		return NULL;
	if (extra)
		want[k++] = strdup(extra);
	for (size_t i = img->n_layers; i-- > 0;)
		want[k++] = strdup_printf("%s/%s", root, img->layers[i].location);
	for (size_t i = 0; i < n; i++)
		if (!want[i]) {
			strv_free(want);
			return NULL;
		}
	*ret_n = n;
	return want;
}

/* An engine's container: its image verified as stored (source in root), then bound to the
 * mount. extra_lower is the engine's layer above the image's (or NULL). */
static void judge_mapped(const struct store *s, const char *source, const char *root,
			 const struct rootfs *rf, const char *extra_lower, const char *upper,
			 const struct container_options *co, const struct verify_options *o,
			 struct verify_result *res, struct fingerprint **ret_fp)
{
	_cleanup_(image_freep) struct image *img = NULL;
	char **want = NULL;
	size_t n = 0;

	verify_source(s, source, &(struct image_options){ .storage_root = root }, co->fingerprint,
		      o, res, &img, ret_fp);
	if (!img || !*ret_fp)
		return;
	want = expected_lowers(root, img, extra_lower, &n);
	if (!want) {
		verify_refuse(res, "error", NULL, "out of memory");
		return;
	}
	check_mount(rf, want, n, upper, res);
	check_shadow(rf, upper, *ret_fp, co->fingerprint, res);
	strv_free(want);
}

/* No engine map: the overlay's lower directories are judged by content, as an image whose
 * layers must be a pinned image's layers (containerd, whose metadata is a bbolt database:
 * docs/engines.md). */
static void judge_layers(const struct store *s, const struct rootfs *rf,
			 const struct container_options *co, const struct verify_options *o,
			 struct verify_result *res)
{
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	_cleanup_free_ char **base_first = calloc(rf->n_lower + 1, sizeof(char *));
	struct verify_options vo = *o;
	struct error err = { 0 };
	int r;

	if (!base_first) {
		verify_refuse(res, "error", NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < rf->n_lower; i++)
		base_first[i] = rf->lower[rf->n_lower - 1 - i];
	r = image_open_layer_dirs(base_first, rf->n_lower, &img, &err);
	if (r >= 0)
		r = fingerprint_image(img, co->fingerprint, &fp, &err);
	if (r < 0) {
		verify_refuse(res, "integrity", NULL, "%s", err.message[0] ? err.message
								 : strerror(-r));
		return;
	}
	vo.content_layers = true;
	verify_fingerprint(s, fp, &vo, res);
	if (rf->upper)
		check_shadow(rf, rf->upper, fp, co->fingerprint, res);
}

/* podman or CRI-O: the container in containers-storage (containers.json). 1 if found and
 * judged, 0 if not there, < 0 if the map is unreadable (then res says why). */
static int judge_podman(const struct store *s, const char *id, const char *bundle,
			const struct rootfs *rf, const struct container_options *co,
			const struct verify_options *o, struct verify_result *res)
{
	_cleanup_free_ char *derived = storage_root_from_bundle(bundle, id), *image_id = NULL;
	_cleanup_free_ char *layer = NULL, *source = NULL, *upper = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	const char *roots[3] = { co->storage_root, derived, DEFAULT_STORAGE_ROOT };
	const char *root = NULL;
	struct error err = { 0 };

	for (size_t i = 0; i < 3 && !root; i++) {
		int r = roots[i] ? find_container(roots[i], id, &image_id, &layer, &err) : -ENOENT;

		if (r >= 0)
			root = roots[i];
		else if (r != -ENOENT) {
			verify_refuse(res, "error", NULL, "%s", err.message);
			return r;
		}
		if (co->storage_root)
			break; /* a root given explicitly is the only one to look in */
	}
	if (!root)
		return 0;
	source = strdup_printf("containers-storage:%s", image_id);
	upper = strdup_printf("%s/overlay/%s/diff", root, layer);
	free(res->image);
	res->image = strdup_printf("image %.12s", image_id);
	if (!source || !upper) {
		verify_refuse(res, "error", NULL, "out of memory");
		return -ENOMEM;
	}
	judge_mapped(s, source, root, rf, NULL, upper, co, o, res, &fp);
	return 1;
}

/* Docker: the container in Docker's overlay2 store. Same return values as judge_podman(). */
static int judge_docker(const struct store *s, const char *id, const struct rootfs *rf,
			const struct container_options *co, const struct verify_options *o,
			struct verify_result *res)
{
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	_cleanup_free_ char *source = NULL;
	struct docker_container c = { 0 };
	struct error err = { 0 };
	int r = docker_container_find(rf->path, id, &c, &err);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		verify_refuse(res, "error", NULL, "%s", err.message[0] ? err.message : strerror(-r));
		return r;
	}
	source = strdup_printf("docker-storage:%s", c.image_id);
	free(res->image);
	res->image = strdup_printf("image %.12s", c.image_id);
	if (source)
		judge_mapped(s, source, c.root, rf, c.init_dir, c.upper, co, o, res, &fp);
	else
		verify_refuse(res, "error", NULL, "out of memory");
	if (fp)
		docker_check_init_layer(c.init_dir, fp, res);
	docker_container_release(&c);
	return 1;
}

void verify_container(const struct store *s, const char *id, const char *bundle,
		      const struct container_options *co, const struct verify_options *o,
		      struct verify_result *res)
{
	struct rootfs rf = { 0 };
	struct error err = { 0 };
	int r = rootfs_from_bundle(bundle, &rf, &err);

	if (r < 0) {
		verify_refuse(res, "error", NULL, "%s", err.message[0] ? err.message : strerror(-r));
		return;
	}
	r = judge_podman(s, id, bundle, &rf, co, o, res);
	if (r == 0)
		r = judge_docker(s, id, &rf, co, o, res);
	if (r == 0 && rf.overlay)
		judge_layers(s, &rf, co, o, res);
	else if (r == 0)
		verify_rootfs(s, rf.path, co, o, res);
	rootfs_release(&rf);
}
