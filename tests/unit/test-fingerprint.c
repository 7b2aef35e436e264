/* SPDX-License-Identifier: Apache-2.0 */
/* src/fingerprint/fingerprint.c end to end: an OCI image layout written to a temporary directory
 * (layers made with libarchive, index/manifest/config with jansson), opened with image_open(),
 * fingerprinted, written and read back. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "basic/sha256.h"
#include "test-helpers.h"
#include "test-tar.h"

#include "fingerprint/fingerprint.h"
#include "image/image.h"

static const struct member LAYER1[] = {
	{ .name = "bin/", .type = AE_IFDIR, .mode = 0755 },
	{ .name = "bin/busybox", .type = AE_IFREG, .mode = 0755, .data = "busybox binary" },
	{ .name = "etc/", .type = AE_IFDIR, .mode = 0755 },
	{ .name = "etc/passwd", .type = AE_IFREG, .mode = 0644, .data = "root:x:0:0\n" },
	{ .name = "etc/hosts", .type = AE_IFREG, .mode = 0644, .data = "127.0.0.1 localhost\n" },
	{ .name = "old/", .type = AE_IFDIR, .mode = 0755 },
	{ .name = "old/a", .type = AE_IFREG, .mode = 0644, .data = "a" },
};

/* a hardlink to a file of the layer below, a whiteout and an opaque directory */
static const struct member LAYER2[] = {
	{ .name = "bin/sh", .type = M_HARDLINK, .mode = 0755, .data = "bin/busybox" },
	{ .name = "etc/.wh.passwd", .type = AE_IFREG, .mode = 0644, .data = "" },
	{ .name = "etc/group", .type = AE_IFREG, .mode = 0644, .data = "root:x:0:\n" },
	{ .name = "old/.wh..wh..opq", .type = AE_IFREG, .mode = 0644, .data = "" },
	{ .name = "old/b", .type = AE_IFREG, .mode = 0644, .data = "b" },
};

/* the same without the cross-layer hardlink */
static const struct member LAYER2_NO_LINK[] = {
	{ .name = "etc/.wh.passwd", .type = AE_IFREG, .mode = 0644, .data = "" },
	{ .name = "etc/group", .type = AE_IFREG, .mode = 0644, .data = "root:x:0:\n" },
	{ .name = "old/.wh..wh..opq", .type = AE_IFREG, .mode = 0644, .data = "" },
	{ .name = "old/b", .type = AE_IFREG, .mode = 0644, .data = "b" },
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Store data as a blob of the layout; returns its descriptor (a new JSON object). */
static json_t *put_blob(const char *dir, const void *data, size_t len, const char *media_type)
{
	char hex[DIGEST_HEX_LEN + 1], ds[DIGEST_STRING_MAX];
	struct digest d;
	char *path;
	FILE *f;

	assert_int_equal(sha256_buffer(data, len, &d), 0);
	path = strdup_printf("%s/blobs/sha256/%s", dir, digest_format_hex(&d, hex));
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest",
			 digest_format(&d, ds), "size", (json_int_t)len);
}

static json_t *put_json_blob(const char *dir, json_t *doc, const char *media_type)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	json_t *desc;

	assert_non_null(s);
	desc = put_blob(dir, s, strlen(s), media_type);
	free(s);
	json_decref(doc);
	return desc;
}

static void write_file(const char *dir, const char *name, json_t *doc)
{
	char *path = strdup_printf("%s/%s", dir, name);

	assert_int_equal(json_dump_file(doc, path, JSON_COMPACT), 0);
	free(path);
	json_decref(doc);
}

struct layer_spec {
	const struct member *members;
	size_t n;
};

