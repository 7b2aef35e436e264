// SPDX-License-Identifier: GPL-2.0
/* The kernel side of runtime enforcement (docs/protect.md). Only program types that load on
 * our kernels (DESIGN.md 5): tp_btf for exec, syscall tracepoints for files mapped executable,
 * cgroup/connect and cgroup/sendmsg for the network.
 *
 * Who owns what: every map is pinned by name under the pin directory (/sys/fs/bpf/imprint)
 * and so outlives the process that created it; user space (guard.c) fills "guard_protected",
 * "guard_allowed" and "guard_net" per container and removes a container's entries when it
 * stops protecting it on purpose. Nothing here allocates per process.
 *
 * Which cgroup: bpf_get_current_cgroup_id() is the task's cgroup in the v2 (unified)
 * hierarchy, even when v1 controllers are mounted too: here podman's containers are
 * /sys/fs/cgroup/unified/libpod_parent/libpod-<id>, and the id is that directory's inode
 * number. Processes in a child cgroup of the container are not matched (the container would
 * need write access to the unified hierarchy to make one). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "enforce.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_ICMPV6 58 /* a define in the kernel, not in vmlinux.h */
#define SIGKILL 9
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define EBUSY 16
#define PROT_EXEC 0x4
#define VM_EXEC 0x4
#define TS_COMPAT 0x2                 /* x86 thread_info.status: a 32-bit syscall */
#define TIF_32BIT 22                  /* arm64 thread_info.flags: a 32-bit task */
#define MAP_VMAS_MAX 16               /* mappings of one call looked at, beyond: unverified */
#define MAP_LOOKUP_TRIES 8            /* bpf_find_vma tries while mmap_lock is contended */

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_CONTAINERS_MAX);
	__type(key, __u64);
	__type(value, struct guard_container);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} guard_protected SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_ALLOWED_MAX);
	__type(key, struct guard_exec_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} guard_allowed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_CONTAINERS_MAX);
	__type(key, __u64);
	__type(value, struct guard_net_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} guard_net SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} guard_events SEC(".maps");

/* Events that did not fit in the ring buffer (the decision was still made). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} guard_lost SEC(".maps");

static __always_inline struct guard_event *event_new(__u32 type, __u64 cgroup, __u32 mode)
{
	struct guard_event *e = bpf_ringbuf_reserve(&guard_events, sizeof(*e), 0);
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;

	if (!e) {
		__u64 *lost = bpf_map_lookup_elem(&guard_lost, &zero);

		if (lost)
			__sync_fetch_and_add(lost, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->mode = mode;
	e->cgroup = cgroup;
	e->time_ns = bpf_ktime_get_boot_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(t, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* Runs after the new program is mapped and before its first instruction: a SIGKILL sent here
 * is delivered on the way back to user space. bprm->file is the program itself (for a script,
 * its interpreter: the script file is only seen by fanotify). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(guard_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	struct guard_container *c = bpf_map_lookup_elem(&guard_protected, &cgroup);
	struct guard_exec_key key = { .cgroup = cgroup };
	struct inode *inode;
	struct super_block *sb;
	struct guard_event *e;
	__u32 flags = 0;
	__u8 *allowed;

	if (!c || !(c->mode & GUARD_MODE_MASK))
		return 0;
	inode = BPF_CORE_READ(bprm, file, f_inode);
	sb = BPF_CORE_READ(inode, i_sb);
	key.dev = BPF_CORE_READ(sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	if (BPF_CORE_READ(sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		/* The overlay's own inode: a file with an upper dentry was copied up (and maybe
		 * changed) or created in the container; it keeps the lower file's inode number, so
		 * the number alone cannot tell. */
		struct ovl_inode *oi = (void *)((char *)inode -
						bpf_core_field_offset(struct ovl_inode, vfs_inode));

		if (BPF_CORE_READ(oi, __upperdentry))
			flags |= GUARD_EXEC_UPPER;
	} else {
		flags |= GUARD_EXEC_NOT_OVERLAY;
	}
	allowed = bpf_map_lookup_elem(&guard_allowed, &key);
	if (!(flags & GUARD_EXEC_UPPER) && allowed && (*allowed & GUARD_ALLOW_EXEC))
		return 0;
	if ((c->mode & GUARD_MODE_MASK) == GUARD_ENFORCE) {
		bpf_send_signal(SIGKILL);
		flags |= GUARD_EXEC_KILLED;
	}
	e = event_new(GUARD_EV_EXEC, cgroup, c->mode & GUARD_MODE_MASK);
	if (!e)
		return 0;
	e->flags = flags;
	e->dev = key.dev;
	e->ino = key.ino;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Files mapped executable. mmap, mprotect and pkey_mprotect are judged when they return, on
 * what is mapped then (not on the fd or the address they were given, which another thread
 * may change in between): every mapping of the range that is executable and backed by a file
 * must be an allowed ELF file of the image. A mapping of an overlay file holds the real file
 * of the layer it comes from, so the allowed set keys those (GUARD_ALLOW_MAP); a file of the
 * container's upper layer, a volume or a memfd is never in it. Memory made executable that is
 * no file (JIT code) is not judged (docs/protect.md). The SIGKILL is delivered before the
 * call returns to user space, so no instruction of the mapping runs.
 *
 * The per-syscall tracepoints: only these calls run a program (the others pay only the slow
 * syscall path every syscall tracepoint puts them on). They do not see 32-bit calls; guard_map32
 * below does, on raw_syscalls/sys_exit, attached only where an image has 32-bit programs. */
