/*
 * oci_join.c - linux.namespaces[].path: namespaces an engine made (Podman's
 * bridge network namespace, a Kubernetes pod sandbox's network, ipc and uts
 * namespaces) that a container joins instead of making its own.
 *
 * A cell always runs in a user namespace of its own, and setns(2) into a
 * network, ipc or uts namespace needs CAP_SYS_ADMIN in the user namespace
 * that owns it (the host's, for an engine's), which nothing inside the cell
 * ever has. So the join is done by the container's supervisor, before it
 * clones the cell: it enters the namespaces and the cell is cloned without
 * making those types (sup_options.share_ns), sharing them. The cell's
 * NAMESPACES step records the types it made; an `ns_join` event records
 * each joined namespace (type, path, inode).
 *
 * Invariants: every path is opened once, at create, and the same
 * descriptor is checked (a namespace of the named type, not the host's own
 * nor cellrun's) and later joined, so a path swapped in between changes
 * nothing; only network, ipc and uts, and only the types runtime.conf
 * allow_join lists. pid (the cell's init is PID 1 of its own), mount (the
 * cell's root is its own), user and cgroup are never joined.
 */
#include "oci_rt.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

static const struct {
    const char *oci;  /* config.json's type */
    const char *proc; /* /proc/PID/ns/ name */
    int type;
} kinds[] = {
    { "network", "net", CLONE_NEWNET },
    { "ipc", "ipc", CLONE_NEWIPC },
    { "uts", "uts", CLONE_NEWUTS },
};

/* Is fd the namespace at /proc/PID/ns/NAME (pid "self" or "1")? */
static bool same_ns(const struct stat *sb, const char *who, const char *name)
{
    char p[64];
    struct stat o;
    snprintf(p, sizeof p, "/proc/%s/ns/%s", who, name);
    return stat(p, &o) == 0 && o.st_dev == sb->st_dev && o.st_ino == sb->st_ino;
}

static void add(struct ocr_joins *j, size_t k, int fd, const char *path, unsigned long ino)
{
    struct ocr_join *x = &j->v[j->n++];
    x->type = kinds[k].type;
    x->fd = fd;
    snprintf(x->name, sizeof x->name, "%s", kinds[k].proc);
    snprintf(x->path, sizeof x->path, "%s", path);
    x->ino = ino;
    j->flags |= (unsigned long)kinds[k].type;
}

int ocr_joins_open(const struct jcs_value *cfg, const struct ocr_conf *c, struct ocr_joins *j,
                   struct ocr_msgs *viol)
{
    memset(j, 0, sizeof *j);
    for (size_t i = 0; i < OCI_MAX_JOINS; i++)
        j->v[i].fd = -1;
    size_t before = viol->n;
    const struct jcs_value *lx = cfg ? jcs_object_get(cfg, "linux") : NULL;
    const struct jcs_value *ns =
        lx && jcs_type_of(lx) == JCS_OBJECT ? jcs_object_get(lx, "namespaces") : NULL;
    for (size_t i = 0; ns && jcs_type_of(ns) == JCS_ARRAY && i < jcs_array_len(ns); i++) {
        const struct jcs_value *n = jcs_array_at(ns, i);
        const struct jcs_value *ty = jcs_type_of(n) == JCS_OBJECT ? jcs_object_get(n, "type") : NULL;
        const struct jcs_value *pv = jcs_type_of(n) == JCS_OBJECT ? jcs_object_get(n, "path") : NULL;
        if (!pv)
            continue;
        size_t tl = 0, pl = 0;
        const char *t = ty && jcs_type_of(ty) == JCS_STRING ? jcs_get_string(ty, &tl) : "";
        const char *p = jcs_type_of(pv) == JCS_STRING ? jcs_get_string(pv, &pl) : NULL;
        char type[16], path[256];
        snprintf(type, sizeof type, "%.*s", (int)(tl < 15 ? tl : 15), t);
        if (!p || pl == 0 || pl >= sizeof path || memchr(p, 0, pl) || p[0] != '/') {
            ocr_msgs_add(viol, "linux.namespaces[%zu].path: not an absolute path", i);
            continue;
        }
        memcpy(path, p, pl);
        path[pl] = 0;
        size_t k = 0;
        while (k < sizeof kinds / sizeof *kinds && strcmp(type, kinds[k].oci))
            k++;
        if (k == sizeof kinds / sizeof *kinds) {
            ocr_msgs_add(viol,
                         "linux.namespaces[%zu].path: joining a %s namespace is never allowed (a cell's "
                         "pid, mount, user and cgroup namespaces are its own)",
                         i, type[0] ? type : "(no type)");
            continue;
        }
        if (!ocr_list_has(c->join, type)) {
            ocr_msgs_add(viol,
                         "linux.namespaces[%zu].path: joining a %s namespace by path is not allowed by the "
                         "host (runtime.conf allow_join = %s)",
                         i, type, c->join[0] ? c->join : "(none)");
            continue;
        }
        if (j->flags & (unsigned long)kinds[k].type) {
            ocr_msgs_add(viol, "linux.namespaces[%zu]: a second %s namespace", i, type);
            continue;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat sb;
        struct statfs fs;
        if (fd < 0) {
            ocr_msgs_add(viol, "linux.namespaces[%zu].path: %s: %s", i, path, strerror(errno));
            continue;
        }
        if (fstat(fd, &sb) < 0 || fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC ||
            ioctl(fd, NS_GET_NSTYPE) != kinds[k].type) {
            ocr_msgs_add(viol, "linux.namespaces[%zu].path: %s is not a %s namespace", i, path, type);
            close(fd);
            continue;
        }
        if (same_ns(&sb, "1", kinds[k].proc) || same_ns(&sb, "self", kinds[k].proc)) {
            ocr_msgs_add(
                viol,
                "linux.namespaces[%zu].path: %s is the host's (or cellrun's) own %s namespace (%s:[%lu]): "
                "never joined",
                i, path, type, kinds[k].proc, (unsigned long)sb.st_ino);
            close(fd);
            continue;
        }
        add(j, k, fd, path, (unsigned long)sb.st_ino);
    }
    if (viol->n > before) {
        ocr_joins_close(j);
        return -1;
    }
    return 0;
}

void ocr_joins_close(struct ocr_joins *j)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->v[i].fd >= 0)
            close(j->v[i].fd);
    j->n = 0;
    j->flags = 0;
}

int ocr_joins_enter(const struct ocr_joins *j, char *why, size_t whylen)
{
    for (size_t i = 0; i < j->n; i++)
        if (setns(j->v[i].fd, j->v[i].type) < 0) {
            snprintf(why, whylen, "joining the %s namespace %s: %s", j->v[i].name, j->v[i].path,
                     strerror(errno));
            return -1;
        }
    return 0;
}

int ocr_wear_cell_ns(pid_t cell, unsigned long joined, char *why, size_t whylen)
{
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (joined & (unsigned long)kinds[k].type)
            continue;
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)cell, kinds[k].proc);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, kinds[k].type) < 0) {
            snprintf(why, whylen, "entering the cell's %s namespace (%s): %s", kinds[k].proc, p,
                     strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
    }
    return 0;
}
