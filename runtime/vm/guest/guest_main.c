/*
 * guest_main.c - main() of the static guest init (cellos-guest-init), PID 1
 * of every VM cell; everything is in runtime/vm/guest/guest_init.c.
 */
#include "guest_init.h"

int main(void)
{
    return guest_init_main();
}
