// flarebind proxy worker: holds the real bindings and applies binding calls sent by flarebind's remote adapters.
// Wire protocol v1, specified in docs/remote-protocol.md. Uses only the public binding API on env[binding], so a new
// binding type needs no change here.

const PROTOCOL_VERSION = 1;
const SECRET_HEADER = "X-Flarebind-Proxy-Secret";
const SECRET_VAR = "FLAREBIND_PROXY_SECRET";
const JSON_TYPE = "application/json";
const FRAME_TYPE = "application/vnd.flarebind.frame";
const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;
const MAX_DEPTH = 64;
// property names an op may never touch: they lead away from the binding's public API
const FORBIDDEN = new Set(["constructor", "prototype", "__proto__", "then"]);

class ProtocolError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function protocolResponse(status, message) {
  return new Response(JSON.stringify({ error: { name: "FlarebindProtocolError", message } }), {
    status,
    headers: { "content-type": JSON_TYPE },
  });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function secretMatches(given, expected) {
  // hash both sides first so the comparison is constant-time regardless of the lengths
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

// ---------------------------------------------------------------- values: tagged JSON

function bytesToBase64(bytes) {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

function base64ToBytes(text) {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function errorToWire(err, depth = 0) {
  if (!(err instanceof Error) && (typeof err !== "object" || err === null)) {
    return { name: "Error", message: String(err) };
  }
  const out = { name: String(err.name || (err.constructor && err.constructor.name) || "Error"), message: String(err.message ?? "") };
  if (err.cause !== undefined && depth < 4) out.cause = errorToWire(err.cause, depth + 1);
  return out;
}

class Encoder {
  constructor() {
    this.stream = null;
  }

  takeStream(stream) {
    if (this.stream !== null && this.stream !== stream) {
      throw new Error("flarebind proxy: a result holds more than one stream; the protocol carries at most one");
    }
    this.stream = stream;
    return { $stream: 0 };
  }

  encode(value, depth = 0) {
    if (depth > MAX_DEPTH) throw new Error("flarebind proxy: result nested too deeply");
    if (value === undefined) return { $undefined: true };
    if (value === null || typeof value === "boolean" || typeof value === "string") return value;
    if (typeof value === "number") {
      if (Number.isFinite(value)) return value;
      return { $number: Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity" };
    }
    if (typeof value === "bigint") return { $bigint: value.toString() };
    if (typeof value === "function") return { $unsupported: "function" };
    if (typeof value !== "object") return { $unsupported: typeof value };
    if (value instanceof ArrayBuffer) return { $bytes: bytesToBase64(new Uint8Array(value)) };
    if (ArrayBuffer.isView(value)) {
      return { $bytes: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
    }
    if (value instanceof Date) return { $date: value.getTime() };
    if (value instanceof ReadableStream) return this.takeStream(value);
    // a Blob (e.g. an image from Workers AI) travels as the call's stream, its type alongside
    if (typeof Blob !== "undefined" && value instanceof Blob) {
      return { $blob: { type: value.type, size: value.size, body: this.takeStream(value.stream()) } };
    }
    if (value instanceof Map) {
      return { $map: [...value.entries()].map(([k, v]) => [this.encode(k, depth + 1), this.encode(v, depth + 1)]) };
    }
    if (value instanceof Set) return { $set: [...value].map((v) => this.encode(v, depth + 1)) };
    if (value instanceof Headers) return { $headers: [...value.entries()] };
    if (value instanceof Response) {
      return {
        $response: {
          status: value.status,
          statusText: value.statusText,
          headers: [...value.headers.entries()],
          body: value.body === null ? null : this.takeStream(value.body),
        },
      };
    }
    if (value instanceof Error) return { $error: errorToWire(value) };
    if (Array.isArray(value)) return value.map((v) => this.encode(v, depth + 1));
    const out = {};
    let escaped = false;
    const put = (key, v) => {
      if (typeof v === "function") return;
      if (key.startsWith("$")) escaped = true;
      out[key] = this.encode(v, depth + 1);
    };
    for (const key of Object.keys(value)) put(key, value[key]);
    if (!isPlainObject(value)) {
      // host objects (R2Object, R2ObjectBody, D1 results…) keep their data in prototype getters
      for (let proto = Object.getPrototypeOf(value); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
          if (key in out || typeof key !== "string" || !desc.get || key.startsWith("_") || FORBIDDEN.has(key)) continue;
          let v;
          try {
            v = value[key];
          } catch {
            continue;
          }
          put(key, v);
        }
      }
    }
    return escaped ? { $object: out } : out;
  }
}

class Decoder {
  constructor(env, bindingName, stream, saved) {
    this.env = env;
    this.bindingName = bindingName;
    this.stream = stream;
    this.saved = saved;
    this.streamUsed = false;
  }

  async decode(value) {
    if (Array.isArray(value)) {
      const out = [];
      for (const v of value) out.push(await this.decode(v));
      return out;
    }
    if (value === null || typeof value !== "object") return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0].startsWith("$")) return this.decodeTag(keys[0], value[keys[0]]);
    const out = {};
    for (const k of keys) out[k] = await this.decode(value[k]);
    return out;
  }

  async decodeTag(tag, inner) {
    switch (tag) {
      case "$bytes":
        return base64ToBytes(inner);
      case "$date":
        return new Date(inner);
      case "$undefined":
        return undefined;
      case "$bigint":
        return BigInt(inner);
      case "$number":
        return Number(inner);
      case "$map": {
        const m = new Map();
        for (const [k, v] of inner) m.set(await this.decode(k), await this.decode(v));
        return m;
      }
      case "$set": {
        const s = new Set();
        for (const v of inner) s.add(await this.decode(v));
        return s;
      }
      case "$headers":
        return new Headers(inner);
      case "$object": {
        const out = {};
        for (const k of Object.keys(inner)) out[k] = await this.decode(inner[k]);
        return out;
      }
      case "$stream":
        if (this.stream === null) throw new ProtocolError(400, "the call refers to a stream but the request carries none");
        if (this.streamUsed) throw new ProtocolError(400, "the request's stream is referenced more than once");
        this.streamUsed = true;
        return this.stream;
      case "$pipeline":
        return runPipeline(this.env[this.bindingName], inner, this);
      case "$ref":
        if (!this.saved.has(inner)) throw new ProtocolError(400, `no value saved under ${JSON.stringify(inner)}`);
        return this.saved.get(inner);
      case "$request": {
        const init = { method: inner.method || "GET", headers: inner.headers || [] };
        if (inner.body !== null && inner.body !== undefined) init.body = await this.decode(inner.body);
        if (inner.redirect) init.redirect = inner.redirect;
        return new Request(inner.url, init);
      }
      default:
        throw new ProtocolError(400, `unknown value tag ${JSON.stringify(tag)} (this proxy speaks protocol v${PROTOCOL_VERSION})`);
    }
  }
}

// ---------------------------------------------------------------- pipelines

function checkName(name) {
  if (typeof name !== "string" || name === "" || name.startsWith("_") || FORBIDDEN.has(name)) {
    throw new ProtocolError(400, `property ${JSON.stringify(name)} cannot be used through the flarebind proxy`);
  }
  return name;
}

async function runPipeline(start, ops, decoder) {
  if (!Array.isArray(ops)) throw new ProtocolError(400, "a pipeline must be a list of ops");
  let target = start;
  for (const op of ops) {
    if (op === null || typeof op !== "object") throw new ProtocolError(400, "an op must be an object");
    if ("ref" in op) {
      if (!decoder.saved.has(op.ref)) throw new ProtocolError(400, `no value saved under ${JSON.stringify(op.ref)}`);
      target = decoder.saved.get(op.ref);
    } else if ("call" in op) {
      const name = checkName(op.call);
      const args = await decoder.decode(op.args || []);
      if (target === null || target === undefined) {
        throw new TypeError(`Cannot read properties of ${target} (reading '${name}')`);
      }
      const fn = target[name];
      if (typeof fn !== "function") throw new TypeError(`${name} is not a function`);
      target = await Reflect.apply(fn, target, args);
    } else if ("get" in op) {
      const name = checkName(op.get);
      if (target === null || target === undefined) {
        throw new TypeError(`Cannot read properties of ${target} (reading '${name}')`);
      }
      target = await target[name];
    } else {
      throw new ProtocolError(400, `unknown op ${JSON.stringify(Object.keys(op))} (expected call, get or ref)`);
    }
    if (typeof op.save === "string") decoder.saved.set(op.save, target);
  }
  return target;
}

// ---------------------------------------------------------------- framed bodies

async function readFramedRequest(request) {
  const reader = request.body.getReader();
  let buffered = new Uint8Array(0);
  const fill = async (n) => {
    while (buffered.length < n) {
      const { done, value } = await reader.read();
      if (done) throw new ProtocolError(400, "the request frame ended early");
      const next = new Uint8Array(buffered.length + value.byteLength);
      next.set(buffered);
      next.set(value, buffered.length);
      buffered = next;
    }
  };
  await fill(4);
  const size = new DataView(buffered.buffer, buffered.byteOffset, 4).getUint32(0);
  if (size > MAX_ENVELOPE_BYTES) throw new ProtocolError(400, `envelope of ${size} bytes is over the limit`);
  await fill(4 + size);
  let envelope;
  try {
    envelope = JSON.parse(decoder.decode(buffered.subarray(4, 4 + size)));
  } catch (err) {
    throw new ProtocolError(400, `the envelope is not JSON: ${err.message}`);
  }
  const leftover = buffered.subarray(4 + size);
  const length = envelope.stream && typeof envelope.stream.length === "number" ? envelope.stream.length : null;
  // R2 needs a stream of known length: the readable half of a FixedLengthStream is one; otherwise a plain pipe
  const pipe = length !== null ? new FixedLengthStream(length) : new TransformStream();
  const writer = pipe.writable.getWriter();
  // one pump owns the request body to its end: a response sent before the request body is fully read breaks
  // HTTP intermediaries (wrangler dev answers 503), so after the call whatever the binding left is discarded
  const pump = (async () => {
    let writing = true;
    const write = async (chunk) => {
      if (!writing) return;
      try {
        await writer.write(chunk);
      } catch {
        writing = false;
      }
    };
    if (leftover.length) await write(leftover);
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (err) {
        if (writing) await writer.abort(err).catch(() => {});
        return;
      }
      if (step.done) break;
      await write(step.value);
    }
    if (writing) await writer.close().catch(() => {});
  })();
  const drain = async () => {
    await writer.abort(new Error("the call finished without reading the whole body")).catch(() => {});
    await pump;
  };
  return { envelope, stream: pipe.readable, drain };
}

function framedResponse(envelope, stream, ctx) {
  const json = encoder.encode(JSON.stringify(envelope));
  const prefix = new Uint8Array(4 + json.length);
  new DataView(prefix.buffer).setUint32(0, json.length);
  prefix.set(json, 4);
  const { readable, writable } = new TransformStream();
  const pump = (async () => {
    const writer = writable.getWriter();
    await writer.write(prefix);
    writer.releaseLock();
    await stream.pipeTo(writable);
  })().catch(() => {});
  if (ctx && ctx.waitUntil) ctx.waitUntil(pump);
  return new Response(readable, { headers: { "content-type": FRAME_TYPE } });
}

// ---------------------------------------------------------------- the handler

function bindingKinds(env) {
  const out = {};
  for (const [name, value] of Object.entries(env)) {
    if (name === SECRET_VAR) continue;
    out[name] = value === null ? "null" : typeof value === "object" || typeof value === "function"
      ? (value.constructor && value.constructor.name) || typeof value
      : typeof value;
  }
  return out;
}

async function handleCall(request, env, ctx) {
  const ctype = (request.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
  if (ctype === FRAME_TYPE) {
    const { envelope, stream, drain } = await readFramedRequest(request);
    try {
      return await applyEnvelope(envelope, stream, env, ctx);
    } finally {
      await drain();
    }
  }
  if (ctype !== JSON_TYPE) throw new ProtocolError(400, `content-type must be ${JSON_TYPE} or ${FRAME_TYPE}`);
  let envelope;
  try {
    envelope = await request.json();
  } catch (err) {
    throw new ProtocolError(400, `the envelope is not JSON: ${err.message}`);
  }
  return applyEnvelope(envelope, null, env, ctx);
}

async function applyEnvelope(envelope, stream, env, ctx) {
  if (envelope === null || typeof envelope !== "object" || typeof envelope.binding !== "string") {
    throw new ProtocolError(400, "the envelope needs a string \"binding\"");
  }
  const name = envelope.binding;
  if (name === SECRET_VAR || !Object.prototype.hasOwnProperty.call(env, name)) {
    throw new ProtocolError(400, `Binding "${name}" not found`);
  }
  const dec = new Decoder(env, name, stream, new Map());
  let body;
  try {
    const result = await runPipeline(env[name], envelope.calls || [], dec);
    const extra = [];
    for (const pipeline of envelope.extra || []) extra.push(await runPipeline(env[name], pipeline, dec));
    const enc = new Encoder();
    body = { result: enc.encode(result) };
    if (envelope.extra) body.extra = extra.map((v) => enc.encode(v));
    if (enc.stream !== null) return framedResponse(body, enc.stream, ctx);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    body = { error: errorToWire(err) };
  }
  return new Response(JSON.stringify(body), { headers: { "content-type": JSON_TYPE } });
}

export default {
  async fetch(request, env, ctx) {
    const expected = env[SECRET_VAR];
    if (typeof expected !== "string" || expected === "") {
      return protocolResponse(401, `this flarebind proxy has no ${SECRET_VAR} secret configured; set one with \`wrangler secret put ${SECRET_VAR}\``);
    }
    const given = request.headers.get(SECRET_HEADER);
    if (given === null || !(await secretMatches(given, expected))) {
      return protocolResponse(401, `missing or wrong ${SECRET_HEADER} header`);
    }
    const url = new URL(request.url);
    const match = /\/__flarebind\/v([^/]*)\/([^/]*)$/.exec(url.pathname);
    if (!match) return protocolResponse(404, `not a flarebind proxy path: ${url.pathname}`);
    if (match[1] !== String(PROTOCOL_VERSION)) {
      return protocolResponse(400, `flarebind proxy protocol version v${match[1]} is not supported by this proxy worker (it speaks v${PROTOCOL_VERSION}); redeploy it with \`flarebind remote deploy-proxy\` from the same flarebind version as the client`);
    }
    try {
      if (match[2] === "info") {
        if (request.method !== "GET") return protocolResponse(405, "use GET for info");
        return Response.json({ protocol: PROTOCOL_VERSION, worker: "flarebind-proxy", bindings: bindingKinds(env) });
      }
      if (match[2] === "call") {
        if (request.method !== "POST") return protocolResponse(405, "use POST for call");
        return await handleCall(request, env, ctx);
      }
      return protocolResponse(404, `unknown endpoint ${match[2]} in protocol v${PROTOCOL_VERSION}`);
    } catch (err) {
      if (err instanceof ProtocolError) return protocolResponse(err.status, err.message);
      return protocolResponse(500, `flarebind proxy failed: ${err && err.message}`);
    }
  },
};
