/*
 * test_argo.c - unit tests of src/argo: the YAML emitter (exact output, and a round trip
 * through libyaml, a YAML 1.1 reader like Kubernetes'), names, tolerations and the
 * manifest built for small pipelines (mapping of fan-out, resources, retries, limits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include <cmocka.h>
#include <jansson.h>
#include <yaml.h>

#include "argo/argo.h"
#include "argo/yamlemit.h"
#include "spec/spec.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* ---- the emitter ---- */

static char *scalar(const char *s, size_t len, int *rc)
{
    struct strbuf sb = STRBUF_INIT;
    struct df_error err = DF_ERROR_INIT;
    *rc = df_yaml_scalar(s, len, &sb, &err);
    return sb_detach(&sb);
}

static void expect_scalar(const char *in, const char *want)
{
    int rc;
    char *got = scalar(in, strlen(in), &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
}

static void yaml_plain_only_when_safe(void **state)
{
    (void)state;
    expect_scalar("main", "main");
    expect_scalar("kubernetes.io/arch", "kubernetes.io/arch");
    expect_scalar("/pipeline/sql/a.sql", "/pipeline/sql/a.sql");
    expect_scalar("a_b-c.d", "a_b-c.d");
    /* YAML 1.1 booleans and nulls, numbers, and syntax characters are quoted. */
    expect_scalar("", "\"\"");
    expect_scalar("yes", "\"yes\"");
    expect_scalar("No", "\"No\"");
    expect_scalar("on", "\"on\"");
    expect_scalar("OFF", "\"OFF\"");
    expect_scalar("y", "\"y\"");
    expect_scalar("n", "\"n\"");
    expect_scalar("null", "\"null\"");
    expect_scalar("~", "\"~\"");
    expect_scalar("123", "\"123\"");
    expect_scalar("0755", "\"0755\"");
    expect_scalar("1e3", "\"1e3\"");
    expect_scalar(".5", "\".5\"");
    expect_scalar("-x", "\"-x\"");
    expect_scalar("12:30", "\"12:30\"");
    expect_scalar("{{workflow.name}}", "\"{{workflow.name}}\"");
    expect_scalar("a b", "\"a b\"");
    expect_scalar("a: b", "\"a: b\"");
    expect_scalar("#x", "\"#x\"");
}

static void yaml_escapes(void **state)
{
    (void)state;
    expect_scalar("a\"b\\c", "\"a\\\"b\\\\c\"");
    expect_scalar("t\tn\nr\r", "\"t\\tn\\nr\\r\"");
    expect_scalar("del\x7f", "\"del\\x7f\"");
    expect_scalar("bell\x07", "\"bell\\x07\"");
    expect_scalar("Grüße 世界", "\"Grüße 世界\"");
    expect_scalar("ls\xe2\x80\xa8ps\xe2\x80\xa9", "\"ls\\u2028ps\\u2029\"");
    expect_scalar("nel\xc2\x85", "\"nel\\x85\"");
    expect_scalar("bom\xef\xbb\xbf", "\"bom\\ufeff\"");
    expect_scalar("emoji \xf0\x9f\xa6\x86", "\"emoji \xf0\x9f\xa6\x86\"");
    {
        int rc;
        char *got = scalar("nul\0x", 5, &rc);
        assert_int_equal(rc, 0);
        assert_string_equal(got, "\"nul\\0x\"");
        free(got);
    }
}

static void yaml_rejects_invalid_utf8(void **state)
{
    static const char *const bad[] = {
        "\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc;
        char *got = scalar(bad[i], strlen(bad[i]), &rc);
        assert_int_equal(rc, -1);
        free(got);
    }
}

static char *emit(json_t *v)
{
    struct strbuf sb = STRBUF_INIT;
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(df_yaml_emit(v, &sb, &err), 0);
    json_decref(v);
    return sb_detach(&sb);
}

static void yaml_document_shape(void **state)
{
    json_error_t je;
    json_t *v;
    char *got;
    (void)state;
    v = json_loads("{\"a\": 1, \"b\": [1, \"x\", {\"c\": true, \"d\": null}, [], {}, [2, 3]],"
                   " \"e\": {\"f\": false, \"g\": 0.1, \"h\": 2.0, \"i\": 1e20, \"j\": -7},"
                   " \"k\": {}, \"l\": []}",
                   0, &je);
    assert_non_null(v);
    got = emit(v);
    assert_string_equal(got, "a: 1\n"
                             "b:\n"
                             "  - 1\n"
                             "  - x\n"
                             "  - c: true\n"
                             "    d: null\n"
                             "  - []\n"
                             "  - {}\n"
                             "  - - 2\n"
                             "    - 3\n"
                             "e:\n"
                             "  f: false\n"
                             "  g: 0.1\n"
                             "  h: 2.0\n"
                             "  i: 1.0e+20\n"
                             "  j: -7\n"
                             "k: {}\n"
                             "l: []\n");
    free(got);
}

static void yaml_block_scalars(void **state)
{
    json_t *o = json_object();
    char *got;
    (void)state;
    json_object_set_new(o, "clip", json_string("a\n  b\n"));
    json_object_set_new(o, "strip", json_string("a\nb"));
    json_object_set_new(o, "keep", json_string("a\n\n\n"));
    json_object_set_new(o, "lead", json_string("\n\nx\n"));
    json_object_set_new(o, "indented", json_string("  a\nb\n"));
    json_object_set_new(o, "crlf", json_string("a\r\nb\n"));
    json_object_set_new(o, "blank", json_string("\n\n"));
    got = emit(o);
    assert_string_equal(got, "clip: |\n"
                             "  a\n"
                             "    b\n"
                             "strip: |-\n"
                             "  a\n"
                             "  b\n"
                             "keep: |+\n"
                             "  a\n"
                             "\n"
                             "\n"
                             "lead: |\n"
                             "\n"
                             "\n"
                             "  x\n"
                             "indented: \"  a\\nb\\n\"\n"
                             "crlf: \"a\\r\\nb\\n\"\n"
                             "blank: \"\\n\\n\"\n");
    free(got);
}

/* Reads YAML with libyaml: the scalar values of a one-level mapping, in order. */
static json_t *libyaml_read_map(const char *text)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    json_t *out = json_array();
    int done = 0, depth = 0;

    assert_true(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    while (!done) {
        assert_true(yaml_parser_parse(&parser, &ev));
        if (ev.type == YAML_MAPPING_START_EVENT)
            depth++;
        if (ev.type == YAML_SCALAR_EVENT && depth == 1) {
            json_t *s = json_stringn((const char *)ev.data.scalar.value, ev.data.scalar.length);
            /* A plain scalar a YAML 1.1 resolver would type (bool, null, int, float)
             * would not read back as a string: such values are marked for the caller. */
            if (ev.data.scalar.plain_implicit && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                json_t *marked = json_object();
                json_object_set_new(marked, "plain", s);
                s = marked;
            }
            json_array_append_new(out, s);
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return out;
}

static void yaml_round_trip_through_libyaml(void **state)
{
    /* Pieces that are hard for YAML; random strings are made of them. */
    static const char *const parts[] = {
        "a",     "Z",    " ",    "  ",   "\t",   "\n",       "\n\n",
        "\r",    "\r\n", ":",    ": ",   "#",    " #",       "-",
        "- ",    "---",  "...",  "'",    "\"",   "\\",       "{",
        "}",     "[",    "]",    ",",    "&a",   "*a",       "!",
        "|",     ">",    "%",    "@",    "`",    "~",        "yes",
        "no",    "on",   "null", "true", "0",    "0x1f",     "1e3",
        ".5",    "é",    "世",   "\x7f", "\x01", "\xc2\x85", "\xe2\x80\xa8",
        "{{x}}", "=",    "?",    "? ",   "<<"};
    const size_t nparts = sizeof(parts) / sizeof(parts[0]);
    uint32_t seed = 12345;
    (void)state;

    for (int round = 0; round < 300; round++) {
        json_t *o = json_object(), *want = json_array(), *got;
        struct strbuf sb = STRBUF_INIT;
        struct df_error err = DF_ERROR_INIT;
        for (int k = 0; k < 8; k++) {
            struct strbuf s = STRBUF_INIT;
            char key[16];
            seed = seed * 1103515245u + 12345u;
            int n = (int)((seed >> 16) % 9);
            for (int j = 0; j < n; j++) {
                seed = seed * 1103515245u + 12345u;
                sb_adds(&s, parts[(seed >> 16) % nparts]);
            }
            snprintf(key, sizeof(key), "k%d", k);
            json_object_set_new(o, key, json_stringn(s.buf, s.len));
            json_array_append_new(want, json_string(key));
            json_array_append_new(want, json_stringn(s.buf, s.len));
            sb_release(&s);
        }
        assert_int_equal(df_yaml_emit(o, &sb, &err), 0);
        got = libyaml_read_map(sb.buf);
        /* Keys are plain (safe words); values must come back as the same strings, and a
         * plain value must be one no resolver would type. */
        assert_int_equal(json_array_size(got), json_array_size(want));
        for (size_t i = 0; i < json_array_size(want); i++) {
            json_t *g = json_array_get(got, i), *w = json_array_get(want, i);
            if (json_is_object(g)) {
                const char *plain = json_string_value(json_object_get(g, "plain"));
                assert_string_equal(plain, json_string_value(w));
                assert_true(plain[0] && (isalpha((unsigned char)plain[0]) || plain[0] == '_' ||
                                         plain[0] == '/'));
                assert_true(strcasecmp(plain, "yes") && strcasecmp(plain, "no") &&
                            strcasecmp(plain, "on") && strcasecmp(plain, "null") &&
                            strcasecmp(plain, "true"));
            } else {
                if (!json_equal(g, w))
                    fail_msg("round %d value %zu: %s", round, i, sb.buf);
            }
        }
        json_decref(got);
        json_decref(want);
        json_decref(o);
        sb_release(&sb);
    }
}

/* ---- names and tolerations ---- */

static void names(void **state)
{
    char out[48];
    (void)state;
    df_argo_name("my_step", out, sizeof(out));
    assert_string_equal(out, "my-step");
    df_argo_name("_x", out, sizeof(out));
    assert_string_equal(out, "x");
    df_argo_name("A__B_", out, sizeof(out));
    assert_string_equal(out, "a-b");
    df_argo_name("___", out, sizeof(out));
    assert_string_equal(out, "step");
    /* Argo refuses a DAG task with dependencies whose name begins with a digit. */
    df_argo_name("_2nd", out, sizeof(out));
    assert_string_equal(out, "s-2nd");
    df_argo_name("a_very_long_step_name_that_goes_on_and_on_and_on", out, sizeof(out));
    assert_true(strlen(out) <= 40);
    assert_true(out[strlen(out) - 1] != '-');
}

static void tolerations(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    json_t *t;
    char *s;
    (void)state;

    t = df_argo_toleration("dedicated=duckflow:NoSchedule", &err);
    s = json_dumps(t, JSON_COMPACT);
    assert_string_equal(
        s, "{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"duckflow\",\"effect\":"
           "\"NoSchedule\"}");
    free(s);
    json_decref(t);
    t = df_argo_toleration("spot:NoExecute", &err);
    s = json_dumps(t, JSON_COMPACT);
    assert_string_equal(s, "{\"key\":\"spot\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}");
    free(s);
    json_decref(t);
    t = df_argo_toleration("example.com/gpu=a100", &err);
    s = json_dumps(t, JSON_COMPACT);
    assert_string_equal(s,
                        "{\"key\":\"example.com/gpu\",\"operator\":\"Equal\",\"value\":\"a100\"}");
    free(s);
    json_decref(t);
    t = df_argo_toleration("k", &err);
    s = json_dumps(t, JSON_COMPACT);
    assert_string_equal(s, "{\"key\":\"k\",\"operator\":\"Exists\"}");
    free(s);
    json_decref(t);

    assert_null(df_argo_toleration("k=v:Sometimes", &err));
    assert_int_equal(err.code, DF_EUSAGE);
    df_error_clear(&err);
    assert_null(df_argo_toleration("=v:NoSchedule", &err));
    df_error_clear(&err);
    assert_null(df_argo_toleration("k=v w", &err));
    df_error_clear(&err);
}

/* ---- manifests ---- */

struct fixture {
    char *dir;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct df_error err = DF_ERROR_INIT;
    f->dir = fs_mkdtemp(NULL, "test-argo", &err);
    assert_non_null(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    fs_remove_tree(f->dir, &err);
    free(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *dir, const char *rel, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    char *path = fs_join(dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(fs_mkdirs(path, &err), 0);
    *slash = '/';
    assert_int_equal(fs_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

static struct df_pipeline *load(const char *dir, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p = NULL;
    char *path = fs_join(dir, "pipeline.yaml");
    write_file(dir, "pipeline.yaml", text);
    if (df_pipeline_load(path, NULL, 0, &p, &err))
        fail_msg("load: %s", err.msg);
    free(path);
    return p;
}

static json_t *build(const struct df_pipeline *p, const struct df_argo_opts *o)
{
    struct df_error err = DF_ERROR_INIT;
    json_t *doc = NULL;
    if (df_argo_build(p, o, &doc, NULL, &err))
        fail_msg("build: %s", err.msg);
    return doc;
}

static json_t *find_named(json_t *arr, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "name")), name))
            return v;
    }
    fail_msg("nothing named '%s'", name);
    return NULL;
}

/* The value at a dotted path (objects by key), or NULL. */
static json_t *path_obj(json_t *v, const char *path)
{
    char *copy = strdup(path), *save = NULL;
    for (char *tok = strtok_r(copy, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
        v = json_object_get(v, tok);
    free(copy);
    return v;
}

/* The (shared) template a DAG task of main runs. */
static json_t *template_of(json_t *spec, const char *task)
{
    json_t *templates = json_object_get(spec, "templates");
    json_t *tasks = json_object_get(json_object_get(find_named(templates, "main"), "dag"), "tasks");
    return find_named(templates,
                      json_string_value(json_object_get(find_named(tasks, task), "template")));
}

static const char *path_str(json_t *root, const char *path)
{
    json_t *v = root;
    char *copy = strdup(path), *save = NULL;
    for (char *tok = strtok_r(copy, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(v))
            v = json_array_get(v, (size_t)atoi(tok));
        else
            v = json_object_get(v, tok);
    }
    free(copy);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char pipeline_text[] = "name: unit_argo\n"
                                    "params:\n"
                                    "  n: 4\n"
                                    "steps:\n"
                                    "  main:\n"
                                    "    foreach: {range: n}\n"
                                    "    sql: CREATE TABLE t AS SELECT 1 AS x\n"
                                    "    outputs: [t]\n"
                                    "    memory_limit: 1GiB\n"
                                    "    threads: 3\n"
                                    "    retries: 2\n"
                                    "    timeout: 90s\n"
                                    "  a_b:\n"
                                    "    foreach: {each: main}\n"
                                    "    inputs: {t: main.t}\n"
                                    "    sql: sql/q.sql\n"
                                    "    outputs: [u]\n"
                                    "  a__b:\n"
                                    "    foreach: {rows: \"SELECT x FROM t\"}\n"
                                    "    inputs: {t: main.t}\n"
                                    "    sql: CREATE TABLE v AS SELECT 1 AS y\n"
                                    "    outputs: [v]\n";

static void manifest_names_and_fanout(void **state)
{
    struct fixture *f = *state;
    struct df_argo_opts o = {0};
    struct df_pipeline *p;
    json_t *doc, *spec, *tasks, *t;
    (void)state;

    write_file(f->dir, "sql/q.sql", "CREATE TABLE u AS SELECT * FROM t\n");
    p = load(f->dir, pipeline_text);
    o.image = "img:1";
    o.store = "s3://b/p";
    doc = build(p, &o);
    spec = json_object_get(doc, "spec");
    assert_string_equal(path_str(doc, "kind"), "Workflow");
    assert_string_equal(path_str(doc, "metadata.generateName"), "unit-argo-");
    assert_string_equal(path_str(spec, "entrypoint"), "main");
    assert_string_equal(path_str(spec, "onExit"), "finish");
    tasks = json_object_get(
        json_object_get(find_named(json_object_get(spec, "templates"), "main"), "dag"), "tasks");
    /* `main` the step does not take the DAG template's name; `a_b` and `a__b` do not
     * collide. */
    t = find_named(tasks, "main-2");
    assert_string_equal(path_str(t, "withSequence.count"),
                        "{{=sprig.min(asInt(workflow.parameters.n), 2000)}}");
    t = find_named(tasks, "a-b");
    assert_string_equal(path_str(t, "withSequence.count"),
                        "{{=sprig.min(asInt(workflow.parameters.n), 2000)}}");
    assert_string_equal(path_str(t, "dependencies.0"), "main-2");
    t = find_named(tasks, "a-b-2");
    assert_string_equal(path_str(t, "withParam"), "{{tasks.a-b-2-items.outputs.result}}");
    t = find_named(tasks, "a-b-2-items");
    assert_null(json_object_get(t, "withParam"));

    /* Resources, retries and deadline of the `main` step. */
    t = template_of(spec, "main-2");
    assert_string_equal(path_str(t, "container.resources.limits.memory"), "1792Mi");
    assert_string_equal(path_str(t, "container.resources.requests.memory"), "1792Mi");
    assert_string_equal(path_str(t, "container.resources.limits.cpu"), "3");
    /* IntOrString fields as strings, as Argo's JSON schema declares them. */
    assert_string_equal(path_str(t, "activeDeadlineSeconds"), "90");
    assert_string_equal(path_str(t, "retryStrategy.limit"), "2");
    assert_string_equal(path_str(t, "retryStrategy.backoff.factor"), "2");
    assert_string_equal(path_str(t, "retryStrategy.backoff.cap"), "5m");
    /* Each retry asks 1.5x the memory of the last, up to 4x the first. */
    assert_string_equal(path_str(t, "podSpecPatch"),
                        "{\"containers\":[{\"name\":\"main\",\"resources\":{\"requests\":{"
                        "\"memory\":\"{{=asInt(retries) < 1 ? '1792Mi' : asInt(retries) < 2 ? "
                        "'2688Mi' : '4032Mi'}}\"},\"limits\":{\"memory\":\"{{=asInt(retries) < 1 ? "
                        "'1792Mi' : asInt(retries) < 2 ? '2688Mi' : '4032Mi'}}\"}}}]}");
    assert_string_equal(path_str(t, "container.securityContext.capabilities.drop.0"), "ALL");
    assert_string_equal(path_str(t, "container.securityContext.seccompProfile.type"),
                        "RuntimeDefault");
    /* A step's pod reads the pipeline from its bundle in the store: no files in the
     * template. */
    assert_string_equal(path_str(t, "container.args.0"), "argo");
    assert_string_equal(path_str(t, "container.args.1"), "step");
    assert_string_equal(path_str(t, "container.args.2"), "unit_argo");
    assert_string_equal(path_str(t, "container.args.3"), "--bundle");
    assert_int_equal(strlen(path_str(t, "container.args.4")), 64);
    assert_string_equal(path_str(t, "container.args.12"), "{{=asInt(retries) + 1}}");
    assert_null(json_object_get(json_object_get(t, "inputs"), "artifacts"));
    t = find_named(json_object_get(spec, "templates"), "bundle");
    assert_string_equal(path_str(t, "container.args.2"), "/pipeline/pipeline.yaml");
    assert_string_equal(path_str(t, "inputs.artifacts.1.path"), "/pipeline/sql/q.sql");
    /* a_b has no limits of its own and no defaults: no resources, and the local
     * executor's default of 2 retries, with no memory to grow. */
    t = template_of(spec, "a-b");
    assert_null(json_object_get(path_obj(t, "container.resources.limits"), "memory"));
    assert_null(json_object_get(path_obj(t, "container.resources.limits"), "cpu"));
    assert_string_equal(path_str(t, "container.resources.limits.ephemeral-storage"), "20736Mi");
    assert_string_equal(path_str(t, "retryStrategy.limit"), "2");
    assert_null(json_object_get(t, "podSpecPatch"));
    assert_string_equal(path_str(t, "container.args.12"), "{{=asInt(retries) + 1}}");
    json_decref(doc);

    /* The other kinds. */
    o.kind = DF_ARGO_TEMPLATE;
    o.name = "Custom_Name";
    doc = build(p, &o);
    assert_string_equal(path_str(doc, "kind"), "WorkflowTemplate");
    assert_string_equal(path_str(doc, "metadata.name"), "custom-name");
    json_decref(doc);
    {
        const char *sched[] = {"0 3 * * *"};
        struct df_error err = DF_ERROR_INIT;
        o.kind = DF_ARGO_CRON;
        o.name = NULL;
        assert_int_equal(df_argo_build(p, &o, &doc, NULL, &err), -1);
        assert_int_equal(err.code, DF_EUSAGE);
        o.schedules = sched;
        o.n_schedules = 1;
        o.timezone = "UTC";
        doc = build(p, &o);
        assert_string_equal(path_str(doc, "spec.schedules.0"), "0 3 * * *");
        assert_string_equal(path_str(doc, "spec.timezone"), "UTC");
        assert_string_equal(path_str(doc, "spec.workflowSpec.entrypoint"), "main");
        json_decref(doc);
    }
    df_pipeline_free(p);
}

static void manifest_option_errors(void **state)
{
    struct fixture *f = *state;
    struct df_argo_opts o = {0};
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p;
    json_t *doc = NULL;
    const char *tol[] = {"x=y:Never"};

    write_file(f->dir, "sql/q.sql", "CREATE TABLE u AS SELECT * FROM t\n");
    p = load(f->dir, pipeline_text);
    assert_int_equal(df_argo_build(p, &o, &doc, NULL, &err), -1);
    assert_string_equal(err.msg, "an image is required (--image)");
    df_error_clear(&err);
    o.image = "i";
    assert_int_equal(df_argo_build(p, &o, &doc, NULL, &err), -1);
    assert_string_equal(err.msg, "a store is required (--store)");
    df_error_clear(&err);
    o.store = "s3://b";
    o.tolerations = tol;
    o.n_tolerations = 1;
    assert_int_equal(df_argo_build(p, &o, &doc, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "toleration 'x=y:Never'"));
    assert_null(doc);
    df_pipeline_free(p);
}

static void manifest_size_limit(void **state)
{
    struct fixture *f = *state;
    struct df_argo_opts o = {0};
    struct df_error err = DF_ERROR_INIT;
    struct strbuf out = STRBUF_INIT, sql = STRBUF_INIT, warn = STRBUF_INIT;
    struct df_pipeline *p;

    /* The files travel once, in the bundle template: six different files of 200 KB go
     * over the limit, one file of 200 KB read by four steps does not. */
    sb_adds(&sql, "CREATE TABLE t AS SELECT 1 AS x;\n");
    while (sql.len < 200000)
        sb_adds(&sql, "-- padding padding padding padding padding padding padding padding\n");
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof(name), "sql/big%d.sql", i);
        sql.buf[sql.len - 2] = (char)('a' + i);
        write_file(f->dir, name, sql.buf);
    }
    p = load(f->dir, "name: big\nsteps:\n"
                     "  a: {sql: sql/big0.sql, outputs: [t]}\n"
                     "  b: {sql: sql/big1.sql, outputs: [t]}\n"
                     "  c: {sql: sql/big2.sql, outputs: [t]}\n"
                     "  d: {sql: sql/big3.sql, outputs: [t]}\n"
                     "  e: {sql: sql/big4.sql, outputs: [t]}\n"
                     "  f: {sql: sql/big5.sql, outputs: [t]}\n");
    o.image = "i";
    o.store = "s3://b";
    assert_int_equal(df_argo_render(p, &o, 0, &out, &warn, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    assert_non_null(strstr(err.msg, "over the 1048576"));
    assert_int_equal(out.len, 0);
    df_pipeline_free(p);

    p = load(f->dir, "name: small\nsteps:\n"
                     "  a: {sql: sql/big0.sql, outputs: [t]}\n"
                     "  b: {sql: sql/big0.sql, outputs: [t]}\n"
                     "  c: {sql: sql/big0.sql, outputs: [t]}\n"
                     "  d: {sql: sql/big0.sql, outputs: [t]}\n");
    df_error_clear(&err);
    sb_release(&warn);
    assert_int_equal(df_argo_render(p, &o, 0, &out, &warn, &err), 0);
    assert_true(out.len > 200000 && out.len < 300000);
    /* Over 128 KiB, Argo moves the bundle template into a ConfigMap: said once. */
    assert_non_null(strstr(warn.buf, "ConfigMap"));
    df_pipeline_free(p);
    sb_release(&out);
    sb_release(&sql);
    sb_release(&warn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(yaml_plain_only_when_safe),
        cmocka_unit_test(yaml_escapes),
        cmocka_unit_test(yaml_rejects_invalid_utf8),
        cmocka_unit_test(yaml_document_shape),
        cmocka_unit_test(yaml_block_scalars),
        cmocka_unit_test(yaml_round_trip_through_libyaml),
        cmocka_unit_test(names),
        cmocka_unit_test(tolerations),
        cmocka_unit_test_setup_teardown(manifest_names_and_fanout, setup, teardown),
        cmocka_unit_test_setup_teardown(manifest_option_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(manifest_size_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
