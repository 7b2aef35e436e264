/* SPDX-License-Identifier: Apache-2.0 */
/* The canonical form of a behavioral model (docs/behavior.md, "Canonical form"): within a
 * process, programs, files, connections and listening ports sorted and deduplicated, paths
 * collapsed; children canonical, sorted, and identical siblings folded into one node whose count
 * is the sum. Identical subtrees are recognized by a SHA-256 over their canonical content, so
 * that folding costs one pass over the tree.
 *
 * Ownership: canonicalizing reorders arrays in place and frees what it drops. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/digest.h"
#include "basic/sha256.h"
#include "behavior.h"

/* NULL sorts first. */
static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return !!a - !!b;
	return strcmp(a, b);
}

static int u64_cmp(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > (uint64_t)INT64_MAX - b ? (uint64_t)INT64_MAX : a + b;
}

static int program_cmp(const struct bprogram *a, const struct bprogram *b)
{
	int r = strcmp(a->comm, b->comm);

	for (size_t i = 0; !r && i < a->n_args && i < b->n_args; i++)
		r = strcmp(a->args[i], b->args[i]);
	if (!r)
		r = u64_cmp(a->n_args, b->n_args);
	return r ?: strcmp_null(a->exe_sha256, b->exe_sha256);
}

/* IPv4 before IPv6, then numerically. Addresses are validated before they are compared. */
static int address_cmp(const char *a, const char *b)
{
	unsigned char x[16] = { 0 }, y[16] = { 0 };
	int fx = strchr(a, ':') ? AF_INET6 : AF_INET, fy = strchr(b, ':') ? AF_INET6 : AF_INET;

	if (fx != fy)
		return fx == AF_INET ? -1 : 1;
	if (inet_pton(fx, a, x) != 1 || inet_pton(fy, b, y) != 1)
		return strcmp(a, b);
	return memcmp(x, y, sizeof(x));
}

static int connection_cmp(const struct bconnection *a, const struct bconnection *b)
{
	return address_cmp(a->address, b->address) ?: u64_cmp(a->port, b->port)
		?: strcmp_null(a->protocol, b->protocol) ?: strcmp_null(a->hostname, b->hostname);
}

static int programs_cmp(const struct bprocess *a, const struct bprocess *b)
{
	int r = 0;

	for (size_t i = 0; !r && i < a->n_programs && i < b->n_programs; i++)
		r = program_cmp(&a->programs[i], &b->programs[i]);
	return r ?: u64_cmp(a->n_programs, b->n_programs);
}

int bprocess_place_cmp(const struct bprocess *a, const struct bprocess *b)
{
	return programs_cmp(a, b) ?: u64_cmp(a->ids_unknown, b->ids_unknown)
		?: u64_cmp(a->uid, b->uid) ?: u64_cmp(a->gid, b->gid);
}

/* Everything but children and count: children are compared through their digests. */
static int process_own_cmp(const struct bprocess *a, const struct bprocess *b)
{
	int r = bprocess_place_cmp(a, b);

	for (size_t i = 0; !r && i < a->n_files && i < b->n_files; i++)
		r = strcmp(a->files[i], b->files[i]);
	r = r ?: u64_cmp(a->n_files, b->n_files);
	for (size_t i = 0; !r && i < a->n_connections && i < b->n_connections; i++)
		r = connection_cmp(&a->connections[i], &b->connections[i]);
	r = r ?: u64_cmp(a->n_connections, b->n_connections);
	for (size_t i = 0; !r && i < a->n_listening && i < b->n_listening; i++)
		r = u64_cmp(a->listening[i], b->listening[i]);
	return r ?: u64_cmp(a->n_listening, b->n_listening);
}

static int cmp_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_program(const void *a, const void *b)
{
	return program_cmp(a, b);
}

static int cmp_connection(const void *a, const void *b)
{
	return connection_cmp(a, b);
}

static int cmp_port(const void *a, const void *b)
{
	return u64_cmp(*(const uint32_t *)a, *(const uint32_t *)b);
}

/* Sort an array and drop the repeats (release(x) frees a dropped element). Returns the new
 * length. */
