/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's metrics registry and its HTTP endpoint.
 *
 * Overview/Ownership: the registry owns every series; series are only ever added (never moved
 * or freed before metrics_free()), so a pointer to one stays valid. Updates are atomic
 * (relaxed: each value is independent); the per-family mutex guards only the lookup and the
 * append of a labeled series. metrics_format() reads the values while other threads update
 * them: each number is exact at the moment it was read, and a histogram's _count is computed
 * from the buckets it printed, so +Inf always equals _count.
 * The server owns its listening sockets and a pipe that stops it; it runs one thread that
 * answers one connection at a time, each bounded by IO_TIMEOUT_MS, so a stuck scraper delays
 * other scrapers, never a decision (decisions never touch this thread). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/unix_socket.h"
#include "metrics.h"

#define IO_TIMEOUT_MS 2000
#define REQUEST_MAX 4096

enum metric_type { TYPE_COUNTER, TYPE_GAUGE, TYPE_HISTOGRAM };

static const struct family_info {
	const char *name, *help, *label;
	enum metric_type type;
} families[_METRIC_MAX] = {
	[METRIC_EVENTS] = { "imprint_events_total",
			    "Events recorded (decisions, alerts, lost-event records), per container.",
			    "container", TYPE_COUNTER },
	[METRIC_DECISIONS] = { "imprint_decisions_total",
			       "Verification decisions, by verdict (allowed, refused, would-refuse).",
			       "verdict", TYPE_COUNTER },
	[METRIC_ALERTS] = { "imprint_alerts_total", "Alerts raised, per container.", "container",
			    TYPE_COUNTER },
	[METRIC_DENIALS] = { "imprint_denials_total",
			     "Denials (a container refused in enforce mode), per container.",
			     "container", TYPE_COUNTER },
	[METRIC_LOST] = { "imprint_lost_events_total",
			  "Events lost before they were recorded, per container.", "container",
			  TYPE_COUNTER },
	[METRIC_CACHE_HITS] = { "imprint_verify_cache_hits_total",
				"Layer (or whole-image) verifications answered from the cache.", NULL,
				TYPE_COUNTER },
	[METRIC_CACHE_MISSES] = { "imprint_verify_cache_misses_total",
				  "Layer directories walked and hashed because not cached clean.",
				  NULL, TYPE_COUNTER },
	[METRIC_CACHE_INVALIDATIONS] = { "imprint_verify_cache_invalidations_total",
					 "Cached layers dropped after a filesystem change.", NULL,
					 TYPE_COUNTER },
	[METRIC_CACHE_LAYERS] = { "imprint_verify_cache_layers", "Layers held in the cache.", NULL,
				  TYPE_GAUGE },
	[METRIC_DB_WRITTEN] = { "imprint_events_db_written_total",
				"Events committed to the events database.", NULL, TYPE_COUNTER },
	[METRIC_DB_DROPPED] = { "imprint_events_db_dropped_total",
				"Events dropped because the writer queue was full.", NULL,
				TYPE_COUNTER },
	[METRIC_DB_ERRORS] = { "imprint_events_db_errors_total",
			       "Batches of events the database refused.", NULL, TYPE_COUNTER },
	[METRIC_DB_QUEUED] = { "imprint_events_db_queue_length",
			       "Events waiting for the database writer.", NULL, TYPE_GAUGE },
	[METRIC_START_TIME] = { "imprint_start_time_seconds",
				"When imprintd started, seconds since the epoch.", NULL, TYPE_GAUGE },
	[METRIC_DECISION_LATENCY] = { "imprint_decision_latency_seconds",
				      "Time from a verify request to its answer.", NULL,
				      TYPE_HISTOGRAM },
};

/* Upper bounds of the latency buckets: the text printed, and microseconds. */
static const struct {
	const char *le;
	int64_t us;
} buckets[] = {
	{ "0.0001", 100 },   { "0.00025", 250 },   { "0.0005", 500 },	 { "0.001", 1000 },
	{ "0.0025", 2500 },  { "0.005", 5000 },	   { "0.01", 10000 },	 { "0.025", 25000 },
	{ "0.05", 50000 },   { "0.1", 100000 },	   { "0.25", 250000 },	 { "0.5", 500000 },
	{ "1", 1000000 },    { "2.5", 2500000 },   { "5", 5000000 },	 { "10", 10000000 },
};
#define N_BUCKETS (ARRAY_SIZE(buckets) + 1) /* + the +Inf bucket */

struct series {
	char *label; /* NULL: the family has no label */
	_Atomic int64_t value;
};

struct family {
	pthread_mutex_t lock;
	struct series *series[METRICS_SERIES_MAX + 1]; /* + "_other" */
	_Atomic size_t n;
	_Atomic uint64_t bucket[N_BUCKETS]; /* histogram: per bucket, not cumulative */
	_Atomic uint64_t sum_us;
};

