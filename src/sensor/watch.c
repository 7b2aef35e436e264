/* SPDX-License-Identifier: Apache-2.0 */
/* imprint watch: drift of running containers from their image's behavioral fingerprint.
 *
 * Who owns what: the watcher owns the loaded fingerprints, the index of their process nodes
 * (by the node id the kernel side computes, sensor_node_id()) and one record per cgroup seen.
 * Everything runs on the polling thread. The kernel side deduplicates per (cgroup, event key),
 * so a drift is reported once per container, not at every occurrence.
 *
 * A file is judged by the process that opened it: its node (the kernel's id of its place in
 * the tree) must be a learned node that opened that path. A process at an unknown place (already
 * a "Program not in behavioral fingerprint" alert) is judged by the whole container, so that one
 * drift is not reported once per file. Connections and listening ports are judged per
 * container. Events the kernel side lost (ring buffer full) are reported per container, at most
 * once per LOST_ALERT_INTERVAL_MS, with the number lost since the last report.
 *
 * Incidents (docs/sensor.md): the alerts that stem from one divergence share an incident id.
 * A program at an unlearned place opens one, and everything its subtree then does (programs
 * started below it, files, connections) joins it; a learned process doing something unlearned
 * opens an incident of its own. The first alert of an incident says so. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "fingerprint/behavior.h"
#include "image/image.h"
#include "learner.h"
#include "loader.h"
#include "watch.h"

#define FINGERPRINTS_MAX 1024
#define NODES_MAX 1000000
#define LOST_ALERT_INTERVAL_MS 10000
#define CHAIN_ORDERS_MAX 4 /* programs of one process indexed in every order (64 ids) */
#define IDS_MAX 256        /* ids of one process its children may hang from */
#define DIVERGED_MAX 4096  /* unlearned places remembered per container, with their incident */
#define INCIDENT_ID_LEN 16

struct known_node {
	uint64_t id;
	const struct bprocess *p;
	const struct bcontainer *c;
};

/* A process node that is not in the fingerprint, and the incident it belongs to. */
struct diverged {
	uint64_t node;
	char incident[INCIDENT_ID_LEN + 1];
};

struct watched {
	uint64_t cgroup;
	struct diverged *diverged;
	size_t n_diverged;
	char *container; /* id, or NULL: not a container */
	char *image;     /* image id (hex), or NULL if unknown */
	char *image_name;
	const struct bcontainer *fp; /* its fingerprint, or NULL */
	uint64_t lost_reported;      /* the sensor's lost counter at the last "events lost" alert */
	int64_t lost_alert_ms;       /* when that was (monotonic), 0: never */
};

