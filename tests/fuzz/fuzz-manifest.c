/* SPDX-License-Identifier: Apache-2.0 */
/* Index, manifest and config documents. The input is up to three documents separated by NUL
 * bytes: index, manifest, config. A single document plays all three roles. The index goes through
 * index_select() (by platform and by name) and descriptor_parse(); the manifest through
 * manifest_parse() on a fresh image, and if that succeeds the config through config_apply(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/image.h"

static void try_index(const char *buf, size_t len)
{
	static char os[] = "linux", arch[] = "amd64", variant[] = "v8";
	const struct platform want = { .os = os, .architecture = arch };
	const struct platform want_variant = { .os = os, .architecture = arch, .variant = variant };
	const char *refs[] = { NULL, "latest",
			       "sha256:0000000000000000000000000000000000000000000000000000000000000000" };
	json_t *index = json_parse_blob(buf, len, "index", &(struct error){ { 0 } });

	if (!index)
		return;
	for (size_t i = 0; i < 2 * sizeof(refs) / sizeof(refs[0]); i++) {
		struct error err = { { 0 } };
		json_t *desc = NULL;
		struct digest d;
		int64_t size = -2;
		const char *mt = NULL;

		if (index_select(index, refs[i / 2], i % 2 ? &want_variant : &want, &desc, &err) < 0) {
			FUZZ_CHECK(err.message[0], "index_select error without a message");
			continue;
		}
		FUZZ_CHECK(desc != NULL, "index_select succeeded without a descriptor");
		if (descriptor_parse(desc, "index entry", &d, &size, &mt, &err) >= 0) {
			FUZZ_CHECK(size >= 0, "size %lld", (long long)size);
			(void)media_type_is_index(mt);
			(void)media_type_is_manifest(mt);
		}
	}
	json_decref(index);
}

static void try_manifest(const char *mbuf, size_t mlen, const char *cbuf, size_t clen)
{
	struct error err = { { 0 } };
	json_t *manifest = json_parse_blob(mbuf, mlen, "manifest", &err), *config;
	struct image *img;
	struct digest d;
	int64_t size = -2;
	int r;

	if (!manifest)
		return;
	img = calloc(1, sizeof(*img));
	if (!img)
		abort();
	img->dirfd = -1;
	r = manifest_parse(img, manifest, &d, &size, &err);
	if (r >= 0) {
		FUZZ_CHECK(size >= 0 && img->n_layers <= IMAGE_LAYERS_MAX, "size %lld, %zu layers",
			   (long long)size, img->n_layers);
		for (size_t i = 0; i < img->n_layers; i++)
			FUZZ_CHECK(img->layers[i].has_digest && img->layers[i].media_type &&
					   img->layers[i].size >= 0,
				   "layer %zu", i);
		config = json_parse_blob(cbuf, clen, "config", &err);
		if (config) {
			r = config_apply(img, config, &err);
			if (r >= 0)
				for (size_t i = 0; i < img->n_layers; i++)
					FUZZ_CHECK(img->layers[i].has_diff_id, "layer %zu", i);
			json_decref(config);
		}
	}
	if (r < 0)
		FUZZ_CHECK(err.message[0], "error %d without a message", r);
	image_free(img);
	json_decref(manifest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[3];
	size_t len[3], n = 0;
	const char *p = (const char *)data, *end = p + size;

	while (n < 3) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		part[n] = p;
		len[n] = (size_t)((nul ? nul : end) - p);
		n++;
		if (!nul)
			break;
		p = nul + 1;
	}
	if (n == 1) {
		part[1] = part[2] = part[0];
		len[1] = len[2] = len[0];
	} else if (n == 2) {
		part[2] = part[1];
		len[2] = len[1];
	}
	try_index(part[0], len[0]);
	try_manifest(part[1], len[1], part[2], len[2]);
	return 0;
}
