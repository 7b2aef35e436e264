/* SPDX-License-Identifier: Apache-2.0 */
/* src/fingerprint/fpfile.c: the fingerprint file (docs/formats.md) is written canonically and
 * read back with every field checked and every digest recomputed. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "test-helpers.h"

#include "fingerprint/fingerprint.h"

static const uint8_t CAP[] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00 };

static void build_root(struct table *t)
{
	struct entry *e;

	add_dir(t, "/bin");
	e = add_file(t, "/bin/busybox", "busybox");
	e->mode = 04755;
	assert_int_equal(entry_add_xattr(e, "security.capability", CAP, sizeof(CAP)), 0);
	add_symlink(t, "/bin/sh", "busybox");
	add_symlink(t, "/bin/odd", "../a b/%/caf\xc3\xa9\"\\");
	e = add_entry(t, "/dev/null", ENTRY_CHAR, 0666);
	e->major = 1;
	e->minor = 3;
	e = add_entry(t, "/dev/sda", ENTRY_BLOCK, 0660);
	e->major = 8;
	e->gid = 6;
	add_entry(t, "/run/fifo", ENTRY_FIFO, 0600);
	add_entry(t, "/run/sock", ENTRY_SOCKET, 0755);
	e = add_file(t, "/home/user/file with space%", "");
	e->uid = 1000;
	e->gid = 4294967295u;
	add_dir(t, "/caf\xc3\xa9");
	add_dir(t, "/a");
	add_dir(t, "/a/b");
	add_dir(t, "/a-b");
	add_dir(t, "/dev");
	add_dir(t, "/run");
	add_dir(t, "/home");
	add_dir(t, "/home/user");
	e = add_dir(t, "/acl");
	assert_int_equal(entry_add_xattr(e, "system.posix_acl_default", CAP, 4), 0);
	assert_int_equal(entry_add_xattr(e, "system.posix_acl_access", CAP, 2), 0);
	table_sort(t);
}

static void build_layer(struct table *t)
{
	struct entry *e;

	add_whiteout(t, "/etc/shadow");
	e = add_dir(t, "/opt");
	e->opaque = true;
	add_file(t, "/opt/new", "new");
	add_dir(t, "/etc");
	table_sort(t);
}

static struct fingerprint *make_fingerprint(bool with_layers)
{
	struct fingerprint *fp = calloc(1, sizeof(*fp));
	const char *const ex[] = { "/dev", "/proc", "/with space" };

	assert_non_null(fp);
	fp->has_manifest = true;
	fp->manifest_digest = digest_of("manifest");
	fp->has_config = true;
	fp->config_digest = digest_of("config");
	fp->excludes = calloc(ARRAY_SIZE(ex) + 1, sizeof(char *));
	assert_non_null(fp->excludes);
	for (size_t i = 0; i < ARRAY_SIZE(ex); i++)
		fp->excludes[fp->n_excludes++] = strdup(ex[i]);
	fp->layers = calloc(2, sizeof(*fp->layers));
	assert_non_null(fp->layers);
	fp->n_layers = 2;
	fp->layers[0].has_digest = true;
	fp->layers[0].digest = digest_of("layer0");
	fp->layers[0].has_diff_id = true;
	fp->layers[0].diff_id = digest_of("diff0");
	fp->layers[1].has_digest = false; /* null digests are allowed (dir:, storage) */
	fp->layers[1].has_diff_id = true;
	fp->layers[1].diff_id = digest_of("diff1");
	for (size_t i = 0; i < fp->n_layers; i++) {
		struct table *t = &fp->layers[i].table;

		if (i == 0)
			build_root(t);
		else
			build_layer(t);
		assert_int_equal(table_digest(t, &fp->layers[i].table_digest), 0);
		fp->layers[i].n_entries = t->n;
		if (!with_layers)
			table_release(t);
	}
	fp->has_layer_tables = with_layers;
	build_root(&fp->root);
	assert_int_equal(table_digest(&fp->root, &fp->root_digest), 0);
	return fp;
}

static char *write_string(const struct fingerprint *fp, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fingerprint_write(fp, f), 0);
	assert_int_equal(fclose(f), 0);
	if (ret_len)
		*ret_len = len;
	return buf;
}

