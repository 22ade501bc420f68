/*
 * duck.c - DuckDB for a task or a query: opening with limits, running scripts statement by
 * statement with file:line errors, binding JSON values as variables, reading small results
 * as JSON, and classing failures (see duck.h).
 */
#include "engine/duck.h"
#include "engine/sqlerr.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlfn/sqlfn.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* Records a DuckDB failure: its type and class (from the whole message), and a short
 * message in err. DuckDB's messages carry a "LINE 1: ..." excerpt or advice after a blank
 * line; the excerpt counts lines from the statement, not the file, so only the first
 * paragraph is kept (the caller adds file:line), and of an out-of-memory message only its
 * first line (the rest is generic tuning advice). */
void df_duck_fail(struct df_duck *d, duckdb_error_type type, const char *msg, struct df_error *err)
{
    size_t n;
    const char *cut;

    if (!msg || !*msg)
        msg = "unknown duckdb error";
    d->last_error = type;
    d->last_class = df_duck_classify(type, msg);
    cut = strstr(msg, "\n\n");
    n = cut ? (size_t)(cut - msg) : strlen(msg);
    if (!strncmp(msg, "Out of Memory Error", 19) && (cut = strchr(msg, '\n')) &&
        (size_t)(cut - msg) < n)
        n = (size_t)(cut - msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    /* The advice that says why is cut off with the rest: say it in a few words. */
    if (d->last_class == DF_CLASS_SPILL_FULL && !memmem(msg, n, "max_temp_directory_size", 23) &&
        !memmem(msg, n, "No space left", 13))
        df_error_set(err, DF_EFAIL, "%.*s (the spill folder reached max_temp_directory_size)",
                     (int)n, msg);
    else
        df_error_set(err, DF_EFAIL, "%.*s", (int)n, msg);
}

static int set_option(duckdb_config cfg, const char *name, const char *value, struct df_error *err)
{
    if (duckdb_set_config(cfg, name, value) == DuckDBError)
        return df_error_set(err, DF_EFAIL, "cannot set duckdb option '%s' to '%s'", name, value);
    return 0;
}

int df_duck_open(struct df_duck *d, const struct df_duck_config *cfg, struct df_error *err)
{
    static const struct df_duck_config defaults = DF_DUCK_CONFIG_INIT;
    duckdb_config dc = NULL;
    char *open_err = NULL;
    char num[64];
    int rc = -1;

    d->db = NULL;
    d->con = NULL;
    d->last_error = DUCKDB_ERROR_INVALID;
    d->last_class = DF_CLASS_OK;
    if (!cfg)
        cfg = &defaults;
    if (duckdb_create_config(&dc) == DuckDBError)
        return df_error_set(err, DF_EFAIL, "cannot create a duckdb configuration");
    /* No extension ever comes from the network: tasks run offline and reproducibly. */
    if (set_option(dc, "autoinstall_known_extensions", "false", err) != 0)
        goto cleanup;
    if (cfg->memory_limit) {
        snprintf(num, sizeof(num), "%" PRIu64 "B", cfg->memory_limit);
        if (set_option(dc, "memory_limit", num, err) != 0)
            goto cleanup;
    }
    if (cfg->threads > 0) {
        snprintf(num, sizeof(num), "%d", cfg->threads);
        if (set_option(dc, "threads", num, err) != 0)
            goto cleanup;
    }
    if (cfg->no_spill) {
        if (set_option(dc, "temp_directory", "", err) != 0)
            goto cleanup;
    } else if (cfg->temp_dir) {
        if (set_option(dc, "temp_directory", cfg->temp_dir, err) != 0)
            goto cleanup;
    }
    if (cfg->max_temp_size && !cfg->no_spill) {
        snprintf(num, sizeof(num), "%" PRIu64 "B", cfg->max_temp_size);
        if (set_option(dc, "max_temp_directory_size", num, err) != 0)
            goto cleanup;
    }
    if (set_option(dc, "preserve_insertion_order", cfg->keep_order ? "true" : "false", err) != 0)
        goto cleanup;

    if (duckdb_open_ext(NULL, &d->db, dc, &open_err) == DuckDBError) {
        df_error_set(err, DF_EFAIL, "cannot open duckdb: %s", open_err ? open_err : "unknown");
        d->db = NULL;
        goto cleanup;
    }
    if (duckdb_connect(d->db, &d->con) == DuckDBError) {
        df_error_set(err, DF_EFAIL, "cannot connect to duckdb");
        d->con = NULL;
        goto cleanup;
    }
    /* DuckDB 1.4 reports a max_temp_directory_size given at open time but does not hold
     * the spill folder to it (a task with 1 byte spilled 69 MB): set it again on the
     * connection, where it is enforced (t7298). */
    if (cfg->max_temp_size && !cfg->no_spill) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SET max_temp_directory_size = '%" PRIu64 "B'",
                 cfg->max_temp_size);
        if (df_duck_exec(d, sql, err) != 0)
            goto cleanup;
    }
    if (df_sqlfn_register(d->con, err) != 0) {
        df_error_prefix(err, "cannot register sql functions");
        goto cleanup;
    }
    df_duck_warnings_enable(d->con);
    rc = 0;

