/*
 * cmd_report.c - `duckflow report` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow report: not built yet\n");
    return 2;
}
