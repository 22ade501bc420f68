/*
 * tasklog.c - the task log: everything `duckflow step` prints while a task runs
 * (duckflow's own lines, DuckDB's messages, the failing check's rows, ...) is kept and
 * stored as <attempt>/_log.txt, for failed and succeeded attempts alike (issue 13).
 *
 * stdout and stderr are redirected into a pipe; a thread copies what arrives to the
 * original stderr (so `duckflow run` and a terminal see the same text as before; on
 * Argo, or with DUCKFLOW_LOG_STDOUT=1, to the original stdout: the pod's log) and keeps
 * the last TASKLOG_MAX bytes. tasklog_finish() restores the descriptors, waits for the
 * thread and writes the kept text to the store with one put.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dag/plan.h"
#include "store/layout.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define TASKLOG_MAX ((size_t)1 << 20)

struct tasklog {
    int active;
    int saved_out, saved_err, tee_fd;
    int pipe_r;
    pthread_t reader;
    char *ring; /* the last TASKLOG_MAX bytes: ring[start..] then ring[..start) when full */
    size_t len, start;
    unsigned long long total;
};

static struct tasklog tl = {0, -1, -1, -1, -1, 0, NULL, 0, 0, 0};

static void keep(const char *buf, size_t n)
{
    tl.total += n;
    while (n) {
        size_t at = (tl.start + tl.len) % TASKLOG_MAX, room;
        if (tl.len < TASKLOG_MAX) {
            room = TASKLOG_MAX - at < n ? TASKLOG_MAX - at : n;
            if (TASKLOG_MAX - tl.len < room)
                room = TASKLOG_MAX - tl.len;
            memcpy(tl.ring + at, buf, room);
            tl.len += room;
        } else {
            /* full: overwrite the oldest bytes */
            room = TASKLOG_MAX - tl.start < n ? TASKLOG_MAX - tl.start : n;
            memcpy(tl.ring + tl.start, buf, room);
            tl.start = (tl.start + room) % TASKLOG_MAX;
        }
        buf += room;
        n -= room;
    }
}

static void *read_loop(void *arg)
{
    char buf[65536];
    (void)arg;
    for (;;) {
        ssize_t n = read(tl.pipe_r, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(tl.tee_fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break; /* the reader of our output is gone: keep logging anyway */
            off += w;
        }
        keep(buf, (size_t)n);
    }
    return NULL;
}

void tasklog_start(void)
{
    int p[2];
    const char *to_stdout = getenv("DUCKFLOW_LOG_STDOUT");
    int use_stdout = (to_stdout && !strcmp(to_stdout, "1")) ||
                     (getenv("ARGO_NODE_ID") && !(to_stdout && !strcmp(to_stdout, "0")));

    if (tl.active || pipe2(p, O_CLOEXEC) != 0)
        return;
    fflush(stdout);
    fflush(stderr);
    tl.saved_out = fcntl(1, F_DUPFD_CLOEXEC, 3);
    tl.saved_err = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (tl.saved_out < 0 || tl.saved_err < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0) {
        if (tl.saved_out >= 0) {
            dup2(tl.saved_out, 1);
            close(tl.saved_out);
        }
        if (tl.saved_err >= 0) {
            dup2(tl.saved_err, 2);
            close(tl.saved_err);
        }
        close(p[0]);
        close(p[1]);
        return;
    }
    close(p[1]);
    tl.pipe_r = p[0];
    tl.tee_fd = use_stdout ? tl.saved_out : tl.saved_err;
    tl.ring = xmalloc(TASKLOG_MAX);
    tl.len = tl.start = 0;
    tl.total = 0;
    if (pthread_create(&tl.reader, NULL, read_loop, NULL) != 0) {
        dup2(tl.saved_out, 1);
        dup2(tl.saved_err, 2);
        close(tl.saved_out);
        close(tl.saved_err);
        close(tl.pipe_r);
        free(tl.ring);
        tl.ring = NULL;
        return;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tl.active = 1;
}

int tasklog_finish(struct df_store *store, const char *pipeline, const char *run, const char *step,
                   size_t item_index, const char *attempt_dir)
{
    struct strbuf text = STRBUF_INIT;
    struct df_error err = DF_ERROR_INIT;
    char item[DF_ITEM_KEY_MAX];
    char *task, *key;
    int rc = 0;

    if (!tl.active)
        return 0;
    tl.active = 0;
    fflush(stdout);
    fflush(stderr);
    /* Our copies of the write end go; a grandchild holding one would keep the reader
     * waiting, and tasks start none. */
    dup2(tl.saved_out, 1);
    dup2(tl.saved_err, 2);
    /* The reader copies what is still in the pipe to saved_*: close them only after. */
    pthread_join(tl.reader, NULL);
    close(tl.saved_out);
    close(tl.saved_err);
    close(tl.pipe_r);
    if (!attempt_dir || !*attempt_dir) {
        free(tl.ring);
        tl.ring = NULL;
        return 0; /* no attempt folder was made: nothing to attach the log to */
    }
    if (tl.total > tl.len)
        sb_addf(&text, "[... %llu earlier bytes not kept: the log keeps the last %zu ...]\n",
                tl.total - tl.len, TASKLOG_MAX);
    if (tl.len < TASKLOG_MAX) {
        sb_add(&text, tl.ring, tl.len);
    } else {
        sb_add(&text, tl.ring + tl.start, TASKLOG_MAX - tl.start);
        sb_add(&text, tl.ring, tl.start);
    }
    free(tl.ring);
    tl.ring = NULL;
    df_item_key(item_index, item);
    task = df_key_task(pipeline, run, step, item);
    key = xasprintf("%s/%s/_log.txt", task, attempt_dir);
    if (df_store_put_bytes(store, key, text.buf ? text.buf : "", text.len, &err) != 0) {
        fprintf(stderr, "duckflow: warning: cannot store the task log: %s\n", err.msg);
        rc = -1;
    }
    free(key);
    free(task);
    sb_release(&text);
    return rc;
}
