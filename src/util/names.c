/*
 * names.c - the rules for pipeline, step, table, param names and run ids (see names.h).
 */
#include "util/names.h"

#include <string.h>

#include "util/banned.h"

int df_valid_pipeline_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static int ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

int df_valid_ident(const char *name)
{
    if (!name || !ident_start(*name))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!ident_start(*p) && !(*p >= '0' && *p <= '9'))
            return 0;
    return 1;
}

int df_valid_run_id(const char *run)
{
    if (!run || !*run || !strcmp(run, ".") || !strcmp(run, ".."))
        return 0;
    for (const char *p = run; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}
