/*
 * test_spec.c - unit tests of src/spec: every field of the pipeline file, --param
 * overrides, the derived deps/order/spec hash, and each class of error with the line and
 * column it must point at. Each case writes its files into a fresh temporary folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/spec.h"
#include "util/fs.h"
#include "util/strbuf.h"

struct fixture {
    char *dir;
    char *path; /* dir/pipeline.yaml */
};

static int setup(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    struct fixture *f = xcalloc(1, sizeof(*f));

    f->dir = fs_mkdtemp(NULL, "test-spec", &err);
    assert_non_null(f->dir);
    f->path = fs_join(f->dir, "pipeline.yaml");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;

    fs_remove_tree(f->dir, &err);
    free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

static void write_file(struct fixture *f, const char *name, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    char *path = fs_join(f->dir, name);
    char *slash = strrchr(path, '/');

    *slash = '\0';
    assert_int_equal(fs_mkdirs(path, &err), 0);
    *slash = '/';
    assert_int_equal(fs_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

static struct df_pipeline *load_ok(struct fixture *f, const char *yaml,
                                   const struct df_param_override *o, size_t n)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p = NULL;

    write_file(f, "pipeline.yaml", yaml);
    if (df_pipeline_load(f->path, o, n, &p, &err) != 0)
        fail_msg("unexpected error: %s", err.msg);
    assert_non_null(p);
    return p;
}

/* Loads yaml expecting failure at line:col with a message containing want. */
static void load_bad_o(struct fixture *f, const char *yaml, const struct df_param_override *o,
                       size_t n, int line, int col, const char *want)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p = NULL;
    char prefix[4096];

    write_file(f, "pipeline.yaml", yaml);
    assert_int_equal(df_pipeline_load(f->path, o, n, &p, &err), -1);
    assert_null(p);
    assert_int_equal(err.code, DF_EUSAGE);
    snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", f->path, line, col);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected prefix '%s', got '%s'", prefix, err.msg);
    if (!strstr(err.msg, want))
        fail_msg("expected '%s' in '%s'", want, err.msg);
    assert_null(strchr(err.msg, '\n'));
}

static void load_bad(struct fixture *f, const char *yaml, int line, int col, const char *want)
{
    load_bad_o(f, yaml, NULL, 0, line, col, want);
}

