/* SPDX-License-Identifier: Apache-2.0 */
/* Asking imprintd (the hook, imprint-runc, imprint status). The protocol: the client connects,
 * writes one JSON request and shuts down its write side; the daemon answers with one JSON
 * document and closes. Requests:
 *   {"op": "verify", "id": ID, "bundle": PATH, "storageRoot": PATH|null,
 *    "mode": "enforce"|"monitor", "pid": PID, "runcRoot": PATH|null}
 *                                 -> the verdict (verify_result_json); with a pid, an allowed
 *                                    container is protected as its policy entry says, and the
 *                                    answer then has "protecting": true
 *   {"op": "status"}              -> docs/daemon.md: cache figures, policies, enforcement
 *                                    layers, protected containers
 * Only root (or the daemon's own uid) may connect; the client checks the daemon is root too.
 * libc, jansson and basic/ only: the small imprint-runc front links it. */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "basic/error.h"
#include "verify/result.h"

#define IMPRINTD_SOCKET "/run/imprint/imprintd.sock"
#define IMPRINTD_TIMEOUT_MS 20000
#define IMPRINTD_REQUEST_MAX (64u * 1024)
#define IMPRINTD_ANSWER_MAX (4u * 1024 * 1024)

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
