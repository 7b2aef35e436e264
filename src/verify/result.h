/* SPDX-License-Identifier: Apache-2.0 */
/* The verdict on one image or container (docs/verify.md): which image, its digests, the policy
 * that matched, and the reasons, each with a stable code a script can match on; in monitor
 * mode a refusal is reported but the image is allowed. libc, jansson and basic/ only: the
 * small imprint-runc front links it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/digest.h"
#include "basic/macro.h"

#define VERIFY_REASONS_MAX 32

enum verify_mode { VERIFY_ENFORCE, VERIFY_MONITOR };

struct verify_reason {
	const char *code; /* "policy-store", "revoked", "unknown-image", "layers", "content",
			   * "file", "integrity", "shadowed", "added", "error" (docs/verify.md) */
	char *message;
	char *path; /* the file concerned, or NULL */
};

struct verify_result {
	bool refused;   /* the policy says no (whatever the mode) */
	bool entry_monitor; /* the matching policy entries all say monitor */
	bool allowed;   /* may start: !refused, or refused in monitor mode */
	enum verify_mode mode;
	char *image;    /* what the user knows the image as: a name, ID or source */
	char image_id[DIGEST_HEX_LEN + 1]; /* its config digest (image ID) in hex, "" if none:
					    * read, or the pinned one it was judged by content as */
	char *policy;   /* the name of the policy whose entry matched, or NULL */
	int64_t policy_serial;
	int64_t elapsed_us; /* set by the caller: the time the decision took */
	bool has_manifest, has_config, has_root;
	struct digest manifest, config, root;
	struct verify_reason reasons[VERIFY_REASONS_MAX];
	size_t n_reasons;
	size_t n_more; /* reasons left out past VERIFY_REASONS_MAX */
};

void verify_result_init(struct verify_result *res, const char *image);
void verify_result_release(struct verify_result *res);

/* Add a reason (printf-style message) and mark the result refused. */
void verify_refuse(struct verify_result *res, const char *code, const char *path,
		   const char *fmt, ...) _printf_(4, 5);

/* One line for people, the same wherever a decision is shown (the engine's error, the audit
 * log's and the events database's "message"): "allowed IMAGE (image ID) by policy P" or
 * "refused IMAGE (image ID): FIRST REASON (+N more)". Caller frees. */
char *verify_result_line(const struct verify_result *res);
/* The JSON form (docs/verify.md). */
json_t *verify_result_json(const struct verify_result *res);

/* Read back the JSON form (imprintd's answer). -EBADMSG if it is not one. */
int verify_result_from_json(json_t *j, struct verify_result *res);
