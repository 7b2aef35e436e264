/* SPDX-License-Identifier: Apache-2.0 */
/* Network rules and tree-aware pairs (rules.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "basic/fs.h"
#include "basic/log.h"
#include "rules.h"
#include "target.h"

static int parse_port(const char *s, unsigned short *ret)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 65535)
		return -EINVAL;
	*ret = (unsigned short)v;
	return 0;
}

int net_rule_parse(const char *s, struct guard_net_rule *ret)
{
	_cleanup_free_ char *buf = strlen(s) < 128 ? strdup(s) : NULL;
	struct guard_net_rule r = { 0 };
	char *slash, *colon, *ports, *host, *dash;
	unsigned long prefix;
	int max;

	if (!buf)
		return -EINVAL;
	slash = strrchr(buf, '/');
	if (slash && (strcmp(slash, "/tcp") == 0 || strcmp(slash, "/udp") == 0)) {
		r.proto = slash[1] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		*slash = '\0';
	}
	colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	ports = colon + 1;
	if (strcmp(ports, "*") == 0) {
		r.port_lo = 0;
		r.port_hi = 65535;
	} else if ((dash = strchr(ports, '-'))) {
		*dash = '\0';
		if (parse_port(ports, &r.port_lo) < 0 || parse_port(dash + 1, &r.port_hi) < 0 ||
		    r.port_lo > r.port_hi)
			return -EINVAL;
	} else {
		if (parse_port(ports, &r.port_lo) < 0)
			return -EINVAL;
		r.port_hi = r.port_lo;
	}
	host = buf;
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			return -EINVAL;
		host[n - 1] = '\0';
		host++;
	}
	slash = strchr(host, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, host, r.addr) == 1) {
		r.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, r.addr) == 1) {
		r.family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	prefix = (unsigned long)max;
	if (slash) {
		char *end;

		prefix = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || prefix > (unsigned long)max)
			return -EINVAL;
	}
	r.prefix = (unsigned char)prefix;
	*ret = r;
	return 0;
}

int net_policy_add(struct guard_net_policy *pol, const struct guard_net_rule *r)
{
	if (pol->n >= GUARD_NET_RULES_MAX)
		return -E2BIG;
	pol->rules[pol->n++] = *r;
	return 0;
}

static int add_process(struct guard_net_policy *pol, const struct bprocess *p, int depth)
{
	int r;

	if (depth > BEHAVIOR_MAX_DEPTH)
		return -ELOOP;
	for (size_t i = 0; i < p->n_connections; i++) {
		const struct bconnection *c = &p->connections[i];
		_cleanup_free_ char *spec = NULL;
		struct guard_net_rule rule;

		if (!c->address || c->port > 65535)
			continue;
		spec = strchr(c->address, ':') ? strdup_printf("[%s]:%u", c->address, c->port)
						: strdup_printf("%s:%u", c->address, c->port);
		if (!spec)
			return -ENOMEM;
		if (net_rule_parse(spec, &rule) < 0)
			continue; /* a hostname-only entry: nothing to match in the kernel */
		if (c->protocol && strcmp(c->protocol, "udp") == 0)
			rule.proto = IPPROTO_UDP;
		else if (c->protocol && strcmp(c->protocol, "tcp") == 0)
			rule.proto = IPPROTO_TCP;
		r = net_policy_add(pol, &rule);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->n_children; i++) {
		r = add_process(pol, &p->children[i], depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int net_policy_add_behavior(struct guard_net_policy *pol, const struct behavior *b)
{
	int r;

	for (size_t i = 0; i < b->n_containers; i++) {
		r = add_process(pol, &b->containers[i].entrypoint, 0);
		if (r >= 0 && b->containers[i].exec)
			r = add_process(pol, b->containers[i].exec, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

void net_format(unsigned short family, const unsigned char addr[16], unsigned short port,
		char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == 10 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, n, family == 10 ? "[%s]:%u" : "%s:%u", a, port);
}

/* ---- tree-aware mode ---- */

#define COMM_MAX 16

struct pair {
	char parent[COMM_MAX], child[COMM_MAX];
};

struct tree_policy {
	struct pair *pairs;
	size_t n, cap;
	/* the exec last judged: the kernel then opens the interpreter of that file (a script's
	 * #! line, an ELF loader) in the same system call, which is no new program */
	pid_t last_pid;
	char last_call[256];
};

static void comm_of(const char *name, char out[COMM_MAX])
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	size_t n = strnlen(base, COMM_MAX - 1); /* the kernel keeps 15 bytes of a comm */

	memcpy(out, base, n);
	out[n] = '\0';
}

/* argv[0] as the process gave it, else the comm. */
static const char *program_name(const struct bprogram *g)
{
	return g->n_args && g->args[0][0] ? g->args[0] : g->comm ? g->comm : "";
}

static int pair_add(struct tree_policy *t, const char *parent, const char *child)
{
	struct pair p;

	comm_of(parent, p.parent);
	comm_of(child, p.child);
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->pairs[i].parent, p.parent) == 0 &&
		    strcmp(t->pairs[i].child, p.child) == 0)
			return 0;
	if (t->n == t->cap) {
		struct pair *grown = realloc(t->pairs, (t->cap = t->cap ? 2 * t->cap : 32) *
							     sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		t->pairs = grown;
	}
	t->pairs[t->n++] = p;
	return 0;
}

/* parents: the programs the process may have been started by (none: the top). A node's
 * programs are in canonical (sorted) order, not in the order they were executed, so each of
 * them may have started any other. */
static int tree_add(struct tree_policy *t, const struct bprocess *p, const char *const *parents,
		    size_t n_parents, int depth)
{
	_cleanup_free_ const char **names = NULL;
	int r;

	if (depth > BEHAVIOR_MAX_DEPTH)
		return -ELOOP;
	for (size_t i = 0; i < p->n_programs; i++) {
		const char *g = program_name(&p->programs[i]);

		for (size_t k = 0; k < n_parents; k++)
			if ((r = pair_add(t, parents[k], g)) < 0)
				return r;
		for (size_t k = 0; k < p->n_programs; k++)
			if (k != i && (r = pair_add(t, program_name(&p->programs[k]), g)) < 0)
				return r;
	}
	if (p->n_programs) {
		names = calloc(p->n_programs, sizeof(*names));
		if (!names)
			return -ENOMEM;
		for (size_t i = 0; i < p->n_programs; i++)
			names[i] = program_name(&p->programs[i]);
		parents = names;
		n_parents = p->n_programs;
	}
	for (size_t i = 0; i < p->n_children; i++) {
		r = tree_add(t, &p->children[i], parents, n_parents, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int tree_policy_new(const struct behavior *b, struct tree_policy **ret)
{
	_cleanup_(tree_policy_freep) struct tree_policy *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	static const char *const top[] = { "" };

	for (size_t i = 0; i < b->n_containers; i++) {
		r = tree_add(t, &b->containers[i].entrypoint, top, 1, 0);
		if (r >= 0 && b->containers[i].exec)
			r = tree_add(t, b->containers[i].exec, top, 1, 0);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(t);
	return 0;
}

struct tree_policy *tree_policy_free(struct tree_policy *t)
{
	if (!t)
		return NULL;
	free(t->pairs);
	free(t);
	return NULL;
}

/* The execve()/execveat() pid is in (it is blocked inside that call, waiting for our answer,
 * so /proc/PID/syscall names its arguments and its old memory is still mapped): that line of
 * /proc/PID/syscall (the call's arguments and stack) and its argv[0]. -errno if pid is not in
 * one (x86-64 numbers). */
static int exec_args(pid_t pid, char line[static 256], char *argv0, size_t n)
{
	char path[64];
	unsigned long nr, a0, a1, a2, arg0 = 0;
	_cleanup_close_ int fd = -1;
	FILE *f;
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, 256, f) ||
	    sscanf(line, "%lu %lx %lx %lx", &nr, &a0, &a1, &a2) != 4) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	if (nr != 59 && nr != 322) /* execve, execveat */
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &arg0, sizeof(arg0), (off_t)(nr == 59 ? a1 : a2)) != sizeof(arg0) || !arg0)
		return -EIO;
	got = pread(fd, argv0, n - 1, (off_t)arg0);
	if (got <= 0)
		return -EIO;
	argv0[got] = '\0';
	return 0;
}

/* argv[0] of the program pid runs now (its /proc/PID/cmdline, which it can rewrite). */
static void current_argv0(pid_t pid, char *buf, size_t n)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/cmdline", (int)pid), *data = NULL;
	size_t len;

	buf[0] = '\0';
	if (path && read_file(path, 4096, &data, &len) == 0 && len > 0)
		snprintf(buf, n, "%s", data);
}

/* Does name (a path, or a command looked up as a shell would) name the file st, through
 * pid's root (its symlinks resolved inside that root)? */
static bool names_file(int root, const char *name, const struct stat *st)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					     "/usr/bin", "/sbin", "/bin" };
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

	for (size_t i = 0; i < (strchr(name, '/') ? 1 : ARRAY_SIZE(dirs)); i++) {
		_cleanup_free_ char *path = strchr(name, '/') ? strdup(name)
							       : strdup_printf("%s/%s", dirs[i], name);
		_cleanup_close_ int fd = path ? (int)syscall(SYS_openat2, root, path, &how,
							      sizeof(how))
					      : -1;
		struct stat got;

		if (fd >= 0 && fstat(fd, &got) == 0 && got.st_dev == st->st_dev &&
		    got.st_ino == st->st_ino)
			return true;
	}
	return false;
}

