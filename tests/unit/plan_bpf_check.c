/* plan_bpf_check.c - the seccomp BPF checker: targeted cases, then random
 * programs judged by the running kernel. Each program is loaded with
 * seccomp(SECCOMP_SET_MODE_FILTER) in a throw-away child; the checker must
 * accept exactly what the kernel accepts (the generator stays clear of the
 * checker's documented extra rules: ret #k actions, jt/jf on non-jumps,
 * length loads with k). */
#include "tap.h"
#include "runtime/plan/bpf_check.h"
#include "plan_fixture.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define I(c, t, f, k) ((struct cp_bpf_insn){ (uint16_t)(c), (uint8_t)(t), (uint8_t)(f), (uint32_t)(k) })
#define RET_ALLOW I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW)

static int check(const struct cp_bpf_insn *p, size_t n, struct bpf_check_error *e)
{
    memset(e, 0, sizeof *e);
    return bpf_check_seccomp(p, n, e);
}

/* 1 kernel accepted, 0 kernel refused with EINVAL, -1 could not tell */
static int kernel_accepts(const struct cp_bpf_insn *p, size_t n)
{
    static int *shared;
    if (!shared) {
        shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
            return -1;
    }
    shared[0] = -2;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct sock_fprog prog = { (unsigned short)n, (struct sock_filter *)(void *)p };
        /* After loading, the filter may refuse every syscall, exit included:
         * end with a fault whose default action kills without one (no
         * sanitizer handler, no core dump). */
        signal(SIGILL, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            _exit(1);
        long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
        __atomic_store_n(&shared[0], rc == 0 ? 1 : errno == EINVAL ? 0 : -1, __ATOMIC_SEQ_CST);
        __builtin_trap();
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    int v = __atomic_load_n(&shared[0], __ATOMIC_SEQ_CST);
    return v == -2 ? -1 : v;
}

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs >> 11);
}

static const uint16_t codes[] = {
    BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_SUB | BPF_X,
    BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X, BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X,
    BPF_ALU | BPF_MOD | BPF_K, BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
    BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X, BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_XOR | BPF_X,
    BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X, BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X,
    BPF_ALU | BPF_NEG,
    BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
    BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
    BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM,
    BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM, BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH,
    BPF_ST, BPF_STX, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
    BPF_RET | BPF_K, BPF_RET | BPF_A,
    BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGT | BPF_K,
    BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JSET | BPF_K,
    BPF_JMP | BPF_JSET | BPF_X,
};
static const uint32_t actions[] = {
    SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
    SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 4095, SECCOMP_RET_LOG, SECCOMP_RET_USER_NOTIF,
};

static struct cp_bpf_insn random_insn(uint32_t pc, uint32_t n)
{
    uint16_t code = rnd() % 40 == 0 ? (uint16_t)rnd() : codes[rnd() % (sizeof codes / sizeof codes[0])];
    struct cp_bpf_insn in = { code, 0, 0, 0 };
    uint32_t left = n - pc - 1;
    switch (BPF_CLASS(code)) {
    case BPF_LD:
    case BPF_LDX:
        in.k = BPF_MODE(code) == BPF_LEN ? 0 : BPF_MODE(code) == BPF_MEM ? rnd() % 18 : rnd() % 3 == 0 ? rnd() : rnd() % 70;
        break;
    case BPF_ST:
    case BPF_STX:
        in.k = rnd() % 18;
        break;
    case BPF_ALU:
        in.k = rnd() % 3 == 0 ? rnd() : rnd() % 34;
        break;
    case BPF_RET:
        in.k = BPF_RVAL(code) == BPF_K ? actions[rnd() % 8] : 0;
        break;
    case BPF_JMP:
        if (BPF_OP(code) == BPF_JA) {
            in.k = rnd() % (left + 2);
        } else {
            in.k = rnd();
            in.jt = (uint8_t)(rnd() % (left + 2));
            in.jf = (uint8_t)(rnd() % (left + 2));
        }
        break;
    default:
        in.k = rnd();
        break;
    }
    return in;
}

