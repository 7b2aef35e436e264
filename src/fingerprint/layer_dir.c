/* SPDX-License-Identifier: Apache-2.0 */
/* Walking a directory tree into a table.
 *
 * Overview: the calling thread walks the tree (metadata only: fstatat with AT_SYMLINK_NOFOLLOW,
 * readlinkat, directories opened with O_NOFOLLOW) while hashing threads already read the regular
 * files it has found, roughly the largest first; when the walk is done, the calling thread hashes
 * too. A hashing thread opens each file beneath the root fd with no symlink allowed anywhere in
 * its path, checks it is still the inode the walk saw, and reads it (files of 1 MiB and more
 * through read-only mappings, which saves copying them; see basic/mapped.h). The names of each directory
 * are sorted before they are walked, so that the table comes out in path_compare() order (which
 * makes table_sort() cheap); the order has no other effect.
 *
 * Ownership across threads:
 * - The table belongs to the walking thread alone until every hashing thread has been joined:
 *   table_add() may move its entries at any time, so no other thread ever points into it.
 * - For each regular file the walker fills a job record (struct file_job) in a chunk that never
 *   moves (struct job_chunk, owned by struct walk) and queues a pointer to it. The hashing thread
 *   that takes a job from the queue owns it until it is done with it: it reads the job's path
 *   (the entry's string, which stays put when the entry moves and is freed only with the table)
 *   and writes the results (digest, xattrs) into the job, never into the table.
 * - The queue (struct job_queue) is shared; every field of it, and the next link of a queued
 *   job, is under its mutex.
 * - After joining the hashing threads, the calling thread moves each job's results into the
 *   entry the job names by index, and frees the chunks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "basic/macro.h"
#include "basic/mapped.h"
#include "layer.h"

#define WALK_DEPTH_MAX 512
#define HASH_THREADS_MAX 16
#define READ_BUFFER (256 * 1024)
#define MAPPED_MIN (1024 * 1024) /* files this large are hashed through mappings */
#define JOBS_PER_CHUNK 1024
#define LISTING_BUFFER_MIN (32 * 1024)

/* ---- jobs and the queue between the walker and the hashing threads ---------------------------- */

/* A regular file to hash. The walker fills in path, index, dev, ino and size, and queues the job;
 * the hashing thread that takes it from the queue fills in sha256 and the xattrs. */
struct file_job {
	const char *path;  /* the entry's path: owned by the table, never moves */
	uint32_t index;    /* of the entry in the table (below TABLE_MAX_ENTRIES) */
	uint32_t n_xattrs; /* at most ENTRY_XATTRS_MAX */
	dev_t dev;         /* the inode the walk saw */
	ino_t ino;
	uint64_t size;
	struct digest sha256;
	struct xattr *xattrs; /* as in struct entry: sorted; the job owns them until merged */
	struct file_job *next; /* in its queue list, under the queue's mutex */
};

/* Job records are allocated in chunks that never move, so a queued job pointer stays valid. */
struct job_chunk {
	struct job_chunk *next;
	size_t n;
	struct file_job jobs[JOBS_PER_CHUNK];
};

/* Jobs waiting for a hashing thread, in one FIFO list per power-of-two size class, taken from the
 * largest class first: roughly the largest files first, so that a big file found late does not
 * end up being hashed alone on one core at the end, while files of one size class keep the walk
 * order (and its locality). */
#define SIZE_CLASSES 64

struct job_queue {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job was queued, the walk ended, or something failed */
	struct file_job *head[SIZE_CLASSES], *tail[SIZE_CLASSES];
	uint64_t nonempty;  /* bit c set: list c has jobs */
	unsigned n_waiting; /* hashing threads waiting on changed */
	bool walk_done;     /* no more jobs will come */
	int failed;         /* the first failure (negative errno), 0 if none */
	struct error err;   /* a hashing thread's message for it */
};

static unsigned size_class(uint64_t size)
{
	unsigned bits = size ? 64 - (unsigned)__builtin_clzll(size) : 0;

	return bits < SIZE_CLASSES ? bits : SIZE_CLASSES - 1;
}

static void list_push(struct job_queue *q, struct file_job *job)
{
	unsigned c = size_class(job->size);

	job->next = NULL;
	if (q->tail[c])
		q->tail[c]->next = job;
	else
		q->head[c] = job;
	q->tail[c] = job;
	q->nonempty |= UINT64_C(1) << c;
}

