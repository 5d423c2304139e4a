/*
 * plan_format.h - the on-disk layout of a CellOS cell plan (format 1.1).
 *
 * This header is the byte-level contract between cellc (which writes plans)
 * and cellrun (which reads them). docs/plan-format.md is its prose twin:
 * change both in the same commit.
 *
 * Invariants of every valid plan:
 *  - little-endian; CellOS builds only on little-endian hosts;
 *  - no pointers: every reference is an offset or an index that the reader
 *    checks against the bounds of the thing it points into before use;
 *  - every record has a fixed size and 4- or 8-byte natural alignment, with
 *    explicit padding fields that must be zero;
 *  - deterministic: the writer emits sections in ascending type order, each
 *    8-byte aligned with zero padding, strings interned in first-use order,
 *    so the same policy always gives the same bytes.
 *
 * File layout:
 *   [cp_header 64 bytes][body: body_length bytes][optional cp_signature 104 bytes]
 * Body layout:
 *   [cp_section_entry x section_count][sections, each 8-aligned, zero padded]
 * The plan digest is SHA-256 over header and body (everything but the
 * optional signature trailer); events name a plan by "sha256:<hex digest>".
 */
#ifndef CELLOS_PLAN_FORMAT_H
#define CELLOS_PLAN_FORMAT_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "CellOS plans are little-endian and CellOS builds only on little-endian hosts"
#endif

#define CP_MAGIC         "CELLPLAN" /* 8 bytes, no NUL */
#define CP_VERSION_MAJOR 1          /* a reader refuses any other major */
#define CP_VERSION_MINOR 1          /* a reader refuses a minor newer than its own */
#define CP_HEADER_SIZE   64
#define CP_MAX_PLAN_SIZE (64u * 1024 * 1024) /* readers refuse larger files */
#define CP_MAX_PATH      4095                /* bytes of an absolute path, without NUL */

/* ---- header ------------------------------------------------------------ */

struct cp_header {
    uint8_t magic[8];        /* CP_MAGIC */
    uint16_t version_major;  /* CP_VERSION_MAJOR */
    uint16_t version_minor;  /* <= CP_VERSION_MINOR; the writer writes the lowest
                                the plan needs (1 only with a 1.1 feature) */
    uint32_t flags;          /* must be 0 in 1.0 */
    uint32_t header_size;    /* CP_HEADER_SIZE */
    uint32_t section_count;  /* 1..CP_SEC_MAX_TYPE */
    uint64_t body_length;    /* bytes of body following the header */
    uint8_t body_sha256[32]; /* SHA-256 of the body bytes */
};
_Static_assert(sizeof(struct cp_header) == 64, "cp_header is 64 bytes");

/* ---- section directory ------------------------------------------------- */

enum cp_section_type {
    CP_SEC_STRTAB = 1,      /* required: NUL-terminated strings, byte 0 is NUL */
    CP_SEC_META = 2,        /* required: cp_meta */
    CP_SEC_PROCESS = 3,     /* required: cp_process */
    CP_SEC_FILESYSTEM = 4,  /* required: cp_filesystem (the mount op program) */
    CP_SEC_NETWORK = 5,     /* required: cp_network */
    CP_SEC_LIMITS = 6,      /* required: cp_limits */
    CP_SEC_SECCOMP = 7,     /* required: cp_seccomp */
    CP_SEC_VM = 8,          /* optional: cp_vm */
    CP_SEC_GVISOR = 9,      /* optional: cp_gvisor */
    CP_SEC_EVENTS = 10,     /* required: cp_events */
    CP_SEC_SECRETS = 11,    /* optional: cp_secrets */
    CP_SEC_PROVENANCE = 12, /* optional: cp_provenance */
    CP_SEC_EXPORT = 13,     /* optional: cp_export */
    CP_SEC_MAX_TYPE = 13
};

/* Entries are sorted by strictly ascending type (so each type appears at
 * most once) and their sections by ascending offset, without overlap. */
