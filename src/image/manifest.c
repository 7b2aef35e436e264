/* SPDX-License-Identifier: Apache-2.0 */
/* OCI and Docker schema 2 index, manifest and config documents. */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "basic/fs.h"
#include "image.h"

static const char *const index_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
};
static const char *const manifest_types[] = {
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
};
static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

bool media_type_is_index(const char *mt)
{
	return in_list(mt, index_types, ARRAY_SIZE(index_types));
}

bool media_type_is_manifest(const char *mt)
{
	return in_list(mt, manifest_types, ARRAY_SIZE(manifest_types));
}

int platform_parse(const char *s, struct platform *ret)
{
	_cleanup_free_ char *copy = strdup(s);
	char *arch, *variant;

	if (!copy)
		return -ENOMEM;
	arch = strchr(copy, '/');
	if (!arch || arch == copy || !arch[1])
		return -EINVAL;
	*arch++ = '\0';
	variant = strchr(arch, '/');
	if (variant) {
		*variant++ = '\0';
		if (!*variant || strchr(variant, '/'))
			return -EINVAL;
	}
	*ret = (struct platform){ .os = strdup(copy), .architecture = strdup(arch),
				  .variant = variant ? strdup(variant) : NULL };
	if (!ret->os || !ret->architecture || (variant && !ret->variant)) {
		platform_release(ret);
		return -ENOMEM;
	}
	return 0;
}

void platform_release(struct platform *p)
{
	free(p->os);
	free(p->architecture);
	free(p->variant);
	*p = (struct platform){ 0 };
}

int platform_host(struct platform *ret)
{
	/* The GOARCH names that OCI uses for the machines we run on. */
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
		{ "x86_64", "amd64", NULL },  { "aarch64", "arm64", NULL },
		{ "armv7l", "arm", "v7" },    { "armv6l", "arm", "v6" },
		{ "i686", "386", NULL },      { "riscv64", "riscv64", NULL },
		{ "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL },
	};
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(u.machine, map[i].machine) == 0) {
			_cleanup_free_ char *s = strdup_printf(
				"linux/%s%s%s", map[i].arch, map[i].variant ? "/" : "",
				map[i].variant ? map[i].variant : "");
			return s ? platform_parse(s, ret) : -ENOMEM;
		}
	return -EOPNOTSUPP;
}

json_t *json_parse_blob(const char *buf, size_t len, const char *what, struct error *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!j) {
		error_set(err, -EBADMSG, "%s: malformed JSON at line %d column %d: %s", what,
			  jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		error_set(err, -EBADMSG, "%s: not a JSON object", what);
		return NULL;
	}
	return j;
}

int descriptor_parse(json_t *desc, const char *what, struct digest *ret_digest,
		     int64_t *ret_size, const char **ret_media_type, struct error *err)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	json_t *size = json_object_get(desc, "size");
	int r;

	if (!json_is_object(desc))
		return error_set(err, -EBADMSG, "%s: descriptor is not an object", what);
	if (!d)
		return error_set(err, -EBADMSG, "%s: descriptor has no digest", what);
	r = digest_parse(d, ret_digest);
	if (r == -EOPNOTSUPP)
		return error_set(err, r, "%s: unsupported digest algorithm in '%s'", what, d);
	if (r < 0)
		return error_set(err, r, "%s: malformed digest '%s'", what, d);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return error_set(err, -EBADMSG, "%s: descriptor %s has no valid size", what, d);
	*ret_size = json_integer_value(size);
	if (ret_media_type)
		*ret_media_type = json_string_value(json_object_get(desc, "mediaType"));
	return 0;
}

static bool platform_matches(json_t *p, const struct platform *want)
{
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *variant = json_string_value(json_object_get(p, "variant"));

	if (!os || !arch || strcmp(os, want->os) || strcmp(arch, want->architecture))
		return false;
	return !want->variant || (variant && strcmp(variant, want->variant) == 0);
}

int index_select(json_t *index, const char *ref, const struct platform *want, json_t **ret,
		 struct error *err)
{
	json_t *list = json_object_get(index, "manifests"), *desc, *found = NULL;
	size_t i, n_match = 0;

