/*
 * oci_state.c - the per-container state directory under --root, and the
 * small file helpers the OCI commands share.
 *
 * Layout: ROOT (0700, owned by the caller, never a symlink) / ID (0700):
 *   state.json  our own record (not the OCI state, which `state` prints)
 *   plan.bin    the cell plan the container runs (exec reads it too)
 *   policy.cell the policy config.json was translated into (audit)
 *   start       the fifo `start` writes one byte to
 * The status is derived, never stored: stopped once the supervisor process
 * (pid + its start time) is gone or a zombie, or it recorded an exit;
 * created until it recorded `started`; else running.
 */
#include "oci_rt.h"
#include "runtime/events/json_writer.h"
#include "runtime/lib/out_file.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const state_files[] = { "state.json",     "plan.bin",   "policy.cell",      "start",
                                           "state.json.tmp", "hooks.json", "hook-process.json" };

const char *ocr_status_name(enum ocr_status s)
{
    switch (s) {
    case OCI_CREATING: return "creating";
    case OCI_CREATED: return "created";
    case OCI_RUNNING: return "running";
    case OCI_STOPPED: return "stopped";
    }
    return "unknown";
}

int ocr_id_check(const char *id, char *why, size_t whylen)
{
    size_t n = strlen(id);
    if (n == 0 || n > 255 || !strcmp(id, ".") || !strcmp(id, "..")) {
        snprintf(why, whylen, "container id \"%.64s\": must be 1 to 255 characters, not . or ..", id);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.' || c == '+')) {
            snprintf(why, whylen,
                     "container id \"%.64s\": character '%c' not allowed (only [A-Za-z0-9_.+-]%s)", id,
                     c >= 0x20 && c < 0x7f ? c : '?', c == '/' ? "; '/' would leave --root" : "");
            return -1;
        }
    }
    return 0;
}

