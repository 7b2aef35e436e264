/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "basic/macro.h"
#include "table.h"

static const char *const type_names[_ENTRY_TYPE_MAX] = {
	[ENTRY_FILE] = "file",       [ENTRY_DIR] = "dir",   [ENTRY_SYMLINK] = "symlink",
	[ENTRY_CHAR] = "char",       [ENTRY_BLOCK] = "block", [ENTRY_FIFO] = "fifo",
	[ENTRY_SOCKET] = "socket",   [ENTRY_WHITEOUT] = "whiteout", [ENTRY_HARDLINK] = "hardlink",
};

const char *entry_type_to_string(enum entry_type t)
{
	return t < _ENTRY_TYPE_MAX ? type_names[t] : "?";
}

int entry_type_from_string(const char *s)
{
	for (int i = 0; i < _ENTRY_TYPE_MAX; i++)
		if (i != ENTRY_HARDLINK && strcmp(s, type_names[i]) == 0)
			return i;
	return -EINVAL;
}

bool xattr_is_recorded(const char *name)
{
	return strcmp(name, "security.capability") == 0 ||
	       strcmp(name, "system.posix_acl_access") == 0 ||
	       strcmp(name, "system.posix_acl_default") == 0;
}

int table_add(struct table *t, char *path, struct entry **ret)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct entry *p;

		if (t->n >= TABLE_MAX_ENTRIES) {
			free(path);
			return -E2BIG;
		}
		p = realloc(t->entries, cap * sizeof(*p));
		if (!p) {
			free(path);
			return -ENOMEM;
		}
		t->entries = p;
		t->cap = cap;
	}
	struct entry *e = &t->entries[t->n];
	*e = (struct entry){ .path = path, .seq = (uint32_t)t->n };
	t->n++;
	*ret = e;
	return 0;
}

int entry_add_xattr(struct entry *e, const char *name, const void *value, size_t len)
{
	struct xattr *p, x;
	size_t i;

	if (len > ENTRY_XATTR_VALUE_MAX)
		return -E2BIG;
	/* The same name twice (pax archives carry SCHILY. and LIBARCHIVE. copies): last wins. */
	for (i = 0; i < e->n_xattrs; i++)
		if (strcmp(e->xattrs[i].name, name) == 0) {
			uint8_t *v = malloc(len ? len : 1);

			if (!v)
				return -ENOMEM;
			memcpy(v, value, len);
			free(e->xattrs[i].value);
			e->xattrs[i].value = v;
			e->xattrs[i].len = len;
			return 0;
		}
	if (e->n_xattrs >= ENTRY_XATTRS_MAX)
		return -E2BIG;
	x.name = strdup(name);
	x.value = malloc(len ? len : 1);
	x.len = len;
	p = realloc(e->xattrs, (e->n_xattrs + 1) * sizeof(*p));
	if (!x.name || !x.value || !p) {
		free(x.name);
		free(x.value);
		if (p)
			e->xattrs = p;
		return -ENOMEM;
	}
	memcpy(x.value, value, len);
	e->xattrs = p;
	for (i = e->n_xattrs; i > 0 && strcmp(p[i - 1].name, name) > 0; i--)
		p[i] = p[i - 1];
	p[i] = x;
	e->n_xattrs++;
	return 0;
}

