/*
 * cpio.c - deterministic cpio newc writer with a size limit (see cpio.h).
 *
 * newc layout per entry: the 6-byte magic "070701", 13 fields of 8 hex
 * digits (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize including the NUL, check), the name and
 * its NUL padded to a multiple of 4, then the data padded to 4. The archive
 * ends with an entry named "TRAILER!!!". The limit is checked before an
 * entry's first byte is written, so a refused entry leaves no partial bytes.
 */
#include "cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_SIZE 110u

static uint64_t pad4(uint64_t n)
{
    return (n + 3) & ~(uint64_t)3;
}

uint64_t cpio_entry_size(size_t name_len, uint64_t data_len)
{
    return pad4(HDR_SIZE + name_len + 1) + pad4(data_len);
}

void cpio_init(struct cpio_writer *w, int fd, uint64_t limit)
{
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->limit = limit;
    w->next_ino = 1;
}

int cpio_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 4095 || name[0] == '/')
        return 0;
    const char *p = name;
    while (*p) {
        const char *s = strchr(p, '/');
        size_t len = s ? (size_t)(s - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!s)
            break;
        p = s + 1;
        if (!*p)
            return 0; /* trailing '/' */
    }
    return 1;
}

static int write_all(struct cpio_writer *w, const void *buf, size_t n, struct cell_error *e)
{
    const char *p = buf;
    while (n) {
        ssize_t r = write(w->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return cell_err_sys(e, r < 0 ? errno : EIO, "initramfs: write");
        p += r;
        n -= (size_t)r;
        w->offset += (uint64_t)r;
    }
    return 0;
}

static int write_pad(struct cpio_writer *w, struct cell_error *e)
{
    static const char zero[4];
    size_t n = (size_t)(pad4(w->offset) - w->offset);
    return n ? write_all(w, zero, n, e) : 0;
}

/* Check the limit for an entry and write its header and name. */
static int begin(struct cpio_writer *w, const char *name, uint32_t mode, uint32_t nlink, uint64_t size,
                 unsigned rmaj, unsigned rmin, int trailer, struct cell_error *e)
{
    if (w->finished)
        return cell_err(e, 0, "initramfs: entry %s added after the trailer", name);
    if (!trailer && !cpio_name_ok(name))
        return cell_err(e, EINVAL, "initramfs: bad entry name \"%s\"", name);
    if (size > 0xffffffffu)
        return cell_err(e, EFBIG, "initramfs: %s is larger than 4 GiB (newc cannot hold it)", name);
    size_t nlen = strlen(name);
    uint64_t need = cpio_entry_size(nlen, size) + (trailer ? 0 : CPIO_TRAILER_SIZE);
    if (w->limit && (w->offset > w->limit || need > w->limit - w->offset))
        return cell_err(e, EFBIG,
                        "initramfs would exceed its limit of %llu bytes: %llu bytes written, "
                        "%s needs %llu more",
                        (unsigned long long)w->limit, (unsigned long long)w->offset, name,
                        (unsigned long long)cpio_entry_size(nlen, size));
    char hdr[HDR_SIZE + 1];
    snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             trailer ? 0u : w->next_ino, mode, 0u, 0u, nlink, 0u, (unsigned)size, 0u, 0u, rmaj, rmin,
             (unsigned)(nlen + 1), 0u);
    if (!trailer)
        w->next_ino++;
    if (write_all(w, hdr, HDR_SIZE, e) < 0 || write_all(w, name, nlen + 1, e) < 0)
        return -1;
    return write_pad(w, e);
}

int cpio_add_dir(struct cpio_writer *w, const char *name, mode_t perm, struct cell_error *e)
{
    return begin(w, name, S_IFDIR | (perm & 07777), 2, 0, 0, 0, 0, e);
}

int cpio_add_data(struct cpio_writer *w, const char *name, mode_t perm, const void *data, size_t len,
                  struct cell_error *e)
{
    if (begin(w, name, S_IFREG | (perm & 07777), 1, len, 0, 0, 0, e) < 0 || write_all(w, data, len, e) < 0)
        return -1;
    return write_pad(w, e);
}

int cpio_add_host_file(struct cpio_writer *w, const char *name, mode_t perm, const char *src,
                       struct cell_error *e)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cell_err_sys(e, errno, "initramfs: %s", src);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cell_err(e, EINVAL, "initramfs: %s is not a regular file", src);
    }
    uint64_t size = (uint64_t)st.st_size, copied = 0;
    if (begin(w, name, S_IFREG | (perm & 07777), 1, size, 0, 0, 0, e) < 0) {
        close(fd);
        return -1;
    }
    char buf[65536];
    while (copied < size) {
        size_t want = size - copied < sizeof buf ? (size_t)(size - copied) : sizeof buf;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int er = r < 0 ? errno : 0;
            close(fd);
            return cell_err_sys(e, er, "initramfs: %s shrank while being copied", src);
        }
        if (write_all(w, buf, (size_t)r, e) < 0) {
            close(fd);
            return -1;
        }
        copied += (uint64_t)r;
    }
    close(fd);
    return write_pad(w, e);
}

int cpio_add_symlink(struct cpio_writer *w, const char *name, const char *target, struct cell_error *e)
{
    size_t n = strlen(target);
    if (n == 0)
        return cell_err(e, EINVAL, "initramfs: symlink %s has an empty target", name);
    if (begin(w, name, S_IFLNK | 0777, 1, n, 0, 0, 0, e) < 0 || write_all(w, target, n, e) < 0)
        return -1;
    return write_pad(w, e);
}

int cpio_add_chardev(struct cpio_writer *w, const char *name, mode_t perm, unsigned major, unsigned minor,
                     struct cell_error *e)
{
    return begin(w, name, S_IFCHR | (perm & 07777), 1, 0, major, minor, 0, e);
}

int cpio_finish(struct cpio_writer *w, struct cell_error *e)
{
    if (begin(w, "TRAILER!!!", 0, 1, 0, 0, 0, 1, e) < 0)
        return -1;
    w->finished = 1;
    return 0;
}
