/* SPDX-License-Identifier: Apache-2.0 */
/* Walking a directory tree into a table.
 *
 * Overview: one thread walks the tree (metadata only: fstatat with AT_SYMLINK_NOFOLLOW, readlinkat,
 * directories opened with O_NOFOLLOW), then several threads hash the regular files. A worker
 * opens each file beneath the root fd with no symlink allowed anywhere in its path, checks it is
 * still the inode the walk saw, and is the only thread that touches that file's entry. The
 * table's entry array is not resized while the workers run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/macro.h"
#include "layer.h"

#define WALK_DEPTH_MAX 512
#define HASH_THREADS_MAX 16
#define READ_BUFFER (256 * 1024)

struct pending_file {
	size_t index; /* into the table */
	dev_t dev;
	ino_t ino;
};

struct walk {
	const struct walk_options *opts;
	struct table *t;
	struct pending_file *files;
	size_t n_files, cap_files;
	struct error *err;
};

static bool excluded(const struct walk *w, const char *path)
{
	for (size_t i = 0; i < w->opts->n_excludes; i++)
		if (strcmp(path, w->opts->excludes[i]) == 0 ||
		    path_is_below(path, w->opts->excludes[i]))
			return true;
	return false;
}

/* Read the recorded xattrs of an open file or directory. */
static int read_xattrs(int fd, struct entry *e)
{
	char names[4096], value[ENTRY_XATTR_VALUE_MAX];
	ssize_t n = flistxattr(fd, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP || errno == ERANGE ? 0 : -errno;
	for (char *p = names; p < names + n; p += strlen(p) + 1) {
		ssize_t len;
		int r;

		if (!xattr_is_recorded(p))
			continue;
		len = fgetxattr(fd, p, value, sizeof(value));
		if (len < 0)
			continue; /* removed in between */
		r = entry_add_xattr(e, p, value, (size_t)len);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_opaque_dir(int fd)
{
	char v[2];

	return (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') ||
	       (fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
}

static int add_pending(struct walk *w, size_t index, const struct stat *st)
{
	if (w->n_files == w->cap_files) {
		size_t cap = w->cap_files ? w->cap_files * 2 : 1024;
		struct pending_file *p = realloc(w->files, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->files = p;
		w->cap_files = cap;
	}
	w->files[w->n_files++] = (struct pending_file){ index, st->st_dev, st->st_ino };
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *dpath, ssize_t dir_index,
		    unsigned depth);

static int walk_one(struct walk *w, int dfd, const char *dpath, ssize_t dir_index,
		    const char *name, unsigned depth)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", dpath, name);
	struct entry *e;
	struct stat st;
	size_t index;
	int r;

	if (!path)
		return -ENOMEM;
	if (strlen(path) > ENTRY_PATH_MAX)
		return error_set(w->err, -ENAMETOOLONG, "'%.64s...': path too long", path);
	if (excluded(w, path))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(w->err, -errno, "'%s': %m", path);
	if (w->opts->overlay) {
		if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
			r = table_add(w->t, TAKE_PTR(path), &e);
			if (r >= 0)
				e->type = ENTRY_WHITEOUT;
			return r;
		}
		if (strcmp(name, ".wh..wh..opq") == 0) {
			if (dir_index >= 0)
				w->t->entries[dir_index].opaque = true;
			return 0;
		}
		if (strncmp(name, ".wh.", 4) == 0) {
			r = table_add(w->t, strdup_printf("%s/%s", dpath, name + 4), &e);
			if (r >= 0 && !e->path)
				return -ENOMEM;
			if (r >= 0)
				e->type = ENTRY_WHITEOUT;
			return r;
		}
	}
	r = table_add(w->t, TAKE_PTR(path), &e);
	if (r < 0)
		return error_set(w->err, r, "too many entries (limit %u)", TABLE_MAX_ENTRIES);
	index = w->t->n - 1;
	e->mode = st.st_mode & 07777;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		e->type = ENTRY_FILE;
		e->size = (uint64_t)st.st_size;
		return add_pending(w, index, &st);
	case S_IFLNK: {
		char target[ENTRY_PATH_MAX + 1];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target));

		if (n < 0 || n > ENTRY_PATH_MAX)
			return error_set(w->err, n < 0 ? -errno : -ENAMETOOLONG,
					 "'%s': cannot read link", e->path);
		e->type = ENTRY_SYMLINK;
		e->target = strndup(target, (size_t)n);
		return e->target ? 0 : -ENOMEM;
	}
	case S_IFCHR:
	case S_IFBLK:
		e->type = S_ISCHR(st.st_mode) ? ENTRY_CHAR : ENTRY_BLOCK;
		e->major = major(st.st_rdev);
		e->minor = minor(st.st_rdev);
		return 0;
	case S_IFIFO:
		e->type = ENTRY_FIFO;
		return 0;
	case S_IFSOCK:
		e->type = ENTRY_SOCKET;
		return 0;
	case S_IFDIR: {
		_cleanup_close_ int sub = -1;
		char *sub_path;

		e->type = ENTRY_DIR;
		sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return error_set(w->err, -errno, "'%s': %m", e->path);
		if (w->opts->overlay && is_opaque_dir(sub))
			e->opaque = true;
		r = read_xattrs(sub, e);
		if (r < 0)
			return error_set(w->err, r, "'%s': cannot read xattrs", e->path);
		sub_path = e->path; /* stays valid: entries move, their strings do not */
		return walk_dir(w, sub, sub_path, (ssize_t)index, depth + 1);
	}
	default:
		return error_set(w->err, -EINVAL, "'%s': unknown file type", e->path);
	}
}

static int walk_dir(struct walk *w, int dfd, const char *dpath, ssize_t dir_index,
		    unsigned depth)
{
	_cleanup_free_ char *path_copy = strdup(dpath);
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (!path_copy)
		return -ENOMEM;
	if (depth > WALK_DEPTH_MAX)
		return error_set(w->err, -ELOOP, "'%s': nested deeper than %d", dpath,
				 WALK_DEPTH_MAX);
	fd = dup(dfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return error_set(w->err, r, "'%s': %s", *dpath ? dpath : "/", strerror(-r));
	}
	while (r >= 0) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = error_set(w->err, -errno, "'%s': %m", dpath);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = walk_one(w, dfd, path_copy, dir_index, de->d_name, depth);
	}
	closedir(d);
	return r;
}

