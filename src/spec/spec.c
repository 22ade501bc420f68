/*
 * spec.c - df_pipeline_load(): the pipeline file (DESIGN.md §1) from a YAML tree into the
 * structures of spec.h, field by field, with every value checked where it is written.
 * References between steps are resolved afterwards in spec_resolve.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/spec_internal.h"
#include "store/layout.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define MIN_MEMORY     (16ULL * 1000 * 1000)               /* 16 MB */
#define MAX_MEMORY     (16ULL * 1024 * 1024 * 1024 * 1024) /* 16 TiB */
#define MIN_FILE_SIZE  (1000ULL * 1000)                    /* 1 MB */
#define MAX_FILE_SIZE  (1024ULL * 1024 * 1024 * 1024)      /* 1 TiB */
#define MAX_TIMEOUT_MS (30LL * 24 * 3600 * 1000)           /* 30 days */

static const char *const top_fields[] = {"name",     "description", "params",
                                         "defaults", "steps",       NULL};
static const char *const limit_fields[] = {"memory_limit", "threads", "retries", "timeout", NULL};
static const char *const step_fields[] = {"sql",     "description", "inputs",  "outputs",
                                          "foreach", "after",       "checks",  "memory_limit",
                                          "threads", "retries",     "timeout", NULL};
static const char *const input_fields[] = {"uri", "format", "options", NULL};
static const char *const output_fields[] = {"partition_by", "order_by", "file_size", "compression",
                                            NULL};
static const char *const foreach_fields[] = {"range",    "values", "each", "files",
                                             "per_task", "rows",   NULL};
static const char *const check_fields_allowed[] = {"name", "sql", NULL};
static const char *const compressions[] = {"zstd", "snappy", "gzip", "lz4", "uncompressed", NULL};

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

static int parse_int_text(const char *s, int64_t *out)
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

static int parse_real_text(const char *s, double *out)
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
        if (parse_int_text(n->value, &i) == 0)
            return json_integer(i);
        if (parse_real_text(n->value, &d) == 0)
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

static int want_map(struct loader *L, const struct yt_node *n, const char *what)
{
    if (n && n->kind == YT_MAP)
        return 0;
    return spec_fail(L, n->loc, "%s must be a mapping (name: value lines), not %s", what,
                     spec_node_kind(n));
}

static int want_string(struct loader *L, const struct yt_node *n, const char *what,
                       const char **out)
{
    if (spec_is_null(n) || n->kind != YT_SCALAR)
        return spec_fail(L, n->loc, "%s must be a string, not %s", what, spec_node_kind(n));
    if (strlen(n->value) != n->len)
        return spec_fail(L, n->loc, "%s holds a NUL character", what);
    *out = n->value;
    return 0;
}

static int want_int(struct loader *L, const struct yt_node *n, const char *what, int64_t min,
                    int64_t max, int64_t *out)
{
    int64_t v;

    if (n->kind != YT_SCALAR || spec_is_null(n))
        return spec_fail(L, n->loc, "%s must be an integer, not %s", what, spec_node_kind(n));
    if (!n->plain || parse_int_text(n->value, &v) < 0)
        return spec_fail(L, n->loc, "%s must be an integer, not '%s'", what, n->value);
    if (v < min || v > max)
        return spec_fail(L, n->loc, "%s must be between %lld and %lld, not %lld", what,
                         (long long)min, (long long)max, (long long)v);
    *out = v;
    return 0;
}

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

static void join_list(struct strbuf *sb, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        sb_addf(sb, "%s%s", i ? ", " : "", list[i]);
}

/* Every key of map must be in allowed; where names the mapping for the message. */
static int check_fields(struct loader *L, const struct yt_node *map, const char *where,
                        const char *const *allowed)
{
    for (size_t i = 0; i + 1 < map->n_items; i += 2) {
        const struct yt_node *k = map->items[i];
        struct strbuf sb = STRBUF_INIT;
        if (in_list(k->value, allowed))
            continue;
        if (!strcmp(k->value, "<<"))
            return spec_fail(L, k->loc,
                             "yaml merge keys ('<<') are not supported in %s; put shared limits "
                             "under defaults",
                             where);
        join_list(&sb, allowed);
        spec_fail(L, k->loc, "unknown field '%s' in %s (allowed: %s)", k->value, where, sb.buf);
        sb_release(&sb);
        return -1;
    }
    return 0;
}