cleanup:
    if (open_err)
        duckdb_free(open_err);
    duckdb_destroy_config(&dc);
    if (rc != 0)
        df_duck_close(d);
    return rc;
}

void df_duck_close(struct df_duck *d)
{
    if (!d)
        return;
    if (d->con)
        duckdb_disconnect(&d->con);
    if (d->db)
        duckdb_close(&d->db);
    d->con = NULL;
    d->db = NULL;
}

int df_duck_exec(struct df_duck *d, const char *sql, struct df_error *err)
{
    duckdb_result res;

    if (duckdb_query(d->con, sql, &res) == DuckDBError) {
        df_duck_fail(d, duckdb_result_error_type(&res), duckdb_result_error(&res), err);
        duckdb_destroy_result(&res);
        return -1;
    }
    duckdb_destroy_result(&res);
    return 0;
}

/* ---- JSON values as DuckDB values ------------------------------------------------------ */

/* The shape of a JSON value as a DuckDB type: a small tree mirroring LIST and STRUCT. */
enum shape_kind { SH_NULL, SH_BOOL, SH_BIGINT, SH_DOUBLE, SH_VARCHAR, SH_LIST, SH_STRUCT, SH_JSON };

struct shape {
    enum shape_kind kind;
    struct shape *elem; /* LIST */
    char **names;       /* STRUCT */
    struct shape **fields;
    size_t n_fields;
};

static void shape_free(struct shape *s)
{
    if (!s)
        return;
    shape_free(s->elem);
    for (size_t i = 0; i < s->n_fields; i++) {
        free(s->names[i]);
        shape_free(s->fields[i]);
    }
    free(s->names);
    free(s->fields);
    free(s);
}

static struct shape *shape_new(enum shape_kind k)
{
    struct shape *s = xcalloc(1, sizeof(*s));
    s->kind = k;
    return s;
}

/* Widens *into so that it also holds `from` (consumed). Shapes with no common type become
 * SH_JSON, which is carried as VARCHAR JSON text. */
