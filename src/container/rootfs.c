/* SPDX-License-Identifier: Apache-2.0 */
/* The rootfs of a bundle and its overlay layers (rootfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "basic/macro.h"
#include "fingerprint/layer.h"
#include "rootfs.h"

#define CONFIG_MAX (4u << 20)
#define MOUNTINFO_MAX (16u << 20)

/* config.json's mount destinations, as table paths ("/run", not "/run/"). A destination
 * that is not absolute or has ".." is refused: the runtime would resolve it elsewhere. */
static int read_mountpoints(json_t *config, struct rootfs *rf, struct error *err)
{
	json_t *mounts = json_object_get(config, "mounts"), *m;
	size_t i;

	if (json_array_size(mounts) > ROOTFS_MOUNTS_MAX)
		return error_set(err, -E2BIG, "config.json: more than %d mounts", ROOTFS_MOUNTS_MAX);
	rf->mountpoints = calloc(json_array_size(mounts) + 1, sizeof(char *));
	if (!rf->mountpoints)
		return -ENOMEM;
	json_array_foreach(mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		char *p = NULL;
		int r = d && d[0] == '/' ? path_from_member(d + 1, &p) : -EINVAL;

		if (r < 0)
			return error_set(err, -EBADMSG, "config.json: mount destination '%.200s' is "
					 "not a plain absolute path", d ? d : "(none)");
		rf->mountpoints[rf->n_mountpoints++] = p;
	}
	return 0;
}

/* The rootfs path of the bundle's config.json, absolute (a relative one is below bundle),
 * and its mount destinations. */
static int bundle_root_path(const char *bundle, struct rootfs *rf, char **ret,
			    struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/config.json", bundle), *buf = NULL;
	const char *root;
	size_t len;
	json_t *j;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, CONFIG_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "cannot read %s: %s", path, strerror(-r));
	j = json_loadb(buf, len, 0, NULL);
	root = json_string_value(json_object_get(json_object_get(j, "root"), "path"));
	if (!root || !*root) {
		json_decref(j);
		return error_set(err, -EBADMSG, "%s has no root.path", path);
	}
	r = read_mountpoints(j, rf, err);
	if (r >= 0)
		*ret = root[0] == '/' ? strdup(root) : strdup_printf("%s/%s", bundle, root);
	json_decref(j);
	return r < 0 ? r : *ret ? 0 : -ENOMEM;
}

/* The filesystem type and superblock options of the topmost mount at mountpoint, in the mount
 * namespace of the mountinfo file read. */
static int mount_options(const char *mountinfo, const char *mountpoint, char **ret_fstype,
			 char **ret_options)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	size_t len;
	int r = read_file(mountinfo, MOUNTINFO_MAX, &buf, &len);

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

/* Split lowerdir= (top first, ':'-separated; "::" marks data-only layers, which we refuse) and
 * resolve each directory. Escaped characters (mountinfo's \ooo) are refused too. */