static const char *full_pipeline =
    "name: tpch-summary\n"                              /* 1 */
    "description: Per-chunk summaries\n"                /* 2 */
    "params:\n"                                         /* 3 */
    "  chunks: 8\n"                                     /* 4 */
    "  ratio: 0.5\n"                                    /* 5 */
    "  fast: true\n"                                    /* 6 */
    "  label: hello\n"                                  /* 7 */
    "  regions: [eu, us]\n"                             /* 8 */
    "defaults:\n"                                       /* 9 */
    "  memory_limit: 1GB\n"                             /* 10 */
    "  threads: 2\n"                                    /* 11 */
    "  retries: 3\n"                                    /* 12 */
    "  timeout: 10m\n"                                  /* 13 */
    "steps:\n"                                          /* 14 */
    "  generate:\n"                                     /* 15 */
    "    foreach: {range: chunks}\n"                    /* 16 */
    "    sql: sql/generate.sql\n"                       /* 17 */
    "    outputs: [orders, lineitem]\n"                 /* 18 */
    "    memory_limit: 512MiB\n"                        /* 19 */
    "  summarize:\n"                                    /* 20 */
    "    description: per chunk\n"                      /* 21 */
    "    foreach: {each: generate}\n"                   /* 22 */
    "    inputs:\n"                                     /* 23 */
    "      orders: generate.orders\n"                   /* 24 */
    "      lineitem: generate.lineitem\n"               /* 25 */
    "    sql: SELECT 1\n"                               /* 26 */
    "    outputs: [orders_summary, lineitem_summary]\n" /* 27 */
    "    threads: 4\n"                                  /* 28 */
    "    retries: 0\n"                                  /* 29 */
    "    timeout: 90s\n"                                /* 30 */
    "  merge:\n"                                        /* 31 */
    "    after: [generate]\n"                           /* 32 */
    "    inputs:\n"                                     /* 33 */
    "      s: summarize.lineitem_summary\n"             /* 34 */
    "      regions: data/regions.csv\n"                 /* 35 */
    "      pq: ./x/*.parquet\n"                         /* 36 */
    "      js: s3://bucket/logs/day.jsonl.gz\n"         /* 37 */
    "      nd: gs://bucket/a.ndjson\n"                  /* 38 */
    "      raw: {uri: 'file:///abs/raw.txt', format: csv, options: {header: true, delim: '|'}}\n"
    "      tsv: regions.tsv\n"        /* 40 */
    "    sql: |\n"                    /* 41 */
    "      CREATE TABLE totals AS\n"  /* 42 */
    "        SELECT 1 AS x FROM s;\n" /* 43 */
    "    outputs:\n"                  /* 44 */
    "      totals: {order_by: [x DESC], partition_by: x, file_size: 256MB, compression: gzip}\n"
    "      other:\n"                   /* 46 */
    "    checks:\n"                    /* 47 */
    "      - name: totals not empty\n" /* 48 */
    "        sql: SELECT 1 WHERE (SELECT count(*) FROM totals) = 0\n"
    "  by_region:\n"                                       /* 50 */
    "    foreach: {values: regions}\n"                     /* 51 */
    "    sql: SELECT getvariable('item')\n"                /* 52 */
    "  listed:\n"                                          /* 53 */
    "    foreach: {values: [1, two, {k: v}]}\n"            /* 54 */
    "    sql: SELECT 1\n"                                  /* 55 */
    "  per_file:\n"                                        /* 56 */
    "    foreach: {files: generate.orders, per_task: 4}\n" /* 57 */
    "    sql: SELECT 1\n"                                  /* 58 */
    "  per_input:\n"                                       /* 59 */
    "    inputs: {o: generate.orders}\n"                   /* 60 */
    "    foreach: {files: o}\n"                            /* 61 */
    "    sql: SELECT 1\n"                                  /* 62 */
    "  per_row:\n"                                         /* 63 */
    "    inputs: {o: generate.orders}\n"                   /* 64 */
    "    foreach: {rows: SELECT DISTINCT region FROM o}\n" /* 65 */
    "    sql: SELECT 1\n";                                 /* 66 */

