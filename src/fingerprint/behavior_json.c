/* SPDX-License-Identifier: Apache-2.0 */
/* The fingerprint document (docs/behavior.md): RAD's format read strictly, every error naming
 * its place ("containers[0].entrypoint.process.children[3].files[2].path"), and written with a
 * fixed key order — RAD's fields in RAD's order, our extensions as extra fields. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/digest.h"
#include "basic/fs.h"
#include "behavior.h"

/* Where we are in the document: a chain from the innermost value up to the root. */
struct loc {
	const struct loc *up;
	const char *key; /* a field, or NULL for an array element */
	size_t index;
};

#define LOC_KEY(parent, k) (&(const struct loc){ .up = (parent), .key = (k) })
#define LOC_INDEX(parent, i) (&(const struct loc){ .up = (parent), .index = (i) })

static void loc_format(const struct loc *l, char *buf, size_t size)
{
	const struct loc *chain[2 * BEHAVIOR_MAX_DEPTH + 16];
	size_t n = 0, len = 0, keep;

	for (; l && n < ARRAY_SIZE(chain); l = l->up)
		chain[n++] = l;
	/* Long places keep their end, where the problem is. */
	keep = n > 24 ? 24 : n;
	buf[0] = '\0';
	if (keep < n)
		len = (size_t)snprintf(buf, size, "...");
	for (size_t i = keep; i-- > 0 && len < size;) {
		if (chain[i]->key)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						len && i < keep - 1 ? "." : "", chain[i]->key);
		else
			len += (size_t)snprintf(buf + len, size - len, "[%zu]", chain[i]->index);
	}
}

static int _printf_(3, 4) fail(struct error *err, const struct loc *l, const char *fmt, ...)
{
	char where[512], msg[512];
	va_list ap;

	loc_format(l, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(err, -EBADMSG, "%s%s%s", where, where[0] ? ": " : "", msg);
}

/* Only the fields in keys (NULL-terminated) may appear. */
static int check_object(json_t *o, const char *const *keys, const struct loc *l,
			struct error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return fail(err, l, "not an object");
	json_object_foreach(o, key, v) {
		size_t k = 0;

		while (keys[k] && strcmp(keys[k], key) != 0)
			k++;
		if (!keys[k])
			return fail(err, l, "unknown field '%s'", key);
	}
	return 0;
}

/* An optional field: NULL if absent or null (Go writes null for an empty slice). */
static json_t *field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

static int get_string(json_t *o, const char *key, size_t max, bool required, const char **ret,
		      const struct loc *l, struct error *err)
{
	json_t *v = field(o, key);

	*ret = NULL;
	if (!v && !required)
		return 0;
	if (!json_is_string(v))
		return fail(err, LOC_KEY(l, key), v ? "not a string" : "missing");
	if (json_string_length(v) > max)
		return fail(err, LOC_KEY(l, key), "longer than %zu bytes", max);
	*ret = json_string_value(v);
	return 0;
}

static int get_integer(json_t *o, const char *key, int64_t min, int64_t max, bool required,
		       int64_t *ret, const struct loc *l, struct error *err)
{
	json_t *v = field(o, key);

	if (!v && !required)
		return 0;
	if (!json_is_integer(v))
		return fail(err, LOC_KEY(l, key), v ? "not an integer" : "missing");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(err, LOC_KEY(l, key), "%lld is out of range", json_integer_value(v));
	*ret = json_integer_value(v);
	return 0;
}

/* An optional array: its size in *ret_n (0 if absent). */
static int get_array(json_t *o, const char *key, json_t **ret, const struct loc *l,
		     struct error *err)
{
	json_t *v = field(o, key);

	*ret = v;
	if (v && !json_is_array(v))
		return fail(err, LOC_KEY(l, key), "not an array");
	return 0;
}

/* Absolute, no empty, "." or ".." components, no trailing '/' (but "/" itself). */
static bool path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	if (!p[1])
		return true;
	for (const char *s = p + 1;;) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!*e)
			return true;
		s = e + 1;
	}
}

static bool hex64_ok(const char *s)
{
	return strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}

/* "2024-01-31T12:13:28Z", optional fraction, "Z" or a "+hh:mm" offset. */
static bool timestamp_ok(const char *s)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	size_t i = 0;

	for (; pattern[i]; i++)
		if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
			return false;
	if (s[i] == '.') {
		size_t n = strspn(s + i + 1, "0123456789");

		if (n == 0)
			return false;
		i += 1 + n;
	}
	if (s[i] == 'Z')
		return s[i + 1] == '\0';
	return (s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 &&
	       strspn(s + i + 1, "0123456789") == 2 && s[i + 3] == ':' &&
	       strspn(s + i + 4, "0123456789") == 2;
}

