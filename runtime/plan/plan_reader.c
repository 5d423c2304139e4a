/*
 * plan_reader.c - the one plan reader: validate plan bytes, then decode them.
 *
 * Input is untrusted. Every rule of docs/plan-format.md is checked before the
 * thing it guards is used: file size, header fields, body length and the body
 * SHA-256, the section directory (known, ascending, aligned, in bounds, not
 * overlapping, zero padding around), each section's fixed part, every array
 * (aligned, after the fixed part, in bounds without overflow, not overlapping
 * another array, zero padding around), every string reference, path, name,
 * enum, flag, reserved field, ordering rule, the mount-op program shape, the
 * seccomp slices and each BPF program (bpf_check.c).
 *
 * Errors name the section and the byte offset from the start of the file of
 * the offending field (or byte). All reads go through ld16/ld32/ld64 at
 * offsets already proven to lie inside the buffer.
 *
 * Decoding: phase A checks the header, hash, directory, string table and
 * every array descriptor, which fixes all counts; then one allocation is made
 * holding the struct plan, a private copy of the input (strings and BPF
 * instructions point into it) and every decoded array; phase B checks and
 * decodes the records. plan_free() releases the single allocation.
 */
#include "plan.h"
#include "plan_rlimits.h"
#include "runtime/lib/sys_util.h"
#include "bpf_check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

/* ------------------------------------------------------------ names ---- */

static const char *const section_names[] = {
    [0] = "header",
    [CP_SEC_STRTAB] = "strtab",
    [CP_SEC_META] = "meta",
    [CP_SEC_PROCESS] = "process",
    [CP_SEC_FILESYSTEM] = "filesystem",
    [CP_SEC_NETWORK] = "network",
    [CP_SEC_LIMITS] = "limits",
    [CP_SEC_SECCOMP] = "seccomp",
    [CP_SEC_VM] = "vm",
    [CP_SEC_GVISOR] = "gvisor",
    [CP_SEC_EVENTS] = "events",
    [CP_SEC_SECRETS] = "secrets",
    [CP_SEC_PROVENANCE] = "provenance",
    [CP_SEC_EXPORT] = "export",
};

const char *plan_section_name(uint32_t type)
{
    if (type <= CP_SEC_MAX_TYPE)
        return section_names[type];
    return "unknown";
}

static const char *const opcode_names[] = {
    [CP_OP_ROOTFS] = "rootfs", [CP_OP_MKDIR] = "mkdir",         [CP_OP_BIND] = "bind",
    [CP_OP_TMPFS] = "tmpfs",   [CP_OP_WORKSPACE] = "workspace", [CP_OP_REMOUNT] = "remount",
    [CP_OP_PROC] = "proc",     [CP_OP_DEVNODE] = "devnode",     [CP_OP_DEVPTS] = "devpts",
    [CP_OP_MASK] = "mask",     [CP_OP_SYMLINK] = "symlink",     [CP_OP_PIVOT_ROOT] = "pivot_root",
    [CP_OP_CHDIR] = "chdir",
};

const char *plan_mount_opcode_name(uint32_t opcode)
{
    if (opcode >= 1 && opcode <= CP_OP_MAX)
        return opcode_names[opcode];
    return NULL;
}

void plan_error_format(const struct plan_error *err, const char *file, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    if (!err) {
        snprintf(buf, n, "%s%sunknown plan error", file ? file : "", file ? ": " : "");
        return;
    }
    if (err->file) {
        snprintf(buf, n, "%s%s%.*s", file ? file : "", file ? ": " : "", (int)sizeof err->e.msg, err->e.msg);
        return;
    }
    snprintf(buf, n, "%s%ssection %s at offset %llu: %.*s", file ? file : "", file ? ": " : "",
             plan_section_name(err->section), (unsigned long long)err->offset, (int)sizeof err->e.msg,
             err->e.msg);
}

/* ------------------------------------------------------------ state ---- */

/* Fixed-part sizes, indexed by section type (strtab: at least its NUL). */
static const uint32_t fixed_size[CP_SEC_MAX_TYPE + 1] = {
    [CP_SEC_STRTAB] = 1,
    [CP_SEC_META] = sizeof(struct cp_meta),
    [CP_SEC_PROCESS] = sizeof(struct cp_process),
    [CP_SEC_FILESYSTEM] = sizeof(struct cp_filesystem),
    [CP_SEC_NETWORK] = sizeof(struct cp_network),
    [CP_SEC_LIMITS] = sizeof(struct cp_limits),
    [CP_SEC_SECCOMP] = sizeof(struct cp_seccomp),
    [CP_SEC_VM] = sizeof(struct cp_vm),
    [CP_SEC_GVISOR] = sizeof(struct cp_gvisor),
    [CP_SEC_EVENTS] = sizeof(struct cp_events),
    [CP_SEC_SECRETS] = sizeof(struct cp_secrets),
    [CP_SEC_PROVENANCE] = sizeof(struct cp_provenance),
    [CP_SEC_EXPORT] = sizeof(struct cp_export),
};

static bool section_required(uint32_t type)
{
    return type != CP_SEC_VM && type != CP_SEC_GVISOR && type != CP_SEC_SECRETS &&
        type != CP_SEC_PROVENANCE && type != CP_SEC_EXPORT;
}

/* Every array of the format, with its place and record sizes. */
enum arr_id {
    A_PACKS,
    A_UNSAFE,
    A_ARGV,
    A_ENV,
    A_RLIMITS,
    A_FDS,
    A_OPS,
    A_EGRESS,
    A_RULES,
    A_CONDS,
    A_VALUES,
    A_PROGRAMS,
    A_SECRETS,
    A_EXPORT,
    A_COUNT
};

static const struct arr_desc {
    uint32_t section;
    uint32_t field;    /* offset of the cp_array in the fixed part */
    uint32_t rec_size; /* bytes per record in the plan */
    uint32_t dec_size; /* bytes per decoded record */
    const char *name;
} arr_desc[A_COUNT] = {
    [A_PACKS] = { CP_SEC_META, offsetof(struct cp_meta, packs), sizeof(cp_str), sizeof(const char *),
                  "packs" },
    [A_UNSAFE] = { CP_SEC_META, offsetof(struct cp_meta, unsafe), sizeof(struct cp_unsafe_grant),
                   sizeof(struct plan_unsafe_grant), "unsafe" },
    [A_ARGV] = { CP_SEC_PROCESS, offsetof(struct cp_process, argv), sizeof(cp_str), sizeof(const char *),
                 "argv" },
    [A_ENV] = { CP_SEC_PROCESS, offsetof(struct cp_process, env), sizeof(struct cp_env),
                sizeof(struct plan_env), "env" },
    [A_RLIMITS] = { CP_SEC_PROCESS, offsetof(struct cp_process, rlimits), sizeof(struct cp_rlimit),
                    sizeof(struct plan_rlimit), "rlimits" },
    [A_FDS] = { CP_SEC_PROCESS, offsetof(struct cp_process, pass_fds), sizeof(uint32_t), sizeof(uint32_t),
                "pass_fds" },
    [A_OPS] = { CP_SEC_FILESYSTEM, offsetof(struct cp_filesystem, ops), sizeof(struct cp_mount_op),
                sizeof(struct plan_mount_op), "ops" },
    [A_EGRESS] = { CP_SEC_NETWORK, offsetof(struct cp_network, egress), sizeof(struct cp_egress),
                   sizeof(struct plan_egress), "egress" },
    [A_RULES] = { CP_SEC_SECCOMP, offsetof(struct cp_seccomp, rules), sizeof(struct cp_sc_rule),
                  sizeof(struct plan_sc_rule), "rules" },
    [A_CONDS] = { CP_SEC_SECCOMP, offsetof(struct cp_seccomp, conds), sizeof(struct cp_sc_cond),
                  sizeof(struct plan_sc_cond), "conds" },
    [A_VALUES] = { CP_SEC_SECCOMP, offsetof(struct cp_seccomp, values), sizeof(uint64_t), sizeof(uint64_t),
                   "values" },
    [A_PROGRAMS] = { CP_SEC_SECCOMP, offsetof(struct cp_seccomp, programs), sizeof(struct cp_sc_program),
                     sizeof(struct plan_sc_program), "programs" },
    [A_SECRETS] = { CP_SEC_SECRETS, offsetof(struct cp_secrets, items), sizeof(struct cp_secret),
                    sizeof(struct plan_secret), "items" },
    [A_EXPORT] = { CP_SEC_EXPORT, offsetof(struct cp_export, items), sizeof(struct cp_export_item),
                   sizeof(struct plan_export_item), "items" },
};

/* A byte range inside a section that holds data (fixed part, array,
 * instructions); everything else in the section must be zero. */
struct range {
    uint64_t lo, hi; /* section-relative */
    uint64_t field;  /* file offset of the descriptor, for errors */
    const char *what;
};
#define MAX_RANGES 16

struct sec {
    bool present;
    uint64_t foff; /* file offset of the section's first byte */
    uint32_t len;
    uint64_t dir_field; /* file offset of its directory entry */
    struct range ranges[MAX_RANGES];
    unsigned n_ranges;
};

struct arr {
    uint32_t count;
    uint64_t foff; /* file offset of record 0 */
};

struct rd {
    const uint8_t *buf;
    size_t len;
    uint64_t body_len;
    bool signed_plan;
    struct plan_error *err;
    struct sec sec[CP_SEC_MAX_TYPE + 1];
    struct arr arr[A_COUNT];
    /* the single allocation */
    uint8_t *arena;
    size_t arena_size, arena_used;
    struct plan *p;
    const uint8_t *copy; /* private copy of the input inside the arena */
    uint32_t strtab_len;
    const char *strtab; /* inside copy */
};