/* Write an OCI layout with the layers (gzip-compressed if gzip), tagged "latest". */
static char *make_layout(const struct layer_spec *layers, size_t n, bool gzip)
{
	char tmpl[] = "/tmp/imprint-test-layout.XXXXXX";
	char *dir = strdup(mkdtemp(tmpl)), *sub;
	json_t *descs = json_array(), *diff_ids = json_array(), *config, *manifest;
	char ds[DIGEST_STRING_MAX];

	sub = strdup_printf("%s/blobs", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	free(sub);
	sub = strdup_printf("%s/blobs/sha256", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	free(sub);
	for (size_t i = 0; i < n; i++) {
		int plain = write_tar(layers[i].members, layers[i].n, NULL);
		int fd = gzip ? write_tar(layers[i].members, layers[i].n, "gzip") : dup(plain);
		struct digest diff_id = fd_digest(plain);
		struct stat st;
		char *buf;

		assert_int_equal(fstat(fd, &st), 0);
		buf = malloc((size_t)st.st_size);
		assert_non_null(buf);
		assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
		json_array_append_new(descs, put_blob(dir, buf, (size_t)st.st_size,
						      gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
							   : "application/vnd.oci.image.layer.v1.tar"));
		json_array_append_new(diff_ids, json_string(digest_format(&diff_id, ds)));
		free(buf);
		close(fd);
		close(plain);
	}
	config = json_pack("{s:s, s:s, s:{s:s, s:o}}", "architecture", "amd64", "os", "linux",
			   "rootfs", "type", "layers", "diff_ids", diff_ids);
	manifest = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			     "application/vnd.oci.image.manifest.v1+json", "config",
			     put_json_blob(dir, config, "application/vnd.oci.image.config.v1+json"),
			     "layers", descs);
	manifest = put_json_blob(dir, manifest, "application/vnd.oci.image.manifest.v1+json");
	json_object_set_new(manifest, "annotations",
			    json_pack("{s:s}", "org.opencontainers.image.ref.name", "latest"));
	write_file(dir, "index.json",
		   json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests", manifest));
	write_file(dir, "oci-layout", json_pack("{s:s}", "imageLayoutVersion", "1.0.0"));
	return dir;
}

static struct fingerprint *fingerprint_layout(const char *dir, bool keep_layers)
{
	const struct image_options io = { .platform = "linux/amd64" };
	struct fingerprint_options fo = { .keep_layer_tables = keep_layers, .threads = 2 };
	struct error err = { { 0 } };
	struct fingerprint *fp = NULL;
	struct image *img = NULL;
	char *source = strdup_printf("oci:%s:latest", dir);
	int r;

	while (fingerprint_default_excludes[fo.n_excludes])
		fo.n_excludes++;
	fo.excludes = (char *const *)fingerprint_default_excludes;
	r = image_open(source, &io, &img, &err);
	if (r < 0)
		fail_msg("image_open(%s): %d: %s", source, r, err.message);
	r = fingerprint_image(img, &fo, &fp, &err);
	if (r < 0)
		fail_msg("fingerprint_image: %d: %s", r, err.message);
	image_free(img);
	free(source);
	return fp;
}

static void check_root(const struct fingerprint *fp, bool with_link)
{
	struct digest bb = digest_of("busybox binary"), d;

	if (with_link)
		assert_paths(&fp->root, PATHS("/bin", "/bin/busybox", "/bin/sh", "/etc",
					      "/etc/group", "/old", "/old/b"));
	else
		assert_paths(&fp->root, PATHS("/bin", "/bin/busybox", "/etc", "/etc/group",
					      "/old", "/old/b"));
	if (with_link) {
		assert_int_equal(must_find(&fp->root, "/bin/sh")->type, ENTRY_FILE);
		assert_true(digest_equal(&must_find(&fp->root, "/bin/sh")->sha256, &bb));
	}
	assert_int_equal(table_digest(&fp->root, &d), 0);
	assert_true(digest_equal(&d, &fp->root_digest));
	assert_int_equal(fp->n_layers, 2);
	assert_true(fp->has_manifest);
	assert_true(fp->has_config);
	assert_int_equal(fp->n_excludes, 7);
}

static char *write_string(const struct fingerprint *fp, size_t *ret_len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, ret_len);

	assert_non_null(f);
	assert_int_equal(fingerprint_write(fp, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check_reads_back(const struct fingerprint *fp)
{
	struct fingerprint *back = NULL;
	struct error err = { { 0 } };
	size_t len;
	char *text = write_string(fp, &len);
	int r = fingerprint_parse(text, len, &back, &err);

	if (r < 0)
		fail_msg("fingerprint_write() output refused by fingerprint_parse(): %s\n%s",
			 err.message, text);
	assert_true(digest_equal(&fp->root_digest, &back->root_digest));
	assert_int_equal(fp->root.n, back->root.n);
	assert_int_equal(fp->has_layer_tables, back->has_layer_tables);
	free(text);
	fingerprint_free(back);
}

static void test_fingerprint_layout(void **state)
{
	const struct layer_spec layers[] = { { LAYER1, ARRAY_SIZE(LAYER1) },
					     { LAYER2, ARRAY_SIZE(LAYER2) } };
	char *dir = make_layout(layers, ARRAY_SIZE(layers), false);
	struct fingerprint *fp = fingerprint_layout(dir, false);

	check_root(fp, true);
	check_reads_back(fp);
	fingerprint_free(fp);
	rm_rf(dir);
	free(dir);
}

static void test_fingerprint_gzip_layout_same_digest(void **state)
{
	const struct layer_spec layers[] = { { LAYER1, ARRAY_SIZE(LAYER1) },
					     { LAYER2, ARRAY_SIZE(LAYER2) } };
	char *plain = make_layout(layers, ARRAY_SIZE(layers), false);
	char *gz = make_layout(layers, ARRAY_SIZE(layers), true);
	struct fingerprint *a = fingerprint_layout(plain, false), *b = fingerprint_layout(gz, false);

	check_root(b, true);
	assert_true(digest_equal(&a->root_digest, &b->root_digest));
	/* same diffIDs, different blob digests */
	for (size_t i = 0; i < 2; i++) {
		assert_true(digest_equal(&a->layers[i].diff_id, &b->layers[i].diff_id));
		assert_false(digest_equal(&a->layers[i].digest, &b->layers[i].digest));
		assert_true(digest_equal(&a->layers[i].table_digest, &b->layers[i].table_digest));
	}
	fingerprint_free(a);
	fingerprint_free(b);
	rm_rf(plain);
	rm_rf(gz);
	free(plain);
	free(gz);
}

static void test_fingerprint_with_layers_reads_back(void **state)
{
	const struct layer_spec layers[] = { { LAYER1, ARRAY_SIZE(LAYER1) },
					     { LAYER2_NO_LINK, ARRAY_SIZE(LAYER2_NO_LINK) } };
	char *dir = make_layout(layers, ARRAY_SIZE(layers), false);
	struct fingerprint *fp = fingerprint_layout(dir, true);

	check_root(fp, false);
	assert_true(fp->has_layer_tables);
	/* the layer tables keep whiteouts and opaque dirs */
	assert_int_equal(must_find(&fp->layers[1].table, "/etc/passwd")->type, ENTRY_WHITEOUT);
	assert_true(must_find(&fp->layers[1].table, "/old")->opaque);
	/* excluded in layer tables too */
	assert_null(table_find(&fp->layers[0].table, "/etc/hosts"));
	check_reads_back(fp);
	fingerprint_free(fp);
	rm_rf(dir);
	free(dir);
}

static void test_fingerprint_blob_tampered(void **state)
{
	const struct layer_spec layers[] = { { LAYER1, ARRAY_SIZE(LAYER1) } };
	const struct image_options io = { .platform = "linux/amd64" };
	const struct fingerprint_options fo = { 0 };
	char *dir = make_layout(layers, 1, false), *cfg_path = NULL, *source;
	struct error err = { { 0 } };
	struct fingerprint *fp = NULL;
	struct image *img = NULL;

	/* A layer blob that no longer matches its descriptor (one byte appended). */
	source = strdup_printf("oci:%s:latest", dir);
	assert_int_equal(image_open(source, &io, &img, &err), 0);
	cfg_path = strdup_printf("%s/%s", dir, img->layers[0].location);
	{
		FILE *f = fopen(cfg_path, "ae");

		assert_non_null(f);
		fputs("x", f);
		fclose(f);
	}
	assert_int_equal(fingerprint_image(img, &fo, &fp, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "mismatch"));
	assert_null(fp);
	image_free(img);
	free(cfg_path);
	free(source);
	rm_rf(dir);
	free(dir);
}

/* Known bugs in src/ (run with --bugs) */

/* fingerprint_image() digests and copies each layer table (keep_layer_tables, the CLI's
 * --with-layers) before table_apply_layer() resolves hardlinks into lower layers: the kept layer
 * table has a "type":"hardlink" entry, which fingerprint_write() writes and fingerprint_parse()
 * refuses ("'/bin/sh': invalid type"). `imprint fingerprint --with-layers -o fp.json` of such an
 * image succeeds, and `imprint diff fp.json ...` then fails. */
static void test_bug_with_layers_cross_layer_hardlink(void **state)
{
	const struct layer_spec layers[] = { { LAYER1, ARRAY_SIZE(LAYER1) },
					     { LAYER2, ARRAY_SIZE(LAYER2) } };
	char *dir = make_layout(layers, ARRAY_SIZE(layers), false);
	struct fingerprint *fp = fingerprint_layout(dir, true);

	check_root(fp, true);
	check_reads_back(fp);
	fingerprint_free(fp);
	rm_rf(dir);
	free(dir);
}

/* The same bug as test-layer-tar's test_bug_gzip_blob_digest_mismatch_accepted, end to end: a
 * gzip layer blob whose header's OS byte is changed no longer has the digest its manifest
 * descriptor names (same size, same uncompressed tar, so the diffID still matches), and
 * fingerprint_image() succeeds, recording the manifest's digest as the layer's. */
static void test_bug_tampered_gzip_blob_accepted(void **state)
{
	const struct layer_spec layers[] = { { LAYER1, ARRAY_SIZE(LAYER1) } };
	const struct image_options io = { .platform = "linux/amd64" };
	const struct fingerprint_options fo = { 0 };
	char *dir = make_layout(layers, 1, true), *path, *source;
	struct error err = { { 0 } };
	struct fingerprint *fp = NULL;
	struct image *img = NULL;
	int fd, r;

	source = strdup_printf("oci:%s:latest", dir);
	assert_int_equal(image_open(source, &io, &img, &err), 0);
	path = strdup_printf("%s/%s", dir, img->layers[0].location);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x07", 1, 9), 1); /* gzip header: OS */
	close(fd);
	r = fingerprint_image(img, &fo, &fp, &err);
	if (r >= 0)
		fail_msg("a layer blob that does not match its digest was fingerprinted (err: '%s')",
			 err.message);
	assert_int_equal(r, -EBADMSG);
	fingerprint_free(fp);
	image_free(img);
	free(path);
	free(source);
	rm_rf(dir);
	free(dir);
}

/* test-layer-tar's test_bug_pax_xattr_recorded_twice end to end: a layer written by libarchive's
 * pax writer with security.capability gives an entry with the attribute twice; the fingerprint
 * file written for it fails its own root digest check when read back. */
static void test_bug_libarchive_pax_xattr_file_unreadable(void **state)
{
	static const uint8_t cap[] = { 1, 0, 0, 2, 0x20, 0, 0, 0 };
	const struct member with_cap[] = {
		{ .name = "bin/", .type = AE_IFDIR, .mode = 0755 },
		{ .name = "bin/ping", .type = AE_IFREG, .mode = 0755, .data = "ping",
		  .xattr_name = "security.capability", .xattr_value = cap, .xattr_len = sizeof(cap) },
	};
	const struct layer_spec layers[] = { { with_cap, ARRAY_SIZE(with_cap) } };
	char *dir = make_layout(layers, 1, false);
	struct fingerprint *fp = fingerprint_layout(dir, false);

	check_reads_back(fp);
	assert_int_equal(must_find(&fp->root, "/bin/ping")->n_xattrs, 1);
	fingerprint_free(fp);
	rm_rf(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_layout),
		cmocka_unit_test(test_fingerprint_gzip_layout_same_digest),
		cmocka_unit_test(test_fingerprint_with_layers_reads_back),
		cmocka_unit_test(test_fingerprint_blob_tampered),
	};
	const struct CMUnitTest bugs[] = {
		cmocka_unit_test(test_bug_with_layers_cross_layer_hardlink),
		cmocka_unit_test(test_bug_tampered_gzip_blob_accepted),
		cmocka_unit_test(test_bug_libarchive_pax_xattr_file_unreadable),
	};

	return RUN_GROUPS("fingerprint", tests, bugs, argc, argv);
}
