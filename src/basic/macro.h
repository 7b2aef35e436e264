/* SPDX-License-Identifier: Apache-2.0 */
/* Small macros used everywhere: cleanup attributes, ownership transfer, array size. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Take ownership of a pointer or fd out of a cleanup variable. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _p_ = (p);     \
		(p) = NULL;                  \
		_p_;                         \
	})
#define TAKE_FD(fd)                  \
	({                           \
		int _fd_ = (fd);     \
		(fd) = -1;           \
		_fd_;                \
	})

/* Declare a cleanup function xxx_freep() for a type with a NULL-safe xxx_free(). */
#define DEFINE_FREEP(type, func)                 \
	static inline void func##p(type **p)     \
	{                                        \
		if (*p)                          \
			func(*p);                \
	}
