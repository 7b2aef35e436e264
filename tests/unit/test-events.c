/* SPDX-License-Identifier: Apache-2.0 */
/* src/daemon/events_db.c and metrics.c: the event store on the real SQLite library (schema,
 * retention, queries, hostile files, the writer thread and its bounded queue) and the metrics
 * registry (the exposition text parsed back, concurrency, label hostility, the HTTP endpoint).
 *
 * Ownership: each test makes its own temporary directory (tmpdir()) and removes it; events
 * built by the tests are handed to events_db_insert (borrowed) and released by the test, or to
 * events_writer_post (owned by the writer from then on). */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "test-helpers.h"

#include "daemon/events_db.h"
#include "daemon/metrics.h"
#include "verify/verify.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/imprint-test-events-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void rmtree(const char *dir)
{
	_cleanup_free_ char *cmd = strdup_printf("rm -rf -- '%s'", dir);

	assert_int_equal(system(cmd), 0);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct event ev(int64_t t, enum event_kind kind, const char *container, const char *code)
{
	return (struct event){ .time_us = t,
			       .kind = kind,
			       .container = container ? strdup(container) : NULL,
			       .image = strdup("localhost/app:1"),
			       .code = strdup(code),
			       .verdict = strdup("refused"),
			       .detail = strdup("{\"k\":1}") };
}

static void insert(struct events_db *db, struct event *e, size_t n)
{
	struct error err = { 0 };

	assert_int_equal(events_db_insert(db, e, n, &err), 0);
	for (size_t i = 0; i < n; i++)
		event_release(&e[i]);
}

/* What a query returns: the codes, space-separated, in order. */
struct collected {
	char text[4096];
	size_t n;
	int64_t first_id, last_id;
};

static int collect(const struct event *e, void *userdata)
{
	struct collected *c = userdata;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s%s", len ? " " : "", e->code);
	if (c->n++ == 0)
		c->first_id = e->id;
	c->last_id = e->id;
	return 0;
}

static struct collected query(struct events_db *db, const struct events_query *q)
{
	struct collected c = { 0 };
	struct error err = { 0 };

	assert_int_equal(events_db_query(db, q, collect, &c, &err), 0);
	return c;
}

/* One value from the file, through SQLite itself rather than our code. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static char *sql_text(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	char *v;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void test_schema_created_and_versioned(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *path = strdup_printf("%s/sub/events.db", dir);
	_cleanup_free_ char *mode = NULL, *kinds = NULL;
	struct events_db_options o = { .path = path };
	struct events_db *db = NULL;
	struct error err = { 0 };
	int64_t version = 0;

	assert_int_equal(events_db_open(&o, false, &db, &err), 0);
	assert_int_equal(events_db_schema_version(db, &version), 0);
	assert_int_equal(version, EVENTS_SCHEMA_VERSION);
	events_db_free(db);
	/* what another SQLite client sees */
	assert_int_equal(sql_int(path, "SELECT version FROM schema_version"), 1);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM schema_version"), 1);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	mode = sql_text(path, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
				       " AND name IN ('events_time', 'events_container')"),
			 2);
	/* reopening does not add a second version row; read-only works on the closed file */
	assert_int_equal(events_db_open(&o, false, &db, &err), 0);
	events_db_free(db);
	assert_int_equal(events_db_open(&o, true, &db, &err), 0);
	events_db_free(db);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM schema_version"), 1);
	/* the kind column refuses what is not a kind, whoever writes */
	kinds = sql_text(path, "SELECT sql FROM sqlite_master WHERE name = 'events'");
	assert_non_null(strstr(kinds, "CHECK (kind IN ('decision', 'alert', 'lost'))"));
	rmtree(dir);
}

