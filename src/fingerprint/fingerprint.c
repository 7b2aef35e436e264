/* SPDX-License-Identifier: Apache-2.0 */
/* Layers are read in parallel (each into its own table), then applied in order. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "fingerprint.h"
#include "layer.h"

const char *const fingerprint_default_excludes[] = {
	"/dev", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/proc", "/run/.containerenv",
	"/sys", NULL,
};

void fingerprint_options_default(struct fingerprint_options *o)
{
	*o = (struct fingerprint_options){ .excludes = (char *const *)fingerprint_default_excludes };
	while (o->excludes[o->n_excludes])
		o->n_excludes++;
}

struct fingerprint *fingerprint_free(struct fingerprint *fp)
{
	if (!fp)
		return NULL;
	for (size_t i = 0; i < fp->n_layers; i++)
		table_release(&fp->layers[i].table);
	free(fp->layers);
	for (size_t i = 0; i < fp->n_excludes; i++)
		free(fp->excludes[i]);
	free(fp->excludes);
	table_release(&fp->root);
	free(fp);
	return NULL;
}

static int set_excludes(struct fingerprint *fp, const struct fingerprint_options *opts);

int fingerprint_copy(const struct fingerprint *src, struct fingerprint **ret)
{
	_cleanup_(fingerprint_freep) struct fingerprint *fp = calloc(1, sizeof(*fp));
	struct fingerprint_options o = { .excludes = src->excludes, .n_excludes = src->n_excludes };
	int r;

	if (!fp)
		return -ENOMEM;
	*fp = *src;
	fp->excludes = NULL;
	fp->n_excludes = 0;
	fp->layers = calloc(src->n_layers + 1, sizeof(*fp->layers));
	fp->n_layers = 0;
	fp->root = (struct table){ 0 };
	r = fp->layers ? set_excludes(fp, &o) : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < src->n_layers; i++) {
		fp->layers[i] = src->layers[i];
		fp->layers[i].table = (struct table){ 0 };
		fp->n_layers = i + 1;
		r = table_copy(&src->layers[i].table, &fp->layers[i].table);
	}
	if (r >= 0)
		r = table_copy(&src->root, &fp->root);
	if (r >= 0)
		*ret = TAKE_PTR(fp);
	return r;
}

struct layer_job {
	struct image *img;
	const struct fingerprint_options *opts;
	struct table *tables;
	struct error *errs;
	int *results;
	atomic_size_t next;
};

static int read_layer(struct layer_job *job, size_t i)
{
	struct image *img = job->img;
	struct walk_options wo = { .overlay = image_layers_are_overlay(img),
				   .excludes = job->opts->excludes,
				   .n_excludes = job->opts->n_excludes,
				   .threads = job->opts->threads };
	struct error *err = &job->errs[i];
	int r;

	if (image_layers_are_dirs(img)) {
		_cleanup_close_ int fd = -1;

		r = image_layer_open_dir(img, i, &fd, err);
		if (r >= 0 && job->opts->cache)
			r = job->opts->cache->read_dir(job->opts->cache->userdata, fd, &wo,
						       &job->tables[i], err);
		else if (r >= 0)
			r = layer_read_dir(fd, &wo, &job->tables[i], err);
	} else {
		struct blob *b = NULL;
		const struct image_layer *l = &img->layers[i];

		r = image_layer_open_blob(img, i, &b, err);
		if (r >= 0)
			r = layer_read_tar(b, l->has_diff_id ? &l->diff_id : NULL, &job->tables[i],
					   err);
		blob_free(b);
	}
	if (r >= 0)
		r = table_finalize_layer(&job->tables[i], err);
	if (r < 0 && img->n_layers > 1 && img->transport != TRANSPORT_DIR)
		error_prefix(err, r, "layer %zu", i);
	return r;
}

static void *layer_worker(void *arg)
{
	struct layer_job *job = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);

		if (i >= job->img->n_layers)
			return NULL;
		job->results[i] = read_layer(job, i);
	}
}

/* Tar layers are read in parallel, one per thread; directory layers one after another, each
 * hashed by several threads. */
