/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's cache of verified layer directories (docs/verify.md, "imprintd"). A layer is
 * walked and hashed once; its table is kept in memory only, and a fanotify filesystem mark
 * reports every change below it (content, attributes, xattrs, entries created, deleted or
 * renamed, through any path, hardlinks included) so the layer is dropped from the cache before
 * the next request reads it.
 *
 * Soundness rests on one kernel fact: fsnotify queues an event before the modifying system
 * call returns. layer_cache_drain() at the start of every request therefore sees every change
 * made before the request was sent. */
#pragma once

#include <sys/types.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "fingerprint/fingerprint.h"
#include "fingerprint/layer.h"

struct layer_cache;

int layer_cache_new(struct layer_cache **ret, struct error *err);
struct layer_cache *layer_cache_free(struct layer_cache *c);
DEFINE_FREEP(struct layer_cache, layer_cache_free)

/* Called (during a drain) for each verified layer directory that changed, or that may have:
 * after a lost event every cached layer is reported. */
typedef void (*layer_changed_fn)(void *userdata, dev_t dev, ino_t ino);
void layer_cache_on_change(struct layer_cache *c, layer_changed_fn fn, void *userdata);

/* The fanotify fd, to poll: readable when events are pending. */
int layer_cache_fd(const struct layer_cache *c);

/* Read every pending event and drop the layers they touch. */
void layer_cache_drain(struct layer_cache *c);

/* A fingerprint_options.read_dir: the cached table of the layer at dirfd if it is still clean,
 * else walk and hash it (layer_read_dir) and keep the result if nothing changed meanwhile. */
int layer_cache_read_dir(void *cache, int dirfd, const struct walk_options *wo,
			 struct table *ret, struct error *err);

/* A fingerprint_cache's lookup and store: a whole image's fingerprint, reused while all its
 * layers stay cached clean (no re-merge, no re-digest). */
int layer_cache_lookup(void *cache, struct image *img, const struct fingerprint_options *o,
		       struct fingerprint **ret);
void layer_cache_store(void *cache, struct image *img, const struct fingerprint_options *o,
		       const struct fingerprint *fp);

struct layer_cache_stats {
	size_t layers, hits, misses, invalidations, events, image_hits;
};
void layer_cache_stats(const struct layer_cache *c, struct layer_cache_stats *ret);
