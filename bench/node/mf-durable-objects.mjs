// Miniflare side of the durable-objects workload: the JavaScript twin of bench/workers/durable-objects.
// argv[2]: {"n": 2000, "objects": 1000, "storage_n": 10000, "persist": "<dir>" | null}. Runs sequential dispatchFetch phases and a
// WebSocket echo over Miniflare's own URL; prints {"one_rps", "many_rps", "put", "get", "sql", "ws_mps"}.
import { importFromCache, emit } from "./common.mjs";

const plan = JSON.parse(process.argv[2]);
const { Miniflare, Log, LogLevel } = await importFromCache("miniflare");
const wsModule = await importFromCache("ws");
const WebSocket = wsModule.WebSocket ?? wsModule.default;

const script = `
import { DurableObject } from "cloudflare:workers";
const VALUE = "x".repeat(100);
export class Counter extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") || 1);
    const s = this.ctx.storage;
    if (url.pathname === "/ws") {
      const [client, server] = Object.values(new WebSocketPair());
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    if (url.pathname === "/put") {
      for (let i = 0; i < n; i++) await s.put("key-" + String(i).padStart(8, "0"), VALUE);
      return new Response(String(n));
    }
    if (url.pathname === "/get") {
      let found = 0;
      for (let i = 0; i < n; i++) if ((await s.get("key-" + String(i).padStart(8, "0"))) !== undefined) found++;
      return new Response(String(found));
    }
    if (url.pathname === "/sql") {
      s.sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, v TEXT)");
      for (let i = 0; i < n; i++) s.sql.exec("INSERT INTO items (v) VALUES (?)", VALUE);
      let found = 0;
      for (let i = 0; i < n; i++) found += s.sql.exec("SELECT v FROM items WHERE id = ?", i + 1).toArray().length;
      return new Response(String(found));
    }
    const count = ((await s.get("count")) || 0) + 1;
    await s.put("count", count);
    return new Response(String(count));
  }
  webSocketMessage(ws, message) { ws.send(message); }
}
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    let name = url.pathname.replace(/^\\//, "") || "one";
    if (url.pathname === "/many") name = "o" + url.searchParams.get("i");
    if (["/put", "/get", "/sql"].includes(url.pathname)) name = "storage";
    return env.COUNTER.getByName(name).fetch(request);
  },
};`;

const options = {
  modules: true, script, compatibilityDate: "2026-04-01", cf: false, log: new Log(LogLevel.WARN),
  host: "127.0.0.1", port: 0,
  durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
};
if (plan.persist) options.durableObjectsPersist = plan.persist;
const mf = new Miniflare(options);
const url = await mf.ready;

async function text(path) {
  const res = await mf.dispatchFetch(`http://localhost${path}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body}`);
  return body;
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

const out = {};
await text("/one");
out.one_rps = plan.n / await timed(async () => { for (let i = 0; i < plan.n; i++) await text("/one"); });
out.many_rps = plan.n / await timed(async () => {
  for (let i = 0; i < plan.n; i++) await text(`/many?i=${i % plan.objects}`);
});
await text("/put?n=1"); // the storage object exists before its phases are timed (as on the flarebind side)
const m = plan.storage_n;
out.put = m / await timed(async () => { if ((await text(`/put?n=${m}`)) !== String(m)) throw new Error("put"); });
out.get = m / await timed(async () => { if ((await text(`/get?n=${m}`)) !== String(m)) throw new Error("get"); });
out.sql = (2 * m) / await timed(async () => { if ((await text(`/sql?n=${m}`)) !== String(m)) throw new Error("sql"); });
const { echo } = await import("./ws-echo-lib.mjs");
out.ws_mps = (await echo(WebSocket, new URL("/ws", url).href.replace("http", "ws"), plan.n)).mps;
await mf.dispose();
emit(out);