struct metrics {
	struct family f[_METRIC_MAX];
	void (*collect)(struct metrics *m, void *userdata);
	void *userdata;
};

int metrics_new(struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < _METRIC_MAX; i++)
		pthread_mutex_init(&m->f[i].lock, NULL);
	*ret = m;
	return 0;
}

struct metrics *metrics_free(struct metrics *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < _METRIC_MAX; i++) {
		for (size_t k = 0; k < atomic_load(&m->f[i].n); k++) {
			free(m->f[i].series[k]->label);
			free(m->f[i].series[k]);
		}
		pthread_mutex_destroy(&m->f[i].lock);
	}
	free(m);
	return NULL;
}

void metrics_set_collector(struct metrics *m, void (*collect)(struct metrics *m, void *userdata),
			   void *userdata)
{
	m->collect = collect;
	m->userdata = userdata;
}

static char *label_dup(const char *s)
{
	size_t n = strnlen(s, METRICS_LABEL_MAX + 1);

	if (n > METRICS_LABEL_MAX) {
		n = METRICS_LABEL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* never cut a UTF-8 sequence */
	}
	return strndup(s, n);
}

/* The series for label (created if new); NULL only when out of memory. */
static struct series *series_get(struct metrics *m, enum metric_id id, const char *label)
{
	struct family *f = &m->f[id];
	struct series *s = NULL;
	size_t n;

	if (!families[id].label)
		label = NULL;
	else if (!label)
		label = "";
	pthread_mutex_lock(&f->lock);
	n = atomic_load(&f->n);
	for (size_t i = 0; i < n && !s; i++)
		if (!label || strncmp(f->series[i]->label, label, METRICS_LABEL_MAX) == 0)
			s = f->series[i];
	if (!s && n >= METRICS_SERIES_MAX && label) {
		label = METRICS_OTHER; /* the cap on input-controlled label values */
		for (size_t i = 0; i < n && !s; i++)
			if (strcmp(f->series[i]->label, label) == 0)
				s = f->series[i];
	}
	if (!s && n <= METRICS_SERIES_MAX && (s = calloc(1, sizeof(*s)))) {
		if (label && !(s->label = label_dup(label))) {
			free(s);
			s = NULL;
		} else {
			f->series[n] = s;
			atomic_store(&f->n, n + 1);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return s;
}

void metrics_add(struct metrics *m, enum metric_id id, const char *label, uint64_t n)
{
	struct series *s;

	if (!m || id >= _METRIC_MAX || families[id].type != TYPE_COUNTER)
		return;
	s = series_get(m, id, label);
	if (s)
		atomic_fetch_add_explicit(&s->value, (int64_t)n, memory_order_relaxed);
}

void metrics_set(struct metrics *m, enum metric_id id, const char *label, int64_t value)
{
	struct series *s;

	if (!m || id >= _METRIC_MAX || families[id].type == TYPE_HISTOGRAM)
		return;
	s = series_get(m, id, label);
	if (s)
		atomic_store_explicit(&s->value, value, memory_order_relaxed);
}

void metrics_observe_us(struct metrics *m, enum metric_id id, int64_t us)
{
	size_t b = 0;

	if (!m || id >= _METRIC_MAX || families[id].type != TYPE_HISTOGRAM)
		return;
	if (us < 0)
		us = 0;
	while (b < ARRAY_SIZE(buckets) && us > buckets[b].us)
		b++;
	atomic_fetch_add_explicit(&m->f[id].bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->f[id].sum_us, (uint64_t)us, memory_order_relaxed);
}

/* A label value as the exposition format wants it: \\, \" and \n escaped. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void format_family(FILE *f, struct metrics *m, enum metric_id id)
{
	const struct family_info *fi = &families[id];
	struct family *fam = &m->f[id];
	static const char *const types[] = { "counter", "gauge", "histogram" };
	size_t n = atomic_load(&fam->n);

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fi->name, fi->help, fi->name, types[fi->type]);
	if (fi->type == TYPE_HISTOGRAM) {
		uint64_t cum = 0;

		for (size_t b = 0; b < N_BUCKETS; b++) {
			cum += atomic_load_explicit(&fam->bucket[b], memory_order_relaxed);
			fprintf(f, "%s_bucket{le=\"%s\"} %llu\n", fi->name,
				b < ARRAY_SIZE(buckets) ? buckets[b].le : "+Inf",
				(unsigned long long)cum);
		}
		uint64_t sum = atomic_load_explicit(&fam->sum_us, memory_order_relaxed);
		fprintf(f, "%s_sum %llu.%06llu\n%s_count %llu\n", fi->name,
			(unsigned long long)(sum / 1000000), (unsigned long long)(sum % 1000000),
			fi->name, (unsigned long long)cum);
		return;
	}
	if (!fi->label && n == 0) { /* a family without labels always has its one sample */
		fprintf(f, "%s 0\n", fi->name);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct series *s = fam->series[i];
		long long v = (long long)atomic_load_explicit(&s->value, memory_order_relaxed);

		if (!fi->label) {
			fprintf(f, "%s %lld\n", fi->name, v);
			continue;
		}
		fprintf(f, "%s{%s=\"", fi->name, fi->label);
		put_label(f, s->label);
		fprintf(f, "\"} %lld\n", v);
	}
}

