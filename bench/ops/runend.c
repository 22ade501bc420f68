/*
 * runend.c - the end of a run measured alone: df_run_end_outputs() (the lineage end events,
 * views.sql, _manifests.json and published.json, from one read of the run's folder,
 * run.json and manifests) over a run already in a store. Prints the resident memory before
 * the call, the peak during it (VmHWM, reset first through /proc/self/clear_refs), wall and
 * CPU time. bench/ops/runend.sh builds it against a build's library and makes the run.
 *   runend STORE_URI PIPELINE RUN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "store/publish.h"
#include "store/store.h"
#include "util/error.h"

/* A "VmRSS:" style line of /proc/self/status, in KiB; -1 when missing. */
static long status_kib(const char *field)
{
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static double now_ms(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_store *s = NULL;
    double w0, c0, w1, c1;
    long before, peak;
    FILE *f;

    if (argc != 4) {
        fprintf(stderr, "usage: runend STORE_URI PIPELINE RUN\n");
        return 2;
    }
    if (df_store_open(argv[1], &s, &err) != 0) {
        fprintf(stderr, "runend: %s\n", err.msg);
        return 3;
    }
    /* The peak from here on: writing 5 to clear_refs resets VmHWM to VmRSS. */
    f = fopen("/proc/self/clear_refs", "w");
    if (!f || fputs("5", f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "runend: cannot reset the peak (/proc/self/clear_refs)\n");
        return 1;
    }
    before = status_kib("VmRSS");
    w0 = now_ms(CLOCK_MONOTONIC);
    c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (df_run_end_outputs(s, argv[2], argv[3], 1, &err) != 0) {
        fprintf(stderr, "runend: %s\n", err.msg);
        return 3;
    }
    w1 = now_ms(CLOCK_MONOTONIC);
    c1 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    peak = status_kib("VmHWM");
    printf("rss_before_kib=%ld peak_kib=%ld growth_kib=%ld wall_ms=%.0f cpu_ms=%.0f\n", before,
           peak, peak - before, w1 - w0, c1 - c0);
    df_store_free(s);
    return 0;
}
