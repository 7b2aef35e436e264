/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/base64.h"
#include "basic/fs.h"
#include "basic/macro.h"
#include "dsse.h"

int dsse_pae(const char *type, const void *payload, size_t len, uint8_t **ret, size_t *ret_len)
{
	char head[128];
	size_t tlen = strlen(type);
	int n = snprintf(head, sizeof(head), "DSSEv1 %zu ", tlen);
	char mid[32];
	int m = snprintf(mid, sizeof(mid), " %zu ", len);
	size_t total = (size_t)n + tlen + (size_t)m + len;
	uint8_t *out = malloc(total + 1);

	if (!out)
		return -ENOMEM;
	memcpy(out, head, (size_t)n);
	memcpy(out + n, type, tlen);
	memcpy(out + n + tlen, mid, (size_t)m);
	memcpy(out + n + tlen + m, payload, len);
	*ret = out;
	*ret_len = total;
	return 0;
}

int dsse_sign(const char *type, const void *payload, size_t len, const struct key *key,
	      char **ret)
{
	_cleanup_free_ uint8_t *pae = NULL;
	_cleanup_free_ char *payload64 = NULL, *sig64 = NULL;
	uint8_t sig[ED25519_SIG_SIZE];
	size_t pae_len;
	json_t *env;
	char *s;
	int r;

	r = dsse_pae(type, payload, len, &pae, &pae_len);
	if (r >= 0)
		r = key_sign(key, pae, pae_len, sig);
	if (r >= 0)
		r = base64_encode(payload, len, &payload64);
	if (r >= 0)
		r = base64_encode(sig, sizeof(sig), &sig64);
	if (r < 0)
		return r;
	env = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payloadType", type, "payload", payload64,
			"signatures", "keyid", key->id, "sig", sig64);
	s = env ? json_dumps(env, JSON_INDENT(2)) : NULL;
	json_decref(env);
	if (!s)
		return -ENOMEM;
	*ret = strdup_printf("%s\n", s);
	free(s);
	return *ret ? 0 : -ENOMEM;
}

int dsse_verify(const char *envelope, size_t envelope_len, const char *type,
		struct key *const *trusted, size_t n_trusted, uint8_t **ret_payload,
		size_t *ret_len, const struct key **ret_signer, struct error *err)
{
	_cleanup_free_ uint8_t *payload = NULL, *pae = NULL;
	json_t *env, *sigs, *s;
	const char *ptype, *p64;
	size_t len, pae_len, i;
	json_error_t jerr;
	int r;

	if (envelope_len > DSSE_ENVELOPE_MAX)
		return error_set(err, -EFBIG, "envelope larger than %u bytes", DSSE_ENVELOPE_MAX);
	env = json_loadb(envelope, envelope_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(env)) {
		json_decref(env);
		return error_set(err, -EBADMSG, "not a DSSE envelope: malformed JSON (line %d: %s)",
				 jerr.line, jerr.text);
	}
	ptype = json_string_value(json_object_get(env, "payloadType"));
	p64 = json_string_value(json_object_get(env, "payload"));
	sigs = json_object_get(env, "signatures");
	if (!ptype || !p64 || !json_is_array(sigs)) {
		r = error_set(err, -EBADMSG, "not a DSSE envelope (payloadType, payload, signatures)");
		goto out;
	}
	if (strcmp(ptype, type) != 0) {
		r = error_set(err, -EMEDIUMTYPE, "payloadType is '%s', want '%s'", ptype, type);
		goto out;
	}
	if (json_array_size(sigs) == 0 || json_array_size(sigs) > DSSE_SIGNATURES_MAX) {
		r = error_set(err, -EBADMSG, "envelope has %zu signatures (want 1 to %d)",
			      json_array_size(sigs), DSSE_SIGNATURES_MAX);
		goto out;
	}
	r = base64_decode(p64, &payload, &len);
	if (r < 0) {
		r = error_set(err, -EBADMSG, "payload is not valid base64");
		goto out;
	}
	r = dsse_pae(type, payload, len, &pae, &pae_len);
	if (r < 0)
		goto out;
	json_array_foreach(sigs, i, s) {
		const char *keyid = json_string_value(json_object_get(s, "keyid"));
		const char *sig64 = json_string_value(json_object_get(s, "sig"));
		_cleanup_free_ uint8_t *sig = NULL;
		size_t sig_len;

		if (!sig64 || base64_decode(sig64, &sig, &sig_len) < 0)
			continue;
		for (size_t k = 0; k < n_trusted; k++) {
			/* keyid is a hint: an empty one means "try every key". */
			if (keyid && *keyid && strcmp(keyid, trusted[k]->id) != 0)
				continue;
			if (key_verify(trusted[k], pae, pae_len, sig, sig_len) == 0) {
				*ret_payload = TAKE_PTR(payload);
				*ret_len = len;
				if (ret_signer)
					*ret_signer = trusted[k];
				r = 0;
				goto out;
			}
		}
	}
	r = error_set(err, -EKEYREJECTED,
		      "no valid signature by a trusted key (%zu signature%s, %zu trusted key%s)",
		      json_array_size(sigs), json_array_size(sigs) == 1 ? "" : "s", n_trusted,
		      n_trusted == 1 ? "" : "s");
out:
	json_decref(env);
	return r;
}
