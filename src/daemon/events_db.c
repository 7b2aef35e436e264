/* SPDX-License-Identifier: Apache-2.0 */
/* The event store: SQLite in WAL mode, and the writer thread that keeps disk I/O off the
 * decision path.
 *
 * Overview/Ownership: imprintd's request loop (and later its sensor and enforcers) builds a
 * struct event and hands it to events_writer_post(), which moves it into a bounded ring under
 * a mutex held only for the copy; the poster never waits for SQLite, fsync or a lock held by
 * a reader. The ring owns queued events. The writer thread owns the database connection: it
 * takes up to BATCH_MAX events out of the ring (they are its own from then on), inserts them in
 * one transaction with the retention deletes, and frees them. A full ring drops the new event
 * and counts it; the writer records the count as one "lost" row, so a gap is never silent. A
 * failed insert is counted and logged at most once a minute; the events are dropped, the
 * decisions they describe are not changed. events_writer_free() wakes the thread, which writes
 * what is left, and joins it. A struct events_db is used by one thread only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "events_db.h"
#include "policy/policy.h"
#include "verify/verify.h"

#define BATCH_MAX 256
#define BUSY_TIMEOUT_MS 2000
#define LOG_INTERVAL_US (60LL * 1000000)

static const char *const kind_names[_EVENT_KIND_MAX] = {
	[EVENT_DECISION] = "decision",
	[EVENT_ALERT] = "alert",
	[EVENT_LOST] = "lost",
};

const char *event_kind_to_string(enum event_kind k)
{
	return k < _EVENT_KIND_MAX ? kind_names[k] : NULL;
}

int event_kind_from_string(const char *s, enum event_kind *ret)
{
	for (int k = 0; s && k < _EVENT_KIND_MAX; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*ret = (enum event_kind)k;
			return 0;
		}
	return -EINVAL;
}

void event_release(struct event *e)
{
	free(e->container);
	free(e->image);
	free(e->code);
	free(e->verdict);
	free(e->detail);
	*e = (struct event){ 0 };
}

/* A copy of s cut to EVENTS_FIELD_MAX bytes, never inside a UTF-8 sequence. */
static char *field_dup(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strnlen(s, EVENTS_FIELD_MAX + 1);
	if (n > EVENTS_FIELD_MAX) {
		n = EVENTS_FIELD_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

/* Fill the strings of ret; on failure release them. */
static int event_fill(struct event *ret, const char *container, const char *image,
		      const char *code, const char *verdict, json_t *detail)
{
	ret->container = field_dup(container);
	ret->image = field_dup(image);
	ret->code = field_dup(code);
	ret->verdict = field_dup(verdict);
	ret->detail = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if ((container && !ret->container) || (image && !ret->image) || (code && !ret->code) ||
	    (verdict && !ret->verdict) || (detail && !ret->detail)) {
		event_release(ret);
		return -ENOMEM;
	}
	return 0;
}

int event_from_decision(const struct verify_result *res, const char *container,
			int64_t time_us, struct event *ret)
{
	json_t *j = verify_result_json(res);
	char now[32];
	const char *code, *verdict = !res->refused ? "allowed" : res->allowed ? "would-refuse"
									    : "refused";
	int r;

	if (!j)
		return -ENOMEM;
	time_format_rfc3339(time_us / 1000000, now);
	json_object_set_new(j, "time", json_string(now));
	json_object_set_new(j, "event", json_string("imprintd"));
	json_object_set_new(j, "container", container ? json_string(container) : json_null());
	code = json_string_value(json_object_get(j, "reason"));
	*ret = (struct event){ .time_us = time_us, .kind = EVENT_DECISION };
	r = event_fill(ret, container, res->image, code ? code : "allowed", verdict, j);
	json_decref(j);
	return r;
}

/* Falco's time: "2026-11-23T19:00:05.123456789Z" (any number of fraction digits, or none). */
static int parse_alert_time(const char *s, int64_t *ret_us)
{
	struct tm tm = { 0 };
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	int64_t frac = 0, scale = 1000000;
	time_t t;

	if (!p)
		return -EINVAL;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	if (strcmp(p, "Z") != 0 || (t = timegm(&tm)) == (time_t)-1)
		return -EINVAL;
	*ret_us = (int64_t)t * 1000000 + frac;
	return 0;
}

int event_from_alert(json_t *alert, int64_t now_us, struct event *ret)
{
	json_t *fields = json_object_get(alert, "output_fields");
	const char *t = json_string_value(json_object_get(alert, "time"));

	if (!json_is_object(alert))
		return -EINVAL;
	*ret = (struct event){ .time_us = now_us, .kind = EVENT_ALERT };
	if (parse_alert_time(t, &ret->time_us) < 0)
		ret->time_us = now_us;
	return event_fill(ret, json_string_value(json_object_get(fields, "container.id")),
			  json_string_value(json_object_get(fields, "container.image")),
			  json_string_value(json_object_get(alert, "rule")),
			  json_string_value(json_object_get(alert, "priority")), alert);
}

int event_lost(const char *container, const char *cause, uint64_t count, int64_t time_us,
	       struct event *ret)
{
	json_t *j = json_pack("{s:s,s:I}", "cause", cause, "count", (json_int_t)count);
	int r;

	if (!j)
		return -ENOMEM;
	*ret = (struct event){ .time_us = time_us, .kind = EVENT_LOST };
	r = event_fill(ret, container, NULL, cause, NULL, j);
	json_decref(j);
	return r;
}

/* ---- the database ---- */

struct events_db {
	sqlite3 *h;
	char *path;
	int64_t max_rows, max_age_s;
	sqlite3_stmt *begin, *commit, *rollback, *insert, *prune_age, *prune_rows;
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM schema_version);"
	"CREATE TABLE IF NOT EXISTS events ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('decision', 'alert', 'lost')),"
	" container TEXT, image TEXT, code TEXT, verdict TEXT, detail TEXT);"
	"CREATE INDEX IF NOT EXISTS events_time ON events (time);"
	"CREATE INDEX IF NOT EXISTS events_container ON events (container, time);";

static int db_error(struct events_db *db, struct error *err, const char *what)
{
	int code = sqlite3_errcode(db->h);
	int r = code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? -EBADMSG
		: code == SQLITE_NOMEM				 ? -ENOMEM
		: code == SQLITE_BUSY || code == SQLITE_LOCKED	 ? -EBUSY
		: code == SQLITE_READONLY || code == SQLITE_PERM ? -EPERM
		: code == SQLITE_FULL				 ? -ENOSPC
		: code == SQLITE_CANTOPEN			 ? -ENOENT
								 : -EIO;

	return error_set(err, r, "%s: %s%s%s", db->path, what, *what ? ": " : "",
			 sqlite3_errmsg(db->h));
}

static int prepare(struct events_db *db, const char *sql, sqlite3_stmt **ret,
		   struct error *err)
{
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL) !=
	    SQLITE_OK)
		return db_error(db, err, "");
	return 0;
}

