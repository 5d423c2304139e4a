/*
 * vm_channel.c - framing of the guest->host report channel (vm_channel.h).
 * The encoder is used by the guest init; the decoder by the host, which
 * checks every header field before it looks at a payload and keeps no more
 * than one frame of bytes.
 */
#include "vm_channel.h"

#include <stdio.h>
#include <string.h>

uint32_t vm_crc32(const void *buf, size_t n)
{
    const uint8_t *p = buf;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t vm_frame_encode(uint8_t *out, uint16_t type, uint32_t seq, const void *payload, uint16_t len)
{
    put32(out, VM_FRAME_MAGIC);
    put16(out + 4, type);
    put16(out + 6, len);
    put32(out + 8, seq);
    put32(out + 12, 0);
    memcpy(out + VM_FRAME_HDR, payload, len);
    put32(out + 12, vm_crc32(out, VM_FRAME_HDR + len));
    return VM_FRAME_HDR + len;
}

void vm_chan_init(struct vm_chan_decoder *d)
{
    memset(d, 0, sizeof *d);
    d->state = VM_CHAN_OPEN;
}

static int fault(struct vm_chan_decoder *d, const char *what)
{
    d->state = VM_CHAN_FAULT;
    snprintf(d->fault, sizeof d->fault, "report channel: %s (frame %u)", what, d->next_seq);
    return -1;
}

static uint16_t expected_len(uint16_t type)
{
    return type == VM_FRAME_STEP ? 32 : type == VM_FRAME_STATUS ? (uint16_t)sizeof(struct vm_status) : 0;
}

int vm_chan_feed(struct vm_chan_decoder *d, const uint8_t *p, size_t n,
                 int (*on_step)(void *ctx, const struct cell_step_record *r), void *ctx)
{
    if (d->state == VM_CHAN_FAULT)
        return -1;
    while (n > 0) {
        if (d->state == VM_CHAN_DONE)
            return fault(d, "bytes after the status frame");
        /* the header first, checked field by field as it completes */
        size_t want =
            d->have < VM_FRAME_HDR ? VM_FRAME_HDR - d->have : VM_FRAME_HDR + get16(d->buf + 6) - d->have;
        size_t take = n < want ? n : want;
        memcpy(d->buf + d->have, p, take);
        d->have += take;
        p += take;
        n -= take;
        if (d->have < VM_FRAME_HDR)
            continue;
        if (d->have == VM_FRAME_HDR) {
            if (get32(d->buf) != VM_FRAME_MAGIC)
                return fault(d, "bad frame magic");
            uint16_t type = get16(d->buf + 4), len = get16(d->buf + 6);
            if (expected_len(type) == 0)
                return fault(d, "unknown frame type");
            if (len != expected_len(type))
                return fault(d, "wrong payload length for the frame type");
            if (get32(d->buf + 8) != d->next_seq)
                return fault(d, "frame out of sequence");
            continue;
        }
        uint16_t type = get16(d->buf + 4), len = get16(d->buf + 6);
        if (d->have < VM_FRAME_HDR + len)
            continue;
        uint32_t crc = get32(d->buf + 12);
        put32(d->buf + 12, 0);
        if (vm_crc32(d->buf, VM_FRAME_HDR + len) != crc)
            return fault(d, "CRC mismatch");
        d->have = 0;
        d->next_seq++;
        if (type == VM_FRAME_STEP) {
            struct cell_step_record r;
            memcpy(&r, d->buf + VM_FRAME_HDR, sizeof r);
            d->steps++;
            int rc = on_step ? on_step(ctx, &r) : 0;
            if (rc != 0)
                return rc;
        } else {
            memcpy(&d->status, d->buf + VM_FRAME_HDR, sizeof d->status);
            if (d->status.kind != VM_STATUS_EXITED && d->status.kind != VM_STATUS_FAILED)
                return fault(d, "unknown status kind");
            if (d->status.records != d->steps)
                return fault(d, "status counts a different number of records than were received");
            if (d->status.pad != 0)
                return fault(d, "non-zero padding in the status frame");
            d->state = VM_CHAN_DONE;
        }
    }
    return 0;
}
