// parse_http.mjs OUTDIR - every request the test receiver stored, parsed by
// the official CloudEvents SDK's HTTP binding (structured and batched
// modes) and validated; prints "events N requests M" or fails.
import { HTTP } from "cloudevents";
import { readdirSync, readFileSync } from "node:fs";

const dir = process.argv[2];
let events = 0, requests = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith(".body")).sort()) {
  const body = readFileSync(`${dir}/${f}`, "utf8");
  const ct = readFileSync(`${dir}/${f.replace(/\.body$/, ".ct")}`, "utf8");
  const got = HTTP.toEvent({ headers: { "content-type": ct }, body });
  for (const ev of Array.isArray(got) ? got : [got]) {
    ev.validate();
    if (!ev.type.startsWith("dev.cellos.events.cell.")) throw new Error(`${f}: type ${ev.type}`);
    events++;
  }
  requests++;
}
console.log(`events ${events} requests ${requests}`);
