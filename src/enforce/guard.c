/* SPDX-License-Identifier: Apache-2.0 */
/* Loading, pinning and adopting the enforcement BPF programs (guard.h). Pins:
 *   PIN/guard_protected, guard_allowed, guard_net, guard_events, guard_lost   maps (by name)
 *   PIN/guard_map_calls                 map (mapping calls between entry and return)
 *   PIN/guard_exec                      the sched_process_exec link
 *   PIN/guard_{mmap,mprotect,pkey_mprotect}_{enter,exit}  the mapping calls' tracepoint links
 *   PIN/guard_map32                     raw sys_exit link (32-bit mapping calls), on demand
 *   PIN/net-<cgroup id>-{connect4,connect6,sendmsg4,sendmsg6}  one container's links */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "basic/fs.h"
#include "basic/kernelfs.h"
#include "guard.h"
#include "guard.skel.h"

/* The programs every protected container shares, attached once and pinned (PIN/NAME);
 * guard_map32, the last, only when an image needs it (guard_need_map32). */
static const char *const shared_links[] = {
	"guard_exec",          "guard_mmap_enter",          "guard_mmap_exit",
	"guard_mprotect_enter", "guard_mprotect_exit",      "guard_pkey_mprotect_enter",
	"guard_pkey_mprotect_exit", "guard_map32",
};
#define LINK_MMAP_EXIT 2
#define LINK_MAP32 (ARRAY_SIZE(shared_links) - 1)

struct guard {
	struct guard_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[ARRAY_SIZE(shared_links)]; /* NULL when adopted */
	bool adopted[ARRAY_SIZE(shared_links)];
	char *pin_dir;
	guard_event_fn fn;
	void *userdata;
};

static const char *const net_progs[] = { "connect4", "connect6", "sendmsg4", "sendmsg6",
					 "sock_create" };

_printf_(2, 0) static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("IMPRINT_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

unsigned int guard_kdev(dev_t dev)
{
	return (major(dev) << 20) | minor(dev);
}

static int on_ring_event(void *ctx, void *data, size_t len)
{
	struct guard *g = ctx;

	if (len >= sizeof(struct guard_event))
		g->fn(g->userdata, data);
	return 0;
}

static char *pin_path(const struct guard *g, const char *name)
{
	return strdup_printf("%s/%s", g->pin_dir, name);
}

/* Whether PIN/name exists (a link a process before us pinned). */
static bool access_pin(const struct guard *g, const char *name)
{
	_cleanup_free_ char *path = pin_path(g, name);

	return path && access(path, F_OK) == 0;
}

static struct bpf_program *shared_prog(struct guard *g, size_t i)
{
	struct bpf_program *p[] = {
		g->skel->progs.guard_exec,           g->skel->progs.guard_mmap_enter,
		g->skel->progs.guard_mmap_exit,      g->skel->progs.guard_mprotect_enter,
		g->skel->progs.guard_mprotect_exit,  g->skel->progs.guard_pkey_mprotect_enter,
		g->skel->progs.guard_pkey_mprotect_exit, g->skel->progs.guard_map32,
	};
	return p[i];
}

/* Attach shared program i and pin its link, or adopt the link a process before us pinned. */
static int attach_shared(struct guard *g, size_t i, struct error *err)
{
	_cleanup_free_ char *path = pin_path(g, shared_links[i]);
	int r;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) == 0) {
		g->adopted[i] = true;
		return 0;
	}
	g->links[i] = bpf_program__attach(shared_prog(g, i));
	if (!g->links[i])
		return error_set(err, -errno, "cannot attach %s: %m",
				 bpf_program__section_name(shared_prog(g, i)));
	r = bpf_link__pin(g->links[i], path);
	if (r < 0)
		return error_set(err, r, "cannot pin %s: %s", path, strerror(-r));
	return 0;
}

int guard_open(const char *pin_dir, guard_event_fn fn, void *userdata, struct guard **ret,
	       struct error *err)
{
	_cleanup_(guard_freep) struct guard *g = calloc(1, sizeof(*g));
	int r;

