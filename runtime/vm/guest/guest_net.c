/*
 * guest_net.c - the guest's end of a VM cell's egress link (docs/network.md):
 * wait for the virtio-net interface the host attached (its host end is a
 * tap in the cell's gateway namespace, runtime/net/), move it into the
 * cell's own network namespace, and give it there the cell's addresses and
 * default routes via the gateway, exactly as netd does for a native cell's
 * veth. The gateway filters everything the interface sends; the guest's own
 * namespace keeps only its loopback.
 */
#include "guest_init.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime/net/net.h"
#include "runtime/net/net_nl.h"

/* The cell's end, inside its namespace: addresses, link up, default routes. */
static const char *configure(const char *ifname)
{
    uint8_t a[16];
    int nl = nl_open();
    if (nl < 0)
        return "rtnetlink in the cell's namespace";
    const char *fail = NULL;
    if (inet_pton(AF_INET, NET_CELL4, a) != 1 || nl_addr(nl, ifname, AF_INET, a, 30) < 0)
        fail = "cell address (IPv4)";
    else if (inet_pton(AF_INET6, NET_CELL6, a) != 1 || nl_addr(nl, ifname, AF_INET6, a, 126) < 0)
        fail = "cell address (IPv6)";
    else if (nl_link_up(nl, ifname) < 0)
        fail = "cell link up";
    else if (inet_pton(AF_INET, NET_GW4, a) != 1 || nl_default_route(nl, ifname, AF_INET, a) < 0)
        fail = "cell default route (IPv4)";
    else if (inet_pton(AF_INET6, NET_GW6, a) != 1 || nl_default_route(nl, ifname, AF_INET6, a) < 0)
        fail = "cell default route (IPv6)";
    int err = errno;
    close(nl);
    errno = err;
    return fail;
}

const char *guest_net_up(const char *ifname, pid_t cell)
{
    /* the device appears asynchronously after virtio_net loads */
    for (int i = 0; i < 1000 && !if_nametoindex(ifname); i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (!if_nametoindex(ifname)) {
        errno = ENODEV;
        return "the virtio-net interface did not appear";
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)cell);
    int cell_ns = open(path, O_RDONLY | O_CLOEXEC);
    int own_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int nl = nl_open();
    const char *fail = NULL;
    if (cell_ns < 0 || own_ns < 0 || nl < 0)
        fail = "the cell's network namespace";
    else if (nl_link_netns(nl, ifname, cell_ns) < 0)
        fail = "moving the interface into the cell's namespace";
    else if (setns(cell_ns, CLONE_NEWNET) < 0)
        fail = "entering the cell's network namespace";
    else {
        fail = configure(ifname);
        int err = errno;
        if (setns(own_ns, CLONE_NEWNET) < 0 && !fail)
            fail = "back to the guest's network namespace";
        else
            errno = err;
    }
    int err = errno;
    if (nl >= 0)
        close(nl);
    if (cell_ns >= 0)
        close(cell_ns);
    if (own_ns >= 0)
        close(own_ns);
    errno = err;
    return fail;
}
