/* The kernel keyring is not namespaced: reach the host's keys. */
#include "probe.h"
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>
int main(void)
{
    long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
    if (r >= 0)
        ESCAPED("joined a session keyring");
    r = syscall(SYS_add_key, "user", "cellos-probe", "x", 1, KEY_SPEC_USER_KEYRING);
    if (r >= 0)
        ESCAPED("added a key to the user keyring");
    r = syscall(SYS_request_key, "user", "cellos-probe", NULL, KEY_SPEC_USER_KEYRING);
    if (r >= 0)
        ESCAPED("request_key worked");
    CONTAINED("keyring calls refused (%s)", strerror(errno));
}
