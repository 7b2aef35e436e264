/* SPDX-License-Identifier: Apache-2.0 */
/* The behavioral fingerprint of an image (docs/behavior.md): what its containers do — the
 * process tree (programs with comm and args, uid, gid), the files each process opens, the
 * connections it makes, the ports it listens on. The file format is RAD Security's public
 * fingerprint format (kind: Fingerprint, apiVersion: rad.ksoc.com/v1alpha1) plus our
 * extensions in extra fields, so RAD's catalog imports and our files read in RAD's tools.
 *
 * The model is canonical: within a process, files, connections, listening ports and programs
 * are sorted and deduplicated, volatile path parts are collapsed to "*" (behavior_collapse_path),
 * and identical sibling subtrees fold into one node with a count. Identical behavior therefore
 * gives a byte-identical file.
 *
 * Ownership: a behavior owns everything it points to (every string and array is malloc'd and
 * freed by behavior_free()). Build one with behavior_new() and the *_add_*() helpers below, which
 * copy their string arguments; pointers they return stay valid until the next add to the same
 * array. The builders grow arrays geometrically and record the capacity in "allocated"; an array
 * may also be grown by hand (realloc to n + 1) as long as its "allocated" stays 0. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "basic/error.h"
#include "basic/macro.h"

#define BEHAVIOR_API_VERSION "rad.ksoc.com/v1alpha1"
#define BEHAVIOR_KIND "Fingerprint"
/* RAD's largest catalog file is 470 KB; parsing costs about 20 times the file size in memory. */
#define BEHAVIOR_MAX_FILE (16u * 1024 * 1024)
#define BEHAVIOR_MAX_DEPTH 256  /* process tree levels, the entrypoint being level 1 */
#define BEHAVIOR_ARGS_MAX 64    /* argv entries kept per program (docs/behavior.md) */
#define BEHAVIOR_STRING_MAX 4096 /* a path, an argument, an image name */
#define BEHAVIOR_NAME_MAX 255   /* comm, container name, hostname, protocol */

struct bprogram {
	char *comm;
	char **args;
	size_t n_args;
	char *exe_sha256; /* extension: 64 hex digits, the executable's content, or NULL */
};

struct bconnection {
	char *address;  /* IPv4 dotted or IPv6 text, canonical (inet_ntop) form */
	char *hostname; /* or NULL when it cannot be known */
	uint32_t port;
	char *protocol; /* "tcp", "udp", or NULL (RAD's files do not say) */
};

struct bprocess {
	uint32_t uid, gid;
	bool ids_unknown;          /* no uid/gid recorded (RAD's "exec" entries) */
	struct bprogram *programs; /* execs this process made, in canonical order */
	size_t n_programs;
	char **files;              /* paths opened, collapsed */
	size_t n_files;
	struct bconnection *connections;
	size_t n_connections;
	uint32_t *listening;       /* extension: ports bound and listened on */
	size_t n_listening;
	struct bprocess *children;
	size_t n_children;
	uint64_t count;            /* extension: identical siblings folded into this node (0 = 1) */
	struct {
		size_t programs, files, connections, listening, children;
	} allocated;               /* the builders' array capacities; 0 for arrays grown by hand */
};

struct bcontainer {
	char *name;
	char *image_name;
	char *image_digest;        /* "sha256:...", or NULL */
	struct bprocess entrypoint;
	struct bprocess *exec;     /* RAD's "exec": processes entered from outside, or NULL */
};

struct behavior {
	char *created; /* metadata.creationTimestamp, RFC 3339, or NULL */
	struct bcontainer *containers;
	size_t n_containers, allocated_containers; /* as bprocess.allocated */
	bool complete;       /* extension: false if events were lost while learning */
	uint64_t lost_events; /* extension */
};

/* A new, empty behavior (complete, no containers). */
struct behavior *behavior_new(void);
struct behavior *behavior_free(struct behavior *b);
DEFINE_FREEP(struct behavior, behavior_free)

/* Building a model (the sensor, the parser). Strings are copied; -ENOMEM on failure. */
int behavior_add_container(struct behavior *b, const char *name, const char *image_name,
			   const char *image_digest, struct bcontainer **ret);
/* Keeps the first BEHAVIOR_ARGS_MAX arguments. */
int bprocess_add_program(struct bprocess *p, const char *comm, char *const *args, size_t n_args,
			 struct bprogram **ret);
int bprocess_add_file(struct bprocess *p, const char *path);
int bprocess_add_connection(struct bprocess *p, const char *address, const char *hostname,
			    uint32_t port, const char *protocol);
int bprocess_add_listening(struct bprocess *p, uint32_t port);
/* A new child with count 1 and everything else empty. */
int bprocess_add_child(struct bprocess *p, struct bprocess **ret);
/* Add copies of everything src has (programs, files, connections, listening ports, children)
 * to dst, which keeps what it had. Not uid, gid or count. */
