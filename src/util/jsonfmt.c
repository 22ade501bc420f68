/*
 * jsonfmt.c - shortest round-trip doubles and a json_dumps() that uses them (see
 * jsonfmt.h). Strings are escaped by jansson itself, so the output is what json_dumps
 * writes except for the digits of reals.
 */
#include "util/jsonfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

char *df_format_double(double d, int force_point, char *out, size_t n)
{
    char buf[64];
    if (isnan(d)) {
        snprintf(out, n, "nan");
        return out;
    }
    if (isinf(d)) {
        snprintf(out, n, "%sinf", d < 0 ? "-" : "");
        return out;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (force_point && !strpbrk(buf, ".eE"))
        snprintf(out, n, "%s.0", buf);
    else
        snprintf(out, n, "%s", buf);
    return out;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void newline(struct strbuf *sb, size_t indent, int depth)
{
    if (!indent)
        return;
    sb_addc(sb, '\n');
    for (size_t i = 0; i < indent * (size_t)depth; i++)
        sb_addc(sb, ' ');
}

static int dump(const json_t *v, size_t flags, int depth, struct strbuf *sb)
{
    size_t indent = flags & JSON_MAX_INDENT;
    int compact = (flags & JSON_COMPACT) != 0;
    const char *sep = compact ? "," : indent ? "," : ", ";
    const char *colon = compact ? ":" : ": ";
    char num[64];

    if (depth > 2048)
        return -1;
    switch (json_typeof(v)) {
    case JSON_REAL: {
        double d = json_real_value(v);
        if (!isfinite(d))
            return -1;
        sb_adds(sb, df_format_double(d, 1, num, sizeof(num)));
        return 0;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), k = 0;
        const char **keys;
        const char *key;
        json_t *e;
        if (n == 0) {
            sb_adds(sb, "{}");
            return 0;
        }
        keys = xcalloc(n, sizeof(*keys));
        json_object_foreach((json_t *)v, key, e) keys[k++] = key;
        if (flags & JSON_SORT_KEYS)
            qsort(keys, n, sizeof(*keys), cmp_keys);
        sb_addc(sb, '{');
        for (k = 0; k < n; k++) {
            json_t *ks = json_string(keys[k]);
            char *kt = json_dumps(ks, JSON_ENCODE_ANY);
            json_decref(ks);
            if (k)
                sb_adds(sb, sep);
            newline(sb, indent, depth + 1);
            if (!kt) {
                free(keys);
                return -1;
            }
            sb_adds(sb, kt);
            sb_adds(sb, colon);
            free(kt);
            if (dump(json_object_get(v, keys[k]), flags, depth + 1, sb) != 0) {
                free(keys);
                return -1;
            }
        }
        free(keys);
        newline(sb, indent, depth);
        sb_addc(sb, '}');
        return 0;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 0) {
            sb_adds(sb, "[]");
            return 0;
        }
        sb_addc(sb, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_adds(sb, sep);
            newline(sb, indent, depth + 1);
            if (dump(json_array_get(v, i), flags, depth + 1, sb) != 0)
                return -1;
        }
        newline(sb, indent, depth);
        sb_addc(sb, ']');
        return 0;
    }
    default: {
        char *t = json_dumps(v, JSON_ENCODE_ANY);
        if (!t)
            return -1;
        sb_adds(sb, t);
        free(t);
        return 0;
    }
    }
}

char *df_json_dumps(const json_t *v, size_t flags)
{
    struct strbuf sb = STRBUF_INIT;
    if (!v || (!(flags & JSON_ENCODE_ANY) && !json_is_object(v) && !json_is_array(v)))
        return NULL;
    if (dump(v, flags, 0, &sb) != 0) {
        sb_release(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}
