/*
 * vm_kernel.c - recognise guest kernel images and extract vmlinux from a
 * bzImage.
 *
 * A bzImage carries the x86 boot protocol "setup header" at offset 0x1f1;
 * from protocol 2.08 on it records where the compressed vmlinux (the
 * "payload") lies relative to the protected-mode code, which starts after
 * (setup_sects + 1) sectors of 512 bytes. The kernel's build appends the
 * uncompressed size as 4 little-endian bytes after the compressed stream.
 * Every offset and length read here is checked against the file's size.
 */
#include "vm_kernel.h"
#include "runtime/lib/out_file.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETUP_HDR  0x1f1
#define MAX_KERNEL (512u * 1024 * 1024)

extern char **environ;

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *vm_payload_format_name(enum vm_payload_format f)
{
    switch (f) {
    case VM_PAYLOAD_LZ4: return "lz4";
    case VM_PAYLOAD_GZIP: return "gzip";
    case VM_PAYLOAD_XZ: return "xz";
    case VM_PAYLOAD_ZSTD: return "zstd";
    case VM_PAYLOAD_BZIP2: return "bzip2";
    case VM_PAYLOAD_LZMA: return "lzma";
    case VM_PAYLOAD_LZO: return "lzo";
    case VM_PAYLOAD_UNKNOWN: break;
    }
    return "unknown";
}