struct cp_section_entry {
    uint32_t type;   /* enum cp_section_type; unknown types are refused */
    uint32_t flags;  /* must be 0 */
    uint32_t offset; /* from the start of the body; multiple of 8 */
    uint32_t length; /* bytes; offset + length <= body_length */
};
_Static_assert(sizeof(struct cp_section_entry) == 16, "section entry is 16 bytes");

/* A string reference: an offset into STRTAB at the start of a string (0 or
 * just after a NUL). The string runs to the first NUL, which must lie inside
 * STRTAB. Offset 0 is the empty string. */
typedef uint32_t cp_str;

/* An array inside a section: `count` records of the array's record size
 * starting `offset` bytes from the start of the section. offset is a
 * multiple of 8, lies at or after the end of the section's fixed part, and
 * offset + count * record size <= section length (checked without overflow).
 * count 0 means empty; its offset must then be 0. Inside a section the fixed
 * part and the arrays do not overlap, and bytes none of them covers are 0. */
struct cp_array {
    uint32_t offset;
    uint32_t count;
};
_Static_assert(sizeof(struct cp_array) == 8, "cp_array is 8 bytes");

/* ---- META --------------------------------------------------------------- */

enum cp_backend {
    CP_BACKEND_NATIVE = 0,
    CP_BACKEND_GVISOR = 1,
    CP_BACKEND_VM = 2,
};

/* One `unsafe "why"` grant, kept so the started event can list it. */
struct cp_unsafe_grant {
    cp_str kind;    /* what was granted, e.g. "rw-bind", "syscall", "capability", "egress" */
    cp_str subject; /* the path, syscall, capability or host it applies to */
    cp_str reason;  /* the operator's stated reason, verbatim */
    uint32_t line;  /* line of the grant in the policy source (1-based) */
};
_Static_assert(sizeof(struct cp_unsafe_grant) == 16, "cp_unsafe_grant is 16 bytes");

struct cp_meta {
    cp_str name;            /* the cell's name */
    cp_str source;          /* base name of the policy file, e.g. "hello.cell" */
    cp_str compiler;        /* "cellc <version>" */
    cp_str hostname;        /* the cell's hostname; "" means the cell name */
    uint32_t backend;       /* enum cp_backend: the policy's preferred backend */
    uint32_t flags;         /* must be 0 in 1.0 */
    struct cp_array packs;  /* cp_str: names of the packs used, in resolution order */
    struct cp_array unsafe; /* struct cp_unsafe_grant */
};
_Static_assert(sizeof(struct cp_meta) == 40, "cp_meta is 40 bytes");

/* ---- PROCESS ------------------------------------------------------------ */

#define CP_PROC_ALLOW_EXTRA_ARGS  0x1u /* `cellrun plan -- args` may append to argv */
#define CP_PROC_LANDLOCK_REQUIRED 0x2u /* `landlock required;`: no run without the full Landlock ruleset */
#define CP_PROC_ALL_FLAGS         0x3u

#define CP_ENV_PASS 0x1u /* value taken from the host's env by name; value is "" */

struct cp_env {
    cp_str name; /* a valid env var name: [A-Za-z_][A-Za-z0-9_]* */
    cp_str value;
    uint32_t flags; /* CP_ENV_* */
    uint32_t pad;   /* 0 */
};
_Static_assert(sizeof(struct cp_env) == 16, "cp_env is 16 bytes");

struct cp_rlimit {
    uint32_t resource; /* RLIMIT_* number as Linux defines it (same on x86_64 and aarch64) */
    uint32_t pad;      /* 0 */
    uint64_t soft;     /* UINT64_MAX = RLIM_INFINITY */
    uint64_t hard;
};
_Static_assert(sizeof(struct cp_rlimit) == 24, "cp_rlimit is 24 bytes");

struct cp_process {
    struct cp_array argv;     /* cp_str; count >= 1, argv[0] an absolute path */
    struct cp_array env;      /* struct cp_env, sorted by name, names unique */
    struct cp_array rlimits;  /* struct cp_rlimit, sorted by resource, unique */
    struct cp_array pass_fds; /* uint32_t fds > 2 passed to the workload, ascending */
    cp_str cwd;               /* absolute path inside the cell */
    uint32_t uid;
    uint32_t gid;
    uint32_t umask;        /* 0..0777 */
    uint32_t flags;        /* CP_PROC_* */
    uint32_t pad;          /* 0 */
    uint64_t capabilities; /* bit n = capability n granted (CAP_LAST_CAP <= 63) */
};
_Static_assert(sizeof(struct cp_process) == 64, "cp_process is 64 bytes");