static void test_query_filters(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *path = strdup_printf("%s/events.db", dir);
	struct events_db_options o = { .path = path };
	_cleanup_(events_db_freep) struct events_db *db = NULL;
	struct error err = { 0 };
	int64_t t0 = now_us() - 3600 * 1000000LL;
	struct event e[] = {
		ev(t0 + 1000000, EVENT_DECISION, "aaaa1111", "c1"),
		ev(t0 + 2000000, EVENT_ALERT, "aaaa2222", "c2"),
		ev(t0 + 3000000, EVENT_DECISION, "bbbb1111", "c3"),
		ev(t0 + 4000000, EVENT_LOST, NULL, "c4"),
		ev(t0 + 5000000, EVENT_DECISION, "aaaa1111", "c5"),
	};
	struct collected c;

	assert_int_equal(events_db_open(&o, false, &db, &err), 0);
	insert(db, e, ARRAY_SIZE(e));
	c = query(db, &(struct events_query){ .kind = -1 });
	assert_string_equal(c.text, "c1 c2 c3 c4 c5");
	c = query(db, &(struct events_query){ .kind = EVENT_DECISION });
	assert_string_equal(c.text, "c1 c3 c5");
	c = query(db, &(struct events_query){ .kind = -1, .container = "aaaa1111" });
	assert_string_equal(c.text, "c1 c5");
	c = query(db, &(struct events_query){ .kind = -1, .container = "aaaa" });
	assert_string_equal(c.text, "c1 c2 c5");
	c = query(db, &(struct events_query){ .kind = -1, .container = "aaaa9" });
	assert_int_equal(c.n, 0);
	c = query(db, &(struct events_query){ .kind = -1, .since_us = t0 + 2000000,
					      .until_us = t0 + 4000000 });
	assert_string_equal(c.text, "c2 c3 c4");
	/* the newest N, still oldest first */
	c = query(db, &(struct events_query){ .kind = -1, .limit = 2 });
	assert_string_equal(c.text, "c4 c5");
	c = query(db, &(struct events_query){ .kind = EVENT_ALERT, .container = "bbbb" });
	assert_int_equal(c.n, 0);
	/* a container "id" that is all 0xff bytes has no upper bound: still exact */
	c = query(db, &(struct events_query){ .kind = -1, .container = "\xff\xff\xff\xff" });
	assert_int_equal(c.n, 0);
	rmtree(dir);
}

static void test_retention_rows(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *path = strdup_printf("%s/events.db", dir);
	struct events_db_options o = { .path = path, .max_rows = 10 };
	_cleanup_(events_db_freep) struct events_db *db = NULL;
	struct error err = { 0 };
	int64_t t = now_us();
	struct collected c;

	assert_int_equal(events_db_open(&o, false, &db, &err), 0);
	for (int batch = 0; batch < 5; batch++) {
		struct event e[5];

		for (int i = 0; i < 5; i++) {
			char code[16];

			snprintf(code, sizeof(code), "n%d", batch * 5 + i);
			e[i] = ev(t + batch * 5 + i, EVENT_DECISION, "cccc", code);
		}
		insert(db, e, 5);
		assert_int_equal(sql_int(path, "SELECT count(*) FROM events"),
				 batch * 5 + 5 < 10 ? batch * 5 + 5 : 10);
	}
	c = query(db, &(struct events_query){ .kind = -1 });
	assert_string_equal(c.text, "n15 n16 n17 n18 n19 n20 n21 n22 n23 n24");
	assert_int_equal(c.first_id, 16);
	assert_int_equal(c.last_id, 25);
	rmtree(dir);
}