struct hasher {
	struct walk *w;
	int rootfd;
	atomic_size_t next;
	atomic_int failed;
	pthread_mutex_t lock;
};

static int hash_file(struct hasher *h, const struct pending_file *f, char *buf, struct sha256 *sha,
		     struct error *err)
{
	struct entry *e = &h->w->t->entries[f->index];
	_cleanup_close_ int fd = -1;
	uint64_t total = 0;
	struct stat st;
	int r;

	fd = openat_beneath(h->rootfd, e->path + 1, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return error_set(err, fd, "'%s': cannot open: %s", e->path, strerror(-fd));
	if (fstat(fd, &st) < 0)
		return error_set(err, -errno, "'%s': %m", e->path);
	if (!S_ISREG(st.st_mode) || st.st_ino != f->ino || st.st_dev != f->dev)
		return error_set(err, -ESTALE, "'%s': replaced while reading", e->path);
	for (;;) {
		ssize_t n = read(fd, buf, READ_BUFFER);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, -errno, "'%s': read failed: %m", e->path);
		if (n == 0)
			break;
		sha256_update(sha, buf, (size_t)n);
		total += (uint64_t)n;
	}
	sha256_final(sha, &e->sha256);
	if (total != e->size)
		return error_set(err, -ESTALE, "'%s': changed size while reading", e->path);
	r = read_xattrs(fd, e);
	if (r < 0)
		return error_set(err, r, "'%s': cannot read xattrs", e->path);
	return 0;
}

static void *hash_worker(void *arg)
{
	struct hasher *h = arg;
	struct error err = { 0 };
	struct sha256 sha;
	char *buf = malloc(READ_BUFFER);
	int r = buf ? sha256_init(&sha) : -ENOMEM;

	while (r >= 0 && !atomic_load(&h->failed)) {
		size_t i = atomic_fetch_add(&h->next, 1);

		if (i >= h->w->n_files)
			break;
		r = hash_file(h, &h->w->files[i], buf, &sha, &err);
	}
	if (r < 0 && !atomic_exchange(&h->failed, r)) {
		pthread_mutex_lock(&h->lock);
		error_set(h->w->err, r, "%s", err.message[0] ? err.message : strerror(-r));
		pthread_mutex_unlock(&h->lock);
	}
	if (buf)
		sha256_release(&sha);
	free(buf);
	return NULL;
}

static int hash_files(struct walk *w, int rootfd, unsigned threads)
{
	struct hasher h = { .w = w, .rootfd = rootfd, .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t tids[HASH_THREADS_MAX];
	unsigned n = 0;

	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (threads > HASH_THREADS_MAX)
		threads = HASH_THREADS_MAX;
	if (threads > w->n_files)
		threads = w->n_files ? (unsigned)w->n_files : 1;
	/* The calling thread hashes too; start threads - 1 more. */
	for (; n + 1 < threads; n++)
		if (pthread_create(&tids[n], NULL, hash_worker, &h) != 0)
			break;
	hash_worker(&h);
	for (unsigned i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	return atomic_load(&h.failed);
}

int layer_read_dir(int dirfd, const struct walk_options *opts, struct table *ret,
		   struct error *err)
{
	struct table t = { 0 };
	struct walk w = { .opts = opts, .t = &t, .err = err };
	int r;

	r = walk_dir(&w, dirfd, "", -1, 0);
	if (r >= 0)
		r = hash_files(&w, dirfd, opts->threads);
	free(w.files);
	if (r < 0) {
		table_release(&t);
		return r;
	}
	*ret = t;
	return 0;
}