static void parses_every_field(void **state)
{
    struct fixture *f = *state;
    struct df_pipeline *p;
    const struct df_step *s;
    char *want;

    write_file(f, "sql/generate.sql", "-- generate\nSELECT 1;\n");
    p = load_ok(f, full_pipeline, NULL, 0);
    assert_string_equal(p->name, "tpch-summary");
    assert_string_equal(p->description, "Per-chunk summaries");
    assert_string_equal(p->dir, f->dir);
    assert_int_equal(json_integer_value(json_object_get(p->params, "chunks")), 8);
    assert_true(json_is_real(json_object_get(p->params, "ratio")));
    assert_true(json_is_true(json_object_get(p->params, "fast")));
    assert_string_equal(json_string_value(json_object_get(p->params, "label")), "hello");
    assert_int_equal(json_array_size(json_object_get(p->params, "regions")), 2);
    assert_int_equal(p->defaults.memory_limit, 1000000000);
    assert_int_equal(p->defaults.threads, 2);
    assert_int_equal(p->defaults.retries, 3);
    assert_int_equal(p->defaults.timeout_ms, 600000);
    assert_int_equal(p->n_steps, 8);

    s = df_pipeline_step(p, "generate");
    assert_non_null(s);
    assert_int_equal(s->loc.line, 15);
    assert_int_equal(s->foreach.kind, DF_FOREACH_RANGE);
    assert_int_equal(s->foreach.range, 8);
    assert_string_equal(s->foreach.range_param, "chunks");
    assert_string_equal(s->sql, "-- generate\nSELECT 1;\n");
    want = fs_join(f->dir, "sql/generate.sql");
    assert_string_equal(s->sql_file, want);
    assert_string_equal(s->sql_origin, want); /* f->path is absolute here */
    free(want);
    assert_int_equal(s->sql_line, 1);
    assert_int_equal(s->n_outputs, 2);
    assert_string_equal(s->outputs[1].name, "lineitem");
    assert_string_equal(s->outputs[1].compression, "zstd");
    assert_int_equal(s->limits.memory_limit, 512ULL * 1024 * 1024);
    assert_int_equal(s->limits.threads, 2); /* from defaults */
    assert_int_equal(s->n_deps, 0);

    s = df_pipeline_step(p, "summarize");
    assert_string_equal(s->description, "per chunk");
    assert_int_equal(s->foreach.kind, DF_FOREACH_EACH);
    assert_int_equal(s->foreach.each_index, 0);
    assert_int_equal(s->n_inputs, 2);
    assert_string_equal(s->inputs[0].name, "orders");
    assert_string_equal(s->inputs[0].step, "generate");
    assert_string_equal(s->inputs[0].table, "orders");
    assert_int_equal(s->inputs[0].step_index, 0);
    assert_null(s->inputs[0].uri);
    assert_int_equal(s->inputs[0].loc.line, 24);
    assert_null(s->sql_file);
    assert_string_equal(s->sql, "SELECT 1");
    assert_string_equal(s->sql_origin, f->path);
    assert_int_equal(s->sql_line, 26);
    assert_int_equal(s->limits.threads, 4);
    assert_int_equal(s->limits.retries, 0);
    assert_int_equal(s->limits.timeout_ms, 90000);
    assert_int_equal(s->limits.memory_limit, 1000000000);
    assert_int_equal(s->n_deps, 1); /* inputs and each name the same step once */
    assert_int_equal(s->deps[0], 0);

    s = df_pipeline_step(p, "merge");
    assert_int_equal(s->n_inputs, 7);
    want = fs_join(f->dir, "data/regions.csv");
    assert_string_equal(s->inputs[1].uri, want);
    free(want);
    assert_string_equal(s->inputs[1].format, "csv");
    assert_int_equal(s->inputs[1].step_index, -1);
    assert_string_equal(s->inputs[2].format, "parquet");
    assert_string_equal(s->inputs[3].uri, "s3://bucket/logs/day.jsonl.gz");
    assert_string_equal(s->inputs[3].format, "json");
    assert_string_equal(s->inputs[4].format, "json");
    assert_string_equal(s->inputs[5].uri, "/abs/raw.txt");
    assert_string_equal(s->inputs[5].format, "csv");
    assert_true(json_is_true(json_object_get(s->inputs[5].options, "header")));
    assert_string_equal(json_string_value(json_object_get(s->inputs[5].options, "delim")), "|");
    assert_null(s->inputs[6].step); /* "regions.tsv": no step 'regions', so a file */
    assert_string_equal(s->inputs[6].format, "csv");
    assert_string_equal(s->sql, "CREATE TABLE totals AS\n  SELECT 1 AS x FROM s;\n");
    assert_int_equal(s->sql_line, 42); /* the block's first line, not the `sql: |` line */
    assert_int_equal(s->n_outputs, 2);
    assert_int_equal(s->outputs[0].n_order_by, 1);
    assert_string_equal(s->outputs[0].order_by[0], "x DESC");
    assert_int_equal(s->outputs[0].n_partition_by, 1);
    assert_string_equal(s->outputs[0].partition_by[0], "x");
    assert_int_equal(s->outputs[0].file_size, 256000000);
    assert_string_equal(s->outputs[0].compression, "gzip");
    assert_string_equal(s->outputs[1].name, "other");
    assert_int_equal(s->outputs[1].file_size, 0);
    assert_int_equal(s->n_checks, 1);
    assert_string_equal(s->checks[0].name, "totals not empty");
    assert_string_equal(s->checks[0].sql, "SELECT 1 WHERE (SELECT count(*) FROM totals) = 0");
    assert_int_equal(s->n_after, 1);
    assert_string_equal(s->after[0], "generate");
    assert_int_equal(s->after_locs[0].line, 32);
    assert_int_equal(s->n_deps, 2);
    assert_int_equal(s->deps[0], 1); /* summarize, from inputs */
    assert_int_equal(s->deps[1], 0); /* generate, from after */

    s = df_pipeline_step(p, "by_region");
    assert_int_equal(s->foreach.kind, DF_FOREACH_VALUES);
    assert_string_equal(s->foreach.values_param, "regions");
    assert_int_equal(json_array_size(s->foreach.values), 2);
    s = df_pipeline_step(p, "listed");
    assert_int_equal(json_array_size(s->foreach.values), 3);
    assert_true(json_is_object(json_array_get(s->foreach.values, 2)));
    s = df_pipeline_step(p, "per_file");
    assert_int_equal(s->foreach.kind, DF_FOREACH_FILES);
    assert_int_equal(s->foreach.per_task, 4);
    assert_int_equal(s->foreach.files_step, 0);
    assert_int_equal(s->foreach.files_input, -1);
    assert_string_equal(s->foreach.files_table, "orders");
    assert_int_equal(s->n_deps, 1);
    s = df_pipeline_step(p, "per_input");
    assert_int_equal(s->foreach.files_input, 0);
    assert_int_equal(s->foreach.files_step, 0);
    assert_int_equal(s->foreach.per_task, 1);
    s = df_pipeline_step(p, "per_row");
    assert_int_equal(s->foreach.kind, DF_FOREACH_ROWS);
    assert_string_equal(s->foreach.rows_sql, "SELECT DISTINCT region FROM o");

    /* Topological order: every step after its deps. */
    for (size_t k = 0; k < p->n_steps; k++) {
        const struct df_step *x = &p->steps[p->order[k]];
        for (size_t d = 0; d < x->n_deps; d++) {
            size_t pos = 0;
            while (p->order[pos] != x->deps[d])
                pos++;
            assert_true(pos < k);
        }
    }
    assert_int_equal(strlen(p->spec_hash), 64);
    assert_int_equal(df_pipeline_step_index(p, "nope"), -1);
    assert_null(df_step_output(df_pipeline_step(p, "merge"), "nope"));
    assert_non_null(df_step_output(df_pipeline_step(p, "merge"), "totals"));
    df_pipeline_free(p);
}

