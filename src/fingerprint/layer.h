/* SPDX-License-Identifier: Apache-2.0 */
/* Reading one layer's content into a layer table (not yet finalized): from a tar blob, streamed
 * and never unpacked, or from a directory walked relative to its fd. */
#pragma once

#include <stdbool.h>

#include "basic/digest.h"
#include "basic/error.h"
#include "image/blob.h"
#include "table.h"

/* Read a (possibly gzip or zstd compressed) layer tar. OCI whiteouts become ENTRY_WHITEOUT
 * entries and opaque directories get .opaque. The uncompressed stream is checked against
 * diff_id (if not NULL), the blob against its own digest. */
int layer_read_tar(struct blob *blob, const struct digest *diff_id, struct table *ret,
		   struct error *err);

struct walk_options {
	bool overlay;              /* interpret overlayfs whiteouts (containers-storage diff dirs) */
	char *const *excludes;     /* absolute paths not to descend into */
	size_t n_excludes;
	unsigned threads;          /* hashing threads; 0 for the number of CPUs */
};

/* Walk the tree below dirfd. Never follows a symlink; files are opened beneath dirfd with no
 * symlink in their path, and must still be the file the walk saw. */
int layer_read_dir(int dirfd, const struct walk_options *opts, struct table *ret,
		   struct error *err);
