/* SPDX-License-Identifier: Apache-2.0 */
/* The one header shared by the enforcement BPF programs (guard.bpf.c) and user space
 * (guard.c): map keys and values, and the events the kernel side reports through the ring
 * buffer. Plain C types only, fixed layout (docs/protect.md). */
#pragma once

#define GUARD_PATH_MAX 256
#define GUARD_COMM_MAX 16
#define GUARD_NET_RULES_MAX 64
#define GUARD_ALLOWED_MAX 262144 /* allowed executables over all protected containers */
#define GUARD_CONTAINERS_MAX 1024

enum guard_mode {
	GUARD_MONITOR = 1, /* report, allow */
	GUARD_ENFORCE = 2, /* report, stop */
};

enum guard_event_type {
	GUARD_EV_EXEC = 1,
	GUARD_EV_CONNECT = 2, /* connect4/6 */
	GUARD_EV_SENDMSG = 3, /* sendmsg4/6 (UDP) */
	GUARD_EV_SOCKET = 4,  /* sock_create: a raw or ICMP socket (family, proto, port = type) */
	GUARD_EV_MAP = 5,     /* mmap/mprotect: a file mapped executable (dev, ino: the real
			       * file; path: its name) */
};

enum guard_exec_flags {
	GUARD_EXEC_UPPER = 1 << 0,       /* overlayfs file with an upper (copied-up or new) layer */
	GUARD_EXEC_NOT_OVERLAY = 1 << 1, /* not on overlayfs: memfd, tmpfs, a bind mount... */
	GUARD_EXEC_KILLED = 1 << 2,      /* SIGKILL sent */
	GUARD_NET_DENIED = 1 << 3,       /* connect/sendmsg refused (EPERM) */
	GUARD_MAP_UNVERIFIED = 1 << 4,   /* the mapping could not be looked up (treated as not
					  * allowed) */
	GUARD_MAP_ANON = 1 << 5,         /* not a file: memory made executable (not judged) */
};

/* guard_container.mode: the guard_mode for exec in the low byte; GUARD_MAPS_CHECKED: files
 * mapped executable are checked too (the allowed set holds the image's ELF files by their real
 * inodes). A flag, not a field, so that a pinned map of an earlier version keeps its layout and
 * the containers it protects are not judged against a set that lacks those entries. */
#define GUARD_MODE_MASK 0xffu
#define GUARD_MAPS_CHECKED 0x100u

/* "guard_protected" map: cgroup v2 id -> how that container is protected. */
struct guard_container {
	unsigned int mode;     /* enum guard_mode for exec | GUARD_MAPS_CHECKED */
	unsigned int net_mode; /* enum guard_mode, 0: no network rules */
};

/* "guard_allowed" map values: what the file may be. */
#define GUARD_ALLOW_EXEC 0x1 /* executed (key: the inode through the container's overlay) */
#define GUARD_ALLOW_MAP 0x2  /* mapped executable (key: the real file in a lower layer, which
			      * is what a mapping of an overlay file holds) */

/* "guard_allowed" map key: a file of a container's verified image, as the kernel sees it
 * (s_dev in the kernel's encoding, i_ino). */
struct guard_exec_key {
	unsigned long long cgroup;
	unsigned long long ino;
	unsigned int dev;
	unsigned int pad;
};

/* One allowed destination: addr/prefix (family AF_INET or AF_INET6; network byte order),
 * ports lo..hi (host order), proto 0 (any), 6 (tcp) or 17 (udp). */
struct guard_net_rule {
	unsigned char family;
	unsigned char proto;
	unsigned char prefix;
	unsigned char pad;
	unsigned short port_lo, port_hi;
	unsigned char addr[16];
};

/* guard_net_policy.mode: the guard_mode in the low byte; GUARD_NET_RAW_OK lets the container
 * open raw and ICMP ("ping") sockets, whose sends no cgroup hook sees. A flag in mode, not a
 * field, so that a pinned map of an earlier version keeps its layout. */
#define GUARD_NET_MODE_MASK 0xffu
#define GUARD_NET_RAW_OK 0x100u

/* "guard_net" map: cgroup v2 id -> its allowed destinations. */
struct guard_net_policy {
	unsigned int mode; /* enum guard_mode | GUARD_NET_RAW_OK */
	unsigned int n;
	struct guard_net_rule rules[GUARD_NET_RULES_MAX];
};

struct guard_event {
	unsigned int type;  /* enum guard_event_type */
	unsigned int flags; /* enum guard_exec_flags */
	unsigned int pid, ppid, uid;
	unsigned int mode; /* the mode decided with */
	unsigned long long cgroup;
	unsigned long long time_ns; /* CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) */
	unsigned long long ino;     /* exec */
	unsigned int dev;           /* exec */
	unsigned short family, port; /* net; port in host order */
	unsigned char proto;
	unsigned char pad[3];
	unsigned char addr[16];
	char comm[GUARD_COMM_MAX];
	char path[GUARD_PATH_MAX]; /* exec: the filename given to execve */
};