static struct file_job *list_pop(struct job_queue *q)
{
	unsigned c = 63 - (unsigned)__builtin_clzll(q->nonempty); /* the largest class */
	struct file_job *job = q->head[c];

	q->head[c] = job->next;
	if (!q->head[c]) {
		q->tail[c] = NULL;
		q->nonempty &= ~(UINT64_C(1) << c);
	}
	return job;
}

/* Walker: hand a filled job over. Returns the failure of a hashing thread, if there was one, so
 * that the walk stops. */
static int queue_push(struct job_queue *q, struct file_job *job)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = q->failed;
	if (r == 0) {
		list_push(q, job);
		if (q->n_waiting > 0)
			pthread_cond_signal(&q->changed);
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Hashing threads: the next job, now owned by the caller; NULL once there is nothing left to do
 * (the walk is over and the queue empty, or something failed). */
static struct file_job *queue_pop(struct job_queue *q)
{
	struct file_job *job = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->nonempty && !q->walk_done && !q->failed) {
		q->n_waiting++;
		pthread_cond_wait(&q->changed, &q->lock);
		q->n_waiting--;
	}
	if (q->nonempty && !q->failed)
		job = list_pop(q);
	pthread_mutex_unlock(&q->lock);
	return job;
}

/* Walker: no more jobs will come; r < 0 if the walk failed (its message is the walker's). */
static void queue_end(struct job_queue *q, int r)
{
	pthread_mutex_lock(&q->lock);
	q->walk_done = true;
	if (r < 0 && !q->failed)
		q->failed = r;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* Hashing threads: stop everyone. The first failure wins. */
static void queue_fail(struct job_queue *q, int r, const char *message)
{
	pthread_mutex_lock(&q->lock);
	if (!q->failed) {
		q->failed = r;
		error_set(&q->err, r, "%s", message);
	}
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* ---- hashing ----------------------------------------------------------------------------------- */

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

static void hash_update(void *sha, const void *data, size_t n)
{
	sha256_update(sha, data, n);
}

/* A large file, through mappings (no copy into a buffer). Returns -EOPNOTSUPP if it cannot be
 * mapped at all, before anything was hashed. */
static int hash_mapped(int fd, struct file_job *job, struct sha256 *sha, struct error *err)
{
	struct stat st;
	int r = mapped_consume(fd, job->size, hash_update, sha);

	if (r == -EOPNOTSUPP)
		return r;
	sha256_final(sha, &job->sha256);
	if (r == -ESTALE || (r >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size != job->size))
		return error_set(err, -ESTALE, "'%s': changed size while reading", job->path);
	if (r < 0)
		return error_set(err, r, "'%s': read failed: %s", job->path, strerror(-r));
	return 0;
}

static int hash_content(int fd, struct file_job *job, char *buf, struct sha256 *sha,
			struct error *err)
{
	uint64_t total = 0;

	if (job->size >= MAPPED_MIN) {
		int r = hash_mapped(fd, job, sha, err);

		if (r != -EOPNOTSUPP)
			return r;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_BUFFER);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, -errno, "'%s': read failed: %m", job->path);
		if (n == 0)
			break;
		sha256_update(sha, buf, (size_t)n);
		total += (uint64_t)n;
		/* A short read of a regular file ends at its end: no need to ask again for the
		 * end of file when that is where the walk saw it. */
		if (n < READ_BUFFER && total == job->size)
			break;
	}
	sha256_final(sha, &job->sha256);
	if (total != job->size)
		return error_set(err, -ESTALE, "'%s': changed size while reading", job->path);
	return 0;
}

/* Hash one file into its job, which the calling thread owns. */
static int hash_file(int rootfd, struct file_job *job, char *buf, struct sha256 *sha,
		     struct error *err)
{
	_cleanup_close_ int fd = -1;
	struct entry x = { 0 }; /* collects the xattrs */
	struct stat st;
	int r;

