/*
 * oci_exec.c - `exec`: one more process in a running cell, with the
 * authority of the cell's workload and nothing more.
 *
 *   exec [--process process.json] [--detach|-d] [--pid-file F] [--tty|-t]
 *        [--console-socket S] [--cwd D] [--env K=V]... ID [ARGS...]
 *
 * The process joins the cell's cgroups (where the cell has its own) and
 * every namespace of the cell's init (user first: the rest are owned by
 * it; mount last but one, then pid, which takes effect at the fork), and
 * the child then gets what the plan's workload got: supplementary groups
 * cleared, the plan's uid and gid (a process.json asking for another user
 * is refused), capabilities limited to the plan's in every set,
 * no_new_privs, the plan's grants as a Landlock ruleset (as the workload's;
 * fails closed under `landlock required;`), and the plan's own seccomp
 * filter loaded last. The plan is
 * the container's plan.bin, so exec can never be wider than the cell. A
 * signed `ocr_exec` event (container, argv[0]) goes to the sink first.
 */
#include "oci_rt.h"
#include "runtime/cell/cell_side.h"
#include "runtime/lib/sys_util.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 256
#define MAX_ENV  512

struct exec_req {
    char *argv[MAX_ARGS + 1];
    char *envp[MAX_ENV + 1];
    size_t argc, envc;
    char cwd[4096];
    bool has_user;
    uint32_t uid, gid;
    bool terminal;
};

static int load_process_json(const char *path, struct exec_req *r, char *why, size_t whylen)
{
    char *text;
    size_t len;
    if (ocr_read_file(path, 1 << 20, &text, &len, why, whylen) < 0)
        return -1;
    struct jcs_doc *d = jcs_doc_new();
    struct jcs_value *v = NULL;
    struct jcs_parse_error pe;
    int rc = -1;
    if (!d || jcs_parse(d, text, len, 32, &v, &pe) < 0 || jcs_type_of(v) != JCS_OBJECT) {
        snprintf(why, whylen, "%s: not JSON we accept (byte %zu: %s)", path, pe.offset, pe.e.msg);
        goto out;
    }
    const struct jcs_value *args = jcs_object_get(v, "args");
    const struct jcs_value *env = jcs_object_get(v, "env");
    const struct jcs_value *cwd = jcs_object_get(v, "cwd");
    const struct jcs_value *user = jcs_object_get(v, "user");
    const struct jcs_value *term = jcs_object_get(v, "terminal");
    if (!args || jcs_type_of(args) != JCS_ARRAY || !jcs_array_len(args) || jcs_array_len(args) > MAX_ARGS) {
        snprintf(why, whylen, "%s: args: missing, empty or too many", path);
        goto out;
    }
    for (size_t i = 0; i < jcs_array_len(args); i++) {
        size_t n;
        const struct jcs_value *a = jcs_array_at(args, i);
        if (jcs_type_of(a) != JCS_STRING) {
            snprintf(why, whylen, "%s: args[%zu]: not a string", path, i);
            goto out;
        }
        const char *s = jcs_get_string(a, &n);
        r->argv[r->argc++] = strndup(s, n);
    }
    for (size_t i = 0; env && jcs_type_of(env) == JCS_ARRAY && i < jcs_array_len(env) && r->envc < MAX_ENV;
         i++) {
        size_t n;
        const struct jcs_value *a = jcs_array_at(env, i);
        if (jcs_type_of(a) == JCS_STRING) {
            const char *s = jcs_get_string(a, &n);
            r->envp[r->envc++] = strndup(s, n);
        }
    }
    if (cwd && jcs_type_of(cwd) == JCS_STRING) {
        size_t n;
        const char *s = jcs_get_string(cwd, &n);
        snprintf(r->cwd, sizeof r->cwd, "%.*s", (int)n, s);
    }
    if (user && jcs_type_of(user) == JCS_OBJECT) {
        const struct jcs_value *u = jcs_object_get(user, "uid"), *gg = jcs_object_get(user, "gid");
        r->has_user = true;
        r->uid = u && jcs_type_of(u) == JCS_INT ? (uint32_t)jcs_get_int(u) : 0;
        r->gid = gg && jcs_type_of(gg) == JCS_INT ? (uint32_t)jcs_get_int(gg) : 0;
    }
    r->terminal = term && jcs_type_of(term) == JCS_BOOL && jcs_get_bool(term);
    rc = 0;
out:
    jcs_doc_free(d);
    free(text);
    return rc;
}

