/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail of decisions (docs/verify.md): one JSON line per decision appended to a
 * log file, and the same decision to syslog (LOG_AUTHPRIV). Writing the trail never changes a
 * decision: a failure to write is reported on stderr and the decision stands. */
#pragma once

#include "result.h"

#define AUDIT_LOG_DEFAULT "/var/log/imprint/audit.jsonl"

/* event: "hook", "runtime" or "verify"; container may be NULL. path NULL or "" disables the
 * file (syslog still gets the line). */
void audit_record(const char *path, const char *event, const char *container,
		  const struct verify_result *res);

/* A decision on a container, reported the same way by every entry point (hook, imprint-runc):
 * the audit record, and for a refusal its line on stderr ("imprint: LINE", with "; the
 * container is not started" unless monitor mode lets it). Returns the refusal's line (caller
 * frees; the engine's log gets it too) or NULL. */
char *audit_decision(const char *path, const char *event, const char *container,
		     const struct verify_result *res);