/* A program is the image file it executes (st, named exe): its name, or argv[0]'s when
 * argv[0] names that very file — the names of one multi-call file (busybox's applets,
 * python3 -> python3.11). Any other argv[0] is the caller's choice and says nothing. */
static void program_of(int root, const char *exe, const char *argv0, const struct stat *st,
		       char out[COMM_MAX])
{
	comm_of(exe, out);
	if (argv0 && argv0[0] && names_file(root, argv0, st))
		comm_of(argv0, out);
}

const char *tree_policy_check(void *tree_policy, pid_t pid, pid_t ppid, const char *exe,
			      const struct stat *st)
{
	struct tree_policy *t = tree_policy;
	char parent[COMM_MAX], child[COMM_MAX], argv0[256], link[64], pexe[PATH_MAX];
	char call[256];
	_cleanup_close_ int root = -1, pfd = -1;
	struct stat pst;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
	root = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return "unreadable_path";
	if (exec_args(pid, call, argv0, sizeof(argv0)) < 0)
		call[0] = argv0[0] = '\0';
	/* The kernel opening the interpreter of the file this very system call executes (a
	 * script's #! line, an ELF program's loader; the same pid, arguments and stack): that
	 * file was judged a moment ago, in its own event. */
	if (call[0] && pid == t->last_pid && strcmp(call, t->last_call) == 0)
		return NULL;
	program_of(root, exe, argv0, st, child);
	/* The parent is what pid runs now: its executable, not its writable cmdline. Not an
	 * image file (not on the container's root filesystem: runc's init for `podman exec`):
	 * started from outside the image, as RAD's "exec" entries and the entrypoint are
	 * learned, with no parent program. */
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	pfd = open(link, O_PATH | O_CLOEXEC);
	n = readlink(link, pexe, sizeof(pexe) - 1);
	pexe[n > 0 ? n : 0] = '\0';
	if (pfd < 0 || fstat(pfd, &pst) < 0 || pst.st_dev != st->st_dev) {
		parent[0] = '\0';
	} else {
		current_argv0(pid, argv0, sizeof(argv0));
		program_of(root, pexe, argv0, &pst, parent);
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->pairs[i].parent, parent) == 0 &&
		    strcmp(t->pairs[i].child, child) == 0) {
			/* allowed: its interpreter's event in this same call is no new program
			 * (only then, or a refused exec retried from the same place would pass) */
			t->last_pid = pid;
			snprintf(t->last_call, sizeof(t->last_call), "%s", call);
			return NULL;
		}
	log_debug("tree-aware: pid %d: '%s' started by '%s' was not learned", (int)pid, child,
		  parent);
	return "unlearned_parent";
}