static int fail(struct rd *r, uint32_t section, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct rd *r, uint32_t section, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    r->err->section = section;
    r->err->offset = off;
    va_start(ap, fmt);
    vsnprintf(r->err->e.msg, sizeof r->err->e.msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Little-endian loads at file offsets the caller has bounds-checked. */
static uint16_t ld16(const struct rd *r, uint64_t off)
{
    uint16_t v;
    memcpy(&v, r->buf + off, 2);
    return v;
}
static uint32_t ld32(const struct rd *r, uint64_t off)
{
    uint32_t v;
    memcpy(&v, r->buf + off, 4);
    return v;
}
static uint64_t ld64(const struct rd *r, uint64_t off)
{
    uint64_t v;
    memcpy(&v, r->buf + off, 8);
    return v;
}
static uint8_t ld8(const struct rd *r, uint64_t off)
{
    return r->buf[off];
}

#define FLD(base, type, field) ((base) + offsetof(type, field))

/* Untrusted text in a message: printable ASCII kept, the rest escaped, cut
 * at 48 bytes. */
static const char *quote(const char *s, char *buf, size_t n)
{
    size_t o = 0;
    if (n < 8)
        return "";
    buf[o++] = '"';
    for (size_t i = 0; s[i] && o + 6 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 48) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
    }
    buf[o++] = '"';
    buf[o] = 0;
    return buf;
}

/* -------------------------------------------------- text rule checks ---- */

/* NULL when s is a valid plan path, else why not. */
static const char *path_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return "is empty";
    if (s[0] != '/')
        return "is not absolute";
    if (n > CP_MAX_PATH)
        return "is longer than 4095 bytes";
    if (n == 1)
        return NULL;
    if (s[n - 1] == '/')
        return "has a trailing '/'";
    for (const char *c = s; *c;) {
        /* c points at a '/' */
        const char *e = c + 1;
        while (*e && *e != '/')
            e++;
        size_t clen = (size_t)(e - c - 1);
        if (clen == 0)
            return "has an empty component";
        if (clen == 1 && c[1] == '.')
            return "has a '.' component";
        if (clen == 2 && c[1] == '.' && c[2] == '.')
            return "has a '..' component";
        c = e;
    }
    return NULL;
}

static bool is_env_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* [A-Za-z0-9_.-]{1,64}: cell and secret names. */
static bool is_simple_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 64;
}

/* [a-z_][a-z0-9_]{0,63}: syscall names. */
static bool is_syscall_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || c == '_' || (n > 0 && c >= '0' && c <= '9')))
            return false;
    }
    return n >= 1 && n <= 64;
}

/* [a-z][a-z0-9-]*: unsafe grant kinds. */
static bool is_kind(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

/* RFC 1123 host name: dot-separated labels of 1..63 [A-Za-z0-9-], not
 * starting or ending with '-'; total length 1..max. */
static bool is_hostname(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    size_t lab = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = s[i];
        if (c == '.' || c == 0) {
            if (lab == 0 || lab > 63 || s[i - 1] == '-')
                return false;
            lab = 0;
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (lab == 0 && c == '-')
            return false;
        lab++;
    }
    return true;
}

/* printable ASCII (0x20..0x7e); `space` says whether ' ' is allowed. */
static bool is_printable(const char *s, bool space)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c > 0x7e || (!space && c == ' '))
            return false;
    }
    return true;
}

/* no C0 control characters or DEL (UTF-8 otherwise uninterpreted) */
static bool no_controls(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ----------------------------------------------------------- header ---- */

/* Printable ASCII and white space only: a text file, not a binary plan. */
static bool looks_like_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\n' && b[i] != '\t' && b[i] != '\r') || b[i] > 0x7e)
            return false;
    return true;
}

static int check_header(struct rd *r)
{
    if (r->len > CP_MAX_PLAN_SIZE)
        return fail(r, 0, CP_MAX_PLAN_SIZE, "file is %zu bytes, larger than the 64 MiB limit", r->len);
    if (r->len < CP_HEADER_SIZE)
        return fail(r, 0, r->len, "file is %zu bytes, shorter than the 64-byte header", r->len);
    if (memcmp(r->buf, CP_MAGIC, 8) != 0) {
        /* most often a policy source given where its plan belongs */
        int rc = fail(r, 0, 0,
                      "not a cell plan (bad magic)%s: compile it with cellc first "
                      "(cellc POLICY.cell -o POLICY.plan) and run the plan cellc writes",
                      looks_like_text(r->buf, CP_HEADER_SIZE) ? " but text, a .cell policy?" : "");
        r->err->file = true;
        return rc;
    }
    uint16_t major = ld16(r, offsetof(struct cp_header, version_major));
    uint16_t minor = ld16(r, offsetof(struct cp_header, version_minor));
    if (major != CP_VERSION_MAJOR)
        return fail(r, 0, offsetof(struct cp_header, version_major),
                    "format version %u.%u: this reader reads only %u.x", major, minor, CP_VERSION_MAJOR);
    if (minor > CP_VERSION_MINOR)
        return fail(r, 0, offsetof(struct cp_header, version_minor),
                    "format version %u.%u is newer than this reader's %u.%u", major, minor, CP_VERSION_MAJOR,
                    CP_VERSION_MINOR);
    uint32_t flags = ld32(r, offsetof(struct cp_header, flags));
    if (flags)
        return fail(r, 0, offsetof(struct cp_header, flags), "header flags 0x%x: must be 0", flags);
    uint32_t hsize = ld32(r, offsetof(struct cp_header, header_size));
    if (hsize != CP_HEADER_SIZE)
        return fail(r, 0, offsetof(struct cp_header, header_size), "header_size %u: must be %u", hsize,
                    CP_HEADER_SIZE);
    uint32_t nsec = ld32(r, offsetof(struct cp_header, section_count));
    if (nsec < 1 || nsec > CP_SEC_MAX_TYPE)
        return fail(r, 0, offsetof(struct cp_header, section_count), "section_count %u: must be 1..%u", nsec,
                    CP_SEC_MAX_TYPE);
    uint64_t bl = ld64(r, offsetof(struct cp_header, body_length));
    uint64_t rest = r->len - CP_HEADER_SIZE;
    if (bl == rest) {
        r->signed_plan = false;
    } else if (rest >= sizeof(struct cp_signature) && bl == rest - sizeof(struct cp_signature)) {
        r->signed_plan = true;
    } else {
        return fail(r, 0, offsetof(struct cp_header, body_length),
                    "body_length %llu does not match the file size %zu (want %llu, or %llu when signed)",
                    (unsigned long long)bl, r->len, (unsigned long long)rest,
                    (unsigned long long)(rest >= sizeof(struct cp_signature)
                                             ? rest - sizeof(struct cp_signature)
                                             : 0));
    }
    r->body_len = bl;
    if (r->signed_plan && memcmp(r->buf + CP_HEADER_SIZE + bl, CP_SIG_MAGIC, 8) != 0)
        return fail(r, 0, CP_HEADER_SIZE + bl, "signature trailer has a bad magic");
    if ((uint64_t)nsec * sizeof(struct cp_section_entry) > bl)
        return fail(r, 0, offsetof(struct cp_header, section_count),
                    "a directory of %u entries does not fit in a %llu-byte body", nsec,
                    (unsigned long long)bl);
    uint8_t h[32];
    crypto_hash_sha256(h, r->buf + CP_HEADER_SIZE, bl);
    if (memcmp(h, r->buf + offsetof(struct cp_header, body_sha256), 32) != 0)
        return fail(r, 0, offsetof(struct cp_header, body_sha256),
                    "body SHA-256 does not match: the plan is corrupt");
    return 0;
}

/* -------------------------------------------------------- directory ---- */

static int check_directory(struct rd *r)
{
    uint32_t nsec = ld32(r, offsetof(struct cp_header, section_count));
    uint64_t dir_end = (uint64_t)nsec * sizeof(struct cp_section_entry);
    uint64_t prev_end = dir_end; /* body offsets */
    uint32_t prev_type = 0;

    for (uint32_t i = 0; i < nsec; i++) {
        uint64_t e = CP_HEADER_SIZE + (uint64_t)i * sizeof(struct cp_section_entry);
        uint32_t type = ld32(r, FLD(e, struct cp_section_entry, type));
        uint32_t flags = ld32(r, FLD(e, struct cp_section_entry, flags));
        uint32_t off = ld32(r, FLD(e, struct cp_section_entry, offset));
        uint32_t len = ld32(r, FLD(e, struct cp_section_entry, length));
        if (type < 1 || type > CP_SEC_MAX_TYPE)
            return fail(r, 0, FLD(e, struct cp_section_entry, type),
                        "directory entry %u: unknown section type %u", i, type);
        if (type <= prev_type)
            return fail(r, 0, FLD(e, struct cp_section_entry, type),
                        "directory entry %u: section type %u (%s) is not after type %u (%s)", i, type,
                        plan_section_name(type), prev_type, plan_section_name(prev_type));
        if (flags)
            return fail(r, 0, FLD(e, struct cp_section_entry, flags),
                        "directory entry %u (%s): flags 0x%x: must be 0", i, plan_section_name(type), flags);
        if (off % 8)
            return fail(r, 0, FLD(e, struct cp_section_entry, offset),
                        "directory entry %u (%s): offset %u is not a multiple of 8", i,
                        plan_section_name(type), off);
        if (off < dir_end)
            return fail(r, 0, FLD(e, struct cp_section_entry, offset),
                        "directory entry %u (%s): offset %u lies inside the directory", i,
                        plan_section_name(type), off);
        if (off < prev_end)
            return fail(r, 0, FLD(e, struct cp_section_entry, offset),
                        "directory entry %u (%s): offset %u overlaps the previous section (ends at %llu)", i,
                        plan_section_name(type), off, (unsigned long long)prev_end);
        if ((uint64_t)off + len > r->body_len)
            return fail(r, 0, FLD(e, struct cp_section_entry, length),
                        "directory entry %u (%s): %u bytes at %u run past the end of the %llu-byte body", i,
                        plan_section_name(type), len, off, (unsigned long long)r->body_len);
        if (len < fixed_size[type])
            return fail(r, type, FLD(e, struct cp_section_entry, length),
                        "section is %u bytes, shorter than its %u-byte fixed part", len, fixed_size[type]);
        /* padding between the previous section (or the directory) and this one */
        for (uint64_t b = prev_end; b < off; b++)
            if (ld8(r, CP_HEADER_SIZE + b))
                return fail(r, 0, CP_HEADER_SIZE + b, "padding byte before section %s is 0x%02x, not 0",
                            plan_section_name(type), ld8(r, CP_HEADER_SIZE + b));
        struct sec *s = &r->sec[type];
        s->present = true;
        s->foff = CP_HEADER_SIZE + (uint64_t)off;
        s->len = len;
        s->dir_field = e;
        prev_end = (uint64_t)off + len;
        prev_type = type;
    }
    for (uint64_t b = prev_end; b < r->body_len; b++)
        if (ld8(r, CP_HEADER_SIZE + b))
            return fail(r, 0, CP_HEADER_SIZE + b, "padding byte after the last section is 0x%02x, not 0",
                        ld8(r, CP_HEADER_SIZE + b));
    for (uint32_t t = 1; t <= CP_SEC_MAX_TYPE; t++)
        if (section_required(t) && !r->sec[t].present)
            return fail(r, t, CP_HEADER_SIZE, "required section %s is missing", plan_section_name(t));
    return 0;
}

