/*
 * oci_shim.c - `create` (and `run`): the bundle becomes a plan, and a
 * long-lived per-container supervisor runs it.
 *
 * create: check the id and --root, load runtime.conf and the bundle,
 * translate and compile (or take the io.cellos.plan plan), and only then
 * make the state directory. A refused container leaves nothing behind: its
 * violations go to the log, one line each, and a signed `ocr_refused` event
 * to the sink. Then the supervisor is double-forked (so the caller may
 * exit; the engine, a subreaper, inherits it) and runs the plan with the
 * ordinary supervisor core, holding the cell's go (the cell exists, in its
 * namespaces, stopped before its first step) until `start` writes to the
 * fifo. That process is the container's pid (--pid-file, `state`): the
 * engine waits on it and signals it; it forwards signals to the workload,
 * signs the events, and exits with the workload's status. SIGKILL of it
 * takes the whole cell (the cell's init has PDEATHSIG, the cgroup reaper
 * removes the cgroups).
 */
#include "oci_rt.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "runtime/backend/backend.h"
#include "runtime/supervisor/supervisor.h"
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct hold_ctx {
    struct ocr_state *st;
    unsigned long joined; /* CLONE_NEW* types joined by path (oci_join.c) */
    bool gate;            /* the start gate (native): created = set up */
    const struct ocr_conf *conf;
    int host_ns[3];        /* cellrun's own net, ipc, uts (hooks run there) */
    int ready_fd;          /* the create caller's pipe; -1 once told */
    char hook_failed[600]; /* a create hook failed: create runs poststop */
    int fifo_fd;
    bool auto_start;
};

static void now_rfc3339(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%.20s.%09dZ", b, (int)(ts.tv_nsec % 1000000000));
}

/* The container exists (created): record it, tell the create caller. */
static int created(struct hold_ctx *h, pid_t cell_pid, struct cell_error *e)
{
    char why[512];
    bool z;
    h->st->pid = getpid();
    h->st->cell_pid = cell_pid;
    h->st->starttime = ocr_proc_starttime(getpid(), &z);
    h->st->started = h->auto_start;
    h->st->set_up = h->gate;
    /* the container's pid is this process: engines read its /proc/PID/ns/
     * to let a pod's next container join, so they must be the cell's */
    if (ocr_wear_cell_ns(cell_pid, h->joined, why, sizeof why) < 0)
        return cell_err(e, 0, "%s", why);
    /* create's hooks, the cell built and its workload at the start gate */
    if (h->gate) {
        char hw[1500];
        if (ocr_hooks_run(h->conf, h->st, OCI_CREATING, NULL, "prestart", OCI_HOOK_RUNTIME, false, h->host_ns,
                          hw, sizeof hw) < 0 ||
            ocr_hooks_run(h->conf, h->st, OCI_CREATING, NULL, "createRuntime", OCI_HOOK_RUNTIME, false,
                          h->host_ns, hw, sizeof hw) < 0 ||
            ocr_hooks_run(h->conf, h->st, OCI_CREATING, NULL, "createContainer", OCI_HOOK_CONTAINER, true,
                          h->host_ns, hw, sizeof hw) < 0) {
            snprintf(h->hook_failed, sizeof h->hook_failed, "%.500s", hw);
            return cell_err(e, 0, "%.500s", hw);
        }
    }
    if (ocr_state_save(h->st, why, sizeof why) < 0)
        return cell_err(e, 0, "%s", why);
    if (h->ready_fd >= 0) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "R %d\n", (int)getpid());
        if (write(h->ready_fd, msg, (size_t)n) != n)
            return cell_err(e, 0, "create: the caller is gone");
        close(h->ready_fd);
        h->ready_fd = -1;
    }
    return 0;
}

/* The start gate (native): the supervisor core calls this when the cell
 * is built and its workload waits before exec (LANDLOCK: created; the
 * set-up steps all succeeded) and when it has exec'd (EXEC: running). */
static int gate_step(void *vctx, pid_t cell_pid, unsigned step, struct cell_error *e)
{
    struct hold_ctx *h = vctx;
    char why[512];
    if (step == CELL_STEP_LANDLOCK)
        return created(h, cell_pid, e);
    if (step == CELL_STEP_EXEC && !h->st->started) {
        h->st->started = true;
        if (ocr_state_save(h->st, why, sizeof why) < 0)
            return cell_err(e, 0, "%s", why);
    }
    return 0;
}

/* The hold (other backends, and `run`): the cell exists, stopped before
 * its first step; created, then wait for `start`. */
