// SPDX-License-Identifier: GPL-2.0
/* The kernel side of file protection (docs/files.md): one tp/syscalls/sys_exit_<name> program
 * per file-modifying syscall reports it for a protected container — whether it succeeded
 * (monitor mode: the file was changed) or failed with EROFS (enforce mode: the read-only bind
 * mount refused it), EACCES, EPERM or ETXTBSY. Read-only opens are never reported.
 *
 * Cost: only the listed syscalls run a program (read, write, close... never do); it looks the
 * cgroup up in a hash first and only then reads the syscall's arguments (from the task's saved
 * user registers). A syscall this kernel or architecture lacks has no tracepoint: user space
 * does not load that program.
 *
 * Who owns what: nothing is pinned; the maps live as long as the imprint process that loaded
 * them (files.c fills "files_protected" per container). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "files.h"

#define PATH_WALK_MAX FILES_DIR_MAX
#define PATH_WALK_DEPTH 40
#include "bpf/path_walk.bpf.h"

#define EPERM 1
#define EACCES 13
#define ETXTBSY 26
#define EROFS 30
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000
#define AT_FDCWD -100

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILES_CONTAINERS_MAX);
	__type(key, __u64);
	__type(value, __u32);
} files_protected SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} files_events SEC(".maps");

struct walk_buf {
	char buf[3 * FILES_DIR_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_buf);
} files_scratch SEC(".maps");

__u64 files_lost = 0;

/* The format of every syscalls:sys_exit_<name> event. */
struct files_exit_ctx {
	unsigned long long ent;
	int nr;
	int pad;
	long ret;
};

static __always_inline void read_path(char *dst, unsigned long user)
{
	if (!user || bpf_probe_read_user_str(dst, FILES_PATH_MAX, (const void *)user) < 0)
		dst[0] = '\0';
}

/* Where the relative path of an event starts (the cwd for AT_FDCWD, else the file of dfd),
 * into out; "" if unknown. */
static __always_inline void start_dir(struct task_struct *t, int dfd, const char *path, char *out,
				      struct walk_buf *w)
{
	struct dentry *d;
	struct vfsmount *vm;
	struct file *f;
	bool truncated = false;
	int pos;
	__u32 len;

	out[0] = '\0';
	if (path[0] == '/')
		return;
	if (dfd == AT_FDCWD) {
		d = t->fs->pwd.dentry;
		vm = t->fs->pwd.mnt;
	} else {
		f = fd_file(t, dfd);
		if (!f)
			return;
		d = f->f_path.dentry;
		vm = f->f_path.mnt;
	}
	pos = path_walk(t, d, vm, w->buf, &truncated);
	if (truncated || pos < 0 || pos >= 2 * FILES_DIR_MAX)
		return;
	len = 2 * FILES_DIR_MAX - 1 - pos;
	bpf_probe_read_kernel(out, (len & (FILES_DIR_MAX - 1)) + 1, &w->buf[PATH_WALK_POS(pos)]);
}

static __always_inline bool interesting(long ret)
{
	return ret >= 0 || ret == -EROFS || ret == -EACCES || ret == -EPERM || ret == -ETXTBSY;
}

