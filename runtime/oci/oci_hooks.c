/*
 * oci_hooks.c - config.json's hooks (runtime-spec config.md, "POSIX-platform
 * Hooks"): prestart, createRuntime, createContainer, startContainer,
 * poststart, poststop.
 *
 * A hook is a host program run on a container's behalf, so it is authority
 * the host must grant: every hook's path must lie within runtime.conf
 * allow_hooks (default none: a config with hooks is refused at create).
 * Where each runs (docs/oci.md, "Hooks"):
 *   prestart, createRuntime  in create, by the container's supervisor once
 *                            the cell is built (its start gate), in the
 *                            runtime's namespaces (cellrun's own network,
 *                            ipc and uts, which the supervisor left)
 *   createContainer          right after, in the container's namespaces
 *                            (mount, pid, network, ipc, uts, cgroup; not its
 *                            user namespace: the host's authority), the
 *                            program opened in the runtime's mount namespace
 *   startContainer           in start, before the byte that lets the
 *                            workload exec: `cellrun exec` of the hook into
 *                            the created container, so it has exactly the
 *                            container's authority (runc gives it more)
 *   poststart                in start, once the workload runs, runtime's
 *   poststop                 in delete, after the state is gone, runtime's;
 *                            also in a create whose prestart, createRuntime
 *                            or createContainer hook failed, once the
 *                            container is destroyed (runtime.md step 13)
 * Each gets the state JSON on stdin and is killed (with whatever it forked)
 * after its timeout. Each run is a signed `oci_hook` event (kind, index,
 * path, result). A failing prestart/createRuntime/createContainer fails
 * create, a failing startContainer stops the container and fails start,
 * a failing poststart/poststop is a warning (runtime.md).
 */
#include "oci_rt.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOOK_ARGS 64

static const char *const kinds[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL
};

static bool str_is(const struct jcs_value *v)
{
    return v && jcs_type_of(v) == JCS_STRING;
}

/* Environment variables that make a program run code it was not asked to
 * before its own first instruction (the dynamic loader's and glibc's: the
 * ones glibc drops for a set-uid program) or that a shell or interpreter
 * runs at start-up. A hook runs as the host's root with exactly the env
 * config.json gives it, so one of these from the bundle would run the
 * bundle's code as root (LD_PRELOAD=/bundle/x.so): refused, whatever the
 * hook. The rest of the env and the args are the bundle's too (docs/oci.md,
 * Hooks). A name ending in '*' is a prefix. */
static const char *const hook_env_refused[] = { "LD_*",
                                                "GCONV_PATH",
                                                "GETCONF_DIR",
                                                "GLIBC_TUNABLES",
                                                "HOSTALIASES",
                                                "LOCALDOMAIN",
                                                "LOCPATH",
                                                "MALLOC_*",
                                                "NIS_PATH",
                                                "NLSPATH",
                                                "RESOLV_HOST_CONF",
                                                "RES_OPTIONS",
                                                "TMPDIR",
                                                "TZDIR",
                                                "BASH_ENV",
                                                "ENV",
                                                "BASH_FUNC_*",
                                                "SHELLOPTS",
                                                "BASHOPTS",
                                                "PS4",
                                                "IFS",
                                                "CDPATH",
                                                "PYTHON*",
                                                "PERL5*",
                                                "PERLLIB",
                                                "PERL_*",
                                                "RUBY*",
                                                "NODE_*",
                                                "LUA_*",
                                                "TCL*",
                                                "JAVA_TOOL_OPTIONS",
                                                "_JAVA_OPTIONS",
                                                "JDK_JAVA_OPTIONS",
                                                NULL };

/* The refused name that `entry` (NAME=VALUE) sets, or NULL. */
static const char *hook_env_bad(const char *entry, size_t len)
{
    const char *eq = memchr(entry, '=', len);
    size_t nl = eq ? (size_t)(eq - entry) : len;
    for (size_t i = 0; hook_env_refused[i]; i++) {
        const char *r = hook_env_refused[i];
        size_t rl = strlen(r);
        if (r[rl - 1] == '*' ? nl >= rl - 1 && !memcmp(entry, r, rl - 1) : nl == rl && !memcmp(entry, r, rl))
            return r;
    }
    return NULL;
}

