/* SPDX-License-Identifier: Apache-2.0 */
/* src/fingerprint/layer_tar.c: reading a layer tar (plain or compressed, streamed from a blob)
 * into a layer table. The tars are written in memory with libarchive's writer into a memfd. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-helpers.h"
#include "test-tar.h"

#include "fingerprint/layer.h"
#include "image/blob.h"

static const uint8_t CAP[] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00,
			       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };

/* Read the tar in fd (taken) into *ret; returns layer_read_tar()'s result. */
static int read_layer(int fd, const struct digest *expect, const struct digest *diff_id,
		      struct table *ret, struct error *err)
{
	struct blob *blob = NULL;
	int r;

	assert_int_equal(blob_open_fd(fd, expect, -1, "test", &blob, err), 0);
	r = layer_read_tar(blob, diff_id, ret, err);
	blob_free(blob);
	return r;
}

static void read_ok(int fd, const struct digest *expect, const struct digest *diff_id,
		    struct table *ret)
{
	struct error err = { { 0 } };
	int r = read_layer(fd, expect, diff_id, ret, &err);

	if (r < 0)
		fail_msg("layer_read_tar: %d: %s", r, err.message);
}

static const struct member LAYER[] = {
	{ .name = "./", .type = AE_IFDIR, .mode = 0755 },
	{ .name = "./etc/", .type = AE_IFDIR, .mode = 0755 },
	{ .name = "./etc/passwd", .type = AE_IFREG, .mode = 0644, .data = "root:x:0:0::/root:/bin/sh\n" },
	{ .name = "./etc/.wh.shadow", .type = AE_IFREG, .mode = 0644, .data = "" },
	{ .name = "./opt/", .type = AE_IFDIR, .mode = 0750, .uid = 10, .gid = 20 },
	{ .name = "./opt/.wh..wh..opq", .type = AE_IFREG, .mode = 0644, .data = "" },
	{ .name = "./opt/new", .type = AE_IFREG, .mode = 0600, .data = "new\n", .uid = 1000,
	  .gid = 1000 },
	{ .name = "./etc/passwd-", .type = M_HARDLINK, .mode = 0644, .data = "./etc/passwd" },
	{ .name = "usr/bin/ping", .type = AE_IFREG, .mode = 04755, .data = "ping binary",
	  .xattr_name = "security.capability", .xattr_value = CAP, .xattr_len = sizeof(CAP),
	  .xattr2 = "user.comment", .xattr3 = "security.selinux" },
	{ .name = "usr/bin/sh", .type = AE_IFLNK, .mode = 0777, .data = "busybox" },
	{ .name = "dev/null", .type = AE_IFCHR, .mode = 0666, .major = 1, .minor = 3 },
	{ .name = "dev/sda", .type = AE_IFBLK, .mode = 0660, .major = 8, .minor = 0, .gid = 6 },
	{ .name = "run/fifo", .type = AE_IFIFO, .mode = 0600 },
	{ .name = "var/.wh..wh..opq", .type = AE_IFREG, .mode = 0644, .data = "" },
};

