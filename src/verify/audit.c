/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "basic/clock.h"
#include "basic/fs.h"

static void append_line(const char *path, const char *line)
{
	_cleanup_free_ char *dir = path_parent(path);
	_cleanup_close_ int fd = -1;
	size_t len = strlen(line);

	if (dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* One write() of the whole line: O_APPEND keeps concurrent writers' lines whole. */
	if (fd < 0 || write(fd, line, len) != (ssize_t)len)
		goto fail;
	return;
fail:
	fprintf(stderr, "imprint: cannot write the audit log %s: %m\n", path);
}

void audit_record(const char *path, const char *event, const char *container,
		  const struct verify_result *res)
{
	json_t *j = verify_result_json(res);
	_cleanup_free_ char *text = NULL, *line = NULL, *summary = verify_result_line(res);
	char now[32];

	if (!j)
		return;
	time_format_rfc3339((int64_t)time(NULL), now);
	json_object_set_new(j, "time", json_string(now));
	json_object_set_new(j, "event", json_string(event));
	json_object_set_new(j, "container", container ? json_string(container) : json_null());
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	line = text ? strdup_printf("%s\n", text) : NULL;
	if (line && path && *path)
		append_line(path, line);
	openlog("imprint", LOG_PID, LOG_AUTHPRIV);
	syslog(res->allowed ? LOG_INFO : LOG_WARNING, "%s%s%s", container ? container : "",
	       container ? ": " : "", summary ? summary : event);
	closelog();
}

char *audit_decision(const char *path, const char *event, const char *container,
		     const struct verify_result *res)
{
	char *line;

	audit_record(path, event, container, res);
	if (!res->refused)
		return NULL;
	line = verify_result_line(res);
	fprintf(stderr, "imprint: %s%s\n", line ? line : "refused",
		res->allowed ? "" : "; the container is not started");
	return line;
}
