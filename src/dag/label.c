/*
 * label.c - item labels (see label.h).
 */
#include "dag/label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/jsonfmt.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* A scalar as label text into sb; 0 when it is not a short, printable scalar. */
static int scalar_text(const json_t *v, struct strbuf *sb)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        sb_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 1;
    case JSON_REAL:
        sb_adds(sb, df_format_double(json_real_value(v), 0, num, sizeof(num)));
        return 1;
    case JSON_TRUE:
        sb_adds(sb, "true");
        return 1;
    case JSON_FALSE:
        sb_adds(sb, "false");
        return 1;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len == 0 || len > DF_LABEL_MAX)
            return 0;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '[' || s[i] == ']')
                return 0;
        sb_add(sb, s, len);
        return 1;
    }
    default:
        return 0;
    }
}

/* Fields' values joined by ','; 0 when one is not a short scalar. */
static int struct_text(const json_t *obj, struct strbuf *sb)
{
    const char *k;
    json_t *e;
    int first = 1;
    if (json_object_size(obj) == 0)
        return 0;
    json_object_foreach((json_t *)obj, k, e)
    {
        if (!first)
            sb_addc(sb, ',');
        first = 0;
        if (!scalar_text(e, sb))
            return 0;
    }
    return 1;
}

void df_item_label(const json_t *item, size_t index, char *out, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    int ok;

    if (!item || json_is_null(item)) {
        snprintf(out, n, "%s", "");
        return;
    }
    if (json_is_object(item) && json_is_array(json_object_get(item, "files"))) {
        /* files: the partition's values, else the first file's base name (+N more). */
        json_t *part = json_object_get(item, "partition"), *files = json_object_get(item, "files");
        const char *f = json_string_value(json_array_get(files, 0));
        if (json_is_object(part) && json_object_size(part)) {
            ok = struct_text(part, &sb);
        } else if (f) {
            const char *base = strrchr(f, '/');
            sb_adds(&sb, base ? base + 1 : f);
            if (json_array_size(files) > 1)
                sb_addf(&sb, "+%zu", json_array_size(files) - 1);
            ok = sb.len > 0 && !strpbrk(sb.buf, "[]");
        } else {
            ok = 0;
        }
    } else if (json_is_object(item)) {
        ok = struct_text(item, &sb);
    } else {
        ok = scalar_text(item, &sb);
    }
    if (ok && sb.len > 0 && sb.len <= DF_LABEL_MAX)
        snprintf(out, n, "%s", sb.buf);
    else
        snprintf(out, n, "%zu", index);
    sb_release(&sb);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **df_item_labels(const json_t *items, size_t *n)
{
    size_t count = json_array_size(items);
    char **labels = xcalloc(count ? count : 1, sizeof(*labels));
    char **sorted = xcalloc(count ? count : 1, sizeof(*sorted));
    char buf[DF_LABEL_MAX + 32];
    int dup = 0;

    for (size_t i = 0; i < count; i++) {
        df_item_label(json_array_get(items, i), i, buf, sizeof(buf));
        labels[i] = xstrdup(buf);
        sorted[i] = labels[i];
    }
    qsort(sorted, count, sizeof(*sorted), cmp_str);
    for (size_t i = 1; i < count && !dup; i++)
        dup = !strcmp(sorted[i - 1], sorted[i]);
    free(sorted);
    if (dup)
        for (size_t i = 0; i < count; i++) {
            free(labels[i]);
            labels[i] = xasprintf("%zu", i);
        }
    *n = count;
    return labels;
}

void df_item_labels_free(char **labels, size_t n)
{
    if (!labels)
        return;
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
}

long df_item_find(const json_t *items, const char *arg)
{
    size_t n = 0;
    char **labels;
    char *end;
    long found = -1;
    unsigned long idx;

    if (!arg || !*arg)
        return -1;
    idx = strtoul(arg, &end, 10);
    if (*end == '\0' && arg[0] >= '0' && arg[0] <= '9' && idx < json_array_size(items))
        return (long)idx;
    labels = df_item_labels(items, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(labels[i], arg)) {
            if (found >= 0) {
                found = -2;
                break;
            }
            found = (long)i;
        }
    df_item_labels_free(labels, n);
    return found;
}

char *df_foreach_describe(const struct df_foreach *f)
{
    switch (f->kind) {
    case DF_FOREACH_FILES:
        return xasprintf("foreach files '%s'", f->files_source ? f->files_source : "?");
    case DF_FOREACH_ROWS: {
        const char *q = f->rows_sql ? f->rows_sql : "";
        size_t n = strcspn(q, "\n");
        return xasprintf("foreach rows '%.*s%s'", (int)(n > 60 ? 57 : n), q,
                         n > 60 || q[n] ? "..." : "");
    }
    case DF_FOREACH_VALUES:
        if (f->values_param)
            return xasprintf("foreach values '%s'", f->values_param);
        return xstrdup("foreach values []");
    case DF_FOREACH_RANGE:
        if (f->range_param)
            return xasprintf("foreach range '%s' (0)", f->range_param);
        return xstrdup("foreach range 0");
    default:
        return xstrdup("foreach");
    }
}
