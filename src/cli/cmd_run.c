/*
 * cmd_run.c - `duckflow run` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow run: not built yet\n");
    return 2;
}
