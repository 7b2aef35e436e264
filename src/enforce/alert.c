/* SPDX-License-Identifier: Apache-2.0 */
/* Alert lines and their writer thread (alert.h). */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/clock.h"
#include "alert.h"
#include "basic/fs.h"

const char *alert_decision_to_string(enum alert_decision d)
{
	static const char *const names[] = { "allow", "deny", "would-deny" };

	return d < _ALERT_DECISION_MAX ? names[d] : "?";
}

char *alert_format(const struct alert *a, bool json)
{
	char when[64], *s = NULL;
	_cleanup_free_ char *output = NULL;
	json_t *o, *f;

	time_format_rfc3339_now_ns(when);
	output = strdup_printf("%s (decision=%s layer=%s container=%.12s pid=%d comm=%s "
			       "exe=%s%s%s%s%s)", a->summary,
			       alert_decision_to_string(a->decision), a->layer,
			       a->container ? a->container : "?", (int)a->pid,
			       a->comm ? a->comm : "?", a->exepath ? a->exepath : "?",
			       a->fd_name ? " target=" : "", a->fd_name ? a->fd_name : "",
			       a->reason ? " reason=" : "", a->reason ? a->reason : "");
	if (!output)
		return NULL;
	if (!json)
		return strdup_printf("%s %s: %s", when, a->priority, output);
	f = json_pack("{s:s?, s:s?, s:i, s:i, s:s?, s:s, s:s, s:s?}", "container.id", a->container,
		      "proc.exepath", a->exepath, "proc.pid", (int)a->pid, "proc.ppid",
		      (int)a->ppid, "proc.name", a->comm, "evt.decision",
		      alert_decision_to_string(a->decision), "evt.layer", a->layer, "evt.reason",
		      a->reason);
	if (f && a->fd_name)
		json_object_set_new(f, a->proto ? "fd.sip.name" : "fd.name",
				    json_string(a->fd_name));
	if (f && a->proto)
		json_object_set_new(f, "fd.l4proto", json_string(a->proto));
	o = f ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "time", when, "rule", a->rule,
			  "priority", a->priority, "source", "imprint", "output", output,
			  "output_fields", f)
	      : NULL;
	if (o) {
		json_object_set_new(o, "decision",
				    json_string(alert_decision_to_string(a->decision)));
		s = json_dumps(o, JSON_COMPACT);
	}
	json_decref(o);
	return s;
}

struct alert_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	FILE *out;
	char **lines; /* a ring of capacity slots */
	size_t capacity, head, n;
	uint64_t dropped;
	bool stop;
};

static void *writer(void *arg)
{
	struct alert_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->n == 0 && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->n == 0 && q->stop)
			break;
		char *line = q->lines[q->head];

		bool last;

		q->head = (q->head + 1) % q->capacity;
		q->n--;
		last = q->n == 0;
		pthread_mutex_unlock(&q->lock);
		fprintf(q->out, "%s\n", line);
		if (last)
			fflush(q->out);
		free(line);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	fflush(q->out);
	return NULL;
}

int alert_queue_new(FILE *out, size_t capacity, struct alert_queue **ret)
{
	struct alert_queue *q = calloc(1, sizeof(*q));
	int r;

	if (!q || !(q->lines = calloc(capacity, sizeof(char *)))) {
		free(q);
		return -ENOMEM;
	}
	q->out = out;
	q->capacity = capacity;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	r = pthread_create(&q->thread, NULL, writer, q);
	if (r != 0) {
		free(q->lines);
		free(q);
		return -r;
	}
	*ret = q;
	return 0;
}

struct alert_queue *alert_queue_free(struct alert_queue *q)
{
	if (!q)
		return NULL;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	free(q->lines);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
	return NULL;
}

void alert_queue_push(struct alert_queue *q, char *line)
{
	pthread_mutex_lock(&q->lock);
	if (!line || q->n == q->capacity) {
		q->dropped++;
		free(line);
	} else {
		q->lines[(q->head + q->n) % q->capacity] = line;
		q->n++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
}

uint64_t alert_queue_dropped(struct alert_queue *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return n;
}
