/* SPDX-License-Identifier: Apache-2.0 */
/* imprint fingerprint: the content fingerprint of an image (docs/formats.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "cli.h"

static void help(void)
{
	printf("Usage: imprint fingerprint [OPTIONS] SOURCE\n\n"
	       "Compute the content fingerprint of an image: the canonical table of its root\n"
	       "filesystem after applying its layers (path, type, mode, owner, size, SHA-256,\n"
	       "link target, device, capabilities) and one root digest over it. The same image\n"
	       "gives the same root digest through every source (tarballs streamed, stored layer\n"
	       "directories, or an unpacked rootfs).\n\n"
	       "Options:\n"
	       "  -o, --output FILE    write the fingerprint file to FILE (replaced atomically)\n"
	       "                       and print a summary; '-' or no -o: the file to stdout\n"
	       "  --with-layers        also record each layer's own table\n"
	       "  --json               print the summary as JSON (with -o)\n" SOURCE_OPTIONS_HELP
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 success, 2 error.\n");
}

/* Open where the fingerprint goes: stdout for "-", the target itself when it exists and is
 * not a regular file (/dev/null, a pipe), otherwise a temporary file in the same directory that
 * replaces the target once complete. */
static FILE *open_output(const char *output, char **ret_tmp)
{
	struct stat st;
	int fd;

	*ret_tmp = NULL;
	if (strcmp(output, "-") == 0)
		return stdout;
	if (stat(output, &st) == 0 && !S_ISREG(st.st_mode))
		return fopen(output, "we");
	*ret_tmp = strdup_printf("%s.tmpXXXXXX", output);
	if (!*ret_tmp)
		return NULL;
	fd = mkostemp(*ret_tmp, O_CLOEXEC);
	if (fd < 0) {
		free(TAKE_PTR(*ret_tmp));
		return NULL;
	}
	fchmod(fd, 0644);
	return fdopen(fd, "w");
}

static int close_output(FILE *f, const char *output, char *tmp, int r)
{
	if (f == stdout)
		return fflush(f) != 0 ? -EIO : r;
	if (fflush(f) != 0 && r >= 0)
		r = -EIO;
	if (r >= 0 && tmp && fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r >= 0)
		r = -EIO;
	if (tmp && r >= 0 && rename(tmp, output) < 0)
		r = -errno;
	if (tmp && r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

static int write_output(const struct cli *c, const struct fingerprint *fp, const char *output)
{
	char ds[DIGEST_STRING_MAX], *tmp;
	FILE *f;
	int r;

	f = open_output(output ?: "-", &tmp);
	if (!f)
		return cli_error(c, "cannot write %s: %m", output);
	r = fingerprint_write(fp, f);
	r = close_output(f, output ?: "-", tmp, r);
	if (r < 0)
		return cli_error(c, "cannot write %s: %s", output ?: "stdout", strerror(-r));
	if (!output || strcmp(output, "-") == 0)
		return EXIT_OK;
	digest_format(&fp->root_digest, ds);
	if (c->json) {
		json_t *o = json_pack("{s:s,s:I,s:I,s:s}", "rootDigest", ds, "entries",
				      (json_int_t)fp->root.n, "layers", (json_int_t)fp->n_layers,
				      "output", output);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(o);
	} else {
		printf("%s %zu %s\n", ds, fp->root.n, output);
	}
	return EXIT_OK;
}

int verb_fingerprint(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "with-layers", no_argument, NULL, OPT_WITH_LAYERS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		SOURCE_LONG_OPTIONS,
		{ 0 },
	};
	struct cli c = { .verb = "fingerprint" };
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	struct fingerprint_options fo = { 0 };
	struct source_options so;
	struct error err = { 0 };
	const char *output = NULL;
	int opt, r;

	/* imprint fingerprint show FILE: a behavioral fingerprint as a tree (learn.c) */
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return behavior_show_main(argc - 1, argv + 1);
	source_options_init(&so);
	while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			source_options_release(&so);
			return EXIT_OK;
		case 'o':
			output = optarg;
			break;
		case OPT_WITH_LAYERS:
			fo.keep_layer_tables = true;
			break;
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
	r = source_options_finish(&so);
	if (r >= 0)
		r = image_open(argv[optind], &so.image, &img, &err);
	if (r >= 0) {
		fo.excludes = so.excludes;
		fo.n_excludes = so.n_excludes;
		fo.threads = so.threads;
		r = fingerprint_image(img, &fo, &fp, &err);
	}
	source_options_release(&so);
	if (r < 0)
		return cli_error_from(&c, r, &err);
	return write_output(&c, fp, output);
}
