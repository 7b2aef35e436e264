/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "image.h"

static const char *const transport_names[_TRANSPORT_MAX] = {
	[TRANSPORT_OCI] = "oci",
	[TRANSPORT_OCI_ARCHIVE] = "oci-archive",
	[TRANSPORT_DOCKER_ARCHIVE] = "docker-archive",
	[TRANSPORT_CONTAINERS_STORAGE] = "containers-storage",
	[TRANSPORT_DOCKER_STORAGE] = "docker-storage",
	[TRANSPORT_CONTAINERD] = "containerd",
	[TRANSPORT_DIR] = "dir",
	[TRANSPORT_LAYER_DIRS] = "layers",
};

const char *transport_to_string(enum transport t)
{
	return t < _TRANSPORT_MAX ? transport_names[t] : "?";
}

int image_source_parse(const char *source, enum transport *ret_transport, char **ret_location,
		       char **ret_ref, struct error *err)
{
	const char *colon = strchr(source, ':'), *rest, *ref = NULL;
	int t = -1;

	if (!colon)
		return error_set(err, -EINVAL,
				 "'%s' is not an image source (want TRANSPORT:LOCATION, e.g. "
				 "oci:./layout:latest, dir:./rootfs)", source);
	for (int i = 0; i < TRANSPORT_LAYER_DIRS; i++)
		if ((size_t)(colon - source) == strlen(transport_names[i]) &&
		    strncmp(source, transport_names[i], strlen(transport_names[i])) == 0)
			t = i;
	if (t < 0)
		return error_set(err, -EINVAL,
				 "unknown transport '%.*s' (oci, oci-archive, docker-archive, "
				 "containers-storage, docker-storage, containerd, dir)", (int)(colon - source), source);
	rest = colon + 1;
	/* Like containers/image: DIR or FILE ends at the first ':', the rest is REF. */
	if (t == TRANSPORT_OCI || t == TRANSPORT_OCI_ARCHIVE || t == TRANSPORT_DOCKER_ARCHIVE) {
		ref = strchr(rest, ':');
		if (ref && !ref[1])
			return error_set(err, -EINVAL, "'%s': empty REF after ':'", source);
	}
	if (rest == ref || !*rest)
		return error_set(err, -EINVAL, "'%s': no location after '%s:'", source,
				 transport_names[t]);
	*ret_location = ref ? strndup(rest, (size_t)(ref - rest)) : strdup(rest);
	*ret_ref = ref ? strdup(ref + 1) : NULL;
	if (!*ret_location || (ref && !*ret_ref)) {
		free(*ret_location);
		free(*ret_ref);
		return -ENOMEM;
	}
	*ret_transport = (enum transport)t;
	return 0;
}

struct image *image_free(struct image *img)
{
	if (!img)
		return NULL;
	for (size_t i = 0; i < img->n_layers; i++) {
		free(img->layers[i].media_type);
		free(img->layers[i].location);
	}
	free(img->layers);
	if (img->dirfd >= 0)
		close(img->dirfd);
	json_decref(img->config);
	platform_release(&img->platform);
	free(img->manifest_media_type);
	free(img->source);
	free(img->location);
	free(img->ref);
	free(img->name);
	free(img);
	return NULL;
}

static int dir_open(struct image *img, struct error *err)
{
	img->dirfd = open(img->location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->dirfd < 0)
		return error_set(err, -errno, "%s: %m", img->location);
	/* One pseudo-layer: the tree itself. */
	img->layers = calloc(1, sizeof(*img->layers));
	if (!img->layers || !(img->layers[0].location = strdup(".")))
		return -ENOMEM;
	img->layers[0].size = -1;
	img->n_layers = 1;
	return 0;
}

int image_open_layer_dirs(char *const *dirs, size_t n, struct image **ret, struct error *err)
{
	_cleanup_(image_freep) struct image *img = calloc(1, sizeof(*img));

	if (!img || !(img->layers = calloc(n + 1, sizeof(*img->layers))))
		return -ENOMEM;
	img->transport = TRANSPORT_LAYER_DIRS;
	img->dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->dirfd < 0)
		return error_set(err, -errno, "cannot open /: %m");
	if (n > IMAGE_LAYERS_MAX)
		return error_set(err, -E2BIG, "%zu layers (limit %d)", n, IMAGE_LAYERS_MAX);
	for (; img->n_layers < n; img->n_layers++) {
		struct image_layer *l = &img->layers[img->n_layers];

		if (dirs[img->n_layers][0] != '/')
			return error_set(err, -EINVAL, "layer %s: not an absolute path",
					 dirs[img->n_layers]);
		l->size = -1;
		l->location = strdup(dirs[img->n_layers] + 1);
		if (!l->location)
			return -ENOMEM;
	}
	if (!(img->source = strdup("layers:")) || !(img->location = strdup("/")))
		return -ENOMEM;
	*ret = TAKE_PTR(img);
	return 0;
}

int image_open(const char *source, const struct image_options *opts, struct image **ret,
	       struct error *err)
{
	_cleanup_(image_freep) struct image *img = calloc(1, sizeof(*img));
	int r;

	if (!img)
		return -ENOMEM;
	img->dirfd = -1;
	img->source = strdup(source);
	if (!img->source)
		return -ENOMEM;
	r = image_source_parse(source, &img->transport, &img->location, &img->ref, err);
	if (r < 0)
		return r;
	switch (img->transport) {
	case TRANSPORT_OCI:
	case TRANSPORT_OCI_ARCHIVE:
	case TRANSPORT_CONTAINERD:
		r = oci_open(img, opts, err);
		break;
	case TRANSPORT_DOCKER_ARCHIVE:
		r = docker_archive_open(img, opts, err);
		break;
	case TRANSPORT_CONTAINERS_STORAGE:
		r = storage_open(img, opts, err);
		break;
	case TRANSPORT_DOCKER_STORAGE:
		r = docker_storage_open(img, opts, err);
		break;
	case TRANSPORT_DIR:
		r = dir_open(img, err);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(img);
	return 0;
}

bool image_layers_are_dirs(const struct image *img)
{
	return image_layers_are_overlay(img) || img->transport == TRANSPORT_DIR;
}

bool image_layers_are_overlay(const struct image *img)
{
	return img->transport == TRANSPORT_CONTAINERS_STORAGE ||
	       img->transport == TRANSPORT_DOCKER_STORAGE || img->transport == TRANSPORT_LAYER_DIRS;
}

int image_layer_open_blob(struct image *img, size_t i, struct blob **ret, struct error *err)
{
	const struct image_layer *l = &img->layers[i];
	const struct digest *expect = l->has_digest ? &l->digest : NULL;
	char what[DIGEST_STRING_MAX + 32], ds[DIGEST_STRING_MAX];

	if (l->has_digest)
		snprintf(what, sizeof(what), "layer %zu blob %s", i, digest_format(&l->digest, ds));
	else
		snprintf(what, sizeof(what), "layer %zu (%s)", i, l->location);
	if (img->transport == TRANSPORT_OCI || img->transport == TRANSPORT_CONTAINERD)
		return blob_open_file(img->dirfd, l->location, expect, l->size, what, ret, err);
	return blob_open_member(img->location, l->location, expect, l->size, what, ret, err);
}

int image_layer_open_dir(struct image *img, size_t i, int *ret_fd, struct error *err)
{
	int fd = openat_beneath(img->dirfd, img->layers[i].location, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return error_set(err, fd, "layer %zu: cannot open %s: %s", i,
				 img->layers[i].location, strerror(-fd));
	*ret_fd = fd;
	return 0;
}
