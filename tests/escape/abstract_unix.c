/* Connect to an abstract unix socket of the host (abstract names are per
 * network namespace): argv[1] is a name the test listens on. */
#include "probe.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "cellos-probe";
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(a.sun_path + 1, name, n);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0)
        CONTAINED("no unix sockets (%s)", strerror(errno));
    if (connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0)
        ESCAPED("connected to the host's abstract socket @%s", name);
    CONTAINED("@%s unreachable (%s)", name, strerror(errno));
}
