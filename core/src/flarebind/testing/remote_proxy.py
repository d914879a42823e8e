"""The proxy worker under ``wrangler dev`` on 127.0.0.1, for tests of the remote path against workerd's own bindings.

``start_dev_proxy()`` writes the proxy with the same code as ``flarebind remote deploy-proxy --dry-run`` (a few KV
namespaces, R2 buckets and D1 databases, and a service binding to a tiny second worker), runs both under one
``wrangler dev`` and waits until the proxy answers. ``shared_dev_proxy()`` keeps one per process (stopped at exit),
so a test session pays wrangler's start-up once. Tests then connect exactly as to a deployed proxy: URL + secret.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import attrs

from flarebind.remote.deploy_proxy import new_secret, write_proxy
from flarebind.remote.protocol import INFO_PATH, SECRET_HEADER
from flarebind.testing.node import NEWEST_COMPAT_DATE, node_env, wrangler_command

POOL_SIZE = 3
TARGET_NAME = "flarebind-test-target"
BROWSER_STANDIN_NAME = "flarebind-test-browser"
# how long wrangler may take to come up on a loaded 2-core machine (a start-up wait, not a test limit)
READY_WAIT_SECONDS = 180.0

TARGET_WORKER = """\
import { WorkerEntrypoint, RpcTarget } from "cloudflare:workers";
class Counter extends RpcTarget {
  constructor(n) { super(); this.n = n; }
  add(k) { this.n += k; return this.n; }
  get value() { return this.n; }
}
// the service-binding target used by flarebind's remote-path tests
export default class extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    const body = request.body ? await request.text() : "";
    return new Response(JSON.stringify({ method: request.method, path: url.pathname, body,
      header: request.headers.get("x-test") }), { status: url.pathname === "/teapot" ? 418 : 200,
      headers: { "content-type": "application/json", "x-target": "yes" } });
  }
  add(a, b) { return a + b; }
  echo(value) { return value; }
  fail(message) { throw new RangeError(message); }
  stream() { return new Response("streamed from rpc").body; }
  counter(start) { return new Counter(start); }
}

// A stand-in for a Vectorize index (workerd has no local Vectorize): the binding's RPC methods over a brute-force
// index in module state, so tests drive the remote adapter's wire path (vectors, nested options, results, errors)
// through the proxy. Test-only extras: configure(dimensions, metric) and flarebindReset().
const vec = { dimensions: 32, metric: "cosine", rows: new Map(), mutation: null, at: null };
function vecError(op, code, text) { return new Error(`${op}_ERROR (code = ${code}): ${text}`); }
function vecMutation() {
  vec.mutation = crypto.randomUUID();
  vec.at = new Date().toISOString();
  return { mutationId: vec.mutation };
}
function vecLookup(metadata, key) {
  let node = metadata;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object" || !(part in node)) return null;
    node = node[part];
  }
  return node;
}
function vecMatches(metadata, filter) {
  for (const [key, spec] of Object.entries(filter || {})) {
    const ops = spec !== null && typeof spec === "object" && !Array.isArray(spec) ? spec : { $eq: spec };
    const value = vecLookup(metadata, key);
    for (const [op, arg] of Object.entries(ops)) {
      const ok = {
        $eq: () => value === arg, $ne: () => value !== arg,
        $in: () => arg.includes(value), $nin: () => !arg.includes(value),
        $lt: () => value !== null && value < arg, $lte: () => value !== null && value <= arg,
        $gt: () => value !== null && value > arg, $gte: () => value !== null && value >= arg,
      }[op];
      if (!ok) throw vecError("VECTOR_QUERY", 40003, `invalid filter: unsupported operator "${op}" for "${key}"`);
      if (!ok()) return false;
    }
  }
  return true;
}
function vecScore(a, b) {
  let dot = 0, na = 0, nb = 0, sq = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; sq += (a[i] - b[i]) ** 2;
  }
  if (vec.metric === "euclidean") return Math.sqrt(sq);
  if (vec.metric === "dot-product") return -dot;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
