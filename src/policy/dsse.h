/* SPDX-License-Identifier: Apache-2.0 */
/* DSSE envelopes (the in-toto / sigstore Dead Simple Signing Envelope):
 *   {"payloadType": T, "payload": base64(P), "signatures": [{"keyid": K, "sig": base64(S)}]}
 * where S signs PAE(T, P) = "DSSEv1" SP len(T) SP T SP len(P) SP P (lengths in ASCII decimal). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "key.h"

#define DSSE_ENVELOPE_MAX (16u * 1024 * 1024)
#define DSSE_SIGNATURES_MAX 16

int dsse_pae(const char *type, const void *payload, size_t len, uint8_t **ret, size_t *ret_len);

/* Sign payload with key; returns the envelope as JSON text (with a final newline). */
int dsse_sign(const char *type, const void *payload, size_t len, const struct key *key,
	      char **ret);

/* Check an envelope: its payloadType must be type, and one of its signatures must verify with
 * one of the trusted keys. Returns the payload and the key that verified it (borrowed). */
int dsse_verify(const char *envelope, size_t envelope_len, const char *type,
		struct key *const *trusted, size_t n_trusted, uint8_t **ret_payload,
		size_t *ret_len, const struct key **ret_signer, struct error *err);
