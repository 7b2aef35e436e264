/* SPDX-License-Identifier: Apache-2.0 */
/* Ed25519 keys through OpenSSL: generate, load PEM, sign, verify. A key's id is the SHA-256 of
 * its public key in DER SubjectPublicKeyInfo form, as 64 hex characters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/digest.h"
#include "basic/error.h"
#include "basic/macro.h"

struct key {
	void *pkey;  /* EVP_PKEY */
	bool private_key;
	char id[DIGEST_HEX_LEN + 1];
};

#define ED25519_SIG_SIZE 64

/* Write NAME.key (private, PEM PKCS#8, mode 0600) and NAME.pub (public, PEM). Refuses to
 * overwrite either (-EEXIST). */
int key_generate(const char *name, struct key **ret, struct error *err);
/* Load a PEM private or public Ed25519 key. */
int key_load(const char *path, struct key **ret, struct error *err);
struct key *key_free(struct key *k);
DEFINE_FREEP(struct key, key_free)

int key_sign(const struct key *k, const void *msg, size_t len, uint8_t sig[ED25519_SIG_SIZE]);
/* 0 if sig is k's signature over msg, -EBADMSG if not. */
int key_verify(const struct key *k, const void *msg, size_t len, const uint8_t *sig,
	       size_t sig_len);
