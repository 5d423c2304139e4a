#!/usr/bin/python3
"""Runs the independent verifier (verify_events.py, in this process) and
`cellrun verify` (a child) over each case tamper_events.py made, and prints
one line per case for tests/e2e/events_indep.t:

    NAME EXPECTED PY C SAME-REASON

EXPECTED is what docs/events.md says (exit 0, 1 or 3), PY and C the two exit
statuses, SAME-REASON "yes" when both name the same documented reason (the
phrase docs/events.md quotes for that fault, looked for in both messages),
"-" when the case has no documented phrase.

Usage: compare_verdicts.py CELLRUN LIST DIR VERIFY-ARGS...
"""

import contextlib
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_events  # noqa: E402

# the reasons docs/events.md (Verifying) quotes, by case
PHRASE = {
    "flip_data": "bad signature",
    "swap": "events out of order: this event's predecessor is line",
    "drop_middle": "event missing before this one",
    "dup_line": "duplicate event: the same line as line",
    "dup_started": "duplicate event: the same line as line",
    "after_seal": "duplicate event: the same line as line",
    "after_seal_new": "event after the seal at line",
    "fork": "chain fork",
    "change_kid": "which is not in the trust file",
    "resign_other": "which is not in the trust file",
    "stripped_sig": "missing sig attribute",
    "sig_noncanonical_b64": "sig is not padded base64",
    "cut_garbage": "truncated",
    "only_line_no_lf": "truncated",
    "cut_line": "the last line is incomplete",
    "unknown_attr": 'unknown attribute "extra"',
    "missing_subject": "missing required attribute subject",
    "noncanon_space": "not in canonical form (RFC 8785)",
    "noncanon_uescape": "not in canonical form (RFC 8785)",
    "noncanon_neg0": "not in canonical form (RFC 8785)",
    "codepoint_order": "not in canonical form (RFC 8785)",
    "float_in_data": "not valid JSON",
    "dup_key": "not valid JSON",
    "second_started": "a second",
    "second_completed": "a second",
    "denied_after_completed": "seccomp denied event after the completed event",
    "first_not_started": "chainprev is all zeros but the event is not a started event",
}


def main(cellrun, listf, d, vargs):
    for row in open(listf):
        name, expect = row.split()
        f = os.path.join(d, name + ".jsonl")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            py = verify_events.main(["verify_events", f] + vargs)
        c = subprocess.run([cellrun, "verify", f] + vargs, capture_output=True, text=True)
        same = "-"
        ph = PHRASE.get(name)
        if ph:
            same = "yes" if ph in out.getvalue() + err.getvalue() and \
                ph in c.stdout + c.stderr else "no"
        print(name, expect, py, c.returncode, same)
        if same == "no" or py != c.returncode:
            print("# py: " + (err.getvalue() + out.getvalue()).strip().replace("\n", " | "))
            print("# c:  " + (c.stderr + c.stdout).strip().replace("\n", " | "))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
