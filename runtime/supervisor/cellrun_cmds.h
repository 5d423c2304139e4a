/*
 * cellrun_cmds.h - subcommands of `cellrun`, one function per subcommand,
 * dispatched by runtime/supervisor/cellrun.c. Each takes the arguments from the
 * subcommand name on (argv[0] is "keygen", "verify", ...) and returns the
 * process exit status; none calls exit().
 */
#ifndef CELLOS_CELLRUN_CMDS_H
#define CELLOS_CELLRUN_CMDS_H

/* The subcommands other folders own, each declared in its folder's header. */
#include "runtime/events/keys.h"
#include "runtime/events/verify.h"
#include "runtime/gvisor/gvisor.h"

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

/* `cellrun flush SPOOLDIR [--give-up-ms N]` (runtime/supervisor/supervisor_sinks.c):
 * execs cellsend flush: deliver every finished run left in the spool. Exit 0
 * all delivered, 1 some left, 2 an unreadable spool, 125 no cellsend. */
int cellrun_cmd_flush(int argc, char **argv);

/* The OCI runtime command line (runtime/oci/oci_cli.c, docs/oci.md):
 * `cellrun [--root DIR] [--log F] [--log-format json] create|start|state|
 * kill|delete|run|exec|features ...`. cellrun_is_oci_invocation() tells
 * such a command line from `cellrun [run] PLAN`. */
#include <stdbool.h>
bool cellrun_is_oci_invocation(int argc, char **argv); /* runtime/oci/oci_argv.c */
int cellrun_cmd_oci(int argc, char **argv);

/* cellrun_cli.c: the whole command line; an OCI one goes to oci
 * (cellrun_cmd_oci in cellrun-oci, cellrun_exec_oci in cellrun). */
int cellrun_main(int argc, char **argv, int (*oci)(int argc, char **argv));
/* exec `cellrun-oci` from cellrun's own directory with the same argv;
 * returns (125, one line on stderr) only when that fails */
int cellrun_exec_oci(int argc, char **argv);

#endif