static const char *small = "name: small\n"
                           "params:\n"
                           "  n: 3\n"
                           "  r: 1.5\n"
                           "  b: false\n"
                           "  s: text\n"
                           "  l: [a]\n"
                           "steps:\n"
                           "  a:\n"
                           "    foreach: {range: n}\n"
                           "    sql: a.sql\n";

static void overrides_are_typed(void **state)
{
    struct fixture *f = *state;
    struct df_param_override o[5];
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p;

    write_file(f, "a.sql", "SELECT 1");
    assert_int_equal(df_param_override_parse("n=5", &o[0], &err), 0);
    assert_int_equal(df_param_override_parse("r=2", &o[1], &err), 0);
    assert_int_equal(df_param_override_parse("b=true", &o[2], &err), 0);
    assert_int_equal(df_param_override_parse("s=a=b", &o[3], &err), 0);
    assert_int_equal(df_param_override_parse("l=[\"x\",\"y\"]", &o[4], &err), 0);
    assert_string_equal(o[3].key, "s");
    assert_string_equal(o[3].value, "a=b");
    p = load_ok(f, small, o, 5);
    assert_int_equal(p->steps[0].foreach.range, 5);
    assert_true(json_is_real(json_object_get(p->params, "r")));
    assert_true(json_real_value(json_object_get(p->params, "r")) == 2.0);
    assert_true(json_is_true(json_object_get(p->params, "b")));
    assert_string_equal(json_string_value(json_object_get(p->params, "s")), "a=b");
    assert_int_equal(json_array_size(json_object_get(p->params, "l")), 2);
    df_pipeline_free(p);
    for (int i = 0; i < 5; i++)
        free((char *)o[i].key);

    assert_int_equal(df_param_override_parse("novalue", &o[0], &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    df_error_clear(&err);
    assert_int_equal(df_param_override_parse("=1", &o[0], &err), -1);
}

static void override_errors(void **state)
{
    struct fixture *f = *state;
    struct df_param_override o = {"n", "many"};

    write_file(f, "a.sql", "SELECT 1");
    load_bad_o(f, small, &o, 1, 3, 6, "param 'n' is an integer");
    o.key = "zz";
    o.value = "1";
    load_bad_o(f, small, &o, 1, 3, 3, "unknown param 'zz'");
    o.key = "b";
    o.value = "maybe";
    load_bad_o(f, small, &o, 1, 5, 6, "boolean");
    o.key = "l";
    o.value = "{\"a\":1}";
    load_bad_o(f, small, &o, 1, 7, 6, "list");
    o.key = "n";
    o.value = "2000000";
    load_bad_o(f, small, &o, 1, 10, 22, "out of range");
}

static void spec_hash_follows_sql_and_params(void **state)
{
    struct fixture *f = *state;
    struct df_pipeline *p;
    struct df_param_override o = {"n", "4"};
    char h1[65], h2[65], h3[65];

    write_file(f, "a.sql", "SELECT 1");
    p = load_ok(f, small, NULL, 0);
    memcpy(h1, p->spec_hash, 65);
    df_pipeline_free(p);
    p = load_ok(f, small, &o, 1);
    memcpy(h2, p->spec_hash, 65);
    df_pipeline_free(p);
    write_file(f, "a.sql", "SELECT 2");
    p = load_ok(f, small, NULL, 0);
    memcpy(h3, p->spec_hash, 65);
    df_pipeline_free(p);
    assert_string_not_equal(h1, h2);
    assert_string_not_equal(h1, h3);
    write_file(f, "a.sql", "SELECT 1");
    p = load_ok(f, small, NULL, 0);
    assert_string_equal(h1, p->spec_hash);
    df_pipeline_free(p);
}

static void sql_lines_of_inline_sql(void **state)
{
    struct fixture *f = *state;
    struct df_pipeline *p = load_ok(f,
                                    "name: x\n"
                                    "steps:\n"
                                    "  a:\n"
                                    "    sql: >-\n"
                                    "      SELECT 1\n"
                                    "  b:\n"
                                    "    sql: \"SELECT\n"
                                    "      2\"\n"
                                    "  c:\n"
                                    "    sql:\n"
                                    "      SELECT 3\n",
                                    NULL, 0);
    assert_int_equal(p->steps[0].sql_line, 5);
    assert_int_equal(p->steps[0].sql_col, 7); /* the block's indentation + 1 */
    assert_int_equal(p->steps[1].sql_line, 7);
    assert_int_equal(p->steps[1].sql_col, 11); /* inside the quote */
    assert_int_equal(p->steps[2].sql_line, 11);
    assert_int_equal(p->steps[2].sql_col, 7);
    assert_string_equal(p->steps[2].sql, "SELECT 3");
    df_pipeline_free(p);

    p = load_ok(f,
                "name: x\n"
                "steps:\n"
                "  a:\n"
                "    sql: SELECT 1\n"
                "    foreach: {rows: 'SELECT 2'}\n"
                "    checks:\n"
                "      - name: c\n"
                "        sql: |\n"
                "\n"
                "            SELECT 3\n",
                NULL, 0);
    assert_int_equal(p->steps[0].sql_col, 10);
    assert_int_equal(p->steps[0].foreach.rows_at.line, 5);
    assert_int_equal(p->steps[0].foreach.rows_at.col, 22);
    assert_int_equal(p->steps[0].checks[0].sql_at.line, 9); /* a leading blank line counts */
    assert_int_equal(p->steps[0].checks[0].sql_at.col, 13);
    df_pipeline_free(p);
}

static void order_follows_deps(void **state)
{
    struct fixture *f = *state;
    struct df_pipeline *p = load_ok(f,
                                    "name: x\n"
                                    "steps:\n"
                                    "  c: {sql: s, inputs: {v: b.t}}\n"
                                    "  b: {sql: s, inputs: {v: a.t}, outputs: [t]}\n"
                                    "  a: {sql: s, outputs: [t]}\n"
                                    "  d: {sql: s}\n",
                                    NULL, 0);
    assert_int_equal(p->order[0], 2);
    assert_int_equal(p->order[1], 1);
    assert_int_equal(p->order[2], 0);
    assert_int_equal(p->order[3], 3);
    df_pipeline_free(p);
}

static void anchors_and_aliases_share_values(void **state)
{
    struct fixture *f = *state;
    struct df_pipeline *p = load_ok(f,
                                    "name: x\n"
                                    "params:\n"
                                    "  l: &l [1, 2, 3]\n"
                                    "steps:\n"
                                    "  a:\n"
                                    "    sql: &q SELECT 1\n"
                                    "    foreach: {values: *l}\n"
                                    "  b:\n"
                                    "    sql: *q\n",
                                    NULL, 0);
    assert_int_equal(json_array_size(p->steps[0].foreach.values), 3);
    assert_string_equal(p->steps[1].sql, "SELECT 1");
    df_pipeline_free(p);
}

static void alias_bomb_fails_fast(void **state)
{
    struct fixture *f = *state;
    struct strbuf sb = STRBUF_INIT;

    sb_adds(&sb, "name: lol\nparams:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char c = 'b'; c <= 'k'; c++)
        sb_addf(&sb, "  %c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c, c - 1,
                c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    sb_adds(&sb, "steps:\n  a: {sql: SELECT 1}\n");
    /* a..e hold 9^5 = 59049 leaves; the alias nodes of f pass the 100000 cap. */
    load_bad(f, sb.buf, 8, 10, "yaml aliases expand to more than"); /* the first *e of f */
    sb_release(&sb);
}

/* 1-based column of the first `at` on line `line` of text; 1 when at is NULL. */
static int column_of(const char *text, int line, const char *at)
{
    const char *l = text, *hit, *eol;

    if (!at)
        return 1;
    for (int i = 1; i < line; i++) {
        l = strchr(l, '\n');
        assert_non_null(l);
        l++;
    }
    eol = strchr(l, '\n');
    hit = strstr(l, at);
    assert_non_null(hit);
    assert_true(!eol || hit < eol);
    return (int)(hit - l) + 1;
}

static void error_classes(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *yaml;
        int line;
        const char *at; /* the error's column is where this first shows on the line */
        const char *want;
    } cases[] = {
        {"name: x\nsteps:\n  a: [1, 2\n", 4, NULL, "yaml syntax error"},
        {"name: x\nsteps:\n\ta: 1\n", 3, NULL, "tab"},
        {"", 1, NULL, "pipeline file is empty"},
        {"- a\n", 1, NULL, "must be a mapping"},
        {"name: x\n---\nname: y\n", 2, NULL, "one yaml document"},
        {"name: x\nstepz: {}\n", 2, "stepz",
         "unknown field 'stepz' in the pipeline (allowed: name,"},
        {"name: x\nsteps:\n  a:\n    sql: s\n    sqll: x\n", 5, "sqll",
         "unknown field 'sqll' in step 'a' (allowed: sql,"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {rage: 3}}\n", 3, "rage", "unknown field 'rage'"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: {t: {zip: 1}}}\n", 3, "zip",
         "unknown field 'zip' in output 't'"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {t: {uri: a.csv, fmt: csv}}}\n", 3, "fmt",
         "unknown field 'fmt' in input 't'"},
        {"name: x\nsteps:\n  a: {sql: s, checks: [{name: c, sql: s, x: 1}]}\n", 3,
         "x:", "unknown field 'x' in a check"},
        {"name: x\ndefaults: {mem: 1GB}\nsteps:\n  a: {sql: s}\n", 2, "mem",
         "unknown field 'mem' in defaults"},
        {"name: x\nname: y\nsteps:\n  a: {sql: s}\n", 2, "name",
         "duplicate key 'name' (first at line 1)"},
        {"name: x\nsteps:\n  a: {sql: s}\n  a: {sql: t}\n", 4, "a", "duplicate key 'a'"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {t: b.t}}\n", 3, "b.t", "unknown step 'b'"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [t]}\n  b: {sql: s, inputs: {v: a.u}}\n", 4,
         "a.u", "step 'a' has no output 'u' (its outputs: t)"},
        {"name: x\nsteps:\n  a: {sql: s}\n  b: {sql: s, inputs: {v: a.u}}\n", 4, "a.u",
         "it has no outputs"},
        {"name: x\nsteps:\n  a: {sql: s, after: [zz]}\n", 3, "zz", "after: unknown step 'zz'"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {each: zz}}\n", 3, "zz",
         "foreach each: unknown step 'zz'"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {files: zz}}\n", 3, "zz", "foreach files"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [t]}\n  b: {sql: s, foreach: {files: a.u}}\n", 4,
         "a.u", "step 'a' has no output 'u'"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {v: b.t}, outputs: [t]}\n"
         "  b: {sql: s, inputs: {v: a.t}, outputs: [t]}\n",
         3, "a", "cycle in steps: a -> b -> a"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [t], after: [a]}\n", 3, "a",
         "cycle in steps: a -> a"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {each: b}}\n  b: {sql: s, after: [c]}\n"
         "  c: {sql: s, after: [a]}\n",
         3, "a", "cycle in steps: a -> c -> b -> a"},
        {"name: x\nsteps:\n  a: {sql: missing.sql}\n", 3, "missing.sql",
         "sql file 'missing.sql' does not exist"},
        {"name: x\ndefaults: {memory_limit: lots}\nsteps:\n  a: {sql: s}\n", 2, "lots", "bad size"},
        {"name: x\ndefaults: {memory_limit: 1MB}\nsteps:\n  a: {sql: s}\n", 2, "1MB",
         "out of range"},
        {"name: x\ndefaults: {memory_limit: 17TiB}\nsteps:\n  a: {sql: s}\n", 2, "17TiB",
         "out of range"},
        {"name: x\nsteps:\n  a: {sql: s, timeout: soon}\n", 3, "soon", "bad duration"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: {t: {file_size: big}}}\n", 3, "big", "bad size"},
        {"name: x\nsteps:\n  a: {sql: s, threads: 0}\n", 3, "0", "threads must be between 1"},
        {"name: x\nsteps:\n  a: {sql: s, threads: 1025}\n", 3, "1025", "threads"},
        {"name: x\nsteps:\n  a: {sql: s, threads: two}\n", 3, "two", "must be an integer"},
        {"name: x\nsteps:\n  a: {sql: s, retries: 101}\n", 3, "101", "retries"},
        {"name: x\nsteps:\n  a: {sql: s, retries: -1}\n", 3, "-1", "retries"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {range: 1000001}}\n", 3, "1000001", "between 0"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {range: -1}}\n", 3, "-1", "between 0"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [t]}\n"
         "  b: {sql: s, foreach: {files: a.t, per_task: 0}}\n",
         4, "0}", "per_task must be between 1"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {range: 2, per_task: 2}}\n", 3, "2}",
         "per_task goes with foreach files"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {range: n}}\n", 3, "n}", "unknown param 'n'"},
        {"name: x\nparams: {n: abc}\nsteps:\n  a: {sql: s, foreach: {range: n}}\n", 4, "n}",
         "param 'n' is not an integer"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {values: vv}}\n", 3, "vv", "unknown param 'vv'"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {range: 3, values: [1]}}\n", 3, "[1]",
         "foreach has two kinds, 'range' and 'values'"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {}}\n", 3, "{}", "foreach needs one of"},
        {"name: x\nsteps: {}\n", 2, "{}", "pipeline has no steps"},
        {"name: x\n", 1, NULL, "pipeline has no steps"},
        {"steps:\n  a: {sql: s}\n", 1, NULL, "pipeline has no name"},
        {"name: x\nsteps:\n  a:\n", 3, "a", "step 'a' is empty"},
        {"name: x\nsteps:\n  a: {outputs: [t]}\n", 3, "a", "step 'a' has no sql"},
        {"name: x\nsteps:\n  a: {sql: '  '}\n", 3, "'  '", "sql is empty"},
        {"name: x\nsteps:\n  a: {sql: s, checks: [{name: c, sql: ''}]}\n", 3, "''",
         "check 'c': sql is empty"},
        {"name: x\nsteps:\n  a: {sql: s, foreach: {rows: ''}}\n", 3, "''", "needs a query"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [t, t]}\n", 3, "t]", "duplicate output 't'"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {t: in.csv}, outputs: [t]}\n", 3, "t]",
         "output 't' has the name of an input"},
        {"name: Bad Name\nsteps:\n  a: {sql: s}\n", 1, "Bad", "pipeline name 'Bad Name'"},
        {"name: x\nsteps:\n  1a: {sql: s}\n", 3, "1a", "step name '1a' is not valid"},
        {"name: x\nsteps:\n  a-b: {sql: s}\n", 3, "a-b", "step name 'a-b' is not valid"},
        {"name: x\nparams: {my-p: 1}\nsteps:\n  a: {sql: s}\n", 2, "my-p", "param name 'my-p'"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [bad.name]}\n", 3, "bad.name", "output name"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {bad name: x.csv}}\n", 3, "bad name",
         "input name"},
        {"name: x\nparams: {m: {a: 1}}\nsteps:\n  a: {sql: s}\n", 2, "{a", "param 'm' must be"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {v: data/thing}}\n", 3, "data/thing",
         "cannot tell the format"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {v: 'http://h/x.csv'}}\n", 3, "'http",
         "unsupported uri scheme"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {v: {uri: x.bin, format: avro}}}\n", 3, "avro",
         "unknown format 'avro'"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: {t: {compression: brotli}}}\n", 3, "brotli",
         "unknown compression 'brotli'"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: [a]}\n", 3, "[a]", "inputs must be a mapping"},
        {"name: *nope\n", 1, "*nope", "unknown yaml anchor 'nope'"},
        {"name: x\nparams: {Item: 1}\nsteps:\n  a: {sql: s}\n", 2, "Item",
         "param name 'Item' is reserved"},
        {"name: x\nsteps:\n  a: {sql: s, checks: [{name: c, sql: checks/c.sql}]}\n", 3, "checks/",
         "check 'c': sql must be inline; 'checks/c.sql' looks like a file name"},
        {"name: x\nx: &d {threads: 2}\nsteps:\n  a: {<<: *d, sql: s}\n", 2, "x",
         "unknown field 'x'"},
        {"name: x\nsteps:\n  a: {<<: {threads: 2}, sql: s}\n", 3, "<<",
         "yaml merge keys ('<<') are not supported in step 'a'"},
        {"name: x\nsteps:\n  a: {sql: s}\n  A: {sql: s}\n", 4, "A",
         "step 'A' differs from step 'a' only in case"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {v: x.csv, V: y.csv}}\n", 3,
         "V:", "input 'V' differs from input 'v' only in case"},
        {"name: x\nsteps:\n  a: {sql: s, outputs: [t, T]}\n", 3, "T]", "duplicate output 'T'"},
        {"name: x\nsteps:\n  a: {sql: s, inputs: {T: x.csv}, outputs: [t]}\n", 3, "t]",
         "output 't' has the name of an input"},
        {"name: x\nsteps:\n  a: {sql: s, checks: [{sql: s}]}\n", 3, "{sql: s}]",
         "a check needs a name"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("# case %zu: %s\n", i, cases[i].want);
        load_bad(f, cases[i].yaml, cases[i].line,
                 column_of(cases[i].yaml, cases[i].line, cases[i].at), cases[i].want);
    }
}

