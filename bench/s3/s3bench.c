/*
 * s3bench.c - times the store's batch transfers (df_store_put_many / df_store_get_many,
 * the engine's staging path) for the files named on the command line. Built and run by
 * bench/s3/run.sh against the loopback test server.
 *   s3bench STORE_URI PARALLEL OUTDIR FILE...
 * Prints "put SECONDS", "get SECONDS" and the CPU seconds of each ("put_cpu", "get_cpu")
 * on stdout; downloads land in OUTDIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "store/store.h"
#include "util/strbuf.h"

/* CPU seconds (user + system) this process used so far. */
static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: s3bench STORE_URI PARALLEL OUTDIR FILE...\n");
        return 2;
    }
    struct df_store *s = NULL;
    struct df_error err = DF_ERROR_INIT;
    if (df_store_open(argv[1], &s, &err) != 0) {
        fprintf(stderr, "s3bench: %s\n", err.msg);
        return 3;
    }
    int par = atoi(argv[2]);
    size_t n = (size_t)(argc - 4);
    const char **keys = xcalloc(n, sizeof(*keys));
    const char **outs = xcalloc(n, sizeof(*outs));
    const char **ins = (const char **)(argv + 4);
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(ins[i], '/');
        base = base ? base + 1 : ins[i];
        keys[i] = xasprintf("bench/%s", base);
        outs[i] = xasprintf("%s/%s", argv[3], base);
    }
    double t0 = now(), c0 = cpu();
    if (df_store_put_many(s, keys, ins, n, par, &err) != 0) {
        fprintf(stderr, "s3bench: put: %s\n", err.msg);
        return 3;
    }
    double t1 = now(), c1 = cpu();
    if (df_store_get_many(s, keys, outs, n, par, &err) != 0) {
        fprintf(stderr, "s3bench: get: %s\n", err.msg);
        return 3;
    }
    double t2 = now(), c2 = cpu();
    printf("put %.3f\nget %.3f\nput_cpu %.3f\nget_cpu %.3f\n", t1 - t0, t2 - t1, c1 - c0, c2 - c1);
    for (size_t i = 0; i < n; i++) {
        free((char *)keys[i]);
        free((char *)outs[i]);
    }
    free(keys);
    free(outs);
    df_store_free(s);
    return 0;
}
