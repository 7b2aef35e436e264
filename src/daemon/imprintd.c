/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's request loop.
 *
 * Who owns what: the loop owns the listening socket, the layer cache (and so the fanotify fd)
 * and one connection at a time; requests are answered in order, each with the policy store as
 * it is on disk then (store_cache.h keeps it while nothing changed), so a policy change applies
 * to the next request (the client: client.c).
 * Events and metrics (docs/events.md): each decision is handed to the events writer's bounded
 * queue and to the metrics registry, both without waiting on disk or on a scraper; the writer
 * thread and the metrics server thread own their own resources (events_db.c, metrics.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/clock.h"
#include "alert_sink.h"
#include "basic/fs.h"
#include "basic/unix_socket.h"
#include "events_db.h"
#include "imprintd.h"
#include "layer_cache.h"
#include "metrics.h"
#include "container/container.h"
#include "fingerprint/fingerprint.h"
#include "image/image.h"
#include "policy/policy.h"
#include "protector.h"
#include "store_cache.h"
#include "sensor/watch.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* ---- events database and metrics (docs/events.md) ---- */

struct observers {
	struct events_writer *events; /* NULL: no database (--events-db '') */
	struct metrics *metrics;
	struct metrics_server *server;
	struct protector *protector;  /* NULL: no runtime protection */
	/* drift detection: a thread running the sensor (watch_run) into its own alert sink */
	pthread_t drift;
	bool drift_running;
	volatile sig_atomic_t drift_stop;
	struct watch_options watch;
	const char *default_root[1];
};

static void *drift_thread(void *userdata)
{
	struct observers *ob = userdata;
	struct error err = { 0 };

	if (watch_run(&ob->watch, &err) < 0)
		fprintf(stderr, "imprintd: drift detection stopped: %s\n", err.message);
	fclose(ob->watch.out);
	return NULL;
}

/* Start drift detection if asked: its alerts go to the events database and the metrics
 * like the protector's. Verification goes on without it. */
static void drift_start(const struct imprintd_options *o, struct observers *ob)
{
	if (!o->drift)
		return;
	if (!o->behavior_dir || !*o->behavior_dir) {
		fprintf(stderr, "imprintd: drift detection is off: it needs behavior-dir\n");
		return;
	}
	ob->default_root[0] = DEFAULT_STORAGE_ROOT;
	ob->watch = (struct watch_options){
		.fingerprint_dir = o->behavior_dir,
		.storage_roots = o->n_storage_roots ? o->storage_roots : ob->default_root,
		.n_storage_roots = o->n_storage_roots ? o->n_storage_roots : 1,
		.out = alert_sink_open(ob->metrics, ob->events),
		.stop = &ob->drift_stop,
		.verbose = true,
	};
	if (!ob->watch.out || pthread_create(&ob->drift, NULL, drift_thread, ob) != 0) {
		fprintf(stderr, "imprintd: drift detection is off: cannot start its thread\n");
		if (ob->watch.out)
			fclose(ob->watch.out);
		return;
	}
	ob->drift_running = true;
}

static void observers_collect(struct metrics *m, void *userdata)
{
	struct observers *ob = userdata;
	struct events_writer_stats st;

	if (!ob->events)
		return;
	events_writer_stats(ob->events, &st);
	metrics_set(m, METRIC_DB_WRITTEN, NULL, (int64_t)st.written);
	metrics_set(m, METRIC_DB_DROPPED, NULL, (int64_t)st.dropped);
	metrics_set(m, METRIC_DB_ERRORS, NULL, (int64_t)st.errors);
	metrics_set(m, METRIC_DB_QUEUED, NULL, (int64_t)st.queued);
}

static int observers_start(const struct imprintd_options *o, struct observers *ob,
			   struct error *err)
{
	struct events_db_options eo = { .path = o->events_db ? o->events_db : EVENTS_DB_DEFAULT,
					.max_rows = o->events_max_rows,
					.max_age_s = o->events_max_age_s };
	_cleanup_free_ char *dir = path_parent(o->socket_path), *sock = NULL;
	int r;

	if (!o->metrics_socket && !(sock = strdup_printf("%s/%s", dir ? dir : ".",
							 METRICS_SOCKET_NAME)))
		return -ENOMEM;
	r = metrics_new(&ob->metrics);
	if (r >= 0 && *eo.path)
		r = events_writer_new(&eo, &ob->events, err);
	if (r < 0)
		return r;
	metrics_set(ob->metrics, METRIC_START_TIME, NULL, (int64_t)time(NULL));
	for (size_t i = 0; i < 3; i++) /* every verdict is a series from the start */
		metrics_add(ob->metrics, METRIC_DECISIONS,
			    (const char *const[]){ "allowed", "refused", "would-refuse" }[i], 0);
	fprintf(stderr, "imprintd: events database: %s; metrics: %s%s%.0d\n",
		*eo.path ? eo.path : "off", sock ? sock : *o->metrics_socket ? o->metrics_socket
								      : "no unix socket",
		o->metrics_port ? ", 127.0.0.1:" : "", o->metrics_port);
	metrics_set_collector(ob->metrics, observers_collect, ob);
	r = metrics_server_start(ob->metrics, sock ? sock : o->metrics_socket, o->metrics_port,
				 &ob->server, err);
	if (r >= 0 && o->protect) {
		struct error perr = { 0 };

		/* Verification must go on without the kernel-side layers: say so, keep serving. */
		if (protector_new(&(struct protector_options){
					  .pin_dir = o->pin_dir, .state_dir = o->protect_state_dir,
					  .behavior_dir = o->behavior_dir,
					  .timeout_ms = o->decision_timeout_ms ?: 1000,
					  .metrics = ob->metrics, .events = ob->events },
				  &ob->protector, &perr) < 0)
			fprintf(stderr, "imprintd: runtime protection is off: %s\n", perr.message);
	}
	if (r >= 0)
		drift_start(o, ob);
	return r;
}

static void observers_stop(struct observers *ob)
{
	if (ob->drift_running) {
		ob->drift_stop = 1;
		pthread_join(ob->drift, NULL);
		ob->drift_running = false;
	}
	ob->protector = protector_free(ob->protector); /* before what it borrows */
	ob->server = metrics_server_stop(ob->server);
	ob->events = events_writer_free(ob->events);
	ob->metrics = metrics_free(ob->metrics);
}

/* The cache figures are owned by this thread; the registry mirrors them. */
static void observers_cache(struct observers *ob, struct layer_cache *cache)
{
	struct layer_cache_stats st;

	layer_cache_stats(cache, &st);
	metrics_set(ob->metrics, METRIC_CACHE_HITS, NULL, (int64_t)st.hits);
	metrics_set(ob->metrics, METRIC_CACHE_MISSES, NULL, (int64_t)st.misses);
	metrics_set(ob->metrics, METRIC_CACHE_INVALIDATIONS, NULL, (int64_t)st.invalidations);
	metrics_set(ob->metrics, METRIC_CACHE_LAYERS, NULL, (int64_t)st.layers);
}

static void observers_decision(struct observers *ob, const char *id,
			       const struct verify_result *res)
{
	struct event ev;

	metrics_add(ob->metrics, METRIC_EVENTS, id, 1);
	metrics_add(ob->metrics, METRIC_DECISIONS,
		    !res->refused ? "allowed" : res->allowed ? "would-refuse" : "refused", 1);
	if (!res->allowed)
		metrics_add(ob->metrics, METRIC_DENIALS, id, 1);
	metrics_observe_us(ob->metrics, METRIC_DECISION_LATENCY, res->elapsed_us);
	if (!ob->events)
		return;
	if (event_from_decision(res, id, clock_realtime_us(), &ev) < 0 ||
	    !events_writer_post(ob->events, &ev))
		metrics_add(ob->metrics, METRIC_LOST, id, 1);
}

/* A verified layer changed on the host: the protector reports (and stops) the containers
 * made of it. */
static void on_layer_changed(void *userdata, dev_t dev, ino_t ino)
{
	protector_layer_changed(userdata, dev, ino);
}

/* ---- requests ---- */

/* The storage root a podman bundle (<graphroot>/overlay-containers/<id>/userdata) is in. */
static char *bundle_storage_root(const char *root, const char *bundle)
{
	const char *at = strstr(bundle, "/overlay-containers/");

	if (root)
		return strdup(root);
	return at ? strndup(bundle, (size_t)(at - bundle)) : strdup(DEFAULT_STORAGE_ROOT);
}

/* An allowed container whose policy entry asks for enforcement: hand it to the protector,
 * which arms it once the runtime has started it (docs/daemon.md). A container of
 * containers-storage is found by its cgroup and checked against its image's table; a plain
 * runc container (imprint-runc, "runcRoot") by runc's state and against its verified rootfs. */
/* The image's content table, from the layers verification just read (the cache's). */
static int image_table(const char *storage_root, const char *image_id,
		       const struct fingerprint_options *fo, struct fingerprint **ret)
{
	struct image_options io = { .storage_root = storage_root };
	_cleanup_free_ char *source = NULL;
	struct error err = { 0 };

	if (!image_id || strncmp(image_id, "sha256:", 7) != 0)
		return -ENOENT;
	source = strdup_printf("containers-storage:%s", image_id + 7);
	return source ? fingerprint_source(source, &io, fo, ret, &err) : -ENOMEM;
}

static bool protect_container(struct observers *ob, const struct store *store, json_t *req,
			      const char *root, const char *bundle, const struct verify_result *res,
			      const struct fingerprint_options *fo)
{
	json_int_t pid = json_integer_value(json_object_get(req, "pid"));
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *runc_root = json_string_value(json_object_get(req, "runcRoot"));
	_cleanup_free_ char *storage_root = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	char image[DIGEST_STRING_MAX];
	struct protector_request rq;
	struct store_match m;
	int r;

	if (!ob->protector || pid <= 0 || (!res->has_config && !runc_root))
		return false;
	if (runc_root && runc_root[0] != '/')
		return false;
	store_match(store, res->has_manifest ? &res->manifest : NULL,
		    res->has_config ? &res->config : NULL, res->has_root ? &res->root : NULL, &m);
	if (!m.entry)
		return false;
	rq = (struct protector_request){
		.id = id, .pid = (pid_t)pid, .image_name = res->image, .runc_root = runc_root,
		.image = res->has_config ? digest_format(&res->config, image)
					 : json_string_value(json_object_get(m.entry, "configDigest")),
	};
	policy_entry_enforcement(m.entry, &rq.enforcement);
	if (rq.enforcement.exec == POLICY_ENFORCE_OFF &&
	    rq.enforcement.network == POLICY_ENFORCE_OFF &&
	    rq.enforcement.files == POLICY_ENFORCE_OFF)
		return false;
	storage_root = bundle_storage_root(root, bundle);
	rq.storage_root = storage_root;
	rq.bundle = bundle;
	/* podman, CRI-O: the hook runs before the runtime pivots; arm the kernel side now, so
	 * the entrypoint never runs unprotected (imprint-runc waits for the arming itself) */
	if (!runc_root && image_table(storage_root, rq.image, fo, &fp) >= 0)
		rq.table = &fp->root;
	r = protector_add(ob->protector, &rq);
	if (r < 0)
		fprintf(stderr, "imprintd: cannot protect container %.12s: %s\n", id, strerror(-r));
	return true; /* queued, or failed: either way the caller waits and sees which */
}

static json_t *answer_verify(const struct imprintd_options *o, struct layer_cache *cache,
			     struct store_cache *stores, struct observers *ob, json_t *req)
{
	int64_t start = clock_monotonic_us();
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *bundle = json_string_value(json_object_get(req, "bundle"));
	const char *root = json_string_value(json_object_get(req, "storageRoot"));
	const char *mode = json_string_value(json_object_get(req, "mode"));
	const struct store *store = NULL;
	struct fingerprint_options fo;
	struct container_options co = { .storage_root = root, .fingerprint = &fo };
	struct verify_options vo = o->verify;
	struct verify_result res;
	struct error err = { 0 };
	bool protecting;
	json_t *j;
	int r;

	fingerprint_options_default(&fo);
	fo.threads = o->threads;
	fo.cache = &(struct fingerprint_cache){ .read_dir = layer_cache_read_dir,
						.lookup = layer_cache_lookup,
						.store = layer_cache_store,
						.userdata = cache };
	vo.mode = mode && strcmp(mode, "monitor") == 0 ? VERIFY_MONITOR : VERIFY_ENFORCE;
	verify_result_init(&res, id);
	if (!id || !bundle || bundle[0] != '/')
		verify_refuse(&res, "error", NULL, "imprintd: malformed request");
	else if ((r = store_cache_get(stores, &store, &err)) < 0)
		verify_refuse(&res, "policy-store", NULL, "%s",
			      err.message[0] ? err.message : strerror(-r));
	else
		verify_container(store, id, bundle, &co, &vo, &res);
	verify_finish(&res, &vo);
	res.elapsed_us = clock_monotonic_us() - start;
	protecting = res.allowed && store &&
		     protect_container(ob, store, req, root, bundle, &res, &fo);
	observers_cache(ob, cache);
	observers_decision(ob, id, &res);
	j = verify_result_json(&res);
	if (j && protecting)
		json_object_set_new(j, "protecting", json_true());
	verify_result_release(&res);
	return j;
}

static json_t *answer_status(struct layer_cache *cache, struct store_cache *stores,
			     struct observers *ob)
{
	const struct store *store = NULL;
	struct layer_cache_stats st;
	struct error err = { 0 };
	json_t *j, *policies = json_array(), *rejected = json_array();

	layer_cache_drain(cache);
	layer_cache_stats(cache, &st);
	if (store_cache_get(stores, &store, &err) >= 0) {
		for (size_t i = 0; i < store->n_policies; i++)
			json_array_append_new(policies, json_pack(
				"{s:s,s:s,s:I,s:s,s:I}", "name", store->policies[i].name, "file",
				store->policies[i].file, "serial",
				(json_int_t)store->policies[i].serial, "signer",
				store->policies[i].signer, "images",
				(json_int_t)json_array_size(json_object_get(store->policies[i].doc,
									   "images"))));
		for (size_t i = 0; i < store->n_rejected; i++)
			if (!store->rejected[i].superseded)
				json_array_append_new(rejected, json_pack(
					"{s:s,s:s}", "file", store->rejected[i].file, "reason",
					store->rejected[i].reason));
	}
	j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:s?}", "layers", (json_int_t)st.layers,
		      "hits", (json_int_t)st.hits, "misses", (json_int_t)st.misses, "invalidations",
		      (json_int_t)st.invalidations, "events", (json_int_t)st.events, "imageHits",
		      (json_int_t)st.image_hits, "policies", policies, "rejectedPolicies", rejected,
		      "policyError", err.message[0] ? err.message : NULL);
	json_object_set_new(j, "pid", json_integer(getpid()));
	json_object_set_new(j, "protection", ob->protector ? protector_status(ob->protector)
							 : json_null());
	return j;
}

