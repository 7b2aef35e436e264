/* SPDX-License-Identifier: Apache-2.0 */
/* The verdict on one image as stored (docs/verify.md): its identity and content fingerprint
 * checked against the merged policies of the host store. A verdict carries its reasons, each
 * with a stable code a script can match on; in monitor mode a refusal is reported but the
 * image is allowed. */
#pragma once

#include <stdbool.h>

#include "basic/error.h"
#include "fingerprint/fingerprint.h"
#include "policy/store.h"

#define VERIFY_REASONS_MAX 32

enum verify_mode { VERIFY_ENFORCE, VERIFY_MONITOR };

struct verify_reason {
	const char *code; /* "policy-store", "revoked", "unknown-image", "layers", "content",
			   * "file", "integrity", "shadowed", "error" (docs/verify.md) */
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

struct verify_options {
	enum verify_mode mode;        /* VERIFY_MONITOR allows whatever the policy says */
	const char *fingerprint_dir;  /* where FILE.json fingerprints name changed files */
	const char *fingerprint_file; /* one fingerprint file to use instead, or NULL */
	bool content_layers;          /* the fingerprint's layers are a mount's directories read
				       * by content: a match by root digest must also have the
				       * same layer tables in order, and a refusal names the files
				       * that differ from the nearest pinned image */
};

void verify_result_init(struct verify_result *res, const char *image);
void verify_result_release(struct verify_result *res);

/* Add a reason (printf-style message) and mark the result refused. */
void verify_refuse(struct verify_result *res, const char *code, const char *path,
		   const char *fmt, ...) _printf_(4, 5);

/* Judge a computed fingerprint against the store. */
void verify_fingerprint(const struct store *s, const struct fingerprint *fp,
			const struct verify_options *o, struct verify_result *res);

/* Apply the mode (monitor if the options or the matching entries say so): sets ->allowed and
 * ->mode. Call once every check has run. */
void verify_finish(struct verify_result *res, const struct verify_options *o);

/* One line for people, the same wherever a decision is shown (the engine's error, the audit
 * log's and the events database's "message"): "allowed IMAGE (image ID) by policy P" or
 * "refused IMAGE (image ID): FIRST REASON (+N more)". Caller frees. */
char *verify_result_line(const struct verify_result *res);
/* The JSON form (docs/verify.md). */
json_t *verify_result_json(const struct verify_result *res);

/* Open, fingerprint and judge an image source. A failure to read or check the image (a
 * digest mismatch, a missing layer) becomes a reason ("integrity"), so the caller refuses it.
 * If ret_img and ret_fp are not NULL they receive the image and its fingerprint (NULL if they
 * could not be had). */
void verify_source(const struct store *s, const char *source, const struct image_options *io,
		   const struct fingerprint_options *fo, const struct verify_options *o,
		   struct verify_result *res, struct image **ret_img, struct fingerprint **ret_fp);

/* A monotonic clock in microseconds, for ->elapsed_us. */
int64_t verify_clock_us(void);

/* Read back the JSON form (imprintd's answer). -EBADMSG if it is not one. */
int verify_result_from_json(json_t *j, struct verify_result *res);