static int parse_program(json_t *o, struct bprocess *p, const struct loc *l, struct error *err)
{
	static const char *const keys[] = { "comm", "args", "exeSha256", NULL };
	const char *comm, *exe, *args[BEHAVIOR_ARGS_MAX];
	struct bprogram *g;
	json_t *a = NULL, *v;
	size_t i;
	int r;

	r = check_object(o, keys, l, err);
	if (r >= 0)
		r = get_string(o, "comm", BEHAVIOR_NAME_MAX, true, &comm, l, err);
	if (r >= 0 && !comm[0])
		r = fail(err, LOC_KEY(l, "comm"), "empty");
	if (r >= 0)
		r = get_string(o, "exeSha256", DIGEST_HEX_LEN, false, &exe, l, err);
	if (r >= 0 && exe && !hex64_ok(exe))
		r = fail(err, LOC_KEY(l, "exeSha256"), "not 64 lowercase hex digits");
	if (r >= 0)
		r = get_array(o, "args", &a, l, err);
	if (r < 0)
		return r;
	if (json_array_size(a) > BEHAVIOR_ARGS_MAX)
		return fail(err, LOC_KEY(l, "args"), "more than %d arguments", BEHAVIOR_ARGS_MAX);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return fail(err, LOC_INDEX(LOC_KEY(l, "args"), i), "not a string");
		if (json_string_length(v) > BEHAVIOR_STRING_MAX)
			return fail(err, LOC_INDEX(LOC_KEY(l, "args"), i), "longer than %d bytes",
				    BEHAVIOR_STRING_MAX);
		args[i] = json_string_value(v);
	}
	if (bprocess_add_program(p, comm, (char *const *)args, json_array_size(a), &g) < 0 ||
	    (exe && !(g->exe_sha256 = strdup(exe))))
		return -ENOMEM;
	return 0;
}

static int parse_connection(json_t *o, struct bprocess *p, const struct loc *l,
			    struct error *err)
{
	static const char *const keys[] = { "address", "hostname", "port", "protocol", NULL };
	const char *address, *hostname, *protocol;
	unsigned char bin[16];
	int64_t port;
	int r;

	r = check_object(o, keys, l, err);
	if (r >= 0)
		r = get_string(o, "address", INET6_ADDRSTRLEN, true, &address, l, err);
	if (r >= 0 && inet_pton(strchr(address, ':') ? AF_INET6 : AF_INET, address, bin) != 1)
		r = fail(err, LOC_KEY(l, "address"), "'%s' is not an IP address", address);
	if (r >= 0)
		r = get_string(o, "hostname", BEHAVIOR_NAME_MAX, false, &hostname, l, err);
	if (r >= 0)
		r = get_integer(o, "port", 0, 65535, true, &port, l, err);
	if (r >= 0)
		r = get_string(o, "protocol", 16, false, &protocol, l, err);
	if (r >= 0 && protocol && (!protocol[0] ||
				   strspn(protocol, "abcdefghijklmnopqrstuvwxyz0123456789") !=
					   strlen(protocol)))
		r = fail(err, LOC_KEY(l, "protocol"), "not a protocol name");
	if (r < 0)
		return r;
	return bprocess_add_connection(p, address, hostname, (uint32_t)port, protocol);
}

static int parse_process(json_t *o, struct bprocess *p, unsigned depth, const struct loc *l,
			 struct error *err);