static int check_dir(const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        snprintf(why, whylen, "%s: is a symlink; refusing it as a state directory", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, whylen, "%s: not a directory", path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(why, whylen, "%s: owned by uid %u, not by us (uid %u); refusing it as a state directory",
                 path, (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & 022) {
        snprintf(why, whylen, "%s: writable by group or others (mode %04o); refusing it", path,
                 (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

int ocr_root_open(const char *root, char *why, size_t whylen)
{
    if (root[0] != '/') {
        snprintf(why, whylen, "--root %s: must be an absolute path", root);
        return -1;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", root);
    /* parents as needed (0755, like mkdir -p), the root itself 0700 */
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
            snprintf(why, whylen, "--root: %s: %s", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(root, 0700) < 0 && errno != EEXIST) {
        snprintf(why, whylen, "--root %s: %s", root, strerror(errno));
        return -1;
    }
    return check_dir(root, why, whylen);
}

uint64_t ocr_proc_starttime(pid_t pid, bool *zombie)
{
    *zombie = false;
    if (pid <= 0)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (sys_read_head(AT_FDCWD, path, 0, buf, sizeof buf) < 0)
        return 0;
    const char *state = sys_proc_stat_field(buf, 3);
    if (!state)
        return 0;
    *zombie = *state == 'Z' || *state == 'X';
    const char *start = sys_proc_stat_field(buf, 22);
    return start ? strtoull(start, NULL, 10) : 0;
}

pid_t ocr_proc_ppid(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (sys_read_head(AT_FDCWD, path, 0, buf, sizeof buf) < 0)
        return -1;
    const char *state = sys_proc_stat_field(buf, 3), *ppid = sys_proc_stat_field(buf, 4);
    if (!state || state[1] != ' ' || !ppid)
        return -1;
    return (pid_t)strtol(ppid, NULL, 10);
}

enum ocr_status ocr_state_status(const struct ocr_state *st)
{
    if (st->pid <= 0)
        return st->exited ? OCI_STOPPED : OCI_CREATING;
    if (st->exited)
        return OCI_STOPPED;
    bool zombie;
    uint64_t t = ocr_proc_starttime(st->pid, &zombie);
    if (t == 0 || zombie || t != st->starttime)
        return OCI_STOPPED;
    return st->started ? OCI_RUNNING : OCI_CREATED;
}

int ocr_read_file(const char *path, size_t max, char **out, size_t *len, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    for (;;) {
        if (!b) {
            close(fd);
            snprintf(why, whylen, "%s: out of memory", path);
            return -1;
        }
        if (n == cap) {
            if (cap >= max) {
                free(b);
                close(fd);
                snprintf(why, whylen, "%s: larger than %zu bytes", path, max);
                return -1;
            }
            cap *= 2;
            char *nb = realloc(b, cap + 1);
            if (!nb)
                free(b);
            b = nb;
            continue;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, whylen, "%s: %s", path, strerror(errno));
            free(b);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = 0;
    *out = b;
    *len = n;
    return 0;
}

int ocr_write_file(const char *path, const void *data, size_t len, int mode, char *why, size_t whylen)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int ocr_write_pid_file(const char *path, pid_t pid, char *why, size_t whylen)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%d", (int)pid);
    const struct out_spec spec = { .how = OUT_REPLACE, .mode = 0644 };
    struct cell_error e = { 0 };
    if (out_write_whole(path, num, (size_t)n, &spec, &e) < 0) {
        snprintf(why, whylen, "--pid-file: %s", e.msg);
        return -1;
    }
    return 0;
}

void ocr_sha256_hex(const void *data, size_t len, char out[72])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    strcpy(out, "sha256:");
    for (size_t i = 0; i < sizeof h; i++)
        sprintf(out + 7 + 2 * i, "%02x", h[i]);
}

int ocr_state_save(const struct ocr_state *st, char *why, size_t whylen)
{
    struct oci_json j;
    oj_init(&j);
    oj_obj_begin(&j, NULL);
    oj_str(&j, "id", st->id);
    oj_str(&j, "bundle", st->bundle);
    oj_i64(&j, "pid", st->pid);
    oj_i64(&j, "cellPid", st->cell_pid);
    oj_str(&j, "starttime", "");
    oj_bool(&j, "started", st->started);
    oj_bool(&j, "setUp", st->set_up);
    oj_bool(&j, "exited", st->exited);
    oj_i64(&j, "exitStatus", st->exit_status);
    oj_str(&j, "created", st->created);
    oj_str(&j, "configDigest", st->config_sha256);
    oj_str(&j, "annotations", st->annotations);
    oj_obj_end(&j);
    char *text;
    size_t len;
    const char *err;
    if (oj_finish(&j, &text, &len, &err) < 0) {
        snprintf(why, whylen, "state.json: %s", err);
        return -1;
    }
    /* starttime: a u64 as a decimal string (JSON integers here stop at 2^53) */
    char st_num[32];
    snprintf(st_num, sizeof st_num, "%llu", (unsigned long long)st->starttime);
    char *at = strstr(text, "\"starttime\": \"\"");
    size_t extra = strlen(st_num);
    char *out = malloc(len + extra + 1);
    if (!out || !at) {
        free(out);
        free(text);
        snprintf(why, whylen, "state.json: out of memory");
        return -1;
    }
    size_t pre = (size_t)(at - text) + strlen("\"starttime\": \"");
    memcpy(out, text, pre);
    memcpy(out + pre, st_num, extra);
    memcpy(out + pre + extra, text + pre, len - pre + 1);
    free(text);
    char path[1100];
    snprintf(path, sizeof path, "%s/state.json", st->dir);
    int r = ocr_write_file(path, out, len + extra, 0600, why, whylen);
    free(out);
    return r;
}

static void copy_str(const struct jcs_value *o, const char *key, char *dst, size_t cap)
{
    const struct jcs_value *v = jcs_object_get(o, key);
    size_t n = 0;
    const char *s = v && jcs_type_of(v) == JCS_STRING ? jcs_get_string(v, &n) : "";
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

static int64_t get_int(const struct jcs_value *o, const char *key)
{
    const struct jcs_value *v = jcs_object_get(o, key);
    return v && jcs_type_of(v) == JCS_INT ? jcs_get_int(v) : 0;
}

int ocr_state_load(const char *root, const char *id, struct ocr_state *st, bool *missing, char *why,
                   size_t whylen)
{
    memset(st, 0, sizeof *st);
    *missing = false;
    if (ocr_id_check(id, why, whylen) < 0)
        return -1;
    snprintf(st->id, sizeof st->id, "%s", id);
    snprintf(st->dir, sizeof st->dir, "%s/%s", root, id);
    struct stat sb;
    if (lstat(st->dir, &sb) < 0) {
        *missing = errno == ENOENT;
        snprintf(why, whylen, "container \"%s\" does not exist", id);
        return -1;
    }
    if (check_dir(st->dir, why, whylen) < 0)
        return -1;
    char path[1100], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/state.json", st->dir);
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0; /* still being created */
    if (ocr_read_file(path, 1 << 20, &text, &len, why, whylen) < 0)
        return -1;
    struct jcs_doc *d = jcs_doc_new();
    struct jcs_value *v = NULL;
    struct jcs_parse_error pe;
    if (!d || jcs_parse(d, text, len, 8, &v, &pe) < 0 || jcs_type_of(v) != JCS_OBJECT) {
        snprintf(why, whylen, "%s: not a state file", path);
        jcs_doc_free(d);
        free(text);
        return -1;
    }
    copy_str(v, "bundle", st->bundle, sizeof st->bundle);
    st->pid = (pid_t)get_int(v, "pid");
    st->cell_pid = (pid_t)get_int(v, "cellPid");
    const struct jcs_value *b = jcs_object_get(v, "started");
    st->started = b && jcs_type_of(b) == JCS_BOOL && jcs_get_bool(b);
    b = jcs_object_get(v, "setUp");
    st->set_up = b && jcs_type_of(b) == JCS_BOOL && jcs_get_bool(b);
    b = jcs_object_get(v, "exited");
    st->exited = b && jcs_type_of(b) == JCS_BOOL && jcs_get_bool(b);
    st->exit_status = (int)get_int(v, "exitStatus");
    char num[32];
    copy_str(v, "starttime", num, sizeof num);
    st->starttime = strtoull(num, NULL, 10);
    copy_str(v, "created", st->created, sizeof st->created);
    copy_str(v, "configDigest", st->config_sha256, sizeof st->config_sha256);
    copy_str(v, "annotations", st->annotations, sizeof st->annotations);
    jcs_doc_free(d);
    free(text);
    return 0;
}

int ocr_state_remove(const char *dir)
{
    char path[1100];
    for (size_t i = 0; i < sizeof state_files / sizeof *state_files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, state_files[i]);
        unlink(path);
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

int ocr_send_fd(const char *socket_path, int fd, char *why, size_t whylen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        snprintf(why, whylen, "--console-socket %s: path too long", socket_path);
        return -1;
    }
    strcpy(sa.sun_path, socket_path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        snprintf(why, whylen, "--console-socket %s: %s", socket_path, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    static const char name[] = "/dev/ptmx";
    int r = sys_send_fds(s, name, sizeof name - 1, &fd, 1);
    if (r < 0)
        snprintf(why, whylen, "--console-socket %s: sendmsg: %s", socket_path, strerror(errno));
    close(s);
    return r;
}

void ocr_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void ocr_state_print(FILE *f, const struct ocr_state *st, enum ocr_status s)
{
    fprintf(f, "{\n  \"ociVersion\": \"%s\",\n  \"id\": ", OCI_VERSION);
    ocr_json_str(f, st->id);
    fprintf(f, ",\n  \"status\": \"%s\",\n  \"pid\": %d,\n  \"bundle\": ", ocr_status_name(s),
            s == OCI_CREATED || s == OCI_RUNNING || s == OCI_CREATING ? (int)st->pid : 0);
    ocr_json_str(f, st->bundle);
    fprintf(f, ",\n  \"rootfs\": ");
    char rootfs[1200];
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", st->bundle);
    ocr_json_str(f, rootfs);
    fprintf(f, ",\n  \"created\": ");
    ocr_json_str(f, st->created);
    /* annotations were stored as the canonical JSON text of the object */
    fprintf(f, ",\n  \"annotations\": %s", st->annotations[0] == '{' ? st->annotations : "{}");
    fprintf(f, ",\n  \"owner\": \"\"\n}\n");
}
