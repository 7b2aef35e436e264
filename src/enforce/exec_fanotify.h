/* SPDX-License-Identifier: Apache-2.0 */
/* Exec allowlisting in user space with fanotify (docs/protect.md): FAN_OPEN_EXEC_PERM on
 * every exec-able mount of one container; an exec is allowed only if the file is a file of
 * the image, unchanged (its path is in the content table with the same SHA-256, hashed from
 * the fd the event carries).
 *
 * Overview / who owns the fd, who must answer (fapolicyd's habit):
 * - The fanotify group fd belongs to struct exec_fanotify and is closed by
 *   exec_fanotify_free() after both threads are joined. While it is open, every permission
 *   event read from it MUST be answered exactly once, or the process doing the exec sleeps
 *   (uninterruptibly until 5.x, killably now) until the group dies. When the group fd is
 *   closed the kernel answers every event still pending with FAN_ALLOW.
 * - The reader thread reads events, enters each one in the pending table (fd + arrival time)
 *   before deciding any of them, decides, answers the ones nobody answered yet and then
 *   closes the event's fd. The event fd belongs to the reader from read() to close(): the
 *   watchdog never closes it, so an fd number cannot be reused under a decision in flight.
 * - The watchdog thread answers, under the same lock, every pending event older than the
 *   timeout (monitor: allow; enforce: deny) and marks it answered; the reader's late answer
 *   is then skipped. So no exec waits longer than the timeout, whatever the decision does.
 * - Neither thread writes logs or files: decisions go to the alert queue (alert.h), which
 *   never blocks and drops (and counts) when full.
 * - Our own process is exempt (it never execs, and its reads are not exec opens); processes
 *   outside the container's mount namespace are allowed at once. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "alert.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "enforce.h"
#include "fingerprint/table.h"

/* Tree-aware check (optional): return NULL to allow, or a reason code to refuse the exec of
 * exe by pid (whose parent is ppid). Called on the reader thread. */
typedef const char *(*exec_tree_fn)(void *userdata, pid_t pid, pid_t ppid, const char *exe,
				    const struct stat *st);

struct exec_fanotify_options {
	const char *container;    /* full id, for alerts */
	pid_t pid;                /* a process of the container (its mounts) */
	uint64_t cgroup;          /* its cgroup v2 id: a process is the container's by its cgroup,
				   * whatever namespaces it made (issue 11, class 2) */
	const struct table *table; /* the image's content table; borrowed, must outlive us */
	enum guard_mode mode;
	int timeout_ms;           /* watchdog */
	struct alert_queue *alerts; /* borrowed */
	bool json;
	exec_tree_fn tree;        /* NULL: no tree-aware check */
	void *tree_userdata;
};

struct exec_fanotify_stats {
	uint64_t allowed, denied, would_deny, timeouts, outside;
	size_t mounts; /* mounts marked */
};

struct exec_fanotify;

int exec_fanotify_start(const struct exec_fanotify_options *o, struct exec_fanotify **ret,
			struct error *err);
/* Stop the threads, close the group (the kernel allows what is pending). NULL-safe. */
struct exec_fanotify *exec_fanotify_free(struct exec_fanotify *x);
DEFINE_FREEP(struct exec_fanotify, exec_fanotify_free)

void exec_fanotify_stats(struct exec_fanotify *x, struct exec_fanotify_stats *ret);

/* SHA-256 of an open regular file (from offset 0, by pread). */
int hash_fd(int fd, struct digest *ret);
