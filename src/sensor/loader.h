/* SPDX-License-Identifier: Apache-2.0 */
/* The sensor's user-space side (docs/sensor.md): load and attach the BPF programs (the
 * skeleton of sensor.bpf.c), deliver ring buffer events, and read the in-kernel counters
 * (how often a deduplicated event happened, how many were lost per cgroup). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "sensor.h"

struct sensor;

/* Called for every event; a negative return stops sensor_poll() with that error. */
typedef int (*sensor_event_fn)(void *userdata, const void *event, size_t len);

int sensor_start(sensor_event_fn fn, void *userdata, struct sensor **ret, struct error *err);
struct sensor *sensor_free(struct sensor *s);
DEFINE_FREEP(struct sensor, sensor_free)

/* Which hooks are attached, for people ("tp_btf: sched_process_exec, ..."). */
const char *sensor_hooks(const struct sensor *s);

/* Deliver pending events (waiting at most timeout_ms). Returns the number delivered. */
int sensor_poll(struct sensor *s, int timeout_ms);

/* How many times the event with this dedup key happened in cgroup (>= 1 once sent). */
uint64_t sensor_count(const struct sensor *s, uint64_t cgroup, uint64_t key);
/* Events lost in cgroup (ring buffer full). */
uint64_t sensor_lost(const struct sensor *s, uint64_t cgroup);

/* The node id the kernel side gives a process started with args (each NUL-terminated, the
 * first SENSOR_ARGS_MAX bytes) by uid:gid under parent: the same hash as sensor.bpf.c, so a
 * learned tree can be matched against live events. */
uint64_t sensor_node_id(uint64_t parent, uint32_t uid, uint32_t gid, char *const *args,
			size_t n_args);