static size_t sort_unique(void *array, size_t n, size_t size,
			  int (*cmp)(const void *, const void *), void (*release)(void *))
{
	char *a = array;
	size_t k = 0;

	if (n < 2)
		return n;
	qsort(a, n, size, cmp);
	for (size_t i = 1; i < n; i++) {
		if (cmp(a + k * size, a + i * size) == 0) {
			if (release)
				release(a + i * size);
			continue;
		}
		k++;
		if (k != i)
			memcpy(a + k * size, a + i * size, size);
	}
	return k + 1;
}

static void release_string(void *p)
{
	free(*(char **)p);
}

static void release_program(void *p)
{
	bprogram_release(p);
}

static void release_connection(void *p)
{
	bconnection_release(p);
}

/* The length of the valid UTF-8 sequence at p, 0 if there is none. */
static size_t utf8_len(const unsigned char *p)
{
	uint32_t c;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/* JSON strings are UTF-8: a byte that does not start a valid sequence becomes '?' (the sensor
 * reports paths and arguments as the kernel has them). */
static void utf8_fix(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (p && *p) {
		size_t n = utf8_len(p);

		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
}

/* Cut s to at most max bytes (a sequence cut in two becomes '?'). */
static void truncate_string(char *s, size_t max)
{
	if (s && strlen(s) > max) {
		s[max] = '\0';
		utf8_fix(s);
	}
}

static void drop_unless(char **s, size_t max_len, const char *charset)
{
	if (*s && (!**s || strlen(*s) > max_len || strspn(*s, charset) != strlen(*s)))
		free(TAKE_PTR(*s));
}

/* What a model built by hand (the sensor) may have that a document may not: strings that are
 * not UTF-8 (JSON cannot carry them) or too long, too many arguments, malformed extension
 * values. Fixed, so that what is written reads back; NULL strings are refused. */
static int process_sanitize(struct bprocess *p, struct error *err)
{
	for (size_t i = 0; i < p->n_programs; i++) {
		struct bprogram *g = &p->programs[i];

		if (!g->comm || !g->comm[0])
			return error_set(err, -EINVAL, "a program without comm");
		while (g->n_args > BEHAVIOR_ARGS_MAX)
			free(g->args[--g->n_args]);
		for (size_t k = 0; k < g->n_args; k++) {
			if (!g->args[k])
				return error_set(err, -EINVAL, "'%s': a NULL argument", g->comm);
			utf8_fix(g->args[k]);
			truncate_string(g->args[k], BEHAVIOR_STRING_MAX);
		}
		utf8_fix(g->comm);
		truncate_string(g->comm, BEHAVIOR_NAME_MAX);
		drop_unless(&g->exe_sha256, DIGEST_HEX_LEN, "0123456789abcdef");
		if (g->exe_sha256 && strlen(g->exe_sha256) != DIGEST_HEX_LEN)
			free(TAKE_PTR(g->exe_sha256));
	}
	for (size_t i = 0; i < p->n_files; i++) {
		if (!p->files[i] || p->files[i][0] != '/')
			return error_set(err, -EINVAL, "file '%s' is not an absolute path",
					 p->files[i] ?: "(null)");
		utf8_fix(p->files[i]);
		truncate_string(p->files[i], BEHAVIOR_STRING_MAX);
	}
	for (size_t i = 0; i < p->n_connections; i++) {
		struct bconnection *c = &p->connections[i];

		if (!c->address)
			return error_set(err, -EINVAL, "a connection without address");
		utf8_fix(c->hostname);
		truncate_string(c->hostname, BEHAVIOR_NAME_MAX);
		drop_unless(&c->protocol, 16, "abcdefghijklmnopqrstuvwxyz0123456789");
	}
	return 0;
}

static void hash_u64(struct sha256 *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	sha256_update(h, b, sizeof(b));
}

/* Length-prefixed, NULL distinct from "". */
static void hash_str(struct sha256 *h, const char *s)
{
	hash_u64(h, s ? strlen(s) : UINT64_MAX);
	if (s)
		sha256_update(h, s, strlen(s));
}

/* The digest of a canonical process, count excluded: equal digests, identical subtrees. */
static int process_digest(const struct bprocess *p, const struct digest *children,
			  struct digest *ret)
{
	struct sha256 h;
	int r = sha256_init(&h);

	if (r < 0)
		return r;
	hash_u64(&h, p->ids_unknown);
	hash_u64(&h, p->uid);
	hash_u64(&h, p->gid);
	hash_u64(&h, p->n_programs);
	for (size_t i = 0; i < p->n_programs; i++) {
		hash_str(&h, p->programs[i].comm);
		hash_u64(&h, p->programs[i].n_args);
		for (size_t k = 0; k < p->programs[i].n_args; k++)
			hash_str(&h, p->programs[i].args[k]);
		hash_str(&h, p->programs[i].exe_sha256);
	}
	hash_u64(&h, p->n_files);
	for (size_t i = 0; i < p->n_files; i++)
		hash_str(&h, p->files[i]);
	hash_u64(&h, p->n_connections);
	for (size_t i = 0; i < p->n_connections; i++) {
		hash_str(&h, p->connections[i].address);
		hash_str(&h, p->connections[i].hostname);
		hash_u64(&h, p->connections[i].port);
		hash_str(&h, p->connections[i].protocol);
	}
	hash_u64(&h, p->n_listening);
	for (size_t i = 0; i < p->n_listening; i++)
		hash_u64(&h, p->listening[i]);
	hash_u64(&h, p->n_children);
	for (size_t i = 0; i < p->n_children; i++) {
		sha256_update(&h, children[i].bytes, DIGEST_SIZE);
		hash_u64(&h, p->children[i].count);
	}
	sha256_final(&h, ret);
	sha256_release(&h);
	return 0;
}

static int connection_canon(struct bconnection *c, struct error *err)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];
	int af = strchr(c->address, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(af, c->address, bin) != 1 || !inet_ntop(af, bin, text, sizeof(text)))
		return error_set(err, -EINVAL, "connection address '%s' is not an IP address",
				 c->address);
	if (c->port > 65535)
		return error_set(err, -EINVAL, "connection port %u is out of range", c->port);
	if (strcmp(text, c->address) != 0) {
		char *s = strdup(text);

		if (!s)
			return -ENOMEM;
		free(c->address);
		c->address = s;
	}
	if (c->hostname && !c->hostname[0])
		free(TAKE_PTR(c->hostname));
	if (c->protocol && !c->protocol[0])
		free(TAKE_PTR(c->protocol));
	return 0;
}

