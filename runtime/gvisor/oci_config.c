/*
 * oci_config.c - oci_translate(): the whole config.json of the gVisor
 * backend (see oci.h), in three variants:
 *   run       what runsc reads: staged sources (m/N, s/N, k/N, rootfs),
 *             secret values in the environment;
 *   review    the same with every secret value replaced by "<secret NAME>":
 *             what `cellrun --print-oci-config` prints and what the started
 *             event's oci_config_sha256 is over;
 *   portable  host paths instead of clones (for other OCI tools and plain
 *             `runsc run` of an exported bundle), secrets redacted.
 * Members are always written in the same order (oci_json.h), so equal
 * inputs give equal bytes.
 */
#include "oci.h"
#include "runtime/events/json_writer.h"
#include "runtime/plan/plan_caps.h"
#include "runtime/plan/plan_rlimits.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oci_fs_exec_check(const struct oci_bundle *b, const char *argv0);
int oci_fs_dir_check(const struct oci_bundle *b, const char *dir);

enum variant {
    V_RUN,
    V_REVIEW,
    V_PORTABLE
};


static const char *rlimit_name(uint32_t r)
{
    const struct plan_rlimit_info *i = plan_rlimit_by_resource(r);
    return i ? i->oci : NULL;
}

static void caps(struct oci_json *j, const char *set, uint64_t bits)
{
    oj_arr_begin(j, set);
    for (unsigned c = 0; c < 64; c++)
        if ((bits & (1ull << c)) && plan_cap_name(c))
            oj_str(j, NULL, plan_cap_name(c));
    oj_arr_end(j);
}

