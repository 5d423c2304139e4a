/*
 * out_file.c - opening a file a command was asked to write (out_file.h):
 * what is at the path decides how, and nothing else on the host changes.
 */
#include "out_file.h"
#include "sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void out_init(struct out_file *o, const char *path, const struct out_spec *s)
{
    o->fd = -1;
    o->kind = OUT_KIND_TEMP;
    o->how = s->how;
    o->mode = s->mode & 07777;
    o->path = path;
    o->tmp = NULL;
}

/* A temporary file beside the path: same directory, so rename is atomic. */
static int open_temp(struct out_file *o, struct cell_error *e)
{
    size_t n = strlen(o->path);
    if (n + 16 > PATH_MAX)
        return cell_err(e, ENAMETOOLONG, "%s: path too long", o->path);
    o->tmp = malloc(n + 16);
    if (!o->tmp)
        return cell_err_sys(e, ENOMEM, "%s", o->path);
    snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", o->path);
    o->fd = mkostemp(o->tmp, O_CLOEXEC); /* O_EXCL, mode 0600 until commit */
    if (o->fd < 0) {
        int err = errno;
        free(o->tmp);
        o->tmp = NULL;
        return cell_err_sys(e, err, "%s: cannot create a temporary file beside it", o->path);
    }
    o->kind = OUT_KIND_TEMP;
    return 0;
}

static int open_socket(struct out_file *o, struct cell_error *e)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(o->path) >= sizeof a.sun_path)
        return cell_err(e, ENAMETOOLONG, "%s: socket path too long", o->path);
    memcpy(a.sun_path, o->path, strlen(o->path) + 1);
    o->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (o->fd < 0 || connect(o->fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int err = errno;
        sys_close_quiet(o->fd);
        o->fd = -1;
        return cell_err_sys(e, err, "%s: cannot connect to the socket", o->path);
    }
    o->kind = OUT_KIND_IN_PLACE;
    return 0;
}

/* A character device or fifo: opened as it is, and checked to be the same
 * file lstat saw (no link or other file swapped in meanwhile). */
static int open_in_place(struct out_file *o, const struct stat *seen, struct cell_error *e)
{
    o->fd = open(o->path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (o->fd < 0)
        return cell_err_sys(e, errno, "%s: cannot open for writing", o->path);
    struct stat st;
    if (fstat(o->fd, &st) < 0 || st.st_dev != seen->st_dev || st.st_ino != seen->st_ino) {
        close(o->fd);
        o->fd = -1;
        return cell_err(e, EAGAIN, "%s: the file changed while it was opened; not written", o->path);
    }
    o->kind = OUT_KIND_IN_PLACE;
    return 0;
}

static int open_append(struct out_file *o, struct cell_error *e)
{
    o->fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, o->mode);
    if (o->fd < 0) {
        int err = errno;
        if (err == ELOOP)
            return cell_err(e, err, "%s: is a symbolic link; refusing to write through it", o->path);
        return cell_err_sys(e, err, "%s: cannot open for appending", o->path);
    }
    struct stat st;
    if (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(o->fd);
        o->fd = -1;
        return cell_err(e, EAGAIN, "%s: the file changed while it was opened; not written", o->path);
    }
    o->kind = OUT_KIND_APPEND;
    return 0;
}

int out_open(struct out_file *o, const char *path, const struct out_spec *s, struct cell_error *e)
{
    out_init(o, path, s);
    bool secret = s->flags & OUT_SECRET;
    if (!path || !*path)
        return cell_err(e, EINVAL, "empty output path");
    if (strcmp(path, "-") == 0 && (s->flags & OUT_DASH_STDOUT) && !secret) {
        o->fd = STDOUT_FILENO;
        o->kind = OUT_KIND_STDOUT;
        return 0;
    }
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            return cell_err_sys(e, errno, "%s", path);
        return s->how == OUT_APPEND ? open_append(o, e) : open_temp(o, e);
    }
    if (S_ISLNK(st.st_mode))
        return cell_err(e, ELOOP, "%s: is a symbolic link; refusing to write through it", path);
    if (S_ISDIR(st.st_mode))
        return cell_err(e, EISDIR, "%s: is a directory", path);
    if (s->how == OUT_CREATE)
        return cell_err(e, EEXIST, "%s: already exists; refusing to overwrite it", path);
    if (S_ISREG(st.st_mode)) {
        if (secret && st.st_uid != geteuid())
            return cell_err(e, EPERM, "%s: belongs to uid %u; refusing to write a secret over it", path,
                            (unsigned)st.st_uid);
        if (s->flags & OUT_KEEP_MODE)
            o->mode = st.st_mode & 0777;
        return s->how == OUT_APPEND ? open_append(o, e) : open_temp(o, e);
    }
    if (secret)
        return cell_err(e, EINVAL,
                        "%s: not a regular file; a secret key is only written to a new regular file", path);
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
        return open_in_place(o, &st, e);
    if (S_ISSOCK(st.st_mode))
        return open_socket(o, e);
    return cell_err(e, EINVAL, "%s: is a block device; refusing to write to it", path);
}

void out_discard(struct out_file *o)
{
    if (o->fd >= 0 && o->kind != OUT_KIND_STDOUT)
        close(o->fd);
    o->fd = -1;
    if (o->tmp) {
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
}

/* Put the finished temporary file at the path: over what is there
 * (OUT_REPLACE), or only where nothing is (OUT_CREATE). */
static int place_temp(struct out_file *o)
{
    if (o->how != OUT_CREATE)
        return rename(o->tmp, o->path);
    if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* a filesystem without RENAME_NOREPLACE: link() never replaces */
    if (link(o->tmp, o->path) < 0)
        return -1;
    unlink(o->tmp);
    return 0;
}

int out_commit(struct out_file *o, struct cell_error *e)
{
    int err = 0;
    switch (o->kind) {
    case OUT_KIND_STDOUT: o->fd = -1; return 0;
    case OUT_KIND_IN_PLACE:
    case OUT_KIND_APPEND:
        if (o->kind == OUT_KIND_APPEND && fsync(o->fd) < 0)
            err = errno;
        if (close(o->fd) < 0 && !err && errno != EINTR)
            err = errno;
        o->fd = -1;
        return err ? cell_err_sys(e, err, "%s: cannot write", o->path) : 0;
    case OUT_KIND_TEMP: break;
    }
    if (fchmod(o->fd, o->mode) < 0 || fsync(o->fd) < 0)
        err = errno;
    if (close(o->fd) < 0 && !err)
        err = errno;
    o->fd = -1;
    if (!err && place_temp(o) < 0)
        err = errno;
    if (err) {
        out_discard(o);
        if (err == EEXIST)
            return cell_err(e, err, "%s: already exists; refusing to overwrite it", o->path);
        return cell_err_sys(e, err, "%s: cannot write", o->path);
    }
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

int out_write_whole(const char *path, const void *buf, size_t n, const struct out_spec *s,
                    struct cell_error *e)
{
    struct out_file o;
    if (out_open(&o, path, s, e) < 0)
        return -1;
    if (sys_write_all(o.fd, buf, n) < 0) {
        int err = errno;
        out_discard(&o);
        return cell_err_sys(e, err, "%s: cannot write", path);
    }
    return out_commit(&o, e);
}
