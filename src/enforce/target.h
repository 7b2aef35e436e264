/* SPDX-License-Identifier: Apache-2.0 */
/* The container a protect run is about: its init process, its cgroup v2 directory and id,
 * its image; and the kernel-side allowed set built from the image's content table.
 * struct protect_target owns its strings and fds. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"
#include "container/rootfs.h"
#include "fingerprint/table.h"
#include "guard.h"

struct protect_target {
	char *id;         /* full container id */
	pid_t pid;        /* the container's first process (parent outside the container) */
	int pidfd;        /* readable when it exits */
	char *cgroup_dir; /* /sys/fs/cgroup/unified/... */
	int cgroup_fd;
	uint64_t cgroup;  /* the cgroup v2 id (the directory's inode number) */
};

/* Find a running container by id or unique id prefix (from /proc/PID/cgroup's v2 line, as
 * podman, CRI-O, Docker and containerd name their cgroups). */
int target_find(const char *id, struct protect_target *ret, struct error *err);
/* The container whose first process is pid (its cgroup from /proc/PID/cgroup). */
int target_from_pid(const char *id, pid_t pid, struct protect_target *ret, struct error *err);
void target_release(struct protect_target *t);
/* A plain runc container from its state (RUNC_ROOT/ID/state.json): its init pid, its cgroup
 * v2 directory (cgroup_paths[""]) and, in *ret_rootfs, the host path of its rootfs. */
int target_from_runc(const char *runc_root, const char *id, struct protect_target *ret,
		     char **ret_rootfs, struct error *err);

/* True for the name of an ELF interpreter (ld-linux*, ld-musl*, ld.so*, ld64.so*). */
bool path_is_elf_loader(const char *path);

/* Where a container's files are seen: its root directory and, when it is an overlay mount, its
 * layer directories (opened). Owns its fds and strings. */
struct target_root {
	int fd;           /* the root directory (O_PATH) */
	struct rootfs rf; /* rf.overlay false: a plain directory */
	int upper;        /* rf.upper opened, or -1 */
	int *lower;       /* rf.lower opened, top first */
};

/* A running container's root, as its process pid sees it (/proc/PID/root, the mount at "/"
 * in its namespace). */
int target_root_of_pid(pid_t pid, struct target_root *ret, struct error *err);
/* A created container's root as the runtime will pivot into it: the bundle's root.path. */
int target_root_of_bundle(const char *bundle, struct target_root *ret, struct error *err);
void target_root_release(struct target_root *r);

/* What target_allow_image() allowed: paths executable, ELF files mappable, and paths left
 * out because they are not the image's content now; elf32: some are 32-bit ELF files. */
struct target_allowed {
	size_t executables, mappable, refused;
	bool elf32;
};

enum {
	TARGET_LOADER_AS_PROGRAM = 1 << 0, /* the ELF interpreter may be executed itself */
	TARGET_VERIFIED = 1 << 1, /* the layers were verified just now: their files are not
				   * hashed again */
};

/* Fill cgroup's kernel-side set from table, each file opened below root (no symlinks) and,
 * unless TARGET_VERIFIED, its SHA-256 checked: every executable regular file but the ELF
 * interpreter (run as a program it would run any file, docs/protect.md) may be executed, and
 * every executable or *.so* ELF file may be mapped executable, by the real file in the layer
 * directory it comes from. A file that does not match, or that the container's upper layer
 * shadows, is left out. */
int target_allow_image(uint64_t cgroup, const struct target_root *root,
		       const struct table *table, struct guard *g, unsigned flags,
		       struct target_allowed *ret, struct error *err);
/* Allow one more file (a container path) to be executed, as it is now. */
int target_allow_path(const struct target_root *root, uint64_t cgroup, struct guard *g,
		      const char *path, struct error *err);

