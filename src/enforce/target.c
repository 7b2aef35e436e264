/* SPDX-License-Identifier: Apache-2.0 */
/* Finding a container and its allowed executables (target.h). */
#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fs.h"
#include "container/rootfs.h"
#include "exec_fanotify.h"
#include "sensor/learner.h"
#include "target.h"

#define PIDS_MAX 65536

struct proc_match {
	pid_t pid, ppid;
};

static pid_t proc_ppid(pid_t pid)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/stat", (int)pid), *buf = NULL;
	size_t len;
	char *p;
	int ppid = 0;

	if (!path || read_file(path, 4096, &buf, &len) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	sscanf(p + 1, " %*c %d", &ppid);
	return ppid;
}

/* Open t's cgroup directory and a pidfd; t is consumed (released on failure). */
static int target_open(struct protect_target *t, struct protect_target *ret, struct error *err)
{
	struct stat st;
	int r;

	if (!t->id || !t->cgroup_dir) {
		target_release(t);
		return -ENOMEM;
	}
	t->cgroup_fd = open(t->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->cgroup_fd < 0 || fstat(t->cgroup_fd, &st) < 0) {
		r = error_set(err, -errno, "cannot open the container's cgroup %s: %m",
			      t->cgroup_dir);
		target_release(t);
		return r;
	}
	t->cgroup = st.st_ino;
	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0) {
		r = error_set(err, -errno, "pidfd_open(%d): %m", (int)t->pid);
		target_release(t);
		return r;
	}
	*ret = *t;
	return 0;
}

/* The directory of cgroup v2 path cg (from /proc/PID/cgroup): below the unified hierarchy of a
 * hybrid host, or /sys/fs/cgroup on a pure v2 host. */
static char *cgroup_dir(const char *cg)
{
	char *dir = strdup_printf("/sys/fs/cgroup/unified%s", cg);
	struct stat st;

	if (dir && stat(dir, &st) < 0) {
		free(dir);
		dir = strdup_printf("/sys/fs/cgroup%s", cg);
	}
	return dir;
}

int target_find(const char *id, struct protect_target *ret, struct error *err)
{
	_cleanup_free_ struct proc_match *m = calloc(PIDS_MAX, sizeof(*m));
	_cleanup_free_ char *full = NULL, *cgpath = NULL;
	struct protect_target t = { .pidfd = -1, .cgroup_fd = -1 };
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!m || !d) {
		if (d)
			closedir(d);
		return -ENOMEM;
	}
	if (!*id || strlen(id) > 64) {
		closedir(d);
		return error_set(err, -EINVAL, "'%s' is not a container id", id);
	}
	while ((de = readdir(d)) && n < PIDS_MAX) {
		_cleanup_free_ char *cg = NULL, *cid = NULL;
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0 || proc_cgroup_v2(pid, &cg) < 0)
			continue;
		cid = container_id_from_cgroup(cg);
		if (!cid)
			continue;
		if (strncmp(cid, id, strlen(id)) != 0)
			continue;
		if (full && strcmp(full, cid) != 0) {
			closedir(d);
			return error_set(err, -EINVAL, "'%s' names more than one running container",
					 id);
		}
		if (!full) {
			full = TAKE_PTR(cid);
			cgpath = TAKE_PTR(cg);
		}
		m[n++] = (struct proc_match){ .pid = pid, .ppid = proc_ppid(pid) };
	}
	closedir(d);
	if (!full)
		return error_set(err, -ENOENT, "no running container '%s' (looked for its "
				 "cgroup in /proc/*/cgroup)", id);
	for (size_t i = 0; i < n && !t.pid; i++) {
		bool parent_inside = false;

		for (size_t k = 0; k < n; k++)
			parent_inside |= m[k].pid == m[i].ppid;
		if (!parent_inside)
			t.pid = m[i].pid;
	}
	if (!t.pid)
		t.pid = m[0].pid;
	t.id = TAKE_PTR(full);
	t.cgroup_dir = cgroup_dir(cgpath);
	return target_open(&t, ret, err);
}

int target_from_pid(const char *id, pid_t pid, struct protect_target *ret, struct error *err)
{
	struct protect_target t = { .pid = pid, .pidfd = -1, .cgroup_fd = -1 };
	_cleanup_free_ char *cg = NULL;
	int r = proc_cgroup_v2(pid, &cg);

	if (r < 0)
		return error_set(err, r, "no cgroup v2 for process %d: %s", (int)pid, strerror(-r));
	t.id = strdup(id);
	t.cgroup_dir = cgroup_dir(cg);
	return target_open(&t, ret, err);
}

void target_release(struct protect_target *t)
{
	free(t->id);
	free(t->cgroup_dir);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	*t = (struct protect_target){ .pidfd = -1, .cgroup_fd = -1 };
}

struct inode_seen {
	dev_t dev;
	ino_t ino;
};

