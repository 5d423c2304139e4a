/*
 * gvisor_oci_fs.c - the mount op program as gVisor mounts (oci_fs.c): what
 * becomes which mount, what cellrun stages, which runsc mount points are
 * pre-empted, and the errors native would report found before the sandbox
 * exists (the same errno, the same op).
 */
#include "runtime/gvisor/oci.h"
#include "tap.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXOPS 64
static struct plan_mount_op ops[MAXOPS];
static size_t n_ops;

static void op(uint16_t code, uint16_t flags, const char *src, const char *dst, uint32_t mode, uint64_t size)
{
    ops[n_ops++] = (struct plan_mount_op){ .opcode = code, .flags = flags, .src = src ? src : "",
                                           .dst = dst ? dst : "", .mode = mode, .size = size };
}

static void reset(void)
{
    n_ops = 0;
    op(CP_OP_ROOTFS, 0, NULL, NULL, 0755, 1 << 20);
}

static const uint16_t RO = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV;

static int translate(struct plan *p, struct oci_bundle *b, struct cell_error *e)
{
    memset(p, 0, sizeof *p);
    p->fs.ops = ops;
    p->fs.n_ops = n_ops;
    p->process.uid = 1000;
    p->process.gid = 1000;
    p->process.cwd = "/";
    memset(b, 0, sizeof *b);
    b->fail_op = -1;
    return oci_fs_translate(p, b, e);
}

static const struct oci_mount *mount_at(const struct oci_bundle *b, const char *dst)
{
    for (size_t i = 0; i < b->n_mounts; i++)
        if (b->mounts[i].live && strcmp(b->mounts[i].dst, dst) == 0)
            return &b->mounts[i];
    return NULL;
}

static const struct oci_entry *entry(const struct oci_bundle *b, const char *mount_dst, const char *rel)
{
    for (size_t i = 0; i < b->n_entries; i++) {
        const struct oci_entry *en = &b->entries[i];
        if (strcmp(b->mounts[en->mount].dst, mount_dst) == 0 && strcmp(en->rel, rel) == 0)
            return en;
    }
    return NULL;
}

static bool has_note(const struct oci_bundle *b, const char *what)
{
    for (size_t i = 0; i < b->n_notes; i++)
        if (strcmp(b->notes[i].what, what) == 0)
            return true;
    return false;
}

int oci_fs_exec_check(const struct oci_bundle *b, const char *argv0);

