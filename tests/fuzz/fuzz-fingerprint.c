/* SPDX-License-Identifier: Apache-2.0 */
/* Fingerprint files through fingerprint_parse(). Whatever it accepts must survive a round trip:
 * written back with fingerprint_write(), the file must parse again to the same root digest and be
 * written byte for byte the same (docs/formats.md: the file is canonical).
 *
 * Mutated entries almost never match their digest, so an input refused for a digest mismatch is
 * fixed up (the digest the parser computed replaces the one the file gives; the parser's message
 * names both) and parsed again, so that the checks after the digest get fuzzed too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "fingerprint/fingerprint.h"
#include "fuzz.h"

#define FIXUPS_MAX 8

static char *write_string(const struct fingerprint *fp, size_t *ret_len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, ret_len);
	int r;

	if (!f)
		abort();
	r = fingerprint_write(fp, f);
	if (fclose(f) != 0)
		abort();
	FUZZ_CHECK(r >= 0, "fingerprint_write() = %d", r);
	return buf;
}

/* What an accepted table guarantees (docs/formats.md). */
static void check_table(const struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct entry *e = &t->entries[i];

		FUZZ_CHECK(e->mode <= 07777, "'%s': mode %o is not 4 octal digits", e->path,
			   e->mode);
		FUZZ_CHECK(e->path[0] == '/' && !strstr(e->path, "//"), "'%s'", e->path);
		FUZZ_CHECK(i == 0 || path_compare(t->entries[i - 1].path, e->path) < 0, "'%s'",
			   e->path);
		FUZZ_CHECK(e->type != ENTRY_HARDLINK, "'%s'", e->path);
	}
}

/* Parse; if accepted, check the round trip. Returns the parse result, err set on failure. */
static int parse_and_check(const char *data, size_t size, struct error *err)
{
	struct fingerprint *fp = NULL, *back = NULL;
	struct error err2 = { { 0 } };
	char *text, *text2;
	size_t len, len2;
	int r;

	r = fingerprint_parse(data, size, &fp, err);
	if (r < 0) {
		FUZZ_CHECK(fp == NULL && err->message[0], "error %d", r);
		return r;
	}
	check_table(&fp->root);
	for (size_t i = 0; i < fp->n_layers; i++)
		check_table(&fp->layers[i].table);
	text = write_string(fp, &len);
	FUZZ_CHECK(fingerprint_parse(text, len, &back, &err2) >= 0,
		   "an accepted file, written back, is refused: %s", err2.message);
	FUZZ_CHECK(digest_equal(&fp->root_digest, &back->root_digest), "root digest changed");
	FUZZ_CHECK(fp->root.n == back->root.n, "entry count changed");
	text2 = write_string(back, &len2);
	FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0, "writing is not stable");
	free(text);
	free(text2);
	fingerprint_free(back);
	fingerprint_free(fp);
	return 0;
}

/* "...digest mismatch: file says sha256:WANT, entries give sha256:GOT": replace WANT by GOT in
 * buf. False if the message is not that or WANT is not in buf. */
static bool fix_digest(char *buf, size_t len, const char *msg)
{
	static const char says_key[] = "file says sha256:", gives_key[] = "entries give sha256:";
	const char *says = strstr(msg, says_key), *gives = strstr(msg, gives_key);
	char *p;

	if (!says || !gives)
		return false;
	says += strlen(says_key);
	gives += strlen(gives_key);
	if (strlen(says) < DIGEST_HEX_LEN || strlen(gives) < DIGEST_HEX_LEN)
		return false;
	p = memmem(buf, len, says, DIGEST_HEX_LEN);
	if (!p)
		return false;
	memcpy(p, gives, DIGEST_HEX_LEN);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = { { 0 } };
	char *copy;

	if (parse_and_check((const char *)data, size, &err) >= 0)
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	for (int i = 0; i < FIXUPS_MAX && fix_digest(copy, size, err.message); i++) {
		err = (struct error){ { 0 } };
		if (parse_and_check(copy, size, &err) >= 0)
			break;
	}
	free(copy);
	return 0;
}
