/*
 * spec_steps.c - validating one step of the pipeline file (and the resource limits steps
 * and `defaults:` share): its SQL (inline or a file), inputs, outputs, foreach, checks and
 * `after`, each checked field by field with the location of what is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/spec_internal.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/uri.h"
#include "util/banned.h"

#define MIN_MEMORY     (16ULL * 1000 * 1000)               /* 16 MB */
#define MAX_MEMORY     (16ULL * 1024 * 1024 * 1024 * 1024) /* 16 TiB */
#define MIN_FILE_SIZE  (1000ULL * 1000)                    /* 1 MB */
#define MAX_FILE_SIZE  (1024ULL * 1024 * 1024 * 1024)      /* 1 TiB */
#define MAX_TIMEOUT_MS (30LL * 24 * 3600 * 1000)           /* 30 days */

const char *const spec_limit_fields[] = {"memory_limit", "threads", "retries",
                                         "timeout",      "scratch", NULL};
static const char *const step_fields[] = {"sql",     "description", "inputs",  "outputs",
                                          "foreach", "after",       "checks",  "memory_limit",
                                          "threads", "retries",     "timeout", "allow_empty",
                                          "scratch", "argo",        NULL};
static const char *const input_fields[] = {"uri", "format", "options", NULL};
static const char *const output_fields[] = {"partition_by", "order_by", "file_size", "compression",
                                            NULL};
static const char *const foreach_fields[] = {"range",    "values", "each", "files",
                                             "per_task", "rows",   NULL};
static const char *const check_fields_allowed[] = {"name", "sql", "severity", NULL};
static const char *const compressions[] = {"zstd", "snappy", "gzip", "lz4", "uncompressed", NULL};

/* ---- limits ---------------------------------------------------------------------------- */

int spec_load_limit(struct loader *L, const struct yt_node *k, const struct yt_node *v,
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
        if (spec_want_int(L, v, "threads", 1, 1024, &i) < 0)
            return -1;
        lim->threads = (int)i;
    } else if (!strcmp(k->value, "retries")) {
        if (spec_want_int(L, v, "retries", 0, 100, &i) < 0)
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
    } else if (!strcmp(k->value, "scratch")) {
        return spec_load_scratch(L, v, lim);
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
    if (spec_want_string(L, v, "sql", &text) < 0)
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
    switch (df_uri_kind(text)) {
    case DF_URI_FILE:
        if (text[7] != '/')
            return spec_fail(L, v->loc,
                             "'%s': a file:// uri needs an absolute path "
                             "(file:///abs/path)",
                             text);
        *uri = xstrdup(df_uri_local_path(text));
        return 0;
    case DF_URI_OBJECT:
        if (!text[5] || text[5] == '/')
            return spec_fail(L, v->loc, "'%s' names no bucket", text);
        *uri = xstrdup(text);
        return 0;
    case DF_URI_OTHER:
        return spec_fail(L, v->loc,
                         "unsupported uri scheme in '%s' (use a path, file://, s3:// or gs://)",
                         text);
    default:
        break;
    }
    *uri = text[0] == '/' ? xstrdup(text) : fs_join(L->p->dir, text);
    return 0;
}

