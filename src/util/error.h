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
 * The error table: every code with the process exit status it gives (1 a task failed,
 * 2 bad usage or an invalid pipeline, 3 the store or I/O) and its name. Append-only.
 * A task's exit classes map onto these codes in util/exitclass.h.
 *
 *   X(code, value, exit status, name)
 */
/* clang-format off */
#define DF_CODE_TABLE(X) \
    X(DF_OK,         0,  0,  "ok") \
    X(DF_EFAIL,      1,  1,  "failed")   /* a task or a check failed */ \
    X(DF_EUSAGE,     2,  2,  "usage")    /* bad usage or an invalid pipeline */ \
    X(DF_EIO,        3,  3,  "io")       /* a store or I/O error */ \
    X(DF_ENOTFOUND,  4,  3,  "not_found") /* a store lookup found no such object */
/* clang-format on */

enum df_code {
#define DF_CODE_ENUM(code, value, status, name) code = value,
    DF_CODE_TABLE(DF_CODE_ENUM)
#undef DF_CODE_ENUM
};

/* The process exit status for code (1 for a code not in the table). */
int df_code_status(int code);
/* The name of code ("not_found"), or "unknown". */
const char *df_code_name(int code);

/*
 * An error: the code and message of where it arose, and that place (file:line, shown
 * when DUCKFLOW_DEBUG is set). The first error wins; callers only add context in front.
 * When a caller must report a different code than the origin's (a missing upstream
 * manifest is the task's failure, not the store's), df_error_recode() changes `code` and
 * keeps the origin's in `origin_code`.
 */
struct df_error {
    int code;         /* enum df_code */
    char msg[2048];   /* one line, no trailing newline */
    const char *file; /* where df_error_set() was called: __FILE__ and __LINE__ */
    int line;
    int origin_code; /* the code set there, whatever df_error_recode() did since */
};

#define DF_ERROR_INIT                                                                              \
    {                                                                                              \
        0, {0}, NULL, 0, 0                                                                         \
    }

/* Sets code and message (printf-style) unless an error is already set; returns -1.
 * Records the caller's file and line. */
#define df_error_set(err, code, ...) df_error_set_at((err), __FILE__, __LINE__, (code), __VA_ARGS__)
int df_error_set_at(struct df_error *err, const char *file, int line, int code, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));

/* Puts "context: " in front of the message; a no-op when no error is set. */
void df_error_prefix(struct df_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets any error. */
void df_error_clear(struct df_error *err);

/* Sets DF_EIO with "what: strerror(errno)"; returns -1. Records the caller's place. */
#define df_error_errno(err, ...) df_error_errno_at((err), __FILE__, __LINE__, __VA_ARGS__)
int df_error_errno_at(struct df_error *err, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reports err under another code from now on (origin_code, file and line stay; on an
 * error not set yet, code becomes the origin's too). */
void df_error_recode(struct df_error *err, int code);

/* "src/engine/task.c:123 (not_found)": where err arose, for DUCKFLOW_DEBUG; "" when unset.
 * Writes into buf (n bytes) and returns it. */
const char *df_error_origin(const struct df_error *err, char *buf, size_t n);

#endif