static enum vm_payload_format sniff(const uint8_t *p, size_t n)
{
    if (n >= 4 && le32(p) == 0x184c2102u)
        return VM_PAYLOAD_LZ4;
    if (n >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
        return VM_PAYLOAD_GZIP;
    if (n >= 6 &&
        memcmp(p,
               "\xfd"
               "7zXZ\0",
               6) == 0)
        return VM_PAYLOAD_XZ;
    if (n >= 4 && le32(p) == 0xfd2fb528u)
        return VM_PAYLOAD_ZSTD;
    if (n >= 3 && memcmp(p, "BZh", 3) == 0)
        return VM_PAYLOAD_BZIP2;
    if (n >= 3 && memcmp(p, "\x5d\x00\x00", 3) == 0)
        return VM_PAYLOAD_LZMA;
    if (n >= 4 && memcmp(p, "\x89LZO", 4) == 0)
        return VM_PAYLOAD_LZO;
    return VM_PAYLOAD_UNKNOWN;
}

static int is_elf64_x86_64(const uint8_t *p, size_t n)
{
    return n >= 64 &&
        memcmp(p,
               "\x7f"
               "ELF",
               4) == 0 &&
        p[4] == 2 /* ELFCLASS64 */ && p[5] == 1 /* little-endian */ && le16(p + 18) == 62 /* EM_X86_64 */;
}

int vm_kernel_inspect(const uint8_t *img, size_t len, struct vm_kernel_info *out, struct cell_error *e)
{
    memset(out, 0, sizeof *out);
    if (is_elf64_x86_64(img, len)) {
        out->kind = VM_KERNEL_ELF;
        return 0;
    }
    if (len < 0x250 || memcmp(img + 0x202, "HdrS", 4) != 0 || le16(img + 0x1fe) != 0xaa55)
        return cell_err(e, 0, "not a bzImage or an x86_64 ELF vmlinux (no boot protocol header)");
    out->kind = VM_KERNEL_BZIMAGE;
    out->boot_protocol = le16(img + 0x206);
    if (out->boot_protocol < 0x0208)
        return cell_err(e, 0, "bzImage boot protocol %u.%02u is older than 2.08 (no payload fields)",
                        out->boot_protocol >> 8, out->boot_protocol & 0xff);
    uint32_t setup_sects = img[SETUP_HDR];
    if (setup_sects == 0)
        setup_sects = 4;
    uint64_t pm_start = (uint64_t)(setup_sects + 1) * 512;

    /* kernel_version: offset of a NUL-terminated string, minus 0x200. */
    uint16_t kv = le16(img + 0x20e);
    if (kv) {
        uint64_t off = (uint64_t)kv + 0x200;
        if (off < len && off < pm_start) {
            size_t max = len - off;
            if (max > sizeof out->version - 1)
                max = sizeof out->version - 1;
            size_t i = 0;
            for (; i < max && img[off + i] >= 0x20 && img[off + i] < 0x7f; i++)
                out->version[i] = (char)img[off + i];
            out->version[i] = 0;
            size_t r = strcspn(out->version, " ");
            if (r >= sizeof out->release)
                r = sizeof out->release - 1;
            memcpy(out->release, out->version, r);
            out->release[r] = 0;
        }
    }
    uint32_t poff = le32(img + 0x248), plen = le32(img + 0x24c);
    out->payload_offset = pm_start + poff;
    out->payload_length = plen;
    if (plen < 8 || out->payload_offset > len || plen > len - out->payload_offset)
        return cell_err(e, 0, "bzImage payload (offset %llu, length %u) lies outside the %zu-byte file",
                        (unsigned long long)out->payload_offset, plen, len);
    const uint8_t *pl = img + out->payload_offset;
    out->payload_format = sniff(pl, plen);
    out->vmlinux_size = le32(pl + plen - 4);
    if (out->payload_format == VM_PAYLOAD_UNKNOWN)
        return cell_err(e, 0, "bzImage payload format not recognised (first bytes %02x %02x %02x %02x)",
                        pl[0], pl[1], pl[2], pl[3]);
    return 0;
}

/* One LZ4 block: sequences of literals and back-references. */
static int lz4_block(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *pos, struct cell_error *e)
{
    size_t ip = 0, op = *pos;
    while (ip < n) {
        uint8_t token = in[ip++];
        size_t lit = token >> 4;
        if (lit == 15) {
            uint8_t b;
            do {
                if (ip >= n)
                    return cell_err(e, 0, "lz4: truncated literal length");
                b = in[ip++];
                lit += b;
            } while (b == 255 && lit < cap);
        }
        if (lit > n - ip || lit > cap - op)
            return cell_err(e, 0, "lz4: literal run of %zu bytes overruns the block or output", lit);
        memcpy(out + op, in + ip, lit);
        ip += lit;
        op += lit;
        if (ip == n)
            break; /* the last sequence has no match */
        if (n - ip < 2)
            return cell_err(e, 0, "lz4: truncated match offset");
        size_t off = le16(in + ip);
        ip += 2;
        if (off == 0 || off > op)
            return cell_err(e, 0, "lz4: match offset %zu points before the output start", off);
        size_t mlen = token & 15;
        if (mlen == 15) {
            uint8_t b;
            do {
                if (ip >= n)
                    return cell_err(e, 0, "lz4: truncated match length");
                b = in[ip++];
                mlen += b;
            } while (b == 255 && mlen < cap);
        }
        mlen += 4;
        if (mlen > cap - op)
            return cell_err(e, 0, "lz4: match of %zu bytes overruns the output", mlen);
        const uint8_t *src = out + op - off;
        for (size_t i = 0; i < mlen; i++) /* byte-wise: the copy may overlap */
            out[op + i] = src[i];
        op += mlen;
    }
    *pos = op;
    return 0;
}

int vm_lz4_legacy_decode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                         struct cell_error *e)
{
    *out_len = 0;
    if (in_len < 4 || le32(in) != 0x184c2102u)
        return cell_err(e, 0, "lz4: not a legacy-format stream");
    size_t ip = 4, op = 0;
    while (ip + 4 <= in_len && op < out_cap) {
        uint32_t bsz = le32(in + ip);
        ip += 4;
        if (bsz == 0x184c2102u) /* concatenated stream: another magic */
            continue;
        if (bsz > in_len - ip)
            return cell_err(e, 0, "lz4: block of %u bytes at offset %zu overruns the input", bsz, ip - 4);
        if (lz4_block(in + ip, bsz, out, out_cap, &op, e) < 0)
            return -1;
        ip += bsz;
    }
    *out_len = op;
    return 0;
}

int vm_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct cell_error *e)
{
    struct stat st;
    char *b;
    int er = sys_read_file(path, max, 0, &b, len, &st);
    if (er)
        return cell_err_sys(e, er, "%s", path);
    if (!S_ISREG(st.st_mode) || *len > max) {
        free(b);
        *len = 0;
        return S_ISREG(st.st_mode) ? cell_err(e, EFBIG, "%s: more than the %zu bytes allowed", path, max)
                                   : cell_err(e, 0, "%s: not a regular file", path);
    }
    *buf = (uint8_t *)b;
    return 0;
}

/* Pipe `in` through `tool -dc` into fd `out_fd`. The tool's stdin is a
 * temporary file holding the payload (no deadlock from a pipe pair). */
