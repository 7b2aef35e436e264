/* SPDX-License-Identifier: Apache-2.0 */
/* fanotify exec allowlisting (exec_fanotify.h has the overview: who owns the fds, who must
 * answer). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/digest.h"
#include "basic/sha256.h"
#include "basic/fs.h"
#include "exec_fanotify.h"
#include "sensor/learner.h"

#define PENDING_MAX 256
#define READ_EVENTS 64
#define MOUNTINFO_MAX (4u << 20)
#define VERIFIED_SLOTS 512

/* Tree-aware mode cannot use ignore marks (it must see every exec, even of a verified file):
 * it remembers verified inodes instead, keyed by what a change of content changes too. */
struct verified {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct pending {
	int fd;
	int64_t since_ms;
	bool used, answered;
};

struct exec_fanotify {
	struct exec_fanotify_options o;
	int fan_fd;
	pid_t self;
	pthread_t reader, watchdog;
	bool reader_started, watchdog_started;
	volatile bool stop;
	pthread_mutex_t lock; /* pending[] and stats */
	struct pending pending[PENDING_MAX];
	struct exec_fanotify_stats stats;
	struct verified verified[VERIFIED_SLOTS]; /* reader thread only */
};

int hash_fd(int fd, struct digest *ret)
{
	static __thread uint8_t buf[1 << 16];
	struct sha256 h;
	off_t off = 0;
	ssize_t n;
	int r = sha256_init(&h);

	if (r < 0)
		return r;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		sha256_update(&h, buf, (size_t)n);
		off += n;
	}
	if (n < 0) {
		r = -errno;
		sha256_release(&h);
		return r;
	}
	sha256_final(&h, ret);
	sha256_release(&h);
	return 0;
}

/* Answer under x->lock; false if it was answered already. */
static bool answer_locked(struct exec_fanotify *x, struct pending *p, bool allow)
{
	struct fanotify_response resp = { .fd = p->fd, .response = allow ? FAN_ALLOW : FAN_DENY };

	if (p->answered)
		return false;
	p->answered = true;
	/* A failed write means the event is gone or the group is closing: nothing to do. */
	(void)!write(x->fan_fd, &resp, sizeof(resp));
	return true;
}

static void read_proc_comm(pid_t pid, char comm[32], pid_t *ppid)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/stat", (int)pid), *buf = NULL;
	size_t len;
	char *open, *close_;

	snprintf(comm, 32, "?");
	*ppid = 0;
	if (!path || read_file(path, 4096, &buf, &len) < 0)
		return;
	open = strchr(buf, '(');
	close_ = strrchr(buf, ')');
	if (!open || !close_ || close_ < open)
		return;
	snprintf(comm, 32, "%.*s", (int)(close_ - open - 1), open + 1);
	sscanf(close_ + 1, " %*c %d", ppid);
}

static void emit(struct exec_fanotify *x, pid_t pid, const char *exe, enum alert_decision d,
		 const char *reason)
{
	char comm[32];
	pid_t ppid;
	struct alert a = {
		.rule = d == ALERT_ALLOW ? "exec_allowed" : "exec_not_allowed",
		.priority = d == ALERT_ALLOW ? "Informational" : "Critical",
		.summary = d == ALERT_ALLOW ? "Exec of an image file"
					    : "Exec of a file that is not an unchanged image file",
		.decision = d,
		.layer = "fanotify",
		.container = x->o.container,
		.exepath = exe,
		.pid = pid,
		.comm = comm,
		.fd_name = exe,
		.reason = reason,
	};

	read_proc_comm(pid, comm, &ppid);
	a.ppid = ppid;
	alert_queue_push(x->o.alerts, alert_format(&a, x->o.json));
}