static void shape_merge(struct shape **into, struct shape *from)
{
    struct shape *a = *into;

    if (from->kind == SH_NULL) {
        shape_free(from);
        return;
    }
    if (a->kind == SH_NULL) {
        shape_free(a);
        *into = from;
        return;
    }
    if (a->kind == from->kind) {
        if (a->kind == SH_LIST) {
            shape_merge(&a->elem, from->elem);
            from->elem = NULL;
        } else if (a->kind == SH_STRUCT) {
            for (size_t j = 0; j < from->n_fields; j++) {
                size_t i;
                for (i = 0; i < a->n_fields; i++)
                    if (!strcmp(a->names[i], from->names[j]))
                        break;
                if (i < a->n_fields) {
                    shape_merge(&a->fields[i], from->fields[j]);
                } else {
                    a->names = xrealloc(a->names, (a->n_fields + 1) * sizeof(*a->names));
                    a->fields = xrealloc(a->fields, (a->n_fields + 1) * sizeof(*a->fields));
                    a->names[a->n_fields] = from->names[j];
                    a->fields[a->n_fields] = from->fields[j];
                    a->n_fields++;
                    from->names[j] = NULL;
                }
                from->fields[j] = NULL;
            }
        }
        shape_free(from);
        return;
    }
    if ((a->kind == SH_BIGINT && from->kind == SH_DOUBLE) ||
        (a->kind == SH_DOUBLE && from->kind == SH_BIGINT)) {
        a->kind = SH_DOUBLE;
        shape_free(from);
        return;
    }
    shape_free(from);
    shape_free(a);
    *into = shape_new(SH_JSON);
}

static struct shape *shape_of(json_t *v)
{
    struct shape *s;
    size_t i;
    json_t *e;
    const char *k;

    switch (json_typeof(v)) {
    case JSON_NULL:
        return shape_new(SH_NULL);
    case JSON_TRUE:
    case JSON_FALSE:
        return shape_new(SH_BOOL);
    case JSON_INTEGER:
        return shape_new(SH_BIGINT);
    case JSON_REAL:
        return shape_new(SH_DOUBLE);
    case JSON_STRING:
        return shape_new(SH_VARCHAR);
    case JSON_ARRAY:
        s = shape_new(SH_LIST);
        s->elem = shape_new(SH_NULL);
        json_array_foreach(v, i, e) shape_merge(&s->elem, shape_of(e));
        /* An empty list (or one of nulls only) still needs an element type. */
        if (s->elem->kind == SH_NULL)
            s->elem->kind = SH_VARCHAR;
        if (s->elem->kind == SH_JSON) {
            shape_free(s);
            return shape_new(SH_JSON);
        }
        return s;
    case JSON_OBJECT:
        if (json_object_size(v) == 0)
            return shape_new(SH_JSON); /* DuckDB has no STRUCT without fields */
        s = shape_new(SH_STRUCT);
        s->names = xcalloc(json_object_size(v), sizeof(*s->names));
        s->fields = xcalloc(json_object_size(v), sizeof(*s->fields));
        json_object_foreach(v, k, e)
        {
            s->names[s->n_fields] = xstrdup(k);
            s->fields[s->n_fields] = shape_of(e);
            s->n_fields++;
        }
        return s;
    }
    return shape_new(SH_JSON);
}

/* A struct field whose values were all null is typed VARCHAR, as are list elements. */
static void shape_settle(struct shape *s)
{
    if (s->kind == SH_LIST)
        shape_settle(s->elem);
    for (size_t i = 0; i < s->n_fields; i++) {
        if (s->fields[i]->kind == SH_NULL)
            s->fields[i]->kind = SH_VARCHAR;
        shape_settle(s->fields[i]);
    }
}

static duckdb_logical_type shape_type(const struct shape *s)
{
    duckdb_logical_type t, child, *members;

    switch (s->kind) {
    case SH_BOOL:
        return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case SH_BIGINT:
        return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case SH_DOUBLE:
        return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case SH_LIST:
        child = shape_type(s->elem);
        t = duckdb_create_list_type(child);
        duckdb_destroy_logical_type(&child);
        return t;
    case SH_STRUCT:
        members = xcalloc(s->n_fields, sizeof(*members));
        for (size_t i = 0; i < s->n_fields; i++)
            members[i] = shape_type(s->fields[i]);
        t = duckdb_create_struct_type(members, (const char **)s->names, s->n_fields);
        for (size_t i = 0; i < s->n_fields; i++)
            duckdb_destroy_logical_type(&members[i]);
        free(members);
        return t;
    default:
        return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    }
}

