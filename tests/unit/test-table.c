/* SPDX-License-Identifier: Apache-2.0 */
/* src/fingerprint/table.c: finalizing a layer, applying layers (OCI whiteouts, opaque
 * directories, hardlinks), exclusions, and the canonical form and digest (docs/formats.md). */
#include <errno.h>
#include <stdio.h>

#include "basic/sha256.h"
#include "test-helpers.h"

/* table_finalize_layer */

static void test_finalize_duplicates_keep_last(void **state)
{
	struct table t = { 0 };
	struct digest two = digest_of("two");

	add_file(&t, "/a", "one");
	add_dir(&t, "/x");
	add_file(&t, "/a", "two");
	add_file(&t, "/x", "now a file"); /* a dir then a file: the file wins */
	finalize_ok(&t);
	assert_paths(&t, PATHS("/a", "/x"));
	assert_true(digest_equal(&must_find(&t, "/a")->sha256, &two));
	assert_int_equal(must_find(&t, "/a")->size, 3);
	assert_int_equal(must_find(&t, "/x")->type, ENTRY_FILE);
	table_release(&t);
}

static void test_finalize_implied_dirs(void **state)
{
	struct table t = { 0 };
	const struct entry *e;
	struct entry *real;

	add_file(&t, "/a/b/c", "x");
	add_file(&t, "/a/b/d", "y");
	add_file(&t, "/q/r/s/t", "z");
	real = add_dir(&t, "/q");
	real->mode = 0700;
	real->uid = 5;
	finalize_ok(&t);
	assert_paths(&t, PATHS("/a", "/a/b", "/a/b/c", "/a/b/d", "/q", "/q/r", "/q/r/s",
			       "/q/r/s/t"));
	for (size_t i = 0; i < t.n; i++) /* every path once */
		if (i > 0)
			assert_true(path_compare(t.entries[i - 1].path, t.entries[i].path) < 0);
	for (const char *const *p = PATHS("/a", "/a/b", "/q/r", "/q/r/s"); *p; p++) {
		e = must_find(&t, *p);
		assert_int_equal(e->type, ENTRY_DIR);
		assert_int_equal(e->mode, 0755);
		assert_int_equal(e->uid, 0);
		assert_int_equal(e->gid, 0);
		assert_true(e->implied);
		assert_false(e->opaque);
	}
	/* A directory the layer does contain keeps its own metadata. */
	e = must_find(&t, "/q");
	assert_int_equal(e->mode, 0700);
	assert_int_equal(e->uid, 5);
	assert_false(e->implied);
	table_release(&t);
}

static void test_finalize_opaque_marker_and_dir(void **state)
{
	struct table t = { 0 };
	struct entry *d;

	/* tar order: the marker may come before or after its directory */
	add_opaque_marker(&t, "/o1");
	d = add_dir(&t, "/o1");
	d->mode = 0711;
	d = add_dir(&t, "/o2");
	d->mode = 0701;
	add_opaque_marker(&t, "/o2");
	add_opaque_marker(&t, "/o3");
	finalize_ok(&t);
	assert_paths(&t, PATHS("/o1", "/o2", "/o3"));
	assert_true(must_find(&t, "/o1")->opaque);
	assert_int_equal(must_find(&t, "/o1")->mode, 0711);
	assert_false(must_find(&t, "/o1")->implied);
	assert_true(must_find(&t, "/o2")->opaque);
	assert_int_equal(must_find(&t, "/o2")->mode, 0701);
	assert_true(must_find(&t, "/o3")->opaque);
	assert_true(must_find(&t, "/o3")->implied);
	table_release(&t);
}

static void test_finalize_entry_inside_non_dir_refused(void **state)
{
	struct error err = { { 0 } };
	struct table t = { 0 };

	add_symlink(&t, "/lib", "usr/lib");
	add_file(&t, "/lib/x", "x");
	assert_int_equal(table_finalize_layer(&t, &err), -EINVAL);
	assert_non_null(strstr(err.message, "/lib"));
	table_release(&t);

	/* Deeper: the implied /f/g is inside the file /f. */
	err = (struct error){ { 0 } };
	add_file(&t, "/f", "file");
	add_file(&t, "/f/g/h", "x");
	assert_int_equal(table_finalize_layer(&t, &err), -EINVAL);
	assert_true(err.message[0] != '\0');
	table_release(&t);

	/* Inside a whiteout. */
	add_whiteout(&t, "/w");
	add_file(&t, "/w/x", "x");
	assert_int_equal(table_finalize_layer(&t, NULL), -EINVAL);
	table_release(&t);
}

