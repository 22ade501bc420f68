/*
 * cachefs.h - the folders of `duckflow query`'s local cache of a remote store's files,
 * walked one part at a time with O_NOFOLLOW (issue 12, point 3): nothing outside the
 * cache root is created or read through a symlink planted inside it.
 */
#ifndef DF_QUERY_CACHEFS_H
#define DF_QUERY_CACHEFS_H

#include "util/error.h"

/* Creates the folders that hold the file rel (parts separated by '/', the last one the
 * file's name) below root, without following a symlink below root: a symlink or a file
 * where a folder belongs is an error naming it (DF_EIO). root is created when missing. */
int df_cachefs_mkdirs(const char *root, const char *rel, struct df_error *err);

/* 1 when rel below root is a regular file reached through real folders only (no symlink
 * on the way, nor the file itself), else 0. */
int df_cachefs_plain_file(const char *root, const char *rel);

#endif
