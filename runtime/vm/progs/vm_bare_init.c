/*
 * vm_bare_init.c - the bare-boot baseline of bench/vm: an init that does
 * nothing but end the VM with reboot(2). Built static; PID 1 of a guest.
 */
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
    reboot(RB_AUTOBOOT);
    return 1;
}