static int check_strtab(struct rd *r)
{
    const struct sec *s = &r->sec[CP_SEC_STRTAB];
    if (ld8(r, s->foff) != 0)
        return fail(r, CP_SEC_STRTAB, s->foff, "string table does not start with a NUL byte");
    if (ld8(r, s->foff + s->len - 1) != 0)
        return fail(r, CP_SEC_STRTAB, s->foff + s->len - 1, "string table does not end with a NUL byte");
    r->strtab_len = s->len;
    return 0;
}

/* --------------------------------------------------------- ranges ---- */

static int add_range(struct rd *r, uint32_t type, uint64_t lo, uint64_t hi, uint64_t field, const char *what)
{
    struct sec *s = &r->sec[type];
    if (lo == hi)
        return 0;
    if (s->n_ranges == MAX_RANGES) /* cannot happen: bounded by the format */
        return fail(r, type, field, "%s: too many arrays in one section", what);
    s->ranges[s->n_ranges++] = (struct range){ lo, hi, field, what };
    return 0;
}

/* Ranges of a section must not overlap and, when `gaps`, every byte outside
 * them is 0. Phase A checks overlap of the arrays before any record is
 * decoded; each section's decoder checks again, gaps included, at its end
 * (by then seccomp has added its instruction arrays). */
static int check_ranges_mode(struct rd *r, uint32_t type, bool gaps)
{
    struct sec *s = &r->sec[type];
    if (!s->present)
        return 0;
    /* insertion sort by lo; at most MAX_RANGES entries */
    for (unsigned i = 1; i < s->n_ranges; i++) {
        struct range x = s->ranges[i];
        unsigned j = i;
        while (j > 0 && s->ranges[j - 1].lo > x.lo) {
            s->ranges[j] = s->ranges[j - 1];
            j--;
        }
        s->ranges[j] = x;
    }
    uint64_t pos = 0;
    for (unsigned i = 0; i < s->n_ranges; i++) {
        const struct range *g = &s->ranges[i];
        if (i > 0 && g->lo < pos) {
            const struct range *prev = &s->ranges[i - 1];
            const struct range *later = prev->field > g->field ? prev : g;
            return fail(r, type, later->field, "%s overlaps %s", later->what,
                        later == g ? prev->what : g->what);
        }
        for (uint64_t b = pos; gaps && b < g->lo; b++)
            if (ld8(r, s->foff + b))
                return fail(r, type, s->foff + b, "padding byte is 0x%02x, not 0", ld8(r, s->foff + b));
        pos = g->hi;
    }
    for (uint64_t b = pos; gaps && b < s->len; b++)
        if (ld8(r, s->foff + b))
            return fail(r, type, s->foff + b, "padding byte is 0x%02x, not 0", ld8(r, s->foff + b));
    return 0;
}

static int check_ranges(struct rd *r, uint32_t type)
{
    return check_ranges_mode(r, type, true);
}

/* --------------------------------------------------------- arrays ---- */

static int read_array(struct rd *r, enum arr_id id)
{
    const struct arr_desc *d = &arr_desc[id];
    struct sec *s = &r->sec[d->section];
    uint64_t field = s->foff + d->field;
    uint32_t off = ld32(r, field);
    uint32_t count = ld32(r, field + 4);
    if (count == 0) {
        if (off != 0)
            return fail(r, d->section, field, "%s: empty array with nonzero offset %u", d->name, off);
        r->arr[id] = (struct arr){ 0, 0 };
        return 0;
    }
    if (off % 8)
        return fail(r, d->section, field, "%s: offset %u is not a multiple of 8", d->name, off);
    if (off < fixed_size[d->section])
        return fail(r, d->section, field, "%s: offset %u lies inside the section's %u-byte fixed part",
                    d->name, off, fixed_size[d->section]);
    if (off > s->len || (uint64_t)count * d->rec_size > s->len - off)
        return fail(r, d->section, field,
                    "%s: %u records of %u bytes at offset %u run past the end of the %u-byte section",
                    d->name, count, d->rec_size, off, s->len);
    r->arr[id] = (struct arr){ count, s->foff + off };
    return add_range(r, d->section, off, off + (uint64_t)count * d->rec_size, field, d->name);
}

/* ---------------------------------------------------------- arena ---- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static void *arena_take(struct rd *r, size_t n)
{
    if (n == 0)
        return NULL;
    n = align8(n);
    if (n > r->arena_size - r->arena_used) /* cannot happen: sized exactly in phase A */
        return NULL;
    void *p = r->arena + r->arena_used;
    r->arena_used += n;
    return p;
}

static int alloc_arena(struct rd *r)
{
    size_t total = align8(sizeof(struct plan)) + align8(r->len);
    for (int i = 0; i < A_COUNT; i++)
        total += align8((size_t)r->arr[i].count * arr_desc[i].dec_size);
    r->arena = calloc(1, total);
    if (!r->arena)
        return fail(r, 0, 0, "out of memory decoding a %zu-byte plan", r->len);
    r->arena_size = total;
    r->p = arena_take(r, sizeof(struct plan));
    uint8_t *copy = arena_take(r, r->len);
    memcpy(copy, r->buf, r->len);
    r->copy = copy;
    r->strtab = (const char *)copy + r->sec[CP_SEC_STRTAB].foff;
    return 0;
}

/* Array of decoded records for id, or NULL when empty. */
static void *decoded(struct rd *r, enum arr_id id)
{
    return arena_take(r, (size_t)r->arr[id].count * arr_desc[id].dec_size);
}

/* -------------------------------------------------------- strings ---- */

/* What a message is about ("env 3", "mount op 2 (bind)", "cwd"), formatted
 * only when a check fails: decoding stays free of printf. */
struct what {
    const char *kind;
    long idx;          /* < 0: none; kind ending in '[' gives "argv[3]" */
    const char *extra; /* appended in parentheses, or NULL */
};

static const char *wfmt(const struct what *w, char *buf, size_t n)
{
    size_t kl = strlen(w->kind);
    if (w->idx < 0)
        snprintf(buf, n, "%s", w->kind);
    else if (kl && w->kind[kl - 1] == '[')
        snprintf(buf, n, "%s%ld]", w->kind, w->idx);
    else if (w->extra)
        snprintf(buf, n, "%s %ld (%s)", w->kind, w->idx, w->extra);
    else
        snprintf(buf, n, "%s %ld", w->kind, w->idx);
    return buf;
}

#define WS(w) wfmt(&(w), (char[96]){ 0 }, 96)
#define WL(s) (&(const struct what){ (s), -1, NULL })

static int get_str(struct rd *r, uint32_t sec, uint64_t field, const struct what *w, const char **out)
{
    uint32_t v = ld32(r, field);
    if (v >= r->strtab_len)
        return fail(r, sec, field, "%s: string offset %u is outside the %u-byte string table", WS(*w), v,
                    r->strtab_len);
    if (v > 0 && r->strtab[v - 1] != 0)
        return fail(r, sec, field, "%s: string offset %u points into the middle of a string", WS(*w), v);
    *out = r->strtab + v; /* NUL-terminated: the table's last byte is NUL */
    return 0;
}

static int get_path(struct rd *r, uint32_t sec, uint64_t field, const struct what *w, const char **out)
{
    if (get_str(r, sec, field, w, out))
        return -1;
    const char *why = path_problem(*out);
    if (why) {
        char q[200];
        return fail(r, sec, field, "%s: path %s %s", WS(*w), quote(*out, q, sizeof q), why);
    }
    return 0;
}

static int want_zero32(struct rd *r, uint32_t sec, uint64_t field, const struct what *w)
{
    uint32_t v = ld32(r, field);
    if (v)
        return fail(r, sec, field, "%s: reserved field is %u, must be 0", WS(*w), v);
    return 0;
}

static int want_empty(struct rd *r, uint32_t sec, uint64_t field, const struct what *w, const char *s)
{
    if (*s) {
        char q[200];
        return fail(r, sec, field, "%s: must be \"\", is %s", WS(*w), quote(s, q, sizeof q));
    }
    return 0;
}

/* ----------------------------------------------------------- meta ---- */

