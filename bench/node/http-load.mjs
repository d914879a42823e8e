// The HTTP client used for BOTH servers (flarebind dev and Miniflare): n sequential GETs over one keep-alive
// connection (Node http.Agent), checking every status and body. argv[2]: {"url", "n", "expect"}.
import http from "node:http";
import { emit } from "./common.mjs";

const plan = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    }).on("error", reject);
  });
}

for (let i = 0; i < 20; i++) await get(plan.url); // warm-up
const sockets = new Set();
agent.on("free", (s) => sockets.add(s));
const start = performance.now();
for (let i = 0; i < plan.n; i++) {
  const { status, body } = await get(plan.url);
  if (status !== 200 || (plan.expect !== undefined && body.trim() !== plan.expect)) {
    throw new Error(`request ${i}: status ${status}, body ${JSON.stringify(body.slice(0, 200))}`);
  }
}
const seconds = (performance.now() - start) / 1000;
agent.destroy();
emit({ rps: plan.n / seconds, connections: sockets.size });