struct watcher {
	const struct watch_options *o;
	struct behavior **fps;
	size_t n_fps;
	struct known_node *nodes;
	size_t n_nodes, cap_nodes;
	struct watched *cgroups;
	size_t n_cgroups;
	int error;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* ---- the learned side ---- */

static int add_node(struct watcher *w, uint64_t id, const struct bprocess *p,
		    const struct bcontainer *c)
{
	if (w->n_nodes == w->cap_nodes) {
		size_t cap = w->cap_nodes ? 2 * w->cap_nodes : 256;
		struct known_node *grown;

		if (cap > NODES_MAX)
			return -E2BIG;
		grown = realloc(w->nodes, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		w->nodes = grown;
		w->cap_nodes = cap;
	}
	w->nodes[w->n_nodes++] = (struct known_node){ .id = id, .p = p, .c = c };
	return 0;
}

/* Where a process's ids go while it is indexed. */
struct id_list {
	uint64_t ids[IDS_MAX];
	size_t n;
};

/* The ids of p's programs chained from parent in every order (used[]: the programs already in
 * the chain). The kernel chains a process's execs in the order they happened; the canonical
 * form keeps them sorted, so the order is not known. */
static int index_chains(struct watcher *w, const struct bprocess *p, uint64_t parent, bool *used,
			const struct bcontainer *c, struct id_list *out)
{
	int r = 0;

	for (size_t i = 0; i < p->n_programs && r >= 0; i++) {
		uint64_t id;

		if (used[i])
			continue;
		id = sensor_node_id(parent, p->uid, p->gid, p->programs[i].args,
				    p->programs[i].n_args);
		r = add_node(w, id, p, c);
		if (r >= 0 && out->n < IDS_MAX)
			out->ids[out->n++] = id;
		used[i] = true;
		if (r >= 0)
			r = index_chains(w, p, id, used, c, out);
		used[i] = false;
	}
	return r;
}

/* A process's programs get ids in a chain from its parent's: in every order when it has at
 * most CHAIN_ORDERS_MAX programs, else in canonical order only. A child may have been forked
 * after any of them, so every one is a possible parent. */
static int index_process(struct watcher *w, const struct bprocess *p, const uint64_t *parents,
			 size_t n_parents, const struct bcontainer *c, int depth)
{
	_cleanup_free_ struct id_list *out = NULL;
	bool used[CHAIN_ORDERS_MAX] = { false };
	int r = 0;

	if (depth > BEHAVIOR_MAX_DEPTH)
		return -ELOOP;
	out = calloc(1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t k = 0; k < n_parents && r >= 0; k++) {
		uint64_t id = parents[k];

		if (p->n_programs <= CHAIN_ORDERS_MAX) {
			r = index_chains(w, p, id, used, c, out);
			continue;
		}
		for (size_t i = 0; i < p->n_programs && r >= 0; i++) {
			id = sensor_node_id(id, p->uid, p->gid, p->programs[i].args,
					    p->programs[i].n_args);
			r = add_node(w, id, p, c);
			if (r >= 0 && out->n < IDS_MAX)
				out->ids[out->n++] = id;
		}
	}
	if (out->n == 0) /* no program of its own: its children hang from its parents */
		for (size_t k = 0; k < n_parents && out->n < IDS_MAX; k++)
			out->ids[out->n++] = parents[k];
	for (size_t i = 0; i < p->n_children && r >= 0; i++)
		r = index_process(w, &p->children[i], out->ids, out->n, c, depth + 1);
	return r;
}

/* The entrypoint and the exec sessions both start from outside the container (parent node 0).
 * An exec root without uid and gid is RAD's placeholder (program "exec", imprint learn writes
 * it too): the sessions are its children. */
static int index_container(struct watcher *w, const struct bcontainer *c)
{
	uint64_t root = 0;
	int r = index_process(w, &c->entrypoint, &root, 1, c, 0);

	if (r < 0 || !c->exec)
		return r;
	if (!c->exec->ids_unknown)
		return index_process(w, c->exec, &root, 1, c, 0);
	for (size_t i = 0; i < c->exec->n_children && r >= 0; i++)
		r = index_process(w, &c->exec->children[i], &root, 1, c, 1);
	return r;
}

/* The next known node with this id after prev (NULL: the first): siblings that differ only in
 * what they opened or connected to share an id. */
static const struct known_node *find_next_node(const struct watcher *w, uint64_t id,
					       const struct bcontainer *c,
					       const struct known_node *prev)
{
	for (size_t i = prev ? (size_t)(prev - w->nodes) + 1 : 0; i < w->n_nodes; i++)
		if (w->nodes[i].id == id && w->nodes[i].c == c)
			return &w->nodes[i];
	return NULL;
}

static const struct known_node *find_node(const struct watcher *w, uint64_t id,
					  const struct bcontainer *c)
{
	return find_next_node(w, id, c, NULL);
}

static int load_fingerprints(struct watcher *w, struct error *err)
{
	DIR *d = opendir(w->o->fingerprint_dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return error_set(err, -errno, "cannot read %s: %m", w->o->fingerprint_dir);
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct behavior *b = NULL, **grown;
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		if (w->n_fps == FINGERPRINTS_MAX) {
			r = error_set(err, -E2BIG, "%s: more than %d fingerprints", w->o->fingerprint_dir,
				      FINGERPRINTS_MAX);
			break;
		}
		path = strdup_printf("%s/%s", w->o->fingerprint_dir, de->d_name);
		r = path ? behavior_read(path, &b, err) : -ENOMEM;
		if (r < 0)
			break;
		grown = realloc(w->fps, (w->n_fps + 1) * sizeof(*grown));
		if (!grown) {
			behavior_free(b);
			r = -ENOMEM;
			break;
		}
		w->fps = grown;
		w->fps[w->n_fps++] = b;
		for (size_t i = 0; r >= 0 && i < b->n_containers; i++)
			r = index_container(w, &b->containers[i]);
	}
	closedir(d);
	return r;
}

/* ---- containers ---- */

static bool digest_is(const char *digest, const char *hex)
{
	return digest && hex && strncmp(digest, "sha256:", 7) == 0 && strcmp(digest + 7, hex) == 0;
}

/* The image of a container from containers-storage's maps (only a map: the verdict on the
 * image itself is the hook's business). */
static void find_image(struct watcher *w, struct watched *x)
{
	x->image = container_image_id(w->o->storage_roots, w->o->n_storage_roots, x->container);
}

/* The image's first name in containers-storage (as learn --image finds the image), for
 * containers without a fingerprint; NULL if it has none or is not there. */
static char *storage_image_name(const struct watcher *w, const char *image_id)
{
	for (size_t i = 0; i < w->o->n_storage_roots; i++) {
		_cleanup_(image_freep) struct image *img = NULL;
		_cleanup_free_ char *source = strdup_printf("containers-storage:%s", image_id);
		struct image_options io = { .storage_root = w->o->storage_roots[i] };

		if (source && image_open(source, &io, &img, NULL) >= 0)
			return img->name ? strdup(img->name) : NULL;
	}
	return NULL;
}

static void match_fingerprint(struct watcher *w, struct watched *x)
{
	for (size_t i = 0; i < w->n_fps && !x->fp; i++)
		for (size_t k = 0; k < w->fps[i]->n_containers; k++) {
			const struct bcontainer *c = &w->fps[i]->containers[k];

			if (digest_is(c->image_digest, x->image)) {
				x->fp = c;
				x->image_name = c->image_name ? strdup(c->image_name) : NULL;
				break;
			}
		}
}

/* One alert line, Falco's shape: time, rule, priority, source, output, output_fields, tags. */
static void alert_tagged(struct watcher *w, const struct watched *x, const char *rule,
			 const char *priority, const char *tag, const char *what, json_t *fields)
{
	char now[48];
	_cleanup_free_ char *output = NULL, *text = NULL;
	json_t *j;

	time_format_rfc3339_now_ns(now);
	json_object_set_new(fields, "container.id", json_string(x->container));
	json_object_set_new(fields, "container.image",
			    x->image_name ? json_string(x->image_name) : json_null());
	json_object_set_new(fields, "container.image.id",
			    x->image ? json_string(x->image) : json_null());
	output = strdup_printf("%s (container=%.12s image=%s %s)", rule, x->container,
			       x->image_name ? x->image_name : "?", what);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o,s:[ss]}", "time", now, "rule", rule, "priority",
		      priority, "source", "imprint", "output", output, "output_fields", fields,
		      "tags", "imprint", tag);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (text) {
		fprintf(w->o->out, "%s\n", text);
		fflush(w->o->out);
	}
	json_decref(j);
}

