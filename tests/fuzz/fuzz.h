/* SPDX-License-Identifier: Apache-2.0 */
/* The libFuzzer entry point every target defines; replay.c calls it on corpus files so corpora run
 * as ordinary tests under any compiler. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message when an invariant of the library does not hold (a finding). */
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "invariant failed: %s: ", #cond);   \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)