	if (!g || !(g->pin_dir = strdup(pin_dir)))
		return -ENOMEM;
	g->fn = fn;
	g->userdata = userdata;
	libbpf_set_print(quiet);
	r = bpffs_ensure(pin_dir, err);
	if (r < 0)
		return r;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = g->pin_dir);
	g->skel = guard_bpf__open_opts(&opts);
	if (!g->skel)
		return error_set(err, -errno ?: -EINVAL, "cannot open the enforcement BPF object");
	r = guard_bpf__load(g->skel);
	if (r < 0)
		return error_set(err, r, "cannot load the enforcement BPF programs: %s (pinned "
				 "maps of another version in %s? IMPRINT_BPF_DEBUG=1 shows "
				 "libbpf's log)", strerror(-r), pin_dir);
	tracefs_ensure(); /* the syscall tracepoints are attached through it */
	for (size_t i = 0; i < LINK_MAP32; i++) {
		r = attach_shared(g, i, err);
		if (r < 0)
			return r;
	}
	g->adopted[LINK_MAP32] = access_pin(g, shared_links[LINK_MAP32]);
	g->rb = ring_buffer__new(bpf_map__fd(g->skel->maps.guard_events), on_ring_event, g, NULL);
	if (!g->rb)
		return error_set(err, -errno ?: -ENOMEM, "cannot read the enforcement ring buffer");
	*ret = TAKE_PTR(g);
	return 0;
}

struct guard *guard_free(struct guard *g)
{
	if (!g)
		return NULL;
	ring_buffer__free(g->rb);
	for (size_t i = 0; i < ARRAY_SIZE(shared_links); i++)
		bpf_link__destroy(g->links[i]); /* closes our fd; the pin keeps it attached */
	guard_bpf__destroy(g->skel);
	free(g->pin_dir);
	free(g);
	return NULL;
}

bool guard_exec_adopted(const struct guard *g)
{
	return g->adopted[0];
}

bool guard_map_adopted(const struct guard *g)
{
	return g->adopted[LINK_MMAP_EXIT];
}

int guard_need_map32(struct guard *g, struct error *err)
{
	return g->links[LINK_MAP32] || g->adopted[LINK_MAP32] ? 0 : attach_shared(g, LINK_MAP32, err);
}

bool guard_map32_on(const struct guard *g)
{
	return g->links[LINK_MAP32] || g->adopted[LINK_MAP32];
}

int guard_container_get(struct guard *g, uint64_t cgroup, struct guard_container *ret)
{
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.guard_protected), &cgroup, ret) < 0)
		return -errno;
	return 0;
}

int guard_net_get(struct guard *g, uint64_t cgroup, struct guard_net_policy *ret)
{
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.guard_net), &cgroup, ret) < 0)
		return -errno;
	return 0;
}

int guard_allow(struct guard *g, uint64_t cgroup, dev_t dev, ino_t ino, uint8_t what)
{
	struct guard_exec_key k = { .cgroup = cgroup, .ino = ino, .dev = guard_kdev(dev) };
	int fd = bpf_map__fd(g->skel->maps.guard_allowed);
	uint8_t v = 0;

	bpf_map_lookup_elem(fd, &k, &v);
	v |= what;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int guard_protect(struct guard *g, uint64_t cgroup, const struct guard_container *c)
{
	int fd = bpf_map__fd(g->skel->maps.guard_protected);

	if (bpf_map_update_elem(fd, &cgroup, c, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static struct bpf_program *net_prog(struct guard *g, size_t i)
{
	struct bpf_program *p[] = { g->skel->progs.guard_connect4, g->skel->progs.guard_connect6,
				    g->skel->progs.guard_sendmsg4, g->skel->progs.guard_sendmsg6,
				    g->skel->progs.guard_sock_create };
	return p[i];
}

int guard_net_attach(struct guard *g, uint64_t cgroup, int cgroup_fd,
		     const struct guard_net_policy *pol, bool *ret_adopted, struct error *err)
{
	bool adopted = true;

	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.guard_net), &cgroup, pol, BPF_ANY) < 0)
		return error_set(err, -errno, "cannot set the network policy: %m");
	for (size_t i = 0; i < ARRAY_SIZE(net_progs); i++) {
		_cleanup_free_ char *name = strdup_printf("net-%llu-%s", (unsigned long long)cgroup,
							  net_progs[i]);
		_cleanup_free_ char *path = name ? pin_path(g, name) : NULL;
		struct bpf_link *link;
		int r;

		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) == 0)
			continue;
		adopted = false;
		link = bpf_program__attach_cgroup(net_prog(g, i), cgroup_fd);
		if (!link)
			return error_set(err, -errno, "cannot attach cgroup/%s: %m", net_progs[i]);
		r = bpf_link__pin(link, path);
		bpf_link__destroy(link);
		if (r < 0)
			return error_set(err, r, "cannot pin %s: %s", path, strerror(-r));
	}
	*ret_adopted = adopted;
	return 0;
}