/* The DuckDB value of v in shape s; NULL when DuckDB refuses it. */
static duckdb_value shape_value(const struct shape *s, json_t *v)
{
    duckdb_value out = NULL, *kids;
    duckdb_logical_type t;
    char *text;
    size_t n;

    if (!v || json_is_null(v))
        return duckdb_create_null_value();
    switch (s->kind) {
    case SH_BOOL:
        return duckdb_create_bool(json_is_true(v));
    case SH_BIGINT:
        return duckdb_create_int64((int64_t)json_integer_value(v));
    case SH_DOUBLE:
        return duckdb_create_double(json_number_value(v));
    case SH_VARCHAR:
        if (json_is_string(v))
            return duckdb_create_varchar_length(json_string_value(v), json_string_length(v));
        break;
    case SH_LIST:
        n = json_array_size(v);
        kids = xcalloc(n ? n : 1, sizeof(*kids));
        for (size_t i = 0; i < n; i++)
            if (!(kids[i] = shape_value(s->elem, json_array_get(v, i))))
                goto list_done;
        t = shape_type(s->elem);
        out = duckdb_create_list_value(t, kids, n);
        duckdb_destroy_logical_type(&t);
    list_done:
        for (size_t i = 0; i < n; i++)
            if (kids[i])
                duckdb_destroy_value(&kids[i]);
        free(kids);
        return out;
    case SH_STRUCT:
        n = s->n_fields;
        kids = xcalloc(n, sizeof(*kids));
        for (size_t i = 0; i < n; i++)
            if (!(kids[i] = shape_value(s->fields[i], json_object_get(v, s->names[i]))))
                goto struct_done;
        t = shape_type(s);
        out = duckdb_create_struct_value(t, kids);
        duckdb_destroy_logical_type(&t);
    struct_done:
        for (size_t i = 0; i < n; i++)
            if (kids[i])
                duckdb_destroy_value(&kids[i]);
        free(kids);
        return out;
    default:
        break;
    }
    /* SH_JSON (or a string slot that got something else): the value's JSON text. */
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return NULL;
    out = duckdb_create_varchar(text);
    free(text);
    return out;
}

int df_duck_set_variable(struct df_duck *d, const char *name, struct json_t *value,
                         struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    duckdb_prepared_statement stmt = NULL;
    duckdb_value v = NULL;
    duckdb_result res;
    struct shape *shape = NULL;
    int rc = -1;

    sb_adds(&sql, "SET VARIABLE ");
    sb_add_sql_ident(&sql, name);
    sb_adds(&sql, " = ?");
    if (duckdb_prepare(d->con, sql.buf, &stmt) == DuckDBError) {
        df_duck_fail(d, DUCKDB_ERROR_INVALID, duckdb_prepare_error(stmt), err);
        goto cleanup;
    }
    shape = shape_of(value);
    shape_settle(shape);
    v = shape_value(shape, value);
    if (!v) {
        df_error_set(err, DF_EFAIL, "cannot convert the value to a duckdb value");
        goto cleanup;
    }
    if (duckdb_bind_value(stmt, 1, v) == DuckDBError) {
        df_error_set(err, DF_EFAIL, "cannot bind the value");
        goto cleanup;
    }
    if (duckdb_execute_prepared(stmt, &res) == DuckDBError) {
        df_duck_fail(d, duckdb_result_error_type(&res), duckdb_result_error(&res), err);
        duckdb_destroy_result(&res);
        goto cleanup;
    }
    duckdb_destroy_result(&res);
    rc = 0;

cleanup:
    if (rc != 0)
        df_error_prefix(err, "variable '%s'", name);
    if (v)
        duckdb_destroy_value(&v);
    shape_free(shape);
    duckdb_destroy_prepare(&stmt);
    sb_release(&sql);
    return rc;
}

/* ---- scripts --------------------------------------------------------------------------- */