/* A child and its digest, while the children are sorted and folded. */
struct keyed {
	struct bprocess p;
	struct digest d;
};

static int cmp_keyed(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;

	return process_own_cmp(&a->p, &b->p) ?: memcmp(a->d.bytes, b->d.bytes, DIGEST_SIZE);
}

static int process_canon(struct bprocess *p, unsigned depth, struct digest *ret,
			 struct error *err);

/* Say which process a problem is in: "sh: cat: file 'x' is not an absolute path", the
 * process named by its first program (error messages go from the outside in). */
static int process_error(struct error *err, int r, const struct bprocess *p)
{
	const char *name = p->n_programs && p->programs[0].comm ? p->programs[0].comm
								 : "(no program)";

	return error_prefix(err, r, "%.64s", name);
}

/* Canonicalize the children, sort them, fold identical ones; fill digests[]. */
static int children_canon(struct bprocess *p, unsigned depth, struct digest *digests,
			  struct error *err)
{
	_cleanup_free_ struct keyed *k = NULL;
	size_t n = 0;
	int r;

	if (p->n_children == 0)
		return 0;
	k = calloc(p->n_children, sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_children; i++) {
		r = process_canon(&p->children[i], depth + 1, &k[i].d, err);
		if (r < 0)
			return r == -ELOOP || r == -ENOMEM ? r
							: process_error(err, r, &p->children[i]);
		k[i].p = p->children[i];
	}
	qsort(k, p->n_children, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < p->n_children; i++) {
		if (n > 0 && memcmp(k[n - 1].d.bytes, k[i].d.bytes, DIGEST_SIZE) == 0) {
			k[n - 1].p.count = add_sat(k[n - 1].p.count, k[i].p.count);
			bprocess_release(&k[i].p);
			continue;
		}
		k[n++] = k[i];
	}
	for (size_t i = 0; i < n; i++) {
		p->children[i] = k[i].p;
		digests[i] = k[i].d;
	}
	p->n_children = n;
	return 0;
}

static int process_canon(struct bprocess *p, unsigned depth, struct digest *ret,
			 struct error *err)
{
	_cleanup_free_ struct digest *digests = NULL;
	int r;

