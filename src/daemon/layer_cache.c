/* SPDX-License-Identifier: Apache-2.0 */
/* The verified-layer cache and its fanotify watcher.
 *
 * Who owns what: the cache owns the fanotify fd and every cached table; it is used from one
 * thread only (imprintd's request loop), so there is no locking. Each cached layer records the
 * file handles of everything below its directory; an event whose object or parent directory
 * has one of those handles marks the layer dirty, and a dirty layer is never served again.
 * A layer is registered (handles recorded) before it is walked, so a change made while it is
 * being hashed dirties it too and the result is used once, never cached. */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "layer_cache.h"
#include "basic/fs.h"

#define CACHE_LAYERS_MAX 4096
#define HANDLES_MAX (16u * 1024 * 1024)
#define WALK_DEPTH_MAX 1024
#define WATCH_MASK                                                                         \
	(FAN_MODIFY | FAN_ATTRIB | FAN_CLOSE_WRITE | FAN_MOVED_FROM | FAN_MOVED_TO |        \
	 FAN_CREATE | FAN_DELETE | FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR)

struct cached_layer {
	uint64_t gen; /* unique: what a cached image's fingerprint was computed from */
	dev_t dev;
	ino_t ino;
	uint64_t options;  /* what the walk options hash to: a different walk is another entry */
	uint64_t *handles; /* sorted */
	size_t n_handles, cap_handles;
	struct table table;
	bool ready; /* walked and hashed with no event meanwhile */
	bool dirty;
};

/* A whole image's fingerprint, valid while every layer it was computed from is still cached
 * clean under the same generation. */
struct cached_image {
	struct digest config;
	uint64_t options;
	uint64_t *gens;
	size_t n_gens;
	struct fingerprint *fp;
};

#define CACHE_IMAGES_MAX 256

struct layer_cache {
	int fan_fd;
	uint64_t next_gen;
	struct cached_layer **layers;
	size_t n_layers;
	struct cached_image images[CACHE_IMAGES_MAX];
	size_t n_images, next_image;
	dev_t *marked; /* filesystems that carry our mark */
	size_t n_marked;
	struct layer_cache_stats stats;
	layer_changed_fn on_change;
	void *on_change_userdata;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ull

/* fsid: 8 bytes; the handle as struct file_handle has it. */
static uint64_t handle_key(const void *fsid, int type, const void *bytes, size_t len)
{
	uint64_t h = fnv1a(FNV_OFFSET, fsid, 8);

	h = fnv1a(h, &type, sizeof(type));
	return fnv1a(h, bytes, len);
}

static uint64_t options_key(const struct walk_options *wo)
{
	uint64_t h = fnv1a(FNV_OFFSET, &wo->overlay, sizeof(wo->overlay));

	for (size_t i = 0; i < wo->n_excludes; i++)
		h = fnv1a(h, wo->excludes[i], strlen(wo->excludes[i]) + 1);
	return h;
}

int layer_cache_new(struct layer_cache **ret, struct error *err)
{
	struct layer_cache *c = calloc(1, sizeof(*c));
	unsigned flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE |
			 FAN_REPORT_FID | FAN_REPORT_DIR_FID;

	if (!c)
		return -ENOMEM;
	c->fan_fd = fanotify_init(flags, O_RDONLY | O_CLOEXEC);
	if (c->fan_fd < 0) {
		int r = -errno;

		free(c);
		return error_set(err, r, "fanotify_init (FAN_REPORT_FID | FAN_REPORT_DIR_FID): %s",
				 strerror(-r));
	}
	*ret = c;
	return 0;
}

static void layer_free(struct cached_layer *l)
{
	free(l->handles);
	table_release(&l->table);
	free(l);
}

static void image_release(struct cached_image *i)
{
	free(i->gens);
	fingerprint_free(i->fp);
	*i = (struct cached_image){ 0 };
}

struct layer_cache *layer_cache_free(struct layer_cache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_images; i++)
		image_release(&c->images[i]);
	for (size_t i = 0; i < c->n_layers; i++)
		layer_free(c->layers[i]);
	free(c->layers);
	free(c->marked);
	if (c->fan_fd >= 0)
		close(c->fan_fd);
	free(c);
	return NULL;
}

