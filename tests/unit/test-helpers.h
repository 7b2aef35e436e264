/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the cmocka unit tests: build content tables by hand and check them.
 *
 * Ownership: every helper that adds an entry hands table_add() a freshly malloc'd path, as the
 * table API requires; tables are released by the test with table_release(). Entry pointers are
 * only valid until the next table_add() (the array may move). */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "basic/digest.h"
#include "basic/sha256.h"
#include "basic/error.h"
#include "basic/fs.h"
#include "fingerprint/diff.h"
#include "fingerprint/table.h"

/* Tests that assert the documented behaviour where src/ currently does something else live in a
 * second group, run with "--bugs" (registered as the *-bugs tests), so that the main group keeps
 * catching regressions while those bugs are open. */
#define RUN_GROUPS(name, tests, bugs, argc, argv)                                         \
	((argc) > 1 && strcmp((argv)[1], "--bugs") == 0                                   \
		 ? cmocka_run_group_tests_name(name " (known src/ bugs)", bugs, NULL, NULL) \
		 : cmocka_run_group_tests_name(name, tests, NULL, NULL))

static inline struct entry *add_entry(struct table *t, const char *path, enum entry_type type,
				      uint32_t mode)
{
	struct entry *e = NULL;
	char *p = strdup(path);

	assert_non_null(p);
	assert_int_equal(table_add(t, p, &e), 0);
	e->type = type;
	e->mode = mode;
	return e;
}

static inline struct entry *add_file(struct table *t, const char *path, const char *content)
{
	struct entry *e = add_entry(t, path, ENTRY_FILE, 0644);

	e->size = strlen(content);
	assert_int_equal(sha256_buffer(content, strlen(content), &e->sha256), 0);
	return e;
}

static inline struct entry *add_dir(struct table *t, const char *path)
{
	return add_entry(t, path, ENTRY_DIR, 0755);
}

static inline struct entry *add_symlink(struct table *t, const char *path, const char *target)
{
	struct entry *e = add_entry(t, path, ENTRY_SYMLINK, 0777);

	e->target = strdup(target);
	assert_non_null(e->target);
	return e;
}

/* A hardlink as layer_read_tar() leaves it: target is the normalized absolute path. */
static inline struct entry *add_hardlink(struct table *t, const char *path, const char *target)
{
	struct entry *e = add_entry(t, path, ENTRY_HARDLINK, 0644);

	e->target = strdup(target);
	assert_non_null(e->target);
	return e;
}

static inline struct entry *add_whiteout(struct table *t, const char *path)
{
	return add_entry(t, path, ENTRY_WHITEOUT, 0);
}

/* What layer_read_tar() records for DIR/.wh..wh..opq without a DIR entry. */
static inline struct entry *add_opaque_marker(struct table *t, const char *path)
{
	struct entry *e = add_entry(t, path, ENTRY_DIR, 0755);

	e->implied = true;
	e->opaque = true;
	return e;
}

static inline struct digest digest_of(const char *content)
{
	struct digest d;

	assert_int_equal(sha256_buffer(content, strlen(content), &d), 0);
	return d;
}

/* The table's paths, in order, are exactly the NULL-terminated list. */
static inline void assert_paths(const struct table *t, const char *const *paths)
{
	size_t n = 0;

	while (paths[n])
		n++;
	for (size_t i = 0; i < t->n && i < n; i++)
		assert_string_equal(t->entries[i].path, paths[i]);
	assert_int_equal(t->n, n);
}

#define PATHS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static inline struct entry *must_find(const struct table *t, const char *path)
{
	struct entry *e = table_find(t, path);

	if (!e) {
		print_message("table of %zu entries:\n", t->n);
		for (size_t i = 0; i < t->n; i++)
			print_message("  %s (%s)\n", t->entries[i].path,
				      entry_type_to_string(t->entries[i].type));
		fail_msg("'%s' is not in the table", path);
	}
	return e;
}

/* Finalize a hand-built layer, failing the test with the library's message on error. */
static inline void finalize_ok(struct table *layer)
{
	struct error err = { { 0 } };
	int r = table_finalize_layer(layer, &err);

	if (r < 0)
		fail_msg("table_finalize_layer: %d: %s", r, err.message);
}

static inline void apply_ok(struct table *root, struct table *layer)
{
	struct error err = { { 0 } };
	int r;

	finalize_ok(layer);
	r = table_apply_layer(root, layer, &err);
	if (r < 0)
		fail_msg("table_apply_layer: %d: %s", r, err.message);
}
