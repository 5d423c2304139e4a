/*
 * vm_channel.h - the framed guest->host report channel of the VM backend.
 *
 * The guest's init writes its step records and, last, one status frame to a
 * dedicated serial port (never the console or the workload's output). The
 * host treats every byte as hostile: the decoder accepts only whole frames
 * with the right magic, a known type, the exact payload length for that
 * type, the next sequence number and a matching CRC-32, and after the status
 * frame nothing at all. Any violation is a protocol fault that ends the cell
 * (terminalState Forced); the decoder never resynchronises.
 *
 * Frame (little-endian, 16-byte header + payload):
 *   u32 magic "CVF1" (0x31465643) | u16 type | u16 payload length |
 *   u32 sequence (0, 1, 2, ...) | u32 CRC-32 (IEEE) of header-with-crc-0 and payload
 * Types: 1 STEP, payload one struct cell_step_record (32 bytes);
 *        2 STATUS, payload struct vm_status (16 bytes), the last frame.
 */
#ifndef CELLOS_VM_CHANNEL_H
#define CELLOS_VM_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "step_record.h"

#define VM_FRAME_MAGIC  0x31465643u /* "CVF1" */
#define VM_FRAME_HDR    16u
#define VM_FRAME_STEP   1u
#define VM_FRAME_STATUS 2u
#define VM_FRAME_MAX    (VM_FRAME_HDR + 32u)

/* How the guest's run ended, as its init saw it. */
#define VM_STATUS_EXITED 1u /* value: the exit status the init computed (code, or 128+signal) */
#define VM_STATUS_FAILED 2u /* a set-up step failed; value: the step number */

struct vm_status {
    uint32_t kind; /* VM_STATUS_* */
    uint32_t value;
    uint32_t records; /* STEP frames sent before this one */
    uint32_t pad;     /* 0 */
};
_Static_assert(sizeof(struct vm_status) == 16, "vm_status is 16 bytes");

uint32_t vm_crc32(const void *buf, size_t n);

/* Encode one frame into out (at least VM_FRAME_MAX bytes); returns its size. */
size_t vm_frame_encode(uint8_t *out, uint16_t type, uint32_t seq, const void *payload, uint16_t len);

enum vm_chan_state {
    VM_CHAN_OPEN,
    VM_CHAN_DONE,
    VM_CHAN_FAULT
};

struct vm_chan_decoder {
    enum vm_chan_state state;
    uint8_t buf[VM_FRAME_MAX];
    size_t have;
    uint32_t next_seq;
    uint32_t steps;          /* STEP frames accepted */
    struct vm_status status; /* valid in VM_CHAN_DONE */
    char fault[160];         /* VM_CHAN_FAULT: what was wrong */
};

void vm_chan_init(struct vm_chan_decoder *d);

/* Feed bytes. For each accepted STEP frame, on_step(ctx, record) is called;
 * a non-zero return from it stops decoding with that value. Returns 0, the
 * callback's value, or -1 when the stream became faulty (d->fault says why;
 * later calls keep returning -1). Record contents are passed on unchecked:
 * their meaning is judged by the caller (ev_step). */
int vm_chan_feed(struct vm_chan_decoder *d, const uint8_t *p, size_t n,
                 int (*on_step)(void *ctx, const struct cell_step_record *r), void *ctx);

#endif
