/*
 * oci_conf.c - /etc/cellos/runtime.conf (or $CELLOS_RUNTIME_CONF): what
 * the host decides for every container cellrun runs as an OCI runtime.
 *
 *   # comment
 *   key = /etc/cellos/oci.key          the signing key (or: unsigned = yes)
 *   events = /var/log/cellos/oci.events  the event sink (a file)
 *   trust = /etc/cellos/trust.json     plans named by io.cellos.plan must be signed by it
 *   backend = native                   native | gvisor | vm (io.cellos.backend overrides)
 *   pack = /etc/cellos/oci.cell        the host pack (ceilings); io.cellos.pack picks a
 *                                      sibling NAME.cell in the same directory
 *   allow_capabilities = CAP_CHOWN,... capabilities a container may hold
 *   allow_devices = /dev/fuse,...      device nodes beyond the minimal /dev
 *   allow_roots = /var/lib/containers  a root.path outside the bundle must lie here
 *   allow_binds = /run/containers,...  protected host paths a bind may come from
 *   allow_join = network,ipc,uts       namespace types a container may join by path
 *                                      (linux.namespaces[].path); never pid, mount,
 *                                      user, cgroup, nor the host's own namespaces
 *   allow_hooks = /usr/libexec/oci/hooks.d  directories config.json hooks may run
 *                                      programs from (default none: hooks refused)
 *
 * An unknown key, a missing file or a line without `=` is refused.
 */
#include "oci_rt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CAPS                                                                                         \
    "CAP_AUDIT_WRITE,CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_MKNOD,CAP_NET_BIND_"      \
    "SERVICE,"                                                                                               \
    "CAP_NET_RAW,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT"
#define DEFAULT_ROOTS "/var/lib/containers/storage,/run/containerd,/var/lib/containerd"
#define DEFAULT_JOIN  "network,ipc,uts"
#define DEFAULT_BINDS                                                                                        \
    "/var/lib/containers/storage,/run/containers/storage,/var/run/containers/storage,/run/containerd,"       \
    "/var/lib/containerd,/var/lib/kubelet,/run/libpod"

static bool item_eq(const char *p, size_t n, const char *item)
{
    return strlen(item) == n && memcmp(p, item, n) == 0;
}

bool ocr_list_has(const char *list, const char *item)
{
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ", ");
        if (n && item_eq(p, n, item))
            return true;
        p += n;
    }
    return false;
}

bool ocr_list_within(const char *list, const char *path)
{
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ", ");
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (n && strncmp(path, p, n) == 0 && (path[n] == 0 || path[n] == '/' || (n == 1 && p[0] == '/')))
            return true;
        p += n;
    }
    return false;
}

static int set(char *dst, size_t cap, const char *v, const char *k, int line, struct ocr_conf *c, char *why,
               size_t whylen)
{
    if (strlen(v) >= cap) {
        snprintf(why, whylen, "%s:%d: %s: value too long", c->path, line, k);
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

int ocr_conf_load(struct ocr_conf *c, char *why, size_t whylen)
{
    memset(c, 0, sizeof *c);
    const char *path = getenv("CELLOS_RUNTIME_CONF");
    snprintf(c->path, sizeof c->path, "%s", path && path[0] ? path : OCI_DEFAULT_CONF);
    strcpy(c->backend, "native");
    strcpy(c->pack, "/etc/cellos/oci.cell");
    strcpy(c->caps, DEFAULT_CAPS);
    strcpy(c->roots, DEFAULT_ROOTS);
    strcpy(c->binds, DEFAULT_BINDS);
    strcpy(c->join, DEFAULT_JOIN);
    FILE *f = fopen(c->path, "re");
    if (!f) {
        snprintf(why, whylen,
                 "%s: cannot read the runtime configuration: %m (key, events and pack are required)",
                 c->path);
        return -1;
    }
    char buf[4096];
    int line = 0, rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        line++;
        char *s = buf;
        while (isspace((unsigned char)*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = 0;
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(why, whylen, "%s:%d: expected key = value", c->path, line);
            rc = -1;
            break;
        }
        char *k = s, *v = eq + 1;
        *eq = 0;
        for (char *t = eq; t > k && isspace((unsigned char)t[-1]);)
            *--t = 0;
        while (isspace((unsigned char)*v))
            v++;
        if (!strcmp(k, "key"))
            rc = set(c->key, sizeof c->key, v, k, line, c, why, whylen);
        else if (!strcmp(k, "unsigned")) {
            if (strcmp(v, "yes") && strcmp(v, "no")) {
                snprintf(why, whylen, "%s:%d: unsigned: yes or no", c->path, line);
                rc = -1;
            }
            c->unsigned_run = !strcmp(v, "yes");
        } else if (!strcmp(k, "events"))
            rc = set(c->events, sizeof c->events, v, k, line, c, why, whylen);
        else if (!strcmp(k, "trust"))
            rc = set(c->trust, sizeof c->trust, v, k, line, c, why, whylen);
        else if (!strcmp(k, "backend"))
            rc = set(c->backend, sizeof c->backend, v, k, line, c, why, whylen);
        else if (!strcmp(k, "pack"))
            rc = set(c->pack, sizeof c->pack, v, k, line, c, why, whylen);
        else if (!strcmp(k, "allow_capabilities"))
            rc = set(c->caps, sizeof c->caps, v, k, line, c, why, whylen);
        else if (!strcmp(k, "allow_devices"))
            rc = set(c->devices, sizeof c->devices, v, k, line, c, why, whylen);
        else if (!strcmp(k, "allow_roots"))
            rc = set(c->roots, sizeof c->roots, v, k, line, c, why, whylen);
        else if (!strcmp(k, "allow_hooks"))
            rc = set(c->hooks, sizeof c->hooks, v, k, line, c, why, whylen);
        else if (!strcmp(k, "allow_join"))
            rc = set(c->join, sizeof c->join, v, k, line, c, why, whylen);
        else if (!strcmp(k, "allow_binds"))
            rc = set(c->binds, sizeof c->binds, v, k, line, c, why, whylen);
        else {
            snprintf(why, whylen, "%s:%d: unknown key \"%.64s\"", c->path, line, k);
            rc = -1;
        }
    }
    fclose(f);
    if (rc < 0)
        return -1;
    if (!c->events[0] || c->events[0] != '/') {
        snprintf(why, whylen, "%s: events = FILE (an absolute path) is required", c->path);
        return -1;
    }
    if (!c->unsigned_run && !c->key[0]) {
        snprintf(why, whylen, "%s: key = FILE is required (or unsigned = yes)", c->path);
        return -1;
    }
    if (c->pack[0] != '/') {
        snprintf(why, whylen, "%s: pack must be an absolute path", c->path);
        return -1;
    }
    return 0;
}
