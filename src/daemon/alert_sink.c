/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/clock.h"
#include "alert_sink.h"
#include "enforce/alert.h"

#define ALERT_LINE_MAX (64u * 1024) /* a longer line is cut there */

struct alert_sink {
	struct metrics *metrics;
	struct events_writer *events;
	char line[ALERT_LINE_MAX];
	size_t len;
};

static void record(struct alert_sink *s, const char *text)
{
	json_t *a = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_t *fields = json_object_get(a, "output_fields");
	const char *id = json_string_value(json_object_get(fields, "container.id"));
	const char *decision = json_string_value(json_object_get(a, "decision"));
	struct event ev;

	if (!a)
		return;
	metrics_add(s->metrics, METRIC_EVENTS, id, 1);
	/* drift alerts carry no decision: each is an alert */
	if (!decision || strcmp(decision, "allow"))
		metrics_add(s->metrics, METRIC_ALERTS, id, 1);
	if (decision && strcmp(decision, "deny") == 0)
		metrics_add(s->metrics, METRIC_DENIALS, id, 1);
	if (s->events) {
		if (event_from_alert(a, clock_realtime_us(), &ev) <
			    0 ||
		    !events_writer_post(s->events, &ev))
			metrics_add(s->metrics, METRIC_LOST, id, 1);
	}
	json_decref(a);
}

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
	struct alert_sink *s = cookie;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			s->line[s->len] = '\0';
			record(s, s->line);
			s->len = 0;
		} else if (s->len < sizeof(s->line) - 1) {
			s->line[s->len++] = buf[i];
		}
	}
	return (ssize_t)size;
}

static int sink_close(void *cookie)
{
	free(cookie);
	return 0;
}

FILE *alert_sink_open(struct metrics *metrics, struct events_writer *events)
{
	struct alert_sink *s = calloc(1, sizeof(*s));
	cookie_io_functions_t io = { .write = sink_write, .close = sink_close };
	FILE *f = s ? fopencookie(s, "w", io) : NULL;

	if (!f) {
		free(s);
		return NULL;
	}
	s->metrics = metrics;
	s->events = events;
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
