/*
 * hash.h - SHA-256 of buffers and files as lower-case hex (util/sha256.c; OpenSSL, loaded on
 * first use, for large files: util/hash.c), for manifest checksums, spec hashes and cache
 * keys.
 */
#ifndef DF_HASH_H
#define DF_HASH_H

#include <stddef.h>

#include "util/error.h"

#define DF_SHA256_HEX 65 /* 64 hex digits and a NUL */

void df_sha256_hex(const void *data, size_t len, char out[DF_SHA256_HEX]);
int df_sha256_file(const char *path, char out[DF_SHA256_HEX], struct df_error *err);

/* Incremental hashing for cache keys: init, update any number of times, final. */
struct df_sha256;
struct df_sha256 *df_sha256_new(void);
void df_sha256_update(struct df_sha256 *h, const void *data, size_t len);
/* Writes the hex digest and frees h. */
void df_sha256_final(struct df_sha256 *h, char out[DF_SHA256_HEX]);

#endif
