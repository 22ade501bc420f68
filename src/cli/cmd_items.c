/*
 * cmd_items.c - `duckflow items` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_items(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow items: not built yet\n");
    return 2;
}