static int read_layers(struct layer_job *job, struct error *err)
{
	unsigned threads = 1;
	pthread_t tids[16];
	unsigned n = 0;

	if (!image_layers_are_dirs(job->img)) {
		long cpus = job->opts->threads ? (long)job->opts->threads
					       : sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned)cpus : 1;
		if (threads > ARRAY_SIZE(tids))
			threads = ARRAY_SIZE(tids);
		if (threads > job->img->n_layers)
			threads = (unsigned)job->img->n_layers;
	}
	for (; n + 1 < threads; n++)
		if (pthread_create(&tids[n], NULL, layer_worker, job) != 0)
			break;
	layer_worker(job);
	for (unsigned i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	for (size_t i = 0; i < job->img->n_layers; i++)
		if (job->results[i] < 0)
			return error_set(err, job->results[i], "%s", job->errs[i].message);
	return 0;
}

static int set_excludes(struct fingerprint *fp, const struct fingerprint_options *opts)
{
	fp->excludes = calloc(opts->n_excludes + 1, sizeof(char *));
	if (!fp->excludes)
		return -ENOMEM;
	for (size_t i = 0; i < opts->n_excludes; i++) {
		fp->excludes[i] = strdup(opts->excludes[i]);
		if (!fp->excludes[i])
			return -ENOMEM;
		fp->n_excludes++;
	}
	return 0;
}

int fingerprint_image(struct image *img, const struct fingerprint_options *opts,
		      struct fingerprint **ret, struct error *err)
{
	_cleanup_(fingerprint_freep) struct fingerprint *fp = calloc(1, sizeof(*fp));
	struct layer_job job = { .img = img, .opts = opts };
	int r;

	if (!fp)
		return -ENOMEM;
	if (opts->cache && opts->cache->lookup(opts->cache->userdata, img, opts, ret) > 0)
		return 0;
	fp->has_manifest = img->has_manifest;
	fp->manifest_digest = img->manifest_digest;
	fp->has_config = img->has_config;
	fp->config_digest = img->config_digest;
	r = set_excludes(fp, opts);
	if (r < 0)
		return r;
	job.tables = calloc(img->n_layers + 1, sizeof(*job.tables));
	job.errs = calloc(img->n_layers + 1, sizeof(*job.errs));
	job.results = calloc(img->n_layers + 1, sizeof(*job.results));
	fp->layers = calloc(img->n_layers + 1, sizeof(*fp->layers));
	if (!job.tables || !job.errs || !job.results || !fp->layers) {
		r = -ENOMEM;
		goto out;
	}
	r = read_layers(&job, err);
	for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
		struct fingerprint_layer *fl = &fp->layers[i];

		fp->n_layers = i + 1;
		fl->has_digest = img->layers[i].has_digest;
		fl->digest = img->layers[i].digest;
		fl->has_diff_id = img->layers[i].has_diff_id;
		fl->diff_id = img->layers[i].diff_id;
		table_exclude(&job.tables[i], opts->excludes, opts->n_excludes);
		fl->n_entries = job.tables[i].n;
		r = table_resolve_hardlinks(&fp->root, &job.tables[i], err);
		if (r >= 0)
			r = table_digest(&job.tables[i], &fl->table_digest);
		if (r >= 0 && opts->keep_layer_tables)
			r = table_copy(&job.tables[i], &fl->table);
		if (r >= 0)
			r = table_apply_layer(&fp->root, &job.tables[i], err);
	}
	fp->has_layer_tables = opts->keep_layer_tables;
	if (img->transport == TRANSPORT_DIR) {
		/* A directory has no layers of its own to report. */
		for (size_t i = 0; i < fp->n_layers; i++)
			table_release(&fp->layers[i].table);
		fp->n_layers = 0;
		fp->has_layer_tables = false;
	}
	if (r >= 0) {
		table_exclude(&fp->root, opts->excludes, opts->n_excludes);
		r = table_digest(&fp->root, &fp->root_digest);
	}
	if (r >= 0 && opts->cache)
		opts->cache->store(opts->cache->userdata, img, opts, fp);
	if (r >= 0)
		*ret = TAKE_PTR(fp);
out:
	for (size_t i = 0; job.tables && i < img->n_layers; i++)
		table_release(&job.tables[i]);
	free(job.tables);
	free(job.errs);
	free(job.results);
	if (r < 0 && err && !err->message[0])
		error_set(err, r, "%s", strerror(-r));
	return r;
}

int fingerprint_source(const char *source, const struct image_options *io,
		       const struct fingerprint_options *opts, struct fingerprint **ret,
		       struct error *err)
{
	_cleanup_(image_freep) struct image *img = NULL;
	int r = image_open(source, io, &img, err);

	return r < 0 ? r : fingerprint_image(img, opts, ret, err);
}