/* Each element of the array o[key] through one parser. */
static int parse_each(json_t *o, const char *key, struct bprocess *p, unsigned depth,
		      const struct loc *l, struct error *err)
{
	static const char *const file_keys[] = { "path", NULL };
	static const char *const listen_keys[] = { "port", NULL };
	const struct loc *lk = LOC_KEY(l, key);
	struct bprocess *c;
	const char *path;
	int64_t port;
	json_t *a = NULL, *v;
	size_t i;
	int r = get_array(o, key, &a, l, err);

	json_array_foreach(a, i, v) {
		const struct loc *li = LOC_INDEX(lk, i);

		if (r < 0)
			break;
		if (strcmp(key, "programs") == 0) {
			r = parse_program(v, p, li, err);
		} else if (strcmp(key, "connections") == 0) {
			r = parse_connection(v, p, li, err);
		} else if (strcmp(key, "files") == 0) {
			r = check_object(v, file_keys, li, err);
			if (r >= 0)
				r = get_string(v, "path", BEHAVIOR_STRING_MAX, true, &path, li, err);
			if (r >= 0 && !path_ok(path))
				r = fail(err, LOC_KEY(li, "path"), "'%s' is not a normalized "
					 "absolute path", path);
			if (r >= 0)
				r = bprocess_add_file(p, path);
		} else if (strcmp(key, "listening") == 0) {
			r = check_object(v, listen_keys, li, err);
			if (r >= 0)
				r = get_integer(v, "port", 0, 65535, true, &port, li, err);
			if (r >= 0)
				r = bprocess_add_listening(p, (uint32_t)port);
		} else {
			r = bprocess_add_child(p, &c);
			if (r >= 0)
				r = parse_process(v, c, depth + 1, li, err);
		}
	}
	return r;
}

static int parse_process(json_t *o, struct bprocess *p, unsigned depth, const struct loc *l,
			 struct error *err)
{
	static const char *const keys[] = { "uid", "gid", "count", "children", "programs", "files",
					    "connections", "listening", NULL };
	static const char *const lists[] = { "programs", "files", "connections", "listening",
					     "children" };
	int64_t uid = 0, gid = 0, count = 1;
	int r;

	if (depth > BEHAVIOR_MAX_DEPTH)
		return fail(err, l, "process tree deeper than %d levels", BEHAVIOR_MAX_DEPTH);
	r = check_object(o, keys, l, err);
	if (r >= 0 && !field(o, "uid") != !field(o, "gid"))
		r = fail(err, l, "uid and gid go together");
	if (r >= 0)
		r = get_integer(o, "uid", 0, UINT32_MAX, false, &uid, l, err);
	if (r >= 0)
		r = get_integer(o, "gid", 0, UINT32_MAX, false, &gid, l, err);
	if (r >= 0)
		r = get_integer(o, "count", 1, INT64_MAX, false, &count, l, err);
	if (r < 0)
		return r;
	p->ids_unknown = !field(o, "uid");
	p->uid = (uint32_t)uid;
	p->gid = (uint32_t)gid;
	p->count = (uint64_t)count;
	for (size_t i = 0; i < ARRAY_SIZE(lists) && r >= 0; i++)
		r = parse_each(o, lists[i], p, depth, l, err);
	return r;
}

/* {"process": {...}} */
static int parse_entry(json_t *o, const char *key, struct bprocess *p, const struct loc *l,
		       struct error *err)
{
	static const char *const keys[] = { "process", NULL };
	const struct loc *lk = LOC_KEY(l, key);
	int r = check_object(o, keys, lk, err);

	if (r >= 0 && !json_object_get(o, "process"))
		r = fail(err, lk, "no process");
	if (r >= 0)
		r = parse_process(json_object_get(o, "process"), p, 1, LOC_KEY(lk, "process"), err);
	return r;
}

static int parse_container(json_t *o, struct behavior *b, const struct loc *l,
			   struct error *err)
{
	static const char *const keys[] = { "name", "imageName", "imageDigest", "entrypoint",
					    "exec", NULL };
	const char *name, *image, *digest;
	struct bcontainer *c;
	struct digest d;
	int r;

	r = check_object(o, keys, l, err);
	if (r >= 0)
		r = get_string(o, "name", BEHAVIOR_NAME_MAX, true, &name, l, err);
	if (r >= 0)
		r = get_string(o, "imageName", BEHAVIOR_STRING_MAX, true, &image, l, err);
	if (r >= 0)
		r = get_string(o, "imageDigest", DIGEST_STRING_MAX, false, &digest, l, err);
	if (r >= 0 && digest && digest_parse(digest, &d) < 0)
		r = fail(err, LOC_KEY(l, "imageDigest"), "'%s' is not a sha256 digest", digest);
	if (r >= 0 && !json_object_get(o, "entrypoint"))
		r = fail(err, l, "no entrypoint");
	if (r < 0)
		return r;
	r = behavior_add_container(b, name, image, digest, &c);
	if (r >= 0)
		r = parse_entry(json_object_get(o, "entrypoint"), "entrypoint", &c->entrypoint, l,
				err);
	if (r >= 0 && field(o, "exec")) {
		c->exec = calloc(1, sizeof(*c->exec));
		r = c->exec ? parse_entry(field(o, "exec"), "exec", c->exec, l, err) : -ENOMEM;
	}
	return r;
}

