/* SPDX-License-Identifier: Apache-2.0 */
/* Where imprintd's alert lines go (docs/daemon.md, docs/events.md): a stdio stream that takes
 * Falco-shaped JSON lines — from the protector's alert queue, from drift detection — and
 * records each in the events database and the metrics.
 *
 * Who owns what: the stream owns its line buffer; the metrics and events writer are borrowed
 * (both thread-safe) and must outlive it. One thread writes to a stream; each writer opens
 * its own. fclose() frees it. */
#pragma once

#include <stdio.h>

#include "events_db.h"
#include "metrics.h"

/* NULL on allocation failure. events may be NULL (no database). */
FILE *alert_sink_open(struct metrics *metrics, struct events_writer *events);
