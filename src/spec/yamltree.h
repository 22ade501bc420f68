/*
 * yamltree.h - a YAML document as a small tree of nodes that remember where they were
 * written (internal to src/spec). Built from libyaml's event API.
 *
 * Hostile input is bounded: the caller caps the text size, nesting deeper than
 * YT_MAX_DEPTH is an error, duplicate mapping keys are an error, and aliases are
 * resolved by sharing the anchored node (never copied) while the nodes they would add
 * if expanded are counted: more than YT_MAX_ALIAS_NODES is an error, so a "billion
 * laughs" file fails fast and any walk over the tree stays bounded. Merge keys ("<<")
 * are not interpreted.
 */
#ifndef DF_YAMLTREE_H
#define DF_YAMLTREE_H

#include <stddef.h>

#include "spec/loc.h"
#include "util/error.h"

#define YT_MAX_DEPTH       64
#define YT_MAX_ALIAS_NODES 100000
#define YT_MAX_ANCHORS     1000

enum yt_kind {
    YT_SCALAR,
    YT_SEQ,
    YT_MAP,
};

struct yt_node {
    enum yt_kind kind;
    struct df_loc loc; /* where the node starts (1-based) */
    /* YT_SCALAR */
    char *value; /* NUL-terminated; may hold NULs of its own (see len) */
    size_t len;
    int plain; /* 1 for a plain (unquoted, untagged) scalar: its type follows its text */
    int block; /* 1 for a literal (|) or folded (>) block scalar */
    /* YT_SEQ: items[i]; YT_MAP: items[2i] is a key, items[2i+1] its value */
    struct yt_node **items;
    size_t n_items;
    size_t alloc;
    size_t weight;             /* nodes in this subtree with aliases expanded (capped) */
    struct yt_node *next_node; /* every node of a document, for freeing */
};

struct yt_doc {
    struct yt_node *root; /* NULL for an empty document */
    struct yt_node *nodes;
};

/*
 * Parses text (len bytes) as one YAML document. On error returns -1 with DF_EUSAGE and
 * "FILE:LINE:COL: message" where FILE is file. The tree is freed with yt_doc_release().
 */
int yt_parse(const char *file, const char *text, size_t len, struct yt_doc *doc,
             struct df_error *err);
void yt_doc_release(struct yt_doc *doc);

/* Pairs in a mapping. */
static inline size_t yt_map_size(const struct yt_node *n)
{
    return n->n_items / 2;
}

/* The value under scalar key `key` of a mapping, or NULL. */
struct yt_node *yt_map_get(const struct yt_node *map, const char *key);

#endif