/* An incident id: 64 random bits (getrandom; the clock if that fails). */
static uint64_t random_u64(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)clock_monotonic_us() * 0x9e3779b97f4a7c15ull;
	return r;
}

/* The incident a new alert at node joins (the node's, or its parent's when the node is new:
 * a program started below a diverged one), else a new one; *first: it opens it. A node that
 * is not learned (learned false) is remembered with it, so that its subtree joins too. */
static void incident_of(struct watched *x, uint64_t node, uint64_t parent, bool learned,
			char id[INCIDENT_ID_LEN + 1], bool *first)
{
	const struct diverged *found = NULL;
	struct diverged *grown;

	for (size_t i = 0; i < x->n_diverged && !found; i++)
		if (x->diverged[i].node == node || (!learned && parent &&
						    x->diverged[i].node == parent))
			found = &x->diverged[i];
	*first = !found;
	if (found) {
		memcpy(id, found->incident, INCIDENT_ID_LEN + 1);
	} else {
		uint64_t r = random_u64();

		snprintf(id, INCIDENT_ID_LEN + 1, "%016llx", (unsigned long long)r);
	}
	if (learned || x->n_diverged == DIVERGED_MAX)
		return;
	for (size_t i = 0; i < x->n_diverged; i++)
		if (x->diverged[i].node == node)
			return;
	grown = realloc(x->diverged, (x->n_diverged + 1) * sizeof(*grown));
	if (!grown)
		return;
	x->diverged = grown;
	grown[x->n_diverged].node = node;
	memcpy(grown[x->n_diverged++].incident, id, INCIDENT_ID_LEN + 1);
}

