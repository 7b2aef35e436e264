/* SPDX-License-Identifier: Apache-2.0 */
/* src/verify: the OCI state document the hook reads, the verdict's JSON form (which imprintd
 * sends and the hook reads back) and its one-line form. */
#include <errno.h>

#include "test-helpers.h"

#include "container/container.h"
#include "verify/verify.h"

static void test_state_parse_good(void **state)
{
	static const char doc[] = "{\"ociVersion\":\"1.0.2\",\"id\":\"abc-1.x_y\",\"status\":"
				  "\"creating\",\"pid\":42,\"bundle\":\"/run/b\"}";
	char *id = NULL, *bundle = NULL;
	struct error err = { 0 };

	assert_int_equal(oci_state_parse(doc, sizeof(doc) - 1, &id, &bundle, &err), 0);
	assert_string_equal(id, "abc-1.x_y");
	assert_string_equal(bundle, "/run/b");
	free(id);
	free(bundle);
}

static void test_state_parse_hostile(void **state)
{
	static const char *const docs[] = {
		"", "null", "[]", "{}", "{\"id\":\"a\"}", "{\"bundle\":\"/b\"}",
		"{\"id\":\"..\",\"bundle\":\"/b\"}", "{\"id\":\"a/b\",\"bundle\":\"/b\"}",
		"{\"id\":\"\",\"bundle\":\"/b\"}", "{\"id\":\"a\",\"bundle\":\"b\"}",
		"{\"id\":\"a\",\"bundle\":7}", "{\"id\":\"a\",\"id\":\"b\",\"bundle\":\"/b\"}",
		"{\"id\":\"a b\",\"bundle\":\"/b\"}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		char *id = NULL, *bundle = NULL;
		struct error err = { 0 };

		if (oci_state_parse(docs[i], strlen(docs[i]), &id, &bundle, &err) != -EBADMSG)
			fail_msg("accepted: %s", docs[i]);
		assert_true(err.message[0] != '\0');
		free(id);
		free(bundle);
	}
}

static void test_result_json_round_trip(void **state)
{
	struct verify_result a, b;
	struct verify_options o = { .mode = VERIFY_ENFORCE };
	json_t *j;

	verify_result_init(&a, "localhost/app:1");
	a.has_config = true;
	digest_parse("sha256:" "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		     &a.config);
	verify_refuse(&a, "layers", NULL, "layer %d differs", 0);
	verify_refuse(&a, "file", "/etc/passwd", "%s: content changed", "/etc/passwd");
	verify_finish(&a, &o);
	assert_true(a.refused);
	assert_false(a.allowed);
	j = verify_result_json(&a);
	assert_non_null(j);
	/* the main reason is the named file, not the first one */
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "file");
	assert_string_equal(json_string_value(json_object_get(j, "path")), "/etc/passwd");

	verify_result_init(&b, NULL);
	assert_int_equal(verify_result_from_json(j, &b), 0);
	assert_true(b.refused);
	assert_false(b.allowed);
	assert_int_equal(b.n_reasons, 2);
	assert_string_equal(b.reasons[1].code, "file");
	assert_string_equal(b.reasons[1].path, "/etc/passwd");
	assert_string_equal(b.image, "localhost/app:1");
	assert_true(b.has_config);
	assert_true(digest_equal(&a.config, &b.config));
	assert_false(b.has_manifest);
	json_decref(j);
	verify_result_release(&a);
	verify_result_release(&b);
}

static void test_result_from_json_hostile(void **state)
{
	static const char *const docs[] = {
		"{}",
		"{\"verdict\":\"maybe\",\"mode\":\"enforce\",\"allowed\":true,\"reasons\":[]}",
		"{\"verdict\":\"allowed\",\"mode\":\"enforce\",\"allowed\":1,\"reasons\":[]}",
		"{\"verdict\":\"allowed\",\"mode\":\"enforce\",\"allowed\":true}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		json_t *j = json_loads(docs[i], 0, NULL);
		struct verify_result r;

		verify_result_init(&r, NULL);
		if (verify_result_from_json(j, &r) != -EBADMSG)
			fail_msg("accepted: %s", docs[i]);
		verify_result_release(&r);
		json_decref(j);
	}
}

static void test_unknown_reason_code_is_error(void **state)
{
	json_t *j = json_loads("{\"verdict\":\"refused\",\"mode\":\"enforce\",\"allowed\":false,"
			       "\"reasons\":[{\"code\":\"bogus\",\"message\":\"m\"}]}",
			       0, NULL);
	struct verify_result r;

	verify_result_init(&r, NULL);
	assert_int_equal(verify_result_from_json(j, &r), 0);
	assert_string_equal(r.reasons[0].code, "error");
	verify_result_release(&r);
	json_decref(j);
}

static void test_monitor_allows_and_says_so(void **state)
{
	struct verify_result r;
	struct verify_options o = { .mode = VERIFY_MONITOR };
	char *line;

	verify_result_init(&r, "img");
	verify_refuse(&r, "unknown-image", NULL, "no policy allows image x");
	verify_finish(&r, &o);
	assert_true(r.refused);
	assert_true(r.allowed);
	line = verify_result_line(&r);
	assert_string_equal(line, "would refuse (monitor) img: no policy allows image x");
	free(line);
	verify_result_release(&r);
}

static void test_reasons_are_capped(void **state)
{
	struct verify_result r;
	struct verify_options o = { 0 };
	char *line;

	verify_result_init(&r, "img");
	for (int i = 0; i < VERIFY_REASONS_MAX + 5; i++)
		verify_refuse(&r, "file", "/x", "/x%d: missing", i);
	verify_finish(&r, &o);
	assert_int_equal(r.n_reasons, VERIFY_REASONS_MAX);
	assert_int_equal(r.n_more, 5);
	line = verify_result_line(&r);
	assert_string_equal(line, "refused img: /x0: missing (+36 more)");
	free(line);
	verify_result_release(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_parse_good),
		cmocka_unit_test(test_state_parse_hostile),
		cmocka_unit_test(test_result_json_round_trip),
		cmocka_unit_test(test_result_from_json_hostile),
		cmocka_unit_test(test_unknown_reason_code_is_error),
		cmocka_unit_test(test_monitor_allows_and_says_so),
		cmocka_unit_test(test_reasons_are_capped),
	};

	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
