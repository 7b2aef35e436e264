/* SPDX-License-Identifier: Apache-2.0 */
/* Judging one image as stored (docs/verify.md): its identity and content fingerprint checked
 * against the merged policies of the host store, into a verdict (result.h). */
#pragma once

#include <stdbool.h>

#include "basic/error.h"
#include "fingerprint/fingerprint.h"
#include "policy/store.h"
#include "result.h"

struct verify_options {
	enum verify_mode mode;        /* VERIFY_MONITOR allows whatever the policy says */
	const char *fingerprint_dir;  /* where FILE.json fingerprints name changed files */
	const char *fingerprint_file; /* one fingerprint file to use instead, or NULL */
	bool content_layers;          /* the fingerprint's layers are a mount's directories read
				       * by content: a match by root digest must also have the
				       * same layer tables in order, and a refusal names the files
				       * that differ from the nearest pinned image */
};

/* Judge a computed fingerprint against the store. */
void verify_fingerprint(const struct store *s, const struct fingerprint *fp,
			const struct verify_options *o, struct verify_result *res);

/* Apply the mode (monitor if the options or the matching entries say so): sets ->allowed and
 * ->mode. Call once every check has run. */
void verify_finish(struct verify_result *res, const struct verify_options *o);

/* Open, fingerprint and judge an image source. A failure to read or check the image (a
 * digest mismatch, a missing layer) becomes a reason ("integrity"), so the caller refuses it.
 * If ret_img and ret_fp are not NULL they receive the image and its fingerprint (NULL if they
 * could not be had). */
void verify_source(const struct store *s, const char *source, const struct image_options *io,
		   const struct fingerprint_options *fo, const struct verify_options *o,
		   struct verify_result *res, struct image **ret_img, struct fingerprint **ret_fp);
