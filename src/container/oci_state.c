/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI state on a hook's stdin (oci_state.h). */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "oci_state.h"

static bool is_safe_id(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= 256 && strcmp(id, ".") != 0 && strcmp(id, "..") != 0 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int oci_state_parse(const char *buf, size_t len, char **ret_id, char **ret_bundle,
		    struct error *err)
{
	json_error_t jerr;
	json_t *j = len <= OCI_STATE_MAX ? json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *bundle = json_string_value(json_object_get(j, "bundle"));
	int r = 0;

	if (!json_is_object(j))
		r = error_set(err, -EBADMSG, "the OCI state on stdin is not a JSON object");
	else if (!id || !is_safe_id(id))
		r = error_set(err, -EBADMSG, "the OCI state has no valid container id");
	else if (!bundle || bundle[0] != '/' || strlen(bundle) >= PATH_MAX)
		r = error_set(err, -EBADMSG, "the OCI state has no absolute bundle path");
	else if (!(*ret_id = strdup(id)) || !(*ret_bundle = strdup(bundle)))
		r = -ENOMEM;
	json_decref(j);
	return r;
}

pid_t oci_state_pid(const char *buf, size_t len)
{
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	json_int_t pid = json_integer_value(json_object_get(j, "pid"));

	json_decref(j);
	return pid > 0 && pid < (1 << 22) ? (pid_t)pid : 0;
}