int layer_cache_fd(const struct layer_cache *c)
{
	return c->fan_fd;
}

void layer_cache_stats(const struct layer_cache *c, struct layer_cache_stats *ret)
{
	*ret = c->stats;
	ret->layers = c->n_layers;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void layer_cache_on_change(struct layer_cache *c, layer_changed_fn fn, void *userdata)
{
	c->on_change = fn;
	c->on_change_userdata = userdata;
}

/* A layer that was verified and clean is not any more. */
static void set_dirty(struct layer_cache *c, struct cached_layer *l)
{
	bool was_clean = l->ready && !l->dirty;

	l->dirty = true;
	if (was_clean && c->on_change)
		c->on_change(c->on_change_userdata, l->dev, l->ino);
}

static void invalidate_key(struct layer_cache *c, uint64_t key)
{
	for (size_t i = 0; i < c->n_layers; i++) {
		struct cached_layer *l = c->layers[i];

		if (!l->dirty &&
		    bsearch(&key, l->handles, l->n_handles, sizeof(uint64_t), compare_u64)) {
			set_dirty(c, l);
			c->stats.invalidations++;
		}
	}
}

static void invalidate_all(struct layer_cache *c)
{
	for (size_t i = 0; i < c->n_layers; i++)
		set_dirty(c, c->layers[i]);
	c->stats.invalidations++;
}

/* Events are packed without padding when they carry file handles: read every field with
 * memcpy, never through a pointer to the buffer. */
static void handle_event(struct layer_cache *c, const char *ev, size_t len)
{
	struct fanotify_event_metadata m;
	size_t off;

	memcpy(&m, ev, sizeof(m));
	c->stats.events++;
	if (m.fd >= 0)
		close(m.fd);
	if (m.mask & FAN_Q_OVERFLOW) {
		invalidate_all(c);
		return;
	}
	for (off = m.metadata_len; off + sizeof(struct fanotify_event_info_header) <= len;) {
		struct fanotify_event_info_header h;
		size_t fid_at = off + offsetof(struct fanotify_event_info_fid, handle);
		struct file_handle fh;

		memcpy(&h, ev + off, sizeof(h));
		if (h.len < sizeof(h) || off + h.len > len)
			break;
		if ((h.info_type == FAN_EVENT_INFO_TYPE_FID ||
		     h.info_type == FAN_EVENT_INFO_TYPE_DFID ||
		     h.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME) &&
		    fid_at + sizeof(fh) <= off + h.len) {
			memcpy(&fh, ev + fid_at, sizeof(fh));
			if (fid_at + sizeof(fh) + fh.handle_bytes <= off + h.len)
				invalidate_key(c, handle_key(ev + off + offsetof(struct fanotify_event_info_fid,
									       fsid),
							     fh.handle_type, ev + fid_at + sizeof(fh),
							     fh.handle_bytes));
		}
		off += h.len;
	}
}

void layer_cache_drain(struct layer_cache *c)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(c->fan_fd, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			invalidate_all(c); /* cannot tell what changed: trust nothing */
		if (n <= 0)
			break;
		while (off + sizeof(struct fanotify_event_metadata) <= (size_t)n) {
			struct fanotify_event_metadata m;

			memcpy(&m, buf + off, sizeof(m));
			if (m.event_len < sizeof(m) || off + m.event_len > (size_t)n) {
				invalidate_all(c);
				break;
			}
			handle_event(c, buf + off, m.event_len);
			off += m.event_len;
		}
	}
	/* Dirty layers are gone for good; drop them now. */
	for (size_t i = 0; i < c->n_layers;) {
		if (c->layers[i]->dirty && c->layers[i]->ready) {
			layer_free(c->layers[i]);
			c->layers[i] = c->layers[--c->n_layers];
		} else {
			i++;
		}
	}
}

static int add_handle(struct cached_layer *l, uint64_t key)
{
	if (l->n_handles == l->cap_handles) {
		size_t cap = l->cap_handles ? l->cap_handles * 2 : 256;
		uint64_t *grown;

		if (cap > HANDLES_MAX)
			return -E2BIG;
		grown = realloc(l->handles, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->handles = grown;
		l->cap_handles = cap;
	}
	l->handles[l->n_handles++] = key;
	return 0;
}

static int record_handle(struct cached_layer *l, const void *fsid, int dirfd, const char *name)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} u = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id;

	if (name_to_handle_at(dirfd, name, &u.fh, &mount_id, name[0] ? 0 : AT_EMPTY_PATH) < 0)
		return -errno;
	return add_handle(l, handle_key(fsid, u.fh.handle_type, u.fh.f_handle, u.fh.handle_bytes));
}

