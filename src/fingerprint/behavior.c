/* SPDX-License-Identifier: Apache-2.0 */
/* The behavioral model (docs/behavior.md): creating, building and freeing it. The canonical form
 * is behavior_canon.c, the union of models behavior_merge.c, the file format behavior_json.c,
 * comparison and printing behavior_diff.c, path collapsing behavior_path.c.
 *
 * Ownership: see behavior.h. Every builder copies its arguments. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "behavior.h"

/* Make room for element n of an array of n elements with capacity *allocated (0: unknown, the
 * array holds exactly n). Growing geometrically keeps parsing linear, also under sanitizers
 * whose realloc always moves. */
static int array_grow(void *arrayp, size_t *allocated, size_t n, size_t size)
{
	void **array = arrayp, *p;
	size_t want = n < 4 ? 4 : 2 * n;

	if (*allocated > n)
		return 0;
	if (n > SIZE_MAX / 2)
		return -ENOMEM;
	p = reallocarray(*array, want, size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*allocated = want;
	return 0;
}

static int strdup_or_null(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return s && !*ret ? -ENOMEM : 0;
}

struct behavior *behavior_new(void)
{
	struct behavior *b = calloc(1, sizeof(*b));

	if (b)
		b->complete = true;
	return b;
}

void bprogram_release(struct bprogram *p)
{
	free(p->comm);
	for (size_t i = 0; i < p->n_args; i++)
		free(p->args[i]);
	free(p->args);
	free(p->exe_sha256);
	*p = (struct bprogram){ 0 };
}

void bconnection_release(struct bconnection *c)
{
	free(c->address);
	free(c->hostname);
	free(c->protocol);
	*c = (struct bconnection){ 0 };
}

void bprocess_release(struct bprocess *p)
{
	for (size_t i = 0; i < p->n_programs; i++)
		bprogram_release(&p->programs[i]);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	for (size_t i = 0; i < p->n_connections; i++)
		bconnection_release(&p->connections[i]);
	for (size_t i = 0; i < p->n_children; i++)
		bprocess_release(&p->children[i]);
	free(p->programs);
	free(p->files);
	free(p->connections);
	free(p->listening);
	free(p->children);
	*p = (struct bprocess){ 0 };
}

static void bcontainer_release(struct bcontainer *c)
{
	free(c->name);
	free(c->image_name);
	free(c->image_digest);
	bprocess_release(&c->entrypoint);
	if (c->exec)
		bprocess_release(c->exec);
	free(c->exec);
}

struct behavior *behavior_free(struct behavior *b)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n_containers; i++)
		bcontainer_release(&b->containers[i]);
	free(b->containers);
	free(b->created);
	free(b);
	return NULL;
}

/* Builders */

int behavior_add_container(struct behavior *b, const char *name, const char *image_name,
			   const char *image_digest, struct bcontainer **ret)
{
	struct bcontainer *c;

	if (array_grow(&b->containers, &b->allocated_containers, b->n_containers, sizeof(*c)) < 0)
		return -ENOMEM;
	c = &b->containers[b->n_containers];
	*c = (struct bcontainer){ .entrypoint.count = 1 };
	if (strdup_or_null(name, &c->name) < 0 || strdup_or_null(image_name, &c->image_name) < 0 ||
	    strdup_or_null(image_digest, &c->image_digest) < 0) {
		bcontainer_release(c);
		return -ENOMEM;
	}
	b->n_containers++;
	if (ret)
		*ret = c;
	return 0;
}

int bprocess_add_program(struct bprocess *p, const char *comm, char *const *args, size_t n_args,
			 struct bprogram **ret)
{
	struct bprogram *g;

	if (array_grow(&p->programs, &p->allocated.programs, p->n_programs, sizeof(*g)) < 0)
		return -ENOMEM;
	g = &p->programs[p->n_programs];
	*g = (struct bprogram){ .comm = strdup(comm) };
	if (n_args > BEHAVIOR_ARGS_MAX)
		n_args = BEHAVIOR_ARGS_MAX;
	if (n_args)
		g->args = calloc(n_args, sizeof(*g->args));
	for (size_t i = 0; g->args && i < n_args; i++, g->n_args++)
		if (!(g->args[i] = strdup(args[i])))
			break;
	if (!g->comm || g->n_args != n_args) {
		bprogram_release(g);
		return -ENOMEM;
	}
	p->n_programs++;
	if (ret)
		*ret = g;
	return 0;
}

int bprocess_add_file(struct bprocess *p, const char *path)
{
	char *s;

	if (array_grow(&p->files, &p->allocated.files, p->n_files, sizeof(*p->files)) < 0 ||
	    !(s = strdup(path)))
		return -ENOMEM;
	p->files[p->n_files++] = s;
	return 0;
}

int bprocess_add_connection(struct bprocess *p, const char *address, const char *hostname,
			    uint32_t port, const char *protocol)
{
	struct bconnection *c;

	if (array_grow(&p->connections, &p->allocated.connections, p->n_connections, sizeof(*c)) < 0)
		return -ENOMEM;
	c = &p->connections[p->n_connections];
	*c = (struct bconnection){ .port = port };
	if (strdup_or_null(address, &c->address) < 0 || !c->address ||
	    strdup_or_null(hostname, &c->hostname) < 0 ||
	    strdup_or_null(protocol, &c->protocol) < 0) {
		bconnection_release(c);
		return -ENOMEM;
	}
	p->n_connections++;
	return 0;
}

int bprocess_add_listening(struct bprocess *p, uint32_t port)
{
	if (array_grow(&p->listening, &p->allocated.listening, p->n_listening,
		       sizeof(*p->listening)) < 0)
		return -ENOMEM;
	p->listening[p->n_listening++] = port;
	return 0;
}

int bprocess_add_child(struct bprocess *p, struct bprocess **ret)
{
	if (array_grow(&p->children, &p->allocated.children, p->n_children, sizeof(*p->children)) < 0)
		return -ENOMEM;
	p->children[p->n_children] = (struct bprocess){ .count = 1 };
	*ret = &p->children[p->n_children++];
	return 0;
}

int bprocess_add_all(struct bprocess *dst, const struct bprocess *src)
{
	struct bprocess *c;
	int r = 0;

	for (size_t i = 0; i < src->n_programs && r >= 0; i++) {
		const struct bprogram *g = &src->programs[i];
		struct bprogram *n;

		r = bprocess_add_program(dst, g->comm, g->args, g->n_args, &n);
		if (r >= 0)
			r = strdup_or_null(g->exe_sha256, &n->exe_sha256);
	}
	for (size_t i = 0; i < src->n_files && r >= 0; i++)
		r = bprocess_add_file(dst, src->files[i]);
	for (size_t i = 0; i < src->n_connections && r >= 0; i++) {
		const struct bconnection *k = &src->connections[i];

		r = bprocess_add_connection(dst, k->address, k->hostname, k->port, k->protocol);
	}
	for (size_t i = 0; i < src->n_listening && r >= 0; i++)
		r = bprocess_add_listening(dst, src->listening[i]);
	for (size_t i = 0; i < src->n_children && r >= 0; i++) {
		r = bprocess_add_child(dst, &c);
		if (r >= 0) {
			c->uid = src->children[i].uid;
			c->gid = src->children[i].gid;
			c->ids_unknown = src->children[i].ids_unknown;
			c->count = src->children[i].count;
			r = bprocess_add_all(c, &src->children[i]);
		}
	}
	return r;
}
