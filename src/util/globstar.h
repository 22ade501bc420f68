/*
 * globstar.h - file globs with DuckDB's "**": a path segment that is exactly "**" matches
 * any number of folders, none included, as DuckDB's own readers expand it. Used for an
 * external input's files wherever duckflow expands them itself (the task's inputs, a
 * `foreach files` list, the cache key), so that all three name the files DuckDB would
 * read. Other segments are shell wildcards (fnmatch(3)), never crossing a '/'.
 */
#ifndef DF_GLOBSTAR_H
#define DF_GLOBSTAR_H

#include <stddef.h>

/* 1 when pattern has a "**" segment. */
int df_glob_has_globstar(const char *pattern);

/* 1 when path matches pattern segment by segment. hidden_rule: a wildcard does not match a
 * leading '.' of a segment (glob(3)'s rule for local files); 0 for object keys. */
int df_glob_match(const char *pattern, const char *path, int hidden_rule);

/* The local files pattern names, sorted by name: glob(3) when it has no "**" segment
 * (folders included, as before), else a walk from the folder before its first wildcard
 * that keeps the regular files matching it (hidden ones only where the pattern names a
 * leading '.'). *paths: malloc'd array of malloc'd strings (free with
 * df_glob_free), *n its length. 0, or -1 when glob(3) itself failed (not for no match). */
int df_glob_local(const char *pattern, char ***paths, size_t *n);
void df_glob_free(char **paths, size_t n);

#endif
