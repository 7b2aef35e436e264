// SPDX-License-Identifier: GPL-2.0
/* The sensor's kernel side (docs/sensor.md). Only tp_btf programs: they load on our kernels
 * (fentry, lsm and kprobes do not, DESIGN.md 5).
 *
 * Who owns what: the "procs" map holds, per process (tgid), the node of the learned tree it
 * belongs to; fork copies it, exec replaces it, exit deletes it. The "seen" map is the in-kernel
 * deduplication: an event whose (cgroup, key) was sent before only increments its count, so a
 * steady workload sends nothing. A ring buffer reservation that fails is counted per cgroup in
 * "lost"; user space reports it and marks what it learned incomplete.
 *
 * Containers only: a task whose pid namespace is the initial one (level 0) is a host process
 * and is ignored here, before anything is read. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sensor.h"

#define AF_INET 2
#define AF_INET6 10
#define NR_OPEN 2
#define NR_CONNECT 42
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_OPENAT 257
#define NR_OPENAT2 437
#define SOCK_DGRAM 2

char LICENSE[] SEC("license") = "GPL";

struct proc_state {
	__u64 node;
	__u32 execs;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct proc_state);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct sensor_seen_key);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Scratch space for building a path backwards. */
struct scratch {
	char buf[3 * SENSOR_PATH_MAX]; /* a masked offset plus a bounded length stays inside */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	h ^= h >> 29;
	return h;
}

static __always_inline bool in_container(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_pid, level) > 0;
}

static __always_inline void count_lost(__u64 cgroup)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(&lost, &cgroup);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&lost, &cgroup, &one, BPF_NOEXIST);
}

/* True the first time (cgroup, key) is seen; counts every time. */
static __always_inline bool first_time(__u64 cgroup, __u64 key)
{
	struct sensor_seen_key k = { .cgroup = cgroup, .key = key };
	__u64 one = 1, *n = bpf_map_lookup_elem(&seen, &k);

	if (n) {
		__sync_fetch_and_add(n, 1);
		return false;
	}
	bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
	return true;
}

static __always_inline void fill_header(struct sensor_header *h, unsigned type, __u64 cgroup,
					__u64 node, __u64 key)
{
	__u64 ug = bpf_get_current_uid_gid();

	h->type = type;
	h->flags = 0;
	h->pid = bpf_get_current_pid_tgid() >> 32;
	h->uid = (__u32)ug;
	h->gid = ug >> 32;
	h->pad = 0;
	h->cgroup = cgroup;
	h->node = node;
	h->parent = 0;
	h->key = key;
}

static __always_inline __u64 current_node(__u32 tgid)
{
	struct proc_state *s = bpf_map_lookup_elem(&procs, &tgid);

	return s ? s->node : 0;
}

struct hash_ctx {
	struct scratch *s;
	__u32 start, len;
	__u64 h;
};

static long hash_step(__u64 i, void *data)
{
	struct hash_ctx *c = data;

	if (i >= c->len)
		return 1;
	c->h = mix(c->h, (unsigned char)c->s->buf[(c->start + i) & (2 * SENSOR_PATH_MAX - 1)]);
	return 0;
}

