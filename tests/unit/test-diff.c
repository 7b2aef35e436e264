/* SPDX-License-Identifier: Apache-2.0 */
/* src/fingerprint/diff.c: added, removed and changed entries, and which fields changed. */
#include <errno.h>

#include "test-helpers.h"

#include "fingerprint/diff.h"

#define ITEMS_MAX 32

struct collected {
	size_t n;
	struct {
		enum diff_kind kind;
		char path[64];
		unsigned fields;
	} items[ITEMS_MAX];
	int fail_at; /* return -EIO at this call (1-based), 0: never */
};

static int collect(const struct diff_item *item, void *userdata)
{
	struct collected *c = userdata;

	assert_true(c->n < ITEMS_MAX);
	c->items[c->n].kind = item->kind;
	snprintf(c->items[c->n].path, sizeof(c->items[c->n].path), "%s", item->path);
	c->items[c->n].fields = item->fields;
	c->n++;
	return c->fail_at && (int)c->n == c->fail_at ? -EIO : 0;
}

static void assert_item(const struct collected *c, size_t i, enum diff_kind kind, const char *path,
			unsigned fields)
{
	assert_true(i < c->n);
	assert_int_equal(c->items[i].kind, kind);
	assert_string_equal(c->items[i].path, path);
	if (c->items[i].fields != fields)
		fail_msg("'%s': fields 0x%x, want 0x%x", path, c->items[i].fields, fields);
}

static void build_base(struct table *t)
{
	const uint8_t cap[] = { 1, 0, 0, 2 };
	struct entry *e;

	add_dir(t, "/bin");
	e = add_file(t, "/bin/busybox", "busybox");
	e->mode = 0755;
	add_symlink(t, "/bin/sh", "busybox");
	add_dir(t, "/dev");
	e = add_entry(t, "/dev/null", ENTRY_CHAR, 0666);
	e->major = 1;
	e->minor = 3;
	add_file(t, "/etc/passwd", "root:x:0:0");
	e = add_file(t, "/usr/bin/ping", "ping");
	assert_int_equal(entry_add_xattr(e, "security.capability", cap, sizeof(cap)), 0);
	add_file(t, "/wget", "wget");
	table_sort(t);
}

static void test_diff_equal(void **state)
{
	struct table a = { 0 }, b = { 0 };
	struct collected c = { 0 };

	build_base(&a);
	build_base(&b);
	assert_int_equal(table_diff(&a, &b, collect, &c), 0);
	assert_int_equal(c.n, 0);
	table_release(&a);
	table_release(&b);

	assert_int_equal(table_diff(&a, &b, collect, &c), 0); /* two empty tables */
}

static void test_diff_added_removed(void **state)
{
	struct table a = { 0 }, b = { 0 };
	struct collected c = { 0 };
	struct entry *e;

	build_base(&a);
	build_base(&b);
	/* remove /wget and /bin/sh from b, add /etc/added and /zzz */
	e = must_find(&b, "/wget");
	free(e->path);
	e->path = strdup("/zzz");
	e = must_find(&b, "/bin/sh");
	free(e->path);
	e->path = strdup("/etc/added");
	table_sort(&b);

	assert_int_equal(table_diff(&a, &b, collect, &c), 4);
	assert_int_equal(c.n, 4);
	/* in path order */
	assert_item(&c, 0, DIFF_REMOVED, "/bin/sh", 0);
	assert_item(&c, 1, DIFF_ADDED, "/etc/added", 0);
	assert_item(&c, 2, DIFF_REMOVED, "/wget", 0);
	assert_item(&c, 3, DIFF_ADDED, "/zzz", 0);

	/* against an empty table: everything added / removed */
	c = (struct collected){ 0 };
	assert_int_equal(table_diff(&(struct table){ 0 }, &a, collect, &c), (int)a.n);
	for (size_t i = 0; i < c.n; i++)
		assert_item(&c, i, DIFF_ADDED, a.entries[i].path, 0);
	c = (struct collected){ 0 };
	assert_int_equal(table_diff(&a, &(struct table){ 0 }, collect, &c), (int)a.n);
	for (size_t i = 0; i < c.n; i++)
		assert_item(&c, i, DIFF_REMOVED, a.entries[i].path, 0);
	table_release(&a);
	table_release(&b);
}

