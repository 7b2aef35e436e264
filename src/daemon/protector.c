/* SPDX-License-Identifier: Apache-2.0 */
/* imprintd's runtime protection: ownership and threads are described in protector.h. */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert_sink.h"
#include "basic/fs.h"
#include "container/rootfs.h"
#include "enforce/files.h"
#include "enforce/guard.h"
#include "enforce/protection.h"
#include "fingerprint/fingerprint.h"
#include "image/image.h"
#include "protector.h"
#include "sensor/learner.h"

#define CONTAINERS_MAX GUARD_CONTAINERS_MAX
#define BEHAVIOR_FILES_MAX 4096

/* A directory of the container's overlay mount. */
struct pc_layer {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct pc {
	char *id, *image, *image_name, *storage_root;
	char *runc_root;    /* a plain runc container (imprint-runc): its state is here */
	pid_t pid;
	struct policy_enforcement enf;
	time_t queued;
	bool adopt;         /* listed in the pins by a previous run: running already */
	bool prearmed;      /* its kernel-side layers were armed at create, for cgroup */
	uint64_t cgroup;
	bool layer_changed; /* reported already */
	char *cgroup_dir;   /* known from its pid at create; NULL if not */
	struct pc_layer *layers;
	size_t n_layers;
	char *error;        /* why protecting failed (status shows it) */
	struct protection *prot;
	struct files *files; /* file protection, if the entry asks for it */
};

struct protector {
	struct protector_options o;
	char *pin_dir, *state_dir, *behavior_dir;
	struct guard *g;
	struct alert_queue *alerts;
	FILE *sink; /* alert_sink: the events database and the metrics */
	char lsm[160];
	bool lsm_loads;
	pthread_t thread;
	bool started;
	int wake; /* eventfd */
	pthread_mutex_t lock;
	bool stop;
	struct pc *pcs[CONTAINERS_MAX];
	size_t n;
};

static void pc_free(struct pc *c, struct guard *g, bool release)
{
	if (!c)
		return;
	/* read-only mounts outlive a stop (still preventing; a restart adopts them) */
	files_free(c->files, release);
	if (release && !c->prot && c->prearmed && g)
		guard_release(g, c->cgroup); /* armed at create, never started */
	protection_free(c->prot, g, release);
	free(c->id);
	free(c->image);
	free(c->image_name);
	free(c->storage_root);
	free(c->runc_root);
	free(c->cgroup_dir);
	for (size_t i = 0; i < c->n_layers; i++)
		free(c->layers[i].path);
	free(c->layers);
	free(c->error);
	free(c);
}

/* The lower and upper directories of the container's overlay mount: from its bundle (before
 * it starts) or its first process pid's mount at "/" (adopted, or no bundle given). Called with
 * the lock held, or before c is listed. */
static void pc_read_layers(struct pc *c, const char *bundle, pid_t pid)
{
	struct rootfs rf = { 0 };
	struct error err = { 0 };
	size_t n;
	int r = bundle ? rootfs_from_bundle(bundle, &rf, &err)
		: pid > 0 ? rootfs_from_pid(pid, &rf, &err) : -ENOENT;

	if (r < 0 || !rf.overlay || c->layers) {
		rootfs_release(&rf);
		return;
	}
	n = rf.n_lower + (rf.upper ? 1 : 0);
	c->layers = calloc(n, sizeof(*c->layers));
	for (size_t i = 0; c->layers && i < n; i++) {
		const char *dir = i < rf.n_lower ? rf.lower[i] : rf.upper;
		struct stat st;

		if (stat(dir, &st) < 0)
			continue;
		c->layers[c->n_layers++] = (struct pc_layer){ .dev = st.st_dev, .ino = st.st_ino,
							      .path = strdup(dir) };
	}
	rootfs_release(&rf);
}

/* ---- state files: what a restarted daemon adopts ---- */

static char *state_path(struct protector *p, uint64_t cgroup)
{
	return strdup_printf("%s/%" PRIu64 ".json", p->state_dir, cgroup);
}

static void state_write(struct protector *p, const struct pc *c, uint64_t cgroup)
{
	_cleanup_free_ char *path = state_path(p, cgroup), *text = NULL;
	json_t *j = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s,s:s,s:b}", "id", c->id,
			      "image", c->image, "imageName", c->image_name, "storageRoot",
			      c->storage_root, "runcRoot", c->runc_root, "exec",
			      policy_enforce_to_string(c->enf.exec), "network",
			      policy_enforce_to_string(c->enf.network), "files",
			      policy_enforce_to_string(c->enf.files), "treeAware",
			      c->enf.tree_aware);

	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (path && text && write_file_atomic(path, text, strlen(text), 0600) < 0)
		fprintf(stderr, "imprintd: cannot write %s: %m\n", path);
}

