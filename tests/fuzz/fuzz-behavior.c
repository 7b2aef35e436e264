/* SPDX-License-Identifier: Apache-2.0 */
/* Behavioral fingerprint documents (RAD's format and ours) through behavior_parse(). A refused
 * input must come back with no model and a message that names the problem. Whatever is accepted
 * must keep the promises of docs/behavior.md:
 *   - written back with behavior_write(), it parses again and is written byte for byte the same
 *     (the model is canonical);
 *   - merged with itself it is unchanged ("merging A with A gives A"), but for lostEvents,
 *     which add up (two runs that lost events lost them both);
 *   - behavior-diff finds no difference between it and its re-read copy;
 *   - the tree printer (imprint fingerprint show) copes with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint/behavior.h"
#include "fuzz.h"

static char *write_string(const struct behavior *b, size_t *ret_len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, ret_len);
	int r;

	if (!f)
		abort();
	r = behavior_write(b, f);
	if (fclose(f) != 0)
		abort();
	FUZZ_CHECK(r >= 0, "behavior_write() = %d", r);
	return buf;
}

static int count_diff(const struct bdiff_item *item, void *userdata)
{
	(void)item;
	(*(size_t *)userdata)++;
	return 0;
}

static void print_tree(const struct behavior *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	behavior_print_tree(b, false, f);
	behavior_print_tree(b, true, f);
	if (fclose(f) != 0)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(behavior_freep) struct behavior *b = NULL, *back = NULL;
	struct error err = { { 0 } }, err2 = { { 0 } };
	_cleanup_free_ char *text = NULL, *text2 = NULL, *text3 = NULL;
	size_t len, len2, len3, diffs = 0;
	int r;

	r = behavior_parse((const char *)data, size, &b, &err);
	if (r < 0) {
		FUZZ_CHECK(b == NULL && err.message[0], "error %d without a message", r);
		return 0;
	}
	text = write_string(b, &len);
	r = behavior_parse(text, len, &back, &err2);
	FUZZ_CHECK(r >= 0, "an accepted file, written back, is refused: %s\n%s", err2.message,
		   text);
	text2 = write_string(back, &len2);
	FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0, "writing is not stable:\n%s\n%s",
		   text, text2);

	r = behavior_diff(b, back, count_diff, &diffs);
	FUZZ_CHECK(r == 0 && diffs == 0, "a file differs from its copy: %d, %zu", r, diffs);

	r = behavior_merge(back, b, &err2);
	FUZZ_CHECK(r >= 0, "merging a file with itself fails: %d %s", r, err2.message);
	FUZZ_CHECK(back->complete == b->complete, "merging changes complete");
	FUZZ_CHECK(back->lost_events >= b->lost_events, "lost events went down");
	back->lost_events = b->lost_events;
	text3 = write_string(back, &len3);
	FUZZ_CHECK(len == len3 && memcmp(text, text3, len) == 0,
		   "merging a file with itself changes it:\n%s\n%s", text, text3);

	print_tree(b);
	return 0;
}
