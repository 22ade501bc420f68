/*
 * cmd_argo.c - `duckflow argo` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_argo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow argo: not built yet\n");
    return 2;
}
