/* SPDX-License-Identifier: Apache-2.0 */
/* From sensor events to a behavioral fingerprint.
 *
 * Who owns what: struct learner owns every node and cgroup record; the sensor's callback
 * (learner_event) only appends to them, on the thread that polls. A node is a process as the
 * kernel side identifies it (a hash of its place in the tree); an exec in a process that had
 * exec'd before belongs to the same process (RAD puts both programs in one node), so such a
 * node is an alias of its parent. Events with node 0 happen before the entrypoint starts (the
 * runtime setting the container up) and are not the image's behavior: they are dropped.
 *
 * Where a process goes: a node whose parent is 0 was started from outside the container (the
 * runtime started it): the first one of a container is the entrypoint, the others are `podman
 * exec` sessions (RAD's "exec" entry). A node whose parent is not 0 but unknown had an ancestor
 * whose exec event was lost (ring buffer full): where it belongs in the tree cannot be known,
 * so it is left out with everything below it, and so are opens and connections of a node that
 * is unknown; they are counted ("unattributed") and the fingerprint is marked incomplete. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "basic/clock.h"
#include "basic/fs.h"
#include "image/image.h"
#include "learner.h"

#define NODES_MAX 200000
#define ITEMS_MAX 100000

struct lnode {
	uint64_t cgroup, id, parent;
	uint32_t uid, gid;
	bool same_process;
	struct bprogram program;
	char **files;
	size_t n_files;
	struct bconnection *conns;
	size_t n_conns;
	uint32_t *listen;
	size_t n_listen;
	size_t order;
};

struct lcgroup {
	uint64_t id;
	char *container; /* NULL: not a container we recognize */
	char *image;     /* its image ID, looked up while it runs (--rm removes it after) */
	uint64_t unattributed; /* opens and connections of processes whose exec was lost */
};

struct learner {
	const struct learn_options *o;
	struct lnode *nodes;
	size_t n_nodes, cap_nodes;
	size_t *index; /* open addressing by (cgroup, id): node index + 1, 0 empty; 2 * cap_nodes */
	struct lcgroup *cgroups;
	size_t n_cgroups;
	size_t dropped; /* over the caps */
	uint64_t unattributed; /* events left out of the containers learned (learn_stats) */
};

/* ---- containers by cgroup ---- */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

char *container_id_from_cgroup(const char *path)
{
	static const char *const prefixes[] = { "libpod-", "docker-", "crio-", "cri-containerd-", "" };
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]), len;
		const char *id;

		if (strncmp(base, prefixes[i], n) != 0)
			continue; /* and base + n may be past the end */
		id = base + n;
		len = strlen(id);
		if (len > 6 && strcmp(id + len - 6, ".scope") == 0)
			len -= 6;
		if (len == 64 && is_hex(id, 64))
			return strndup(id, 64);
	}
	return NULL;
}

static uint64_t wanted_ino;
static char found_path[4096];

static int match_ino(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D && st->st_ino == wanted_ino) {
		snprintf(found_path, sizeof(found_path), "%s", path);
		return 1;
	}
	return 0;
}

int proc_cgroup_v2(pid_t pid, char **ret)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/cgroup", (int)pid), *buf = NULL;
	char *line, *save = NULL;
	size_t len;

	if (!path || read_file(path, 1u << 16, &buf, &len) < 0)
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "0::", 3) == 0)
			return (*ret = strdup(line + 3)) ? 0 : -ENOMEM;
	return -ENOENT;
}

static const char *const cgroup2_roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };

int pid_in_cgroup(pid_t pid, uint64_t id, char **ret_path)
{
	_cleanup_free_ char *path = NULL;
	int r = pid > 0 ? proc_cgroup_v2(pid, &path) : -ESRCH;

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(cgroup2_roots); i++) {
		_cleanup_free_ char *dir = strdup_printf("%s%s", cgroup2_roots[i], path);
		struct stat st;

		if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((uint64_t)st.st_ino != id)
				return 0;
			if (ret_path)
				*ret_path = TAKE_PTR(path);
			return 1;
		}
	}
	return -ENOENT;
}

