/*
 * yamltree.c - builds a located node tree from libyaml events (see yamltree.h).
 *
 * Containers are pushed on an explicit stack (bounded by YT_MAX_DEPTH) and attached to
 * their parent when they end, so a container's weight is known when it is attached.
 * Anchors are registered when their node is complete: an alias inside its own anchored
 * node therefore does not resolve, which rules out cyclic trees.
 */
#include "spec/yamltree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/strbuf.h"
#include "util/banned.h"

struct anchor {
    char *name;
    struct yt_node *node;
};

struct builder {
    const char *file;
    struct df_error *err;
    struct yt_doc *doc;
    struct yt_node *stack[YT_MAX_DEPTH];
    char *stack_anchor[YT_MAX_DEPTH];
    int depth;
    struct anchor *anchors;
    size_t n_anchors;
    size_t alias_nodes;
};

static int fail_at(struct builder *b, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(struct builder *b, int line, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return df_error_set(b->err, DF_EUSAGE, "%s:%d:%d: %s", b->file, line, col, msg);
}

static struct yt_node *new_node(struct builder *b, enum yt_kind kind, yaml_mark_t mark)
{
    struct yt_node *n = xcalloc(1, sizeof(*n));

    n->kind = kind;
    n->loc.line = (int)mark.line + 1;
    n->loc.col = (int)mark.column + 1;
    n->weight = 1;
    n->next_node = b->doc->nodes;
    b->doc->nodes = n;
    return n;
}

static void add_item(struct yt_node *parent, struct yt_node *child)
{
    if (parent->n_items == parent->alloc) {
        parent->alloc = parent->alloc ? parent->alloc * 2 : 8;
        parent->items = xrealloc(parent->items, parent->alloc * sizeof(*parent->items));
    }
    parent->items[parent->n_items++] = child;
    /* Saturate: the cap is checked on aliases, this only has to stay above it. */
    parent->weight += child->weight;
    if (parent->weight > (size_t)YT_MAX_ALIAS_NODES * 4)
        parent->weight = (size_t)YT_MAX_ALIAS_NODES * 4;
}

static int attach(struct builder *b, struct yt_node *n)
{
    struct yt_node *parent;

    if (b->depth == 0) {
        b->doc->root = n;
        return 0;
    }
    parent = b->stack[b->depth - 1];
    if (parent->kind == YT_MAP && parent->n_items % 2 == 0 && n->kind != YT_SCALAR)
        return fail_at(b, n->loc.line, n->loc.col, "mapping keys must be plain strings");
    add_item(parent, n);
    return 0;
}

static int add_anchor(struct builder *b, const char *name, struct yt_node *n, yaml_mark_t mark)
{
    if (!name)
        return 0;
    if (b->n_anchors >= YT_MAX_ANCHORS)
        return fail_at(b, (int)mark.line + 1, (int)mark.column + 1, "more than %d yaml anchors",
                       YT_MAX_ANCHORS);
    b->anchors = xrealloc(b->anchors, (b->n_anchors + 1) * sizeof(*b->anchors));
    b->anchors[b->n_anchors].name = xstrdup(name);
    b->anchors[b->n_anchors].node = n;
    b->n_anchors++;
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    const struct yt_node *const *x = a, *const *y = b;
    int c;

    if ((*x)->len != (*y)->len)
        return (*x)->len < (*y)->len ? -1 : 1;
    c = memcmp((*x)->value, (*y)->value, (*x)->len);
    if (c)
        return c;
    /* Equal keys: file order, so the later one is reported. */
    if ((*x)->loc.line != (*y)->loc.line)
        return (*x)->loc.line < (*y)->loc.line ? -1 : 1;
    return (*x)->loc.col < (*y)->loc.col ? -1 : (*x)->loc.col > (*y)->loc.col;
}

/* Sorting the keys finds duplicates in O(n log n) whatever the mapping's size. */
static int check_duplicate_keys(struct builder *b, const struct yt_node *map)
{
    size_t n = yt_map_size(map);
    struct yt_node **keys;
    const struct yt_node *dup = NULL, *first = NULL;

    if (n < 2)
        return 0;
    keys = xmalloc(n * sizeof(*keys));
    for (size_t i = 0; i < n; i++)
        keys[i] = map->items[2 * i];
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < n; i++) {
        if (keys[i]->len != keys[i - 1]->len ||
            memcmp(keys[i]->value, keys[i - 1]->value, keys[i]->len) != 0)
            continue;
        /* Report the duplicate that comes first in the file. */
        if (!dup || keys[i]->loc.line < dup->loc.line ||
            (keys[i]->loc.line == dup->loc.line && keys[i]->loc.col < dup->loc.col)) {
            dup = keys[i];
            first = keys[i - 1];
        }
    }
    free(keys);
    if (!dup)
        return 0;
    return fail_at(b, dup->loc.line, dup->loc.col, "duplicate key '%s' (first at line %d)",
                   dup->value, first->loc.line);
}