/* An alert about what the process at node did (learned: node is a learned place). */
static void alert(struct watcher *w, struct watched *x, uint64_t node, uint64_t parent,
		  bool learned, const char *rule, const char *priority, const char *what,
		  json_t *fields)
{
	char id[INCIDENT_ID_LEN + 1];
	bool first;

	incident_of(x, node, parent, learned, id, &first);
	json_object_set_new(fields, "imprint.incident", json_string(id));
	json_object_set_new(fields, "imprint.incident.first", json_boolean(first));
	alert_tagged(w, x, rule, priority, "drift", what, fields);
}

/* The sensor lost events of a watched container: what happened then was not judged. One alert
 * per LOST_ALERT_INTERVAL_MS at most (final: now, whatever the interval), with the number lost
 * since the last one and the total. */
static void check_lost(struct watcher *w, const struct sensor *s, bool final)
{
	int64_t now = clock_monotonic_ms();

	for (size_t i = 0; i < w->n_cgroups; i++) {
		struct watched *x = &w->cgroups[i];
		uint64_t total;
		char what[64];

		if (!x->container || !x->fp)
			continue;
		total = sensor_lost(s, x->cgroup);
		if (total <= x->lost_reported ||
		    (!final && x->lost_alert_ms && now - x->lost_alert_ms < LOST_ALERT_INTERVAL_MS))
			continue;
		snprintf(what, sizeof(what), "%llu events lost",
			 (unsigned long long)(total - x->lost_reported));
		alert_tagged(w, x, "Sensor events lost", "Warning", "sensor", what,
			     json_pack("{s:I,s:I}", "imprint.lost_events",
				       (json_int_t)(total - x->lost_reported),
				       "imprint.lost_events_total", (json_int_t)total));
		x->lost_reported = total;
		x->lost_alert_ms = now;
	}
}

static struct watched *watched_get(struct watcher *w, uint64_t cgroup, pid_t pid)
{
	struct watched *grown, *x;