static int parse_layers(struct rootfs *rf, char *lower, const char *upper, struct error *err)
{
	char *save = NULL;

	if (!lower || strstr(lower, "::") || strchr(lower, '\\') || (upper && strchr(upper, '\\')))
		return error_set(err, -EBADMSG, "rootfs %s: overlay options imprint cannot read",
				 rf->path);
	rf->lower = calloc(ROOTFS_LOWER_MAX, sizeof(char *));
	if (!rf->lower)
		return -ENOMEM;
	for (char *dir = strtok_r(lower, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (rf->n_lower == ROOTFS_LOWER_MAX)
			return error_set(err, -E2BIG, "rootfs %s: more than %d lower layers",
					 rf->path, ROOTFS_LOWER_MAX);
		rf->lower[rf->n_lower] = realpath(dir, NULL);
		if (!rf->lower[rf->n_lower])
			return error_set(err, -errno, "rootfs %s: lower layer %s: %m", rf->path, dir);
		rf->n_lower++;
	}
	if (upper && !(rf->upper = realpath(upper, NULL)))
		return error_set(err, -errno, "rootfs %s: upper layer %s: %m", rf->path, upper);
	return 0;
}

/* rf->overlay and its layers, from the options of the mount at mountpoint. */
static int read_overlay(struct rootfs *rf, const char *mountinfo, const char *mountpoint,
			struct error *err)
{
	_cleanup_free_ char *fstype = NULL, *options = NULL;
	char *opt, *save = NULL, *lower = NULL, *upper = NULL;

	if (mount_options(mountinfo, mountpoint, &fstype, &options) < 0 ||
	    strcmp(fstype, "overlay") != 0)
		return 0; /* a plain directory (or a bind mount of one) */
	rf->overlay = true;
	for (opt = strtok_r(options, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		if (strncmp(opt, "lowerdir=", 9) == 0)
			lower = opt + 9;
		else if (strncmp(opt, "upperdir=", 9) == 0)
			upper = opt + 9;
	return parse_layers(rf, lower, upper, err);
}

int rootfs_from_pid(pid_t pid, struct rootfs *ret, struct error *err)
{
	_cleanup_free_ char *mountinfo = strdup_printf("/proc/%d/mountinfo", (int)pid);
	struct rootfs rf = { 0 };
	int r;

	if (!mountinfo || !(rf.path = strdup("/")))
		return -ENOMEM;
	r = read_overlay(&rf, mountinfo, "/", err);
	if (r < 0)
		rootfs_release(&rf);
	else
		*ret = rf;
	return r;
}

int rootfs_from_bundle(const char *bundle, struct rootfs *ret, struct error *err)
{
	_cleanup_free_ char *root = NULL;
	struct rootfs rf = { 0 };
	int r = bundle_root_path(bundle, &rf, &root, err);

	if (r >= 0 && !(rf.path = realpath(root, NULL)))
		r = error_set(err, -errno, "rootfs %s cannot be resolved: %m", root);
	if (r < 0)
		goto out;
	if (strpbrk(rf.path, " \t\n\\")) {
		r = error_set(err, -EBADMSG, "rootfs %s: a path imprint cannot match in mountinfo",
			      rf.path);
		goto out;
	}
	r = read_overlay(&rf, "/proc/self/mountinfo", rf.path, err);
out:
	if (r < 0)
		rootfs_release(&rf);
	else
		*ret = rf;
	return r;
}

void rootfs_release(struct rootfs *rf)
{
	for (size_t i = 0; i < rf->n_lower; i++)
		free(rf->lower[i]);
	free(rf->lower);
	for (size_t i = 0; i < rf->n_mountpoints; i++)
		free(rf->mountpoints[i]);
	free(rf->mountpoints);
	free(rf->upper);
	free(rf->path);
	*rf = (struct rootfs){ 0 };
}

bool rootfs_on_mount_path(const struct rootfs *rf, const char *path)
{
	for (size_t i = 0; i < rf->n_mountpoints; i++)
		if (strcmp(rf->mountpoints[i], path) == 0 || path_is_below(rf->mountpoints[i], path))
			return true;
	return false;
}

bool rootfs_is_mountpoint(const struct rootfs *rf, const char *path)
{
	for (size_t i = 0; i < rf->n_mountpoints; i++)
		if (strcmp(rf->mountpoints[i], path) == 0)
			return true;
	return false;
}

int rootfs_read_layer(const char *dir, struct table *ret, struct error *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct walk_options wo = { .overlay = true, .threads = 1 };
	int r;

	if (fd < 0)
		return error_set(err, -errno, "%m");
	r = layer_read_dir(fd, &wo, ret, err);
	if (r < 0) {
		table_release(ret);
		if (!err->message[0])
			error_set(err, r, "%s", strerror(-r));
	}
	return r;
}

bool rootfs_same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}