export class VectorizeStandIn extends WorkerEntrypoint {
  configure(dimensions, metric) {
    Object.assign(vec, { dimensions, metric, rows: new Map(), mutation: null, at: null });
  }
  flarebindReset() { this.configure(32, "cosine"); }
  write(op, vectors, replace) {
    for (const v of vectors) {
      if (v.values.length !== vec.dimensions) {
        const got = v.values.length;
        throw vecError(op, 40012,
          `invalid vector for id="${v.id}", expected ${vec.dimensions} dimensions, and got ${got} dimensions`);
      }
    }
    for (const v of vectors) {
      if (!replace && vec.rows.has(v.id)) continue;
      const row = { id: v.id, values: Float32Array.from(v.values), namespace: v.namespace, metadata: v.metadata };
      vec.rows.set(v.id, row);
    }
    return vecMutation();
  }
  insert(vectors) { return this.write("VECTOR_INSERT", vectors, false); }
  upsert(vectors) { return this.write("VECTOR_UPSERT", vectors, true); }
  query(vector, options = {}) {
    let returnMetadata = options.returnMetadata ?? "none";
    if (returnMetadata === true) returnMetadata = "all";
    if (returnMetadata === false) returnMetadata = "none";
    if (!["none", "indexed", "all"].includes(returnMetadata)) {
      const got = JSON.stringify(returnMetadata);
      throw new Error(`Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: ${got}`);
    }
    if (vector.length !== vec.dimensions) {
      throw vecError("VECTOR_QUERY", 40006,
        `invalid query vector, expected ${vec.dimensions} dimensions, and got ${vector.length} dimensions`);
    }
    const q = Float32Array.from(vector);
    const sign = vec.metric === "cosine" ? -1 : 1;
    const scored = [];
    for (const row of vec.rows.values()) {
      if (options.namespace !== undefined && row.namespace !== options.namespace) continue;
      if (!vecMatches(row.metadata, options.filter)) continue;
      scored.push({ row, score: vecScore(row.values, q) });
    }
    scored.sort((x, y) => sign * (x.score - y.score) || (x.row.id < y.row.id ? -1 : 1));
    const matches = scored.slice(0, options.topK ?? 5).map(({ row, score }) => {
      const m = { id: row.id, score };
      if (options.returnValues) m.values = Array.from(row.values);
      if (returnMetadata !== "none") m.metadata = row.metadata ?? {};
      if (row.namespace !== undefined) m.namespace = row.namespace;
      return m;
    });
    return { count: matches.length, matches };
  }
  queryById(id, options = {}) {
    const row = vec.rows.get(id);
    return row ? this.query(Array.from(row.values), options) : { count: 0, matches: [] };
  }
  // values as a Float32Array: the adapter must bring typed arrays back as numbers
  getByIds(ids) {
    return ids.filter((id) => vec.rows.has(id)).map((id) => {
      const { values, namespace, metadata } = vec.rows.get(id);
      const out = { id, values };
      if (namespace !== undefined) out.namespace = namespace;
      if (metadata !== undefined) out.metadata = metadata;
      return out;
    });
  }
  deleteByIds(ids) {
    for (const id of ids) vec.rows.delete(id);
    return vecMutation();
  }
  describe() {
    return { vectorCount: vec.rows.size, dimensions: vec.dimensions, processedUpToDatetime: vec.at,
      processedUpToMutation: vec.mutation };
  }
}

