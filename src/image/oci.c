/* SPDX-License-Identifier: Apache-2.0 */
/* oci:DIR[:REF] and oci-archive:FILE[:REF]: an OCI image layout, as a directory or as a tar
 * read in place. index.json is the only unverified document: everything it leads to is checked
 * against the digest of the descriptor that names it.
 *
 * containerd:DIGEST: containerd's content store (<root>/io.containerd.content.v1.content) is
 * such a layout's blobs/ without oci-layout and index.json. Which name means which digest is
 * kept in containerd's bbolt metadata, which we do not read: the user names the manifest or
 * index by its digest (the DIGEST column of `ctr images ls`), and everything else follows
 * from it, checked by digest. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "image.h"

#define INDEX_DEPTH_MAX 4

#define CONTENT_STORE "io.containerd.content.v1.content"

static int layout_read(struct image *img, const char *path, char **ret, size_t *ret_len,
		       struct error *err)
{
	int r;

	if (img->transport == TRANSPORT_OCI_ARCHIVE)
		return archive_read_member(img->location, path, BLOB_JSON_MAX, ret, ret_len, err);
	r = read_file_at(img->dirfd, path, BLOB_JSON_MAX, ret, ret_len);
	if (r == -ENOENT)
		return error_set(err, r, "%s: no %s (not an OCI image layout)", img->location, path);
	if (r == -EFBIG)
		return error_set(err, r, "%s: %s is larger than the %u-byte limit", img->location,
				 path, BLOB_JSON_MAX);
	if (r < 0)
		return error_set(err, r, "%s: cannot read %s: %s", img->location, path,
				 strerror(-r));
	return 0;
}

static char *blob_path(const struct digest *d)
{
	char hex[DIGEST_HEX_LEN + 1];

	return strdup_printf("blobs/sha256/%s", digest_format_hex(d, hex));
}

static int layout_open_blob(struct image *img, const struct digest *d, int64_t size,
			    const char *what, struct blob **ret, struct error *err)
{
	_cleanup_free_ char *path = blob_path(d);

	if (!path)
		return -ENOMEM;
	if (img->transport == TRANSPORT_OCI_ARCHIVE)
		return blob_open_member(img->location, path, d, size, what, ret, err);
	return blob_open_file(img->dirfd, path, d, size, what, ret, err);
}

/* containerd: the descriptor the user's digest stands for (its size from the stored blob). */
static json_t *content_store_desc(struct image *img, const struct image_options *opts,
				  struct error *err)
{
	const char *root = opts->storage_root ? opts->storage_root : DEFAULT_CONTAINERD_ROOT;
	_cleanup_free_ char *store = strdup_printf("%s/" CONTENT_STORE, root), *path = NULL;
	_cleanup_close_ int fd = -1;
	struct digest d;
	struct stat st;
	int r = digest_parse(img->location, &d);

	if (r < 0) {
		error_set(err, -EINVAL, "containerd:%s: want a manifest or index digest "
			  "(sha256:..., the DIGEST column of `ctr images ls`)", img->location);
		return NULL;
	}
	img->dirfd = store ? open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (img->dirfd < 0) {
		error_set(err, -errno, "containerd content store %s: %m", store ? store : root);
		return NULL;
	}
	path = blob_path(&d);
	fd = path ? openat_beneath(img->dirfd, path, O_RDONLY) : -ENOMEM;
	if (fd < 0 || fstat(fd, &st) < 0) {
		error_set(err, fd < 0 ? fd : -errno, "containerd: no blob %s in %s", img->location,
			  store);
		return NULL;
	}
	return json_pack("{s:s,s:I}", "digest", img->location, "size", (json_int_t)st.st_size);
}

/* The descriptor to start from: index.json's entry for the ref or platform, or the digest the
 * user named (containerd:). *ret_doc owns it. */
