/*
 * jsonfmt.h - numbers and JSON as a person reads them back: doubles in the shortest form
 * that round-trips (0.3, not 0.29999999999999999, which jansson's %.17g prints), and a
 * json_dumps() replacement that writes reals that way. Everything user-facing (plan,
 * items, check rows, report, runs) goes through here.
 */
#ifndef DF_JSONFMT_H
#define DF_JSONFMT_H

#include <jansson.h>
#include <stddef.h>

/* Writes d in the shortest %g form that strtod() reads back as d ("0.3", "1e+100",
 * "0.1", "-0", "inf", "nan"). When force_point is set, an integral value gets ".0"
 * (JSON readers then still see a real). Returns out. */
char *df_format_double(double d, int force_point, char *out, size_t n);

/* Like json_dumps(v, flags) (JSON_INDENT(n), JSON_COMPACT, JSON_SORT_KEYS and
 * JSON_ENCODE_ANY are honoured; jansson keeps insertion order) but every real is written
 * by df_format_double. Returns a malloc'd string, or NULL when v cannot be encoded. */
char *df_json_dumps(const json_t *v, size_t flags);

#endif
