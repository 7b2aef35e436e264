/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail of decisions (docs/verify.md): one JSON line per decision appended to a
 * log file, and the same decision to syslog (LOG_AUTHPRIV). Writing the trail never changes a
 * decision: a failure to write is reported on stderr and the decision stands. */
#pragma once

#include "verify.h"

#define AUDIT_LOG_DEFAULT "/var/log/imprint/audit.jsonl"

/* event: "hook", "runtime" or "verify"; container may be NULL. path NULL or "" disables the
 * file (syslog still gets the line). */
void audit_record(const char *path, const char *event, const char *container,
		  const struct verify_result *res);
