/*
 * cmd_plan.c - `duckflow plan PIPELINE [--param k=v]... [--format text|json]`: the steps
 * in run order, each with its fan-out, task count (or what its items wait for), inputs,
 * outputs, deps and limits. Loads and validates like `validate`; touches no store.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dag/plan.h"
#include "spec/spec.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/jsonfmt.h"
#include "util/banned.h"

const struct cli_opt cli_opts_plan[] = {
    {CLI_OPT_PARAM},
    {'f', "format", "FORMAT", "text (default) or json"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow plan PIPELINE [--param KEY=VALUE]... [--format text|json]\n\n"
               "Shows the steps in the order they run: fan-out and task count (or what a\n"
               "dynamic step's items wait for), inputs, outputs, dependencies and limits.\n"
               "Nothing runs and no store is touched.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_plan);
}

static void limits_text(struct strbuf *sb, const struct df_limits *l)
{
    char buf[64];

    if (l->memory_limit) {
        df_format_size(l->memory_limit, buf, sizeof(buf));
        sb_addf(sb, "memory %s", buf);
    } else {
        sb_adds(sb, "memory auto");
    }
    if (l->threads)
        sb_addf(sb, ", threads %d", l->threads);
    else
        sb_adds(sb, ", threads auto");
    if (l->retries >= 0)
        sb_addf(sb, ", retries %d", l->retries);
    else
        sb_adds(sb, ", retries default");
    if (l->timeout_ms) {
        df_format_duration(l->timeout_ms, buf, sizeof(buf));
        sb_addf(sb, ", timeout %s", buf);
    } else {
        sb_adds(sb, ", no timeout");
    }
}

static void print_text(const struct df_pipeline *p)
{
    int64_t total = 0;
    int dynamic = 0;
    const char *k;
    json_t *v;

    for (size_t i = 0; i < p->n_steps; i++) {
        int64_t n = df_plan_task_count(p, i);
        if (n < 0)
            dynamic = 1;
        else
            total += n;
    }
    printf("pipeline '%s' (spec %.12s): %zu step%s, %" PRId64 "%s task%s\n", p->name, p->spec_hash,
           p->n_steps, p->n_steps == 1 ? "" : "s", total, dynamic ? "+" : "",
           total == 1 && !dynamic ? "" : "s");
    if (json_object_size(p->params)) {
        printf("params:");
        json_object_foreach(p->params, k, v)
        {
            char *t = df_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            printf(" %s=%s", k, t ? t : "?");
            free(t);
        }
        printf("\n");
    }
    for (size_t o = 0; o < p->n_steps; o++) {
        size_t i = p->order[o];
        const struct df_step *s = &p->steps[i];
        struct strbuf sb = STRBUF_INIT;
        char *fan = df_plan_describe(p, i), *when = df_plan_known_when(p, i);
        int64_t n = df_plan_task_count(p, i);

        printf("\n%zu. %s: %s", o + 1, s->name, fan);
        if (s->foreach.kind == DF_FOREACH_NONE)
            printf("\n");
        else if (n >= 0)
            printf(", %" PRId64 " task%s\n", n, n == 1 ? "" : "s");
        else
            printf(", dynamic: known when %s\n", when);
        if (s->n_inputs) {
            printf("   inputs:  ");
            for (size_t j = 0; j < s->n_inputs; j++) {
                const struct df_input *in = &s->inputs[j];
                if (in->step)
                    printf("%s%s <- %s.%s", j ? ", " : "", in->name, in->step, in->table);
                else
                    printf("%s%s <- %s (%s)", j ? ", " : "", in->name, in->uri, in->format);
            }
            printf("\n");
        }
        if (s->n_outputs) {
            printf("   outputs: ");
            for (size_t j = 0; j < s->n_outputs; j++)
                printf("%s%s", j ? ", " : "", s->outputs[j].name);
            printf("\n");
        }
        if (s->n_deps) {
            printf("   deps:    ");
            for (size_t j = 0; j < s->n_deps; j++)
                printf("%s%s", j ? ", " : "", p->steps[s->deps[j]].name);
            printf("\n");
        }
        if (s->n_checks)
            printf("   checks:  %zu\n", s->n_checks);
        limits_text(&sb, &s->limits);
        printf("   limits:  %s\n", sb.buf);
        printf("   sql:     %s:%d\n", s->sql_origin, s->sql_line);
        sb_release(&sb);
        free(fan);
        free(when);
    }
}

static json_t *strings_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *limits_json(const struct df_limits *l)
{
    return json_pack("{s:o,s:o,s:o,s:o}", "memory_limit",
                     l->memory_limit ? json_integer((json_int_t)l->memory_limit) : json_null(),
                     "threads", l->threads ? json_integer(l->threads) : json_null(), "retries",
                     l->retries >= 0 ? json_integer(l->retries) : json_null(), "timeout_ms",
                     l->timeout_ms ? json_integer(l->timeout_ms) : json_null());
}

static json_t *foreach_json(const struct df_pipeline *p, size_t i)
{
    const struct df_foreach *f = &p->steps[i].foreach;
    static const char *const kinds[] = {"none", "range", "values", "each", "files", "rows"};
    json_t *j = json_pack("{s:s}", "kind", kinds[f->kind]);

    switch (f->kind) {
    case DF_FOREACH_RANGE:
        json_object_set_new(j, "range", json_integer(f->range));
        if (f->range_param)
            json_object_set_new(j, "param", json_string(f->range_param));
        break;
    case DF_FOREACH_VALUES:
        json_object_set(j, "values", f->values);
        if (f->values_param)
            json_object_set_new(j, "param", json_string(f->values_param));
        break;
    case DF_FOREACH_EACH:
        json_object_set_new(j, "each", json_string(f->each));
        break;
    case DF_FOREACH_FILES:
        json_object_set_new(j, "files", json_string(f->files_source));
        json_object_set_new(j, "per_task", json_integer(f->per_task));
        break;
    case DF_FOREACH_ROWS:
        json_object_set_new(j, "rows", json_string(f->rows_sql));
        break;
    default:
        break;
    }
    return j;
}

static json_t *step_json(const struct df_pipeline *p, size_t i)
{
    const struct df_step *s = &p->steps[i];
    json_t *j = json_object(), *a;
    int64_t n = df_plan_task_count(p, i);
    char *when = df_plan_known_when(p, i);

    json_object_set_new(j, "name", json_string(s->name));
    if (s->description)
        json_object_set_new(j, "description", json_string(s->description));
    json_object_set_new(j, "foreach", foreach_json(p, i));
    json_object_set_new(j, "tasks", n >= 0 ? json_integer(n) : json_null());
    if (when)
        json_object_set_new(j, "known_when", json_string(when));
    free(when);
    a = json_array();
    for (size_t k = 0; k < s->n_inputs; k++) {
        const struct df_input *in = &s->inputs[k];
        if (in->step)
            json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name", in->name, "step", in->step,
                                               "table", in->table));
        else
            json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:O}", "name", in->name, "uri",
                                               in->uri, "format", in->format, "options",
                                               in->options ? in->options : json_null()));
    }
    json_object_set_new(j, "inputs", a);
    a = json_array();
    for (size_t k = 0; k < s->n_outputs; k++) {
        const struct df_output *o = &s->outputs[k];
        json_array_append_new(
            a, json_pack("{s:s,s:o,s:o,s:o,s:s}", "name", o->name, "partition_by",
                         strings_json(o->partition_by, o->n_partition_by), "order_by",
                         strings_json(o->order_by, o->n_order_by), "file_size",
                         o->file_size ? json_integer((json_int_t)o->file_size) : json_null(),
                         "compression", o->compression));
    }
    json_object_set_new(j, "outputs", a);
    a = json_array();
    for (size_t k = 0; k < s->n_deps; k++)
        json_array_append_new(a, json_string(p->steps[s->deps[k]].name));
    json_object_set_new(j, "deps", a);
    json_object_set_new(j, "after", strings_json(s->after, s->n_after));
    a = json_array();
    for (size_t k = 0; k < s->n_checks; k++)
        json_array_append_new(a, json_string(s->checks[k].name));
    json_object_set_new(j, "checks", a);
    json_object_set_new(j, "limits", limits_json(&s->limits));
    json_object_set_new(j, "sql_origin", json_string(s->sql_origin));
    json_object_set_new(j, "sql_line", json_integer(s->sql_line));
    return j;
}

static int print_json(const struct df_pipeline *p)
{
    json_t *j = json_object(), *steps = json_array();
    char *text;

    json_object_set_new(j, "pipeline", json_string(p->name));
    if (p->description)
        json_object_set_new(j, "description", json_string(p->description));
    json_object_set_new(j, "spec_hash", json_string(p->spec_hash));
    json_object_set(j, "params", p->params);
    json_object_set_new(j, "defaults", limits_json(&p->defaults));
    for (size_t o = 0; o < p->n_steps; o++)
        json_array_append_new(steps, step_json(p, p->order[o]));
    json_object_set_new(j, "steps", steps);
    text = df_json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text)
        return -1;
    printf("%s\n", text);
    free(text);
    return 0;
}

int cmd_plan(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_param_override *ov = NULL;
    struct df_pipeline *p = NULL;
    const char *format = "text";
    size_t n_ov = 0;
    int c, rc = 0;

    while ((c = cli_getopt("plan", argc, argv, cli_opts_plan, 0)) != -1) {
        switch (c) {
        case 'p':
            if ((rc = cli_add_param("plan", optarg, &ov, &n_ov)) != 0)
                goto done;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            usage(stdout);
            goto done;
        default:
            rc = 2;
            goto done;
        }
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        rc = cli_usage_error("plan", "unknown format '%s' (text or json)", format);
        goto done;
    }
    if ((rc = cli_load_pipeline("plan", argc, argv, optind, ov, n_ov, 0, &p)) != 0)
        goto done;
    if (!strcmp(format, "json")) {
        if (print_json(p) < 0) {
            df_error_set(&err, DF_EFAIL, "cannot encode the plan as json");
            rc = cli_fail(&err);
        }
    } else {
        print_text(p);
    }
done:
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
