/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a file through a memory mapping, safely.
 *
 * read() copies every byte from the page cache into a buffer; for large files that copy costs
 * about a fifth of hashing time. Mapping the file's pages avoids it, but a file that shrinks
 * while it is mapped turns the next access past its new end into SIGBUS. mapped_consume() catches
 * that SIGBUS (in the thread that faulted, while it is inside mapped_consume()) and returns
 * -ESTALE instead; a SIGBUS anywhere else keeps its previous disposition. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Call consume(ctx, data, n) over bytes [0, size) of the regular file fd, in order, through
 * read-only mappings of at most a few MiB each. Returns 0, -ESTALE if the file shrank below size
 * while it was being read, or another -errno if it cannot be mapped (the caller may then fall
 * back to read()). consume must not keep the pointer. */
int mapped_consume(int fd, uint64_t size, void (*consume)(void *ctx, const void *data, size_t n),
		   void *ctx);