int main(void)
{
    struct bpf_check_error e;

    ok(check(fx_prog_x86, FX_N(fx_prog_x86), &e) == 0, "fixture x86_64 program passes");
    ok(check(fx_prog_arm, FX_N(fx_prog_arm), &e) == 0, "fixture aarch64 program passes");
    struct cp_bpf_insn one = RET_ALLOW;
    ok(check(&one, 1, &e) == 0, "a lone ret passes");
    ok(check(&one, 0, &e) == -1 && strstr(e.e.msg, "empty"), "an empty program fails");
    static struct cp_bpf_insn big[4097];
    for (int i = 0; i < 4097; i++)
        big[i] = RET_ALLOW;
    ok(check(big, 4096, &e) == 0, "4096 instructions pass");
    ok(check(big, 4097, &e) == -1 && e.insn == 4096 && strstr(e.e.msg, "more than 4096"), "4097 fail");

    /* scratch memory: written on one branch only vs both */
    struct cp_bpf_insn one_branch[] = {
        I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0),
        I(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1),
        I(BPF_ST, 0, 0, 3),
        I(BPF_LD | BPF_MEM, 0, 0, 3),
        RET_ALLOW,
    };
    ok(check(one_branch, 5, &e) == -1 && e.insn == 3 && strstr(e.e.msg, "slot 3 may be read"),
       "slot written on one path only: insn %u: %s", e.insn, e.e.msg);
    struct cp_bpf_insn both[] = {
        I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0),
        I(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 1),
        I(BPF_ST, 0, 0, 3),
        I(BPF_JMP | BPF_JA, 0, 0, 1),
        I(BPF_STX, 0, 0, 3),
        I(BPF_LD | BPF_MEM, 0, 0, 3),
        RET_ALLOW,
    };
    ok(check(both, 7, &e) == 0, "slot written on both paths passes (%s)", e.e.msg);
    struct cp_bpf_insn after_ret[] = {
        I(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1),
        RET_ALLOW,
        I(BPF_LD | BPF_MEM, 0, 0, 0),
        RET_ALLOW,
    };
    ok(check(after_ret, 4, &e) == -1 && e.insn == 2, "read of an unwritten slot after a return fails");
    struct cp_bpf_insn ld_len[] = { I(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0), I(BPF_RET | BPF_A, 0, 0, 0) };
    ok(check(ld_len, 2, &e) == 0, "ld len; ret a passes");
    ld_len[0].k = 4;
    ok(check(ld_len, 2, &e) == -1 && strstr(e.e.msg, "nonzero k"), "ld len with k fails");
    struct cp_bpf_insn ret_bad[] = { I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO) };
    ok(check(ret_bad, 1, &e) == -1 && strstr(e.e.msg, "not a valid seccomp action"), "ret ERRNO|0 fails");
    ok(bpf_seccomp_action_valid(SECCOMP_RET_ERRNO | 38) && !bpf_seccomp_action_valid(SECCOMP_RET_TRACE) &&
       !bpf_seccomp_action_valid(SECCOMP_RET_TRAP | 1) && !bpf_seccomp_action_valid(0x7ffe0000),
       "action validity");

    /* the kernel as the oracle */
    struct cp_bpf_insn probe[] = { RET_ALLOW };
    if (kernel_accepts(probe, 1) != 1) {
        skip(3, "seccomp(SECCOMP_SET_MODE_FILTER) is not usable here");
        return done_testing();
    }
    const char *envn = getenv("CELLOS_BPF_ORACLE_RUNS");
    const char *san = getenv("CELLOS_SANITIZE");
    unsigned runs = envn ? (unsigned)atoi(envn) : san && strcmp(san, "1") == 0 ? 300 : 1500;
    unsigned agree = 0, accepted = 0, unknown = 0, mismatch = 0;
    struct cp_bpf_insn prog[32];
    for (unsigned r = 0; r < runs; r++) {
        uint32_t n = 1 + rnd() % 12;
        for (uint32_t i = 0; i < n; i++)
            prog[i] = random_insn(i, n);
        /* most programs should end in a return to get past that check */
        if (rnd() % 8)
            prog[n - 1] = I(BPF_RET | BPF_K, 0, 0, actions[rnd() % 8]);
        int k = kernel_accepts(prog, n);
        if (k < 0) {
            unknown++;
            continue;
        }
        int ours = check(prog, n, &e) == 0;
        accepted += ours;
        if (ours == k) {
            agree++;
        } else if (mismatch++ < 5) {
            diag("disagreement (kernel %s, checker %s: %s) on:", k ? "accepts" : "refuses",
                 ours ? "accepts" : "refuses", ours ? "" : e.e.msg);
            for (uint32_t i = 0; i < n; i++)
                diag("  %2u: code 0x%04x jt %u jf %u k 0x%x", i, prog[i].code, prog[i].jt, prog[i].jf, prog[i].k);
        }
    }
    ok(mismatch == 0, "checker and kernel agree on %u of %u random programs", agree, runs - unknown);
    ok(accepted > runs / 20, "a fair share of random programs is valid (%u)", accepted);
    ok(unknown < runs / 100 + 1, "kernel verdicts obtained (%u unknown)", unknown);
    return done_testing();
}
