/*
 * net_gw.c - the supervisor's side of runtime/net: start netd (forked, so
 * it shares nothing the supervisor loads later, the signing key included),
 * wait for its set-up, turn its reports into signed network.v1 events, ask
 * for the per-rule counters at the end, and stop it.
 */
#include "net.h"
#include "net_int.h"
#include "runtime/events/events.h"
#include "runtime/events/jcs.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETUP_TIMEOUT_MS  10000
#define FINISH_TIMEOUT_MS 2000

struct net_gw {
    const struct plan *p;
    pid_t pid;
    int rep_fd, ctl_fd;
    uint8_t buf[sizeof(struct net_report)];
    size_t have;
    bool done;
    uint64_t conns, out, in;
    uint64_t dns_answered, dns_refused;
};

int net_check_plan(const struct plan *p, bool rootless, struct cell_error *e)
{
    if (p->net.mode != CP_NET_EGRESS)
        return 0;
    if (rootless)
        return cell_err(e, 0,
                        "network: egress is enforced only when cellrun runs as root (a gateway "
                        "namespace, a veth pair and nftables); run as root or without egress");
    return 0;
}

const char *net_resolv_conf(void)
{
    return NET_RESOLV_CONF;
}

static int read_report(struct net_gw *g, struct net_report *r, int timeout_ms)
{
    while (g->have < sizeof g->buf) {
        if (timeout_ms >= 0) {
            struct pollfd pf = { .fd = g->rep_fd, .events = POLLIN };
            int n = poll(&pf, 1, timeout_ms);
            if (n == 0)
                return 0;
            if (n < 0 && errno == EINTR)
                continue;
        }
        ssize_t k = read(g->rep_fd, g->buf + g->have, sizeof g->buf - g->have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN)
            return 0;
        if (k <= 0)
            return -1;
        g->have += (size_t)k;
    }
    memcpy(r, g->buf, sizeof *r);
    g->have = 0;
    r->name[sizeof r->name - 1] = 0;
    r->why[sizeof r->why - 1] = 0;
    return 1;
}

/* The tap's descriptor, which netd sends over the control socket (tap
 * mode) just before its READY report. */
static int recv_fd(int sock)
{
    char c;
    int fd;
    size_t n;
    return sys_recv_fds(sock, &c, 1, &fd, 1, &n) == 1 && n == 1 ? fd : -1;
}

/* Fork netd for the cell namespace ns (veth), or with ns -1 for a tap
 * whose descriptor goes to *tap_fd. */
static int start(const struct plan *p, int ns, int ready_fd, int *tap_fd, struct net_gw **out,
                 struct cell_error *e)
{
    int rp[2] = { -1, -1 }, cp[2] = { -1, -1 };
    struct net_gw *g = NULL;
    const char *what = "report pipe";
    if (pipe2(rp, O_CLOEXEC) < 0)
        goto fail;
    /* the control channel: a socket, so netd can pass the tap's descriptor */
    what = "control socket";
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0)
        goto fail;
    what = "out of memory";
    if (!(g = calloc(1, sizeof *g)))
        goto fail;
    g->p = p;
    pid_t parent = getpid();
    what = "fork";
    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
            _exit(125);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* keep only our descriptors (and stdio), at 3..6: first out of the
         * way of each other, then down */
        int hi[4] = { fcntl(rp[1], F_DUPFD, 64), fcntl(cp[0], F_DUPFD, 64),
                      ns >= 0 ? fcntl(ns, F_DUPFD, 64) : -1,
                      ready_fd >= 0 ? fcntl(ready_fd, F_DUPFD, 64) : -1 };
        if (hi[0] < 0 || hi[1] < 0 || (ns >= 0 && hi[2] < 0) || (ready_fd >= 0 && hi[3] < 0) ||
            dup2(hi[0], 3) < 0 || dup2(hi[1], 4) < 0 || (ns >= 0 && dup2(hi[2], 5) < 0) ||
            (ready_fd >= 0 && dup2(hi[3], 6) < 0))
            _exit(125);
        syscall(SYS_close_range, ready_fd >= 0 ? 7u : 6u, ~0u, 0u);
        netd_main(p, 3, 4, ns >= 0 ? 5 : -1, ready_fd >= 0 ? 6 : -1);
    }
    if (ns >= 0)
        close(ns);
    close(rp[1]);
    close(cp[0]);
    g->pid = pid;
    g->rep_fd = rp[0];
    g->ctl_fd = cp[1];
    *out = g;
    if (ready_fd >= 0) {
        int fl = fcntl(g->rep_fd, F_GETFL);
        fcntl(g->rep_fd, F_SETFL, fl | O_NONBLOCK);
        return 0; /* the cell waits for netd itself */
    }
    struct net_report r;
    int k = read_report(g, &r, SETUP_TIMEOUT_MS);
    if (k == 1 && r.kind == NR_READY && tap_fd && (*tap_fd = recv_fd(g->ctl_fd)) < 0) {
        cell_err(e, 0, "network: netd did not pass the gateway's tap device");
        net_gw_stop(out);
        return -1;
    }
    if (k == 1 && r.kind == NR_READY) {
        int fl = fcntl(g->rep_fd, F_GETFL);
        fcntl(g->rep_fd, F_SETFL, fl | O_NONBLOCK);
        return 0;
    }
    if (k == 1 && r.kind == NR_ERROR)
        cell_err_sys(e, (int)r.a, "network: %s", r.why);
    else
        cell_err(e, 0, "network: the egress gateway did not start (%s)", k == 0 ? "timed out" : "it died");
    net_gw_stop(out);
    return -1;

