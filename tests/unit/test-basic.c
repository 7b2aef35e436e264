/* SPDX-License-Identifier: Apache-2.0 */
/* src/basic: digests, hex, and the path helpers that define the table's order. */
#include <errno.h>

#include "basic/sha256.h"
#include "test-helpers.h"

#include "basic/fs.h"
#include "basic/mapped.h"

#define HEX62 "6d0a1e1c2b3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbce1"
#define HEX64 "9b" HEX62
/* HEX64 without its last digit */
#define HEX63 "9b6d0a1e1c2b3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbce"
#define HEX64_UPPER "9B6D0A1E1C2B3D4E5F60718293A4B5C6D7E8F90112233445566778899AABBCE1"

static void test_digest_parse_valid(void **state)
{
	struct digest d;
	char buf[DIGEST_STRING_MAX], hex[DIGEST_HEX_LEN + 1];

	assert_int_equal(digest_parse("sha256:" HEX64, &d), 0);
	assert_int_equal(d.bytes[0], 0x9b);
	assert_int_equal(d.bytes[1], 0x6d);
	assert_int_equal(d.bytes[31], 0xe1);
	assert_string_equal(digest_format(&d, buf), "sha256:" HEX64);
	assert_string_equal(digest_format_hex(&d, hex), HEX64);

	assert_int_equal(digest_parse_hex(HEX64, &d), 0);
	assert_string_equal(digest_format(&d, buf), "sha256:" HEX64);
}

static void test_digest_parse_refused(void **state)
{
	struct digest d, before;

	memset(&d, 0x5a, sizeof(d));
	before = d;
	/* OCI digests are lowercase: one digest, one spelling. */
	assert_int_equal(digest_parse("sha256:" HEX64_UPPER, &d), -EINVAL);
	assert_int_equal(digest_parse("sha256:" HEX63 "E", &d), -EINVAL);
	/* Wrong lengths. */
	assert_int_equal(digest_parse("sha256:" HEX63, &d), -EINVAL);
	assert_int_equal(digest_parse("sha256:" HEX64 "0", &d), -EINVAL);
	assert_int_equal(digest_parse("sha256:" HEX64 "00", &d), -EINVAL);
	assert_int_equal(digest_parse("sha256:", &d), -EINVAL);
	/* Not hex, no algorithm. */
	assert_int_equal(digest_parse("sha256:zz" HEX62, &d), -EINVAL);
	assert_int_equal(digest_parse(HEX64, &d), -EINVAL);
	assert_int_equal(digest_parse("", &d), -EINVAL);
	/* Other algorithms are well-formed but not ours. */
	assert_int_equal(digest_parse("sha512:" HEX64 HEX64, &d), -EOPNOTSUPP);
	assert_int_equal(digest_parse("md5:d41d8cd98f00b204e9800998ecf8427e", &d), -EOPNOTSUPP);
	assert_int_equal(digest_parse("sha25:" HEX64, &d), -EOPNOTSUPP);
	assert_int_equal(digest_parse("sha2566:" HEX64, &d), -EOPNOTSUPP);
	/* Nothing written on failure. */
	assert_memory_equal(&d, &before, sizeof(d));
}

