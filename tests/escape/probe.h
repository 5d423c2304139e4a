/*
 * probe.h - shared by the escape probes (tests/escape/NAME.c). Each probe is a
 * small static program run inside a cell under the default policy. It tries
 * one escape and prints one line:
 *   CONTAINED <how>     the attempt failed the way it must
 *   ESCAPED <what>      the attempt worked: a hole (the test fails)
 * and exits 0 for CONTAINED, 1 for ESCAPED, 2 when it cannot tell.
 */
#ifndef CELLOS_PROBE_H
#define CELLOS_PROBE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTAINED(...) do { printf("CONTAINED "); printf(__VA_ARGS__); printf("\n"); exit(0); } while (0)
#define ESCAPED(...)   do { printf("ESCAPED ");   printf(__VA_ARGS__); printf("\n"); exit(1); } while (0)
#define UNSURE(...)    do { printf("UNSURE ");    printf(__VA_ARGS__); printf("\n"); exit(2); } while (0)

#endif
