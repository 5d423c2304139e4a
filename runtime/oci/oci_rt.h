/*
 * oci_rt.h - cellrun as an OCI runtime (the runc command line): what the
 * files of runtime/oci/ share.
 *
 *   oci_cli.c        global flags, command dispatch, create/start/state/
 *                    kill/delete/run/features/--version
 *   oci_conf.c       /etc/cellos/runtime.conf
 *   oci_state.c      the per-container state directory under --root
 *   oci_translate.c  config.json -> policy text (.cell), refusing what the
 *                    host does not allow (every violation listed)
 *   oci_compile.c    policy text -> plan bytes with the compiler library
 *   oci_shim.c       the per-container supervisor process (create)
 *   oci_exec.c       exec: a process in a running cell, same authority
 *   oci_events.c     the refusal and exec events
 *   oci_join.c       linux.namespaces[].path: the engine's namespaces a
 *                    container joins (network, ipc, uts), checked and held
 *
 * This folder reads OCI bundles; runtime/gvisor/oci_*.c writes them for
 * runsc. The two share only the JSON helpers.
 */
#ifndef CELLOS_OCI_RT_H
#define CELLOS_OCI_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "runtime/events/jcs.h"

#define OCI_DEFAULT_ROOT    "/run/cellrun"
#define OCI_DEFAULT_CONF    "/etc/cellos/runtime.conf"
#define OCI_VERSION         "1.0.2"
#define OCI_EXIT_ERR        1 /* runc's status for a failed command */
#define CELLRUN_OCI_VERSION "0.1.0"

/* Global flags and the log (--log FILE, --log-format text|json). */
struct ocr_global {
    const char *root;
    const char *log_path;
    bool log_json;
    bool debug;
};

/* Messages: to stderr and, with --log, to the log file (JSON lines with
 * --log-format json, as runc writes them: level, msg, time). */
