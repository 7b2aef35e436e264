/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "basic/macro.h"
#include "blob.h"

struct blob {
	int fd;              /* file blobs */
	struct archive *ar;  /* member blobs: positioned at the member's data */
	struct sha256 sha;
	bool has_expect;
	struct digest expect, got;
	int64_t expect_size;
	uint64_t nread;
	bool done;
	int error; /* the check's result, repeated to every later read */
	char *what;
};

static int blob_new(const struct digest *expect, int64_t expect_size, const char *what,
		    struct blob **ret)
{
	struct blob *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->fd = -1;
	b->what = strdup(what);
	if (!b->what || sha256_init(&b->sha) < 0) {
		blob_free(b);
		return -ENOMEM;
	}
	if (expect) {
		b->has_expect = true;
		b->expect = *expect;
	}
	b->expect_size = expect_size;
	*ret = b;
	return 0;
}

struct blob *blob_free(struct blob *b)
{
	if (!b)
		return NULL;
	if (b->fd >= 0)
		close(b->fd);
	if (b->ar)
		archive_read_free(b->ar);
	sha256_release(&b->sha);
	free(b->what);
	free(b);
	return NULL;
}

int blob_open_fd(int fd, const struct digest *expect, int64_t expect_size, const char *what,
		 struct blob **ret, struct error *err)
{
	struct blob *b;
	struct stat st;
	int r;

	r = blob_new(expect, expect_size, what, &b);
	if (r < 0) {
		close(fd);
		return error_set(err, r, "%s: out of memory", what);
	}
	b->fd = fd;
	if (fstat(b->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		blob_free(b);
		return error_set(err, -EBADF, "%s: not a regular file", what);
	}
	posix_fadvise(b->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*ret = b;
	return 0;
}

int blob_open_file(int dirfd, const char *path, const struct digest *expect, int64_t expect_size,
		   const char *what, struct blob **ret, struct error *err)
{
	int fd = openat_beneath(dirfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);

	if (fd == -ENOENT)
		return error_set(err, fd, "%s: missing (%s)", what, path);
	if (fd < 0)
		return error_set(err, fd, "%s: cannot open %s: %s", what, path, strerror(-fd));
	return blob_open_fd(fd, expect, expect_size, what, ret, err);
}

static int member_matches(const char *name, const char *member)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (member[0] == '.' && member[1] == '/')
		member += 2;
	return strcmp(name, member) == 0;
}

/* Open the archive and stop at member; the caller reads its data. */
static int archive_seek_member(const char *archive, const char *member, struct archive **ret,
			       int64_t *ret_size, struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	int r;

	if (!a)
		return error_set(err, -ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, archive, 64 * 1024) != ARCHIVE_OK) {
		r = error_set(err, -EIO, "%s: %s", archive, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	for (;;) {
		r = archive_read_next_header(a, &entry);
		if (r == ARCHIVE_EOF) {
			archive_read_free(a);
			return error_set(err, -ENOENT, "%s: no member '%s'", archive, member);
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = error_set(err, -EBADMSG, "%s: %s", archive, archive_error_string(a));
			archive_read_free(a);
			return r;
		}
		if (archive_entry_filetype(entry) == AE_IFREG &&
		    member_matches(archive_entry_pathname(entry), member))
			break;
	}
	if (ret_size)
		*ret_size = archive_entry_size(entry);
	*ret = a;
	return 0;
}

int blob_open_member(const char *archive, const char *member, const struct digest *expect,
		     int64_t expect_size, const char *what, struct blob **ret, struct error *err)
{
	struct blob *b;
	int r;

	r = blob_new(expect, expect_size, what, &b);
	if (r < 0)
		return error_set(err, r, "%s: out of memory", what);
	r = archive_seek_member(archive, member, &b->ar, NULL, err);
	if (r < 0) {
		blob_free(b);
		return error_prefix(err, r, "%s", what);
	}
	*ret = b;
	return 0;
}

static int blob_finish(struct blob *b, struct error *err)
{
	char want[DIGEST_STRING_MAX], got[DIGEST_STRING_MAX];

	sha256_final(&b->sha, &b->got);
	b->done = true;
	if (b->expect_size >= 0 && b->nread != (uint64_t)b->expect_size)
		return error_set(err, -EBADMSG, "%s: size mismatch: expected %lld bytes, read %llu",
				 b->what, (long long)b->expect_size, (unsigned long long)b->nread);
	if (b->has_expect && !digest_equal(&b->expect, &b->got))
		return error_set(err, -EBADMSG, "%s: digest mismatch: expected %s, content is %s",
				 b->what, digest_format(&b->expect, want), digest_format(&b->got, got));
	return 0;
}

ssize_t blob_read(struct blob *b, void *buf, size_t n, struct error *err)
{
	ssize_t k;

	if (b->done)
		return b->error;
	if (b->ar) {
		k = archive_read_data(b->ar, buf, n);
		if (k < 0)
			return error_set(err, -EIO, "%s: %s", b->what, archive_error_string(b->ar));
	} else {
		do
			k = read(b->fd, buf, n);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return error_set(err, -errno, "%s: read failed: %m", b->what);
	}
	if (k == 0) {
		b->error = blob_finish(b, err);
		return b->error;
	}
	b->nread += (uint64_t)k;
	/* Stop early on a blob that is longer than promised, instead of reading it all. */
	if (b->expect_size >= 0 && b->nread > (uint64_t)b->expect_size)
		return error_set(err, -EBADMSG, "%s: size mismatch: longer than %lld bytes",
				 b->what, (long long)b->expect_size);
	sha256_update(&b->sha, buf, (size_t)k);
	return k;
}

int blob_read_all(struct blob *b, size_t max, char **ret, size_t *ret_len, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t k;

		if (cap - len < 65536 + 1) {
			char *p;

			if (cap > max + 65536)
				return error_set(err, -EFBIG, "%s: larger than the %zu-byte limit",
						 b->what, max);
			cap = cap ? cap * 2 : 65536 * 2;
			p = realloc(buf, cap);
			if (!p)
				return error_set(err, -ENOMEM, "%s: out of memory", b->what);
			buf = p;
		}
		k = blob_read(b, buf + len, 65536, err);
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max)
			return error_set(err, -EFBIG, "%s: larger than the %zu-byte limit", b->what,
					 max);
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

const struct digest *blob_digest(const struct blob *b)
{
	return &b->got;
}

const char *blob_name(const struct blob *b)
{
	return b->what;
}

int archive_read_member(const char *archive, const char *member, size_t max, char **ret,
			size_t *ret_len, struct error *err)
{
	struct blob *b;
	int r;

	r = blob_open_member(archive, member, NULL, -1, member, &b, err);
	if (r < 0)
		return r;
	r = blob_read_all(b, max, ret, ret_len, err);
	blob_free(b);
	return r;
}

int archive_member_size(const char *archive, const char *member, int64_t *ret, struct error *err)
{
	struct archive *a;
	int r = archive_seek_member(archive, member, &a, ret, err);

	if (r >= 0)
		archive_read_free(a);
	return r;
}
