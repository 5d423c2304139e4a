/*
 * cpio.h - a deterministic cpio "newc" archive writer (the initramfs format).
 *
 * Every entry gets uid/gid 0, mtime 0 and an inode number counting up from
 * 1 in the order entries are added, so the same inputs give the same bytes.
 * The writer enforces a size limit: an entry that would take the archive
 * (with its trailer) past the limit is refused with a message naming the
 * entry, and nothing of it is written. Names are relative ("init",
 * "dev/console"): no leading '/', no empty, "." or ".." component.
 */
#ifndef CELLOS_CPIO_H
#define CELLOS_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define CPIO_TRAILER_SIZE 124u /* header + "TRAILER!!!" padded */

struct cpio_writer {
    int fd;          /* output; not owned */
    uint64_t limit;  /* max archive bytes including the trailer; 0 = none */
    uint64_t offset; /* bytes written so far */
    uint32_t next_ino;
    int finished;
};

/* Bytes one entry occupies in the archive (header, name, data, padding). */
uint64_t cpio_entry_size(size_t name_len, uint64_t data_len);

void cpio_init(struct cpio_writer *w, int fd, uint64_t limit);

/* mode carries the permission bits only; the type comes from the call. */
int cpio_add_dir(struct cpio_writer *w, const char *name, mode_t perm, struct cell_error *e);
int cpio_add_data(struct cpio_writer *w, const char *name, mode_t perm, const void *data, size_t len,
                  struct cell_error *e);
/* A regular file copied from the host file `src` (read, never mapped; a
 * file that changes size while copied is an error). */
int cpio_add_host_file(struct cpio_writer *w, const char *name, mode_t perm, const char *src,
                       struct cell_error *e);
int cpio_add_symlink(struct cpio_writer *w, const char *name, const char *target, struct cell_error *e);
int cpio_add_chardev(struct cpio_writer *w, const char *name, mode_t perm, unsigned major, unsigned minor,
                     struct cell_error *e);
/* Write the trailer. No entry may be added afterwards. */
int cpio_finish(struct cpio_writer *w, struct cell_error *e);

/* Is `name` an acceptable relative archive name? */
int cpio_name_ok(const char *name);

#endif