/* pid's cgroup if it is still the cgroup id (its directory's inode), or NULL. */
static char *cgroup_of_pid(uint64_t id, pid_t pid)
{
	char *path = NULL;

	return pid_in_cgroup(pid, id, &path) == 1 ? path : NULL;
}

/* Otherwise: the cgroup v2 directory whose inode number is the cgroup id. A walk that fails
 * (-1: a directory removed under it, as another container stops) is tried again, a few
 * times. Not thread-safe (nftw has no user data: the wanted inode is a static). */
static bool find_cgroup_dir(uint64_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(cgroup2_roots); i++) {
		int r = -1;

		for (int try = 0; try < 3 && r < 0; try++) {
			wanted_ino = id;
			found_path[0] = '\0';
			r = nftw(cgroup2_roots[i], match_ino, 32, FTW_PHYS | FTW_MOUNT);
		}
		if (r == 1)
			return true;
	}
	return false;
}

char *container_id_of_cgroup(uint64_t id, pid_t pid)
{
	_cleanup_free_ char *path = cgroup_of_pid(id, pid);

	if (path)
		return container_id_from_cgroup(path);
	return find_cgroup_dir(id) ? container_id_from_cgroup(found_path) : NULL;
}

bool cgroup_exists(uint64_t id)
{
	return find_cgroup_dir(id);
}

static struct lcgroup *cgroup_get(struct learner *l, uint64_t id, pid_t pid)
{
	struct lcgroup *grown;

