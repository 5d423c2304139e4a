/*
 * kvm_probe.c - does KVM run guests on this host? The vm backend's own
 * probe (vm_kvm_probe.h: a three-instruction guest through the KVM API,
 * then a kernel under QEMU+KVM, each under a deadline; the verdict cached
 * per host boot), for tests and scripts that would otherwise wait out a
 * timeout on a host where /dev/kvm opens but guests never run.
 *   kvm_probe [--kernel VMLINUX]
 * Prints "usable" or "broken: <why>" (with "(cached)" when read from the
 * state directory). Exit status: 0 usable, 1 broken, 2 error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/vm/vm_kvm_probe.h"

int main(int argc, char **argv)
{
    int kfd = -1;
    if (argc == 3 && strcmp(argv[1], "--kernel") == 0) {
        kfd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (kfd < 0) {
            perror(argv[2]);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: kvm_probe [--kernel VMLINUX]\n");
        return 2;
    }
    struct vm_kvm_verdict v;
    struct cell_error e = { 0 };
    if (vm_kvm_check(kfd, kfd >= 0 ? "qemu-system-x86_64" : NULL, &v, &e) < 0) {
        fprintf(stderr, "kvm_probe: %s\n", e.msg);
        return 2;
    }
    if (v.usable)
        printf("usable%s\n", v.cached ? " (cached)" : "");
    else
        printf("broken: %s%s\n", v.why, v.cached ? " (cached)" : "");
    return v.usable ? 0 : 1;
}
