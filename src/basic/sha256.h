/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming SHA-256 through OpenSSL EVP (which uses the CPU's SHA extensions). */
#pragma once

#include <stddef.h>

#include "digest.h"

struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish into ret and reset the context so it can hash again. */
void sha256_final(struct sha256 *s, struct digest *ret);
void sha256_release(struct sha256 *s);
/* One-shot hash of a buffer. */
int sha256_buffer(const void *data, size_t len, struct digest *ret);
