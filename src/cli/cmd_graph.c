/*
 * cmd_graph.c - `duckflow graph PIPELINE [--format mermaid|dot]`: the DAG as Mermaid
 * flowchart or Graphviz source. Steps are boxes labelled with their fan-out, external
 * inputs are file shapes, edges carry the tables that flow along them; `after` edges are
 * dashed. Touches no store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dag/plan.h"
#include "exec/runrec.h"
#include "store/runs.h"
#include "store/caps.h"
#include "store/layout.h"
#include "store/store.h"
#include "spec/spec.h"
#include "util/strbuf.h"
#include "util/banned.h"

const struct cli_opt cli_opts_graph[] = {
    {'f', "format", "FORMAT", "mermaid (default) or dot"},
    {CLI_OPT_PARAM},
    {'r', "run", "RUN", "colour the steps by their status in run RUN ('latest': the newest)"},
    {'s', "store", "URI", "the store of --run (default $DUCKFLOW_STORE, else ./.duckflow)"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow graph PIPELINE [--format mermaid|dot] [--param KEY=VALUE]...\n"
               "                      [--run RUN [--store URI]]\n\n"
               "Prints the pipeline's DAG as Mermaid (default) or Graphviz dot source. With\n"
               "--run, every step is coloured by its status in that run (and the status is\n"
               "written in its box): green succeeded, red failed, grey not run, orange\n"
               "interrupted, as in the HTML report.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_graph);
}

/* Text safe inside a double-quoted Mermaid label or dot string. */
static void add_label(struct strbuf *sb, const char *s, int dot)
{
    for (; *s; s++) {
        if (*s == '"')
            sb_adds(sb, dot ? "\\\"" : "#quot;");
        else if (*s == '\\' && dot)
            sb_adds(sb, "\\\\");
        else if ((*s == '<' || *s == '>') && !dot)
            sb_adds(sb, *s == '<' ? "#lt;" : "#gt;");
        else if (*s == '\n' || *s == '\r')
            sb_addc(sb, ' ');
        else
            sb_addc(sb, *s);
    }
}

/* The tables step `to` reads from step `from`, comma-separated (empty when none). */
static void edge_tables(struct strbuf *sb, const struct df_step *to, size_t from)
{
    for (size_t i = 0; i < to->n_inputs; i++) {
        const struct df_input *in = &to->inputs[i];
        if (in->step_index != (int)from)
            continue;
        sb_addf(sb, "%s%s", sb->len ? ", " : "", in->table);
    }
}

static int is_after(const struct df_pipeline *p, const struct df_step *s, size_t from)
{
    for (size_t i = 0; i < s->n_after; i++)
        if (df_pipeline_step_index(p, s->after[i]) == (int)from)
            return 1;
    return 0;
}

/* The step's status in run.json, or NULL. */
static const char *status_of(json_t *run, const char *step)
{
    json_t *st;
    size_t i;
    json_array_foreach(json_object_get(run, "steps"), i, st)
    {
        const char *n = json_string_value(json_object_get(st, "name"));
        if (n && !strcmp(n, step))
            return json_string_value(json_object_get(st, "status"));
    }
    return NULL;
}

/* Fill colours as the report's DAG uses them. */
static const char *status_fill(const char *status)
{
    return !strcmp(status, "succeeded")         ? "#3a9a4a"
           : !strcmp(status, "failed")          ? "#c83a3a"
           : !strcmp(status, "upstream_failed") ? "#bbbbbb"
           : !strcmp(status, "interrupted")     ? "#e0a030"
                                                : "#dddddd";
}

