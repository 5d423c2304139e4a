/* The session keyring is inherited across fork and exec: a cell that kept
 * cellrun's could read every key of the host's session (possession grants
 * read, whatever the uid). Run on the host as `keyring_session host CMD...`
 * it joins a session keyring, adds a key and execs CMD (cellrun); in a cell
 * (whose policy allows keyctl) it looks for that key in its own session
 * keyring. Also the positive control: run on the host under `host`, the
 * cell mode finds the key (ESCAPED). */
#include "probe.h"
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEY_DESC "cellos-escape-host-key"
#define KEY_DATA "host-secret"

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "host")) {
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "cellos-escape-host", 0, 0, 0) < 0 ||
            syscall(SYS_add_key, "user", KEY_DESC, KEY_DATA, strlen(KEY_DATA), KEY_SPEC_SESSION_KEYRING) < 0) {
            fprintf(stderr, "keyring_session: host set-up: %s\n", strerror(errno));
            return 2;
        }
        execvp(argv[2], argv + 2);
        fprintf(stderr, "keyring_session: %s: %s\n", argv[2], strerror(errno));
        return 127;
    }
    char desc[256] = "";
    if (syscall(SYS_keyctl, KEYCTL_DESCRIBE, KEY_SPEC_SESSION_KEYRING, desc, sizeof desc - 1) >= 0 &&
        strstr(desc, "cellos-escape-host"))
        ESCAPED("the session keyring is the host's (%s)", desc);
    long id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", KEY_DESC, 0, 0);
    if (id >= 0) {
        char buf[64] = "";
        long n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof buf - 1, 0);
        ESCAPED("found the host's key %ld in the session keyring (read: %s)", id, n > 0 ? buf : strerror(errno));
    }
    CONTAINED("the session keyring is the cell's own (%s)", desc[0] ? desc : strerror(errno));
}