static void test_finalize_hardlink_resolved(void **state)
{
	const uint8_t cap[] = { 1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct digest content = digest_of("#!/bin/sh\n");
	struct table t = { 0 };
	struct entry *e;
	const struct entry *l;

	e = add_file(&t, "/usr/bin/tool", "#!/bin/sh\n");
	e->mode = 04755;
	e->uid = 3;
	e->gid = 4;
	assert_int_equal(entry_add_xattr(e, "security.capability", cap, sizeof(cap)), 0);
	add_hardlink(&t, "/usr/bin/alias", "/usr/bin/tool");
	add_symlink(&t, "/s", "target");
	add_hardlink(&t, "/s2", "/s");
	finalize_ok(&t);

	l = must_find(&t, "/usr/bin/alias");
	assert_int_equal(l->type, ENTRY_FILE);
	assert_true(digest_equal(&l->sha256, &content));
	assert_int_equal(l->size, 10);
	assert_int_equal(l->mode, 04755);
	assert_int_equal(l->uid, 3);
	assert_int_equal(l->gid, 4);
	assert_int_equal(l->n_xattrs, 1);
	assert_memory_equal(l->xattrs[0].value, cap, sizeof(cap));
	assert_null(l->target);

	l = must_find(&t, "/s2");
	assert_int_equal(l->type, ENTRY_SYMLINK);
	assert_string_equal(l->target, "target");
	table_release(&t);
}

static void test_finalize_hardlink_outside_layer_kept(void **state)
{
	struct table t = { 0 };
	const struct entry *l;

	add_hardlink(&t, "/b", "/lower/a");
	finalize_ok(&t);
	l = must_find(&t, "/b");
	assert_int_equal(l->type, ENTRY_HARDLINK); /* for table_apply_layer */
	assert_string_equal(l->target, "/lower/a");
	table_release(&t);
}

static void test_finalize_hardlink_to_dir_refused(void **state)
{
	struct table t = { 0 };

	add_dir(&t, "/d");
	add_hardlink(&t, "/h", "/d");
	assert_int_equal(table_finalize_layer(&t, NULL), -EINVAL);
	table_release(&t);

	add_hardlink(&t, "/self", "/self");
	assert_int_equal(table_finalize_layer(&t, NULL), -EINVAL);
	table_release(&t);
}

/* table_apply_layer */

static void build_lower(struct table *root)
{
	struct entry *e;

	e = add_dir(root, "/a");
	e->mode = 0700;
	e->uid = 7;
	add_file(root, "/a/b", "b");
	add_dir(root, "/a/b2");
	add_file(root, "/a/b2/c", "c");
	add_file(root, "/a-b", "a-b");
	add_file(root, "/ab", "ab");
	table_sort(root);
}

static void test_apply_whiteout_file(void **state)
{
	struct table root = { 0 }, layer = { 0 };

	build_lower(&root);
	add_whiteout(&layer, "/a/b2");
	add_whiteout(&layer, "/a/nothing"); /* nothing to delete: no effect */
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a/b", "/a-b", "/ab"));
	/* the layer is consumed */
	assert_int_equal(layer.n, 0);
	assert_null(layer.entries);
	/* no whiteout reaches the root table */
	for (size_t i = 0; i < root.n; i++)
		assert_int_not_equal(root.entries[i].type, ENTRY_WHITEOUT);
	table_release(&root);
}

static void test_apply_whiteout_subtree(void **state)
{
	struct table root = { 0 }, layer = { 0 };

	build_lower(&root);
	add_whiteout(&layer, "/a");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a-b", "/ab"));
	table_release(&root);
}

static void test_apply_opaque_dir(void **state)
{
	struct table root = { 0 }, layer = { 0 };
	struct entry *e;

	build_lower(&root);
	/* a real directory entry with the marker: the layer's metadata */
	e = add_dir(&layer, "/a");
	e->mode = 0750;
	e->opaque = true;
	add_file(&layer, "/a/new", "new");
	add_dir(&layer, "/a/b2");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a/b2", "/a/new", "/a-b", "/ab"));
	assert_int_equal(must_find(&root, "/a")->mode, 0750);
	assert_int_equal(must_find(&root, "/a")->uid, 0);
	assert_false(must_find(&root, "/a")->opaque); /* not recorded in the root table */
	table_release(&root);
}

static void test_apply_opaque_marker_only(void **state)
{
	struct table root = { 0 }, layer = { 0 };
	const struct entry *a;

	build_lower(&root);
	/* only a/.wh..wh..opq and new children: lower children hidden; /a is a directory the
	 * layer implies, so dir 0755 0 0 (docs/formats.md) */
	add_opaque_marker(&layer, "/a");
	add_file(&layer, "/a/new", "new");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a/new", "/a-b", "/ab"));
	a = must_find(&root, "/a");
	assert_int_equal(a->type, ENTRY_DIR);
	assert_int_equal(a->mode, 0755);
	assert_int_equal(a->uid, 0);
	assert_false(a->opaque);
	assert_false(a->implied);
	table_release(&root);
}

static void test_apply_file_replaces_dir(void **state)
{
	struct table root = { 0 }, layer = { 0 };

	build_lower(&root);
	add_file(&layer, "/a", "now a file");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a-b", "/ab"));
	assert_int_equal(must_find(&root, "/a")->type, ENTRY_FILE);
	table_release(&root);

	build_lower(&root);
	add_symlink(&layer, "/a/b2", "/elsewhere");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a/b", "/a/b2", "/a-b", "/ab"));
	assert_int_equal(must_find(&root, "/a/b2")->type, ENTRY_SYMLINK);
	table_release(&root);
}

static void test_apply_dir_replaces_file(void **state)
{
	struct table root = { 0 }, layer = { 0 };

	build_lower(&root);
	add_dir(&layer, "/ab");
	add_file(&layer, "/ab/n", "n");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a/b", "/a/b2", "/a/b2/c", "/a-b", "/ab", "/ab/n"));
	assert_int_equal(must_find(&root, "/ab")->type, ENTRY_DIR);
	table_release(&root);
}

static void test_apply_dir_over_dir_keeps_children(void **state)
{
	struct table root = { 0 }, layer = { 0 };
	struct entry *e;

	build_lower(&root);
	e = add_dir(&layer, "/a"); /* not opaque: a chmod of the directory */
	e->mode = 0555;
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/a", "/a/b", "/a/b2", "/a/b2/c", "/a-b", "/ab"));
	assert_int_equal(must_find(&root, "/a")->mode, 0555);
	assert_int_equal(must_find(&root, "/a")->uid, 0);
	table_release(&root);
}

/* docs/formats.md (since 10003c5): a directory a layer implies but does not contain is recorded
 * as dir 0755 0 0 and replaces a lower directory's metadata, as containers-storage stores it and
 * overlayfs shows it; the lower directory's content stays. */
static void test_apply_implied_dir_replaces_lower_metadata(void **state)
{
	const uint8_t acl[] = { 2, 0, 0, 0 };
	struct table root = { 0 }, layer = { 0 };
	const struct entry *e;
	struct entry *u;

	u = add_dir(&root, "/usr");
	u->mode = 0700;
	u->uid = 5;
	u->gid = 6;
	assert_int_equal(entry_add_xattr(u, "system.posix_acl_default", acl, sizeof(acl)), 0);
	add_file(&root, "/usr/old", "old");
	table_sort(&root);

	add_file(&layer, "/usr/bin/tool", "tool");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/usr", "/usr/bin", "/usr/bin/tool", "/usr/old"));
	for (const char *const *p = PATHS("/usr", "/usr/bin"); *p; p++) {
		e = must_find(&root, *p);
		assert_int_equal(e->type, ENTRY_DIR);
		assert_int_equal(e->mode, 0755);
		assert_int_equal(e->uid, 0);
		assert_int_equal(e->gid, 0);
		assert_int_equal(e->n_xattrs, 0);
		assert_false(e->implied);
	}
	table_release(&root);

	/* the same on an empty root (the first layer) */
	add_file(&layer, "/usr/bin/tool", "tool");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/usr", "/usr/bin", "/usr/bin/tool"));
	assert_false(must_find(&root, "/usr")->implied);
	table_release(&root);
}

static void test_apply_hardlink_into_lower(void **state)
{
	const uint8_t cap[] = { 1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct digest bb = digest_of("busybox binary");
	struct table root = { 0 }, layer = { 0 };
	const struct entry *e;
	struct entry *f;

	add_dir(&root, "/bin");
	f = add_file(&root, "/bin/busybox", "busybox binary");
	f->mode = 0755;
	f->uid = 1;
	assert_int_equal(entry_add_xattr(f, "security.capability", cap, sizeof(cap)), 0);
	table_sort(&root);

	add_hardlink(&layer, "/bin/sh", "/bin/busybox");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/bin", "/bin/busybox", "/bin/sh"));
	e = must_find(&root, "/bin/sh");
	assert_int_equal(e->type, ENTRY_FILE);
	assert_true(digest_equal(&e->sha256, &bb));
	assert_int_equal(e->size, strlen("busybox binary"));
	assert_int_equal(e->mode, 0755);
	assert_int_equal(e->uid, 1);
	assert_int_equal(e->n_xattrs, 1);
	assert_string_equal(e->xattrs[0].name, "security.capability");
	assert_null(e->target);
	table_release(&root);
}

static void test_apply_hardlink_missing_target(void **state)
{
	struct table root = { 0 }, layer = { 0 };
	struct error err = { { 0 } };

	build_lower(&root);
	add_hardlink(&layer, "/h", "/not/there");
	finalize_ok(&layer);
	assert_int_equal(table_apply_layer(&root, &layer, &err), -ENOENT);
	assert_non_null(strstr(err.message, "/not/there"));
	/* root is left intact on a refused layer */
	assert_paths(&root, PATHS("/a", "/a/b", "/a/b2", "/a/b2/c", "/a-b", "/ab"));
	table_release(&layer);

	add_hardlink(&layer, "/h", "/a/b2"); /* a directory */
	finalize_ok(&layer);
	assert_int_equal(table_apply_layer(&root, &layer, NULL), -EINVAL);
	table_release(&layer);
	table_release(&root);
}

static void test_apply_through_lower_symlink_refused(void **state)
{
	struct table root = { 0 }, layer = { 0 };
	struct error err = { { 0 } };

	add_symlink(&root, "/lib", "usr/lib");
	add_file(&root, "/etc", "not a dir");
	table_sort(&root);

	add_file(&layer, "/lib/evil.so", "x");
	finalize_ok(&layer);
	assert_int_equal(table_apply_layer(&root, &layer, &err), -EINVAL);
	assert_non_null(strstr(err.message, "/lib"));
	table_release(&layer);

	/* deeper: /lib/a is implied by the layer, /lib is the lower symlink */
	add_file(&layer, "/lib/a/b", "x");
	finalize_ok(&layer);
	assert_int_equal(table_apply_layer(&root, &layer, NULL), -EINVAL);
	table_release(&layer);

	add_file(&layer, "/etc/passwd", "x");
	finalize_ok(&layer);
	assert_int_equal(table_apply_layer(&root, &layer, NULL), -EINVAL);
	table_release(&layer);

	/* but a layer that replaces the symlink by a real directory may fill it */
	add_dir(&layer, "/lib");
	add_file(&layer, "/lib/ok.so", "x");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/etc", "/lib", "/lib/ok.so"));
	assert_int_equal(must_find(&root, "/lib")->type, ENTRY_DIR);
	table_release(&root);
}

static void test_apply_several_layers(void **state)
{
	struct table root = { 0 }, layer = { 0 };

	/* layer 1 on an empty root */
	add_file(&layer, "/etc/passwd", "root");
	add_file(&layer, "/etc/shadow", "secret");
	add_symlink(&layer, "/bin", "usr/bin");
	add_file(&layer, "/usr/bin/sh", "sh");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/bin", "/etc", "/etc/passwd", "/etc/shadow", "/usr",
				  "/usr/bin", "/usr/bin/sh"));
	/* layer 2 */
	add_whiteout(&layer, "/etc/shadow");
	add_file(&layer, "/etc/passwd", "root\nuser");
	add_hardlink(&layer, "/usr/bin/bash", "/usr/bin/sh");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/bin", "/etc", "/etc/passwd", "/usr", "/usr/bin",
				  "/usr/bin/bash", "/usr/bin/sh"));
	assert_int_equal(must_find(&root, "/etc/passwd")->size, 9);
	assert_int_equal(must_find(&root, "/usr/bin/bash")->type, ENTRY_FILE);
	/* the result is still sorted and searchable */
	for (size_t i = 1; i < root.n; i++)
		assert_true(path_compare(root.entries[i - 1].path, root.entries[i].path) < 0);
	table_release(&root);
}

