#!/usr/bin/python3
"""An independent verifier of CellOS event streams, written from docs/events.md
(and docs/plan-format.md for the plan digest) alone, with Debian's python3 and
python3-nacl (libsodium). It shares no code with cellrun verify: its job is to
prove that the document is enough to verify a stream, and to disagree loudly
when cellrun's streams or cellrun verify do not match the document.

Usage: verify_events.py EVENTS (--trust KEYS.json | --unsigned) [--plan PLAN]
                        [--artifacts DIR] [--quiet]
Exit: 0 every line verified and every run sealed; 3 every line verified but a
run is unsealed or the stream ends inside a line; 1 anything else. The first
fault prints "verify_events: EVENTS:LINE: KIND: reason" on stderr, KIND one
word naming the class of fault (the test compares classes with cellrun's).
"""

import base64
import hashlib
import json
import os
import re
import stat
import sys

try:
    import nacl.exceptions
    import nacl.signing
except ImportError:  # the caller (a test) skips with this reason
    print("verify_events: python3-nacl is not installed", file=sys.stderr)
    sys.exit(77)

MAX_STREAM = 256 << 20
MAX_LINE = 1 << 20
MAX_DEPTH = 16
SAFE = (1 << 53) - 1
PT = b"application/vnd.cellos.event.v1+json"
NS = "dev.cellos.events.cell."
ZERO = "0" * 64
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")
SEQ = re.compile(r"\d{20}\Z")
ID = re.compile(r"[1-9][0-9]*\Z")
NAME = re.compile(r"[a-z0-9_]{1,48}\Z")
FIXED_TYPES = {
    NS + "lifecycle.v1.started",
    NS + "seccomp.v1.denied",
    NS + "export.v2.completed",
    NS + "export.v2.failed",
    NS + "command.v1.completed",
    NS + "lifecycle.v1.destroyed",
    NS + "stream.v1.sealed",
}
ATTRS = {"specversion", "id", "source", "type", "subject", "time",
         "datacontenttype", "data", "sequence", "chainprev"}
SIGATTRS = {"sigkid", "sig"}


class Fault(Exception):
    def __init__(self, kind, msg):
        super().__init__(msg)
        self.kind = kind


# ---- strict JSON and RFC 8785 ----------------------------------------------

def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Fault("json", "duplicate key %r" % k)
        obj[k] = v
    return obj


def _no_float(s):
    raise Fault("json", "a number with a fraction or exponent: %s" % s)


def _no_const(s):
    raise Fault("json", "not JSON: %s" % s)


def _check_tree(v, depth):
    if depth > MAX_DEPTH:
        raise Fault("json", "nesting beyond %d levels" % MAX_DEPTH)
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, int):
        if v < -SAFE or v > SAFE:
            raise Fault("json", "integer out of the I-JSON range: %d" % v)
    elif isinstance(v, str):
        _check_str(v)
    elif isinstance(v, list):
        for x in v:
            _check_tree(x, depth + 1)
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_str(k)
            _check_tree(x, depth + 1)


def _check_str(s):
    for ch in s:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise Fault("json", "lone surrogate in a string")


def strict_parse(raw):
    try:
        return _strict_parse(raw)
    except Fault as f:
        raise Fault("json", "not valid JSON (%s)" % f)


def _strict_parse(raw):
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise Fault("json", "invalid UTF-8 at byte %d" % e.start)
    try:
        v = json.loads(text, object_pairs_hook=_pairs, parse_float=_no_float,
                       parse_constant=_no_const)
    except Fault:
        raise
    except (ValueError, RecursionError) as e:
        raise Fault("json", str(e))
    _check_tree(v, 1)
    return v


_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
        "\r": "\\r", "\t": "\\t"}


