/* SPDX-License-Identifier: Apache-2.0 */
/* The container a protect run is about: its init process, its cgroup v2 directory and id,
 * its image; and the kernel-side allowed set built from the image's content table.
 * struct protect_target owns its strings and fds. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"
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
void target_release(struct protect_target *t);
/* A plain runc container from its state (RUNC_ROOT/ID/state.json): its init pid, its cgroup
 * v2 directory (cgroup_paths[""]) and, in *ret_rootfs, the host path of its rootfs. */
int target_from_runc(const char *runc_root, const char *id, struct protect_target *ret,
		     char **ret_rootfs, struct error *err);

/* True for the name of an ELF interpreter (ld-linux*, ld-musl*, ld.so*, ld64.so*). */
bool path_is_elf_loader(const char *path);

/* What target_allow_image() allowed: paths executable, ELF files mappable, and paths left
 * out because they are not the image's content now. */
struct target_allowed {
	size_t executables, mappable, refused;
};

/* Fill the kernel-side set from table, checking each file's SHA-256 through the container's
 * root (no symlinks): every executable regular file but the ELF interpreter (run as a program
 * it would run any file, docs/protect.md; allowed with loader_as_program) may be executed, and
 * every executable or *.so* ELF file may be mapped executable, by the real file in the layer directory it comes
 * from (rootfs_from_pid). A file that does not match, or that the container's upper layer
 * shadows, is left out. */
int target_allow_image(const struct protect_target *t, const struct table *table,
		       struct guard *g, bool loader_as_program, struct target_allowed *ret,
		       struct error *err);
/* Allow one more file (a container path) in the kernel-side set, as it is now. */
int target_allow_path(const struct protect_target *t, struct guard *g, const char *path,
		      struct error *err);