static int on_event(struct builder *b, yaml_event_t *ev, int *docs)
{
    struct yt_node *n;
    const char *anchor = NULL;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return fail_at(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                           "a pipeline file holds one yaml document, found a second");
        return 0;
    case YAML_SCALAR_EVENT:
        n = new_node(b, YT_SCALAR, ev->start_mark);
        n->len = ev->data.scalar.length;
        n->value = xstrndup((const char *)ev->data.scalar.value, n->len);
        /* xstrndup stops at a NUL; keep the full length for the NUL check of callers. */
        if (strlen(n->value) != n->len) {
            free(n->value);
            n->value = xmalloc(n->len + 1);
            memcpy(n->value, ev->data.scalar.value, n->len);
            n->value[n->len] = '\0';
        }
        n->plain =
            ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.plain_implicit;
        n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
        if (attach(b, n) < 0)
            return -1;
        return add_anchor(b, (const char *)ev->data.scalar.anchor, n, ev->start_mark);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (b->depth >= YT_MAX_DEPTH)
            return fail_at(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                           "yaml nested deeper than %d levels", YT_MAX_DEPTH);
        if (ev->type == YAML_SEQUENCE_START_EVENT) {
            n = new_node(b, YT_SEQ, ev->start_mark);
            anchor = (const char *)ev->data.sequence_start.anchor;
        } else {
            n = new_node(b, YT_MAP, ev->start_mark);
            anchor = (const char *)ev->data.mapping_start.anchor;
        }
        b->stack[b->depth] = n;
        b->stack_anchor[b->depth] = anchor ? xstrdup(anchor) : NULL;
        b->depth++;
        return 0;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        char *name;
        int rc;
        b->depth--;
        n = b->stack[b->depth];
        name = b->stack_anchor[b->depth];
        b->stack_anchor[b->depth] = NULL;
        rc = n->kind == YT_MAP ? check_duplicate_keys(b, n) : 0;
        if (rc == 0)
            rc = attach(b, n);
        if (rc == 0)
            rc = add_anchor(b, name, n, ev->start_mark);
        free(name);
        return rc;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        struct yt_node *target = NULL;
        int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
        for (size_t i = b->n_anchors; i-- > 0;) {
            if (!strcmp(b->anchors[i].name, name)) {
                target = b->anchors[i].node;
                break;
            }
        }
        if (!target)
            return fail_at(b, line, col, "unknown yaml anchor '%s'", name);
        b->alias_nodes += target->weight;
        if (b->alias_nodes > YT_MAX_ALIAS_NODES)
            return fail_at(b, line, col, "yaml aliases expand to more than %d nodes",
                           YT_MAX_ALIAS_NODES);
        return attach(b, target);
    }
    default:
        return 0;
    }
}

/* libyaml's problem, with the line its context started on and a hint for tabs. */
static int syntax_error(struct builder *b, const yaml_parser_t *parser, const char *text,
                        size_t len)
{
    yaml_mark_t m = parser->problem_mark;
    const char *problem = parser->problem ? parser->problem : "invalid yaml";
    char ctx[160] = "";

    if (m.index < len && text[m.index] == '\t')
        return fail_at(b, (int)m.line + 1, (int)m.column + 1,
                       "yaml syntax error: a tab character; indent with spaces");
    if (parser->context && parser->context_mark.line != m.line)
        snprintf(ctx, sizeof(ctx), " %s started at line %d", parser->context,
                 (int)parser->context_mark.line + 1);
    else if (parser->context)
        snprintf(ctx, sizeof(ctx), " %s", parser->context);
    return fail_at(b, (int)m.line + 1, (int)m.column + 1, "yaml syntax error: %s%s", problem, ctx);
}

int yt_parse(const char *file, const char *text, size_t len, struct yt_doc *doc,
             struct df_error *err)
{
    struct builder b;
    yaml_parser_t parser;
    yaml_event_t ev;
    int docs = 0, rc = 0, done = 0;

    memset(&b, 0, sizeof(b));
    memset(doc, 0, sizeof(*doc));
    b.file = file;
    b.err = err;
    b.doc = doc;
    if (!yaml_parser_initialize(&parser))
        return df_error_set(err, DF_EIO, "cannot initialise the yaml parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(&b, &parser, text, len);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev, &docs);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    for (int i = 0; i < YT_MAX_DEPTH; i++)
        free(b.stack_anchor[i]);
    for (size_t i = 0; i < b.n_anchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (rc < 0) {
        yt_doc_release(doc);
        return -1;
    }
    return 0;
}

void yt_doc_release(struct yt_doc *doc)
{
    struct yt_node *n, *next;

    if (!doc)
        return;
    for (n = doc->nodes; n; n = next) {
        next = n->next_node;
        free(n->value);
        free(n->items);
        free(n);
    }
    doc->nodes = NULL;
    doc->root = NULL;
}

struct yt_node *yt_map_get(const struct yt_node *map, const char *key)
{
    size_t klen = strlen(key);

    if (!map || map->kind != YT_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n_items; i += 2) {
        const struct yt_node *k = map->items[i];
        if (k->len == klen && !memcmp(k->value, key, klen))
            return map->items[i + 1];
    }
    return NULL;
}