static int do_meta(struct rd *r)
{
    const uint32_t S = CP_SEC_META;
    uint64_t b = r->sec[S].foff;
    struct plan *p = r->p;
    char q[200];

    if (get_str(r, S, FLD(b, struct cp_meta, name), WL("name"), &p->meta.name))
        return -1;
    if (!is_simple_name(p->meta.name))
        return fail(r, S, FLD(b, struct cp_meta, name), "name %s is not [A-Za-z0-9_.-]{1,64}",
                    quote(p->meta.name, q, sizeof q));
    if (get_str(r, S, FLD(b, struct cp_meta, source), WL("source"), &p->meta.source))
        return -1;
    if (!*p->meta.source || strchr(p->meta.source, '/') || strlen(p->meta.source) > 255 ||
        !no_controls(p->meta.source))
        return fail(r, S, FLD(b, struct cp_meta, source),
                    "source %s is not a file base name (1..255 bytes, no '/', no control characters)",
                    quote(p->meta.source, q, sizeof q));
    if (get_str(r, S, FLD(b, struct cp_meta, compiler), WL("compiler"), &p->meta.compiler))
        return -1;
    if (strncmp(p->meta.compiler, "cellc ", 6) != 0 || !p->meta.compiler[6] ||
        !is_printable(p->meta.compiler, true))
        return fail(r, S, FLD(b, struct cp_meta, compiler), "compiler %s is not \"cellc <version>\"",
                    quote(p->meta.compiler, q, sizeof q));
    if (get_str(r, S, FLD(b, struct cp_meta, hostname), WL("hostname"), &p->meta.hostname))
        return -1;
    if (*p->meta.hostname && !is_hostname(p->meta.hostname, 64))
        return fail(r, S, FLD(b, struct cp_meta, hostname),
                    "hostname %s is not an RFC 1123 name of at most 64 bytes",
                    quote(p->meta.hostname, q, sizeof q));
    p->meta.backend = ld32(r, FLD(b, struct cp_meta, backend));
    if (p->meta.backend > CP_BACKEND_VM)
        return fail(r, S, FLD(b, struct cp_meta, backend),
                    "backend %u is not 0 (native), 1 (gvisor) or 2 (vm)", p->meta.backend);
    uint32_t flags = ld32(r, FLD(b, struct cp_meta, flags));
    if (flags)
        return fail(r, S, FLD(b, struct cp_meta, flags), "flags 0x%x: must be 0", flags);

    const struct arr *a = &r->arr[A_PACKS];
    p->meta.packs = decoded(r, A_PACKS);
    p->meta.n_packs = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t f = a->foff + 4ull * i;
        const struct what what = { "pack", i, NULL };
        if (get_str(r, S, f, &what, &p->meta.packs[i]))
            return -1;
        if (!*p->meta.packs[i] || !no_controls(p->meta.packs[i]))
            return fail(r, S, f, "pack %u: name %s is empty or has control characters", i,
                        quote(p->meta.packs[i], q, sizeof q));
    }
    a = &r->arr[A_UNSAFE];
    p->meta.unsafe = decoded(r, A_UNSAFE);
    p->meta.n_unsafe = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_unsafe_grant);
        struct plan_unsafe_grant *g = &p->meta.unsafe[i];
        const struct what what = { "unsafe grant", i, NULL };
        if (get_str(r, S, FLD(e, struct cp_unsafe_grant, kind), &what, &g->kind) ||
            get_str(r, S, FLD(e, struct cp_unsafe_grant, subject), &what, &g->subject) ||
            get_str(r, S, FLD(e, struct cp_unsafe_grant, reason), &what, &g->reason))
            return -1;
        if (!is_kind(g->kind))
            return fail(r, S, FLD(e, struct cp_unsafe_grant, kind), "%s: kind %s is not [a-z][a-z0-9-]*",
                        WS(what), quote(g->kind, q, sizeof q));
        if (!*g->subject)
            return fail(r, S, FLD(e, struct cp_unsafe_grant, subject), "%s: subject is empty", WS(what));
        if (!*g->reason)
            return fail(r, S, FLD(e, struct cp_unsafe_grant, reason), "%s: reason is empty", WS(what));
        g->line = ld32(r, FLD(e, struct cp_unsafe_grant, line));
    }
    return check_ranges(r, S);
}

/* -------------------------------------------------------- process ---- */

#define CP_CAP_LAST 40

static int do_process(struct rd *r)
{
    const uint32_t S = CP_SEC_PROCESS;
    uint64_t b = r->sec[S].foff;
    struct plan *p = r->p;
    char q[200];

    const struct arr *a = &r->arr[A_ARGV];
    if (a->count == 0)
        return fail(r, S, FLD(b, struct cp_process, argv), "argv is empty");
    p->process.argv = decoded(r, A_ARGV);
    p->process.argc = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        const struct what what = { "argv[", i, NULL };
        if (i == 0 ? get_path(r, S, a->foff, &what, &p->process.argv[0])
                   : get_str(r, S, a->foff + 4ull * i, &what, &p->process.argv[i]))
            return -1;
    }

    a = &r->arr[A_ENV];
    p->process.env = decoded(r, A_ENV);
    p->process.n_env = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_env);
        struct plan_env *v = &p->process.env[i];
        const struct what what = { "env", i, NULL };
        if (get_str(r, S, FLD(e, struct cp_env, name), &what, &v->name) ||
            get_str(r, S, FLD(e, struct cp_env, value), &what, &v->value))
            return -1;
        if (!is_env_name(v->name))
            return fail(r, S, FLD(e, struct cp_env, name), "%s: name %s is not [A-Za-z_][A-Za-z0-9_]*",
                        WS(what), quote(v->name, q, sizeof q));
        if (i > 0 && strcmp(p->process.env[i - 1].name, v->name) >= 0)
            return fail(r, S, FLD(e, struct cp_env, name), "%s: name %s is not after %s (sorted, unique)",
                        WS(what), quote(v->name, q, sizeof q), p->process.env[i - 1].name);
        v->flags = ld32(r, FLD(e, struct cp_env, flags));
        if (v->flags & ~CP_ENV_PASS)
            return fail(r, S, FLD(e, struct cp_env, flags), "%s: unknown flags 0x%x", WS(what), v->flags);
        if ((v->flags & CP_ENV_PASS) && *v->value)
            return fail(r, S, FLD(e, struct cp_env, value), "%s: a passed variable must have the value \"\"",
                        WS(what));
        if (want_zero32(r, S, FLD(e, struct cp_env, pad), &what))
            return -1;
    }

    a = &r->arr[A_RLIMITS];
    p->process.rlimits = decoded(r, A_RLIMITS);
    p->process.n_rlimits = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_rlimit);
        struct plan_rlimit *l = &p->process.rlimits[i];
        const struct what what = { "rlimit", i, NULL };
        l->resource = ld32(r, FLD(e, struct cp_rlimit, resource));
        if (!plan_rlimit_by_resource(l->resource))
            return fail(r, S, FLD(e, struct cp_rlimit, resource),
                        "%s: resource %u is not one of CPU 0, FSIZE 1, CORE 4, NPROC 6, NOFILE 7, AS 9",
                        WS(what), l->resource);
        if (i > 0 && p->process.rlimits[i - 1].resource >= l->resource)
            return fail(r, S, FLD(e, struct cp_rlimit, resource),
                        "%s: resource %u is not after %u (sorted, unique)", WS(what), l->resource,
                        p->process.rlimits[i - 1].resource);
        if (want_zero32(r, S, FLD(e, struct cp_rlimit, pad), &what))
            return -1;
        l->soft = ld64(r, FLD(e, struct cp_rlimit, soft));
        l->hard = ld64(r, FLD(e, struct cp_rlimit, hard));
        if (l->soft > l->hard)
            return fail(r, S, FLD(e, struct cp_rlimit, soft),
                        "%s: soft limit %llu is above the hard limit %llu", WS(what),
                        (unsigned long long)l->soft, (unsigned long long)l->hard);
    }

    a = &r->arr[A_FDS];
    p->process.pass_fds = decoded(r, A_FDS);
    p->process.n_pass_fds = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t f = a->foff + 4ull * i;
        uint32_t fd = ld32(r, f);
        if (fd <= 2 || fd > INT32_MAX)
            return fail(r, S, f, "pass_fds[%u]: fd %u is not in 3..2147483647", i, fd);
        if (i > 0 && p->process.pass_fds[i - 1] >= fd)
            return fail(r, S, f, "pass_fds[%u]: fd %u is not after %u (ascending, unique)", i, fd,
                        p->process.pass_fds[i - 1]);
        p->process.pass_fds[i] = fd;
    }

    if (get_path(r, S, FLD(b, struct cp_process, cwd), WL("cwd"), &p->process.cwd))
        return -1;
    p->process.uid = ld32(r, FLD(b, struct cp_process, uid));
    if (p->process.uid == UINT32_MAX)
        return fail(r, S, FLD(b, struct cp_process, uid), "uid 4294967295 is not a valid id");
    p->process.gid = ld32(r, FLD(b, struct cp_process, gid));
    if (p->process.gid == UINT32_MAX)
        return fail(r, S, FLD(b, struct cp_process, gid), "gid 4294967295 is not a valid id");
    p->process.umask = ld32(r, FLD(b, struct cp_process, umask));
    if (p->process.umask > 0777)
        return fail(r, S, FLD(b, struct cp_process, umask), "umask 0%o is above 0777", p->process.umask);
    p->process.flags = ld32(r, FLD(b, struct cp_process, flags));
    if (p->process.flags & ~CP_PROC_ALL_FLAGS)
        return fail(r, S, FLD(b, struct cp_process, flags), "unknown flags 0x%x", p->process.flags);
    if (want_zero32(r, S, FLD(b, struct cp_process, pad), WL("process")))
        return -1;
    p->process.capabilities = ld64(r, FLD(b, struct cp_process, capabilities));
    if (p->process.capabilities >> (CP_CAP_LAST + 1))
        return fail(r, S, FLD(b, struct cp_process, capabilities),
                    "capabilities 0x%llx name capabilities above %d (CAP_LAST_CAP)",
                    (unsigned long long)p->process.capabilities, CP_CAP_LAST);
    return check_ranges(r, S);
}

/* ----------------------------------------------------- filesystem ---- */

