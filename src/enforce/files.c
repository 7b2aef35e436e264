/* SPDX-License-Identifier: Apache-2.0 */
/* File protection (files.h, docs/files.md): read-only bind mounts of the image's directories in
 * the container's mount namespace, and the reports of files.bpf.c turned into alerts.
 *
 * The mounts are made by a forked child: setns() into a mount namespace is refused to a
 * process whose fs_struct is shared with other threads, and protect has threads by then. The
 * child only makes syscalls and reports each result's errno through a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "basic/fs.h"
#include "basic/kernelfs.h"
#include "files.h"
#include "files.skel.h"

static const char *const default_paths[] = {
	"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/etc",
};

struct files {
	enum files_mode mode;
	char *paths[FILES_PATHS_MAX];
	size_t n_paths;
	char *writable[FILES_PATHS_MAX];
	size_t n_writable;
	struct alert_queue *alerts;
	bool json;
	char *id;
	pid_t pid;
	uint64_t cgroup;
	int nsfd;   /* the container's mount namespace, while mounts are made or removed */
	int rootfd; /* its root (O_PATH), for resolving reported paths */
	dev_t root_dev;
	unsigned ours[FILES_PATHS_MAX]; /* read-only mounts of ours on paths[i] */
	struct files_bpf *skel;
	struct ring_buffer *rb;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	struct files_stats st;
	_Atomic uint64_t events, alerts_n;
};

/* The modifying syscalls, by how their arguments are laid out. follow: the kernel follows a
 * symlink in the last component; second: only the second path is modified (link, symlink). */
struct files_syscall {
	long nr;
	unsigned kind;
	const char *name;
	bool follow, second;
};

#define SC(n, k, f, s) { SYS_##n, FILES_SC_##k, #n, f, s }
static const struct files_syscall syscalls[] = {
#ifdef SYS_open
	SC(open, OPEN, true, false),
	SC(creat, CREAT, true, false),
	SC(truncate, PATH, true, false),
	SC(unlink, PATH, false, false),
	SC(rmdir, PATH, false, false),
	SC(mkdir, PATH, false, false),
	SC(mknod, PATH, false, false),
	SC(chmod, PATH, true, false),
	SC(chown, PATH, true, false),
	SC(lchown, PATH, false, false),
	SC(rename, PATH2, false, false),
	SC(link, PATH2, false, true),
	SC(symlink, PATH2, false, true),
	SC(utime, PATH, true, false),
	SC(utimes, PATH, true, false),
	SC(futimesat, AT, true, false),
#endif
	SC(openat, OPENAT, true, false),
#ifdef SYS_openat2
	SC(openat2, OPENAT2, true, false),
#endif
	SC(unlinkat, AT, false, false),
	SC(mkdirat, AT, false, false),
	SC(mknodat, AT, false, false),
	SC(fchmodat, AT, true, false),
#ifdef SYS_fchmodat2
	SC(fchmodat2, AT, true, false),
#endif
	SC(fchownat, AT, true, false),
	SC(renameat, AT2, false, false),
	SC(renameat2, AT2, false, false),
	SC(linkat, AT2, false, true),
	SC(symlinkat, SYMLINKAT, false, true),
	SC(setxattr, PATH, true, false),
	SC(lsetxattr, PATH, false, false),
	SC(removexattr, PATH, true, false),
	SC(lremovexattr, PATH, false, false),
	SC(utimensat, AT, true, false),
	SC(fchmod, FD, true, false),
	SC(fchown, FD, true, false),
	SC(fsetxattr, FD, true, false),
	SC(fremovexattr, FD, true, false),
};

int files_mode_from_string(const char *s, enum files_mode *ret)
{
	if (strcmp(s, "enforce") == 0)
		*ret = FILES_ENFORCE;
	else if (strcmp(s, "monitor") == 0)
		*ret = FILES_MONITOR;
	else if (strcmp(s, "off") == 0)
		*ret = FILES_OFF;
	else
		return -EINVAL;
	return 0;
}