struct map_check {
	struct task_struct *task;
	__u64 cgroup;
	__u64 addr, end; /* what is left to look at */
	__u64 next;      /* the end of the mapping looked at */
	__u32 busy;      /* lookups refused while mmap_lock was taken */
	__u32 dev;       /* the first file not allowed */
	__u64 ino;
	__u32 flags;
	bool bad;
	char name[64];
};

/* A call that asked for PROT_EXEC, between its entry and its return: thread -> its range. */
struct map_call {
	__u64 start, len;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct map_call);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} guard_map_calls SEC(".maps");

static long map_check_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct map_check *m = data;
	struct guard_exec_key key = { .cgroup = m->cgroup };
	struct file *f = BPF_CORE_READ(vma, vm_file);
	__u8 *allowed;

	m->next = BPF_CORE_READ(vma, vm_end);
	if (!(BPF_CORE_READ(vma, vm_flags) & VM_EXEC) || !f)
		return 0;
	key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(f, f_inode, i_ino);
	allowed = bpf_map_lookup_elem(&guard_allowed, &key);
	if (allowed && (*allowed & GUARD_ALLOW_MAP))
		return 0;
	if (!m->bad) {
		m->bad = true;
		m->dev = key.dev;
		m->ino = key.ino;
		bpf_probe_read_kernel_str(m->name, sizeof(m->name),
					  BPF_CORE_READ(f, f_path.dentry, d_name.name));
	}
	return 0;
}

/* One lookup of the mapping at m->addr (bpf_loop callback): 1 when done. */
static long map_walk_step(__u64 i, void *data)
{
	struct map_check *m = data;
	long r = bpf_find_vma(m->task, m->addr, map_check_vma, m, 0);

	if (r == -EBUSY && ++m->busy < MAP_LOOKUP_TRIES)
		return 0;
	if (r < 0) {
		/* Contended, or unmapped by another thread since: cannot tell. */
		m->bad = true;
		m->flags |= GUARD_MAP_UNVERIFIED;
		return 1;
	}
	m->addr = m->next;
	return m->bad || m->addr >= m->end;
}

/* The container's exec mode if its mappings are checked, else 0. */
static __always_inline __u32 maps_mode(__u64 cgroup)
{
	struct guard_container *c = bpf_map_lookup_elem(&guard_protected, &cgroup);

	return c && (c->mode & GUARD_MAPS_CHECKED) ? c->mode & GUARD_MODE_MASK : 0;
}

/* Report (and, enforcing, kill) the current task for what m found. */
static __always_inline void map_refuse(struct map_check *m, __u32 mode)
{
	struct guard_event *e;

	if (mode == GUARD_ENFORCE) {
		bpf_send_signal(SIGKILL);
		m->flags |= GUARD_EXEC_KILLED;
	}
	e = event_new(GUARD_EV_MAP, m->cgroup, mode);
	if (!e)
		return;
	e->flags = m->flags;
	e->dev = m->dev;
	e->ino = m->ino;
	__builtin_memcpy(e->path, m->name, sizeof(m->name));
	bpf_ringbuf_submit(e, 0);
}

/* Judge start..start+len (len 0: the mapping at start) in the current task. */
static __always_inline int map_judge(__u64 cgroup, __u32 mode, __u64 start, __u64 len)
{
	struct map_check m = { .cgroup = cgroup, .addr = start, .end = start + (len ?: 1) };

	m.task = bpf_get_current_task_btf();
	bpf_loop(MAP_VMAS_MAX + MAP_LOOKUP_TRIES, map_walk_step, &m, 0);
	if (!m.bad && m.addr < m.end) {
		m.bad = true;
		m.flags |= GUARD_MAP_UNVERIFIED;
	}
	if (m.bad)
		map_refuse(&m, mode);
	return 0;
}

