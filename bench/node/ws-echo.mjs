// WebSocket echo client for the durable-objects workload against a dev server. argv[2]: {"url": "ws://…", "n"}.
import { importFromCache, emit } from "./common.mjs";
import { echo } from "./ws-echo-lib.mjs";

const plan = JSON.parse(process.argv[2]);
const wsModule = await importFromCache("ws");
const WebSocket = wsModule.WebSocket ?? wsModule.default;
emit(await echo(WebSocket, plan.url, plan.n));