static struct pc *state_read(struct protector *p, uint64_t cgroup)
{
	_cleanup_free_ char *path = state_path(p, cgroup), *buf = NULL;
	struct pc *c;
	json_t *j;
	size_t len;

	if (!path || read_file(path, 64 * 1024, &buf, &len) < 0)
		return NULL;
	j = json_loadb(buf, len, 0, NULL);
	c = calloc(1, sizeof(*c));
	if (!c || !json_string_value(json_object_get(j, "id"))) {
		json_decref(j);
		free(c);
		return NULL;
	}
#define DUP(k) (json_string_value(json_object_get(j, k)) ? strdup(json_string_value(json_object_get(j, k))) : NULL)
	c->id = DUP("id");
	c->image = DUP("image");
	c->image_name = DUP("imageName");
	c->storage_root = DUP("storageRoot");
	c->runc_root = DUP("runcRoot");
#undef DUP
	policy_enforce_from_string(json_string_value(json_object_get(j, "exec")), &c->enf.exec);
	policy_enforce_from_string(json_string_value(json_object_get(j, "network")),
				   &c->enf.network);
	policy_enforce_from_string(json_string_value(json_object_get(j, "files")), &c->enf.files);
	c->enf.tree_aware = json_is_true(json_object_get(j, "treeAware"));
	c->adopt = true;
	c->queued = time(NULL);
	json_decref(j);
	return c;
}

static void on_guard_event(void *userdata, const struct guard_event *e);

/* ---- arming one container ---- */

static unsigned guard_mode_of(enum policy_enforce e)
{
	return e == POLICY_ENFORCE_ENFORCE ? GUARD_ENFORCE
	       : e == POLICY_ENFORCE_MONITOR ? GUARD_MONITOR : 0;
}

/* The behavioral fingerprint whose imageDigest is the container's image, if any. */
static struct behavior *find_behavior(struct protector *p, const char *image)
{
	DIR *d = p->behavior_dir && *p->behavior_dir && image ? opendir(p->behavior_dir) : NULL;
	struct behavior *found = NULL;
	struct dirent *de;
	size_t n = 0;

	while (d && !found && (de = readdir(d)) && n++ < BEHAVIOR_FILES_MAX) {
		_cleanup_free_ char *path = NULL;
		struct behavior *b = NULL;
		struct error err = { 0 };
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		path = strdup_printf("%s/%s", p->behavior_dir, de->d_name);
		if (!path || behavior_read(path, &b, &err) < 0)
			continue;
		for (size_t i = 0; i < b->n_containers; i++)
			if (b->containers[i].image_digest &&
			    strcmp(b->containers[i].image_digest, image) == 0)
				found = b;
		if (!found)
			behavior_free(b);
	}
	if (d)
		closedir(d);
	return found;
}

/* Whether the runtime has pivoted the container's first process into its rootfs (its root
 * is no longer ours): from then on its mounts are the container's. */