/* ---- FILESYSTEM: the mount op program ------------------------------------
 * The runtime interprets the ops in order inside the cell's mount namespace.
 * All dst paths are absolute paths as the cell sees them (inside the new
 * root); the runtime resolves them beneath the new root without following
 * symlinks out of it. A valid program starts with its only ROOTFS, contains
 * exactly one PIVOT_ROOT, and after PIVOT_ROOT holds only REMOUNT, MASK and
 * at most one CHDIR, which is last. */

enum cp_mount_opcode {
    CP_OP_ROOTFS = 1,    /* tmpfs that becomes the new root: size, mode */
    CP_OP_MKDIR = 2,     /* dst, mode */
    CP_OP_BIND = 3,      /* host src -> dst; flags RECURSIVE, OPTIONAL; writable until REMOUNT */
    CP_OP_TMPFS = 4,     /* dst, size (0 = kernel default), mode; flags NOSUID/NODEV/NOEXEC */
    CP_OP_WORKSPACE = 5, /* the fresh private workspace: a tmpfs at dst, size, mode */
    CP_OP_REMOUNT = 6,   /* bind-remount dst with flags RDONLY/NOSUID/NODEV/NOEXEC */
    CP_OP_PROC = 7,      /* fresh proc of the cell's pid namespace at dst */
    CP_OP_DEVNODE = 8,   /* host device src (e.g. "/dev/null") bound onto the file dst */
    CP_OP_DEVPTS = 9,    /* fresh devpts instance (newinstance, ptmxmode=0666) at dst */
    CP_OP_MASK = 10,     /* hide dst: an empty read-only file over a file, empty read-only tmpfs over a dir */
    CP_OP_SYMLINK = 11,  /* symlink at dst whose target text is src */
    CP_OP_PIVOT_ROOT = 12, /* make the ROOTFS the root; detach the old root */
    CP_OP_CHDIR = 13,      /* the workload's working directory: dst */
    CP_OP_MAX = 13
};

#define CP_MNT_RDONLY    0x01u
#define CP_MNT_NOSUID    0x02u
#define CP_MNT_NODEV     0x04u
#define CP_MNT_NOEXEC    0x08u
#define CP_MNT_RECURSIVE 0x10u /* BIND: rbind (submounts come along) */
#define CP_MNT_OPTIONAL  0x20u /* BIND/DEVNODE/MASK: skip (and report) when the source is absent */
#define CP_MNT_ALL_FLAGS 0x3fu

struct cp_mount_op {
    uint16_t opcode; /* enum cp_mount_opcode */
    uint16_t flags;  /* CP_MNT_*; only those meaningful for the opcode */
    cp_str src;      /* host path (BIND, DEVNODE) or link target (SYMLINK); else "" */
    cp_str dst;      /* absolute normalised path in the cell; "" for PIVOT_ROOT */
    uint32_t mode;   /* permission bits 0..07777 for ROOTFS/MKDIR/TMPFS/WORKSPACE; else 0 */
    uint64_t size;   /* bytes for ROOTFS/TMPFS/WORKSPACE; else 0 */
    uint32_t line;   /* policy source line of the grant this op comes from; 0 = implied */
    uint32_t pad;    /* 0 */
};
_Static_assert(sizeof(struct cp_mount_op) == 32, "mount op is 32 bytes");

struct cp_filesystem {
    struct cp_array ops; /* struct cp_mount_op, in execution order */
};
_Static_assert(sizeof(struct cp_filesystem) == 8, "cp_filesystem is 8 bytes");

/* ---- NETWORK ------------------------------------------------------------ */

enum cp_net_mode {
    CP_NET_NONE = 0,     /* own net namespace, lo left down */
    CP_NET_LOOPBACK = 1, /* own net namespace, lo up */
    CP_NET_EGRESS = 2,   /* lo up plus the egress rules (backend must enforce them or refuse) */
};