const char *files_mode_to_string(enum files_mode m)
{
	return m == FILES_ENFORCE ? "enforce" : m == FILES_MONITOR ? "monitor" : "off";
}

static const struct files_syscall *syscall_find(unsigned nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++)
		if (syscalls[i].nr == (long)nr)
			return &syscalls[i];
	return NULL;
}

static bool path_at_or_below(const char *path, const char *dir)
{
	return strcmp(path, dir) == 0 || path_is_below(path, dir);
}

/* ---- read-only mounts ---------------------------------------------------------------- */

static int safe_close(int fd)
{
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Count, for each protected path, the read-only bind mounts of ours on it: mount point and
 * mount root are that path, on the root file system's device (a previous run's, or ours). */
static int count_ours(struct files *f)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/mountinfo", (int)f->pid);
	_cleanup_free_ char *line = NULL;
	char root_dev[32] = "";
	size_t cap = 0;
	FILE *in;

	if (!path)
		return -ENOMEM;
	in = fopen(path, "re");
	if (!in)
		return -errno;
	memset(f->ours, 0, sizeof(f->ours));
	while (getline(&line, &cap, in) > 0) {
		char dev[32], root[PATH_MAX], point[PATH_MAX], opts[256];

		if (sscanf(line, "%*u %*u %31s %4095s %4095s %255s", dev, root, point, opts) != 4)
			continue;
		if (strcmp(point, "/") == 0) {
			snprintf(root_dev, sizeof(root_dev), "%s", dev);
			continue;
		}
		if (strcmp(dev, root_dev) != 0 || strcmp(root, point) != 0 ||
		    strncmp(opts, "ro", 2) != 0 || (opts[2] != ',' && opts[2] != '\0'))
			continue;
		for (size_t i = 0; i < f->n_paths; i++)
			if (strcmp(point, f->paths[i]) == 0)
				f->ours[i]++;
	}
	fclose(in);
	return 0;
}

/* Is path a real directory (not a symlink) in the container? */
static bool is_dir_in_container(struct files *f, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS };
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, f->rootfd, path, &how, sizeof(how));
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The child: in the container's mount namespace, clone the writable paths (still writable),
 * put a read-only clone of each protected directory (with its submounts, which keep their own
 * flags) over it, then the writable clones back on top. res[i]: errno of paths[i],
 * res[FILES_PATHS_MAX + j]: of writable[j]. Only syscalls here (we are a fork of a threaded
 * process). */
