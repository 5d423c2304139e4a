/*
 * seccomp_constants.c - the built-in constants agree with the headers.
 *
 * Every name of compiler/seccomp/gen/constants_list.h must be found by
 * sc_const_lookup with the value the headers give (int-sized values as their
 * 32-bit two's complement); the arch-dependent names must be refused with an
 * explanation.
 */
#include "compiler/seccomp/gen/constants_headers.h"

#include <stdint.h>

#include "tap.h"
#include "compiler/seccomp/syscall_table.h"

#define C(x) { #x, sizeof(x) <= 4 ? (uint64_t)(uint32_t)(x) : (uint64_t)(x) },
static const struct { const char *name; uint64_t value; } list[] = {
#include "compiler/seccomp/gen/constants_list.h"
};
#undef C

int main(void)
{
    size_t n = sizeof list / sizeof list[0], bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        if (!sc_const_lookup(list[i].name, &v) || v != list[i].value) {
            bad++;
            diag("%s: table %#llx, headers %#llx", list[i].name, (unsigned long long)v,
                 (unsigned long long)list[i].value);
        }
    }
    ok(bad == 0, "%zu constants agree with the headers (%zu differ)", n, bad);
    ok(n > 1000, "more than 1000 built-in constants");

    static const struct { const char *name; uint64_t value; } spot[] = {
        { "AF_UNIX", 1 }, { "AF_INET", 2 }, { "AF_INET6", 10 }, { "AF_NETLINK", 16 },
        { "SOCK_STREAM", 1 }, { "SOCK_CLOEXEC", 0x80000 }, { "O_RDONLY", 0 },
        { "O_CREAT", 0x40 }, { "O_CLOEXEC", 0x80000 }, { "CLONE_NEWUSER", 0x10000000 },
        { "CLONE_NEWNS", 0x20000 }, { "PROT_EXEC", 4 }, { "MAP_SHARED", 1 },
        { "TCGETS", 0x5401 }, { "TIOCGWINSZ", 0x5413 }, { "TIOCSTI", 0x5412 },
        { "FIONREAD", 0x541b }, { "FIOCLEX", 0x5451 }, { "PR_SET_NO_NEW_PRIVS", 38 },
        { "F_SETFL", 4 }, { "EPERM", 1 }, { "ENOSYS", 38 }, { "SIGKILL", 9 },
        { "AT_FDCWD", 0xffffff9c }, { "UNAME26", 0x20000 }, { "PER_LINUX32", 8 },
        { "ADDR_NO_RANDOMIZE", 0x40000 }, { "P_PIDFD", 3 }, { "PTRACE_ATTACH", 16 },
    };
    int good = 1;
    for (size_t i = 0; i < sizeof spot / sizeof spot[0]; i++) {
        uint64_t v = ~0ull;
        if (!sc_const_lookup(spot[i].name, &v) || v != spot[i].value) {
            good = 0;
            diag("%s = %#llx, want %#llx", spot[i].name, (unsigned long long)v,
                 (unsigned long long)spot[i].value);
        }
    }
    ok(good, "spot checks of well-known values");
    uint64_t v;
    ok(!sc_const_lookup("NO_SUCH_CONSTANT", &v) && !sc_const_lookup(NULL, &v), "unknown names");
    ok(sc_const_lookup("AF_INET", NULL), "value pointer may be NULL");

    static const char *const archdep[] = { "O_DIRECTORY", "O_NOFOLLOW", "O_DIRECT",
                                           "O_LARGEFILE", "O_TMPFILE", "MAP_32BIT",
                                           "PTRACE_GETREGS", NULL };
    int refused = 1;
    for (size_t i = 0; archdep[i]; i++)
        if (sc_const_lookup(archdep[i], &v) || !sc_const_arch_note(archdep[i]))
            refused = 0;
    ok(refused, "arch-dependent constants are refused with a note");
    ok(strstr(sc_const_arch_note("O_DIRECTORY"), "aarch64") != NULL, "the note names both arches");
    ok(sc_const_arch_note("AF_INET") == NULL, "no note for ordinary constants");
    return done_testing();
}