enum cp_egress_kind {
    CP_EGRESS_HOST = 1,          /* a DNS name: host */
    CP_EGRESS_CIDR = 2,          /* an address block: family, addr, prefix */
    CP_EGRESS_HOST_ANY_NAME = 3, /* (1.1) a DNS name whose TCP connections need not name it
                                    (`any-name`: no SNI/Host check); TCP only */
};

struct cp_egress {
    uint8_t kind;     /* enum cp_egress_kind */
    uint8_t family;   /* 4 or 6 for CIDR; 0 for HOST */
    uint8_t prefix;   /* 0..32 or 0..128 for CIDR; 0 for HOST */
    uint8_t proto;    /* 6 tcp, 17 udp */
    uint16_t port_lo; /* 1..65535 */
    uint16_t port_hi; /* port_lo..65535 */
    cp_str host;      /* HOST: the name; CIDR: "" */
    uint8_t addr[16]; /* CIDR: network address (v4 in the first 4 bytes), host bits 0 */
    uint32_t line;    /* policy source line */
};
_Static_assert(sizeof(struct cp_egress) == 32, "egress rule is 32 bytes");

struct cp_network {
    uint32_t mode;          /* enum cp_net_mode */
    uint32_t pad;           /* 0 */
    struct cp_array egress; /* struct cp_egress; count > 0 only in CP_NET_EGRESS */
};
_Static_assert(sizeof(struct cp_network) == 16, "cp_network is 16 bytes");

/* ---- LIMITS ------------------------------------------------------------- */

/* Best-effort bits: the runtime may run without this limit when the host
 * cannot enforce it, and reports that it did. Without the bit it refuses. */
#define CP_LIMIT_MEMORY_BEST_EFFORT 0x1u
#define CP_LIMIT_PIDS_BEST_EFFORT   0x2u
#define CP_LIMIT_CPU_BEST_EFFORT    0x4u

struct cp_limits {
    uint64_t memory;     /* bytes; 0 = no limit */
    uint64_t pids;       /* max tasks; 0 = no limit */
    uint64_t wall_ms;    /* wall-clock limit in ms; 0 = no limit */
    uint32_t cpu_millis; /* CPU bandwidth in thousandths of a core; 0 = no limit */
    uint32_t flags;      /* CP_LIMIT_* */
};
_Static_assert(sizeof(struct cp_limits) == 32, "cp_limits is 32 bytes");

/* ---- SECCOMP -------------------------------------------------------------
 * The normalised rule list (for review, dump, explain and the gVisor OCI
 * translation) and the compiled classic-BPF program per architecture (what
 * cellrun loads with seccomp(2)). Actions are encoded as the kernel's
 * SECCOMP_RET_* values, the errno number in the low 16 bits for ERRNO. */

enum cp_sc_op {
    CP_SC_EQ = 1, /* (arg & mask) == value, mask all ones for plain == */
    CP_SC_NE = 2,
    CP_SC_LT = 3, /* unsigned compares, as the kernel's BPF does */
    CP_SC_LE = 4,
    CP_SC_GT = 5,
    CP_SC_GE = 6,
    CP_SC_MASKED_EQ = 7, /* (arg & mask) == value */
    CP_SC_IN = 8,        /* arg is one of set[set_first .. set_first+set_count) */
    CP_SC_NOT_IN = 9,
    CP_SC_OP_MAX = 9
};

struct cp_sc_cond {
    uint8_t arg;        /* 0..5 */
    uint8_t op;         /* enum cp_sc_op */
    uint8_t width;      /* 32 or 64: a 32-bit argument compares the low word only */
    uint8_t pad;        /* 0 */
    uint32_t set_first; /* IN/NOT_IN: index into `values`; else 0 */
    uint32_t set_count; /* IN/NOT_IN: >= 1, values sorted ascending, unique; else 0 */
    uint32_t pad2;      /* 0 */
    uint64_t value;
    uint64_t mask; /* MASKED_EQ: the mask; else all ones (or 0xffffffff for width 32) */
};
_Static_assert(sizeof(struct cp_sc_cond) == 32, "seccomp condition is 32 bytes");