/* Run a statement that returns no rows (or whose rows we ignore) and reset it. */
static int step_done(struct events_db *db, sqlite3_stmt *s, struct error *err)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_error(db, err, "");
}

static int read_version(struct events_db *db, int64_t *ret, struct error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT version FROM schema_version", -1, &s, NULL) !=
	    SQLITE_OK) {
		if (sqlite3_errcode(db->h) == SQLITE_ERROR)
			return error_set(err, -EBADMSG,
					 "%s: not an imprint events database (no schema_version)",
					 db->path);
		return db_error(db, err, "not an imprint events database");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER)
		*ret = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		r = error_set(err, -EBADMSG, "%s: no schema version recorded", db->path);
	else
		r = db_error(db, err, "not an imprint events database");
	sqlite3_finalize(s);
	return r;
}

/* A new file (no tables at all) gets the schema; anything else must already have ours. */
static int check_schema(struct events_db *db, bool read_only, struct error *err)
{
	int64_t version = 0;
	struct error ignored = { 0 };
	int r = read_version(db, &version, &ignored);

	if (r == -EBADMSG && !read_only) {
		sqlite3_stmt *s = NULL;
		int n = -1;

		if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_master", -1, &s, NULL) ==
			    SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
		if (n < 0)
			return db_error(db, err, "not an imprint events database");
		if (n == 0) {
			if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
			    sqlite3_exec(db->h, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
				r = db_error(db, err, "cannot create the schema");
				sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
				return r;
			}
			if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				return db_error(db, err, "cannot create the schema");
		}
		r = read_version(db, &version, err);
	} else if (r < 0) {
		r = read_version(db, &version, err); /* again, for the message */
	}
	if (r < 0)
		return r;
	if (version != EVENTS_SCHEMA_VERSION)
		return error_set(err, -EBADMSG, "%s: schema version %lld, this imprint knows %d",
				 db->path, (long long)version, EVENTS_SCHEMA_VERSION);
	return 0;
}

