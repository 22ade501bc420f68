/*
 * error.c - the code table, and filling, prefixing and locating struct df_error (see
 * error.h).
 */
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int code, status;
    const char *name;
} codes[] = {
#define DF_CODE_ROW(code, value, status, name) {code, status, name},
    DF_CODE_TABLE(DF_CODE_ROW)
#undef DF_CODE_ROW
};

int df_code_status(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == code)
            return codes[i].status;
    return 1;
}

const char *df_code_name(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == code)
            return codes[i].name;
    return "unknown";
}

int df_error_set_at(struct df_error *err, const char *file, int line, int code, const char *fmt,
                    ...)
{
    va_list ap;

    if (!err || err->code != 0)
        return -1;
    err->code = code ? code : DF_EFAIL;
    err->origin_code = err->code;
    err->file = file;
    err->line = line;
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
    err->file = NULL;
    err->line = 0;
    err->origin_code = 0;
}

void df_error_recode(struct df_error *err, int code)
{
    if (!err)
        return;
    if (err->code == 0)
        err->origin_code = code; /* nothing was set: this is the origin */
    err->code = code;
}

const char *df_error_origin(const struct df_error *err, char *buf, size_t n)
{
    if (!err || !err->file || n == 0) {
        if (n)
            buf[0] = '\0';
        return buf;
    }
    /* __FILE__ may be absolute: show it from the source tree's src/ on. */
    const char *f = err->file, *s;
    for (s = strstr(f, "/src/"); s; s = strstr(s + 1, "/src/"))
        f = s + 1;
    snprintf(buf, n, "%s:%d (%s)", f, err->line, df_code_name(err->origin_code));
    return buf;
}

int df_error_errno_at(struct df_error *err, const char *file, int line, const char *fmt, ...)
{
    char what[1024];
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return df_error_set_at(err, file, line, DF_EIO, "%s: %s", what, strerror(saved));
}