static int parse_top(json_t *o, struct behavior *b, struct error *err)
{
	static const char *const keys[] = { "kind", "apiVersion", "metadata", "containers",
					    "imprint", NULL };
	static const char *const meta_keys[] = { "creationTimestamp", NULL };
	static const char *const ext_keys[] = { "complete", "lostEvents", NULL };
	const char *kind, *api, *created;
	int64_t lost = 0;
	json_t *a = NULL, *v, *ext;
	size_t i;
	int r;

	r = check_object(o, keys, NULL, err);
	if (r >= 0)
		r = get_string(o, "kind", 64, true, &kind, NULL, err);
	if (r >= 0 && strcmp(kind, BEHAVIOR_KIND) != 0)
		r = fail(err, LOC_KEY(NULL, "kind"), "'%s' is not %s", kind, BEHAVIOR_KIND);
	if (r >= 0)
		r = get_string(o, "apiVersion", 64, true, &api, NULL, err);
	if (r >= 0 && strcmp(api, BEHAVIOR_API_VERSION) != 0)
		r = fail(err, LOC_KEY(NULL, "apiVersion"), "'%s' is not %s", api,
			 BEHAVIOR_API_VERSION);
	if (r >= 0 && field(o, "metadata"))
		r = check_object(field(o, "metadata"), meta_keys, LOC_KEY(NULL, "metadata"), err);
	if (r >= 0)
		r = get_string(field(o, "metadata"), "creationTimestamp", 64, false, &created,
			       LOC_KEY(NULL, "metadata"), err);
	if (r >= 0 && created && !timestamp_ok(created))
		r = fail(err, LOC_KEY(LOC_KEY(NULL, "metadata"), "creationTimestamp"),
			 "'%s' is not an RFC 3339 timestamp", created);
	if (r >= 0 && created && !(b->created = strdup(created)))
		r = -ENOMEM;
	ext = field(o, "imprint");
	if (r >= 0 && ext) {
		r = check_object(ext, ext_keys, LOC_KEY(NULL, "imprint"), err);
		if (r >= 0 && !json_is_boolean(json_object_get(ext, "complete")))
			r = fail(err, LOC_KEY(NULL, "imprint"), "complete: missing or not a boolean");
		if (r >= 0)
			r = get_integer(ext, "lostEvents", 0, INT64_MAX, false, &lost,
					LOC_KEY(NULL, "imprint"), err);
		b->complete = json_is_true(json_object_get(ext, "complete"));
		b->lost_events = (uint64_t)lost;
		if (r >= 0 && b->complete && lost > 0)
			r = fail(err, LOC_KEY(NULL, "imprint"), "complete, yet %lld events were lost",
				 (long long)lost);
	}
	if (r >= 0)
		r = get_array(o, "containers", &a, NULL, err);
	if (r >= 0 && !a)
		r = fail(err, NULL, "no containers");
	json_array_foreach(a, i, v) {
		if (r < 0)
			break;
		r = parse_container(v, b, LOC_INDEX(LOC_KEY(NULL, "containers"), i), err);
	}
	return r;
}

int behavior_parse(const char *buf, size_t len, struct behavior **ret, struct error *err)
{
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	json_error_t jerr;
	json_t *o;
	int r;

	if (len > BEHAVIOR_MAX_FILE)
		return error_set(err, -EFBIG, "larger than %u MiB", BEHAVIOR_MAX_FILE >> 20);
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return error_set(err, -EBADMSG, "line %d, column %d: %s", jerr.line, jerr.column,
				 jerr.text);
	b = behavior_new();
	r = b ? parse_top(o, b, err) : -ENOMEM;
	json_decref(o);
	if (r >= 0)
		/* everything else was checked: two replicas of a container that disagree */
		r = behavior_canonicalize(b, err);
	if (r < 0)
		return err && !err->message[0] ? error_set(err, r, "%s", strerror(-r)) : r;
	*ret = TAKE_PTR(b);
	return 0;
}

