/*
 * crypto_lazy.c - loading libcrypto on first use (see crypto_lazy.h).
 */
#define DF_CRYPTO_LAZY_IMPL
#include "util/crypto_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct df_crypto_api api;
static int loaded; /* 1 after a successful load */
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym returns void *; converting it to a function pointer is what POSIX guarantees works. */
#define LOAD(field, name)                                                                          \
    do {                                                                                           \
        void *sym = dlsym(h, name);                                                                \
        if (!sym) {                                                                                \
            snprintf(load_error, sizeof(load_error), "libcrypto lacks '%s'", name);                \
            return;                                                                                \
        }                                                                                          \
        memcpy(&api.field, &sym, sizeof(sym));                                                     \
    } while (0)

static void load(void)
{
    /* The soname of OpenSSL 3; the unversioned name exists only with -dev packages. */
    void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof(load_error), "cannot load libcrypto.so.3 (install libssl3): %s",
                 why ? why : "unknown error");
        return;
    }
    LOAD(MD_CTX_new, "EVP_MD_CTX_new");
    LOAD(MD_CTX_free, "EVP_MD_CTX_free");
    LOAD(DigestInit_ex, "EVP_DigestInit_ex");
    LOAD(DigestUpdate, "EVP_DigestUpdate");
    LOAD(DigestFinal_ex, "EVP_DigestFinal_ex");
    LOAD(Digest, "EVP_Digest");
    LOAD(md5, "EVP_md5");
    LOAD(sha256, "EVP_sha256");
    LOAD(EncodeBlock, "EVP_EncodeBlock");
    LOAD(HMAC, "HMAC");
    LOAD(cleanse, "OPENSSL_cleanse");
    LOAD(SHA256_Init, "SHA256_Init");
    LOAD(SHA256_Update, "SHA256_Update");
    LOAD(SHA256_Final, "SHA256_Final");
    /* The library stays loaded for the life of the process. */
    loaded = 1;
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
