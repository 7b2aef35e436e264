/* SPDX-License-Identifier: Apache-2.0 */
/* The event store (docs/events.md): decisions, alerts and lost-event records kept in an
 * embedded SQLite database (WAL mode), with retention limits, queried by `imprint events`.
 *
 * Two layers:
 *   - events_db_*: one connection, synchronous; what the writer thread, the query verb and the
 *     tests use. Not thread-safe: one thread per struct events_db.
 *   - events_writer_*: a bounded in-memory queue and a writer thread that owns its own
 *     events_db. Posting never waits on disk: a full queue drops the event, counts it, and the
 *     writer later records one "lost" row saying how many were dropped.
 *
 * Schema version EVENTS_SCHEMA_VERSION: table schema_version(version), table events(id, time
 * (microseconds since the epoch, UTC), kind, container, image, code, verdict, detail (JSON)),
 * indexes on time and on (container, time). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "basic/error.h"
#include "basic/macro.h"

#define EVENTS_DB_DEFAULT "/var/lib/imprint/events.db"
#define EVENTS_SCHEMA_VERSION 1
#define EVENTS_MAX_ROWS_DEFAULT 100000
#define EVENTS_MAX_AGE_DEFAULT_S (30 * 24 * 3600)
#define EVENTS_QUEUE_DEFAULT 4096
/* Caps on what a caller (and so, indirectly, hostile input) can make us store. */
#define EVENTS_FIELD_MAX 1024
#define EVENTS_DETAIL_MAX (64u * 1024)

enum event_kind { EVENT_DECISION, EVENT_ALERT, EVENT_LOST, _EVENT_KIND_MAX };

const char *event_kind_to_string(enum event_kind k);
/* -EINVAL if s is not "decision", "alert" or "lost". */
int event_kind_from_string(const char *s, enum event_kind *ret);

/* One row. Strings are owned by the event (event_release() frees them); any may be NULL. */
struct event {
	int64_t id;      /* set by the store (query results); ignored on insert */
	int64_t time_us; /* wall clock, microseconds since the epoch */
	enum event_kind kind;
	char *container;
	char *image;
	char *code;    /* decision: reason code ("allowed" if none); alert: rule; lost: cause */
	char *verdict; /* decision: allowed|refused|would-refuse; alert: priority; lost: NULL */
	char *detail;  /* compact JSON text */
};

void event_release(struct event *e);

/* A decision row for imprintd: detail is the verdict's JSON (audit log shape) plus time,
 * event and container. ret is filled on success. */
struct verify_result;
int event_from_decision(const struct verify_result *res, const char *container,
			int64_t time_us, struct event *ret);
/* An alert row from a Falco-shaped alert object (what `imprint watch` prints): container and
 * image from output_fields, code from rule, verdict from priority, time from time (now if
 * absent or unreadable); detail is the object itself. */
int event_from_alert(json_t *alert, int64_t now_us, struct event *ret);
/* A lost row: count events of cause (for example "events-queue-full") lost for container. */
int event_lost(const char *container, const char *cause, uint64_t count, int64_t time_us,
	       struct event *ret);

struct events_db_options {
	const char *path;
	int64_t max_rows;  /* 0: EVENTS_MAX_ROWS_DEFAULT; < 0: unlimited */
	int64_t max_age_s; /* 0: EVENTS_MAX_AGE_DEFAULT_S; < 0: unlimited */
	size_t queue_max;  /* writer queue; 0: EVENTS_QUEUE_DEFAULT */
};

struct events_db;

/* Open (creating the file, its directory and the schema unless read_only). A file that is not
 * an events database of a schema we know is refused with -EBADMSG and a one-line message. */
int events_db_open(const struct events_db_options *o, bool read_only, struct events_db **ret,
		   struct error *err);
struct events_db *events_db_free(struct events_db *db);
DEFINE_FREEP(struct events_db, events_db_free)

/* Insert n events in one transaction, then apply the retention limits (oldest rows first). */
int events_db_insert(struct events_db *db, const struct event *ev, size_t n, struct error *err);
/* Apply the retention limits now (also done by every insert). now_us: the current time. */
int events_db_prune(struct events_db *db, int64_t now_us, struct error *err);

struct events_query {
	int64_t since_us, until_us; /* 0: unbounded; inclusive bounds */
	const char *container;      /* exact id, or a prefix of at least 4 characters; NULL: any */
	int kind;                   /* enum event_kind, or -1: any */
	int64_t limit;              /* newest N rows (still printed oldest first); 0: all */
};

/* Call cb for each matching row, oldest first. cb's event is borrowed; a negative return
 * from cb stops the query and is returned. */
int events_db_query(struct events_db *db, const struct events_query *q,
		    int (*cb)(const struct event *e, void *userdata), void *userdata,
		    struct error *err);

/* The schema version recorded in the file. */
int events_db_schema_version(struct events_db *db, int64_t *ret);

/* ---- the writer thread ---- */

struct events_writer;

struct events_writer_stats {
	uint64_t posted, written, dropped, errors;
	size_t queued;
};

/* Open the database now (errors are reported to the caller), then start the thread. */
int events_writer_new(const struct events_db_options *o, struct events_writer **ret,
		      struct error *err);
/* Stop the thread after it wrote what is queued; close the database. NULL-safe. */
struct events_writer *events_writer_free(struct events_writer *w);
DEFINE_FREEP(struct events_writer, events_writer_free)

/* Queue ev (ownership moves to the writer, whatever the result). Never waits on disk: returns
 * false and counts a drop if the queue is full. NULL-safe on w (the event is released). */
bool events_writer_post(struct events_writer *w, struct event *ev);
/* Wait until everything posted so far is committed, at most timeout_ms. 0, or -ETIMEDOUT. */
int events_writer_flush(struct events_writer *w, int timeout_ms);
void events_writer_stats(struct events_writer *w, struct events_writer_stats *ret);