static void mount_child(struct files *f, const bool *todo, const bool *keep, int *res)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int wfd[FILES_PATHS_MAX];
	const unsigned clone = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;

	if (setns(f->nsfd, CLONE_NEWNS) < 0) {
		for (size_t i = 0; i < FILES_PATHS_MAX; i++)
			res[i] = errno;
		return;
	}
	for (size_t j = 0; j < f->n_writable; j++) {
		wfd[j] = keep[j] ? open_tree(AT_FDCWD, f->writable[j], clone | AT_SYMLINK_NOFOLLOW)
				 : -1;
		res[FILES_PATHS_MAX + j] = keep[j] && wfd[j] < 0 ? errno : 0;
	}
	for (size_t i = 0; i < f->n_paths; i++) {
		int fd;

		if (!todo[i])
			continue;
		fd = open_tree(AT_FDCWD, f->paths[i], clone | AT_SYMLINK_NOFOLLOW);
		if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0 ||
		    move_mount(fd, "", AT_FDCWD, f->paths[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			res[i] = errno;
		if (fd >= 0)
			close(fd);
	}
	for (size_t j = 0; j < f->n_writable; j++)
		if (wfd[j] >= 0 &&
		    move_mount(wfd[j], "", AT_FDCWD, f->writable[j], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			res[FILES_PATHS_MAX + j] = errno;
}

static void umount_child(struct files *f, int *res)
{
	if (setns(f->nsfd, CLONE_NEWNS) < 0) {
		res[0] = errno;
		return;
	}
	for (size_t i = 0; i < f->n_paths; i++)
		for (unsigned k = 0; k < f->ours[i]; k++)
			if (umount2(f->paths[i], MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
				res[i] = errno;
}

/* Run mount_child (todo, keep given) or umount_child (todo NULL) in a child process. */
static int in_child(struct files *f, const bool *todo, const bool *keep,
		    int res[2 * FILES_PATHS_MAX])
{
	_cleanup_free_ char *ns = strdup_printf("/proc/%d/ns/mnt", (int)f->pid);
	int p[2], status, r;
	pid_t child;
	ssize_t n;

	/* Opened only now and closed at once: holding it would keep the container's mount
	 * namespace (and its rootfs) alive after the container exits. */
	memset(res, 0, 2 * FILES_PATHS_MAX * sizeof(int));
	f->nsfd = ns ? open(ns, O_RDONLY | O_CLOEXEC) : -1;
	if (f->nsfd < 0)
		return ns ? -errno : -ENOMEM;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		f->nsfd = safe_close(f->nsfd);
		return r;
	}
	child = fork();
	if (child < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		f->nsfd = safe_close(f->nsfd);
		return r;
	}
	if (child == 0) {
		close(p[0]);
		if (todo)
			mount_child(f, todo, keep, res);
		else
			umount_child(f, res);
		n = write(p[1], res, 2 * FILES_PATHS_MAX * sizeof(int));
		_exit(n < 0 ? 1 : 0);
	}
	close(p[1]);
	f->nsfd = safe_close(f->nsfd);
	n = read(p[0], res, 2 * FILES_PATHS_MAX * sizeof(int));
	close(p[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return n == (ssize_t)(2 * FILES_PATHS_MAX * sizeof(int)) ? 0 : -EIO;
}

static int make_read_only(struct files *f, struct error *err)
{
	bool todo[FILES_PATHS_MAX] = { 0 }, keep[FILES_PATHS_MAX] = { 0 }, any = false;
	int res[2 * FILES_PATHS_MAX], r;

	r = count_ours(f);
	if (r < 0)
		return error_set(err, r, "cannot read the container's mounts: %m");
	for (size_t i = 0; i < f->n_paths; i++) {
		if (f->ours[i])
			f->st.adopted++;
		else
			todo[i] = any = is_dir_in_container(f, f->paths[i]);
		for (size_t j = 0; todo[i] && j < f->n_writable; j++)
			keep[j] = keep[j] || path_at_or_below(f->writable[j], f->paths[i]);
	}
	if (!any)
		return 0;
	r = in_child(f, todo, keep, res);
	if (r < 0)
		return error_set(err, r, "cannot make the read-only mounts");
	for (size_t i = 0; i < f->n_paths; i++) {
		if (todo[i] && res[i])
			return error_set(err, -res[i], "cannot mount %s read-only in the "
					 "container: %s", f->paths[i], strerror(res[i]));
		f->st.mounts += todo[i];
	}
	for (size_t j = 0; j < f->n_writable; j++) {
		if (keep[j] && res[FILES_PATHS_MAX + j])
			return error_set(err, -res[FILES_PATHS_MAX + j], "cannot keep %s writable "
					 "in the container: %s", f->writable[j],
					 strerror(res[FILES_PATHS_MAX + j]));
		f->st.writable += keep[j];
	}
	return count_ours(f);
}

static void undo_read_only(struct files *f)
{
	int res[2 * FILES_PATHS_MAX];
	bool any = false;

	if (count_ours(f) < 0)
		return; /* the container is gone, and its mount namespace with it */
	for (size_t i = 0; i < f->n_paths; i++)
		any = any || f->ours[i];
	if (any)
		(void)in_child(f, NULL, NULL, res);
}

/* ---- reports ------------------------------------------------------------------------- */

static bool readlink_to(const char *link, char *buf, size_t size)
{
	ssize_t n = readlink(link, buf, size - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

static void copy_string(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Resolve what path named (relative paths start at dir, walked by the kernel) to a path as
 * the container sees it, through the container's root (symlinks followed inside it only).
 * *ret_dev: the file's device, or its parent directory's when the file is gone; 0 if unknown.
 * Best effort: the file may have moved on since (docs/files.md). */
static void resolve(struct files *f, const char *dir, const char *path, bool follow, char *out,
		    size_t size, dev_t *ret_dev)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
				.resolve = RESOLVE_IN_ROOT };
	char base[PATH_MAX] = "", full[2 * PATH_MAX], self[64];
	char *slash;
	struct stat st;
	int fd;

	*ret_dev = 0;
	if (path[0] != '/')
		snprintf(base, sizeof(base), "%s", dir[0] ? dir : "?");
	if (!path[0])
		snprintf(full, sizeof(full), "%s", base);
	else
		snprintf(full, sizeof(full), "%s%s%s", base, base[0] && path[0] != '/' ? "/" : "",
			 path);
	copy_string(out, size, full);
	if (full[0] != '/')
		return;
	fd = (int)syscall(SYS_openat2, f->rootfd, full, &how, sizeof(how));
	slash = strrchr(full, '/');
	if (fd < 0 && slash && slash[1]) {
		/* gone (unlinked, renamed) or never there (a failed create): its directory */
		*slash = '\0';
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		fd = (int)syscall(SYS_openat2, f->rootfd, full[0] ? full : "/", &how, sizeof(how));
		*slash = '/';
	} else {
		slash = NULL;
	}
	if (fd < 0)
		return;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (readlink_to(self, base, sizeof(base))) {
		if (slash)
			snprintf(out, size, "%s%s", strcmp(base, "/") ? base : "", slash);
		else
			copy_string(out, size, base);
	}
	if (fstat(fd, &st) == 0)
		*ret_dev = st.st_dev;
	close(fd);
}

/* Is this container path a file of the image we protect? */
static bool is_protected(struct files *f, const char *path, dev_t dev)
{
	bool below = false;

	/* another file system: a runtime bind mount (/etc/hosts), a volume, a tmpfs */
	if (dev && dev != f->root_dev)
		return false;
	for (size_t i = 0; i < f->n_paths && !below; i++)
		below = path_at_or_below(path, f->paths[i]);
	for (size_t j = 0; j < f->n_writable && below; j++)
		below = !path_at_or_below(path, f->writable[j]);
	return below;
}

static void report(struct files *f, const struct files_event *e, const struct files_syscall *sc,
		   const char *path)
{
	char link[64], exe[PATH_MAX];
	_cleanup_free_ char *summary = strdup_printf("Write to image file (%s)", sc->name);
	struct alert a = {
		.rule = "write_to_image_file", .priority = "Critical",
		.summary = summary ? summary : "Write to image file", .layer = "bpf-files",
		.container = f->id, .pid = (pid_t)e->pid, .comm = e->comm, .fd_name = path,
	};

	if (e->ret == -EROFS) {
		a.decision = ALERT_DENY;
		a.reason = "read_only";
	} else if (e->ret < 0) {
		a.decision = ALERT_DENY;
		a.reason = e->ret == -ETXTBSY ? "text_busy" : "permission";
	} else {
		a.decision = f->mode == FILES_ENFORCE ? ALERT_ALLOW : ALERT_WOULD_DENY;
		a.reason = f->mode == FILES_ENFORCE ? "not_prevented" : "modified";
	}
	snprintf(link, sizeof(link), "/proc/%u/exe", e->pid);
	if (readlink_to(link, exe, sizeof(exe)))
		a.exepath = exe;
	atomic_fetch_add(&f->alerts_n, 1);
	alert_queue_push(f->alerts, alert_format(&a, f->json));
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct files *f = ctx;
	struct files_event e;
	const struct files_syscall *sc;
	char path[PATH_MAX];
	dev_t dev;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	e.comm[FILES_COMM_MAX - 1] = '\0';
	e.path[0][FILES_PATH_MAX - 1] = e.path[1][FILES_PATH_MAX - 1] = '\0';
	e.dir[0][FILES_DIR_MAX - 1] = e.dir[1][FILES_DIR_MAX - 1] = '\0';
	if (e.cgroup != f->cgroup || !(sc = syscall_find(e.nr)))
		return 0;
	atomic_fetch_add(&f->events, 1);
	for (int i = 0; i < 2; i++) {
		bool used = i == 0 ? !sc->second : e.kind == FILES_SC_PATH2 ||
						      e.kind == FILES_SC_AT2 ||
						      e.kind == FILES_SC_SYMLINKAT;
		if (!used)
			continue;
		resolve(f, e.dir[i], e.path[i], sc->follow, path, sizeof(path), &dev);
		if (is_protected(f, path, dev)) {
			report(f, &e, sc, path);
			break; /* one alert per attempt */
		}
	}
	return 0;
}

static void *reader(void *arg)
{
	struct files *f = arg;

	while (!atomic_load(&f->stop))
		if (ring_buffer__poll(f->rb, 200) < 0 && errno != EINTR)
			break;
	ring_buffer__consume(f->rb);
	return NULL;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* Load only the programs whose syscall this kernel has (a tracepoint) and we know by number. */
static void choose_programs(struct files *f)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, f->skel->obj) {
		const char *name = bpf_program__name(prog) + strlen("files_exit_");
		char path[128];
		bool known = false;

		for (size_t i = 0; i < ARRAY_SIZE(syscalls) && !known; i++)
			known = strcmp(syscalls[i].name, name) == 0;
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/sys_exit_%s",
			 name);
		if (!known || access(path, F_OK) < 0) {
			snprintf(path, sizeof(path),
				 "/sys/kernel/debug/tracing/events/syscalls/sys_exit_%s", name);
			if (!known || access(path, F_OK) < 0)
				bpf_program__set_autoload(prog, false);
			else
				f->st.programs++;
		} else {
			f->st.programs++;
		}
	}
}

static int start_bpf(struct files *f, struct error *err)
{
	uint32_t mode = f->mode;
	int r;

	libbpf_set_print(quiet);
	(void)tracefs_ensure(); /* no tracefs: no program is chosen, which says so below */
	f->skel = files_bpf__open();
	if (!f->skel)
		return error_set(err, -errno, "cannot open the file-protection BPF programs: %m");
	choose_programs(f);
	if (!f->st.programs)
		return error_set(err, -ENOENT, "no syscall tracepoints (tracefs events/syscalls, not mounted and cannot be mounted at /sys/kernel/tracing)");
	r = files_bpf__load(f->skel);
	if (r < 0)
		return error_set(err, r, "cannot load the file-protection BPF programs: %s",
				 strerror(-r));
	if (bpf_map_update_elem(bpf_map__fd(f->skel->maps.files_protected), &f->cgroup, &mode,
				BPF_ANY) < 0)
		return error_set(err, -errno, "cannot protect the container's cgroup: %m");
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.files_events), on_event, f, NULL);
	if (!f->rb)
		return error_set(err, -errno, "cannot read the file-protection reports: %m");
	r = files_bpf__attach(f->skel);
	if (r < 0)
		return error_set(err, r, "cannot attach the syscall tracepoints: %s", strerror(-r));
	r = pthread_create(&f->thread, NULL, reader, f);
	if (r)
		return error_set(err, -r, "cannot start the reader thread");
	f->thread_started = true;
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

static int copy_strings(char **dst, size_t *n, const char *const *src, size_t count)
{
	for (size_t i = 0; i < count && i < FILES_PATHS_MAX; i++) {
		size_t len = strlen(src[i]);

		if (src[i][0] != '/' || strstr(src[i], "/..") || strstr(src[i], "//"))
			return -EINVAL;
		dst[i] = strdup(src[i]);
		if (!dst[i])
			return -ENOMEM;
		while (len > 1 && dst[i][len - 1] == '/') /* "/etc/" is "/etc" */
			dst[i][--len] = '\0';
		*n = i + 1;
	}
	return 0;
}

int files_start(const struct files_options *o, const char *id, pid_t pid, uint64_t cgroup,
		struct files **ret, struct error *err)
{
	_cleanup_free_ char *root = strdup_printf("/proc/%d/root", (int)pid);
	struct files *f = calloc(1, sizeof(*f));
	struct stat st;
	int r;

	if (!f || !root) {
		free(f);
		return -ENOMEM;
	}
	f->nsfd = f->rootfd = -1;
	f->mode = o->mode;
	f->alerts = o->alerts;
	f->json = o->json;
	f->pid = pid;
	f->cgroup = cgroup;
	f->id = strdup(id);
	r = f->id ? 0 : -ENOMEM;
	if (r >= 0)
		r = o->n_paths ? copy_strings(f->paths, &f->n_paths, o->paths, o->n_paths)
			       : copy_strings(f->paths, &f->n_paths, default_paths,
					      ARRAY_SIZE(default_paths));
	if (r >= 0)
		r = copy_strings(f->writable, &f->n_writable, o->writable, o->n_writable);
	if (r == -EINVAL)
		r = error_set(err, r, "file protection wants absolute paths without '..'");
	if (r >= 0) {
		f->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (f->rootfd < 0 || fstat(f->rootfd, &st) < 0)
			r = error_set(err, -errno, "cannot open the container's root: %m");
		else
			f->root_dev = st.st_dev;
	}
	if (r >= 0 && f->mode == FILES_ENFORCE)
		r = make_read_only(f, err);
	if (r >= 0)
		r = start_bpf(f, err);
	if (r < 0) {
		files_free(f, true);
		return r;
	}
	*ret = f;
	return 0;
}

struct files *files_free(struct files *f, bool release)
{
	if (!f)
		return NULL;
	atomic_store(&f->stop, true);
	if (f->thread_started)
		pthread_join(f->thread, NULL);
	ring_buffer__free(f->rb);
	files_bpf__destroy(f->skel);
	if (release && f->mode == FILES_ENFORCE)
		undo_read_only(f);
	for (size_t i = 0; i < f->n_paths; i++)
		free(f->paths[i]);
	for (size_t j = 0; j < f->n_writable; j++)
		free(f->writable[j]);
	if (f->rootfd >= 0)
		close(f->rootfd);
	free(f->id);
	free(f);
	return NULL;
}

void files_stats(struct files *f, struct files_stats *ret)
{
	*ret = f->st;
	ret->events = atomic_load(&f->events);
	ret->alerts = atomic_load(&f->alerts_n);
	ret->lost = f->skel && f->skel->bss ? f->skel->bss->files_lost : 0;
}

char *files_describe(struct files *f)
{
	char list[FILES_PATHS_MAX * 16] = "";
	size_t n = 0;

	for (size_t i = 0; i < f->n_paths && n < sizeof(list); i++)
		if (f->ours[i])
			n += (size_t)snprintf(list + n, sizeof(list) - n, " %s", f->paths[i]);
	if (f->mode != FILES_ENFORCE)
		return strdup_printf("files: mode %s (no prevention), bpf files "
				     "(tp/syscalls/sys_exit_*, %zu syscalls; reports writes that "
				     "succeed)", files_mode_to_string(f->mode), f->st.programs);
	return strdup_printf("files: mode enforce, read-only bind mounts on%s (%zu made, %zu "
			     "adopted, %zu writable kept), bpf files (tp/syscalls/sys_exit_*, %zu "
			     "syscalls)", n ? list : " nothing", f->st.mounts, f->st.adopted,
			     f->st.writable, f->st.programs);
}