	for (size_t i = 0; i < l->n_cgroups; i++)
		if (l->cgroups[i].id == id)
			return &l->cgroups[i];
	grown = realloc(l->cgroups, (l->n_cgroups + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	l->cgroups = grown;
	grown[l->n_cgroups] = (struct lcgroup){ .id = id,
						     .container = container_id_of_cgroup(id, pid) };
	if (grown[l->n_cgroups].container) {
		const char *root = l->o && l->o->storage_root ? l->o->storage_root
							       : DEFAULT_STORAGE_ROOT;

		grown[l->n_cgroups].image =
			container_image_id(&root, 1, grown[l->n_cgroups].container);
	}
	return &grown[l->n_cgroups++];
}

char *container_image_id(const char *const *roots, size_t n_roots, const char *container)
{
	char *image = NULL;

	for (size_t i = 0; i < n_roots && !image; i++) {
		_cleanup_free_ char *path = strdup_printf("%s/overlay-containers/containers.json",
							  roots[i]);
		_cleanup_free_ char *buf = NULL;
		json_t *j, *c;
		size_t len, k;

		if (!path || read_file(path, 64u << 20, &buf, &len) < 0)
			continue;
		j = json_loadb(buf, len, 0, NULL);
		json_array_foreach(j, k, c) {
			const char *id = json_string_value(json_object_get(c, "id"));
			const char *img = json_string_value(json_object_get(c, "image"));

			if (!image && id && img && strcmp(id, container) == 0)
				image = strdup(img);
		}
		json_decref(j);
	}
	return image;
}

/* Whether the container runs the image we learn (when we know which). */
static bool wanted_image(const struct learn_options *o, const struct lcgroup *cg)
{
	if (!o->image_digest || strncmp(o->image_digest, "sha256:", 7) != 0)
		return true;
	return cg->image && strcmp(cg->image, o->image_digest + 7) == 0;
}

/* ---- nodes ---- */

/* Nodes are looked up by (cgroup, id) at every event and while the tree is built: a hash
 * index, not a scan (an exec storm makes thousands of nodes). */
static size_t node_slot(uint64_t cgroup, uint64_t id, size_t mask)
{
	uint64_t h = (id ^ (cgroup * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;

	return (size_t)(h ^ (h >> 32)) & mask;
}

static struct lnode *node_find(struct learner *l, uint64_t cgroup, uint64_t id)
{
	size_t mask = 2 * l->cap_nodes - 1;

	if (!l->index)
		return NULL;
	for (size_t i = node_slot(cgroup, id, mask); l->index[i]; i = (i + 1) & mask) {
		struct lnode *n = &l->nodes[l->index[i] - 1];

		if (n->id == id && n->cgroup == cgroup)
			return n;
	}
	return NULL;
}

static void index_put(struct learner *l, size_t k)
{
	size_t mask = 2 * l->cap_nodes - 1, i;

	for (i = node_slot(l->nodes[k].cgroup, l->nodes[k].id, mask); l->index[i];)
		i = (i + 1) & mask;
	l->index[i] = k + 1;
}

static struct lnode *node_add(struct learner *l, uint64_t cgroup, uint64_t id)
{
	if (l->n_nodes == l->cap_nodes) {
		size_t cap = l->cap_nodes ? 2 * l->cap_nodes : 64;
		struct lnode *grown;
		size_t *index;

		if (cap > NODES_MAX)
			return NULL;
		grown = realloc(l->nodes, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		l->nodes = grown;
		index = calloc(2 * cap, sizeof(*index));
		if (!index)
			return NULL;
		free(l->index);
		l->index = index;
		l->cap_nodes = cap;
		for (size_t k = 0; k < l->n_nodes; k++)
			index_put(l, k);
	}
	l->nodes[l->n_nodes] = (struct lnode){ .cgroup = cgroup, .id = id, .order = l->n_nodes };
	index_put(l, l->n_nodes);
	return &l->nodes[l->n_nodes++];
}

/* The node that stands for the process: follow same-process execs to their first node. */
static struct lnode *owner(struct learner *l, struct lnode *n)
{
	for (int depth = 0; n && n->same_process && depth < BEHAVIOR_MAX_DEPTH; depth++) {
		struct lnode *p = node_find(l, n->cgroup, n->parent);

		if (!p)
			break;
		n = p;
	}
	return n;
}

static int on_exec(struct learner *l, const struct sensor_exec *e)
{
	struct lnode *n = node_find(l, e->h.cgroup, e->h.node);
	size_t len = e->args_len < SENSOR_ARGS_MAX ? e->args_len : SENSOR_ARGS_MAX;

	if (n)
		return 0;
	n = node_add(l, e->h.cgroup, e->h.node);
	if (!n)
		return -ENOMEM;
	n->parent = e->h.parent;
	n->uid = e->h.uid;
	n->gid = e->h.gid;
	n->same_process = e->h.flags & SENSOR_SAME_PROCESS;
	n->program.comm = strndup(e->comm, SENSOR_COMM_MAX);
	n->program.args = calloc(BEHAVIOR_ARGS_MAX, sizeof(char *));
	if (!n->program.comm || !n->program.args)
		return -ENOMEM;
	for (size_t off = 0; off < len && n->program.n_args < BEHAVIOR_ARGS_MAX;) {
		size_t k = strnlen(e->args + off, len - off);

		n->program.args[n->program.n_args] = strndup(e->args + off, k);
		if (!n->program.args[n->program.n_args++])
			return -ENOMEM;
		off += k + 1;
	}
	return cgroup_get(l, e->h.cgroup, (pid_t)e->h.pid) ? 0 : -ENOMEM;
}

static struct lnode *event_owner(struct learner *l, const struct sensor_header *h)
{
	struct lnode *n = node_find(l, h->cgroup, h->node);

	return n ? owner(l, n) : NULL;
}

/* An event of a node we have no exec for (node 0, the runtime's setup, is filtered before). */
static int unattributed(struct learner *l, const struct sensor_header *h)
{
	struct lcgroup *cg = cgroup_get(l, h->cgroup, (pid_t)h->pid);

	if (!cg)
		return -ENOMEM;
	cg->unattributed++;
	return 0;
}

static int on_open(struct learner *l, const struct sensor_open *e)
{
	struct lnode *n = event_owner(l, &e->h);
	char **grown;

	if (!n)
		return unattributed(l, &e->h);
	if (n->n_files == ITEMS_MAX) {
		l->dropped++;
		return 0;
	}
	grown = realloc(n->files, (n->n_files + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	n->files = grown;
	grown[n->n_files] = strndup(e->path, SENSOR_PATH_MAX);
	return grown[n->n_files++] ? 0 : -ENOMEM;
}

static int on_net(struct learner *l, const struct sensor_net *e)
{
	struct lnode *n = event_owner(l, &e->h);
	char text[INET6_ADDRSTRLEN];

	if (!n)
		return unattributed(l, &e->h);
	if (e->h.type == SENSOR_LISTEN) {
		uint32_t *grown = realloc(n->listen, (n->n_listen + 1) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		n->listen = grown;
		grown[n->n_listen++] = e->port;
		return 0;
	}
	struct bconnection *grown = realloc(n->conns, (n->n_conns + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	n->conns = grown;
	inet_ntop(e->family == 2 ? AF_INET : AF_INET6, e->addr, text, sizeof(text));
	grown[n->n_conns] = (struct bconnection){
		.address = strdup(text),
		.port = e->port,
		.protocol = strdup(e->h.flags & SENSOR_PROTO_UDP ? "udp" : "tcp"),
	};
	n->n_conns++;
	return grown[n->n_conns - 1].address && grown[n->n_conns - 1].protocol ? 0 : -ENOMEM;
}

static int learner_event(void *userdata, const void *data, size_t len)
{
	struct learner *l = userdata;
	const struct sensor_header *h = data;

	if (len < sizeof(*h) || h->node == 0)
		return 0;
	switch (h->type) {
	case SENSOR_EXEC:
		return len >= sizeof(struct sensor_exec) ? on_exec(l, data) : 0;
	case SENSOR_OPEN:
		return len >= sizeof(struct sensor_open) ? on_open(l, data) : 0;
	case SENSOR_CONNECT:
	case SENSOR_LISTEN:
		return len >= sizeof(struct sensor_net) ? on_net(l, data) : 0;
	default:
		return 0;
	}
}

static void learner_free(struct learner *l)
{
	for (size_t i = 0; i < l->n_nodes; i++) {
		struct lnode *n = &l->nodes[i];

		free(n->program.comm);
		for (size_t k = 0; k < n->program.n_args; k++)
			free(n->program.args[k]);
		free(n->program.args);
		for (size_t k = 0; k < n->n_files; k++)
			free(n->files[k]);
		free(n->files);
		for (size_t k = 0; k < n->n_conns; k++) {
			free(n->conns[k].address);
			free(n->conns[k].protocol);
		}
		free(n->conns);
		free(n->listen);
	}
	free(l->nodes);
	free(l->index);
	for (size_t i = 0; i < l->n_cgroups; i++) {
		free(l->cgroups[i].container);
		free(l->cgroups[i].image);
	}
	free(l->cgroups);
}

/* ---- building the behavior ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Move the node's findings (and those of its same-process aliases) into p. */
static int fill_process(struct learner *l, const struct sensor *s, struct lnode *n,
			struct bprocess *p, int depth);

static int add_child(struct learner *l, const struct sensor *s, struct lnode *c,
		     struct bprocess *p, int depth)
{
	struct bprocess *grown = realloc(p->children, (p->n_children + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	p->children = grown;
	grown[p->n_children] = (struct bprocess){ 0 };
	p->n_children++;
	return fill_process(l, s, c, &grown[p->n_children - 1], depth + 1);
}

static int take_program(struct bprocess *p, struct bprogram *prog)
{
	struct bprogram *grown = realloc(p->programs, (p->n_programs + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	p->programs = grown;
	grown[p->n_programs++] = *prog;
	*prog = (struct bprogram){ 0 };
	return 0;
}

static int take_items(struct bprocess *p, struct lnode *n)
{
	char **files = realloc(p->files, (p->n_files + n->n_files + 1) * sizeof(char *));
	struct bconnection *conns = realloc(p->connections,
					    (p->n_connections + n->n_conns + 1) * sizeof(*conns));
	uint32_t *listen = realloc(p->listening, (p->n_listening + n->n_listen + 1) * sizeof(uint32_t));

	if (files)
		p->files = files;
	if (conns)
		p->connections = conns;
	if (listen)
		p->listening = listen;
	if (!files || !conns || !listen)
		return -ENOMEM;
	/* memcpy() from NULL is undefined even for 0 bytes */
	if (n->n_files)
		memcpy(files + p->n_files, n->files, n->n_files * sizeof(char *));
	p->n_files += n->n_files;
	if (n->n_conns)
		memcpy(conns + p->n_connections, n->conns, n->n_conns * sizeof(*conns));
	p->n_connections += n->n_conns;
	if (n->n_listen)
		memcpy(listen + p->n_listening, n->listen, n->n_listen * sizeof(uint32_t));
	p->n_listening += n->n_listen;
	n->n_files = n->n_conns = n->n_listen = 0;
	return 0;
}

static int fill_process(struct learner *l, const struct sensor *s, struct lnode *n,
			struct bprocess *p, int depth)
{
	int r;

	if (depth >= BEHAVIOR_MAX_DEPTH)
		return -ELOOP;
	p->uid = n->uid;
	p->gid = n->gid;
	p->count = sensor_count(s, n->cgroup, n->id) ?: 1;
	r = take_program(p, &n->program);
	if (r >= 0)
		r = take_items(p, n);
	/* same-process execs (a chain of them): more programs of this process */
	for (size_t i = 0; r >= 0 && i < l->n_nodes; i++) {
		struct lnode *c = &l->nodes[i];

		if (c->cgroup != n->cgroup || !c->same_process || c == n || owner(l, c) != n)
			continue;
		r = take_program(p, &c->program);
		if (r >= 0)
			r = take_items(p, c);
	}
	/* real children: child nodes, forked by n or by one of its aliases */
	for (size_t i = 0; r >= 0 && i < l->n_nodes; i++) {
		struct lnode *c = &l->nodes[i], *o;

		if (c->cgroup != n->cgroup || c->same_process || c == n || c->parent == 0)
			continue;
		if (c->parent == n->id) {
			r = add_child(l, s, c, p, depth);
			continue;
		}
		o = node_find(l, c->cgroup, c->parent);
		if (o && o->same_process && owner(l, o) == n)
			r = add_child(l, s, c, p, depth);
	}
	return r;
}

/* Started from outside the container: the entrypoint or an exec session. */
static bool is_root(const struct lnode *n)
{
	return !n->same_process && n->parent == 0;
}

/* Whether n hangs from a root: every ancestor's exec event arrived. */
static bool attributed(struct learner *l, struct lnode *n)
{
	for (int depth = 0; n && depth <= 2 * BEHAVIOR_MAX_DEPTH; depth++) {
		if (is_root(n))
			return true;
		if (n->parent == 0)
			return false; /* a same-process exec of nothing */
		n = node_find(l, n->cgroup, n->parent);
	}
	return false;
}

/* The events of the nodes of cg that are left out of the tree (attributed() is false): the
 * exec, and the files, connections and ports recorded under it. */
static uint64_t unattributed_events(struct learner *l, const struct lcgroup *cg)
{
	uint64_t n = 0;

	for (size_t i = 0; i < l->n_nodes; i++) {
		struct lnode *x = &l->nodes[i];

		if (x->cgroup == cg->id && !attributed(l, x))
			n += 1 + x->n_files + x->n_conns + x->n_listen;
	}
	return n;
}

/* A stable name: the image's repository base name ("localhost/busybox:latest" -> "busybox"),
 * as RAD names containers; the container id only when no image was named. */
static char *container_name(const char *image, const char *id)
{
	const char *base;
	size_t n;

	if (!image)
		return strdup(id);
	base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
	n = strcspn(base, ":@");
	return n ? strndup(base, n) : strdup(id);
}

/* RAD's "exec" entry: one root (program "exec", no uid or gid, as in RAD's catalog) whose
 * children are the sessions. */
static int exec_root(struct bcontainer *c)
{
	if (c->exec)
		return 0;
	c->exec = calloc(1, sizeof(*c->exec));
	if (!c->exec)
		return -ENOMEM;
	c->exec->ids_unknown = true;
	return bprocess_add_program(c->exec, "exec", NULL, 0, NULL);
}

static int build_container(struct learner *l, const struct sensor *s, struct lcgroup *cg,
			   const struct learn_options *o, struct bcontainer *c)
{
	struct lnode *entry = NULL;
	int r = 0;

	c->name = container_name(o->image_name, cg->container);
	c->image_name = dup_or_null(o->image_name);
	c->image_digest = dup_or_null(o->image_digest);
	if (!c->name)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < l->n_nodes; i++) {
		struct lnode *n = &l->nodes[i];

		if (n->cgroup != cg->id || !is_root(n))
			continue;
		if (!entry) {
			entry = n;
			r = fill_process(l, s, n, &c->entrypoint, 0);
		} else {
			/* another process started from outside: a podman exec session */
			r = exec_root(c);
			if (r >= 0)
				r = add_child(l, s, n, c->exec, 0);
		}
	}
	return r;
}

static int learner_build(struct learner *l, const struct sensor *s,
			 const struct learn_options *o, struct behavior **ret, struct error *err)
{
	_cleanup_(behavior_freep) struct behavior *b = behavior_new();
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	int r = 0;

	if (!b)
		return -ENOMEM;
	/* SOURCE_DATE_EPOCH (reproducible-builds.org): a fixed time gives a byte-identical file */
	if (getenv("SOURCE_DATE_EPOCH"))
		t = (time_t)strtoll(getenv("SOURCE_DATE_EPOCH"), NULL, 10);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b->created = strdup(now);
	b->complete = true;
	for (size_t i = 0; r >= 0 && i < l->n_cgroups; i++) {
		struct lcgroup *cg = &l->cgroups[i];
		struct bcontainer *grown;
		uint64_t lost;

		if (!cg->container)
			continue;
		if (o->container && strncmp(cg->container, o->container, strlen(o->container)) != 0)
			continue;
		if (!wanted_image(o, cg))
			continue;
		lost = sensor_lost(s, cg->id);
		b->lost_events += lost;
		if (lost)
			b->complete = false;
		l->unattributed += cg->unattributed + unattributed_events(l, cg);
		grown = realloc(b->containers, (b->n_containers + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		b->containers = grown;
		grown[b->n_containers] = (struct bcontainer){ 0 };
		b->n_containers++;
		r = build_container(l, s, cg, o, &grown[b->n_containers - 1]);
	}
	if (l->dropped || l->unattributed)
		b->complete = false;
	if (r < 0)
		return error_set(err, r, "cannot build the fingerprint: %s", strerror(-r));
	if (b->n_containers == 0)
		return error_set(err, -ENOENT, "no container ran%s%s while learning",
				 o->container ? " with id " : "", o->container ? o->container : "");
	r = behavior_canonicalize(b, err);
	if (r < 0)
		return error_prefix(err, r, "the learned fingerprint is not valid");
	*ret = TAKE_PTR(b);
	return 0;
}

/* ---- running ---- */

int learn_run(const struct learn_options *o, struct behavior **ret, struct learn_stats *ret_stats,
	      struct error *err)
{
	struct learner l = { .o = o };
	_cleanup_(sensor_freep) struct sensor *s = NULL;
	int64_t end = clock_monotonic_ms() + o->duration_ms;
	pid_t child = -1;
	int r, status = 0;

	r = sensor_start(learner_event, &l, &s, err);
	if (r < 0)
		return r;
	if (o->verbose)
		fprintf(stderr, "imprint: learn: sensor active: %s\n", sensor_hooks(s));
	if (o->command) {
		child = fork();
		if (child < 0) {
			learner_free(&l);
			return error_set(err, -errno, "fork: %m");
		}
		if (child == 0) {
			execvp(o->command[0], o->command);
			fprintf(stderr, "imprint: learn: cannot run %s: %m\n", o->command[0]);
			_exit(127);
		}
	}
	for (;;) {
		r = sensor_poll(s, 100);
		if (r < 0)
			break;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			child = -1;
			end = clock_monotonic_ms() + 300; /* what is still in the ring buffer */
		}
		if (child < 0 && clock_monotonic_ms() >= end)
			break;
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	if (r >= 0)
		r = learner_build(&l, s, o, ret, err);
	else
		error_set(err, r, "sensor: %s", strerror(-r));
	learner_free(&l);
	*ret_stats = (struct learn_stats){
		.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		.unattributed = l.unattributed,
	};
	return r;
}
