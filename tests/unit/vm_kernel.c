/* vm_kernel.c - guest kernel images: the legacy LZ4 decoder on crafted and
 * malformed input, bzImage header checks, and (when `make vm-kernel` has
 * run) inspection and vmlinux extraction of the Debian cloud kernel. */
#include "tap.h"
#include "runtime/vm/vm_kernel.h"

#include <stdlib.h>
#include <unistd.h>

static size_t mk(uint8_t *buf, const uint8_t *block, uint32_t n)
{
    const uint8_t magic[4] = {0x02, 0x21, 0x4c, 0x18};
    memcpy(buf, magic, 4);
    buf[4] = (uint8_t)n; buf[5] = (uint8_t)(n >> 8); buf[6] = 0; buf[7] = 0;
    memcpy(buf + 8, block, n);
    return 8 + n;
}

int main(void)
{
    struct cell_error e = {0};
    uint8_t in[256], out[256];
    size_t got;
    /* "abc" then a match of 9 at offset 3 -> "abcabcabcabc", then literal "Z" */
    const uint8_t blk[] = {0x35, 'a', 'b', 'c', 0x03, 0x00, 0x10, 'Z'};
    size_t n = mk(in, blk, sizeof blk);
    ok(vm_lz4_legacy_decode(in, n, out, sizeof out, &got, &e) == 0, "valid stream decodes (%s)", e.msg);
    ok(got == 13 && memcmp(out, "abcabcabcabcZ", 13) == 0, "overlapping match expands correctly");

    ok(vm_lz4_legacy_decode(in, n, out, 5, &got, &e) == -1, "output cap enforced");
    const uint8_t bad_off[] = {0x10, 'a', 0x09, 0x00};
    n = mk(in, bad_off, sizeof bad_off);
    ok(vm_lz4_legacy_decode(in, n, out, sizeof out, &got, &e) == -1 && strstr(e.msg, "offset"),
       "match offset before the output start refused: %s", e.msg);
    const uint8_t bad_lit[] = {0xf0, 0xff, 0xff, 0x10};
    n = mk(in, bad_lit, sizeof bad_lit);
    ok(vm_lz4_legacy_decode(in, n, out, sizeof out, &got, &e) == -1, "literal overrun refused");
    n = mk(in, blk, sizeof blk);
    in[4] = 200;   /* block size larger than the input */
    ok(vm_lz4_legacy_decode(in, n, out, sizeof out, &got, &e) == -1 && strstr(e.msg, "overruns"),
       "block larger than the input refused");
    ok(vm_lz4_legacy_decode((const uint8_t *)"nope", 4, out, sizeof out, &got, &e) == -1, "bad magic refused");

    struct vm_kernel_info ki;
    uint8_t junk[1024] = {0};
    ok(vm_kernel_inspect(junk, sizeof junk, &ki, &e) == -1 && strstr(e.msg, "not a bzImage"),
       "random bytes are not a kernel");
    memcpy(junk + 0x202, "HdrS", 4);
    junk[0x1fe] = 0x55; junk[0x1ff] = 0xaa; junk[0x206] = 0x0f; junk[0x207] = 0x02;
    junk[0x24c] = 0xff; junk[0x24d] = 0xff;  /* payload length past the end */
    ok(vm_kernel_inspect(junk, sizeof junk, &ki, &e) == -1 && strstr(e.msg, "outside"),
       "payload outside the file refused: %s", e.msg);

    const char *top = getenv("CELLOS_TOP");
    char kpath[4096];
    snprintf(kpath, sizeof kpath, "%s/build/vm/vmlinuz", top ? top : ".");
    if (access(kpath, R_OK) != 0) {
        skip(4, "no kernel in build/vm (run make vm-kernel)");
        return done_testing();
    }
    uint8_t *img;
    size_t len;
    e.msg[0] = 0;
    ok(vm_read_file(kpath, 512u << 20, &img, &len, &e) == 0 && vm_kernel_inspect(img, len, &ki, &e) == 0,
       "Debian cloud kernel inspected (%s)", e.msg);
    free(img);
    ok(ki.kind == VM_KERNEL_BZIMAGE && ki.release[0] && ki.vmlinux_size > 1000000,
       "bzImage, release %s, vmlinux %u bytes, payload %s", ki.release, ki.vmlinux_size,
       vm_payload_format_name(ki.payload_format));
    char out_path[] = "/tmp/cellos-vmlinux-t.XXXXXX";
    int fd = mkstemp(out_path);
    close(fd);
    e.msg[0] = 0;
    ok(vm_vmlinux_extract(kpath, out_path, &e) == 0, "vmlinux extracted (%s)", e.msg);
    ok(vm_read_file(out_path, 512u << 20, &img, &len, &e) == 0 && vm_kernel_inspect(img, len, &ki, &e) == 0 &&
       ki.kind == VM_KERNEL_ELF, "the result is an x86_64 ELF image");
    free(img);
    unlink(out_path);
    return done_testing();
}
