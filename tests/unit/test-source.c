/* SPDX-License-Identifier: Apache-2.0 */
/* src/image/image.c: image_source_parse(), the containers-transports syntax (docs/cli.md). */
#include <errno.h>

#include "test-helpers.h"

#include "image/image.h"

static void check_source(const char *source, enum transport want_t, const char *want_loc,
			 const char *want_ref)
{
	struct error err = { { 0 } };
	enum transport t = _TRANSPORT_MAX;
	char *loc = NULL, *ref = NULL;
	int r = image_source_parse(source, &t, &loc, &ref, &err);

	if (r < 0)
		fail_msg("image_source_parse(\"%s\") = %d: %s", source, r, err.message);
	assert_int_equal(t, want_t);
	assert_string_equal(loc, want_loc);
	if (want_ref)
		assert_string_equal(ref, want_ref);
	else
		assert_null(ref);
	free(loc);
	free(ref);
}

static void check_refused(const char *source)
{
	struct error err = { { 0 } };
	enum transport t = _TRANSPORT_MAX;
	char *loc = NULL, *ref = NULL;
	int r = image_source_parse(source, &t, &loc, &ref, &err);

	if (r != -EINVAL)
		fail_msg("image_source_parse(\"%s\") = %d, want -EINVAL", source, r);
	assert_true(err.message[0] != '\0');
	/* outputs untouched */
	assert_int_equal(t, _TRANSPORT_MAX);
	assert_null(loc);
	assert_null(ref);
}

static void test_each_transport(void **state)
{
	check_source("oci:/var/tmp/layout", TRANSPORT_OCI, "/var/tmp/layout", NULL);
	check_source("oci:./layout:latest", TRANSPORT_OCI, "./layout", "latest");
	check_source("oci-archive:busybox.oci.tar", TRANSPORT_OCI_ARCHIVE, "busybox.oci.tar", NULL);
	check_source("oci-archive:/x/busybox.oci.tar:v1", TRANSPORT_OCI_ARCHIVE,
		     "/x/busybox.oci.tar", "v1");
	check_source("docker-archive:busybox.docker.tar", TRANSPORT_DOCKER_ARCHIVE,
		     "busybox.docker.tar", NULL);
	/* a docker REF has colons of its own: only the first one splits */
	check_source("docker-archive:b.tar:localhost/busybox:latest", TRANSPORT_DOCKER_ARCHIVE,
		     "b.tar", "localhost/busybox:latest");
	/* containers-storage and dir have no REF: the whole rest is the name / path */
	check_source("containers-storage:localhost/busybox:latest", TRANSPORT_CONTAINERS_STORAGE,
		     "localhost/busybox:latest", NULL);
	check_source("containers-storage:0123abcd", TRANSPORT_CONTAINERS_STORAGE, "0123abcd", NULL);
	check_source("dir:/srv/rootfs", TRANSPORT_DIR, "/srv/rootfs", NULL);
	check_source("dir:/srv/a:b", TRANSPORT_DIR, "/srv/a:b", NULL);
}

static void test_digest_ref(void **state)
{
	/* "oci:dir:sha256:abc..." splits at the first colon after DIR: the ref is the digest */
	check_source("oci:dir:sha256:9b6d0a1e1c2b3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbce1",
		     TRANSPORT_OCI, "dir",
		     "sha256:9b6d0a1e1c2b3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbce1");
	check_source("oci-archive:f.tar:sha256:abc", TRANSPORT_OCI_ARCHIVE, "f.tar", "sha256:abc");
}

static void test_refused(void **state)
{
	check_refused("");
	check_refused("busybox");
	check_refused("docker://busybox");
	check_refused("docker:busybox");
	check_refused("OCI:layout");
	check_refused("oc:layout");
	check_refused("ocix:layout");
	check_refused("oci-archivex:f.tar");
	check_refused(":layout");
	/* missing location */
	check_refused("oci:");
	check_refused("oci::latest");
	check_refused("oci-archive:");
	check_refused("docker-archive::x");
	check_refused("containers-storage:");
	check_refused("dir:");
	/* empty REF after the colon */
	check_refused("oci:layout:");
}

static void test_transport_names(void **state)
{
	assert_string_equal(transport_to_string(TRANSPORT_OCI), "oci");
	assert_string_equal(transport_to_string(TRANSPORT_OCI_ARCHIVE), "oci-archive");
	assert_string_equal(transport_to_string(TRANSPORT_DOCKER_ARCHIVE), "docker-archive");
	assert_string_equal(transport_to_string(TRANSPORT_CONTAINERS_STORAGE),
			    "containers-storage");
	assert_string_equal(transport_to_string(TRANSPORT_DIR), "dir");
	assert_string_equal(transport_to_string(_TRANSPORT_MAX), "?");
}

static void test_platform_parse(void **state)
{
	struct platform p = { 0 };

	assert_int_equal(platform_parse("linux/amd64", &p), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.architecture, "amd64");
	assert_null(p.variant);
	platform_release(&p);
	assert_int_equal(platform_parse("linux/arm/v7", &p), 0);
	assert_string_equal(p.variant, "v7");
	platform_release(&p);
	assert_null(p.os);

	assert_int_equal(platform_parse("linux", &p), -EINVAL);
	assert_int_equal(platform_parse("/amd64", &p), -EINVAL);
	assert_int_equal(platform_parse("linux/", &p), -EINVAL);
	assert_int_equal(platform_parse("linux/arm/", &p), -EINVAL);
	assert_int_equal(platform_parse("linux/arm/v7/x", &p), -EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_transport),
		cmocka_unit_test(test_digest_ref),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_transport_names),
		cmocka_unit_test(test_platform_parse),
	};

	return cmocka_run_group_tests_name("source", tests, NULL, NULL);
}