static void check_layer_table(const struct table *t)
{
	struct digest passwd = digest_of("root:x:0:0::/root:/bin/sh\n");
	const struct entry *e;

	assert_paths(t, PATHS("/dev", "/dev/null", "/dev/sda", "/etc", "/etc/passwd",
			      "/etc/passwd-", "/etc/shadow", "/opt", "/opt/new", "/run", "/run/fifo",
			      "/usr", "/usr/bin", "/usr/bin/ping", "/usr/bin/sh", "/var"));
	e = must_find(t, "/etc/passwd");
	assert_int_equal(e->type, ENTRY_FILE);
	assert_int_equal(e->mode, 0644);
	assert_int_equal(e->size, 26);
	assert_true(digest_equal(&e->sha256, &passwd));
	e = must_find(t, "/etc/passwd-"); /* the hardlink, resolved */
	assert_int_equal(e->type, ENTRY_FILE);
	assert_int_equal(e->size, 26);
	assert_true(digest_equal(&e->sha256, &passwd));
	assert_int_equal(must_find(t, "/etc/shadow")->type, ENTRY_WHITEOUT);
	e = must_find(t, "/opt");
	assert_int_equal(e->type, ENTRY_DIR);
	assert_true(e->opaque);
	assert_false(e->implied);
	assert_int_equal(e->mode, 0750);
	assert_int_equal(e->uid, 10);
	assert_int_equal(e->gid, 20);
	e = must_find(t, "/opt/new");
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->mode, 0600);
	e = must_find(t, "/usr/bin/ping");
	assert_int_equal(e->mode, 04755);
	/* only the recorded attribute (user.comment and security.selinux are dropped); how many
	 * times it appears is test_bug_pax_xattr_recorded_twice's business */
	assert_true(e->n_xattrs >= 1);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		assert_string_equal(e->xattrs[i].name, "security.capability");
		assert_int_equal(e->xattrs[i].len, sizeof(CAP));
		assert_memory_equal(e->xattrs[i].value, CAP, sizeof(CAP));
	}
	e = must_find(t, "/usr/bin/sh");
	assert_int_equal(e->type, ENTRY_SYMLINK);
	assert_string_equal(e->target, "busybox");
	e = must_find(t, "/dev/null");
	assert_int_equal(e->type, ENTRY_CHAR);
	assert_int_equal(e->major, 1);
	assert_int_equal(e->minor, 3);
	e = must_find(t, "/dev/sda");
	assert_int_equal(e->type, ENTRY_BLOCK);
	assert_int_equal(e->major, 8);
	assert_int_equal(e->gid, 6);
	assert_int_equal(must_find(t, "/run/fifo")->type, ENTRY_FIFO);
	for (const char *const *p = PATHS("/dev", "/run", "/usr", "/usr/bin"); *p; p++) {
		e = must_find(t, *p);
		assert_int_equal(e->type, ENTRY_DIR);
		assert_int_equal(e->mode, 0755);
		assert_true(e->implied);
	}
	e = must_find(t, "/var"); /* only an opaque marker */
	assert_true(e->opaque);
	assert_true(e->implied);
}

static void test_layer_tar_members(void **state)
{
	int fd = write_tar(LAYER, ARRAY_SIZE(LAYER), NULL);
	struct table t = { 0 };
	const struct entry *e;

	read_ok(fd, NULL, NULL, &t);
	/* before finalizing: in the tar's order, the hardlink still a link */
	assert_int_equal(t.n, 13);
	assert_string_equal(t.entries[0].path, "/etc");
	e = &t.entries[6];
	assert_string_equal(e->path, "/etc/passwd-");
	assert_int_equal(e->type, ENTRY_HARDLINK);
	assert_string_equal(e->target, "/etc/passwd");
	finalize_ok(&t);
	check_layer_table(&t);
	table_release(&t);
}

static void compare_with_plain(const char *filter)
{
	int plain = write_tar(LAYER, ARRAY_SIZE(LAYER), NULL);
	int packed = write_tar(LAYER, ARRAY_SIZE(LAYER), filter);
	struct digest diff_id, blob_digest, d1, d2;
	struct table a = { 0 }, b = { 0 };
	struct stat s1, s2;

	if (packed == -EOPNOTSUPP) {
		close(plain);
		skip();
	}
	/* really compressed, and the diffID is the uncompressed tar's digest */
	assert_int_equal(fstat(plain, &s1), 0);
	assert_int_equal(fstat(packed, &s2), 0);
	assert_true(s2.st_size < s1.st_size);
	diff_id = fd_digest(plain);
	blob_digest = fd_digest(packed);
	assert_false(digest_equal(&diff_id, &blob_digest));

	read_ok(plain, &diff_id, &diff_id, &a);
	read_ok(packed, &blob_digest, &diff_id, &b);
	finalize_ok(&a);
	finalize_ok(&b);
	check_layer_table(&b);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.entries[i].path, b.entries[i].path);
		assert_int_equal(entry_diff(&a.entries[i], &b.entries[i]), 0);
		assert_int_equal(a.entries[i].opaque, b.entries[i].opaque);
	}
	assert_int_equal(table_digest(&a, &d1), 0);
	assert_int_equal(table_digest(&b, &d2), 0);
	assert_true(digest_equal(&d1, &d2));
	table_release(&a);
	table_release(&b);
}

static void test_layer_tar_gzip(void **state)
{
	compare_with_plain("gzip");
}

static void test_layer_tar_zstd(void **state)
{
	compare_with_plain("zstd");
}

