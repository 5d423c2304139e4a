/*
 * constants_headers.h - the host headers the built-in constants are read
 * from (by gen_constants.c, and by tests/unit/seccomp_constants.c to check
 * the checked-in values still agree with them).
 */
#ifndef CELLOS_CONSTANTS_HEADERS_H
#define CELLOS_CONSTANTS_HEADERS_H
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/personality.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/serial.h>
#include <asm/termbits.h>
#endif
