/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 digests as OCI writes them: "sha256:<64 hex>" and the bare hex of engines' IDs. Text
 * only, libc only (hashing is basic/sha256.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_SIZE 32
#define DIGEST_HEX_LEN (DIGEST_SIZE * 2)
/* "sha256:" + 64 hex + NUL */
#define DIGEST_STRING_MAX (7 + DIGEST_HEX_LEN + 1)

struct digest {
	uint8_t bytes[DIGEST_SIZE];
};


/* Parse "sha256:<64 lowercase hex>". Returns -EINVAL if malformed, -EOPNOTSUPP for another
 * algorithm. */
int digest_parse(const char *s, struct digest *ret);
/* Parse 64 lowercase hex characters (no algorithm prefix). */
int digest_parse_hex(const char *hex, struct digest *ret);
/* True if s is exactly 64 lowercase hex characters: an ID engines use as a file name. */
bool digest_is_hex(const char *s);
/* Format as "sha256:<hex>" into buf (DIGEST_STRING_MAX bytes); returns buf. */
char *digest_format(const struct digest *d, char buf[static DIGEST_STRING_MAX]);
/* Format as 64 hex characters (buf of DIGEST_HEX_LEN + 1); returns buf. */
char *digest_format_hex(const struct digest *d, char buf[static DIGEST_HEX_LEN + 1]);
bool digest_equal(const struct digest *a, const struct digest *b);

/* Lowercase hex of len bytes into out (2 * len + 1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode an even-length lowercase or uppercase hex string; ret_len gets the byte count. */
int hex_decode(const char *in, uint8_t **ret, size_t *ret_len);
