/* SPDX-License-Identifier: Apache-2.0 */
/* Judging a container about to be created from an OCI bundle (docs/verify.md): the verdict
 * the OCI hook and the runtime wrapper act on.
 *
 * A podman or CRI-O container is found in containers-storage (containers.json: container ->
 * image and read-write layer); its image is verified as stored, the bundle's rootfs must be
 * the overlay mount of exactly those layers, and the read-write layer must not shadow an
 * image file. Any other bundle is judged by the content of its rootfs, which must have a root
 * digest some policy entry pins. The storage metadata only says where to look; every byte
 * read is checked against the signed digests. */
#pragma once

#include "fingerprint/fingerprint.h"
#include "policy/store.h"
#include "oci_state.h"
#include "verify/verify.h"

struct container_options {
	const char *storage_root; /* NULL: from the bundle path, else the default root */
	const struct fingerprint_options *fingerprint;
};

/* Fills res (its image is set from what is found); never fails: what cannot be checked is a
 * reason to refuse. */
void verify_container(const struct store *s, const char *id, const char *bundle,
		      const struct container_options *co, const struct verify_options *o,
		      struct verify_result *res);

