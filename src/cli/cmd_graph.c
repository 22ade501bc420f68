/*
 * cmd_graph.c - `duckflow graph` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_graph(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow graph: not built yet\n");
    return 2;
}
