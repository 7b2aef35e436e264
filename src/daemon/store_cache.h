/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's policy store, loaded once and kept while nothing it was loaded from changes
 * (checking every signature costs more than the rest of a warm decision). It is loaded again
 * when:
 *   - inotify reports any change in the keys, policy or state directory (a file written,
 *     created, deleted, renamed or chmod'ed; the directory itself moved or deleted; the event
 *     queue overflowing),
 *   - one of the three paths no longer names the directory it named at the load (a directory
 *     or a symlink on the way swapped),
 *   - a policy it accepted expires, or
 *   - STORE_CACHE_MAX_AGE_S passed (a backstop for changes inotify cannot see: a key that is a
 *     symlink to a file elsewhere, a policy changed through a hard link in another directory).
 * A load that fails is not kept: the next request loads again. Each load checks expiry against
 * the time of that load, and the cache ends at the first expiry.
 *
 * Ownership: the cache owns the store and the inotify fd; store_cache_get() lends the store
 * until the next call. One thread (imprintd's request loop). */
#pragma once

#include "policy/store.h"

#define STORE_CACHE_MAX_AGE_S 5

struct store_cache;

/* o is borrowed for the cache's life (its now is ignored: each load uses the current time). */
int store_cache_new(const struct store_options *o, struct store_cache **ret, struct error *err);

/* The store as it is now: the kept one, or loaded again. < 0 with err set if it cannot be
 * loaded (what store_load() fails on). */
int store_cache_get(struct store_cache *c, const struct store **ret, struct error *err);

struct store_cache *store_cache_free(struct store_cache *c);
DEFINE_FREEP(struct store_cache, store_cache_free)
