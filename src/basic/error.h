/* SPDX-License-Identifier: Apache-2.0 */
/* Where input was bad: library code fills a struct error and returns -errno; programs decide what
 * the user sees (docs/errors.md). */
#pragma once

#include "macro.h"

struct error {
	char message[1024];
};

/* Record a message (printf-style) in err (which may be NULL) and return r (a negative errno).
 * The first message wins: callers further up add context with error_prefix(). */
int error_set(struct error *err, int r, const char *fmt, ...) _printf_(3, 4);

/* Prepend "context: " to the message already recorded; returns r. */
int error_prefix(struct error *err, int r, const char *fmt, ...) _printf_(3, 4);
