/* SPDX-License-Identifier: Apache-2.0 */
/* File protection for one running container (docs/files.md): the image's directories (by
 * default /bin, /sbin, /lib*, /usr, /etc) are bind-mounted read-only over themselves inside
 * the container's mount namespace (enforce), and every attempt to modify a file there, failed
 * or not, is reported by a program per modifying syscall (files.bpf.c,
 * tp/syscalls/sys_exit_<name>) filtered by the container's cgroup (enforce and monitor).
 *
 * The first part of this header is the plain-C layout shared with files.bpf.c; the rest is
 * the user-space API (not seen by the BPF compiler).
 *
 * Who owns what: struct files owns its BPF objects, its ring-buffer thread and copies of
 * every string it was given; the alert queue is borrowed and must outlive it. The read-only
 * mounts are kernel objects of the container's mount namespace: they outlive the process
 * (kill -9 leaves them, which keeps preventing) and are removed by files_free(..., true). The
 * ring-buffer thread formats alerts and pushes them to the queue; nothing else runs there. */
#pragma once

#define FILES_PATH_MAX 256
#define FILES_DIR_MAX 512 /* a power of two (src/bpf/path_walk.bpf.h) */
#define FILES_COMM_MAX 16
#define FILES_CONTAINERS_MAX 1024

/* How a syscall's arguments are laid out. */
enum files_syscall_kind {
	FILES_SC_NONE = 0,
	FILES_SC_OPEN,      /* path a0, flags a1 */
	FILES_SC_OPENAT,    /* dirfd a0, path a1, flags a2 */
	FILES_SC_OPENAT2,   /* dirfd a0, path a1, struct open_how *a2 */
	FILES_SC_CREAT,     /* path a0 */
	FILES_SC_PATH,      /* path a0 */
	FILES_SC_AT,        /* dirfd a0, path a1 (NULL: dirfd is the file) */
	FILES_SC_PATH2,     /* path a0, path a1 */
	FILES_SC_AT2,       /* dirfd a0, path a1, dirfd a2, path a3 */
	FILES_SC_SYMLINKAT, /* target a0 (not a file), dirfd a1, path a2 */
	FILES_SC_FD,        /* fd a0 */
	_FILES_SC_MAX,
};

struct files_event {
	unsigned long long cgroup;
	unsigned int pid, tid;
	int ret;          /* the syscall's result: >= 0, -EROFS, -EACCES, -EPERM, -ETXTBSY */
	unsigned int nr;  /* syscall number */
	unsigned int kind; /* enum files_syscall_kind */
	unsigned int flags; /* open flags */
	int dfd[2];       /* dirfd of path[i] (AT_FDCWD), or the fd for FILES_SC_FD */
	char comm[FILES_COMM_MAX];
	char path[2][FILES_PATH_MAX]; /* as given to the syscall ("" if none) */
	/* Where a relative path[i] starts, walked in the kernel at the syscall's exit (the
	 * process may be gone before user space looks): the container path of the cwd or of
	 * dfd[i] (for FILES_SC_FD, the file itself). "" when path[i] is absolute or the walk
	 * was cut short. */
	char dir[2][FILES_DIR_MAX];
};

#ifndef __bpf__
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "alert.h"
#include "basic/error.h"
#include "basic/macro.h"

#define FILES_PATHS_MAX 16

enum files_mode { FILES_OFF = 0, FILES_MONITOR = 1, FILES_ENFORCE = 2 };

struct files_options {
	enum files_mode mode;
	/* Protected directories (container paths); none given: files_default_paths. */
	const char *paths[FILES_PATHS_MAX];
	size_t n_paths;
	/* Paths inside them that stay writable (and are not reported). */
	const char *writable[FILES_PATHS_MAX];
	size_t n_writable;
	struct alert_queue *alerts; /* borrowed */
	bool json;
};

struct files_stats {
	size_t mounts;          /* read-only mounts made by this run */
	size_t adopted;         /* read-only mounts found from a previous run */
	size_t writable;        /* writable paths kept */
	size_t programs;        /* syscalls watched (tracepoints this kernel has) */
	uint64_t events;        /* kernel reports read */
	uint64_t alerts;        /* of them, about a protected image file */
	uint64_t lost;          /* reports the kernel could not queue */
};

struct files;

/* "enforce", "monitor", "off" -> mode; -EINVAL for anything else. */
int files_mode_from_string(const char *s, enum files_mode *ret);
const char *files_mode_to_string(enum files_mode m);

/* Protect the container whose first process is pid (cgroup v2 id cgroup, full id id): the
 * read-only mounts (enforce) and the detection program (both modes). Must run before the
 * exec layer marks the container's mounts, so that it marks the new ones. */
int files_start(const struct files_options *o, const char *id, pid_t pid, uint64_t cgroup,
		struct files **ret, struct error *err);
/* Stop reporting; with release, also remove the read-only mounts. NULL-safe. */
struct files *files_free(struct files *f, bool release);
void files_stats(struct files *f, struct files_stats *ret);
/* "files: mode enforce, read-only bind mounts on /bin /etc ..., bpf files (...)". New string. */
char *files_describe(struct files *f);
#endif