bool path_is_elf_loader(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld-musl", 7) == 0 ||
	       strncmp(base, "ld.so", 5) == 0 || strncmp(base, "ld64.so", 7) == 0;
}

/* 0: not an ELF file; else its class (1: 32-bit, 2: 64-bit). */
static int elf_class(int fd)
{
	char ident[5];

	if (pread(fd, ident, sizeof(ident), 0) != sizeof(ident) || memcmp(ident, "\177ELF", 4))
		return 0;
	return ident[4];
}

static void layer_fds_close(struct target_root *r)
{
	for (size_t i = 0; r->lower && i < r->rf.n_lower; i++)
		if (r->lower[i] >= 0)
			close(r->lower[i]);
	free(r->lower);
	r->lower = NULL;
	if (r->upper >= 0)
		close(r->upper);
	r->upper = -1;
}

void target_root_release(struct target_root *r)
{
	layer_fds_close(r);
	if (r->fd >= 0)
		close(r->fd);
	rootfs_release(&r->rf);
	*r = (struct target_root){ .fd = -1, .upper = -1 };
}

/* Open r->rf's layer directories (upper, then the lowers top first). */
static int layer_fds_open(struct target_root *r, struct error *err)
{
	if (r->rf.n_lower && !(r->lower = calloc(r->rf.n_lower, sizeof(int))))
		return -ENOMEM;
	for (size_t i = 0; i < r->rf.n_lower; i++)
		r->lower[i] = -1;
	for (size_t i = 0; i < r->rf.n_lower; i++) {
		r->lower[i] = open(r->rf.lower[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r->lower[i] < 0)
			return error_set(err, -errno, "cannot open layer %s: %m", r->rf.lower[i]);
	}
	if (r->rf.upper && (r->upper = open(r->rf.upper, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set(err, -errno, "cannot open layer %s: %m", r->rf.upper);
	return 0;
}

/* The end of opening a root: its layer directories opened, then *ret set, or all released. */
static int root_opened(struct target_root *r, int e, struct target_root *ret, struct error *err)
{
	if (e >= 0)
		e = layer_fds_open(r, err);
	if (e < 0)
		target_root_release(r);
	else
		*ret = *r;
	return e;
}

int target_root_of_pid(pid_t pid, struct target_root *ret, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/root", (int)pid);
	struct target_root r = { .fd = -1, .upper = -1 };
	int e;

	if (!path)
		return -ENOMEM;
	r.fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	e = r.fd < 0 ? error_set(err, -errno, "cannot open the container's root: %m")
		     : rootfs_from_pid(pid, &r.rf, err);
	return root_opened(&r, e, ret, err);
}

int target_root_of_bundle(const char *bundle, struct target_root *ret, struct error *err)
{
	struct target_root r = { .fd = -1, .upper = -1 };
	int e = rootfs_from_bundle(bundle, &r.rf, err);

	if (e >= 0 && (r.fd = open(r.rf.path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		e = error_set(err, -errno, "cannot open rootfs %s: %m", r.rf.path);
	return root_opened(&r, e, ret, err);
}

/* The real file a mapping of path holds: the file in the topmost lower layer that has it. Not
 * found if the container's upper layer has anything at path (copied up, replaced, deleted). */
static int layer_file(const struct target_root *r, const char *path, struct stat *ret)
{
	_cleanup_close_ int upper = r->upper >= 0 ? openat_beneath(r->upper, path + 1, O_PATH) : -1;

	if (upper >= 0)
		return -EEXIST;
	for (size_t i = 0; i < r->rf.n_lower; i++) {
		_cleanup_close_ int fd = openat_beneath(r->lower[i], path + 1, O_PATH);

		if (fd == -ENOENT)
			continue;
		if (fd < 0 || fstat(fd, ret) < 0)
			return fd < 0 ? fd : -errno;
		return S_ISREG(ret->st_mode) ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* Whether the file of e, open through the container's root, is unchanged (hard links share
 * an inode: it is hashed once). */
static int check_content(int fd, const struct entry *e, const struct stat *st,
			 struct inode_seen **seen, size_t *n_seen, size_t *cap, bool *ret_ok)
{
	struct digest d;

	for (size_t k = 0; k < *n_seen; k++)
		if ((*seen)[k].dev == st->st_dev && (*seen)[k].ino == st->st_ino) {
			*ret_ok = true;
			return 0;
		}
	*ret_ok = (uint64_t)st->st_size == e->size && hash_fd(fd, &d) >= 0 &&
		  digest_equal(&d, &e->sha256);
	if (!*ret_ok)
		return 0;
	if (*n_seen == *cap) {
		struct inode_seen *grown = realloc(*seen, (*cap = *cap ? 2 * *cap : 64) *
							  sizeof(**seen));
		if (!grown)
			return -ENOMEM;
		*seen = grown;
	}
	(*seen)[(*n_seen)++] = (struct inode_seen){ st->st_dev, st->st_ino };
	return 0;
}

int target_allow_image(uint64_t cgroup, const struct target_root *root,
		       const struct table *table, struct guard *g, unsigned flags,
		       struct target_allowed *ret, struct error *err)
{
	_cleanup_free_ struct inode_seen *seen = NULL;
	size_t n_seen = 0, cap = 0;
	int r = 0;

	*ret = (struct target_allowed){ 0 };
	for (size_t i = 0; r >= 0 && i < table->n; i++) {
		const struct entry *e = &table->entries[i];
		_cleanup_close_ int fd = -1;
		struct stat st, real;
		bool exec, elf, ok = true;
		int class;

		if (e->type != ENTRY_FILE)
			continue;
		/* The ELF interpreter loads a program's libraries; run as the program itself it
		 * maps and runs any file it is given (`ld.so /tmp/dropped`): not executable
		 * unless the policy says so. The kernel loading it for a dynamic program is
		 * neither an exec of it nor a mapping call. */
		exec = (e->mode & 0111) && ((flags & TARGET_LOADER_AS_PROGRAM) ||
					    !path_is_elf_loader(e->path));
		if (!exec && !strstr(e->path, ".so"))
			continue; /* neither executable nor a library: never mapped executable */
		fd = openat_beneath(root->fd, e->path + 1, O_RDONLY | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			ret->refused += exec;
			continue;
		}
		class = elf_class(fd);
		elf = class != 0;
		if (!exec && !elf)
			continue;
		if (!(flags & TARGET_VERIFIED))
			r = check_content(fd, e, &st, &seen, &n_seen, &cap, &ok);
		if (r < 0 || !ok) {
			ret->refused++;
			continue;
		}
		if (exec) {
			r = guard_allow(g, cgroup, st.st_dev, st.st_ino, GUARD_ALLOW_EXEC);
			ret->executables++;
		}
		/* A mapping of an overlay file holds the real file of its layer; on a plain
		 * directory, the file itself. */
		if (r >= 0 && elf && (!root->rf.overlay || layer_file(root, e->path, &real) >= 0)) {
			const struct stat *m = root->rf.overlay ? &real : &st;

			r = guard_allow(g, cgroup, m->st_dev, m->st_ino, GUARD_ALLOW_MAP);
			ret->mappable++;
			ret->elf32 |= class == 1;
		}
		if (r < 0)
			r = error_set(err, r, "cannot fill the allowed map: %s", strerror(-r));
	}
	return r < 0 ? r : 0;
}

int target_allow_path(const struct target_root *root, uint64_t cgroup, struct guard *g,
		      const char *path, struct error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (path[0] != '/')
		return error_set(err, -EINVAL, "cannot resolve %s in the container", path);
	fd = openat_beneath(root->fd, path + 1, O_PATH);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return error_set(err, fd < 0 ? fd : -EINVAL, "%s is not a regular file in the "
				 "container", path);
	return guard_allow(g, cgroup, st.st_dev, st.st_ino, GUARD_ALLOW_EXEC);
}

int target_from_runc(const char *runc_root, const char *id, struct protect_target *ret,
		     char **ret_rootfs, struct error *err)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	struct protect_target t = { .pidfd = -1, .cgroup_fd = -1 };
	const char *rootfs, *cg;
	json_int_t pid;
	size_t len;
	json_t *j;
	int r;

	if (!*id || strlen(id) > 1024 || strchr(id, '/') || strcmp(id, "..") == 0 ||
	    strcmp(id, ".") == 0)
		return error_set(err, -EINVAL, "'%s' is not a container id", id);
	path = strdup_printf("%s/%s/state.json", runc_root, id);
	if (!path)
		return -ENOMEM;
	r = read_file(path, 4u << 20, &buf, &len);
	if (r < 0)
		return error_set(err, r, "no runc container '%s': %s: %s", id, path, strerror(-r));
	j = json_loadb(buf, len, 0, NULL);
	pid = json_integer_value(json_object_get(j, "init_process_pid"));
	rootfs = json_string_value(json_object_get(json_object_get(j, "config"), "rootfs"));
	cg = json_string_value(json_object_get(json_object_get(j, "cgroup_paths"), ""));
	if (pid <= 0 || pid > INT32_MAX || !rootfs || rootfs[0] != '/' || !cg || cg[0] != '/') {
		json_decref(j);
		return error_set(err, -EBADMSG, "%s: no init_process_pid, config.rootfs or cgroup "
				 "v2 path (cgroup_paths[\"\"])", path);
	}
	t.pid = (pid_t)pid;
	t.id = strdup(id);
	t.cgroup_dir = strdup(cg);
	*ret_rootfs = strdup(rootfs);
	json_decref(j);
	if (!*ret_rootfs) {
		target_release(&t);
		return -ENOMEM;
	}
	r = target_open(&t, ret, err);
	if (r < 0) {
		free(*ret_rootfs);
		*ret_rootfs = NULL;
	}
	return r;
}