/* Per opcode: which operands it takes and which flags it allows. */
enum {
    O_SRC_PATH = 1,
    O_SRC_TEXT = 2,
    O_DST = 4,
    O_MODE = 8,
    O_SIZE = 16
};
static const struct op_shape {
    unsigned operands;
    uint16_t flags;
} op_shape[CP_OP_MAX + 1] = {
    [CP_OP_ROOTFS] = { O_SIZE | O_MODE, 0 },
    [CP_OP_MKDIR] = { O_DST | O_MODE, 0 },
    [CP_OP_BIND] = { O_SRC_PATH | O_DST, CP_MNT_RECURSIVE | CP_MNT_OPTIONAL },
    [CP_OP_TMPFS] = { O_DST | O_SIZE | O_MODE, CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC },
    [CP_OP_WORKSPACE] = { O_DST | O_SIZE | O_MODE, CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC },
    [CP_OP_REMOUNT] = { O_DST, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC },
    [CP_OP_PROC] = { O_DST, 0 },
    [CP_OP_DEVNODE] = { O_SRC_PATH | O_DST, CP_MNT_OPTIONAL },
    [CP_OP_DEVPTS] = { O_DST, 0 },
    [CP_OP_MASK] = { O_DST, CP_MNT_OPTIONAL },
    [CP_OP_SYMLINK] = { O_SRC_TEXT | O_DST, 0 },
    [CP_OP_PIVOT_ROOT] = { 0, 0 },
    [CP_OP_CHDIR] = { O_DST, 0 },
};

static int do_filesystem(struct rd *r)
{
    const uint32_t S = CP_SEC_FILESYSTEM;
    uint64_t b = r->sec[S].foff;
    struct plan *p = r->p;
    const struct arr *a = &r->arr[A_OPS];
    bool pivoted = false, chdir_seen = false;

    if (a->count == 0)
        return fail(r, S, FLD(b, struct cp_filesystem, ops), "the mount op program is empty");
    p->fs.ops = decoded(r, A_OPS);
    p->fs.n_ops = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_mount_op);
        struct plan_mount_op *op = &p->fs.ops[i];
        op->opcode = ld16(r, FLD(e, struct cp_mount_op, opcode));
        if (op->opcode < 1 || op->opcode > CP_OP_MAX)
            return fail(r, S, FLD(e, struct cp_mount_op, opcode),
                        "mount op %u: opcode %u is not a known opcode", i, op->opcode);
        const char *name = plan_mount_opcode_name(op->opcode);
        const struct what what = { "mount op", i, name };
        const struct op_shape *sh = &op_shape[op->opcode];

        /* program shape */
        if (i == 0 && op->opcode != CP_OP_ROOTFS)
            return fail(r, S, FLD(e, struct cp_mount_op, opcode), "%s: the program must start with rootfs",
                        WS(what));
        if (i > 0 && op->opcode == CP_OP_ROOTFS)
            return fail(r, S, FLD(e, struct cp_mount_op, opcode), "%s: rootfs may only be op 0", WS(what));
        if (chdir_seen)
            return fail(r, S, FLD(e, struct cp_mount_op, opcode), "%s: nothing may follow chdir", WS(what));
        if (op->opcode == CP_OP_PIVOT_ROOT) {
            if (pivoted)
                return fail(r, S, FLD(e, struct cp_mount_op, opcode), "%s: a second pivot_root", WS(what));
            pivoted = true;
        } else if (op->opcode == CP_OP_CHDIR) {
            if (!pivoted)
                return fail(r, S, FLD(e, struct cp_mount_op, opcode), "%s: chdir before pivot_root",
                            WS(what));
            chdir_seen = true;
        } else if (pivoted && op->opcode != CP_OP_REMOUNT && op->opcode != CP_OP_MASK) {
            return fail(r, S, FLD(e, struct cp_mount_op, opcode),
                        "%s: only remount, mask and chdir may follow pivot_root", WS(what));
        }

        op->flags = ld16(r, FLD(e, struct cp_mount_op, flags));
        if (op->flags & ~sh->flags)
            return fail(r, S, FLD(e, struct cp_mount_op, flags), "%s: flags 0x%x not allowed (allowed: 0x%x)",
                        WS(what), op->flags, sh->flags);
        if (op->opcode == CP_OP_REMOUNT && op->flags == 0)
            return fail(r, S, FLD(e, struct cp_mount_op, flags), "%s: remount without any flag", WS(what));

        if (sh->operands & O_SRC_PATH) {
            if (get_path(r, S, FLD(e, struct cp_mount_op, src), &what, &op->src))
                return -1;
        } else {
            if (get_str(r, S, FLD(e, struct cp_mount_op, src), &what, &op->src))
                return -1;
            if (sh->operands & O_SRC_TEXT) {
                if (!*op->src)
                    return fail(r, S, FLD(e, struct cp_mount_op, src), "%s: empty symlink target", WS(what));
            } else if (want_empty(r, S, FLD(e, struct cp_mount_op, src), &what, op->src)) {
                return -1;
            }
        }
        if (sh->operands & O_DST) {
            if (get_path(r, S, FLD(e, struct cp_mount_op, dst), &what, &op->dst))
                return -1;
        } else if (get_str(r, S, FLD(e, struct cp_mount_op, dst), &what, &op->dst) ||
                   want_empty(r, S, FLD(e, struct cp_mount_op, dst), &what, op->dst)) {
            return -1;
        }
        op->mode = ld32(r, FLD(e, struct cp_mount_op, mode));
        if ((sh->operands & O_MODE) ? op->mode > 07777 : op->mode != 0)
            return fail(r, S, FLD(e, struct cp_mount_op, mode), "%s: mode 0%o %s", WS(what), op->mode,
                        (sh->operands & O_MODE) ? "is above 07777" : "must be 0");
        op->size = ld64(r, FLD(e, struct cp_mount_op, size));
        if (!(sh->operands & O_SIZE) && op->size)
            return fail(r, S, FLD(e, struct cp_mount_op, size), "%s: size %llu must be 0", WS(what),
                        (unsigned long long)op->size);
        op->line = ld32(r, FLD(e, struct cp_mount_op, line));
        if (want_zero32(r, S, FLD(e, struct cp_mount_op, pad), &what))
            return -1;
    }
    if (!pivoted)
        return fail(r, S, FLD(b, struct cp_filesystem, ops), "the mount op program has no pivot_root");
    return check_ranges(r, S);
}

/* -------------------------------------------------------- network ---- */

static int do_network(struct rd *r)
{
    const uint32_t S = CP_SEC_NETWORK;
    uint64_t b = r->sec[S].foff;
    struct plan *p = r->p;
    const struct arr *a = &r->arr[A_EGRESS];
    char q[200];

    p->net.mode = ld32(r, FLD(b, struct cp_network, mode));
    if (p->net.mode > CP_NET_EGRESS)
        return fail(r, S, FLD(b, struct cp_network, mode),
                    "mode %u is not 0 (none), 1 (loopback) or 2 (egress)", p->net.mode);
    if (want_zero32(r, S, FLD(b, struct cp_network, pad), WL("network")))
        return -1;
    if (p->net.mode == CP_NET_EGRESS && a->count == 0)
        return fail(r, S, FLD(b, struct cp_network, egress), "egress mode without any egress rule");
    if (p->net.mode != CP_NET_EGRESS && a->count != 0)
        return fail(r, S, FLD(b, struct cp_network, egress), "egress rules outside egress mode");
    p->net.egress = decoded(r, A_EGRESS);
    p->net.n_egress = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_egress);
        struct plan_egress *g = &p->net.egress[i];
        const struct what what = { "egress", i, NULL };
        g->kind = ld8(r, FLD(e, struct cp_egress, kind));
        g->family = ld8(r, FLD(e, struct cp_egress, family));
        g->prefix = ld8(r, FLD(e, struct cp_egress, prefix));
        g->proto = ld8(r, FLD(e, struct cp_egress, proto));
        g->port_lo = ld16(r, FLD(e, struct cp_egress, port_lo));
        g->port_hi = ld16(r, FLD(e, struct cp_egress, port_hi));
        memcpy(g->addr, r->buf + FLD(e, struct cp_egress, addr), 16);
        g->line = ld32(r, FLD(e, struct cp_egress, line));
        if (get_str(r, S, FLD(e, struct cp_egress, host), &what, &g->host))
            return -1;
        if (g->kind == CP_EGRESS_HOST_ANY_NAME) {
            if (ld16(r, offsetof(struct cp_header, version_minor)) < 1)
                return fail(r, S, FLD(e, struct cp_egress, kind),
                            "%s: kind 3 (host, any-name) needs format 1.1, the plan says 1.0", WS(what));
            if (g->proto != 6)
                return fail(r, S, FLD(e, struct cp_egress, proto),
                            "%s: an any-name rule is TCP only, proto %u", WS(what), g->proto);
            g->kind = CP_EGRESS_HOST;
            g->any_name = true;
        }
        if (g->kind == CP_EGRESS_HOST) {
            if (g->family)
                return fail(r, S, FLD(e, struct cp_egress, family), "%s: family %u must be 0 for a host rule",
                            WS(what), g->family);
            if (g->prefix)
                return fail(r, S, FLD(e, struct cp_egress, prefix), "%s: prefix %u must be 0 for a host rule",
                            WS(what), g->prefix);
            bool wild = g->host[0] == '*' && g->host[1] == '.'; /* "*.suffix": names under suffix */
            if (!is_hostname(wild ? g->host + 2 : g->host, wild ? 251 : 253))
                return fail(r, S, FLD(e, struct cp_egress, host),
                            "%s: host %s is not an RFC 1123 name of at most 253 bytes", WS(what),
                            quote(g->host, q, sizeof q));
            if (!all_zero(g->addr, 16))
                return fail(r, S, FLD(e, struct cp_egress, addr), "%s: addr must be zero for a host rule",
                            WS(what));
        } else if (g->kind == CP_EGRESS_CIDR) {
            if (g->family != 4 && g->family != 6)
                return fail(r, S, FLD(e, struct cp_egress, family), "%s: family %u is not 4 or 6", WS(what),
                            g->family);
            unsigned bits = g->family == 4 ? 32 : 128;
            if (g->prefix > bits)
                return fail(r, S, FLD(e, struct cp_egress, prefix), "%s: prefix /%u is longer than %u bits",
                            WS(what), g->prefix, bits);
            if (want_empty(r, S, FLD(e, struct cp_egress, host), &what, g->host))
                return -1;
            for (unsigned bit = g->prefix; bit < 128; bit++) {
                if (g->addr[bit / 8] & (0x80u >> (bit % 8)))
                    return fail(r, S, FLD(e, struct cp_egress, addr) + bit / 8,
                                bit < bits
                                    ? "%s: address has host bits set beyond /%u"
                                    : "%s: IPv4 address has nonzero bytes after the first 4 (prefix /%u)",
                                WS(what), g->prefix);
            }
        } else {
            return fail(r, S, FLD(e, struct cp_egress, kind),
                        "%s: kind %u is not 1 (host), 2 (cidr) or 3 (host, any-name)", WS(what), g->kind);
        }
        if (g->proto != 6 && g->proto != 17)
            return fail(r, S, FLD(e, struct cp_egress, proto), "%s: proto %u is not 6 (tcp) or 17 (udp)",
                        WS(what), g->proto);
        if (g->port_lo < 1)
            return fail(r, S, FLD(e, struct cp_egress, port_lo), "%s: port 0", WS(what));
        if (g->port_hi < g->port_lo)
            return fail(r, S, FLD(e, struct cp_egress, port_hi), "%s: port range %u-%u is reversed", WS(what),
                        g->port_lo, g->port_hi);
    }
    return check_ranges(r, S);
}

