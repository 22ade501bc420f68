/*
 * yamlemit.h - writes a JSON value (jansson) as block-style YAML, deterministically, for
 * the Argo manifests `duckflow argo` prints.
 *
 * The output is plain YAML 1.2 that YAML 1.1 readers (Kubernetes' go-yaml, PyYAML) read
 * back as the same JSON value:
 *   - object keys keep their insertion order; objects and arrays nest in block style,
 *     empty ones are written `{}` and `[]`;
 *   - a string is written plain only when it cannot be read as anything else
 *     ([A-Za-z_/][A-Za-z0-9_./-]* and not a YAML 1.1 boolean or null word); multi-line
 *     text becomes a literal block scalar (`|`, `|-` or `|+` to keep its final line
 *     breaks exactly); everything else is double-quoted with escapes;
 *   - numbers are written in the shortest form that reads back as the same value.
 * Strings must be valid UTF-8; invalid bytes are an error, since YAML cannot carry them.
 */
#ifndef DF_ARGO_YAMLEMIT_H
#define DF_ARGO_YAMLEMIT_H

#include <jansson.h>

#include "util/error.h"
#include "util/strbuf.h"

/*
 * Appends the YAML text of value (a whole document, ending in a newline) to out.
 * Returns 0, or -1 with DF_EUSAGE when a string is not valid UTF-8 (out then holds a
 * partial document the caller should discard).
 */
int df_yaml_emit(const json_t *value, struct strbuf *out, struct df_error *err);

/* Appends s as one YAML flow scalar (plain when safe, else double-quoted): what
 * df_yaml_emit() writes for a short one-line string. 0, or -1 on invalid UTF-8. */
int df_yaml_scalar(const char *s, size_t len, struct strbuf *out, struct df_error *err);

#endif