/* A string or a list of strings into a fresh array of copies. */
static int want_string_list(struct loader *L, const struct yt_node *n, const char *what, int idents,
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
        if (want_string(L, items[i], what, &s) < 0)
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

static int check_name(struct loader *L, const struct yt_node *k, const char *what)
{
    if (strlen(k->value) != k->len || !spec_valid_ident(k->value))
        return spec_fail(L, k->loc,
                         "%s name '%s' is not valid: use letters, digits and _, not starting "
                         "with a digit, at most 63 characters",
                         what, k->value);
    return 0;
}

/* ---- limits ---------------------------------------------------------------------------- */

static int load_limit(struct loader *L, const struct yt_node *k, const struct yt_node *v,
                      struct df_limits *lim)
{
    int64_t i;

    if (!strcmp(k->value, "memory_limit")) {
        uint64_t bytes;
        if (v->kind != YT_SCALAR || spec_is_null(v) || df_parse_size(v->value, &bytes) < 0)
            return spec_fail(L, v->loc, "bad size '%s' for memory_limit (e.g. 512MB, 4GiB)",
                             v->kind == YT_SCALAR ? v->value : spec_node_kind(v));
        if (bytes < MIN_MEMORY || bytes > MAX_MEMORY)
            return spec_fail(L, v->loc, "memory_limit '%s' is out of range (16MB to 16TiB)",
                             v->value);
        lim->memory_limit = bytes;
    } else if (!strcmp(k->value, "threads")) {
        if (want_int(L, v, "threads", 1, 1024, &i) < 0)
            return -1;
        lim->threads = (int)i;
    } else if (!strcmp(k->value, "retries")) {
        if (want_int(L, v, "retries", 0, 100, &i) < 0)
            return -1;
        lim->retries = (int)i;
    } else if (!strcmp(k->value, "timeout")) {
        int64_t ms;
        if (v->kind != YT_SCALAR || spec_is_null(v) || df_parse_duration(v->value, &ms) < 0)
            return spec_fail(L, v->loc, "bad duration '%s' for timeout (e.g. 90s, 10m, 1h30m)",
                             v->kind == YT_SCALAR ? v->value : spec_node_kind(v));
        if (ms < 1000 || ms > MAX_TIMEOUT_MS)
            return spec_fail(L, v->loc, "timeout '%s' is out of range (1s to 30 days)", v->value);
        lim->timeout_ms = ms;
    }
    return 0;
}

/* ---- params ---------------------------------------------------------------------------- */

static int load_params(struct loader *L, const struct yt_node *n)
{
    L->p->params = json_object();
    if (!n)
        return 0;
    L->params_node = n;
    L->params_loc = n->loc;
    if (spec_is_null(n))
        return 0;
    if (want_map(L, n, "params") < 0)
        return -1;
    for (size_t i = 0; i + 1 < n->n_items; i += 2) {
        const struct yt_node *k = n->items[i], *v = n->items[i + 1];
        json_t *j;
        if (check_name(L, k, "param") < 0)
            return -1;
        /* A task sets these two variables itself; a param of that name would vanish. */
        if (!strcasecmp(k->value, "item") || !strcasecmp(k->value, "item_index"))
            return spec_fail(L, k->loc,
                             "param name '%s' is reserved: getvariable('%s') is the task's own",
                             k->value, k->value);
        if (v->kind == YT_MAP || spec_is_null(v))
            return spec_fail(L, v->loc,
                             "param '%s' must be an integer, a number, a boolean, a string "
                             "or a list, not %s",
                             k->value, spec_node_kind(v));
        j = spec_node_json(v);
        json_object_set_new(L->p->params, k->value, j);
    }
    return 0;
}

/* ---- steps ----------------------------------------------------------------------------- */

/* "sql/x.sql" style: one word ending in .sql. */
static int is_sql_file_ref(const char *s)
{
    size_t n = strlen(s);

    if (n < 5 || strcmp(s + n - 4, ".sql") != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

/* Leading spaces of the first non-blank line at or after line (1-based) of the text. */
static int block_indent(const struct loader *L, int line)
{
    const char *p = L->text, *end = L->text + L->text_len;

    for (int i = 1; i < line && p < end; i++) {
        p = memchr(p, '\n', (size_t)(end - p));
        p = p ? p + 1 : end;
    }
    while (p < end) {
        int n = 0;
        while (p + n < end && p[n] == ' ')
            n++;
        if (p + n < end && p[n] != '\n' && p[n] != '\r')
            return n;
        p = memchr(p, '\n', (size_t)(end - p));
        p = p ? p + 1 : end;
    }
    return 0;
}

/* Where a scalar's text starts: a block scalar's on the line after its indicator (| or >),
 * every line at the indentation of its first non-blank line; a quoted one after its quote. */
static struct df_loc text_start(const struct loader *L, const struct yt_node *v)
{
    struct df_loc at = v->loc;

    if (v->block) {
        at.line++;
        at.col = block_indent(L, at.line) + 1;
    } else if (!v->plain) {
        at.col++;
    }
    return at;
}

static int load_sql(struct loader *L, struct df_step *s, const struct yt_node *v)
{
    const char *text;
    struct df_loc at;

    s->sql_loc = v->loc;
    if (want_string(L, v, "sql", &text) < 0)
        return -1;
    if (is_sql_file_ref(text)) {
        struct df_error e = DF_ERROR_INIT;
        size_t len;
        char *slash;
        s->sql_file = text[0] == '/' ? xstrdup(text) : fs_join(L->p->dir, text);
        if (fs_read_file(s->sql_file, DF_SPEC_MAX_FILE, &s->sql, &len, &e) < 0) {
            if (e.code == DF_ENOTFOUND)
                return spec_fail(L, v->loc, "sql file '%s' does not exist (looked for '%s')", text,
                                 s->sql_file);
            return spec_fail(L, v->loc, "cannot read sql file '%s': %s", text, e.msg);
        }
        if (strlen(s->sql) != len)
            return spec_fail(L, v->loc, "sql file '%s' holds a NUL byte", text);
        if (blank(s->sql))
            return spec_fail(L, v->loc, "sql file '%s' is empty", text);
        slash = strrchr(L->file, '/');
        if (text[0] == '/' || !slash)
            s->sql_origin = xstrdup(text);
        else
            s->sql_origin = xasprintf("%.*s/%s", (int)(slash - L->file), L->file, text);
        s->sql_line = 1;
        s->sql_col = 1;
        return 0;
    }
    if (blank(text))
        return spec_fail(L, v->loc, "step '%s': sql is empty", s->name);
    s->sql = xstrdup(text);
    s->sql_origin = xstrdup(L->file);
    at = text_start(L, v);
    s->sql_line = at.line;
    s->sql_col = at.col;
    return 0;
}

/* The format a file name's extension tells, or NULL. Compression suffixes are skipped. */
static const char *format_from_name(const char *uri)
{
    static const char *const skip[] = {".gz", ".zst", ".zstd", ".bz2", ".xz", NULL};
    static const struct {
        const char *ext, *format;
    } exts[] = {{".parquet", "parquet"}, {".csv", "csv"},    {".tsv", "csv"},
                {".json", "json"},       {".jsonl", "json"}, {".ndjson", "json"}};
    size_t n = strlen(uri);

    for (size_t i = 0; skip[i]; i++) {
        size_t k = strlen(skip[i]);
        if (n > k && !strcasecmp(uri + n - k, skip[i])) {
            n -= k;
            break;
        }
    }
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t k = strlen(exts[i].ext);
        if (n > k && !strncasecmp(uri + n - k, exts[i].ext, k))
            return exts[i].format;
    }
    return NULL;
}

/* An external source as written -> its uri (local paths made absolute). */
static int external_uri(struct loader *L, const struct yt_node *v, const char *text, char **uri)
{
    const char *sep = strstr(text, "://");

    if (sep) {
        if (!strncmp(text, "file://", 7)) {
            if (text[7] != '/')
                return spec_fail(L, v->loc,
                                 "'%s': a file:// uri needs an absolute path "
                                 "(file:///abs/path)",
                                 text);
            *uri = xstrdup(text + 7);
            return 0;
        }
        if (!strncmp(text, "s3://", 5) || !strncmp(text, "gs://", 5)) {
            if (!text[5] || text[5] == '/')
                return spec_fail(L, v->loc, "'%s' names no bucket", text);
            *uri = xstrdup(text);
            return 0;
        }
        return spec_fail(L, v->loc,
                         "unsupported uri scheme in '%s' (use a path, file://, s3:// or gs://)",
                         text);
    }
    *uri = text[0] == '/' ? xstrdup(text) : fs_join(L->p->dir, text);
    return 0;
}

static int load_input_format(struct loader *L, struct df_input *in, const struct yt_node *fmt,
                             const struct yt_node *where)
{
    const char *f = NULL;

    if (fmt) {
        if (want_string(L, fmt, "format", &f) < 0)
            return -1;
        if (!strcmp(f, "jsonl") || !strcmp(f, "ndjson"))
            f = "json";
        if (strcmp(f, "parquet") && strcmp(f, "csv") && strcmp(f, "json"))
            return spec_fail(L, fmt->loc, "unknown format '%s' (parquet, csv or json)", f);
    } else {
        f = format_from_name(in->uri);
        if (!f)
            return spec_fail(L, where->loc,
                             "input '%s': cannot tell the format of '%s' from its name; write "
                             "{uri: ..., format: parquet|csv|json}",
                             in->name, in->uri);
    }
    in->format = xstrdup(f);
    return 0;
}

/* 1 when text is "a.b" with two identifiers. */
static int split_step_table(const char *text, char **step, char **table)
{
    const char *dot = strchr(text, '.');
    char *a, *b;

    if (!dot || strchr(dot + 1, '.'))
        return 0;
    a = xstrndup(text, (size_t)(dot - text));
    b = xstrdup(dot + 1);
    if (!spec_valid_ident(a) || !spec_valid_ident(b)) {
        free(a);
        free(b);
        return 0;
    }
    *step = a;
    *table = b;
    return 1;
}

static int load_input(struct loader *L, const struct yt_node *k, const struct yt_node *v,
                      struct df_input *in)
{
    const char *text;

    in->step_index = -1;
    in->loc = v->loc;
    if (check_name(L, k, "input") < 0)
        return -1;
    in->name = xstrdup(k->value);
    if (v->kind == YT_MAP) {
        const struct yt_node *u = yt_map_get(v, "uri"), *opt = yt_map_get(v, "options");
        char where[128];
        snprintf(where, sizeof(where), "input '%s'", in->name);
        if (check_fields(L, v, where, input_fields) < 0)
            return -1;
        if (!u)
            return spec_fail(L, v->loc, "input '%s' needs a uri", in->name);
        if (want_string(L, u, "uri", &text) < 0 || external_uri(L, u, text, &in->uri) < 0)
            return -1;
        if (load_input_format(L, in, yt_map_get(v, "format"), u) < 0)
            return -1;
        if (opt && !spec_is_null(opt)) {
            if (want_map(L, opt, "options") < 0)
                return -1;
            in->options = spec_node_json(opt);
        }
        return 0;
    }
    if (v->kind != YT_SCALAR || spec_is_null(v))
        return spec_fail(L, v->loc,
                         "input '%s' must be step.table, a path or uri, or {uri: ..., format: "
                         "...}, not %s",
                         in->name, spec_node_kind(v));
    if (want_string(L, v, "input", &text) < 0)
        return -1;
    if (!strstr(text, "://") && !strchr(text, '/') &&
        split_step_table(text, &in->step, &in->table)) {
        /* "a.b" is a step's table when a is a step; else a file in the pipeline's folder
         * when b is a known extension ("regions.csv"). */
        if (df_pipeline_step_index(L->p, in->step) >= 0)
            return 0;
        if (!format_from_name(text))
            return spec_fail(L, v->loc, "input '%s': unknown step '%s' in '%s'", in->name, in->step,
                             text);
        free(in->step);
        free(in->table);
        in->step = in->table = NULL;
    }
    if (external_uri(L, v, text, &in->uri) < 0)
        return -1;
    return load_input_format(L, in, NULL, v);
}

static int load_inputs(struct loader *L, struct df_step *s, const struct yt_node *n)
{
    if (spec_is_null(n))
        return 0;
    if (want_map(L, n, "inputs") < 0)
        return -1;
    s->inputs = xcalloc(yt_map_size(n) + 1, sizeof(*s->inputs));
    for (size_t i = 0; i + 1 < n->n_items; i += 2) {
        for (size_t j = 0; j < s->n_inputs; j++)
            if (!strcasecmp(s->inputs[j].name, n->items[i]->value))
                return spec_fail(L, n->items[i]->loc,
                                 "input '%s' differs from input '%s' only in case",
                                 n->items[i]->value, s->inputs[j].name);
        s->inputs[s->n_inputs].step_index = -1;
        s->n_inputs++;
        if (load_input(L, n->items[i], n->items[i + 1], &s->inputs[s->n_inputs - 1]) < 0)
            return -1;
    }
    return 0;
}

static int load_output_opts(struct loader *L, struct df_output *o, const struct yt_node *v)
{
    const struct yt_node *x;
    char where[128];

    if (spec_is_null(v))
        return 0;
    snprintf(where, sizeof(where), "output '%s'", o->name);
    if (v->kind != YT_MAP)
        return spec_fail(L, v->loc,
                         "output '%s' takes {partition_by, order_by, file_size, compression}, "
                         "not %s",
                         o->name, spec_node_kind(v));
    if (check_fields(L, v, where, output_fields) < 0)
        return -1;
    if ((x = yt_map_get(v, "partition_by")) &&
        want_string_list(L, x, "partition_by", 1, &o->partition_by, &o->n_partition_by, NULL) < 0)
        return -1;
    if ((x = yt_map_get(v, "order_by")) &&
        want_string_list(L, x, "order_by", 0, &o->order_by, &o->n_order_by, NULL) < 0)
        return -1;
    if ((x = yt_map_get(v, "file_size"))) {
        uint64_t bytes;
        if (x->kind != YT_SCALAR || spec_is_null(x) || df_parse_size(x->value, &bytes) < 0)
            return spec_fail(L, x->loc, "bad size '%s' for file_size (e.g. 256MB)",
                             x->kind == YT_SCALAR ? x->value : spec_node_kind(x));
        if (bytes < MIN_FILE_SIZE || bytes > MAX_FILE_SIZE)
            return spec_fail(L, x->loc, "file_size '%s' is out of range (1MB to 1TiB)", x->value);
        o->file_size = bytes;
    }
    if ((x = yt_map_get(v, "compression"))) {
        const char *c;
        struct strbuf sb = STRBUF_INIT;
        if (want_string(L, x, "compression", &c) < 0)
            return -1;
        if (!in_list(c, compressions)) {
            join_list(&sb, compressions);
            spec_fail(L, x->loc, "unknown compression '%s' (%s)", c, sb.buf);
            sb_release(&sb);
            return -1;
        }
        free(o->compression);
        o->compression = xstrdup(c);
    }
    return 0;
}

static int add_output(struct loader *L, struct df_step *s, const struct yt_node *k)
{
    struct df_output *o;

    if (check_name(L, k, "output") < 0)
        return -1;
    /* DuckDB folds identifiers' case, so "T" and "t" would be one table. */
    for (size_t i = 0; i < s->n_outputs; i++)
        if (!strcasecmp(s->outputs[i].name, k->value))
            return spec_fail(L, k->loc, "duplicate output '%s' in step '%s'", k->value, s->name);
    o = &s->outputs[s->n_outputs++];
    o->name = xstrdup(k->value);
    o->compression = xstrdup("zstd");
    o->loc = k->loc;
    return 0;
}

static int load_outputs(struct loader *L, struct df_step *s, const struct yt_node *n)
{
    if (spec_is_null(n))
        return 0;
    if (n->kind == YT_SEQ) {
        s->outputs = xcalloc(n->n_items + 1, sizeof(*s->outputs));
        for (size_t i = 0; i < n->n_items; i++) {
            const char *unused;
            if (want_string(L, n->items[i], "an output", &unused) < 0 ||
                add_output(L, s, n->items[i]) < 0)
                return -1;
        }
        return 0;
    }
    if (n->kind != YT_MAP)
        return spec_fail(L, n->loc,
                         "outputs must be a list of table names or a mapping name: {options}, "
                         "not %s",
                         spec_node_kind(n));
    s->outputs = xcalloc(yt_map_size(n) + 1, sizeof(*s->outputs));
    for (size_t i = 0; i + 1 < n->n_items; i += 2) {
        if (add_output(L, s, n->items[i]) < 0 ||
            load_output_opts(L, &s->outputs[s->n_outputs - 1], n->items[i + 1]) < 0)
            return -1;
    }
    return 0;
}

static int load_foreach(struct loader *L, struct df_step *s, const struct yt_node *n)
{
    static const char *const kinds[] = {"range", "values", "each", "files", "rows"};
    struct df_foreach *f = &s->foreach;
    const struct yt_node *v = NULL, *pt;
    const char *kind = NULL, *text;
    int64_t i;

    f->each_index = f->files_input = f->files_step = -1;
    if (spec_is_null(n))
        return 0;
    if (want_map(L, n, "foreach") < 0 || check_fields(L, n, "foreach", foreach_fields) < 0)
        return -1;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const struct yt_node *x = yt_map_get(n, kinds[k]);
        if (!x)
            continue;
        if (v)
            return spec_fail(L, x->loc,
                             "foreach has two kinds, '%s' and '%s': a step fans out one way", kind,
                             kinds[k]);
        v = x;
        kind = kinds[k];
    }
    if (!v)
        return spec_fail(L, n->loc, "foreach needs one of range, values, each, files or rows");
    f->loc = v->loc;
    pt = yt_map_get(n, "per_task");
    if (pt && strcmp(kind, "files") != 0)
        return spec_fail(L, pt->loc, "per_task goes with foreach files, not %s", kind);

    if (!strcmp(kind, "range")) {
        f->kind = DF_FOREACH_RANGE;
        if (v->kind == YT_SCALAR && !v->plain) {
            /* A quoted value is a param name. */
        } else if (v->kind == YT_SCALAR && parse_int_text(v->value, &i) == 0) {
            return want_int(L, v, "foreach range", 0, DF_SPEC_MAX_ITEMS, &f->range);
        }
        if (want_string(L, v, "foreach range", &text) < 0)
            return -1;
        if (!spec_valid_ident(text))
            return spec_fail(L, v->loc, "foreach range must be a count or a param name, not '%s'",
                             text);
        f->range_param = xstrdup(text);
        /* The count is taken after --param overrides (spec_resolve). */
        return 0;
    }
    if (!strcmp(kind, "values")) {
        f->kind = DF_FOREACH_VALUES;
        if (v->kind == YT_SEQ) {
            if (v->n_items > DF_SPEC_MAX_ITEMS)
                return spec_fail(L, v->loc, "foreach values lists more than %d items",
                                 DF_SPEC_MAX_ITEMS);
            f->values = spec_node_json(v);
            return 0;
        }
        if (v->kind != YT_SCALAR || spec_is_null(v) || !spec_valid_ident(v->value))
            return spec_fail(L, v->loc, "foreach values must be a list or a list param's name");
        f->values_param = xstrdup(v->value);
        return 0;
    }
    if (!strcmp(kind, "each")) {
        f->kind = DF_FOREACH_EACH;
        if (want_string(L, v, "foreach each", &text) < 0)
            return -1;
        f->each = xstrdup(text);
        return 0;
    }
    if (!strcmp(kind, "files")) {
        f->kind = DF_FOREACH_FILES;
        if (want_string(L, v, "foreach files", &text) < 0)
            return -1;
        f->files_source = xstrdup(text);
        f->per_task = 1;
        if (pt && want_int(L, pt, "per_task", 1, DF_SPEC_MAX_ITEMS, &f->per_task) < 0)
            return -1;
        return 0;
    }
    f->kind = DF_FOREACH_ROWS;
    if (want_string(L, v, "foreach rows", &text) < 0)
        return -1;
    if (blank(text))
        return spec_fail(L, v->loc, "foreach rows needs a query");
    f->rows_sql = xstrdup(text);
    f->rows_at = text_start(L, v);
    return 0;
}

static int load_checks(struct loader *L, struct df_step *s, const struct yt_node *n)
{
    if (spec_is_null(n))
        return 0;
    if (n->kind != YT_SEQ)
        return spec_fail(L, n->loc, "checks must be a list of {name, sql}, not %s",
                         spec_node_kind(n));
    s->checks = xcalloc(n->n_items + 1, sizeof(*s->checks));
    for (size_t i = 0; i < n->n_items; i++) {
        const struct yt_node *c = n->items[i], *name, *sql;
        struct df_check *ck = &s->checks[s->n_checks];
        const char *text;
        if (c->kind != YT_MAP)
            return spec_fail(L, c->loc, "a check must be {name: ..., sql: ...}, not %s",
                             spec_node_kind(c));
        if (check_fields(L, c, "a check", check_fields_allowed) < 0)
            return -1;
        name = yt_map_get(c, "name");
        sql = yt_map_get(c, "sql");
        if (!name)
            return spec_fail(L, c->loc, "a check needs a name");
        if (!sql)
            return spec_fail(L, c->loc, "a check needs sql");
        if (want_string(L, name, "check name", &text) < 0)
            return -1;
        for (size_t j = 0; j < s->n_checks; j++)
            if (!strcmp(s->checks[j].name, text))
                return spec_fail(L, name->loc, "duplicate check '%s' in step '%s'", text, s->name);
        ck->name = xstrdup(text);
        ck->loc = c->loc;
        s->n_checks++;
        if (want_string(L, sql, "check sql", &text) < 0)
            return -1;
        if (blank(text))
            return spec_fail(L, sql->loc, "check '%s': sql is empty", ck->name);
        /* Only a step's sql may name a file; a check's would run as the SQL "x.sql". */
        if (is_sql_file_ref(text))
            return spec_fail(L, sql->loc,
                             "check '%s': sql must be inline; '%s' looks like a file name",
                             ck->name, text);
        ck->sql = xstrdup(text);
        ck->sql_at = text_start(L, sql);
    }
    return 0;
}

static int load_step(struct loader *L, const struct yt_node *k, const struct yt_node *v,
                     struct df_step *s)
{
    const struct yt_node *x;
    char where[128];

    s->limits = L->p->defaults;
    s->foreach.each_index = s->foreach.files_input = s->foreach.files_step = -1;
    if (spec_is_null(v))
        return spec_fail(L, k->loc, "step '%s' is empty: it needs sql", s->name);
    if (v->kind != YT_MAP)
        return spec_fail(L, v->loc, "step '%s' must be a mapping of fields, not %s", s->name,
                         spec_node_kind(v));
    snprintf(where, sizeof(where), "step '%s'", s->name);
    if (check_fields(L, v, where, step_fields) < 0)
        return -1;
    x = yt_map_get(v, "sql");
    if (!x)
        return spec_fail(L, k->loc, "step '%s' has no sql", s->name);
    if (load_sql(L, s, x) < 0)
        return -1;
    if ((x = yt_map_get(v, "description")) && !spec_is_null(x)) {
        const char *d;
        if (want_string(L, x, "description", &d) < 0)
            return -1;
        s->description = xstrdup(d);
    }
    if ((x = yt_map_get(v, "inputs")) && load_inputs(L, s, x) < 0)
        return -1;
    if ((x = yt_map_get(v, "outputs")) && load_outputs(L, s, x) < 0)
        return -1;
    if ((x = yt_map_get(v, "foreach")) && load_foreach(L, s, x) < 0)
        return -1;
    if ((x = yt_map_get(v, "after")) && !spec_is_null(x) &&
        want_string_list(L, x, "after", 1, &s->after, &s->n_after, &s->after_locs) < 0)
        return -1;
    if ((x = yt_map_get(v, "checks")) && load_checks(L, s, x) < 0)
        return -1;
    for (size_t i = 0; i + 1 < v->n_items; i += 2)
        if (in_list(v->items[i]->value, limit_fields) &&
            load_limit(L, v->items[i], v->items[i + 1], &s->limits) < 0)
            return -1;
    return 0;
}

static int load_steps(struct loader *L, const struct yt_node *n)
{
    struct df_pipeline *p = L->p;
    size_t count;

    if (!n)
        return spec_fail(L, (struct df_loc){1, 1}, "pipeline has no steps");
    if (spec_is_null(n))
        return spec_fail(L, n->loc, "pipeline has no steps");
    if (want_map(L, n, "steps") < 0)
        return -1;
    count = yt_map_size(n);
    if (count > DF_SPEC_MAX_STEPS)
        return spec_fail(L, n->loc, "more than %d steps", DF_SPEC_MAX_STEPS);
    if (count == 0)
        return spec_fail(L, n->loc, "pipeline has no steps");
    /* Names first, so that inputs can tell a step's table from a file name. */
    p->steps = xcalloc(count, sizeof(*p->steps));
    for (size_t i = 0; i < count; i++) {
        const struct yt_node *k = n->items[2 * i];
        if (check_name(L, k, "step") < 0)
            return -1;
        /* Steps become schemas in `duckflow query`, where case does not count. */
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(p->steps[j].name, k->value))
                return spec_fail(L, k->loc, "step '%s' differs from step '%s' only in case",
                                 k->value, p->steps[j].name);
        p->steps[i].name = xstrdup(k->value);
        p->steps[i].loc = k->loc;
        p->steps[i].foreach.each_index = -1;
        p->steps[i].foreach.files_input = -1;
        p->steps[i].foreach.files_step = -1;
        p->n_steps++;
    }
    for (size_t i = 0; i < count; i++)
        if (load_step(L, n->items[2 * i], n->items[2 * i + 1], &p->steps[i]) < 0)
            return -1;
    return 0;
}

