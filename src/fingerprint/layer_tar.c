/* SPDX-License-Identifier: Apache-2.0 */
/* A layer tar is read through two stacked libarchive readers: the first only decompresses
 * (format "raw", any filter) and reads from the blob, which hashes the compressed bytes; the
 * second parses tar from the first's output, which we hash on the way for the diffID. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "basic/macro.h"
#include "layer.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"
/* Zeros hashed for the holes of one sparse member: a tiny tar can claim petabytes. */
#define SPARSE_HOLES_MAX (1ull << 30)

struct tar_stream {
	struct blob *blob;
	struct archive *raw, *tar;
	struct sha256 diff;
	struct error *err;
	int failed; /* first error seen in a callback */
	char in[128 * 1024], mid[128 * 1024];
};

static la_ssize_t read_blob(struct archive *a, void *data, const void **buf)
{
	struct tar_stream *s = data;
	ssize_t n = blob_read(s->blob, s->in, sizeof(s->in), s->err);

	if (n < 0) {
		s->failed = s->failed ?: (int)n;
		archive_set_error(a, EIO, "%s", s->err->message);
		return -1;
	}
	*buf = s->in;
	return n;
}

static la_ssize_t read_uncompressed(struct archive *a, void *data, const void **buf)
{
	struct tar_stream *s = data;
	la_ssize_t n = archive_read_data(s->raw, s->mid, sizeof(s->mid));

	if (n < 0) {
		if (!s->failed)
			s->failed = error_set(s->err, -EBADMSG, "%s: cannot decompress: %s",
					      blob_name(s->blob), archive_error_string(s->raw));
		archive_set_error(a, EIO, "%s", s->err->message);
		return -1;
	}
	sha256_update(&s->diff, s->mid, (size_t)n);
	*buf = s->mid;
	return n;
}

static void hash_zeros(struct sha256 *sha, uint64_t n)
{
	static const char zeros[4096];

	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		sha256_update(sha, zeros, k);
		n -= k;
	}
}

/* Hash a regular member's content, sparse holes included. */
static int hash_data(struct tar_stream *s, struct entry *e, int64_t size)
{
	struct sha256 sha;
	uint64_t pos = 0, holes = 0;
	int r;

	r = sha256_init(&sha);
	if (r < 0)
		return r;
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;

		r = archive_read_data_block(s->tar, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			sha256_release(&sha);
			return -EBADMSG;
		}
		if (off < 0 || (uint64_t)off < pos ||
		    (holes += (uint64_t)off - pos) > SPARSE_HOLES_MAX) {
			sha256_release(&sha);
			return -EBADMSG;
		}
		hash_zeros(&sha, (uint64_t)off - pos);
		sha256_update(&sha, buf, len);
		pos = (uint64_t)off + len;
	}
	if (size >= 0 && pos < (uint64_t)size && holes + ((uint64_t)size - pos) > SPARSE_HOLES_MAX) {
		sha256_release(&sha);
		return -EFBIG;
	}
	if (size >= 0 && pos < (uint64_t)size) {
		hash_zeros(&sha, (uint64_t)size - pos);
		pos = (uint64_t)size;
	}
	sha256_final(&sha, &e->sha256);
	sha256_release(&sha);
	e->size = pos;
	return 0;
}

