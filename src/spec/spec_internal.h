/*
 * spec_internal.h - what the files of src/spec share: the loader state and its error and
 * value helpers. Not part of the public contract (spec.h is).
 */
#ifndef DF_SPEC_INTERNAL_H
#define DF_SPEC_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "spec/spec.h"
#include "spec/yamltree.h"
#include "util/error.h"

struct loader {
    const char *file; /* the pipeline path as given, for messages */
    struct df_error *err;
    struct df_pipeline *p;
    const char *text; /* the pipeline file's text */
    size_t text_len;
    struct df_loc params_loc; /* where `params:` is (1:1 when absent) */
    const struct yt_node *params_node;
};

/* Sets DF_EUSAGE "FILE:LINE:COL: message" and returns -1. */
int spec_fail(struct loader *L, struct df_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 for a plain null scalar ("", "~", "null") or a missing node. */
int spec_is_null(const struct yt_node *n);
/* "a mapping", "a list", "a string", ... for messages. */
const char *spec_node_kind(const struct yt_node *n);
/* The node as JSON: plain scalars typed (null, booleans, integers, numbers), other
 * scalars strings, lists arrays, mappings objects. New reference. */
json_t *spec_node_json(const struct yt_node *n);

/* [A-Za-z_][A-Za-z0-9_]*, at most 63 characters. */
int spec_valid_ident(const char *s);
/* [a-z0-9_-]+, at most 63 characters. */
int spec_valid_pipeline_name(const char *s);

/* Applies --param overrides to p->params (type-checked against the defaults). */
int spec_apply_overrides(struct loader *L, const struct df_param_override *o, size_t n);

/* Resolves references between steps, fills deps, checks for cycles and fills p->order. */
int spec_resolve(struct loader *L);

#endif
