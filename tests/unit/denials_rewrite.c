/*
 * denials_rewrite.c - the program the native cell loads with a denial
 * listener (cell_seccomp_notify_program) is the plan's except that its kill
 * returns notify and the cell's own execve (cookie in args[3]) notifies:
 * every other verdict is the plan's, for every syscall number, on the
 * native and a foreign architecture, and it costs two instructions.
 */
#include "runtime/cell/cell_side.h"
#include "runtime/plan/bpf_interp.h"
#include "tap.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <sys/syscall.h>

#define RET(k)                                                                                               \
    {                                                                                                        \
        BPF_RET | BPF_K, 0, 0, (k)                                                                           \
    }
#define LD(off)                                                                                              \
    {                                                                                                        \
        BPF_LD | BPF_W | BPF_ABS, 0, 0, (off)                                                                \
    }
#define JEQ(k, t, f)                                                                                         \
    {                                                                                                        \
        BPF_JMP | BPF_JEQ | BPF_K, (t), (f), (k)                                                             \
    }

static uint32_t act(uint32_t a)
{
    return a & SECCOMP_RET_ACTION_FULL;
}

static bool is_kill(uint32_t a)
{
    return act(a) == SECCOMP_RET_KILL_PROCESS || act(a) == SECCOMP_RET_KILL_THREAD;
}

int main(void)
{
    /* arch check (kill), read allow, openat errno(EACCES), socket kill-thread,
     * execve allow, default kill-process */
    const struct cp_bpf_insn insns[] = {
        LD(4),
        JEQ(cell_audit_arch(), 1, 0),
        RET(SECCOMP_RET_KILL_PROCESS),
        LD(0),
        JEQ(SYS_read, 0, 1),
        RET(SECCOMP_RET_ALLOW),
        JEQ(SYS_openat, 0, 1),
        RET(SECCOMP_RET_ERRNO | 13),
        JEQ(SYS_socket, 0, 1),
        RET(SECCOMP_RET_KILL_THREAD),
        JEQ(SYS_execve, 0, 1),
        RET(SECCOMP_RET_ALLOW),
        RET(SECCOMP_RET_KILL_PROCESS),
    };
    const size_t n = sizeof insns / sizeof *insns;
    struct plan_sc_program prog = { .audit_arch = cell_audit_arch(),
                                    .insn_count = (uint32_t)n,
                                    .insns = insns };
    static struct cp_bpf_insn rw[BPF_MAXINSNS];
    size_t rn = cell_seccomp_notify_program(&prog, rw, BPF_MAXINSNS);
    is_int((long)rn, (long)(n + CELL_SC_NOTIFY_EXTRA), "rewritten: the plan's program plus the prefix");

    size_t bad = 0, kills = 0, extra_bad = 0;
    const uint32_t arches[] = { cell_audit_arch(), AUDIT_ARCH_I386 };
    for (size_t a = 0; a < 2; a++)
        for (int nr = 0; nr < 600; nr++) {
            struct seccomp_data d = { .nr = nr, .arch = arches[a], .args = { 1, 2, 3, 4, 5, 6 } };
            struct bpf_run r1, r2;
            memset(&r1, 0, sizeof r1);
            memset(&r2, 0, sizeof r2);
            bpf_interp_run(insns, n, &d, &r1);
            bpf_interp_run(rw, rn, &d, &r2);
            uint32_t want = is_kill(r1.action) ? SECCOMP_RET_USER_NOTIF : r1.action;
            if (r2.action != want)
                bad++;
            kills += is_kill(r1.action);
            if (r2.executed != r1.executed + 2 && !(nr == SYS_execve))
                extra_bad++;
        }
    is_int((long)bad, 0, "every verdict is the plan's, kills become USER_NOTIF (2 arches x 600 numbers)");
    ok(kills > 1000, "the sample has kills (%zu)", kills);
    is_int((long)extra_bad, 0, "every call but execve runs exactly two more instructions");

    struct seccomp_data ex = { .nr = SYS_execve,
                               .arch = cell_audit_arch(),
                               .args = { 1, 2, 3, CELL_SC_EXEC_COOKIE } };
    is_int((long)bpf_interp_action(rw, rn, &ex), (long)SECCOMP_RET_USER_NOTIF,
           "the cell's execve (cookie) notifies");
    ex.args[3] = CELL_SC_EXEC_COOKIE ^ 1;
    is_int((long)bpf_interp_action(rw, rn, &ex), (long)SECCOMP_RET_ALLOW,
           "another execve gets the plan's verdict");
    ex.args[3] = CELL_SC_EXEC_COOKIE ^ (1ull << 40);
    is_int((long)bpf_interp_action(rw, rn, &ex), (long)SECCOMP_RET_ALLOW,
           "the cookie's high word is checked too");

    /* nothing to rewrite, `ret a`, no room: no listener program */
    const struct cp_bpf_insn allow_only[] = { RET(SECCOMP_RET_ALLOW) };
    struct plan_sc_program p2 = { .audit_arch = cell_audit_arch(), .insn_count = 1, .insns = allow_only };
    is_int((long)cell_seccomp_notify_program(&p2, rw, BPF_MAXINSNS), 0, "no kill return: nothing to rewrite");
    const struct cp_bpf_insn ret_a[] = { LD(0), { BPF_RET | BPF_A, 0, 0, 0 }, RET(SECCOMP_RET_KILL_PROCESS) };
    struct plan_sc_program p3 = { .audit_arch = cell_audit_arch(), .insn_count = 3, .insns = ret_a };
    is_int((long)cell_seccomp_notify_program(&p3, rw, BPF_MAXINSNS), 0, "a `ret a` program is left alone");
    is_int((long)cell_seccomp_notify_program(&prog, rw, n + 6), 0, "no room: nothing written");
    return done_testing();
}