static int load_input_format(struct loader *L, struct df_input *in, const struct yt_node *fmt,
                             const struct yt_node *where)
{
    const char *f = NULL;

    if (fmt) {
        if (spec_want_string(L, fmt, "format", &f) < 0)
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
    if (spec_check_name(L, k, "input") < 0)
        return -1;
    in->name = xstrdup(k->value);
    if (v->kind == YT_MAP) {
        const struct yt_node *u = yt_map_get(v, "uri"), *opt = yt_map_get(v, "options");
        char where[128];
        snprintf(where, sizeof(where), "input '%s'", in->name);
        if (spec_check_fields(L, v, where, input_fields) < 0)
            return -1;
        if (!u)
            return spec_fail(L, v->loc, "input '%s' needs a uri", in->name);
        if (spec_want_string(L, u, "uri", &text) < 0 || external_uri(L, u, text, &in->uri) < 0)
            return -1;
        if (load_input_format(L, in, yt_map_get(v, "format"), u) < 0)
            return -1;
        if (opt && !spec_is_null(opt)) {
            if (spec_want_map(L, opt, "options") < 0)
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
    if (spec_want_string(L, v, "input", &text) < 0)
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
    if (spec_want_map(L, n, "inputs") < 0)
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
    if (spec_check_fields(L, v, where, output_fields) < 0)
        return -1;
    if ((x = yt_map_get(v, "partition_by")) &&
        spec_want_string_list(L, x, "partition_by", 1, &o->partition_by, &o->n_partition_by, NULL) <
            0)
        return -1;
    if ((x = yt_map_get(v, "order_by")) &&
        spec_want_string_list(L, x, "order_by", 0, &o->order_by, &o->n_order_by, NULL) < 0)
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
        if (spec_want_string(L, x, "compression", &c) < 0)
            return -1;
        if (!spec_in_list(c, compressions)) {
            spec_join_list(&sb, compressions);
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

    if (spec_check_name(L, k, "output") < 0)
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
            if (spec_want_string(L, n->items[i], "an output", &unused) < 0 ||
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
    if (spec_want_map(L, n, "foreach") < 0 ||
        spec_check_fields(L, n, "foreach", foreach_fields) < 0)
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
        } else if (v->kind == YT_SCALAR && spec_parse_int_text(v->value, &i) == 0) {
            return spec_want_int(L, v, "foreach range", 0, DF_SPEC_MAX_ITEMS, &f->range);
        }
        if (spec_want_string(L, v, "foreach range", &text) < 0)
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
        if (spec_want_string(L, v, "foreach each", &text) < 0)
            return -1;
        f->each = xstrdup(text);
        return 0;
    }
    if (!strcmp(kind, "files")) {
        f->kind = DF_FOREACH_FILES;
        if (spec_want_string(L, v, "foreach files", &text) < 0)
            return -1;
        f->files_source = xstrdup(text);
        f->per_task = 1;
        if (pt && spec_want_int(L, pt, "per_task", 1, DF_SPEC_MAX_ITEMS, &f->per_task) < 0)
            return -1;
        return 0;
    }
    f->kind = DF_FOREACH_ROWS;
    if (spec_want_string(L, v, "foreach rows", &text) < 0)
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
        if (spec_check_fields(L, c, "a check", check_fields_allowed) < 0)
            return -1;
        name = yt_map_get(c, "name");
        sql = yt_map_get(c, "sql");
        if (!name)
            return spec_fail(L, c->loc, "a check needs a name");
        if (!sql)
            return spec_fail(L, c->loc, "a check needs sql");
        if (spec_want_string(L, name, "check name", &text) < 0)
            return -1;
        for (size_t j = 0; j < s->n_checks; j++)
            if (!strcmp(s->checks[j].name, text))
                return spec_fail(L, name->loc, "duplicate check '%s' in step '%s'", text, s->name);
        ck->name = xstrdup(text);
        ck->loc = c->loc;
        s->n_checks++;
        if (spec_want_string(L, sql, "check sql", &text) < 0)
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
        if ((sql = yt_map_get(c, "severity")) && !spec_is_null(sql)) {
            if (spec_want_string(L, sql, "check severity", &text) < 0)
                return -1;
            if (strcmp(text, "warn") && strcmp(text, "error"))
                return spec_fail(L, sql->loc, "check '%s': severity is warn or error, not '%s'",
                                 ck->name, text);
            ck->warn = !strcmp(text, "warn");
        }
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
    if (spec_check_fields(L, v, where, step_fields) < 0)
        return -1;
    x = yt_map_get(v, "sql");
    if (!x)
        return spec_fail(L, k->loc, "step '%s' has no sql", s->name);
    if (load_sql(L, s, x) < 0)
        return -1;
    if ((x = yt_map_get(v, "description")) && !spec_is_null(x)) {
        const char *d;
        if (spec_want_string(L, x, "description", &d) < 0)
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
        spec_want_string_list(L, x, "after", 1, &s->after, &s->n_after, &s->after_locs) < 0)
        return -1;
    if ((x = yt_map_get(v, "checks")) && load_checks(L, s, x) < 0)
        return -1;
    if ((x = yt_map_get(v, "allow_empty")) && !spec_is_null(x)) {
        json_t *b = spec_node_json(x);
        int ok = json_is_boolean(b) && x->plain;
        s->allow_empty = json_is_true(b);
        json_decref(b);
        if (!ok)
            return spec_fail(L, x->loc, "allow_empty is true or false, not %s", spec_node_kind(x));
    }
    if (spec_load_step_argo(L, s, yt_map_get(v, "argo")) < 0)
        return -1;
    for (size_t i = 0; i + 1 < v->n_items; i += 2)
        if (spec_in_list(v->items[i]->value, spec_limit_fields) &&
            spec_load_limit(L, v->items[i], v->items[i + 1], &s->limits) < 0)
            return -1;
    return 0;
}

int spec_load_steps(struct loader *L, const struct yt_node *n)
{
    struct df_pipeline *p = L->p;
    size_t count;

    if (!n)
        return spec_fail(L, (struct df_loc){1, 1}, "pipeline has no steps");
    if (spec_is_null(n))
        return spec_fail(L, n->loc, "pipeline has no steps");
    if (spec_want_map(L, n, "steps") < 0)
        return -1;
    count = yt_map_size(n);
    if (count > DF_SPEC_MAX_STEPS) { /* at the first step past the limit */
        const struct yt_node *k = n->items[2 * DF_SPEC_MAX_STEPS];
        return spec_fail(L, k->loc, "step '%s': more than %d steps (the pipeline has %zu)",
                         k->kind == YT_SCALAR && k->value ? k->value : "?", DF_SPEC_MAX_STEPS,
                         count);
    }
    if (count == 0)
        return spec_fail(L, n->loc, "pipeline has no steps");
    /* Names first, so that inputs can tell a step's table from a file name. */
    p->steps = xcalloc(count, sizeof(*p->steps));
    for (size_t i = 0; i < count; i++) {
        const struct yt_node *k = n->items[2 * i];
        if (spec_check_name(L, k, "step") < 0)
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