/* ---- the whole file -------------------------------------------------------------------- */

static int load_top(struct loader *L, const struct yt_node *root, const struct df_param_override *o,
                    size_t n_o)
{
    struct df_pipeline *p = L->p;
    const struct yt_node *x;
    const char *s;

    if (!root || spec_is_null(root))
        return spec_fail(L, (struct df_loc){1, 1}, "pipeline file is empty");
    if (root->kind != YT_MAP)
        return spec_fail(L, root->loc,
                         "a pipeline file must be a mapping (name, steps, ...), "
                         "not %s",
                         spec_node_kind(root));
    if (check_fields(L, root, "the pipeline", top_fields) < 0)
        return -1;
    x = yt_map_get(root, "name");
    if (!x)
        return spec_fail(L, root->loc, "pipeline has no name");
    if (want_string(L, x, "name", &s) < 0)
        return -1;
    if (!spec_valid_pipeline_name(s))
        return spec_fail(L, x->loc,
                         "pipeline name '%s' is not valid: use a-z, 0-9, _ and -, at most 63 "
                         "characters",
                         s);
    p->name = xstrdup(s);
    if ((x = yt_map_get(root, "description")) && !spec_is_null(x)) {
        if (want_string(L, x, "description", &s) < 0)
            return -1;
        p->description = xstrdup(s);
    }
    if (load_params(L, yt_map_get(root, "params")) < 0 || spec_apply_overrides(L, o, n_o) < 0)
        return -1;
    p->defaults.retries = -1;
    if ((x = yt_map_get(root, "defaults")) && !spec_is_null(x)) {
        if (want_map(L, x, "defaults") < 0 || check_fields(L, x, "defaults", limit_fields) < 0)
            return -1;
        for (size_t i = 0; i + 1 < x->n_items; i += 2)
            if (load_limit(L, x->items[i], x->items[i + 1], &p->defaults) < 0)
                return -1;
    }
    return load_steps(L, yt_map_get(root, "steps"));
}

