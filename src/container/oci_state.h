/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI state document a runtime hands a hook on stdin (runtime-spec "State"): the
 * container's id, bundle and first process. libc and jansson only: the small imprint-hook
 * front links it. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "basic/error.h"

#define OCI_STATE_MAX (1u << 20)

/* The id (letters, digits, '_', '.', '-'; not "." or "..") and the absolute bundle path.
 * -EBADMSG with err set if the document is not that. */
int oci_state_parse(const char *buf, size_t len, char **ret_id, char **ret_bundle,
		    struct error *err);

/* The container's first process ("pid"), or 0 if there is none: imprintd protects the
 * container from it once it is allowed (docs/daemon.md). */
pid_t oci_state_pid(const char *buf, size_t len);