	fd = openat_beneath(rootfd, job->path + 1, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return error_set(err, fd, "'%s': cannot open: %s", job->path, strerror(-fd));
	if (fstat(fd, &st) < 0)
		return error_set(err, -errno, "'%s': %m", job->path);
	if (!S_ISREG(st.st_mode) || st.st_ino != job->ino || st.st_dev != job->dev)
		return error_set(err, -ESTALE, "'%s': replaced while reading", job->path);
	r = hash_content(fd, job, buf, sha, err);
	if (r < 0)
		return r;
	r = read_xattrs(fd, &x);
	if (r < 0) {
		entry_release(&x);
		return error_set(err, r, "'%s': cannot read xattrs", job->path);
	}
	job->xattrs = x.xattrs;
	job->n_xattrs = (uint32_t)x.n_xattrs;
	return 0;
}

/* What one hashing thread needs: a read buffer and a SHA-256 context. */
struct hash_state {
	char *buf;
	struct sha256 sha;
};

static int hash_state_init(struct hash_state *s)
{
	s->buf = malloc(READ_BUFFER);
	if (!s->buf)
		return -ENOMEM;
	if (sha256_init(&s->sha) < 0) {
		free(s->buf);
		s->buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void hash_state_release(struct hash_state *s)
{
	if (s->buf)
		sha256_release(&s->sha);
	free(s->buf);
	s->buf = NULL;
}

struct hasher {
	struct job_queue queue;
	int rootfd;
	struct hash_state own; /* the calling thread's, for when the walk is over */
	int own_r;             /* hash_state_init() of it */
	pthread_t tids[HASH_THREADS_MAX];
	unsigned n_tids;
};

/* Take jobs and hash them until there are none left or something failed. */
static void hash_jobs(struct hasher *h, struct hash_state *s, int r)
{
	struct error err = { 0 };
	struct file_job *job;

	while (r >= 0 && (job = queue_pop(&h->queue)))
		r = hash_file(h->rootfd, job, s->buf, &s->sha, &err);
	if (r < 0)
		queue_fail(&h->queue, r, err.message[0] ? err.message : strerror(-r));
}

static void *hash_thread(void *arg)
{
	struct hasher *h = arg;
	struct hash_state s = { 0 };

	hash_jobs(h, &s, hash_state_init(&s));
	hash_state_release(&s);
	return NULL;
}

/* Start the hashing threads: threads in all (0 for the number of CPUs), counting the calling
 * thread, which joins them in hasher_finish(). */
static void hasher_start(struct hasher *h, int rootfd, unsigned threads)
{
	*h = (struct hasher){
		.queue = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER },
		.rootfd = rootfd,
	};
	/* Before any thread starts: the first sha256_init() sets up what all of them share. */
	h->own_r = hash_state_init(&h->own);
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (threads > HASH_THREADS_MAX)
		threads = HASH_THREADS_MAX;
	for (; h->n_tids + 1 < threads; h->n_tids++)
		if (pthread_create(&h->tids[h->n_tids], NULL, hash_thread, h) != 0)
			break;
}

/* The walk is over (r < 0 if it failed): hash what is left in this thread too, join the others.
 * Returns the first failure; a hashing thread's message goes to err unless the walk set one. */
static int hasher_finish(struct hasher *h, int r, struct error *err)
{
	queue_end(&h->queue, r);
	if (r >= 0)
		hash_jobs(h, &h->own, h->own_r);
	for (unsigned i = 0; i < h->n_tids; i++)
		pthread_join(h->tids[i], NULL);
	/* Nothing else runs now. */
	if (r >= 0)
		r = h->queue.failed;
	if (r < 0 && h->queue.err.message[0])
		error_set(err, r, "%s", h->queue.err.message);
	hash_state_release(&h->own);
	pthread_cond_destroy(&h->queue.changed);
	pthread_mutex_destroy(&h->queue.lock);
	return r;
}

/* ---- the walk ---------------------------------------------------------------------------------- */

struct walk {
	const struct walk_options *opts;
	struct table *t;
	struct job_chunk *chunks; /* newest first; only the newest may have room */
	struct job_queue *queue;
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

static bool is_opaque_dir(int fd)
{
	char v[2];

	return (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') ||
	       (fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
}

/* Queue the regular file of entry index for hashing. */
static int queue_file(struct walk *w, size_t index, const struct stat *st)
{
	struct job_chunk *c = w->chunks;
	struct file_job *job;

	if (!c || c->n == JOBS_PER_CHUNK) {
		c = malloc(sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->next = w->chunks;
		c->n = 0;
		w->chunks = c;
	}
	job = &c->jobs[c->n++];
	*job = (struct file_job){
		.path = w->t->entries[index].path,
		.index = (uint32_t)index,
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
	};
	return queue_push(w->queue, job);
}

/* Once every hashing thread is joined: move the results into the table. */
static void jobs_merge(struct walk *w)
{
	for (struct job_chunk *c = w->chunks; c; c = c->next)
		for (size_t i = 0; i < c->n; i++) {
			struct file_job *job = &c->jobs[i];
			struct entry *e = &w->t->entries[job->index];

			e->sha256 = job->sha256;
			e->xattrs = TAKE_PTR(job->xattrs);
			e->n_xattrs = job->n_xattrs;
			job->n_xattrs = 0;
		}
}

static void jobs_free(struct walk *w)
{
	while (w->chunks) {
		struct job_chunk *c = w->chunks;

		for (size_t i = 0; i < c->n; i++) {
			/* Results not merged (the walk failed): free them as an entry's. */
			struct entry x = { .xattrs = c->jobs[i].xattrs,
					   .n_xattrs = c->jobs[i].n_xattrs };

			entry_release(&x);
		}
		w->chunks = c->next;
		free(c);
	}
}

/* The names in one directory, sorted bytewise (so that, walked depth first, they come out in
 * path_compare() order: a directory's descendants directly after it). */
struct dir_listing {
	char *buf; /* getdents64 records */
	size_t len, cap;
	const char **names; /* into buf, without "." and "..", sorted */
	size_t n;
};

static void listing_release(struct dir_listing *l)
{
	free(l->buf);
	free(l->names);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t count_records(const char *p, size_t len)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += ((const struct dirent64 *)(p + off))->d_reclen)
		n++;
	return n;
}

/* Read every record of the directory first, then point at the names (buf no longer moves). */
static int listing_read(int fd, struct dir_listing *l)
{
	size_t n_records = 0;

	for (;;) {
		ssize_t n;

		if (l->cap - l->len < sizeof(struct dirent64)) {
			size_t cap = l->cap ? l->cap * 2 : LISTING_BUFFER_MIN;
			char *p = realloc(l->buf, cap);

			if (!p)
				return -ENOMEM;
			l->buf = p;
			l->cap = cap;
		}
		n = getdents64(fd, l->buf + l->len, l->cap - l->len);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		n_records += count_records(l->buf + l->len, (size_t)n);
		l->len += (size_t)n;
		if (n_records > TABLE_MAX_ENTRIES)
			return -E2BIG;
	}
	if (l->len < l->cap) {
		/* Give back the room not used: a deep tree has a listing open on every level. */
		char *p = realloc(l->buf, l->len ? l->len : 1);

		if (p) {
			l->buf = p;
			l->cap = l->len;
		}
	}
	l->names = malloc((n_records ? n_records : 1) * sizeof(*l->names));
	if (!l->names)
		return -ENOMEM;
	for (size_t off = 0; off < l->len;) {
		const struct dirent64 *d = (const struct dirent64 *)(l->buf + off);

		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			l->names[l->n++] = d->d_name;
		off += d->d_reclen;
	}
	qsort(l->names, l->n, sizeof(*l->names), compare_names);
	return 0;
}

/* "dir/name" in a new string (dir is "" for the root). */
static char *path_join(const char *dir, const char *name)
{
	size_t dir_len = strlen(dir), name_len = strlen(name);
	char *p = malloc(dir_len + 1 + name_len + 1);

	if (p) {
		memcpy(p, dir, dir_len);
		p[dir_len] = '/';
		memcpy(p + dir_len + 1, name, name_len + 1);
	}
	return p;
}

static int walk_dir(struct walk *w, int dfd, const char *dpath, ssize_t dir_index,
		    unsigned depth);

/* containers-storage diff directories: whiteouts and the opaque marker are not entries of their
 * own. Returns 1 if name was one of them (path is then taken), 0 if not. */
static int walk_overlay_special(struct walk *w, const char *dpath, ssize_t dir_index,
				const char *name, const struct stat *st, char **path)
{
	struct entry *e;
	int r;

	if (S_ISCHR(st->st_mode) && st->st_rdev == 0) {
		r = table_add(w->t, TAKE_PTR(*path), &e);
		if (r >= 0)
			e->type = ENTRY_WHITEOUT;
		return r < 0 ? r : 1;
	}
	if (strcmp(name, ".wh..wh..opq") == 0) {
		if (dir_index >= 0)
			w->t->entries[dir_index].opaque = true;
		return 1;
	}
	if (strncmp(name, ".wh.", 4) == 0) {
		r = table_add(w->t, strdup_printf("%s/%s", dpath, name + 4), &e);
		if (r >= 0 && !e->path)
			return -ENOMEM;
		if (r >= 0)
			e->type = ENTRY_WHITEOUT;
		return r < 0 ? r : 1;
	}
	return 0;
}

static int walk_subdir(struct walk *w, int dfd, const char *name, size_t index, unsigned depth)
{
	struct entry *e = &w->t->entries[index]; /* valid until the next table_add() */
	_cleanup_close_ int sub = -1;
	const char *path;
	int r;

	e->type = ENTRY_DIR;
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return error_set(w->err, -errno, "'%s': %m", e->path);
	if (w->opts->overlay && is_opaque_dir(sub))
		e->opaque = true;
	r = read_xattrs(sub, e);
	if (r < 0)
		return error_set(w->err, r, "'%s': cannot read xattrs", e->path);
	path = e->path; /* stays valid: entries move, their strings do not */
	return walk_dir(w, sub, path, (ssize_t)index, depth + 1);
}

/* Fill in the entry the walk just added for name, of the type st says. */
static int walk_entry(struct walk *w, int dfd, const char *name, size_t index,
		      const struct stat *st, unsigned depth)
{
	struct entry *e = &w->t->entries[index];

	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		e->type = ENTRY_FILE;
		e->size = (uint64_t)st->st_size;
		return queue_file(w, index, st);
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
		e->type = S_ISCHR(st->st_mode) ? ENTRY_CHAR : ENTRY_BLOCK;
		e->major = major(st->st_rdev);
		e->minor = minor(st->st_rdev);
		return 0;
	case S_IFIFO:
		e->type = ENTRY_FIFO;
		return 0;
	case S_IFSOCK:
		e->type = ENTRY_SOCKET;
		return 0;
	case S_IFDIR:
		return walk_subdir(w, dfd, name, index, depth);
	default:
		return error_set(w->err, -EINVAL, "'%s': unknown file type", e->path);
	}
}

static int walk_one(struct walk *w, int dfd, const char *dpath, ssize_t dir_index,
		    const char *name, unsigned depth)
{
	_cleanup_free_ char *path = path_join(dpath, name);
	struct entry *e;
	struct stat st;
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
		r = walk_overlay_special(w, dpath, dir_index, name, &st, &path);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	r = table_add(w->t, TAKE_PTR(path), &e);
	if (r < 0)
		return error_set(w->err, r, "too many entries (limit %u)", TABLE_MAX_ENTRIES);
	return walk_entry(w, dfd, name, w->t->n - 1, &st, depth);
}

/* Walk the directory open at dfd (owned by the caller), whose path is dpath. */
static int walk_dir(struct walk *w, int dfd, const char *dpath, ssize_t dir_index,
		    unsigned depth)
{
	struct dir_listing l = { 0 };
	int r;

	if (depth > WALK_DEPTH_MAX)
		return error_set(w->err, -ELOOP, "'%s': nested deeper than %d", dpath,
				 WALK_DEPTH_MAX);
	r = listing_read(dfd, &l);
	if (r == -E2BIG)
		r = error_set(w->err, r, "too many entries (limit %u)", TABLE_MAX_ENTRIES);
	else if (r < 0)
		r = error_set(w->err, r, "'%s': %s", *dpath ? dpath : "/", strerror(-r));
	for (size_t i = 0; r >= 0 && i < l.n; i++)
		r = walk_one(w, dfd, dpath, dir_index, l.names[i], depth);
	listing_release(&l);
	return r;
}

static int walk_root(struct walk *w, int dirfd)
{
	/* A descriptor of our own: reading a directory moves the file offset. */
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return error_set(w->err, -errno, "'/': %m");
	return walk_dir(w, fd, "", -1, 0);
}

int layer_read_dir(int dirfd, const struct walk_options *opts, struct table *ret,
		   struct error *err)
{
	struct table t = { 0 };
	struct hasher h;
	struct walk w = { .opts = opts, .t = &t, .queue = &h.queue, .err = err };
	int r;

	hasher_start(&h, dirfd, opts->threads);
	r = walk_root(&w, dirfd);
	r = hasher_finish(&h, r, err);
	if (r >= 0)
		jobs_merge(&w);
	jobs_free(&w);
	if (r < 0) {
		table_release(&t);
		return r;
	}
	*ret = t;
	return 0;
}
