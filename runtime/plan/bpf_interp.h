/*
 * bpf_interp.h - a classic-BPF interpreter for seccomp programs.
 *
 * Runs a program over a struct seccomp_data exactly as the kernel would
 * (every opcode seccomp accepts, including scratch memory, X, ALU and
 * `ret a`), returns the action and, on request, the path taken. Used by
 * `cellc explain`, by the differential tests (our programs and libseccomp's
 * run side by side here) and by the benchmarks (executed-instruction counts).
 *
 * A program the kernel would refuse is not necessarily refused here: the
 * interpreter only guards its own memory (jumps out of the program, loads
 * outside seccomp_data, unknown opcodes and running off the end are faults).
 * Validate with bpf_check_seccomp() for kernel acceptance.
 */
#ifndef CELLOS_BPF_INTERP_H
#define CELLOS_BPF_INTERP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/seccomp.h>

#include "plan_format.h"

struct bpf_run {
    uint32_t action;   /* the value returned by the program */
    uint32_t executed; /* instructions executed, the return included */
    uint32_t *path;    /* caller's buffer for the program counters visited, or NULL */
    size_t path_cap;   /* its capacity; the path is cut at this length */
    size_t path_len;   /* entries written */
    char fault[128];   /* set when the run faulted ("" otherwise) */
};

/* Run `insns[0..count)` over `data`. Returns 0, or -1 on a fault (then
 * run->fault says why and run->action is SECCOMP_RET_KILL_PROCESS, the
 * verdict a malformed filter deserves). */
int bpf_interp_run(const struct cp_bpf_insn *insns, size_t count, const struct seccomp_data *data,
                   struct bpf_run *run);

/* Convenience: only the action (faults give SECCOMP_RET_KILL_PROCESS). */
uint32_t bpf_interp_action(const struct cp_bpf_insn *insns, size_t count, const struct seccomp_data *data);

/* The kernel's action cache rule (kernel/seccomp.c seccomp_is_const_allow):
 * true when, for this arch and syscall number, the program reaches
 * `ret ALLOW` while loading nothing but `nr` and `arch` and using only the
 * operations the kernel's emulator understands. */
int bpf_const_allow(const struct cp_bpf_insn *insns, size_t count, uint32_t arch, int nr);

/* Longest path (in executed instructions, return included) from the first
 * instruction to any return: a sound bound on the worst case. -1 when the
 * program has a backward or out-of-range jump. */
long bpf_longest_path(const struct cp_bpf_insn *insns, size_t count);

/* The first conditional jump that can be reached with A holding different
 * seccomp_data words on different paths (a compare whose meaning depends on
 * the path: the mark of a generator that forgot a reload), or -1 when every
 * compare sees one word. Only loads and jumps are modelled; an ALU result
 * counts as a word of its own. */
long bpf_ambiguous_compare(const struct cp_bpf_insn *insns, size_t count);

#endif
