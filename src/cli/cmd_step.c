/*
 * cmd_step.c - `duckflow step` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_step(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow step: not built yet\n");
    return 2;
}
