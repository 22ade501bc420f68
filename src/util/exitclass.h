/*
 * exitclass.h - why a task ended, as recorded in manifests, _error.json and run.json and
 * shown in summaries. The class decides whether a retry can help. Append-only.
 */
#ifndef DF_EXITCLASS_H
#define DF_EXITCLASS_H

enum df_exit_class {
    DF_CLASS_OK = 0,
    DF_CLASS_SQL_ERROR,     /* the step's SQL failed: not retried */
    DF_CLASS_CHECK_FAILED,  /* a check returned rows: not retried */
    DF_CLASS_OOM,           /* DuckDB out of memory: retried */
    DF_CLASS_KILLED_MEMORY, /* SIGKILL / exit 137 (the kernel's OOM killer): retried, fewer threads
                             */
    DF_CLASS_SPILL_FULL,    /* spill space exhausted: retried */
    DF_CLASS_STORE_ERROR,   /* reading or writing the store failed: retried */
    DF_CLASS_TIMEOUT,       /* ran past its timeout: retried */
    DF_CLASS_CRASH,         /* died by another signal or an unexpected exit: retried */
    DF_CLASS_INTERRUPTED,   /* stopped by SIGINT/SIGTERM of the run: not retried */
    DF_CLASS_UPSTREAM,      /* not run because a dependency failed */
    DF_CLASS_USAGE,         /* bad invocation or pipeline: not retried */
};

/* "ok", "sql_error", "check_failed", "out_of_memory", "killed_for_memory", "spill_full",
 * "store_error", "timeout", "crash", "interrupted", "upstream_failed", "usage". */
const char *df_exit_class_name(enum df_exit_class c);
/* The class named name, or -1. */
int df_exit_class_parse(const char *name);
/* 1 when another attempt may succeed. */
int df_exit_class_retryable(enum df_exit_class c);

/*
 * Exit status of a `duckflow step` process for each class, so the executor (and Argo's
 * retryStrategy) can tell them apart without reading the store: 0 ok, 1 sql_error /
 * check_failed, 3 store_error, and 10 + class for the rest (out_of_memory = 13, ...).
 * The executor also reads <attempt>/_error.json for the message.
 */
int df_exit_class_status(enum df_exit_class c);
/* Inverse of df_exit_class_status for a process that exited normally with status. */
enum df_exit_class df_exit_class_from_status(int status);

#endif