/* Join the cell's own cgroups (their paths name cellos-RUNID). */
static void join_cgroups(pid_t cell)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)cell);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || !strstr(c2, "/cellos-"))
            continue;
        *c2 = 0;
        const char *ctrl = c1 + 1, *cg = c2 + 1;
        char procs[2048];
        if (!ctrl[0])
            snprintf(procs, sizeof procs, "/sys/fs/cgroup/unified%s/cgroup.procs", cg);
        else
            snprintf(procs, sizeof procs, "/sys/fs/cgroup/%s%s/cgroup.procs", ctrl, cg);
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 && !ctrl[0]) {
            snprintf(procs, sizeof procs, "/sys/fs/cgroup%s/cgroup.procs", cg);
            fd = open(procs, O_WRONLY | O_CLOEXEC);
        }
        if (fd >= 0) {
            if (write(fd, "0", 1) < 0) {
                /* a controller we cannot join: the cell's others still bound us */
            }
            close(fd);
        }
    }
    fclose(f);
}

/* The exec's own signed event, before anything runs in the cell; no
 * event, no exec (fail closed). */
static int exec_event(const struct ocr_global *g, const char *id, const char *digest, const char *argv0)
{
    char why[600];
    struct ocr_conf c;
    if (ocr_conf_load(&c, why, sizeof why) < 0 ||
        ocr_event(&c, id, digest, "oci_exec", "argv0", argv0, true, why, sizeof why) < 0) {
        ocr_log(g, "error", "exec: the exec event: %s", why);
        return -1;
    }
    return 0;
}

