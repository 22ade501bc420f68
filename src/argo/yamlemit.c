/*
 * yamlemit.c - JSON value -> block-style YAML (see yamlemit.h).
 *
 * Hazards handled here: YAML 1.1 readers (Kubernetes) take `yes`, `on`, `1e3`, `0755`,
 * `12:30` and `~` for other types, so plain scalars are allowed only from a small safe
 * alphabet; block scalars must keep trailing newlines exactly (chomping indicator) and
 * cannot carry characters YAML treats as line breaks (CR, NEL, LS, PS) nor start with
 * indented text (the reader would take it as the indentation), so such text is
 * double-quoted instead.
 */
#include "argo/yamlemit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* Decodes one UTF-8 sequence at s (n bytes left): code point into *cp, returns its length,
 * or 0 when the bytes are not valid UTF-8 (overlong forms and surrogates included). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t len;
    unsigned long c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        c = s[0] & 0x1F;
        min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        c = s[0] & 0x0F;
        min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        c = s[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* YAML's printable set (c-printable), minus what we always escape: NEL, LS, PS and BOM
 * are line breaks or invisible in some readers. */
static int printable(unsigned long c)
{
    if (c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xFEFF)
        return 0;
    return c == 0x09 || c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

static int bad_utf8(struct df_error *err, size_t at)
{
    return df_error_set(err, DF_EUSAGE, "text is not valid UTF-8 (byte %zu)", at);
}

/* Words YAML 1.1 reads as booleans or null when plain. */
static int reserved_word(const char *s, size_t len)
{
    static const char *const words[] = {"y",   "n",    "yes",   "no",  "on",
                                        "off", "true", "false", "null"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == len && !strncasecmp(s, words[i], len))
            return 1;
    }
    return 0;
}

static int plain_safe(const char *s, size_t len)
{
    if (len == 0 || len > 200)
        return 0;
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == '/'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-'))
            return 0;
    }
    return !reserved_word(s, len);
}

static int emit_double_quoted(const char *s, size_t len, struct strbuf *out, struct df_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    sb_addc(out, '"');
    while (i < len) {
        unsigned long c;
        size_t n = utf8_decode(u + i, len - i, &c);
        if (!n)
            return bad_utf8(err, i);
        switch (c) {
        case '"':
            sb_adds(out, "\\\"");
            break;
        case '\\':
            sb_adds(out, "\\\\");
            break;
        case '\n':
            sb_adds(out, "\\n");
            break;
        case '\t':
            sb_adds(out, "\\t");
            break;
        case '\r':
            sb_adds(out, "\\r");
            break;
        case 0:
            sb_adds(out, "\\0");
            break;
        default:
            if (printable(c))
                sb_add(out, s + i, n);
            else if (c <= 0xFF)
                sb_addf(out, "\\x%02lx", c);
            else if (c <= 0xFFFF)
                sb_addf(out, "\\u%04lx", c);
            else
                sb_addf(out, "\\U%08lx", c);
        }
        i += n;
    }
    sb_addc(out, '"');
    return 0;
}

int df_yaml_scalar(const char *s, size_t len, struct strbuf *out, struct df_error *err)
{
    if (plain_safe(s, len)) {
        sb_add(out, s, len);
        return 0;
    }
    return emit_double_quoted(s, len, out, err);
}

/* 1 when s can be written as a literal block scalar (see the file comment). */
static int block_ok(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, first = 0;
    int has_newline = 0, has_text = 0;

    while (first < len && s[first] == '\n')
        first++;
    if (first == len || s[first] == ' ' || s[first] == '\t')
        return 0;
    while (i < len) {
        unsigned long c;
        size_t n = utf8_decode(u + i, len - i, &c);
        if (!n || !printable(c))
            return 0;
        if (c == '\n')
            has_newline = 1;
        else
            has_text = 1;
        i += n;
    }
    return has_newline && has_text;
}

static void indent_to(struct strbuf *out, int n)
{
    for (int i = 0; i < n; i++)
        sb_addc(out, ' ');
}

/* Writes " |-" (or | / |+) and the lines of s, each indented by `indent` spaces. */
static void emit_block(const char *s, size_t len, int indent, struct strbuf *out)
{
    size_t trailing = 0, end = len, start = 0;

    while (trailing < len && s[len - 1 - trailing] == '\n')
        trailing++;
    sb_adds(out, trailing == 0 ? " |-\n" : trailing == 1 ? " |\n" : " |+\n");
    end = len - trailing;
    while (start < end) {
        const char *nl = memchr(s + start, '\n', end - start);
        size_t stop = nl ? (size_t)(nl - s) : end;
        if (stop > start) {
            indent_to(out, indent);
            sb_add(out, s + start, stop - start);
        }
        sb_addc(out, '\n');
        start = stop + 1;
    }
    /* |+ keeps the extra final line breaks: one is the last line's own. */
    for (size_t i = 1; i < trailing; i++)
        sb_addc(out, '\n');
}

