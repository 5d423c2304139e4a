#!/usr/bin/env python3
"""sinks_http_lines.py OUTDIR > stream.jsonl - the event lines the receiver
got, in order, byte for byte: a structured body is one event; a batch body
("[" e "," e ... "]") is split at its elements with raw_decode, which keeps
each element's exact bytes (no re-serialisation)."""
import glob, json, sys

dec = json.JSONDecoder()
out = sys.stdout.buffer
for body in sorted(glob.glob(sys.argv[1] + "/*.body")):
    ct = open(body[:-5] + ".ct").read()
    s = open(body, encoding="utf-8").read()
    if ct.startswith("application/cloudevents-batch+json"):
        assert s[0] == "[" and s[-1] == "]", body
        i = 1
        while i < len(s) - 1:
            _, end = dec.raw_decode(s, i)
            out.write(s[i:end].encode() + b"\n")
            i = end + 1 if s[end] == "," else end
    else:
        assert ct.startswith("application/cloudevents+json"), ct
        out.write(s.encode() + b"\n")
