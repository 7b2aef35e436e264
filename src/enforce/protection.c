/* SPDX-License-Identifier: Apache-2.0 */
/* One protected container: the per-container half of `imprint protect`, shared with imprintd
 * (ownership: protection.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "protection.h"
#include "rules.h"

struct protection {
	struct protect_target t;
	struct fingerprint *fp;
	struct tree_policy *tree;
	struct exec_fanotify *fan;
	struct alert_queue *alerts;
	bool json;
	unsigned exec_mode, net_mode;
	bool adopted, net_adopted;
	struct target_allowed allowed;
	size_t net_rules;
	uint64_t bpf_events;
};

const char *guard_mode_to_string(unsigned mode)
{
	return mode == GUARD_ENFORCE ? "enforce" : mode == GUARD_MONITOR ? "monitor" : "off";
}

bool protection_on_event(struct protection *p, const struct guard_event *e)
{
	char target[96], exe[PATH_MAX];
	bool denied = e->flags & (GUARD_EXEC_KILLED | GUARD_NET_DENIED);
	struct alert a = {
		.decision = denied ? ALERT_DENY : ALERT_WOULD_DENY,
		.priority = "Critical",
		.container = p->t.id,
		.pid = (pid_t)e->pid,
		.ppid = (pid_t)e->ppid,
		.comm = e->comm,
	};

	if (e->cgroup != p->t.cgroup)
		return false;
	p->bpf_events++;
	if (e->type == GUARD_EV_EXEC) {
		a.rule = "exec_not_allowed";
		a.summary = "Exec of a file that is not an unchanged image file";
		a.layer = "bpf-exec";
		a.exepath = e->path;
		a.fd_name = e->path;
		a.reason = e->flags & GUARD_EXEC_UPPER ? "upper_layer"
			   : e->flags & GUARD_EXEC_NOT_OVERLAY ? "not_overlay"
			   : path_is_elf_loader(e->path) ? "loader_as_program" : "not_in_image";
	} else if (e->type == GUARD_EV_MAP) {
		a.rule = "mmap_not_allowed";
		a.summary = "File mapped executable that is not an unchanged image file";
		a.layer = "bpf-mmap";
		a.fd_name = e->path;
		a.reason = e->flags & GUARD_MAP_UNVERIFIED ? "mapping_unverified" : "not_in_image";
	} else if (e->type == GUARD_EV_SOCKET) {
		bool icmp = e->port != 3 /* SOCK_RAW */;

		a.rule = "socket_not_allowed";
		a.summary = icmp ? "ICMP datagram socket in a container with network rules"
				 : "Raw socket in a container with network rules";
		a.layer = "bpf-net";
		snprintf(target, sizeof(target), "%s%s/%u", icmp ? "icmp" : "raw",
			 e->family == 10 ? "6" : "", e->proto);
		a.fd_name = target;
		a.proto = icmp ? "icmp" : "raw";
		a.reason = "unhooked_socket";
	} else {
		char link[64];
		ssize_t n;
		bool connect = e->type == GUARD_EV_CONNECT;

		snprintf(link, sizeof(link), "/proc/%u/exe", e->pid);
		n = readlink(link, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		a.exepath = n > 0 ? exe : NULL;
		net_format(e->family, e->addr, e->port, target, sizeof(target));
		a.rule = connect ? "connect_not_allowed" : "sendmsg_not_allowed";
		a.summary = connect ? "Connection to an unlearned destination"
				    : "Datagram to an unlearned destination";
		a.layer = "bpf-net";
		a.fd_name = target;
		a.proto = e->proto == 17 ? "udp" : "tcp";
		a.reason = "unlearned_destination";
	}
	alert_queue_push(p->alerts, alert_format(&a, p->json));
	return true;
}