void ocr_log(const struct ocr_global *g, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- runtime.conf (oci_conf.c) -------------------------------------------- */
struct ocr_conf {
    char path[512];
    char key[512];     /* signing key; empty with unsigned */
    bool unsigned_run; /* unsigned = yes */
    char events[512];  /* the event sink: a file */
    char trust[512];   /* trust file for io.cellos.plan plans; may be empty */
    char backend[16];  /* native (default), gvisor, vm */
    char pack[512];    /* the host pack (default /etc/cellos/oci.cell) */
    char caps[1024];   /* allow_capabilities: comma separated */
    char devices[1024];
    char roots[2048];      /* allow_roots: prefixes a root.path outside the bundle may lie in */
    char binds[2048];      /* allow_binds: prefixes a protected bind source may lie in */
    char join[128];        /* allow_join: namespace types a container may join by path */
    char hooks[2048];      /* allow_hooks: prefixes a hook's path must lie in (default: none) */
    char state_root[1024]; /* not from the file: --root, set by create (never bound in) */
};
/* Load CELLOS_RUNTIME_CONF or /etc/cellos/runtime.conf; -1 with why. */
int ocr_conf_load(struct ocr_conf *c, char *why, size_t whylen);
/* Is item in the comma/space separated list? */
bool ocr_list_has(const char *list, const char *item);
/* Does path lie within (or equal) one of the list's prefixes? */
bool ocr_list_within(const char *list, const char *path);

/* A short signed stream of its own (oci_events.c): started, the step
 * (container, configdigest, what_key = what), destroyed (ok or failed), seal. */
int ocr_event(const struct ocr_conf *c, const char *id, const char *digest, const char *step,
              const char *what_key, const char *what, bool ok, char *why, size_t whylen);

/* ---- state (oci_state.c) ----------------------------------------------------- */
struct ocr_state {
    char id[256];
    char dir[1024]; /* --root/ID */
    char bundle[1024];
    pid_t pid;          /* the container's supervisor (what the engine waits on) */
    pid_t cell_pid;     /* the cell's init (exec joins its namespaces) */
    uint64_t starttime; /* of pid, /proc/PID/stat field 22: guards against reuse */
    bool started;
    bool set_up; /* created with every set-up step done, the workload waiting before exec */
    bool exited;
    int exit_status;
    char created[40];
    char config_sha256[72];
    char annotations[8192]; /* JSON object text */
};
enum ocr_status {
    OCI_CREATING,
    OCI_CREATED,
    OCI_RUNNING,
    OCI_STOPPED
};
const char *ocr_status_name(enum ocr_status s);

/* The id rules: 1..255 bytes of [A-Za-z0-9_.+-], not "." or "..". */
int ocr_id_check(const char *id, char *why, size_t whylen);
/* Make --root (0700) if missing; refuse a symlink, a non-directory, one
 * owned by another user or writable by others. */
int ocr_root_open(const char *root, char *why, size_t whylen);
/* Load ID's state; -1 with why (no such container: *missing set). */
int ocr_state_load(const char *root, const char *id, struct ocr_state *st, bool *missing, char *why,
                   size_t whylen);
/* Write st to DIR/state.json atomically. */
int ocr_state_save(const struct ocr_state *st, char *why, size_t whylen);
enum ocr_status ocr_state_status(const struct ocr_state *st);
/* For a command: load ID's state, logging why it cannot be loaded (the
 * --log sink); returns its status, or -1. */
int ocr_state_get(const struct ocr_global *g, const char *id, struct ocr_state *st);
/* "--name=value": the option's name (copied into name[n]) with *value set;
 * any other argument is returned as it is and *value left alone. */
const char *ocr_opt_split(const char *arg, char *name, size_t n, const char **value);
/* The start time of a process (field 22), 0 when it is gone; *zombie set
 * when it has exited but is not reaped. */
/* The parent pid of pid (/proc/PID/stat field 4), or -1. */
pid_t ocr_proc_ppid(pid_t pid);
uint64_t ocr_proc_starttime(pid_t pid, bool *zombie);
/* The OCI state JSON (what `state` prints and hooks read on stdin). */
void ocr_state_print(FILE *f, const struct ocr_state *st, enum ocr_status s);
/* s as a JSON string: quoted, '"', '\\' and control bytes escaped, every
 * other byte as it is. */
void ocr_json_str(FILE *f, const char *s);
/* Remove DIR and the files cellrun puts there. */
int ocr_state_remove(const char *dir);

/* ---- config.json -> policy (oci_translate.c) ------------------------------- */
struct ocr_bundle {
    char bundle[1024]; /* absolute, resolved */
    char *config;      /* config.json bytes */
    size_t config_len;
    char config_sha256[72];
    struct jcs_doc *doc;
    const struct jcs_value *root; /* the parsed config */
    /* from annotations */
    char backend[16];
    char pack_name[128];
    char plan_path[1024];
    char pod[128], pod_ns[128];
    bool terminal;
};
/* Read and parse BUNDLE/config.json; -1 with why naming the problem. */
int ocr_bundle_load(const char *bundle_dir, struct ocr_bundle *b, char *why, size_t whylen);
void ocr_bundle_free(struct ocr_bundle *b);

/* A growing list of messages (violations, notes). */
struct ocr_msgs {
    char **v;
    size_t n;
};
void ocr_msgs_add(struct ocr_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ocr_msgs_free(struct ocr_msgs *m);

/* Translate the bundle into policy text (malloc'd, *text) using the host
 * pack named pack_name; every violation goes to viol (then -1). Notes are
 * narrowings the log should show (mounts not made, ...). */
int ocr_translate(const struct ocr_bundle *b, const struct ocr_conf *c, const char *pack_name, char **text,
                  struct ocr_msgs *viol, struct ocr_msgs *notes);

/* ---- namespaces joined by path (oci_join.c) ----------------------------------- */
#define OCI_MAX_JOINS 3
struct ocr_join {
    int type;          /* CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS */
    int fd;            /* the namespace, opened (and checked) at create */
    char name[8];      /* "net", "ipc", "uts" (as in /proc/PID/ns) */
    char path[256];    /* as config.json names it */
    unsigned long ino; /* the namespace's inode: net:[INO] */
};
struct ocr_joins {
    struct ocr_join v[OCI_MAX_JOINS];
    size_t n;
    unsigned long flags; /* the CLONE_NEW* types joined */
};
/* Open every linux.namespaces[].path of the config: the type must be in
 * runtime.conf allow_join (and one of network, ipc, uts), the file a
 * namespace of that type, and not the host's own (/proc/1/ns/TYPE) nor
 * cellrun's; each violation goes to viol (then -1). j->n == 0 when the
 * container joins none. */
int ocr_joins_open(const struct jcs_value *cfg, const struct ocr_conf *c, struct ocr_joins *j,
                   struct ocr_msgs *viol);
void ocr_joins_close(struct ocr_joins *j);
/* In the container's supervisor, before its cell is cloned: enter every
 * joined namespace (the cell, cloned without those types, shares them);
 * -1 with why. */
int ocr_joins_enter(const struct ocr_joins *j, char *why, size_t whylen);
/* In the supervisor, once the cell exists: enter the cell's own network,
 * ipc and uts namespaces (those not joined), so that /proc/PID/ns/ of the
 * container's pid (the supervisor's) are the container's, as engines read
 * them to let the next container of a pod join; -1 with why. */
int ocr_wear_cell_ns(pid_t cell, unsigned long joined, char *why, size_t whylen);

/* ---- hooks (oci_hooks.c) --------------------------------------------------------- */
/* Check config.json's hooks: every path absolute and within runtime.conf
 * allow_hooks (default none: hooks refused), args/env strings, timeout > 0;
 * each violation to viol (then -1). *any: the config has a hook. */
int ocr_hooks_check(const struct jcs_value *cfg, const struct ocr_conf *c, bool *any, struct ocr_msgs *viol);
/* Keep the hooks object as DIR/hooks.json (for start and delete). */
int ocr_hooks_save(const char *dir, const struct jcs_value *cfg, char *why, size_t whylen);
/* Where a hook runs: the runtime's namespaces (host_ns: descriptors of
 * cellrun's own net, ipc, uts namespaces to go back to, or NULL when the
 * caller is in them), or the container's (those of cell_pid, the user
 * namespace excepted: a hook is the host's authority). */
enum ocr_hook_ns {
    OCI_HOOK_RUNTIME,
    OCI_HOOK_CONTAINER,
    OCI_HOOK_CELL /* startContainer: `cellrun exec` into the created container */
};
/* Run every hook of kind ("prestart", "createRuntime", ...) from
 * DIR/hooks.json (st->dir; or the text in json when not NULL), in order,
 * the state JSON (status s) on its stdin, killed after its timeout. Each
 * run is a signed `oci_hook` event. resolve_host: the path is resolved in
 * the runtime's mount namespace even when the hook runs in the
 * container's. Returns 0, or -1 at the first that fails (why says which). */
int ocr_hooks_run(const struct ocr_conf *c, const struct ocr_state *st, enum ocr_status s, const char *json,
                  const char *kind, enum ocr_hook_ns where, bool resolve_host, const int host_ns[3],
                  char *why, size_t whylen);
/* DIR/hooks.json's text, or NULL when the container has none. */
char *ocr_hooks_load(const char *dir);

/* ---- policy -> plan (oci_compile.c) ---------------------------------------- */
/* Compile text against the pack directory; every diagnostic line goes to
 * viol on failure. */
int ocr_compile(const char *text, const char *pack_dir, uint8_t **plan, size_t *plan_len,
                struct ocr_msgs *viol);

/* ---- the container's supervisor (oci_shim.c) --------------------------------- */
struct ocr_create_opts {
    const char *id;
    const char *bundle;
    const char *pid_file;
    const char *console_socket;
    bool foreground; /* `run` without --detach: this process is the supervisor */
};
/* create (or run): returns the exit status of the command. */
int ocr_create(const struct ocr_global *g, const struct ocr_create_opts *o);
/* write one byte to the container's start fifo, wait until it runs */
int ocr_start(const struct ocr_global *g, const char *id);

/* ---- exec (oci_exec.c) ---------------------------------------------------------- */
int ocr_cmd_exec(const struct ocr_global *g, int argc, char **argv);

/* helpers (oci_state.c) */
int ocr_write_file(const char *path, const void *data, size_t len, int mode, char *why, size_t whylen);
/* --pid-file: the pid in decimal, written by the repo's one output rule
 * (runtime/lib/out_file.h): never through a symlink, a device written in
 * place, never renamed over. */
int ocr_write_pid_file(const char *path, pid_t pid, char *why, size_t whylen);
int ocr_read_file(const char *path, size_t max, char **out, size_t *len, char *why, size_t whylen);
void ocr_sha256_hex(const void *data, size_t len, char out[72]);
int ocr_send_fd(const char *socket_path, int fd, char *why, size_t whylen);

#endif
