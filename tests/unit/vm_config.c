/* vm_config.c - plan vm section -> Firecracker config and QEMU argv. The
 * Firecracker config is validated against Firecracker's own API schema
 * (tests/data/vm/firecracker-api.yaml, swagger 2.0, definition
 * FullVmConfiguration) by a small validator over libyaml, which also parses
 * the JSON (JSON is YAML flow syntax): types, required properties, enums,
 * integer bounds, and no property the schema does not declare (Firecracker
 * rejects unknown fields). Negative controls prove the validator can fail. */
#include "tap.h"
#include "runtime/plan/vm_config.h"

#include <ctype.h>
#include <yaml.h>

struct doc { yaml_document_t d; int ok; };

static int load(struct doc *o, const char *text, size_t n)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
    o->ok = yaml_parser_load(&p, &o->d) && yaml_document_get_root_node(&o->d);
    yaml_parser_delete(&p);
    return o->ok;
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(d, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, pr->value);
    }
    return NULL;
}

static const char *sval(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int is_int_text(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static struct doc schema;

static int fail(char *err, size_t n, const char *path, const char *what)
{
    snprintf(err, n, "%s: %s", path, what);
    return 0;
}

static int validate(yaml_document_t *jd, yaml_node_t *j, yaml_node_t *s, const char *path, char *err, size_t en)
{
    const char *ref = sval(map_get(&schema.d, s, "$ref"));
    if (ref) {
        if (strncmp(ref, "#/definitions/", 14) != 0)
            return fail(err, en, path, "unsupported $ref");
        s = map_get(&schema.d, map_get(&schema.d, yaml_document_get_root_node(&schema.d), "definitions"), ref + 14);
        if (!s)
            return fail(err, en, path, "dangling $ref");
    }
    const char *type = sval(map_get(&schema.d, s, "type"));
    yaml_node_t *props = map_get(&schema.d, s, "properties");
    if (!type && props)
        type = "object";
    if (!type)
        return 1;
    if (strcmp(type, "object") == 0) {
        if (j->type != YAML_MAPPING_NODE)
            return fail(err, en, path, "not an object");
        yaml_node_t *req = map_get(&schema.d, s, "required");
        for (yaml_node_item_t *it = req ? req->data.sequence.items.start : NULL; req && it < req->data.sequence.items.top; it++) {
            const char *name = sval(yaml_document_get_node(&schema.d, *it));
            if (!map_get(jd, j, name)) {
                char w[128];
                snprintf(w, sizeof w, "required property %s missing", name);
                return fail(err, en, path, w);
            }
        }
        for (yaml_node_pair_t *pr = j->data.mapping.pairs.start; pr < j->data.mapping.pairs.top; pr++) {
            const char *k = sval(yaml_document_get_node(jd, pr->key));
            yaml_node_t *ps = map_get(&schema.d, props, k);
            char sub[256];
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            if (!ps)
                return fail(err, en, sub, "property not in the schema");
            if (!validate(jd, yaml_document_get_node(jd, pr->value), ps, sub, err, en))
                return 0;
        }
        return 1;
    }
    if (strcmp(type, "array") == 0) {
        if (j->type != YAML_SEQUENCE_NODE)
            return fail(err, en, path, "not an array");
        yaml_node_t *items = map_get(&schema.d, s, "items");
        for (yaml_node_item_t *it = j->data.sequence.items.start; it < j->data.sequence.items.top; it++)
            if (!validate(jd, yaml_document_get_node(jd, *it), items, path, err, en))
                return 0;
        return 1;
    }
    if (j->type != YAML_SCALAR_NODE)
        return fail(err, en, path, "not a scalar");
    const char *v = (const char *)j->data.scalar.value;
    int quoted = j->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (strcmp(type, "string") == 0) {
        if (!quoted)
            return fail(err, en, path, "not a string");
        yaml_node_t *en_ = map_get(&schema.d, s, "enum");
        if (en_) {
            for (yaml_node_item_t *it = en_->data.sequence.items.start; it < en_->data.sequence.items.top; it++)
                if (strcmp(sval(yaml_document_get_node(&schema.d, *it)), v) == 0)
                    return 1;
            return fail(err, en, path, "not one of the enum values");
        }
        return 1;
    }
    if (quoted)
        return fail(err, en, path, "a string where the schema wants a non-string");
    if (strcmp(type, "boolean") == 0)
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ? 1 : fail(err, en, path, "not a boolean");
    if (strcmp(type, "integer") == 0) {
        if (!is_int_text(v))
            return fail(err, en, path, "not an integer");
        const char *mn = sval(map_get(&schema.d, s, "minimum")), *mx = sval(map_get(&schema.d, s, "maximum"));
        if (mn && atoll(v) < atoll(mn))
            return fail(err, en, path, "below the minimum");
        if (mx && atoll(v) > atoll(mx))
            return fail(err, en, path, "above the maximum");
        return 1;
    }
    if (strcmp(type, "number") == 0)
        return strtod(v, NULL) || strcmp(v, "0") == 0 ? 1 : fail(err, en, path, "not a number");
    return fail(err, en, path, "schema type not supported by this validator");
}

static int check_config(const char *json, char *err, size_t en)
{
    struct doc j;
    if (!load(&j, json, strlen(json)))
        return fail(err, en, "$", "does not parse");
    yaml_node_t *def = map_get(&schema.d, map_get(&schema.d, yaml_document_get_root_node(&schema.d), "definitions"),
                               "FullVmConfiguration");
    int r = def ? validate(&j.d, yaml_document_get_root_node(&j.d), def, "$", err, en) : fail(err, en, "$", "no FullVmConfiguration");
    yaml_document_delete(&j.d);
    return r;
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at)
        return strdup(s);
    char *r = malloc(strlen(s) + strlen(to) + 1);
    sprintf(r, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return r;
}

static void mkplan(struct plan *p, uint32_t vcpus, int rootfs, const char *bootargs)
{
    memset(p, 0, sizeof *p);
    p->has_vm = true;
    p->vm.vcpus = vcpus;
    p->vm.memory = 256ull << 20;
    p->vm.kernel = "/var/lib/cellos/vmlinux";
    p->vm.bootargs = bootargs;
    p->vm.rootfs = rootfs ? "/images/root.squashfs" : "";
    p->vm.flags = rootfs ? CP_VM_HAS_ROOTFS : 0;
}

int main(void)
{
    const char *top = getenv("CELLOS_TOP");
    char sp[4096];
    snprintf(sp, sizeof sp, "%s/tests/data/vm/firecracker-api.yaml", top ? top : ".");
    FILE *f = fopen(sp, "r");
    if (!f)
        skip_all("schema tests/data/vm/firecracker-api.yaml not found");
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    ok(load(&schema, text, n), "Firecracker API schema loads (%zu bytes)", n);

    struct cell_error e = {0};
    struct plan p;
    char err[512] = "", *json = NULL;
    mkplan(&p, 1, 0, "");
    ok(vm_emit_firecracker_config(&p, &json, &e) == 0, "config emitted (%s)", e.msg);
    ok(check_config(json, err, sizeof err), "1 vCPU, no rootfs: valid (%s)", err);
    ok(strstr(json, "\"network-interfaces\": []") && strstr(json, "\"smt\": false") &&
       strstr(json, "\"initrd_path\": \"initramfs.cpio\"") && strstr(json, "\"guest_cid\": 3") &&
       strstr(json, "reboot=k") && !strstr(json, "tsc_early_khz"),
       "no network, smt off, initrd, vsock, Firecracker boot flags");
    ok(strstr(json, "\"drives\": []") != NULL, "no drive without a rootfs");

    /* negative controls: the validator rejects what Firecracker would */
    char *bad = replace(json, "\"smt\": false", "\"smt\": false, \"bogus\": 1");
    ok(!check_config(bad, err, sizeof err) && strstr(err, "bogus"), "unknown property rejected: %s", err);
    free(bad);
    bad = replace(json, "\"vcpu_count\": 1", "\"vcpu_count\": \"1\"");
    ok(!check_config(bad, err, sizeof err) && strstr(err, "vcpu_count"), "string vcpu_count rejected: %s", err);
    free(bad);
    bad = replace(json, "\"vcpu_count\": 1", "\"vcpu_count\": 33");
    ok(!check_config(bad, err, sizeof err) && strstr(err, "maximum"), "33 vCPUs rejected: %s", err);
    free(bad);
    bad = replace(json, "\"kernel_image_path\"", "\"kernel_path\"");
    ok(!check_config(bad, err, sizeof err), "missing kernel_image_path rejected: %s", err);
    free(bad);
    bad = replace(json, "\"smt\": false", "\"smt\": \"no\"");
    ok(!check_config(bad, err, sizeof err), "string for a boolean rejected: %s", err);
    free(bad);
    free(json);

    mkplan(&p, 2, 1, "loglevel=3 cellos.note=\"a\\b\"");
    ok(vm_emit_firecracker_config(&p, &json, &e) == 0, "config with a rootfs and bootargs");
    ok(check_config(json, err, sizeof err), "2 vCPUs, rootfs: valid (%s)", err);
    ok(strstr(json, "\"is_read_only\": true") && strstr(json, "\"is_root_device\": false") &&
       strstr(json, "\"path_on_host\": \"/images/root.squashfs\""), "rootfs is a read-only, non-root drive");
    {
        struct doc j;
        load(&j, json, strlen(json));
        yaml_node_t *bs = map_get(&j.d, yaml_document_get_root_node(&j.d), "boot-source");
        const char *args = sval(map_get(&j.d, bs, "boot_args"));
        ok(args && strstr(args, " loglevel=3 cellos.note=\"a\\b\"") && args[strlen(args) - 1] == '"',
           "plan bootargs appended last, escaped and parsed back intact: %s", args ? args : "(null)");
        yaml_document_delete(&j.d);
    }
    free(json);

    /* a bootarg the defaults already have (vm.cell's "quiet") is not
     * repeated; other words keep their order, quoted words stay whole, and
     * words after "--" (init's arguments) are kept as written */
    {
        struct vm_launch bl;
        char args[2048];
        mkplan(&p, 1, 0, "quiet loglevel=3 quiet pci=off x=\"a quiet b\" quiet -- quiet quiet");
        ok(vm_launch_from_plan(&p, VM_MODE_FIRECRACKER, &bl, &e) == 0 && vm_boot_args(&bl, args, sizeof args, &e) == 0,
           "boot args built (%s)", e.msg);
        is_str(args,
               "console=ttyS0 reboot=k panic=-1 quiet pci=off module.sig_enforce=1 loglevel=3 x=\"a quiet b\" -- "
               "quiet quiet",
               "each kernel word once: no second quiet or pci=off");
        mkplan(&p, 1, 0, "quiet");
        ok(vm_emit_firecracker_config(&p, &json, &e) == 0, "config for bootargs \"quiet\"");
        const char *q = strstr(json, "quiet");
        ok(q && !strstr(q + 1, "quiet"), "the Firecracker config says quiet once");
        free(json);
    }

    mkplan(&p, 3, 0, "");
    ok(vm_emit_firecracker_config(&p, &json, &e) == -1 && strstr(e.msg, "even"), "3 vCPUs refused for Firecracker: %s", e.msg);
    struct vm_launch l;
    ok(vm_launch_from_plan(&p, VM_MODE_QEMU_TCG, &l, &e) == 0, "3 vCPUs fine for QEMU");
    p.net.mode = CP_NET_EGRESS;
    ok(vm_launch_from_plan(&p, VM_MODE_QEMU_TCG, &l, &e) == 0 && !l.tap, "egress under QEMU: accepted (the backend adds the tap)");
    ok(vm_launch_from_plan(&p, VM_MODE_FIRECRACKER, &l, &e) == -1 && strstr(e.msg, "egress"),
       "egress under Firecracker refused: %s", e.msg);
    mkplan(&p, 1, 0, "");
    p.vm.memory += 1;
    ok(vm_launch_from_plan(&p, VM_MODE_QEMU_TCG, &l, &e) == -1 && strstr(e.msg, "MiB"), "memory not in MiB refused");
    p.has_vm = false;
    ok(vm_launch_from_plan(&p, VM_MODE_QEMU_TCG, &l, &e) == -1 && strstr(e.msg, "no vm section"), "plan without vm section refused");

    /* a plan without a vm section under --backend vm: the host's defaults */
    ok(vm_host_default_memory_mib(0) == VM_HOST_UNLIMITED_MIB, "no memory limit: %u MiB", VM_HOST_UNLIMITED_MIB);
    ok(vm_host_default_memory_mib(16ull << 20) == 256, "16 MiB limit: at least 256 MiB");
    ok(vm_host_default_memory_mib(200ull << 20) == 200 + VM_HOST_HEADROOM_MIB, "200 MiB limit: plus the headroom");
    ok(vm_host_default_memory_mib((200ull << 20) + 1) == 201 + VM_HOST_HEADROOM_MIB, "a limit not in MiB rounds up");
    memset(&p, 0, sizeof p);
    p.limits.memory = 1ull << 30;
    ok(vm_launch_host_default(&p, VM_MODE_QEMU_TCG, "/k/vmlinux", &l, &e) == 0 && l.vcpus == 1 &&
       l.mem_mib == 1024 + VM_HOST_HEADROOM_MIB && !l.rootfs && !l.extra_bootargs && !strcmp(l.kernel, "/k/vmlinux"),
       "host defaults: the given kernel, 1 vCPU, limit + headroom, no rootfs, no boot args");
    p.net.mode = CP_NET_EGRESS;
    ok(vm_launch_host_default(&p, VM_MODE_QEMU_TCG, "/k/vmlinux", &l, &e) == 0,
       "host defaults: egress under QEMU accepted");
    ok(vm_launch_host_default(&p, VM_MODE_FIRECRACKER, "/k/vmlinux", &l, &e) == -1 && strstr(e.msg, "egress"),
       "host defaults: egress under Firecracker refused: %s", e.msg);

    /* QEMU */
    mkplan(&p, 2, 1, "x=1");
    vm_launch_from_plan(&p, VM_MODE_QEMU_TCG, &l, &e);
    l.initrd = "/proc/self/fd/7";
    l.console = "/proc/self/fd/8"; l.channel = "/proc/self/fd/9"; l.out = "/proc/self/fd/10"; l.err = "/proc/self/fd/11";
    struct vm_argv av;
    ok(vm_qemu_argv(&l, &av, &e) == -1 && strstr(e.msg, "TSC"), "TCG without a TSC rate refused");
    l.tsc_khz = vm_host_tsc_khz();
    ok(l.tsc_khz > 100000 && l.tsc_khz < 10000000, "host TSC rate measured: %llu kHz", (unsigned long long)l.tsc_khz);
    ok(vm_qemu_argv(&l, &av, &e) == 0, "QEMU argv built");
    char all[8192] = "";
    for (size_t i = 0; i < av.argc; i++) {
        strcat(all, av.argv[i]);
        strcat(all, " ");
    }
    ok(strstr(all, "microvm,accel=tcg") && strstr(all, "-cpu max") && strstr(all, "-smp 2 -m 256M") &&
       strstr(all, "-sandbox on,") && strstr(all, "-no-reboot") && strstr(all, "-nodefaults"), "machine, cpu, size, sandbox");
    ok(strstr(all, "tsc_early_khz=") && strstr(all, "tsc=reliable") && strstr(all, "reboot=t") &&
       strstr(all, "module.sig_enforce=1 tsc_early_khz") && strstr(all, " x=1 "), "TCG boot flags, plan args last");
    ok(strstr(all, "file=/images/root.squashfs,format=raw,if=none,readonly=on") && strstr(all, "virtio-blk-device"),
       "rootfs attached read-only");
    ok(strstr(all, "isa-serial,chardev=chan,iobase=0x2f8,irq=3") && strstr(all, "path=/proc/self/fd/9"),
       "report channel on its own UART");
    ok(!strstr(all, "netdev") && !strstr(all, "-net "), "no network device");
    diag("%s", all);
    vm_argv_free(&av);
    l.mode = VM_MODE_QEMU_KVM;
    vm_qemu_argv(&l, &av, &e);
    all[0] = 0;
    for (size_t i = 0; i < av.argc; i++) {
        strcat(all, av.argv[i]);
        strcat(all, " ");
    }
    ok(strstr(all, "accel=kvm") && strstr(all, "-cpu host") && !strstr(all, "tsc_early_khz"), "KVM flags");
    vm_argv_free(&av);
    l.tap = true;
    l.tap_fd = 42;
    vm_qemu_argv(&l, &av, &e);
    all[0] = 0;
    for (size_t i = 0; i < av.argc; i++) {
        strcat(all, av.argv[i]);
        strcat(all, " ");
    }
    ok(strstr(all, "-netdev tap,id=net0,fd=42,vhost=off -device virtio-net-device,netdev=net0,mac=") &&
           !strstr(all, "-netdev user") && !strstr(all, "-net "),
       "egress: one virtio-net device on the given tap, nothing else");
    vm_argv_free(&av);
    l.tap = false;
    l.rootfs = "/a,b";
    ok(vm_qemu_argv(&l, &av, &e) == -1 && strstr(e.msg, "comma"), "a comma in a path is refused, not injected");
    yaml_document_delete(&schema.d);
    return done_testing();
}
