/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's runtime protection (docs/daemon.md): every container the hook let start whose
 * policy entry asks for enforcement is protected (src/enforce/protection.h) by one thread that
 * owns the pinned guard, until its cgroup disappears. Decisions and alerts go to the events
 * database and the metrics.
 *
 * Who owns what: the protector thread owns the guard, every struct protection and the state
 * files (STATE_DIR/CGROUP.json, what a restarted daemon re-adopts from). The request thread
 * only queues requests (protector_add) and reads a status snapshot, both under the lock. The
 * alert queue's writer thread owns the alert lines and hands them to the events writer and the
 * metrics (both thread-safe, both borrowed: they must outlive the protector). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "fingerprint/table.h"
#include "events_db.h"
#include "metrics.h"
#include "policy/policy.h"

#define PROTECTOR_STATE_DIR "/run/imprint/protected"
#define PROTECTOR_START_TIMEOUT_S 60 /* a created container that does not start is dropped */

struct protector_options {
	const char *pin_dir;       /* bpffs; NULL: GUARD_PIN_DIR */
	const char *state_dir;     /* NULL: PROTECTOR_STATE_DIR */
	const char *behavior_dir;  /* behavioral fingerprints (by imageDigest); NULL/"": none */
	int timeout_ms;            /* fanotify watchdog */
	struct metrics *metrics;   /* borrowed */
	struct events_writer *events; /* borrowed, may be NULL */
};

struct protector_request {
	const char *id;            /* full container id */
	pid_t pid;                 /* its first process (OCI state), 0 if unknown */
	const char *storage_root;  /* containers-storage root of its image */
	const char *runc_root;     /* NULL, or a plain runc container's state root (imprint-runc) */
	const char *image;         /* "sha256:" config digest (the image ID) */
	const char *image_name;    /* for people, may be NULL */
	const char *bundle;        /* its OCI bundle: the layers it is made of */
	const struct table *table; /* borrowed, may be NULL: the image's content table, its
				    * layers verified just now; with pid and bundle, the
				    * kernel-side layers are armed before protector_add()
				    * returns, before the runtime pivots (podman, CRI-O) */
	struct policy_enforcement enforcement;
};

struct protector;

/* Open (or adopt) the pinned guard, start the thread, re-adopt the containers listed in the
 * pins and the state directory. */
int protector_new(const struct protector_options *o, struct protector **ret, struct error *err);
/* Stop the thread. Containers stay protected by the pinned kernel-side layer (a restart adopts
 * them); fanotify stops with us. NULL-safe. */
struct protector *protector_free(struct protector *p);
DEFINE_FREEP(struct protector, protector_free)

/* Queue a container: it is protected once it runs (after the hook, the runtime pivots into
 * the rootfs, then starts the entrypoint); with rq->table, its kernel-side layers are armed
 * now (on the caller's thread, under the lock; only the guard's map and link calls). Copies
 * what it needs. */
int protector_add(struct protector *p, const struct protector_request *rq);

/* A verified layer directory (dev, ino) changed on the host: every container made of it is
 * reported and, where exec is enforced, killed (its cgroup), started or not. */
void protector_layer_changed(struct protector *p, dev_t dev, ino_t ino);

/* {"layers": {...}, "containers": [...], "pending": [...]} (docs/daemon.md). */
json_t *protector_status(struct protector *p);
