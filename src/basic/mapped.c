/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a file through a memory mapping, with SIGBUS turned into an error (see mapped.h).
 *
 * The SIGBUS handler is process-wide and installed once, on first use. It acts only when the
 * faulting thread is inside mapped_consume() (bus_jump, thread-local, is set): it jumps back to
 * mapped_consume(), which unmaps and fails. Any other SIGBUS goes to the handler that was there
 * before, or to the default action (the fault repeats with it restored). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "mapped.h"

#define WINDOW (2u << 20)

static _Thread_local sigjmp_buf *bus_jump;
static struct sigaction previous;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static bool installed;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
	if (bus_jump)
		siglongjmp(*bus_jump, 1);
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, info, uctx);
	} else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
	} else {
		/* Returning re-runs the faulting access, which now gets the default action. */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigaction(SIGBUS, &dfl, NULL);
	}
}

static void install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	installed = sigaction(SIGBUS, &sa, &previous) == 0;
}

int mapped_consume(int fd, uint64_t size, void (*consume)(void *ctx, const void *data, size_t n),
		   void *ctx)
{
	sigjmp_buf jump;
	/* Changed between sigsetjmp() and a possible siglongjmp(): volatile. */
	void *volatile map = MAP_FAILED;
	volatile size_t map_len = 0;
	volatile uint64_t offset = 0;
	int r = 0;

	pthread_once(&install_once, install);
	if (!installed)
		return -EOPNOTSUPP;
	if (sigsetjmp(jump, 1)) {
		/* SIGBUS: the file shrank under the mapping. */
		bus_jump = NULL;
		if (map != MAP_FAILED)
			munmap(map, map_len);
		return -ESTALE;
	}
	bus_jump = &jump;
	while (offset < size) {
		size_t len = size - offset < WINDOW ? (size_t)(size - offset) : WINDOW;
		void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, (off_t)offset);

		if (p == MAP_FAILED) {
			/* Nothing consumed yet: the caller can still read() instead. */
			r = offset == 0 ? -EOPNOTSUPP : -errno;
			break;
		}
		map_len = len;
		map = p;
		consume(ctx, p, len);
		map = MAP_FAILED;
		munmap(p, len);
		offset += len;
	}
	bus_jump = NULL;
	return r;
}
