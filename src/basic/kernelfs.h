/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's pseudo filesystems imprint needs, mounted where they are missing: a fresh
 * machine mounts neither bpffs nor tracefs, and nothing may depend on a mount made by hand.
 * bpftool does the same (it mounts bpffs where it pins). */
#pragma once

#include "basic/error.h"

/* Make pin_dir a directory on bpffs: where its parent is not on bpffs, mount one there (mode
 * 0700), then create pin_dir. A pin_dir that is itself on bpffs is used as it is. */
int bpffs_ensure(const char *pin_dir, struct error *err);

/* The per-syscall tracepoints need tracefs (libbpf reads the events' ids there): mount it at
 * /sys/kernel/tracing when neither it nor the debugfs copy has events/syscalls. Returns 1 when
 * mounted here, 0 when present, -errno. */
int tracefs_ensure(void);
