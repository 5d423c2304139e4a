/*
 * cellc_cmds.h - subcommands of `cellc`, one function per subcommand,
 * dispatched by the table in compiler/cellc.c. Each takes the arguments
 * from the subcommand name on (argv[0] is "check", "dump", ...) and returns
 * the process exit status (0 ok, 1 the input has errors, 2 usage or I/O
 * error); none calls exit(). A team adds its subcommand by declaring it
 * here and adding one line to the table in cellc.c.
 */
#ifndef CELLOS_CELLC_CMDS_H
#define CELLOS_CELLC_CMDS_H

/* The subcommands other folders own, each declared in its folder's header. */
#include "compiler/plan/plan_dump.h"
#include "compiler/plan/plan_sign.h"
#include "compiler/seccomp/explain.h"

/* `cellc check [-I DIR]... [--diagnostics=text|json] FILE.cell` (cellc.c):
 * every diagnostic, no plan. */
int cellc_cmd_check(int argc, char **argv);

/* `cellc --emit firecracker-config PLAN` (compiler/vm_emit.c): print the
 * Firecracker --config-file JSON of the plan's vm section. */
int cellc_cmd_emit(int argc, char **argv);

/* `cellc import [--base P] [--syscalls P] DOC` (cellc.c, compiler/doc/):
 * print a CellOS document as the equivalent policy in our language. */
int cellc_cmd_import(int argc, char **argv);

#endif