static void assert_tables_equal(const struct table *a, const struct table *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_string_equal(a->entries[i].path, b->entries[i].path);
		if (entry_diff(&a->entries[i], &b->entries[i]))
			fail_msg("'%s' differs: 0x%x", a->entries[i].path,
				 entry_diff(&a->entries[i], &b->entries[i]));
		assert_int_equal(a->entries[i].opaque, b->entries[i].opaque);
	}
}

static void assert_fingerprints_equal(const struct fingerprint *a, const struct fingerprint *b)
{
	assert_int_equal(a->has_manifest, b->has_manifest);
	assert_true(digest_equal(&a->manifest_digest, &b->manifest_digest));
	assert_int_equal(a->has_config, b->has_config);
	assert_true(digest_equal(&a->config_digest, &b->config_digest));
	assert_int_equal(a->n_excludes, b->n_excludes);
	for (size_t i = 0; i < a->n_excludes; i++)
		assert_string_equal(a->excludes[i], b->excludes[i]);
	assert_int_equal(a->n_layers, b->n_layers);
	for (size_t i = 0; i < a->n_layers; i++) {
		const struct fingerprint_layer *x = &a->layers[i], *y = &b->layers[i];

		assert_int_equal(x->has_digest, y->has_digest);
		if (x->has_digest)
			assert_true(digest_equal(&x->digest, &y->digest));
		assert_int_equal(x->has_diff_id, y->has_diff_id);
		assert_true(digest_equal(&x->diff_id, &y->diff_id));
		assert_true(digest_equal(&x->table_digest, &y->table_digest));
		assert_int_equal(x->n_entries, y->n_entries);
		assert_tables_equal(&x->table, &y->table);
	}
	assert_int_equal(a->has_layer_tables, b->has_layer_tables);
	assert_true(digest_equal(&a->root_digest, &b->root_digest));
	assert_tables_equal(&a->root, &b->root);
}

static void roundtrip(bool with_layers)
{
	struct fingerprint *fp = make_fingerprint(with_layers), *back = NULL;
	struct error err = { { 0 } };
	size_t len, len2;
	char *text = write_string(fp, &len), *text2;
	int r;

	r = fingerprint_parse(text, len, &back, &err);
	if (r < 0)
		fail_msg("fingerprint_parse: %d: %s\n%s", r, err.message, text);
	assert_fingerprints_equal(fp, back);
	/* the same fingerprint always gives the same bytes */
	text2 = write_string(back, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	assert_int_equal(text[len - 1], '\n');
	free(text2);
	free(text);
	fingerprint_free(back);
	fingerprint_free(fp);
}

static void test_roundtrip(void **state)
{
	roundtrip(false);
}

static void test_roundtrip_with_layers(void **state)
{
	roundtrip(true);
}

static void test_file_layout(void **state)
{
	struct fingerprint *fp = make_fingerprint(false);
	char *text = write_string(fp, NULL);
	const char *keys[] = { ("{\n  \"apiVersion\": \"imprint.dev/v1alpha1\",\n"
				"  \"kind\": \"ImageFingerprint\",\n  \"image\": "),
			       "\n  \"excludes\": [\"/dev\",\"/proc\",\"/with space\"],\n",
			       "  \"rootDigest\": \"sha256:", "  \"entries\": [\n    {\"path\":\"/a\",",
			       "\n  ]\n}\n" };
	const char *p = text;

	/* keys in the documented order */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *q = strstr(p, keys[i]);

		if (!q)
			fail_msg("'%s' not found in order in:\n%s", keys[i], text);
		p = q + strlen(keys[i]);
	}
	/* entry fields as documented */
	assert_non_null(strstr(text, "{\"path\":\"/bin/busybox\",\"type\":\"file\",\"mode\":\"4755\","
				     "\"uid\":0,\"gid\":0,\"size\":7,\"sha256\":\""));
	assert_non_null(strstr(text, "\"xattrs\":{\"security.capability\":\"0100000200200000\"}"));
	assert_non_null(strstr(text, "{\"path\":\"/dev/null\",\"type\":\"char\",\"mode\":\"0666\","
				     "\"uid\":0,\"gid\":0,\"major\":1,\"minor\":3}"));
	assert_non_null(strstr(text, "{\"path\":\"/bin/sh\",\"type\":\"symlink\",\"mode\":\"0777\","
				     "\"uid\":0,\"gid\":0,\"target\":\"busybox\"}"));
	assert_null(strstr(text, "\"layers\": ["));
	free(text);
	fingerprint_free(fp);
}