static bool has_pivoted(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if (stat(path, &a) < 0 || stat("/", &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* The content table executables are checked against: the image's, from containers-storage;
 * for a plain runc container, its rootfs (imprint-runc verified it just before). */
static int load_table(const struct pc *c, const char *rootfs, struct fingerprint **ret,
		      struct error *err)
{
	struct image_options io = { .storage_root = c->storage_root };
	_cleanup_free_ char *source = NULL;
	struct fingerprint_options fo;

	if (rootfs)
		source = strdup_printf("dir:%s", rootfs);
	else if (!c->image || strncmp(c->image, "sha256:", 7))
		return error_set(err, -ENOENT, "no image ID");
	else
		source = strdup_printf("containers-storage:%s", c->image + 7);
	if (!source)
		return -ENOMEM;
	fingerprint_options_default(&fo);
	return fingerprint_source(source, &io, &fo, ret, err);
}

/* The guard is opened when the first container needs it (or pins exist at start) and
 * dropped when the last one is released (guard_release() then unpinned everything), so a
 * daemon that protects nothing leaves nothing attached. Called with the lock held. */
static int guard_need(struct protector *p, struct error *err)
{
	return p->g ? 0 : guard_open(p->pin_dir, on_guard_event, p, &p->g, err);
}

static void guard_drop_if_unpinned(struct protector *p)
{
	_cleanup_free_ char *map = strdup_printf("%s/guard_protected", p->pin_dir);

	if (p->g && map && access(map, F_OK) < 0 && errno == ENOENT)
		p->g = guard_free(p->g);
}

static enum files_mode files_mode_of(enum policy_enforce e)
{
	return e == POLICY_ENFORCE_ENFORCE ? FILES_ENFORCE
	       : e == POLICY_ENFORCE_MONITOR ? FILES_MONITOR : FILES_OFF;
}

static int arm(struct protector *p, const struct pc *c, struct protection **ret,
	       struct files **ret_files, uint64_t *ret_cgroup, struct error *err)
{
	struct protect_target t = { .pidfd = -1, .cgroup_fd = -1 };
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	_cleanup_free_ char *rootfs = NULL;
	struct fingerprint *fp = NULL;
	int r = c->runc_root ? target_from_runc(c->runc_root, c->id, &t, &rootfs, err)
			     : target_find(c->id, &t, err);

	if (r >= 0) {
		pthread_mutex_lock(&p->lock);
		r = guard_need(p, err);
		pthread_mutex_unlock(&p->lock);
	}
	if (r >= 0 && mkdir(p->state_dir, 0700) < 0 && errno != EEXIST)
		r = error_set(err, -errno, "cannot create %s: %m", p->state_dir);
	if (r >= 0)
		r = load_table(c, rootfs, &fp, err);
	if (r < 0) {
		target_release(&t);
		return r;
	}
	*ret_cgroup = t.cgroup;
	/* before the exec layer marks the container's mounts, so that it marks these too */
	if (c->enf.files != POLICY_ENFORCE_OFF) {
		r = files_start(&(struct files_options){ .mode = files_mode_of(c->enf.files),
							 .alerts = p->alerts, .json = true },
				t.id, t.pid, t.cgroup, ret_files, err);
		if (r < 0) {
			target_release(&t);
			fingerprint_free(fp);
			return r;
		}
	}
	b = find_behavior(p, c->image);
	r = protection_start(&(struct protection_options){
					.exec_mode = guard_mode_of(c->enf.exec),
					.net_mode = b ? guard_mode_of(c->enf.network) : 0,
					.behavior = b,
					.tree_aware = c->enf.tree_aware,
					.raw_sockets = c->enf.raw_sockets,
					.loader_as_program = c->enf.loader_as_program,
					.prearmed = c->prearmed,
					.timeout_ms = p->o.timeout_ms,
					.alerts = p->alerts, .json = true },
				&t, fp, p->g, ret, err);
	if (r < 0)
		*ret_files = files_free(*ret_files, true);
	return r;
}

static void say_protected(struct protector *p, struct pc *c)
{
	struct protection_info in;
	_cleanup_free_ char *layers = protection_describe(c->prot, p->g, p->lsm);
	struct alert a = { .rule = "protect_started", .priority = "Informational",
			   .decision = ALERT_ALLOW, .layer = "imprintd" };

	protection_info(c->prot, &in);
	fprintf(stderr, "imprintd: protecting container %.12s (pid %d, cgroup %" PRIu64 "): "
		"exec %s, network %s%s; layers: %s\n", c->id, (int)in.pid, in.cgroup,
		guard_mode_to_string(in.exec_mode), guard_mode_to_string(in.net_mode),
		in.adopted ? ", adopted from a previous run" : "", layers ? layers : "?");
	a.summary = layers ? layers : "?";
	a.container = c->id;
	a.pid = in.pid;
	a.reason = in.adopted ? "adopted" : guard_mode_to_string(in.exec_mode);
	alert_queue_push(p->alerts, alert_format(&a, true));
}

/* ---- the thread ---- */

static void on_guard_event(void *userdata, const struct guard_event *e)
{
	struct protector *p = userdata;

	for (size_t i = 0; i < p->n; i++)
		if (p->pcs[i]->prot && protection_on_event(p->pcs[i]->prot, e))
			return;
}

/* One pass over the list: arm what started, drop what ended. Called without the lock; takes
 * it for the list only (arming hashes files and must not hold up status requests). */
static void tick(struct protector *p)
{
	for (size_t i = 0;; i++) {
		struct error err = { 0 };
		uint64_t cgroup = 0;
		struct protection *prot = NULL;
		struct files *files = NULL;
		struct pc *c;
		bool ended = false, expired;
		int r;

		pthread_mutex_lock(&p->lock);
		c = i < p->n ? p->pcs[i] : NULL;
		if (c && c->prot)
			ended = protection_ended(c->prot);
		pthread_mutex_unlock(&p->lock);
		if (!c)
			break;
		expired = !c->prot && time(NULL) - c->queued > PROTECTOR_START_TIMEOUT_S;
		if (ended || expired || (c->error && !c->prot)) {
			struct protection_info in = { 0 };

			if (c->prot)
				protection_info(c->prot, &in);
			if (ended) {
				_cleanup_free_ char *path = state_path(p, in.cgroup);

				fprintf(stderr, "imprintd: container %.12s ended\n", c->id);
				if (path)
					unlink(path);
			}
			if (c->error)
				fprintf(stderr, "imprintd: cannot protect container %.12s: %s\n",
					c->id, c->error);
			pthread_mutex_lock(&p->lock);
			p->pcs[i] = p->pcs[--p->n];
			/* ended, or never protected (a kernel-side arming at create is undone) */
			pc_free(c, p->g, ended || !c->prot);
			guard_drop_if_unpinned(p);
			pthread_mutex_unlock(&p->lock);
			i--;
			continue;
		}
		if (c->prot || (!c->adopt && (c->pid <= 0 || !has_pivoted(c->pid))))
			continue;
		r = arm(p, c, &prot, &files, &cgroup, &err);
		pthread_mutex_lock(&p->lock);
		c->prot = r >= 0 ? prot : NULL;
		c->files = files;
		if (r < 0) {
			c->error = strdup(err.message[0] ? err.message : strerror(-r));
			guard_drop_if_unpinned(p);
		}
		pthread_mutex_unlock(&p->lock);
		if (r >= 0) {
			struct protection_info in;

			protection_info(prot, &in);
			pthread_mutex_lock(&p->lock);
			if (!c->cgroup_dir)
				c->cgroup_dir = strdup(in.cgroup_dir);
			pc_read_layers(c, NULL, in.pid);
			pthread_mutex_unlock(&p->lock);
			state_write(p, c, cgroup);
			say_protected(p, c);
		}
	}
}

static void *run(void *userdata)
{
	struct protector *p = userdata;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = p->g ? guard_poll_fd(p->g) : -1, .events = POLLIN },
					 { .fd = p->wake, .events = POLLIN } };
		uint64_t v;
		bool stop;

		poll(pfd, 2, 100);
		if (pfd[1].revents)
			(void)!read(p->wake, &v, sizeof(v)); /* it only wakes us */
		pthread_mutex_lock(&p->lock);
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		/* Arm first: reports a previous run left in the pinned ring buffer are about
		 * containers adopted here, and need their protection to be told apart. */
		tick(p);
		pthread_mutex_lock(&p->lock);
		if (p->g)
			guard_poll(p->g, 0);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

static enum policy_enforce enforce_of_guard(unsigned mode)
{
	return mode == GUARD_ENFORCE ? POLICY_ENFORCE_ENFORCE
	       : mode == GUARD_MONITOR ? POLICY_ENFORCE_MONITOR : POLICY_ENFORCE_OFF;
}

static void state_alert(struct protector *p, const char *id, const char *reason,
			const char *summary)
{
	struct alert a = { .rule = "protect_state_altered", .priority = "Warning",
			   .decision = ALERT_ALLOW, .layer = "imprintd", .container = id,
			   .reason = reason, .summary = summary };

	fprintf(stderr, "imprintd: %s\n", summary);
	alert_queue_push(p->alerts, alert_format(&a, true));
}

/* The state file is only a note of what to adopt: a mode is never lower than the one the
 * kernel-side layer was armed with (its pinned entry, which a file writer cannot change). */
static void never_weaker(struct protector *p, struct pc *c, uint64_t cgroup,
			 const struct guard_container *pinned)
{
	enum policy_enforce exec = enforce_of_guard(pinned->mode & GUARD_MODE_MASK);
	enum policy_enforce net = enforce_of_guard(pinned->net_mode);
	_cleanup_free_ char *why = NULL;

	if (c->enf.exec >= exec && c->enf.network >= net)
		return;
	why = strdup_printf("container %.12s (cgroup %" PRIu64 "): its state file says exec %s, "
			    "network %s, weaker than the pinned exec %s, network %s: adopted with "
			    "the pinned modes",
			    c->id, cgroup, policy_enforce_to_string(c->enf.exec),
			    policy_enforce_to_string(c->enf.network), policy_enforce_to_string(exec),
			    policy_enforce_to_string(net));
	if (c->enf.exec < exec)
		c->enf.exec = exec;
	if (c->enf.network < net)
		c->enf.network = net;
	state_alert(p, c->id, "state-weaker-than-pinned", why ? why : "state file altered");
}

/* A pinned container without a state file: kept armed kernel-side while its cgroup lives
 * (its user-space layers cannot be restored without the file), released once it is gone. */
static void keep_or_release(struct protector *p, uint64_t cgroup)
{
	_cleanup_free_ char *id = container_id_of_cgroup(cgroup, 0), *why = NULL;

	if (!id && !cgroup_exists(cgroup)) {
		fprintf(stderr, "imprintd: cgroup %" PRIu64 " is pinned, has no state file and no "
			"longer exists: released\n", cgroup);
		guard_release(p->g, cgroup);
		return;
	}
	why = strdup_printf("cgroup %" PRIu64 " (container %.12s) is protected but its state file "
			    "is missing or unreadable: kept armed by the kernel-side layer as pinned",
			    cgroup, id ? id : "?");
	state_alert(p, id, "state-missing", why ? why : "state file missing");
}

/* Containers a previous run protected: every cgroup in the pinned guard_protected map. */
static void adopt_pinned(struct protector *p)
{
	_cleanup_free_ char *map = strdup_printf("%s/guard_protected", p->pin_dir);
	int fd = map ? bpf_obj_get(map) : -1;
	uint64_t key, *prev = NULL, k;
	uint64_t orphans[CONTAINERS_MAX];
	size_t n_orphans = 0;

	struct error err = { 0 };

	if (fd < 0)
		return;
	if (guard_open(p->pin_dir, on_guard_event, p, &p->g, &err) < 0) {
		fprintf(stderr, "imprintd: cannot adopt the pins in %s: %s\n", p->pin_dir,
			err.message);
		close(fd);
		return;
	}
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		struct pc *c = state_read(p, key);
		struct guard_container pinned;
		struct guard_net_policy net;

		if (c && guard_container_get(p->g, key, &pinned) >= 0)
			never_weaker(p, c, key, &pinned);
		/* raw sockets as armed: not a state file's to say */
		if (c)
			c->enf.raw_sockets = guard_net_get(p->g, key, &net) >= 0 &&
					     (net.mode & GUARD_NET_RAW_OK);
		if (c && p->n < CONTAINERS_MAX)
			p->pcs[p->n++] = c;
		else if (n_orphans < CONTAINERS_MAX)
			orphans[n_orphans++] = key;
		k = key;
		prev = &k;
	}
	close(fd);
	/* Pinned entries without a state file: released only once their cgroup is gone. A
	 * missing state file never unprotects a running container (docs/daemon.md). */
	for (size_t i = 0; i < n_orphans; i++)
		keep_or_release(p, orphans[i]);
	guard_drop_if_unpinned(p);
	if (p->n)
		fprintf(stderr, "imprintd: adopting %zu protected containers from the pins\n", p->n);
}

int protector_new(const struct protector_options *o, struct protector **ret, struct error *err)
{
	struct protector *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->o = *o;
	p->wake = -1;
	pthread_mutex_init(&p->lock, NULL);
	p->pin_dir = strdup(o->pin_dir ? o->pin_dir : GUARD_PIN_DIR);
	p->state_dir = strdup(o->state_dir ? o->state_dir : PROTECTOR_STATE_DIR);
	p->behavior_dir = o->behavior_dir ? strdup(o->behavior_dir) : NULL;
	if (!p->pin_dir || !p->state_dir || (o->behavior_dir && !p->behavior_dir)) {
		protector_free(p);
		return -ENOMEM;
	}
	p->sink = alert_sink_open(o->metrics, o->events);
	p->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = p->sink && p->wake >= 0 ? alert_queue_new(p->sink, 4096, &p->alerts) : -ENOMEM;
	if (r < 0) {
		protector_free(p);
		return r;
	}
	p->lsm_loads = guard_probe_lsm(p->lsm, sizeof(p->lsm)) > 0;
	adopt_pinned(p);
	r = pthread_create(&p->thread, NULL, run, p);
	if (r) {
		protector_free(p);
		return -r;
	}
	p->started = true;
	fprintf(stderr, "imprintd: protection: pins in %s (%s), state in %s, behavioral "
		"fingerprints in %s; BPF-LSM: %s\n", p->pin_dir,
		!p->g ? "nothing pinned yet" : guard_exec_adopted(p->g) ? "adopted pinned exec program"
									: "exec program attached",
		p->state_dir, p->behavior_dir && *p->behavior_dir ? p->behavior_dir : "(none)",
		p->lsm);
	*ret = p;
	return 0;
}

struct protector *protector_free(struct protector *p)
{
	uint64_t one = 1;

	if (!p)
		return NULL;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_mutex_unlock(&p->lock);
		(void)!write(p->wake, &one, sizeof(one)); /* it also wakes every 100 ms */
		pthread_join(p->thread, NULL);
	}
	/* Kernel-side entries stay: a restart adopts them (docs/daemon.md). */
	for (size_t i = 0; i < p->n; i++)
		pc_free(p->pcs[i], p->g, false);
	alert_queue_free(p->alerts);
	if (p->sink)
		fclose(p->sink);
	guard_free(p->g);
	if (p->wake >= 0)
		close(p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->pin_dir);
	free(p->state_dir);
	free(p->behavior_dir);
	free(p);
	return NULL;
}

