/*
 * lower.h - lower a checked policy's filesystem grants into the plan's
 * mount op program (docs/language.md, "Lowering").
 *
 * Deterministic: the program depends only on the grants. ROOTFS first;
 * then the grants in destination order (component-wise, parents first,
 * ties in written order), each preceded by the MKDIRs its parents need in
 * the cell's own tmpfs trees; then PIVOT_ROOT, a read-only REMOUNT of "/",
 * and CHDIR to the cwd.
 */
#ifndef CELLOS_LOWER_H
#define CELLOS_LOWER_H

#include "check.h"

#define LOWER_ROOTFS_SIZE (1024u * 1024)
#define LOWER_ROOTFS_MODE 0755
#define LOWER_MKDIR_MODE  0755

/* Fill pol->plan.fs from pol->grants (arena-owned). Cannot fail on a policy
 * that policy_check accepted. */
void policy_lower(struct arena *a, struct policy *pol);

#endif
