/*
 * exitclass.c - names, codes, process statuses and retry policy of task exit classes,
 * all read from the class table in exitclass.h.
 */
#include "util/exitclass.h"

#include <string.h>

static const struct {
    const char *name;
    int code, status, retry;
} classes[] = {
#define DF_CLASS_ROW(cls, name, code, status, retry) [cls] = {name, code, status, retry},
    DF_EXIT_CLASS_TABLE(DF_CLASS_ROW)
#undef DF_CLASS_ROW
};

#define N_CLASSES (int)(sizeof(classes) / sizeof(classes[0]))

const char *df_exit_class_name(enum df_exit_class c)
{
    if ((int)c < 0 || (int)c >= N_CLASSES)
        return "unknown";
    return classes[c].name;
}

int df_exit_class_parse(const char *name)
{
    for (int i = 0; i < N_CLASSES; i++)
        if (!strcmp(classes[i].name, name))
            return i;
    return -1;
}

int df_exit_class_retryable(enum df_exit_class c)
{
    return (int)c >= 0 && (int)c < N_CLASSES && classes[c].retry;
}

int df_exit_class_status(enum df_exit_class c)
{
    if ((int)c < 0 || (int)c >= N_CLASSES)
        return 10 + (int)c;
    return classes[c].status;
}

int df_exit_class_code(enum df_exit_class c)
{
    if ((int)c < 0 || (int)c >= N_CLASSES)
        return DF_EFAIL;
    return classes[c].code;
}

enum df_exit_class df_exit_class_from_status(int status)
{
    if (status == 137)
        return DF_CLASS_KILLED_MEMORY;
    /* The first class with that status (sql_error for 1). */
    for (int i = 0; i < N_CLASSES; i++)
        if (classes[i].status == status)
            return (enum df_exit_class)i;
    if (status >= 10 && status < 10 + N_CLASSES)
        return (enum df_exit_class)(status - 10);
    return DF_CLASS_CRASH;
}
