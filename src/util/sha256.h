/*
 * sha256.h - SHA-256 in plain C (FIPS 180-4), without OpenSSL: a trivial task hashes a
 * few hundred bytes, and linking libcrypto for that cost every process about 2.5 M
 * instructions of relocation at start-up. util/hash.h is the interface the rest uses.
 */
#ifndef DF_SHA256_H
#define DF_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct df_sha256_c {
    uint32_t h[8];
    uint64_t len; /* bytes so far */
    unsigned char buf[64];
    size_t used; /* bytes in buf */
};

void df_sha256_c_init(struct df_sha256_c *s);
void df_sha256_c_update(struct df_sha256_c *s, const void *data, size_t len);
void df_sha256_c_final(struct df_sha256_c *s, unsigned char md[32]);

#endif