struct cp_sc_rule {
    cp_str syscall;      /* syscall name, arch-independent */
    uint32_t action;     /* SECCOMP_RET_* value, data included */
    uint32_t cond_first; /* index into `conds` */
    uint32_t cond_count; /* conjunction of conditions; 0 = unconditional */
    uint32_t line;       /* policy source line */
    uint32_t pad;        /* 0 */
};
_Static_assert(sizeof(struct cp_sc_rule) == 24, "seccomp rule is 24 bytes");

struct cp_sc_program {
    uint32_t audit_arch;  /* AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64 */
    uint32_t insn_count;  /* 1..4096 */
    uint32_t insn_offset; /* offset in the section of insn_count struct cp_bpf_insn; 8-aligned */
    uint32_t pad;         /* 0 */
};
_Static_assert(sizeof(struct cp_sc_program) == 16, "cp_sc_program is 16 bytes");

/* Same layout as the kernel's struct sock_filter. */
struct cp_bpf_insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};
_Static_assert(sizeof(struct cp_bpf_insn) == 8, "bpf insn is 8 bytes");

#define CP_SC_ALLOW_X32  0x1u /* the policy names the x32 ABI: do not reject it */
#define CP_SC_ALLOW_I386 0x2u /* the policy names i386: do not reject int 0x80 */

struct cp_seccomp {
    uint32_t default_action;  /* SECCOMP_RET_* for syscalls no rule matches */
    uint32_t flags;           /* CP_SC_ALLOW_* */
    struct cp_array rules;    /* struct cp_sc_rule, groups expanded, in written order */
    struct cp_array conds;    /* struct cp_sc_cond */
    struct cp_array values;   /* uint64_t set members */
    struct cp_array programs; /* struct cp_sc_program, ascending audit_arch, unique */
};
_Static_assert(sizeof(struct cp_seccomp) == 40, "cp_seccomp is 40 bytes");

/* ---- VM ----------------------------------------------------------------- */

#define CP_VM_HAS_ROOTFS 0x1u /* rootfs/rootfs_sha256 are set */

struct cp_vm {
    uint32_t vcpus;           /* 1..64 */
    uint32_t flags;           /* CP_VM_* */
    uint64_t memory;          /* bytes, >= 64 MiB */
    uint64_t initramfs_limit; /* bytes; 0 = runtime default */
    cp_str kernel;            /* absolute host path of the guest kernel */
    cp_str bootargs;          /* extra kernel command line, appended */
    cp_str rootfs;            /* absolute host path of a read-only root image, or "" */
    uint32_t pad;             /* 0 */
    uint8_t kernel_sha256[32];
    uint8_t rootfs_sha256[32]; /* zero unless CP_VM_HAS_ROOTFS */
};
_Static_assert(sizeof(struct cp_vm) == 104, "cp_vm is 104 bytes");

/* ---- GVISOR ------------------------------------------------------------- */

enum cp_gvisor_platform {
    CP_GVISOR_AUTO = 0, /* kvm when /dev/kvm exists, else ptrace */
    CP_GVISOR_PTRACE = 1,
    CP_GVISOR_KVM = 2,
    CP_GVISOR_SYSTRAP = 3,
};

struct cp_gvisor {
    uint32_t platform; /* enum cp_gvisor_platform */
    uint32_t flags;    /* must be 0 */
};
_Static_assert(sizeof(struct cp_gvisor) == 8, "cp_gvisor is 8 bytes");

/* ---- EVENTS ------------------------------------------------------------- */

#define CP_EV_HAS_KID 0x1u /* signing_kid names the key that must sign the run's events */
#define CP_EV_REQUIRE_DELIVERED                                                                              \
    0x2u /* every remote sink must acknowledge `started` before the workload runs */

