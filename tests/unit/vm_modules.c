/* vm_modules.c - guest kernel module resolution: .modinfo parsing on
 * crafted and truncated ELF, and (after make vm-kernel) the real modules of
 * the Debian generic kernel resolved dependencies first (ext4 and 9p are
 * modules there). */
#include "tap.h"
#include "runtime/vm/vm_modules.h"

#include <unistd.h>

int main(void)
{
    struct cell_error e = { 0 };
    char deps[256];
    unsigned char junk[128] = { 0 };
    ok(vm_modinfo_depends(junk, sizeof junk, deps, sizeof deps, &e) == -1, "non-ELF refused");
    memcpy(junk,
           "\x7f"
           "ELF\x02\x01",
           6);
    junk[0x28] = 0xf0;
    junk[0x3a] = 64;
    junk[0x3c] = 5; /* section table past the end */
    ok(vm_modinfo_depends(junk, sizeof junk, deps, sizeof deps, &e) == -1 && strstr(e.msg, "out of bounds"),
       "section table out of bounds refused: %s", e.msg);

    const char *top = getenv("CELLOS_TOP");
    char k[4096];
    snprintf(k, sizeof k, "%s/build/vm/vmlinuz", top ? top : ".");
    if (access(k, R_OK) != 0) {
        skip(6, "no kernel in build/vm (run make vm-kernel)");
        return done_testing();
    }
    char rel[128], relx[128];
    ok(vm_kernel_release(k, rel, sizeof rel, &e) == 0, "release from the bzImage: %s", rel);
    snprintf(k, sizeof k, "%s/build/vm/vmlinux", top ? top : ".");
    ok(vm_kernel_release(k, relx, sizeof relx, &e) == 0 && strcmp(rel, relx) == 0,
       "same release from the ELF banner: %s", relx);
    struct vm_module_list l;
    const char *want[] = { "virtio_mmio", "virtio_blk", "squashfs", "ext4" };
    ok(vm_modules_resolve(k, want, 4, &l, &e) == 0, "virtio_mmio, virtio_blk, squashfs, ext4 resolved (%s)",
       e.msg);
    char got[512] = "";
    for (size_t i = 0; i < l.n; i++) {
        strcat(got, l.name[i]);
        strcat(got, " ");
    }
    is_str(got, "virtio_ring virtio virtio_mmio virtio_blk squashfs jbd2 mbcache crc16 ext4 ",
           "dependencies first, each once");
    const char *nine[] = { "virtio_mmio", "9pnet_virtio", "9p" };
    ok(vm_modules_resolve(k, nine, 3, &l, &e) == 0, "9p over virtio-mmio resolved (%s)", e.msg);
    got[0] = 0;
    for (size_t i = 0; i < l.n; i++) {
        strcat(got, l.name[i]);
        strcat(got, " ");
    }
    is_str(got, "virtio_ring virtio virtio_mmio 9pnet 9pnet_virtio netfs fscache 9p ",
           "9p: its dependencies first");
    const char *vs[] = { "vmw_vsock_virtio_transport" };
    ok(vm_modules_resolve(k, vs, 1, &l, &e) == 0 && l.n == 5 &&
           !strcmp(l.name[4], "vmw_vsock_virtio_transport"),
       "vsock transport with its 4 dependencies");
    const char *no[] = { "no_such_module" };
    ok(vm_modules_resolve(k, no, 1, &l, &e) == -1 && strstr(e.msg, "no_such_module"),
       "unknown module named: %s", e.msg);
    return done_testing();
}