static void compute_hash(struct loader *L)
{
    struct df_pipeline *p = L->p;
    struct df_sha256 *h = df_sha256_new();
    char *params = json_dumps(p->params, JSON_SORT_KEYS | JSON_COMPACT);
    char head[64];

    /* Length-prefixed parts, so that no two different inputs hash the same bytes. */
    snprintf(head, sizeof(head), "duckflow-spec-1 %zu\n", L->text_len);
    df_sha256_update(h, head, strlen(head));
    df_sha256_update(h, L->text, L->text_len);
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *s = &p->steps[i];
        if (!s->sql_file)
            continue;
        snprintf(head, sizeof(head), "\nsql %zu %zu\n", i, strlen(s->sql));
        df_sha256_update(h, head, strlen(head));
        df_sha256_update(h, s->sql, strlen(s->sql));
    }
    snprintf(head, sizeof(head), "\nparams %zu\n", params ? strlen(params) : 0);
    df_sha256_update(h, head, strlen(head));
    if (params)
        df_sha256_update(h, params, strlen(params));
    df_sha256_final(h, p->spec_hash);
    free(params);
}

int df_pipeline_load(const char *path, const struct df_param_override *overrides,
                     size_t n_overrides, struct df_pipeline **out, struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    struct loader L;
    struct yt_doc doc = {NULL, NULL};
    struct df_pipeline *p = NULL;
    char *text = NULL, *abs = NULL, *slash;
    size_t len = 0;
    int rc = -1;

    memset(&L, 0, sizeof(L));
    if (fs_read_file(path, DF_SPEC_MAX_FILE, &text, &len, &e) < 0) {
        if (e.code == DF_ENOTFOUND)
            return df_error_set(err, DF_EUSAGE, "'%s': no such pipeline file", path);
        if (fs_file_size(path) > (int64_t)DF_SPEC_MAX_FILE)
            return df_error_set(err, DF_EUSAGE, "%s:1:1: pipeline file is larger than %u MB", path,
                                DF_SPEC_MAX_FILE >> 20);
        return df_error_set(err, DF_EUSAGE, "'%s': cannot read pipeline file: %s", path, e.msg);
    }
    p = xcalloc(1, sizeof(*p));
    p->path = xstrdup(path);
    abs = fs_absolute(path);
    slash = strrchr(abs, '/');
    p->dir = slash && slash != abs ? xstrndup(abs, (size_t)(slash - abs)) : xstrdup("/");
    p->defaults.retries = -1;
    L.file = path;
    L.err = err;
    L.p = p;
    L.text = text;
    L.text_len = len;
    L.params_loc = (struct df_loc){1, 1};
    if (strlen(text) != len) {
        const char *nul = text + strlen(text);
        int line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        spec_fail(&L, (struct df_loc){line, 1}, "pipeline file holds a NUL byte");
        goto done;
    }
    if (yt_parse(path, text, len, &doc, err) < 0)
        goto done;
    if (load_top(&L, doc.root, overrides, n_overrides) < 0 || spec_resolve(&L) < 0)
        goto done;
    compute_hash(&L);
    rc = 0;
done:
    yt_doc_release(&doc);
    free(text);
    free(abs);
    if (rc < 0) {
        df_pipeline_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

/* ---- lookups and freeing --------------------------------------------------------------- */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void step_release(struct df_step *s)
{
    free(s->name);
    free(s->sql);
    free(s->sql_file);
    free(s->sql_origin);
    free(s->description);
    for (size_t i = 0; i < s->n_inputs; i++) {
        free(s->inputs[i].name);
        free(s->inputs[i].step);
        free(s->inputs[i].table);
        free(s->inputs[i].uri);
        free(s->inputs[i].format);
        json_decref(s->inputs[i].options);
    }
    free(s->inputs);
    for (size_t i = 0; i < s->n_outputs; i++) {
        free(s->outputs[i].name);
        free_strings(s->outputs[i].partition_by, s->outputs[i].n_partition_by);
        free_strings(s->outputs[i].order_by, s->outputs[i].n_order_by);
        free(s->outputs[i].compression);
    }
    free(s->outputs);
    free_strings(s->after, s->n_after);
    free(s->after_locs);
    for (size_t i = 0; i < s->n_checks; i++) {
        free(s->checks[i].name);
        free(s->checks[i].sql);
    }
    free(s->checks);
    free(s->foreach.range_param);
    json_decref(s->foreach.values);
    free(s->foreach.values_param);
    free(s->foreach.each);
    free(s->foreach.files_source);
    free(s->foreach.files_table);
    free(s->foreach.rows_sql);
    free(s->deps);
}

void df_pipeline_free(struct df_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_steps; i++)
        step_release(&p->steps[i]);
    free(p->steps);
    free(p->order);
    free(p->path);
    free(p->dir);
    free(p->name);
    free(p->description);
    json_decref(p->params);
    free(p);
}

int df_pipeline_step_index(const struct df_pipeline *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].name && !strcmp(p->steps[i].name, name))
            return (int)i;
    return -1;
}

