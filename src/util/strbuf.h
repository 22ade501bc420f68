/*
 * strbuf.h - a growable, always NUL-terminated byte buffer (after git's strbuf).
 *
 * Invariants: buf is never NULL after sb_init or STRBUF_INIT (it points at a shared empty
 * string until the first append); buf[len] == '\0'; the owner frees with sb_release().
 * Appends abort the process on allocation failure: a pipeline tool has no sensible way
 * to continue without memory.
 */
#ifndef DF_STRBUF_H
#define DF_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;
    size_t len;
    size_t alloc; /* 0 while buf points at the shared empty string */
};

extern char strbuf_empty[];
#define STRBUF_INIT                                                                                \
    {                                                                                              \
        strbuf_empty, 0, 0                                                                         \
    }

void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
/* Hands the buffer to the caller (free() it) and leaves sb empty. Never NULL. */
char *sb_detach(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as a single-quoted SQL string literal ('' doubles quotes). */
void sb_add_sql_string(struct strbuf *sb, const char *s);
/* Appends s as a double-quoted SQL identifier. */
void sb_add_sql_ident(struct strbuf *sb, const char *s);
/* Appends s with & < > " ' escaped as entities, for XML (S3 request bodies) and HTML
 * (the report) text and attribute values alike: ' becomes &#39;, which both read. NULL
 * appends nothing. */
void sb_add_markup(struct strbuf *sb, const char *s);

/* Allocation helpers that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
