/* perf_event_open: observe the host (and a history of kernel bugs). */
#include "probe.h"
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    if (syscall(SYS_perf_event_open, &a, -1, 0, -1, 0) >= 0)
        ESCAPED("system-wide perf event opened");
    if (syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) >= 0)
        ESCAPED("perf event on itself opened");
    CONTAINED("perf_event_open refused (%s)", strerror(errno));
}
