#!/usr/bin/python3
"""Makes tampered copies of a real signed CellOS event stream, for the
independent verifier test (tests/e2e/events_indep.t), from docs/events.md
alone. Two kinds: plain tampering (the bytes changed, no key: every one must
fail) and forgeries re-signed with the trusted key and re-chained (the
signature and chain hold, so only the document's other rules can catch them).

Usage: tamper_events.py STREAM KEY OTHERKEY OUTDIR
STREAM is one sealed signed run; KEY its signer's secret key file; OTHERKEY
another key file. Writes OUTDIR/NAME.jsonl and prints one line per case:
"NAME EXPECTED-EXIT" (what the document says a verifier must answer).
"""

import base64
import hashlib
import json
import os
import sys

import nacl.signing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_events import jcs_bytes, pae, PT  # noqa: E402

ZERO = "0" * 64


def load_key(path):
    text = open(path, "rb").read().decode().rstrip("\n")
    pre = "cellos-ed25519-secret-v1:"
    assert text.startswith(pre)
    seed = base64.urlsafe_b64decode(text[len(pre):] + "=")
    sk = nacl.signing.SigningKey(seed)
    kid = hashlib.sha256(bytes(sk.verify_key)).hexdigest()
    return sk, kid


def sign(ev, key):
    sk, kid = key
    ev = dict(ev)
    ev.pop("sig", None)
    ev["sigkid"] = kid
    body = jcs_bytes(ev)
    ev["sig"] = base64.b64encode(sk.sign(pae(PT, body)).signature).decode()
    return ev


def serial(ev, raw=None):
    return raw if raw is not None else jcs_bytes(ev)


def rebuild(evs, key, keep_seq=False, raw_at=None):
    """Re-sign and re-chain a list of events; raw_at maps an index to a
    function(line_bytes)->bytes applied after signing (for non-canonical
    forms that must still carry a valid signature over their canonical body)."""
    out, prev = [], ZERO
    for i, ev in enumerate(evs):
        ev = dict(ev)
        ev["chainprev"] = prev
        if not keep_seq:
            ev["sequence"] = "%020d" % (i + 1)
            ev["id"] = str(i + 1)
        if ev["type"].endswith("stream.v1.sealed") and not keep_seq:
            ev["data"] = dict(ev["data"], events=i + 1)
        ev = sign(ev, key) if key else ev
        line = jcs_bytes(ev)
        if raw_at and i in raw_at:
            line = raw_at[i](line)
        out.append(line)
        prev = hashlib.sha256(line).hexdigest()
    return out


def write(outdir, name, lines, tail=b"\n"):
    with open(os.path.join(outdir, name + ".jsonl"), "wb") as f:
        f.write(b"\n".join(lines) + (tail if lines else b""))


