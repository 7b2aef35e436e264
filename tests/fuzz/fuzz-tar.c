/* SPDX-License-Identifier: Apache-2.0 */
/* A layer tar (any compression) through layer_read_tar(), table_finalize_layer() and
 * table_apply_layer() onto a small fixed lower root, checking the tables' invariants on the way:
 * sorted unique normalized paths, every parent a directory, no hardlink left, no whiteout in the
 * root. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/fs.h"
#include "fingerprint/layer.h"
#include "fingerprint/table.h"
#include "fuzz.h"
#include "image/blob.h"

static void add(struct table *t, const char *path, enum entry_type type, const char *target)
{
	struct entry *e;

	if (table_add(t, strdup(path), &e) < 0 || !e->path)
		abort();
	e->type = type;
	e->mode = type == ENTRY_SYMLINK ? 0777 : 0755;
	if (target && !(e->target = strdup(target)))
		abort();
	if (type == ENTRY_FILE)
		e->size = 0;
}

/* What layers usually land on: directories, files, a symlinked /lib, a file where a tar might
 * put a directory. */
static void build_lower(struct table *t)
{
	add(t, "/bin", ENTRY_DIR, NULL);
	add(t, "/bin/busybox", ENTRY_FILE, NULL);
	add(t, "/bin/sh", ENTRY_SYMLINK, "busybox");
	add(t, "/etc", ENTRY_DIR, NULL);
	add(t, "/etc/passwd", ENTRY_FILE, NULL);
	add(t, "/etc/ssl", ENTRY_DIR, NULL);
	add(t, "/etc/ssl/cert.pem", ENTRY_FILE, NULL);
	add(t, "/lib", ENTRY_SYMLINK, "usr/lib");
	add(t, "/usr", ENTRY_DIR, NULL);
	add(t, "/usr/lib", ENTRY_DIR, NULL);
	add(t, "/usr/lib/libc.so", ENTRY_FILE, NULL);
	add(t, "/a", ENTRY_DIR, NULL);
	add(t, "/a/b", ENTRY_FILE, NULL);
	add(t, "/a-b", ENTRY_FILE, NULL);
	table_sort(t);
}

static void check_path(const char *p)
{
	size_t n = strlen(p);

	FUZZ_CHECK(p[0] == '/' && n > 1 && p[n - 1] != '/', "'%s'", p);
	FUZZ_CHECK(!strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../"), "'%s'", p);
	FUZZ_CHECK(strcmp(p + n - 2, "/.") != 0 && (n < 3 || strcmp(p + n - 3, "/..") != 0), "'%s'",
		   p);
}

static void check_table(const struct table *t, bool root)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct entry *e = &t->entries[i], *parent;
		char *up;

		check_path(e->path);
		if (i > 0)
			FUZZ_CHECK(path_compare(t->entries[i - 1].path, e->path) < 0, "'%s' '%s'",
				   t->entries[i - 1].path, e->path);
		FUZZ_CHECK(e->type != ENTRY_HARDLINK || !table_find(t, e->target),
			   "'%s' -> '%s' unresolved", e->path, e->target);
		FUZZ_CHECK(!root || (e->type != ENTRY_WHITEOUT && e->type != ENTRY_HARDLINK &&
				     !e->implied && !e->opaque),
			   "'%s' type %d in root", e->path, e->type);
		FUZZ_CHECK(e->mode <= 07777, "'%s' mode %o", e->path, e->mode);
		FUZZ_CHECK(e->type != ENTRY_SYMLINK || e->target, "'%s'", e->path);
		for (size_t k = 1; k < e->n_xattrs; k++)
			FUZZ_CHECK(strcmp(e->xattrs[k - 1].name, e->xattrs[k].name) <= 0, "'%s'",
				   e->path);
		up = path_parent(e->path);
		if (!up)
			abort();
		parent = strcmp(up, "/") ? table_find(t, up) : NULL;
		FUZZ_CHECK(strcmp(up, "/") == 0 || (parent && parent->type == ENTRY_DIR),
			   "'%s': parent '%s' %s", e->path, up,
			   parent ? entry_type_to_string(parent->type) : "missing");
		free(up);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table layer = { 0 }, root = { 0 };
	struct error err = { { 0 } };
	struct blob *blob = NULL;
	struct digest d;
	size_t off = 0;
	int fd, r;

	fd = memfd_create("fuzz-tar", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	if (blob_open_fd(fd, NULL, -1, "fuzz", &blob, &err) < 0)
		abort();
	r = layer_read_tar(blob, NULL, &layer, &err);
	blob_free(blob);
	FUZZ_CHECK(r >= 0 || layer.n == 0, "%zu entries returned with error %d", layer.n, r);
	FUZZ_CHECK(r >= 0 || err.message[0], "error %d without a message", r);
	if (r >= 0)
		r = table_finalize_layer(&layer, &err);
	if (r >= 0) {
		check_table(&layer, false);
		if (table_digest(&layer, &d) < 0)
			abort();
		build_lower(&root);
		r = table_apply_layer(&root, &layer, &err);
		if (r >= 0) {
			FUZZ_CHECK(layer.n == 0, "layer not consumed");
			check_table(&root, true);
			if (table_digest(&root, &d) < 0)
				abort();
		}
	}
	table_release(&layer);
	table_release(&root);
	return 0;
}