int ocr_hooks_check(const struct jcs_value *cfg, const struct ocr_conf *c, bool *any, struct ocr_msgs *viol)
{
    *any = false;
    const struct jcs_value *h = cfg ? jcs_object_get(cfg, "hooks") : NULL;
    if (!h)
        return 0;
    size_t before = viol->n;
    if (jcs_type_of(h) != JCS_OBJECT) {
        ocr_msgs_add(viol, "hooks: must be an object");
        return -1;
    }
    for (size_t i = 0; i < jcs_object_len(h); i++) {
        const char *k;
        size_t kl;
        const struct jcs_value *list = jcs_object_at(h, i, &k, &kl);
        size_t t = 0;
        while (kinds[t] && !(strlen(kinds[t]) == kl && !memcmp(kinds[t], k, kl)))
            t++;
        if (!kinds[t]) {
            ocr_msgs_add(viol, "hooks.%.*s: unknown hook kind", (int)(kl > 64 ? 64 : kl), k);
            continue;
        }
        if (jcs_type_of(list) != JCS_ARRAY) {
            ocr_msgs_add(viol, "hooks.%s: must be an array", kinds[t]);
            continue;
        }
        for (size_t j = 0; j < jcs_array_len(list); j++) {
            const struct jcs_value *o = jcs_array_at(list, j);
            const struct jcs_value *p = jcs_type_of(o) == JCS_OBJECT ? jcs_object_get(o, "path") : NULL;
            char path[1024];
            size_t pl = 0;
            const char *ps = str_is(p) ? jcs_get_string(p, &pl) : NULL;
            if (!ps || pl == 0 || pl >= sizeof path || ps[0] != '/' || memchr(ps, 0, pl)) {
                ocr_msgs_add(viol, "hooks.%s[%zu].path: not an absolute path", kinds[t], j);
                continue;
            }
            memcpy(path, ps, pl);
            path[pl] = 0;
            *any = true;
            if (strstr(path, "/../") || (pl >= 3 && !strcmp(path + pl - 3, "/..")))
                ocr_msgs_add(viol, "hooks.%s[%zu].path: %s: '..' is not allowed", kinds[t], j, path);
            else if (!ocr_list_within(c->hooks, path))
                ocr_msgs_add(
                    viol, "hooks.%s[%zu].path: %s is not allowed by the host (runtime.conf allow_hooks%s%s)",
                    kinds[t], j, path, c->hooks[0] ? " = " : ": none", c->hooks);
            static const char *const known[] = { "path", "args", "env", "timeout", NULL };
            for (size_t f = 0; f < jcs_object_len(o); f++) {
                const char *fk;
                size_t fkl;
                const struct jcs_value *fv = jcs_object_at(o, f, &fk, &fkl);
                size_t q = 0;
                while (known[q] && !(strlen(known[q]) == fkl && !memcmp(known[q], fk, fkl)))
                    q++;
                if (!known[q]) {
                    ocr_msgs_add(viol, "hooks.%s[%zu].%.*s: unknown field", kinds[t], j,
                                 (int)(fkl > 32 ? 32 : fkl), fk);
                } else if (q == 1 || q == 2) {
                    bool okl = jcs_type_of(fv) == JCS_ARRAY && jcs_array_len(fv) <= MAX_HOOK_ARGS;
                    for (size_t x = 0; okl && x < jcs_array_len(fv); x++)
                        okl = str_is(jcs_array_at(fv, x));
                    if (!okl)
                        ocr_msgs_add(viol, "hooks.%s[%zu].%s: an array of at most %d strings", kinds[t], j,
                                     known[q], MAX_HOOK_ARGS);
                    for (size_t x = 0; okl && q == 2 && x < jcs_array_len(fv); x++) {
                        size_t el;
                        const char *es = jcs_get_string(jcs_array_at(fv, x), &el);
                        const char *bad = hook_env_bad(es, el);
                        if (!memchr(es, '=', el) || memchr(es, 0, el))
                            ocr_msgs_add(viol, "hooks.%s[%zu].env[%zu]: not NAME=VALUE", kinds[t], j, x);
                        else if (bad)
                            ocr_msgs_add(viol,
                                         "hooks.%s[%zu].env[%zu]: %s is refused (it would run code the "
                                         "bundle chose in a host program)",
                                         kinds[t], j, x, bad);
                    }
                } else if (q == 3 && (jcs_type_of(fv) != JCS_INT || jcs_get_int(fv) <= 0)) {
                    ocr_msgs_add(viol, "hooks.%s[%zu].timeout: must be an integer greater than zero",
                                 kinds[t], j);
                }
            }
        }
    }
    return viol->n > before ? -1 : 0;
}