/* Arm c's kernel-side layers from its bundle before the runtime pivots (docs/daemon.md).
 * Called with the lock held. */
static void prearm(struct protector *p, struct pc *c, const struct protector_request *rq)
{
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	struct protect_target t = { .pidfd = -1, .cgroup_fd = -1 };
	struct error err = { 0 };
	int r = guard_need(p, &err);

	if (r >= 0)
		r = target_from_pid(c->id, c->pid, &t, &err);
	if (r >= 0 && !(c->cgroup_dir = strdup(t.cgroup_dir)))
		r = -ENOMEM;
	if (r >= 0) {
		b = find_behavior(p, c->image);
		r = protection_prearm(&(struct protection_options){
					      .exec_mode = guard_mode_of(c->enf.exec),
					      .net_mode = b ? guard_mode_of(c->enf.network) : 0,
					      .behavior = b,
					      .raw_sockets = c->enf.raw_sockets,
					      .loader_as_program = c->enf.loader_as_program },
				      &t, rq->bundle, rq->table, p->g, &err);
	}
	c->prearmed = r >= 0;
	c->cgroup = t.cgroup;
	if (r < 0)
		fprintf(stderr, "imprintd: container %.12s: cannot arm before it starts: %s\n",
			c->id, err.message[0] ? err.message : strerror(-r));
	target_release(&t);
}

