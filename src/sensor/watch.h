/* SPDX-License-Identifier: Apache-2.0 */
/* Drift detection (docs/sensor.md, "imprint watch"): live sensor events of every running
 * container compared with the behavioral fingerprint of its image; one JSON alert line per
 * drift, in Falco's output shape. */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "basic/error.h"

struct watch_options {
	const char *fingerprint_dir; /* *.json behavioral fingerprints, looked up by image digest */
	const char *const *storage_roots; /* containers-storage roots to find a container's image */
	size_t n_storage_roots;
	FILE *out;                   /* alert lines */
	int64_t duration_ms;         /* 0: until stopped */
	/* NULL: stopped by SIGINT/SIGTERM (handlers installed here); else when *stop is set
	 * (imprintd: the caller owns the signals) */
	const volatile sig_atomic_t *stop;
	bool verbose;
};

int watch_run(const struct watch_options *o, struct error *err);