	for (size_t i = 0; i < w->n_cgroups; i++)
		if (w->cgroups[i].cgroup == cgroup)
			return &w->cgroups[i];
	grown = realloc(w->cgroups, (w->n_cgroups + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	w->cgroups = grown;
	x = &grown[w->n_cgroups++];
	*x = (struct watched){ .cgroup = cgroup, .container = container_id_of_cgroup(cgroup, pid) };
	if (!x->container)
		return x;
	find_image(w, x);
	match_fingerprint(w, x);
	if (!x->fp && x->image)
		x->image_name = storage_image_name(w, x->image);
	if (!x->fp) /* reported once, not at every event */
		alert_tagged(w, x, "Container without behavioral fingerprint", "Notice", "drift",
			     "not watched", json_object());
	return x;
}

/* ---- live events ---- */

static char *cmdline(const struct sensor_exec *e)
{
	size_t len = e->args_len < SENSOR_ARGS_MAX ? e->args_len : SENSOR_ARGS_MAX;
	char *s = malloc(len + 1);

	if (!s)
		return NULL;
	memcpy(s, e->args, len);
	s[len] = '\0';
	while (len > 0 && s[len - 1] == '\0') /* the last argument's NUL */
		len--;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	return s;
}

/* Whether the program's argv, joined by spaces, is cmd. */
static bool args_equal(const struct bprogram *p, const char *cmd)
{
	size_t off = 0;

	for (size_t a = 0; a < p->n_args; a++) {
		size_t n = strlen(p->args[a]);

		if (strncmp(cmd + off, p->args[a], n) != 0)
			return false;
		off += n;
		if (a + 1 < p->n_args) {
			if (cmd[off] != ' ')
				return false;
			off++;
		}
	}
	return cmd[off] == '\0';
}

static void on_exec(struct watcher *w, struct watched *x, const struct sensor_exec *e)
{
	const struct known_node *parent;
	_cleanup_free_ char *cmd = NULL;
	const char *rule = "Program not in behavioral fingerprint";

	if (find_node(w, e->h.node, x->fp))
		return;
	cmd = cmdline(e);
	parent = find_node(w, e->h.parent, x->fp);
	/* the same program at the same place, by another uid or gid? */
	for (size_t i = 0; cmd && parent && i < parent->p->n_children; i++) {
		const struct bprocess *c = &parent->p->children[i];

		for (size_t k = 0; k < c->n_programs; k++)
			if (args_equal(&c->programs[k], cmd) && (c->uid != e->h.uid || c->gid != e->h.gid))
				rule = "Program run by another uid or gid than learned";
	}
	alert(w, x, e->h.node, e->h.parent, false, rule, "Warning", cmd ? cmd : "",
	      json_pack("{s:s,s:s?,s:i,s:i,s:i}", "proc.name", e->comm, "proc.cmdline", cmd,
			"proc.pid", (int)e->h.pid, "user.uid", (int)e->h.uid, "group.gid",
			(int)e->h.gid));
}

static bool file_matches(const struct bprocess *p, const char *path)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i], path) == 0 || fnmatch(p->files[i], path, FNM_PATHNAME) == 0)
			return true;
	return false;
}

static bool file_known(const struct bprocess *p, const char *path, int depth)
{
	if (depth > BEHAVIOR_MAX_DEPTH)
		return false;
	if (file_matches(p, path))
		return true;
	for (size_t i = 0; i < p->n_children; i++)
		if (file_known(&p->children[i], path, depth + 1))
			return true;
	return false;
}

static bool connection_known(const struct bprocess *p, const char *addr, uint32_t port,
			     bool listen, int depth)
{
	if (depth > BEHAVIOR_MAX_DEPTH)
		return false;
	if (listen) {
		for (size_t i = 0; i < p->n_listening; i++)
			if (p->listening[i] == port)
				return true;
	} else {
		for (size_t i = 0; i < p->n_connections; i++)
			if (p->connections[i].port == port && p->connections[i].address &&
			    strcmp(p->connections[i].address, addr) == 0)
				return true;
	}
	for (size_t i = 0; i < p->n_children; i++)
		if (connection_known(&p->children[i], addr, port, listen, depth + 1))
			return true;
	return false;
}

/* Learned by the process at this node (any of the nodes with its id), or, when the node is
 * not learned, by any process of the container. */
static bool file_allowed(const struct watcher *w, const struct watched *x, uint64_t node,
			 const char *path)
{
	const struct known_node *k = find_node(w, node, x->fp);

	if (!k)
		return file_known(&x->fp->entrypoint, path, 0) ||
		       (x->fp->exec && file_known(x->fp->exec, path, 0));
	for (; k; k = find_next_node(w, node, x->fp, k))
		if (file_matches(k->p, path))
			return true;
	return false;
}

static void on_open(struct watcher *w, struct watched *x, const struct sensor_open *e)
{
	_cleanup_free_ char *path = behavior_collapse_path(e->path);

	if (!path || file_allowed(w, x, e->h.node, path))
		return;
	alert(w, x, e->h.node, 0, find_node(w, e->h.node, x->fp) != NULL,
	      "File opened outside behavioral fingerprint", "Warning", e->path,
	      json_pack("{s:s,s:i,s:i}", "fd.name", e->path, "proc.pid", (int)e->h.pid, "user.uid",
			(int)e->h.uid));
}

