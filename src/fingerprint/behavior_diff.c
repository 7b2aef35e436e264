/* SPDX-License-Identifier: Apache-2.0 */
/* Comparing two behavioral fingerprints (imprint behavior-diff) and printing one as a tree
 * (imprint fingerprint show). Both name a process by its place: the path of process names from
 * the root, a process being named by the comms of its programs ("entrypoint/setup.sh/date"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "behavior.h"

static const char *const what_names[_BDIFF_WHAT_MAX] = {
	[BDIFF_CONTAINER] = "container", [BDIFF_IDENTITY] = "identity",
	[BDIFF_PROGRAM] = "program",     [BDIFF_FILE] = "file",
	[BDIFF_CONNECTION] = "connection", [BDIFF_LISTEN] = "listen",
};

const char *bdiff_what_to_string(enum bdiff_what w)
{
	return w < _BDIFF_WHAT_MAX ? what_names[w] : "?";
}

/* Formatting, shared by the diff values and the tree */

static bool shell_safe(const char *s)
{
	return s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "_@%+=:,./-") == strlen(s);
}

/* Append s to a malloc'd string (freed on failure). */
static char *append(char *buf, const char *s)
{
	size_t a = buf ? strlen(buf) : 0, b = strlen(s);
	char *n = realloc(buf, a + b + 1);

	if (!n) {
		free(buf);
		return NULL;
	}
	memcpy(n + a, s, b + 1);
	return n;
}

/* An argument as a shell would need it: 'it''s' quoted unless plain. */
static char *append_quoted(char *buf, const char *s)
{
	const char *q;

	if (shell_safe(s))
		return append(buf, s);
	buf = append(buf, "'");
	while (buf && (q = strchr(s, '\''))) {
		char *part = strndup(s, (size_t)(q - s));

		buf = part ? append(append(buf, part), "'\\''") : (free(buf), NULL);
		free(part);
		s = q + 1;
	}
	return buf ? append(append(buf, s), "'") : NULL;
}

/* "comm: arg0 arg1..." or "comm" */
static char *program_format(const struct bprogram *g)
{
	char *s = strdup(g->comm);

	for (size_t i = 0; s && i < g->n_args; i++)
		s = append_quoted(append(s, i ? " " : ": "), g->args[i]);
	return s;
}

static char *connection_format(const struct bconnection *c)
{
	bool v6 = strchr(c->address, ':') != NULL;

	return strdup_printf("%s%s%s:%u%s%s%s%s%s", v6 ? "[" : "", c->address, v6 ? "]" : "",
			     c->port, c->protocol ? "/" : "", c->protocol ?: "",
			     c->hostname ? " (" : "", c->hostname ?: "", c->hostname ? ")" : "");
}

/* The comms of a process's programs, joined by ',' ("?" if it made none). */
static char *process_name(const struct bprocess *p)
{
	char *s = strdup(p->n_programs ? "" : "?");

	for (size_t i = 0; s && i < p->n_programs; i++)
		s = append(append(s, i ? "," : ""), p->programs[i].comm);
	return s;
}

/* Diff: every side becomes a sorted set of (container, place, what, value), and the two sets
 * are compared like two sorted lists. */

struct fact {
	const char *container;
	char *where;
	enum bdiff_what what;
	char *value;
};

struct facts {
	struct fact *v;
	size_t n, cap;
};

static void facts_release(struct facts *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].where);
		free(f->v[i].value);
	}
	free(f->v);
}

/* Takes value (which may be NULL: -ENOMEM). */
static int fact_add(struct facts *f, const char *container, const char *where,
		    enum bdiff_what what, char *value)
{
	struct fact *x;

	if (!value)
		return -ENOMEM;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct fact *v = reallocarray(f->v, cap, sizeof(*v));

		if (!v) {
			free(value);
			return -ENOMEM;
		}
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n];
	*x = (struct fact){ container, strdup(where), what, value };
	if (!x->where) {
		free(value);
		return -ENOMEM;
	}
	f->n++;
	return 0;
}

