/*
 * jsonarr.h - jansson arrays handled in place, for every layer: sorting the elements of
 * an array with a qsort(3) comparator (engine/items.c's file lists, query/failchecks.c's
 * check rows).
 */
#ifndef DF_JSONARR_H
#define DF_JSONARR_H

#include <jansson.h>

/* Sorts arr's elements in place with qsort(3): cmp receives two `json_t *const *` (as
 * qsort passes pointers to the elements). Every element keeps its one reference. */
void df_json_array_sort(json_t *arr, int (*cmp)(const void *, const void *));

#endif