int ocr_hooks_save(const char *dir, const struct jcs_value *cfg, char *why, size_t whylen)
{
    const struct jcs_value *h = cfg ? jcs_object_get(cfg, "hooks") : NULL;
    if (!h || jcs_type_of(h) != JCS_OBJECT || !jcs_object_len(h))
        return 0;
    struct jcs_buf jb = { 0 };
    char path[1100];
    snprintf(path, sizeof path, "%s/hooks.json", dir);
    int rc = jcs_serialize(h, NULL, &jb) == 0 ? ocr_write_file(path, jb.p, jb.len, 0600, why, whylen) : -1;
    if (rc < 0 && !why[0])
        snprintf(why, whylen, "%s: cannot write the hooks", path);
    jcs_buf_free(&jb);
    return rc;
}

char *ocr_hooks_load(const char *dir)
{
    char path[1100], why[300], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/hooks.json", dir);
    if (access(path, F_OK) < 0 || ocr_read_file(path, 1 << 20, &text, &len, why, sizeof why) < 0)
        return NULL;
    return text;
}

/* One hook, parsed. */
struct hook {
    char path[1024];
    char *argv[MAX_HOOK_ARGS + 1];
    char *envp[MAX_HOOK_ARGS + 1];
    long timeout_s; /* 0: none */
};

static void hook_free(struct hook *k)
{
    for (size_t i = 0; k->argv[i]; i++)
        free(k->argv[i]);
    for (size_t i = 0; k->envp[i]; i++)
        free(k->envp[i]);
    memset(k, 0, sizeof *k);
}

static void strings(const struct jcs_value *a, char **out)
{
    size_t n = 0;
    for (size_t i = 0; a && jcs_type_of(a) == JCS_ARRAY && i < jcs_array_len(a) && n < MAX_HOOK_ARGS; i++) {
        size_t l;
        const struct jcs_value *v = jcs_array_at(a, i);
        if (str_is(v)) {
            const char *s = jcs_get_string(v, &l);
            out[n++] = strndup(s, l);
        }
    }
    out[n] = NULL;
}

static int hook_parse(const struct jcs_value *o, struct hook *k)
{
    memset(k, 0, sizeof *k);
    const struct jcs_value *p = jcs_object_get(o, "path");
    size_t pl;
    const char *ps = str_is(p) ? jcs_get_string(p, &pl) : NULL;
    if (!ps || pl >= sizeof k->path)
        return -1;
    memcpy(k->path, ps, pl);
    strings(jcs_object_get(o, "args"), k->argv);
    if (!k->argv[0])
        k->argv[0] = strdup(k->path); /* runtime-spec: args[0] is the program's name */
    strings(jcs_object_get(o, "env"), k->envp);
    const struct jcs_value *t = jcs_object_get(o, "timeout");
    k->timeout_s = t && jcs_type_of(t) == JCS_INT && jcs_get_int(t) > 0 ? (long)jcs_get_int(t) : 0;
    return 0;
}

/* Wait for pid (the leader of its own process group) up to timeout_s (0:
 * forever), reading its output into out; kill the group on timeout. */