static int open_handle(struct events_db *db, bool read_only, struct error *err)
{
	int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	struct stat st;

	if (read_only && stat(db->path, &st) < 0)
		return error_set(err, -errno, "%s: %m", db->path);
	if (!read_only) {
		_cleanup_free_ char *dir = path_parent(db->path);
		int fd;

		if (dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
			return error_set(err, -errno, "cannot create %s: %m", dir);
		/* SQLite would create it 0644, and gives the -wal and -shm files the database's
		 * mode: create it 0600 first (container ids and verdicts are not for everyone). */
		fd = open(db->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return error_set(err, -errno, "%s: %m", db->path);
		close(fd);
	}
	if (sqlite3_open_v2(db->path, &db->h, flags, NULL) != SQLITE_OK)
		return db->h ? db_error(db, err, "cannot open")
			     : error_set(err, -ENOMEM, "%s: out of memory", db->path);
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->h, 0);
	return 0;
}

int events_db_open(const struct events_db_options *o, bool read_only, struct events_db **ret,
		   struct error *err)
{
	_cleanup_(events_db_freep) struct events_db *db = calloc(1, sizeof(*db));
	int r;

	if (!db || !(db->path = strdup(o->path)))
		return -ENOMEM;
	db->max_rows = o->max_rows ? o->max_rows : EVENTS_MAX_ROWS_DEFAULT;
	db->max_age_s = o->max_age_s ? o->max_age_s : EVENTS_MAX_AGE_DEFAULT_S;
	r = open_handle(db, read_only, err);
	if (r >= 0)
		r = check_schema(db, read_only, err); /* before anything changes the file */
	if (r >= 0 && !read_only &&
	    (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
	     sqlite3_exec(db->h, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK))
		r = db_error(db, err, "cannot open");
	if (r >= 0 && !read_only)
		if ((r = prepare(db, "BEGIN IMMEDIATE", &db->begin, err)) < 0 ||
		    (r = prepare(db, "COMMIT", &db->commit, err)) < 0 ||
		    (r = prepare(db, "ROLLBACK", &db->rollback, err)) < 0 ||
		    (r = prepare(db,
				 "INSERT INTO events (time, kind, container, image, code, verdict,"
				 " detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
				 &db->insert, err)) < 0 ||
		    (r = prepare(db, "DELETE FROM events WHERE time < ?", &db->prune_age, err)) < 0 ||
		    (r = prepare(db,
				 "DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?",
				 &db->prune_rows, err)) < 0)
			return r;
	if (r < 0)
		return r;
	*ret = TAKE_PTR(db);
	return 0;
}

struct events_db *events_db_free(struct events_db *db)
{
	if (!db)
		return NULL;
	sqlite3_finalize(db->begin);
	sqlite3_finalize(db->commit);
	sqlite3_finalize(db->rollback);
	sqlite3_finalize(db->insert);
	sqlite3_finalize(db->prune_age);
	sqlite3_finalize(db->prune_rows);
	sqlite3_close(db->h);
	free(db->path);
	free(db);
	return NULL;
}

int events_db_schema_version(struct events_db *db, int64_t *ret)
{
	return read_version(db, ret, NULL);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, (int)strnlen(v, EVENTS_DETAIL_MAX), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int insert_one(struct events_db *db, const struct event *e, struct error *err)
{
	static const char too_big[] = "{\"truncated\":true}";
	const char *detail = e->detail;

	if (e->kind >= _EVENT_KIND_MAX)
		return error_set(err, -EINVAL, "%s: unknown event kind %d", db->path, (int)e->kind);
	if (detail && strnlen(detail, EVENTS_DETAIL_MAX + 1) > EVENTS_DETAIL_MAX)
		detail = too_big; /* never a cut, unparseable document */
	sqlite3_bind_int64(db->insert, 1, e->time_us);
	sqlite3_bind_text(db->insert, 2, kind_names[e->kind], -1, SQLITE_STATIC);
	bind_text(db->insert, 3, e->container);
	bind_text(db->insert, 4, e->image);
	bind_text(db->insert, 5, e->code);
	bind_text(db->insert, 6, e->verdict);
	bind_text(db->insert, 7, detail);
	return step_done(db, db->insert, err);
}

static int prune(struct events_db *db, int64_t now_us, struct error *err)
{
	int r = 0;

	if (db->max_age_s > 0) {
		sqlite3_bind_int64(db->prune_age, 1, now_us - db->max_age_s * 1000000);
		r = step_done(db, db->prune_age, err);
	}
	if (r >= 0 && db->max_rows > 0) {
		sqlite3_bind_int64(db->prune_rows, 1, db->max_rows);
		r = step_done(db, db->prune_rows, err);
	}
	return r;
}

int events_db_insert(struct events_db *db, const struct event *ev, size_t n, struct error *err)
{
	int r = db->insert ? step_done(db, db->begin, err)
			   : error_set(err, -EPERM, "%s: opened read-only", db->path);

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = insert_one(db, &ev[i], err);
	if (r >= 0)
		r = prune(db, clock_realtime_us(), err);
	if (r >= 0)
		r = step_done(db, db->commit, err);
	if (r < 0 && db->insert && !sqlite3_get_autocommit(db->h))
		step_done(db, db->rollback, NULL);
	return r;
}

int events_db_prune(struct events_db *db, int64_t now_us, struct error *err)
{
	int r = db->insert ? step_done(db, db->begin, err)
			   : error_set(err, -EPERM, "%s: opened read-only", db->path);

	if (r >= 0)
		r = prune(db, now_us, err);
	if (r >= 0)
		r = step_done(db, db->commit, err);
	if (r < 0 && db->insert && !sqlite3_get_autocommit(db->h))
		step_done(db, db->rollback, NULL);
	return r;
}

/* The smallest string greater than every string that starts with p, or NULL if there is none
 * (p is all 0xff bytes). Caller frees. */
static char *prefix_end(const char *p)
{
	char *s = strdup(p);
	size_t n = s ? strlen(s) : 0;

	while (n > 0 && (unsigned char)s[n - 1] == 0xff)
		s[--n] = '\0';
	if (n == 0) {
		free(s);
		return NULL;
	}
	s[n - 1]++;
	return s;
}

static const char *column_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int events_db_query(struct events_db *db, const struct events_query *q,
		    int (*cb)(const struct event *e, void *userdata), void *userdata,
		    struct error *err)
{
	_cleanup_free_ char *end = q->container ? prefix_end(q->container) : NULL;
	char sql[768];
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE, r = 0, i = 1;

	/* Only fixed fragments go into the text; every value is bound. Newest first inside, so
	 * that LIMIT keeps the newest rows; handed out oldest first. */
	snprintf(sql, sizeof(sql),
		 "SELECT * FROM (SELECT id, time, kind, container, image, code, verdict, detail"
		 " FROM events WHERE 1%s%s%s%s%s ORDER BY time DESC, id DESC%s) ORDER BY time, id",
		 q->since_us ? " AND time >= ?" : "", q->until_us ? " AND time <= ?" : "",
		 q->container ? " AND container >= ?" : "", end ? " AND container < ?" : "",
		 q->kind >= 0 ? " AND kind = ?" : "", q->limit > 0 ? " LIMIT ?" : "");
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(db, err, "query");
	if (q->since_us)
		sqlite3_bind_int64(s, i++, q->since_us);
	if (q->until_us)
		sqlite3_bind_int64(s, i++, q->until_us);
	if (q->container)
		sqlite3_bind_text(s, i++, q->container, -1, SQLITE_STATIC);
	if (end)
		sqlite3_bind_text(s, i++, end, -1, SQLITE_STATIC);
	if (q->kind >= 0)
		sqlite3_bind_text(s, i++, event_kind_to_string((enum event_kind)q->kind), -1,
				  SQLITE_STATIC);
	if (q->limit > 0)
		sqlite3_bind_int64(s, i++, q->limit);
	while (r >= 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct event e;
		enum event_kind kind;

		if (event_kind_from_string(column_text(s, 2), &kind) < 0) {
			r = error_set(err, -EBADMSG, "%s: row %lld: unknown kind", db->path,
				      (long long)sqlite3_column_int64(s, 0));
			break;
		}
		e = (struct event){ .id = sqlite3_column_int64(s, 0),
				    .time_us = sqlite3_column_int64(s, 1),
				    .kind = kind,
				    .container = (char *)column_text(s, 3),
				    .image = (char *)column_text(s, 4),
				    .code = (char *)column_text(s, 5),
				    .verdict = (char *)column_text(s, 6),
				    .detail = (char *)column_text(s, 7) };
		r = cb(&e, userdata);
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = db_error(db, err, "query");
	sqlite3_finalize(s);
	return r;
}

/* ---- the writer thread ---- */

struct events_writer {
	struct events_db *db;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the writer: events queued, or stop */
	pthread_cond_t done; /* flushers: a batch was finished */
	struct event *ring;
	size_t cap, head, n;
	bool stopping;
	uint64_t posted, completed, written, dropped, dropped_recorded, errors;
	int64_t last_log_us;
};

static struct timespec deadline_in(int64_t us)
{
	int64_t t = clock_monotonic_us() + us;

	return (struct timespec){ .tv_sec = t / 1000000, .tv_nsec = (t % 1000000) * 1000 };
}

/* Called with the lock held; unlocks around the disk work. */
static void write_batch(struct events_writer *w)
{
	struct event batch[BATCH_MAX + 1];
	struct error err = { 0 };
	size_t k = 0, taken;
	uint64_t lost = w->dropped - w->dropped_recorded;
	int r;

	while (w->n > 0 && k < BATCH_MAX) {
		batch[k++] = w->ring[w->head];
		w->ring[w->head] = (struct event){ 0 };
		w->head = (w->head + 1) % w->cap;
		w->n--;
	}
	taken = k;
	w->dropped_recorded = w->dropped;
	pthread_mutex_unlock(&w->lock);
	if (lost && event_lost(NULL, "events-queue-full", lost, clock_realtime_us(), &batch[k]) >= 0)
		k++;
	r = events_db_insert(w->db, batch, k, &err);
	for (size_t i = 0; i < k; i++)
		event_release(&batch[i]);
	pthread_mutex_lock(&w->lock);
	w->completed += taken;
	if (r >= 0) {
		w->written += taken;
	} else {
		w->errors++;
		if (clock_monotonic_us() - w->last_log_us >= LOG_INTERVAL_US || !w->last_log_us) {
			w->last_log_us = clock_monotonic_us();
			/* rate-limited: a full disk must not flood the journal */
			log_warning("events: %zu event(s) not recorded: %s", k, err.message);
		}
	}
	pthread_cond_broadcast(&w->done);
}

static void *writer_main(void *userdata)
{
	struct events_writer *w = userdata;
	int64_t last_prune = clock_monotonic_us();

	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (w->n == 0 && w->dropped == w->dropped_recorded) {
			struct timespec t;

			if (w->stopping)
				break;
			/* wake at least once a minute, so that age retention applies when idle */
			t = deadline_in(LOG_INTERVAL_US);
			pthread_cond_timedwait(&w->wake, &w->lock, &t);
		}
		if (w->n > 0 || w->dropped != w->dropped_recorded) {
			write_batch(w);
			last_prune = clock_monotonic_us();
		} else if (clock_monotonic_us() - last_prune >= LOG_INTERVAL_US) {
			pthread_mutex_unlock(&w->lock);
			events_db_prune(w->db, clock_realtime_us(), NULL);
			pthread_mutex_lock(&w->lock);
			last_prune = clock_monotonic_us();
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int events_writer_new(const struct events_db_options *o, struct events_writer **ret,
		      struct error *err)
{
	_cleanup_(events_writer_freep) struct events_writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	sigset_t all, old;
	int r;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_cond_init(&w->done, &ca);
	pthread_condattr_destroy(&ca);
	w->cap = o->queue_max ? o->queue_max : EVENTS_QUEUE_DEFAULT;
	w->ring = calloc(w->cap, sizeof(*w->ring));
	if (!w->ring)
		return -ENOMEM;
	r = events_db_open(o, false, &w->db, err);
	if (r < 0)
		return r;
	/* signals (SIGTERM) are for the daemon's main loop, never for this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return error_set(err, r, "cannot start the events writer: %s", strerror(-r));
	w->started = true;
	*ret = TAKE_PTR(w);
	return 0;
}

struct events_writer *events_writer_free(struct events_writer *w)
{
	if (!w)
		return NULL;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stopping = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; w->ring && i < w->n; i++)
		event_release(&w->ring[(w->head + i) % w->cap]);
	free(w->ring);
	events_db_free(w->db);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

bool events_writer_post(struct events_writer *w, struct event *ev)
{
	bool queued = false;

	if (!w) {
		event_release(ev);
		return false;
	}
	pthread_mutex_lock(&w->lock);
	if (w->n < w->cap && !w->stopping) {
		w->ring[(w->head + w->n) % w->cap] = *ev;
		*ev = (struct event){ 0 };
		w->n++;
		w->posted++;
		queued = true;
		pthread_cond_signal(&w->wake);
	} else {
		w->dropped++;
	}
	pthread_mutex_unlock(&w->lock);
	event_release(ev);
	return queued;
}

int events_writer_flush(struct events_writer *w, int timeout_ms)
{
	struct timespec t = deadline_in((int64_t)timeout_ms * 1000);
	int r = 0;

	pthread_mutex_lock(&w->lock);
	for (uint64_t target = w->posted; w->completed < target && r == 0;)
		r = -pthread_cond_timedwait(&w->done, &w->lock, &t);
	pthread_mutex_unlock(&w->lock);
	return r == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

void events_writer_stats(struct events_writer *w, struct events_writer_stats *ret)
{
	pthread_mutex_lock(&w->lock);
	*ret = (struct events_writer_stats){ .posted = w->posted, .written = w->written,
					      .dropped = w->dropped, .errors = w->errors,
					      .queued = w->n };
	pthread_mutex_unlock(&w->lock);
}
