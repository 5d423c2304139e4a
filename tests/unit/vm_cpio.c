/* vm_cpio.c - the initramfs cpio newc writer: byte layout, determinism,
 * round trip through GNU cpio, name checks and the size limit. */
#include "tap.h"
#include "runtime/lib/cpio.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int build(int fd, uint64_t limit, struct cell_error *e)
{
    struct cpio_writer w;
    cpio_init(&w, fd, limit);
    if (cpio_add_dir(&w, "dev", 0755, e) < 0) return -1;
    if (cpio_add_chardev(&w, "dev/console", 0600, 5, 1, e) < 0) return -1;
    if (cpio_add_data(&w, "plan", 0444, "PLANBYTES", 9, e) < 0) return -1;
    if (cpio_add_symlink(&w, "bin", "usr/bin", e) < 0) return -1;
    if (cpio_add_host_file(&w, "etc/hostname-copy", 0400, "/etc/hostname", e) < 0) return -1;
    return cpio_finish(&w, e);
}

static char *slurp(int fd, size_t *n)
{
    off_t len = lseek(fd, 0, SEEK_END);
    char *b = malloc((size_t)len + 1);
    pread(fd, b, (size_t)len, 0);
    b[len] = 0;
    *n = (size_t)len;
    return b;
}

int main(void)
{
    struct cell_error e = {0};
    int a = memfd_create("a", 0), b = memfd_create("b", 0);
    ok(build(a, 0, &e) == 0, "archive written (%s)", e.msg);
    ok(build(b, 0, &e) == 0, "archive written twice");
    size_t na, nb;
    char *ba = slurp(a, &na), *bb = slurp(b, &nb);
    ok(na == nb && memcmp(ba, bb, na) == 0, "same inputs give the same bytes");
    ok(na % 4 == 0, "archive length is a multiple of 4");
    ok(memcmp(ba, "070701", 6) == 0, "newc magic");
    /* first entry: ino 1, dir 040755, mtime 0, namesize 4 ("dev\0") */
    ok(memcmp(ba + 6, "00000001000041ED000000000000000000000002000000000000000000000000", 64) == 0,
       "first header: ino 1, mode 040755, uid/gid 0, nlink 2, mtime 0");
    ok(memcmp(ba + 110, "dev\0", 4) == 0, "name follows the header");
    ok(na >= CPIO_TRAILER_SIZE && memcmp(ba + na - CPIO_TRAILER_SIZE + 110, "TRAILER!!!", 10) == 0,
       "ends with the trailer");

    char dir[] = "/tmp/cellos-cpio-t.XXXXXX", cmd[512], path[256];
    ok(mkdtemp(dir) != NULL, "temp dir");
    char arch[300];
    snprintf(arch, sizeof arch, "%s.cpio", dir);
    FILE *f = fopen(arch, "w");
    fwrite(ba, 1, na, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && cpio -i -d --quiet --no-absolute-filenames < %s 2>&1", dir, arch);
    int rc = system(cmd);
    ok(rc == 0, "GNU cpio extracts it (rc %d)", rc);
    struct stat st;
    snprintf(path, sizeof path, "%s/plan", dir);
    ok(stat(path, &st) == 0 && st.st_size == 9 && (st.st_mode & 07777) == 0444, "file size and mode");
    snprintf(path, sizeof path, "%s/dev/console", dir);
    ok(lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 1,
       "char device 5:1");
    snprintf(path, sizeof path, "%s/bin", dir);
    char lnk[64] = {0};
    ok(readlink(path, lnk, sizeof lnk - 1) == 7 && strcmp(lnk, "usr/bin") == 0, "symlink target");
    snprintf(cmd, sizeof cmd, "cmp -s /etc/hostname %s/etc/hostname-copy", dir);
    ok(system(cmd) == 0, "host file copied byte for byte");
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, arch);
    system(cmd);

    /* the limit: exactly the size passes, one byte less refuses */
    int c = memfd_create("c", 0);
    ok(build(c, na, &e) == 0, "a limit equal to the archive size is enough");
    int d = memfd_create("d", 0);
    ok(build(d, na - 1, &e) == -1, "one byte less is refused");
    ok(strstr(e.msg, "exceed its limit of") != NULL && e.err == EFBIG, "message says so: %s", e.msg);
    struct cpio_writer w;
    cpio_init(&w, d, 200);
    ftruncate(d, 0);
    lseek(d, 0, SEEK_SET);
    char big[300] = {0};
    ok(cpio_add_data(&w, "big", 0644, big, sizeof big, &e) == -1, "entry larger than the limit refused");
    ok(w.offset == 0 && lseek(d, 0, SEEK_END) == 0, "nothing of a refused entry is written");

    ok(!cpio_name_ok("/abs") && !cpio_name_ok("a/../b") && !cpio_name_ok("") &&
       !cpio_name_ok("a//b") && !cpio_name_ok("a/") && !cpio_name_ok("./a") && cpio_name_ok("a/b.c"),
       "name checks");
    cpio_init(&w, d, 0);
    ok(cpio_add_data(&w, "../x", 0644, "", 0, &e) == -1 && strstr(e.msg, "bad entry name"), "bad name refused");
    ok(cpio_finish(&w, &e) == 0 && cpio_add_dir(&w, "late", 0755, &e) == -1, "no entry after the trailer");
    free(ba);
    free(bb);
    return done_testing();
}
