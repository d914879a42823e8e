// Miniflare side of the images workload. argv[2] is a JSON plan: {"source": "<jpeg path>", "n": N, "width": W}.
// One Miniflare with a local Images binding (sharp, in this Node process); the Worker transforms each POSTed image
// with env.IMAGES.input(body).transform({width}).output({format: "image/webp"}). One warm-up request, then N timed
// ones, one at a time. Prints one JSON line: wall ms, the output sizes, and the peak RSS of Node and of workerd.
import { readFileSync } from "node:fs";
import { importFromCache, memKiB, resetPeak, workerdPids, emit } from "./common.mjs";

const plan = JSON.parse(process.argv[2]);
const { Miniflare, Log, LogLevel } = await importFromCache("miniflare");

const script = `
export default {
  async fetch(request, env) {
    const width = Number(new URL(request.url).searchParams.get("width"));
    const result = await env.IMAGES.input(request.body).transform({ width }).output({ format: "image/webp" });
    return result.response();
  },
};`;

const mf = new Miniflare({
  modules: true,
  script,
  compatibilityDate: "2026-04-01",
  images: { binding: "IMAGES" },
  cf: false,
  log: new Log(LogLevel.WARN),
});
await mf.ready;
const [workerd] = workerdPids();
const source = readFileSync(plan.source);
const url = `http://bench/?width=${plan.width}`;

async function once() {
  const res = await mf.dispatchFetch(url, { method: "POST", body: source });
  const body = new Uint8Array(await res.arrayBuffer());
  const riff = String.fromCharCode(...body.slice(0, 4)) + String.fromCharCode(...body.slice(8, 12));
  if (res.status !== 200 || riff !== "RIFFWEBP") {
    throw new Error(`transform failed: ${res.status} ${new TextDecoder().decode(body.slice(0, 300))}`);
  }
  // VP8 frame header: 14-bit width at byte 26 (simple lossy WebP, what sharp writes by default)
  return { bytes: body.length, width: (body[26] | (body[27] << 8)) & 0x3fff };
}

const out = {};
try {
  out.warmup = await once();
  resetPeak(process.pid);
  if (workerd) resetPeak(workerd);
  const sizes = [];
  const start = performance.now();
  for (let i = 0; i < plan.n; i++) sizes.push(await once());
  out.wall_ms = performance.now() - start;
  out.outputs = sizes;
  out.node_peak_kib = memKiB(process.pid).hwm;
  out.workerd_peak_kib = workerd ? memKiB(workerd).hwm : null;
} finally {
  await mf.dispose();
}
emit(out);