/* The network rules: given by hand, then the behavioral fingerprint's connections. */
static int net_rules(const struct protection_options *o, struct guard_net_policy *ret)
{
	int r = 0;

	*ret = (struct guard_net_policy){ .mode = o->net_mode |
							    (o->raw_sockets ? GUARD_NET_RAW_OK : 0) };
	for (size_t i = 0; o->net && i < o->net->n && r >= 0; i++)
		r = net_policy_add(ret, &o->net->rules[i]);
	if (r >= 0 && o->behavior)
		r = net_policy_add_behavior(ret, o->behavior);
	return r;
}

/* The kernel-side layers: fill the allowed set, then protect the container in the kernel, then
 * its network links. *ret_armed: its entry is in the kernel now (then undo on failure). */
static int arm_kernel(const struct protection_options *o, const struct protect_target *t,
		      const struct target_root *root, const struct table *table, unsigned flags,
		      struct guard *g, struct protection_info *ret, bool *ret_armed,
		      struct error *err)
{
	struct guard_container gc = { .mode = o->exec_mode | (o->exec_mode ? GUARD_MAPS_CHECKED : 0),
				      .net_mode = o->net_mode };
	struct guard_net_policy net;
	int r = 0;

	if (o->loader_as_program)
		flags |= TARGET_LOADER_AS_PROGRAM;
	if (o->exec_mode)
		r = target_allow_image(t->cgroup, root, table, g, flags, &ret->allowed, err);
	for (size_t i = 0; o->exec_mode && r >= 0 && i < o->n_allow_exec; i++)
		r = target_allow_path(root, t->cgroup, g, o->allow_exec[i], err);
	if (r >= 0 && ret->allowed.elf32)
		r = guard_need_map32(g, err); /* its 32-bit programs' mapping calls */
	if (r >= 0)
		r = guard_protect(g, t->cgroup, &gc);
	*ret_armed = r >= 0;
	if (r >= 0 && o->net_mode) {
		r = net_rules(o, &net);
		if (r < 0)
			return error_set(err, r, "too many network rules (at most %d)",
					 GUARD_NET_RULES_MAX);
		ret->net_rules = net.n;
		r = guard_net_attach(g, t->cgroup, t->cgroup_fd, &net, &ret->net_adopted, err);
	}
	return r;
}

int protection_prearm(const struct protection_options *o, const struct protect_target *t,
		      const char *bundle, const struct table *table, struct guard *g,
		      struct error *err)
{
	struct target_root root = { .fd = -1, .upper = -1 };
	struct protection_info in = { 0 };
	bool armed = false;
	int r = target_root_of_bundle(bundle, &root, err);

	if (r >= 0)
		r = arm_kernel(o, t, &root, table, TARGET_VERIFIED, g, &in, &armed, err);
	if (r < 0 && armed)
		guard_release(g, t->cgroup);
	target_root_release(&root);
	return r;
}

/* The kernel-side layers, then fanotify. */
static int arm(struct protection *p, const struct protection_options *o, struct guard *g,
	       bool *ret_protecting, struct error *err)
{
	struct target_root root = { .fd = -1, .upper = -1 };
	struct protection_info in = { 0 };
	bool armed = false;
	int r = target_root_of_pid(p->t.pid, &root, err);

	if (r >= 0)
		r = arm_kernel(o, &p->t, &root, &p->fp->root, 0, g, &in, &armed, err);
	target_root_release(&root);
	p->allowed = in.allowed;
	p->net_rules = in.net_rules;
	p->net_adopted = in.net_adopted;
	*ret_protecting = armed && !p->adopted;
	if (r >= 0 && o->exec_mode)
		r = exec_fanotify_start(&(struct exec_fanotify_options){
						.container = p->t.id, .pid = p->t.pid,
						.cgroup = p->t.cgroup,
						.table = &p->fp->root, .mode = o->exec_mode,
						.timeout_ms = o->timeout_ms, .alerts = o->alerts,
						.json = o->json,
						.tree = p->tree ? tree_policy_check : NULL,
						.tree_userdata = p->tree },
					&p->fan, err);
	return r;
}

