/*
 * cmd_query.c - `duckflow query` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_query(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow query: not built yet\n");
    return 2;
}