int behavior_read(const char *path, struct behavior **ret, struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len;
	int r;

	if (strcmp(path, "-") == 0)
		r = read_stream(0, BEHAVIOR_MAX_FILE, &buf, &len);
	else
		r = read_file(path, BEHAVIOR_MAX_FILE, &buf, &len);
	if (r == -EFBIG)
		return error_set(err, r, "%s: larger than %u MiB", path, BEHAVIOR_MAX_FILE >> 20);
	if (r < 0 && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return error_set(err, r, "%s: not a regular file", path);
	if (r < 0)
		return error_set(err, r, "%s: %s", path, strerror(-r));
	r = behavior_parse(buf, len, ret, err);
	if (r < 0)
		return error_prefix(err, r, "%s", path);
	return 0;
}

/* Writing */

static void set_array(json_t *o, const char *key, json_t *a)
{
	if (json_array_size(a))
		json_object_set_new(o, key, a);
	else
		json_decref(a);
}

static json_t *process_to_json(const struct bprocess *p)
{
	json_t *o = json_object(), *a;

	if (!p->ids_unknown) {
		json_object_set_new(o, "uid", json_integer(p->uid));
		json_object_set_new(o, "gid", json_integer(p->gid));
	}
	if (p->count > 1)
		json_object_set_new(o, "count", json_integer((json_int_t)p->count));
	a = json_array();
	for (size_t i = 0; i < p->n_children; i++)
		json_array_append_new(a, process_to_json(&p->children[i]));
	set_array(o, "children", a);
	a = json_array();
	for (size_t i = 0; i < p->n_programs; i++) {
		const struct bprogram *g = &p->programs[i];
		json_t *po = json_object(), *args = json_array();

		json_object_set_new(po, "comm", json_string(g->comm));
		for (size_t k = 0; k < g->n_args; k++)
			json_array_append_new(args, json_string(g->args[k]));
		set_array(po, "args", args);
		if (g->exe_sha256)
			json_object_set_new(po, "exeSha256", json_string(g->exe_sha256));
		json_array_append_new(a, po);
	}
	set_array(o, "programs", a);
	a = json_array();
	for (size_t i = 0; i < p->n_files; i++)
		json_array_append_new(a, json_pack("{s:s}", "path", p->files[i]));
	set_array(o, "files", a);
	a = json_array();
	for (size_t i = 0; i < p->n_connections; i++) {
		const struct bconnection *c = &p->connections[i];
		json_t *co = json_object();

		json_object_set_new(co, "address", json_string(c->address));
		if (c->hostname)
			json_object_set_new(co, "hostname", json_string(c->hostname));
		json_object_set_new(co, "port", json_integer(c->port));
		if (c->protocol)
			json_object_set_new(co, "protocol", json_string(c->protocol));
		json_array_append_new(a, co);
	}
	set_array(o, "connections", a);
	a = json_array();
	for (size_t i = 0; i < p->n_listening; i++)
		json_array_append_new(a, json_pack("{s:I}", "port", (json_int_t)p->listening[i]));
	set_array(o, "listening", a);
	return o;
}

static json_t *entry_to_json(const struct bprocess *p)
{
	return json_pack("{s:o}", "process", process_to_json(p));
}

json_t *behavior_to_json(const struct behavior *b)
{
	json_t *o = json_object(), *meta = json_object(), *a = json_array();

	json_object_set_new(o, "kind", json_string(BEHAVIOR_KIND));
	json_object_set_new(o, "apiVersion", json_string(BEHAVIOR_API_VERSION));
	if (b->created)
		json_object_set_new(meta, "creationTimestamp", json_string(b->created));
	json_object_set_new(o, "metadata", meta);
	for (size_t i = 0; i < b->n_containers; i++) {
		const struct bcontainer *c = &b->containers[i];
		json_t *co = json_object();

		json_object_set_new(co, "name", json_string(c->name ?: ""));
		json_object_set_new(co, "imageName", json_string(c->image_name ?: ""));
		if (c->image_digest)
			json_object_set_new(co, "imageDigest", json_string(c->image_digest));
		json_object_set_new(co, "entrypoint", entry_to_json(&c->entrypoint));
		if (c->exec)
			json_object_set_new(co, "exec", entry_to_json(c->exec));
		json_array_append_new(a, co);
	}
	json_object_set_new(o, "containers", a);
	if (!b->complete || b->lost_events)
		json_object_set_new(o, "imprint",
				    json_pack("{s:b,s:I}", "complete", b->complete, "lostEvents",
					      (json_int_t)b->lost_events));
	return o;
}

int behavior_write(const struct behavior *b, FILE *f)
{
	json_t *o = behavior_to_json(b);
	int r;

	if (!o)
		return -ENOMEM;
	r = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (r < 0 || fputc('\n', f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