const struct df_step *df_pipeline_step(const struct df_pipeline *p, const char *name)
{
    int i = df_pipeline_step_index(p, name);
    return i < 0 ? NULL : &p->steps[i];
}

const struct df_output *df_step_output(const struct df_step *s, const char *name)
{
    if (!s || !name)
        return NULL;
    for (size_t i = 0; i < s->n_outputs; i++)
        if (!strcmp(s->outputs[i].name, name))
            return &s->outputs[i];
    return NULL;
}

int df_param_override_parse(const char *arg, struct df_param_override *o, struct df_error *err)
{
    const char *eq = strchr(arg, '=');

    if (!eq || eq == arg)
        return df_error_set(err, DF_EUSAGE, "--param '%s': expected key=value", arg);
    o->key = xstrndup(arg, (size_t)(eq - arg));
    o->value = eq + 1;
    return 0;
}

void df_param_overrides_free(struct df_param_override *o, size_t n)
{
    if (!o)
        return;
    for (size_t i = 0; i < n; i++)
        free((char *)o[i].key);
    free(o);
}

/* ---- --param overrides ----------------------------------------------------------------- */

static struct df_loc param_loc(struct loader *L, const char *key)
{
    const struct yt_node *v = L->params_node ? yt_map_get(L->params_node, key) : NULL;
    return v ? v->loc : L->params_loc;
}

