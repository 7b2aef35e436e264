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
/* Runtime enforcement of an image entry (docs/policy.md, "enforcement"): what imprintd does
 * to a running container of the image. Absent fields are off, so older policies keep their
 * meaning. */
enum policy_enforce {
	POLICY_ENFORCE_OFF,
	POLICY_ENFORCE_MONITOR,
	POLICY_ENFORCE_ENFORCE,
	_POLICY_ENFORCE_MAX
};

struct policy_enforcement {
	enum policy_enforce exec;    /* only unchanged image files may execute */
	enum policy_enforce network; /* only learned destinations (behavioral fingerprint) */
	enum policy_enforce files;   /* the image's files read-only inside the container */
	bool tree_aware;             /* exec: only under the learned parent program */
	bool raw_sockets;            /* network: raw and ICMP sockets may be made (their sends
				      * bypass the destination rules) */
	bool loader_as_program;      /* exec: the image's ELF interpreter may be run as the
				      * program (`ld.so PROGRAM`; it then maps what it is given,
				      * which the mapping check still judges) */
};

const char *policy_enforce_to_string(enum policy_enforce e);
int policy_enforce_from_string(const char *s, enum policy_enforce *ret);
/* An entry's "enforcement" object (all off if absent). The entry was validated. */
void policy_entry_enforcement(json_t *entry, struct policy_enforcement *ret);
/* Parse the `policy add --enforcement` spec, "exec=MODE,network=MODE,files=MODE,tree-aware,
 * raw-sockets,loader-as-program" (any subset, MODE off|monitor|enforce), into an "enforcement"
 * object. -EINVAL if malformed. */
int policy_enforcement_parse(const char *spec, json_t **ret, struct error *err);
/* Set the enforcement object (taken) of the image entry pinned by config digest cd. */
int policy_set_enforcement(json_t *policy, const char *cd, json_t *enforcement,
			   struct error *err);

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