static void test_retention_age(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *path = strdup_printf("%s/events.db", dir);
	struct events_db_options o = { .path = path, .max_age_s = 60 };
	_cleanup_(events_db_freep) struct events_db *db = NULL;
	struct error err = { 0 };
	int64_t t = now_us();
	struct event e[] = {
		ev(t - 3600 * 1000000LL, EVENT_DECISION, "dddd", "hour-old"),
		ev(t - 61 * 1000000LL, EVENT_ALERT, "dddd", "minute-old"),
		ev(t - 30 * 1000000LL, EVENT_DECISION, "dddd", "fresh"),
	};
	struct event late = ev(t, EVENT_DECISION, "dddd", "now");

	assert_int_equal(events_db_open(&o, false, &db, &err), 0);
	insert(db, e, ARRAY_SIZE(e));
	assert_string_equal(query(db, &(struct events_query){ .kind = -1 }).text, "fresh");
	insert(db, &late, 1);
	assert_string_equal(query(db, &(struct events_query){ .kind = -1 }).text, "fresh now");
	/* pruning later, at a later clock */
	assert_int_equal(events_db_prune(db, t + 45 * 1000000LL, &err), 0);
	assert_string_equal(query(db, &(struct events_query){ .kind = -1 }).text, "now");
	rmtree(dir);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void expect_refused(const char *path, bool read_only, int want, const char *message)
{
	struct events_db_options o = { .path = path };
	struct events_db *db = NULL;
	struct error err = { 0 };

	assert_int_equal(events_db_open(&o, read_only, &db, &err), want);
	assert_null(db);
	if (!strstr(err.message, message) || strchr(err.message, '\n'))
		fail_msg("message '%s' does not say '%s'", err.message, message);
}

static void test_hostile_files(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *path = strdup_printf("%s/events.db", dir);
	char garbage[8192];

	expect_refused(path, true, -ENOENT, "No such file");
	/* random bytes: not a database (read-only, and not "repaired" by a writer either) */
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	write_bytes(path, garbage, sizeof(garbage));
	expect_refused(path, true, -EBADMSG, "not a database");
	expect_refused(path, false, -EBADMSG, "not a database");
	/* someone else's SQLite database is not taken over */
	unlink(path);
	sql_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	expect_refused(path, false, -EBADMSG, "not an imprint events database");
	expect_refused(path, true, -EBADMSG, "not an imprint events database");
	/* a newer schema, or none recorded */
	unlink(path);
	sql_exec(path, "CREATE TABLE schema_version (version INTEGER); "
		       "INSERT INTO schema_version VALUES (2)");
	expect_refused(path, false, -EBADMSG, "schema version 2");
	unlink(path);
	sql_exec(path, "CREATE TABLE schema_version (version INTEGER)");
	expect_refused(path, true, -EBADMSG, "no schema version");
	/* a valid header over a cut file: SQLite says the image is malformed */
	unlink(path);
	{
		struct events_db_options o = { .path = path };
		struct events_db *db = NULL;
		struct error err = { 0 };
		int64_t t = now_us();
		struct collected c = { 0 };
		int r;

		assert_int_equal(events_db_open(&o, false, &db, &err), 0);
		for (int i = 0; i < 2000; i++) {
			struct event e = ev(t + i, EVENT_DECISION, "eeee", "x");

			insert(db, &e, 1);
		}
		events_db_free(db);
		assert_int_equal(truncate(path, 4096 * 3), 0);
		r = events_db_open(&o, true, &db, &err);
		if (r >= 0) {
			r = events_db_query(db, &(struct events_query){ .kind = -1 }, collect, &c,
					    &err);
			events_db_free(db);
		}
		assert_int_equal(r, -EBADMSG);
		assert_non_null(strstr(err.message, "malformed"));
	}
	rmtree(dir);
}

static void test_from_alert_and_decision(void **state)
{
	/* exactly the shape src/sensor/watch.c prints */
	json_t *alert = json_loads(
		"{\"time\":\"2026-11-23T19:00:05.123456789Z\",\"rule\":\"Program not in behavioral "
		"fingerprint\",\"priority\":\"Warning\",\"source\":\"imprint\",\"output\":\"...\","
		"\"output_fields\":{\"container.id\":\"abcdef012345\",\"container.image\":"
		"\"localhost/web:1\",\"container.image.id\":null,\"proc.cmdline\":\"sh -c id\"},"
		"\"tags\":[\"imprint\",\"drift\"]}",
		0, NULL);
	struct verify_result res;
	struct verify_options vo = { .mode = VERIFY_MONITOR };
	struct event e;
	json_t *back;

	assert_non_null(alert);
	assert_int_equal(event_from_alert(alert, 7, &e), 0);
	assert_int_equal(e.kind, EVENT_ALERT);
	assert_int_equal(e.time_us, 1795460405LL * 1000000 + 123456);
	assert_string_equal(e.container, "abcdef012345");
	assert_string_equal(e.image, "localhost/web:1");
	assert_string_equal(e.code, "Program not in behavioral fingerprint");
	assert_string_equal(e.verdict, "Warning");
	back = json_loads(e.detail, 0, NULL);
	assert_true(json_equal(back, alert));
	json_decref(back);
	event_release(&e);
	/* no fraction, or no usable time: the time it was recorded */
	json_object_set_new(alert, "time", json_string("2026-11-23T19:00:05Z"));
	assert_int_equal(event_from_alert(alert, 7, &e), 0);
	assert_int_equal(e.time_us, 1795460405LL * 1000000);
	event_release(&e);
	json_object_set_new(alert, "time", json_string("yesterday"));
	assert_int_equal(event_from_alert(alert, 7, &e), 0);
	assert_int_equal(e.time_us, 7);
	event_release(&e);
	json_decref(alert);

	verify_result_init(&res, "localhost/app:1");
	verify_refuse(&res, "unknown-image", NULL, "no policy allows image %s", "x");
	verify_finish(&res, &vo);
	assert_int_equal(event_from_decision(&res, "ffff0000", 1000000, &e), 0);
	assert_string_equal(e.code, "unknown-image");
	assert_string_equal(e.verdict, "would-refuse");
	assert_string_equal(e.container, "ffff0000");
	back = json_loads(e.detail, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(back, "time")),
			    "1970-01-01T00:00:01Z");
	assert_string_equal(json_string_value(json_object_get(back, "verdict")), "refused");
	assert_true(json_is_true(json_object_get(back, "allowed")));
	json_decref(back);
	event_release(&e);
	verify_result_release(&res);
}

