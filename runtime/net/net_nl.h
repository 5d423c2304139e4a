/*
 * net_nl.h - rtnetlink requests on a NETLINK_ROUTE socket (net_nl.c); the
 * socket's namespace is the one it was opened in. Interface names are
 * looked up in the caller's current namespace, which must be the socket's.
 */
#ifndef CELLOS_NET_NL_H
#define CELLOS_NET_NL_H

#include <stdint.h>

/* Send one request on a netlink socket (route or netfilter) with
 * NLM_F_REQUEST | NLM_F_ACK and wait for its acknowledgement; -1 with errno
 * from the kernel's error message. */
struct nlmsghdr;
int nl_talk(int fd, struct nlmsghdr *h);
int nl_open(void);
int nl_veth(int fd, const char *name, const char *peer, int peer_nsfd);
int nl_link_up(int fd, const char *name);
/* Move interface name into the network namespace nsfd refers to. */
int nl_link_netns(int fd, const char *name, int nsfd);
int nl_addr(int fd, const char *name, int family, const void *addr, unsigned prefix);
int nl_default_route(int fd, const char *name, int family, const void *gw);
/* Policy routing for transparent proxying: packets carrying fwmark mark
 * look up table, whose one route delivers every address locally (lo). */
int nl_tproxy_route(int fd, int family, uint32_t mark, uint8_t table);

#endif