/* Detach a pinned link and remove its pin. */
static void unpin_link(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	unlink(path);
}

int guard_release(struct guard *g, uint64_t cgroup)
{
	int allowed = bpf_map__fd(g->skel->maps.guard_allowed);
	struct guard_exec_key k, next, *prev = NULL;
	uint64_t any;

	bpf_map_delete_elem(bpf_map__fd(g->skel->maps.guard_protected), &cgroup);
	bpf_map_delete_elem(bpf_map__fd(g->skel->maps.guard_net), &cgroup);
	for (size_t i = 0; i < ARRAY_SIZE(net_progs); i++) {
		_cleanup_free_ char *name = strdup_printf("net-%llu-%s", (unsigned long long)cgroup,
							  net_progs[i]);
		_cleanup_free_ char *path = name ? pin_path(g, name) : NULL;

		if (path)
			unpin_link(path);
	}
	/* Deleting while walking: restart from the beginning after each delete. */
	while (bpf_map_get_next_key(allowed, prev, &next) == 0) {
		if (next.cgroup == cgroup) {
			bpf_map_delete_elem(allowed, &next);
			prev = NULL;
			continue;
		}
		k = next;
		prev = &k;
	}
	if (bpf_map_get_next_key(bpf_map__fd(g->skel->maps.guard_protected), NULL, &any) == 0)
		return 0;
	/* Nobody is protected any more: leave nothing behind. */
	static const char *const maps[] = { "guard_protected", "guard_allowed", "guard_net",
					    "guard_events", "guard_lost", "guard_map_calls" };
	for (size_t i = 0; i < ARRAY_SIZE(shared_links); i++) {
		_cleanup_free_ char *path = pin_path(g, shared_links[i]);

		if (path)
			unpin_link(path);
		bpf_link__destroy(g->links[i]);
		g->links[i] = NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		_cleanup_free_ char *path = pin_path(g, maps[i]);

		if (path)
			unlink(path);
	}
	rmdir(g->pin_dir);
	return 0;
}

int guard_poll(struct guard *g, int timeout_ms)
{
	int r = ring_buffer__poll(g->rb, timeout_ms);

	return r == -EINTR ? 0 : r;
}

int guard_poll_fd(const struct guard *g)
{
	return ring_buffer__epoll_fd(g->rb);
}

uint64_t guard_lost(const struct guard *g)
{
	uint32_t zero = 0;
	uint64_t n = 0;

	bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.guard_lost), &zero, &n);
	return n;
}

int guard_probe_lsm(char *why, size_t n)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *btf = btf__load_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "bpf_lsm_bprm_check_security", BTF_KIND_FUNC)
		     : -ENOENT;
	int fd;

	btf__free(btf);
	if (id < 0) {
		snprintf(why, n, "no bpf_lsm_bprm_check_security in the kernel's BTF");
		return 0;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC,
		    .attach_btf_id = (unsigned)id);
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "imprint_probe", "GPL", insns, ARRAY_SIZE(insns), &o);
	if (fd < 0) {
		snprintf(why, n, "an lsm/bprm_check_security program does not load: %s",
			 strerror(errno));
		return 0;
	}
	close(fd);
	/* Loading is not enough: "bpf" must be among the active LSMs for it to run. */
	_cleanup_free_ char *lsms = NULL;
	size_t len;

	if (read_file("/sys/kernel/security/lsm", 4096, &lsms, &len) < 0 || !strstr(lsms, "bpf")) {
		snprintf(why, n, "programs load but \"bpf\" is not an active LSM");
		return 0;
	}
	snprintf(why, n, "available");
	return 1;
}
