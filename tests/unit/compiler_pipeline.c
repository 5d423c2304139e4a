/* compiler_pipeline.c - load, check and lower policies from text: the
 * mount op program's order and content, seccomp rule normalisation (group
 * expansion, carve-outs, sorted sets, masks, negative values), defaults,
 * packs and ceilings, and that every keyword also works as a name. */
#include "tap.h"
#include <stdlib.h>

#include "compiler/check.h"
#include "compiler/lower.h"
#include "compiler/pack.h"
#include "compiler/parse.h"
#include "cell_parse.h"
#include "cell_lex.h"

struct result {
    struct arena a;
    struct diag d;
    struct policy pol;
    int rc;
};

static void compile(struct result *r, const char *src)
{
    arena_init(&r->a);
    diag_init(&r->d);
    const char *top = getenv("CELLOS_TOP");
    static char inc[4096];
    snprintf(inc, sizeof inc, "%s/policies", top ? top : ".");
    const char *dirs[] = { inc };
    struct load_opts lo = { .include_dirs = dirs, .n_include = 1, .no_default_path = true };
    struct policy_src ps;
    r->rc = policy_load_text(&r->a, &r->d, "t.cell", src, strlen(src), &lo, &ps);
    if (r->rc == 0)
        r->rc = policy_check(&r->a, &r->d, &ps, &r->pol) ? 1 : 0;
    if (r->rc == 0)
        policy_lower(&r->a, &r->pol);
    else
        diag_print(&r->d, stdout, DIAG_TEXT);
}

static void release(struct result *r)
{
    diag_free(&r->d);
    arena_free(&r->a);
}

/* "opcode dst" of every op, one per line */
static const char *ops_text(const struct plan *p)
{
    static char buf[8192];
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < p->fs.n_ops && o < sizeof buf - 200; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s %s%s%s f%x\n", plan_mount_opcode_name(op->opcode),
                              op->dst, op->src[0] ? " <- " : "", op->src, op->flags);
    }
    return buf;
}

static const struct plan_sc_rule *rule_for(const struct plan *p, const char *name, size_t nth)
{
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        if (!strcmp(p->seccomp.rules[i].syscall, name) && nth-- == 0)
            return &p->seccomp.rules[i];
    return NULL;
}

#define SC_MIN "syscalls { allow execve; allow exit_group; }\n"

