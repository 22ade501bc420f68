/*
 * timeutil.c - clocks, timestamps, sizes and durations (see timeutil.h).
 */
#include "util/timeutil.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int64_t df_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void df_iso_now(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    char base[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

void df_random_hex(char *out, size_t ndigits)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t need = (ndigits + 1) / 2;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    int ok = 0;

    if (need > sizeof(raw))
        need = sizeof(raw), ndigits = 2 * sizeof(raw);
    if (fd >= 0) {
        ok = read(fd, raw, need) == (ssize_t)need;
        close(fd);
    }
    if (!ok) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
        for (size_t i = 0; i < need; i++, x = x * 6364136223846793005UL + 1)
            raw[i] = (unsigned char)(x >> 33);
    }
    for (size_t i = 0; i < ndigits; i++)
        out[i] = digits[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[ndigits] = '\0';
}

void df_new_run_id(char *out, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32], rnd[8];

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    df_random_hex(rnd, 4);
    snprintf(out, n, "%s-%s", stamp, rnd);
}

int df_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"kb", 1000ULL},
        {"mb", 1000ULL * 1000},
        {"gb", 1000ULL * 1000 * 1000},
        {"tb", 1000ULL * 1000 * 1000 * 1000},
        {"k", 1000ULL},
        {"m", 1000ULL * 1000},
        {"g", 1000ULL * 1000 * 1000},
        {"kib", 1024ULL},
        {"mib", 1024ULL * 1024},
        {"gib", 1024ULL * 1024 * 1024},
        {"tib", 1024ULL * 1024 * 1024 * 1024},
    };
    char *end;
    double v;

    if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
        return -1;
    v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            double bytes = v * (double)units[i].mult;
            if (bytes > 1e18)
                return -1;
            *out = (uint64_t)bytes;
            return 0;
        }
    }
    return -1;
}

int df_parse_duration(const char *s, int64_t *out_ms)
{
    const char *p = s;
    double total = 0;
    int parts = 0;

    if (!s || !*s)
        return -1;
    while (*p) {
        char *end;
        double v;
        if (!(isdigit((unsigned char)*p) || *p == '.'))
            return -1;
        v = strtod(p, &end);
        if (end == p || v < 0)
            return -1;
        p = end;
        if (!strncmp(p, "ms", 2)) {
            total += v;
            p += 2;
        } else if (*p == 'h') {
            total += v * 3600000.0;
            p++;
        } else if (*p == 'm') {
            total += v * 60000.0;
            p++;
        } else if (*p == 's') {
            total += v * 1000.0;
            p++;
        } else if (*p == '\0' && parts == 0) {
            total += v * 1000.0; /* a bare number means seconds */
        } else {
            return -1;
        }
        parts++;
    }
    if (total > 1e12)
        return -1;
    *out_ms = (int64_t)total;
    return 0;
}

void df_format_size(uint64_t bytes, char *out, size_t n)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(out, n, "%llu B", (unsigned long long)bytes);
    else
        snprintf(out, n, "%.1f %s", v, units[u]);
}

void df_format_duration(int64_t ms, char *out, size_t n)
{
    if (ms < 60000) {
        snprintf(out, n, "%.2fs", (double)ms / 1000.0);
    } else if (ms < 3600000) {
        snprintf(out, n, "%lldm%02llds", (long long)(ms / 60000), (long long)(ms % 60000) / 1000);
    } else {
        snprintf(out, n, "%lldh%02lldm", (long long)(ms / 3600000),
                 (long long)(ms % 3600000) / 60000);
    }
}

uint64_t df_peak_rss_self(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024;
}
