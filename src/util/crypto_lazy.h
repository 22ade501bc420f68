/*
 * crypto_lazy.h - libcrypto (OpenSSL 3) loaded with dlopen on first use.
 *
 * Linking libcrypto made every duckflow process relocate it at start-up: about 2.5 M
 * instructions, a quarter of a trivial task's overhead above a bare DuckDB process,
 * although a task on a local store hashes only small things (util/sha256.c) and large
 * files. The object-store code (MD5 and SHA-256 of bodies, HMAC of SigV4, base64) and
 * the hashing of large files (util/hash.c) include this header instead of the OpenSSL
 * ones; the names below then call through a table filled by dlopen("libcrypto.so.3")
 * once (thread-safe), the way store/curl_lazy.h does for libcurl. libcurl itself needs
 * libcrypto, so wherever an object store works, this loads.
 *
 * df_crypto() exits with status 3 (store/I-O) and a one-line message when libcrypto
 * cannot be loaded; df_crypto_try() returns NULL instead.
 */
#ifndef DF_CRYPTO_LAZY_H
#define DF_CRYPTO_LAZY_H

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

struct df_crypto_api {
    EVP_MD_CTX *(*MD_CTX_new)(void);
    void (*MD_CTX_free)(EVP_MD_CTX *c);
    int (*DigestInit_ex)(EVP_MD_CTX *c, const EVP_MD *t, ENGINE *e);
    int (*DigestUpdate)(EVP_MD_CTX *c, const void *d, size_t n);
    int (*DigestFinal_ex)(EVP_MD_CTX *c, unsigned char *md, unsigned int *n);
    int (*Digest)(const void *d, size_t n, unsigned char *md, unsigned int *size, const EVP_MD *t,
                  ENGINE *e);
    const EVP_MD *(*md5)(void);
    const EVP_MD *(*sha256)(void);
    int (*EncodeBlock)(unsigned char *t, const unsigned char *f, int n);
    unsigned char *(*HMAC)(const EVP_MD *md, const void *key, int key_len, const unsigned char *d,
                           size_t n, unsigned char *md_out, unsigned int *md_len);
    void (*cleanse)(void *p, size_t len);
    /* The low-level SHA-256 (no EVP provider set-up, which costs ~2 ms on first use). */
    int (*SHA256_Init)(SHA256_CTX *c);
    int (*SHA256_Update)(SHA256_CTX *c, const void *d, size_t n);
    int (*SHA256_Final)(unsigned char *md, SHA256_CTX *c);
};

/* The loaded table, or NULL when libcrypto cannot be loaded. */
const struct df_crypto_api *df_crypto_try(void);
/* The loaded table; exits 3 with a message when libcrypto cannot be loaded. */
const struct df_crypto_api *df_crypto(void);

#ifndef DF_CRYPTO_LAZY_IMPL
#undef EVP_MD_CTX_new
#undef EVP_MD_CTX_free
#undef EVP_DigestInit_ex
#undef EVP_DigestUpdate
#undef EVP_DigestFinal_ex
#undef EVP_Digest
#undef EVP_md5
#undef EVP_sha256
#undef EVP_EncodeBlock
#undef HMAC
#undef OPENSSL_cleanse
#define EVP_MD_CTX_new     (df_crypto()->MD_CTX_new)
#define EVP_MD_CTX_free    (df_crypto()->MD_CTX_free)
#define EVP_DigestInit_ex  (df_crypto()->DigestInit_ex)
#define EVP_DigestUpdate   (df_crypto()->DigestUpdate)
#define EVP_DigestFinal_ex (df_crypto()->DigestFinal_ex)
#define EVP_Digest         (df_crypto()->Digest)
#define EVP_md5            (df_crypto()->md5)
#define EVP_sha256         (df_crypto()->sha256)
#define EVP_EncodeBlock    (df_crypto()->EncodeBlock)
#define HMAC               (df_crypto()->HMAC)
#define OPENSSL_cleanse    (df_crypto()->cleanse)
#endif

#endif
