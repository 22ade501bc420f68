/*
 * register.c - the DuckDB glue of the SQL-analysis functions: registers sql_tables,
 * sql_columns, sql_lineage, sql_fingerprint, sql_fingerprint_hash and sql_statement_type
 * as scalar function sets (1- and 2-argument overloads) through the C API, and turns
 * analysis results into VARCHAR, LIST(VARCHAR) and LIST(STRUCT(...)) vectors.
 *
 * DuckDB calls scalar functions from several threads at once, so all state is per thread:
 * a thread-local cache (pthread key, freed when the thread ends) keeps the analysis of
 * the rows of the chunk it saw last, keyed by row index and checked against a copy of
 * the text, so sql_tables, sql_columns and sql_fingerprint over the same column analyse
 * each text once instead of three times. After the first chunk a thread analyses for every
 * function it has been asked for so far (the union of their needs). NULL SQL or NULL
 * dialect gives NULL; text that cannot be analysed gives NULL for that row; an unknown
 * dialect name is an error that aborts the query (it is a mistake in the query, not in
 * the data).
 */
#include "sqlfn/sqlfn.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlfn/analyze.h"
#include "util/banned.h"

enum fn_kind { FN_TABLES, FN_COLUMNS, FN_LINEAGE, FN_FINGERPRINT, FN_HASH, FN_TYPE };

struct fn_desc {
    const char *name;
    enum fn_kind kind;
    unsigned want;
};

static const struct fn_desc fns[] = {
    {"sql_tables", FN_TABLES, SQLFN_WANT_TABLES},
    {"sql_columns", FN_COLUMNS, SQLFN_WANT_COLUMNS},
    {"sql_lineage", FN_LINEAGE, SQLFN_WANT_TABLES},
    {"sql_fingerprint", FN_FINGERPRINT, SQLFN_WANT_FINGERPRINT},
    {"sql_fingerprint_hash", FN_HASH, SQLFN_WANT_FINGERPRINT},
    {"sql_statement_type", FN_TYPE, SQLFN_WANT_TYPE},
};

/* ---- the per-thread cache ---- */

#define CACHE_SLOTS     2048
#define CACHE_MAX_BLOB  ((size_t)4 << 20)  /* larger analyses are not kept */
#define CACHE_MAX_TOTAL ((size_t)32 << 20) /* per thread: outside DuckDB's memory limit */

struct slot {
    char *blob; /* the text, then the result's arrays and strings */
    size_t cap;
    size_t textlen;
    int valid;
    enum sqlfn_dialect dialect;
    unsigned want;
    struct sqlfn_result r;
};

