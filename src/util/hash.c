/*
 * hash.c - SHA-256 through OpenSSL (see hash.h).
 *
 * OpenSSL 3 marks the SHA256_Init family deprecated in favour of EVP, but EVP's first use
 * fetches the algorithm from the provider machinery, which costs about 2 ms of CPU in a
 * process that hashes once or twice: a tenth of a trivial task's whole overhead. The
 * low-level functions compute the same digests without that set-up.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/strbuf.h"

struct df_sha256 {
    SHA256_CTX ctx;
};

static void to_hex(const unsigned char *md, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * n] = '\0';
}

struct df_sha256 *df_sha256_new(void)
{
    struct df_sha256 *h = xmalloc(sizeof(*h));
    if (SHA256_Init(&h->ctx) != 1) {
        fprintf(stderr, "duckflow: OpenSSL cannot initialise SHA-256\n");
        abort();
    }
    return h;
}

void df_sha256_update(struct df_sha256 *h, const void *data, size_t len)
{
    SHA256_Update(&h->ctx, data, len);
}

void df_sha256_final(struct df_sha256 *h, char out[DF_SHA256_HEX])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256_Final(md, &h->ctx);
    to_hex(md, SHA256_DIGEST_LENGTH, out);
    free(h);
}

void df_sha256_hex(const void *data, size_t len, char out[DF_SHA256_HEX])
{
    struct df_sha256 *h = df_sha256_new();
    df_sha256_update(h, data, len);
    df_sha256_final(h, out);
}

int df_sha256_file(const char *path, char out[DF_SHA256_HEX], struct df_error *err)
{
    static __thread unsigned char buf[1 << 17];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return df_error_errno(err, "cannot open '%s'", path);
    struct df_sha256 *h = df_sha256_new();
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            df_error_errno(err, "cannot read '%s'", path);
            close(fd);
            df_sha256_final(h, out);
            return -1;
        }
        df_sha256_update(h, buf, (size_t)n);
    }
    close(fd);
    df_sha256_final(h, out);
    return 0;
}
