/*
 * oci_cli.c - the runc command line of cellrun (runtime-spec runtime.md):
 *
 *   cellrun [--root DIR] [--conf FILE] [--log FILE] [--log-format text|json] [--debug]
 *           [--systemd-cgroup (refused)] COMMAND ...
 *   create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot (refused)] ID
 *   start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID
 *   run [--bundle DIR] [--pid-file F] [--console-socket S] [--detach] ID
 *   exec [--process process.json] [--detach] [--pid-file F] [--tty --console-socket S] ID [ARGS...]
 *   features | --version
 *
 * Every command returns its status here (0, or 1 with a message on stderr
 * and in the --log); `run` without --detach returns the workload's.
 */
#include "oci_rt.h"
#include "runtime/supervisor/cellrun_cmds.h"
#include "runtime/lib/out_file.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void ocr_log(const struct ocr_global *g, const char *level, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!strcmp(level, "error") || !strcmp(level, "warning") || g->debug)
        fprintf(stderr, "cellrun: %s\n", msg);
    if (!g->log_path)
        return;
    /* the log file as every output is opened (runtime/lib/out_file.h):
     * appended to, created 0644 like runc's, never through a symlink */
    struct out_file of;
    const struct out_spec spec = { .how = OUT_APPEND, .mode = 0644 };
    struct cell_error e = { 0 };
    if (out_open(&of, g->log_path, &spec, &e) < 0)
        return;
    FILE *f = fdopen(of.fd, "a");
    if (!f) {
        out_discard(&of);
        return;
    }
    if (g->log_json) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char t[40];
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
        ocr_json_str(f, msg);
        fprintf(f, ",\"time\":\"%s\"}\n", t);
    } else {
        fprintf(f, "%s: %s\n", level, msg);
    }
    fclose(f);
}

const char *ocr_opt_split(const char *arg, char *name, size_t n, const char **value)
{
    const char *eq = strchr(arg, '=');
    if (arg[0] != '-' || !eq || eq - arg >= (long)n)
        return arg;
    snprintf(name, n, "%.*s", (int)(eq - arg), arg);
    *value = eq + 1;
    return name;
}

int ocr_state_get(const struct ocr_global *g, const char *id, struct ocr_state *st)
{
    bool missing;
    char why[1200];
    if (ocr_state_load(g->root, id, st, &missing, why, sizeof why) < 0) {
        ocr_log(g, "error", "%s", why);
        return -1;
    }
    return (int)ocr_state_status(st);
}

static int cmd_state(const struct ocr_global *g, const char *id)
{
    struct ocr_state st;
    int got = ocr_state_get(g, id, &st);
    if (got < 0)
        return OCI_EXIT_ERR;
    ocr_state_print(stdout, &st, (enum ocr_status)got);
    return 0;
}