fail:; /* before netd exists: close what was made, keep the first errno */
    int err = errno;
    free(g);
    sys_close_quiet(ns);
    sys_close_quiet(rp[0]);
    sys_close_quiet(rp[1]);
    sys_close_quiet(cp[0]);
    sys_close_quiet(cp[1]);
    return cell_err_sys(e, err, "network: %s", what);
}

int net_gw_start(const struct plan *p, pid_t cell_pid, const char *ns_path, int ready_fd, struct net_gw **out,
                 struct cell_error *e)
{
    *out = NULL;
    char path[64];
    if (!ns_path) {
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)cell_pid);
        ns_path = path;
    }
    int ns = open(ns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return cell_err_sys(e, errno, "network: opening the cell's network namespace %s", ns_path);
    /* never the supervisor's own: the veth's cell end, its addresses and
     * routes would land in the host's namespace */
    struct stat cs, hs;
    if (fstat(ns, &cs) < 0 || stat("/proc/self/ns/net", &hs) < 0 ||
        (cs.st_dev == hs.st_dev && cs.st_ino == hs.st_ino)) {
        close(ns);
        return cell_err(e, 0, "network: %s is the host's network namespace, not the cell's", ns_path);
    }
    return start(p, ns, ready_fd, NULL, out, e);
}

int net_gw_start_tap(const struct plan *p, struct net_gw **out, int *tap_fd, struct cell_error *e)
{
    *out = NULL;
    *tap_fd = -1;
    return start(p, -1, -1, tap_fd, out, e);
}

int net_gw_fd(const struct net_gw *g)
{
    return g && !g->done ? g->rep_fd : -1;
}

/* A report's string made valid UTF-8 for an event: the cell chooses a DNS
 * query's name bytes (anything but NUL and '.'), and a string that is not
 * UTF-8 cannot be an event, so each byte that does not begin a valid UTF-8
 * sequence becomes U+FFFD. out has room for 3 bytes per byte of in. */
