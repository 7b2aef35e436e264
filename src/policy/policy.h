/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist policy (docs/policy.md): a JSON document, validated on every read, signed as
 * the payload of a DSSE envelope. A policy is kept as its jansson document so that what is
 * signed is exactly what was checked. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "fingerprint/fingerprint.h"
#include "key.h"

#define POLICY_API_VERSION "imprint.dev/v1alpha1"
#define POLICY_KIND "ImagePolicy"
#define POLICY_PAYLOAD_TYPE "application/vnd.imprint.policy.v1+json"
#define POLICY_MAX (16u * 1024 * 1024)
#define POLICY_IMAGES_MAX 65536

/* A new, empty policy. expires may be NULL; default_action is "deny" or "allow". */
int policy_new(const char *name, const char *expires, const char *default_action,
	       json_t **ret, struct error *err);

/* Check every field (docs/policy.md). */
int policy_validate(json_t *policy, struct error *err);

/* Add (or replace, by config digest) an image entry built from a fingerprint. Bumps serial. */
int policy_add_image(json_t *policy, const struct fingerprint *fp, const char *name,
		     const char *mode, struct error *err);
/* Remove entries naming digest (manifest or config). Returns how many; bumps serial if any. */
int policy_remove_image(json_t *policy, const char *digest, struct error *err);
/* Revoke a digest (manifest, config or root). Bumps serial. */
int policy_revoke(json_t *policy, const char *digest, const char *reason, struct error *err);

/* Read an unsigned policy file. */
int policy_read(const char *path, json_t **ret, struct error *err);
/* Write an unsigned policy file (atomically). */
int policy_write(json_t *policy, const char *path, struct error *err);

/* Sign: the DSSE envelope text. */
int policy_sign(json_t *policy, const struct key *key, char **ret, struct error *err);
/* Open a signed policy: envelope checked against the trusted keys, payload validated, expiry
 * checked against now (seconds since the epoch). */
int policy_open_signed(const char *path, struct key *const *trusted, size_t n_trusted,
		       int64_t now, json_t **ret, const struct key **ret_signer,
		       struct error *err);

/* RFC 3339 UTC ("2026-11-23T12:00:00Z") <-> seconds since the epoch. */
int time_parse_rfc3339(const char *s, int64_t *ret);
void time_format_rfc3339(int64_t t, char buf[static 32]);
