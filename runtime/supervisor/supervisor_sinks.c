/*
 * supervisor_sinks.c - where a run's events go: the --events specs (or
 * $CELLOS_EVENTS, split at spaces) sorted into at most one local sink
 * (FILE, -, fd:N) and the remote ones (NATS JetStream, CloudEvents over
 * HTTP), the spool they go through, and the sender (cellsend, beside
 * cellrun) that drains it. cellrun itself never talks to a remote sink: it
 * appends every line to the spool, starts the sender after the stream is
 * opened, optionally waits for the sender to confirm delivery before the
 * workload starts (--require-delivered: fail closed), and after the run
 * waits a bounded time for the spool to drain (docs/events.md, "Sinks").
 */
#include "supervisor.h"
#include "supervisor_sinks.h"
#include "runtime/spool/sink_spec.h"
#include "runtime/spool/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int env_ms(const char *name, int dflt, int *out, struct cell_error *e)
{
    const char *v = getenv(name);
    *out = dflt;
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < 0 || x > 3600000)
        return cell_err(e, 0, "events: %s=\"%s\" is not a time in milliseconds (0..3600000)", name, v);
    *out = (int)x;
    return 0;
}

static int add_spec(struct sup_sinks *k, const char *spec, struct cell_error *e)
{
    if (sink_spec_is_remote(spec)) {
        if (k->n_remote == SPOOL_MAX_SINKS)
            return cell_err(e, 0, "events: at most %d remote sinks", SPOOL_MAX_SINKS);
        struct sink_spec ss;
        if (sink_spec_parse(spec, &ss, e) < 0)
            return -1;
        explicit_bzero(&ss, sizeof ss);
        k->remote[k->n_remote++] = spec;
        return 0;
    }
    /* SCHEME://... with a scheme we do not know is a typo (htps://), not a
     * file to create under a directory named "htps:"; file: forces a path */
    size_t sl = strspn(spec, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    if (sl > 0 && strncmp(spec + sl, "://", 3) == 0)
        return cell_err(e, 0,
                        "events: \"%.200s\": unknown sink scheme \"%.*s\" (remote sinks are nats://, tls://, "
                        "http://, https://; write file:PATH for a file whose path holds ://)",
                        spec, (int)(sl > 32 ? 32 : sl), spec);
    if (strncmp(spec, "file:", 5) == 0)
        spec += 5;
    if (!*spec)
        return cell_err(e, 0, "events: an empty sink");
    if (k->local)
        return cell_err(e, 0, "events: two local sinks (\"%s\" and \"%s\"): give one file, - or fd:N",
                        k->local, spec);
    k->local = spec;
    return 0;
}

/* The sender's path: $CELLOS_SENDER, else cellsend in cellrun's directory. */
static int find_sender(struct sup_sinks *k, struct cell_error *e)
{
    const char *env = getenv("CELLOS_SENDER");
    if (env && *env) {
        snprintf(k->sender_path, sizeof k->sender_path, "%s", env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return cell_err_sys(e, errno, "events: cannot find cellrun's own path to start cellsend");
        self[n] = 0;
        char *slash = strrchr(self, '/');
        *slash = 0;
        if ((size_t)snprintf(k->sender_path, sizeof k->sender_path, "%s/cellsend", self) >=
            sizeof k->sender_path)
            return cell_err(e, ENAMETOOLONG, "events: cellsend path too long");
    }
    if (access(k->sender_path, X_OK) < 0)
        return cell_err_sys(
            e, errno, "events: remote sinks need the sender %s (installed beside cellrun, or $CELLOS_SENDER)",
            k->sender_path);
    return 0;
}

int sup_sinks_plan(struct sup_sinks *k, const struct sup_options *o, bool plan_requires, struct cell_error *e)
{
    memset(k, 0, sizeof *k);
    k->spool_fd = -1;
    k->ready_fd = -1;
    k->wake_fd = -1;
    k->sender = -1;
    k->require = o->require_delivered || plan_requires;
    if (o->n_events) {
        for (size_t i = 0; i < o->n_events; i++)
            if (add_spec(k, o->events[i], e) < 0)
                return -1;
    } else {
        const char *env = getenv("CELLOS_EVENTS");
        if (env && *env) {
            if (strlen(env) >= sizeof k->env_copy)
                return cell_err(e, 0, "events: $CELLOS_EVENTS is too long");
            snprintf(k->env_copy, sizeof k->env_copy, "%s", env);
            char *save = NULL;
            for (char *t = strtok_r(k->env_copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                if (add_spec(k, t, e) < 0)
                    return -1;
        }
    }
    if (k->require && !k->n_remote)
        return cell_err(e, 0, "events: %s without a remote sink (nats://, https://, ...)",
                        plan_requires ? "the plan requires delivery (events { require delivered; })"
                                      : "--require-delivered");
    if (!k->n_remote)
        return 0;
    if (env_ms("CELLOS_SINK_WAIT_MS", 10000, &k->wait_ms, e) < 0 ||
        env_ms("CELLOS_SINK_READY_MS", 10000, &k->ready_ms, e) < 0)
        return -1;
    if (spool_open_dir(o->spool, k->spool, sizeof k->spool, e) < 0)
        return -1;
    return find_sender(k, e);
}

int sup_sinks_open_spool(struct sup_sinks *k, const char *run_uuid, struct cell_error *e)
{
    if (!k->n_remote)
        return 0;
    snprintf(k->run, sizeof k->run, "%s", run_uuid);
    k->spool_fd = spool_create_run(k->spool, k->run, k->remote, k->n_remote, e);
    if (k->spool_fd < 0)
        return -1;
    char path[SPOOL_PATH_MAX];
    spool_path(path, sizeof path, k->spool, k->run, ".jsonl");
    snprintf(k->spool_name, sizeof k->spool_name, "the spool %s", path);
    return 0;
}

int sup_sinks_start_sender(struct sup_sinks *k, struct cell_error *e)
{
    if (!k->n_remote || k->sender > 0 || k->spool_fd < 0)
        return 0;
    int rp[2] = { -1, -1 }, wp[2] = { -1, -1 };
    if ((k->require && pipe2(rp, O_CLOEXEC) < 0) || pipe2(wp, O_CLOEXEC) < 0) {
        int err = errno;
        if (rp[0] >= 0) {
            close(rp[0]);
            close(rp[1]);
        }
        return cell_err_sys(e, err, "events: pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        if (rp[0] >= 0) {
            close(rp[0]);
            close(rp[1]);
        }
        close(wp[0]);
        close(wp[1]);
        return cell_err_sys(e, err, "events: starting cellsend");
    }
    if (pid == 0) {
        /* the sender: no descriptor of cellrun's but stdio and the ready
         * pipe; default signals, SIGINT ignored (a terminal's ^C is for
         * the cell; cellrun stops the sender with SIGTERM) */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        /* fd 3: the wake pipe (EOF: cellrun is done); fd 4: the ready
         * pipe. First out of the way (either may be 3 or 4 already, and
         * dup2 onto itself would keep O_CLOEXEC), then into place. */
        int w = fcntl(wp[0], F_DUPFD_CLOEXEC, 10), r = rp[1] >= 0 ? fcntl(rp[1], F_DUPFD_CLOEXEC, 10) : -1;
        if (w < 0 || (rp[1] >= 0 && r < 0) || dup2(w, 3) < 0 || (r >= 0 && dup2(r, 4) < 0))
            _exit(127);
        /* stdio must be open, or the sender's own descriptors land there */
        for (int fd = 0; fd < 3; fd++)
            if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
                _exit(127);
        syscall(SYS_close_range, k->require ? 5u : 4u, ~0u, 0u);
        char *argv[] = { k->sender_path,
                         "follow",
                         k->spool,
                         k->run,
                         "--wake-fd",
                         "3",
                         k->require ? "--ready-fd" : NULL,
                         "4",
                         NULL };
        execv(k->sender_path, argv);
        _exit(127);
    }
    k->sender = pid;
    if (rp[1] >= 0)
        close(rp[1]);
    close(wp[0]);
    k->ready_fd = rp[0];
    k->wake_fd = wp[1];
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sup_sinks_wait_ready(struct sup_sinks *k, struct cell_error *e)
{
    if (!k->require || k->ready_fd < 0)
        return 0;
    char buf[700];
    size_t n = 0;
    int64_t deadline = mono_ms() + k->ready_ms;
    while (n < sizeof buf - 1) {
        int64_t left = deadline - mono_ms();
        struct pollfd pf = { .fd = k->ready_fd, .events = POLLIN };
        int r = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(k->ready_fd);
            k->ready_fd = -1;
            return cell_err(
                e, ETIMEDOUT,
                "events: --require-delivered: the sinks did not acknowledge the started event within %d ms",
                k->ready_ms);
        }
        ssize_t got = read(k->ready_fd, buf + n, sizeof buf - 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
        if (memchr(buf, '\n', n))
            break;
    }
    buf[n] = 0;
    close(k->ready_fd);
    k->ready_fd = -1;
    buf[strcspn(buf, "\n")] = 0;
    if (strcmp(buf, "ok") == 0)
        return 0;
    return cell_err(e, 0, "events: --require-delivered: a sink is not reachable, refusing to run: %s",
                    strncmp(buf, "error: ", 7) == 0 ? buf + 7 : "the sender stopped");
}

void sup_sinks_finish(struct sup_sinks *k, void (*say)(const char *msg))
{
    if (k->spool_fd >= 0 && k->sender <= 0) {
        struct cell_error e = { 0 };
        if (sup_sinks_start_sender(k, &e) < 0)
            say(e.msg);
    }
    if (k->ready_fd >= 0)
        close(k->ready_fd);
    k->ready_fd = -1;
    if (k->spool_fd >= 0)
        close(k->spool_fd); /* releases the writer's lock: the sender drains and exits */
    k->spool_fd = -1;
    if (k->wake_fd >= 0)
        close(k->wake_fd); /* tells it so at once */
    k->wake_fd = -1;
    if (k->sender <= 0)
        return;
    int status = 0;
    bool done = false;
    int64_t deadline = mono_ms() + k->wait_ms;
    int pfd = (int)syscall(SYS_pidfd_open, k->sender, 0);
    for (;;) {
        pid_t w = waitpid(k->sender, &status, WNOHANG);
        if (w == k->sender) {
            done = true;
            break;
        }
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            break;
        if (pfd >= 0) {
            struct pollfd pf = { .fd = pfd, .events = POLLIN };
            poll(&pf, 1, (int)left);
        } else {
            struct timespec ts = { 0, 5000000 };
            nanosleep(&ts, NULL);
        }
    }
    if (!done) {
        /* it stops between rounds; one round may be a request in flight:
         * give it a second, then SIGKILL (progress is on disk) */
        kill(k->sender, SIGTERM);
        struct pollfd pf = { .fd = pfd, .events = POLLIN };
        if (pfd < 0 || poll(&pf, 1, 1000) != 1)
            kill(k->sender, SIGKILL);
        waitpid(k->sender, &status, 0);
    }
    if (pfd >= 0)
        close(pfd);
    k->sender = -1;
    if (done && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    char msg[2 * SPOOL_PATH_MAX + 300];
    snprintf(msg, sizeof msg,
             "events: not every event reached the remote sinks %s; they stay in the spool %s "
             "(deliver them with `cellrun flush %s`)",
             done ? "(see cellsend's message above)" : "in time", k->spool, k->spool);
    say(msg);
}

/* `cellrun flush` exits as `cellsend flush` does (docs/events.md, *The spool*):
 * 0 all delivered, 1 something left, 2 bad usage or an unreadable spool; a
 * cellsend that cannot be found or run is 2 as well. */
enum {
    FLUSH_EXIT_USAGE = 2
};

int cellrun_cmd_flush(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: cellrun flush SPOOLDIR [--give-up-ms N]\n");
        return FLUSH_EXIT_USAGE;
    }
    if (argc > 2 && (argc > 4 || strcmp(argv[2], "--give-up-ms") != 0 || argc == 3)) {
        /* one line naming what is wrong, not cellsend's own usage */
        if (argc == 3 && !strcmp(argv[2], "--give-up-ms"))
            fprintf(stderr, "cellrun flush: --give-up-ms needs an argument (N milliseconds)\n");
        else
            fprintf(stderr,
                    "cellrun flush: unexpected \"%s\" (usage: cellrun flush SPOOLDIR [--give-up-ms N])\n",
                    argv[strcmp(argv[2], "--give-up-ms") ? 2 : 4]);
        return FLUSH_EXIT_USAGE;
    }
    struct sup_sinks k;
    memset(&k, 0, sizeof k);
    struct cell_error e = { 0 };
    if (find_sender(&k, &e) < 0) {
        fprintf(stderr, "cellrun: %s\n", e.msg);
        return FLUSH_EXIT_USAGE;
    }
    char *args[6] = { k.sender_path, "flush", argv[1], argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL,
                      NULL };
    execv(k.sender_path, args);
    fprintf(stderr, "cellrun: cannot run %s: %s\n", k.sender_path, strerror(errno));
    return FLUSH_EXIT_USAGE;
}
