/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int error_set(struct error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->message[0])
		return r;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

int error_prefix(struct error *err, int r, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->message)];
	va_list ap;

	if (!err)
		return r;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	if (old[0])
		snprintf(err->message, sizeof(err->message), "%.400s: %.600s", prefix, old);
	else
		snprintf(err->message, sizeof(err->message), "%.400s: %.600s", prefix,
			 strerror(-r));
	return r;
}
