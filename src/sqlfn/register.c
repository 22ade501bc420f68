/*
 * register.c - registers the SQL-analysis functions (placeholder until sqlfn lands: it
 * registers nothing).
 */
#include "sqlfn/sqlfn.h"

int df_sqlfn_register(duckdb_connection con, struct df_error *err)
{
    (void)con;
    (void)err;
    return 0;
}
