/* SPDX-License-Identifier: Apache-2.0 */
/* A verdict and its forms: the line people read, the JSON scripts and imprintd's answers
 * carry, and that JSON read back. Checks that produce verdicts are in verify.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "basic/macro.h"
#include "result.h"

void verify_result_init(struct verify_result *res, const char *image)
{
	*res = (struct verify_result){ .image = image ? strdup(image) : NULL };
}

void verify_result_release(struct verify_result *res)
{
	for (size_t i = 0; i < res->n_reasons; i++) {
		free(res->reasons[i].message);
		free(res->reasons[i].path);
	}
	free(res->image);
	free(res->policy);
	*res = (struct verify_result){ 0 };
}

void verify_refuse(struct verify_result *res, const char *code, const char *path,
		   const char *fmt, ...)
{
	struct verify_reason *r;
	va_list ap;

	res->refused = true;
	if (res->n_reasons == VERIFY_REASONS_MAX) {
		res->n_more++;
		return;
	}
	r = &res->reasons[res->n_reasons++];
	r->code = code;
	r->path = path ? strdup(path) : NULL;
	va_start(ap, fmt);
	if (vasprintf(&r->message, fmt, ap) < 0)
		r->message = NULL;
	va_end(ap);
}

/* The reason that says most: a revocation, then a named file, then the first. */
static const struct verify_reason *main_reason(const struct verify_result *res)
{
	static const char *const order[] = { "revoked", "file", "shadowed", "added" };

	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < res->n_reasons; i++)
			if (strcmp(res->reasons[i].code, order[k]) == 0)
				return &res->reasons[i];
	return res->n_reasons ? &res->reasons[0] : NULL;
}

char *verify_result_line(const struct verify_result *res)
{
	const struct verify_reason *r = main_reason(res);
	const char *verdict = !res->refused ? "allowed" : res->allowed ? "would refuse (monitor)"
								       : "refused";
	const char *image = res->image ? res->image : "image";
	size_t more = res->n_reasons + res->n_more - 1;
	char suffix[48] = "", id[32] = "", short_id[13];

	/* the image ID too, unless the name already holds it */
	snprintf(short_id, sizeof(short_id), "%.12s", res->image_id);
	if (short_id[0] && !strstr(image, short_id))
		snprintf(id, sizeof(id), " (image %s)", short_id);
	if (!r)
		return strdup_printf("%s %s%s%s%s", verdict, image, id,
				     res->policy ? " by policy " : "",
				     res->policy ? res->policy : "");
	if (more)
		snprintf(suffix, sizeof(suffix), " (+%zu more)", more);
	return strdup_printf("%s %s%s: %s%s", verdict, image, id, r->message ? r->message : r->code,
			     suffix);
}

static json_t *digest_json(bool has, const struct digest *d)
{
	char buf[DIGEST_STRING_MAX];

	return has ? json_string(digest_format(d, buf)) : json_null();
}

json_t *verify_result_json(const struct verify_result *res)
{
	const struct verify_reason *top = main_reason(res);
	_cleanup_free_ char *line = NULL;
	json_t *reasons = json_array(), *j;

	for (size_t i = 0; i < res->n_reasons; i++)
		json_array_append_new(reasons,
				      json_pack("{s:s,s:s?,s:s?}", "code", res->reasons[i].code,
						"message", res->reasons[i].message, "path",
						res->reasons[i].path));
	line = verify_result_line(res);
	j = json_pack("{s:s,s:b,s:s,s:s?,s:s?,s:s?,s:s?,s:o,s:{s:o,s:o,s:o},s:s?,s:s?,s:o,s:I,s:I}",
		      "verdict", res->refused ? "refused" : "allowed", "allowed", res->allowed,
		      "mode", res->mode == VERIFY_MONITOR ? "monitor" : "enforce", "message", line,
		      "image", res->image, "imageId", res->image_id[0] ? res->image_id : NULL,
		      "policy", res->policy, "policySerial",
		      res->policy ? json_integer(res->policy_serial) : json_null(), "digests",
		      "manifest", digest_json(res->has_manifest, &res->manifest), "config",
		      digest_json(res->has_config, &res->config), "root",
		      digest_json(res->has_root, &res->root), "reason", top ? top->code : NULL,
		      "path", top ? top->path : NULL, "reasons", reasons, "moreReasons",
		      (json_int_t)res->n_more, "elapsedUs", (json_int_t)res->elapsed_us);
	return j;
}

static const char *const reason_codes[] = { "policy-store", "revoked", "unknown-image",
					    "integrity", "layers", "content", "file", "shadowed",
					    "added", "error" };

/* Reason codes are static strings: map a parsed one back to ours. */
static const char *reason_code(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(reason_codes); i++)
		if (strcmp(s, reason_codes[i]) == 0)
			return reason_codes[i];
	return "error";
}

static void digest_from_json(json_t *v, bool *has, struct digest *d)
{
	*has = json_is_string(v) && digest_parse(json_string_value(v), d) == 0;
}

int verify_result_from_json(json_t *j, struct verify_result *res)
{
	const char *verdict = json_string_value(json_object_get(j, "verdict"));
	const char *mode = json_string_value(json_object_get(j, "mode"));
	json_t *allowed = json_object_get(j, "allowed"), *digests = json_object_get(j, "digests");
	json_t *reasons = json_object_get(j, "reasons"), *v;
	size_t i;

	if (!verdict || !mode || !json_is_boolean(allowed) || !json_is_array(reasons) ||
	    (strcmp(verdict, "allowed") != 0 && strcmp(verdict, "refused") != 0))
		return -EBADMSG;
	free(res->image);
	res->image = json_string_value(json_object_get(j, "image"))
			     ? strdup(json_string_value(json_object_get(j, "image")))
			     : NULL;
	if (json_string_value(json_object_get(j, "policy")))
		res->policy = strdup(json_string_value(json_object_get(j, "policy")));
	res->policy_serial = json_integer_value(json_object_get(j, "policySerial"));
	snprintf(res->image_id, sizeof(res->image_id), "%s",
		 json_string_value(json_object_get(j, "imageId")) ?: "");
	if (!digest_is_hex(res->image_id))
		res->image_id[0] = '\0';
	digest_from_json(json_object_get(digests, "manifest"), &res->has_manifest, &res->manifest);
	digest_from_json(json_object_get(digests, "config"), &res->has_config, &res->config);
	digest_from_json(json_object_get(digests, "root"), &res->has_root, &res->root);
	json_array_foreach(reasons, i, v) {
		const char *path = json_string_value(json_object_get(v, "path"));
		const char *msg = json_string_value(json_object_get(v, "message"));

		verify_refuse(res, reason_code(json_string_value(json_object_get(v, "code"))), path,
			      "%s", msg ? msg : "(no message)");
	}
	res->n_more += (size_t)json_integer_value(json_object_get(j, "moreReasons"));
	/* The verdict stands as the daemon gave it, reasons or not. */
	res->refused = strcmp(verdict, "refused") == 0;
	res->allowed = json_is_true(allowed);
	res->mode = strcmp(mode, "monitor") == 0 ? VERIFY_MONITOR : VERIFY_ENFORCE;
	return 0;
}
