/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's metrics (docs/events.md): a fixed registry of counters, gauges and one histogram,
 * written in the Prometheus text exposition format 0.0.4 and served over HTTP/1.0 on a unix
 * socket (and optionally a loopback TCP port).
 *
 * Any thread may update a metric at any time: values are atomics; finding a labeled series
 * takes a mutex for the lookup only. A label value comes from input (a container id), so it is
 * escaped, cut to METRICS_LABEL_MAX bytes, and each family holds at most METRICS_SERIES_MAX
 * series: later label values are counted under the label value "_other". */
#pragma once

#include <stdint.h>

#include "basic/error.h"
#include "basic/macro.h"

#define METRICS_SOCKET_NAME "metrics.sock" /* beside imprintd's socket */
#define METRICS_SERIES_MAX 1024
#define METRICS_LABEL_MAX 128
#define METRICS_OTHER "_other"

enum metric_id {
	METRIC_EVENTS,             /* counter {container} */
	METRIC_DECISIONS,          /* counter {verdict} */
	METRIC_ALERTS,             /* counter {container} */
	METRIC_DENIALS,            /* counter {container} */
	METRIC_LOST,               /* counter {container} */
	METRIC_CACHE_HITS,         /* counter */
	METRIC_CACHE_MISSES,       /* counter */
	METRIC_CACHE_INVALIDATIONS, /* counter */
	METRIC_CACHE_LAYERS,       /* gauge */
	METRIC_DB_WRITTEN,         /* counter */
	METRIC_DB_DROPPED,         /* counter */
	METRIC_DB_ERRORS,          /* counter */
	METRIC_DB_QUEUED,          /* gauge */
	METRIC_START_TIME,         /* gauge */
	METRIC_DECISION_LATENCY,   /* histogram, seconds */
	_METRIC_MAX
};

struct metrics;

int metrics_new(struct metrics **ret);
struct metrics *metrics_free(struct metrics *m);
DEFINE_FREEP(struct metrics, metrics_free)

/* label: the value of the family's one label, or NULL for a family without one (NULL on a
 * labeled family counts under ""). Wrong kinds of update are ignored. */
void metrics_add(struct metrics *m, enum metric_id id, const char *label, uint64_t n);
/* A gauge, or a counter mirrored from a monotonic source owned elsewhere. */
void metrics_set(struct metrics *m, enum metric_id id, const char *label, int64_t value);
/* A histogram observation, in microseconds. */
void metrics_observe_us(struct metrics *m, enum metric_id id, int64_t us);

/* Called by metrics_format() before it reads the values, to refresh mirrored ones. */
void metrics_set_collector(struct metrics *m, void (*collect)(struct metrics *m, void *userdata),
			   void *userdata);

/* The exposition text (format 0.0.4). Caller frees. */
int metrics_format(struct metrics *m, char **ret, size_t *ret_len);

/* ---- the HTTP endpoint ---- */

struct metrics_server;

/* Serve GET /metrics from a thread of its own on unix_path (mode 0600; NULL or "": none) and,
 * if tcp_port is not 0, on 127.0.0.1:tcp_port. m is borrowed and must outlive the server. */
int metrics_server_start(struct metrics *m, const char *unix_path, int tcp_port,
			 struct metrics_server **ret, struct error *err);
/* Stop the thread, close and remove the socket. NULL-safe. */
struct metrics_server *metrics_server_stop(struct metrics_server *s);
DEFINE_FREEP(struct metrics_server, metrics_server_stop)
