/* SPDX-License-Identifier: Apache-2.0 */
/* `create` through imprintd, for imprint-runc (docs/engines.md): runc creates the container
 * first (its init waits for `start`, so nothing of the image has run), then imprintd makes the
 * one decision on what is really mounted, from its cache, and protects the container as its
 * policy entry says; refused or not protected, the container is deleted. Shared by the small
 * front (src/cli/runc_front.c), which answers every warm start without loading imprint's
 * libraries, and the full wrapper (src/cli/runtime.c). libc, jansson, basic/, verify/result,
 * verify/audit and daemon/client only.
 * A refusal is also said in runc's --log JSON, which Docker and containerd show the user. */
#pragma once

#include <stdbool.h>

#include "front.h"
#include "runc_args.h"
#include "verify/result.h"

/* runc_create_via_imprintd() could not ask imprintd (not running, not answering, a malformed
 * answer): the container it created is deleted again and the caller verifies the bundle by
 * itself before creating it (as --imprint-paranoid=yes does). */
#define RUNC_CREATE_UNANSWERED (-1)

/* True for `create` when imprintd is to be asked: not paranoid, and its socket exists. */
bool runc_create_asks_imprintd(const struct runc_call *rc, const struct front_settings *s);

/* Create through runc (argv as given, argv[0] "runc"), then ask imprintd. The bundle is the
 * absolute path. Returns 0: created and allowed (and armed if imprintd protects it); 1:
 * refused (the container deleted; the line said on stderr, in the audit log and in runc's
 * log); runc's own exit code when runc failed (it said why); RUNC_CREATE_UNANSWERED. */
int runc_create_via_imprintd(const char *runc, char **argv, const struct runc_call *rc,
			     const char *bundle, const struct front_settings *s);

/* Say a refusal ("imprint: LINE"; line NULL: "imprint: refused") in runc's --log file (JSON
 * lines, read by containerd and Docker); log NULL: none. */
void runc_log_refusal(const char *log, const char *line);