/* The writer: everything posted is committed; a full queue drops and says how much. */
static void test_writer_queue(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *path = strdup_printf("%s/events.db", dir);
	struct events_db_options o = { .path = path, .queue_max = 4 };
	struct events_writer *w = NULL;
	struct events_writer_stats st;
	struct error err = { 0 };
	sqlite3 *blocker = NULL;
	int64_t t = now_us();
	struct event e;

	assert_int_equal(events_writer_new(&o, &w, &err), 0);
	for (int i = 0; i < 3; i++) {
		e = ev(t + i, EVENT_DECISION, "ffff", "ok");
		assert_true(events_writer_post(w, &e));
		assert_null(e.code); /* moved */
	}
	assert_int_equal(events_writer_flush(w, 5000), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM events"), 3);

	/* hold the write lock: the writer blocks in SQLite, the queue fills, posts do not wait */
	assert_int_equal(sqlite3_open(path, &blocker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(blocker, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	e = ev(t + 10, EVENT_DECISION, "ffff", "taken");
	assert_true(events_writer_post(w, &e));
	usleep(300 * 1000); /* the writer took it and waits for the lock */
	for (int i = 0; i < 4; i++) {
		e = ev(t + 20 + i, EVENT_DECISION, "ffff", "queued");
		assert_true(events_writer_post(w, &e));
	}
	int64_t before = now_us();
	for (int i = 0; i < 3; i++) {
		e = ev(t + 30 + i, EVENT_DECISION, "ffff", "dropped");
		assert_false(events_writer_post(w, &e));
		assert_null(e.code); /* released all the same */
	}
	assert_true(now_us() - before < 100000); /* never waited on the lock */
	events_writer_stats(w, &st);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.queued, 4);
	assert_int_equal(sqlite3_exec(blocker, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(blocker);
	assert_int_equal(events_writer_flush(w, 10000), 0);
	w = events_writer_free(w); /* also writes the "lost" row if not yet done */
	assert_int_equal(sql_int(path, "SELECT count(*) FROM events WHERE kind = 'decision'"), 8);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM events WHERE code = 'dropped'"), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM events WHERE kind = 'lost' AND "
				       "code = 'events-queue-full' AND "
				       "json_extract(detail, '$.count') = 3"),
			 1);
	rmtree(dir);
}

/* ---- metrics ---- */

/* A sample line of the exposition text: the value of name{labels} exactly, or -1 if absent.
 * Also checks every line is a comment or "name[{...}] value". */
static double sample(const char *text, const char *series)
{
	double found = -1;
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		_cleanup_free_ char *l = strndup(line, len);
		char *sp = strrchr(l, ' ');

		assert_non_null(nl); /* every line ends with \n */
		if (l[0] == '#') {
			assert_true(strncmp(l, "# HELP imprint_", 15) == 0 ||
				    strncmp(l, "# TYPE imprint_", 15) == 0);
		} else {
			char *end;
			double v;

			assert_non_null(sp);
			v = strtod(sp + 1, &end);
			assert_true(*end == '\0');
			*sp = '\0';
			if (strcmp(l, series) == 0)
				found = v;
		}
		line += len + 1;
	}
	return found;
}

static char *format(struct metrics *m)
{
	char *text = NULL;
	size_t len;

	assert_int_equal(metrics_format(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static void test_metrics_text(void **state)
{
	_cleanup_(metrics_freep) struct metrics *m = NULL;
	_cleanup_free_ char *text = NULL;

	assert_int_equal(metrics_new(&m), 0);
	metrics_add(m, METRIC_EVENTS, "abc", 2);
	metrics_add(m, METRIC_EVENTS, "abc", 1);
	metrics_add(m, METRIC_EVENTS, "a\"b\\c\nd", 1);
	metrics_add(m, METRIC_DENIALS, "abc", 1);
	metrics_set(m, METRIC_CACHE_HITS, NULL, 41);
	metrics_set(m, METRIC_CACHE_LAYERS, NULL, 5);
	metrics_observe_us(m, METRIC_DECISION_LATENCY, 80);      /* <= 0.0001 */
	metrics_observe_us(m, METRIC_DECISION_LATENCY, 1000);    /* <= 0.001, the bound itself */
	metrics_observe_us(m, METRIC_DECISION_LATENCY, 300000);  /* <= 0.5 */
	metrics_observe_us(m, METRIC_DECISION_LATENCY, 60000000); /* +Inf only */
	metrics_observe_us(m, METRIC_CACHE_HITS, 5);              /* wrong kind: ignored */
	metrics_add(m, METRIC_DECISION_LATENCY, NULL, 5);         /* wrong kind: ignored */
	text = format(m);
	assert_int_equal(sample(text, "imprint_events_total{container=\"abc\"}"), 3);
	assert_int_equal(sample(text, "imprint_events_total{container=\"a\\\"b\\\\c\\nd\"}"), 1);
	assert_int_equal(sample(text, "imprint_denials_total{container=\"abc\"}"), 1);
	assert_int_equal(sample(text, "imprint_alerts_total{container=\"abc\"}"), -1);
	assert_int_equal(sample(text, "imprint_verify_cache_hits_total"), 41);
	assert_int_equal(sample(text, "imprint_verify_cache_misses_total"), 0);
	assert_int_equal(sample(text, "imprint_verify_cache_layers"), 5);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_bucket{le=\"0.0001\"}"), 1);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_bucket{le=\"0.001\"}"), 2);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_bucket{le=\"0.25\"}"), 2);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_bucket{le=\"0.5\"}"), 3);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_bucket{le=\"10\"}"), 3);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_bucket{le=\"+Inf\"}"), 4);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_count"), 4);
	assert_true(sample(text, "imprint_decision_latency_seconds_sum") == 60.30108);
	/* HELP and TYPE before the samples of each family */
	assert_non_null(strstr(text, "# HELP imprint_events_total "));
	assert_non_null(strstr(text, "# TYPE imprint_events_total counter\nimprint_events_total{"));
	assert_non_null(strstr(text, "# TYPE imprint_decision_latency_seconds histogram\n"));
	assert_non_null(strstr(text, "# TYPE imprint_verify_cache_layers gauge\n"));
}

