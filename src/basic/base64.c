/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"

int base64_encode(const void *data, size_t len, char **ret)
{
	char *out;

	if (len > INT_MAX / 2)
		return -E2BIG;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	*ret = out;
	return 0;
}

int base64_decode(const char *s, uint8_t **ret, size_t *ret_len)
{
	size_t n = strlen(s), pad = 0;
	uint8_t *out;
	int k;

	if (n % 4 || n > INT_MAX / 2)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	/* EVP_DecodeBlock ignores nothing we care about but counts padding as zero bytes. */
	k = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (k < 0 || (size_t)k < pad || strcspn(s, "=") < n - pad) {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = (size_t)k - pad;
	return 0;
}
