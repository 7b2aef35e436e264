/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include <openssl/evp.h>

#include "sha256.h"

static const EVP_MD *sha256_md(void)
{
	/* Fetch the implementation once instead of on every EVP_DigestInit. */
	static EVP_MD *md;

	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

int sha256_init(struct sha256 *s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !sha256_md() || EVP_DigestInit_ex(ctx, sha256_md(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		s->ctx = NULL;
		return -ENOMEM;
	}
	s->ctx = ctx;
	return 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(s->ctx, data, len);
}

void sha256_final(struct sha256 *s, struct digest *ret)
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(s->ctx, ret->bytes, &n);
	EVP_DigestInit_ex(s->ctx, sha256_md(), NULL);
}

void sha256_release(struct sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

int sha256_buffer(const void *data, size_t len, struct digest *ret)
{
	struct sha256 s;
	int r = sha256_init(&s);

	if (r < 0)
		return r;
	sha256_update(&s, data, len);
	sha256_final(&s, ret);
	sha256_release(&s);
	return 0;
}
