/*
 * oci_bundle.c - the bundle every part of the OCI translation fills
 * (oci_config.c drives oci_fs.c and oci_seccomp.c): its deviation notes and
 * its release. The parts depend on this file, never on each other.
 */
#include "oci.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oci_note(struct oci_bundle *b, const char *what, const char *fmt, ...)
{
    if (b->n_notes >= OCI_MAX_NOTES) {
        snprintf(b->notes[OCI_MAX_NOTES - 1].why, sizeof b->notes[0].why,
                 "more deviations than fit; see docs/backends.md");
        return;
    }
    struct oci_note *n = &b->notes[b->n_notes++];
    snprintf(n->what, sizeof n->what, "%s", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->why, sizeof n->why, fmt, ap);
    va_end(ap);
}

void oci_bundle_free(struct oci_bundle *b)
{
    if (b->config) {
        explicit_bzero(b->config, b->config_len);
        free(b->config);
    }
    free(b->review);
    for (size_t i = 0; i < b->n_mounts; i++) {
        free(b->mounts[i].dst);
        free(b->mounts[i].host);
    }
    free(b->mounts);
    for (size_t i = 0; i < b->n_entries; i++) {
        free(b->entries[i].rel);
        free(b->entries[i].target);
    }
    free(b->entries);
    for (size_t i = 0; i < b->n_secret_files; i++)
        free(b->secret_files[i].name);
    free(b->secret_files);
    free(b->ops);
    memset(b, 0, sizeof *b);
    b->fail_op = -1;
}