static int hold(void *vctx, pid_t cell_pid, struct cell_error *e)
{
    struct hold_ctx *h = vctx;
    char why[512];
    if (created(h, cell_pid, e) < 0)
        return -1;
    if (h->auto_start)
        return 0;
    /* created: wait for `start` (a byte in the fifo) or a signal (kill) */
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&set, sigs[i]);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return cell_err_sys(e, errno, "signalfd");
    for (;;) {
        struct pollfd pf[2] = { { .fd = h->fifo_fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            close(sfd);
            return cell_err_sys(e, errno, "poll");
        }
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                close(sfd);
                return cell_err(e, 0, "container killed by signal %u before start", si.ssi_signo);
            }
        }
        if (pf[0].revents & POLLIN) {
            char c;
            if (read(h->fifo_fd, &c, 1) == 1)
                break;
        }
    }
    close(sfd);
    close(h->fifo_fd);
    h->fifo_fd = -1;
    h->st->started = true;
    if (ocr_state_save(h->st, why, sizeof why) < 0)
        return cell_err(e, 0, "%s", why);
    return 0;
}

/* A signed event saying why a container was refused (the log has the
 * same lines). */
static void refused_event(const struct ocr_global *g, const struct ocr_conf *c, const char *id,
                          const char *digest, const struct ocr_msgs *viol)
{
    char all[4096] = "", why[600];
    for (size_t i = 0; i < viol->n; i++) {
        size_t l = strlen(all);
        snprintf(all + l, sizeof all - l, "%s%s", i ? "; " : "", viol->v[i]);
    }
    /* one line with the refusal and the event's failure: an engine may show
     * only one line of stderr (Podman picks the first "no such file" one) */
    if (ocr_event(c, id, digest, "oci_refused", "why", all, false, why, sizeof why) < 0)
        ocr_log(g, "error", "container \"%s\" refused (%.300s%s); its refusal event was not written: %s", id,
                viol->n ? viol->v[0] : "", viol->n > 1 ? "; ..." : "", why);
}

/* The events file's directory must exist before a container is made: say
 * so, naming runtime.conf, instead of a bare open error after the cell's
 * set-up (and without strerror text an engine would read as "runtime not
 * found"). */
static int events_dir_check(const struct ocr_conf *c, char *why, size_t whylen)
{
    char dir[sizeof c->events];
    snprintf(dir, sizeof dir, "%s", c->events);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    if (slash == dir)
        slash[1] = 0;
    else
        *slash = 0;
    struct stat sb;
    int r = stat(dir, &sb);
    if (r == 0 && S_ISDIR(sb.st_mode))
        return 0;
    snprintf(why, whylen,
             "%.200s: events = %.200s: the directory %.200s %s (create it first: mkdir -p %.200s)", c->path,
             c->events, dir, r < 0 && errno == ENOENT ? "does not exist" : "is not a usable directory", dir);
    return -1;
}