def _jcs_str(s):
    out = ['"']
    for ch in s:
        if ch in _ESC:
            out.append(_ESC[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _jcs_str(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(_jcs_str(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise Fault("json", "unexpected value type")


def jcs_bytes(v):
    return jcs(v).encode("utf-8")


def pae(pt, body):
    return b"DSSEv1 %d %s %d %s" % (len(pt), pt, len(body), body)


# ---- keys, trust file, plan -------------------------------------------------

def b64url_raw32(s):
    if not isinstance(s, str) or not re.fullmatch(r"[A-Za-z0-9_-]{43}", s):
        return None
    raw = base64.urlsafe_b64decode(s + "=")
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != s:
        return None  # non-canonical: nonzero unused bits
    return raw


def load_trust(path):
    try:
        st = os.stat(path)
        if st.st_mode & stat.S_IWOTH:
            raise Fault("trust", "%s: world-writable" % path)
        if st.st_size > (1 << 20):
            raise Fault("trust", "%s: more than 1 MiB" % path)
        with open(path, "rb") as f:
            raw = f.read((1 << 20) + 1)
    except OSError as e:
        raise Fault("trust", "%s: %s" % (path, e.strerror))
    if len(raw) > (1 << 20):
        raise Fault("trust", "%s: more than 1 MiB" % path)
    try:
        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs,
                         parse_float=_no_float, parse_constant=_no_const)
    except Fault as e:
        raise Fault("trust", "%s: %s" % (path, e))
    except ValueError as e:
        raise Fault("trust", "%s: not JSON: %s" % (path, e))
    if not isinstance(obj, dict) or not obj:
        raise Fault("trust", "%s: not an object with at least one key" % path)
    if len(obj) > 4096:
        raise Fault("trust", "%s: more than 4096 keys" % path)
    keys = {}
    for kid, val in obj.items():
        pk = b64url_raw32(val)
        if pk is None:
            raise Fault("trust", "%s: key for %s is not canonical unpadded "
                        "base64url of 32 bytes" % (path, kid))
        if kid != hashlib.sha256(pk).hexdigest():
            raise Fault("trust", "%s: kid %s is not the SHA-256 of its key"
                        % (path, kid))
        keys[kid] = nacl.signing.VerifyKey(pk)
    return keys


def plan_digest(path):
    """docs/plan-format.md: the framing, then SHA-256 of header and body."""
    try:
        with open(path, "rb") as f:
            raw = f.read((64 << 20) + 64 + 104 + 1)
    except OSError as e:
        raise Fault("plan", "%s: %s" % (path, e.strerror))
    if len(raw) < 64 or raw[:8] != b"CELLPLAN":
        raise Fault("plan", "%s: not a plan" % path)
    if int.from_bytes(raw[8:10], "little") != 1 or \
            int.from_bytes(raw[16:20], "little") != 64:
        raise Fault("plan", "%s: version_major or header_size" % path)
    body_len = int.from_bytes(raw[24:32], "little")
    if body_len > (64 << 20):
        raise Fault("plan", "%s: body_length over 64 MiB" % path)
    if len(raw) == 64 + body_len:
        pass
    elif len(raw) == 64 + body_len + 104 and raw[64 + body_len:][:8] == b"CELLSIG1":
        pass
    else:
        raise Fault("plan", "%s: length does not match body_length" % path)
    if hashlib.sha256(raw[64:64 + body_len]).digest() != raw[32:64]:
        raise Fault("plan", "%s: body_sha256 does not match the body" % path)
    return "sha256:" + hashlib.sha256(raw[:64 + body_len]).hexdigest()


# ---- the stream -------------------------------------------------------------

class Run:
    def __init__(self, first_line, ev):
        self.first = first_line
        self.last = first_line
        self.count = 1
        self.seq = 1
        self.source = ev["source"]
        self.subject = ev["subject"]
        self.sigkid = ev.get("sigkid")
        self.runid = ev["data"].get("runid")
        self.plandigest = ev["data"].get("plandigest")
        self.seen = {"lifecycle.v1.started"}
        self.sealed = False


def check_attrs(ev, signed, keys, line, body_of):
    if not isinstance(ev, dict):
        raise Fault("json", "not a JSON object")
    names = set(ev)
    for k in sorted(names - ATTRS - SIGATTRS):
        raise Fault("attribute", 'unknown attribute "%s"' % k)
    for k in sorted(ATTRS - names):
        raise Fault("attribute", "missing required attribute %s" % k)
    for k in names:
        if k != "data" and not isinstance(ev[k], str):
            raise Fault("attribute", "attribute %s is not a string" % k)
    if not isinstance(ev["data"], dict):
        raise Fault("attribute", "data is not an object")
    # 5. signature
    if signed:
        if "sig" not in ev or "sigkid" not in ev:
            raise Fault("unsigned", "missing sig attribute: the event is "
                        "unsigned or its signature was stripped")
        kid = ev["sigkid"]
        if kid not in keys:
            raise Fault("untrusted", "signed by key %s, which is not in the "
                        "trust file" % kid)
        s = ev["sig"]
        try:
            sig = base64.b64decode(s, validate=True)
        except ValueError:
            sig = b""
        if len(s) != 88 or len(sig) != 64 or base64.b64encode(sig).decode() != s:
            raise Fault("signature", "sig is not padded base64 of 64 bytes")
        body = dict(ev)
        del body["sig"]
        b = jcs_bytes(body)
        # the doc's equivalent form: the line without ,"sig":"..."
        alt = body_of.replace(b',"sig":"' + s.encode() + b'"', b"", 1)
        if alt != b:
            raise Fault("internal", "the two BODY forms of the doc differ")
        try:
            keys[kid].verify(pae(PT, b), sig)
        except nacl.exceptions.BadSignatureError:
            raise Fault("signature", "bad signature (key %s): the event was "
                        "altered or signed by another key" % kid)
    else:
        if "sig" in ev or "sigkid" in ev:
            raise Fault("signed", "event is signed but --unsigned was given")
    # 6. attribute values
    if ev["specversion"] != "1.0":
        raise Fault("value", "specversion is not 1.0")
    if ev["datacontenttype"] != "application/json":
        raise Fault("value", "datacontenttype is not application/json")
    if not TIME.match(ev["time"]) or not real_time(ev["time"]):
        raise Fault("value", "time is not YYYY-MM-DDTHH:MM:SS.ffffffZ, a real UTC time")
    if not SEQ.match(ev["sequence"]) or int(ev["sequence"]) == 0:
        raise Fault("value", "sequence is not 20 digits from 1")
    if not ID.match(ev["id"]) or int(ev["id"]) != int(ev["sequence"]):
        raise Fault("value", "id is not the sequence number")
    if ev["source"] == "" or ev["subject"] == "":
        raise Fault("value", "empty source or subject")
    if not HEX64.match(ev["chainprev"]):
        raise Fault("value", "chainprev is not 64 lowercase hex digits")
    if signed and not HEX64.match(ev["sigkid"]):
        raise Fault("value", "sigkid is not 64 lowercase hex digits")
    t = ev["type"]
    if not (t in FIXED_TYPES or
            (t.startswith(NS + "step.v1.") and NAME.match(t[len(NS) + 8:])) or
            (t.startswith(NS + "network.v1.") and NAME.match(t[len(NS) + 11:]))):
        raise Fault("value", "not a CellOS event type: %s" % t)


def real_time(t):
    y, mo, d = int(t[0:4]), int(t[5:7]), int(t[8:10])
    h, mi, se = int(t[11:13]), int(t[14:16]), int(t[17:19])
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    mdays = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= mo <= 12 and 1 <= d <= mdays[mo - 1] and h <= 23 and mi <= 59 and se <= 59


def short(t):
    return t[len(NS):]


def check_type(ev, run, signed, want_plan):
    t, d = short(ev["type"]), ev["data"]
    if t == "lifecycle.v1.started":
        pd = d.get("plandigest")
        if not isinstance(pd, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", pd):
            raise Fault("type", "started has no sha256: plandigest")
        if not isinstance(d.get("signing"), bool) or d["signing"] != signed:
            raise Fault("type", "started's signing does not match the presence of sig")
        if not isinstance(d.get("backend"), str):
            raise Fault("type", "started has no string backend")
        if want_plan is not None and pd != want_plan:
            raise Fault("plan", "started event names plan %s, not the given plan %s"
                        % (pd, want_plan))
    elif t == "stream.v1.sealed":
        n = d.get("events")
        if isinstance(n, bool) or not isinstance(n, int) or n != int(ev["sequence"]):
            raise Fault("type", "sealed's events is not its own sequence number")
    elif t == "lifecycle.v1.destroyed":
        if d.get("outcome") not in ("succeeded", "failed") or \
                d.get("terminalState") not in ("Clean", "Forced"):
            raise Fault("type", "destroyed needs outcome succeeded|failed and "
                        "terminalState Clean|Forced")
    elif t == "seccomp.v1.denied":
        if "command.v1.completed" in run.seen:
            raise Fault("type", "seccomp denied event after the completed event")
        nr = d.get("nr")
        if not isinstance(d.get("syscall"), str) or isinstance(nr, bool) \
                or not isinstance(nr, int):
            raise Fault("type", "seccomp denied needs syscall (string) and nr (integer)")
    elif t.startswith("step.v1."):
        if d.get("step") != t[8:]:
            raise Fault("type", "data.step does not match the type")
        if d.get("origin") not in ("cell", "supervisor"):
            raise Fault("type", "origin is not cell or supervisor")


def verify(raw, signed, keys, want_plan):
    """Returns (status, runs, fault-or-None)."""
    if len(raw) == 0:
        raise Fault("empty", "empty stream")
    parts = raw.split(b"\n")
    tail = parts.pop()  # b"" when the stream ends with LF
    cut = False
    if tail != b"":
        if not parts:
            raise Fault("truncated", "truncated: the only line has no newline")
        if not tail.startswith(b"{"):
            raise Fault("truncated", "truncated: the last line has no newline")
        cut = True
    hashes = [hashlib.sha256(p).hexdigest() for p in parts]
    first_at = {}
    for i, h in enumerate(hashes):
        first_at.setdefault(h, i)
    runs = []
    tip = {}       # hash of the last line of a run -> run
    seen = {}      # line bytes -> first line number
    for i, line in enumerate(parts):
        n = i + 1
        try:
            if line == b"":
                raise Fault("syntax", "empty line")
            if len(line) > MAX_LINE:
                raise Fault("syntax", "line longer than 1 MiB")
            ev = strict_parse(line)
            if not isinstance(ev, dict):
                raise Fault("json", "not a JSON object")
            if jcs_bytes(ev) != line:
                raise Fault("canonical", "not in canonical form (RFC 8785)")
            check_attrs(ev, signed, keys, n, line)
            t = short(ev["type"])
            seq = int(ev["sequence"])
            if ev["chainprev"] == ZERO:
                if line in seen:
                    raise Fault("duplicate", "duplicate event: the same line as "
                                "line %d" % seen[line])
                if t != "lifecycle.v1.started":
                    raise Fault("chain", "chainprev is all zeros but the event is "
                                "not a started event")
                if seq != 1:
                    raise Fault("chain", "the first event of a run has sequence "
                                "%s, not 1" % ev["sequence"])
                run = Run(n, ev)
                runs.append(run)
            else:
                run = tip.get(ev["chainprev"])
                if run is None:
                    if line in seen:
                        raise Fault("duplicate", "duplicate event: the same line "
                                    "as line %d" % seen[line])
                    k = first_at.get(ev["chainprev"])
                    if k is not None and k > i:
                        raise Fault("order", "events out of order: this event's "
                                    "predecessor is line %d, which comes after it"
                                    % (k + 1))
                    if k is not None:
                        for r in runs:
                            if r.sealed and hashes[r.last - 1] == ev["chainprev"]:
                                raise Fault("seal", "event after the seal at "
                                            "line %d" % r.last)
                        raise Fault("fork", "events out of order or chain fork: "
                                    "line %d already has a successor before this "
                                    "line" % (k + 1))
                    raise Fault("missing", "event missing before this one: "
                                "chainprev matches no line in the stream")
                del tip[ev["chainprev"]]
                if seq != run.seq + 1:
                    raise Fault("sequence", "sequence %d after %d" % (seq, run.seq))
                if ev["source"] != run.source or ev["subject"] != run.subject \
                        or ev.get("sigkid") != run.sigkid:
                    raise Fault("run", "source, subject or sigkid differs from "
                                "the run's first event")
                one = {"lifecycle.v1.started", "command.v1.completed",
                       "lifecycle.v1.destroyed"}
                if t in one and t in run.seen:
                    raise Fault("run", "a second %s in the run" % t)
                run.seen.add(t)
                run.seq = seq
                run.last = n
                run.count += 1
            check_type(ev, run, signed, want_plan)
            if t == "stream.v1.sealed":
                run.sealed = True
            else:
                tip[hashes[i]] = run
            seen.setdefault(line, n)
        except Fault as f:
            f.line = n
            raise
    status = 0
    if cut or any(not r.sealed for r in runs):
        status = 3
    return status, runs, cut, len(tail)


def main(argv):
    args = argv[1:]
    events = trust = plan = arts = None
    unsigned = quiet = False
    while args:
        a = args.pop(0)
        if a == "--trust" and args:
            trust = args.pop(0)
        elif a == "--plan" and args:
            plan = args.pop(0)
        elif a == "--artifacts" and args:
            arts = args.pop(0)
        elif a == "--unsigned":
            unsigned = True
        elif a == "--quiet":
            quiet = True
        elif events is None and (a == "-" or not a.startswith("--")):
            events = a
        else:
            print("verify_events: usage error at %s" % a, file=sys.stderr)
            return 1
    if events is None or (trust is None) == (not unsigned):
        print("verify_events: usage: EVENTS (--trust KEYS.json | --unsigned) "
              "[--plan PLAN] [--artifacts DIR]", file=sys.stderr)
        return 1
    try:
        keys = load_trust(trust) if trust else {}
        want = plan_digest(plan) if plan else None
        if events == "-":
            raw = sys.stdin.buffer.read(MAX_STREAM + 1)
        else:
            with open(events, "rb") as f:
                raw = f.read(MAX_STREAM + 1)
        if len(raw) > MAX_STREAM:
            raise Fault("size", "more than 256 MiB")
        status, runs, cut, taillen = verify(raw, not unsigned, keys, want)
        if arts is not None and status in (0, 3):
            check_artifacts(raw, arts)
    except Fault as f:
        where = "%s:%d" % (events, f.line) if hasattr(f, "line") else events
        print("verify_events: %s: %s: %s" % (where, f.kind, f), file=sys.stderr)
        return 1
    except OSError as e:
        print("verify_events: %s: %s" % (events, e.strerror), file=sys.stderr)
        return 1
    if not quiet:
        for r in runs:
            print("run %s lines %d-%d, %d events, %s, kid %s, plan %s" % (
                r.source, r.first, r.last, r.count,
                "sealed" if r.sealed else "NOT sealed (cut off)",
                r.sigkid or "-", r.plandigest))
        if cut:
            print("the last line is incomplete (%d bytes, no newline): a write "
                  "cut off by a crash" % taillen)
    return status


def check_artifacts(raw, root):
    want = {}
    for line in raw.split(b"\n"):
        if not line.startswith(b"{"):
            continue
        ev = json.loads(line)
        if ev["type"] != NS + "export.v2.completed":
            continue
        d = ev["data"]
        cell, name = d.get("cellid"), d.get("name")
        size, sha = d.get("size"), d.get("sha256")
        if not isinstance(cell, str) or not re.fullmatch(r"[0-9a-f-]{1,64}", cell) \
                or not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) \
                or name in (".", "..") or cell in (".", "..") \
                or isinstance(size, bool) or not isinstance(size, int) \
                or not isinstance(sha, str) or len(sha) != 64:
            raise Fault("artifacts", "an export event without a valid cellid, name, size "
                        "and sha256")
        want.setdefault(cell, {})[name] = d
    for cell, files in want.items():
        cdir = os.path.join(root, cell)
        try:
            present = set(os.listdir(cdir))
        except OSError as e:
            raise Fault("artifacts", "%s: %s" % (cdir, e.strerror))
        for name, d in files.items():
            p = os.path.join(cdir, name)
            try:
                st = os.lstat(p)
            except OSError as e:
                raise Fault("artifacts", "%s: %s" % (p, e.strerror))
            if not stat.S_ISREG(st.st_mode):
                raise Fault("artifacts", "%s: not a regular file" % p)
            if st.st_size != d.get("size"):
                raise Fault("artifacts", "%s: size differs" % p)
            with open(p, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != d.get("sha256"):
                    raise Fault("artifacts", "%s: sha256 differs" % p)
        extra = present - set(files)
        if extra:
            raise Fault("artifacts", "%s: unexpected file %s" % (cdir, sorted(extra)[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