/* --------------------------------------------------------- limits ---- */

static int do_limits(struct rd *r)
{
    const uint32_t S = CP_SEC_LIMITS;
    uint64_t b = r->sec[S].foff;
    struct plan *p = r->p;
    p->limits.memory = ld64(r, FLD(b, struct cp_limits, memory));
    p->limits.pids = ld64(r, FLD(b, struct cp_limits, pids));
    p->limits.wall_ms = ld64(r, FLD(b, struct cp_limits, wall_ms));
    p->limits.cpu_millis = ld32(r, FLD(b, struct cp_limits, cpu_millis));
    p->limits.flags = ld32(r, FLD(b, struct cp_limits, flags));
    uint64_t ff = FLD(b, struct cp_limits, flags);
    uint32_t all = CP_LIMIT_MEMORY_BEST_EFFORT | CP_LIMIT_PIDS_BEST_EFFORT | CP_LIMIT_CPU_BEST_EFFORT;
    if (p->limits.flags & ~all)
        return fail(r, S, ff, "unknown flags 0x%x", p->limits.flags & ~all);
    if ((p->limits.flags & CP_LIMIT_MEMORY_BEST_EFFORT) && !p->limits.memory)
        return fail(r, S, ff, "memory is best-effort but has no limit");
    if ((p->limits.flags & CP_LIMIT_PIDS_BEST_EFFORT) && !p->limits.pids)
        return fail(r, S, ff, "pids is best-effort but has no limit");
    if ((p->limits.flags & CP_LIMIT_CPU_BEST_EFFORT) && !p->limits.cpu_millis)
        return fail(r, S, ff, "cpu is best-effort but has no limit");
    return check_ranges(r, S);
}

/* -------------------------------------------------------- seccomp ---- */

static int check_action(struct rd *r, uint64_t field, const struct what *w, uint32_t action)
{
    if (!bpf_seccomp_action_valid(action))
        return fail(r, CP_SEC_SECCOMP, field, "%s: action 0x%08x is not a valid seccomp action", WS(*w),
                    action);
    return 0;
}

static int do_seccomp(struct rd *r)
{
    const uint32_t S = CP_SEC_SECCOMP;
    const struct sec *s = &r->sec[S];
    uint64_t b = s->foff;
    struct plan *p = r->p;
    char q[200];

    p->seccomp.default_action = ld32(r, FLD(b, struct cp_seccomp, default_action));
    if (check_action(r, FLD(b, struct cp_seccomp, default_action), WL("default_action"),
                     p->seccomp.default_action))
        return -1;
    p->seccomp.flags = ld32(r, FLD(b, struct cp_seccomp, flags));
    if (p->seccomp.flags & ~(CP_SC_ALLOW_X32 | CP_SC_ALLOW_I386))
        return fail(r, S, FLD(b, struct cp_seccomp, flags), "unknown flags 0x%x", p->seccomp.flags);

    /* values first: conditions index them */
    const struct arr *a = &r->arr[A_VALUES];
    p->seccomp.values = decoded(r, A_VALUES);
    p->seccomp.n_values = a->count;
    for (uint32_t i = 0; i < a->count; i++)
        p->seccomp.values[i] = ld64(r, a->foff + 8ull * i);

    a = &r->arr[A_CONDS];
    p->seccomp.conds = decoded(r, A_CONDS);
    p->seccomp.n_conds = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_sc_cond);
        struct plan_sc_cond *c = &p->seccomp.conds[i];
        const struct what what = { "cond", i, NULL };
        c->arg = ld8(r, FLD(e, struct cp_sc_cond, arg));
        c->op = ld8(r, FLD(e, struct cp_sc_cond, op));
        c->width = ld8(r, FLD(e, struct cp_sc_cond, width));
        c->set_first = ld32(r, FLD(e, struct cp_sc_cond, set_first));
        c->set_count = ld32(r, FLD(e, struct cp_sc_cond, set_count));
        c->value = ld64(r, FLD(e, struct cp_sc_cond, value));
        c->mask = ld64(r, FLD(e, struct cp_sc_cond, mask));
        if (c->arg > 5)
            return fail(r, S, FLD(e, struct cp_sc_cond, arg), "%s: arg %u is not 0..5", WS(what), c->arg);
        if (c->op < CP_SC_EQ || c->op > CP_SC_OP_MAX)
            return fail(r, S, FLD(e, struct cp_sc_cond, op), "%s: op %u is not a known comparison", WS(what),
                        c->op);
        if (c->width != 32 && c->width != 64)
            return fail(r, S, FLD(e, struct cp_sc_cond, width), "%s: width %u is not 32 or 64", WS(what),
                        c->width);
        if (ld8(r, FLD(e, struct cp_sc_cond, pad)))
            return fail(r, S, FLD(e, struct cp_sc_cond, pad), "%s: reserved field is %u, must be 0", WS(what),
                        ld8(r, FLD(e, struct cp_sc_cond, pad)));
        if (want_zero32(r, S, FLD(e, struct cp_sc_cond, pad2), &what))
            return -1;
        uint64_t ones = c->width == 32 ? 0xffffffffull : UINT64_MAX;
        bool set = c->op == CP_SC_IN || c->op == CP_SC_NOT_IN;
        if (set) {
            if (c->set_count == 0)
                return fail(r, S, FLD(e, struct cp_sc_cond, set_count), "%s: empty set", WS(what));
            if (c->set_first > p->seccomp.n_values || c->set_count > p->seccomp.n_values - c->set_first)
                return fail(r, S, FLD(e, struct cp_sc_cond, set_first),
                            "%s: set %u+%u is outside the %zu values", WS(what), c->set_first, c->set_count,
                            p->seccomp.n_values);
            for (uint32_t k = 0; k < c->set_count; k++) {
                uint32_t vi = c->set_first + k;
                uint64_t v = p->seccomp.values[vi];
                if (v > ones)
                    return fail(r, S, r->arr[A_VALUES].foff + 8ull * vi,
                                "%s: set member %u (0x%llx) does not fit in %u bits", WS(what), vi,
                                (unsigned long long)v, c->width);
                if (k > 0 && p->seccomp.values[vi - 1] >= v)
                    return fail(r, S, r->arr[A_VALUES].foff + 8ull * vi,
                                "%s: set member %u is not above the previous one (sorted, unique)", WS(what),
                                vi);
            }
            if (c->value)
                return fail(r, S, FLD(e, struct cp_sc_cond, value), "%s: value must be 0 for a set",
                            WS(what));
        } else {
            if (c->set_first)
                return fail(r, S, FLD(e, struct cp_sc_cond, set_first), "%s: set_first must be 0", WS(what));
            if (c->set_count)
                return fail(r, S, FLD(e, struct cp_sc_cond, set_count), "%s: set_count must be 0", WS(what));
            if (c->value > ones)
                return fail(r, S, FLD(e, struct cp_sc_cond, value),
                            "%s: value 0x%llx does not fit in 32 bits", WS(what),
                            (unsigned long long)c->value);
        }
        if (c->op == CP_SC_MASKED_EQ) {
            if (c->mask > ones)
                return fail(r, S, FLD(e, struct cp_sc_cond, mask), "%s: mask 0x%llx does not fit in 32 bits",
                            WS(what), (unsigned long long)c->mask);
        } else if (c->mask != ones) {
            return fail(r, S, FLD(e, struct cp_sc_cond, mask), "%s: mask 0x%llx must be 0x%llx", WS(what),
                        (unsigned long long)c->mask, (unsigned long long)ones);
        }
    }

    a = &r->arr[A_RULES];
    p->seccomp.rules = decoded(r, A_RULES);
    p->seccomp.n_rules = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_sc_rule);
        struct plan_sc_rule *ru = &p->seccomp.rules[i];
        const struct what what = { "rule", i, NULL };
        if (get_str(r, S, FLD(e, struct cp_sc_rule, syscall), &what, &ru->syscall))
            return -1;
        if (!is_syscall_name(ru->syscall))
            return fail(r, S, FLD(e, struct cp_sc_rule, syscall),
                        "%s: syscall %s is not [a-z_][a-z0-9_]{0,63}", WS(what),
                        quote(ru->syscall, q, sizeof q));
        ru->action = ld32(r, FLD(e, struct cp_sc_rule, action));
        if (check_action(r, FLD(e, struct cp_sc_rule, action), &what, ru->action))
            return -1;
        ru->cond_first = ld32(r, FLD(e, struct cp_sc_rule, cond_first));
        ru->cond_count = ld32(r, FLD(e, struct cp_sc_rule, cond_count));
        if (ru->cond_count == 0 && ru->cond_first)
            return fail(r, S, FLD(e, struct cp_sc_rule, cond_first),
                        "%s: cond_first must be 0 without conditions", WS(what));
        if (ru->cond_first > p->seccomp.n_conds || ru->cond_count > p->seccomp.n_conds - ru->cond_first)
            return fail(r, S, FLD(e, struct cp_sc_rule, cond_first),
                        "%s: conditions %u+%u are outside the %zu conds", WS(what), ru->cond_first,
                        ru->cond_count, p->seccomp.n_conds);
        ru->line = ld32(r, FLD(e, struct cp_sc_rule, line));
        if (want_zero32(r, S, FLD(e, struct cp_sc_rule, pad), &what))
            return -1;
    }

    a = &r->arr[A_PROGRAMS];
    p->seccomp.programs = decoded(r, A_PROGRAMS);
    p->seccomp.n_programs = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_sc_program);
        struct plan_sc_program *pr = &p->seccomp.programs[i];
        const struct what what = { "program", i, NULL };
        pr->audit_arch = ld32(r, FLD(e, struct cp_sc_program, audit_arch));
        if (pr->audit_arch != AUDIT_ARCH_X86_64 && pr->audit_arch != AUDIT_ARCH_AARCH64)
            return fail(r, S, FLD(e, struct cp_sc_program, audit_arch),
                        "%s: audit_arch 0x%08x is not x86_64 (0xc000003e) or aarch64 (0xc00000b7)", WS(what),
                        pr->audit_arch);
        if (i > 0 && p->seccomp.programs[i - 1].audit_arch >= pr->audit_arch)
            return fail(r, S, FLD(e, struct cp_sc_program, audit_arch),
                        "%s: audit_arch 0x%08x is not after 0x%08x (sorted, unique)", WS(what),
                        pr->audit_arch, p->seccomp.programs[i - 1].audit_arch);
        pr->insn_count = ld32(r, FLD(e, struct cp_sc_program, insn_count));
        if (pr->insn_count < 1 || pr->insn_count > BPF_CHECK_MAX_INSNS)
            return fail(r, S, FLD(e, struct cp_sc_program, insn_count), "%s: insn_count %u is not 1..4096",
                        WS(what), pr->insn_count);
        uint32_t io = ld32(r, FLD(e, struct cp_sc_program, insn_offset));
        uint64_t iof = FLD(e, struct cp_sc_program, insn_offset);
        if (io % 8)
            return fail(r, S, iof, "%s: insn_offset %u is not a multiple of 8", WS(what), io);
        if (io < sizeof(struct cp_seccomp))
            return fail(r, S, iof, "%s: insn_offset %u lies inside the section's fixed part", WS(what), io);
        if (io > s->len || (uint64_t)pr->insn_count * sizeof(struct cp_bpf_insn) > s->len - io)
            return fail(r, S, iof, "%s: %u instructions at offset %u run past the end of the %u-byte section",
                        WS(what), pr->insn_count, io, s->len);
        if (want_zero32(r, S, FLD(e, struct cp_sc_program, pad), &what))
            return -1;
        if (add_range(r, S, io, io + (uint64_t)pr->insn_count * sizeof(struct cp_bpf_insn), iof,
                      i == 0 ? "program 0 instructions" : "program 1 instructions"))
            return -1;
        /* 8-aligned in the copy: header 64, section and offset multiples of 8 */
        pr->insns = (const struct cp_bpf_insn *)(r->copy + b + io);
        struct bpf_check_error be;
        if (bpf_check_seccomp(pr->insns, pr->insn_count, &be))
            return fail(r, S, b + io + (uint64_t)be.insn * sizeof(struct cp_bpf_insn), "%s insn %u: %s",
                        WS(what), be.insn, be.e.msg);
    }
    return check_ranges(r, S);
}

