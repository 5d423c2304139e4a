// check_events.mjs - an independent checker of one CellOS event stream.
//
// Shares no code with cellrun: it re-implements from docs/events.md the
// RFC 8785 canonical form, the hash chain and the Ed25519/DSSE signature with
// Node's built-in crypto, and validates every event with the official
// CloudEvents SDK for JavaScript (structured JSON mode), plus the spec rules
// the SDK does not enforce (required attributes it would default, the
// RFC 3339 'Z' time form, extension attribute naming [a-z0-9]{1,20}).
//
//   node check_events.mjs EVENTS (--trust TRUST.json | --unsigned) [--plan PLAN]
// Exit 0 when every check passes; 1 with "EVENTS:LINE: reason" otherwise.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import crypto from "node:crypto";

const require = createRequire(import.meta.url);
const { HTTP, CloudEvent, ValidationError } = require("cloudevents");
const sdkVersion = require("cloudevents/package.json").version;

const PAYLOAD_TYPE = "application/vnd.cellos.event.v1+json";
const PREFIX = "dev.cellos.events.cell.";
const STARTED = PREFIX + "lifecycle.v1.started";
const SEALED = PREFIX + "stream.v1.sealed";
const REQUIRED = ["specversion", "id", "source", "type", "subject", "time",
                  "datacontenttype", "sequence", "chainprev", "data"];
const CONTEXT = new Set(["specversion", "id", "source", "type", "subject", "time",
                         "datacontenttype", "dataschema", "data", "data_base64"]);
const EXTENSIONS = new Set(["sequence", "chainprev", "sigkid", "sig"]);

function usage() {
  console.error("usage: node check_events.mjs EVENTS (--trust TRUST.json | --unsigned) [--plan PLAN]");
  process.exit(2);
}

const args = process.argv.slice(2);
let eventsPath, trustPath, planPath, unsigned = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--trust") trustPath = args[++i];
  else if (args[i] === "--plan") planPath = args[++i];
  else if (args[i] === "--unsigned") unsigned = true;
  else if (!eventsPath) eventsPath = args[i];
  else usage();
}
if (!eventsPath || (!trustPath === !unsigned)) usage();

// RFC 8785: JSON.stringify already serialises strings and numbers the JCS
// way; objects need their keys sorted by UTF-16 code units, which is what
// Array.prototype.sort compares by default.
function jcs(v) {
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  }
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new Error(`number ${v} is not a safe integer`);
  return JSON.stringify(v);
}

function sha256hex(buf) {
  return crypto.createHash("sha256").update(buf).digest("hex");
}

function pae(type, body) {
  const t = Buffer.from(type, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

let trust = new Map();
if (trustPath) {
  const t = JSON.parse(readFileSync(trustPath, "utf8"));
  for (const [kid, pub] of Object.entries(t)) {
    const raw = Buffer.from(pub, "base64url");
    if (raw.length !== 32) throw new Error(`trust: key ${kid} is not 32 bytes`);
    if (sha256hex(raw) !== kid) throw new Error(`trust: kid ${kid} is not SHA-256 of its key`);
    trust.set(kid, crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pub }, format: "jwk" }));
  }
}

let planDigest = null;
if (planPath) {
  const plan = readFileSync(planPath);
  if (plan.length < 64 || plan.subarray(0, 8).toString("latin1") !== "CELLPLAN") throw new Error("--plan: not a plan");
  const covered = 64 + Number(plan.readBigUInt64LE(24));
  if (covered > plan.length) throw new Error("--plan: body_length beyond the file");
  planDigest = "sha256:" + sha256hex(plan.subarray(0, covered));
}

