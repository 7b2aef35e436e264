/* SPDX-License-Identifier: Apache-2.0 */
/* imprint inspect: an image's identity, as podman and skopeo would print it. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void help(void)
{
	printf("Usage: imprint inspect [OPTIONS] SOURCE\n\n"
	       "Show an image's identity: manifest digest, config digest (image ID), platform,\n"
	       "layers (digest, media type, size, diffID) and a config summary. Only the manifest\n"
	       "and config are read, both checked against their digests.\n\n"
	       "Options:\n"
	       "  --json               print JSON (docs/cli.md)\n" SOURCE_OPTIONS_HELP
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 success, 2 error.\n");
}

static json_t *digest_or_null(bool has, const struct digest *d)
{
	char buf[DIGEST_STRING_MAX];

	return has ? json_string(digest_format(d, buf)) : json_null();
}

/* The config summary, keys as in the OCI config but camelCase like podman's output. */
static json_t *config_summary(json_t *config)
{
	json_t *cfg = json_object_get(config, "config"), *ports = json_array();
	json_t *exposed = json_object_get(cfg, "ExposedPorts");
	const char *port;
	json_t *v;

	json_object_foreach(exposed, port, v)
		json_array_append_new(ports, json_string(port));
	return json_pack("{s:O*,s:O*,s:s,s:O*,s:s,s:o}",
			 "entrypoint", json_object_get(cfg, "Entrypoint"),
			 "cmd", json_object_get(cfg, "Cmd"),
			 "user", json_string_value(json_object_get(cfg, "User")) ?: "",
			 "env", json_object_get(cfg, "Env"),
			 "workingDir", json_string_value(json_object_get(cfg, "WorkingDir")) ?: "",
			 "exposedPorts", ports);
}

static json_t *image_to_json(const struct image *img)
{
	json_t *layers = json_array(), *platform = json_null();

	for (size_t i = 0; img->transport != TRANSPORT_DIR && i < img->n_layers; i++) {
		const struct image_layer *l = &img->layers[i];

		json_array_append_new(
			layers, json_pack("{s:o,s:s,s:o,s:o}", "digest",
					  digest_or_null(true, &l->digest), "mediaType",
					  l->media_type ?: "", "size",
					  l->size >= 0 ? json_integer(l->size) : json_null(),
					  "diffID", digest_or_null(l->has_diff_id, &l->diff_id)));
	}
	if (img->platform.os) {
		platform = json_pack("{s:s,s:s}", "os", img->platform.os, "architecture",
				     img->platform.architecture);
		if (img->platform.variant)
			json_object_set_new(platform, "variant", json_string(img->platform.variant));
	}
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "source", img->source, "transport",
			 transport_to_string(img->transport), "manifestDigest",
			 digest_or_null(img->has_manifest, &img->manifest_digest),
			 "manifestMediaType",
			 img->manifest_media_type ? json_string(img->manifest_media_type)
						  : json_null(),
			 "configDigest", digest_or_null(img->has_config, &img->config_digest),
			 "platform", platform, "layers", layers, "config",
			 img->config ? config_summary(img->config) : json_null());
}

static void print_strings(const char *label, json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	printf("%-14s", label);
	json_array_foreach(a, i, v)
		printf("%s%s", i ? " " : "", json_string_value(v) ?: "?");
	printf("\n");
}

static void print_human(json_t *o)
{
	json_t *cfg = json_object_get(o, "config"), *layers = json_object_get(o, "layers"), *l;
	json_t *p = json_object_get(o, "platform");
	size_t i;

	printf("%-14s%s\n", "Source:", json_string_value(json_object_get(o, "source")));
	if (json_string_value(json_object_get(o, "manifestDigest")))
		printf("%-14s%s (%s)\n", "Manifest:",
		       json_string_value(json_object_get(o, "manifestDigest")),
		       json_string_value(json_object_get(o, "manifestMediaType")));
	if (json_string_value(json_object_get(o, "configDigest")))
		printf("%-14s%s\n", "Image ID:", json_string_value(json_object_get(o, "configDigest")));
	if (json_is_object(p))
		printf("%-14s%s/%s%s%s\n", "Platform:", json_string_value(json_object_get(p, "os")),
		       json_string_value(json_object_get(p, "architecture")),
		       json_object_get(p, "variant") ? "/" : "",
		       json_string_value(json_object_get(p, "variant")) ?: "");
	print_strings("Entrypoint:", json_object_get(cfg, "entrypoint"));
	print_strings("Cmd:", json_object_get(cfg, "cmd"));
	if (json_is_object(cfg)) {
		printf("%-14s%s\n", "User:", json_string_value(json_object_get(cfg, "user")));
		printf("%-14s%s\n", "WorkingDir:", json_string_value(json_object_get(cfg, "workingDir")));
	}
	print_strings("Env:", json_object_get(cfg, "env"));
	print_strings("ExposedPorts:", json_object_get(cfg, "exposedPorts"));
	if (json_array_size(layers))
		printf("Layers:\n");
	json_array_foreach(layers, i, l) {
		char size[32] = "-"; /* unknown: a store keeps the layer unpacked */

		if (json_is_integer(json_object_get(l, "size")))
			snprintf(size, sizeof(size), "%lld",
				 (long long)json_integer_value(json_object_get(l, "size")));
		printf("  %2zu %s %s %s\n     diffID %s\n", i,
		       json_string_value(json_object_get(l, "digest")),
		       json_string_value(json_object_get(l, "mediaType")), size,
		       json_string_value(json_object_get(l, "diffID")) ?: "-");
	}
	if (!json_string_value(json_object_get(o, "configDigest")))
		printf("(a directory has no OCI identity)\n");
}

int verb_inspect(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		SOURCE_LONG_OPTIONS,
		{ 0 },
	};
	struct cli c = { .verb = "inspect" };
	_cleanup_(image_freep) struct image *img = NULL;
	struct source_options so;
	struct error err = { 0 };
	json_t *out;
	int opt, r;

	source_options_init(&so);
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			source_options_release(&so);
			return EXIT_OK;
		case OPT_JSON:
			c.json = true;
			break;
		default:
			if (source_options_parse(&so, &c, opt, optarg) <= 0) {
				source_options_release(&so);
				return cli_usage(&c, "invalid option");
			}
		}
	}
	if (optind + 1 != argc) {
		source_options_release(&so);
		return cli_usage(&c, "want exactly one SOURCE");
	}
	r = image_open(argv[optind], &so.image, &img, &err);
	source_options_release(&so);
	if (r < 0)
		return cli_error_from(&c, r, &err);
	out = image_to_json(img);
	if (!out)
		return cli_error(&c, "out of memory");
	if (c.json) {
		char *s = json_dumps(out, JSON_INDENT(2));

		printf("%s\n", s ? s : "null");
		free(s);
	} else {
		print_human(out);
	}
	json_decref(out);
	return EXIT_OK;
}
