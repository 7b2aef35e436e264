/* SPDX-License-Identifier: Apache-2.0 */
/* Standard base64 (RFC 4648, with padding) through OpenSSL. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Encode len bytes into a new NUL-terminated string. */
int base64_encode(const void *data, size_t len, char **ret);
/* Decode a padded base64 string (no whitespace). */
int base64_decode(const char *s, uint8_t **ret, size_t *ret_len);
