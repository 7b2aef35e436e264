/* SPDX-License-Identifier: Apache-2.0 */
/* What the two small fronts share (imprint-runc: src/cli/runc_front.c; imprint-hook:
 * src/cli/hook_front.c): they answer the common case, a container start with imprintd
 * running, without loading imprint's libraries, and hand everything else to the full
 * `imprint` installed beside them. libc, jansson and the client of imprintd only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "verify/result.h"

/* What a front needs of the configuration (the keys mode, audit-log, socket, paranoid and
 * storage-root; docs/cli.md), with the defaults of the hook and imprint-runc. Borrowed from
 * the conf. */
struct front_settings {
	enum verify_mode mode;
	const char *audit_log; /* "" : none */
	const char *socket_path;
	bool paranoid;
	const char *storage_root; /* NULL: found from the container */
};
void front_settings_init(struct front_settings *s, const struct conf *conf);

/* `imprint` in this program's directory, into buf; -ELOOP if that is this program itself (a
 * copy put in its place would exec itself forever). */
int front_find_imprint(char *buf, size_t len);

/* Exec that `imprint` with args (args[0] is the name it runs as). Returns only on failure,
 * having said why on stderr: 2 (nothing was verified). */
int front_exec_imprint(const char *self, char **args);
