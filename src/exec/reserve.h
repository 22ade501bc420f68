/*
 * reserve.h - the space reserve of a run on a local store: a file of zeros in the run's
 * folder (<pipeline>/runs/<run>/.df-tmp.reserve) that holds room for the run's last
 * run.json. When the disk fills while the run goes on, the executor frees the reserve and
 * writes the record of how the run ended, so run.json, `runs` and `report` agree. Object
 * stores (S3, GCS) have no disk to fill: there is no reserve.
 *
 * Its name starts with the local store's temporary prefix: listings skip it (it is never a
 * key, data or anything `verify` or `views` see); `runs rm` and gc drop it with the run.
 */
#ifndef DF_EXEC_RESERVE_H
#define DF_EXEC_RESERVE_H

#include "store/store.h"

/* The reserve's size: 4x the run.json the run has at start (the final record carries
 * attempts and errors the first lacks), at least 256 KiB and at most 16 MiB. */
#define DF_RESERVE_MIN (256u * 1024u)
#define DF_RESERVE_MAX (16u * 1024u * 1024u)

/* Creates (or, for a resume, recreates) the reserve of a run whose run.json exists. Best
 * effort: a reserve that cannot be made whole keeps what fit; nothing fails the run. */
void df_reserve_take(struct df_store *s, const char *pipeline, const char *run);
/* Deletes the reserve. Returns 1 when one was there (space was freed), else 0. */
int df_reserve_release(struct df_store *s, const char *pipeline, const char *run);

#endif