/* ------------------------------------------------------------- vm ---- */

static int do_vm(struct rd *r)
{
    const uint32_t S = CP_SEC_VM;
    struct plan *p = r->p;
    p->has_vm = r->sec[S].present;
    if (!p->has_vm) {
        p->vm.kernel = p->vm.bootargs = p->vm.rootfs = r->strtab;
        return 0;
    }
    uint64_t b = r->sec[S].foff;
    char q[200];
    p->vm.vcpus = ld32(r, FLD(b, struct cp_vm, vcpus));
    if (p->vm.vcpus < 1 || p->vm.vcpus > 64)
        return fail(r, S, FLD(b, struct cp_vm, vcpus), "vcpus %u is not 1..64", p->vm.vcpus);
    p->vm.flags = ld32(r, FLD(b, struct cp_vm, flags));
    if (p->vm.flags & ~CP_VM_HAS_ROOTFS)
        return fail(r, S, FLD(b, struct cp_vm, flags), "unknown flags 0x%x", p->vm.flags);
    p->vm.memory = ld64(r, FLD(b, struct cp_vm, memory));
    if (p->vm.memory < 64ull * 1024 * 1024)
        return fail(r, S, FLD(b, struct cp_vm, memory), "memory %llu bytes is below 64 MiB",
                    (unsigned long long)p->vm.memory);
    p->vm.initramfs_limit = ld64(r, FLD(b, struct cp_vm, initramfs_limit));
    if (get_path(r, S, FLD(b, struct cp_vm, kernel), WL("kernel"), &p->vm.kernel) ||
        get_str(r, S, FLD(b, struct cp_vm, bootargs), WL("bootargs"), &p->vm.bootargs))
        return -1;
    if (!is_printable(p->vm.bootargs, true))
        return fail(r, S, FLD(b, struct cp_vm, bootargs), "bootargs %s are not printable ASCII",
                    quote(p->vm.bootargs, q, sizeof q));
    memcpy(p->vm.kernel_sha256, r->buf + FLD(b, struct cp_vm, kernel_sha256), 32);
    memcpy(p->vm.rootfs_sha256, r->buf + FLD(b, struct cp_vm, rootfs_sha256), 32);
    if (p->vm.flags & CP_VM_HAS_ROOTFS) {
        if (get_path(r, S, FLD(b, struct cp_vm, rootfs), WL("rootfs"), &p->vm.rootfs))
            return -1;
    } else {
        if (get_str(r, S, FLD(b, struct cp_vm, rootfs), WL("rootfs"), &p->vm.rootfs) ||
            want_empty(r, S, FLD(b, struct cp_vm, rootfs), WL("rootfs without HAS_ROOTFS"), p->vm.rootfs))
            return -1;
        if (!all_zero(p->vm.rootfs_sha256, 32))
            return fail(r, S, FLD(b, struct cp_vm, rootfs_sha256),
                        "rootfs_sha256 must be zero without HAS_ROOTFS");
    }
    if (want_zero32(r, S, FLD(b, struct cp_vm, pad), WL("vm")))
        return -1;
    return check_ranges(r, S);
}

/* --------------------------------------------------------- gvisor ---- */

static int do_gvisor(struct rd *r)
{
    const uint32_t S = CP_SEC_GVISOR;
    struct plan *p = r->p;
    p->has_gvisor = r->sec[S].present;
    if (!p->has_gvisor)
        return 0;
    uint64_t b = r->sec[S].foff;
    p->gvisor.platform = ld32(r, FLD(b, struct cp_gvisor, platform));
    if (p->gvisor.platform > CP_GVISOR_SYSTRAP)
        return fail(r, S, FLD(b, struct cp_gvisor, platform), "platform %u is not 0..3", p->gvisor.platform);
    p->gvisor.flags = ld32(r, FLD(b, struct cp_gvisor, flags));
    if (p->gvisor.flags)
        return fail(r, S, FLD(b, struct cp_gvisor, flags), "flags 0x%x: must be 0", p->gvisor.flags);
    return check_ranges(r, S);
}

/* --------------------------------------------------------- events ---- */

static int do_events(struct rd *r)
{
    const uint32_t S = CP_SEC_EVENTS;
    uint64_t b = r->sec[S].foff;
    struct plan *p = r->p;
    char q[200];
    if (get_str(r, S, FLD(b, struct cp_events, source), WL("source"), &p->events.source) ||
        get_str(r, S, FLD(b, struct cp_events, subject), WL("subject"), &p->events.subject))
        return -1;
    if (!is_printable(p->events.source, false))
        return fail(r, S, FLD(b, struct cp_events, source), "source %s is not printable ASCII without spaces",
                    quote(p->events.source, q, sizeof q));
    if (!no_controls(p->events.subject))
        return fail(r, S, FLD(b, struct cp_events, subject), "subject %s has control characters",
                    quote(p->events.subject, q, sizeof q));
    p->events.flags = ld32(r, FLD(b, struct cp_events, flags));
    if (p->events.flags & ~(CP_EV_HAS_KID | CP_EV_REQUIRE_DELIVERED))
        return fail(r, S, FLD(b, struct cp_events, flags), "unknown flags 0x%x", p->events.flags);
    if (want_zero32(r, S, FLD(b, struct cp_events, pad), WL("events")))
        return -1;
    memcpy(p->events.signing_kid, r->buf + FLD(b, struct cp_events, signing_kid), 32);
    if (!(p->events.flags & CP_EV_HAS_KID) && !all_zero(p->events.signing_kid, 32))
        return fail(r, S, FLD(b, struct cp_events, signing_kid), "signing_kid must be zero without HAS_KID");
    return check_ranges(r, S);
}

/* ----------------------------------------------------- provenance ---- */

static int do_provenance(struct rd *r)
{
    const uint32_t S = CP_SEC_PROVENANCE;
    struct plan *p = r->p;
    p->has_provenance = r->sec[S].present;
    p->provenance.spec_id = p->provenance.correlation_id = p->provenance.pack_id =
        p->provenance.pack_version = "";
    if (!p->has_provenance)
        return 0;
    uint64_t b = r->sec[S].foff;
    char q[200];
    const struct {
        size_t off;
        const char *what;
        const char **out;
    } f[] = {
        { offsetof(struct cp_provenance, spec_id), "spec_id", &p->provenance.spec_id },
        { offsetof(struct cp_provenance, correlation_id), "correlation_id", &p->provenance.correlation_id },
        { offsetof(struct cp_provenance, pack_id), "pack_id", &p->provenance.pack_id },
        { offsetof(struct cp_provenance, pack_version), "pack_version", &p->provenance.pack_version },
    };
    bool any = false;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (get_str(r, S, b + f[i].off, WL(f[i].what), f[i].out))
            return -1;
        const char *s = *f[i].out;
        if (strlen(s) > 255 || !is_printable(s, true))
            return fail(r, S, b + f[i].off, "%s %s is not 0..255 printable ASCII bytes", f[i].what,
                        quote(s, q, sizeof q));
        any |= *s != 0;
    }
    for (const char *c = p->provenance.spec_id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
              *c == '_' || *c == '.'))
            return fail(r, S, b + offsetof(struct cp_provenance, spec_id),
                        "spec_id %s has a byte other than letters, digits, '-', '_' and '.'",
                        quote(p->provenance.spec_id, q, sizeof q));
    if (!any)
        return fail(r, S, b, "the section is present but every field is empty");
    if (*p->provenance.pack_version && !*p->provenance.pack_id)
        return fail(r, S, b + offsetof(struct cp_provenance, pack_version), "pack_version without pack_id");
    return check_ranges(r, S);
}

