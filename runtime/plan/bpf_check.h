/*
 * bpf_check.h - validate a classic-BPF seccomp program the way the kernel
 * does before loading it (bpf_check_classic + seccomp_check_filter), plus the
 * plan format's own rule on return values.
 *
 * Used by the plan reader on every program of a plan, so a plan that passes
 * the reader never makes seccomp(2) fail with EINVAL because of its program.
 */
#ifndef CELLOS_BPF_CHECK_H
#define CELLOS_BPF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "plan_format.h"
#include "runtime/lib/error.h"

#define BPF_CHECK_MAX_INSNS   4096u /* BPF_MAXINSNS */
#define BPF_SECCOMP_DATA_SIZE 64u   /* sizeof(struct seccomp_data) */

/* e.msg: one line, e.g. "jeq: jump false target 17 is past the end (12 insns)" */
struct bpf_check_error {
    struct cell_error e;
    uint32_t insn; /* index of the faulty instruction (count for length faults) */
};

/* True when `action` is a seccomp return value a plan may use: KILL_PROCESS,
 * KILL_THREAD, TRAP, LOG, ALLOW, USER_NOTIF with data 0, or ERRNO with errno
 * 1..4095. TRACE and unknown actions are refused. */
bool bpf_seccomp_action_valid(uint32_t action);

/* Check `count` instructions: length 1..4096; only opcodes seccomp accepts;
 * ALU shifts < 32 and no division by a constant 0; scratch memory slots
 * < 16 and never read before written on every path; every jump lands inside
 * the program; loads of seccomp_data 4-aligned and < 64; the last
 * instruction a return; every `ret #k` returns a valid action (above).
 * Returns 0, or -1 with *err filled (err may be NULL). */
int bpf_check_seccomp(const struct cp_bpf_insn *insns, size_t count, struct bpf_check_error *err);

#endif
