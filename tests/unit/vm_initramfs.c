/* vm_initramfs.c - per-run initramfs assembly: layout, copied bind trees,
 * determinism, the size limit (refused before writing, with the sizes),
 * writable binds refused, optional missing sources skipped. */
#include "tap.h"
#include "runtime/vm/vm_initramfs.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static struct plan_mount_op ops[8];
static struct plan P;

static void setplan(const char *src, int ro, int optional)
{
    memset(&P, 0, sizeof P);
    memset(ops, 0, sizeof ops);
    ops[0] = (struct plan_mount_op){.opcode = CP_OP_ROOTFS, .mode = 0755, .size = 1 << 20, .src = "", .dst = "/"};
    ops[1] = (struct plan_mount_op){.opcode = CP_OP_MKDIR, .dst = "/data", .src = "", .mode = 0755};
    ops[2] = (struct plan_mount_op){.opcode = CP_OP_BIND, .src = src, .dst = "/data", .line = 4,
                                    .flags = (uint16_t)(CP_MNT_RECURSIVE | (optional ? CP_MNT_OPTIONAL : 0))};
    ops[3] = (struct plan_mount_op){.opcode = ro ? CP_OP_REMOUNT : CP_OP_MKDIR, .dst = ro ? "/data" : "/x",
                                    .src = "", .flags = ro ? CP_MNT_RDONLY | CP_MNT_NOSUID : 0};
    ops[4] = (struct plan_mount_op){.opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = ""};
    P.fs.ops = ops;
    P.fs.n_ops = 5;
    P.has_vm = true;
}

static char *listing(int fd)
{
    static char out[65536];
    char path[64], cmd[128];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", getpid(), fd);
    snprintf(cmd, sizeof cmd, "cpio -it --quiet < %s 2>&1 | sort", path);
    FILE *f = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    pclose(f);
    return out;
}

int main(void)
{
    char dir[] = "/tmp/cellos-ird-t.XXXXXX", path[512], init[512];
    mkdtemp(dir);
    snprintf(path, sizeof path, "%s/tree", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tree/sub", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tree/sub/hello.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/tree/link", dir);
    symlink("sub/hello.txt", path);
    snprintf(init, sizeof init, "%s/init", dir);
    f = fopen(init, "w");
    fputs("#!init\n", f);
    fclose(f);
    char src[512];
    snprintf(src, sizeof src, "%s/tree", dir);

    struct cell_error e = {0};
    setplan(src, 1, 0);
    struct vm_initramfs_spec s = {.plan = &P, .plan_bytes = "PLAN", .plan_len = 4, .guest_init = init,
                                  .guest_conf = "channel serial /dev/ttyS1\n"};
    int a = memfd_create("a", 0), b = memfd_create("b", 0);
    uint64_t sa = 0, sb = 0;
    ok(vm_initramfs_build(&s, a, &sa, &e) == 0, "initramfs built (%s)", e.msg);
    ok(vm_initramfs_build(&s, b, &sb, &e) == 0 && sa == sb && sa % 4 == 0, "twice, same size %llu", (unsigned long long)sa);
    char *x = malloc(sa), *y = malloc(sb);
    pread(a, x, sa, 0);
    pread(b, y, sb, 0);
    ok(memcmp(x, y, sa) == 0, "byte-identical (deterministic)");
    free(x);
    free(y);
    char *l = listing(a);
    char want[1024];
    ok(strstr(l, "\ninit\n") && strstr(l, "cellos/plan\n") && strstr(l, "cellos/guest.conf\n") &&
       strstr(l, "cellos/stage\n") && strstr(l, "dev/console\n"), "init, plan, conf, stage, console present");
    snprintf(want, sizeof want, "sysroot%s/sub/hello.txt\n", src);
    ok(strstr(l, want) != NULL, "bind tree copied under sysroot");
    snprintf(want, sizeof want, "sysroot%s/link\n", src);
    ok(strstr(l, want) != NULL, "symlink kept");
    snprintf(want, sizeof want, "sysroot%s\n", dir);
    ok(strstr(l, want) != NULL, "parent directories emitted");

    int c = memfd_create("c", 0);
    s.limit = sa - 4;
    ok(vm_initramfs_build(&s, c, NULL, &e) == -1 && e.err == EFBIG && strstr(e.msg, "limit of"),
       "over the limit refused: %s", e.msg);
    ok(lseek(c, 0, SEEK_END) == 0, "nothing written when refused");
    s.limit = 2048;
    ok(vm_initramfs_build(&s, c, NULL, &e) == -1 && strstr(e.msg, "read-only bind of"),
       "the bind that does not fit is named: %s", e.msg);
    ok(strstr(e.msg, "raise initramfs-limit in the vm section") && !strstr(e.msg, "no vm section"),
       "a plan with a vm section is told to raise its limit");
    s.no_vm_section = true;
    ok(vm_initramfs_build(&s, c, NULL, &e) == -1 && strstr(e.msg, "the plan has no vm section: add one"),
       "a plan without one is told to add one: %s", e.msg);
    s.no_vm_section = false;
    s.limit = 0;

    setplan(src, 0, 0);
    ok(vm_initramfs_build(&s, c, NULL, &e) == -1 && strstr(e.msg, "writable") && strstr(e.msg, "line 4"),
       "writable bind refused: %s", e.msg);
    setplan("/nonexistent/cellos", 1, 1);
    ok(vm_initramfs_build(&s, c, NULL, &e) == 0, "optional missing source skipped");
    setplan("/nonexistent/cellos", 1, 0);
    ok(vm_initramfs_build(&s, c, NULL, &e) == -1 && strstr(e.msg, "/nonexistent/cellos"), "required missing source named: %s", e.msg);
    setplan("/usr", 1, 0);
    P.vm.flags = CP_VM_HAS_ROOTFS;
    int d = memfd_create("d", 0);
    ok(vm_initramfs_build(&s, d, &sa, &e) == 0 && sa < 100000, "with a rootfs image nothing is copied (%llu bytes)", (unsigned long long)sa);
    P.vm.flags = 0;
    ok(vm_initramfs_build(&s, d, &sa, &e) == -1 && strstr(e.msg, "/usr"), "binding /usr without an image exceeds the default limit: %s", e.msg);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    system(cmd);
    return done_testing();
}
