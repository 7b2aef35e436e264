/* SPDX-License-Identifier: Apache-2.0 */
/* Run a fuzz target's LLVMFuzzerTestOneInput() on every file of the directories (or on the files)
 * named on the command line, in name order: corpora and reproducers replayed as regression tests
 * with any compiler. A crash or abort fails the test. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "basic/macro.h"
#include "fuzz.h"

#define INPUT_MAX (16u * 1024 * 1024)

static int run_file(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, INPUT_MAX, &buf, &len);

	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return r;
	}
	fprintf(stderr, "running %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 0;
}

static int run_dir(const char *dir, unsigned *n)
{
	struct dirent **names = NULL;
	int count = scandir(dir, &names, NULL, alphasort), r = 0;

	if (count < 0) {
		fprintf(stderr, "%s: %m\n", dir);
		return -errno;
	}
	for (int i = 0; i < count; i++) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (names[i]->d_name[0] != '.' &&
		    (path = strdup_printf("%s/%s", dir, names[i]->d_name)) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				r = -EIO;
			else
				(*n)++;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	unsigned n = 0;
	int r = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %m\n", argv[i]);
			r = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &n) < 0)
				r = -EIO;
		} else if (run_file(argv[i]) < 0) {
			r = -EIO;
		} else {
			n++;
		}
	}
	fprintf(stderr, "%u inputs replayed\n", n);
	if (n == 0) {
		fprintf(stderr, "no inputs found\n");
		return 1;
	}
	return r < 0 ? 1 : 0;
}
