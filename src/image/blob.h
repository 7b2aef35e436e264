/* SPDX-License-Identifier: Apache-2.0 */
/* A blob: a byte stream read from a file below a directory fd or from a member of a tar archive
 * (oci-archive, docker-archive), hashed while it is read. When the stream ends, its digest and
 * size are checked against what the referencing descriptor promised; a mismatch is an error
 * that names the blob. Nothing is trusted before that check passes. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "basic/digest.h"
#include "basic/error.h"

struct blob;

/* Limits for the JSON blobs (index, manifest, config), like containers/image's. */
#define BLOB_JSON_MAX (4u * 1024 * 1024)

/* Open path below dirfd. expect may be NULL (then only the digest is computed); expect_size is
 * -1 when unknown. what names the blob in error messages. */
int blob_open_file(int dirfd, const char *path, const struct digest *expect, int64_t expect_size,
		   const char *what, struct blob **ret, struct error *err);

/* Wrap an open regular-file fd (taken, closed by blob_free even on failure). */
int blob_open_fd(int fd, const struct digest *expect, int64_t expect_size, const char *what,
		 struct blob **ret, struct error *err);

/* Open member (a path inside the archive, "./" prefixes ignored) of the tar archive file. */
int blob_open_member(const char *archive, const char *member, const struct digest *expect,
		     int64_t expect_size, const char *what, struct blob **ret, struct error *err);

/* Read up to n bytes. Returns the count, 0 at the end (after the digest and size matched), or a
 * negative errno (-EBADMSG for a digest or size mismatch) with err set. */
ssize_t blob_read(struct blob *b, void *buf, size_t n, struct error *err);

/* Read the whole blob (at most max bytes, else -EFBIG) into a NUL-terminated buffer. */
int blob_read_all(struct blob *b, size_t max, char **ret, size_t *ret_len, struct error *err);

/* The digest of what was read so far; complete after blob_read() returned 0. */
const struct digest *blob_digest(const struct blob *b);
const char *blob_name(const struct blob *b);

struct blob *blob_free(struct blob *b);

/* Read a whole small member of an archive without a digest (index.json, manifest.json). */
int archive_read_member(const char *archive, const char *member, size_t max, char **ret,
			size_t *ret_len, struct error *err);

/* Size of a regular-file member of an archive. */
int archive_member_size(const char *archive, const char *member, int64_t *ret, struct error *err);
