/* SPDX-License-Identifier: Apache-2.0 */
/* Time: the two clocks imprint reads and the one text form it writes and parses (RFC 3339 in
 * UTC, as Falco, Docker and the OCI specs print it). libc only. */
#pragma once

#include <stdint.h>

/* Elapsed time (CLOCK_MONOTONIC): for durations and deadlines. */
int64_t clock_monotonic_us(void);
int64_t clock_monotonic_ms(void);
/* Wall-clock time (CLOCK_REALTIME) in microseconds since the epoch: for records. */
int64_t clock_realtime_us(void);

/* "2026-12-03T14:22:47Z" <-> seconds since the epoch. Parsing refuses anything else
 * (-EINVAL). */
int time_parse_rfc3339(const char *s, int64_t *ret);
void time_format_rfc3339(int64_t t, char buf[static 32]);
/* Now, with nanoseconds, as Falco's alerts carry it: "2026-12-03T14:22:47.123456789Z". */
void time_format_rfc3339_now_ns(char buf[static 48]);
