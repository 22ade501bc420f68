# runid.sh - sourced by tests: argo_run_id NAME UID prints the run id the pods of a
# `duckflow argo` manifest use for a workflow of that name and uid: the name, '-', and the
# first 8 hex digits of sha256(uid) (DF_ARGO_RUN_ID in src/argo/argo_internal.h).
argo_run_id() {
    printf '%s-%s\n' "$1" "$(printf '%s' "$2" | sha256sum | cut -c1-8)"
}
