/* SPDX-License-Identifier: GPL-2.0 */
/* The path of a dentry as a task sees it, built in BPF: the sensor's file opens
 * (src/sensor/sensor.bpf.c) and file protection's relative paths (src/enforce/files.bpf.c)
 * walk it the same way, so both see the same path for the same file.
 *
 * The includer defines PATH_WALK_MAX (a power of two: bytes of a path kept) and
 * PATH_WALK_DEPTH (components walked), and passes a buffer of at least 3 * PATH_WALK_MAX bytes
 * in a map value (a masked offset plus a bounded length stays inside it). The path is built
 * backwards and ends with the NUL at 2 * PATH_WALK_MAX - 1. */
#pragma once

/* Typed view of a kernel pointer for plain loads (no helper call per field). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

#define PATH_WALK_POS(p) ((p) & (2 * PATH_WALK_MAX - 1))

struct path_walk {
	char *buf;
	struct dentry *d, *root_d;
	struct vfsmount *vm, *root_m;
	struct mount *m;
	int pos;
	bool truncated, done;
};

/* One component of the walk up from a dentry (bpf_loop callback). The pointers are typed, so
 * their fields are plain loads, not helper calls. */
static long path_walk_step(__u64 i, void *data)
{
	struct path_walk *c = data;
	struct dentry *d = c->d;
	struct vfsmount *vm = c->vm;
	struct mount *m = c->m;
	struct dentry *parent = d->d_parent;
	const unsigned char *name;
	__u32 len;
	int pos = c->pos;

	if (d == c->root_d && vm == c->root_m) {
		c->done = true;
		return 1;
	}
	if (d == vm->mnt_root || d == parent) {
		struct mount *mp = m->mnt_parent;

		if (mp == m) {
			c->done = true; /* the global root */
			return 1;
		}
		c->d = m->mnt_mountpoint;
		c->m = mp;
		c->vm = &mp->mnt;
		return 0;
	}
	name = d->d_name.name;
	len = d->d_name.len;
	if (len >= PATH_WALK_MAX || pos < PATH_WALK_MAX + (int)len + 1) {
		c->truncated = true;
		c->done = true;
		return 1;
	}
	pos -= len;
	bpf_probe_read_kernel(&c->buf[PATH_WALK_POS(pos)], len & (PATH_WALK_MAX - 1), name);
	pos--;
	c->buf[PATH_WALK_POS(pos)] = '/';
	c->pos = pos;
	c->d = parent;
	return 0;
}

/* The path of (d, vm) as seen from t's root, built backwards in buf: returns the offset of
 * its first byte. Walks dentries up to the task's root, crossing mounts; *truncated when the
 * path is longer than PATH_WALK_MAX or deeper than PATH_WALK_DEPTH. */
static __always_inline int path_walk(struct task_struct *t, struct dentry *d, struct vfsmount *vm,
				     char *buf, bool *truncated)
{
	struct path_walk c = {
		.buf = buf,
		.d = d,
		.root_d = t->fs->root.dentry,
		.vm = vm,
		.root_m = t->fs->root.mnt,
		.m = bpf_rdonly_cast((void *)vm - bpf_core_field_offset(struct mount, mnt),
				     bpf_core_type_id_kernel(struct mount)),
		.pos = 2 * PATH_WALK_MAX - 1,
	};

	buf[PATH_WALK_POS(c.pos)] = 0;
	bpf_loop(PATH_WALK_DEPTH, path_walk_step, &c, 0);
	*truncated = c.truncated || !c.done;
	if (c.pos == 2 * PATH_WALK_MAX - 1) {
		c.pos--;
		buf[PATH_WALK_POS(c.pos)] = '/';
	}
	return c.pos;
}

/* The file behind t's descriptor fd, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	unsigned long slot;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	slot = (unsigned long)fdt->fd + fd * sizeof(f); /* an array of pointers: a plain address */
	if (bpf_core_field_offset(struct kiocb, ki_filp) == 0) {
		/* a plain load of the slot (a helper call costs more than the rest of a repeated
		 * open): typed as a kernel struct whose first member is a struct file * */
		struct kiocb *k = bpf_rdonly_cast((void *)slot, bpf_core_type_id_kernel(struct kiocb));

		f = k->ki_filp;
	} else {
		bpf_probe_read_kernel(&f, sizeof(f), (void *)slot);
		f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	}
	return f;
}
