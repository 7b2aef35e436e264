/* SPDX-License-Identifier: Apache-2.0 */
/* imprint protect: runtime enforcement for one running container (docs/protect.md). The
 * work is in src/enforce/; this file wires the layers together and runs the event loop.
 *
 * Who owns what: the content table (from the image's fingerprint) is borrowed by the
 * fanotify layer until it is stopped; the alert queue outlives both layers; the guard's pins
 * are removed only on a deliberate stop (SIGINT/SIGTERM, container exit). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "cli.h"
#include "enforce/alert.h"
#include "enforce/exec_fanotify.h"
#include "enforce/files.h"
#include "enforce/guard.h"
#include "enforce/protection.h"
#include "enforce/rules.h"
#include "enforce/target.h"
#include "sensor/learner.h"

#define EXTRA_MAX 16

static void help(void)
{
	printf("Usage: imprint protect --container ID [OPTIONS]\n\n"
	       "Protect one running container until it exits or SIGINT/SIGTERM: only files of\n"
	       "its image, unchanged, may execute (fanotify in user space, and a pinned eBPF\n"
	       "program at sched_process_exec that kills what slipped through), and with network\n"
	       "rules only those destinations may be reached (cgroup connect/sendmsg). One line\n"
	       "per decision on stdout; Falco's JSON shape with --json.\n\n"
	       "Options:\n"
	       "  --container ID       the container (id or unique prefix)\n"
	       "  --mode enforce|monitor  monitor: report what would be denied (default enforce)\n"
	       "  --behavior FILE      behavioral fingerprint: its connections are allowed and\n"
	       "                       a program may only start under the parent it was learned\n"
	       "                       under (tree-aware mode)\n"
	       "  --allow-net CIDR:PORT[-PORT][/tcp|udp]  allow a destination (repeatable)\n"
	       "  --allow-raw-sockets  with network rules, still let the container make raw and\n"
	       "                       ICMP (ping) sockets, whose sends the rules cannot see\n"
	       "  --allow-exec PATH    allow this file of the container as it is now (repeatable)\n"
	       "  --allow-loader-as-program  let the image's ELF interpreter be run as the\n"
	       "                       program (`ld.so PROGRAM`; what it maps is still checked)\n"
	       "  --storage-root DIR   containers-storage root (default " DEFAULT_STORAGE_ROOT ")\n"
	       "  --runc-root DIR      a plain runc container: its state is DIR/ID/state.json\n"
	       "                       (runc --root; /run/runc by default for runc)\n"
	       "  --fingerprint FILE|SOURCE  the allowlist: a content fingerprint file (imprint\n"
	       "                       fingerprint -o) or an image source (default: the\n"
	       "                       container's image in containers-storage; with\n"
	       "                       --runc-root the rootfs as it is now)\n"
	       "  --pin-dir DIR        bpffs directory (default " GUARD_PIN_DIR ")\n"
	       "  --decision-timeout MS  the watchdog answers an exec decision after this\n"
	       "                       (default 1000)\n"
	       "  --files enforce|monitor|off  file protection (docs/files.md; default off):\n"
	       "                       image directories read-only, writes to them reported\n"
	       "  --files-path DIR     a directory to protect (repeatable; default /bin /sbin\n"
	       "                       /lib* /usr /etc)\n"
	       "  --files-writable PATH  keep this path writable (repeatable)\n"
	       "  --json               Falco-shaped JSON lines\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 stopped (container exited, signal), 2 error.\n");
}

enum { OPT_CONTAINER = 0x200, OPT_BEHAVIOR, OPT_ALLOW_NET, OPT_ALLOW_EXEC, OPT_PIN_DIR,
       OPT_TIMEOUT, OPT_RUNC_ROOT, OPT_FINGERPRINT, OPT_FILES, OPT_FILES_PATH,
       OPT_FILES_WRITABLE, OPT_ALLOW_RAW, OPT_ALLOW_LOADER };

struct protect {
	struct cli c;
	const char *container;
	enum guard_mode mode;
	const char *behavior_path;
	const char *allow_exec[EXTRA_MAX];
	size_t n_allow_exec;
	struct guard_net_policy net;
	bool net_given;
	bool raw_sockets, loader_as_program;
	const char *storage_root;
	const char *runc_root;   /* a plain runc container */
	const char *fingerprint; /* the allowlist's source, if given */
	char *rootfs;            /* runc: the host path of its rootfs */
	const char *pin_dir;
	int timeout_ms;
	struct behavior *behavior;
	/* running state */
	struct protect_target t; /* until protection_start() takes it */
	struct protection *prot;
	struct alert_queue *alerts;
	struct files_options files_opt; /* file protection (src/enforce/files.h) */
	struct files *files;
};