static void test_sha256_known_answers(void **state)
{
	struct digest d;
	struct sha256 s;
	char hex[DIGEST_HEX_LEN + 1];

	assert_int_equal(sha256_buffer("", 0, &d), 0);
	assert_string_equal(digest_format_hex(&d, hex),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sha256_buffer("abc", 3, &d), 0);
	assert_string_equal(digest_format_hex(&d, hex),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	/* Streaming in pieces gives the same, and final resets the context for reuse. */
	assert_int_equal(sha256_init(&s), 0);
	sha256_update(&s, "a", 1);
	sha256_update(&s, "", 0);
	sha256_update(&s, "bc", 2);
	sha256_final(&s, &d);
	assert_string_equal(digest_format_hex(&d, hex),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_final(&s, &d);
	assert_string_equal(digest_format_hex(&d, hex),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_release(&s);
	sha256_release(&s); /* NULL-safe after release */
}

static void test_hex(void **state)
{
	const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(bytes) + 1];
	uint8_t *dec = NULL;
	size_t len = 99;

	hex_encode(bytes, sizeof(bytes), out);
	assert_string_equal(out, "00017f80abff");
	hex_encode(bytes, 0, out);
	assert_string_equal(out, "");

	assert_int_equal(hex_decode("00017f80abff", &dec, &len), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(dec, bytes, sizeof(bytes));
	free(dec);

	/* Uppercase is accepted on input (documented). */
	assert_int_equal(hex_decode("00017F80ABFF", &dec, &len), 0);
	assert_memory_equal(dec, bytes, sizeof(bytes));
	free(dec);

	assert_int_equal(hex_decode("", &dec, &len), 0);
	assert_int_equal(len, 0);
	free(dec);

	dec = NULL;
	assert_int_equal(hex_decode("abc", &dec, &len), -EINVAL);
	assert_int_equal(hex_decode("zz", &dec, &len), -EINVAL);
	assert_int_equal(hex_decode("0g", &dec, &len), -EINVAL);
	assert_int_equal(hex_decode("00 1", &dec, &len), -EINVAL);
	assert_null(dec);
}

static void check_member(const char *name, const char *want)
{
	char *p = NULL;
	int r = path_from_member(name, &p);

	if (r < 0)
		fail_msg("path_from_member(\"%s\") = %d, want \"%s\"", name, r, want);
	assert_string_equal(p, want);
	free(p);
}

static void check_member_refused(const char *name)
{
	char *p = NULL;
	int r = path_from_member(name, &p);

	if (r != -EINVAL)
		fail_msg("path_from_member(\"%s\") = %d (\"%s\"), want -EINVAL", name, r,
			 r >= 0 ? p : "");
	assert_null(p);
}

static void test_path_from_member(void **state)
{
	check_member("./a//b/", "/a/b");
	check_member("a/b", "/a/b");
	check_member("a", "/a");
	check_member("a/", "/a");
	check_member("./a/./b/.", "/a/b");
	check_member(".", "/");
	check_member("./", "/");
	check_member("", "/");
	check_member("...", "/...");
	check_member("a/..b/c..", "/a/..b/c..");
	check_member(".wh.x", "/.wh.x");

	check_member_refused("/abs");
	check_member_refused("/");
	check_member_refused("a/../b");
	check_member_refused("..");
	check_member_refused("../x");
	check_member_refused("a/..");
	check_member_refused("./../a");
}

static void test_path_member_double_slash_start(void **state)
{
	/* "//" starts with '/', so it is absolute and refused like "/abs". */
	char *p = NULL;

	assert_int_equal(path_from_member("//x", &p), -EINVAL);
	assert_null(p);
}

static int cmp_paths(const void *a, const void *b)
{
	return path_compare(*(const char *const *)a, *(const char *const *)b);
}

static void test_path_compare(void **state)
{
	/* Shuffled input; the docs' example order plus names around '/' (0x2f): ' ' (0x20), '-'
	 * (0x2d), '.' (0x2e), '0' (0x30) and a byte above 0x7f. */
	const char *paths[] = {
		"/a-b", "/b", "/a/b/c", "/a", "/a\xc3\xa9", "/a.b", "/a/b", "/a b", "/a0",
		"/a/b-c", "/a/b/c/d", "/a/c", "/aa", "/a/b.c",
	};
	const char *const want[] = {
		"/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b-c", "/a/b.c", "/a/c", "/a b", "/a-b",
		"/a.b", "/a0", "/aa", "/a\xc3\xa9", "/b",
	};

	qsort(paths, ARRAY_SIZE(paths), sizeof(paths[0]), cmp_paths);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(paths[i], want[i]);

	/* A directory's descendants come directly after it. */
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		for (size_t j = i + 1; j < ARRAY_SIZE(want); j++)
			if (path_is_below(want[j], want[i]))
				for (size_t k = i + 1; k < j; k++)
					assert_true(path_is_below(want[k], want[i]));

	assert_int_equal(path_compare("/a", "/a"), 0);
	assert_true(path_compare("/a", "/a/b") < 0);
	assert_true(path_compare("/a/b", "/a") > 0);
	assert_true(path_compare("/a/b", "/a-b") < 0);
	assert_true(path_compare("/a-b", "/a/b") > 0);
	assert_true(path_compare("/a/b/c", "/a-b") < 0);
	assert_true(path_compare("/", "/a") < 0);
	assert_true(path_compare("/a\x7f", "/a\x80") < 0); /* bytes are unsigned */
	assert_true(path_compare("/a/\xff", "/a\x01") < 0);
}

static void test_path_is_below(void **state)
{
	assert_true(path_is_below("/a/b", "/a"));
	assert_true(path_is_below("/a/b/c", "/a"));
	assert_true(path_is_below("/a/b/c", "/a/b"));
	assert_false(path_is_below("/a", "/a"));
	assert_false(path_is_below("/ab", "/a"));
	assert_false(path_is_below("/a-b", "/a"));
	assert_false(path_is_below("/a", "/a/b"));
	assert_false(path_is_below("/b", "/a"));
	assert_true(path_is_below("/a", "/"));
	assert_true(path_is_below("/a/b", "/"));
	assert_false(path_is_below("/", "/"));
	assert_true(path_is_below("/etc/hosts/x", "/etc/hosts"));
	assert_false(path_is_below("/etc/hosts.allow", "/etc/hosts"));
}

static void check_parent(const char *path, const char *want)
{
	char *p = path_parent(path);

	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
}

static void test_path_parent(void **state)
{
	check_parent("/a/b/c", "/a/b");
	check_parent("/a/b", "/a");
	check_parent("/a", "/");
	check_parent("/", "/");
	check_parent("/a b/c d", "/a b");
}

static void test_strdup_printf(void **state)
{
	char *s = strdup_printf("%s/%d", "x", 42);

	assert_non_null(s);
	assert_string_equal(s, "x/42");
	free(s);
}

static void test_error(void **state)
{
	struct error err = { { 0 } };

	assert_int_equal(error_set(NULL, -EIO, "x"), -EIO);
	assert_int_equal(error_set(&err, -EINVAL, "first %d", 1), -EINVAL);
	assert_int_equal(error_set(&err, -EIO, "second"), -EIO);
	assert_string_equal(err.message, "first 1"); /* the first message wins */
	assert_int_equal(error_prefix(&err, -EINVAL, "ctx %s", "a"), -EINVAL);
	assert_string_equal(err.message, "ctx a: first 1");
	assert_int_equal(error_prefix(NULL, -EIO, "x"), -EIO);
}

/* mapped_consume(): the bytes in order, and a file that shrinks under the mapping is an error
 * (-ESTALE), not a SIGBUS that kills the process. */
struct mapped_check {
	int fd;
	uint64_t seen, sum;
	bool truncate;
};

static void mapped_check_consume(void *ctx, const void *data, size_t n)
{
	struct mapped_check *c = ctx;
	const unsigned char *p = data;

	if (c->truncate && c->seen == 0)
		assert_int_equal(ftruncate(c->fd, 4096), 0);
	for (size_t i = 0; i < n; i += 512)
		c->sum += p[i]; /* past the new end: SIGBUS */
	c->seen += n;
}

static void test_mapped_consume(void **state)
{
	char path[] = "/tmp/imprint-test-mapped.XXXXXX";
	int fd = mkstemp(path);
	size_t size = 5u << 20; /* more than one mapping window */
	unsigned char *data = malloc(size);
	uint64_t want = 0;
	struct mapped_check c = { .fd = fd };

	assert_true(fd >= 0 && data);
	unlink(path);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	for (size_t i = 0; i < size; i += 512)
		want += data[i];
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	assert_int_equal(mapped_consume(fd, size, mapped_check_consume, &c), 0);
	assert_int_equal(c.seen, size);
	assert_int_equal(c.sum, want);

	c = (struct mapped_check){ .fd = fd, .truncate = true };
	assert_int_equal(mapped_consume(fd, size, mapped_check_consume, &c), -ESTALE);
	/* and again, now that the file is short from the start */
	c = (struct mapped_check){ .fd = fd };
	assert_int_equal(mapped_consume(fd, size, mapped_check_consume, &c), -ESTALE);
	close(fd);
	free(data);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_parse_valid),
		cmocka_unit_test(test_digest_parse_refused),
		cmocka_unit_test(test_sha256_known_answers),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_path_from_member),
		cmocka_unit_test(test_path_member_double_slash_start),
		cmocka_unit_test(test_path_compare),
		cmocka_unit_test(test_path_is_below),
		cmocka_unit_test(test_path_parent),
		cmocka_unit_test(test_strdup_printf),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_mapped_consume),
	};

	return cmocka_run_group_tests_name("basic", tests, NULL, NULL);
}
