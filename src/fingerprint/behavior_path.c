/* SPDX-License-Identifier: Apache-2.0 */
/* Collapsing the volatile parts of the paths a process opens (docs/behavior.md, "Collapse
 * rules"), so that two runs of the same workload record the same paths. Paths are normalized
 * lexically first. Every rule replaces a
 * whole component, or the tail of one, with "*"; the result never contains anything a rule
 * would change again (the function is idempotent), and never grows. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "behavior.h"

/* The components of an absolute path, as (start, length) pairs into the original string. */
struct part {
	const char *s;
	size_t n;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

static bool part_is(const struct part *p, const char *s)
{
	return p->n == strlen(s) && memcmp(p->s, s, p->n) == 0;
}

static bool part_digits(const struct part *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (!is_digit(p->s[i]))
			return false;
	return p->n > 0;
}

/* kubelet's atomic-writer directories: "..2024_01_31_12_13_28.123456789". */
static bool part_kubelet(const struct part *p)
{
	static const char pattern[] = "..dddd_dd_dd_dd_dd_dd.";
	size_t k = sizeof(pattern) - 1;

	if (p->n <= k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (pattern[i] == 'd' ? !is_digit(p->s[i]) : p->s[i] != pattern[i])
			return false;
	for (size_t i = k; i < p->n; i++)
		if (!is_digit(p->s[i]))
			return false;
	return true;
}

/* The length of the random tail of a temporary file's name, 0 if it has none:
 *  (a) six or more decimal digits at the end (Go's os.CreateTemp, PostgreSQL's dsm files:
 *      "nginx-cfg123456789", "PostgreSQL.1804289383"); or else
 *  (b) the last run of six or more ASCII letters and digits, after '.', '-' or '_', that has a
 *      digit or both upper and lower case (mkstemp's and mktemp(1)'s XXXXXX: "tmp.Ab3dEfGh1k",
 *      "ssh-XXXXk2B9q0"); or else
 *  (c) a whole name of six or more ASCII letters and digits with both letters and digits
 *      (Python's "tmpk2j3l4m5"), so that a plain "MyFile" stays. */
static size_t temp_tail(const struct part *p)
{
	size_t d = 0, a = 0;
	bool digit = false, upper = false, lower = false;

	while (d < p->n && is_digit(p->s[p->n - 1 - d]))
		d++;
	if (d >= 6)
		return d;
	while (a < p->n && is_alnum(p->s[p->n - 1 - a])) {
		char c = p->s[p->n - 1 - a];

		digit |= is_digit(c);
		upper |= is_upper(c);
		lower |= is_lower(c);
		a++;
	}
	if (a < 6)
		return 0;
	if (a == p->n)
		return digit && (upper || lower) ? a : 0;
	if (!strchr("._-", p->s[p->n - 1 - a]))
		return 0;
	return digit || (upper && lower) ? a : 0;
}

/* How many leading components name a temporary directory: /tmp, /var/tmp, /dev/shm. */
static size_t temp_root(const struct part *c, size_t n)
{
	if (n >= 2 && part_is(&c[0], "tmp"))
		return 1;
	if (n >= 3 && ((part_is(&c[0], "var") && part_is(&c[1], "tmp")) ||
		       (part_is(&c[0], "dev") && part_is(&c[1], "shm"))))
		return 2;
	return 0;
}

/* Mark which components become "*" (star[i]) under the /proc and /dev/fd rules. */
static void proc_rules(const struct part *c, size_t n, bool *star)
{
	size_t k = 2;

	if (n >= 3 && part_is(&c[0], "dev") && part_is(&c[1], "fd") && part_digits(&c[2]))
		star[2] = true;
	if (n < 2 || !part_is(&c[0], "proc"))
		return;
	star[1] = part_digits(&c[1]);
	if (!star[1] && !part_is(&c[1], "self") && !part_is(&c[1], "thread-self") &&
	    !part_is(&c[1], "*"))
		return;
	if (k + 1 < n && part_is(&c[k], "task") && (part_digits(&c[k + 1]) ||
						     part_is(&c[k + 1], "*"))) {
		star[k + 1] = true;
		k += 2;
	}
	if (k + 1 < n && (part_is(&c[k], "fd") || part_is(&c[k], "fdinfo")) &&
	    part_digits(&c[k + 1]))
		star[k + 1] = true;
}

char *behavior_collapse_path(const char *path)
{
	size_t len = strlen(path), n = 0, troot;
	_cleanup_free_ struct part *c = NULL;
	_cleanup_free_ bool *star = NULL;
	char *out, *o;

	if (path[0] != '/')
		return strdup(path);
	c = calloc(len, sizeof(*c));
	star = calloc(len, sizeof(*star));
	out = malloc(len + 1);
	if (!c || !star || !out) {
		free(out);
		return NULL;
	}
	/* Lexically normalized first: no empty or "." components, ".." drops the one before. */
	for (const char *s = path + 1; *s;) {
		const char *e = strchrnul(s, '/');
		struct part x = { s, (size_t)(e - s) };

		if (part_is(&x, ".."))
			n -= n > 0;
		else if (x.n > 0 && !part_is(&x, "."))
			c[n++] = x;
		s = *e ? e + 1 : e;
	}
	proc_rules(c, n, star);
	troot = temp_root(c, n);
	o = out;
	for (size_t i = 0; i < n; i++) {
		size_t keep = c[i].n;

		*o++ = '/';
		if (star[i] || part_kubelet(&c[i]))
			keep = 0;
		else if (i >= troot && troot > 0)
			keep -= temp_tail(&c[i]);
		memcpy(o, c[i].s, keep);
		o += keep;
		if (keep < c[i].n)
			*o++ = '*';
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}
