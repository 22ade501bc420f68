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
#include "util/strbuf.h"

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
/* spec_argo.c: the `argo:` sections and `scratch`. */
int spec_load_argo(struct loader *L, const struct yt_node *x);
int spec_load_step_argo(struct loader *L, struct df_step *s, const struct yt_node *x);
int spec_load_scratch(struct loader *L, const struct yt_node *v, struct df_limits *lim);

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

/* spec_read.c: typed getters; each fails (spec_fail) at the node's location. */
int spec_parse_int_text(const char *s, int64_t *out);
int spec_parse_real_text(const char *s, double *out);
int spec_want_map(struct loader *L, const struct yt_node *n, const char *what);
int spec_want_string(struct loader *L, const struct yt_node *n, const char *what, const char **out);
int spec_want_int(struct loader *L, const struct yt_node *n, const char *what, int64_t min,
                  int64_t max, int64_t *out);
/* 1 when s is in the NULL-terminated list; the list as "a, b, c" into sb. */
int spec_in_list(const char *s, const char *const *list);
void spec_join_list(struct strbuf *sb, const char *const *list);
/* Fails on a key of map that is not in allowed, naming the allowed ones. */
int spec_check_fields(struct loader *L, const struct yt_node *map, const char *where,
                      const char *const *allowed);
/* A string or a list of strings (names when idents) into *out; locations into *locs. */
int spec_want_string_list(struct loader *L, const struct yt_node *n, const char *what, int idents,
                          char ***out, size_t *n_out, struct df_loc **locs);
/* A valid, non-reserved name for what ("step", "input", ...). */
int spec_check_name(struct loader *L, const struct yt_node *k, const char *what);

/* spec_steps.c: the fields of resource limits, one limit, and every step. */
extern const char *const spec_limit_fields[];
int spec_load_limit(struct loader *L, const struct yt_node *k, const struct yt_node *v,
                    struct df_limits *lim);
int spec_load_steps(struct loader *L, const struct yt_node *n);

/* Applies --param overrides to p->params (type-checked against the defaults). */
int spec_apply_overrides(struct loader *L, const struct df_param_override *o, size_t n);

/* Resolves references between steps, fills deps, checks for cycles and fills p->order. */
int spec_resolve(struct loader *L);

#endif
