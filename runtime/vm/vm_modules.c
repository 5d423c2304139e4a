/*
 * vm_modules.c - resolve guest kernel modules and their dependencies (see
 * vm_modules.h). Module images are parsed as ELF64 only as far as the
 * section table and the .modinfo section, every offset bounds-checked.
 */
#include "vm_modules.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_kernel.h"

#define MAX_MODULE_FILE (64u << 20)

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int vm_kernel_release(const char *kernel_path, char *buf, size_t n, struct cell_error *e)
{
    uint8_t *img;
    size_t len;
    if (vm_read_file(kernel_path, 512u << 20, &img, &len, e) < 0)
        return -1;
    struct vm_kernel_info ki;
    int rc = vm_kernel_inspect(img, len, &ki, e);
    if (rc == 0 && ki.kind == VM_KERNEL_BZIMAGE) {
        if (!ki.release[0])
            rc = cell_err(e, 0, "%s: the bzImage header names no kernel release", kernel_path);
        else
            snprintf(buf, n, "%s", ki.release);
    } else if (rc == 0) {
        const char *pfx = "Linux version ";
        const uint8_t *p = img, *end = img + len;
        rc = -1;
        while ((p = memmem(p, (size_t)(end - p), pfx, 14)) != NULL) {
            p += 14;
            if (p < end && *p >= '0' && *p <= '9') {
                size_t i = 0;
                while (p + i < end && i + 1 < n && p[i] > ' ' && p[i] < 0x7f)
                    i++;
                memcpy(buf, p, i);
                buf[i] = 0;
                rc = 0;
                break;
            }
        }
        if (rc < 0)
            cell_err(e, 0, "%s: no \"Linux version\" banner in the ELF image", kernel_path);
    }
    free(img);
    return rc;
}

int vm_modinfo_depends(const unsigned char *img, size_t len, char *buf, size_t n, struct cell_error *e)
{
    buf[0] = 0;
    if (len < 64 ||
        memcmp(img,
               "\x7f"
               "ELF\x02\x01",
               6) != 0)
        return cell_err(e, 0, "not an ELF64 little-endian module");
    uint64_t shoff = le(img + 0x28, 8);
    uint64_t shentsize = le(img + 0x3a, 2), shnum = le(img + 0x3c, 2), shstrndx = le(img + 0x3e, 2);
    if (shentsize != 64 || shnum == 0 || shstrndx >= shnum || shoff > len || shnum * 64 > len - shoff)
        return cell_err(e, 0, "module section table out of bounds");
    const unsigned char *sh = img + shoff, *strsh = sh + shstrndx * 64;
    uint64_t str_off = le(strsh + 0x18, 8), str_size = le(strsh + 0x20, 8);
    if (str_off > len || str_size > len - str_off)
        return cell_err(e, 0, "module section names out of bounds");
    for (uint64_t i = 0; i < shnum; i++) {
        const unsigned char *s = sh + i * 64;
        uint64_t name = le(s, 4), off = le(s + 0x18, 8), size = le(s + 0x20, 8);
        if (name >= str_size ||
            strnlen((const char *)img + str_off + name, str_size - name) == str_size - name)
            continue;
        if (strcmp((const char *)img + str_off + name, ".modinfo") != 0)
            continue;
        if (off > len || size > len - off)
            return cell_err(e, 0, ".modinfo out of bounds");
        const char *p = (const char *)img + off, *end = p + size;
        while (p < end) {
            size_t l = strnlen(p, (size_t)(end - p));
            if (l > 8 && strncmp(p, "depends=", 8) == 0) {
                if (l - 8 >= n)
                    return cell_err(e, 0, "module depends= too long");
                memcpy(buf, p + 8, l - 8);
                buf[l - 8] = 0;
                return 0;
            }
            p += l + 1;
        }
        return 0;
    }
    return cell_err(e, 0, "module has no .modinfo section");
}

/* Normalised module name of a path or name: basename, no ".ko", '-' -> '_'. */
static void modname(const char *s, char *out, size_t n)
{
    const char *b = strrchr(s, '/');
    b = b ? b + 1 : s;
    size_t i = 0;
    for (; b[i] && i + 1 < n; i++)
        out[i] = b[i] == '-' ? '_' : b[i];
    out[i] = 0;
    size_t l = strlen(out);
    if (l > 3 && strcmp(out + l - 3, ".ko") == 0)
        out[l - 3] = 0;
}

/* Find name in a list file (modules.order / modules.builtin); the path
 * relative to the modules dir goes to rel. 1 found, 0 not, -1 error. */
static int find_in_list(const char *dir, const char *file, const char *name, char *rel, size_t n,
                        struct cell_error *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return cell_err_sys(e, errno, "%s", path);
    char line[512], m[128];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        modname(line, m, sizeof m);
        if (strcmp(m, name) == 0) {
            snprintf(rel, n, "%s", line);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

static int add(const char *dir, const char *name, struct vm_module_list *out, int depth, struct cell_error *e)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->name[i], name) == 0)
            return 0;
    if (depth > 8)
        return cell_err(e, 0, "module dependencies of %s nest too deep", name);
    char rel[512];
    int r = find_in_list(dir, "modules.builtin", name, rel, sizeof rel, e);
    if (r != 0)
        return r < 0 ? -1 : 0;
    r = find_in_list(dir, "modules.order", name, rel, sizeof rel, e);
    if (r < 0)
        return -1;
    if (r == 0)
        return cell_err(e, 0, "kernel module %s is neither built in nor in %s/modules.order", name, dir);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path)
        return cell_err(e, ENAMETOOLONG, "module path too long");
    uint8_t *img;
    size_t len;
    if (vm_read_file(path, MAX_MODULE_FILE, &img, &len, e) < 0)
        return cell_err_wrap(e, "kernel module %s (run make vm-kernel)", name);
    char deps[512];
    r = vm_modinfo_depends(img, len, deps, sizeof deps, e);
    free(img);
    if (r < 0)
        return cell_err_wrap(e, "%s", path);
    for (char *save = NULL, *d = strtok_r(deps, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        char dn[64];
        modname(d, dn, sizeof dn);
        if (add(dir, dn, out, depth + 1, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < out->n; i++) /* a dependency cycle would have added it */
        if (strcmp(out->name[i], name) == 0)
            return 0;
    if (out->n == VM_MAX_MODULES)
        return cell_err(e, 0, "more than %d kernel modules needed", VM_MAX_MODULES);
    snprintf(out->name[out->n], sizeof out->name[0], "%s", name);
    snprintf(out->path[out->n], sizeof out->path[0], "%s", path);
    out->n++;
    return 0;
}

int vm_modules_resolve(const char *kernel_path, const char *const *wanted, size_t n_wanted,
                       struct vm_module_list *out, struct cell_error *e)
{
    memset(out, 0, sizeof *out);
    char release[128], kdir[4096], dir[4400];
    if (vm_kernel_release(kernel_path, release, sizeof release, e) < 0)
        return -1;
    snprintf(kdir, sizeof kdir, "%s", kernel_path);
    if (snprintf(dir, sizeof dir, "%s/lib/modules/%s", dirname(kdir), release) >= (int)sizeof dir)
        return cell_err(e, ENAMETOOLONG, "module directory path too long");
    for (size_t i = 0; i < n_wanted; i++) {
        char nm[64];
        modname(wanted[i], nm, sizeof nm);
        if (add(dir, nm, out, 0, e) < 0)
            return -1;
    }
    return 0;
}
