/*
 * net_nflog.c - the packets the gateway's ingress chain refuses, as nflog
 * copies (nftables `log group`), read by netd to report the first refused
 * attempt per destination. Only the headers are copied (80 bytes); every
 * offset is checked against the copy's length.
 */
#include "net_nflog.h"
#include "net_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union nlbuf {
    struct nlmsghdr h;
    char b[256];
};

static int config(int fd, uint16_t group, uint16_t type, const void *data, size_t len)
{
    union nlbuf m;
    memset(&m, 0, sizeof m);
    m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
    m.h.nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    struct nfgenmsg *g = NLMSG_DATA(&m.h);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(group);
    struct nlattr *a = (struct nlattr *)(m.b + NLMSG_ALIGN(m.h.nlmsg_len));
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + len);
    memcpy((char *)a + NLA_HDRLEN, data, len);
    m.h.nlmsg_len = NLMSG_ALIGN(m.h.nlmsg_len) + NLA_ALIGN(a->nla_len);
    return nl_talk(fd, &m.h);
}

int nflog_open(uint16_t group)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0)
        return -1;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
    struct nfulnl_msg_config_mode mode = { .copy_range = htonl(80), .copy_mode = NFULNL_COPY_PACKET };
    uint32_t one = htonl(1), zero = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        config(fd, group, NFULA_CFG_CMD, &cmd, sizeof cmd) < 0 ||
        config(fd, group, NFULA_CFG_MODE, &mode, sizeof mode) < 0 ||
        /* one packet per message, sent at once (the default batches for 1 s) */
        config(fd, group, NFULA_CFG_QTHRESH, &one, sizeof one) < 0 ||
        config(fd, group, NFULA_CFG_TIMEOUT, &zero, sizeof zero) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static bool parse_packet(const uint8_t *p, size_t n, struct nflog_flow *f)
{
    memset(f, 0, sizeof *f);
    if (n < 1)
        return false;
    if ((p[0] >> 4) == 4) {
        size_t ihl = (size_t)(p[0] & 0xf) * 4;
        if (n < 20 || ihl < 20)
            return false;
        f->family = 4;
        f->proto = p[9];
        memcpy(f->addr, p + 16, 4);
        if ((f->proto == 6 || f->proto == 17) && n >= ihl + 4)
            f->port = (uint16_t)(p[ihl + 2] << 8 | p[ihl + 3]);
        return true;
    }
    if ((p[0] >> 4) == 6) {
        if (n < 40)
            return false;
        f->family = 6;
        f->proto = p[6];
        memcpy(f->addr, p + 24, 16);
        if ((f->proto == 6 || f->proto == 17) && n >= 44)
            f->port = (uint16_t)(p[42] << 8 | p[43]);
        return true;
    }
    return false;
}

int nflog_read(int fd, struct nflog_flow *out, int max)
{
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0)
        return 0;
    int got = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n) && got < max;
         h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
            continue;
        size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
        while (off + NLA_HDRLEN <= h->nlmsg_len) {
            const struct nlattr *a = (const struct nlattr *)((const char *)h + off);
            if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
                break;
            if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD &&
                parse_packet((const uint8_t *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, &out[got]))
                got++;
            off += NLA_ALIGN(a->nla_len);
        }
    }
    return got;
}