// A stand-in for Workers AI (workerd has no local AI and the real one is billed): the binding's methods with each
// task's documented result shape, so tests drive the AI remote adapter's wire path (JSON answers, SSE and image
// streams, options, errors) through the proxy.
function aiStream(chunks, type) {
  const bytes = chunks.map((c) => (typeof c === "string" ? new TextEncoder().encode(c) : c));
  return new ReadableStream({ start(c) { for (const b of bytes) c.enqueue(b); c.close(); } });
}
const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82]);
export class AiStandIn extends WorkerEntrypoint {
  async run(model, inputs, options) {
    if (model === "@cf/test/echo-options") return { options: options ?? null, inputs };
    if (model === "@cf/bad/model") {
      const e = new Error(`5007: No such model ${model} or task`); e.name = "InferenceUpstreamError"; throw e;
    }
    if (/bge/.test(model)) {
      const texts = Array.isArray(inputs.text) ? inputs.text : [inputs.text];
      const data = texts.map((t) => [t.length, 0.5, -0.25, 1]);
      return { shape: [texts.length, 4], data, pooling: inputs.pooling ?? "mean" };
    }
    if (/distilbert/.test(model)) return [{ label: "NEGATIVE", score: 0.25 }, { label: "POSITIVE", score: 0.75 }];
    if (/m2m100/.test(model)) return { translated_text: `[${inputs.target_lang}] ${inputs.text}` };
    if (/bart-large-cnn/.test(model)) return { summary: inputs.input_text.split(".")[0] + "." };
    if (/whisper/.test(model)) {
      const n = (inputs.audio.length ?? inputs.audio.byteLength);
      return { text: `heard ${n} bytes`, word_count: 3, words: [], vtt: "WEBVTT" };
    }
    if (/llava|uform/.test(model)) {
      const n = (inputs.image.length ?? inputs.image.byteLength);
      return { description: `an image of ${n} bytes` };
    }
    if (/stable-diffusion|flux/.test(model)) return aiStream([PNG, inputs.prompt]);
    const prompt = inputs.prompt ?? inputs.messages.map((m) => m.content).join(" ");
    if (inputs.stream) {
      const events = prompt.split(" ").map((w) => `data: ${JSON.stringify({ response: w })}\\n\\n`);
      return aiStream([...events, "data: [DONE]\\n\\n"]);
    }
    const usage = { prompt_tokens: 1000, completion_tokens: 2000, total_tokens: 3000 };
    return { response: `echo: ${prompt}`, usage };
  }
  async models(params) {
    return [{ name: "@cf/meta/llama-3.1-8b-instruct", task: { name: "Text Generation" }, params: params ?? null }];
  }
  async toMarkdown(files) {
    return files.map((f) => ({ name: f.name, mimeType: "text/markdown", tokens: 1, data: `# ${f.name}` }));
  }
}
"""
# proxy bindings that are JS stand-ins for types workerd cannot run locally: binding name -> the type they stand for
STAND_IN_TYPES = {
    "FB_VEC_0": "vectorize",
    "FB_AI": "ai",
    # Fetcher-shaped types: mTLS's wire path is `fetch` answered by the echoing target, Browser's by its stand-in
    "FB_MTLS": "mtls_certificate",
    "FB_BROWSER": "browser",
}


# Stands in for the Browser binding behind the proxy: wrangler dev's own browser binding downloads Chrome, which a
# machine without internet cannot do. It keeps sessions as Miniflare's browser-rendering worker answers its
# endpoints (no browser behind them), so the remote adapter's wire path runs through the proxy on workerd.
BROWSER_STANDIN_WORKER = """\
const sessions = new Map();
const history = [];
const json = (value, status = 200) => Response.json(value, { status });
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/v1/acquire" || (path === "/v1/devtools/browser" && request.method === "POST")) {
      const sessionId = crypto.randomUUID();
      sessions.set(sessionId, { sessionId, startTime: Date.now() });
      return json({ sessionId });
    }
    if (path === "/v1/sessions") return json({ sessions: [...sessions.values()] });
    if (path === "/v1/history") return json(history);
    if (path === "/v1/limits") {
      return json({ maxConcurrentSessions: 6, allowedBrowserAcquisitions: 6 - sessions.size,
        timeUntilNextAllowedBrowserAcquisition: 0 });
    }
    if (path === "/v1/connectDevtools") {
      const id = url.searchParams.get("browser_session");
      if (!id) return new Response("browser_session must be set", { status: 400 });
      if (!sessions.has(id)) return json({ error: "Browser not found" }, 404);
      // what the real binding answers: a WebSocket (which cannot travel back through the proxy's protocol)
      const pair = new WebSocketPair();
      pair[1].accept();
      pair[1].close(1000, "stand-in");
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    const m = /^\\/v1\\/devtools\\/(browser|session)\\/([^/]+)$/.exec(path);
    if (m && m[1] === "session") {
      const s = sessions.get(m[2]);
      return s ? json(s) : json({ error: "Session not found" }, 404);
    }
    if (m && request.method === "DELETE") {
      const s = sessions.get(m[2]);
      if (s) {
        sessions.delete(m[2]);
        history.unshift({ ...s, endTime: Date.now(), closeReason: 1, closeReasonText: "NormalClosure" });
      }
      return json({ status: "closed" });
    }
    return json({ error: "Not found" }, 404);
  },
};
"""


def proxy_test_bindings(pool: int = POOL_SIZE) -> dict[str, dict[str, Any]]:
    bindings: dict[str, dict[str, Any]] = {}
    for i in range(pool):
        bindings[f"FB_KV_{i}"] = {"type": "kv_namespace", "id": f"flarebind-test-kv-{i}"}
    for i in range(pool):
        bindings[f"FB_R2_{i}"] = {"type": "r2_bucket", "bucket_name": f"flarebind-test-bucket-{i}"}
    for i in range(pool):
        bindings[f"FB_DB_{i}"] = {
            "type": "d1",
            "database_name": f"flarebind-test-db-{i}",
            "database_id": f"00000000-0000-4000-8000-00000000000{i}",
        }
    bindings["FB_SVC"] = {"type": "service", "service": TARGET_NAME}
    bindings["FB_VEC_0"] = {"type": "service", "service": TARGET_NAME, "entrypoint": "VectorizeStandIn"}
    bindings["FB_AI"] = {"type": "service", "service": TARGET_NAME, "entrypoint": "AiStandIn"}
    # Miniflare's local Images binding (sharp) behind the proxy: the Images conformance suite's remote path
    bindings["FB_IMAGES"] = {"type": "images"}
    # Fetcher-shaped types, typed for the pool by name (STAND_IN_TYPES): mTLS's wire path is `fetch` through the proxy,
    # answered by the echoing target (workerd cannot present a client certificate here); Browser by its stand-in
    bindings["FB_MTLS"] = {"type": "service", "service": TARGET_NAME}
    bindings["FB_BROWSER"] = {"type": "service", "service": BROWSER_STANDIN_NAME}
    return bindings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@attrs.define
class DevProxy:
    url: str
    secret: str
    process: subprocess.Popen[bytes] | None
    workdir: Path
    log_path: Path
    bindings: dict[str, dict[str, Any]]

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGINT)  # wrangler's own process group: stops workerd too
            proc.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def start_dev_proxy(
    workdir: str | Path | None = None,
    *,
    secret: str | None = None,
    bindings: dict[str, dict[str, Any]] | None = None,
    proxy_dir: str | Path | None = None,
) -> DevProxy:
    """Write the proxy (deploy-proxy's writer) and a target worker, run them under ``wrangler dev``, wait until ready.

    With ``proxy_dir`` (written by ``flarebind remote deploy-proxy --dry-run``), that proxy is run instead; ``secret``
    must then be its secret and ``bindings`` its bindings.
    """
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="flarebind-devproxy-"))
    bindings = bindings if bindings is not None else proxy_test_bindings()
    if proxy_dir is None:
        secret = secret or new_secret()
        config_path = write_proxy(
            root / "proxy",
            bindings,
            name="flarebind-test-proxy",
            secret=secret,
            compatibility_date=min(NEWEST_COMPAT_DATE, "2025-09-01"),
        ).config_path
    else:
        if not secret:
            raise ValueError("start_dev_proxy(proxy_dir=…) needs the proxy's secret")
        config_path = Path(proxy_dir) / "wrangler.jsonc"
    target = root / "target"
    target.mkdir(parents=True, exist_ok=True)
    (target / "index.js").write_text(TARGET_WORKER)
    (target / "wrangler.jsonc").write_text(
        json.dumps({"name": TARGET_NAME, "main": "index.js", "compatibility_date": "2025-09-01"}, indent=2)
    )
    browser = root / "browser-standin"
    browser.mkdir(parents=True, exist_ok=True)
    (browser / "index.js").write_text(BROWSER_STANDIN_WORKER)
    (browser / "wrangler.jsonc").write_text(
        json.dumps({"name": BROWSER_STANDIN_NAME, "main": "index.js", "compatibility_date": "2025-09-01"}, indent=2)
    )
    port = free_port()
    log_path = root / "wrangler.log"
    command = [
        *wrangler_command(),
        "dev",
        "-c",
        str(config_path),
        "-c",
        str(target / "wrangler.jsonc"),
        "-c",
        str(browser / "wrangler.jsonc"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--inspector-port",
        str(free_port()),
        "--persist-to",
        str(root / "state"),
        "--show-interactive-dev-session=false",
        "--var",
        f"FLAREBIND_PROXY_SECRET:{secret}",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        command,
        cwd=config_path.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=node_env({"WRANGLER_LOG_PATH": str(root / "logs")}),
        start_new_session=True,
    )
    proxy = DevProxy(f"http://127.0.0.1:{port}", secret, proc, root, log_path, bindings)
    try:
        _wait_ready(proxy)
    except BaseException:
        proxy.stop()
        raise
    return proxy


def _wait_ready(proxy: DevProxy) -> None:
    import httpx

    deadline = time.monotonic() + READY_WAIT_SECONDS
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        while True:
            assert proxy.process is not None
            if proxy.process.poll() is not None:
                raise RuntimeError(f"wrangler dev exited with {proxy.process.returncode}:\n{proxy.log()[-4000:]}")
            try:
                r = client.get(f"{proxy.url}/{INFO_PATH}", headers={SECRET_HEADER: proxy.secret})
                if r.status_code == 200 and set(r.json().get("bindings", {})) >= set(proxy.bindings):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"wrangler dev did not become ready in {READY_WAIT_SECONDS:.0f} s:\n{proxy.log()[-4000:]}"
                )
            time.sleep(0.25)


_shared: DevProxy | None = None
_shared_lock = threading.Lock()


def shared_dev_proxy() -> DevProxy:
    """One dev proxy per process, started on first use and stopped when the interpreter exits."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.process is None or _shared.process.poll() is not None:
            # written by `flarebind remote deploy-proxy --dry-run`, exactly as a user writes a proxy to deploy
            _shared = start_dev_proxy_via_cli()
            atexit.register(_shared.stop)
        return _shared


# ---------------------------------------------------------------- handing proxy bindings to tests

# what the proxy's info endpoint calls each binding object (its JS class), by binding type
KIND_TYPES = {
    "KvNamespace": "kv_namespace",
    "R2Bucket": "r2_bucket",
    "D1Database": "d1",
    "Fetcher": "service",
    "ImagesBindingImpl": "images",
}
_RESOURCE_FIELDS = ("id", "bucket_name", "database_id", "database_name", "service", "index_name", "namespace")


class ProxyBindingPool:
    """Assigns the proxy's bindings to the bindings a test builds, and empties each before first use.

    A test asking twice for the same type and resource id gets the same proxy binding (shared state); a different
    resource id gets the next free one, so two namespaces in one test stay apart as they would on Cloudflare.
    """

    def __init__(self, channel: Any, kinds: dict[str, str]) -> None:
        self.channel = channel
        self.by_type: dict[str, list[str]] = {}
        for name in sorted(kinds):
            type_name = STAND_IN_TYPES.get(name) or KIND_TYPES.get(kinds[name])
            if type_name:
                self.by_type.setdefault(type_name, []).append(name)
        self.assigned: dict[tuple[str, Any], str] = {}

    async def assign(self, type_name: str, spec: dict[str, Any]) -> str:
        resource = next((spec[f] for f in _RESOURCE_FIELDS if spec.get(f) is not None), None)
        key = (type_name, resource)
        if key in self.assigned:
            return self.assigned[key]
        used = set(self.assigned.values())
        free = [n for n in self.by_type.get(type_name, []) if n not in used]
        if not free:
            raise RuntimeError(
                f"the test proxy has no free {type_name} binding left ({len(self.by_type.get(type_name, []))} in all); "
                f"a test used more distinct {type_name} resources than the proxy declares"
            )
        name = free[0]
        self.assigned[key] = name
        await empty_binding(self.channel, name, type_name)
        return name


async def empty_binding(channel: Any, name: str, type_name: str) -> None:
    """Delete everything in a KV namespace, R2 bucket, D1 database or stand-in behind the proxy (test isolation)."""
    if type_name == "vectorize":
        await channel.call(name, [{"call": "flarebindReset"}])
    elif type_name == "kv_namespace":
        while True:
            listed = await channel.call(name, [{"call": "list"}])
            keys = [k["name"] for k in listed["keys"]]
            for key in keys:
                await channel.call(name, [{"call": "delete", "args": [key]}])
            if listed.get("list_complete", True) or not keys:
                return
    elif type_name == "r2_bucket":
        while True:
            listed = await channel.call(name, [{"call": "list", "args": [{"limit": 1000}]}])
            keys = [o["key"] for o in listed["objects"]]
            if keys:
                await channel.call(name, [{"call": "delete", "args": [keys]}])
            if not listed.get("truncated") or not keys:
                return
    elif type_name == "d1":
        rows = await channel.call(
            name,
            [
                {
                    "call": "prepare",
                    "args": [
                        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') "
                        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'"
                    ],
                },
                {"call": "all"},
            ],
        )
        objects = rows["results"]
        if not objects:
            return
        order = {"trigger": 0, "view": 1, "table": 2}
        statements = [[{"call": "prepare", "args": ["PRAGMA defer_foreign_keys = on"]}]]
        for row in sorted(objects, key=lambda r: order[r["type"]]):
            ident = '"' + row["name"].replace('"', '""') + '"'
            statements.append([{"call": "prepare", "args": [f"DROP {row['type'].upper()} IF EXISTS {ident}"]}])
        from flarebind.remote.codec import Pipeline

        await channel.call(name, [{"call": "batch", "args": [[Pipeline(s) for s in statements]]}])


# ---------------------------------------------------------------- the proxy exactly as a user writes it


def write_test_config(directory: str | Path, bindings: dict[str, dict[str, Any]] | None = None) -> Path:
    """A ``wrangler.toml`` whose bindings are the test proxy's, all ``remote = true`` (input for deploy-proxy)."""
    bindings = bindings if bindings is not None else proxy_test_bindings()
    keys = {"kv_namespace": "kv_namespaces", "r2_bucket": "r2_buckets", "d1": "d1_databases", "service": "services"}
    tables = {"images": "images"}  # one-binding keys, written as a [table]
    lines = ['name = "flarebind-remote-tests"', 'main = "src/entry.py"', 'compatibility_date = "2025-09-01"', ""]
    for name, spec in bindings.items():
        table = tables.get(spec["type"])
        lines.append(f"[{table}]" if table else f"[[{keys[spec['type']]}]]")
        lines.append(f'binding = "{name}"')
        for field, value in spec.items():
            if field != "type":
                lines.append(f"{field} = {json.dumps(value)}")
        lines.append("remote = true")
        lines.append("")
    path = Path(directory) / "wrangler.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def flarebind_cli() -> list[str]:
    import shutil
    import sys

    beside = Path(sys.executable).with_name("flarebind")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("flarebind")
    if found:
        return [found]
    return [sys.executable, "-c", "from flarebind.cli import main; main()"]


def start_dev_proxy_via_cli(workdir: str | Path | None = None) -> DevProxy:
    """Write the proxy with ``flarebind remote deploy-proxy --dry-run`` (a real CLI process), then run it."""
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="flarebind-devproxy-"))
    bindings = proxy_test_bindings()
    config = write_test_config(root / "project", bindings)
    secret = new_secret()
    outdir = root / "proxy"
    proc = subprocess.run(
        [
            *flarebind_cli(),
            "remote",
            "deploy-proxy",
            "-c",
            str(config),
            "--dry-run",
            "--outdir",
            str(outdir),
            "--secret",
            secret,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flarebind remote deploy-proxy --dry-run failed:\n{proc.stdout}\n{proc.stderr}")
    return start_dev_proxy(root, secret=secret, bindings=bindings, proxy_dir=outdir)


def main(argv: list[str] | None = None) -> int:
    """``python -m flarebind.testing.remote_proxy [-- command …]``: run the test proxy under wrangler dev.

    With a command, runs it with ``FLAREBIND_REMOTE_PROXY_URL`` / ``_SECRET`` set (and
    ``FLAREBIND_CONFORMANCE_REMOTE=1``) and returns its exit code; without one, prints the variables and waits for
    Ctrl-C.
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--":
        args = args[1:]
    proxy = start_dev_proxy_via_cli()
    try:
        env = {
            **os.environ,
            "FLAREBIND_REMOTE_PROXY_URL": proxy.url,
            "FLAREBIND_REMOTE_PROXY_SECRET": proxy.secret,
            "FLAREBIND_CONFORMANCE_REMOTE": "1",
        }
        if args:
            return subprocess.call(args, env=env)
        print(f"FLAREBIND_REMOTE_PROXY_URL={proxy.url}")
        print(f"FLAREBIND_REMOTE_PROXY_SECRET=(in {proxy.workdir / 'proxy' / 'proxy-secret.txt'})")
        print("Ctrl-C stops the proxy.", flush=True)
        try:
            while proxy.process is not None and proxy.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        proxy.stop()


if __name__ == "__main__":
    raise SystemExit(main())