static void on_guard_event(void *userdata, const struct guard_event *e)
{
	struct protect *p = userdata;

	/* Another container's reports are ignored (docs/protect.md: one protect per pin dir). */
	if (p->prot)
		protection_on_event(p->prot, e);
}

static int parse_args(struct protect *p, int argc, char **argv)
{
	static const struct option options[] = {
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "behavior", required_argument, NULL, OPT_BEHAVIOR },
		{ "allow-net", required_argument, NULL, OPT_ALLOW_NET },
		{ "allow-raw-sockets", no_argument, NULL, OPT_ALLOW_RAW },
		{ "allow-loader-as-program", no_argument, NULL, OPT_ALLOW_LOADER },
		{ "allow-exec", required_argument, NULL, OPT_ALLOW_EXEC },
		{ "storage-root", required_argument, NULL, OPT_STORAGE_ROOT },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "runc-root", required_argument, NULL, OPT_RUNC_ROOT },
		{ "fingerprint", required_argument, NULL, OPT_FINGERPRINT },
		{ "decision-timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "files", required_argument, NULL, OPT_FILES },
		{ "files-path", required_argument, NULL, OPT_FILES_PATH },
		{ "files-writable", required_argument, NULL, OPT_FILES_WRITABLE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct guard_net_rule rule;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			return -1;
		case OPT_CONTAINER:
			p->container = optarg;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "enforce") == 0)
				p->mode = GUARD_ENFORCE;
			else if (strcmp(optarg, "monitor") == 0)
				p->mode = GUARD_MONITOR;
			else
				return cli_usage(&p->c, "--mode must be enforce or monitor, "
						 "not '%s'", optarg);
			break;
		case OPT_BEHAVIOR:
			p->behavior_path = optarg;
			break;
		case OPT_ALLOW_NET:
			if (net_rule_parse(optarg, &rule) < 0)
				return cli_usage(&p->c, "--allow-net wants "
						 "CIDR:PORT[-PORT][/tcp|udp], not '%s'", optarg);
			if (net_policy_add(&p->net, &rule) < 0)
				return cli_usage(&p->c, "at most %d network rules",
						 GUARD_NET_RULES_MAX);
			p->net_given = true;
			break;
		case OPT_ALLOW_LOADER:
			p->loader_as_program = true;
			break;
		case OPT_ALLOW_RAW:
			p->raw_sockets = true;
			break;
		case OPT_ALLOW_EXEC:
			if (optarg[0] != '/' || p->n_allow_exec == EXTRA_MAX)
				return cli_usage(&p->c, "--allow-exec wants an absolute path "
						 "(at most %d)", EXTRA_MAX);
			p->allow_exec[p->n_allow_exec++] = optarg;
			break;
		case OPT_STORAGE_ROOT:
			p->storage_root = optarg;
			break;
		case OPT_PIN_DIR:
			p->pin_dir = optarg;
			break;
		case OPT_RUNC_ROOT:
			p->runc_root = optarg;
			break;
		case OPT_FINGERPRINT:
			p->fingerprint = optarg;
			break;
		case OPT_TIMEOUT:
			p->timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || p->timeout_ms < 1 || p->timeout_ms > 60000)
				return cli_usage(&p->c, "--decision-timeout wants 1 to 60000 ms");
			break;
		case OPT_FILES:
			if (files_mode_from_string(optarg, &p->files_opt.mode) < 0)
				return cli_usage(&p->c, "--files must be enforce, monitor or off");
			break;
		case OPT_FILES_PATH:
		case OPT_FILES_WRITABLE: {
			struct files_options *fo = &p->files_opt;
			size_t *n = opt == OPT_FILES_PATH ? &fo->n_paths : &fo->n_writable;

			if (optarg[0] != '/' || *n == FILES_PATHS_MAX)
				return cli_usage(&p->c, "--files-path, --files-writable want an "
						 "absolute path (at most %d)", FILES_PATHS_MAX);
			(opt == OPT_FILES_PATH ? fo->paths : fo->writable)[(*n)++] = optarg;
			break;
		}
		case OPT_JSON:
			p->c.json = true;
			break;
		default:
			return cli_usage(&p->c, "invalid option");
		}
	}
	if (!p->container || optind != argc)
		return cli_usage(&p->c, "want --container ID and no other arguments");
	return 0;
}

