/*
 * net_netd.h - netd's state and the calls its files share: net_netd.c
 * (set-up, the DNS answerer, name pinning, refusals, the main loop) and
 * net_proxy.c (the TCP proxy). One netd per cell, one process; the name
 * table and the refused set are under d->mu, counters are atomics, reports
 * are fixed-size records written atomically to the supervisor's pipe.
 */
#ifndef CELLOS_NET_NETD_H
#define CELLOS_NET_NETD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_int.h"
#include "plan.h"

#define MAX_PINNED     8
#define MAX_REFUSED    4096
#define MAX_DNS_EVENTS 4096 /* CELLOS_NET_DNS_EVENTS (test-only) lowers it */
#define MAX_HOSTADDR   64

struct syn {
    char name[DNS_MAX_NAME + 1];
    bool resolved;
    int n; /* pinned real addresses */
    uint8_t fam[MAX_PINNED];
    uint8_t addr[MAX_PINNED][16];
};

struct refused {
    uint8_t family, proto;
    uint16_t port;
    uint8_t addr[16];
};

struct counters {
    atomic_uint_fast64_t conns, out, in;
};

struct netd {
    const struct plan *p;
    int report_fd;
    pthread_mutex_t mu;
    struct syn *syn;
    size_t nsyn;
    struct refused *ref;
    size_t nref;
    struct counters *ctr;
    uint8_t hostaddr[MAX_HOSTADDR][16];
    uint8_t hostfam[MAX_HOSTADDR];
    int nhost;
    const char *hosts_file; /* CELLOS_NET_HOSTS: test-only name -> address list */
    struct udp_relay *udp;  /* NULL without UDP rules (net_udp.c) */
    /* DNS queries (the answerer's thread only): answered (NOERROR), refused
     * (NXDOMAIN, SERVFAIL, malformed), and how many were reported of at
     * most dns_events_max */
    uint64_t dns_answered, dns_refused;
    size_t dns_events, dns_events_max;
};

/* One report to the supervisor (an atomic pipe write). */
void netd_report(struct netd *d, struct net_report *r);
/* Pin the real addresses of synthetic name idx (first answer wins, kept for
 * the cell's life; may block on the host's resolver). Without d->mu held. */
void netd_resolve(struct netd *d, size_t idx);
/* The synthetic index an address stands for, or -1. */
long netd_syn_lookup(struct netd *d, int family, const uint8_t *a);
/* Report the first refused attempt per (family, protocol, address, port). */
void netd_refused_flow(struct netd *d, int family, uint8_t proto, const uint8_t *addr, uint16_t port,
                       const char *name, const char *why);
/* Why addr may not be dialled for a cell, or NULL. by_name: reached by a
 * name rule (private ranges then need a CIDR rule too). */
const char *netd_dial_denied(struct netd *d, int family, const uint8_t *a, bool by_name);

/* ---- the TCP proxy (net_proxy.c) ----------------------------------------- */
/* Serve the listening sockets lst4 and lst6 (the gateway's port 15001) from
 * worker threads of their own; call from the host's namespace (the workers
 * dial from the namespace they start in). 0, or -1 with errno. */
int proxy_start(struct netd *d, int lst4, int lst6);

#endif
