/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the sensor. Who owns what: struct sensor owns the skeleton (programs, maps, links)
 * and the ring buffer reader; events are valid only during the callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "basic/kernelfs.h"
#include "loader.h"
#include "sensor.skel.h"

struct sensor {
	struct sensor_bpf *skel;
	struct ring_buffer *rb;
	sensor_event_fn fn;
	void *userdata;
	int error;
	char hooks[512];
};

static int on_ring_event(void *ctx, void *data, size_t len)
{
	struct sensor *s = ctx;
	int r = s->fn(s->userdata, data, len);

	if (r < 0)
		s->error = r;
	return r < 0 ? r : 0;
}

_printf_(2, 0) static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("IMPRINT_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* Open, load and attach the skeleton with one of the two sets of system call programs. */
static int sensor_load(struct sensor *s, bool per_syscall, struct error *err)
{
	struct bpf_program *per_syscall_progs[] = {
		s->skel->progs.tp_exit_open,	 s->skel->progs.tp_exit_openat,
		s->skel->progs.tp_exit_openat2,	 s->skel->progs.tp_exit_connect,
		s->skel->progs.tp_exit_listen,	 s->skel->progs.tp_exit_bind,
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(per_syscall_progs); i++)
		bpf_program__set_autoload(per_syscall_progs[i], per_syscall);
	bpf_program__set_autoload(s->skel->progs.on_sys_exit, !per_syscall);
	s->skel->rodata->use_open_cache = !getenv("IMPRINT_SENSOR_NO_CACHE");
	s->skel->rodata->hooks_only = getenv("IMPRINT_SENSOR_HOOKS_ONLY") != NULL;
	r = sensor_bpf__load(s->skel);
	if (r < 0)
		return error_set(err, r, "cannot load the BPF sensor: %s (IMPRINT_BPF_DEBUG=1 shows "
					 "the verifier's log)", strerror(-r));
	r = sensor_bpf__attach(s->skel);
	if (r < 0)
		return error_set(err, r, "cannot attach the BPF sensor: %s", strerror(-r));
	return 0;
}

/* Try the per-syscall tracepoints, then every system call through tp_btf (no tracefs needed).
 * IMPRINT_SENSOR_HOOKS=tp_btf skips the first (to measure or to work around). */
static int sensor_open_best(struct sensor *s, struct error *err)
{
	const char *want = getenv("IMPRINT_SENSOR_HOOKS");
	struct error first = { { 0 } };
	char why[160] = "";
	int r, mounted = 0;

	if (!want || strcmp(want, "tp_btf") != 0) {
		mounted = tracefs_ensure();
		if (mounted >= 0) {
			s->skel = sensor_bpf__open();
			if (!s->skel)
				return error_set(err, -errno ?: -ENOMEM, "cannot open the BPF sensor");
			r = sensor_load(s, true, &first); /* a failure here is not the last word */
			if (r >= 0) {
				snprintf(s->hooks, sizeof(s->hooks),
					 "tp_btf: sched_process_exec, sched_process_fork, "
					 "sched_process_exit; tp/syscalls: sys_exit_open, "
					 "sys_exit_openat, sys_exit_openat2, sys_exit_connect, "
					 "sys_exit_listen, sys_exit_bind%s; open cache %s%s",
					 mounted ? " (tracefs mounted at /sys/kernel/tracing)" : "",
					 s->skel->rodata->use_open_cache ? "on" : "off",
					 s->skel->rodata->hooks_only ? "; IMPRINT_SENSOR_HOOKS_ONLY: "
					 "the syscall programs return at once, nothing is recorded" : "");
				return 0;
			}
			sensor_bpf__destroy(s->skel);
			s->skel = NULL;
			snprintf(why, sizeof(why), " (per-syscall tracepoints: %.100s)",
				 first.message);
		} else
			snprintf(why, sizeof(why), " (no tracefs for the per-syscall tracepoints: %s)",
				 strerror(-mounted));
	} else
		snprintf(why, sizeof(why), " (IMPRINT_SENSOR_HOOKS=tp_btf)");
	s->skel = sensor_bpf__open();
	if (!s->skel)
		return error_set(err, -errno ?: -ENOMEM, "cannot open the BPF sensor");
	r = sensor_load(s, false, err);
	if (r < 0)
		return r;
	snprintf(s->hooks, sizeof(s->hooks),
		 "tp_btf: sched_process_exec, sched_process_fork, sched_process_exit, "
		 "sys_exit (open, openat, openat2, connect, listen, bind)%s; "
		 "open cache %s%s", why, s->skel->rodata->use_open_cache ? "on" : "off",
		 s->skel->rodata->hooks_only ? "; IMPRINT_SENSOR_HOOKS_ONLY: the syscall programs "
		 "return at once, nothing is recorded" : "");
	return 0;
}

int sensor_start(sensor_event_fn fn, void *userdata, struct sensor **ret, struct error *err)
{
	struct sensor *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->userdata = userdata;
	libbpf_set_print(quiet);
	r = sensor_open_best(s, err);
	if (r < 0) {
		sensor_free(s);
		return r;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ring_event, s, NULL);
	if (!s->rb) {
		r = -errno ?: -ENOMEM;
		sensor_free(s);
		return error_set(err, r, "cannot read the sensor's ring buffer: %s", strerror(-r));
	}
	*ret = s;
	return 0;
}

struct sensor *sensor_free(struct sensor *s)
{
	if (!s)
		return NULL;
	ring_buffer__free(s->rb);
	sensor_bpf__destroy(s->skel);
	free(s);
	return NULL;
}

const char *sensor_hooks(const struct sensor *s)
{
	return s->hooks;
}

int sensor_poll(struct sensor *s, int timeout_ms)
{
	int r = ring_buffer__poll(s->rb, timeout_ms);

	if (s->error) {
		r = s->error;
		s->error = 0;
	}
	return r == -EINTR ? 0 : r;
}

uint64_t sensor_count(const struct sensor *s, uint64_t cgroup, uint64_t key)
{
	struct sensor_seen_key k = { .cgroup = cgroup, .key = key };
	uint64_t n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.seen), &k, &n) < 0)
		return 0;
	return n;
}

uint64_t sensor_lost(const struct sensor *s, uint64_t cgroup)
{
	uint64_t n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.lost), &cgroup, &n) < 0)
		return 0;
	return n;
}

/* Must stay the same as mix() in sensor.bpf.c. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	h ^= h >> 29;
	return h;
}

uint64_t sensor_node_id(uint64_t parent, uint32_t uid, uint32_t gid, char *const *args,
			size_t n_args)
{
	uint64_t h = mix(parent, ((uint64_t)gid << 32) | uid);
	size_t used = 0;

	for (size_t i = 0; i < n_args && used < SENSOR_ARGS_MAX; i++) {
		size_t len = strlen(args[i]) + 1; /* with its NUL */

		for (size_t k = 0; k < len && used < SENSOR_ARGS_MAX; k++, used++)
			h = mix(h, (unsigned char)args[i][k]);
	}
	return h;
}
