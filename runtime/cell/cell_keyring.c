/*
 * cell_keyring.c - the cell's own session keyring (cell side).
 *
 * A process inherits its session keyring across fork and exec, so without
 * this the cell would hold cellrun's: the caller's login session keyring
 * (pam_keyinit), or whatever a CI runner joined, with every key linked in
 * it. Possession of a keyring grants its possessor rights (view, search,
 * read), whatever the uid, so a workload whose policy allows keyctl(2)
 * could read the host's keys, as uid 65534 as well as root (escape probe
 * tests/escape/keyring_session.c). The user and user-session keyrings are
 * per user namespace and the cell has its own, so the session keyring is
 * the one link to the host: replace it with a fresh anonymous one, as runc
 * does for every container process. Invariant: called before anything of
 * the workload runs, in every process that becomes one (the cell's init
 * before the fork, `cellrun exec` before its credentials change).
 */
#include "cell_side.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int cell_keyring_detach(void)
{
    /* a NULL name: a new anonymous session keyring, never one found by
     * name (a named one could be an existing keyring of the same user) */
    long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, (char *)0, 0, 0, 0);
    if (r < 0 && errno == ENOSYS)
        return 0; /* a kernel without keyrings: nothing to inherit */
    return r < 0 ? -1 : 0;
}
