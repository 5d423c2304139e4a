#!/bin/bash
# seccomp_docker.t - policies/docker-default.cell against Docker's own
# profile (../shared/data/docker-default-seccomp.json): for every x86_64
# syscall of the table, and for the argument-checked ones (socket,
# personality, clone) at every boundary, the compiled filter gives the
# verdict the profile gives a container without capabilities. The
# documented differences (32-bit arguments compared on the low word, x32
# killed, unknown numbers ENOSYS) are checked as such.
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
tool=$CELLOS_BUILD/t/seccomp_tool
json=
for j in /work/shared/data/docker-default-seccomp.json "$CELLOS_TOP/../shared/data/docker-default-seccomp.json" \
         "$CELLOS_TOP/../../shared/data/docker-default-seccomp.json"; do
    [ -f "$j" ] && { json=$j; break; }
done
[ -n "$json" ] || skip_all "Docker's profile (shared/data/docker-default-seccomp.json) is not on this machine"
command -v python3 >/dev/null || skip_all "python3 is needed to read Docker's profile"

"$CELLC" "$CELLOS_TOP/policies/docker-default.cell" -o "$TMP/dd0.plan" 2>"$TMP/err"
ok $? "docker-default.cell compiles"
"$tool" attach "$TMP/dd0.plan" "$TMP/dd.plan"
ok $? "the plan has seccomp programs"
"$tool" table x86_64 >"$TMP/table"

python3 - "$json" "$TMP/table" >"$TMP/cases" <<'PY'
import json, sys
prof = json.load(open(sys.argv[1]))
table = dict(l.split() for l in open(sys.argv[2]))
ALLOW, EPERM, ENOSYS = 0x7fff0000, 0x50001, 0x50026
M64 = (1 << 64) - 1

def applies(rule):
    inc, exc = rule.get('includes', {}), rule.get('excludes', {})
    if inc.get('caps'):                  # a container without added capabilities
        return False
    if inc.get('arches') and 'amd64' not in inc['arches']:
        return False
    if exc.get('arches') and 'amd64' in exc['arches']:
        return False
    return True                          # minKernel 4.8: this kernel is newer

def holds(arg, args):
    v, x = arg['value'], args[arg['index']]
    op = arg['op']
    if op == 'SCMP_CMP_EQ': return x == v
    if op == 'SCMP_CMP_NE': return x != v
    if op == 'SCMP_CMP_LT': return x < v
    if op == 'SCMP_CMP_LE': return x <= v
    if op == 'SCMP_CMP_GT': return x > v
    if op == 'SCMP_CMP_GE': return x >= v
    if op == 'SCMP_CMP_MASKED_EQ': return x & v == arg.get('valueTwo', 0)
    raise ValueError(op)

def docker(name, args):
    verdict = None
    for r in prof['syscalls']:
        if name not in r['names'] or not applies(r):
            continue
        if all(holds(a, args) for a in r.get('args') or []):
            act = r['action']
            verdict = ALLOW if act == 'SCMP_ACT_ALLOW' else (0x50000 | r.get('errnoRet', 1))
            if verdict == ALLOW:
                break
    if verdict is None:
        verdict = 0x50000 | prof.get('defaultErrnoRet', 1)
    return verdict

def case(name, args, why):
    a = list(args) + [0] * (6 - len(args))
    print(table[name], *('%#x' % x for x in a), '%#x' % docker(name, a), '#', why)

for name in sorted(table, key=lambda n: int(table[n])):
    case(name, [], name)
for d in list(range(0, 48)) + [0xffff, 0x7fffffff, 0xffffffff]:
    case('socket', [d, 1, 0], 'socket domain %#x' % d)
for p in [0, 1, 7, 8, 9, 0x1ffff, 0x20000, 0x20001, 0x20007, 0x20008, 0x20009, 0x40000, 0xfffffffe, 0xffffffff]:
    case('personality', [p], 'persona %#x' % p)
for b in range(32):
    case('clone', [1 << b], 'clone flag bit %d' % b)
for f in [0x11, 0x3d0f00, 0x7E020000, 0x7E020000 | 0x11, 0x01000000 | 0x11, 0x80000000 | 0x11]:
    case('clone', [f], 'clone flags %#x' % f)
PY
ok $? "expected verdicts computed from Docker's profile"
n=$(grep -c . "$TMP/cases")
out=$("$tool" cases "$TMP/dd.plan" x86_64 "$TMP/cases")
ok $? "all $n cases agree with Docker's profile (x86_64)"
printf '%s\n' "$out" | tail -5

# the documented differences
explain() { "$CELLC" explain "$TMP/dd.plan" "$@" | sed -n 's/^verdict  //p'; }
is "$(explain socket 0x100000026 1 0)" "ERRNO(1) EPERM" \
   "socket's domain is 32 bits: 0x100000026 is AF_ALG to the kernel and is refused (Docker's 64-bit compare lets it through)"
is "$(explain personality 0x100000000)" "ALLOW" "persona 0x100000000 is 0 to the kernel: allowed"
is "$(explain 0x40000029 2 1 0)" "KILL_PROCESS" "x32 socket: killed (Docker admits x32)"
is "$(explain --data-arch i386 102 1 0)" "KILL_PROCESS" "i386 socketcall: killed (Docker admits i386)"
is "$(explain 460)" "ERRNO(38) ENOSYS" "a number beyond the table: ENOSYS (Docker: EPERM)"
is "$(explain clone3)" "ERRNO(38) ENOSYS" "clone3: ENOSYS, as in Docker"

# the libseccomp oracle on the same rules, and the cache constancy
out=$("$tool" diff "$TMP/dd.plan")
ok $? "our programs agree with the reference semantics and with libseccomp on the plan's rules"
printf '%s\n' "$out"
done_testing