static void test_read_file(void **state)
{
	struct fingerprint *fp = make_fingerprint(true), *back = NULL;
	char path[] = "/tmp/imprint-test-fpfile.XXXXXX";
	struct error err = { { 0 } };
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fingerprint_write(fp, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(fingerprint_read(path, &back, &err), 0);
	assert_fingerprints_equal(fp, back);
	fingerprint_free(back);
	unlink(path);

	back = NULL;
	assert_int_equal(fingerprint_read(path, &back, &err), -ENOENT);
	assert_non_null(strstr(err.message, path));
	assert_null(back);
	fingerprint_free(fp);
}

/* Parse text and expect -EBADMSG with a message containing want. */
static void check_refused_text(const char *text, const char *want)
{
	struct fingerprint *back = NULL;
	struct error err = { { 0 } };
	int r = fingerprint_parse(text, strlen(text), &back, &err);

	if (r != -EBADMSG)
		fail_msg("parse = %d (%s), want -EBADMSG", r, err.message);
	assert_null(back);
	if (want && !strstr(err.message, want))
		fail_msg("message '%s' does not mention '%s'", err.message, want);
}

/* Replace the first occurrence of from by to in a copy of text. */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	if (!p) {
		fail_msg("'%s' not in the file", from);
		return NULL; /* not reached: cmocka's fail is not marked noreturn */
	}
	out = strdup_printf("%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
	assert_non_null(out);
	return out;
}

static void check_edit_refused(const char *text, const char *from, const char *to,
			       const char *want)
{
	char *t = edit(text, from, to);

	check_refused_text(t, want);
	free(t);
}

static void test_edited_refused(void **state)
{
	struct fingerprint *fp = make_fingerprint(true);
	char *text = write_string(fp, NULL), hex[DIGEST_HEX_LEN + 1];
	char rootd[DIGEST_STRING_MAX + 20];

	/* any content field of any entry */
	check_edit_refused(text, "\"mode\":\"4755\"", "\"mode\":\"0755\"", "digest mismatch");
	check_edit_refused(text, "\"uid\":1000", "\"uid\":1001", "digest mismatch");
	check_edit_refused(text, "\"target\":\"busybox\"", "\"target\":\"busybox2\"",
			   "digest mismatch");
	check_edit_refused(text, "\"size\":7", "\"size\":8", "digest mismatch");
	check_edit_refused(text, "\"major\":1", "\"major\":2", "digest mismatch");
	check_edit_refused(text, "0100000200200000", "0100000200200001", "digest mismatch");
	check_edit_refused(text, digest_format_hex(&must_find(&fp->root, "/bin/busybox")->sha256, hex),
			   "0000000000000000000000000000000000000000000000000000000000000000",
			   "digest mismatch");
	/* an entry removed: /a (first entry) */
	check_edit_refused(text, "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
				 "\"gid\":0},", "", "digest mismatch");
	/* the root digest itself */
	snprintf(rootd, sizeof(rootd), "\"rootDigest\": \"%s\"",
		 digest_format(&fp->root_digest, (char[DIGEST_STRING_MAX]){ 0 }));
	check_edit_refused(text, rootd,
			   "\"rootDigest\": \"sha256:"
			   "0000000000000000000000000000000000000000000000000000000000000000\"",
			   "root table: digest mismatch");
	check_edit_refused(text, rootd, "\"rootDigest\": null", "rootDigest");
	check_edit_refused(text, rootd, "\"rootDigest\": \"sha256:abc\"", "rootDigest");
	/* a layer table's entry or digest */
	check_edit_refused(text, "\"path\":\"/opt/new\",\"type\":\"file\",\"mode\":\"0644\"",
			   "\"path\":\"/opt/new\",\"type\":\"file\",\"mode\":\"0600\"",
			   "layer 1 table: digest mismatch");
	free(text);
	fingerprint_free(fp);
}

/* Write a fingerprint whose root table is t as given (unsorted, whiteouts...) with the digest of
 * exactly those entries, so that only the check under test can refuse it. */
static char *write_with_root(struct table *t)
{
	struct fingerprint *fp = calloc(1, sizeof(*fp));
	char *text;

	assert_non_null(fp);
	fp->excludes = calloc(1, sizeof(char *));
	fp->root = *t;
	*t = (struct table){ 0 };
	assert_int_equal(table_digest(&fp->root, &fp->root_digest), 0);
	text = write_string(fp, NULL);
	fingerprint_free(fp);
	return text;
}

static void test_unsorted_refused(void **state)
{
	struct table t = { 0 };
	char *text;

	add_dir(&t, "/b");
	add_dir(&t, "/a");
	text = write_with_root(&t);
	check_refused_text(text, "not sorted");
	free(text);

	/* bytewise order is not our order: "/a-b" must come after "/a/b" */
	add_dir(&t, "/a");
	add_dir(&t, "/a-b");
	add_dir(&t, "/a/b");
	text = write_with_root(&t);
	check_refused_text(text, "not sorted");
	free(text);

	/* a repeated path */
	add_dir(&t, "/a");
	add_file(&t, "/a", "x");
	text = write_with_root(&t);
	check_refused_text(text, "repeat");
	free(text);
}

static void test_whiteout_in_root_refused(void **state)
{
	struct table t = { 0 };
	char *text;

	add_dir(&t, "/a");
	add_whiteout(&t, "/a/gone");
	text = write_with_root(&t);
	check_refused_text(text, "invalid type");
	free(text);

	add_entry(&t, "/h", ENTRY_HARDLINK, 0644);
	text = write_with_root(&t);
	check_refused_text(text, "invalid type");
	free(text);

	/* opaque is for layer tables only */
	add_dir(&t, "/o")->opaque = true;
	text = write_with_root(&t);
	check_refused_text(text, "opaque");
	free(text);
}

static void test_unknown_field_refused(void **state)
{
	struct fingerprint *fp = make_fingerprint(true);
	char *text = write_string(fp, NULL);

	check_edit_refused(text, "{\"path\":\"/bin\",", "{\"path\":\"/bin\",\"color\":\"red\",",
			   "unknown field 'color'");
	check_edit_refused(text, "{\"path\":\"/opt/new\",",
			   "{\"path\":\"/opt/new\",\"implied\":true,", "unknown field 'implied'");
	free(text);
	fingerprint_free(fp);
}

static void test_malformed_entries_refused(void **state)
{
	struct fingerprint *fp = make_fingerprint(false);
	char *text = write_string(fp, NULL);
	const char *first = "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}";
	static const struct {
		const char *entry, *want;
	} cases[] = {
		{ "{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"path\":\"/\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"path\":\"/a/\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"path\":\"//a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"path\":\"/x/../a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"path\":\"/./a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"path\":1,\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "{\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "path" },
		{ "[]", "path" },
		{ "{\"path\":\"/a\",\"type\":\"directory\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "type" },
		{ "{\"path\":\"/a\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "type" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"755\",\"uid\":0,\"gid\":0}", "mode" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0758\",\"uid\":0,\"gid\":0}", "mode" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":493,\"uid\":0,\"gid\":0}", "mode" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":-1,\"gid\":0}", "uid" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":4294967296,\"gid\":0}",
		  "uid" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0}", "gid" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":\"0\",\"gid\":0}", "uid" },
		{ "{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0755\",\"uid\":0,\"gid\":0}", "sha256" },
		{ "{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,\"size\":-1,"
		  "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}",
		  "size" },
		{ "{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,\"size\":0,"
		  "\"sha256\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}",
		  "sha256" },
		{ "{\"path\":\"/a\",\"type\":\"symlink\",\"mode\":\"0777\",\"uid\":0,\"gid\":0}",
		  "target" },
		{ "{\"path\":\"/a\",\"type\":\"char\",\"mode\":\"0666\",\"uid\":0,\"gid\":0,\"major\":1}",
		  "device" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
		  "\"xattrs\":{\"user.foo\":\"00\"}}", "xattrs" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
		  "\"xattrs\":{\"security.capability\":\"0\"}}", "xattrs" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
		  "\"xattrs\":[]}", "xattrs" },
		{ "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
		  "\"opaque\":false}", "opaque" },
		{ "{\"path\":\"/a\",\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
		  "\"gid\":0}", "JSON" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_edit_refused(text, first, cases[i].entry, cases[i].want);
	free(text);
	fingerprint_free(fp);
}

static void test_malformed_documents_refused(void **state)
{
	struct fingerprint *fp = make_fingerprint(true);
	char *text = write_string(fp, NULL);

	check_refused_text("", "JSON");
	check_refused_text("[]", "not an imprint fingerprint");
	check_refused_text("{", "JSON");
	check_edit_refused(text, "imprint.dev/v1alpha1", "imprint.dev/v2", "not an imprint");
	check_edit_refused(text, "\"ImageFingerprint\"", "\"Fingerprint\"", "not an imprint");
	check_edit_refused(text, "\"excludes\": [", "\"excludes\": [1,", "excludes");
	check_edit_refused(text, "\"excludes\": [", "\"x\": [", "excludes");
	check_edit_refused(text, "\"manifestDigest\":\"sha256:", "\"manifestDigest\":\"sha512:",
			   "manifestDigest");
	check_edit_refused(text, "\"entries\":4}", "\"entries\":-1}", "entries");
	check_edit_refused(text, "\"entries\":4}", "\"entries\":\"2\"}", "entries");
	check_edit_refused(text, "\"tableDigest\":\"", "\"tableDigest\":null,\"x\":\"",
			   "tableDigest");
	/* per-layer tables must match image.layers one to one */
	check_edit_refused(text, ",\n  \"layers\": [", ",\n  \"layers\": [{},", "layers");
	/* trailing garbage */
	{
		char *t = strdup_printf("%s{}", text);

		check_refused_text(t, "JSON");
		free(t);
	}
	free(text);
	fingerprint_free(fp);
}

/* Known bugs in src/ (run with --bugs) */

static char *file_with_entry(const char *entry_json, const struct table *meaning)
{
	/* A root table of one entry, spelled entry_json, with the digest of what the parser will
	 * make of it (meaning), so that nothing but the spelling can be refused. */
	char ds[DIGEST_STRING_MAX];
	struct digest d;

	assert_int_equal(table_digest(meaning, &d), 0);
	return strdup_printf("{\n  \"apiVersion\": \"imprint.dev/v1alpha1\",\n"
			     "  \"kind\": \"ImageFingerprint\",\n"
			     "  \"image\": {\"manifestDigest\":null,\"configDigest\":null,"
			     "\"layers\":[]},\n  \"excludes\": [],\n  \"rootDigest\": \"%s\",\n"
			     "  \"entries\": [\n    %s\n  ]\n}\n",
			     digest_format(&d, ds), entry_json);
}

static void check_accepted_text(const char *text)
{
	struct fingerprint *back = NULL;
	struct error err = { { 0 } };

	if (fingerprint_parse(text, strlen(text), &back, &err) < 0)
		fail_msg("control file refused: %s", err.message);
	fingerprint_free(back);
}

/* docs/formats.md: mode is "4 octal digits". entry_from_json() checks strlen == 4 and then
 * strtoul(mode, 8), which also takes leading blanks and a sign: " 755", "+755" and "-001" are
 * accepted; "-001" becomes mode 0xffffffff, which fingerprint_write() then writes as
 * "37777777777", a file it refuses to read back. */
static void test_bug_mode_not_four_octal_digits(void **state)
{
	static const struct {
		const char *mode;
		uint32_t meaning;
	} cases[] = { { " 755", 0755 }, { "+755", 0755 }, { "-001", 0xffffffffu }, { "\\t644", 0644 } };
	struct table t = { 0 };
	char *text, entry[128];

	add_dir(&t, "/a");
	text = file_with_entry("{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			       "\"gid\":0}", &t);
	check_accepted_text(text); /* the helper works */
	free(text);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		t.entries[0].mode = cases[i].meaning;
		snprintf(entry, sizeof(entry),
			 "{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"%s\",\"uid\":0,\"gid\":0}",
			 cases[i].mode);
		text = file_with_entry(entry, &t);
		check_refused_text(text, "mode");
		free(text);
	}
	table_release(&t);
}

/* Fields that do not belong to the entry's type are not covered by the digest but are accepted
 * and dropped: a "file" entry can carry "target":"/etc/shadow" (or a dir a "size" and "sha256")
 * and the file still verifies, so the bytes a reviewer sees are not what the digest covers. */
static void test_bug_fields_of_other_types_accepted(void **state)
{
	struct table t = { 0 };
	char *text;

	add_file(&t, "/a", "");
	text = file_with_entry("{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,"
			       "\"gid\":0,\"size\":0,\"sha256\":"
			       "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
			       "\"target\":\"/etc/shadow\",\"major\":1,\"minor\":2}", &t);
	check_refused_text(text, NULL);
	free(text);
	table_release(&t);

	add_dir(&t, "/d");
	text = file_with_entry("{\"path\":\"/d\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			       "\"gid\":0,\"size\":5,\"sha256\":\"not even hex\"}", &t);
	check_refused_text(text, NULL);
	free(text);
	table_release(&t);
}

/* docs/formats.md: xattr values are lowercase hex (like sha256, which is refused in uppercase).
 * parse_xattrs() uses hex_decode(), which takes uppercase: a second spelling of the same file. */
static void test_bug_xattr_uppercase_hex_accepted(void **state)
{
	struct table t = { 0 };
	char *text;

	assert_int_equal(entry_add_xattr(add_dir(&t, "/a"), "security.capability", "\xab", 1), 0);
	text = file_with_entry("{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			       "\"gid\":0,\"xattrs\":{\"security.capability\":\"ab\"}}", &t);
	check_accepted_text(text);
	free(text);
	text = file_with_entry("{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
			       "\"gid\":0,\"xattrs\":{\"security.capability\":\"AB\"}}", &t);
	check_refused_text(text, "xattrs");
	free(text);
	table_release(&t);
}

/* Tar member names are bytes, not UTF-8 (a Latin-1 "caf\xe9" is a valid name and
 * layer_read_tar() records it as is). entry_to_json() calls json_string(), which returns NULL for
 * invalid UTF-8, so json_object_set_new() silently drops "path" (or "target"):
 * fingerprint_write() returns 0 and writes a file that fingerprint_parse() refuses ("missing or
 * malformed path"). Either writing must fail or the file must read back. */
static void test_bug_non_utf8_path_written_unreadable(void **state)
{
	static const char *const names[] = { "/caf\xe9", "/bad\xff\xfe" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct fingerprint *fp = calloc(1, sizeof(*fp)), *back = NULL;
		struct error err = { { 0 } };
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		int r;

		assert_non_null(fp);
		fp->excludes = calloc(1, sizeof(char *));
		add_dir(&fp->root, names[i]);
		add_symlink(&fp->root, "/link", names[i]);
		table_sort(&fp->root);
		assert_int_equal(table_digest(&fp->root, &fp->root_digest), 0);
		r = fingerprint_write(fp, f);
		fclose(f);
		if (r >= 0) {
			r = fingerprint_parse(buf, len, &back, &err);
			if (r < 0)
				fail_msg("fingerprint_write() succeeded but its output is refused: "
					 "%s\n%s", err.message, buf);
			assert_tables_equal(&fp->root, &back->root);
		}
		free(buf);
		fingerprint_free(back);
		fingerprint_free(fp);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_with_layers),
		cmocka_unit_test(test_file_layout),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_edited_refused),
		cmocka_unit_test(test_unsorted_refused),
		cmocka_unit_test(test_whiteout_in_root_refused),
		cmocka_unit_test(test_unknown_field_refused),
		cmocka_unit_test(test_malformed_entries_refused),
		cmocka_unit_test(test_malformed_documents_refused),
	};
	const struct CMUnitTest bugs[] = {
		cmocka_unit_test(test_bug_mode_not_four_octal_digits),
		cmocka_unit_test(test_bug_fields_of_other_types_accepted),
		cmocka_unit_test(test_bug_xattr_uppercase_hex_accepted),
		cmocka_unit_test(test_bug_non_utf8_path_written_unreadable),
	};

	return RUN_GROUPS("fpfile", tests, bugs, argc, argv);
}
