/* SPDX-License-Identifier: Apache-2.0 */
/* imprint learn --image/--container: learning with the eBPF sensor (docs/sensor.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "cli.h"
#include "sensor/learner.h"

/* The image's ID as a digest, from containers-storage; NULL if it is not there. */
static char *image_digest(const char *ref, const char *storage_root)
{
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_free_ char *source = strdup_printf("containers-storage:%s", ref);
	struct image_options io = { .storage_root = storage_root };
	char buf[DIGEST_STRING_MAX];

	if (!source || image_open(source, &io, &img, NULL) < 0 || !img->has_config)
		return NULL;
	return strdup(digest_format(&img->config_digest, buf));
}

/* "30s", "5m", "1h", "90" (seconds) -> milliseconds; -1 if malformed. */
int64_t parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	double unit = 1000;

	if (end == s || v <= 0)
		return -1;
	if (*end == 'm')
		unit = 60000;
	else if (*end == 'h')
		unit = 3600000;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end && end[1])
		return -1;
	return (int64_t)(v * unit);
}

int learn_live(const struct cli *c, const char *image, const char *container,
	       int64_t duration_ms, const char *storage_root, bool verbose, char *const *command,
	       struct behavior **ret)
{
	_cleanup_(behavior_freep) struct behavior *b = NULL;
	_cleanup_free_ char *digest = image ? image_digest(image, storage_root) : NULL;
	struct learn_options o = { .command = command, .container = container,
				   .duration_ms = duration_ms, .image_name = image,
				   .image_digest = digest, .storage_root = storage_root,
				   .verbose = verbose };
	struct learn_stats stats = { 0 };
	struct error err = { 0 };
	int r;

	if (image && !digest)
		fprintf(stderr, "imprint: learn: %s is not in containers-storage%s%s: imageDigest "
				"left empty\n", image, storage_root ? " at " : "",
			storage_root ? storage_root : "");
	r = learn_run(&o, &b, &stats, &err);
	if (r < 0)
		return cli_error_from(c, r, &err);
	if (stats.status != 0)
		fprintf(stderr, "imprint: learn: the command exited with %d\n", stats.status);
	if (stats.unattributed)
		fprintf(stderr, "imprint: learn: %llu events of processes whose exec was lost left "
				"out\n", (unsigned long long)stats.unattributed);
	if (!b->complete)
		fprintf(stderr, "imprint: learn: %llu events lost: the fingerprint is marked "
				"incomplete\n", (unsigned long long)b->lost_events);
	*ret = TAKE_PTR(b);
	return EXIT_OK;
}
