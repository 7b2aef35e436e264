/* SPDX-License-Identifier: Apache-2.0 */
/* Decisions as Falco-shaped JSON lines (time, rule, priority, output, output_fields), and the
 * bounded queue that carries them to one writer thread, so that the fanotify permission path
 * never waits on stdout or a disk (docs/protect.md).
 *
 * Who owns what: alert_queue_push() takes the line whatever happens (a full queue drops it
 * and counts it); the writer thread owns the lines it took and frees them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "basic/macro.h"

enum alert_decision { ALERT_ALLOW, ALERT_DENY, ALERT_WOULD_DENY, _ALERT_DECISION_MAX };

struct alert {
	const char *rule;      /* "exec_not_in_image", ... */
	const char *priority;  /* Falco's: "Critical", "Warning", "Notice", "Informational" */
	const char *summary;   /* the human part of "output" */
	enum alert_decision decision;
	const char *layer;     /* "fanotify", "bpf-exec", "bpf-net" */
	const char *container; /* full id */
	const char *exepath;   /* NULL: not known */
	pid_t pid, ppid;
	const char *comm;
	const char *fd_name;   /* the file, or "addr:port" */
	const char *proto;     /* net: "tcp", "udp" */
	const char *reason;    /* a stable reason code */
};

const char *alert_decision_to_string(enum alert_decision d);

/* One line (no newline), JSON or the "output" text with the time in front. New string. */
char *alert_format(const struct alert *a, bool json);

struct alert_queue;

/* Start the writer thread on out (capacity lines at most waiting). */
int alert_queue_new(FILE *out, size_t capacity, struct alert_queue **ret);
/* Write what is queued, then stop the thread. NULL-safe. */
struct alert_queue *alert_queue_free(struct alert_queue *q);
DEFINE_FREEP(struct alert_queue, alert_queue_free)
/* Never blocks on the writer; takes line (NULL is counted as dropped). */
void alert_queue_push(struct alert_queue *q, char *line);
uint64_t alert_queue_dropped(struct alert_queue *q);
