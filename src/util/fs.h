/*
 * fs.h - small file-system helpers shared by the store, the engine and the executor.
 */
#ifndef DF_FS_H
#define DF_FS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* mkdir -p; 0 or -1 with DF_EIO. */
int fs_mkdirs(const char *path, struct df_error *err);
/* Reads a whole file (at most max bytes; more is an error) into *data (free()), NUL-terminated. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len, struct df_error *err);
/* The same for an open file (read from where it stands; not closed); path names it in
 * messages. */
int fs_read_fd(int fd, const char *path, size_t max, char **data, size_t *len,
               struct df_error *err);
/* Writes all len bytes of data to fd (again after EINTR and short writes): 0, or -1 with
 * errno set. */
int fs_write_all(int fd, const void *data, size_t len);
/* Writes data to path through a temporary file in the same folder, fsync, rename and an
 * fsync of the folder: readers see the old file or the whole new one, never a part, and
 * after a crash the new one if this returned 0. */
int fs_write_atomic(const char *path, const void *data, size_t len, struct df_error *err);
/* fsyncs the folder holding path (after a rename into it, so the new entry survives a
 * crash); 0 or -1 with errno. */
int fs_fsync_dir_of(const char *path);
/* rm -rf; a missing path is not an error. */
int fs_remove_tree(const char *path, struct df_error *err);
/* 1 when path exists, else 0. */
int fs_exists(const char *path);
/* Size of a regular file, or -1. */
int64_t fs_file_size(const char *path);
/* Joins two path parts with one '/'; free() the result. */
char *fs_join(const char *a, const char *b);
/* Creates a fresh private folder under base (or $TMPDIR, /tmp) named prefix-XXXXXX. */
char *fs_mkdtemp(const char *base, const char *prefix, struct df_error *err);
/* Absolute form of path (need not exist); free() the result. */
char *fs_absolute(const char *path);
/* From the open folder dfd (always consumed: closed, or returned), walks down rel's folder
 * parts one at a time with O_NOFOLLOW, so no symlink below dfd is ever followed; with
 * create, missing folders are made (mode). Returns the descriptor of the folder holding
 * rel's last part and sets *base to that part; -1 with errno set (ELOOP or ENOTDIR: a part
 * is a symlink or a file), *fail_len the length of rel's prefix up to the part that failed,
 * and *mkdir_failed 1 when creating it failed. */
int fs_walk_nofollow(int dfd, const char *rel, int create, unsigned mode, const char **base,
                     size_t *fail_len, int *mkdir_failed);
/* Bytes free for unprivileged users on the file system holding path, or -1. */
int64_t fs_free_bytes(const char *path);

#endif
