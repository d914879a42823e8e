// Miniflare side of the runtime workload. argv[2] is a JSON plan:
//   {"op": "dispatch", "n": 2000}  -> sequential mf.dispatchFetch() of a trivial Worker; prints {"rps", ...}
//   {"op": "serve"}                -> prints {"url"} once ready, serves until stdin closes, then prints {"rss_kib"}
import { importFromCache, memKiB, workerdPids, emit } from "./common.mjs";

const plan = JSON.parse(process.argv[2]);
const { Miniflare, Log, LogLevel } = await importFromCache("miniflare");
const script = 'export default { fetch() { return new Response("hello"); } };';
const t0 = performance.now();
const mf = new Miniflare({
  modules: true, script, compatibilityDate: "2026-04-01", cf: false, log: new Log(LogLevel.WARN),
  host: "127.0.0.1", port: 0,
});
const url = await mf.ready;
const readyMs = performance.now() - t0;

if (plan.op === "dispatch") {
  const body0 = await (await mf.dispatchFetch("http://localhost/")).text();  // warm-up, checks the body
  if (body0 !== "hello") throw new Error(`unexpected body ${body0}`);
  const start = performance.now();
  for (let i = 0; i < plan.n; i++) {
    const res = await mf.dispatchFetch("http://localhost/");
    if ((await res.text()) !== "hello") throw new Error("unexpected body");
  }
  const seconds = (performance.now() - start) / 1000;
  await mf.dispose();
  emit({ rps: plan.n / seconds, ready_ms: readyMs });
} else if (plan.op === "serve") {
  emit({ url: url.href, ready_ms: readyMs });
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on("end", resolve));
  const rss = [process.pid, ...workerdPids()].map((p) => memKiB(p).rss).reduce((a, b) => a + b, 0);
  await mf.dispose();
  emit({ rss_kib: rss });
} else {
  throw new Error(`unknown op ${plan.op}`);
}