struct cp_events {
    cp_str source;           /* CloudEvents `source` prefix/URI, or "" for urn:uuid:<run> */
    cp_str subject;          /* CloudEvents `subject`, or "" for the cell name */
    uint32_t flags;          /* CP_EV_* */
    uint32_t pad;            /* 0 */
    uint8_t signing_kid[32]; /* SHA-256 of the raw Ed25519 public key */
};
_Static_assert(sizeof(struct cp_events) == 48, "cp_events is 48 bytes");

/* ---- SECRETS: references only; values never enter the plan -------------- */

enum cp_secret_delivery {
    CP_SECRET_ENV = 1,  /* target is an env var name */
    CP_SECRET_FILE = 2, /* target is an absolute path in the cell, written 0400 on a tmpfs */
};

struct cp_secret {
    cp_str name;       /* the secret's name in the policy */
    cp_str ref;        /* where the supervisor reads it: "env:VAR" or "file:/abs/path" */
    uint32_t delivery; /* enum cp_secret_delivery */
    cp_str target;
    uint32_t line;
    uint32_t pad; /* 0 */
};
_Static_assert(sizeof(struct cp_secret) == 24, "cp_secret is 24 bytes");

struct cp_secrets {
    struct cp_array items; /* struct cp_secret, sorted by name, unique */
};
_Static_assert(sizeof(struct cp_secrets) == 8, "cp_secrets is 8 bytes");

/* ---- PROVENANCE: the upstream document's ids, for the run's events ------- */

/* Present when the policy names any of them (`events { spec-id ...; }`,
 * written by `cellc import` from a CellOS document); absent otherwise, so a
 * plan without them is unchanged. Each is "" when not given, else 1..255
 * printable ASCII bytes; pack_version needs pack_id. */
struct cp_provenance {
    cp_str spec_id;        /* data.specId: letters, digits, '-', '_', '.' */
    cp_str correlation_id; /* data.correlationId */
    cp_str pack_id;        /* data.packId: the PolicyPack that admitted the cell */
    cp_str pack_version;   /* data.packVersion */
};
_Static_assert(sizeof(struct cp_provenance) == 16, "cp_provenance is 16 bytes");

/* ---- EXPORT: artifacts copied out of the cell after the workload -------- */

/* Present only when the policy has an `export` section (so a plan without
 * one is unchanged). The supervisor copies each file, opened inside the
 * cell's root, to DIR/<cell id>/<name> (`cellrun --export-dir`). */
#define CP_EXPORT_REQUIRED    1u          /* a failed copy fails the run */
#define CP_EXPORT_DEFAULT_MAX (64u << 20) /* max when not written: 64MiB */
#define CP_EXPORT_MAX_ITEMS   64

struct cp_export_item {
    cp_str name;        /* [A-Za-z0-9_.-]{1,64}, not "." or "..": the file name in DIR/<cell id>/ */
    cp_str path;        /* absolute, normalized path inside the cell */
    uint64_t max_bytes; /* 1 .. 2^40: larger files fail */
    uint32_t flags;     /* CP_EXPORT_REQUIRED */
    uint32_t line;      /* the statement's line in the policy */
};
_Static_assert(sizeof(struct cp_export_item) == 24, "cp_export_item is 24 bytes");

struct cp_export {
    struct cp_array items; /* struct cp_export_item, sorted by name, unique, 1..64 */
};
_Static_assert(sizeof(struct cp_export) == 8, "cp_export is 8 bytes");

/* ---- signature trailer ---------------------------------------------------
 * Optional, after the body. sig is Ed25519 over the DSSE pre-authentication
 * encoding "DSSEv1" SP len(PT) SP PT SP len(M) SP M with
 * PT = "application/vnd.cellos.plan.v1+digest" and M = "sha256:<hex digest>"
 * (lengths in decimal ASCII). Adding it does not change the plan digest. */

#define CP_SIG_MAGIC        "CELLSIG1"
#define CP_SIG_PAYLOAD_TYPE "application/vnd.cellos.plan.v1+digest"

struct cp_signature {
    uint8_t magic[8]; /* CP_SIG_MAGIC */
    uint8_t kid[32];  /* SHA-256 of the raw Ed25519 public key */
    uint8_t sig[64];
};
_Static_assert(sizeof(struct cp_signature) == 104, "signature trailer is 104 bytes");

#endif