/* Skips a quoted run starting at s[i] == q (with doubled-quote escapes, and backslash
 * escapes when bs); returns the index after the closing quote (or the end). */
static size_t skip_quoted(const char *s, size_t i, char q, int bs, int *line)
{
    for (i++; s[i]; i++) {
        if (s[i] == '\n')
            (*line)++;
        if (bs && s[i] == '\\' && s[i + 1]) {
            if (s[i + 1] == '\n')
                (*line)++;
            i++;
            continue;
        }
        if (s[i] == q) {
            if (s[i + 1] == q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return i;
}

/* Length of a $tag$ opener at s (0 when s does not start one). */
static size_t dollar_tag(const char *s)
{
    size_t n = 1;
    if (s[0] != '$')
        return 0;
    while (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
           (n > 1 && s[n] >= '0' && s[n] <= '9'))
        n++;
    return s[n] == '$' ? n + 1 : 0;
}

void df_sql_split(const char *sql, struct df_sql_piece **pieces, size_t *n)
{
    size_t i = 0, cap = 0, count = 0, start = 0;
    int line = 0, start_line = 0, have = 0; /* have: the piece holds a token */
    struct df_sql_piece *out = NULL;

    for (;;) {
        char c = sql[i];
        if (c == '\0' || c == ';') {
            if (have) {
                if (count == cap) {
                    cap = cap ? cap * 2 : 8;
                    out = xrealloc(out, cap * sizeof(*out));
                }
                out[count].offset = start;
                out[count].len = i - start;
                out[count].line = start_line;
                count++;
            }
            have = 0;
            if (c == '\0')
                break;
            i++;
            continue;
        }
        if (c == '\n') {
            line++;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (c == '-' && sql[i + 1] == '-') {
            while (sql[i] && sql[i] != '\n')
                i++;
            continue;
        }
        if (c == '/' && sql[i + 1] == '*') {
            int depth = 1;
            for (i += 2; sql[i] && depth > 0; i++) {
                if (sql[i] == '\n')
                    line++;
                else if (sql[i] == '/' && sql[i + 1] == '*')
                    depth++, i++;
                else if (sql[i] == '*' && sql[i + 1] == '/')
                    depth--, i++;
            }
            continue;
        }
        if (!have) {
            have = 1;
            start = i;
            start_line = line;
        }
        if (c == '\'') {
            i = skip_quoted(sql, i, '\'', 0, &line);
        } else if ((c == 'E' || c == 'e') && sql[i + 1] == '\'' &&
                   (i == 0 || !(sql[i - 1] == '_' || (sql[i - 1] >= 'a' && sql[i - 1] <= 'z') ||
                                (sql[i - 1] >= 'A' && sql[i - 1] <= 'Z') ||
                                (sql[i - 1] >= '0' && sql[i - 1] <= '9')))) {
            i = skip_quoted(sql, i + 1, '\'', 1, &line);
        } else if (c == '"') {
            i = skip_quoted(sql, i, '"', 0, &line);
        } else if (c == '$' && dollar_tag(sql + i)) {
            size_t tl = dollar_tag(sql + i);
            const char *end;
            char *tag = xstrndup(sql + i, tl);
            i += tl;
            end = strstr(sql + i, tag);
            free(tag);
            if (!end)
                end = sql + i + strlen(sql + i);
            for (; sql + i < end; i++)
                if (sql[i] == '\n')
                    line++;
            if (*end)
                i += tl;
        } else {
            i++;
        }
    }
    *pieces = out;
    *n = count;
}

/* Extracts, prepares and runs the statements of text; on failure sets err (DuckDB's
 * message) and *failed to the index of the failing statement. */
static int run_text(struct df_duck *d, const char *text, idx_t *failed, idx_t *count,
                    int *parse_failed, int *prepare_failed, char **raw, struct df_error *err)
{
    duckdb_extracted_statements ext = NULL;
    duckdb_prepared_statement stmt = NULL;
    duckdb_result res;
    idx_t n;
    int rc = -1;

    *failed = 0;
    *parse_failed = 0;
    n = duckdb_extract_statements(d->con, text, &ext);
    *count = n;
    if (n == 0) {
        const char *msg = duckdb_extract_statements_error(ext);
        if (msg) {
            *parse_failed = 1;
            *raw = xstrdup(msg);
            df_duck_fail(d, DUCKDB_ERROR_PARSER, msg, err);
            goto cleanup;
        }
        rc = 0; /* nothing but comments */
        goto cleanup;
    }
    for (idx_t i = 0; i < n; i++) {
        *failed = i;
        if (duckdb_prepare_extracted_statement(d->con, ext, i, &stmt) == DuckDBError) {
            /* The C API offers no error type for a failed prepare; the message still tells
             * out-of-memory and spill failures apart (df_duck_classify). */
            *prepare_failed = 1;
            *raw = xstrdup(duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "");
            df_duck_fail(d, DUCKDB_ERROR_INVALID, duckdb_prepare_error(stmt), err);
            goto cleanup;
        }
        if (duckdb_execute_prepared(stmt, &res) == DuckDBError) {
            *raw = xstrdup(duckdb_result_error(&res) ? duckdb_result_error(&res) : "");
            df_duck_fail(d, duckdb_result_error_type(&res), duckdb_result_error(&res), err);
            duckdb_destroy_result(&res);
            df_duck_echo_warnings(d->con);
            goto cleanup;
        }
        df_duck_echo_result(stmt, &res, (size_t)i);
        df_duck_echo_warnings(d->con);
        duckdb_destroy_result(&res);
        duckdb_destroy_prepare(&stmt);
        stmt = NULL;
    }
    rc = 0;

cleanup:
    if (stmt)
        duckdb_destroy_prepare(&stmt);
    duckdb_destroy_extracted(&ext);
    return rc;
}

int df_duck_run_script(struct df_duck *d, const char *sql, const char *origin, int first_line,
                       struct df_error *err)
{
    return df_duck_run_script_at(d, sql, origin, first_line, 1, err);
}

int df_duck_run_script_at(struct df_duck *d, const char *sql, const char *origin, int first_line,
                          int first_col, struct df_error *err)
{
    struct df_sql_piece *pieces = NULL;
    size_t n_pieces = 0;
    idx_t failed = 0, count = 0;
    int parse_failed = 0, prepare_failed = 0, rc, found = 0;
    struct df_sql_where w;
    char *raw = NULL;

    df_sql_split(sql, &pieces, &n_pieces);
    rc = run_text(d, sql, &failed, &count, &parse_failed, &prepare_failed, &raw, err);
    if (rc == 0) {
        free(pieces);
        return 0;
    }
    memset(&w, 0, sizeof(w));
    w.origin = origin;
    w.sql = sql;
    w.first_line = first_line;
    w.first_col = first_col > 0 ? first_col : 1;
    if (parse_failed) {
        /* The parser rejects the whole script at once (its LINE counts from the script's
         * start); find the statement it stopped at by parsing them one by one. */
        for (size_t i = 0; i < n_pieces && !found; i++) {
            duckdb_extracted_statements ext = NULL;
            char *one = xstrndup(sql + pieces[i].offset, pieces[i].len);
            idx_t k = duckdb_extract_statements(d->con, one, &ext);
            if (k == 0 && duckdb_extract_statements_error(ext) != NULL) {
                w.stmt_off = pieces[i].offset;
                found = 1;
            }
            duckdb_destroy_extracted(&ext);
            free(one);
        }
    } else if ((size_t)count == n_pieces && failed < count) {
        w.stmt_off = pieces[failed].offset;
        w.stmt_relative = 1;
        found = 1;
        if (prepare_failed) {
            /* A prepared extracted statement reports no position; the same statement
             * prepared from its text does (what it reads exists by now, so it fails the
             * same way). */
            duckdb_prepared_statement again = NULL;
            char *one = xstrndup(sql + pieces[failed].offset, pieces[failed].len);
            if (duckdb_prepare(d->con, one, &again) == DuckDBError && duckdb_prepare_error(again) &&
                strstr(duckdb_prepare_error(again), "LINE ")) {
                free(raw);
                raw = xstrdup(duckdb_prepare_error(again));
            }
            duckdb_destroy_prepare(&again);
            free(one);
        }
    }
    if (d->last_class == DF_CLASS_SQL_ERROR && raw && *raw) {
        /* DuckDB's whole message, newlines, context line and caret kept. */
        struct strbuf sb = STRBUF_INIT;
        df_sql_error_format(&sb, raw, &w);
        /* Set directly: df_error_set() folds newlines, and these are DuckDB's context. */
        err->code = DF_EFAIL;
        snprintf(err->msg, sizeof(err->msg), "%s", sb.buf);
        sb_release(&sb);
    } else if (origin) {
        char where[64];
        struct strbuf sb = STRBUF_INIT;
        df_sql_error_format(&sb, "", &w);
        snprintf(where, sizeof(where), "%.*s", (int)(sb.len > 2 ? sb.len - 2 : 0), sb.buf);
        sb_release(&sb);
        df_error_prefix(err, "%s", where);
    }
    free(raw);
    free(pieces);
    return -1;
}

/* ---- small results as JSON ------------------------------------------------------------- */

int df_duck_query_json(struct df_duck *d, const char *sql, size_t max_rows, struct json_t **rows,
                       struct df_error *err)
{
    struct strbuf q = STRBUF_INIT;
    duckdb_result res;
    size_t len = strlen(sql);
    json_t *out = NULL;
    idx_t nr;
    int rc = -1;

    *rows = NULL;
    /* Drop trailing semicolons so the query can sit in a subquery; the newline before ')'
     * keeps a trailing -- comment from swallowing it. */
    while (len > 0 && (sql[len - 1] == ';' || sql[len - 1] == ' ' || sql[len - 1] == '\n' ||
                       sql[len - 1] == '\t' || sql[len - 1] == '\r'))
        len--;
    sb_adds(&q, "SELECT CAST(to_json(_df_q) AS VARCHAR) FROM (\n");
    sb_add(&q, sql, len);
    sb_adds(&q, "\n) AS _df_q");
    if (max_rows)
        sb_addf(&q, " LIMIT %zu", max_rows);
    if (duckdb_query(d->con, q.buf, &res) == DuckDBError) {
        df_duck_fail(d, duckdb_result_error_type(&res), duckdb_result_error(&res), err);
        duckdb_destroy_result(&res);
        goto cleanup;
    }
    out = json_array();
    nr = duckdb_row_count(&res);
    for (idx_t r = 0; r < nr; r++) {
        char *text = duckdb_value_varchar(&res, 0, r);
        json_t *row = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
        duckdb_free(text);
        if (!row) {
            df_error_set(err, DF_EFAIL, "cannot read row %llu of the result",
                         (unsigned long long)r + 1);
            duckdb_destroy_result(&res);
            goto cleanup;
        }
        json_array_append_new(out, row);
    }
    duckdb_destroy_result(&res);
    *rows = out;
    out = NULL;
    rc = 0;

cleanup:
    json_decref(out);
    sb_release(&q);
    return rc;
}

enum df_exit_class df_duck_classify(duckdb_error_type type, const char *msg)
{
    if (!msg)
        msg = "";
    if (strstr(msg, "max_temp_directory_size") || strstr(msg, "No space left on device"))
        return DF_CLASS_SPILL_FULL;
    if (type == DUCKDB_ERROR_OUT_OF_MEMORY || strstr(msg, "Out of Memory Error"))
        return DF_CLASS_OOM;
    return DF_CLASS_SQL_ERROR;
}