def main(stream, keyf, otherf, outdir):
    raw = open(stream, "rb").read()
    lines = raw.split(b"\n")[:-1]
    evs = [json.loads(x) for x in lines]
    key, other = load_key(keyf), load_key(otherf)
    os.makedirs(outdir, exist_ok=True)
    n = len(lines)
    mid = n // 2
    cases = []

    def case(name, ls, expect, tail=b"\n"):
        write(outdir, name, ls, tail)
        cases.append((name, expect))

    # -- plain tampering: no key
    case("orig", lines, 0)
    flipped = lines[mid].replace(b'"result":"ok"', b'"result":"ko"', 1)
    assert flipped != lines[mid]
    case("flip_data", lines[:mid] + [flipped] + lines[mid + 1:], 1)
    case("swap", lines[:mid] + [lines[mid + 1], lines[mid]] + lines[mid + 2:], 1)
    case("drop_middle", lines[:mid] + lines[mid + 1:], 1)
    case("drop_seal", lines[:-1], 3)
    case("dup_line", lines[:mid + 1] + [lines[mid]] + lines[mid + 1:], 1)
    case("dup_started", [lines[0]] + lines, 1)
    kidx = evs[mid]["sigkid"]
    case("change_kid", lines[:mid] + [lines[mid].replace(
        kidx.encode(), (kidx[:-1] + ("0" if kidx[-1] != "0" else "1")).encode())]
        + lines[mid + 1:], 1)
    case("after_seal", lines + [lines[-1]], 1)
    case("cut_line", lines + [lines[0][:40]], 3, tail=b"")
    case("cut_garbage", lines + [b"xx"], 1, tail=b"")
    case("only_line_no_lf", [lines[0]], 1, tail=b"")
    case("empty", [], 1)
    case("blank_line", lines[:mid] + [b""] + lines[mid:], 1)
    case("crlf", [x + b"\r" for x in lines], 1)
    case("stripped_sig", [jcs_bytes({k: v for k, v in e.items()
                                     if k not in ("sig", "sigkid")}) for e in evs], 1)
    B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def sig_alt(b):  # same 64 signature bytes, other (non-canonical) base64
        ev = json.loads(b)
        s = ev["sig"]
        alt = s[:-3] + B64[B64.index(s[-3]) ^ 1] + "=="
        assert base64.b64decode(alt) == base64.b64decode(s) and alt != s
        return b.replace(s.encode(), alt.encode())
    # re-signed with a key not in the trust file (chain rebuilt)
    case("resign_other", rebuild(evs, other), 1)
    # -- forgeries with the trusted key: signature and chain valid
    case("forge_identity", rebuild(evs, key), 0)

    def forge(name, expect, f, keep_seq=False, raw_at=None):
        e2 = [json.loads(json.dumps(e)) for e in evs]
        e2 = f(e2)
        case(name, rebuild(e2, key, keep_seq, raw_at), expect)

    def setd(i, k, v):
        def f(e):
            e[i]["data"][k] = v
            return e
        return f

    def seta(i, k, v):
        def f(e):
            if v is None:
                del e[i][k]
            else:
                e[i][k] = v
            return e
        return f
    last = n - 1
    comp = [i for i, x in enumerate(evs) if x["type"].endswith("command.v1.completed")]
    forge("seal_count", 1, setd(last, "events", n + 1), keep_seq=True)
    forge("seal_count_str", 1, setd(last, "events", str(n)), keep_seq=True)
    forge("seq_gap", 1, lambda e: [dict(x, sequence="%020d" % (i + 1 + (i >= mid)),
                                        id=str(i + 1 + (i >= mid)))
                                   for i, x in enumerate(e)], keep_seq=True)
    forge("id_mismatch", 1, lambda e: [dict(x, id=str(i + 2) if i == mid else str(i + 1),
                                            sequence="%020d" % (i + 1))
                                       for i, x in enumerate(e)], keep_seq=True)
    forge("id_leading_zero", 1, lambda e: [dict(x, id=("0" if i == mid else "") + str(i + 1),
                                                sequence="%020d" % (i + 1))
                                           for i, x in enumerate(e)], keep_seq=True)
    forge("time_format", 1, seta(mid, "time", "2026-12-05T06:00:00.123Z"))
    forge("time_month13", 1, seta(mid, "time", "2026-13-05T06:00:00.123456Z"))
    forge("unknown_attr", 1, seta(mid, "extra", "x"))
    forge("missing_subject", 1, seta(mid, "subject", None))
    forge("empty_subject", 1, lambda e: [dict(x, subject="") for x in e])
    forge("other_subject", 1, seta(mid, "subject", "another"))
    forge("other_source", 1, seta(mid, "source", "urn:uuid:00000000-0000-4000-8000-000000000000"))
    forge("specversion", 1, seta(mid, "specversion", "0.3"))
    forge("datacontenttype", 1, seta(mid, "datacontenttype", "text/plain"))
    forge("unknown_type", 1, seta(mid, "type", "dev.cellos.events.cell.bogus.v1.x"))
    forge("foreign_type", 1, seta(mid, "type", "com.example.thing"))
    forge("step_name_mismatch", 1, setd(mid, "step", "something_else"))
    forge("step_origin", 1, setd(mid, "origin", "host"))
    forge("started_signing_false", 1, setd(0, "signing", False))
    forge("started_bad_digest", 1, setd(0, "plandigest", "sha1:abcd"))
    forge("started_no_backend", 1, lambda e: (e[0]["data"].pop("backend"), e)[1])
    forge("destroyed_missing", 1, lambda e: [
        dict(x, data={"outcome": "succeeded"}) if x["type"].endswith("destroyed") else x
        for x in e])
    if comp:
        forge("second_completed", 1, lambda e: e[:comp[0] + 1] + [e[comp[0]]] + e[comp[0] + 1:])
    forge("second_started", 1, lambda e: e[:2] + [e[0]] + e[2:])
    forge("float_in_data", 1, setd(mid, "x", 1),
          raw_at={mid: lambda b: b.replace(b'"x":1', b'"x":1.5', 1)})
    forge("exponent_in_data", 1, setd(mid, "x", 1),
          raw_at={mid: lambda b: b.replace(b'"x":1', b'"x":1e2', 1)})
    forge("big_int", 1, setd(mid, "x", 2 ** 53))
    forge("max_int", 0, setd(mid, "x", 2 ** 53 - 1))
    forge("neg_max_int", 0, setd(mid, "x", -(2 ** 53 - 1)))
    forge("utf16_order", 0, setd(mid, "x", {"\U0001F600": 1, "\uFB33": 2, "a": 3, "\u00e9": 4}))
    cp_order = '{"\uFB33":2,"\U0001F600":1}'.encode()
    u16_order = '{"\U0001F600":1,"\uFB33":2}'.encode()
    forge("codepoint_order", 1, setd(mid, "x", {"\U0001F600": 1, "\uFB33": 2}),
          raw_at={mid: lambda b: b.replace(u16_order, cp_order, 1)})
    forge("upper_uescape", 1, setd(mid, "x", "\x1f"),
          raw_at={mid: lambda b: b.replace(b"\\u001f", b"\\u001F", 1)})
    forge("escaped_slash", 1, setd(mid, "x", "/"),
          raw_at={mid: lambda b: b.replace(b'"x":"/"', b'"x":"\\/"', 1)})
    forge("escapes", 0, setd(mid, "x", "tab\t nl\n q\" bs\\ del\x7f ls\u2028 c\x01 / e\u00e9 \U0001F600"))

    def deep(k):
        v = 1
        for _ in range(k):
            v = [v]
        return v
    # the event object is level 1, data level 2; data.x = deep(k) adds k more
    for k in range(12, 16):
        forge("deep%d" % k, 0 if k < 14 else 1, setd(mid, "x", deep(k)))
    forge("deepobj13", 0, setd(mid, "x", {"a": deep(12)}))
    dest = [i for i, x in enumerate(evs) if x["type"].endswith("lifecycle.v1.destroyed")]
    if dest:
        forge("destroyed_bad_outcome", 1, setd(dest[0], "outcome", "weird"))
        forge("destroyed_bad_state", 1, setd(dest[0], "terminalState", "clean"))
    for t, x in (("2026-02-30T00:00:00.000000Z", 1), ("2026-12-05T24:00:00.000000Z", 1),
                 ("2026-12-05T23:59:60.000000Z", 1), ("2026-00-05T00:00:00.000000Z", 1),
                 ("2024-02-29T00:00:00.000000Z", 0), ("2100-02-29T00:00:00.000000Z", 1),
                 ("2000-02-29T23:59:59.999999Z", 0), ("2026-04-31T00:00:00.000000Z", 1),
                 ("2026-12-05T00:60:00.000000Z", 1)):
        forge("time_" + t[:19].replace(":", "").replace("-", ""), x, seta(mid, "time", t))
    den = [i for i, x in enumerate(evs) if x["type"].endswith("seccomp.v1.denied")]
    if den and comp:
        d0, c0 = den[0], comp[0]
        forge("denied_after_completed", 1,
              lambda e: e[:d0] + e[d0 + 1:c0 + 1] + [e[d0]] + e[c0 + 1:])
        forge("denied_nr_string", 1, setd(d0, "nr", "83"))
        forge("denied_no_syscall", 1, lambda e: (e[d0]["data"].pop("syscall"), e)[1])
    forge("first_not_started", 1, lambda e: e[1:])
    forge("source_not_uri", 0, lambda e: [dict(x, source="not a uri") for x in e])
    forge("data_array", 1, seta(mid, "data", []))
    forge("step_missing", 1, lambda e: (e[mid]["data"].pop("step"), e)[1])
    forge("seal_events_bool", 1, setd(last, "events", True), keep_seq=True)
    forge("signing_missing", 1, lambda e: (e[0]["data"].pop("signing"), e)[1])
    forge("long_line", 1, setd(mid, "x", "a" * (1 << 20)))
    base = len(jcs_bytes(sign(dict(evs[mid], data=dict(evs[mid]["data"], x="")), key)))
    forge("line_1MiB", 0, setd(mid, "x", "a" * ((1 << 20) - base)))
    forge("line_1MiB_plus1", 1, setd(mid, "x", "a" * ((1 << 20) - base + 1)))
    forge("sig_noncanonical_b64", 1, lambda e: e, raw_at={mid: sig_alt})
    forge("after_seal_new", 1, lambda e: e + [dict(e[mid])])
    forge("fork", 1, lambda e: e)
    fk = open(os.path.join(outdir, "fork.jsonl"), "rb").read().split(b"\n")[:-1]
    e3 = json.loads(fk[mid])
    e3["data"] = dict(e3["data"], x=1)
    e3 = sign(e3, key)
    case("fork", fk[:mid + 1] + [jcs_bytes(e3)] + fk[mid + 1:], 1)
    cases.remove(("fork", 1))
    # non-canonical bytes with a signature valid over the canonical body
    forge("noncanon_space", 1, lambda e: e,
          raw_at={mid: lambda b: b.replace(b'":', b'": ', 1)})
    forge("noncanon_uescape", 1, setd(mid, "x", "\u00e9"),
          raw_at={mid: lambda b: b.replace("\u00e9".encode(), b"\\u00e9", 1)})
    forge("noncanon_neg0", 1, setd(mid, "x", 0),
          raw_at={mid: lambda b: b.replace(b'"x":0', b'"x":-0', 1)})
    forge("dup_key", 1, setd(mid, "x", 1),
          raw_at={mid: lambda b: b.replace(b'"x":1', b'"x":1,"x":1', 1)})
    forge("lone_surrogate", 1, setd(mid, "x", "A"),
          raw_at={mid: lambda b: b.replace(b'"x":"A"', b'"x":"\\ud800"', 1)})
    forge("bad_utf8", 1, setd(mid, "x", "A"),
          raw_at={mid: lambda b: b.replace(b'"x":"A"', b'"x":"\xff"', 1)})
    for name, expect in cases:
        print(name, "x" if expect is None else expect)


if __name__ == "__main__":
    main(*sys.argv[1:5])
