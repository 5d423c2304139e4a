/*
 * seccomp_gen_internal.h - the seccomp code generator's intermediate form,
 * shared by seccomp_gen.c (policy -> IR), seccomp_gen_tree.c (balanced
 * decision trees over 32-bit words) and seccomp_gen_ir.c (IR nodes,
 * redundant-load removal, layout into classic BPF with far-jump
 * trampolines). Internal to the seccomp module.
 *
 * The IR is a DAG of four node kinds: RET (a verdict), LD (load a word of
 * seccomp_data into A), AND (A &= k) and JMP (jeq/jgt/jge/jset against a
 * constant, two successors). Nodes are created bottom-up, so a node's
 * successors always have smaller indices. Nodes are hash-consed within a
 * scope (one scope per syscall argument block, scope 0 for the syscall
 * number tree; RET nodes are global), so identical code is shared and a
 * block's nodes belong to that block alone, which makes the per-block
 * redundant-load removal sound.
 */
#ifndef CELLOS_SECCOMP_GEN_INTERNAL_H
#define CELLOS_SECCOMP_GEN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "plan_format.h"

enum ir_kind {
    IR_RET = 1,
    IR_LD,
    IR_AND,
    IR_JMP
};

struct ir_node {
    uint8_t kind;
    uint8_t op;   /* IR_JMP: BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET */
    uint32_t k;   /* RET: action; LD: offset; AND: mask; JMP: constant */
    int32_t t, f; /* JMP: successors; LD/AND: t is the next node */
    int32_t scope;
    int32_t owner; /* rule index whose compilation created the node, -1 for structure */
    uint32_t cost; /* longest path to a return, in instructions, this node included */
};

struct ir {
    struct ir_node *n;
    size_t len, cap;
    int32_t *slots; /* open-addressing hash of node indices, -1 empty */
    size_t nslots;
    int32_t scope;   /* scope of nodes created now */
    int32_t owner;   /* owner of nodes created now */
    int oom;         /* an allocation failed: every constructor returns -1 from then on */
    int prefer_size; /* decision trees: fewest instructions first, then depth */
};

void ir_init(struct ir *ir);
void ir_free(struct ir *ir);

/* Constructors: return the node index, or -1 after an allocation failure
 * (the -1 propagates: passing -1 as a successor yields -1). */
int32_t ir_ret(struct ir *ir, uint32_t action);
int32_t ir_ld(struct ir *ir, uint32_t off, int32_t next);
int32_t ir_and(struct ir *ir, uint32_t mask, int32_t next);
/* A jump whose successors are equal is folded into that successor. */
int32_t ir_jmp(struct ir *ir, uint8_t op, uint32_t k, int32_t t, int32_t f);

/* Remove the loads of the block rooted at `root` that reload the word A
 * already holds on every path (`entry_word` is the word in A on entry, as a
 * seccomp_data offset, or -1). Only nodes of the root's scope are touched;
 * they all have indices in [first, root]. Returns the (possibly new) root
 * and recomputes the costs of the block. */
int32_t ir_drop_redundant_loads(struct ir *ir, int32_t first, int32_t root, int entry_word);

/* Lay the DAG rooted at `root` out as classic BPF (jumps forward only,
 * at most 255 instructions for jt/jf, farther targets through `ja`
 * trampolines or a nearby copy of the return). On success returns 0 with a
 * malloc'ed program in *out / *count and, when owners is not NULL, a
 * malloc'ed array giving for each instruction the owner of the node it came
 * from. Returns -1 on allocation failure. */
int ir_assemble(struct ir *ir, int32_t root, struct cp_bpf_insn **out, size_t *count, int32_t **owners);

/* ---- decision trees over one 32-bit word (seccomp_gen_tree.c) ---------- */

/* A segment [lo, next segment's lo - 1] (the last runs to 0xffffffff) whose
 * inputs go to `node`. Segments are sorted by lo, the first has lo 0. */
struct ir_segment {
    uint32_t lo;
    int32_t node;
};

/* Build the decision tree that sends every value of A to the node of its
 * segment, assuming A already holds the word. Adjacent segments with the
 * same node are merged; single values between two segments going to the
 * same node are split off with `jeq` chains when that helps; the tree shape
 * minimises the longest path (tree depth plus the cost of the node reached),
 * then the size. Returns the root, or -1 on allocation failure. */
int32_t ir_segment_tree(struct ir *ir, const struct ir_segment *seg, size_t n);

#endif
