/* SPDX-License-Identifier: Apache-2.0 */
/* Writing small layer tars in memory for the tests, with libarchive's writer (pax format) into a
 * memfd. The caller owns the returned fd. */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/sha256.h"
#include "test-helpers.h"

enum { M_HARDLINK = 1 };

struct member {
	const char *name;
	unsigned type; /* AE_IF* or M_HARDLINK */
	unsigned mode;
	const char *data; /* AE_IFREG content, or the link target */
	unsigned uid, gid;
	const char *xattr_name; /* up to three xattrs */
	const void *xattr_value;
	size_t xattr_len;
	const char *xattr2, *xattr3;
	unsigned major, minor;
	int64_t size; /* header size if > 0 (for truncated archives) */
};

/* Write members as a pax tar (optionally through a compression filter) into a new memfd,
 * rewound. filter: NULL or a libarchive filter name ("gzip", "zstd", "bzip2"). Returns -EOPNOTSUPP if libarchive lacks the filter. */
static inline int write_tar(const struct member *m, size_t n, const char *filter)
{
	struct archive *a = archive_write_new();
	int fd = memfd_create("layer.tar", MFD_CLOEXEC);
	int r = 0;

	assert_non_null(a);
	assert_true(fd >= 0);
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	if (filter)
		r = archive_write_add_filter_by_name(a, filter);
	if (r != ARCHIVE_OK) {
		archive_write_free(a);
		close(fd);
		return -EOPNOTSUPP;
	}
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = m[i].data && m[i].type == AE_IFREG ? strlen(m[i].data) : 0;

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, m[i].type == M_HARDLINK ? AE_IFREG : m[i].type);
		archive_entry_set_perm(e, m[i].mode);
		archive_entry_set_uid(e, m[i].uid);
		archive_entry_set_gid(e, m[i].gid);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (m[i].type == M_HARDLINK)
			archive_entry_set_hardlink(e, m[i].data);
		if (m[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, m[i].data);
		if (m[i].type == AE_IFCHR || m[i].type == AE_IFBLK) {
			archive_entry_set_rdevmajor(e, m[i].major);
			archive_entry_set_rdevminor(e, m[i].minor);
		}
		if (m[i].type == AE_IFREG)
			archive_entry_set_size(e, m[i].size > 0 ? m[i].size : (int64_t)len);
		if (m[i].xattr_name)
			archive_entry_xattr_add_entry(e, m[i].xattr_name, m[i].xattr_value,
						      m[i].xattr_len);
		if (m[i].xattr2)
			archive_entry_xattr_add_entry(e, m[i].xattr2, "v", 1);
		if (m[i].xattr3)
			archive_entry_xattr_add_entry(e, m[i].xattr3, "label", 5);
		/* ARCHIVE_WARN: a name that is not valid in the locale, written as bytes */
		assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
		if (len)
			assert_int_equal(archive_write_data(a, m[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static inline struct digest fd_digest(int fd)
{
	struct sha256 s;
	struct digest d;
	char buf[4096];
	off_t off = 0;
	ssize_t n;

	assert_int_equal(sha256_init(&s), 0);
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		sha256_update(&s, buf, (size_t)n);
		off += n;
	}
	assert_int_equal(n, 0);
	sha256_final(&s, &d);
	sha256_release(&s);
	return d;
}

