/*
 * cmd_gc.c - `duckflow gc` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_gc(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow gc: not built yet\n");
    return 2;
}