/* Read the LAYER tar through filter with a wrong blob digest: must be refused. */
static void check_blob_digest_refused(const char *filter)
{
	struct digest wrong = digest_of("wrong");
	struct error err = { { 0 } };
	struct table t = { 0 };
	int fd = write_tar(LAYER, ARRAY_SIZE(LAYER), filter), r;

	if (fd == -EOPNOTSUPP)
		skip();
	r = read_layer(fd, &wrong, NULL, &t, &err);
	if (r != -EBADMSG)
		fail_msg("%s layer with a wrong blob digest: layer_read_tar() = %d, %zu entries "
			 "(error message: '%s')", filter ? filter : "plain", r, t.n, err.message);
	assert_non_null(strstr(err.message, "digest mismatch"));
	assert_int_equal(t.n, 0);
	table_release(&t);
}

static void test_layer_tar_digests_checked(void **state)
{
	struct digest diff_id, wrong = digest_of("wrong");
	struct error err = { { 0 } };
	struct table t = { 0 };
	int fd;

	check_blob_digest_refused(NULL);
	check_blob_digest_refused("zstd");
	check_blob_digest_refused("xz");

	fd = write_tar(LAYER, ARRAY_SIZE(LAYER), NULL);
	assert_int_equal(read_layer(fd, NULL, &wrong, &t, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "diffID mismatch"));
	assert_int_equal(t.n, 0);

	/* the diffID is checked through the compression too */
	fd = write_tar(LAYER, ARRAY_SIZE(LAYER), NULL);
	diff_id = fd_digest(fd);
	close(fd);
	fd = write_tar(LAYER, ARRAY_SIZE(LAYER), "gzip");
	err = (struct error){ { 0 } };
	assert_int_equal(read_layer(fd, NULL, &wrong, &t, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "diffID mismatch"));
	fd = write_tar(LAYER, ARRAY_SIZE(LAYER), "gzip");
	read_ok(fd, NULL, &diff_id, &t);
	table_release(&t);

	/* the blob digest covers the bytes after the tar's end, too */
	fd = write_tar(LAYER, ARRAY_SIZE(LAYER), NULL);
	diff_id = fd_digest(fd);
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	assert_int_equal(write(fd, "trailing", 8), 8);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	err = (struct error){ { 0 } };
	assert_int_equal(read_layer(fd, &diff_id, NULL, &t, &err), -EBADMSG);
	assert_int_equal(t.n, 0);
}

static void test_layer_tar_empty_archive(void **state)
{
	int fd = write_tar(NULL, 0, NULL);
	struct table t = { 0 };

	read_ok(fd, NULL, NULL, &t);
	assert_int_equal(t.n, 0);
	finalize_ok(&t);
	assert_int_equal(t.n, 0);
	table_release(&t);
}

static void test_layer_tar_duplicates(void **state)
{
	const struct member m[] = {
		{ .name = "a", .type = AE_IFREG, .mode = 0644, .data = "first" },
		{ .name = "a", .type = AE_IFREG, .mode = 0600, .data = "second" },
	};
	struct digest second = digest_of("second");
	struct table t = { 0 };

	read_ok(write_tar(m, ARRAY_SIZE(m), NULL), NULL, NULL, &t);
	finalize_ok(&t);
	assert_paths(&t, PATHS("/a"));
	assert_true(digest_equal(&t.entries[0].sha256, &second));
	assert_int_equal(t.entries[0].mode, 0600);
	table_release(&t);
}

static void test_layer_tar_raw_name_bytes(void **state)
{
	/* names are bytes: recorded as they are, whatever the encoding */
	const struct member m[] = {
		{ .name = "caf\xc3\xa9 au lait%", .type = AE_IFREG, .mode = 0644, .data = "x" },
	};
	struct table t = { 0 };

	read_ok(write_tar(m, ARRAY_SIZE(m), NULL), NULL, NULL, &t);
	assert_paths(&t, PATHS("/caf\xc3\xa9 au lait%"));
	table_release(&t);
}

static void check_hostile(const struct member *m, size_t n, int want, const char *msg)
{
	struct error err = { { 0 } };
	struct table t = { 0 };
	int r = read_layer(write_tar(m, n, NULL), NULL, NULL, &t, &err);

	if (r != want)
		fail_msg("'%s': layer_read_tar = %d (%s), want %d", m[n - 1].name, r, err.message,
			 want);
	if (msg)
		assert_non_null(strstr(err.message, msg));
	assert_int_equal(t.n, 0); /* nothing handed back on failure */
}

