#!/usr/bin/env python3
"""sinks_receiver.py - the HTTP tests' CloudEvents receiver (python3's
http.server, HTTP/1.1 keep-alive). Usage: sinks_receiver.py PORTFILE OUTDIR FAULTS

Writes the port it listens on (127.0.0.1, a free one) to PORTFILE. Each
POST to /ce is answered by the next entry of FAULTS (comma-separated:
500, 429, drop = close the connection without an answer, slow = accept
after 0.4 s: a slow consumer) and, once they
are used up, 200: then its body is stored as OUTDIR/NNNNNN.body with its
Content-Type in OUTDIR/NNNNNN.ct (with OUTDIR "-": counted, not stored;
bench/sinks.sh). POST /reject is always 400."""
import http.server, os, sys, threading, time

portfile, outdir, faults = sys.argv[1], sys.argv[2], [f for f in sys.argv[3].split(",") if f]
lock = threading.Lock()
state = {"n": 0}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, text=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/reject":
            return self.answer(400, b"this receiver refuses every event")
        with lock:
            fault = faults.pop(0) if faults else None
            if fault is None:
                state["n"] += 1
                n = state["n"]
        if fault == "slow":
            time.sleep(0.4)
            with lock:
                state["n"] += 1
                n = state["n"]
            fault = None
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault:
            return self.answer(int(fault), b"try again")
        if outdir == "-":
            return self.answer(202)
        with open(os.path.join(outdir, "%06d.body" % n), "wb") as f:
            f.write(body)
        with open(os.path.join(outdir, "%06d.ct" % n), "w") as f:
            f.write(self.headers.get("Content-Type", ""))
        self.answer(202)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