static void test_diff_changed_fields(void **state)
{
	struct table a = { 0 }, b = { 0 };
	struct collected c = { 0 };
	struct entry *e;

	build_base(&a);
	build_base(&b);
	must_find(&b, "/bin")->mode = 0700;                            /* mode */
	must_find(&b, "/bin/busybox")->sha256.bytes[0] ^= 0xff;       /* content, same size */
	e = must_find(&b, "/bin/sh");                                  /* target */
	free(e->target);
	e->target = strdup("/bin/busybox");
	must_find(&b, "/dev/null")->minor = 5;                         /* device */
	must_find(&b, "/etc/passwd")->gid = 1000;                      /* owner */
	e = must_find(&b, "/usr/bin/ping");                            /* xattrs: value */
	e->xattrs[0].value[3] = 3;
	e = must_find(&b, "/wget");                                    /* size + content + owner */
	e->size = 99;
	e->sha256.bytes[5] ^= 1;
	e->uid = 2;

	assert_int_equal(table_diff(&a, &b, collect, &c), 7);
	assert_item(&c, 0, DIFF_CHANGED, "/bin", DIFF_MODE);
	assert_item(&c, 1, DIFF_CHANGED, "/bin/busybox", DIFF_CONTENT);
	assert_item(&c, 2, DIFF_CHANGED, "/bin/sh", DIFF_TARGET);
	assert_item(&c, 3, DIFF_CHANGED, "/dev/null", DIFF_DEVICE);
	assert_item(&c, 4, DIFF_CHANGED, "/etc/passwd", DIFF_OWNER);
	assert_item(&c, 5, DIFF_CHANGED, "/usr/bin/ping", DIFF_XATTRS);
	assert_item(&c, 6, DIFF_CHANGED, "/wget", DIFF_SIZE | DIFF_CONTENT | DIFF_OWNER);
	table_release(&a);
	table_release(&b);
}

static void test_diff_type_and_xattr_presence(void **state)
{
	const uint8_t cap[] = { 1, 0, 0, 2 };
	struct table a = { 0 }, b = { 0 };
	struct collected c = { 0 };
	struct entry *e;

	add_file(&a, "/x", "x");
	add_file(&a, "/y", "y");
	add_file(&a, "/z", "z");
	e = add_dir(&b, "/x"); /* file -> dir: only "type", other fields are meaningless */
	e->mode = 0700;
	e = add_file(&b, "/y", "y");
	assert_int_equal(entry_add_xattr(e, "security.capability", cap, sizeof(cap)), 0);
	e = add_file(&b, "/z", "z");
	e->mode = 04755;
	e->uid = 1;
	assert_int_equal(entry_add_xattr(e, "system.posix_acl_access", cap, sizeof(cap)), 0);

	assert_int_equal(table_diff(&a, &b, collect, &c), 3);
	assert_item(&c, 0, DIFF_CHANGED, "/x", DIFF_TYPE);
	assert_item(&c, 1, DIFF_CHANGED, "/y", DIFF_XATTRS);
	assert_item(&c, 2, DIFF_CHANGED, "/z", DIFF_MODE | DIFF_OWNER | DIFF_XATTRS);
	/* and the other way round */
	c = (struct collected){ 0 };
	assert_int_equal(table_diff(&b, &a, collect, &c), 3);
	assert_item(&c, 1, DIFF_CHANGED, "/y", DIFF_XATTRS);
	table_release(&a);
	table_release(&b);
}

static void test_entry_diff_ignores_unused_fields(void **state)
{
	struct table a = { 0 }, b = { 0 };
	struct entry *x, *y;

	/* size and sha256 mean nothing on a dir, major/minor nothing on a file */
	x = add_dir(&a, "/d");
	y = add_dir(&b, "/d");
	y->size = 5;
	y->sha256.bytes[0] = 1;
	y->major = 3;
	assert_int_equal(entry_diff(x, y), 0);
	x = add_file(&a, "/f", "f");
	y = add_file(&b, "/f", "f");
	y->major = 9;
	assert_int_equal(entry_diff(x, y), 0);
	table_release(&a);
	table_release(&b);
}

static void test_diff_callback_error_stops(void **state)
{
	struct table a = { 0 }, b = { 0 };
	struct collected c = { .fail_at = 2 };

	build_base(&a);
	assert_int_equal(table_diff(&a, &b, collect, &c), -EIO);
	assert_int_equal(c.n, 2);
	table_release(&a);
}

static void test_diff_field_names(void **state)
{
	assert_string_equal(diff_field_to_string(DIFF_TYPE), "type");
	assert_string_equal(diff_field_to_string(DIFF_MODE), "mode");
	assert_string_equal(diff_field_to_string(DIFF_OWNER), "owner");
	assert_string_equal(diff_field_to_string(DIFF_SIZE), "size");
	assert_string_equal(diff_field_to_string(DIFF_CONTENT), "content");
	assert_string_equal(diff_field_to_string(DIFF_TARGET), "target");
	assert_string_equal(diff_field_to_string(DIFF_DEVICE), "device");
	assert_string_equal(diff_field_to_string(DIFF_XATTRS), "xattrs");
	assert_string_equal(diff_field_to_string(_DIFF_FIELD_MAX), "?");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_equal),
		cmocka_unit_test(test_diff_added_removed),
		cmocka_unit_test(test_diff_changed_fields),
		cmocka_unit_test(test_diff_type_and_xattr_presence),
		cmocka_unit_test(test_entry_diff_ignores_unused_fields),
		cmocka_unit_test(test_diff_callback_error_stops),
		cmocka_unit_test(test_diff_field_names),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