static void test_layer_tar_hostile_names(void **state)
{
	static char long_name[ENTRY_PATH_MAX + 10];

	check_hostile((struct member[]){ { .name = "../x", .type = AE_IFREG, .data = "x" } }, 1,
		      -EINVAL, "..");
	check_hostile((struct member[]){ { .name = "ok", .type = AE_IFREG, .data = "x" },
					 { .name = "a/../../etc/passwd", .type = AE_IFREG,
					   .data = "x" } },
		      2, -EINVAL, "..");
	check_hostile((struct member[]){ { .name = "/etc/passwd", .type = AE_IFREG, .data = "x" } },
		      1, -EINVAL, "absolute");
	check_hostile((struct member[]){ { .name = "x", .type = M_HARDLINK, .data = "../../y" } },
		      1, -EINVAL, "hardlink");
	check_hostile((struct member[]){ { .name = "x", .type = M_HARDLINK, .data = "/etc/shadow" } },
		      1, -EINVAL, "hardlink");
	check_hostile((struct member[]){ { .name = "d/.wh.", .type = AE_IFREG, .data = "" } }, 1,
		      -EINVAL, "whiteout");
	check_hostile((struct member[]){ { .name = "d/.wh..", .type = AE_IFREG, .data = "" } }, 1,
		      -EINVAL, "whiteout");
	check_hostile((struct member[]){ { .name = "d/.wh...", .type = AE_IFREG, .data = "" } }, 1,
		      -EINVAL, "whiteout");
	memset(long_name, 'a', sizeof(long_name) - 1);
	check_hostile((struct member[]){ { .name = long_name, .type = AE_IFREG, .data = "" } }, 1,
		      -ENAMETOOLONG, NULL);
}

static void test_layer_tar_symlink_escape_is_data(void **state)
{
	/* a symlink's target is recorded verbatim, never followed */
	const struct member m[] = {
		{ .name = "evil", .type = AE_IFLNK, .mode = 0777, .data = "../../../../etc/shadow" },
	};
	struct table t = { 0 };

	read_ok(write_tar(m, ARRAY_SIZE(m), NULL), NULL, NULL, &t);
	assert_string_equal(must_find(&t, "/evil")->target, "../../../../etc/shadow");
	table_release(&t);
}

