/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "basic/sha256.h"
#include "basic/fs.h"
#include "key.h"

#define KEY_FILE_MAX (64 * 1024)

struct key *key_free(struct key *k)
{
	if (!k)
		return NULL;
	EVP_PKEY_free(k->pkey);
	free(k);
	return NULL;
}

static int key_wrap(EVP_PKEY *pkey, bool private_key, struct key **ret)
{
	unsigned char *der = NULL;
	struct digest d;
	struct key *k;
	int len;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519)
		return -EOPNOTSUPP;
	len = i2d_PUBKEY(pkey, &der);
	if (len <= 0)
		return -EINVAL;
	sha256_buffer(der, (size_t)len, &d);
	OPENSSL_free(der);
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->pkey = pkey;
	k->private_key = private_key;
	digest_format_hex(&d, k->id);
	*ret = k;
	return 0;
}

/* Write PEM text to path, failing if it exists. */
static int write_new_file(const char *path, const char *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		int r = -errno;

		unlink(path);
		return r ?: -EIO;
	}
	return 0;
}

static int pem_to_string(EVP_PKEY *pkey, bool private_key, char **ret, size_t *ret_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int ok;

	if (!bio)
		return -ENOMEM;
	ok = private_key ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PUBKEY(bio, pkey);
	n = BIO_get_mem_data(bio, &p);
	if (!ok || n <= 0 || !(*ret = strndup(p, (size_t)n))) {
		BIO_free(bio);
		return -ENOMEM;
	}
	*ret_len = (size_t)n;
	BIO_free(bio);
	return 0;
}

int key_generate(const char *name, struct key **ret, struct error *err)
{
	_cleanup_free_ char *priv_path = strdup_printf("%s.key", name);
	_cleanup_free_ char *pub_path = strdup_printf("%s.pub", name);
	_cleanup_free_ char *priv = NULL, *pub = NULL;
	EVP_PKEY *pkey = NULL;
	size_t priv_len, pub_len;
	int r;

	if (!priv_path || !pub_path)
		return -ENOMEM;
	if (access(priv_path, F_OK) == 0 || access(pub_path, F_OK) == 0)
		return error_set(err, -EEXIST, "%s or %s exists already; not overwriting",
				 priv_path, pub_path);
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey)
		return error_set(err, -EIO, "cannot generate an Ed25519 key");
	r = pem_to_string(pkey, true, &priv, &priv_len);
	if (r >= 0)
		r = pem_to_string(pkey, false, &pub, &pub_len);
	if (r >= 0) {
		r = write_new_file(priv_path, priv, priv_len, 0600);
		if (r < 0)
			error_set(err, r, "cannot write %s: %s", priv_path, strerror(-r));
	}
	if (r >= 0) {
		r = write_new_file(pub_path, pub, pub_len, 0644);
		if (r < 0) {
			unlink(priv_path);
			error_set(err, r, "cannot write %s: %s", pub_path, strerror(-r));
		}
	}
	if (priv)
		OPENSSL_cleanse(priv, priv_len);
	if (r >= 0)
		r = key_wrap(pkey, true, ret);
	if (r < 0)
		EVP_PKEY_free(pkey);
	return r;
}

int key_load(const char *path, struct key **ret, struct error *err)
{
	_cleanup_free_ char *pem = NULL;
	EVP_PKEY *pkey;
	bool private_key;
	size_t len;
	BIO *bio;
	int r;

	r = read_file(path, KEY_FILE_MAX, &pem, &len);
	if (r < 0)
		return error_set(err, r, "key %s: %s", path, strerror(-r));
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	private_key = strstr(pem, "PRIVATE KEY") != NULL;
	pkey = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			   : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(pem, len);
	if (!pkey)
		return error_set(err, -EBADMSG, "key %s: not a PEM key", path);
	r = key_wrap(pkey, private_key, ret);
	if (r < 0) {
		EVP_PKEY_free(pkey);
		return error_set(err, r, "key %s: not an Ed25519 key", path);
	}
	return 0;
}

int key_sign(const struct key *k, const void *msg, size_t len, uint8_t sig[ED25519_SIG_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = ED25519_SIG_SIZE;
	int ok;

	if (!ctx)
		return -ENOMEM;
	if (!k->private_key) {
		EVP_MD_CTX_free(ctx);
		return -EPERM;
	}
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 && sig_len == ED25519_SIG_SIZE;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int key_verify(const struct key *k, const void *msg, size_t len, const uint8_t *sig,
	       size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = sig_len == ED25519_SIG_SIZE &&
	     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}