int protector_add(struct protector *p, const struct protector_request *rq)
{
	struct pc *c = calloc(1, sizeof(*c));
	uint64_t one = 1;
	int r = 0;

	if (!c)
		return -ENOMEM;
	c->id = strdup(rq->id);
	c->image = rq->image ? strdup(rq->image) : NULL;
	c->image_name = rq->image_name ? strdup(rq->image_name) : NULL;
	c->storage_root = rq->storage_root ? strdup(rq->storage_root) : NULL;
	c->runc_root = rq->runc_root ? strdup(rq->runc_root) : NULL;
	c->pid = rq->pid;
	c->enf = rq->enforcement;
	c->queued = time(NULL);
	pc_read_layers(c, rq->bundle, 0);
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->pcs[i]->id, rq->id) == 0)
			r = -EEXIST;
	if (r >= 0 && (!c->id || p->n == CONTAINERS_MAX))
		r = -ENOSPC;
	if (r >= 0 && rq->table && rq->bundle && c->pid > 0 &&
	    (c->enf.exec != POLICY_ENFORCE_OFF || c->enf.network != POLICY_ENFORCE_OFF))
		prearm(p, c, rq);
	if (r >= 0)
		p->pcs[p->n++] = c;
	pthread_mutex_unlock(&p->lock);
	if (r < 0) {
		pc_free(c, NULL, false);
		return r;
	}
	(void)!write(p->wake, &one, sizeof(one)); /* it wakes by itself soon */
	return 0;
}

