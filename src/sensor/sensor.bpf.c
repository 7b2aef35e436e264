// SPDX-License-Identifier: GPL-2.0
/* The sensor's kernel side (docs/sensor.md). Only tracepoint programs: they load on our kernels
 * (fentry, lsm and kprobes do not, DESIGN.md 5). The process tree comes from tp_btf sched_*
 * programs. The system calls, at their exit only, come from one of two sets chosen by the
 * loader: the per-syscall tracepoints (tp/syscalls/sys_exit_openat, ...: only the system calls we
 * want run a program), or, when those cannot be attached (no tracefs), tp_btf sys_exit (every
 * system call of every process runs a program that returns at once on the others).
 *
 * Who owns what: the "procs" map holds, per process (tgid), the node of the learned tree it
 * belongs to; fork copies it, exec replaces it, exit deletes it. The "seen" map is the in-kernel
 * deduplication: an event whose (cgroup, key) was sent before only increments its count, so a
 * steady workload sends nothing. A ring buffer reservation that fails is counted per cgroup in
 * "lost"; user space reports it and marks what it learned incomplete.
 *
 * Repeated opens are nearly free: before a path is built (a dentry walk copying each name, then
 * a hash of it), two caches are asked, by the *shape* of the opened file (file_shape(): each
 * name's length and hash as the dcache keeps them, and the mounts crossed, from the file up to
 * the task's root, read with plain loads). "task_cache" (per thread, since its last exec): the
 * shapes already handled, a hit returns at once. "open_cache" (per CPU): (cgroup, node, shape)
 * to the path's dedup key, which is then counted in "seen" (a key evicted from "seen" takes the
 * slow path and is sent again, as without the cache).
 *
 * Containers only: a task whose pid namespace is the initial one (level 0) is a host process
 * and is ignored here, before anything else is read. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sensor.h"

#define PATH_WALK_MAX SENSOR_PATH_MAX
#define PATH_WALK_DEPTH SENSOR_PATH_DEPTH
#include "bpf/path_walk.bpf.h"

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

/* The dedup key of an open, by the shape of the opened file (see the top). Per CPU and direct
 * mapped: a slot is overwritten by the next shape that maps to it. "check" ties tag and key
 * together, so a slot torn by a preempted writer is a miss, never a wrong key. */
#define OPEN_CACHE_SLOTS 4096
struct open_cache_slot {
	__u64 tag;
	__u64 key;
	__u64 check;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OPEN_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct open_cache_slot);
} open_cache SEC(".maps");

/* The first level, with no map lookup by key at all: per thread, the shapes it opened since it
 * last exec'd (exec deletes it: a new program is a new node) in the cgroup it was in. A hit is
 * an open this thread has already been through the slow path for, under the same node. */
#define TASK_CACHE_SLOTS 32 /* in pairs: a shape lives in slot i or i + 1, i even */
struct task_cache {
	__u64 cgroup;
	__u64 shapes[TASK_CACHE_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_cache);
} task_cache SEC(".maps");

/* Set by the loader before load: 0 turns both caches off (measurements, debugging). */
const volatile bool use_open_cache = true;
/* Set by the loader before load (IMPRINT_SENSOR_HOOKS_ONLY=1, measurements only): the syscall
 * programs attach and return at once, which measures what the hooks cost by themselves. */
const volatile bool hooks_only = false;

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
	return t->thread_pid->level > 0; /* plain loads: t is a BTF pointer */
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

static long hash_word_step(__u64 i, void *data)
{
	struct hash_ctx *c = data;
	__u32 off = i * 8;
	__u64 w;

	if (off >= c->len)
		return 1;
	/* unaligned and up to 7 bytes past the path's end: both inside buf */
	w = *(__u64 *)&c->s->buf[(c->start + off) & (2 * SENSOR_PATH_MAX - 1)];
	if (c->len - off < 8)
		w &= (1ull << ((c->len - off) * 8)) - 1;
	c->h = mix(c->h, w);
	return 0;
}

/* The same, 8 bytes at a time: for keys only the kernel side computes (opens), 8 times fewer
 * calls than hash_scratch() (exec nodes must stay byte by byte: user space recomputes them). */