int protection_start(const struct protection_options *o, struct protect_target *t,
		     struct fingerprint *fp, struct guard *g, struct protection **ret,
		     struct error *err)
{
	struct protection *p = calloc(1, sizeof(*p));
	struct guard_container old;
	bool protecting = false;
	int r;

	if (!p) {
		target_release(t);
		fingerprint_free(fp);
		return -ENOMEM;
	}
	p->t = *t;
	*t = (struct protect_target){ .pidfd = -1, .cgroup_fd = -1 };
	p->fp = fp;
	p->alerts = o->alerts;
	p->json = o->json;
	p->exec_mode = o->exec_mode;
	p->net_mode = o->net_mode;
	p->adopted = !o->prearmed && guard_container_get(g, p->t.cgroup, &old) == 0;
	r = o->tree_aware && o->behavior && o->exec_mode ? tree_policy_new(o->behavior, &p->tree)
							 : 0;
	if (r >= 0)
		r = arm(p, o, g, &protecting, err);
	if (r < 0) {
		protection_free(p, g, protecting); /* never leave a half-set-up container */
		return r;
	}
	*ret = p;
	return 0;
}

struct protection *protection_free(struct protection *p, struct guard *g, bool release)
{
	if (!p)
		return NULL;
	p->fan = exec_fanotify_free(p->fan);
	if (release && g)
		guard_release(g, p->t.cgroup);
	tree_policy_free(p->tree);
	fingerprint_free(p->fp);
	target_release(&p->t);
	free(p);
	return NULL;
}

bool protection_ended(struct protection *p)
{
	struct pollfd pfd = { .fd = p->t.pidfd, .events = POLLIN };
	struct stat st;

	if (p->t.pidfd >= 0 && poll(&pfd, 1, 0) > 0)
		return true;
	return p->t.cgroup_dir && stat(p->t.cgroup_dir, &st) < 0 && errno == ENOENT;
}

void protection_info(struct protection *p, struct protection_info *ret)
{
	*ret = (struct protection_info){
		.id = p->t.id, .pid = p->t.pid, .cgroup = p->t.cgroup,
		.cgroup_dir = p->t.cgroup_dir,
		.exec_mode = p->exec_mode, .net_mode = p->net_mode, .tree_aware = p->tree != NULL,
		.adopted = p->adopted, .net_adopted = p->net_adopted, .allowed = p->allowed,
		.net_rules = p->net_rules, .bpf_events = p->bpf_events,
	};
	if (p->fan)
		exec_fanotify_stats(p->fan, &ret->fanotify);
}

char *protection_describe(struct protection *p, const struct guard *g, const char *lsm)
{
	struct exec_fanotify_stats st = { 0 };
	_cleanup_free_ char *exec = NULL;

	if (p->fan)
		exec_fanotify_stats(p->fan, &st);
	exec = p->exec_mode
		       ? strdup_printf("fanotify exec (FAN_OPEN_EXEC_PERM on %zu mounts%s), bpf exec "
				       "(tp_btf/sched_process_exec, %zu executables, %s), bpf mmap "
				       "(syscall tracepoints%s, %zu ELF files)",
				       st.mounts, p->tree ? ", tree-aware" : "",
				       p->allowed.executables,
				       guard_exec_adopted(g) ? "adopted pinned programs"
							     : "attached and pinned",
				       guard_map32_on(g) ? " and tp_btf/sys_exit for 32-bit calls" : "",
				       p->allowed.mappable)
		       : strdup("exec: off");
	if (!exec)
		return NULL;
	return strdup_printf("%s, bpf net (%s), BPF-LSM: %s", exec,
			     p->net_mode ? "cgroup/connect4, connect6, sendmsg4, sendmsg6, sock_create"
					 : "off: no rules",
			     lsm);
}