int ocr_cmd_exec(const struct ocr_global *g, int argc, char **argv)
{
    struct exec_req r;
    memset(&r, 0, sizeof r);
    const char *process = NULL, *pid_file = NULL, *console = NULL, *id = NULL;
    bool detach = false;
    char why[1200];
    int i = 1;
    for (; i < argc; i++) {
        const char *v = NULL;
        char name[64];
        const char *a = ocr_opt_split(argv[i], name, sizeof name, &v);
        bool takes = !strcmp(a, "--process") || !strcmp(a, "-p") || !strcmp(a, "--pid-file") ||
            !strcmp(a, "--console-socket") || !strcmp(a, "--cwd") || !strcmp(a, "--env") ||
            !strcmp(a, "-e") || !strcmp(a, "--user") || !strcmp(a, "-u") || !strcmp(a, "--process-label") ||
            !strcmp(a, "--apparmor") || !strcmp(a, "--preserve-fds") || !strcmp(a, "--cap") ||
            !strcmp(a, "-c");
        if (a[0] != '-')
            break;
        if (takes && !v) {
            if (i + 1 >= argc) {
                ocr_log(g, "error", "exec: %s needs a value", a);
                return OCI_EXIT_ERR;
            }
            v = argv[++i];
        }
        if (!strcmp(a, "--process") || !strcmp(a, "-p"))
            process = v;
        else if (!strcmp(a, "--pid-file"))
            pid_file = v;
        else if (!strcmp(a, "--console-socket"))
            console = v;
        else if (!strcmp(a, "--cwd"))
            snprintf(r.cwd, sizeof r.cwd, "%s", v);
        else if (!strcmp(a, "--env") || !strcmp(a, "-e")) {
            if (r.envc < MAX_ENV)
                r.envp[r.envc++] = strdup(v);
        } else if (!strcmp(a, "--detach") || !strcmp(a, "-d"))
            detach = true;
        else if (!strcmp(a, "--tty") || !strcmp(a, "-t"))
            r.terminal = true;
        else if (!strcmp(a, "--cap") || !strcmp(a, "-c")) {
            ocr_log(g, "error", "exec --cap %s: refused: an exec gets the cell's capabilities, never more",
                    v);
            return OCI_EXIT_ERR;
        } else if (!strcmp(a, "--user") || !strcmp(a, "-u")) {
            char *e;
            r.has_user = true;
            r.uid = (uint32_t)strtoul(v, &e, 10);
            r.gid = *e == ':' ? (uint32_t)strtoul(e + 1, NULL, 10) : r.uid;
        } else if (!strcmp(a, "--preserve-fds")) {
            if (strcmp(v, "0")) {
                ocr_log(g, "error", "exec --preserve-fds %s: not supported", v);
                return OCI_EXIT_ERR;
            }
        } else if (!strcmp(a, "--no-new-privs") || !strcmp(a, "--process-label") ||
                   !strcmp(a, "--apparmor")) {
            /* no_new_privs is always set; LSM labels are not used */
        } else {
            ocr_log(g, "error", "exec: unknown option %s", a);
            return OCI_EXIT_ERR;
        }
    }
    int rc = OCI_EXIT_ERR;
    struct plan *plan = NULL;
    if (i >= argc) {
        ocr_log(g, "error", "exec: no container id");
        goto out;
    }
    id = argv[i++];
    if (process) {
        if (i < argc) {
            ocr_log(g, "error", "exec: give either --process or ARGS, not both");
            goto out;
        }
        if (load_process_json(process, &r, why, sizeof why) < 0) {
            ocr_log(g, "error", "exec: --process %s", why);
            goto out;
        }
    } else {
        for (; i < argc && r.argc < MAX_ARGS; i++)
            r.argv[r.argc++] = strdup(argv[i]);
        if (!r.argc) {
            ocr_log(g, "error", "exec: no command");
            goto out;
        }
    }
    struct ocr_state st;
    bool missing;
    if (ocr_state_load(g->root, id, &st, &missing, why, sizeof why) < 0) {
        ocr_log(g, "error", "%s", why);
        goto out;
    }
    /* running, or created with its set-up done (the start gate: the cell's
     * root, mounts and namespaces exist), as runc allows */
    enum ocr_status est = ocr_state_status(&st);
    if (!(est == OCI_RUNNING || (est == OCI_CREATED && st.set_up)) || st.cell_pid <= 0) {
        ocr_log(g, "error", "container \"%s\" is %s%s: exec needs a running container", id,
                ocr_status_name(est),
                est == OCI_CREATED ? " (not set up yet: its backend holds it before its first step)" : "");
        goto out;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/plan.bin", st.dir);
    struct plan_error pe;
    if (plan_read_file(path, &plan, &pe) < 0) {
        plan_error_format(&pe, path, why, sizeof why);
        ocr_log(g, "error", "exec: %s", why);
        goto out;
    }
    if (r.has_user && (r.uid != plan->process.uid || r.gid != plan->process.gid)) {
        ocr_log(g, "error", "exec: user %u:%u refused: the cell's processes run as %u:%u", r.uid, r.gid,
                plan->process.uid, plan->process.gid);
        goto out;
    }
    if (r.argv[0][0] != '/') {
        ocr_log(g, "error", "exec: %s: the program must be an absolute path", r.argv[0]);
        goto out;
    }
    if (r.terminal && !console) {
        ocr_log(g, "error", "exec: a terminal needs --console-socket");
        goto out;
    }
    /* the namespaces, opened before any is entered */
    static const struct {
        const char *name;
        int type;
    } nss[] = { /* the user namespace last: a network, ipc or uts namespace the
                 * cell shares with its engine (oci_join.c) is owned by the
                 * host's user namespace, which only our capabilities here
                 * may enter; the cell's own ones we may enter as their
                 * user namespace's owner */
                { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
                { "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
                { "user", CLONE_NEWUSER }
    };
    int nfd[7];
    for (size_t k = 0; k < 7; k++) {
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)st.cell_pid, nss[k].name);
        nfd[k] = open(path, O_RDONLY | O_CLOEXEC);
        if (nfd[k] < 0) {
            ocr_log(g, "error", "exec: %s: %s", path, strerror(errno));
            for (size_t j = 0; j < k; j++)
                close(nfd[j]);
            goto out;
        }
    }
    /* the descriptors are the cell's only if cellPid is still the cell:
     * a child of the supervisor, which is still the state's (pid + start
     * time); else a process that took a dead cell's pid would be joined */
    bool zombie;
    if (ocr_proc_ppid(st.cell_pid) != st.pid || ocr_proc_starttime(st.cell_pid, &zombie) == 0 || zombie ||
        ocr_state_status(&st) == OCI_STOPPED) {
        ocr_log(g, "error", "exec: container \"%s\": its cell (pid %d) is gone", id, (int)st.cell_pid);
        for (size_t k = 0; k < 7; k++)
            close(nfd[k]);
        goto out;
    }
    if (exec_event(g, id, st.config_sha256, r.argv[0]) < 0) {
        for (size_t k = 0; k < 7; k++)
            close(nfd[k]);
        goto out;
    }
    int console_fd = -1;
    if (r.terminal) {
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char *pts = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 ? ptsname(m) : NULL;
        console_fd = pts ? open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
        if (console_fd < 0 || ocr_send_fd(console, m, why, sizeof why) < 0) {
            ocr_log(g, "error", "exec: console: %s", console_fd < 0 ? strerror(errno) : why);
            goto out;
        }
        close(m);
    }
    int errp[2], pidp[2];
    if (pipe2(errp, O_CLOEXEC) < 0)
        goto out;
    if (pipe2(pidp, O_CLOEXEC) < 0) {
        close(errp[0]);
        close(errp[1]);
        goto out;
    }
    fflush(NULL);
    pid_t helper = fork(); /* does the setns; its child is the process */
    if (helper == 0) {
        close(errp[0]);
        close(pidp[0]);
        join_cgroups(st.cell_pid);
        for (size_t k = 0; k < 7; k++)
            if (setns(nfd[k], nss[k].type) < 0) {
                dprintf(errp[1], "setns %s: %s", nss[k].name, strerror(errno));
                _exit(125);
            }
        pid_t c = fork();
        if (c < 0) {
            dprintf(errp[1], "fork: %s", strerror(errno));
            _exit(125);
        }
        if (c == 0) {
            prctl(PR_SET_PDEATHSIG, detach ? 0 : SIGKILL);
            prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            setsid();
            if (console_fd >= 0) {
                dup2(console_fd, 0);
                dup2(console_fd, 1);
                dup2(console_fd, 2);
            }
            const char *cwd = r.cwd[0]                      ? r.cwd
                : plan->process.cwd && plan->process.cwd[0] ? plan->process.cwd
                                                            : "/";
            if (chdir(cwd) < 0) {
                dprintf(errp[1], "cwd %s: %s", cwd, strerror(errno));
                _exit(125);
            }
            int keep[1] = { errp[1] };
            umask(plan->process.umask);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            /* not the engine's session keyring (cell_keyring.c) */
            if (cell_keyring_detach() < 0) {
                dprintf(errp[1], "session keyring: %s", strerror(errno));
                _exit(125);
            }
            if (sys_close_fds_except(keep, 1) < 0 ||
                cell_caps_apply(plan->process.capabilities, plan->process.uid, plan->process.gid, true) < 0 ||
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                dprintf(errp[1], "credentials: %s", strerror(errno));
                _exit(125);
            }
            /* the workload's second wall too: joining the mount namespace
             * made its root ours, so the grants' paths resolve as in it */
            struct cell_config lc;
            memset(&lc, 0, sizeof lc);
            lc.plan = plan;
            uint32_t abi = 0;
            bool degraded = false;
            if (cell_landlock_apply(&lc, &abi, &degraded) < 0) {
                dprintf(errp[1], "landlock: %s",
                        errno == EOPNOTSUPP
                            ? "the plan requires Landlock and this kernel cannot give all of it"
                            : strerror(errno));
                _exit(125);
            }
            uint32_t n;
            if (cell_seccomp_load(plan, &n) < 0) {
                dprintf(errp[1], "seccomp: %s", strerror(errno));
                _exit(125);
            }
            execve(r.argv[0], r.argv, r.envp);
            dprintf(errp[1], "%s: %s", r.argv[0], strerror(errno));
            _exit(errno == ENOENT ? 127 : 126);
        }
        close(errp[1]);
        if (detach) {
            /* the process is the engine's now (a subreaper adopts it) */
            dprintf(pidp[1], "%d\n", (int)c);
            _exit(0);
        }
        int ws;
        while (waitpid(c, &ws, 0) < 0 && errno == EINTR)
            ;
        _exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
    }
    close(errp[1]);
    close(pidp[1]);
    if (console_fd >= 0)
        close(console_fd);
    for (size_t k = 0; k < 7; k++)
        close(nfd[k]);
    if (helper < 0) {
        close(errp[0]);
        close(pidp[0]);
        goto out;
    }
    pid_t child = 0;
    if (detach) {
        char buf[32] = "";
        ssize_t n = read(pidp[0], buf, sizeof buf - 1);
        if (n > 0)
            child = (pid_t)atoi(buf);
    }
    close(pidp[0]);
    int ws = 0;
    char err[600] = "";
    ssize_t en = read(errp[0], err, sizeof err - 1);
    close(errp[0]);
    if (helper > 0)
        while (waitpid(helper, &ws, 0) < 0 && errno == EINTR)
            ;
    if (en > 0) {
        err[en] = 0;
        ocr_log(g, "error", "exec: %s", err);
        rc = WIFEXITED(ws) && WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 125;
        if (detach)
            rc = OCI_EXIT_ERR;
        goto out;
    }
    if (detach) {
        if (child <= 0) {
            ocr_log(g, "error", "exec: the process did not start");
            goto out;
        }
        if (pid_file) {
            if (ocr_write_pid_file(pid_file, child, why, sizeof why) < 0) {
                ocr_log(g, "error", "exec: %s", why);
                goto out;
            }
        }
        rc = 0;
    } else {
        rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    }
out:
    for (size_t k = 0; k < r.argc; k++)
        free(r.argv[k]);
    for (size_t k = 0; k < r.envc; k++)
        free(r.envp[k]);
    plan_free(plan);
    return rc;
}
