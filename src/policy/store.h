/* SPDX-License-Identifier: Apache-2.0 */
/* The host's policy store (docs/policy.md, "The host store"): trusted public keys in one
 * directory, signed policies in another, the highest serial accepted per policy name in a
 * state directory. Loading the store checks every policy file and merges the accepted ones;
 * a file that is unsigned, wrongly signed, expired, malformed or rolled back is rejected and
 * named, and a store with a rejected file is not sound (verification refuses in enforce mode). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/digest.h"
#include "basic/error.h"
#include "basic/macro.h"

#define STORE_POLICY_DIR "/etc/imprint/policy.d"
#define STORE_KEYS_DIR "/etc/imprint/keys"
#define STORE_STATE_DIR "/var/lib/imprint"
#define STORE_FINGERPRINT_DIR "/etc/imprint/fingerprints"
#define STORE_FILES_MAX 1024
#define STORE_KEYS_MAX 64

struct store_options {
	const char *policy_dir, *keys_dir, *state_dir; /* NULL: the defaults above */
	int64_t now;                                    /* seconds since the epoch */
	bool record;                                    /* write newly accepted serials */
};

struct store_policy {
	char *file; /* the file name in the policy directory */
	char *name;
	int64_t serial;
	char signer[DIGEST_HEX_LEN + 1];
	json_t *doc;
};

/* A policy file that was not accepted, or accepted but superseded by a higher serial. */
struct store_rejected {
	char *file;
	char *reason;
	bool superseded; /* not an error: another file of the same name has a higher serial */
};

struct store {
	struct store_policy *policies; /* accepted, sorted by file name */
	size_t n_policies;
	struct store_rejected *rejected;
	size_t n_rejected;
	size_t n_keys;
};

/* Set the defaults (the command line's configuration overrides them: src/cli/conf.h). */
void store_options_init(struct store_options *o);

/* Load and check the store. Fails (< 0) only if a directory cannot be read or there is no
 * trusted key; bad policy files are listed in ->rejected. */
int store_load(const struct store_options *o, struct store **ret, struct error *err);
struct store *store_free(struct store *s);
DEFINE_FREEP(struct store, store_free)

/* True if no file was rejected (superseded files do not count) and at least one policy was
 * accepted. If not, *why says why (borrowed). */
bool store_is_sound(const struct store *s, const char **why);

/* The merged decision inputs for one image, from every accepted policy. */
struct store_match {
	bool revoked;
	const char *revoked_by, *revoke_reason; /* policy name and reason; borrowed */
	json_t *entry;                          /* the first matching image entry, or NULL */
	const char *policy;                     /* its policy's name */
	int64_t serial;                         /* and serial */
	bool enforce;                           /* some matching entry says enforce */
	bool default_deny;                      /* some policy's defaultAction is deny */
};

/* Look an image up by its digests (NULL ones are skipped): an entry matches by manifest or
 * config digest; with neither given (an unpacked bundle has no manifest), by root digest.
 * Any of the three in any policy's revocations revokes: revocation wins over any allow. */
void store_match(const struct store *s, const struct digest *manifest,
		 const struct digest *config, const struct digest *root, struct store_match *ret);