static int wait_hook(pid_t pid, int out_fd, long timeout_s, char *out, size_t cap, bool *timed_out)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n = 0;
    *timed_out = false;
    for (;;) {
        int left = -1;
        if (timeout_s) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            long ms = timeout_s * 1000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
            if (ms <= 0) {
                *timed_out = true;
                kill(-pid, SIGKILL);
                break;
            }
            left = (int)ms;
        }
        struct pollfd pf[2] = { { .fd = out_fd, .events = POLLIN }, { .fd = pfd, .events = POLLIN } };
        int r = poll(pf, 2, left);
        if (r < 0 && errno != EINTR)
            break;
        if (pf[0].revents) {
            char buf[512];
            ssize_t k = read(out_fd, buf, sizeof buf);
            if (k > 0 && n + 1 < cap) {
                size_t take = (size_t)k < cap - 1 - n ? (size_t)k : cap - 1 - n;
                memcpy(out + n, buf, take);
                n += take;
            }
            if (k <= 0)
                out_fd = -1;
        }
        if (pf[1].revents || (pfd < 0 && out_fd < 0))
            break;
    }
    out[n] = 0;
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* nothing it forked outlives it */
    if (pfd >= 0)
        close(pfd);
    return ws;
}

static const struct {
    const char *name;
    int type;
} cell_ns[] = { { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
                { "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS } };
#define N_CELL_NS (sizeof cell_ns / sizeof *cell_ns)
static const int host_types[3] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS };

/* The process a hook runs as: never returns. */
static void hook_child(const struct hook *k, const int in[2], const int out[2], enum ocr_hook_ns where,
                       int exe_fd, const int *nsfd, const int host_ns[3])
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the runtime */
    /* the parent's ends: the hook's stdin reaches EOF once the state is written */
    close(in[1]);
    close(out[0]);
    int in_fd = in[0], out_fd = out[1];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(127);
    if (where == OCI_HOOK_RUNTIME && host_ns) {
        for (int i = 0; i < 3; i++)
            if (host_ns[i] >= 0 && setns(host_ns[i], host_types[i]) < 0) {
                dprintf(2, "setns back to cellrun's namespace: %s", strerror(errno));
                _exit(127);
            }
    }
    if (where == OCI_HOOK_CONTAINER) {
        for (size_t i = 0; i < N_CELL_NS; i++)
            if (setns(nsfd[i], cell_ns[i].type) < 0) {
                dprintf(2, "setns %s: %s", cell_ns[i].name, strerror(errno));
                _exit(127);
            }
        /* in the container's pid namespace only as a child */
        pid_t c = fork();
        if (c < 0)
            _exit(127);
        if (c > 0) {
            int ws;
            while (waitpid(c, &ws, 0) < 0 && errno == EINTR)
                ;
            _exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir("/") < 0)
            _exit(127);
    }
    if (exe_fd >= 0)
        syscall(SYS_execveat, exe_fd, "", k->argv, k->envp, AT_EMPTY_PATH);
    else
        execve(k->path, k->argv, k->envp);
    dprintf(2, "%s: %s", k->path, strerror(errno));
    _exit(127);
}

/* A createContainer hook runs as the host's root in the container's mount
 * namespace, so the interpreter of a script (#!) or of a dynamically linked
 * program (PT_INTERP, then its libraries) would be the container's: the
 * bundle's code with the host's authority. Only a static ELF program (no
 * PT_INTERP) is run there; 0, or -1 with why. */
static int static_elf(int fd, char *why, size_t whylen)
{
    Elf64_Ehdr eh;
    const char *bad = NULL;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
        bad = "not a 64-bit ELF program (a script's interpreter would be the container's)";
    for (unsigned i = 0; !bad && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph)
            bad = "a truncated ELF program";
        else if (ph.p_type == PT_INTERP)
            bad = "dynamically linked (its loader and libraries would be the container's)";
    }
    if (!bad)
        return 0;
    snprintf(why, whylen,
             "refused: %s; a createContainer hook runs as the host's root in the container's mount "
             "namespace, so only a static program may be one",
             bad);
    return -1;
}