/* Record the handle of every object below dirfd (never following a symlink). */
static int record_tree(struct cached_layer *l, const void *fsid, int dirfd, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > WALK_DEPTH_MAX)
		return -ELOOP;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -errno;
	}
	while (r >= 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = record_handle(l, fsid, dirfd, de->d_name);
		if (r >= 0 && de->d_type == DT_DIR) {
			int fd = openat(dirfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			r = fd < 0 ? -errno : record_tree(l, fsid, fd, depth + 1);
		}
	}
	closedir(d);
	return r;
}

static int mark_filesystem(struct layer_cache *c, int dirfd, dev_t dev)
{
	dev_t *grown;

	for (size_t i = 0; i < c->n_marked; i++)
		if (c->marked[i] == dev)
			return 0;
	if (fanotify_mark(c->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, WATCH_MASK, dirfd, NULL) <
	    0)
		return -errno;
	grown = realloc(c->marked, (c->n_marked + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->marked = grown;
	c->marked[c->n_marked++] = dev;
	return 0;
}

/* Register the layer at dirfd: its handles, before it is read. NULL if it cannot be watched
 * (then it is read every time, never cached). */
static struct cached_layer *register_layer(struct layer_cache *c, int dirfd,
					   const struct stat *st, uint64_t options)
{
	struct cached_layer *l, **grown;
	struct statfs sfs;
	int fd;

	if (c->n_layers == CACHE_LAYERS_MAX || fstatfs(dirfd, &sfs) < 0 ||
	    mark_filesystem(c, dirfd, st->st_dev) < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	grown = l ? realloc(c->layers, (c->n_layers + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(l);
		return NULL;
	}
	c->layers = grown;
	*l = (struct cached_layer){ .gen = ++c->next_gen, .dev = st->st_dev, .ino = st->st_ino,
				    .options = options };
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (record_handle(l, &sfs.f_fsid, dirfd, "") < 0 || fd < 0 ||
	    record_tree(l, &sfs.f_fsid, fd, 0) < 0) {
		layer_free(l);
		return NULL;
	}
	qsort(l->handles, l->n_handles, sizeof(uint64_t), compare_u64);
	c->layers[c->n_layers++] = l;
	return l;
}

int layer_cache_read_dir(void *cache, int dirfd, const struct walk_options *wo,
			 struct table *ret, struct error *err)
{
	struct layer_cache *c = cache;
	uint64_t options = options_key(wo);
	struct cached_layer *l = NULL;
	struct stat st;
	int r;

	layer_cache_drain(c);
	if (fstat(dirfd, &st) < 0)
		return error_set(err, -errno, "layer directory: %m");
	for (size_t i = 0; i < c->n_layers; i++) {
		struct cached_layer *x = c->layers[i];

		if (x->ready && !x->dirty && x->dev == st.st_dev && x->ino == st.st_ino &&
		    x->options == options) {
			c->stats.hits++;
			return table_copy(&x->table, ret);
		}
	}
	c->stats.misses++;
	l = register_layer(c, dirfd, &st, options);
	r = layer_read_dir(dirfd, wo, ret, err);
	layer_cache_drain(c);
	if (!l)
		return r;
	if (r < 0 || l->dirty || table_copy(ret, &l->table) < 0)
		l->dirty = true; /* used this once; dropped at the next drain */
	l->ready = true;
	return r;
}

/* ---- whole images ---- */

static struct cached_layer *clean_layer(struct layer_cache *c, const struct stat *st,
					uint64_t options)
{
	for (size_t i = 0; i < c->n_layers; i++) {
		struct cached_layer *x = c->layers[i];

		if (x->ready && !x->dirty && x->dev == st->st_dev && x->ino == st->st_ino &&
		    x->options == options)
			return x;
	}
	return NULL;
}

/* The generation of each of img's layers as cached clean now; false if one is not. */
static bool image_gens(struct layer_cache *c, struct image *img,
		       const struct fingerprint_options *o, uint64_t *gens)
{
	struct walk_options wo = { .overlay = image_layers_are_overlay(img),
				   .excludes = o->excludes, .n_excludes = o->n_excludes };
	uint64_t options = options_key(&wo);

	if (!image_layers_are_dirs(img) || img->n_layers == 0)
		return false;
	for (size_t i = 0; i < img->n_layers; i++) {
		_cleanup_close_ int fd = -1;
		struct cached_layer *l;
		struct stat st;

		if (image_layer_open_dir(img, i, &fd, NULL) < 0 || fstat(fd, &st) < 0)
			return false;
		l = clean_layer(c, &st, options);
		if (!l)
			return false;
		gens[i] = l->gen;
	}
	return true;
}

static uint64_t image_options(const struct fingerprint_options *o)
{
	struct walk_options wo = { .excludes = o->excludes, .n_excludes = o->n_excludes };

	return options_key(&wo);
}

int layer_cache_lookup(void *cache, struct image *img, const struct fingerprint_options *o,
		       struct fingerprint **ret)
{
	struct layer_cache *c = cache;
	_cleanup_free_ uint64_t *gens = calloc(img->n_layers + 1, sizeof(uint64_t));

	layer_cache_drain(c);
	if (!gens || !image_gens(c, img, o, gens))
		return 0;
	for (size_t i = 0; i < c->n_images; i++) {
		struct cached_image *x = &c->images[i];

		/* a dir: source has no config: its one layer's generation is the key */
		if (digest_equal(&x->config, &img->config_digest) && x->options == image_options(o) &&
		    x->n_gens == img->n_layers &&
		    memcmp(x->gens, gens, img->n_layers * sizeof(uint64_t)) == 0 &&
		    fingerprint_copy(x->fp, ret) >= 0) {
			(*ret)->has_manifest = img->has_manifest;
			(*ret)->manifest_digest = img->manifest_digest;
			c->stats.image_hits++;
			c->stats.hits++;
			return 1;
		}
	}
	return 0;
}

/* Is every layer an image entry was computed from still cached clean under its generation?
 * A stale entry can never be hit again. */
static bool image_live(const struct layer_cache *c, const struct cached_image *x)
{
	for (size_t g = 0; g < x->n_gens; g++) {
		bool found = false;

		for (size_t i = 0; i < c->n_layers && !found; i++)
			found = c->layers[i]->gen == x->gens[g] && c->layers[i]->ready &&
				!c->layers[i]->dirty;
		if (!found)
			return false;
	}
	return true;
}

void layer_cache_store(void *cache, struct image *img, const struct fingerprint_options *o,
		       const struct fingerprint *fp)
{
	struct layer_cache *c = cache;
	struct cached_image x = { .config = img->config_digest, .options = image_options(o),
				  .n_gens = img->n_layers };

	layer_cache_drain(c);
	x.gens = calloc(img->n_layers + 1, sizeof(uint64_t));
	if (!x.gens || !image_gens(c, img, o, x.gens) || fingerprint_copy(fp, &x.fp) < 0) {
		image_release(&x);
		return;
	}
	/* replace the same image's entry that can no longer be hit (its layers changed), or one
	 * of the same layers; the same image in another store (podman's and Docker's copies of
	 * one image) is another entry, so that starts from both do not evict each other */
	for (size_t i = 0; i < c->n_images; i++)
		if (digest_equal(&c->images[i].config, &x.config) && c->images[i].options == x.options &&
		    ((img->has_config && !image_live(c, &c->images[i])) ||
		     (c->images[i].n_gens == x.n_gens &&
		      memcmp(c->images[i].gens, x.gens, x.n_gens * sizeof(uint64_t)) == 0))) {
			image_release(&c->images[i]);
			c->images[i] = x;
			return;
		}
	if (c->n_images < CACHE_IMAGES_MAX) {
		c->images[c->n_images++] = x;
		return;
	}
	image_release(&c->images[c->next_image]); /* full: replace round-robin */
	c->images[c->next_image] = x;
	c->next_image = (c->next_image + 1) % CACHE_IMAGES_MAX;
}
