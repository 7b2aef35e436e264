/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's kept policy store (store_cache.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "store_cache.h"

#define WATCH_MASK                                                                          \
	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |  \
	 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

enum { DIR_KEYS, DIR_POLICY, DIR_STATE, _DIR_MAX };

struct store_cache {
	struct store_options o;
	int inotify_fd;
	struct store *store;       /* NULL: load on the next get */
	int64_t valid_until;       /* seconds since the epoch */
	dev_t dev[_DIR_MAX];       /* what each path named at the load */
	ino_t ino[_DIR_MAX];
	int wd[_DIR_MAX];
};

static const char *dir_path(const struct store_cache *c, int i)
{
	return i == DIR_KEYS ? c->o.keys_dir : i == DIR_POLICY ? c->o.policy_dir : c->o.state_dir;
}

int store_cache_new(const struct store_options *o, struct store_cache **ret, struct error *err)
{
	struct store_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->inotify_fd < 0) {
		int r = error_set(err, -errno, "inotify: %m");

		free(c);
		return r;
	}
	for (int i = 0; i < _DIR_MAX; i++)
		c->wd[i] = -1;
	*ret = c;
	return 0;
}

/* True if an event is waiting (all of them are read). */
static bool changed(struct store_cache *c)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	while ((n = read(c->inotify_fd, buf, sizeof(buf))) > 0)
		any = true;
	return any || (n < 0 && errno != EAGAIN);
}

static bool same_dirs(const struct store_cache *c)
{
	struct stat st;

	for (int i = 0; i < _DIR_MAX; i++)
		if (stat(dir_path(c, i), &st) < 0 || st.st_dev != c->dev[i] ||
		    st.st_ino != c->ino[i])
			return false;
	return true;
}

static void drop(struct store_cache *c)
{
	c->store = store_free(c->store);
	for (int i = 0; i < _DIR_MAX; i++)
		if (c->wd[i] >= 0) {
			inotify_rm_watch(c->inotify_fd, c->wd[i]);
			c->wd[i] = -1;
		}
	(void)changed(c); /* what the removals queued */
}

/* Watch the three directories and note what they are; false if one cannot be watched (the
 * state directory before its first write, say): then the store is not kept. */
static bool watch(struct store_cache *c)
{
	struct stat st;

	for (int i = 0; i < _DIR_MAX; i++) {
		c->wd[i] = inotify_add_watch(c->inotify_fd, dir_path(c, i), WATCH_MASK);
		if (c->wd[i] < 0 || stat(dir_path(c, i), &st) < 0)
			return false;
		c->dev[i] = st.st_dev;
		c->ino[i] = st.st_ino;
	}
	return true;
}

/* The first time a policy of s stops being valid: its earliest expiry, capped by the
 * backstop. */
static int64_t valid_until(const struct store *s, int64_t now)
{
	int64_t until = now + STORE_CACHE_MAX_AGE_S, t;

	for (size_t i = 0; i < s->n_policies; i++) {
		const char *e = json_string_value(json_object_get(s->policies[i].doc, "expires"));

		if (e && time_parse_rfc3339(e, &t) == 0 && t < until)
			until = t;
	}
	return until;
}

int store_cache_get(struct store_cache *c, const struct store **ret, struct error *err)
{
	int64_t now = (int64_t)time(NULL);
	struct store_options o = c->o;
	bool watched;
	int r;

	if (c->store && !changed(c) && now < c->valid_until && same_dirs(c)) {
		*ret = c->store;
		return 0;
	}
	drop(c);
	/* watch first: a change during the load is then an event, and the next get loads again */
	watched = watch(c);
	o.now = now;
	r = store_load(&o, &c->store, err);
	if (r < 0) {
		drop(c);
		return r;
	}
	c->valid_until = watched ? valid_until(c->store, now) : now;
	*ret = c->store;
	return 0;
}

struct store_cache *store_cache_free(struct store_cache *c)
{
	if (!c)
		return NULL;
	store_free(c->store);
	close(c->inotify_fd);
	free(c);
	return NULL;
}
