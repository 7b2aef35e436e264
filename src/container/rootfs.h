/* SPDX-License-Identifier: Apache-2.0 */
/* A container's root filesystem as the runtime will use it: the bundle's root.path and, when
 * it is an overlay mount, the directories that mount is made of (from the kernel's mountinfo,
 * not from any engine's metadata). Engines map these directories to image layers; what is
 * verified is what will actually be mounted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/error.h"
#include "fingerprint/table.h"

#define ROOTFS_LOWER_MAX 1024
#define ROOTFS_MOUNTS_MAX 1024

struct rootfs {
	char *path;    /* root.path, absolute and resolved */
	bool overlay;  /* path is the top of an overlay mount */
	char **lower;  /* its lower directories, resolved, top first as in lowerdir= */
	size_t n_lower;
	char *upper;   /* its upper directory, resolved; NULL if it has none */
	char **mountpoints; /* config.json's mount destinations, absolute and normalized */
	size_t n_mountpoints;
};

/* Read BUNDLE/config.json's root.path and the mount at it. Fails only if the bundle or the
 * path cannot be read; a rootfs that is not an overlay has ->overlay false. */
int rootfs_from_bundle(const char *bundle, struct rootfs *ret, struct error *err);
/* The root filesystem of a running container's process pid: the mount at "/" in its mount
 * namespace (path "/"; the layer directories as that mount's options name them, resolved in
 * ours). Not an overlay: ->overlay false. */
int rootfs_from_pid(pid_t pid, struct rootfs *ret, struct error *err);
void rootfs_release(struct rootfs *r);

/* True if path is a mount destination or a directory above one: what the runtime resolves
 * while mounting, so a symlink there would move a mount elsewhere. */
bool rootfs_on_mount_path(const struct rootfs *rf, const char *path);
/* True if path is a mount destination itself. */
bool rootfs_is_mountpoint(const struct rootfs *rf, const char *path);

/* Read one of the mount's layer directories (the container's own, Docker's init layer) whole,
 * no excludes, with overlayfs's whiteouts and opaque markers; a symlink in its place is
 * refused. err says why it could not be read. */
int rootfs_read_layer(const char *dir, struct table *ret, struct error *err);

/* True if a and b name the same directory (both resolved). */
bool rootfs_same_dir(const char *a, const char *b);
