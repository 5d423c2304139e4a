/*
 * net.h - egress enforcement for a cell (runtime/net/, see README.md and
 * docs/network.md): a per-cell gateway network namespace joined to the
 * cell's by a veth pair, an nftables table in it that steers the cell's TCP
 * to a proxy and its DNS to an answerer, and a helper process ("netd") that
 * serves both from the host's side. netd is forked by a backend before the
 * signing key is loaded; it reports to the supervisor over a pipe, and the
 * supervisor turns each report into a signed event.
 *
 * Invariants: nothing is created in the host's network namespace; the
 * gateway namespace is held only by netd (and dies with it, taking the veth
 * pair and the nftables table along); netd dies with the process that
 * started it (PR_SET_PDEATHSIG); no forwarding is enabled anywhere: every
 * byte the cell sends out is read and re-sent by netd's own sockets.
 */
#ifndef CELLOS_NET_H
#define CELLOS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"
#include "runtime/lib/error.h"

struct ev_stream;
struct net_gw;

/* The addresses the cell sees (docs/network.md). */
#define NET_GW4        "100.64.0.1"
#define NET_CELL4      "100.64.0.2"
#define NET_GW6        "fd63:e11::1"
#define NET_CELL6      "fd63:e11::2"
#define NET_PROXY_PORT 15001

/* Can this plan's network be enforced by runtime/net? 0, or -1 with a
 * one-line reason (e.g. UDP rules, rootless). */
int net_check_plan(const struct plan *p, bool rootless, struct cell_error *e);

/* Start netd for a cell whose network namespace is /proc/cell_pid/ns/net
 * (or ns_path when not NULL): the gateway namespace, the veth pair, the
 * cell's addresses and routes, the nftables table, the answerer and the
 * proxy. With ready_fd -1: returns when all of it is ready, or -1 naming
 * the step that failed (netd is then gone). With a ready_fd (the write end
 * of a pipe the cell waits on): returns at once; netd writes 'r' there when
 * ready, or exits (EOF) after reporting its failure, which net_gw_pump then
 * returns as -2 naming the step. */
int net_gw_start(const struct plan *p, pid_t cell_pid, const char *ns_path, int ready_fd, struct net_gw **out,
                 struct cell_error *e);

/* The VM backend's gateway: the same as net_gw_start (and waiting for it
 * like ready_fd -1), but the gateway's end of the link is a tap device,
 * named gw0 like the veth's end so the same nftables table filters it, and
 * there is no cell namespace to configure: *tap_fd gets the tap's queue
 * (IFF_TAP | IFF_NO_PI, close-on-exec) for the VMM's virtio-net device, and
 * the guest configures its end (NET_CELL4/6, default routes via
 * NET_GW4/6). The tap lives as long as a descriptor of it is open (netd
 * keeps none) and the gateway namespace as long as netd or the tap does. */
int net_gw_start_tap(const struct plan *p, struct net_gw **out, int *tap_fd, struct cell_error *e);

/* The report channel (readable when netd has something to say), or -1. */
int net_gw_fd(const struct net_gw *g);

/* Turn what netd reported so far into signed events (non-blocking): 0, -1
 * when the event sink failed, -2 when the gateway failed to set up. */
int net_gw_pump(struct net_gw *g, struct ev_stream *ev, struct cell_error *e);

/* Ask netd for its per-rule counters and wait (bounded) for them; emit
 * them as the network.v1.counters event and keep the totals for
 * net_gw_totals(). Call before the completed event. */
int net_gw_finish(struct net_gw *g, struct ev_stream *ev, struct cell_error *e);
void net_gw_totals(const struct net_gw *g, uint64_t *connections, uint64_t *bytes_out, uint64_t *bytes_in);
/* The DNS queries netd answered (NOERROR) and refused (NXDOMAIN, SERVFAIL,
 * malformed), all of them, reported as dns_query events or not. */
void net_gw_dns_totals(const struct net_gw *g, uint64_t *answered, uint64_t *refused);

/* Kill and reap netd, free g. Safe on NULL; idempotent through *g. */
void net_gw_stop(struct net_gw **g);

/* The resolv.conf text a cell with egress gets (NET_RESOLV_CONF: also
 * what a VM guest's init, which links none of the host side, places). */
#define NET_RESOLV_CONF                                                                                      \
    "# written by cellos: the cell's own DNS answerer\n"                                                     \
    "nameserver " NET_GW4 "\n"                                                                               \
    "options timeout:1 attempts:1\n"
const char *net_resolv_conf(void);

#endif
