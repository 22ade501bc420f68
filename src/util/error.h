/*
 * error.h - the error record every fallible duckflow function fills in.
 *
 * A fallible function takes a `struct df_error *` last, returns 0 on success and -1 on
 * failure, and on failure leaves a code and a one-line message. The first, most specific
 * error is kept; callers add context in front with df_error_prefix() on the way up:
 *     step 'merge': table 'totals': COPY failed: ...
 * Messages follow git's rules: lower case, no full stop, the subject in quotes.
 */
#ifndef DF_ERROR_H
#define DF_ERROR_H

#include <stddef.h>

/*
 * Codes double as process exit codes (DESIGN.md §3). Append-only.
 */
enum df_code {
    DF_OK = 0,
    DF_EFAIL = 1,  /* a task or a check failed */
    DF_EUSAGE = 2, /* bad usage or an invalid pipeline */
    DF_EIO = 3,    /* a store or I/O error */
};

/* Also returned by store lookups for a missing object, as a code in df_error. */
#define DF_ENOTFOUND 4

struct df_error {
    int code;       /* enum df_code, or DF_ENOTFOUND */
    char msg[2048]; /* one line, no trailing newline */
};

#define DF_ERROR_INIT                                                                              \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Sets code and message (printf-style) unless an error is already set; returns -1. */
int df_error_set(struct df_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "context: " in front of the message; a no-op when no error is set. */
void df_error_prefix(struct df_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets any error. */
void df_error_clear(struct df_error *err);

/* Sets DF_EIO with "what: strerror(errno)"; returns -1. */
int df_error_errno(struct df_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