/* The image's content table, plus the --allow-exec files as they are now. */
static int load_table(struct protect *p, struct fingerprint **ret, struct error *err)
{
	const char *roots[1] = { p->storage_root ? p->storage_root : DEFAULT_STORAGE_ROOT };
	_cleanup_free_ char *image = NULL, *source = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	_cleanup_(source_options_release) struct source_options so;
	int r;

	source_options_init(&so);
	so.image.storage_root = roots[0];
	if (p->fingerprint) {
		source = strdup(p->fingerprint);
	} else if (p->rootfs) {
		fprintf(stderr, "imprint: protect: no --fingerprint: the allowlist is %s as it is "
			"now\n", p->rootfs);
		source = strdup_printf("dir:%s", p->rootfs);
	} else {
		image = container_image_id(roots, 1, p->t.id);
		if (!image)
			return error_set(err, -ENOENT, "container %.12s is not in "
					 "containers-storage at %s (--fingerprint names the "
					 "allowlist)", p->t.id, roots[0]);
		source = strdup_printf("containers-storage:%s", image);
	}
	r = source_options_finish(&so);
	if (r < 0 || !source)
		return -ENOMEM;
	r = load_fingerprint(source, &so, &fp, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->n_allow_exec; i++) {
		_cleanup_free_ char *host = strdup_printf("/proc/%d/root", (int)p->t.pid);
		_cleanup_close_ int root = host ? open(host, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		_cleanup_close_ int fd = root >= 0 ? openat_beneath(root, p->allow_exec[i] + 1,
								    O_RDONLY | O_NOCTTY) : -1;
		struct entry *e = table_find(&fp->root, p->allow_exec[i]);
		struct stat st;
		char *path;

		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return error_set(err, -ENOENT, "--allow-exec %s: not a regular file in the "
					 "container", p->allow_exec[i]);
		if (!e) {
			path = strdup(p->allow_exec[i]);
			if (!path || table_add(&fp->root, path, &e) < 0)
				return -ENOMEM;
		}
		e->type = ENTRY_FILE;
		e->mode = st.st_mode & 07777;
		e->size = (uint64_t)st.st_size;
		r = hash_fd(fd, &e->sha256);
		if (r < 0)
			return error_set(err, r, "cannot hash %s", p->allow_exec[i]);
		table_sort(&fp->root);
	}
	*ret = TAKE_PTR(fp);
	return 0;
}

static void say_layers(struct protect *p, const struct guard *g, const char *lsm)
{
	struct protection_info in;
	_cleanup_free_ char *layers = protection_describe(p->prot, g, lsm);
	const char *mode = guard_mode_to_string(p->mode);

	protection_info(p->prot, &in);
	fprintf(stderr, "imprint: protect: container %.12s (pid %d, cgroup %llu): mode %s%s; "
		"layers: %s\n", in.id, (int)in.pid, (unsigned long long)in.cgroup, mode,
		in.adopted ? ", adopted from a previous run" : "", layers ? layers : "?");
	if (in.allowed.refused)
		fprintf(stderr, "imprint: protect: %zu image executables do not match the image "
			"(left out of the allowed set)\n", in.allowed.refused);
	if (p->c.json) {
		struct alert a = {
			.rule = "protect_started", .priority = "Informational",
			.summary = layers ? layers : "?", .decision = ALERT_ALLOW,
			.layer = "protect", .container = in.id, .pid = in.pid,
			.reason = in.adopted ? "adopted" : mode,
		};
		alert_queue_push(p->alerts, alert_format(&a, true));
	}
}

static int run_loop(struct protect *p, struct guard *g, bool *ret_signalled)
{
	sigset_t mask;
	int sfd;
	struct pollfd pfd[2];

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = guard_poll_fd(g), .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, 200) < 0 && errno != EINTR)
			break;
		guard_poll(g, 0);
		if (pfd[0].revents) {
			*ret_signalled = true;
			break;
		}
		if (protection_ended(p->prot))
			break;
	}
	guard_poll(g, 0);
	close(sfd);
	return 0;
}

/* The behavioral fingerprint: its connections and, for tree-aware mode, its process tree. */
static int load_behavior(struct protect *p, struct error *err)
{
	if (!p->behavior_path)
		return 0;
	p->net_given = true;
	return behavior_read(p->behavior_path, &p->behavior, err);
}