static const char *utf8_clean(const char *in, char *out)
{
    size_t n = strlen(in), i = 0, o = 0;
    while (i < n) {
        size_t ok = jcs_utf8_valid_prefix(in + i, n - i);
        memcpy(out + o, in + i, ok);
        o += ok;
        i += ok;
        if (i < n) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    out[o] = 0;
    return out;
}

static int emit(struct net_gw *g, struct ev_stream *ev, const struct net_report *r, struct cell_error *e)
{
    char namebuf[3 * sizeof r->name], whybuf[3 * sizeof r->why];
    const char *name = utf8_clean(r->name, namebuf), *why = utf8_clean(r->why, whybuf);
    char addr[64] = "", target[300] = "";
    if (r->family)
        net_addr_str(r->family, r->addr, addr, sizeof addr);
    const struct plan_egress *rule =
        r->rule >= 0 && (size_t)r->rule < g->p->net.n_egress ? &g->p->net.egress[r->rule] : NULL;
    if (rule && rule->kind == CP_EGRESS_HOST)
        snprintf(target, sizeof target, "%s", rule->host);
    else if (rule) {
        char a[64];
        snprintf(target, sizeof target, "%s/%u", net_addr_str(rule->family, rule->addr, a, sizeof a),
                 rule->prefix);
    }
    switch (r->kind) {
    case NR_DNS: {
        struct ev_kv kv[] = {
            { .key = "name", .type = EV_KV_STR, .s = name },
            { .key = "qtype", .type = EV_KV_INT, .i = r->qtype },
            { .key = "decision", .type = EV_KV_STR, .s = r->rule >= 0 ? "answered" : "nxdomain" },
            { .key = "answer", .type = EV_KV_STR, .s = addr },
            { .key = "rule", .type = EV_KV_INT, .i = r->rule },
            { .key = "reason", .type = EV_KV_STR, .s = why },
        };
        return ev_network(ev, "dns_query", kv, sizeof kv / sizeof *kv, e);
    }
    case NR_REFUSED: {
        struct ev_kv kv[] = {
            { .key = "destination", .type = EV_KV_STR, .s = addr },
            { .key = "port", .type = EV_KV_INT, .i = r->port },
            { .key = "protocol",
              .type = EV_KV_STR,
              .s = r->proto == 6   ? "tcp"
                  : r->proto == 17 ? "udp"
                                   : "icmp" },
            { .key = "name", .type = EV_KV_STR, .s = name },
            { .key = "reason", .type = EV_KV_STR, .s = why },
        };
        return ev_network(ev, "flow_refused", kv, sizeof kv / sizeof *kv, e);
    }
    case NR_UNRESOLVED: {
        struct ev_kv kv[] = {
            { .key = "name", .type = EV_KV_STR, .s = name },
            { .key = "reason", .type = EV_KV_STR, .s = why },
        };
        return ev_network(ev, "name_unresolved", kv, sizeof kv / sizeof *kv, e);
    }
    case NR_COUNTER: {
        g->conns += r->a;
        g->out += r->b;
        g->in += r->c;
        struct ev_kv kv[] = {
            { .key = "rule", .type = EV_KV_INT, .i = r->rule },
            { .key = "line", .type = EV_KV_INT, .i = rule ? rule->line : 0 },
            { .key = "target", .type = EV_KV_STR, .s = target },
            { .key = "connections", .type = EV_KV_INT, .i = (int64_t)r->a },
            { .key = "bytes_out", .type = EV_KV_INT, .i = (int64_t)r->b },
            { .key = "bytes_in", .type = EV_KV_INT, .i = (int64_t)r->c },
        };
        return ev_network(ev, "rule_counters", kv, sizeof kv / sizeof *kv, e);
    }
    case NR_DONE:
        g->dns_answered = r->a;
        g->dns_refused = r->b;
        g->done = true;
        return 0;
    case NR_ERROR: cell_err_sys(e, (int)r->a, "network: %s", r->why); return -2;
    default: return 0;
    }
}

int net_gw_pump(struct net_gw *g, struct ev_stream *ev, struct cell_error *e)
{
    if (!g || g->done)
        return 0;
    for (;;) {
        struct net_report r;
        int k = read_report(g, &r, -1);
        if (k <= 0) {
            if (k < 0)
                g->done = true; /* netd is gone: nothing more to say */
            return 0;
        }
        int rc = ev || r.kind == NR_ERROR ? emit(g, ev, &r, e) : 0;
        if (rc < 0)
            return rc;
    }
}

int net_gw_finish(struct net_gw *g, struct ev_stream *ev, struct cell_error *e)
{
    if (!g || g->done)
        return 0;
    if (net_gw_pump(g, ev, e) == -1)
        return -1;
    if (write(g->ctl_fd, "f", 1) != 1)
        return 0;
    while (!g->done) {
        struct net_report r;
        int k = read_report(g, &r, FINISH_TIMEOUT_MS);
        if (k <= 0)
            break;
        if (ev && emit(g, ev, &r, e) < 0)
            return -1;
    }
    g->done = true;
    return 0;
}

void net_gw_totals(const struct net_gw *g, uint64_t *connections, uint64_t *bytes_out, uint64_t *bytes_in)
{
    *connections = g ? g->conns : 0;
    *bytes_out = g ? g->out : 0;
    *bytes_in = g ? g->in : 0;
}

void net_gw_dns_totals(const struct net_gw *g, uint64_t *answered, uint64_t *refused)
{
    *answered = g ? g->dns_answered : 0;
    *refused = g ? g->dns_refused : 0;
}

void net_gw_stop(struct net_gw **gp)
{
    struct net_gw *g = *gp;
    if (!g)
        return;
    if (g->pid > 0) {
        kill(g->pid, SIGKILL);
        while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    close(g->rep_fd);
    close(g->ctl_fd);
    free(g);
    *gp = NULL;
}
