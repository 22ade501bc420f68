/*
 * select.h - which steps a partial run runs: `--select` and `--exclude` with dbt's
 * step-selection grammar (docs/run.md "Partial runs").
 *
 * A value holds tokens separated by spaces (and the options may be given several times);
 * each token is
 *     s      the step s
 *     s+     s and every step downstream of it
 *     +s     s and every step upstream of it
 *     +s+    both
 * The selection is the union of the --select tokens (every step when there are none),
 * minus the union of the --exclude tokens.
 */
#ifndef DF_DAG_SELECT_H
#define DF_DAG_SELECT_H

#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * Fills out[0..n_steps-1] with 1 for the selected steps, 0 for the others.
 * Errors (DF_EUSAGE): a token that is not [+]name[+] ("--select: cannot parse '++a'"), an
 * unknown step, with the closest name suggested ("--select: no step 'mrege' in pipeline
 * 'p' (did you mean 'merge'?)"), a selection that is empty.
 */
int df_select_steps(const struct df_pipeline *p, const char *const *select, size_t n_select,
                    const char *const *exclude, size_t n_exclude, unsigned char *out,
                    struct df_error *err);

/* The step name closest to name (edit distance), or NULL when the pipeline has none. */
const char *df_select_closest(const struct df_pipeline *p, const char *name);

#endif
