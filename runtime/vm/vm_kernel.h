/*
 * vm_kernel.h - guest kernel images: recognise a bzImage or an ELF vmlinux,
 * read a bzImage's version string, and extract the uncompressed ELF vmlinux
 * from a bzImage (Firecracker on x86_64 boots only an ELF vmlinux).
 *
 * Everything read from an image is bounds-checked against the image size:
 * a kernel file is host input like any other.
 */
#ifndef CELLOS_VM_KERNEL_H
#define CELLOS_VM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"

enum vm_kernel_kind {
    VM_KERNEL_BZIMAGE = 1, /* x86 boot protocol image (vmlinuz) */
    VM_KERNEL_ELF = 2,     /* uncompressed ELF64 vmlinux */
};

enum vm_payload_format {
    VM_PAYLOAD_UNKNOWN = 0,
    VM_PAYLOAD_LZ4, /* legacy LZ4 frame (0x184c2102): decoded in-process */
    VM_PAYLOAD_GZIP,
    VM_PAYLOAD_XZ,
    VM_PAYLOAD_ZSTD,
    VM_PAYLOAD_BZIP2,
    VM_PAYLOAD_LZMA,
    VM_PAYLOAD_LZO,
};

struct vm_kernel_info {
    enum vm_kernel_kind kind;
    uint16_t boot_protocol;  /* bzImage: e.g. 0x020f */
    char version[128];       /* bzImage: "6.1.0-... (builder) #1 ..." first word is the release */
    char release[64];        /* bzImage: the first word of version, e.g. "6.1.0-56-cloud-amd64" */
    uint64_t payload_offset; /* bzImage: file offset of the compressed vmlinux */
    uint64_t payload_length;
    enum vm_payload_format payload_format;
    uint32_t vmlinux_size; /* bzImage: uncompressed size recorded after the payload */
};

/* Name of a payload format ("lz4", "gzip", ...). */
const char *vm_payload_format_name(enum vm_payload_format f);

/* Inspect `len` bytes of a kernel image. */
int vm_kernel_inspect(const uint8_t *img, size_t len, struct vm_kernel_info *out, struct cell_error *e);

/* Decode a legacy-format LZ4 stream (as the kernel's build writes it) into
 * out[0..out_cap); *out_len receives the bytes written. Fails on any
 * malformed block, offset or length, and when the output would exceed out_cap. */
int vm_lz4_legacy_decode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                         struct cell_error *e);

/* Extract the ELF vmlinux of the bzImage at `in_path` into `out_path`
 * (written to a temporary name beside it, then renamed). LZ4 payloads are
 * decoded in-process; other formats are piped through the matching
 * decompressor (gzip, xz, zstd, bzip2, lzop) found on PATH. The result must
 * be an ELF64 x86_64 image of exactly the recorded size. */
int vm_vmlinux_extract(const char *in_path, const char *out_path, struct cell_error *e);

/* Read a whole file of at most max bytes into a malloc'd buffer. */
int vm_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct cell_error *e);

#endif