static __always_inline int map_enter(__u64 start, __u64 len, __u64 prot)
{
	struct map_call call = { .start = start, .len = len };
	__u64 cgroup, thread;
	__u32 mode;

	if (!(prot & PROT_EXEC))
		return 0;
	cgroup = bpf_get_current_cgroup_id();
	mode = maps_mode(cgroup);
	if (!mode)
		return 0;
	thread = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&guard_map_calls, &thread, &call, BPF_ANY) < 0) {
		/* no room to remember it: it could not be judged when it returns */
		struct map_check m = { .cgroup = cgroup, .flags = GUARD_MAP_UNVERIFIED };

		map_refuse(&m, mode);
	}
	return 0;
}

/* mmap: ret is where it mapped; mprotect: 0 or an error. */
static __always_inline int map_exit(long ret, bool mmap)
{
	__u64 thread = bpf_get_current_pid_tgid(), cgroup;
	struct map_call *p = bpf_map_lookup_elem(&guard_map_calls, &thread);
	struct map_call call;
	__u32 mode;

	if (!p)
		return 0;
	call = *p;
	bpf_map_delete_elem(&guard_map_calls, &thread);
	cgroup = bpf_get_current_cgroup_id();
	mode = maps_mode(cgroup);
	if (ret < 0 || !mode)
		return 0;
	return map_judge(cgroup, mode, mmap ? (__u64)ret : call.start, mmap ? 0 : call.len);
}

SEC("tp/syscalls/sys_enter_mmap")
int guard_mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	return map_enter(0, ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_exit_mmap")
int guard_mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	return map_exit(ctx->ret, true);
}

