/*
 * label.h - what a person calls a task's item: `orders[apac]` rather than `orders[2]`.
 * A short scalar item is its own label (range: the number, values: the value), a files
 * item is its file's base name (or its partition's values), a struct item (rows) its
 * fields' values joined by ','. Anything longer or nested falls back to the index, and
 * so does every item of a step whose labels would not be unique. Used by progress,
 * summary, report, `_run.tasks.item_label` and `duckflow step --item LABEL`.
 */
#ifndef DF_DAG_LABEL_H
#define DF_DAG_LABEL_H

#include <jansson.h>
#include <stddef.h>

#define DF_LABEL_MAX 48 /* longest label, bytes, before falling back to the index */

/* The label of one item (NULL or JSON null: an unfanned task, label ""), or its index in
 * decimal when the item has no short label. out holds at least DF_LABEL_MAX + 1 bytes. */
void df_item_label(const json_t *item, size_t index, char *out, size_t n);

/* Labels for every item of a step's item array, unique within it: when two items share
 * a label, every label of the step is its index. Returns a malloc'd array of n malloc'd
 * strings (free with df_item_labels_free). n = json_array_size(items). */
char **df_item_labels(const json_t *items, size_t *n);
void df_item_labels_free(char **labels, size_t n);

/* The index of the item named by arg: a decimal number below n is an index; anything
 * else must equal exactly one item's label. Returns the index, -1 when nothing matches,
 * -2 when the label names several items. */
long df_item_find(const json_t *items, const char *arg);

struct df_foreach;
/* "foreach files 'generate.orders'", "foreach rows 'SELECT DISTINCT ...'", "foreach values
 * 'regions'", "foreach range 0": a fan-out as a person wrote it, for messages. malloc'd. */
char *df_foreach_describe(const struct df_foreach *f);

#endif
