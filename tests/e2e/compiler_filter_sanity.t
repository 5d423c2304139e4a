#!/usr/bin/env bash
# compiler_filter_sanity.t - a filter that cannot exec is an error, one
# without what every dynamic program calls before main a warning that does
# not stop the compilation (issue 19, item 7). The error case itself is in
# the corpus (tests/data/errors/sc_no_execve.cell).
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
cat > "$TMP/w.cell" <<'CELL'
cell w {
    process { argv "/bin/true"; }
    filesystem { ro "/usr"; symlink "/bin" -> "usr/bin"; }
    syscalls { default kill-process; allow execve, exit_group, mmap; }
}
CELL
out=$("$CELLC" --no-default-path "$TMP/w.cell" -o "$TMP/w.plan" 2>&1); rc=$?
is "$rc" 0 "a filter without the loader's essentials still compiles"
like "$out" "w.cell:4:5: warning: the syscalls section does not allow arch_prctl, brk, mprotect, munmap, which every dynamically linked program" \
     "with a warning naming what is missing"
like "$out" 'use "std/syscalls";' "pointing at std/syscalls"
ok $([ -s "$TMP/w.plan" ] && echo 0 || echo 1) "and the plan is written"
json=$("$CELLC" check --no-default-path --diagnostics=json "$TMP/w.cell" 2>&1)
is "$(printf '%s' "$json" | jq -r '.diagnostics[].severity')" warning "JSON diagnostics say severity warning"
# execveat alone is enough to start; errno(EPERM) execve then allow execve is not
sed 's/allow execve, exit_group, mmap;/allow execveat, @default;/' "$TMP/w.cell" > "$TMP/x.cell"
out=$("$CELLC" --no-default-path "$TMP/x.cell" -o "$TMP/x.plan" 2>&1); rc=$?
is "$rc:$out" "0:" "execveat and @default: no error, no warning"
sed 's/allow execve, exit_group, mmap;/errno(EPERM) execve; allow @default;/' "$TMP/w.cell" > "$TMP/y.cell"
out=$("$CELLC" --no-default-path "$TMP/y.cell" -o "$TMP/y.plan" 2>&1); rc=$?
is "$rc" 1 "errno(EPERM) execve before allow @default: execve cannot run, an error"
like "$out" "does not allow execve \(or execveat\)" "naming execve"
# every example policy compiles without this warning
for f in "$CELLOS_TOP"/policies/examples/*.cell; do
    out=$("$CELLC" check -I "$CELLOS_TOP/policies" "$f" 2>&1)
    unlike "$out" "warning" "$(basename "$f"): no warning"
done
done_testing