static __always_inline __u64 hash_scratch_words(__u64 h, struct scratch *s, __u32 start, __u32 len)
{
	struct hash_ctx c = { .s = s, .start = start, .len = len, .h = h };

	bpf_loop(SENSOR_PATH_MAX / 8, hash_word_step, &c, 0);
	return mix(c.h, len);
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
	bpf_task_storage_delete(&task_cache, t); /* its opens were another node's */
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

/* The shape of f's path, as path_walk() would walk it (same stops, same mount crossings), with
 * plain loads and no name copied: each name's hash_len (its length and the dcache's 32-bit hash
 * of it, which the kernel salts with the parent dentry's address, so it also says under which
 * parent the name was looked up) and the id of every mount crossed. The verifier allows no
 * arithmetic on kernel pointers, hence hashes and ids rather than addresses. Equal shapes are
 * taken for the same path (docs/sensor.md: what this assumes). */
static __always_inline __u64 file_shape(struct task_struct *t, struct file *f)
{
	struct fs_struct *fs = t->fs;
	struct dentry *d = f->f_path.dentry, *root_d = fs->root.dentry;
	struct vfsmount *vm = f->f_path.mnt, *root_m = fs->root.mnt;
	struct mount *m = bpf_rdonly_cast((void *)vm - bpf_core_field_offset(struct mount, mnt),
					  bpf_core_type_id_kernel(struct mount));
	struct dentry *mnt_root = vm->mnt_root;
	__u64 h = mix(0x736861706500ull, m->mnt_id);
	int i;

	for (i = 0; i < SENSOR_PATH_DEPTH; i++) {
		struct dentry *parent;

		if (d == root_d && vm == root_m)
			return mix(h, 1); /* done */
		parent = d->d_parent;
		if (d == mnt_root || d == parent) {
			struct mount *mp = m->mnt_parent;

			if (mp == m)
				return mix(h, 2); /* the global root */
			d = m->mnt_mountpoint;
			m = mp;
			vm = &mp->mnt;
			mnt_root = vm->mnt_root;
			h = mix(mix(h, 4), mp->mnt_id);
			continue;
		}
		h = mix(h, d->d_name.hash_len);
		d = parent;
	}
	return mix(h, 3); /* too deep: truncated, as path_walk() does */
}

/* The slot of a shape: its tag (never 0, the empty slot) and where it lives. */
static __always_inline struct open_cache_slot *cache_slot(__u64 tag)
{
	__u32 i = tag & (OPEN_CACHE_SLOTS - 1);

	return bpf_map_lookup_elem(&open_cache, &i);
}

static __always_inline __u64 slot_check(__u64 tag, __u64 key)
{
	return mix(mix(tag, key), 0x636865636bull);
}

/* A repeated open: the cached key is still in "seen" (counted). */
static __always_inline bool open_seen_before(struct open_cache_slot *c, __u64 tag, __u64 cgroup)
{
	struct sensor_seen_key k = { .cgroup = cgroup };
	__u64 *n;

	if (!c || c->tag != tag)
		return false;
	k.key = c->key;
	if (c->check != slot_check(tag, k.key))
		return false;
	n = bpf_map_lookup_elem(&seen, &k);
	if (!n)
		return false; /* evicted: the slow path decides, and sends it again */
	__sync_fetch_and_add(n, 1);
	return true;
}

/* The pair of slots (i, i + 1) of a shape in a thread's cache (bit 0 of a shape is always 1). */
static __always_inline __u32 task_cache_slot(__u64 shape)
{
	return (shape >> 1) & (TASK_CACHE_SLOTS - 2);
}

static __always_inline bool task_cache_has(struct task_cache *tc, __u64 cgroup, __u64 shape)
{
	__u32 i = task_cache_slot(shape);

	return tc && tc->cgroup == cgroup && (tc->shapes[i] == shape || tc->shapes[i + 1] == shape);
}

/* Remember in the thread's own cache that shape was handled (after the slow path): it goes in
 * front of its pair, the older one moves back, the oldest is forgotten. */
static __always_inline void task_cache_add(struct task_struct *t, __u64 cgroup, __u64 shape)
{
	struct task_cache *tc = bpf_task_storage_get(&task_cache, t, NULL,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);
	__u32 i = task_cache_slot(shape);

	if (!tc)
		return;
	if (tc->cgroup != cgroup) {
		__builtin_memset(tc->shapes, 0, sizeof(tc->shapes));
		tc->cgroup = cgroup;
	}
	tc->shapes[i + 1] = tc->shapes[i];
	tc->shapes[i] = shape;
}

static __always_inline int on_open_exit(struct task_struct *t, long fd)
{
	__u32 zero = 0, tgid = t->tgid;
	struct file *f = fd_file(t, fd);
	struct open_cache_slot *c = NULL;
	bool truncated = false;
	struct sensor_open *e;
	struct task_cache *tc;
	struct scratch *s;
	__u64 cgroup, node, key, shape = 0, tag = 0;
	int pos;
	__u32 len;

	if (!f)
		return 0;
	cgroup = bpf_get_current_cgroup_id();
	if (use_open_cache) {
		shape = file_shape(t, f) | 1; /* 0 is an empty slot */
		tc = bpf_task_storage_get(&task_cache, t, NULL, 0);
		if (task_cache_has(tc, cgroup, shape))
			return 0; /* this thread, this node: handled before */
	}
	node = current_node(tgid);
	if (use_open_cache) {
		tag = mix(mix(mix(cgroup, node), shape), SENSOR_OPEN) | 1;
		c = cache_slot(tag);
		if (open_seen_before(c, tag, cgroup)) {
			task_cache_add(t, cgroup, shape);
			return 0;
		}
	}
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	pos = path_walk(t, f->f_path.dentry, f->f_path.mnt, s->buf, &truncated);
	if (pos < 0 || pos >= 2 * SENSOR_PATH_MAX)
		return 0;
	len = 2 * SENSOR_PATH_MAX - 1 - pos;
	key = hash_scratch_words(mix(node, SENSOR_OPEN), s, pos, len);
	if (c) {
		c->tag = tag;
		c->key = key;
		c->check = slot_check(tag, key);
		task_cache_add(t, cgroup, shape);
	}
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
	e->flags = f->f_flags;
	e->path_len = len;
	bpf_probe_read_kernel(e->path, (len & (SENSOR_PATH_MAX - 1)) + 1,
			      &s->buf[PATH_WALK_POS(pos)]);
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

static __always_inline int on_connect(struct task_struct *t, long fd, void *uaddr)
{
	struct sockaddr_in6 sa = { 0 };
	struct file *f = fd_file(t, fd);
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
		return send_net(bpf_get_current_cgroup_id(), current_node(t->tgid), SENSOR_CONNECT,
				flags, AF_INET, bpf_ntohs(in->sin_port), addr);
	}
	if (sa.sin6_family == AF_INET6) {
		__builtin_memcpy(addr, &sa.sin6_addr, 16);
		return send_net(bpf_get_current_cgroup_id(), current_node(t->tgid), SENSOR_CONNECT,
				flags, AF_INET6, bpf_ntohs(sa.sin6_port), addr);
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
	return send_net(bpf_get_current_cgroup_id(), current_node(t->tgid), SENSOR_LISTEN,
			udp ? SENSOR_PROTO_UDP : 0, family, BPF_CORE_READ(sk, __sk_common.skc_num),
			addr);
}

/* The current task if it is in a container (the cheapest test first: one pointer chase). */
static __always_inline struct task_struct *container_task(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return in_container(t) ? t : NULL;
}

/* --- the preferred set: per-syscall tracepoints ------------------------------------------------ */

static __always_inline int open_exit(long ret)
{
	struct task_struct *t;

	if (hooks_only || ret < 0 || !(t = container_task()))
		return 0;
	return on_open_exit(t, ret);
}

SEC("tp/syscalls/sys_exit_open")
int tp_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_openat")
int tp_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_openat2")
int tp_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* connect(2), listen(2), bind(2) at their exit, whatever they returned (connect and listen)
 * as at their entry before: the exit event has no arguments, they come from the saved user
 * registers. Only exits are hooked: a sys_enter program too would make every system call pay
 * a second time. */
static __always_inline int net_exit(long id, long ret)
{
	struct task_struct *t;
	struct pt_regs *regs;

	if (hooks_only || !(t = container_task()))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (id == NR_CONNECT)
		return on_connect(t, PT_REGS_PARM1_CORE(regs), (void *)PT_REGS_PARM2_CORE(regs));
	if (id == NR_LISTEN)
		return on_listen(t, PT_REGS_PARM1_CORE(regs), false);
	return ret < 0 ? 0 : on_listen(t, PT_REGS_PARM1_CORE(regs), true);
}

SEC("tp/syscalls/sys_exit_connect")
int tp_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return net_exit(NR_CONNECT, ctx->ret);
}

SEC("tp/syscalls/sys_exit_listen")
int tp_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	return net_exit(NR_LISTEN, ctx->ret);
}

SEC("tp/syscalls/sys_exit_bind")
int tp_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	return net_exit(NR_BIND, ctx->ret);
}

/* --- the fallback set: every system call (tp_btf, no tracefs needed) ----------------------------- */

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t;
	long id = regs->orig_ax;

	if (hooks_only)
		return 0;
	if (id == NR_OPEN || id == NR_OPENAT || id == NR_OPENAT2) {
		if (ret < 0 || !(t = container_task()))
			return 0;
		return on_open_exit(t, ret);
	}
	if (id == NR_CONNECT || id == NR_LISTEN || id == NR_BIND)
		return net_exit(id, ret);
	return 0;
}
