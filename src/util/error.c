/*
 * error.c - filling and prefixing struct df_error (see error.h).
 */
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int df_error_set(struct df_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err || err->code != 0)
        return -1;
    err->code = code ? code : DF_EFAIL;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    /* Keep the message on one line whatever the source text held. */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

void df_error_prefix(struct df_error *err, const char *fmt, ...)
{
    char head[512];
    size_t hl, ml, cap = sizeof(err->msg) - 1;
    va_list ap;

    if (!err || err->code == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head) - 2, fmt, ap);
    va_end(ap);
    hl = strlen(head);
    head[hl++] = ':';
    head[hl++] = ' ';
    /* Shift the message right (truncating its tail if needed) and put head in front. */
    ml = strlen(err->msg);
    if (hl + ml > cap)
        ml = cap > hl ? cap - hl : 0;
    memmove(err->msg + hl, err->msg, ml);
    memcpy(err->msg, head, hl > cap ? cap : hl);
    err->msg[hl + ml > cap ? cap : hl + ml] = '\0';
}

void df_error_clear(struct df_error *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

int df_error_errno(struct df_error *err, const char *fmt, ...)
{
    char what[1024];
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return df_error_set(err, DF_EIO, "%s: %s", what, strerror(saved));
}
