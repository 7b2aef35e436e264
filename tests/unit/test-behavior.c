/* SPDX-License-Identifier: Apache-2.0 */
/* src/fingerprint/behavior*.c: path collapse rules (on paths from RAD's catalog), the canonical
 * form and folding, the document (strict reading, stable writing, extensions), merge and diff. */
#include <errno.h>
#include <stdio.h>

#include "test-helpers.h"

#include "fingerprint/behavior.h"

#define HEAD "{\"kind\":\"Fingerprint\",\"apiVersion\":\"rad.ksoc.com/v1alpha1\","
#define DOC(process)                                                                  \
	HEAD "\"metadata\":{\"creationTimestamp\":\"2024-01-31T12:13:28Z\"},"            \
	     "\"containers\":[{\"name\":\"c\",\"imageName\":\"docker.io/x:1\","           \
	     "\"imageDigest\":\"sha256:1c39480406a55c9d22dafd64d8f8d3b1" \
	     "75eb4acf74a2895540825fa9785f4eaa\"," \
	     "\"entrypoint\":{\"process\":" process "}}]}"

static char *to_string(const struct behavior *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(behavior_write(b, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct behavior *parse_ok(const char *doc)
{
	struct behavior *b = NULL;
	struct error err = { 0 };
	int r = behavior_parse(doc, strlen(doc), &b, &err);

	if (r < 0)
		fail_msg("parse: %s (%s)", err.message, doc);
	return b;
}

/* Collapse rules */

static void assert_collapse(const char *in, const char *want)
{
	char *got = behavior_collapse_path(in), *again;

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("collapse('%s') = '%s', want '%s'", in, got, want);
	again = behavior_collapse_path(got);
	assert_string_equal(again, got); /* idempotent */
	free(again);
	free(got);
}

static void test_collapse_catalog_paths_kept(void **state)
{
	/* Paths as RAD's catalog has them: already collapsed, or not volatile by our rules. */
	static const char *const keep[] = {
		"/", "/proc", "/proc/*/task/*/cgroup", "/proc/*/net/netstat", "/proc/self/status",
		"/proc/sys/vm/overcommit_memory", "/proc/pressure/cpu", "/tmp/tmp.*",
		"/tmp/nginx/nginx-cfg*", "/tmp/nginx/nginx.pid", "/dev/shm/PostgreSQL.*",
		"/tmp/dashboard.kubernetes-dashboard-*", "/tmp/.s.PGSQL.5432.lock",
		"/run/secrets/kubernetes.io/serviceaccount/*/token", "/etc/config/*/prometheus.yml",
		"/opt/bitnami/postgresql/tmp/postgresql.pid", "/opt/bitnami/mongodb/tmp/mongodb.pid",
		/* random-looking, but not in a temporary directory: kept (conservative) */
		"/.mongodb/mongosh/65b8d9286bb010bb239c0291_log",
		"/var/lib/grafana/alerting/1/silences.3efe98209c9df50f",
		"/bitnami/mongodb/data/db/collection-0--296062678542118549.wt",
		"/bitnami/mongodb/data/db/journal/WiredTigerLog.0000000001",
		"/usr/lib/x86_64-linux-gnu/libicudata.so.67.1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		assert_collapse(keep[i], keep[i]);
}

static void test_collapse_proc(void **state)
{
	assert_collapse("/proc/1/oom_score_adj", "/proc/*/oom_score_adj"); /* from the catalog */
	assert_collapse("/proc/1", "/proc/*");
	assert_collapse("/proc/4242/task/4243/stat", "/proc/*/task/*/stat");
	assert_collapse("/proc/self/task/17/comm", "/proc/self/task/*/comm");
	assert_collapse("/proc/thread-self/fd/2", "/proc/thread-self/fd/*");
	assert_collapse("/proc/self/fd/3", "/proc/self/fd/*");
	assert_collapse("/proc/self/fdinfo/3", "/proc/self/fdinfo/*");
	assert_collapse("/proc/123/fd/45", "/proc/*/fd/*");
	assert_collapse("/proc/self/task/17/fd/3", "/proc/self/task/*/fd/*");
	assert_collapse("/dev/fd/0", "/dev/fd/*");
	assert_collapse("/proc/self/fd", "/proc/self/fd");
	assert_collapse("/proc/12abc/stat", "/proc/12abc/stat");
	assert_collapse("/proc/sys/fs/file-nr", "/proc/sys/fs/file-nr");
	assert_collapse("/proc/self/mountinfo", "/proc/self/mountinfo");
	assert_collapse("/sys/fs/cgroup/123/cpu.max", "/sys/fs/cgroup/123/cpu.max");
	assert_collapse("/data/proc/1/x", "/data/proc/1/x");
}

static void test_collapse_kubelet(void **state)
{
	assert_collapse("/run/secrets/kubernetes.io/serviceaccount/..2024_01_31_12_13_28.1234567/"
			"token",
			"/run/secrets/kubernetes.io/serviceaccount/*/token");
	assert_collapse("/etc/config/..2024_01_26_11_19_56.3129846712/alerting_rules.yml",
			"/etc/config/*/alerting_rules.yml");
	assert_collapse("/etc/config/..data/prometheus.yml", "/etc/config/..data/prometheus.yml");
	assert_collapse("/etc/config/..2024_01_26/x", "/etc/config/..2024_01_26/x");
	assert_collapse("/etc/config/..2024_01_26_11_19_56./x", "/etc/config/..2024_01_26_11_19_56./x");
}

static void test_collapse_temp(void **state)
{
	/* What RAD's collapsed catalog paths were before collapsing: */
	assert_collapse("/tmp/tmp.Ab3dEfGh1k", "/tmp/tmp.*");                 /* mktemp(1) */
	assert_collapse("/tmp/nginx/nginx-cfg1234567890", "/tmp/nginx/nginx-cfg*"); /* Go */
	assert_collapse("/dev/shm/PostgreSQL.1804289383", "/dev/shm/PostgreSQL.*");
	assert_collapse("/tmp/dashboard.kubernetes-dashboard-3094825713",
			"/tmp/dashboard.kubernetes-dashboard-*");
	/* mkstemp's XXXXXX */
	assert_collapse("/var/tmp/ssh-XXk2B9q0Lm/agent.17", "/var/tmp/ssh-*/agent.17");
	assert_collapse("/tmp/foo.AbCdEf", "/tmp/foo.*");
	assert_collapse("/tmp/.java_pid1234", "/tmp/.java_*");
	assert_collapse("/tmp/k2j3l4m5", "/tmp/*"); /* Python's tempfile */
	assert_collapse("/tmp/123456", "/tmp/*");
	assert_collapse("/tmp/fooAbCdEf", "/tmp/fooAbCdEf"); /* a whole name needs a digit */
	assert_collapse("/tmp/MyFile", "/tmp/MyFile");
	assert_collapse("/tmp/abcdefgh", "/tmp/abcdefgh");
	assert_collapse("/tmp/12345a", "/tmp/*");
	/* not random-looking, or not in a temporary directory */
	assert_collapse("/tmp/.s.PGSQL.5432", "/tmp/.s.PGSQL.5432");
	assert_collapse("/tmp/hsperfdata_root/12345", "/tmp/hsperfdata_root/12345");
	assert_collapse("/tmp/foo.abcdef", "/tmp/foo.abcdef");
	assert_collapse("/tmp/foo.ABCDEF", "/tmp/foo.ABCDEF");
	assert_collapse("/tmp/a.b12c3", "/tmp/a.b12c3");
	assert_collapse("/tmp/.X11-unix/X0", "/tmp/.X11-unix/X0");
	assert_collapse("/tmp", "/tmp");
	assert_collapse("/tmpx/tmp.Ab3dEfGh1k", "/tmpx/tmp.Ab3dEfGh1k");
	assert_collapse("/home/u/tmp.Ab3dEfGh1k", "/home/u/tmp.Ab3dEfGh1k");
	assert_collapse("/var/tmp", "/var/tmp");
	assert_collapse("/dev/shm", "/dev/shm");
	assert_collapse("/tmp/caf\xc3\xa9-12ab34", "/tmp/caf\xc3\xa9-*");
	/* relative: untouched */
	assert_collapse("tmp/tmp.Ab3dEfGh1k", "tmp/tmp.Ab3dEfGh1k");
}

static void test_collapse_normalizes(void **state)
{
	assert_collapse("/a//b/./c/../d/", "/a/b/d");
	assert_collapse("/../..", "/");
	assert_collapse("//", "/");
	assert_collapse("/proc/self/../1/stat", "/proc/*/stat");
	assert_collapse("/tmp/x/../tmp.Ab3dEfGh1k", "/tmp/tmp.*");
	assert_collapse("/a/..b/.c", "/a/..b/.c");
}

/* Canonical form and folding */

static struct bprocess *add_proc(struct bprocess *parent, const char *comm, const char *arg)
{
	struct bprocess *c;
	char *args[] = { (char *)arg };

	assert_int_equal(bprocess_add_child(parent, &c), 0);
	c->uid = 1001;
	assert_int_equal(bprocess_add_program(c, comm, args, arg ? 1 : 0, NULL), 0);
	return c;
}

static struct behavior *build_sample(void)
{
	struct behavior *b = behavior_new();
	struct bcontainer *c;
	struct bprocess *p, *q;

	assert_non_null(b);
	assert_int_equal(behavior_add_container(b, "postgresql", "docker.io/bitnami/postgresql:16",
						NULL, &c),
			 0);
	p = &c->entrypoint;
	p->uid = 1001;
	assert_int_equal(bprocess_add_program(p, "run.sh", NULL, 0, NULL), 0);
	assert_int_equal(bprocess_add_program(p, "entrypoint.sh", NULL, 0, NULL), 0);
	assert_int_equal(bprocess_add_program(p, "run.sh", NULL, 0, NULL), 0);
	assert_int_equal(bprocess_add_file(p, "/proc/17/stat"), 0);
	assert_int_equal(bprocess_add_file(p, "/etc/passwd"), 0);
	assert_int_equal(bprocess_add_file(p, "/proc/42/stat"), 0);
	assert_int_equal(bprocess_add_connection(p, "::FFFF:10.0.0.1", "", 5432, ""), 0);
	assert_int_equal(bprocess_add_connection(p, "10.0.0.2", "db", 5432, "tcp"), 0);
	assert_int_equal(bprocess_add_connection(p, "::ffff:10.0.0.1", NULL, 5432, NULL), 0);
	assert_int_equal(bprocess_add_listening(p, 8080), 0);
	assert_int_equal(bprocess_add_listening(p, 5432), 0);
	assert_int_equal(bprocess_add_listening(p, 8080), 0);
	for (int i = 0; i < 5; i++) {
		q = add_proc(p, "date", "/bin/date");
		assert_int_equal(bprocess_add_file(q, "/etc/ld.so.cache"), 0);
	}
	q = add_proc(p, "date", "/bin/date"); /* a different date: it read one more file */
	assert_int_equal(bprocess_add_file(q, "/etc/localtime"), 0);
	assert_int_equal(bprocess_add_file(q, "/etc/ld.so.cache"), 0);
	for (int i = 0; i < 3; i++) {
		q = add_proc(p, "sh", "sh");
		add_proc(q, "postgres", "postgres");
	}
	q->children[0].count = 4; /* counts of folded siblings add up, below too */
	add_proc(p, "id", "-u")->count = 2;
	add_proc(p, "id", "-u")->count = 3;
	return b;
}

static void test_canonical_form(void **state)
{
	_cleanup_(behavior_freep) struct behavior *b = build_sample();
	const struct bprocess *p = &b->containers[0].entrypoint;

	assert_int_equal(behavior_canonicalize(b, NULL), 0);
	assert_int_equal(p->n_programs, 2);
	assert_string_equal(p->programs[0].comm, "entrypoint.sh");
	assert_string_equal(p->programs[1].comm, "run.sh");
	assert_int_equal(p->n_files, 2);
	assert_string_equal(p->files[0], "/etc/passwd");
	assert_string_equal(p->files[1], "/proc/*/stat");
	/* IPv4 before IPv6; the IPv6 text canonical; "" hostname and protocol are none */
	assert_int_equal(p->n_connections, 2);
	assert_string_equal(p->connections[0].address, "10.0.0.2");
	assert_string_equal(p->connections[1].address, "::ffff:10.0.0.1");
	assert_null(p->connections[1].hostname);
	assert_null(p->connections[1].protocol);
	assert_int_equal(p->n_listening, 2);
	assert_int_equal(p->listening[0], 5432);
	assert_int_equal(p->listening[1], 8080);
	/* children: by program, identical ones folded with their counts added */
	assert_int_equal(p->n_children, 5);
	assert_string_equal(p->children[0].programs[0].comm, "date");
	assert_int_equal(p->children[0].count, 5);
	assert_int_equal(p->children[0].n_files, 1);
	assert_string_equal(p->children[1].programs[0].comm, "date");
	assert_int_equal(p->children[1].count, 1);
	assert_string_equal(p->children[2].programs[0].comm, "id");
	assert_int_equal(p->children[2].count, 5);
	/* two sh->postgres are identical and fold; the third's postgres counts 4 */
	assert_string_equal(p->children[3].programs[0].comm, "sh");
	assert_string_equal(p->children[4].programs[0].comm, "sh");
	assert_int_equal(p->children[3].count + p->children[4].count, 3);
	assert_int_equal(p->children[3].children[0].count + p->children[4].children[0].count, 5);
}

/* What the sensor may hand over: bytes that are not UTF-8, too many arguments, bad values. */
static void test_sanitize_sensor_model(void **state)
{
	_cleanup_(behavior_freep) struct behavior *b = behavior_new();
	_cleanup_(behavior_freep) struct behavior *back = NULL;
	_cleanup_free_ char *s = NULL, *s2 = NULL, *longcomm = malloc(400);
	struct bcontainer *c;
	struct bprogram *g;
	struct bprocess *p;
	char *args[70];

	for (int i = 0; i < 70; i++)
		args[i] = (char *)"a";
	memset(longcomm, 'x', 399);
	longcomm[399] = '\0';
	assert_int_equal(behavior_add_container(b, "c", "i", "sha256:nothex", &c), 0);
	p = &c->entrypoint;
	assert_int_equal(bprocess_add_program(p, "sh\xff", args, 70, &g), 0);
	assert_int_equal(g->n_args, BEHAVIOR_ARGS_MAX); /* the builder keeps 64 */
	g->exe_sha256 = strdup("not a digest");
	assert_int_equal(bprocess_add_program(p, longcomm, NULL, 0, NULL), 0);
	assert_int_equal(bprocess_add_file(p, "/tmp/caf\xe9//x/."), 0);
	assert_int_equal(bprocess_add_connection(p, "10.0.0.1", NULL, 80, "TCP!"), 0);
	assert_int_equal(behavior_canonicalize(b, NULL), 0);
	assert_null(b->containers[0].image_digest);
	p = &b->containers[0].entrypoint;
	assert_string_equal(p->programs[0].comm, "sh?");
	assert_null(p->programs[0].exe_sha256);
	assert_int_equal(strlen(p->programs[1].comm), BEHAVIOR_NAME_MAX);
	assert_string_equal(p->files[0], "/tmp/caf?/x");
	assert_null(p->connections[0].protocol);
	s = to_string(b);
	back = parse_ok(s);
	s2 = to_string(back);
	assert_string_equal(s, s2);

	assert_int_equal(bprocess_add_file(p, "relative"), 0);
	assert_int_equal(behavior_canonicalize(b, NULL), -EINVAL);
}

static void test_folding_nested(void **state)
{
	_cleanup_(behavior_freep) struct behavior *b = behavior_new();
	struct bcontainer *c;
	const struct bprocess *p;

	assert_int_equal(behavior_add_container(b, "c", "i", NULL, &c), 0);
	for (int i = 0; i < 3; i++)
		add_proc(add_proc(&c->entrypoint, "sh", "sh"), "postgres", "postgres");
	assert_int_equal(behavior_canonicalize(b, NULL), 0);
	p = &b->containers[0].entrypoint;
	assert_int_equal(p->n_children, 1);
	assert_int_equal(p->children[0].count, 3);
	assert_int_equal(p->children[0].n_children, 1);
	assert_int_equal(p->children[0].children[0].count, 1);
}

static void test_canonical_idempotent_and_stable(void **state)
{
	_cleanup_(behavior_freep) struct behavior *b = build_sample();
	_cleanup_(behavior_freep) struct behavior *c = NULL;
	_cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;

	assert_int_equal(behavior_canonicalize(b, NULL), 0);
	s1 = to_string(b);
	assert_int_equal(behavior_canonicalize(b, NULL), 0);
	s2 = to_string(b);
	assert_string_equal(s1, s2);
	c = parse_ok(s1);
	s3 = to_string(c);
	assert_string_equal(s1, s3);
	assert_true(s1[strlen(s1) - 1] == '\n');
}

static void test_write_layout(void **state)
{
	static const char want[] =
		"{\n"
		"  \"kind\": \"Fingerprint\",\n"
		"  \"apiVersion\": \"rad.ksoc.com/v1alpha1\",\n"
		"  \"metadata\": {\n"
		"    \"creationTimestamp\": \"2024-01-31T12:13:28Z\"\n"
		"  },\n"
		"  \"containers\": [\n"
		"    {\n"
		"      \"name\": \"c\",\n"
		"      \"imageName\": \"i\",\n"
		"      \"entrypoint\": {\n"
		"        \"process\": {\n"
		"          \"uid\": 0,\n"
		"          \"gid\": 0,\n"
		"          \"children\": [\n"
		"            {\n"
		"              \"uid\": 1001,\n"
		"              \"gid\": 0,\n"
		"              \"count\": 2,\n"
		"              \"programs\": [\n"
		"                {\n"
		"                  \"comm\": \"id\",\n"
		"                  \"args\": [\n"
		"                    \"-u\"\n"
		"                  ]\n"
		"                }\n"
		"              ]\n"
		"            }\n"
		"          ],\n"
		"          \"programs\": [\n"
		"            {\n"
		"              \"comm\": \"sh\",\n"
		"              \"exeSha256\": \"" "0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef\"\n"
		"            }\n"
		"          ],\n"
		"          \"files\": [\n"
		"            {\n"
		"              \"path\": \"/etc/passwd\"\n"
		"            }\n"
		"          ],\n"
		"          \"connections\": [\n"
		"            {\n"
		"              \"address\": \"10.0.0.1\",\n"
		"              \"hostname\": \"db\",\n"
		"              \"port\": 5432,\n"
		"              \"protocol\": \"tcp\"\n"
		"            }\n"
		"          ],\n"
		"          \"listening\": [\n"
		"            {\n"
		"              \"port\": 8080\n"
		"            }\n"
		"          ]\n"
		"        }\n"
		"      }\n"
		"    }\n"
		"  ],\n"
		"  \"imprint\": {\n"
		"    \"complete\": false,\n"
		"    \"lostEvents\": 7\n"
		"  }\n"
		"}\n";
	_cleanup_(behavior_freep) struct behavior *b = behavior_new();
	_cleanup_(behavior_freep) struct behavior *back = NULL;
	_cleanup_free_ char *s = NULL, *s2 = NULL;
	struct bcontainer *c;
	struct bprogram *g;
	struct bprocess *p;

	assert_int_equal(behavior_add_container(b, "c", "i", NULL, &c), 0);
	b->created = strdup("2024-01-31T12:13:28Z");
	b->complete = false;
	b->lost_events = 7;
	p = &c->entrypoint;
	assert_int_equal(bprocess_add_program(p, "sh", NULL, 0, &g), 0);
	g->exe_sha256 = strdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(bprocess_add_file(p, "/etc/passwd"), 0);
	assert_int_equal(bprocess_add_connection(p, "10.0.0.1", "db", 5432, "tcp"), 0);
	assert_int_equal(bprocess_add_listening(p, 8080), 0);
	add_proc(p, "id", "-u")->count = 2;
	assert_int_equal(behavior_canonicalize(b, NULL), 0);
	s = to_string(b);
	assert_string_equal(s, want);
	back = parse_ok(s);
	assert_false(back->complete);
	assert_int_equal(back->lost_events, 7);
	s2 = to_string(back);
	assert_string_equal(s, s2);
}

/* Reading */

static void test_parse_rad(void **state)
{
	/* The shapes RAD's catalog has: no args, no uid/gid in "exec", repeated siblings. */
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(
		HEAD "\"metadata\":{\"creationTimestamp\":\"2024-01-26T19:58:13Z\"},"
		     "\"containers\":[{\"name\":\"grafana\",\"imageName\":\"docker.io/grafana/grafana:10.2.3\","
		     "\"imageDigest\":\"sha256:6b5b37eb35bbf30e7f64bd7f0fd41c0a"
		     "5b7637f65d3bf93223b04a192b8bf3e2\","
		     "\"entrypoint\":{\"process\":{\"uid\":472,\"gid\":472,\"children\":["
		     "{\"uid\":472,\"gid\":472,\"programs\":[{\"comm\":\"date\",\"args\":[\"date\"]}]},"
		     "{\"uid\":472,\"gid\":472,\"programs\":[{\"comm\":\"date\",\"args\":[\"date\"]}]}],"
		     "\"programs\":[{\"comm\":\"run.sh\",\"args\":[\"/run.sh\"]}],"
		     "\"files\":[{\"path\":\"/proc/1/oom_score_adj\"}],"
		     "\"connections\":[{\"address\":\"34.120.177.193\",\"hostname\":\"grafana.com\","
		     "\"port\":443}]}},"
		     "\"exec\":{\"process\":{\"programs\":[{\"comm\":\"exec\"}]}}}]}");
	const struct bcontainer *c = &b->containers[0];

	assert_int_equal(b->n_containers, 1);
	assert_true(b->complete);
	assert_int_equal(c->entrypoint.n_children, 1);
	assert_int_equal(c->entrypoint.children[0].count, 2);
	assert_string_equal(c->entrypoint.files[0], "/proc/*/oom_score_adj");
	assert_non_null(c->exec);
	assert_true(c->exec->ids_unknown);
	assert_int_equal(c->exec->programs[0].n_args, 0);
	assert_string_equal(c->entrypoint.connections[0].hostname, "grafana.com");
	assert_null(c->entrypoint.connections[0].protocol);
}

static void test_parse_hostile(void **state)
{
	static const struct {
		const char *doc;
		const char *message; /* a part of the error */
	} cases[] = {
		{ "", "line 1" },
		{ "[]", "not an object" },
		{ "{\"kind\":\"Fingerprint\"}", "apiVersion: missing" },
		{ HEAD "\"containers\":[],\"x\":1}", "unknown field 'x'" },
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"rad.ksoc.com/v1alpha1\",\"containers\":[]}",
		  "kind: 'Pod' is not Fingerprint" },
		{ "{\"kind\":\"Fingerprint\",\"apiVersion\":\"v2\",\"containers\":[]}",
		  "apiVersion: 'v2' is not" },
		{ HEAD "\"metadata\":{}}", "no containers" },
		{ HEAD "\"containers\":{}}", "containers: not an array" },
		{ HEAD "\"containers\":[],\"containers\":[]}", "duplicate" },
		{ HEAD "\"metadata\":{\"creationTimestamp\":\"yesterday\"},\"containers\":[]}",
		  "metadata.creationTimestamp: 'yesterday' is not an RFC 3339 timestamp" },
		{ HEAD "\"containers\":[],\"imprint\":{\"complete\":true,\"lostEvents\":3}}",
		  "imprint: complete, yet 3 events were lost" },
		{ HEAD "\"containers\":[],\"imprint\":{\"complete\":1}}", "complete: missing or not" },
		{ HEAD "\"containers\":[{\"name\":\"c\",\"imageName\":\"i\"}]}",
		  "containers[0]: no entrypoint" },
		{ HEAD "\"containers\":[{\"name\":\"c\",\"imageName\":\"i\",\"imageDigest\":\"md5:x\","
		       "\"entrypoint\":{\"process\":{}}}]}",
		  "containers[0].imageDigest: 'md5:x' is not a sha256 digest" },
		{ HEAD "\"containers\":[{\"name\":7,\"imageName\":\"i\",\"entrypoint\":{}}]}",
		  "containers[0].name: not a string" },
		{ HEAD "\"containers\":[{\"name\":\"c\",\"imageName\":\"i\",\"entrypoint\":{}}]}",
		  "containers[0].entrypoint: no process" },
		{ DOC("{\"uid\":\"0\",\"gid\":0}"), "entrypoint.process.uid: not an integer" },
		{ DOC("{\"uid\":-1,\"gid\":0}"), "uid: -1 is out of range" },
		{ DOC("{\"uid\":4294967296,\"gid\":0}"), "uid: 4294967296 is out of range" },
		{ DOC("{\"uid\":1.5,\"gid\":0}"), "uid: not an integer" },
		{ DOC("{\"uid\":0}"), "uid and gid go together" },
		{ DOC("{\"count\":0}"), "count: 0 is out of range" },
		{ DOC("{\"pid\":3}"), "entrypoint.process: unknown field 'pid'" },
		{ DOC("{\"programs\":{}}"), "process.programs: not an array" },
		{ DOC("{\"programs\":[{\"comm\":\"\"}]}"), "programs[0].comm: empty" },
		{ DOC("{\"programs\":[{\"args\":[]}]}"), "programs[0].comm: missing" },
		{ DOC("{\"programs\":[{\"comm\":\"sh\",\"args\":\"-c\"}]}"), "args: not an array" },
		{ DOC("{\"programs\":[{\"comm\":\"sh\",\"args\":[1]}]}"), "args[0]: not a string" },
		{ DOC("{\"programs\":[{\"comm\":\"sh\",\"exeSha256\":\"ABC\"}]}"),
		  "exeSha256: not 64 lowercase hex digits" },
		{ DOC("{\"programs\":[{\"comm\":\"a\\u0000b\"}]}"), "NUL" },
		{ DOC("{\"files\":[{\"path\":\"etc/passwd\"}]}"),
		  "files[0].path: 'etc/passwd' is not a normalized absolute path" },
		{ DOC("{\"files\":[{\"path\":\"/a/../etc/shadow\"}]}"), "not a normalized" },
		{ DOC("{\"files\":[{\"path\":\"/a//b\"}]}"), "not a normalized" },
		{ DOC("{\"files\":[{\"path\":\"/a/\"}]}"), "not a normalized" },
		{ DOC("{\"files\":[\"/etc/passwd\"]}"), "files[0]: not an object" },
		{ DOC("{\"files\":[{\"path\":\"/a\",\"mode\":\"r\"}]}"), "unknown field 'mode'" },
		{ DOC("{\"connections\":[{\"address\":\"999.0.0.1\",\"port\":1}]}"),
		  "connections[0].address: '999.0.0.1' is not an IP address" },
		{ DOC("{\"connections\":[{\"address\":\"10.0.0.1\",\"port\":65536}]}"),
		  "port: 65536 is out of range" },
		{ DOC("{\"connections\":[{\"address\":\"10.0.0.1\"}]}"), "port: missing" },
		{ DOC("{\"connections\":[{\"address\":\"10.0.0.1\",\"port\":1,\"hostname\":5}]}"),
		  "hostname: not a string" },
		{ DOC("{\"connections\":[{\"address\":\"10.0.0.1\",\"port\":1,\"protocol\":\"TCP\"}]}"),
		  "protocol: not a protocol name" },
		{ DOC("{\"listening\":[{\"port\":-1}]}"), "listening[0].port: -1 is out of range" },
		{ DOC("{\"children\":[{},{\"children\":[7]}]}"),
		  "process.children[1].children[0]: not an object" },
		{ DOC("{\"children\":[{\"files\":[{\"path\":\"x\"}]}]}"),
		  "containers[0].entrypoint.process.children[0].files[0].path: 'x' is not" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct behavior *b = NULL;
		struct error err = { 0 };
		int r = behavior_parse(cases[i].doc, strlen(cases[i].doc), &b, &err);

		if (r != -EBADMSG || !strstr(err.message, cases[i].message))
			fail_msg("case %zu: r=%d message '%s', want '%s'", i, r, err.message,
				 cases[i].message);
		assert_null(b);
	}
}

/* A chain of n processes, each the only child of the one before. */
static char *chain(int n)
{
	size_t size = (size_t)n * 16 + 512, len;
	char *s = malloc(size);

	assert_non_null(s);
	snprintf(s, size, "%s", DOC(""));
	len = (size_t)(strstr(s, "\"process\":") - s) + strlen("\"process\":");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, size - len, "%s", i < n - 1 ? "{\"children\":[" : "{");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, size - len, "%s", i ? "]}" : "}");
	snprintf(s + len, size - len, "}}]}");
	return s;
}

static void test_parse_depth(void **state)
{
	_cleanup_free_ char *ok = chain(BEHAVIOR_MAX_DEPTH), *deep = chain(BEHAVIOR_MAX_DEPTH + 1);
	_cleanup_free_ char *deeper = chain(5000);
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(ok);
	struct behavior *x = NULL;
	struct error err = { 0 };

	assert_int_equal(b->n_containers, 1);
	assert_int_equal(behavior_parse(deep, strlen(deep), &x, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "deeper than 256 levels"));
	assert_non_null(strstr(err.message, "...children[0]"));
	err = (struct error){ 0 };
	assert_int_equal(behavior_parse(deeper, strlen(deeper), &x, &err), -EBADMSG);
	assert_null(x);
}

static void test_parse_limits(void **state)
{
	_cleanup_free_ char *big = malloc(BEHAVIOR_MAX_FILE + 1);
	_cleanup_free_ char *args = malloc(8192), *doc = NULL;
	struct behavior *x = NULL;
	struct error err = { 0 };
	size_t len = 0;

	assert_non_null(big);
	memset(big, ' ', BEHAVIOR_MAX_FILE + 1);
	assert_int_equal(behavior_parse(big, BEHAVIOR_MAX_FILE + 1, &x, &err), -EFBIG);
	len += (size_t)snprintf(args + len, 8192 - len, "{\"programs\":[{\"comm\":\"sh\",\"args\":[");
	for (int i = 0; i <= BEHAVIOR_ARGS_MAX; i++)
		len += (size_t)snprintf(args + len, 8192 - len, "%s\"a\"", i ? "," : "");
	snprintf(args + len, 8192 - len, "]}]}");
	doc = strdup_printf(DOC("%s"), args);
	err = (struct error){ 0 };
	assert_int_equal(behavior_parse(doc, strlen(doc), &x, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "more than 64 arguments"));
}

/* Merge */

static const char *const DOC_A = DOC(
	"{\"uid\":1,\"gid\":1,\"programs\":[{\"comm\":\"sh\"}],\"files\":[{\"path\":\"/a\"}],"
	"\"children\":[{\"uid\":1,\"gid\":1,\"programs\":[{\"comm\":\"date\"}],"
	"\"files\":[{\"path\":\"/etc/localtime\"}]},"
	"{\"uid\":1,\"gid\":1,\"count\":2,\"programs\":[{\"comm\":\"id\"}]}]}");
static const char *const DOC_B = DOC(
	"{\"uid\":1,\"gid\":1,\"programs\":[{\"comm\":\"sh\"}],\"files\":[{\"path\":\"/b\"}],"
	"\"listening\":[{\"port\":80}],"
	"\"children\":[{\"uid\":1,\"gid\":1,\"programs\":[{\"comm\":\"date\"}],"
	"\"files\":[{\"path\":\"/etc/ld.so.cache\"}]},"
	"{\"uid\":1,\"gid\":1,\"count\":3,\"programs\":[{\"comm\":\"id\"}]},"
	"{\"uid\":0,\"gid\":0,\"programs\":[{\"comm\":\"id\"}],"
	"\"connections\":[{\"address\":\"10.0.0.9\",\"port\":53,\"protocol\":\"udp\"}]}]}");

static void test_merge(void **state)
{
	_cleanup_(behavior_freep) struct behavior *a = parse_ok(DOC_A);
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(DOC_B);
	_cleanup_(behavior_freep) struct behavior *a2 = parse_ok(DOC_A);
	_cleanup_free_ char *sa = to_string(a), *saa = NULL;
	struct error err = { 0 };
	const struct bprocess *p;

	/* merge(A, A) = A */
	assert_int_equal(behavior_merge(a2, a, &err), 0);
	saa = to_string(a2);
	assert_string_equal(sa, saa);

	b->complete = false;
	b->lost_events = 4;
	assert_int_equal(behavior_merge(a, b, &err), 0);
	assert_false(a->complete);
	assert_int_equal(a->lost_events, 4);
	p = &a->containers[0].entrypoint;
	assert_int_equal(p->n_files, 2);
	assert_int_equal(p->n_listening, 1);
	/* date: one node with both files; id as uid 1 (count: the larger) and id as root */
	assert_int_equal(p->n_children, 3);
	assert_string_equal(p->children[0].programs[0].comm, "date");
	assert_int_equal(p->children[0].n_files, 2);
	assert_string_equal(p->children[1].programs[0].comm, "id");
	assert_int_equal(p->children[1].uid, 0);
	assert_int_equal(p->children[1].n_connections, 1);
	assert_int_equal(p->children[2].uid, 1);
	assert_int_equal(p->children[2].count, 3);
}

static int count_added(const struct bdiff_item *item, void *userdata)
{
	if (item->kind == BDIFF_ADDED)
		(*(int *)userdata)++;
	return 0;
}

static void test_merge_is_union(void **state)
{
	_cleanup_(behavior_freep) struct behavior *m = parse_ok(DOC_A);
	_cleanup_(behavior_freep) struct behavior *a = parse_ok(DOC_A);
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(DOC_B);
	struct error err = { 0 };
	int added = 0;

	assert_int_equal(behavior_merge(m, b, &err), 0);
	/* Nothing A or B does is missing from the union... */
	assert_true(behavior_diff(m, a, count_added, &added) > 0);
	assert_int_equal(added, 0);
	assert_true(behavior_diff(m, b, count_added, &added) > 0);
	assert_int_equal(added, 0);
	/* ... and the union does more than either. */
	assert_true(behavior_diff(a, m, count_added, &added) > 0);
	assert_true(added > 0);
}

static void test_merge_conflict(void **state)
{
	_cleanup_(behavior_freep) struct behavior *a = parse_ok(DOC("{\"uid\":1,\"gid\":1}"));
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(DOC("{\"uid\":0,\"gid\":0}"));
	struct error err = { 0 };

	assert_int_equal(behavior_merge(a, b, &err), -EINVAL);
	assert_string_equal(err.message,
			    "container 'c': the entrypoint runs as 1:1 in one and 0:0 in the other");
}

/* A model that cannot be made canonical says what and where (the learner shows this). */
static void test_canonicalize_error_place(void **state)
{
	_cleanup_(behavior_freep) struct behavior *b = behavior_new();
	char *sh[] = { (char *)"sh", (char *)"-c", (char *)"x" }, *cat[] = { (char *)"cat" };
	struct bprocess *child, *grandchild;
	struct bcontainer *c;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(behavior_add_container(b, "web", "i", NULL, &c), 0);
	assert_int_equal(bprocess_add_program(&c->entrypoint, "sh", sh, 3, NULL), 0);
	assert_int_equal(bprocess_add_child(&c->entrypoint, &child), 0);
	assert_int_equal(bprocess_add_program(child, "sh", sh, 3, NULL), 0);
	assert_int_equal(bprocess_add_child(child, &grandchild), 0);
	assert_int_equal(bprocess_add_program(grandchild, "cat", cat, 1, NULL), 0);
	assert_int_equal(bprocess_add_file(grandchild, "etc/passwd"), 0);
	assert_int_equal(behavior_canonicalize(b, &err), -EINVAL);
	assert_string_equal(err.message, "container 'web': entrypoint: sh: cat: file 'etc/passwd' "
					 "is not an absolute path");
}

/* Diff */
/* Diff */

struct collected {
	int n;
	char lines[32][256];
};

static int collect(const struct bdiff_item *item, void *userdata)
{
	struct collected *c = userdata;

	assert_true(c->n < 32);
	snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%c %s %s %s %s",
		 item->kind == BDIFF_ADDED ? '+' : '-', item->container, item->where,
		 bdiff_what_to_string(item->what), item->value);
	return 0;
}

static void test_diff(void **state)
{
	static const char *const want[] = {
		"- c entrypoint file /a",
		"+ c entrypoint file /b",
		"+ c entrypoint listen 80",
		"+ c entrypoint/date file /etc/ld.so.cache",
		"- c entrypoint/date file /etc/localtime",
		"+ c entrypoint/id identity 0:0",
		"+ c entrypoint/id connection 10.0.0.9:53/udp",
	};
	_cleanup_(behavior_freep) struct behavior *a = parse_ok(DOC_A);
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(DOC_B);
	struct collected c = { 0 };

	assert_int_equal(behavior_diff(a, b, collect, &c), (int)ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(c.lines[i], want[i]);
	c.n = 0;
	assert_int_equal(behavior_diff(a, a, collect, &c), 0);
}

static void test_diff_containers(void **state)
{
	_cleanup_(behavior_freep) struct behavior *a = parse_ok(DOC_A);
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(
		HEAD "\"containers\":[{\"name\":\"other\",\"imageName\":\"img\","
		     "\"entrypoint\":{\"process\":{\"uid\":0,\"gid\":0}}}]}");
	struct collected c = { 0 };

	assert_int_equal(behavior_diff(a, b, collect, &c), 2);
	assert_string_equal(c.lines[0], "- c  container docker.io/x:1");
	assert_string_equal(c.lines[1], "+ other  container img");
}

static int fail_second(const struct bdiff_item *item, void *userdata)
{
	return ++*(int *)userdata == 2 ? -EIO : 0;
}

static void test_diff_callback_error(void **state)
{
	_cleanup_(behavior_freep) struct behavior *a = parse_ok(DOC_A);
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(DOC_B);
	int n = 0;

	assert_int_equal(behavior_diff(a, b, fail_second, &n), -EIO);
	assert_int_equal(n, 2);
}

static void test_print_tree(void **state)
{
	_cleanup_(behavior_freep) struct behavior *b = parse_ok(DOC_B);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	behavior_print_tree(b, false, f);
	fclose(f);
	assert_non_null(strstr(buf, "container c\n  image docker.io/x:1@sha256:1c39"));
	assert_non_null(strstr(buf, "  \u2514\u2500 sh  uid 1 gid 1\n"));
	assert_non_null(strstr(buf, "     \u2502 listen 80\n"));
	assert_non_null(strstr(buf, "     \u2514\u2500 id \u00d73  uid 1 gid 1\n"));
	assert_non_null(strstr(buf, "connect 10.0.0.9:53/udp\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collapse_catalog_paths_kept),
		cmocka_unit_test(test_collapse_proc),
		cmocka_unit_test(test_collapse_kubelet),
		cmocka_unit_test(test_collapse_temp),
		cmocka_unit_test(test_collapse_normalizes),
		cmocka_unit_test(test_sanitize_sensor_model),
		cmocka_unit_test(test_canonical_form),
		cmocka_unit_test(test_folding_nested),
		cmocka_unit_test(test_canonical_idempotent_and_stable),
		cmocka_unit_test(test_write_layout),
		cmocka_unit_test(test_parse_rad),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_is_union),
		cmocka_unit_test(test_merge_conflict),
		cmocka_unit_test(test_canonicalize_error_place),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_containers),
		cmocka_unit_test(test_diff_callback_error),
		cmocka_unit_test(test_print_tree),
	};

	return cmocka_run_group_tests_name("behavior", tests, NULL, NULL);
}
