// The WebSocket echo loop shared by ws-echo.mjs (flarebind dev) and mf-durable-objects.mjs (Miniflare).
// Sends n messages one at a time, each after the previous echo arrived; returns {mps} (round trips per second).
// No permessage-deflate offer: ws compresses on libuv's thread pool, which alone capped the loop near 2,300/s.
export async function echo(WebSocket, url, n) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  const next = () => new Promise((resolve) => ws.once("message", (data) => resolve(String(data))));
  const first = next(); ws.send("warm-up");
  if ((await first) !== "warm-up") throw new Error("no echo");
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const reply = next();
    ws.send(`m${i}`);
    if ((await reply) !== `m${i}`) throw new Error(`unexpected echo for m${i}`);
  }
  const seconds = (performance.now() - start) / 1000;
  ws.close();
  return { mps: n / seconds };
}
