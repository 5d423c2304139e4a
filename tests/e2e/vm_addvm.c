/*
 * vm_addvm.c - test helper: give an existing plan a vm section (and make vm
 * its preferred backend), so the vm tests can reuse the runtime tests' plan
 * maker and the compiled example policies.
 *
 *   vm_addvm IN OUT --kernel PATH [--sha256 HEX] [--vcpus N] [--memory MIB]
 *                   [--rootfs IMG [--rootfs-sha256 HEX]] [--initramfs-limit BYTES]
 *                   [--bootargs ARGS]
 * Without --sha256 the kernel's real digest is used; --sha256 pins another
 * (to test the mismatch refusal).
 */
#include "plan.h"
#include "compiler/plan/plan_writer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int file_sha(const char *path, uint8_t out[32])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    fclose(f);
    crypto_hash_sha256_final(&st, out);
    return 0;
}

static int unhex(const char *h, uint8_t out[32])
{
    if (strlen(h) != 64)
        return -1;
    for (int i = 0; i < 32; i++)
        if (sscanf(h + 2 * i, "%2hhx", &out[i]) != 1)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || sodium_init() < 0) {
        fprintf(stderr, "usage: vm_addvm IN OUT --kernel PATH [options]\n");
        return 2;
    }
    struct plan *p;
    struct plan_error pe;
    if (plan_read_file(argv[1], &p, &pe) < 0) {
        fprintf(stderr, "vm_addvm: %s: %s\n", argv[1], pe.e.msg);
        return 1;
    }
    const char *sha = NULL, *rsha = NULL;
    p->has_vm = true;
    p->meta.backend = CP_BACKEND_VM;
    p->vm.vcpus = 1;
    p->vm.memory = 256ull << 20;
    p->vm.bootargs = "";
    p->vm.rootfs = "";
    for (int i = 3; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--kernel")) p->vm.kernel = v;
        else if (!strcmp(a, "--sha256")) sha = v;
        else if (!strcmp(a, "--vcpus")) p->vm.vcpus = (uint32_t)atoi(v);
        else if (!strcmp(a, "--memory")) p->vm.memory = strtoull(v, NULL, 10) << 20;
        else if (!strcmp(a, "--rootfs")) { p->vm.rootfs = v; p->vm.flags |= CP_VM_HAS_ROOTFS; }
        else if (!strcmp(a, "--rootfs-sha256")) rsha = v;
        else if (!strcmp(a, "--initramfs-limit")) p->vm.initramfs_limit = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--bootargs")) p->vm.bootargs = v;
        else {
            fprintf(stderr, "vm_addvm: unknown option %s\n", a);
            return 2;
        }
    }
    if (!p->vm.kernel || (sha ? unhex(sha, p->vm.kernel_sha256) : file_sha(p->vm.kernel, p->vm.kernel_sha256)) < 0) {
        fprintf(stderr, "vm_addvm: need --kernel PATH (readable) and a valid --sha256\n");
        return 2;
    }
    if ((p->vm.flags & CP_VM_HAS_ROOTFS) &&
        (rsha ? unhex(rsha, p->vm.rootfs_sha256) : file_sha(p->vm.rootfs, p->vm.rootfs_sha256)) < 0) {
        fprintf(stderr, "vm_addvm: rootfs image unreadable or bad --rootfs-sha256\n");
        return 2;
    }
    uint8_t *out;
    size_t len;
    char err[256];
    if (plan_write(p, &out, &len, err, sizeof err) < 0) {
        fprintf(stderr, "vm_addvm: %s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(out, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "vm_addvm: cannot write %s\n", argv[2]);
        return 1;
    }
    free(out);
    plan_free(p);
    return 0;
}
