/*
 * viewtime.h - how much of writing an output that is a view was computing the view.
 *
 * An output that is a view is computed while COPY writes it (streaming, never held
 * whole), so the wall time of that COPY is mostly the view's query, not Parquet. To
 * count that computation under a task's `sql` time rather than `write`, the COPY of a
 * view runs with DuckDB's profiler on, and the COPY's wall time is split by the share
 * of operator time spent below the COPY operator (the view's query) against the COPY
 * operator itself (encoding, compressing, writing).
 *
 * Use: when df_viewtime_is_view(), df_viewtime_begin() before the COPY (1 when the
 * profiler is on), the COPY, then df_viewtime_end(con, wall_ms), which turns the profiler
 * off and returns the part of wall_ms that computed the view (0..wall_ms). Checking a
 * view's values before the COPY (engine/types.h, HUGEINT columns) computes the view too:
 * the caller counts that whole.
 */
#ifndef DF_VIEWTIME_H
#define DF_VIEWTIME_H

#include <duckdb.h>
#include <stdint.h>

/* 1 when name is a view (not a table) in con's catalog. */
int df_viewtime_is_view(duckdb_connection con, const char *name);
/* Turns DuckDB's profiler on (no output); 1 when it is on. */
int df_viewtime_begin(duckdb_connection con);
/* The computing part of wall_ms for the last query; turns profiling off again. */
int64_t df_viewtime_end(duckdb_connection con, int64_t wall_ms);

#endif