int main(void)
{
    struct plan p;
    struct oci_bundle b;
    struct cell_error e;

    /* ---- a typical layout (runtime_mkplan's) */
    reset();
    op(CP_OP_BIND, 0, "/usr", "/usr", 0, 0);
    op(CP_OP_REMOUNT, RO, NULL, "/usr", 0, 0);
    op(CP_OP_SYMLINK, 0, "usr/bin", "/bin", 0, 0);
    op(CP_OP_PROC, 0, NULL, "/proc", 0, 0);
    op(CP_OP_TMPFS, CP_MNT_NOSUID, NULL, "/dev", 0755, 65536);
    op(CP_OP_DEVNODE, 0, "/dev/null", "/dev/null", 0, 0);
    op(CP_OP_DEVPTS, 0, NULL, "/dev/pts", 0, 0);
    op(CP_OP_SYMLINK, 0, "/proc/self/fd", "/dev/fd", 0, 0);
    op(CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC, NULL, "/dev/shm", 01777, 1 << 20);
    op(CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NODEV, NULL, "/tmp", 01777, 1 << 20);
    op(CP_OP_WORKSPACE, CP_MNT_NOSUID | CP_MNT_NODEV, NULL, "/work", 0700, 1 << 20);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    op(CP_OP_REMOUNT, RO, NULL, "/", 0, 0);
    op(CP_OP_MASK, CP_MNT_OPTIONAL, NULL, "/proc/kcore", 0, 0);
    op(CP_OP_MASK, CP_MNT_OPTIONAL, NULL, "/proc/acpi", 0, 0);
    op(CP_OP_MASK, CP_MNT_OPTIONAL, NULL, "/sys/firmware", 0, 0);
    op(CP_OP_REMOUNT, RO | CP_MNT_NOEXEC, NULL, "/proc/sys", 0, 0);
    op(CP_OP_CHDIR, 0, NULL, "/work", 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op < 0, "a typical program translates, nothing fails");
    ok(b.ops[0].how == OCI_HOW_HOST && b.ops[3].how == OCI_HOW_HOST, "rootfs and symlinks are cellrun's");
    ok(b.ops[1].how == OCI_HOW_GVISOR && b.ops[4].how == OCI_HOW_GVISOR, "binds and proc are gVisor's");
    ok(b.ops[16].how == OCI_HOW_SKIPPED, "an optional mask of an absent path (/sys/firmware) is skipped");
    ok(b.root_readonly, "/ is read-only");
    const struct oci_mount *m = mount_at(&b, "/usr");
    ok(m && m->kind == OCI_FS_CLONE && m->flags == RO && !strcmp(m->host, "/usr"), "/usr: a read-only clone of the host's /usr");
    m = mount_at(&b, "/dev");
    ok(m && m->kind == OCI_FS_STAGED && m->size == 65536, "/dev (with symlinks inside) is a tmpfs staged by cellrun, sized");
    m = mount_at(&b, "/dev/null");
    ok(m && m->kind == OCI_FS_CLONE && m->device && !m->is_dir, "/dev/null: the host device");
    ok(entry(&b, "/dev", "null") && entry(&b, "/dev", "null")->type == OCI_E_FILE, "  its mount point is made in the staged /dev");
    ok(entry(&b, "/dev", "fd") && entry(&b, "/dev", "fd")->type == OCI_E_SYMLINK, "/dev/fd: a symlink made by cellrun");
    m = mount_at(&b, "/dev/shm");
    ok(m && m->kind == OCI_FS_TMPFS && m->size == (1 << 20) && (m->flags & CP_MNT_NOEXEC), "/dev/shm: a gVisor tmpfs, sized, noexec");
    m = mount_at(&b, "/work");
    ok(m && m->kind == OCI_FS_TMPFS && m->chown && m->uid == 1000 && m->mode == 0700, "/work: owned by the workload");
    m = mount_at(&b, "/proc/kcore");
    ok(m && m->kind == OCI_FS_MASK_FILE, "/proc/kcore masked by an empty file");
    ok(entry(&b, "/", "proc/kcore") != NULL, "  whose mount point exists on the gofer's side (the skeleton)");
    m = mount_at(&b, "/proc/acpi");
    ok(m && m->kind == OCI_FS_MASK_DIR, "/proc/acpi masked by an empty read-only tmpfs");
    m = mount_at(&b, "/proc/sys");
    ok(m && m->kind == OCI_FS_MASK_DIR && has_note(&b, "filesystem.remount"),
       "/proc/sys read-only: an empty read-only directory, and a deviation note");
    m = mount_at(&b, "/sys");
    ok(m && m->kind == OCI_FS_MASK_DIR && has_note(&b, "filesystem.covers"), "/sys (absent from the plan) is covered");
    ok(mount_at(&b, "/dev/pts") && mount_at(&b, "/dev/pts")->kind == OCI_FS_DEVPTS, "/dev/pts: gVisor's devpts");
    ok(oci_fs_exec_check(&b, "/bin/true") == 0, "exec of /bin/true (through the /bin symlink) is fine");
    is_int(oci_fs_exec_check(&b, "/usr/bin/no-such-binary"), ENOENT, "a missing binary: ENOENT, as native");
    is_int(oci_fs_exec_check(&b, "/work/x"), ENOENT, "nothing exists yet in a fresh tmpfs");
    is_int(oci_fs_exec_check(&b, "/usr"), EACCES, "a directory: EACCES");
    oci_bundle_free(&b);

    /* ---- failures found before the sandbox exists, as native reports them */
    reset();
    op(CP_OP_BIND, 0, "/nonexistent-cellos", "/x", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0, "a missing bind source is not a refusal");
    ok(b.fail_op == 1 && b.ops[1].err == ENOENT && b.ops[2].how == OCI_HOW_UNREACHED,
       "it fails op 1 with ENOENT; later ops are never attempted");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_BIND, CP_MNT_OPTIONAL, "/nonexistent-cellos", "/x", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op < 0 && b.ops[1].how == OCI_HOW_SKIPPED, "an optional one is skipped");
    ok(entry(&b, "/", "x") == NULL, "  and no mount point is made for it");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_BIND, 0, "/usr", "/usr", 0, 0);
    op(CP_OP_MKDIR, 0, NULL, "/usr/cellos-new", 0755, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op == 2 && b.ops[2].err == EROFS,
       "mkdir inside a host bind: EROFS (the host tree is never written)");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_BIND, 0, "/usr", "/usr", 0, 0);
    op(CP_OP_TMPFS, 0, NULL, "/usr/cellos-nowhere", 0755, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op == 2 && b.ops[2].err == EROFS,
       "a mount point that would have to be made in a host bind: EROFS");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_SYMLINK, 0, "/etc", "/link", 0, 0);
    op(CP_OP_TMPFS, 0, NULL, "/link", 0755, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op == 2 && b.ops[2].err == ELOOP,
       "a mount on a symlink: ELOOP (never followed)");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_SYMLINK, 0, "a", "/l", 0, 0);
    op(CP_OP_SYMLINK, 0, "b", "/l", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op == 2 && b.ops[2].err == EEXIST, "a conflicting symlink: EEXIST");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    op(CP_OP_CHDIR, 0, NULL, "/nowhere", 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op == 2 && b.ops[2].err == ENOENT, "chdir to a missing directory: ENOENT");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_SYMLINK, 0, "/x", "/l", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    op(CP_OP_MASK, 0, NULL, "/l", 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op == 3 && b.ops[3].err == ELOOP, "a mask on a symlink: ELOOP");
    oci_bundle_free(&b);

    /* ---- staging and sub-path remounts */
    reset();
    op(CP_OP_WORKSPACE, 0, NULL, "/work", 0755, 1 << 20);
    op(CP_OP_MKDIR, 0, NULL, "/work/out", 0700, 0);
    op(CP_OP_BIND, 0, "/usr", "/usr", 0, 0);
    op(CP_OP_REMOUNT, CP_MNT_NOSUID, NULL, "/usr", 0, 0);
    op(CP_OP_REMOUNT, CP_MNT_RDONLY, NULL, "/usr/lib", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) == 0 && b.fail_op < 0, "staging program translates");
    m = mount_at(&b, "/work");
    ok(m && m->kind == OCI_FS_STAGED && m->chown, "a workspace with a mkdir inside is staged by cellrun");
    ok(entry(&b, "/work", "out") && entry(&b, "/work", "out")->mode == 0700, "  with the directory, mode 0700");
    m = mount_at(&b, "/usr/lib");
    ok(m && m->kind == OCI_FS_CLONE && m->from >= 0 && !strcmp(m->host, "lib") &&
       m->flags == (CP_MNT_NOSUID | CP_MNT_RDONLY), "remount of a sub-path: a clone of it with the flags added");
    ok(!b.root_readonly, "a root the plan leaves writable stays writable");
    ok(mount_at(&b, "/proc") && mount_at(&b, "/dev") && mount_at(&b, "/tmp") && mount_at(&b, "/dev/pts"),
       "/proc, /dev, /dev/pts, /tmp absent from the plan are covered (runsc would mount its own)");
    ok(mount_at(&b, "/dev")->kind == OCI_FS_MASK_DIR && mount_at(&b, "/dev/pts")->kind == OCI_FS_MASK_DIR &&
       entry(&b, "/", "dev") != NULL, "  by empty read-only directories (/dev's mount point made in the skeleton)");
    oci_bundle_free(&b);

    /* ---- refusals */
    reset();
    op(CP_OP_DEVNODE, 0, "/dev/kvm", "/kvm", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) < 0 && strstr(e.msg, "op 1 (devnode /kvm)") && strstr(e.msg, "only /dev/null"),
       "a host device other than the six is refused, naming the op: %s", e.msg);
    oci_bundle_free(&b);
    reset();
    op(CP_OP_BIND, 0, "/dev/null", "/n", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    ok(translate(&p, &b, &e) < 0 && strstr(e.msg, "device node"), "a device bound as a plain bind is refused");
    oci_bundle_free(&b);
    reset();
    op(CP_OP_PROC, 0, NULL, "/proc", 0, 0);
    op(CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0, 0);
    op(CP_OP_REMOUNT, CP_MNT_NOEXEC, NULL, "/proc/sys", 0, 0);
    ok(translate(&p, &b, &e) < 0 && strstr(e.msg, "noexec"), "noexec inside gVisor's procfs is refused");
    oci_bundle_free(&b);
    return done_testing();
}
