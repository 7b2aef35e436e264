/* SPDX-License-Identifier: Apache-2.0 */
/* Docker containers: the map from a container to its image, and its init layer (docker.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "docker.h"
#include "rootfs.h"

#define CONFIG_V2_MAX (8u << 20)
#define MOUNT_ID_MAX 256

/* "<root>/overlay2/<mount-id>/merged" -> root and mount-id. */
static int split_rootfs(const char *path, char **ret_root, char **ret_mount_id)
{
	const char *end = path + strlen(path), *id, *at;
	static const char merged[] = "/merged";

	if ((size_t)(end - path) <= sizeof(merged) || strcmp(end - strlen(merged), merged) != 0)
		return -ENOENT;
	end -= strlen(merged);
	for (id = end; id > path && id[-1] != '/'; id--)
		;
	at = id - 1;
	if (id == end || at - path < 9 || strncmp(at - 9, "/overlay2", 9) != 0)
		return -ENOENT;
	*ret_mount_id = strndup(id, (size_t)(end - id));
	*ret_root = strndup(path, (size_t)(at - 9 - path));
	return *ret_mount_id && *ret_root ? 0 : -ENOMEM;
}

/* The image ID in containers/<id>/config.v2.json ("Image": "sha256:<hex>"). */
static int container_image(int dirfd, const char *id, char **ret, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("containers/%s/config.v2.json", id), *buf = NULL;
	const char *image;
	size_t len;
	json_t *j;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file_at(dirfd, path, CONFIG_V2_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "docker: cannot read %s: %s", path, strerror(-r));
	j = json_loadb(buf, len, 0, NULL);
	image = json_string_value(json_object_get(j, "Image"));
	if (!image || strncmp(image, "sha256:", 7) != 0 || !digest_is_hex(image + 7))
		r = error_set(err, -EBADMSG, "docker: %s names no image ID", path);
	else if (!(*ret = strdup(image + 7)))
		r = -ENOMEM;
	json_decref(j);
	return r;
}

int docker_container_find(const char *rootfs_path, const char *id, struct docker_container *ret,
			  struct error *err)
{
	_cleanup_free_ char *root = NULL, *mount_id = NULL, *path = NULL, *recorded = NULL;
	_cleanup_close_ int fd = -1;
	struct docker_container c = { 0 };
	int r = split_rootfs(rootfs_path, &root, &mount_id);

	if (r < 0)
		return r;
	if (!digest_is_hex(id) || !digest_is_hex(mount_id))
		return -ENOENT;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	path = strdup_printf("image/overlay2/layerdb/mounts/%s/mount-id", id);
	if (fd < 0 || !path)
		return fd < 0 ? -ENOENT : -ENOMEM;
	r = read_line_at(fd, path, MOUNT_ID_MAX, &recorded);
	if (r < 0)
		return -ENOENT; /* not a store that knows this container */
	if (strcmp(recorded, mount_id) != 0)
		return error_set(err, -EBADMSG, "docker: container %.12s is recorded with another "
				 "layer than the one its rootfs is mounted from", id);
	r = container_image(fd, id, &c.image_id, err);
	if (r < 0)
		return r;
	c.init_dir = strdup_printf("%s/overlay2/%s-init/diff", root, mount_id);
	c.upper = strdup_printf("%s/overlay2/%s/diff", root, mount_id);
	c.root = TAKE_PTR(root);
	if (!c.init_dir || !c.upper) {
		docker_container_release(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void docker_container_release(struct docker_container *c)
{
	free(c->root);
	free(c->image_id);
	free(c->init_dir);
	free(c->upper);
	*c = (struct docker_container){ 0 };
}

/* What Docker's init layer may hold (moby daemon/initlayer): type, and a symlink's target. */
static const struct init_path {
	const char *path;
	enum entry_type type;
	const char *target;
} init_paths[] = {
	{ "/", ENTRY_DIR, NULL },		{ "/.dockerenv", ENTRY_FILE, NULL },
	{ "/dev", ENTRY_DIR, NULL },		{ "/dev/console", ENTRY_FILE, NULL },
	{ "/dev/pts", ENTRY_DIR, NULL },	{ "/dev/shm", ENTRY_DIR, NULL },
	{ "/etc", ENTRY_DIR, NULL },		{ "/etc/hostname", ENTRY_FILE, NULL },
	{ "/etc/hosts", ENTRY_FILE, NULL },	{ "/etc/mtab", ENTRY_SYMLINK, "/proc/mounts" },
	{ "/etc/resolv.conf", ENTRY_FILE, NULL }, { "/proc", ENTRY_DIR, NULL },
	{ "/sys", ENTRY_DIR, NULL },
};

static const struct init_path *init_path_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(init_paths); i++)
		if (strcmp(init_paths[i].path, path) == 0)
			return &init_paths[i];
	return NULL;
}

/* Why e may not be in the init layer, or NULL if it may. */
static const char *init_entry_problem(const struct entry *e, const struct fingerprint *fp)
{
	const struct init_path *want = init_path_find(e->path);
	const struct entry *img = table_find(&fp->root, e->path);

	if (!want || e->type != want->type)
		return "not what Docker's init layer holds";
	if (e->type == ENTRY_DIR) {
		if (e->opaque)
			return "an opaque directory in the init layer";
		if (img && (img->type != ENTRY_DIR || e->mode != img->mode || e->uid != img->uid ||
			    e->gid != img->gid))
			return "the init layer changes an image directory";
		return NULL;
	}
	if (img)
		return "the init layer replaces an image file";
	if (e->type == ENTRY_FILE && (e->size != 0 || (e->mode & 07000) || e->n_xattrs))
		return "not the empty file Docker's init layer holds";
	if (e->type == ENTRY_SYMLINK && (!e->target || strcmp(e->target, want->target) != 0))
		return "a symlink Docker's init layer does not hold";
	return NULL;
}

void docker_check_init_layer(const char *init_dir, const struct fingerprint *fp,
			     struct verify_result *res)
{
	struct table init = { 0 };
	struct error err = { 0 };

	if (rootfs_read_layer(init_dir, &init, &err) < 0) {
		verify_refuse(res, "integrity", NULL, "cannot read the container's init layer %s: %s",
			      init_dir, err.message);
		return;
	}
	for (size_t i = 0; i < init.n; i++) {
		const struct entry *e = &init.entries[i];
		const char *why = e->type == ENTRY_WHITEOUT ? "deleted in the init layer"
							    : init_entry_problem(e, fp);

		if (why)
			verify_refuse(res, "file", e->path, "%s: %s", e->path, why);
	}
	table_release(&init);
}
