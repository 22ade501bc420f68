/*
 * scratch.h - the room a task may use in its scratch folder when the folder's file system
 * does not tell it: an Argo pod's emptyDir reports the node's disk through statvfs, while
 * the kubelet evicts the pod past the emptyDir's sizeLimit. The size comes from the step's
 * `scratch: SIZE` and from $DUCKFLOW_SCRATCH_SIZE (bytes; the manifests set it), the
 * smaller winning. Inputs staged from an object store take their room first (checked
 * before each download); DuckDB's spill gets what they leave (task.c sets
 * max_temp_directory_size again once the inputs are in).
 */
#ifndef DF_ENGINE_SCRATCH_H
#define DF_ENGINE_SCRATCH_H

#include <stdint.h>

#include "util/error.h"

/* The task's scratch size in bytes: the step's `scratch` (0 when unset) or
 * $DUCKFLOW_SCRATCH_SIZE, the smaller of those set; 0 when neither is. */
uint64_t df_scratch_size(uint64_t step_scratch);

/*
 * Accounts `bytes` more of staged input (`what` names them in the message) against a
 * scratch of `size` bytes of which *staged are taken: adds them, or, when they do not fit,
 * fails before anything is written (DF_EFAIL; the task's class is spill_full: staged inputs
 * and spill share the room the kubelet would evict the pod past). size 0: no cap.
 */
int df_scratch_stage(uint64_t size, uint64_t *staged, uint64_t bytes, const char *what,
                     struct df_error *err);

/*
 * free_bytes (statvfs of the folder, or -1 when unknown) capped by the scratch size less
 * what the folder dir already holds (staged inputs), never below 0. step_scratch is the
 * step's `scratch` in bytes, 0 when unset; without either size free_bytes is returned.
 */
int64_t df_scratch_cap(int64_t free_bytes, uint64_t step_scratch, const char *dir);

#endif
