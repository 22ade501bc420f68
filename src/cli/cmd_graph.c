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

#include "engine/sqlcheck.h"
#include "cli/cli.h"
#include "dag/plan.h"
#include "spec/spec.h"
#include "util/strbuf.h"
#include "util/banned.h"

const struct cli_opt cli_opts_graph[] = {
    {'f', "format", "FORMAT", "mermaid (default) or dot"},
    {'p', "param", "KEY=VALUE", "override a param (typed like its default)"},
    {'h', "help", NULL, "show this help"},
    {0, NULL, NULL, NULL}};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow graph PIPELINE [--format mermaid|dot] [--param KEY=VALUE]...\n\n"
               "Prints the pipeline's DAG as Mermaid (default) or Graphviz dot source.\n\n"
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

static void print_graph(const struct df_pipeline *p, int dot)
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
    if (dot)
        sb_adds(&sb, "}\n");
    fputs(sb.buf, stdout);
    sb_release(&sb);
}

int cmd_graph(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_param_override *ov = NULL;
    struct df_pipeline *p = NULL;
    const char *format = "mermaid";
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
    if (optind != argc - 1) {
        rc = cli_usage_error("graph", "expected one pipeline file");
        goto done;
    }
    if (df_pipeline_load(argv[optind], ov, n_ov, &p, &err) < 0 ||
        df_pipeline_check_sql(p, 0, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    print_graph(p, !strcmp(format, "dot"));
done:
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
