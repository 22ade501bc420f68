/*
 * hash.c - SHA-256 of buffers and files as hex (see hash.h).
 *
 * Buffers, incremental hashes (cache keys, spec hashes) and files under LARGE_FILE bytes
 * use the plain C SHA-256 of util/sha256.c: no library to load, which is what a trivial
 * task hashes. Larger files use OpenSSL's SHA-256 (SHA-NI where the CPU has it, several
 * times faster), loaded on the first such file (util/crypto_lazy.h: about 1 ms, once),
 * through the low-level SHA256_* functions: EVP's first use fetches the algorithm from
 * the provider machinery, another ~2 ms. Without libcrypto, large files use the C code.
 */
#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/crypto_lazy.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#define LARGE_FILE (256 << 10)

struct df_sha256 {
    struct df_sha256_c c;
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
    df_sha256_c_init(&h->c);
    return h;
}

void df_sha256_update(struct df_sha256 *h, const void *data, size_t len)
{
    df_sha256_c_update(&h->c, data, len);
}

void df_sha256_final(struct df_sha256 *h, char out[DF_SHA256_HEX])
{
    unsigned char md[32];
    df_sha256_c_final(&h->c, md);
    to_hex(md, 32, out);
    free(h);
}

void df_sha256_hex(const void *data, size_t len, char out[DF_SHA256_HEX])
{
    struct df_sha256_c c;
    unsigned char md[32];
    df_sha256_c_init(&c);
    df_sha256_c_update(&c, data, len);
    df_sha256_c_final(&c, md);
    to_hex(md, 32, out);
}

/* Either implementation behind one init/update/final. */
struct file_hash {
    const struct df_crypto_api *ossl; /* NULL: the C code */
    SHA256_CTX o;
    struct df_sha256_c c;
};

static void fh_update(struct file_hash *f, const void *data, size_t len)
{
    if (f->ossl)
        f->ossl->SHA256_Update(&f->o, data, len);
    else
        df_sha256_c_update(&f->c, data, len);
}

static void fh_final(struct file_hash *f, char out[DF_SHA256_HEX])
{
    unsigned char md[32];
    if (f->ossl)
        f->ossl->SHA256_Final(md, &f->o);
    else
        df_sha256_c_final(&f->c, md);
    to_hex(md, 32, out);
}

int df_sha256_file(const char *path, char out[DF_SHA256_HEX], struct df_error *err)
{
    static __thread unsigned char buf[1 << 17];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct file_hash f = {0};
    struct stat st;
    ssize_t n;

    if (fd < 0)
        return df_error_errno(err, "cannot open '%s'", path);
    if (fstat(fd, &st) == 0 && st.st_size >= LARGE_FILE && (f.ossl = df_crypto_try()) != NULL &&
        f.ossl->SHA256_Init(&f.o) != 1)
        f.ossl = NULL;
    if (!f.ossl)
        df_sha256_c_init(&f.c);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            df_error_errno(err, "cannot read '%s'", path);
            close(fd);
            fh_final(&f, out);
            return -1;
        }
        fh_update(&f, buf, (size_t)n);
    }
    close(fd);
    fh_final(&f, out);
    return 0;
}
