/* SPDX-License-Identifier: Apache-2.0 */
/* One protected container (docs/protect.md): its allowlist in the kernel-side set, its entry
 * in guard_protected, its network programs and its fanotify exec layer, started together and
 * stopped together. `imprint protect` runs one; imprintd runs many against one struct guard.
 *
 * Who owns what: struct protection owns the target (its fds), the content table, the tree
 * policy and the fanotify layer (with its two threads, which read the table and the tree
 * until protection_free() joins them). The guard and the alert queue are borrowed and must
 * outlive it. Kernel-side entries outlive it too unless protection_free() is asked to
 * release them. Not thread-safe: the thread that owns the guard calls everything here. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "enforce.h"
#include "exec_fanotify.h"
#include "fingerprint/behavior.h"
#include "fingerprint/fingerprint.h"
#include "guard.h"
#include "target.h"

#define PROTECTION_ALLOW_EXEC_MAX 16

struct protection_options {
	unsigned exec_mode;                    /* enum guard_mode, 0: exec not checked */
	unsigned net_mode;                     /* enum guard_mode, 0: no network programs */
	const struct guard_net_policy *net;    /* rules given by hand (may be NULL) */
	const struct behavior *behavior;       /* borrowed during start: connections, tree */
	bool tree_aware;                       /* needs behavior */
	bool raw_sockets;                      /* network: raw and ICMP sockets allowed */
	bool loader_as_program;                /* exec: the ELF interpreter may be run itself */
	bool prearmed;                         /* protection_prearm() armed it: ours, not a
						* previous run's to adopt */
	const char *const *allow_exec;         /* container paths allowed as they are now */
	size_t n_allow_exec;
	int timeout_ms;                        /* fanotify watchdog */
	struct alert_queue *alerts;            /* borrowed */
	bool json;
};

struct protection_info {
	const char *id;
	pid_t pid;
	uint64_t cgroup;
	const char *cgroup_dir;
	unsigned exec_mode, net_mode;
	bool tree_aware, adopted, net_adopted;
	struct target_allowed allowed;
	size_t net_rules;
	uint64_t bpf_events;
	struct exec_fanotify_stats fanotify; /* zero when exec is off */
};

struct protection;

/* Arm the kernel-side layers (exec, mappings, network) of a created container that has not
 * pivoted yet, from its bundle's rootfs, whose layers were verified just now (no hashing):
 * so that its entrypoint never runs unprotected. protection_start() with o->prearmed then adds
 * fanotify once it has pivoted. On failure nothing is left in the kernel. */
int protection_prearm(const struct protection_options *o, const struct protect_target *t,
		      const char *bundle, const struct table *table, struct guard *g,
		      struct error *err);

/* Protect t's container with fp's table (both taken, whatever happens). A container already
 * in guard_protected (a previous run's) is adopted: its entry is refreshed, its pinned
 * network links kept. On failure nothing is left in the kernel for a container we did not
 * adopt. */
int protection_start(const struct protection_options *o, struct protect_target *t,
		     struct fingerprint *fp, struct guard *g, struct protection **ret,
		     struct error *err);
/* Stop fanotify; with release, also remove the container's kernel-side entries and links.
 * NULL-safe. */
struct protection *protection_free(struct protection *p, struct guard *g, bool release);

/* A kernel-side report: formatted and queued if it is about p's container (true). */
bool protection_on_event(struct protection *p, const struct guard_event *e);
/* True once the container's first process exited or its cgroup is gone. */
bool protection_ended(struct protection *p);
void protection_info(struct protection *p, struct protection_info *ret);
/* "fanotify exec (...), bpf exec (...), bpf net (...), BPF-LSM: lsm". New string. */
char *protection_describe(struct protection *p, const struct guard *g, const char *lsm);

const char *guard_mode_to_string(unsigned mode); /* "off", "monitor", "enforce" */