static void test_metrics_label_cap(void **state)
{
	_cleanup_(metrics_freep) struct metrics *m = NULL;
	_cleanup_free_ char *text = NULL, *lng = malloc(1000);
	char name[32];

	assert_int_equal(metrics_new(&m), 0);
	for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		metrics_add(m, METRIC_LOST, name, 1);
	}
	metrics_add(m, METRIC_LOST, "c0", 1); /* an existing series still counts on its own */
	memset(lng, 'x', 999);
	lng[999] = '\0';
	text = format(m);
	assert_int_equal(sample(text, "imprint_lost_events_total{container=\"c0\"}"), 2);
	assert_int_equal(sample(text, "imprint_lost_events_total{container=\"c1023\"}"), 1);
	assert_int_equal(sample(text, "imprint_lost_events_total{container=\"c1024\"}"), -1);
	assert_int_equal(sample(text, "imprint_lost_events_total{container=\"_other\"}"), 10);
	free(text);
	/* a long label value is cut to METRICS_LABEL_MAX */
	metrics_add(m, METRIC_ALERTS, lng, 1);
	text = format(m);
	lng[METRICS_LABEL_MAX] = '\0';
	_cleanup_free_ char *want = strdup_printf("imprint_alerts_total{container=\"%s\"}", lng);
	assert_int_equal(sample(text, want), 1);
}

