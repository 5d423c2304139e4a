/*
 * oci_translate.c - an OCI bundle's config.json as CellOS policy text.
 *
 * The container becomes `use "PACK"; cell oci-ID { ... }`, which the
 * compiler then checks like any policy (oci_compile.c): the host pack's
 * ceilings (memory, pids, cpu required and bounded), the grant rules, the
 * `unsafe` rules. What the policy language cannot say, the host decides here
 * from runtime.conf: which capabilities and devices a container may hold,
 * where a root.path outside the bundle and a bind from a protected host path
 * may come from. Everything refused is collected (viol), never just the
 * first. Every statement carries a comment naming its config.json field, so
 * a compiler diagnostic points back at it.
 *
 * The root: the cell's root is a fresh read-only tmpfs; every top-level
 * entry of root.path is granted at the same place (directories and files
 * bound ro or rw after root.readonly, symlinks recreated).
 */
#include "oci_rt.h"
#include "compiler/check.h"
#include "compiler/check_names.h"
#include "runtime/plan/plan_rlimits.h"
#include "compiler/seccomp/syscall_table.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tr {
    const struct ocr_bundle *b;
    const struct ocr_conf *c;
    struct jcs_buf out;
    struct ocr_msgs *viol, *notes;
    char rootfs[PATH_MAX];
    bool rootfs_ro;
    /* destinations granted by mounts (so the root's entries skip them) */
    char **dsts;
    size_t n_dsts;
    bool have_proc, have_dev;
};

void ocr_msgs_add(struct ocr_msgs *m, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nv = realloc(m->v, (m->n + 1) * sizeof *nv);
    if (!nv)
        return;
    m->v = nv;
    m->v[m->n] = strdup(buf);
    if (m->v[m->n])
        m->n++;
}

