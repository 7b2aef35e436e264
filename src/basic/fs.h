/* SPDX-License-Identifier: Apache-2.0 */
/* File and path helpers. Everything that reads inside an image or a store opens relative to a
 * directory fd and never resolves a symlink out of it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: path may not
 * leave dirfd, and no component may be a symlink. O_CLOEXEC is always added. */
int openat_beneath(int dirfd, const char *path, int flags);

/* Read a whole regular file below dirfd (as openat_beneath) into a NUL-terminated buffer.
 * Returns -EFBIG if it is larger than max bytes. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);

/* A one-line file below dirfd (an engine's record: an ID, a digest), as read_file_at() but
 * without trailing newlines and spaces. */
int read_line_at(int dirfd, const char *path, size_t max, char **ret);

/* The same for a path the user named (follows symlinks, may be absolute). */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Read fd to its end (a regular file, pipe or socket: stdin), at most max bytes. */
int read_stream(int fd, size_t max, char **ret, size_t *ret_len);

/* Send all of data on a socket (MSG_NOSIGNAL: a closed peer is -EPIPE, not SIGPIPE). */
int send_all(int fd, const void *data, size_t len);

/* Write data to path atomically: a temporary file in the same directory, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* Turn a tar member name ("./a//b/") into the absolute form "/a/b". Refuses absolute names and
 * ".." components (-EINVAL). The root itself becomes "/". */
int path_from_member(const char *name, char **ret);

/* Order of the content table: bytewise, except that '/' sorts before every other byte, so that
 * a directory's descendants directly follow it. */
int path_compare(const char *a, const char *b);

/* True if path is below dir (not equal to it). dir "/" contains every other path. */
bool path_is_below(const char *path, const char *dir);

/* The parent of an absolute path, as a new string ("/a/b" -> "/a", "/a" -> "/"). */
char *path_parent(const char *path);

/* printf into a newly allocated string; NULL on failure. */
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
