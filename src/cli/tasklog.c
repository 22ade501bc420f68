/*
 * tasklog.c - the task log: everything `duckflow step` prints while a task runs
 * (duckflow's own lines, DuckDB's messages, the failing check's rows, ...) is kept and
 * stored as <attempt>/_log.txt, for failed and succeeded attempts alike (issue 13).
 *
 * stdout and stderr are redirected into a pipe; a thread copies what arrives to the
 * original stderr (so `duckflow run` and a terminal see the same text as before; on
 * Argo, or with DUCKFLOW_LOG_STDOUT=1, to the original stdout: the pod's log) and keeps
 * the last TASKLOG_MAX bytes. Once the task has chosen its attempt folder
 * (tasklog_attach(), called through df_task_opts.on_attempt), the thread also writes the
 * text so far to <attempt>/_log.live, at most once a second and only when something new
 * arrived, so `duckflow logs --follow` can stream an attempt that is running.
 * tasklog_finish() restores the descriptors, waits for the thread, writes the kept text as
 * <attempt>/_log.txt with one put, then removes _log.live: a follower that sees _log.txt
 * knows the attempt ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dag/plan.h"
#include "store/layout.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define TASKLOG_MAX ((size_t)1 << 20)
#define LIVE_MS     1000 /* the live log is rewritten at most this often */

struct tasklog {
    int active;
    int saved_out, saved_err, tee_fd;
    int pipe_r;
    pthread_t reader;
    char *ring; /* the last TASKLOG_MAX bytes: ring[start..] then ring[..start) when full */
    size_t len, start;
    unsigned long long total;
    /* the live log: set by tasklog_attach (main thread), used by the reader thread */
    pthread_mutex_t lock;
    struct df_store *store;
    char *live_key;
    int live_written, live_failed;
    unsigned long long live_total; /* total when last written */
    long long live_ms;             /* when last written (CLOCK_MONOTONIC) */
};

static struct tasklog tl = {0,    -1,   -1, -1, -1, 0, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER,
                            NULL, NULL, 0,  0,  0,  0};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The kept text as stored: a note when the start was dropped, then the last bytes. */
static void log_text(struct strbuf *text)
{
    if (tl.total > tl.len)
        sb_addf(text, "[... %llu earlier bytes not kept: the log keeps the last %zu ...]\n",
                tl.total - tl.len, TASKLOG_MAX);
    if (tl.len < TASKLOG_MAX) {
        sb_add(text, tl.ring, tl.len);
    } else {
        sb_add(text, tl.ring + tl.start, TASKLOG_MAX - tl.start);
        sb_add(text, tl.ring, tl.start);
    }
}

/* In the reader thread: rewrites <attempt>/_log.live when new text arrived and LIVE_MS
 * passed since the last write (always, with force). A store that refuses it stops the
 * live log, said once on the original stderr (our own stderr is the pipe being read). */
static void flush_live(int force)
{
    struct strbuf text = STRBUF_INIT;
    struct df_error err = DF_ERROR_INIT;
    long long now = mono_ms();

    pthread_mutex_lock(&tl.lock);
    if (!tl.live_key || tl.live_failed || tl.total == tl.live_total ||
        (!force && now - tl.live_ms < LIVE_MS)) {
        pthread_mutex_unlock(&tl.lock);
        return;
    }
    log_text(&text);
    if (df_store_put_bytes(tl.store, tl.live_key, text.buf ? text.buf : "", text.len, &err) != 0) {
        dprintf(tl.saved_err, "duckflow: warning: cannot write the live task log: %s\n", err.msg);
        tl.live_failed = 1;
    } else {
        tl.live_written = 1;
    }
    tl.live_total = tl.total;
    tl.live_ms = now;
    pthread_mutex_unlock(&tl.lock);
    sb_release(&text);
}

void tasklog_attach(struct df_store *store, const char *attempt_key)
{
    pthread_mutex_lock(&tl.lock);
    if (tl.active && !tl.live_key) {
        tl.store = store;
        tl.live_key = xasprintf("%s/_log.live", attempt_key);
        tl.live_ms = mono_ms() - LIVE_MS; /* the first new text is written at once */
    }
    pthread_mutex_unlock(&tl.lock);
}

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
        struct pollfd pf = {tl.pipe_r, POLLIN, 0};
        int pr = poll(&pf, 1, LIVE_MS);
        ssize_t n;
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0) {
            flush_live(0);
            continue;
        }
        n = read(tl.pipe_r, buf, sizeof(buf));
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
        pthread_mutex_lock(&tl.lock);
        keep(buf, (size_t)n);
        pthread_mutex_unlock(&tl.lock);
        flush_live(0);
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
        free(tl.live_key);
        tl.live_key = NULL;
        return 0; /* no attempt folder was made: nothing to attach the log to */
    }
    log_text(&text);
    free(tl.ring);
    tl.ring = NULL;
    df_item_key(item_index, item);
    task = df_key_task(pipeline, run, step, item);
    key = xasprintf("%s/%s/_log.txt", task, attempt_dir);
    if (df_store_put_bytes(store, key, text.buf ? text.buf : "", text.len, &err) != 0) {
        fprintf(stderr, "duckflow: warning: cannot store the task log: %s\n", err.msg);
        rc = -1;
    } else if (tl.live_written && df_store_remove(store, tl.live_key, &err) != 0) {
        df_error_clear(&err); /* a stale _log.live beside _log.txt is harmless */
    }
    free(key);
    free(task);
    sb_release(&text);
    free(tl.live_key);
    tl.live_key = NULL;
    tl.live_written = 0;
    return rc;
}
