/*
 * cellrun_cmds.h - subcommands of `cellrun`, one function per subcommand,
 * dispatched by runtime/supervisor/cellrun.c. Each takes the arguments from the
 * subcommand name on (argv[0] is "keygen", "verify", ...) and returns the
 * process exit status; none calls exit().
 */
#ifndef CELLOS_CELLRUN_CMDS_H
#define CELLOS_CELLRUN_CMDS_H

/* One row of the dispatch table in runtime/supervisor/cellrun.c: `cellrun NAME ...`
 * runs `run` with argv from NAME on; anything that is not a subcommand name
 * is `cellrun [options] PLAN [-- args]` (cellrun_cmd_run). */
struct cellrun_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary; /* one line for `cellrun --help` */
};

/* `cellrun run [options] PLAN [-- ARGS]` = `cellrun [options] PLAN [-- ARGS]`
 * (runtime/supervisor/cellrun.c): run a plan; the exit statuses are in supervisor.h. */
int cellrun_cmd_run(int argc, char **argv);

/* `cellrun keygen PREFIX` (runtime/events/keys_cmd.c): writes PREFIX.key (0600),
 * PREFIX.pub and PREFIX.trust.json, refusing to overwrite any, and prints
 * the kid. Exit 0, or 1 with a one-line message. */
int cellrun_cmd_keygen(int argc, char **argv);

/* `cellrun verify EVENTS (--trust KEYS.json | --unsigned) [--plan PLAN]`
 * (runtime/events/verify.c). Exit 0 verified and sealed, 3 verified but not sealed
 * (cut off), 1 anything else (the first bad line and why on stderr). */
int cellrun_cmd_verify(int argc, char **argv);

/* `cellrun --print-oci-config [--portable | --bundle DIR] PLAN [-- ARGS]`
 * (runtime/gvisor/oci_cmd.c): the gvisor backend's config.json for PLAN. */
int cellrun_cmd_oci_config(int argc, char **argv);

#endif
