/*
 * cmd_plan.c - `duckflow plan` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow plan: not built yet\n");
    return 2;
}
