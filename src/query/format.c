/*
 * format.c - result printing for `duckflow query`: aligned table, CSV, JSON lines (see
 * format.h). Cells arrive as text; only the column kind decides alignment and quoting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query/format.h"
#include "util/banned.h"

int df_format_parse(const char *name)
{
    static const char *const names[] = {"table", "csv", "json", "parquet"};
    for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i]))
            return (int)i;
    return -1;
}

/* Length of the UTF-8 sequence starting at s, or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n, i;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

size_t df_fmt_width(const char *s)
{
    size_t w = 0;
    while (s && *s) {
        size_t n = utf8_len((const unsigned char *)s);
        s += n ? n : 1;
        w++;
    }
    return w;
}

void df_fmt_csv_field(struct strbuf *sb, const char *s)
{
    size_t len = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (len && (s[0] == ' ' || s[len - 1] == ' '));
    if (!quote) {
        sb_add(sb, s, len);
        return;
    }
    sb_addc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            sb_addc(sb, '"');
        sb_addc(sb, *s);
    }
    sb_addc(sb, '"');
}

void df_fmt_json_string(struct strbuf *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    sb_addc(sb, '"');
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            sb_adds(sb, "\\ufffd");
            p++;
            continue;
        }
        if (n > 1) {
            sb_add(sb, p, n);
            p += n;
            continue;
        }
        switch (*p) {
        case '"':
            sb_adds(sb, "\\\"");
            break;
        case '\\':
            sb_adds(sb, "\\\\");
            break;
        case '\n':
            sb_adds(sb, "\\n");
            break;
        case '\r':
            sb_adds(sb, "\\r");
            break;
        case '\t':
            sb_adds(sb, "\\t");
            break;
        default:
            if (*p < 0x20)
                sb_addf(sb, "\\u%04x", *p);
            else
                sb_addc(sb, (char)*p);
        }
        p++;
    }
    sb_addc(sb, '"');
}

void df_fmt_html(struct strbuf *sb, const char *s)
{
    sb_add_markup(sb, s);
}

void df_fmt_cell(struct strbuf *sb, const char *s, size_t max)
{
    size_t width = df_fmt_width(s), w = 0;
    size_t keep = width > max ? (max > 3 ? max - 3 : 0) : width;
    const unsigned char *p = (const unsigned char *)s;

    while (*p && w < keep) {
        size_t n = utf8_len(p);
        if (n > 1) {
            sb_add(sb, p, n);
            p += n;
        } else {
            if (*p == '\n')
                sb_adds(sb, "\\n");
            else if (*p == '\t')
                sb_adds(sb, "\\t");
            else if (*p == '\r')
                sb_adds(sb, "\\r");
            else if (*p < 0x20 || *p == 0x7f || n == 0)
                sb_addc(sb, '?');
            else
                sb_addc(sb, (char)*p);
            p++;
        }
        w++;
    }
    if (width > max)
        sb_add(sb, "...", max < 3 ? max : 3);
}

int df_fmt_is_json_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return 0;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

void df_fmt_begin(struct df_fmt *f, enum df_format format, FILE *out, size_t ncols,
                  const char *const *names, const enum df_col_kind *kind, size_t max_width)
{
    memset(f, 0, sizeof(*f));
    f->format = format;
    f->out = out;
    f->ncols = ncols;
    f->max_width = max_width ? max_width : DF_FMT_DEFAULT_WIDTH;
    f->names = xcalloc(ncols ? ncols : 1, sizeof(*f->names));
    f->kind = xcalloc(ncols ? ncols : 1, sizeof(*f->kind));
    for (size_t c = 0; c < ncols; c++) {
        f->names[c] = xstrdup(names[c] ? names[c] : "");
        f->kind[c] = kind ? kind[c] : DF_COL_TEXT;
    }
    if (format == DF_FORMAT_CSV) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t c = 0; c < ncols; c++) {
            if (c)
                sb_addc(&sb, ',');
            df_fmt_csv_field(&sb, f->names[c]);
        }
        sb_addc(&sb, '\n');
        fwrite(sb.buf, 1, sb.len, out);
        sb_release(&sb);
    }
}

static void json_row(struct df_fmt *f, const char *const *cells, struct strbuf *sb)
{
    sb_addc(sb, '{');
    for (size_t c = 0; c < f->ncols; c++) {
        const char *v = cells[c];
        if (c)
            sb_addc(sb, ',');
        df_fmt_json_string(sb, f->names[c]);
        sb_addc(sb, ':');
        if (!v)
            sb_adds(sb, "null");
        else if ((f->kind[c] == DF_COL_NUMBER && df_fmt_is_json_number(v)) ||
                 (f->kind[c] == DF_COL_BOOL && (!strcmp(v, "true") || !strcmp(v, "false"))))
            sb_adds(sb, v); /* a bare JSON number or boolean */
        else
            df_fmt_json_string(sb, v);
    }
    sb_adds(sb, "}\n");
}

