/*
 * keycheck.h - the one check every store key or relative path read from outside the
 * program goes through (a manifest, an items file, a cache entry, the command line)
 * before it is joined onto a store root or a cache folder: relative, no "." or ".." part,
 * no empty part, no backslash, no control character (so no NUL either). Nothing that
 * passes can name a file outside the folder it is joined onto (symlinks aside: local
 * walks do not follow them, see store_local.c).
 */
#ifndef DF_KEYCHECK_H
#define DF_KEYCHECK_H

#include <jansson.h>

#include "util/error.h"

/* 0 when key is a safe relative key ("a/b/c"); else -1 with DF_EIO naming what (e.g.
 * "manifest 'x': file path") and the key. */
int df_key_check(const char *key, const char *what, struct df_error *err);
/* The same for one part of a key (no '/' at all): a run id, a step, an item key. */
int df_key_check_part(const char *part, const char *what, struct df_error *err);
/* The same for a JSON string (refuses non-strings and strings holding a NUL). */
int df_key_check_json(json_t *v, int part, const char *what, struct df_error *err);

/* Checks every key and path of a task manifest that is joined onto a store or cache
 * folder (pipeline, run, step, item_key, attempt_dir, tables.*.files[].path; the inputs'
 * keys are a record of what was read, outside files among them, and are not joined);
 * where names the manifest. */
int df_manifest_check_paths(json_t *m, const char *where, struct df_error *err);

#endif