static int process_facts(struct facts *f, const char *container, const char *where,
			 const struct bprocess *p)
{
	int r = 0;

	if (!p->ids_unknown)
		r = fact_add(f, container, where, BDIFF_IDENTITY,
			     strdup_printf("%u:%u", p->uid, p->gid));
	for (size_t i = 0; i < p->n_programs && r >= 0; i++)
		r = fact_add(f, container, where, BDIFF_PROGRAM, program_format(&p->programs[i]));
	for (size_t i = 0; i < p->n_files && r >= 0; i++)
		r = fact_add(f, container, where, BDIFF_FILE, strdup(p->files[i]));
	for (size_t i = 0; i < p->n_connections && r >= 0; i++)
		r = fact_add(f, container, where, BDIFF_CONNECTION,
			     connection_format(&p->connections[i]));
	for (size_t i = 0; i < p->n_listening && r >= 0; i++)
		r = fact_add(f, container, where, BDIFF_LISTEN,
			     strdup_printf("%u", p->listening[i]));
	for (size_t i = 0; i < p->n_children && r >= 0; i++) {
		_cleanup_free_ char *name = process_name(&p->children[i]);
		_cleanup_free_ char *sub = name ? strdup_printf("%s/%s", where, name) : NULL;

		r = sub ? process_facts(f, container, sub, &p->children[i]) : -ENOMEM;
	}
	return r;
}

static bool has_container(const struct behavior *b, const char *name)
{
	for (size_t i = 0; i < b->n_containers; i++)
		if (strcmp(b->containers[i].name ?: "", name) == 0)
			return true;
	return false;
}

/* The facts of b; a container that other lacks is one fact (its image name). */
static int behavior_facts(const struct behavior *b, const struct behavior *other,
			  struct facts *f)
{
	int r = 0;

	for (size_t i = 0; i < b->n_containers && r >= 0; i++) {
		const struct bcontainer *c = &b->containers[i];
		const char *name = c->name ?: "";

		if (!has_container(other, name))
			r = fact_add(f, name, "", BDIFF_CONTAINER, strdup(c->image_name ?: ""));
		else {
			r = process_facts(f, name, "entrypoint", &c->entrypoint);
			if (r >= 0 && c->exec)
				r = process_facts(f, name, "exec", c->exec);
		}
	}
	return r;
}

static int fact_cmp(const struct fact *a, const struct fact *b)
{
	int r = strcmp(a->container, b->container) ?: strcmp(a->where, b->where);

	return r ?: (int)a->what - (int)b->what ?: strcmp(a->value, b->value);
}

static int cmp_fact(const void *a, const void *b)
{
	return fact_cmp(a, b);
}

/* Sort, and drop repeats (folded siblings with one name give the same facts twice). */
static void facts_sort_unique(struct facts *f)
{
	size_t k = 0;

	if (f->n < 2)
		return;
	qsort(f->v, f->n, sizeof(*f->v), cmp_fact);
	for (size_t i = 0; i < f->n; i++) {
		if (k > 0 && fact_cmp(&f->v[k - 1], &f->v[i]) == 0) {
			free(f->v[i].where);
			free(f->v[i].value);
			continue;
		}
		f->v[k++] = f->v[i];
	}
	f->n = k;
}

int behavior_diff(const struct behavior *a, const struct behavior *b,
		  int (*cb)(const struct bdiff_item *item, void *userdata), void *userdata)
{
	struct facts fa = { 0 }, fb = { 0 };
	size_t i = 0, k = 0;
	int r, n = 0;

	r = behavior_facts(a, b, &fa);
	if (r >= 0)
		r = behavior_facts(b, a, &fb);
	facts_sort_unique(&fa);
	facts_sort_unique(&fb);
	while (r >= 0 && (i < fa.n || k < fb.n)) {
		int c = i == fa.n ? 1 : k == fb.n ? -1 : fact_cmp(&fa.v[i], &fb.v[k]);
		const struct fact *x = c < 0 ? &fa.v[i++] : &fb.v[k++];
		struct bdiff_item item = { c < 0 ? BDIFF_REMOVED : BDIFF_ADDED, x->what,
					   x->container, x->where, x->value };

		if (c == 0) {
			i++;
			continue;
		}
		r = cb(&item, userdata);
		n++;
	}
	facts_release(&fa);
	facts_release(&fb);
	return r < 0 ? r : n;
}

