/* SPDX-License-Identifier: Apache-2.0 */
/* The fronts' shared part (front.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/client.h"
#include "front.h"
#include "verify/audit.h"

void front_settings_init(struct front_settings *s, const struct conf *conf)
{
	const char *mode = conf_get(conf, "mode");

	*s = (struct front_settings){
		.mode = mode && strcmp(mode, "monitor") == 0 ? VERIFY_MONITOR : VERIFY_ENFORCE,
		.audit_log = conf_get(conf, "audit-log") ?: AUDIT_LOG_DEFAULT,
		.socket_path = conf_get(conf, "socket") ?: IMPRINTD_SOCKET,
		.paranoid = conf_get_bool(conf, "paranoid", false),
		.storage_root = conf_get(conf, "storage-root"),
	};
}

int front_find_imprint(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	struct stat self, full;
	char *slash;

	if (n <= 0)
		return -errno;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + sizeof("/imprint") > len)
		return -ENAMETOOLONG;
	memcpy(slash, "/imprint", sizeof("/imprint"));
	if (stat("/proc/self/exe", &self) < 0 || stat(buf, &full) < 0)
		return -errno;
	if (self.st_dev == full.st_dev && self.st_ino == full.st_ino)
		return -ELOOP;
	return 0;
}

int front_exec_imprint(const char *self, char **args)
{
	char path[PATH_MAX];
	int r = front_find_imprint(path, sizeof(path));

	if (r < 0) {
		fprintf(stderr, "%s: no imprint beside it (%s): %s\n", self, path, strerror(-r));
		return 2;
	}
	execv(path, args);
	fprintf(stderr, "%s: cannot run %s: %m\n", self, path);
	return 2;
}
