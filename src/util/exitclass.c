/*
 * exitclass.c - names and process statuses of task exit classes (see exitclass.h).
 */
#include "util/exitclass.h"

#include <string.h>

static const char *const names[] = {
    [DF_CLASS_OK] = "ok",
    [DF_CLASS_SQL_ERROR] = "sql_error",
    [DF_CLASS_CHECK_FAILED] = "check_failed",
    [DF_CLASS_OOM] = "out_of_memory",
    [DF_CLASS_KILLED_MEMORY] = "killed_for_memory",
    [DF_CLASS_SPILL_FULL] = "spill_full",
    [DF_CLASS_STORE_ERROR] = "store_error",
    [DF_CLASS_TIMEOUT] = "timeout",
    [DF_CLASS_CRASH] = "crash",
    [DF_CLASS_INTERRUPTED] = "interrupted",
    [DF_CLASS_UPSTREAM] = "upstream_failed",
    [DF_CLASS_USAGE] = "usage",
};

#define N_CLASSES (int)(sizeof(names) / sizeof(names[0]))

const char *df_exit_class_name(enum df_exit_class c)
{
    if ((int)c < 0 || (int)c >= N_CLASSES)
        return "unknown";
    return names[c];
}

int df_exit_class_parse(const char *name)
{
    for (int i = 0; i < N_CLASSES; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

int df_exit_class_retryable(enum df_exit_class c)
{
    switch (c) {
    case DF_CLASS_OOM:
    case DF_CLASS_KILLED_MEMORY:
    case DF_CLASS_SPILL_FULL:
    case DF_CLASS_STORE_ERROR:
    case DF_CLASS_TIMEOUT:
    case DF_CLASS_CRASH:
        return 1;
    default:
        return 0;
    }
}

int df_exit_class_status(enum df_exit_class c)
{
    switch (c) {
    case DF_CLASS_OK:
        return 0;
    case DF_CLASS_SQL_ERROR:
    case DF_CLASS_CHECK_FAILED:
        return 1;
    case DF_CLASS_USAGE:
        return 2;
    case DF_CLASS_STORE_ERROR:
        return 3;
    default:
        return 10 + (int)c;
    }
}

enum df_exit_class df_exit_class_from_status(int status)
{
    switch (status) {
    case 0:
        return DF_CLASS_OK;
    case 1:
        return DF_CLASS_SQL_ERROR;
    case 2:
        return DF_CLASS_USAGE;
    case 3:
        return DF_CLASS_STORE_ERROR;
    case 137:
        return DF_CLASS_KILLED_MEMORY;
    default:
        if (status >= 10 && status < 10 + N_CLASSES)
            return (enum df_exit_class)(status - 10);
        return DF_CLASS_CRASH;
    }
}
