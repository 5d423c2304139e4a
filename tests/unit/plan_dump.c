/* plan_dump.c - `cellc dump` text: the rich fixture's dump is compared with
 * tests/unit/plan_dump_rich.golden (CELLOS_UPDATE_GOLDEN=1 rewrites it), it
 * is stable across calls, untrusted strings cannot break lines, and the
 * disassembler prints each instruction class, absolute targets and names. */
#include "tap.h"
#include "plan_fixture.h"
#include "compiler/plan/plan_writer.h"
#include "compiler/plan/plan_dump.h"
#include "compiler/seccomp/bpf_disasm.h"

static char *dump_to_string(const struct plan *p, const char *name, size_t size)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    plan_dump(m, p, name, size);
    fclose(m);
    return s;
}

static char *disasm_to_string(const struct cp_bpf_insn *in, size_t n, uint32_t arch)
{
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    bpf_disasm(m, in, n, arch, "");
    fclose(m);
    return s;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = 0;
    fclose(f);
    return s;
}

#define LINE_HAS(text, sub, name) \
    do { if (!ok(strstr(text, sub) != NULL, "dump has %s", name)) diag("missing: %s", sub); } while (0)

int main(void)
{
    struct plan rich = fixture_plan();
    uint8_t *b = NULL;
    size_t n = 0;
    char err[256];
    struct plan *p = NULL;
    struct plan_error e;
    if (plan_write(&rich, &b, &n, err, sizeof err) || plan_read(b, n, &p, &e)) {
        ok(0, "fixture writes and reads");
        return done_testing();
    }
    char *d1 = dump_to_string(p, "rich.plan", n), *d2 = dump_to_string(p, "rich.plan", n);
    is_str(d1, d2, "dump is stable across calls");

    const char *top = getenv("CELLOS_TOP");
    char golden[4096];
    snprintf(golden, sizeof golden, "%s/tests/unit/plan_dump_rich.golden", top ? top : ".");
    if (getenv("CELLOS_UPDATE_GOLDEN")) {
        FILE *g = fopen(golden, "w");
        ok(g && fputs(d1, g) >= 0 && fclose(g) == 0, "golden rewritten: %s", golden);
    } else {
        char *want = slurp(golden);
        ok(want != NULL, "golden %s exists", golden);
        if (want && strcmp(want, d1) != 0) {
            ok(0, "dump matches the golden (CELLOS_UPDATE_GOLDEN=1 to accept)");
            /* show the first differing line */
            const char *a = want, *c = d1;
            int line = 1;
            while (*a && *a == *c) {
                if (*a == '\n')
                    line++;
                a++, c++;
            }
            diag("first difference at line %d", line);
            diag("golden: %.80s", a);
            diag("got:    %.80s", c);
        } else if (want) {
            ok(1, "dump matches the golden");
        }
        free(want);
    }

    /* every section, op and program is there */
    LINE_HAS(d1, "\n[meta]\n", "meta section");
    LINE_HAS(d1, "[filesystem] 18 mount ops", "op count");
    LINE_HAS(d1, "   12  pivot_root", "numbered ops");
    LINE_HAS(d1, "/usr [rdonly,nosuid,nodev]", "flags spelled out");
    LINE_HAS(d1, "/dev/fd -> /proc/self/fd", "symlink");
    LINE_HAS(d1, "CAP_NET_BIND_SERVICE, CAP_CHECKPOINT_RESTORE", "capabilities named");
    LINE_HAS(d1, "TERM (passed from the host environment)", "passed env");
    LINE_HAS(d1, "nofile  soft 1024, hard 4096", "rlimit");
    LINE_HAS(d1, "as      soft unlimited, hard unlimited", "infinite rlimit");
    LINE_HAS(d1, "[1] udp 10.1.2.0/24 port 53", "v4 egress");
    LINE_HAS(d1, "[2] tcp [2001:db8::]/32 ports 8000-8999", "v6 egress");
    LINE_HAS(d1, "512 MiB (best effort)", "limits with units");
    LINE_HAS(d1, "1.500 cores", "cpu");
    LINE_HAS(d1, "10 min", "wall");
    LINE_HAS(d1, "ERRNO(25) ENOTTY ioctl if request != 7 && arg < 0x1000", "conditions with arg names");
    LINE_HAS(d1, "ALLOW            socket if (u32)domain in {1, 2, 0xa}", "set condition");
    LINE_HAS(d1, "fcntl if cmd not in {5, 0xffffffffff}", "not in");
    LINE_HAS(d1, "mmap if (u32)flags <= 0x7fffffff && fd > 0 && offset >= 0x100000000 && prot & 3 == 2",
             "masked ==");
    LINE_HAS(d1, "program x86_64 (audit arch 0xc000003e), 15 instructions", "x86 program");
    LINE_HAS(d1, "program aarch64 (audit arch 0xc00000b7), 15 instructions", "arm program");
    LINE_HAS(d1, "0007: jeq #0x3c, 0014, 0008", "absolute jump targets");
    LINE_HAS(d1, "; nr == exit\n", "syscall named on x86_64");
    LINE_HAS(d1, "; nr == write\n", "syscall named");
    LINE_HAS(d1, "0012: jeq #0x1, 0014, 0013           ; nr == write\n", "scratch slots tracked");
    LINE_HAS(d1, "0010: jset #0xfffffffc, 0013, 0011   ; args[0] & 0xfffffffc\n", "argument test");
    LINE_HAS(d1, "unsafe        2 grants\n", "unsafe count");
    LINE_HAS(d1, "kernel sha256 a0a1a2", "vm kernel hash");
    LINE_HAS(d1, "platform      systrap", "gvisor");
    LINE_HAS(d1, "signing key   kid c0c1c2", "events kid");
    LINE_HAS(d1, "[1] npm-token from env:NPM_TOKEN as env NPM_TOKEN", "env secret");
    LINE_HAS(d1, "deploy_key from file:/run/secrets/deploy as file /run/cell/deploy_key (0400, private tmpfs)",
             "file secret");
    free(d2);
    free(d1);
    plan_free(p);
    free(b);

    /* hostile strings stay on their line */
    struct plan q = fixture_min_plan();
    static const char *argv[] = { "/bin/sh", "-c", "echo \"hi\"\n\trm -rf /\x1b[2J" };
    q.process.argv = argv;
    q.process.argc = 3;
    plan_write(&q, &b, &n, err, sizeof err);
    plan_read(b, n, &p, &e);
    d1 = dump_to_string(p, "min plan", n);
    LINE_HAS(d1, "argv[2]       \"echo \\\"hi\\\"\\n\\trm -rf /\\x1b[2J\"\n", "escaped argv");
    LINE_HAS(d1, "plan \"min plan\"\n", "quoted file name");
    LINE_HAS(d1, "programs      (none: cellrun refuses to run this plan)", "no programs");
    LINE_HAS(d1, "[vm] (absent)", "absent vm");
    free(d1);
    plan_free(p);
    free(b);

    /* the disassembler, instruction by instruction */
    const struct cp_bpf_insn prog[] = {
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, 4 },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 9, AUDIT_ARCH_X86_64 },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 },
        { BPF_JMP | BPF_JGE | BPF_K, 7, 0, 0x40000000 },
        { BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 59 },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, 36 },
        { BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xff },
        { BPF_MISC | BPF_TAX, 0, 0, 0 },
        { BPF_JMP | BPF_JA, 0, 0, 2 },
        { 0xffff, 1, 2, 3 },
        { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 38 },
        { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS },
    };
    char *t = disasm_to_string(prog, FX_N(prog), AUDIT_ARCH_X86_64);
    LINE_HAS(t, "0000: ld [4]                         ; arch\n", "ld arch");
    LINE_HAS(t, "0001: jeq #0xc000003e, 0002, 0011    ; arch == x86_64\n", "jeq arch");
    LINE_HAS(t, "0003: jge #0x40000000, 0011, 0004    ; nr >= x32 syscall bit\n", "x32 check");
    LINE_HAS(t, "0004: jeq #0x3b, 0010, 0005          ; nr == execve\n", "syscall name");
    LINE_HAS(t, "0005: ld [36]                        ; args[2]_hi\n", "args high word");
    LINE_HAS(t, "0006: and #0xff\n", "alu");
    LINE_HAS(t, "0007: tax\n", "tax");
    LINE_HAS(t, "0008: ja 0011\n", "ja absolute");
    LINE_HAS(t, "0009: .word 0xffff, 1, 2, 0x3\n", "unknown opcode");
    LINE_HAS(t, "0010: ret #0x00050026                ; ERRNO(38) ENOSYS\n", "errno action");
    LINE_HAS(t, "0011: ret #0x80000000                ; KILL_PROCESS\n", "kill action");
    free(t);
    /* the accumulator is unknown where paths disagree */
    const struct cp_bpf_insn merge[] = {
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 },
        { BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1 },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, 16 },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2 },
        { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW },
    };
    t = disasm_to_string(merge, FX_N(merge), AUDIT_ARCH_AARCH64);
    LINE_HAS(t, "0001: jeq #0x1, 0003, 0002           ; nr == io_destroy\n", "aarch64 numbering");
    LINE_HAS(t, "0003: jeq #0x2, 0004, 0004\n", "no comment after a merge of nr and args[0]");
    free(t);
    char an[64];
    is_str(bpf_action_name(SECCOMP_RET_TRACE | 5, an, sizeof an), "TRACE(0x5)", "trace with data");
    is_str(bpf_action_name(0x12340000, an, sizeof an), "0x12340000", "unknown action");
    return done_testing();
}
