// The Worker Miniflare runs for the KV / R2 / D1 workloads: each route loops over one binding inside ONE request,
// so the binding is measured, not HTTP or dispatchFetch (the method of the Miniflare anchor).
const pad = (i) => String(i).padStart(8, "0");
const MiB = 1024 * 1024;

function filler(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = 97 + (i % 26);
  return bytes;
}

const routes = {
  async kv_put(env, q) {
    const value = new TextDecoder().decode(filler(q.size));
    for (let i = 0; i < q.n; i++) await env.KV.put(`key-${pad(i)}`, value);
    return { count: q.n };
  },
  async kv_get(env, q) {
    let found = 0;
    for (let i = 0; i < q.n; i++) if ((await env.KV.get(`key-${pad(i)}`)) !== null) found++;
    return { count: found };
  },
  async kv_list(env) {
    let count = 0, cursor, calls = 0;
    for (;;) {
      const page = await env.KV.list({ limit: 1000, cursor });
      calls++;
      count += page.keys.length;
      if (page.list_complete) break;
      cursor = page.cursor;
    }
    return { count, calls };
  },
  async kv_bulk_get(env, q) {
    let found = 0;
    for (let i = 0; i < q.n; i += 100) {
      const keys = [];
      for (let j = i; j < Math.min(q.n, i + 100); j++) keys.push(`key-${pad(j)}`);
      const values = await env.KV.get(keys);
      for (const v of values.values()) if (v !== null) found++;
    }
    return { count: found };
  },
  async r2_put_small(env, q) {
    const body = filler(q.size);
    for (let i = 0; i < q.n; i++) await env.BUCKET.put(`small-${pad(i)}`, body);
    return { count: q.n };
  },
  async r2_get_small(env, q) {
    let bytes = 0;
    for (let i = 0; i < q.n; i++) bytes += (await (await env.BUCKET.get(`small-${pad(i)}`)).arrayBuffer()).byteLength;
    return { count: q.n, bytes };
  },
  async r2_put_large(env, q) {
    // streamed with a known length, as a Worker forwards a request body: 1 MiB chunks of one buffer
    const { readable, writable } = new FixedLengthStream(q.size);
    const chunk = filler(MiB);
    const writing = (async () => {
      const w = writable.getWriter();
      for (let sent = 0; sent < q.size; sent += MiB) await w.write(chunk.subarray(0, Math.min(MiB, q.size - sent)));
      await w.close();
    })();
    const [obj] = await Promise.all([env.BUCKET.put(q.key, readable), writing]);
    return { bytes: obj.size };
  },
  async r2_get_large(env, q) {
    const obj = await env.BUCKET.get(q.key);
    let bytes = 0;
    const reader = obj.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    return { bytes };
  },
  async d1_setup(env) {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, value REAL)").run();
    return { count: 0 };
  },
  async d1_insert(env, q) {
    const stmt = env.DB.prepare("INSERT INTO items (id, name, value) VALUES (?, ?, ?)");
    for (let i = 0; i < q.n; i++) await stmt.bind(q.start + i, `name-${i}`, i * 0.5).run();
    return { count: q.n };
  },
  async d1_select(env, q) {
    const stmt = env.DB.prepare("SELECT id, name, value FROM items WHERE id = ?");
    let found = 0;
    for (let i = 0; i < q.n; i++) if ((await stmt.bind(q.start + (i % q.rows)).first()) !== null) found++;
    return { count: found };
  },
  async d1_batch(env, q) {
    const stmt = env.DB.prepare("INSERT INTO items (id, name, value) VALUES (?, ?, ?)");
    const stmts = [];
    for (let i = 0; i < q.n; i++) stmts.push(stmt.bind(q.start + i, `batch-${i}`, i * 0.25));
    const results = await env.DB.batch(stmts);
    return { count: results.length };
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = JSON.parse(url.searchParams.get("q") || "{}");
    const route = routes[url.pathname.slice(1)];
    if (!route) return new Response("no route", { status: 404 });
    try {
      const t0 = Date.now();
      const result = await route(env, q);
      return Response.json({ ...result, worker_ms: Date.now() - t0 });
    } catch (e) {
      return Response.json({ error: `${e.name}: ${e.message}` }, { status: 500 });
    }
  },
};