/* Kill every process of the container: its cgroup's cgroup.kill, else each of cgroup.procs. */
static int kill_cgroup(const char *dir)
{
	_cleanup_free_ char *kill_path = strdup_printf("%s/cgroup.kill", dir);
	_cleanup_free_ char *procs_path = strdup_printf("%s/cgroup.procs", dir);
	_cleanup_free_ char *procs = NULL;
	size_t len;
	int r, fd;

	if (!kill_path || !procs_path)
		return -ENOMEM;
	fd = open(kill_path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		bool done = write(fd, "1", 1) == 1;

		close(fd);
		if (done)
			return 0;
	}
	r = read_file(procs_path, 1u << 20, &procs, &len);
	if (r < 0)
		return r;
	for (char *line = procs, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		kill((pid_t)atoi(line), SIGKILL);
	}
	return 0;
}

void protector_layer_changed(struct protector *p, dev_t dev, ino_t ino)
{
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		struct pc *c = p->pcs[i];
		const struct pc_layer *l = NULL;
		bool enforce = c->enf.exec == POLICY_ENFORCE_ENFORCE;
		struct alert a = { .rule = "image_layer_changed", .priority = "Critical",
				   .layer = "imprintd", .container = c->id, .pid = c->pid,
				   .reason = "layer_changed",
				   .summary = "A stored layer of the container's image changed on the "
					      "host after it was verified" };
		int r = -ENOENT;

		for (size_t k = 0; k < c->n_layers && !l; k++)
			if (c->layers[k].dev == dev && c->layers[k].ino == ino)
				l = &c->layers[k];
		if (!l || c->layer_changed)
			continue;
		c->layer_changed = true;
		if (enforce && c->cgroup_dir)
			r = kill_cgroup(c->cgroup_dir);
		a.decision = enforce && r >= 0 ? ALERT_DENY : ALERT_WOULD_DENY;
		a.fd_name = l->path;
		fprintf(stderr, "imprintd: container %.12s: layer %s changed on the host%s\n", c->id,
			l->path, a.decision == ALERT_DENY ? ": container killed"
			: enforce ? ": cannot kill it (cgroup unknown)" : " (monitor: left running)");
		alert_queue_push(p->alerts, alert_format(&a, true));
	}
	pthread_mutex_unlock(&p->lock);
}

