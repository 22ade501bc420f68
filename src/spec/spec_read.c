/*
 * spec_read.c - reading the pipeline file's YAML nodes into typed values: errors with
 * FILE:LINE:COL, scalars as JSON, and getters (a mapping, a string, an integer in a range,
 * a list of names, only known fields) that each fail at the node's location.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/spec_internal.h"
#include "util/names.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* ---- errors and values ---------------------------------------------------------------- */

int spec_fail(struct loader *L, struct df_loc loc, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return df_error_set(L->err, DF_EUSAGE, "%s:%d:%d: %s", L->file, loc.line ? loc.line : 1,
                        loc.col ? loc.col : 1, msg);
}

int spec_is_null(const struct yt_node *n)
{
    if (!n)
        return 1;
    if (n->kind != YT_SCALAR || !n->plain)
        return 0;
    return n->len == 0 || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
           !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

const char *spec_node_kind(const struct yt_node *n)
{
    if (spec_is_null(n))
        return "empty";
    if (n->kind == YT_SEQ)
        return "a list";
    if (n->kind == YT_MAP)
        return "a mapping";
    return "a single value";
}

int spec_parse_int_text(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

int spec_parse_real_text(const char *s, double *out)
{
    char *end;
    double v;

    if (!*s || isspace((unsigned char)*s))
        return -1;
    /* Only decimal notation: no "inf", "nan" or hex floats from strtod. */
    for (const char *c = s; *c; c++)
        if (!strchr("0123456789+-.eE", *c))
            return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

static int bool_text(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return 0;
    return -1;
}

json_t *spec_node_json(const struct yt_node *n)
{
    json_t *j;

    if (spec_is_null(n))
        return json_null();
    if (n->kind == YT_SCALAR) {
        int64_t i;
        double d;
        int b;
        if (!n->plain)
            return json_stringn(n->value, n->len);
        if ((b = bool_text(n->value)) >= 0)
            return json_boolean(b);
        if (spec_parse_int_text(n->value, &i) == 0)
            return json_integer(i);
        if (spec_parse_real_text(n->value, &d) == 0)
            return json_real(d);
        return json_stringn(n->value, n->len);
    }
    if (n->kind == YT_SEQ) {
        j = json_array();
        for (size_t i = 0; i < n->n_items; i++)
            json_array_append_new(j, spec_node_json(n->items[i]));
        return j;
    }
    j = json_object();
    for (size_t i = 0; i + 1 < n->n_items; i += 2)
        json_object_set_new(j, n->items[i]->value, spec_node_json(n->items[i + 1]));
    return j;
}

/* The store's rules (layout.h), plus a length cap: names become folder names and SQL
 * identifiers, and nobody means a 200-character step name. */
int spec_valid_ident(const char *s)
{
    return s && df_valid_ident(s) && strlen(s) <= 63;
}

int spec_valid_pipeline_name(const char *s)
{
    return s && df_valid_pipeline_name(s) && strlen(s) <= 63;
}

/* ---- typed getters: each fails with the node's location -------------------------------- */

int spec_want_map(struct loader *L, const struct yt_node *n, const char *what)
{
    if (n && n->kind == YT_MAP)
        return 0;
    return spec_fail(L, n->loc, "%s must be a mapping (name: value lines), not %s", what,
                     spec_node_kind(n));
}

int spec_want_string(struct loader *L, const struct yt_node *n, const char *what, const char **out)
{
    if (spec_is_null(n) || n->kind != YT_SCALAR)
        return spec_fail(L, n->loc, "%s must be a string, not %s", what, spec_node_kind(n));
    if (strlen(n->value) != n->len)
        return spec_fail(L, n->loc, "%s holds a NUL character", what);
    *out = n->value;
    return 0;
}

int spec_want_int(struct loader *L, const struct yt_node *n, const char *what, int64_t min,
                  int64_t max, int64_t *out)
{
    int64_t v;

    if (n->kind != YT_SCALAR || spec_is_null(n))
        return spec_fail(L, n->loc, "%s must be an integer, not %s", what, spec_node_kind(n));
    if (!n->plain || spec_parse_int_text(n->value, &v) < 0)
        return spec_fail(L, n->loc, "%s must be an integer, not '%s'", what, n->value);
    if (v < min || v > max)
        return spec_fail(L, n->loc, "%s must be between %lld and %lld, not %lld", what,
                         (long long)min, (long long)max, (long long)v);
    *out = v;
    return 0;
}

int spec_in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

void spec_join_list(struct strbuf *sb, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        sb_addf(sb, "%s%s", i ? ", " : "", list[i]);
}

/* Every key of map must be in allowed; where names the mapping for the message. */
int spec_check_fields(struct loader *L, const struct yt_node *map, const char *where,
                      const char *const *allowed)
{
    for (size_t i = 0; i + 1 < map->n_items; i += 2) {
        const struct yt_node *k = map->items[i];
        struct strbuf sb = STRBUF_INIT;
        if (spec_in_list(k->value, allowed))
            continue;
        if (!strcmp(k->value, "<<"))
            return spec_fail(L, k->loc,
                             "yaml merge keys ('<<') are not supported in %s; put shared limits "
                             "under defaults",
                             where);
        spec_join_list(&sb, allowed);
        spec_fail(L, k->loc, "unknown field '%s' in %s (allowed: %s)", k->value, where, sb.buf);
        sb_release(&sb);
        return -1;
    }
    return 0;
}

/* A string or a list of strings into a fresh array of copies. */
int spec_want_string_list(struct loader *L, const struct yt_node *n, const char *what, int idents,
                          char ***out, size_t *n_out, struct df_loc **locs)
{
    const struct yt_node *const *items = NULL;
    size_t count = 0;

    if (n->kind == YT_SCALAR && !spec_is_null(n)) {
        items = (const struct yt_node *const *)&n;
        count = 1;
    } else if (n->kind == YT_SEQ) {
        items = (const struct yt_node *const *)n->items;
        count = n->n_items;
    } else {
        return spec_fail(L, n->loc, "%s must be a name or a list of names, not %s", what,
                         spec_node_kind(n));
    }
    *out = xcalloc(count ? count : 1, sizeof(char *));
    if (locs)
        *locs = xcalloc(count ? count : 1, sizeof(struct df_loc));
    *n_out = 0;
    for (size_t i = 0; i < count; i++) {
        const char *s = NULL;
        if (spec_want_string(L, items[i], what, &s) < 0)
            return -1;
        if (idents && !spec_valid_ident(s))
            return spec_fail(L, items[i]->loc,
                             "%s: '%s' is not a valid name (letters, digits and _, "
                             "not starting with a digit, at most 63 characters)",
                             what, s);
        (*out)[*n_out] = xstrdup(s);
        if (locs)
            (*locs)[*n_out] = items[i]->loc;
        (*n_out)++;
    }
    return 0;
}

int spec_check_name(struct loader *L, const struct yt_node *k, const char *what)
{
    if (strlen(k->value) != k->len || !spec_valid_ident(k->value))
        return spec_fail(L, k->loc,
                         "%s name '%s' is not valid: use letters, digits and _, not starting "
                         "with a digit, at most 63 characters",
                         what, k->value);
    return 0;
}
