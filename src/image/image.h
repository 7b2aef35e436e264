/* SPDX-License-Identifier: Apache-2.0 */
/* An image opened from a source in containers-transports syntax (docs/cli.md): its identity
 * (manifest, config, layers), checked against digests as it is read, and access to each layer's
 * content, either as a tar blob or as a stored directory. An image owns everything it points
 * to; image_free() releases it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/digest.h"
#include "basic/error.h"
#include "basic/macro.h"
#include "blob.h"

enum transport {
	TRANSPORT_OCI,
	TRANSPORT_OCI_ARCHIVE,
	TRANSPORT_DOCKER_ARCHIVE,
	TRANSPORT_CONTAINERS_STORAGE,
	TRANSPORT_DOCKER_STORAGE,
	TRANSPORT_CONTAINERD,
	TRANSPORT_DIR,
	TRANSPORT_LAYER_DIRS, /* not a source users name: image_open_layer_dirs() */
	_TRANSPORT_MAX,
};

#define IMAGE_LAYERS_MAX 1024
#define DEFAULT_STORAGE_ROOT "/var/lib/containers/storage"
#define DEFAULT_DOCKER_ROOT "/var/lib/docker"
#define DEFAULT_CONTAINERD_ROOT "/var/lib/containerd"

struct image_options {
	const char *platform;     /* "os/arch[/variant]", NULL for the host's */
	const char *storage_root; /* the engine's store: NULL for DEFAULT_STORAGE_ROOT
				   * (containers-storage:), DEFAULT_DOCKER_ROOT (docker-storage:) or
				   * DEFAULT_CONTAINERD_ROOT (containerd:) */
};

struct image_layer {
	bool has_digest, has_diff_id;
	struct digest digest;  /* the blob as stored (compressed) */
	struct digest diff_id; /* the uncompressed tar, from the config */
	char *media_type;
	int64_t size;          /* -1 if unknown */
	char *location;        /* archive member, layout path, or storage diff directory */
};

struct platform {
	char *os, *architecture, *variant;
};

struct image {
	char *source;
	enum transport transport;
	char *location; /* DIR, FILE or NAME of the source */
	char *ref;      /* REF of the source, or NULL */
	char *name;     /* containers-storage: the image's first name, or NULL */
	int dirfd;      /* oci: layout, containers-storage: root, dir: rootfs; else -1 */

	bool has_manifest, has_config;
	struct digest manifest_digest, config_digest;
	char *manifest_media_type;
	json_t *config;
	struct platform platform;

	struct image_layer *layers;
	size_t n_layers;
};

const char *transport_to_string(enum transport t);

/* Split "transport:location[:ref]". */
int image_source_parse(const char *source, enum transport *ret_transport, char **ret_location,
		       char **ret_ref, struct error *err);

int image_open(const char *source, const struct image_options *opts, struct image **ret,
	       struct error *err);
/* The layers of a mounted overlay, read by content: dirs are absolute, resolved paths, base
 * first. The image has no identity (no manifest, no config); only its content is judged. */
int image_open_layer_dirs(char *const *dirs, size_t n, struct image **ret, struct error *err);
struct image *image_free(struct image *img);
DEFINE_FREEP(struct image, image_free)

/* True if layer content comes as directories (containers-storage, docker-storage, dir:),
 * false for tar blobs. */
bool image_layers_are_dirs(const struct image *img);
/* True if those directories are overlayfs layers (whiteouts as 0/0 devices, opaque xattrs). */
bool image_layers_are_overlay(const struct image *img);
/* Open layer i's blob (verified against its digest as it is read). */
int image_layer_open_blob(struct image *img, size_t i, struct blob **ret, struct error *err);
/* Open layer i's directory (O_DIRECTORY fd). */
int image_layer_open_dir(struct image *img, size_t i, int *ret_fd, struct error *err);

/* Shared by the transports (manifest.c) */
int platform_parse(const char *s, struct platform *ret);
void platform_release(struct platform *p);
int platform_host(struct platform *ret);
/* Does a stored name ("localhost/busybox:latest") mean what the user typed ("busybox")? */
bool image_name_matches(const char *name, const char *want);
json_t *json_parse_blob(const char *buf, size_t len, const char *what, struct error *err);
/* Pick a manifest descriptor from an index by ref (name or digest) or platform. Borrowed. */
int index_select(json_t *index, const char *ref, const struct platform *want, json_t **ret,
		 struct error *err);
int descriptor_parse(json_t *desc, const char *what, struct digest *ret_digest,
		     int64_t *ret_size, const char **ret_media_type, struct error *err);
bool media_type_is_index(const char *mt);
bool media_type_is_manifest(const char *mt);
/* Fill the config descriptor and layers from a manifest. */
int manifest_parse(struct image *img, json_t *manifest, struct digest *ret_config,
		   int64_t *ret_config_size, struct error *err);
/* Take the parsed config: platform and diffIDs (checked against the layer count). */
int config_apply(struct image *img, json_t *config, struct error *err);

/* Transports (oci.c: oci, oci-archive, containerd; docker_archive.c, storage.c,
 * docker_storage.c) */
int oci_open(struct image *img, const struct image_options *opts, struct error *err);
int docker_archive_open(struct image *img, const struct image_options *opts, struct error *err);
int storage_open(struct image *img, const struct image_options *opts, struct error *err);
int docker_storage_open(struct image *img, const struct image_options *opts, struct error *err);