static void on_net(struct watcher *w, struct watched *x, const struct sensor_net *e)
{
	bool listen = e->h.type == SENSOR_LISTEN;
	bool learned = find_node(w, e->h.node, x->fp) != NULL;
	char addr[64] = "", name[96];

	inet_ntop(e->family == 2 ? AF_INET : AF_INET6, e->addr, addr, sizeof(addr));
	if (connection_known(&x->fp->entrypoint, addr, e->port, listen, 0) ||
	    (x->fp->exec && connection_known(x->fp->exec, addr, e->port, listen, 0)))
		return;
	if (listen) {
		snprintf(name, sizeof(name), "*:%u", e->port);
		alert(w, x, e->h.node, 0, learned, "Listening port not in behavioral fingerprint",
		      "Warning", name,
		      json_pack("{s:s,s:i,s:s,s:i}", "fd.name", name, "fd.sport", e->port,
				"fd.l4proto", e->h.flags & SENSOR_PROTO_UDP ? "udp" : "tcp",
				"proc.pid", (int)e->h.pid));
		return;
	}
	snprintf(name, sizeof(name), "%s:%u", addr, e->port);
	alert(w, x, e->h.node, 0, learned, "Connection not in behavioral fingerprint", "Warning",
	      name,
	      json_pack("{s:s,s:s,s:i,s:s,s:i}", "fd.name", name, "fd.rip", addr, "fd.rport",
			e->port, "fd.l4proto", e->h.flags & SENSOR_PROTO_UDP ? "udp" : "tcp",
			"proc.pid", (int)e->h.pid));
}

static int watch_event(void *userdata, const void *data, size_t len)
{
	struct watcher *w = userdata;
	const struct sensor_header *h = data;
	struct watched *x;

	if (len < sizeof(*h) || h->node == 0)
		return 0;
	x = watched_get(w, h->cgroup, (pid_t)h->pid);
	if (!x)
		return -ENOMEM;
	if (!x->fp)
		return 0;
	if (h->type == SENSOR_EXEC && len >= sizeof(struct sensor_exec))
		on_exec(w, x, data);
	else if (h->type == SENSOR_OPEN && len >= sizeof(struct sensor_open))
		on_open(w, x, data);
	else if ((h->type == SENSOR_CONNECT || h->type == SENSOR_LISTEN) &&
		 len >= sizeof(struct sensor_net))
		on_net(w, x, data);
	return 0;
}

int watch_run(const struct watch_options *o, struct error *err)
{
	struct watcher w = { .o = o };
	_cleanup_(sensor_freep) struct sensor *s = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int64_t start;
	int r = load_fingerprints(&w, err);

	if (r >= 0)
		r = sensor_start(watch_event, &w, &s, err);
	if (r >= 0 && o->verbose)
		fprintf(stderr, "imprint: watch: %zu fingerprints; sensor active: %s\n", w.n_fps,
			sensor_hooks(s));
	if (!o->stop) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	start = clock_monotonic_ms();
	while (r >= 0 && !(o->stop ? *o->stop : stopping)) {
		r = sensor_poll(s, 100);
		if (r >= 0)
			check_lost(&w, s, false);
		if (o->duration_ms && clock_monotonic_ms() - start >= o->duration_ms)
			break;
	}
	if (r >= 0 && s)
		check_lost(&w, s, true);
	if (r < 0 && !err->message[0])
		error_set(err, r, "sensor: %s", strerror(-r));
	for (size_t i = 0; i < w.n_fps; i++)
		behavior_free(w.fps[i]);
	free(w.fps);
	free(w.nodes);
	for (size_t i = 0; i < w.n_cgroups; i++) {
		free(w.cgroups[i].container);
		free(w.cgroups[i].image);
		free(w.cgroups[i].image_name);
		free(w.cgroups[i].diverged);
	}
	free(w.cgroups);
	return r < 0 ? r : 0;
}
