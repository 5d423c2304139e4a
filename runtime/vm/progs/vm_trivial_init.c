/*
 * vm_trivial_init.c - the smallest useful guest init, for boot tests and the
 * bench baseline: mount devtmpfs, send one STATUS frame (exited, status 0)
 * on the report channel (ttyS1, raw mode) and end the VM with reboot(2)
 * (QEMU runs with -no-reboot and exits). Built static; PID 1 of a guest.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/vm/vm_channel.h"

int main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, NULL);
    int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        struct termios t;
        if (tcgetattr(fd, &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(fd, TCSANOW, &t);
        }
        struct vm_status st = { .kind = VM_STATUS_EXITED, .value = 0, .records = 0 };
        uint8_t frame[VM_FRAME_MAX];
        size_t n = vm_frame_encode(frame, VM_FRAME_STATUS, 0, &st, sizeof st);
        if (write(fd, frame, n) == (ssize_t)n)
            tcdrain(fd);
        close(fd);
    }
    sync();
    reboot(RB_AUTOBOOT);
    return 1;
}