static json_t *override_value(const json_t *def, const char *text)
{
    int64_t i;
    double d;

    switch (json_typeof(def)) {
    case JSON_INTEGER:
        return parse_int_text(text, &i) == 0 ? json_integer(i) : NULL;
    case JSON_REAL:
        return parse_real_text(text, &d) == 0 ? json_real(d) : NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        if (!strcmp(text, "true") || !strcmp(text, "1"))
            return json_true();
        if (!strcmp(text, "false") || !strcmp(text, "0"))
            return json_false();
        return NULL;
    case JSON_STRING:
        return json_string(text);
    case JSON_ARRAY: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        if (j && !json_is_array(j)) {
            json_decref(j);
            j = NULL;
        }
        return j;
    }
    default:
        return NULL;
    }
}

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean (true or false)";
    case JSON_STRING:
        return "a string";
    case JSON_ARRAY:
        return "a list, given as JSON (e.g. [\"a\",\"b\"])";
    default:
        return "of an unsupported type";
    }
}

int spec_apply_overrides(struct loader *L, const struct df_param_override *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *def = json_object_get(L->p->params, o[i].key);
        json_t *v;
        if (!def) {
            struct strbuf sb = STRBUF_INIT;
            const char *k;
            json_t *unused;
            json_object_foreach(L->p->params, k, unused)
            {
                (void)unused;
                sb_addf(&sb, "%s%s", sb.len ? ", " : "", k);
            }
            spec_fail(L, L->params_loc, "unknown param '%s' in --param %s=%s (%s%s)", o[i].key,
                      o[i].key, o[i].value, sb.len ? "declared: " : "no params are declared",
                      sb.buf);
            sb_release(&sb);
            return -1;
        }
        v = override_value(def, o[i].value);
        if (!v)
            return spec_fail(L, param_loc(L, o[i].key), "--param %s=%s: param '%s' is %s", o[i].key,
                             o[i].value, o[i].key, type_name(def));
        json_object_set_new(L->p->params, o[i].key, v);
    }
    return 0;
}
