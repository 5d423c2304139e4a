/*
 * spool.c - the spool directory's layout, shared by cellrun (creates a
 * run's files) and cellsend (reads them): spool.h. Libc only.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int spool_path(char *out, size_t cap, const char *dir, const char *run, const char *suffix)
{
    int n = snprintf(out, cap, "%s/%s%s", dir, run, suffix);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

bool spool_run_name(const char *name, char run[SPOOL_RUN_LEN + 1])
{
    size_t n = strlen(name);
    if (n != SPOOL_RUN_LEN + 6 || strcmp(name + SPOOL_RUN_LEN, ".jsonl") != 0)
        return false;
    for (size_t i = 0; i < SPOOL_RUN_LEN; i++) {
        char c = name[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    memcpy(run, name, SPOOL_RUN_LEN);
    run[SPOOL_RUN_LEN] = 0;
    return true;
}

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int r = mkdir(path, 0700);
        *p = '/';
        if (r < 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int limit_bytes(uint64_t *max, struct cell_error *e)
{
    const char *v = getenv("CELLOS_SPOOL_MAX");
    *max = SPOOL_DEFAULT_MAX;
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || end == v || x == 0)
        return cell_err(e, 0, "events: CELLOS_SPOOL_MAX=\"%s\" is not a positive byte count", v);
    *max = x;
    return 0;
}

int spool_open_dir(const char *dir, char *out, size_t cap, struct cell_error *e)
{
    const char *d = dir && *dir ? dir : getenv("CELLOS_SPOOL");
    int n;
    if (d && *d)
        n = snprintf(out, cap, "%s", d);
    else if (geteuid() == 0)
        n = snprintf(out, cap, "/var/spool/cellos");
    else if (getenv("HOME") && getenv("HOME")[0] == '/')
        n = snprintf(out, cap, "%s/.local/state/cellos/spool", getenv("HOME"));
    else
        return cell_err(e, 0, "events: no spool directory: pass --spool DIR or set CELLOS_SPOOL");
    if (n < 0 || (size_t)n >= cap || n + SPOOL_RUN_LEN + 40 >= SPOOL_PATH_MAX)
        return cell_err(e, ENAMETOOLONG, "events: spool directory name too long");
    if (out[0] != '/') {
        char cwd[SPOOL_PATH_MAX / 2];
        if (!getcwd(cwd, sizeof cwd))
            return cell_err_sys(e, errno, "events: spool %s: getcwd", out);
        char rel[SPOOL_PATH_MAX];
        snprintf(rel, sizeof rel, "%s", out);
        n = snprintf(out, cap, "%s/%s", cwd, rel);
        if (n < 0 || (size_t)n >= cap || n + SPOOL_RUN_LEN + 40 >= SPOOL_PATH_MAX)
            return cell_err(e, ENAMETOOLONG, "events: spool directory name too long");
    }
    struct stat st;
    if (stat(out, &st) < 0) {
        if (errno != ENOENT || mkdir_p(out) < 0 || stat(out, &st) < 0)
            return cell_err_sys(e, errno, "events: spool %s: cannot create", out);
    }
    if (!S_ISDIR(st.st_mode))
        return cell_err(e, ENOTDIR, "events: spool %s is not a directory", out);
    if (st.st_uid != geteuid())
        return cell_err(e, 0, "events: spool %s is owned by uid %u, not by the caller", out,
                        (unsigned)st.st_uid);
    if (st.st_mode & 022)
        return cell_err(e, 0, "events: spool %s: mode %04o lets others write to it (chmod go-w it)", out,
                        (unsigned)(st.st_mode & 07777));
    uint64_t max, used = 0;
    if (limit_bytes(&max, e) < 0)
        return -1;
    DIR *dd = opendir(out);
    if (!dd)
        return cell_err_sys(e, errno, "events: spool %s", out);
    struct dirent *de;
    char run[SPOOL_RUN_LEN + 1];
    while ((de = readdir(dd)))
        if (spool_run_name(de->d_name, run) && fstatat(dirfd(dd), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            used += (uint64_t)st.st_size;
    closedir(dd);
    if (used >= max)
        return cell_err(e, ENOSPC,
                        "events: spool %s is full (%llu bytes of undelivered streams, limit %llu): "
                        "deliver them with `cellrun flush %s` or raise CELLOS_SPOOL_MAX",
                        out, (unsigned long long)used, (unsigned long long)max, out);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int spool_create_run(const char *dir, const char *run, const char *const *specs, size_t n,
                     struct cell_error *e)
{
    char path[SPOOL_PATH_MAX];
    if (n == 0 || n > SPOOL_MAX_SINKS)
        return cell_err(e, 0, "events: between 1 and %d remote sinks", SPOOL_MAX_SINKS);
    if (spool_path(path, sizeof path, dir, run, ".sinks") < 0)
        return cell_err(e, ENAMETOOLONG, "events: spool path too long");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return cell_err_sys(e, errno, "events: spool file %s", path);
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++)
        bad = write_all(fd, specs[i], strlen(specs[i])) < 0 || write_all(fd, "\n", 1) < 0;
    if (bad || fsync(fd) < 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return cell_err_sys(e, err, "events: writing spool file %s", path);
    }
    close(fd);
    char spath[SPOOL_PATH_MAX];
    if (spool_path(spath, sizeof spath, dir, run, ".jsonl") < 0) {
        unlink(path);
        return cell_err(e, ENAMETOOLONG, "events: spool path too long");
    }
    int sfd = open(spath, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (sfd < 0 || flock(sfd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        if (sfd >= 0) {
            close(sfd);
            unlink(spath);
        }
        unlink(path);
        return cell_err_sys(e, err, "events: spool file %s", spath);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return sfd;
}

int spool_read_sinks(const char *dir, const char *run, char **specs, struct cell_error *e)
{
    char path[SPOOL_PATH_MAX];
    if (spool_path(path, sizeof path, dir, run, ".sinks") < 0)
        return cell_err(e, ENAMETOOLONG, "spool path too long");
    FILE *f = fopen(path, "re");
    if (!f)
        return cell_err_sys(e, errno, "spool file %s", path);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (!len || line[len - 1] != '\n' || n == SPOOL_MAX_SINKS) {
            fclose(f);
            spool_free_specs(specs, (size_t)n);
            return cell_err(e, 0,
                            "spool file %s: malformed (a line too long, unterminated, or over %d sinks)",
                            path, SPOOL_MAX_SINKS);
        }
        line[len - 1] = 0;
        if (!(specs[n] = strdup(line))) {
            fclose(f);
            spool_free_specs(specs, (size_t)n);
            return cell_err(e, ENOMEM, "out of memory");
        }
        n++;
    }
    fclose(f);
    if (n == 0)
        return cell_err(e, 0, "spool file %s names no sink", path);
    return n;
}

void spool_free_specs(char **specs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (specs[i])
            explicit_bzero(specs[i], strlen(specs[i]));
        free(specs[i]);
        specs[i] = NULL;
    }
}

bool spool_writer_active(int fd)
{
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
        return false;
    }
    return errno == EWOULDBLOCK;
}
