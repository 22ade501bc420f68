/*
 * cmd_validate.c - `duckflow validate` (placeholder until its module lands).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "duckflow validate: not built yet\n");
    return 2;
}