/* Build the plan bytes for the bundle; -1 with every reason in viol. */
static int make_plan(const struct ocr_global *g, const struct ocr_conf *c, const struct ocr_bundle *b,
                     uint8_t **plan, size_t *plan_len, char **policy, struct ocr_msgs *viol)
{
    *policy = NULL;
    if (b->plan_path[0]) {
        char why[600], *bytes;
        size_t len;
        if (b->plan_path[0] != '/') {
            ocr_msgs_add(viol, "annotations.io.cellos.plan: must be an absolute path");
            return -1;
        }
        /* a precompiled plan passes neither the host pack nor the
         * translation's checks: only a signature by a key of runtime.conf
         * trust makes it the host's grant, so without a trust file none runs */
        if (!c->trust[0]) {
            ocr_msgs_add(viol,
                         "annotations.io.cellos.plan: %.300s: a precompiled plan needs runtime.conf trust "
                         "(it would bypass the host pack unchecked)",
                         b->plan_path);
            return -1;
        }
        if (ocr_read_file(b->plan_path, 64 << 20, &bytes, &len, why, sizeof why) < 0) {
            ocr_msgs_add(viol, "annotations.io.cellos.plan: %s", why);
            return -1;
        }
        *plan = (uint8_t *)bytes;
        *plan_len = len;
        return 0;
    }
    /* the host pack: pack = DIR/NAME.cell; io.cellos.pack picks DIR/OTHER.cell */
    char dir[512], name[128];
    const char *slash = strrchr(c->pack, '/');
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - c->pack), c->pack);
    if (!dir[0])
        strcpy(dir, "/");
    if (b->pack_name[0]) {
        if (strchr(b->pack_name, '/') || b->pack_name[0] == '.') {
            ocr_msgs_add(viol, "annotations.io.cellos.pack: \"%.64s\": a pack name in %s, without '/'",
                         b->pack_name, dir);
            return -1;
        }
        snprintf(name, sizeof name, "%s", b->pack_name);
    } else {
        snprintf(name, sizeof name, "%s", slash + 1);
        size_t n = strlen(name);
        if (n > 5 && !strcmp(name + n - 5, ".cell"))
            name[n - 5] = 0;
    }
    char packfile[700];
    snprintf(packfile, sizeof packfile, "%s/%s.cell", dir, name);
    if (access(packfile, R_OK) < 0) {
        ocr_msgs_add(viol, "host pack %s: %s (runtime.conf pack)", packfile, strerror(errno));
        return -1;
    }
    struct ocr_msgs notes = { 0 };
    int r = ocr_translate(b, c, name, policy, viol, &notes);
    for (size_t i = 0; i < notes.n; i++)
        ocr_log(g, "info", "%s", notes.v[i]);
    ocr_msgs_free(&notes);
    if (r < 0) {
        /* every violation: also what the compiler and the pack say */
        if (*policy) {
            struct ocr_msgs more = { 0 };
            uint8_t *bytes = NULL;
            size_t len = 0;
            if (ocr_compile(*policy, dir, &bytes, &len, &more) < 0)
                for (size_t i = 0; i < more.n; i++)
                    if (strstr(more.v[i], "ceiling") || strstr(more.v[i], "must be set") ||
                        strstr(more.v[i], "require"))
                        ocr_msgs_add(viol, "%s", more.v[i]);
            free(bytes);
            ocr_msgs_free(&more);
        }
        return -1;
    }
    if (g->debug)
        ocr_log(g, "debug", "policy:\n%s", *policy);
    return ocr_compile(*policy, dir, plan, plan_len, viol);
}

/* The supervisor's word on create: 0 (R: created, its pid), -1 (E: failed)
 * or -2 (H: a prestart, createRuntime or createContainer hook failed and
 * the container was destroyed; poststop is owed, runtime.md step 13). */
static int read_ready(int fd, pid_t *pid, char *why, size_t whylen)
{
    char buf[700];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(buf, '\n', n) || n == sizeof buf - 1)
            break;
    }
    buf[n] = 0;
    if (n > 2 && buf[0] == 'R') {
        *pid = (pid_t)atoi(buf + 2);
        return 0;
    }
    /* failed: wait until the supervisor (and its cell) are gone, so a
     * failed create leaves nothing running */
    char drain[256];
    ssize_t r;
    while ((r = read(fd, drain, sizeof drain)) > 0 || (r < 0 && errno == EINTR))
        ;
    snprintf(why, whylen, "%s",
             n > 2 && (buf[0] == 'E' || buf[0] == 'H') ? buf + 2
                                                       : "the container's supervisor ended during set-up");
    char *nl = strchr(why, '\n');
    if (nl)
        *nl = 0;
    return n > 2 && buf[0] == 'H' ? -2 : -1;
}

/* The container's supervisor: runs in the (grand)child. Returns the
 * workload's status. */
