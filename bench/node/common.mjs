// Shared helpers for the Node side of the benchmark: load the pinned npm packages from the flarebind node cache,
// and read CPU time and memory of a process (ours or workerd) from /proc, as the Miniflare anchor did.
import { createRequire } from "node:module";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export async function importFromCache(name) {
  const root = process.env.FLAREBIND_NODE_ROOT;
  if (!root) throw new Error("FLAREBIND_NODE_ROOT is not set (the folder holding node_modules)");
  const require = createRequire(join(root, "package.json"));
  return import(pathToFileURL(require.resolve(name)).href);
}

const TICKS = 100; // USER_HZ on Linux

export function cpuMs(pid) {
  // utime + stime (fields 14, 15) of /proc/<pid>/stat; the comm field may hold spaces, so split after ')'
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  } catch {
    return NaN;
  }
}

export function memKiB(pid) {
  // VmRSS and VmHWM (peak) in KiB
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const get = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+)`, "m")) || [0, NaN])[1]);
    return { rss: get("VmRSS"), hwm: get("VmHWM") };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

export function resetPeak(pid) {
  // writing 5 to clear_refs resets VmHWM to the current RSS, so the next peak belongs to the next phase
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

function childrenOf(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {}
  return out;
}

export function descendants(pid) {
  const all = [];
  const queue = [pid];
  while (queue.length) {
    const kids = childrenOf(queue.shift());
    all.push(...kids);
    queue.push(...kids);
  }
  return all;
}

export function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

export function workerdPids() {
  return descendants(process.pid).filter((p) => comm(p) === "workerd");
}

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}
