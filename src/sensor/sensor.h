/* SPDX-License-Identifier: Apache-2.0 */
/* The one header shared by the BPF programs (sensor.bpf.c) and user space (loader.c): the
 * events the kernel side sends through the ring buffer. Plain C types only, fixed layout. */
#pragma once

#define SENSOR_PATH_MAX 512   /* bytes of a path kept; longer paths are marked truncated */
#define SENSOR_ARGS_MAX 512   /* bytes of argv kept (NUL-separated) */
#define SENSOR_ARGC_MAX 16    /* argv entries kept */
#define SENSOR_COMM_MAX 16
#define SENSOR_PATH_DEPTH 40  /* path components walked */

enum sensor_event_type {
	SENSOR_EXEC = 1,
	SENSOR_OPEN = 2,
	SENSOR_CONNECT = 3,
	SENSOR_LISTEN = 4,
};

enum sensor_flags {
	SENSOR_SAME_PROCESS = 1 << 0, /* exec: the process had exec'd before (one node, two programs) */
	SENSOR_TRUNCATED = 1 << 1,    /* a path or argv did not fit */
	SENSOR_PROTO_UDP = 1 << 2,    /* connect/listen: UDP (else TCP) */
};

/* A node is one process in the learned tree, identified by a hash of its place in the tree:
 * its parent's node and its program. Forked children share their parent's node until they
 * exec. */
struct sensor_header {
	unsigned int type;
	unsigned int flags;
	unsigned int pid, uid, gid;
	unsigned int pad;
	unsigned long long cgroup;
	unsigned long long node;
	unsigned long long parent; /* exec: the node it was started from (0: none, the entrypoint) */
	unsigned long long key;    /* the dedup key; its count is in the "seen" map */
};

struct sensor_exec {
	struct sensor_header h;
	unsigned int args_len;
	unsigned int argc;
	char comm[SENSOR_COMM_MAX];
	char args[SENSOR_ARGS_MAX];
};

struct sensor_open {
	struct sensor_header h;
	unsigned int flags; /* open(2) flags */
	unsigned int path_len;
	char path[SENSOR_PATH_MAX];
};

struct sensor_net {
	struct sensor_header h;
	unsigned short family; /* AF_INET, AF_INET6 */
	unsigned short port;   /* host order */
	unsigned char addr[16];
};

struct sensor_seen_key {
	unsigned long long cgroup;
	unsigned long long key;
};
