/* SPDX-License-Identifier: Apache-2.0 */
/* The content table: one entry per filesystem object of an image's root filesystem (or of one
 * layer), sorted by path_compare(), with a canonical text form and a digest over it
 * (docs/formats.md). A table owns its entries and their strings. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "basic/digest.h"
#include "basic/error.h"

enum entry_type {
	ENTRY_FILE,
	ENTRY_DIR,
	ENTRY_SYMLINK,
	ENTRY_CHAR,
	ENTRY_BLOCK,
	ENTRY_FIFO,
	ENTRY_SOCKET,
	ENTRY_WHITEOUT, /* layer tables only: hides the path in lower layers */
	ENTRY_HARDLINK, /* while reading a tar only: resolved to its target's content */
	_ENTRY_TYPE_MAX,
};

struct xattr {
	char *name;
	uint8_t *value;
	size_t len;
};

struct entry {
	char *path; /* absolute, normalized: "/usr/bin/env" */
	enum entry_type type;
	uint32_t mode; /* permission bits incl. setuid/setgid/sticky (07777) */
	uint32_t uid, gid;
	uint64_t size;             /* ENTRY_FILE */
	struct digest sha256;      /* ENTRY_FILE */
	char *target;              /* ENTRY_SYMLINK target; ENTRY_HARDLINK target path */
	uint32_t major, minor;     /* ENTRY_CHAR, ENTRY_BLOCK */
	struct xattr *xattrs;      /* sorted by name */
	size_t n_xattrs;
	bool opaque;               /* layer tables: directory hides lower content */
	bool implied;              /* directory a layer implies but does not contain */
	bool hidden;               /* while merging: deleted or replaced by the upper layer */
	uint32_t seq;              /* order of appearance in a layer, for "last one wins" */
};

struct table {
	struct entry *entries;
	size_t n, cap;
};

#define TABLE_MAX_ENTRIES (8u * 1024 * 1024)
#define ENTRY_PATH_MAX 4096
#define ENTRY_XATTRS_MAX 64
#define ENTRY_XATTR_VALUE_MAX 65536

const char *entry_type_to_string(enum entry_type t);
int entry_type_from_string(const char *s);

/* True for the extended attributes we record (they change what a file can do). */
bool xattr_is_recorded(const char *name);

/* Append a new zeroed entry owning path (taken even on failure). */
int table_add(struct table *t, char *path, struct entry **ret);
/* Add an xattr (copies name and value), keeping them sorted. */
int entry_add_xattr(struct entry *e, const char *name, const void *value, size_t len);
void entry_release(struct entry *e);
void table_release(struct table *t);

void table_sort(struct table *t);
/* Binary search in a sorted table; NULL if absent. */
struct entry *table_find(const struct table *t, const char *path);

/* Layer tables: sort, keep the last of duplicate paths, add the directories a layer implies,
 * refuse entries whose parent is not a directory, resolve hardlinks within the layer. */
int table_finalize_layer(struct table *layer, struct error *err);

/* Apply a finalized layer on top of root (sorted, no whiteouts): whiteouts and opaque
 * directories hide lower content, entries replace lower ones (an implied directory replaces a
 * lower directory's metadata, as overlayfs shows it), hardlinks into lower layers are
 * resolved. layer is consumed (left empty). */
int table_apply_layer(struct table *root, struct table *layer, struct error *err);

/* Check that the layer's entries do not go through a lower non-directory, and resolve its
 * hardlinks into lower layers (root). Part of table_apply_layer(); exported so that a layer
 * table can be digested with its hardlinks resolved. */
int table_resolve_hardlinks(const struct table *root, struct table *layer, struct error *err);

/* Drop every entry equal to or below one of the paths. */
void table_exclude(struct table *t, char *const *paths, size_t n_paths);

/* Canonical text of one entry (one line, with '\n'), written to f. */
int entry_write_canonical(const struct entry *e, FILE *f);
/* Digest over the canonical form (header line + every entry's line). */
int table_digest(const struct table *t, struct digest *ret);

/* Copy the content fields (type, mode, owner, size, sha256, target, device, xattrs) of src into
 * dst, keeping dst's path. */
int entry_copy_content(struct entry *dst, const struct entry *src);
/* A deep copy of a table. */
int table_copy(const struct table *src, struct table *ret);
