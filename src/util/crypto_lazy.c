/*
 * crypto_lazy.c - loading libcrypto on first use (see crypto_lazy.h).
 */
#define DF_CRYPTO_LAZY_IMPL
#include "util/crypto_lazy.h"

#include "util/dynlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct df_crypto_api api;
static int loaded; /* 1 after a successful load */
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(field, symbol) DF_DYNSYM(struct df_crypto_api, field, symbol)
static const struct df_dynsym syms[] = {
    SYM(MD_CTX_new, "EVP_MD_CTX_new"),
    SYM(MD_CTX_free, "EVP_MD_CTX_free"),
    SYM(DigestInit_ex, "EVP_DigestInit_ex"),
    SYM(DigestUpdate, "EVP_DigestUpdate"),
    SYM(DigestFinal_ex, "EVP_DigestFinal_ex"),
    SYM(Digest, "EVP_Digest"),
    SYM(md5, "EVP_md5"),
    SYM(sha256, "EVP_sha256"),
    SYM(EncodeBlock, "EVP_EncodeBlock"),
    SYM(HMAC, "HMAC"),
    SYM(cleanse, "OPENSSL_cleanse"),
    SYM(SHA256_Init, "SHA256_Init"),
    SYM(SHA256_Update, "SHA256_Update"),
    SYM(SHA256_Final, "SHA256_Final"),
};

static void load(void)
{
    /* The soname of OpenSSL 3; the unversioned name exists only with -dev packages. */
    if (df_dynlib_load("libcrypto.so.3", "libcrypto", "install libssl3", syms,
                       sizeof(syms) / sizeof(*syms), &api, load_error, sizeof(load_error)) == 0)
        loaded = 1; /* the library stays loaded for the life of the process */
}

const struct df_crypto_api *df_crypto_try(void)
{
    pthread_once(&once, load);
    return loaded ? &api : NULL;
}

const struct df_crypto_api *df_crypto(void)
{
    const struct df_crypto_api *a = df_crypto_try();
    if (!a) {
        fprintf(stderr, "duckflow: %s\n", load_error);
        exit(3);
    }
    return a;
}