/* Host path (or bundle path) a portable config names for a clone. */
static int clone_source(const struct oci_bundle *b, int mi, char *out, size_t n)
{
    const struct oci_mount *m = &b->mounts[mi];
    if (m->from < 0)
        return snprintf(out, n, "%s", m->host) < (int)n ? 0 : -1;
    const struct oci_mount *f = &b->mounts[m->from];
    char base[CP_MAX_PATH + 1];
    switch (f->kind) {
    case OCI_FS_ROOT: snprintf(base, sizeof base, "rootfs"); break;
    case OCI_FS_STAGED: snprintf(base, sizeof base, "s/%d", f->stage); break;
    case OCI_FS_SECRETS: snprintf(base, sizeof base, "k/%d", f->stage); break;
    case OCI_FS_CLONE:
        if (clone_source(b, m->from, base, sizeof base) < 0)
            return -1;
        break;
    default: return -1;
    }
    int w = m->host[0] ? snprintf(out, n, "%s/%s", base, m->host) : snprintf(out, n, "%s", base);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

static void flag_opts(struct oci_json *j, uint16_t fl)
{
    oj_str(j, NULL, (fl & CP_MNT_RDONLY) ? "ro" : "rw");
    if (fl & CP_MNT_NOSUID)
        oj_str(j, NULL, "nosuid");
    if (fl & CP_MNT_NODEV)
        oj_str(j, NULL, "nodev");
    if (fl & CP_MNT_NOEXEC)
        oj_str(j, NULL, "noexec");
}

static int emit_mount(struct oci_json *j, const struct oci_bundle *b, size_t mi, enum variant v,
                      struct cell_error *e)
{
    const struct oci_mount *m = &b->mounts[mi];
    char src[CP_MAX_PATH + 16], opt[64];
    const char *type = "bind";
    switch (m->kind) {
    case OCI_FS_CLONE:
        if (v == V_PORTABLE) {
            if (clone_source(b, (int)mi, src, sizeof src) < 0)
                return cell_err(e, ENAMETOOLONG, "gvisor: mount source for %s is too long", m->dst);
        } else {
            snprintf(src, sizeof src, "m/%d", m->stage);
        }
        break;
    case OCI_FS_STAGED: snprintf(src, sizeof src, "s/%d", m->stage); break;
    case OCI_FS_SECRETS: snprintf(src, sizeof src, "k/%d", m->stage); break;
    case OCI_FS_MASK_FILE: snprintf(src, sizeof src, "%s", m->resolv ? "resolv.conf" : "empty"); break;
    case OCI_FS_TMPFS:
    case OCI_FS_MASK_DIR:
        type = "tmpfs";
        snprintf(src, sizeof src, "tmpfs");
        break;
    case OCI_FS_PROC:
        type = "proc";
        snprintf(src, sizeof src, "proc");
        break;
    case OCI_FS_DEVPTS:
        type = "devpts";
        snprintf(src, sizeof src, "devpts");
        break;
    case OCI_FS_ROOT: return 0;
    }
    oj_obj_begin(j, NULL);
    oj_str(j, "destination", m->dst);
    oj_str(j, "type", type);
    oj_str(j, "source", src);
    oj_arr_begin(j, "options");
    if (strcmp(type, "bind") == 0)
        oj_str(j, NULL, m->kind == OCI_FS_CLONE && m->recursive ? "rbind" : "bind");
    if (m->kind == OCI_FS_DEVPTS) {
        oj_str(j, NULL, "nosuid");
        oj_str(j, NULL, "noexec");
        oj_str(j, NULL, "newinstance");
        oj_str(j, NULL, "ptmxmode=0666");
        oj_str(j, NULL, "mode=0620");
    } else {
        flag_opts(j, m->flags);
    }
    if (m->kind == OCI_FS_TMPFS || m->kind == OCI_FS_MASK_DIR) {
        snprintf(opt, sizeof opt, "mode=%o", m->mode);
        oj_str(j, NULL, opt);
        if (m->size) {
            snprintf(opt, sizeof opt, "size=%llu", (unsigned long long)m->size);
            oj_str(j, NULL, opt);
        }
        if (m->chown) {
            snprintf(opt, sizeof opt, "uid=%u", m->uid);
            oj_str(j, NULL, opt);
            snprintf(opt, sizeof opt, "gid=%u", m->gid);
            oj_str(j, NULL, opt);
        }
    }
    oj_arr_end(j);
    oj_obj_end(j);
    return 0;
}

static void emit_env(struct oci_json *j, const struct plan *p, const struct oci_inputs *in, enum variant v,
                     size_t *count)
{
    size_t n = 0;
    oj_arr_begin(j, "env");
    for (size_t i = 0; i < p->process.n_env; i++) {
        const struct plan_env *ev = &p->process.env[i];
        const char *val = ev->value;
        if (ev->flags & CP_ENV_PASS) {
            val = in->pass_values ? in->pass_values[i] : NULL;
            if (!val)
                continue; /* unset on the host: left out, as natively */
        }
        char *s = NULL;
        if (asprintf(&s, "%s=%s", ev->name, val) < 0) {
            oj_str(j, NULL, "\xff"); /* makes the document fail: out of memory */
            continue;
        }
        oj_str(j, NULL, s);
        free(s);
        n++;
    }
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        const struct plan_secret *s = &p->secrets.items[i];
        if (s->delivery != CP_SECRET_ENV)
            continue;
        char *str = NULL;
        int w;
        if (v == V_RUN && in->secrets && in->secrets[i].value)
            w = asprintf(&str, "%s=%.*s", s->target, (int)in->secrets[i].len, in->secrets[i].value);
        else
            w = asprintf(&str, "%s=<secret %s>", s->target, s->name);
        if (w < 0) {
            oj_str(j, NULL, "\xff");
            continue;
        }
        oj_str(j, NULL, str);
        explicit_bzero(str, strlen(str));
        free(str);
        n++;
    }
    oj_arr_end(j);
    *count = n;
}

