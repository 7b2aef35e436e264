/* SPDX-License-Identifier: Apache-2.0 */
/* imprint policy: build, sign and check allowlist policies (docs/policy.md). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "cli.h"
#include "policy/policy.h"

#define KEYS_MAX 16

static void help(void)
{
	printf("Usage: imprint policy COMMAND [OPTIONS] ARGS\n\n"
	       "Build, sign and check allowlist policies (docs/policy.md).\n\n"
	       "Commands:\n"
	       "  init FILE --name NAME [--expires TIME] [--default deny|allow]\n"
	       "                       a new, empty, unsigned policy (serial 1)\n"
	       "  add FILE SOURCE [--image-name PATTERN] [--mode enforce|monitor]\n"
	       "      [--enforcement exec=MODE,network=MODE,files=MODE,tree-aware,raw-sockets,\n"
	       "                     loader-as-program]\n"
	       "                       pin an image: its digests, root digest and layer tables;\n"
	       "                       --enforcement: what imprintd does to its running\n"
	       "                       containers (MODE off|monitor|enforce; default all off)\n"
	       "  remove FILE DIGEST   drop the entries pinning DIGEST (manifest or config)\n"
	       "  revoke FILE DIGEST [--reason TEXT]\n"
	       "                       deny DIGEST whatever else allows it\n"
	       "  list FILE [--json]   the images of an unsigned policy\n"
	       "  sign FILE --key KEY.key [-o OUT]\n"
	       "                       write the DSSE envelope (default FILE.dsse)\n"
	       "  verify SIGNED --key KEY.pub...\n"
	       "                       check signature, content and expiry\n"
	       "  show SIGNED --key KEY.pub... [--json]\n"
	       "                       verify, then print the policy\n\n"
	       "Every change (add, remove, revoke) increments the serial.\n"
	       "TIME is RFC 3339 UTC, e.g. 2027-01-01T00:00:00Z.\n\n"
	       "Exit codes: 0 success (verify: valid), 1 verify: invalid signature, untrusted key\n"
	       "or expired, 2 error.\n");
}

enum { OPT_NAME = 0x200, OPT_EXPIRES, OPT_DEFAULT, OPT_IMAGE_NAME, OPT_ENTRY_MODE, OPT_KEY,
       OPT_REASON, OPT_ENFORCEMENT };

struct policy_args {
	struct cli c;
	struct source_options so;
	const char *name, *expires, *default_action, *image_name, *mode, *output, *reason;
	const char *enforcement;
	const char *keys[KEYS_MAX];
	size_t n_keys;
	char **args;
	int n_args;
};

static int parse(struct policy_args *a, int argc, char **argv)
{
	static const struct option options[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ "default", required_argument, NULL, OPT_DEFAULT },
		{ "image-name", required_argument, NULL, OPT_IMAGE_NAME },
		{ "mode", required_argument, NULL, OPT_ENTRY_MODE },
		{ "enforcement", required_argument, NULL, OPT_ENFORCEMENT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		SOURCE_LONG_OPTIONS,
		{ 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			return 0;
		case OPT_NAME: a->name = optarg; break;
		case OPT_EXPIRES: a->expires = optarg; break;
		case OPT_DEFAULT: a->default_action = optarg; break;
		case OPT_IMAGE_NAME: a->image_name = optarg; break;
		case OPT_ENTRY_MODE: a->mode = optarg; break;
		case OPT_ENFORCEMENT: a->enforcement = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case 'o': a->output = optarg; break;
		case OPT_JSON: a->c.json = true; break;
		case OPT_KEY:
			if (a->n_keys == KEYS_MAX)
				return cli_usage(&a->c, "at most %d keys", KEYS_MAX), -1;
			a->keys[a->n_keys++] = optarg;
			break;
		default:
			if (source_options_parse(&a->so, &a->c, opt, optarg) <= 0)
				return cli_usage(&a->c, "invalid option"), -1;
		}
	}
	a->args = argv + optind;
	a->n_args = argc - optind;
	return 1;
}

static int print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2));

	printf("%s\n", s ? s : "null");
	free(s);
	return EXIT_OK;
}

static int do_init(struct policy_args *a)
{
	struct error err = { 0 };
	json_t *p = NULL;
	int r;

	if (a->n_args != 1 || !a->name)
		return cli_usage(&a->c, "want: init FILE --name NAME");
	if (access(a->args[0], F_OK) == 0)
		return cli_error(&a->c, "%s exists already; not overwriting", a->args[0]);
	r = policy_new(a->name, a->expires, a->default_action ?: "deny", &p, &err);
	if (r >= 0)
		r = policy_write(p, a->args[0], &err);
	json_decref(p);
	return r < 0 ? cli_error_from(&a->c, r, &err) : EXIT_OK;
}

/* Load FILE, apply a change, write it back. */
static int modify(struct policy_args *a, int (*change)(struct policy_args *a, json_t *p,
						     struct error *err))
{
	struct error err = { 0 };
	json_t *p = NULL;
	int r = policy_read(a->args[0], &p, &err);