	if (depth > BEHAVIOR_MAX_DEPTH)
		return error_set(err, -ELOOP, "process tree deeper than %d levels",
				 BEHAVIOR_MAX_DEPTH);
	if (p->count == 0)
		p->count = 1;
	if (p->count > INT64_MAX)
		p->count = INT64_MAX;
	r = process_sanitize(p, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->n_files; i++) {
		char *c = behavior_collapse_path(p->files[i]);

		if (!c)
			return -ENOMEM;
		free(p->files[i]);
		p->files[i] = c;
	}
	p->n_files = sort_unique(p->files, p->n_files, sizeof(char *), cmp_string, release_string);
	p->n_programs = sort_unique(p->programs, p->n_programs, sizeof(struct bprogram),
				    cmp_program, release_program);
	for (size_t i = 0; i < p->n_connections; i++) {
		r = connection_canon(&p->connections[i], err);
		if (r < 0)
			return r;
	}
	p->n_connections = sort_unique(p->connections, p->n_connections,
				       sizeof(struct bconnection), cmp_connection,
				       release_connection);
	p->n_listening = sort_unique(p->listening, p->n_listening, sizeof(uint32_t), cmp_port,
				     NULL);
	if (p->n_children && !(digests = calloc(p->n_children, sizeof(*digests))))
		return -ENOMEM;
	r = children_canon(p, depth, digests, err);
	if (r < 0)
		return r;
	return process_digest(p, digests, ret);
}

static int container_cmp(const void *x, const void *y)
{
	const struct bcontainer *a = x, *b = y;

	return strcmp_null(a->name, b->name) ?: strcmp_null(a->image_digest, b->image_digest)
		?: strcmp_null(a->image_name, b->image_name);
}

static bool container_same(const struct bcontainer *a, const struct bcontainer *b)
{
	return strcmp_null(a->name, b->name) == 0 &&
	       strcmp_null(a->image_digest, b->image_digest) == 0;
}

static int container_canon(struct bcontainer *c, struct error *err)
{
	struct digest d, image;
	int r;

	utf8_fix(c->name);
	truncate_string(c->name, BEHAVIOR_NAME_MAX);
	utf8_fix(c->image_name);
	truncate_string(c->image_name, BEHAVIOR_STRING_MAX);
	if (c->image_digest && digest_parse(c->image_digest, &image) < 0)
		free(TAKE_PTR(c->image_digest));
	r = process_canon(&c->entrypoint, 1, &d, err);
	if (r < 0)
		return error_prefix(err, r, "container '%.64s': entrypoint", c->name ?: "");
	if (c->exec) {
		r = process_canon(c->exec, 1, &d, err);
		if (r < 0)
			return error_prefix(err, r, "container '%.64s': exec", c->name ?: "");
	}
	return 0;
}

/* The same container twice (two replicas in one file) becomes one, the union: the repeats move
 * to another behavior, which is then merged in. */
static int containers_unique(struct behavior *b, struct error *err)
{
	_cleanup_(behavior_freep) struct behavior *extra = NULL;
	size_t n = 0, dups = 0;
	int r;

	for (size_t i = 1; i < b->n_containers; i++)
		dups += container_same(&b->containers[i - 1], &b->containers[i]);
	if (dups == 0)
		return 0;
	extra = behavior_new();
	if (!extra || !(extra->containers = calloc(dups, sizeof(*extra->containers))))
		return -ENOMEM;
	extra->allocated_containers = dups;
	for (size_t i = 0; i < b->n_containers; i++) {
		if (n > 0 && container_same(&b->containers[n - 1], &b->containers[i]))
			extra->containers[extra->n_containers++] = b->containers[i];
		else
			b->containers[n++] = b->containers[i];
	}
	b->n_containers = n;
	r = behavior_merge(b, extra, err);
	if (r < 0)
		return error_prefix(err, r, "two containers with the same name and image digest "
					    "cannot be one");
	return 0;
}

int behavior_canonicalize(struct behavior *b, struct error *err)
{
	int r;

	utf8_fix(b->created);
	for (size_t i = 0; i < b->n_containers; i++) {
		r = container_canon(&b->containers[i], err);
		if (r < 0)
			return r;
	}
	if (b->n_containers > 1)
		qsort(b->containers, b->n_containers, sizeof(*b->containers), container_cmp);
	return containers_unique(b, err);
}
