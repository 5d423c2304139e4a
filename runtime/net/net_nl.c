/*
 * net_nl.c - the few rtnetlink requests netd (and the VM guest's init)
 * make: a veth pair whose peer goes into another namespace, a link moved
 * into another namespace, addresses, links up, a default route, the fwmark
 * rule and local route of the UDP relay's transparent proxying. Each
 * request waits for its ACK; an error comes back as -1 with errno.
 */
#include "net_nl.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union req {
    struct nlmsghdr h;
    char buf[1024];
};

static struct rtattr *add_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}

static void end_nest(struct nlmsghdr *h, struct rtattr *a)
{
    a->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)a);
}

/* Zero r and start a request of type with flags and a zeroed body of
 * body bytes; returns the body. */
static void *req_start(union req *r, size_t body, unsigned short type, unsigned short flags)
{
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = NLMSG_LENGTH(body);
    r->h.nlmsg_type = type;
    r->h.nlmsg_flags = flags;
    return NLMSG_DATA(&r->h);
}

/* A static route of type and scope in table, out through ifindex oif,
 * via gw (NULL: none). */
static int add_route(int fd, int family, unsigned char table, unsigned char scope, unsigned char type,
                     const void *gw, unsigned oif)
{
    union req r;
    struct rtmsg *rt = req_start(&r, sizeof *rt, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    rt->rtm_family = (unsigned char)family;
    rt->rtm_table = table;
    rt->rtm_protocol = RTPROT_STATIC;
    rt->rtm_scope = scope;
    rt->rtm_type = type;
    if (gw)
        add_attr(&r.h, RTA_GATEWAY, gw, family == AF_INET ? 4 : 16);
    uint32_t o = oif;
    add_attr(&r.h, RTA_OIF, &o, 4);
    return nl_talk(fd, &r.h);
}

int nl_talk(int fd, struct nlmsghdr *h)
{
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = 1; /* one request at a time: its ACK is the next answer */
    if (send(fd, h, h->nlmsg_len, 0) < 0)
        return -1;
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n); r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_seq != h->nlmsg_seq)
                continue;
            if (r->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *er = NLMSG_DATA(r);
                if (er->error) {
                    errno = -er->error;
                    return -1;
                }
                return 0;
            }
        }
    }
}

int nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int nl_veth(int fd, const char *name, const char *peer, int peer_nsfd)
{
    union req r;
    req_start(&r, sizeof(struct ifinfomsg), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    add_attr(&r.h, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *li = add_attr(&r.h, IFLA_LINKINFO, NULL, 0);
    add_attr(&r.h, IFLA_INFO_KIND, "veth", 4);
    struct rtattr *data = add_attr(&r.h, IFLA_INFO_DATA, NULL, 0);
    struct rtattr *pi = add_attr(&r.h, VETH_INFO_PEER, NULL, 0);
    r.h.nlmsg_len += (unsigned)NLMSG_ALIGN(sizeof(struct ifinfomsg)); /* the peer's ifinfomsg */
    add_attr(&r.h, IFLA_IFNAME, peer, strlen(peer) + 1);
    uint32_t nsfd = (uint32_t)peer_nsfd;
    add_attr(&r.h, IFLA_NET_NS_FD, &nsfd, 4);
    end_nest(&r.h, pi);
    end_nest(&r.h, data);
    end_nest(&r.h, li);
    return nl_talk(fd, &r.h);
}

int nl_link_up(int fd, const char *name)
{
    unsigned idx = if_nametoindex(name);
    if (!idx)
        return -1;
    union req r;
    struct ifinfomsg *ifi = req_start(&r, sizeof *ifi, RTM_NEWLINK, 0);
    ifi->ifi_index = (int)idx;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return nl_talk(fd, &r.h);
}

int nl_link_netns(int fd, const char *name, int nsfd)
{
    unsigned idx = if_nametoindex(name);
    if (!idx)
        return -1;
    union req r;
    struct ifinfomsg *ifi = req_start(&r, sizeof *ifi, RTM_NEWLINK, 0);
    ifi->ifi_index = (int)idx;
    uint32_t ns = (uint32_t)nsfd;
    add_attr(&r.h, IFLA_NET_NS_FD, &ns, 4);
    return nl_talk(fd, &r.h);
}

int nl_addr(int fd, const char *name, int family, const void *addr, unsigned prefix)
{
    unsigned idx = if_nametoindex(name);
    if (!idx)
        return -1;
    union req r;
    struct ifaddrmsg *ifa = req_start(&r, sizeof *ifa, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    ifa->ifa_family = (unsigned char)family;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_index = idx;
    ifa->ifa_flags = IFA_F_NODAD;
    size_t len = family == AF_INET ? 4 : 16;
    add_attr(&r.h, IFA_LOCAL, addr, len);
    add_attr(&r.h, IFA_ADDRESS, addr, len);
    uint32_t fl = IFA_F_NODAD;
    add_attr(&r.h, IFA_FLAGS, &fl, 4);
    return nl_talk(fd, &r.h);
}

int nl_default_route(int fd, const char *name, int family, const void *gw)
{
    unsigned idx = if_nametoindex(name);
    if (!idx)
        return -1;
    return add_route(fd, family, RT_TABLE_MAIN, RT_SCOPE_UNIVERSE, RTN_UNICAST, gw, idx);
}

int nl_tproxy_route(int fd, int family, uint32_t mark, uint8_t table)
{
    union req r;
    struct fib_rule_hdr *fr = req_start(&r, sizeof *fr, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
    fr->family = (unsigned char)family;
    fr->table = table;
    fr->action = FR_ACT_TO_TBL;
    add_attr(&r.h, FRA_FWMARK, &mark, 4);
    uint32_t tb = table;
    add_attr(&r.h, FRA_TABLE, &tb, 4);
    if (nl_talk(fd, &r.h) < 0)
        return -1;
    unsigned lo = if_nametoindex("lo");
    if (!lo)
        return -1;
    return add_route(fd, family, table, RT_SCOPE_HOST, RTN_LOCAL, NULL, lo);
}