	if (r >= 0)
		r = change(a, p, &err);
	if (r >= 0)
		r = policy_write(p, a->args[0], &err);
	if (r >= 0 && !a->c.json)
		printf("%s: serial %lld\n", a->args[0],
		       (long long)json_integer_value(json_object_get(p, "serial")));
	json_decref(p);
	return r < 0 ? cli_error_from(&a->c, r, &err) : EXIT_OK;
}

static int change_add(struct policy_args *a, json_t *p, struct error *err)
{
	_cleanup_(image_freep) struct image *img = NULL;
	_cleanup_(fingerprint_freep) struct fingerprint *fp = NULL;
	struct fingerprint_options fo = { 0 };
	int r = source_options_finish(&a->so);

	if (r >= 0)
		r = image_open(a->args[1], &a->so.image, &img, err);
	if (r < 0)
		return r;
	fo.excludes = a->so.excludes;
	fo.n_excludes = a->so.n_excludes;
	fo.threads = a->so.threads;
	r = fingerprint_image(img, &fo, &fp, err);
	if (r < 0)
		return r;
	/* the name people know it by: --name, else the name the source gives it */
	r = policy_add_image(p, fp, a->image_name ?: img->name, a->mode ?: "enforce", err);
	if (r >= 0 && a->enforcement) {
		char cd[DIGEST_STRING_MAX];
		json_t *e;

		r = policy_enforcement_parse(a->enforcement, &e, err);
		if (r >= 0)
			r = policy_set_enforcement(p, digest_format(&fp->config_digest, cd), e, err);
	}
	return r;
}

static int do_add(struct policy_args *a)
{
	if (a->n_args != 2)
		return cli_usage(&a->c, "want: add FILE SOURCE");
	if (a->mode && strcmp(a->mode, "enforce") && strcmp(a->mode, "monitor"))
		return cli_usage(&a->c, "--mode is enforce or monitor");
	return modify(a, change_add);
}

static int change_remove(struct policy_args *a, json_t *p, struct error *err)
{
	int n = policy_remove_image(p, a->args[1], err);

	return n == 0 ? error_set(err, -ENOENT, "no image pinned by %s", a->args[1]) : n;
}

static int do_remove(struct policy_args *a)
{
	if (a->n_args != 2)
		return cli_usage(&a->c, "want: remove FILE DIGEST");
	return modify(a, change_remove);
}

static int change_revoke(struct policy_args *a, json_t *p, struct error *err)
{
	return policy_revoke(p, a->args[1], a->reason, err);
}

static int do_revoke(struct policy_args *a)
{
	if (a->n_args != 2)
		return cli_usage(&a->c, "want: revoke FILE DIGEST");
	return modify(a, change_revoke);
}

static void print_images(json_t *p)
{
	json_t *v;
	size_t i;

	printf("policy %s serial %lld, default %s%s%s\n",
	       json_string_value(json_object_get(p, "name")),
	       (long long)json_integer_value(json_object_get(p, "serial")),
	       json_string_value(json_object_get(p, "defaultAction")),
	       json_string_value(json_object_get(p, "expires")) ? ", expires " : "",
	       json_string_value(json_object_get(p, "expires")) ?: "");
	json_array_foreach(json_object_get(p, "images"), i, v) {
		struct policy_enforcement e;

		policy_entry_enforcement(v, &e);
		printf("  %-7s %s %s", json_string_value(json_object_get(v, "mode")),
		       json_string_value(json_object_get(v, "configDigest")) ?: "-",
		       json_string_value(json_object_get(v, "name")) ?: "");
		if (json_object_get(v, "enforcement"))
			printf(" (runtime: exec %s, network %s, files %s%s%s%s)",
			       policy_enforce_to_string(e.exec), policy_enforce_to_string(e.network),
			       policy_enforce_to_string(e.files), e.tree_aware ? ", tree-aware" : "",
			       e.raw_sockets ? ", raw-sockets" : "",
			       e.loader_as_program ? ", loader-as-program" : "");
		printf("\n");
	}
	json_array_foreach(json_object_get(p, "revocations"), i, v)
		printf("  revoked %s %s\n", json_string_value(json_object_get(v, "digest")),
		       json_string_value(json_object_get(v, "reason")) ?: "");
}

static int do_list(struct policy_args *a)
{
	struct error err = { 0 };
	json_t *p = NULL;
	int r;

	if (a->n_args != 1)
		return cli_usage(&a->c, "want: list FILE");
	r = policy_read(a->args[0], &p, &err);
	if (r < 0)
		return cli_error_from(&a->c, r, &err);
	if (a->c.json)
		print_json(p);
	else
		print_images(p);
	json_decref(p);
	return EXIT_OK;
}

