/*
 * plan_dump.h - `cellc dump`: a plan, every section and op, as stable text.
 *
 *   cellc dump PLAN                      human-readable, one section per block
 *   cellc dump --bpf [--arch A] PLAN     the raw seccomp program for the native
 *                                        (or named) arch: struct sock_filter[]
 *
 * The text is deterministic (golden tests compare it byte for byte): the same
 * plan always prints the same, on any host. Exit status: 0 ok; 1 the plan is
 * invalid (or has no program for the arch); 2 usage or I/O error.
 */
#ifndef CELLOS_PLAN_DUMP_H
#define CELLOS_PLAN_DUMP_H

#include <stddef.h>
#include <stdio.h>
#include "plan.h"

/* Print plan `p` (read from `name`, `file_size` bytes) to f. Returns 0, or
 * -1 on an output error. */
int plan_dump(FILE *f, const struct plan *p, const char *name, size_t file_size);

int cellc_cmd_dump(int argc, char **argv);

/* `cellc dump [--bpf [--arch A]] PLAN` (plan_dump.c): the plan as text, or
 * its raw seccomp program. */
int cellc_cmd_dump(int argc, char **argv);

#endif
