/* AF_PACKET sockets: link-layer access (and CVE-2020-14386 and kin). */
#include "probe.h"
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <sys/socket.h>
int main(void)
{
    if (socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) >= 0)
        ESCAPED("AF_PACKET raw socket");
    if (socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL)) >= 0)
        ESCAPED("AF_PACKET dgram socket");
    CONTAINED("packet sockets refused (%s)", strerror(errno));
}