static void test_layer_tar_truncated(void **state)
{
	static char data[10000];
	struct error err = { { 0 } };
	struct table t = { 0 };
	int fd, src;
	char buf[4096];

	/* a valid tar of one 10000-byte file, cut inside the file's data */
	memset(data, 'x', sizeof(data) - 1);
	src = write_tar((struct member[]){ { .name = "big", .type = AE_IFREG, .mode = 0644,
					     .data = data } },
			1, NULL);
	assert_int_equal(pread(src, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	close(src);
	for (size_t cut = 100; cut < sizeof(buf); cut += 1000) {
		fd = memfd_create("truncated.tar", MFD_CLOEXEC);
		assert_int_equal(write(fd, buf, cut), (ssize_t)cut);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		err = (struct error){ { 0 } };
		assert_int_equal(read_layer(fd, NULL, NULL, &t, &err), -EBADMSG);
		assert_true(err.message[0] != '\0');
		assert_int_equal(t.n, 0);
	}

	/* not a tar at all */
	fd = memfd_create("junk", MFD_CLOEXEC);
	assert_int_equal(write(fd, "this is not a tar archive, just text\n", 37), 37);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	err = (struct error){ { 0 } };
	assert_int_equal(read_layer(fd, NULL, NULL, &t, &err), -EBADMSG);
	assert_int_equal(t.n, 0);
}

/* Known bugs in src/ (run with --bugs) */

/* OCI image-spec: a whiteout only applies to lower layers, never to content of its own layer.
 * A tar holding "foo" then ".wh.foo" must keep foo; after table_finalize_layer() the layer has
 * only the whiteout (the last entry for the path wins), so foo is lost. */
static void test_bug_whiteout_after_file_in_same_tar(void **state)
{
	const struct member m[] = {
		{ .name = "foo", .type = AE_IFREG, .mode = 0644, .data = "kept" },
		{ .name = ".wh.foo", .type = AE_IFREG, .mode = 0644, .data = "" },
	};
	struct table root = { 0 }, t = { 0 };

	add_file(&root, "/foo", "lower");
	read_ok(write_tar(m, ARRAY_SIZE(m), NULL), NULL, NULL, &t);
	apply_ok(&root, &t);
	assert_paths(&root, PATHS("/foo"));
	table_release(&root);
}

/* blob.h: "Nothing is trusted before that check passes". For gzip (the usual layer format) and
 * bzip2, layer_read_tar() returns 0 and the whole table although the blob's digest does not match:
 * the mismatch is reported by blob_read() inside read_blob() while libarchive's decompressor reads
 * past the end of the compressed stream, libarchive does not pass that read error on, read_blob()
 * records it in s->failed (and in err) but nothing checks s->failed on the success path, and
 * drain()'s blob_read() then returns 0 because blob_read() reports a failed finish only once
 * (b->done is set). `imprint fingerprint` accepts a layer blob with any bytes changed that leave
 * the uncompressed tar alone (e.g. the gzip header's OS byte) and records the manifest's digest. */
static void test_bug_gzip_blob_digest_mismatch_accepted(void **state)
{
	check_blob_digest_refused("gzip");
}

static void test_bug_bzip2_blob_digest_mismatch_accepted(void **state)
{
	check_blob_digest_refused("bzip2");
}

/* libarchive's pax writer (bsdtar, anything built on libarchive) stores each xattr twice, as
 * LIBARCHIVE.xattr.NAME and SCHILY.xattr.NAME, and libarchive 3.6's reader hands both back.
 * add_xattrs() passes both to entry_add_xattr(), which does not refuse or merge a repeated name:
 * the entry has security.capability twice. Its canonical line says
 * "security.capability=...,security.capability=...", so the root digest differs from the same
 * content written by Go's archive/tar (SCHILY only), and fingerprint_write() writes the name once
 * (a JSON object), so the file it writes fails its own digest check when read back. */
static void test_bug_pax_xattr_recorded_twice(void **state)
{
	int fd = write_tar(LAYER, ARRAY_SIZE(LAYER), NULL);
	struct table t = { 0 };
	const struct entry *e;

	read_ok(fd, NULL, NULL, &t);
	finalize_ok(&t);
	e = must_find(&t, "/usr/bin/ping");
	assert_int_equal(e->n_xattrs, 1);
	table_release(&t);
}

/* entry_add_xattr() itself: a second value for the same name must replace the first or be
 * refused, never give an entry two attributes of one name. */
static void test_bug_entry_add_xattr_duplicate_name(void **state)
{
	struct table t = { 0 };
	struct entry *e = add_dir(&t, "/d");
	int r;

	assert_int_equal(entry_add_xattr(e, "security.capability", "\1", 1), 0);
	r = entry_add_xattr(e, "security.capability", "\2", 1);
	assert_true(r < 0 || e->n_xattrs == 1);
	table_release(&t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_tar_members),
		cmocka_unit_test(test_layer_tar_gzip),
		cmocka_unit_test(test_layer_tar_zstd),
		cmocka_unit_test(test_layer_tar_digests_checked),
		cmocka_unit_test(test_layer_tar_empty_archive),
		cmocka_unit_test(test_layer_tar_duplicates),
		cmocka_unit_test(test_layer_tar_raw_name_bytes),
		cmocka_unit_test(test_layer_tar_hostile_names),
		cmocka_unit_test(test_layer_tar_symlink_escape_is_data),
		cmocka_unit_test(test_layer_tar_truncated),
	};
	const struct CMUnitTest bugs[] = {
		cmocka_unit_test(test_bug_whiteout_after_file_in_same_tar),
		cmocka_unit_test(test_bug_gzip_blob_digest_mismatch_accepted),
		cmocka_unit_test(test_bug_bzip2_blob_digest_mismatch_accepted),
		cmocka_unit_test(test_bug_pax_xattr_recorded_twice),
		cmocka_unit_test(test_bug_entry_add_xattr_duplicate_name),
	};

	return RUN_GROUPS("layer-tar", tests, bugs, argc, argv);
}