SEC("tp/syscalls/sys_enter_mprotect")
int guard_mprotect_enter(struct trace_event_raw_sys_enter *ctx)
{
	return map_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_exit_mprotect")
int guard_mprotect_exit(struct trace_event_raw_sys_exit *ctx)
{
	return map_exit(ctx->ret, false);
}

SEC("tp/syscalls/sys_enter_pkey_mprotect")
int guard_pkey_mprotect_enter(struct trace_event_raw_sys_enter *ctx)
{
	return map_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_exit_pkey_mprotect")
int guard_pkey_mprotect_exit(struct trace_event_raw_sys_exit *ctx)
{
	return map_exit(ctx->ret, false);
}

/* 32-bit mmap2, old_mmap, mprotect and pkey_mprotect (a 32-bit program, or int 0x80 from a
 * 64-bit one), which the per-syscall tracepoints skip: judged at raw_syscalls/sys_exit, which
 * runs for every system call of the host, so it is attached only while a protected image has
 * 32-bit ELF programs (a 64-bit image's processes could make these calls only by running
 * machine code of their own, which anonymous memory runs anyway: docs/protect.md). */
SEC("tp_btf/sys_exit")
int BPF_PROG(guard_map32, struct pt_regs *regs, long ret)
{
	__u64 start, len, prot, cgroup;
	__u32 mode;
	long nr;

#if defined(__TARGET_ARCH_x86)
	nr = regs->orig_ax;
	if (nr != 192 && nr != 90 && nr != 125 && nr != 380)
		return 0;
	if (!(bpf_get_current_task_btf()->thread_info.status & TS_COMPAT))
		return 0;
	start = (__u32)regs->bx;
	len = (__u32)regs->cx;
	prot = (__u32)regs->dx;
#elif defined(__TARGET_ARCH_arm64)
	nr = regs->syscallno;
	if (nr != 192 && nr != 125 && nr != 394)
		return 0;
	if (!(bpf_get_current_task_btf()->thread_info.flags & (1UL << TIF_32BIT)))
		return 0;
	start = (__u32)regs->orig_x0;
	len = (__u32)regs->regs[1];
	prot = (__u32)regs->regs[2];
#else
#error "guard_map32: the 32-bit system calls of this architecture"
#endif
	if (nr == 192 /* mmap2 */ || nr == 90 /* old_mmap: its arguments are in memory */) {
		start = ret;
		len = 0;
		prot = PROT_EXEC; /* the mapping's own flags tell */
	}
	if (ret < 0 || !(prot & PROT_EXEC))
		return 0;
	cgroup = bpf_get_current_cgroup_id();
	mode = maps_mode(cgroup);
	return mode ? map_judge(cgroup, mode, start, len) : 0;
}

static __always_inline bool rule_matches(const struct guard_net_rule *r, __u16 family,
					 __u8 proto, __u16 port, const __u32 *addr)
{
	__u32 bits = r->prefix;

	if (r->family != family || (r->proto && r->proto != proto) || port < r->port_lo ||
	    port > r->port_hi)
		return false;
	for (int w = 0; w < 4; w++) {
		__u32 a, want, mask;

		if (bits == 0)
			break;
		__builtin_memcpy(&want, &r->addr[w * 4], 4);
		a = addr[w];
		mask = bits >= 32 ? 0xffffffff : bpf_htonl(~((1u << (32 - bits)) - 1));
		if ((a & mask) != (want & mask))
			return false;
		bits = bits >= 32 ? bits - 32 : 0;
	}
	return true;
}

/* 1: let it through; 0: EPERM. */
static __always_inline int net_check(struct bpf_sock_addr *ctx, __u16 family, __u32 type)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	struct guard_net_policy *pol = bpf_map_lookup_elem(&guard_net, &cgroup);
	__u32 addr[4] = {};
	__u16 port = bpf_ntohs(ctx->user_port);
	__u8 proto = ctx->protocol;
	struct guard_event *e;

	if (!pol || !(pol->mode & GUARD_NET_MODE_MASK))
		return 1;
	if (family == AF_INET) {
		addr[0] = ctx->user_ip4;
	} else {
		addr[0] = ctx->user_ip6[0];
		addr[1] = ctx->user_ip6[1];
		addr[2] = ctx->user_ip6[2];
		addr[3] = ctx->user_ip6[3];
		/* ::ffff:a.b.c.d is an IPv4 destination */
		if (addr[0] == 0 && addr[1] == 0 && addr[2] == bpf_htonl(0xffff)) {
			family = AF_INET;
			addr[0] = addr[3];
			addr[2] = addr[3] = 0;
		}
	}
	for (__u32 i = 0; i < GUARD_NET_RULES_MAX; i++) {
		if (i >= pol->n)
			break;
		if (rule_matches(&pol->rules[i], family, proto, port, addr))
			return 1;
	}
	e = event_new(type, cgroup, pol->mode & GUARD_NET_MODE_MASK);
	if (e) {
		e->family = family;
		e->port = port;
		e->proto = proto;
		__builtin_memcpy(e->addr, addr, 16);
		if ((pol->mode & GUARD_NET_MODE_MASK) == GUARD_ENFORCE)
			e->flags |= GUARD_NET_DENIED;
		bpf_ringbuf_submit(e, 0);
	}
	return (pol->mode & GUARD_NET_MODE_MASK) == GUARD_ENFORCE ? 0 : 1;
}

SEC("cgroup/connect4")
int guard_connect4(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, AF_INET, GUARD_EV_CONNECT);
}

SEC("cgroup/connect6")
int guard_connect6(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, AF_INET6, GUARD_EV_CONNECT);
}

SEC("cgroup/sendmsg4")
int guard_sendmsg4(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, AF_INET, GUARD_EV_SENDMSG);
}

SEC("cgroup/sendmsg6")
int guard_sendmsg6(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, AF_INET6, GUARD_EV_SENDMSG);
}

/* Raw and ICMP datagram ("ping") sockets: their sends run no cgroup sendmsg hook, so in a
 * container with network rules they are refused when they are made, unless the policy entry
 * allows them (GUARD_NET_RAW_OK). Runs for AF_INET and AF_INET6 sockets. */
SEC("cgroup/sock_create")
int guard_sock_create(struct bpf_sock *sk)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	struct guard_net_policy *pol = bpf_map_lookup_elem(&guard_net, &cgroup);
	__u32 mode = pol ? pol->mode & GUARD_NET_MODE_MASK : 0;
	__u32 type = sk->type, proto = sk->protocol;
	struct guard_event *e;

	if (!mode || (pol->mode & GUARD_NET_RAW_OK))
		return 1;
	if (type != SOCK_RAW && !(type == SOCK_DGRAM && (proto == IPPROTO_ICMP ||
							 proto == IPPROTO_ICMPV6)))
		return 1;
	e = event_new(GUARD_EV_SOCKET, cgroup, mode);
	if (e) {
		e->family = sk->family;
		e->proto = proto;
		e->port = type;
		if (mode == GUARD_ENFORCE)
			e->flags |= GUARD_NET_DENIED;
		bpf_ringbuf_submit(e, 0);
	}
	return mode == GUARD_ENFORCE ? 0 : 1;
}