static int supervise(const struct ocr_conf *c, struct ocr_state *st, const struct ocr_bundle *b,
                     const struct ocr_joins *joins, int ready_fd, int fifo_fd, bool auto_start,
                     const char *console_socket)
{
    char why[600];
    /* cellrun's own namespaces, for the hooks that run in them */
    int host_ns[3] = { -1, -1, -1 };
    static const char *const hn[3] = { "/proc/self/ns/net", "/proc/self/ns/ipc", "/proc/self/ns/uts" };
    for (int i = 0; i < 3; i++)
        host_ns[i] = open(hn[i], O_RDONLY | O_CLOEXEC);
    /* the engine's namespaces: entered here, shared by the cell */
    if (ocr_joins_enter(joins, why, sizeof why) < 0) {
        if (ready_fd >= 0)
            dprintf(ready_fd, "E %s\n", why);
        else
            fprintf(stderr, "cellrun: %s\n", why);
        return 125;
    }
    struct backend_note notes[OCI_MAX_JOINS];
    memset(notes, 0, sizeof notes);
    for (size_t i = 0; i < joins->n; i++) {
        snprintf(notes[i].name, sizeof notes[i].name, "ns_join");
        snprintf(notes[i].what, sizeof notes[i].what, "%s", joins->v[i].name);
        snprintf(notes[i].why, sizeof notes[i].why, "%.150s (%s:[%lu])", joins->v[i].path, joins->v[i].name,
                 joins->v[i].ino);
    }
    if (console_socket) {
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char *pts = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 ? ptsname(m) : NULL;
        int sl = pts ? open(pts, O_RDWR | O_NOCTTY) : -1;
        if (sl < 0 || ocr_send_fd(console_socket, m, why, sizeof why) < 0) {
            if (sl < 0)
                snprintf(why, sizeof why, "console: cannot open a pty: %s", strerror(errno));
            dprintf(ready_fd, "E %s\n", why);
            return 125;
        }
        close(m);
        dup2(sl, 0);
        dup2(sl, 1);
        dup2(sl, 2);
        if (sl > 2)
            close(sl);
    }
    struct backend_fact facts[5];
    size_t nf = 0;
    memset(facts, 0, sizeof facts);
    snprintf(facts[nf].key, sizeof facts[nf].key, "container");
    snprintf(facts[nf++].str, sizeof facts[0].str, "%.127s", st->id);
    snprintf(facts[nf].key, sizeof facts[nf].key, "configdigest");
    snprintf(facts[nf++].str, sizeof facts[0].str, "%.127s", b->config_sha256);
    snprintf(facts[nf].key, sizeof facts[nf].key, "bundle");
    snprintf(facts[nf++].str, sizeof facts[0].str, "%.127s", b->bundle);
    if (b->pod[0]) {
        snprintf(facts[nf].key, sizeof facts[nf].key, "k8spod");
        snprintf(facts[nf++].str, sizeof facts[0].str, "%.127s", b->pod);
    }
    if (b->pod_ns[0]) {
        snprintf(facts[nf].key, sizeof facts[nf].key, "k8snamespace");
        snprintf(facts[nf++].str, sizeof facts[0].str, "%.127s", b->pod_ns);
    }
    char plan_path[1100];
    snprintf(plan_path, sizeof plan_path, "%s/plan.bin", st->dir);
    struct hold_ctx h = { .st = st,
                          .joined = joins->flags,
                          .conf = c,
                          .host_ns = { host_ns[0], host_ns[1], host_ns[2] },
                          .ready_fd = ready_fd,
                          .fifo_fd = fifo_fd,
                          .auto_start = auto_start };
    struct sup_options o;
    memset(&o, 0, sizeof o);
    o.plan_path = plan_path;
    o.events[0] = c->events;
    o.n_events = 1;
    o.key_path = c->unsigned_run ? NULL : c->key;
    o.unsigned_run = c->unsigned_run;
    o.trust_path = b->plan_path[0] && c->trust[0] ? c->trust : NULL;
    o.backend = b->backend[0] ? b->backend : c->backend;
    o.facts = facts;
    o.n_facts = nf;
    o.hold_ctx = &h;
    if (!auto_start && !strcmp(o.backend, "native")) {
        /* create runs the whole set-up (a failure fails create); the
         * workload waits before exec for the byte `start` writes */
        o.start_gate = h.gate = true;
        o.start_fd = fifo_fd;
        o.step_hook = gate_step;
    } else {
        o.hold = hold;
    }
    o.share_ns = joins->flags;
    o.notes = notes;
    o.n_notes = joins->n;
    int status = supervisor_run(&o);
    for (int i = 0; i < 3; i++)
        if (host_ns[i] >= 0)
            close(host_ns[i]);
    if (h.ready_fd >= 0 && h.hook_failed[0]) /* the container is gone: create runs poststop */
        dprintf(h.ready_fd, "H %s\n", h.hook_failed);
    else if (h.ready_fd >= 0) /* never reached the hold: create fails */
        dprintf(h.ready_fd, "E the cell could not be built (status %d; see the log and events)\n", status);
    st->exited = true;
    st->exit_status = status;
    if (st->pid > 0)
        ocr_state_save(st, why, sizeof why);
    return status;
}