/* -------------------------------------------------------- secrets ---- */

static int do_secrets(struct rd *r)
{
    const uint32_t S = CP_SEC_SECRETS;
    struct plan *p = r->p;
    if (!r->sec[S].present)
        return 0;
    const struct arr *a = &r->arr[A_SECRETS];
    char q[200];
    p->secrets.items = decoded(r, A_SECRETS);
    p->secrets.n_items = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_secret);
        struct plan_secret *x = &p->secrets.items[i];
        const struct what what = { "secret", i, NULL };
        if (get_str(r, S, FLD(e, struct cp_secret, name), &what, &x->name) ||
            get_str(r, S, FLD(e, struct cp_secret, ref), &what, &x->ref))
            return -1;
        if (!is_simple_name(x->name))
            return fail(r, S, FLD(e, struct cp_secret, name), "%s: name %s is not [A-Za-z0-9_.-]{1,64}",
                        WS(what), quote(x->name, q, sizeof q));
        if (i > 0 && strcmp(p->secrets.items[i - 1].name, x->name) >= 0)
            return fail(r, S, FLD(e, struct cp_secret, name), "%s: name %s is not after %s (sorted, unique)",
                        WS(what), quote(x->name, q, sizeof q), p->secrets.items[i - 1].name);
        bool ref_ok = (strncmp(x->ref, "env:", 4) == 0 && is_env_name(x->ref + 4)) ||
            (strncmp(x->ref, "file:", 5) == 0 && !path_problem(x->ref + 5));
        if (!ref_ok)
            return fail(r, S, FLD(e, struct cp_secret, ref), "%s: ref %s is not env:NAME or file:/path",
                        WS(what), quote(x->ref, q, sizeof q));
        x->delivery = ld32(r, FLD(e, struct cp_secret, delivery));
        if (x->delivery == CP_SECRET_ENV) {
            if (get_str(r, S, FLD(e, struct cp_secret, target), &what, &x->target))
                return -1;
            if (!is_env_name(x->target))
                return fail(r, S, FLD(e, struct cp_secret, target), "%s: target %s is not an env var name",
                            WS(what), quote(x->target, q, sizeof q));
        } else if (x->delivery == CP_SECRET_FILE) {
            if (get_path(r, S, FLD(e, struct cp_secret, target), &what, &x->target))
                return -1;
        } else {
            return fail(r, S, FLD(e, struct cp_secret, delivery),
                        "%s: delivery %u is not 1 (env) or 2 (file)", WS(what), x->delivery);
        }
        x->line = ld32(r, FLD(e, struct cp_secret, line));
        if (want_zero32(r, S, FLD(e, struct cp_secret, pad), &what))
            return -1;
    }
    return check_ranges(r, S);
}

/* --------------------------------------------------------- export ---- */

static int do_export(struct rd *r)
{
    const uint32_t S = CP_SEC_EXPORT;
    struct plan *p = r->p;
    if (!r->sec[S].present)
        return 0;
    const struct arr *a = &r->arr[A_EXPORT];
    char q[200];
    if (a->count == 0 || a->count > CP_EXPORT_MAX_ITEMS)
        return fail(r, S, r->sec[S].foff + offsetof(struct cp_export, items),
                    "items: %u artifacts (a present export section has 1 to %u)", a->count,
                    CP_EXPORT_MAX_ITEMS);
    p->export_.items = decoded(r, A_EXPORT);
    p->export_.n_items = a->count;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t e = a->foff + (uint64_t)i * sizeof(struct cp_export_item);
        struct plan_export_item *x = &p->export_.items[i];
        const struct what what = { "artifact", i, NULL };
        if (get_str(r, S, FLD(e, struct cp_export_item, name), &what, &x->name) ||
            get_path(r, S, FLD(e, struct cp_export_item, path), &what, &x->path))
            return -1;
        if (!is_simple_name(x->name) || !strcmp(x->name, ".") || !strcmp(x->name, ".."))
            return fail(r, S, FLD(e, struct cp_export_item, name),
                        "%s: name %s is not [A-Za-z0-9_.-]{1,64} other than . and ..", WS(what),
                        quote(x->name, q, sizeof q));
        if (i > 0 && strcmp(p->export_.items[i - 1].name, x->name) >= 0)
            return fail(r, S, FLD(e, struct cp_export_item, name),
                        "%s: name %s is not after %s (sorted, unique)", WS(what), quote(x->name, q, sizeof q),
                        p->export_.items[i - 1].name);
        x->max_bytes = ld64(r, FLD(e, struct cp_export_item, max_bytes));
        if (x->max_bytes == 0 || x->max_bytes > (1ull << 40))
            return fail(r, S, FLD(e, struct cp_export_item, max_bytes), "%s: max_bytes %llu is not 1 to 2^40",
                        WS(what), (unsigned long long)x->max_bytes);
        x->flags = ld32(r, FLD(e, struct cp_export_item, flags));
        if (x->flags & ~CP_EXPORT_REQUIRED)
            return fail(r, S, FLD(e, struct cp_export_item, flags), "%s: unknown flags 0x%x", WS(what),
                        x->flags & ~CP_EXPORT_REQUIRED);
        x->line = ld32(r, FLD(e, struct cp_export_item, line));
    }
    return check_ranges(r, S);
}

/* ------------------------------------------------------------ API ---- */

int plan_read(const void *buf, size_t len, struct plan **out, struct plan_error *err)
{
    struct plan_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    struct rd r = { .buf = buf, .len = len, .err = err };
    if (out)
        *out = NULL;
    if (!out || (!buf && len))
        return fail(&r, 0, 0, "plan_read: invalid arguments");
    if (sodium_init() < 0)
        return fail(&r, 0, 0, "libsodium failed to initialise");

    if (check_header(&r) || check_directory(&r) || check_strtab(&r))
        return -1;
    /* each section's fixed part is data; then every array descriptor */
    for (uint32_t t = CP_SEC_META; t <= CP_SEC_MAX_TYPE; t++)
        if (r.sec[t].present && add_range(&r, t, 0, fixed_size[t], r.sec[t].foff, "fixed part"))
            return -1;
    for (int i = 0; i < A_COUNT; i++)
        if (r.sec[arr_desc[i].section].present && read_array(&r, (enum arr_id)i))
            return -1;
    for (uint32_t t = CP_SEC_META; t <= CP_SEC_MAX_TYPE; t++)
        if (check_ranges_mode(&r, t, false))
            return -1;
    if (alloc_arena(&r))
        return -1;

    struct plan *p = r.p;
    if (do_meta(&r) || do_process(&r) || do_filesystem(&r) || do_network(&r) || do_limits(&r) ||
        do_seccomp(&r) || do_vm(&r) || do_gvisor(&r) || do_events(&r) || do_secrets(&r) ||
        do_provenance(&r) || do_export(&r)) {
        free(r.arena);
        return -1;
    }
    p->version_major = ld16(&r, offsetof(struct cp_header, version_major));
    p->version_minor = ld16(&r, offsetof(struct cp_header, version_minor));
    /* canonical form: the minor is the lowest that carries the plan (1.1
     * only with a 1.1 feature), so a plan has one valid header */
    uint16_t need = 0;
    for (size_t i = 0; i < p->net.n_egress; i++)
        if (p->net.egress[i].any_name)
            need = 1;
    if (p->version_minor != need) {
        fail(&r, 0, offsetof(struct cp_header, version_minor),
             "format version %u.%u, but this plan uses %s (write %u.%u)", p->version_major, p->version_minor,
             need ? "a 1.1 feature (an any-name egress rule)" : "no 1.1 feature", CP_VERSION_MAJOR, need);
        free(r.arena);
        return -1;
    }
    crypto_hash_sha256(p->digest, r.buf, CP_HEADER_SIZE + r.body_len);
    p->signed_plan = r.signed_plan;
    if (r.signed_plan)
        memcpy(&p->signature, r.buf + CP_HEADER_SIZE + r.body_len, sizeof p->signature);
    *out = p;
    return 0;
}

int plan_read_file(const char *path, struct plan **out, struct plan_error *err)
{
    struct plan_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    if (out)
        *out = NULL;
    if (!path || !out) {
        snprintf(err->e.msg, sizeof err->e.msg, "plan_read_file: invalid arguments");
        return -1;
    }
    /* one byte past the limit: the reader names an oversized file as such */
    char *data;
    size_t n;
    int er = sys_read_file(path, CP_MAX_PLAN_SIZE, 0, &data, &n, NULL);
    if (er) {
        err->file = er != ENOMEM;
        err->e.err = er; /* the file could not be read: callers tell this from a bad plan */
        if (er == EISDIR)
            snprintf(err->e.msg, sizeof err->e.msg, "is a directory, not a plan");
        else if (er == ENOMEM)
            snprintf(err->e.msg, sizeof err->e.msg, "out of memory");
        else if (er == EIO)
            snprintf(err->e.msg, sizeof err->e.msg, "read error: %s", strerror(er));
        else
            snprintf(err->e.msg, sizeof err->e.msg, "cannot open the plan: %s", strerror(er));
        return -1;
    }
    int rc = plan_read(data, n, out, err);
    free(data);
    return rc;
}

void plan_free(struct plan *p)
{
    /* the plan is the first object of its arena */
    free(p);
}
