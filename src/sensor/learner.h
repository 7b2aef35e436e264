/* SPDX-License-Identifier: Apache-2.0 */
/* Learning a behavioral fingerprint from sensor events (docs/sensor.md): the events of each
 * container (cgroup) become its process tree, with the files, connections and listening ports
 * of each process. Containers are named by the id in their cgroup path (podman, CRI-O, Docker,
 * containerd and kubelet naming). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "fingerprint/behavior.h"
#include "loader.h"

struct learn_options {
	char *const *command;    /* run this and learn while it runs (NULL: see container) */
	const char *container;   /* or learn this running container (id or prefix) ... */
	int64_t duration_ms;     /* ... for this long */
	const char *image_name;  /* imageName of the result */
	const char *image_digest; /* imageDigest of the result ("sha256:ID"), or NULL; when set,
				   * only containers of that image (containers.json) are learned */
	const char *storage_root; /* where to look that up (NULL: the default root) */
	bool verbose;
};

struct learn_stats {
	int status;            /* the command's exit status (0 without a command) */
	uint64_t unattributed; /* events left out: their process's exec, or an ancestor's, was
				* lost, so their place in the tree is unknown (docs/sensor.md) */
};

/* Start the sensor, run the command (or wait), and build the fingerprint (incomplete if events
 * were lost or left out). */
int learn_run(const struct learn_options *o, struct behavior **ret, struct learn_stats *ret_stats,
	      struct error *err);

/* The container id in a cgroup path ("/libpod_parent/libpod-<id>", ".../docker-<id>.scope",
 * "crio-<id>.scope", "cri-containerd-<id>.scope", kubelet ".../<id>"), or NULL. New string. */
char *container_id_from_cgroup(const char *path);

/* pid's cgroup v2 path ("0::PATH" in /proc/PID/cgroup) into *ret (new string); -ENOENT if
 * the process is gone or has none. */
int proc_cgroup_v2(pid_t pid, char **ret);
/* 1 if pid's cgroup v2 directory is the cgroup id (its inode number; *ret_path, if not NULL,
 * gets pid's cgroup path), 0 if it is another, -errno if that cannot be read. */
int pid_in_cgroup(pid_t pid, uint64_t id, char **ret_path);

/* The container id of a cgroup v2 id (its directory's inode number), or NULL. pid (0: none):
 * a process seen in that cgroup, whose /proc/PID/cgroup names it directly; otherwise (or if it
 * is gone or moved) /sys/fs/cgroup is searched. New string. */
char *container_id_of_cgroup(uint64_t id, pid_t pid);
/* True if a cgroup v2 directory has that id (its inode number). Not thread-safe either. */
bool cgroup_exists(uint64_t id);

/* The image ID (hex) of a container, from the containers.json of the first storage root that
 * knows it, or NULL. A map, not evidence. New string. */
char *container_image_id(const char *const *roots, size_t n_roots, const char *container);
