/*
 * extract_vmlinux.c - `extract_vmlinux BZIMAGE OUT`: write the uncompressed
 * ELF vmlinux held in a bzImage (used by `make vm-kernel`; Firecracker on
 * x86_64 boots only an ELF image). `extract_vmlinux --info BZIMAGE` prints
 * what the image header says. Exit 0 on success, 1 on any failure (with a
 * one-line message), 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/vm/vm_kernel.h"

int main(int argc, char **argv)
{
    struct cell_error e = { 0 };
    if (argc == 3 && strcmp(argv[1], "--info") == 0) {
        uint8_t *img;
        size_t len;
        struct vm_kernel_info ki;
        if (vm_read_file(argv[2], 512u << 20, &img, &len, &e) < 0 ||
            vm_kernel_inspect(img, len, &ki, &e) < 0) {
            fprintf(stderr, "extract_vmlinux: %s: %s\n", argv[2], e.msg);
            return 1;
        }
        free(img);
        if (ki.kind == VM_KERNEL_ELF) {
            printf("kind: elf\n");
            return 0;
        }
        printf("kind: bzimage\nprotocol: %u.%02u\nrelease: %s\nversion: %s\n"
               "payload: %s, %llu bytes at %llu\nvmlinux: %u bytes\n",
               ki.boot_protocol >> 8, ki.boot_protocol & 0xff, ki.release, ki.version,
               vm_payload_format_name(ki.payload_format), (unsigned long long)ki.payload_length,
               (unsigned long long)ki.payload_offset, ki.vmlinux_size);
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: extract_vmlinux BZIMAGE OUT | --info BZIMAGE\n");
        return 2;
    }
    if (vm_vmlinux_extract(argv[1], argv[2], &e) < 0) {
        fprintf(stderr, "extract_vmlinux: %s\n", e.msg);
        return 1;
    }
    return 0;
}
