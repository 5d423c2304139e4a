/*
 * export.h - artifact export (`cellrun --export-dir DIR`): after the
 * workload exits, while the cell's init still holds its mounts, copy each
 * artifact of the plan's export section out of the cell into
 * DIR/<cell id>/<name>, with one signed export event per artifact.
 */
#ifndef CELLOS_EXPORT_H
#define CELLOS_EXPORT_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/events/events.h"
#include "runtime/lib/error.h"
#include "plan.h"

/* Copy every artifact of p out of the cell whose init is cell_pid (alive,
 * holding the cell's mounts) into dir/cell_id/. Each artifact gets an
 * export completed or failed event on ev. *required_failed is set when a
 * CP_EXPORT_REQUIRED artifact failed (its message in why). Returns -1 with
 * e only when the event stream failed. */
int export_artifacts(const struct plan *p, pid_t cell_pid, const char *dir, const char *cell_id,
                     struct ev_stream *ev, bool *required_failed, char *why, size_t why_len,
                     struct cell_error *e);

#endif
