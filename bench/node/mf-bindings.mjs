// Miniflare side of the KV / R2 / D1 workloads. argv[2] is a JSON plan:
//   {"mode": "disk"|"memory", "persist": "<dir>" (disk mode), "phases": [{"route": "kv_put", "q": {...}, "peak": bool}]}
// Prints one JSON line: per phase wall ms (timed in Node around one dispatchFetch), CPU ms of Node and workerd,
// and (when "peak") workerd's peak RSS during the phase.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { importFromCache, cpuMs, memKiB, resetPeak, workerdPids, emit } from "./common.mjs";

const plan = JSON.parse(process.argv[2]);
const here = dirname(fileURLToPath(import.meta.url));
const { Miniflare, Log, LogLevel } = await importFromCache("miniflare");

const options = {
  modules: true,
  script: readFileSync(join(here, "bindings-worker.mjs"), "utf8"),
  compatibilityDate: "2026-04-01",
  kvNamespaces: ["KV"],
  r2Buckets: ["BUCKET"],
  d1Databases: ["DB"],
  cf: false,
  log: new Log(LogLevel.WARN),
};
if (plan.mode === "disk") {
  options.kvPersist = join(plan.persist, "kv");
  options.r2Persist = join(plan.persist, "r2");
  options.d1Persist = join(plan.persist, "d1");
}

const t0 = performance.now();
const mf = new Miniflare(options);
await mf.ready;
const readyMs = performance.now() - t0;
const [workerd] = workerdPids();
const out = { ready_ms: readyMs, workerd_pid: workerd ?? null, phases: [] };
try {
  for (const phase of plan.phases) {
    const peakReset = phase.peak && workerd ? resetPeak(workerd) : false;
    const nodeCpu0 = process.cpuUsage();
    const wCpu0 = cpuMs(workerd);
    const start = performance.now();
    const res = await mf.dispatchFetch(`http://bench/${phase.route}?q=${encodeURIComponent(JSON.stringify(phase.q || {}))}`);
    const body = await res.json();
    const wall = performance.now() - start;
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const entry = {
      route: phase.route,
      status: res.status,
      wall_ms: wall,
      node_cpu_ms: (nodeCpu.user + nodeCpu.system) / 1000,
      workerd_cpu_ms: cpuMs(workerd) - wCpu0,
      ...body,
    };
    if (phase.peak) {
      entry.workerd_peak_kib = peakReset ? memKiB(workerd).hwm : null;
      entry.node_peak_kib = memKiB(process.pid).hwm;
    }
    out.phases.push(entry);
    if (res.status !== 200) break;
  }
  out.workerd_rss_kib = memKiB(workerd).rss;
} finally {
  await mf.dispose();
}
emit(out);