static void entry_release_content(struct entry *e)
{
	free(e->target);
	e->target = NULL;
	for (size_t i = 0; i < e->n_xattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	e->xattrs = NULL;
	e->n_xattrs = 0;
}

void entry_release(struct entry *e)
{
	entry_release_content(e);
	free(e->path);
	e->path = NULL;
}

void table_release(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		entry_release(&t->entries[i]);
	free(t->entries);
	*t = (struct table){ 0 };
}

int entry_copy_content(struct entry *dst, const struct entry *src)
{
	char *path = dst->path;
	uint32_t seq = dst->seq;
	int r;

	entry_release_content(dst);
	*dst = *src;
	dst->path = path;
	dst->seq = seq;
	dst->target = NULL;
	dst->xattrs = NULL;
	dst->n_xattrs = 0;
	if (src->target && !(dst->target = strdup(src->target)))
		return -ENOMEM;
	for (size_t i = 0; i < src->n_xattrs; i++) {
		r = entry_add_xattr(dst, src->xattrs[i].name, src->xattrs[i].value,
				    src->xattrs[i].len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int entry_compare(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = path_compare(x->path, y->path);

	if (c)
		return c;
	/* A stand-in (implied) directory sorts before a real entry for the same path, so the
	 * real one is kept by table_dedup(). */
	if (x->implied != y->implied)
		return x->implied ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void table_sort(struct table *t)
{
	if (t->n > 1)
		qsort(t->entries, t->n, sizeof(struct entry), entry_compare);
}

/* Index of the first entry whose path is not less than path. */
static size_t table_lower_bound(const struct table *t, const char *path)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (path_compare(t->entries[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct entry *table_find(const struct table *t, const char *path)
{
	size_t i = table_lower_bound(t, path);

	if (i < t->n && strcmp(t->entries[i].path, path) == 0)
		return &t->entries[i];
	return NULL;
}

/* Keep only the last entry of each path (tables are sorted by path, then seq). An opaque
 * marker survives on the directory that replaces its stand-in. */
static void table_dedup(struct table *t)
{
	size_t out = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (i + 1 < t->n && strcmp(t->entries[i].path, t->entries[i + 1].path) == 0) {
			struct entry *a = &t->entries[i], *b = &t->entries[i + 1];

			if (a->opaque && b->type == ENTRY_DIR)
				b->opaque = true;
			/* A whiteout hides lower layers only, never what its own layer adds:
			 * keep the real entry, and a directory it recreates hides the lower one's
			 * content. */
			if (b->type == ENTRY_WHITEOUT && a->type != ENTRY_WHITEOUT) {
				struct entry tmp = *a;

				*a = *b;
				*b = tmp;
			}
			if (a->type == ENTRY_WHITEOUT && b->type == ENTRY_DIR)
				b->opaque = true;
			entry_release(a);
			continue;
		}
		t->entries[out++] = t->entries[i];
	}
	t->n = out;
}

static int table_add_implied_dirs(struct table *t)
{
	struct table missing = { 0 };
	const char *last = NULL;
	size_t n = t->n;
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *p = path_parent(t->entries[i].path);

		if (!p)
			return -ENOMEM;
		/* Walk up until an ancestor exists; consecutive entries share parents. */
		while (strcmp(p, "/") != 0 && (!last || strcmp(p, last) != 0) && !table_find(t, p)) {
			struct entry *e;
			char *up = path_parent(p);

			if (!up) {
				r = -ENOMEM;
				break;
			}
			r = table_add(&missing, TAKE_PTR(p), &e);
			if (r < 0) {
				free(up);
				break;
			}
			*e = (struct entry){ .path = e->path, .type = ENTRY_DIR, .mode = 0755,
					     .implied = true };
			last = e->path;
			p = up;
		}
	}
	if (r >= 0 && missing.n) {
		table_sort(&missing);
		table_dedup(&missing);
		for (size_t i = 0; i < missing.n && r >= 0; i++) {
			struct entry *e;

			r = table_add(t, missing.entries[i].path, &e);
			if (r >= 0) {
				*e = missing.entries[i];
				e->seq = (uint32_t)(t->n - 1);
			}
			missing.entries[i].path = NULL;
		}
		table_sort(t);
	}
	table_release(&missing);
	return r;
}

int table_finalize_layer(struct table *t, struct error *err)
{
	int r;

	table_sort(t);
	table_dedup(t);
	r = table_add_implied_dirs(t);
	if (r < 0)
		return error_set(err, r, "cannot build layer table: %s", strerror(-r));

	for (size_t i = 0; i < t->n; i++) {
		struct entry *e = &t->entries[i];
		_cleanup_free_ char *parent = path_parent(e->path);
		struct entry *p;

		if (!parent)
			return -ENOMEM;
		p = strcmp(parent, "/") ? table_find(t, parent) : NULL;
		if (p && p->type != ENTRY_DIR)
			return error_set(err, -EINVAL, "'%s' is inside '%s', which is a %s", e->path,
					 parent, entry_type_to_string(p->type));
		if (e->type != ENTRY_HARDLINK)
			continue;
		p = table_find(t, e->target);
		/* Follow a chain of links within the layer (bounded; a loop is refused). */
		for (int depth = 0; p && p->type == ENTRY_HARDLINK; depth++) {
			struct entry *next = table_find(t, p->target);

			if (depth == 64)
				return error_set(err, -EINVAL, "hardlink '%s': link loop", e->path);
			if (!next) {
				char *target = strdup(p->target);

				if (!target)
					return -ENOMEM;
				free(e->target);
				e->target = target;
			}
			p = next;
		}
		if (!p)
			continue; /* resolved against lower layers by table_resolve_hardlinks() */
		if (p->type != ENTRY_FILE && p->type != ENTRY_SYMLINK)
			return error_set(err, -EINVAL, "hardlink '%s' points to '%s', a %s", e->path,
					 e->target, entry_type_to_string(p->type));
		r = entry_copy_content(e, p);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Mark entries of root below path (and path itself if include_self) as hidden. */
static void hide_range(struct table *root, const char *path, bool include_self)
{
	size_t i = table_lower_bound(root, path);

	if (i < root->n && strcmp(root->entries[i].path, path) == 0) {
		root->entries[i].hidden |= include_self;
		i++;
	}
	for (; i < root->n && path_is_below(root->entries[i].path, path); i++)
		root->entries[i].hidden = true;
}

static int check_parent_in_lower(const struct table *root, const struct table *layer,
				 const struct entry *e, struct error *err)
{
	_cleanup_free_ char *parent = path_parent(e->path);
	const struct entry *p, *lower;

	if (!parent)
		return -ENOMEM;
	if (strcmp(parent, "/") == 0)
		return 0;
	p = table_find(layer, parent);
	if (p && !p->implied)
		return 0;
	lower = table_find(root, parent);
	if (lower && lower->type != ENTRY_DIR)
		return error_set(err, -EINVAL,
				 "'%s' goes through '%s', a %s in a lower layer", e->path, parent,
				 entry_type_to_string(lower->type));
	return 0;
}

int table_resolve_hardlinks(const struct table *root, struct table *layer, struct error *err)
{
	int r;

	for (size_t k = 0; k < layer->n; k++) {
		struct entry *e = &layer->entries[k];
		const struct entry *target;

		r = check_parent_in_lower(root, layer, e, err);
		if (r < 0)
			return r;
		if (e->type != ENTRY_HARDLINK)
			continue;
		target = table_find(root, e->target);
		if (!target)
			return error_set(err, -ENOENT, "hardlink '%s' points to missing '%s'",
					 e->path, e->target);
		if (target->type != ENTRY_FILE && target->type != ENTRY_SYMLINK)
			return error_set(err, -EINVAL, "hardlink '%s' points to '%s', a %s",
					 e->path, e->target, entry_type_to_string(target->type));
		r = entry_copy_content(e, target);
		if (r < 0)
			return r;
	}
	return 0;
}

int table_apply_layer(struct table *root, struct table *layer, struct error *err)
{
	struct table out = { 0 };
	size_t i = 0, j = 0;
	int r;

	/* Checks and hardlinks first, while root is still intact. */
	r = table_resolve_hardlinks(root, layer, err);
	if (r < 0)
		return r;

	/* On an empty root (the first layer, a directory) the layer becomes the root in place. */
	if (root->n == 0) {
		for (size_t k = 0; k < layer->n; k++) {
			struct entry *e = &layer->entries[k];

			if (e->type == ENTRY_WHITEOUT) {
				entry_release(e);
				continue;
			}
			e->opaque = e->implied = false;
			e->seq = (uint32_t)j;
			layer->entries[j++] = *e;
		}
		layer->n = j;
		table_release(root);
		*root = *layer;
		*layer = (struct table){ 0 };
		return 0;
	}

	/* Hide what the layer deletes or replaces (freed by the merge below). */
	for (size_t k = 0; k < layer->n; k++) {
		const struct entry *e = &layer->entries[k];

		if (e->type == ENTRY_WHITEOUT)
			hide_range(root, e->path, true);
		else if (e->type != ENTRY_DIR || e->opaque)
			hide_range(root, e->path, false);
	}

	/* Merge: both sorted; the layer wins on equal paths, implied directories too (as in
	 * containers-storage, which creates them 0755 in the layer's directory). */
	while (i < root->n || j < layer->n) {
		struct entry *a = i < root->n ? &root->entries[i] : NULL;
		struct entry *b = j < layer->n ? &layer->entries[j] : NULL;
		struct entry *dst, *src;
		int c;

		if (a && a->hidden) {
			entry_release(a);
			i++;
			continue;
		}
		c = !a ? 1 : !b ? -1 : path_compare(a->path, b->path);
		if (c == 0) {
			entry_release(a);
			i++;
			continue;
		}
		src = c < 0 ? a : b;
		if (c < 0)
			i++;
		else
			j++;
		if (src->type == ENTRY_WHITEOUT) {
			entry_release(src);
			continue;
		}
		r = table_add(&out, src->path, &dst);
		if (r < 0) {
			src->path = NULL;
			goto fail;
		}
		*dst = *src;
		dst->opaque = false;
		dst->implied = false;
		dst->seq = (uint32_t)(out.n - 1);
		*src = (struct entry){ 0 };
	}
	free(root->entries);
	free(layer->entries);
	*layer = (struct table){ 0 };
	*root = out;
	return 0;
fail:
	table_release(&out);
	return error_set(err, r, "cannot merge layer: %s", strerror(-r));
}

void table_exclude(struct table *t, char *const *paths, size_t n_paths)
{
	size_t out = 0;

	for (size_t i = 0; i < t->n; i++) {
		bool drop = strcmp(t->entries[i].path, "/") == 0;

		for (size_t k = 0; k < n_paths && !drop; k++)
			drop = strcmp(t->entries[i].path, paths[k]) == 0 ||
			       path_is_below(t->entries[i].path, paths[k]);
		if (drop)
			entry_release(&t->entries[i]);
		else
			t->entries[out++] = t->entries[i];
	}
	t->n = out;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x21 || c > 0x7e || c == '%';
}

/* Write runs of plain bytes at once; escape the rest as %XX. */
static void write_escaped(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		const unsigned char *run = p;

		while (*p && !needs_escape(*p))
			p++;
		fwrite(run, 1, (size_t)(p - run), f);
		if (*p)
			fprintf(f, "%%%02X", *p++);
	}
}

int entry_write_canonical(const struct entry *e, FILE *f)
{
	char hex[DIGEST_HEX_LEN + 1];

	write_escaped(e->path, f);
	fprintf(f, " %s %04o %u %u ", entry_type_to_string(e->type), e->mode, e->uid, e->gid);
	if (e->type == ENTRY_FILE)
		fprintf(f, "%llu %s ", (unsigned long long)e->size,
			digest_format_hex(&e->sha256, hex));
	else
		fputs("- - ", f);
	if ((e->type == ENTRY_SYMLINK || e->type == ENTRY_HARDLINK) && e->target)
		write_escaped(e->target, f);
	else
		fputc('-', f);
	if (e->type == ENTRY_CHAR || e->type == ENTRY_BLOCK)
		fprintf(f, " %u,%u ", e->major, e->minor);
	else
		fputs(" - ", f);
	if (!e->n_xattrs)
		fputc('-', f);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		_cleanup_free_ char *v = malloc(2 * e->xattrs[i].len + 1);

		if (!v)
			return -ENOMEM;
		hex_encode(e->xattrs[i].value, e->xattrs[i].len, v);
		fprintf(f, "%s%s=%s", i ? "," : "", e->xattrs[i].name, v);
	}
	if (e->opaque)
		fputs(" opaque", f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int table_digest(const struct table *t, struct digest *ret)
{
	struct sha256 sha;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	r = sha256_init(&sha);
	if (r < 0)
		return r;
	sha256_update(&sha, "imprint-content-v1\n", 19);
	/* Feed the hash in chunks of entries so memory stays flat on large tables. */
	for (size_t i = 0; i < t->n; i += 1024) {
		f = open_memstream(&buf, &len);
		if (!f) {
			r = -ENOMEM;
			break;
		}
		for (size_t k = i; k < t->n && k < i + 1024 && r >= 0; k++)
			r = entry_write_canonical(&t->entries[k], f);
		if (fclose(f) != 0 && r >= 0)
			r = -ENOMEM;
		if (r >= 0)
			sha256_update(&sha, buf, len);
		free(buf);
		buf = NULL;
		if (r < 0)
			break;
	}
	if (r >= 0)
		sha256_final(&sha, ret);
	sha256_release(&sha);
	return r < 0 ? r : 0;
}

int table_copy(const struct table *src, struct table *ret)
{
	struct table t = { 0 };

	for (size_t i = 0; i < src->n; i++) {
		struct entry *e;
		char *path = strdup(src->entries[i].path);
		int r = path ? table_add(&t, path, &e) : -ENOMEM;

		if (r >= 0)
			r = entry_copy_content(e, &src->entries[i]);
		if (r < 0) {
			table_release(&t);
			return r;
		}
	}
	*ret = t;
	return 0;
}