void ocr_msgs_free(struct ocr_msgs *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

static void put(struct tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct tr *t, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        jcs_buf_append(&t->out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A policy string literal. */
static void put_str(struct tr *t, const char *s, size_t n)
{
    jcs_buf_append(&t->out, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char e[8];
        if (ch == '"' || ch == '\\')
            snprintf(e, sizeof e, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
            snprintf(e, sizeof e, "%c", ch);
        else
            snprintf(e, sizeof e, "\\x%02x", ch);
        jcs_buf_append(&t->out, e, strlen(e));
    }
    jcs_buf_append(&t->out, "\"", 1);
}

static void put_cstr(struct tr *t, const char *s)
{
    put_str(t, s, strlen(s));
}

/* ---- JSON access ------------------------------------------------------------ */

static const struct jcs_value *get(const struct jcs_value *o, const char *k, enum jcs_type want,
                                   const char *field, struct tr *t)
{
    if (!o || jcs_type_of(o) != JCS_OBJECT)
        return NULL;
    const struct jcs_value *v = jcs_object_get(o, k);
    if (!v || jcs_type_of(v) == JCS_NULL)
        return NULL;
    if (jcs_type_of(v) != want) {
        static const char *const names[] = { "null",     "a boolean", "an integer",
                                             "a string", "an array",  "an object" };
        ocr_msgs_add(t->viol, "%s: must be %s", field, names[want]);
        return NULL;
    }
    return v;
}

/* A string without NUL as a C string (static buffer per call site: copy). */
static bool str_of(const struct jcs_value *v, char *dst, size_t cap)
{
    size_t n;
    const char *s = jcs_get_string(v, &n);
    if (n >= cap || memchr(s, 0, n))
        return false;
    memcpy(dst, s, n);
    dst[n] = 0;
    return true;
}

/* Refuse members not in `known` (NULL-terminated). */
static void known_fields(struct tr *t, const struct jcs_value *o, const char *field, const char *const *known)
{
    if (!o || jcs_type_of(o) != JCS_OBJECT)
        return;
    for (size_t i = 0; i < jcs_object_len(o); i++) {
        const char *k;
        size_t kl;
        jcs_object_at(o, i, &k, &kl);
        bool ok = false;
        for (size_t j = 0; known[j] && !ok; j++)
            ok = strlen(known[j]) == kl && !memcmp(known[j], k, kl);
        if (!ok)
            ocr_msgs_add(t->viol, "%s.%.*s: unknown or unsupported field", field, (int)(kl > 64 ? 64 : kl),
                         k);
    }
}

/* Normalise an absolute path in place: no ".", "..", "//", trailing "/".
 * false when it is relative or climbs ("..": refused, never resolved). */
static bool norm_abs(char *p)
{
    if (p[0] != '/')
        return false;
    char out[PATH_MAX];
    size_t o = 0;
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        size_t n = strcspn(s, "/");
        if (n == 1 && s[0] == '.') {
            s += n;
            continue;
        }
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        if (o + 1 + n >= sizeof out)
            return false;
        out[o++] = '/';
        memcpy(out + o, s, n);
        o += n;
        s += n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = 0;
    strcpy(p, out);
    return true;
}

static bool within(const char *p, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return strncmp(p, dir, n) == 0 && (p[n] == 0 || p[n] == '/');
}

static void add_dst(struct tr *t, const char *dst)
{
    char **nv = realloc(t->dsts, (t->n_dsts + 1) * sizeof *nv);
    if (!nv)
        return;
    t->dsts = nv;
    t->dsts[t->n_dsts] = strdup(dst);
    if (t->dsts[t->n_dsts])
        t->n_dsts++;
}

static bool is_dst(struct tr *t, const char *dst)
{
    for (size_t i = 0; i < t->n_dsts; i++)
        if (!strcmp(t->dsts[i], dst))
            return true;
    return false;
}

/* ---- process --------------------------------------------------------------- */

/* Resolve a bare program name along PATH inside the root, as runc does. */
static bool resolve_prog(struct tr *t, const char *name, const char *path_env, char *out, size_t cap)
{
    const char *p =
        path_env && path_env[0] ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    while (*p) {
        size_t n = strcspn(p, ":");
        if (n && p[0] == '/') {
            char cand[PATH_MAX * 2];
            snprintf(cand, sizeof cand, "%.*s/%s", (int)(n < PATH_MAX ? n : PATH_MAX), p, name);
            int rfd = open(t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (rfd >= 0) {
                /* resolve inside the root: an absolute symlink stays in it */
                struct stat st;
                int ok = fstatat(rfd, cand + 1, &st, 0) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
                close(rfd);
                if (ok && strlen(cand) < cap) {
                    strcpy(out, cand);
                    return true;
                }
            }
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

static void tr_process(struct tr *t, const struct jcs_value *proc)
{
    static const char *const known[] = { "terminal",
                                         "consoleSize",
                                         "user",
                                         "args",
                                         "env",
                                         "cwd",
                                         "capabilities",
                                         "rlimits",
                                         "noNewPrivileges",
                                         "apparmorProfile",
                                         "oomScoreAdj",
                                         "selinuxLabel",
                                         NULL };
    if (!proc) {
        ocr_msgs_add(t->viol, "process: missing");
        return;
    }
    known_fields(t, proc, "process", known);
    put(t, "    process {\n");
    const struct jcs_value *args = get(proc, "args", JCS_ARRAY, "process.args", t);
    const struct jcs_value *env = get(proc, "env", JCS_ARRAY, "process.env", t);
    char path_env[4096] = "";
    for (size_t i = 0; env && i < jcs_array_len(env); i++) {
        const struct jcs_value *e = jcs_array_at(env, i);
        char kv[8192];
        if (jcs_type_of(e) != JCS_STRING || !str_of(e, kv, sizeof kv) || !strchr(kv, '=')) {
            ocr_msgs_add(t->viol, "process.env[%zu]: not NAME=value", i);
            continue;
        }
        char *eq = strchr(kv, '=');
        *eq = 0;
        bool ok = kv[0] && !(kv[0] >= '0' && kv[0] <= '9');
        for (char *c = kv; *c && ok; c++)
            ok =
                (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
        if (!ok) {
            ocr_msgs_add(t->viol, "process.env[%zu]: \"%.64s\" is not a variable name", i, kv);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            char o[8192];
            const struct jcs_value *e2 = jcs_array_at(env, j);
            if (jcs_type_of(e2) == JCS_STRING && str_of(e2, o, sizeof o)) {
                char *q = strchr(o, '=');
                dup = q && (size_t)(q - o) == strlen(kv) && !memcmp(o, kv, strlen(kv));
            }
        }
        if (dup) {
            /* the last one wins, as in execve's environment lookups */
            ocr_msgs_add(t->notes, "process.env[%zu]: %s set again; the first value is kept", i, kv);
            continue;
        }
        if (!strcmp(kv, "PATH"))
            snprintf(path_env, sizeof path_env, "%s", eq + 1);
        put(t, "        env %s = ", kv);
        put_cstr(t, eq + 1);
        put(t, ";  # process.env[%zu]\n", i);
    }
    if (!args || jcs_array_len(args) == 0) {
        ocr_msgs_add(t->viol, "process.args: missing or empty");
    } else {
        put(t, "        argv ");
        for (size_t i = 0; i < jcs_array_len(args); i++) {
            const struct jcs_value *a = jcs_array_at(args, i);
            char s[PATH_MAX];
            if (jcs_type_of(a) != JCS_STRING || !str_of(a, s, sizeof s)) {
                ocr_msgs_add(t->viol, "process.args[%zu]: not a string without NUL", i);
                continue;
            }
            if (i == 0 && s[0] != '/') {
                char r[PATH_MAX];
                if (strchr(s, '/') || !resolve_prog(t, s, path_env, r, sizeof r)) {
                    ocr_msgs_add(t->viol, "process.args[0]: \"%.200s\": not found in the root's PATH", s);
                    continue;
                }
                strcpy(s, r);
            }
            put(t, "%s", i ? ", " : "");
            put_cstr(t, s);
        }
        put(t, ";  # process.args\n");
    }
    const struct jcs_value *cwd = get(proc, "cwd", JCS_STRING, "process.cwd", t);
    if (cwd) {
        char s[PATH_MAX];
        if (!str_of(cwd, s, sizeof s) || !norm_abs(s))
            ocr_msgs_add(t->viol, "process.cwd: must be an absolute path without ..");
        else if (strcmp(s, "/")) {
            put(t, "        cwd ");
            put_cstr(t, s);
            put(t, ";  # process.cwd\n");
        }
    }
    const struct jcs_value *user = get(proc, "user", JCS_OBJECT, "process.user", t);
    static const char *const user_known[] = { "uid", "gid", "umask", "additionalGids", "username", NULL };
    known_fields(t, user, "process.user", user_known);
    const struct jcs_value *uid = get(user, "uid", JCS_INT, "process.user.uid", t);
    const struct jcs_value *gid = get(user, "gid", JCS_INT, "process.user.gid", t);
    const struct jcs_value *um = get(user, "umask", JCS_INT, "process.user.umask", t);
    put(t, "        user %lld; group %lld;  # process.user\n", uid ? (long long)jcs_get_int(uid) : 0LL,
        gid ? (long long)jcs_get_int(gid) : 0LL);
    if (um)
        put(t, "        umask 0%llo;  # process.user.umask\n", (unsigned long long)(jcs_get_int(um) & 0777));
    if (get(user, "additionalGids", JCS_ARRAY, "process.user.additionalGids", t))
        ocr_msgs_add(t->notes,
                     "process.user.additionalGids: not granted (the cell clears supplementary groups)");

    /* capabilities: everything any set names, checked against the host's list */
    const struct jcs_value *caps = get(proc, "capabilities", JCS_OBJECT, "process.capabilities", t);
    static const char *const sets[] = {
        "bounding", "effective", "permitted", "inheritable", "ambient", NULL
    };
    known_fields(t, caps, "process.capabilities", sets);
    uint64_t seen = 0;
    for (size_t s = 0; sets[s] && caps; s++) {
        char field[64];
        snprintf(field, sizeof field, "process.capabilities.%s", sets[s]);
        const struct jcs_value *arr = get(caps, sets[s], JCS_ARRAY, field, t);
        for (size_t i = 0; arr && i < jcs_array_len(arr); i++) {
            char name[64];
            uint32_t num;
            const char *why;
            const struct jcs_value *v = jcs_array_at(arr, i);
            if (jcs_type_of(v) != JCS_STRING || !str_of(v, name, sizeof name) ||
                !cap_lookup(name, &num, &why)) {
                ocr_msgs_add(t->viol, "%s[%zu]: unknown capability", field, i);
                continue;
            }
            if (seen & (1ull << num))
                continue;
            seen |= 1ull << num;
            if (why && !ocr_list_has(t->c->caps, name)) {
                ocr_msgs_add(t->viol,
                             "%s: %s is not allowed by the host (runtime.conf allow_capabilities): it %s",
                             field, name, why);
                continue;
            }
            put(t, "        capability %s", name);
            if (why)
                put(t, " unsafe \"the host allows it to containers (runtime.conf allow_capabilities)\"");
            put(t, ";  # %s\n", field);
        }
    }
    const struct jcs_value *rl = get(proc, "rlimits", JCS_ARRAY, "process.rlimits", t);
    for (size_t i = 0; rl && i < jcs_array_len(rl); i++) {
        const struct jcs_value *r = jcs_array_at(rl, i);
        char type[64], field[64];
        snprintf(field, sizeof field, "process.rlimits[%zu]", i);
        const struct jcs_value *ty = get(r, "type", JCS_STRING, field, t);
        const struct jcs_value *hard = get(r, "hard", JCS_INT, field, t);
        const struct jcs_value *soft = get(r, "soft", JCS_INT, field, t);
        if (!ty || !hard || !soft || !str_of(ty, type, sizeof type) || strncmp(type, "RLIMIT_", 7)) {
            ocr_msgs_add(t->viol, "%s: needs type RLIMIT_*, hard and soft", field);
            continue;
        }
        char name[32];
        size_t k = 0;
        for (const char *p = type + 7; *p && k + 1 < sizeof name; p++)
            name[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        name[k] = 0;
        const struct plan_rlimit_info *ri = plan_rlimit_by_name(name);
        if (!ri) {
            ocr_msgs_add(t->notes, "%s: %s is not set (the cell inherits it)", field, type);
            continue;
        }
        long long sv = (long long)jcs_get_int(soft), hv = (long long)jcs_get_int(hard);
        if (sv < 0 || hv < 0 || sv > hv) {
            ocr_msgs_add(t->viol, "%s: soft %lld, hard %lld: need 0 <= soft <= hard", field, sv, hv);
            continue;
        }
        if (ri->unit == RL_SECONDS)
            put(t, "        rlimit %s %llds:%llds;  # %s\n", name, sv, hv, field);
        else
            put(t, "        rlimit %s %lld:%lld;  # %s\n", name, sv, hv, field);
    }
    put(t, "    }\n");
}

/* ---- filesystem ------------------------------------------------------------- */

static bool opt_has(const struct jcs_value *opts, const char *o)
{
    for (size_t i = 0; opts && i < jcs_array_len(opts); i++)
        if (jcs_string_is(jcs_array_at(opts, i), o))
            return true;
    return false;
}

static const char *opt_val(const struct jcs_value *opts, const char *prefix, char *buf, size_t cap)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; opts && i < jcs_array_len(opts); i++) {
        const struct jcs_value *v = jcs_array_at(opts, i);
        if (jcs_type_of(v) == JCS_STRING && str_of(v, buf, cap) && !strncmp(buf, prefix, pl))
            return buf + pl;
    }
    return NULL;
}

static void grant_bind(struct tr *t, const char *src, const char *dst, bool ro, bool noexec,
                       const char *field, bool is_root)
{
    /* the source as the mount would resolve it: a symlink on the way (one
     * the bundle made: BUNDLE/x -> /etc) must not carry a host path past the
     * checks below, so they and the policy see the path it leads to; a
     * source that does not resolve stays as written and fails its mount */
    char real[PATH_MAX];
    if (!is_root && realpath(src, real))
        src = real;
    /* what the runtime keeps from every container: the signing key, the
     * event sink, the trust file, runtime.conf, the host pack and the state
     * directory (another container's state names the pid delete kills) */
    const char *const secrets[] = { t->c->key,  t->c->events, t->c->trust,
                                    t->c->path, t->c->pack,   t->c->state_root };
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        char sr[PATH_MAX];
        const char *x = secrets[i][0] && realpath(secrets[i], sr) ? sr : secrets[i];
        if (x[0] == '/' && (within(x, src) || within(src, x))) {
            ocr_msgs_add(t->viol, "%s: %s: a bind of the runtime's own %s is never allowed", field, src,
                         i == 5 ? "state directory (--root)" : "files (runtime.conf key/events/trust/pack)");
            return;
        }
    }
    bool need = ro ? check_ro_needs_unsafe(src) : check_rw_needs_unsafe(src);
    if (need && !is_root && !within(src, t->b->bundle) && !ocr_list_within(t->c->binds, src)) {
        ocr_msgs_add(t->viol, "%s: %s: a %s bind of a protected host path outside allow_binds", field, src,
                     ro ? "read-only" : "read-write");
        return;
    }
    put(t, "        %s ", ro ? "ro" : "rw");
    put_cstr(t, src);
    put(t, " at ");
    put_cstr(t, dst);
    if (noexec)
        put(t, " noexec");
    if (need)
        put(t, " unsafe \"%s\"",
            is_root ? "the container's root filesystem (config.json root.path)"
                    : "a bind the engine asked for (config.json mounts)");
    put(t, ";  # %s\n", field);
}

static uint64_t parse_size(const char *s)
{
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    if (*e == 'k' || *e == 'K')
        v *= 1024;
    else if (*e == 'm' || *e == 'M')
        v *= 1024 * 1024;
    else if (*e == 'g' || *e == 'G')
        v *= 1024ull * 1024 * 1024;
    return v;
}

static void tr_mounts(struct tr *t, const struct jcs_value *mounts)
{
    /* /dev first: everything beneath it depends on whether it is our dev */
    for (size_t i = 0; mounts && i < jcs_array_len(mounts); i++) {
        const struct jcs_value *m = jcs_array_at(mounts, i);
        const struct jcs_value *d = get(m, "destination", JCS_STRING, "mounts[].destination", t);
        const struct jcs_value *ty = get(m, "type", JCS_STRING, "mounts[].type", t);
        if (d && ty && jcs_string_is(d, "/dev") && jcs_string_is(ty, "tmpfs"))
            t->have_dev = true;
    }
    for (size_t i = 0; mounts && i < jcs_array_len(mounts); i++) {
        const struct jcs_value *m = jcs_array_at(mounts, i);
        char field[64], dst[PATH_MAX], type[64] = "", src[PATH_MAX] = "";
        snprintf(field, sizeof field, "mounts[%zu]", i);
        if (jcs_type_of(m) != JCS_OBJECT) {
            ocr_msgs_add(t->viol, "%s: not an object", field);
            continue;
        }
        static const char *const known[] = { "destination", "type",        "source", "options",
                                             "uidMappings", "gidMappings", NULL };
        known_fields(t, m, field, known);
        const struct jcs_value *d = get(m, "destination", JCS_STRING, field, t);
        const struct jcs_value *ty = get(m, "type", JCS_STRING, field, t);
        const struct jcs_value *s = get(m, "source", JCS_STRING, field, t);
        const struct jcs_value *opts = get(m, "options", JCS_ARRAY, field, t);
        if (!d || !str_of(d, dst, sizeof dst) || !norm_abs(dst) || !strcmp(dst, "/")) {
            ocr_msgs_add(t->viol, "%s.destination: must be an absolute path other than / and without ..",
                         field);
            continue;
        }
        if (ty && !str_of(ty, type, sizeof type))
            type[0] = 0;
        if (s && !str_of(s, src, sizeof src))
            src[0] = 0;
        bool bind = !strcmp(type, "bind") || opt_has(opts, "bind") || opt_has(opts, "rbind");
        if (bind) {
            if (src[0] != '/' || !norm_abs(src)) {
                ocr_msgs_add(t->viol,
                             "%s.source: \"%.200s\": a bind source must be an absolute host path without ..",
                             field, src);
                continue;
            }
            if (t->have_dev && within(dst, "/dev") &&
                (!strcmp(dst, "/dev/shm") || !strcmp(dst, "/dev/pts"))) {
                ocr_msgs_add(t->notes, "%s: %s is the cell's own (dev implies it)", field, dst);
                continue;
            }
            if (within(dst, "/sys") || within(dst, "/proc")) {
                ocr_msgs_add(t->notes, "%s: %s: nothing is bound beneath /proc or /sys", field, dst);
                continue;
            }
            add_dst(t, dst);
            grant_bind(t, src, dst, opt_has(opts, "ro"), opt_has(opts, "noexec"), field, false);
        } else if (!strcmp(type, "proc")) {
            if (strcmp(dst, "/proc")) {
                ocr_msgs_add(t->viol, "%s: proc only at /proc", field);
                continue;
            }
            add_dst(t, dst);
            t->have_proc = true;
            put(t, "        proc \"/proc\";  # %s\n", field);
        } else if (!strcmp(type, "tmpfs") && !strcmp(dst, "/dev")) {
            add_dst(t, dst);
            put(t, "        dev \"/dev\";  # %s\n", field);
        } else if (t->have_dev && within(dst, "/dev") &&
                   (!strcmp(type, "devpts") || !strcmp(type, "mqueue") || !strcmp(dst, "/dev/shm"))) {
            ocr_msgs_add(t->notes, "%s: %s (%s): the cell's /dev has its own pts and shm; no mqueue", field,
                         dst, type);
        } else if (!strcmp(type, "sysfs") || !strcmp(type, "cgroup") || !strcmp(type, "cgroup2") ||
                   !strcmp(type, "mqueue")) {
            ocr_msgs_add(t->notes, "%s: %s (%s) is not mounted: the cell sees no host kernel state there",
                         field, dst, type);
        } else if (!strcmp(type, "tmpfs")) {
            char buf[128];
            const char *sz = opt_val(opts, "size=", buf, sizeof buf);
            uint64_t size = sz ? parse_size(sz) : 64ull << 20;
            char mbuf[128];
            const char *mode = opt_val(opts, "mode=", mbuf, sizeof mbuf);
            if (size < 4096)
                size = 4096;
            add_dst(t, dst);
            put(t, "        tmpfs ");
            put_cstr(t, dst);
            put(t, " size %llu", (unsigned long long)size);
            if (mode && strspn(mode, "01234567") == strlen(mode) && strlen(mode) <= 5)
                put(t, " mode 0%s", mode);
            if (opt_has(opts, "noexec"))
                put(t, " noexec");
            put(t, ";  # %s\n", field);
        } else {
            ocr_msgs_add(t->viol, "%s.type: \"%.64s\" at %s is not supported", field, type, dst);
        }
    }
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void tr_root(struct tr *t)
{
    DIR *d = opendir(t->rootfs);
    if (!d) {
        ocr_msgs_add(t->viol, "root.path: %s: %s", t->rootfs, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char **nv = realloc(names, (n + 1) * sizeof *nv);
        if (!nv)
            break;
        names = nv;
        names[n] = strdup(de->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        char dst[PATH_MAX], src[PATH_MAX * 2];
        snprintf(dst, sizeof dst, "/%s", names[i]);
        snprintf(src, sizeof src, "%s/%s", t->rootfs, names[i]);
        if (is_dst(t, dst))
            continue;
        if ((!strcmp(dst, "/proc") && !t->have_proc) || !strcmp(dst, "/sys")) {
            /* an empty mount point of the image: not granted */
            continue;
        }
        struct stat st;
        if (lstat(src, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t l = readlink(src, target, sizeof target - 1);
            if (l <= 0)
                continue;
            target[l] = 0;
            put(t, "        symlink ");
            put_cstr(t, dst);
            put(t, " -> ");
            put_cstr(t, target);
            put(t, ";  # root.path\n");
        } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
            grant_bind(t, src, dst, t->rootfs_ro, false, "root.path", true);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static const char *const proc_implied[] = {
    "acpi",       "asound",        "bus",          "fs",          "irq",           "kallsyms",
    "kcore",      "key-users",     "keys",         "kmsg",        "latency_stats", "sched_debug",
    "scsi",       "sysrq-trigger", "timer_list",   "timer_stats", "sys",           "kpagecgroup",
    "kpagecount", "kpageflags",    "pagetypeinfo", "slabinfo",    "tty/driver",    "vmallocinfo",
    NULL
};

static void tr_masks(struct tr *t, const struct jcs_value *linux_)
{
    const struct jcs_value *mp = get(linux_, "maskedPaths", JCS_ARRAY, "linux.maskedPaths", t);
    for (size_t i = 0; mp && i < jcs_array_len(mp); i++) {
        char p[PATH_MAX];
        const struct jcs_value *v = jcs_array_at(mp, i);
        if (jcs_type_of(v) != JCS_STRING || !str_of(v, p, sizeof p) || !norm_abs(p)) {
            ocr_msgs_add(t->viol, "linux.maskedPaths[%zu]: not an absolute path", i);
            continue;
        }
        if (within(p, "/sys") || (within(p, "/proc") && !t->have_proc))
            continue; /* not mounted at all */
        if (within(p, "/proc")) {
            bool implied = false;
            for (size_t k = 0; proc_implied[k] && !implied; k++) {
                char q[64];
                snprintf(q, sizeof q, "/proc/%s", proc_implied[k]);
                implied = within(p, q);
            }
            if (implied)
                continue;
        } else if (!strchr(p + 1, '/')) {
            continue; /* a top-level path of the root: a mask needs a grant above it */
        }
        put(t, "        mask ");
        put_cstr(t, p);
        put(t, " optional;  # linux.maskedPaths[%zu]\n", i);
    }
    const struct jcs_value *ro = get(linux_, "readonlyPaths", JCS_ARRAY, "linux.readonlyPaths", t);
    for (size_t i = 0; ro && i < jcs_array_len(ro); i++) {
        char p[PATH_MAX];
        const struct jcs_value *v = jcs_array_at(ro, i);
        if (jcs_type_of(v) == JCS_STRING && str_of(v, p, sizeof p) && !within(p, "/proc") &&
            !within(p, "/sys"))
            ocr_msgs_add(t->notes, "linux.readonlyPaths[%zu]: %s stays as its grant makes it", i, p);
    }
}

/* ---- seccomp ------------------------------------------------------------------ */

static bool action_text(const struct jcs_value *a, const struct jcs_value *errno_ret, uint64_t dflt_errno,
                        char *out, size_t cap)
{
    uint64_t e = errno_ret ? (uint64_t)jcs_get_int(errno_ret) : dflt_errno;
    if (jcs_string_is(a, "SCMP_ACT_ALLOW"))
        snprintf(out, cap, "allow");
    else if (jcs_string_is(a, "SCMP_ACT_ERRNO"))
        snprintf(out, cap, "errno(%llu)", (unsigned long long)(e >= 1 && e <= 4095 ? e : 1));
    else if (jcs_string_is(a, "SCMP_ACT_KILL") || jcs_string_is(a, "SCMP_ACT_KILL_THREAD"))
        snprintf(out, cap, "kill-thread");
    else if (jcs_string_is(a, "SCMP_ACT_KILL_PROCESS"))
        snprintf(out, cap, "kill-process");
    else if (jcs_string_is(a, "SCMP_ACT_TRAP"))
        snprintf(out, cap, "trap");
    else if (jcs_string_is(a, "SCMP_ACT_LOG"))
        snprintf(out, cap, "log");
    else
        return false;
    return true;
}

struct sc_rule {
    char name[64];
    char action[32];
    char pred[512];
};

static void tr_seccomp(struct tr *t, const struct jcs_value *sc)
{
    static const char *const known[] = { "defaultAction", "defaultErrnoRet", "architectures",
                                         "flags",         "syscalls",        NULL };
    known_fields(t, sc, "linux.seccomp", known);
    const struct jcs_value *da = get(sc, "defaultAction", JCS_STRING, "linux.seccomp.defaultAction", t);
    const struct jcs_value *der = get(sc, "defaultErrnoRet", JCS_INT, "linux.seccomp.defaultErrnoRet", t);
    char dflt[32];
    if (!da || !action_text(da, der, 1, dflt, sizeof dflt)) {
        ocr_msgs_add(t->viol, "linux.seccomp.defaultAction: missing or not supported");
        return;
    }
    put(t, "    syscalls {\n        default %s%s;  # linux.seccomp.defaultAction\n", dflt,
        !strcmp(dflt, "allow") || !strcmp(dflt, "log")
            ? " unsafe \"the container's own seccomp profile (config.json linux.seccomp)\""
            : "");
    const struct jcs_value *sys = get(sc, "syscalls", JCS_ARRAY, "linux.seccomp.syscalls", t);
    /* flatten to (name, action, predicate) in written order */
    struct sc_rule *r = NULL;
    size_t n = 0;
    for (size_t i = 0; sys && i < jcs_array_len(sys); i++) {
        const struct jcs_value *e = jcs_array_at(sys, i);
        char field[64];
        snprintf(field, sizeof field, "linux.seccomp.syscalls[%zu]", i);
        static const char *const eknown[] = { "names",   "action",   "errnoRet", "args",
                                              "comment", "includes", "excludes", NULL };
        known_fields(t, e, field, eknown);
        const struct jcs_value *names = get(e, "names", JCS_ARRAY, field, t);
        const struct jcs_value *act = get(e, "action", JCS_STRING, field, t);
        const struct jcs_value *er = get(e, "errnoRet", JCS_INT, field, t);
        const struct jcs_value *args = get(e, "args", JCS_ARRAY, field, t);
        char action[32];
        if (!act || !action_text(act, er, 1, action, sizeof action)) {
            ocr_msgs_add(t->viol, "%s.action: missing or not supported (notify and trace are not)", field);
            continue;
        }
        for (size_t k = 0; names && k < jcs_array_len(names); k++) {
            char name[64];
            const struct jcs_value *nv = jcs_array_at(names, k);
            if (jcs_type_of(nv) != JCS_STRING || !str_of(nv, name, sizeof name))
                continue;
            const struct sc_syscall *s = sc_lookup(name);
            if (!s)
                continue; /* not on x86_64/aarch64, or newer than the table: the default applies */
            char pred[512] = "";
            bool ok = true;
            for (size_t a = 0; args && a < jcs_array_len(args) && ok; a++) {
                const struct jcs_value *c = jcs_array_at(args, a);
                const struct jcs_value *idx = get(c, "index", JCS_INT, field, t);
                const struct jcs_value *val = get(c, "value", JCS_INT, field, t);
                const struct jcs_value *v2 = get(c, "valueTwo", JCS_INT, field, t);
                const struct jcs_value *op = get(c, "op", JCS_STRING, field, t);
                if (!idx || !val || !op || jcs_get_int(idx) < 0 || jcs_get_int(idx) > 5) {
                    ok = false;
                    break;
                }
                int ix = (int)jcs_get_int(idx);
                uint64_t v = (uint64_t)jcs_get_int(val), w = v2 ? (uint64_t)jcs_get_int(v2) : 0;
                int width = ix < s->nargs ? s->args[ix].width : 64;
                if (width == 32 && (v > 0xffffffffull || w > 0xffffffffull)) {
                    ok = false;
                    break;
                }
                char c1[160];
                const char *opn = NULL;
                if (jcs_string_is(op, "SCMP_CMP_EQ"))
                    opn = "==";
                else if (jcs_string_is(op, "SCMP_CMP_NE"))
                    opn = "!=";
                else if (jcs_string_is(op, "SCMP_CMP_LT"))
                    opn = "<";
                else if (jcs_string_is(op, "SCMP_CMP_LE"))
                    opn = "<=";
                else if (jcs_string_is(op, "SCMP_CMP_GT"))
                    opn = ">";
                else if (jcs_string_is(op, "SCMP_CMP_GE"))
                    opn = ">=";
                if (opn) {
                    snprintf(c1, sizeof c1, "arg%d %s %llu", ix, opn, (unsigned long long)v);
                } else if (jcs_string_is(op, "SCMP_CMP_MASKED_EQ") && (w & ~v) == 0 && v) {
                    snprintf(c1, sizeof c1, "arg%d & %llu == %llu", ix, (unsigned long long)v,
                             (unsigned long long)w);
                } else {
                    ok = false;
                    break;
                }
                size_t pl = strlen(pred);
                snprintf(pred + pl, sizeof pred - pl, "%s%s", pl ? " && " : "", c1);
            }
            if (!ok) {
                ocr_msgs_add(t->notes, "%s: the rule for %s has a condition we cannot express; left out",
                             field, name);
                continue;
            }
            struct sc_rule *nr = realloc(r, (n + 1) * sizeof *nr);
            if (!nr)
                break;
            r = nr;
            snprintf(r[n].name, sizeof r[n].name, "%s", name);
            snprintf(r[n].action, sizeof r[n].action, "%s", action);
            snprintf(r[n].pred, sizeof r[n].pred, "%s", pred);
            n++;
        }
    }
    /* per syscall, the first matching rule wins: keep the rules up to the
     * first unconditional one, drop conditional ones it makes redundant
     * (same action), and rules equal to the default with nothing after */
    bool *done = calloc(n ? n : 1, sizeof *done);
    for (size_t i = 0; done && i < n; i++) {
        if (done[i])
            continue;
        size_t idx[512], m = 0;
        for (size_t j = i; j < n && m < 512; j++)
            if (!done[j] && !strcmp(r[j].name, r[i].name)) {
                idx[m++] = j;
                done[j] = true;
            }
        size_t end = m;
        for (size_t k = 0; k < m; k++)
            if (!r[idx[k]].pred[0]) {
                end = k + 1;
                break;
            }
        const char *uncond = end <= m && !r[idx[end - 1]].pred[0] ? r[idx[end - 1]].action : dflt;
        for (size_t k = 0; k < end; k++) {
            struct sc_rule *x = &r[idx[k]];
            if (!strcmp(x->action, uncond) && (x->pred[0] || !strcmp(x->action, dflt)))
                continue;
            /* a conditional rule with the same action as an earlier one is fine */
            put(t, "        %s %s", x->action, x->name);
            if (x->pred[0])
                put(t, "(%s)", x->pred);
            if ((!strcmp(x->action, "allow") || !strcmp(x->action, "log")) && sc_danger(x->name))
                put(t, " unsafe \"the container's own seccomp profile (config.json linux.seccomp)\"");
            put(t, ";\n");
        }
    }
    free(done);
    free(r);
    put(t, "    }\n");
}

/* ---- linux -------------------------------------------------------------------- */

/* Does linux.namespaces join a namespace of this type by path? */
static bool joined_ns(const struct jcs_value *linux_, const char *type)
{
    const struct jcs_value *ns =
        linux_ && jcs_type_of(linux_) == JCS_OBJECT ? jcs_object_get(linux_, "namespaces") : NULL;
    for (size_t i = 0; ns && jcs_type_of(ns) == JCS_ARRAY && i < jcs_array_len(ns); i++) {
        const struct jcs_value *n = jcs_array_at(ns, i);
        if (jcs_type_of(n) != JCS_OBJECT)
            continue;
        const struct jcs_value *ty = jcs_object_get(n, "type");
        if (ty && jcs_type_of(ty) == JCS_STRING && jcs_string_is(ty, type) && jcs_object_get(n, "path"))
            return true;
    }
    return false;
}

static void tr_linux_checks(struct tr *t, const struct jcs_value *linux_)
{
    static const char *const known[] = { "namespaces",  "uidMappings", "gidMappings",       "devices",
                                         "cgroupsPath", "resources",   "rootfsPropagation", "seccomp",
                                         "sysctl",      "maskedPaths", "readonlyPaths",     "mountLabel",
                                         NULL };
    if (!linux_) {
        ocr_msgs_add(t->viol, "linux: missing");
        return;
    }
    known_fields(t, linux_, "linux", known);
    const struct jcs_value *ns = get(linux_, "namespaces", JCS_ARRAY, "linux.namespaces", t);
    static const char *const need[] = { "pid", "network", "ipc", "uts", "mount", NULL };
    bool have[5] = { false };
    for (size_t i = 0; ns && i < jcs_array_len(ns); i++) {
        const struct jcs_value *n = jcs_array_at(ns, i);
        const struct jcs_value *ty = get(n, "type", JCS_STRING, "linux.namespaces[].type", t);
        /* a path: joined (oci_join.c checks it against allow_join and the
         * host's own); the type is then not the host's either */
        get(n, "path", JCS_STRING, "linux.namespaces[].path", t);
        bool known_ns = false;
        for (size_t k = 0; need[k]; k++)
            if (ty && jcs_string_is(ty, need[k]))
                have[k] = known_ns = true;
        if (ty && (jcs_string_is(ty, "user") || jcs_string_is(ty, "cgroup")))
            known_ns = true;
        if (!known_ns)
            ocr_msgs_add(t->viol, "linux.namespaces[%zu].type: not supported", i);
    }
    for (size_t k = 0; need[k]; k++)
        if (!have[k])
            ocr_msgs_add(t->viol,
                         "linux.namespaces: no %s namespace: sharing the host's %s namespace is not allowed",
                         need[k], need[k]);
    const struct jcs_value *um = get(linux_, "uidMappings", JCS_ARRAY, "linux.uidMappings", t);
    const struct jcs_value *gm = get(linux_, "gidMappings", JCS_ARRAY, "linux.gidMappings", t);
    if ((um && jcs_array_len(um)) || (gm && jcs_array_len(gm)))
        ocr_msgs_add(t->viol, "linux.uidMappings/gidMappings: not supported (the cell maps ids itself)");
    const struct jcs_value *sys = get(linux_, "sysctl", JCS_OBJECT, "linux.sysctl", t);
    for (size_t i = 0; sys && i < jcs_object_len(sys); i++) {
        const char *k;
        size_t kl;
        jcs_object_at(sys, i, &k, &kl);
        if (kl == strlen("net.ipv4.ping_group_range") && !memcmp(k, "net.ipv4.ping_group_range", kl))
            ocr_msgs_add(t->notes, "linux.sysctl.%.*s: not set (ICMP sockets stay as the kernel default)",
                         (int)kl, k);
        else
            ocr_msgs_add(t->viol, "linux.sysctl.%.*s: setting sysctls is not supported",
                         (int)(kl > 64 ? 64 : kl), k);
    }
    const struct jcs_value *devs = get(linux_, "devices", JCS_ARRAY, "linux.devices", t);
    for (size_t i = 0; devs && i < jcs_array_len(devs); i++) {
        const struct jcs_value *dv = jcs_array_at(devs, i);
        const struct jcs_value *p = get(dv, "path", JCS_STRING, "linux.devices[].path", t);
        char path[PATH_MAX];
        if (!p || !str_of(p, path, sizeof path) || !norm_abs(path)) {
            ocr_msgs_add(t->viol, "linux.devices[%zu].path: not an absolute path", i);
            continue;
        }
        static const char *const implied[] = { "/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                               "/dev/urandom", "/dev/tty",  NULL };
        bool imp = false;
        for (size_t k = 0; implied[k]; k++)
            imp |= !strcmp(path, implied[k]);
        if (imp && t->have_dev)
            continue;
        if (!ocr_list_has(t->c->devices, path)) {
            ocr_msgs_add(t->viol,
                         "linux.devices[%zu]: %s is not allowed by the host (runtime.conf allow_devices)", i,
                         path);
            continue;
        }
        put(t, "        device ");
        put_cstr(t, path);
        put(t, "%s;  # linux.devices[%zu]\n",
            imp ? "" : " unsafe \"the host allows it (runtime.conf allow_devices)\"", i);
    }
}

static void tr_limits(struct tr *t, const struct jcs_value *linux_)
{
    const struct jcs_value *res = get(linux_, "resources", JCS_OBJECT, "linux.resources", t);
    const struct jcs_value *mem = get(res, "memory", JCS_OBJECT, "linux.resources.memory", t);
    const struct jcs_value *pids = get(res, "pids", JCS_OBJECT, "linux.resources.pids", t);
    const struct jcs_value *cpu = get(res, "cpu", JCS_OBJECT, "linux.resources.cpu", t);
    const struct jcs_value *ml = get(mem, "limit", JCS_INT, "linux.resources.memory.limit", t);
    const struct jcs_value *pl = get(pids, "limit", JCS_INT, "linux.resources.pids.limit", t);
    const struct jcs_value *q = get(cpu, "quota", JCS_INT, "linux.resources.cpu.quota", t);
    const struct jcs_value *per = get(cpu, "period", JCS_INT, "linux.resources.cpu.period", t);
    put(t, "    limits {\n");
    if (ml && jcs_get_int(ml) > 0)
        put(t, "        memory %lld;  # linux.resources.memory.limit\n", (long long)jcs_get_int(ml));
    if (pl && jcs_get_int(pl) > 0)
        put(t, "        pids %lld;  # linux.resources.pids.limit\n", (long long)jcs_get_int(pl));
    if (q && jcs_get_int(q) > 0) {
        long long p = per && jcs_get_int(per) > 0 ? (long long)jcs_get_int(per) : 100000;
        long long m = (long long)jcs_get_int(q) * 1000 / p;
        put(t, "        cpu %lldm;  # linux.resources.cpu.quota/period\n", m < 1 ? 1 : m);
    }
    put(t, "    }\n");
}

int ocr_translate(const struct ocr_bundle *b, const struct ocr_conf *c, const char *pack_name, char **text,
                  struct ocr_msgs *viol, struct ocr_msgs *notes)
{
    struct tr t;
    memset(&t, 0, sizeof t);
    t.b = b;
    t.c = c;
    t.viol = viol;
    t.notes = notes;
    const struct jcs_value *cfg = b->root;
    static const char *const known[] = { "ociVersion", "root",  "mounts",      "process", "hostname",
                                         "domainname", "hooks", "annotations", "linux",   NULL };
    known_fields(&t, cfg, "config.json", known);
    /* hooks: checked against runtime.conf allow_hooks and run by oci_hooks.c */

    /* root.path: inside the bundle, or under allow_roots */
    const struct jcs_value *root = get(cfg, "root", JCS_OBJECT, "root", &t);
    const struct jcs_value *rp = get(root, "path", JCS_STRING, "root.path", &t);
    const struct jcs_value *rro = get(root, "readonly", JCS_BOOL, "root.readonly", &t);
    char rpath[PATH_MAX];
    if (!rp || !str_of(rp, rpath, sizeof rpath) || !rpath[0]) {
        ocr_msgs_add(viol, "root.path: missing");
    } else {
        char joined[PATH_MAX * 2];
        if (rpath[0] == '/')
            snprintf(joined, sizeof joined, "%s", rpath);
        else
            snprintf(joined, sizeof joined, "%s/%s", b->bundle, rpath);
        char *real = realpath(joined, NULL);
        if (!real) {
            ocr_msgs_add(viol, "root.path: %s: %s", joined, strerror(errno));
        } else {
            if (!within(real, b->bundle) && !ocr_list_within(c->roots, real))
                ocr_msgs_add(viol, "root.path: %s lies outside the bundle %s (and outside allow_roots)", real,
                             b->bundle);
            else if (!strcmp(real, "/"))
                ocr_msgs_add(viol, "root.path: the host's / is not a container root");
            snprintf(t.rootfs, sizeof t.rootfs, "%s", real);
            free(real);
        }
    }
    t.rootfs_ro = rro && jcs_get_bool(rro);
    const struct jcs_value *linux_ = get(cfg, "linux", JCS_OBJECT, "linux", &t);
    const struct jcs_value *proc = get(cfg, "process", JCS_OBJECT, "process", &t);

    char cell[80] = "oci-";
    const char *id = b->config_sha256 + 7;
    snprintf(cell + 4, 13, "%.12s", id);
    put(&t, "# generated by cellrun from %s/config.json (%s)\n", b->bundle, b->config_sha256);
    put(&t, "use ");
    put_cstr(&t, pack_name);
    put(&t, ";\ncell %s {\n", cell);
    const struct jcs_value *hn = get(cfg, "hostname", JCS_STRING, "hostname", &t);
    char host[128];
    if (hn && str_of(hn, host, sizeof host) && host[0] && joined_ns(linux_, "uts")) {
        ocr_msgs_add(viol,
                     "hostname: set, but the uts namespace is joined (linux.namespaces path): the "
                     "hostname is the namespace's");
    } else if (hn && str_of(hn, host, sizeof host) && host[0]) {
        put(&t, "    hostname ");
        put_cstr(&t, host);
        put(&t, ";  # hostname\n");
    }
    if (t.rootfs[0])
        tr_process(&t, proc);
    put(&t, "    filesystem {\n");
    const struct jcs_value *mounts = get(cfg, "mounts", JCS_ARRAY, "mounts", &t);
    tr_mounts(&t, mounts);
    if (t.rootfs[0])
        tr_root(&t);
    tr_masks(&t, linux_);
    tr_linux_checks(&t, linux_);
    if (joined_ns(linux_, "network"))
        put(&t,
            "    }\n    network none;  # linux.namespaces: the engine's network namespace, joined (ns_join "
            "event); the cell makes none\n");
    else
        put(&t, "    }\n    network loopback;  # linux.namespaces: a new network namespace\n");
    tr_limits(&t, linux_);
    const struct jcs_value *sc = get(linux_, "seccomp", JCS_OBJECT, "linux.seccomp", &t);
    if (!sc)
        ocr_msgs_add(viol,
                     "linux.seccomp: absent; an unconfined container is not allowed (give it a profile)");
    else
        tr_seccomp(&t, sc);
    put(&t, "}\n");
    jcs_buf_append(&t.out, "", 1);
    for (size_t i = 0; i < t.n_dsts; i++)
        free(t.dsts[i]);
    free(t.dsts);
    /* with violations the text is still returned (without what was refused)
     * when the root was usable, so the compiler can add the pack's */
    if (viol->n && !t.rootfs[0]) {
        jcs_buf_free(&t.out);
        return -1;
    }
    *text = t.out.p;
    return viol->n ? -1 : 0;
}

/* ---- the bundle ----------------------------------------------------------------- */

static void ann(const struct jcs_value *a, const char *k, char *dst, size_t cap)
{
    const struct jcs_value *v = a ? jcs_object_get(a, k) : NULL;
    if (v && jcs_type_of(v) == JCS_STRING)
        str_of(v, dst, cap);
}

int ocr_bundle_load(const char *bundle_dir, struct ocr_bundle *b, char *why, size_t whylen)
{
    memset(b, 0, sizeof *b);
    char *real = realpath(bundle_dir, NULL);
    if (!real) {
        snprintf(why, whylen, "--bundle %s: %s", bundle_dir, strerror(errno));
        return -1;
    }
    snprintf(b->bundle, sizeof b->bundle, "%s", real);
    free(real);
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", b->bundle);
    if (ocr_read_file(path, 4 << 20, &b->config, &b->config_len, why, whylen) < 0)
        return -1;
    ocr_sha256_hex(b->config, b->config_len, b->config_sha256);
    b->doc = jcs_doc_new();
    struct jcs_value *v = NULL;
    struct jcs_parse_error pe;
    if (!b->doc || jcs_parse(b->doc, b->config, b->config_len, 64, &v, &pe) < 0) {
        snprintf(why, whylen, "%s: not JSON we accept: byte %zu: %s", path, pe.offset, pe.e.msg);
        return -1;
    }
    if (jcs_type_of(v) != JCS_OBJECT) {
        snprintf(why, whylen, "%s: not a JSON object", path);
        return -1;
    }
    b->root = v;
    const struct jcs_value *a = jcs_object_get(v, "annotations");
    if (a && jcs_type_of(a) != JCS_OBJECT) {
        snprintf(why, whylen, "%s: annotations: must be an object", path);
        return -1;
    }
    ann(a, "io.cellos.backend", b->backend, sizeof b->backend);
    ann(a, "io.cellos.pack", b->pack_name, sizeof b->pack_name);
    ann(a, "io.cellos.plan", b->plan_path, sizeof b->plan_path);
    ann(a, "io.kubernetes.pod.name", b->pod, sizeof b->pod);
    ann(a, "io.kubernetes.cri.sandbox-name", b->pod, sizeof b->pod);
    ann(a, "io.kubernetes.pod.namespace", b->pod_ns, sizeof b->pod_ns);
    ann(a, "io.kubernetes.cri.sandbox-namespace", b->pod_ns, sizeof b->pod_ns);
    const struct jcs_value *p = jcs_object_get(v, "process");
    const struct jcs_value *term = p && jcs_type_of(p) == JCS_OBJECT ? jcs_object_get(p, "terminal") : NULL;
    b->terminal = term && jcs_type_of(term) == JCS_BOOL && jcs_get_bool(term);
    return 0;
}

void ocr_bundle_free(struct ocr_bundle *b)
{
    free(b->config);
    jcs_doc_free(b->doc);
    memset(b, 0, sizeof *b);
}