/* table_exclude */

static void test_exclude(void **state)
{
	char *ex[] = { "/dev", "/etc/hosts", "/proc" };
	struct table t = { 0 };

	add_dir(&t, "/");
	add_dir(&t, "/dev");
	add_entry(&t, "/dev/null", ENTRY_CHAR, 0666);
	add_dir(&t, "/devices");
	add_dir(&t, "/etc");
	add_file(&t, "/etc/hosts", "h");
	add_file(&t, "/etc/hosts.allow", "a");
	add_file(&t, "/etc/hostsx", "x");
	add_dir(&t, "/proc");
	add_dir(&t, "/proc/1");
	add_file(&t, "/proc/1/status", "s");
	table_sort(&t);
	table_exclude(&t, ex, ARRAY_SIZE(ex));
	assert_paths(&t, PATHS("/devices", "/etc", "/etc/hosts.allow", "/etc/hostsx"));
	table_exclude(&t, NULL, 0);
	assert_int_equal(t.n, 4);
	table_release(&t);

	add_dir(&t, "/a");
	add_file(&t, "/a/b", "b");
	table_exclude(&t, (char *[]){ "/" }, 1);
	assert_int_equal(t.n, 0);
	table_release(&t);
}

/* Canonical form and digest */

static char *canonical(const struct entry *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(entry_write_canonical(e, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_canonical(const struct entry *e, const char *want)
{
	char *got = canonical(e);

	assert_string_equal(got, want);
	free(got);
}

static void test_canonical_lines(void **state)
{
	const uint8_t cap[] = { 0x01, 0x00, 0x00, 0x02 };
	const uint8_t acl[] = { 0xab, 0xcd };
	struct table t = { 0 };
	struct entry *e;

	e = add_file(&t, "/bin/busybox", "abc");
	e->mode = 04755;
	assert_canonical(e, "/bin/busybox file 4755 0 0 3 "
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad - - -\n");

	e = add_dir(&t, "/bin");
	e->uid = 1000;
	e->gid = 4294967295u;
	assert_canonical(e, "/bin dir 0755 1000 4294967295 - - - - -\n");

	e = add_symlink(&t, "/bin/[", "busybox");
	assert_canonical(e, "/bin/[ symlink 0777 0 0 - - busybox - -\n");

	e = add_entry(&t, "/dev/null", ENTRY_CHAR, 0666);
	e->major = 1;
	e->minor = 3;
	assert_canonical(e, "/dev/null char 0666 0 0 - - - 1,3 -\n");
	e = add_entry(&t, "/dev/sda", ENTRY_BLOCK, 0660);
	e->major = 8;
	e->gid = 6;
	assert_canonical(e, "/dev/sda block 0660 0 6 - - - 8,0 -\n");
	assert_canonical(add_entry(&t, "/p", ENTRY_FIFO, 0600), "/p fifo 0600 0 0 - - - - -\n");
	assert_canonical(add_entry(&t, "/s", ENTRY_SOCKET, 0755), "/s socket 0755 0 0 - - - - -\n");
	assert_canonical(add_whiteout(&t, "/w"), "/w whiteout 0000 0 0 - - - - -\n");

	/* xattrs sorted by name whatever the order they were added in */
	e = add_dir(&t, "/x");
	assert_int_equal(entry_add_xattr(e, "system.posix_acl_access", acl, sizeof(acl)), 0);
	assert_int_equal(entry_add_xattr(e, "security.capability", cap, sizeof(cap)), 0);
	e->opaque = true;
	assert_canonical(e, "/x dir 0755 0 0 - - - - "
			    "security.capability=01000002,system.posix_acl_access=abcd opaque\n");
	table_release(&t);
}

static void test_canonical_escaping(void **state)
{
	struct table t = { 0 };
	struct entry *e;

	e = add_symlink(&t, "/a b%c/caf\xc3\xa9", "../x y/%41~!");
	/* '/' is 0x2f: verbatim in a target too */
	assert_canonical(e, "/a%20b%25c/caf%C3%A9 symlink 0777 0 0 - - ../x%20y/%2541~! - -\n");
	table_release(&t);
}

static void test_canonical_escaping_bytes(void **state)
{
	struct table t = { 0 };
	struct entry *e;

	/* 0x21..0x7e are verbatim except '%'; everything else is %XX, uppercase */
	e = add_dir(&t, "/tab\there/nl\nx/\x7f\x80\xff/!~");
	assert_canonical(e, "/tab%09here/nl%0Ax/%7F%80%FF/!~ dir 0755 0 0 - - - - -\n");
	e = add_symlink(&t, "/l", "a b");
	assert_canonical(e, "/l symlink 0777 0 0 - - a%20b - -\n");
	table_release(&t);
}

static void build_sample(struct table *t, bool reversed)
{
	static const uint8_t cap[] = { 1, 0, 0, 2 };
	const char *const paths[] = { "/a", "/a/b", "/a-b", "/dev/null", "/l" };

	for (size_t k = 0; k < ARRAY_SIZE(paths); k++) {
		size_t i = reversed ? ARRAY_SIZE(paths) - 1 - k : k;
		struct entry *e;

		switch (i) {
		case 0:
			add_dir(t, paths[i]);
			break;
		case 1:
			e = add_file(t, paths[i], "content");
			assert_int_equal(entry_add_xattr(e, "security.capability", cap, sizeof(cap)),
					 0);
			break;
		case 2:
			e = add_file(t, paths[i], "other");
			e->uid = 1000;
			break;
		case 3:
			e = add_entry(t, paths[i], ENTRY_CHAR, 0666);
			e->major = 1;
			e->minor = 3;
			break;
		default:
			add_symlink(t, paths[i], "a/b");
		}
	}
	table_sort(t);
}

static void test_digest_known_answer(void **state)
{
	struct table t = { 0 };
	struct digest got, want;
	const char *text;

	/* empty table: the header line alone */
	assert_int_equal(table_digest(&t, &got), 0);
	text = "imprint-content-v1\n";
	assert_int_equal(sha256_buffer(text, strlen(text), &want), 0);
	assert_true(digest_equal(&got, &want));

	build_sample(&t, false);
	assert_int_equal(table_digest(&t, &got), 0);
	text = "imprint-content-v1\n"
	       "/a dir 0755 0 0 - - - - -\n"
	       "/a/b file 0644 0 0 7 "
	       "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73 - - "
	       "security.capability=01000002\n"
	       "/a-b file 0644 1000 0 5 "
	       "d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa - - -\n"
	       "/dev/null char 0666 0 0 - - - 1,3 -\n"
	       "/l symlink 0777 0 0 - - a/b - -\n";
	assert_int_equal(sha256_buffer(text, strlen(text), &want), 0);
	assert_true(digest_equal(&got, &want));
	table_release(&t);
}

static void test_digest_large_table(void **state)
{
	/* crosses the 1024-entry chunks table_digest feeds the hash in */
	struct table t = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct digest got, want;

	assert_non_null(f);
	fputs("imprint-content-v1\n", f);
	for (int i = 0; i < 2500; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/d/%05d", i);
		assert_int_equal(entry_write_canonical(add_dir(&t, path), f), 0);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(table_digest(&t, &got), 0);
	assert_int_equal(sha256_buffer(text, len, &want), 0);
	assert_true(digest_equal(&got, &want));
	free(text);
	table_release(&t);
}

static void test_digest_stable_and_sensitive(void **state)
{
	static const uint8_t cap2[] = { 1, 0, 0, 3 };
	struct table base = { 0 }, t = { 0 };
	struct digest d0, d1, d;

	build_sample(&base, false);
	build_sample(&t, true);
	assert_int_equal(table_digest(&base, &d0), 0);
	assert_int_equal(table_digest(&t, &d1), 0);
	assert_true(digest_equal(&d0, &d1));
	table_release(&t);

	/* each change below must change the digest */
	for (int change = 0; change < 13; change++) {
		struct entry *e;

		build_sample(&t, change % 2);
		switch (change) {
		case 0: must_find(&t, "/a")->mode ^= 0200; break;
		case 1: must_find(&t, "/a")->uid = 1; break;
		case 2: must_find(&t, "/a")->gid = 1; break;
		case 3: must_find(&t, "/a/b")->size++; break;
		case 4: must_find(&t, "/a/b")->sha256.bytes[31] ^= 1; break;
		case 5:
			e = must_find(&t, "/l");
			free(e->target);
			e->target = strdup("a/c");
			break;
		case 6: must_find(&t, "/dev/null")->minor = 4; break;
		case 7: must_find(&t, "/dev/null")->major = 2; break;
		case 8:
			e = must_find(&t, "/a/b");
			e->xattrs[0].value[3] = cap2[3];
			break;
		case 9: must_find(&t, "/a")->opaque = true; break;
		case 10: must_find(&t, "/dev/null")->type = ENTRY_BLOCK; break;
		case 11:
			e = must_find(&t, "/a-b");
			e->path[2] = '_';
			break;
		default: must_find(&t, "/a/b")->mode |= 04000; break;
		}
		assert_int_equal(table_digest(&t, &d), 0);
		if (digest_equal(&d, &d0))
			fail_msg("change %d left the digest unchanged", change);
		table_release(&t);
	}
	table_release(&base);
}

static void test_entry_type_strings(void **state)
{
	for (int i = 0; i < _ENTRY_TYPE_MAX; i++) {
		const char *s = entry_type_to_string((enum entry_type)i);

		if (i == ENTRY_HARDLINK) /* internal only: never read back */
			assert_int_equal(entry_type_from_string(s), -EINVAL);
		else
			assert_int_equal(entry_type_from_string(s), i);
	}
	assert_int_equal(entry_type_from_string("directory"), -EINVAL);
	assert_int_equal(entry_type_from_string(""), -EINVAL);
	assert_true(xattr_is_recorded("security.capability"));
	assert_true(xattr_is_recorded("system.posix_acl_access"));
	assert_true(xattr_is_recorded("system.posix_acl_default"));
	assert_false(xattr_is_recorded("security.selinux"));
	assert_false(xattr_is_recorded("trusted.overlay.opaque"));
	assert_false(xattr_is_recorded("user.foo"));
}

static void test_xattr_limits(void **state)
{
	struct table t = { 0 };
	struct entry *e = add_dir(&t, "/x");
	static uint8_t big[ENTRY_XATTR_VALUE_MAX + 1];

	assert_int_equal(entry_add_xattr(e, "security.capability", big, sizeof(big)), -E2BIG);
	assert_int_equal(entry_add_xattr(e, "security.capability", big, ENTRY_XATTR_VALUE_MAX), 0);
	for (int i = 1; i < ENTRY_XATTRS_MAX; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user.%03d", i);
		assert_int_equal(entry_add_xattr(e, name, "v", 1), 0);
	}
	assert_int_equal(entry_add_xattr(e, "user.one-too-many", "v", 1), -E2BIG);
	for (size_t i = 1; i < e->n_xattrs; i++)
		assert_true(strcmp(e->xattrs[i - 1].name, e->xattrs[i].name) < 0);
	table_release(&t);
}

/* Known bugs in src/ (run with --bugs) */

/* A hardlink to a hardlink is valid tar (extraction links to the existing name). Whether
 * table_finalize_layer() accepts it must not depend on how the names sort: /y -> /x, /z -> /y
 * is accepted, /m -> /z, /z -> /x is refused. */
static void test_bug_finalize_hardlink_chain(void **state)
{
	struct digest x = digest_of("x");
	struct table t = { 0 };
	struct error err = { { 0 } };
	int r;

	add_file(&t, "/x", "x");
	add_hardlink(&t, "/y", "/x");
	add_hardlink(&t, "/z", "/y");
	finalize_ok(&t);
	assert_true(digest_equal(&must_find(&t, "/z")->sha256, &x));
	table_release(&t);

	add_file(&t, "/x", "x");
	add_hardlink(&t, "/z", "/x");
	add_hardlink(&t, "/m", "/z");
	r = table_finalize_layer(&t, &err);
	if (r < 0)
		fail_msg("chain /m -> /z -> /x refused (%d: %s)", r, err.message);
	assert_int_equal(must_find(&t, "/m")->type, ENTRY_FILE);
	assert_true(digest_equal(&must_find(&t, "/m")->sha256, &x));
	table_release(&t);
}

/* OCI image-spec, layer.md "Whiteouts": whiteout files MUST only apply to resources in lower
 * layers; files present in the same layer as a whiteout can only be hidden by whiteouts in
 * subsequent layers. A layer holding both "foo" and ".wh.foo" (in either tar order) keeps its
 * foo. table_finalize_layer() keeps whichever came last, so [foo, .wh.foo] deletes foo. */
static void test_bug_whiteout_same_layer_file(void **state)
{
	struct table root = { 0 }, layer = { 0 };
	struct digest upper = digest_of("upper");

	add_file(&root, "/foo", "lower");
	table_sort(&root);
	add_file(&layer, "/foo", "upper");
	add_whiteout(&layer, "/foo");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/foo"));
	assert_true(digest_equal(&must_find(&root, "/foo")->sha256, &upper));
	table_release(&root);
}

/* The same rule for a directory: [.wh.d, d/, d/x] removes the lower d and everything in it, then
 * creates d with x. table_finalize_layer() keeps only the d/ entry, which does not hide the lower
 * children, so /d/old survives. */
static void test_bug_whiteout_same_layer_dir(void **state)
{
	struct table root = { 0 }, layer = { 0 };

	add_dir(&root, "/d");
	add_file(&root, "/d/old", "old");
	table_sort(&root);
	add_whiteout(&layer, "/d");
	add_dir(&layer, "/d");
	add_file(&layer, "/d/x", "x");
	apply_ok(&root, &layer);
	assert_paths(&root, PATHS("/d", "/d/x"));
	table_release(&root);
}

/* A layer's own table digest (image.layers[].tableDigest) is computed by fingerprint_image()
 * before table_apply_layer() resolves hardlinks into lower layers: such an entry is written as
 * "PATH hardlink MODE UID GID - - - - -", without its target, so two layers whose hardlinks
 * point to different files get the same table digest. */
static void test_bug_layer_digest_ignores_hardlink_target(void **state)
{
	struct table a = { 0 }, b = { 0 };
	struct digest da, db;

	add_hardlink(&a, "/bin/sh", "/bin/busybox");
	add_hardlink(&b, "/bin/sh", "/etc/shadow");
	finalize_ok(&a);
	finalize_ok(&b);
	assert_int_equal(table_digest(&a, &da), 0);
	assert_int_equal(table_digest(&b, &db), 0);
	assert_false(digest_equal(&da, &db));
	table_release(&a);
	table_release(&b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finalize_duplicates_keep_last),
		cmocka_unit_test(test_finalize_implied_dirs),
		cmocka_unit_test(test_finalize_opaque_marker_and_dir),
		cmocka_unit_test(test_finalize_entry_inside_non_dir_refused),
		cmocka_unit_test(test_finalize_hardlink_resolved),
		cmocka_unit_test(test_finalize_hardlink_outside_layer_kept),
		cmocka_unit_test(test_finalize_hardlink_to_dir_refused),
		cmocka_unit_test(test_apply_whiteout_file),
		cmocka_unit_test(test_apply_whiteout_subtree),
		cmocka_unit_test(test_apply_opaque_dir),
		cmocka_unit_test(test_apply_opaque_marker_only),
		cmocka_unit_test(test_apply_file_replaces_dir),
		cmocka_unit_test(test_apply_dir_replaces_file),
		cmocka_unit_test(test_apply_dir_over_dir_keeps_children),
		cmocka_unit_test(test_apply_implied_dir_replaces_lower_metadata),
		cmocka_unit_test(test_apply_hardlink_into_lower),
		cmocka_unit_test(test_apply_hardlink_missing_target),
		cmocka_unit_test(test_apply_through_lower_symlink_refused),
		cmocka_unit_test(test_apply_several_layers),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_canonical_lines),
		cmocka_unit_test(test_canonical_escaping),
		cmocka_unit_test(test_canonical_escaping_bytes),
		cmocka_unit_test(test_digest_known_answer),
		cmocka_unit_test(test_digest_large_table),
		cmocka_unit_test(test_digest_stable_and_sensitive),
		cmocka_unit_test(test_entry_type_strings),
		cmocka_unit_test(test_xattr_limits),
	};
	const struct CMUnitTest bugs[] = {
		cmocka_unit_test(test_bug_finalize_hardlink_chain),
		cmocka_unit_test(test_bug_whiteout_same_layer_file),
		cmocka_unit_test(test_bug_whiteout_same_layer_dir),
		cmocka_unit_test(test_bug_layer_digest_ignores_hardlink_target),
	};

	return RUN_GROUPS("table", tests, bugs, argc, argv);
}
