/*
 * common.c - helpers the command files share (see cli.h).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/sqlcheck.h"
#include "store/layout.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/suggest.h"

const char *cli_self_exe(void)
{
    static char path[PATH_MAX];
    if (!path[0]) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
        if (n <= 0)
            return "duckflow";
        path[n] = '\0';
    }
    return path;
}

int cli_fail(const struct df_error *err)
{
    int status = df_code_status(err->code);
    fprintf(stderr, "duckflow: %s\n", err->msg[0] ? err->msg : "unknown error");
    cli_debug_origin(err);
    return status ? status : 1;
}

void cli_debug_origin(const struct df_error *err)
{
    const char *dbg = getenv("DUCKFLOW_DEBUG");
    char where[512];

    if (dbg && *dbg && strcmp(dbg, "0") != 0 && df_error_origin(err, where, sizeof(where))[0])
        fprintf(stderr, "duckflow: (the error arose at %s)\n", where);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "duckflow %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'duckflow %s --help')\n", cmd);
    return 2;
}

const char *cli_store_uri(const char *opt)
{
    const char *env = getenv("DUCKFLOW_STORE");
    if (opt && *opt)
        return opt;
    if (env && *env)
        return env;
    return "./.duckflow";
}

const char *cli_store_default_hint(const char *uri)
{
    const char *env = getenv("DUCKFLOW_STORE");
    size_t n = strlen(uri);
    if ((env && *env) || n < 10 || strcmp(uri + n - 10, "/.duckflow") != 0)
        return "";
    return " (the default store is ./.duckflow in the current folder, not next to the "
           "pipeline file; --store or DUCKFLOW_STORE names another)";
}

int cli_run_open(struct cli_run *r, const char *store_opt, const char *pipeline, const char *run,
                 int flags, struct df_error *err)
{
    if (!r->store && df_store_open(cli_store_uri(store_opt), &r->store, err) != 0)
        return -1;
    free(r->pipeline); /* called again: another run in the same store */
    free(r->run);
    r->pipeline = r->run = NULL;
    if (df_run_resolve(r->store, pipeline, run, &r->pipeline, &r->run, err) != 0) {
        size_t n = strlen(err->msg);
        if (err->code == DF_ENOTFOUND && strstr(err->msg, "no runs"))
            snprintf(err->msg + n, sizeof(err->msg) - n, "%s",
                     cli_store_default_hint(r->store->uri));
        if ((flags & CLI_RUN_ARGUMENT) && err->code == DF_ENOTFOUND)
            df_error_recode(err, DF_EUSAGE);
        return -1;
    }
    return 0;
}

void cli_run_release(struct cli_run *r)
{
    free(r->pipeline);
    free(r->run);
    df_store_free(r->store);
    r->pipeline = r->run = NULL;
    r->store = NULL;
}

int cli_stderr_tty(void)
{
    return isatty(2);
}

int cli_load_pipeline(const char *cmd, int argc, char **argv, int optind,
                      const struct df_param_override *ov, size_t n_ov, int names_only,
                      struct df_pipeline **p)
{
    struct df_error err = DF_ERROR_INIT;

    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one pipeline file");
    if (df_pipeline_load(argv[optind], ov, n_ov, p, &err) < 0 ||
        df_pipeline_check_sql(*p, names_only, &err) < 0) {
        df_pipeline_free(*p);
        *p = NULL;
        return cli_fail(&err);
    }
    return 0;
}

int cli_load_step(const char *cmd, int argc, char **argv, int optind, const char *run,
                  const char *step, const struct df_param_override *ov, size_t n_ov,
                  struct df_pipeline **p, int *step_index)
{
    struct df_error err = DF_ERROR_INIT;

    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one pipeline file");
    if (!run || !step)
        return cli_usage_error(cmd, "--run and --step are required");
    if (!df_valid_run_id(run))
        return cli_usage_error(cmd, "'%s' is not a valid run id", run);
    if (df_pipeline_load(argv[optind], ov, n_ov, p, &err) < 0)
        return cli_fail(&err);
    *step_index = df_pipeline_step_index(*p, step);
    if (*step_index < 0)
        return cli_no_step(cmd, *p, step);
    return 0;
}

int cli_refuse_removed_run(struct df_store *store, const char *pipeline, const char *run)
{
    struct df_error err = DF_ERROR_INIT;
    int removed = 0;

    if (df_run_removed(store, pipeline, run, &removed, &err) != 0) {
        df_error_prefix(&err, "run '%s'", run);
        return cli_fail(&err);
    }
    if (!removed)
        return 0;
    df_error_set(&err, DF_EUSAGE,
                 "run '%s' of '%s' was removed from store '%s' (runs rm or gc): its tasks "
                 "cannot run and its items cannot be planned",
                 run, pipeline, store->uri);
    return cli_fail(&err);
}

int cli_no_step(const char *cmd, const struct df_pipeline *p, const char *step)
{
    const char **names = xcalloc(p->n_steps + 1, sizeof(*names));
    const char *hint;
    int rc;

    for (size_t i = 0; i < p->n_steps; i++)
        names[i] = p->steps[i].name;
    hint = df_suggest(step, names, p->n_steps);
    if (hint)
        rc = cli_usage_error(cmd, "pipeline '%s' has no step '%s'; did you mean '%s'?", p->name,
                             step, hint);
    else
        rc = cli_usage_error(cmd, "pipeline '%s' has no step '%s'", p->name, step);
    free(names);
    return rc;
}

const char *cli_default_pipeline(void)
{
    return access("pipeline.yaml", R_OK) == 0 ? "pipeline.yaml" : NULL;
}

int cli_add_param(const char *cmd, const char *arg, struct df_param_override **ov, size_t *n)
{
    struct df_error err = DF_ERROR_INIT;

    *ov = xrealloc(*ov, (*n + 1) * sizeof(**ov));
    if (df_param_override_parse(arg, &(*ov)[*n], &err) < 0)
        return cli_usage_error(cmd, "%s", err.msg);
    (*n)++;
    return 0;
}
