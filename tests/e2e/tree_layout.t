#!/usr/bin/env python3
# tree_layout.t - the include graph follows docs/architecture.md: each folder
# includes only the folders below it, headers named *_int.h / *_internal.h
# stay inside their folder, the cell side includes no library but libc, and
# every folder with sources is built (COMPILER_DIRS/RUNTIME_DIRS or a rule
# of its own). A new folder gets a line in ALLOWED (and in the doc).
import os, re, subprocess, sys

top = os.environ.get("CELLOS_TOP", os.path.join(os.path.dirname(__file__), "..", ".."))
os.chdir(top)

BASE = ["runtime/lib", "runtime/plan", "runtime/events", "runtime/cell", "runtime/backend", "runtime/net"]
ALLOWED = {
    "include": ["runtime/lib"],  # the one error type, struct cell_error
    "grammar": ["compiler"],
    "runtime/lib": [],
    "runtime/plan": ["runtime/lib"],
    "runtime/events": ["runtime/lib", "runtime/plan"],
    "runtime/cell": ["runtime/lib"],
    # egress: the gateway namespace, DNS answerer and proxy every backend uses
    "runtime/net": ["runtime/lib", "runtime/plan", "runtime/events"],
    "runtime/backend": ["runtime/lib", "runtime/plan", "runtime/events", "runtime/cell"],
    "runtime/native": BASE,
    "runtime/gvisor": BASE,
    "runtime/vm": BASE + ["runtime/vm/guest"],
    "runtime/vm/guest": ["runtime/lib", "runtime/plan", "runtime/cell", "runtime/vm", "runtime/net"],
    "runtime/vm/progs": ["runtime/lib", "runtime/plan", "runtime/vm", "runtime/vm/guest"],
    "runtime/spool": ["runtime/lib"],
    "runtime/sink": ["runtime/lib", "runtime/spool"],
    # artifact export: the supervisor copies out of a stopped cell's root
    "runtime/export": ["runtime/lib", "runtime/plan", "runtime/events"],
    "runtime/supervisor": BASE + ["runtime/native", "runtime/gvisor", "runtime/vm", "runtime/spool", "runtime/export"],
    # the OCI runtime command line: a front end beside the supervisor that
    # compiles config.json with the compiler's own checks
    "runtime/oci": ["compiler", "compiler/seccomp", "compiler/plan", "runtime/supervisor"] + BASE,
    "compiler": ["compiler/seccomp", "compiler/plan", "compiler/doc", "runtime/plan", "runtime/lib", "runtime/events"],
    "compiler/doc": ["compiler"],
    "compiler/seccomp": ["runtime/plan", "runtime/lib"],
    "compiler/plan": ["compiler/seccomp", "runtime/plan", "runtime/lib", "runtime/events"],
}
LIBS = re.compile(r"#\s*include\s*<(sodium|seccomp|yaml|curl|openssl)[./]")

files = subprocess.check_output(["git", "ls-files", "compiler", "runtime", "include", "grammar"],
                                text=True).split()
files = [f for f in files if re.search(r"\.(c|h|l|y)$", f) and "/gen/" not in f]
# generated headers (the parser's, the install paths) live in $(BUILD)/gen
gen = os.path.join(os.environ.get("CELLOS_BUILD", "build"), "gen")
inc = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)

fails = []
n = 0
for f in files:
    d = os.path.dirname(f)
    src = open(f, encoding="utf-8").read()
    if d not in ALLOWED:
        fails.append(f"{f}: folder {d} is not in the layout (tests/e2e/tree_layout.t, docs/architecture.md)")
        continue
    for h in inc.findall(src):
        n += 1
        if "/" not in h:
            if os.path.exists(os.path.join(d, h)) or os.path.exists(os.path.join("include", h)) \
               or os.path.exists(os.path.join(gen, h)) or h in ("cell_parse.h", "cell_lex.h"):
                continue
            fails.append(f"{f}: \"{h}\" is neither in its folder nor in include/")
            continue
        hd = os.path.dirname(h)
        if not os.path.exists(h):
            fails.append(f"{f}: \"{h}\" does not exist")
        elif hd != d and hd not in ALLOWED[d]:
            fails.append(f"{f}: {d} may not include {h} (allowed: {', '.join(ALLOWED[d]) or 'nothing'})")
        elif hd != d and re.search(r"_(int|internal)\.h$", h):
            fails.append(f"{f}: {h} is private to {hd}")
    if d == "runtime/cell" and LIBS.search(src):
        fails.append(f"{f}: the cell side links no library but libc: {LIBS.search(src).group(0)}")

dirs = subprocess.check_output(["make", "-s", "print-COMPILER_DIRS", "print-RUNTIME_DIRS"], text=True).split()
built = set(dirs) | {"runtime/vm/progs", "runtime/sink", "grammar", "include"}
for d in sorted({os.path.dirname(f) for f in files if f.endswith(".c")}):
    if d not in built:
        fails.append(f"{d}: has sources but is in neither COMPILER_DIRS nor RUNTIME_DIRS")

print("1..2")
print(f"{'ok' if n > 100 else 'not ok'} 1 - {n} includes read in {len(files)} files")
if fails:
    print("not ok 2 - the include graph follows the layout")
    for x in fails:
        print("#   " + x)
    sys.exit(1)
print("ok 2 - the include graph follows the layout")
