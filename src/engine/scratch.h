/*
 * scratch.h - the room a task may use in its scratch folder when the folder's file system
 * does not tell it: an Argo pod's emptyDir reports the node's disk through statvfs, while
 * the kubelet evicts the pod past the emptyDir's sizeLimit. The size comes from the step's
 * `scratch: SIZE` and from $DUCKFLOW_SCRATCH_SIZE (bytes; the manifests set it), the
 * smaller winning.
 */
#ifndef DF_ENGINE_SCRATCH_H
#define DF_ENGINE_SCRATCH_H

#include <stdint.h>

/*
 * free_bytes (statvfs of the folder, or -1 when unknown) capped by the scratch size less
 * what the folder dir already holds (staged inputs), never below 0. step_scratch is the
 * step's `scratch` in bytes, 0 when unset; without either size free_bytes is returned.
 */
int64_t df_scratch_cap(int64_t free_bytes, uint64_t step_scratch, const char *dir);

#endif
