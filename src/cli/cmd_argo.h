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
    const char *bundle; /* --bundle HASH: PIPELINE is a name, its files come from the store */
    int per_pod;        /* --tasks-per-pod N (argo items), 0 when not given */
    char *dir, *path;   /* where the bundle was fetched, and its pipeline file */
    struct df_param_override *ov;
    size_t n_ov;
    struct df_pipeline *p;
    struct df_store *store;
};

/* Parses the pod commands' options (cmd names the command for errors), loads the
 * pipeline and opens the store. Returns 0, or the exit code to return (after printing
 * the error; -1 when --help printed the usage). argo_pod_release() either way. */
/* Options argo_pod_open() requires; ARGO_POD_BUNDLE: --bundle names the bundle to write
 * and PIPELINE is a local file (`argo bundle`); ARGO_POD_NORUN: no --run needed. */
enum { ARGO_POD_STEP = 1, ARGO_POD_STATUS = 2, ARGO_POD_BUNDLE = 4, ARGO_POD_NORUN = 8 };
extern const struct cli_opt cli_opts_argo_pod[];
int argo_pod_open(const char *cmd, int argc, char **argv, int need, struct argo_pod *a);
void argo_pod_release(struct argo_pod *a);

/* Fetches bundle hash of pipeline from store into a new folder under $TMPDIR (*dir; the
 * caller removes it and free()s both); *path is the pipeline file in it. */
int argo_bundle_fetch(struct df_store *store, const char *pipeline, const char *hash, char **dir,
                      char **path, struct df_error *err);

/* duckflow argo bundle PIPELINE --bundle HASH --store URI: writes the bundle (first pod). */
int cmd_argo_bundle(int argc, char **argv);
/* duckflow argo step PIPELINE-NAME --bundle HASH [step options]: `duckflow step` on the
 * pipeline of the bundle. */
int cmd_argo_step(int argc, char **argv);

#endif