static int do_sign(struct policy_args *a)
{
	_cleanup_(key_freep) struct key *key = NULL;
	_cleanup_free_ char *envelope = NULL, *out = NULL;
	struct error err = { 0 };
	json_t *p = NULL;
	FILE *f;
	int r;

	if (a->n_args != 1 || a->n_keys != 1)
		return cli_usage(&a->c, "want: sign FILE --key KEY.key");
	out = a->output ? strdup(a->output) : strdup_printf("%s.dsse", a->args[0]);
	if (!out)
		return cli_error(&a->c, "out of memory");
	r = key_load(a->keys[0], &key, &err);
	if (r >= 0)
		r = policy_read(a->args[0], &p, &err);
	if (r >= 0)
		r = policy_sign(p, key, &envelope, &err);
	json_decref(p);
	if (r < 0)
		return cli_error_from(&a->c, r, &err);
	f = fopen(out, "we");
	if (!f || fputs(envelope, f) < 0 || fclose(f) != 0)
		return cli_error(&a->c, "cannot write %s: %m", out);
	if (!a->c.json)
		printf("%s signed by %s\n", out, key->id);
	return EXIT_OK;
}

/* Verify a signed policy against --key files. Returns EXIT_* after printing. */
static int open_verified(struct policy_args *a, json_t **ret, const struct key **ret_signer,
			 struct key **keys)
{
	struct error err = { 0 };
	int r;

	if (a->n_args != 1 || a->n_keys == 0)
		return cli_usage(&a->c, "want: SIGNED --key KEY.pub [--key ...]");
	for (size_t i = 0; i < a->n_keys; i++) {
		r = key_load(a->keys[i], &keys[i], &err);
		if (r < 0)
			return cli_error_from(&a->c, r, &err);
	}
	r = policy_open_signed(a->args[0], keys, a->n_keys, (int64_t)time(NULL), ret, ret_signer,
			       &err);
	if (r == -EKEYREJECTED || r == -EKEYEXPIRED) {
		fprintf(stderr, "imprint: %s: %s\n", a->c.verb, err.message);
		if (a->c.json) {
			json_t *o = json_pack("{s:b,s:s}", "valid", 0, "reason", err.message);

			print_json(o);
			json_decref(o);
		}
		return EXIT_NEGATIVE;
	}
	return r < 0 ? cli_error_from(&a->c, r, &err) : EXIT_OK;
}

static int do_verify_or_show(struct policy_args *a, bool show)
{
	struct key *keys[KEYS_MAX] = { 0 };
	const struct key *signer = NULL;
	json_t *p = NULL;
	int rc = open_verified(a, &p, &signer, keys);

	if (rc == EXIT_OK && show && a->c.json)
		print_json(p);
	else if (rc == EXIT_OK && show)
		print_images(p);
	else if (rc == EXIT_OK && a->c.json) {
		json_t *o = json_pack("{s:b,s:s,s:I,s:s}", "valid", 1, "name",
				      json_string_value(json_object_get(p, "name")), "serial",
				      json_integer_value(json_object_get(p, "serial")), "keyid",
				      signer->id);

		print_json(o);
		json_decref(o);
	} else if (rc == EXIT_OK) {
		printf("%s: valid policy '%s' serial %lld, signed by %s\n", a->args[0],
		       json_string_value(json_object_get(p, "name")),
		       (long long)json_integer_value(json_object_get(p, "serial")), signer->id);
	}
	json_decref(p);
	for (size_t i = 0; i < KEYS_MAX; i++)
		key_free(keys[i]);
	return rc;
}

static int do_verify(struct policy_args *a)
{
	return do_verify_or_show(a, false);
}

static int do_show(struct policy_args *a)
{
	return do_verify_or_show(a, true);
}

static const struct {
	const char *name;
	int (*run)(struct policy_args *a);
} commands[] = {
	{ "init", do_init },     { "add", do_add },   { "remove", do_remove },
	{ "revoke", do_revoke }, { "list", do_list }, { "sign", do_sign },
	{ "verify", do_verify }, { "show", do_show },
};

int verb_policy(int argc, char **argv)
{
	struct policy_args a = { .c = { .verb = "policy" } };
	int r = EXIT_ERROR;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	source_options_init(&a.so);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		r = parse(&a, argc - 1, argv + 1);
		if (r > 0)
			r = commands[i].run(&a);
		else
			r = r == 0 ? EXIT_OK : EXIT_ERROR;
		source_options_release(&a.so);
		return r;
	}
	source_options_release(&a.so);
	return cli_usage(&a.c, "unknown command '%s'", argv[1]);
}