static void print_graph(const struct df_pipeline *p, int dot, json_t *run)
{
    struct strbuf sb = STRBUF_INIT;
    size_t ext = 0;

    if (dot) {
        sb_adds(&sb, "digraph \"");
        add_label(&sb, p->name, 1);
        sb_adds(&sb, "\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    } else {
        sb_adds(&sb, "flowchart TD\n");
    }
    for (size_t o = 0; o < p->n_steps; o++) {
        size_t i = p->order[o];
        char *fan = df_plan_describe(p, i);
        /* Ids carry a prefix: Mermaid reserves words such as "end". */
        if (dot)
            sb_addf(&sb, "  s_%s [label=\"%s\\n", p->steps[i].name, p->steps[i].name);
        else
            sb_addf(&sb, "  s_%s[\"%s<br/>", p->steps[i].name, p->steps[i].name);
        add_label(&sb, fan, dot);
        if (run) {
            const char *st = status_of(run, p->steps[i].name);
            sb_adds(&sb, dot ? "\\n" : "<br/>");
            add_label(&sb, st ? st : "unknown", dot);
            if (dot)
                sb_addf(&sb, "\", style=filled, fillcolor=\"%s\", fontcolor=\"%s",
                        status_fill(st ? st : ""),
                        st && (!strcmp(st, "succeeded") || !strcmp(st, "failed")) ? "white"
                                                                                  : "black");
        }
        sb_adds(&sb, dot ? "\"];\n" : "\"]\n");
        free(fan);
    }
    for (size_t o = 0; o < p->n_steps; o++) {
        size_t i = p->order[o];
        const struct df_step *s = &p->steps[i];
        for (size_t k = 0; k < s->n_inputs; k++) {
            const struct df_input *in = &s->inputs[k];
            if (in->step)
                continue;
            if (dot) {
                sb_addf(&sb, "  x_%zu [shape=note, label=\"", ext);
                add_label(&sb, in->uri, 1);
                sb_addf(&sb, "\"];\n  x_%zu -> s_%s [label=\"%s\"];\n", ext, s->name, in->name);
            } else {
                sb_addf(&sb, "  x_%zu[/\"", ext);
                add_label(&sb, in->uri, 0);
                sb_addf(&sb, "\"/] -->|%s| s_%s\n", in->name, s->name);
            }
            ext++;
        }
        for (size_t d = 0; d < s->n_deps; d++) {
            struct strbuf tables = STRBUF_INIT;
            size_t from = s->deps[d];
            edge_tables(&tables, s, from);
            if (!tables.len && s->foreach.each_index == (int)from)
                sb_adds(&tables, "each");
            if (!tables.len && s->foreach.files_step == (int)from)
                sb_addf(&tables, "files of %s", s->foreach.files_table);
            if (!tables.len && is_after(p, s, from)) {
                if (dot)
                    sb_addf(&sb, "  s_%s -> s_%s [style=dashed];\n", p->steps[from].name, s->name);
                else
                    sb_addf(&sb, "  s_%s -.-> s_%s\n", p->steps[from].name, s->name);
            } else if (dot) {
                sb_addf(&sb, "  s_%s -> s_%s [label=\"%s\"];\n", p->steps[from].name, s->name,
                        tables.buf);
            } else {
                sb_addf(&sb, "  s_%s -->|%s| s_%s\n", p->steps[from].name, tables.buf, s->name);
            }
            sb_release(&tables);
        }
    }
    if (run && !dot) {
        static const char *const states[] = {"succeeded",   "failed",  "upstream_failed",
                                             "interrupted", "pending", "running"};
        for (size_t k = 0; k < sizeof(states) / sizeof(*states); k++)
            sb_addf(&sb, "  classDef %s fill:%s,color:%s\n", states[k], status_fill(states[k]),
                    k < 2 ? "#fff" : "#222");
        for (size_t i = 0; i < p->n_steps; i++) {
            const char *st = status_of(run, p->steps[i].name);
            if (st)
                sb_addf(&sb, "  class s_%s %s\n", p->steps[i].name, st);
        }
    }
    if (dot)
        sb_adds(&sb, "}\n");
    fputs(sb.buf, stdout);
    sb_release(&sb);
}

/* run.json of run_opt ("latest": the newest run of the pipeline). */
static int load_run(const struct df_pipeline *p, const char *store_opt, const char *run_opt,
                    json_t **out)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;
    char *data = NULL, *key = NULL, *id = NULL;
    size_t len = 0;
    int rc = 0;

    if (df_store_open(cli_store_uri(store_opt), &store, &err) != 0)
        return cli_fail(&err);
    if (!strcmp(run_opt, "latest")) {
        json_t *runs = NULL;
        if (runrec_list(store, p->name, &runs, &err) != 0) {
            rc = cli_fail(&err);
            goto out;
        }
        id = xstrdup(json_string_value(
                         json_object_get(json_array_get(runs, json_array_size(runs) - 1), "run"))
                         ? json_string_value(json_object_get(
                               json_array_get(runs, json_array_size(runs) - 1), "run"))
                         : "");
        json_decref(runs);
    } else {
        id = xstrdup(run_opt);
    }
    if (!df_valid_run_id(id)) {
        rc = cli_usage_error("graph", "no run '%s' of pipeline '%s'", run_opt, p->name);
        goto out;
    }
    {
        int removed = 0;
        if (df_run_removed(store, p->name, id, &removed, &err) != 0) {
            rc = cli_fail(&err);
            goto out;
        }
        if (removed) {
            rc = cli_usage_error("graph", "run '%s' of pipeline '%s' was removed (runs rm or gc)",
                                 id, p->name);
            goto out;
        }
    }
    key = df_key_run_json(p->name, id);
    if (df_store_get_bytes(store, key, DF_CAP_RUN_JSON, &data, &len, &err) != 0) {
        if (err.code == DF_ENOTFOUND) {
            rc = cli_usage_error("graph", "run '%s' of pipeline '%s' has no run.json", id, p->name);
        } else {
            rc = cli_fail(&err);
        }
        goto out;
    }
    *out = json_loadb(data, len, 0, NULL);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = cli_usage_error("graph", "run '%s': run.json is damaged", id);
    }
out:
    free(data);
    free(key);
    free(id);
    df_store_free(store);
    return rc;
}

int cmd_graph(int argc, char **argv)
{
    struct df_param_override *ov = NULL;
    struct df_pipeline *p = NULL;
    const char *format = "mermaid", *run_opt = NULL, *store_opt = NULL;
    json_t *run = NULL;
    size_t n_ov = 0;
    int c, rc = 0;

    while ((c = cli_getopt("graph", argc, argv, cli_opts_graph, 0)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'p':
            if ((rc = cli_add_param("graph", optarg, &ov, &n_ov)) != 0)
                goto done;
            break;
        case 'r':
            run_opt = optarg;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'h':
            usage(stdout);
            goto done;
        default:
            rc = 2;
            goto done;
        }
    }
    if (strcmp(format, "mermaid") != 0 && strcmp(format, "dot") != 0) {
        rc = cli_usage_error("graph", "unknown format '%s' (mermaid or dot)", format);
        goto done;
    }
    if ((rc = cli_load_pipeline("graph", argc, argv, optind, ov, n_ov, 0, &p)) != 0)
        goto done;
    if (run_opt && (rc = load_run(p, store_opt, run_opt, &run)) != 0)
        goto done;
    print_graph(p, !strcmp(format, "dot"), run);
done:
    json_decref(run);
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
