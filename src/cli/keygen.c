/* SPDX-License-Identifier: Apache-2.0 */
/* imprint keygen: an Ed25519 key pair for signing policies. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "policy/key.h"

static void help(void)
{
	printf("Usage: imprint keygen --out NAME [--json]\n\n"
	       "Generate an Ed25519 key pair: NAME.key (private, PEM PKCS#8, mode 0600) and\n"
	       "NAME.pub (public, PEM). Existing files are never overwritten. The key id printed\n"
	       "is the SHA-256 of the public key (DER SubjectPublicKeyInfo), the keyid that\n"
	       "signatures carry. Keep NAME.key off the devices; install NAME.pub in\n"
	       "/etc/imprint/keys/.\n\n"
	       "Options:\n"
	       "  -o, --out NAME       file name prefix (required)\n"
	       "  --json               print {\"keyid\", \"private\", \"public\"}\n"
	       "  -h, --help           this help\n\n"
	       "Exit codes: 0 success, 2 error (including: a file exists).\n");
}

int verb_keygen(int argc, char **argv)
{
	static const struct option options[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli c = { .verb = "keygen" };
	_cleanup_(key_freep) struct key *key = NULL;
	struct error err = { 0 };
	const char *name = NULL;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			return EXIT_OK;
		case 'o':
			name = optarg;
			break;
		case OPT_JSON:
			c.json = true;
			break;
		default:
			return cli_usage(&c, "invalid option");
		}
	}
	if (!name || optind != argc)
		return cli_usage(&c, "want --out NAME and no other argument");
	r = key_generate(name, &key, &err);
	if (r < 0)
		return cli_error_from(&c, r, &err);
	if (c.json) {
		json_t *o = json_pack("{s:s,s:s+,s:s+}", "keyid", key->id, "private", name, ".key",
				      "public", name, ".pub");
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(o);
	} else {
		printf("%s %s.key %s.pub\n", key->id, name, name);
	}
	return EXIT_OK;
}
