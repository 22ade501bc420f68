/*
 * explain.c - a better message than DuckDB's "Did you mean pg_catalog..." when the SQL
 * reads a table of a step that has no committed task in the run (the step failed, or was
 * not run): says so, with the first failed task, its class and where its log is.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/query.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* 1 when sql names "step." (any case, not inside a longer identifier). */
static int names_step(const char *sql, const char *step)
{
    size_t n = strlen(step);
    for (const char *p = sql; (p = strcasestr(p, step)) != NULL; p++) {
        int before = p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
        const char *q = p + n;
        while (*q == ' ' || *q == '"')
            q++;
        if (!before && *q == '.')
            return 1;
    }
    return 0;
}

static int committed(const struct df_run_info *r, const char *step)
{
    for (size_t i = 0; i < r->n_steps; i++)
        if (!strcmp(r->steps[i].name, step) && json_array_size(r->steps[i].manifests) > 0)
            return 1;
    return 0;
}

void df_query_explain_missing(const struct df_run_info *r, const char *sql, struct df_error *err)
{
    json_t *steps, *st, *tasks, *t;
    size_t i, k;

    /* r is NULL when several pipelines were attached (no one run to explain from) */
    if (!r || !err->code || !strstr(err->msg, "Catalog Error") || !sql)
        return;
    steps = json_object_get(r->run_json, "steps");
    tasks = json_object_get(r->run_json, "tasks");
    json_array_foreach(steps, i, st)
    {
        const char *name = json_string_value(json_object_get(st, "name"));
        struct strbuf why = STRBUF_INIT;
        if (!name || committed(r, name) || !names_step(sql, name))
            continue;
        json_array_foreach(tasks, k, t)
        {
            const char *ts = json_string_value(json_object_get(t, "step"));
            const char *state = json_string_value(json_object_get(t, "state"));
            const char *cls = json_string_value(json_object_get(t, "exit_class"));
            json_int_t item = json_integer_value(json_object_get(t, "item_index"));
            const char *label = json_string_value(json_object_get(t, "label"));
            char task[160];
            if (!ts || strcmp(ts, name) || !state || !strcmp(state, "done"))
                continue;
            /* The task as the run named it (its item's label), else by index. */
            if (label && *label)
                snprintf(task, sizeof(task), "%s", label);
            else
                snprintf(task, sizeof(task), "%s[%" JSON_INTEGER_FORMAT "]", name, item);
            if (!strcmp(state, "failed"))
                sb_addf(&why, "%s failed: %s; see 'duckflow logs %s %s'", task, cls ? cls : "?",
                        r->run, task);
            else
                sb_addf(&why, "%s %s", task,
                        !strcmp(state, "upstream_failed") ? "not run: a dependency failed" : state);
            break;
        }
        if (!why.len) {
            const char *cls = json_string_value(json_object_get(st, "exit_class"));
            sb_addf(&why, "the step %s",
                    cls ? cls
                    : json_string_value(json_object_get(st, "status"))
                        ? json_string_value(json_object_get(st, "status"))
                        : "did not run");
        }
        df_error_clear(err);
        df_error_set(err, DF_EFAIL, "step '%s' has no committed task in run %s (%s)", name, r->run,
                     why.buf);
        sb_release(&why);
        return;
    }
}