int main(void)
{
    struct result r;

    /* ---- mount op program ---- */
    compile(&r, "cell t {\n"
                "  process { argv \"/bin/true\"; cwd \"/work/sub\"; }\n"
                "  filesystem {\n"
                "    workspace \"/work\" size 1MiB;\n"
                "    ro \"/usr\";\n"
                "    symlink \"/bin\" -> \"usr/bin\";\n"
                "    rw \"/srv/cache\" at \"/work/cache\" noexec;\n"
                "    ro \"/etc/ssl/certs\" optional;\n"
                "    dir \"/work/sub\" mode 0700;\n"
                "    tmpfs \"/tmp\" size 2MiB mode 1777;\n"
                "  }\n" SC_MIN "}\n");
    is_int(r.rc, 0, "filesystem policy compiles");
    is_str(ops_text(&r.pol.plan),
           "rootfs  f0\n"
           "symlink /bin <- usr/bin f0\n"
           "mkdir /etc f0\n"
           "mkdir /etc/ssl f0\n"
           "bind /etc/ssl/certs <- /etc/ssl/certs f20\n"
           "remount /etc/ssl/certs f7\n"
           "mkdir /tmp f0\n"
           "tmpfs /tmp f6\n"
           "bind /usr <- /usr f0\n"
           "remount /usr f7\n"
           "mkdir /work f0\n"
           "workspace /work f6\n"
           "bind /work/cache <- /srv/cache f0\n"
           "remount /work/cache fe\n"
           "mkdir /work/sub f0\n"
           "pivot_root  f0\n"
           "remount / f7\n"
           "chdir /work/sub f0\n",
           "ops sorted by destination, parents created, ro/rw remounts, root read-only, chdir last");
    const struct plan_mount_op *ops = r.pol.plan.fs.ops;
    is_int(ops[0].size, 1024 * 1024, "rootfs is 1MiB");
    is_int(ops[0].mode, 0755, "rootfs mode 0755");
    is_int(ops[7].mode, 01777, "tmpfs mode");
    is_int(ops[7].size, 2u << 20, "tmpfs size");
    is_int(ops[14].mode, 0700, "dir mode");
    is_int(ops[4].line, 8, "op line is the grant's line");
    is_int(r.pol.plan.process.uid, 65534, "default uid nobody");
    is_int(r.pol.plan.process.umask, 022, "default umask");
    is_int(r.pol.plan.seccomp.default_action, 0x80000000u, "default action kill-process");
    release(&r);

    /* ---- dev and proc expansions ---- */
    compile(&r, "cell t {\n  process { argv \"/bin/true\"; }\n"
                "  filesystem { ro \"/usr\"; symlink \"/bin\" -> \"usr/bin\"; dev \"/dev\"; proc \"/proc\"; }\n"
                SC_MIN "}\n");
    is_int(r.rc, 0, "dev and proc compile");
    const char *t = ops_text(&r.pol.plan);
    ok(strstr(t, "mkdir /dev f0\ntmpfs /dev fa\nsymlink /dev/fd <- /proc/self/fd f0\n"
                 "devnode /dev/full <- /dev/full f0\ndevnode /dev/null <- /dev/null f0\n"
                 "symlink /dev/ptmx <- pts/ptmx f0\nmkdir /dev/pts f0\ndevpts /dev/pts f0\n") != NULL,
       "dev: tmpfs, devnodes, devpts, ptmx in destination order");
    ok(strstr(t, "mkdir /dev/shm f0\ntmpfs /dev/shm fe\n") != NULL, "dev: shm tmpfs nosuid,nodev,noexec");
    ok(strstr(t, "mkdir /proc f0\nproc /proc f0\nmask /proc/acpi f20\n") != NULL, "proc then optional masks");
    ok(strstr(t, "remount /proc/sys ff\n") != NULL, "/proc/sys read-only");
    ok(strstr(t, "mask /proc/kcore f20\n") != NULL, "/proc/kcore masked");
    release(&r);

    /* ---- nested mounts: the nearest mount above a path decides mkdir ---- */
    compile(&r, "cell t {\n  process { argv \"/usr/bin/true\"; }\n"
                "  filesystem { ro \"/usr\"; tmpfs \"/usr/tmp\" size 1MiB; dir \"/usr/tmp/a/b\"; }\n"
                SC_MIN "}\n");
    is_int(r.rc, 0, "tmpfs inside a bind compiles");
    is_str(ops_text(&r.pol.plan),
           "rootfs  f0\n"
           "bind /usr <- /usr f0\n"
           "remount /usr f7\n"
           "tmpfs /usr/tmp f6\n"
           "mkdir /usr/tmp/a f0\n"
           "mkdir /usr/tmp/a/b f0\n"
           "pivot_root  f0\n"
           "remount / f7\n"
           "chdir / f0\n",
           "no mkdir inside the host tree; mkdirs inside the tmpfs mounted in it");
    release(&r);

    /* ---- seccomp normalisation ---- */
    compile(&r, "cell t {\n  process { argv \"/bin/true\"; }\n"
                "  filesystem { ro \"/usr\"; symlink \"/bin\" -> \"usr/bin\"; }\n"
                "  syscalls {\n"
                "    default errno(EPERM);\n"
                "    enosys clone3;\n"
                "    allow clone(flags & CLONE_NEWUSER == 0);\n"
                "    errno(EPERM) clone;\n"
                "    errno(EPERM) kill(sig == SIGTERM);\n"
                "    allow @process;\n"
                "    allow socket(domain in {AF_INET6, AF_UNIX, AF_INET});\n"
                "    allow mmap(prot & PROT_EXEC != 0 && flags != 0);\n"
                "    allow ioctl(fd == -1);\n"
                "    allow lseek(offset == -1);\n"
                "    abi x32;\n"
                "  }\n}\n");
    is_int(r.rc, 0, "seccomp policy compiles");
    const struct plan *p = &r.pol.plan;
    is_int(p->seccomp.default_action, 0x00050001, "default errno(EPERM)");
    is_int(p->seccomp.flags, CP_SC_ALLOW_X32, "abi x32 flag");
    const struct plan_sc_rule *rl = rule_for(p, "clone3", 0);
    ok(rl && rl->action == (0x00050000 | 38) && rl->cond_count == 0, "enosys clone3 = ERRNO|38");
    ok(rule_for(p, "clone3", 1) == NULL, "the group's clone3 is dropped (explicit rule first)");
    rl = rule_for(p, "clone", 0);
    ok(rl && rl->cond_count == 1 && p->seccomp.conds[rl->cond_first].op == CP_SC_MASKED_EQ &&
       p->seccomp.conds[rl->cond_first].mask == 0x10000000 && p->seccomp.conds[rl->cond_first].value == 0 &&
       p->seccomp.conds[rl->cond_first].width == 32, "clone: masked == on the low word");
    rl = rule_for(p, "clone", 1);
    ok(rl && rl->action == 0x00050001 && rl->cond_count == 0, "clone: then errno(EPERM)");
    ok(rule_for(p, "clone", 2) == NULL, "the group's clone is dropped");
    ok(rule_for(p, "wait4", 0) && rule_for(p, "wait4", 0)->action == 0x7fff0000, "group members expanded");
    rl = rule_for(p, "socket", 0);
    ok(rl && p->seccomp.conds[rl->cond_first].op == CP_SC_IN && p->seccomp.conds[rl->cond_first].set_count == 3,
       "socket: an IN set of 3");
    if (rl) {
        const struct plan_sc_cond *cd = &p->seccomp.conds[rl->cond_first];
        const uint64_t *v = &p->seccomp.values[cd->set_first];
        ok(v[0] == 1 && v[1] == 2 && v[2] == 10, "set stored sorted: 1 2 10");
    }
    rl = rule_for(p, "mmap", 0);
    ok(rl && rl->cond_count == 2, "mmap: two conditions");
    if (rl) {
        const struct plan_sc_cond *cd = &p->seccomp.conds[rl->cond_first];
        ok(cd[0].op == CP_SC_MASKED_EQ && cd[0].mask == 4 && cd[0].value == 4, "prot & PROT_EXEC != 0 -> masked == bit");
        ok(cd[1].op == CP_SC_NE && cd[1].value == 0, "flags != 0");
    }
    rl = rule_for(p, "ioctl", 0);
    ok(rl && p->seccomp.conds[rl->cond_first].value == 0xffffffffu && p->seccomp.conds[rl->cond_first].mask == 0xffffffffu,
       "-1 on a 32-bit argument is 0xffffffff");
    rl = rule_for(p, "kill", 0);
    ok(rl && p->seccomp.conds[rl->cond_first].value == 15, "signal names are constants");
    rl = rule_for(p, "lseek", 0);
    ok(rl && p->seccomp.conds[rl->cond_first].value == UINT64_MAX && p->seccomp.conds[rl->cond_first].width == 64,
       "-1 on a 64-bit argument is all ones");
    release(&r);

    /* ---- packs: std/base + std/syscalls ---- */
    compile(&r, "use \"std/base\";\nuse \"std/syscalls\";\n"
                "cell t { process { argv \"/bin/sh\"; env pass HOME; env A = \"1\"; } }\n");
    is_int(r.rc, 0, "std packs compile");
    p = &r.pol.plan;
    is_int(p->meta.n_packs, 2, "two packs");
    if (p->meta.n_packs == 2) {
        is_str(p->meta.packs[0], "std/base", "resolution order 1");
        is_str(p->meta.packs[1], "std/syscalls", "resolution order 2");
    }
    ok(p->process.n_env == 2 && !strcmp(p->process.env[0].name, "A") && p->process.env[1].flags == CP_ENV_PASS,
       "env sorted, pass flag");
    is_str(p->meta.source, "t.cell", "source is the base name");
    release(&r);

    /* ---- unsafe grants recorded ---- */
    compile(&r, "cell t {\n  process { argv \"/bin/true\"; capability CAP_NET_RAW unsafe \"ping\"; }\n"
                "  filesystem { ro \"/usr\"; symlink \"/bin\" -> \"usr/bin\"; rw \"/etc\" unsafe \"writes config\"; }\n"
                "  network egress { tcp *:443 unsafe \"crawler\"; }\n"
                "  syscalls { allow execve; allow ptrace unsafe \"debugger\"; }\n}\n");
    is_int(r.rc, 0, "unsafe grants compile");
    p = &r.pol.plan;
    is_int(p->meta.n_unsafe, 4, "four unsafe grants");
    if (p->meta.n_unsafe == 4) {
        is_str(p->meta.unsafe[0].kind, "capability", "kind capability");
        is_str(p->meta.unsafe[1].subject, "/etc", "rw-bind subject");
        is_str(p->meta.unsafe[2].kind, "egress", "egress kind");
        is_str(p->meta.unsafe[3].reason, "debugger", "reason kept verbatim");
    }
    is_int(p->net.n_egress, 2, "* is two rules (v4 and v6)");
    is_int(p->process.capabilities, 1ull << 13, "CAP_NET_RAW bit");
    release(&r);

    /* ---- every keyword also works as a name ---- */
    static const char *const kws[] = {
        "abi", "allow", "argv", "as", "at", "backend", "bootargs", "capability", "ceiling", "cell", "cpu",
        "cpu-best-effort", "cwd", "default", "dev", "device", "dir", "egress", "egress-hosts", "enosys", "env",
        "errno", "events", "extra-args", "file", "filesystem", "from", "group", "gvisor", "hostname", "in",
        "initramfs-limit", "kernel", "key", "kill-process", "kill-thread", "limits", "log", "loopback", "mask",
        "memory", "memory-best-effort", "mode", "network", "noexec", "none", "not", "optional", "pack", "pass",
        "pass-fd", "pids", "pids-best-effort", "platform", "proc", "process", "require", "rlimit", "ro",
        "rootfs", "rw", "secret", "secrets", "sha256", "size", "source", "subject", "symlink", "syscalls", "tcp",
        "tmpfs", "trap", "udp", "umask", "unsafe", "use", "user", "user-notify", "vcpus", "vm", "wall",
        "workspace",
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
        struct arena a;
        struct diag d;
        arena_init(&a);
        diag_init(&d);
        uint32_t f = diag_add_source(&d, "k", kws[i], strlen(kws[i]));
        struct ast_file af = { 0 };
        struct parse_ctx ctx = { .arena = &a, .diag = &d, .file = f, .out = &af, .line = 1, .col = 1 };
        yyscan_t sc;
        yylex_init_extra(&ctx, &sc);
        YY_BUFFER_STATE b = yy_scan_bytes(kws[i], (int)strlen(kws[i]), sc);
        YYSTYPE lval;
        YYLTYPE lloc;
        int tok = yylex(&lval, &lloc, sc);
        int next = yylex(&lval, &lloc, sc);
        if (tok == WORD || next != 0) {
            diag("keyword %s lexes as %d then %d", kws[i], tok, next);
            bad++;
        }
        yy_delete_buffer(b, sc);
        yylex_destroy(sc);
        free(ctx.sbuf);
        diag_free(&d);
        arena_free(&a);
    }
    is_int(bad, 0, "every keyword is recognised by the scanner (keyword table sorted)");
    compile(&r, "cell t {\n  process { argv \"/bin/true\"; env file = \"x\"; rlimit as 1GiB; }\n"
                "  filesystem { ro \"/usr\"; symlink \"/bin\" -> \"usr/bin\"; }\n"
                "  syscalls { allow execve, umask, open(mode == 0 && flags != 0); }\n}\n");
    is_int(r.rc, 0, "keywords as env, rlimit, syscall and argument names");
    release(&r);
    return done_testing();
}