/* The reason to refuse (a stable code), or NULL to allow. *ret_exe gets the path. */
static const char *judge(struct exec_fanotify *x, int fd, pid_t pid, char exe[PATH_MAX])
{
	char link[64];
	ssize_t n;
	const struct entry *e;
	struct digest d;
	struct stat st;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, exe, PATH_MAX - 1);
	if (n <= 0) {
		snprintf(exe, PATH_MAX, "?");
		return "unreadable_path";
	}
	exe[n] = '\0';
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return "not_regular";
	if (exe[0] != '/' || (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0))
		return "not_in_image";
	e = table_find(x->o.table, exe);
	if (!e || e->type != ENTRY_FILE)
		return "not_in_image";
	struct verified *v = &x->verified[(st.st_dev * 31 + st.st_ino) % VERIFIED_SLOTS];
	struct verified now = { st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim };

	if (!x->o.tree || memcmp(v, &now, sizeof(now)) != 0) {
		if ((uint64_t)st.st_size != e->size || hash_fd(fd, &d) < 0 ||
		    !digest_equal(&d, &e->sha256))
			return "modified";
		if (x->o.tree)
			*v = now;
	}
	if (x->o.tree) {
		char comm[32];
		pid_t ppid;
		const char *why;

		read_proc_comm(pid, comm, &ppid);
		why = x->o.tree(x->o.tree_userdata, pid, ppid, exe, &st);
		if (why)
			return why;
	}
	return NULL;
}

/* Is pid the container's? By its cgroup, not its mount namespace: a process that made its own
 * (unshare -Urm) is still the container's. If we cannot tell, assume it is. */
static bool in_container(struct exec_fanotify *x, pid_t pid)
{
	return pid_in_cgroup(pid, x->o.cgroup, NULL) != 0;
}

static void decide(struct exec_fanotify *x, struct pending *p, pid_t pid)
{
	char exe[PATH_MAX];
	const char *why;
	bool allow, outside = pid == x->self || !in_container(x, pid);

	why = outside ? NULL : judge(x, p->fd, pid, exe);
	allow = !why || x->o.mode != GUARD_ENFORCE;
	if (!why && !outside && !x->o.tree)
		/* Repeats of this inode cost nothing until it is modified: no
		 * FAN_MARK_IGNORED_SURV_MODIFY, so a write clears the ignore mask. */
		fanotify_mark(x->fan_fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM,
			      p->fd, NULL);
	pthread_mutex_lock(&x->lock);
	if (answer_locked(x, p, allow)) {
		if (outside)
			x->stats.outside++;
		else if (!why)
			x->stats.allowed++;
		else if (allow)
			x->stats.would_deny++;
		else
			x->stats.denied++;
	} else {
		why = NULL; /* the watchdog answered and reported it */
		outside = true;
	}
	p->used = false;
	pthread_mutex_unlock(&x->lock);
	if (!outside)
		emit(x, pid, exe, !why ? ALERT_ALLOW : allow ? ALERT_WOULD_DENY : ALERT_DENY, why);
}

static struct pending *pending_add(struct exec_fanotify *x, int fd)
{
	struct pending *p = NULL;

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < PENDING_MAX && !p; i++)
		if (!x->pending[i].used)
			p = &x->pending[i];
	if (p)
		*p = (struct pending){ .fd = fd, .since_ms = clock_monotonic_ms(), .used = true };
	pthread_mutex_unlock(&x->lock);
	return p;
}

static void *reader_main(void *arg)
{
	struct exec_fanotify *x = arg;
	struct fanotify_event_metadata buf[READ_EVENTS];
	struct pollfd pfd = { .fd = x->fan_fd, .events = POLLIN };

	while (!x->stop) {
		struct pending *slots[READ_EVENTS];
		pid_t pids[READ_EVENTS];
		size_t n_slots = 0;
		ssize_t len;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = read(x->fan_fd, buf, sizeof(buf));
		if (len <= 0)
			continue;
		/* Enter every event first: the watchdog covers those behind a slow one. */
		for (struct fanotify_event_metadata *m = buf; FAN_EVENT_OK(m, len);
		     m = FAN_EVENT_NEXT(m, len)) {
			struct pending *p;

			if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
				continue;
			p = pending_add(x, m->fd);
			if (!p) { /* cannot happen with READ_EVENTS < PENDING_MAX; answer anyway */
				bool deny = x->o.mode == GUARD_ENFORCE;
				struct fanotify_response resp = {
					.fd = m->fd, .response = deny ? FAN_DENY : FAN_ALLOW
				};
				(void)!write(x->fan_fd, &resp, sizeof(resp));
				close(m->fd);
				continue;
			}
			slots[n_slots] = p;
			pids[n_slots++] = m->pid;
		}
		for (size_t i = 0; i < n_slots; i++) {
			int fd = slots[i]->fd;

			decide(x, slots[i], pids[i]);
			close(fd);
		}
	}
	return NULL;
}

