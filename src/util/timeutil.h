/*
 * timeutil.h - clocks, ISO-8601 timestamps, size and duration parsing and printing.
 */
#ifndef DF_TIMEUTIL_H
#define DF_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds, for durations. */
int64_t df_now_ms(void);
/* Wall-clock "2026-11-26T03:30:00.123Z" into out (at least 32 bytes). */
void df_iso_now(char *out, size_t n);
/* A new local run id that sorts by time: "20261126T033000Z-4f2a". out >= 32 bytes. */
void df_new_run_id(char *out, size_t n);
/* "1GB", "512MiB", "100kb", "123" (bytes) -> bytes; 0 ok, -1 bad. Units: B KB MB GB TB
 * (powers of 1000) and KiB MiB GiB TiB (powers of 1024), case-insensitive. */
int df_parse_size(const char *s, uint64_t *out);
/* "10m", "90s", "1h30m", "500ms", "2h" -> milliseconds; 0 ok, -1 bad. */
int df_parse_duration(const char *s, int64_t *out_ms);
/* 1234567 -> "1.2 MB" into out. */
void df_format_size(uint64_t bytes, char *out, size_t n);
/* 83000 -> "1m23s", 950 -> "0.95s" into out. */
void df_format_duration(int64_t ms, char *out, size_t n);
/* Peak resident set size of this process (getrusage), in bytes. */
uint64_t df_peak_rss_self(void);
/* 4 random hex digits * n from /dev/urandom (falls back to time and pid). */
void df_random_hex(char *out, size_t ndigits);

#endif
