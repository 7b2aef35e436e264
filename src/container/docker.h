/* SPDX-License-Identifier: Apache-2.0 */
/* Docker's overlay2 store as a map from a container to its image and layers (docs/engines.md).
 *
 * Docker mounts a container's rootfs at <data-root>/overlay2/<mount-id>/merged, from the
 * image's layers, the container's init layer (<mount-id>-init/diff) on top of them and the
 * container's own layer (<mount-id>/diff) as the upper directory. The layerdb records which
 * mount-id a container has (image/overlay2/layerdb/mounts/<container>/mount-id) and
 * containers/<container>/config.v2.json which image it was created from. All of it is only a
 * map: the image is verified by content (docker-storage:), and the mount must be made of
 * exactly its layers. */
#pragma once

#include "basic/error.h"
#include "fingerprint/fingerprint.h"
#include "verify/verify.h"

struct docker_container {
	char *root;     /* the data root */
	char *image_id; /* 64 hex digits */
	char *init_dir; /* <root>/overlay2/<mount-id>-init/diff */
	char *upper;    /* <root>/overlay2/<mount-id>/diff */
};

/* Is the container with this id, whose rootfs is at rootfs_path, a Docker container? -ENOENT
 * if not (the path is not <root>/overlay2/<id>/merged of a store that records this container
 * with that mount-id); another error if it is, but its records are unreadable or malformed. */
int docker_container_find(const char *rootfs_path, const char *id, struct docker_container *ret,
			  struct error *err);
void docker_container_release(struct docker_container *c);

/* The init layer may hold only what Docker puts there, where the image lacks it: empty
 * /.dockerenv, /dev/console, /etc/hostname, /etc/hosts, /etc/resolv.conf, /etc/mtab ->
 * /proc/mounts, and the directories they need plus /dev/pts, /dev/shm, /proc, /sys, with an
 * image directory's own mode and owner. Anything else is a reason to refuse. */
void docker_check_init_layer(const char *init_dir, const struct fingerprint *fp,
			     struct verify_result *res);
