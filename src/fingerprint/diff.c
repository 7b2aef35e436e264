/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "basic/fs.h"
#include "diff.h"

const char *diff_field_to_string(enum diff_field f)
{
	switch (f) {
	case DIFF_TYPE: return "type";
	case DIFF_MODE: return "mode";
	case DIFF_OWNER: return "owner";
	case DIFF_SIZE: return "size";
	case DIFF_CONTENT: return "content";
	case DIFF_TARGET: return "target";
	case DIFF_DEVICE: return "device";
	case DIFF_XATTRS: return "xattrs";
	default: return "?";
	}
}

static bool xattrs_equal(const struct entry *a, const struct entry *b)
{
	if (a->n_xattrs != b->n_xattrs)
		return false;
	for (size_t i = 0; i < a->n_xattrs; i++)
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) != 0 ||
		    a->xattrs[i].len != b->xattrs[i].len ||
		    memcmp(a->xattrs[i].value, b->xattrs[i].value, a->xattrs[i].len) != 0)
			return false;
	return true;
}

unsigned entry_diff(const struct entry *a, const struct entry *b)
{
	unsigned f = 0;

	if (a->type != b->type)
		return DIFF_TYPE;
	if (a->mode != b->mode)
		f |= DIFF_MODE;
	if (a->uid != b->uid || a->gid != b->gid)
		f |= DIFF_OWNER;
	if (a->type == ENTRY_FILE && a->size != b->size)
		f |= DIFF_SIZE;
	if (a->type == ENTRY_FILE && !digest_equal(&a->sha256, &b->sha256))
		f |= DIFF_CONTENT;
	if (a->type == ENTRY_SYMLINK && strcmp(a->target, b->target) != 0)
		f |= DIFF_TARGET;
	if ((a->type == ENTRY_CHAR || a->type == ENTRY_BLOCK) &&
	    (a->major != b->major || a->minor != b->minor))
		f |= DIFF_DEVICE;
	if (!xattrs_equal(a, b))
		f |= DIFF_XATTRS;
	return f;
}

int table_diff(const struct table *a, const struct table *b,
	       int (*cb)(const struct diff_item *item, void *userdata), void *userdata)
{
	size_t i = 0, j = 0;
	int n = 0;

	while (i < a->n || j < b->n) {
		struct diff_item item = { 0 };
		int c = i == a->n ? 1 : j == b->n ? -1 :
			path_compare(a->entries[i].path, b->entries[j].path);
		int r;

		if (c < 0) {
			item = (struct diff_item){ DIFF_REMOVED, a->entries[i++].path, 0 };
		} else if (c > 0) {
			item = (struct diff_item){ DIFF_ADDED, b->entries[j++].path, 0 };
		} else {
			unsigned f = entry_diff(&a->entries[i], &b->entries[j]);

			item = (struct diff_item){ DIFF_CHANGED, a->entries[i].path, f };
			i++;
			j++;
			if (!f)
				continue;
		}
		r = cb(&item, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return n;
}
