/* Raw IP sockets: spoofing, sniffing (CAP_NET_RAW). */
#include "probe.h"
#include <netinet/in.h>
#include <sys/socket.h>
int main(void)
{
    if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) >= 0)
        ESCAPED("raw ICMP socket");
    if (socket(AF_INET6, SOCK_RAW, IPPROTO_RAW) >= 0)
        ESCAPED("raw IPv6 socket");
    CONTAINED("raw sockets refused (%s)", strerror(errno));
}
