/*
 * explain.h - `cellc explain`: what a plan's seccomp filter does with one
 * call, the rule that decided and the path the program took (explain.c).
 */
#ifndef CELLOS_EXPLAIN_H
#define CELLOS_EXPLAIN_H

/* `cellc explain [--arch A] [--data-arch A] PLAN SYSCALL [ARG...]`
 * (explain.c, seccomp team): the filter's verdict for one call, the rule
 * that decided it and the instructions executed. */
int cellc_cmd_explain(int argc, char **argv);

#endif