/* The shortest %g form that reads back as d, with a '.' so YAML 1.1 sees a float. */
static void emit_real(double d, struct strbuf *out)
{
    char buf[64], fixed[72];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEni")) {
        snprintf(fixed, sizeof(fixed), "%s.0", buf);
    } else if (!strchr(buf, '.') && strpbrk(buf, "eE")) {
        char *e = strpbrk(buf, "eE");
        snprintf(fixed, sizeof(fixed), "%.*s.0%s", (int)(e - buf), buf, e);
    } else {
        snprintf(fixed, sizeof(fixed), "%s", buf);
    }
    sb_adds(out, fixed);
}

static int emit_map(const json_t *obj, int indent, int first_inline, struct strbuf *out,
                    struct df_error *err);
static int emit_seq(const json_t *arr, int indent, int first_inline, struct strbuf *out,
                    struct df_error *err);

/*
 * Writes what follows "key:" or "-" on a line indented by `indent` spaces: a scalar on
 * the same line, or a nested collection (below the key, or beside the dash).
 */
static int emit_after(const json_t *v, int indent, int after_dash, struct strbuf *out,
                      struct df_error *err)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (json_object_size(v) == 0) {
            sb_adds(out, " {}\n");
            return 0;
        }
        if (after_dash) {
            sb_addc(out, ' ');
            return emit_map(v, indent + 2, 1, out, err);
        }
        sb_addc(out, '\n');
        return emit_map(v, indent + 2, 0, out, err);
    case JSON_ARRAY:
        if (json_array_size(v) == 0) {
            sb_adds(out, " []\n");
            return 0;
        }
        if (after_dash) {
            sb_addc(out, ' ');
            return emit_seq(v, indent + 2, 1, out, err);
        }
        sb_addc(out, '\n');
        return emit_seq(v, indent + 2, 0, out, err);
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (block_ok(s, len)) {
            emit_block(s, len, indent + 2, out);
            return 0;
        }
        sb_addc(out, ' ');
        if (df_yaml_scalar(s, len, out, err))
            return -1;
        sb_addc(out, '\n');
        return 0;
    }
    case JSON_INTEGER:
        sb_addf(out, " %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
        return 0;
    case JSON_REAL:
        sb_addc(out, ' ');
        emit_real(json_real_value(v), out);
        sb_addc(out, '\n');
        return 0;
    case JSON_TRUE:
        sb_adds(out, " true\n");
        return 0;
    case JSON_FALSE:
        sb_adds(out, " false\n");
        return 0;
    case JSON_NULL:
        sb_adds(out, " null\n");
        return 0;
    }
    return 0;
}

static int emit_map(const json_t *obj, int indent, int first_inline, struct strbuf *out,
                    struct df_error *err)
{
    const char *key;
    json_t *val;
    int first = 1;

    json_object_foreach((json_t *)obj, key, val)
    {
        if (!(first && first_inline))
            indent_to(out, indent);
        first = 0;
        if (df_yaml_scalar(key, strlen(key), out, err))
            return -1;
        sb_addc(out, ':');
        if (emit_after(val, indent, 0, out, err))
            return -1;
    }
    return 0;
}

static int emit_seq(const json_t *arr, int indent, int first_inline, struct strbuf *out,
                    struct df_error *err)
{
    size_t i;
    json_t *val;

    json_array_foreach((json_t *)arr, i, val)
    {
        if (!(i == 0 && first_inline))
            indent_to(out, indent);
        sb_addc(out, '-');
        if (emit_after(val, indent, 1, out, err))
            return -1;
    }
    return 0;
}

int df_yaml_emit(const json_t *value, struct strbuf *out, struct df_error *err)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        if (json_object_size(value) == 0) {
            sb_adds(out, "{}\n");
            return 0;
        }
        return emit_map(value, 0, 0, out, err);
    case JSON_ARRAY:
        if (json_array_size(value) == 0) {
            sb_adds(out, "[]\n");
            return 0;
        }
        return emit_seq(value, 0, 0, out, err);
    default: {
        /* A bare scalar document: reuse the "after a key" path and drop its leading
         * space. */
        struct strbuf tmp = STRBUF_INIT;
        int rc = emit_after(value, -2, 0, &tmp, err);
        if (!rc)
            sb_adds(out, tmp.buf + 1);
        sb_release(&tmp);
        return rc;
    }
    }
}
