/* SPDX-License-Identifier: Apache-2.0 */
/* src/cli/conf.c: the configuration file and its drop-ins, the precedence of the environment
 * and of imprint-runc's runtime arguments, and the errors that name the file and line.
 *
 * Ownership: each test writes its files in its own temporary directory (tmpdir()) and removes
 * it; configurations are freed by their cleanup attribute. The IMPRINT_* variables the tests
 * set are unset again by setup(). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-helpers.h"

#include "cli/conf.h"

static const char *const env_vars[] = { "IMPRINT_CONFIG", "IMPRINT_MODE", "IMPRINT_POLICY_DIR",
					"IMPRINT_STORAGE_ROOT", "IMPRINT_AUDIT_LOG",
					"IMPRINT_PARANOID", "IMPRINT_RUNTIME", "IMPRINT_THREADS" };

static int setup(void **state)
{
	char tmpl[] = "/tmp/imprint-test-conf-XXXXXX";

	for (size_t i = 0; i < ARRAY_SIZE(env_vars); i++)
		unsetenv(env_vars[i]);
	assert_non_null(mkdtemp(tmpl));
	*state = strdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = strdup_printf("rm -rf -- '%s'", (char *)*state);

	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to DIR/name (a new string with the path). */
static char *put(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = strdup_printf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

#define PUT(dir, name, text) put(dir, name, text, strlen(text))

static void test_parse(void **state)
{
	_cleanup_free_ char *f = PUT(*state, "imprint.conf",
				     "# a comment\n"
				     "\n"
				     "   # indented comment\n"
				     "mode=monitor\n"
				     "  policy-dir  =   /etc/p d  \t\n"
				     "audit-log =\n"
				     "paranoid = true\r\n"
				     "threads = 4\n"
				     "protect = off");
	_cleanup_(conf_freep) struct conf *c = NULL;
	struct error err = { 0 };

	assert_int_equal(conf_load(f, &c, &err), 0);
	assert_string_equal(conf_get(c, "mode"), "monitor");
	assert_string_equal(conf_get(c, "policy-dir"), "/etc/p d");
	assert_string_equal(conf_get(c, "audit-log"), ""); /* empty: none */
	assert_string_equal(conf_get(c, "paranoid"), "yes");
	assert_true(conf_get_bool(c, "paranoid", false));
	assert_false(conf_get_bool(c, "protect", true));
	assert_true(conf_get_bool(c, "drift", true)); /* unset: the caller's default */
	assert_int_equal(conf_get_number(c, "threads", 0), 4);
	assert_null(conf_get(c, "keys-dir"));
	assert_null(conf_get(NULL, "mode"));
}

/* The file's error for text, "FILE:LINE: ..." with FILE the path written. */
static void assert_file_error(const char *dir, const char *text, size_t len, int line,
			      const char *what)
{
	_cleanup_free_ char *f = put(dir, "bad.conf", text, len);
	_cleanup_free_ char *want = line ? strdup_printf("%s:%d: %s", f, line, what)
					 : strdup_printf("%s: %s", f, what);
	_cleanup_(conf_freep) struct conf *c = NULL;
	struct error err = { 0 };

	assert_true(conf_load(f, &c, &err) < 0);
	assert_null(c);
	assert_string_equal(err.message, want);
}

#define ERR(dir, text, line, what) assert_file_error(dir, text, sizeof(text) - 1, line, what)

static void test_errors(void **state)
{
	const char *d = *state;
	_cleanup_free_ char *big = malloc(CONF_FILE_MAX + 2), *many = NULL;
	_cleanup_free_ char *missing = strdup_printf("%s/nope.conf", d);
	_cleanup_(conf_freep) struct conf *c = NULL;
	struct error err = { 0 };
	size_t n = 0;

	ERR(d, "# ok\n\nmode = enforce\nbogus = 1\n", 4, "unknown key 'bogus'");
	ERR(d, "mode enforce\n", 1, "want key = value");
	ERR(d, "\n= x\n", 2, "want key = value");
	ERR(d, "mode = monitr\n", 1, "mode must be enforce or monitor, not 'monitr'");
	ERR(d, "\r\n\n\nthreads = -1\n", 4, "threads wants a number from 0 to 64, not '-1'");
	ERR(d, "threads = 65\n", 1, "threads wants a number from 0 to 64, not '65'");
	ERR(d, "policy-dir =\n", 1, "policy-dir wants a value");
	ERR(d, "drift = maybe\n", 1, "drift must be yes or no, not 'maybe'");
	ERR(d, "mode = enforce\0x\n", 0, "not a text file");
	assert_non_null(big);
	memset(big, '#', CONF_FILE_MAX + 1);
	assert_file_error(d, big, CONF_FILE_MAX + 1, 0, "larger than 65536 bytes");
	many = calloc(CONF_LINES_MAX + 1, 16);
	assert_non_null(many);
	for (int i = 0; i <= CONF_LINES_MAX; i++)
		n += (size_t)snprintf(many + n, 16, "threads = %d\n", i % 10);
	assert_file_error(d, many, n, CONF_LINES_MAX + 1, "more than 256 settings");
	/* a missing file named explicitly is an error; "" reads none */
	assert_int_equal(conf_load(missing, &c, &err), -ENOENT);
	assert_non_null(strstr(err.message, "nope.conf: No such file"));
	assert_int_equal(conf_load("", &c, &err), 0);
	assert_null(conf_get(c, "mode"));
}

static void test_dropins(void **state)
{
	const char *d = *state;
	_cleanup_free_ char *f = PUT(d, "main.conf", "mode = monitor\npolicy-dir = /main\n"
						     "storage-root = /s1\n");
	_cleanup_free_ char *dir = strdup_printf("%s/main.conf.d", d);
	_cleanup_free_ char *a = NULL, *b = NULL, *h = NULL, *t = NULL, *bad = NULL;
	_cleanup_(conf_freep) struct conf *c = NULL;
	struct error err = { 0 };
	const char *roots[4];

	assert_int_equal(mkdir(dir, 0755), 0);
	b = PUT(dir, "20-b.conf", "policy-dir = /b\nstorage-root = /s3\n");
	a = PUT(dir, "10-a.conf", "policy-dir = /a\nkeys-dir = /a-keys\nstorage-root = /s2\n");
	h = PUT(dir, ".hidden.conf", "bogus = 1\n"); /* not read */
	t = PUT(dir, "notes.txt", "bogus = 1\n");     /* not read */
	assert_int_equal(conf_load(f, &c, &err), 0);
	assert_string_equal(conf_get(c, "policy-dir"), "/b"); /* 20 after 10 after the file */
	assert_string_equal(conf_get(c, "keys-dir"), "/a-keys");
	assert_string_equal(conf_get(c, "mode"), "monitor");
	/* a repeatable key: every line of the files, in order */
	assert_int_equal(conf_get_all(c, "storage-root", roots, 4), 3);
	assert_string_equal(roots[0], "/s1");
	assert_string_equal(roots[2], "/s3");
	assert_string_equal(conf_get(c, "storage-root"), "/s3");
	c = conf_free(c);
	/* a bad drop-in names its own file and line */
	bad = PUT(dir, "30-bad.conf", "\nmode = x\n");
	assert_true(conf_load(f, &c, &err) < 0);
	assert_non_null(strstr(err.message, "main.conf.d/30-bad.conf:2: mode must be"));
}

static void test_precedence(void **state)
{
	const char *d = *state;
	_cleanup_free_ char *f = PUT(d, "imprint.conf", "mode = monitor\npolicy-dir = /file\n"
							"storage-root = /s1\nstorage-root = /s2\n"
							"audit-log = /file.log\n");
	_cleanup_free_ char *g = PUT(d, "other.conf", "keys-dir = /other\n");
	_cleanup_(conf_freep) struct conf *c = NULL;
	struct error err = { 0 };
	const char *roots[4];

	/* IMPRINT_CONFIG names the file; the environment beats the file */
	setenv("IMPRINT_CONFIG", f, 1);
	setenv("IMPRINT_POLICY_DIR", "/env", 1);
	setenv("IMPRINT_STORAGE_ROOT", "/env-root", 1);
	setenv("IMPRINT_AUDIT_LOG", "", 1);  /* empty: none, where the key may be empty */
	setenv("IMPRINT_RUNTIME", "", 1);    /* empty: unset, as before */
	assert_int_equal(conf_load(NULL, &c, &err), 0);
	assert_string_equal(conf_get(c, "mode"), "monitor");
	assert_string_equal(conf_get(c, "policy-dir"), "/env");
	assert_string_equal(conf_get(c, "audit-log"), "");
	assert_null(conf_get(c, "runtime"));
	assert_int_equal(conf_get_all(c, "storage-root", roots, 4), 1);
	assert_string_equal(roots[0], "/env-root");
	/* a command line beats both */
	assert_int_equal(conf_set(c, "policy-dir", "/arg", "--policy-dir", &err), 0);
	assert_string_equal(conf_get(c, "policy-dir"), "/arg");
	assert_true(conf_set(c, "bogus", "1", "--bogus", &err) < 0);
	assert_string_equal(err.message, "--bogus: unknown key 'bogus'");
	c = conf_free(c);
	/* an explicit path beats IMPRINT_CONFIG; IMPRINT_CONFIG= reads none */
	assert_int_equal(conf_load(g, &c, &err), 0);
	assert_string_equal(conf_get(c, "keys-dir"), "/other");
	assert_null(conf_get(c, "mode"));
	c = conf_free(c);
	setenv("IMPRINT_CONFIG", "", 1);
	assert_int_equal(conf_load(NULL, &c, &err), 0);
	assert_null(conf_get(c, "mode"));
	assert_string_equal(conf_get(c, "policy-dir"), "/env");
	c = conf_free(c);
	/* a bad variable is an error that names it */
	setenv("IMPRINT_PARANOID", "maybe", 1);
	err = (struct error){ 0 };
	assert_true(conf_load(NULL, &c, &err) < 0);
	assert_string_equal(err.message,
			    "IMPRINT_PARANOID: paranoid must be yes or no, not 'maybe'");
}

static void test_path_from_args(void **state)
{
	char *a[] = { "hook", "--mode", "monitor", "--config", "/a", "--config=/b", NULL };
	char *b[] = { "verify", "--config=", "--", "--config", "/c", NULL };
	char *c[] = { "verify", "--policy-dir", "/p", NULL };

	assert_string_equal(conf_path_from_args(6, a), "/b");
	assert_string_equal(conf_path_from_args(5, b), "");
	assert_null(conf_path_from_args(3, c));
}

/* argv as one string, for comparisons. */
static char *joined(int argc, char **argv)
{
	char buf[1024] = "";

	assert_null(argv[argc]);
	for (int i = 0; i < argc; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 argv[i]);
	return strdup(buf);
}

static void test_runtime_args(void **state)
{
	_cleanup_free_ char *f = PUT(*state, "docker.conf",
				     "policy-dir = /docker\nmode = enforce\n");
	_cleanup_free_ char *cfg = strdup_printf("--imprint-config=%s", f), *s = NULL;
	char *argv[] = { "imprint-runc", cfg, "--imprint-mode=monitor", "--root", "/x", "create",
			 "--bundle", "/b", "--imprint-mode=enforce", "id", NULL };
	_cleanup_(conf_freep) struct conf *c = NULL;
	struct error err = { 0 };
	int argc = conf_runtime_args(10, argv, &c, &err);

	assert_string_equal(err.message, "");
	s = joined(argc, argv);
	/* runc's own arguments unchanged; an --imprint- argument after them is runc's */
	assert_string_equal(s,
			    "imprint-runc --root /x create --bundle /b --imprint-mode=enforce id");
	assert_string_equal(conf_get(c, "policy-dir"), "/docker");
	assert_string_equal(conf_get(c, "mode"), "monitor"); /* the argument beats the file */
}

static void test_runtime_args_bad(void **state)
{
	char *a[] = { "imprint-runc", "--imprint-bogus=1", "--imprint-mode=monitor", "list", NULL };
	char *b[] = { "imprint-runc", "--imprint-mode", "monitor", "state", "x", NULL };
	char *e[] = { "imprint-runc", "--root", "/x", "--imprint-mode=monitor", "list", NULL };
	_cleanup_free_ char *missing = strdup_printf("--imprint-config=%s/nope", (char *)*state);
	char *m[] = { "imprint-runc", missing, "--imprint-paranoid=yes", "run", "id", NULL };
	struct conf *c = NULL;
	struct error err = { 0 };
	char *s;
	int argc;

	/* an unknown key is reported; the rest is applied and stripped */
	argc = conf_runtime_args(4, a, &c, &err);
	assert_string_equal(err.message, "--imprint-bogus=1: unknown key 'bogus'");
	assert_string_equal(conf_get(c, "mode"), "monitor");
	s = joined(argc, a);
	assert_string_equal(s, "imprint-runc list");
	free(s);
	c = conf_free(c);
	/* --imprint-KEY VALUE is not the form: the value is runc's then */
	err = (struct error){ 0 };
	argc = conf_runtime_args(5, b, &c, &err);
	assert_string_equal(err.message, "--imprint-mode: want --imprint-KEY=VALUE");
	assert_int_equal(argc, 4);
	assert_null(conf_get(c, "mode"));
	c = conf_free(c);
	/* nothing after the first argument that is not ours is stripped */
	err = (struct error){ 0 };
	argc = conf_runtime_args(5, e, &c, &err);
	assert_int_equal(argc, 5);
	assert_string_equal(err.message, "");
	assert_null(conf_get(c, "mode"));
	c = conf_free(c);
	/* a missing file is reported; the other arguments still count */
	err = (struct error){ 0 };
	argc = conf_runtime_args(5, m, &c, &err);
	assert_int_equal(argc, 3);
	assert_non_null(strstr(err.message, "/nope: No such file or directory"));
	assert_true(conf_get_bool(c, "paranoid", false));
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_from_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runtime_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runtime_args_bad, setup, teardown),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
