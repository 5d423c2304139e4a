/*
 * ast.h - the syntax tree of a .cell file, and the arena that owns it.
 *
 * The parser builds one struct ast_file per source file. Every node, string
 * and list lives in a struct arena and is released at once by arena_free():
 * nothing in the tree is freed on its own, so error recovery in the parser
 * can drop half-built nodes without leaking.
 *
 * The tree is close to the text: values keep their raw spelling (a number's
 * digits and unit, a string's unescaped bytes and length) and their source
 * location, so the checker can type each value in its context and point at
 * it when it is wrong.
 */
#ifndef CELLOS_AST_H
#define CELLOS_AST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- arena ------------------------------------------------------------- */

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
    size_t used_total; /* bytes handed out, for limits and tests */
};

void arena_init(struct arena *a);
/* Zeroed memory, 16-byte aligned. Aborts only on out-of-memory (the one
 * condition a compiler cannot report usefully); see ast.c. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);

/* ---- locations --------------------------------------------------------- */

/* file is an index into the diagnostics engine's source list. Lines and
 * columns are 1-based; columns count bytes; end_col is inclusive. */
struct loc {
    uint32_t file;
    uint32_t line, col;
    uint32_t end_line, end_col;
};

/* ---- values ------------------------------------------------------------ */

enum ast_val_kind {
    AV_STRING = 1, /* s/len: the unescaped bytes (may hold NUL; len counts them) */
    AV_NUMBER,     /* s: the raw spelling, e.g. "0755", "0x1f", "64MiB", "1.5", "1500m" */
    AV_WORD,       /* s: an identifier or keyword spelling */
    AV_GROUP,      /* s: "@name" */
    AV_ADDR,       /* s: "10.0.0.0" or "[fd00::]" (brackets kept) */
    AV_STAR,       /* '*' */
    AV_NEG_NUMBER, /* '-' NUMBER in a syscall predicate; s is the number */
};

struct ast_val {
    enum ast_val_kind kind;
    struct loc loc;
    const char *s;
    size_t len;
    struct ast_val *next; /* next element of a list */
};

/* ---- statements -------------------------------------------------------- */

/* Options written after the main value of a statement: `at "/x"`,
 * `optional`, `unsafe "why"`, `size 64MiB`, `mode 0755`, `noexec`,
 * `sha256 "hex"`. The grammar accepts them on every path grant; the checker
 * says which apply to which grant. */
enum ast_opt_kind {
    AO_AT = 1,
    AO_OPTIONAL,
    AO_UNSAFE,
    AO_SIZE,
    AO_MODE,
    AO_NOEXEC,
    AO_SHA256,
    AO_REQUIRED, /* export artifact: a missing file fails the run */
    AO_ANY_NAME, /* egress host rule: no SNI/Host check on its connections */
};

struct ast_opt {
    enum ast_opt_kind kind;
    struct loc loc;      /* of the option keyword */
    struct ast_val *val; /* NULL for flag options */
    struct ast_opt *next;
};

enum ast_stmt_kind {
    /* top level of a cell or pack body */
    AS_BACKEND = 1,
    AS_HOSTNAME,
    AS_LANDLOCK,
    /* process */
    AS_ARGV,
    AS_EXTRA_ARGS,
    AS_ENV_SET,
    AS_ENV_PASS,
    AS_CWD,
    AS_USER,
    AS_GROUP,
    AS_UMASK,
    AS_CAPABILITY,
    AS_RLIMIT,
    AS_PASS_FD,
    /* filesystem */
    AS_RO,
    AS_RW,
    AS_TMPFS,
    AS_WORKSPACE,
    AS_PROC,
    AS_DEV,
    AS_MASK,
    AS_DIR,
    AS_SYMLINK,
    AS_DEVICE,
    /* network egress rules */
    AS_EGRESS_RULE,
    /* limits */
    AS_LIM_MEMORY,
    AS_LIM_PIDS,
    AS_LIM_CPU,
    AS_LIM_WALL,
    AS_LIM_MEMORY_BE,
    AS_LIM_PIDS_BE,
    AS_LIM_CPU_BE,
    /* syscalls */
    AS_SC_DEFAULT,
    AS_SC_RULE,
    AS_SC_ABI,
    /* vm */
    AS_VM_VCPUS,
    AS_VM_MEMORY,
    AS_VM_KERNEL,
    AS_VM_BOOTARGS,
    AS_VM_ROOTFS,
    AS_VM_INITRAMFS_LIMIT,
    /* gvisor */
    AS_GV_PLATFORM,
    /* events */
    AS_EV_SOURCE,
    AS_EV_SUBJECT,
    AS_EV_KEY,
    AS_EV_REQUIRE_DELIVERED, /* require delivered; (no value) */
    AS_EV_SPEC_ID,           /* the provenance section (a CellOS document's ids) */
    AS_EV_CORRELATION_ID,
    AS_EV_PACK_ID,
    AS_EV_PACK_VERSION,
    /* secrets */
    AS_SECRET,
    /* export */
    AS_ARTIFACT,
    /* ceiling (packs) */
    AS_CEIL_MEMORY,
    AS_CEIL_WALL,
    AS_CEIL_PIDS,
    AS_CEIL_CPU,
    AS_CEIL_EGRESS_NONE,
    AS_CEIL_EGRESS_HOSTS,
    AS_CEIL_REQUIRE,
};