static int build(const struct plan *p, const struct oci_inputs *in, struct oci_bundle *b, enum variant v,
                 char **out, size_t *len, struct cell_error *e)
{
    struct oci_json j;
    oj_init(&j);
    oj_obj_begin(&j, NULL);
    oj_str(&j, "ociVersion", "1.0.2");

    /* process */
    oj_obj_begin(&j, "process");
    oj_bool(&j, "terminal", false);
    oj_obj_begin(&j, "user");
    oj_u64(&j, "uid", p->process.uid);
    oj_u64(&j, "gid", p->process.gid);
    oj_obj_end(&j);
    oj_arr_begin(&j, "args");
    for (size_t i = 0; i < p->process.argc; i++)
        oj_str(&j, NULL, p->process.argv[i]);
    for (size_t i = 0; i < in->n_extra_args; i++)
        oj_str(&j, NULL, in->extra_args[i]);
    oj_arr_end(&j);
    emit_env(&j, p, in, v, &b->n_env);
    const char *cwd = p->process.cwd;
    for (size_t i = 0; i < p->fs.n_ops; i++)
        if (p->fs.ops[i].opcode == CP_OP_CHDIR)
            cwd = p->fs.ops[i].dst;
    oj_str(&j, "cwd", cwd);
    uint64_t c = p->process.capabilities;
    oj_obj_begin(&j, "capabilities");
    caps(&j, "bounding", c);
    caps(&j, "effective", c);
    caps(&j, "inheritable", c);
    caps(&j, "permitted", c);
    caps(&j, "ambient", p->process.uid != 0 ? c : 0); /* as native: kept across exec */
    oj_obj_end(&j);
    oj_arr_begin(&j, "rlimits");
    for (size_t i = 0; i < p->process.n_rlimits; i++) {
        const struct plan_rlimit *r = &p->process.rlimits[i];
        oj_obj_begin(&j, NULL);
        oj_str(&j, "type", rlimit_name(r->resource));
        oj_u64(&j, "hard", r->hard);
        oj_u64(&j, "soft", r->soft);
        oj_obj_end(&j);
    }
    oj_arr_end(&j);
    oj_bool(&j, "noNewPrivileges", true);
    oj_obj_end(&j);

    oj_obj_begin(&j, "root");
    oj_str(&j, "path", "rootfs");
    oj_bool(&j, "readonly", b->root_readonly);
    oj_obj_end(&j);
    const char *host = p->meta.hostname && p->meta.hostname[0] ? p->meta.hostname : p->meta.name;
    oj_str(&j, "hostname", host && host[0] ? host : "cell");

    /* parents before children, as gVisor and its gofer mount them */
    oj_arr_begin(&j, "mounts");
    size_t maxlen = 0;
    for (size_t i = 1; i < b->n_mounts; i++)
        if (b->mounts[i].live && strlen(b->mounts[i].dst) > maxlen)
            maxlen = strlen(b->mounts[i].dst);
    for (size_t len = 1; len <= maxlen; len++)
        for (size_t i = 1; i < b->n_mounts; i++)
            if (b->mounts[i].live && strlen(b->mounts[i].dst) == len && emit_mount(&j, b, i, v, e) < 0) {
                oj_free(&j);
                return -1;
            }
    oj_arr_end(&j);

    oj_obj_begin(&j, "linux");
    if (p->limits.memory || p->limits.pids || p->limits.cpu_millis) {
        /* for other OCI runtimes; runsc runs with --ignore-cgroups and
         * cellrun applies the limits to the whole sandbox itself */
        oj_obj_begin(&j, "resources");
        if (p->limits.memory) {
            oj_obj_begin(&j, "memory");
            oj_u64(&j, "limit", p->limits.memory);
            oj_u64(&j, "swap", p->limits.memory);
            oj_obj_end(&j);
        }
        if (p->limits.pids) {
            oj_obj_begin(&j, "pids");
            oj_u64(&j, "limit", p->limits.pids);
            oj_obj_end(&j);
        }
        if (p->limits.cpu_millis) {
            uint64_t quota = (uint64_t)p->limits.cpu_millis * 100;
            oj_obj_begin(&j, "cpu");
            oj_u64(&j, "quota", quota < 1000 ? 1000 : quota);
            oj_u64(&j, "period", 100000);
            oj_obj_end(&j);
        }
        oj_obj_end(&j);
    }
    oj_arr_begin(&j, "namespaces");
    static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
        oj_obj_begin(&j, NULL);
        oj_str(&j, "type", ns[i]);
        /* egress: the sandbox joins the cell's network namespace, which
         * netd has given the cell's end of a veth pair (runsc
         * --network=sandbox takes its interfaces, addresses and routes);
         * the monitor binds it at the bundle's `netns` (the bundle is
         * /tmp in its mount namespace). A portable bundle gets a fresh
         * namespace: no network at all, never more. */
        if (b->egress && v != V_PORTABLE && strcmp(ns[i], "network") == 0)
            oj_str(&j, "path", "/tmp/netns");
        oj_obj_end(&j);
    }
    oj_arr_end(&j);
    if (oci_seccomp_emit(p, &j, b, e) < 0) {
        oj_free(&j);
        return -1;
    }
    oj_obj_end(&j);

    /* for review: what the bundle's opaque sources are */
    oj_obj_begin(&j, "annotations");
    char digest[80];
    static const char hex[] = "0123456789abcdef";
    memcpy(digest, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        digest[7 + 2 * i] = hex[p->digest[i] >> 4];
        digest[8 + 2 * i] = hex[p->digest[i] & 15];
    }
    digest[71] = 0;
    oj_str(&j, "dev.cellos.cell", p->meta.name);
    oj_str(&j, "dev.cellos.plan", digest);
    if (v != V_PORTABLE)
        for (size_t i = 1; i < b->n_mounts; i++) {
            const struct oci_mount *m = &b->mounts[i];
            char key[48], src[CP_MAX_PATH + 16];
            if (!m->live || m->kind != OCI_FS_CLONE)
                continue;
            snprintf(key, sizeof key, "dev.cellos.source.m/%d", m->stage);
            if (clone_source(b, (int)i, src, sizeof src) == 0)
                oj_str(&j, key, src);
        }
    oj_obj_end(&j);
    oj_obj_end(&j);

    const char *why;
    if (oj_finish(&j, out, len, &why) < 0)
        return cell_err(e, 0, "gvisor: building config.json: %s", why);
    return 0;
}