int ocr_create(const struct ocr_global *g, const struct ocr_create_opts *o)
{
    char why[1200];
    if (ocr_id_check(o->id, why, sizeof why) < 0 || ocr_root_open(g->root, why, sizeof why) < 0) {
        ocr_log(g, "error", "%s", why);
        return OCI_EXIT_ERR;
    }
    struct ocr_conf c;
    if (ocr_conf_load(&c, why, sizeof why) < 0 || events_dir_check(&c, why, sizeof why) < 0) {
        ocr_log(g, "error", "%s", why);
        return OCI_EXIT_ERR;
    }
    snprintf(c.state_root, sizeof c.state_root, "%s", g->root);
    struct stat sb;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/%s", g->root, o->id);
    if (lstat(dir, &sb) == 0) {
        ocr_log(g, "error", "container \"%s\" already exists", o->id);
        return OCI_EXIT_ERR;
    }
    struct ocr_bundle b;
    if (ocr_bundle_load(o->bundle ? o->bundle : ".", &b, why, sizeof why) < 0) {
        ocr_log(g, "error", "%s", why);
        ocr_bundle_free(&b);
        return OCI_EXIT_ERR;
    }
    if (b.terminal && !o->console_socket && !o->foreground) {
        ocr_log(g, "error", "process.terminal is true: --console-socket is required");
        ocr_bundle_free(&b);
        return OCI_EXIT_ERR;
    }
    uint8_t *plan = NULL;
    size_t plan_len = 0;
    char *policy = NULL;
    struct ocr_msgs viol = { 0 };
    struct ocr_joins joins;
    int jr = ocr_joins_open(b.root, &c, &joins, &viol);
    bool hooks = false;
    if (ocr_hooks_check(b.root, &c, &hooks, &viol) < 0)
        jr = -1;
    const char *backend = b.backend[0] ? b.backend : c.backend;
    if (hooks && (o->foreground || strcmp(backend, "native"))) {
        ocr_msgs_add(&viol, "hooks: run only by create and start with the native backend (not %s%s)",
                     o->foreground ? "run in the foreground" : "backend ", o->foreground ? "" : backend);
        jr = -1;
    }
    if (make_plan(g, &c, &b, &plan, &plan_len, &policy, &viol) < 0 || jr < 0) {
        ocr_log(g, "error", "container \"%s\" refused: %zu violation%s of what the host allows", o->id,
                viol.n, viol.n == 1 ? "" : "s");
        for (size_t i = 0; i < viol.n; i++)
            ocr_log(g, "error", "  %s", viol.v[i]);
        refused_event(g, &c, o->id, b.config_sha256, &viol);
        ocr_joins_close(&joins);
        ocr_msgs_free(&viol);
        free(policy);
        ocr_bundle_free(&b);
        return OCI_EXIT_ERR;
    }
    /* only now does anything exist on the host */
    struct ocr_state st;
    memset(&st, 0, sizeof st);
    snprintf(st.id, sizeof st.id, "%s", o->id);
    snprintf(st.dir, sizeof st.dir, "%.1000s", dir);
    snprintf(st.bundle, sizeof st.bundle, "%s", b.bundle);
    snprintf(st.config_sha256, sizeof st.config_sha256, "%s", b.config_sha256);
    now_rfc3339(st.created, sizeof st.created);
    {
        /* the annotations, kept as the JSON text of the object */
        const struct jcs_value *a = jcs_object_get(b.root, "annotations");
        struct jcs_buf jb = { 0 };
        if (a && jcs_serialize(a, NULL, &jb) == 0 && jb.len < sizeof st.annotations) {
            memcpy(st.annotations, jb.p, jb.len);
            st.annotations[jb.len] = 0;
        } else {
            strcpy(st.annotations, "{}");
        }
        jcs_buf_free(&jb);
    }
    int rc = OCI_EXIT_ERR;
    char path[1200];
    int fifo = -1, pfd[2] = { -1, -1 };
    bool poststop = false;
    if (mkdir(dir, 0700) < 0) {
        ocr_log(g, "error", "%s: %s", dir, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/plan.bin", dir);
    if (ocr_write_file(path, plan, plan_len, 0600, why, sizeof why) < 0)
        goto fail;
    if (policy) {
        snprintf(path, sizeof path, "%s/policy.cell", dir);
        if (ocr_write_file(path, policy, strlen(policy), 0600, why, sizeof why) < 0)
            goto fail;
    }
    if (ocr_hooks_save(dir, b.root, why, sizeof why) < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/start", dir);
    if (mkfifo(path, 0600) < 0 || (fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
        snprintf(why, sizeof why, "%.1000s: %s", path, strerror(errno));
        goto fail;
    }
    if (o->foreground) {
        /* run: this process is the supervisor; the container is removed after */
        st.pid = getpid();
        int status = supervise(&c, &st, &b, &joins, -1, fifo, true, NULL);
        ocr_joins_close(&joins);
        ocr_state_remove(dir);
        free(plan);
        free(policy);
        ocr_bundle_free(&b);
        return status;
    }
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(why, sizeof why, "pipe: %s", strerror(errno));
        goto fail;
    }
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        snprintf(why, sizeof why, "fork: %s", strerror(errno));
        goto fail;
    }
    if (child == 0) {
        close(pfd[0]);
        setsid();
        pid_t gc = fork();
        if (gc != 0)
            _exit(gc < 0 ? 1 : 0);
        int status = supervise(&c, &st, &b, &joins, pfd[1], fifo, false, o->console_socket);
        _exit(status);
    }
    close(pfd[1]);
    pfd[1] = -1;
    int ws;
    waitpid(child, &ws, 0);
    pid_t spid = 0;
    int ready = read_ready(pfd[0], &spid, why, sizeof why);
    if (ready < 0) {
        poststop = ready == -2;
        goto fail;
    }
    if (o->pid_file) {
        if (ocr_write_pid_file(o->pid_file, spid, why, sizeof why) < 0) {
            kill(spid, SIGKILL);
            goto fail;
        }
    }
    rc = 0;
    goto out;
fail:
    ocr_log(g, "error", "%s", why);
    {
        /* runtime.md: a failed prestart, createRuntime or createContainer
         * hook: an error, the container stopped and destroyed (the
         * supervisor has ended, its cell with it), then the poststop hooks
         * (a failure of one is a warning), each a signed oci_hook event */
        char *ps = poststop ? ocr_hooks_load(dir) : NULL;
        ocr_state_remove(dir);
        if (ps &&
            ocr_hooks_run(&c, &st, OCI_STOPPED, ps, "poststop", OCI_HOOK_RUNTIME, false, NULL, why,
                          sizeof why) < 0)
            ocr_log(g, "warning", "container \"%s\": %s", o->id, why);
        free(ps);
    }
out:
    ocr_joins_close(&joins);
    if (fifo >= 0)
        close(fifo);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    free(plan);
    free(policy);
    ocr_bundle_free(&b);
    return rc;
}

int ocr_start(const struct ocr_global *g, const char *id)
{
    struct ocr_state st;
    int got = ocr_state_get(g, id, &st);
    if (got < 0)
        return OCI_EXIT_ERR;
    enum ocr_status s = (enum ocr_status)got;
    if (s != OCI_CREATED) {
        ocr_log(g, "error", "container \"%s\" is %s, not created: cannot start it", id, ocr_status_name(s));
        return OCI_EXIT_ERR;
    }
    /* startContainer hooks: in the created container, before its program */
    struct ocr_conf c;
    char hw[1500];
    char *hooks = ocr_hooks_load(st.dir);
    if (hooks && ocr_conf_load(&c, hw, sizeof hw) < 0) {
        ocr_log(g, "error", "container \"%s\": its hooks: %s", id, hw);
        free(hooks);
        return OCI_EXIT_ERR;
    }
    if (hooks &&
        ocr_hooks_run(&c, &st, OCI_CREATED, hooks, "startContainer", OCI_HOOK_CELL, false, NULL, hw,
                      sizeof hw) < 0) {
        /* runtime.md: an error, and the container is stopped */
        ocr_log(g, "error", "container \"%s\": %s: the container is stopped", id, hw);
        if (st.pid > 0)
            kill(st.pid, SIGKILL);
        free(hooks);
        return OCI_EXIT_ERR;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/start", st.dir);
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || write(fd, "s", 1) != 1) {
        ocr_log(g, "error", "container \"%s\": cannot start it: %s", id, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(hooks);
        return OCI_EXIT_ERR;
    }
    close(fd);
    unlink(path); /* a second start finds no fifo */
    /* wait (up to 10 s) until the workload has exec'd */
    for (int i = 0; i < 50000; i++) {
        bool missing;
        char why[1200];
        if (ocr_state_load(g->root, id, &st, &missing, why, sizeof why) < 0)
            break;
        s = ocr_state_status(&st);
        if (s == OCI_RUNNING || s == OCI_STOPPED) {
            /* poststart: the program runs; a failure is a warning */
            if (hooks &&
                ocr_hooks_run(&c, &st, s, hooks, "poststart", OCI_HOOK_RUNTIME, false, NULL, hw, sizeof hw) <
                    0)
                ocr_log(g, "warning", "container \"%s\": %s", id, hw);
            free(hooks);
            return 0;
        }
        usleep(200);
    }
    free(hooks);
    ocr_log(g, "error", "container \"%s\" did not start", id);
    return OCI_EXIT_ERR;
}
