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

int target_find(const char *id, struct protect_target *ret, struct error *err)
{
	_cleanup_free_ struct proc_match *m = calloc(PIDS_MAX, sizeof(*m));
	_cleanup_free_ char *full = NULL, *cgpath = NULL;
	struct protect_target t = { .pidfd = -1, .cgroup_fd = -1 };
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;
	struct stat st;

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
	t.cgroup_dir = strdup_printf("/sys/fs/cgroup/unified%s", cgpath);
	if (t.cgroup_dir && stat(t.cgroup_dir, &st) < 0) { /* a pure v2 host */
		free(t.cgroup_dir);
		t.cgroup_dir = strdup_printf("/sys/fs/cgroup%s", cgpath);
	}
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

static int open_root(const struct protect_target *t)
{
	_cleanup_free_ char *root = strdup_printf("/proc/%d/root", (int)t->pid);

	return root ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -ENOMEM;
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

int target_allow_executables(const struct protect_target *t, const struct table *table,
			     struct guard *g, size_t *ret_allowed, size_t *ret_refused,
			     struct error *err)
{
	_cleanup_close_ int root = open_root(t);
	_cleanup_free_ struct inode_seen *seen = NULL;
	size_t n_seen = 0, cap = 0, refused = 0;
	int r;

	if (root < 0)
		return error_set(err, -errno, "cannot open the container's root: %m");
	for (size_t i = 0; i < table->n; i++) {
		const struct entry *e = &table->entries[i];
		_cleanup_close_ int fd = -1;
		struct digest d;
		struct stat st;
		bool known = false;

		/* The ELF interpreter loads a program's libraries; run as the program itself it
		 * maps and runs any file it is given (`ld.so /tmp/dropped`): not allowed. The
		 * kernel loading it for a dynamic program is not an exec of it. */
		if (e->type != ENTRY_FILE || !(e->mode & 0111) || path_is_elf_loader(e->path))
			continue;
		fd = openat_beneath(root, e->path + 1, O_RDONLY | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			refused++;
			continue;
		}
		/* Hard links share an inode: hash it once it was found good (a copied-up link
		 * keeps the number but the kernel side refuses upper files anyway). */
		for (size_t k = 0; k < n_seen && !known; k++)
			known = seen[k].dev == st.st_dev && seen[k].ino == st.st_ino;
		if (known)
			continue;
		if ((uint64_t)st.st_size != e->size || hash_fd(fd, &d) < 0 ||
		    !digest_equal(&d, &e->sha256)) {
			refused++;
			continue;
		}
		r = guard_allow_exec(g, t->cgroup, st.st_dev, st.st_ino);
		if (r < 0)
			return error_set(err, r, "cannot fill the allowed map: %s", strerror(-r));
		if (n_seen == cap) {
			struct inode_seen *grown = realloc(seen, (cap = cap ? 2 * cap : 64) *
								 sizeof(*seen));
			if (!grown)
				return -ENOMEM;
			seen = grown;
		}
		seen[n_seen++] = (struct inode_seen){ st.st_dev, st.st_ino };
	}
	*ret_allowed = n_seen;
	*ret_refused = refused;
	return 0;
}

int target_allow_path(const struct protect_target *t, struct guard *g, const char *path,
		      struct error *err)
{
	_cleanup_close_ int root = open_root(t), fd = -1;
	struct stat st;

	if (root < 0 || path[0] != '/')
		return error_set(err, -EINVAL, "cannot resolve %s in the container", path);
	fd = openat_beneath(root, path + 1, O_PATH);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return error_set(err, fd < 0 ? fd : -EINVAL, "%s is not a regular file in the "
				 "container", path);
	return guard_allow_exec(g, t->cgroup, st.st_dev, st.st_ino);
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