/* Syscall actions as written. */
enum ast_action {
    AA_ALLOW = 1,
    AA_KILL_THREAD,
    AA_KILL_PROCESS,
    AA_ERRNO,
    AA_TRAP,
    AA_LOG,
    AA_ENOSYS,
    AA_USER_NOTIFY,
};

enum ast_cmp {
    AC_EQ = 1,
    AC_NE,
    AC_LT,
    AC_LE,
    AC_GT,
    AC_GE,
    AC_IN,
    AC_NOT_IN,
};

/* One comparison of a syscall argument. `arg & mask OP value` when mask is
 * set; `arg in {set}` for AC_IN/AC_NOT_IN. mask and value are `|` lists. */
struct ast_pred {
    struct loc loc; /* the whole comparison */
    struct loc op_loc;
    struct ast_val *arg;
    enum ast_cmp op;
    struct ast_val *mask;  /* list of atoms or'ed together, or NULL */
    struct ast_val *value; /* list of atoms or'ed together (not for IN) */
    struct ast_val *set;   /* IN / NOT_IN members */
    struct ast_pred *next; /* conjunction */
};

/* `name` or `name(pred && pred ...)` or `@group`. */
struct ast_sc_target {
    struct ast_val *name;   /* AV_WORD or AV_GROUP */
    struct ast_pred *preds; /* NULL when unconditional */
    bool has_parens;        /* `name()` written: an error, reported by the checker */
    struct ast_sc_target *next;
};

struct ast_stmt {
    enum ast_stmt_kind kind;
    struct loc loc;        /* the statement's keyword */
    struct ast_val *vals;  /* the main values, in order (see parser for each kind) */
    struct ast_val *vals2; /* a second value list: rlimit hard value, egress port hi,
                                   symlink target, secret target, ... */
    struct ast_opt *opts;
    /* syscalls */
    enum ast_action action;
    struct loc action_loc;
    struct ast_val *errno_val; /* errno(NAME) */
    struct ast_sc_target *targets;
    /* secrets: from-kind and as-kind words (AV_WORD "env"/"file") */
    struct ast_val *from_kind, *as_kind;
    struct ast_stmt *next;
};

enum ast_section_kind {
    SEC_ITEM = 1, /* a single top-level statement: backend, hostname, landlock */
    SEC_PROCESS,
    SEC_FILESYSTEM,
    SEC_NETWORK,
    SEC_LIMITS,
    SEC_SYSCALLS,
    SEC_VM,
    SEC_GVISOR,
    SEC_EVENTS,
    SEC_SECRETS,
    SEC_EXPORT,
    SEC_CEILING,
};

enum ast_net_mode {
    AN_NONE = 1,
    AN_LOOPBACK,
    AN_EGRESS
};

struct ast_section {
    enum ast_section_kind kind;
    struct loc loc;             /* the section keyword */
    enum ast_net_mode net_mode; /* SEC_NETWORK */
    struct loc net_mode_loc;
    struct ast_stmt *stmts; /* in source order */
    struct ast_section *next;
};

/* `use "name";` */
struct ast_use {
    struct ast_val *name; /* AV_STRING */
    struct loc loc;
    struct ast_use *next;
};

/* `cell NAME { ... }` or `pack "NAME" { ... }` */
struct ast_unit {
    bool is_pack;
    struct loc loc; /* the cell/pack keyword */
    struct ast_val *name;
    struct ast_section *sections;
    struct ast_unit *next;
};

/* One top-level item in source order, so the loader can tell a `use`
 * written after the cell. */
struct ast_file {
    uint32_t file;          /* diagnostics source index */
    struct ast_use *uses;   /* in order */
    struct ast_unit *units; /* in order; exactly one is valid */
    struct loc first_unit_loc;
    bool use_after_unit; /* a `use` appeared after a cell/pack */
    struct loc use_after_unit_loc;
};

#endif
