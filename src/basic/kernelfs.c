/* SPDX-License-Identifier: Apache-2.0 */
/* Mounting bpffs and tracefs where they are missing (kernelfs.h). */
#include <errno.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "basic/kernelfs.h"
#include "basic/macro.h"

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int bpffs_ensure(const char *pin_dir, struct error *err)
{
	_cleanup_free_ char *copy = strdup(pin_dir);
	const char *parent;

	if (!copy)
		return -ENOMEM;
	if (on_bpffs(pin_dir))
		return 0;
	parent = dirname(copy);
	if (!on_bpffs(parent) && mount("bpf", parent, "bpf", 0, "mode=0700") < 0)
		return error_set(err, -errno, "no bpffs at %s and cannot mount one there: %m "
				 "(mount -t bpf bpf %s, or --pin-dir DIR on a bpffs)", parent,
				 parent);
	if (mkdir(pin_dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, -errno, "cannot create %s: %m", pin_dir);
	return 0;
}

int tracefs_ensure(void)
{
	if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events/syscalls", F_OK) == 0)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return -errno;
	return access("/sys/kernel/tracing/events/syscalls", F_OK) == 0 ? 1 : -ENOENT;
}