/* Run one hook; 0 or -1 with why. */
static int run_one(const struct hook *k, const char *state_json, enum ocr_hook_ns where, bool resolve_host,
                   pid_t cell_pid, const int host_ns[3], char *why, size_t whylen)
{
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, nsfd[N_CELL_NS], exe_fd = -1, rc = -1;
    for (size_t i = 0; i < N_CELL_NS; i++)
        nsfd[i] = -1;
    if (where == OCI_HOOK_CONTAINER) {
        for (size_t i = 0; i < N_CELL_NS; i++) {
            char p[64];
            snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)cell_pid, cell_ns[i].name);
            if ((nsfd[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
                snprintf(why, whylen, "%s: %s", p, strerror(errno));
                goto out;
            }
        }
    }
    if (resolve_host && (exe_fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
        snprintf(why, whylen, "%.300s: %s", k->path, strerror(errno));
        goto out;
    }
    if (exe_fd >= 0 && where == OCI_HOOK_CONTAINER && static_elf(exe_fd, why, whylen) < 0)
        goto out;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        hook_child(k, in, out, where, exe_fd, nsfd, host_ns);
    setpgid(pid, pid); /* as the child does: no race on the group */
    close(in[0]);
    close(out[1]);
    in[0] = out[1] = -1;
    /* the state is small (a pipe holds it); a hook that reads none is fine */
    signal(SIGPIPE, SIG_IGN);
    size_t len = strlen(state_json), off = 0;
    while (off < len) {
        ssize_t w = write(in[1], state_json + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(in[1]);
    in[1] = -1;
    char msg[512];
    bool timed_out;
    int ws = wait_hook(pid, out[0], k->timeout_s, msg, sizeof msg, &timed_out);
    char *nl;
    while ((nl = strrchr(msg, '\n')) && nl[1] == 0)
        *nl = 0;
    if (timed_out)
        snprintf(why, whylen, "timed out after %ld s", k->timeout_s);
    else if (WIFSIGNALED(ws))
        snprintf(why, whylen, "killed by signal %d%s%.300s", WTERMSIG(ws), msg[0] ? ": " : "", msg);
    else if (WEXITSTATUS(ws))
        snprintf(why, whylen, "exit status %d%s%.300s", WEXITSTATUS(ws), msg[0] ? ": " : "", msg);
    else
        rc = 0;
out:
    for (size_t i = 0; i < N_CELL_NS; i++)
        if (nsfd[i] >= 0)
            close(nsfd[i]);
    int fds[] = { in[0], in[1], out[0], out[1], exe_fd };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

static void json_strs(FILE *f, char *const *v)
{
    fputc('[', f);
    for (size_t i = 0; v[i]; i++) {
        if (i)
            fputc(',', f);
        ocr_json_str(f, v[i]);
    }
    fputc(']', f);
}

/* startContainer: `cellrun exec --process` of the hook into the created
 * container (its authority exactly); the exec is an event of its own. */
static int run_in_cell(const struct hook *k, const char *state_json, const struct ocr_state *st, char *why,
                       size_t whylen)
{
    char pj[1200], root[1100];
    snprintf(pj, sizeof pj, "%s/hook-process.json", st->dir);
    snprintf(root, sizeof root, "%s", st->dir);
    char *slash = strrchr(root, '/');
    if (!slash) {
        snprintf(why, whylen, "%.300s: no --root", st->dir);
        return -1;
    }
    *slash = 0;
    FILE *f = fopen(pj, "we");
    if (!f) {
        snprintf(why, whylen, "%.300s: %s", pj, strerror(errno));
        return -1;
    }
    char *args[MAX_HOOK_ARGS + 2];
    size_t n = 0;
    args[n++] = (char *)k->path; /* the program is the path; args[0] its name */
    for (size_t i = 1; k->argv[i] && n < MAX_HOOK_ARGS + 1; i++)
        args[n++] = k->argv[i];
    args[n] = NULL;
    fputs("{\"args\":", f);
    json_strs(f, args);
    fputs(",\"env\":", f);
    json_strs(f, k->envp);
    fputs(",\"cwd\":\"/\"}\n", f);
    if (fclose(f) != 0) {
        snprintf(why, whylen, "%.300s: %s", pj, strerror(errno));
        unlink(pj);
        return -1;
    }
    struct hook x;
    memset(&x, 0, sizeof x);
    snprintf(x.path, sizeof x.path, "/proc/self/exe");
    char *av[] = { "cellrun", "--root", root, "exec", "--process", pj, (char *)st->id, NULL };
    memcpy(x.argv, av, sizeof av);
    extern char **environ;
    size_t e = 0;
    for (; environ[e] && e < MAX_HOOK_ARGS; e++)
        x.envp[e] = environ[e];
    x.timeout_s = k->timeout_s;
    int r = run_one(&x, state_json, OCI_HOOK_RUNTIME, false, 0, NULL, why, whylen);
    unlink(pj);
    return r;
}

int ocr_hooks_run(const struct ocr_conf *c, const struct ocr_state *st, enum ocr_status s, const char *json,
                  const char *kind, enum ocr_hook_ns where, bool resolve_host, const int host_ns[3],
                  char *why, size_t whylen)
{
    char *own = json ? NULL : ocr_hooks_load(st->dir);
    const char *text = json ? json : own;
    if (!text)
        return 0;
    struct jcs_doc *d = jcs_doc_new();
    struct jcs_value *h = NULL;
    struct jcs_parse_error pe;
    int rc = 0;
    if (!d || jcs_parse(d, text, strlen(text), 16, &h, &pe) < 0 || jcs_type_of(h) != JCS_OBJECT) {
        snprintf(why, whylen, "%s/hooks.json: not the hooks cellrun kept", st->dir);
        rc = -1;
        goto out;
    }
    const struct jcs_value *list = jcs_object_get(h, kind);
    if (!list || jcs_type_of(list) != JCS_ARRAY || !jcs_array_len(list))
        goto out;
    char *state = NULL;
    size_t slen = 0;
    FILE *mf = open_memstream(&state, &slen);
    if (!mf) {
        snprintf(why, whylen, "out of memory");
        rc = -1;
        goto out;
    }
    ocr_state_print(mf, st, s);
    fclose(mf);
    for (size_t i = 0; i < jcs_array_len(list); i++) {
        struct hook k;
        if (hook_parse(jcs_array_at(list, i), &k) < 0) {
            snprintf(why, whylen, "hooks.%s[%zu]: not a hook", kind, i);
            rc = -1;
            break;
        }
        char res[700] = "", what[1400], ewhy[600];
        int r = !ocr_list_within(c->hooks, k.path)
            ? (snprintf(res, sizeof res, "not allowed by runtime.conf allow_hooks"), -1)
            : where == OCI_HOOK_CELL
            ? run_in_cell(&k, state, st, res, sizeof res)
            : run_one(&k, state, where, resolve_host, st->cell_pid, host_ns, res, sizeof res);
        snprintf(what, sizeof what, "%s[%zu] %.600s: %s", kind, i, k.path, r == 0 ? "exit status 0" : res);
        if (ocr_event(c, st->id, st->config_sha256, "oci_hook", "hook", what, r == 0, ewhy, sizeof ewhy) <
                0 &&
            r == 0) {
            snprintf(res, sizeof res, "its event: %s", ewhy);
            r = -1; /* no record, no hook run counted as done */
            snprintf(what, sizeof what, "%s[%zu] %.600s: %s", kind, i, k.path, res);
        }
        hook_free(&k);
        if (r < 0) {
            snprintf(why, whylen, "hook %.1300s", what);
            rc = -1;
            break;
        }
    }
    free(state);
out:
    jcs_doc_free(d);
    free(own);
    return rc;
}
