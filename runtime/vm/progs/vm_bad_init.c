/*
 * vm_bad_init.c - a hostile guest init for the vm tests: it reports a well
 * formed GUEST_BOOT frame, then a frame with a bad CRC, then floods the
 * channel. The host must end the cell as Forced, never pass the forged
 * record on. Built static; PID 1 of a guest.
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
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
    struct termios t;
    if (fd < 0 || tcgetattr(fd, &t) < 0)
        reboot(RB_AUTOBOOT);
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
    struct cell_step_record r = { .magic = CELL_STEP_MAGIC, .step = CELL_STEP_GUEST_BOOT };
    uint8_t f[VM_FRAME_MAX];
    size_t n = vm_frame_encode(f, VM_FRAME_STEP, 0, &r, sizeof r);
    if (write(fd, f, n) < 0)
        reboot(RB_AUTOBOOT);
    r.step = CELL_STEP_EXIT; /* a forged exit status ... */
    n = vm_frame_encode(f, VM_FRAME_STEP, 1, &r, sizeof r);
    f[20] ^= 1; /* ... whose CRC no longer matches */
    if (write(fd, f, n) < 0)
        reboot(RB_AUTOBOOT);
    char junk[4096];
    memset(junk, 0x41, sizeof junk);
    for (int i = 0; i < 256; i++)
        if (write(fd, junk, sizeof junk) < 0)
            break;
    tcdrain(fd);
    reboot(RB_AUTOBOOT);
    return 1;
}
