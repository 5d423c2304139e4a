/*
 * constants.c - the built-in constants a policy may name in syscall
 * argument predicates (AF_*, SOCK_*, O_*, CLONE_*, PROT_*, MAP_*, TIOC*,
 * TC*, FIO*, PR_*, F_*, E*, SIG*, ...).
 *
 * The values (constants_data.c) are generated from the headers and are the
 * same on x86_64 and aarch64. A constant whose value differs between the two
 * (the O_* flags arm64 inherited from arm, x86-only MAP_32BIT and ptrace
 * requests) is not built in: a plan carries one value set for every arch, so
 * such a name would mean different things per arch. sc_const_arch_note()
 * explains the refusal with both values.
 */
#include <stdlib.h>
#include <string.h>

#include "constants_data.h"
#include "syscall_table.h"

static int cmp_const(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct sc_const *)elem)->name);
}

bool sc_const_lookup(const char *name, uint64_t *value)
{
    if (!name)
        return false;
    const struct sc_const *c =
        bsearch(name, sc_const_data, sc_const_count, sizeof sc_const_data[0], cmp_const);
    if (!c)
        return false;
    if (value)
        *value = c->value;
    return true;
}

struct arch_note {
    const char *name;
    const char *note;
};

/* Sorted by name. */
static const struct arch_note arch_notes[] = {
    { "MAP_32BIT", "MAP_32BIT exists on x86_64 only (0x40); write the number and target x86_64 only" },
    { "O_DIRECT",
      "O_DIRECT is 0x4000 on x86_64 and 0x10000 on aarch64; write the number for the arch you target" },
    { "O_DIRECTORY",
      "O_DIRECTORY is 0x10000 on x86_64 and 0x4000 on aarch64; write the number for the arch you target" },
    { "O_LARGEFILE",
      "O_LARGEFILE is 0x8000 on x86_64 (0 in glibc) and 0x20000 on aarch64; write the number for the arch "
      "you target" },
    { "O_NOFOLLOW",
      "O_NOFOLLOW is 0x20000 on x86_64 and 0x8000 on aarch64; write the number for the arch you target" },
    { "O_TMPFILE",
      "O_TMPFILE is 0x410000 on x86_64 and 0x404000 on aarch64; write the number for the arch you target" },
    { "PROT_BTI", "PROT_BTI exists on aarch64 only (0x10)" },
    { "PROT_MTE", "PROT_MTE exists on aarch64 only (0x20)" },
    { "PTRACE_ARCH_PRCTL", "PTRACE_ARCH_PRCTL is an x86_64-only ptrace request (30)" },
    { "PTRACE_GETFPREGS", "PTRACE_GETFPREGS is an x86_64-only ptrace request (14)" },
    { "PTRACE_GETFPXREGS", "PTRACE_GETFPXREGS is an x86_64-only ptrace request (18)" },
    { "PTRACE_GETREGS", "PTRACE_GETREGS is an x86_64-only ptrace request (12); use PTRACE_GETREGSET" },
    { "PTRACE_GET_THREAD_AREA", "PTRACE_GET_THREAD_AREA is an x86_64-only ptrace request (25)" },
    { "PTRACE_OLDSETOPTIONS", "PTRACE_OLDSETOPTIONS is an x86_64-only ptrace request (21)" },
    { "PTRACE_SETFPREGS", "PTRACE_SETFPREGS is an x86_64-only ptrace request (15)" },
    { "PTRACE_SETFPXREGS", "PTRACE_SETFPXREGS is an x86_64-only ptrace request (19)" },
    { "PTRACE_SETREGS", "PTRACE_SETREGS is an x86_64-only ptrace request (13); use PTRACE_SETREGSET" },
    { "PTRACE_SET_THREAD_AREA", "PTRACE_SET_THREAD_AREA is an x86_64-only ptrace request (26)" },
    { "PTRACE_SINGLEBLOCK", "PTRACE_SINGLEBLOCK is an x86_64-only ptrace request (33)" },
    { "PTRACE_SYSEMU", "PTRACE_SYSEMU is an x86_64-only ptrace request (31)" },
    { "PTRACE_SYSEMU_SINGLESTEP", "PTRACE_SYSEMU_SINGLESTEP is an x86_64-only ptrace request (32)" },
    { "SA_RESTORER", "SA_RESTORER is libc-internal (0x04000000)" },
};

static int cmp_note(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct arch_note *)elem)->name);
}

const char *sc_const_arch_note(const char *name)
{
    if (!name)
        return NULL;
    const struct arch_note *n =
        bsearch(name, arch_notes, sizeof arch_notes / sizeof arch_notes[0], sizeof arch_notes[0], cmp_note);
    return n ? n->note : NULL;
}
