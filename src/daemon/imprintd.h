/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd: the long-running verifier (docs/verify.md, "imprintd"). It answers "may this
 * container start?" over a unix socket, with the same checks as the hook, but reads each
 * layer directory once and keeps it verified in memory until fanotify reports a change.
 *
 * The protocol: the client connects, writes one JSON request and shuts down its write side;
 * the daemon answers with one JSON document and closes. Requests:
 *   {"op": "verify", "id": ID, "bundle": PATH, "storageRoot": PATH|null,
 *    "mode": "enforce"|"monitor", "pid": PID}  -> the verdict (verify_result_json); with a pid,
 *                                    an allowed container is protected as its policy entry says

 *   {"op": "status"}                 -> docs/daemon.md: cache figures, policies, enforcement
 *                                    layers, protected containers
 * Only root (or the daemon's own uid) may connect; the client checks the daemon is root too. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "policy/store.h"
#include "verify/verify.h"

#define IMPRINTD_SOCKET "/run/imprint/imprintd.sock"
#define IMPRINTD_TIMEOUT_MS 20000

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

/* Ask the daemon about a container. pid (0: none): the container's first process, from the
 * OCI state; if the container is allowed, imprintd protects it as its policy entry says.
 * runc_root (NULL: none): a plain runc container, found by its state there (imprint-runc).
 * 0 with res filled (its image, reasons, verdict), 1 if imprintd also queued the container
 * for protection (the caller waits until it is armed), or a negative errno if there is no
 * usable daemon (the caller then verifies by itself). */
int imprintd_ask(const char *socket_path, const char *id, const char *bundle,
		 const char *storage_root, enum verify_mode mode, pid_t pid, const char *runc_root,
		 struct verify_result *res, struct error *err);

/* The status document. */
int imprintd_status(const char *socket_path, json_t **ret, struct error *err);
