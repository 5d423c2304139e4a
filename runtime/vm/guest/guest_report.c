/*
 * guest_report.c - the guest's report sink: each struct cell_step_record
 * goes out as one CVF1 frame (vm_channel.h) with one write(2) on the report
 * channel (a raw-mode serial port or a vsock stream). The frame counter is
 * shared between the init and its forked workload child, so their frames
 * form one numbered stream; the host rejects any gap or repeat.
 */
#include "guest_init.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/vm/vm_channel.h"
#include "runtime/lib/sys_util.h"

struct guest_sink {
    uint32_t seq;     /* next frame number */
    uint32_t records; /* STEP frames sent */
    int32_t result;   /* the cell's outcome, set by the cell process (guest_report_result) */
};

static int emit(struct cell_report *self, const struct cell_step_record *rec)
{
    struct guest_sink *s = self->ctx;
    uint8_t frame[VM_FRAME_MAX];
    uint32_t seq = __atomic_fetch_add(&s->seq, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&s->records, 1, __ATOMIC_SEQ_CST);
    size_t n = vm_frame_encode(frame, VM_FRAME_STEP, seq, rec, sizeof *rec);
    return sys_write_all(self->fd, frame, n);
}

int guest_report_init(struct cell_report *r, int fd)
{
    memset(r, 0, sizeof *r);
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return -1;
    r->emit = emit;
    r->fd = fd;
    r->ctx = page;
    return 0;
}

int guest_report_status(struct cell_report *r, uint32_t kind, uint32_t value)
{
    struct guest_sink *s = r->ctx;
    struct vm_status st = { .kind = kind, .value = value, .records = s->records };
    uint8_t frame[VM_FRAME_MAX];
    size_t n = vm_frame_encode(frame, VM_FRAME_STATUS, s->seq++, &st, sizeof st);
    return sys_write_all(r->fd, frame, n);
}

void guest_report_set_result(struct cell_report *r, int result)
{
    struct guest_sink *s = r->ctx;
    __atomic_store_n(&s->result, result, __ATOMIC_SEQ_CST);
}

int guest_report_result(const struct cell_report *r)
{
    const struct guest_sink *s = r->ctx;
    return __atomic_load_n(&s->result, __ATOMIC_SEQ_CST);
}
