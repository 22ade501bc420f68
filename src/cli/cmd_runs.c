/*
 * cmd_runs.c - `duckflow runs` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_runs(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow runs: not built yet\n");
    return 2;
}
