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

/* `cellc check [-I DIR]... [--diagnostics=text|json] FILE.cell` (cellc.c):
 * every diagnostic, no plan. */
int cellc_cmd_check(int argc, char **argv);

/* `cellc sign PLAN --key KEY` (compiler/plan/plan_sign.c, events team): append or
 * replace PLAN's Ed25519 signature trailer in place. */
int cellc_cmd_sign(int argc, char **argv);

/* `cellc dump [--bpf [--arch A]] PLAN` (plan_dump.c): the plan as text, or
 * its raw seccomp program. */
int cellc_cmd_dump(int argc, char **argv);

/* `cellc --emit firecracker-config PLAN` (compiler/vm_emit.c): print the
 * Firecracker --config-file JSON of the plan's vm section. */
int cellc_cmd_emit(int argc, char **argv);

/* `cellc explain [--arch A] [--data-arch A] PLAN SYSCALL [ARG...]`
 * (explain.c, seccomp team): the filter's verdict for one call, the rule
 * that decided it and the instructions executed. */
int cellc_cmd_explain(int argc, char **argv);

#endif
