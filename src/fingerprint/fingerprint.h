/* SPDX-License-Identifier: Apache-2.0 */
/* The content fingerprint of an image: the root filesystem table after applying every layer,
 * its root digest, and per-layer tables and digests (docs/formats.md). */
#pragma once

#include <stdbool.h>

#include "basic/digest.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "image/image.h"
#include "layer.h"
#include "table.h"

#define FINGERPRINT_API_VERSION "imprint.dev/v1alpha1"
#define FINGERPRINT_KIND "ImageFingerprint"

struct fingerprint_layer {
	bool has_digest, has_diff_id;
	struct digest digest, diff_id;
	struct digest table_digest;
	size_t n_entries;
	struct table table; /* empty unless kept */
};

struct fingerprint {
	bool has_manifest, has_config;
	struct digest manifest_digest, config_digest;
	char **excludes;
	size_t n_excludes;
	struct fingerprint_layer *layers;
	size_t n_layers;
	bool has_layer_tables;
	struct table root;
	struct digest root_digest;
};

struct fingerprint_options {
	char *const *excludes;
	size_t n_excludes;
	bool keep_layer_tables;
	unsigned threads; /* 0: number of CPUs */
	const struct fingerprint_cache *cache; /* NULL: read everything */
};

/* A cache of verified content (imprintd's, src/daemon/layer_cache.c). */
struct fingerprint_cache {
	/* Read a directory layer instead of layer_read_dir(): same contract, the table is not
	 * yet finalized. */
	int (*read_dir)(void *userdata, int dirfd, const struct walk_options *wo,
			struct table *ret, struct error *err);
	/* 1 and a copy of img's fingerprint if it is known and still valid, else 0. Called with
	 * an opened image (manifest and config already checked). */
	int (*lookup)(void *userdata, struct image *img, const struct fingerprint_options *o,
		      struct fingerprint **ret);
	/* Remember img's fingerprint, computed just now. */
	void (*store)(void *userdata, struct image *img, const struct fingerprint_options *o,
		      const struct fingerprint *fp);
	void *userdata;
};

/* The paths excluded by default (docs/formats.md), NULL-terminated. */
extern const char *const fingerprint_default_excludes[];
/* Options with the default excludes, all CPUs, no cache. */
void fingerprint_options_default(struct fingerprint_options *o);

int fingerprint_image(struct image *img, const struct fingerprint_options *opts,
		      struct fingerprint **ret, struct error *err);
/* Open source (an image source, as image_open() takes it) and fingerprint it. */
int fingerprint_source(const char *source, const struct image_options *io,
		       const struct fingerprint_options *opts, struct fingerprint **ret,
		       struct error *err);
struct fingerprint *fingerprint_free(struct fingerprint *fp);
/* A deep copy (the root table, the layers' digests and kept tables). */
int fingerprint_copy(const struct fingerprint *fp, struct fingerprint **ret);
DEFINE_FREEP(struct fingerprint, fingerprint_free)

/* The file format (fpfile.c). Reading verifies the root digest and every layer table digest. */
int fingerprint_write(const struct fingerprint *fp, FILE *f);
int fingerprint_read(const char *path, struct fingerprint **ret, struct error *err);
int fingerprint_parse(const char *buf, size_t len, struct fingerprint **ret, struct error *err);
