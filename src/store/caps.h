/*
 * caps.h - the one size cap per kind of record read from a store, for every reader of
 * that kind (a record one reader accepts must not be refused by another: `runs` listing
 * a run that `--resume` cannot read was such a case). A record over its cap is an error
 * naming it, never read in part.
 */
#ifndef DF_CAPS_H
#define DF_CAPS_H

#include <stddef.h>

#define DF_CAP_MANIFEST    ((size_t)256 << 20) /* _manifest.json: lists every file of a task */
#define DF_CAP_RUN_JSON    ((size_t)64 << 20)  /* run.json: a record per task of the run */
#define DF_CAP_ITEMS       ((size_t)256 << 20) /* _items.json: a dynamic step's items */
#define DF_CAP_ERROR_JSON  ((size_t)1 << 20)   /* _error.json: why an attempt failed */
#define DF_CAP_CACHE_ENTRY ((size_t)64 << 20)  /* cache/<key>.json: names a manifest */
#define DF_CAP_VIEWS_SQL   ((size_t)256 << 20) /* views.sql: a view per table of a run */

#endif