static int parse_signal(const char *s)
{
    static const struct {
        const char *n;
        int v;
    } sigs[] = {
        { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
        { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },   { "TERM", SIGTERM }, { "CONT", SIGCONT },
        { "STOP", SIGSTOP }, { "WINCH", SIGWINCH }, { "ALRM", SIGALRM }, { "PIPE", SIGPIPE },
        { "ABRT", SIGABRT }, { "TSTP", SIGTSTP },
    };
    if (s[0] >= '0' && s[0] <= '9') {
        char *e;
        long v = strtol(s, &e, 10);
        return *e || v < 1 || v > 64 ? -1 : (int)v;
    }
    if (!strncmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (!strcmp(s, sigs[i].n))
            return sigs[i].v;
    return -1;
}

/* Signal the container's supervisor, never a process that took its pid:
 * the pid is pinned with a pidfd, then its start time checked again (the
 * state names pid + start time), and the signal goes through the pidfd. */
static int signal_supervisor(const struct ocr_state *st, int signo)
{
    int pfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    if (pfd < 0)
        return -1;
    enum ocr_status s = ocr_state_status(st);
    int r = -1;
    if (s == OCI_CREATED || s == OCI_RUNNING)
        r = (int)syscall(SYS_pidfd_send_signal, pfd, signo, NULL, 0);
    else
        errno = ESRCH;
    int err = errno;
    close(pfd);
    errno = err;
    return r;
}

static int cmd_kill(const struct ocr_global *g, const char *id, const char *sig, bool all)
{
    int signo = parse_signal(sig ? sig : "TERM");
    if (signo < 0) {
        ocr_log(g, "error", "kill: unknown signal \"%s\"", sig);
        return OCI_EXIT_ERR;
    }
    struct ocr_state st;
    int got = ocr_state_get(g, id, &st);
    if (got < 0)
        return OCI_EXIT_ERR;
    enum ocr_status s = (enum ocr_status)got;
    if (s != OCI_CREATED && s != OCI_RUNNING) {
        ocr_log(g, "error", "container \"%s\" is %s: nothing to signal", id, ocr_status_name(s));
        return OCI_EXIT_ERR;
    }
    /* the supervisor forwards INT TERM HUP QUIT USR1 USR2 to the workload;
     * KILL ends it and with it the whole cell (--all: every process of the
     * cell is in its pid namespace, which dies with it) */
    (void)all;
    if (signal_supervisor(&st, signo) < 0) {
        ocr_log(g, "error", "kill %s: %s", id, strerror(errno));
        return OCI_EXIT_ERR;
    }
    return 0;
}

static int cmd_delete(const struct ocr_global *g, const char *id, bool force)
{
    struct ocr_state st;
    bool missing;
    char why[1200];
    if (ocr_state_load(g->root, id, &st, &missing, why, sizeof why) < 0) {
        if (missing && force)
            return 0;
        ocr_log(g, "error", "%s", why);
        return OCI_EXIT_ERR;
    }
    enum ocr_status s = ocr_state_status(&st);
    if (s != OCI_STOPPED) {
        /* created: never ran a program of the container's, so delete ends
         * it as runc and crun do; running needs --force */
        if (!force && s != OCI_CREATED) {
            ocr_log(g, "error", "container \"%s\" is %s: stop it first or use --force", id,
                    ocr_status_name(s));
            return OCI_EXIT_ERR;
        }
        if (st.pid > 0)
            signal_supervisor(&st, SIGKILL);
        for (int i = 0; i < 5000 && ocr_state_status(&st) != OCI_STOPPED; i++)
            usleep(1000);
    }
    char *hooks = ocr_hooks_load(st.dir);
    if (ocr_state_remove(st.dir) < 0) {
        ocr_log(g, "error", "%s: %s", st.dir, strerror(errno));
        free(hooks);
        return OCI_EXIT_ERR;
    }
    /* poststop: the container is gone; a failure is a warning */
    struct ocr_conf c;
    if (hooks &&
        (ocr_conf_load(&c, why, sizeof why) < 0 ||
         ocr_hooks_run(&c, &st, OCI_STOPPED, hooks, "poststop", OCI_HOOK_RUNTIME, false, NULL, why,
                       sizeof why) < 0))
        ocr_log(g, "warning", "container \"%s\": %s", id, why);
    free(hooks);
    return 0;
}

static int cmd_features(void)
{
    fputs("{\n"
          "  \"ociVersionMin\": \"1.0.0\",\n"
          "  \"ociVersionMax\": \"" OCI_VERSION "\",\n"
          "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", "
          "\"poststart\", \"poststop\"],\n"
          "  \"mountOptions\": [\"bind\", \"rbind\", \"ro\", \"rw\", \"nosuid\", \"nodev\", \"noexec\", "
          "\"size\", \"mode\"],\n"
          "  \"linux\": {\n"
          "    \"namespaces\": [\"pid\", \"network\", \"ipc\", \"uts\", \"mount\", \"user\", \"cgroup\"],\n"
          "    \"capabilities\": [],\n"
          "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},\n"
          "    \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", "
          "\"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_TRAP\", "
          "\"SCMP_ACT_LOG\"],\n"
          "      \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_NE\", \"SCMP_CMP_LT\", \"SCMP_CMP_LE\", "
          "\"SCMP_CMP_GT\", "
          "\"SCMP_CMP_GE\", \"SCMP_CMP_MASKED_EQ\"]},\n"
          "    \"apparmor\": {\"enabled\": false},\n"
          "    \"selinux\": {\"enabled\": false}\n"
          "  },\n"
          "  \"annotations\": {\"io.cellos.backend\": \"native|gvisor|vm\", \"io.cellos.pack\": \"NAME\", "
          "\"io.cellos.plan\": \"PATH\"}\n"
          "}\n",
          stdout);
    return 0;
}

/* create and run share their flags */
static int cmd_create_run(const struct ocr_global *g, int argc, char **argv, bool is_run)
{
    struct ocr_create_opts o = { 0 };
    bool detach = false;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        char name[64];
        const char *a = ocr_opt_split(argv[i], name, sizeof name, &v);
#define ARG(n1, n2) ((!strcmp(a, n1) || !strcmp(a, n2)) && (v || (i + 1 < argc && (v = argv[++i]))))
        if (ARG("--bundle", "-b"))
            o.bundle = v;
        else if (ARG("--pid-file", "--pid-file"))
            o.pid_file = v;
        else if (ARG("--console-socket", "--console-socket"))
            o.console_socket = v;
        else if (!strcmp(a, "--detach") || !strcmp(a, "-d"))
            detach = true;
        else if (!strcmp(a, "--no-pivot")) {
            ocr_log(g, "error",
                    "--no-pivot: refused: a cell's root is always pivoted (the host root is detached)");
            return OCI_EXIT_ERR;
        } else if (!strcmp(a, "--no-new-keyring")) {
            /* the cell never joins the caller's session keyring */
        } else if (ARG("--preserve-fds", "--preserve-fds")) {
            if (strcmp(v, "0")) {
                ocr_log(g, "error", "--preserve-fds %s: passing extra fds is not supported", v);
                return OCI_EXIT_ERR;
            }
        } else if (a[0] == '-') {
            ocr_log(g, "error", "%s: unknown option %s", argv[0], a);
            return OCI_EXIT_ERR;
        } else if (!o.id) {
            o.id = a;
        } else {
            ocr_log(g, "error", "%s: unexpected argument %s", argv[0], a);
            return OCI_EXIT_ERR;
        }
        v = NULL;
#undef ARG
    }
    if (!o.id) {
        ocr_log(g, "error", "%s: no container id", argv[0]);
        return OCI_EXIT_ERR;
    }
    if (is_run && !detach) {
        o.foreground = true;
        return ocr_create(g, &o);
    }
    int rc = ocr_create(g, &o);
    if (rc == 0 && is_run)
        rc = ocr_start(g, o.id);
    return rc;
}

int cellrun_cmd_oci(int argc, char **argv)
{
    struct ocr_global g = { .root = OCI_DEFAULT_ROOT };
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v = NULL;
        char name[64];
        const char *a = ocr_opt_split(argv[i], name, sizeof name, &v);
        bool takes = !strcmp(a, "--root") || !strcmp(a, "--log") || !strcmp(a, "--log-format") ||
            !strcmp(a, "--conf") || !strcmp(a, "--criu") || !strcmp(a, "--rootless");
        if (takes && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cellrun: %s needs a value\n", a);
                return OCI_EXIT_ERR;
            }
            v = argv[++i];
        }
        if (!strcmp(a, "--root"))
            g.root = v;
        else if (!strcmp(a, "--conf")) {
            /* runtime.conf for this command and what it runs (hooks' exec):
             * engines pass it as a runtime flag (podman --runtime-flag
             * conf=FILE), since they do not pass their environment */
            if (!v[0] || setenv("CELLOS_RUNTIME_CONF", v, 1) < 0) {
                fprintf(stderr, "cellrun: --conf %s: cannot use it\n", v);
                return OCI_EXIT_ERR;
            }
        } else if (!strcmp(a, "--log"))
            g.log_path = v;
        else if (!strcmp(a, "--log-format")) {
            if (strcmp(v, "json") && strcmp(v, "text")) {
                fprintf(stderr, "cellrun: --log-format %s: json or text\n", v);
                return OCI_EXIT_ERR;
            }
            g.log_json = !strcmp(v, "json");
        } else if (!strcmp(a, "--debug"))
            g.debug = true;
        else if (!strcmp(a, "--systemd-cgroup")) {
            ocr_log(&g, "error",
                    "--systemd-cgroup: refused: cellrun manages the cell's cgroups itself "
                    "(use the cgroupfs manager, e.g. podman --cgroup-manager cgroupfs)");
            return OCI_EXIT_ERR;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
            printf("cellrun version " CELLRUN_OCI_VERSION "\nspec: " OCI_VERSION "\n");
            return 0;
        } else if (!strcmp(a, "--criu") || !strcmp(a, "--rootless")) {
            /* accepted and ignored: no checkpoint; rootless is detected */
        } else {
            fprintf(stderr, "cellrun: unknown global option %s\n", a);
            return OCI_EXIT_ERR;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "cellrun: no command (create, start, state, kill, delete, run, exec, features)\n");
        return OCI_EXIT_ERR;
    }
    char **av = argv + i;
    int ac = argc - i;
    const char *cmd = av[0];
    if (!strcmp(cmd, "create") || !strcmp(cmd, "run"))
        return cmd_create_run(&g, ac, av, !strcmp(cmd, "run"));
    if (!strcmp(cmd, "exec"))
        return ocr_cmd_exec(&g, ac, av);
    if (!strcmp(cmd, "features"))
        return cmd_features();
    /* start/state/kill/delete: flags, then ID [SIGNAL] */
    bool force = false, all = false;
    const char *id = NULL, *extra = NULL;
    for (int k = 1; k < ac; k++) {
        if (!strcmp(av[k], "--force") || !strcmp(av[k], "-f"))
            force = true;
        else if (!strcmp(av[k], "--all") || !strcmp(av[k], "-a"))
            all = true;
        else if (av[k][0] == '-' && av[k][1]) {
            ocr_log(&g, "error", "%s: unknown option %s", cmd, av[k]);
            return OCI_EXIT_ERR;
        } else if (!id)
            id = av[k];
        else if (!extra)
            extra = av[k];
        else {
            ocr_log(&g, "error", "%s: unexpected argument %s", cmd, av[k]);
            return OCI_EXIT_ERR;
        }
    }
    if (!id) {
        ocr_log(&g, "error", "%s: no container id", cmd);
        return OCI_EXIT_ERR;
    }
    if (!strcmp(cmd, "start"))
        return ocr_start(&g, id);
    if (!strcmp(cmd, "state"))
        return cmd_state(&g, id);
    if (!strcmp(cmd, "kill"))
        return cmd_kill(&g, id, extra, all);
    if (!strcmp(cmd, "delete"))
        return cmd_delete(&g, id, force);
    ocr_log(&g, "error", "%s: not supported by cellrun", cmd);
    return OCI_EXIT_ERR;
}
