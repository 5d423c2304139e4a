/*
 * bpf_disasm.h - classic-BPF seccomp programs as readable text.
 *
 *   0007: jeq  #0x3c, 0014, 0008         ; exit
 *   0013: ret  #0x00050001               ; ERRNO(1) EPERM
 *
 * One line per instruction: the index, the bpf_asm mnemonic and operands,
 * absolute jump targets, and a comment naming what is compared (the
 * seccomp_data field the accumulator holds, found by a forward dataflow
 * over the program; syscall numbers named through the syscall table; audit
 * arches and SECCOMP_RET_* actions by name). Output is deterministic.
 */
#ifndef CELLOS_BPF_DISASM_H
#define CELLOS_BPF_DISASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "plan_format.h"

/* "ALLOW", "KILL_PROCESS", "ERRNO(38) ENOSYS", "TRACE(0x5)", "0x12340000" ... */
const char *bpf_action_name(uint32_t action, char *buf, size_t n);

/* Name of a seccomp_data offset: "nr", "arch", "instruction_pointer",
 * "instruction_pointer_hi", "args[2]", "args[2]_hi"; NULL when k is not a
 * 4-aligned offset below 64. */
const char *bpf_seccomp_data_field(uint32_t k, char *buf, size_t n);

/* "x86_64", "aarch64", "i386", ... or NULL. */
const char *bpf_audit_arch_name(uint32_t audit_arch);

/* Print the program, one line per instruction, each prefixed by `indent`.
 * audit_arch picks the syscall numbering for comments (0: no names).
 * Works on any input, valid or not (unknown opcodes print as ".word").
 * Returns 0, or -1 on an output error or when out of memory. */
int bpf_disasm(FILE *f, const struct cp_bpf_insn *insns, size_t count, uint32_t audit_arch,
               const char *indent);

#endif
