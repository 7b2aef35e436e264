/* SPDX-License-Identifier: Apache-2.0 */
/* The union of behavioral models (imprint learn --merge; docs/behavior.md, "Merge"): several
 * runs or replicas of one image become one fingerprint that allows everything each of them did.
 *
 * Ownership: merging copies from src and never keeps a pointer into it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "behavior.h"

/* NULL sorts first. */
static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return !!a - !!b;
	return strcmp(a, b);
}

static bool streq_null(const char *a, const char *b)
{
	return strcmp_null(a, b) == 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > (uint64_t)INT64_MAX - b ? (uint64_t)INT64_MAX : a + b;
}

/* Add src's subtree to dst's: same-place children pair up in order, the others are copied. */
static int process_merge(struct bprocess *dst, const struct bprocess *src)
{
	_cleanup_free_ bool *matched = NULL;
	size_t n = dst->n_children;
	struct bprocess *c;
	int r;

	/* Everything of src but its children: */
	struct bprocess shallow = *src;

	shallow.n_children = 0;
	r = bprocess_add_all(dst, &shallow);
	if (r < 0)
		return r;
	if (src->count > dst->count)
		dst->count = src->count;
	if (n && !(matched = calloc(n, sizeof(*matched))))
		return -ENOMEM;
	for (size_t i = 0; i < src->n_children; i++) {
		const struct bprocess *s = &src->children[i];
		size_t j = 0;

		while (j < n && (matched[j] || bprocess_place_cmp(&dst->children[j], s) != 0))
			j++;
		if (j < n) {
			matched[j] = true;
			r = process_merge(&dst->children[j], s);
		} else {
			r = bprocess_add_child(dst, &c);
			if (r >= 0) {
				*c = (struct bprocess){ .uid = s->uid, .gid = s->gid,
							.ids_unknown = s->ids_unknown,
							.count = s->count };
				r = bprocess_add_all(c, s);
			}
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The roots are the same place whatever they run, but one node has one identity. */
static int root_merge(struct bprocess *dst, const struct bprocess *src, const char *what,
		      struct error *err)
{
	if (!dst->ids_unknown && !src->ids_unknown &&
	    (dst->uid != src->uid || dst->gid != src->gid))
		return error_set(err, -EINVAL, "%s runs as %u:%u in one and %u:%u in the other",
				 what, dst->uid, dst->gid, src->uid, src->gid);
	if (dst->ids_unknown && !src->ids_unknown) {
		dst->uid = src->uid;
		dst->gid = src->gid;
		dst->ids_unknown = false;
	}
	return process_merge(dst, src);
}

static int container_merge(struct bcontainer *dst, const struct bcontainer *src,
			   struct error *err)
{
	int r;

	/* Two names for one image (tags): keep the first in byte order, whatever the order of
	 * the inputs. */
	if (src->image_name && strcmp_null(src->image_name, dst->image_name) < 0) {
		char *s = strdup(src->image_name);

		if (!s)
			return -ENOMEM;
		free(dst->image_name);
		dst->image_name = s;
	}
	r = root_merge(&dst->entrypoint, &src->entrypoint, "the entrypoint", err);

	if (r >= 0 && src->exec && dst->exec)
		r = root_merge(dst->exec, src->exec, "exec", err);
	else if (r >= 0 && src->exec) {
		dst->exec = malloc(sizeof(*dst->exec));
		if (!dst->exec)
			return -ENOMEM;
		*dst->exec = (struct bprocess){ .uid = src->exec->uid, .gid = src->exec->gid,
						.ids_unknown = src->exec->ids_unknown };
		r = process_merge(dst->exec, src->exec);
	}
	if (r < 0)
		return error_prefix(err, r, "container '%s'", dst->name ?: "");
	return 0;
}

int behavior_merge(struct behavior *dst, const struct behavior *src, struct error *err)
{
	int r;

	for (size_t i = 0; i < src->n_containers; i++) {
		const struct bcontainer *s = &src->containers[i];
		struct bcontainer *d = NULL;

		for (size_t k = 0; k < dst->n_containers && !d; k++)
			if (streq_null(dst->containers[k].name, s->name) &&
			    streq_null(dst->containers[k].image_digest, s->image_digest))
				d = &dst->containers[k];
		if (!d) {
			r = behavior_add_container(dst, s->name, s->image_name, s->image_digest, &d);
			if (r < 0)
				return r;
			d->entrypoint = (struct bprocess){ .uid = s->entrypoint.uid,
							   .gid = s->entrypoint.gid,
							   .ids_unknown = s->entrypoint.ids_unknown };
		}
		r = container_merge(d, s, err);
		if (r < 0)
			return r;
	}
	dst->complete = dst->complete && src->complete;
	dst->lost_events = add_sat(dst->lost_events, src->lost_events);
	if (src->created && strcmp_null(dst->created, src->created) < 0) {
		char *s = strdup(src->created);

		if (!s)
			return -ENOMEM;
		free(dst->created);
		dst->created = s;
	}
	return behavior_canonicalize(dst, err);
}
