/*
 * cmd_argo.h - the commands the pods of an Argo manifest run besides `duckflow step`
 * (cmd_argo_items.c, cmd_argo_finish.c); `duckflow argo` (cmd_argo.c) dispatches to them.
 */
#ifndef DF_CMD_ARGO_H
#define DF_CMD_ARGO_H

#include <stdio.h>

#include "cli/cli.h"

/* duckflow argo items PIPELINE --run RUN --step S --store URI [--param K=V]..
 * Prints the withParam list of a dynamic step's item indices. */
int cmd_argo_items(int argc, char **argv);

/* duckflow argo finish PIPELINE --run RUN --status STATUS --store URI [--created-at TIME]
 * [--param K=V]..  Writes the run's run.json. */
int cmd_argo_finish(int argc, char **argv);

/* The usage text of all three `duckflow argo` commands. */
void cmd_argo_usage(FILE *f);

#include "spec/spec.h"
#include "store/store.h"

/* What a pod's `duckflow argo items|finish` was given, parsed, loaded and opened. */
struct argo_pod {
    const char *run, *step, *status, *created_at;
    struct df_param_override *ov;
    size_t n_ov;
    struct df_pipeline *p;
    struct df_store *store;
};

/* Parses the pod commands' options (cmd names the command for errors), loads the
 * pipeline and opens the store. Returns 0, or the exit code to return (after printing
 * the error; -1 when --help printed the usage). argo_pod_release() either way. */
enum { ARGO_POD_STEP = 1, ARGO_POD_STATUS = 2 }; /* options argo_pod_open() requires */
extern const struct cli_opt cli_opts_argo_pod[];
int argo_pod_open(const char *cmd, int argc, char **argv, int need, struct argo_pod *a);
void argo_pod_release(struct argo_pod *a);

#endif