struct tcache {
    struct sqlfn_ctx *cx;
    unsigned seen; /* union of the `want` of every call on this thread */
    size_t total;  /* bytes held by the slots' blobs */
    struct slot slots[CACHE_SLOTS];
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void cache_free(void *p)
{
    struct tcache *c = p;
    if (!c)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(c->slots[i].blob);
    sqlfn_ctx_free(c->cx);
    free(c);
}

static void cache_init(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

static struct tcache *get_cache(void)
{
    pthread_once(&cache_once, cache_init);
    if (!cache_key_ok)
        return NULL;
    struct tcache *c = pthread_getspecific(cache_key);
    if (c)
        return c;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cx = sqlfn_ctx_new();
    if (!c->cx || pthread_setspecific(cache_key, c) != 0) {
        sqlfn_ctx_free(c->cx);
        free(c);
        return NULL;
    }
    return c;
}

/* Copies s into blob and returns the copy's address for a string of the result: strings
 * inside the analysed text keep their offset, others are appended at *tail. */
static const char *relocate(const char *p, uint32_t len, const char *text, size_t textlen,
                            char *blob, size_t *tail)
{
    if (!p)
        return NULL;
    if (p >= text && p + len <= text + textlen)
        return blob + (p - text);
    char *d = blob + *tail;
    memcpy(d, p, len);
    *tail += len;
    return d;
}

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* Keeps a copy of the text and of its analysis in the slot; 0, or -1 when it is too big
 * or memory runs out (the slot is then left invalid). */
static int slot_store(struct tcache *c, struct slot *sl, const char *text, size_t len,
                      enum sqlfn_dialect d, unsigned want, const struct sqlfn_result *r)
{
    size_t strings = r->fingerprint.len;
    for (size_t i = 0; i < r->n_tables; i++)
        strings += r->tables[i].len;
    for (size_t i = 0; i < r->n_columns; i++)
        strings += r->columns[i].table.len + r->columns[i].column.len;
    for (size_t i = 0; i < r->n_edges; i++)
        strings += r->edges[i].source.len + r->edges[i].target.len;
    size_t a_tab = ALIGN8(len);
    size_t a_col = a_tab + ALIGN8(r->n_tables * sizeof(*r->tables));
    size_t a_edge = a_col + ALIGN8(r->n_columns * sizeof(*r->columns));
    size_t a_str = a_edge + ALIGN8(r->n_edges * sizeof(*r->edges));
    size_t need = a_str + strings + 1;
    sl->valid = 0;
    if (need > CACHE_MAX_BLOB)
        return -1;
    if (need > sl->cap) {
        size_t cap = sl->cap ? sl->cap : 256;
        while (cap < need)
            cap *= 2;
        if (c->total - sl->cap + cap > CACHE_MAX_TOTAL) {
            /* over the thread's budget: this row goes uncached (its old blob is freed) */
            c->total -= sl->cap;
            free(sl->blob);
            sl->blob = NULL;
            sl->cap = 0;
            return -1;
        }
        char *b = realloc(sl->blob, cap);
        if (!b)
            return -1;
        c->total = c->total - sl->cap + cap;
        sl->blob = b;
        sl->cap = cap;
    }
    char *blob = sl->blob;
    memcpy(blob, text, len);
    size_t tail = a_str;
    struct sqlfn_str *tabs = (struct sqlfn_str *)(void *)(blob + a_tab);
    struct sqlfn_column *cols = (struct sqlfn_column *)(void *)(blob + a_col);
    struct sqlfn_edge *edges = (struct sqlfn_edge *)(void *)(blob + a_edge);
    for (size_t i = 0; i < r->n_tables; i++) {
        tabs[i].len = r->tables[i].len;
        tabs[i].s = relocate(r->tables[i].s, r->tables[i].len, text, len, blob, &tail);
    }
    for (size_t i = 0; i < r->n_columns; i++) {
        cols[i] = r->columns[i];
        cols[i].table.s = relocate(cols[i].table.s, cols[i].table.len, text, len, blob, &tail);
        cols[i].column.s = relocate(cols[i].column.s, cols[i].column.len, text, len, blob, &tail);
    }
    for (size_t i = 0; i < r->n_edges; i++) {
        edges[i] = r->edges[i];
        edges[i].source.s =
            relocate(edges[i].source.s, edges[i].source.len, text, len, blob, &tail);
        edges[i].target.s =
            relocate(edges[i].target.s, edges[i].target.len, text, len, blob, &tail);
    }
    sl->r = *r;
    sl->r.tables = tabs;
    sl->r.columns = cols;
    sl->r.edges = edges;
    sl->r.fingerprint.s = relocate(r->fingerprint.s, r->fingerprint.len, text, len, blob, &tail);
    sl->textlen = len;
    sl->dialect = d;
    sl->want = want;
    sl->valid = 1;
    return 0;
}

/* The analysis of row `row`'s text: from the thread's cache when the same text was analysed
 * there for at least `want`, else analysed now. Returns 0 or -1 (cannot be analysed). The
 * result stays valid until the next call on this thread. */
static int analyze_row(struct tcache *c, struct sqlfn_ctx *fallback, idx_t row, const char *s,
                       size_t len, enum sqlfn_dialect d, unsigned want, struct sqlfn_result *out)
{
    if (!c)
        return sqlfn_analyze(fallback, s, len, d, want, out);
    struct slot *sl = &c->slots[row % CACHE_SLOTS];
    int same = sl->valid && sl->textlen == len && sl->dialect == d && !memcmp(sl->blob, s, len);
    if (same && (sl->want & want) == want) {
        *out = sl->r;
        return sl->r.ok ? 0 : -1;
    }
    unsigned all = want | c->seen | (same ? sl->want : 0);
    c->seen |= want;
    int rc = sqlfn_analyze(c->cx, s, len, d, all, out);
    if (slot_store(c, sl, s, len, d, all, out) == 0)
        *out = sl->r;
    return rc;
}

static void set_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

static void str_at(duckdb_string_t *data, idx_t row, const char **s, size_t *len)
{
    duckdb_string_t *st = &data[row];
    *len = duckdb_string_t_length(*st);
    *s = duckdb_string_t_data(st);
}

static void fn_exec(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    const struct fn_desc *fd = duckdb_scalar_function_get_extra_info(info);
    idx_t n = duckdb_data_chunk_get_size(input);
    idx_t ncols = duckdb_data_chunk_get_column_count(input);
    duckdb_vector sqlv = duckdb_data_chunk_get_vector(input, 0);
    duckdb_string_t *sqld = duckdb_vector_get_data(sqlv);
    uint64_t *sqlok = duckdb_vector_get_validity(sqlv);
    duckdb_vector dv = ncols > 1 ? duckdb_data_chunk_get_vector(input, 1) : NULL;
    duckdb_string_t *dd = dv ? duckdb_vector_get_data(dv) : NULL;
    uint64_t *dok = dv ? duckdb_vector_get_validity(dv) : NULL;

    struct tcache *cache = get_cache();
    struct sqlfn_ctx *cx = cache ? NULL : sqlfn_ctx_new();
    if (!cache && !cx) {
        duckdb_scalar_function_set_error(info, "out of memory");
        return;
    }
    int list = fd->kind == FN_TABLES || fd->kind == FN_COLUMNS || fd->kind == FN_LINEAGE;
    duckdb_list_entry *entries = list ? duckdb_vector_get_data(output) : NULL;
    duckdb_vector child = list ? duckdb_list_vector_get_child(output) : NULL;
    uint64_t *hashes = fd->kind == FN_HASH ? duckdb_vector_get_data(output) : NULL;
    idx_t total = list ? duckdb_list_vector_get_size(output) : 0;

    struct {
        char name[16];
        size_t len;
        enum sqlfn_dialect dialect;
    } seen[8];
    int nseen = 0;
    for (idx_t row = 0; row < n; row++) {
        if (!duckdb_validity_row_is_valid(sqlok, row) ||
            (dv && !duckdb_validity_row_is_valid(dok, row))) {
            set_null(output, row);
            continue;
        }
        enum sqlfn_dialect dialect = SQLFN_ANSI;
        if (dv) {
            const char *ds;
            size_t dl;
            str_at(dd, row, &ds, &dl);
            /* a dialect column holds a few names: remember the last ones seen */
            int hit = -1;
            for (int k = 0; k < nseen && hit < 0; k++)
                if (seen[k].len == dl && !memcmp(seen[k].name, ds, dl))
                    hit = k;
            if (hit >= 0) {
                dialect = seen[hit].dialect;
            } else if (sqlfn_dialect_parse(ds, dl, &dialect) == 0) {
                if (dl <= sizeof(seen[0].name)) {
                    int k = nseen < 8 ? nseen++ : (int)(row % 8);
                    memcpy(seen[k].name, ds, dl);
                    seen[k].len = dl;
                    seen[k].dialect = dialect;
                }
            } else {
                char msg[160];
                snprintf(msg, sizeof(msg), "%s: unknown dialect '%.*s'", fd->name,
                         (int)(dl > 40 ? 40 : dl), ds);
                duckdb_scalar_function_set_error(info, msg);
                sqlfn_ctx_free(cx);
                return;
            }
        }
        const char *s;
        size_t len;
        str_at(sqld, row, &s, &len);
        struct sqlfn_result r;
        int rc = analyze_row(cache, cx, row, s, len, dialect, fd->want, &r);
        int fp = fd->kind == FN_FINGERPRINT || fd->kind == FN_HASH;
        /* a fingerprint needs only tokens; the other functions need the analysis */
        if (fp ? r.fingerprint.s == NULL : rc != 0) {
            set_null(output, row);
            continue;
        }
        switch (fd->kind) {
        case FN_FINGERPRINT:
            duckdb_vector_assign_string_element_len(output, row, r.fingerprint.s,
                                                    r.fingerprint.len);
            break;
        case FN_HASH:
            hashes[row] = r.fingerprint_hash;
            break;
        case FN_TYPE:
            if (r.statement_type)
                duckdb_vector_assign_string_element(output, row, r.statement_type);
            else
                set_null(output, row);
            break;
        default: {
            size_t k = fd->kind == FN_TABLES    ? r.n_tables
                       : fd->kind == FN_COLUMNS ? r.n_columns
                                                : r.n_edges;
            if (duckdb_list_vector_reserve(output, total + k) != DuckDBSuccess) {
                duckdb_scalar_function_set_error(info, "out of memory");
                sqlfn_ctx_free(cx);
                return;
            }
            entries[row].offset = total;
            entries[row].length = k;
            if (fd->kind == FN_TABLES) {
                for (size_t j = 0; j < k; j++)
                    duckdb_vector_assign_string_element_len(child, total + j, r.tables[j].s,
                                                            r.tables[j].len);
            } else {
                duckdb_vector f0 = duckdb_struct_vector_get_child(child, 0);
                duckdb_vector f1 = duckdb_struct_vector_get_child(child, 1);
                for (size_t j = 0; j < k; j++) {
                    struct sqlfn_str a, b;
                    if (fd->kind == FN_COLUMNS) {
                        a = r.columns[j].table;
                        b = r.columns[j].column;
                    } else {
                        a = r.edges[j].source;
                        b = r.edges[j].target;
                    }
                    if (a.s)
                        duckdb_vector_assign_string_element_len(f0, total + j, a.s, a.len);
                    else
                        set_null(f0, total + j);
                    duckdb_vector_assign_string_element_len(f1, total + j, b.s, b.len);
                }
            }
            total += k;
            duckdb_list_vector_set_size(output, total);
            break;
        }
        }
    }
    sqlfn_ctx_free(cx);
}

static duckdb_logical_type return_type(enum fn_kind kind)
{
    duckdb_logical_type vc = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type t = NULL;
    switch (kind) {
    case FN_TABLES:
        t = duckdb_create_list_type(vc);
        break;
    case FN_COLUMNS:
    case FN_LINEAGE: {
        duckdb_logical_type members[2] = {vc, vc};
        const char *names_c[2] = {"table", "column"};
        const char *names_l[2] = {"source", "target"};
        duckdb_logical_type st =
            duckdb_create_struct_type(members, kind == FN_COLUMNS ? names_c : names_l, 2);
        t = duckdb_create_list_type(st);
        duckdb_destroy_logical_type(&st);
        break;
    }
    case FN_HASH:
        t = duckdb_create_logical_type(DUCKDB_TYPE_UBIGINT);
        break;
    default:
        t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
        break;
    }
    duckdb_destroy_logical_type(&vc);
    return t;
}

static int register_one(duckdb_connection con, const struct fn_desc *fd, struct df_error *err)
{
    int rc = -1;
    duckdb_scalar_function_set set = duckdb_create_scalar_function_set(fd->name);
    duckdb_logical_type vc = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type rt = return_type(fd->kind);
    for (int nargs = 1; nargs <= 2; nargs++) {
        duckdb_scalar_function f = duckdb_create_scalar_function();
        duckdb_scalar_function_set_name(f, fd->name);
        for (int a = 0; a < nargs; a++)
            duckdb_scalar_function_add_parameter(f, vc);
        duckdb_scalar_function_set_return_type(f, rt);
        duckdb_scalar_function_set_function(f, fn_exec);
        /* NULLs are handled in fn_exec (NULL in, NULL out) */
        duckdb_scalar_function_set_special_handling(f);
        duckdb_scalar_function_set_extra_info(f, (void *)fd, NULL);
        duckdb_state st = duckdb_add_scalar_function_to_set(set, f);
        duckdb_destroy_scalar_function(&f);
        if (st != DuckDBSuccess) {
            df_error_set(err, DF_EFAIL, "function '%s': cannot add overload", fd->name);
            goto done;
        }
    }
    if (duckdb_register_scalar_function_set(con, set) != DuckDBSuccess) {
        df_error_set(err, DF_EFAIL, "function '%s': registration failed (already registered?)",
                     fd->name);
        goto done;
    }
    rc = 0;
done:
    duckdb_destroy_logical_type(&rt);
    duckdb_destroy_logical_type(&vc);
    duckdb_destroy_scalar_function_set(&set);
    return rc;
}

int df_sqlfn_register(duckdb_connection con, struct df_error *err)
{
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (register_one(con, &fns[i], err) != 0)
            return -1;
    return 0;
}