static int external_decompress(const char *tool, const uint8_t *in, size_t n, int out_fd,
                               struct cell_error *e)
{
    char tmpl[] = "/tmp/cellos-payload.XXXXXX";
    int in_fd = mkostemp(tmpl, O_CLOEXEC);
    if (in_fd < 0)
        return cell_err_sys(e, errno, "temporary file for the kernel payload");
    unlink(tmpl);
    if (sys_write_all(in_fd, in, n) < 0 || lseek(in_fd, 0, SEEK_SET) < 0) {
        int er = errno;
        close(in_fd);
        return cell_err_sys(e, er, "writing the kernel payload");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    char *argv[] = { (char *)tool, "-dc", NULL };
    pid_t pid;
    int rc = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in_fd);
    if (rc != 0)
        return cell_err_sys(e, rc, "cannot run %s to decompress the kernel payload", tool);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return cell_err_sys(e, errno, "waiting for %s", tool);
    /* gzip exits 2 on the trailing size bytes ("trailing garbage ignored"). */
    if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 2))
        return cell_err(e, 0, "%s failed to decompress the kernel payload", tool);
    return 0;
}

int vm_vmlinux_extract(const char *in_path, const char *out_path, struct cell_error *e)
{
    uint8_t *img;
    size_t len;
    if (vm_read_file(in_path, MAX_KERNEL, &img, &len, e) < 0)
        return -1;
    struct vm_kernel_info ki;
    if (vm_kernel_inspect(img, len, &ki, e) < 0) {
        free(img);
        return cell_err_wrap(e, "%s", in_path);
    }
    if (ki.kind == VM_KERNEL_ELF) {
        free(img);
        return cell_err(e, 0, "%s: already an ELF vmlinux", in_path);
    }
    if (ki.vmlinux_size < 64 || ki.vmlinux_size > MAX_KERNEL) {
        free(img);
        return cell_err(e, 0, "%s: recorded vmlinux size %u is implausible", in_path, ki.vmlinux_size);
    }
    /* written like every output (runtime/lib/out_file.h): a temporary file
     * beside out_path (O_EXCL, not a guessable name), renamed over it; a
     * symlink at out_path is refused */
    struct out_file of;
    const struct out_spec spec = { .how = OUT_REPLACE, .mode = 0644 };
    if (out_open(&of, out_path, &spec, e) < 0) {
        free(img);
        return -1;
    }
    if (of.kind != OUT_KIND_TEMP) {
        out_discard(&of);
        free(img);
        return cell_err(e, EINVAL, "%s: not a regular file; the vmlinux is written to a file only", out_path);
    }
    int fd = of.fd;
    const char *tmp = of.tmp;
    const uint8_t *pl = img + ki.payload_offset;
    int rc = 0;
    if (ki.payload_format == VM_PAYLOAD_LZ4) {
        uint8_t *out = malloc(ki.vmlinux_size);
        size_t got = 0;
        if (!out)
            rc = cell_err_sys(e, ENOMEM, "vmlinux buffer");
        else if (vm_lz4_legacy_decode(pl, ki.payload_length - 4, out, ki.vmlinux_size, &got, e) < 0)
            rc = cell_err_wrap(e, "%s", in_path);
        else if (got != ki.vmlinux_size)
            rc = cell_err(e, 0, "%s: decompressed %zu bytes, the image records %u", in_path, got,
                          ki.vmlinux_size);
        else if (sys_write_all(fd, out, got) < 0)
            rc = cell_err_sys(e, errno, "%s", tmp);
        free(out);
    } else {
        static const char *const tools[] = {
            [VM_PAYLOAD_GZIP] = "gzip",   [VM_PAYLOAD_XZ] = "xz",     [VM_PAYLOAD_ZSTD] = "zstd",
            [VM_PAYLOAD_BZIP2] = "bzip2", [VM_PAYLOAD_LZMA] = "lzma", [VM_PAYLOAD_LZO] = "lzop",
        };
        /* xz/zstd/lzma refuse trailing bytes: hand them the stream without the size. */
        size_t n = ki.payload_format == VM_PAYLOAD_GZIP ? ki.payload_length : ki.payload_length - 4;
        rc = external_decompress(tools[ki.payload_format], pl, n, fd, e);
    }
    free(img);
    if (rc == 0) {
        uint8_t head[64];
        struct stat st;
        if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != ki.vmlinux_size)
            rc = cell_err(e, 0, "%s: extracted %lld bytes, the image records %u", in_path,
                          (long long)st.st_size, ki.vmlinux_size);
        else if (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
                 !is_elf64_x86_64(head, sizeof head))
            rc = cell_err(e, 0, "%s: the decompressed payload is not an x86_64 ELF image", in_path);
        else if (fsync(fd) < 0)
            rc = cell_err_sys(e, errno, "%s", tmp);
    }
    if (rc != 0) {
        out_discard(&of);
        return rc;
    }
    return out_commit(&of, e);
}
