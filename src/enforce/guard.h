/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel-side enforcement layers (guard.bpf.c, docs/protect.md): exec checked at
 * sched_process_exec and files mapped executable checked when mmap/mprotect return, against a
 * per-container allowed set; connect/sendmsg checked against a
 * per-container list of destinations. Everything is pinned under a bpffs directory so that
 * it keeps working while no imprint process runs; guard_open() adopts what is pinned.
 *
 * Who owns what: struct guard owns the skeleton, the ring buffer reader and its own fds; the
 * pins (maps, the exec link, each container's network links) belong to the bpffs directory
 * and outlive it. guard_release() is the only thing that removes a container's pins. Events
 * are valid only during the callback. Not thread-safe: one thread uses a guard. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "enforce.h"

#define GUARD_PIN_DIR "/sys/fs/bpf/imprint"

struct guard;

typedef void (*guard_event_fn)(void *userdata, const struct guard_event *e);

/* Load the programs, reuse the maps pinned in pin_dir (or pin new ones) and attach the exec
 * and mapping programs unless pinned ones are already attached (then they are adopted). Where pin_dir's parent
 * is not on bpffs, bpffs is mounted there first (mode 0700), as bpftool does. */
int guard_open(const char *pin_dir, guard_event_fn fn, void *userdata, struct guard **ret,
	       struct error *err);
struct guard *guard_free(struct guard *g);
DEFINE_FREEP(struct guard, guard_free)

/* True if the exec (mapping) program was already pinned and attached when guard_open() ran. */
bool guard_exec_adopted(const struct guard *g);
bool guard_map_adopted(const struct guard *g);

/* Attach (and pin) the check of 32-bit mapping calls unless it is on: what an image with
 * 32-bit ELF programs needs. It runs for every system call of the host until the last
 * container is released. */
int guard_need_map32(struct guard *g, struct error *err);
bool guard_map32_on(const struct guard *g);

/* The container's entry if it is protected (by us or by a process before us): 0, or
 * -ENOENT. */
int guard_container_get(struct guard *g, uint64_t cgroup, struct guard_container *ret);
/* Its network rules as armed (mode, GUARD_NET_RAW_OK, destinations): 0, or -ENOENT. */
int guard_net_get(struct guard *g, uint64_t cgroup, struct guard_net_policy *ret);

/* Allow one file (st_dev, st_ino as stat(2) reports it) to be what (GUARD_ALLOW_EXEC: executed,
 * named through the container's root; GUARD_ALLOW_MAP: mapped executable, named as the real
 * file in its layer directory), besides what it already may. Call before guard_protect() so
 * that the container never runs without its set. */
int guard_allow(struct guard *g, uint64_t cgroup, dev_t dev, ino_t ino, uint8_t what);
int guard_protect(struct guard *g, uint64_t cgroup, const struct guard_container *c);

/* Set the container's network policy and attach connect4/6 and sendmsg4/6 to its cgroup v2
 * directory (cgroup_fd), pinning the links; links already pinned are kept (*ret_adopted). */
int guard_net_attach(struct guard *g, uint64_t cgroup, int cgroup_fd,
		     const struct guard_net_policy *pol, bool *ret_adopted, struct error *err);

/* Stop protecting cgroup: delete its map entries, detach and unpin its network links. When
 * no container is left, the exec link and the maps are unpinned too. */
int guard_release(struct guard *g, uint64_t cgroup);

/* Deliver pending events, waiting at most timeout_ms. */
int guard_poll(struct guard *g, int timeout_ms);
/* The ring buffer's fd, for an epoll loop. */
int guard_poll_fd(const struct guard *g);
/* Events the kernel side could not report (ring buffer full). */
uint64_t guard_lost(const struct guard *g);

/* Whether this kernel loads BPF-LSM programs: 1 yes, 0 no (why in why), never an error. */
int guard_probe_lsm(char *why, size_t n);

/* The kernel's dev_t encoding (struct super_block.s_dev) of a stat(2) st_dev. */
unsigned int guard_kdev(dev_t dev);