/* The tree */

#define TREE_PREFIX_MAX (BEHAVIOR_MAX_DEPTH * 3 * 3 + 16) /* "│  " is 5 bytes, 3 columns */

struct tree {
	FILE *f;
	bool processes_only;
	char prefix[TREE_PREFIX_MAX];
	size_t len;
};

static void tree_line(struct tree *t, const char *bar, const char *what, const char *s)
{
	fprintf(t->f, "%s%s%s %s\n", t->prefix, bar, what, s ?: "(out of memory)");
}

static void tree_details(struct tree *t, const struct bprocess *p, const char *bar)
{
	for (size_t i = 0; i < p->n_programs; i++) {
		_cleanup_free_ char *s = program_format(&p->programs[i]);

		tree_line(t, bar, "exec", s);
		if (p->programs[i].exe_sha256)
			fprintf(t->f, "%s%s     sha256 %s\n", t->prefix, bar,
				p->programs[i].exe_sha256);
	}
	if (t->processes_only)
		return;
	for (size_t i = 0; i < p->n_files; i++)
		tree_line(t, bar, "file", p->files[i]);
	for (size_t i = 0; i < p->n_connections; i++) {
		_cleanup_free_ char *s = connection_format(&p->connections[i]);

		tree_line(t, bar, "connect", s);
	}
	for (size_t i = 0; i < p->n_listening; i++)
		fprintf(t->f, "%s%slisten %u\n", t->prefix, bar, p->listening[i]);
}

static void tree_node(struct tree *t, const struct bprocess *p, bool last, unsigned depth)
{
	_cleanup_free_ char *name = process_name(p);
	size_t saved = t->len;
	const char *more = last ? "   " : "\u2502  ";

	fprintf(t->f, "%s%s%s", t->prefix, last ? "\u2514\u2500 " : "\u251c\u2500 ",
		name ?: "?");
	if (p->count > 1)
		fprintf(t->f, " \u00d7%llu", (unsigned long long)p->count);
	if (!p->ids_unknown)
		fprintf(t->f, "  uid %u gid %u", p->uid, p->gid);
	fputc('\n', t->f);
	if (t->len + strlen(more) >= sizeof(t->prefix) || depth > BEHAVIOR_MAX_DEPTH) {
		fprintf(t->f, "%s   ...\n", t->prefix);
		return;
	}
	t->len += (size_t)snprintf(t->prefix + t->len, sizeof(t->prefix) - t->len, "%s", more);
	tree_details(t, p, p->n_children ? "\u2502 " : "  ");
	for (size_t i = 0; i < p->n_children; i++)
		tree_node(t, &p->children[i], i + 1 == p->n_children, depth + 1);
	t->len = saved;
	t->prefix[saved] = '\0';
}

void behavior_print_tree(const struct behavior *b, bool processes_only, FILE *f)
{
	struct tree t = { .f = f, .processes_only = processes_only, .prefix = "  ", .len = 2 };

	fprintf(f, "Fingerprint%s%s", b->created ? " created " : "", b->created ?: "");
	if (!b->complete)
		fprintf(f, ", INCOMPLETE: %llu events lost", (unsigned long long)b->lost_events);
	fprintf(f, "\n");
	for (size_t i = 0; i < b->n_containers; i++) {
		const struct bcontainer *c = &b->containers[i];

		fprintf(f, "\ncontainer %s\n  image %s%s%s\n", c->name ?: "", c->image_name ?: "",
			c->image_digest ? "@" : "", c->image_digest ?: "");
		fprintf(f, "  entrypoint\n");
		tree_node(&t, &c->entrypoint, true, 1);
		if (c->exec) {
			fprintf(f, "  exec\n");
			tree_node(&t, c->exec, true, 1);
		}
	}
}