static void say_stopped(struct protect *p, struct guard *g, bool signalled)
{
	struct protection_info in;
	const struct exec_fanotify_stats *st = &in.fanotify;

	protection_info(p->prot, &in);
	fprintf(stderr, "imprint: protect: stopped (%s): fanotify allowed %llu, denied %llu, "
		"would deny %llu, watchdog %llu; kernel-side reports %llu, lost %llu; alerts "
		"dropped %llu\n", signalled ? "signal" : "container exited",
		(unsigned long long)st->allowed, (unsigned long long)st->denied,
		(unsigned long long)st->would_deny, (unsigned long long)st->timeouts,
		(unsigned long long)in.bpf_events, (unsigned long long)guard_lost(g),
		(unsigned long long)alert_queue_dropped(p->alerts));
}

/* File protection (src/enforce/files.c): before the exec layer marks the container's mounts,
 * so that it marks the read-only ones too. */
static int start_files(struct protect *p, struct error *err)
{
	p->files_opt.alerts = p->alerts;
	p->files_opt.json = p->c.json;
	return files_start(&p->files_opt, p->t.id, p->t.pid, p->t.cgroup, &p->files, err);
}

static void say_files(struct protect *p, bool stopped)
{
	_cleanup_free_ char *what = p->files ? files_describe(p->files) : NULL;
	struct files_stats st;

	if (!p->files)
		return;
	files_stats(p->files, &st);
	if (!stopped)
		fprintf(stderr, "imprint: protect: %s\n", what ? what : "files: ?");
	else
		fprintf(stderr, "imprint: protect: files: reports %llu, alerts %llu, lost %llu\n",
			(unsigned long long)st.events, (unsigned long long)st.alerts,
			(unsigned long long)st.lost);
}

int verb_protect(int argc, char **argv)
{
	struct protect p = { .c = { .verb = "protect" }, .mode = GUARD_ENFORCE, .timeout_ms = 1000,
			     .t = { .pidfd = -1, .cgroup_fd = -1 } };
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	_cleanup_(guard_freep) struct guard *g = NULL;
	struct error err = { 0 };
	char lsm[160];
	sigset_t sigs;
	bool signalled = false;
	int r;

	r = parse_args(&p, argc, argv);
	if (r)
		return r < 0 ? EXIT_OK : r;
	/* Before any thread starts, so that only run_loop()'s signalfd sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	p.pin_dir = p.pin_dir ?: getenv("IMPRINT_PIN_DIR") ?: GUARD_PIN_DIR;
	r = load_behavior(&p, &err);
	if (r < 0)
		goto out;
	r = p.runc_root ? target_from_runc(p.runc_root, p.container, &p.t, &p.rootfs, &err)
			: target_find(p.container, &p.t, &err);
	if (r >= 0)
		r = load_table(&p, &fp, &err);
	if (r >= 0)
		r = alert_queue_new(stdout, 4096, &p.alerts);
	if (r >= 0)
		r = guard_open(p.pin_dir, on_guard_event, &p, &g, &err);
	if (r >= 0 && p.files_opt.mode)
		r = start_files(&p, &err);
	if (r >= 0)
		r = protection_start(&(struct protection_options){
					     .exec_mode = p.mode,
					     .net_mode = p.net_given ? p.mode : 0,
					     .net = &p.net, .behavior = p.behavior,
					     .tree_aware = p.behavior != NULL,
					     .raw_sockets = p.raw_sockets,
					     .loader_as_program = p.loader_as_program,
					     .allow_exec = p.allow_exec,
					     .n_allow_exec = p.n_allow_exec,
					     .timeout_ms = p.timeout_ms, .alerts = p.alerts,
					     .json = p.c.json },
				     &p.t, TAKE_PTR(fp), g, &p.prot, &err);
	if (r < 0)
		goto out;
	guard_probe_lsm(lsm, sizeof(lsm));
	say_layers(&p, g, lsm);
	say_files(&p, false);
	r = run_loop(&p, g, &signalled);
	/* A deliberate stop: leave nothing enforcing behind for this container. */
	say_stopped(&p, g, signalled);
	say_files(&p, true);
	p.prot = protection_free(p.prot, g, true);
out:
	p.files = files_free(p.files, true);
	alert_queue_free(p.alerts);
	target_release(&p.t);
	behavior_free(p.behavior);
	free(p.rootfs);
	if (r < 0)
		return cli_error_from(&p.c, r, &err);
	return EXIT_OK;
}