	if (!json_is_array(list))
		return error_set(err, -EBADMSG, "index has no manifests list");
	if (json_array_size(list) == 0)
		return error_set(err, -ENOENT, "index lists no manifests");
	json_array_foreach(list, i, desc) {
		json_t *ann = json_object_get(desc, "annotations");
		const char *name = json_string_value(
			json_object_get(ann, "org.opencontainers.image.ref.name"));
		const char *digest = json_string_value(json_object_get(desc, "digest"));
		json_t *platform = json_object_get(desc, "platform");
		bool match;

		if (!json_is_object(desc))
			return error_set(err, -EBADMSG, "index entry %zu is not an object", i);
		if (ref)
			match = (name && strcmp(name, ref) == 0) || (digest && strcmp(digest, ref) == 0);
		else
			match = json_array_size(list) == 1 ||
				(platform && platform_matches(platform, want));
		if (match) {
			found = desc;
			n_match++;
		}
	}
	if (ref && !found)
		return error_set(err, -ENOENT, "no manifest named '%s' in the index", ref);
	if (!found)
		return error_set(err, -ENOENT,
				 "no manifest for platform %s/%s%s%s among the index's %zu (name one "
				 "with :REF or choose --platform)",
				 want->os, want->architecture, want->variant ? "/" : "",
				 want->variant ? want->variant : "", json_array_size(list));
	if (n_match > 1)
		return error_set(err, -EINVAL, "%zu manifests in the index match %s%s; name one with :REF",
				 n_match, ref ? "" : "this platform", ref ? ref : "");
	*ret = found;
	return 0;
}

int manifest_parse(struct image *img, json_t *manifest, struct digest *ret_config,
		   int64_t *ret_config_size, struct error *err)
{
	json_t *layers = json_object_get(manifest, "layers"), *desc;
	const char *mt;
	size_t i;
	int r;

	r = descriptor_parse(json_object_get(manifest, "config"), "manifest config", ret_config,
			     ret_config_size, NULL, err);
	if (r < 0)
		return r;
	if (!json_is_array(layers))
		return error_set(err, -EBADMSG, "manifest has no layers list");
	if (json_array_size(layers) > IMAGE_LAYERS_MAX)
		return error_set(err, -E2BIG, "manifest has %zu layers (limit %d)",
				 json_array_size(layers), IMAGE_LAYERS_MAX);
	img->layers = calloc(json_array_size(layers) + 1, sizeof(*img->layers));
	if (!img->layers)
		return -ENOMEM;
	json_array_foreach(layers, i, desc) {
		struct image_layer *l = &img->layers[i];

		img->n_layers = i + 1;
		r = descriptor_parse(desc, "manifest layer", &l->digest, &l->size, &mt, err);
		if (r < 0)
			return r;
		l->has_digest = true;
		if (!in_list(mt, layer_types, ARRAY_SIZE(layer_types)))
			return error_set(err, -EMEDIUMTYPE, "layer %zu: unknown media type '%s'", i,
					 mt ? mt : "(none)");
		l->media_type = strdup(mt);
		if (!l->media_type)
			return -ENOMEM;
	}
	return 0;
}

int config_apply(struct image *img, json_t *config, struct error *err)
{
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids"), *v;
	const char *os = json_string_value(json_object_get(config, "os"));
	const char *arch = json_string_value(json_object_get(config, "architecture"));
	const char *variant = json_string_value(json_object_get(config, "variant"));
	size_t i;

	if (!json_is_array(diff_ids))
		return error_set(err, -EBADMSG, "config has no rootfs.diff_ids");
	if (json_array_size(diff_ids) != img->n_layers)
		return error_set(err, -EBADMSG, "config lists %zu diffIDs but the manifest %zu layers",
				 json_array_size(diff_ids), img->n_layers);
	json_array_foreach(diff_ids, i, v) {
		const char *s = json_string_value(v);

		if (!s || digest_parse(s, &img->layers[i].diff_id) < 0)
			return error_set(err, -EBADMSG, "config diffID %zu is malformed", i);
		img->layers[i].has_diff_id = true;
	}
	if (os && arch) {
		img->platform.os = strdup(os);
		img->platform.architecture = strdup(arch);
		img->platform.variant = variant ? strdup(variant) : NULL;
	}
	img->config = json_incref(config);
	return 0;
}

bool image_name_matches(const char *name, const char *want)
{
	static const char *const prefixes[] = { "", "localhost/", "docker.io/library/",
						"docker.io/" };

	for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++) {
		size_t n = strlen(prefixes[k]);
		size_t w = strlen(want);

		if (strncmp(name, prefixes[k], n) != 0)
			continue;
		if (strcmp(name + n, want) == 0)
			return true;
		/* "busybox" means "busybox:latest" */
		if (!strchr(want, ':') && strncmp(name + n, want, w) == 0 &&
		    strcmp(name + n + w, ":latest") == 0)
			return true;
	}
	return false;
}
