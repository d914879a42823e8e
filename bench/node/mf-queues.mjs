// Miniflare side of the `queues` workload. argv[2] is a JSON plan: {"n": messages, "batch": sendBatch size,
// "steps": workflow steps, "persist": "<dir>"}. Two Workers: "producer" (sends n messages with sendBatch from one
// request) and "consumer" (its queue handler counts them); then one Workflow instance of `steps` sequential steps.
// Prints one JSON line: wall ms for the messages to go through producer and consumer, and for the workflow.
import { join } from "node:path";
import { importFromCache, emit } from "./common.mjs";

const plan = JSON.parse(process.argv[2]);
const { Miniflare, Log, LogLevel } = await importFromCache("miniflare");

const producer = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n")), size = Number(url.searchParams.get("batch"));
    for (let i = 0; i < n; i += size) {
      const messages = [];
      for (let j = i; j < Math.min(n, i + size); j++) messages.push({ body: { i: j } });
      await env.Q.sendBatch(messages);
    }
    return new Response("sent");
  },
};`;

const consumer = `
import { WorkflowEntrypoint } from "cloudflare:workers";
let seen = 0;
export class Steps extends WorkflowEntrypoint {
  async run(event, step) {
    let total = 0;
    for (let i = 0; i < event.payload.steps; i++) total += await step.do("step " + i, async () => i);
    return total;
  }
}
export default {
  async queue(batch) {
    seen += batch.messages.length;
    batch.ackAll();
  },
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/seen") return new Response(String(seen));
    if (url.pathname === "/workflow") {
      const instance = await env.WF.create({ params: { steps: Number(url.searchParams.get("steps")) } });
      for (;;) {
        const status = await instance.status();
        if (status.status === "complete") return Response.json(status.output);
        if (status.status === "errored") return new Response(JSON.stringify(status.error), { status: 500 });
        await scheduler.wait(1);
      }
    }
    return new Response("?");
  },
};`;

const mf = new Miniflare({
  log: new Log(LogLevel.WARN),
  cf: false,
  workers: [
    {
      name: "producer",
      modules: true,
      script: producer,
      compatibilityDate: "2026-04-01",
      queueProducers: { Q: { queueName: "bench" } },
    },
    {
      name: "consumer",
      modules: true,
      script: consumer,
      compatibilityDate: "2026-04-01",
      queueConsumers: { bench: { maxBatchSize: 100, maxBatchTimeout: 0 } },
      workflows: { WF: { name: "steps", className: "Steps" } },
    },
  ],
  workflowsPersist: join(plan.persist, "workflows"),
});
await mf.ready;
const consumerWorker = await mf.getWorker("consumer");
const out = {};
try {
  let start = performance.now();
  const res = await mf.dispatchFetch(`http://bench/?n=${plan.n}&batch=${plan.batch}`);
  await res.text();
  for (;;) {
    const seen = Number(await (await consumerWorker.fetch("http://bench/seen")).text());
    if (seen >= plan.n) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  out.messages_ms = performance.now() - start;

  start = performance.now();
  const wf = await consumerWorker.fetch(`http://bench/workflow?steps=${plan.steps}`);
  const total = await wf.text();
  out.workflow_ms = performance.now() - start;
  out.workflow_status = wf.status;
  out.workflow_output = total;
} finally {
  await mf.dispose();
}
emit(out);