static void serve_one(const struct imprintd_options *o, struct layer_cache *cache,
		      struct store_cache *stores, struct observers *ob, int fd)
{
	_cleanup_free_ char *buf = NULL, *text = NULL;
	const char *op;
	json_t *req = NULL, *answer = NULL;
	size_t len;

	socket_set_timeout(fd, IMPRINTD_TIMEOUT_MS);
	if (!socket_peer_is_trusted(fd) || read_stream(fd, IMPRINTD_REQUEST_MAX, &buf, &len) < 0)
		return;
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	op = json_string_value(json_object_get(req, "op"));
	if (op && strcmp(op, "verify") == 0)
		answer = answer_verify(o, cache, stores, ob, req);
	else if (op && strcmp(op, "status") == 0)
		answer = answer_status(cache, stores, ob);
	else
		answer = json_pack("{s:s}", "error", "unknown request");
	text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	if (text)
		send_all(fd, text, strlen(text));
	json_decref(answer);
	json_decref(req);
}

int imprintd_run(const struct imprintd_options *o, struct error *err)
{
	_cleanup_(layer_cache_freep) struct layer_cache *cache = NULL;
	_cleanup_(store_cache_freep) struct store_cache *stores = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	_cleanup_close_ int lfd = -1;
	struct observers ob = { 0 };
	int r = layer_cache_new(&cache, err);

	if (r >= 0)
		r = store_cache_new(&o->store, &stores, err);
	if (r < 0)
		return r;
	lfd = unix_socket_listen(o->socket_path, 64, err);
	if (lfd < 0)
		return lfd;
	r = observers_start(o, &ob, err);
	if (r < 0) {
		observers_stop(&ob);
		unlink(o->socket_path);
		return r;
	}
	if (ob.protector)
		layer_cache_on_change(cache, on_layer_changed, ob.protector);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "imprintd: listening on %s; layer watcher: fanotify filesystem marks\n",
		o->socket_path);
	while (!stopping) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
				       { .fd = layer_cache_fd(cache), .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = error_set(err, -errno, "poll: %m");
			break;
		}
		if (p[1].revents)
			layer_cache_drain(cache);
		if (p[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				serve_one(o, cache, stores, &ob, fd);
				close(fd);
			}
		}
		observers_cache(&ob, cache);
	}
	observers_stop(&ob);
	unlink(o->socket_path);
	return r;
}
