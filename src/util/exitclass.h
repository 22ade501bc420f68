/*
 * exitclass.h - why a task ended, as recorded in manifests, _error.json and run.json and
 * shown in summaries. The class decides whether a retry can help.
 */
#ifndef DF_EXITCLASS_H
#define DF_EXITCLASS_H

#include "util/error.h"

/*
 * The class table: each class with its name (as recorded), the error code a task that
 * ended so reports (util/error.h), the exit status of its `duckflow step` process (so the
 * executor and Argo's retryStrategy tell classes apart without reading the store) and
 * whether another attempt may succeed. Append-only.
 *
 *   X(class, name, code, exit status, retry)
 */
/* clang-format off */
#define DF_EXIT_CLASS_TABLE(X) \
    X(DF_CLASS_OK,            "ok",                DF_OK,     0,  0) \
    X(DF_CLASS_SQL_ERROR,     "sql_error",         DF_EFAIL,  1,  0) /* the step's SQL failed */ \
    X(DF_CLASS_CHECK_FAILED,  "check_failed",      DF_EFAIL,  1,  0) /* a check returned rows */ \
    X(DF_CLASS_OOM,           "out_of_memory",     DF_EFAIL,  13, 1) /* DuckDB out of memory */ \
    X(DF_CLASS_KILLED_MEMORY, "killed_for_memory", DF_EFAIL,  14, 1) /* SIGKILL: fewer threads */ \
    X(DF_CLASS_SPILL_FULL,    "spill_full",        DF_EFAIL,  15, 1) /* spill space exhausted */ \
    X(DF_CLASS_STORE_ERROR,   "store_error",       DF_EIO,    3,  1) /* the store failed */ \
    X(DF_CLASS_TIMEOUT,       "timeout",           DF_EFAIL,  17, 1) /* ran past its timeout */ \
    X(DF_CLASS_CRASH,         "crash",             DF_EFAIL,  18, 1) /* another signal or exit */ \
    X(DF_CLASS_INTERRUPTED,   "interrupted",       DF_EFAIL,  19, 0) /* SIGINT/SIGTERM */ \
    X(DF_CLASS_UPSTREAM,      "upstream_failed",   DF_EFAIL,  20, 0) /* a dependency failed */ \
    X(DF_CLASS_USAGE,         "usage",             DF_EUSAGE, 2,  0) /* bad usage, bad pipeline */ \
    X(DF_CLASS_NO_ITEMS,      "no_items",          DF_EFAIL,  21, 0) /* a fan-out found nothing */
/* clang-format on */

enum df_exit_class {
#define DF_CLASS_ENUM(cls, name, code, status, retry) cls,
    DF_EXIT_CLASS_TABLE(DF_CLASS_ENUM)
#undef DF_CLASS_ENUM
};

/* "ok", "sql_error", "check_failed", "out_of_memory", "killed_for_memory", "spill_full",
 * "store_error", "timeout", "crash", "interrupted", "upstream_failed", "usage", "no_items". */
const char *df_exit_class_name(enum df_exit_class c);
/* The class named name, or -1. */
int df_exit_class_parse(const char *name);
/* 1 when another attempt may succeed. */
int df_exit_class_retryable(enum df_exit_class c);

/* The exit status of a `duckflow step` process that ended with class c (the table; the
 * executor also reads <attempt>/_error.json for the message). */
int df_exit_class_status(enum df_exit_class c);
/* The error code a task that ended with class c reports (the table). */
int df_exit_class_code(enum df_exit_class c);
/* Inverse of df_exit_class_status for a process that exited normally with status (137,
 * the kernel's OOM kill, is killed_for_memory; an unknown status is a crash). */
enum df_exit_class df_exit_class_from_status(int status);

#endif