int metrics_format(struct metrics *m, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (m->collect)
		m->collect(m, m->userdata);
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < _METRIC_MAX; i++)
		format_family(f, m, (enum metric_id)i);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* ---- the HTTP endpoint ---- */

struct metrics_server {
	struct metrics *m;
	int unix_fd, tcp_fd, stop[2];
	char *unix_path;
	pthread_t thread;
	bool started;
};

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	if (send_all(fd, head, (size_t)n) >= 0)
		send_all(fd, body, len);
}

/* Read the request head (up to the blank line), bounded in size and time. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static void serve_one(struct metrics_server *s, int fd)
{
	char req[REQUEST_MAX];
	const char *path;
	size_t plen;

	socket_set_timeout(fd, IO_TIMEOUT_MS);
	if (read_head(fd, req, sizeof(req)) <= 0)
		return;
	if (strncmp(req, "GET ", 4) != 0) {
		respond(fd, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	path = req + 4;
	plen = strcspn(path, " ?\r\n");
	if (plen == strlen("/metrics") && strncmp(path, "/metrics", plen) == 0) {
		_cleanup_free_ char *body = NULL;
		size_t len;

		if (metrics_format(s->m, &body, &len) < 0)
			respond(fd, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
		else
			respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, len);
		return;
	}
	respond(fd, "404 Not Found", "text/plain", "try /metrics\n", 13);
}

static void *server_main(void *userdata)
{
	struct metrics_server *s = userdata;

	for (;;) {
		struct pollfd p[3] = { { .fd = s->stop[0], .events = POLLIN },
				       { .fd = s->unix_fd, .events = POLLIN },
				       { .fd = s->tcp_fd, .events = POLLIN } };

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		for (size_t i = 1; i < 3; i++) {
			int fd;

			if (!(p[i].revents & POLLIN))
				continue;
			fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				serve_one(s, fd);
				close(fd);
			}
		}
	}
	return NULL;
}

static int listen_loopback(int port, struct error *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, r, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error_set(err, -errno, "socket: %m");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		r = error_set(err, -errno, "cannot listen on 127.0.0.1:%d: %m", port);
		close(fd);
		return r;
	}
	return fd;
}

int metrics_server_start(struct metrics *m, const char *unix_path, int tcp_port,
			 struct metrics_server **ret, struct error *err)
{
	_cleanup_(metrics_server_stopp) struct metrics_server *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int r;

	if (!s)
		return -ENOMEM;
	*s = (struct metrics_server){ .m = m, .unix_fd = -1, .tcp_fd = -1, .stop = { -1, -1 } };
	if (tcp_port < 0 || tcp_port > 65535)
		return error_set(err, -EINVAL, "metrics port %d out of range", tcp_port);
	if (pipe2(s->stop, O_CLOEXEC) < 0)
		return error_set(err, -errno, "pipe: %m");
	if (unix_path && *unix_path) {
		s->unix_fd = unix_socket_listen(unix_path, 16, err);
		if (s->unix_fd < 0)
			return s->unix_fd;
		s->unix_path = strdup(unix_path);
		if (!s->unix_path)
			return -ENOMEM;
	}
	if (tcp_port) {
		s->tcp_fd = listen_loopback(tcp_port, err);
		if (s->tcp_fd < 0)
			return s->tcp_fd;
	}
	/* signals (SIGTERM) are for the daemon's main loop, never for this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&s->thread, NULL, server_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return error_set(err, r, "cannot start the metrics server: %s", strerror(-r));
	s->started = true;
	*ret = TAKE_PTR(s);
	return 0;
}

struct metrics_server *metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return NULL;
	if (s->started) {
		(void)!write(s->stop[1], "x", 1);
		pthread_join(s->thread, NULL);
	}
	if (s->unix_fd >= 0) {
		close(s->unix_fd);
		unlink(s->unix_path);
	}
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	if (s->stop[0] >= 0)
		close(s->stop[0]);
	if (s->stop[1] >= 0)
		close(s->stop[1]);
	free(s->unix_path);
	free(s);
	return NULL;
}