int bprocess_add_all(struct bprocess *dst, const struct bprocess *src);
/* Free what these point to (not the structs themselves) and zero them. */
void bprocess_release(struct bprocess *p);
void bprogram_release(struct bprogram *g);
void bconnection_release(struct bconnection *c);

/* Whether two canonical processes are at the same place in a tree: the same programs (comm,
 * args, executable digest), uid and gid. This is how merge and diff pair up processes. */
int bprocess_place_cmp(const struct bprocess *a, const struct bprocess *b);

/* Parse a fingerprint document (RAD's or ours), strictly: wrong types, unknown fields and
 * kinds, depth beyond BEHAVIOR_MAX_DEPTH, sizes beyond the limits above are errors (-EBADMSG,
 * -EFBIG) that name the place ("containers[0].entrypoint.process.children[3].files[2].path: ..."). The result
 * is canonicalized. */
int behavior_parse(const char *buf, size_t len, struct behavior **ret, struct error *err);
/* The same for a file of at most BEHAVIOR_MAX_FILE bytes; "-" is stdin. */
int behavior_read(const char *path, struct behavior **ret, struct error *err);

/* Sort, deduplicate, collapse volatile path parts and fold identical siblings, recursively;
 * merge containers with the same name and image digest; make a hand-built model writable
 * (invalid UTF-8 becomes '?', over-long strings are cut, malformed extension values dropped).
 * Idempotent. -ELOOP if the tree is deeper than BEHAVIOR_MAX_DEPTH; -EINVAL for a relative
 * path, a NULL comm or argument, an address that is not an IP address, a port above 65535, or
 * two same containers whose entrypoints disagree on uid/gid; -ENOMEM. err (may be NULL) says
 * what and where: "container 'c': entrypoint: sh: file 'x' is not an absolute path". */
int behavior_canonicalize(struct behavior *b, struct error *err);

/* The document: RAD's fields in RAD's layout, our extensions as extra fields. Canonical
 * key order and indentation: the same model always gives the same bytes. */
json_t *behavior_to_json(const struct behavior *b);
/* behavior_to_json() with two-space indentation and a final newline. */
int behavior_write(const struct behavior *b, FILE *f);

/* Add everything in src to dst (the union of several runs or replicas): containers match by
 * name and image digest, processes by their programs, uid and gid and place in the tree.
 * Both must be canonical; dst is canonical again afterwards. -EINVAL when they cannot be one
 * (a root with another uid/gid: "container 'c': the entrypoint runs as 1:1 in one and 0:0 in
 * the other", dst being "one"); on error dst is unusable. */
int behavior_merge(struct behavior *dst, const struct behavior *src, struct error *err);

/* Normalize an absolute path lexically (no empty or "." components, ".." drops the one before,
 * no trailing '/') and collapse its volatile parts (docs/behavior.md): numeric /proc/PID and
 * /proc/self/task/TID parts, /proc/self/fd/N numbers, kubelet "..YYYY_*" timestamped
 * directories, random-looking temporary names. A relative path is returned as it is. Returns a
 * new string, NULL on ENOMEM. */
char *behavior_collapse_path(const char *path);

/* Print a readable tree (imprint fingerprint show); files, connections and listening ports
 * too unless processes_only. */
void behavior_print_tree(const struct behavior *b, bool processes_only, FILE *f);

/* What b does that a does not (added) and the reverse (removed), by container and place in
 * the tree: cb is called once per difference, ordered by container, place, what and value.
 * A place is the path of process names from the root ("entrypoint/setup.sh/date"), a process
 * being named by the comms of its programs joined by ','. Returns the number of
 * differences, or the first negative value cb returned, or -ENOMEM. */
enum bdiff_kind { BDIFF_ADDED, BDIFF_REMOVED, _BDIFF_KIND_MAX };
enum bdiff_what {
	BDIFF_CONTAINER, /* a container only on one side: value its image name */
	BDIFF_IDENTITY,  /* "uid:gid" */
	BDIFF_PROGRAM,   /* "comm: arg0 arg1..." */
	BDIFF_FILE,      /* the path */
	BDIFF_CONNECTION, /* "address:port", "[v6]:port", then "/proto" and " (hostname)" if known */
	BDIFF_LISTEN,    /* the port */
	_BDIFF_WHAT_MAX,
};
struct bdiff_item {
	enum bdiff_kind kind;
	enum bdiff_what what;
	const char *container; /* container name */
	const char *where;     /* the place in the tree, e.g. "entrypoint/sh/postgres"; "" for
				* BDIFF_CONTAINER */
	const char *value;
};
int behavior_diff(const struct behavior *a, const struct behavior *b,
		  int (*cb)(const struct bdiff_item *item, void *userdata), void *userdata);
const char *bdiff_what_to_string(enum bdiff_what w);