const raw = readFileSync(eventsPath);
let lineNo = 0;
function fail(why) {
  console.error(`${eventsPath}:${lineNo}: ${why}`);
  process.exit(1);
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
let prevHash = "0".repeat(64), prevSeq = "", seq = 0, sealed = false, kidOfRun = null;
let start = 0, sdkChecked = 0;
if (raw.length === 0 || raw[raw.length - 1] !== 0x0a) { lineNo = 1; fail("stream is empty or does not end with a newline"); }
while (start < raw.length) {
  const end = raw.indexOf(0x0a, start);
  const bytes = raw.subarray(start, end);
  start = end + 1;
  lineNo++;
  seq++;
  if (sealed) fail("event after the seal");
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) fail("not valid UTF-8");
  let ev;
  try { ev = JSON.parse(text); } catch (e) { fail(`not JSON: ${e.message}`); }

  // 0. Required attributes first: the SDK would silently invent id and time.
  for (const a of REQUIRED) if (!(a in ev)) fail(`missing required attribute ${a}`);

  // 1. The official SDK, structured content mode, strict validation.
  let ce;
  try {
    ce = HTTP.toEvent({ headers: { "content-type": "application/cloudevents+json; charset=utf-8" }, body: text });
    if (!(ce instanceof CloudEvent)) fail("the SDK did not return one CloudEvent");
    ce.validate();
  } catch (e) {
    const detail = e instanceof ValidationError && e.errors ? " " + JSON.stringify(e.errors) : "";
    fail(`CloudEvents SDK ${sdkVersion} rejects the event: ${e.message}${detail}`);
  }
  for (const a of ["id", "source", "type", "subject", "datacontenttype", "sequence", "chainprev", "sigkid", "sig"]) {
    if (ce[a] !== ev[a]) fail(`the SDK read attribute ${a} as ${JSON.stringify(ce[a])}, not ${JSON.stringify(ev[a])}`);
  }
  // The SDK keeps time as a JavaScript Date: millisecond precision.
  if (typeof ev.time !== "string" || ce.time !== ev.time.slice(0, 23) + "Z")
    fail(`the SDK read time as ${ce.time}, not the instant ${ev.time}`);
  if (JSON.stringify(ce.data) !== JSON.stringify(ev.data)) fail("the SDK read data differently");
  sdkChecked++;

  // 2. Spec rules the SDK skips: it does not require the Z form of time,
  //    nor limit extension names to 20 characters.
  for (const a of Object.keys(ev)) {
    if (!/^[a-z0-9]{1,20}$/.test(a)) fail(`attribute name ${a} is not [a-z0-9]{1,20}`);
    if (!CONTEXT.has(a) && !EXTENSIONS.has(a)) fail(`unexpected attribute ${a}`);
    if (a !== "data" && typeof ev[a] !== "string") fail(`attribute ${a} is not a string`);
  }
  if (ev.specversion !== "1.0") fail("specversion is not 1.0");
  if (ev.id === "" || ev.source === "" || ev.type === "" || ev.subject === "") fail("an empty required attribute");
  const m = TIME.exec(ev.time);
  if (!m) fail(`time ${ev.time} is not RFC 3339 UTC with microseconds and Z`);
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  if (isNaN(d) || d.toISOString().slice(0, 19) !== ev.time.slice(0, 19)) fail(`time ${ev.time} is not a real instant`);
  if (ev.datacontenttype !== "application/json" || typeof ev.data !== "object" || ev.data === null || Array.isArray(ev.data))
    fail("data is not a JSON object of type application/json");
  if (!ev.type.startsWith(PREFIX)) fail(`type ${ev.type} is outside ${PREFIX}`);

  // 3. RFC 8785 canonical form, byte for byte.
  let canon;
  try { canon = jcs(ev); } catch (e) { fail(e.message); }
  if (canon !== text) fail("not in RFC 8785 canonical form");

  // 4. Sequence (the CloudEvents sequence extension: lexically ordered), id, chain.
  const want = String(seq).padStart(20, "0");
  if (ev.sequence !== want) fail(`sequence ${ev.sequence}, expected ${want}`);
  if (!(ev.sequence > prevSeq)) fail("sequence does not increase lexically");
  if (ev.id !== String(seq)) fail(`id ${ev.id}, expected ${seq}`);
  if (ev.chainprev !== prevHash) fail("chainprev is not the SHA-256 of the previous line");
  if (seq === 1 && ev.type !== STARTED) fail("the first event is not started");
  if (seq > 1 && ev.type === STARTED) fail("a second started event");

  // 5. Signature: Ed25519 over PAE(PT, canonical event without sig).
  if (unsigned) {
    if ("sig" in ev || "sigkid" in ev) fail("signed event in an unsigned check");
  } else {
    if (!ev.sig || !ev.sigkid) fail("missing sig or sigkid");
    if (kidOfRun === null) kidOfRun = ev.sigkid;
    if (ev.sigkid !== kidOfRun) fail("sigkid changes within the run");
    const key = trust.get(ev.sigkid);
    if (!key) fail(`sigkid ${ev.sigkid} is not trusted`);
    const sig = Buffer.from(ev.sig, "base64");
    if (sig.length !== 64 || sig.toString("base64") !== ev.sig) fail("sig is not canonical base64 of 64 bytes");
    const body = { ...ev };
    delete body.sig;
    if (!crypto.verify(null, pae(PAYLOAD_TYPE, Buffer.from(jcs(body), "utf8")), key, sig)) fail("bad signature");
  }
  if (ev.type === STARTED) {
    if (ev.data.signing !== !unsigned) fail(`started says signing=${ev.data.signing}`);
    if (!/^sha256:[0-9a-f]{64}$/.test(ev.data.plandigest)) fail("started has no plandigest");
    if (planDigest && ev.data.plandigest !== planDigest) fail(`plandigest ${ev.data.plandigest} is not ${planDigest}`);
  }
  if (ev.type === SEALED) {
    if (ev.data.events !== seq) fail(`sealed counts ${ev.data.events} events, the stream has ${seq}`);
    sealed = true;
  }
  prevHash = sha256hex(bytes);
  prevSeq = ev.sequence;
}
if (!sealed) { lineNo = seq; fail("the stream is not sealed"); }
console.log(`${eventsPath}: ${seq} events: CloudEvents SDK ${sdkVersion} valid (${sdkChecked}), spec rules, ` +
            `RFC 8785, chain, sequence, ${unsigned ? "unsigned" : "Ed25519 signatures"}${planDigest ? ", plan digest" : ""}: ok`);