static __always_inline int on_exit(struct files_exit_ctx *ctx, __u32 k)
{
	unsigned long a0, a1, a2, a3;
	struct task_struct *t = bpf_get_current_task_btf();
	struct files_event *e;
	struct walk_buf *w;
	struct pt_regs *regs;
	__u32 zero = 0;
	__u32 flags = 0;
	__u64 cgroup;
	long ret = ctx->ret;

	if (!interesting(ret))
		return 0;
	cgroup = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&files_protected, &cgroup))
		return 0;
	/* A BTF pointer: its fields are read directly (no helper call per register). */
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (k == FILES_SC_OPEN)
		flags = (__u32)PT_REGS_PARM2_SYSCALL(regs);
	else if (k == FILES_SC_OPENAT)
		flags = (__u32)PT_REGS_PARM3_SYSCALL(regs);
	else if (k == FILES_SC_OPENAT2 &&
		 bpf_probe_read_user(&flags, sizeof(flags),
				     (const void *)PT_REGS_PARM3_SYSCALL(regs)) < 0)
		flags = 0;
	else if (k == FILES_SC_CREAT)
		flags = O_WRONLY | O_CREAT | O_TRUNC;
	if ((k == FILES_SC_OPEN || k == FILES_SC_OPENAT || k == FILES_SC_OPENAT2) &&
	    !(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)))
		return 0; /* a read */
	a0 = PT_REGS_PARM1_SYSCALL(regs);
	a1 = PT_REGS_PARM2_SYSCALL(regs);
	a2 = PT_REGS_PARM3_SYSCALL(regs);
	a3 = PT_REGS_PARM4_SYSCALL(regs);

	e = bpf_ringbuf_reserve(&files_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&files_lost, 1);
		return 0;
	}
	e->cgroup = cgroup;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->ret = (int)ret;
	e->nr = (__u32)ctx->nr;
	e->kind = k;
	e->flags = flags;
	e->dfd[0] = AT_FDCWD;
	e->dfd[1] = AT_FDCWD;
	e->path[0][0] = '\0';
	e->path[1][0] = '\0';
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	switch (k) {
	case FILES_SC_OPEN:
	case FILES_SC_CREAT:
	case FILES_SC_PATH:
		read_path(e->path[0], a0);
		break;
	case FILES_SC_OPENAT:
	case FILES_SC_OPENAT2:
	case FILES_SC_AT:
		e->dfd[0] = (int)a0;
		read_path(e->path[0], a1);
		break;
	case FILES_SC_PATH2:
		read_path(e->path[0], a0);
		read_path(e->path[1], a1);
		break;
	case FILES_SC_AT2:
		e->dfd[0] = (int)a0;
		read_path(e->path[0], a1);
		e->dfd[1] = (int)a2;
		read_path(e->path[1], a3);
		break;
	case FILES_SC_SYMLINKAT:
		e->dfd[1] = (int)a1;
		read_path(e->path[1], a2);
		break;
	case FILES_SC_FD:
		e->dfd[0] = (int)a0;
		break;
	}
	w = bpf_map_lookup_elem(&files_scratch, &zero);
	if (w) {
		start_dir(t, e->dfd[0], e->path[0], e->dir[0], w);
		e->dir[1][0] = '\0';
		if (k == FILES_SC_PATH2 || k == FILES_SC_AT2 || k == FILES_SC_SYMLINKAT)
			start_dir(t, e->dfd[1], e->path[1], e->dir[1], w);
	} else {
		e->dir[0][0] = e->dir[1][0] = '\0';
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#define EXIT(name, kind)                                              \
	SEC("tp/syscalls/sys_exit_" #name)                            \
	int files_exit_##name(struct files_exit_ctx *ctx)             \
	{                                                             \
		return on_exit(ctx, FILES_SC_##kind);                 \
	}

EXIT(open, OPEN)
EXIT(creat, CREAT)
EXIT(truncate, PATH)
EXIT(unlink, PATH)
EXIT(rmdir, PATH)
EXIT(mkdir, PATH)
EXIT(mknod, PATH)
EXIT(chmod, PATH)
EXIT(chown, PATH)
EXIT(lchown, PATH)
EXIT(rename, PATH2)
EXIT(link, PATH2)
EXIT(symlink, PATH2)
EXIT(utime, PATH)
EXIT(utimes, PATH)
EXIT(futimesat, AT)
EXIT(openat, OPENAT)
EXIT(openat2, OPENAT2)
EXIT(unlinkat, AT)
EXIT(mkdirat, AT)
EXIT(mknodat, AT)
EXIT(fchmodat, AT)
EXIT(fchmodat2, AT)
EXIT(fchownat, AT)
EXIT(renameat, AT2)
EXIT(renameat2, AT2)
EXIT(linkat, AT2)
EXIT(symlinkat, SYMLINKAT)
EXIT(setxattr, PATH)
EXIT(lsetxattr, PATH)
EXIT(removexattr, PATH)
EXIT(lremovexattr, PATH)
EXIT(utimensat, AT)
EXIT(fchmod, FD)
EXIT(fchown, FD)
EXIT(fsetxattr, FD)
EXIT(fremovexattr, FD)
