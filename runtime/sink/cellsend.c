/*
 * cellsend.c - main of `cellsend`, the event sender: drains cellrun's
 * spool (runtime/spool/spool.h) to NATS JetStream and CloudEvents-over-HTTP
 * sinks. cellrun is static and links neither libcurl nor OpenSSL; it
 * starts this program beside it (`cellsend follow`) for every run with a
 * remote sink, and `cellrun flush DIR` execs `cellsend flush DIR`.
 *
 *   cellsend follow DIR RUN [--wake-fd N] [--ready-fd N]
 *                                            deliver RUN while cellrun writes it
 *   cellsend flush DIR [--give-up-ms N]      deliver every finished run in DIR
 *
 * Exit status: 0 everything delivered (and removed from the spool); 1 some
 * of it is still in the spool; 2 bad usage or an unreadable spool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "runtime/lib/error.h"
#include "runtime/spool/spool.h"
#include "sender.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: cellsend follow SPOOLDIR RUN [--ready-fd N]\n"
            "       cellsend flush SPOOLDIR [--give-up-ms N]\n");
    return 2;
}

static int env_ms(const char *name, int dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    return *end || x <= 0 || x > 3600000 ? dflt : (int)x;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *end || end == s || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int cmd_follow(int argc, char **argv, int stop_fd)
{
    if (argc != 3 && argc != 5 && argc != 7)
        return usage();
    char run[SPOOL_RUN_LEN + 1], name[SPOOL_RUN_LEN + 8];
    snprintf(name, sizeof name, "%s.jsonl", argv[2]);
    if (!spool_run_name(name, run))
        return usage();
    struct sender_opts o = { .follow = true,
                             .ready_fd = -1,
                             .wake_fd = -1,
                             .stop_fd = stop_fd,
                             .timeout_ms = env_ms("CELLOS_SINK_TIMEOUT_MS", 5000) };
    for (int i = 3; i + 1 < argc; i += 2) {
        long fd;
        if (parse_int(argv[i + 1], 3, 65535, &fd) < 0)
            return usage();
        if (strcmp(argv[i], "--ready-fd") == 0)
            o.ready_fd = (int)fd;
        else if (strcmp(argv[i], "--wake-fd") == 0)
            o.wake_fd = (int)fd;
        else
            return usage();
    }
    struct cell_error e = { 0 };
    int r = sender_run(argv[1], run, &o, &e);
    if (r < 0) {
        fprintf(stderr, "cellsend: %s\n", e.msg);
        return 2;
    }
    return r;
}

static int cmd_flush(int argc, char **argv, int stop_fd)
{
    struct sender_opts o = { .ready_fd = -1,
                             .wake_fd = -1,
                             .stop_fd = stop_fd,
                             .timeout_ms = env_ms("CELLOS_SINK_TIMEOUT_MS", 5000),
                             .give_up_ms = env_ms("CELLOS_FLUSH_GIVE_UP_MS", 30000) };
    if (argc == 4) {
        long ms;
        if (strcmp(argv[2], "--give-up-ms") != 0 || parse_int(argv[3], 1, 86400000, &ms) < 0)
            return usage();
        o.give_up_ms = ms;
    } else if (argc != 2) {
        return usage();
    }
    const char *dir = argv[1];
    DIR *dd = opendir(dir);
    if (!dd) {
        fprintf(stderr, "cellsend: spool %s: %s\n", dir, strerror(errno));
        return 2;
    }
    int status = 0, runs = 0, left = 0;
    struct dirent *de;
    char run[SPOOL_RUN_LEN + 1];
    while ((de = readdir(dd))) {
        if (!spool_run_name(de->d_name, run))
            continue;
        int fd = openat(dirfd(dd), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        bool active = spool_writer_active(fd);
        close(fd);
        if (active) {
            fprintf(stderr, "cellsend: %s: still being written (a run in progress): skipped\n", run);
            continue;
        }
        runs++;
        struct cell_error e = { 0 };
        int r = sender_run(dir, run, &o, &e);
        if (r < 0) {
            fprintf(stderr, "cellsend: %s\n", e.msg);
            status = 2;
        } else if (r > 0) {
            left++;
            if (status == 0)
                status = 1;
        }
    }
    closedir(dd);
    if (left)
        fprintf(stderr, "cellsend: %d of %d runs in %s are not fully delivered yet\n", left, runs, dir);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int stop_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    /* libcurl's global set-up (OpenSSL's with it) costs milliseconds; a
     * run with NATS sinks only never needs it: http_sink_open does it */
    int r;
    if (strcmp(argv[1], "follow") == 0)
        r = cmd_follow(argc - 1, argv + 1, stop_fd);
    else if (strcmp(argv[1], "flush") == 0)
        r = cmd_flush(argc - 1, argv + 1, stop_fd);
    else
        r = usage();
    if (stop_fd >= 0)
        close(stop_fd);
    return r;
}
