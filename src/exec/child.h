/*
 * child.h - one child process with its output captured, started the way git's
 * run-command.c does it: argv built before vfork, only system calls between vfork and
 * exec (with signals blocked), an exec failure reported over a close-on-exec pipe,
 * waitpid retried on EINTR, and the exit status and the killing signal reported apart.
 *
 * The child leads its own process group (so a signal to -pid reaches everything it
 * started), reads /dev/null, and writes stdout and stderr into one pipe that the parent
 * drains with child_read() and keeps (bounded: the head and the tail of long output).
 *
 * Lifecycle:
 *   1. child_start(argv) (or child_start_env(argv, envp)) vforks and execs argv[0];
 *   2. child_read() whenever poll() says child_fd() is readable;
 *   3. child_reap() (non-blocking) until it reports the end; it drains the pipe;
 *   4. child_free().
 */
#ifndef DF_EXEC_CHILD_H
#define DF_EXEC_CHILD_H

#include <sys/types.h>

#include "util/error.h"
#include "util/strbuf.h"

struct child {
    pid_t pid;
    int fd;             /* read end of the output pipe, -1 once closed */
    struct strbuf out;  /* captured output (head) */
    struct strbuf tail; /* the latest output once head is full */
    size_t dropped;     /* bytes between head and tail that were not kept */
    int exited;         /* 1: exit_code valid; 0 with signal > 0: killed */
    int exit_code;
    int signal;
};

/* Starts argv[0] with argv (NULL-terminated). Returns a new child, or NULL with err when
 * the program could not be started (fork, pipe or exec failure). */
struct child *child_start(char *const argv[], struct df_error *err);
/* child_start with the environment envp (NULL-terminated "NAME=value" strings, built
 * before the call; the caller keeps ownership) instead of this process's; envp NULL
 * inherits this process's environment. */
struct child *child_start_env(char *const argv[], char *const envp[], struct df_error *err);
/* Reads what the child has written so far without blocking. */
void child_read(struct child *c);
/* Non-blocking: 1 when the child has ended (exited/exit_code/signal set), else 0. */
int child_reap(struct child *c);
/* Sends sig to the child's process group (and to the child itself). */
void child_kill(struct child *c, int sig);
/* The captured output: head, a "[... N bytes not kept ...]" line, tail. free() it. */
char *child_output(const struct child *c);
/* Frees c (which must have been reaped); NULL is a no-op. */
void child_free(struct child *c);

#endif