static int add_xattrs(struct entry *e, struct archive_entry *ae)
{
	const char *name;
	const void *value;
	size_t len;

	if (e->type != ENTRY_FILE && e->type != ENTRY_DIR)
		return 0;
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &name, &value, &len) == ARCHIVE_OK) {
		int r;

		if (!xattr_is_recorded(name))
			continue;
		r = entry_add_xattr(e, name, value, len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whiteout members: ".wh..wh..opq" makes its directory opaque, ".wh.NAME" hides NAME. */
static int add_whiteout(struct table *t, const char *path, const char *base, struct error *err)
{
	_cleanup_free_ char *parent = path_parent(path);
	const char *name = base + strlen(WHITEOUT_PREFIX);
	struct entry *e;
	int r;

	if (!parent)
		return -ENOMEM;
	if (strcmp(base, OPAQUE_MARKER) == 0) {
		if (strcmp(parent, "/") == 0)
			return 0; /* the root is replaced by nothing; lower content stays */
		r = table_add(t, TAKE_PTR(parent), &e);
		if (r < 0)
			return r;
		/* A stand-in directory; a real entry for it in this layer replaces it, keeping
		 * the opaque flag (see table_finalize_layer). */
		e->type = ENTRY_DIR;
		e->mode = 0755;
		e->implied = true;
		e->opaque = true;
		e->seq = 0;
		return 0;
	}
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return error_set(err, -EINVAL, "invalid whiteout '%s'", path);
	r = table_add(t, strcmp(parent, "/") == 0 ? strdup_printf("/%s", name)
						  : strdup_printf("%s/%s", parent, name),
		      &e);
	if (r < 0)
		return r;
	if (!e->path)
		return -ENOMEM;
	e->type = ENTRY_WHITEOUT;
	return 0;
}

static int add_member(struct tar_stream *s, struct table *t, struct archive_entry *ae,
		      struct error *err)
{
	const char *name = archive_entry_pathname(ae), *base;
	_cleanup_free_ char *path = NULL;
	const char *link;
	struct entry *e;
	int r;

	if (!name || !*name)
		return error_set(err, -EBADMSG, "tar entry without a name");
	if (strlen(name) > ENTRY_PATH_MAX)
		return error_set(err, -ENAMETOOLONG, "tar entry name longer than %d bytes",
				 ENTRY_PATH_MAX);
	if (path_from_member(name, &path) < 0)
		return error_set(err, -EINVAL, "tar entry '%s' has an absolute path or '..'", name);
	if (strcmp(path, "/") == 0)
		return 0; /* the root directory is not recorded */
	base = strrchr(path, '/') + 1;
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return add_whiteout(t, path, base, err);
	if (archive_entry_uid(ae) < 0 || archive_entry_uid(ae) > UINT32_MAX ||
	    archive_entry_gid(ae) < 0 || archive_entry_gid(ae) > UINT32_MAX)
		return error_set(err, -EINVAL, "'%s': uid or gid out of range", path);

	r = table_add(t, TAKE_PTR(path), &e);
	if (r < 0)
		return error_set(err, r, "too many entries (limit %u)", TABLE_MAX_ENTRIES);
	e->mode = archive_entry_mode(ae) & 07777;
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);

	link = archive_entry_hardlink(ae);
	if (link) {
		e->type = ENTRY_HARDLINK;
		if (strlen(link) > ENTRY_PATH_MAX || path_from_member(link, &e->target) < 0)
			return error_set(err, -EINVAL, "hardlink '%s' has an invalid target", e->path);
		return 0;
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		e->type = ENTRY_FILE;
		r = hash_data(s, e, archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1);
		if (r < 0)
			return s->failed ?: error_set(err, r, "'%s': %s", e->path,
						      archive_error_string(s->tar));
		break;
	case AE_IFDIR:
		e->type = ENTRY_DIR;
		break;
	case AE_IFLNK:
		e->type = ENTRY_SYMLINK;
		link = archive_entry_symlink(ae);
		if (!link || strlen(link) > ENTRY_PATH_MAX)
			return error_set(err, -EINVAL, "symlink '%s' has no valid target", e->path);
		e->target = strdup(link);
		if (!e->target)
			return -ENOMEM;
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		e->type = archive_entry_filetype(ae) == AE_IFCHR ? ENTRY_CHAR : ENTRY_BLOCK;
		e->major = (uint32_t)archive_entry_rdevmajor(ae);
		e->minor = (uint32_t)archive_entry_rdevminor(ae);
		break;
	case AE_IFIFO:
		e->type = ENTRY_FIFO;
		break;
	case AE_IFSOCK:
		e->type = ENTRY_SOCKET;
		break;
	default:
		return error_set(err, -EINVAL, "'%s': unsupported tar entry type %o", e->path,
				 archive_entry_filetype(ae));
	}
	r = add_xattrs(e, ae);
	if (r < 0)
		return error_set(err, r, "'%s': too many or too large xattrs", e->path);
	return 0;
}

/* Read what is left of both streams, so that both digests cover everything. */
static int drain(struct tar_stream *s)
{
	for (;;) {
		la_ssize_t n = archive_read_data(s->raw, s->mid, sizeof(s->mid));

		if (n < 0)
			return s->failed ?: error_set(s->err, -EBADMSG, "%s: cannot decompress: %s",
						      blob_name(s->blob),
						      archive_error_string(s->raw));
		if (n == 0)
			break;
		sha256_update(&s->diff, s->mid, (size_t)n);
	}
	for (;;) {
		ssize_t n = blob_read(s->blob, s->in, sizeof(s->in), s->err);

		if (n <= 0)
			return (int)n;
	}
}

static int read_members(struct tar_stream *s, struct table *t, struct error *err)
{
	struct archive_entry *ae;
	int r;

	for (;;) {
		r = archive_read_next_header(s->tar, &ae);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return s->failed ?: error_set(err, -EBADMSG, "%s: corrupt tar: %s",
						      blob_name(s->blob),
						      archive_error_string(s->tar));
		r = add_member(s, t, ae, err);
		if (r < 0)
			return s->failed ?: r;
	}
}

int layer_read_tar(struct blob *blob, const struct digest *diff_id, struct table *ret,
		   struct error *err)
{
	struct tar_stream *s = calloc(1, sizeof(*s));
	struct archive_entry *ae;
	struct table t = { 0 };
	struct digest got;
	int r;

	if (!s || sha256_init(&s->diff) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->blob = blob;
	s->err = err;
	s->raw = archive_read_new();
	s->tar = archive_read_new();
	if (!s->raw || !s->tar) {
		r = -ENOMEM;
		goto out;
	}
	archive_read_support_filter_all(s->raw);
	archive_read_support_format_raw(s->raw);
	archive_read_support_format_tar(s->tar);
	if (archive_read_open(s->raw, s, NULL, read_blob, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(s->raw, &ae) != ARCHIVE_OK) {
		r = s->failed ?: error_set(err, -EBADMSG, "%s: %s", blob_name(blob),
					   archive_error_string(s->raw));
		goto out;
	}
	if (archive_read_open(s->tar, s, NULL, read_uncompressed, NULL) != ARCHIVE_OK) {
		r = s->failed ?: error_set(err, -EBADMSG, "%s: not a tar: %s", blob_name(blob),
					   archive_error_string(s->tar));
		goto out;
	}
	r = read_members(s, &t, err);
	if (r >= 0)
		r = drain(s);
	/* A decompressor may swallow a read error from the blob: the first one still counts. */
	if (r >= 0 && s->failed)
		r = s->failed;
	if (r < 0)
		goto out;
	sha256_final(&s->diff, &got);
	if (diff_id && !digest_equal(&got, diff_id)) {
		char a[DIGEST_STRING_MAX], b[DIGEST_STRING_MAX];

		r = error_set(err, -EBADMSG, "%s: diffID mismatch: config says %s, content is %s",
			      blob_name(blob), digest_format(diff_id, a), digest_format(&got, b));
		goto out;
	}
	*ret = t;
	t = (struct table){ 0 };
out:
	table_release(&t);
	if (s->raw)
		archive_read_free(s->raw);
	if (s->tar)
		archive_read_free(s->tar);
	sha256_release(&s->diff);
	free(s);
	return r;
}