static void deep_nesting_is_refused(void **state)
{
    struct fixture *f = *state;
    struct strbuf sb = STRBUF_INIT;

    sb_adds(&sb, "name: x\nparams:\n  p: ");
    for (int i = 0; i < 100; i++)
        sb_addc(&sb, '[');
    for (int i = 0; i < 100; i++)
        sb_addc(&sb, ']');
    sb_adds(&sb, "\nsteps:\n  a: {sql: s}\n");
    /* Two mappings and 62 lists fill the 64 levels: the 63rd "[" (column 6 + 62) fails. */
    load_bad(f, sb.buf, 3, 68, "nested deeper than");
    sb_release(&sb);
}

static void missing_file_is_usage_error(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p = NULL;
    char *path = fs_join(f->dir, "nope.yaml");

    assert_int_equal(df_pipeline_load(path, NULL, 0, &p, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    assert_non_null(strstr(err.msg, "no such pipeline file"));
    free(path);
    df_pipeline_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(parses_every_field, setup, teardown),
        cmocka_unit_test_setup_teardown(overrides_are_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(override_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(spec_hash_follows_sql_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(sql_lines_of_inline_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(order_follows_deps, setup, teardown),
        cmocka_unit_test_setup_teardown(anchors_and_aliases_share_values, setup, teardown),
        cmocka_unit_test_setup_teardown(alias_bomb_fails_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(error_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(deep_nesting_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_file_is_usage_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
