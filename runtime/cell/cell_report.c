/*
 * cell_report.c - the cell's report sink: one 32-byte struct
 * cell_step_record per step. The native sink writes each record with one
 * write(2) to a close-on-exec pipe (atomic: 32 <= PIPE_BUF), so records from
 * the init and the workload child never interleave within a record.
 */
#include "cell_side.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fd_emit(struct cell_report *self, const struct cell_step_record *rec)
{
    for (;;) {
        ssize_t n = write(self->fd, rec, sizeof *rec);
        if (n == (ssize_t)sizeof *rec)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n >= 0)
            errno = EIO; /* a short write on a pipe: the reader is gone */
        return -1;
    }
}

void cell_report_fd_init(struct cell_report *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->emit = fd_emit;
    r->fd = fd;
}

int cell_report_step(struct cell_report *r, uint16_t step, uint16_t result, uint32_t op_index, int err,
                     uint32_t detail)
{
    struct cell_step_record rec;
    memset(&rec, 0, sizeof rec);
    rec.magic = CELL_STEP_MAGIC;
    rec.step = step;
    rec.result = result;
    rec.op_index = op_index;
    rec.err = err;
    rec.detail = detail;
    rec.mono_ns = sys_now_ns();
    int saved = errno;
    int r2 = r->emit(r, &rec);
    if (r2 == 0)
        errno = saved;
    return r2;
}
