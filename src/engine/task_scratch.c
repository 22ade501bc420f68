/*
 * task_scratch.c - a task's scratch folder: who owns it (<scratch>/.owner), sweeping the
 * folders of tasks that died without removing theirs, and the sampler that measures how
 * much DuckDB spilled into it, and the spill budget left once inputs are staged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <inttypes.h>

#include "engine/sizing.h"
#include "engine/task_internal.h"
#include "util/fs.h"
#include "util/banned.h"

#define SPILL_SAMPLE_US 50000

/* ---- spill monitor --------------------------------------------------------------------- */

static uint64_t dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    uint64_t total = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char *path;
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        path = fs_join(dir, e->d_name);
        if (lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                total += dir_bytes(path);
            else if (S_ISREG(st.st_mode))
                total += (uint64_t)st.st_blocks * 512u;
        }
        free(path);
    }
    closedir(d);
    return total;
}

/* Samples the spill folder's size: DuckDB deletes spill files when a query ends, so the
 * peak is only visible while it runs. A sampled peak is a lower bound. */
void *task_spill_monitor(void *arg)
{
    struct task *t = arg;
    pthread_mutex_lock(&t->mon_lock);
    while (!t->mon_stop) {
        struct timespec until;
        uint64_t n;
        pthread_mutex_unlock(&t->mon_lock);
        n = dir_bytes(t->spill_dir);
        if (n > atomic_load(&t->spill_peak))
            atomic_store(&t->spill_peak, n);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SPILL_SAMPLE_US * 1000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&t->mon_lock);
        if (!t->mon_stop)
            pthread_cond_timedwait(&t->mon_wake, &t->mon_lock, &until);
    }
    pthread_mutex_unlock(&t->mon_lock);
    return NULL;
}

void task_stop_monitor(struct task *t)
{
    pthread_mutex_lock(&t->mon_lock);
    t->mon_stop = 1;
    pthread_cond_signal(&t->mon_wake);
    pthread_mutex_unlock(&t->mon_lock);
    pthread_join(t->mon, NULL);
    t->mon_started = 0;
}

/* ---- scratch folders ------------------------------------------------------------------- */

/* A task killed with SIGKILL (the kernel's OOM killer, a timeout past its grace) cannot
 * remove its scratch folder, and that folder may hold gigabytes of spill files. Each task
 * therefore writes who owns its folder (boot id, pid namespace, pid and the process's
 * start time) into <scratch>/.owner, and removes the folders under the same base whose
 * owner, on this boot and in this pid namespace, no longer runs. Folders of other
 * machines, boots or namespaces sharing the base are left alone. */
#define OWNER_FILE ".owner"

/* Start time of process pid in clock ticks since boot (/proc/<pid>/stat field 22), or 0. */
static unsigned long long proc_start_time(long pid)
{
    char path[64], *text = NULL, *p;
    size_t len = 0;
    struct df_error e = DF_ERROR_INIT;
    unsigned long long v = 0;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (fs_read_file(path, 8192, &text, &len, &e) != 0)
        return 0;
    p = strrchr(text, ')'); /* the command name may hold spaces and parentheses */
    if (p) {
        /* After ")" come field 3 (state) onwards; start time is field 22. */
        int field = 2;
        for (char *q = p + 1; *q && field < 22; q++)
            if (*q == ' ' && q[1] && q[1] != ' ' && ++field == 22)
                v = strtoull(q + 1, NULL, 10);
    }
    free(text);
    return v;
}

/* "<boot id> <pid namespace> " of this process into out (empty when unknown). */
static void owner_scope(char *out, size_t n)
{
    char *boot = NULL, ns[128];
    size_t len = 0;
    struct df_error e = DF_ERROR_INIT;
    ssize_t k;

    out[0] = '\0';
    if (fs_read_file("/proc/sys/kernel/random/boot_id", 128, &boot, &len, &e) != 0)
        return;
    boot[strcspn(boot, "\n")] = '\0';
    k = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    if (k > 0) {
        ns[k] = '\0';
        snprintf(out, n, "%s %s ", boot, ns);
    }
    free(boot);
}

void task_write_owner(const char *scratch)
{
    char scope[256], text[384];
    char *path, *tmp;
    long pid = (long)getpid();
    int fd, n;

    owner_scope(scope, sizeof(scope));
    if (!scope[0])
        return;
    n = snprintf(text, sizeof(text), "%s%ld %llu\n", scope, pid, proc_start_time(pid));
    path = fs_join(scratch, OWNER_FILE);
    tmp = fs_join(scratch, OWNER_FILE ".tmp");
    /* Not fsynced: the file only matters while this boot lasts (a reboot changes the boot
     * id, and the sweep then leaves the folder alone), so a crash cannot make it lie. The
     * rename still keeps a sweeping task from reading it half written. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        int ok = n > 0 && write(fd, text, (size_t)n) == (ssize_t)n;
        if (close(fd) == 0 && ok)
            rename(tmp, path);
        else
            unlink(tmp);
    }
    free(tmp);
    free(path);
}

/* 0 only when process pid is known to be gone or to be another process now (pid reuse):
 * when in doubt (a /proc that hides other users' processes), it runs. */
static int owner_runs(long pid, unsigned long long start)
{
    char path[64];
    unsigned long long now;

    snprintf(path, sizeof(path), "/proc/%ld", pid);
    if (access(path, F_OK) != 0)
        return errno != ENOENT;
    now = proc_start_time(pid);
    return now == 0 || now == start;
}

void task_sweep_stale_scratch(const char *base)
{
    char scope[256];
    DIR *d;
    struct dirent *ent;

    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    owner_scope(scope, sizeof(scope));
    if (!scope[0] || !(d = opendir(base)))
        return;
    while ((ent = readdir(d)) != NULL) {
        char *dir, *path, *text = NULL;
        size_t len = 0, sl = strlen(scope);
        struct df_error e = DF_ERROR_INIT;
        long pid;
        unsigned long long start;

        if (strncmp(ent->d_name, "duckflow-task-", 14) != 0)
            continue;
        dir = fs_join(base, ent->d_name);
        path = fs_join(dir, OWNER_FILE);
        if (fs_read_file(path, 1024, &text, &len, &e) == 0 && len > sl &&
            !strncmp(text, scope, sl) && sscanf(text + sl, "%ld %llu", &pid, &start) == 2 &&
            pid > 0 && pid != (long)getpid() && !owner_runs(pid, start))
            fs_remove_tree(dir, &e);
        free(text);
        free(path);
        free(dir);
    }
    closedir(d);
}

/* ---- spill budget after staging -------------------------------------------------------- */

int task_scratch_recap(struct task *t, struct df_error *err)
{
    uint64_t left, budget;
    int64_t free_bytes;
    char sql[96];

    if (t->scratch_size == 0 || t->staged_bytes == 0)
        return 0;
    left = t->staged_bytes < t->scratch_size ? t->scratch_size - t->staged_bytes : 0;
    free_bytes = fs_free_bytes(t->scratch);
    if (free_bytes >= 0 && (uint64_t)free_bytes < left)
        left = (uint64_t)free_bytes;
    budget = df_sizing_spill_budget(left);
    if (budget == 0) /* as size_task(): 1 byte, no room to spill (never DuckDB's default) */
        budget = 1;
    if (budget >= t->max_temp)
        return 0;
    t->max_temp = budget;
    snprintf(sql, sizeof(sql), "SET max_temp_directory_size = '%" PRIu64 "B'", budget);
    if (df_duck_exec(&t->duck, sql, err) != 0)
        return set_failure_class(t, DF_CLASS_CRASH);
    return 0;
}
