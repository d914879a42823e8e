// Same routes as examples/hello (Python): "/" counts visits in KV, "/notes" keeps a table in D1.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/") {
      const count = Number((await env.COUNTER.get("visits")) ?? "0") + 1;
      await env.COUNTER.put("visits", String(count));
      return new Response(`${env.GREETING} from JavaScript! You are visitor number ${count}.`);
    }
    if (pathname === "/notes") {
      await env.DB.prepare(
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL)",
      ).run();
      if (request.method === "POST") {
        const note = await request.json();
        await env.DB.prepare("INSERT INTO notes (text) VALUES (?)").bind(note.text).run();
      }
      const { results } = await env.DB.prepare("SELECT id, text FROM notes ORDER BY id").all();
      return Response.json(results);
    }
    return new Response("Not found", { status: 404 });
  },
};
