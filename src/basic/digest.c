/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int digest_parse_hex(const char *hex, struct digest *ret)
{
	struct digest d;

	if (strlen(hex) != DIGEST_HEX_LEN)
		return -EINVAL;
	for (size_t i = 0; i < DIGEST_SIZE; i++) {
		int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);

		/* OCI requires lowercase hex: refuse uppercase so one digest has one spelling. */
		if (hi < 0 || lo < 0 || (hex[2 * i] >= 'A' && hex[2 * i] <= 'F') ||
		    (hex[2 * i + 1] >= 'A' && hex[2 * i + 1] <= 'F'))
			return -EINVAL;
		d.bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = d;
	return 0;
}

int digest_parse(const char *s, struct digest *ret)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return -EINVAL;
	if ((size_t)(colon - s) != 6 || memcmp(s, "sha256", 6) != 0)
		return -EOPNOTSUPP;
	return digest_parse_hex(colon + 1, ret);
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int hex_decode(const char *in, uint8_t **ret, size_t *ret_len)
{
	size_t n = strlen(in);
	uint8_t *out;

	if (n % 2)
		return -EINVAL;
	out = malloc(n / 2 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = unhex(in[2 * i]), lo = unhex(in[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(out);
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = out;
	*ret_len = n / 2;
	return 0;
}

char *digest_format_hex(const struct digest *d, char buf[static DIGEST_HEX_LEN + 1])
{
	hex_encode(d->bytes, DIGEST_SIZE, buf);
	return buf;
}

char *digest_format(const struct digest *d, char buf[static DIGEST_STRING_MAX])
{
	memcpy(buf, "sha256:", 7);
	hex_encode(d->bytes, DIGEST_SIZE, buf + 7);
	return buf;
}

bool digest_equal(const struct digest *a, const struct digest *b)
{
	return memcmp(a->bytes, b->bytes, DIGEST_SIZE) == 0;
}

bool digest_is_hex(const char *s)
{
	return s && strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}