static json_t *pc_json(struct protector *p, struct pc *c)
{
	struct protection_info in = { 0 };
	json_t *j;

	if (c->prot)
		protection_info(c->prot, &in);
	j = json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:b,s:s}", "id", c->id, "image", c->image,
		      "imageName", c->image_name, "exec", policy_enforce_to_string(c->enf.exec),
		      "network", policy_enforce_to_string(c->enf.network), "treeAware",
		      c->enf.tree_aware, "state",
		      c->prot ? "protected" : c->error ? "failed"
		      : c->prearmed ? "armed-kernel" : "waiting");
	if (j) {
		json_object_set_new(j, "files",
				    json_string(policy_enforce_to_string(c->enf.files)));
		json_object_set_new(j, "armedAtCreate", json_boolean(c->prearmed));
		json_object_set_new(j, "layerChanged", json_boolean(c->layer_changed));
	}
	if (!j || !c->prot)
		return j;
	json_object_set_new(j, "pid", json_integer(in.pid));
	json_object_set_new(j, "cgroup", json_integer((json_int_t)in.cgroup));
	json_object_set_new(j, "adopted", json_boolean(in.adopted));
	json_object_set_new(j, "layers", json_pack(
		"{s:b,s:b,s:b,s:b,s:b}", "fanotifyExec", in.exec_mode != 0, "bpfExec",
		in.exec_mode != 0, "bpfMmap", in.exec_mode != 0, "cgroupNet", in.net_mode != 0,
		"treeAware", in.tree_aware));
	json_object_set_new(j, "allowedExecutables",
			    json_integer((json_int_t)in.allowed.executables));
	json_object_set_new(j, "mappableFiles", json_integer((json_int_t)in.allowed.mappable));
	json_object_set_new(j, "networkRules", json_integer((json_int_t)in.net_rules));
	json_object_set_new(j, "counters", json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:i}", "allowed", (json_int_t)in.fanotify.allowed, "denied",
		(json_int_t)in.fanotify.denied, "wouldDeny", (json_int_t)in.fanotify.would_deny,
		"timeouts", (json_int_t)in.fanotify.timeouts, "kernelReports",
		(json_int_t)in.bpf_events, "mounts", (int)in.fanotify.mounts));
	(void)p;
	return j;
}