void df_fmt_row(struct df_fmt *f, const char *const *cells)
{
    struct strbuf sb = STRBUF_INIT;

    f->rows_written++;
    if (f->format == DF_FORMAT_TABLE) {
        if (f->nrows == f->alloc) {
            f->alloc = f->alloc ? f->alloc * 2 : 64;
            f->cells = xrealloc(f->cells, f->alloc * (f->ncols ? f->ncols : 1) * sizeof(char *));
        }
        for (size_t c = 0; c < f->ncols; c++) {
            char **slot = &f->cells[f->nrows * f->ncols + c];
            *slot = NULL;
            if (cells[c]) {
                df_fmt_cell(&sb, cells[c], f->max_width);
                *slot = sb_detach(&sb);
            }
        }
        f->nrows++;
        return;
    }
    if (f->format == DF_FORMAT_CSV) {
        for (size_t c = 0; c < f->ncols; c++) {
            if (c)
                sb_addc(&sb, ',');
            if (cells[c])
                df_fmt_csv_field(&sb, cells[c]);
        }
        sb_addc(&sb, '\n');
    } else if (f->format == DF_FORMAT_JSON) {
        json_row(f, cells, &sb);
    }
    fwrite(sb.buf, 1, sb.len, f->out);
    sb_release(&sb);
}

static void pad(struct strbuf *sb, size_t n)
{
    while (n--)
        sb_addc(sb, ' ');
}

static void print_table(struct df_fmt *f)
{
    size_t *w = xcalloc(f->ncols ? f->ncols : 1, sizeof(*w));
    struct strbuf sb = STRBUF_INIT, name = STRBUF_INIT;

    for (size_t c = 0; c < f->ncols; c++) {
        df_fmt_cell(&name, f->names[c], f->max_width);
        w[c] = df_fmt_width(name.buf);
        sb_reset(&name);
        for (size_t r = 0; r < f->nrows; r++) {
            const char *v = f->cells[r * f->ncols + c];
            size_t cw = df_fmt_width(v ? v : "NULL");
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t c = 0; c < f->ncols; c++) {
        size_t cw;
        df_fmt_cell(&name, f->names[c], f->max_width);
        cw = df_fmt_width(name.buf);
        sb_adds(&sb, c ? " | " : " ");
        if (f->kind[c] == DF_COL_NUMBER) {
            pad(&sb, w[c] - cw);
            sb_add(&sb, name.buf, name.len);
        } else {
            sb_add(&sb, name.buf, name.len);
            if (c + 1 < f->ncols)
                pad(&sb, w[c] - cw);
        }
        sb_reset(&name);
    }
    sb_addc(&sb, '\n');
    for (size_t c = 0; c < f->ncols; c++) {
        if (c)
            sb_addc(&sb, '+');
        for (size_t i = 0; i < w[c] + 2; i++)
            sb_addc(&sb, '-');
    }
    sb_addc(&sb, '\n');
    fwrite(sb.buf, 1, sb.len, f->out);
    sb_reset(&sb);
    for (size_t r = 0; r < f->nrows; r++) {
        for (size_t c = 0; c < f->ncols; c++) {
            const char *v = f->cells[r * f->ncols + c];
            size_t cw;
            if (!v)
                v = "NULL";
            cw = df_fmt_width(v);
            sb_adds(&sb, c ? " | " : " ");
            if (f->kind[c] == DF_COL_NUMBER) {
                pad(&sb, w[c] - cw);
                sb_adds(&sb, v);
            } else {
                sb_adds(&sb, v);
                if (c + 1 < f->ncols)
                    pad(&sb, w[c] - cw);
            }
        }
        sb_addc(&sb, '\n');
        fwrite(sb.buf, 1, sb.len, f->out);
        sb_reset(&sb);
    }
    fprintf(f->out, "(%zu row%s)\n", f->nrows, f->nrows == 1 ? "" : "s");
    sb_release(&sb);
    sb_release(&name);
    free(w);
}

int df_fmt_end(struct df_fmt *f)
{
    if (f->format == DF_FORMAT_TABLE)
        print_table(f);
    if (fflush(f->out) != 0 || ferror(f->out)) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    return 0;
}

void df_fmt_release(struct df_fmt *f)
{
    for (size_t i = 0; i < f->nrows * f->ncols; i++)
        free(f->cells[i]);
    free(f->cells);
    for (size_t c = 0; c < f->ncols; c++)
        free(f->names[c]);
    free(f->names);
    free(f->kind);
    memset(f, 0, sizeof(*f));
}
