/*
 * export.c - copy artifacts out of a finished cell (see export.h).
 *
 * Invariants (docs/runtime.md, "Artifact export"):
 *  - the source is opened under an O_PATH descriptor of the cell's root
 *    (/proc/<init>/root, opened while the cell's init holds the mounts) with
 *    openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS
 *    and O_NOFOLLOW | O_NONBLOCK: no symlink is followed, nothing resolves
 *    outside the cell's root, a fifo cannot block; only a regular file
 *    (fstat) is copied;
 *  - at most max bytes are read: a file that has more (or grows past max
 *    while it is copied) fails, and its partial copy is removed;
 *  - the destination is DIR/<cell id>/<name>: DIR opened O_DIRECTORY |
 *    O_NOFOLLOW, <cell id> made with mkdirat (0755) and opened the same way,
 *    the file created O_CREAT | O_EXCL | O_NOFOLLOW, mode 0644, by the
 *    invoking user (the supervisor's own credentials): never over an
 *    existing file, never through a symlink;
 *  - SHA-256 (libsodium) of exactly the bytes written.
 */
#include "export.h"
#include "event_types.h"
#include "runtime/events/jcs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_in_root(int root, const char *path)
{
    struct open_how how = {
        .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
    };
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
}

/* One artifact: 0 copied (size, hex filled), else -1 with why. */
static int copy_one(int root, int outdir, const struct plan_export_item *x, uint64_t *size, char hex[65],
                    char *why, size_t wn)
{
    if (root < 0) {
        snprintf(why, wn, "the cell's root is not reachable");
        return -1;
    }
    int in = open_in_root(root, x->path + 1);
    if (in < 0) {
        int er = errno;
        snprintf(why, wn, "%s: %s", x->path,
                 er == ELOOP       ? "is or passes through a symlink (refused)"
                     : er == EXDEV ? "leads outside the cell (refused)"
                                   : strerror(er));
        return -1;
    }
    struct stat st;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, wn, "%s: not a regular file (refused)", x->path);
        close(in);
        return -1;
    }
    if ((uint64_t)st.st_size > x->max_bytes) {
        snprintf(why, wn, "%s: %llu bytes, more than max %llu", x->path, (unsigned long long)st.st_size,
                 (unsigned long long)x->max_bytes);
        close(in);
        return -1;
    }
    int out = openat(outdir, x->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0) {
        snprintf(why, wn, "%s: cannot create the copy: %s", x->name, strerror(errno));
        close(in);
        return -1;
    }
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    static const size_t BUF = 65536;
    unsigned char *buf = malloc(BUF);
    uint64_t total = 0;
    int rc = buf ? 0 : -1;
    if (!buf)
        snprintf(why, wn, "out of memory");
    while (rc == 0) {
        ssize_t n = read(in, buf, BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, wn, "%s: read: %s", x->path, strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if (total + (uint64_t)n > x->max_bytes) {
            snprintf(why, wn, "%s: grew past max %llu bytes while copied", x->path,
                     (unsigned long long)x->max_bytes);
            rc = -1;
            break;
        }
        crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                snprintf(why, wn, "%s: write: %s", x->name, w < 0 ? strerror(errno) : "short write");
                rc = -1;
                break;
            }
            off += w;
        }
        total += (uint64_t)n;
    }
    free(buf);
    close(in);
    if (rc == 0 && fsync(out) < 0) {
        snprintf(why, wn, "%s: fsync: %s", x->name, strerror(errno));
        rc = -1;
    }
    if (close(out) < 0 && rc == 0) {
        snprintf(why, wn, "%s: close: %s", x->name, strerror(errno));
        rc = -1;
    }
    if (rc < 0) {
        unlinkat(outdir, x->name, 0); /* ours: created O_EXCL above */
        return -1;
    }
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, md);
    sodium_bin2hex(hex, 65, md, sizeof md);
    *size = total;
    return 0;
}

/* DIR/<cell id>, made here (it must not exist: one run, one directory). */
static int open_outdir(const char *dir, const char *cell_id, char *why, size_t wn)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0) {
        snprintf(why, wn, "export dir %s: %s", dir, strerror(errno));
        return -1;
    }
    int o = -1;
    if (mkdirat(d, cell_id, 0755) < 0)
        snprintf(why, wn, "export dir %s/%s: %s", dir, cell_id, strerror(errno));
    else if ((o = openat(d, cell_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        snprintf(why, wn, "export dir %s/%s: %s", dir, cell_id, strerror(errno));
    close(d);
    return o;
}

int export_artifacts(const struct plan *p, pid_t cell_pid, const char *dir, const char *cell_id,
                     struct ev_stream *ev, bool *required_failed, char *why, size_t why_len,
                     struct cell_error *e)
{
    char rootp[64];
    snprintf(rootp, sizeof rootp, "/proc/%d/root", (int)cell_pid);
    int root = cell_pid > 0 ? open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    char dwhy[512] = "";
    int outdir = open_outdir(dir, cell_id, dwhy, sizeof dwhy);
    int rc = 0;
    for (size_t i = 0; i < p->export_.n_items && rc == 0; i++) {
        const struct plan_export_item *x = &p->export_.items[i];
        char r[512] = "", hex[65] = "";
        uint64_t size = 0;
        int ok;
        if (outdir < 0) {
            snprintf(r, sizeof r, "%s", dwhy);
            ok = -1;
        } else {
            ok = copy_one(root, outdir, x, &size, hex, r, sizeof r);
        }
        jcs_utf8_cut(r); /* a reason cut at 511 bytes may end inside a character */
        if (ok == 0) {
            struct ev_kv kv[] = {
                { .key = "name", .type = EV_KV_STR, .s = x->name },
                { .key = "path", .type = EV_KV_STR, .s = x->path },
                { .key = "size", .type = EV_KV_INT, .i = (int64_t)size },
                { .key = "sha256", .type = EV_KV_STR, .s = hex },
                { .key = "cellid", .type = EV_KV_STR, .s = cell_id },
            };
            rc = ev_export(ev, true, kv, sizeof kv / sizeof *kv, e);
        } else {
            struct ev_kv kv[] = {
                { .key = "name", .type = EV_KV_STR, .s = x->name },
                { .key = "path", .type = EV_KV_STR, .s = x->path },
                { .key = "reason", .type = EV_KV_STR, .s = r },
                { .key = "required", .type = EV_KV_BOOL, .b = (x->flags & CP_EXPORT_REQUIRED) != 0 },
                { .key = "cellid", .type = EV_KV_STR, .s = cell_id },
            };
            rc = ev_export(ev, false, kv, sizeof kv / sizeof *kv, e);
            if ((x->flags & CP_EXPORT_REQUIRED) && !*required_failed) {
                *required_failed = true;
                snprintf(why, why_len, "export: required artifact %s: %s", x->name, r);
            }
        }
    }
    if (outdir >= 0)
        close(outdir);
    if (root >= 0)
        close(root);
    return rc;
}