struct adder {
	struct metrics *m;
	char label[8];
};

static void *add_many(void *userdata)
{
	struct adder *a = userdata;

	for (int i = 0; i < 20000; i++) {
		metrics_add(a->m, METRIC_EVENTS, a->label, 1);
		metrics_add(a->m, METRIC_EVENTS, "shared", 1);
		metrics_observe_us(a->m, METRIC_DECISION_LATENCY, i % 3000);
	}
	return NULL;
}

static void test_metrics_threads(void **state)
{
	_cleanup_(metrics_freep) struct metrics *m = NULL;
	_cleanup_free_ char *text = NULL;
	struct adder a[4];
	pthread_t t[4];

	assert_int_equal(metrics_new(&m), 0);
	for (int i = 0; i < 4; i++) {
		a[i] = (struct adder){ .m = m };
		snprintf(a[i].label, sizeof(a[i].label), "t%d", i);
		assert_int_equal(pthread_create(&t[i], NULL, add_many, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		free(format(m)); /* reading while they write */
		pthread_join(t[i], NULL);
	}
	text = format(m);
	assert_int_equal(sample(text, "imprint_events_total{container=\"shared\"}"), 80000);
	assert_int_equal(sample(text, "imprint_events_total{container=\"t3\"}"), 20000);
	assert_int_equal(sample(text, "imprint_decision_latency_seconds_count"), 80000);
}

static char *http_get(const char *sock, const char *request)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char *buf = NULL;
	size_t len;

	assert_true(fd >= 0);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	assert_int_equal(read_stream(fd, 1u << 20, &buf, &len), 0);
	close(fd);
	return buf;
}

static void test_metrics_server(void **state)
{
	_cleanup_free_ char *dir = tmpdir(), *sock = strdup_printf("%s/run/metrics.sock", dir);
	_cleanup_(metrics_freep) struct metrics *m = NULL;
	struct metrics_server *s = NULL;
	struct error err = { 0 };
	char *answer;

	assert_int_equal(metrics_new(&m), 0);
	metrics_add(m, METRIC_DENIALS, "0123456789ab", 7);
	assert_int_equal(metrics_server_start(m, sock, 0, &s, &err), 0);
	answer = http_get(sock, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
	assert_true(strncmp(answer, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(answer, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(answer, "\r\n\r\n# HELP imprint_events_total "));
	assert_non_null(strstr(answer, "\nimprint_denials_total{container=\"0123456789ab\"} 7\n"));
	free(answer);
	answer = http_get(sock, "GET /other HTTP/1.1\r\n\r\n");
	assert_true(strncmp(answer, "HTTP/1.0 404 ", 13) == 0);
	free(answer);
	answer = http_get(sock, "POST /metrics HTTP/1.1\r\n\r\n");
	assert_true(strncmp(answer, "HTTP/1.0 405 ", 13) == 0);
	free(answer);
	s = metrics_server_stop(s);
	assert_int_equal(access(sock, F_OK), -1); /* removed */
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_created_and_versioned),
		cmocka_unit_test(test_query_filters),
		cmocka_unit_test(test_retention_rows),
		cmocka_unit_test(test_retention_age),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_from_alert_and_decision),
		cmocka_unit_test(test_writer_queue),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_metrics_label_cap),
		cmocka_unit_test(test_metrics_threads),
		cmocka_unit_test(test_metrics_server),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