static int root_desc(struct image *img, const struct image_options *opts,
		     const struct platform *want, json_t **ret_doc, json_t **ret_desc,
		     struct error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_t *doc;
	size_t len;
	int r;

	if (img->transport == TRANSPORT_CONTAINERD) {
		*ret_doc = *ret_desc = content_store_desc(img, opts, err);
		return *ret_doc ? 0 : -EBADMSG;
	}
	r = layout_read(img, "oci-layout", &buf, &len, err);
	if (r < 0)
		return r;
	doc = json_parse_blob(buf, len, "oci-layout", err);
	if (!doc)
		return -EBADMSG;
	r = json_string_value(json_object_get(doc, "imageLayoutVersion"))
		    ? 0
		    : error_set(err, -EBADMSG, "oci-layout has no imageLayoutVersion");
	json_decref(doc);
	free(TAKE_PTR(buf));
	if (r >= 0)
		r = layout_read(img, "index.json", &buf, &len, err);
	if (r < 0)
		return r;
	*ret_doc = json_parse_blob(buf, len, "index.json", err);
	if (!*ret_doc)
		return -EBADMSG;
	return index_select(*ret_doc, img->ref, want, ret_desc, err);
}

/* Read and parse a JSON blob named by a descriptor; the digest is checked. */
static json_t *layout_read_json(struct image *img, const struct digest *d, int64_t size,
				const char *kind, struct error *err)
{
	char what[DIGEST_STRING_MAX + 32], ds[DIGEST_STRING_MAX];
	_cleanup_free_ char *buf = NULL;
	struct blob *b = NULL;
	size_t len;
	int r;

	snprintf(what, sizeof(what), "%s %s", kind, digest_format(d, ds));
	if (size > (int64_t)BLOB_JSON_MAX) {
		error_set(err, -EFBIG, "%s: %lld bytes is over the %u-byte limit", what,
			  (long long)size, BLOB_JSON_MAX);
		return NULL;
	}
	r = layout_open_blob(img, d, size, what, &b, err);
	if (r >= 0)
		r = blob_read_all(b, BLOB_JSON_MAX, &buf, &len, err);
	blob_free(b);
	if (r < 0)
		return NULL;
	return json_parse_blob(buf, len, what, err);
}

int oci_open(struct image *img, const struct image_options *opts, struct error *err)
{
	_cleanup_free_ char *mtype = NULL;
	struct platform want = { 0 };
	json_t *index = NULL, *doc = NULL, *desc, *config = NULL;
	struct digest d;
	int64_t size;
	const char *mt;
	int r;

	if (img->transport == TRANSPORT_OCI) {
		img->dirfd = open(img->location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (img->dirfd < 0)
			return error_set(err, -errno, "%s: %m", img->location);
	}
	r = opts->platform ? platform_parse(opts->platform, &want) : platform_host(&want);
	if (r < 0)
		return error_set(err, r, "invalid platform '%s' (want OS/ARCH[/VARIANT])",
				 opts->platform ? opts->platform : "(host)");
	r = root_desc(img, opts, &want, &index, &desc, err);
	for (int depth = 0; r >= 0; depth++) {
		json_t *next;

		r = descriptor_parse(desc, "index entry", &d, &size, &mt, err);
		if (r < 0)
			break;
		next = layout_read_json(img, &d, size, "manifest", err);
		if (!next) {
			r = -EBADMSG;
			break;
		}
		if (!mt)
			mt = json_string_value(json_object_get(next, "mediaType"));
		free(mtype);
		mtype = mt ? strdup(mt) : NULL;
		mt = mtype;
		/* desc (and so the old mt) may point into doc: drop doc only now. */
		json_decref(doc);
		doc = next;
		if (!media_type_is_index(mt))
			break;
		if (depth == INDEX_DEPTH_MAX) {
			r = error_set(err, -ELOOP, "image indexes nested too deep");
			break;
		}
		r = index_select(doc, NULL, &want, &desc, err);
	}
	if (r < 0)
		goto out;
	if (mt && !media_type_is_manifest(mt)) {
		r = error_set(err, -EMEDIUMTYPE, "unknown manifest media type '%s'", mt);
		goto out;
	}
	img->has_manifest = true;
	img->manifest_digest = d;
	img->manifest_media_type = strdup(mt ? mt : "application/vnd.oci.image.manifest.v1+json");
	r = manifest_parse(img, doc, &d, &size, err);
	if (r < 0)
		goto out;
	config = layout_read_json(img, &d, size, "config", err);
	if (!config) {
		r = -EBADMSG;
		goto out;
	}
	img->has_config = true;
	img->config_digest = d;
	r = config_apply(img, config, err);
	for (size_t i = 0; r >= 0 && i < img->n_layers; i++)
		if (!(img->layers[i].location = blob_path(&img->layers[i].digest)))
			r = -ENOMEM;
out:
	json_decref(config);
	json_decref(doc);
	json_decref(index);
	platform_release(&want);
	return r;
}
