/*
 * child.c - starting, draining, signalling and reaping one child process (see child.h).
 */
#include "exec/child.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/banned.h"

/* Kept output per child: the first HEAD_MAX bytes and the last TAIL_MAX bytes. */
#define HEAD_MAX ((size_t)256 << 10)
#define TAIL_MAX ((size_t)64 << 10)

/* Between vfork and exec only system calls on this stack: no malloc, no stdio, no
 * writes to the parent's memory (the child shares it until it execs or exits). Every
 * signal is blocked on entry (see child_start_env); the handlers this process installs
 * go back to the default before the mask is cleared, so none of them can run here. */
static void in_child(char *const argv[], char *const envp[], int devnull, int out_w, int err_w,
                     pid_t parent)
{
    int e;
    struct sigaction sa;

    setpgid(0, 0);
    /* If the executor dies without reaping us, do not run on as an orphan. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    /* Every disposition back to the default, whatever this process (or a library in it:
     * the S3 client ignores SIGPIPE) installed: exec keeps ignored signals ignored. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &sa, NULL);
    {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    if (dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
        goto fail;
    if (envp)
        execve(argv[0], argv, envp);
    else
        execv(argv[0], argv);
fail:
    e = errno;
    while (write(err_w, &e, sizeof(e)) < 0 && errno == EINTR)
        ;
    _exit(127);
}

/* vfork with every signal blocked (restored in the parent once the child has exec'd or
 * exited); a helper of its own so that no caller's variable lives across vfork. */
static pid_t spawn(char *const argv[], char *const envp[], int devnull, int out_w, int err_w,
                   pid_t parent)
{
    sigset_t all, old_mask;
    pid_t pid;
    int e;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_mask);
    pid = vfork();
    if (pid == 0)
        in_child(argv, envp, devnull, out_w, err_w, parent);
    e = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    errno = e;
    return pid;
}

struct child *child_start(char *const argv[], struct df_error *err)
{
    return child_start_env(argv, NULL, err);
}

struct child *child_start_env(char *const argv[], char *const envp[], struct df_error *err)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, devnull = -1, e = 0;
    pid_t parent = getpid(), pid;
    struct child *c = NULL;
    ssize_t n;

    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        df_error_errno(err, "cannot start '%s'", argv[0]);
        goto fail;
    }
    /* vfork, not fork: the parent (which has libduckdb and its dependencies mapped)
     * copies no page tables and the child touches no copy-on-write pages before it
     * execs, which made fork about a millisecond of CPU per task. The parent is
     * suspended until the child execs or exits. */
    pid = spawn(argv, envp, devnull, outp[1], errp[1], parent);
    if (pid < 0) {
        df_error_errno(err, "cannot start '%s': vfork", argv[0]);
        goto fail;
    }
    /* Also from the parent, so a signal to the group cannot miss a child that has not
     * run its own setpgid yet (EACCES once it has exec'd: then it did it itself). */
    setpgid(pid, pid);
    close(errp[1]);
    errp[1] = -1;
    close(outp[1]);
    outp[1] = -1;
    do
        n = read(errp[0], &e, sizeof(e));
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(e)) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        errno = e;
        df_error_errno(err, "cannot run '%s'", argv[0]);
        goto fail;
    }
    c = xcalloc(1, sizeof(*c));
    c->pid = pid;
    c->fd = outp[0];
    outp[0] = -1;
    sb_init(&c->out);
    sb_init(&c->tail);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
fail:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    if (devnull >= 0)
        close(devnull);
    return c;
}

static void keep(struct child *c, const char *p, size_t n)
{
    if (c->out.len < HEAD_MAX) {
        size_t k = HEAD_MAX - c->out.len < n ? HEAD_MAX - c->out.len : n;
        sb_add(&c->out, p, k);
        p += k;
        n -= k;
    }
    if (!n)
        return;
    sb_add(&c->tail, p, n);
    if (c->tail.len > TAIL_MAX) {
        size_t cut = c->tail.len - TAIL_MAX;
        memmove(c->tail.buf, c->tail.buf + cut, TAIL_MAX);
        c->tail.len = TAIL_MAX;
        c->tail.buf[TAIL_MAX] = '\0';
        c->dropped += cut;
    }
}

void child_read(struct child *c)
{
    char buf[8192];

    while (c->fd >= 0) {
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n > 0) {
            keep(c, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        /* End of file, or an error we cannot do anything about. */
        close(c->fd);
        c->fd = -1;
    }
}

int child_reap(struct child *c)
{
    int st;
    pid_t r;

    if (c->pid <= 0)
        return 1;
    do
        r = waitpid(c->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    if (r < 0) {
        /* Already reaped elsewhere (ECHILD): nothing more to learn. */
        c->exited = 1;
        c->exit_code = 127;
    } else if (WIFEXITED(st)) {
        c->exited = 1;
        c->exit_code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
        c->signal = WTERMSIG(st);
    } else {
        return 0; /* stopped or continued: still alive */
    }
    c->pid = -c->pid; /* remembered for messages, never signalled again */
    /* What the child wrote before it ended is in the pipe; a grandchild that inherited
     * the pipe could keep it open, so read without blocking and stop there. */
    child_read(c);
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    return 1;
}

void child_kill(struct child *c, int sig)
{
    if (c->pid <= 0)
        return;
    if (kill(-c->pid, sig) != 0)
        kill(c->pid, sig);
}

char *child_output(const struct child *c)
{
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, c->out.buf, c->out.len);
    if (c->dropped) {
        if (sb.len && sb.buf[sb.len - 1] != '\n')
            sb_addc(&sb, '\n');
        sb_addf(&sb, "[... %zu bytes not kept ...]\n", c->dropped);
    }
    sb_add(&sb, c->tail.buf, c->tail.len);
    return sb_detach(&sb);
}

void child_free(struct child *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    sb_release(&c->out);
    sb_release(&c->tail);
    free(c);
}
