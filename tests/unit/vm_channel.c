/* vm_channel.c - the guest->host report channel: frames round-trip whole
 * or byte by byte, and every kind of corruption is a fault, never a crash. */
#include "tap.h"
#include "runtime/vm/vm_channel.h"

struct seen { int n; struct cell_step_record last; };

static int on_step(void *ctx, const struct cell_step_record *r)
{
    struct seen *s = ctx;
    s->n++;
    s->last = *r;
    return 0;
}

static size_t stream(uint8_t *buf, int steps, uint32_t status_records)
{
    size_t n = 0;
    for (int i = 0; i < steps; i++) {
        struct cell_step_record r = {.magic = CELL_STEP_MAGIC, .step = (uint16_t)(i + 1), .detail = 7u * (uint32_t)i};
        n += vm_frame_encode(buf + n, VM_FRAME_STEP, (uint32_t)i, &r, sizeof r);
    }
    struct vm_status st = {.kind = VM_STATUS_EXITED, .value = 3 << 8, .records = status_records};
    n += vm_frame_encode(buf + n, VM_FRAME_STATUS, (uint32_t)steps, &st, sizeof st);
    return n;
}

static int feed_all(const uint8_t *buf, size_t n, struct vm_chan_decoder *d, struct seen *s, int bytewise)
{
    vm_chan_init(d);
    memset(s, 0, sizeof *s);
    if (!bytewise)
        return vm_chan_feed(d, buf, n, on_step, s);
    for (size_t i = 0; i < n; i++)
        if (vm_chan_feed(d, buf + i, 1, on_step, s) != 0)
            return -1;
    return 0;
}

int main(void)
{
    uint8_t buf[4096];
    struct vm_chan_decoder d;
    struct seen s;
    is_int(vm_crc32("123456789", 9), 0xcbf43926u, "CRC-32 check value");

    size_t n = stream(buf, 5, 5);
    ok(feed_all(buf, n, &d, &s, 0) == 0 && d.state == VM_CHAN_DONE, "whole stream accepted");
    ok(s.n == 5 && s.last.step == 5 && s.last.detail == 28, "five records passed on in order");
    ok(d.status.kind == VM_STATUS_EXITED && d.status.value == (3 << 8), "status decoded");
    ok(feed_all(buf, n, &d, &s, 1) == 0 && d.state == VM_CHAN_DONE && s.n == 5, "byte-by-byte feeding gives the same");

    ok(feed_all(buf, n - 1, &d, &s, 0) == 0 && d.state == VM_CHAN_OPEN, "a truncated stream is still open (silence is judged by the caller)");

    struct { size_t off; uint8_t x; const char *why; } bad[] = {
        {0, 0x01, "magic"}, {4, 0x07, "unknown frame type"}, {6, 0x01, "payload length"},
        {8, 0x01, "out of sequence"}, {12, 0x01, "CRC"}, {20, 0x80, "CRC"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t c[4096];
        memcpy(c, buf, n);
        c[48 + bad[i].off] ^= bad[i].x;   /* corrupt the second frame */
        ok(feed_all(c, n, &d, &s, 0) == -1 && d.state == VM_CHAN_FAULT && strstr(d.fault, bad[i].why) && s.n == 1,
           "corrupt %s -> fault after one good record: %s", bad[i].why, d.fault);
        ok(vm_chan_feed(&d, buf, 16, on_step, &s) == -1, "a faulty channel stays faulty");
    }
    n = stream(buf, 2, 3);
    ok(feed_all(buf, n, &d, &s, 0) == -1 && strstr(d.fault, "different number"), "status record count checked");
    n = stream(buf, 2, 2);
    buf[n] = 0;
    ok(feed_all(buf, n + 1, &d, &s, 0) == -1 && strstr(d.fault, "after the status"), "nothing may follow the status");
    /* a long frame: length field cannot make the decoder read past its buffer */
    uint8_t hdr[16];
    struct cell_step_record r = {0};
    vm_frame_encode(buf, VM_FRAME_STEP, 0, &r, sizeof r);
    memcpy(hdr, buf, 16);
    hdr[6] = 0xff; hdr[7] = 0xff;
    vm_chan_init(&d);
    ok(vm_chan_feed(&d, hdr, 16, on_step, &s) == -1 && strstr(d.fault, "length"), "oversized length refused before any payload is read");
    return done_testing();
}
