/*
 * event_types.h - the CloudEvents types CellOS emits and the fixed strings
 * of its signing scheme. docs/events.md is the full specification of the
 * stream (attributes, canonical form, chain, signature, seal); this header
 * only names things so that every backend and the verifier agree.
 */
#ifndef CELLOS_EVENT_TYPES_H
#define CELLOS_EVENT_TYPES_H

#define CELL_EV_PREFIX      "dev.cellos.events.cell."
#define CELL_EV_STARTED     "dev.cellos.events.cell.lifecycle.v1.started"
#define CELL_EV_COMPLETED   "dev.cellos.events.cell.command.v1.completed"
#define CELL_EV_DESTROYED   "dev.cellos.events.cell.lifecycle.v1.destroyed"
#define CELL_EV_STEP_PREFIX "dev.cellos.events.cell.step.v1." /* + cell_step_name() or a supervisor step */
#define CELL_EV_SEALED      "dev.cellos.events.cell.stream.v1.sealed"
/* The supervisor refused a system call the plan's filter kills, and killed
 * the caller before the call ran (docs/events.md). */
#define CELL_EV_SECCOMP_DENIED "dev.cellos.events.cell.seccomp.v1.denied"

/* Supervisor-side steps (not from the cell's step records). */
#define CELL_EV_STEP_PLAN_VERIFIED CELL_EV_STEP_PREFIX "plan_verified"
#define CELL_EV_STEP_DOWNGRADE     CELL_EV_STEP_PREFIX "downgrade" /* an explicit flag lowered a guarantee */
#define CELL_EV_STEP_TEARDOWN      CELL_EV_STEP_PREFIX "teardown"

/* Egress (runtime/net/, docs/network.md): "dns_query", "flow_refused",
 * "name_unresolved", "rule_counters" are appended to this prefix. */
#define CELL_EV_NETWORK_PREFIX "dev.cellos.events.cell.network.v1."

/* Artifact export (runtime/export/, docs/events.md): "completed" (name,
 * size, sha256, cellId) or "failed" (name, reason, cellId) per artifact. */
#define CELL_EV_EXPORT_PREFIX    "dev.cellos.events.cell.export.v2."
#define CELL_EV_EXPORT_COMPLETED CELL_EV_EXPORT_PREFIX "completed"
#define CELL_EV_EXPORT_FAILED    CELL_EV_EXPORT_PREFIX "failed"

/* DSSE payload type of an event signature. */
#define CELL_EV_PAYLOAD_TYPE "application/vnd.cellos.event.v1+json"

#endif
