/* SPDX-License-Identifier: Apache-2.0 */
/* Network rules and tree-aware pairs (rules.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

/* argv[0] of the execve()/execveat() the process is in (it is blocked inside that call,
 * waiting for our answer, so /proc/PID/syscall names its arguments and its old memory is
 * still mapped). A program is named by argv[0], not by the file opened: every busybox applet
 * is a link to one file, and busybox may re-execute itself through /proc/self/exe. */
static int exec_argv0(pid_t pid, char *buf, size_t n)
{
	char path[64], line[256];
	unsigned long nr, a0, a1, a2, argv0 = 0;
	FILE *f;
	int fd;
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "%lu %lx %lx %lx", &nr, &a0, &a1, &a2) != 4) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	if (nr != 59 && nr != 322) /* x86-64 execve, execveat */
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, &argv0, sizeof(argv0), (off_t)(nr == 59 ? a1 : a2));
	if (got == sizeof(argv0) && argv0)
		got = pread(fd, buf, n - 1, (off_t)argv0);
	else
		got = -1;
	close(fd);
	if (got <= 0)
		return -EIO;
	buf[got] = '\0';
	return buf[0] ? 0 : -EINVAL;
}

/* argv[0] of the program pid runs now (before its exec completes). */
static void current_argv0(pid_t pid, char *buf, size_t n)
{
	_cleanup_free_ char *path = strdup_printf("/proc/%d/cmdline", (int)pid), *data = NULL;
	size_t len;

	buf[0] = '\0';
	if (path && read_file(path, 4096, &data, &len) == 0 && len > 0)
		snprintf(buf, n, "%s", data);
}

const char *tree_policy_check(void *tree_policy, pid_t pid, pid_t ppid, const char *exe)
{
	struct tree_policy *t = tree_policy;
	char parent[COMM_MAX], child[COMM_MAX], name[256];

	comm_of(exe, child);
	if (path_is_elf_loader(child))
		return NULL; /* the kernel opening a program's ELF interpreter */
	if (exec_argv0(pid, name, sizeof(name)) == 0)
		comm_of(name, child);
	current_argv0(pid, name, sizeof(name));
	comm_of(name, parent);
	/* Started from outside the image (podman exec: runc's init): RAD's "exec" entries and
	 * the entrypoint are learned with no parent program. */
	if (strncmp(parent, "runc", 4) == 0 || strncmp(parent, "crun", 4) == 0)
		parent[0] = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->pairs[i].parent, parent) == 0 &&
		    strcmp(t->pairs[i].child, child) == 0)
			return NULL;
	log_debug("tree-aware: pid %d: '%s' started by '%s' was not learned", (int)pid, child,
		  parent);
	return "unlearned_parent";
}