/* Hash len bytes of s->buf from start (bpf_loop: verified once, not unrolled). */
static __always_inline __u64 hash_scratch(__u64 h, struct scratch *s, __u32 start, __u32 len)
{
	struct hash_ctx c = { .s = s, .start = start, .len = len, .h = h };

	bpf_loop(SENSOR_PATH_MAX, hash_step, &c, 0);
	return c.h;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	struct proc_state *s;

	if (ptgid == ctgid || !in_container(child))
		return 0; /* a thread, or the host */
	s = bpf_map_lookup_elem(&procs, &ptgid);
	if (s) {
		struct proc_state c = { .node = s->node };

		bpf_map_update_elem(&procs, &ctgid, &c, BPF_ANY);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *t)
{
	__u32 tgid = BPF_CORE_READ(t, tgid);

	if (BPF_CORE_READ(t, pid) == tgid)
		bpf_map_delete_elem(&procs, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *t, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 zero = 0, tgid = BPF_CORE_READ(t, tgid);
	__u64 cgroup, parent, node, arg_start, arg_end, len, ug = bpf_get_current_uid_gid();
	struct scratch *sc = bpf_map_lookup_elem(&scratch_map, &zero);
	struct proc_state *s, st = { 0 };
	struct sensor_exec *e;
	bool again;

	if (!in_container(t) || !sc)
		return 0;
	cgroup = bpf_get_current_cgroup_id();
	s = bpf_map_lookup_elem(&procs, &tgid);
	parent = s ? s->node : 0;
	again = s && s->execs > 0;
	arg_start = BPF_CORE_READ(t, mm, arg_start);
	arg_end = BPF_CORE_READ(t, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > SENSOR_ARGS_MAX)
		len = SENSOR_ARGS_MAX;
	if (len == 0 || bpf_probe_read_user(sc->buf, len & (SENSOR_ARGS_MAX - 1) ?: SENSOR_ARGS_MAX,
					    (void *)arg_start) < 0)
		len = 0;
	node = hash_scratch(mix(parent, ug), sc, 0, len);
	st.node = node;
	st.execs = (s ? s->execs : 0) + 1;
	bpf_map_update_elem(&procs, &tgid, &st, BPF_ANY);
	if (!first_time(cgroup, node))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(cgroup);
		return 0;
	}
	e->args_len = len;
	e->argc = 0;
	bpf_probe_read_kernel(e->args, sizeof(e->args), sc->buf);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	fill_header(&e->h, SENSOR_EXEC, cgroup, node, node);
	e->h.parent = parent;
	if (again)
		e->h.flags |= SENSOR_SAME_PROCESS;
	if (arg_end - arg_start > SENSOR_ARGS_MAX)
		e->h.flags |= SENSOR_TRUNCATED;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#define POS(p) ((p) & (2 * SENSOR_PATH_MAX - 1))

struct path_ctx {
	struct scratch *s;
	struct dentry *d, *root_d;
	struct vfsmount *vm, *root_m;
	struct mount *m;
	int pos;
	bool truncated, done;
};

/* One component of the walk up from a dentry (bpf_loop callback). */
static long path_step(__u64 i, void *data)
{
	struct path_ctx *c = data;
	/* locals: CO-RE relocates kernel types only, not this context */
	struct dentry *d = c->d;
	struct vfsmount *vm = c->vm;
	struct mount *m = c->m;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	const unsigned char *name;
	__u32 len;
	int pos = c->pos;

	if (d == c->root_d && vm == c->root_m) {
		c->done = true;
		return 1;
	}
	if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		if (mp == m) {
			c->done = true; /* the global root */
			return 1;
		}
		c->d = BPF_CORE_READ(m, mnt_mountpoint);
		c->m = mp;
		c->vm = &mp->mnt;
		return 0;
	}
	name = BPF_CORE_READ(d, d_name.name);
	len = BPF_CORE_READ(d, d_name.len);
	if (len >= SENSOR_PATH_MAX || pos < SENSOR_PATH_MAX + (int)len + 1) {
		c->truncated = true;
		c->done = true;
		return 1;
	}
	pos -= len;
	bpf_probe_read_kernel(&c->s->buf[POS(pos)], len & (SENSOR_PATH_MAX - 1), name);
	pos--;
	c->s->buf[POS(pos)] = '/';
	c->pos = pos;
	c->d = parent;
	return 0;
}

/* The path of f as seen from the task's root, built backwards in s->buf: returns the offset of
 * its first byte (it ends with the NUL at 2 * SENSOR_PATH_MAX - 1). Walks dentries up to the
 * task's root, crossing mounts; SENSOR_PATH_DEPTH components at most. */
static __always_inline int file_path(struct task_struct *t, struct file *f, struct scratch *s,
				     bool *truncated)
{
	struct path_ctx c = {
		.s = s,
		.d = BPF_CORE_READ(f, f_path.dentry),
		.root_d = BPF_CORE_READ(t, fs, root.dentry),
		.vm = BPF_CORE_READ(f, f_path.mnt),
		.root_m = BPF_CORE_READ(t, fs, root.mnt),
		.pos = 2 * SENSOR_PATH_MAX - 1,
	};

	c.m = container_of(c.vm, struct mount, mnt);
	s->buf[POS(c.pos)] = 0;
	bpf_loop(SENSOR_PATH_DEPTH, path_step, &c, 0);
	*truncated = c.truncated || !c.done;
	if (c.pos == 2 * SENSOR_PATH_MAX - 1) {
		c.pos--;
		s->buf[POS(c.pos)] = '/';
	}
	return c.pos;
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
	struct file *f = NULL;

	if (fd < 0 || fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline int on_open_exit(struct task_struct *t, long fd)
{
	__u32 zero = 0, tgid = BPF_CORE_READ(t, tgid);
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	struct file *f = fd_file(t, fd);
	bool truncated = false;
	struct sensor_open *e;
	__u64 cgroup, node, key;
	int pos;
	__u32 len;

	if (!s || !f)
		return 0;
	pos = file_path(t, f, s, &truncated);
	if (pos < 0 || pos >= 2 * SENSOR_PATH_MAX)
		return 0;
	len = 2 * SENSOR_PATH_MAX - 1 - pos;
	cgroup = bpf_get_current_cgroup_id();
	node = current_node(tgid);
	key = hash_scratch(mix(node, SENSOR_OPEN), s, pos, len);
	if (!first_time(cgroup, key))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(cgroup);
		return 0;
	}
	fill_header(&e->h, SENSOR_OPEN, cgroup, node, key);
	if (truncated)
		e->h.flags |= SENSOR_TRUNCATED;
	e->flags = BPF_CORE_READ(f, f_flags);
	e->path_len = len;
	bpf_probe_read_kernel(e->path, (len & (SENSOR_PATH_MAX - 1)) + 1,
			      &s->buf[POS(pos)]);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int send_net(__u64 cgroup, __u64 node, unsigned type, unsigned flags,
				    unsigned short family, unsigned short port, const void *addr)
{
	__u64 key = mix(mix(mix(node, type), ((__u64)family << 16) | port), flags);
	struct sensor_net *e;

	if (family == AF_INET)
		key = mix(key, *(const __u32 *)addr);
	else
		key = mix(mix(key, *(const __u64 *)addr), *(const __u64 *)((const char *)addr + 8));
	if (!first_time(cgroup, key))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(cgroup);
		return 0;
	}
	fill_header(&e->h, type, cgroup, node, key);
	e->h.flags = flags;
	e->family = family;
	e->port = port;
	__builtin_memcpy(e->addr, addr, 16);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int on_connect(struct task_struct *t, struct pt_regs *regs)
{
	struct sockaddr_in6 sa = { 0 };
	void *uaddr = (void *)PT_REGS_PARM2_CORE(regs);
	struct file *f = fd_file(t, PT_REGS_PARM1_CORE(regs));
	struct socket *sock;
	unsigned char addr[16] = { 0 };
	unsigned flags = 0;

	if (!f || bpf_probe_read_user(&sa, sizeof(sa), uaddr) < 0)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	if (sock && BPF_CORE_READ(sock, type) == SOCK_DGRAM)
		flags |= SENSOR_PROTO_UDP;
	if (sa.sin6_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		__builtin_memcpy(addr, &in->sin_addr, 4);
		return send_net(bpf_get_current_cgroup_id(), current_node(BPF_CORE_READ(t, tgid)),
				SENSOR_CONNECT, flags, AF_INET, bpf_ntohs(in->sin_port), addr);
	}
	if (sa.sin6_family == AF_INET6) {
		__builtin_memcpy(addr, &sa.sin6_addr, 16);
		return send_net(bpf_get_current_cgroup_id(), current_node(BPF_CORE_READ(t, tgid)),
				SENSOR_CONNECT, flags, AF_INET6, bpf_ntohs(sa.sin6_port), addr);
	}
	return 0;
}

/* listen(2) on a TCP socket, bind(2) on a UDP one: the local port from the socket itself. */
static __always_inline int on_listen(struct task_struct *t, long fd, bool udp_only)
{
	struct file *f = fd_file(t, fd);
	struct socket *sock = f ? BPF_CORE_READ(f, private_data) : NULL;
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	unsigned char addr[16] = { 0 };
	unsigned short family;
	bool udp;

	if (!sk)
		return 0;
	udp = BPF_CORE_READ(sock, type) == SOCK_DGRAM;
	if (udp != udp_only)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return send_net(bpf_get_current_cgroup_id(), current_node(BPF_CORE_READ(t, tgid)),
			SENSOR_LISTEN, udp ? SENSOR_PROTO_UDP : 0, family,
			BPF_CORE_READ(sk, __sk_common.skc_num), addr);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t;

	if (id != NR_CONNECT && id != NR_LISTEN)
		return 0;
	t = bpf_get_current_task_btf();
	if (!in_container(t))
		return 0;
	if (id == NR_CONNECT)
		return on_connect(t, regs);
	return on_listen(t, PT_REGS_PARM1_CORE(regs), false);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t;
	long id;

	if (ret < 0)
		return 0;
	id = BPF_CORE_READ(regs, orig_ax);
	if (id != NR_OPEN && id != NR_OPENAT && id != NR_OPENAT2 && id != NR_BIND)
		return 0;
	t = bpf_get_current_task_btf();
	if (!in_container(t))
		return 0;
	if (id == NR_BIND)
		return on_listen(t, PT_REGS_PARM1_CORE(regs), true);
	return on_open_exit(t, ret);
}