static void *watchdog_main(void *arg)
{
	struct exec_fanotify *x = arg;
	struct timespec tick = { .tv_nsec = 10 * 1000000 };

	while (!x->stop) {
		int64_t now = clock_monotonic_ms();
		size_t late = 0;

		nanosleep(&tick, NULL);
		pthread_mutex_lock(&x->lock);
		for (size_t i = 0; i < PENDING_MAX; i++) {
			struct pending *p = &x->pending[i];

			if (p->used && !p->answered && now - p->since_ms > x->o.timeout_ms &&
			    answer_locked(x, p, x->o.mode != GUARD_ENFORCE)) {
				x->stats.timeouts++;
				late++;
			}
		}
		pthread_mutex_unlock(&x->lock);
		if (late) {
			struct alert a = {
				.rule = "exec_decision_timeout", .priority = "Error",
				.summary = "Exec decision took too long; answered by the watchdog",
				.decision = x->o.mode == GUARD_ENFORCE ? ALERT_DENY : ALERT_ALLOW,
				.layer = "fanotify", .container = x->o.container,
				.reason = "timeout",
			};
			alert_queue_push(x->o.alerts, alert_format(&a, x->o.json));
		}
	}
	return NULL;
}

/* Unescape mountinfo's octal escapes (\040) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* Mark every mount of the container where exec is possible (not noexec). */
static int mark_mounts(struct exec_fanotify *x, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/mountinfo", (int)x->o.pid);
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, MOUNTINFO_MAX, &buf, &len);
	if (r < 0)
		return error_set(err, r, "cannot read %s: %s", path, strerror(-r));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], opts[1024];
		_cleanup_free_ char *target = NULL;

		if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mp, opts) != 2)
			continue;
		if (strstr(opts, "noexec"))
			continue;
		unescape(mp);
		target = strdup_printf("/proc/%d/root%s", (int)x->o.pid, mp);
		if (!target)
			return -ENOMEM;
		/* The root as a whole filesystem (the container's own overlay superblock): a mount
		 * namespace the container makes (unshare -m) copies its mounts, and a mount mark
		 * does not follow the copies; a filesystem mark does. */
		if (fanotify_mark(x->fan_fd, FAN_MARK_ADD | (strcmp(mp, "/") == 0 ? FAN_MARK_FILESYSTEM
										     : FAN_MARK_MOUNT),
				  FAN_OPEN_EXEC_PERM, AT_FDCWD, target) < 0) {
			if (strcmp(mp, "/") == 0)
				return error_set(err, -errno, "cannot mark the container's root "
							      "filesystem: %m");
			continue; /* the kernel-side layer still covers it */
		}
		x->stats.mounts++;
	}
	return 0;
}

int exec_fanotify_start(const struct exec_fanotify_options *o, struct exec_fanotify **ret,
			struct error *err)
{
	_cleanup_(exec_fanotify_freep) struct exec_fanotify *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	x->o = *o;
	x->fan_fd = -1;
	x->self = getpid();
	pthread_mutex_init(&x->lock, NULL);
	x->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_UNLIMITED_MARKS,
				  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (x->fan_fd < 0)
		return error_set(err, -errno, "fanotify_init(FAN_CLASS_CONTENT): %m");
	r = mark_mounts(x, err);
	if (r < 0)
		return r;
	r = -pthread_create(&x->watchdog, NULL, watchdog_main, x);
	if (r < 0)
		return error_set(err, r, "cannot start the watchdog thread");
	x->watchdog_started = true;
	r = -pthread_create(&x->reader, NULL, reader_main, x);
	if (r < 0)
		return error_set(err, r, "cannot start the fanotify thread");
	x->reader_started = true;
	*ret = TAKE_PTR(x);
	return 0;
}

struct exec_fanotify *exec_fanotify_free(struct exec_fanotify *x)
{
	if (!x)
		return NULL;
	x->stop = true;
	if (x->reader_started)
		pthread_join(x->reader, NULL);
	if (x->watchdog_started)
		pthread_join(x->watchdog, NULL);
	if (x->fan_fd >= 0)
		close(x->fan_fd);
	pthread_mutex_destroy(&x->lock);
	free(x);
	return NULL;
}

void exec_fanotify_stats(struct exec_fanotify *x, struct exec_fanotify_stats *ret)
{
	pthread_mutex_lock(&x->lock);
	*ret = x->stats;
	pthread_mutex_unlock(&x->lock);
}
