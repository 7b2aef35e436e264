/* SPDX-License-Identifier: Apache-2.0 */
/* Differences between two content tables: entries added, removed, and changed (with which
 * fields changed). */
#pragma once

#include "table.h"

enum diff_field {
	DIFF_TYPE = 1 << 0,
	DIFF_MODE = 1 << 1,
	DIFF_OWNER = 1 << 2,
	DIFF_SIZE = 1 << 3,
	DIFF_CONTENT = 1 << 4,
	DIFF_TARGET = 1 << 5,
	DIFF_DEVICE = 1 << 6,
	DIFF_XATTRS = 1 << 7,
	_DIFF_FIELD_MAX = 1 << 8,
};

enum diff_kind { DIFF_ADDED, DIFF_REMOVED, DIFF_CHANGED, _DIFF_KIND_MAX };

struct diff_item {
	enum diff_kind kind;
	const char *path;
	unsigned fields; /* DIFF_CHANGED: enum diff_field bits */
};

/* Calls cb for every difference, in path order; stops at the first negative return. Returns
 * the number of differences, or cb's error. */
int table_diff(const struct table *a, const struct table *b,
	       int (*cb)(const struct diff_item *item, void *userdata), void *userdata);

/* Which fields differ between two entries of the same path (0: none). */
unsigned entry_diff(const struct entry *a, const struct entry *b);

const char *diff_field_to_string(enum diff_field f);
