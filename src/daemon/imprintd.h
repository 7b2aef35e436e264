/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd: the long-running verifier (docs/verify.md, "imprintd"). It answers "may this
 * container start?" over a unix socket (the protocol and its client: client.h), with the same
 * checks as the hook, but reads each layer directory once and keeps it verified in memory
 * until fanotify reports a change. */
#pragma once

#include <stdbool.h>

#include "client.h"
#include "policy/store.h"
#include "verify/verify.h"

struct imprintd_options {
	const char *socket_path;
	struct store_options store;
	struct verify_options verify;
	unsigned threads;
	/* docs/events.md. NULL: the default; "": off (port: 0 is off) */
	const char *events_db;      /* default EVENTS_DB_DEFAULT */
	int64_t events_max_rows;    /* 0: default */
	int64_t events_max_age_s;   /* 0: default */
	const char *metrics_socket; /* default: METRICS_SOCKET_NAME beside socket_path */
	int metrics_port;           /* loopback TCP port */
	/* runtime protection (docs/daemon.md) */
	bool protect;               /* false: verification only */
	const char *pin_dir;        /* NULL: GUARD_PIN_DIR */
	const char *protect_state_dir; /* NULL: PROTECTOR_STATE_DIR */
	const char *behavior_dir;   /* NULL or "": none */
	int decision_timeout_ms;
	/* drift detection (docs/daemon.md): the sensor against behavior_dir's fingerprints */
	bool drift;
	const char *const *storage_roots; /* where containers' images are; none: the default */
	size_t n_storage_roots;
};

/* Serve until SIGTERM or SIGINT. */
int imprintd_run(const struct imprintd_options *o, struct error *err);