json_t *protector_status(struct protector *p)
{
	json_t *list = json_array(), *j;
	bool exec = false, net = false;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		struct protection_info in;

		json_array_append_new(list, pc_json(p, p->pcs[i]));
		if (!p->pcs[i]->prot)
			continue;
		protection_info(p->pcs[i]->prot, &in);
		exec |= in.exec_mode != 0;
		net |= in.net_mode != 0;
	}
	j = json_pack("{s:{s:b,s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:I},s:o,s:s}", "layers",
		      "fanotifyExec", exec,
		      "bpfExec", !p->g ? "off" : guard_exec_adopted(p->g) ? "adopted" : "attached",
		      "bpfExecHook", "tp_btf/sched_process_exec",
		      "bpfMmap", !p->g ? "off" : guard_map_adopted(p->g) ? "adopted" : "attached",
		      "bpfMmapHook", p->g && guard_map32_on(p->g)
				     ? "syscalls/sys_{enter,exit}_{mmap,mprotect,pkey_mprotect}, "
				       "raw_syscalls/sys_exit (32-bit)"
				     : "syscalls/sys_{enter,exit}_{mmap,mprotect,pkey_mprotect}",
		      "cgroupNet", net, "bpfLsm", p->lsm_loads, "bpfLsmDetail", p->lsm,
		      "lostEvents", (json_int_t)(p->g ? guard_lost(p->g) : 0), "containers", list, "pinDir", p->pin_dir);
	pthread_mutex_unlock(&p->lock);
	return j;
}
