/*
 * net_nflog.h - refused packets from the gateway's nftables `log group`
 * (net_nflog.c). Open the socket inside the gateway namespace.
 */
#ifndef CELLOS_NET_NFLOG_H
#define CELLOS_NET_NFLOG_H

#include <stdbool.h>
#include <stdint.h>

#define NET_NFLOG_GROUP 7

struct nflog_flow {
    uint8_t family, proto; /* 4/6; IP protocol number */
    uint16_t port;         /* TCP/UDP destination port, else 0 */
    uint8_t addr[16];      /* destination */
};

int nflog_open(uint16_t group);
/* Refused flows read now (non-blocking); how many were stored. */
int nflog_read(int fd, struct nflog_flow *out, int max);

#endif