/* Plan features runsc cannot carry: refused before anything is built. */
static int refusals(const struct plan *p, struct cell_error *e)
{
    if (p->process.n_pass_fds)
        return cell_err(e, 0,
                        "process: the plan passes fd %u; runsc passes only stdin, stdout and "
                        "stderr to the sandbox",
                        p->process.pass_fds[0]);
    if (p->process.umask != 022)
        return cell_err(e, 0,
                        "process: umask %03o: runsc gives the workload umask 022 and ignores "
                        "the OCI umask",
                        p->process.umask);
    for (unsigned c = 0; c < 64; c++)
        if ((p->process.capabilities & (1ull << c)) && !plan_cap_name(c))
            return cell_err(e, 0, "process: a capability above CAP_CHECKPOINT_RESTORE is not known to runsc");
    for (size_t i = 0; i < p->process.n_rlimits; i++)
        if (!rlimit_name(p->process.rlimits[i].resource))
            return cell_err(e, 0, "process: rlimit %u is not supported", p->process.rlimits[i].resource);
    bool notify = (p->seccomp.default_action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        notify |= (p->seccomp.rules[i].action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
    if (notify)
        return cell_err(e, 0, "seccomp: user_notif actions are not supported by cellrun yet");
    /* the rules, which gVisor enforces, must say what the program says */
    return oci_seccomp_check(p, e);
}

int oci_translate(const struct plan *p, const struct oci_inputs *in, struct oci_bundle *b,
                  struct cell_error *e)
{
    memset(b, 0, sizeof *b);
    b->fail_op = -1;
    if (refusals(p, e) < 0)
        return -1;
    if (oci_fs_translate(p, b, e) < 0)
        goto fail;
    if (b->fail_op < 0) {
        bool has_chdir = false;
        for (size_t i = 0; i < p->fs.n_ops; i++)
            has_chdir |= p->fs.ops[i].opcode == CP_OP_CHDIR;
        if (!has_chdir)
            b->cwd_err = oci_fs_dir_check(b, p->process.cwd);
        b->exec_err = oci_fs_exec_check(b, p->process.argv[0]);
    }
    b->ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
    b->net_raw = (p->process.capabilities >> CAP_NET_RAW) & 1;
    b->egress = p->net.mode == CP_NET_EGRESS;
    if (p->net.mode == CP_NET_NONE)
        oci_note(b, "network.none",
                 "gVisor's --network=none sandbox keeps its own loopback up; nothing "
                 "outside the sandbox is reachable");
    if (build(p, in, b, V_REVIEW, &b->review, &b->review_len, e) < 0)
        goto fail;
    /* the run variant repeats the notes the review variant made */
    size_t notes = b->n_notes;
    if (!in->redact_only && build(p, in, b, V_RUN, &b->config, &b->config_len, e) < 0)
        goto fail;
    b->n_notes = notes;
    if (sodium_init() < 0) {
        cell_err(e, 0, "gvisor: libsodium failed to initialise");
        goto fail;
    }
    crypto_hash_sha256(b->review_sha256, (const unsigned char *)b->review, b->review_len);
    return 0;
fail:
    oci_bundle_free(b);
    return -1;
}

int oci_config_portable(const struct plan *p, const struct oci_inputs *in, struct oci_bundle *b, char **out,
                        size_t *len, struct cell_error *e);
int oci_config_portable(const struct plan *p, const struct oci_inputs *in, struct oci_bundle *b, char **out,
                        size_t *len, struct cell_error *e)
{
    size_t notes = b->n_notes;
    int r = build(p, in, b, V_PORTABLE, out, len, e);
    b->n_notes = notes;
    return r;
}
